//! The one entry point of the packet path: `parse(frame) -> Parsed`.
//!
//! It walks L2 → outer IP → (UDP → GTP-U | VXLAN → Ethernet | GRE) → inner IP
//! → TCP/UDP once, without allocating, and records offsets so that rewrite
//! and build never have to walk again. At most one tunnel level is followed:
//! a tunnel port seen inside a tunnel is plain UDP.

use crate::bytes::{array, u8_at};
use crate::error::{Layer, ParseError};
use crate::ethernet::{ethertype, parse_l2, VlanStack};
use crate::gre::{self, parse_gre};
use crate::gtpu::{self, parse_gtpu};
use crate::ipv6::{next_header, walk_ext_headers, HEADER_LEN as IPV6_HEADER_LEN};
use crate::tcp_options::{parse_options_into, TcpOptions};
use crate::udp::UdpDatagram;
use crate::vxlan::{self, parse_vxlan};
use crate::IpAddress;

/// IP protocol numbers the parser acts on.
pub mod ip_protocol {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const GRE: u8 = 47;
    pub const ICMPV6: u8 = 58;
}

/// The inner flow. Ports are 0 for protocols without ports and for fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    pub src: IpAddress,
    pub dst: IpAddress,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    Gtpu {
        teid: u32,
        /// QFI of the PDU Session Container; None without one.
        qfi: Option<u8>,
        /// PDU type (0 DL, 1 UL) of the PDU Session Container.
        pdu_type: Option<u8>,
        msg_type: u8,
    },
    Vxlan {
        vni: u32,
    },
    Gre {
        /// Payload EtherType.
        protocol: u16,
        key: Option<u32>,
        seq: Option<u32>,
        checksum_present: bool,
    },
}

/// The encapsulation around the inner flow; the outer headers are kept as
/// they are and only their lengths/checksums are maintained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub kind: TunnelKind,
    pub outer_src: IpAddress,
    pub outer_dst: IpAddress,
    /// Offset of the outer UDP header (GTP-U, VXLAN); None for GRE.
    pub outer_udp: Option<usize>,
    /// Offset of the GTP-U / VXLAN / GRE header.
    pub header: usize,
    /// Its length, with GTP-U extension headers or GRE optional fields.
    pub header_len: usize,
    /// Offset of the inner Ethernet header (VXLAN, GRE bridging).
    pub inner_l2: Option<usize>,
}

/// TCP header fields of the inner segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    /// Raw window field (not scaled).
    pub window: u16,
    pub checksum: u16,
    /// Header length in bytes, options included.
    pub header_len: u8,
    /// Payload bytes inside the IP packet (Ethernet padding excluded).
    pub payload_len: u16,
    pub opts: TcpOptions,
}

/// Everything the packet path needs to know about one frame. `Copy`, built
/// without allocation; offsets count from the first byte of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Why parsing stopped early; None when the frame was read as far as it
    /// means anything. Fields filled before the stop stay valid.
    pub error: Option<ParseError>,
    pub vlans: VlanStack,
    /// Offset of the outer IP header.
    pub outer_l3: Option<usize>,
    pub tunnel: Option<Tunnel>,
    /// Offset of the IP header carrying the flow (== outer_l3 without tunnel).
    pub inner_l3: Option<usize>,
    pub inner: Option<FiveTuple>,
    /// Offset of the inner TCP/UDP header.
    pub l4: Option<usize>,
    pub tcp: Option<TcpInfo>,
    /// (offset, length) of the L4 payload, bounded by the IP length.
    pub payload: Option<(usize, usize)>,
    pub is_fragment: bool,
    pub is_arp: bool,
}

impl Parsed {
    pub const EMPTY: Parsed = Parsed {
        error: None,
        vlans: VlanStack::new(),
        outer_l3: None,
        tunnel: None,
        inner_l3: None,
        inner: None,
        l4: None,
        tcp: None,
        payload: None,
        is_fragment: false,
        is_arp: false,
    };

    /// True when the frame is a complete, unfragmented TCP segment that
    /// rewrite and build may work on.
    pub fn is_rewritable_tcp(&self) -> bool {
        self.error.is_none() && self.tcp.is_some() && self.l4.is_some()
    }
}

impl Default for Parsed {
    fn default() -> Self {
        Parsed::EMPTY
    }
}

