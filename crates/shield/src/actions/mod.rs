//! Shield-mode decisions (issue 8, pure part): local recovery of holes on
//! J, hiding the holes from S while they are young or being repaired, not
//! passing DSACKs the box caused, answering S's duplicate retransmissions.
//!
//! Stall protection (the ACK reserve, and the bookkeeping of what S was
//! told) lives in `reserve.rs`, ACK pacing in `pacing.rs`, the bounds of
//! window rewriting in `window.rs`.
//!
//! Every action is switched in [`ActionConfig`] and acts only while the
//! flow's effective class (flow and path group) is Jitter; on Congested it
//! stands down at once, and everything is forwarded as R sent it.
//!
//! The invariant, end-to-end safety: the box never acknowledges to S a byte
//! R has not acknowledged. Every ACK number the box sends or rewrites is
//! R's own cumulative ACK, and every SACK block it forwards is one of R's
//! blocks (a property test checks both over random sequences).
//!
//! Per-flow action state is a separate fixed struct ([`FlowActions`]) so
//! flows in `monitor` mode do not pay for it.

mod config;
mod emit;
mod handshake;
mod pacing;
mod reserve;
mod window;

pub use config::ActionConfig;
pub use emit::{Emit, Emits, MAX_EMITS};

use crate::classify::Class;
use crate::clock::elapsed;
use crate::config::ShieldConfig;
use crate::flow::FlowShield;
use crate::group::GroupState;
use crate::holes::dsack_of;
use crate::segment::{Dir, Segment};
use crate::seq::{seq_le, seq_lt, seq_max, seq_overlaps, seq_span};
use crate::verdict::Verdict;

use handshake::HandshakeRepair;
use pacing::AckPacer;
use reserve::{AckReserve, Release};

const REPAIRS: usize = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum RepairState {
    #[default]
    Empty,
    /// Retransmitted from the cache, hole still open.
    Active,
    /// The hole closed.
    Done,
    /// The hole outlived the repair timeout: S must see it.
    TimedOut,
}

/// A range the box retransmitted from its cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Repair {
    start: u32,
    end: u32,
    /// The first repair (the loss accounting measures from it).
    at_ns: u64,
    /// The latest copy the box sent (the timeout and retries count from it).
    last_ns: u64,
    /// Copies sent after the first because the hole outlived one.
    retries: u8,
    /// The hole's age when the box repaired it.
    age_us: u32,
    state: RepairState,
    /// S retransmitted part of the range after the box did. On a FIFO J the
    /// box's copy got to R first, so R's DSACK for the range is about S's
    /// copy: true news for S (it may undo its window cut), not the box's.
    sender_resent: bool,
}

/// What the actions did on a flow, summable by the management side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActionStats {
    /// Holes on J retransmitted from the cache.
    pub local_retransmits: u32,
    /// ACKs forwarded with hole-revealing SACK blocks removed.
    pub acks_holes_hidden: u32,
    /// Duplicate ACKs (flows without SACK) kept from S.
    pub dupacks_suppressed: u32,
    /// DSACKs caused by the box's own retransmissions, not forwarded.
    pub own_dsacks_filtered: u32,
    /// S's retransmissions of acknowledged data answered locally.
    pub duplicates_suppressed: u32,
    /// Local repairs that did not close their hole in time (S then saw it).
    pub repairs_timed_out: u32,
    /// Holes repaired again because the box's first copy was lost on J too
    /// (also counted in `local_retransmits`).
    pub repairs_retried: u32,
    /// Emits that did not fit the caller's buffer.
    pub emits_dropped: u32,
    /// ACKs forwarded with the reserve held back.
    pub reserve_held_acks: u32,
    /// Reserve releases sent during stalls (or on standing down).
    pub reserve_releases: u32,
    /// ACKs forwarded with part of R's ACK held back by pacing.
    pub acks_paced: u32,
    /// Paced parts of R's ACKs released by the timer.
    pub pace_releases: u32,
    /// ACKs forwarded with a window lowered by window rewriting (cache
    /// room, stall), the right edge already offered kept.
    pub windows_clamped: u32,
    /// S's SYN or SYN-ACK sent again from the cache because R had not
    /// answered in time.
    pub handshake_repairs: u32,
}

