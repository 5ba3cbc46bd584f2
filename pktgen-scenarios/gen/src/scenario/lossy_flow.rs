//! `lossy-flow`: one realistic TCP bulk download through the box, where the
//! jittery segment J (behind the access port) loses and reorders some data
//! segments. The README's demo scenario and the shield's golden input.
//!
//! Topology and timing (defaults):
//!
//! ```text
//!  S 198.18.0.10:80 --2 ms-- [box] --J: 50 Mbit/s FIFO + 18 ms-- R 198.19.0.20:51234
//! ```
//!
//! R opens the connection (SYN with MSS 1460, SACK-permitted, timestamps,
//! window scale 7), sends an HTTP GET, and S answers with `segments`
//! segments of 1448 bytes. The transfer is an event-driven simulation:
//!
//! * S: a Linux-like SACK sender: initial cwnd 10, slow start, congestion
//!   avoidance, a segment is marked lost once 3 segments above it are SACKed
//!   (dupthresh), one cwnd reduction to 0.7x per recovery episode (CUBIC's
//!   beta), lost segments retransmitted first, RTO max(200 ms, SRTT+4RTTVAR)
//!   as a safety net. S closes (FIN) once all data is acknowledged.
//! * J: a FIFO at the bottleneck rate; first transmissions chosen by the seed
//!   are dropped (`loss`) or delayed by `reorder_delay_us` (`reorder`);
//!   retransmissions are never dropped. The first 10 and last 20 segments
//!   are spared so the transfer ends without a tail loss.
//! * R: a Linux-like receiver: quick ACKs for the first 16 segments, then an
//!   ACK per two segments or after 40 ms; an immediate ACK with SACK blocks
//!   (most recent block first, at most 3 beside timestamps) for every
//!   out-of-order segment and for every segment that fills a hole; a DSACK
//!   block for a duplicate (a spurious retransmission). TSecr follows RFC
//!   7323 (TS.Recent only from segments at or below the last ACK sent).
//!
//! The generator writes `lossy-flow.truth.json` next to the pcaps: for every
//! lost and reordered segment, the core frame of its first transmission, the
//! access frame whose SACK blocks first show the hole, the core frames of its
//! retransmissions and the access frame that finally acknowledges it, plus
//! DSACK frames. Frame indices are 0-based positions in each pcap (tshark's
//! `frame.number` is index + 1).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::conversation::payload_bytes;
use crate::flow_path::FlowPath;
use crate::frame::{tcp_flags, IpHeader, Ipv4Header, TcpOption};
use crate::pcap_pair::{PairSummary, PcapPair, Port};
use crate::rng::SplitMix64;

pub const SENDER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);
pub const SENDER_PORT: u16 = 80;
pub const RECEIVER: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 20);
pub const RECEIVER_PORT: u16 = 51_234;
pub const SEGMENT_PAYLOAD: u32 = 1448;
const MSS_OPTION: u16 = 1460;
const WSCALE: u8 = 7;
/// R advertises 3 MiB (24576 << 7): the transfer is never receive-window limited.
const R_WINDOW: u16 = 24_576;
const S_WINDOW: u16 = 502;
const DATA_FRAME_LEN: u64 = 14 + 20 + 32 + SEGMENT_PAYLOAD as u64;
/// S's NIC: 1 Gbit/s, so a burst leaves S at about 12 us per segment.
const S_NIC_NS_PER_BYTE: u64 = 8;
const QUICKACK_SEGMENTS: u32 = 16;
const DELACK_US: u64 = 40_000;
const RTO_MIN_US: u64 = 200_000;
const REQUEST: &[u8] =
    b"GET /bulk.bin HTTP/1.1\r\nHost: 198.18.0.10\r\nUser-Agent: jg-gen\r\nAccept: */*\r\n\r\n";

#[derive(Debug, Clone, Serialize)]
pub struct LossyOptions {
    pub segments: u32,
    pub loss: f64,
    pub reorder: f64,
    pub reorder_delay_us: u64,
    pub rate_mbit: f64,
    /// One-way delay S <-> box.
    pub core_delay_us: u64,
    /// One-way propagation delay box <-> R (J), on top of the bottleneck queue.
    pub access_delay_us: u64,
    pub seed: u64,
}

impl Default for LossyOptions {
    fn default() -> Self {
        Self {
            segments: 2000,
            loss: 0.01,
            reorder: 0.005,
            reorder_delay_us: 4_000,
            rate_mbit: 50.0,
            core_delay_us: 2_000,
            access_delay_us: 18_000,
            seed: 1,
        }
    }
}

