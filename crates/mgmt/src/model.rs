//! The management data model: plain serde structs shared by the exporters
//! (Prometheus, JSON over HTTP, DPDK telemetry) and the CLI.
//!
//! Everything here is an owned, cloneable value assembled by the management
//! thread from the workers' published snapshots; nothing in it is touched on
//! the packet path. Counters are monotonic totals since start; the
//! Prometheus renderer decides what is a counter and what is a gauge.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything `/stats.json` and `/metrics` expose, at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsSnapshot {
    /// jitterguard version string (rendered as a `build_info` metric).
    pub version: String,
    /// Seconds since the dataplane started.
    pub uptime_s: f64,
    /// Per port (and per queue, if the glue reports queues as ports named
    /// `port/qN`).
    pub ports: Vec<PortStats>,
    /// Per worker lcore.
    pub workers: Vec<WorkerStats>,
    /// Packets forwarded unparsed, by reason (reason, count).
    pub parse_errors: Vec<(String, u64)>,
    /// Flow table totals over all workers.
    pub flows: FlowStats,
    /// Shield actions by kind (e.g. `local_retransmit`, `dupack_held`).
    pub shield: BTreeMap<String, u64>,
    /// Active flows by lifecycle state (e.g. `tcp_established`).
    pub flow_states: BTreeMap<String, u64>,
    /// Merged distributions (per-packet cost, RTT, jitter).
    pub histograms: Vec<HistogramSummary>,
    /// Shield mode: shielded flows against the control arm
    /// (`shield.control_fraction`), summed over workers. Empty otherwise.
    pub arms: Vec<ArmStats>,
}

/// One arm of the live comparison between shielded and control flows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArmStats {
    /// `shielded` or `control`.
    pub arm: String,
    /// TCP flows assigned to the arm since start.
    pub flows: u64,
    /// Bytes R newly acknowledged (the arm's goodput is its rate).
    pub bytes_acked: u64,
    /// S's retransmissions seen by the box.
    pub sender_retransmits: u64,
    /// Connections that closed (both FINs or a RST).
    pub completed: u64,
    /// Summed lifetime of the closed connections, microseconds.
    pub completion_us: u64,
}

/// Counters of one ethernet port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PortStats {
    /// Role or device name, e.g. `core`, `access`.
    pub name: String,
    /// DPDK port id.
    pub port_id: u16,
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets the application failed to transmit (TX ring full) and freed.
    pub tx_dropped: u64,
    /// Packets the NIC dropped because RX queues were full.
    pub rx_missed: u64,
    /// Erroneous received packets.
    pub rx_errors: u64,
    /// Failed transmissions reported by the NIC.
    pub tx_errors: u64,
    /// RX mbuf allocation failures.
    pub rx_nombuf: u64,
}

/// Counters of one worker lcore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerStats {
    /// lcore id.
    pub lcore: u32,
    /// Packets taken from RX queues.
    pub rx: u64,
    /// Packets handed to TX queues.
    pub tx: u64,
    /// Packets this worker dropped (should stay 0: the box fails open).
    pub dropped: u64,
    /// Packets received from other workers over hand-off rings.
    pub handoff_in: u64,
    /// Packets passed to other workers.
    pub handoff_out: u64,
    /// Hand-offs that failed because the ring was full.
    pub handoff_full: u64,
    /// Non-empty RX bursts processed.
    pub bursts: u64,
    /// TSC cycles spent on non-empty bursts.
    pub busy_cycles: u64,
    /// Loop iterations that found nothing to do.
    pub idle_polls: u64,
    /// Flows currently owned by this worker.
    pub flows_active: u64,
}

/// Flow table totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowStats {
    /// Flows currently tracked.
    pub active: u64,
    /// Total capacity over all workers.
    pub capacity: u64,
    /// Flows created since start.
    pub created: u64,
    /// Flows removed by idle timeout.
    pub expired: u64,
    /// New flows not tracked because a table was full (forwarded untouched).
    pub table_full: u64,
}

