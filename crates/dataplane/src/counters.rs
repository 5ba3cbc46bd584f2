//! Per-worker counters. Each worker is the only writer of its counters: it
//! accumulates in plain integers and publishes with relaxed stores once per
//! burst (a plain `mov` on x86, no locked instruction); the management thread
//! reads them with relaxed loads at any time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Shared, read-mostly view of one worker's counters.
#[derive(Debug, Default)]
pub struct WorkerCounters {
    pub lcore: u32,
    /// Frames received from the core port (sender side).
    pub rx_from_core: AtomicU64,
    /// Frames received from the access port (receiver side).
    pub rx_from_access: AtomicU64,
    /// Frames handed to a TX queue.
    pub tx: AtomicU64,
    /// Frames dropped because the TX queue stayed full after the retries.
    pub tx_dropped: AtomicU64,
    /// Frames the per-packet hook decided to drop (never in passthrough).
    pub hook_dropped: AtomicU64,
    /// Frames passed to another worker that owns their flow.
    pub handoff_out: AtomicU64,
    /// Frames received from other workers.
    pub handoff_in: AtomicU64,
    /// Frames dropped because a hand-off ring was full.
    pub handoff_dropped: AtomicU64,
    /// Non-empty bursts processed.
    pub bursts: AtomicU64,
    /// TSC cycles spent between rx and the end of tx, non-empty bursts only.
    pub busy_cycles: AtomicU64,
}

/// The worker's private running totals, published into `WorkerCounters`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalCounters {
    pub rx_from_core: u64,
    pub rx_from_access: u64,
    pub tx: u64,
    pub tx_dropped: u64,
    pub hook_dropped: u64,
    pub handoff_out: u64,
    pub handoff_in: u64,
    pub handoff_dropped: u64,
    pub bursts: u64,
    pub busy_cycles: u64,
}

impl WorkerCounters {
    pub fn new(lcore: u32) -> Self {
        WorkerCounters { lcore, ..Default::default() }
    }

    /// Publishes the worker's totals (single writer, relaxed stores).
    #[inline]
    pub fn publish(&self, l: &LocalCounters) {
        self.rx_from_core.store(l.rx_from_core, Relaxed);
        self.rx_from_access.store(l.rx_from_access, Relaxed);
        self.tx.store(l.tx, Relaxed);
        self.tx_dropped.store(l.tx_dropped, Relaxed);
        self.hook_dropped.store(l.hook_dropped, Relaxed);
        self.handoff_out.store(l.handoff_out, Relaxed);
        self.handoff_in.store(l.handoff_in, Relaxed);
        self.handoff_dropped.store(l.handoff_dropped, Relaxed);
        self.bursts.store(l.bursts, Relaxed);
        self.busy_cycles.store(l.busy_cycles, Relaxed);
    }

    /// A consistent-enough copy for reporting (each field read once).
    pub fn read(&self) -> LocalCounters {
        LocalCounters {
            rx_from_core: self.rx_from_core.load(Relaxed),
            rx_from_access: self.rx_from_access.load(Relaxed),
            tx: self.tx.load(Relaxed),
            tx_dropped: self.tx_dropped.load(Relaxed),
            hook_dropped: self.hook_dropped.load(Relaxed),
            handoff_out: self.handoff_out.load(Relaxed),
            handoff_in: self.handoff_in.load(Relaxed),
            handoff_dropped: self.handoff_dropped.load(Relaxed),
            bursts: self.bursts.load(Relaxed),
            busy_cycles: self.busy_cycles.load(Relaxed),
        }
    }
}