/// Ground truth about one impaired segment, written to the truth file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImpairedSegment {
    /// Segment number (0-based) of the response.
    pub segment: u32,
    /// Relative sequence number (as Wireshark shows it) and absolute one.
    pub relative_seq: u32,
    pub seq: u32,
    pub first_tx_core_frame: u64,
    /// For reordered segments: how much later than its FIFO slot it reached R.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_delay_us: Option<u64>,
    /// First access frame whose ACK is at or below this segment while a
    /// SACK block lies above it (the hole as S sees it). None if R's ACKs
    /// never showed a hole (a reordered segment that arrived before R acked).
    pub hole_first_seen_access_frame: Option<u64>,
    /// Core frames of S's retransmissions of this segment.
    pub retransmission_core_frames: Vec<u64>,
    /// First access frame whose cumulative ACK covers the segment.
    pub acked_access_frame: Option<u64>,
    /// Access frames carrying a DSACK block for this segment.
    pub dsack_access_frames: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub scenario: &'static str,
    pub options: LossyOptions,
    pub sender: String,
    pub receiver: String,
    pub sender_isn: u32,
    pub receiver_isn: u32,
    pub segment_payload: u32,
    pub core_frames: u64,
    pub access_frames: u64,
    pub duration_us: u64,
    pub lost: Vec<ImpairedSegment>,
    pub reordered: Vec<ImpairedSegment>,
    /// Core frames of every retransmission (lost and spurious).
    pub retransmission_core_frames: Vec<u64>,
    pub spurious_retransmissions: u32,
    pub recovery_episodes: u32,
    pub rto_events: u32,
    /// Access frames that carry SACK blocks.
    pub sack_access_frames: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delivered,
    Lost,
    Reordered,
}

#[derive(Debug, Clone)]
struct AckInfo {
    /// Next expected segment (cumulative ACK in segment units).
    ack_seg: u32,
    /// SACK blocks in segment units [start, end); a DSACK block first if any.
    blocks: Vec<(u32, u32)>,
    dsack: bool,
    tsval: u32,
    tsecr: u32,
    ip_id: u16,
    fin_acked: bool,
    fin: bool,
}

#[derive(Debug, Clone)]
enum Ev {
    /// A data segment from S reaches the box (core frame), then enters J.
    DataAtBox {
        seg: u32,
        retx: bool,
        tsval: u32,
        tsecr: u32,
        ip_id: u16,
    },
    DataAtR {
        seg: u32,
        tsval: u32,
    },
    AckAtBox(AckInfo),
    AckAtS(AckInfo),
    DelayedAck {
        generation: u64,
    },
    Rto {
        generation: u64,
    },
    /// S's FIN (after all data is acknowledged) reaches the box.
    FinAtBox {
        tsval: u32,
        tsecr: u32,
        ip_id: u16,
    },
    FinAtR {
        tsval: u32,
    },
    /// S's last ACK (of R's FIN) reaches the box.
    LastAckAtBox {
        tsval: u32,
        tsecr: u32,
        ip_id: u16,
    },
}

struct Sender {
    una: u32,
    nxt: u32,
    cwnd: f64,
    ssthresh: f64,
    in_recovery: bool,
    recover: u32,
    sacked: Vec<bool>,
    lost: Vec<bool>,
    retx_sent: Vec<bool>,
    ever_retx: Vec<bool>,
    sent_at_us: Vec<u64>,
    srtt_us: Option<f64>,
    rttvar_us: f64,
    rto_generation: u64,
    nic_free_ns: u64,
    ip_id: u16,
    ts_base: u32,
    ts_recent: u32,
    fin_sent: bool,
}

struct Receiver {
    rcv_nxt: u32,
    received: Vec<bool>,
    /// SACK blocks, most recently changed first.
    blocks: Vec<(u32, u32)>,
    unacked: u32,
    segments_seen: u32,
    last_ack_sent: u32,
    ts_recent: u32,
    ts_base: u32,
    ip_id: u16,
    delack_generation: u64,
    delack_armed: bool,
}

struct Sim<'a> {
    o: &'a LossyOptions,
    total: u32,
    fate: Vec<Fate>,
    path: FlowPath,
    s_isn: u32,
    r_isn: u32,
    /// R's sequence number after the request (R sends no more data until FIN).
    r_seq: u32,
    out: PcapPair,
    events: BinaryHeap<Reverse<(u64, u64, usize)>>,
    slots: Vec<Option<Ev>>,
    order: u64,
    s: Sender,
    r: Receiver,
    j_free_ns: u64,
    truth_lost: Vec<ImpairedSegment>,
    truth_reordered: Vec<ImpairedSegment>,
    retx_frames: Vec<u64>,
    spurious: u32,
    recoveries: u32,
    rtos: u32,
    sack_frames: u64,
    end_us: u64,
}

