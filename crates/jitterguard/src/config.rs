//! The TOML configuration: schema with defaults, loading, command-line
//! overrides and validation. Every error names the key and the problem.
//! The reference with every option and its default is `configs/README.md`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// What the box does to the traffic it forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Forward every frame unchanged (no parsing).
    Passthrough,
    /// Parse, track and measure every TCP flow; forward every frame unchanged.
    Monitor,
    /// Monitor, and act on flows the classifier finds jittery.
    Shield,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Passthrough => "passthrough",
            Mode::Monitor => "monitor",
            Mode::Shield => "shield",
        }
    }
}

/// Whether the EAL uses hugepages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hugepages {
    /// Use hugepages if the system has free ones, otherwise run with `--no-huge`.
    Auto,
    /// Refuse to start without free hugepages (production NIC setups).
    Require,
    /// Always `--no-huge` (virtual devices, CI).
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// One bump in the wire: the port facing the sender side and the one facing
/// the access (receiver) side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortPair {
    /// Devargs of the core-side port: a PCI address or a vdev string.
    pub core: String,
    /// Devargs of the access-side port.
    pub access: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataplaneConfig {
    /// CPU of the EAL main lcore, which runs the management loop.
    pub main_lcore: u32,
    /// CPUs of the worker lcores; one worker per entry, each serving RX/TX
    /// queue `i` of every port. Empty = the CPU after `main_lcore`.
    pub worker_lcores: Vec<u32>,
    /// Frames per rx_burst, 1..=64.
    pub burst_size: usize,
    /// Mbufs in the packet pool.
    pub mempool_size: u32,
    /// Per-lcore mempool cache.
    pub mempool_cache: u32,
    /// RX descriptors per queue (the PMD may adjust).
    pub rx_desc: u16,
    /// TX descriptors per queue (the PMD may adjust).
    pub tx_desc: u16,
    /// Extra tx_burst attempts before frames are dropped and counted.
    pub tx_retries: u32,
    /// Stop by itself once no frame has arrived for this many milliseconds
    /// (after the first one); 0 = run until SIGINT/SIGTERM. For pcap replays.
    pub idle_exit_ms: u64,
    /// Replay pcap input in capture time: frames of both ports are processed
    /// merged in the order of their capture timestamps, and measurements use
    /// the capture's clock (net_pcap only; one worker, one port pair).
    pub replay_in_capture_time: bool,
}

impl Default for DataplaneConfig {
    fn default() -> Self {
        DataplaneConfig {
            main_lcore: 0,
            worker_lcores: Vec::new(),
            burst_size: 32,
            mempool_size: 16383,
            mempool_cache: 256,
            rx_desc: 1024,
            tx_desc: 1024,
            tx_retries: 8,
            idle_exit_ms: 0,
            replay_in_capture_time: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EalConfig {
    pub hugepages: Hugepages,
    /// Memory in MiB when running without hugepages.
    pub no_huge_memory_mb: u32,
    /// EAL `--file-prefix`: separates instances; `dpdk-dumpcap` and
    /// `dpdk-telemetry.py` need the same prefix to attach.
    pub file_prefix: String,
    /// Further EAL arguments, appended after the generated ones.
    pub args: Vec<String>,
}

impl Default for EalConfig {
    fn default() -> Self {
        EalConfig {
            hugepages: Hugepages::Auto,
            no_huge_memory_mb: 512,
            file_prefix: "jitterguard".into(),
            args: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. "info" or "jitterguard=debug".
    pub level: String,
    pub format: LogFormat,
    /// Seconds between counter log lines; 0 = only the final counters.
    pub stats_interval_s: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), format: LogFormat::Human, stats_interval_s: 10 }
    }
}

/// The management plane: HTTP exporter and flow dumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MgmtConfig {
    /// Serve /metrics, /stats.json and /flows.json; "" disables the server.
    pub listen: String,
    /// Allow `listen` on a non-loopback address (exposes flow data).
    pub allow_non_loopback: bool,
    /// Rows each worker publishes in its flow dump (top flows by bytes).
    pub flow_dump_rows: usize,
    /// Milliseconds between flow dump publications.
    pub flow_dump_interval_ms: u64,
}

impl Default for MgmtConfig {
    fn default() -> Self {
        MgmtConfig {
            listen: "127.0.0.1:9477".into(),
            allow_non_loopback: false,
            flow_dump_rows: 256,
            flow_dump_interval_ms: 500,
        }
    }
}

/// Flow tracking (monitor and shield modes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowsConfig {
    /// Flows per worker; the table is preallocated at start.
    pub capacity: usize,
    /// Aging granularity in milliseconds.
    pub aging_tick_ms: u32,
    /// Path groups (access /24 or /64, GTP-U peer) per worker.
    pub groups: usize,
    /// Idle timeouts per flow state, in seconds (reloadable with SIGHUP).
    pub timeouts: flow::Timeouts,
}

