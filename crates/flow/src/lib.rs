//! Flow tracking for jitterguard: pure Rust, no I/O, the clock is passed in
//! as `now_ns`.
//!
//! * [`FlowKey`]: canonical, direction-independent key (inner 5-tuple, VLAN
//!   ids, GTP-U outer address pair) with a [`Side`] telling which endpoint
//!   sent a packet, and a symmetric hash for core hand-off.
//! * [`FlowTable`]: per-core, fixed-capacity, preallocated table with
//!   per-direction counters, TEIDs, lifecycle state and idle aging.
//! * [`TimerWheel`]: hierarchical timer wheel with a preallocated pool,
//!   used by the table for aging and available to the shield.
//! * [`TopFlowsScanner`]: incremental top-N by bytes for flow dumps.
//!
//! Design notes and memory figures are in this crate's README.md.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod key;
pub mod state;
pub mod table;
pub mod timer_wheel;
pub mod top;

pub use key::{FlowKey, Side};
pub use state::{tcp_flags, FlowState, Timeouts};
pub use table::{
    DirCounters, Entry, FlowId, FlowTable, FlowTableConfig, PacketInfo, TableFull, TableStats,
};
pub use timer_wheel::{TimerId, TimerWheel, WheelFull};
pub use top::TopFlowsScanner;
