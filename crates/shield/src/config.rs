//! Thresholds of the estimators and the classifier.
//!
//! Every field has a default (see [`ShieldConfig::default`]) and the README
//! explains why each default is what it is. Durations are in microseconds.

use serde::{Deserialize, Serialize};

use crate::actions::ActionConfig;

/// Shield thresholds. Deserialises from TOML/JSON; missing fields take their
/// defaults, unknown fields are an error (a typo must not silently keep a default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShieldConfig {
    /// Shortest classifier tick (one evaluation of a flow's evidence).
    pub tick_min_us: u32,
    /// A tick also lasts at least this many J min-RTTs, so that every tick
    /// holds enough RTT samples for its minimum to mean something.
    pub tick_min_rtts: u32,
    /// Window of the min-RTT filter (the baseline that queuing delay is measured against).
    pub min_rtt_window_us: u32,
    /// How long J's handshake RTT floors the baseline (see README).
    pub handshake_baseline_us: u32,
    /// Window of the delivery-rate max filter.
    pub rate_max_window_us: u32,
    /// A stall is no ACK progress on J, with data outstanding, for longer than
    /// `min_rtt + max(stall_extra_us, min_rtt)` (covers delayed ACKs and one RTT of slack).
    pub stall_extra_us: u32,
    /// Queuing delay counts as high above `max(queue_delay_abs_us, queue_delay_rtt_pct% of min_rtt)`.
    pub queue_delay_abs_us: u32,
    /// See `queue_delay_abs_us`.
    pub queue_delay_rtt_pct: u32,
    /// The acting rule's exception for isolated holes on a Congested flow
    /// (`FlowShield::acting_class`) applies while J's latest queuing delay
    /// is at most `max(isolated_loss_queue_abs_us, queue_delay_rtt_pct% of
    /// min_rtt)`. Separate from `queue_delay_abs_us` so that the exception
    /// can reach further into a building queue without moving the
    /// classifier's congestion evidence.
    pub isolated_loss_queue_abs_us: u32,
    /// A Jitter flow stands down at once on holes that are not isolated
    /// (`FlowShield::acting_class`) only while J's latest queuing delay is
    /// above the queue threshold *and* at least this percentage of the
    /// highest queuing delay J showed within `queue_peak_window_us`: a
    /// drop-tail queue overflows when it is full, at its peak. 0 (the
    /// default): at any queuing delay above the threshold. 75 was measured
    /// on the bed without a demonstrated gain (docs/BENCHMARKS.md, "A
    /// cluster of holes below the queue's peak").
    pub overflow_queue_peak_pct: u32,
    /// Window of the max filter of J's RTT behind `overflow_queue_peak_pct`.
    pub queue_peak_window_us: u32,
    /// Delivery rate counts as "at its max" at or above this percentage of the windowed max.
    pub at_max_rate_pct: u32,
    /// A tick with at least this many reordering events (holes filled late,
    /// without a retransmission that could have done it) and no other holes
    /// is Jitter while its standing queue stays within twice the queue
    /// threshold: a drop-tail FIFO never reorders, so heavy reordering says
    /// the path has a non-congestive element even when the sender also
    /// keeps a moderate queue. 0 disables the rule.
    pub reorder_events_over_queue: u32,
    /// Delay variation counts as jitter above `max(jitter_abs_us, jitter_rtt_pct% of min_rtt)`.
    pub jitter_abs_us: u32,
    /// See `jitter_abs_us`.
    pub jitter_rtt_pct: u32,
    /// How long an impairment (stall, reorder, loss on J, delay variation)
    /// keeps counting as evidence of Jitter after it was seen.
    pub impairment_memory_us: u32,
    /// Consecutive Congested ticks needed to enter Congested.
    pub ticks_to_congested: u8,
    /// Consecutive Jitter ticks needed to enter Jitter.
    pub ticks_to_jitter: u8,
    /// Consecutive Clear ticks needed to enter Clear.
    pub ticks_to_clear: u8,
    /// Tick of a path group's classifier.
    pub group_tick_us: u32,
    /// A group tick is Congested when at least this percentage of its flows' votes say Congested.
    pub group_congested_pct: u32,
    /// The sender's minimum RTO (Linux: 200 ms).
    pub rto_min_us: u32,
    /// The sender's RTO before any RTT sample (RFC 6298: 1 s).
    pub rto_initial_us: u32,
    /// The sender counts as rwnd-limited when bytes in flight reach this percentage of R's window.
    pub rwnd_limited_pct: u32,
    /// Shield-mode actions (all off by default; `[actions]` table in TOML).
    /// Not serialised: where this config is printed (jitterguard's
    /// `check-config`), the actions are switched elsewhere.
    #[serde(skip_serializing)]
    pub actions: ActionConfig,
}

