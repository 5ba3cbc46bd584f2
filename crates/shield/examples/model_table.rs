//! Prints the monitor-vs-actions table of the README from the test model
//! (tests/common): 30 s per profile, same seed for both arms.
//!
//! Run: CARGO_TARGET_DIR=/tmp/target-shield cargo run -p shield --release --example model_table

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Bottleneck, Profile, Sim};
use shield::{ActionConfig, ShieldConfig};

fn main() {
    let congested = Profile {
        bottleneck: Some(Bottleneck {
            rate_bps: 12_000_000,
            buffer_pkts: 100,
            cross_bps: 6_000_000,
        }),
        max_cwnd: 200,
        initial_ssthresh: 60,
        ..Profile::default()
    };
    let profiles = [
        ("1 % loss on J", Profile { loss_ppm: 10_000, ..Profile::default() }),
        ("0.5 % loss on J", Profile { loss_ppm: 5_000, ..Profile::default() }),
        (
            "0-10 ms per-packet delay (reordering)",
            Profile { jitter_us: 10_000, ..Profile::default() },
        ),
        (
            "300 ms stalls every 2 s",
            Profile { stall_every_us: 2_000_000, stall_len_us: 300_000, ..Profile::default() },
        ),
        (
            "600 ms stalls every 3 s",
            Profile { stall_every_us: 3_000_000, stall_len_us: 600_000, ..Profile::default() },
        ),
        ("clean", Profile::default()),
        ("drop-tail bottleneck + cross traffic", congested),
    ];
    println!("| profile | MB delivered, monitor | MB delivered, actions | window cuts (fast retx + RTO) | RTOs | invariant violations |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, p) in profiles {
        let mut monitor = Sim::new(p, ShieldConfig::default());
        monitor.run_secs(30.0);
        let cfg = ShieldConfig { actions: ActionConfig::all_on(), ..ShieldConfig::default() };
        let mut shielded = Sim::with_actions(p, cfg);
        shielded.run_secs(30.0);
        println!(
            "| {name} | {:.1} | {:.1} | {} -> {} | {} -> {} | {} |",
            monitor.report().bytes_acked as f64 / 1e6,
            shielded.report().bytes_acked as f64 / 1e6,
            monitor.sender_cwnd_cuts,
            shielded.sender_cwnd_cuts,
            monitor.sender_rtos,
            shielded.sender_rtos,
            shielded.violations
        );
    }
}
