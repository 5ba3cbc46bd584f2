//! Loss and reordering on J versus loss upstream of the box.
//!
//! R reports holes: gaps between its cumulative ACK and its SACK blocks, or
//! (without SACK) duplicate ACKs. Every byte of such a hole either
//! * passed the box (it is in the range the box forwarded and not in an
//!   [`UpstreamGaps`] entry): it was lost or delayed on J, or
//! * never reached the box: it was lost upstream, between S and the box.
//!
//! When the hole is filled, the way it was filled tells which: filled with no
//! retransmission passing the box (or sooner after the retransmission than
//! half of J's min-RTT, too soon for the retransmission to have reached R and
//! come back) means the original arrived late: reordering. Filled after a
//! retransmission that had time to do it: a loss. In shield mode the
//! retransmission may be the box's own repair, which never passes the box
//! from S: the actions report it ([`HoleTable::on_box_repair`]) so that a
//! hole the box repaired counts as the loss it was.

use crate::clock::{elapsed, Micros};
use crate::seq::{seq_ge, seq_gt, seq_le, seq_lt, seq_max, seq_min, seq_overlaps, seq_span};

/// Hole flags.
pub(crate) const H_UPSTREAM: u8 = 1;
pub(crate) const H_RETX: u8 = 2;
pub(crate) const H_RTO: u8 = 4;
pub(crate) const H_UNKNOWN: u8 = 8;
/// The slot holds an open hole.
const H_ACTIVE: u8 = 16;
/// The box retransmitted into the hole (local recovery).
const H_BOX: u8 = 32;

pub(crate) const HOLES: usize = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Hole {
    /// Start when first reported. The cumulative ACK may move into the hole
    /// before it closes; the remaining part can then only be filled by the
    /// cumulative ACK (a SACK block never starts at or below it), so the
    /// original range is all the state a hole needs.
    origin: u32,
    end: u32,
    opened: Micros,
    /// Highest right edge R reported above the hole while it was open.
    high: u32,
    retx_at: Micros,
    flags: u8,
}

/// How a closed hole is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FillKind {
    /// Lost on J and repaired by a retransmission.
    JLoss,
    /// The box never saw these bytes: lost between S and the box.
    Upstream,
    /// Below the first byte the box saw (mid-stream pickup): unknowable.
    Unknown,
    /// Arrived late: reordering on J.
    Reorder {
        late_us: u32,
        extent_bytes: u32,
        /// S had retransmitted it anyway (a spurious fast retransmit).
        retransmitted: bool,
    },
}

/// A hole that closed on this ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Filled {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) kind: FillKind,
    pub(crate) flags: u8,
}

impl Filled {
    pub(crate) fn bytes(&self) -> u32 {
        seq_span(self.start, self.end)
    }
}

/// An open hole as the actions see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenHole {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) opened: Micros,
    /// The bytes passed the box: lost or late on J (not upstream, not unknown).
    pub(crate) on_j: bool,
    /// S has retransmitted into the hole since it opened: its own copy is
    /// already on the way to R.
    pub(crate) sender_resent: bool,
}

/// What `report` did with a hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reported {
    New,
    Known,
    /// No free slot: not tracked (fail-open, counted by the caller).
    Full,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HoleTable {
    h: [Hole; HOLES],
}

impl HoleTable {
    pub(crate) fn any_active(&self) -> bool {
        self.h.iter().any(|h| h.flags & H_ACTIVE != 0)
    }

