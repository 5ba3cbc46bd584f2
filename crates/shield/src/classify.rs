//! Is it congestion? Per-tick evidence and the hysteresis that turns a
//! stream of evidence into a class with a confidence.
//!
//! The key measurement is the *standing* queuing delay of a tick: the
//! smallest clean RTT sample of the tick minus the windowed min-RTT. A
//! bottleneck queue raises every sample of the tick, including the
//! smallest; per-packet jitter, reordering and radio stalls leave some
//! samples near the baseline (samples taken across a stall's end are set
//! apart by the stall tracker). See the README for the rules and why.

use crate::config::ShieldConfig;

/// The classifier's verdict on a flow or a path group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// No impairment worth acting on.
    Clear,
    /// Non-congestive impairment: delay variation, stalls, reordering or
    /// loss with no standing queue. The shield may act.
    Jitter,
    /// A queue builds (or we cannot tell): stay out of the way.
    Congested,
}

/// The measurement that decided a tick's evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No RTT baseline yet: unsure, so Congested.
    Unmeasured,
    /// No impairment and no standing queue.
    Quiet,
    /// Smoothed delay variation above threshold (value: jitter in µs).
    DelayVariation,
    /// Holes filled late without retransmission (value: events in the tick).
    Reorder,
    /// Holes R reported on J (value: holes in the tick).
    Loss,
    /// A stall on J (value: its length in µs).
    Stall,
    /// Standing queue, delivery rate not at its max (value: rate % of max).
    StandingQueue,
    /// Standing queue while delivery sits at its max (value: rate % of max).
    QueueAtMaxRate,
    /// Loss while the queue stands high (value: holes in the tick).
    LossAtHighQueue,
    /// Path group: share of its flows' votes that said Congested (value: %).
    GroupVotes,
}

/// What one tick of a flow measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TickFeatures {
    /// Standing queuing delay; None if no clean RTT sample ever.
    pub(crate) queue_us: Option<u32>,
    pub(crate) min_rtt_us: Option<u32>,
    pub(crate) jitter_us: u32,
    /// Delivery rate of the tick as a percentage of its windowed max.
    pub(crate) rate_pct_of_max: u32,
    /// Holes R reported for bytes that passed the box.
    pub(crate) losses: u32,
    pub(crate) reorders: u32,
    /// Longest stall that ended in the tick, or the ongoing one.
    pub(crate) stall_us: u32,
    /// The latest impairment within the configured memory (this tick's, if
    /// any): impairments are sporadic, a quiet tick between two losses is
    /// not evidence that the path is clear.
    pub(crate) recent_impairment: Option<(Reason, u32)>,
}

/// The impairment a tick itself shows, if any (most telling first).
pub(crate) fn tick_impairment(f: &TickFeatures, cfg: &ShieldConfig) -> Option<(Reason, u32)> {
    let min_rtt = f.min_rtt_us?;
    if f.stall_us > 0 {
        Some((Reason::Stall, f.stall_us))
    } else if f.reorders > 0 {
        Some((Reason::Reorder, f.reorders))
    } else if f.losses > 0 {
        Some((Reason::Loss, f.losses))
    } else if f.jitter_us > cfg.jitter_threshold_us(min_rtt) {
        Some((Reason::DelayVariation, f.jitter_us))
    } else {
        None
    }
}

/// One tick's evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Evidence {
    pub(crate) class: Class,
    pub(crate) reason: Reason,
    pub(crate) strong: bool,
    pub(crate) queue_us: u32,
    pub(crate) value: u32,
}

pub(crate) fn evidence(f: &TickFeatures, cfg: &ShieldConfig) -> Evidence {
    let (Some(q), Some(min_rtt)) = (f.queue_us, f.min_rtt_us) else {
        return Evidence {
            class: Class::Congested,
            reason: Reason::Unmeasured,
            strong: false,
            queue_us: 0,
            value: 0,
        };
    };
    let q_thr = cfg.queue_threshold_us(min_rtt);
    let at_max = f.rate_pct_of_max >= cfg.at_max_rate_pct;
    if q > q_thr {
        // Holes are reported before anyone knows whether they are losses or
        // late segments; as many as closed as reordering in the same tick
        // are not evidence of overflow (a reordering path whose sender also
        // keeps a little queue would otherwise read as congested).
        let losses = f.losses.saturating_sub(f.reorders);
        let reordering = cfg.reorder_events_over_queue > 0
            && f.reorders >= cfg.reorder_events_over_queue
            && f.losses <= f.reorders;
        if losses == 0 && reordering && q <= q_thr.saturating_mul(2) {
            return Evidence {
                class: Class::Jitter,
                reason: Reason::Reorder,
                strong: false,
                queue_us: q,
                value: f.reorders,
            };
        }
        let (reason, value, strong) = if losses > 0 {
            (Reason::LossAtHighQueue, losses, true)
        } else if at_max {
            (Reason::QueueAtMaxRate, f.rate_pct_of_max, true)
        } else {
            (Reason::StandingQueue, f.rate_pct_of_max, false)
        };
        return Evidence { class: Class::Congested, reason, strong, queue_us: q, value };
    }
    let low_q = q <= q_thr / 2;
    match tick_impairment(f, cfg).or(f.recent_impairment) {
        Some((reason, value)) => {
            Evidence { class: Class::Jitter, reason, strong: low_q, queue_us: q, value }
        }
        None => Evidence {
            class: Class::Clear,
            reason: Reason::Quiet,
            strong: low_q,
            queue_us: q,
            value: 0,
        },
    }
}

