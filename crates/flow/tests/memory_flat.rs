//! Everything is allocated and made resident at construction: filling the
//! table to capacity (and churning it) does not grow the resident set.
//! Linux only (reads /proc/self/statm). Runs as its own test binary so no
//! other test allocates concurrently.

#![cfg(target_os = "linux")]

use std::net::{IpAddr, Ipv4Addr};

use flow::{tcp_flags, FlowKey, FlowTable, FlowTableConfig, PacketInfo};

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn resident_size_is_flat_after_construction() {
    const N: u32 = 200_000;
    let before = resident_bytes();
    let config = FlowTableConfig { capacity: N as usize, ..FlowTableConfig::default() };
    let mut table: FlowTable<u64> = FlowTable::new(&config, 0);
    let after_new = resident_bytes();
    // The table is about 244 bytes per flow; it must be resident already.
    assert!(after_new - before > u64::from(N) * 200, "table not resident: {}", after_new - before);

    // A SYN flood: fill to capacity, then overflow by as much again.
    for i in 0..2 * N {
        let b = i.to_be_bytes();
        let (k, s) = FlowKey::from_packet(
            IpAddr::V4(Ipv4Addr::new(198, 18, b[1], b[2])),
            IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
            6,
            u16::from(b[3]) << 8 | 1,
            80,
            [0, 0],
            None,
        );
        let pkt = PacketInfo {
            side: s,
            from_core: true,
            len: 60,
            tcp_flags: Some(tcp_flags::SYN),
            teid: None,
        };
        let _ = table.track(&k, k.symmetric_hash(), &pkt, 1, || u64::from(i));
    }
    assert_eq!(table.len(), N as usize);
    assert_eq!(table.stats().table_full, u64::from(N));
    // ...and let it all expire.
    assert!(table.expire(60_000_000_000, usize::MAX, |_, _| {}));
    assert!(table.is_empty());
    let grown = resident_bytes().saturating_sub(after_new);
    // Allow 1 MiB of slack for the test harness and allocator bookkeeping.
    assert!(grown < 1 << 20, "resident set grew by {grown} bytes under load");
}
