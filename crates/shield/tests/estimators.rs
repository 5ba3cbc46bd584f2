//! Each estimator driven through `FlowShield::on_segment` with scripted
//! packet sequences on a scripted clock. Sequence numbers start just below
//! 2^32 (tests/common ISN), so every test crosses the wraparound.

mod common;

use common::{Scripted, ISN, MSS};
use shield::{
    Class, ConnState, Dir, FlowShield, GroupState, Segment, ShieldConfig, TcpOpts, TraceKind,
    FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN,
};

const M: u32 = MSS as u32;

fn seg(dir: Dir, seq: u32, ack: u32, flags: u8, len: u32) -> Segment {
    Segment { dir, seq, ack, flags, window: 1000, payload_len: len, opts: TcpOpts::default() }
}

fn with_ts(mut s: Segment, tsval: u32, tsecr: u32) -> Segment {
    s.opts.ts = Some((tsval, tsecr));
    s
}

#[test]
fn handshake_sender_opens() {
    let s = Scripted::new(ShieldConfig::default());
    let r = s.flow.report(s.now);
    assert_eq!(r.conn, ConnState::Established);
    let h = r.handshake;
    assert!(!h.midstream);
    assert_eq!((h.sender.mss, h.receiver.mss), (Some(1000), Some(1000)));
    assert_eq!(h.receiver_window_shift(), Some(7));
    assert!(h.sack_ok() && !h.ts_ok());
    assert_eq!(r.j_rtt_latest_us, Some(40_000));
    assert_eq!(r.s_rtt_us, Some(2_000));
    let kinds: Vec<_> = s.flow.trace().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            TraceKind::Opened { midstream: false },
            TraceKind::Handshake { j_rtt_us: 40_000, s_rtt_us: 2_000 }
        ]
    );
}

#[test]
fn handshake_receiver_opens_and_window_is_scaled() {
    let cfg = ShieldConfig::default();
    let t0 = 5_000_000_000u64;
    let mut syn = Scripted::syn(Dir::FromAccess, 9000, 0, FLAG_SYN);
    syn.opts.wscale = Some(3);
    let mut f = FlowShield::new(t0, &syn);
    let mut g = GroupState::new(t0);
    f.on_segment(t0, &syn, &mut g, &cfg);
    // S answers 3 ms later (S-side RTT), R's ACK comes back 25 ms after that (J).
    let synack = Scripted::syn(Dir::FromCore, ISN, 9001, FLAG_SYN | FLAG_ACK);
    f.on_segment(t0 + 3_000_000, &synack, &mut g, &cfg);
    let mut ack = seg(Dir::FromAccess, 9001, ISN.wrapping_add(1), FLAG_ACK, 0);
    ack.window = 100;
    f.on_segment(t0 + 28_000_000, &ack, &mut g, &cfg);
    let r = f.report(t0 + 28_000_000);
    assert_eq!(r.conn, ConnState::Established);
    assert_eq!(r.j_rtt_latest_us, Some(25_000));
    assert_eq!(r.s_rtt_us, Some(3_000));
    assert_eq!(r.rwnd_bytes, Some(100 << 3));
}

#[test]
fn retransmitted_syn_gives_no_handshake_sample() {
    let cfg = ShieldConfig::default();
    let t0 = 1_000_000_000u64;
    let syn = Scripted::syn(Dir::FromCore, ISN, 0, FLAG_SYN);
    let mut f = FlowShield::new(t0, &syn);
    let mut g = GroupState::new(t0);
    f.on_segment(t0, &syn, &mut g, &cfg);
    f.on_segment(t0 + 1_000_000_000, &syn, &mut g, &cfg);
    let synack = Scripted::syn(Dir::FromAccess, 7000, ISN.wrapping_add(1), FLAG_SYN | FLAG_ACK);
    f.on_segment(t0 + 1_040_000_000, &synack, &mut g, &cfg);
    let r = f.report(t0 + 1_040_000_000);
    assert!(r.handshake.sender.syn_retransmitted);
    assert_eq!(r.j_rtt_samples, 0, "Karn: ambiguous SYN-ACK");
}

