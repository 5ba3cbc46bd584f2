//! ns per `FlowShield::on_segment` call, steady state of one bulk flow:
//! a data segment from S, an ACK from R carrying SACK blocks (a hole that
//! stays open below them), and a data + ACK pair. Timestamps on.
//!
//! Run: CARGO_TARGET_DIR=/tmp/target-shield cargo bench -p shield --bench on_segment

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shield::{
    ActionConfig, Class, Dir, Emits, FlowActions, FlowShield, GroupState, Segment, ShieldConfig,
    TcpOpts, FLAG_ACK, FLAG_SYN,
};

const MSS: u32 = 1448;

struct Bulk {
    flow: FlowShield,
    /// Shield mode: decisions after measurement (None: monitor).
    actions: Option<(FlowActions, Emits)>,
    group: GroupState,
    cfg: ShieldConfig,
    now: u64,
    nxt: u32,
    una: u32,
}

impl Bulk {
    fn new() -> Bulk {
        let cfg = ShieldConfig::default();
        let isn = u32::MAX - 1_000_000;
        let mut opts = TcpOpts {
            mss: Some(MSS as u16),
            wscale: Some(7),
            sack_perm: true,
            ts: Some((1, 0)),
            ..TcpOpts::default()
        };
        let syn = Segment {
            dir: Dir::FromCore,
            seq: isn,
            ack: 0,
            flags: FLAG_SYN,
            window: 65535,
            payload_len: 0,
            opts,
        };
        let now = 1_000_000_000;
        let mut b = Bulk {
            flow: FlowShield::new(now, &syn),
            actions: None,
            group: GroupState::new(now),
            cfg,
            now,
            nxt: isn.wrapping_add(1),
            una: isn.wrapping_add(1),
        };
        b.flow.on_segment(b.now, &syn, &mut b.group, &b.cfg);
        b.now += 40_000_000;
        opts.ts = Some((1, 1));
        let synack = Segment {
            dir: Dir::FromAccess,
            seq: 1,
            ack: b.nxt,
            flags: FLAG_SYN | FLAG_ACK,
            window: 65535,
            payload_len: 0,
            opts,
        };
        b.flow.on_segment(b.now, &synack, &mut b.group, &b.cfg);
        // Warm up: 100 segments in flight, 10 ms at 10 kpps (the TSecr R echoes matches).
        for _ in 0..100 {
            b.data();
        }
        b
    }

    fn step(&mut self, seg: &Segment) {
        match self.actions.as_mut() {
            Some((a, e)) => {
                e.clear();
                black_box(a.on_segment(
                    &mut self.flow,
                    self.now,
                    black_box(seg),
                    &mut self.group,
                    &self.cfg,
                    e,
                ));
            }
            None => {
                black_box(self.flow.on_segment(
                    self.now,
                    black_box(seg),
                    &mut self.group,
                    &self.cfg,
                ));
            }
        }
    }

    fn data(&mut self) {
        self.now += 100_000; // 10 kpps
        let ts = (self.now / 1_000_000) as u32;
        let seg = Segment {
            dir: Dir::FromCore,
            seq: self.nxt,
            ack: 2,
            flags: FLAG_ACK,
            window: 2000,
            payload_len: MSS,
            opts: TcpOpts { ts: Some((ts, 7)), ..TcpOpts::default() },
        };
        self.step(&seg);
        self.nxt = self.nxt.wrapping_add(MSS);
    }

    /// ACK advancing by one segment, with three SACK blocks above a hole of one segment.
    fn ack_with_sack(&mut self) {
        self.now += 100_000;
        self.una = self.una.wrapping_add(MSS);
        let hole_end = self.una.wrapping_add(MSS);
        let mut opts =
            TcpOpts { ts: Some((9, (self.now / 1_000_000) as u32 - 10)), ..TcpOpts::default() };
        opts.sack[0] = (hole_end, hole_end.wrapping_add(10 * MSS));
        opts.sack[1] = (hole_end.wrapping_add(12 * MSS), hole_end.wrapping_add(20 * MSS));
        opts.sack[2] = (hole_end.wrapping_add(22 * MSS), hole_end.wrapping_add(30 * MSS));
        opts.sack_len = 3;
        let seg = Segment {
            dir: Dir::FromAccess,
            seq: 2,
            ack: self.una,
            flags: FLAG_ACK,
            window: 2000,
            payload_len: 0,
            opts,
        };
        self.step(&seg);
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("on_segment");
    g.throughput(Throughput::Elements(1));
    g.bench_function("data_from_core", |bch| {
        let mut b = Bulk::new();
        bch.iter(|| b.data())
    });
    g.bench_function("ack_with_3_sack_blocks", |bch| {
        let mut b = Bulk::new();
        // Time only the ACKs; refill outstanding data (untimed) so every ACK
        // advances over data the box saw.
        bch.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(50_000);
                for _ in 0..n + 40 {
                    b.data();
                }
                let t = Instant::now();
                for _ in 0..n {
                    b.ack_with_sack();
                }
                timed += t.elapsed();
                left -= n;
            }
            timed
        })
    });
    g.throughput(Throughput::Elements(2));
    g.bench_function("data_plus_ack_pair", |bch| {
        let mut b = Bulk::new();
        bch.iter(|| {
            b.data();
            b.ack_with_sack();
        })
    });
    // Shield mode: every ACK reveals a new one-segment hole that the next
    // fills without retransmission (reordering), so the flow turns Jitter
    // and every ACK runs the actions (hide the young hole: RewriteAck).
    g.bench_function("shield_mode_data_plus_ack_pair", |bch| {
        let mut b = Bulk::new();
        b.cfg.actions = ActionConfig::all_on();
        b.actions = Some((FlowActions::new(), Emits::new()));
        for _ in 0..20_000 {
            b.data();
            b.ack_with_sack();
        }
        assert_eq!(
            b.flow.effective_class(&b.group),
            Class::Jitter,
            "bench must measure the acting path: {:?} {:?}",
            b.flow.report(b.now),
            b.group.report()
        );
        bch.iter(|| {
            b.data();
            b.ack_with_sack();
        });
        let st = b.actions.map(|(a, _)| a.stats()).unwrap_or_default();
        assert!(st.acks_holes_hidden > 0);
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
