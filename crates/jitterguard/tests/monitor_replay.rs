//! `monitor` mode through the real dataplane on bundled pcaps: frames leave
//! byte for byte as they came, parse exceptions are counted by reason, and
//! on the recorded lossy flow (replayed in capture time) the measurements
//! match what the scenario generator put in.

mod common;

use common::*;

fn final_line<'a>(stdout: &'a str, head: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("final {head} ")))
        .unwrap_or_else(|| panic!("no 'final {head}' line in:\n{stdout}"))
}

#[test]
fn monitor_forwards_every_frame_unchanged_and_counts_parse_exceptions() {
    let r = replay("mon-mixed", "monitor", "mixed", false);
    assert_same_frames(&r.to_access, &r.core_in, "core -> access");
    assert_same_frames(&r.to_core, &r.access_in, "access -> core");
    let exceptions = final_line(&r.stdout, "parse_exceptions");
    // The scenario holds a frame cut inside its TCP header (the parser
    // reports a capture shorter than the IP length as a truncation), an IPv4
    // fragment and a TCP header with a bad data offset.
    assert!(exceptions.contains("truncated_"), "no truncation in: {exceptions}");
    for reason in ["fragment", "bad_data_offset"] {
        assert!(exceptions.contains(reason), "{reason} missing from: {exceptions}");
    }
    let flows = final_line(&r.stdout, "flows");
    assert!(flows.contains("table_full=0"), "{flows}");
    assert!(!flows.contains("created=0"), "{flows}");
}

#[test]
fn monitor_measures_the_recorded_lossy_flow() {
    let r = replay("mon-lossy", "monitor", "lossy-flow", true);
    assert_same_frames(&r.to_access, &r.core_in, "core -> access");
    assert_same_frames(&r.to_core, &r.access_in, "access -> core");
    let flow: serde_json::Value =
        serde_json::from_str(final_line(&r.stdout, "flow")).expect("flow row is JSON");
    // The generator put 18 ms each way on J (36 ms RTT), lost 4 of 500
    // segments on J (0.8 %), delayed 5 by 4 ms (reordering), and the sender
    // made 8 retransmissions of which 4 were spurious.
    let rtt_min = flow["rtt_min_ms"].as_f64().unwrap();
    assert!((33.0..=39.0).contains(&rtt_min), "J RTT min {rtt_min} ms");
    let loss = flow["loss_j"].as_f64().unwrap();
    assert!((0.008 * 0.7..=0.008 * 1.3).contains(&loss), "loss on J {loss}");
    assert!(flow["reorder_events"].as_u64().unwrap() >= 3, "{flow}");
    assert_eq!(flow["retrans"].as_u64(), Some(8), "{flow}");
    assert_eq!(flow["spurious_retrans"].as_u64(), Some(4), "{flow}");
    assert_eq!(flow["class"].as_str(), Some("jitter"), "{flow}");
}
