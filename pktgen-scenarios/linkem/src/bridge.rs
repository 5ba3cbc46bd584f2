//! The event loop: receive on both interfaces, run each frame through its
//! direction's [`Link`], hold it in the [`ReleaseQueue`], send it out of the
//! other interface when due. Sleeps in `ppoll` until the next release (or a
//! frame arrives) and spins only for the last `spin_ns`.

use std::io;
use std::time::{Duration, Instant};

use crate::link::{Direction, Link, Verdict};
use crate::packet_socket::{wait_readable, PacketSocket};
use crate::release_queue::{ReleaseQueue, SLOT_BYTES};
use crate::shutdown;
use crate::stats::DirectionStats;

/// Frames read from one socket before checking releases again, so a flood
/// on one side cannot delay the other direction's departures much.
const RECV_BATCH: usize = 64;
/// Longest sleep, so periodic work (stats, stop flag) is never starved.
const MAX_SLEEP_NS: u64 = 100_000_000;

/// One direction: its model, its held frames, its counters.
#[derive(Debug)]
pub struct DirectionState {
    /// Which way it carries frames.
    pub direction: Direction,
    /// The link model.
    pub link: Link,
    /// Frames waiting for release.
    pub queue: ReleaseQueue,
    /// Counters.
    pub stats: DirectionStats,
}

/// Tunables of the loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    /// Busy-wait this long before a release instead of sleeping.
    pub spin_ns: u64,
    /// Print counters this often (None: only at exit).
    pub stats_every: Option<Duration>,
    /// Print counters as JSON lines.
    pub json: bool,
}

/// Two interfaces and the two directions between them.
#[derive(Debug)]
pub struct Bridge {
    sockets: [PacketSocket; 2],
    directions: [DirectionState; 2],
    scratch: Vec<u8>,
    epoch: Instant,
}

impl Bridge {
    /// `sockets[0]` is interface a, `sockets[1]` interface b;
    /// `directions[0]` must be a→b and `directions[1]` b→a.
    pub fn new(sockets: [PacketSocket; 2], directions: [DirectionState; 2]) -> Self {
        Self { sockets, directions, scratch: vec![0; SLOT_BYTES], epoch: Instant::now() }
    }

    /// The directions, for reporting.
    pub fn directions(&self) -> &[DirectionState; 2] {
        &self.directions
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Sends every frame due by now; returns the earliest pending release.
    fn release_due(&mut self) -> Option<u64> {
        let mut next: Option<u64> = None;
        for (index, state) in self.directions.iter_mut().enumerate() {
            let egress = &self.sockets[1 - index];
            loop {
                let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
                let Some((slot, release_ns)) = state.queue.pop_due(now) else {
                    break;
                };
                let frame = state.queue.frame(slot);
                match egress.send(frame) {
                    Ok(()) => {
                        state.stats.passed += 1;
                        state.stats.bytes_passed += frame.len() as u64;
                    }
                    Err(_) => state.stats.send_errors += 1,
                }
                state.stats.record_lateness(now.saturating_sub(release_ns));
                state.queue.give_back(slot);
            }
            if let Some(at) = state.queue.next_release_ns() {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        next
    }

    /// Reads up to a batch of frames from interface `index` into its direction.
    fn receive(&mut self, index: usize) -> io::Result<()> {
        for _ in 0..RECV_BATCH {
            let state = &mut self.directions[index];
            let slot = state.queue.acquire();
            let buffer = match slot {
                Some(s) => state.queue.buffer_mut(s),
                None => &mut self.scratch[..],
            };
            let received = match self.sockets[index].recv(buffer) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    if let Some(s) = slot {
                        state.queue.give_back(s);
                    }
                    return Ok(());
                }
                Err(e) => {
                    if let Some(s) = slot {
                        state.queue.give_back(s);
                    }
                    return Err(e);
                }
            };
            let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let Some(slot) = slot else {
                if !received.outgoing {
                    state.stats.received += 1;
                    state.stats.dropped_no_buffer += 1;
                }
                continue;
            };
            if received.outgoing {
                state.stats.ignored_outgoing += 1;
                state.queue.give_back(slot);
                continue;
            }
            state.stats.received += 1;
            if received.truncated {
                state.stats.dropped_oversize += 1;
                state.queue.give_back(slot);
                continue;
            }
            let len = u32::try_from(received.len).unwrap_or(u32::MAX);
            match state.link.on_arrival(now, len) {
                Verdict::Deliver { release_ns, queue_delay_ns } => {
                    state.stats.record_queue_delay(queue_delay_ns);
                    state.queue.schedule(slot, received.len, release_ns);
                }
                Verdict::DropQueue => {
                    state.stats.dropped_queue += 1;
                    state.queue.give_back(slot);
                }
                Verdict::DropRandom => {
                    state.stats.dropped_random += 1;
                    state.queue.give_back(slot);
                }
            }
        }
        Ok(())
    }

    /// Runs until SIGINT/SIGTERM.
    pub fn run(&mut self, options: LoopOptions) -> io::Result<()> {
        let stats_every_ns =
            options.stats_every.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1));
        let mut next_stats_ns = stats_every_ns.unwrap_or(u64::MAX);
        while !shutdown::requested() {
            let next_release = self.release_due();
            let now = self.now_ns();
            if now >= next_stats_ns {
                self.print_stats(options.json, "periodic");
                next_stats_ns = now.saturating_add(stats_every_ns.unwrap_or(u64::MAX));
            }
            let deadline = next_release.unwrap_or(u64::MAX).min(next_stats_ns);
            let wait = deadline.saturating_sub(now).min(MAX_SLEEP_NS);
            // Close to a release: only look for arrivals, then come back.
            let timeout = wait.saturating_sub(options.spin_ns);
            let readable = wait_readable([&self.sockets[0], &self.sockets[1]], Some(timeout))?;
            for (index, ready) in readable.into_iter().enumerate() {
                if ready {
                    self.receive(index)?;
                }
            }
        }
        Ok(())
    }

    /// Prints both directions' counters to stderr (text) or stdout (JSON).
    pub fn print_stats(&mut self, json: bool, label: &str) {
        for (socket, state) in self.sockets.iter().zip(self.directions.iter_mut()) {
            // Best effort: a failed read only leaves the figure as it was.
            state.stats.dropped_socket += socket.take_kernel_drops().unwrap_or(0);
        }
        if json {
            let mut object = serde_json::Map::new();
            object.insert("event".into(), label.into());
            object.insert("t_s".into(), (self.now_ns() as f64 / 1e9).into());
            for state in &self.directions {
                let mut d = state.stats.to_json();
                d["stalled_busy_ms"] = (state.link.stalled_busy_ns() as f64 / 1e6).into();
                object.insert(state.direction.label().into(), d);
            }
            println!("{}", serde_json::Value::Object(object));
        } else {
            for state in &self.directions {
                eprintln!(
                    "jg-linkem {label} {}: {}",
                    state.direction.label(),
                    state.stats.summary()
                );
            }
        }
    }
}
