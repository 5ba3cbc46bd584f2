//! Raw FFI bindings to Debian's DPDK 22.11 (bindgen at build time) plus a C
//! shim for the `static inline` burst functions. Nothing else lives here: the
//! safe layer is `crates/dataplane`.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(clippy::all, unnecessary_transmutes, improper_ctypes)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields the dataplane reads per packet must sit where the C
    /// compiler puts them (bindgen's own layout tests cover the rest).
    #[test]
    fn mbuf_hot_fields_are_where_dpdk_puts_them() {
        assert_eq!(std::mem::size_of::<rte_mbuf>(), 128);
        assert_eq!(std::mem::offset_of!(rte_mbuf, buf_addr), 0);
        assert_eq!(std::mem::offset_of!(rte_mbuf, data_off), 16);
    }

    #[test]
    fn shim_reports_the_linked_dpdk_version() {
        // SAFETY: rte_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(jg_version()) };
        assert!(v.to_string_lossy().starts_with("DPDK 22.11"), "{v:?}");
    }
}
