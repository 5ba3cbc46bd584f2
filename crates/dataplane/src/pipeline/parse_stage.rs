//! Per-burst parse stage of the flow pipeline: every frame of a received
//! burst is parsed once and its flow key hashed, then the flow table is
//! prefetched for the whole burst before any frame is tracked. Looking flows
//! up one frame at a time stalls on two cache misses per frame (index bucket,
//! then entry); issued for the whole burst first, those loads overlap.
//!
//! The results live in preallocated slots, one per frame, that the pipeline
//! reads by reference: no allocation and no copy of the ~300-byte `Parsed`
//! per frame.

use std::net::IpAddr;

use flow::{FlowKey, FlowTable, Side};
use wire::{IpAddress, Parsed};

use crate::forward::Direction;
use crate::mbuf::{MbufBurst, MAX_BURST};

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
            single: Staged::EMPTY,
        }
    }
}

impl ParseStage {
    /// Parses every frame of `burst` into the slots of `dir`, then warms the
    /// table for all of them in two passes (index buckets, then the entries
    /// they point to), each pass a run of independent loads.
    pub fn stage<V>(&mut self, burst: &MbufBurst, dir: Direction, table: &FlowTable<V>) {
        let d = side(dir);
        let (slots, valid) = (&mut self.bursts[d], &mut self.valid[d]);
        let n = burst.len().min(MAX_BURST);
        valid.fill(false);
        for i in 0..n {
            if let Some(frame) = burst.frame(i) {
                slots[i].fill(frame);
                valid[i] = true;
            }
        }
        let hashes = || {
            slots[..n]
                .iter()
                .zip(valid.iter())
                .filter_map(|(s, &v)| s.flow.filter(|_| v).map(|f| f.hash))
        };
        for h in hashes() {
            table.prefetch_index(h);
        }
        for h in hashes() {
            table.prefetch_entry(h);
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
