//! A small discrete-event model of S -> box -> J -> R for driving the shield
//! with realistic segment sequences under a scripted clock.
//!
//! * S: a SACK sender with a congestion window (multiplicative decrease 0.7
//!   on a fast retransmit, +1 segment per window of ACKs, collapse to one
//!   segment on an RTO with a 200 ms floor), timestamps in ms.
//! * J: one-way delays, a per-packet random extra delay on the data
//!   direction (which reorders), random loss, stalls (data held in the radio
//!   buffer until the stall ends), and an optional drop-tail bottleneck
//!   shared with constant-rate cross traffic.
//! * R: cumulative ACK + up to 3 SACK blocks (DSACK first when a duplicate
//!   arrives), one ACK per segment, TSecr per RFC 7323.
//!
//! The box sits between S and J: every data segment is given to the shield
//! when it leaves S's side, every ACK when it comes out of J.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shield::{
    Dir, Emit, Emits, FlowActions, FlowReport, FlowShield, GroupState, Segment, ShieldConfig,
    TcpOpts, Verdict, FLAG_ACK, FLAG_SYN,
};

pub const MSS: u64 = 1000;

#[derive(Clone, Copy, Debug)]
pub struct Bottleneck {
    pub rate_bps: u64,
    pub buffer_pkts: u64,
    /// Constant-rate cross traffic through the same queue.
    pub cross_bps: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// J's round trip without any impairment (box -> R -> box).
    pub j_rtt_us: u64,
    /// One-way S <-> box delay.
    pub s_oneway_us: u64,
    /// Uniform random extra delay per data packet on J (reorders).
    pub jitter_us: u64,
    /// Data-direction loss on J, per million packets.
    pub loss_ppm: u32,
    /// Every `stall_every_us`, J holds data for `stall_len_us` (0: none).
    pub stall_every_us: u64,
    pub stall_len_us: u64,
    pub bottleneck: Option<Bottleneck>,
    /// Cap on S's window in segments (an application or rwnd limit).
    pub max_cwnd: u64,
    /// Slow start ends here (keeps the model out of a huge overshoot).
    pub initial_ssthresh: u64,
    pub isn: u32,
    pub seed: u64,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            j_rtt_us: 40_000,
            s_oneway_us: 1_000,
            jitter_us: 0,
            loss_ppm: 0,
            stall_every_us: 0,
            stall_len_us: 0,
            bottleneck: None,
            max_cwnd: 40,
            initial_ssthresh: 1_000_000,
            isn: u32::MAX - 50_000, // wraps early in every run
            seed: 7,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct DataPkt {
    off: u64,
    tsval: u32,
    tsecr: u32,
    retx: bool,
}

#[derive(Clone, Copy, Debug)]
struct AckPkt {
    ack: u64,
    blocks: [(u64, u64); 4],
    nblocks: usize,
    tsval: u32,
    tsecr: u32,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// S's segment reaches the box.
    DataAtBox(DataPkt),
    /// The segment reaches R.
    DataAtR(DataPkt),
    /// R's ACK comes out of J at the box.
    AckAtBox(AckPkt),
    /// The ACK reaches S.
    AckAtS(AckPkt),
    /// S's retransmission timer check.
    RtoCheck,
    /// A cross-traffic packet enters the bottleneck.
    Cross,
    /// The box's per-flow timer (stall protection).
    BoxTimer,
}

struct Sender {
    una: u64,
    nxt: u64,
    cwnd: f64,
    ssthresh: f64,
    /// SACKed ranges above una (merged, sorted).
    sacked: Vec<(u64, u64)>,
    /// Segments retransmitted in the current recovery, with when.
    retransmitted: Vec<(u64, u64)>,
    recover: Option<u64>,
    srtt_us: u64,
    rto_deadline: u64,
    backoff: u32,
}

struct Receiver {
    rcv_nxt: u64,
    ooo: Vec<(u64, u64)>,
    /// Most recently changed range first (for the SACK block order).
    recent: Vec<(u64, u64)>,
    ts_recent: u32,
}

pub struct Sim {
    pub p: Profile,
    pub cfg: ShieldConfig,
    pub now: u64,
    pub flow: FlowShield,
    pub group: GroupState,
    rng: SmallRng,
    q: BinaryHeap<Reverse<(u64, u64, usize)>>,
    evs: Vec<Ev>,
    tie: u64,
    s: Sender,
    r: Receiver,
    /// Time the bottleneck is busy until.
    busy_until: u64,
    /// Departure times of packets in the bottleneck queue (for its length).
    in_queue: std::collections::VecDeque<u64>,
    /// J must deliver data in order except for jitter: last delivery time.
    pub classes: Vec<(u64, shield::Class)>,
    pub data_sent_pkts: u64,
    pub data_lost_on_j: u64,
    stall_until: u64,
    /// R's latest TSval as S knows it (what S echoes).
    s_ts_recent: u32,
    /// Shield-mode actions (None: monitor).
    pub actions: Option<FlowActions>,
    emits: Emits,
    r_highest_ack: u32,
    r_acked_any: bool,
    /// Invariant violations seen (must stay 0).
    pub violations: u64,
    /// Segments the box resent from its cache.
    pub local_retransmits: u64,
    /// Fast retransmits (window reductions) S made.
    pub sender_cwnd_cuts: u64,
    /// RTOs S took.
    pub sender_rtos: u64,
    /// ACKs the box passed to S below R's (stall protection's reserve).
    pub acks_lowered: u64,
    timer_at: Option<u64>,
    /// Box timers handled (a storm guard).
    box_timers: u64,
}

fn ts_ms(now: u64) -> u32 {
    (now / 1_000_000) as u32
}

impl Sim {
    /// Like `new`, with the shield-mode actions of `cfg.actions` applied.
    pub fn with_actions(p: Profile, cfg: ShieldConfig) -> Sim {
        Self::build(p, cfg, true)
    }

