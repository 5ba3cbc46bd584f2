//! The `monitor` pipeline for one worker: parse every frame, send it to the
//! worker that owns its flow (symmetric inner hash), track the flow, and run
//! the shield's measurement on TCP segments. Every frame is forwarded
//! unchanged; unparsable frames are counted by reason and forwarded too.

use std::sync::Arc;

use flow::{
    FlowId, FlowKey, FlowTable, FlowTableConfig, PacketInfo, TimerId, TimerWheel, TopFlowsScanner,
};
use mgmt::histogram::HistogramWriter;
use mgmt::snapshot::SnapshotCell;
use shield::actions::{Emit, Emits, FlowActions};
use shield::{Class, Dir, FlowShield, GroupKey, GroupState, GroupTable, Segment, ShieldConfig};
use wire::{IpAddress, Parsed, TunnelKind};

use crate::forward::{Direction, Outbox, PacketHook, Verdict};
use crate::mbuf::{Mbuf, MbufBurst, Packet};
use crate::mempool::Mempool;
use crate::pipeline::ack_template::AckTemplates;
use crate::pipeline::dump::{FlowDump, FlowDumpRow};
use crate::pipeline::parse_stage::{ip, ParseStage, Staged};
use crate::pipeline::segment_cache::{CacheList, NotCached, SegmentCache};
use crate::pipeline::stats::{reason_index, Arm, PipelineLocal, PipelineStats};

/// What the table keeps per flow: the shield's state for TCP flows.
#[derive(Clone, Copy, Debug)]
pub struct FlowValue {
    pub tcp: Option<FlowShield>,
    /// The path group this flow was filed under (for its effective class).
    pub group: Option<GroupKey>,
    /// Where the group table last had that group (a hint, checked on use).
    pub group_slot: u32,
    /// Shield mode: the actions' state; None in monitor mode and for flows
    /// of the control arm.
    pub actions: Option<FlowActions>,
    /// Shield mode: the flow's cached data segments.
    pub cache: CacheList,
    /// Shield mode: the actions' timer (stall protection), and its deadline.
    pub timer: Option<TimerId>,
    pub timer_at: u64,
}

impl FlowValue {
    fn empty() -> FlowValue {
        FlowValue {
            tcp: None,
            group: None,
            group_slot: u32::MAX,
            actions: None,
            cache: CacheList::default(),
            timer: None,
            timer_at: 0,
        }
    }
}

/// Everything a worker's pipeline needs at construction.
pub struct FlowHookConfig {
    pub worker: u16,
    pub workers: u16,
    pub table: FlowTableConfig,
    pub groups: usize,
    pub shield: ShieldConfig,
    /// Rows in the published flow dump (top flows by bytes).
    pub dump_rows: usize,
    /// How often the dump is republished.
    pub publish_every_ns: u64,
    /// Shield mode: act on flows (else measure only).
    pub act: bool,
    /// Share of TCP flows (per mille, by flow hash) left in monitor as a
    /// control arm.
    pub control_permille: u32,
    /// Segment cache: entries per core, and at most per flow.
    pub cache_segments: usize,
    pub cache_per_flow: u32,
    /// ACK templates of R's direction kept per core (for emitted ACKs).
    pub ack_templates: usize,
    /// Pool the shield's own ACKs are allocated from (shield mode).
    pub pool: Option<Arc<Mempool>>,
}

/// Settings the management thread may change while the box runs (SIGHUP).
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveSettings {
    pub timeouts: flow::Timeouts,
    pub shield: ShieldConfig,
}

/// Shared with the management thread.
pub struct FlowHookShared {
    pub stats: Arc<PipelineStats>,
    pub dump: Arc<SnapshotCell<FlowDump>>,
    /// New settings published on reload; the worker picks them up between
    /// bursts (it only looks at the version, one relaxed load, per loop).
    pub live: Arc<SnapshotCell<LiveSettings>>,
    /// J's smoothed RTT and delay variation (µs) of the dumped flows,
    /// sampled at every dump publication.
    pub rtt_hist: Option<HistogramWriter>,
    pub jitter_hist: Option<HistogramWriter>,
}

