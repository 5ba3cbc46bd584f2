//! Handshake repair. S's SYN (S opens) or SYN-ACK (R opens) crosses J like
//! data, but when J loses it nothing repairs it for a second or more: S
//! waits out its initial RTO (RFC 6298: 1 s), or R its SYN timer, and a
//! Linux sender that had to resend its SYN or SYN-ACK then starts with a
//! window of one segment. On the bed (1 % loss, 256 KB requests on new
//! connections) those few requests are the slowest 1 %, with or without the
//! box. So the box keeps the segment and, if R has not answered within
//! `handshake_repair_ms`, sends it again once, while the flow's path group
//! is Jitter: the flow itself has no evidence yet, its group does.

use crate::segment::Segment;
use crate::seq::seq_gt;

use super::ActionConfig;

/// S's handshake segment still waiting for R's answer (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HandshakeRepair {
    /// When S's SYN (or SYN-ACK) passed.
    at_ns: u64,
    /// S's initial sequence number.
    iss: u32,
    /// R has not answered yet.
    pending: bool,
    /// The timer fired (repaired or not): never twice per handshake.
    done: bool,
}

impl HandshakeRepair {
    /// S's SYN or SYN-ACK passed towards R. S's own retransmission of it
    /// keeps the first time.
    pub(crate) fn on_sender_syn(&mut self, seq: u32, now_ns: u64) {
        if !(self.pending && self.iss == seq) {
            *self = HandshakeRepair { at_ns: now_ns, iss: seq, pending: true, done: false };
        }
    }

    /// A segment from R: an ACK of S's SYN, or a reset, ends the wait.
    pub(crate) fn on_receiver_segment(&mut self, seg: &Segment) {
        if self.pending && (seg.is_rst() || (seg.has_ack() && seq_gt(seg.ack, self.iss))) {
            self.pending = false;
        }
    }

    /// When the repair is due, if one is pending.
    pub(crate) fn due_ns(&self, a: &ActionConfig) -> Option<u64> {
        (a.handshake_repair && self.pending && !self.done)
            .then(|| self.at_ns.saturating_add(u64::from(a.handshake_repair_ms) * 1_000_000))
    }

    /// Timer: S's initial sequence number to send again, if the repair is
    /// due and `act` (the path group is Jitter). Fires once either way.
    pub(crate) fn on_timer(&mut self, now_ns: u64, act: bool, a: &ActionConfig) -> Option<u32> {
        if now_ns < self.due_ns(a)? {
            return None;
        }
        self.done = true;
        act.then_some(self.iss)
    }
}
