//! Ethernet II headers with optional 802.1Q / 802.1ad (QinQ) tags.

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// 802.1Q customer tag.
pub const TPID_CTAG: u16 = 0x8100;
/// 802.1ad service tag (outer tag of QinQ).
pub const TPID_STAG: u16 = 0x88a8;

/// Shortest Ethernet frame without FCS. A NIC pads shorter frames on
/// transmit, so a capture at the box shows 60 bytes for a bare TCP ACK.
pub const MIN_FRAME_LEN: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanTag {
    pub tpid: u16,
    pub pcp: u8,
    pub vid: u16,
}

impl VlanTag {
    pub fn ctag(vid: u16) -> Self {
        Self { tpid: TPID_CTAG, pcp: 0, vid }
    }

    pub fn stag(vid: u16) -> Self {
        Self { tpid: TPID_STAG, pcp: 0, vid }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthernetHeader {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    /// Outermost tag first.
    pub tags: Vec<VlanTag>,
}

impl EthernetHeader {
    pub fn new(src: [u8; 6], dst: [u8; 6]) -> Self {
        Self { dst, src, tags: Vec::new() }
    }

    pub fn with_tags(mut self, tags: &[VlanTag]) -> Self {
        self.tags = tags.to_vec();
        self
    }

    pub fn header_len(&self) -> usize {
        14 + 4 * self.tags.len()
    }

    /// A complete frame, zero-padded to [`MIN_FRAME_LEN`] like a NIC would.
    pub fn frame(&self, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = self.frame_unpadded(ethertype, payload);
        if out.len() < MIN_FRAME_LEN {
            out.resize(MIN_FRAME_LEN, 0);
        }
        out
    }

    /// A frame without minimum-size padding (used for runts on purpose).
    pub fn frame_unpadded(&self, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header_len() + payload.len());
        out.extend_from_slice(&self.dst);
        out.extend_from_slice(&self.src);
        for tag in &self.tags {
            out.extend_from_slice(&tag.tpid.to_be_bytes());
            let tci = (u16::from(tag.pcp & 0x7) << 13) | (tag.vid & 0x0fff);
            out.extend_from_slice(&tci.to_be_bytes());
        }
        out.extend_from_slice(&ethertype.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const B: [u8; 6] = [2, 0, 0, 0, 0, 2];

    #[test]
    fn short_frames_are_padded_to_60() {
        let f = EthernetHeader::new(A, B).frame(ETHERTYPE_IPV4, &[1, 2, 3]);
        assert_eq!(f.len(), MIN_FRAME_LEN);
        assert_eq!(&f[0..6], &B);
        assert_eq!(&f[6..12], &A);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(&f[14..17], &[1, 2, 3]);
        assert!(f[17..].iter().all(|&b| b == 0));
    }

    #[test]
    fn qinq_tags_are_outermost_first() {
        let eth = EthernetHeader::new(A, B).with_tags(&[VlanTag::stag(200), VlanTag::ctag(300)]);
        let f = eth.frame_unpadded(ETHERTYPE_IPV6, &[]);
        assert_eq!(f.len(), 22);
        assert_eq!(&f[12..14], &[0x88, 0xa8]);
        assert_eq!(u16::from_be_bytes([f[14], f[15]]) & 0xfff, 200);
        assert_eq!(&f[16..18], &[0x81, 0x00]);
        assert_eq!(u16::from_be_bytes([f[18], f[19]]) & 0xfff, 300);
        assert_eq!(&f[20..22], &[0x86, 0xdd]);
    }
}