    /// A new connection: the handshake goes through the box (S opens).
    pub fn new(p: Profile, cfg: ShieldConfig) -> Sim {
        Self::build(p, cfg, false)
    }

    fn build(p: Profile, cfg: ShieldConfig, actions: bool) -> Sim {
        let syn = Segment {
            dir: Dir::FromCore,
            seq: p.isn.wrapping_sub(1),
            ack: 0,
            flags: FLAG_SYN,
            window: 65535,
            payload_len: 0,
            opts: TcpOpts {
                mss: Some(MSS as u16),
                wscale: Some(7),
                sack_perm: true,
                ts: Some((1, 0)),
                ..TcpOpts::default()
            },
        };
        let t0 = 1_000_000_000u64;
        let flow = FlowShield::new(t0, &syn);
        let mut sim = Sim {
            p,
            cfg,
            now: t0,
            flow,
            group: GroupState::new(t0),
            rng: SmallRng::seed_from_u64(p.seed),
            q: BinaryHeap::new(),
            evs: Vec::new(),
            tie: 0,
            s: Sender {
                una: 0,
                nxt: 0,
                cwnd: 10.0,
                ssthresh: p.initial_ssthresh as f64,
                sacked: Vec::new(),
                retransmitted: Vec::new(),
                recover: None,
                srtt_us: p.j_rtt_us + 2 * p.s_oneway_us,
                rto_deadline: u64::MAX,
                backoff: 0,
            },
            r: Receiver { rcv_nxt: 0, ooo: Vec::new(), recent: Vec::new(), ts_recent: 0 },
            busy_until: 0,
            in_queue: Default::default(),
            classes: Vec::new(),
            data_sent_pkts: 0,
            data_lost_on_j: 0,
            stall_until: 0,
            s_ts_recent: 10,
            actions: None,
            emits: Emits::new(),
            r_highest_ack: 0,
            r_acked_any: false,
            violations: 0,
            local_retransmits: 0,
            sender_cwnd_cuts: 0,
            sender_rtos: 0,
            acks_lowered: 0,
            timer_at: None,
            box_timers: 0,
        };
        if actions {
            sim.actions = Some(FlowActions::new());
        }
        sim.box_segment(syn);
        // SYN-ACK from R after J's RTT, S's ACK one S-side RTT later.
        sim.now += p.j_rtt_us * 1000;
        let synack = Segment {
            dir: Dir::FromAccess,
            seq: 5000,
            ack: p.isn,
            flags: FLAG_SYN | FLAG_ACK,
            window: 65535,
            payload_len: 0,
            opts: TcpOpts {
                mss: Some(MSS as u16),
                wscale: Some(7),
                sack_perm: true,
                ts: Some((10, 1)),
                ..TcpOpts::default()
            },
        };
        sim.box_segment(synack);
        sim.now += 2 * p.s_oneway_us * 1000;
        let ack = Segment {
            dir: Dir::FromCore,
            seq: p.isn,
            ack: 5001,
            flags: FLAG_ACK,
            window: 512,
            payload_len: 0,
            opts: TcpOpts { ts: Some((ts_ms(sim.now), 10)), ..TcpOpts::default() },
        };
        sim.box_segment(ack);
        if let Some(b) = p.bottleneck {
            if b.cross_bps > 0 {
                sim.push(sim.now, Ev::Cross);
            }
        }
        // S starts sending from its side: first segments reach the box after
        // the one-way delay.
        sim.send_what_window_allows();
        sim
    }

