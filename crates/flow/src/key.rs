//! Symmetric flow keys.
//!
//! A [`FlowKey`] names one bidirectional conversation: the inner 5-tuple,
//! the VLAN tags it travels with and, for GTP-U, the outer (tunnel) address
//! pair. Both directions of a conversation produce the same key because the
//! two endpoints are stored in a canonical order (lower endpoint first); the
//! [`Side`] returned by [`FlowKey::from_packet`] says which of the two stored
//! endpoints sent the packet at hand.
//!
//! The GTP-U TEID is deliberately not part of the key: the uplink and the
//! downlink of one bearer use different TEIDs, so keying on it would split
//! one TCP connection into two flows. The table records the TEID per
//! direction on the entry instead.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One of the two endpoints of a flow, in the key's canonical order.
///
/// `A` is the endpoint whose `(address, port)` sorts lower, `B` the other.
/// Which one is the sender (core) side is recorded on the table entry, not
/// here, because it depends on where the first packet came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The canonically lower endpoint.
    A = 0,
    /// The canonically higher endpoint.
    B = 1,
}

impl Side {
    /// The other endpoint.
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// 0 for `A`, 1 for `B`: an index into per-direction arrays.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Bit set in [`FlowKey`]'s flag byte when the inner addresses are IPv6.
const FLAG_INNER_V6: u8 = 1 << 0;
/// Bit set when the key carries a tunnel (GTP-U outer) address pair.
const FLAG_TUNNEL: u8 = 1 << 1;
/// Bit set when the tunnel addresses are IPv6.
const FLAG_TUNNEL_V6: u8 = 1 << 2;

/// Only the 12-bit VLAN identifier takes part in the key; PCP/DEI bits of a
/// TCI may change along the path and must not split a flow.
const VLAN_ID_MASK: u16 = 0x0fff;

/// Canonical, direction-independent identity of a flow.
///
/// Addresses are kept as 16 raw bytes (an IPv4 address in the first four,
/// the rest zero) plus flag bits for the family, so that the key is one
/// fixed-size plain value that compares with a short memcmp and hashes
/// from a handful of machine words. 74 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    addr_a: [u8; 16],
    addr_b: [u8; 16],
    tunnel_lo: [u8; 16],
    tunnel_hi: [u8; 16],
    port_a: u16,
    port_b: u16,
    vlan: [u16; 2],
    proto: u8,
    flags: u8,
}

fn addr_bytes(addr: IpAddr) -> ([u8; 16], bool) {
    match addr {
        IpAddr::V4(v4) => {
            let mut out = [0u8; 16];
            out[..4].copy_from_slice(&v4.octets());
            (out, false)
        }
        IpAddr::V6(v6) => (v6.octets(), true),
    }
}

fn bytes_addr(bytes: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(*bytes))
    } else {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    }
}

#[inline]
fn word(bytes: &[u8; 16], half: usize) -> u64 {
    let mut w = [0u8; 8];
    // `half` is 0 or 1 at every call site; the mask keeps the slice in range
    // whatever is passed, so this cannot panic.
    let start = (half & 1) * 8;
    w.copy_from_slice(&bytes[start..start + 8]);
    u64::from_le_bytes(w)
}

/// 64x64->128-bit multiply folded back to 64 bits (the mixing step of the
/// wyhash family): every input bit influences the result, and independent
/// products can execute in parallel, unlike a serial absorb chain.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Arbitrary odd constants (hex digits of pi) keeping all-zero words from
/// zeroing a product.
const K: [u64; 8] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
    0xbe54_66cf_34e9_0c6c,
    0xc0ac_29b7_c97c_50dd,
    0x3f84_d5b5_b547_0917,
];

