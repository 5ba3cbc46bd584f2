//! IPv6 header (RFC 8200) and the walk over its extension header chain.

use crate::bytes::{array, put, put_u16, put_u32, put_u8, u16_at, u32_at, u8_at};
use crate::error::{Layer, ParseError};

pub const HEADER_LEN: usize = 40;

/// Next-header values the walk knows.
pub mod next_header {
    pub const HOP_BY_HOP: u8 = 0;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ICMPV6: u8 = 58;
    pub const NO_NEXT: u8 = 59;
    pub const DEST_OPTS: u8 = 60;
}

/// At most this many extension headers are walked; a longer chain is
/// refused rather than followed (bounded work per packet).
pub const MAX_EXT_HEADERS: usize = 8;

/// Zero-copy view of the fixed IPv6 header.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(ParseError::Truncated(Layer::Ipv6));
        }
        if u8_at(b, 0).unwrap_or(0) >> 4 != 6 {
            return Err(ParseError::BadIpVersion);
        }
        Ok(Ipv6Packet { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn traffic_class(&self) -> u8 {
        ((u16_at(self.b(), 0).unwrap_or(0) >> 4) & 0xff) as u8
    }
    pub fn flow_label(&self) -> u32 {
        u32_at(self.b(), 0).unwrap_or(0) & 0x000f_ffff
    }
    pub fn payload_len(&self) -> u16 {
        u16_at(self.b(), 4).unwrap_or(0)
    }
    pub fn next_header(&self) -> u8 {
        u8_at(self.b(), 6).unwrap_or(0)
    }
    pub fn hop_limit(&self) -> u8 {
        u8_at(self.b(), 7).unwrap_or(0)
    }
    pub fn src_addr(&self) -> [u8; 16] {
        array(self.b(), 8).unwrap_or_default()
    }
    pub fn dst_addr(&self) -> [u8; 16] {
        array(self.b(), 24).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    pub fn set_payload_len(&mut self, v: u16) {
        let _ = put_u16(self.buffer.as_mut(), 4, v);
    }
    pub fn set_hop_limit(&mut self, v: u8) {
        let _ = put_u8(self.buffer.as_mut(), 7, v);
    }
}

/// Where the extension header walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtWalk {
    /// The upper-layer protocol (or the header the walk stopped at).
    pub protocol: u8,
    /// Offset of that header in the buffer given to `walk_ext_headers`.
    pub offset: usize,
    /// A fragment header was seen.
    pub fragment: bool,
}

/// Follows the extension header chain that starts with `first` at `at`.
/// Hop-by-hop, routing, destination options and fragment are skipped by
/// length; anything else ends the walk and is returned as the protocol.
pub fn walk_ext_headers(buf: &[u8], mut nh: u8, mut at: usize) -> Result<ExtWalk, ParseError> {
    let mut fragment = false;
    for _ in 0..=MAX_EXT_HEADERS {
        let len = match nh {
            next_header::HOP_BY_HOP | next_header::ROUTING | next_header::DEST_OPTS => {
                let l = u8_at(buf, at + 1).ok_or(ParseError::Truncated(Layer::Ipv6Ext))?;
                (usize::from(l) + 1) * 8
            }
            next_header::FRAGMENT => {
                fragment = true;
                8
            }
            _ => {
                return Ok(ExtWalk { protocol: nh, offset: at, fragment });
            }
        };
        if buf.len() < at + len {
            return Err(ParseError::Truncated(Layer::Ipv6Ext));
        }
        nh = u8_at(buf, at).ok_or(ParseError::Truncated(Layer::Ipv6Ext))?;
        at += len;
    }
    Err(ParseError::TooManyExtHeaders)
}

/// High-level IPv6 header (no extension headers) for building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub next_header: u8,
    pub hop_limit: u8,
    pub payload_len: usize,
}

impl Ipv6Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Self {
        Ipv6Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            next_header: p.next_header(),
            hop_limit: p.hop_limit(),
            payload_len: usize::from(p.payload_len()),
        }
    }

    pub fn emit(&self, out: &mut [u8]) -> Option<()> {
        let hdr = out.get_mut(..HEADER_LEN)?;
        put_u32(hdr, 0, 6 << 28)?;
        put_u16(hdr, 4, u16::try_from(self.payload_len).ok()?)?;
        put_u8(hdr, 6, self.next_header)?;
        put_u8(hdr, 7, self.hop_limit)?;
        put(hdr, 8, &self.src)?;
        put(hdr, 24, &self.dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construct_deconstruct() {
        let r = Ipv6Repr {
            src: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            dst: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            next_header: 6,
            hop_limit: 64,
            payload_len: 20,
        };
        let mut out = [0u8; 40];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..8], &[0x60, 0, 0, 0, 0, 20, 6, 64]);
        let p = Ipv6Packet::new_checked(&out[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&p), r);
    }

    #[test]
    fn ext_chain_hbh_routing_frag_dest() {
        // HBH(8) -> Routing(16) -> DestOpts(8) -> TCP
        let mut b = [0u8; 32];
        b[0] = next_header::ROUTING;
        b[1] = 0;
        b[8] = next_header::DEST_OPTS;
        b[9] = 1;
        b[24] = next_header::TCP;
        b[25] = 0;
        let w = walk_ext_headers(&b, next_header::HOP_BY_HOP, 0).unwrap();
        assert_eq!(w, ExtWalk { protocol: 6, offset: 32, fragment: false });
        let mut f = [0u8; 8];
        f[0] = next_header::UDP;
        let w = walk_ext_headers(&f, next_header::FRAGMENT, 0).unwrap();
        assert_eq!(w, ExtWalk { protocol: 17, offset: 8, fragment: true });
    }

    #[test]
    fn ext_chain_truncated_and_unknown() {
        let b = [next_header::TCP, 3, 0, 0];
        assert_eq!(
            walk_ext_headers(&b, next_header::DEST_OPTS, 0),
            Err(ParseError::Truncated(Layer::Ipv6Ext))
        );
        let w = walk_ext_headers(&b, 135, 0).unwrap();
        assert_eq!(w.protocol, 135);
    }

    #[test]
    fn ext_chain_bounded() {
        // A chain of hop-by-hop headers pointing at each other never ends.
        let b = [0u8; 8 * 16];
        assert_eq!(walk_ext_headers(&b, 0, 0), Err(ParseError::TooManyExtHeaders));
    }
}
