//! Templates of the frames R sends towards S, so the shield can emit ACKs
//! towards S that look exactly like R's own (L2, VLANs, tunnel headers and
//! TEID of that direction, TCP options). Direct-mapped by flow slot with a
//! fixed number of entries: a flow whose entry another flow took simply has
//! no template, and the shield's emit is counted as dropped (fail open).

/// Bytes kept per template: enough for every header up to the inner TCP
/// header with options (pure ACKs are at most this long anyway).
pub const TEMPLATE_BYTES: usize = 192;

struct Slot {
    owner: u64,
    len: u16,
    bytes: [u8; TEMPLATE_BYTES],
}

pub struct AckTemplates {
    slots: Vec<Slot>,
}

impl AckTemplates {
    pub fn new(entries: usize) -> AckTemplates {
        AckTemplates {
            slots: (0..entries)
                .map(|_| Slot { owner: u64::MAX, len: 0, bytes: [0; TEMPLATE_BYTES] })
                .collect(),
        }
    }

    fn slot_of(&self, flow: u64) -> Option<usize> {
        (!self.slots.is_empty()).then(|| (flow as usize ^ (flow >> 32) as usize) % self.slots.len())
    }

    /// Remembers `frame` (a pure ACK of R) as the flow's template.
    pub fn record(&mut self, flow: u64, frame: &[u8]) {
        let Some(i) = self.slot_of(flow) else { return };
        if frame.len() > TEMPLATE_BYTES {
            return;
        }
        let s = &mut self.slots[i];
        s.owner = flow;
        s.len = frame.len() as u16;
        s.bytes[..frame.len()].copy_from_slice(frame);
    }

    /// The flow's latest template, if it still owns its entry.
    pub fn get(&self, flow: u64) -> Option<&[u8]> {
        let s = &self.slots[self.slot_of(flow)?];
        (s.owner == flow).then(|| &s.bytes[..usize::from(s.len)])
    }

    /// Forgets the flow's template (flow ended).
    pub fn forget(&mut self, flow: u64) {
        if let Some(i) = self.slot_of(flow) {
            if self.slots[i].owner == flow {
                self.slots[i].owner = u64::MAX;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_frame_per_flow_and_fails_open_on_collision() {
        let mut t = AckTemplates::new(4);
        t.record(1, &[1, 2, 3]);
        t.record(1, &[4, 5]);
        assert_eq!(t.get(1), Some(&[4u8, 5][..]));
        t.record(5, &[9]); // 5 % 4 == 1: takes flow 1's entry
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(5), Some(&[9u8][..]));
        t.forget(5);
        assert_eq!(t.get(5), None);
        t.record(2, &[0; TEMPLATE_BYTES + 1]);
        assert_eq!(t.get(2), None, "oversized frames are not kept");
    }
}
