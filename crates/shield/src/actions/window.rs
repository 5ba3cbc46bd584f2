//! Receive-window rewriting (DESIGN §5.4): how far the right edge offered to
//! S may grow.
//!
//! Two bounds, each switched on its own, both scale-aware (the caller turns
//! an edge into a window field rounded up to the scale unit) and both only
//! ever slowing the edge's growth, never moving it back (RFC 7323 §2.4: a
//! window shrink is what a receiver must not do, and S would take it for
//! one):
//!
//! * the cache (`window_cache_bound`): local recovery can only repair what
//!   the box still holds, so S is offered no more new data than the flow's
//!   share of the segment cache can take beyond what S has sent. That caps
//!   the flow's data in flight at its cache share, which costs throughput
//!   where the share is below the path's BDP (off by default);
//! * a stall on J (`window_hold_in_stall`): while data is outstanding and R
//!   has acknowledged nothing for longer than the stall threshold, whatever
//!   R's window says (a window update from R, a duplicate ACK), S gets no
//!   room for new data: it would only queue behind the stall.

use crate::config::ShieldConfig;
use crate::flow::FlowShield;

/// The highest right edge S may be offered now, if bounded: `cache_room`
/// is how many segments the box can still cache for the flow, `offered`
/// the right edge S was last offered.
pub(crate) fn edge_bound(
    flow: &FlowShield,
    now_ns: u64,
    offered: Option<u32>,
    cache_room: Option<u32>,
    cfg: &ShieldConfig,
) -> Option<u32> {
    let a = &cfg.actions;
    if a.window_hold_in_stall && flow.in_stall(now_ns, cfg) {
        if let Some(edge) = offered {
            return Some(edge);
        }
    }
    let room = cache_room.filter(|_| a.window_cache_bound)?;
    Some(flow.sender_max().wrapping_add(room.saturating_mul(flow.mss())))
}
