//! The DPDK Environment Abstraction Layer, initialised once per process and
//! cleaned up when the handle drops.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};

use jitterguard_dpdk_sys as sys;

use crate::error::DpdkError;

static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Proof that the EAL is initialised. Dropping it runs `rte_eal_cleanup`, so
/// it must outlive every port, mempool and worker (hold it in `main`).
pub struct Eal {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Eal {
    /// Initialises the EAL with `args` (argv[0] included). DPDK allows this
    /// once per process; a second call is refused.
    pub fn init(args: &[String]) -> Result<Eal, DpdkError> {
        if INITIALISED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError {
                what: "EAL init".into(),
                code: libc::EALREADY,
                reason: "the EAL is already initialised in this process".into(),
            });
        }
        let c_args: Vec<CString> =
            args.iter().map(|a| CString::new(a.as_str())).collect::<Result<_, _>>().map_err(
                |_| DpdkError {
                    what: "EAL init".into(),
                    code: libc::EINVAL,
                    reason: "an EAL argument contains a NUL byte".into(),
                },
            )?;
        let mut argv: Vec<*mut libc::c_char> =
            c_args.iter().map(|a| a.as_ptr() as *mut libc::c_char).collect();
        // SAFETY: argv points to NUL-terminated strings that outlive the call
        // (DPDK keeps pointers into argv only for the process lifetime and we
        // leak c_args below for that reason).
        let ret = unsafe { sys::rte_eal_init(argv.len() as i32, argv.as_mut_ptr()) };
        std::mem::forget(c_args);
        if ret < 0 {
            INITIALISED.store(false, Ordering::SeqCst);
            return Err(DpdkError::from_errno("EAL init"));
        }
        Ok(Eal { _not_send: std::marker::PhantomData })
    }

    /// Lets `dpdk-dumpcap` / `dpdk-pdump` attach as secondary processes.
    /// Fails (harmlessly) when the EAL runs without multi-process support,
    /// e.g. with `--in-memory`.
    pub fn enable_pdump(&self) -> Result<(), DpdkError> {
        // SAFETY: EAL is initialised (self exists); called from the main lcore.
        let ret = unsafe { sys::rte_pdump_init() };
        crate::error::check(ret, || "pdump init".into()).map(|_| ())
    }

    /// TSC ticks per second, for turning cycle counts into time.
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: EAL is initialised; the call only reads a calibrated value.
        unsafe { sys::jg_tsc_hz() }
    }

    /// The DPDK version string, e.g. "DPDK 22.11.11".
    pub fn version() -> String {
        // SAFETY: rte_version returns a static NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(sys::jg_version()) }.to_string_lossy().into_owned()
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: the EAL was initialised by `init`; all DPDK objects created
        // by the caller are dropped before this handle (documented contract).
        unsafe {
            sys::rte_pdump_uninit();
            sys::rte_eal_cleanup();
        }
    }
}

/// Current TSC value (one inlined `rdtsc` through the shim; called per burst).
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: reads the time-stamp counter, no memory access.
    unsafe { sys::jg_rdtsc() }
}
