//! What the exporters ask the running dataplane for.

use crate::model::{FlowRow, StatsSnapshot};

/// Implemented by the binary over its workers' published snapshots. Called
/// from the management HTTP thread (and the telemetry callbacks), never
/// from a worker; implementations must not block the workers (read
/// [`SnapshotCell`](crate::snapshot::SnapshotCell)s, do not take worker
/// locks).
pub trait MetricsSource: Send + Sync {
    /// Current counters and histograms.
    fn stats(&self) -> StatsSnapshot;

    /// The `top` flows by bytes, largest first.
    fn flows(&self, top: usize) -> Vec<FlowRow>;

    /// A per-flow explanation of the shield's decisions as JSON, `None`
    /// when the flow is unknown. The shield does not provide one yet, so
    /// the default answers `None` (HTTP 404).
    fn explain(&self, flow_id: u64) -> Option<serde_json::Value> {
        let _ = flow_id;
        None
    }
}