/// Parses `frame`. Never panics and never allocates, whatever the bytes.
#[inline]
pub fn parse(frame: &[u8]) -> Parsed {
    let mut p = Parsed::EMPTY;
    parse_into(frame, &mut p);
    p
}

/// Like [`parse`], but fills a `Parsed` the caller owns (for example one
/// slot per mbuf of a burst), so the 300-byte result is never copied.
#[inline]
pub fn parse_into(frame: &[u8], p: &mut Parsed) {
    *p = Parsed::EMPTY;
    if let Err(e) = parse_frame(frame, p) {
        p.error = Some(e);
    }
}

/// What the IP layer tells the layers above.
struct IpInfo {
    l3: usize,
    proto: u8,
    is_v6: bool,
    /// Offset of the L4 header.
    l4: usize,
    /// End of the IP packet, bounded by the buffer.
    end: usize,
    /// The IP length promised more than the buffer holds.
    short: bool,
    fragment: bool,
}

#[inline(always)]
fn parse_frame(frame: &[u8], p: &mut Parsed) -> Result<(), ParseError> {
    let (l3, et) = parse_l2(frame, 0, Some(&mut p.vlans), Layer::Ethernet)?;
    let version = match et {
        ethertype::IPV4 => 4,
        ethertype::IPV6 => 6,
        ethertype::ARP => {
            p.is_arp = true;
            // 8 fixed bytes, then sender and target hardware + protocol
            // addresses whose sizes the header gives.
            let hlen = usize::from(u8_at(frame, l3 + 4).ok_or(ParseError::Truncated(Layer::Arp))?);
            let plen = usize::from(u8_at(frame, l3 + 5).ok_or(ParseError::Truncated(Layer::Arp))?);
            return if frame.len() < l3 + 8 + 2 * (hlen + plen) {
                Err(ParseError::Truncated(Layer::Arp))
            } else {
                Ok(())
            };
        }
        other => return Err(ParseError::UnsupportedEthertype(other)),
    };
    p.outer_l3 = Some(l3);
    let ip = parse_ip(frame, l3, version)?;
    if ip.fragment {
        return parse_l4(frame, &ip, p);
    }
    match ip.proto {
        ip_protocol::UDP => {
            let udp_buf = frame.get(ip.l4..ip.end).ok_or(ParseError::Truncated(Layer::Udp))?;
            let udp = UdpDatagram::new_checked(udp_buf).map_err(|e| short_wins(e, &ip))?;
            let (sport, dport) = (udp.src_port(), udp.dst_port());
            let udp_end = ip.l4 + usize::from(udp.len());
            let tun_at = ip.l4 + crate::udp::HEADER_LEN;
            if dport == gtpu::PORT || sport == gtpu::PORT {
                let (outer_src, outer_dst) = ip_addrs(frame, &ip);
                let g = parse_gtpu(frame.get(tun_at..udp_end).unwrap_or(&[]))?;
                p.tunnel = Some(Tunnel {
                    kind: TunnelKind::Gtpu {
                        teid: g.teid,
                        qfi: g.qfi,
                        pdu_type: g.pdu_type,
                        msg_type: g.msg_type,
                    },
                    outer_src,
                    outer_dst,
                    outer_udp: Some(ip.l4),
                    header: tun_at,
                    header_len: g.header_len,
                    inner_l2: None,
                });
                if g.msg_type != gtpu::msg_type::G_PDU {
                    return Ok(());
                }
                let inner_at = tun_at + g.header_len;
                let bounded = frame.get(..tun_at + g.message_len).unwrap_or(&[]);
                if inner_at >= bounded.len() {
                    return Ok(()); // an empty T-PDU carries no flow
                }
                let v = u8_at(bounded, inner_at).unwrap_or(0) >> 4;
                return parse_inner_ip(bounded, inner_at, v, p);
            }
            if dport == vxlan::PORT {
                let (outer_src, outer_dst) = ip_addrs(frame, &ip);
                let vni = parse_vxlan(frame.get(tun_at..udp_end).unwrap_or(&[]))?;
                let inner_l2 = tun_at + vxlan::HEADER_LEN;
                p.tunnel = Some(Tunnel {
                    kind: TunnelKind::Vxlan { vni },
                    outer_src,
                    outer_dst,
                    outer_udp: Some(ip.l4),
                    header: tun_at,
                    header_len: vxlan::HEADER_LEN,
                    inner_l2: Some(inner_l2),
                });
                let bounded = frame.get(..udp_end).unwrap_or(&[]);
                return parse_inner_ethernet(bounded, inner_l2, p);
            }
            parse_l4(frame, &ip, p)
        }
        ip_protocol::GRE => {
            let g = parse_gre(frame.get(ip.l4..ip.end).unwrap_or(&[]))?;
            let inner_at = ip.l4 + g.header_len;
            let teb = g.protocol == ethertype::TEB;
            let (outer_src, outer_dst) = ip_addrs(frame, &ip);
            p.tunnel = Some(Tunnel {
                kind: TunnelKind::Gre {
                    protocol: g.protocol,
                    key: g.key,
                    seq: g.seq,
                    checksum_present: g.checksum_present,
                },
                outer_src,
                outer_dst,
                outer_udp: None,
                header: ip.l4,
                header_len: g.header_len,
                inner_l2: if teb { Some(inner_at) } else { None },
            });
            let bounded = frame.get(..ip.end).unwrap_or(&[]);
            match g.protocol {
                ethertype::TEB => parse_inner_ethernet(bounded, inner_at, p),
                ethertype::IPV4 => parse_inner_ip(bounded, inner_at, 4, p),
                ethertype::IPV6 => parse_inner_ip(bounded, inner_at, 6, p),
                other => Err(ParseError::UnsupportedGreProtocol(other)),
            }
        }
        _ => parse_l4(frame, &ip, p),
    }
}

