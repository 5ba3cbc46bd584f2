//! The per-packet pipeline of `monitor` (and later `shield`) mode:
//! wire → flow → shield, with counters and a flow dump for the management
//! thread.

pub mod ack_template;
pub mod clock;
pub mod dump;
pub mod flow_hook;
pub mod parse_stage;
pub mod segment_cache;
pub mod stats;

pub use dump::{FlowDump, FlowDumpRow};
pub use flow_hook::{FlowHook, FlowHookConfig, FlowHookShared, FlowValue, LiveSettings};
pub use stats::{PipelineLocal, PipelineStats};
