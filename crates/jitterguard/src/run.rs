//! `jitterguard run`: bring up the EAL, mempool and ports, launch one pinned
//! worker per worker lcore, run the management loop on the main lcore until
//! SIGINT/SIGTERM, then stop workers, print the final counters and tear
//! everything down in reverse order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::forward::Passthrough;
use dataplane::{
    lcore, stop, Eal, ForwardConfig, Mempool, PacketHook, Port, PortConfig, PortPairQueues, Worker,
    WorkerCounters,
};

use crate::config::{Config, Mode};
use crate::report;

/// Why a run could not start (one line for the operator; exit code 2).
#[derive(Debug)]
pub struct RunError(pub String);

/// The started ports of one pair.
pub struct PairPorts {
    pub core: Port,
    pub access: Port,
}

pub fn run(cfg: &Config, extra_eal: &[String]) -> Result<(), RunError> {
    let setup = RunError;
    let args = crate::eal_args::build(cfg, extra_eal, crate::eal_args::free_hugepages())
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
    let pool = Mempool::new("jg_pkt_pool", d.mempool_size, d.mempool_cache, -1)
        .map_err(|e| setup(e.to_string()))?;
    let port_cfg = PortConfig {
        rx_queues: workers.len() as u16,
        tx_queues: workers.len() as u16,
        rx_desc: d.rx_desc,
        tx_desc: d.tx_desc,
        promiscuous: true,
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

    let fwd = ForwardConfig { burst: d.burst_size, tx_retries: d.tx_retries };
    let mut counters = Vec::new();
    for (i, &lc) in workers.iter().enumerate() {
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
        let launched = match cfg.mode {
            Mode::Passthrough => launch(lc, Worker::new(queues, Passthrough, fwd, shared)),
            other => Err(format!("mode '{}' is not available in this build", other.as_str())),
        };
        if let Err(e) = launched {
            stop::request_stop();
            lcore::wait_all();
            return Err(setup(e));
        }
    }

    let started = Instant::now();
    let hz = eal.tsc_hz();
    manage(cfg, &pairs, &counters, started, hz);
    lcore::wait_all();
    report::print_final(&pairs, &counters, started.elapsed(), hz);
    drop(pairs);
    drop(pool);
    drop(eal);
    Ok(())
}

fn launch<H: PacketHook + 'static>(lcore_id: u32, worker: Worker<H>) -> Result<(), String> {
    lcore::launch(lcore_id, move || {
        worker.run(&stop::STOP);
    })
    .map_err(|e| e.to_string())
}

/// The management loop on the main lcore: periodic counter logs, SIGHUP.
fn manage(
    cfg: &Config,
    pairs: &[PairPorts],
    counters: &[Arc<WorkerCounters>],
    started: Instant,
    hz: u64,
) {
    let interval = Duration::from_secs(cfg.log.stats_interval_s);
    let mut next_log = Instant::now() + interval;
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
            tracing::warn!("SIGHUP: nothing in this build can be reloaded live; ignored");
        }
        if cfg.log.stats_interval_s > 0 && Instant::now() >= next_log {
            report::log_periodic(pairs, counters, started.elapsed(), hz);
            next_log += interval;
        }
    }
    tracing::info!("stop requested; waiting for workers to finish their burst");
}