/// An L4 length check that fails only because the capture is short is
/// reported as a short capture.
fn short_wins(e: ParseError, ip: &IpInfo) -> ParseError {
    if ip.short {
        ParseError::Truncated(Layer::Payload)
    } else {
        e
    }
}

fn parse_inner_ethernet(frame: &[u8], at: usize, p: &mut Parsed) -> Result<(), ParseError> {
    let (l3, et) = parse_l2(frame, at, None, Layer::InnerEthernet)?;
    match et {
        ethertype::IPV4 => parse_inner_ip(frame, l3, 4, p),
        ethertype::IPV6 => parse_inner_ip(frame, l3, 6, p),
        ethertype::ARP => {
            p.is_arp = true;
            Ok(())
        }
        other => Err(ParseError::UnsupportedEthertype(other)),
    }
}

#[inline(always)]
fn parse_inner_ip(frame: &[u8], at: usize, version: u8, p: &mut Parsed) -> Result<(), ParseError> {
    let ip = parse_ip(frame, at, version)?;
    parse_l4(frame, &ip, p)
}

/// Reads the IP header at `at`. The fixed header is copied into an array
/// with one bounds check, so the field reads below cannot fail.
/// The addresses of the IP header at `l3` (already checked by `parse_ip`),
/// read where they are needed so they are copied once.
#[inline(always)]
fn ip_addrs(frame: &[u8], ip: &IpInfo) -> (IpAddress, IpAddress) {
    if ip.is_v6 {
        (
            IpAddress::V6(array(frame, ip.l3 + 8).unwrap_or_default()),
            IpAddress::V6(array(frame, ip.l3 + 24).unwrap_or_default()),
        )
    } else {
        (
            IpAddress::V4(array(frame, ip.l3 + 12).unwrap_or_default()),
            IpAddress::V4(array(frame, ip.l3 + 16).unwrap_or_default()),
        )
    }
}