/// Per-flow state of the shield-mode actions (fixed size, `Copy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowActions {
    repairs: [Repair; REPAIRS],
    next: u8,
    reserve: AckReserve,
    pacer: AckPacer,
    handshake: HandshakeRepair,
    /// Segments the box can still cache for this flow, as the caller last
    /// said; None: unbounded (no window clamp for the cache).
    cache_room: Option<u32>,
    /// How the box's repairs of this flow ended: the hole closed sooner
    /// than half J's baseline RTT after the repair (the original was only
    /// late), or later (the repair filled it). Halved together at 64.
    repairs_late: u8,
    repairs_needed: u8,
    /// How late originals that the box had already repaired turned out to
    /// be (hole age when it closed by itself): the reorder window widens to
    /// cover it. Shrinks by 1/8 with every repair that was needed.
    late_us: u32,
    /// R's TS.Recent (RFC 7323) as far as the box can tell, or soon to be:
    /// see [`FlowActions::note_ts_recent`]. The box's copies carry at
    /// least this TSval.
    r_ts_recent: Option<u32>,
    /// The flow epoch this state belongs to.
    epoch: u8,
    stats: ActionStats,
}

impl FlowActions {
    /// No repairs, zero counters.
    pub fn new() -> Self {
        FlowActions::default()
    }

    /// What the actions did so far.
    pub fn stats(&self) -> ActionStats {
        self.stats
    }

    /// How many more segments the box's cache can take for this flow;
    /// window rewriting keeps S's right edge within them. The caller sets
    /// it before [`FlowActions::on_segment`] when it caches.
    pub fn set_cache_room(&mut self, segments: u32) {
        self.cache_room = Some(segments);
    }

    /// Measure `seg` (exactly as [`FlowShield::on_segment`]), then decide.
    /// `emits` is not cleared here: the caller clears it per segment.
    pub fn on_segment(
        &mut self,
        flow: &mut FlowShield,
        now_ns: u64,
        seg: &Segment,
        group: &mut GroupState,
        cfg: &ShieldConfig,
        emits: &mut Emits,
    ) -> Verdict {
        let sent_before = flow.sender_max();
        flow.on_segment(now_ns, seg, group, cfg);
        if flow.epoch() != self.epoch {
            // A new connection on the flow: repairs and reserve are stale.
            *self = FlowActions {
                epoch: flow.epoch(),
                stats: self.stats,
                cache_room: self.cache_room,
                ..FlowActions::default()
            };
        }
        self.note_ts_recent(flow, seg, sent_before);
        match seg.dir {
            Dir::FromCore if seg.is_syn() => self.handshake.on_sender_syn(seg.seq, now_ns),
            Dir::FromAccess => self.handshake.on_receiver_segment(seg),
            Dir::FromCore => {}
        }
        let jitter = flow.acting_class(group, cfg) == Class::Jitter;
        self.refresh(flow, now_ns, &cfg.actions);
        match seg.dir {
            Dir::FromCore => self.on_sender_segment(flow, jitter, seg, &cfg.actions, emits),
            Dir::FromAccess => self.on_receiver_ack(flow, jitter, now_ns, seg, cfg, emits),
        }
    }

    /// When the caller should call [`FlowActions::on_timer`] next (paced
    /// ACK releases, stall protection, handshake repair), if at all.
    pub fn next_timer_ns(&self, flow: &FlowShield, now_ns: u64, cfg: &ShieldConfig) -> Option<u64> {
        // While the pacer holds part of R's ACK, its timer alone: the hold
        // ends within `ack_pacing_max_delay_us`, and the reserve's rules
        // take over from there.
        let acks = if self.pacer.holding() {
            self.pacer.next_timer_ns(flow, &cfg.actions)
        } else {
            self.reserve.next_timer_ns(flow, now_ns, &cfg.actions)
        };
        acks.into_iter().chain(self.handshake.due_ns(&cfg.actions)).min()
    }

