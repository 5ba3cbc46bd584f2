//! The management thread's view of the dataplane: assembles mgmt's
//! `StatsSnapshot` and `FlowRow`s from the workers' relaxed-atomic counters
//! and published flow dumps. Nothing here blocks a worker.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use dataplane::pipeline::stats::{Arm, ArmTotals};
use dataplane::pipeline::{FlowDump, FlowDumpRow, PipelineStats};
use dataplane::{port, WorkerCounters};
use mgmt::model::{ArmStats, FlowRow, FlowStats, PortStats, StatsSnapshot, WorkerStats};
use mgmt::snapshot::SnapshotCell;
use mgmt::MetricsSource;

/// One port as the management plane names it.
pub struct PortInfo {
    pub side: &'static str,
    pub name: String,
    pub id: u16,
}

/// The flow pipeline of one worker (monitor and shield modes).
pub struct WorkerPipeline {
    pub lcore: u32,
    pub stats: Arc<PipelineStats>,
    pub dump: Arc<SnapshotCell<FlowDump>>,
}

pub struct DataplaneMetrics {
    pub started: Instant,
    /// Histogram families (collected from the workers on every read).
    pub histograms: std::sync::Mutex<Vec<mgmt::histogram::HistogramGroup>>,
    pub ports: Vec<PortInfo>,
    pub workers: Vec<Arc<WorkerCounters>>,
    pub pipelines: Vec<WorkerPipeline>,
    pub flow_capacity: u64,
    /// Shield mode: export the shielded and control arms.
    pub shield_mode: bool,
}

/// Adds one worker's totals of an arm.
fn add_arm(a: &mut ArmStats, (flows, bytes, retx, done, us): ArmTotals) {
    a.flows += flows;
    a.bytes_acked += bytes;
    a.sender_retransmits += retx;
    a.completed += done;
    a.completion_us += us;
}

fn endpoint(a: (IpAddr, u16)) -> String {
    match a.0 {
        IpAddr::V4(v4) => format!("{v4}:{}", a.1),
        IpAddr::V6(v6) => format!("[{v6}]:{}", a.1),
    }
}

fn proto_name(p: u8) -> String {
    match p {
        6 => "tcp".into(),
        17 => "udp".into(),
        n => format!("ip{n}"),
    }
}

/// A dump row as the CLI and exporters show it.
pub fn flow_row(lcore: u32, now_ns: u64, r: &FlowDumpRow) -> FlowRow {
    let core = r.core_side;
    let access = core.opposite();
    let k = &r.key;
    let vlan = k.vlan();
    let report = r.report.as_ref();
    let ms = |us: Option<u32>| us.map(|v| f64::from(v) / 1000.0);
    FlowRow {
        id: r.id,
        lcore,
        proto: proto_name(k.proto()),
        core: endpoint(k.endpoint(core)),
        access: endpoint(k.endpoint(access)),
        vlan: (vlan != [0, 0]).then(|| format!("{}.{}", vlan[0], vlan[1])),
        tunnel: k.tunnel().map(|(a, b)| format!("{a}<->{b}")),
        teid_core: r.teid[core.index()],
        teid_access: r.teid[access.index()],
        qfi: None,
        state: r.state.name().to_string(),
        age_s: now_ns.saturating_sub(r.created_ns) as f64 / 1e9,
        idle_s: now_ns.saturating_sub(r.last_seen_ns) as f64 / 1e9,
        packets_core: r.counters[core.index()].packets,
        bytes_core: r.counters[core.index()].bytes,
        packets_access: r.counters[access.index()].packets,
        bytes_access: r.counters[access.index()].bytes,
        rtt_min_ms: report.and_then(|x| ms(x.j_rtt_min_us)),
        rtt_ms: report.and_then(|x| ms(x.j_srtt_us)),
        jitter_ms: report.map(|x| f64::from(x.jitter_us) / 1000.0),
        loss_j: report.map(|x| f64::from(x.j_loss_ppm) / 1e6),
        reorder_events: report.map(|x| u64::from(x.reorder_events)),
        delivery_mbps: report.map(|x| f64::from(x.delivery_rate_kbps) / 1000.0),
        retrans: report.map(|x| u64::from(x.sender_retrans)),
        spurious_retrans: report.map(|x| u64::from(x.counterfactual.spurious_retrans)),
        class: report.map(|x| x.class.to_string()),
    }
}