impl FlowKey {
    /// Builds the canonical key of a packet and tells which endpoint sent it.
    ///
    /// `vlan` holds the outer and inner VLAN tags (802.1Q / QinQ), 0 where a
    /// tag is absent; only the 12-bit VLAN id is kept. `tunnel_outer` is the
    /// GTP-U outer (source, destination) pair, `None` for untunnelled
    /// traffic. The reverse packet (`dst`, `src`, `dport`, `sport`, reversed
    /// tunnel pair) yields the same key and the opposite side.
    ///
    /// Mixed families between `src` and `dst` are accepted (a parser never
    /// produces them); they simply form a key of their own.
    pub fn from_packet(
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        sport: u16,
        dport: u16,
        vlan: [u16; 2],
        tunnel_outer: Option<(IpAddr, IpAddr)>,
    ) -> (FlowKey, Side) {
        let (src_b, src_v6) = addr_bytes(src);
        let (dst_b, dst_v6) = addr_bytes(dst);
        let mut flags = 0u8;
        if src_v6 || dst_v6 {
            flags |= FLAG_INNER_V6;
        }
        // Ports with equal addresses break the tie; the family flag is shared
        // so it needs no part in the ordering.
        let sender = if (u128::from_be_bytes(src_b), sport) <= (u128::from_be_bytes(dst_b), dport) {
            Side::A
        } else {
            Side::B
        };
        let ((addr_a, port_a), (addr_b, port_b)) = match sender {
            Side::A => ((src_b, sport), (dst_b, dport)),
            Side::B => ((dst_b, dport), (src_b, sport)),
        };
        let (mut tunnel_lo, mut tunnel_hi) = ([0u8; 16], [0u8; 16]);
        if let Some((outer_src, outer_dst)) = tunnel_outer {
            let (o_src, o_src_v6) = addr_bytes(outer_src);
            let (o_dst, o_dst_v6) = addr_bytes(outer_dst);
            flags |= FLAG_TUNNEL;
            if o_src_v6 || o_dst_v6 {
                flags |= FLAG_TUNNEL_V6;
            }
            // The outer pair is ordered on its own: on N3 the uplink goes
            // gNB->UPF and the downlink UPF->gNB whatever the inner order is.
            if u128::from_be_bytes(o_src) <= u128::from_be_bytes(o_dst) {
                (tunnel_lo, tunnel_hi) = (o_src, o_dst);
            } else {
                (tunnel_lo, tunnel_hi) = (o_dst, o_src);
            }
        }
        let key = FlowKey {
            addr_a,
            addr_b,
            tunnel_lo,
            tunnel_hi,
            port_a,
            port_b,
            vlan: [vlan[0] & VLAN_ID_MASK, vlan[1] & VLAN_ID_MASK],
            proto,
            flags,
        };
        (key, sender)
    }

    /// A 32-bit hash that is the same for both directions of a flow (it is
    /// computed over the canonical key). Used to pick the owning core for
    /// the software hand-off and as the table hash. Not keyed: it is not a
    /// defence against deliberately colliding traffic.
    #[inline]
    pub fn symmetric_hash(&self) -> u32 {
        let a = fold_mul(word(&self.addr_a, 0) ^ K[0], word(&self.addr_a, 1) ^ K[1]);
        let b = fold_mul(word(&self.addr_b, 0) ^ K[2], word(&self.addr_b, 1) ^ K[3]);
        let tunnel = if self.flags & FLAG_TUNNEL != 0 {
            fold_mul(word(&self.tunnel_lo, 0) ^ K[4], word(&self.tunnel_lo, 1) ^ K[5])
                ^ fold_mul(word(&self.tunnel_hi, 0) ^ K[6], word(&self.tunnel_hi, 1) ^ K[7])
        } else {
            0
        };
        let small = u64::from(self.port_a)
            | u64::from(self.port_b) << 16
            | u64::from(self.vlan[0]) << 32
            | u64::from(self.vlan[1]) << 44
            | u64::from(self.proto) << 56;
        let h = fold_mul(a ^ small ^ u64::from(self.flags), b ^ tunnel ^ K[0]);
        (h ^ (h >> 32)) as u32
    }

    /// Address and port of one endpoint.
    pub fn endpoint(&self, side: Side) -> (IpAddr, u16) {
        let v6 = self.flags & FLAG_INNER_V6 != 0;
        match side {
            Side::A => (bytes_addr(&self.addr_a, v6), self.port_a),
            Side::B => (bytes_addr(&self.addr_b, v6), self.port_b),
        }
    }

