//! Per-core histograms: writers on their own threads record while the
//! management side collects concurrently; after the writers finish, the
//! merged histogram holds exactly every recorded value, nothing lost or
//! counted twice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mgmt::histogram::{histogram_pair, HistogramBounds, HistogramGroup};

const BOUNDS: HistogramBounds = HistogramBounds { low: 1, high: 10_000_000, sigfig: 3 };

#[test]
fn concurrent_collection_loses_nothing() {
    let mut group = HistogramGroup::new(
        "packet_cost_cycles",
        "cycles per packet",
        BTreeMap::new(),
        BOUNDS,
        1.0,
        &[100, 1000, 10_000],
    )
    .unwrap();
    let writers: Vec<_> = (0..2).map(|_| group.add_writer()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let recorded = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (core, mut w) in writers.into_iter().enumerate() {
        let done = Arc::clone(&done);
        let recorded = Arc::clone(&recorded);
        handles.push(std::thread::spawn(move || {
            // "Bursts" of 64 values, sync after each, like a worker loop.
            for burst in 0..2_000u64 {
                for i in 0..64u64 {
                    w.record(1 + (burst * 64 + i) % 5000 + core as u64 * 5000);
                }
                w.sync();
            }
            recorded.fetch_add(1, Ordering::Relaxed);
            // Keep answering hand-over requests until told to stop, as a
            // live worker loop does.
            while !done.load(Ordering::Relaxed) {
                w.sync();
                std::thread::sleep(Duration::from_micros(200));
            }
        }));
    }
    // Collect while the writers are busy.
    while recorded.load(Ordering::Relaxed) < 2 {
        group.collect();
        std::thread::sleep(Duration::from_millis(1));
    }
    // One waited collection after recording ended merges a hand-over made
    // after that point, which therefore contains everything.
    group.collect_wait(Duration::from_secs(10));
    done.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let merged = group.merged();
    assert_eq!(merged.len(), 2 * 2_000 * 64);
    assert_eq!(merged.min(), 1);
    assert!(merged.max() >= 9_999 && merged.max() <= 10_010, "max {}", merged.max());
    // Each core's values are uniform over its half: the median sits at the
    // boundary between them.
    let median = merged.value_at_quantile(0.5);
    assert!((4_900..=5_100).contains(&median), "median {median}");

    let summary = group.summary();
    assert_eq!(summary.count, 256_000);
    let b: Vec<u64> = summary.buckets.iter().map(|b| b.count).collect();
    // Each value 1..=10000 appears 25.6 times on average; <=100 is 1 %.
    assert!((2_400..=2_700).contains(&b[0]), "{b:?}");
    assert!(b.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(b[2], 256_000);
    assert!(summary.percentile(0.99).unwrap() > 9_800.0);
}

#[test]
fn data_moves_only_at_sync_after_a_request() {
    let (mut w, mut r) = histogram_pair(BOUNDS).unwrap();
    w.record(5);
    w.sync(); // nothing requested yet: keeps its data
    assert!(!r.collect()); // nothing handed over; requests a hand-over
    w.sync(); // hands over
    w.record(7);
    assert!(r.collect());
    assert_eq!(r.cumulative().len(), 1);
    // Value 7 is still in the writer's active histogram until its next sync.
    w.sync();
    assert!(r.collect());
    assert_eq!(r.cumulative().len(), 2);
    // Out-of-range values are clamped, not dropped.
    w.record(u64::MAX);
    w.sync();
    assert!(r.collect());
    assert_eq!(r.cumulative().len(), 3);
    assert!(r.cumulative().max() >= BOUNDS.high);
}

#[test]
fn invalid_bounds_are_reported() {
    let bad = HistogramBounds { low: 10, high: 5, sigfig: 3 };
    assert!(histogram_pair(bad).is_err());
}
