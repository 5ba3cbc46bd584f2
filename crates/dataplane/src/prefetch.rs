//! Cache prefetch hints for the per-burst pipeline.
//!
//! A prefetch instruction asks the cache to fetch a line and returns at
//! once: unlike a plain load it neither waits for the data nor holds a slot
//! of the out-of-order window, so the flow state of a frame several frames
//! ahead can be requested while the current one is processed. It never
//! faults, whatever the address, so a stale or wrong address costs a wasted
//! line fetch, never correctness.

/// Cache line size assumed for the stride (x86-64, most AArch64 servers).
const LINE: usize = 64;

/// Requests every cache line of `len` bytes from `start` into all cache
/// levels.
#[inline]
pub fn lines(start: *const u8, len: usize) {
    let mut off = 0;
    while off < len {
        line(start.wrapping_add(off));
        off += LINE;
    }
}

#[inline]
fn line(addr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint with no architectural effect; it never
    // faults or reads into a register, whatever `addr` is. SSE, which the
    // intrinsic requires, is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(addr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}
