//! VXLAN (RFC 7348): 8-byte header on UDP 4789, an Ethernet frame inside.

use crate::bytes::{put_u32, u32_at, u8_at};
use crate::error::{Layer, ParseError};

pub const PORT: u16 = 4789;
pub const HEADER_LEN: usize = 8;
/// The "VNI is valid" flag.
pub const FLAG_I: u8 = 0x08;

/// Reads the VNI of the VXLAN header at the start of `buf`.
pub fn parse_vxlan(buf: &[u8]) -> Result<u32, ParseError> {
    u8_at(buf, 0).ok_or(ParseError::Truncated(Layer::Vxlan))?;
    let word = u32_at(buf, 4).ok_or(ParseError::Truncated(Layer::Vxlan))?;
    Ok(word >> 8)
}

/// Writes a VXLAN header with the I flag and `vni`.
pub fn emit_vxlan(out: &mut [u8], vni: u32) -> Option<usize> {
    put_u32(out, 0, u32::from(FLAG_I) << 24)?;
    put_u32(out, 4, (vni & 0x00ff_ffff) << 8)?;
    Some(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vni_round_trip() {
        let mut b = [0u8; 8];
        emit_vxlan(&mut b, 0x123456).unwrap();
        assert_eq!(b, [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
        assert_eq!(parse_vxlan(&b), Ok(0x123456));
        assert_eq!(parse_vxlan(&b[..7]), Err(ParseError::Truncated(Layer::Vxlan)));
    }
}
