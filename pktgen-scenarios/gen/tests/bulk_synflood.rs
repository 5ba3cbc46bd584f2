mod common;

use std::collections::HashSet;

use common::{decode, in_test_ranges, read_pcap, tmpdir};
use jg_scenario_gen::scenario::bulk::{self, BulkOptions, Mix};
use jg_scenario_gen::scenario::synflood;

fn bulk(
    flows: u32,
    packets: u64,
    mix: Mix,
    gtpu: bool,
    ipv6: bool,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let dir = tmpdir(&format!("bulk-{flows}-{mix}-{gtpu}-{ipv6}"));
    let o = BulkOptions { flows, mix, gtpu, ipv6, packets, seed: 3 };
    let s = bulk::generate(&dir, &o).unwrap();
    let core = read_pcap(&s.core_path).into_iter().map(|f| f.data).collect();
    let access = read_pcap(&s.access_path).into_iter().map(|f| f.data).collect();
    std::fs::remove_dir_all(&dir).unwrap();
    (core, access)
}

/// (addresses, ports) of the inner TCP connection, direction-independent.
fn conn_key(frame: &[u8]) -> String {
    let d = decode(frame);
    assert!(d.malformed.is_none(), "{:?}", d.malformed);
    let t = d.tcp.expect("tcp");
    assert!(t.checksum_ok);
    if let Some(ok) = d.ipv4_header_ok {
        assert!(ok);
    }
    if let Some(ok) = d.udp_checksum_ok {
        assert!(ok);
    }
    let (s, r) = match (d.inner_src, d.inner_dst) {
        (Some(s), Some(r)) => (s, r),
        _ => (d.src.unwrap(), d.dst.unwrap()),
    };
    assert!(in_test_ranges(&s) && in_test_ranges(&r));
    let mut ends = [format!("{s}:{}", t.src_port), format!("{r}:{}", t.dst_port)];
    ends.sort();
    ends.join("-")
}

#[test]
fn one_data_and_one_ack_per_flow_when_packets_equal_flows() {
    for (mix, gtpu, ipv6) in [
        (Mix::Ack64, false, false),
        (Mix::Data1500, false, false),
        (Mix::Imix, true, false),
        (Mix::Data1500, true, true),
        (Mix::Ack64, false, true),
    ] {
        let (core, access) = bulk(3000, 3000, mix, gtpu, ipv6);
        assert_eq!(core.len(), 3000);
        assert_eq!(access.len(), 3000, "{mix} gtpu={gtpu} ipv6={ipv6}");
        let flows: HashSet<String> = core.iter().map(|f| conn_key(f)).collect();
        assert_eq!(flows.len(), 3000, "distinct flows");
        let acked: HashSet<String> = access.iter().map(|f| conn_key(f)).collect();
        assert_eq!(acked, flows, "every flow's ACK direction present");
        for f in core.iter().chain(&access) {
            assert!(f.len() >= 60 && f.len() <= 1514, "{} bytes", f.len());
        }
    }
}

#[test]
fn frame_sizes_follow_the_mix() {
    let (core, access) = bulk(100, 1000, Mix::Ack64, false, false);
    assert!(core.iter().chain(&access).all(|f| f.len() == 60));
    let (core, access) = bulk(100, 1000, Mix::Data1500, false, false);
    assert!(core.iter().all(|f| f.len() == 1514));
    assert!(access.iter().all(|f| f.len() == 66));
    assert_eq!(access.len(), 500, "one ACK per two segments");
    let (core, _) = bulk(100, 1200, Mix::Imix, false, false);
    let count = |n: usize| core.iter().filter(|f| f.len() == n).count();
    assert_eq!((count(60), count(590), count(1514)), (700, 400, 100));
    let (core, _) = bulk(100, 1000, Mix::Data1500, true, false);
    for f in &core {
        assert_eq!(f.len(), 1514);
        let d = decode(f);
        let (teid, pdu) = d.gtpu.expect("gtp-u");
        assert_eq!(pdu, Some(0));
        assert!(teid >= 0x1000_0000);
    }
}

#[test]
fn ack_numbers_never_exceed_data_sent() {
    let (core, access) = bulk(50, 2000, Mix::Data1500, false, false);
    let mut sent: std::collections::HashMap<String, u32> = Default::default();
    let mut ci = core.iter();
    for a in &access {
        let key = conn_key(a);
        let ack = decode(a).tcp.unwrap().ack;
        // Data frames are earlier in time than the ACKs covering them; the
        // pcaps are separate, so replay the core file until it covers this ACK.
        while !matches!(sent.get(&key), Some(&end) if (ack.wrapping_sub(end) as i32) <= 0) {
            let c = ci.next().expect("an ACK beyond all data sent");
            let t = decode(c).tcp.unwrap();
            sent.insert(conn_key(c), t.seq.wrapping_add(t.payload_len as u32));
        }
    }
}

#[test]
fn synflood_has_distinct_syns_and_one_complete_connection() {
    let dir = tmpdir("synflood");
    let s = synflood::generate(&dir, 20_000, 9).unwrap();
    let core = read_pcap(&s.core_path);
    let access = read_pcap(&s.access_path);
    let mut syn_sources = HashSet::new();
    let mut legit_core = 0;
    for f in &core {
        let d = decode(&f.data);
        let t = d.tcp.expect("tcp");
        assert!(t.checksum_ok && d.ipv4_header_ok.unwrap());
        assert!(in_test_ranges(&d.src.unwrap()));
        let src = (d.src.unwrap(), t.src_port);
        if src == (synflood::CLIENT.into(), synflood::CLIENT_PORT) {
            legit_core += 1;
        } else {
            assert_eq!(t.flags, 0x02);
            assert!(syn_sources.insert(src), "duplicate flood source {src:?}");
        }
    }
    assert_eq!(syn_sources.len(), 20_000);
    let flags: Vec<u8> = access.iter().map(|f| decode(&f.data).tcp.unwrap().flags).collect();
    assert_eq!(flags[0], 0x12, "SYN-ACK from the server");
    assert_ne!(flags.last().unwrap() & 0x01, 0, "server FIN");
    assert!(legit_core >= 5, "SYN, ACK, request, ACK, FIN, last ACK");
    std::fs::remove_dir_all(&dir).unwrap();
}
