//! Path groups: flows that share the access-side /24 (IPv4) or /64 (IPv6),
//! or the same GTP-U tunnel peer, most likely share J's bottleneck. Their
//! flows' tick evidence is pooled into a group class with its own
//! hysteresis: one flow's losses at high queuing delay are evidence that
//! its neighbours' losses are congestive too.

use crate::classify::{Class, Hysteresis, Reason};
use crate::config::ShieldConfig;

/// Identity of a path group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupKey {
    /// Access-side IPv4 /24.
    V4Net([u8; 3]),
    /// Access-side IPv6 /64.
    V6Net([u8; 8]),
    /// GTP-U tunnel peer (the gNB's address), IPv4.
    TunnelPeerV4([u8; 4]),
    /// GTP-U tunnel peer, IPv6.
    TunnelPeerV6([u8; 16]),
}

impl GroupKey {
    /// The /24 of an access-side IPv4 address.
    pub fn from_ipv4(addr: [u8; 4]) -> Self {
        GroupKey::V4Net([addr[0], addr[1], addr[2]])
    }

    /// The /64 of an access-side IPv6 address.
    pub fn from_ipv6(addr: [u8; 16]) -> Self {
        let mut p = [0u8; 8];
        p.copy_from_slice(&addr[..8]);
        GroupKey::V6Net(p)
    }

    /// A GTP-U tunnel peer, from its address bytes (4 or 16; any other
    /// length is not an address and yields None).
    pub fn from_tunnel_peer(addr: &[u8]) -> Option<Self> {
        if let Ok(a) = <[u8; 4]>::try_from(addr) {
            return Some(GroupKey::TunnelPeerV4(a));
        }
        <[u8; 16]>::try_from(addr).ok().map(GroupKey::TunnelPeerV6)
    }

    /// FNV-1a over a type tag and the key bytes (stable, no allocation).
    fn hash64(&self) -> u64 {
        let (tag, bytes): (u8, &[u8]) = match self {
            GroupKey::V4Net(b) => (1, b),
            GroupKey::V6Net(b) => (2, b),
            GroupKey::TunnelPeerV4(b) => (3, b),
            GroupKey::TunnelPeerV6(b) => (4, b),
        };
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &x in core::iter::once(&tag).chain(bytes) {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
}

/// Per-group classifier input and state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupState {
    hyst: Hysteresis,
    tick_start_ns: u64,
    /// Votes of the current tick: Clear, Jitter, Congested.
    votes: [u32; 3],
    last_seen_ns: u64,
    last_congested_pct: u32,
    ticks: u32,
    /// A flow of the group has seen loss at high queuing delay (drop-tail
    /// overflow), ever.
    saw_congestion: bool,
}

/// A snapshot of a group for the management side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupReport {
    /// The group's class.
    pub class: Class,
    /// 0..=100.
    pub confidence: u8,
    /// Share of flow votes that said Congested in the last group tick (%).
    pub last_congested_pct: u32,
    /// Group ticks evaluated.
    pub ticks: u32,
}

impl GroupState {
    /// A fresh group: Congested with confidence 0 (unsure).
    pub fn new(now_ns: u64) -> Self {
        GroupState {
            hyst: Hysteresis::default(),
            tick_start_ns: now_ns,
            votes: [0; 3],
            last_seen_ns: now_ns,
            last_congested_pct: 0,
            ticks: 0,
            saw_congestion: false,
        }
    }

    /// Whether the group's class must override its flows': it is Congested
    /// and one of its flows has seen loss at high queuing delay (a fresh
    /// group is Congested only by default, out of caution, and a queue a
    /// flow builds in slow start is not congestion loss; neither vetoes a
    /// flow's own measurement).
    pub fn vetoes(&self) -> bool {
        self.hyst.class == Class::Congested && self.saw_congestion
    }

    /// The group's class.
    pub fn class(&self) -> Class {
        self.hyst.class
    }

    /// Confidence in the group's class, 0..=100.
    pub fn confidence(&self) -> u8 {
        self.hyst.confidence
    }

    /// Snapshot.
    pub fn report(&self) -> GroupReport {
        GroupReport {
            class: self.hyst.class,
            confidence: self.hyst.confidence,
            last_congested_pct: self.last_congested_pct,
            ticks: self.ticks,
        }
    }