impl DataplaneMetrics {
    /// Every worker's latest dump rows, with the worker's lcore and clock.
    pub fn dump_rows(&self) -> Vec<(u32, u64, FlowDumpRow)> {
        let mut out = Vec::new();
        for p in &self.pipelines {
            let d = p.dump.read();
            out.extend(d.rows.iter().map(|r| (p.lcore, d.now_ns, *r)));
        }
        out
    }
}

impl MetricsSource for DataplaneMetrics {
    fn stats(&self) -> StatsSnapshot {
        let mut s = StatsSnapshot {
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: self.started.elapsed().as_secs_f64(),
            ..Default::default()
        };
        for p in &self.ports {
            let st = port::stats_of(p.id);
            s.ports.push(PortStats {
                name: format!("{}:{}", p.side, p.name),
                port_id: p.id,
                rx_packets: st.rx_packets,
                rx_bytes: st.rx_bytes,
                tx_packets: st.tx_packets,
                tx_bytes: st.tx_bytes,
                tx_dropped: 0,
                rx_missed: st.rx_missed,
                rx_errors: st.rx_errors,
                tx_errors: st.tx_errors,
                rx_nombuf: st.rx_nombuf,
            });
        }
        for w in &self.workers {
            let l = w.read();
            let flows_active = self
                .pipelines
                .iter()
                .find(|p| p.lcore == w.lcore)
                .map_or(0, |p| p.stats.read().flows_active);
            s.workers.push(WorkerStats {
                lcore: w.lcore,
                rx: l.rx_from_core + l.rx_from_access,
                tx: l.tx,
                dropped: l.tx_dropped + l.hook_dropped + l.handoff_dropped,
                handoff_in: l.handoff_in,
                handoff_out: l.handoff_out,
                handoff_full: l.handoff_dropped,
                bursts: l.bursts,
                busy_cycles: l.busy_cycles,
                idle_polls: 0,
                flows_active,
            });
        }
        let mut reasons: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut fs = FlowStats {
            capacity: self.flow_capacity * self.pipelines.len() as u64,
            ..Default::default()
        };
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        let mut traffic: BTreeMap<String, u64> = BTreeMap::new();
        let mut arms = [
            ArmStats { arm: "shielded".into(), ..Default::default() },
            ArmStats { arm: "control".into(), ..Default::default() },
        ];
        for p in &self.pipelines {
            let l = p.stats.read();
            for (i, n) in l.parse_errors.iter().enumerate() {
                *reasons.entry(wire::ParseError::ALL_REASONS[i]).or_default() += n;
            }
            fs.active += l.flows_active;
            fs.created += l.flows_created;
            fs.expired += l.flows_expired;
            fs.table_full += l.table_full;
            for (k, v) in [
                ("clear", l.flows_clear),
                ("jitter", l.flows_jitter),
                ("congested", l.flows_congested),
            ] {
                *states.entry(k.into()).or_default() += v;
            }
            for (k, v) in PipelineStats::named(&l) {
                // The arm totals get their own families below.
                if !(k.starts_with("shielded_") || k.starts_with("control_")) {
                    *traffic.entry(k.into()).or_default() += v;
                }
            }
            if self.shield_mode {
                add_arm(&mut arms[0], l.arm_totals(Arm::Shielded));
                add_arm(&mut arms[1], l.arm_totals(Arm::Control));
            }
        }
        if self.shield_mode {
            s.arms = arms.to_vec();
        }
        s.parse_errors = reasons.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        s.flows = fs;
        s.flow_states = states;
        if let Ok(mut groups) = self.histograms.lock() {
            for g in groups.iter_mut() {
                g.collect();
                s.histograms.push(g.summary());
            }
        }
        // Pipeline counters ride in the `shield` map until shield actions
        // exist, so operators see traffic classes next to flow states.
        s.shield = traffic;
        s
    }

    fn flows(&self, top: usize) -> Vec<FlowRow> {
        let mut rows: Vec<FlowRow> =
            self.dump_rows().iter().map(|(lc, now, r)| flow_row(*lc, *now, r)).collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.bytes_core + r.bytes_access));
        rows.truncate(top);
        rows
    }

    fn explain(&self, flow_id: u64) -> Option<serde_json::Value> {
        let (lcore, now, row) = self.dump_rows().into_iter().find(|(_, _, r)| r.id == flow_id)?;
        let trace: Vec<String> = row.trace.iter().flatten().map(|e| e.to_string()).collect();
        Some(serde_json::json!({
            "flow": flow_row(lcore, now, &row),
            "trace": trace,
            "report": row.report.map(|r| format!("{r:?}")),
        }))
    }
}

