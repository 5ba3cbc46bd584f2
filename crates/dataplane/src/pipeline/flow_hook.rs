//! The `monitor` pipeline for one worker: parse every frame, send it to the
//! worker that owns its flow (symmetric inner hash), track the flow, and run
//! the shield's measurement on TCP segments. Every frame is forwarded
//! unchanged; unparsable frames are counted by reason and forwarded too.

use std::net::IpAddr;
use std::sync::Arc;

use flow::{FlowKey, FlowTable, FlowTableConfig, PacketInfo, TopFlowsScanner};
use mgmt::snapshot::SnapshotCell;
use shield::{Class, Dir, FlowShield, GroupKey, GroupState, GroupTable, Segment, ShieldConfig};
use wire::{IpAddress, Parsed, TunnelKind};

use crate::forward::{Direction, Outbox, PacketHook, Verdict};
use crate::mbuf::Packet;
use crate::pipeline::dump::{FlowDump, FlowDumpRow};
use crate::pipeline::stats::{reason_index, PipelineLocal, PipelineStats};

/// What the table keeps per flow: the shield's state for TCP flows.
#[derive(Clone, Copy, Debug)]
pub struct FlowValue {
    pub tcp: Option<FlowShield>,
    /// The path group this flow was filed under (for its effective class).
    pub group: Option<GroupKey>,
}

/// Everything a worker's pipeline needs at construction.
pub struct FlowHookConfig {
    pub worker: u16,
    pub workers: u16,
    pub table: FlowTableConfig,
    pub groups: usize,
    pub shield: ShieldConfig,
    /// Rows in the published flow dump (top flows by bytes).
    pub dump_rows: usize,
    /// How often the dump is republished.
    pub publish_every_ns: u64,
}

/// Settings the management thread may change while the box runs (SIGHUP).
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveSettings {
    pub timeouts: flow::Timeouts,
    pub shield: ShieldConfig,
}

/// Shared with the management thread.
pub struct FlowHookShared {
    pub stats: Arc<PipelineStats>,
    pub dump: Arc<SnapshotCell<FlowDump>>,
    /// New settings published on reload; the worker picks them up between
    /// bursts (it only looks at the version, one relaxed load, per loop).
    pub live: Arc<SnapshotCell<LiveSettings>>,
}

pub struct FlowHook {
    worker: u16,
    workers: u16,
    table: FlowTable<FlowValue>,
    groups: GroupTable,
    /// Used when the group table is full (fail-open: measured, never acted on).
    scratch_group: GroupState,
    shield: ShieldConfig,
    local: PipelineLocal,
    shared: FlowHookShared,
    scanner: TopFlowsScanner,
    next_publish_ns: u64,
    publish_every_ns: u64,
    next_stats_ns: u64,
    live_version: u64,
    /// Parse result slot reused for every frame (no 300-byte copy per frame).
    parsed: Parsed,
}

const EXPIRE_BUDGET: usize = 256;
const SCAN_SLOTS_PER_LOOP: usize = 4096;

fn ip(a: IpAddress) -> IpAddr {
    match a {
        IpAddress::V4(b) => IpAddr::from(b),
        IpAddress::V6(b) => IpAddr::from(b),
    }
}

fn class_slot(l: &mut PipelineLocal, c: Class) -> &mut u64 {
    match c {
        Class::Clear => &mut l.flows_clear,
        Class::Jitter => &mut l.flows_jitter,
        Class::Congested => &mut l.flows_congested,
    }
}

/// The shield's input for a parsed TCP segment.
pub fn segment_of(p: &Parsed, dir: Direction) -> Option<Segment> {
    let t = p.tcp?;
    Some(Segment {
        dir: match dir {
            Direction::CoreToAccess => Dir::FromCore,
            Direction::AccessToCore => Dir::FromAccess,
        },
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        payload_len: u32::from(t.payload_len),
        opts: shield::TcpOpts {
            mss: t.opts.mss,
            wscale: t.opts.wscale,
            sack_perm: t.opts.sack_perm,
            ts: t.opts.ts,
            sack: t.opts.sack,
            sack_len: t.opts.sack_len,
        },
    })
}

