//! `jitterguard run`: bring up the EAL, mempool and ports, launch one pinned
//! worker per worker lcore, run the management loop on the main lcore until
//! SIGINT/SIGTERM, then stop workers, print the final counters and tear
//! everything down in reverse order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::forward::Passthrough;
use dataplane::pipeline::{
    FlowDump, FlowHook, FlowHookConfig, FlowHookShared, LiveSettings, PipelineStats,
};
use dataplane::ring::HandoffRing;
use dataplane::{
    lcore, stop, Eal, ForwardConfig, Handoff, Mempool, PacketHook, Port, PortConfig,
    PortPairQueues, Worker, WorkerCounters,
};
use mgmt::snapshot::SnapshotCell;

use crate::config::{Config, Mode};
use crate::metrics::{DataplaneMetrics, PortInfo, WorkerPipeline};
use crate::report;

/// Why a run could not start (one line for the operator; exit code 2).
#[derive(Debug)]
pub struct RunError(pub String);

/// The started ports of one pair.
pub struct PairPorts {
    pub core: Port,
    pub access: Port,
}

pub fn run(
    cfg: &Config,
    config_path: Option<&std::path::Path>,
    set_log_level: crate::reload::SetLogLevel,
) -> Result<(), RunError> {
    let setup = RunError;
    let args = crate::eal_args::build(cfg, &[], crate::eal_args::free_hugepages())
        .map_err(|e| setup(e.0))?;
    tracing::info!(eal_args = %args.join(" "), mode = cfg.mode.as_str(), "starting");
    let eal = Eal::init(&args).map_err(|e| {
        setup(format!(
            "{e} (the EAL's own messages above say more; EAL args: {})",
            args[1..].join(" ")
        ))
    })?;
    tracing::info!(dpdk = %Eal::version(), "EAL up");

    let workers = lcore::worker_lcores();
    if workers.is_empty() {
        return Err(setup(
            "too few lcores: the EAL has no worker lcore (give at least two CPUs, e.g. -l 0,1)"
                .into(),
        ));
    }
    let d = &cfg.dataplane;
    let pool = Arc::new(
        Mempool::new("jg_pkt_pool", d.mempool_size, d.mempool_cache, -1)
            .map_err(|e| setup(e.to_string()))?,
    );
    // The flow state (per worker a table of `flows.capacity` entries, which
    // takes seconds to fault in at the default size) is built before any
    // port starts: a started port is polled at once, instead of dropping
    // what it receives while the box is still getting ready.
    let building = Instant::now();
    let mut pipelines = Vec::new();
    let mut lives = Vec::new();
    let mut hists = crate::metrics::Histograms::new();
    let mut hooks = Vec::new();
    for (i, &lc) in workers.iter().enumerate() {
        if cfg.mode == Mode::Passthrough {
            hooks.push(None);
            continue;
        }
        let stats = Arc::new(PipelineStats::default());
        let dump = Arc::new(SnapshotCell::new(FlowDump::with_capacity(cfg.mgmt.flow_dump_rows)));
        let live = Arc::new(SnapshotCell::new(LiveSettings {
            timeouts: cfg.flows.timeouts,
            shield: cfg.shield.to_shield_config(),
        }));
        lives.push(live.clone());
        pipelines.push(WorkerPipeline { lcore: lc, stats: stats.clone(), dump: dump.clone() });
        hooks.push(Some(FlowHook::new(
            FlowHookConfig {
                worker: i as u16,
                workers: workers.len() as u16,
                table: flow::FlowTableConfig {
                    capacity: cfg.flows.capacity,
                    aging_tick_ms: cfg.flows.aging_tick_ms,
                    timeouts: cfg.flows.timeouts,
                },
                groups: cfg.flows.groups,
                shield: cfg.shield.to_shield_config(),
                dump_rows: cfg.mgmt.flow_dump_rows,
                publish_every_ns: cfg.mgmt.flow_dump_interval_ms * 1_000_000,
                act: cfg.mode == Mode::Shield,
                control_permille: (cfg.shield.control_fraction * 1000.0).round() as u32,
                cache_segments: cfg.shield.cache_segments,
                cache_per_flow: cfg.shield.cache_per_flow,
                ack_templates: cfg.shield.ack_templates,
                pool: Some(pool.clone()),
            },
            FlowHookShared {
                stats,
                dump,
                live,
                rtt_hist: Some(hists.rtt.add_writer()),
                jitter_hist: Some(hists.jitter.add_writer()),
            },
        )));
    }
    if cfg.mode != Mode::Passthrough {
        tracing::info!(
            workers = workers.len(),
            flows_per_worker = cfg.flows.capacity,
            took_ms = building.elapsed().as_millis() as u64,
            "flow state ready"
        );
    }

    let port_cfg = PortConfig {
        rx_queues: workers.len() as u16,
        tx_queues: workers.len() as u16,
        rx_desc: d.rx_desc,
        tx_desc: d.tx_desc,
        promiscuous: true,
        rx_timestamp: d.replay_in_capture_time,
    };
    let mut pairs = Vec::new();
    for p in &cfg.port_pairs {
        let core = Port::open(&p.core, &port_cfg, &pool).map_err(|e| setup(e.to_string()))?;
        let access = Port::open(&p.access, &port_cfg, &pool).map_err(|e| setup(e.to_string()))?;
        tracing::info!(
            core = core.name(),
            core_id = core.id(),
            access = access.name(),
            access_id = access.id(),
            queues = workers.len(),
            rss = core.rss_enabled(),
            "port pair started"
        );
        pairs.push(PairPorts { core, access });
    }
    if let Err(e) = eal.enable_pdump() {
        tracing::warn!("packet capture (dpdk-dumpcap) unavailable: {e}");
    }
    stop::install_handlers();

    let replay_timestamp_offset = match d.replay_in_capture_time {
        false => None,
        true => Some(dataplane::mbuf::rx_timestamp_offset().ok_or_else(|| {
            setup("dataplane.replay_in_capture_time: no port registered RX timestamps".into())
        })?),
    };
    let fwd = ForwardConfig {
        burst: d.burst_size,
        tx_retries: d.tx_retries,
        tsc_hz: eal.tsc_hz(),
        base_tsc: dataplane::eal::rdtsc(),
        replay_timestamp_offset,
    };
    let mut counters = Vec::new();
    let mut handoffs = handoff_rings(cfg, workers.len()).map_err(setup)?;
    for ((i, &lc), hook) in workers.iter().enumerate().zip(hooks) {
        let queues: Vec<PortPairQueues> = pairs
            .iter()
            .map(|p| PortPairQueues {
                core_port: p.core.id(),
                access_port: p.access.id(),
                queue: i as u16,
            })
            .collect();
        let shared = Arc::new(WorkerCounters::new(lc));
        counters.push(shared.clone());
        let handoff = std::mem::take(&mut handoffs[i]);
        let launched = match hook {
            None => launch(
                lc,
                Worker::new(queues, Passthrough, fwd, shared)
                    .with_cost_histogram(hists.cost.add_writer()),
            ),
            Some(hook) => launch(
                lc,
                Worker::with_handoff(queues, hook, fwd, shared, handoff)
                    .with_cost_histogram(hists.cost.add_writer()),
            ),
        };
        if let Err(e) = launched {
            stop::request_stop();
            lcore::wait_all();
            return Err(setup(e));
        }
    }
    tracing::info!(workers = workers.len(), mode = cfg.mode.as_str(), "forwarding");

    let started = Instant::now();
    let hz = eal.tsc_hz();
    let metrics = Arc::new(DataplaneMetrics {
        started,
        histograms: std::sync::Mutex::new(hists.into_vec()),
        ports: pairs
            .iter()
            .flat_map(|p| {
                [
                    PortInfo { side: "core", name: p.core.name().into(), id: p.core.id() },
                    PortInfo { side: "access", name: p.access.name().into(), id: p.access.id() },
                ]
            })
            .collect(),
        workers: counters.clone(),
        pipelines,
        flow_capacity: cfg.flows.capacity as u64,
        shield_mode: cfg.mode == Mode::Shield,
    });
    for (cmd, help) in [
        (
            "/jitterguard/stats",
            "jitterguard counters: ports, workers, flows, classes, parse exceptions",
        ),
        ("/jitterguard/flows", "jitterguard top flows by bytes. Parameters: int N (default 20)"),
    ] {
        let m = metrics.clone();
        let res = dataplane::telemetry::register(cmd, help, move |params| match cmd {
            "/jitterguard/stats" => crate::metrics::telemetry_stats(&m),
            _ => crate::metrics::telemetry_flows(&m, params),
        });
        if let Err(e) = res {
            tracing::warn!("DPDK telemetry command {cmd} unavailable: {e}");
        }
    }
    let http = match start_http(cfg, metrics.clone()) {
        Ok(h) => h,
        Err(e) => {
            stop::request_stop();
            lcore::wait_all();
            return Err(setup(e));
        }
    };
    let mut live_cfg = cfg.clone();
    manage(&mut live_cfg, config_path, &lives, &set_log_level, &pairs, &counters, started, hz);
    lcore::wait_all();
    report::print_final(&pairs, &counters, started.elapsed(), hz);
    report::print_pipeline(&metrics);
    drop(http);
    drop(pairs);
    drop(pool);
    drop(eal);
    Ok(())
}