impl Default for ShieldConfig {
    fn default() -> Self {
        ShieldConfig {
            tick_min_us: 100_000,
            tick_min_rtts: 2,
            min_rtt_window_us: 30_000_000,
            handshake_baseline_us: 300_000_000,
            rate_max_window_us: 10_000_000,
            stall_extra_us: 60_000,
            queue_delay_abs_us: 10_000,
            queue_delay_rtt_pct: 25,
            isolated_loss_queue_abs_us: 10_000,
            overflow_queue_peak_pct: 0,
            queue_peak_window_us: 10_000_000,
            at_max_rate_pct: 80,
            reorder_events_over_queue: 8,
            jitter_abs_us: 2_000,
            jitter_rtt_pct: 10,
            impairment_memory_us: 3_000_000,
            ticks_to_congested: 2,
            ticks_to_jitter: 3,
            ticks_to_clear: 3,
            group_tick_us: 200_000,
            group_congested_pct: 25,
            rto_min_us: 200_000,
            rto_initial_us: 1_000_000,
            rwnd_limited_pct: 90,
            actions: ActionConfig::default(),
        }
    }
}

impl ShieldConfig {
    /// Queuing delay above which the queue counts as standing/high.
    pub(crate) fn queue_threshold_us(&self, min_rtt_us: u32) -> u32 {
        pct(min_rtt_us, self.queue_delay_rtt_pct).max(self.queue_delay_abs_us)
    }

    /// Queuing delay up to which isolated holes on a Congested flow are
    /// still acted on (see `isolated_loss_queue_abs_us`).
    pub(crate) fn isolated_loss_queue_threshold_us(&self, min_rtt_us: u32) -> u32 {
        pct(min_rtt_us, self.queue_delay_rtt_pct).max(self.isolated_loss_queue_abs_us)
    }

    /// Smoothed delay variation above which the path counts as jittery.
    pub(crate) fn jitter_threshold_us(&self, min_rtt_us: u32) -> u32 {
        pct(min_rtt_us, self.jitter_rtt_pct).max(self.jitter_abs_us)
    }

    /// Quiet time (no ACK progress with data outstanding) that makes a stall.
    pub(crate) fn stall_threshold_us(&self, min_rtt_us: Option<u32>) -> u32 {
        let m = min_rtt_us.unwrap_or(0);
        m.saturating_add(self.stall_extra_us.max(m))
    }

    /// Length of a flow's classifier tick.
    pub(crate) fn tick_us(&self, min_rtt_us: Option<u32>) -> u32 {
        min_rtt_us.unwrap_or(0).saturating_mul(self.tick_min_rtts).max(self.tick_min_us)
    }
}

/// `pct` percent of `v`, without overflow.
pub(crate) fn pct(v: u32, pct: u32) -> u32 {
    (u64::from(v) * u64::from(pct) / 100).min(u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_toml_keeps_defaults_and_unknown_fields_fail() {
        let c: ShieldConfig = toml::from_str("ticks_to_jitter = 5").unwrap();
        assert_eq!(c.ticks_to_jitter, 5);
        assert_eq!(c.rto_min_us, ShieldConfig::default().rto_min_us);
        assert!(toml::from_str::<ShieldConfig>("tick_min = 1").is_err());
        let a: ShieldConfig = toml::from_str("[actions]\nlocal_recovery = true").unwrap();
        assert!(a.actions.local_recovery && !a.actions.hide_holes);
    }

    #[test]
    fn thresholds_scale_with_min_rtt() {
        let c = ShieldConfig::default();
        assert_eq!(c.queue_threshold_us(8_000), 10_000);
        assert_eq!(c.queue_threshold_us(80_000), 20_000);
        assert_eq!(c.stall_threshold_us(Some(40_000)), 100_000);
        assert_eq!(c.stall_threshold_us(Some(100_000)), 200_000);
        assert_eq!(c.tick_us(Some(80_000)), 160_000);
        assert_eq!(c.tick_us(None), 100_000);
    }
}
