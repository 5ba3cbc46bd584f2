//! Switches and thresholds of the shield-mode actions.

use serde::Deserialize;

/// Every action is off by default: the shield mode is opt-in per action.
/// Actions only ever act while the flow's effective class is Jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionConfig {
    /// Local recovery: retransmit a hole on J from the box's cache.
    pub local_recovery: bool,
    /// Keep SACK blocks (or, without SACK, duplicate ACKs) that reveal a
    /// hole on J away from S while the hole is young (reorder window), and
    /// with `hide_under_repair` also while the box repairs it.
    pub hide_holes: bool,
    /// Keep hiding a hole after the box retransmitted it, until R's ACK
    /// closes it. That keeps S out of recovery, but S (cwnd-limited, no
    /// SACK news) sends nothing new for the J RTT the repair takes. Off:
    /// S sees the hole once the repair is on its way; on a FIFO J the
    /// box's copy reaches R before S's own retransmission, so R's ACK
    /// echoes the original segment's timestamp (and R DSACKs S's copy),
    /// from which Linux undoes the window cut (Eifel/DSACK undo) while its
    /// ACK clock keeps running.
    pub hide_under_repair: bool,
    /// Hide young holes only while the flow has shown fewer reorderings
    /// than this (0 = always): by then a Linux sender tolerates reordering
    /// by itself and hiding would only stall its ACK clock.
    pub hide_young_max_reorders: u32,
    /// Hide holes only while at most this many are open. 0 (the default)
    /// means one fewer than the SACK blocks R lists per ACK (2 beside a
    /// timestamp option, 3 without), so that when S does see R's blocks
    /// they still name every range R holds: past that, ranges known only
    /// from hidden ACKs would look lost to S and be sent again.
    pub max_hidden_holes: u32,
    /// Remove DSACKs that the box's own retransmissions caused.
    pub filter_own_dsack: bool,
    /// Answer S's retransmission of data R already acknowledged with R's ACK
    /// instead of sending it over J.
    pub duplicate_suppression: bool,
    /// Stall protection ("ACK reserve"): forward R's cumulative ACK minus
    /// `reserve_segments` whole segments while data is in flight (only on
    /// ACKs that carry no SACK block to S, only with SACK negotiated and the
    /// window scale known); when J stays silent for `release_at_rto_pct` of
    /// S's RTO, release one segment (window held), so S restarts its timer.
    pub stall_protection: bool,
    /// See `stall_protection`.
    pub reserve_segments: u32,
    /// See `stall_protection`.
    pub release_at_rto_pct: u32,
    /// ACK pacing (de-aggregation): ACKs that reach the box in a bunch are
    /// let through to S no faster than `ack_pacing_gain_pct` of J's
    /// windowed max delivery rate (a token bucket on acknowledged bytes,
    /// `ack_pacing_burst_segments` deep); the rest is released by the timer
    /// as the bucket refills, and no ACK is held longer than
    /// `ack_pacing_max_delay_us`. Only ACKs that carry no SACK block to S.
    pub ack_pacing: bool,
    /// See `ack_pacing`.
    pub ack_pacing_gain_pct: u32,
    /// See `ack_pacing`.
    pub ack_pacing_burst_segments: u32,
    /// See `ack_pacing`.
    pub ack_pacing_max_delay_us: u32,
    /// Receive-window rewriting: while J stalls, the right edge offered to
    /// S does not grow (a window update from R gives S no room to queue
    /// more behind the stall). It never moves back.
    pub window_hold_in_stall: bool,
    /// Receive-window rewriting: the right edge offered to S grows no
    /// further than the segments the box can still cache for the flow
    /// beyond what S has sent, so that local recovery can repair any hole.
    /// That caps a flow's data in flight at its cache share: off by default
    /// (bed, 200 Mbit/s x 80 ms at 0.1 % loss, BBR: 144 Mbit/s with the
    /// bound at 2048 segments per flow, 175 without).
    pub window_cache_bound: bool,
    /// Reorder window = max(this, `reorder_jitter_mult` x J's delay
    /// variation), capped at half of J's baseline RTT: a hole younger than
    /// that is probably a late segment, not a lost one.
    pub reorder_window_min_us: u32,
    /// See `reorder_window_min_us`.
    pub reorder_jitter_mult: u32,
    /// A local repair that has not closed the hole after this many J RTTs
    /// has failed: stop hiding the hole so S recovers by itself.
    pub repair_timeout_rtts: u32,
    /// A hole still open J's RTT (plus 4x its delay variation) after the
    /// box's copy lost that copy too: send it again, at most this many
    /// times per hole, unless S has resent the range. 0: once per hole.
    pub repair_retries: u32,
    /// Handshake repair: send S's SYN or SYN-ACK again from the cache, once,
    /// when R has not answered it within `handshake_repair_ms` and the
    /// flow's path group is Jitter.
    pub handshake_repair: bool,
    /// See `handshake_repair`.
    pub handshake_repair_ms: u32,
}

impl Default for ActionConfig {
    fn default() -> Self {
        ActionConfig {
            local_recovery: false,
            hide_holes: false,
            hide_under_repair: false,
            hide_young_max_reorders: 0,
            max_hidden_holes: 0,
            filter_own_dsack: false,
            duplicate_suppression: false,
            stall_protection: false,
            reserve_segments: 4,
            release_at_rto_pct: 75,
            ack_pacing: false,
            ack_pacing_gain_pct: 150,
            ack_pacing_burst_segments: 4,
            ack_pacing_max_delay_us: 10_000,
            window_hold_in_stall: false,
            window_cache_bound: false,
            reorder_window_min_us: 2_000,
            reorder_jitter_mult: 4,
            repair_timeout_rtts: 2,
            repair_retries: 1,
            handshake_repair: false,
            handshake_repair_ms: 200,
        }
    }
}

impl ActionConfig {
    /// Every action on (tests, the bundled demo).
    pub fn all_on() -> Self {
        ActionConfig {
            local_recovery: true,
            hide_holes: true,
            hide_under_repair: true,
            filter_own_dsack: true,
            duplicate_suppression: true,
            stall_protection: true,
            ack_pacing: true,
            window_hold_in_stall: true,
            window_cache_bound: true,
            handshake_repair: true,
            ..ActionConfig::default()
        }
    }
}
