//! Graceful shutdown: SIGTERM during traffic makes the box stop its workers,
//! print the final counters and exit 0 quickly.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn sigterm_during_traffic_exits_cleanly_with_final_counters() {
    let mut args: Vec<String> = ["run", "--core-port", "net_null0", "--access-port", "net_null1"]
        .map(String::from)
        .to_vec();
    args.extend(run_isolation());
    args.push("--".into());
    let eal = eal_prefix("sigterm");
    args.extend(eal.args());
    let child = Command::new(bin())
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _guard = KillOnDrop(pid);
    // Let it start forwarding (net_null generates traffic endlessly).
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // A behavioural bound, generous for a loaded CI machine: the issue asks
    // for an exit within 2 s of SIGTERM.
    assert!(took < Duration::from_secs(2), "took {took:?} to exit");
    let c = final_counters(&stdout);
    assert!(counter(&c, "lcore=1", "tx") > 0, "no traffic was forwarded: {stdout}");
    assert!(counter(&c, "port=core", "rx_packets") > 0);
}
