//! Management plane of jitterguard, without DPDK: the stats model, the
//! Prometheus exposition, lock-free hand-over primitives between workers
//! and the management thread, the HTTP server, its client and CLI tables.
//!
//! * [`model`]: `StatsSnapshot`, `FlowRow` and friends (serde).
//! * [`prometheus::render`]: text exposition format.
//! * [`snapshot::SnapshotCell`]: worker publishes, management reads; the
//!   worker never waits.
//! * [`histogram`]: per-core HDR histograms, double-buffered swap, merged
//!   off-core.
//! * [`http::HttpServer`] serving a [`MetricsSource`], and [`client`].
//! * [`render`]: tables for `jitterguard stats` / `flows`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod histogram;
pub mod http;
pub mod model;
pub mod prometheus;
pub mod render;
pub mod snapshot;
pub mod source;

pub use model::{
    ArmStats, Bucket, FlowRow, FlowStats, HistogramSummary, Percentile, PortStats, StatsSnapshot,
    WorkerStats,
};
pub use source::MetricsSource;