    /// IP protocol number of the inner packet (6 TCP, 17 UDP, ...).
    pub fn proto(&self) -> u8 {
        self.proto
    }

    /// Whether the inner addresses are IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.flags & FLAG_INNER_V6 != 0
    }

    /// Outer and inner VLAN ids, 0 where absent.
    pub fn vlan(&self) -> [u16; 2] {
        self.vlan
    }

    /// The tunnel (GTP-U outer) address pair in canonical order, if any.
    pub fn tunnel(&self) -> Option<(IpAddr, IpAddr)> {
        if self.flags & FLAG_TUNNEL == 0 {
            return None;
        }
        let v6 = self.flags & FLAG_TUNNEL_V6 != 0;
        Some((bytes_addr(&self.tunnel_lo, v6), bytes_addr(&self.tunnel_hi, v6)))
    }
}

fn fmt_endpoint(f: &mut fmt::Formatter<'_>, addr: IpAddr, port: u16) -> fmt::Result {
    match addr {
        IpAddr::V4(a) => write!(f, "{a}:{port}"),
        IpAddr::V6(a) => write!(f, "[{a}]:{port}"),
    }
}

/// `proto a:port <-> b:port [vlan x.y] [gtpu lo<->hi]`, for flow dumps.
impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.proto {
            6 => f.write_str("tcp ")?,
            17 => f.write_str("udp ")?,
            p => write!(f, "ip{p} ")?,
        }
        let (a, pa) = self.endpoint(Side::A);
        let (b, pb) = self.endpoint(Side::B);
        fmt_endpoint(f, a, pa)?;
        f.write_str(" <-> ")?;
        fmt_endpoint(f, b, pb)?;
        if self.vlan != [0, 0] {
            write!(f, " vlan {}.{}", self.vlan[0], self.vlan[1])?;
        }
        if let Some((lo, hi)) = self.tunnel() {
            write!(f, " gtpu {lo}<->{hi}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlowKey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    #[test]
    fn key_is_74_bytes() {
        assert_eq!(std::mem::size_of::<FlowKey>(), 74);
    }

    #[test]
    fn hash_low_bits_spread_sequential_flows() {
        // The table picks buckets from the low bits; sequential addresses
        // and ports (a typical SYN flood or test generator) must still
        // spread evenly over them.
        let mut buckets = [0u32; 1024];
        for i in 0..65_536u32 {
            let b = i.to_be_bytes();
            let (k, _) = FlowKey::from_packet(
                v4([198, 18, b[2], b[3]]),
                v4([198, 19, 0, 1]),
                6,
                40_000 + (i % 7) as u16,
                80,
                [0, 0],
                None,
            );
            buckets[(k.symmetric_hash() & 1023) as usize] += 1;
        }
        let max = *buckets.iter().max().unwrap();
        let min = *buckets.iter().min().unwrap();
        // Mean 64; a uniform hash stays well inside these bounds.
        assert!(max < 110 && min > 25, "min {min} max {max}");
    }

    #[test]
    fn equal_addresses_are_ordered_by_port() {
        let a = v4([198, 18, 0, 1]);
        let (k1, s1) = FlowKey::from_packet(a, a, 17, 5000, 4000, [0, 0], None);
        let (k2, s2) = FlowKey::from_packet(a, a, 17, 4000, 5000, [0, 0], None);
        assert_eq!(k1, k2);
        assert_eq!(s1, Side::B);
        assert_eq!(s2, Side::A);
    }

    #[test]
    fn vlan_priority_bits_are_ignored() {
        let (a, b) = (v4([198, 18, 0, 1]), v4([198, 19, 0, 2]));
        let (k1, _) = FlowKey::from_packet(a, b, 6, 1, 2, [0x2064, 0], None);
        let (k2, _) = FlowKey::from_packet(a, b, 6, 1, 2, [0x0064, 0], None);
        assert_eq!(k1, k2);
        assert_eq!(k1.vlan(), [100, 0]);
    }
}