impl Default for FlowsConfig {
    fn default() -> Self {
        FlowsConfig {
            capacity: 1 << 20,
            aging_tick_ms: 100,
            groups: 65536,
            timeouts: flow::Timeouts::default(),
        }
    }
}

/// Shield mode: which actions run, and their bounds. Every action acts only
/// while the classifier calls the flow (and its path group) Jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShieldSection {
    /// Retransmit holes on J from the box's cache of forwarded segments.
    pub local_recovery: bool,
    /// Keep SACK blocks revealing a young or under-repair hole on J from S.
    pub hide_holes: bool,
    /// Keep hiding a hole while the box's repair is under way (S's ACK clock
    /// stops for a J RTT); off: shown once repaired, S undoes its cut.
    pub hide_under_repair: bool,
    /// Hide young holes only until the flow showed this many reorderings
    /// (0 = always).
    pub hide_young_max_reorders: u32,
    /// Hide holes only while at most this many are open; 0 = one fewer than
    /// the SACK blocks R lists (2 with timestamps, 3 without).
    pub max_hidden_holes: u32,
    /// Do not forward DSACKs caused by the box's own retransmissions.
    pub filter_own_dsack: bool,
    /// Keep S's retransmissions of data R already acknowledged off J.
    pub duplicate_suppression: bool,
    /// Stall protection: hold a reserve of whole segments behind R's ACK
    /// and release it one segment at a time when J stalls past S's RTO.
    pub stall_protection: bool,
    /// Segments kept in reserve (stall protection).
    pub reserve_segments: u32,
    /// Release a reserve segment after J was silent this % of S's RTO.
    pub release_at_rto_pct: u32,
    /// ACK pacing: bunched ACKs from R go to S no faster than
    /// `ack_pacing_gain_pct` of J's max delivery rate (token bucket
    /// `ack_pacing_burst_segments` deep), none held longer than
    /// `ack_pacing_max_delay_us`.
    pub ack_pacing: bool,
    /// See `ack_pacing`.
    pub ack_pacing_gain_pct: u32,
    /// See `ack_pacing`.
    pub ack_pacing_burst_segments: u32,
    /// See `ack_pacing`.
    pub ack_pacing_max_delay_us: u32,
    /// Window rewriting: S's right edge does not grow while J stalls (it
    /// never moves back).
    pub window_hold_in_stall: bool,
    /// Window rewriting: S's right edge grows no further than the flow's
    /// room in the segment cache (caps its data in flight at
    /// `cache_per_flow` segments).
    pub window_cache_bound: bool,
    /// Share of TCP flows (by flow hash) left in monitor as a control arm.
    pub control_fraction: f64,
    /// Data segments cached per worker (mbuf references; they come out of
    /// the packet pool, so `dataplane.mempool_size` must have room).
    pub cache_segments: usize,
    /// At most this many cached segments per flow.
    pub cache_per_flow: u32,
    /// ACK templates of R's direction per worker (for ACKs the box sends
    /// to S); a flow without one gets no such ACK (counted).
    pub ack_templates: usize,
    /// Smallest reorder window: a hole younger than this is not acted on.
    pub reorder_window_min_us: u32,
    /// Reorder window = max(min, this x J's delay variation), capped at half
    /// J's base RTT.
    pub reorder_jitter_mult: u32,
    /// A local repair that has not closed its hole after this many J RTTs is
    /// abandoned and S sees the hole.
    pub repair_timeout_rtts: u32,
    /// Copies of a repair the box sends again when the hole is still open
    /// J's RTT (plus 4x its delay variation) after the previous one, unless
    /// S has resent the range; 0: one copy per hole.
    pub repair_retries: u32,
    /// Send S's SYN or SYN-ACK again from the cache, once, when R has not
    /// answered it within `handshake_repair_ms` and the flow's path group is
    /// Jitter.
    pub handshake_repair: bool,
    /// See `handshake_repair`.
    pub handshake_repair_ms: u32,
    /// `[shield.classifier]`: the estimators' and the classifier's
    /// thresholds (tick lengths, queue and jitter thresholds, hysteresis),
    /// named and defaulted as in `crates/shield/src/config.rs`; applies in
    /// monitor mode too. Its `actions` table is refused: the switches above
    /// are the actions.
    pub classifier: shield::ShieldConfig,
}