impl<'a> Sim<'a> {
    fn seq(&self, seg: u32) -> u32 {
        self.s_isn.wrapping_add(1).wrapping_add(seg.wrapping_mul(SEGMENT_PAYLOAD))
    }

    fn schedule(&mut self, t_us: u64, ev: Ev) {
        self.slots.push(Some(ev));
        self.events.push(Reverse((t_us, self.order, self.slots.len() - 1)));
        self.order += 1;
    }

    fn s_tsval(&self, t_us: u64) -> u32 {
        self.s.ts_base.wrapping_add((t_us / 1000) as u32)
    }

    fn r_tsval(&self, t_us: u64) -> u32 {
        self.r.ts_base.wrapping_add((t_us / 1000) as u32)
    }

    fn impaired(&mut self, seg: u32) -> Option<&mut ImpairedSegment> {
        match self.fate.get(seg as usize)? {
            Fate::Lost => self.truth_lost.iter_mut().find(|x| x.segment == seg),
            Fate::Reordered => self.truth_reordered.iter_mut().find(|x| x.segment == seg),
            Fate::Delivered => None,
        }
    }

    // ---- S ----

    fn pipe(&self) -> u32 {
        (self.s.una..self.s.nxt)
            .filter(|&i| {
                let i = i as usize;
                !self.s.sacked[i] && (!self.s.lost[i] || self.s.retx_sent[i])
            })
            .count() as u32
    }

    fn rto_us(&self) -> u64 {
        match self.s.srtt_us {
            None => 1_000_000,
            Some(srtt) => ((srtt + 4.0 * self.s.rttvar_us) as u64).max(RTO_MIN_US),
        }
    }

    fn arm_rto(&mut self, now: u64) {
        self.s.rto_generation += 1;
        let generation = self.s.rto_generation;
        let at = now + self.rto_us();
        self.schedule(at, Ev::Rto { generation });
    }

    fn s_transmit(&mut self, now: u64, seg: u32, retx: bool) {
        let depart_ns = (now * 1000).max(self.s.nic_free_ns) + DATA_FRAME_LEN * S_NIC_NS_PER_BYTE;
        self.s.nic_free_ns = depart_ns;
        let at_box = depart_ns.div_ceil(1000) + self.o.core_delay_us;
        let ev = Ev::DataAtBox {
            seg,
            retx,
            tsval: self.s_tsval(now),
            tsecr: self.s.ts_recent,
            ip_id: self.s.ip_id,
        };
        self.s.ip_id = self.s.ip_id.wrapping_add(1);
        self.schedule(at_box, ev);
    }

    fn s_try_send(&mut self, now: u64) {
        let outstanding_before = self.s.nxt > self.s.una;
        loop {
            if f64::from(self.pipe()) >= self.s.cwnd.floor().max(1.0) {
                break;
            }
            let retx = (self.s.una..self.s.nxt).find(|&i| {
                self.s.lost[i as usize]
                    && !self.s.retx_sent[i as usize]
                    && !self.s.sacked[i as usize]
            });
            if let Some(seg) = retx {
                self.s.retx_sent[seg as usize] = true;
                self.s.ever_retx[seg as usize] = true;
                self.s_transmit(now, seg, true);
            } else if self.s.nxt < self.total {
                let seg = self.s.nxt;
                self.s.sent_at_us[seg as usize] = now;
                self.s.nxt += 1;
                self.s_transmit(now, seg, false);
            } else {
                break;
            }
        }
        if !outstanding_before && self.s.nxt > self.s.una {
            self.arm_rto(now);
        }
    }

