//! The crate's input: one TCP segment as the glue parsed it.
//!
//! The shield does not depend on the `wire` crate; the dataplane converts a
//! parsed packet into a [`Segment`] (plain values, no borrowed buffers).

/// Which port the segment arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// From the core port: S -> R. Data passes the box before J.
    FromCore,
    /// From the access port: R -> S. ACKs pass the box after J.
    FromAccess,
}

/// TCP flag bits as they sit in the header's flags byte.
pub const FLAG_FIN: u8 = 0x01;
/// SYN flag bit.
pub const FLAG_SYN: u8 = 0x02;
/// RST flag bit.
pub const FLAG_RST: u8 = 0x04;
/// PSH flag bit.
pub const FLAG_PSH: u8 = 0x08;
/// ACK flag bit.
pub const FLAG_ACK: u8 = 0x10;

/// The TCP options the shield reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOpts {
    /// MSS option (SYN segments only).
    pub mss: Option<u16>,
    /// Window scale shift count (SYN segments only).
    pub wscale: Option<u8>,
    /// SACK-permitted option (SYN segments only).
    pub sack_perm: bool,
    /// Timestamps option: (TSval, TSecr).
    pub ts: Option<(u32, u32)>,
    /// SACK blocks (left edge, right edge), the first `sack_len` are valid.
    pub sack: [(u32, u32); 4],
    /// Number of valid entries in `sack` (values above 4 are treated as 4).
    pub sack_len: u8,
}

impl TcpOpts {
    /// The valid SACK blocks, in the order the receiver listed them.
    pub fn sack_blocks(&self) -> &[(u32, u32)] {
        let n = usize::from(self.sack_len).min(self.sack.len());
        self.sack.get(..n).unwrap_or(&[])
    }
}

/// One TCP segment seen by the box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Arrival port.
    pub dir: Dir,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when the ACK flag is set).
    pub ack: u32,
    /// TCP flag bits: FIN=1 SYN=2 RST=4 PSH=8 ACK=16.
    pub flags: u8,
    /// Raw (unscaled) window field.
    pub window: u16,
    /// TCP payload length in bytes.
    pub payload_len: u32,
    /// Parsed options.
    pub opts: TcpOpts,
}

impl Segment {
    /// SYN set.
    pub fn is_syn(&self) -> bool {
        self.flags & FLAG_SYN != 0
    }
    /// FIN set.
    pub fn is_fin(&self) -> bool {
        self.flags & FLAG_FIN != 0
    }
    /// RST set.
    pub fn is_rst(&self) -> bool {
        self.flags & FLAG_RST != 0
    }
    /// ACK set.
    pub fn has_ack(&self) -> bool {
        self.flags & FLAG_ACK != 0
    }
    /// Sequence space the segment occupies (payload, plus one each for SYN and FIN).
    pub fn seq_len(&self) -> u32 {
        self.payload_len
            .wrapping_add(u32::from(self.is_syn()))
            .wrapping_add(u32::from(self.is_fin()))
    }
}
