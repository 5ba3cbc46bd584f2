//! IPv4 header (RFC 791), options kept opaque, fragments recognised.

use crate::bytes::{array, put, put_u16, put_u8, u16_at, u8_at};
use crate::checksum;
use crate::error::{Layer, ParseError};

pub const HEADER_LEN: usize = 20;

/// Zero-copy view of an IPv4 header and what follows it.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps `buffer` after checking the version, the IHL and that the
    /// header (with options) is present. The total length may exceed the
    /// buffer (a capture cut short); `payload` is bounded by both.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let vihl = u8_at(b, 0).ok_or(ParseError::Truncated(Layer::Ipv4))?;
        if vihl >> 4 != 4 {
            return Err(ParseError::BadIpVersion);
        }
        let hl = usize::from(vihl & 0x0f) * 4;
        if hl < HEADER_LEN {
            return Err(ParseError::BadIhl);
        }
        if b.len() < hl {
            return Err(ParseError::Truncated(Layer::Ipv4));
        }
        let total = usize::from(u16_at(b, 2).unwrap_or(0));
        if total < hl {
            return Err(ParseError::BadIpLength);
        }
        Ok(Ipv4Packet { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn header_len(&self) -> usize {
        usize::from(u8_at(self.b(), 0).unwrap_or(0) & 0x0f) * 4
    }
    pub fn dscp_ecn(&self) -> u8 {
        u8_at(self.b(), 1).unwrap_or(0)
    }
    pub fn total_len(&self) -> u16 {
        u16_at(self.b(), 2).unwrap_or(0)
    }
    pub fn ident(&self) -> u16 {
        u16_at(self.b(), 4).unwrap_or(0)
    }
    pub fn dont_frag(&self) -> bool {
        u16_at(self.b(), 6).unwrap_or(0) & 0x4000 != 0
    }
    pub fn more_frags(&self) -> bool {
        u16_at(self.b(), 6).unwrap_or(0) & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (u16_at(self.b(), 6).unwrap_or(0) & 0x1fff) << 3
    }
    /// True for any fragment, first or not.
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }
    pub fn ttl(&self) -> u8 {
        u8_at(self.b(), 8).unwrap_or(0)
    }
    pub fn protocol(&self) -> u8 {
        u8_at(self.b(), 9).unwrap_or(0)
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.b(), 10).unwrap_or(0)
    }
    pub fn src_addr(&self) -> [u8; 4] {
        array(self.b(), 12).unwrap_or_default()
    }
    pub fn dst_addr(&self) -> [u8; 4] {
        array(self.b(), 16).unwrap_or_default()
    }
    /// The options bytes (empty when IHL is 5).
    pub fn options(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }
    /// True if the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        let h = self.b().get(..self.header_len()).unwrap_or(&[]);
        checksum::fold(checksum::sum(h)) == 0xffff
    }
    /// Bytes after the header, up to the total length or the buffer end.
    pub fn payload(&self) -> &[u8] {
        let end = usize::from(self.total_len()).min(self.b().len());
        self.b().get(self.header_len()..end).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    pub fn set_total_len(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 2, v);
    }
    pub fn set_ttl(&mut self, v: u8) {
        let _ = put_u8(self.buffer.as_mut(), 8, v);
    }
    pub fn set_checksum(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 10, v);
    }
    pub fn set_src_addr(&mut self, a: [u8; 4]) {
        let _ = put(self.buffer.as_mut(), 12, &a);
    }
    pub fn set_dst_addr(&mut self, a: [u8; 4]) {
        let _ = put(self.buffer.as_mut(), 16, &a);
    }
    /// Recomputes the header checksum from scratch.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hl = self.header_len();
        let c = checksum::finish(checksum::sum(self.buffer.as_ref().get(..hl).unwrap_or(&[])));
        self.set_checksum(c);
    }
}

/// High-level IPv4 header (no options) for building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub protocol: u8,
    pub ttl: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub payload_len: usize,
}

impl Ipv4Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Self {
        Ipv4Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            payload_len: usize::from(p.total_len()).saturating_sub(p.header_len()),
        }
    }

    /// Writes the 20-byte header with its checksum into `out`.
    pub fn emit(&self, out: &mut [u8]) -> Option<()> {
        let total = u16::try_from(self.payload_len + HEADER_LEN).ok()?;
        let hdr = out.get_mut(..HEADER_LEN)?;
        put_u8(hdr, 0, 0x45)?;
        put_u8(hdr, 1, 0)?;
        put_u16(hdr, 2, total)?;
        put_u16(hdr, 4, self.ident)?;
        put_u16(hdr, 6, if self.dont_frag { 0x4000 } else { 0 })?;
        put_u8(hdr, 8, self.ttl)?;
        put_u8(hdr, 9, self.protocol)?;
        put_u16(hdr, 10, 0)?;
        put(hdr, 12, &self.src)?;
        put(hdr, 16, &self.dst)?;
        let c = checksum::finish(checksum::sum(hdr));
        put_u16(hdr, 10, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real header (RFC 1071 style example from a capture): 10.0.0.1 -> 10.0.0.2, TCP.
    const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x28, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x0a, 0x88, 0x0a, 0x00, 0x00,
        0x01, 0x0a, 0x00, 0x00, 0x02,
    ];

    #[test]
    fn deconstruct() {
        let p = Ipv4Packet::new_checked(&HDR[..]).unwrap();
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 40);
        assert!(p.dont_frag());
        assert!(!p.is_fragment());
        assert_eq!(p.protocol(), 6);
        assert_eq!(p.src_addr(), [10, 0, 0, 1]);
        assert!(p.verify_checksum());
    }

    #[test]
    fn construct_matches_fixture() {
        let r = Ipv4Repr {
            src: [10, 0, 0, 1],
            dst: [10, 0, 0, 2],
            protocol: 6,
            ttl: 64,
            ident: 0x1c46,
            dont_frag: true,
            payload_len: 20,
        };
        let mut out = [0u8; 20];
        r.emit(&mut out).unwrap();
        assert_eq!(out, HDR);
        assert_eq!(Ipv4Repr::parse(&Ipv4Packet::new_checked(&out[..]).unwrap()), r);
    }

    #[test]
    fn bad_ihl_and_version() {
        let mut h = HDR;
        h[0] = 0x44;
        assert_eq!(Ipv4Packet::new_checked(&h[..]).err(), Some(ParseError::BadIhl));
        h[0] = 0x65;
        assert_eq!(Ipv4Packet::new_checked(&h[..]).err(), Some(ParseError::BadIpVersion));
        h[0] = 0x46; // IHL 6 but only 20 bytes
        assert_eq!(Ipv4Packet::new_checked(&h[..]).err(), Some(ParseError::Truncated(Layer::Ipv4)));
    }
}