    /// A flow of the group finished a tick with evidence `ev` for `reason`
    /// (an unmeasured flow does not vote). Returns the group's previous
    /// class if this vote closed a group tick that changed it.
    pub(crate) fn record_vote(
        &mut self,
        now_ns: u64,
        ev: Class,
        reason: Reason,
        cfg: &ShieldConfig,
    ) -> Option<(Class, Reason)> {
        self.last_seen_ns = self.last_seen_ns.max(now_ns);
        let measured = reason != Reason::Unmeasured;
        if reason == Reason::LossAtHighQueue {
            self.saw_congestion = true;
        }
        let i = match ev {
            Class::Clear => 0,
            Class::Jitter => 1,
            Class::Congested => 2,
        };
        if measured {
            if let Some(v) = self.votes.get_mut(i) {
                *v = v.saturating_add(1);
            }
        }
        if now_ns.saturating_sub(self.tick_start_ns) < u64::from(cfg.group_tick_us) * 1_000 {
            return None;
        }
        let [clear, jitter, congested] = self.votes;
        if clear.saturating_add(jitter).saturating_add(congested) == 0 {
            return None; // no measured vote this tick: keep the tick open
        }
        let total = clear.saturating_add(jitter).saturating_add(congested).max(1);
        let pct = (u64::from(congested) * 100 / u64::from(total)) as u32;
        self.last_congested_pct = pct;
        self.votes = [0; 3];
        self.tick_start_ns = now_ns;
        self.ticks = self.ticks.saturating_add(1);
        let group_ev = if pct >= cfg.group_congested_pct {
            Class::Congested
        } else if jitter > 0 {
            Class::Jitter
        } else {
            Class::Clear
        };
        let strong = pct == 0 || pct >= 50;
        self.hyst.vote(group_ev, strong, cfg).map(|old| (old, Reason::GroupVotes))
    }

    /// Last time a flow touched the group.
    pub fn last_seen_ns(&self) -> u64 {
        self.last_seen_ns
    }
}

/// Fixed-capacity table of groups: open addressing with bounded linear
/// probing, allocated once at construction. A group idle for longer than
/// `idle_ns` is reused in place. When no slot is free within the probe
/// bound, `get_or_insert` returns None: the caller fails open (the flow is
/// measured against a scratch group, or only per flow).
#[derive(Clone, Debug)]
pub struct GroupTable {
    slots: Vec<Option<(GroupKey, GroupState)>>,
    mask: usize,
    idle_ns: u64,
    len: usize,
}

const MAX_PROBE: usize = 16;

impl GroupTable {
    /// `capacity` is rounded up to a power of two (at least 16).
    pub fn with_capacity(capacity: usize, idle_ns: u64) -> Self {
        let cap = capacity.max(MAX_PROBE).next_power_of_two();
        GroupTable { slots: vec![None; cap], mask: cap - 1, idle_ns, len: 0 }
    }

    /// Groups present (including idle ones not yet reused).
    pub fn len(&self) -> usize {
        self.len
    }

    /// No groups.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The group of `key`, if present.
    pub fn get(&self, key: &GroupKey) -> Option<&GroupState> {
        let h = key.hash64() as usize;
        (0..MAX_PROBE)
            .map(|k| (h.wrapping_add(k)) & self.mask)
            .map_while(|i| self.slots.get(i).and_then(|s| s.as_ref()))
            .find(|(k, _)| k == key)
            .map(|(_, g)| g)
    }

    /// The group of `key`, created (or an idle slot reused) if absent.
    /// None when the probe window is full of live groups (fail open).
    pub fn get_or_insert(&mut self, key: &GroupKey, now_ns: u64) -> Option<&mut GroupState> {
        let i = self.find_or_insert(key, now_ns)?;
        self.slots.get_mut(i)?.as_mut().map(|(_, g)| g)
    }

    /// As [`GroupTable::get_or_insert`], looking first in slot `hint`, where
    /// the caller last found `key`, and updating it: a flow's packets all
    /// name the same group, so this saves the hash and the probe on nearly
    /// every packet.
    pub fn get_or_insert_hinted(
        &mut self,
        key: &GroupKey,
        hint: &mut u32,
        now_ns: u64,
    ) -> Option<&mut GroupState> {
        let hit = matches!(self.slots.get(*hint as usize), Some(Some((k, _))) if k == key);
        let i = if hit {
            *hint as usize
        } else {
            let i = self.find_or_insert(key, now_ns)?;
            *hint = i as u32;
            i
        };
        self.slots.get_mut(i)?.as_mut().map(|(_, g)| g)
    }

    /// The slot of `key`'s group, created (or an idle slot reused) if absent.
    fn find_or_insert(&mut self, key: &GroupKey, now_ns: u64) -> Option<usize> {
        let h = key.hash64() as usize;
        let mut free: Option<usize> = None;
        let mut found: Option<usize> = None;
        for k in 0..MAX_PROBE {
            let i = h.wrapping_add(k) & self.mask;
            match self.slots.get(i) {
                Some(Some((k2, g))) => {
                    if k2 == key {
                        found = Some(i);
                        break;
                    }
                    if free.is_none() && now_ns.saturating_sub(g.last_seen_ns) > self.idle_ns {
                        free = Some(i);
                    }
                }
                Some(None) => {
                    free = free.or(Some(i));
                    break;
                }
                None => break,
            }
        }
        let i = match found {
            Some(i) => i,
            None => {
                let i = free?;
                let slot = self.slots.get_mut(i)?;
                if slot.is_none() {
                    self.len += 1;
                }
                *slot = Some((*key, GroupState::new(now_ns)));
                i
            }
        };
        Some(i)
    }