    /// Timer work: release what the pacer held back, or reserve segments to
    /// S during a stall (or the whole reserve once the flow stops acting),
    /// as `AckToCore`; send S's unanswered SYN again (`RetransmitFromCache`).
    pub fn on_timer(
        &mut self,
        flow: &FlowShield,
        group: &GroupState,
        now_ns: u64,
        cfg: &ShieldConfig,
        emits: &mut Emits,
    ) {
        let group_jitter = group.class() == Class::Jitter;
        if let Some(iss) = self.handshake.on_timer(now_ns, group_jitter, &cfg.actions) {
            if emits.push(Emit::RetransmitFromCache { seq: iss, len: 1, ts_floor: None }) {
                self.stats.handshake_repairs = self.stats.handshake_repairs.saturating_add(1);
            } else {
                self.stats.emits_dropped = self.stats.emits_dropped.saturating_add(1);
            }
        }
        let act = flow.acting_class(group, cfg) == Class::Jitter;
        let released = self.reserve.on_timer(flow, &mut self.pacer, act, now_ns, &cfg.actions);
        if let Some((ack, window, by)) = released {
            if emits.push(Emit::AckToCore { ack, window, dsack: None }) {
                let n = match by {
                    Release::Pacing => &mut self.stats.pace_releases,
                    Release::Reserve => &mut self.stats.reserve_releases,
                };
                *n = n.saturating_add(1);
            } else {
                self.stats.emits_dropped = self.stats.emits_dropped.saturating_add(1);
            }
        }
    }

    /// Retire repairs whose hole closed; time out those that take too long.
    fn refresh(&mut self, flow: &FlowShield, now_ns: u64, a: &ActionConfig) {
        // Most packets find no repair under way: skip the RTT lookups.
        if self.repairs.iter().all(|r| r.state != RepairState::Active) {
            return;
        }
        let timeout_ns = u64::from(
            flow.j_srtt_us().unwrap_or(0).saturating_mul(a.repair_timeout_rtts).max(10_000),
        ) * 1_000;
        let late_ns = u64::from(flow.j_baseline_us().unwrap_or(0) / 2) * 1_000;
        for r in self.repairs.iter_mut() {
            if r.state != RepairState::Active {
                continue;
            }
            if !flow.open_holes().any(|h| seq_overlaps((h.start, h.end), (r.start, r.end))) {
                r.state = RepairState::Done;
                let since_ns = now_ns.saturating_sub(r.at_ns);
                if since_ns < late_ns {
                    self.repairs_late += 1;
                    let late = r.age_us.saturating_add((since_ns / 1_000) as u32);
                    self.late_us = self.late_us.max(late);
                } else {
                    self.repairs_needed += 1;
                    self.late_us -= self.late_us / 8;
                }
                if self.repairs_late.max(self.repairs_needed) >= 64 {
                    self.repairs_late /= 2;
                    self.repairs_needed /= 2;
                }
            } else if now_ns.saturating_sub(r.last_ns) > timeout_ns {
                r.state = RepairState::TimedOut;
                self.stats.repairs_timed_out = self.stats.repairs_timed_out.saturating_add(1);
            }
        }
    }

    fn repair_of(&self, start: u32, end: u32) -> Option<&Repair> {
        self.repairs.iter().find(|r| {
            matches!(r.state, RepairState::Active | RepairState::TimedOut)
                && seq_overlaps((r.start, r.end), (start, end))
        })
    }

