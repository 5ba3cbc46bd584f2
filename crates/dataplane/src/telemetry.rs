//! DPDK telemetry commands (`/jitterguard/...`), so `dpdk-telemetry.py`
//! shows jitterguard's counters next to the ethdev ones. Each command
//! answers a flat dictionary; the handler runs on DPDK's telemetry thread,
//! never on a worker.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::{Mutex, OnceLock};

use jitterguard_dpdk_sys as sys;

use crate::error::{check, DpdkError};

/// One dictionary value.
pub enum TelValue {
    U64(u64),
    Str(String),
}

type Handler = Box<dyn Fn(&str) -> Vec<(String, TelValue)> + Send + Sync>;

fn handlers() -> &'static Mutex<HashMap<String, Handler>> {
    static H: OnceLock<Mutex<HashMap<String, Handler>>> = OnceLock::new();
    H.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps a string within telemetry's limits, on a char boundary.
fn clamp(s: &str, max: usize) -> CString {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    CString::new(s[..end].replace('\0', " ")).unwrap_or_default()
}

unsafe extern "C" fn callback(
    cmd: *const libc::c_char,
    params: *const libc::c_char,
    d: *mut sys::rte_tel_data,
) -> libc::c_int {
    // SAFETY: the telemetry library passes NUL-terminated strings (params
    // may be null) and a valid output object for the duration of the call.
    let (cmd, params) = unsafe {
        (
            CStr::from_ptr(cmd).to_string_lossy().into_owned(),
            if params.is_null() {
                String::new()
            } else {
                CStr::from_ptr(params).to_string_lossy().into_owned()
            },
        )
    };
    let entries = match handlers().lock() {
        Ok(h) => match h.get(&cmd) {
            Some(f) => f(&params),
            None => return -libc::EINVAL,
        },
        Err(_) => return -libc::EIO,
    };
    // SAFETY: d is valid (see above); every name/value is a NUL-terminated
    // string within RTE_TEL_MAX_STRING_LEN that outlives its call.
    unsafe {
        sys::rte_tel_data_start_dict(d);
        let max_len = sys::RTE_TEL_MAX_STRING_LEN as usize - 1;
        for (name, value) in entries.iter().take(sys::RTE_TEL_MAX_DICT_ENTRIES as usize) {
            let n = clamp(name, max_len);
            match value {
                TelValue::U64(v) => sys::rte_tel_data_add_dict_u64(d, n.as_ptr(), *v),
                TelValue::Str(s) => {
                    let v = clamp(s, max_len);
                    sys::rte_tel_data_add_dict_string(d, n.as_ptr(), v.as_ptr())
                }
            };
        }
    }
    0
}

/// Registers `cmd` (e.g. "/jitterguard/stats") answered by `handler`, which
/// receives the command's parameters. Call after EAL init.
pub fn register(
    cmd: &str,
    help: &str,
    handler: impl Fn(&str) -> Vec<(String, TelValue)> + Send + Sync + 'static,
) -> Result<(), DpdkError> {
    let c_cmd = CString::new(cmd).expect("command names are ASCII");
    let c_help = CString::new(help).expect("help is ASCII");
    handlers()
        .lock()
        .map_err(|_| DpdkError::new("telemetry handlers", libc::EIO))?
        .insert(cmd.to_string(), Box::new(handler));
    // SAFETY: valid C strings (copied by the library) and a callback with
    // the telemetry_cb signature.
    let ret =
        unsafe { sys::rte_telemetry_register_cmd(c_cmd.as_ptr(), Some(callback), c_help.as_ptr()) };
    check(ret, || format!("telemetry command {cmd}")).map(|_| ())
}
