//! `wire`: the packet codec of jitterguard.
//!
//! Zero-copy views (`EthernetFrame`, `Ipv4Packet`, `Ipv6Packet`,
//! `TcpSegment`, `UdpDatagram`, `GtpuHeader`) with checked constructors, one
//! entry point [`parse`] that returns a `Copy` [`Parsed`] for any frame,
//! in-place rewrites of the inner TCP header with incremental checksums
//! ([`rewrite`]), builders of packets from a flow's template frame
//! ([`build_ack`], [`build_data`]) and from high-level fields
//! ([`FrameRepr`]). No allocation and no panic on the packet path.
#![forbid(unsafe_code)]

pub mod build;
mod bytes;
pub mod checksum;
pub mod error;
pub mod ethernet;
pub mod finalize;
pub mod frame_repr;
#[doc(hidden)]
pub mod fuzzing;
pub mod gre;
pub mod gtpu;
mod ip_address;
pub mod ipv4;
pub mod ipv6;
pub mod parse;
pub mod rewrite;
pub mod tcp;
pub mod tcp_options;
pub mod udp;
pub mod vxlan;

pub use build::{build_ack, build_data, AckFields, BuildError};
pub use error::{Layer, ParseError};
pub use ethernet::{EthernetFrame, EthernetRepr, VlanStack};
pub use frame_repr::{EncapRepr, FrameRepr, L4Repr, TunnelRepr};
pub use gtpu::{GtpuHeader, GtpuRepr};
pub use ip_address::IpAddress;
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use parse::{parse, parse_into, FiveTuple, Parsed, TcpInfo, Tunnel, TunnelKind};
pub use rewrite::{
    raise_tsval, remove_sack, set_ack, set_ack_and_window, set_sack_blocks, set_seq,
    set_timestamps, set_window, RewriteError,
};
pub use tcp::{TcpRepr, TcpSegment};
pub use tcp_options::TcpOptions;
pub use udp::UdpDatagram;
