//! ACK pacing, or de-aggregation (DESIGN §5.3).
//!
//! ACKs that reach the box in a bunch (Wi-Fi frame aggregation, LTE/5G
//! uplink grants) each let S send what they acknowledge at once: a window's
//! worth at line rate into J's bottleneck queue, which overflows while the
//! link itself delivers at its steady rate. The pacer is a token bucket on
//! acknowledged bytes: tokens accrue at `ack_pacing_gain_pct` of J's
//! windowed max delivery rate, up to `ack_pacing_burst_segments` segments;
//! an ACK to S may move past what S was already told by at most the tokens
//! held, and the timer releases the rest as tokens accrue. Once part of R's
//! ACK has been held for `ack_pacing_max_delay_us`, all of it goes.
//!
//! The gain above 100 % keeps the pacer from ever becoming the bottleneck
//! of a flow whose ACKs come evenly: only bunches, which arrive far faster
//! than J delivers, are spread out. Safety as for the reserve: the box only
//! ever tells S less than R acknowledged, never more.

use crate::flow::FlowShield;
use crate::seq::{seq_gt, seq_span};

use super::config::ActionConfig;

/// kbit/s x percent x ns per byte: a rate in kbit/s at a gain in percent
/// delivers `rate x gain x ns / this` bytes in `ns` (x 1000 bit, / 8 bit per
/// byte, / 1e9 ns per s, / 100 %).
const KBPS_PCT_NS_PER_BYTE: u128 = 800_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AckPacer {
    /// Bytes S may still be acknowledged right away.
    tokens: u32,
    /// When the bucket was last filled.
    filled_ns: u64,
    /// Since when part of R's ACK has been held back by pacing (0: nothing).
    held_since_ns: u64,
}

impl AckPacer {
    /// Part of R's ACK is held back by pacing.
    pub(crate) fn holding(&self) -> bool {
        self.held_since_ns != 0
    }

    /// Forget any hold (the flow stopped acting, or its ACK carries blocks).
    pub(crate) fn clear(&mut self) {
        self.held_since_ns = 0;
    }

    fn fill(&mut self, rate_kbps: u32, depth: u32, now_ns: u64, a: &ActionConfig) {
        let dt = now_ns.saturating_sub(self.filled_ns);
        self.filled_ns = now_ns;
        let add = u128::from(rate_kbps) * u128::from(a.ack_pacing_gain_pct) * u128::from(dt)
            / KBPS_PCT_NS_PER_BYTE;
        self.tokens = (u128::from(self.tokens) + add).min(u128::from(depth)) as u32;
    }

    /// The highest ACK S may be told now: S was told `to_s`, the box would
    /// otherwise send `target` (R's ACK, or less with a reserve held).
    pub(crate) fn allow(
        &mut self,
        flow: &FlowShield,
        now_ns: u64,
        to_s: u32,
        target: u32,
        a: &ActionConfig,
    ) -> u32 {
        let Some(rate) = flow.delivery_rate_max_kbps() else {
            self.clear();
            return target; // J's rate not measured yet: nothing to pace to
        };
        self.fill(rate, a.ack_pacing_burst_segments.max(1).saturating_mul(flow.mss()), now_ns, a);
        if !seq_gt(target, to_s) {
            self.clear();
            return target;
        }
        let overdue = self.holding()
            && now_ns.saturating_sub(self.held_since_ns)
                >= u64::from(a.ack_pacing_max_delay_us) * 1_000;
        let want = seq_span(to_s, target);
        let step = if overdue { want } else { want.min(self.tokens) };
        self.tokens -= step.min(self.tokens);
        if step == want {
            self.clear();
        } else if !self.holding() {
            self.held_since_ns = now_ns.max(1);
        }
        to_s.wrapping_add(step)
    }

    /// When the held part should next be looked at: when one segment's
    /// worth of tokens will have accrued, or when the hold becomes overdue.
    pub(crate) fn next_timer_ns(&self, flow: &FlowShield, a: &ActionConfig) -> Option<u64> {
        if !self.holding() {
            return None;
        }
        let overdue = self.held_since_ns + u64::from(a.ack_pacing_max_delay_us) * 1_000;
        let refill = flow.delivery_rate_max_kbps().map_or(overdue, |rate| {
            let need = u64::from(flow.mss().saturating_sub(self.tokens));
            let per = u64::from(rate) * u64::from(a.ack_pacing_gain_pct.max(1));
            self.filled_ns + (need * KBPS_PCT_NS_PER_BYTE as u64).div_ceil(per.max(1))
        });
        Some(refill.min(overdue))
    }
}
