//! Stall protection, the "ACK reserve" (DESIGN §5.5).
//!
//! While data is in flight, S gets R's cumulative ACK minus a few whole
//! segments. When J then stalls, S's RTO would fire and collapse its window;
//! instead, shortly before S's estimated RTO the box releases one segment of
//! the reserve: an ACK of new data (true: R acknowledged it), so S restarts
//! its timer. The window in that ACK keeps the right edge where it was, so
//! S sends nothing new into the stall. When nothing is in flight and S has
//! had two S-side RTTs to send more but did not (it waits for the held
//! ACKs, or has nothing to send), or the flow leaves Jitter, the whole
//! reserve goes at once. (Not releasing as soon as the in-flight count
//! touches zero matters: after a burst of ACKs, the last one covers
//! everything until S's answer reaches the box, so the reserve would never
//! be held when a stall begins.)
//!
//! Safety: the ACK sent is never beyond R's; the right edge offered to S
//! never moves back (windows are rounded up to the scale unit, so it may
//! exceed R's own edge by less than one unit, 2^shift bytes).

use crate::config::pct;
use crate::flow::FlowShield;
use crate::seq::{seq_gt, seq_lt, seq_max, seq_min, seq_span};

use super::config::ActionConfig;
use super::pacing::AckPacer;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AckReserve {
    /// Highest ACK the box let through to S.
    to_s: u32,
    /// Highest right edge (ack + window bytes) offered to S.
    right_edge: u32,
    seen: bool,
    next_release_ns: u64,
    /// Release everything at this time if S has still sent nothing new (0: off).
    idle_release_ns: u64,
    /// The window-rewriting bound on the right edge at R's latest ACK.
    bound: Option<u32>,
}

/// Which rule a timer release came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// The pacer's bucket refilled (or its hold became overdue).
    Pacing,
    /// Stall protection: a reserve segment, or the whole reserve.
    Reserve,
}

/// What S gets for one of R's ACKs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ToSender {
    pub(crate) ack: u32,
    pub(crate) window: u16,
    /// The pacer held part of the ACK back.
    pub(crate) paced: bool,
    /// The window-rewriting bound lowered the window.
    pub(crate) clamped: bool,
}

/// Window field that offers at least `edge - ack` bytes (rounded up).
fn window_field(edge: u32, ack: u32, shift: u8) -> u16 {
    let bytes = u64::from(seq_span(ack, edge));
    let unit = 1u64 << shift.min(14);
    (bytes.div_ceil(unit)).min(u64::from(u16::MAX)) as u16
}

impl AckReserve {
    /// A reserve is held: S was told less than R acknowledged.
    pub(crate) fn held(&self, flow: &FlowShield) -> bool {
        self.seen && flow.receiver_una().is_some_and(|r| seq_lt(self.to_s, r))
    }

    /// The right edge S was last offered, once anything was sent.
    pub(crate) fn offered_edge(&self) -> Option<u32> {
        self.seen.then_some(self.right_edge)
    }

    fn note_sent(&mut self, ack: u32, field: u16, shift: u8) {
        let edge = ack.wrapping_add(u32::from(field) << shift.min(14));
        if !self.seen || seq_gt(ack, self.to_s) {
            self.to_s = ack;
        }
        if !self.seen || seq_gt(edge, self.right_edge) {
            self.right_edge = edge;
        }
        self.seen = true;
    }

