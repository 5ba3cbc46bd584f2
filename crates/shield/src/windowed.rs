//! Windowed minimum / maximum of a time series in constant space.
//!
//! Keeps the best, second-best and third-best samples from successively
//! later parts of the window (Nichols' approach, as BBR's min-RTT and
//! max-bandwidth filters use it): when the best sample ages out, the next one
//! is already a good estimate of the best over the remaining window.

use crate::clock::{elapsed, Micros};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sample {
    at: Micros,
    value: u32,
}

/// Windowed extreme (min or max, chosen per call) of u32 samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WindowedExtreme {
    s: [Sample; 3],
    valid: bool,
}

impl WindowedExtreme {
    pub(crate) fn get(&self) -> Option<u32> {
        self.valid.then_some(self.s[0].value)
    }

    pub(crate) fn update_min(&mut self, now: Micros, value: u32, window: u32) {
        self.update(now, value, window, |a, b| a <= b);
    }

    pub(crate) fn update_max(&mut self, now: Micros, value: u32, window: u32) {
        self.update(now, value, window, |a, b| a >= b);
    }

    /// `as_good(a, b)`: a is at least as good as b.
    fn update(&mut self, now: Micros, value: u32, window: u32, as_good: fn(u32, u32) -> bool) {
        let new = Sample { at: now, value };
        if !self.valid || as_good(value, self.s[0].value) || elapsed(now, self.s[2].at) > window {
            self.s = [new; 3];
            self.valid = true;
            return;
        }
        if as_good(value, self.s[1].value) {
            self.s[1] = new;
            self.s[2] = new;
        } else if as_good(value, self.s[2].value) {
            self.s[2] = new;
        }
        // Age out the best sample(s); promote the later ones.
        if elapsed(now, self.s[0].at) > window {
            self.s[0] = self.s[1];
            self.s[1] = self.s[2];
            self.s[2] = new;
            if elapsed(now, self.s[0].at) > window {
                self.s[0] = self.s[1];
                self.s[1] = self.s[2];
            }
        } else if self.s[1].at == self.s[0].at && elapsed(now, self.s[1].at) > window / 4 {
            // Keep the second choice from a later quarter of the window.
            self.s[1] = new;
            self.s[2] = new;
        } else if self.s[2].at == self.s[1].at && elapsed(now, self.s[2].at) > window / 2 {
            self.s[2] = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_follows_window() {
        let mut f = WindowedExtreme::default();
        assert_eq!(f.get(), None);
        f.update_min(0, 50, 1_000);
        f.update_min(100, 40, 1_000);
        f.update_min(400, 60, 1_000);
        f.update_min(800, 70, 1_000);
        assert_eq!(f.get(), Some(40));
        // 40 ages out after 1_100; the best of the later samples takes over.
        f.update_min(1_200, 90, 1_000);
        assert_eq!(f.get(), Some(60));
        f.update_min(1_300, 30, 1_000);
        assert_eq!(f.get(), Some(30));
    }

    #[test]
    fn max_resets_after_silence() {
        let mut f = WindowedExtreme::default();
        f.update_max(0, 100, 1_000);
        f.update_max(10, 80, 1_000);
        assert_eq!(f.get(), Some(100));
        f.update_max(5_000, 20, 1_000);
        assert_eq!(f.get(), Some(20));
    }
}
