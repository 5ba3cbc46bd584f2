//! Frame builders: Ethernet (+802.1Q/QinQ), ARP, IPv4, IPv6, TCP (+options),
//! UDP and GTP-U. Every builder returns owned bytes with correct lengths and
//! checksums; the deliberately broken frames of the `mixed` scenario are made
//! by the scenario itself (cutting or overriding fields of a good frame).
//!
//! This is a generator, not the packet path: clarity beats zero-copy here.

pub mod arp;
pub mod ethernet;
pub mod gtpu;
pub mod ip;
pub mod tcp;
pub mod udp;

pub use arp::{arp_packet, ArpOp};
pub use ethernet::{EthernetHeader, VlanTag, ETHERTYPE_ARP, MIN_FRAME_LEN};
pub use gtpu::{GtpuTunnel, PduSessionDirection, GTPU_PORT};
pub use ip::{IpHeader, Ipv4Header, Ipv6Header, PROTO_TCP, PROTO_UDP};
pub use tcp::{tcp_flags, TcpHeader, TcpOption};
pub use udp::udp_datagram;