    fn s_on_ack(&mut self, now: u64, a: &AckInfo) {
        if a.tsval.wrapping_sub(self.s.ts_recent) < 0x8000_0000 {
            self.s.ts_recent = a.tsval;
        }
        if a.fin {
            // R's FIN|ACK: S answers with the last ACK.
            let ev = Ev::LastAckAtBox {
                tsval: self.s_tsval(now),
                tsecr: self.s.ts_recent,
                ip_id: self.s.ip_id,
            };
            self.s.ip_id = self.s.ip_id.wrapping_add(1);
            self.schedule(now + self.o.core_delay_us, ev);
            return;
        }
        if self.s.fin_sent {
            return;
        }
        let sack_blocks: &[(u32, u32)] = if a.dsack { &a.blocks[1..] } else { &a.blocks };
        for &(start, end) in sack_blocks {
            for i in start.max(self.s.una)..end.min(self.total) {
                self.s.sacked[i as usize] = true;
            }
        }
        if a.ack_seg > self.s.una {
            let newest = a.ack_seg - 1;
            if !self.s.ever_retx[newest as usize] {
                // Karn: sample only segments sent once.
                let sample = now.saturating_sub(self.s.sent_at_us[newest as usize]) as f64;
                match self.s.srtt_us {
                    None => {
                        self.s.srtt_us = Some(sample);
                        self.s.rttvar_us = sample / 2.0;
                    }
                    Some(srtt) => {
                        self.s.rttvar_us = 0.75 * self.s.rttvar_us + 0.25 * (srtt - sample).abs();
                        self.s.srtt_us = Some(0.875 * srtt + 0.125 * sample);
                    }
                }
            }
            let newly = f64::from(a.ack_seg - self.s.una);
            self.s.una = a.ack_seg;
            if self.s.in_recovery && self.s.una >= self.s.recover {
                self.s.in_recovery = false;
                self.s.cwnd = self.s.ssthresh;
            } else if !self.s.in_recovery {
                if self.s.cwnd < self.s.ssthresh {
                    self.s.cwnd += newly;
                } else {
                    self.s.cwnd += newly / self.s.cwnd;
                }
            }
            if self.s.una < self.s.nxt {
                self.arm_rto(now);
            } else {
                self.s.rto_generation += 1; // disarm
            }
        }
        // Dupthresh loss marking: 3 SACKed segments above a hole.
        let highest = (self.s.una..self.s.nxt).rev().find(|&i| self.s.sacked[i as usize]);
        let mut newly_lost = false;
        if let Some(hi) = highest {
            let mut above = 0;
            for i in (self.s.una..=hi).rev() {
                let iu = i as usize;
                if self.s.sacked[iu] {
                    above += 1;
                } else if above >= 3 && !self.s.lost[iu] {
                    self.s.lost[iu] = true;
                    newly_lost = true;
                }
            }
        }
        if newly_lost && !self.s.in_recovery {
            self.s.in_recovery = true;
            self.s.recover = self.s.nxt;
            self.s.ssthresh = (self.s.cwnd * 0.7).max(2.0);
            self.s.cwnd = self.s.ssthresh;
            self.recoveries += 1;
            // Fast retransmit: the first lost segment goes out at once, even
            // if the reduced cwnd is below the pipe (Linux's PRR sends at
            // least one segment on entering recovery).
            if let Some(seg) = (self.s.una..self.s.nxt).find(|&i| {
                let i = i as usize;
                self.s.lost[i] && !self.s.retx_sent[i] && !self.s.sacked[i]
            }) {
                self.s.retx_sent[seg as usize] = true;
                self.s.ever_retx[seg as usize] = true;
                self.s_transmit(now, seg, true);
            }
        }
        if self.s.una == self.total {
            self.s.fin_sent = true;
            let ev = Ev::FinAtBox {
                tsval: self.s_tsval(now),
                tsecr: self.s.ts_recent,
                ip_id: self.s.ip_id,
            };
            self.s.ip_id = self.s.ip_id.wrapping_add(1);
            self.schedule(now + self.o.core_delay_us, ev);
            return;
        }
        self.s_try_send(now);
    }

    fn s_on_rto(&mut self, now: u64) {
        if self.s.una >= self.s.nxt || self.s.fin_sent {
            return;
        }
        self.rtos += 1;
        for i in self.s.una..self.s.nxt {
            let iu = i as usize;
            if !self.s.sacked[iu] {
                self.s.lost[iu] = true;
                self.s.retx_sent[iu] = false;
            }
        }
        self.s.ssthresh = (self.s.cwnd * 0.7).max(2.0);
        self.s.cwnd = 1.0;
        self.s.in_recovery = true;
        self.s.recover = self.s.nxt;
        self.s.srtt_us = self.s.srtt_us.map(|x| x * 2.0);
        self.arm_rto(now);
        self.s_try_send(now);
    }

    // ---- J ----

    fn forward_into_j(&mut self, now: u64, seg: u32, retx: bool, tsval: u32) {
        let ser_ns = (DATA_FRAME_LEN as f64 * 8.0 * 1000.0 / self.o.rate_mbit) as u64;
        self.j_free_ns = self.j_free_ns.max(now * 1000) + ser_ns;
        let mut at_r = self.j_free_ns.div_ceil(1000) + self.o.access_delay_us;
        if !retx {
            match self.fate[seg as usize] {
                Fate::Lost => return,
                Fate::Reordered => at_r += self.o.reorder_delay_us,
                Fate::Delivered => {}
            }
        }
        self.schedule(at_r, Ev::DataAtR { seg, tsval });
    }

