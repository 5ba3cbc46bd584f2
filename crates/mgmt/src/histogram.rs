//! Per-core HDR histograms recorded without locks and merged off-core.
//!
//! Double-buffered swap: each worker owns its *active* histogram outright
//! (recording is a plain array increment, nothing shared, no allocation).
//! A second, *spare* histogram sits in an exchange slot shared with the
//! management thread. To collect, the management thread raises a flag; the
//! worker looks at that flag once per burst ([`HistogramWriter::sync`], a
//! relaxed load) and, when raised, `try_lock`s the exchange slot and swaps
//! its active histogram with the empty spare (a struct swap, no copying of
//! counts). The management thread then merges the filled one into its
//! cumulative histogram and resets it, ready to become the next spare.
//!
//! The worker only ever `try_lock`s, so it never waits: if the management
//! thread happens to hold the slot, the swap is retried at the next burst.
//! The management thread may wait on the slot for the duration of a swap.
//! A collection therefore lags by up to one worker burst plus one
//! collection period; a worker that stops calling `sync` stops contributing
//! (its data is kept, not lost).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::model::{Bucket, HistogramSummary, Percentile};

/// The quantiles every summary carries.
pub const SUMMARY_QUANTILES: [f64; 5] = [0.5, 0.9, 0.99, 0.999, 1.0];

/// Range and precision of the histograms of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramBounds {
    /// Smallest distinguishable value (>= 1).
    pub low: u64,
    /// Largest recordable value; larger values are clamped to it.
    pub high: u64,
    /// Significant decimal digits kept (0..=5).
    pub sigfig: u8,
}

/// Invalid bounds (see [`HistogramBounds`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid histogram bounds: {0}")]
pub struct BoundsError(String);

fn new_histogram(b: HistogramBounds) -> Result<Histogram<u64>, BoundsError> {
    Histogram::new_with_bounds(b.low, b.high, b.sigfig).map_err(|e| BoundsError(format!("{e:?}")))
}

struct Exchange {
    hist: Histogram<u64>,
    /// `hist` holds data swapped out by the worker, not yet merged.
    filled: bool,
}

struct Shared {
    flip_requested: AtomicBool,
    exchange: Mutex<Exchange>,
}

impl Shared {
    /// The exchange slot; a poisoned lock (a panic elsewhere while holding
    /// it) still holds a structurally valid histogram, so it is used as is.
    fn lock(&self) -> MutexGuard<'_, Exchange> {
        self.exchange.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Recording end, owned by one worker lcore. `Send`, not shared.
pub struct HistogramWriter {
    active: Histogram<u64>,
    shared: Arc<Shared>,
}

impl HistogramWriter {
    /// Records one observation; values above the range are clamped to its
    /// top (values below it land in the lowest bucket). No allocation.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.active.saturating_record(value);
    }

    /// Records `count` observations of `value`.
    #[inline]
    pub fn record_n(&mut self, value: u64, count: u64) {
        self.active.saturating_record_n(value, count);
    }

    /// Hands the recorded data to the management thread if it asked for it.
    /// Call once per burst (or loop iteration); costs a relaxed load when
    /// nothing is requested, and never blocks.
    #[inline]
    pub fn sync(&mut self) {
        if !self.shared.flip_requested.load(Ordering::Relaxed) {
            return;
        }
        let mut ex = match self.shared.exchange.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if !ex.filled {
            std::mem::swap(&mut self.active, &mut ex.hist);
            ex.filled = true;
        }
        self.shared.flip_requested.store(false, Ordering::Relaxed);
    }
}

/// Collecting end, owned by the management thread; keeps the cumulative
/// histogram of one worker.
pub struct HistogramReader {
    shared: Arc<Shared>,
    cumulative: Histogram<u64>,
}

/// A connected writer/reader pair with the given bounds.
pub fn histogram_pair(
    bounds: HistogramBounds,
) -> Result<(HistogramWriter, HistogramReader), BoundsError> {
    let shared = Arc::new(Shared {
        flip_requested: AtomicBool::new(false),
        exchange: Mutex::new(Exchange { hist: new_histogram(bounds)?, filled: false }),
    });
    Ok((
        HistogramWriter { active: new_histogram(bounds)?, shared: Arc::clone(&shared) },
        HistogramReader { shared, cumulative: new_histogram(bounds)? },
    ))
}

impl HistogramReader {
    /// Merges whatever the worker has handed over since the last call and
    /// asks for the next hand-over. Returns true when data was merged.
    pub fn collect(&mut self) -> bool {
        let merged = {
            let mut ex = self.shared.lock();
            if ex.filled {
                // Same bounds on both sides, so `add` cannot fail or resize.
                let _ = self.cumulative.add(&ex.hist);
                ex.hist.reset();
                ex.filled = false;
                true
            } else {
                false
            }
        };
        self.shared.flip_requested.store(true, Ordering::Relaxed);
        merged
    }

