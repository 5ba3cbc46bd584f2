//! One direction of the emulated link as a pure function of arrival time:
//! random loss, drop-tail bottleneck queue, serialisation at the bottleneck
//! rate (interrupted by stalls, or replaced by a delivery trace), base delay,
//! then a release model (jitter / aggregation).
//!
//! Every decision is taken when the packet arrives, from the arrival time
//! the caller passes in: there is no clock inside, so tests drive it with
//! any timeline and the real bridge with the monotonic clock.

use std::collections::VecDeque;

use anyhow::{Context, Result};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::jitter::ReleaseModel;
use crate::profile::{ms_to_ns, DirectionConfig, JitterConfig};
use crate::stalls::StallSchedule;
use crate::trace::DeliveryTrace;

/// What happens to an arriving packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver at `release_ns`; `queue_delay_ns` is the time it spent at the
    /// bottleneck (waiting, stalled and serialising).
    Deliver { release_ns: u64, queue_delay_ns: u64 },
    /// Dropped by the drop-tail queue.
    DropQueue,
    /// Lost on the link (random loss).
    DropRandom,
}

/// How the bottleneck serves packets.
#[derive(Debug, Clone)]
enum Server {
    /// Constant rate (or unlimited when `bits_per_s == 0`).
    Rate { bits_per_s: u64 },
    /// Constant rate, not serving during stalls.
    Stalling { bits_per_s: u64, stalls: StallSchedule },
    /// One packet per trace opportunity.
    Trace(DeliveryTrace),
}

/// Seeds derived from the run seed. The stall seed does not depend on the
/// direction, so both directions of a handover profile stall together.
const DIRECTION_SEED_SALT: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0xc2b2_ae3d_27d4_eb4f];
const STALL_SEED_SALT: u64 = 0x1656_67b1_9e37_79f9;

/// Which way a [`Link`] carries packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Interface a → interface b (data, sender → receiver).
    AToB,
    /// Interface b → interface a (ACKs).
    BToA,
}

impl Direction {
    /// Label used in logs and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Direction::AToB => "a_to_b",
            Direction::BToA => "b_to_a",
        }
    }

    fn index(self) -> usize {
        match self {
            Direction::AToB => 0,
            Direction::BToA => 1,
        }
    }
}

/// One emulated direction.
#[derive(Debug)]
pub struct Link {
    rng: SmallRng,
    loss: f64,
    delay_ns: u64,
    queue_packets: usize,
    queue_bytes: u64,
    /// Serialisation end times and sizes of packets still at the bottleneck;
    /// bounded by `queue_packets` so it never reallocates.
    backlog: VecDeque<(u64, u32)>,
    backlog_bytes: u64,
    /// When the bottleneck finishes the last admitted packet.
    busy_until_ns: u64,
    server: Server,
    release: ReleaseModel,
}

/// Smallest Ethernet frame without FCS; bounds the backlog for a byte limit.
const MIN_FRAME_BYTES: u64 = 60;