#[test]
fn midstream_pickup_is_measured_with_scale_unknown() {
    let cfg = ShieldConfig::default();
    let t0 = 1_000_000_000u64;
    let first = seg(Dir::FromCore, 123_456, 1, FLAG_ACK, M);
    let mut f = FlowShield::new(t0, &first);
    let mut g = GroupState::new(t0);
    f.on_segment(t0, &first, &mut g, &cfg);
    f.on_segment(t0 + 30_000_000, &seg(Dir::FromAccess, 1, 123_456 + M, FLAG_ACK, 0), &mut g, &cfg);
    let r = f.report(t0 + 30_000_000);
    assert!(r.handshake.midstream);
    assert_eq!(r.conn, ConnState::Established);
    assert_eq!(r.rwnd_bytes, None, "scale unknown: window never interpreted");
    assert_eq!(r.j_rtt_latest_us, Some(30_000));
    assert_eq!(f.trace().next().unwrap().kind, TraceKind::Opened { midstream: true });
    // A hole below the first byte the box saw is neither J's nor upstream's.
    f.on_segment(
        t0 + 31_000_000,
        &seg(Dir::FromAccess, 1, 123_456 - 5000, FLAG_ACK, 0),
        &mut g,
        &cfg,
    );
    assert_eq!(f.report(t0 + 31_000_000).holes_reported, 0);
}

#[test]
fn rtt_from_data_ack_matching_across_wraparound() {
    let mut s = Scripted::new(ShieldConfig::default());
    let first = s.nxt;
    s.steady(500_000, 40_000);
    let r = s.flow.report(s.now);
    assert!(common::ISN > s.nxt && first > s.nxt, "sequence wrapped");
    assert_eq!(r.j_rtt_latest_us, Some(40_000));
    assert_eq!(r.j_rtt_min_us, Some(40_000));
    assert_eq!(r.jitter_us, 0);
    assert!(r.j_rtt_samples > 20);
    assert_eq!(r.bytes_acked, 500 * MSS + 1, "500 segments and the SYN");
    assert_eq!(r.bytes_in_flight, 0);
}

#[test]
fn karn_no_sample_from_retransmitted_range() {
    let mut s = Scripted::new(ShieldConfig::default());
    let before = s.flow.report(s.now).j_rtt_samples;
    let a = s.send();
    s.advance_us(300_000);
    s.data(a, M); // retransmission
    s.advance_us(40_000);
    s.ack(a.wrapping_add(M), &[]);
    let r = s.flow.report(s.now);
    assert_eq!(r.j_rtt_samples, before, "ambiguous ACK gives no sample");
    assert_eq!(r.sender_retrans, 1);
}

#[test]
fn rtt_from_timestamp_echo_survives_retransmission() {
    let mut s = Scripted::new(ShieldConfig::default());
    let a = s.nxt;
    s.feed(with_ts(seg(Dir::FromCore, a, 7001, FLAG_ACK, M), 100, 0));
    s.advance_us(300_000);
    // Retransmission carries a fresh TSval: its echo is an unambiguous sample.
    s.feed(with_ts(seg(Dir::FromCore, a, 7001, FLAG_ACK, M), 400, 0));
    s.advance_us(35_000);
    s.feed(with_ts(seg(Dir::FromAccess, 7001, a.wrapping_add(M), FLAG_ACK, 0), 9, 400));
    assert_eq!(s.flow.report(s.now).j_rtt_latest_us, Some(35_000));
}

#[test]
fn sender_side_rtt_from_timestamp_progression() {
    let mut s = Scripted::new(ShieldConfig::default());
    // R's ACK carries TSval 5000; S echoes it 6 ms later in its next data.
    s.feed(with_ts(seg(Dir::FromAccess, 7001, s.nxt, FLAG_ACK, 0), 5000, 0));
    s.advance_us(6_000);
    let n = s.nxt;
    s.feed(with_ts(seg(Dir::FromCore, n, 7001, FLAG_ACK, M), 77, 5000));
    // smoothed from the handshake's 2 ms: 2 + (6 - 2) / 8 = 2.5 ms
    assert_eq!(s.flow.report(s.now).s_rtt_us, Some(2_500));
}