/// The path group of a flow: the GTP-U peer on the access side when
/// tunnelled, else the access-side address's /24 or /64.
fn group_key(p: &Parsed, dir: Direction) -> Option<GroupKey> {
    if let Some(t) = &p.tunnel {
        if matches!(t.kind, TunnelKind::Gtpu { .. }) {
            let peer = match dir {
                Direction::AccessToCore => t.outer_src,
                Direction::CoreToAccess => t.outer_dst,
            };
            return match peer {
                IpAddress::V4(b) => GroupKey::from_tunnel_peer(&b),
                IpAddress::V6(b) => GroupKey::from_tunnel_peer(&b),
            };
        }
    }
    let inner = p.inner?;
    let access = match dir {
        Direction::AccessToCore => inner.src,
        Direction::CoreToAccess => inner.dst,
    };
    Some(match access {
        IpAddress::V4(b) => GroupKey::from_ipv4(b),
        IpAddress::V6(b) => GroupKey::from_ipv6(b),
    })
}

impl FlowHook {
    pub fn new(cfg: FlowHookConfig, shared: FlowHookShared) -> FlowHook {
        let now = 0;
        FlowHook {
            worker: cfg.worker,
            workers: cfg.workers.max(1),
            table: FlowTable::new(&cfg.table, now),
            groups: GroupTable::with_capacity(cfg.groups, 60_000_000_000),
            scratch_group: GroupState::new(now),
            shield: cfg.shield,
            local: PipelineLocal::default(),
            shared,
            scanner: TopFlowsScanner::new(cfg.dump_rows),
            next_publish_ns: 0,
            publish_every_ns: cfg.publish_every_ns,
            next_stats_ns: 0,
            live_version: 0,
            parsed: Parsed::EMPTY,
        }
    }

    /// Applies settings published since the last look (SIGHUP reload).
    fn apply_live_settings(&mut self) {
        let v = self.shared.live.version();
        if v == self.live_version {
            return;
        }
        self.live_version = v;
        let s = self.shared.live.read();
        self.table.set_timeouts(s.timeouts);
        self.shield = s.shield;
    }

    fn track(&mut self, p: &Parsed, dir: Direction, frame_len: usize, now: u64) {
        let Some(inner) = p.inner else { return };
        let vl = p.vlans.as_slice();
        let vlan = [vl.first().copied().unwrap_or(0), vl.get(1).copied().unwrap_or(0)];
        let tunnel = p.tunnel.map(|t| (ip(t.outer_src), ip(t.outer_dst)));
        let (key, side) = FlowKey::from_packet(
            ip(inner.src),
            ip(inner.dst),
            inner.proto,
            inner.sport,
            inner.dport,
            vlan,
            tunnel,
        );
        let teid = match p.tunnel.map(|t| t.kind) {
            Some(TunnelKind::Gtpu { teid, .. }) => Some(teid),
            _ => None,
        };
        let info = PacketInfo {
            side,
            from_core: dir == Direction::CoreToAccess,
            len: frame_len as u32,
            tcp_flags: p.tcp.map(|t| t.flags),
            teid,
        };
        let hash = key.symmetric_hash();
        let seg = segment_of(p, dir);
        let (id, created) =
            match self.table.track(&key, hash, &info, now, || FlowValue { tcp: None, group: None })
            {
                Ok(r) => r,
                Err(_) => {
                    self.local.table_full += 1;
                    return;
                }
            };
        if created {
            self.local.flows_created += 1;
        }
        let Some(seg) = seg else { return };
        let Some(entry) = self.table.get_mut(id) else { return };
        let v = &mut entry.value;
        if v.tcp.is_none() {
            let fs = FlowShield::new(now, &seg);
            *class_slot(&mut self.local, fs.class()) += 1;
            v.tcp = Some(fs);
            v.group = group_key(p, dir);
        }
        let group = match v.group.and_then(|g| self.groups.get_or_insert(&g, now)) {
            Some(g) => g,
            None => &mut self.scratch_group,
        };
        if let Some(fs) = v.tcp.as_mut() {
            let before = fs.class();
            let _ = fs.on_segment(now, &seg, group, &self.shield);
            let after = fs.class();
            if before != after {
                let b = class_slot(&mut self.local, before);
                *b = b.saturating_sub(1);
                *class_slot(&mut self.local, after) += 1;
            }
        }
    }