/// `/jitterguard/stats`: the snapshot flattened into one dictionary.
pub fn telemetry_stats(m: &DataplaneMetrics) -> Vec<(String, dataplane::telemetry::TelValue)> {
    use dataplane::telemetry::TelValue::U64;
    let s = m.stats();
    let mut out = vec![("uptime_s".to_string(), U64(s.uptime_s as u64))];
    for p in &s.ports {
        let n = p.name.replace(':', "_");
        out.push((format!("port_{n}_rx_packets"), U64(p.rx_packets)));
        out.push((format!("port_{n}_tx_packets"), U64(p.tx_packets)));
        out.push((format!("port_{n}_rx_missed"), U64(p.rx_missed)));
    }
    for w in &s.workers {
        out.push((format!("lcore{}_rx", w.lcore), U64(w.rx)));
        out.push((format!("lcore{}_tx", w.lcore), U64(w.tx)));
        out.push((format!("lcore{}_dropped", w.lcore), U64(w.dropped)));
        out.push((format!("lcore{}_handoff_in", w.lcore), U64(w.handoff_in)));
    }
    out.push(("flows_active".into(), U64(s.flows.active)));
    out.push(("flows_created".into(), U64(s.flows.created)));
    out.push(("flows_expired".into(), U64(s.flows.expired)));
    out.push(("flows_table_full".into(), U64(s.flows.table_full)));
    for (k, v) in &s.flow_states {
        out.push((format!("class_{k}"), U64(*v)));
    }
    for (k, v) in &s.parse_errors {
        if *v > 0 {
            out.push((format!("parse_{k}"), U64(*v)));
        }
    }
    out
}

/// `/jitterguard/flows[,N]`: the top N flows, one summary string each.
pub fn telemetry_flows(
    m: &DataplaneMetrics,
    params: &str,
) -> Vec<(String, dataplane::telemetry::TelValue)> {
    let top = params.trim().parse::<usize>().unwrap_or(20).min(256);
    m.flows(top)
        .into_iter()
        .map(|f| {
            let ms = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.1}"));
            let summary = format!(
                "{} {}->{} {} {} rtt={}/{}ms loss={:.2}% reord={}",
                f.proto,
                f.core,
                f.access,
                f.state,
                f.class.as_deref().unwrap_or("-"),
                ms(f.rtt_min_ms),
                ms(f.rtt_ms),
                f.loss_j.unwrap_or(0.0) * 100.0,
                f.reorder_events.unwrap_or(0)
            );
            (f.id.to_string(), dataplane::telemetry::TelValue::Str(summary))
        })
        .collect()
}

/// The histogram families the dataplane feeds.
pub struct Histograms {
    pub cost: mgmt::histogram::HistogramGroup,
    pub rtt: mgmt::histogram::HistogramGroup,
    pub jitter: mgmt::histogram::HistogramGroup,
}

impl Histograms {
    pub fn new() -> Histograms {
        use mgmt::histogram::{HistogramBounds, HistogramGroup};
        let none = std::collections::BTreeMap::new;
        let us = HistogramBounds { low: 1, high: 60_000_000, sigfig: 2 };
        let group = |name, help, bounds, scale, buckets: &[u64]| {
            HistogramGroup::new(name, help, none(), bounds, scale, buckets)
                .expect("static histogram bounds are valid")
        };
        Histograms {
            cost: group(
                "packet_cost_cycles",
                "TSC cycles per packet of each burst a worker processed (rx to end of tx)",
                HistogramBounds { low: 1, high: 100_000_000, sigfig: 2 },
                1.0,
                &[50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000],
            ),
            rtt: group(
                "flow_j_rtt_seconds",
                "Smoothed RTT of the jittery segment J of the top flows, sampled at each flow dump",
                us,
                1e-6,
                &[
                    1_000, 5_000, 10_000, 20_000, 40_000, 60_000, 100_000, 200_000, 500_000,
                    1_000_000,
                ],
            ),
            jitter: group(
                "flow_j_jitter_seconds",
                "Delay variation of J of the top flows, sampled at each flow dump",
                us,
                1e-6,
                &[100, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000],
            ),
        }
    }

    pub fn into_vec(self) -> Vec<mgmt::histogram::HistogramGroup> {
        vec![self.cost, self.rtt, self.jitter]
    }
}
