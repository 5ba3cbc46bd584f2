//! `jg-linkem`: the link emulator of the jitterguard test bed.
//!
//! Pure models ([`link`], [`jitter`], [`stalls`], [`trace`],
//! [`release_queue`]) take time as an argument and are unit-tested without
//! sleeping; [`bridge`] drives them with the monotonic clock over raw
//! AF_PACKET sockets ([`packet_socket`]).

pub mod bridge;
pub mod jitter;
pub mod link;
pub mod packet_socket;
pub mod profile;
pub mod release_queue;
pub mod shutdown;
pub mod stalls;
pub mod stats;
pub mod trace;
