//! Stall schedule: when a stalling link is not serving.
//!
//! Stalls are generated lazily from a seeded RNG, so the schedule is the
//! same for every run with the same seed and does not depend on traffic.
//! Two directions built with the same seed and parameters stall at the same
//! moments, which is what a handover does to both directions of a radio link.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A random sequence of non-overlapping stall intervals `[start, end)` in ns.
#[derive(Debug, Clone)]
pub struct StallSchedule {
    rng: SmallRng,
    min_ns: u64,
    max_ns: u64,
    mean_gap_ns: f64,
    start_ns: u64,
    end_ns: u64,
    /// Link time lost to stalls while frames waited: for each stall a frame
    /// ran into, from that moment to the stall's end. On a busy link that is
    /// the whole stall, so a transfer's share of "link up" time is
    /// `1 - stalled_busy_ns / its duration`.
    stalled_busy_ns: u64,
    /// End of the last stall counted in `stalled_busy_ns`.
    counted_end_ns: u64,
}

impl StallSchedule {
    /// `min_ns..=max_ns` is the stall length, `mean_gap_ns` the mean of the
    /// exponential gap between the end of one stall and the next start.
    pub fn new(seed: u64, min_ns: u64, max_ns: u64, mean_gap_ns: u64) -> Self {
        let mut schedule = Self {
            rng: SmallRng::seed_from_u64(seed),
            min_ns,
            max_ns: max_ns.max(min_ns),
            mean_gap_ns: mean_gap_ns.max(1) as f64,
            start_ns: 0,
            end_ns: 0,
            stalled_busy_ns: 0,
            counted_end_ns: 0,
        };
        schedule.advance_from(0);
        schedule
    }

    fn advance_from(&mut self, previous_end: u64) {
        // Inverse-CDF sample of an exponential gap; 1 - u is in (0, 1].
        let u: f64 = self.rng.gen();
        let gap = (-(1.0 - u).ln() * self.mean_gap_ns) as u64;
        let length = self.rng.gen_range(self.min_ns..=self.max_ns);
        self.start_ns = previous_end.saturating_add(gap.max(1));
        self.end_ns = self.start_ns.saturating_add(length);
    }

    /// The earliest time at or after `t_ns` at which the link is serving.
    /// Calls must come with non-decreasing `t_ns` (the link's own clock).
    pub fn available_at(&mut self, t_ns: u64) -> u64 {
        while t_ns >= self.end_ns {
            let end = self.end_ns;
            self.advance_from(end);
        }
        if t_ns >= self.start_ns {
            if self.counted_end_ns != self.end_ns {
                self.counted_end_ns = self.end_ns;
                self.stalled_busy_ns += self.end_ns - t_ns;
            }
            self.end_ns
        } else {
            t_ns
        }
    }

    /// Link time lost to stalls while frames waited (see the field).
    pub fn stalled_busy_ns(&self) -> u64 {
        self.stalled_busy_ns
    }

    /// The stall currently scheduled next (or in progress), for tests and logs.
    pub fn current(&self) -> (u64, u64) {
        (self.start_ns, self.end_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn stalls_have_bounded_lengths_and_push_service_to_their_end() {
        let mut s = StallSchedule::new(7, 100 * MS, 400 * MS, 2000 * MS);
        let mut t = 0;
        let mut stalls_seen = 0;
        while t < 600_000 * MS {
            let (start, end) = s.current();
            assert!(end - start >= 100 * MS && end - start <= 400 * MS);
            assert_eq!(s.available_at(start), end, "inside a stall, wait for its end");
            assert_eq!(s.available_at(end), end, "the end itself is serving");
            t = end;
            stalls_seen += 1;
        }
        // 600 s of link with a ~2.25 s cycle: roughly 270 stalls.
        assert!(stalls_seen > 150 && stalls_seen < 450, "{stalls_seen}");
    }

    #[test]
    fn mean_gap_follows_the_configured_mean() {
        let mut s = StallSchedule::new(1, 0, 0, 2000 * MS);
        let mut previous_end = 0;
        let mut total_gap = 0u64;
        let n = 5000;
        for _ in 0..n {
            let (start, end) = s.current();
            total_gap += start - previous_end;
            previous_end = end;
            s.available_at(end);
        }
        let mean_ms = total_gap as f64 / n as f64 / MS as f64;
        assert!((1800.0..2200.0).contains(&mean_ms), "{mean_ms}");
    }

    #[test]
    fn stalled_time_counts_each_stall_a_frame_waited_for_once() {
        let mut s = StallSchedule::new(3, 100 * MS, 100 * MS, 1000 * MS);
        let (start, end) = s.current();
        assert_eq!(s.available_at(start.saturating_sub(1)), start.saturating_sub(1));
        assert_eq!(s.stalled_busy_ns(), 0, "no frame waited yet");
        s.available_at(start + 10 * MS);
        s.available_at(start + 50 * MS);
        assert_eq!(s.stalled_busy_ns(), end - start - 10 * MS, "from the first frame that waited");
        // The next stall passes with no frame: not counted.
        s.available_at(end);
        let (next_start, next_end) = s.current();
        s.available_at(next_end + 1);
        assert_eq!(s.stalled_busy_ns(), end - start - 10 * MS);
        assert!(next_end > next_start);
    }

    #[test]
    fn same_seed_gives_same_schedule() {
        let mut a = StallSchedule::new(42, 300 * MS, 800 * MS, 3000 * MS);
        let mut b = StallSchedule::new(42, 300 * MS, 800 * MS, 3000 * MS);
        for step in 0..1000u64 {
            let t = step * 37 * MS;
            assert_eq!(a.available_at(t), b.available_at(t));
        }
    }
}
