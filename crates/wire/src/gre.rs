//! GRE (RFC 2784 with the key and sequence fields of RFC 2890).

use crate::bytes::{put_u16, put_u32, u16_at, u32_at, u8_at};
use crate::error::{Layer, ParseError};

pub const PROTOCOL: u8 = 47;
pub const FLAG_C: u8 = 0x80;
pub const FLAG_K: u8 = 0x20;
pub const FLAG_S: u8 = 0x10;

/// What the parser keeps of a GRE header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GreInfo {
    /// Payload EtherType (0x0800, 0x86DD or 0x6558 for Ethernet).
    pub protocol: u16,
    pub checksum_present: bool,
    pub key: Option<u32>,
    pub seq: Option<u32>,
    pub header_len: usize,
}

/// Parses the GRE header at the start of `buf`.
pub fn parse_gre(buf: &[u8]) -> Result<GreInfo, ParseError> {
    let flags = u8_at(buf, 0).ok_or(ParseError::Truncated(Layer::Gre))?;
    let version = u8_at(buf, 1).ok_or(ParseError::Truncated(Layer::Gre))? & 0x07;
    if version != 0 {
        return Err(ParseError::BadGreVersion);
    }
    let protocol = u16_at(buf, 2).ok_or(ParseError::Truncated(Layer::Gre))?;
    let mut at = 4;
    let checksum_present = flags & FLAG_C != 0;
    if checksum_present {
        at += 4;
    }
    let key = if flags & FLAG_K != 0 {
        let k = u32_at(buf, at).ok_or(ParseError::Truncated(Layer::Gre))?;
        at += 4;
        Some(k)
    } else {
        None
    };
    let seq = if flags & FLAG_S != 0 {
        let s = u32_at(buf, at).ok_or(ParseError::Truncated(Layer::Gre))?;
        at += 4;
        Some(s)
    } else {
        None
    };
    if buf.len() < at {
        return Err(ParseError::Truncated(Layer::Gre));
    }
    Ok(GreInfo { protocol, checksum_present, key, seq, header_len: at })
}

/// Writes a GRE header (checksum field zero, to be filled over the whole
/// GRE packet once the payload is in place); returns its length.
pub fn emit_gre(
    out: &mut [u8],
    protocol: u16,
    checksum: bool,
    key: Option<u32>,
    seq: Option<u32>,
) -> Option<usize> {
    let mut flags = 0u8;
    if checksum {
        flags |= FLAG_C;
    }
    if key.is_some() {
        flags |= FLAG_K;
    }
    if seq.is_some() {
        flags |= FLAG_S;
    }
    put_u16(out, 0, u16::from(flags) << 8)?;
    put_u16(out, 2, protocol)?;
    let mut at = 4;
    if checksum {
        put_u32(out, at, 0)?;
        at += 4;
    }
    if let Some(k) = key {
        put_u32(out, at, k)?;
        at += 4;
    }
    if let Some(s) = seq {
        put_u32(out, at, s)?;
        at += 4;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_optional_fields() {
        let b = [0xb0, 0x00, 0x65, 0x58, 0xab, 0xcd, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7];
        let g = parse_gre(&b).unwrap();
        assert_eq!(
            g,
            GreInfo {
                protocol: 0x6558,
                checksum_present: true,
                key: Some(42),
                seq: Some(7),
                header_len: 16
            }
        );
        let mut out = [0u8; 16];
        assert_eq!(emit_gre(&mut out, 0x6558, true, Some(42), Some(7)), Some(16));
        assert_eq!(parse_gre(&out).unwrap().key, Some(42));
    }

    #[test]
    fn version_and_truncation() {
        assert_eq!(parse_gre(&[0, 1, 8, 0]), Err(ParseError::BadGreVersion));
        assert_eq!(parse_gre(&[0x20, 0, 8, 0, 0]), Err(ParseError::Truncated(Layer::Gre)));
        assert_eq!(parse_gre(&[0, 0, 8, 0]).unwrap().header_len, 4);
    }
}
