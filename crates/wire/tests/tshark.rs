//! Independent check with Wireshark's dissectors: rewritten and built
//! packets are written to a pcap and `tshark`, with checksum validation on,
//! must find every IP/TCP/UDP/GRE checksum good and see the tunnel and inner
//! TCP fields we wrote. Skipped (with a notice) when tshark is not installed.

use std::process::Command;
use std::time::Duration;

use pcap_file::pcap::{PcapPacket, PcapWriter};
use wire::gtpu::{msg_type, GtpuRepr, PDU_TYPE_DL, PDU_TYPE_UL};
use wire::{
    build_ack, build_data, parse, rewrite, AckFields, EncapRepr, EthernetRepr, FrameRepr,
    IpAddress, L4Repr, TcpOptions, TcpRepr, TunnelRepr, VlanStack,
};

const ETH: EthernetRepr = EthernetRepr { dst: [2, 0, 0, 0, 0, 1], src: [2, 0, 0, 0, 0, 2] };

fn v4(n: u8) -> IpAddress {
    IpAddress::V4([198, 18, 0, n])
}
fn v6(n: u8) -> IpAddress {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = n;
    IpAddress::V6(a)
}

/// What tshark must report for one frame.
#[derive(Debug, Clone, Default)]
struct Expect {
    ack: u32,
    win: u16,
    seq: u32,
    teid: Option<u32>,
    qfi: Option<u8>,
    vni: Option<u32>,
    tsval: Option<u32>,
    sack_le: Option<u32>,
    /// The outer UDP checksum is zero (IPv4, not used).
    udp_zero: bool,
    gre_checksum: bool,
}

fn base(
    tunnel: Option<TunnelRepr>,
    src: IpAddress,
    dst: IpAddress,
    vlans: &[u16],
    payload: &[u8],
) -> Vec<u8> {
    let mut o = TcpOptions { ts: Some((1000, 2000)), sack_len: 2, ..TcpOptions::EMPTY };
    o.sack[0] = (10_000, 11_000);
    o.sack[1] = (12_000, 13_000);
    let r = FrameRepr {
        eth: ETH,
        vlans: VlanStack::from_slice(vlans).unwrap(),
        tunnel,
        src,
        dst,
        ttl: 64,
        l4: L4Repr::Tcp(TcpRepr {
            src_port: 40000,
            dst_port: 5001,
            seq: 7,
            ack: 8,
            flags: 0x18,
            window: 100,
            options: o,
        }),
        payload,
    };
    let mut out = vec![0u8; 2048];
    let n = r.emit(&mut out).unwrap();
    out.truncate(n);
    out
}

fn gtpu(outer_v6: bool, pdu: Option<(u8, u8)>, udp_checksum: bool) -> Option<TunnelRepr> {
    let (s, d) = if outer_v6 { (v6(100), v6(101)) } else { (v4(100), v4(101)) };
    Some(TunnelRepr {
        outer_src: s,
        outer_dst: d,
        encap: EncapRepr::Gtpu {
            gtpu: GtpuRepr {
                msg_type: msg_type::G_PDU,
                teid: 0xabcd_0001,
                seq: None,
                pdu_session: pdu,
            },
            udp_checksum,
        },
    })
}

/// Rewrites ack/window, timestamps and SACK of `f` in place.
fn rewritten(mut f: Vec<u8>, e: &mut Expect) -> Vec<u8> {
    let p = parse(&f);
    assert_eq!(p.error, None);
    rewrite::set_ack_and_window(&mut f, &p, 0x0102_0304, 4321).unwrap();
    rewrite::set_seq(&mut f, &p, 0x0a0b_0c0d).unwrap();
    rewrite::set_timestamps(&mut f, &p, 0x5555_0001, 0x6666_0002).unwrap();
    rewrite::set_sack_blocks(&mut f, &p, &[(20_000, 21_000)]).unwrap();
    e.ack = 0x0102_0304;
    e.win = 4321;
    e.seq = 0x0a0b_0c0d;
    e.tsval = Some(0x5555_0001);
    e.sack_le = Some(20_000);
    f
}

