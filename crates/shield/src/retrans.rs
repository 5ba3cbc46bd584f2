//! The sender's recent retransmissions, for DSACK matching.
//!
//! A DSACK (RFC 2883) names a range R received twice. If a recent
//! retransmission from S covered it, that retransmission was spurious. The
//! log also remembers whether the retransmission's hole was already counted
//! as a loss on J, so that a later DSACK can move it to reordering.

use crate::seq::seq_overlaps;

const SLOTS: usize = 3;

/// Per-entry flags.
pub(crate) const RX_RTO: u8 = 1;
pub(crate) const RX_COUNTED_J_LOSS: u8 = 2;
pub(crate) const RX_SPURIOUS: u8 = 4;
/// Retransmitted more than once: a DSACK then proves nothing about the original.
pub(crate) const RX_MULTI: u8 = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RetransEntry {
    pub(crate) seq: u32,
    pub(crate) end: u32,
    pub(crate) flags: u8,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RetransLog {
    e: [RetransEntry; SLOTS],
    next: u8,
}

impl RetransLog {
    /// Log a retransmission of [seq, end), overwriting the oldest entry.
    pub(crate) fn log(&mut self, seq: u32, end: u32, flags: u8) {
        if let Some(e) = self.e.iter_mut().find(|e| e.seq == seq && e.end == end && e.seq != e.end)
        {
            e.flags |= RX_MULTI | flags;
            return;
        }
        let i = usize::from(self.next) % SLOTS;
        if let Some(slot) = self.e.get_mut(i) {
            *slot = RetransEntry { seq, end, flags };
        }
        self.next = ((i + 1) % SLOTS) as u8;
    }

    /// Mark entries overlapping [start, end) with `flag`.
    pub(crate) fn mark(&mut self, start: u32, end: u32, flag: u8) {
        for e in self.e.iter_mut().filter(|e| e.seq != e.end) {
            if seq_overlaps((e.seq, e.end), (start, end)) {
                e.flags |= flag;
            }
        }
    }

    /// A DSACK for [start, end): the first matching retransmission not yet
    /// known spurious is marked and returned (its flags before marking).
    pub(crate) fn on_dsack(&mut self, start: u32, end: u32) -> Option<RetransEntry> {
        let e = self
            .e
            .iter_mut()
            .filter(|e| e.seq != e.end && e.flags & RX_SPURIOUS == 0)
            .find(|e| seq_overlaps((e.seq, e.end), (start, end)))?;
        let before = *e;
        e.flags |= RX_SPURIOUS;
        Some(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsack_matches_once_and_log_is_bounded() {
        let mut l = RetransLog::default();
        l.log(1000, 2000, 0);
        l.mark(1500, 1600, RX_COUNTED_J_LOSS);
        let hit = l.on_dsack(1000, 2000).unwrap();
        assert_eq!(hit.flags, RX_COUNTED_J_LOSS);
        assert_eq!(l.on_dsack(1000, 2000), None, "one DSACK per retransmission");
        for i in 0..3u32 {
            l.log(10_000 + i * 10, 10_010 + i * 10, RX_RTO);
        }
        assert_eq!(l.on_dsack(1000, 2000), None, "overwritten");
        assert_eq!(l.on_dsack(10_000, 10_010).map(|e| e.flags), Some(RX_RTO));
        l.log(10_010, 10_020, 0);
        assert_eq!(l.on_dsack(10_010, 10_020).map(|e| e.flags), Some(RX_RTO | RX_MULTI));
    }
}