    // ---- R ----

    fn r_update_blocks(&mut self, seg: u32) {
        let mut start = seg;
        while start > self.r.rcv_nxt && self.r.received[start as usize - 1] {
            start -= 1;
        }
        let mut end = seg + 1;
        while end < self.total && self.r.received[end as usize] {
            end += 1;
        }
        self.r.blocks.retain(|&(s, e)| e < start || s > end);
        self.r.blocks.insert(0, (start, end));
    }

    fn r_send_ack(&mut self, now: u64, dsack: Option<u32>) {
        let mut blocks = Vec::with_capacity(3);
        if let Some(d) = dsack {
            blocks.push((d, d + 1));
        }
        for &b in &self.r.blocks {
            if blocks.len() == 3 {
                break;
            }
            blocks.push(b);
        }
        let a = AckInfo {
            ack_seg: self.r.rcv_nxt,
            blocks,
            dsack: dsack.is_some(),
            tsval: self.r_tsval(now),
            tsecr: self.r.ts_recent,
            ip_id: self.r.ip_id,
            fin_acked: false,
            fin: false,
        };
        self.r.ip_id = self.r.ip_id.wrapping_add(1);
        self.r.unacked = 0;
        self.r.last_ack_sent = self.r.rcv_nxt;
        self.r.delack_generation += 1;
        self.r.delack_armed = false;
        self.schedule(now + self.o.access_delay_us, Ev::AckAtBox(a));
    }

    fn r_on_data(&mut self, now: u64, seg: u32, tsval: u32) {
        if seg <= self.r.last_ack_sent && tsval.wrapping_sub(self.r.ts_recent) < 0x8000_0000 {
            self.r.ts_recent = tsval;
        }
        if seg < self.r.rcv_nxt || self.r.received[seg as usize] {
            self.r_send_ack(now, Some(seg));
            return;
        }
        self.r.received[seg as usize] = true;
        self.r.segments_seen += 1;
        if seg > self.r.rcv_nxt {
            self.r_update_blocks(seg);
            self.r_send_ack(now, None);
            return;
        }
        let had_holes = !self.r.blocks.is_empty();
        while self.r.rcv_nxt < self.total && self.r.received[self.r.rcv_nxt as usize] {
            self.r.rcv_nxt += 1;
        }
        let rcv_nxt = self.r.rcv_nxt;
        self.r.blocks.retain(|&(_, e)| e > rcv_nxt);
        self.r.unacked += 1;
        if had_holes || self.r.segments_seen <= QUICKACK_SEGMENTS || self.r.unacked >= 2 {
            self.r_send_ack(now, None);
        } else if !self.r.delack_armed {
            self.r.delack_armed = true;
            let generation = self.r.delack_generation;
            self.schedule(now + DELACK_US, Ev::DelayedAck { generation });
        }
    }

    // ---- box: recording ----

    fn record_data(
        &mut self,
        now: u64,
        seg: u32,
        retx: bool,
        tsval: u32,
        tsecr: u32,
        ip_id: u16,
    ) -> Result<()> {
        let flags =
            if seg + 1 == self.total { tcp_flags::ACK | tcp_flags::PSH } else { tcp_flags::ACK };
        let seq = self.seq(seg);
        let tcp = self
            .path
            .tcp(Port::Core, seq, self.r_seq, flags, S_WINDOW)
            .with_options(TcpOption::linux_established(tsval, tsecr, &[]));
        let frame =
            self.path.tcp_frame(Port::Core, ip_id, &tcp, &response_payload(seg, self.total));
        let index = self.out.write(Port::Core, now, &frame)?;
        if retx {
            self.retx_frames.push(index);
            if self.fate[seg as usize] != Fate::Lost {
                self.spurious += 1;
            }
            if let Some(x) = self.impaired(seg) {
                x.retransmission_core_frames.push(index);
            }
        } else if let Some(x) = self.impaired(seg) {
            x.first_tx_core_frame = index;
        }
        Ok(())
    }

