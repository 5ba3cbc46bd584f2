//! net_pcap integration: a mixed-traffic scenario (TCP both ways, UDP, ARP,
//! VLAN/QinQ, IPv6, GTP-U, a truncated frame, a fragment) goes through the
//! real dataplane in passthrough; each output pcap must equal the other
//! side's input byte for byte and in order, and the counters must agree.

mod common;

use std::time::Duration;

use common::*;

fn replay(mode: &str, name: &str, scenario: &str) {
    let dir = scratch(name);
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let core_in = scen.join(format!("{scenario}.core.pcap"));
    let access_in = scen.join(format!("{scenario}.access.pcap"));
    // A port's tx_pcap records what the box sends out of it, i.e. towards
    // that side: the core port's output is what reaches the sender.
    let to_access = dir.join("to-access.pcap");
    let to_core = dir.join("to-core.pcap");
    let mut args: Vec<String> = vec![
        "run".into(),
        "--mode".into(),
        mode.into(),
        "--core-port".into(),
        format!("net_pcap0,rx_pcap={},tx_pcap={}", core_in.display(), to_core.display()),
        "--access-port".into(),
        format!("net_pcap1,rx_pcap={},tx_pcap={}", access_in.display(), to_access.display()),
        "--idle-exit-ms".into(),
        "1000".into(),
    ];
    args.extend(run_isolation());
    args.push("--".into());
    let eal = eal_prefix(name);
    args.extend(eal.args());
    let out = run_with_limit(&args, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let core_frames = read_frames(&core_in);
    let access_frames = read_frames(&access_in);
    assert!(core_frames.len() > 10 && access_frames.len() > 10, "scenario is not trivial");
    let forwarded_to_access = read_frames(&to_access);
    let forwarded_to_core = read_frames(&to_core);
    assert_same_frames(&forwarded_to_access, &core_frames, "core -> access");
    assert_same_frames(&forwarded_to_core, &access_frames, "access -> core");

    let c = final_counters(&stdout);
    assert_eq!(counter(&c, "port=core", "rx_packets"), core_frames.len() as u64);
    assert_eq!(counter(&c, "port=access", "rx_packets"), access_frames.len() as u64);
    assert_eq!(counter(&c, "port=access", "tx_packets"), core_frames.len() as u64);
    assert_eq!(counter(&c, "port=core", "tx_packets"), access_frames.len() as u64);
    assert_eq!(counter(&c, "lcore=1", "rx_from_core"), core_frames.len() as u64);
    assert_eq!(counter(&c, "lcore=1", "rx_from_access"), access_frames.len() as u64);
    assert_eq!(counter(&c, "lcore=1", "tx_dropped"), 0);
    assert_eq!(counter(&c, "lcore=1", "hook_dropped"), 0);
}

#[test]
fn passthrough_forwards_mixed_traffic_byte_for_byte() {
    replay("passthrough", "pt-mixed", "mixed");
}
