//! Human-readable tables for the CLI (`jitterguard stats`,
//! `jitterguard flows --top N`).

use std::fmt::Write;

use crate::model::{FlowRow, HistogramSummary, StatsSnapshot};

/// Text columns left-aligned (the first one always), numbers
/// right-aligned, two spaces between.
struct Table {
    header: Vec<String>,
    left: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table::with_text_columns(header, &[])
    }

    fn with_text_columns(header: &[&str], left: &[usize]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            left: left.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                let w = c.chars().count();
                match widths.get_mut(i) {
                    Some(x) => *x = (*x).max(w),
                    None => widths.push(w),
                }
            }
        }
        let line = |out: &mut String, cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                if i > 0 {
                    s.push_str("  ");
                }
                if i == 0 || self.left.contains(&i) {
                    let _ = write!(s, "{c:<w$}");
                } else {
                    let _ = write!(s, "{c:>w$}");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(out, &self.header);
        for r in &self.rows {
            line(out, r);
        }
    }
}

/// 1234567 -> "1.23M"; exact below 10 000.
fn si(n: u64) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    if n < 10_000 {
        return n.to_string();
    }
    let v = n as f64;
    for (scale, unit) in UNITS {
        if v >= scale {
            return format!("{:.2}{unit}", v / scale);
        }
    }
    n.to_string()
}

fn opt_f(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => "-".to_string(),
    }
}

fn opt_u(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), si)
}

fn duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "-".to_string();
    }
    let total = s as u64;
    let (d, h, m, sec) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60);
    if d > 0 {
        format!("{d}d{h:02}h{m:02}m")
    } else if h > 0 {
        format!("{h}h{m:02}m{sec:02}s")
    } else if m > 0 {
        format!("{m}m{sec:02}s")
    } else {
        format!("{s:.1}s")
    }
}

/// Values in seconds are shown in ms/us for readability.
fn hist_value(h: &HistogramSummary, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "-".to_string();
    };
    if h.name.ends_with("_seconds") {
        if v < 1e-3 {
            format!("{:.1}us", v * 1e6)
        } else {
            format!("{:.2}ms", v * 1e3)
        }
    } else {
        format!("{v:.0}")
    }
}

/// Sums counts of repeated reasons (workers report theirs separately).
fn merged_reasons(items: &[(String, u64)]) -> Vec<(&str, u64)> {
    let mut merged: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for (reason, n) in items {
        let c = merged.entry(reason.as_str()).or_default();
        *c = c.saturating_add(*n);
    }
    merged.into_iter().collect()
}