#[test]
fn hole_repaired_by_retransmission_is_loss_on_j() {
    let mut s = Scripted::new(ShieldConfig::default());
    let segs: Vec<u32> = (0..5).map(|_| s.send()).collect();
    s.advance_us(40_000);
    let hole = segs[0];
    let top = segs[4].wrapping_add(M);
    for k in 1..5 {
        s.ack(hole, &[(segs[1], segs[k].wrapping_add(M))]);
    }
    assert_eq!(s.flow.report(s.now).holes_reported, 1);
    s.advance_us(3_000);
    s.data(hole, M); // S's fast retransmit passes the box
    s.advance_us(41_000);
    s.ack(top, &[]);
    let r = s.flow.report(s.now);
    assert_eq!((r.j_loss_events, r.j_lost_bytes), (1, u64::from(M)));
    assert_eq!(r.reorder_events, 0);
    assert_eq!(r.counterfactual.fast_retx_by_j_loss, 1);
    assert_eq!(r.upstream_loss_events, 0);
}

#[test]
fn hole_for_bytes_the_box_never_saw_is_upstream_loss() {
    let mut s = Scripted::new(ShieldConfig::default());
    let a = s.send();
    let lost = s.nxt; // lost between S and the box: never fed
    s.nxt = lost.wrapping_add(M);
    let c = s.send();
    let d = s.send();
    s.advance_us(40_000);
    s.ack(a.wrapping_add(M), &[]);
    s.ack(lost, &[(c, c.wrapping_add(M))]);
    s.ack(lost, &[(c, d.wrapping_add(M))]);
    s.advance_us(5_000);
    s.data(lost, M);
    s.advance_us(40_000);
    s.ack(d.wrapping_add(M), &[]);
    let r = s.flow.report(s.now);
    assert_eq!((r.upstream_loss_events, r.upstream_lost_bytes), (1, u64::from(M)));
    assert_eq!(r.j_loss_events, 0);
    assert_eq!(r.holes_reported, 0, "not a hole on J");
    assert_eq!(r.counterfactual.fast_retx_by_upstream_loss, 1);
}

#[test]
fn hole_filled_without_retransmission_is_reordering() {
    let mut s = Scripted::new(ShieldConfig::default());
    let segs: Vec<u32> = (0..4).map(|_| s.send()).collect();
    s.advance_us(40_000);
    s.ack(segs[0], &[(segs[1], segs[2])]);
    s.advance_us(1_000);
    s.ack(segs[0], &[(segs[1], segs[3])]);
    s.advance_us(4_000);
    s.ack(segs[3].wrapping_add(M), &[]); // the late segment arrived
    let r = s.flow.report(s.now);
    assert_eq!(r.reorder_events, 1);
    assert_eq!(r.reorder_max_us, 5_000);
    assert_eq!(r.reorder_max_bytes, 3 * M);
    assert_eq!((r.j_loss_events, r.sender_retrans), (0, 0));
}

#[test]
fn spurious_fast_retransmit_by_reordering_and_dsack_counted_once() {
    let mut s = Scripted::new(ShieldConfig::default());
    let segs: Vec<u32> = (0..5).map(|_| s.send()).collect();
    s.advance_us(40_000);
    for k in 2..5 {
        s.ack(segs[0], &[(segs[1], segs[k].wrapping_add(M))]);
    }
    s.advance_us(2_000);
    s.data(segs[0], M); // S retransmits
    s.advance_us(3_000);
    let top = segs[4].wrapping_add(M);
    s.ack(top, &[]); // too soon for the retransmission: the original was late
    s.advance_us(37_000);
    s.ack(top, &[(segs[0], segs[0].wrapping_add(M))]); // DSACK for the retransmission
    let r = s.flow.report(s.now);
    assert_eq!(r.dsacks, 1);
    assert_eq!(r.reorder_events, 1);
    assert_eq!(r.j_loss_events, 0);
    assert_eq!(r.counterfactual.fast_retx_by_reorder, 1);
    assert_eq!(r.counterfactual.spurious_retrans, 1, "the DSACK confirms, it does not count twice");
}

#[test]
fn dsack_turns_a_counted_loss_into_reordering() {
    let mut s = Scripted::new(ShieldConfig::default());
    let segs: Vec<u32> = (0..5).map(|_| s.send()).collect();
    s.advance_us(40_000);
    for k in 2..5 {
        s.ack(segs[0], &[(segs[1], segs[k].wrapping_add(M))]);
    }
    s.data(segs[0], M);
    s.advance_us(40_000);
    let top = segs[4].wrapping_add(M);
    s.ack(top, &[]);
    assert_eq!(s.flow.report(s.now).j_loss_events, 1);
    s.ack(top, &[(segs[0], segs[0].wrapping_add(M))]);
    let r = s.flow.report(s.now);
    assert_eq!((r.j_loss_events, r.j_lost_bytes, r.reorder_events), (0, 0, 1));
    assert_eq!(r.counterfactual.fast_retx_by_reorder, 1);
    assert_eq!(r.counterfactual.fast_retx_by_j_loss, 0);
}

