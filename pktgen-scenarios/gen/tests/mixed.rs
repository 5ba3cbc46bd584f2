mod common;

use std::path::Path;

use common::{decode, in_test_ranges, read_pcap, tmpdir};
use jg_scenario_gen::scenario::mixed;

fn committed() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
}

#[test]
fn mixed_contains_every_promised_kind_with_valid_checksums() {
    let dir = tmpdir("mixed");
    let summary = mixed::generate(&dir, 1).unwrap();
    assert!((40..=80).contains(&summary.core_frames), "{}", summary.core_frames);
    assert!((40..=80).contains(&summary.access_frames), "{}", summary.access_frames);

    let mut seen = std::collections::BTreeSet::new();
    for (port, file) in [("core", "mixed.core.pcap"), ("access", "mixed.access.pcap")] {
        let frames = read_pcap(&dir.join(file));
        let mut last = 0;
        for (i, f) in frames.iter().enumerate() {
            assert!(f.ts_us >= last, "{port} frame {i}: time goes back");
            last = f.ts_us;
            let d = decode(&f.data);
            let src_mac = &f.data[6..12];
            match port {
                "core" => assert_eq!(src_mac, jg_scenario_gen::addr::CORE_MAC),
                _ => assert_eq!(src_mac, jg_scenario_gen::addr::ACCESS_MAC),
            }
            for a in [d.src, d.dst, d.inner_src, d.inner_dst].into_iter().flatten() {
                assert!(in_test_ranges(&a), "{port} frame {i}: {a}");
            }
            if d.ethertype == 0x0806 {
                seen.insert("arp");
            }
            if d.vlans.len() == 1 && d.tcp.is_some() {
                seen.insert("vlan-tcp");
            }
            if d.vlans.len() == 2 && d.vlans[0].0 == 0x88a8 && d.tcp.is_some() {
                seen.insert("qinq-tcp");
            }
            if d.ethertype == 0x86dd && d.tcp.is_some() {
                seen.insert("ipv6-tcp");
            }
            if let Some((_, pdu)) = d.gtpu {
                if d.tcp.is_some() {
                    assert_eq!(
                        pdu,
                        Some(if port == "core" { 0 } else { 1 }),
                        "DL on core, UL on access"
                    );
                    seen.insert("gtpu-tcp");
                }
            }
            if d.fragment {
                seen.insert("ipv4-fragment");
            }
            if d.udp_ports.is_some() && d.gtpu.is_none() && !d.fragment {
                seen.insert("udp");
            }
            match d.malformed {
                Some("tcp header truncated") | Some("ipv4 total length beyond frame") => {
                    seen.insert("truncated");
                }
                Some("bad tcp data offset") => {
                    seen.insert("bad-data-offset");
                }
                Some(other) => panic!("{port} frame {i}: unexpected malformation {other}"),
                None => {}
            }
            if d.malformed.is_none() {
                if let Some(ok) = d.ipv4_header_ok {
                    assert!(ok, "{port} frame {i}: IPv4 header checksum");
                }
                if let Some(t) = &d.tcp {
                    assert!(t.checksum_ok, "{port} frame {i}: TCP checksum");
                    if t.flags & 0x12 == 0x02 || t.flags & 0x12 == 0x12 {
                        seen.insert(if port == "core" { "syn-core" } else { "syn-access" });
                    }
                    if t.flags & 0x01 != 0 {
                        seen.insert(if port == "core" { "fin-core" } else { "fin-access" });
                    }
                    if t.payload_len > 0 {
                        seen.insert(if port == "core" { "data-core" } else { "data-access" });
                    }
                }
                if let Some(ok) = d.udp_checksum_ok {
                    assert!(ok, "{port} frame {i}: UDP checksum");
                }
            }
            if d.malformed.is_none() && f.data.len() < 60 {
                panic!("{port} frame {i}: {} bytes, not padded", f.data.len());
            }
        }
    }
    for kind in [
        "arp",
        "vlan-tcp",
        "qinq-tcp",
        "ipv6-tcp",
        "gtpu-tcp",
        "ipv4-fragment",
        "udp",
        "truncated",
        "bad-data-offset",
        "syn-core",
        "syn-access",
        "fin-core",
        "fin-access",
        "data-core",
        "data-access",
    ] {
        assert!(seen.contains(kind), "missing {kind}; saw {seen:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tmpdir("mixed-a");
    let b = tmpdir("mixed-b");
    let c = tmpdir("mixed-c");
    mixed::generate(&a, 5).unwrap();
    mixed::generate(&b, 5).unwrap();
    mixed::generate(&c, 6).unwrap();
    let read = |d: &Path| std::fs::read(d.join("mixed.core.pcap")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    for d in [a, b, c] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn committed_mixed_pcaps_match_the_documented_command() {
    // pktgen-scenarios/scenarios/mixed.* = `jg-gen mixed --out-dir ...` (seed 1).
    let dir = tmpdir("mixed-committed");
    mixed::generate(&dir, 1).unwrap();
    for f in ["mixed.core.pcap", "mixed.access.pcap"] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(committed().join(f)).unwrap(),
            "{f} differs from the committed file: regenerate it (see pktgen-scenarios/README.md)"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
