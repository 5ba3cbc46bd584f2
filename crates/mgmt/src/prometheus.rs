//! Prometheus text exposition format (version 0.0.4) of a [`StatsSnapshot`].
//!
//! Every family gets `# HELP` and `# TYPE` lines and all of its samples are
//! contiguous; counters end in `_total`; histograms are rendered as
//! cumulative `_bucket{le=...}` series ending with `le="+Inf"`, plus `_sum`
//! and `_count`. Names and label names are sanitised to the allowed
//! character set and label values escaped, so any snapshot content yields a
//! valid exposition (checked against `promtool check metrics` in the tests).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{ArmStats, HistogramSummary, PortStats, StatsSnapshot, WorkerStats};

/// Content-Type header value for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const PREFIX: &str = "jitterguard_";

/// Renders the whole snapshot.
pub fn render(s: &StatsSnapshot) -> String {
    let mut out = String::with_capacity(8192);
    let w = &mut out;

    family(w, "build_info", "gauge", "Build information; always 1.");
    sample(w, "build_info", &[("version", &s.version)], 1.0);

    family(w, "uptime_seconds", "gauge", "Seconds since the dataplane started.");
    sample(w, "uptime_seconds", &[], s.uptime_s);

    port_counters(w, &s.ports);
    worker_counters(w, &s.workers);

    if !s.parse_errors.is_empty() {
        family(w, "parse_errors_total", "counter", "Packets forwarded unparsed, by reason.");
        // Merge duplicate reasons: a family must not repeat a label set.
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        for (reason, n) in &s.parse_errors {
            let c = by_reason.entry(reason.as_str()).or_default();
            *c = c.saturating_add(*n);
        }
        for (reason, n) in by_reason {
            sample(w, "parse_errors_total", &[("reason", reason)], n as f64);
        }
    }

    let f = &s.flows;
    family(w, "flows_active", "gauge", "Flows currently tracked.");
    sample(w, "flows_active", &[], f.active as f64);
    family(w, "flows_capacity", "gauge", "Flow table capacity over all workers.");
    sample(w, "flows_capacity", &[], f.capacity as f64);
    family(w, "flows_created_total", "counter", "Flows created.");
    sample(w, "flows_created_total", &[], f.created as f64);
    family(w, "flows_expired_total", "counter", "Flows removed by idle timeout.");
    sample(w, "flows_expired_total", &[], f.expired as f64);
    family(
        w,
        "flows_table_full_total",
        "counter",
        "New flows forwarded untracked because the flow table was full.",
    );
    sample(w, "flows_table_full_total", &[], f.table_full as f64);

    if !s.flow_states.is_empty() {
        family(w, "flows_by_state", "gauge", "Active flows by lifecycle state.");
        for (state, n) in &s.flow_states {
            sample(w, "flows_by_state", &[("state", state)], *n as f64);
        }
    }

    if !s.shield.is_empty() {
        family(w, "shield_actions_total", "counter", "Shield actions taken, by kind.");
        for (action, n) in &s.shield {
            sample(w, "shield_actions_total", &[("action", action)], *n as f64);
        }
    }

    arms(w, &s.arms);
    histograms(w, &s.histograms);
    out
}

/// Shielded vs control flows: the uplift an operator sees live, e.g.
/// `rate(jitterguard_arm_bytes_acked_total[1m]) / jitterguard_arm_flows_total`.
fn arms(w: &mut String, arms: &[ArmStats]) {
    if arms.is_empty() {
        return;
    }
    type Field = fn(&ArmStats) -> f64;
    let fields: [(&str, &str, Field); 5] = [
        ("arm_flows_total", "TCP flows assigned to the arm.", |a| a.flows as f64),
        ("arm_bytes_acked_total", "Bytes the receiver newly acknowledged.", |a| {
            a.bytes_acked as f64
        }),
        ("arm_sender_retransmits_total", "Sender retransmissions seen by the box.", |a| {
            a.sender_retransmits as f64
        }),
        ("arm_completed_total", "Connections that closed (both FINs or a RST).", |a| {
            a.completed as f64
        }),
        ("arm_completion_seconds_total", "Summed lifetime of the closed connections.", |a| {
            a.completion_us as f64 / 1e6
        }),
    ];
    for (name, help, get) in fields {
        family(w, name, "counter", help);
        for a in arms {
            sample(w, name, &[("arm", &a.arm)], get(a));
        }
    }
}

fn port_counters(w: &mut String, ports: &[PortStats]) {
    if ports.is_empty() {
        return;
    }
    type Field = fn(&PortStats) -> u64;
    let fields: [(&str, &str, Field); 9] = [
        ("port_rx_packets_total", "Packets received.", |p| p.rx_packets),
        ("port_rx_bytes_total", "Bytes received.", |p| p.rx_bytes),
        ("port_tx_packets_total", "Packets transmitted.", |p| p.tx_packets),
        ("port_tx_bytes_total", "Bytes transmitted.", |p| p.tx_bytes),
        ("port_tx_dropped_total", "Packets freed because the TX queue was full.", |p| p.tx_dropped),
        ("port_rx_missed_total", "Packets dropped by the NIC because RX queues were full.", |p| {
            p.rx_missed
        }),
        ("port_rx_errors_total", "Erroneous received packets.", |p| p.rx_errors),
        ("port_tx_errors_total", "Failed transmissions.", |p| p.tx_errors),
        ("port_rx_nombuf_total", "RX mbuf allocation failures.", |p| p.rx_nombuf),
    ];
    for (name, help, get) in fields {
        family(w, name, "counter", help);
        for p in ports {
            let id = p.port_id.to_string();
            sample(w, name, &[("port", &p.name), ("port_id", &id)], get(p) as f64);
        }
    }
}

