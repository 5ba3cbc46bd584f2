//! The per-flow "why" trace: a small ring of the events that explain the
//! flow's state (class changes with the measurement that caused them, the
//! sender's RTOs, open/close). Later, each action of the shield mode.
//!
//! The ring lives inside the flow's `Copy` state, so the management thread
//! reads it from a snapshot of the flow without locks.

use core::fmt;

use crate::classify::{Class, Reason};
use crate::clock::FlowClock;

/// Events kept per flow.
pub const TRACE_CAPACITY: usize = 8;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// The flow was first seen.
    Opened {
        /// Without its handshake (window scale unknown).
        midstream: bool,
    },
    /// The handshake completed.
    Handshake {
        /// J's RTT (box -> R -> box) from SYN / SYN-ACK timing, µs (0: unknown).
        j_rtt_us: u32,
        /// S-side RTT (box -> S -> box), µs (0: unknown).
        s_rtt_us: u32,
    },
    /// The flow's class changed.
    ClassChanged {
        /// Previous class.
        from: Class,
        /// New class.
        to: Class,
        /// The measurement that decided the tick.
        reason: Reason,
        /// The tick's standing queuing delay, µs.
        queue_us: u32,
        /// The reason's measurement (see [`Reason`]).
        value: u32,
    },
    /// S retransmitted after its RTO.
    SenderRto {
        /// Time without ACK progress on J, µs.
        quiet_us: u32,
        /// The quiet time was a stall on J.
        in_stall: bool,
    },
    /// The flow ended.
    Closed {
        /// By RST (else: FIN from both sides).
        reset: bool,
    },
}

/// One trace entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// When, on the caller's clock (millisecond resolution).
    pub at_ns: u64,
    /// What.
    pub kind: TraceKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stored {
    at_ms: u32,
    kind: TraceKind,
}

/// Fixed ring; the oldest event is overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceRing {
    ev: [Stored; TRACE_CAPACITY],
    /// Total events ever pushed (wrapping); the ring holds the last ones.
    pushed: u16,
}

impl Default for TraceRing {
    fn default() -> Self {
        TraceRing {
            ev: [Stored { at_ms: 0, kind: TraceKind::Closed { reset: false } }; TRACE_CAPACITY],
            pushed: 0,
        }
    }
}

impl TraceRing {
    pub(crate) fn push(&mut self, at_ms: u32, kind: TraceKind) {
        let i = usize::from(self.pushed) % TRACE_CAPACITY;
        if let Some(slot) = self.ev.get_mut(i) {
            *slot = Stored { at_ms, kind };
        }
        self.pushed = self.pushed.wrapping_add(1);
        // Keep `pushed` meaning "ring is full" after wrapping.
        if self.pushed == 0 {
            self.pushed = TRACE_CAPACITY as u16;
        }
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.pushed).min(TRACE_CAPACITY)
    }

    /// Oldest first.
    pub(crate) fn iter(&self, clock: FlowClock) -> impl Iterator<Item = TraceEvent> + '_ {
        let len = self.len();
        let start = if usize::from(self.pushed) > TRACE_CAPACITY {
            usize::from(self.pushed) % TRACE_CAPACITY
        } else {
            0
        };
        (0..len).filter_map(move |k| {
            let s = self.ev.get((start + k) % TRACE_CAPACITY)?;
            Some(TraceEvent { at_ns: clock.ns_of_millis(s.at_ms), kind: s.kind })
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Clear => "clear",
            Class::Jitter => "jitter",
            Class::Congested => "congested",
        })
    }
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.at_ns as f64 / 1e9;
        write!(f, "{t:.3}s ")?;
        match self.kind {
            TraceKind::Opened { midstream: true } => {
                f.write_str("opened mid-stream (window scale unknown)")
            }
            TraceKind::Opened { midstream: false } => f.write_str("opened"),
            TraceKind::Handshake { j_rtt_us, s_rtt_us } => {
                write!(
                    f,
                    "handshake: J rtt {:.1} ms, S-side rtt {:.1} ms",
                    ms(j_rtt_us),
                    ms(s_rtt_us)
                )
            }
            TraceKind::ClassChanged { from, to, reason, queue_us, value } => {
                write!(f, "class {from} -> {to}: ")?;
                match reason {
                    Reason::Unmeasured => f.write_str("no RTT baseline yet (unsure)")?,
                    Reason::Quiet => f.write_str("no impairment")?,
                    Reason::DelayVariation => write!(f, "delay variation {:.1} ms", ms(value))?,
                    Reason::Reorder => write!(f, "{value} reordering event(s)")?,
                    Reason::Loss => write!(f, "{value} hole(s) on J")?,
                    Reason::Stall => write!(f, "stall of {:.1} ms", ms(value))?,
                    Reason::StandingQueue => {
                        write!(f, "standing queue, delivery at {value}% of max")?
                    }
                    Reason::QueueAtMaxRate => {
                        write!(f, "queue building with delivery at {value}% of max")?
                    }
                    Reason::LossAtHighQueue => write!(f, "{value} hole(s) at high queuing delay")?,
                    Reason::GroupVotes => write!(f, "{value}% of the group's flows congested")?,
                }
                write!(f, "; queuing delay {:.1} ms", ms(queue_us))
            }
            TraceKind::SenderRto { quiet_us, in_stall } => write!(
                f,
                "sender RTO after {:.1} ms without ACK progress{}",
                ms(quiet_us),
                if in_stall { " (J stalled)" } else { "" }
            ),
            TraceKind::Closed { reset: true } => f.write_str("closed by RST"),
            TraceKind::Closed { reset: false } => f.write_str("closed by FIN"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_last_events_oldest_first() {
        let clock = FlowClock::new(1_000_000_000);
        let mut r = TraceRing::default();
        assert_eq!(r.iter(clock).count(), 0);
        for i in 0..11u32 {
            r.push(i, TraceKind::SenderRto { quiet_us: i, in_stall: false });
        }
        let got: Vec<u32> = r
            .iter(clock)
            .map(|e| match e.kind {
                TraceKind::SenderRto { quiet_us, .. } => quiet_us,
                _ => u32::MAX,
            })
            .collect();
        assert_eq!(got, (3..11).collect::<Vec<_>>());
        assert_eq!(r.iter(clock).next().unwrap().at_ns, 1_003_000_000);
    }

    #[test]
    fn display_is_one_readable_line() {
        let e = TraceEvent {
            at_ns: 2_500_000_000,
            kind: TraceKind::ClassChanged {
                from: Class::Clear,
                to: Class::Jitter,
                reason: Reason::Stall,
                queue_us: 1_200,
                value: 312_000,
            },
        };
        assert_eq!(
            e.to_string(),
            "2.500s class clear -> jitter: stall of 312.0 ms; queuing delay 1.2 ms"
        );
    }
}