/// A worker's `monitor`/`shield` hook: the per-burst parse stage in front
/// of the tracker. Two fields so that the tracker can read a staged parse
/// by reference while it updates its own state.
pub struct FlowHook {
    stage: ParseStage,
    tracker: Tracker,
}

/// Everything but the parse: flow table, groups, shield state, counters.
struct Tracker {
    worker: u16,
    workers: u16,
    table: FlowTable<FlowValue>,
    groups: GroupTable,
    /// Used when the group table is full (fail-open: measured, never acted on).
    scratch_group: GroupState,
    shield: ShieldConfig,
    local: PipelineLocal,
    shared: FlowHookShared,
    scanner: TopFlowsScanner,
    next_publish_ns: u64,
    publish_every_ns: u64,
    next_stats_ns: u64,
    next_scan_ns: u64,
    live_version: u64,
    act: bool,
    control_permille: u32,
    io: ShieldIo,
}

/// What shield mode sends and keeps per core: the segment cache, ACK
/// templates, the actions' timers and emit buffer, and the pool built ACKs
/// come from.
struct ShieldIo {
    cache: SegmentCache,
    /// Released cache mbufs, freed in bulk.
    to_free: MbufBurst,
    emits: Emits,
    templates: AckTemplates,
    timers: TimerWheel,
    fired: Vec<u64>,
    pool: Option<Arc<Mempool>>,
}

impl ShieldIo {
    /// After the actions decided (on a segment or a timer): send what they
    /// asked for and (re)arm the flow's timer at `next`.
    fn finish(
        &mut self,
        flow: u64,
        v: &mut FlowValue,
        next: Option<u64>,
        local: &mut PipelineLocal,
        out: &mut Outbox,
    ) {
        send_emits(
            &self.emits,
            flow,
            &mut self.cache,
            &v.cache,
            &self.templates,
            self.pool.as_deref(),
            local,
            out,
        );
        schedule(&mut self.timers, v, flow, next, local);
    }
}

/// Timers fired and handled per loop iteration, at most.
const TIMER_BUDGET: usize = 256;

const EXPIRE_BUDGET: usize = 256;
/// Slots of the flow table the top-flows scanner visits per millisecond.
/// Each slot is a cache (and TLB) miss in a large table, so the scan is
/// paced in time, not per loop: with 1 M flows a ranking takes ~4 s to
/// refresh and costs ~25 µs of every millisecond at most. A sweep covers
/// only the slots the table has used, so with a few flows it is ready in
/// a millisecond.
const SCAN_SLOTS_PER_MS: usize = 256;

fn class_slot(l: &mut PipelineLocal, c: Class) -> &mut u64 {
    match c {
        Class::Clear => &mut l.flows_clear,
        Class::Jitter => &mut l.flows_jitter,
        Class::Congested => &mut l.flows_congested,
    }
}

/// The shield's input for a parsed TCP segment.
pub fn segment_of(p: &Parsed, dir: Direction) -> Option<Segment> {
    let t = p.tcp?;
    Some(Segment {
        dir: match dir {
            Direction::CoreToAccess => Dir::FromCore,
            Direction::AccessToCore => Dir::FromAccess,
        },
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        payload_len: u32::from(t.payload_len),
        opts: shield::TcpOpts {
            mss: t.opts.mss,
            wscale: t.opts.wscale,
            sack_perm: t.opts.sack_perm,
            ts: t.opts.ts,
            sack: t.opts.sack,
            sack_len: t.opts.sack_len,
        },
    })
}

/// The path group of a flow: the GTP-U peer on the access side when
/// tunnelled, else the access-side address's /24 or /64.
fn group_key(p: &Parsed, dir: Direction) -> Option<GroupKey> {
    if let Some(t) = &p.tunnel {
        if matches!(t.kind, TunnelKind::Gtpu { .. }) {
            let peer = match dir {
                Direction::AccessToCore => t.outer_src,
                Direction::CoreToAccess => t.outer_dst,
            };
            return match peer {
                IpAddress::V4(b) => GroupKey::from_tunnel_peer(&b),
                IpAddress::V6(b) => GroupKey::from_tunnel_peer(&b),
            };
        }
    }
    let inner = p.inner?;
    let access = match dir {
        Direction::AccessToCore => inner.src,
        Direction::CoreToAccess => inner.dst,
    };
    Some(match access {
        IpAddress::V4(b) => GroupKey::from_ipv4(b),
        IpAddress::V6(b) => GroupKey::from_ipv6(b),
    })
}

