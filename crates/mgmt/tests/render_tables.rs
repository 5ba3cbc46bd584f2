//! CLI tables show what the operator needs, with `-` for measurements the
//! shield has not filled.

mod support;

use mgmt::render::{flows_table, stats_table};
use mgmt::StatsSnapshot;

#[test]
fn stats_table_shows_every_section() {
    let text = stats_table(&support::sample_stats());
    assert!(text.starts_with("jitterguard 0.1.0  uptime 12.5s\n"), "{text}");
    assert!(text.contains("flows: 3 active / 2.10M capacity, 10 created, 7 expired, 0 table-full"));
    let port_line = text.lines().find(|l| l.starts_with("access (1)")).unwrap();
    assert_eq!(
        port_line.split_whitespace().collect::<Vec<_>>(),
        ["access", "(1)", "990", "59.40k", "1000", "1.40M", "0", "3", "0"]
    );
    // Cycles per packet: 120000 busy cycles / 1000 packets.
    let worker = text.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(worker.split_whitespace().any(|c| c == "120"), "{worker}");
    // Duplicate reasons are merged, as in the Prometheus output.
    let parse = text.lines().find(|l| l.starts_with("truncated_ipv4")).unwrap();
    assert_eq!(parse.split_whitespace().last(), Some("3"));
    // A label value with a newline stays on one line.
    assert!(text.contains(r#"flow_rtt_seconds{group=gnb \"198.18.255.1\"\n}"#), "{text}");
    assert!(text.contains("local_retransmit"));
    assert!(text.contains("tcp_established"));
    // RTT percentiles shown in ms, cycles as plain numbers.
    let rtt = text.lines().find(|l| l.starts_with("flow_rtt_seconds ")).unwrap();
    assert!(rtt.contains("ms"), "{rtt}");
    assert!(text.lines().any(|l| l.starts_with("packet_cost_cycles ")));
    // Every table row of a section has the same number of cells as its header.
    assert!(!text.contains("NaN"));
}

#[test]
fn empty_stats_render_without_sections() {
    let text = stats_table(&StatsSnapshot::default());
    assert_eq!(text.lines().count(), 2, "{text}");
}

#[test]
fn flows_table_orients_core_first_and_marks_missing_fields() {
    let text = flows_table(&support::sample_flows());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("ID  FLOW (core -> access)"));
    let tcp = lines[1];
    assert!(tcp.contains("tcp 198.19.0.1:5201 -> 198.18.10.1:40000 gtpu 198.18.255.1<->198.18.255.2 teid 0x1001/0x2002 qfi 9"), "{tcp}");
    assert!(tcp.contains("1.20"), "loss shown in percent: {tcp}");
    assert!(tcp.trim_end().ends_with("jitter"));
    let udp = lines[2];
    assert!(udp.contains("udp [2001:db8::1]:53 -> [2001:db8::2]:5353 vlan 100.0"), "{udp}");
    // UDP row: all shield measurements missing.
    assert!(udp.split_whitespace().filter(|c| *c == "-").count() >= 9, "{udp}");
    assert_eq!(flows_table(&[]), "no flows\n");
}
