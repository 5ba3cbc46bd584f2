//! A small independent dissector for the tests: reads a pcap and decodes
//! Ethernet/VLAN/IPv4/IPv6/UDP/TCP/GTP-U far enough to check lengths,
//! checksums and the fields the scenarios promise.
#![allow(dead_code)]

use std::net::IpAddr;
use std::path::Path;

use jg_scenario_gen::checksum;
use pcap_file::pcap::PcapReader;

pub struct Frame {
    pub ts_us: u64,
    pub data: Vec<u8>,
}

pub fn read_pcap(path: &Path) -> Vec<Frame> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = PcapReader::new(file).expect("pcap header");
    assert_eq!(reader.header().datalink, pcap_file::DataLink::ETHERNET);
    let mut frames = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.expect("pcap record");
        assert_eq!(p.orig_len as usize, p.data.len(), "frames are stored whole");
        frames.push(Frame { ts_us: p.timestamp.as_micros() as u64, data: p.data.into_owned() });
    }
    frames
}

#[derive(Debug, Default, Clone)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub data_offset: u8,
    pub payload_len: usize,
    pub payload: Vec<u8>,
    /// SACK blocks (left, right).
    pub sack: Vec<(u32, u32)>,
    pub tsval: Option<u32>,
    pub tsecr: Option<u32>,
    pub checksum_ok: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Decoded {
    pub vlans: Vec<(u16, u16)>,
    pub ethertype: u16,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub ipv4_header_ok: Option<bool>,
    pub fragment: bool,
    pub udp_ports: Option<(u16, u16)>,
    pub udp_checksum_ok: Option<bool>,
    /// (TEID, PDU session container type) of the outer GTP-U G-PDU.
    pub gtpu: Option<(u32, Option<u8>)>,
    /// Addresses of the inner packet when tunnelled.
    pub inner_src: Option<IpAddr>,
    pub inner_dst: Option<IpAddr>,
    pub tcp: Option<Tcp>,
    /// Why decoding stopped early, if it did.
    pub malformed: Option<&'static str>,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

fn l4_checksum_ok(pseudo: u32, seg: &[u8]) -> bool {
    checksum::finish(checksum::sum_words(pseudo, seg)) == 0
}

fn pseudo(src: &IpAddr, dst: &IpAddr, proto: u8, len: usize) -> u32 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut acc = checksum::sum_words(0, &s.octets());
            acc = checksum::sum_words(acc, &d.octets());
            acc = checksum::sum_words(acc, &[0, proto]);
            checksum::sum_words(acc, &(len as u16).to_be_bytes())
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut acc = checksum::sum_words(0, &s.octets());
            acc = checksum::sum_words(acc, &d.octets());
            acc = checksum::sum_words(acc, &(len as u32).to_be_bytes());
            checksum::sum_words(acc, &[0, 0, 0, proto])
        }
        _ => panic!("mixed address families"),
    }
}

fn decode_tcp(seg: &[u8], src: &IpAddr, dst: &IpAddr) -> Result<Tcp, &'static str> {
    if seg.len() < 20 {
        return Err("tcp header truncated");
    }
    let data_offset = seg[12] >> 4;
    let hl = usize::from(data_offset) * 4;
    let mut t = Tcp {
        src_port: be16(seg, 0).unwrap(),
        dst_port: be16(seg, 2).unwrap(),
        seq: be32(seg, 4).unwrap(),
        ack: be32(seg, 8).unwrap(),
        flags: seg[13],
        window: be16(seg, 14).unwrap(),
        data_offset,
        checksum_ok: l4_checksum_ok(pseudo(src, dst, 6, seg.len()), seg),
        ..Default::default()
    };
    if hl < 20 || hl > seg.len() {
        return Err("bad tcp data offset");
    }
    let opts = &seg[20..hl];
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            kind => {
                let len = usize::from(*opts.get(i + 1).ok_or("option truncated")?);
                if len < 2 || i + len > opts.len() {
                    return Err("bad option length");
                }
                let body = &opts[i + 2..i + len];
                match kind {
                    5 => {
                        for b in body.chunks_exact(8) {
                            t.sack.push((be32(b, 0).unwrap(), be32(b, 4).unwrap()));
                        }
                    }
                    8 => {
                        t.tsval = be32(body, 0);
                        t.tsecr = be32(body, 4);
                    }
                    _ => {}
                }
                i += len;
            }
        }
    }
    t.payload = seg[hl..].to_vec();
    t.payload_len = t.payload.len();
    Ok(t)
}