    /// The box's step: measure (and, with actions on, decide).
    fn box_segment(&mut self, seg: Segment) -> Verdict {
        self.emits.clear();
        let v = match self.actions.as_mut() {
            Some(a) => a.on_segment(
                &mut self.flow,
                self.now,
                &seg,
                &mut self.group,
                &self.cfg,
                &mut self.emits,
            ),
            None => self.flow.on_segment(self.now, &seg, &mut self.group, &self.cfg),
        };
        self.check_invariant(&seg, v);
        self.arm_box_timer();
        let c = self.flow.class();
        if self.classes.last().map(|&(_, k)| k) != Some(c) {
            self.classes.push((self.now, c));
        }
        v
    }

    /// The box never acknowledges to S a byte R has not acknowledged, and
    /// every SACK block it forwards is one R sent.
    fn check_invariant(&mut self, seg: &Segment, v: Verdict) {
        if seg.dir == Dir::FromAccess && seg.has_ack() {
            let first = !self.r_acked_any;
            if first || shield::seq::seq_gt(seg.ack, self.r_highest_ack) {
                self.r_highest_ack = seg.ack;
                self.r_acked_any = true;
            }
        }
        let ceiling = self.r_highest_ack;
        let above = |ack: u32| self.r_acked_any && shield::seq::seq_gt(ack, ceiling);
        if let Verdict::RewriteAck { ack, sack, sack_len, .. } = v {
            let blocks = seg.opts.sack_blocks();
            let forged = sack.iter().take(usize::from(sack_len)).any(|b| !blocks.contains(b));
            if above(ack) || forged || seg.dir != Dir::FromAccess {
                self.violations += 1;
            }
        }
        for e in self.emits.iter() {
            if let Emit::AckToCore { ack, dsack, .. } = *e {
                // A DSACK the box reports must be data R acknowledged.
                let false_dsack = dsack.is_some_and(|(_, end)| shield::seq::seq_gt(end, ack));
                if !self.r_acked_any || above(ack) || false_dsack {
                    self.violations += 1;
                }
            }
        }
    }