/// Turns evidence into a class: a different class needs `ticks_to_*`
/// consecutive ticks of evidence for it; a fresh classifier is Congested
/// with confidence 0 (unsure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hysteresis {
    pub(crate) class: Class,
    candidate: Class,
    streak: u8,
    pub(crate) confidence: u8,
}

impl Default for Hysteresis {
    fn default() -> Self {
        Hysteresis {
            class: Class::Congested,
            candidate: Class::Congested,
            streak: 0,
            confidence: 0,
        }
    }
}

impl Hysteresis {
    /// Feed one tick's evidence. Returns the previous class if it changed.
    pub(crate) fn vote(&mut self, ev: Class, strong: bool, cfg: &ShieldConfig) -> Option<Class> {
        if ev == self.class {
            self.streak = 0;
            self.candidate = ev;
            self.confidence = self.confidence.saturating_add(if strong { 20 } else { 10 }).min(100);
            return None;
        }
        self.confidence = self.confidence.saturating_sub(25);
        if ev == self.candidate {
            self.streak = self.streak.saturating_add(1);
        } else {
            self.candidate = ev;
            self.streak = 1;
        }
        let needed = match ev {
            Class::Congested => cfg.ticks_to_congested,
            Class::Jitter => cfg.ticks_to_jitter,
            Class::Clear => cfg.ticks_to_clear,
        }
        .max(1);
        if self.streak < needed {
            return None;
        }
        let old = self.class;
        self.class = ev;
        self.streak = 0;
        self.confidence = 50;
        Some(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(q: u32) -> TickFeatures {
        TickFeatures {
            queue_us: Some(q),
            min_rtt_us: Some(40_000),
            rate_pct_of_max: 50,
            ..Default::default()
        }
    }

    #[test]
    fn rules() {
        let c = ShieldConfig::default();
        assert_eq!(evidence(&TickFeatures::default(), &c).reason, Reason::Unmeasured);
        assert_eq!(evidence(&feats(1_000), &c).class, Class::Clear);
        let stall = TickFeatures { stall_us: 300_000, ..feats(1_000) };
        assert_eq!(evidence(&stall, &c).reason, Reason::Stall);
        let lossy_low_q = TickFeatures { losses: 2, ..feats(2_000) };
        assert_eq!(evidence(&lossy_low_q, &c).class, Class::Jitter);
        let lossy_high_q = TickFeatures { losses: 2, ..feats(30_000) };
        assert_eq!(evidence(&lossy_high_q, &c).reason, Reason::LossAtHighQueue);
        let at_max = TickFeatures { rate_pct_of_max: 95, ..feats(30_000) };
        assert_eq!(evidence(&at_max, &c).reason, Reason::QueueAtMaxRate);
        assert_eq!(evidence(&feats(30_000), &c).reason, Reason::StandingQueue);
        // Heavy reordering over a moderate queue: Jitter (weak); over a high
        // queue, or with holes that were not reordering: Congested.
        let reorder_q = TickFeatures { reorders: 40, losses: 38, ..at_max };
        assert_eq!(
            evidence(&TickFeatures { queue_us: Some(15_000), ..reorder_q }, &c).class,
            Class::Jitter
        );
        assert_eq!(
            evidence(&TickFeatures { queue_us: Some(25_000), ..reorder_q }, &c).class,
            Class::Congested
        );
        let lossy_reorder = TickFeatures { queue_us: Some(15_000), losses: 50, ..reorder_q };
        assert_eq!(evidence(&lossy_reorder, &c).reason, Reason::LossAtHighQueue);
        let jittery = TickFeatures { jitter_us: 5_000, ..feats(1_000) };
        assert_eq!(evidence(&jittery, &c).reason, Reason::DelayVariation);
        let remembered =
            TickFeatures { recent_impairment: Some((Reason::Loss, 1)), ..feats(1_000) };
        assert_eq!(evidence(&remembered, &c).class, Class::Jitter);
        let remembered_high_q =
            TickFeatures { recent_impairment: Some((Reason::Loss, 1)), ..feats(30_000) };
        assert_eq!(evidence(&remembered_high_q, &c).class, Class::Congested);
    }

    #[test]
    fn hysteresis_needs_consecutive_ticks() {
        let c = ShieldConfig::default();
        let mut h = Hysteresis::default();
        assert_eq!(h.class, Class::Congested);
        assert_eq!(h.vote(Class::Jitter, true, &c), None);
        assert_eq!(h.vote(Class::Jitter, true, &c), None);
        assert_eq!(h.vote(Class::Jitter, true, &c), Some(Class::Congested));
        assert_eq!(h.class, Class::Jitter);
        // one Congested tick does not flip, an interleaved Jitter resets it
        assert_eq!(h.vote(Class::Congested, true, &c), None);
        assert_eq!(h.vote(Class::Jitter, true, &c), None);
        assert_eq!(h.vote(Class::Congested, true, &c), None);
        assert_eq!(h.class, Class::Jitter);
        assert_eq!(h.vote(Class::Congested, true, &c), Some(Class::Jitter));
        assert!(h.confidence <= 100);
    }
}