/// Decodes an IP packet starting at `ip`; fills addresses and L4 fields.
fn decode_ip(d: &mut Decoded, ethertype: u16, ip: &[u8], inner: bool) -> Result<(), &'static str> {
    let (src, dst, proto, l4): (IpAddr, IpAddr, u8, &[u8]) = match ethertype {
        0x0800 => {
            if ip.len() < 20 {
                return Err("ipv4 header truncated");
            }
            let ihl = usize::from(ip[0] & 0xf) * 4;
            let total = usize::from(be16(ip, 2).unwrap());
            if total > ip.len() {
                return Err("ipv4 total length beyond frame");
            }
            if !inner {
                d.ipv4_header_ok = Some(checksum::checksum(&ip[..ihl]) == 0);
            }
            let frag = be16(ip, 6).unwrap();
            let src = IpAddr::from([ip[12], ip[13], ip[14], ip[15]]);
            let dst = IpAddr::from([ip[16], ip[17], ip[18], ip[19]]);
            if frag & 0x3fff != 0 {
                d.fragment = true;
                d.src = Some(src);
                d.dst = Some(dst);
                return Ok(());
            }
            (src, dst, ip[9], &ip[ihl..total])
        }
        0x86dd => {
            if ip.len() < 40 {
                return Err("ipv6 header truncated");
            }
            let plen = usize::from(be16(ip, 4).unwrap());
            if 40 + plen > ip.len() {
                return Err("ipv6 payload beyond frame");
            }
            let mut s = [0u8; 16];
            s.copy_from_slice(&ip[8..24]);
            let mut t = [0u8; 16];
            t.copy_from_slice(&ip[24..40]);
            (IpAddr::from(s), IpAddr::from(t), ip[6], &ip[40..40 + plen])
        }
        _ => return Ok(()),
    };
    if inner {
        d.inner_src = Some(src);
        d.inner_dst = Some(dst);
    } else {
        d.src = Some(src);
        d.dst = Some(dst);
    }
    match proto {
        6 => d.tcp = Some(decode_tcp(l4, &src, &dst)?),
        17 => {
            if l4.len() < 8 {
                return Err("udp truncated");
            }
            let sp = be16(l4, 0).unwrap();
            let dp = be16(l4, 2).unwrap();
            d.udp_ports = Some((sp, dp));
            d.udp_checksum_ok = Some(l4_checksum_ok(pseudo(&src, &dst, 17, l4.len()), l4));
            if !inner && sp == 2152 && dp == 2152 && l4.len() >= 16 && l4[9] == 0xff {
                let g = &l4[8..];
                let teid = be32(g, 4).unwrap();
                let mut off = 8;
                let mut pdu_type = None;
                if g[0] & 0x07 != 0 {
                    let mut next = g[11];
                    off = 12;
                    while next != 0 {
                        let len = usize::from(*g.get(off).ok_or("gtp ext truncated")?) * 4;
                        if next == 0x85 {
                            pdu_type = Some(g[off + 1] >> 4);
                        }
                        next = *g.get(off + len - 1).ok_or("gtp ext truncated")?;
                        off += len;
                    }
                }
                d.gtpu = Some((teid, pdu_type));
                let inner_ip = &g[off..];
                let et = if inner_ip.first().map(|b| b >> 4) == Some(6) { 0x86dd } else { 0x0800 };
                decode_ip(d, et, inner_ip, true)?;
            }
        }
        _ => {}
    }
    Ok(())
}

pub fn decode(frame: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    let mut at = 12;
    let mut et = be16(frame, at).unwrap_or(0);
    while et == 0x8100 || et == 0x88a8 {
        d.vlans.push((et, be16(frame, at + 2).unwrap_or(0) & 0xfff));
        at += 4;
        et = be16(frame, at).unwrap_or(0);
    }
    d.ethertype = et;
    if let Err(e) = decode_ip(&mut d, et, frame.get(at + 2..).unwrap_or(&[]), false) {
        d.malformed = Some(e);
    }
    d
}

pub fn in_test_ranges(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            o[0] == 198 && (o[1] == 18 || o[1] == 19)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            s[0] == 0x2001 && s[1] == 2 && s[2] == 0
        }
    }
}

pub fn tmpdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("jg-gen-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