fn worker_counters(w: &mut String, workers: &[WorkerStats]) {
    if workers.is_empty() {
        return;
    }
    type Field = fn(&WorkerStats) -> u64;
    let counters: [(&str, &str, Field); 9] = [
        ("worker_rx_packets_total", "Packets taken from RX queues.", |x| x.rx),
        ("worker_tx_packets_total", "Packets handed to TX queues.", |x| x.tx),
        ("worker_dropped_total", "Packets dropped by the worker.", |x| x.dropped),
        ("worker_handoff_in_total", "Packets received from other workers.", |x| x.handoff_in),
        ("worker_handoff_out_total", "Packets passed to other workers.", |x| x.handoff_out),
        ("worker_handoff_full_total", "Hand-offs refused because the ring was full.", |x| {
            x.handoff_full
        }),
        ("worker_bursts_total", "Non-empty RX bursts processed.", |x| x.bursts),
        ("worker_busy_cycles_total", "TSC cycles spent processing non-empty bursts.", |x| {
            x.busy_cycles
        }),
        ("worker_idle_polls_total", "Loop iterations that found no work.", |x| x.idle_polls),
    ];
    for (name, help, get) in counters {
        family(w, name, "counter", help);
        for x in workers {
            let lcore = x.lcore.to_string();
            sample(w, name, &[("lcore", &lcore)], get(x) as f64);
        }
    }
    family(w, "worker_flows_active", "gauge", "Flows owned by the worker.");
    for x in workers {
        let lcore = x.lcore.to_string();
        sample(w, "worker_flows_active", &[("lcore", &lcore)], x.flows_active as f64);
    }
}

fn histograms(w: &mut String, hs: &[HistogramSummary]) {
    // Group by sanitised name: one HELP/TYPE per family, label sets below.
    let mut families: BTreeMap<String, Vec<&HistogramSummary>> = BTreeMap::new();
    for h in hs {
        families.entry(metric_name(&h.name)).or_default().push(h);
    }
    for (name, members) in families {
        let help = members.first().map_or("", |h| h.help.as_str());
        family_prefixed(w, &name, "histogram", help);
        for h in members {
            let labels: Vec<(String, &str)> = h
                .labels
                .iter()
                .filter(|(k, _)| label_name(k) != "le")
                .map(|(k, v)| (label_name(k), v.as_str()))
                .collect();
            let mut last_le = f64::NEG_INFINITY;
            let mut last_count = 0u64;
            for b in &h.buckets {
                // Buckets must be strictly increasing in `le` and
                // non-decreasing in count; skip anything that is not.
                if !b.le.is_finite() || b.le <= last_le {
                    continue;
                }
                let count = b.count.max(last_count).min(h.count);
                last_le = b.le;
                last_count = count;
                let le = format_value(round_sig(b.le));
                write_sample(w, &name, "_bucket", &labels, Some(&le), count as f64);
            }
            write_sample(w, &name, "_bucket", &labels, Some("+Inf"), h.count as f64);
            write_sample(w, &name, "_sum", &labels, None, round_sig(h.sum));
            write_sample(w, &name, "_count", &labels, None, h.count as f64);
        }
    }
}

fn family(w: &mut String, name: &str, kind: &str, help: &str) {
    family_prefixed(w, &metric_name(name), kind, help);
}

/// Like `family` for a name that already carries the prefix.
fn family_prefixed(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

fn sample(w: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    let name = metric_name(name);
    let labels: Vec<(String, &str)> = labels.iter().map(|(k, v)| (label_name(k), *v)).collect();
    write_sample(w, &name, "", &labels, None, value);
}

fn write_sample(
    w: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(String, &str)],
    le: Option<&str>,
    value: f64,
) {
    w.push_str(name);
    w.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        w.push('{');
        let mut first = true;
        for (k, v) in labels {
            if !first {
                w.push(',');
            }
            first = false;
            let _ = write!(w, "{k}=\"{}\"", escape_label(v));
        }
        if let Some(le) = le {
            if !first {
                w.push(',');
            }
            let _ = write!(w, "le=\"{le}\"");
        }
        w.push('}');
    }
    w.push(' ');
    w.push_str(&format_value(value));
    w.push('\n');
}

/// `jitterguard_` + the name with every disallowed character replaced.
fn metric_name(name: &str) -> String {
    let mut out = String::with_capacity(PREFIX.len() + name.len());
    out.push_str(PREFIX);
    for c in name.chars() {
        out.push(if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' });
    }
    out
}

fn label_name(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    // Must not start with a digit, and `__` is reserved.
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) || out.starts_with("__") {
        out.insert_str(0, "l_");
    }
    out
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Rounds to 12 significant digits, so bounds scaled from integer units
/// print as `0.05`, not `0.049999999999999996`.
fn round_sig(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.11e}").parse().unwrap_or(v)
}

/// Integers without a fraction, finite floats in Rust's shortest
/// round-trip form, and the spellings Prometheus uses for the rest.
fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_sanitised() {
        assert_eq!(metric_name("flow rtt-seconds"), "jitterguard_flow_rtt_seconds");
        assert_eq!(label_name("9x"), "l_9x");
        assert_eq!(label_name("__x"), "l___x");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn values_use_prometheus_spellings() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(round_sig(50_000.0 * 1e-6)), "0.05");
        assert_eq!(format_value(round_sig(123_456_789.0)), "123456789");
    }
}
