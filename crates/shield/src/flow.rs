//! Per-flow state: the estimators wired to the two packet directions, the
//! per-tick classifier, the why-trace.
//!
//! Vocabulary: S is the core-side endpoint (its data passes the box before
//! J), R the access-side endpoint. `snd_max` is the highest sequence number
//! S sent past the box, `una` the highest cumulative ACK from R. Only the
//! S -> R data direction is measured; data R sends is ignored.

use crate::classify::{evidence, tick_impairment, Class, Hysteresis, Reason, TickFeatures};
use crate::clock::{elapsed, FlowClock, Micros};
use crate::config::{pct, ShieldConfig};
use crate::counterfactual::Counterfactual;
use crate::group::GroupState;
use crate::handshake::{HandshakeFacts, SideOptions};
use crate::holes::{
    dsack_of, sack_gaps, sacked_bytes, FillKind, HoleTable, OpenHole, Reported, UpstreamGaps,
    H_RETX, H_RTO, H_UNKNOWN, H_UPSTREAM,
};
use crate::report::{ConnState, FlowReport};
use crate::retrans::{RetransLog, RX_COUNTED_J_LOSS, RX_MULTI, RX_RTO, RX_SPURIOUS};
use crate::rtt::{RttEstimator, SenderRto, SideRtt};
use crate::rtt_samples::{SeqSampleRing, TsEchoRing};
use crate::segment::{Dir, Segment};
use crate::seq::{seq_gt, seq_le, seq_lt, seq_max, seq_min, seq_span};
use crate::stall::StallTracker;
use crate::trace::{TraceEvent, TraceKind, TraceRing};
use crate::verdict::Verdict;
use crate::windowed::WindowedExtreme;

/// Flow flags.
const F_ANCHORED: u16 = 1 << 0;
const F_DATA_SEEN: u16 = 1 << 1;
const F_FIN_S: u16 = 1 << 2;
const F_FIN_R: u16 = 1 << 3;
const F_S_SYN_ACKED: u16 = 1 << 4;
const F_R_SYN_ACKED: u16 = 1 << 5;
const F_RTO_PROBE: u16 = 1 << 6;
const F_WINDOW_SEEN: u16 = 1 << 7;
const F_RWND_LIMITED: u16 = 1 << 8;
/// `una` is a cumulative ACK R actually sent (not an anchor from S's side).
const F_UNA_FROM_R: u16 = 1 << 9;

/// Segment size assumed for a dupACK hole when R announced no MSS.
const DEFAULT_MSS: u32 = 1460;

/// What the current classifier tick has collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TickStats {
    start: Micros,
    /// Smallest RTT sample not taken across a stall's end (u32::MAX: none).
    min_clean_rtt: u32,
    delivered: u32,
    sent: u32,
    holes: u16,
    reorders: u16,
    stall_us: u32,
}

impl TickStats {
    fn new(start: Micros) -> Self {
        TickStats {
            start,
            min_clean_rtt: u32::MAX,
            delivered: 0,
            sent: 0,
            holes: 0,
            reorders: 0,
            stall_us: 0,
        }
    }
}

/// Cumulative per-flow counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    bytes_sent: u64,
    bytes_acked: u64,
    j_lost_bytes: u64,
    upstream_lost_bytes: u64,
    retrans_bytes: u64,
    j_loss_events: u32,
    upstream_loss_events: u32,
    holes_reported: u32,
    holes_untracked: u32,
    reorder_events: u32,
    reorder_max_us: u32,
    reorder_max_bytes: u32,
    dsacks: u32,
    dupacks: u32,
    retrans: u32,
    rtos: u32,
}

/// See [`FlowShield::progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes R newly acknowledged (cumulatively) since the flow started.
    pub bytes_acked: u64,
    /// S's retransmissions seen so far.
    pub sender_retransmits: u32,
    /// The connection closed (both FINs or a RST).
    pub closed: bool,
}

/// Per-flow shield state: fixed size, `Copy`, no heap.
#[derive(Clone, Copy, Debug)]
pub struct FlowShield {
    clock: FlowClock,
    c: Counters,
    cf: Counterfactual,
    hs: HandshakeFacts,
    rtt: RttEstimator,
    rate_max: WindowedExtreme,
    holes: HoleTable,
    trace: TraceRing,
    seq_samples: SeqSampleRing,
    ts_j: TsEchoRing<4>,
    ts_s: TsEchoRing<2>,
    retx: RetransLog,
    gaps: UpstreamGaps,
    stall: StallTracker,
    tick: TickStats,
    s_rtt: SideRtt,
    rto: SenderRto,
    hyst: Hysteresis,
    queue_us: Option<u32>,
    /// Latest impairment seen by a tick: (when, what, its measurement).
    impairment_at: Micros,
    impairment: Option<(Reason, u32)>,
    isn_s: u32,
    isn_r: u32,
    s_syn_at: Micros,
    r_syn_at: Micros,
    snd_max: u32,
    una: u32,
    seen_floor: u32,
    /// Highest byte R has SACKed (or `una`): only gaps above it are new
    /// holes (see `HoleTable::report`).
    sack_high: u32,
    /// End of the holes counted as lost when the hole table was full (never
    /// below `una`): those bytes are not counted again.
    untracked_to: u32,
    sacked: u32,
    rto_probe_seq: u32,
    rto_probe_at: Micros,
    rto_us: u32,
    rate_now_kbps: u32,
    send_rate_kbps: u32,
    ticks: u32,
    dupacks_since_progress: u16,
    flags: u16,
    last_win: u16,
    conn: ConnState,
    last_reason: Reason,
    /// Incremented when a new connection reuses the flow (a SYN with a new
    /// ISN), so state kept beside the flow (actions) knows to start over.
    epoch: u8,
}

