//! IPv4 and IPv6 headers, and the pseudo-header sums TCP/UDP checksums need.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::checksum;

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Header {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub id: u16,
    pub ttl: u8,
    pub dscp_ecn: u8,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in 8-byte units.
    pub fragment_offset: u16,
}

impl Ipv4Header {
    /// A Linux-like default: DF set, TTL 64.
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr) -> Self {
        Self {
            src,
            dst,
            id: 0,
            ttl: 64,
            dscp_ecn: 0,
            dont_fragment: true,
            more_fragments: false,
            fragment_offset: 0,
        }
    }

    pub fn with_id(mut self, id: u16) -> Self {
        self.id = id;
        self
    }

    /// Header plus `payload`, with total length and header checksum filled in.
    /// `payload` is whatever follows the header (a whole L4 segment, or a
    /// fragment of one).
    pub fn packet(&self, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total_len = 20 + payload.len();
        let mut out = Vec::with_capacity(total_len);
        out.push(0x45);
        out.push(self.dscp_ecn);
        out.extend_from_slice(&(total_len as u16).to_be_bytes());
        out.extend_from_slice(&self.id.to_be_bytes());
        let mut frag = self.fragment_offset & 0x1fff;
        if self.dont_fragment {
            frag |= 0x4000;
        }
        if self.more_fragments {
            frag |= 0x2000;
        }
        out.extend_from_slice(&frag.to_be_bytes());
        out.push(self.ttl);
        out.push(protocol);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
        let c = checksum::checksum(&out[..20]);
        out[10..12].copy_from_slice(&c.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Header {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub hop_limit: u8,
}

impl Ipv6Header {
    pub fn new(src: Ipv6Addr, dst: Ipv6Addr) -> Self {
        Self { src, dst, traffic_class: 0, flow_label: 0, hop_limit: 64 }
    }

    pub fn with_flow_label(mut self, label: u32) -> Self {
        self.flow_label = label & 0x000f_ffff;
        self
    }

    pub fn packet(&self, next_header: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + payload.len());
        let first =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        out.extend_from_slice(&first.to_be_bytes());
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        out.push(next_header);
        out.push(self.hop_limit);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
        out.extend_from_slice(payload);
        out
    }
}

/// Either IP version; the TCP/UDP builders are generic over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpHeader {
    V4(Ipv4Header),
    V6(Ipv6Header),
}

impl IpHeader {
    pub fn header_len(&self) -> usize {
        match self {
            IpHeader::V4(_) => 20,
            IpHeader::V6(_) => 40,
        }
    }

    pub fn ethertype(&self) -> u16 {
        match self {
            IpHeader::V4(_) => ETHERTYPE_IPV4,
            IpHeader::V6(_) => ETHERTYPE_IPV6,
        }
    }

    /// Running sum of the pseudo-header for an upper-layer segment of `l4_len` bytes.
    pub fn pseudo_header_sum(&self, protocol: u8, l4_len: usize) -> u32 {
        match self {
            IpHeader::V4(h) => {
                let mut acc = checksum::sum_words(0, &h.src.octets());
                acc = checksum::sum_words(acc, &h.dst.octets());
                acc = checksum::sum_words(acc, &[0, protocol]);
                checksum::sum_words(acc, &(l4_len as u16).to_be_bytes())
            }
            IpHeader::V6(h) => {
                let mut acc = checksum::sum_words(0, &h.src.octets());
                acc = checksum::sum_words(acc, &h.dst.octets());
                acc = checksum::sum_words(acc, &(l4_len as u32).to_be_bytes());
                checksum::sum_words(acc, &[0, 0, 0, protocol])
            }
        }
    }

    pub fn packet(&self, protocol: u8, payload: &[u8]) -> Vec<u8> {
        match self {
            IpHeader::V4(h) => h.packet(protocol, payload),
            IpHeader::V6(h) => h.packet(protocol, payload),
        }
    }

    /// The same header with source and destination swapped (the reverse
    /// direction of a flow); IPv4 ID and flow label are kept.
    pub fn reversed(&self) -> Self {
        match *self {
            IpHeader::V4(h) => IpHeader::V4(Ipv4Header { src: h.dst, dst: h.src, ..h }),
            IpHeader::V6(h) => IpHeader::V6(Ipv6Header { src: h.dst, dst: h.src, ..h }),
        }
    }

    /// Sets the IPv4 identification (no-op for IPv6, which has none in its base header).
    pub fn set_id(&mut self, id: u16) {
        if let IpHeader::V4(h) = self {
            h.id = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let h = Ipv4Header::new(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 19, 0, 1))
            .with_id(0x1234);
        let p = h.packet(PROTO_UDP, &[0; 8]);
        assert_eq!(p.len(), 28);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 28);
        assert_eq!(p[6] & 0x40, 0x40, "DF");
        assert_eq!(checksum::checksum(&p[..20]), 0);
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut h = Ipv4Header::new(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 19, 0, 1));
        h.dont_fragment = false;
        h.more_fragments = true;
        h.fragment_offset = 185;
        let p = h.packet(PROTO_UDP, &[0; 16]);
        assert_eq!(u16::from_be_bytes([p[6], p[7]]), 0x2000 | 185);
    }

    #[test]
    fn ipv6_payload_length_and_version() {
        let h = Ipv6Header::new("2001:2::1".parse().unwrap(), "2001:2::2".parse().unwrap())
            .with_flow_label(0xabcde);
        let p = h.packet(PROTO_TCP, &[0; 20]);
        assert_eq!(p.len(), 60);
        assert_eq!(p[0] >> 4, 6);
        assert_eq!(u16::from_be_bytes([p[4], p[5]]), 20);
        assert_eq!(p[6], PROTO_TCP);
        assert_eq!(u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0xfffff, 0xabcde);
    }
}
