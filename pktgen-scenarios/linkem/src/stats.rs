//! Per-direction counters and the release-timing error histogram.

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// Counters of one direction.
#[derive(Debug)]
pub struct DirectionStats {
    /// Frames received from the ingress interface (own transmissions excluded).
    pub received: u64,
    /// Frames sent out of the egress interface.
    pub passed: u64,
    /// Bytes sent out of the egress interface.
    pub bytes_passed: u64,
    /// Dropped by the drop-tail queue.
    pub dropped_queue: u64,
    /// Dropped by random loss.
    pub dropped_random: u64,
    /// Dropped because every frame buffer was in use.
    pub dropped_no_buffer: u64,
    /// Dropped because the frame was larger than a buffer.
    pub dropped_oversize: u64,
    /// Sends the kernel refused (e.g. ENOBUFS).
    pub send_errors: u64,
    /// Frames the kernel dropped at the ingress socket before the emulator
    /// read them (receive buffer full): losses the link model did not
    /// choose, counted so the bed's real loss is known.
    pub dropped_socket: u64,
    /// Frames the socket saw that this host sent (skipped, not bridged).
    pub ignored_outgoing: u64,
    /// Longest time a frame spent at the bottleneck, in ns.
    pub max_queue_delay_ns: u64,
    /// Time each delivered frame waited at the bottleneck before its
    /// serialisation began, in ns (0 when the queue was empty): the
    /// queueing delay the flows built, which the box must not raise.
    pub queue_delay_ns: Histogram<u64>,
    /// How late frames left compared with their scheduled release, in ns.
    pub lateness_ns: Histogram<u64>,
}

impl DirectionStats {
    /// Zeroed counters; the histogram (1 ns .. 60 s, 3 significant digits)
    /// is allocated here, once, so recording never allocates.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            received: 0,
            passed: 0,
            bytes_passed: 0,
            dropped_queue: 0,
            dropped_random: 0,
            dropped_no_buffer: 0,
            dropped_oversize: 0,
            send_errors: 0,
            dropped_socket: 0,
            ignored_outgoing: 0,
            max_queue_delay_ns: 0,
            queue_delay_ns: Histogram::new_with_bounds(1, 60_000_000_000, 3)?,
            lateness_ns: Histogram::new_with_bounds(1, 60_000_000_000, 3)?,
        })
    }

    /// Records a frame leaving `lateness_ns` after its scheduled time.
    pub fn record_lateness(&mut self, lateness_ns: u64) {
        self.lateness_ns.saturating_record(lateness_ns.max(1));
    }

    /// Records a delivered frame that waited `queue_delay_ns` at the bottleneck.
    pub fn record_queue_delay(&mut self, queue_delay_ns: u64) {
        self.max_queue_delay_ns = self.max_queue_delay_ns.max(queue_delay_ns);
        self.queue_delay_ns.saturating_record(queue_delay_ns);
    }

    /// JSON object with every counter and lateness percentiles in µs.
    pub fn to_json(&self) -> Value {
        let us = |ns: u64| ns as f64 / 1000.0;
        json!({
            "received": self.received,
            "passed": self.passed,
            "bytes_passed": self.bytes_passed,
            "dropped_queue": self.dropped_queue,
            "dropped_random": self.dropped_random,
            "dropped_no_buffer": self.dropped_no_buffer,
            "dropped_oversize": self.dropped_oversize,
            "send_errors": self.send_errors,
            "dropped_socket": self.dropped_socket,
            "ignored_outgoing": self.ignored_outgoing,
            "max_queue_delay_ms": self.max_queue_delay_ns as f64 / 1e6,
            "queue_delay_ms": {
                "mean": self.queue_delay_ns.mean() / 1e6,
                "p50": self.queue_delay_ns.value_at_quantile(0.5) as f64 / 1e6,
                "p99": self.queue_delay_ns.value_at_quantile(0.99) as f64 / 1e6,
            },
            "lateness_us": {
                "p50": us(self.lateness_ns.value_at_quantile(0.5)),
                "p99": us(self.lateness_ns.value_at_quantile(0.99)),
                "p999": us(self.lateness_ns.value_at_quantile(0.999)),
                "max": us(self.lateness_ns.max()),
                "over_1ms": self.lateness_ns.count_between(1_000_000, u64::MAX),
            },
        })
    }

    /// One human-readable line.
    pub fn summary(&self) -> String {
        format!(
            "received {} passed {} dropped-queue {} dropped-random {} dropped-no-buffer {} \
             dropped-oversize {} dropped-socket {} send-errors {} max-queue-delay {:.1} ms \
             release-lateness p50 {:.1} µs p99 {:.1} µs max {:.1} µs",
            self.received,
            self.passed,
            self.dropped_queue,
            self.dropped_random,
            self.dropped_no_buffer,
            self.dropped_oversize,
            self.dropped_socket,
            self.send_errors,
            self.max_queue_delay_ns as f64 / 1e6,
            self.lateness_ns.value_at_quantile(0.5) as f64 / 1000.0,
            self.lateness_ns.value_at_quantile(0.99) as f64 / 1000.0,
            self.lateness_ns.max() as f64 / 1000.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_counters_and_lateness() {
        let mut s = DirectionStats {
            passed: 3,
            dropped_random: 1,
            ..DirectionStats::new().expect("histogram bounds are valid")
        };
        s.record_queue_delay(0);
        s.record_queue_delay(2_500_000);
        s.record_lateness(10_000);
        s.record_lateness(20_000);
        let v = s.to_json();
        assert_eq!(v["passed"], 3);
        assert_eq!(v["dropped_random"], 1);
        assert_eq!(v["max_queue_delay_ms"], 2.5);
        let max = v["lateness_us"]["max"].as_f64().expect("number");
        assert!((19.9..20.1).contains(&max), "{max}");
        let q = &v["queue_delay_ms"];
        let mean = q["mean"].as_f64().expect("number");
        assert!((1.24..1.26).contains(&mean), "{mean}");
        let p99 = q["p99"].as_f64().expect("number");
        assert!((2.49..2.51).contains(&p99), "{p99}");
        assert!(s.summary().contains("passed 3"));
    }
}