/// A cumulative bucket: observations `<= le`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Upper bound, in the histogram's base unit.
    pub le: f64,
    /// Observations at or below `le` (cumulative).
    pub count: u64,
}

/// A quantile of the distribution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentile {
    /// Quantile in [0, 1].
    pub q: f64,
    /// Value at that quantile, in the base unit.
    pub value: f64,
}

/// A merged distribution, in its base unit (seconds, cycles, bytes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistogramSummary {
    /// Metric name without the `jitterguard_` prefix, in base units, e.g.
    /// `packet_cost_cycles`, `flow_rtt_seconds`.
    pub name: String,
    /// One-line description.
    pub help: String,
    /// Extra labels (e.g. `group` for a flow group).
    pub labels: BTreeMap<String, String>,
    /// Number of observations.
    pub count: u64,
    /// Sum of observations.
    pub sum: f64,
    /// Cumulative buckets in increasing `le` order (without `+Inf`, which is
    /// `count`).
    pub buckets: Vec<Bucket>,
    /// Selected quantiles, for tables.
    pub percentiles: Vec<Percentile>,
    /// Largest observation.
    pub max: f64,
}

impl HistogramSummary {
    /// The value at quantile `q` if that quantile was computed.
    pub fn percentile(&self, q: f64) -> Option<f64> {
        self.percentiles.iter().find(|p| (p.q - q).abs() < 1e-9).map(|p| p.value)
    }
}

/// One flow in a dump (`/flows.json`, `jitterguard flows --top N`).
/// Endpoints are oriented: `core` is the sender (S) side, `access` the
/// receiver (R) side. Measurement fields are `None` until the shield fills
/// them (or when they do not apply, e.g. RTT of a UDP flow).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowRow {
    /// Flow handle (opaque; unique among live flows of one instance).
    pub id: u64,
    /// Owning worker lcore.
    pub lcore: u32,
    /// `tcp`, `udp` or `ipN`.
    pub proto: String,
    /// Core-side endpoint, `addr:port` (IPv6 in brackets).
    pub core: String,
    /// Access-side endpoint.
    pub access: String,
    /// VLAN ids `outer.inner`, if tagged.
    pub vlan: Option<String>,
    /// GTP-U outer address pair, `a<->b`, if tunnelled.
    pub tunnel: Option<String>,
    /// TEID on packets from the core side (downlink).
    pub teid_core: Option<u32>,
    /// TEID on packets from the access side (uplink).
    pub teid_access: Option<u32>,
    /// QoS flow identifier from the PDU session container.
    pub qfi: Option<u8>,
    /// Lifecycle state name.
    pub state: String,
    /// Seconds since the first packet.
    pub age_s: f64,
    /// Seconds since the latest packet.
    pub idle_s: f64,
    /// Packets from the core side.
    pub packets_core: u64,
    /// Bytes from the core side.
    pub bytes_core: u64,
    /// Packets from the access side.
    pub packets_access: u64,
    /// Bytes from the access side.
    pub bytes_access: u64,
    /// Minimum RTT over J, ms.
    pub rtt_min_ms: Option<f64>,
    /// Smoothed RTT over J, ms.
    pub rtt_ms: Option<f64>,
    /// Delay variation over J, ms.
    pub jitter_ms: Option<f64>,
    /// Loss fraction on J, 0..1.
    pub loss_j: Option<f64>,
    /// Reordering events on J.
    pub reorder_events: Option<u64>,
    /// Delivery rate on J, Mbit/s.
    pub delivery_mbps: Option<f64>,
    /// Retransmissions by the sender.
    pub retrans: Option<u64>,
    /// Sender retransmissions of data already delivered.
    pub spurious_retrans: Option<u64>,
    /// Classifier verdict (`clear`, `jitter`, `congested`).
    pub class: Option<String>,
}