    /// Open holes: (start, end, reported at, flags).
    pub(crate) fn open(&self) -> impl Iterator<Item = OpenHole> + '_ {
        self.h.iter().filter(|h| h.flags & H_ACTIVE != 0).map(|h| OpenHole {
            start: h.origin,
            end: h.end,
            opened: h.opened,
            on_j: h.flags & (H_UPSTREAM | H_UNKNOWN) == 0,
            sender_resent: h.flags & H_RETX != 0,
        })
    }

    /// R reports [start, end) missing, with SACKed data up to `high`.
    ///
    /// Only the part above `known` (the highest byte R reported on earlier
    /// ACKs) can be a new hole. Below it, a gap is a hole already tracked,
    /// or spans blocks R SACKed before and has dropped from its short list
    /// (R sends only its 3-4 most recent blocks): reading that as missing
    /// would count received bytes as lost.
    pub(crate) fn report(
        &mut self,
        start: u32,
        end: u32,
        high: u32,
        known: u32,
        now: Micros,
        flags: u8,
    ) -> Reported {
        if !seq_lt(start, end) {
            return Reported::Known;
        }
        let mut hit = false;
        for h in self.h.iter_mut() {
            if h.flags & H_ACTIVE != 0 && seq_overlaps((h.origin, h.end), (start, end)) {
                h.high = seq_max(h.high, high);
                h.flags |= flags & (H_UPSTREAM | H_UNKNOWN);
                hit = true;
            }
        }
        let start = seq_max(start, known);
        if hit || !seq_lt(start, end) {
            return Reported::Known;
        }
        match self.h.iter_mut().find(|h| h.flags & H_ACTIVE == 0) {
            Some(slot) => {
                *slot = Hole {
                    origin: start,
                    end,
                    opened: now,
                    high: seq_max(high, end),
                    retx_at: now,
                    flags: (flags & (H_UPSTREAM | H_UNKNOWN)) | H_ACTIVE,
                };
                Reported::New
            }
            None => Reported::Full,
        }
    }

    /// The open holes within [start, end) are of unknown cause: their fill
    /// is not counted.
    pub(crate) fn mark_unknown(&mut self, start: u32, end: u32) {
        for h in self.h.iter_mut().filter(|h| h.flags & H_ACTIVE != 0) {
            if seq_overlaps((h.origin, h.end), (start, end)) {
                h.flags |= H_UNKNOWN;
            }
        }
    }

    /// S retransmitted [seq, end). Returns whether it went into an open hole.
    pub(crate) fn on_retransmit(&mut self, seq: u32, end: u32, now: Micros, rto: bool) -> bool {
        let mut hit = false;
        for h in self.h.iter_mut().filter(|h| h.flags & H_ACTIVE != 0) {
            if seq_overlaps((h.origin, h.end), (seq, end)) {
                if h.flags & H_RETX == 0 {
                    h.retx_at = now;
                }
                h.flags |= H_RETX | if rto { H_RTO } else { 0 };
                hit = true;
            }
        }
        hit
    }

    /// The box retransmitted [seq, end) from its cache (local recovery).
    /// Kept apart from S's retransmissions: a hole S has not resent is
    /// still S's to resend, and S's counters stay S's.
    pub(crate) fn on_box_repair(&mut self, seq: u32, end: u32, now: Micros) {
        for h in self.h.iter_mut().filter(|h| h.flags & H_ACTIVE != 0) {
            if seq_overlaps((h.origin, h.end), (seq, end)) {
                if h.flags & (H_RETX | H_BOX) == 0 {
                    h.retx_at = now;
                }
                h.flags |= H_BOX;
            }
        }
    }

    /// R's ACK `ack` with SACK `blocks`: close the holes it fills and write
    /// them to `out` (at most one per tracked hole). Returns how many closed.
    pub(crate) fn on_ack(
        &mut self,
        ack: u32,
        blocks: &[(u32, u32)],
        now: Micros,
        min_rtt: Option<u32>,
        out: &mut [Option<Filled>; HOLES],
    ) -> usize {
        let mut n = 0;
        for (h, slot) in self.h.iter_mut().zip(out.iter_mut()) {
            *slot = None;
            if h.flags & H_ACTIVE == 0 {
                continue;
            }
            let covered_by_block = blocks
                .iter()
                .any(|&(l, r)| seq_lt(l, r) && seq_le(l, h.origin) && seq_ge(r, h.end));
            if !(seq_ge(ack, h.end) || covered_by_block) {
                continue;
            }
            h.flags &= !H_ACTIVE;
            let kind = if h.flags & H_UNKNOWN != 0 {
                FillKind::Unknown
            } else if h.flags & H_UPSTREAM != 0 {
                FillKind::Upstream
            } else if h.flags & (H_RETX | H_BOX) != 0 {
                // Timed from the first copy, S's or the box's.
                let too_soon = min_rtt.is_some_and(|m| elapsed(now, h.retx_at) < m / 2);
                if too_soon {
                    FillKind::Reorder {
                        late_us: elapsed(now, h.opened),
                        extent_bytes: seq_span(h.origin, h.high),
                        retransmitted: h.flags & H_RETX != 0,
                    }
                } else {
                    FillKind::JLoss
                }
            } else {
                FillKind::Reorder {
                    late_us: elapsed(now, h.opened),
                    extent_bytes: seq_span(h.origin, h.high),
                    retransmitted: false,
                }
            };
            *slot = Some(Filled { start: h.origin, end: h.end, kind, flags: h.flags });
            n += 1;
        }
        n
    }
}

