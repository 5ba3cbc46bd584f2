//! The exposition passes `promtool check metrics` (when promtool is
//! installed) and has the expected shape.

mod support;
use support as sample;

use std::io::Write;
use std::process::{Command, Stdio};

use mgmt::prometheus::render;
use mgmt::StatsSnapshot;

fn promtool_check(text: &str) -> Option<(bool, String)> {
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            eprintln!("NOTICE: promtool not found (Debian package `prometheus`); skipping the promtool check");
            return None;
        }
    };
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let msg =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Some((out.status.success() && msg.trim().is_empty(), msg))
}

#[test]
fn populated_snapshot_passes_promtool() {
    let text = render(&sample::sample_stats());
    if let Some((ok, msg)) = promtool_check(&text) {
        assert!(ok, "promtool complained:\n{msg}\n--- exposition ---\n{text}");
    }
}

#[test]
fn empty_snapshot_passes_promtool() {
    let text = render(&StatsSnapshot::default());
    if let Some((ok, msg)) = promtool_check(&text) {
        assert!(ok, "promtool complained:\n{msg}\n--- exposition ---\n{text}");
    }
}

#[test]
fn exposition_has_counters_gauges_and_histograms() {
    let text = render(&sample::sample_stats());
    assert!(text.contains("# TYPE jitterguard_port_rx_packets_total counter\n"));
    assert!(text.contains("jitterguard_port_rx_packets_total{port=\"core\",port_id=\"0\"} 1000\n"));
    assert!(text.contains("# TYPE jitterguard_flows_active gauge\njitterguard_flows_active 3\n"));
    // Duplicate parse-error reasons are merged into one series.
    assert!(text.contains("jitterguard_parse_errors_total{reason=\"truncated_ipv4\"} 3\n"));
    assert!(text.contains("jitterguard_shield_actions_total{action=\"dupack_held\"} 5\n"));
    // Shielded vs control arm, one series per arm.
    assert!(text.contains("jitterguard_arm_bytes_acked_total{arm=\"shielded\"} 90000000\n"));
    assert!(text.contains("jitterguard_arm_completion_seconds_total{arm=\"control\"} 9\n"));
    // One TYPE line per histogram family even with two label sets.
    assert_eq!(text.matches("# TYPE jitterguard_flow_rtt_seconds histogram").count(), 1);
    assert!(text.contains("jitterguard_packet_cost_cycles_bucket{le=\"128\"} 3\n"));
    assert!(text.contains("jitterguard_packet_cost_cycles_bucket{le=\"+Inf\"} 7\n"));
    assert!(text.contains("jitterguard_packet_cost_cycles_count 7\n"));
    assert!(text.contains("jitterguard_flow_rtt_seconds_bucket{le=\"0.02\"} 2\n"));
    // Label values are escaped.
    assert!(text.contains("group=\"gnb \\\"198.18.255.1\\\"\\n\""));
    // Every sample line is `name{labels} value` with a parseable value.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok() || value == "+Inf", "bad line {line:?}");
    }
}