    fn record_repair(&mut self, start: u32, end: u32, age_us: u32, now_ns: u64) {
        // An empty slot, else the oldest finished repair: a finished one is
        // still needed until R's DSACK for the box's copy has come back
        // (about a J RTT later), and on a reordering path repairs finish
        // within milliseconds, so reusing the first finished slot overwrote
        // the newest record and let its DSACK through to S.
        let empty = self.repairs.iter().position(|r| r.state == RepairState::Empty);
        let oldest_done = || {
            self.repairs
                .iter()
                .enumerate()
                .filter(|(_, r)| r.state == RepairState::Done)
                .min_by_key(|(_, r)| r.at_ns)
                .map(|(i, _)| i)
        };
        let i = empty.or_else(oldest_done).unwrap_or(usize::from(self.next) % REPAIRS);
        if let Some(slot) = self.repairs.get_mut(i) {
            *slot = Repair {
                start,
                end,
                at_ns: now_ns,
                last_ns: now_ns,
                retries: 0,
                age_us,
                state: RepairState::Active,
                sender_resent: false,
            };
        }
        self.next = ((i + 1) % REPAIRS) as u8;
    }

    /// Send once more the copies whose hole outlived them on J. Why: a copy
    /// the box sent is lost as often as any segment on J (1 % of repairs
    /// at 1 % loss), and S then fills the hole with its own retransmission,
    /// whose newer timestamp R echoes, so S cannot undo its window cut
    /// (bed, UPF split, 1 % loss: 5 of a run's 11 recoveries). A copy
    /// that reaches R before S's does carries the original's timestamp.
    ///
    /// Called right after `refresh` on the same packet, so a repair still
    /// Active has its hole open and has not timed out.
    fn retry_lost_repairs(
        &mut self,
        flow: &FlowShield,
        now_ns: u64,
        a: &ActionConfig,
        emits: &mut Emits,
    ) {
        // R's ACK of a copy that got through is back within about J's RTT;
        // a hole still open later than that, with some of J's delay
        // variation to spare, lost the copy too.
        let retry_ns = u64::from(
            flow.j_srtt_us()
                .unwrap_or(0)
                .saturating_add(flow.j_jitter_us().saturating_mul(4))
                .max(a.reorder_window_min_us),
        ) * 1_000;
        let due = |r: &Repair| {
            r.state == RepairState::Active
                && !r.sender_resent
                && u32::from(r.retries) < a.repair_retries
                && now_ns.saturating_sub(r.last_ns) > retry_ns
        };
        for r in self.repairs.iter_mut().filter(|r| due(r)) {
            let (seq, len, ts_floor) = (r.start, seq_span(r.start, r.end), self.r_ts_recent);
            if emits.push(Emit::RetransmitFromCache { seq, len, ts_floor }) {
                r.retries = r.retries.saturating_add(1);
                r.last_ns = now_ns;
                self.stats.local_retransmits = self.stats.local_retransmits.saturating_add(1);
                self.stats.repairs_retried = self.stats.repairs_retried.saturating_add(1);
            } else {
                self.stats.emits_dropped = self.stats.emits_dropped.saturating_add(1);
            }
        }
    }

