//! `jitterguard parse FILE [--json]`: what the packet parser (`wire::parse`)
//! finds in every frame of a pcap or pcapng capture, without DPDK. It answers
//! "what does the box see in this capture"; the tests compare it with tshark.
//!
//! This is an operator tool, not the packet path: it allocates freely.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use serde_json::{json, Value};
use wire::{parse, Parsed, TunnelKind};

/// The first four bytes of a pcapng file (Section Header Block type).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Prints one line (readable or JSON) per frame of `file` to stdout.
pub fn run(file: &Path, json: bool) -> anyhow::Result<()> {
    let mut f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic)
        .with_context(|| format!("{} is not a capture file", file.display()))?;
    let f = File::open(file)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = if magic == PCAPNG_MAGIC {
        for_each_pcapng_frame(BufReader::new(f), |i, frame| emit(&mut out, i, frame, json))
    } else {
        for_each_pcap_frame(BufReader::new(f), |i, frame| emit(&mut out, i, frame, json))
    };
    match result.and_then(|()| out.flush().map_err(anyhow::Error::from)) {
        // A closed pipe (`| head`) is a normal way to stop reading.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        r => r.with_context(|| format!("reading {}", file.display())),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn emit(out: &mut impl Write, index: usize, frame: &[u8], json: bool) -> anyhow::Result<()> {
    let p = parse(frame);
    if json {
        writeln!(out, "{}", frame_json(index, frame.len(), &p))?;
    } else {
        writeln!(out, "{}", frame_line(index, frame.len(), &p))?;
    }
    Ok(())
}

