//! The scenarios' address plan. Everything lives in the benchmarking ranges:
//! IPv4 198.18.0.0/15 (RFC 2544) and IPv6 2001:2::/48 (RFC 5180).
//!
//! * S side (behind the core port): 198.18.0.0/16, 2001:2:0:1::/64
//! * R side (behind the access port): 198.19.0.0/16, 2001:2:0:2::/64
//! * GTP-U: UPF 198.18.255.1 (core side), gNBs 198.19.255.1.. (access side)
//! * MACs are locally administered: 02:00:00:00:00:01 is the core-side
//!   next hop, 02:00:00:00:00:02 the access-side one.

use std::net::{Ipv4Addr, Ipv6Addr};

pub const CORE_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const ACCESS_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

pub const UPF: Ipv4Addr = Ipv4Addr::new(198, 18, 255, 1);

/// A host on the S side, `index` counted from 198.18.0.1 (wraps inside the /16,
/// skipping the UPF block 198.18.255.0/24).
pub fn sender_v4(index: u32) -> Ipv4Addr {
    let host = 1 + index % 0xfeff;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) + host)
}

/// A host on the R side, `index` counted from 198.19.0.1 (wraps inside the /16,
/// skipping the gNB block 198.19.255.0/24).
pub fn receiver_v4(index: u32) -> Ipv4Addr {
    let host = 1 + index % 0xfeff;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 19, 0, 0)) + host)
}

pub fn sender_v6(index: u32) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 2, 0, 1, 0, 0, (index >> 16) as u16, index as u16 + 1)
}

pub fn receiver_v6(index: u32) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 2, 0, 2, 0, 0, (index >> 16) as u16, index as u16 + 1)
}

/// gNB number `index` (0..254).
pub fn gnb(index: u32) -> Ipv4Addr {
    Ipv4Addr::new(198, 19, 255, 1 + (index % 254) as u8)
}

/// True for addresses inside 198.18.0.0/15.
pub fn in_benchmark_range(a: Ipv4Addr) -> bool {
    u32::from(a) >> 17 == u32::from(Ipv4Addr::new(198, 18, 0, 0)) >> 17
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_stay_in_range_and_off_the_gtp_blocks() {
        for i in [0u32, 1, 254, 255, 65_278, 65_279, 1_000_000] {
            let s = sender_v4(i);
            let r = receiver_v4(i);
            assert!(in_benchmark_range(s) && in_benchmark_range(r));
            assert_ne!(s.octets()[2], 255);
            assert_ne!(r.octets()[2], 255);
            assert_eq!(s.octets()[1], 18);
            assert_eq!(r.octets()[1], 19);
        }
        assert!(in_benchmark_range(UPF) && in_benchmark_range(gnb(3)));
        assert!(!in_benchmark_range(Ipv4Addr::new(198, 20, 0, 1)));
    }

    #[test]
    fn v6_hosts_are_in_2001_2_slash_48() {
        let a = receiver_v6(70_000);
        assert_eq!(&a.segments()[..3], &[0x2001, 2, 0]);
    }
}
