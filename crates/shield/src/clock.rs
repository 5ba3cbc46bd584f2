//! Compact per-flow time.
//!
//! The caller's clock is `now_ns: u64`. Storing that in every timestamp field
//! would double the flow state, so a flow keeps one 64-bit base (its first
//! packet) and stores microseconds since that base in `u32`s. They wrap after
//! ~71 minutes; all differences use wrapping arithmetic and are correct while
//! the two instants are less than ~35 minutes apart, which covers every
//! window this crate uses (RTTs, stalls, 10 s filters). A clock that steps
//! backwards yields an elapsed time of zero, never a huge one.

/// Microseconds since the flow's base, wrapping.
pub(crate) type Micros = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowClock {
    base_ns: u64,
}

impl FlowClock {
    pub(crate) fn new(now_ns: u64) -> Self {
        FlowClock { base_ns: now_ns }
    }

    /// Nanoseconds from the flow's start to `now_ns`.
    pub(crate) fn age_ns(&self, now_ns: u64) -> u64 {
        now_ns.saturating_sub(self.base_ns)
    }

    /// The flow-relative time of `now_ns` in (wrapping) microseconds.
    pub(crate) fn micros(&self, now_ns: u64) -> Micros {
        (now_ns.saturating_sub(self.base_ns) / 1_000) as u32
    }

    /// The flow-relative time of `now_ns` in milliseconds (the trace's unit,
    /// which lasts 49 days before wrapping).
    pub(crate) fn millis(&self, now_ns: u64) -> u32 {
        (now_ns.saturating_sub(self.base_ns) / 1_000_000) as u32
    }

    /// Absolute nanoseconds of a flow-relative millisecond stamp.
    pub(crate) fn ns_of_millis(&self, ms: u32) -> u64 {
        self.base_ns.saturating_add(u64::from(ms) * 1_000_000)
    }
}

/// Time from `then` to `now`; zero if `now` is (wrapping-)before `then`.
#[inline]
pub(crate) fn elapsed(now: Micros, then: Micros) -> Micros {
    let d = now.wrapping_sub(then);
    if (d as i32) < 0 {
        0
    } else {
        d
    }
}

/// `a` is at or after `b` on the wrapping microsecond clock.
#[inline]
pub(crate) fn at_or_after(a: Micros, b: Micros) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_micros_and_backward_steps() {
        let c = FlowClock::new(5_000_000);
        assert_eq!(c.micros(5_000_000), 0);
        assert_eq!(c.micros(5_250_000), 250);
        assert_eq!(c.micros(1), 0, "a clock before the base clamps to zero");
        assert_eq!(elapsed(10, 20), 0);
        assert_eq!(elapsed(u32::MAX.wrapping_add(5), u32::MAX - 5), 10);
        assert!(at_or_after(3, u32::MAX));
        assert_eq!(c.ns_of_millis(c.millis(7_000_000)), 7_000_000);
    }
}
