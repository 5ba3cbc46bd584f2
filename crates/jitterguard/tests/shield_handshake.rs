//! Handshake repair through the real dataplane: the recorded lossy flow
//! (which shows the path group to be jittery), then a second connection
//! from R's /24 whose SYN-ACK from S is never answered (lost on J). The box
//! must send S's SYN-ACK towards R once more, an exact copy, and only once;
//! with `shield.handshake_repair` off, not at all.

mod common;

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use common::*;
use jg_scenario_gen::flow_path::FlowPath;
use jg_scenario_gen::frame::{tcp_flags, IpHeader, Ipv4Header, TcpOption};
use jg_scenario_gen::pcap_pair::Port;
use jg_scenario_gen::scenario::lossy_flow::{SENDER, SENDER_PORT};
use pcap_file::pcap::{PcapPacket, PcapReader, PcapWriter};

/// A second receiver in the lossy flow's receiver /24 (same path group).
const R2: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 21);
const R2_PORT: u16 = 40_000;

/// Copies the pcap `from` to `to` and appends `extra` frames, each
/// (µs after the copied pcap's last frame, frame bytes).
fn copy_with(from: &Path, to: &Path, extra: &[(u64, Vec<u8>)]) {
    let mut r = PcapReader::new(File::open(from).unwrap()).unwrap();
    let mut w = PcapWriter::with_header(File::create(to).unwrap(), r.header()).unwrap();
    let mut last = Duration::ZERO;
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        last = last.max(p.timestamp);
        w.write_packet(&p).unwrap();
    }
    for (after_us, frame) in extra {
        let ts = last + Duration::from_micros(*after_us);
        w.write_packet(&PcapPacket::new(ts, frame.len() as u32, frame)).unwrap();
    }
}

#[test]
fn an_unanswered_syn_ack_is_sent_to_r_once_more() {
    let input = scratch("handshake-in");
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let path = FlowPath::new(IpHeader::V4(Ipv4Header::new(SENDER, R2)), SENDER_PORT, R2_PORT);
    let (r_isn, s_isn) = (0x1000_0000u32, 0x2000_0000u32);
    let syn = path
        .tcp(Port::Access, r_isn, 0, tcp_flags::SYN, 64_240)
        .with_options(TcpOption::linux_syn(1460, 1_000, 0, 7));
    let syn_ack = path
        .tcp(Port::Core, s_isn, r_isn.wrapping_add(1), tcp_flags::SYN | tcp_flags::ACK, 65_160)
        .with_options(TcpOption::linux_syn(1460, 5_000, 1_000, 7));
    let syn_ack_frame = path.tcp_frame(Port::Core, 0, &syn_ack, &[]);
    // R2's SYN 50 ms after the lossy flow's last frame, S's SYN-ACK 4 ms
    // later; nothing more from R2 (its SYN timer would fire after 1 s). A
    // replay's clock is the capture's, so an unrelated UDP datagram 400 ms
    // later moves it past the box's 200 ms repair timer.
    let other = FlowPath::new(
        IpHeader::V4(Ipv4Header::new(Ipv4Addr::new(198, 18, 0, 99), Ipv4Addr::new(198, 19, 9, 9))),
        5_000,
        5_001,
    );
    let (core, access) = (input.join("hs.core.pcap"), input.join("hs.access.pcap"));
    copy_with(
        &scen.join("lossy-flow.access.pcap"),
        &access,
        &[(50_000, path.tcp_frame(Port::Access, 1, &syn, &[]))],
    );
    copy_with(
        &scen.join("lossy-flow.core.pcap"),
        &core,
        &[(54_000, syn_ack_frame.clone()), (454_000, other.udp_frame(Port::Core, 7, b"tick"))],
    );

    let r = replay_files("handshake", "shield", &core, &access, true, "");
    let c = final_counters(&r.stdout);
    let pipeline = &c["pipeline"];
    assert_eq!(pipeline["handshake_repairs"], "1", "{}", r.stdout);
    let copies = r.to_access.iter().filter(|f| **f == syn_ack_frame).count();
    assert_eq!(copies, 2, "S's SYN-ACK forwarded once and repaired once");
    // Nothing else is added towards R: what S sent, less the duplicates the
    // box answered itself, plus its local retransmissions and the repair.
    let count = |k: &str| pipeline[k].parse::<u64>().unwrap();
    let expected =
        r.core_in.len() as u64 - count("duplicates_suppressed") + count("local_retransmits");
    assert_eq!(r.to_access.len() as u64, expected);

    // Switched off, the box forwards the SYN-ACK once and nothing more.
    let extra = "[shield]\nhandshake_repair = false\n";
    let off = replay_files("handshake-off", "shield", &core, &access, true, extra);
    assert_eq!(final_counters(&off.stdout)["pipeline"]["handshake_repairs"], "0");
    assert_eq!(off.to_access.iter().filter(|f| **f == syn_ack_frame).count(), 1);
}
