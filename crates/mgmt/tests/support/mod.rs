#![allow(dead_code)] // each test crate uses a different subset
//! A populated snapshot shared by the integration tests.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use mgmt::histogram::summarize;
use mgmt::{ArmStats, FlowRow, FlowStats, PortStats, StatsSnapshot, WorkerStats};

pub fn sample_stats() -> StatsSnapshot {
    let mut cost = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
    for v in [80u64, 95, 120, 150, 150, 400, 2500] {
        cost.record(v).unwrap();
    }
    let mut rtt = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    for us in [12_000u64, 15_000, 40_000, 250_000] {
        rtt.record(us).unwrap();
    }
    let mut labels = BTreeMap::new();
    labels.insert("group".to_string(), "gnb \"198.18.255.1\"\n".to_string());
    StatsSnapshot {
        version: "0.1.0".into(),
        uptime_s: 12.5,
        ports: vec![
            PortStats {
                name: "core".into(),
                port_id: 0,
                rx_packets: 1000,
                rx_bytes: 1_400_000,
                tx_packets: 990,
                tx_bytes: 60_000,
                ..Default::default()
            },
            PortStats {
                name: "access".into(),
                port_id: 1,
                rx_packets: 990,
                rx_bytes: 59_400,
                tx_packets: 1000,
                tx_bytes: 1_400_000,
                rx_missed: 3,
                ..Default::default()
            },
        ],
        workers: vec![
            WorkerStats {
                lcore: 1,
                rx: 1000,
                tx: 1000,
                bursts: 40,
                busy_cycles: 120_000,
                flows_active: 2,
                ..Default::default()
            },
            WorkerStats {
                lcore: 2,
                rx: 990,
                tx: 990,
                handoff_in: 10,
                handoff_out: 4,
                ..Default::default()
            },
        ],
        parse_errors: vec![
            ("truncated_ipv4".into(), 2),
            ("gtpu_bad_version".into(), 1),
            ("truncated_ipv4".into(), 1),
        ],
        flows: FlowStats { active: 3, capacity: 2 << 20, created: 10, expired: 7, table_full: 0 },
        shield: [("dupack_held".to_string(), 5u64), ("local_retransmit".to_string(), 2)]
            .into_iter()
            .collect(),
        flow_states: [("tcp_established".to_string(), 2u64), ("udp".to_string(), 1)]
            .into_iter()
            .collect(),
        histograms: vec![
            summarize(
                "packet_cost_cycles",
                "TSC cycles per packet, per burst average.",
                &BTreeMap::new(),
                &cost,
                1.0,
                &[64, 128, 256, 512, 1024, 4096],
            ),
            summarize(
                "flow_rtt_seconds",
                "RTT over the jittery segment.",
                &labels,
                &rtt,
                1e-6,
                &[5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000],
            ),
            summarize(
                "flow_rtt_seconds",
                "RTT over the jittery segment.",
                &BTreeMap::new(),
                &rtt,
                1e-6,
                &[5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000],
            ),
        ],
        arms: vec![
            ArmStats {
                arm: "shielded".into(),
                flows: 9,
                bytes_acked: 90_000_000,
                sender_retransmits: 40,
                completed: 8,
                completion_us: 16_000_000,
            },
            ArmStats {
                arm: "control".into(),
                flows: 1,
                bytes_acked: 2_500_000,
                sender_retransmits: 30,
                completed: 1,
                completion_us: 9_000_000,
            },
        ],
    }
}

pub fn sample_flows() -> Vec<FlowRow> {
    vec![
        FlowRow {
            id: 7,
            lcore: 1,
            proto: "tcp".into(),
            core: "198.19.0.1:5201".into(),
            access: "198.18.10.1:40000".into(),
            tunnel: Some("198.18.255.1<->198.18.255.2".into()),
            teid_core: Some(0x1001),
            teid_access: Some(0x2002),
            qfi: Some(9),
            state: "tcp_established".into(),
            age_s: 12.0,
            idle_s: 0.01,
            packets_core: 900,
            bytes_core: 1_300_000,
            packets_access: 450,
            bytes_access: 23_400,
            rtt_min_ms: Some(20.0),
            rtt_ms: Some(31.5),
            jitter_ms: Some(4.2),
            loss_j: Some(0.012),
            reorder_events: Some(3),
            delivery_mbps: Some(48.0),
            retrans: Some(1),
            spurious_retrans: Some(0),
            class: Some("jitter".into()),
            ..Default::default()
        },
        FlowRow {
            id: 9,
            lcore: 2,
            proto: "udp".into(),
            core: "[2001:db8::1]:53".into(),
            access: "[2001:db8::2]:5353".into(),
            vlan: Some("100.0".into()),
            state: "udp".into(),
            packets_core: 2,
            bytes_core: 200,
            ..Default::default()
        },
    ]
}