impl Default for ShieldSection {
    fn default() -> Self {
        let a = shield::actions::ActionConfig::default();
        ShieldSection {
            local_recovery: true,
            hide_holes: true,
            hide_under_repair: false,
            hide_young_max_reorders: 8,
            max_hidden_holes: a.max_hidden_holes,
            filter_own_dsack: true,
            duplicate_suppression: true,
            stall_protection: a.stall_protection,
            reserve_segments: a.reserve_segments,
            release_at_rto_pct: a.release_at_rto_pct,
            ack_pacing: false,
            ack_pacing_gain_pct: a.ack_pacing_gain_pct,
            ack_pacing_burst_segments: a.ack_pacing_burst_segments,
            ack_pacing_max_delay_us: a.ack_pacing_max_delay_us,
            window_hold_in_stall: true,
            window_cache_bound: false,
            control_fraction: 0.0,
            cache_segments: 8192,
            cache_per_flow: 2048,
            ack_templates: 4096,
            reorder_window_min_us: a.reorder_window_min_us,
            reorder_jitter_mult: a.reorder_jitter_mult,
            repair_timeout_rtts: a.repair_timeout_rtts,
            repair_retries: a.repair_retries,
            handshake_repair: true,
            handshake_repair_ms: a.handshake_repair_ms,
            classifier: shield::ShieldConfig::default(),
        }
    }
}

impl ShieldSection {
    /// The shield crate's configuration with these switches.
    pub fn to_shield_config(&self) -> shield::ShieldConfig {
        shield::ShieldConfig {
            actions: shield::actions::ActionConfig {
                local_recovery: self.local_recovery,
                hide_holes: self.hide_holes,
                hide_under_repair: self.hide_under_repair,
                hide_young_max_reorders: self.hide_young_max_reorders,
                max_hidden_holes: self.max_hidden_holes,
                filter_own_dsack: self.filter_own_dsack,
                duplicate_suppression: self.duplicate_suppression,
                stall_protection: self.stall_protection,
                reserve_segments: self.reserve_segments,
                release_at_rto_pct: self.release_at_rto_pct,
                ack_pacing: self.ack_pacing,
                ack_pacing_gain_pct: self.ack_pacing_gain_pct,
                ack_pacing_burst_segments: self.ack_pacing_burst_segments,
                ack_pacing_max_delay_us: self.ack_pacing_max_delay_us,
                window_hold_in_stall: self.window_hold_in_stall,
                window_cache_bound: self.window_cache_bound,
                reorder_window_min_us: self.reorder_window_min_us,
                reorder_jitter_mult: self.reorder_jitter_mult,
                repair_timeout_rtts: self.repair_timeout_rtts,
                repair_retries: self.repair_retries,
                handshake_repair: self.handshake_repair,
                handshake_repair_ms: self.handshake_repair_ms,
            },
            ..self.classifier
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mode: Mode,
    pub port_pairs: Vec<PortPair>,
    pub dataplane: DataplaneConfig,
    pub eal: EalConfig,
    pub log: LogConfig,
    pub flows: FlowsConfig,
    pub mgmt: MgmtConfig,
    pub shield: ShieldSection,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Passthrough,
            port_pairs: Vec::new(),
            dataplane: DataplaneConfig::default(),
            eal: EalConfig::default(),
            log: LogConfig::default(),
            flows: FlowsConfig::default(),
            mgmt: MgmtConfig::default(),
            shield: ShieldSection::default(),
        }
    }
}

