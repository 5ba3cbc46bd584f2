//! "What the shield could save": sender reactions that J's jitter caused and
//! that the actions of the shield mode exist to prevent.

use core::ops::AddAssign;

/// Per-flow counters, summable across flows and groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counterfactual {
    /// Sender retransmissions that were not needed: DSACKed by R, or of
    /// bytes R had already acknowledged when they passed the box.
    pub spurious_retrans: u32,
    /// Of those, retransmissions of bytes R had already acknowledged (what
    /// duplicate suppression would answer locally).
    pub retrans_already_acked: u32,
    /// Sender RTOs that fired while J was stalled (no ACK progress past the
    /// stall threshold with data outstanding): what stall protection targets.
    pub rto_during_stall: u32,
    /// Sender RTOs proven spurious: the original's ACK came back too soon
    /// after the RTO retransmission for the retransmission to have caused it.
    pub spurious_rto: u32,
    /// Fast retransmits (retransmission into a hole R reported) where the
    /// original was only late: reordering on J.
    pub fast_retx_by_reorder: u32,
    /// Fast retransmits repairing a loss on J: local recovery would have
    /// repaired it without S cutting its window.
    pub fast_retx_by_j_loss: u32,
    /// Fast retransmits repairing a loss upstream of the box (nothing the
    /// shield can or should do about them; kept apart for honesty).
    pub fast_retx_by_upstream_loss: u32,
}

impl Counterfactual {
    /// Add another flow's counters (saturating).
    pub fn add(&mut self, o: &Counterfactual) {
        self.spurious_retrans = self.spurious_retrans.saturating_add(o.spurious_retrans);
        self.retrans_already_acked =
            self.retrans_already_acked.saturating_add(o.retrans_already_acked);
        self.rto_during_stall = self.rto_during_stall.saturating_add(o.rto_during_stall);
        self.spurious_rto = self.spurious_rto.saturating_add(o.spurious_rto);
        self.fast_retx_by_reorder =
            self.fast_retx_by_reorder.saturating_add(o.fast_retx_by_reorder);
        self.fast_retx_by_j_loss = self.fast_retx_by_j_loss.saturating_add(o.fast_retx_by_j_loss);
        self.fast_retx_by_upstream_loss =
            self.fast_retx_by_upstream_loss.saturating_add(o.fast_retx_by_upstream_loss);
    }
}

impl AddAssign<&Counterfactual> for Counterfactual {
    fn add_assign(&mut self, o: &Counterfactual) {
        self.add(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_fieldwise_and_saturates() {
        let a = Counterfactual {
            spurious_retrans: 2,
            fast_retx_by_j_loss: u32::MAX,
            ..Default::default()
        };
        let mut s = Counterfactual {
            spurious_retrans: 1,
            fast_retx_by_j_loss: 1,
            rto_during_stall: 4,
            ..Default::default()
        };
        s += &a;
        assert_eq!(s.spurious_retrans, 3);
        assert_eq!(s.fast_retx_by_j_loss, u32::MAX);
        assert_eq!(s.rto_during_stall, 4);
    }
}