fn kbps(bytes: u32, us: u32) -> u32 {
    if us == 0 {
        return 0;
    }
    (u64::from(bytes) * 8_000 / u64::from(us)).min(u64::from(u32::MAX)) as u32
}

impl FlowShield {
    /// A flow first seen with `first`. A SYN (either direction) starts the
    /// handshake; anything else is a mid-stream pickup: measured, but the
    /// window scale is unknown. `new` does not consume `first`: pass it to
    /// [`FlowShield::on_segment`] as every other segment.
    pub fn new(now_ns: u64, first: &Segment) -> Self {
        let mut f = FlowShield {
            clock: FlowClock::new(now_ns),
            c: Counters::default(),
            cf: Counterfactual::default(),
            hs: HandshakeFacts::default(),
            rtt: RttEstimator::default(),
            rate_max: WindowedExtreme::default(),
            holes: HoleTable::default(),
            trace: TraceRing::default(),
            seq_samples: SeqSampleRing::default(),
            ts_j: TsEchoRing::default(),
            ts_s: TsEchoRing::default(),
            retx: RetransLog::default(),
            gaps: UpstreamGaps::default(),
            stall: StallTracker::default(),
            tick: TickStats::new(0),
            s_rtt: SideRtt::default(),
            rto: SenderRto::default(),
            hyst: Hysteresis::default(),
            queue_us: None,
            impairment_at: 0,
            impairment: None,
            isn_s: 0,
            isn_r: 0,
            s_syn_at: 0,
            r_syn_at: 0,
            snd_max: 0,
            una: 0,
            seen_floor: 0,
            untracked_to: 0,
            sack_high: 0,
            sacked: 0,
            rto_probe_seq: 0,
            rto_probe_at: 0,
            rto_us: ShieldConfig::default().rto_initial_us,
            rate_now_kbps: 0,
            send_rate_kbps: 0,
            ticks: 0,
            dupacks_since_progress: 0,
            flags: 0,
            last_win: 0,
            conn: ConnState::Handshake,
            last_reason: Reason::Unmeasured,
            epoch: 0,
        };
        if !first.is_syn() {
            f.hs.midstream = true;
            f.conn = ConnState::Established;
            match first.dir {
                Dir::FromCore => f.anchor(first.seq),
                Dir::FromAccess if first.has_ack() => f.anchor(first.ack),
                Dir::FromAccess => {}
            }
        }
        f.trace.push(0, TraceKind::Opened { midstream: f.hs.midstream });
        f
    }

    /// Process one segment of the flow. `group` is the flow's path group
    /// (the caller's scratch group if the group table was full).
    /// In monitor mode the verdict is always [`Verdict::Forward`].
    pub fn on_segment(
        &mut self,
        now_ns: u64,
        seg: &Segment,
        group: &mut GroupState,
        cfg: &ShieldConfig,
    ) -> Verdict {
        let now = self.clock.micros(now_ns);
        if seg.is_rst() {
            self.close(now_ns, true);
            return Verdict::Forward;
        }
        match seg.dir {
            Dir::FromCore => self.on_sender_segment(now, now_ns, seg, cfg),
            Dir::FromAccess => self.on_receiver_segment(now, now_ns, seg, cfg),
        }
        self.update_rwnd_limited(cfg);
        self.maybe_tick(now, now_ns, group, cfg);
        Verdict::Forward
    }

    /// The flow's own class.
    pub fn class(&self) -> Class {
        self.hyst.class
    }

    /// The class actions must obey: Congested if the flow or its group says
    /// so (never make a congested path worse), otherwise the flow's class.
    pub fn effective_class(&self, group: &GroupState) -> Class {
        if group.vetoes() {
            Class::Congested
        } else {
            self.hyst.class
        }
    }

    /// The class the actions obey right now: [`effective_class`], except
    /// that a Congested flow counts as Jitter while the holes R reports on
    /// J are isolated (at most three, each at most two segments, at least
    /// four segments apart) and J's latest RTT sample (SACK-block samples
    /// included) sits within `isolated_loss_queue_abs_us` (or the
    /// RTT-relative queue threshold, if larger) of the baseline. Why: a
    /// drop-tail queue drops only when it is full, and then in bursts (in
    /// slow start every other segment); radio loss makes sparse
    /// single-segment holes at any queue level.
    /// While a queue stands (the sender's own, slow start overshooting, or
    /// other flows'), the box stays out of the sender's loss recovery.
    ///
    /// The rule looks at the present only. It once also held off for 3 s
    /// after loss at high queuing delay on the flow, and whenever the path
    /// group was Congested on such evidence: on the bed (0.5 % loss, RTT
    /// split 24 ms before the box, 16 ms behind it, CUBIC) one random loss
    /// while slow start had built a queue then kept the box out for
    /// seconds, every later loss reached the sender, and CUBIC went from
    /// ~300 to ~30 segments (with this and the SACK-block RTT samples, on
    /// that path: 31.9 -> 40.1 Mbit/s, medians of 3 and 6 runs;
    /// docs/BENCHMARKS.md, "Acting on the present, and the box at a UPF").
    ///
    /// The same rule the other way round: a Jitter flow counts as Congested
    /// while R reports holes that are not isolated and J's latest RTT
    /// sample is above the queue threshold: a drop-tail queue overflowing
    /// (bed, 0-10 ms reordering, CUBIC: slow start overshot to ~510
    /// segments and the queue dropped ~250; the box, going by the flow's
    /// Jitter class, sent 333 copies into the full queue, and the run got
    /// 18.9 Mbit/s against 34.2 in passthrough; that run did not
    /// reproduce, and over 8-14 seeds goodput moved within the spread:
    /// docs/BENCHMARKS.md, "Standing down at an overflow").
    ///
    /// [`effective_class`]: FlowShield::effective_class
    pub fn acting_class(&self, group: &GroupState, cfg: &ShieldConfig) -> Class {
        let c = self.effective_class(group);
        // J's latest queuing delay and its baseline, once there is a sample.
        let queue = match (self.rtt.baseline(), self.rtt.samples > 0) {
            (Some(base), true) => Some((self.rtt.now.saturating_sub(base), base)),
            _ => None,
        };
        match (c, queue) {
            (Class::Congested, Some((q, base)))
                if q <= cfg.isolated_loss_queue_threshold_us(base) && self.holes_isolated() =>
            {
                Class::Jitter
            }
            (Class::Jitter, Some((q, base)))
                if q > cfg.queue_threshold_us(base)
                    && self.queue_near_peak(q, base, cfg)
                    && self.holes.any_active()
                    && !self.holes_isolated() =>
            {
                Class::Congested
            }
            _ => c,
        }
    }