    /// Every group, for the management snapshot.
    pub fn iter(&self) -> impl Iterator<Item = (&GroupKey, &GroupState)> {
        self.slots.iter().filter_map(|s| s.as_ref().map(|(k, g)| (k, g)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_by_prefix_and_peer() {
        assert_eq!(GroupKey::from_ipv4([198, 18, 7, 1]), GroupKey::from_ipv4([198, 18, 7, 200]));
        assert_ne!(GroupKey::from_ipv4([198, 18, 7, 1]), GroupKey::from_ipv4([198, 18, 8, 1]));
        let mut a = [0u8; 16];
        a[0] = 0x20;
        a[1] = 0x01;
        let mut b = a;
        b[15] = 9;
        assert_eq!(GroupKey::from_ipv6(a), GroupKey::from_ipv6(b));
        b[7] = 1;
        assert_ne!(GroupKey::from_ipv6(a), GroupKey::from_ipv6(b));
        assert_eq!(
            GroupKey::from_tunnel_peer(&[198, 19, 0, 1]),
            Some(GroupKey::TunnelPeerV4([198, 19, 0, 1]))
        );
        assert!(GroupKey::from_tunnel_peer(&[1, 2, 3]).is_none());
        assert!(matches!(GroupKey::from_tunnel_peer(&a), Some(GroupKey::TunnelPeerV6(_))));
    }

    #[test]
    fn table_inserts_finds_fails_open_and_reuses_idle() {
        let mut t = GroupTable::with_capacity(16, 1_000);
        for i in 0..16u8 {
            assert!(t.get_or_insert(&GroupKey::from_ipv4([10, 0, i, 1]), 0).is_some());
        }
        assert_eq!(t.len(), 16);
        assert!(t.get(&GroupKey::from_ipv4([10, 0, 3, 9])).is_some());
        assert!(
            t.get_or_insert(&GroupKey::from_ipv4([10, 1, 0, 1]), 0).is_none(),
            "full: fail open"
        );
        // Later, all groups idle: a new key reuses a slot.
        assert!(t.get_or_insert(&GroupKey::from_ipv4([10, 1, 0, 1]), 10_000).is_some());
        assert!(t.get(&GroupKey::from_ipv4([10, 1, 0, 1])).is_some());
        assert_eq!(t.len(), 16);
    }

    #[test]
    fn a_hinted_lookup_finds_the_keys_group_whatever_the_hint_says() {
        let mut t = GroupTable::with_capacity(16, 1_000);
        let (a, b) = (GroupKey::from_ipv4([10, 0, 1, 1]), GroupKey::from_ipv4([10, 0, 2, 1]));
        let addr = |g: Option<&mut GroupState>| g.map(|g| g as *const GroupState as usize);
        let ga = addr(t.get_or_insert(&a, 0));
        let gb = addr(t.get_or_insert(&b, 0));
        // No hint yet (out of range), then the hint it learnt.
        let mut hint = u32::MAX;
        assert_eq!(addr(t.get_or_insert_hinted(&a, &mut hint, 0)), ga);
        let learnt = hint;
        assert_eq!(addr(t.get_or_insert_hinted(&a, &mut hint, 0)), ga);
        assert_eq!(hint, learnt);
        // A hint naming another key's slot (the flow's group slot reused,
        // or a different flow's hint) is checked, not trusted.
        assert_eq!(addr(t.get_or_insert_hinted(&b, &mut hint, 0)), gb);
        assert_ne!(hint, learnt);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn group_turns_congested_when_a_quarter_of_votes_say_so() {
        let cfg = ShieldConfig::default();
        let mut g = GroupState::new(0);
        let tick = u64::from(cfg.group_tick_us) * 1_000;
        let mut changes = 0;
        for t in 1..=4u64 {
            for _ in 0..3 {
                g.record_vote(t * tick - 1, Class::Jitter, Reason::Loss, &cfg);
            }
            if g.record_vote(t * tick, Class::Jitter, Reason::Loss, &cfg).is_some() {
                changes += 1;
            }
        }
        assert_eq!(g.class(), Class::Jitter);
        assert_eq!(changes, 1);
        for t in 5..=6u64 {
            for _ in 0..3 {
                g.record_vote(t * tick - 1, Class::Jitter, Reason::Loss, &cfg);
            }
            g.record_vote(t * tick, Class::Congested, Reason::LossAtHighQueue, &cfg);
        }
        assert_eq!(g.class(), Class::Congested);
        assert_eq!(g.report().last_congested_pct, 25);
    }
}
