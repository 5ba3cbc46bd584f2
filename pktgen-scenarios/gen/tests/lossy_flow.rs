mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{decode, read_pcap, tmpdir, Tcp};
use jg_scenario_gen::scenario::lossy_flow::{self, LossyOptions};

/// The parameters of the committed pktgen-scenarios/scenarios/lossy-flow.*.
fn committed_options() -> LossyOptions {
    LossyOptions { segments: 500, loss: 0.02, reorder: 0.01, ..LossyOptions::default() }
}

fn tcp_frames(path: &Path) -> Vec<Tcp> {
    read_pcap(path)
        .iter()
        .map(|f| {
            let d = decode(&f.data);
            assert!(d.malformed.is_none());
            let t = d.tcp.expect("only TCP in this scenario");
            assert!(t.checksum_ok);
            assert!(d.ipv4_header_ok.unwrap());
            t
        })
        .collect()
}

/// Checks the truth file against the frames themselves.
fn check_against_pcaps(dir: &Path, o: &LossyOptions) {
    let (summary, truth) = lossy_flow::generate(dir, o).unwrap();
    let core = tcp_frames(&summary.core_path);
    let access = tcp_frames(&summary.access_path);
    assert_eq!(truth.core_frames as usize, core.len());
    assert_eq!(truth.access_frames as usize, access.len());
    assert_eq!(truth.rto_events, 0);
    assert!(!truth.lost.is_empty(), "the scenario must contain losses");
    assert!(!truth.reordered.is_empty(), "the scenario must contain reordering");

    // Handshake: R's SYN on access with SACK-permitted, timestamps, wscale.
    assert_eq!(access[0].flags, 0x02);
    assert_eq!(core[0].flags, 0x12);
    assert_eq!(core[0].seq, truth.sender_isn);
    assert_eq!(access[0].seq, truth.receiver_isn);

    // Every data byte was sent at least once; retransmissions carry the same bytes.
    let mut payload_at: HashMap<u32, Vec<u8>> = HashMap::new();
    for t in core.iter().filter(|t| t.payload_len > 0) {
        if let Some(p) = payload_at.get(&t.seq) {
            assert_eq!(p, &t.payload, "retransmission of {} differs", t.seq);
        } else {
            payload_at.insert(t.seq, t.payload.clone());
        }
    }
    assert_eq!(payload_at.len(), o.segments as usize);

    for x in truth.lost.iter().chain(&truth.reordered) {
        let first = &core[x.first_tx_core_frame as usize];
        assert_eq!(first.seq, x.seq, "segment {}", x.segment);
        for &r in &x.retransmission_core_frames {
            assert_eq!(core[r as usize].seq, x.seq);
            assert!(r > x.first_tx_core_frame);
        }
        if let Some(h) = x.hole_first_seen_access_frame {
            let a = &access[h as usize];
            assert!(a.ack.wrapping_sub(x.seq) as i32 <= 0, "ACK below the hole");
            assert!(
                a.sack.iter().any(|&(l, _)| (l.wrapping_sub(x.seq) as i32) > 0),
                "a SACK block above the hole"
            );
        }
        let acked = x.acked_access_frame.expect("every segment is acknowledged") as usize;
        assert!((access[acked].ack.wrapping_sub(x.seq) as i32) > 0);
        for &f in &x.dsack_access_frames {
            let (l, r) = access[f as usize].sack[0];
            assert_eq!((l, r), (x.seq, x.seq.wrapping_add(1448)), "DSACK block first");
        }
    }
    // Lost segments are retransmitted and their hole shows in R's SACKs.
    for x in &truth.lost {
        assert!(!x.retransmission_core_frames.is_empty(), "lost {} never retransmitted", x.segment);
        assert!(x.hole_first_seen_access_frame.is_some());
    }
    // A spurious retransmission of a reordered segment yields a DSACK.
    for x in &truth.reordered {
        assert_eq!(x.retransmission_core_frames.is_empty(), x.dsack_access_frames.is_empty());
    }
    // The connection closes: FIN from S, FIN from R, last ACK from S.
    assert_ne!(core[core.len() - 2].flags & 0x01, 0);
    assert_ne!(access.last().unwrap().flags & 0x01, 0);
    assert_eq!(core.last().unwrap().flags, 0x10);
    // Timestamps never go backwards per side (PAWS-clean).
    for side in [&core, &access] {
        let mut last = side[0].tsval.unwrap();
        for t in side.iter() {
            let v = t.tsval.unwrap();
            assert!(v.wrapping_sub(last) < 0x8000_0000);
            last = v;
        }
    }
}

#[test]
fn committed_lossy_flow_is_consistent_and_reproducible() {
    let dir = tmpdir("lossy-committed");
    check_against_pcaps(&dir, &committed_options());
    let committed = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    for f in ["lossy-flow.core.pcap", "lossy-flow.access.pcap", "lossy-flow.truth.json"] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(committed.join(f)).unwrap(),
            "{f} differs from the committed file: regenerate it (see pktgen-scenarios/README.md)"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn default_lossy_flow_is_consistent() {
    let dir = tmpdir("lossy-default");
    check_against_pcaps(&dir, &LossyOptions::default());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_impairment_means_no_retransmission() {
    let dir = tmpdir("lossy-clean");
    let o = LossyOptions { segments: 200, loss: 0.0, reorder: 0.0, ..LossyOptions::default() };
    let (_, truth) = lossy_flow::generate(&dir, &o).unwrap();
    assert!(truth.lost.is_empty() && truth.reordered.is_empty());
    assert!(truth.retransmission_core_frames.is_empty());
    assert_eq!(truth.sack_access_frames, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
