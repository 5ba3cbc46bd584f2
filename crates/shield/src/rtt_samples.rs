//! Small fixed rings that turn packet pairs into RTT samples.
//!
//! * [`SeqSampleRing`]: (end_seq, sent_at) of a few data segments; an ACK
//!   covering `end_seq` gives one sample (Karn: entries are dropped when any
//!   byte at or below them is retransmitted, or a hole below them appears,
//!   because their ACK would then measure the recovery, not the path).
//!   Only a few segments per RTT are sampled: a slot frees when its ACK
//!   arrives, and the next segment sent takes it.
//! * [`TsEchoRing`]: (TSval, first_seen_at) of timestamps one side sent; the
//!   other side's TSecr echo gives a sample. Retransmissions carry a fresh
//!   TSval, so these samples stay valid during loss recovery.

use crate::clock::Micros;
use crate::seq::{seq_gt, seq_le, seq_lt};

const SEQ_SLOTS: usize = 4;

/// Pending (end_seq, sent_at) samples, in increasing end_seq order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeqSampleRing {
    e: [(u32, Micros); SEQ_SLOTS],
    len: u8,
    /// `sack_sampled` holds the end of the segment `on_sack` sampled last.
    sack_sampled_set: bool,
    sack_sampled: u32,
}

impl SeqSampleRing {
    fn entries(&self) -> &[(u32, Micros)] {
        self.e.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Record a newly sent segment ending at `end`, if a slot is free.
    pub(crate) fn push(&mut self, end: u32, at: Micros) {
        if let Some(last) = self.entries().last() {
            if !seq_gt(end, last.0) {
                return;
            }
        }
        if let Some(slot) = self.e.get_mut(usize::from(self.len)) {
            *slot = (end, at);
            self.len += 1;
        }
    }

    /// Retire every entry the cumulative `ack` covers; return the send time
    /// of the newest of them (the one whose ACK this most likely is).
    pub(crate) fn on_ack(&mut self, ack: u32) -> Option<Micros> {
        // Entries left are all above `ack`, so a sampled end at or below it
        // need not be remembered (and, forgotten, cannot look newer than
        // new entries after the sequence space wraps).
        if self.sack_sampled_set && seq_le(self.sack_sampled, ack) {
            self.sack_sampled_set = false;
        }
        let covered = self.entries().iter().take_while(|(end, _)| seq_le(*end, ack)).count();
        let sample = covered.checked_sub(1).and_then(|i| self.e.get(i)).map(|&(_, at)| at);
        self.e.copy_within(covered.min(SEQ_SLOTS).., 0);
        self.len -= covered as u8;
        sample
    }

    /// RTT sample from R's SACK blocks (RACK measures the same way): the
    /// send time of the newest recorded segment whose end a block covers,
    /// each segment once. The entries stay for the cumulative ACK's sample:
    /// what the classifier measures does not change.
    pub(crate) fn on_sack(&mut self, blocks: &[(u32, u32)]) -> Option<Micros> {
        let newer = |end: u32| !self.sack_sampled_set || seq_gt(end, self.sack_sampled);
        let covered = |end: u32| blocks.iter().any(|&(l, r)| seq_gt(end, l) && seq_le(end, r));
        let &(end, at) = self.entries().iter().rev().find(|&&(end, _)| covered(end))?;
        if !newer(end) {
            return None;
        }
        self.sack_sampled = end;
        self.sack_sampled_set = true;
        Some(at)
    }

    /// Karn: forget every entry whose segment ends after `seq`.
    pub(crate) fn invalidate_after(&mut self, seq: u32) {
        let keep = self.entries().iter().take_while(|(end, _)| seq_le(*end, seq)).count();
        self.len = keep as u8;
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// Pending (TSval, first_seen_at), in increasing TSval order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TsEchoRing<const N: usize> {
    e: [(u32, Micros); N],
    len: u8,
}

impl<const N: usize> Default for TsEchoRing<N> {
    fn default() -> Self {
        TsEchoRing { e: [(0, 0); N], len: 0 }
    }
}

impl<const N: usize> TsEchoRing<N> {
    fn entries(&self) -> &[(u32, Micros)] {
        self.e.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Remember when `tsval` was first seen (newer values only; full: skip).
    pub(crate) fn record(&mut self, tsval: u32, at: Micros) {
        if let Some(last) = self.entries().last() {
            if !seq_gt(tsval, last.0) {
                return;
            }
        }
        if let Some(slot) = self.e.get_mut(usize::from(self.len)) {
            *slot = (tsval, at);
            self.len += 1;
        }
    }

    /// An echo of `tsecr`: drop older values; if `tsecr` itself is pending,
    /// take it and return when it was first seen.
    pub(crate) fn echo(&mut self, tsecr: u32) -> Option<Micros> {
        let older = self.entries().iter().take_while(|(v, _)| seq_lt(*v, tsecr)).count();
        let hit = self.entries().get(older).filter(|(v, _)| *v == tsecr).map(|&(_, at)| at);
        let drop = older + usize::from(hit.is_some());
        self.e.copy_within(drop.min(N).., 0);
        self.len -= drop as u8;
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_ring_samples_newest_covered_and_wraps() {
        let mut r = SeqSampleRing::default();
        let base = u32::MAX - 2000;
        r.push(base.wrapping_add(1000), 10);
        r.push(base.wrapping_add(2000), 20); // wraps past zero
        r.push(base.wrapping_add(3000), 30);
        assert_eq!(r.on_ack(base.wrapping_add(500)), None);
        assert_eq!(r.on_ack(base.wrapping_add(2500)), Some(20));
        assert_eq!(r.len(), 1);
        assert_eq!(r.on_ack(base.wrapping_add(3000)), Some(30));
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn sack_blocks_sample_the_newest_covered_segment() {
        let mut r = SeqSampleRing::default();
        for i in 1..=4u32 {
            r.push(i * 100, i);
        }
        assert_eq!(r.on_sack(&[(450, 600)]), None, "no recorded end inside the block");
        // Segment 100..200 is the hole; 200..300 arrived: a sample of the
        // segment ending at 300, once.
        assert_eq!(r.on_sack(&[(200, 300)]), Some(3));
        assert_eq!(r.on_sack(&[(200, 300)]), None, "the same block again: no new sample");
        assert_eq!(r.on_sack(&[(200, 400)]), Some(4));
        assert_eq!(r.len(), 4, "the cumulative ACK's samples are untouched");
        assert_eq!(r.on_ack(400), Some(4));
    }

    #[test]
    fn seq_ring_is_bounded_and_karn_invalidates() {
        let mut r = SeqSampleRing::default();
        for i in 1..=10u32 {
            r.push(i * 100, i);
        }
        assert_eq!(r.len(), 4, "only four slots");
        r.invalidate_after(250);
        assert_eq!(r.len(), 2);
        assert_eq!(r.on_ack(400), Some(2), "the retransmitted range gives no sample");
    }

    #[test]
    fn ts_ring_matches_echo_and_drops_older() {
        let mut t = TsEchoRing::<4>::default();
        t.record(100, 1);
        t.record(100, 2); // same TSval: first sighting kept
        t.record(101, 3);
        t.record(103, 5);
        assert_eq!(t.echo(101), Some(3));
        assert_eq!(t.echo(102), None, "102 was never sent: no sample");
        assert_eq!(t.echo(103), Some(5));
        assert_eq!(t.echo(103), None, "one sample per TSval");
        t.record(u32::MAX, 7);
        t.record(1, 8); // wraps
        assert_eq!(t.echo(1), Some(8));
    }
}