fn for_each_pcap_frame(
    r: impl Read,
    mut f: impl FnMut(usize, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut reader = PcapReader::new(r).context("not a pcap file")?;
    let link = reader.header().datalink;
    if link != DataLink::ETHERNET {
        bail!("link type {link:?} is not Ethernet");
    }
    let mut index = 0;
    while let Some(pkt) = reader.next_packet() {
        index += 1;
        let pkt = pkt.with_context(|| format!("frame {index}"))?;
        f(index, &pkt.data)?;
    }
    Ok(())
}

fn for_each_pcapng_frame(
    r: impl Read,
    mut f: impl FnMut(usize, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut reader = PcapNgReader::new(r).context("not a pcapng file")?;
    let mut index = 0;
    while let Some(block) = reader.next_block() {
        let data = match block.context("pcapng block")? {
            Block::InterfaceDescription(idb) => {
                if idb.linktype != DataLink::ETHERNET {
                    bail!("interface link type {:?} is not Ethernet", idb.linktype);
                }
                continue;
            }
            Block::EnhancedPacket(epb) => epb.data,
            Block::SimplePacket(spb) => spb.data,
            Block::Packet(pb) => pb.data,
            _ => continue,
        };
        index += 1;
        f(index, &data)?;
    }
    Ok(())
}

fn tunnel_json(p: &Parsed) -> Value {
    let Some(t) = p.tunnel else {
        return Value::Null;
    };
    let (outer_src, outer_dst) = (t.outer_src.to_string(), t.outer_dst.to_string());
    match t.kind {
        TunnelKind::Gtpu { teid, qfi, pdu_type, msg_type } => json!({
            "kind": "gtpu", "teid": teid, "qfi": qfi, "pdu_type": pdu_type, "msg_type": msg_type,
            "outer_src": outer_src, "outer_dst": outer_dst,
        }),
        TunnelKind::Vxlan { vni } => json!({
            "kind": "vxlan", "vni": vni, "outer_src": outer_src, "outer_dst": outer_dst,
        }),
        TunnelKind::Gre { protocol, key, seq, checksum_present } => json!({
            "kind": "gre", "protocol": protocol, "key": key, "seq": seq, "checksum": checksum_present,
            "outer_src": outer_src, "outer_dst": outer_dst,
        }),
    }
}

/// The JSON object for one frame (the schema the tests and operators rely on).
pub fn frame_json(index: usize, len: usize, p: &Parsed) -> Value {
    let inner = p.inner.map_or(Value::Null, |f| {
        json!({
            "src": f.src.to_string(), "dst": f.dst.to_string(),
            "proto": f.proto, "sport": f.sport, "dport": f.dport,
        })
    });
    let tcp = p.tcp.map_or(Value::Null, |t| {
        let o = t.opts;
        json!({
            "seq": t.seq, "ack": t.ack, "win": t.window, "flags": t.flags,
            "header_len": t.header_len, "payload_len": t.payload_len,
            "mss": o.mss, "wscale": o.wscale, "sack_perm": o.sack_perm,
            "ts": o.ts.map(|(v, e)| [v, e]),
            "sack": o.sack_blocks().iter().map(|&(l, r)| [l, r]).collect::<Vec<_>>(),
        })
    });
    json!({
        "frame": index,
        "len": len,
        "error": p.error.map(|e| e.reason()),
        "vlans": p.vlans.as_slice(),
        "arp": p.is_arp,
        "fragment": p.is_fragment,
        "tunnel": tunnel_json(p),
        "inner": inner,
        "tcp": tcp,
        "outer_l3": p.outer_l3,
        "inner_l3": p.inner_l3,
        "l4": p.l4,
        "payload": p.payload.map(|(off, n)| [off, n]),
    })
}

/// tcpdump-style flag letters.
fn flag_letters(flags: u8) -> String {
    const LETTERS: [(u8, char); 8] = [
        (0x02, 'S'),
        (0x01, 'F'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
        (0x10, '.'),
    ];
    LETTERS.iter().filter(|(b, _)| flags & b != 0).map(|&(_, c)| c).collect()
}

/// One readable line for one frame.
pub fn frame_line(index: usize, len: usize, p: &Parsed) -> String {
    let mut s = format!("{index} len={len}");
    if !p.vlans.is_empty() {
        let _ = write!(s, " vlan={:?}", p.vlans.as_slice());
    }
    if p.is_arp {
        s.push_str(" arp");
    }
    if let Some(t) = p.tunnel {
        let _ = write!(s, " [{} > {} ", t.outer_src, t.outer_dst);
        match t.kind {
            TunnelKind::Gtpu { teid, qfi, pdu_type, msg_type } => {
                let _ = write!(s, "gtpu teid=0x{teid:08x} msg={msg_type}");
                if let (Some(q), Some(pt)) = (qfi, pdu_type) {
                    let _ = write!(s, " qfi={q} {}", if pt == 0 { "dl" } else { "ul" });
                }
            }
            TunnelKind::Vxlan { vni } => {
                let _ = write!(s, "vxlan vni={vni}");
            }
            TunnelKind::Gre { protocol, key, .. } => {
                let _ = write!(s, "gre proto=0x{protocol:04x}");
                if let Some(k) = key {
                    let _ = write!(s, " key={k}");
                }
            }
        }
        s.push(']');
    }
    if let Some(f) = p.inner {
        let name = match f.proto {
            6 => "tcp".to_owned(),
            17 => "udp".to_owned(),
            1 => "icmp".to_owned(),
            58 => "icmp6".to_owned(),
            n => format!("proto={n}"),
        };
        let (a, b) = (f.src, f.dst);
        if f.sport != 0 || f.dport != 0 {
            let (a, b) = if a.is_ipv4() {
                (a.to_string(), b.to_string())
            } else {
                (format!("[{a}]"), format!("[{b}]"))
            };
            let _ = write!(s, " {a}:{} > {b}:{} {name}", f.sport, f.dport);
        } else {
            let _ = write!(s, " {a} > {b} {name}");
        }
    }
    if p.is_fragment {
        s.push_str(" fragment");
    }
    if let Some(t) = p.tcp {
        let _ = write!(
            s,
            " [{}] seq={} ack={} win={} len={}",
            flag_letters(t.flags),
            t.seq,
            t.ack,
            t.window,
            t.payload_len
        );
        let o = t.opts;
        if let Some(m) = o.mss {
            let _ = write!(s, " mss={m}");
        }
        if let Some(w) = o.wscale {
            let _ = write!(s, " wscale={w}");
        }
        if o.sack_perm {
            s.push_str(" sackOK");
        }
        if let Some((v, e)) = o.ts {
            let _ = write!(s, " ts={v}/{e}");
        }
        for &(l, r) in o.sack_blocks() {
            let _ = write!(s, " sack={l}-{r}");
        }
    } else if let Some((_, n)) = p.payload {
        let _ = write!(s, " len={n}");
    }
    if let Some(e) = p.error {
        let _ = write!(s, " error={}", e.reason());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::gtpu::GtpuRepr;
    use wire::{
        EncapRepr, EthernetRepr, FrameRepr, IpAddress, L4Repr, TcpOptions, TcpRepr, TunnelRepr,
        VlanStack,
    };

    fn gtpu_frame() -> Vec<u8> {
        let mut o = TcpOptions { ts: Some((5, 6)), sack_len: 1, ..TcpOptions::EMPTY };
        o.sack[0] = (100, 200);
        let r = FrameRepr {
            eth: EthernetRepr::default(),
            vlans: VlanStack::from_slice(&[42]).unwrap(),
            tunnel: Some(TunnelRepr {
                outer_src: IpAddress::V4([198, 18, 0, 1]),
                outer_dst: IpAddress::V4([198, 18, 0, 2]),
                encap: EncapRepr::Gtpu {
                    gtpu: GtpuRepr {
                        msg_type: 255,
                        teid: 0x1234,
                        seq: None,
                        pdu_session: Some((1, 7)),
                    },
                    udp_checksum: false,
                },
            }),
            src: IpAddress::V4([198, 19, 0, 1]),
            dst: IpAddress::V4([198, 19, 0, 2]),
            ttl: 64,
            l4: L4Repr::Tcp(TcpRepr {
                src_port: 1,
                dst_port: 2,
                seq: 3,
                ack: 4,
                flags: 0x10,
                window: 9,
                options: o,
            }),
            payload: &[],
        };
        let mut out = vec![0u8; 512];
        let n = r.emit(&mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn json_has_the_documented_fields() {
        let f = gtpu_frame();
        let v = frame_json(3, f.len(), &parse(&f));
        assert_eq!(v["frame"], 3);
        assert_eq!(v["error"], Value::Null);
        assert_eq!(v["vlans"], json!([42]));
        assert_eq!(v["tunnel"]["kind"], "gtpu");
        assert_eq!(v["tunnel"]["teid"], 0x1234);
        assert_eq!(v["tunnel"]["qfi"], 7);
        assert_eq!(v["tunnel"]["msg_type"], 255);
        assert_eq!(
            v["inner"],
            json!({"src": "198.19.0.1", "dst": "198.19.0.2", "proto": 6, "sport": 1, "dport": 2})
        );
        assert_eq!(v["tcp"]["seq"], 3);
        assert_eq!(v["tcp"]["ack"], 4);
        assert_eq!(v["tcp"]["win"], 9);
        assert_eq!(v["tcp"]["flags"], 16);
        assert_eq!(v["tcp"]["mss"], Value::Null);
        assert_eq!(v["tcp"]["sack_perm"], false);
        assert_eq!(v["tcp"]["ts"], json!([5, 6]));
        assert_eq!(v["tcp"]["sack"], json!([[100, 200]]));
    }

    #[test]
    fn error_is_the_reason_label() {
        let f = gtpu_frame();
        let p = parse(&f[..20]);
        let v = frame_json(1, 20, &p);
        assert_eq!(v["error"], "truncated_ipv4");
        assert!(frame_line(1, 20, &p).ends_with("error=truncated_ipv4"));
    }

    #[test]
    fn readable_line() {
        let f = gtpu_frame();
        let line = frame_line(1, f.len(), &parse(&f));
        assert_eq!(
            line,
            format!(
                "1 len={} vlan=[42] [198.18.0.1 > 198.18.0.2 gtpu teid=0x00001234 msg=255 qfi=7 ul] \
                 198.19.0.1:1 > 198.19.0.2:2 tcp [.] seq=3 ack=4 win=9 len=0 ts=5/6 sack=100-200",
                f.len()
            )
        );
    }

    #[test]
    fn flags_like_tcpdump() {
        assert_eq!(flag_letters(0x12), "S.");
        assert_eq!(flag_letters(0x18), "P.");
        assert_eq!(flag_letters(0x11), "F.");
    }
}
