//! A SYN flood through `monitor` mode: 2 million distinct SYNs with one
//! legitimate connection inside, replayed in capture time (one SYN per µs,
//! so the half-open timeout does not empty the table during the flood). The box must not crash, its memory must
//! stay flat once started (the flow table is preallocated), the flows it
//! could not create must be counted as table-full, and the legitimate
//! connection (opened before the table filled) must stay tracked.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the box in monitor mode on `core`/`access` pcaps; returns its
/// stdout and the largest RSS seen while it ran.
fn run_monitor(dir: &std::path::Path, name: &str, core: &str, access: &str) -> (String, u64) {
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "mode = \"monitor\"\n[[port_pairs]]\n\
             core = \"net_pcap0,rx_pcap={core}\"\n\
             access = \"net_pcap1,rx_pcap={access}\"\n\
             [dataplane]\nidle_exit_ms = 2000\nreplay_in_capture_time = true\n\
             [flows]\ncapacity = {}\n[mgmt]\nlisten = \"127.0.0.1:0\"\n\
             [eal]\nhugepages = \"off\"\n[log]\nstats_interval_s = 0\n",
            1 << 20
        ),
    )
    .unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--config".into(), cfg.display().to_string()];
    args.push("--".into());
    let eal = eal_prefix(name);
    args.extend(eal.args());
    let child = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _guard = KillOnDrop(pid);
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let start = Instant::now();
    let mut peak = 0;
    while !waiter.is_finished() && start.elapsed() < Duration::from_secs(300) {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = waiter.join().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).to_string(), peak)
}

#[test]
fn two_million_syns_fill_the_table_without_growing_memory() {
    let dir = scratch("synflood");
    jg_scenario_gen::scenario::synflood::generate(&dir, 2_000_000, 7).expect("pcap written");
    let capacity: u64 = 1 << 20;
    let d = dir.display();
    let (stdout, flood_peak) = run_monitor(
        &dir,
        "flood",
        &format!("{d}/synflood.core.pcap"),
        &format!("{d}/synflood.access.pcap"),
    );

    let c = final_counters(&stdout);
    // The flood plus the legitimate connection's six client frames.
    assert_eq!(counter(&c, "port=core", "rx_packets"), 2_000_000 + 6, "{stdout}");
    let flows = stdout.lines().find(|l| l.starts_with("final flows ")).unwrap();
    let table_full: u64 = flows
        .split_whitespace()
        .find_map(|w| w.strip_prefix("table_full="))
        .unwrap()
        .parse()
        .unwrap();
    // Every SYN past the capacity is refused and counted (the legitimate
    // connection's own frames all find their flow).
    assert!(table_full >= 2_000_000 + 1 - capacity, "{flows}");
    let legit = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("final flow "))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["access"] == "198.18.0.10:50000" || r["core"] == "198.18.0.10:50000")
        .unwrap_or_else(|| panic!("legitimate connection not tracked:\n{stdout}"));
    assert!(
        legit["packets_core"].as_u64().unwrap() + legit["packets_access"].as_u64().unwrap() >= 8
    );

    // Memory is flat: the flow table is preallocated, so a million extra
    // flows must not make the box bigger than the same box fed a few dozen
    // frames (64 MiB of slack for allocator and DPDK noise; a million flows
    // would need about a gigabyte).
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let (_, small_peak) = run_monitor(
        &dir,
        "small",
        &scen.join("mixed.core.pcap").display().to_string(),
        &scen.join("mixed.access.pcap").display().to_string(),
    );
    assert!(
        flood_peak <= small_peak + 64 * 1024,
        "peak RSS {flood_peak} KiB under the flood vs {small_peak} KiB on a small capture"
    );
}
