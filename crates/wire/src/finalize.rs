//! Full recomputation of every length and checksum of a frame, from the
//! innermost header outwards. Used by the builders, and by the tests as the
//! reference the incremental updates must equal.

use crate::bytes::{put_u16, u16_at, u8_at};
use crate::checksum;
use crate::gre;
use crate::gtpu;
use crate::ipv4::Ipv4Packet;
use crate::ipv6::HEADER_LEN as IPV6_HEADER_LEN;
use crate::parse::{Parsed, TunnelKind};
use crate::udp;
use crate::IpAddress;

/// Where the headers whose lengths/checksums depend on the payload sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub inner_l3: usize,
    pub l4: usize,
    /// Inner L4 is TCP (else UDP).
    pub l4_is_tcp: bool,
    pub tunnel: Option<TunnelLayout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelLayout {
    pub outer_l3: usize,
    /// Offset of the outer UDP header and whether its checksum is in use.
    pub outer_udp: Option<(usize, bool)>,
    pub gtpu: Option<usize>,
    /// Offset of a GRE header that carries a checksum.
    pub gre_checksum: Option<usize>,
}

impl Layout {
    /// The layout of a parsed, rewritable TCP or UDP frame.
    pub fn from_parsed(frame: &[u8], p: &Parsed) -> Option<Layout> {
        if p.error.is_some() {
            return None;
        }
        let inner_l3 = p.inner_l3?;
        let l4 = p.l4?;
        let proto = p.inner?.proto;
        if proto != crate::tcp::PROTOCOL && proto != udp::PROTOCOL {
            return None;
        }
        let tunnel = match p.tunnel {
            None => None,
            Some(t) => {
                let outer_l3 = p.outer_l3?;
                let outer_udp = match t.outer_udp {
                    Some(u) => {
                        // A zero checksum over IPv4 means "not used" and stays zero.
                        let used = !t.outer_src.is_ipv4() || u16_at(frame, u + 6)? != 0;
                        Some((u, used))
                    }
                    None => None,
                };
                let (gtpu, gre_checksum) = match t.kind {
                    TunnelKind::Gtpu { .. } => (Some(t.header), None),
                    TunnelKind::Gre { checksum_present: true, .. } => (None, Some(t.header)),
                    _ => (None, None),
                };
                Some(TunnelLayout { outer_l3, outer_udp, gtpu, gre_checksum })
            }
        };
        Some(Layout { inner_l3, l4, l4_is_tcp: proto == crate::tcp::PROTOCOL, tunnel })
    }
}

/// Sets every length field to match `frame.len()` as the end of the packet
/// and recomputes every checksum. `None` if an offset is out of range.
pub fn finalize(frame: &mut [u8], layout: &Layout) -> Option<()> {
    let end = frame.len();
    let (src, dst) = set_ip_length(frame, layout.inner_l3, end)?;
    let seg_len = end.checked_sub(layout.l4)?;
    if layout.l4_is_tcp {
        put_u16(frame, layout.l4 + 16, 0)?;
        let c = l4_checksum(frame.get(layout.l4..)?, &src, &dst, crate::tcp::PROTOCOL);
        put_u16(frame, layout.l4 + 16, checksum::finish(c))?;
    } else {
        put_u16(frame, layout.l4 + 4, u16::try_from(seg_len).ok()?)?;
        put_u16(frame, layout.l4 + 6, 0)?;
        let c = udp::compute_checksum(frame.get(layout.l4..)?, &src, &dst);
        put_u16(frame, layout.l4 + 6, c)?;
    }
    let Some(t) = layout.tunnel else {
        return Some(());
    };
    if let Some(g) = t.gtpu {
        let len = end.checked_sub(g + gtpu::MIN_HEADER_LEN)?;
        put_u16(frame, g + 2, u16::try_from(len).ok()?)?;
    }
    if let Some(g) = t.gre_checksum {
        put_u16(frame, g + 4, 0)?;
        let c = checksum::finish(checksum::sum(frame.get(g..)?));
        put_u16(frame, g + 4, c)?;
    }
    let (osrc, odst) = set_ip_length(frame, t.outer_l3, end)?;
    if let Some((u, used)) = t.outer_udp {
        put_u16(frame, u + 4, u16::try_from(end.checked_sub(u)?).ok()?)?;
        if used {
            put_u16(frame, u + 6, 0)?;
            let c = udp::compute_checksum(frame.get(u..)?, &osrc, &odst);
            put_u16(frame, u + 6, c)?;
        }
    }
    Some(())
}

fn l4_checksum(seg: &[u8], src: &IpAddress, dst: &IpAddress, proto: u8) -> u32 {
    checksum::add(checksum::pseudo_header(src, dst, proto, seg.len() as u32), checksum::sum(seg))
}

/// Sets the IPv4 total length (and header checksum) or the IPv6 payload
/// length of the header at `l3` so the packet ends at `end`; returns its
/// addresses.
fn set_ip_length(frame: &mut [u8], l3: usize, end: usize) -> Option<(IpAddress, IpAddress)> {
    let version = u8_at(frame, l3)? >> 4;
    let len = end.checked_sub(l3)?;
    if version == 4 {
        let mut v4 = Ipv4Packet::new_checked(frame.get_mut(l3..)?).ok()?;
        v4.set_total_len(u16::try_from(len).ok()?);
        v4.fill_checksum();
        Some((IpAddress::V4(v4.src_addr()), IpAddress::V4(v4.dst_addr())))
    } else {
        let payload = len.checked_sub(IPV6_HEADER_LEN)?;
        put_u16(frame, l3 + 4, u16::try_from(payload).ok()?)?;
        let src = crate::bytes::array::<16>(frame, l3 + 8)?;
        let dst = crate::bytes::array::<16>(frame, l3 + 24)?;
        Some((IpAddress::V6(src), IpAddress::V6(dst)))
    }
}

/// True if `gre::FLAG_C` is set in the GRE header at `at` (helper for tests
/// and tools that want to know whether a GRE checksum must be kept).
pub fn gre_has_checksum(frame: &[u8], at: usize) -> bool {
    u8_at(frame, at).is_some_and(|f| f & gre::FLAG_C != 0)
}