fn cases() -> Vec<(Vec<u8>, Expect)> {
    let mut v = Vec::new();
    let mut push = |f: Vec<u8>, e: Expect| v.push((f, e));
    let payload = [0x5au8; 300];

    let mut e = Expect::default();
    let f = rewritten(base(None, v4(1), v4(2), &[], &payload), &mut e);
    push(f, e);

    let mut e = Expect::default();
    let f = rewritten(base(None, v6(1), v6(2), &[], &payload), &mut e);
    push(f, e);

    // QinQ template; a data copy and an ACK built from it.
    let t = base(None, v4(1), v4(2), &[100, 200], &payload);
    let tp = parse(&t);
    let mut out = vec![0u8; 2048];
    let n = build_data(&t, &tp, 77_777, &[1u8; 500], &mut out).unwrap();
    push(
        out[..n].to_vec(),
        Expect {
            ack: 8,
            win: 100,
            seq: 77_777,
            tsval: Some(1000),
            sack_le: Some(10_000),
            ..Expect::default()
        },
    );
    let sack = [(30_000, 31_000), (32_000, 33_000)];
    let n = build_ack(
        &t,
        &tp,
        &AckFields { seq: 9, ack: 99, window: 999, ts: Some((5, 6)), sack: &sack },
        &mut out,
    )
    .unwrap();
    push(
        out[..n].to_vec(),
        Expect {
            ack: 99,
            win: 999,
            seq: 9,
            tsval: Some(5),
            sack_le: Some(30_000),
            ..Expect::default()
        },
    );

    // GTP-U with a PDU session container, outer IPv4 without UDP checksum.
    let mut e =
        Expect { teid: Some(0xabcd_0001), qfi: Some(9), udp_zero: true, ..Expect::default() };
    let t = rewritten(
        base(gtpu(false, Some((PDU_TYPE_DL, 9)), false), v4(1), v4(2), &[300], &payload),
        &mut e,
    );
    push(t.clone(), e.clone());
    let tp = parse(&t);
    let n = build_ack(
        &t,
        &tp,
        &AckFields { seq: 1, ack: 2, window: 3, ts: Some((4, 5)), sack: &[(6, 7)] },
        &mut out,
    )
    .unwrap();
    push(
        out[..n].to_vec(),
        Expect { ack: 2, win: 3, seq: 1, tsval: Some(4), sack_le: Some(6), ..e },
    );

    // GTP-U, outer IPv6 (UDP checksum mandatory), UL container, inner IPv4.
    let mut e = Expect { teid: Some(0xabcd_0001), qfi: Some(5), ..Expect::default() };
    let t = rewritten(
        base(gtpu(true, Some((PDU_TYPE_UL, 5)), false), v4(1), v4(2), &[], &payload),
        &mut e,
    );
    push(t.clone(), e.clone());
    let tp = parse(&t);
    let n = build_ack(
        &t,
        &tp,
        &AckFields { seq: 11, ack: 12, window: 13, ts: None, sack: &[] },
        &mut out,
    )
    .unwrap();
    push(
        out[..n].to_vec(),
        Expect { ack: 12, win: 13, seq: 11, tsval: None, sack_le: None, ..e.clone() },
    );
    let n = build_data(&t, &tp, 4242, &[9u8; 1200], &mut out).unwrap();
    push(out[..n].to_vec(), Expect { seq: 4242, ..e });

    // GTP-U, outer IPv4 with UDP checksum on, no extension header, inner IPv6.
    let mut e = Expect { teid: Some(0xabcd_0001), ..Expect::default() };
    let f = rewritten(base(gtpu(false, None, true), v6(1), v6(2), &[], &payload), &mut e);
    push(f, e);

    // VXLAN with UDP checksum, inner IPv4.
    let vx = Some(TunnelRepr {
        outer_src: v4(100),
        outer_dst: v4(101),
        encap: EncapRepr::Vxlan { vni: 4242, inner_eth: ETH, udp_checksum: true },
    });
    let mut e = Expect { vni: Some(4242), ..Expect::default() };
    let f = rewritten(base(vx, v4(1), v4(2), &[], &payload), &mut e);
    push(f, e);

    // GRE with checksum and key, Ethernet bridging, inner IPv6.
    let gre = Some(TunnelRepr {
        outer_src: v4(100),
        outer_dst: v4(101),
        encap: EncapRepr::Gre { key: Some(5), seq: None, checksum: true, inner_eth: Some(ETH) },
    });
    let mut e = Expect { gre_checksum: true, ..Expect::default() };
    let f = rewritten(base(gre, v6(1), v6(2), &[], &payload), &mut e);
    push(f, e);
    v
}

