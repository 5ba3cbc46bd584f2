//! Hierarchical timer wheel with a preallocated timer pool.
//!
//! Four levels of 256 slots each; level `n` slots are `256^n` ticks wide,
//! so one wheel spans 2^32 ticks (49 days at a 1 ms tick). Timers live in a
//! fixed pool allocated at construction and are threaded into per-slot
//! doubly-linked lists by index, so insert, cancel and reschedule are O(1)
//! and nothing is allocated after `new`. When level 0 wraps, the due slot of
//! the next level is cascaded (its timers re-placed by their exact deadline),
//! the classic scheme of the BSD/Linux callout wheels.
//!
//! Deadlines are rounded *up* to whole ticks: a timer never fires before its
//! deadline, and at most one tick after it (plus however late the caller
//! calls [`TimerWheel::advance`]). Deadlines further than the wheel's span
//! are parked in the farthest slot and re-placed when cascaded, so they too
//! never fire early.
//!
//! Advancing jumps straight to the next tick that fires or cascades
//! something, found from per-level occupancy bitmaps, so a long idle gap
//! costs a few steps rather than one per tick.

use std::fmt;

const LEVELS: usize = 4;
const SLOT_BITS: u32 = 8;
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = (SLOTS as u64) - 1;
/// Index of the list holding timers whose deadline had already passed when
/// they were inserted; it is drained first on every advance.
const DUE_LIST: u16 = (LEVELS * SLOTS) as u16;
/// Marker for a pool node that is on the free list.
const FREE_LIST: u16 = u16::MAX;
const NIL: u32 = u32::MAX;
/// The farthest tick distance a level-3 slot can represent.
const MAX_DELTA: u64 = (1u64 << (SLOT_BITS * LEVELS as u32)) - 1;

/// Handle to a pending timer, valid until it fires or is cancelled. A stale
/// handle (its timer fired, the node was reused) is recognised by its
/// generation and ignored by [`TimerWheel::cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId {
    index: u32,
    generation: u32,
}

impl TimerId {
    /// A handle that never names a live timer (useful as a placeholder).
    pub const NONE: TimerId = TimerId { index: NIL, generation: 0 };
}

/// Every timer in the pool is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelFull;

impl fmt::Display for WheelFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timer wheel pool exhausted")
    }
}

impl std::error::Error for WheelFull {}

#[derive(Clone, Copy)]
struct Node {
    deadline_tick: u64,
    payload: u64,
    prev: u32,
    next: u32,
    generation: u32,
    list: u16,
}

/// Per-core timer wheel. Owned by one thread; not shared.
pub struct TimerWheel {
    tick_ns: u64,
    /// The next tick to process: every timer with a deadline tick below this
    /// has fired.
    next_tick: u64,
    nodes: Box<[Node]>,
    free_head: u32,
    heads: Box<[u32]>,
    occupied: [[u64; SLOTS / 64]; LEVELS],
    len: usize,
}

impl TimerWheel {
    /// A wheel with room for `capacity` pending timers, ticking every
    /// `tick_ns` nanoseconds (0 is treated as 1), starting at `now_ns`.
    /// `capacity` is capped at `u32::MAX - 1`.
    pub fn new(capacity: usize, tick_ns: u64, now_ns: u64) -> TimerWheel {
        let capacity = capacity.min(NIL as usize - 1);
        let tick_ns = tick_ns.max(1);
        let nodes: Box<[Node]> = (0..capacity)
            .map(|i| Node {
                deadline_tick: 0,
                payload: 0,
                prev: NIL,
                next: if i + 1 < capacity { (i + 1) as u32 } else { NIL },
                generation: 0,
                list: FREE_LIST,
            })
            .collect();
        TimerWheel {
            tick_ns,
            next_tick: now_ns / tick_ns + 1,
            nodes,
            free_head: if capacity > 0 { 0 } else { NIL },
            heads: vec![NIL; LEVELS * SLOTS + 1].into_boxed_slice(),
            occupied: [[0; SLOTS / 64]; LEVELS],
            len: 0,
        }
    }

    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size of the timer pool.
    pub fn capacity(&self) -> usize {
        self.nodes.len()
    }

    /// Tick length in nanoseconds.
    pub fn tick_ns(&self) -> u64 {
        self.tick_ns
    }

    /// Arms a timer that fires with `payload` once `deadline_ns` is reached.
    /// A deadline already in the past fires on the next advance.
    pub fn insert(&mut self, deadline_ns: u64, payload: u64) -> Result<TimerId, WheelFull> {
        let index = self.free_head;
        let node = self.nodes.get_mut(index as usize).ok_or(WheelFull)?;
        self.free_head = node.next;
        node.deadline_tick = deadline_ns.div_ceil(self.tick_ns);
        node.payload = payload;
        let generation = node.generation;
        self.place(index);
        self.len += 1;
        Ok(TimerId { index, generation })
    }

