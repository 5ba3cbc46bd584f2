//! Generates Rust bindings for Debian's DPDK 22.11 and compiles the C shim
//! for its `static inline` functions.
//!
//! DPDK is linked dynamically on purpose: the EAL then loads every PMD from
//! its plugin directory by itself (net_pcap, net_af_packet, real NIC drivers),
//! so no driver has to be named at link time.

use std::env;
use std::path::PathBuf;

/// The only DPDK release line this crate is written against (LTS, ABI 23).
const REQUIRED_SERIES: &str = "22.11";

fn main() {
    println!("cargo:rerun-if-changed=src/shim.h");
    println!("cargo:rerun-if-changed=src/shim.c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let lib = match pkg_config::Config::new().cargo_metadata(true).probe("libdpdk") {
        Ok(lib) => lib,
        Err(e) => {
            eprintln!(
                "error: DPDK {REQUIRED_SERIES} was not found with pkg-config ({e}).\n\
                 On Debian 12: apt-get install dpdk dpdk-dev libdpdk-dev libclang-dev pkg-config"
            );
            std::process::exit(1);
        }
    };
    let series: String = lib.version.split('.').take(2).collect::<Vec<_>>().join(".");
    if series != REQUIRED_SERIES {
        eprintln!(
            "error: jitterguard needs DPDK {REQUIRED_SERIES} LTS, pkg-config found libdpdk {}.\n\
             Point PKG_CONFIG_PATH at a {REQUIRED_SERIES} install (Debian 12's libdpdk-dev is one).",
            lib.version
        );
        std::process::exit(1);
    }

    // Same flags as pkg-config reports (includes `-include rte_config.h` and -march).
    let cflags = pkg_config::get_variable("libdpdk", "cflags").unwrap_or_default();
    let mut clang_args: Vec<String> =
        lib.include_paths.iter().map(|p| format!("-I{}", p.display())).collect();
    let cflags_out = std::process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .expect("pkg-config runs");
    let all_cflags = String::from_utf8_lossy(&cflags_out.stdout).to_string() + &cflags;
    let mut words = all_cflags.split_whitespace();
    while let Some(w) = words.next() {
        if w == "-include" {
            if let Some(f) = words.next() {
                clang_args.push("-include".into());
                clang_args.push(f.into());
            }
        } else if w.starts_with("-march") || w.starts_with("-D") {
            clang_args.push(w.into());
        }
    }

    let mut build = cc::Build::new();
    build.file("src/shim.c").opt_level(3).warnings(false);
    for a in &clang_args {
        build.flag(a);
    }
    build.compile("jg_dpdk_shim");

    let bindings = bindgen::Builder::default()
        .header("src/shim.h")
        .clang_args(&clang_args)
        .allowlist_function("rte_.*|jg_.*")
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*")
        // Packed-and-aligned protocol headers that bindgen cannot lay out
        // faithfully; jitterguard parses packets with its own `wire` crate.
        .opaque_type("rte_arp_hdr|rte_arp_ipv4|rte_gtp_.*|rte_l2tpv2_.*|rte_ecpri_.*")
        .opaque_type("rte_flow_item_.*|rte_flow_action_.*")
        .blocklist_type("max_align_t")
        .derive_default(true)
        .layout_tests(true)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .unwrap_or_else(|e| {
            eprintln!("error: bindgen failed over the DPDK headers: {e}");
            std::process::exit(1);
        });
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR set by cargo"));
    bindings.write_to_file(out.join("bindings.rs")).expect("bindings written");
}
