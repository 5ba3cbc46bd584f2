//! Serial-number arithmetic on 32-bit TCP sequence (and timestamp) values.
//!
//! Sequence numbers wrap at 2^32, so "a before b" means the signed distance
//! from b to a is negative (RFC 1982 style). Every comparison of sequence
//! numbers or TCP timestamps in this crate goes through these helpers.

/// `a` is strictly before `b` in sequence space.
#[inline]
pub fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` is before or equal to `b` in sequence space.
#[inline]
pub fn seq_le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `a` is strictly after `b` in sequence space.
#[inline]
pub fn seq_gt(a: u32, b: u32) -> bool {
    seq_lt(b, a)
}

/// `a` is after or equal to `b` in sequence space.
#[inline]
pub fn seq_ge(a: u32, b: u32) -> bool {
    seq_le(b, a)
}

/// The later of two sequence numbers.
#[inline]
pub fn seq_max(a: u32, b: u32) -> u32 {
    if seq_ge(a, b) {
        a
    } else {
        b
    }
}

/// The earlier of two sequence numbers.
#[inline]
pub fn seq_min(a: u32, b: u32) -> u32 {
    if seq_le(a, b) {
        a
    } else {
        b
    }
}

/// The half-open ranges [a.0, a.1) and [b.0, b.1) share at least one byte.
#[inline]
pub fn seq_overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    seq_lt(a.0, b.1) && seq_gt(a.1, b.0)
}

/// Bytes from `from` up to `to`, zero when `to` is not after `from`.
#[inline]
pub fn seq_span(from: u32, to: u32) -> u32 {
    if seq_gt(to, from) {
        to.wrapping_sub(from)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_across_wraparound() {
        assert!(seq_lt(u32::MAX - 5, 3));
        assert!(seq_gt(3, u32::MAX - 5));
        assert!(seq_le(7, 7) && seq_ge(7, 7));
        assert!(!seq_lt(7, 7));
        assert_eq!(seq_max(u32::MAX, 2), 2);
        assert_eq!(seq_min(u32::MAX, 2), u32::MAX);
        assert_eq!(seq_span(u32::MAX - 1, 3), 5);
        assert_eq!(seq_span(3, u32::MAX - 1), 0);
    }
}