/// The `jitterguard stats` screen.
pub fn stats_table(s: &StatsSnapshot) -> String {
    let mut out = String::new();
    let version = if s.version.is_empty() { "?" } else { &s.version };
    let _ = writeln!(out, "jitterguard {version}  uptime {}", duration(s.uptime_s));
    let f = &s.flows;
    let _ = writeln!(
        out,
        "flows: {} active / {} capacity, {} created, {} expired, {} table-full",
        si(f.active),
        si(f.capacity),
        si(f.created),
        si(f.expired),
        si(f.table_full)
    );

    if !s.ports.is_empty() {
        out.push('\n');
        let mut t = Table::new(&[
            "PORT", "RX PKTS", "RX BYTES", "TX PKTS", "TX BYTES", "TX DROP", "RX MISS", "ERRORS",
        ]);
        for p in &s.ports {
            t.row(vec![
                format!("{} ({})", p.name, p.port_id),
                si(p.rx_packets),
                si(p.rx_bytes),
                si(p.tx_packets),
                si(p.tx_bytes),
                si(p.tx_dropped),
                si(p.rx_missed),
                si(p.rx_errors.saturating_add(p.tx_errors).saturating_add(p.rx_nombuf)),
            ]);
        }
        t.render(&mut out);
    }

    if !s.workers.is_empty() {
        out.push('\n');
        let mut t = Table::new(&[
            "LCORE",
            "RX",
            "TX",
            "DROP",
            "HANDOFF IN",
            "HANDOFF OUT",
            "HO FULL",
            "BURSTS",
            "CYC/PKT",
            "FLOWS",
        ]);
        for w in &s.workers {
            let per_pkt = if w.rx > 0 {
                format!("{:.0}", w.busy_cycles as f64 / w.rx as f64)
            } else {
                "-".to_string()
            };
            t.row(vec![
                w.lcore.to_string(),
                si(w.rx),
                si(w.tx),
                si(w.dropped),
                si(w.handoff_in),
                si(w.handoff_out),
                si(w.handoff_full),
                si(w.bursts),
                per_pkt,
                si(w.flows_active),
            ]);
        }
        t.render(&mut out);
    }

    let counters: [(&str, Vec<(&str, u64)>); 3] = [
        ("PARSE ERRORS", merged_reasons(&s.parse_errors)),
        ("FLOW STATE", s.flow_states.iter().map(|(k, v)| (k.as_str(), *v)).collect()),
        ("SHIELD ACTION", s.shield.iter().map(|(k, v)| (k.as_str(), *v)).collect()),
    ];
    for (title, items) in counters {
        if items.is_empty() {
            continue;
        }
        out.push('\n');
        let mut t = Table::new(&[title, "COUNT"]);
        for (k, v) in items {
            t.row(vec![k.to_string(), si(v)]);
        }
        t.render(&mut out);
    }

    if !s.arms.is_empty() {
        out.push('\n');
        let mut t =
            Table::new(&["ARM", "FLOWS", "BYTES ACKED", "SENDER RETX", "CLOSED", "MEAN LIFETIME"]);
        for a in &s.arms {
            let mean = match a.completed {
                0 => "-".to_string(),
                n => format!("{:.3}s", a.completion_us as f64 / n as f64 / 1e6),
            };
            t.row(vec![
                a.arm.clone(),
                si(a.flows),
                si(a.bytes_acked),
                si(a.sender_retransmits),
                si(a.completed),
                mean,
            ]);
        }
        t.render(&mut out);
    }

    if !s.histograms.is_empty() {
        out.push('\n');
        let mut t = Table::new(&["HISTOGRAM", "COUNT", "P50", "P90", "P99", "P99.9", "MAX"]);
        for h in &s.histograms {
            let mut name = h.name.clone();
            if !h.labels.is_empty() {
                let labels: Vec<String> =
                    h.labels.iter().map(|(k, v)| format!("{k}={}", v.escape_default())).collect();
                let _ = write!(name, "{{{}}}", labels.join(","));
            }
            t.row(vec![
                name,
                si(h.count),
                hist_value(h, h.percentile(0.5)),
                hist_value(h, h.percentile(0.9)),
                hist_value(h, h.percentile(0.99)),
                hist_value(h, h.percentile(0.999)),
                hist_value(h, (h.count > 0).then_some(h.max)),
            ]);
        }
        t.render(&mut out);
    }
    out
}

/// The `jitterguard flows --top N` screen: one line per flow, core side on
/// the left.
pub fn flows_table(rows: &[FlowRow]) -> String {
    let mut t = Table::with_text_columns(
        &[
            "ID",
            "FLOW (core -> access)",
            "STATE",
            "AGE",
            "IDLE",
            "PKTS c/a",
            "BYTES c/a",
            "RTTmin ms",
            "RTT ms",
            "JIT ms",
            "LOSS %",
            "REORD",
            "Mbit/s",
            "RETX",
            "SPUR",
            "CLASS",
        ],
        &[1, 2, 15],
    );
    for r in rows {
        let mut flow = format!("{} {} -> {}", r.proto, r.core, r.access);
        if let Some(v) = &r.vlan {
            let _ = write!(flow, " vlan {v}");
        }
        if let Some(tun) = &r.tunnel {
            let _ = write!(flow, " gtpu {tun}");
            let teid = |t: Option<u32>| t.map_or_else(|| "-".to_string(), |t| format!("{t:#x}"));
            let _ = write!(flow, " teid {}/{}", teid(r.teid_core), teid(r.teid_access));
            if let Some(q) = r.qfi {
                let _ = write!(flow, " qfi {q}");
            }
        }
        t.row(vec![
            r.id.to_string(),
            flow,
            r.state.clone(),
            duration(r.age_s),
            duration(r.idle_s),
            format!("{}/{}", si(r.packets_core), si(r.packets_access)),
            format!("{}/{}", si(r.bytes_core), si(r.bytes_access)),
            opt_f(r.rtt_min_ms, 1),
            opt_f(r.rtt_ms, 1),
            opt_f(r.jitter_ms, 1),
            opt_f(r.loss_j.map(|l| l * 100.0), 2),
            opt_u(r.reorder_events),
            opt_f(r.delivery_mbps, 1),
            opt_u(r.retrans),
            opt_u(r.spurious_retrans),
            r.class.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("no flows\n");
    } else {
        t.render(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_and_duration_formats() {
        assert_eq!(si(9999), "9999");
        assert_eq!(si(1_234_567), "1.23M");
        assert_eq!(duration(3.25), "3.2s");
        assert_eq!(duration(3725.0), "1h02m05s");
        assert_eq!(duration(90_061.0), "1d01h01m");
    }
}
