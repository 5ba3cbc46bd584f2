//! Scenario pcap generator for jitterguard.
//!
//! Every scenario is written as a pair of pcaps, `NAME.core.pcap` (frames
//! arriving on the box's core port, from the sender S towards the receiver
//! R) and `NAME.access.pcap` (frames arriving on the access port, from R
//! towards S), so each can be replayed by its own DPDK `net_pcap` vdev.
//! All output is deterministic for a given seed.

pub mod addr;
pub mod checksum;
pub mod conversation;
pub mod flow_path;
pub mod frame;
pub mod pcap_pair;
pub mod rng;
pub mod scenario;
