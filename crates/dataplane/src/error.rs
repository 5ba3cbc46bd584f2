//! Errors of DPDK calls, carrying what failed and DPDK's own reason.

use std::ffi::CStr;

use jitterguard_dpdk_sys as sys;

/// A DPDK call that failed: what we were doing, and `rte_strerror` of the code.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {reason} (code {code})")]
pub struct DpdkError {
    pub what: String,
    pub code: i32,
    pub reason: String,
}

impl DpdkError {
    /// Builds an error from a negative return value or `rte_errno`.
    pub fn new(what: impl Into<String>, code: i32) -> Self {
        let code = code.abs();
        // SAFETY: rte_strerror returns a pointer to a static or thread-local
        // NUL-terminated string for any code.
        let reason =
            unsafe { CStr::from_ptr(sys::rte_strerror(code)) }.to_string_lossy().into_owned();
        DpdkError { what: what.into(), code, reason }
    }

    /// Builds an error from the calling thread's `rte_errno`.
    pub fn from_errno(what: impl Into<String>) -> Self {
        // SAFETY: reads the per-lcore errno variable through the shim.
        let code = unsafe { sys::jg_errno() };
        Self::new(what, code)
    }
}

/// Turns a DPDK `int` return value (negative = error) into a Result.
pub(crate) fn check(ret: i32, what: impl FnOnce() -> String) -> Result<i32, DpdkError> {
    if ret < 0 {
        Err(DpdkError::new(what(), ret))
    } else {
        Ok(ret)
    }
}
