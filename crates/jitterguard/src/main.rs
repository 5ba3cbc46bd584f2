//! jitterguard: an inline, transparent TCP jitter shield on DPDK.
//!
//! Subcommands: `run` (the appliance), `check-config` (validate and print the
//! resolved configuration), `parse` (what the packet parser sees in a pcap).

mod cmd_parse;
mod config;
mod eal_args;
mod metrics;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use config::{Config, LogFormat, Mode, Overrides};

/// Modes this build can run.
pub const MODES_AVAILABLE: &[Mode] = &[Mode::Passthrough, Mode::Monitor];

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
    /// Print what the packet parser finds in every frame of a pcap (no DPDK).
    Parse {
        file: PathBuf,
        /// One JSON object per frame instead of readable lines.
        #[arg(long)]
        json: bool,
    },
}

fn cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cfg.log.format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
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
            if let Err(e) = cfg.apply(&o).and_then(|_| cfg.validate(cpus())) {
                return fail(2, e);
            }
            init_logging(&cfg);
            match run::run(&cfg, &eal_args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(run::RunError(m)) => fail(2, m),
            }
        }
    }
}
