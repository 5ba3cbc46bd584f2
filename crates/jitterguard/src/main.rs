//! jitterguard: an inline, transparent TCP jitter shield on DPDK.
//!
//! Subcommands: `run` (the appliance), `check-config` (validate and print the
//! resolved configuration), `parse` (what the packet parser sees in a pcap).

mod cmd_parse;
mod config;
mod eal_args;
mod metrics;
mod reload;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use config::{Config, LogFormat, Mode, Overrides};

/// Modes this build can run.
pub const MODES_AVAILABLE: &[Mode] = &[Mode::Passthrough, Mode::Monitor, Mode::Shield];

#[derive(Parser)]
#[command(
    name = "jitterguard",
    version,
    about = "Inline TCP jitter shield (DPDK bump in the wire)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the dataplane until SIGINT/SIGTERM.
    Run {
        /// TOML configuration (optional when --core-port and --access-port are given).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Devargs of the core-side (sender-side) port; overrides the config.
        #[arg(long, value_name = "DEVARGS")]
        core_port: Option<String>,
        /// Devargs of the access-side (receiver-side) port; overrides the config.
        #[arg(long, value_name = "DEVARGS")]
        access_port: Option<String>,
        /// Processing mode; overrides the config.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Log format; overrides the config.
        #[arg(long, value_enum)]
        log_format: Option<LogFormat>,
        /// Management HTTP address (overrides mgmt.listen; "off" disables it).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Stop once no frame arrived for MS milliseconds (pcap replays).
        #[arg(long, value_name = "MS")]
        idle_exit_ms: Option<u64>,
        /// Extra EAL arguments, after `--`.
        #[arg(last = true, value_name = "EAL ARGS")]
        eal_args: Vec<String>,
    },
    /// Validate a configuration and print it with every default resolved.
    CheckConfig { file: PathBuf },
    /// Counters of a running instance (from its management HTTP server).
    Stats {
        /// Address of the instance's management server.
        #[arg(long, default_value = "127.0.0.1:9477")]
        addr: String,
        /// Print the raw JSON snapshot.
        #[arg(long)]
        json: bool,
    },
    /// Flows of a running instance, largest first, or one flow's why-trace.
    Flows {
        #[arg(long, default_value = "127.0.0.1:9477")]
        addr: String,
        /// How many flows to show.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Print the why-trace of this flow id (the ID column) instead.
        #[arg(long, value_name = "FLOW_ID")]
        explain: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Print what the packet parser finds in every frame of a pcap (no DPDK).
    Parse {
        file: PathBuf,
        /// One JSON object per frame instead of readable lines.
        #[arg(long)]
        json: bool,
    },
}

fn cpus() -> usize {
    config::online_cpus()
}

/// Installs the tracing subscriber; returns how to change its level later.
fn init_logging(cfg: &Config) -> reload::SetLogLevel {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{fmt, reload as tr, EnvFilter};
    let filter = EnvFilter::try_new(&cfg.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = tr::Layer::new(filter);
    let registry = tracing_subscriber::registry().with(filter);
    match cfg.log.format {
        LogFormat::Human => registry.with(fmt::layer().with_writer(std::io::stderr)).init(),
        LogFormat::Json => registry.with(fmt::layer().json().with_writer(std::io::stderr)).init(),
    }
    Box::new(move |level: &str| {
        let f = EnvFilter::try_new(level).map_err(|e| e.to_string())?;
        handle.reload(f).map_err(|e| e.to_string())
    })
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("jitterguard: error: {msg}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { file } => {
            match Config::load(&file).and_then(|c| c.validate(cpus()).map(|_| c)) {
                Ok(c) => {
                    print!("{}", c.to_toml());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
        Command::Stats { addr, json } => match mgmt::client::fetch_stats(&addr) {
            Ok(s) if json => {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Ok(s) => {
                print!("{}", mgmt::render::stats_table(&s));
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, format!("cannot query {addr}: {e:#}")),
        },
        Command::Flows { addr, explain: Some(id), .. } => {
            match mgmt::client::get(&addr, &format!("/flows/{id}/explain")) {
                Ok(body) => {
                    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    if let Some(trace) = v["trace"].as_array() {
                        println!("flow {id}: {}", v["flow"]["core"].as_str().unwrap_or("?"));
                        for line in trace {
                            println!("  {}", line.as_str().unwrap_or_default());
                        }
                    } else {
                        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, format!("flow {id} on {addr}: {e:#}")),
            }
        }
        Command::Flows { addr, top, json, .. } => match mgmt::client::fetch_flows(&addr, top) {
            Ok(rows) if json => {
                println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Ok(rows) => {
                print!("{}", mgmt::render::flows_table(&rows));
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, format!("cannot query {addr}: {e:#}")),
        },
        Command::Parse { file, json } => match cmd_parse::run(&file, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(2, format!("{e:#}")),
        },
        Command::Run {
            config,
            core_port,
            access_port,
            mode,
            log_format,
            idle_exit_ms,
            listen,
            eal_args,
        } => {
            let mut cfg = match &config {
                Some(path) => match Config::load(path) {
                    Ok(c) => c,
                    Err(e) => return fail(2, e),
                },
                None => Config::default(),
            };
            let o = Overrides { core_port, access_port, mode, log_format, idle_exit_ms, listen };
            // EAL arguments after `--` join the configured ones (validation
            // looks at them, e.g. an explicit --lcores map).
            cfg.eal.args.extend(eal_args);
            if let Err(e) = cfg.apply(&o).and_then(|_| cfg.validate(cpus())) {
                return fail(2, e);
            }
            let set_log_level = init_logging(&cfg);
            match run::run(&cfg, config.as_deref(), set_log_level) {
                Ok(()) => ExitCode::SUCCESS,
                Err(run::RunError(m)) => fail(2, m),
            }
        }
    }
}