impl FlowHook {
    pub fn new(cfg: FlowHookConfig, shared: FlowHookShared) -> FlowHook {
        FlowHook { stage: ParseStage::default(), tracker: Tracker::new(cfg, shared) }
    }
}

impl Tracker {
    fn new(cfg: FlowHookConfig, shared: FlowHookShared) -> Tracker {
        let now = 0;
        Tracker {
            worker: cfg.worker,
            workers: cfg.workers.max(1),
            table: FlowTable::new(&cfg.table, now),
            groups: GroupTable::with_capacity(cfg.groups, 60_000_000_000),
            scratch_group: GroupState::new(now),
            shield: cfg.shield,
            local: PipelineLocal::default(),
            shared,
            scanner: TopFlowsScanner::new(cfg.dump_rows),
            next_publish_ns: 0,
            publish_every_ns: cfg.publish_every_ns,
            next_stats_ns: 0,
            next_scan_ns: 0,
            live_version: 0,
            act: cfg.act,
            control_permille: cfg.control_permille,
            io: ShieldIo {
                cache: SegmentCache::new(
                    if cfg.act { cfg.cache_segments } else { 0 },
                    cfg.cache_per_flow,
                ),
                to_free: MbufBurst::default(),
                emits: Emits::new(),
                templates: AckTemplates::new(if cfg.act { cfg.ack_templates } else { 0 }),
                timers: TimerWheel::new(
                    if cfg.act { cfg.cache_segments.max(1024) } else { 1 },
                    1_000_000,
                    now,
                ),
                fired: Vec::with_capacity(TIMER_BUDGET),
                pool: cfg.pool,
            },
        }
    }

    /// Applies settings published since the last look (SIGHUP reload).
    fn apply_live_settings(&mut self) {
        let v = self.shared.live.version();
        if v == self.live_version {
            return;
        }
        self.live_version = v;
        let s = self.shared.live.read();
        self.table.set_timeouts(s.timeouts);
        self.shield = s.shield;
    }

    /// Tracks the frame's flow and measures TCP (`seg`, built by the caller
    /// so that it is not copied back out). Returns the flow when the
    /// shield's actions must decide on `seg` (shield mode).
    fn track(
        &mut self,
        s: &Staged,
        seg: Option<&Segment>,
        dir: Direction,
        now: u64,
    ) -> Option<flow::FlowId> {
        let p = &s.parsed;
        let f = s.flow?;
        let teid = match p.tunnel.map(|t| t.kind) {
            Some(TunnelKind::Gtpu { teid, .. }) => Some(teid),
            _ => None,
        };
        let info = PacketInfo {
            side: f.side,
            from_core: dir == Direction::CoreToAccess,
            len: s.len as u32,
            tcp_flags: p.tcp.map(|t| t.flags),
            teid,
        };
        let hash = f.hash;
        let init = FlowValue::empty;
        let (id, created) = match self.table.track(&f.key, hash, &info, now, init) {
            Ok(r) => r,
            Err(_) => {
                self.local.table_full += 1;
                return None;
            }
        };
        if created {
            self.local.flows_created += 1;
        }
        let seg = seg?;
        let entry = self.table.get_mut(id)?;
        let v = &mut entry.value;
        if v.tcp.is_none() {
            let fs = FlowShield::new(now, seg);
            *class_slot(&mut self.local, fs.class()) += 1;
            v.tcp = Some(fs);
            v.group = group_key(p, dir);
            if self.act {
                if hash % 1000 < self.control_permille {
                    self.local.flows_control += 1;
                } else {
                    self.local.flows_shielded += 1;
                    v.actions = Some(FlowActions::new());
                }
            }
        }
        if v.actions.is_some() {
            return Some(id);
        }
        let group =
            group_of(&mut self.groups, &mut self.scratch_group, v.group, &mut v.group_slot, now);
        if let Some(fs) = v.tcp.as_mut() {
            let before = fs.class();
            // Shield mode, no actions on this flow: the control arm.
            let control = self.act.then(|| fs.progress());
            let _ = fs.on_segment(now, seg, group, &self.shield);
            if let Some(before) = control {
                self.local.count_arm(Arm::Control, before, fs.progress(), fs.age_ns(now));
            }
            let after = fs.class();
            if before != after {
                let b = class_slot(&mut self.local, before);
                *b = b.saturating_sub(1);
                *class_slot(&mut self.local, after) += 1;
            }
        }
        None
    }

