//! Trace-driven link: delivery opportunities read from a file.
//!
//! The format is the one cellular traces in the literature use (mahimahi):
//! one integer millisecond timestamp per line, non-decreasing; a timestamp
//! that appears k times is k opportunities in that millisecond. Each
//! opportunity delivers one packet. The trace repeats with a period equal to
//! its last timestamp (at least 1 ms).

use anyhow::{bail, Context, Result};

/// Delivery opportunities and a cursor over them.
#[derive(Debug, Clone)]
pub struct DeliveryTrace {
    opportunities_ns: Vec<u64>,
    period_ns: u64,
    cycle: u64,
    index: usize,
}

const NS_PER_MS: u64 = 1_000_000;

impl DeliveryTrace {
    /// Parses trace text (lines of millisecond timestamps; `#` comments and
    /// blank lines ignored).
    pub fn parse(text: &str) -> Result<Self> {
        let mut opportunities_ns = Vec::new();
        let mut last = 0u64;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let ms: u64 = line
                .parse()
                .with_context(|| format!("trace line {}: {line:?} is not a ms timestamp", n + 1))?;
            if ms < last {
                bail!("trace line {}: timestamps must not decrease", n + 1);
            }
            last = ms;
            opportunities_ns.push(ms.saturating_mul(NS_PER_MS));
        }
        if opportunities_ns.is_empty() {
            bail!("trace has no delivery opportunities");
        }
        Ok(Self {
            opportunities_ns,
            period_ns: last.max(1).saturating_mul(NS_PER_MS),
            cycle: 0,
            index: 0,
        })
    }

    fn opportunity_time(&self) -> u64 {
        let offset = self.opportunities_ns.get(self.index).copied().unwrap_or(0);
        self.cycle.saturating_mul(self.period_ns).saturating_add(offset)
    }

    fn step(&mut self) {
        self.index += 1;
        if self.index >= self.opportunities_ns.len() {
            self.index = 0;
            self.cycle += 1;
        }
    }

    /// Consumes and returns the first unused opportunity at or after `t_ns`.
    /// Opportunities that passed unused are lost, as on a real link.
    pub fn take_at_or_after(&mut self, t_ns: u64) -> u64 {
        // Skip whole cycles at once so a long idle period costs O(1).
        let cycle_of_t = t_ns / self.period_ns;
        if cycle_of_t > self.cycle + 1 {
            self.cycle = cycle_of_t - 1;
            self.index = 0;
        }
        while self.opportunity_time() < t_ns {
            self.step();
        }
        let at = self.opportunity_time();
        self.step();
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_opportunity_carries_one_packet_and_the_trace_repeats() {
        let mut t = DeliveryTrace::parse("# two in ms 1, one in ms 3\n1\n1\n3\n").expect("valid");
        assert_eq!(t.take_at_or_after(0), NS_PER_MS);
        assert_eq!(t.take_at_or_after(0), NS_PER_MS);
        assert_eq!(t.take_at_or_after(0), 3 * NS_PER_MS);
        // Period 3 ms: the next cycle starts at 3 ms.
        assert_eq!(t.take_at_or_after(0), 4 * NS_PER_MS);
    }

    #[test]
    fn unused_opportunities_are_lost_and_long_idle_is_cheap() {
        let mut t = DeliveryTrace::parse("1\n2\n3\n4\n").expect("valid");
        assert_eq!(t.take_at_or_after(2_500_000), 3 * NS_PER_MS);
        let far = 4_000_000_000 * NS_PER_MS;
        let at = t.take_at_or_after(far);
        assert!(at >= far && at < far + 5 * NS_PER_MS);
    }

    #[test]
    fn rejects_bad_traces() {
        assert!(DeliveryTrace::parse("").is_err());
        assert!(DeliveryTrace::parse("5\n3\n").is_err());
        assert!(DeliveryTrace::parse("abc\n").is_err());
    }
}
