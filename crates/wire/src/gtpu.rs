//! GTP-U v1 (3GPP TS 29.281) with the extension header chain and the PDU
//! Session Container (TS 38.415).

use crate::bytes::{put, put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};
use crate::error::{Layer, ParseError};

pub const PORT: u16 = 2152;
/// The mandatory part of the header.
pub const MIN_HEADER_LEN: usize = 8;
/// With the sequence number / N-PDU / next-extension fields.
pub const OPT_HEADER_LEN: usize = 12;

pub mod msg_type {
    pub const ECHO_REQUEST: u8 = 1;
    pub const ECHO_RESPONSE: u8 = 2;
    pub const ERROR_INDICATION: u8 = 26;
    pub const SUPPORTED_EXT_HEADERS: u8 = 31;
    pub const END_MARKER: u8 = 254;
    pub const G_PDU: u8 = 255;
}

pub mod flag {
    pub const VERSION_1: u8 = 0x20;
    /// Protocol type GTP (not GTP').
    pub const PT: u8 = 0x10;
    pub const E: u8 = 0x04;
    pub const S: u8 = 0x02;
    pub const PN: u8 = 0x01;
}

/// Extension header type of the PDU Session Container.
pub const EXT_PDU_SESSION_CONTAINER: u8 = 0x85;
/// PDU type values in the PDU Session Container.
pub const PDU_TYPE_DL: u8 = 0;
pub const PDU_TYPE_UL: u8 = 1;
/// At most this many extension headers are followed.
pub const MAX_EXT_HEADERS: usize = 8;

/// What the parser keeps of a GTP-U header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtpuInfo {
    pub msg_type: u8,
    pub teid: u32,
    pub seq: Option<u16>,
    pub pdu_type: Option<u8>,
    pub qfi: Option<u8>,
    /// Bytes from the GTP-U header start to the T-PDU (all headers).
    pub header_len: usize,
    /// Bytes from the GTP-U header start to the end of the message
    /// (8 + the length field).
    pub message_len: usize,
}

