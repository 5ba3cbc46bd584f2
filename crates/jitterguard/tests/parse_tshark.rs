//! `jitterguard parse --json` against Wireshark: for a capture of varied
//! frames (IPv4/IPv6, VLAN/QinQ, GTP-U with and without PDU session
//! container, VXLAN, GRE, SYN options, SACK), every field the decoder
//! prints must equal what tshark dissects. Skipped with a notice when tshark
//! is not installed.

use std::process::Command;
use std::time::Duration;

use pcap_file::pcap::{PcapPacket, PcapWriter};
use serde_json::Value;
use wire::gtpu::GtpuRepr;
use wire::{
    EncapRepr, EthernetRepr, FrameRepr, IpAddress, L4Repr, TcpOptions, TcpRepr, TunnelRepr,
    VlanStack,
};

const ETH: EthernetRepr = EthernetRepr { dst: [2, 0, 0, 0, 0, 1], src: [2, 0, 0, 0, 0, 2] };

fn v4(n: u8) -> IpAddress {
    IpAddress::V4([198, 18, 1, n])
}
fn v6(n: u8) -> IpAddress {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = n;
    IpAddress::V6(a)
}

/// (VLAN ids, tunnel, inner IPv6, TCP flags, options, payload length).
type Case = (Vec<u16>, Option<TunnelRepr>, bool, u8, TcpOptions, usize);

fn frames() -> Vec<Vec<u8>> {
    let syn = TcpOptions {
        mss: Some(1460),
        wscale: Some(7),
        sack_perm: true,
        ts: Some((11, 0)),
        ..TcpOptions::EMPTY
    };
    let mut sack = TcpOptions { ts: Some((12, 34)), sack_len: 3, ..TcpOptions::EMPTY };
    sack.sack[..3].copy_from_slice(&[(1000, 2000), (3000, 4000), (5000, 6000)]);
    let plain = TcpOptions::EMPTY;
    let gtpu = |outer6: bool, pdu: Option<(u8, u8)>| TunnelRepr {
        outer_src: if outer6 { v6(100) } else { v4(100) },
        outer_dst: if outer6 { v6(101) } else { v4(101) },
        encap: EncapRepr::Gtpu {
            gtpu: GtpuRepr { msg_type: 255, teid: 0x0102_0304, seq: Some(9), pdu_session: pdu },
            udp_checksum: true,
        },
    };
    let cases: Vec<Case> = vec![
        (vec![], None, false, 0x02, syn, 0),
        (vec![], None, true, 0x12, syn, 0),
        (vec![7], None, false, 0x10, sack, 0),
        (vec![10, 20], None, true, 0x18, plain, 100),
        (vec![], Some(gtpu(false, Some((0, 9)))), false, 0x10, sack, 0),
        (vec![300], Some(gtpu(true, Some((1, 63)))), true, 0x18, plain, 1000),
        (vec![], Some(gtpu(false, None)), true, 0x11, syn, 0),
        (
            vec![],
            Some(TunnelRepr {
                outer_src: v4(100),
                outer_dst: v4(101),
                encap: EncapRepr::Vxlan { vni: 77, inner_eth: ETH, udp_checksum: false },
            }),
            false,
            0x10,
            sack,
            10,
        ),
        (
            vec![5],
            Some(TunnelRepr {
                outer_src: v6(100),
                outer_dst: v6(101),
                encap: EncapRepr::Gre {
                    key: Some(99),
                    seq: None,
                    checksum: false,
                    inner_eth: None,
                },
            }),
            false,
            0x04,
            plain,
            0,
        ),
    ];
    cases
        .into_iter()
        .enumerate()
        .map(|(i, (vlans, tunnel, inner6, flags, options, plen))| {
            let payload = vec![0xab; plen];
            let (src, dst) = if inner6 { (v6(1), v6(2)) } else { (v4(1), v4(2)) };
            let r = FrameRepr {
                eth: ETH,
                vlans: VlanStack::from_slice(&vlans).unwrap(),
                tunnel,
                src,
                dst,
                ttl: 64,
                l4: L4Repr::Tcp(TcpRepr {
                    src_port: 40000 + i as u16,
                    dst_port: 443,
                    seq: 1_000_000 * i as u32 + 1,
                    ack: 77 + i as u32,
                    flags,
                    window: 512 + i as u16,
                    options,
                }),
                payload: &payload,
            };
            let mut out = vec![0u8; 2048];
            let n = r.emit(&mut out).unwrap();
            out.truncate(n);
            out
        })
        .collect()
}

const FIELDS: [&str; 23] = [
    "ieee8021ad.id",
    "vlan.id",
    "gtp.teid",
    "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
    "gtp.message",
    "vxlan.vni",
    "gre.key",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "tcp.flags",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
];

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

