//! Building a whole frame from high-level fields (tests, benchmarks, the
//! scenario generator): Ethernet + VLANs + optional tunnel + IP + TCP/UDP.

use crate::build::BuildError;
use crate::bytes::{put_u16, put_u32};
use crate::ethernet::{emit_l2, ethertype, EthernetRepr, VlanStack};
use crate::finalize::{finalize, Layout, TunnelLayout};
use crate::gre::{self, emit_gre};
use crate::gtpu::{self, GtpuRepr};
use crate::ipv4::Ipv4Repr;
use crate::ipv6::Ipv6Repr;
use crate::tcp::TcpRepr;
use crate::udp;
use crate::vxlan::{self, emit_vxlan};
use crate::IpAddress;

/// Source port of the outer UDP of VXLAN (any value works; RFC 7348 uses it
/// for entropy).
pub const VXLAN_SRC_PORT: u16 = 49152;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4Repr {
    Tcp(TcpRepr),
    Udp { src_port: u16, dst_port: u16 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapRepr {
    /// GTP-U on UDP 2152. `udp_checksum` is forced on over IPv6.
    Gtpu {
        gtpu: GtpuRepr,
        udp_checksum: bool,
    },
    Vxlan {
        vni: u32,
        inner_eth: EthernetRepr,
        udp_checksum: bool,
    },
    /// GRE; `inner_eth` set means Ethernet bridging (0x6558), else IP.
    Gre {
        key: Option<u32>,
        seq: Option<u32>,
        checksum: bool,
        inner_eth: Option<EthernetRepr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelRepr {
    pub outer_src: IpAddress,
    pub outer_dst: IpAddress,
    pub encap: EncapRepr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRepr<'a> {
    pub eth: EthernetRepr,
    pub vlans: VlanStack,
    pub tunnel: Option<TunnelRepr>,
    pub src: IpAddress,
    pub dst: IpAddress,
    pub ttl: u8,
    pub l4: L4Repr,
    pub payload: &'a [u8],
}

fn ip_ethertype(a: &IpAddress) -> u16 {
    if a.is_ipv4() {
        ethertype::IPV4
    } else {
        ethertype::IPV6
    }
}

/// Writes an IP header with a zero length (fixed by `finalize`); returns its length.
fn emit_ip(
    out: &mut [u8],
    src: &IpAddress,
    dst: &IpAddress,
    protocol: u8,
    ttl: u8,
) -> Result<usize, BuildError> {
    match (src, dst) {
        (IpAddress::V4(s), IpAddress::V4(d)) => {
            let r = Ipv4Repr {
                src: *s,
                dst: *d,
                protocol,
                ttl,
                ident: 0,
                dont_frag: true,
                payload_len: 0,
            };
            r.emit(out).ok_or(BuildError::BufferTooSmall)?;
            Ok(crate::ipv4::HEADER_LEN)
        }
        (IpAddress::V6(s), IpAddress::V6(d)) => {
            let r = Ipv6Repr {
                src: *s,
                dst: *d,
                next_header: protocol,
                hop_limit: ttl,
                payload_len: 0,
            };
            r.emit(out).ok_or(BuildError::BufferTooSmall)?;
            Ok(crate::ipv6::HEADER_LEN)
        }
        _ => Err(BuildError::AddressFamilyMismatch),
    }
}

/// Ports set, length and checksum zero (filled by `finalize`).
fn emit_udp_header(out: &mut [u8], at: usize, sport: u16, dport: u16) -> Result<(), BuildError> {
    put_u16(out, at, sport)
        .and_then(|()| put_u16(out, at + 2, dport))
        .and_then(|()| put_u32(out, at + 4, 0))
        .ok_or(BuildError::BufferTooSmall)
}

fn rest(out: &mut [u8], at: usize) -> Result<&mut [u8], BuildError> {
    out.get_mut(at..).ok_or(BuildError::BufferTooSmall)
}

impl FrameRepr<'_> {
    /// Writes the frame into `out` with all lengths and checksums; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, BuildError> {
        let first_ip = self.tunnel.as_ref().map_or(&self.src, |t| &t.outer_src);
        let mut at = emit_l2(out, &self.eth, &self.vlans, ip_ethertype(first_ip))
            .ok_or(BuildError::BufferTooSmall)?;
        let mut tunnel_layout = None;
        if let Some(t) = &self.tunnel {
            let outer_l3 = at;
            let proto = match t.encap {
                EncapRepr::Gre { .. } => gre::PROTOCOL,
                _ => udp::PROTOCOL,
            };
            at += emit_ip(rest(out, at)?, &t.outer_src, &t.outer_dst, proto, 64)?;
            let mut tl = TunnelLayout { outer_l3, outer_udp: None, gtpu: None, gre_checksum: None };
            let v6 = !t.outer_src.is_ipv4();
            let mut udp_header = |out: &mut [u8],
                                  at: usize,
                                  sport: u16,
                                  dport: u16,
                                  sum: bool|
             -> Result<usize, BuildError> {
                emit_udp_header(out, at, sport, dport)?;
                tl.outer_udp = Some((at, sum || v6));
                Ok(at + udp::HEADER_LEN)
            };
            match t.encap {
                EncapRepr::Gtpu { gtpu, udp_checksum } => {
                    at = udp_header(out, at, gtpu::PORT, gtpu::PORT, udp_checksum)?;
                    tl.gtpu = Some(at);
                    at += gtpu.emit(rest(out, at)?, 0).ok_or(BuildError::BufferTooSmall)?;
                }
                EncapRepr::Vxlan { vni, inner_eth, udp_checksum } => {
                    at = udp_header(out, at, VXLAN_SRC_PORT, vxlan::PORT, udp_checksum)?;
                    at += emit_vxlan(rest(out, at)?, vni).ok_or(BuildError::BufferTooSmall)?;
                    at += emit_l2(
                        rest(out, at)?,
                        &inner_eth,
                        &VlanStack::new(),
                        ip_ethertype(&self.src),
                    )
                    .ok_or(BuildError::BufferTooSmall)?;
                }
                EncapRepr::Gre { key, seq, checksum, inner_eth } => {
                    let protocol =
                        if inner_eth.is_some() { ethertype::TEB } else { ip_ethertype(&self.src) };
                    if checksum {
                        tl.gre_checksum = Some(at);
                    }
                    at += emit_gre(rest(out, at)?, protocol, checksum, key, seq)
                        .ok_or(BuildError::BufferTooSmall)?;
                    if let Some(e) = inner_eth {
                        at +=
                            emit_l2(rest(out, at)?, &e, &VlanStack::new(), ip_ethertype(&self.src))
                                .ok_or(BuildError::BufferTooSmall)?;
                    }
                }
            }
            tunnel_layout = Some(tl);
        }
        let inner_l3 = at;
        let (proto, is_tcp) = match self.l4 {
            L4Repr::Tcp(_) => (crate::tcp::PROTOCOL, true),
            L4Repr::Udp { .. } => (udp::PROTOCOL, false),
        };
        at += emit_ip(rest(out, at)?, &self.src, &self.dst, proto, self.ttl)?;
        let l4 = at;
        match &self.l4 {
            L4Repr::Tcp(t) => {
                at += t.emit_header(rest(out, at)?).ok_or(BuildError::OptionsTooLong)?
            }
            L4Repr::Udp { src_port, dst_port } => {
                emit_udp_header(out, at, *src_port, *dst_port)?;
                at += udp::HEADER_LEN;
            }
        }
        let end = at + self.payload.len();
        out.get_mut(at..end).ok_or(BuildError::BufferTooSmall)?.copy_from_slice(self.payload);
        let layout = Layout { inner_l3, l4, l4_is_tcp: is_tcp, tunnel: tunnel_layout };
        finalize(out.get_mut(..end).ok_or(BuildError::BufferTooSmall)?, &layout)
            .ok_or(BuildError::TooLarge)?;
        Ok(end)
    }
}