/// Zero-copy view of a GTP-U header.
#[derive(Debug, Clone)]
pub struct GtpuHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> GtpuHeader<T> {
    /// Wraps the UDP payload after checking the version and the length field.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        parse_gtpu(buffer.as_ref())?;
        Ok(GtpuHeader { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn flags(&self) -> u8 {
        u8_at(self.b(), 0).unwrap_or(0)
    }
    pub fn msg_type(&self) -> u8 {
        u8_at(self.b(), 1).unwrap_or(0)
    }
    /// The length field: bytes after the mandatory 8-byte header.
    pub fn length(&self) -> u16 {
        u16_at(self.b(), 2).unwrap_or(0)
    }
    pub fn teid(&self) -> u32 {
        u32_at(self.b(), 4).unwrap_or(0)
    }
    /// The whole header as the parser sees it.
    pub fn info(&self) -> Option<GtpuInfo> {
        parse_gtpu(self.b()).ok()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> GtpuHeader<T> {
    pub fn set_length(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 2, v);
    }
    pub fn set_teid(&mut self, v: u32) {
        let _ = put_u32(self.buffer.as_mut(), 4, v);
    }
}

/// Parses the GTP-U header at the start of `buf` (a UDP payload).
#[inline]
pub fn parse_gtpu(buf: &[u8]) -> Result<GtpuInfo, ParseError> {
    let flags = u8_at(buf, 0).ok_or(ParseError::Truncated(Layer::Gtpu))?;
    if flags & 0xf0 != flag::VERSION_1 | flag::PT {
        return Err(ParseError::BadGtpuVersion);
    }
    let msg_type = u8_at(buf, 1).ok_or(ParseError::Truncated(Layer::Gtpu))?;
    let length = usize::from(u16_at(buf, 2).ok_or(ParseError::Truncated(Layer::Gtpu))?);
    let teid = u32_at(buf, 4).ok_or(ParseError::Truncated(Layer::Gtpu))?;
    let message_len = MIN_HEADER_LEN + length;
    if message_len > buf.len() {
        return Err(ParseError::BadGtpuLength);
    }
    let mut info = GtpuInfo {
        msg_type,
        teid,
        seq: None,
        pdu_type: None,
        qfi: None,
        header_len: MIN_HEADER_LEN,
        message_len,
    };
    if flags & (flag::E | flag::S | flag::PN) == 0 {
        return Ok(info);
    }
    if message_len < OPT_HEADER_LEN {
        return Err(ParseError::BadGtpuLength);
    }
    if flags & flag::S != 0 {
        info.seq = u16_at(buf, 8);
    }
    let mut next = if flags & flag::E != 0 { u8_at(buf, 11).unwrap_or(0) } else { 0 };
    let mut at = OPT_HEADER_LEN;
    let mut walked = 0;
    while next != 0 {
        if walked == MAX_EXT_HEADERS {
            return Err(ParseError::BadGtpuExtLength);
        }
        walked += 1;
        let units = usize::from(u8_at(buf, at).ok_or(ParseError::Truncated(Layer::GtpuExt))?);
        let len = units * 4;
        if len == 0 {
            return Err(ParseError::BadGtpuExtLength);
        }
        if at + len > message_len {
            return Err(ParseError::Truncated(Layer::GtpuExt));
        }
        if next == EXT_PDU_SESSION_CONTAINER {
            // Octet 1: PDU type in the high nibble; octet 2: QFI in the low
            // six bits, for both the DL and the UL layout.
            info.pdu_type = u8_at(buf, at + 1).map(|b| b >> 4);
            info.qfi = u8_at(buf, at + 2).map(|b| b & 0x3f);
        }
        next = u8_at(buf, at + len - 1).unwrap_or(0);
        at += len;
    }
    info.header_len = at;
    Ok(info)
}

/// High-level GTP-U header for building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtpuRepr {
    pub msg_type: u8,
    pub teid: u32,
    pub seq: Option<u16>,
    /// (PDU type, QFI) of a PDU Session Container, if one is carried.
    pub pdu_session: Option<(u8, u8)>,
}

impl GtpuRepr {
    pub fn header_len(&self) -> usize {
        match (self.seq, self.pdu_session) {
            (None, None) => MIN_HEADER_LEN,
            (_, None) => OPT_HEADER_LEN,
            (_, Some(_)) => OPT_HEADER_LEN + 4,
        }
    }

    /// Writes the header for a T-PDU of `payload_len` bytes; returns its length.
    pub fn emit(&self, out: &mut [u8], payload_len: usize) -> Option<usize> {
        let hl = self.header_len();
        let mut flags = flag::VERSION_1 | flag::PT;
        if self.seq.is_some() {
            flags |= flag::S;
        }
        if self.pdu_session.is_some() {
            flags |= flag::E;
        }
        put_u8(out, 0, flags)?;
        put_u8(out, 1, self.msg_type)?;
        put_u16(out, 2, u16::try_from(hl - MIN_HEADER_LEN + payload_len).ok()?)?;
        put_u32(out, 4, self.teid)?;
        if hl > MIN_HEADER_LEN {
            put_u16(out, 8, self.seq.unwrap_or(0))?;
            put_u8(out, 10, 0)?;
            put_u8(
                out,
                11,
                if self.pdu_session.is_some() { EXT_PDU_SESSION_CONTAINER } else { 0 },
            )?;
        }
        if let Some((pdu_type, qfi)) = self.pdu_session {
            put(out, 12, &[1, pdu_type << 4, qfi & 0x3f, 0])?;
        }
        Some(hl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// G-PDU, E flag, seq 0, PDU session container DL QFI 9, TEID 0x1234, 4 payload bytes.
    const WITH_EXT: [u8; 20] = [
        0x34, 0xff, 0x00, 0x0c, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x85, 0x01, 0x00, 0x09,
        0x00, 0x45, 0x00, 0x00, 0x14,
    ];

    #[test]
    fn deconstruct_with_pdu_session_container() {
        let i = parse_gtpu(&WITH_EXT).unwrap();
        assert_eq!(i.msg_type, msg_type::G_PDU);
        assert_eq!(i.teid, 0x1234);
        assert_eq!(i.pdu_type, Some(PDU_TYPE_DL));
        assert_eq!(i.qfi, Some(9));
        assert_eq!(i.header_len, 16);
        assert_eq!(i.message_len, 20);
        assert_eq!(i.seq, None);
    }

    #[test]
    fn construct_matches_fixture() {
        let r = GtpuRepr {
            msg_type: msg_type::G_PDU,
            teid: 0x1234,
            seq: None,
            pdu_session: Some((PDU_TYPE_DL, 9)),
        };
        let mut out = [0u8; 16];
        assert_eq!(r.emit(&mut out, 4), Some(16));
        assert_eq!(out, WITH_EXT[..16]);
    }

    #[test]
    fn plain_header_and_echo() {
        let echo = [0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x07, 0, 0];
        let i = parse_gtpu(&echo).unwrap();
        assert_eq!((i.msg_type, i.seq, i.header_len), (msg_type::ECHO_REQUEST, Some(7), 12));
        let plain = [0x30, 0xff, 0x00, 0x00, 0, 0, 0, 5];
        assert_eq!(parse_gtpu(&plain).unwrap().header_len, 8);
    }

    #[test]
    fn bad_headers() {
        let mut b = WITH_EXT;
        b[0] = 0x44; // version 2
        assert_eq!(parse_gtpu(&b), Err(ParseError::BadGtpuVersion));
        let mut b = WITH_EXT;
        b[3] = 0x20; // length past the buffer
        assert_eq!(parse_gtpu(&b), Err(ParseError::BadGtpuLength));
        let mut b = WITH_EXT;
        b[12] = 0; // extension length 0
        assert_eq!(parse_gtpu(&b), Err(ParseError::BadGtpuExtLength));
        let mut b = WITH_EXT;
        b[12] = 5; // extension runs past the message
        assert_eq!(parse_gtpu(&b), Err(ParseError::Truncated(Layer::GtpuExt)));
    }
}
