//! `shield` mode through the real dataplane on the recorded lossy,
//! reordered flow (replayed in capture time). Checks what the box sent:
//! every frame valid for Wireshark's dissector (checksums good), local
//! retransmissions that are copies of segments the sender sent (exact, or
//! with only their TSval raised to R's TS.Recent, as counted), and
//! ACKs to the sender that never acknowledge more than R did and carry no
//! SACK block R did not send, but for the DSACK with which the box answers
//! each duplicate of S's it keeps off J.

mod common;

use std::collections::HashSet;
use std::process::Command;

use common::*;
use shield::seq::{seq_gt, seq_le};

fn tcp_of(frame: &[u8]) -> Option<wire::TcpInfo> {
    let p = wire::parse(frame);
    p.tcp.filter(|_| p.error.is_none())
}

/// Checks that every frame towards R is one S sent, or one S sent with only
/// its TSval raised (the box's copy of a segment older than R's
/// TS.Recent), and that raised copies were sent exactly when the box
/// counted raises (a copy sent again after its raise goes out raised too,
/// so there may be more raised frames than raises).
fn assert_towards_r_are_copies(r: &Replay, raises: u64) {
    let originals: HashSet<&Vec<u8>> = r.core_in.iter().collect();
    let mut raised = 0;
    for f in &r.to_access {
        if originals.contains(f) {
            continue;
        }
        let p = wire::parse(f);
        let (tsval, _) = p.tcp.and_then(|t| t.opts.ts).expect("an altered frame towards R");
        let same_but_tsval = r.core_in.iter().any(|o| {
            let Some((o_tsval, o_tsecr)) = tcp_of(o).and_then(|t| t.opts.ts) else {
                return false;
            };
            let mut back = f.clone();
            wire::set_timestamps(&mut back, &p, o_tsval, o_tsecr).is_ok()
                && &back == o
                && seq_gt(tsval, o_tsval)
        });
        assert!(same_but_tsval, "a frame towards R was altered beyond a raised TSval");
        raised += 1;
    }
    assert_eq!(raised == 0, raises == 0, "{raised} raised copies, {raises} raises");
    assert!(raised >= raises, "{raised} raised copies, {raises} raises");
}

/// [first, end) of a segment's payload in sequence space.
fn data_range(t: &wire::TcpInfo) -> (u32, u32) {
    (t.seq, t.seq.wrapping_add(u32::from(t.payload_len)))
}

#[test]
fn shield_repairs_the_recorded_flow_and_stays_truthful_to_the_sender() {
    let r = replay("golden", "shield", "lossy-flow", true);
    let stdout = &r.stdout;
    let (pipeline, count) = pipeline_counters(stdout);

    let (core_frames, access_frames) = (&r.core_in, &r.access_in);
    let sent_to_access = &r.to_access;

    // Towards R: everything S sent but its duplicates of acknowledged data,
    // plus the local retransmissions, each an exact copy of a data segment S
    // sent (zero copy from the cache).
    let local = count("local_retransmits");
    assert!(local >= 1, "no local recovery on a flow with losses on J: {pipeline}");
    // The recording has a hole whose original is older than R's TS.Recent
    // by the time the box repairs it: that copy goes with a raised TSval.
    assert!(count("repair_timestamps_raised") >= 1, "{pipeline}");
    let dups = count("duplicates_suppressed");
    assert_eq!(sent_to_access.len() as u64, core_frames.len() as u64 - dups + local);
    assert_towards_r_are_copies(&r, count("repair_timestamps_raised"));

    // The live comparison: the one flow is in the shielded arm (no control
    // fraction), and its arm counts what R acknowledged of the download
    // (every byte R acknowledged).
    let arm = |name: &str, k: &str| -> u64 {
        let line = stdout.lines().find(|l| l.starts_with(&format!("final arm={name} "))).unwrap();
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} missing: {line}"))
    };
    const SYN: u8 = 0x02;
    let isn =
        core_frames.iter().filter_map(|f| tcp_of(f)).find(|t| t.flags & SYN != 0).unwrap().seq;
    let r_last_ack =
        access_frames.iter().filter_map(|f| tcp_of(f)).map(|t| t.ack).next_back().unwrap();
    // Everything R acknowledged from the SYN on (SYN and FIN count one each).
    assert_eq!(u64::from(r_last_ack.wrapping_sub(isn)), arm("shielded", "bytes_acked"));
    assert_eq!((arm("shielded", "flows"), arm("control", "flows")), (1, 0));
    assert_eq!(arm("control", "bytes_acked"), 0);
    assert!(arm("shielded", "sender_retransmits") > 0, "the recorded S retransmits");

    assert!(count("acks_rewritten") >= 1, "no ACK had a hole hidden: {pipeline}");
    // S resent data R had acknowledged: each copy is kept off J and answered
    // with R's ACK and a DSACK for it, as R would have answered it.
    assert!(dups >= 1, "the recording has S resend acknowledged data: {pipeline}");
    let mut kept_off_j: Vec<&Vec<u8>> = core_frames.iter().collect();
    for f in sent_to_access {
        if let Some(i) = kept_off_j.iter().position(|&g| g == f) {
            kept_off_j.swap_remove(i);
        }
    }
    assert_eq!(kept_off_j.len() as u64, dups);
    // The box's own ACKs towards S (not one of R's frames, forwarded as
    // they came) that carry one block, a DSACK. R in this recording did get
    // S's copies and DSACKed them itself; those frames do not count here.
    let from_r: HashSet<&Vec<u8>> = access_frames.iter().collect();
    let dsacks_to_s: HashSet<(u32, u32)> = r
        .to_core
        .iter()
        .filter(|f| !from_r.contains(f))
        .filter_map(|f| tcp_of(f))
        .filter_map(|t| match t.opts.sack_blocks() {
            [b] if seq_le(b.1, t.ack) => Some(*b),
            _ => None,
        })
        .collect();
    for t in kept_off_j.iter().filter_map(|f| tcp_of(f)) {
        let copy = data_range(&t);
        assert!(dsacks_to_s.contains(&copy), "S's duplicate {copy:?} got no DSACK");
    }
    assert_truthful_to_the_sender(&r, &count);
    assert_frames_valid_for_tshark(&r);
}

