//! Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Sums are kept unfolded in a `u32` (or `u64` while summing long buffers) and
//! folded only when the checksum is written, so pseudo-header and data sums can
//! be combined cheaply.

use crate::IpAddress;

/// One's-complement sum of `data` as big-endian 16-bit words, unfolded.
/// An odd trailing byte is padded with zero, as RFC 1071 says.
pub fn sum(data: &[u8]) -> u32 {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        // Four words at a time; a u64 cannot overflow for any IP-sized buffer.
        let v = u64::from_be_bytes(w.try_into().unwrap_or([0; 8]));
        acc += (v >> 48) + ((v >> 32) & 0xffff) + ((v >> 16) & 0xffff) + (v & 0xffff);
    }
    let mut pairs = words.remainder().chunks_exact(2);
    for p in &mut pairs {
        acc += u64::from(u16::from_be_bytes([
            p.first().copied().unwrap_or(0),
            p.get(1).copied().unwrap_or(0),
        ]));
    }
    if let Some(&last) = pairs.remainder().first() {
        acc += u64::from(last) << 8;
    }
    fold64(acc)
}

/// Reduces a 64-bit accumulator to at most 17 bits without changing its
/// one's-complement value.
#[inline(always)]
fn fold64(mut acc: u64) -> u32 {
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    let mut s = acc as u32;
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s
}

/// Adds two unfolded sums.
#[inline(always)]
pub fn add(a: u32, b: u32) -> u32 {
    fold64(u64::from(a) + u64::from(b))
}

/// Folds an unfolded sum to 16 bits (end-around carry).
#[inline(always)]
pub fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// The checksum field value for a sum: its one's complement.
#[inline(always)]
pub fn finish(s: u32) -> u16 {
    !fold(s)
}

/// Sum of the TCP/UDP pseudo header (RFC 9293 §3.1, RFC 8200 §8.1).
/// Mixed address families contribute nothing sensible; callers never mix them.
pub fn pseudo_header(src: &IpAddress, dst: &IpAddress, protocol: u8, length: u32) -> u32 {
    let addrs = add(sum(src.as_bytes()), sum(dst.as_bytes()));
    let len = (length >> 16) + (length & 0xffff);
    add(addrs, add(u32::from(protocol), len))
}

/// RFC 1624 eqn. 3: the new checksum after a 16-bit word changed from `old`
/// to `new`: HC' = ~(~HC + ~m + m').
#[inline(always)]
pub fn update16(hc: u16, old: u16, new: u16) -> u16 {
    let s = u32::from(!hc) + u32::from(!old) + u32::from(new);
    !fold(s)
}

/// RFC 1624 update for a 32-bit field (two words).
#[inline(always)]
pub fn update32(hc: u16, old: u32, new: u32) -> u16 {
    let s = u32::from(!hc)
        + u32::from(!(old >> 16) as u16)
        + u32::from(!(old as u16))
        + (new >> 16)
        + (new & 0xffff);
    !fold(s)
}

/// RFC 1624 update from the sums of a region before and after it changed.
#[inline(always)]
pub fn update_sums(hc: u16, old_sum: u32, new_sum: u32) -> u16 {
    let s = u32::from(!hc) + u32::from(!fold(old_sum)) + u32::from(fold(new_sum));
    !fold(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 worked example: sum 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&data)), 0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(sum(&[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn incremental_matches_full() {
        let mut data =
            [0x45u8, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let hc = finish(sum(&data));
        data[8] = 63;
        let full = finish(sum(&data));
        assert_eq!(update16(hc, 0x4006, 0x3f06), full);
    }

    #[test]
    fn incremental_32_matches_full() {
        let mut data = [0u8; 12];
        data[4..8].copy_from_slice(&0xdead_beefu32.to_be_bytes());
        let hc = finish(sum(&data));
        data[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
        assert_eq!(update32(hc, 0xdead_beef, 0x0102_0304), finish(sum(&data)));
    }
}