#[test]
fn decoder_agrees_with_tshark() {
    if Command::new("tshark").arg("-v").output().is_err() {
        println!("NOTICE: tshark not on PATH, skipping the decoder cross-check");
        return;
    }
    let dir = std::env::temp_dir().join(format!("jg-parse-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("varied.pcap");
    let frames = frames();
    {
        let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
        for (i, f) in frames.iter().enumerate() {
            w.write_packet(&PcapPacket::new(Duration::from_millis(i as u64), f.len() as u32, f))
                .unwrap();
        }
    }
    let ours = Command::new(env!("CARGO_BIN_EXE_jitterguard"))
        .arg("parse")
        .arg("--json")
        .arg(&path)
        .output()
        .unwrap();
    assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
    let ours: Vec<Value> = String::from_utf8(ours.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ours.len(), frames.len());

    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&path).args([
        "-n",
        "-o",
        "tcp.relative_sequence_numbers:FALSE",
        "-T",
        "fields",
    ]);
    cmd.args(["-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=|"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let theirs = cmd.output().unwrap();
    assert!(theirs.status.success(), "{}", String::from_utf8_lossy(&theirs.stderr));
    let theirs = String::from_utf8(theirs.stdout).unwrap();
    let lines: Vec<&str> = theirs.lines().collect();
    assert_eq!(lines.len(), frames.len());

    for (i, (o, line)) in ours.iter().zip(&lines).enumerate() {
        assert_eq!(o["frame"], i + 1);
        assert_eq!(o["error"], Value::Null, "{o}");
        let cols: Vec<Vec<&str>> =
            line.split('|').map(|c| c.split(',').filter(|x| !x.is_empty()).collect()).collect();
        let col = |name: &str| &cols[FIELDS.iter().position(|f| *f == name).unwrap()];
        let last = |name: &str| col(name).last().copied();
        let ctx = format!("frame {}: ours {o}\ntshark {line}", i + 1);

        // tshark reports a 0x88A8 service tag as ieee8021ad, customer tags as vlan.
        let vlans: Vec<u64> =
            col("ieee8021ad.id").iter().chain(col("vlan.id")).map(|v| num(v)).collect();
        let our_vlans: Vec<u64> =
            o["vlans"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(our_vlans, vlans, "{ctx}");

        let t = &o["tunnel"];
        match t["kind"].as_str() {
            Some("gtpu") => {
                assert_eq!(t["teid"].as_u64(), last("gtp.teid").map(num), "{ctx}");
                assert_eq!(
                    t["qfi"].as_u64(),
                    last("gtp.ext_hdr.pdu_ses_con.qos_flow_id").map(num),
                    "{ctx}"
                );
                assert_eq!(t["msg_type"].as_u64(), last("gtp.message").map(num), "{ctx}");
            }
            Some("vxlan") => assert_eq!(t["vni"].as_u64(), last("vxlan.vni").map(num), "{ctx}"),
            Some("gre") => assert_eq!(t["key"].as_u64(), last("gre.key").map(num), "{ctx}"),
            None => assert!(col("gtp.teid").is_empty() && col("vxlan.vni").is_empty(), "{ctx}"),
            Some(k) => panic!("unexpected kind {k}"),
        }

        let inner = &o["inner"];
        let src = inner["src"].as_str().unwrap();
        let (s_field, d_field) =
            if src.contains(':') { ("ipv6.src", "ipv6.dst") } else { ("ip.src", "ip.dst") };
        assert_eq!(Some(src), last(s_field), "{ctx}");
        assert_eq!(inner["dst"].as_str(), last(d_field), "{ctx}");
        assert_eq!(inner["proto"], 6);
        assert_eq!(inner["sport"].as_u64(), last("tcp.srcport").map(num), "{ctx}");
        assert_eq!(inner["dport"].as_u64(), last("tcp.dstport").map(num), "{ctx}");

        let tcp = &o["tcp"];
        assert_eq!(tcp["seq"].as_u64(), last("tcp.seq_raw").map(num), "{ctx}");
        assert_eq!(tcp["ack"].as_u64(), last("tcp.ack_raw").map(num), "{ctx}");
        assert_eq!(tcp["win"].as_u64(), last("tcp.window_size_value").map(num), "{ctx}");
        assert_eq!(tcp["flags"].as_u64(), last("tcp.flags").map(num), "{ctx}");
        assert_eq!(tcp["mss"].as_u64(), last("tcp.options.mss_val").map(num), "{ctx}");
        assert_eq!(tcp["wscale"].as_u64(), last("tcp.options.wscale.shift").map(num), "{ctx}");
        let ts = tcp["ts"].as_array().map(|a| (a[0].as_u64().unwrap(), a[1].as_u64().unwrap()));
        let their_ts = last("tcp.options.timestamp.tsval")
            .map(num)
            .zip(last("tcp.options.timestamp.tsecr").map(num));
        assert_eq!(ts, their_ts, "{ctx}");
        let sack: Vec<(u64, u64)> = tcp["sack"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b[0].as_u64().unwrap(), b[1].as_u64().unwrap()))
            .collect();
        let their_sack: Vec<(u64, u64)> = col("tcp.options.sack_le")
            .iter()
            .zip(col("tcp.options.sack_re"))
            .map(|(l, r)| (num(l), num(r)))
            .collect();
        assert_eq!(sack, their_sack, "{ctx}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
