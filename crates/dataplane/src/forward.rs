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
use crate::mbuf::{Mbuf, MbufBurst, Packet, MAX_BURST};
use crate::pipeline::clock::TscClock;
use crate::ring::HandoffRing;
use mgmt::histogram::HistogramWriter;

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
    /// The hook took the mbuf (`Packet::take`) and will send or free it
    /// itself later (held ACKs, for example).
    Taken,
    /// The flow belongs to worker `n`: pass the frame over the hand-off ring.
    HandOff(u16),
}

/// Frames a hook sends besides the ones it forwards: held frames released,
/// retransmissions, generated ACKs. Flushed after each burst.
#[derive(Default)]
pub struct Outbox {
    to_core: MbufBurst,
    to_access: MbufBurst,
    /// Frames that did not fit (freed, counted as TX drops).
    overflow: u64,
}

impl Outbox {
    /// Queues `m` to leave on the side `dir` points to.
    pub fn send(&mut self, dir: Direction, m: Mbuf) {
        let q = match dir {
            Direction::CoreToAccess => &mut self.to_access,
            Direction::AccessToCore => &mut self.to_core,
        };
        if q.push(m).is_err() {
            self.overflow += 1;
        }
    }

    /// Room left before frames for `dir` are dropped.
    pub fn room(&self, dir: Direction) -> usize {
        MAX_BURST - self.queue(dir).len()
    }

    fn queue(&self, dir: Direction) -> &MbufBurst {
        match dir {
            Direction::CoreToAccess => &self.to_access,
            Direction::AccessToCore => &self.to_core,
        }
    }

    fn queue_mut(&mut self, dir: Direction) -> &mut MbufBurst {
        match dir {
            Direction::CoreToAccess => &mut self.to_access,
            Direction::AccessToCore => &mut self.to_core,
        }
    }
}

/// The per-packet processing step. Implementations must never panic on any
/// frame and must not allocate, lock or make syscalls.
pub trait PacketHook: Send {
    /// Called for every received frame, in arrival order per direction.
    fn on_packet(
        &mut self,
        pkt: Packet<'_>,
        dir: Direction,
        now_ns: u64,
        out: &mut Outbox,
    ) -> Verdict;

    /// Called once per received burst, before its frames are handed to
    /// [`on_burst_packet`](Self::on_burst_packet): a hook can look at the
    /// whole burst first (parse every frame, prefetch its flow state) so the
    /// cache misses of all frames overlap instead of stalling one frame at a
    /// time. What it prepares for `dir` holds until the next `on_burst` of
    /// that direction.
    fn on_burst(&mut self, _burst: &MbufBurst, _dir: Direction) {}

    /// [`on_packet`](Self::on_packet) for frame `i` of the burst last passed
    /// to [`on_burst`](Self::on_burst) for `dir`, that frame unchanged since.
    fn on_burst_packet(
        &mut self,
        _i: usize,
        pkt: Packet<'_>,
        dir: Direction,
        now_ns: u64,
        out: &mut Outbox,
    ) -> Verdict {
        self.on_packet(pkt, dir, now_ns, out)
    }

    /// Called once per loop iteration after both directions were served
    /// (timers, held frames, periodic publication of stats).
    fn on_loop_end(&mut self, _now_ns: u64, _out: &mut Outbox) {}

    /// Called once when the worker stops (final publication of state).
    fn on_stop(&mut self, _now_ns: u64) {}
}

/// The hook of `passthrough` mode: every frame goes through untouched.
#[derive(Debug, Default, Clone, Copy)]
pub struct Passthrough;

