//! Checked big-endian field access.
//!
//! Every read or write of a packet field goes through these helpers so that an
//! offset past the end of the buffer becomes `None` instead of a panic: the
//! packet path must survive any input.

/// The `N` bytes at `at`, if they are all inside `buf`.
#[inline(always)]
pub(crate) fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[inline(always)]
pub(crate) fn u8_at(buf: &[u8], at: usize) -> Option<u8> {
    buf.get(at).copied()
}

#[inline(always)]
pub(crate) fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    array::<2>(buf, at).map(u16::from_be_bytes)
}

#[inline(always)]
pub(crate) fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    array::<4>(buf, at).map(u32::from_be_bytes)
}

/// Writes `bytes` at `at`; `None` (and nothing written) if they do not fit.
#[inline(always)]
pub(crate) fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> Option<()> {
    buf.get_mut(at..at.checked_add(bytes.len())?)?.copy_from_slice(bytes);
    Some(())
}

#[inline(always)]
pub(crate) fn put_u8(buf: &mut [u8], at: usize, v: u8) -> Option<()> {
    *buf.get_mut(at)? = v;
    Some(())
}

#[inline(always)]
pub(crate) fn put_u16(buf: &mut [u8], at: usize, v: u16) -> Option<()> {
    put(buf, at, &v.to_be_bytes())
}

#[inline(always)]
pub(crate) fn put_u32(buf: &mut [u8], at: usize, v: u32) -> Option<()> {
    put(buf, at, &v.to_be_bytes())
}