    /// Shield mode: the actions decide on `seg`; carry out what they ask.
    #[allow(clippy::too_many_arguments)]
    fn shield_step(
        &mut self,
        id: flow::FlowId,
        seg: &Segment,
        p: &Parsed,
        pkt: &mut Packet<'_>,
        dir: Direction,
        now: u64,
        out: &mut Outbox,
    ) -> Verdict {
        let Some(entry) = self.table.get_mut(id) else { return Verdict::Forward };
        let v = &mut entry.value;
        let group =
            group_of(&mut self.groups, &mut self.scratch_group, v.group, &mut v.group_slot, now);
        let (Some(fs), Some(acts)) = (v.tcp.as_mut(), v.actions.as_mut()) else {
            return Verdict::Forward;
        };
        self.io.emits.clear();
        let before = fs.class();
        let progress = fs.progress();
        if self.shield.actions.local_recovery {
            acts.set_cache_room(self.io.cache.room(&v.cache));
        }
        let stats_before = acts.stats();
        let verdict = acts.on_segment(fs, now, seg, group, &self.shield, &mut self.io.emits);
        let stats_after = acts.stats();
        self.local.acks_paced += u64::from(stats_after.acks_paced - stats_before.acks_paced);
        self.local.windows_clamped +=
            u64::from(stats_after.windows_clamped - stats_before.windows_clamped);
        self.local.count_arm(Arm::Shielded, progress, fs.progress(), fs.age_ns(now));
        let after = fs.class();
        if before != after {
            let b = class_slot(&mut self.local, before);
            *b = b.saturating_sub(1);
            *class_slot(&mut self.local, after) += 1;
        }
        // Keep forwarded data for local recovery; release what R acknowledged.
        match dir {
            Direction::CoreToAccess => {
                // Data for local recovery; S's SYN (one sequence number)
                // for handshake repair.
                let a = &self.shield.actions;
                let keep = (seg.payload_len > 0 && a.local_recovery)
                    || (seg.is_syn() && a.handshake_repair);
                let len = seg.payload_len + u32::from(seg.is_syn());
                if keep && verdict == shield::Verdict::Forward {
                    if let Err((m, why)) =
                        self.io.cache.insert(&mut v.cache, seg.seq, len, pkt.share())
                    {
                        match why {
                            NotCached::CacheFull => self.local.cache_full += 1,
                            NotCached::FlowFull => self.local.cache_flow_full += 1,
                            NotCached::Old => {}
                        }
                        self.io.to_free.push_or_flush(m);
                    }
                }
            }
            Direction::AccessToCore => {
                if seg.flags & shield::FLAG_ACK != 0 {
                    self.io.cache.release_acked(&mut v.cache, seg.ack, &mut self.io.to_free);
                }
            }
        }
        if dir == Direction::AccessToCore && seg.payload_len == 0 {
            self.io.templates.record(id.to_u64(), pkt.frame_mut());
        }
        let next = acts.next_timer_ns(fs, now, &self.shield);
        self.io.finish(id.to_u64(), v, next, &mut self.local, out);
        match verdict {
            shield::Verdict::RewriteAck { ack, window, sack, sack_len } => {
                let frame = pkt.frame_mut();
                let blocks = &sack[..usize::from(sack_len).min(sack.len())];
                let mut ok = wire::set_ack_and_window(frame, p, ack, window).is_ok();
                ok &= if blocks.is_empty() {
                    p.tcp.is_none_or(|t| t.opts.sack_len == 0)
                        || wire::remove_sack(frame, p).is_ok()
                } else {
                    wire::set_sack_blocks(frame, p, blocks).is_ok()
                };
                if ok {
                    self.local.acks_rewritten += 1;
                } else {
                    self.local.rewrite_failed += 1;
                }
                Verdict::Forward
            }
            shield::Verdict::Suppress => {
                match dir {
                    Direction::AccessToCore => self.local.acks_suppressed += 1,
                    Direction::CoreToAccess => self.local.duplicates_suppressed += 1,
                }
                Verdict::Drop
            }
            _ => Verdict::Forward,
        }
    }

