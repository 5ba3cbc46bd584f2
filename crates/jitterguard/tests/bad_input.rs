//! Bad configuration and bad devices: a one-line error naming the problem,
//! exit code 2, nothing left running.

mod common;

use std::time::Duration;

use common::*;

fn run_expect_2(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = run_with_limit(&args, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("jitterguard: error:"))
        .unwrap_or_else(|| panic!("no error line in: {stderr}"))
        .to_string();
    line
}

#[test]
fn check_config_reports_unknown_keys() {
    let dir = scratch("badkey");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[[port_pairs]]\ncore = \"net_null0\"\naccess = \"net_null1\"\nspeed = 1\n")
        .unwrap();
    let e = run_expect_2(&["check-config", f.to_str().unwrap()]);
    assert!(e.contains("unknown field `speed`"), "{e}");
}

#[test]
fn check_config_refuses_a_handshake_repair_sooner_than_r_could_answer() {
    let dir = scratch("handshake");
    let f = dir.join("c.toml");
    let body = "[[port_pairs]]\ncore = \"net_null0\"\naccess = \"net_null1\"\n\n\
                [shield]\nhandshake_repair_ms = 0\n";
    std::fs::write(&f, body).unwrap();
    let e = run_expect_2(&["check-config", f.to_str().unwrap()]);
    assert!(e.contains("shield.handshake_repair_ms = 0"), "{e}");
}

#[test]
fn check_config_reports_a_missing_file() {
    let e = run_expect_2(&["check-config", "/nonexistent/jg.toml"]);
    assert!(e.contains("cannot read config /nonexistent/jg.toml"), "{e}");
}

#[test]
fn run_without_ports_says_what_is_missing() {
    let e = run_expect_2(&["run"]);
    assert!(e.contains("no port pairs"), "{e}");
}

#[test]
fn run_with_too_many_workers_is_refused_before_dpdk_starts() {
    let dir = scratch("lcores");
    let f = dir.join("c.toml");
    std::fs::write(
        &f,
        "[[port_pairs]]\ncore = \"net_null0\"\naccess = \"net_null1\"\n\
         [dataplane]\nworker_lcores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, \
         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, \
         38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, \
         59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, \
         80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, \
         101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, \
         118, 119, 120, 121, 122, 123, 124, 125, 126, 127]\nmempool_size = 1000000\n",
    )
    .unwrap();
    let e = run_expect_2(&["run", "--config", f.to_str().unwrap()]);
    assert!(e.contains("too few lcores"), "{e}");
}

#[test]
fn run_with_a_port_that_does_not_exist_fails_cleanly() {
    let eal = eal_prefix("noport");
    let prefix = format!("--file-prefix={}", eal.name());
    let e = run_expect_2(&[
        "run",
        "--core-port",
        "0000:7f:1f.7",
        "--access-port",
        "net_null1",
        "--",
        &prefix,
        "--no-huge",
        "-m",
        "256",
    ]);
    assert!(e.contains("0000:7f:1f.7") && e.contains("no such DPDK port"), "{e}");
}

#[test]
fn run_with_a_vdev_whose_file_is_missing_fails_cleanly() {
    let eal = eal_prefix("nofile");
    let prefix = format!("--file-prefix={}", eal.name());
    let e = run_expect_2(&[
        "run",
        "--core-port",
        "net_pcap0,rx_pcap=/nonexistent/in.pcap,tx_pcap=/tmp/x.pcap",
        "--access-port",
        "net_null1",
        "--",
        &prefix,
    ]);
    assert!(e.contains("net_pcap0") && e.contains("no such DPDK port"), "{e}");
}
