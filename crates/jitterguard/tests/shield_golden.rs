//! `shield` mode through the real dataplane on the recorded lossy,
//! reordered flow (replayed in capture time). Checks what the box sent:
//! every frame valid for Wireshark's dissector (checksums good), local
//! retransmissions that are exact copies of segments the sender sent, and
//! ACKs to the sender that never acknowledge more than R did and carry no
//! SACK block R did not send.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use common::*;

fn tcp_of(frame: &[u8]) -> Option<wire::TcpInfo> {
    let p = wire::parse(frame);
    p.tcp.filter(|_| p.error.is_none())
}

#[test]
fn shield_repairs_the_recorded_flow_and_stays_truthful_to_the_sender() {
    let dir = scratch("golden");
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let core_in = scen.join("lossy-flow.core.pcap");
    let access_in = scen.join("lossy-flow.access.pcap");
    let (to_core, to_access) = (dir.join("to-core.pcap"), dir.join("to-access.pcap"));
    let cfg = dir.join("shield.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"shield\"\n[[port_pairs]]\n\
             core = \"net_pcap0,rx_pcap={},tx_pcap={}\"\n\
             access = \"net_pcap1,rx_pcap={},tx_pcap={}\"\n\
             [dataplane]\nidle_exit_ms = 1000\nreplay_in_capture_time = true\n\
             [flows]\ncapacity = 4096\n[mgmt]\nlisten = \"127.0.0.1:0\"\n\
             [eal]\nhugepages = \"off\"\n",
            core_in.display(),
            to_core.display(),
            access_in.display(),
            to_access.display()
        ),
    )
    .unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--config".into(), cfg.display().to_string()];
    args.push("--".into());
    args.extend(eal_isolation("golden"));
    let out = run_with_limit(&args, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let pipeline = stdout.lines().find(|l| l.starts_with("final pipeline ")).unwrap();
    let count = |k: &str| -> u64 {
        pipeline
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} missing: {pipeline}"))
    };

    let core_frames = read_frames(&core_in);
    let access_frames = read_frames(&access_in);
    let sent_to_access = read_frames(&to_access);
    let sent_to_core = read_frames(&to_core);

    // Towards R: everything S sent but its duplicates of acknowledged data,
    // plus the local retransmissions, each an exact copy of a data segment S
    // sent (zero copy from the cache).
    let local = count("local_retransmits");
    assert!(local >= 1, "no local recovery on a flow with losses on J: {pipeline}");
    let dups = count("duplicates_suppressed");
    assert_eq!(sent_to_access.len() as u64, core_frames.len() as u64 - dups + local);
    let originals: HashSet<&Vec<u8>> = core_frames.iter().collect();
    assert!(sent_to_access.iter().all(|f| originals.contains(f)), "a frame towards R was altered");

    // Towards S: R's ACKs (some rewritten, some withheld, some built).
    let rewritten = count("acks_rewritten");
    assert!(rewritten >= 1, "no ACK had a hole hidden: {pipeline}");
    let expected = access_frames.len() as u64 - count("acks_suppressed") + count("acks_emitted");
    assert_eq!(sent_to_core.len() as u64, expected);
    let r_blocks: HashSet<(u32, u32)> = access_frames
        .iter()
        .filter_map(|f| tcp_of(f))
        .flat_map(|t| t.opts.sack_blocks().to_vec())
        .collect();
    const ACK: u8 = 0x10;
    let r_max_ack = access_frames
        .iter()
        .filter_map(|f| tcp_of(f))
        .filter(|t| t.flags & ACK != 0)
        .map(|t| t.ack)
        .fold(0u32, |m, a| if a.wrapping_sub(m) as i32 > 0 || m == 0 { a } else { m });
    for t in sent_to_core.iter().filter_map(|f| tcp_of(f)).filter(|t| t.flags & ACK != 0) {
        for b in t.opts.sack_blocks() {
            assert!(r_blocks.contains(b), "SACK block {b:?} was never sent by R");
        }
        assert!(
            r_max_ack.wrapping_sub(t.ack) as i32 >= 0,
            "ACK {} beyond R's {}",
            t.ack,
            r_max_ack
        );
    }

    // An independent dissector agrees: every checksum of every frame the box
    // sent is good.
    if Command::new("tshark").arg("-v").output().is_ok() {
        for f in [&to_access, &to_core] {
            let o = Command::new("tshark")
                .args(["-r", f.to_str().unwrap(), "-o", "tcp.check_checksum:TRUE"])
                .args(["-o", "ip.check_checksum:TRUE", "-Y"])
                .arg("tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed")
                .output()
                .unwrap();
            let bad = String::from_utf8_lossy(&o.stdout);
            assert!(o.status.success() && bad.trim().is_empty(), "tshark flags frames:\n{bad}");
        }
    } else {
        eprintln!("NOTICE: tshark not installed, checksums not cross-checked");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
