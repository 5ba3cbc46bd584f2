//! `jg-linkem --a IFACE --b IFACE --profile FILE [--side access|core] [--seed N] [--stats-every S] [--json]`
//! `jg-linkem --profile FILE --check`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use jg_linkem::bridge::{Bridge, DirectionState, LoopOptions};
use jg_linkem::link::{Direction, Link};
use jg_linkem::packet_socket::{set_timer_slack_ns, PacketSocket};
use jg_linkem::profile::{Profile, Side};
use jg_linkem::release_queue::ReleaseQueue;
use jg_linkem::shutdown;
use jg_linkem::stats::DirectionStats;

/// Bridges two interfaces and emulates a link between them: per direction
/// a bottleneck rate, base delay, drop-tail queue, random loss and a jitter
/// model, all from a TOML profile. a→b is the data direction, b→a the ACKs.
#[derive(Debug, Parser)]
#[command(name = "jg-linkem", version)]
struct Args {
    /// Interface a (sender side).
    #[arg(long, required_unless_present = "check")]
    a: Option<String>,
    /// Interface b (receiver side).
    #[arg(long, required_unless_present = "check")]
    b: Option<String>,
    /// Profile TOML file.
    #[arg(long)]
    profile: PathBuf,
    /// Which part of the profile to emulate: the access path (box to
    /// receiver) or the delay-only core path of its `[core]` table (sender
    /// to box).
    #[arg(long, value_enum, default_value_t = Side::Access)]
    side: Side,
    /// Validate the profile, print one JSON line (name, flows, core delay)
    /// and exit.
    #[arg(long)]
    check: bool,
    /// Seed for loss, jitter and stall draws (same seed, same schedule).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print counters every S seconds (besides at exit).
    #[arg(long)]
    stats_every: Option<f64>,
    /// Print counters as JSON lines on stdout instead of text on stderr.
    #[arg(long)]
    json: bool,
    /// Busy-wait the last N µs before a release instead of sleeping.
    #[arg(long, default_value_t = 20)]
    spin_us: u64,
    /// Frame buffers per direction (frames held in queue or in flight).
    #[arg(long, default_value_t = 16384)]
    buffers: usize,
}

fn direction_state(
    profile: &Profile,
    direction: Direction,
    seed: u64,
    buffers: usize,
) -> Result<DirectionState> {
    let config = match direction {
        Direction::AToB => &profile.a_to_b,
        Direction::BToA => &profile.b_to_a,
    };
    Ok(DirectionState {
        direction,
        link: Link::new(config, direction, seed, buffers)
            .with_context(|| format!("building direction {}", direction.label()))?,
        queue: ReleaseQueue::new(buffers),
        stats: DirectionStats::new()?,
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let profile = Profile::load(&args.profile)?;
    if args.check {
        let core_delay_ms = profile.core.map(|c| c.delay_ms);
        println!(
            "{}",
            serde_json::json!({"name": profile.name, "flows": profile.flows, "core_delay_ms": core_delay_ms})
        );
        return Ok(());
    }
    let profile = profile.side(args.side)?;
    let (Some(a_name), Some(b_name)) = (&args.a, &args.b) else {
        anyhow::bail!("--a and --b are required (except with --check)");
    };
    shutdown::install().context("installing signal handlers")?;
    if let Err(e) = set_timer_slack_ns(1_000) {
        eprintln!("jg-linkem: cannot lower timer slack ({e}); releases may be up to 50 µs late");
    }
    let a = PacketSocket::open(a_name).with_context(|| format!("opening {a_name}"))?;
    let b = PacketSocket::open(b_name).with_context(|| format!("opening {b_name}"))?;
    let directions = [
        direction_state(&profile, Direction::AToB, args.seed, args.buffers)?,
        direction_state(&profile, Direction::BToA, args.seed, args.buffers)?,
    ];
    eprintln!(
        "jg-linkem: profile {} seed {}: {} <-> {}",
        profile.name,
        args.seed,
        a.name(),
        b.name()
    );
    let mut bridge = Bridge::new([a, b], directions);
    let options = LoopOptions {
        spin_ns: args.spin_us.saturating_mul(1_000),
        stats_every: args
            .stats_every
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64),
        json: args.json,
    };
    let result = bridge.run(options);
    bridge.print_stats(args.json, "final");
    result.context("bridge loop")
}
