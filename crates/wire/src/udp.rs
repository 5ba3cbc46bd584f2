//! UDP header (RFC 768).

use crate::bytes::{put_u16, u16_at};
use crate::checksum;
use crate::error::{Layer, ParseError};
use crate::IpAddress;

pub const HEADER_LEN: usize = 8;
pub const PROTOCOL: u8 = 17;

/// Zero-copy view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpDatagram<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpDatagram<T> {
    /// Wraps `buffer` (bounded by the IP payload) after checking the header
    /// and that the length field fits.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let len = usize::from(u16_at(b, 4).ok_or(ParseError::Truncated(Layer::Udp))?);
        if b.len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Udp));
        }
        if len < HEADER_LEN || len > b.len() {
            return Err(ParseError::BadUdpLength);
        }
        Ok(UdpDatagram { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        u16_at(self.b(), 0).unwrap_or(0)
    }
    pub fn dst_port(&self) -> u16 {
        u16_at(self.b(), 2).unwrap_or(0)
    }
    pub fn len(&self) -> u16 {
        u16_at(self.b(), 4).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.b(), 6).unwrap_or(0)
    }
    pub fn payload(&self) -> &[u8] {
        self.b().get(HEADER_LEN..usize::from(self.len())).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpDatagram<T> {
    pub fn set_len(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 4, v);
    }
    pub fn set_checksum(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 6, v);
    }
}

/// Full UDP checksum of `datagram` (header + payload, checksum field
/// included as it is), with 0 mapped to 0xFFFF as RFC 768 requires.
pub fn compute_checksum(datagram: &[u8], src: &IpAddress, dst: &IpAddress) -> u16 {
    let len = datagram.len() as u32;
    let s =
        checksum::add(checksum::pseudo_header(src, dst, PROTOCOL, len), checksum::sum(datagram));
    match checksum::finish(s) {
        0 => 0xffff,
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_bad_length() {
        let d = [0x08, 0x68, 0x08, 0x68, 0x00, 0x0a, 0x00, 0x00, 0xab, 0xcd];
        let u = UdpDatagram::new_checked(&d[..]).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.len()), (2152, 2152, 10));
        assert_eq!(u.payload(), &[0xab, 0xcd]);
        let mut bad = d;
        bad[5] = 11;
        assert_eq!(UdpDatagram::new_checked(&bad[..]).err(), Some(ParseError::BadUdpLength));
        bad[5] = 7;
        assert_eq!(UdpDatagram::new_checked(&bad[..]).err(), Some(ParseError::BadUdpLength));
    }
}