const FIELDS: [&str; 13] = [
    "frame.number",
    "ip.checksum.status",
    "udp.checksum.status",
    "tcp.checksum.status",
    "gre.checksum.status",
    "gtp.teid",
    "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
    "vxlan.vni",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "tcp.seq_raw",
    "tcp.options.timestamp.tsval",
    "tcp.options.sack_le",
];

#[test]
fn tshark_agrees() {
    if Command::new("tshark").arg("-v").output().is_err() {
        println!("NOTICE: tshark not on PATH, skipping the Wireshark cross-check");
        return;
    }
    let cases = cases();
    let dir = std::env::temp_dir().join(format!("wire-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rewritten_and_built.pcap");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut w = PcapWriter::new(file).unwrap();
        for (i, (f, _)) in cases.iter().enumerate() {
            w.write_packet(&PcapPacket::new(Duration::from_millis(i as u64), f.len() as u32, f))
                .unwrap();
        }
    }
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&path);
    for pref in ["tcp.check_checksum:TRUE", "udp.check_checksum:TRUE", "ip.check_checksum:TRUE"] {
        cmd.args(["-o", pref]);
    }
    // Raw numbers everywhere: no relative sequence numbers, no name lookup.
    cmd.args([
        "-o",
        "tcp.relative_sequence_numbers:FALSE",
        "-n",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
        "-E",
        "separator=|",
    ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "tshark output:\n{text}");
    for (line, (_, e)) in lines.iter().zip(&cases) {
        let cols: Vec<&str> = line.split('|').collect();
        assert_eq!(cols.len(), FIELDS.len(), "{line}");
        let all =
            |s: &str| s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        // Checksum status: 1 good, 0 bad, 2 unverified, 3 not present.
        for ip in all(cols[1]) {
            assert_eq!(ip, "1", "IPv4 checksum in {line}");
        }
        let udp = all(cols[2]);
        for (i, u) in udp.iter().enumerate() {
            let zero_ok = e.udp_zero && i == 0;
            assert!(u == "1" || (zero_ok && u == "3"), "UDP checksum status {u} in {line}");
        }
        let tcp = all(cols[3]);
        assert_eq!(tcp, vec!["1"], "TCP checksum in {line}");
        if e.gre_checksum {
            assert_eq!(cols[4], "1", "GRE checksum in {line}");
        }
        let num = |s: &str| -> Option<u64> {
            let s = s.split(',').next().filter(|x| !x.is_empty())?;
            Some(if let Some(h) = s.strip_prefix("0x") {
                u64::from_str_radix(h, 16).unwrap()
            } else {
                s.parse().unwrap()
            })
        };
        assert_eq!(num(cols[5]), e.teid.map(u64::from), "TEID in {line}");
        assert_eq!(num(cols[6]), e.qfi.map(u64::from), "QFI in {line}");
        assert_eq!(num(cols[7]), e.vni.map(u64::from), "VNI in {line}");
        assert_eq!(num(cols[8]), Some(u64::from(e.ack)), "ack in {line}");
        assert_eq!(num(cols[9]), Some(u64::from(e.win)), "window in {line}");
        assert_eq!(num(cols[10]), Some(u64::from(e.seq)), "seq in {line}");
        assert_eq!(num(cols[11]), e.tsval.map(u64::from), "TSval in {line}");
        assert_eq!(num(cols[12]), e.sack_le.map(u64::from), "SACK left edge in {line}");
    }
    println!("{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