/// Overrides given on the command line of `jitterguard run`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub core_port: Option<String>,
    pub access_port: Option<String>,
    pub mode: Option<Mode>,
    pub log_format: Option<LogFormat>,
    pub idle_exit_ms: Option<u64>,
    pub listen: Option<String>,
}

/// CPUs online on this machine (not this thread's affinity: the EAL pins
/// the main thread to one CPU, and a reload runs on it).
pub fn online_cpus() -> usize {
    let n = cpus_from_sysfs();
    if n > 0 {
        n as usize
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Counts the CPUs listed in /sys/devices/system/cpu/online, e.g. "0-1,4".
fn cpus_from_sysfs() -> i64 {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|s| {
            s.trim()
                .split(',')
                .map(|r| match r.split_once('-') {
                    Some((a, b)) => Some(b.parse::<i64>().ok()? - a.parse::<i64>().ok()? + 1),
                    None => r.parse::<i64>().ok().map(|_| 1),
                })
                .sum::<Option<i64>>()
        })
        .unwrap_or(0)
}

/// A configuration problem, worded for the operator (one line).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Parses TOML text; unknown keys, wrong types and bad values are errors.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // toml's message spans several lines; keep it on one.
            let msg = e.message().trim().to_string();
            let loc = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].lines().count().max(1);
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            ConfigError(format!("invalid config{loc}: {msg}"))
        })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// Applies command-line overrides: `--core-port`/`--access-port` replace
    /// the first port pair (creating it when the file has none).
    pub fn apply(&mut self, o: &Overrides) -> Result<(), ConfigError> {
        if o.core_port.is_some() || o.access_port.is_some() {
            if self.port_pairs.is_empty() {
                let (Some(core), Some(access)) = (&o.core_port, &o.access_port) else {
                    return Err(ConfigError(
                        "without port pairs in a config, both --core-port and --access-port \
                         are needed"
                            .into(),
                    ));
                };
                self.port_pairs.push(PortPair { core: core.clone(), access: access.clone() });
            } else {
                if let Some(c) = &o.core_port {
                    self.port_pairs[0].core = c.clone();
                }
                if let Some(a) = &o.access_port {
                    self.port_pairs[0].access = a.clone();
                }
            }
        }
        if let Some(m) = o.mode {
            self.mode = m;
        }
        if let Some(l) = &o.listen {
            self.mgmt.listen = if l == "off" { String::new() } else { l.clone() };
        }
        if let Some(ms) = o.idle_exit_ms {
            self.dataplane.idle_exit_ms = ms;
        }
        if let Some(f) = o.log_format {
            self.log.format = f;
        }
        Ok(())
    }

    /// Worker CPUs after defaults: the CPU after the main lcore when none given.
    pub fn worker_lcores(&self) -> Vec<u32> {
        if self.dataplane.worker_lcores.is_empty() {
            vec![self.dataplane.main_lcore + 1]
        } else {
            self.dataplane.worker_lcores.clone()
        }
    }

    /// Checks everything that can be checked before touching DPDK.
    /// `cpus` is the number of CPUs this process may run on.
    pub fn validate(&self, cpus: usize) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if self.port_pairs.is_empty() {
            return err("no port pairs: add a [[port_pairs]] table with `core` and `access` \
                        devargs, or give --core-port and --access-port"
                .into());
        }
        let mut names = Vec::new();
        for (i, p) in self.port_pairs.iter().enumerate() {
            for (side, devargs) in [("core", &p.core), ("access", &p.access)] {
                let name = dataplane::port::device_name(devargs);
                if name.is_empty() {
                    return err(format!("port_pairs[{i}].{side}: empty devargs"));
                }
                if devargs.chars().any(char::is_whitespace) {
                    return err(format!(
                        "port_pairs[{i}].{side}: devargs '{devargs}' contain whitespace"
                    ));
                }
                if !dataplane::port::is_pci_address(devargs) && !name.starts_with("net_") {
                    return err(format!(
                        "port_pairs[{i}].{side}: '{devargs}' is neither a PCI address \
                         (0000:01:00.0) nor a net_* vdev (net_pcap0,rx_pcap=..., \
                         net_af_packet0,iface=...)"
                    ));
                }
                if names.contains(&name) {
                    return err(format!("port_pairs[{i}].{side}: device '{name}' is used twice"));
                }
                names.push(name);
            }
        }
        let d = &self.dataplane;
        if !(1..=dataplane::mbuf::MAX_BURST).contains(&d.burst_size) {
            return err(format!(
                "dataplane.burst_size = {}: must be between 1 and {}",
                d.burst_size,
                dataplane::mbuf::MAX_BURST
            ));
        }
        if d.rx_desc == 0 || d.tx_desc == 0 {
            return err("dataplane.rx_desc and tx_desc must be at least 1".into());
        }
        let workers = self.worker_lcores();
        if d.replay_in_capture_time && (workers.len() != 1 || self.port_pairs.len() != 1) {
            return err("dataplane.replay_in_capture_time needs exactly one worker and one \
                        port pair"
                .into());
        }
        let mut seen = vec![d.main_lcore];
        for w in &workers {
            if seen.contains(w) {
                return err(format!(
                    "dataplane.worker_lcores: CPU {w} is listed twice or is the main lcore"
                ));
            }
            seen.push(*w);
        }
        // With an explicit EAL lcore map (`--lcores 1@0,2@1`), lcore ids are
        // not CPU numbers; the EAL checks the map itself.
        let mapped = self.eal.args.iter().any(|a| a.starts_with("--lcores"));
        if let Some(max) = seen.iter().max().filter(|_| !mapped) {
            if *max as usize >= cpus {
                return err(format!(
                    "too few lcores: the config needs CPU {max} (main {} + {} worker(s)) but \
                     this machine has {cpus} CPU(s)",
                    d.main_lcore,
                    workers.len()
                ));
            }
        }
        let queues = workers.len() as u32;
        let ports = 2 * self.port_pairs.len() as u32;
        let cached = if self.mode == Mode::Shield {
            (self.shield.cache_segments as u32).saturating_mul(queues)
        } else {
            0
        };
        let needed = ports * queues * (d.rx_desc as u32 + d.tx_desc as u32)
            + (workers.len() as u32 + 1) * (d.mempool_cache + d.burst_size as u32)
            + cached;
        if d.mempool_size < needed {
            return err(format!(
                "dataplane.mempool_size = {}: at least {needed} mbufs are needed to fill every \
                 RX/TX ring ({ports} ports x {queues} queue(s) x {} descriptors), the lcore \
                 caches and the shield's segment cache",
                d.mempool_size,
                d.rx_desc as u32 + d.tx_desc as u32
            ));
        }
        if d.mempool_cache > 512 {
            return err(format!(
                "dataplane.mempool_cache = {}: DPDK allows at most 512",
                d.mempool_cache
            ));
        }
        if self.eal.file_prefix.is_empty() || self.eal.file_prefix.contains('/') {
            return err("eal.file_prefix must be a non-empty name without '/'".into());
        }
        if self.eal.no_huge_memory_mb < 64 {
            return err(format!(
                "eal.no_huge_memory_mb = {}: at least 64 MiB are needed",
                self.eal.no_huge_memory_mb
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return err(format!("log.level = '{}': {e}", self.log.level));
        }
        if self.flows.capacity < 16 || self.flows.capacity > 1 << 26 {
            return err(format!(
                "flows.capacity = {}: must be between 16 and {}",
                self.flows.capacity,
                1u64 << 26
            ));
        }
        if self.flows.groups == 0 {
            return err("flows.groups must be at least 1".into());
        }
        if self.flows.aging_tick_ms == 0 {
            return err("flows.aging_tick_ms must be at least 1".into());
        }
        if !self.mgmt.listen.is_empty() {
            let addr: std::net::SocketAddr = self.mgmt.listen.parse().map_err(|_| {
                ConfigError(format!(
                    "mgmt.listen = '{}': not an address:port (e.g. 127.0.0.1:9477)",
                    self.mgmt.listen
                ))
            })?;
            if !addr.ip().is_loopback() && !self.mgmt.allow_non_loopback {
                return err(format!(
                    "mgmt.listen = '{}' is not a loopback address; set \
                     mgmt.allow_non_loopback = true to expose the stats there",
                    self.mgmt.listen
                ));
            }
        }
        if self.mgmt.flow_dump_rows == 0 || self.mgmt.flow_dump_interval_ms == 0 {
            return err(
                "mgmt.flow_dump_rows and mgmt.flow_dump_interval_ms must be at least 1".into()
            );
        }
        if !(0.0..=1.0).contains(&self.shield.control_fraction) {
            return err(format!(
                "shield.control_fraction = {}: must be between 0 and 1",
                self.shield.control_fraction
            ));
        }
        if self.shield.cache_per_flow == 0 || self.shield.repair_timeout_rtts == 0 {
            return err(
                "shield.cache_per_flow and shield.repair_timeout_rtts must be at least 1".into()
            );
        }
        let sh = &self.shield;
        check_classifier(&sh.classifier)?;
        if sh.handshake_repair && !(10..=60_000).contains(&sh.handshake_repair_ms) {
            return err(format!(
                "shield.handshake_repair_ms = {}: must be between 10 and 60000 (a repair \
                 sooner than R could answer would only duplicate S's SYN)",
                sh.handshake_repair_ms
            ));
        }
        if sh.ack_pacing
            && (sh.ack_pacing_gain_pct < 100
                || sh.ack_pacing_burst_segments == 0
                || sh.ack_pacing_max_delay_us == 0)
        {
            return err(format!(
                "shield.ack_pacing_gain_pct = {} must be at least 100 (below, the pacer would \
                 throttle every flow), and ack_pacing_burst_segments and \
                 ack_pacing_max_delay_us at least 1",
                sh.ack_pacing_gain_pct
            ));
        }
        if self.mode != Mode::Passthrough && !crate::MODES_AVAILABLE.contains(&self.mode) {
            return err(format!(
                "mode = '{}' is not available in this build (available: {})",
                self.mode.as_str(),
                crate::MODES_AVAILABLE.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(())
    }

    /// The resolved configuration as TOML (what `check-config` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

/// Thresholds of `[shield.classifier]` that would break the classifier
/// rather than tune it.
fn check_classifier(c: &shield::ShieldConfig) -> Result<(), ConfigError> {
    let err = |m: String| Err(ConfigError(format!("shield.classifier.{m}")));
    if c.actions != shield::actions::ActionConfig::default() {
        return err("actions: the actions are switched in [shield] itself".into());
    }
    for (name, v) in [
        ("ticks_to_congested", c.ticks_to_congested),
        ("ticks_to_jitter", c.ticks_to_jitter),
        ("ticks_to_clear", c.ticks_to_clear),
    ] {
        if v == 0 {
            return err(format!("{name} = 0: at least one tick is needed to change class"));
        }
    }
    for (name, v) in [
        ("tick_min_us", c.tick_min_us),
        ("group_tick_us", c.group_tick_us),
        ("min_rtt_window_us", c.min_rtt_window_us),
        ("rate_max_window_us", c.rate_max_window_us),
        ("rto_min_us", c.rto_min_us),
    ] {
        if v < 1_000 {
            return err(format!("{name} = {v}: must be at least 1000 (1 ms)"));
        }
    }
    for (name, v) in [
        ("at_max_rate_pct", c.at_max_rate_pct),
        ("group_congested_pct", c.group_congested_pct),
        ("rwnd_limited_pct", c.rwnd_limited_pct),
    ] {
        if !(1..=100).contains(&v) {
            return err(format!("{name} = {v}: a percentage between 1 and 100"));
        }
    }
    if c.rto_initial_us < c.rto_min_us {
        return err(format!(
            "rto_initial_us = {}: below rto_min_us ({})",
            c.rto_initial_us, c.rto_min_us
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
