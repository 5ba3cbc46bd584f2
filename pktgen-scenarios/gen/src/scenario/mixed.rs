//! `mixed`: the foundation's integration input. A bit of everything the box
//! must forward unchanged, about 60 frames per direction:
//!
//! * ARP request/reply in both directions;
//! * an IPv4 TCP download without timestamps (R opens to S:443): handshake, request, 24 data
//!   segments, ACKs, FIN both ways;
//! * an IPv4 TCP upload (S opens to R:5001) with timestamps;
//! * UDP: a DNS-like query/response and an RTP-like stream S->R;
//! * 802.1Q VLAN 100 TCP frames, QinQ (S-tag 200, C-tag 300) TCP frames;
//! * an IPv6 TCP connection (2001:2::/48);
//! * a GTP-U (UPF<->gNB, UDP 2152, PDU Session Container) encapsulated TCP
//!   connection and a GTP-U echo request/response;
//! * malformed frames: a truncated frame cut inside the TCP header (core),
//!   two IPv4 fragments of one UDP datagram (core), a TCP segment with data
//!   offset 4 (< 5, access).

use std::path::Path;

use anyhow::Result;

use crate::addr::{self, ACCESS_MAC, CORE_MAC, UPF};
use crate::conversation::Conversation;
use crate::flow_path::FlowPath;
use crate::frame::gtpu::gtpu_echo;
use crate::frame::{
    arp_packet, tcp_flags, udp_datagram, ArpOp, EthernetHeader, GtpuTunnel, IpHeader, Ipv4Header,
    Ipv6Header, PduSessionDirection, VlanTag, ETHERTYPE_ARP, PROTO_UDP,
};
use crate::pcap_pair::{PairSummary, PcapPair, Port};
use crate::rng::SplitMix64;

fn v4(sender: u32, receiver: u32) -> IpHeader {
    IpHeader::V4(Ipv4Header::new(addr::sender_v4(sender), addr::receiver_v4(receiver)))
}

