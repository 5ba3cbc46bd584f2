//! GTP-U v1 (3GPP TS 29.281) over IPv4/UDP port 2152, with the PDU Session
//! Container extension header (TS 38.415) that N3 traffic carries.

use super::ip::{IpHeader, Ipv4Header};
use super::udp::udp_datagram;

pub const GTPU_PORT: u16 = 2152;
const MSG_ECHO_REQUEST: u8 = 1;
const MSG_ECHO_RESPONSE: u8 = 2;
const MSG_GPDU: u8 = 0xff;
const EXT_PDU_SESSION_CONTAINER: u8 = 0x85;
const IE_RECOVERY: u8 = 14;

/// PDU type of the PDU Session Container: downlink (UPF to gNB, type 0) or
/// uplink (gNB to UPF, type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduSessionDirection {
    Downlink,
    Uplink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtpuTunnel {
    /// Outer header of this direction (UPF->gNB for downlink).
    pub outer: Ipv4Header,
    pub teid: u32,
    pub direction: PduSessionDirection,
    pub qfi: u8,
}

impl GtpuTunnel {
    /// Length the encapsulation adds in front of the inner IP packet:
    /// outer IPv4 (20) + UDP (8) + GTP-U (8) + optional fields (4) + PDU
    /// session container (4).
    pub const OVERHEAD: usize = 20 + 8 + 8 + 4 + 4;

    /// An outer IPv4 packet carrying `inner_ip` as a G-PDU.
    pub fn encapsulate(&self, inner_ip: &[u8]) -> Vec<u8> {
        let mut gtp = Vec::with_capacity(16 + inner_ip.len());
        // Version 1, PT=1, E=1 (extension header follows), S=0, PN=0.
        gtp.push(0x34);
        gtp.push(MSG_GPDU);
        // Length: everything after the 8 mandatory bytes.
        gtp.extend_from_slice(&((8 + inner_ip.len()) as u16).to_be_bytes());
        gtp.extend_from_slice(&self.teid.to_be_bytes());
        gtp.extend_from_slice(&[0, 0, 0, EXT_PDU_SESSION_CONTAINER]); // seq, N-PDU, next ext
        let pdu_type = match self.direction {
            PduSessionDirection::Downlink => 0u8,
            PduSessionDirection::Uplink => 1u8,
        };
        // Extension: length 1 (x4 bytes), PDU type in the high nibble, QFI, next ext = none.
        gtp.extend_from_slice(&[1, pdu_type << 4, self.qfi & 0x3f, 0]);
        gtp.extend_from_slice(inner_ip);
        udp_datagram(&IpHeader::V4(self.outer), GTPU_PORT, GTPU_PORT, &gtp)
    }
}

/// A GTP-U Echo Request or Echo Response (path management, TEID 0) as an
/// outer IPv4 packet. The response carries the Recovery IE the spec requires.
pub fn gtpu_echo(outer: &Ipv4Header, response: bool, sequence: u16) -> Vec<u8> {
    let mut gtp = Vec::with_capacity(14);
    gtp.push(0x32); // version 1, PT=1, S=1
    gtp.push(if response { MSG_ECHO_RESPONSE } else { MSG_ECHO_REQUEST });
    let len: u16 = if response { 4 + 2 } else { 4 };
    gtp.extend_from_slice(&len.to_be_bytes());
    gtp.extend_from_slice(&0u32.to_be_bytes());
    gtp.extend_from_slice(&sequence.to_be_bytes());
    gtp.extend_from_slice(&[0, 0]);
    if response {
        gtp.extend_from_slice(&[IE_RECOVERY, 0]);
    }
    udp_datagram(&IpHeader::V4(*outer), GTPU_PORT, GTPU_PORT, &gtp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn tunnel(direction: PduSessionDirection) -> GtpuTunnel {
        GtpuTunnel {
            outer: Ipv4Header::new(Ipv4Addr::new(198, 18, 255, 1), Ipv4Addr::new(198, 19, 255, 1)),
            teid: 0x1000_0001,
            direction,
            qfi: 9,
        }
    }

    #[test]
    fn gpdu_layout() {
        let inner = [0x45u8; 40];
        let p = tunnel(PduSessionDirection::Uplink).encapsulate(&inner);
        assert_eq!(p.len(), GtpuTunnel::OVERHEAD + inner.len());
        let udp = &p[20..28];
        assert_eq!(u16::from_be_bytes([udp[0], udp[1]]), GTPU_PORT);
        assert_eq!(u16::from_be_bytes([udp[2], udp[3]]), GTPU_PORT);
        let gtp = &p[28..];
        assert_eq!(gtp[0], 0x34);
        assert_eq!(gtp[1], 0xff);
        assert_eq!(u16::from_be_bytes([gtp[2], gtp[3]]) as usize, 8 + inner.len());
        assert_eq!(u32::from_be_bytes([gtp[4], gtp[5], gtp[6], gtp[7]]), 0x1000_0001);
        assert_eq!(gtp[11], 0x85);
        assert_eq!(&gtp[12..16], &[1, 0x10, 9, 0]);
        assert_eq!(&gtp[16..], &inner);
    }

    #[test]
    fn echo_response_has_recovery_ie() {
        let outer = tunnel(PduSessionDirection::Downlink).outer;
        let p = gtpu_echo(&outer, true, 7);
        let gtp = &p[28..];
        assert_eq!(gtp[1], 2);
        assert_eq!(u16::from_be_bytes([gtp[2], gtp[3]]), 6);
        assert_eq!(&gtp[12..14], &[14, 0]);
    }
}
