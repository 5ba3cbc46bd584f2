//! Per-worker pipeline counters (single writer, relaxed stores), read by the
//! management thread: parse exceptions by reason, traffic classes, flow
//! table events. Same publication scheme as `WorkerCounters`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Number of distinct parse-exception reasons (`wire::ParseError`).
pub const PARSE_REASONS: usize = wire::ParseError::ALL_REASONS.len();

/// Index of a parse error's reason in `ALL_REASONS`.
pub fn reason_index(e: &wire::ParseError) -> usize {
    let r = e.reason();
    wire::ParseError::ALL_REASONS.iter().position(|x| *x == r).unwrap_or(0)
}

macro_rules! pipeline_counters {
    ($($name:ident: $doc:literal),* $(,)?) => {
        /// Running totals, owned by the worker.
        #[derive(Debug, Default, Clone, Copy)]
        pub struct PipelineLocal {
            $(#[doc = $doc] pub $name: u64,)*
            /// Parse exceptions by reason index.
            pub parse_errors: [u64; PARSE_REASONS],
        }

        /// The published copy.
        #[derive(Debug, Default)]
        pub struct PipelineStats {
            $(#[doc = $doc] pub $name: AtomicU64,)*
            pub parse_errors: [AtomicU64; PARSE_REASONS],
        }

        impl PipelineStats {
            pub fn publish(&self, l: &PipelineLocal) {
                $(self.$name.store(l.$name, Relaxed);)*
                for (a, v) in self.parse_errors.iter().zip(l.parse_errors.iter()) {
                    a.store(*v, Relaxed);
                }
            }

            pub fn read(&self) -> PipelineLocal {
                let mut l = PipelineLocal { $($name: self.$name.load(Relaxed),)* ..Default::default() };
                for (v, a) in l.parse_errors.iter_mut().zip(self.parse_errors.iter()) {
                    *v = a.load(Relaxed);
                }
                l
            }

            /// (name, value) of every scalar counter, for exporters.
            pub fn named(l: &PipelineLocal) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), l.$name),)*]
            }
        }
    };
}

pipeline_counters! {
    tcp: "TCP segments seen (inner TCP of tunnels included).",
    udp: "UDP datagrams seen (GTP-U control and other UDP).",
    other_ip: "IP packets that are neither TCP nor UDP.",
    arp: "ARP frames (forwarded untouched).",
    tunneled: "Frames whose flow is inside GTP-U, VXLAN or GRE.",
    parse_exceptions: "Frames the parser stopped on (forwarded unchanged).",
    flows_created: "Flows created in this worker's table.",
    flows_expired: "Flows removed by idle aging.",
    table_full: "Packets of new flows not tracked because the table was full.",
    flows_active: "Flows currently in the table (gauge).",
    handed_off: "Frames passed to the worker that owns their flow.",
    flows_clear: "TCP flows the classifier currently calls Clear (gauge).",
    flows_jitter: "TCP flows the classifier currently calls Jitter (gauge).",
    flows_congested: "TCP flows the classifier currently calls Congested (gauge).",
    flows_shielded: "TCP flows the shield may act on (shield mode, not in the control arm).",
    flows_control: "TCP flows left in monitor as the control arm (shield.control_fraction).",
    local_retransmits: "Segments retransmitted towards R from the box's cache.",
    handshake_repairs: "S's SYNs or SYN-ACKs sent again towards R because R had not answered in time.",
    repair_timestamps_raised: "Segments sent again from the cache with their TSval raised to R's TS.Recent, which R's PAWS check would otherwise drop.",
    acks_rewritten: "ACKs from R forwarded with hole-revealing SACK or own DSACK blocks removed.",
    acks_suppressed: "ACKs from R the shield kept from reaching S.",
    duplicates_suppressed: "Retransmissions by S of data R had acknowledged, kept off J.",
    acks_emitted: "ACKs the shield sent towards S (stall protection releases, duplicate answers).",
    acks_paced: "ACKs from R forwarded with part of their ACK held back by ACK pacing.",
    pace_releases: "Held-back parts of R's ACKs released to S by the pacing timer.",
    windows_clamped: "ACKs from R forwarded with a lowered window (cache room, stall on J).",
    cache_segments: "Data segments held for local recovery (gauge).",
    cache_full: "Segments not cached because the core-wide cache was full.",
    cache_flow_full: "Segments not cached because the flow's share was full.",
    emits_dropped: "Packets the shield wanted to send but had no room or template for.",
    rewrite_failed: "Rewrites that could not be applied (frame forwarded as it came).",
    shielded_bytes_acked: "Shield mode: bytes R newly acknowledged on shielded flows.",
    control_bytes_acked: "Shield mode: bytes R newly acknowledged on control-arm flows.",
    shielded_sender_retransmits: "Shield mode: S's retransmissions seen on shielded flows.",
    control_sender_retransmits: "Shield mode: S's retransmissions seen on control-arm flows.",
    shielded_completed: "Shield mode: shielded connections that closed (both FINs or a RST).",
    control_completed: "Shield mode: control-arm connections that closed.",
    shielded_completion_us: "Shield mode: summed lifetime (first packet to close) of closed shielded connections, microseconds.",
    control_completion_us: "Shield mode: summed lifetime of closed control-arm connections, microseconds.",
}

