//! Delivery-time jitter models applied after the bottleneck and the base
//! delay: they decide when a packet that has crossed the link is released.
//!
//! Stalls and traces change when the link *serves*, so they live in
//! [`crate::link`]; the models here change when a served packet *arrives*.

use rand::rngs::SmallRng;
use rand::Rng;

/// Per-direction release model.
#[derive(Debug, Clone)]
pub enum ReleaseModel {
    /// Release at the nominal time.
    Immediate,
    /// Independent extra delay in `[0, max_ns]`; packets may overtake.
    Uniform { max_ns: u64 },
    /// Extra delay in `[0, max_ns]`, but never before the previous packet.
    FifoJitter { max_ns: u64, last_release_ns: u64 },
    /// Release at the next multiple of `interval_ns` (bunched delivery).
    Aggregate { interval_ns: u64 },
}

impl ReleaseModel {
    /// When a packet whose nominal arrival is `nominal_ns` is released.
    pub fn release_at(&mut self, nominal_ns: u64, rng: &mut SmallRng) -> u64 {
        match self {
            ReleaseModel::Immediate => nominal_ns,
            ReleaseModel::Uniform { max_ns } => {
                nominal_ns.saturating_add(rng.gen_range(0..=*max_ns))
            }
            ReleaseModel::FifoJitter { max_ns, last_release_ns } => {
                let jittered = nominal_ns.saturating_add(rng.gen_range(0..=*max_ns));
                let release = jittered.max(*last_release_ns);
                *last_release_ns = release;
                release
            }
            ReleaseModel::Aggregate { interval_ns } => {
                let interval = (*interval_ns).max(1);
                nominal_ns.div_ceil(interval).saturating_mul(interval)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const MS: u64 = 1_000_000;

    #[test]
    fn uniform_stays_in_range_and_reorders() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut model = ReleaseModel::Uniform { max_ns: 10 * MS };
        let mut previous = 0;
        let mut overtaken = 0;
        for i in 0..10_000u64 {
            let nominal = i * 250_000; // 4k packets/s
            let at = model.release_at(nominal, &mut rng);
            assert!(at >= nominal && at <= nominal + 10 * MS);
            if at < previous {
                overtaken += 1;
            }
            previous = at;
        }
        assert!(overtaken > 1000, "0-10 ms jitter at 4k pps reorders: {overtaken}");
    }

    #[test]
    fn fifo_jitter_keeps_order() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut model = ReleaseModel::FifoJitter { max_ns: 10 * MS, last_release_ns: 0 };
        let mut previous = 0;
        for i in 0..10_000u64 {
            let nominal = i * 250_000;
            let at = model.release_at(nominal, &mut rng);
            assert!(at >= nominal && at >= previous);
            previous = at;
        }
    }

    #[test]
    fn aggregation_releases_on_interval_boundaries() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut model = ReleaseModel::Aggregate { interval_ns: 10 * MS };
        assert_eq!(model.release_at(1, &mut rng), 10 * MS);
        assert_eq!(model.release_at(9 * MS, &mut rng), 10 * MS);
        assert_eq!(model.release_at(10 * MS, &mut rng), 10 * MS);
        assert_eq!(model.release_at(10 * MS + 1, &mut rng), 20 * MS);
    }

    #[test]
    fn same_seed_same_delays() {
        let mut a = SmallRng::seed_from_u64(9);
        let mut b = SmallRng::seed_from_u64(9);
        let mut ma = ReleaseModel::Uniform { max_ns: 5 * MS };
        let mut mb = ReleaseModel::Uniform { max_ns: 5 * MS };
        for i in 0..1000 {
            assert_eq!(ma.release_at(i, &mut a), mb.release_at(i, &mut b));
        }
    }
}
