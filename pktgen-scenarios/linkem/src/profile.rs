//! Profile files: what one emulated path looks like, per direction.
//!
//! A profile is a TOML file with a `[a_to_b]` table (the data direction,
//! sender → receiver) and a `[b_to_a]` table (the ACK direction). Each
//! direction has a bottleneck rate, a base one-way delay, a drop-tail queue,
//! random loss and one jitter model. Loading validates every number so the
//! packet path never meets a nonsensical value.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// A whole profile file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name, used in benchmark tables.
    pub name: String,
    /// What real network this profile stands for.
    #[serde(default)]
    pub description: String,
    /// How many parallel TCP flows a benchmark should run over this profile
    /// (the emulator itself ignores it; `goodput.py` reads it).
    #[serde(default = "default_flows")]
    pub flows: u32,
    /// Data direction: interface `a` → interface `b`.
    pub a_to_b: DirectionConfig,
    /// ACK direction: interface `b` → interface `a`.
    pub b_to_a: DirectionConfig,
    /// The path between the sender and the box, when it is more than a
    /// cable: a UPF or a mobile core sits between a server on the Internet
    /// and the radio, so the sender's RTT is longer than the jittery
    /// segment's. A second emulator (`jg-linkem --side core`, started by
    /// `testbed.sh` when this table is present) emulates it.
    #[serde(default)]
    pub core: Option<CoreConfig>,
}

/// The sender's side of the box: a fixed delay, no bottleneck, no loss.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// One-way delay in milliseconds, the same in both directions.
    pub delay_ms: f64,
}

/// Which part of a profile one emulator instance plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// The jittery access path between the box and the receiver (`a_to_b`, `b_to_a`).
    Access,
    /// The delay-only path between the sender and the box (`[core]`).
    Core,
}

fn default_flows() -> u32 {
    1
}

/// The emulated link in one direction.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DirectionConfig {
    /// Bottleneck rate in Mbit/s of Ethernet frame bytes (header included,
    /// no preamble/FCS). `0` means unlimited (no serialisation delay).
    #[serde(default)]
    pub rate_mbit: f64,
    /// Base one-way propagation delay in milliseconds.
    #[serde(default)]
    pub delay_ms: f64,
    /// Drop-tail limit on packets waiting for (or in) serialisation.
    #[serde(default)]
    pub queue_packets: Option<u32>,
    /// Drop-tail limit on bytes waiting for (or in) serialisation.
    #[serde(default)]
    pub queue_bytes: Option<u64>,
    /// Probability in [0, 1) that a packet is lost on the link after it
    /// has used its share of the bottleneck (a corrupted radio frame).
    #[serde(default)]
    pub loss: f64,
    /// The jitter model; `none` when absent.
    #[serde(default)]
    pub jitter: JitterConfig,
}

/// Jitter model by name (`model = "..."` in the TOML table).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum JitterConfig {
    /// No added jitter.
    #[default]
    None,
    /// The link stops serving for `min_ms..=max_ms` at intervals drawn from
    /// an exponential distribution with mean `mean_interval_ms` (measured
    /// from the end of one stall to the start of the next), then drains the
    /// queue at the bottleneck rate. Radio scheduling stalls, handovers.
    Stalls { min_ms: f64, max_ms: f64, mean_interval_ms: f64 },
    /// Independent extra delay per packet, uniform in `[0, max_ms]`;
    /// packets may overtake each other (reordering).
    Uniform { max_ms: f64 },
    /// Same extra delay, but departures keep arrival order.
    FifoJitter { max_ms: f64 },
    /// Packets are held and released together at every multiple of
    /// `interval_ms` (Wi-Fi aggregation, 5G uplink grants).
    AckAggregation { interval_ms: f64 },
    /// Trace-driven link: the file lists delivery opportunities, one
    /// millisecond timestamp per line (the mahimahi format); each
    /// opportunity carries one packet. The trace repeats. The rate is ignored.
    Trace { file: PathBuf },
}

impl Profile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading profile {}", path.display()))?;
        let profile = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        Ok(profile)
    }

    /// Parses and validates profile text.
    pub fn parse(text: &str) -> Result<Self> {
        let profile: Profile = toml::from_str(text)?;
        profile.a_to_b.validate().context("direction a_to_b (data)")?;
        profile.b_to_a.validate().context("direction b_to_a (ack)")?;
        if profile.flows == 0 {
            bail!("flows must be at least 1");
        }
        if let Some(core) = profile.core {
            finite_non_negative("core.delay_ms", core.delay_ms).context("table core")?;
        }
        Ok(profile)
    }

    /// The links one emulator instance plays: the profile itself for the
    /// access side, a delay-only link both ways for the core side.
    pub fn side(&self, side: Side) -> Result<Self> {
        match side {
            Side::Access => Ok(self.clone()),
            Side::Core => {
                let Some(core) = self.core else {
                    bail!("profile {} has no [core] table", self.name);
                };
                let link =
                    DirectionConfig { delay_ms: core.delay_ms, ..DirectionConfig::default() };
                Ok(Self {
                    name: format!("{}/core", self.name),
                    a_to_b: link.clone(),
                    b_to_a: link,
                    core: None,
                    ..self.clone()
                })
            }
        }
    }
}

fn finite_non_negative(what: &str, value: f64) -> Result<()> {
    if !value.is_finite() || value < 0.0 {
        bail!("{what} must be a finite number >= 0, got {value}");
    }
    Ok(())
}

