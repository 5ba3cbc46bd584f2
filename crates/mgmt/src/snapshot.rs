//! `SnapshotCell`: a worker publishes a value, the management thread reads
//! the latest complete one, and the worker never waits.
//!
//! Three slots, each behind its own `Mutex`, plus an atomic index of the
//! latest published slot. The writer fills a slot other than the latest one
//! that it can `try_lock` (it never blocks on a lock), moves the index to
//! it, then unlocks it (in that order, so versions a reader sees never go
//! back). A reader locks the slot the index names and copies it out.
//! With one reader at a time, the reader holds at most one slot, so one of
//! the two non-latest slots is always free for the writer; with several
//! concurrent readers a publish can find both busy, in which case it is
//! skipped and reported (the next one will go through).
//!
//! Why not a seqlock: a seqlock over arbitrary data needs `unsafe` (racy
//! reads of non-atomic memory); this design is entirely safe Rust and its
//! cost — one uncontended lock/unlock pair per publish (every few ms) and
//! per read — is irrelevant at that rate. A reader may briefly wait if the
//! writer is refilling the very slot it picked (the writer lapped it
//! twice); it then reads that newer, complete value.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

const SLOTS: usize = 3;

struct Slot<T> {
    version: u64,
    value: T,
}

/// Single-writer, multi-reader publication cell for a snapshot value.
pub struct SnapshotCell<T> {
    slots: [Mutex<Slot<T>>; SLOTS],
    latest: AtomicUsize,
    published: AtomicU64,
    skipped: AtomicU64,
}

impl<T> SnapshotCell<T> {
    /// A cell whose readers see `initial` (version 0) until the first
    /// publish. Every slot starts as a clone of it, so a `Vec` inside keeps
    /// its capacity and later publishes that stay within it do not allocate.
    pub fn new(initial: T) -> SnapshotCell<T>
    where
        T: Clone,
    {
        let slot = |v: T| Mutex::new(Slot { version: 0, value: v });
        SnapshotCell {
            slots: [slot(initial.clone()), slot(initial.clone()), slot(initial)],
            latest: AtomicUsize::new(0),
            published: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Writer side: fills a free slot in place with `fill` (which receives
    /// the slot's previous contents to overwrite) and publishes it. Returns
    /// false, without calling `fill`, when no slot was free (only possible
    /// with concurrent readers); the caller simply publishes next time.
    pub fn publish_with(&self, fill: impl FnOnce(&mut T)) -> bool {
        let latest = self.latest.load(Ordering::Acquire) % SLOTS;
        // Only the writer advances `published`, so this is the version the
        // new slot will carry; it is committed below only on success.
        let next_version = self.published.load(Ordering::Relaxed).wrapping_add(1);
        for step in 1..SLOTS {
            let idx = (latest + step) % SLOTS;
            let Some(m) = self.slots.get(idx) else {
                continue;
            };
            let mut slot = match m.try_lock() {
                Ok(g) => g,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            fill(&mut slot.value);
            slot.version = next_version;
            // Point readers at the slot before unlocking it: a reader that
            // locks it right after the unlock must never then find `latest`
            // still naming the previous slot, or its next read would go
            // back one version. A reader that loads the index now simply
            // waits for the unlock.
            self.published.store(next_version, Ordering::Relaxed);
            self.latest.store(idx, Ordering::Release);
            drop(slot);
            return true;
        }
        self.skipped.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Writer side: publishes a copy of `value` (`clone_from`, so a slot's
    /// existing allocations are reused).
    pub fn publish(&self, value: &T) -> bool
    where
        T: Clone,
    {
        self.publish_with(|slot| slot.clone_from(value))
    }

    /// Reader side: runs `f` on the latest published value and its version
    /// (0 before the first publish, then increasing by one per publish).
    pub fn read_with<R>(&self, f: impl FnOnce(&T, u64) -> R) -> R {
        let idx = self.latest.load(Ordering::Acquire) % SLOTS;
        let guard = self.lock(idx);
        f(&guard.value, guard.version)
    }

    /// Reader side: a copy of the latest published value.
    pub fn read(&self) -> T
    where
        T: Clone,
    {
        self.read_with(|v, _| v.clone())
    }

    /// Number of successful publishes (the latest version).
    pub fn version(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Publishes skipped because every candidate slot was being read.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    fn lock(&self, idx: usize) -> MutexGuard<'_, Slot<T>> {
        // `idx` is always reduced modulo SLOTS by the callers.
        let m = &self.slots[idx % SLOTS];
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}