impl Link {
    /// Builds the direction from its profile table. `max_backlog_packets`
    /// caps the queue when the profile gives no packet limit (it is the
    /// number of packet buffers the bridge owns for this direction).
    pub fn new(
        config: &DirectionConfig,
        direction: Direction,
        seed: u64,
        max_backlog_packets: usize,
    ) -> Result<Self> {
        let bits_per_s = (config.rate_mbit * 1_000_000.0).round() as u64;
        let server = match &config.jitter {
            JitterConfig::Stalls { min_ms, max_ms, mean_interval_ms } => Server::Stalling {
                bits_per_s,
                stalls: StallSchedule::new(
                    seed ^ STALL_SEED_SALT,
                    ms_to_ns(*min_ms),
                    ms_to_ns(*max_ms),
                    ms_to_ns(*mean_interval_ms),
                ),
            },
            JitterConfig::Trace { file } => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading trace {}", file.display()))?;
                Server::Trace(DeliveryTrace::parse(&text)?)
            }
            _ => Server::Rate { bits_per_s },
        };
        let release = match &config.jitter {
            JitterConfig::Uniform { max_ms } => ReleaseModel::Uniform { max_ns: ms_to_ns(*max_ms) },
            JitterConfig::FifoJitter { max_ms } => {
                ReleaseModel::FifoJitter { max_ns: ms_to_ns(*max_ms), last_release_ns: 0 }
            }
            JitterConfig::AckAggregation { interval_ms } => {
                ReleaseModel::Aggregate { interval_ns: ms_to_ns(*interval_ms) }
            }
            _ => ReleaseModel::Immediate,
        };
        let by_bytes =
            config.queue_bytes.map(|b| (b / MIN_FRAME_BYTES + 1) as usize).unwrap_or(usize::MAX);
        let queue_packets = config
            .queue_packets
            .map(|p| p as usize)
            .unwrap_or(usize::MAX)
            .min(by_bytes)
            .min(max_backlog_packets)
            .max(1);
        Ok(Self {
            rng: SmallRng::seed_from_u64(seed ^ DIRECTION_SEED_SALT[direction.index()]),
            loss: config.loss,
            delay_ns: ms_to_ns(config.delay_ms),
            queue_packets,
            queue_bytes: config.queue_bytes.unwrap_or(u64::MAX),
            backlog: VecDeque::with_capacity(queue_packets),
            backlog_bytes: 0,
            busy_until_ns: 0,
            server,
            release,
        })
    }

    /// Packets currently at the bottleneck (after [`Link::on_arrival`]
    /// has drained the ones finished by its `now_ns`).
    pub fn backlog_packets(&self) -> usize {
        self.backlog.len()
    }

    fn drain_backlog(&mut self, now_ns: u64) {
        while let Some(&(done_ns, len)) = self.backlog.front() {
            if done_ns > now_ns {
                break;
            }
            self.backlog.pop_front();
            self.backlog_bytes = self.backlog_bytes.saturating_sub(u64::from(len));
        }
    }

    fn serialisation_ns(bits_per_s: u64, len: u32) -> u64 {
        if bits_per_s == 0 {
            return 0;
        }
        // len ≤ 2^32 bytes, so len * 8e9 fits in u128 trivially.
        (u128::from(len) * 8_000_000_000u128 / u128::from(bits_per_s)) as u64
    }

    /// Link time lost to stalls while frames waited (0 without stalls).
    pub fn stalled_busy_ns(&self) -> u64 {
        match &self.server {
            Server::Stalling { stalls, .. } => stalls.stalled_busy_ns(),
            _ => 0,
        }
    }

    /// Decides the fate of a packet of `len` frame bytes arriving at `now_ns`.
    /// `now_ns` must not decrease between calls.
    pub fn on_arrival(&mut self, now_ns: u64, len: u32) -> Verdict {
        self.drain_backlog(now_ns);
        let len64 = u64::from(len);
        if self.backlog.len() >= self.queue_packets
            || self.backlog_bytes.saturating_add(len64) > self.queue_bytes
        {
            return Verdict::DropQueue;
        }
        let ready = now_ns.max(self.busy_until_ns);
        let served_ns = match &mut self.server {
            Server::Rate { bits_per_s } => {
                ready.saturating_add(Self::serialisation_ns(*bits_per_s, len))
            }
            Server::Stalling { bits_per_s, stalls } => {
                // A packet starts only while the link is up; one that has
                // started finishes even if a stall begins meanwhile.
                let start = stalls.available_at(ready);
                start.saturating_add(Self::serialisation_ns(*bits_per_s, len))
            }
            Server::Trace(trace) => trace.take_at_or_after(ready),
        };
        self.busy_until_ns = served_ns;
        self.backlog.push_back((served_ns, len));
        self.backlog_bytes = self.backlog_bytes.saturating_add(len64);
        // Lost after using its share of the bottleneck, like a radio frame
        // that was sent but not decoded.
        if self.loss > 0.0 && self.rng.gen::<f64>() < self.loss {
            return Verdict::DropRandom;
        }
        let nominal = served_ns.saturating_add(self.delay_ns);
        let release_ns = self.release.release_at(nominal, &mut self.rng);
        Verdict::Deliver { release_ns, queue_delay_ns: served_ns - now_ns }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    const MS: u64 = 1_000_000;
    const US: u64 = 1_000;

    fn direction(toml_table: &str) -> DirectionConfig {
        let text = format!("name = \"t\"\n[a_to_b]\n{toml_table}\n[b_to_a]\nrate_mbit = 0\n");
        Profile::parse(&text).expect("valid test profile").a_to_b
    }

    fn release(v: Verdict) -> u64 {
        match v {
            Verdict::Deliver { release_ns, .. } => release_ns,
            other => panic!("expected delivery, got {other:?}"),
        }
    }

    #[test]
    fn rate_and_delay_set_the_release_time() {
        let cfg = direction("rate_mbit = 50\ndelay_ms = 20");
        let mut link = Link::new(&cfg, Direction::AToB, 1, 1000).expect("link");
        // 1500 B at 50 Mbit/s = 240 µs on the wire.
        assert_eq!(release(link.on_arrival(0, 1500)), 240 * US + 20 * MS);
        // Back-to-back arrival waits for the first to finish.
        assert_eq!(release(link.on_arrival(0, 1500)), 480 * US + 20 * MS);
        // After an idle gap the link starts fresh.
        assert_eq!(release(link.on_arrival(10 * MS, 1500)), 10 * MS + 240 * US + 20 * MS);
    }

    #[test]
    fn drop_tail_by_packets_and_bytes() {
        let cfg = direction("rate_mbit = 1\nqueue_packets = 3");
        let mut link = Link::new(&cfg, Direction::AToB, 1, 1000).expect("link");
        for _ in 0..3 {
            assert!(matches!(link.on_arrival(0, 1000), Verdict::Deliver { .. }));
        }
        assert_eq!(link.on_arrival(0, 1000), Verdict::DropQueue);
        // 1000 B at 1 Mbit/s = 8 ms: at 8 ms the first has left.
        assert!(matches!(link.on_arrival(8 * MS, 1000), Verdict::Deliver { .. }));

        let cfg = direction("rate_mbit = 1\nqueue_bytes = 2500");
        let mut link = Link::new(&cfg, Direction::AToB, 1, 1000).expect("link");
        assert!(matches!(link.on_arrival(0, 1000), Verdict::Deliver { .. }));
        assert!(matches!(link.on_arrival(0, 1000), Verdict::Deliver { .. }));
        assert_eq!(link.on_arrival(0, 1000), Verdict::DropQueue);
        assert!(matches!(link.on_arrival(0, 500), Verdict::Deliver { .. }));
    }

    #[test]
    fn queue_delay_reports_time_at_the_bottleneck() {
        let cfg = direction("rate_mbit = 8\ndelay_ms = 5");
        let mut link = Link::new(&cfg, Direction::AToB, 1, 1000).expect("link");
        link.on_arrival(0, 1000); // 1 ms on the wire
        match link.on_arrival(0, 1000) {
            Verdict::Deliver { queue_delay_ns, .. } => assert_eq!(queue_delay_ns, 2 * MS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn random_loss_rate_matches_configuration() {
        let cfg = direction("loss = 0.01");
        let mut link = Link::new(&cfg, Direction::AToB, 5, 1000).expect("link");
        let n = 200_000;
        let lost = (0..n).filter(|i| link.on_arrival(*i, 1500) == Verdict::DropRandom).count();
        assert!((1600..2400).contains(&lost), "{lost} of {n}");
    }

    #[test]
    fn stalls_hold_packets_then_drain_at_rate() {
        let cfg = direction(
            "rate_mbit = 50\n[a_to_b.jitter]\nmodel = \"stalls\"\nmin_ms = 200\nmax_ms = 200\nmean_interval_ms = 1000",
        );
        let mut link = Link::new(&cfg, Direction::AToB, 11, 100_000).expect("link");
        // Find the first stall by probing the same schedule the link uses.
        let mut probe = StallSchedule::new(11 ^ STALL_SEED_SALT, 200 * MS, 200 * MS, 1000 * MS);
        let (start, end) = probe.current();
        assert_eq!(probe.available_at(start + MS), end);
        // Before the stall: served at once.
        assert_eq!(release(link.on_arrival(start - MS, 1500)), start - MS + 240 * US);
        // During the stall: waits for the end, then drains back to back.
        assert_eq!(release(link.on_arrival(start + MS, 1500)), end + 240 * US);
        assert_eq!(release(link.on_arrival(start + 2 * MS, 1500)), end + 480 * US);
    }

    #[test]
    fn handover_stalls_both_directions_together() {
        let table = "rate_mbit = 50\n[a_to_b.jitter]\nmodel = \"stalls\"\nmin_ms = 300\nmax_ms = 800\nmean_interval_ms = 3000";
        let cfg = direction(table);
        let mut data = Link::new(&cfg, Direction::AToB, 99, 100_000).expect("link");
        let mut acks = Link::new(&cfg, Direction::BToA, 99, 100_000).expect("link");
        for i in 0..20_000u64 {
            let t = i * MS;
            assert_eq!(
                release(data.on_arrival(t, 1500)),
                release(acks.on_arrival(t, 1500)),
                "at {i} ms"
            );
        }
    }

    #[test]
    fn repeatable_with_seed_and_different_across_seeds() {
        let cfg = direction("rate_mbit = 50\ndelay_ms = 20\nloss = 0.05\n[a_to_b.jitter]\nmodel = \"uniform\"\nmax_ms = 10");
        let run = |seed| {
            let mut link = Link::new(&cfg, Direction::AToB, seed, 10_000).expect("link");
            (0..5000u64).map(|i| link.on_arrival(i * 300 * US, 1500)).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn trace_serves_one_packet_per_opportunity() {
        let dir = std::env::temp_dir().join(format!("jg-linkem-trace-{}", std::process::id()));
        std::fs::write(&dir, "1\n1\n5\n").expect("write trace");
        let cfg = direction(&format!(
            "delay_ms = 10\n[a_to_b.jitter]\nmodel = \"trace\"\nfile = {:?}",
            dir.display().to_string()
        ));
        let mut link = Link::new(&cfg, Direction::AToB, 1, 1000).expect("link");
        let _ = std::fs::remove_file(&dir);
        assert_eq!(release(link.on_arrival(0, 1500)), MS + 10 * MS);
        assert_eq!(release(link.on_arrival(0, 1500)), MS + 10 * MS);
        assert_eq!(release(link.on_arrival(0, 1500)), 5 * MS + 10 * MS);
        assert_eq!(release(link.on_arrival(0, 1500)), 6 * MS + 10 * MS);
    }

    #[test]
    fn backlog_never_exceeds_its_capacity() {
        let cfg = direction("rate_mbit = 1");
        let mut link = Link::new(&cfg, Direction::AToB, 1, 16).expect("link");
        let mut delivered = 0;
        for _ in 0..100 {
            if matches!(link.on_arrival(0, 1500), Verdict::Deliver { .. }) {
                delivered += 1;
            }
            assert!(link.backlog_packets() <= 16);
        }
        assert_eq!(delivered, 16);
    }
}
