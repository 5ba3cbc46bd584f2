//! Incremental "top flows by bytes" scan.
//!
//! Walking a million-entry slab in one go would stall the lcore for tens of
//! milliseconds, so the owning lcore calls [`TopFlowsScanner::step`] from its
//! loop with a small slot budget; when a sweep over the whole table ends, the
//! ranking of that sweep becomes available and the glue publishes it (e.g.
//! through `mgmt::snapshot::SnapshotCell`). No allocation after `new`.
//!
//! A sweep sees each slot once, at the moment it passes it, so the ranking
//! is approximate for flows that grow during the sweep; the ids it returns
//! may have expired by the time they are read (`FlowTable::get` says so).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::table::{FlowId, FlowTable};

/// Bounded top-N selection spread over many calls.
pub struct TopFlowsScanner {
    limit: usize,
    cursor: usize,
    candidates: BinaryHeap<Reverse<(u64, FlowId)>>,
    ranked: Vec<(FlowId, u64)>,
    sweeps: u64,
}

impl TopFlowsScanner {
    /// A scanner keeping the `limit` largest flows by total bytes.
    pub fn new(limit: usize) -> TopFlowsScanner {
        TopFlowsScanner {
            limit,
            cursor: 0,
            candidates: BinaryHeap::with_capacity(limit),
            ranked: Vec::with_capacity(limit),
            sweeps: 0,
        }
    }

    /// Examines up to `max_slots` slots. Returns true when this call
    /// finished a sweep, i.e. [`ranked`](Self::ranked) has just changed.
    /// A sweep covers the slots the table has used, not its capacity, so
    /// on a lightly loaded box a ranking is ready within a step or two.
    pub fn step<V>(&mut self, table: &FlowTable<V>, max_slots: usize) -> bool {
        let len = table.scan_len();
        let end = self.cursor.saturating_add(max_slots).min(len);
        for slot in self.cursor..end {
            let Some((id, e)) = table.entry_at(slot) else {
                continue;
            };
            let item = Reverse((e.total_bytes(), id));
            if self.candidates.len() < self.limit {
                self.candidates.push(item);
            } else if let Some(mut smallest) = self.candidates.peek_mut() {
                if item < *smallest {
                    *smallest = item;
                }
            }
        }
        self.cursor = end;
        if self.cursor < len {
            return false;
        }
        self.cursor = 0;
        self.sweeps += 1;
        self.ranked.clear();
        self.ranked.extend(self.candidates.drain().map(|Reverse((b, id))| (id, b)));
        self.ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        true
    }

    /// The ranking of the last completed sweep: (flow, total bytes), largest
    /// first.
    pub fn ranked(&self) -> &[(FlowId, u64)] {
        &self.ranked
    }

    /// Number of completed sweeps.
    pub fn sweeps(&self) -> u64 {
        self.sweeps
    }
}
