//! Packets waiting to be released: a fixed pool of frame buffers and a
//! min-heap of (release time, arrival sequence, slot).
//!
//! Everything is allocated up front; the per-packet path only moves slot
//! indices. Equal release times leave in arrival order (the sequence number
//! breaks ties), so aggregation releases bursts in order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Largest frame a slot holds: 1500 B MTU + Ethernet + two VLAN tags,
/// rounded up. Bigger frames are counted and dropped by the bridge.
pub const SLOT_BYTES: usize = 2048;

/// Frame buffers plus the release order.
#[derive(Debug)]
pub struct ReleaseQueue {
    buffers: Vec<u8>,
    lengths: Vec<u16>,
    free: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    next_sequence: u64,
}

impl ReleaseQueue {
    /// A queue with `slots` frame buffers.
    pub fn new(slots: usize) -> Self {
        let slots = slots.clamp(1, u32::MAX as usize);
        Self {
            // A non-zero fill writes every page now, so the first packets
            // do not pay page faults (zeroed memory would be mapped lazily).
            buffers: vec![0xa5; slots * SLOT_BYTES],
            lengths: vec![0; slots],
            // Reversed so slot 0 is handed out first (purely cosmetic).
            free: (0..slots as u32).rev().collect(),
            heap: BinaryHeap::with_capacity(slots),
            next_sequence: 0,
        }
    }

    /// Number of slots not holding a packet.
    pub fn free_slots(&self) -> usize {
        self.free.len()
    }

    /// Number of packets waiting for release.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// Takes a free slot to receive a frame into, if any.
    pub fn acquire(&mut self) -> Option<u32> {
        self.free.pop()
    }

    /// The writable buffer of a slot obtained from [`ReleaseQueue::acquire`].
    pub fn buffer_mut(&mut self, slot: u32) -> &mut [u8] {
        let start = slot as usize * SLOT_BYTES;
        self.buffers.get_mut(start..start + SLOT_BYTES).unwrap_or(&mut [])
    }

    /// Returns a slot that will not be scheduled (the packet was dropped).
    pub fn give_back(&mut self, slot: u32) {
        if self.free.len() < self.lengths.len() {
            self.free.push(slot);
        }
    }

    /// Schedules the `len` bytes in `slot` for release at `release_ns`.
    pub fn schedule(&mut self, slot: u32, len: usize, release_ns: u64) {
        if let Some(l) = self.lengths.get_mut(slot as usize) {
            *l = len.min(SLOT_BYTES) as u16;
        }
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.heap.push(Reverse((release_ns, sequence, slot)));
    }

    /// The earliest pending release time.
    pub fn next_release_ns(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Pops the next packet due at or before `now_ns`: its slot and
    /// scheduled release time. Call [`ReleaseQueue::frame`] to read it and
    /// [`ReleaseQueue::give_back`] when done.
    pub fn pop_due(&mut self, now_ns: u64) -> Option<(u32, u64)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now_ns => {
                self.heap.pop().map(|Reverse((at, _, slot))| (slot, at))
            }
            _ => None,
        }
    }

    /// The frame stored in `slot`.
    pub fn frame(&self, slot: u32) -> &[u8] {
        let start = slot as usize * SLOT_BYTES;
        let len = self.lengths.get(slot as usize).copied().unwrap_or(0) as usize;
        self.buffers.get(start..start + len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(q: &mut ReleaseQueue, byte: u8, at: u64) {
        let slot = q.acquire().expect("free slot");
        q.buffer_mut(slot)[0] = byte;
        q.schedule(slot, 1, at);
    }

    fn drain(q: &mut ReleaseQueue, now: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some((slot, _)) = q.pop_due(now) {
            out.push(q.frame(slot)[0]);
            q.give_back(slot);
        }
        out
    }

    #[test]
    fn releases_in_time_order_and_ties_in_arrival_order() {
        let mut q = ReleaseQueue::new(8);
        put(&mut q, 1, 30);
        put(&mut q, 2, 10);
        put(&mut q, 3, 20);
        put(&mut q, 4, 10);
        assert_eq!(q.next_release_ns(), Some(10));
        assert_eq!(drain(&mut q, 9), Vec::<u8>::new());
        assert_eq!(drain(&mut q, 20), vec![2, 4, 3]);
        assert_eq!(drain(&mut q, 100), vec![1]);
        assert_eq!(q.free_slots(), 8);
    }

    #[test]
    fn pool_runs_out_and_recovers() {
        let mut q = ReleaseQueue::new(2);
        put(&mut q, 1, 5);
        put(&mut q, 2, 5);
        assert!(q.acquire().is_none());
        assert_eq!(drain(&mut q, 5), vec![1, 2]);
        assert!(q.acquire().is_some());
    }

    #[test]
    fn frame_keeps_its_length() {
        let mut q = ReleaseQueue::new(1);
        let slot = q.acquire().expect("slot");
        q.buffer_mut(slot)[..4].copy_from_slice(&[9, 8, 7, 6]);
        q.schedule(slot, 4, 0);
        let (slot, at) = q.pop_due(0).expect("due");
        assert_eq!(at, 0);
        assert_eq!(q.frame(slot), &[9, 8, 7, 6]);
    }
}