    fn arm_box_timer(&mut self) {
        let Some(a) = self.actions.as_ref() else { return };
        if let Some(t) = a.next_timer_ns(&self.flow, self.now, &self.cfg) {
            let t = t.max(self.now + 1);
            if !self.timer_at.is_some_and(|cur| t >= cur && cur > self.now) {
                self.timer_at = Some(t);
                self.push(t, Ev::BoxTimer);
            }
        }
    }

    fn box_timer(&mut self) {
        if self.timer_at != Some(self.now) {
            return; // superseded
        }
        self.timer_at = None;
        self.emits.clear();
        // A timer that keeps asking for a time already past would spin here
        // forever: fail with the state instead.
        self.box_timers += 1;
        assert!(
            self.box_timers < 2_000_000,
            "timer storm at {} ns: next {:?}",
            self.now,
            self.actions.as_ref().and_then(|a| a.next_timer_ns(&self.flow, self.now, &self.cfg))
        );
        if let Some(a) = self.actions.as_mut() {
            a.on_timer(&self.flow, &self.group, self.now, &self.cfg, &mut self.emits);
        }
        let dummy = Segment {
            dir: Dir::FromCore,
            seq: 0,
            ack: 0,
            flags: 0,
            window: 0,
            payload_len: 0,
            opts: TcpOpts::default(),
        };
        self.check_invariant(&dummy, Verdict::Forward);
        self.apply_emits();
        self.arm_box_timer();
    }

    fn off(&self, seq: u32) -> u64 {
        u64::from(seq.wrapping_sub(self.p.isn))
    }

    /// Apply what the box asked to emit.
    fn apply_emits(&mut self) {
        let emits: Vec<Emit> = self.emits.iter().copied().collect();
        for e in emits {
            match e {
                Emit::RetransmitFromCache { seq, len, .. } => {
                    let start = self.off(seq);
                    let mut off = start;
                    while off < start + u64::from(len) {
                        self.local_retransmits += 1;
                        let d = DataPkt {
                            off,
                            tsval: ts_ms(self.now),
                            tsecr: self.s_ts_recent,
                            retx: true,
                        };
                        self.enter_j(d);
                        off += MSS;
                    }
                }
                Emit::AckToCore { ack, dsack, .. } => {
                    let mut blocks = [(0, 0); 4];
                    if let Some((l, r)) = dsack {
                        blocks[0] = (self.off(l), self.off(r));
                    }
                    let a = AckPkt {
                        ack: self.off(ack),
                        blocks,
                        nblocks: usize::from(dsack.is_some()),
                        tsval: self.s_ts_recent,
                        tsecr: ts_ms(self.now),
                    };
                    self.push(self.now + self.p.s_oneway_us * 1000, Ev::AckAtS(a));
                }
            }
        }
    }

    fn push(&mut self, at: u64, ev: Ev) {
        self.tie += 1;
        self.evs.push(ev);
        self.q.push(Reverse((at, self.tie, self.evs.len() - 1)));
    }

    fn seq(&self, off: u64) -> u32 {
        self.p.isn.wrapping_add(off as u32)
    }

    /// Run until `until_ns` (absolute) on the scripted clock.
    pub fn run_until(&mut self, until_ns: u64) {
        while let Some(Reverse((at, _, idx))) = self.q.peek().copied() {
            if at > until_ns {
                break;
            }
            self.q.pop();
            self.now = at;
            let ev = self.evs[idx];
            self.handle(ev);
        }
        self.now = until_ns;
    }

    /// Run for `secs` seconds of simulated time.
    pub fn run_secs(&mut self, secs: f64) {
        let until = self.now + (secs * 1e9) as u64;
        self.run_until(until);
    }