    /// J's queuing delay `q` is near the highest it has been lately (see
    /// `overflow_queue_peak_pct`). Why: a drop-tail queue overflows only
    /// when full. On the bed (UPF split, 1 % loss, CUBIC near the BDP) the
    /// queue sat at 0-13 ms against a threshold of 10 ms and a slow-start
    /// peak of ~30 ms, and a chance cluster of random losses (4 holes within
    /// 5 ms) then kept the box out, and its retry of a lost copy with it,
    /// for 50-80 ms, until S resent the holes itself and cut its window.
    /// Off by default (percentage 0: always true): at 75 the bed showed no
    /// gain over 6 seeds (docs/BENCHMARKS.md).
    fn queue_near_peak(&self, q: u32, base: u32, cfg: &ShieldConfig) -> bool {
        let peak = self.rtt.peak().map_or(0, |p| p.saturating_sub(base));
        u64::from(q) * 100 >= u64::from(peak) * u64::from(cfg.overflow_queue_peak_pct)
    }

    /// The holes R reports on J look like random loss, not overflow (see
    /// [`FlowShield::acting_class`]): at most three, each at most two
    /// segments, at least four segments apart (an overflowing drop-tail
    /// queue in slow start drops every other segment).
    fn holes_isolated(&self) -> bool {
        let seg = u32::from(self.hs.mss_to_receiver().unwrap_or(1460).max(536));
        let mut holes = [(0u32, 0u32); 3];
        let mut n = 0;
        for h in self.holes.open() {
            if !h.on_j || n == holes.len() || seq_span(h.start, h.end) > 2 * seg {
                return false;
            }
            holes[n] = (h.start, h.end);
            n += 1;
        }
        let holes = &holes[..n];
        let apart = |a: (u32, u32), b: (u32, u32)| {
            let gap = if seq_lt(a.0, b.0) { seq_span(a.1, b.0) } else { seq_span(b.1, a.0) };
            gap >= 4 * seg
        };
        n > 0
            && holes
                .iter()
                .enumerate()
                .all(|(i, a)| holes.iter().skip(i + 1).all(|b| apart(*a, *b)))
    }

