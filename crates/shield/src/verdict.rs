//! What the dataplane does with the segment.

/// The shield's decision for one segment. `monitor` mode always returns
/// `Forward`; the shield-mode actions (`FlowActions`) may return the others.
/// `non_exhaustive`: more variants come with more actions (hold, window
/// rewriting), so callers keep a fallback arm that forwards unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Forward the segment unchanged.
    Forward,
    /// Forward R's ACK towards S with these fields. `ack` is R's, or less
    /// (stall protection holds a reserve back, ACK pacing spreads a bunch
    /// out), never beyond what R acknowledged; `window` is R's raw field,
    /// raised just enough that the right edge already offered to S does not
    /// move back, or lowered by window rewriting (stall hold, cache bound)
    /// but never below that edge;
    /// `sack[..sack_len]` is a subset of R's SACK blocks in R's order (blocks
    /// that would reveal a hole the box is repairing, or a DSACK caused by
    /// the box's own retransmission, removed). `sack_len == 0`: remove the
    /// SACK option.
    RewriteAck {
        /// Cumulative ACK to send (at most R's).
        ack: u32,
        /// Raw window field to send.
        window: u16,
        /// Blocks to keep.
        sack: [(u32, u32); 4],
        /// Number of valid blocks in `sack`.
        sack_len: u8,
    },
    /// Drop the segment; any answer is in the emit buffer.
    Suppress,
}