    pub fn report(&self) -> FlowReport {
        self.flow.report(self.now)
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::DataAtBox(d) => {
                let seg = Segment {
                    dir: Dir::FromCore,
                    seq: self.seq(d.off),
                    ack: 5001,
                    flags: FLAG_ACK,
                    window: 512,
                    payload_len: MSS as u32,
                    opts: TcpOpts { ts: Some((d.tsval, d.tsecr)), ..TcpOpts::default() },
                };
                let v = self.box_segment(seg);
                self.apply_emits();
                if v != Verdict::Suppress {
                    self.enter_j(d);
                }
            }
            Ev::DataAtR(d) => self.at_receiver(d),
            Ev::AckAtBox(a) => {
                let mut opts = TcpOpts { ts: Some((a.tsval, a.tsecr)), ..TcpOpts::default() };
                for i in 0..a.nblocks {
                    opts.sack[i] = (self.seq(a.blocks[i].0), self.seq(a.blocks[i].1));
                }
                opts.sack_len = a.nblocks as u8;
                let seg = Segment {
                    dir: Dir::FromAccess,
                    seq: 5001,
                    ack: self.seq(a.ack),
                    flags: FLAG_ACK,
                    window: 4096,
                    payload_len: 0,
                    opts,
                };
                let v = self.box_segment(seg);
                self.apply_emits();
                let mut a = a;
                match v {
                    Verdict::Suppress => return,
                    Verdict::RewriteAck { ack, sack, sack_len, .. } => {
                        if self.off(ack) != a.ack {
                            self.acks_lowered += 1;
                        }
                        a.ack = self.off(ack);
                        a.nblocks = usize::from(sack_len);
                        for (dst, src) in a.blocks.iter_mut().zip(sack.iter()).take(a.nblocks) {
                            *dst = (self.off(src.0), self.off(src.1));
                        }
                    }
                    _ => {}
                }
                self.push(self.now + self.p.s_oneway_us * 1000, Ev::AckAtS(a));
            }
            Ev::AckAtS(a) => self.at_sender(a),
            Ev::RtoCheck => self.rto_check(),
            Ev::BoxTimer => self.box_timer(),
            Ev::Cross => {
                if let Some(b) = self.p.bottleneck {
                    self.bottleneck_admit();
                    let gap = MSS * 8 * 1_000_000_000 / b.cross_bps.max(1);
                    self.push(self.now + gap, Ev::Cross);
                }
            }
        }
    }

    /// Enqueue one packet at the bottleneck; Some(departure) or None (dropped).
    fn bottleneck_admit(&mut self) -> Option<u64> {
        let b = self.p.bottleneck?;
        while self.in_queue.front().is_some_and(|&d| d <= self.now) {
            self.in_queue.pop_front();
        }
        if self.in_queue.len() as u64 >= b.buffer_pkts {
            return None;
        }
        let service = MSS * 8 * 1_000_000_000 / b.rate_bps;
        let dep = self.busy_until.max(self.now) + service;
        self.busy_until = dep;
        self.in_queue.push_back(dep);
        Some(dep)
    }

    fn enter_j(&mut self, d: DataPkt) {
        self.data_sent_pkts += 1;
        if self.p.loss_ppm > 0 && self.rng.gen_range(0..1_000_000) < self.p.loss_ppm {
            self.data_lost_on_j += 1;
            return;
        }
        let mut t = self.now;
        if self.p.bottleneck.is_some() {
            match self.bottleneck_admit() {
                Some(dep) => t = dep,
                None => {
                    self.data_lost_on_j += 1;
                    return;
                }
            }
        }
        t += self.p.j_rtt_us * 1000 / 2;
        if self.p.jitter_us > 0 {
            t += self.rng.gen_range(0..self.p.jitter_us) * 1000;
        }
        if self.p.stall_every_us > 0 {
            // Stalls start at multiples of stall_every (after the first one).
            let every = self.p.stall_every_us * 1000;
            let len = self.p.stall_len_us * 1000;
            let k = t / every;
            let start = k * every;
            if k > 0 && t >= start && t < start + len {
                t = start + len;
            }
            // Data held in the radio buffer leaves in order after the stall.
            t = t.max(self.stall_until);
            self.stall_until = t;
        }
        self.push(t, Ev::DataAtR(d));
    }