    fn record_ack(&mut self, now: u64, a: &AckInfo) -> Result<u64> {
        let blocks: Vec<(u32, u32)> =
            a.blocks.iter().map(|&(s, e)| (self.seq(s), self.seq(e))).collect();
        let ack_no =
            if a.fin_acked { self.seq(self.total).wrapping_add(1) } else { self.seq(a.ack_seg) };
        let flags = if a.fin { tcp_flags::ACK | tcp_flags::FIN } else { tcp_flags::ACK };
        let tcp = self
            .path
            .tcp(Port::Access, self.r_seq, ack_no, flags, R_WINDOW)
            .with_options(TcpOption::linux_established(a.tsval, a.tsecr, &blocks));
        let frame = self.path.tcp_frame(Port::Access, a.ip_id, &tcp, &[]);
        let index = self.out.write(Port::Access, now, &frame)?;
        if !a.blocks.is_empty() {
            self.sack_frames += 1;
        }
        let sack_start = usize::from(a.dsack);
        let highest_sacked = a.blocks[sack_start..].iter().map(|b| b.1).max();
        let dsack_seg = if a.dsack { Some(a.blocks[0].0) } else { None };
        for x in self.truth_lost.iter_mut().chain(self.truth_reordered.iter_mut()) {
            let seg = x.segment;
            let in_block = a.blocks[sack_start..].iter().any(|&(s, e)| s <= seg && seg < e);
            if x.hole_first_seen_access_frame.is_none()
                && a.ack_seg <= seg
                && !in_block
                && highest_sacked.is_some_and(|h| h > seg + 1)
            {
                x.hole_first_seen_access_frame = Some(index);
            }
            if x.acked_access_frame.is_none() && a.ack_seg > seg {
                x.acked_access_frame = Some(index);
            }
            if dsack_seg == Some(seg) {
                x.dsack_access_frames.push(index);
            }
        }
        Ok(index)
    }

    fn record_s_fin(&mut self, now: u64, tsval: u32, tsecr: u32, ip_id: u16) -> Result<u64> {
        let seq = self.seq(self.total);
        let tcp = self
            .path
            .tcp(Port::Core, seq, self.r_seq, tcp_flags::FIN | tcp_flags::ACK, S_WINDOW)
            .with_options(TcpOption::linux_established(tsval, tsecr, &[]));
        let frame = self.path.tcp_frame(Port::Core, ip_id, &tcp, &[]);
        self.out.write(Port::Core, now, &frame)
    }

    fn run(&mut self, start_us: u64) -> Result<()> {
        self.s_try_send(start_us);
        while let Some(Reverse((now, _, slot))) = self.events.pop() {
            let ev = self.slots[slot].take().context("event slot used twice")?;
            self.end_us = now;
            match ev {
                Ev::DataAtBox { seg, retx, tsval, tsecr, ip_id } => {
                    self.record_data(now, seg, retx, tsval, tsecr, ip_id)?;
                    self.forward_into_j(now, seg, retx, tsval);
                }
                Ev::DataAtR { seg, tsval } => self.r_on_data(now, seg, tsval),
                Ev::AckAtBox(a) => {
                    self.record_ack(now, &a)?;
                    let at_s = now + self.o.core_delay_us;
                    self.schedule(at_s, Ev::AckAtS(a));
                }
                Ev::AckAtS(a) => self.s_on_ack(now, &a),
                Ev::DelayedAck { generation } => {
                    if generation == self.r.delack_generation && self.r.delack_armed {
                        self.r_send_ack(now, None);
                    }
                }
                Ev::Rto { generation } => {
                    if generation == self.s.rto_generation {
                        self.s_on_rto(now);
                    }
                }
                Ev::FinAtBox { tsval, tsecr, ip_id } => {
                    self.record_s_fin(now, tsval, tsecr, ip_id)?;
                    let ser_ns = (66.0 * 8.0 * 1000.0 / self.o.rate_mbit) as u64;
                    self.j_free_ns = self.j_free_ns.max(now * 1000) + ser_ns;
                    let at_r = self.j_free_ns.div_ceil(1000) + self.o.access_delay_us;
                    self.schedule(at_r, Ev::FinAtR { tsval });
                }
                Ev::FinAtR { tsval } => {
                    self.r.ts_recent = tsval;
                    // R's application closes at once: FIN|ACK acknowledging S's FIN.
                    let a = AckInfo {
                        ack_seg: self.total,
                        blocks: Vec::new(),
                        dsack: false,
                        tsval: self.r_tsval(now),
                        tsecr: self.r.ts_recent,
                        ip_id: self.r.ip_id,
                        fin_acked: true,
                        fin: true,
                    };
                    self.r.ip_id = self.r.ip_id.wrapping_add(1);
                    self.r.delack_generation += 1;
                    self.schedule(now + self.o.access_delay_us, Ev::AckAtBox(a));
                }
                Ev::LastAckAtBox { tsval, tsecr, ip_id } => {
                    let seq = self.seq(self.total).wrapping_add(1);
                    // The final ACK acknowledges R's FIN too.
                    let tcp = self
                        .path
                        .tcp(Port::Core, seq, self.r_seq.wrapping_add(1), tcp_flags::ACK, S_WINDOW)
                        .with_options(TcpOption::linux_established(tsval, tsecr, &[]));
                    let frame = self.path.tcp_frame(Port::Core, ip_id, &tcp, &[]);
                    self.out.write(Port::Core, now, &frame)?;
                }
            }
        }
        Ok(())
    }
}

