//! Property tests: parse(build(x)) == x; incremental checksums after any
//! sequence of rewrites equal a full recomputation; no input makes parse,
//! rewrite or build panic (the stable-toolchain stand-in for cargo-fuzz).

mod fixtures {
    #![allow(dead_code)]
    include!("fixtures.in");
}
mod support;

use proptest::prelude::*;
use support::checksums_ok;
use wire::finalize::{finalize, Layout};
use wire::gtpu::GtpuRepr;
use wire::{
    parse, rewrite, EncapRepr, EthernetRepr, FrameRepr, IpAddress, L4Repr, TcpOptions, TcpRepr,
    TunnelKind, TunnelRepr, VlanStack,
};

fn addr_pair(v6: bool, net: u8) -> (IpAddress, IpAddress) {
    if v6 {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[5] = net;
        let mut b = a;
        a[15] = 1;
        b[15] = 2;
        (IpAddress::V6(a), IpAddress::V6(b))
    } else {
        (IpAddress::V4([198, 18, net, 1]), IpAddress::V4([198, 19, net, 2]))
    }
}

fn options() -> impl Strategy<Value = TcpOptions> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(0u8..15),
        any::<bool>(),
        proptest::option::of(any::<(u32, u32)>()),
        proptest::collection::vec(any::<(u32, u32)>(), 0..=4),
    )
        .prop_map(|(mss, wscale, sack_perm, ts, sack)| {
            let mut o = TcpOptions { mss, wscale, sack_perm, ts, ..TcpOptions::EMPTY };
            for b in sack {
                o.sack[usize::from(o.sack_len)] = b;
                o.sack_len += 1;
                if wire::tcp_options::options_len(&o) > 40 {
                    o.sack_len -= 1;
                    o.sack[usize::from(o.sack_len)] = (0, 0);
                    break;
                }
            }
            o
        })
}

fn tcp_repr() -> impl Strategy<Value = TcpRepr> {
    (any::<u16>(), any::<u16>(), any::<u32>(), any::<u32>(), any::<u8>(), any::<u16>(), options())
        .prop_map(|(src_port, dst_port, seq, ack, flags, window, options)| TcpRepr {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window,
            options,
        })
}

#[derive(Debug, Clone)]
struct Case {
    vlans: Vec<u16>,
    tunnel: Option<(bool, u8)>, // (outer v6, kind selector)
    inner_v6: bool,
    encap_bits: (u32, u8, u8, bool, bool),
    tcp: Option<TcpRepr>,
    payload: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(0u16..4096, 0..=2),
        proptest::option::of((any::<bool>(), 0u8..6)),
        any::<bool>(),
        (any::<u32>(), 0u8..2, 0u8..64, any::<bool>(), any::<bool>()),
        proptest::option::of(tcp_repr()),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(vlans, tunnel, inner_v6, encap_bits, tcp, payload)| Case {
            vlans,
            tunnel,
            inner_v6,
            encap_bits,
            tcp,
            payload,
        })
}

const INNER_ETH: EthernetRepr = EthernetRepr { dst: [2, 0, 0, 0, 1, 1], src: [2, 0, 0, 0, 1, 2] };

fn encap(sel: u8, (id, pdu_type, qfi, flag_a, flag_b): (u32, u8, u8, bool, bool)) -> EncapRepr {
    match sel {
        0 | 1 => EncapRepr::Gtpu {
            gtpu: GtpuRepr {
                msg_type: 255,
                teid: id,
                seq: if flag_b { Some(id as u16) } else { None },
                pdu_session: if sel == 1 { Some((pdu_type, qfi)) } else { None },
            },
            udp_checksum: flag_a,
        },
        2 => EncapRepr::Vxlan { vni: id & 0xff_ffff, inner_eth: INNER_ETH, udp_checksum: flag_a },
        3 => EncapRepr::Gre { key: Some(id), seq: None, checksum: flag_a, inner_eth: None },
        4 => EncapRepr::Gre {
            key: None,
            seq: Some(id),
            checksum: flag_b,
            inner_eth: Some(INNER_ETH),
        },
        _ => EncapRepr::Gre { key: None, seq: None, checksum: false, inner_eth: None },
    }
}