    fn at_receiver(&mut self, d: DataPkt) {
        let (s, e) = (d.off, d.off + MSS);
        let mut dsack = None;
        if e <= self.r.rcv_nxt || self.r.ooo.iter().any(|&(a, b)| a <= s && e <= b) {
            dsack = Some((s, e));
        } else if s <= self.r.rcv_nxt {
            self.r.rcv_nxt = e;
            self.r.ts_recent = d.tsval;
            // absorb out-of-order ranges now contiguous
            self.r.ooo.sort();
            while let Some(&(a, b)) = self.r.ooo.first() {
                if a <= self.r.rcv_nxt {
                    self.r.rcv_nxt = self.r.rcv_nxt.max(b);
                    self.r.ooo.remove(0);
                } else {
                    break;
                }
            }
            let nxt = self.r.rcv_nxt;
            self.r.recent.retain(|&(_, b)| b > nxt);
        } else {
            // out of order: merge into ranges
            let mut ns = s;
            let mut ne = e;
            self.r.ooo.retain(|&(a, b)| {
                if b >= ns && a <= ne {
                    ns = ns.min(a);
                    ne = ne.max(b);
                    false
                } else {
                    true
                }
            });
            self.r.ooo.push((ns, ne));
            self.r.recent.retain(|&(a, b)| !(b >= ns && a <= ne));
            self.r.recent.insert(0, (ns, ne));
        }
        let mut a = AckPkt {
            ack: self.r.rcv_nxt,
            blocks: [(0, 0); 4],
            nblocks: 0,
            tsval: ts_ms(self.now).wrapping_add(1_000),
            tsecr: self.r.ts_recent,
        };
        if let Some(b) = dsack {
            a.blocks[0] = b;
            a.nblocks = 1;
        }
        for &b in self.r.recent.iter() {
            if a.nblocks >= 3 {
                break;
            }
            a.blocks[a.nblocks] = b;
            a.nblocks += 1;
        }
        // ACKs travel back over J (no loss, no jitter on the uplink; stalls
        // hold data only).
        let t = self.now + self.p.j_rtt_us * 1000 / 2;
        self.push(t, Ev::AckAtBox(a));
    }

    fn at_sender(&mut self, a: AckPkt) {
        self.s_ts_recent = a.tsval;
        // S's RTT estimate from its own echoed timestamp (ms granularity).
        let sample = u64::from(ts_ms(self.now).wrapping_sub(a.tsecr)) * 1000;
        if sample > 0 && sample < 10_000_000 {
            self.s.srtt_us = (self.s.srtt_us * 7 + sample) / 8;
        }
        let s = &mut self.s;
        if a.ack > s.una {
            let acked_segs = ((a.ack - s.una) / MSS) as f64;
            s.una = a.ack;
            s.backoff = 0;
            if s.recover.is_some_and(|r| s.una >= r) {
                s.recover = None;
                s.retransmitted.clear();
            }
            if s.recover.is_none() {
                if s.cwnd < s.ssthresh {
                    s.cwnd += acked_segs;
                } else {
                    s.cwnd += acked_segs / s.cwnd;
                }
                s.cwnd = s.cwnd.min(self.p.max_cwnd as f64);
            }
            let deadline = self.now + self.rto_us() * 1000;
            self.s.rto_deadline = deadline;
            self.push(deadline, Ev::RtoCheck);
        }
        let una = self.s.una;
        // SACK scoreboard (ignore a DSACK block below una)
        for i in 0..a.nblocks {
            let (l, r) = a.blocks[i];
            if r <= una {
                continue;
            }
            self.s.sacked.push((l.max(una), r));
        }
        self.s.sacked.retain(|&(_, r)| r > una);
        self.s.sacked.sort();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for &(l, r) in &self.s.sacked {
            if let Some(last) = merged.last_mut() {
                if l <= last.1 {
                    last.1 = last.1.max(r);
                    continue;
                }
            }
            merged.push((l, r));
        }
        self.s.sacked = merged;
        // Loss detection: a segment with >= 3 segments SACKed above it.
        let mut off = una;
        let high = self.s.sacked.last().map_or(una, |&(_, r)| r);
        while off < high {
            let is_sacked = self.s.sacked.iter().any(|&(l, r)| l <= off && off + MSS <= r);
            let above: u64 =
                self.s.sacked.iter().filter(|&&(l, _)| l > off).map(|&(l, r)| r - l).sum();
            // Retransmit once per recovery, again if that retransmission
            // looks lost too (no ACK for it after 1.5 RTT, as RACK would).
            let now = self.now;
            let rack = self.s.srtt_us * 1500;
            let due = !self.s.retransmitted.iter().any(|&(o, at)| o == off && now <= at + rack);
            if !is_sacked && above >= 3 * MSS && due {
                if self.s.recover.is_none() {
                    self.sender_cwnd_cuts += 1;
                    self.s.ssthresh = (self.s.cwnd * 0.7).max(2.0);
                    self.s.cwnd = self.s.ssthresh;
                    self.s.recover = Some(self.s.nxt);
                }
                self.s.retransmitted.retain(|&(o, _)| o != off);
                self.s.retransmitted.push((off, now));
                self.send(off, true);
            }
            off += MSS;
        }
        self.send_what_window_allows();
    }

