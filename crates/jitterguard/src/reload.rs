//! SIGHUP: re-read the config file and apply what can change while the box
//! runs — flow idle timeouts, the log level and the stats interval — without
//! touching any flow. Everything else needs a restart; the reload says which
//! keys those are and leaves them as they were.

use std::path::Path;
use std::sync::Arc;

use dataplane::pipeline::LiveSettings;
use mgmt::snapshot::SnapshotCell;

use crate::config::Config;

/// Changes the log filter of the running subscriber.
pub type SetLogLevel = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Sections (or keys) of `new` that differ from `old` and cannot be applied live.
pub fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.mode != new.mode {
        out.push("mode");
    }
    if old.port_pairs != new.port_pairs {
        out.push("port_pairs");
    }
    if old.dataplane != new.dataplane {
        out.push("dataplane");
    }
    if old.eal != new.eal {
        out.push("eal");
    }
    if old.log.format != new.log.format {
        out.push("log.format");
    }
    if old.flows.capacity != new.flows.capacity
        || old.flows.aging_tick_ms != new.flows.aging_tick_ms
        || old.flows.groups != new.flows.groups
    {
        out.push("flows (capacity, aging_tick_ms, groups)");
    }
    if old.mgmt != new.mgmt {
        out.push("mgmt");
    }
    if old.shield.cache_segments != new.shield.cache_segments
        || old.shield.cache_per_flow != new.shield.cache_per_flow
        || old.shield.control_fraction != new.shield.control_fraction
    {
        out.push("shield (cache_segments, cache_per_flow, control_fraction)");
    }
    out
}

/// Handles one SIGHUP. `current` is updated with what was applied.
pub fn on_sighup(
    path: Option<&Path>,
    current: &mut Config,
    lives: &[Arc<SnapshotCell<LiveSettings>>],
    set_log_level: &SetLogLevel,
    cpus: usize,
) {
    let Some(path) = path else {
        tracing::warn!("SIGHUP: started without --config, nothing to reload");
        return;
    };
    let new = match Config::load(path).and_then(|c| c.validate(cpus).map(|_| c)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("SIGHUP: config not reloaded, the running one stays: {e}");
            return;
        }
    };
    let refused = restart_only_changes(current, &new);
    let mut applied = Vec::new();
    let timeouts_changed = new.flows.timeouts != current.flows.timeouts;
    let shield_live = |s: &crate::config::ShieldSection| {
        let mut s = s.clone();
        (s.cache_segments, s.cache_per_flow, s.control_fraction) = (0, 0, 0.0);
        s
    };
    let shield_changed = shield_live(&new.shield) != shield_live(&current.shield);
    if timeouts_changed || shield_changed {
        current.flows.timeouts = new.flows.timeouts;
        let (cache_segments, cache_per_flow, control_fraction) = (
            current.shield.cache_segments,
            current.shield.cache_per_flow,
            current.shield.control_fraction,
        );
        current.shield = crate::config::ShieldSection {
            cache_segments,
            cache_per_flow,
            control_fraction,
            ..new.shield.clone()
        };
        let live = LiveSettings {
            timeouts: current.flows.timeouts,
            shield: current.shield.to_shield_config(),
        };
        for cell in lives {
            cell.publish(&live);
        }
        if timeouts_changed {
            applied.push("flows.timeouts");
        }
        if shield_changed {
            applied.push("shield (actions and thresholds)");
        }
    }
    if new.log.level != current.log.level {
        match set_log_level(&new.log.level) {
            Ok(()) => {
                current.log.level = new.log.level.clone();
                applied.push("log.level");
            }
            Err(e) => tracing::error!("SIGHUP: log.level not applied: {e}"),
        }
    }
    if new.log.stats_interval_s != current.log.stats_interval_s {
        current.log.stats_interval_s = new.log.stats_interval_s;
        applied.push("log.stats_interval_s");
    }
    if !refused.is_empty() {
        tracing::warn!(
            "SIGHUP: not applied, these need a restart: {} (the running values stay)",
            refused.join(", ")
        );
    }
    tracing::info!(
        "SIGHUP: reloaded {}; applied: {}",
        path.display(),
        if applied.is_empty() { "nothing changed".to_string() } else { applied.join(", ") }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_keys_are_not_reported_as_needing_a_restart() {
        let old = Config::default();
        let mut new = old.clone();
        new.flows.timeouts.tcp_established_s = 60;
        new.log.level = "debug".into();
        new.log.stats_interval_s = 1;
        assert!(restart_only_changes(&old, &new).is_empty());
        new.dataplane.burst_size = 16;
        new.mgmt.listen = "127.0.0.1:9999".into();
        assert_eq!(restart_only_changes(&old, &new), vec!["dataplane", "mgmt"]);
    }
}
