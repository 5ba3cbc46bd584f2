//! Symmetric RSS: a Toeplitz key made of the 16-bit pattern 0x6D5A repeated,
//! which hashes (src, dst) and (dst, src) to the same value, so both
//! directions of a flow land on the same queue index (Woo & Park, 2012).

/// RSS hash types: IPv4/IPv6 addresses and TCP/UDP ports.
pub const RSS_HF_IP_TCP_UDP: u64 = (1 << 2) // RTE_ETH_RSS_IPV4
    | (1 << 3) // FRAG_IPV4
    | (1 << 4) // NONFRAG_IPV4_TCP
    | (1 << 5) // NONFRAG_IPV4_UDP
    | (1 << 7) // NONFRAG_IPV4_OTHER
    | (1 << 8) // IPV6
    | (1 << 9) // FRAG_IPV6
    | (1 << 10) // NONFRAG_IPV6_TCP
    | (1 << 11) // NONFRAG_IPV6_UDP
    | (1 << 13); // NONFRAG_IPV6_OTHER

/// Builds the symmetric key of `len` bytes (40 for most NICs, 52 for some).
pub fn symmetric_key(len: usize) -> Vec<u8> {
    (0..len).map(|i| if i % 2 == 0 { 0x6d } else { 0x5a }).collect()
}

/// Software Toeplitz hash, used to check the key's symmetry in tests and by
/// tools that predict which queue a flow lands on.
pub fn toeplitz(key: &[u8], input: &[u8]) -> u32 {
    let mut result = 0u32;
    let key_bit = |i: usize| -> u32 {
        let byte = key.get(i / 8).copied().unwrap_or(0);
        ((byte >> (7 - (i % 8))) & 1) as u32
    };
    // The 32-bit window of the key starting at bit i.
    let window = |i: usize| -> u32 { (0..32).fold(0u32, |acc, b| (acc << 1) | key_bit(i + b)) };
    for (byte_idx, byte) in input.iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                result ^= window(byte_idx * 8 + bit);
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v
    }

    #[test]
    fn symmetric_key_hashes_both_directions_alike() {
        let key = symmetric_key(40);
        for (a, b, p, q) in [
            ([198, 18, 0, 1], [198, 18, 0, 2], 40000u16, 5201u16),
            ([198, 19, 7, 9], [198, 18, 200, 3], 1, 65535),
        ] {
            assert_eq!(toeplitz(&key, &tuple(a, b, p, q)), toeplitz(&key, &tuple(b, a, q, p)));
        }
    }

    #[test]
    fn toeplitz_matches_the_published_verification_vector() {
        // Microsoft's RSS verification suite, IPv4 with TCP ports:
        // 66.9.149.187:2794 -> 161.142.100.80:1766 = 0x51ccc178.
        let key = [
            0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
            0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
            0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
        ];
        let input = tuple([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766);
        assert_eq!(toeplitz(&key, &input), 0x51cc_c178);
    }
}
