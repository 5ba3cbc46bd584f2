//! Two worker lcores in `monitor` mode: frames arrive on both RX queues of
//! each port, and every flow, both directions, must be tracked by exactly
//! one worker (the software hand-off moves frames to the owner); nothing is
//! lost or duplicated.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;

#[test]
fn each_flow_is_owned_by_one_worker_and_no_frame_is_lost() {
    let dir = scratch("two");
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let f = |n: &str| scen.join(n).display().to_string();
    let out = |n: &str| dir.join(n).display().to_string();
    // Queue 0 of each port replays one scenario, queue 1 the other.
    let core = format!(
        "net_pcap0,rx_pcap={},rx_pcap={},tx_pcap={},tx_pcap={}",
        f("lossy-flow.core.pcap"),
        f("mixed.core.pcap"),
        out("to-core-q0.pcap"),
        out("to-core-q1.pcap")
    );
    let access = format!(
        "net_pcap1,rx_pcap={},rx_pcap={},tx_pcap={},tx_pcap={}",
        f("lossy-flow.access.pcap"),
        f("mixed.access.pcap"),
        out("to-access-q0.pcap"),
        out("to-access-q1.pcap")
    );
    let cfg = dir.join("two.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"monitor\"\n[[port_pairs]]\ncore = \"{core}\"\naccess = \"{access}\"\n\
             [dataplane]\nworker_lcores = [1, 2]\nidle_exit_ms = 1500\n\
             [flows]\ncapacity = 4096\n[mgmt]\nlisten = \"127.0.0.1:0\"\nflow_dump_rows = 64\n\
             [eal]\nhugepages = \"off\"\n"
        ),
    )
    .unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--config".into(), cfg.display().to_string()];
    args.push("--".into());
    let eal = eal_prefix("two");
    args.extend(eal.args());
    // Two workers on a machine that may have two CPUs: let them float.
    args.push("--lcores=0@0,1@(0-1),2@(0-1)".into());
    let run = run_with_limit(&args, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));

    let sorted = |files: &[&str], out_dir: bool| {
        let mut v: Vec<Vec<u8>> = files
            .iter()
            .flat_map(|n| read_frames(std::path::Path::new(&if out_dir { out(n) } else { f(n) })))
            .collect();
        v.sort();
        v
    };
    let want_access = sorted(&["lossy-flow.core.pcap", "mixed.core.pcap"], false);
    let got_access = sorted(&["to-access-q0.pcap", "to-access-q1.pcap"], true);
    assert_eq!(got_access.len(), want_access.len(), "frames lost or duplicated towards access");
    assert!(got_access == want_access, "frames towards access differ from the input");
    let want_core = sorted(&["lossy-flow.access.pcap", "mixed.access.pcap"], false);
    let got_core = sorted(&["to-core-q0.pcap", "to-core-q1.pcap"], true);
    assert_eq!(got_core.len(), want_core.len(), "frames lost or duplicated towards core");
    assert!(got_core == want_core, "frames towards core differ from the input");

    let c = final_counters(&stdout);
    let handed: u64 = ["lcore=1", "lcore=2"].iter().map(|w| counter(&c, w, "handoff_out")).sum();
    assert!(handed > 0, "no frame needed a hand-off, the test proves nothing: {stdout}");
    assert_eq!(
        counter(&c, "lcore=1", "handoff_dropped") + counter(&c, "lcore=2", "handoff_dropped"),
        0
    );

    // Each flow appears in exactly one worker's table.
    let mut owner: HashMap<(String, String, String), u64> = HashMap::new();
    let mut lcores = HashSet::new();
    for line in stdout.lines().filter_map(|l| l.strip_prefix("final flow ")) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            row["proto"].as_str().unwrap().to_string(),
            row["core"].as_str().unwrap().to_string(),
            row["access"].as_str().unwrap().to_string(),
        );
        let lc = row["lcore"].as_u64().unwrap();
        lcores.insert(lc);
        if let Some(prev) = owner.insert(key.clone(), lc) {
            panic!("flow {key:?} tracked by lcore {prev} and lcore {lc}");
        }
    }
    assert!(owner.len() >= 3, "too few flows reported: {stdout}");
    assert_eq!(lcores.len(), 2, "all flows landed on one worker: {lcores:?}");
}
