//! Classifier on synthetic traces: a modelled S -> box -> J -> R connection
//! (tests/common) driven on a scripted clock, one profile per test.

mod common;

use common::{Bottleneck, Profile, Sim};
use shield::{Class, ShieldConfig, TraceKind};

fn run(p: Profile, secs: f64) -> Sim {
    let mut sim = Sim::new(p, ShieldConfig::default());
    sim.run_secs(secs);
    sim
}

/// Class changes recorded in the flow's trace.
fn class_changes(sim: &Sim) -> Vec<(Class, Class)> {
    sim.flow
        .trace()
        .filter_map(|e| match e.kind {
            TraceKind::ClassChanged { from, to, .. } => Some((from, to)),
            _ => None,
        })
        .collect()
}

#[test]
fn clean_path_is_clear() {
    let sim = run(Profile::default(), 20.0);
    let r = sim.report();
    assert_eq!(r.class, Class::Clear, "{r:#?}");
    assert!(r.confidence >= 50);
    assert_eq!((r.stalls, r.reorder_events, r.j_loss_events, r.holes_reported), (0, 0, 0, 0));
    let min = r.j_rtt_min_us.unwrap();
    assert!((40_000..=41_000).contains(&min), "J min rtt {min}");
    assert!(r.queue_delay_us.unwrap() < 2_000);
    assert_eq!(class_changes(&sim), vec![(Class::Congested, Class::Clear)]);
}

#[test]
fn stalls_are_jitter() {
    let p = Profile { stall_every_us: 2_000_000, stall_len_us: 300_000, ..Profile::default() };
    let sim = run(p, 20.0);
    let r = sim.report();
    assert_eq!(r.class, Class::Jitter, "{r:#?}");
    // 9 stalls start within 20 s (at 2, 4, ... 18 s).
    assert!((8..=10).contains(&r.stalls), "stalls {}", r.stalls);
    assert!(
        r.longest_stall_us >= 300_000 && r.longest_stall_us < 400_000,
        "{}",
        r.longest_stall_us
    );
    assert!(r.queue_delay_us.unwrap() < 10_000, "stall samples kept out of the queue estimate");
}

#[test]
fn random_loss_at_low_delay_is_jitter() {
    let p = Profile { loss_ppm: 10_000, ..Profile::default() };
    let sim = run(p, 30.0);
    let r = sim.report();
    assert_eq!(r.class, Class::Jitter, "{r:#?}");
    // Loss on J measured within +-30 % of what the model dropped.
    let truth = sim.data_lost_on_j as f64;
    let seen = r.j_lost_bytes as f64 / common::MSS as f64;
    assert!((seen - truth).abs() <= 0.3 * truth, "J loss seen {seen} vs dropped {truth}");
    assert_eq!(r.upstream_loss_events, 0);
    assert!(r.counterfactual.fast_retx_by_j_loss > 0);
}

#[test]
fn reordering_is_jitter() {
    let p = Profile { jitter_us: 10_000, ..Profile::default() };
    let sim = run(p, 20.0);
    let r = sim.report();
    assert_eq!(r.class, Class::Jitter, "{r:#?}");
    assert!(r.reorder_events > 10, "{}", r.reorder_events);
    assert!(r.reorder_max_us > 0 && r.reorder_max_us <= 20_000, "{}", r.reorder_max_us);
    assert!(r.j_lost_bytes <= r.bytes_sent / 1000, "reordering is not loss: {r:#?}");
    assert!(r.jitter_us > 1_000);
}

#[test]
fn congested_drop_tail_queue_is_congested() {
    let p = Profile {
        bottleneck: Some(Bottleneck {
            rate_bps: 12_000_000,
            buffer_pkts: 100,
            cross_bps: 6_000_000,
        }),
        max_cwnd: 200,
        initial_ssthresh: 60,
        ..Profile::default()
    };
    let sim = run(p, 30.0);
    let r = sim.report();
    assert_eq!(r.class, Class::Congested, "{r:#?}");
    assert!(r.confidence >= 50);
    assert!(r.queue_delay_us.unwrap() > 10_000, "{r:#?}");
    assert!(sim.data_lost_on_j > 0 && r.j_loss_events > 0, "drop-tail losses seen");
    assert_eq!(sim.group.class(), Class::Congested);
}

#[test]
fn hysteresis_one_noisy_tick_does_not_flip() {
    // A clean flow, then a burst of samples carrying a 40 ms queue that fits in one tick,
    // then clean again: the class stays Clear throughout.
    let cfg = ShieldConfig::default();
    let mut s = common::Scripted::new(cfg);
    s.steady(5_000_000, 40_000);
    assert_eq!(s.flow.class(), Class::Clear);
    s.steady(40_000, 80_000);
    s.steady(3_000_000, 40_000);
    assert_eq!(s.flow.class(), Class::Clear);
    let changes: Vec<_> =
        s.flow.trace().filter(|e| matches!(e.kind, TraceKind::ClassChanged { .. })).collect();
    assert_eq!(changes.len(), 1, "only the initial change to Clear: {changes:?}");
    // A sustained queue does flip it.
    s.steady(1_000_000, 80_000);
    assert_eq!(s.flow.class(), Class::Congested);
}
