//! The per-worker flow dump the management thread reads: the top flows by
//! bytes with their table bookkeeping and the shield's report and trace,
//! all plain `Copy` values so the worker fills it without allocating.

use flow::{DirCounters, Entry, FlowId, FlowKey, FlowState, Side};
use shield::{FlowReport, GroupKey, TraceEvent, TRACE_CAPACITY};

use crate::pipeline::flow_hook::FlowValue;

#[derive(Clone, Copy, Debug)]
pub struct FlowDumpRow {
    pub id: u64,
    pub key: FlowKey,
    pub core_side: Side,
    pub state: FlowState,
    pub created_ns: u64,
    pub last_seen_ns: u64,
    /// Indexed by `Side::index()`.
    pub counters: [DirCounters; 2],
    pub teid: [Option<u32>; 2],
    pub group: Option<GroupKey>,
    pub report: Option<FlowReport>,
    pub trace: [Option<TraceEvent>; TRACE_CAPACITY],
}

impl FlowDumpRow {
    pub fn of(id: FlowId, e: &Entry<FlowValue>, now_ns: u64) -> FlowDumpRow {
        let mut trace = [None; TRACE_CAPACITY];
        if let Some(fs) = &e.value.tcp {
            for (slot, ev) in trace.iter_mut().zip(fs.trace()) {
                *slot = Some(ev);
            }
        }
        FlowDumpRow {
            id: id.to_u64(),
            key: *e.key(),
            core_side: e.core_side(),
            state: e.state(),
            created_ns: e.created_ns(),
            last_seen_ns: e.last_seen_ns(),
            counters: [e.counters(Side::A), e.counters(Side::B)],
            teid: [e.teid(Side::A), e.teid(Side::B)],
            group: e.value.group,
            report: e.value.tcp.as_ref().map(|fs| fs.report(now_ns)),
            trace,
        }
    }
}

/// One worker's published dump.
#[derive(Debug, Default)]
pub struct FlowDump {
    pub worker: u16,
    /// The worker's clock when it was published.
    pub now_ns: u64,
    pub rows: Vec<FlowDumpRow>,
}

/// Clones keep the row capacity: the snapshot cell's slots are clones of
/// the initial dump, and the worker fills them in place without allocating.
impl Clone for FlowDump {
    fn clone(&self) -> Self {
        let mut rows = Vec::with_capacity(self.rows.capacity());
        rows.extend_from_slice(&self.rows);
        FlowDump { worker: self.worker, now_ns: self.now_ns, rows }
    }
}

impl FlowDump {
    /// An empty dump with room for `rows` rows (filled later without allocating).
    pub fn with_capacity(rows: usize) -> FlowDump {
        FlowDump { worker: 0, now_ns: 0, rows: Vec::with_capacity(rows) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_keep_room_for_every_row() {
        let d = FlowDump::with_capacity(100);
        assert!(d.clone().rows.capacity() >= 100);
    }
}