/// Ranges of S's sequence space the box never saw (S's data lost upstream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UpstreamGaps {
    g: [(u32, u32); 2],
    len: u8,
}

impl UpstreamGaps {
    fn entries(&self) -> &[(u32, u32)] {
        self.g.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The box saw a jump from `start` to `end`.
    pub(crate) fn add(&mut self, start: u32, end: u32) {
        if let Some(slot) = self.g.get_mut(usize::from(self.len)) {
            *slot = (start, end);
            self.len += 1;
        } else if let Some(last) = self.g.last_mut() {
            // Full: widen the newest gap (over-attributing to upstream is the
            // conservative side: it never makes J look worse than it is).
            last.1 = end;
        }
    }

    pub(crate) fn overlaps(&self, start: u32, end: u32) -> bool {
        self.entries().iter().any(|&g| seq_overlaps(g, (start, end)))
    }

    /// S retransmitted [seq, end): those bytes have now passed the box.
    pub(crate) fn fill(&mut self, seq: u32, end: u32) -> bool {
        let mut hit = false;
        for g in self.g.iter_mut().take(usize::from(self.len)) {
            if !seq_overlaps(*g, (seq, end)) {
                continue;
            }
            hit = true;
            if seq_le(seq, g.0) {
                g.0 = seq_min(end, g.1);
            } else if seq_ge(end, g.1) {
                g.1 = seq;
            }
        }
        self.compact();
        hit
    }

    /// R acknowledged up to `ack`.
    pub(crate) fn retire(&mut self, ack: u32) {
        for g in self.g.iter_mut().take(usize::from(self.len)) {
            if seq_gt(ack, g.0) {
                g.0 = seq_min(ack, g.1);
            }
        }
        self.compact();
    }

    fn compact(&mut self) {
        let live = usize::from(self.len).min(self.g.len());
        let mut out = [(0u32, 0u32); 2];
        let mut kept = 0usize;
        for &g in self.g.iter().take(live).filter(|g| seq_lt(g.0, g.1)) {
            if let Some(slot) = out.get_mut(kept) {
                *slot = g;
                kept += 1;
            }
        }
        self.g = out;
        self.len = kept as u8;
    }
}

/// RFC 2883: the first SACK block is a DSACK if it lies at or below the
/// cumulative ACK, or inside the second block.
pub(crate) fn dsack_of(ack: u32, blocks: &[(u32, u32)]) -> Option<(u32, u32)> {
    let first = *blocks.first()?;
    if !seq_lt(first.0, first.1) {
        return None;
    }
    if seq_le(first.1, ack) {
        return Some(first);
    }
    let second = blocks.get(1)?;
    (seq_ge(first.0, second.0) && seq_le(first.1, second.1)).then_some(first)
}

/// Gaps between `ack` and the valid SACK blocks (those above `ack`, not past
/// `snd_max`). Writes them to `out`, returns (count, highest right edge).
pub(crate) fn sack_gaps(
    ack: u32,
    blocks: &[(u32, u32)],
    snd_max: u32,
    out: &mut [(u32, u32); 4],
) -> (usize, u32) {
    let mut sorted = [(0u32, 0u32); 4];
    let mut n = 0usize;
    for &(l, r) in blocks {
        if n == sorted.len() {
            break;
        }
        if !(seq_lt(l, r) && seq_gt(r, ack) && seq_le(r, snd_max)) {
            continue;
        }
        // Insertion sort by left edge (serial order from ack).
        let b = (seq_max(l, ack), r);
        let pos = sorted.iter().take(n).position(|s| seq_lt(b.0, s.0)).unwrap_or(n);
        if let Some(tail) = sorted.get_mut(pos..=n) {
            tail.rotate_right(1);
            if let Some(first) = tail.first_mut() {
                *first = b;
            }
        }
        n += 1;
    }
    let mut cursor = ack;
    let mut high = ack;
    let mut gaps = 0usize;
    for &(l, r) in sorted.iter().take(n) {
        if seq_lt(cursor, l) {
            if let Some(o) = out.get_mut(gaps) {
                *o = (cursor, l);
                gaps += 1;
            }
        }
        cursor = seq_max(cursor, r);
        high = seq_max(high, r);
    }
    (gaps, high)
}

/// Bytes R reports SACKed above `ack` (valid, non-overlapping blocks assumed
/// as R sends them; overlaps are rare and only make in-flight look smaller).
pub(crate) fn sacked_bytes(ack: u32, blocks: &[(u32, u32)], snd_max: u32) -> u32 {
    blocks
        .iter()
        .filter(|&&(l, r)| seq_lt(l, r) && seq_gt(l, ack) && seq_le(r, snd_max))
        .fold(0u32, |acc, &(l, r)| acc.saturating_add(r.wrapping_sub(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_from_unsorted_blocks_across_wrap() {
        let ack = u32::MAX - 999;
        let blocks = [
            (ack.wrapping_add(3000), ack.wrapping_add(4000)),
            (ack.wrapping_add(1000), ack.wrapping_add(2000)),
        ];
        let mut out = [(0, 0); 4];
        let (n, high) = sack_gaps(ack, &blocks, ack.wrapping_add(5000), &mut out);
        assert_eq!(n, 2);
        assert_eq!(out[0], (ack, ack.wrapping_add(1000)));
        assert_eq!(out[1], (ack.wrapping_add(2000), ack.wrapping_add(3000)));
        assert_eq!(high, ack.wrapping_add(4000));
        // A block beyond what S sent is ignored.
        let (n, _) = sack_gaps(
            ack,
            &[(ack.wrapping_add(9000), ack.wrapping_add(9100))],
            ack.wrapping_add(5000),
            &mut out,
        );
        assert_eq!(n, 0);
    }

    #[test]
    fn gaps_below_what_r_reported_before_open_no_hole() {
        // R has 1000-2000, 3000-4000, 5000-6000 and 7000-8000 (una 0) but
        // lists only its three most recent blocks, 1000-2000 dropped: the gap
        // 0-3000 is read from the blocks. Only 0-1000 is tracked (from an
        // earlier ACK); nothing new opens below 6000, the highest byte R had
        // reported, and only 6000-7000 is new.
        let mut t = HoleTable::default();
        assert_eq!(t.report(0, 1000, 2000, 0, 0, 0), Reported::New);
        let mut gaps = [(0, 0); 4];
        let (n, high) = sack_gaps(0, &[(7000, 8000), (5000, 6000), (3000, 4000)], 9000, &mut gaps);
        assert_eq!((n, high), (3, 8000));
        let got: Vec<Reported> =
            gaps.iter().take(n).map(|&(s, e)| t.report(s, e, high, 6000, 5, 0)).collect();
        assert_eq!(got, [Reported::Known, Reported::Known, Reported::New]);
        let open: Vec<(u32, u32)> = t.open().map(|h| (h.start, h.end)).collect();
        assert_eq!(open, [(0, 1000), (6000, 7000)]);
        // A gap straddling the known edge opens only its part above it.
        assert_eq!(t.report(8000, 8600, 9000, 8200, 6, 0), Reported::New);
        assert!(t.open().any(|h| (h.start, h.end) == (8200, 8600)));
    }

    #[test]
    fn dsack_detection() {
        assert_eq!(dsack_of(5000, &[(1000, 2000), (6000, 7000)]), Some((1000, 2000)));
        assert_eq!(dsack_of(5000, &[(6500, 6600), (6000, 7000)]), Some((6500, 6600)));
        assert_eq!(dsack_of(5000, &[(6000, 7000)]), None);
        assert_eq!(dsack_of(5000, &[]), None);
    }

    #[test]
    fn hole_filled_without_retransmission_is_reorder() {
        let mut t = HoleTable::default();
        assert_eq!(t.report(1000, 2000, 5000, 0, 10, 0), Reported::New);
        assert_eq!(t.report(1500, 2000, 6000, 0, 12, 0), Reported::Known);
        let mut out = [None; HOLES];
        assert_eq!(t.on_ack(6000, &[], 5_010, Some(40_000), &mut out), 1);
        let f = out[0].unwrap();
        assert_eq!(
            f.kind,
            FillKind::Reorder { late_us: 5_000, extent_bytes: 5000, retransmitted: false }
        );
        assert!(!t.any_active());
    }

    #[test]
    fn hole_filled_after_retransmission_is_loss_unless_too_soon() {
        let mut t = HoleTable::default();
        t.report(1000, 2000, 3000, 0, 0, 0);
        t.report(8000, 9000, 10000, 0, 0, 0);
        assert!(t.on_retransmit(1000, 2000, 1_000, false));
        assert!(t.on_retransmit(8000, 9000, 1_000, false));
        let mut out = [None; HOLES];
        // 45 ms after the retransmission (min RTT 40): the retransmission did it.
        assert_eq!(t.on_ack(3000, &[], 46_000, Some(40_000), &mut out), 1);
        assert_eq!(out[0].unwrap().kind, FillKind::JLoss);
        // 5 ms after: the original was only late.
        assert_eq!(t.on_ack(3000, &[(8000, 10000)], 6_000, Some(40_000), &mut out), 1);
        assert!(matches!(out[1].unwrap().kind, FillKind::Reorder { retransmitted: true, .. }));
    }

    #[test]
    fn upstream_gap_tracking() {
        let mut g = UpstreamGaps::default();
        g.add(1000, 3000);
        assert!(g.overlaps(2000, 2500));
        assert!(!g.overlaps(3000, 4000));
        assert!(g.fill(1000, 2000));
        assert!(!g.overlaps(1000, 2000));
        assert!(g.overlaps(2000, 3000));
        g.retire(3000);
        assert!(!g.overlaps(0, 10_000));
        g.add(1, 2);
        g.add(3, 4);
        g.add(5, 6); // full: widens the newest
        assert!(g.overlaps(4, 6));
    }

    #[test]
    fn table_full_fails_open() {
        let mut t = HoleTable::default();
        for i in 0..HOLES as u32 {
            assert_eq!(t.report(i * 100, i * 100 + 10, 10_000, 0, 0, 0), Reported::New);
        }
        assert_eq!(t.report(9_000, 9_010, 10_000, 0, 0, 0), Reported::Full);
    }
}
