//! Ethernet II header and 802.1Q / 802.1ad (QinQ) tags.

use crate::bytes::{array, put, put_u16, u16_at};
use crate::error::{Layer, ParseError};

/// EtherType values the codec knows.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q customer tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service tag (outer tag of QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// Transparent Ethernet bridging, the GRE payload type for Ethernet.
    pub const TEB: u16 = 0x6558;
}

pub const HEADER_LEN: usize = 14;
pub const VLAN_TAG_LEN: usize = 4;

/// Zero-copy view of an Ethernet II header (without tags).
#[derive(Debug, Clone)]
pub struct EthernetFrame<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps `buffer` if it holds at least the 14-byte header.
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Ethernet));
        }
        Ok(EthernetFrame { buffer })
    }

    pub fn dst_addr(&self) -> [u8; 6] {
        array(self.buffer.as_ref(), 0).unwrap_or_default()
    }

    pub fn src_addr(&self) -> [u8; 6] {
        array(self.buffer.as_ref(), 6).unwrap_or_default()
    }

    /// The EtherType right after the addresses (a TPID if the frame is tagged).
    pub fn ethertype(&self) -> u16 {
        u16_at(self.buffer.as_ref(), 12).unwrap_or(0)
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    pub fn set_dst_addr(&mut self, a: [u8; 6]) {
        let _ = put(self.buffer.as_mut(), 0, &a);
    }

    pub fn set_src_addr(&mut self, a: [u8; 6]) {
        let _ = put(self.buffer.as_mut(), 6, &a);
    }

    pub fn set_ethertype(&mut self, t: u16) {
        let _ = put_u16(self.buffer.as_mut(), 12, t);
    }
}

/// High-level Ethernet header for building frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EthernetRepr {
    pub dst: [u8; 6],
    pub src: [u8; 6],
}

impl EthernetRepr {
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Self {
        EthernetRepr { dst: frame.dst_addr(), src: frame.src_addr() }
    }

    /// Writes the addresses and `ethertype` into `frame`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>, ethertype: u16) {
        frame.set_dst_addr(self.dst);
        frame.set_src_addr(self.src);
        frame.set_ethertype(ethertype);
    }
}

/// Up to two VLAN ids, outer first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct VlanStack {
    ids: [u16; 2],
    len: u8,
}

impl VlanStack {
    pub const MAX: usize = 2;

    pub const fn new() -> Self {
        VlanStack { ids: [0; 2], len: 0 }
    }

    /// Builds a stack from `ids` (outer first); `None` if more than two.
    pub fn from_slice(ids: &[u16]) -> Option<Self> {
        let mut s = VlanStack::new();
        for &id in ids {
            if !s.push(id) {
                return None;
            }
        }
        Some(s)
    }

    /// Adds an inner tag; false if the stack is full.
    pub fn push(&mut self, id: u16) -> bool {
        match self.ids.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = id;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub fn as_slice(&self) -> &[u16] {
        self.ids.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Reads the Ethernet header and any VLAN tags starting at `at`.
/// Returns the offset of the L3 header and its EtherType. Tags are pushed to
/// `vlans` when given (outer frame); an inner frame's tags are skipped.
#[inline]
pub(crate) fn parse_l2(
    frame: &[u8],
    at: usize,
    mut vlans: Option<&mut VlanStack>,
    layer: Layer,
) -> Result<(usize, u16), ParseError> {
    let mut ethertype = u16_at(frame, at + 12).ok_or(ParseError::Truncated(layer))?;
    let mut off = at + HEADER_LEN;
    let mut tags = 0;
    while ethertype == ethertype::VLAN || ethertype == ethertype::QINQ {
        if tags == VlanStack::MAX {
            return Err(ParseError::TooManyVlans);
        }
        let tci = u16_at(frame, off).ok_or(ParseError::Truncated(Layer::Vlan))?;
        ethertype = u16_at(frame, off + 2).ok_or(ParseError::Truncated(Layer::Vlan))?;
        if let Some(v) = vlans.as_deref_mut() {
            v.push(tci & 0x0fff);
        }
        tags += 1;
        off += VLAN_TAG_LEN;
    }
    Ok((off, ethertype))
}

/// Writes an Ethernet header with `vlans` (outer 0x88A8 when there are two,
/// as 802.1ad says) at the start of `out`; returns the header length.
pub(crate) fn emit_l2(
    out: &mut [u8],
    eth: &EthernetRepr,
    vlans: &VlanStack,
    ethertype: u16,
) -> Option<usize> {
    put(out, 0, &eth.dst)?;
    put(out, 6, &eth.src)?;
    let mut off = 12;
    let ids = vlans.as_slice();
    for (i, &id) in ids.iter().enumerate() {
        let tpid = if ids.len() == 2 && i == 0 { ethertype::QINQ } else { ethertype::VLAN };
        put_u16(out, off, tpid)?;
        put_u16(out, off + 2, id & 0x0fff)?;
        off += VLAN_TAG_LEN;
    }
    put_u16(out, off, ethertype)?;
    Some(off + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qinq_tags_outer_first() {
        let mut f = [0u8; 26];
        f[12..14].copy_from_slice(&[0x88, 0xa8]);
        f[14..16].copy_from_slice(&[0x20, 0x64]); // PCP 1, VID 100
        f[16..18].copy_from_slice(&[0x81, 0x00]);
        f[18..20].copy_from_slice(&[0x00, 0xc8]); // VID 200
        f[20..22].copy_from_slice(&[0x08, 0x00]);
        let mut v = VlanStack::new();
        let (off, et) = parse_l2(&f, 0, Some(&mut v), Layer::Ethernet).unwrap();
        assert_eq!((off, et), (22, ethertype::IPV4));
        assert_eq!(v.as_slice(), &[100, 200]);
    }

    #[test]
    fn three_tags_rejected() {
        let mut f = [0u8; 40];
        for i in 0..3 {
            f[12 + 4 * i..14 + 4 * i].copy_from_slice(&[0x81, 0x00]);
        }
        assert_eq!(parse_l2(&f, 0, None, Layer::Ethernet), Err(ParseError::TooManyVlans));
    }

    #[test]
    fn emit_then_parse() {
        let eth = EthernetRepr { dst: [2, 0, 0, 0, 0, 1], src: [2, 0, 0, 0, 0, 2] };
        let vl = VlanStack::from_slice(&[7, 4094]).unwrap();
        let mut out = [0u8; 22];
        let n = emit_l2(&mut out, &eth, &vl, ethertype::IPV6).unwrap();
        assert_eq!(n, 22);
        assert_eq!(&out[12..14], &[0x88, 0xa8]);
        let mut v = VlanStack::new();
        assert_eq!(parse_l2(&out, 0, Some(&mut v), Layer::Ethernet), Ok((22, ethertype::IPV6)));
        assert_eq!(v, vl);
        let view = EthernetFrame::new_checked(&out[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&view), eth);
    }
}