impl DirectionConfig {
    fn validate(&self) -> Result<()> {
        finite_non_negative("rate_mbit", self.rate_mbit)?;
        finite_non_negative("delay_ms", self.delay_ms)?;
        finite_non_negative("loss", self.loss)?;
        if self.loss >= 1.0 {
            bail!("loss must be below 1, got {}", self.loss);
        }
        if self.queue_packets == Some(0) || self.queue_bytes == Some(0) {
            bail!("a queue limit of 0 would drop everything");
        }
        match &self.jitter {
            JitterConfig::None => {}
            JitterConfig::Stalls { min_ms, max_ms, mean_interval_ms } => {
                finite_non_negative("stalls.min_ms", *min_ms)?;
                finite_non_negative("stalls.max_ms", *max_ms)?;
                finite_non_negative("stalls.mean_interval_ms", *mean_interval_ms)?;
                if min_ms > max_ms {
                    bail!("stalls.min_ms ({min_ms}) is above stalls.max_ms ({max_ms})");
                }
                if *mean_interval_ms <= 0.0 {
                    bail!("stalls.mean_interval_ms must be positive");
                }
            }
            JitterConfig::Uniform { max_ms } | JitterConfig::FifoJitter { max_ms } => {
                finite_non_negative("jitter.max_ms", *max_ms)?;
            }
            JitterConfig::AckAggregation { interval_ms } => {
                finite_non_negative("ack-aggregation.interval_ms", *interval_ms)?;
                if *interval_ms <= 0.0 {
                    bail!("ack-aggregation.interval_ms must be positive");
                }
            }
            JitterConfig::Trace { .. } => {}
        }
        Ok(())
    }
}

/// Converts milliseconds (as written in profiles) to nanoseconds.
pub fn ms_to_ns(ms: f64) -> u64 {
    // Validated finite and non-negative; `as` saturates on overflow.
    (ms * 1_000_000.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALLS: &str = r#"
        name = "stalls"
        description = "radio stalls"
        [a_to_b]
        rate_mbit = 50
        delay_ms = 20
        queue_bytes = 250000
        [a_to_b.jitter]
        model = "stalls"
        min_ms = 100
        max_ms = 400
        mean_interval_ms = 2000
        [b_to_a]
        rate_mbit = 50
        delay_ms = 20
    "#;

    #[test]
    fn parses_a_stalls_profile() {
        let p = Profile::parse(STALLS).expect("valid profile");
        assert_eq!(p.name, "stalls");
        assert_eq!(p.flows, 1);
        assert_eq!(p.a_to_b.queue_bytes, Some(250_000));
        assert_eq!(
            p.a_to_b.jitter,
            JitterConfig::Stalls { min_ms: 100.0, max_ms: 400.0, mean_interval_ms: 2000.0 }
        );
        assert_eq!(p.b_to_a.jitter, JitterConfig::None);
    }

    #[test]
    fn the_core_side_is_a_delay_only_link_both_ways() {
        assert!(Profile::parse(STALLS).unwrap().side(Side::Core).is_err());
        let p = Profile::parse(&format!("{STALLS}\n[core]\ndelay_ms = 12.5\n")).unwrap();
        assert_eq!(p.core, Some(CoreConfig { delay_ms: 12.5 }));
        assert_eq!(p.side(Side::Access).unwrap(), p);
        let core = p.side(Side::Core).unwrap();
        let link = DirectionConfig { delay_ms: 12.5, ..DirectionConfig::default() };
        assert_eq!((core.a_to_b.clone(), core.b_to_a.clone()), (link.clone(), link));
        assert_eq!(core.core, None);
        assert!(Profile::parse(&format!("{STALLS}\n[core]\ndelay_ms = -1\n")).is_err());
        assert!(Profile::parse(&format!("{STALLS}\n[core]\nloss = 0.1\n")).is_err());
    }

    #[test]
    fn rejects_loss_of_one_and_inverted_stall_range() {
        let lossy = STALLS.replace("queue_bytes = 250000", "queue_bytes = 250000\nloss = 1.0");
        assert!(Profile::parse(&lossy).is_err());
        let inverted = STALLS.replace("min_ms = 100", "min_ms = 500");
        assert!(Profile::parse(&inverted).is_err());
    }

    #[test]
    fn rejects_unknown_model_and_unknown_keys() {
        let unknown = STALLS.replace("model = \"stalls\"", "model = \"wobble\"");
        assert!(Profile::parse(&unknown).is_err());
        let typo = STALLS.replace("delay_ms = 20\n        queue", "delay_msec = 20\n        queue");
        assert!(Profile::parse(&typo).is_err());
    }

    #[test]
    fn converts_milliseconds() {
        assert_eq!(ms_to_ns(20.0), 20_000_000);
        assert_eq!(ms_to_ns(0.05), 50_000);
    }

    #[test]
    fn every_profile_shipped_with_the_bed_is_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("profiles directory") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let profile = Profile::load(&path).expect("valid profile");
                assert_eq!(
                    path.file_stem().and_then(|s| s.to_str()),
                    Some(profile.name.as_str()),
                    "file name and profile name agree"
                );
                assert!(!profile.description.is_empty(), "{} is documented", profile.name);
                names.push(profile.name);
            }
        }
        for required in [
            "clean",
            "stalls",
            "handover",
            "uniform",
            "fifo-jitter",
            "ack-aggregation",
            "loss-0.5",
            "loss-1",
            "radio-mix",
            "congestion",
            "lfn-clean",
            "lfn-loss-0.1",
        ] {
            assert!(names.iter().any(|n| n == required), "missing profile {required}");
        }
    }
}
