//! Runs one codec operation in a tight loop, for measuring CPU time per
//! packet with `perf stat -e task-clock` (on-CPU time only, so the figure
//! holds even when other processes share the cores):
//!
//! ```text
//! cargo build --release -p wire --example parse_loop
//! perf stat -e task-clock target/release/examples/parse_loop gtpu 10000000
//! ```
//! Cases: ack, data, gtpu, rewrite, build_ack. Prints ns/op from wall time too.

use std::hint::black_box;
use std::time::Instant;

use wire::gtpu::{msg_type, GtpuRepr, PDU_TYPE_DL};
use wire::{
    build_ack, parse_into, rewrite, AckFields, EncapRepr, EthernetRepr, FrameRepr, IpAddress,
    L4Repr, Parsed, TcpOptions, TcpRepr, TunnelRepr, VlanStack,
};

fn frame(tunnel: Option<TunnelRepr>, payload: &[u8]) -> Vec<u8> {
    let r = FrameRepr {
        eth: EthernetRepr::default(),
        vlans: VlanStack::new(),
        tunnel,
        src: IpAddress::V4([198, 18, 0, 1]),
        dst: IpAddress::V4([198, 18, 0, 2]),
        ttl: 64,
        l4: L4Repr::Tcp(TcpRepr {
            src_port: 443,
            dst_port: 40000,
            seq: 1,
            ack: 2,
            flags: if payload.is_empty() { 0x10 } else { 0x18 },
            window: 1000,
            options: TcpOptions { ts: Some((100, 200)), ..TcpOptions::EMPTY },
        }),
        payload,
    };
    let mut out = vec![0u8; 2048];
    let n = r.emit(&mut out).expect("frame");
    out.truncate(n);
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "gtpu".to_owned());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let gtpu = TunnelRepr {
        outer_src: IpAddress::V4([198, 19, 0, 1]),
        outer_dst: IpAddress::V4([198, 19, 0, 2]),
        encap: EncapRepr::Gtpu {
            gtpu: GtpuRepr {
                msg_type: msg_type::G_PDU,
                teid: 0x1234,
                seq: None,
                pdu_session: Some((PDU_TYPE_DL, 9)),
            },
            udp_checksum: false,
        },
    };
    let ack = frame(None, &[]);
    let data = frame(None, &[0xa5; 1448]);
    let gtp = frame(Some(gtpu), &[0xa5; 1380]);
    let mut slot = Parsed::EMPTY;
    let start = Instant::now();
    match case.as_str() {
        "ack" | "data" | "gtpu" => {
            let f = match case.as_str() {
                "ack" => &ack,
                "data" => &data,
                _ => &gtp,
            };
            for _ in 0..n {
                parse_into(black_box(f), &mut slot);
                black_box(&slot);
            }
        }
        "rewrite" => {
            parse_into(&gtp, &mut slot);
            let mut f = gtp.clone();
            for i in 0..n {
                let r = rewrite::set_ack_and_window(
                    black_box(&mut f),
                    black_box(&slot),
                    i as u32,
                    i as u16,
                );
                black_box(r).expect("rewrite");
            }
        }
        "build_ack" => {
            parse_into(&gtp, &mut slot);
            let mut out = [0u8; 256];
            for i in 0..n {
                let f = AckFields {
                    seq: 1,
                    ack: i as u32,
                    window: 3,
                    ts: Some((4, 5)),
                    sack: &[(6, 7)],
                };
                black_box(build_ack(black_box(&gtp), black_box(&slot), &f, &mut out))
                    .expect("build");
            }
        }
        other => {
            eprintln!("unknown case {other}: ack, data, gtpu, rewrite, build_ack");
            std::process::exit(2);
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{case}: {n} ops, {ns:.1} ns/op wall clock");
}