/// The HTTP response S sends: a header at the start of segment 0, then a
/// body whose bytes depend only on their offset, so a retransmission carries
/// exactly the bytes of the original.
pub fn response_payload(seg: u32, total: u32) -> Vec<u8> {
    let offset = seg * SEGMENT_PAYLOAD;
    let mut out = payload_bytes(SEGMENT_PAYLOAD as usize, offset);
    if seg == 0 {
        let header = response_header(total);
        out[..header.len()].copy_from_slice(&header);
    }
    out
}

fn response_header(total: u32) -> Vec<u8> {
    // The header length depends on the digits of the body length; two
    // passes settle it.
    let mut len = 0;
    for _ in 0..2 {
        let body = u64::from(total) * u64::from(SEGMENT_PAYLOAD) - len as u64;
        len = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body}\r\n\r\n").len();
    }
    let body = u64::from(total) * u64::from(SEGMENT_PAYLOAD) - len as u64;
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body}\r\n\r\n").into_bytes()
}

fn choose_fates(o: &LossyOptions) -> Vec<Fate> {
    let mut rng = SplitMix64::derive(o.seed, "lossy-flow/fate");
    (0..o.segments)
        .map(|i| {
            let spared = i < 10 || i + 20 >= o.segments;
            let draw = rng.unit();
            if spared {
                Fate::Delivered
            } else if draw < o.loss {
                Fate::Lost
            } else if draw < o.loss + o.reorder {
                Fate::Reordered
            } else {
                Fate::Delivered
            }
        })
        .collect()
}