    fn publish(&mut self, now: u64) {
        let table = &self.table;
        let worker = self.worker;
        let ranked = self.scanner.ranked();
        self.shared.dump.publish_with(|d: &mut FlowDump| {
            d.now_ns = now;
            d.worker = worker;
            d.rows.clear();
            for (id, _) in ranked {
                if d.rows.len() == d.rows.capacity() {
                    break;
                }
                if let Some(e) = table.get(*id) {
                    d.rows.push(FlowDumpRow::of(*id, e, now));
                }
            }
        });
    }
}

impl PacketHook for FlowHook {
    #[inline]
    fn on_packet(
        &mut self,
        mut pkt: Packet<'_>,
        dir: Direction,
        now: u64,
        _out: &mut Outbox,
    ) -> Verdict {
        let frame = pkt.frame_mut();
        wire::parse_into(frame, &mut self.parsed);
        let p = self.parsed;
        if p.is_arp {
            self.local.arp += 1;
        }
        if let Some(e) = &p.error {
            self.local.parse_exceptions += 1;
            self.local.parse_errors[reason_index(e)] += 1;
            // Still track what was understood (a fragment has its 5-tuple).
            if p.inner.is_none() {
                return Verdict::Forward;
            }
        }
        let Some(inner) = p.inner else { return Verdict::Forward };
        match inner.proto {
            wire::parse::ip_protocol::TCP => self.local.tcp += 1,
            wire::parse::ip_protocol::UDP => self.local.udp += 1,
            _ => self.local.other_ip += 1,
        }
        if p.tunnel.is_some() {
            self.local.tunneled += 1;
        }
        if self.workers > 1 {
            let (key, _) = FlowKey::from_packet(
                ip(inner.src),
                ip(inner.dst),
                inner.proto,
                inner.sport,
                inner.dport,
                [0, 0],
                p.tunnel.map(|t| (ip(t.outer_src), ip(t.outer_dst))),
            );
            let owner = (key.symmetric_hash() % u32::from(self.workers)) as u16;
            if owner != self.worker {
                self.local.handed_off += 1;
                return Verdict::HandOff(owner);
            }
        }
        let len = frame.len();
        self.track(&p, dir, len, now);
        Verdict::Forward
    }

    fn on_loop_end(&mut self, now: u64, _out: &mut Outbox) {
        self.apply_live_settings();
        let local = &mut self.local;
        self.table.expire(now, EXPIRE_BUDGET, |_, e| {
            local.flows_expired += 1;
            if let Some(fs) = e.value.tcp {
                let c = class_slot(local, fs.class());
                *c = c.saturating_sub(1);
            }
        });
        self.scanner.step(&self.table, SCAN_SLOTS_PER_LOOP);
        if now >= self.next_publish_ns {
            self.next_publish_ns = now + self.publish_every_ns;
            self.publish(now);
        }
        // Counters are published at most every 100 µs: cheap, and fresh
        // enough for any exporter.
        if now >= self.next_stats_ns {
            self.next_stats_ns = now + 100_000;
            self.local.flows_active = self.table.len() as u64;
            self.shared.stats.publish(&self.local);
        }
    }

    fn on_stop(&mut self, now: u64) {
        self.publish(now);
        self.local.flows_active = self.table.len() as u64;
        self.shared.stats.publish(&self.local);
    }
}