#[test]
fn retransmission_of_acknowledged_data_is_spurious() {
    let mut s = Scripted::new(ShieldConfig::default());
    let a = s.send();
    s.advance_us(40_000);
    s.ack(a.wrapping_add(M), &[]);
    s.data(a, M);
    let cf = s.flow.report(s.now).counterfactual;
    assert_eq!((cf.spurious_retrans, cf.retrans_already_acked), (1, 1));
}

#[test]
fn stall_rto_and_spurious_rto() {
    let mut s = Scripted::new(ShieldConfig::default());
    s.steady(1_000_000, 40_000);
    let segs: Vec<u32> = (0..3).map(|_| s.send()).collect();
    // J stalls. S's RTO (>= 200 ms + srtt) fires at 300 ms: it retransmits.
    s.advance_us(300_000);
    s.data(segs[0], M);
    // The stall ends 5 ms later: the original's ACK, too soon for the retransmission.
    s.advance_us(5_000);
    s.ack(segs[2].wrapping_add(M), &[]);
    let r = s.flow.report(s.now);
    assert_eq!(r.sender_rtos, 1);
    assert_eq!(r.counterfactual.rto_during_stall, 1);
    assert_eq!(r.counterfactual.spurious_rto, 1);
    assert_eq!(r.stalls, 1);
    assert_eq!(r.longest_stall_us, 305_000);
    assert!(s
        .flow
        .trace()
        .any(|e| matches!(e.kind, TraceKind::SenderRto { in_stall: true, quiet_us: 300_000 })));
}

#[test]
fn dupacks_without_sack_open_a_hole() {
    let cfg = ShieldConfig::default();
    let t0 = 1_000_000_000u64;
    let mut syn = Scripted::syn(Dir::FromCore, ISN, 0, FLAG_SYN);
    syn.opts.sack_perm = false;
    let mut f = FlowShield::new(t0, &syn);
    let mut g = GroupState::new(t0);
    let mut t = t0;
    f.on_segment(t, &syn, &mut g, &cfg);
    t += 40_000_000;
    let mut synack = Scripted::syn(Dir::FromAccess, 1, ISN.wrapping_add(1), FLAG_SYN | FLAG_ACK);
    synack.window = 1000; // same as the dupACKs': a window update is no dupACK
    f.on_segment(t, &synack, &mut g, &cfg);
    let base = ISN.wrapping_add(1);
    for k in 0..4u32 {
        f.on_segment(
            t,
            &seg(Dir::FromCore, base.wrapping_add(k * M), 2, FLAG_ACK, M),
            &mut g,
            &cfg,
        );
    }
    t += 40_000_000;
    for _ in 0..3 {
        f.on_segment(t, &seg(Dir::FromAccess, 2, base, FLAG_ACK, 0), &mut g, &cfg);
    }
    let r = f.report(t);
    assert_eq!((r.dupacks, r.holes_reported), (3, 1));
    f.on_segment(t, &seg(Dir::FromCore, base, 2, FLAG_ACK, M), &mut g, &cfg);
    t += 40_000_000;
    f.on_segment(t, &seg(Dir::FromAccess, 2, base.wrapping_add(4 * M), FLAG_ACK, 0), &mut g, &cfg);
    assert_eq!(f.report(t).j_loss_events, 1);
}

#[test]
fn fin_and_rst_close_the_flow() {
    let mut s = Scripted::new(ShieldConfig::default());
    let n = s.nxt;
    s.feed(seg(Dir::FromCore, n, 7001, FLAG_ACK | FLAG_FIN, 0));
    assert_eq!(s.flow.report(s.now).conn, ConnState::Closing);
    s.feed(seg(Dir::FromAccess, 7001, n.wrapping_add(1), FLAG_ACK | FLAG_FIN, 0));
    assert_eq!(s.flow.report(s.now).conn, ConnState::Closed);
    assert!(s.flow.trace().any(|e| e.kind == TraceKind::Closed { reset: false }));

    let mut s = Scripted::new(ShieldConfig::default());
    s.feed(seg(Dir::FromAccess, 7001, 0, FLAG_RST, 0));
    assert_eq!(s.flow.report(s.now).conn, ConnState::Closed);
    assert!(s.flow.trace().any(|e| e.kind == TraceKind::Closed { reset: true }));
}

