//! Flow table against a `HashMap` model: random packet / remove / time
//! advance sequences over a small key pool and a small capacity, so the
//! table fills up, refuses flows, ages them out and recycles slots. A
//! "colliding" hash mode squeezes all keys onto a few hash values to
//! exercise probing and backward-shift deletion.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flow::{
    FlowKey, FlowState, FlowTable, FlowTableConfig, PacketInfo, Side, TableFull, Timeouts,
    TopFlowsScanner,
};
use proptest::prelude::*;

const CAPACITY: usize = 12;
const UDP_TIMEOUT_NS: u64 = 2_000_000_000;
const OTHER_TIMEOUT_NS: u64 = 5_000_000_000;
const MS: u64 = 1_000_000;

#[derive(Debug, Clone)]
enum Op {
    Packet { key: usize, reverse: bool, from_core: bool, len: u32 },
    Remove { key: usize },
    Advance { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..24, any::<bool>(), any::<bool>(), 40u32..1500)
            .prop_map(|(key, reverse, from_core, len)| Op::Packet { key, reverse, from_core, len }),
        1 => (0usize..24).prop_map(|key| Op::Remove { key }),
        2 => prop_oneof![0u64..50, 500u64..3000, 4000u64..7000].prop_map(|ms| Op::Advance { ms }),
    ]
}

/// Key pool: UDP over IPv4, IPv6 and GTP-U, plus a non-TCP/UDP protocol
/// (ICMP) so two different timeouts are in play.
fn tuple(i: usize) -> (IpAddr, IpAddr, u8, u16, u16, Option<(IpAddr, IpAddr)>) {
    let n = i as u8;
    let proto = if i % 5 == 4 { 1 } else { 17 };
    match i % 3 {
        0 => (
            IpAddr::V4(Ipv4Addr::new(198, 18, 0, n)),
            IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
            proto,
            1000 + i as u16,
            53,
            None,
        ),
        1 => (
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(n))),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 1, 1)),
            proto,
            2000,
            2000 + i as u16,
            None,
        ),
        _ => (
            IpAddr::V4(Ipv4Addr::new(198, 18, 1, n)),
            IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
            proto,
            40000,
            443,
            Some((
                IpAddr::V4(Ipv4Addr::new(198, 18, 255, 1)),
                IpAddr::V4(Ipv4Addr::new(198, 18, 255, n)),
            )),
        ),
    }
}

fn packet_key(i: usize, reverse: bool) -> (FlowKey, Side) {
    let (a, b, proto, pa, pb, tun) = tuple(i);
    if reverse {
        FlowKey::from_packet(b, a, proto, pb, pa, [0, 0], tun.map(|(x, y)| (y, x)))
    } else {
        FlowKey::from_packet(a, b, proto, pa, pb, [0, 0], tun)
    }
}

#[derive(Debug, Clone, Copy)]
struct ModelFlow {
    last_seen: u64,
    timeout: u64,
    core_side: Side,
    packets: [u64; 2],
    bytes: [u64; 2],
    teid: [Option<u32>; 2],
}

