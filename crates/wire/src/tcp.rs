//! TCP header (RFC 9293): zero-copy view, repr and checksum.

use crate::bytes::{put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};
use crate::checksum;
use crate::error::{Layer, ParseError};
use crate::tcp_options::{emit_options, options_len, parse_options, TcpOptions};
use crate::IpAddress;

pub const HEADER_LEN: usize = 20;
pub const PROTOCOL: u8 = 6;

pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// Zero-copy view of a TCP segment (header, options and payload).
#[derive(Debug, Clone)]
pub struct TcpSegment<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpSegment<T> {
    /// Wraps `buffer` (the segment, bounded by the IP payload) after checking
    /// that the header and its options are present.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        let off = u8_at(b, 12).ok_or(ParseError::Truncated(Layer::Tcp))?;
        if b.len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Tcp));
        }
        let hl = usize::from(off >> 4) * 4;
        if hl < HEADER_LEN {
            return Err(ParseError::BadDataOffset);
        }
        if b.len() < hl {
            return Err(ParseError::Truncated(Layer::Tcp));
        }
        Ok(TcpSegment { buffer })
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
    pub fn seq(&self) -> u32 {
        u32_at(self.b(), 4).unwrap_or(0)
    }
    pub fn ack(&self) -> u32 {
        u32_at(self.b(), 8).unwrap_or(0)
    }
    pub fn header_len(&self) -> usize {
        usize::from(u8_at(self.b(), 12).unwrap_or(0) >> 4) * 4
    }
    pub fn flags(&self) -> u8 {
        u8_at(self.b(), 13).unwrap_or(0)
    }
    /// The raw (unscaled) window field.
    pub fn window(&self) -> u16 {
        u16_at(self.b(), 14).unwrap_or(0)
    }
    pub fn checksum(&self) -> u16 {
        u16_at(self.b(), 16).unwrap_or(0)
    }
    pub fn urgent(&self) -> u16 {
        u16_at(self.b(), 18).unwrap_or(0)
    }
    pub fn options_bytes(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }
    /// Parsed options, or the reason they are malformed.
    pub fn options(&self) -> Result<TcpOptions, ParseError> {
        let (o, r) = parse_options(self.options_bytes(), HEADER_LEN as u8);
        r.map(|()| o)
    }
    pub fn payload(&self) -> &[u8] {
        self.b().get(self.header_len()..).unwrap_or(&[])
    }
    /// True if the checksum over the whole buffer is correct.
    pub fn verify_checksum(&self, src: &IpAddress, dst: &IpAddress) -> bool {
        let len = self.b().len() as u32;
        let s = checksum::add(
            checksum::pseudo_header(src, dst, PROTOCOL, len),
            checksum::sum(self.b()),
        );
        checksum::fold(s) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpSegment<T> {
    pub fn set_seq(&mut self, v: u32) {
        let _ = put_u32(self.buffer.as_mut(), 4, v);
    }
    pub fn set_ack(&mut self, v: u32) {
        let _ = put_u32(self.buffer.as_mut(), 8, v);
    }
    pub fn set_flags(&mut self, v: u8) {
        let _ = put_u8(self.buffer.as_mut(), 13, v);
    }
    pub fn set_window(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 14, v);
    }
    pub fn set_checksum(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 16, v);
    }
    /// Recomputes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, src: &IpAddress, dst: &IpAddress) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let s = checksum::add(
            checksum::pseudo_header(src, dst, PROTOCOL, b.len() as u32),
            checksum::sum(b),
        );
        self.set_checksum(checksum::finish(s));
    }
}

/// High-level TCP header for building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: TcpOptions,
}

impl TcpRepr {
    /// Header length with options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + options_len(&self.options)
    }

    /// Writes the header (checksum zero) at the start of `out`; returns its length.
    pub fn emit_header(&self, out: &mut [u8]) -> Option<usize> {
        let hl = self.header_len();
        if hl > 60 {
            return None;
        }
        let hdr = out.get_mut(..hl)?;
        put_u16(hdr, 0, self.src_port)?;
        put_u16(hdr, 2, self.dst_port)?;
        put_u32(hdr, 4, self.seq)?;
        put_u32(hdr, 8, self.ack)?;
        put_u8(hdr, 12, ((hl / 4) as u8) << 4)?;
        put_u8(hdr, 13, self.flags)?;
        put_u16(hdr, 14, self.window)?;
        put_u32(hdr, 16, 0)?;
        emit_options(hdr.get_mut(HEADER_LEN..)?, &self.options)?;
        Some(hl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 10.0.0.1:40000 -> 10.0.0.2:80 SYN with MSS 1460, checksum computed by hand-checked code.
    #[test]
    fn construct_and_deconstruct() {
        let r = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: 0x01020304,
            ack: 0,
            flags: flags::SYN,
            window: 64240,
            options: TcpOptions { mss: Some(1460), ..Default::default() },
        };
        let mut seg = [0u8; 24];
        assert_eq!(r.emit_header(&mut seg), Some(24));
        assert_eq!(&seg[..4], &[0x9c, 0x40, 0x00, 0x50]);
        assert_eq!(seg[12], 0x60);
        assert_eq!(&seg[20..], &[2, 4, 0x05, 0xb4]);
        let (s, d) = (IpAddress::V4([10, 0, 0, 1]), IpAddress::V4([10, 0, 0, 2]));
        let mut v = TcpSegment::new_checked(&mut seg[..]).unwrap();
        v.fill_checksum(&s, &d);
        assert!(v.verify_checksum(&s, &d));
        assert_eq!(v.seq(), 0x01020304);
        assert_eq!(v.window(), 64240);
        assert_eq!(v.options().unwrap().mss, Some(1460));
    }

    #[test]
    fn bad_data_offset() {
        let mut seg = [0u8; 20];
        seg[12] = 0x40;
        assert_eq!(TcpSegment::new_checked(&seg[..]).err(), Some(ParseError::BadDataOffset));
        seg[12] = 0x60;
        assert_eq!(
            TcpSegment::new_checked(&seg[..]).err(),
            Some(ParseError::Truncated(Layer::Tcp))
        );
    }
}
