//! The management plane of a running box: Prometheus /metrics during
//! traffic (checked by promtool when installed), counters increasing between
//! scrapes, the DPDK telemetry commands answering JSON, the `stats` and
//! `flows` subcommands, and a SIGHUP reload that keeps the flows.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn scrape(addr: &str, path: &str) -> String {
    let out = Command::new("curl").args(["-sf", &format!("http://{addr}{path}")]).output().unwrap();
    assert!(out.status.success(), "GET {path} failed");
    String::from_utf8(out.stdout).unwrap()
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn management_plane_of_a_running_box() {
    let dir = scratch("mgmt");
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let eal = eal_prefix("mgmt");
    let prefix = eal.name();
    let cfg_path = dir.join("box.toml");
    let cfg = |established: u32| {
        format!(
            "mode = \"monitor\"\n\
             [[port_pairs]]\n\
             core = \"net_pcap0,rx_pcap={}/lossy-flow.core.pcap,infinite_rx=1\"\n\
             access = \"net_pcap1,rx_pcap={}/lossy-flow.access.pcap,infinite_rx=1\"\n\
             [flows]\ncapacity = 4096\ntimeouts = {{ tcp_established_s = {established} }}\n\
             [mgmt]\nlisten = \"{addr}\"\n\
             [eal]\nhugepages = \"off\"\nfile_prefix = \"{prefix}\"\n\
             [log]\nstats_interval_s = 0\n",
            scen.display(),
            scen.display()
        )
    };
    std::fs::write(&cfg_path, cfg(300)).unwrap();
    let mut child = Command::new(bin())
        .args(["run", "--config", cfg_path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let _guard = KillOnDrop(child.id());
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });

    // Wait until the exporter answers and TCP has been seen.
    let start = Instant::now();
    let first = loop {
        assert!(start.elapsed() < Duration::from_secs(30), "exporter never came up");
        std::thread::sleep(Duration::from_millis(200));
        let Ok(out) =
            Command::new("curl").args(["-sf", &format!("http://{addr}/metrics")]).output()
        else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() && text.contains("jitterguard_") {
            break text;
        }
    };
    std::thread::sleep(Duration::from_millis(500));
    let second = scrape(&addr, "/metrics");
    let rx_name = "jitterguard_port_rx_packets_total";
    assert!(metric(&second, rx_name) > metric(&first, rx_name), "rx counters did not increase");
    // Histograms: per-packet cost recorded by the worker, J's RTT of the flows.
    assert!(metric(&second, "jitterguard_packet_cost_cycles_count") > 0.0, "no cost samples");
    assert!(second.contains("jitterguard_flow_j_rtt_seconds_bucket"), "no RTT histogram");

    // promtool, when installed, must accept the exposition as it is.
    if Command::new("promtool").arg("--version").output().is_ok() {
        let f = dir.join("metrics.txt");
        std::fs::write(&f, &second).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("promtool check metrics < {}", f.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("NOTICE: promtool not installed, exposition format not checked");
    }

    // DPDK telemetry: the commands answer valid JSON.
    let sock = eal.runtime_dir().join("dpdk_telemetry.v2").display().to_string();
    let py = r#"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
json.loads(s.recv(1 << 16))
for cmd in sys.argv[2:]:
    s.send(cmd.encode()); print(json.dumps(json.loads(s.recv(1 << 20))))
"#;
    let out = Command::new("python3")
        .args(["-c", py, &sock, "/jitterguard/stats", "/jitterguard/flows,5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "telemetry: {}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("telemetry answers JSON"))
        .collect();
    assert!(answers[0]["/jitterguard/stats"]["flows_created"].as_u64().unwrap() >= 1);
    let flows = answers[1]["/jitterguard/flows"].as_object().expect("flows dict");
    assert!(flows.values().any(|v| v.as_str().unwrap_or("").contains("198.18.0.10:80")));

    // The subcommands query the running instance.
    let out = Command::new(bin()).args(["stats", "--addr", &addr]).output().unwrap();
    assert!(out.status.success());
    let out = Command::new(bin())
        .args(["flows", "--addr", &addr, "--top", "5", "--json"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("flows --json");
    assert!(rows.iter().any(|r| r["core"] == "198.18.0.10:80"), "{rows:?}");
    let id = rows[0]["id"].as_u64().unwrap();
    let out = Command::new(bin())
        .args(["flows", "--addr", &addr, "--explain", &id.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success() && !out.stdout.is_empty(), "explain printed nothing");

    // SIGHUP with new timeouts: applied live, flows kept.
    let before = serde_json::from_str::<serde_json::Value>(&scrape(&addr, "/stats.json")).unwrap();
    std::fs::write(&cfg_path, cfg(120)).unwrap();
    Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut applied = false;
    while Instant::now() < deadline && !applied {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            applied |= line.contains("applied: flows.timeouts");
        }
    }
    assert!(applied, "reload did not report the new timeouts");
    let after = serde_json::from_str::<serde_json::Value>(&scrape(&addr, "/stats.json")).unwrap();
    assert!(after["flows"]["active"].as_u64() >= Some(1), "flows lost on reload");
    assert!(after["flows"]["created"] == before["flows"]["created"], "flows re-created on reload");

    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}
