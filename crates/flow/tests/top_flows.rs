//! The incremental top-N scan ranks flows by total bytes once a sweep over
//! the whole table completes, however small the per-call budget.

use std::net::{IpAddr, Ipv4Addr};

use flow::{FlowKey, FlowTable, FlowTableConfig, PacketInfo, TopFlowsScanner};

#[test]
fn top_flows_sweep_ranks_by_bytes() {
    let config = FlowTableConfig { capacity: 64, ..FlowTableConfig::default() };
    let mut table: FlowTable<()> = FlowTable::new(&config, 0);
    for port in 0..40u16 {
        let (k, s) = FlowKey::from_packet(
            IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
            17,
            port,
            9,
            [0, 0],
            None,
        );
        // Flow `port` carries (port + 1) * 100 bytes.
        let pkt = PacketInfo {
            side: s,
            from_core: true,
            len: (u32::from(port) + 1) * 100,
            tcp_flags: None,
            teid: None,
        };
        table.track(&k, k.symmetric_hash(), &pkt, 0, || ()).unwrap();
    }
    let mut scanner = TopFlowsScanner::new(5);
    let mut calls = 1;
    while !scanner.step(&table, 10) {
        calls += 1;
    }
    assert_eq!(calls, 4, "40 used slots (of 64) at 10 per call");
    let bytes: Vec<u64> = scanner.ranked().iter().map(|&(_, b)| b).collect();
    assert_eq!(bytes, vec![4000, 3900, 3800, 3700, 3600]);
    for &(id, b) in scanner.ranked() {
        assert_eq!(table.get(id).unwrap().total_bytes(), b);
    }
    assert_eq!(scanner.sweeps(), 1);
}