    /// Collects repeatedly until one hand-over has been merged or `timeout`
    /// passes (for shutdown and tests; the periodic path uses `collect`).
    pub fn collect_wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.collect();
        loop {
            if self.collect() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Everything merged so far.
    pub fn cumulative(&self) -> &Histogram<u64> {
        &self.cumulative
    }
}

/// One histogram family (one metric name and label set) merged over all
/// workers: hand each worker a writer from [`add_writer`](Self::add_writer),
/// call [`collect`](Self::collect) periodically on the management thread
/// and [`summary`](Self::summary) for the exporters.
pub struct HistogramGroup {
    name: String,
    help: String,
    labels: BTreeMap<String, String>,
    bounds: HistogramBounds,
    scale: f64,
    bucket_bounds: Vec<u64>,
    readers: Vec<HistogramReader>,
    merged: Histogram<u64>,
}

impl HistogramGroup {
    /// `name` is the metric name in base units without prefix (e.g.
    /// `flow_rtt_seconds`); recorded integers are multiplied by `scale` to
    /// get base units (e.g. 1e-6 when recording microseconds); the
    /// Prometheus buckets are the recorded-unit upper bounds
    /// `bucket_bounds` (sorted, deduplicated here).
    pub fn new(
        name: &str,
        help: &str,
        labels: BTreeMap<String, String>,
        bounds: HistogramBounds,
        scale: f64,
        bucket_bounds: &[u64],
    ) -> Result<HistogramGroup, BoundsError> {
        let mut bucket_bounds = bucket_bounds.to_vec();
        bucket_bounds.sort_unstable();
        bucket_bounds.dedup();
        Ok(HistogramGroup {
            name: name.to_string(),
            help: help.to_string(),
            labels,
            bounds,
            scale,
            bucket_bounds,
            readers: Vec::new(),
            merged: new_histogram(bounds)?,
        })
    }

    /// A new writer for one more worker.
    pub fn add_writer(&mut self) -> HistogramWriter {
        // Bounds were validated by `new`, so this pairing cannot fail; fall
        // back to a detached writer rather than panic if it somehow does.
        match histogram_pair(self.bounds) {
            Ok((w, r)) => {
                self.readers.push(r);
                w
            }
            Err(_) => HistogramWriter {
                active: self.merged.clone(),
                shared: Arc::new(Shared {
                    flip_requested: AtomicBool::new(false),
                    exchange: Mutex::new(Exchange { hist: self.merged.clone(), filled: true }),
                }),
            },
        }
    }

    /// Collects from every worker and rebuilds the merged histogram.
    pub fn collect(&mut self) {
        self.merged.reset();
        for r in &mut self.readers {
            r.collect();
            let _ = self.merged.add(r.cumulative());
        }
    }

    /// Like [`collect`](Self::collect) but waits (up to `timeout` per
    /// worker) for each worker's hand-over.
    pub fn collect_wait(&mut self, timeout: Duration) {
        self.merged.reset();
        for r in &mut self.readers {
            r.collect_wait(timeout);
            let _ = self.merged.add(r.cumulative());
        }
    }

    /// The merged histogram as of the last collect.
    pub fn merged(&self) -> &Histogram<u64> {
        &self.merged
    }

    /// Exporter view of the merged histogram.
    pub fn summary(&self) -> HistogramSummary {
        summarize(
            &self.name,
            &self.help,
            &self.labels,
            &self.merged,
            self.scale,
            &self.bucket_bounds,
        )
    }
}

/// Converts an HDR histogram into a [`HistogramSummary`] with cumulative
/// buckets at `bucket_bounds` (recorded units) and the standard quantiles,
/// everything multiplied by `scale`.
pub fn summarize(
    name: &str,
    help: &str,
    labels: &BTreeMap<String, String>,
    h: &Histogram<u64>,
    scale: f64,
    bucket_bounds: &[u64],
) -> HistogramSummary {
    let count = h.len();
    // The sum is reconstructed from bucket midpoints (HDR keeps no exact
    // sum); its relative error is bounded by the histogram's precision.
    let sum: f64 = h
        .iter_recorded()
        .map(|v| h.median_equivalent(v.value_iterated_to()) as f64 * v.count_at_value() as f64)
        .sum();
    let buckets = bucket_bounds
        .iter()
        .map(|&b| Bucket { le: b as f64 * scale, count: h.count_between(0, b) })
        .collect();
    let percentiles = if count == 0 {
        Vec::new()
    } else {
        SUMMARY_QUANTILES
            .iter()
            .map(|&q| Percentile { q, value: h.value_at_quantile(q) as f64 * scale })
            .collect()
    };
    HistogramSummary {
        name: name.to_string(),
        help: help.to_string(),
        labels: labels.clone(),
        count,
        sum: sum * scale,
        buckets,
        percentiles,
        max: if count == 0 { 0.0 } else { h.max() as f64 * scale },
    }
}
