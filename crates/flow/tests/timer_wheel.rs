//! Timer wheel against a simple model: a timer fires at the first advance
//! whose tick reaches its deadline rounded up to a tick, never earlier,
//! exactly once, and not at all once cancelled. Deadlines are drawn at every
//! level's scale (and beyond the wheel's span) to exercise cascading.

use std::collections::BTreeMap;

use flow::{TimerId, TimerWheel, WheelFull};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert { delta: u64 },
    Cancel { pick: usize },
    Reschedule { pick: usize, delta: u64 },
    Advance { dt: u64 },
}

/// Tick-scale offsets spanning level 0 (< 2^8), 1, 2, 3 and the parked
/// range beyond 2^32 ticks.
fn delta_ticks() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        200u64..70_000,
        60_000u64..20_000_000,
        16_000_000u64..5_000_000_000,
        4_000_000_000u64..9_000_000_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => delta_ticks().prop_map(|delta| Op::Insert { delta }),
        1 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        1 => (any::<usize>(), delta_ticks()).prop_map(|(pick, delta)| Op::Reschedule { pick, delta }),
        3 => delta_ticks().prop_map(|dt| Op::Advance { dt }),
    ]
}

fn run(tick_ns: u64, start_ns: u64, ops: Vec<Op>) {
    let mut wheel = TimerWheel::new(64, tick_ns, start_ns);
    let mut now = start_ns;
    // payload -> (id, deadline_ns)
    let mut pending: BTreeMap<u64, (TimerId, u64)> = BTreeMap::new();
    let mut next_payload = 0u64;
    for op in ops {
        match op {
            Op::Insert { delta } => {
                // Offsets are in ticks, jittered inside the tick so rounding
                // is exercised.
                let deadline = now + delta * tick_ns + (delta % tick_ns);
                match wheel.insert(deadline, next_payload) {
                    Ok(id) => {
                        assert_eq!(wheel.payload(id), Some(next_payload));
                        pending.insert(next_payload, (id, deadline));
                    }
                    Err(WheelFull) => assert_eq!(pending.len(), 64),
                }
                next_payload += 1;
            }
            Op::Cancel { pick } => {
                if pending.is_empty() {
                    continue;
                }
                let key = *pending.keys().nth(pick % pending.len()).unwrap();
                let (id, _) = pending.remove(&key).unwrap();
                assert!(wheel.cancel(id));
                assert!(!wheel.cancel(id), "second cancel must see a stale id");
            }
            Op::Reschedule { pick, delta } => {
                if pending.is_empty() {
                    continue;
                }
                let key = *pending.keys().nth(pick % pending.len()).unwrap();
                let deadline = now + delta * tick_ns;
                let entry = pending.get_mut(&key).unwrap();
                assert!(wheel.reschedule(entry.0, deadline));
                entry.1 = deadline;
            }
            Op::Advance { dt } => {
                now += dt * tick_ns / 3 + dt % 7;
                let mut fired = Vec::new();
                wheel.advance(now, |p| fired.push(p));
                fired.sort_unstable();
                let now_tick = now / tick_ns;
                let due: Vec<u64> = pending
                    .iter()
                    .filter(|(_, &(_, d))| d.div_ceil(tick_ns) <= now_tick)
                    .map(|(&p, _)| p)
                    .collect();
                assert_eq!(fired, due, "now={now}");
                for p in &fired {
                    let (id, d) = pending.remove(p).unwrap();
                    assert!(d <= now, "fired early: deadline {d} now {now}");
                    assert!(!wheel.cancel(id));
                }
            }
        }
        assert_eq!(wheel.len(), pending.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn wheel_matches_model_1ns_tick(ops in prop::collection::vec(op(), 1..120)) {
        run(1, 0, ops);
    }

    #[test]
    fn wheel_matches_model_1ms_tick(
        start in 0u64..1_000_000_000_000,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        run(1_000_000, start, ops);
    }
}

#[test]
fn timer_far_beyond_span_does_not_fire_early() {
    let tick = 1u64;
    let mut w = TimerWheel::new(4, tick, 0);
    let far = 3 * (1u64 << 32) + 12_345;
    w.insert(far, 9).unwrap();
    let mut fired = Vec::new();
    w.advance(far - 1, |p| fired.push(p));
    assert!(fired.is_empty());
    w.advance(far, |p| fired.push(p));
    assert_eq!(fired, vec![9]);
    assert!(w.is_empty());
}

#[test]
fn past_deadline_fires_on_next_advance_without_time_moving() {
    let mut w = TimerWheel::new(4, 1_000, 5_000_000);
    w.insert(1_000, 1).unwrap();
    let mut fired = Vec::new();
    w.advance(5_000_000, |p| fired.push(p));
    assert_eq!(fired, vec![1]);
}

#[test]
fn bounded_advance_spreads_an_expiry_storm() {
    let mut w = TimerWheel::new(1000, 1, 0);
    for i in 0..1000 {
        w.insert(500, i).unwrap();
    }
    let mut fired = 0;
    let mut calls = 0;
    while !w.advance_bounded(600, 300, |_| fired += 1) {
        calls += 1;
    }
    assert_eq!(fired, 1000);
    assert_eq!(calls, 3);
    assert!(w.is_empty());
}

#[test]
fn pool_is_reused_after_firing() {
    let mut w = TimerWheel::new(2, 1, 0);
    let a = w.insert(10, 1).unwrap();
    w.insert(10, 2).unwrap();
    assert_eq!(w.insert(10, 3), Err(WheelFull));
    w.advance(10, |_| {});
    let c = w.insert(20, 3).unwrap();
    // `a` fired; whichever node `c` reuses, the stale handle must not
    // cancel the new timer.
    assert!(!w.cancel(a));
    assert_eq!(w.payload(c), Some(3));
    assert_eq!(w.len(), 1);
}