    /// Cancels a pending timer. Returns false when the handle is stale (the
    /// timer already fired or was cancelled).
    pub fn cancel(&mut self, id: TimerId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.unlink(id.index);
        self.release(id.index);
        true
    }

    /// Moves a pending timer to a new deadline, keeping its handle and
    /// payload. Returns false when the handle is stale.
    pub fn reschedule(&mut self, id: TimerId, deadline_ns: u64) -> bool {
        if !self.is_live(id) {
            return false;
        }
        self.unlink(id.index);
        if let Some(node) = self.nodes.get_mut(id.index as usize) {
            node.deadline_tick = deadline_ns.div_ceil(self.tick_ns);
        }
        self.place(id.index);
        true
    }

    /// The payload of a pending timer, `None` for a stale handle.
    pub fn payload(&self, id: TimerId) -> Option<u64> {
        if self.is_live(id) {
            self.nodes.get(id.index as usize).map(|n| n.payload)
        } else {
            None
        }
    }

    /// Fires every timer whose deadline is at or before `now_ns`, calling
    /// `on_expire(payload)` for each (in no particular order within a tick).
    pub fn advance(&mut self, now_ns: u64, on_expire: impl FnMut(u64)) {
        self.advance_bounded(now_ns, usize::MAX, on_expire);
    }

    /// Like [`advance`](Self::advance) but fires at most `max_expired`
    /// timers, so a burst of simultaneous expiries can be spread over
    /// several calls of a busy loop. Returns true when the wheel has caught
    /// up with `now_ns`, false when timers due by `now_ns` remain.
    pub fn advance_bounded(
        &mut self,
        now_ns: u64,
        max_expired: usize,
        mut on_expire: impl FnMut(u64),
    ) -> bool {
        let target = now_ns / self.tick_ns;
        let mut fired = 0usize;
        if !self.drain_list(DUE_LIST, &mut fired, max_expired, &mut on_expire) {
            return false;
        }
        while self.next_tick <= target {
            if self.len == 0 {
                self.next_tick = target.saturating_add(1);
                break;
            }
            let tick = self.next_tick;
            let idx = (tick & SLOT_MASK) as usize;
            if idx == 0 {
                self.cascade(tick);
            }
            let list = idx as u16;
            if !self.drain_list(list, &mut fired, max_expired, &mut on_expire) {
                return false;
            }
            self.next_tick = self.next_interesting_tick(tick).min(target.saturating_add(1));
        }
        true
    }

    fn is_live(&self, id: TimerId) -> bool {
        self.nodes
            .get(id.index as usize)
            .is_some_and(|n| n.generation == id.generation && n.list != FREE_LIST)
    }

    /// After processing `tick`, the next tick at which anything can happen.
    /// Level by level: an occupied slot later in the current revolution of
    /// that level is the answer (fired at level 0, cascaded above); an
    /// occupied slot that wrapped (due next revolution) means the
    /// revolution's end must be visited; an empty level defers to the next
    /// level up, whose events all fall on this level's revolution ends.
    fn next_interesting_tick(&self, tick: u64) -> u64 {
        for (level, occupied) in self.occupied.iter().enumerate() {
            let shift = SLOT_BITS * level as u32;
            let rev_shift = shift + SLOT_BITS;
            let cur = ((tick >> shift) & SLOT_MASK) as usize;
            let rev_base = (tick >> rev_shift) << rev_shift;
            if let Some(slot) = next_set_bit(occupied, cur + 1) {
                return rev_base + ((slot as u64) << shift);
            }
            if occupied.iter().any(|&w| w != 0) {
                return rev_base.saturating_add(1u64 << rev_shift);
            }
        }
        let top = SLOT_BITS * LEVELS as u32;
        ((tick >> top).saturating_add(1)) << top
    }

    /// Re-places the timers of the higher-level slots that come due at
    /// `tick` (a multiple of 256), highest level last so that timers coming
    /// down from level 3 are not cascaded twice.
    fn cascade(&mut self, tick: u64) {
        for level in 1..LEVELS {
            let slot = ((tick >> (SLOT_BITS * level as u32)) & SLOT_MASK) as usize;
            let list = (level * SLOTS + slot) as u16;
            let mut cur = self.take_list(list);
            while cur != NIL {
                let next = self.nodes.get(cur as usize).map_or(NIL, |n| n.next);
                self.place(cur);
                cur = next;
            }
            if slot != 0 {
                break;
            }
        }
    }