impl PacketHook for Passthrough {
    #[inline(always)]
    fn on_packet(&mut self, _: Packet<'_>, _: Direction, _: u64, _: &mut Outbox) -> Verdict {
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
    /// TSC frequency and the TSC value that is time 0 for the hooks.
    pub tsc_hz: u64,
    pub base_tsc: u64,
    /// Replay in capture time: frames of both ports are processed merged in
    /// the order of their RX timestamps (dynfield at this offset, µs), and
    /// the hooks' clock is the capture's. For pcap replays only.
    pub replay_timestamp_offset: Option<usize>,
}

/// Frames received but not yet processed, per direction (replay mode).
#[derive(Default)]
struct ReplayQueue {
    burst: MbufBurst,
    next: usize,
}

/// Capture-time state of a replay.
struct Replay {
    offset: usize,
    core: ReplayQueue,
    access: ReplayQueue,
    first_us: Option<u64>,
    now_ns: u64,
}

/// The rings that connect one worker to the others.
#[derive(Default)]
pub struct Handoff {
    /// `to[n]`: ring towards worker `n` (None for this worker itself).
    pub to: Vec<Option<Arc<HandoffRing>>>,
    /// Rings other workers fill for this one.
    pub from: Vec<Arc<HandoffRing>>,
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
    out: Outbox,
    handoff: Handoff,
    staging: Vec<MbufBurst>,
    clock: TscClock,
    replay: Option<Replay>,
    /// Cycles per packet of each burst, for the management plane.
    cost: Option<HistogramWriter>,
}

impl<H: PacketHook> Worker<H> {
    pub fn new(
        queues: Vec<PortPairQueues>,
        hook: H,
        cfg: ForwardConfig,
        shared: Arc<WorkerCounters>,
    ) -> Self {
        Self::with_handoff(queues, hook, cfg, shared, Handoff::default())
    }

    /// A worker that exchanges frames with the other workers over `handoff`.
    pub fn with_handoff(
        queues: Vec<PortPairQueues>,
        hook: H,
        cfg: ForwardConfig,
        shared: Arc<WorkerCounters>,
        handoff: Handoff,
    ) -> Self {
        let cfg = ForwardConfig { burst: cfg.burst.clamp(1, MAX_BURST), ..cfg };
        let staging = handoff.to.iter().map(|_| MbufBurst::default()).collect();
        let replay = cfg.replay_timestamp_offset.map(|offset| Replay {
            offset,
            core: ReplayQueue::default(),
            access: ReplayQueue::default(),
            first_us: None,
            now_ns: 0,
        });
        Worker {
            cost: None,
            clock: TscClock::new(cfg.tsc_hz, cfg.base_tsc),
            replay,
            handoff,
            staging,
            queues,
            hook,
            cfg,
            shared,
            local: LocalCounters::default(),
            rx: MbufBurst::default(),
            keep: MbufBurst::default(),
            out: Outbox::default(),
        }
    }

    /// Records each burst's cycles per packet into `h` (synced once per loop).
    pub fn with_cost_histogram(mut self, h: HistogramWriter) -> Self {
        self.cost = Some(h);
        self
    }

    /// Runs until `stop` is set; returns the hook (for its final state).
    pub fn run(mut self, stop: &AtomicBool) -> H {
        while !stop.load(Ordering::Relaxed) {
            self.drain_handoff();
            if self.replay.is_some() {
                self.serve_replay();
            } else {
                for i in 0..self.queues.len() {
                    let q = self.queues[i];
                    self.serve(q.core_port, q.access_port, q.queue, Direction::CoreToAccess);
                    self.serve(q.access_port, q.core_port, q.queue, Direction::AccessToCore);
                }
            }
            let now = self.now_ns();
            self.hook.on_loop_end(now, &mut self.out);
            self.flush_outbox();
            if let Some(h) = self.cost.as_mut() {
                h.sync();
            }
        }
        // Frames other workers handed over before stopping still get out.
        self.drain_handoff();
        let now = self.now_ns();
        self.hook.on_stop(now);
        self.shared.publish(&self.local);
        self.hook
    }

    /// The hooks' clock: TSC time, or capture time in a replay.
    #[inline]
    fn now_ns(&self) -> u64 {
        match &self.replay {
            Some(r) => r.now_ns,
            None => self.clock.ns(rdtsc()),
        }
    }