    /// The why-trace, oldest event first.
    pub fn trace(&self) -> impl Iterator<Item = TraceEvent> + '_ {
        self.trace.iter(self.clock)
    }

    /// Snapshot of the flow's measurements.
    pub fn report(&self, now_ns: u64) -> FlowReport {
        let now = self.clock.micros(now_ns);
        let outstanding = seq_gt(self.snd_max, self.una);
        let in_flight = seq_span(self.una, self.snd_max).saturating_sub(self.sacked);
        let has_rtt = self.rtt.samples > 0;
        FlowReport {
            conn: self.conn,
            handshake: self.hs,
            class: self.hyst.class,
            confidence: self.hyst.confidence,
            last_reason: self.last_reason,
            ticks: self.ticks,
            j_rtt_min_us: self.rtt.baseline(),
            j_rtt_latest_us: has_rtt.then_some(self.rtt.latest),
            j_srtt_us: has_rtt.then_some(self.rtt.srtt),
            j_rtt_samples: self.rtt.samples,
            jitter_us: self.rtt.jitter(),
            queue_delay_us: self.queue_us,
            s_rtt_us: self.s_rtt.get(),
            sender_rto_us: self.rto_us,
            stalls: self.stall.count,
            longest_stall_us: self.stall.longest,
            quiet_now_us: if outstanding { self.stall.quiet_us(now) } else { 0 },
            delivery_rate_kbps: self.rate_now_kbps,
            delivery_rate_max_kbps: self.rate_max.get().unwrap_or(0),
            send_rate_kbps: self.send_rate_kbps,
            bytes_in_flight: in_flight,
            bytes_sent: self.c.bytes_sent,
            bytes_acked: self.c.bytes_acked,
            j_lost_bytes: self.c.j_lost_bytes,
            j_loss_events: self.c.j_loss_events,
            j_loss_ppm: if self.c.bytes_sent == 0 {
                0
            } else {
                (u128::from(self.c.j_lost_bytes) * 1_000_000 / u128::from(self.c.bytes_sent))
                    .min(u128::from(u32::MAX)) as u32
            },
            holes_reported: self.c.holes_reported,
            upstream_lost_bytes: self.c.upstream_lost_bytes,
            upstream_loss_events: self.c.upstream_loss_events,
            reorder_events: self.c.reorder_events,
            reorder_max_us: self.c.reorder_max_us,
            reorder_max_bytes: self.c.reorder_max_bytes,
            dsacks: self.c.dsacks,
            dupacks: self.c.dupacks,
            holes_untracked: self.c.holes_untracked,
            sender_retrans: self.c.retrans,
            sender_retrans_bytes: self.c.retrans_bytes,
            sender_rtos: self.c.rtos,
            rwnd_bytes: self.rwnd_bytes(),
            rwnd_limited: self.flags & F_RWND_LIMITED != 0,
            counterfactual: self.cf,
        }
    }

    /// Connection generation: incremented when a SYN with a new ISN reuses
    /// the flow (state kept beside the flow, e.g. a segment cache or
    /// [`crate::FlowActions`], must start over).
    pub fn epoch(&self) -> u8 {
        self.epoch
    }

    /// Running totals for comparing shielded flows with the control arm:
    /// bytes R newly acknowledged, S's retransmissions, and whether the
    /// connection has closed (both FINs or a RST).
    pub fn progress(&self) -> Progress {
        Progress {
            bytes_acked: self.c.bytes_acked,
            sender_retransmits: self.c.retrans,
            closed: self.conn == ConnState::Closed,
        }
    }

    /// Nanoseconds since the box first saw the flow.
    pub fn age_ns(&self, now_ns: u64) -> u64 {
        self.clock.age_ns(now_ns)
    }

    /// What the shield could have saved on this flow.
    pub fn counterfactual(&self) -> Counterfactual {
        self.cf
    }

    // ---- sequence anchors, handshake, close -------------------------------

    fn anchor(&mut self, seq: u32) {
        self.snd_max = seq;
        self.una = seq;
        self.seen_floor = seq;
        self.sack_high = seq;
        self.untracked_to = seq;
        self.flags |= F_ANCHORED;
        self.flags &= !F_UNA_FROM_R;
    }

    fn now_ms(&self, now_ns: u64) -> u32 {
        self.clock.millis(now_ns)
    }

    fn close(&mut self, now_ns: u64, reset: bool) {
        if self.conn != ConnState::Closed {
            self.conn = ConnState::Closed;
            let at = self.now_ms(now_ns);
            self.trace.push(at, TraceKind::Closed { reset });
        }
    }

    fn on_fin(&mut self, now_ns: u64, flag: u16) {
        self.flags |= flag;
        if self.flags & (F_FIN_S | F_FIN_R) == F_FIN_S | F_FIN_R {
            self.close(now_ns, false);
        } else if self.conn != ConnState::Closed {
            self.conn = ConnState::Closing;
        }
    }

    fn on_sender_syn(&mut self, now: Micros, now_ns: u64, seg: &Segment) {
        if self.hs.sender.syn_seen && seg.seq == self.isn_s {
            self.hs.sender.syn_retransmitted = true;
            return;
        }
        if self.hs.sender.syn_seen || self.hs.midstream || self.conn == ConnState::Closed {
            // A new connection on the same 5-tuple: start over.
            let epoch = self.epoch.wrapping_add(1);
            *self = FlowShield::new(now_ns, seg);
            self.epoch = epoch;
        }
        self.hs.sender = SideOptions::from_syn(&seg.opts);
        self.isn_s = seg.seq;
        self.s_syn_at = now;
        self.anchor(seg.seq);
        self.snd_max = seg.seq.wrapping_add(1);
        self.flags |= F_DATA_SEEN;
        self.stall.on_outstanding(now);
    }

    fn on_receiver_syn(&mut self, now: Micros, seg: &Segment) {
        if self.hs.receiver.syn_seen && seg.seq == self.isn_r {
            self.hs.receiver.syn_retransmitted = true;
            return;
        }
        self.hs.receiver = SideOptions::from_syn(&seg.opts);
        self.isn_r = seg.seq;
        self.r_syn_at = now;
    }

    /// R's segment acknowledges S's SYN: J's handshake RTT.
    fn receiver_acks_syn(&mut self, now: Micros, now_ns: u64, cfg: &ShieldConfig) {
        self.flags |= F_S_SYN_ACKED;
        if !self.hs.sender.syn_retransmitted {
            let rtt = elapsed(now, self.s_syn_at).max(1);
            self.rtt.on_handshake(now, rtt, cfg.min_rtt_window_us);
            self.rto.on_sample(rtt.saturating_add(self.s_rtt.get().unwrap_or(0)));
            self.rto_us = self.rto.rto_us(cfg.rto_min_us, cfg.rto_initial_us);
        }
        self.handshake_progress(now_ns);
    }

    /// S's segment acknowledges R's SYN: the S-side handshake RTT.
    fn sender_acks_syn(&mut self, now: Micros, now_ns: u64) {
        self.flags |= F_R_SYN_ACKED;
        if !self.hs.receiver.syn_retransmitted {
            self.s_rtt.on_sample(elapsed(now, self.r_syn_at).max(1));
        }
        self.handshake_progress(now_ns);
    }

    fn handshake_progress(&mut self, now_ns: u64) {
        let both = F_S_SYN_ACKED | F_R_SYN_ACKED;
        if self.flags & both == both && self.conn == ConnState::Handshake {
            self.conn = ConnState::Established;
            let j = if self.hs.sender.syn_retransmitted { 0 } else { self.rtt.latest };
            let s =
                if self.hs.receiver.syn_retransmitted { 0 } else { self.s_rtt.get().unwrap_or(0) };
            let at = self.now_ms(now_ns);
            self.trace.push(at, TraceKind::Handshake { j_rtt_us: j, s_rtt_us: s });
        }
    }

    // ---- S -> R ------------------------------------------------------------

    fn on_sender_segment(&mut self, now: Micros, now_ns: u64, seg: &Segment, cfg: &ShieldConfig) {
        if seg.is_syn() {
            self.on_sender_syn(now, now_ns, seg);
        }
        if seg.has_ack()
            && self.hs.receiver.syn_seen
            && self.flags & F_R_SYN_ACKED == 0
            && seg.ack == self.isn_r.wrapping_add(1)
        {
            self.sender_acks_syn(now, now_ns);
        }
        if let Some((tsval, tsecr)) = seg.opts.ts {
            // S echoes R's TSval: S-side RTT from TS progression.
            if let Some(at) = self.ts_s.echo(tsecr) {
                self.s_rtt.on_sample(elapsed(now, at).max(1));
            }
            if seg.payload_len > 0 {
                self.ts_j.record(tsval, now);
            }
        }
        let len = seg.payload_len.wrapping_add(u32::from(seg.is_fin()));
        if len != 0 {
            let start = seg.seq.wrapping_add(u32::from(seg.is_syn()));
            self.on_data(now, now_ns, start, start.wrapping_add(len), seg.payload_len > 0, cfg);
        }
        if seg.is_fin() {
            self.on_fin(now_ns, F_FIN_S);
        }
    }

    fn on_data(
        &mut self,
        now: Micros,
        now_ns: u64,
        seq: u32,
        end: u32,
        has_payload: bool,
        cfg: &ShieldConfig,
    ) {
        if self.flags & F_ANCHORED == 0 {
            self.anchor(seq);
        }
        if self.flags & F_DATA_SEEN == 0 {
            // Anchored on an ACK only: the first data the box sees sets the
            // floor; bytes before it were sent before the box watched.
            self.flags |= F_DATA_SEEN;
            if seq_gt(seq, self.seen_floor) {
                self.seen_floor = seq;
                self.snd_max = seq_max(self.snd_max, seq);
            }
        }
        if self.conn == ConnState::Handshake && self.hs.receiver.syn_seen {
            self.conn = ConnState::Established;
        }
        let prev_max = self.snd_max;
        if seq_gt(end, prev_max) {
            if seq_gt(seq, prev_max) {
                self.gaps.add(prev_max, seq);
            }
            let new = end.wrapping_sub(seq_max(seq, prev_max));
            if self.una == prev_max {
                self.stall.on_outstanding(now);
            }
            self.snd_max = end;
            self.c.bytes_sent = self.c.bytes_sent.saturating_add(u64::from(new));
            self.tick.sent = self.tick.sent.saturating_add(new);
            if has_payload {
                self.seq_samples.push(end, now);
            }
        }
        if seq_lt(seq, prev_max) {
            self.on_retransmit(now, now_ns, seq, seq_min(end, prev_max), cfg);
        }
    }

    fn on_retransmit(&mut self, now: Micros, now_ns: u64, rs: u32, re: u32, cfg: &ShieldConfig) {
        self.c.retrans = self.c.retrans.saturating_add(1);
        self.c.retrans_bytes = self.c.retrans_bytes.saturating_add(u64::from(seq_span(rs, re)));
        let outstanding = seq_gt(self.snd_max, self.una);
        let quiet = self.stall.quiet_us(now);
        let covers_una = seq_le(rs, self.una) && seq_gt(re, self.una);
        self.gaps.fill(rs, re);
        self.seq_samples.invalidate_after(rs);
        let mut flags = 0;
        if seq_le(re, self.una) {
            self.cf.spurious_retrans = self.cf.spurious_retrans.saturating_add(1);
            self.cf.retrans_already_acked = self.cf.retrans_already_acked.saturating_add(1);
            flags |= RX_SPURIOUS;
        }
        // An RTO retransmission: the first unacknowledged segment, with no
        // loss evidence from R, after at least (nearly) the minimum RTO of quiet.
        let is_rto = covers_una
            && outstanding
            && !self.holes.any_active()
            && self.dupacks_since_progress == 0
            && quiet >= pct(cfg.rto_min_us, 90);
        if is_rto {
            flags |= RX_RTO;
            self.c.rtos = self.c.rtos.saturating_add(1);
            let in_stall = quiet > cfg.stall_threshold_us(self.rtt.baseline());
            if in_stall {
                self.cf.rto_during_stall = self.cf.rto_during_stall.saturating_add(1);
            }
            self.rto_probe_seq = self.una;
            self.rto_probe_at = now;
            self.flags |= F_RTO_PROBE;
            let at = self.now_ms(now_ns);
            self.trace.push(at, TraceKind::SenderRto { quiet_us: quiet, in_stall });
        }
        self.holes.on_retransmit(rs, re, now, is_rto);
        self.retx.log(rs, re, flags);
    }

    // ---- R -> S ------------------------------------------------------------

    fn on_receiver_segment(&mut self, now: Micros, now_ns: u64, seg: &Segment, cfg: &ShieldConfig) {
        if seg.is_syn() {
            self.on_receiver_syn(now, seg);
        } else {
            self.flags |= F_WINDOW_SEEN;
        }
        if let Some((tsval, _)) = seg.opts.ts {
            self.ts_s.record(tsval, now);
        }
        let prev_win = self.last_win;
        self.last_win = seg.window;
        if seg.is_fin() {
            self.on_fin(now_ns, F_FIN_R);
        }
        if !seg.has_ack() {
            return;
        }
        let ack = seg.ack;
        if self.flags & F_ANCHORED == 0 {
            self.anchor(ack);
        }
        if self.hs.sender.syn_seen
            && self.flags & F_S_SYN_ACKED == 0
            && ack == self.isn_s.wrapping_add(1)
        {
            self.receiver_acks_syn(now, now_ns, cfg);
        }
        let ts_sent = seg.opts.ts.and_then(|(_, tsecr)| self.ts_j.echo(tsecr));
        let blocks = seg.opts.sack_blocks();
        let dsack = dsack_of(ack, blocks);
        if let Some((l, r)) = dsack {
            self.on_dsack(l, r);
        }
        let regular = if dsack.is_some() { blocks.get(1..).unwrap_or(&[]) } else { blocks };
        if seq_gt(ack, self.una) {
            if seq_gt(ack, self.snd_max) {
                // R acknowledges bytes the box never forwarded (asymmetric
                // path or mid-stream): follow R.
                self.snd_max = ack;
            }
            self.on_ack_progress(now, ack, ts_sent, cfg);
        } else if ack == self.una
            && seg.payload_len == 0
            && !seg.is_fin()
            && !seg.is_syn()
            && seg.window == prev_win
            && seq_gt(self.snd_max, self.una)
        {
            self.c.dupacks = self.c.dupacks.saturating_add(1);
            self.dupacks_since_progress = self.dupacks_since_progress.saturating_add(1);
            if regular.is_empty() && !self.hs.sack_ok() {
                // Without SACK, a dupACK says the segment at `una` is missing.
                let mss = self.hs.mss_to_receiver().map_or(DEFAULT_MSS, u32::from).max(1);
                let end = self.una.wrapping_add(seq_span(self.una, self.snd_max).min(mss));
                self.report_hole(now, self.una, end, end, self.una);
            }
        }
        if ack == self.una {
            self.flags |= F_UNA_FROM_R;
            // The newest segment R's SACK blocks cover is a sample too (RACK
            // measures so): while a hole is open the cumulative ACK does not
            // move for an RTT or more, and the blocks are the only measure
            // of J's queue meanwhile. Only the acting rule reads it
            // (`acting_class`): fed to the classifier as well, it shifted
            // monitor mode's classes on the reordering profile.
            if let Some(at) = self.seq_samples.on_sack(regular) {
                let rtt = elapsed(now, at).max(1);
                self.rtt.on_sack_sample(rtt);
                if !self.stall.shadows(at) {
                    self.rtt.on_peak_sample(now, rtt, cfg.queue_peak_window_us);
                }
            }
        }
        self.close_filled_holes(now, regular);
        let mut gaps = [(0u32, 0u32); 4];
        let known = seq_max(self.sack_high, self.una);
        let (n, high) = sack_gaps(self.una, regular, self.snd_max, &mut gaps);
        for &(s, e) in gaps.iter().take(n) {
            self.report_hole(now, s, e, high, known);
        }
        self.sack_high = seq_max(known, high);
        self.sacked = sacked_bytes(self.una, regular, self.snd_max);
    }

    fn on_ack_progress(
        &mut self,
        now: Micros,
        ack: u32,
        ts_sent: Option<Micros>,
        cfg: &ShieldConfig,
    ) {
        let newly = seq_span(self.una, ack);
        let seq_sent = self.seq_samples.on_ack(ack);
        let min_rtt = self.rtt.baseline();
        if let Some(len) = self.stall.on_progress(now, cfg.stall_threshold_us(min_rtt)) {
            self.tick.stall_us = self.tick.stall_us.max(len);
        }
        if let Some(at) = ts_sent.or(seq_sent) {
            self.rtt_sample(now, at, cfg);
        }
        if self.flags & F_RTO_PROBE != 0 && seq_gt(ack, self.rto_probe_seq) {
            self.flags &= !F_RTO_PROBE;
            // The original's ACK came back sooner than the retransmission
            // could have travelled J: the RTO was spurious (a stall, not a loss).
            if self.rtt.baseline().is_some_and(|m| elapsed(now, self.rto_probe_at) < m / 2) {
                self.cf.spurious_rto = self.cf.spurious_rto.saturating_add(1);
                self.cf.spurious_retrans = self.cf.spurious_retrans.saturating_add(1);
                let p = self.rto_probe_seq;
                self.retx.mark(p, p.wrapping_add(1), RX_SPURIOUS);
            }
        }
        self.una = ack;
        if seq_lt(self.untracked_to, ack) {
            self.untracked_to = ack;
        }
        self.c.bytes_acked = self.c.bytes_acked.saturating_add(u64::from(newly));
        self.tick.delivered = self.tick.delivered.saturating_add(newly);
        self.dupacks_since_progress = 0;
        self.gaps.retire(ack);
    }

    fn rtt_sample(&mut self, now: Micros, sent_at: Micros, cfg: &ShieldConfig) {
        let rtt = elapsed(now, sent_at).max(1);
        self.rtt.on_sample(now, rtt, cfg.min_rtt_window_us);
        if !self.stall.shadows(sent_at) {
            self.tick.min_clean_rtt = self.tick.min_clean_rtt.min(rtt);
            self.rtt.on_peak_sample(now, rtt, cfg.queue_peak_window_us);
        }
        self.rto.on_sample(rtt.saturating_add(self.s_rtt.get().unwrap_or(0)));
        self.rto_us = self.rto.rto_us(cfg.rto_min_us, cfg.rto_initial_us);
    }

    fn on_dsack(&mut self, l: u32, r: u32) {
        self.c.dsacks = self.c.dsacks.saturating_add(1);
        let Some(e) = self.retx.on_dsack(l, r) else {
            return;
        };
        self.cf.spurious_retrans = self.cf.spurious_retrans.saturating_add(1);
        if e.flags & RX_RTO != 0 {
            self.cf.spurious_rto = self.cf.spurious_rto.saturating_add(1);
        }
        if e.flags & RX_COUNTED_J_LOSS != 0 && e.flags & RX_MULTI == 0 {
            // The hole was counted as a loss on J, but R got two copies of a
            // range sent twice (original + one retransmission): the original
            // was late. Move it (approximately, per retransmission).
            let b = u64::from(seq_span(e.seq, e.end));
            self.c.j_lost_bytes = self.c.j_lost_bytes.saturating_sub(b);
            self.c.j_loss_events = self.c.j_loss_events.saturating_sub(1);
            self.c.reorder_events = self.c.reorder_events.saturating_add(1);
            if e.flags & RX_RTO == 0 {
                self.cf.fast_retx_by_j_loss = self.cf.fast_retx_by_j_loss.saturating_sub(1);
                self.cf.fast_retx_by_reorder = self.cf.fast_retx_by_reorder.saturating_add(1);
            }
        }
    }

    fn report_hole(&mut self, now: Micros, s: u32, e: u32, high: u32, known: u32) {
        let flags = if seq_lt(s, self.seen_floor) {
            H_UNKNOWN
        } else if self.gaps.overlaps(s, e) {
            H_UPSTREAM
        } else {
            0
        };
        match self.holes.report(s, e, high, known, now, flags) {
            Reported::New => {
                if flags == 0 && seq_lt(s, self.untracked_to) {
                    // Counted as lost already, while the table was full.
                    self.holes.mark_unknown(s, e);
                } else if flags == 0 {
                    self.c.holes_reported = self.c.holes_reported.saturating_add(1);
                    self.tick.holes = self.tick.holes.saturating_add(1);
                }
                // Karn: segments above a hole are acknowledged only after it is repaired.
                self.seq_samples.invalidate_after(s);
            }
            Reported::Known => {}
            Reported::Full => {
                self.c.holes_untracked = self.c.holes_untracked.saturating_add(1);
                // A ninth hole while eight are open is part of a burst (an
                // overflowing drop-tail queue in slow start drops every other
                // segment): on a flow that has hardly reordered (a stray
                // DSACK-moved loss counts as one), count it as lost on J
                // now, once. Left out, a burst of ~90 drops was counted as
                // ~20 (bed, clean profile, a monitor check in CI).
                let from = seq_max(s, self.untracked_to);
                let few_reorders = self.c.reorder_events < UNTRACKED_AS_LOSS_MAX_REORDERS;
                if flags == 0 && few_reorders && seq_lt(from, e) {
                    let bytes = u64::from(seq_span(from, e));
                    self.c.j_lost_bytes = self.c.j_lost_bytes.saturating_add(bytes);
                    self.c.j_loss_events = self.c.j_loss_events.saturating_add(1);
                    self.untracked_to = e;
                }
            }
        }
    }

    fn close_filled_holes(&mut self, now: Micros, regular: &[(u32, u32)]) {
        let mut out = [None; crate::holes::HOLES];
        if self.holes.on_ack(self.una, regular, now, self.rtt.baseline(), &mut out) == 0 {
            return;
        }
        for f in out.iter().flatten() {
            let fast_retx = f.flags & H_RETX != 0 && f.flags & H_RTO == 0;
            match f.kind {
                FillKind::JLoss => {
                    self.c.j_lost_bytes = self.c.j_lost_bytes.saturating_add(u64::from(f.bytes()));
                    self.c.j_loss_events = self.c.j_loss_events.saturating_add(1);
                    if fast_retx {
                        self.cf.fast_retx_by_j_loss = self.cf.fast_retx_by_j_loss.saturating_add(1);
                    }
                    self.retx.mark(f.start, f.end, RX_COUNTED_J_LOSS);
                }
                FillKind::Upstream => {
                    self.c.upstream_lost_bytes =
                        self.c.upstream_lost_bytes.saturating_add(u64::from(f.bytes()));
                    self.c.upstream_loss_events = self.c.upstream_loss_events.saturating_add(1);
                    if fast_retx {
                        self.cf.fast_retx_by_upstream_loss =
                            self.cf.fast_retx_by_upstream_loss.saturating_add(1);
                    }
                }
                FillKind::Unknown => {}
                FillKind::Reorder { late_us, extent_bytes, retransmitted } => {
                    self.c.reorder_events = self.c.reorder_events.saturating_add(1);
                    self.c.reorder_max_us = self.c.reorder_max_us.max(late_us);
                    self.c.reorder_max_bytes = self.c.reorder_max_bytes.max(extent_bytes);
                    self.tick.reorders = self.tick.reorders.saturating_add(1);
                    if retransmitted {
                        if fast_retx {
                            self.cf.fast_retx_by_reorder =
                                self.cf.fast_retx_by_reorder.saturating_add(1);
                        }
                        self.cf.spurious_retrans = self.cf.spurious_retrans.saturating_add(1);
                        self.retx.mark(f.start, f.end, RX_SPURIOUS);
                    }
                }
            }
        }
    }

    // ---- read access for the actions module ------------------------------

    pub(crate) fn micros(&self, now_ns: u64) -> Micros {
        self.clock.micros(now_ns)
    }

    /// The box retransmitted [start, end) into an open hole (local
    /// recovery): when the hole closes it was a loss on J, unless it closes
    /// too soon for the box's copy to have filled it.
    pub(crate) fn on_box_repair(&mut self, now_ns: u64, start: u32, end: u32) {
        let now = self.micros(now_ns);
        self.holes.on_box_repair(start, end, now);
    }

    pub(crate) fn open_holes(&self) -> impl Iterator<Item = OpenHole> + '_ {
        self.holes.open()
    }

    /// R's highest cumulative ACK, the ceiling of anything the box may
    /// acknowledge to S; None until R has acknowledged up to the box's
    /// anchor (a flow anchored on S's side knows no ACK of R's yet).
    pub(crate) fn receiver_una(&self) -> Option<u32> {
        (self.flags & F_UNA_FROM_R != 0).then_some(self.una)
    }

    /// R's latest raw window field.
    pub(crate) fn receiver_window_raw(&self) -> u16 {
        self.last_win
    }

    /// Holes on J that closed as reordering so far.
    pub(crate) fn reorder_events(&self) -> u32 {
        self.c.reorder_events
    }

    pub(crate) fn sack_negotiated(&self) -> bool {
        self.hs.sack_ok()
    }

    pub(crate) fn j_srtt_us(&self) -> Option<u32> {
        (self.rtt.samples > 0).then_some(self.rtt.srtt)
    }

    pub(crate) fn j_jitter_us(&self) -> u32 {
        self.rtt.jitter()
    }

    pub(crate) fn j_baseline_us(&self) -> Option<u32> {
        self.rtt.baseline()
    }

    /// Time without cumulative-ACK progress while data is outstanding.
    pub(crate) fn quiet_us(&self, now_ns: u64) -> u32 {
        if seq_gt(self.snd_max, self.una) {
            self.stall.quiet_us(self.clock.micros(now_ns))
        } else {
            0
        }
    }

    /// J is stalled: data outstanding and no ACK progress for longer than
    /// the stall threshold.
    pub(crate) fn in_stall(&self, now_ns: u64, cfg: &ShieldConfig) -> bool {
        self.quiet_us(now_ns) > cfg.stall_threshold_us(self.rtt.baseline())
    }

    /// J's windowed max delivery rate (kbit/s), once measured.
    pub(crate) fn delivery_rate_max_kbps(&self) -> Option<u32> {
        self.rate_max.get().filter(|&r| r > 0)
    }

    /// S-side RTT (box -> S -> box), if measured.
    pub(crate) fn s_rtt_us(&self) -> Option<u32> {
        self.s_rtt.get()
    }

    /// The RTO S is estimated to run.
    pub(crate) fn sender_rto_us(&self) -> u32 {
        self.rto_us
    }

    /// Highest sequence number S sent past the box.
    pub(crate) fn sender_max(&self) -> u32 {
        self.snd_max
    }

    /// Segment size towards R (R's MSS option, else 1460).
    pub(crate) fn mss(&self) -> u32 {
        self.hs.mss_to_receiver().map_or(DEFAULT_MSS, u32::from).max(1)
    }

    /// Shift of R's window field, if the handshake was seen.
    pub(crate) fn window_shift(&self) -> Option<u8> {
        self.hs.receiver_window_shift()
    }

    fn rwnd_bytes(&self) -> Option<u32> {
        if self.flags & F_WINDOW_SEEN == 0 {
            return None;
        }
        let shift = self.hs.receiver_window_shift()?;
        Some(u32::from(self.last_win) << shift)
    }

    fn update_rwnd_limited(&mut self, cfg: &ShieldConfig) {
        let limited = self.rwnd_bytes().is_some_and(|w| {
            w > 0 && seq_span(self.una, self.snd_max) >= pct(w, cfg.rwnd_limited_pct)
        });
        if limited {
            self.flags |= F_RWND_LIMITED;
        } else {
            self.flags &= !F_RWND_LIMITED;
        }
    }

    // ---- classifier tick -----------------------------------------------------

    fn maybe_tick(&mut self, now: Micros, now_ns: u64, group: &mut GroupState, cfg: &ShieldConfig) {
        self.rtt.expire_handshake(now, cfg.handshake_baseline_us);
        let min_rtt = self.rtt.baseline();
        let len = elapsed(now, self.tick.start);
        if len < cfg.tick_us(min_rtt) {
            return;
        }
        let t = self.tick;
        self.tick = TickStats::new(now);
        let outstanding = seq_gt(self.snd_max, self.una);
        if t.delivered == 0 && t.sent == 0 && !outstanding {
            return; // idle: no evidence either way
        }
        self.rate_now_kbps = kbps(t.delivered, len);
        self.send_rate_kbps = kbps(t.sent, len);
        if t.delivered > 0 {
            self.rate_max.update_max(now, self.rate_now_kbps, cfg.rate_max_window_us);
        }
        let rate_pct = self
            .delivery_rate_max_kbps()
            .map_or(0, |m| (u64::from(self.rate_now_kbps) * 100 / u64::from(m)) as u32);
        if let (true, Some(m)) = (t.min_clean_rtt != u32::MAX, min_rtt) {
            self.queue_us = Some(t.min_clean_rtt.saturating_sub(m));
        }
        let quiet = if outstanding { self.stall.quiet_us(now) } else { 0 };
        let ongoing = if quiet > cfg.stall_threshold_us(min_rtt) { quiet } else { 0 };
        let mut f = TickFeatures {
            queue_us: self.queue_us,
            min_rtt_us: min_rtt,
            jitter_us: self.rtt.jitter(),
            rate_pct_of_max: rate_pct,
            losses: u32::from(t.holes),
            reorders: u32::from(t.reorders),
            stall_us: t.stall_us.max(ongoing),
            recent_impairment: None,
        };
        if let Some(imp) = tick_impairment(&f, cfg) {
            self.impairment = Some(imp);
            self.impairment_at = now;
        } else if elapsed(now, self.impairment_at) > cfg.impairment_memory_us {
            self.impairment = None;
        }
        f.recent_impairment = self.impairment;
        self.ticks = self.ticks.saturating_add(1);
        let ev = evidence(&f, cfg);
        self.last_reason = ev.reason;
        group.record_vote(now_ns, ev.class, ev.reason, cfg);
        if let Some(from) = self.hyst.vote(ev.class, ev.strong, cfg) {
            let at = self.now_ms(now_ns);
            self.trace.push(
                at,
                TraceKind::ClassChanged {
                    from,
                    to: ev.class,
                    reason: ev.reason,
                    queue_us: ev.queue_us,
                    value: ev.value,
                },
            );
        }
    }

    /// Bytes of this struct (the per-flow memory the shield needs).
    pub const SIZE_BYTES: usize = core::mem::size_of::<FlowShield>();
}

/// Holes the table cannot track are counted as lost only on flows with
/// fewer reorderings than this (elsewhere they may be late segments).
const UNTRACKED_AS_LOSS_MAX_REORDERS: u32 = 8;

/// Guard: the flow state stays a small plain value.
const _: () = assert!(FlowShield::SIZE_BYTES <= 880);