    fn rto_us(&self) -> u64 {
        (self.s.srtt_us + 200_000) << self.s.backoff.min(6)
    }

    fn rto_check(&mut self) {
        if self.now < self.s.rto_deadline || self.s.una >= self.s.nxt {
            return;
        }
        self.sender_cwnd_cuts += 1;
        self.sender_rtos += 1;
        self.s.ssthresh = (self.s.cwnd / 2.0).max(2.0);
        self.s.cwnd = 1.0;
        self.s.backoff += 1;
        self.s.sacked.clear();
        self.s.retransmitted.clear();
        self.s.recover = None;
        let una = self.s.una;
        self.send(una, true);
        self.s.rto_deadline = self.now + self.rto_us() * 1000;
        let d = self.s.rto_deadline;
        self.push(d, Ev::RtoCheck);
    }

    fn send(&mut self, off: u64, retx: bool) {
        let d = DataPkt { off, tsval: ts_ms(self.now), tsecr: self.s_ts_recent, retx };
        let at = self.now + self.p.s_oneway_us * 1000;
        self.push(at, Ev::DataAtBox(d));
    }

    fn send_what_window_allows(&mut self) {
        loop {
            let sacked: u64 = self.s.sacked.iter().map(|&(l, r)| r - l).sum();
            let pipe = (self.s.nxt - self.s.una).saturating_sub(sacked);
            if pipe + MSS > (self.s.cwnd * MSS as f64) as u64 {
                break;
            }
            let off = self.s.nxt;
            self.s.nxt += MSS;
            self.send(off, false);
            if self.s.rto_deadline == u64::MAX || self.s.una + MSS == self.s.nxt {
                self.s.rto_deadline = self.now + self.rto_us() * 1000;
                let d = self.s.rto_deadline;
                self.push(d, Ev::RtoCheck);
            }
        }
    }

    /// The class held for the longest time over the last `secs` seconds.
    pub fn class_now(&self) -> shield::Class {
        self.flow.class()
    }

    /// Number of class changes after `from_ns`.
    pub fn changes_after(&self, from_ns: u64) -> usize {
        self.classes.iter().filter(|&&(t, _)| t > from_ns).count()
    }
}

/// A hand-scripted flow for estimator tests: no TCP model, the test says
/// exactly which segment passes when.
pub struct Scripted {
    pub cfg: ShieldConfig,
    pub now: u64,
    pub flow: FlowShield,
    pub group: GroupState,
    /// Next new sequence number of S.
    pub nxt: u32,
}