/// Which arm of the live comparison a flow belongs to (shield mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    Shielded,
    Control,
}

/// An arm's totals: flows, bytes R acknowledged, S's retransmissions,
/// closed connections and their summed lifetime in microseconds.
pub type ArmTotals = (u64, u64, u64, u64, u64);

impl PipelineLocal {
    /// The running totals of `arm` (see [`ArmTotals`]).
    pub fn arm_totals(&self, arm: Arm) -> ArmTotals {
        match arm {
            Arm::Shielded => (
                self.flows_shielded,
                self.shielded_bytes_acked,
                self.shielded_sender_retransmits,
                self.shielded_completed,
                self.shielded_completion_us,
            ),
            Arm::Control => (
                self.flows_control,
                self.control_bytes_acked,
                self.control_sender_retransmits,
                self.control_completed,
                self.control_completion_us,
            ),
        }
    }

    /// Adds what one segment moved on a flow of `arm`: the change of its
    /// progress from `before` to `after`, and its lifetime if it just closed.
    pub fn count_arm(
        &mut self,
        arm: Arm,
        before: shield::Progress,
        after: shield::Progress,
        age_ns: u64,
    ) {
        let acked = after.bytes_acked.saturating_sub(before.bytes_acked);
        let retx = u64::from(after.sender_retransmits.saturating_sub(before.sender_retransmits));
        let closed = after.closed && !before.closed;
        let (bytes, retrans, done, us) = match arm {
            Arm::Shielded => (
                &mut self.shielded_bytes_acked,
                &mut self.shielded_sender_retransmits,
                &mut self.shielded_completed,
                &mut self.shielded_completion_us,
            ),
            Arm::Control => (
                &mut self.control_bytes_acked,
                &mut self.control_sender_retransmits,
                &mut self.control_completed,
                &mut self.control_completion_us,
            ),
        };
        *bytes += acked;
        *retrans += retx;
        if closed {
            *done += 1;
            *us += age_ns / 1_000;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shield::Progress;

    #[test]
    fn arm_counts_deltas_and_a_close_once() {
        let mut l = PipelineLocal::default();
        let p = |bytes_acked, sender_retransmits, closed| Progress {
            bytes_acked,
            sender_retransmits,
            closed,
        };
        l.count_arm(Arm::Shielded, p(0, 0, false), p(1448, 1, false), 5_000_000);
        l.count_arm(Arm::Shielded, p(1448, 1, false), p(2896, 1, true), 7_000_000);
        l.count_arm(Arm::Shielded, p(2896, 1, true), p(2896, 1, true), 9_000_000);
        l.count_arm(Arm::Control, p(0, 0, false), p(100, 2, false), 1_000);
        assert_eq!(
            (l.shielded_bytes_acked, l.shielded_sender_retransmits, l.shielded_completed),
            (2896, 1, 1)
        );
        assert_eq!(l.shielded_completion_us, 7_000);
        assert_eq!((l.control_bytes_acked, l.control_sender_retransmits), (100, 2));
        assert_eq!(l.control_completed, 0);
    }
}
