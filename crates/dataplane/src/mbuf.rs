//! Packet buffers: one owned `Mbuf`, and `MbufBurst`, the fixed-size array a
//! worker receives into and transmits from.
//!
//! Per-packet field access (data pointer, lengths) is plain Rust over the
//! bindgen layout of `struct rte_mbuf`; only whole bursts cross into C.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use jitterguard_dpdk_sys as sys;

use crate::mempool::Mempool;

/// Largest burst a worker handles at once.
pub const MAX_BURST: usize = 64;

/// Reads the bytes of the first segment of `m`.
///
/// # Safety
/// `m` must point to a valid mbuf owned by the caller for the lifetime `'a`.
#[inline]
unsafe fn segment<'a>(m: *mut sys::rte_mbuf) -> &'a mut [u8] {
    // SAFETY (of the body): buf_addr + data_off is the first data byte and
    // data_len bytes follow it inside the buffer, by DPDK's mbuf invariants.
    let mb = &*m;
    let start = (mb.buf_addr as *mut u8).add(mb.data_off as usize);
    std::slice::from_raw_parts_mut(start, mb.data_len as usize)
}

/// The reference count of `m`, as the atomic DPDK updates it as.
///
/// # Safety
/// `m` must be a valid mbuf the caller holds a reference to, for `'a`.
#[inline]
unsafe fn refcnt<'a>(m: *mut sys::rte_mbuf) -> &'a AtomicU16 {
    // SAFETY (of the body): refcnt is a naturally aligned u16 inside a valid
    // mbuf, and DPDK only ever changes it atomically while it is shared.
    AtomicU16::from_ptr(std::ptr::addr_of_mut!((*m).refcnt))
}

/// Adds one reference to `m`, as `rte_mbuf_refcnt_update(m, 1)` does, in
/// Rust: a plain store while the caller holds the only reference (no other
/// lcore can see the mbuf, so nothing can race; this is DPDK's own fast
/// path, and it spares a locked instruction per cached segment), else the
/// atomic add (DPDK is built with RTE_MBUF_REFCNT_ATOMIC).
///
/// # Safety
/// `m` must be a valid direct mbuf the caller holds a reference to.
#[inline]
unsafe fn add_reference(m: *mut sys::rte_mbuf) {
    // SAFETY (of the body): `m` is valid and referenced by the caller; a
    // count of 1 held by the caller means it is not shared.
    let rc = refcnt(m);
    if rc.load(Ordering::Relaxed) == 1 {
        rc.store(2, Ordering::Relaxed);
    } else {
        rc.fetch_add(1, Ordering::AcqRel);
    }
}

/// One packet buffer owned by Rust. Moving it between lcores is fine (Send);
/// sharing it is not (not Sync). Dropping it returns it to its pool.
pub struct Mbuf {
    raw: NonNull<sys::rte_mbuf>,
}

// SAFETY: an mbuf is owned by exactly one holder at a time; DPDK allows it to
// be freed or transmitted from any lcore.
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Takes ownership of a raw mbuf.
    ///
    /// # Safety
    /// `raw` must be a valid mbuf that nobody else will free.
    pub unsafe fn from_raw(raw: NonNull<sys::rte_mbuf>) -> Mbuf {
        Mbuf { raw }
    }

    /// Gives up ownership (e.g. to tx_burst or a ring).
    pub fn into_raw(self) -> NonNull<sys::rte_mbuf> {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Allocates an empty mbuf from `pool`; None when the pool is exhausted.
    pub fn alloc(pool: &Mempool) -> Option<Mbuf> {
        // SAFETY: pool is a live mempool; the returned mbuf (if any) is ours.
        NonNull::new(unsafe { sys::jg_pktmbuf_alloc(pool.as_ptr()) }).map(|raw| Mbuf { raw })
    }

    /// The frame bytes (first segment).
    pub fn data(&self) -> &[u8] {
        // SAFETY: we own the mbuf for as long as the borrow of self lasts.
        unsafe { segment(self.raw.as_ptr()) }
    }

    /// The frame bytes, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and &mut self guarantees exclusivity. The
        // caller must not write into an mbuf whose refcount is above one
        // (shared with a cache); `share` documents this.
        unsafe { segment(self.raw.as_ptr()) }
    }

    /// The frame bytes, writable, while this handle holds the only
    /// reference (no copy of it waits in a TX queue); None while shared.
    pub fn data_mut_unshared(&mut self) -> Option<&mut [u8]> {
        // SAFETY: we hold a reference to this valid mbuf for the borrow;
        // an atomic load sees every other holder's update.
        let refs = unsafe { refcnt(self.raw.as_ptr()) }.load(Ordering::Acquire);
        (refs == 1).then(|| self.data_mut())
    }

    /// Sets the frame length of a freshly allocated single-segment mbuf and
    /// returns the writable bytes; None if `len` does not fit the buffer.
    pub fn set_len(&mut self, len: usize) -> Option<&mut [u8]> {
        // SAFETY: we own the mbuf exclusively; we only change its length
        // fields within the room the buffer has after data_off.
        unsafe {
            let mb = self.raw.as_mut();
            let room = mb.buf_len as usize - mb.data_off as usize;
            if len > room || mb.nb_segs != 1 {
                return None;
            }
            mb.data_len = len as u16;
            mb.pkt_len = len as u32;
            Some(segment(self.raw.as_ptr()))
        }
    }

    /// A second handle to the same buffer (reference count + 1, zero copy):
    /// how the shield keeps forwarded data segments for local recovery.
    /// Neither handle may be written to while both exist.
    pub fn share(&self) -> Mbuf {
        // SAFETY: the mbuf is valid; bumping the refcount makes the new handle
        // an independent owner of one reference.
        unsafe { add_reference(self.raw.as_ptr()) };
        Mbuf { raw: self.raw }
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own one reference to a valid mbuf.
        unsafe { sys::jg_pktmbuf_free(self.raw.as_ptr()) }
    }
}

