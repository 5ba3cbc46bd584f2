//! Process signals: SIGINT/SIGTERM ask every worker to stop at its next
//! burst; SIGHUP asks the management thread to reload the config.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT/SIGTERM; workers poll it once per loop iteration.
pub static STOP: AtomicBool = AtomicBool::new(false);
/// Set by SIGHUP; the management thread takes it with `take_reload`.
pub static RELOAD: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_sig: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

extern "C" fn on_reload(_sig: libc::c_int) {
    RELOAD.store(true, Ordering::Relaxed);
}

/// Installs the handlers (async-signal-safe: they only store to atomics).
pub fn install_handlers() {
    let set = |sig: libc::c_int, handler: extern "C" fn(libc::c_int)| {
        // SAFETY: a zeroed sigaction with a valid handler and empty mask is a
        // valid argument; the handler only performs an atomic store.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    };
    set(libc::SIGINT, on_stop);
    set(libc::SIGTERM, on_stop);
    set(libc::SIGHUP, on_reload);
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Asks the workers to stop (used on fatal errors in the main thread).
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// True once per SIGHUP.
pub fn take_reload() -> bool {
    RELOAD.swap(false, Ordering::Relaxed)
}