    /// Tracks what R holds as TS.Recent, the TSval its PAWS check (RFC 7323
    /// §5) compares every segment with: Linux drops a segment whose TSval is
    /// older by more than one tick, as a duplicate. R echoes TS.Recent in
    /// every ACK's TSecr, and takes a new one from a segment that starts at
    /// the left edge of its window, i.e. one that fills R's first hole. Why
    /// it matters: when S resends the first hole itself, its copy's new
    /// TSval becomes TS.Recent, and every copy the box then sends of a
    /// later hole (an original older than S's retransmission, with that
    /// original's TSval) is dropped by R. S must resend each of those
    /// holes too, one recovery after another (bed, UPF split, 1 % loss: 16
    /// copies dropped as PAWS in one 10 s run, S's cwnd 116 -> 39 within
    /// 0.2 s).
    ///
    /// Any retransmission of S into a hole R reports counts, not only one
    /// at R's cumulative ACK as the box last saw it: R's ACKs for holes
    /// filled just before may still be on their way, so that hole may be
    /// R's first by the time S's copy arrives (bed: a copy of the box
    /// dropped 6 ms after R took TS.Recent from S's copy of a hole above
    /// the box's view of R's cumulative ACK). Where it was not R's first
    /// hole, the box's later copies carry a newer TSval than needed; that
    /// costs S no undo it could have had, since S's own copy filled a real
    /// hole in that recovery.
    fn note_ts_recent(&mut self, flow: &FlowShield, seg: &Segment, sent_before: u32) {
        let Some((tsval, tsecr)) = seg.opts.ts else { return };
        let newer = match seg.dir {
            Dir::FromAccess if seg.has_ack() && !seg.is_syn() => tsecr,
            Dir::FromCore if seg.payload_len > 0 && seq_lt(seg.seq, sent_before) => {
                let range = (seg.seq, seg.seq.wrapping_add(seg.payload_len));
                if !flow.open_holes().any(|h| seq_overlaps((h.start, h.end), range)) {
                    return;
                }
                tsval
            }
            _ => return,
        };
        self.r_ts_recent = Some(self.r_ts_recent.map_or(newer, |t| seq_max(t, newer)));
    }

    /// A hole younger than this is probably a late segment: the larger of
    /// a multiple of J's delay variation and (with a quarter more) the
    /// lateness of originals the box repaired needlessly, as RACK widens
    /// its window on DSACKs. Why both: J's RTT samples come only from
    /// segments that arrived in order, so on a path that reorders every
    /// packet they barely vary (bed, 0-10 ms uniform delay: 1.2 ms of
    /// jitter, a 4.8 ms window, and 1000-2600 late segments per 10 s run
    /// repaired needlessly, each crossing J's bottleneck once more; with
    /// the measured lateness, 3-13).
    fn reorder_window_us(&self, flow: &FlowShield, a: &ActionConfig) -> u32 {
        let w = flow
            .j_jitter_us()
            .saturating_mul(a.reorder_jitter_mult)
            .max(self.late_us.saturating_add(self.late_us / 4))
            .max(a.reorder_window_min_us);
        match flow.j_baseline_us() {
            Some(b) => w.min(b / 2).max(a.reorder_window_min_us),
            None => w,
        }
    }

    fn on_sender_segment(
        &mut self,
        flow: &FlowShield,
        jitter: bool,
        seg: &Segment,
        a: &ActionConfig,
        emits: &mut Emits,
    ) -> Verdict {
        if seg.payload_len > 0 {
            let range = (seg.seq, seg.seq.wrapping_add(seg.payload_len));
            for r in self.repairs.iter_mut() {
                if r.state != RepairState::Empty && seq_overlaps((r.start, r.end), range) {
                    r.sender_resent = true;
                }
            }
        }
        if !(jitter && a.duplicate_suppression)
            || seg.payload_len == 0
            || seg.is_syn()
            || seg.is_fin()
        {
            return Verdict::Forward;
        }
        let Some(una) = flow.receiver_una() else {
            return Verdict::Forward;
        };
        let end = seg.seq.wrapping_add(seg.payload_len);
        if !seq_le(end, una) {
            return Verdict::Forward;
        }
        let window = self.reserve.on_own_ack(flow, una, flow.receiver_window_raw());
        // R would have answered this copy with a DSACK. Without one, S
        // cannot undo the cut it made when it resent (Linux undoes once
        // every retransmission of the episode is DSACKed), and a repair by
        // the box that won the race would still cost S its window.
        let dsack = flow.sack_negotiated().then_some((seg.seq, end));
        if emits.push(Emit::AckToCore { ack: una, window, dsack }) {
            self.stats.duplicates_suppressed = self.stats.duplicates_suppressed.saturating_add(1);
            Verdict::Suppress
        } else {
            self.stats.emits_dropped = self.stats.emits_dropped.saturating_add(1);
            Verdict::Forward
        }
    }