fn run(ops: Vec<Op>, colliding: bool) {
    let config = FlowTableConfig {
        capacity: CAPACITY,
        aging_tick_ms: 1,
        timeouts: Timeouts {
            udp_s: (UDP_TIMEOUT_NS / 1_000_000_000) as u32,
            other_s: (OTHER_TIMEOUT_NS / 1_000_000_000) as u32,
            ..Timeouts::default()
        },
    };
    let start = 1_000 * MS;
    let mut now = start;
    let mut table: FlowTable<usize> = FlowTable::new(&config, now);
    let mut model: HashMap<FlowKey, ModelFlow> = HashMap::new();
    let hash_of = |k: &FlowKey| {
        if colliding {
            k.symmetric_hash() & 3
        } else {
            k.symmetric_hash()
        }
    };
    let mut refused = 0u64;
    let mut expired_total = 0u64;
    for op in ops {
        match op {
            Op::Packet { key: i, reverse, from_core, len } => {
                let (key, side) = packet_key(i, reverse);
                // Tunnelled keys carry a TEID per direction.
                let teid = key.tunnel().map(|_| (i as u32) << 1 | reverse as u32);
                let pkt = PacketInfo { side, from_core, len, tcp_flags: None, teid };
                let res = table.track(&key, hash_of(&key), &pkt, now, || i);
                match (model.get_mut(&key), res) {
                    (Some(m), Ok((id, created))) => {
                        assert!(!created);
                        m.last_seen = now;
                        m.packets[side.index()] += 1;
                        m.bytes[side.index()] += u64::from(len);
                        if teid.is_some() {
                            m.teid[side.index()] = teid;
                        }
                        assert_eq!(table.get(id).unwrap().value, i);
                    }
                    (None, Ok((id, created))) => {
                        assert!(created);
                        assert!(model.len() < CAPACITY);
                        let mut m = ModelFlow {
                            last_seen: now,
                            timeout: if key.proto() == 17 {
                                UDP_TIMEOUT_NS
                            } else {
                                OTHER_TIMEOUT_NS
                            },
                            core_side: if from_core { side } else { side.opposite() },
                            packets: [0; 2],
                            bytes: [0; 2],
                            teid: [None; 2],
                        };
                        m.packets[side.index()] = 1;
                        m.bytes[side.index()] = u64::from(len);
                        m.teid[side.index()] = teid;
                        model.insert(key, m);
                        let e = table.get(id).unwrap();
                        assert_eq!(e.opener(), side);
                        assert_eq!(e.created_ns(), now);
                    }
                    (None, Err(TableFull)) => {
                        assert_eq!(model.len(), CAPACITY);
                        refused += 1;
                    }
                    (Some(_), Err(TableFull)) => panic!("existing flow refused"),
                }
            }
            Op::Remove { key: i } => {
                let (key, _) = packet_key(i, false);
                let found = table.lookup(&key, hash_of(&key));
                match (model.remove(&key), found) {
                    (Some(_), Some(id)) => {
                        let e = table.remove(id).unwrap();
                        assert_eq!(*e.key(), key);
                        assert!(table.get(id).is_none(), "stale id must not resolve");
                        assert!(table.remove(id).is_none());
                    }
                    (None, None) => {}
                    (m, t) => panic!("model {m:?} vs table {t:?}"),
                }
            }
            Op::Advance { ms } => {
                now += ms * MS;
                let mut expired = Vec::new();
                assert!(table.expire(now, usize::MAX, |_, e| expired.push(*e.key())));
                let mut due: Vec<FlowKey> = model
                    .iter()
                    .filter(|(_, m)| m.last_seen + m.timeout <= now)
                    .map(|(k, _)| *k)
                    .collect();
                for k in &due {
                    model.remove(k);
                }
                let order = |a: &FlowKey, b: &FlowKey| a.to_string().cmp(&b.to_string());
                expired.sort_by(order);
                due.sort_by(order);
                assert_eq!(expired, due);
                expired_total += due.len() as u64;
            }
        }
        // Full agreement after every step.
        assert_eq!(table.len(), model.len());
        for (key, m) in &model {
            let id = table.lookup(key, hash_of(key)).expect("model flow missing from table");
            let e = table.get(id).unwrap();
            assert_eq!(e.key(), key);
            assert_eq!(e.last_seen_ns(), m.last_seen);
            assert_eq!(e.core_side(), m.core_side);
            for side in [Side::A, Side::B] {
                let c = e.counters(side);
                assert_eq!((c.packets, c.bytes), (m.packets[side.index()], m.bytes[side.index()]));
                assert_eq!(e.teid(side), m.teid[side.index()]);
            }
        }
        assert_eq!(table.iter().count(), model.len());
        let stats = table.stats();
        assert_eq!(stats.active, model.len() as u64);
        assert_eq!(stats.table_full, refused);
        assert_eq!(stats.expired, expired_total);
        assert_eq!(stats.by_state.iter().sum::<u64>(), stats.active);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn table_matches_hashmap_model(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, false);
    }

    #[test]
    fn table_matches_model_under_hash_collisions(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, true);
    }
}

fn tcp_key(port: u16) -> (FlowKey, Side) {
    FlowKey::from_packet(
        IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)),
        IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
        6,
        port,
        80,
        [0, 0],
        None,
    )
}

