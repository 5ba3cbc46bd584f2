//! Packet-buffer pools (`rte_pktmbuf_pool_create`).

use std::ffi::CString;
use std::ptr::NonNull;

use jitterguard_dpdk_sys as sys;

use crate::error::DpdkError;

/// A pool of packet buffers. Freed on drop; drop it only after the ports that
/// receive into it are closed and every mbuf taken from it is back.
pub struct Mempool {
    raw: NonNull<sys::rte_mempool>,
}

// SAFETY: rte_mempool is designed for concurrent use from several lcores
// (per-lcore caches plus a lock-free ring).
unsafe impl Send for Mempool {}
// SAFETY: as above; all mempool operations are thread-safe.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Creates a pool of `size` mbufs with a per-lcore cache of `cache`,
    /// room for a 1518-byte frame plus headroom, on `socket` (-1 = any).
    pub fn new(name: &str, size: u32, cache: u32, socket: i32) -> Result<Mempool, DpdkError> {
        let c_name = CString::new(name).expect("mempool names are ASCII");
        // SAFETY: c_name is a valid C string for the duration of the call;
        // the EAL must be initialised, which callers guarantee by holding Eal.
        let raw = unsafe {
            sys::rte_pktmbuf_pool_create(
                c_name.as_ptr(),
                size,
                cache,
                0,
                sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16,
                socket,
            )
        };
        NonNull::new(raw)
            .map(|raw| Mempool { raw })
            .ok_or_else(|| DpdkError::from_errno(format!("mempool '{name}' of {size} mbufs")))
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::rte_mempool {
        self.raw.as_ptr()
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        // SAFETY: the pool was created by rte_pktmbuf_pool_create and no port
        // or mbuf refers to it any more (caller's contract, see type docs).
        unsafe { sys::rte_mempool_free(self.raw.as_ptr()) }
    }
}
