//! `bulk`: TCP data (core pcap) and ACKs (access pcap) over many flows, for
//! the packet-rate benchmark and the flow table's working set.
//!
//! Flows are picked up mid-stream (no handshake): each round visits every
//! flow once in a freshly shuffled order, so consecutive frames hit random
//! flow-table entries. R acknowledges every `ack_every` data segments of a
//! flow, and every flow's outstanding data is acknowledged at the end, so
//! `--packets == --flows` yields exactly one data and one ACK frame per flow.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Result};

use crate::addr;
use crate::conversation::payload_bytes;
use crate::flow_path::FlowPath;
use crate::frame::{
    tcp_flags, GtpuTunnel, IpHeader, Ipv4Header, Ipv6Header, PduSessionDirection, TcpOption,
};
use crate::pcap_pair::{PairSummary, PcapPair, Port};
use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// Minimum-size frames both ways (60 B without FCS = 64 B on the wire for
    /// IPv4): tiny data segments and one bare ACK per segment.
    Ack64,
    /// Full-sized data segments (1514 B frames) with timestamps, one ACK
    /// (66 B) per two segments, like a Linux bulk transfer.
    Data1500,
    /// Data frames of 60/590/1514 B in the classic 7:4:1 IMIX ratio, one ACK
    /// per two segments.
    Imix,
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mix::Ack64 => "ack64",
            Mix::Data1500 => "data1500",
            Mix::Imix => "imix",
        })
    }
}

/// IMIX frame sizes without FCS, 7 x 60, 4 x 590, 1 x 1514, interleaved.
const IMIX_CYCLE: [usize; 12] = [60, 590, 60, 60, 590, 60, 1514, 60, 590, 60, 60, 590];

#[derive(Debug, Clone)]
pub struct BulkOptions {
    pub flows: u32,
    pub mix: Mix,
    pub gtpu: bool,
    pub ipv6: bool,
    /// Data frames in the core pcap.
    pub packets: u64,
    pub seed: u64,
}

impl BulkOptions {
    /// `bulk-<flows>f-<mix>[-gtpu][-ipv6]`
    pub fn name(&self) -> String {
        format!(
            "bulk-{}f-{}{}{}",
            self.flows,
            self.mix,
            if self.gtpu { "-gtpu" } else { "" },
            if self.ipv6 { "-ipv6" } else { "" }
        )
    }
}

struct FlowState {
    path: FlowPath,
    /// S's next sequence number.
    snd_nxt: u32,
    /// R's (constant) sequence number: R only acknowledges.
    r_seq: u32,
    s_ip_id: u16,
    r_ip_id: u16,
    unacked_segments: u32,
}

fn flow_path(i: u32, o: &BulkOptions) -> FlowPath {
    // Receiver addresses wrap after 65279 hosts; the port makes the 5-tuple unique.
    let receiver_port = 10_000 + (i / 0xfeff) as u16;
    let sender_ip = if o.ipv6 {
        IpHeader::V6(
            Ipv6Header::new(addr::sender_v6(i % 4096), addr::receiver_v6(i))
                .with_flow_label(i & 0xfffff),
        )
    } else {
        IpHeader::V4(Ipv4Header::new(addr::sender_v4(i % 4096), addr::receiver_v4(i)))
    };
    let path = FlowPath::new(sender_ip, 443, receiver_port);
    if !o.gtpu {
        return path;
    }
    let gnb = addr::gnb(i % 64);
    path.with_gtpu(
        GtpuTunnel {
            outer: Ipv4Header::new(addr::UPF, gnb),
            teid: 0x1000_0000 + i,
            direction: PduSessionDirection::Downlink,
            qfi: 9,
        },
        GtpuTunnel {
            outer: Ipv4Header::new(gnb, addr::UPF),
            teid: 0x2000_0000 + i,
            direction: PduSessionDirection::Uplink,
            qfi: 9,
        },
    )
}