    /// Feeds J's RTT and delay variation of the top flows to the histograms.
    fn sample_histograms(&mut self, now: u64) {
        let sh = &mut self.shared;
        if sh.rtt_hist.is_none() && sh.jitter_hist.is_none() {
            return;
        }
        for (id, _) in self.scanner.ranked() {
            let Some(fs) = self.table.get(*id).and_then(|e| e.value.tcp.as_ref()) else {
                continue;
            };
            let r = fs.report(now);
            if let (Some(h), Some(rtt)) = (sh.rtt_hist.as_mut(), r.j_srtt_us) {
                h.record(u64::from(rtt));
                if let Some(j) = sh.jitter_hist.as_mut() {
                    j.record(u64::from(r.jitter_us));
                }
            }
        }
    }

    /// Runs the actions' timers that are due (stall protection releases).
    fn run_timers(&mut self, now: u64, out: &mut Outbox) {
        let fired = &mut self.io.fired;
        fired.clear();
        self.io.timers.advance_bounded(now, TIMER_BUDGET, |p| fired.push(p));
        for i in 0..self.io.fired.len() {
            let id = FlowId::from_u64(self.io.fired[i]);
            let Some(entry) = self.table.get_mut(id) else { continue };
            let v = &mut entry.value;
            v.timer = None;
            let group = group_of(
                &mut self.groups,
                &mut self.scratch_group,
                v.group,
                &mut v.group_slot,
                now,
            );
            let (Some(fs), Some(acts)) = (v.tcp.as_ref(), v.actions.as_mut()) else { continue };
            self.io.emits.clear();
            let before = acts.stats();
            acts.on_timer(fs, group, now, &self.shield, &mut self.io.emits);
            let after = acts.stats();
            self.local.pace_releases += u64::from(after.pace_releases - before.pace_releases);
            self.local.handshake_repairs +=
                u64::from(after.handshake_repairs - before.handshake_repairs);
            let next = acts.next_timer_ns(fs, now, &self.shield);
            self.io.finish(id.to_u64(), v, next, &mut self.local, out);
        }
    }

    fn publish(&mut self, now: u64) {
        self.sample_histograms(now);
        let table = &self.table;
        let worker = self.worker;
        let ranked = self.scanner.ranked();
        self.shared.dump.publish_with(|d: &mut FlowDump| {
            d.now_ns = now;
            d.worker = worker;
            d.rows.clear();
            for (id, _) in ranked {
                if d.rows.len() == d.rows.capacity() {
                    break;
                }
                if let Some(e) = table.get(*id) {
                    d.rows.push(FlowDumpRow::of(*id, e, now));
                }
            }
        });
    }
}

impl PacketHook for FlowHook {
    #[inline]
    fn on_packet(
        &mut self,
        mut pkt: Packet<'_>,
        dir: Direction,
        now: u64,
        out: &mut Outbox,
    ) -> Verdict {
        let s = self.stage.parse_one(pkt.frame_mut());
        self.tracker.on_frame(s, pkt, dir, now, out)
    }

    fn on_burst(&mut self, burst: &MbufBurst, dir: Direction) {
        self.stage.stage(burst, dir, &self.tracker.table);
    }

    #[inline]
    fn on_burst_packet(
        &mut self,
        i: usize,
        pkt: Packet<'_>,
        dir: Direction,
        now: u64,
        out: &mut Outbox,
    ) -> Verdict {
        self.stage.prefetch_ahead(dir, i);
        match self.stage.get(dir, i) {
            Some(s) => self.tracker.on_frame(s, pkt, dir, now, out),
            None => self.on_packet(pkt, dir, now, out),
        }
    }

    fn on_loop_end(&mut self, now: u64, out: &mut Outbox) {
        self.tracker.on_loop_end(now, out);
    }

    fn on_stop(&mut self, now: u64) {
        self.tracker.on_stop(now);
    }
}