    /// R's ACK (`r_ack`, raw window `r_win`) is about to go to S; `blocks_to_s`: it will
    /// carry SACK blocks; `bound`: the highest right edge S may be offered
    /// (window rewriting), if any. The pacer may hold part of the ACK back.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_receiver_ack(
        &mut self,
        flow: &FlowShield,
        pacer: &mut AckPacer,
        now_ns: u64,
        act: bool,
        (r_ack, r_win): (u32, u16),
        blocks_to_s: bool,
        bound: Option<u32>,
        a: &ActionConfig,
    ) -> ToSender {
        let unchanged = ToSender { ack: r_ack, window: r_win, paced: false, clamped: false };
        let Some(shift) = flow.window_shift() else {
            return unchanged;
        };
        if self.seen && seq_lt(r_ack, self.to_s) {
            return unchanged; // an old ACK, reordered on the uplink: leave it
        }
        self.bound = bound;
        let in_flight = seq_span(r_ack, flow.sender_max()) > 0;
        // Blocks above a held-back ACK would show S a hole that does not exist.
        let hold = act && a.stall_protection && flow.sack_negotiated() && !blocks_to_s;
        self.idle_release_ns = if hold && !in_flight {
            let wait_us = flow.s_rtt_us().unwrap_or(1_000).saturating_mul(2).max(1_000);
            now_ns.saturating_add(u64::from(wait_us) * 1_000)
        } else {
            0
        };
        let target = if hold && self.seen { self.reserve_target(flow, r_ack, a) } else { r_ack };
        let out = if act && a.ack_pacing && !blocks_to_s && self.seen {
            pacer.allow(flow, now_ns, self.to_s, target, a)
        } else {
            pacer.clear();
            target
        };
        let (window, clamped) = self.window_for(out, r_win, shift);
        self.note_sent(out, window, shift);
        ToSender { ack: out, window, paced: out != target, clamped }
    }

    /// R's ACK minus the reserve, never below what S was told.
    fn reserve_target(&self, flow: &FlowShield, r_ack: u32, a: &ActionConfig) -> u32 {
        let reserve = a.reserve_segments.saturating_mul(flow.mss());
        seq_min(seq_max(self.to_s, r_ack.wrapping_sub(reserve)), r_ack)
    }

    /// The window field to send with `ack`: R's raw field, raised just
    /// enough that the right edge already offered does not move back, and
    /// lowered to the window-rewriting bound (but never below that edge).
    /// Returns it and whether the bound lowered it.
    fn window_for(&self, ack: u32, r_win: u16, shift: u8) -> (u16, bool) {
        let mut field = r_win;
        let offered = self.seen.then_some(self.right_edge).filter(|&e| seq_gt(e, ack));
        if let Some(edge) = offered {
            field = field.max(window_field(edge, ack, shift));
        }
        let Some(bound) = self.bound else { return (field, false) };
        let floor = offered.unwrap_or(ack);
        let cap = seq_max(bound, floor);
        let edge = ack.wrapping_add(u32::from(field) << shift.min(14));
        if seq_gt(edge, cap) && seq_span(cap, edge) >= 1 << shift.min(14) {
            (window_field(cap, ack, shift), true)
        } else {
            (field, false)
        }
    }

    /// An ACK the box itself sends to S (duplicate suppression): R's latest.
    pub(crate) fn on_own_ack(&mut self, flow: &FlowShield, ack: u32, field: u16) -> u16 {
        let shift = flow.window_shift().unwrap_or(0);
        let mut f = field;
        if self.seen && seq_gt(self.right_edge, ack) {
            f = f.max(window_field(self.right_edge, ack, shift));
        }
        self.note_sent(ack, f, shift);
        f
    }

    /// When the caller should run `on_timer` next.
    pub(crate) fn next_timer_ns(
        &self,
        flow: &FlowShield,
        now_ns: u64,
        a: &ActionConfig,
    ) -> Option<u64> {
        if !self.held(flow) {
            return None;
        }
        let fire_quiet = u64::from(pct(flow.sender_rto_us(), a.release_at_rto_pct));
        let quiet = u64::from(flow.quiet_us(now_ns));
        let due = now_ns.saturating_add(fire_quiet.saturating_sub(quiet) * 1_000);
        let stall_due = due.max(self.next_release_ns);
        Some(match self.idle_release_ns {
            0 => stall_due,
            idle => stall_due.min(idle),
        })
    }

    /// Timer: release what the pacer allows if it holds part of R's ACK;
    /// else one reserve segment if J has been quiet long enough, or the
    /// whole reserve if the flow no longer acts. Returns (ack, window) to
    /// send to S and which rule released it, if any.
    pub(crate) fn on_timer(
        &mut self,
        flow: &FlowShield,
        pacer: &mut AckPacer,
        act: bool,
        now_ns: u64,
        a: &ActionConfig,
    ) -> Option<(u32, u16, Release)> {
        if !self.held(flow) {
            pacer.clear();
            return None;
        }
        let shift = flow.window_shift()?;
        let r_una = flow.receiver_una()?;
        if pacer.holding() && act && a.ack_pacing {
            let hold = a.stall_protection && flow.sack_negotiated();
            let target = if hold { self.reserve_target(flow, r_una, a) } else { r_una };
            let ack = pacer.allow(flow, now_ns, self.to_s, target, a);
            if !seq_gt(ack, self.to_s) {
                return None;
            }
            let (field, _) = self.window_for(ack, flow.receiver_window_raw(), shift);
            self.note_sent(ack, field, shift);
            return Some((ack, field, Release::Pacing));
        }
        pacer.clear();
        let idle = flow.sender_max() == r_una;
        let idle_due = self.idle_release_ns != 0 && now_ns >= self.idle_release_ns;
        if idle_due && !idle {
            self.idle_release_ns = 0; // S did send: the stall rule governs now
        }
        if !(act && a.stall_protection) || (idle && idle_due) {
            self.idle_release_ns = 0;
            let field = window_field(self.right_edge, r_una, shift).max(1);
            self.note_sent(r_una, field, shift);
            return Some((r_una, field, Release::Reserve));
        }
        let rto = flow.sender_rto_us();
        let fire_quiet = pct(rto, a.release_at_rto_pct);
        if flow.quiet_us(now_ns) < fire_quiet || now_ns < self.next_release_ns {
            return None;
        }
        let ack = seq_min(self.to_s.wrapping_add(flow.mss()), r_una);
        // Hold the right edge: S may not put new data into the stall.
        let field = window_field(self.right_edge, ack, shift).max(1);
        self.note_sent(ack, field, shift);
        // S restarts its RTO on this ACK: the next release one period later.
        self.next_release_ns = now_ns.saturating_add(u64::from(fire_quiet) * 1_000);
        Some((ack, field, Release::Reserve))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_field_rounds_up_to_the_scale_unit() {
        assert_eq!(window_field(1000 + 1280, 1000, 7), 10);
        assert_eq!(window_field(1000 + 1281, 1000, 7), 11);
        assert_eq!(window_field(1000, 1000, 7), 0);
        assert_eq!(window_field(0x7fff_0000, 0, 0), u16::MAX, "saturates");
    }
}
