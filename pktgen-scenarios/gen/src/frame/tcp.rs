//! TCP segments (RFC 9293) with the options a Linux stack sends:
//! MSS, window scale, SACK-permitted, SACK blocks and timestamps.

use super::ip::{IpHeader, PROTO_TCP};
use crate::checksum;

pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpOption {
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    /// Left/right edges (right edge exclusive), first block first.
    Sack(Vec<(u32, u32)>),
    Timestamps {
        value: u32,
        echo_reply: u32,
    },
}

impl TcpOption {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            TcpOption::Eol => out.push(0),
            TcpOption::Nop => out.push(1),
            TcpOption::Mss(mss) => {
                out.extend_from_slice(&[2, 4]);
                out.extend_from_slice(&mss.to_be_bytes());
            }
            TcpOption::WindowScale(shift) => out.extend_from_slice(&[3, 3, *shift]),
            TcpOption::SackPermitted => out.extend_from_slice(&[4, 2]),
            TcpOption::Sack(blocks) => {
                out.push(5);
                out.push((2 + 8 * blocks.len()) as u8);
                for (left, right) in blocks {
                    out.extend_from_slice(&left.to_be_bytes());
                    out.extend_from_slice(&right.to_be_bytes());
                }
            }
            TcpOption::Timestamps { value, echo_reply } => {
                out.extend_from_slice(&[8, 10]);
                out.extend_from_slice(&value.to_be_bytes());
                out.extend_from_slice(&echo_reply.to_be_bytes());
            }
        }
    }

    /// Options of a Linux SYN / SYN-ACK, in Linux's order and alignment.
    pub fn linux_syn(mss: u16, ts_value: u32, ts_echo: u32, wscale: u8) -> Vec<TcpOption> {
        vec![
            TcpOption::Mss(mss),
            TcpOption::SackPermitted,
            TcpOption::Timestamps { value: ts_value, echo_reply: ts_echo },
            TcpOption::Nop,
            TcpOption::WindowScale(wscale),
        ]
    }

    /// Options of a Linux data segment or ACK with timestamps and up to
    /// three SACK blocks (three is the most that fits beside timestamps).
    pub fn linux_established(ts_value: u32, ts_echo: u32, sack: &[(u32, u32)]) -> Vec<TcpOption> {
        let mut opts = vec![
            TcpOption::Nop,
            TcpOption::Nop,
            TcpOption::Timestamps { value: ts_value, echo_reply: ts_echo },
        ];
        if !sack.is_empty() {
            opts.push(TcpOption::Nop);
            opts.push(TcpOption::Nop);
            opts.push(TcpOption::Sack(sack.iter().take(3).copied().collect()));
        }
        opts
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<TcpOption>,
    /// Writes this value into the data-offset field instead of the true
    /// header length (for the deliberately malformed frame); the checksum is
    /// still computed over the bytes actually sent.
    pub data_offset_override: Option<u8>,
}

impl TcpHeader {
    pub fn new(src_port: u16, dst_port: u16, seq: u32, ack: u32, flags: u8, window: u16) -> Self {
        Self {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window,
            options: Vec::new(),
            data_offset_override: None,
        }
    }

    pub fn with_options(mut self, options: Vec<TcpOption>) -> Self {
        self.options = options;
        self
    }

    /// Header length in bytes including options, padded to 4 bytes.
    pub fn header_len(&self) -> usize {
        let mut opts = Vec::new();
        for o in &self.options {
            o.write(&mut opts);
        }
        20 + opts.len().div_ceil(4) * 4
    }

    /// The TCP header plus payload with the checksum filled in for `ip`.
    pub fn segment(&self, ip: &IpHeader, payload: &[u8]) -> Vec<u8> {
        let mut opts = Vec::with_capacity(40);
        for o in &self.options {
            o.write(&mut opts);
        }
        while opts.len() % 4 != 0 {
            opts.push(0); // EOL padding
        }
        let header_len = 20 + opts.len();
        let offset_words = self.data_offset_override.unwrap_or((header_len / 4) as u8);
        let mut out = Vec::with_capacity(header_len + payload.len());
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        out.push(offset_words << 4);
        out.push(self.flags);
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        out.extend_from_slice(&opts);
        out.extend_from_slice(payload);
        let acc = ip.pseudo_header_sum(PROTO_TCP, out.len());
        let c = checksum::finish(checksum::sum_words(acc, &out));
        out[16..18].copy_from_slice(&c.to_be_bytes());
        out
    }

    /// A whole IP packet carrying this segment.
    pub fn ip_packet(&self, ip: &IpHeader, payload: &[u8]) -> Vec<u8> {
        ip.packet(PROTO_TCP, &self.segment(ip, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::ip::Ipv4Header;
    use std::net::Ipv4Addr;

    fn ip() -> IpHeader {
        IpHeader::V4(Ipv4Header::new(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 19, 0, 1)))
    }

    fn verifies(ip: &IpHeader, seg: &[u8]) -> bool {
        let acc = ip.pseudo_header_sum(PROTO_TCP, seg.len());
        checksum::finish(checksum::sum_words(acc, seg)) == 0
    }

    #[test]
    fn linux_syn_options_are_20_bytes() {
        let h = TcpHeader::new(1, 2, 3, 0, tcp_flags::SYN, 64240)
            .with_options(TcpOption::linux_syn(1460, 5, 0, 7));
        assert_eq!(h.header_len(), 40);
        let seg = h.segment(&ip(), &[]);
        assert_eq!(seg.len(), 40);
        assert_eq!(seg[12] >> 4, 10);
        assert_eq!(&seg[20..24], &[2, 4, 0x05, 0xb4]);
        assert_eq!(&seg[24..26], &[4, 2]);
        assert_eq!(&seg[36..40], &[1, 3, 3, 7]);
        assert!(verifies(&ip(), &seg));
    }

    #[test]
    fn sack_with_timestamps_fits_three_blocks() {
        let blocks = [(10, 20), (30, 40), (50, 60), (70, 80)];
        let h = TcpHeader::new(1, 2, 3, 4, tcp_flags::ACK, 100)
            .with_options(TcpOption::linux_established(1, 2, &blocks));
        assert_eq!(h.header_len(), 20 + 12 + 28);
        let seg = h.segment(&ip(), &[]);
        assert_eq!(seg[32..36], [1, 1, 5, 26]);
        assert!(verifies(&ip(), &seg));
    }

    #[test]
    fn odd_payload_checksum_verifies_v4_and_v6() {
        let h = TcpHeader::new(40000, 443, 1, 2, tcp_flags::ACK | tcp_flags::PSH, 501);
        let seg = h.segment(&ip(), b"hello");
        assert!(verifies(&ip(), &seg));
        let ip6 = IpHeader::V6(crate::frame::ip::Ipv6Header::new(
            "2001:2:0:1::1".parse().unwrap(),
            "2001:2:0:2::1".parse().unwrap(),
        ));
        let seg6 = h.segment(&ip6, b"hello");
        assert!(verifies(&ip6, &seg6));
    }

    #[test]
    fn data_offset_override_is_written() {
        let mut h = TcpHeader::new(1, 2, 3, 4, tcp_flags::ACK, 100);
        h.data_offset_override = Some(4);
        let seg = h.segment(&ip(), &[]);
        assert_eq!(seg[12] >> 4, 4);
        assert!(verifies(&ip(), &seg));
    }
}
