//! UDP datagrams (RFC 768) with the checksum computed (mandatory over IPv6).

use super::ip::{IpHeader, PROTO_UDP};
use crate::checksum;

/// The UDP header plus payload, checksum filled in for `ip`.
pub fn udp_segment(ip: &IpHeader, src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let acc = ip.pseudo_header_sum(PROTO_UDP, len);
    let mut c = checksum::finish(checksum::sum_words(acc, &out));
    if c == 0 {
        // 0 means "no checksum" in UDP; a computed zero is sent as all ones.
        c = 0xffff;
    }
    out[6..8].copy_from_slice(&c.to_be_bytes());
    out
}

/// A whole IP packet carrying one UDP datagram.
pub fn udp_datagram(ip: &IpHeader, src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    ip.packet(PROTO_UDP, &udp_segment(ip, src_port, dst_port, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::ip::Ipv4Header;
    use std::net::Ipv4Addr;

    #[test]
    fn udp_checksum_verifies() {
        let ip = IpHeader::V4(Ipv4Header::new(
            Ipv4Addr::new(198, 19, 0, 2),
            Ipv4Addr::new(198, 18, 0, 53),
        ));
        let seg = udp_segment(&ip, 5353, 53, b"query");
        assert_eq!(u16::from_be_bytes([seg[4], seg[5]]), 13);
        let acc = ip.pseudo_header_sum(PROTO_UDP, seg.len());
        assert_eq!(checksum::finish(checksum::sum_words(acc, &seg)), 0);
    }
}