/// The SPSC rings between every ordered pair of workers, for modes that
/// track flows (a flow must be handled by one worker); none otherwise.
fn handoff_rings(cfg: &Config, workers: usize) -> Result<Vec<Handoff>, String> {
    let mut h: Vec<Handoff> = (0..workers)
        .map(|_| Handoff { to: (0..workers).map(|_| None).collect(), from: Vec::new() })
        .collect();
    if cfg.mode == Mode::Passthrough || workers < 2 {
        return Ok((0..workers).map(|_| Handoff::default()).collect());
    }
    for src in 0..workers {
        for dst in 0..workers {
            if src == dst {
                continue;
            }
            let ring = Arc::new(
                HandoffRing::new(&format!("jg_ho_{src}_{dst}"), 4096).map_err(|e| e.to_string())?,
            );
            h[src].to[dst] = Some(ring.clone());
            h[dst].from.push(ring);
        }
    }
    Ok(h)
}

/// Starts the HTTP exporter unless `mgmt.listen` is empty.
fn start_http(
    cfg: &Config,
    metrics: Arc<DataplaneMetrics>,
) -> Result<Option<mgmt::http::HttpServer>, String> {
    if cfg.mgmt.listen.is_empty() {
        return Ok(None);
    }
    let bind =
        cfg.mgmt.listen.parse().map_err(|_| format!("mgmt.listen = '{}'", cfg.mgmt.listen))?;
    let server = mgmt::http::HttpServer::start(
        &mgmt::http::HttpConfig { bind, allow_non_loopback: cfg.mgmt.allow_non_loopback },
        metrics,
    )
    .map_err(|e| format!("management HTTP server on {}: {e}", cfg.mgmt.listen))?;
    tracing::info!(listen = %server.local_addr(), "metrics at http://{}/metrics", server.local_addr());
    Ok(Some(server))
}

