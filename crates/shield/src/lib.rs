//! jitterguard's TCP shield, measuring half: per-flow estimators of the
//! jittery segment J (RTT, min-RTT, queuing delay, delay variation, stalls,
//! delivery rate, loss on J vs upstream, reordering, DSACKs) and of the
//! sender's behaviour (retransmissions, RTO, rwnd limit, sending rate), a
//! Clear / Jitter / Congested classifier per flow and per path group, and a
//! per-flow why-trace.
//!
//! Pure logic: no I/O, no DPDK, no allocation per packet; the clock is
//! passed in as `now_ns`. Per-flow state is the fixed-size `Copy` struct
//! [`FlowShield`]. See README.md for the rules, thresholds and memory.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
mod classify;
mod clock;
mod config;
mod counterfactual;
mod flow;
mod group;
mod handshake;
mod holes;
mod report;
mod retrans;
mod rtt;
mod rtt_samples;
mod segment;
pub mod seq;
mod stall;
mod trace;
mod verdict;
mod windowed;

pub use actions::{ActionConfig, ActionStats, Emit, Emits, FlowActions, MAX_EMITS};
pub use classify::{Class, Reason};
pub use config::ShieldConfig;
pub use counterfactual::Counterfactual;
pub use flow::{FlowShield, Progress};
pub use group::{GroupKey, GroupReport, GroupState, GroupTable};
pub use handshake::{HandshakeFacts, SideOptions};
pub use report::{ConnState, FlowReport};
pub use segment::{Dir, Segment, TcpOpts, FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN};
pub use trace::{TraceEvent, TraceKind, TRACE_CAPACITY};
pub use verdict::Verdict;
