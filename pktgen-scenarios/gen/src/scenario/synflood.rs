//! `synflood`: `count` distinct SYNs from random sources in 198.18.0.0/15
//! towards one server (198.19.0.80:443) on the core port, one every
//! microsecond, with one legitimate connection of client 198.18.0.10:50000
//! to the same server interleaved: handshake at 10 % of the flood, a
//! request/response at 50 %, FIN exchange at 90 %. The server's side of that
//! connection (SYN-ACK, response data, ACKs, FIN) is the whole access pcap.
//!
//! Distinctness needs no memory: flood source tuple `i` is a bijective
//! 32-bit permutation of `i` split into 17 address bits (the /15) and 15
//! port bits (32768..65535).

use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{bail, Result};

use crate::conversation::Conversation;
use crate::flow_path::FlowPath;
use crate::frame::{tcp_flags, IpHeader, Ipv4Header, TcpOption};
use crate::pcap_pair::{PairSummary, PcapPair, Port};
use crate::rng::{permute_u32, SplitMix64};

pub const SERVER: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 80);
pub const SERVER_PORT: u16 = 443;
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 10);
pub const CLIENT_PORT: u16 = 50_000;

/// The flood source for index `i`: distinct for distinct `i`.
pub fn flood_source(i: u32, key: u32) -> (Ipv4Addr, u16) {
    let x = permute_u32(i, key);
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    (Ipv4Addr::from(base + (x >> 15)), 32_768 + (x & 0x7fff) as u16)
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Syn,
    SynAck,
    Ack(Port),
    Data(Port, usize),
    Fin(Port),
}

pub fn generate(out_dir: &Path, count: u32, seed: u64) -> Result<PairSummary> {
    if count == 0 {
        bail!("--count must be at least 1");
    }
    let mut rng = SplitMix64::derive(seed, "synflood");
    let key = rng.next_u32();
    let mut legit = Conversation::new(
        FlowPath::new(IpHeader::V4(Ipv4Header::new(CLIENT, SERVER)), CLIENT_PORT, SERVER_PORT),
        &mut rng,
        true,
    );
    let duration = u64::from(count);
    // The box sits close to the client here: 20 ms to the server and back.
    let rtt = 20_000;
    // Phases keep their order even when a short flood ends before them.
    let t1 = duration / 10;
    let t2 = (duration / 2).max(t1 + 2 * rtt);
    let t3 = (duration * 9 / 10).max(t2 + 2 * rtt);
    let script: Vec<(u64, Step)> = vec![
        (t1, Step::Syn),
        (t1 + rtt, Step::SynAck),
        (t1 + rtt + 300, Step::Ack(Port::Core)),
        (t2, Step::Data(Port::Core, 310)),
        (t2 + rtt, Step::Data(Port::Access, 1448)),
        (t2 + rtt + 12, Step::Data(Port::Access, 1448)),
        (t2 + rtt + 24, Step::Data(Port::Access, 903)),
        (t2 + rtt + 330, Step::Ack(Port::Core)),
        (t3, Step::Fin(Port::Core)),
        (t3 + rtt, Step::Fin(Port::Access)),
        (t3 + rtt + 300, Step::Ack(Port::Core)),
    ];
    let mut script = script.into_iter().peekable();

    let mut out = PcapPair::create(out_dir, "synflood")?;
    let mut run_until = |out: &mut PcapPair, t: u64, legit: &mut Conversation| -> Result<()> {
        while let Some(&(at, step)) = script.peek() {
            if at > t {
                break;
            }
            script.next();
            match step {
                Step::Syn => legit.syn(out, at, Port::Core)?,
                Step::SynAck => legit.syn_ack(out, at, Port::Access)?,
                Step::Ack(p) => legit.ack(out, at, p)?,
                Step::Data(p, len) => legit.data(out, at, p, len)?,
                Step::Fin(p) => legit.fin(out, at, p)?,
            };
        }
        Ok(())
    };

    let server = IpHeader::V4(Ipv4Header::new(CLIENT, SERVER)).reversed();
    let mut written: u32 = 0;
    let mut i: u32 = 0;
    while written < count {
        let (src, sport) = flood_source(i, key);
        i = i.wrapping_add(1);
        if (src, sport) == (CLIENT, CLIENT_PORT) || src == SERVER {
            continue;
        }
        let t = u64::from(written);
        run_until(&mut out, t, &mut legit)?;
        let ip = IpHeader::V4(Ipv4Header::new(src, SERVER).with_id(rng.next_u32() as u16));
        debug_assert_ne!(ip, server);
        let tcp = crate::frame::TcpHeader::new(
            sport,
            SERVER_PORT,
            rng.next_u32(),
            0,
            tcp_flags::SYN,
            64_240,
        )
        .with_options(vec![TcpOption::Mss(1460)]);
        let frame =
            FlowPath::new(ip, sport, SERVER_PORT).wrap(Port::Core, &tcp.ip_packet(&ip, &[]), 0);
        out.write(Port::Core, t, &frame)?;
        written += 1;
    }
    run_until(&mut out, u64::MAX, &mut legit)?;
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_sources_are_in_range_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            let (a, p) = flood_source(i, 99);
            assert!(crate::addr::in_benchmark_range(a), "{a}");
            assert!(p >= 32_768);
            assert!(seen.insert((a, p)));
        }
    }
}