pub fn generate(out_dir: &Path, o: &BulkOptions) -> Result<PairSummary> {
    if o.flows == 0 {
        bail!("--flows must be at least 1");
    }
    if o.packets < u64::from(o.flows) {
        bail!(
            "--packets {} is below --flows {}: every flow needs at least one data frame",
            o.packets,
            o.flows
        );
    }
    let mut rng = SplitMix64::derive(o.seed, "bulk");
    let mut flows: Vec<FlowState> = (0..o.flows)
        .map(|i| FlowState {
            path: flow_path(i, o),
            snd_nxt: rng.next_u32(),
            r_seq: rng.next_u32(),
            s_ip_id: rng.next_u32() as u16,
            r_ip_id: rng.next_u32() as u16,
            unacked_segments: 0,
        })
        .collect();
    let timestamps = o.mix == Mix::Data1500;
    let ack_every = if o.mix == Mix::Ack64 { 1 } else { 2 };
    let ts_opts = |tsval: u32, tsecr: u32| {
        if timestamps {
            TcpOption::linux_established(tsval, tsecr, &[])
        } else {
            Vec::new()
        }
    };
    let tcp_len = 20 + if timestamps { 12 } else { 0 };
    // One ACK covers the data R has seen; it reaches the box one access-side
    // RTT after the data did.
    const ACK_DELAY_NS: u64 = 20_000_000;
    // Data arrives back to back at 10 Gbit/s (frame + 20 B preamble/IFG/FCS).
    let wire_ns = |len: usize| ((len + 24) * 8) as u64 / 10;

    let mut out = PcapPair::create(out_dir, &o.name())?;
    let mut order: Vec<u32> = (0..o.flows).collect();
    let mut now_ns: u64 = 0;
    let mut sent: u64 = 0;
    let ack = |out: &mut PcapPair, f: &mut FlowState, t_ns: u64, ack_no: u32| -> Result<()> {
        let ts = (t_ns / 1_000_000) as u32;
        let tcp = f
            .path
            .tcp(Port::Access, f.r_seq, ack_no, tcp_flags::ACK, 24_576)
            .with_options(ts_opts(ts.wrapping_add(7), ts.wrapping_sub(20)));
        let frame = f.path.tcp_frame(Port::Access, f.r_ip_id, &tcp, &[]);
        f.r_ip_id = f.r_ip_id.wrapping_add(1);
        out.write(Port::Access, t_ns / 1000, &frame)?;
        Ok(())
    };
    // ACKs wait in a FIFO until their (constant-delay) arrival time passes,
    // so the access pcap stays in time order.
    let mut pending_acks: std::collections::VecDeque<(u64, u32, u32)> = Default::default();
    'rounds: loop {
        rng.shuffle(&mut order);
        for &fi in &order {
            if sent == o.packets {
                break 'rounds;
            }
            let target = match o.mix {
                Mix::Ack64 => 60,
                Mix::Data1500 => 1514,
                Mix::Imix => IMIX_CYCLE[(sent % IMIX_CYCLE.len() as u64) as usize],
            };
            let f = &mut flows[fi as usize];
            let overhead = f.path.header_overhead() + tcp_len;
            let payload_len = target.saturating_sub(overhead).max(1);
            let ts = (now_ns / 1_000_000) as u32;
            let tcp = f
                .path
                .tcp(Port::Core, f.snd_nxt, f.r_seq, tcp_flags::ACK, 502)
                .with_options(ts_opts(ts, ts.wrapping_sub(13)));
            let frame = f.path.tcp_frame(
                Port::Core,
                f.s_ip_id,
                &tcp,
                &payload_bytes(payload_len, f.snd_nxt),
            );
            out.write(Port::Core, now_ns / 1000, &frame)?;
            f.s_ip_id = f.s_ip_id.wrapping_add(1);
            f.snd_nxt = f.snd_nxt.wrapping_add(payload_len as u32);
            f.unacked_segments += 1;
            if f.unacked_segments >= ack_every {
                f.unacked_segments = 0;
                pending_acks.push_back((now_ns + ACK_DELAY_NS, fi, f.snd_nxt));
            }
            now_ns += wire_ns(frame.len());
            sent += 1;
            while let Some(&(t, ai, ack_no)) = pending_acks.front() {
                if t > now_ns {
                    break;
                }
                pending_acks.pop_front();
                ack(&mut out, &mut flows[ai as usize], t, ack_no)?;
            }
        }
    }
    let mut t = now_ns;
    while let Some((at, ai, ack_no)) = pending_acks.pop_front() {
        t = at;
        ack(&mut out, &mut flows[ai as usize], t, ack_no)?;
    }
    // Flows whose last segments did not complete an `ack_every` group get
    // their final ACK after everything else.
    t = t.max(now_ns + ACK_DELAY_NS);
    for f in flows.iter_mut().filter(|f| f.unacked_segments > 0) {
        f.unacked_segments = 0;
        let ack_no = f.snd_nxt;
        ack(&mut out, f, t, ack_no)?;
        t += 100;
    }
    out.finish()
}
