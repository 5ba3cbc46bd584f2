//! Invariant checks shared by the cargo-fuzz targets (crates/wire/fuzz) and
//! the stable-toolchain property tests, so both exercise the same code.
//! They panic when an invariant breaks; that is their purpose.

use crate::parse::parse;
use crate::rewrite;
use crate::tcp::TcpSegment;
use crate::{build_ack, build_data, AckFields};

/// `parse` must not panic, and every offset it reports must lie in the frame.
pub fn check_parse(data: &[u8]) {
    let p = parse(data);
    let len = data.len();
    for off in [p.outer_l3, p.inner_l3, p.l4].into_iter().flatten() {
        assert!(off <= len, "offset {off} past frame of {len}");
    }
    if let Some((o, l)) = p.payload {
        assert!(o + l <= len, "payload {o}+{l} past frame of {len}");
    }
    if let Some(t) = p.tunnel {
        assert!(t.header + t.header_len <= len);
    }
    if let (Some(t), Some(l4)) = (p.tcp, p.l4) {
        assert!(l4 + usize::from(t.header_len) <= len);
        assert!(usize::from(t.opts.sack_len) <= crate::tcp_options::MAX_SACK_BLOCKS);
    }
    let _ = p.error.map(|e| e.reason());
}

/// Splits `data` into rewrite parameters and a frame; rewrites must not
/// panic, and a frame whose TCP checksum was right must still verify after
/// any sequence of rewrites.
pub fn check_rewrite(data: &[u8]) {
    let Some((params, frame)) = data.split_first_chunk::<16>() else {
        return;
    };
    let word =
        |i: usize| u32::from_be_bytes([params[i], params[i + 1], params[i + 2], params[i + 3]]);
    let mut f = frame.to_vec();
    let p = parse(&f);
    let was_valid = tcp_checksum_ok(&f);
    let _ = rewrite::set_ack_and_window(
        &mut f,
        &p,
        word(0),
        params[4] as u16 | (params[5] as u16) << 8,
    );
    let _ = rewrite::set_seq(&mut f, &p, word(6));
    let _ = rewrite::raise_tsval(&mut f, &p, word(12));
    let _ = rewrite::set_timestamps(&mut f, &p, word(10), word(0) ^ word(6));
    let blocks = [(word(0), word(6)), (word(10), word(12)), (word(1), word(9))];
    let n = usize::from(params[15] % 5).min(blocks.len());
    let _ = rewrite::set_sack_blocks(&mut f, &p, &blocks[..n]);
    if was_valid == Some(true) {
        assert_eq!(tcp_checksum_ok(&f), Some(true), "rewrite broke a valid checksum");
    }
    let mut out = [0u8; 1600];
    let fields =
        AckFields { seq: word(0), ack: word(6), window: 7, ts: Some((1, 2)), sack: &blocks[..n] };
    if let Ok(len) = build_ack(&f, &p, &fields, &mut out) {
        assert_eq!(tcp_checksum_ok(&out[..len]), Some(true), "built ACK has a bad checksum");
    }
    if let Ok(len) = build_data(&f, &p, word(12), params, &mut out) {
        assert_eq!(tcp_checksum_ok(&out[..len]), Some(true), "built segment has a bad checksum");
    }
}

/// Whether the inner TCP checksum of a fully parsed frame verifies.
fn tcp_checksum_ok(frame: &[u8]) -> Option<bool> {
    let p = parse(frame);
    if p.error.is_some() {
        return None;
    }
    let (t, l4, flow) = (p.tcp?, p.l4?, p.inner?);
    let end = l4 + usize::from(t.header_len) + usize::from(t.payload_len);
    let seg = TcpSegment::new_checked(frame.get(l4..end)?).ok()?;
    Some(seg.verify_checksum(&flow.src, &flow.dst))
}
