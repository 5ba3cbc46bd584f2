//! A flow's measurements in one `Copy` struct: what a `flows --top` line
//! and the Prometheus exporter read.

use crate::classify::{Class, Reason};
use crate::counterfactual::Counterfactual;
use crate::handshake::HandshakeFacts;

/// Connection state as the box sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// A SYN seen, handshake not complete.
    Handshake,
    /// Data may flow (also: picked up mid-stream).
    Established,
    /// One side sent FIN.
    Closing,
    /// Both FINs, or a RST.
    Closed,
}

/// Everything the management side shows about a flow. Durations in µs,
/// rates in kbit/s, `None` where not measured yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowReport {
    /// Connection state.
    pub conn: ConnState,
    /// Handshake options of both sides, mid-stream flag.
    pub handshake: HandshakeFacts,
    /// The flow's class.
    pub class: Class,
    /// Confidence in `class`, 0..=100.
    pub confidence: u8,
    /// Reason of the last tick's evidence.
    pub last_reason: Reason,
    /// Classifier ticks evaluated.
    pub ticks: u32,

    /// J's RTT baseline (box -> R -> box): windowed min-RTT, floored by the
    /// handshake RTT while that is recent.
    pub j_rtt_min_us: Option<u32>,
    /// J's latest RTT sample.
    pub j_rtt_latest_us: Option<u32>,
    /// J's smoothed RTT.
    pub j_srtt_us: Option<u32>,
    /// RTT samples taken on J.
    pub j_rtt_samples: u32,
    /// RFC 3550 smoothed delay variation of J's RTT.
    pub jitter_us: u32,
    /// Standing queuing delay of the last tick (its min clean RTT minus min-RTT).
    pub queue_delay_us: Option<u32>,
    /// S-side RTT (box -> S -> box), from the handshake and TS echoes.
    pub s_rtt_us: Option<u32>,
    /// The RTO S is estimated to run (RFC 6298, Linux's 200 ms floor).
    pub sender_rto_us: u32,

    /// Stalls on J (no ACK progress with data outstanding past the threshold).
    pub stalls: u32,
    /// Longest stall.
    pub longest_stall_us: u32,
    /// Current time without ACK progress while data is outstanding.
    pub quiet_now_us: u32,

    /// Delivery rate on J over the last tick.
    pub delivery_rate_kbps: u32,
    /// Windowed max of the delivery rate.
    pub delivery_rate_max_kbps: u32,
    /// S's sending rate (new data) over the last tick.
    pub send_rate_kbps: u32,
    /// Bytes sent by S past the box and not yet acknowledged or SACKed by R.
    pub bytes_in_flight: u32,
    /// New bytes S sent through the box.
    pub bytes_sent: u64,
    /// Bytes R acknowledged.
    pub bytes_acked: u64,

    /// Bytes lost on J (holes repaired by retransmission).
    pub j_lost_bytes: u64,
    /// Holes on J repaired by retransmission.
    pub j_loss_events: u32,
    /// `j_lost_bytes` per million bytes sent.
    pub j_loss_ppm: u32,
    /// Holes R reported (on J, before knowing loss or reorder).
    pub holes_reported: u32,
    /// Bytes lost upstream of the box (the box never saw them).
    pub upstream_lost_bytes: u64,
    /// Upstream loss events.
    pub upstream_loss_events: u32,
    /// Holes filled late: reordering on J.
    pub reorder_events: u32,
    /// Longest time a reordered hole stayed open.
    pub reorder_max_us: u32,
    /// Largest distance (bytes) R received beyond a reordered hole.
    pub reorder_max_bytes: u32,
    /// DSACKs from R.
    pub dsacks: u32,
    /// Duplicate ACKs from R.
    pub dupacks: u32,
    /// Holes not tracked because the per-flow table was full (fail-open).
    pub holes_untracked: u32,

    /// Retransmissions by S seen at the box.
    pub sender_retrans: u32,
    /// Bytes S retransmitted.
    pub sender_retrans_bytes: u64,
    /// RTOs S took.
    pub sender_rtos: u32,
    /// R's advertised window in bytes, if its scale is known.
    pub rwnd_bytes: Option<u32>,
    /// Bytes in flight near R's window: S is rwnd-limited.
    pub rwnd_limited: bool,

    /// What the shield could have saved.
    pub counterfactual: Counterfactual,
}
