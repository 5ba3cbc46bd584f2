//! Property: random segment sequences (both directions, random seq/ack/
//! SACK/flags/options, clock steps including backwards and huge ones,
//! sequence numbers around the wrap) never panic, and every report stays
//! within its invariants. The per-flow state is a fixed-size `Copy` value,
//! so its memory cannot grow; the test checks that too.

use proptest::prelude::*;
use shield::seq::seq_gt;
use shield::{
    ActionConfig, Dir, Emit, Emits, FlowActions, FlowShield, GroupKey, GroupState, GroupTable,
    Segment, ShieldConfig, TcpOpts, Verdict, TRACE_CAPACITY,
};

#[derive(Clone, Debug)]
struct Step {
    from_core: bool,
    seq_off: u32,
    ack_off: u32,
    flags: u8,
    window: u16,
    len: u32,
    ts: Option<(u32, u32)>,
    sack: Vec<(u32, u32)>,
    dt_us: i64,
    mss: Option<u16>,
    wscale: Option<u8>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<bool>(),
        prop_oneof![0u32..200_000, any::<u32>()],
        prop_oneof![0u32..200_000, any::<u32>()],
        any::<u8>(),
        any::<u16>(),
        prop_oneof![Just(0u32), Just(1000), 0u32..70_000, any::<u32>()],
        proptest::option::of((any::<u32>(), any::<u32>())),
        proptest::collection::vec((0u32..200_000, 0u32..200_000), 0..6),
        prop_oneof![0i64..2_000, 0i64..500_000, -1_000i64..0, Just(4_000_000_000i64)],
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(
            |(from_core, seq_off, ack_off, flags, window, len, ts, sack, dt_us, mss, wscale)| {
                Step {
                    from_core,
                    seq_off,
                    ack_off,
                    flags,
                    window,
                    len,
                    ts,
                    sack,
                    dt_us,
                    mss,
                    wscale,
                }
            },
        )
}

fn to_segment(base: u32, s: &Step) -> Segment {
    let mut opts = TcpOpts {
        mss: s.mss,
        wscale: s.wscale,
        sack_perm: s.flags & 0x40 != 0,
        ts: s.ts,
        ..TcpOpts::default()
    };
    for (i, &(l, r)) in s.sack.iter().take(4).enumerate() {
        opts.sack[i] = (base.wrapping_add(l), base.wrapping_add(r));
    }
    // sack_len may claim more blocks than exist: the crate must clamp.
    opts.sack_len = s.sack.len() as u8;
    Segment {
        dir: if s.from_core { Dir::FromCore } else { Dir::FromAccess },
        seq: base.wrapping_add(s.seq_off),
        ack: base.wrapping_add(s.ack_off),
        flags: s.flags,
        window: s.window,
        payload_len: s.len,
        opts,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_never_panic_and_stay_bounded(
        base in prop_oneof![Just(u32::MAX - 100_000), any::<u32>()],
        t0 in prop_oneof![Just(0u64), any::<u64>()],
        steps in proptest::collection::vec(step(), 1..300),
    ) {
        let cfg = ShieldConfig::default();
        let mut now = t0;
        let first = to_segment(base, &steps[0]);
        let mut flow = FlowShield::new(now, &first);
        let mut group = GroupState::new(now);
        let mut groups = GroupTable::with_capacity(16, 1_000_000_000);
        for s in &steps {
            now = if s.dt_us >= 0 {
                now.saturating_add(s.dt_us as u64 * 1000)
            } else {
                now.saturating_sub(s.dt_us.unsigned_abs() * 1000)
            };
            let seg = to_segment(base, s);
            flow.on_segment(now, &seg, &mut group, &cfg);
            let key = GroupKey::from_ipv4([198, 18, (s.seq_off % 7) as u8, 1]);
            if let Some(g) = groups.get_or_insert(&key, now) {
                flow.on_segment(now, &seg, g, &cfg);
            }
            let r = flow.report(now);
            prop_assert!(r.confidence <= 100);
            prop_assert!(r.bytes_in_flight <= i32::MAX as u32);
            prop_assert!(flow.trace().count() <= TRACE_CAPACITY);
            prop_assert!(r.j_loss_events <= r.holes_reported.saturating_add(r.sender_retrans));
            prop_assert!(groups.len() <= 16);
        }
        prop_assert_eq!(core::mem::size_of_val(&flow), FlowShield::SIZE_BYTES);
        for e in flow.trace() {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn random_sequences_with_actions_never_ack_beyond_the_receiver(
        base in prop_oneof![Just(u32::MAX - 100_000), any::<u32>()],
        steps in proptest::collection::vec(step(), 1..300),
    ) {
        // "Beyond" is serial-number order, which is only defined for
        // distances below 2^31: keep sequence jumps to real TCP's range
        // (windows below 2^30, RFC 7323).
        let steps: Vec<Step> = steps
            .into_iter()
            .map(|mut s| {
                s.seq_off %= 1 << 24;
                s.ack_off %= 1 << 24;
                s
            })
            .collect();
        let cfg = ShieldConfig { actions: ActionConfig::all_on(), ..ShieldConfig::default() };
        let mut now = 1_000_000_000u64;
        let mut flow = FlowShield::new(now, &to_segment(base, &steps[0]));
        let mut group = GroupState::new(now);
        let mut actions = FlowActions::new();
        let mut emits = Emits::new();
        let mut r_ack: Option<u32> = None;
        let mut epoch = flow.epoch();
        for s in &steps {
            now = now.saturating_add(s.dt_us.unsigned_abs() * 1000);
            let seg = to_segment(base, s);
            if seg.dir == Dir::FromAccess && seg.flags & shield::FLAG_ACK != 0
                && match r_ack { None => true, Some(a) => seq_gt(seg.ack, a) }
            {
                r_ack = Some(seg.ack);
            }
            emits.clear();
            let v = actions.on_segment(&mut flow, now, &seg, &mut group, &cfg, &mut emits);
            if flow.epoch() != epoch {
                // A new connection on the flow: R's ACKs start over.
                epoch = flow.epoch();
                r_ack = None;
            }
            if let Verdict::RewriteAck { ack, sack, sack_len, .. } = v {
                prop_assert!(r_ack.is_some_and(|r| !seq_gt(ack, r)));
                for b in sack.iter().take(usize::from(sack_len)) {
                    prop_assert!(seg.opts.sack_blocks().contains(b));
                }
            }
            for e in emits.iter() {
                if let Emit::AckToCore { ack, dsack, .. } = *e {
                    prop_assert!(r_ack.is_some_and(|r| !seq_gt(ack, r)));
                    // A DSACK only ever reports data R acknowledged.
                    prop_assert!(dsack.is_none_or(|(_, end)| !seq_gt(end, ack)));
                }
            }
            // The glue's timer, when it asks for one (stall protection).
            if let Some(t) = actions.next_timer_ns(&flow, now, &cfg) {
                if s.flags & 0x80 != 0 {
                    now = now.max(t);
                }
                emits.clear();
                actions.on_timer(&flow, &group, now, &cfg, &mut emits);
                for e in emits.iter() {
                    if let Emit::AckToCore { ack, .. } = *e {
                        prop_assert!(r_ack.is_some_and(|r| !seq_gt(ack, r)));
                    }
                }
            }
        }
    }
}
