//! RTT estimators: J's RTT (box -> R -> box) with its baseline, smoothed
//! value and delay variation; the S side's RTT; the sender's RTO as S
//! computes it.

use crate::clock::{elapsed, Micros};
use crate::windowed::WindowedExtreme;

/// J's RTT: latest, smoothed (RFC 6298 gains), windowed min, and the
/// RFC 3550 interarrival-jitter estimator applied to consecutive RTT samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RttEstimator {
    pub(crate) latest: u32,
    /// The latest sample of any kind, SACK-block samples included: what the
    /// shield's acting rule reads as J's queue right now. SACK samples stay
    /// out of everything else (smoothed RTT, jitter, baseline, the
    /// classifier), which keep measuring what they measured before.
    pub(crate) now: u32,
    pub(crate) srtt: u32,
    /// Smoothed delay variation, scaled by 16 (RFC 3550 keeps J += (|D| - J) / 16).
    jitter16: u32,
    pub(crate) min: WindowedExtreme,
    /// J's RTT at the fullest its queue has been lately, in units of
    /// 64 µs, and when, in units of 1024 µs (see `on_peak_sample`).
    peak64: u16,
    peak_at1024: u16,
    pub(crate) samples: u32,
    /// J's RTT from the handshake (0: none or expired) and when it was taken.
    handshake: u32,
    handshake_at: Micros,
}

impl RttEstimator {
    pub(crate) fn on_sample(&mut self, now: Micros, rtt: u32, min_window: u32) {
        if self.samples == 0 {
            self.srtt = rtt;
        } else {
            let d = rtt.abs_diff(self.latest);
            // J16 += |D| - J16/16, i.e. J += (|D| - J)/16 at 16x scale.
            self.jitter16 = self.jitter16.saturating_sub(self.jitter16 / 16).saturating_add(d);
            self.srtt = ((u64::from(self.srtt) * 7 + u64::from(rtt)) / 8) as u32;
        }
        self.latest = rtt;
        self.now = rtt;
        self.samples = self.samples.saturating_add(1);
        self.min.update_min(now, rtt, min_window);
    }

    /// A sample from R's SACK blocks: see `now`.
    pub(crate) fn on_sack_sample(&mut self, rtt: u32) {
        self.now = rtt;
    }

    /// The SYN / SYN-ACK exchange measured J before any data queued.
    pub(crate) fn on_handshake(&mut self, now: Micros, rtt: u32, min_window: u32) {
        self.on_sample(now, rtt, min_window);
        self.handshake = rtt;
        self.handshake_at = now;
    }

    /// Forget the handshake floor once older than `life` (called per tick,
    /// so the wrapping clock cannot bring an expired floor back).
    pub(crate) fn expire_handshake(&mut self, now: Micros, life: u32) {
        if self.handshake != 0 && elapsed(now, self.handshake_at) > life {
            self.handshake = 0;
        }
    }

    /// The propagation baseline: the windowed min-RTT, floored by the
    /// handshake RTT while that is recent. A queue that never drains within
    /// the min-RTT window would otherwise become the baseline; a baseline
    /// that is too low errs towards Congested, the safe side.
    pub(crate) fn baseline(&self) -> Option<u32> {
        match (self.min.get(), self.handshake) {
            (Some(m), 0) => Some(m),
            (Some(m), h) => Some(m.min(h)),
            (None, 0) => None,
            (None, h) => Some(h),
        }
    }

    /// A sample not taken across a stall (SACK-block samples included) for
    /// the peak: the highest within `window`, halved once it is older
    /// rather than dropped, so that a queue full a window ago still counts
    /// until the samples since reach half of it. Coarse units (64 µs, up
    /// to 4.2 s; ages up to 67 s) keep it within the flow state's size
    /// budget, where a 3-sample windowed max would not fit.
    pub(crate) fn on_peak_sample(&mut self, now: Micros, rtt: u32, window: u32) {
        let at = (now >> 10) as u16;
        let window = (window >> 10).min(u32::from(u16::MAX / 2)) as u16;
        if at.wrapping_sub(self.peak_at1024) > window {
            self.peak64 /= 2;
            self.peak_at1024 = at;
        }
        let rtt64 = (rtt >> 6).min(u32::from(u16::MAX)) as u16;
        if rtt64 >= self.peak64 {
            self.peak64 = rtt64;
            self.peak_at1024 = at;
        }
    }

    /// The peak RTT in µs (64 µs granularity), if any sample fed it.
    pub(crate) fn peak(&self) -> Option<u32> {
        (self.peak64 > 0).then_some(u32::from(self.peak64) << 6)
    }