    fn on_receiver_ack(
        &mut self,
        flow: &mut FlowShield,
        jitter: bool,
        now_ns: u64,
        seg: &Segment,
        cfg: &ShieldConfig,
        emits: &mut Emits,
    ) -> Verdict {
        let a = &cfg.actions;
        if !seg.has_ack() || seg.is_syn() || seg.is_rst() {
            return Verdict::Forward;
        }
        let now = flow.micros(now_ns);
        let window = self.reorder_window_us(flow, a);
        if jitter && a.local_recovery {
            let mut due = [(0u32, 0u32, 0u32); 3];
            let mut n = 0;
            for h in flow.open_holes() {
                let age = elapsed(now, h.opened);
                // A hole S has already resent is left to S's copy: a second
                // one from the box would only take J's capacity, and R
                // would DSACK one of the two.
                let wanted = h.on_j && !h.sender_resent;
                if wanted && age >= window && self.repair_of(h.start, h.end).is_none() {
                    if let Some(d) = due.get_mut(n) {
                        *d = (h.start, h.end, age);
                        n += 1;
                    }
                }
            }
            for &(s, e, age) in due.iter().take(n) {
                let ts_floor = self.r_ts_recent;
                if emits.push(Emit::RetransmitFromCache { seq: s, len: seq_span(s, e), ts_floor }) {
                    self.record_repair(s, e, age, now_ns);
                    flow.on_box_repair(now_ns, s, e);
                    self.stats.local_retransmits = self.stats.local_retransmits.saturating_add(1);
                } else {
                    self.stats.emits_dropped = self.stats.emits_dropped.saturating_add(1);
                }
            }
            self.retry_lost_repairs(flow, now_ns, a, emits);
        }
        // Hide holes only if every open hole is on J and either young or
        // under a live repair: an upstream hole, or a repair that failed,
        // is S's to see. Young holes are hidden only until the flow has
        // shown reordering a few times: a Linux sender then widens its own
        // reorder tolerance (RACK's window, the dupACK threshold), and
        // hiding would only stall its ACK clock (bed, 0-10 ms reordering,
        // CUBIC: passthrough 44.8, hiding off 45.2, on 41.8 Mbit/s). A
        // repaired hole stays hidden when configured, or where this flow's
        // repaired holes mostly closed by themselves (late originals: S
        // would only resend what is about to arrive), and only while young
        // holes are hidden too (a hole shown young is on S's scoreboard).
        let hide_young =
            a.hide_young_max_reorders == 0 || flow.reorder_events() < a.hide_young_max_reorders;
        let hide_repaired =
            hide_young && (a.hide_under_repair || self.repairs_late > self.repairs_needed);
        let mut open = 0usize;
        let mut hideable = true;
        for h in flow.open_holes() {
            open += 1;
            let young = elapsed(now, h.opened) < window;
            let repairing =
                self.repair_of(h.start, h.end).is_some_and(|r| r.state == RepairState::Active);
            hideable &= h.on_j && ((young && hide_young) || (repairing && hide_repaired));
        }
        // And only while R's blocks still name every range it holds above
        // its ACK. R lists just its most recent blocks (3 beside a timestamp
        // option, 4 without); each open hole has a SACKed range above it.
        // Once R holds more ranges than it lists, the older ones were only
        // in ACKs the box kept from S, and when S next sees R's blocks it
        // takes everything they leave out for lost and sends it again (BBR
        // on the bed: ~75 needless retransmissions per recovery). So S sees
        // the holes while R's blocks still tell the whole story.
        let max_hidden = match a.max_hidden_holes {
            0 if seg.opts.ts.is_some() => 2,
            0 => 3,
            n => n as usize,
        };
        let hide = jitter && a.hide_holes && open > 0 && hideable && open <= max_hidden;

        let blocks = seg.opts.sack_blocks();
        let dsack = dsack_of(seg.ack, blocks);
        let own_dsack = a.filter_own_dsack
            && dsack.is_some_and(|(l, r)| {
                self.repairs.iter().any(|p| {
                    p.state != RepairState::Empty
                        && !p.sender_resent
                        && seq_overlaps((p.start, p.end), (l, r))
                })
            });
        if own_dsack {
            self.stats.own_dsacks_filtered = self.stats.own_dsacks_filtered.saturating_add(1);
        }
        let pure_dupack =
            seg.payload_len == 0 && !seg.is_fin() && Some(seg.ack) == flow.receiver_una();
        if hide && !flow.sack_negotiated() && pure_dupack && blocks.is_empty() {
            self.stats.dupacks_suppressed = self.stats.dupacks_suppressed.saturating_add(1);
            return Verdict::Suppress;
        }
        let mut kept = [(0u32, 0u32); 4];
        let mut k = 0usize;
        for (i, &b) in blocks.iter().enumerate() {
            let is_dsack = i == 0 && dsack.is_some();
            let drop = if is_dsack { own_dsack } else { hide };
            if !drop {
                if let Some(slot) = kept.get_mut(k) {
                    *slot = b;
                    k += 1;
                }
            }
        }
        let bound = if jitter {
            window::edge_bound(flow, now_ns, self.reserve.offered_edge(), self.cache_room, cfg)
        } else {
            None
        };
        let to_s = self.reserve.on_receiver_ack(
            flow,
            &mut self.pacer,
            now_ns,
            jitter,
            (seg.ack, seg.window),
            k > 0,
            bound,
            a,
        );
        let (ack, window) = (to_s.ack, to_s.window);
        if to_s.paced {
            self.stats.acks_paced = self.stats.acks_paced.saturating_add(1);
        }
        if to_s.clamped {
            self.stats.windows_clamped = self.stats.windows_clamped.saturating_add(1);
        }
        if k == blocks.len() && ack == seg.ack && window == seg.window {
            return Verdict::Forward;
        }
        if hide && k < blocks.len() {
            self.stats.acks_holes_hidden = self.stats.acks_holes_hidden.saturating_add(1);
        }
        if ack != seg.ack && !to_s.paced {
            self.stats.reserve_held_acks = self.stats.reserve_held_acks.saturating_add(1);
        }
        Verdict::RewriteAck { ack, window, sack: kept, sack_len: k as u8 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_finished_repair_is_reused_first() {
        let mut f = FlowActions::new();
        for i in 0..REPAIRS as u32 {
            f.record_repair(i * 10, i * 10 + 5, 0, u64::from(i));
            f.repairs[i as usize].state = RepairState::Done;
        }
        // A new repair replaces the oldest record (at 0 ns), not the first
        // finished slot it finds, so the newest records stay for their DSACKs.
        f.record_repair(1000, 1005, 0, 100);
        assert_eq!((f.repairs[0].start, f.repairs[0].state), (1000, RepairState::Active));
        f.record_repair(2000, 2005, 0, 101);
        assert_eq!(f.repairs[1].start, 2000, "then the next oldest");
        let last = REPAIRS as u32 - 1;
        assert!(f.repairs.iter().any(|r| r.start == last * 10), "newest finished kept");
    }

    #[test]
    fn repair_slots_are_reused_and_bounded() {
        let mut f = FlowActions::new();
        let n = REPAIRS as u32 + 2;
        for i in 0..n {
            f.record_repair(i * 10, i * 10 + 5, 0, 0);
        }
        assert!(f.repair_of((n - 1) * 10, (n - 1) * 10 + 5).is_some());
        assert!(f.repair_of(0, 5).is_none(), "oldest overwritten");
        assert_eq!(f.repairs.len(), REPAIRS);
    }
}
