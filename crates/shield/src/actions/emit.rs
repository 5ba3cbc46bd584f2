//! Packets the shield asks the dataplane to send, in a caller-provided
//! fixed buffer (no allocation on the packet path).

/// One packet to emit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Towards R: resend the forwarded data [seq, seq + len) from the
    /// per-flow segment cache (the glue sends what it holds of that range,
    /// or nothing: fail open).
    RetransmitFromCache {
        /// First byte.
        seq: u32,
        /// Bytes.
        len: u32,
        /// The lowest TSval the copy may carry (R's TS.Recent as the box
        /// knows it): a cached segment with an older one is sent with this
        /// TSval instead, else R's PAWS check would drop it. None: as cached.
        ts_floor: Option<u32>,
    },
    /// Towards S: a pure ACK built from the flow's template, with at most
    /// one SACK block, a DSACK.
    AckToCore {
        /// Cumulative ACK: R's, or a reserve release below it; never beyond R's.
        ack: u32,
        /// Raw window field: R's, or the one that holds the right edge
        /// already offered to S (stall protection).
        window: u16,
        /// [start, end) of a retransmission by S the box kept off J because
        /// R had acknowledged it: reported as a DSACK (RFC 2883), as R would
        /// have, so that S can undo the cut that retransmission came with.
        /// Always at or below `ack`.
        dsack: Option<(u32, u32)>,
    },
}

/// Most packets one segment can make the shield emit.
pub const MAX_EMITS: usize = 4;

/// Fixed-capacity emit buffer. The caller clears it before each segment
/// and sends its contents after; a full buffer drops further emits (they are
/// counted, and the flow simply gets less help: fail open).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Emits {
    buf: [Option<Emit>; MAX_EMITS],
    len: u8,
    dropped: u8,
}

impl Emits {
    /// Empty buffer.
    pub fn new() -> Self {
        Emits::default()
    }

    /// Empty it for the next segment.
    pub fn clear(&mut self) {
        *self = Emits::default();
    }

    /// Emits queued.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Nothing queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Emits that did not fit.
    pub fn dropped(&self) -> usize {
        usize::from(self.dropped)
    }

    /// The queued emits, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Emit> {
        self.buf.iter().take(self.len()).flatten()
    }

    pub(crate) fn push(&mut self, e: Emit) -> bool {
        match self.buf.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(e);
                self.len += 1;
                true
            }
            None => {
                self.dropped = self.dropped.saturating_add(1);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_counts_drops() {
        let mut e = Emits::new();
        for i in 0..6u32 {
            e.push(Emit::RetransmitFromCache { seq: i, len: 1, ts_floor: None });
        }
        assert_eq!((e.len(), e.dropped()), (MAX_EMITS, 2));
        assert_eq!(e.iter().count(), MAX_EMITS);
        e.clear();
        assert!(e.is_empty());
    }
}