/// The box's final pipeline line, and a reader of its `key=value` counters.
fn pipeline_counters(stdout: &str) -> (&str, impl Fn(&str) -> u64 + '_) {
    let pipeline = stdout.lines().find(|l| l.starts_with("final pipeline ")).unwrap();
    let count = move |k: &str| -> u64 {
        pipeline
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} missing: {pipeline}"))
    };
    (pipeline, count)
}

/// Towards S: R's ACKs (some rewritten, some withheld, some built), and
/// nothing else; no ACK beyond R's, no SACK block R did not send but the
/// DSACKs of the box's answers to S's duplicates: each reports exactly one
/// segment S sent, below the ACK it rides on.
fn assert_truthful_to_the_sender(r: &Replay, count: &dyn Fn(&str) -> u64) {
    // Towards S: R's ACKs (some rewritten, some withheld, some built).
    let (access_frames, sent_to_core) = (&r.access_in, &r.to_core);
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
        .fold(0u32, |m, a| if seq_gt(a, m) || m == 0 { a } else { m });
    let s_segments: HashSet<(u32, u32)> = r
        .core_in
        .iter()
        .filter_map(|f| tcp_of(f))
        .filter(|t| t.payload_len > 0)
        .map(|t| data_range(&t))
        .collect();
    for t in sent_to_core.iter().filter_map(|f| tcp_of(f)).filter(|t| t.flags & ACK != 0) {
        for b in t.opts.sack_blocks() {
            if r_blocks.contains(b) {
                continue;
            }
            assert!(
                seq_le(b.1, t.ack) && s_segments.contains(b) && t.opts.sack_blocks().len() == 1,
                "SACK block {b:?} was never sent by R and is no DSACK of a segment S sent"
            );
        }
        assert!(seq_le(t.ack, r_max_ack), "ACK {} beyond R's {}", t.ack, r_max_ack);
    }
}

/// An independent dissector agrees: every checksum of every frame the box
/// sent is good.
fn assert_frames_valid_for_tshark(r: &Replay) {
    if Command::new("tshark").arg("-v").output().is_ok() {
        for f in [r.dir.join("to-access.pcap"), r.dir.join("to-core.pcap")] {
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
}

#[test]
fn every_optional_action_on_stays_truthful_to_the_sender() {
    // ACK pacing, stall protection and the window's cache bound are off by
    // default; here they run on the same recording with the other actions.
    let extra = "[shield]\nack_pacing = true\nstall_protection = true\nwindow_cache_bound = true\n";
    let r = replay_with("golden-all", "shield", "lossy-flow", true, extra);
    let (pipeline, count) = pipeline_counters(&r.stdout);
    assert!(count("local_retransmits") >= 1, "{pipeline}");
    // Both actions act on this recording (counted), so what follows checks
    // their ACKs too.
    assert!(count("acks_paced") >= 1 && count("windows_clamped") >= 1, "{pipeline}");
    assert_towards_r_are_copies(&r, count("repair_timestamps_raised"));
    assert_truthful_to_the_sender(&r, &count);
    assert_frames_valid_for_tshark(&r);
}
