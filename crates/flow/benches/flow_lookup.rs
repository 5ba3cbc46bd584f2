//! Per-packet flow tracking cost at 1k, 64k, 1M and 4M active flows with
//! uniformly random access (every packet picks a random live flow).
//!
//! Each measured packet: build the canonical key from a 5-tuple, compute the
//! symmetric hash, `FlowTable::track` (lookup + counter/state update). The
//! flow index is drawn from an in-register PRNG so that no auxiliary array
//! adds cache misses of its own. Two variants:
//! * `per_packet`: one packet at a time, no prefetch;
//! * `burst32_prefetch`: 32 packets as a DPDK burst would arrive: keys and
//!   hashes first, then `prefetch_index` for all, `prefetch_entry` for all,
//!   then `track` for all. Reported per burst; divide by 32 for
//!   ns/packet.
//!
//! `key_hash_only` is the same key+hash work without the table (the floor).
//!
//! Run: `CARGO_TARGET_DIR=/tmp/target-flow cargo bench -p flow --bench flow_lookup`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flow::{FlowKey, FlowTable, FlowTableConfig, PacketInfo, Side};

const BURST: usize = 32;

/// Flow `i` is UDP 198.18.x.y:port -> 198.19.0.1:53, distinct for i < 2^32.
#[inline]
fn flow_key(i: u32) -> (FlowKey, Side) {
    let b = i.to_be_bytes();
    FlowKey::from_packet(
        IpAddr::V4(Ipv4Addr::new(198, 18, b[0], b[1])),
        IpAddr::V4(Ipv4Addr::new(198, 19, 0, 1)),
        17,
        u16::from_be_bytes([b[2], b[3]]),
        53,
        [0, 0],
        None,
    )
}

/// xorshift64*: a few cycles, no memory.
struct Rng(u64);
impl Rng {
    #[inline]
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (((r >> 32) * u64::from(n)) >> 32) as u32
    }
}

fn pkt(side: Side) -> PacketInfo {
    PacketInfo { side, from_core: true, len: 1400, tcp_flags: None, teid: None }
}

fn build(n: u32) -> FlowTable<u64> {
    let config = FlowTableConfig { capacity: n as usize, ..FlowTableConfig::default() };
    let mut table = FlowTable::new(&config, 0);
    for i in 0..n {
        let (k, s) = flow_key(i);
        table
            .track(&k, k.symmetric_hash(), &pkt(s), 0, || u64::from(i))
            .expect("capacity equals flow count");
    }
    table
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_track");
    group.sample_size(30);
    group.warm_up_time(std::time::Duration::from_secs(2));
    group.measurement_time(std::time::Duration::from_secs(4));

    group.throughput(Throughput::Elements(1));
    group.bench_function("key_hash_only", |b| {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        b.iter(|| {
            let (k, s) = flow_key(rng.below(1 << 20));
            black_box((k.symmetric_hash(), s))
        })
    });

    for &(label, n) in &[("1k", 1_000u32), ("64k", 65_536), ("1M", 1 << 20), ("4M", 4 << 20)] {
        let mut table = build(n);
        let mut now = 1u64;

        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("per_packet", label), &n, |b, &n| {
            let mut rng = Rng(0x1234_5678_9abc_def1);
            b.iter(|| {
                let (k, s) = flow_key(rng.below(n));
                now += 1;
                let r = table.track(&k, k.symmetric_hash(), &pkt(s), now, || 0);
                black_box(r)
            })
        });

        group.throughput(Throughput::Elements(BURST as u64));
        group.bench_with_input(BenchmarkId::new("burst32_prefetch", label), &n, |b, &n| {
            let mut rng = Rng(0x0fed_cba9_8765_4321);
            let mut keys = [(flow_key(0).0, Side::A, 0u32); BURST];
            b.iter(|| {
                for slot in keys.iter_mut() {
                    let (k, s) = flow_key(rng.below(n));
                    *slot = (k, s, k.symmetric_hash());
                }
                for &(_, _, h) in keys.iter() {
                    table.prefetch_index(h);
                }
                for &(_, _, h) in keys.iter() {
                    table.prefetch_entry(h);
                }
                now += 1;
                for (k, s, h) in keys.iter() {
                    black_box(table.track(k, *h, &pkt(*s), now, || 0).is_ok());
                }
            })
        });
        drop(table);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