/// A fixed array of owned mbufs: what rx_burst fills and tx_burst drains.
/// Whatever is still inside when it is cleared or dropped is freed with one
/// bulk call.
pub struct MbufBurst {
    ptrs: [*mut sys::rte_mbuf; MAX_BURST],
    len: usize,
}

// SAFETY: owns its mbufs exclusively, like Mbuf.
unsafe impl Send for MbufBurst {}

impl Default for MbufBurst {
    fn default() -> Self {
        MbufBurst { ptrs: [std::ptr::null_mut(); MAX_BURST], len: 0 }
    }
}

impl MbufBurst {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == MAX_BURST
    }

    /// A handle on packet `i` through which a hook reads and rewrites the
    /// frame, keeps a zero-copy reference, or takes the mbuf out.
    #[inline]
    pub fn packet(&mut self, i: usize) -> Packet<'_> {
        assert!(i < self.len);
        Packet { slot: &mut self.ptrs[i] }
    }

    /// Frame bytes of packet `i` (first segment), writable.
    #[inline]
    pub fn frame_mut(&mut self, i: usize) -> &mut [u8] {
        assert!(i < self.len);
        // SAFETY: slot i < len holds an mbuf we own; &mut self is exclusive.
        unsafe { segment(self.ptrs[i]) }
    }

    /// Frame bytes of packet `i` (first segment), read-only; `None` if the
    /// slot was emptied. For hooks that look at a whole burst before
    /// processing its frames one by one.
    #[inline]
    pub fn frame(&self, i: usize) -> Option<&[u8]> {
        let m = *self.ptrs.get(i).filter(|_| i < self.len)?;
        if m.is_null() {
            return None;
        }
        // SAFETY: slot i < len holds a non-null mbuf we own; the shared
        // borrow of self keeps every writer (`frame_mut`, `packet`) away
        // while the slice lives.
        Some(unsafe { segment(m) })
    }

    /// Total packet length of packet `i` (all segments).
    #[inline]
    pub fn pkt_len(&self, i: usize) -> u32 {
        assert!(i < self.len);
        // SAFETY: slot i < len holds a valid mbuf we own.
        unsafe { (*self.ptrs[i]).pkt_len }
    }

    /// Appends an owned mbuf, freeing the whole burst first (one C call) if
    /// it is full: how released mbufs are batched instead of freed one by one.
    pub fn push_or_flush(&mut self, m: Mbuf) {
        if self.is_full() {
            self.compact();
            self.free_all();
        }
        let _ = self.push(m);
    }

    /// Appends an owned mbuf; gives it back if the burst is full.
    pub fn push(&mut self, m: Mbuf) -> Result<(), Mbuf> {
        if self.is_full() {
            return Err(m);
        }
        self.ptrs[self.len] = m.into_raw().as_ptr();
        self.len += 1;
        Ok(())
    }

    /// Moves packet `i` out of the burst into `dst` (keeping order in both);
    /// used to split a received burst by verdict without touching C.
    #[inline]
    pub fn move_to(&mut self, i: usize, dst: &mut MbufBurst) -> bool {
        if i >= self.len || dst.is_full() {
            return false;
        }
        dst.ptrs[dst.len] = self.ptrs[i];
        dst.len += 1;
        self.ptrs[i] = std::ptr::null_mut();
        true
    }

    /// Whether slot `i` was emptied (by `move_to` or `Packet::take`).
    #[inline]
    pub fn is_taken(&self, i: usize) -> bool {
        i < self.len && self.ptrs[i].is_null()
    }

    /// Drops the null holes `move_to` left, keeping order.
    pub fn compact(&mut self) {
        let mut w = 0;
        for r in 0..self.len {
            if !self.ptrs[r].is_null() {
                self.ptrs[w] = self.ptrs[r];
                w += 1;
            }
        }
        self.len = w;
    }

    /// Fills the burst from an RX queue; returns how many arrived.
    pub fn rx(&mut self, port: u16, queue: u16, max: usize) -> usize {
        let room = (MAX_BURST - self.len).min(max);
        // SAFETY: the slice [len, len+room) is free space in our array; the
        // PMD writes at most `room` valid mbuf pointers there.
        let n = unsafe {
            sys::jg_eth_rx_burst(port, queue, self.ptrs.as_mut_ptr().add(self.len), room as u16)
        } as usize;
        self.len += n;
        n
    }

    /// Hands as many packets as the TX queue accepts to the PMD (which now
    /// owns them); the rest stay at the front of the burst, in order.
    pub fn tx(&mut self, port: u16, queue: u16) -> usize {
        if self.len == 0 {
            return 0;
        }
        // SAFETY: ptrs[0..len] are valid mbufs we own; tx_burst takes
        // ownership of the first `sent` of them.
        let sent =
            unsafe { sys::jg_eth_tx_burst(port, queue, self.ptrs.as_mut_ptr(), self.len as u16) }
                as usize;
        self.ptrs.copy_within(sent..self.len, 0);
        self.len -= sent;
        sent
    }

    /// The input port of packet `i` (mbuf field set by the PMD).
    #[inline]
    pub fn port(&self, i: usize) -> u16 {
        assert!(i < self.len);
        // SAFETY: slot i < len holds a valid mbuf we own.
        unsafe { (*self.ptrs[i]).port }
    }

    /// The RX timestamp dynfield of packet `i` (see `rx_timestamp_offset`).
    #[inline]
    pub fn rx_timestamp(&self, i: usize, offset: usize) -> u64 {
        assert!(i < self.len);
        // SAFETY: slot i holds a valid mbuf; `offset` is the registered
        // dynfield offset of an 8-byte timestamp inside struct rte_mbuf.
        unsafe { ((self.ptrs[i] as *const u8).add(offset) as *const u64).read_unaligned() }
    }

    /// Raw pointer array and length, for ring transfers.
    pub(crate) fn raw_parts(&mut self) -> (*mut *mut sys::rte_mbuf, usize) {
        (self.ptrs.as_mut_ptr(), self.len)
    }

    /// Removes the first `n` entries after their ownership went elsewhere.
    pub(crate) fn forget_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.ptrs.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Start of the free room, for ring transfers.
    pub(crate) fn free_tail(&mut self) -> *mut *mut sys::rte_mbuf {
        // SAFETY: len <= MAX_BURST, so the pointer stays within (or one past) the array.
        unsafe { self.ptrs.as_mut_ptr().add(self.len) }
    }

    /// Accounts for `n` entries written into the free room.
    pub(crate) fn grow(&mut self, n: usize) {
        self.len = (self.len + n).min(MAX_BURST);
    }

    /// Frees every packet still in the burst (one C call); returns how many.
    pub fn free_all(&mut self) -> usize {
        let n = self.len;
        if n > 0 {
            // SAFETY: ptrs[0..n] are valid mbufs we own; none is used after.
            unsafe { sys::rte_pktmbuf_free_bulk(self.ptrs.as_mut_ptr(), n as u32) };
            self.len = 0;
        }
        n
    }
}

