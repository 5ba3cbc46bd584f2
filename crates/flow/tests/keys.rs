//! Flow keys: both directions of a conversation map to one key and report
//! opposite sides; IPv6 and GTP-U keys behave the same way; everything that
//! identifies a different conversation gives a different key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flow::{FlowKey, Side};
use proptest::prelude::*;

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse::<Ipv6Addr>().unwrap())
}

#[test]
fn both_directions_give_one_key_and_opposite_sides() {
    let (s, r) = (v4([198, 18, 0, 10]), v4([198, 19, 1, 20]));
    let (k1, side1) = FlowKey::from_packet(s, r, 6, 40000, 5201, [0, 0], None);
    let (k2, side2) = FlowKey::from_packet(r, s, 6, 5201, 40000, [0, 0], None);
    assert_eq!(k1, k2);
    assert_eq!(side1, side2.opposite());
    assert_eq!(k1.symmetric_hash(), k2.symmetric_hash());
    assert_eq!(k1.endpoint(side1), (s, 40000));
    assert_eq!(k1.endpoint(side2), (r, 5201));
}

#[test]
fn ipv6_keys_are_symmetric_and_distinct_from_ipv4() {
    let (a, b) = (v6("2001:db8::1"), v6("2001:db8::2"));
    let (k1, s1) = FlowKey::from_packet(a, b, 6, 1000, 443, [0, 0], None);
    let (k2, s2) = FlowKey::from_packet(b, a, 6, 443, 1000, [0, 0], None);
    assert_eq!(k1, k2);
    assert_ne!(s1, s2);
    assert!(k1.is_ipv6());
    assert_eq!(k1.endpoint(s1), (a, 1000));
    // An IPv4 address whose bytes equal the IPv6 prefix must not collide.
    let (k4, _) = FlowKey::from_packet(
        v4([0x20, 0x01, 0x0d, 0xb8]),
        v4([0x20, 0x01, 0x0d, 0xb8]),
        6,
        1000,
        443,
        [0, 0],
        None,
    );
    assert_ne!(k1, k4);
    assert!(!k4.is_ipv6());
}

#[test]
fn gtpu_keys_use_the_outer_pair_in_either_order() {
    let (ue, server) = (v4([198, 18, 10, 1]), v4([198, 19, 0, 1]));
    let (gnb, upf) = (v4([198, 18, 255, 1]), v4([198, 18, 255, 2]));
    // Downlink: UPF -> gNB outer, server -> UE inner.
    let (down, s_down) = FlowKey::from_packet(server, ue, 6, 443, 50000, [0, 0], Some((upf, gnb)));
    // Uplink: gNB -> UPF outer, UE -> server inner.
    let (up, s_up) = FlowKey::from_packet(ue, server, 6, 50000, 443, [0, 0], Some((gnb, upf)));
    assert_eq!(down, up);
    assert_eq!(s_down, s_up.opposite());
    assert_eq!(down.symmetric_hash(), up.symmetric_hash());
    let (lo, hi) = down.tunnel().unwrap();
    assert_eq!((lo, hi), (gnb, upf));
    // The same inner 5-tuple in another tunnel (another gNB) is another flow,
    // and so is the untunnelled one.
    let other_gnb = v4([198, 18, 255, 9]);
    let (other, _) =
        FlowKey::from_packet(ue, server, 6, 50000, 443, [0, 0], Some((other_gnb, upf)));
    assert_ne!(up, other);
    let (plain, _) = FlowKey::from_packet(ue, server, 6, 50000, 443, [0, 0], None);
    assert_ne!(up, plain);
    assert!(plain.tunnel().is_none());
}

#[test]
fn gtpu_over_ipv6_outer_with_ipv4_inner() {
    let (ue, server) = (v4([198, 18, 10, 1]), v4([198, 19, 0, 1]));
    let (gnb, upf) = (v6("2001:db8:ff::1"), v6("2001:db8:ff::2"));
    let (k1, _) = FlowKey::from_packet(ue, server, 17, 1, 2, [0, 0], Some((gnb, upf)));
    let (k2, _) = FlowKey::from_packet(server, ue, 17, 2, 1, [0, 0], Some((upf, gnb)));
    assert_eq!(k1, k2);
    assert_eq!(k1.tunnel(), Some((gnb, upf)));
    assert!(!k1.is_ipv6());
}

#[test]
fn vlan_protocol_and_ports_separate_flows() {
    let (a, b) = (v4([198, 18, 0, 1]), v4([198, 18, 0, 2]));
    let base = FlowKey::from_packet(a, b, 6, 1, 2, [10, 0], None).0;
    assert_ne!(base, FlowKey::from_packet(a, b, 6, 1, 2, [11, 0], None).0);
    assert_ne!(base, FlowKey::from_packet(a, b, 6, 1, 2, [10, 20], None).0);
    assert_ne!(base, FlowKey::from_packet(a, b, 17, 1, 2, [10, 0], None).0);
    assert_ne!(base, FlowKey::from_packet(a, b, 6, 1, 3, [10, 0], None).0);
    assert_eq!(base.vlan(), [10, 0]);
}

#[test]
fn display_names_both_endpoints() {
    let (upf, gnb) = (v4([198, 18, 255, 2]), v4([198, 18, 255, 1]));
    let (k, _) = FlowKey::from_packet(
        v4([198, 18, 0, 9]),
        v4([198, 18, 0, 1]),
        6,
        1,
        2,
        [0, 0],
        Some((upf, gnb)),
    );
    assert_eq!(k.to_string(), "tcp 198.18.0.1:2 <-> 198.18.0.9:1 gtpu 198.18.255.1<->198.18.255.2");
    let (k6, _) =
        FlowKey::from_packet(v6("2001:db8::1"), v6("2001:db8::2"), 17, 5, 6, [7, 0], None);
    assert_eq!(k6.to_string(), "udp [2001:db8::1]:5 <-> [2001:db8::2]:6 vlan 7.0");
}

fn any_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

proptest! {
    #[test]
    fn reversal_is_symmetric_for_any_tuple(
        src in any_addr(), dst in any_addr(), proto in any::<u8>(),
        sport in any::<u16>(), dport in any::<u16>(), vlan in any::<[u16; 2]>(),
        tunnel in proptest::option::of((any_addr(), any_addr())),
    ) {
        let (k1, s1) = FlowKey::from_packet(src, dst, proto, sport, dport, vlan, tunnel);
        let (k2, s2) = FlowKey::from_packet(dst, src, proto, dport, sport, vlan, tunnel.map(|(a, b)| (b, a)));
        prop_assert_eq!(k1, k2);
        prop_assert_eq!(k1.symmetric_hash(), k2.symmetric_hash());
        if (src, sport) != (dst, dport) {
            prop_assert_eq!(s1, s2.opposite());
        }
        prop_assert_eq!(k1.proto(), proto);
        // Mixed families never come out of a parser; they still key
        // symmetrically (checked above) but cannot be turned back into
        // addresses of two families.
        prop_assume!(src.is_ipv4() == dst.is_ipv4());
        let (a, b) = (k1.endpoint(Side::A), k1.endpoint(Side::B));
        prop_assert!(a == (src, sport) || a == (dst, dport));
        prop_assert!(b == (src, sport) || b == (dst, dport));
    }
}