#[inline(always)]
fn parse_ip(frame: &[u8], at: usize, version: u8) -> Result<IpInfo, ParseError> {
    let avail = frame.len().saturating_sub(at);
    match version {
        4 => {
            let h: [u8; 20] = array(frame, at).ok_or(ParseError::Truncated(Layer::Ipv4))?;
            if h[0] >> 4 != 4 {
                return Err(ParseError::BadIpVersion);
            }
            let hl = usize::from(h[0] & 0x0f) * 4;
            if hl < crate::ipv4::HEADER_LEN {
                return Err(ParseError::BadIhl);
            }
            if avail < hl {
                return Err(ParseError::Truncated(Layer::Ipv4));
            }
            let declared = usize::from(u16::from_be_bytes([h[2], h[3]]));
            if declared < hl {
                return Err(ParseError::BadIpLength);
            }
            Ok(IpInfo {
                l3: at,
                proto: h[9],
                is_v6: false,
                l4: at + hl,
                end: at + declared.min(avail),
                short: declared > avail,
                // More-fragments flag or a non-zero offset.
                fragment: u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0,
            })
        }
        6 => {
            let h: [u8; 40] = array(frame, at).ok_or(ParseError::Truncated(Layer::Ipv6))?;
            if h[0] >> 4 != 6 {
                return Err(ParseError::BadIpVersion);
            }
            let declared = IPV6_HEADER_LEN + usize::from(u16::from_be_bytes([h[4], h[5]]));
            let len = declared.min(avail);
            let (protocol, l4, fragment) = match h[6] {
                // The common case: no extension header to walk.
                nh @ (ip_protocol::TCP | ip_protocol::UDP) => (nh, at + IPV6_HEADER_LEN, false),
                nh => {
                    let bounded = frame.get(at..at + len).unwrap_or(&[]);
                    let w = walk_ext_headers(bounded, nh, IPV6_HEADER_LEN)?;
                    (w.protocol, at + w.offset, w.fragment)
                }
            };
            Ok(IpInfo {
                l3: at,
                proto: protocol,
                is_v6: true,
                l4,
                end: at + len,
                short: declared > avail,
                fragment,
            })
        }
        _ => Err(ParseError::BadIpVersion),
    }
}

/// Fills the flow fields from the IP header and the TCP/UDP header after it,
/// writing each field of `p` once, in place.
#[inline(always)]
fn parse_l4(frame: &[u8], ip: &IpInfo, p: &mut Parsed) -> Result<(), ParseError> {
    p.inner_l3 = Some(ip.l3);
    let (src, dst) = ip_addrs(frame, ip);
    let seg = frame.get(ip.l4..ip.end).unwrap_or(&[]);
    let mut ports = (0, 0);
    let mut result = Ok(());
    if ip.fragment {
        p.is_fragment = true;
        result = Err(ParseError::Fragment);
    } else {
        match ip.proto {
            ip_protocol::TCP => match array::<20>(seg, 0) {
                None => result = Err(short_wins(ParseError::Truncated(Layer::Tcp), ip)),
                Some(h) => {
                    let hl = usize::from(h[12] >> 4) * 4;
                    if hl < crate::tcp::HEADER_LEN {
                        result = Err(ParseError::BadDataOffset);
                    } else if seg.len() < hl {
                        result = Err(short_wins(ParseError::Truncated(Layer::Tcp), ip));
                    } else {
                        ports =
                            (u16::from_be_bytes([h[0], h[1]]), u16::from_be_bytes([h[2], h[3]]));
                        p.l4 = Some(ip.l4);
                        let payload_len = seg.len() - hl;
                        p.payload = Some((ip.l4 + hl, payload_len));
                        let t = p.tcp.insert(TcpInfo {
                            seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
                            flags: h[13],
                            window: u16::from_be_bytes([h[14], h[15]]),
                            checksum: u16::from_be_bytes([h[16], h[17]]),
                            header_len: hl as u8,
                            payload_len: payload_len as u16,
                            opts: TcpOptions::EMPTY,
                        });
                        let opts = seg.get(crate::tcp::HEADER_LEN..hl).unwrap_or(&[]);
                        result =
                            parse_options_into(opts, crate::tcp::HEADER_LEN as u8, &mut t.opts);
                    }
                }
            },
            ip_protocol::UDP => match UdpDatagram::new_checked(seg) {
                Err(e) => result = Err(short_wins(e, ip)),
                Ok(u) => {
                    ports = (u.src_port(), u.dst_port());
                    p.l4 = Some(ip.l4);
                    let len = usize::from(u.len()).saturating_sub(crate::udp::HEADER_LEN);
                    p.payload = Some((ip.l4 + crate::udp::HEADER_LEN, len));
                }
            },
            ip_protocol::ICMP | ip_protocol::ICMPV6 | next_header::NO_NEXT | gre::PROTOCOL => {}
            other if ip.is_v6 => result = Err(ParseError::UnknownNextHeader(other)),
            _ => {}
        }
    }
    p.inner = Some(FiveTuple { src, dst, proto: ip.proto, sport: ports.0, dport: ports.1 });
    result?;
    if ip.short {
        return Err(ParseError::Truncated(Layer::Payload));
    }
    Ok(())
}