impl Drop for MbufBurst {
    fn drop(&mut self) {
        self.compact();
        self.free_all();
    }
}

/// One received packet, borrowed from its burst for the hook.
pub struct Packet<'a> {
    slot: &'a mut *mut sys::rte_mbuf,
}

impl Packet<'_> {
    /// The frame bytes (first segment), writable.
    #[inline]
    pub fn frame_mut(&mut self) -> &mut [u8] {
        // SAFETY: the slot holds a valid mbuf owned by the burst, which we
        // borrow exclusively.
        unsafe { segment(*self.slot) }
    }

    /// A second, zero-copy reference to this packet (refcount + 1), e.g. to
    /// keep a forwarded data segment for local recovery.
    pub fn share(&self) -> Mbuf {
        // SAFETY: the slot holds a valid mbuf; the new handle owns one more
        // reference.
        unsafe {
            add_reference(*self.slot);
            Mbuf::from_raw(NonNull::new_unchecked(*self.slot))
        }
    }

    /// Takes the packet out of the burst (it will not be forwarded now);
    /// the caller owns it, e.g. to release it later.
    pub fn take(self) -> Mbuf {
        let raw = std::mem::replace(self.slot, std::ptr::null_mut());
        // SAFETY: raw was a valid, owned mbuf; the slot no longer refers to it.
        unsafe { Mbuf::from_raw(NonNull::new_unchecked(raw)) }
    }
}

/// Offset of DPDK's RX timestamp dynfield inside `struct rte_mbuf`, once a
/// PMD registered it (net_pcap does when the timestamp offload is on).
pub fn rx_timestamp_offset() -> Option<usize> {
    // SAFETY: the name is a static NUL-terminated string; a null params
    // pointer is allowed.
    let off = unsafe {
        sys::rte_mbuf_dynfield_lookup(
            sys::RTE_MBUF_DYNFIELD_TIMESTAMP_NAME.as_ptr() as *const libc::c_char,
            std::ptr::null_mut(),
        )
    };
    (off >= 0 && (off as usize) + 8 <= std::mem::size_of::<sys::rte_mbuf>()).then_some(off as usize)
}
