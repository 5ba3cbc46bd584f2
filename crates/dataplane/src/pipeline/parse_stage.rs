//! Per-burst parse stage of the flow pipeline: every frame of a received
//! burst is parsed once and its flow key hashed, then the flow table is
//! prefetched for the whole burst before any frame is tracked. Looking flows
//! up one frame at a time stalls on two cache misses per frame (index bucket,
//! then entry); issued for the whole burst first, those loads overlap. The
//! rest of a flow's entry (the shield's state, ~1.4 KB, which at 1k flows
//! does not fit in L2) is prefetched a few frames ahead of the frame being
//! processed, so that its lines arrive while earlier frames are handled.
//!
//! The results live in preallocated slots, one per frame, that the pipeline
//! reads by reference: no allocation and no copy of the ~300-byte `Parsed`
//! per frame.

use std::net::IpAddr;

use flow::{FlowKey, FlowTable, Side};
use wire::{IpAddress, Parsed};

use crate::forward::Direction;
use crate::mbuf::{MbufBurst, MAX_BURST};
use crate::prefetch;

/// Frames between the one being processed and the one whose whole flow
/// entry is prefetched: far enough for an L3 or memory fetch to complete
/// during the work on the frames between, near enough that the lines are
/// still cached when their frame comes.
const ENTRY_AHEAD: usize = 2;

/// What the stage prefetches of every entry for the whole burst at once:
/// the lines the lookup reads (the key spans two).
const LOOKUP_BYTES: usize = 128;

/// The flow a frame belongs to, as the table wants it.
#[derive(Clone, Copy)]
pub struct StagedFlow {
    pub key: FlowKey,
    /// Which endpoint of the flow sent the frame.
    pub side: Side,
    /// `key.symmetric_hash()`.
    pub hash: u32,
}

/// One frame, parsed.
#[derive(Clone, Copy)]
pub struct Staged {
    pub parsed: Parsed,
    /// None when the frame carries no IP flow.
    pub flow: Option<StagedFlow>,
    /// Frame length (first segment), as parsed.
    pub len: usize,
}

impl Staged {
    const EMPTY: Staged = Staged { parsed: Parsed::EMPTY, flow: None, len: 0 };

    /// Parses `frame` into this slot and derives its flow key.
    #[inline]
    fn fill(&mut self, frame: &[u8]) {
        wire::parse_into(frame, &mut self.parsed);
        self.flow = flow_of(&self.parsed);
        self.len = frame.len();
    }
}

/// A parsed address as the flow key takes it.
pub fn ip(a: IpAddress) -> IpAddr {
    match a {
        IpAddress::V4(b) => IpAddr::from(b),
        IpAddress::V6(b) => IpAddr::from(b),
    }
}

/// The table key of a parsed frame: inner 5-tuple, VLAN ids, GTP-U outer
/// pair.
fn flow_of(p: &Parsed) -> Option<StagedFlow> {
    let inner = p.inner?;
    let vl = p.vlans.as_slice();
    let vlan = [vl.first().copied().unwrap_or(0), vl.get(1).copied().unwrap_or(0)];
    let tunnel = p.tunnel.map(|t| (ip(t.outer_src), ip(t.outer_dst)));
    let (key, side) = FlowKey::from_packet(
        ip(inner.src),
        ip(inner.dst),
        inner.proto,
        inner.sport,
        inner.dport,
        vlan,
        tunnel,
    );
    Some(StagedFlow { key, side, hash: key.symmetric_hash() })
}

/// Parse slots: one burst per direction (a pcap replay interleaves the two
/// directions' bursts), and one slot for frames processed outside a staged
/// burst (hand-off ring, direct calls).
pub struct ParseStage {
    /// `MAX_BURST` slots per direction, boxed once at construction.
    bursts: [Box<[Staged]>; 2],
    /// Valid slots per direction; a slot whose frame was gone is not valid.
    valid: [[bool; MAX_BURST]; 2],
    /// Per direction and slot: address and size of the flow entry the
    /// frame's lookup will read ((0, 0): none, a new flow). An address, not
    /// a pointer, so that the stage stays `Send`; it is only ever a
    /// prefetch target.
    entries: [[(usize, usize); MAX_BURST]; 2],
    single: Staged,
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::CoreToAccess => 0,
        Direction::AccessToCore => 1,
    }
}

impl Default for ParseStage {
    fn default() -> Self {
        let slots = || vec![Staged::EMPTY; MAX_BURST].into_boxed_slice();
        ParseStage {
            bursts: [slots(), slots()],
            valid: [[false; MAX_BURST]; 2],
            entries: [[(0, 0); MAX_BURST]; 2],
            single: Staged::EMPTY,
        }
    }
}

impl ParseStage {
    /// Parses every frame of `burst` into the slots of `dir`, then warms the
    /// table for all of them in two passes (index buckets, then the lookup
    /// lines of the entries they point to), each pass a run of independent
    /// memory accesses; the first frames' entries are prefetched whole.
    pub fn stage<V>(&mut self, burst: &MbufBurst, dir: Direction, table: &FlowTable<V>) {
        let d = side(dir);
        let (slots, valid, entries) =
            (&mut self.bursts[d], &mut self.valid[d], &mut self.entries[d]);
        let n = burst.len().min(MAX_BURST);
        valid.fill(false);
        for i in 0..n {
            if let Some(frame) = burst.frame(i) {
                slots[i].fill(frame);
                valid[i] = true;
            }
        }
        let hash = |i: usize| slots[i].flow.filter(|_| valid[i]).map(|f| f.hash);
        for h in (0..n).filter_map(hash) {
            table.prefetch_index(h);
        }
        for (i, e) in entries.iter_mut().enumerate().take(n) {
            *e = match hash(i).and_then(|h| table.candidate_memory(h)) {
                Some((start, len)) => {
                    prefetch::lines(start, len.min(LOOKUP_BYTES));
                    (start as usize, len)
                }
                None => (0, 0),
            };
        }
        for &(start, len) in entries.iter().take(n.min(ENTRY_AHEAD)) {
            prefetch::lines(start as *const u8, len);
        }
    }

    /// Prefetches the whole flow entry of the frame `ENTRY_AHEAD` after
    /// frame `i` of the burst last staged for `dir`; called as frame `i` is
    /// about to be processed.
    #[inline]
    pub fn prefetch_ahead(&self, dir: Direction, i: usize) {
        let (d, j) = (side(dir), i + ENTRY_AHEAD);
        if let (Some(&(start, len)), Some(true)) = (self.entries[d].get(j), self.valid[d].get(j)) {
            if len > 0 {
                prefetch::lines(start as *const u8, len);
            }
        }
    }

    /// Frame `i` of the burst last staged for `dir`, if it was staged.
    #[inline]
    pub fn get(&self, dir: Direction, i: usize) -> Option<&Staged> {
        let d = side(dir);
        self.valid[d].get(i).copied().unwrap_or(false).then(|| &self.bursts[d][i])
    }

    /// Parses one frame outside a staged burst.
    #[inline]
    pub fn parse_one(&mut self, frame: &[u8]) -> &Staged {
        self.single.fill(frame);
        &self.single
    }
}
