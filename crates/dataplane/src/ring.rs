//! Software hand-off between workers: one single-producer/single-consumer
//! `rte_ring` per ordered pair of workers. A worker that receives a frame of
//! a flow another worker owns (the NIC could not hash the inner headers, or
//! the vdev has one queue) passes the mbuf over the ring; the owner drains
//! its rings once per loop iteration.

use std::ffi::CString;
use std::ptr::NonNull;

use jitterguard_dpdk_sys as sys;

use crate::error::DpdkError;
use crate::mbuf::{MbufBurst, MAX_BURST};

/// `RING_F_SP_ENQ | RING_F_SC_DEQ` (macros bindgen does not export).
const RING_F_SPSC: u32 = 0x1 | 0x2;

/// An SPSC ring of mbuf pointers. Exactly one worker enqueues and exactly
/// one other worker dequeues; the wiring in the binary guarantees that.
pub struct HandoffRing {
    raw: NonNull<sys::rte_ring>,
}

// SAFETY: rte_ring is built for cross-lcore use; SPSC mode is sound because
// each ring has one producer lcore and one consumer lcore (see type docs).
unsafe impl Send for HandoffRing {}
// SAFETY: as above.
unsafe impl Sync for HandoffRing {}

impl HandoffRing {
    /// Creates a ring holding up to `size - 1` mbufs (`size` a power of two).
    pub fn new(name: &str, size: u32) -> Result<HandoffRing, DpdkError> {
        let c_name = CString::new(name).expect("ring names are ASCII");
        // SAFETY: valid C string; EAL initialised by the caller.
        let raw = unsafe { sys::rte_ring_create(c_name.as_ptr(), size, -1, RING_F_SPSC) };
        NonNull::new(raw)
            .map(|raw| HandoffRing { raw })
            .ok_or_else(|| DpdkError::from_errno(format!("hand-off ring '{name}'")))
    }

    /// Moves as many frames of `burst` as fit into the ring (in order);
    /// returns how many. The rest stay in `burst`.
    pub fn enqueue(&self, burst: &mut MbufBurst) -> usize {
        let (ptrs, len) = burst.raw_parts();
        if len == 0 {
            return 0;
        }
        // SAFETY: ptrs[0..len] are owned mbuf pointers; the ring takes
        // ownership of the first `n`, which we then remove from the burst.
        let n = unsafe {
            sys::jg_ring_enqueue_burst(
                self.raw.as_ptr(),
                ptrs as *const *mut libc::c_void,
                len as u32,
            )
        } as usize;
        burst.forget_front(n);
        n
    }

    /// Appends up to the burst's free room of frames from the ring.
    pub fn dequeue(&self, burst: &mut MbufBurst) -> usize {
        let room = MAX_BURST - burst.len();
        let tail = burst.free_tail();
        // SAFETY: `tail` has room for `room` pointers; the ring hands us
        // ownership of each mbuf it writes there.
        let n = unsafe {
            sys::jg_ring_dequeue_burst(
                self.raw.as_ptr(),
                tail as *mut *mut libc::c_void,
                room as u32,
            )
        } as usize;
        burst.grow(n);
        n
    }
}

impl Drop for HandoffRing {
    fn drop(&mut self) {
        // Frames still inside are lost to the pool until the EAL cleans up;
        // workers drain rings before they stop, so this is only a safety net.
        let mut burst = MbufBurst::default();
        while self.dequeue(&mut burst) > 0 {
            burst.free_all();
        }
        // SAFETY: the ring was created by rte_ring_create and no worker uses
        // it any more (workers are joined before rings drop).
        unsafe { sys::rte_ring_free(self.raw.as_ptr()) }
    }
}