#[test]
fn delivery_rate_sending_rate_in_flight_and_sender_rto() {
    let mut s = Scripted::new(ShieldConfig::default());
    // One 1000-byte segment per ms: 8 Mbit/s, 40 segments in flight.
    let mut pending = std::collections::VecDeque::new();
    for _ in 0..2000 {
        let a = s.send();
        pending.push_back(a.wrapping_add(M));
        if pending.len() > 40 {
            let ack = pending.pop_front().unwrap();
            s.ack(ack, &[]);
        }
        s.advance_us(1_000);
    }
    let r = s.flow.report(s.now);
    assert!((7_800..=8_200).contains(&r.delivery_rate_kbps), "{}", r.delivery_rate_kbps);
    assert!((7_800..=8_200).contains(&r.send_rate_kbps), "{}", r.send_rate_kbps);
    assert!(r.delivery_rate_max_kbps >= r.delivery_rate_kbps);
    assert_eq!(r.bytes_in_flight, 40 * M);
    // S sees J's 40 ms + its own 2 ms; RTO = srtt + max(4 rttvar, 200 ms).
    assert!((241_000..=243_000).contains(&r.sender_rto_us), "{}", r.sender_rto_us);
    assert_eq!(r.class, Class::Clear);
}

#[test]
fn rwnd_limited_when_in_flight_reaches_the_window() {
    let mut s = Scripted::new(ShieldConfig::default());
    for _ in 0..40 {
        s.send();
    }
    // R advertises 300 << 7 = 38400 bytes; 40000 are in flight.
    let mut a = seg(Dir::FromAccess, 7001, ISN.wrapping_add(1), FLAG_ACK, 0);
    a.window = 300;
    s.feed(a);
    let r = s.flow.report(s.now);
    assert_eq!(r.rwnd_bytes, Some(38_400));
    assert!(r.rwnd_limited);
}

#[test]
fn explain_lines_are_readable() {
    let mut s = Scripted::new(ShieldConfig::default());
    s.steady(2_000_000, 40_000);
    let lines: Vec<String> = s.flow.trace().map(|e| e.to_string()).collect();
    assert!(lines[0].ends_with("opened"), "{lines:?}");
    assert!(lines[1].contains("handshake: J rtt 40.0 ms, S-side rtt 2.0 ms"), "{lines:?}");
    assert!(lines[2].contains("class congested -> clear: no impairment"), "{lines:?}");
}

#[test]
fn a_burst_of_more_holes_than_the_table_holds_is_counted_in_full_once() {
    let mut s = Scripted::new(ShieldConfig::default());
    // 24 segments, every other one lost (slow start overflowing a queue):
    // 12 holes, 4 more than the table tracks.
    let segs: Vec<u32> = (0..24).map(|_| s.send()).collect();
    s.advance_us(40_000);
    let blocks: Vec<(u32, u32)> =
        (0..12).map(|i| (segs[2 * i + 1], segs[2 * i + 1].wrapping_add(M))).collect();
    // R lists its 3 most recent blocks on each ACK, as Linux does; every
    // block arrives once, and the last ones are reported again.
    for k in 0..blocks.len() {
        let recent: Vec<(u32, u32)> = blocks[..=k].iter().rev().take(3).copied().collect();
        s.ack(segs[0], &recent);
    }
    s.ack(segs[0], &[blocks[11], blocks[10], blocks[9]]);
    let r = s.flow.report(s.now);
    assert!(r.holes_untracked >= 4, "{r:?}");
    // S repairs everything; R acknowledges it all.
    s.advance_us(3_000);
    for i in 0..12 {
        s.data(segs[2 * i], M);
    }
    s.advance_us(41_000);
    s.ack(segs[23].wrapping_add(M), &[]);
    let r = s.flow.report(s.now);
    assert_eq!(r.j_lost_bytes, 12 * u64::from(M), "{r:?}");
}