impl Tracker {
    /// One frame, parsed in `s`: count it, hand it to its flow's owner or
    /// track it, and let the shield decide on TCP segments.
    #[inline]
    fn on_frame(
        &mut self,
        s: &Staged,
        mut pkt: Packet<'_>,
        dir: Direction,
        now: u64,
        out: &mut Outbox,
    ) -> Verdict {
        let p = &s.parsed;
        if p.is_arp {
            self.local.arp += 1;
        }
        if let Some(e) = &p.error {
            self.local.parse_exceptions += 1;
            self.local.parse_errors[reason_index(e)] += 1;
            // Still track what was understood (a fragment has its 5-tuple).
            if p.inner.is_none() {
                return Verdict::Forward;
            }
        }
        let Some(inner) = p.inner else { return Verdict::Forward };
        match inner.proto {
            wire::parse::ip_protocol::TCP => self.local.tcp += 1,
            wire::parse::ip_protocol::UDP => self.local.udp += 1,
            _ => self.local.other_ip += 1,
        }
        if p.tunnel.is_some() {
            self.local.tunneled += 1;
        }
        if self.workers > 1 {
            let (key, _) = FlowKey::from_packet(
                ip(inner.src),
                ip(inner.dst),
                inner.proto,
                inner.sport,
                inner.dport,
                [0, 0],
                p.tunnel.map(|t| (ip(t.outer_src), ip(t.outer_dst))),
            );
            let owner = (key.symmetric_hash() % u32::from(self.workers)) as u16;
            if owner != self.worker {
                self.local.handed_off += 1;
                return Verdict::HandOff(owner);
            }
        }
        let seg = segment_of(p, dir);
        match (self.track(s, seg.as_ref(), dir, now), &seg) {
            (Some(id), Some(seg)) => self.shield_step(id, seg, p, &mut pkt, dir, now, out),
            _ => Verdict::Forward,
        }
    }

    fn on_loop_end(&mut self, now: u64, out: &mut Outbox) {
        self.apply_live_settings();
        for h in
            [self.shared.rtt_hist.as_mut(), self.shared.jitter_hist.as_mut()].into_iter().flatten()
        {
            h.sync();
        }
        if self.act {
            self.run_timers(now, out);
        }
        let local = &mut self.local;
        let (cache, to_free) = (&mut self.io.cache, &mut self.io.to_free);
        let (timers, templates) = (&mut self.io.timers, &mut self.io.templates);
        self.table.expire(now, EXPIRE_BUDGET, |id, mut e| {
            if let Some(t) = e.value.timer {
                timers.cancel(t);
            }
            templates.forget(id.to_u64());
            local.flows_expired += 1;
            if let Some(fs) = e.value.tcp {
                let c = class_slot(local, fs.class());
                *c = c.saturating_sub(1);
            }
            cache.clear(&mut e.value.cache, to_free);
        });
        // Cache mbufs released during the loop go back to the pool in bulk.
        self.io.to_free.compact();
        self.io.to_free.free_all();
        self.local.cache_segments = self.io.cache.in_use() as u64;
        if now >= self.next_scan_ns {
            self.next_scan_ns = now + 1_000_000;
            self.scanner.step(&self.table, SCAN_SLOTS_PER_MS);
        }
        if now >= self.next_publish_ns {
            self.next_publish_ns = now + self.publish_every_ns;
            self.publish(now);
        }
        // Counters are published at most every 100 µs: cheap, and fresh
        // enough for any exporter.
        if now >= self.next_stats_ns {
            self.next_stats_ns = now + 100_000;
            self.local.flows_active = self.table.len() as u64;
            self.shared.stats.publish(&self.local);
        }
    }

    fn on_stop(&mut self, now: u64) {
        // Finish the current ranking so the final report is complete.
        while !self.scanner.step(&self.table, 1 << 16) {}
        self.publish(now);
        self.local.flows_active = self.table.len() as u64;
        self.shared.stats.publish(&self.local);
    }
}

/// (Re)arms, moves or cancels a flow's action timer.
fn schedule(
    timers: &mut TimerWheel,
    v: &mut FlowValue,
    flow: u64,
    next: Option<u64>,
    local: &mut PipelineLocal,
) {
    match (v.timer, next) {
        (Some(t), Some(at)) if at != v.timer_at => {
            if !timers.reschedule(t, at) {
                v.timer = timers.insert(at, flow).ok();
            }
            v.timer_at = at;
        }
        (None, Some(at)) => {
            v.timer = timers.insert(at, flow).ok();
            if v.timer.is_none() {
                local.emits_dropped += 1;
            }
            v.timer_at = at;
        }
        (Some(t), None) => {
            timers.cancel(t);
            v.timer = None;
        }
        _ => {}
    }
}