    /// Replay: processes up to two bursts' worth of frames of the first port
    /// pair, both directions merged in RX-timestamp (capture) order. A pcap
    /// vdev returns frames as long as its file has some, so an empty
    /// rx_burst means that direction is exhausted and the merge is exact.
    fn serve_replay(&mut self) {
        let Some(q) = self.queues.first().copied() else { return };
        let Some(mut r) = self.replay.take() else { return };
        let start = rdtsc();
        let mut done = 0;
        while done < 2 * self.cfg.burst {
            for (rq, port) in [(&mut r.core, q.core_port), (&mut r.access, q.access_port)] {
                if rq.next >= rq.burst.len() {
                    rq.burst.compact();
                    rq.next = 0;
                    let n = rq.burst.rx(port, q.queue, self.cfg.burst);
                    let dir = match port == q.core_port {
                        true => Direction::CoreToAccess,
                        false => Direction::AccessToCore,
                    };
                    match dir {
                        Direction::CoreToAccess => self.local.rx_from_core += n as u64,
                        Direction::AccessToCore => self.local.rx_from_access += n as u64,
                    }
                    // The hook sees the whole burst by index, the same
                    // indices `next` walks below.
                    if n > 0 {
                        self.hook.on_burst(&rq.burst, dir);
                    }
                }
            }
            let head = |rq: &ReplayQueue, off: usize| {
                (rq.next < rq.burst.len()).then(|| rq.burst.rx_timestamp(rq.next, off))
            };
            let dir = match (head(&r.core, r.offset), head(&r.access, r.offset)) {
                (Some(c), Some(a)) if a < c => Direction::AccessToCore,
                (Some(_), _) => Direction::CoreToAccess,
                (None, Some(_)) => Direction::AccessToCore,
                (None, None) => break,
            };
            let rq = match dir {
                Direction::CoreToAccess => &mut r.core,
                Direction::AccessToCore => &mut r.access,
            };
            let i = rq.next;
            rq.next += 1;
            let ts_us = rq.burst.rx_timestamp(i, r.offset);
            let first = *r.first_us.get_or_insert(ts_us);
            r.now_ns = r.now_ns.max(ts_us.saturating_sub(first).saturating_mul(1000));
            match self.hook.on_burst_packet(i, rq.burst.packet(i), dir, r.now_ns, &mut self.out) {
                Verdict::Forward | Verdict::HandOff(_) => {
                    if self.out.room(dir) == 0 {
                        self.flush_outbox();
                    }
                    rq.burst.move_to(i, self.out.queue_mut(dir));
                }
                Verdict::Drop => {
                    rq.burst.move_to(i, &mut self.keep);
                    self.local.hook_dropped += self.keep.free_all() as u64;
                }
                Verdict::Taken => {}
            }
            done += 1;
        }
        self.replay = Some(r);
        if done > 0 {
            self.flush_outbox();
            self.local.bursts += 1;
            self.local.busy_cycles += rdtsc().wrapping_sub(start);
            self.shared.publish(&self.local);
        }
    }

    /// Processes the frames other workers handed to this one; they leave on
    /// this worker's own TX queues.
    fn drain_handoff(&mut self) {
        for r in 0..self.handoff.from.len() {
            let n = self.handoff.from[r].dequeue(&mut self.rx);
            if n == 0 {
                continue;
            }
            let start = rdtsc();
            let now = self.clock.ns(start);
            self.local.handoff_in += n as u64;
            for i in 0..n {
                let port = self.rx.port(i);
                let dir = if self.queues.iter().any(|q| q.core_port == port) {
                    Direction::CoreToAccess
                } else {
                    Direction::AccessToCore
                };
                match self.hook.on_packet(self.rx.packet(i), dir, now, &mut self.out) {
                    Verdict::Forward | Verdict::HandOff(_) => {
                        if !self.rx.move_to(i, self.out.queue_mut(dir)) {
                            self.rx.move_to(i, &mut self.keep);
                            self.local.tx_dropped += 1;
                        }
                    }
                    Verdict::Drop => {
                        self.rx.move_to(i, &mut self.keep);
                        self.local.hook_dropped += 1;
                    }
                    Verdict::Taken => {}
                }
            }
            self.rx.compact();
            self.rx.free_all();
            self.keep.free_all();
            self.flush_outbox();
            self.local.busy_cycles += rdtsc().wrapping_sub(start);
        }
    }

