//! Counter reports: periodic log lines (through tracing, human or JSON) and
//! the final counters printed on stdout as `key=value` lines, which the
//! benchmark scripts parse.

use std::sync::Arc;
use std::time::Duration;

use dataplane::WorkerCounters;

use crate::run::PairPorts;

fn ports(pairs: &[PairPorts]) -> impl Iterator<Item = (&'static str, &dataplane::Port)> {
    pairs.iter().flat_map(|p| [("core", &p.core), ("access", &p.access)])
}

pub fn log_periodic(pairs: &[PairPorts], counters: &[Arc<WorkerCounters>], up: Duration, _hz: u64) {
    for (side, port) in ports(pairs) {
        let s = port.stats();
        tracing::info!(
            uptime_s = up.as_secs(),
            side,
            port = port.name(),
            rx = s.rx_packets,
            tx = s.tx_packets,
            rx_missed = s.rx_missed,
            tx_errors = s.tx_errors,
            "port counters"
        );
    }
    for c in counters {
        let l = c.read();
        tracing::info!(
            uptime_s = up.as_secs(),
            lcore = c.lcore,
            rx_from_core = l.rx_from_core,
            rx_from_access = l.rx_from_access,
            tx = l.tx,
            tx_dropped = l.tx_dropped,
            hook_dropped = l.hook_dropped,
            "worker counters"
        );
    }
}

pub fn print_final(pairs: &[PairPorts], counters: &[Arc<WorkerCounters>], up: Duration, hz: u64) {
    let secs = up.as_secs_f64().max(1e-9);
    println!("final elapsed_s={:.3}", secs);
    for (side, port) in ports(pairs) {
        let s = port.stats();
        println!(
            "final port={side} name={} rx_packets={} rx_bytes={} tx_packets={} tx_bytes={} \
             rx_missed={} rx_errors={} tx_errors={} rx_nombuf={}",
            port.name(),
            s.rx_packets,
            s.rx_bytes,
            s.tx_packets,
            s.tx_bytes,
            s.rx_missed,
            s.rx_errors,
            s.tx_errors,
            s.rx_nombuf
        );
    }
    let (mut rx, mut tx) = (0u64, 0u64);
    for c in counters {
        let l = c.read();
        let pkts = l.rx_from_core + l.rx_from_access;
        rx += pkts;
        tx += l.tx;
        let cpp = if pkts > 0 { l.busy_cycles as f64 / pkts as f64 } else { 0.0 };
        println!(
            "final lcore={} rx_from_core={} rx_from_access={} tx={} tx_dropped={} \
             hook_dropped={} handoff_out={} handoff_in={} handoff_dropped={} bursts={} \
             cycles_per_packet={cpp:.1} tsc_hz={hz}",
            c.lcore,
            l.rx_from_core,
            l.rx_from_access,
            l.tx,
            l.tx_dropped,
            l.hook_dropped,
            l.handoff_out,
            l.handoff_in,
            l.handoff_dropped,
            l.bursts,
        );
    }
    println!(
        "final total rx={rx} tx={tx} rx_mpps={:.3} tx_mpps={:.3}",
        rx as f64 / secs / 1e6,
        tx as f64 / secs / 1e6
    );
}

/// Monitor/shield modes: what the pipeline saw, and the top flows.
pub fn print_pipeline(metrics: &crate::metrics::DataplaneMetrics) {
    if metrics.pipelines.is_empty() {
        return;
    }
    use mgmt::MetricsSource;
    let s = metrics.stats();
    let kv = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
    };
    println!(
        "final flows active={} created={} expired={} table_full={}",
        s.flows.active, s.flows.created, s.flows.expired, s.flows.table_full
    );
    println!("final classes {}", kv(&s.flow_states));
    println!("final pipeline {}", kv(&s.shield));
    for a in &s.arms {
        println!(
            "final arm={} flows={} bytes_acked={} sender_retransmits={} completed={} completion_us={}",
            a.arm, a.flows, a.bytes_acked, a.sender_retransmits, a.completed, a.completion_us
        );
    }
    let errors: Vec<String> =
        s.parse_errors.iter().filter(|(_, n)| *n > 0).map(|(k, n)| format!("{k}={n}")).collect();
    println!(
        "final parse_exceptions {}",
        if errors.is_empty() { "none".into() } else { errors.join(" ") }
    );
    let flows = metrics.flows(10);
    for f in &flows {
        println!("final flow {}", serde_json::to_string(f).unwrap_or_default());
    }
    if !flows.is_empty() {
        println!();
        print!("{}", mgmt::render::flows_table(&flows));
    }
}
