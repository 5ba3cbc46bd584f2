//! A scripted, loss-free TCP conversation between S (behind the core port)
//! and R (behind the access port): handshake, data, ACKs, FIN. Sequence and
//! acknowledgement numbers, IPv4 IDs and timestamps stay consistent, so the
//! frames look like one real connection. Used where a scenario needs a
//! well-formed connection rather than a simulated transfer.

use anyhow::Result;

use crate::flow_path::FlowPath;
use crate::frame::{tcp_flags, TcpOption};
use crate::pcap_pair::{PcapPair, Port};
use crate::rng::SplitMix64;

pub const MSS: u16 = 1460;
const WSCALE: u8 = 7;

#[derive(Debug, Clone)]
struct Side {
    isn: u32,
    /// Next sequence number this side sends.
    snd_nxt: u32,
    /// Next sequence number this side expects (its cumulative ACK).
    rcv_nxt: u32,
    ip_id: u16,
    ts_base: u32,
    /// Last TSval this side sent (the peer echoes it).
    last_tsval: u32,
    /// Window field (already scaled down by WSCALE).
    window: u16,
}

pub struct Conversation {
    pub path: FlowPath,
    /// [S, R]
    sides: [Side; 2],
    timestamps: bool,
}

fn idx(from: Port) -> (usize, usize) {
    match from {
        Port::Core => (0, 1),
        Port::Access => (1, 0),
    }
}

impl Conversation {
    pub fn new(path: FlowPath, rng: &mut SplitMix64, timestamps: bool) -> Self {
        let mut side = |window: u16| {
            let isn = rng.next_u32();
            Side {
                isn,
                snd_nxt: isn,
                rcv_nxt: 0,
                ip_id: rng.next_u32() as u16,
                ts_base: rng.next_u32(),
                last_tsval: 0,
                window,
            }
        };
        let s = side(502);
        let r = side(24_576);
        Self { path, sides: [s, r], timestamps }
    }

    fn tsval(side: &Side, t_us: u64) -> u32 {
        side.ts_base.wrapping_add((t_us / 1000) as u32)
    }

    /// Sends one segment from `from`; `len` bytes of payload; returns the
    /// frame index in that port's pcap.
    fn emit(
        &mut self,
        out: &mut PcapPair,
        t_us: u64,
        from: Port,
        flags: u8,
        len: usize,
    ) -> Result<u64> {
        let (me, peer) = idx(from);
        let tsval = Self::tsval(&self.sides[me], t_us);
        let tsecr = self.sides[peer].last_tsval;
        let s = &self.sides[me];
        let syn = flags & tcp_flags::SYN != 0;
        let ack = if flags & tcp_flags::ACK != 0 { s.rcv_nxt } else { 0 };
        // A SYN's window is never scaled (RFC 7323).
        let window = if syn { 64_240 } else { s.window };
        let options = match (syn, self.timestamps) {
            (true, true) => TcpOption::linux_syn(MSS, tsval, tsecr, WSCALE),
            (true, false) => vec![
                TcpOption::Mss(MSS),
                TcpOption::Nop,
                TcpOption::WindowScale(WSCALE),
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::SackPermitted,
            ],
            (false, true) => TcpOption::linux_established(tsval, tsecr, &[]),
            (false, false) => Vec::new(),
        };
        let tcp = self.path.tcp(from, s.snd_nxt, ack, flags, window).with_options(options);
        let payload = payload_bytes(len, s.snd_nxt);
        let frame = self.path.tcp_frame(from, s.ip_id, &tcp, &payload);
        let index = out.write(from, t_us, &frame)?;
        let consumed = len as u32 + u32::from(syn) + u32::from(flags & tcp_flags::FIN != 0);
        let s = &mut self.sides[me];
        s.snd_nxt = s.snd_nxt.wrapping_add(consumed);
        s.ip_id = s.ip_id.wrapping_add(1);
        s.last_tsval = tsval;
        // Loss-free: the peer's receive state advances at once.
        let end = self.sides[me].snd_nxt;
        self.sides[peer].rcv_nxt = end;
        Ok(index)
    }

    pub fn syn(&mut self, out: &mut PcapPair, t_us: u64, from: Port) -> Result<u64> {
        self.emit(out, t_us, from, tcp_flags::SYN, 0)
    }

    pub fn syn_ack(&mut self, out: &mut PcapPair, t_us: u64, from: Port) -> Result<u64> {
        self.emit(out, t_us, from, tcp_flags::SYN | tcp_flags::ACK, 0)
    }

    pub fn data(&mut self, out: &mut PcapPair, t_us: u64, from: Port, len: usize) -> Result<u64> {
        self.emit(out, t_us, from, tcp_flags::ACK | tcp_flags::PSH, len)
    }

    pub fn ack(&mut self, out: &mut PcapPair, t_us: u64, from: Port) -> Result<u64> {
        self.emit(out, t_us, from, tcp_flags::ACK, 0)
    }

    pub fn fin(&mut self, out: &mut PcapPair, t_us: u64, from: Port) -> Result<u64> {
        self.emit(out, t_us, from, tcp_flags::FIN | tcp_flags::ACK, 0)
    }

    /// Initial sequence numbers (S, R).
    pub fn isns(&self) -> (u32, u32) {
        (self.sides[0].isn, self.sides[1].isn)
    }
}

/// Deterministic payload: bytes derived from the sequence number, so a
/// retransmission carries the same bytes as the original.
pub fn payload_bytes(len: usize, seq: u32) -> Vec<u8> {
    (0..len).map(|i| (seq.wrapping_add(i as u32) % 251) as u8).collect()
}