    /// Pushes staged hand-off frames into their rings; frames a full ring
    /// refuses are dropped and counted.
    fn flush_handoff(&mut self) {
        for dst in 0..self.staging.len() {
            if self.staging[dst].is_empty() {
                continue;
            }
            if let Some(ring) = &self.handoff.to[dst] {
                self.local.handoff_out += ring.enqueue(&mut self.staging[dst]) as u64;
            }
            self.local.handoff_dropped += self.staging[dst].free_all() as u64;
        }
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
        let now = self.clock.ns(start);
        let mut holes = false;
        let mut handed = false;
        self.hook.on_burst(&self.rx, dir);
        for i in 0..n {
            match self.hook.on_burst_packet(i, self.rx.packet(i), dir, now, &mut self.out) {
                Verdict::Forward => {}
                Verdict::Drop => {
                    // Park the frame in `keep` so it can be freed in bulk below.
                    self.rx.move_to(i, &mut self.keep);
                    holes = true;
                }
                Verdict::Taken => holes = true,
                Verdict::HandOff(dst) => {
                    let dst = dst as usize;
                    if dst < self.staging.len() && self.handoff.to[dst].is_some() {
                        self.rx.move_to(i, &mut self.staging[dst]);
                        handed = true;
                        holes = true;
                    }
                    // Otherwise (no such worker): process here, forward.
                }
            }
        }
        if holes {
            self.rx.compact();
            self.local.hook_dropped += self.keep.free_all() as u64;
        }
        if handed {
            self.flush_handoff();
        }
        self.transmit_rx(tx_port, queue);
        self.flush_outbox();
        self.local.bursts += 1;
        let cycles = rdtsc().wrapping_sub(start);
        self.local.busy_cycles += cycles;
        if let Some(h) = self.cost.as_mut() {
            h.record(cycles / n as u64);
        }
        self.shared.publish(&self.local);
    }

    /// Sends the received burst with retries; frees and counts what is left.
    #[inline]
    fn transmit_rx(&mut self, port: u16, queue: u16) {
        let (sent, dropped) = transmit(&mut self.rx, port, queue, self.cfg.tx_retries);
        self.local.tx += sent;
        self.local.tx_dropped += dropped;
    }

    /// Sends what the hook queued for either side (all queues of this worker
    /// use the queue index of its first port pair).
    #[inline]
    fn flush_outbox(&mut self) {
        let Some(q) = self.queues.first().copied() else { return };
        for (burst, port) in
            [(&mut self.out.to_core, q.core_port), (&mut self.out.to_access, q.access_port)]
        {
            let (sent, dropped) = transmit(burst, port, q.queue, self.cfg.tx_retries);
            self.local.tx += sent;
            self.local.tx_dropped += dropped;
        }
        self.local.tx_dropped += std::mem::take(&mut self.out.overflow);
    }
}

/// tx_burst with up to `retries` extra attempts; returns (sent, dropped).
#[inline]
fn transmit(burst: &mut MbufBurst, port: u16, queue: u16, retries: u32) -> (u64, u64) {
    if burst.is_empty() {
        return (0, 0);
    }
    let mut sent = burst.tx(port, queue);
    let mut tries = 0;
    while !burst.is_empty() && tries < retries {
        sent += burst.tx(port, queue);
        tries += 1;
    }
    (sent as u64, burst.free_all() as u64)
}