pub fn generate(out_dir: &Path, o: &LossyOptions) -> Result<(PairSummary, Truth)> {
    if o.segments < 40 {
        bail!("--segments must be at least 40 (the first 10 and last 20 are never impaired)");
    }
    if !(0.0..0.5).contains(&o.loss) || !(0.0..0.5).contains(&o.reorder) {
        bail!("--loss and --reorder are probabilities below 0.5");
    }
    if o.rate_mbit <= 0.0 {
        bail!("--rate-mbit must be positive");
    }
    let mut rng = SplitMix64::derive(o.seed, "lossy-flow/tcp");
    let s_isn = rng.next_u32();
    let r_isn = rng.next_u32();
    let s_ts_base = rng.next_u32();
    let r_ts_base = rng.next_u32();
    let s_ip_id = rng.next_u32() as u16;
    let r_ip_id = rng.next_u32() as u16;
    let path =
        FlowPath::new(IpHeader::V4(Ipv4Header::new(SENDER, RECEIVER)), SENDER_PORT, RECEIVER_PORT);
    let mut out = PcapPair::create(out_dir, "lossy-flow")?;

    // Handshake and request, scripted: R's SYN at t=0 on the access port.
    let r_ts = |t: u64| r_ts_base.wrapping_add((t / 1000) as u32);
    let s_ts = |t: u64| s_ts_base.wrapping_add((t / 1000) as u32);
    let j_one_way = o.access_delay_us;
    let c_one_way = o.core_delay_us;
    let syn_t = 0;
    let syn = path
        .tcp(Port::Access, r_isn, 0, tcp_flags::SYN, 64_240)
        .with_options(TcpOption::linux_syn(MSS_OPTION, r_ts(syn_t), 0, WSCALE));
    out.write(Port::Access, syn_t, &path.tcp_frame(Port::Access, r_ip_id, &syn, &[]))?;
    let synack_t = syn_t + 2 * c_one_way;
    let synack = path
        .tcp(Port::Core, s_isn, r_isn.wrapping_add(1), tcp_flags::SYN | tcp_flags::ACK, 65_160)
        .with_options(TcpOption::linux_syn(
            MSS_OPTION,
            s_ts(synack_t - c_one_way),
            r_ts(syn_t),
            WSCALE,
        ));
    out.write(Port::Core, synack_t, &path.tcp_frame(Port::Core, 0, &synack, &[]))?;
    let ack_t = synack_t + 2 * j_one_way;
    let r_tsval_ack = r_ts(ack_t - j_one_way);
    let s_tsval_synack = s_ts(synack_t - c_one_way);
    let ack = path
        .tcp(Port::Access, r_isn.wrapping_add(1), s_isn.wrapping_add(1), tcp_flags::ACK, R_WINDOW)
        .with_options(TcpOption::linux_established(r_tsval_ack, s_tsval_synack, &[]));
    out.write(
        Port::Access,
        ack_t,
        &path.tcp_frame(Port::Access, r_ip_id.wrapping_add(1), &ack, &[]),
    )?;
    let req_t = ack_t + 25;
    let req = path
        .tcp(
            Port::Access,
            r_isn.wrapping_add(1),
            s_isn.wrapping_add(1),
            tcp_flags::ACK | tcp_flags::PSH,
            R_WINDOW,
        )
        .with_options(TcpOption::linux_established(r_tsval_ack, s_tsval_synack, &[]));
    out.write(
        Port::Access,
        req_t,
        &path.tcp_frame(Port::Access, r_ip_id.wrapping_add(2), &req, REQUEST),
    )?;
    // S's application answers 100 us after the request arrives.
    let start = req_t + c_one_way + 100;

    let total = o.segments;
    let fate = choose_fates(o);
    let n = total as usize;
    let mut truth_lost = Vec::new();
    let mut truth_reordered = Vec::new();
    for (i, f) in fate.iter().enumerate() {
        let seg = i as u32;
        let entry = ImpairedSegment {
            segment: seg,
            relative_seq: 1 + seg * SEGMENT_PAYLOAD,
            seq: s_isn.wrapping_add(1).wrapping_add(seg * SEGMENT_PAYLOAD),
            extra_delay_us: (*f == Fate::Reordered).then_some(o.reorder_delay_us),
            ..Default::default()
        };
        match f {
            Fate::Lost => truth_lost.push(entry),
            Fate::Reordered => truth_reordered.push(entry),
            Fate::Delivered => {}
        }
    }
    let mut sim = Sim {
        o,
        total,
        fate,
        path,
        s_isn,
        r_isn,
        r_seq: r_isn.wrapping_add(1 + REQUEST.len() as u32),
        out,
        events: BinaryHeap::new(),
        slots: Vec::new(),
        order: 0,
        s: Sender {
            una: 0,
            nxt: 0,
            cwnd: 10.0,
            ssthresh: f64::MAX,
            in_recovery: false,
            recover: 0,
            sacked: vec![false; n],
            lost: vec![false; n],
            retx_sent: vec![false; n],
            ever_retx: vec![false; n],
            sent_at_us: vec![0; n],
            srtt_us: Some((2 * (c_one_way + j_one_way)) as f64),
            rttvar_us: (c_one_way + j_one_way) as f64,
            rto_generation: 0,
            nic_free_ns: 0,
            ip_id: s_ip_id.wrapping_add(1),
            ts_base: s_ts_base,
            ts_recent: r_tsval_ack,
            fin_sent: false,
        },
        r: Receiver {
            rcv_nxt: 0,
            received: vec![false; n],
            blocks: Vec::new(),
            unacked: 0,
            segments_seen: 0,
            last_ack_sent: 0,
            ts_recent: s_tsval_synack,
            ts_base: r_ts_base,
            ip_id: r_ip_id.wrapping_add(3),
            delack_generation: 0,
            delack_armed: false,
        },
        j_free_ns: 0,
        truth_lost,
        truth_reordered,
        retx_frames: Vec::new(),
        spurious: 0,
        recoveries: 0,
        rtos: 0,
        sack_frames: 0,
        end_us: 0,
    };
    sim.run(start)?;
    if sim.s.una != total {
        bail!("simulation ended with {} of {} segments acknowledged", sim.s.una, total);
    }
    let truth = Truth {
        scenario: "lossy-flow",
        options: o.clone(),
        sender: format!("{SENDER}:{SENDER_PORT}"),
        receiver: format!("{RECEIVER}:{RECEIVER_PORT}"),
        sender_isn: sim.s_isn,
        receiver_isn: sim.r_isn,
        segment_payload: SEGMENT_PAYLOAD,
        core_frames: sim.out.frames(Port::Core),
        access_frames: sim.out.frames(Port::Access),
        duration_us: sim.end_us,
        lost: sim.truth_lost,
        reordered: sim.truth_reordered,
        retransmission_core_frames: sim.retx_frames,
        spurious_retransmissions: sim.spurious,
        recovery_episodes: sim.recoveries,
        rto_events: sim.rtos,
        sack_access_frames: sim.sack_frames,
    };
    let summary = sim.out.finish()?;
    let truth_path = out_dir.join("lossy-flow.truth.json");
    std::fs::write(&truth_path, serde_json::to_string_pretty(&truth)? + "\n")
        .with_context(|| format!("writing {}", truth_path.display()))?;
    Ok((summary, truth))
}