fn build(c: &Case, out: &mut [u8]) -> usize {
    let (src, dst) = addr_pair(c.inner_v6, 1);
    let tunnel = c.tunnel.map(|(v6, sel)| {
        let (outer_src, outer_dst) = addr_pair(v6, 2);
        TunnelRepr { outer_src, outer_dst, encap: encap(sel, c.encap_bits) }
    });
    let l4 = match c.tcp {
        Some(t) => L4Repr::Tcp(t),
        None => L4Repr::Udp { src_port: 5000, dst_port: 6000 },
    };
    let r = FrameRepr {
        eth: EthernetRepr { dst: [2, 0, 0, 0, 0, 1], src: [2, 0, 0, 0, 0, 2] },
        vlans: VlanStack::from_slice(&c.vlans).unwrap(),
        tunnel,
        src,
        dst,
        ttl: 64,
        l4,
        payload: &c.payload,
    };
    r.emit(out).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Ack(u32),
    Seq(u32),
    Window(u16),
    AckWindow(u32, u16),
    Ts(u32, u32),
    Sack(Vec<(u32, u32)>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u32>().prop_map(Op::Ack),
        any::<u32>().prop_map(Op::Seq),
        any::<u16>().prop_map(Op::Window),
        any::<(u32, u16)>().prop_map(|(a, w)| Op::AckWindow(a, w)),
        any::<(u32, u32)>().prop_map(|(a, b)| Op::Ts(a, b)),
        proptest::collection::vec(any::<(u32, u32)>(), 0..=4).prop_map(Op::Sack),
    ]
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N runs a deeper search.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn parse_of_build_is_identity(c in case()) {
        let mut out = [0u8; 1024];
        let n = build(&c, &mut out);
        let p = parse(&out[..n]);
        prop_assert_eq!(p.error, None);
        prop_assert_eq!(p.vlans.as_slice(), &c.vlans[..]);
        let (src, dst) = addr_pair(c.inner_v6, 1);
        let f = p.inner.unwrap();
        prop_assert_eq!((f.src, f.dst), (src, dst));
        match c.tcp {
            Some(t) => {
                let i = p.tcp.unwrap();
                prop_assert_eq!((f.proto, f.sport, f.dport), (6, t.src_port, t.dst_port));
                prop_assert_eq!((i.seq, i.ack, i.flags, i.window), (t.seq, t.ack, t.flags, t.window));
                prop_assert_eq!(i.opts.without_positions(), t.options);
                prop_assert_eq!(usize::from(i.payload_len), c.payload.len());
            }
            None => {
                prop_assert_eq!((f.proto, f.sport, f.dport), (17, 5000, 6000));
                prop_assert!(p.tcp.is_none());
            }
        }
        prop_assert_eq!(p.payload.map(|(o, l)| &out[o..o + l]), Some(&c.payload[..]));
        match (c.tunnel, p.tunnel) {
            (None, None) => {}
            (Some((v6, sel)), Some(t)) => {
                let (os, od) = addr_pair(v6, 2);
                prop_assert_eq!((t.outer_src, t.outer_dst), (os, od));
                let (id, pdu_type, qfi, _, flag_b) = c.encap_bits;
                match (sel, t.kind) {
                    (0 | 1, TunnelKind::Gtpu { teid, qfi: q, pdu_type: pt, msg_type }) => {
                        prop_assert_eq!((teid, msg_type), (id, 255));
                        let want = if sel == 1 { (Some(qfi), Some(pdu_type)) } else { (None, None) };
                        prop_assert_eq!((q, pt), want);
                    }
                    (2, TunnelKind::Vxlan { vni }) => prop_assert_eq!(vni, id & 0xff_ffff),
                    (3, TunnelKind::Gre { key, .. }) => prop_assert_eq!(key, Some(id)),
                    (4, TunnelKind::Gre { seq, checksum_present, protocol, .. }) => {
                        prop_assert_eq!((seq, checksum_present, protocol), (Some(id), flag_b, 0x6558));
                    }
                    (5, TunnelKind::Gre { key: None, seq: None, .. }) => {}
                    (s, k) => prop_assert!(false, "selector {} parsed as {:?}", s, k),
                }
            }
            (a, b) => prop_assert!(false, "tunnel {:?} parsed as {:?}", a, b),
        }
        prop_assert!(checksums_ok(&out[..n]));
    }

    #[test]
    fn incremental_checksums_equal_full_recomputation(
        mut c in case(),
        t in tcp_repr(),
        ops in proptest::collection::vec(op(), 1..8),
    ) {
        c.tcp = Some(t);
        let mut frame = [0u8; 1024];
        let n = build(&c, &mut frame);
        let frame = &mut frame[..n];
        let p = parse(frame);
        prop_assert_eq!(p.error, None);
        for o in &ops {
            let r = match o {
                Op::Ack(a) => rewrite::set_ack(frame, &p, *a),
                Op::Seq(s) => rewrite::set_seq(frame, &p, *s),
                Op::Window(w) => rewrite::set_window(frame, &p, *w),
                Op::AckWindow(a, w) => rewrite::set_ack_and_window(frame, &p, *a, *w),
                Op::Ts(v, e) => rewrite::set_timestamps(frame, &p, *v, *e),
                Op::Sack(b) => rewrite::set_sack_blocks(frame, &p, b),
            };
            // Refusals are allowed only for options the segment lacks.
            if let Err(e) = r {
                prop_assert!(matches!(
                    e,
                    rewrite::RewriteError::NoTimestamps | rewrite::RewriteError::NoSack | rewrite::RewriteError::TooManySackBlocks
                ), "{:?}", e);
            }
        }
        let mut full = frame.to_vec();
        let layout = Layout::from_parsed(frame, &p).unwrap();
        finalize(&mut full, &layout).unwrap();
        prop_assert_eq!(&full[..], &frame[..]);
        prop_assert!(checksums_ok(frame));
        // The last value written is what a fresh parse sees.
        let q = parse(frame);
        prop_assert_eq!(q.error, None);
        if let Some(Op::AckWindow(a, w)) = ops.last() {
            prop_assert_eq!((q.tcp.unwrap().ack, q.tcp.unwrap().window), (*a, *w));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..7,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let base = [
            fixtures::VLAN_IPV4_ACK_TS_SACK,
            fixtures::IPV6_HBH_SYN,
            fixtures::GTPU_PSC_IPV4_TCP,
            fixtures::GTPU_V6_PLAIN_IPV6_TCP,
            fixtures::VXLAN_IPV4_UDP,
            fixtures::GRE_KEY_IPV6_TCP,
            fixtures::QINQ_ARP,
        ][which];
        let mut f = base.to_vec();
        for (at, v) in flips {
            let i = at % f.len();
            f[i] = v;
        }
        f.truncate(cut % (f.len() + 1));
        exercise(&f);
    }
}

/// Runs everything a packet may go through (the cargo-fuzz target bodies,
/// plus a stale `Parsed` applied to a shorter frame).
fn exercise(bytes: &[u8]) {
    wire::fuzzing::check_parse(bytes);
    let mut with_params = vec![0x5a; 16];
    with_params.extend_from_slice(bytes);
    wire::fuzzing::check_rewrite(&with_params);
    wire::fuzzing::check_rewrite(bytes);
    let p = parse(bytes);
    let mut f = bytes.to_vec();
    let short = &mut f[..bytes.len() / 2];
    let _ = rewrite::set_ack_and_window(short, &p, 1, 2);
    let _ = rewrite::set_sack_blocks(short, &p, &[]);
    let _ = rewrite::set_timestamps(short, &p, 1, 2);
}

/// The committed fuzz seed corpus passes the fuzz checks.
#[test]
fn fuzz_seed_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seen = 0;
    for (target, check) in [
        ("parse", wire::fuzzing::check_parse as fn(&[u8])),
        ("rewrite", wire::fuzzing::check_rewrite),
    ] {
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            check(&std::fs::read(entry.unwrap().path()).unwrap());
            seen += 1;
        }
    }
    assert!(seen >= 14, "seed corpus missing ({seen} files)");
}
