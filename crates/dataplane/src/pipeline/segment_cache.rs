//! The shield's per-core cache of forwarded data segments, for local
//! recovery. Each entry is a second reference to the very mbuf that was
//! forwarded (zero copy). Entries of one flow form a list in sequence order;
//! R's cumulative ACK releases them from the head. Bounded per flow and per
//! core: when either bound is reached nothing more is cached (fail open:
//! the flow just gets no local repair for those bytes).

use shield::seq::{seq_ge, seq_gt, seq_le, seq_lt};

use crate::mbuf::{Mbuf, MbufBurst};

const NIL: u32 = u32::MAX;

/// A flow's list of cached segments (lives in the flow's table entry).
#[derive(Clone, Copy, Debug)]
pub struct CacheList {
    head: u32,
    tail: u32,
    count: u32,
    /// End of the highest cached segment (next expected in-order seq).
    end: u32,
}

impl Default for CacheList {
    fn default() -> Self {
        CacheList { head: NIL, tail: NIL, count: 0, end: 0 }
    }
}

impl CacheList {
    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

struct Entry {
    seq: u32,
    len: u32,
    mbuf: Option<Mbuf>,
    next: u32,
}

/// Why a segment was not cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCached {
    /// The core-wide bound is reached.
    CacheFull,
    /// The flow's own bound is reached.
    FlowFull,
    /// Below what is already cached: S retransmitting, nothing to keep.
    Old,
}

pub struct SegmentCache {
    entries: Vec<Entry>,
    free: Vec<u32>,
    per_flow: u32,
}

impl SegmentCache {
    /// Preallocates `capacity` entries; each flow holds at most `per_flow`.
    pub fn new(capacity: usize, per_flow: u32) -> SegmentCache {
        let capacity = capacity.min(NIL as usize - 1);
        SegmentCache {
            entries: (0..capacity)
                .map(|_| Entry { seq: 0, len: 0, mbuf: None, next: NIL })
                .collect(),
            free: (0..capacity as u32).rev().collect(),
            per_flow,
        }
    }

    /// Entries in use, all flows.
    pub fn in_use(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// How many more segments `list`'s flow may cache now (its own bound,
    /// and what is free core-wide).
    pub fn room(&self, list: &CacheList) -> u32 {
        self.per_flow.saturating_sub(list.count).min(self.free.len() as u32)
    }

    /// Keeps `mbuf` as the copy of [seq, seq+len) of the flow; gives it back
    /// (with the reason) when it is not kept.
    pub fn insert(
        &mut self,
        list: &mut CacheList,
        seq: u32,
        len: u32,
        mbuf: Mbuf,
    ) -> Result<(), (Mbuf, NotCached)> {
        if !list.is_empty() && seq_lt(seq, list.end) {
            return Err((mbuf, NotCached::Old));
        }
        if list.count >= self.per_flow {
            return Err((mbuf, NotCached::FlowFull));
        }
        let Some(idx) = self.free.pop() else { return Err((mbuf, NotCached::CacheFull)) };
        let e = &mut self.entries[idx as usize];
        *e = Entry { seq, len, mbuf: Some(mbuf), next: NIL };
        match list.tail {
            NIL => list.head = idx,
            t => self.entries[t as usize].next = idx,
        }
        list.tail = idx;
        list.count += 1;
        list.end = seq.wrapping_add(len);
        Ok(())
    }

    /// Releases every segment R's cumulative `ack` covers; the mbufs go to
    /// `freed` (freed in bulk by the caller). Returns how many.
    pub fn release_acked(&mut self, list: &mut CacheList, ack: u32, freed: &mut MbufBurst) -> u32 {
        let mut n = 0;
        while list.head != NIL {
            let e = &mut self.entries[list.head as usize];
            if !seq_le(e.seq.wrapping_add(e.len), ack) {
                break;
            }
            n += 1;
            self.pop_head(list, freed);
        }
        n
    }

    /// Releases everything the flow holds (flow ended or expired).
    pub fn clear(&mut self, list: &mut CacheList, freed: &mut MbufBurst) {
        while list.head != NIL {
            self.pop_head(list, freed);
        }
    }

    fn pop_head(&mut self, list: &mut CacheList, freed: &mut MbufBurst) {
        let idx = list.head;
        let e = &mut self.entries[idx as usize];
        if let Some(m) = e.mbuf.take() {
            freed.push_or_flush(m);
        }
        list.head = e.next;
        e.next = NIL;
        if list.head == NIL {
            list.tail = NIL;
        }
        list.count -= 1;
        self.free.push(idx);
    }

    /// Calls `f` with every cached segment overlapping [seq, seq+len), in
    /// sequence order (the retransmission candidates for a hole; `f` may
    /// rewrite one that is not shared before it sends it).
    pub fn overlapping(
        &mut self,
        list: &CacheList,
        seq: u32,
        len: u32,
        mut f: impl FnMut(u32, u32, &mut Mbuf),
    ) {
        let end = seq.wrapping_add(len);
        let mut i = list.head;
        while i != NIL {
            let e = &mut self.entries[i as usize];
            let e_end = e.seq.wrapping_add(e.len);
            if seq_ge(e.seq, end) {
                break;
            }
            if seq_gt(e_end, seq) {
                if let Some(m) = &mut e.mbuf {
                    f(e.seq, e.len, m);
                }
            }
            i = e.next;
        }
    }
}