pub const ISN: u32 = u32::MAX - 20_000;

impl Scripted {
    /// A flow with a completed handshake (S opens, SACK + TS + wscale 7),
    /// J RTT 40 ms, S-side RTT 2 ms.
    pub fn new(cfg: ShieldConfig) -> Scripted {
        let t0 = 1_000_000_000u64;
        let syn = Self::syn(Dir::FromCore, ISN, 0, FLAG_SYN);
        let mut s = Scripted {
            cfg,
            now: t0,
            flow: FlowShield::new(t0, &syn),
            group: GroupState::new(t0),
            nxt: ISN.wrapping_add(1),
        };
        s.feed(syn);
        s.advance_us(40_000);
        s.feed(Self::syn(Dir::FromAccess, 7000, ISN.wrapping_add(1), FLAG_SYN | FLAG_ACK));
        s.advance_us(2_000);
        s.feed(Segment {
            dir: Dir::FromCore,
            seq: ISN.wrapping_add(1),
            ack: 7001,
            flags: FLAG_ACK,
            window: 512,
            payload_len: 0,
            opts: TcpOpts::default(),
        });
        s
    }

    pub fn syn(dir: Dir, seq: u32, ack: u32, flags: u8) -> Segment {
        Segment {
            dir,
            seq,
            ack,
            flags,
            window: 65535,
            payload_len: 0,
            opts: TcpOpts {
                mss: Some(MSS as u16),
                wscale: Some(7),
                sack_perm: true,
                ..TcpOpts::default()
            },
        }
    }

    pub fn advance_us(&mut self, us: u64) {
        self.now += us * 1000;
    }

    pub fn feed(&mut self, seg: Segment) {
        self.flow.on_segment(self.now, &seg, &mut self.group, &self.cfg);
    }

    /// S's data segment [seq, seq+len) passes the box.
    pub fn data(&mut self, seq: u32, len: u32) {
        self.feed(Segment {
            dir: Dir::FromCore,
            seq,
            ack: 7001,
            flags: FLAG_ACK,
            window: 512,
            payload_len: len,
            opts: TcpOpts::default(),
        });
    }

    /// S's next new segment passes the box; returns its seq.
    pub fn send(&mut self) -> u32 {
        let seq = self.nxt;
        self.data(seq, MSS as u32);
        self.nxt = seq.wrapping_add(MSS as u32);
        seq
    }

    /// R's ACK passes the box.
    pub fn ack(&mut self, ack: u32, sack: &[(u32, u32)]) {
        let mut opts = TcpOpts::default();
        for (i, b) in sack.iter().take(4).enumerate() {
            opts.sack[i] = *b;
        }
        opts.sack_len = sack.len().min(4) as u8;
        self.feed(Segment {
            dir: Dir::FromAccess,
            seq: 7001,
            ack,
            flags: FLAG_ACK,
            window: 1000,
            payload_len: 0,
            opts,
        });
    }

    /// For `dur_us`: every millisecond S sends one segment and R's ACK for
    /// the segment sent `rtt_us` earlier comes back.
    pub fn steady(&mut self, dur_us: u64, rtt_us: u64) {
        let mut pending: std::collections::VecDeque<(u64, u32)> = Default::default();
        let end = self.now + dur_us * 1000;
        while self.now < end {
            let seq = self.send();
            pending.push_back((self.now + rtt_us * 1000, seq.wrapping_add(MSS as u32)));
            while pending.front().is_some_and(|&(t, _)| t <= self.now) {
                let (_, a) = pending.pop_front().unwrap();
                self.ack(a, &[]);
            }
            self.advance_us(1_000);
        }
        // drain what is still in flight at the same RTT
        while let Some((t, a)) = pending.pop_front() {
            self.now = self.now.max(t);
            self.ack(a, &[]);
        }
    }
}
