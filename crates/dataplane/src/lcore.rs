//! Launching closures on EAL worker lcores (each pinned to its CPU by the EAL).

use jitterguard_dpdk_sys as sys;

use crate::error::{check, DpdkError};

type Job = Box<dyn FnOnce() + Send + 'static>;

unsafe extern "C" fn trampoline(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the Box<Job> leaked by `launch`, consumed exactly once.
    let job: Box<Job> = unsafe { Box::from_raw(arg as *mut Job) };
    job();
    0
}

/// The worker lcores the EAL was started with (`-l`), main lcore excluded.
pub fn worker_lcores() -> Vec<u32> {
    let mut out = Vec::new();
    // SAFETY: iterating the EAL's lcore table after init; RTE_MAX_LCORE ends it.
    unsafe {
        let mut id = sys::rte_get_next_lcore(u32::MAX, 1, 0);
        while id < sys::RTE_MAX_LCORE {
            out.push(id);
            id = sys::rte_get_next_lcore(id, 1, 0);
        }
    }
    out
}

/// Runs `job` on worker `lcore`.
pub fn launch(lcore: u32, job: impl FnOnce() + Send + 'static) -> Result<(), DpdkError> {
    let boxed: Box<Job> = Box::new(Box::new(job));
    let arg = Box::into_raw(boxed) as *mut libc::c_void;
    // SAFETY: trampoline matches lcore_function_t and takes ownership of arg.
    let ret = unsafe { sys::rte_eal_remote_launch(Some(trampoline), arg, lcore) };
    if ret < 0 {
        // SAFETY: the launch failed, so the job was not consumed; reclaim it.
        drop(unsafe { Box::from_raw(arg as *mut Job) });
    }
    check(ret, || format!("launch on lcore {lcore}")).map(|_| ())
}

/// Waits until every worker lcore has returned.
pub fn wait_all() {
    // SAFETY: called from the main lcore after launches.
    unsafe { sys::rte_eal_mp_wait_lcore() }
}