#[test]
fn candidate_memory_covers_the_entry_a_lookup_reads() {
    let config = FlowTableConfig { capacity: 64, ..FlowTableConfig::default() };
    let mut table: FlowTable<[u64; 40]> = FlowTable::new(&config, 0);
    let pkt = |side| PacketInfo { side, from_core: true, len: 60, tcp_flags: None, teid: None };
    let (k, s) = tcp_key(1);
    let h = k.symmetric_hash();
    assert!(table.candidate_memory(h).is_none(), "no bucket carries the hash of a new flow");
    let id = table.track(&k, h, &pkt(s), 0, || [0; 40]).unwrap().0;
    let (start, len) = table.candidate_memory(h).expect("the flow's bucket");
    let entry = table.get(id).unwrap();
    let (e_start, e_len) = (std::ptr::from_ref(entry) as usize, std::mem::size_of_val(entry));
    assert!(start as usize <= e_start && e_start + e_len <= start as usize + len);
    // The plain-load variant reads the same entry and changes nothing.
    table.prefetch_index(h);
    table.prefetch_entry(h);
    assert_eq!(table.get(id).unwrap().counters(s).packets, 1);
}

#[test]
fn scans_cover_the_used_slots_not_the_capacity() {
    // 1 M slots at 256 per step would take 4096 steps (~4 s at one step
    // per millisecond) before `jitterguard flows` showed anything.
    let config = FlowTableConfig { capacity: 1 << 20, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    let pkt = |side| PacketInfo { side, from_core: true, len: 60, tcp_flags: None, teid: None };
    let mut ids = Vec::new();
    for port in 0..3 {
        let (k, s) = tcp_key(port);
        ids.push(table.track(&k, k.symmetric_hash(), &pkt(s), 0, || ()).unwrap().0);
    }
    assert_eq!(table.scan_len(), 3);
    // A freed slot is the next one handed out: the scanned part stays put.
    assert!(table.remove(ids[1]).is_some());
    let (k, s) = tcp_key(9);
    table.track(&k, k.symmetric_hash(), &pkt(s), 0, || ()).unwrap();
    assert_eq!(table.scan_len(), 3);
    assert_eq!(table.iter().count(), 3);
    let mut scanner = TopFlowsScanner::new(5);
    assert!(scanner.step(&table, 256), "one step sweeps the 3 used slots");
    assert_eq!(scanner.ranked().len(), 3);
}

#[test]
fn capacity_exhaustion_refuses_new_flows_and_keeps_old_ones() {
    let config = FlowTableConfig { capacity: 100, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    let syn = |side| PacketInfo {
        side,
        from_core: true,
        len: 60,
        tcp_flags: Some(flow::tcp_flags::SYN),
        teid: None,
    };
    let mut ids = Vec::new();
    for port in 0..100 {
        let (k, s) = tcp_key(port);
        ids.push(table.track(&k, k.symmetric_hash(), &syn(s), 1, || ()).unwrap().0);
    }
    for port in 100..150 {
        let (k, s) = tcp_key(port);
        assert_eq!(table.track(&k, k.symmetric_hash(), &syn(s), 2, || ()), Err(TableFull));
    }
    assert_eq!(table.stats().table_full, 50);
    assert_eq!(table.len(), 100);
    // Existing flows are still found and counted.
    let (k, s) = tcp_key(7);
    let (id, created) = table.track(&k, k.symmetric_hash(), &syn(s), 3, || ()).unwrap();
    assert!(!created);
    assert_eq!(id, ids[7]);
    assert_eq!(table.get(id).unwrap().counters(s).packets, 2);
    // Freeing one slot admits exactly one new flow.
    table.remove(ids[0]).unwrap();
    let (k, s) = tcp_key(200);
    assert!(table.track(&k, k.symmetric_hash(), &syn(s), 4, || ()).is_ok());
    let (k, s) = tcp_key(201);
    assert!(table.track(&k, k.symmetric_hash(), &syn(s), 4, || ()).is_err());
}

#[test]
fn tcp_timeouts_follow_the_state() {
    use flow::tcp_flags::{ACK, FIN, SYN};
    let s = 1_000_000_000u64;
    let config = FlowTableConfig { capacity: 8, aging_tick_ms: 10, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    let pkt = |side, flags| PacketInfo {
        side,
        from_core: true,
        len: 60,
        tcp_flags: Some(flags),
        teid: None,
    };

    // Half-open flow: expires after the SYN timeout (10 s).
    let (half, hs) = tcp_key(1);
    table.track(&half, half.symmetric_hash(), &pkt(hs, SYN), 0, || ()).unwrap();
    // Established flow: SYN, SYN-ACK, ACK; lives 300 s.
    let (est, es) = tcp_key(2);
    table.track(&est, est.symmetric_hash(), &pkt(es, SYN), 0, || ()).unwrap();
    table.track(&est, est.symmetric_hash(), &pkt(es.opposite(), SYN | ACK), 0, || ()).unwrap();
    let (id, _) = table.track(&est, est.symmetric_hash(), &pkt(es, ACK), 0, || ()).unwrap();
    assert_eq!(table.get(id).unwrap().state(), FlowState::TcpEstablished);
    // Closing flow: FIN seen at 100 s, gone 10 s later.
    let (fin, fs) = tcp_key(3);
    table.track(&fin, fin.symmetric_hash(), &pkt(fs, ACK), 0, || ()).unwrap();

    let mut gone = Vec::new();
    table.expire(11 * s, usize::MAX, |_, e| gone.push(*e.key()));
    assert!(gone.contains(&half));
    assert!(!gone.contains(&est));
    assert!(!gone.contains(&fin), "mid-stream TCP counts as established");
    table
        .track(&fin, fin.symmetric_hash(), &pkt(fs.opposite(), FIN | ACK), 100 * s, || ())
        .unwrap();
    assert_eq!(table.stats().by_state[FlowState::TcpClosing.index()], 1);
    table.expire(109 * s, usize::MAX, |_, e| gone.push(*e.key()));
    assert!(!gone.contains(&fin));
    table.expire(111 * s, usize::MAX, |_, e| gone.push(*e.key()));
    assert!(gone.contains(&fin));
    table.expire(299 * s, usize::MAX, |_, e| gone.push(*e.key()));
    assert!(!gone.contains(&est));
    table.expire(301 * s, usize::MAX, |_, e| gone.push(*e.key()));
    assert!(gone.contains(&est));
    assert!(table.is_empty());
    assert_eq!(table.stats().expired, 3);
}

#[test]
fn core_side_is_taken_from_the_first_packet_port() {
    let config = FlowTableConfig { capacity: 4, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    let (k, s) = tcp_key(9);
    // First packet arrives from the access port: its sender is the receiver R.
    let pkt = PacketInfo {
        side: s,
        from_core: false,
        len: 60,
        tcp_flags: Some(flow::tcp_flags::ACK),
        teid: None,
    };
    let (id, _) = table.track(&k, k.symmetric_hash(), &pkt, 0, || ()).unwrap();
    assert_eq!(table.get(id).unwrap().core_side(), s.opposite());
    // A later packet flagged from_core does not change it.
    let later = PacketInfo { side: s, from_core: true, ..pkt };
    table.track(&k, k.symmetric_hash(), &later, 1, || ()).unwrap();
    assert_eq!(table.get(id).unwrap().core_side(), s.opposite());
}

#[test]
fn expiry_storm_is_spread_over_calls() {
    let config = FlowTableConfig { capacity: 1000, aging_tick_ms: 1, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    for port in 0..1000 {
        let (k, s) = tcp_key(port);
        let pkt = PacketInfo {
            side: s,
            from_core: true,
            len: 60,
            tcp_flags: Some(flow::tcp_flags::SYN),
            teid: None,
        };
        table.track(&k, k.symmetric_hash(), &pkt, 0, || ()).unwrap();
    }
    let mut n = 0;
    let mut calls = 1;
    while !table.expire(20_000_000_000, 300, |_, _| n += 1) {
        calls += 1;
    }
    assert_eq!(n, 1000);
    assert_eq!(calls, 4);
    assert!(table.is_empty());
}

#[test]
fn config_deserialises_with_defaults() {
    let c: FlowTableConfig =
        toml::from_str("capacity = 4096\n[timeouts]\ntcp_established_s = 600\n").unwrap();
    assert_eq!(c.capacity, 4096);
    assert_eq!(c.aging_tick_ms, 100);
    assert_eq!(c.timeouts.tcp_established_s, 600);
    assert_eq!(c.timeouts.udp_s, 60);
    let d: FlowTableConfig = toml::from_str("").unwrap();
    assert_eq!(d, FlowTableConfig::default());
    assert_eq!(d.capacity, 1 << 20);
    assert!(toml::from_str::<FlowTableConfig>("capacty = 1").is_err(), "typos are rejected");
}
