//! ns/packet of parse and rewrite on the frames the shield sees most.
//! Run: `cargo bench -p wire --bench wire`; figures go to docs/benchmarks/wire.md.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use wire::gtpu::{msg_type, GtpuRepr, PDU_TYPE_DL};
use wire::{
    build_ack, parse, parse_into, rewrite, AckFields, EncapRepr, EthernetRepr, FrameRepr,
    IpAddress, L4Repr, Parsed, TcpOptions, TcpRepr, TunnelRepr, VlanStack,
};

const ETH: EthernetRepr = EthernetRepr { dst: [2, 0, 0, 0, 0, 1], src: [2, 0, 0, 0, 0, 2] };

fn tcp(payload: bool) -> TcpRepr {
    TcpRepr {
        src_port: 443,
        dst_port: 40000,
        seq: 1,
        ack: 2,
        flags: if payload { 0x18 } else { 0x10 },
        window: 1000,
        options: TcpOptions { ts: Some((100, 200)), ..TcpOptions::EMPTY },
    }
}

fn frame(tunnel: Option<TunnelRepr>, payload: &[u8]) -> Vec<u8> {
    let r = FrameRepr {
        eth: ETH,
        vlans: VlanStack::new(),
        tunnel,
        src: IpAddress::V4([198, 18, 0, 1]),
        dst: IpAddress::V4([198, 18, 0, 2]),
        ttl: 64,
        l4: L4Repr::Tcp(tcp(!payload.is_empty())),
        payload,
    };
    let mut out = vec![0u8; 2048];
    let n = r.emit(&mut out).expect("bench frame");
    out.truncate(n);
    out
}

fn gtpu() -> TunnelRepr {
    TunnelRepr {
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
    }
}

fn benches(c: &mut Criterion) {
    let ack = frame(None, &[]);
    let data = frame(None, &[0xa5; 1448]); // 1514-byte frame
    let gtp = frame(Some(gtpu()), &[0xa5; 1380]);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("tcp_ack_66B", |b| b.iter(|| parse(black_box(&ack))));
    g.bench_function("tcp_data_1514B", |b| b.iter(|| parse(black_box(&data))));
    g.bench_function("gtpu_psc_tcp_data", |b| b.iter(|| parse(black_box(&gtp))));
    // The dataplane's way: one Parsed slot per packet, filled in place.
    let mut slot = Parsed::EMPTY;
    g.bench_function("gtpu_psc_tcp_data_into", |b| {
        b.iter(|| {
            parse_into(black_box(&gtp), &mut slot);
            black_box(slot.tcp.map(|t| t.seq))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("rewrite");
    g.throughput(Throughput::Elements(1));
    let p = parse(&ack);
    let mut f = ack.clone();
    let mut n = 0u32;
    g.bench_function("ack_and_window", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            rewrite::set_ack_and_window(black_box(&mut f), black_box(&p), n, n as u16)
        })
    });
    let pg = parse(&gtp);
    let mut fg = gtp.clone();
    g.bench_function("ack_and_window_gtpu", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            rewrite::set_ack_and_window(black_box(&mut fg), black_box(&pg), n, n as u16)
        })
    });
    g.bench_function("timestamps", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            rewrite::set_timestamps(black_box(&mut f), black_box(&p), n, n)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("build");
    g.throughput(Throughput::Elements(1));
    let mut out = [0u8; 256];
    let fields = AckFields { seq: 1, ack: 2, window: 3, ts: Some((4, 5)), sack: &[(6, 7)] };
    g.bench_function("ack_from_gtpu_template", |b| {
        b.iter(|| build_ack(black_box(&gtp), black_box(&pg), black_box(&fields), &mut out))
    });
    g.finish();
}

criterion_group!(wire_benches, benches);
criterion_main!(wire_benches);
