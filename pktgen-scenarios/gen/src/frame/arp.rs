//! ARP for IPv4 over Ethernet (RFC 826).

use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpOp {
    Request = 1,
    Reply = 2,
}

/// The 28-byte ARP body (Ethernet payload with ethertype 0x0806).
pub fn arp_packet(
    op: ArpOp,
    sender_mac: [u8; 6],
    sender_ip: Ipv4Addr,
    target_mac: [u8; 6],
    target_ip: Ipv4Addr,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(28);
    out.extend_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    out.extend_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    out.push(6);
    out.push(4);
    out.extend_from_slice(&(op as u16).to_be_bytes());
    out.extend_from_slice(&sender_mac);
    out.extend_from_slice(&sender_ip.octets());
    out.extend_from_slice(&target_mac);
    out.extend_from_slice(&target_ip.octets());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let p = arp_packet(
            ArpOp::Request,
            [2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(198, 18, 0, 1),
            [0; 6],
            Ipv4Addr::new(198, 18, 0, 2),
        );
        assert_eq!(p.len(), 28);
        assert_eq!(&p[6..8], &[0, 1]);
        assert_eq!(&p[14..18], &[198, 18, 0, 1]);
        assert_eq!(&p[24..28], &[198, 18, 0, 2]);
    }
}