    pub(crate) fn jitter(&self) -> u32 {
        self.jitter16 / 16
    }

    #[cfg(test)]
    pub(crate) fn min_rtt(&self) -> Option<u32> {
        self.min.get()
    }
}

/// Smoothed RTT of the S side (S -> box -> S), from the handshake and TS echoes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SideRtt {
    srtt: u32,
    valid: bool,
}

impl SideRtt {
    pub(crate) fn on_sample(&mut self, rtt: u32) {
        if self.valid {
            self.srtt = ((u64::from(self.srtt) * 7 + u64::from(rtt)) / 8) as u32;
        } else {
            self.srtt = rtt;
            self.valid = true;
        }
    }

    pub(crate) fn get(&self) -> Option<u32> {
        self.valid.then_some(self.srtt)
    }
}

/// The retransmission timeout S is running, estimated from what S sees:
/// J's RTT plus the S-side RTT. RFC 6298 smoothing; the timeout itself the
/// way Linux computes it (`srtt + max(4*rttvar, rto_min)`, so never below
/// srtt + 200 ms), capped at 120 s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SenderRto {
    srtt: u32,
    rttvar: u32,
    valid: bool,
}

const RTO_MAX_US: u64 = 120_000_000;

impl SenderRto {
    pub(crate) fn on_sample(&mut self, rtt: u32) {
        if self.valid {
            let err = self.srtt.abs_diff(rtt);
            self.rttvar = ((u64::from(self.rttvar) * 3 + u64::from(err)) / 4) as u32;
            self.srtt = ((u64::from(self.srtt) * 7 + u64::from(rtt)) / 8) as u32;
        } else {
            self.srtt = rtt;
            self.rttvar = rtt / 2;
            self.valid = true;
        }
    }

    pub(crate) fn rto_us(&self, rto_min_us: u32, rto_initial_us: u32) -> u32 {
        if !self.valid {
            return rto_initial_us;
        }
        let var = (u64::from(self.rttvar) * 4).max(u64::from(rto_min_us));
        (u64::from(self.srtt) + var).min(RTO_MAX_US) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rtt_has_no_jitter_and_srtt_converges() {
        let mut e = RttEstimator::default();
        for i in 0..50 {
            e.on_sample(i * 1000, 40_000, 10_000_000);
        }
        assert_eq!(e.jitter(), 0);
        assert_eq!(e.srtt, 40_000);
        assert_eq!(e.min_rtt(), Some(40_000));
    }

    #[test]
    fn alternating_rtt_converges_to_its_step() {
        // RFC 3550: consecutive differences of 10 ms drive J towards 10 ms.
        let mut e = RttEstimator::default();
        for i in 0..400u32 {
            let rtt = if i % 2 == 0 { 40_000 } else { 50_000 };
            e.on_sample(i * 1000, rtt, 10_000_000);
        }
        assert!((9_000..=10_000).contains(&e.jitter()), "jitter {}", e.jitter());
        assert_eq!(e.min_rtt(), Some(40_000));
        assert!(e.srtt > 40_000 && e.srtt < 50_000);
    }

    #[test]
    fn handshake_floors_the_baseline_until_it_expires() {
        let mut e = RttEstimator::default();
        e.on_handshake(0, 40_000, 1_000_000);
        // A standing queue for longer than the min window.
        for i in 1..=30u32 {
            e.on_sample(i * 100_000, 80_000, 1_000_000);
        }
        assert_eq!(e.min_rtt(), Some(80_000));
        assert_eq!(e.baseline(), Some(40_000));
        e.expire_handshake(3_000_000, 2_000_000);
        assert_eq!(e.baseline(), Some(80_000));
    }

    #[test]
    fn rto_has_linux_floor_and_initial_value() {
        let mut r = SenderRto::default();
        assert_eq!(r.rto_us(200_000, 1_000_000), 1_000_000);
        for _ in 0..100 {
            r.on_sample(50_000);
        }
        // rttvar decays towards 0, so the floor decides: srtt + 200 ms.
        assert_eq!(r.rto_us(200_000, 1_000_000), 250_000);
        let mut v = SenderRto::default();
        v.on_sample(100_000);
        // first sample: srtt=R, rttvar=R/2 -> srtt + 4*rttvar = 300 ms > floor.
        assert_eq!(v.rto_us(200_000, 1_000_000), 300_000);
    }

    #[test]
    fn side_rtt_smooths() {
        let mut s = SideRtt::default();
        assert_eq!(s.get(), None);
        s.on_sample(8_000);
        s.on_sample(16_000);
        assert_eq!(s.get(), Some(9_000));
    }
}
