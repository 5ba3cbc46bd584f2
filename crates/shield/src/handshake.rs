//! What the two SYNs said: options of the sender S (core side) and the
//! receiver R (access side), whichever of them opened the connection.

use crate::segment::TcpOpts;

/// Options one side announced in its SYN (or SYN-ACK).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideOptions {
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale shift count as sent (RFC 7323 caps its use at 14).
    pub wscale: Option<u8>,
    /// SACK-permitted.
    pub sack_perm: bool,
    /// Timestamps option present.
    pub ts: bool,
    /// This side's SYN was seen.
    pub syn_seen: bool,
    /// This side's SYN was seen more than once (Karn: no handshake RTT sample).
    pub syn_retransmitted: bool,
}

impl SideOptions {
    pub(crate) fn from_syn(opts: &TcpOpts) -> Self {
        SideOptions {
            mss: opts.mss,
            wscale: opts.wscale,
            sack_perm: opts.sack_perm,
            ts: opts.ts.is_some(),
            syn_seen: true,
            syn_retransmitted: false,
        }
    }
}

/// Handshake facts of a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandshakeFacts {
    /// S, the core side.
    pub sender: SideOptions,
    /// R, the access side.
    pub receiver: SideOptions,
    /// The flow was picked up without its handshake: measured, but the
    /// window scale is unknown, so its window must never be rewritten.
    pub midstream: bool,
}

impl HandshakeFacts {
    /// Shift to apply to R's window field in non-SYN segments, if known.
    /// RFC 7323: scaling is in force only when both SYNs carried the option.
    pub fn receiver_window_shift(&self) -> Option<u8> {
        if self.midstream || !self.sender.syn_seen || !self.receiver.syn_seen {
            return None;
        }
        match (self.sender.wscale, self.receiver.wscale) {
            (Some(_), Some(r)) => Some(r.min(14)),
            _ => Some(0),
        }
    }

    /// SACK negotiated (both SYNs carried SACK-permitted).
    pub fn sack_ok(&self) -> bool {
        self.sender.sack_perm && self.receiver.sack_perm
    }

    /// Timestamps negotiated.
    pub fn ts_ok(&self) -> bool {
        self.sender.ts && self.receiver.ts
    }

    /// Segment size S uses towards R, if announced: R's MSS.
    pub fn mss_to_receiver(&self) -> Option<u16> {
        self.receiver.mss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(wscale: Option<u8>) -> SideOptions {
        SideOptions { wscale, syn_seen: true, ..SideOptions::default() }
    }

    #[test]
    fn window_shift_needs_both_sides() {
        let mut h =
            HandshakeFacts { sender: side(Some(7)), receiver: side(Some(9)), midstream: false };
        assert_eq!(h.receiver_window_shift(), Some(9));
        h.receiver.wscale = Some(20);
        assert_eq!(h.receiver_window_shift(), Some(14), "RFC 7323 caps at 14");
        h.sender.wscale = None;
        assert_eq!(h.receiver_window_shift(), Some(0), "one side without the option: no scaling");
        h.midstream = true;
        assert_eq!(h.receiver_window_shift(), None);
        let only_r = HandshakeFacts { receiver: side(Some(9)), ..HandshakeFacts::default() };
        assert_eq!(only_r.receiver_window_shift(), None, "S's SYN missed: unknown");
    }
}