fn launch<H: PacketHook + 'static>(lcore_id: u32, worker: Worker<H>) -> Result<(), String> {
    lcore::launch(lcore_id, move || {
        worker.run(&stop::STOP);
    })
    .map_err(|e| e.to_string())
}

/// The management loop on the main lcore: periodic counter logs, SIGHUP.
#[allow(clippy::too_many_arguments)]
fn manage(
    cfg: &mut Config,
    config_path: Option<&std::path::Path>,
    lives: &[Arc<SnapshotCell<LiveSettings>>],
    set_log_level: &crate::reload::SetLogLevel,
    pairs: &[PairPorts],
    counters: &[Arc<WorkerCounters>],
    started: Instant,
    hz: u64,
) {
    let mut next_log = Instant::now() + Duration::from_secs(cfg.log.stats_interval_s);
    let idle_exit = Duration::from_millis(cfg.dataplane.idle_exit_ms);
    let (mut last_rx, mut last_change) = (0u64, Instant::now());
    while !stop::stop_requested() {
        std::thread::sleep(Duration::from_millis(20));
        if !idle_exit.is_zero() {
            let rx: u64 =
                counters.iter().map(|c| c.read()).map(|l| l.rx_from_core + l.rx_from_access).sum();
            if rx != last_rx {
                (last_rx, last_change) = (rx, Instant::now());
            } else if rx > 0 && last_change.elapsed() >= idle_exit {
                tracing::info!(idle_ms = cfg.dataplane.idle_exit_ms, "input idle; stopping");
                stop::request_stop();
                break;
            }
        }
        if stop::take_reload() {
            let cpus = crate::config::online_cpus();
            crate::reload::on_sighup(config_path, cfg, lives, set_log_level, cpus);
        }
        if cfg.log.stats_interval_s > 0 && Instant::now() >= next_log {
            report::log_periodic(pairs, counters, started.elapsed(), hz);
            next_log = Instant::now() + Duration::from_secs(cfg.log.stats_interval_s);
        }
    }
    tracing::info!("stop requested; waiting for workers to finish their burst");
}
