//! TSC to nanoseconds without a division per packet: a 32.32 fixed-point
//! multiplier computed once from the calibrated TSC frequency.

#[derive(Debug, Clone, Copy)]
pub struct TscClock {
    mult: u64,
    base_tsc: u64,
}

impl TscClock {
    /// `hz`: TSC ticks per second; `base_tsc`: the TSC value that is time 0.
    pub fn new(hz: u64, base_tsc: u64) -> TscClock {
        let hz = hz.max(1);
        TscClock { mult: ((1_000_000_000u128 << 32) / hz as u128) as u64, base_tsc }
    }

    /// Nanoseconds since `base_tsc`.
    #[inline]
    pub fn ns(&self, tsc: u64) -> u64 {
        ((tsc.wrapping_sub(self.base_tsc) as u128 * self.mult as u128) >> 32) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_ticks_to_nanoseconds() {
        let c = TscClock::new(2_600_000_000, 1000);
        assert_eq!(c.ns(1000), 0);
        let one_s = c.ns(1000 + 2_600_000_000);
        assert!((999_999_990..=1_000_000_000).contains(&one_s), "{one_s}");
        let hour = c.ns(1000 + 2_600_000_000 * 3600);
        assert!((3_599_999_990_000..=3_600_000_000_000).contains(&hour), "{hour}");
    }
}