    /// Fires the timers on `list` until it is empty or the budget is spent.
    fn drain_list(
        &mut self,
        list: u16,
        fired: &mut usize,
        max_expired: usize,
        on_expire: &mut impl FnMut(u64),
    ) -> bool {
        loop {
            let head = self.heads.get(list as usize).copied().unwrap_or(NIL);
            if head == NIL {
                return true;
            }
            if *fired >= max_expired {
                return false;
            }
            let payload = self.nodes.get(head as usize).map_or(0, |n| n.payload);
            self.unlink(head);
            self.release(head);
            *fired += 1;
            on_expire(payload);
        }
    }

    /// Detaches a whole list and returns its first node (the nodes stay
    /// chained through `next`); the caller re-places each one.
    fn take_list(&mut self, list: u16) -> u32 {
        let Some(head) = self.heads.get_mut(list as usize) else {
            return NIL;
        };
        let first = std::mem::replace(head, NIL);
        self.set_occupied(list, false);
        first
    }

    /// Links node `index` into the list its deadline belongs to, relative to
    /// `next_tick`.
    fn place(&mut self, index: u32) {
        let Some(node) = self.nodes.get(index as usize) else {
            return;
        };
        let list = self.list_for(node.deadline_tick);
        let old_head = self.heads.get(list as usize).copied().unwrap_or(NIL);
        if let Some(node) = self.nodes.get_mut(index as usize) {
            node.prev = NIL;
            node.next = old_head;
            node.list = list;
        }
        if let Some(old) = self.nodes.get_mut(old_head as usize) {
            old.prev = index;
        }
        if let Some(head) = self.heads.get_mut(list as usize) {
            *head = index;
        }
        self.set_occupied(list, true);
    }

    fn list_for(&self, deadline_tick: u64) -> u16 {
        if deadline_tick < self.next_tick {
            return DUE_LIST;
        }
        let delta = (deadline_tick - self.next_tick).min(MAX_DELTA);
        // A parked far deadline is filed under the farthest representable
        // tick; cascading re-files it by its true deadline.
        let tick = self.next_tick + delta;
        let mut level = 0usize;
        while level + 1 < LEVELS && delta >> (SLOT_BITS * (level as u32 + 1)) != 0 {
            level += 1;
        }
        let slot = ((tick >> (SLOT_BITS * level as u32)) & SLOT_MASK) as usize;
        (level * SLOTS + slot) as u16
    }

    fn unlink(&mut self, index: u32) {
        let Some(&Node { prev, next, list, .. }) = self.nodes.get(index as usize) else {
            return;
        };
        if let Some(p) = self.nodes.get_mut(prev as usize) {
            p.next = next;
        } else if let Some(head) = self.heads.get_mut(list as usize) {
            *head = next;
        }
        if let Some(n) = self.nodes.get_mut(next as usize) {
            n.prev = prev;
        }
        if self.heads.get(list as usize) == Some(&NIL) {
            self.set_occupied(list, false);
        }
    }

    fn release(&mut self, index: u32) {
        let free_head = self.free_head;
        if let Some(node) = self.nodes.get_mut(index as usize) {
            node.generation = node.generation.wrapping_add(1);
            node.list = FREE_LIST;
            node.prev = NIL;
            node.next = free_head;
            self.free_head = index;
            self.len -= 1;
        }
    }

    fn set_occupied(&mut self, list: u16, on: bool) {
        let list = list as usize;
        if list >= LEVELS * SLOTS {
            return;
        }
        let (level, slot) = (list / SLOTS, list % SLOTS);
        if let Some(words) = self.occupied.get_mut(level) {
            if let Some(word) = words.get_mut(slot / 64) {
                let bit = 1u64 << (slot % 64);
                if on {
                    *word |= bit;
                } else {
                    *word &= !bit;
                }
            }
        }
    }
}

/// First set bit at position `from` or later in a 256-bit map.
fn next_set_bit(words: &[u64; SLOTS / 64], from: usize) -> Option<usize> {
    let mut w = from / 64;
    if w >= words.len() {
        return None;
    }
    let mut bits = words[w] & (!0u64 << (from % 64));
    loop {
        if bits != 0 {
            return Some(w * 64 + bits.trailing_zeros() as usize);
        }
        w += 1;
        bits = *words.get(w)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_set_bit_finds_bits_across_words() {
        let mut m = [0u64; 4];
        m[2] = 1 << 5;
        assert_eq!(next_set_bit(&m, 0), Some(133));
        assert_eq!(next_set_bit(&m, 133), Some(133));
        assert_eq!(next_set_bit(&m, 134), None);
        assert_eq!(next_set_bit(&m, 256), None);
    }

    #[test]
    fn timer_node_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 32);
    }

    #[test]
    fn zero_capacity_wheel_refuses_timers() {
        let mut w = TimerWheel::new(0, 1000, 0);
        assert_eq!(w.insert(5, 1), Err(WheelFull));
    }
}
