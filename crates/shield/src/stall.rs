//! Delay spikes on J: stretches with data outstanding and no ACK progress.
//!
//! A stall is measured when it ends (the ACK that finally advances), as the
//! time since the later of the last progress and the moment data became
//! outstanding. RTT samples of data sent before a stall ended measure the
//! stall, not the queue, so the tracker remembers when the last one ended
//! (the "shadow") for the classifier to set those samples apart.

use crate::clock::{at_or_after, elapsed, Micros};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StallTracker {
    last_progress: Micros,
    outstanding_since: Micros,
    last_end: Micros,
    pub(crate) count: u32,
    pub(crate) longest: u32,
    has_shadow: bool,
}

impl StallTracker {
    /// Data became outstanding (nothing was in flight before).
    pub(crate) fn on_outstanding(&mut self, now: Micros) {
        self.outstanding_since = now;
    }

    /// Start of the current quiet period.
    fn quiet_start(&self) -> Micros {
        if at_or_after(self.outstanding_since, self.last_progress) {
            self.outstanding_since
        } else {
            self.last_progress
        }
    }

    /// Time without ACK progress while data is outstanding.
    pub(crate) fn quiet_us(&self, now: Micros) -> u32 {
        elapsed(now, self.quiet_start())
    }

    /// The cumulative ACK advanced. Returns the stall length if the quiet
    /// period that just ended was longer than `threshold`.
    pub(crate) fn on_progress(&mut self, now: Micros, threshold: u32) -> Option<u32> {
        let quiet = self.quiet_us(now);
        self.last_progress = now;
        if quiet <= threshold {
            return None;
        }
        self.count = self.count.saturating_add(1);
        self.longest = self.longest.max(quiet);
        self.last_end = now;
        self.has_shadow = true;
        Some(quiet)
    }

    /// A sample of data sent at `sent_at` was taken across a stall's end.
    pub(crate) fn shadows(&self, sent_at: Micros) -> bool {
        self.has_shadow && !at_or_after(sent_at, self.last_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_measured_from_later_of_progress_and_outstanding() {
        let mut s = StallTracker::default();
        s.on_outstanding(1_000);
        assert_eq!(s.on_progress(41_000, 100_000), None);
        // Idle, then new data at 500 ms, ACK 40 ms later: not a stall.
        s.on_outstanding(500_000);
        assert_eq!(s.on_progress(540_000, 100_000), None);
        // 300 ms without progress.
        assert_eq!(s.on_progress(840_000, 100_000), Some(300_000));
        assert_eq!((s.count, s.longest), (1, 300_000));
        assert!(s.shadows(800_000), "data sent before the stall ended");
        assert!(!s.shadows(840_000));
    }
}