/// Sends what the actions asked for: retransmissions from the cache towards
/// R (zero copy), ACKs towards S built from R's latest ACK of the flow.
#[allow(clippy::too_many_arguments)]
fn send_emits(
    emits: &Emits,
    flow: u64,
    cache: &mut SegmentCache,
    list: &CacheList,
    templates: &AckTemplates,
    pool: Option<&Mempool>,
    local: &mut PipelineLocal,
    out: &mut Outbox,
) {
    for e in emits.iter() {
        match *e {
            Emit::RetransmitFromCache { seq, len, ts_floor } => {
                cache.overlapping(list, seq, len, |_, _, m| {
                    if out.room(Direction::CoreToAccess) > 0 {
                        if let Some(floor) = ts_floor {
                            raise_tsval(m, floor, local);
                        }
                        out.send(Direction::CoreToAccess, m.share());
                        local.local_retransmits += 1;
                    } else {
                        local.emits_dropped += 1;
                    }
                });
            }
            Emit::AckToCore { ack, window, dsack } => {
                match build_ack_to_core(flow, ack, window, dsack, templates, pool) {
                    Some(m) if out.room(Direction::AccessToCore) > 0 => {
                        out.send(Direction::AccessToCore, m);
                        local.acks_emitted += 1;
                    }
                    // A built ACK that does not fit is dropped here; the
                    // mbuf goes back to the pool (rare, not per packet).
                    _ => local.emits_dropped += 1,
                }
            }
        }
    }
    local.emits_dropped += emits.dropped() as u64;
}

/// Gives a cached segment about to be sent again a TSval R's PAWS check
/// accepts (`floor`, R's TS.Recent as the shield knows it) where its own is
/// older. Only while the cache holds the sole reference: a copy still in a
/// TX queue must not change under the NIC (then it goes as it is, counted
/// in `rewrite_failed`). The cached frame keeps the raised TSval, which is
/// what a later copy needs too.
fn raise_tsval(m: &mut Mbuf, floor: u32, local: &mut PipelineLocal) {
    let Some(frame) = m.data_mut_unshared() else {
        local.rewrite_failed += 1;
        return;
    };
    let p = wire::parse(frame);
    match wire::raise_tsval(frame, &p, floor) {
        Ok(true) => local.repair_timestamps_raised += 1,
        Ok(false) | Err(wire::RewriteError::NoTimestamps) => {}
        Err(_) => local.rewrite_failed += 1,
    }
}

/// A pure ACK towards S from the flow's template: R's headers, R's latest
/// TSval/TSecr (never older than what S saw), and the DSACK block, if any.
fn build_ack_to_core(
    flow: u64,
    ack: u32,
    window: u16,
    dsack: Option<(u32, u32)>,
    templates: &AckTemplates,
    pool: Option<&Mempool>,
) -> Option<Mbuf> {
    let tpl = templates.get(flow)?;
    let tp = wire::parse(tpl);
    let t = tp.tcp.filter(|_| tp.is_rewritable_tcp())?;
    let mut m = Mbuf::alloc(pool?)?;
    let buf = m.set_len(tpl.len() + 48)?;
    let fields = wire::AckFields { seq: t.seq, ack, window, ts: t.opts.ts, sack: dsack.as_slice() };
    let n = wire::build_ack(tpl, &tp, &fields, buf).ok()?;
    m.set_len(n)?;
    Some(m)
}

/// The flow's path group, or the scratch group when it has none or the
/// group table is full (the flow is then measured alone: fail open).
fn group_of<'a>(
    groups: &'a mut GroupTable,
    scratch: &'a mut GroupState,
    key: Option<GroupKey>,
    slot: &mut u32,
    now: u64,
) -> &'a mut GroupState {
    match key.and_then(|g| groups.get_or_insert_hinted(&g, slot, now)) {
        Some(g) => g,
        None => scratch,
    }
}
