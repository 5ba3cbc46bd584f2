//! Shared test helpers: an independent full checksum verification.
#![allow(dead_code)]

use wire::{checksum, parse, IpAddress, Parsed, TunnelKind};

pub const V6A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const V6B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
pub const V6C: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const V6D: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn ipv4_header_ok(frame: &[u8], l3: usize) -> bool {
    if frame[l3] >> 4 != 4 {
        return true;
    }
    let hl = usize::from(frame[l3] & 0xf) * 4;
    checksum::fold(checksum::sum(&frame[l3..l3 + hl])) == 0xffff
}

fn addrs(frame: &[u8], l3: usize) -> (IpAddress, IpAddress) {
    if frame[l3] >> 4 == 4 {
        (
            IpAddress::V4(frame[l3 + 12..l3 + 16].try_into().unwrap()),
            IpAddress::V4(frame[l3 + 16..l3 + 20].try_into().unwrap()),
        )
    } else {
        (
            IpAddress::V6(frame[l3 + 8..l3 + 24].try_into().unwrap()),
            IpAddress::V6(frame[l3 + 24..l3 + 40].try_into().unwrap()),
        )
    }
}

fn l4_ok(seg: &[u8], src: &IpAddress, dst: &IpAddress, proto: u8) -> bool {
    let s = checksum::add(
        checksum::pseudo_header(src, dst, proto, seg.len() as u32),
        checksum::sum(seg),
    );
    checksum::fold(s) == 0xffff
}

/// End of the IP packet at `l3` (padding excluded).
fn ip_end(frame: &[u8], l3: usize) -> usize {
    let v = frame[l3] >> 4;
    if v == 4 {
        l3 + usize::from(u16::from_be_bytes([frame[l3 + 2], frame[l3 + 3]]))
    } else {
        l3 + 40 + usize::from(u16::from_be_bytes([frame[l3 + 4], frame[l3 + 5]]))
    }
}

/// Every IP, TCP, UDP and GRE checksum in `frame` is correct, computed in
/// full (a zero UDP checksum over IPv4 counts as "not used").
pub fn checksums_ok(frame: &[u8]) -> bool {
    let p: Parsed = parse(frame);
    assert_eq!(p.error, None, "frame must parse to check its checksums");
    let mut ok = true;
    let inner_l3 = p.inner_l3.unwrap();
    ok &= ipv4_header_ok(frame, inner_l3);
    if let (Some(l4), Some(flow)) = (p.l4, p.inner) {
        let end = ip_end(frame, inner_l3);
        let (s, d) = addrs(frame, inner_l3);
        let seg = &frame[l4..end];
        let zero_udp_v4 = flow.proto == 17 && s.is_ipv4() && seg[6..8] == [0, 0];
        if !zero_udp_v4 {
            ok &= l4_ok(seg, &s, &d, flow.proto);
        }
    }
    if let Some(t) = p.tunnel {
        let outer = p.outer_l3.unwrap();
        ok &= ipv4_header_ok(frame, outer);
        let end = ip_end(frame, outer);
        if let Some(u) = t.outer_udp {
            let seg = &frame[u..end];
            if !(t.outer_src.is_ipv4() && seg[6..8] == [0, 0]) {
                ok &= l4_ok(seg, &t.outer_src, &t.outer_dst, 17);
            }
        }
        if let TunnelKind::Gre { checksum_present: true, .. } = t.kind {
            ok &= checksum::fold(checksum::sum(&frame[t.header..end])) == 0xffff;
        }
    }
    ok
}
