//! Writes a scenario as a pair of pcaps, one per jitterguard port:
//! `NAME.core.pcap` holds the frames that arrive on the core port (from the
//! sender S side, travelling towards R) and `NAME.access.pcap` those that
//! arrive on the access port (from R, travelling towards S). Each file can
//! be replayed by its own `net_pcap` vdev.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

/// 2024-01-01T00:00:00Z in microseconds: a fixed epoch so that the same seed
/// gives byte-identical files.
pub const EPOCH_US: u64 = 1_704_067_200_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// Frames from S (data direction), arriving on the box's core port.
    Core,
    /// Frames from R (ACK direction), arriving on the box's access port.
    Access,
}

struct Sink {
    path: PathBuf,
    writer: PcapWriter<BufWriter<File>>,
    frames: u64,
    bytes: u64,
    last_ts_us: u64,
}

impl Sink {
    fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: 65535,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::Little,
        };
        let writer = PcapWriter::with_header(BufWriter::with_capacity(1 << 20, file), header)
            .with_context(|| format!("writing pcap header to {}", path.display()))?;
        Ok(Self { path, writer, frames: 0, bytes: 0, last_ts_us: 0 })
    }

    fn write(&mut self, ts_us: u64, frame: &[u8]) -> Result<u64> {
        if ts_us < self.last_ts_us {
            bail!(
                "{}: timestamp {} us goes back before {} us (frame {})",
                self.path.display(),
                ts_us,
                self.last_ts_us,
                self.frames
            );
        }
        self.last_ts_us = ts_us;
        let abs = EPOCH_US + ts_us;
        let packet = PcapPacket::new(Duration::from_micros(abs), frame.len() as u32, frame);
        self.writer
            .write_packet(&packet)
            .with_context(|| format!("writing frame {} to {}", self.frames, self.path.display()))?;
        let index = self.frames;
        self.frames += 1;
        self.bytes += frame.len() as u64;
        Ok(index)
    }
}

/// What was written, for the summary line a subcommand prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSummary {
    pub core_path: PathBuf,
    pub access_path: PathBuf,
    pub core_frames: u64,
    pub access_frames: u64,
    pub core_bytes: u64,
    pub access_bytes: u64,
}

impl std::fmt::Display for PairSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} frames, {} bytes\n{}: {} frames, {} bytes",
            self.core_path.display(),
            self.core_frames,
            self.core_bytes,
            self.access_path.display(),
            self.access_frames,
            self.access_bytes
        )
    }
}

pub struct PcapPair {
    core: Sink,
    access: Sink,
}

impl PcapPair {
    /// Creates `DIR/NAME.core.pcap` and `DIR/NAME.access.pcap` (and `DIR`).
    pub fn create(dir: &Path, name: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self {
            core: Sink::create(dir.join(format!("{name}.core.pcap")))?,
            access: Sink::create(dir.join(format!("{name}.access.pcap")))?,
        })
    }

    /// Appends `frame` at `ts_us` microseconds after the scenario start and
    /// returns its 0-based index in that port's pcap (tshark's
    /// `frame.number` is this index + 1). Timestamps must not go backwards.
    pub fn write(&mut self, port: Port, ts_us: u64, frame: &[u8]) -> Result<u64> {
        match port {
            Port::Core => self.core.write(ts_us, frame),
            Port::Access => self.access.write(ts_us, frame),
        }
    }

    pub fn frames(&self, port: Port) -> u64 {
        match port {
            Port::Core => self.core.frames,
            Port::Access => self.access.frames,
        }
    }

    pub fn finish(self) -> Result<PairSummary> {
        let summary = PairSummary {
            core_path: self.core.path.clone(),
            access_path: self.access.path.clone(),
            core_frames: self.core.frames,
            access_frames: self.access.frames,
            core_bytes: self.core.bytes,
            access_bytes: self.access.bytes,
        };
        for sink in [self.core, self.access] {
            let path = sink.path;
            let mut inner = sink.writer.into_writer();
            std::io::Write::flush(&mut inner)
                .with_context(|| format!("flushing {}", path.display()))?;
        }
        Ok(summary)
    }
}
