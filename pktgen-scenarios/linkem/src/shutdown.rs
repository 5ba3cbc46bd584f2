//! SIGINT/SIGTERM → a flag the bridge loop checks, so the emulator prints
//! its counters before exiting. The handler only stores to an atomic, which
//! is async-signal-safe; installing it is a syscall, hence the `unsafe`.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_signal: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM, without SA_RESTART so a
/// blocked `ppoll` returns at once.
pub fn install() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain data; all-zero is a valid value.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
        // SAFETY: `action.sa_mask` is a valid sigset_t to initialise.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: `action` is fully initialised; the handler only touches an atomic.
        let ret = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether a stop signal arrived.
pub fn requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}
