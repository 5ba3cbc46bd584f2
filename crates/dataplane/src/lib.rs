//! The safe DPDK layer of jitterguard, and the run-to-completion worker loop
//! that glues the pure crates (`wire`, `flow`, `shield`) to the NIC queues.
//!
//! Everything `unsafe` in the project lives in this crate (and in the raw
//! `jitterguard-dpdk-sys` bindings); each block says why it is sound.

pub mod counters;
pub mod eal;
pub mod error;
pub mod forward;
pub mod lcore;
pub mod mbuf;
pub mod mempool;
pub mod pipeline;
pub mod port;
pub mod prefetch;
pub mod ring;
pub mod rss;
pub mod stop;
pub mod telemetry;

pub use counters::WorkerCounters;
pub use eal::Eal;
pub use error::DpdkError;
pub use forward::{
    Direction, ForwardConfig, Handoff, Outbox, PacketHook, PortPairQueues, Verdict, Worker,
};
pub use mbuf::{Mbuf, MbufBurst, Packet};
pub use mempool::Mempool;
pub use port::{Port, PortConfig, PortStats};
