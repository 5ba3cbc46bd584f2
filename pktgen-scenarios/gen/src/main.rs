//! `jg-gen`: writes jitterguard's scenario pcap pairs.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use jg_scenario_gen::scenario::{bulk, lossy_flow, mixed, synflood};

#[derive(Parser)]
#[command(
    name = "jg-gen",
    about = "Write jitterguard scenario pcaps: NAME.core.pcap (frames arriving on the core port, S->R) \
             and NAME.access.pcap (frames arriving on the access port, R->S). \
             Addresses only from 198.18.0.0/15 and 2001:2::/48; deterministic for a given --seed."
)]
struct Cli {
    /// Seed for every random choice (ISNs, addresses, losses, flow order).
    #[arg(long, global = true, default_value_t = 1)]
    seed: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Integration input: TCP both ways, UDP, ARP, VLAN, QinQ, IPv6, GTP-U,
    /// a truncated frame, IPv4 fragments, a bad TCP data offset (~60 frames per direction).
    Mixed {
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// TCP data (core) and ACKs (access) over many flows, picked up mid-stream,
    /// visited in a random order each round: the packet-rate benchmark input.
    Bulk {
        /// Number of flows (e.g. 1000, 65536, 1000000).
        #[arg(long, default_value_t = 1000)]
        flows: u32,
        #[arg(long, value_enum, default_value_t = bulk::Mix::Data1500)]
        mix: bulk::Mix,
        /// Encapsulate every flow in GTP-U (UPF 198.18.255.1 <-> 64 gNBs, one TEID per flow and direction).
        #[arg(long)]
        gtpu: bool,
        /// Inner IPv6 (2001:2:0:1::/64 <-> 2001:2:0:2::/64) instead of IPv4.
        #[arg(long)]
        ipv6: bool,
        /// Data frames in the core pcap (at least --flows). net_pcap's infinite_rx
        /// keeps every frame of both files in mbufs: size the mempool accordingly.
        #[arg(long, default_value_t = 16_384)]
        packets: u64,
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// COUNT distinct SYNs from random sources in 198.18.0.0/15 to 198.19.0.80:443
    /// (one per microsecond, core port) with one legitimate connection interleaved.
    Synflood {
        #[arg(long, default_value_t = 2_000_000)]
        count: u32,
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// One TCP download (2000 x 1448 B) through a lossy, reordering segment J:
    /// SACK holes in R's ACKs, S's retransmissions in the core pcap.
    /// Also writes lossy-flow.truth.json (which segments were lost/reordered, frame indices).
    LossyFlow {
        #[arg(long)]
        out_dir: PathBuf,
        /// Probability that J drops a segment's first transmission.
        #[arg(long, default_value_t = 0.01)]
        loss: f64,
        /// Probability that J delays a segment's first transmission by --reorder-delay-us.
        #[arg(long, default_value_t = 0.005)]
        reorder: f64,
        #[arg(long, default_value_t = 4_000)]
        reorder_delay_us: u64,
        #[arg(long, default_value_t = 2000)]
        segments: u32,
        /// Bottleneck rate of J.
        #[arg(long, default_value_t = 50.0)]
        rate_mbit: f64,
        /// One-way delay S <-> box.
        #[arg(long, default_value_t = 2_000)]
        core_delay_us: u64,
        /// One-way propagation delay box <-> R, on top of J's queue.
        #[arg(long, default_value_t = 18_000)]
        access_delay_us: u64,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Mixed { out_dir } => {
            println!("{}", mixed::generate(&out_dir, cli.seed)?);
        }
        Command::Bulk { flows, mix, gtpu, ipv6, packets, out_dir } => {
            let o = bulk::BulkOptions { flows, mix, gtpu, ipv6, packets, seed: cli.seed };
            println!("{}", bulk::generate(&out_dir, &o)?);
        }
        Command::Synflood { count, out_dir } => {
            println!("{}", synflood::generate(&out_dir, count, cli.seed)?);
        }
        Command::LossyFlow {
            out_dir,
            loss,
            reorder,
            reorder_delay_us,
            segments,
            rate_mbit,
            core_delay_us,
            access_delay_us,
        } => {
            let o = lossy_flow::LossyOptions {
                segments,
                loss,
                reorder,
                reorder_delay_us,
                rate_mbit,
                core_delay_us,
                access_delay_us,
                seed: cli.seed,
            };
            let (summary, truth) = lossy_flow::generate(&out_dir, &o)?;
            println!("{summary}");
            println!(
                "lost on J: {} segments, reordered: {}, retransmissions: {} ({} spurious), \
                 recovery episodes: {}, RTOs: {}, duration {:.3} s; details in {}",
                truth.lost.len(),
                truth.reordered.len(),
                truth.retransmission_core_frames.len(),
                truth.spurious_retransmissions,
                truth.recovery_episodes,
                truth.rto_events,
                truth.duration_us as f64 / 1e6,
                out_dir.join("lossy-flow.truth.json").display()
            );
        }
    }
    Ok(())
}
