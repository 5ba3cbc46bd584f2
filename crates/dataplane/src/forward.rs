//! The run-to-completion worker loop: for each port pair it owns, a worker
//! receives a burst from one side, runs the per-packet hook on every frame,
//! and transmits the survivors to the other side, then the same the other way.
//!
//! The hook is the one place where `wire`/`flow`/`shield` plug in. It is a
//! generic parameter, so the passthrough hook compiles down to nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::counters::{LocalCounters, WorkerCounters};
use crate::eal::rdtsc;
use crate::mbuf::{MbufBurst, MAX_BURST};

/// Which way a frame travels through the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Arrived on the core port (from the sender S), leaves on the access port.
    CoreToAccess,
    /// Arrived on the access port (from the receiver R), leaves on the core port.
    AccessToCore,
}

/// What the hook decided for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it on (possibly rewritten in place by the hook).
    Forward,
    /// Do not send it (counted as `hook_dropped`).
    Drop,
}

/// The per-packet processing step. Implementations must never panic on any
/// frame and must not allocate, lock or make syscalls.
pub trait PacketHook: Send {
    /// Called for every received frame, in arrival order per direction.
    fn on_packet(&mut self, frame: &mut [u8], dir: Direction, now_tsc: u64) -> Verdict;

    /// Called once per loop iteration after both directions were served
    /// (timers, periodic publication of stats).
    fn on_loop_end(&mut self, _now_tsc: u64) {}
}

/// The hook of `passthrough` mode: every frame goes through untouched.
#[derive(Debug, Default, Clone, Copy)]
pub struct Passthrough;

impl PacketHook for Passthrough {
    #[inline(always)]
    fn on_packet(&mut self, _frame: &mut [u8], _dir: Direction, _now_tsc: u64) -> Verdict {
        Verdict::Forward
    }
}

/// One queue of one port pair, served by one worker.
#[derive(Debug, Clone, Copy)]
pub struct PortPairQueues {
    pub core_port: u16,
    pub access_port: u16,
    pub queue: u16,
}

/// Loop parameters.
#[derive(Debug, Clone, Copy)]
pub struct ForwardConfig {
    /// Packets per rx_burst (≤ 64).
    pub burst: usize,
    /// How many more times a full TX queue is retried before dropping.
    pub tx_retries: u32,
}

/// One dataplane worker: the queues it serves, its hook and its counters.
pub struct Worker<H: PacketHook> {
    queues: Vec<PortPairQueues>,
    hook: H,
    cfg: ForwardConfig,
    shared: Arc<WorkerCounters>,
    local: LocalCounters,
    rx: MbufBurst,
    keep: MbufBurst,
}

impl<H: PacketHook> Worker<H> {
    pub fn new(
        queues: Vec<PortPairQueues>,
        hook: H,
        cfg: ForwardConfig,
        shared: Arc<WorkerCounters>,
    ) -> Self {
        let cfg = ForwardConfig { burst: cfg.burst.clamp(1, MAX_BURST), ..cfg };
        Worker {
            queues,
            hook,
            cfg,
            shared,
            local: LocalCounters::default(),
            rx: MbufBurst::default(),
            keep: MbufBurst::default(),
        }
    }

    /// Runs until `stop` is set; returns the hook (for its final state).
    pub fn run(mut self, stop: &AtomicBool) -> H {
        while !stop.load(Ordering::Relaxed) {
            for i in 0..self.queues.len() {
                let q = self.queues[i];
                self.serve(q.core_port, q.access_port, q.queue, Direction::CoreToAccess);
                self.serve(q.access_port, q.core_port, q.queue, Direction::AccessToCore);
            }
            self.hook.on_loop_end(rdtsc());
        }
        self.shared.publish(&self.local);
        self.hook
    }

    /// One burst from `rx_port` to `tx_port`.
    #[inline]
    fn serve(&mut self, rx_port: u16, tx_port: u16, queue: u16, dir: Direction) {
        let n = self.rx.rx(rx_port, queue, self.cfg.burst);
        if n == 0 {
            return;
        }
        let start = rdtsc();
        match dir {
            Direction::CoreToAccess => self.local.rx_from_core += n as u64,
            Direction::AccessToCore => self.local.rx_from_access += n as u64,
        }
        let mut dropped = false;
        for i in 0..n {
            if self.hook.on_packet(self.rx.frame_mut(i), dir, start) == Verdict::Drop {
                // Park the frame in `keep` so it can be freed in bulk below.
                self.rx.move_to(i, &mut self.keep);
                dropped = true;
            }
        }
        if dropped {
            self.rx.compact();
            self.local.hook_dropped += self.keep.free_all() as u64;
        }
        let mut sent = self.rx.tx(tx_port, queue);
        let mut retries = 0;
        while !self.rx.is_empty() && retries < self.cfg.tx_retries {
            sent += self.rx.tx(tx_port, queue);
            retries += 1;
        }
        self.local.tx += sent as u64;
        self.local.tx_dropped += self.rx.free_all() as u64;
        self.local.bursts += 1;
        self.local.busy_cycles += rdtsc().wrapping_sub(start);
        self.shared.publish(&self.local);
    }
}