pub fn generate(out_dir: &Path, seed: u64) -> Result<PairSummary> {
    let mut out = PcapPair::create(out_dir, "mixed")?;
    let mut rng = SplitMix64::derive(seed, "mixed");
    let mut t: u64 = 0;
    // Advances the clock by `ms` milliseconds plus a little seeded noise so
    // inter-frame gaps look measured rather than synthetic.
    let mut step = |rng: &mut SplitMix64, ms: u64| -> u64 {
        t += ms * 1000 + 10 + rng.below(90);
        t
    };

    // ARP: R side asks for its gateway on the S side and back.
    let gw_core = addr::sender_v4(0xfe00);
    let gw_access = addr::receiver_v4(0xfe00);
    let bcast = [0xff; 6];
    let arp_req = arp_packet(ArpOp::Request, ACCESS_MAC, gw_access, [0; 6], gw_core);
    out.write(
        Port::Access,
        step(&mut rng, 0),
        &EthernetHeader::new(ACCESS_MAC, bcast).frame(ETHERTYPE_ARP, &arp_req),
    )?;
    let arp_rep = arp_packet(ArpOp::Reply, CORE_MAC, gw_core, ACCESS_MAC, gw_access);
    out.write(
        Port::Core,
        step(&mut rng, 0),
        &EthernetHeader::new(CORE_MAC, ACCESS_MAC).frame(ETHERTYPE_ARP, &arp_rep),
    )?;
    let arp_req2 = arp_packet(ArpOp::Request, CORE_MAC, gw_core, [0; 6], gw_access);
    out.write(
        Port::Core,
        step(&mut rng, 0),
        &EthernetHeader::new(CORE_MAC, bcast).frame(ETHERTYPE_ARP, &arp_req2),
    )?;
    let arp_rep2 = arp_packet(ArpOp::Reply, ACCESS_MAC, gw_access, CORE_MAC, gw_core);
    out.write(
        Port::Access,
        step(&mut rng, 0),
        &EthernetHeader::new(ACCESS_MAC, CORE_MAC).frame(ETHERTYPE_ARP, &arp_rep2),
    )?;

    // IPv4 download without timestamps (R opens to S:443), 24 data segments.
    let mut dl = Conversation::new(FlowPath::new(v4(1, 1), 443, 40_001), &mut rng, false);
    dl.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    dl.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    dl.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    dl.data(&mut out, step(&mut rng, 0), Port::Access, 96)?;
    dl.ack(&mut out, step(&mut rng, 2), Port::Core)?;
    for i in 0..24 {
        let len = if i == 23 { 612 } else { 1460 };
        dl.data(&mut out, step(&mut rng, 0), Port::Core, len)?;
        if i % 2 == 1 {
            dl.ack(&mut out, step(&mut rng, 0), Port::Access)?;
        }
    }
    dl.fin(&mut out, step(&mut rng, 1), Port::Core)?;
    dl.fin(&mut out, step(&mut rng, 20), Port::Access)?;
    dl.ack(&mut out, step(&mut rng, 2), Port::Core)?;

    // UDP: a DNS query from R and its answer from S.
    let dns = FlowPath::new(v4(53, 2), 53, 33_333);
    let question: &[u8] = b"\x07example\x03net\x00\x00\x01\x00\x01";
    let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    query.extend_from_slice(question);
    out.write(Port::Access, step(&mut rng, 1), &dns.udp_frame(Port::Access, 0x1111, &query))?;
    let mut answer = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    answer.extend_from_slice(question);
    // Name pointer to the question, type A, class IN, TTL 300, 198.18.0.80.
    answer.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 198, 18, 0, 80]);
    out.write(Port::Core, step(&mut rng, 2), &dns.udp_frame(Port::Core, 0x2222, &answer))?;

    // RTP-like stream S->R (version 2, PT 96, seq and timestamp advancing).
    let rtp = FlowPath::new(v4(7, 3), 5004, 5006);
    for i in 0u16..8 {
        let mut payload = vec![0x80, 96];
        payload.extend_from_slice(&(1000 + i).to_be_bytes());
        payload.extend_from_slice(&(160_000 + 160 * u32::from(i)).to_be_bytes());
        payload.extend_from_slice(&0x5eed_0001u32.to_be_bytes());
        payload.resize(12 + 160, 0xd5);
        out.write(
            Port::Core,
            step(&mut rng, 20),
            &rtp.udp_frame(Port::Core, 0x3000 + i, &payload),
        )?;
    }

    // IPv4 upload with timestamps (S opens to R:5001).
    let mut ul = Conversation::new(FlowPath::new(v4(2, 4), 45_002, 5001), &mut rng, true);
    ul.syn(&mut out, step(&mut rng, 1), Port::Core)?;
    ul.syn_ack(&mut out, step(&mut rng, 20), Port::Access)?;
    ul.ack(&mut out, step(&mut rng, 2), Port::Core)?;
    for _ in 0..4 {
        ul.data(&mut out, step(&mut rng, 0), Port::Core, 1448)?;
        ul.data(&mut out, step(&mut rng, 0), Port::Core, 1448)?;
        ul.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    }
    ul.fin(&mut out, step(&mut rng, 1), Port::Core)?;
    ul.fin(&mut out, step(&mut rng, 20), Port::Access)?;
    ul.ack(&mut out, step(&mut rng, 2), Port::Core)?;

    // 802.1Q VLAN 100: a short exchange on an established connection.
    let mut vlan = Conversation::new(
        FlowPath::new(v4(3, 5), 443, 40_100).with_tags(&[VlanTag::ctag(100)]),
        &mut rng,
        true,
    );
    vlan.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    vlan.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    vlan.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    vlan.data(&mut out, step(&mut rng, 0), Port::Core, 1000)?;
    vlan.ack(&mut out, step(&mut rng, 20), Port::Access)?;

    // QinQ: S-tag 200 (802.1ad) outside, C-tag 300 inside.
    let mut qinq = Conversation::new(
        FlowPath::new(v4(4, 6), 443, 40_200).with_tags(&[VlanTag::stag(200), VlanTag::ctag(300)]),
        &mut rng,
        true,
    );
    qinq.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    qinq.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    qinq.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    qinq.data(&mut out, step(&mut rng, 0), Port::Core, 700)?;
    qinq.ack(&mut out, step(&mut rng, 20), Port::Access)?;

    // IPv6 TCP.
    let v6 = IpHeader::V6(
        Ipv6Header::new(addr::sender_v6(1), addr::receiver_v6(1)).with_flow_label(0x1_2345),
    );
    let mut six = Conversation::new(FlowPath::new(v6, 443, 40_300), &mut rng, true);
    six.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    six.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    six.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    six.data(&mut out, step(&mut rng, 0), Port::Access, 200)?;
    six.data(&mut out, step(&mut rng, 2), Port::Core, 1428)?;
    six.data(&mut out, step(&mut rng, 0), Port::Core, 1428)?;
    six.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    six.fin(&mut out, step(&mut rng, 1), Port::Core)?;
    six.fin(&mut out, step(&mut rng, 20), Port::Access)?;
    six.ack(&mut out, step(&mut rng, 2), Port::Core)?;

    // GTP-U: echo (path management), then a TCP connection of UE 198.19.0.7
    // inside the tunnel UPF <-> gNB 198.19.255.1.
    let gnb = addr::gnb(0);
    out.write(
        Port::Core,
        step(&mut rng, 1),
        &EthernetHeader::new(CORE_MAC, ACCESS_MAC).frame(
            crate::frame::ethernet::ETHERTYPE_IPV4,
            &gtpu_echo(&Ipv4Header::new(UPF, gnb).with_id(0x4000), false, 1),
        ),
    )?;
    out.write(
        Port::Access,
        step(&mut rng, 2),
        &EthernetHeader::new(ACCESS_MAC, CORE_MAC).frame(
            crate::frame::ethernet::ETHERTYPE_IPV4,
            &gtpu_echo(&Ipv4Header::new(gnb, UPF).with_id(0x5000), true, 1),
        ),
    )?;
    let down = GtpuTunnel {
        outer: Ipv4Header::new(UPF, gnb),
        teid: 0x0100_0001,
        direction: PduSessionDirection::Downlink,
        qfi: 9,
    };
    let up = GtpuTunnel {
        outer: Ipv4Header::new(gnb, UPF),
        teid: 0x0200_0001,
        direction: PduSessionDirection::Uplink,
        qfi: 9,
    };
    let mut gtp =
        Conversation::new(FlowPath::new(v4(5, 7), 443, 40_400).with_gtpu(down, up), &mut rng, true);
    gtp.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    gtp.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    gtp.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    gtp.data(&mut out, step(&mut rng, 0), Port::Access, 120)?;
    gtp.data(&mut out, step(&mut rng, 2), Port::Core, 1380)?;
    gtp.data(&mut out, step(&mut rng, 0), Port::Core, 1380)?;
    gtp.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    gtp.fin(&mut out, step(&mut rng, 1), Port::Core)?;
    gtp.fin(&mut out, step(&mut rng, 20), Port::Access)?;
    gtp.ack(&mut out, step(&mut rng, 2), Port::Core)?;

    // Malformed 1: a frame cut 10 bytes into the TCP header (a runt, not padded).
    let cut = FlowPath::new(v4(6, 8), 443, 40_500);
    let whole = cut.tcp_frame(
        Port::Core,
        0x6000,
        &cut.tcp(Port::Core, 1, 1, tcp_flags::ACK, 502),
        &[0x55; 100],
    );
    out.write(Port::Core, step(&mut rng, 1), &whole[..14 + 20 + 10])?;

    // Malformed 2: two IPv4 fragments of one 1800-byte UDP datagram.
    let frag_ip = Ipv4Header::new(addr::sender_v4(8), addr::receiver_v4(9)).with_id(0x7777);
    let udp = udp_datagram(&IpHeader::V4(frag_ip), 4000, 4001, &[0xab; 1800]);
    let l4 = &udp[20..]; // UDP header + payload, 1808 bytes
    let first_len = 1480; // a multiple of 8
    let eth = EthernetHeader::new(CORE_MAC, ACCESS_MAC);
    let mut first = frag_ip;
    first.dont_fragment = false;
    first.more_fragments = true;
    out.write(
        Port::Core,
        step(&mut rng, 0),
        &eth.frame(
            crate::frame::ethernet::ETHERTYPE_IPV4,
            &first.packet(PROTO_UDP, &l4[..first_len]),
        ),
    )?;
    let mut second = frag_ip;
    second.dont_fragment = false;
    second.fragment_offset = (first_len / 8) as u16;
    out.write(
        Port::Core,
        step(&mut rng, 0),
        &eth.frame(
            crate::frame::ethernet::ETHERTYPE_IPV4,
            &second.packet(PROTO_UDP, &l4[first_len..]),
        ),
    )?;

    // Malformed 3: TCP data offset 4 (16 bytes, below the 20-byte minimum).
    let bad = FlowPath::new(v4(9, 10), 443, 40_600);
    let mut tcp = bad.tcp(Port::Access, 7, 9, tcp_flags::ACK, 502);
    tcp.data_offset_override = Some(4);
    out.write(
        Port::Access,
        step(&mut rng, 1),
        &bad.tcp_frame(Port::Access, 0x6100, &tcp, &[0x66; 12]),
    )?;

    // A small request/response connection opened by R, so that both
    // directions end near 60 frames.
    let mut ka = Conversation::new(FlowPath::new(v4(10, 11), 443, 40_700), &mut rng, true);
    ka.syn(&mut out, step(&mut rng, 1), Port::Access)?;
    ka.syn_ack(&mut out, step(&mut rng, 2), Port::Core)?;
    ka.ack(&mut out, step(&mut rng, 20), Port::Access)?;
    for _ in 0..3 {
        ka.data(&mut out, step(&mut rng, 5), Port::Access, 64)?;
        ka.ack(&mut out, step(&mut rng, 2), Port::Core)?;
    }
    ka.fin(&mut out, step(&mut rng, 1), Port::Access)?;
    ka.fin(&mut out, step(&mut rng, 2), Port::Core)?;
    ka.ack(&mut out, step(&mut rng, 20), Port::Access)?;

    out.finish()
}
