//! Helpers shared by the integration tests: run the real binary, read pcaps,
//! parse the `final ...` counter lines.
#![allow(dead_code)]

pub mod netns;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_jitterguard")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A scratch directory unique to this test process and name, removed when
/// dropped (also when the test fails).
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("jg-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// `jitterguard run` options that let tests run side by side: the
/// management server on an ephemeral loopback port.
pub fn run_isolation() -> Vec<String> {
    vec!["--listen".into(), "127.0.0.1:0".into()]
}

/// An EAL file prefix unique to this test process and name. DPDK leaves a
/// runtime directory per prefix behind; it is removed when this is dropped,
/// so hold it until the process that used it has exited.
pub struct EalPrefix(String);

impl EalPrefix {
    pub fn name(&self) -> &str {
        &self.0
    }

    /// EAL arguments that let tests run side by side: own file prefix,
    /// quiet EAL.
    pub fn args(&self) -> Vec<String> {
        vec![format!("--file-prefix={}", self.0), "--log-level=lib.eal:error".into()]
    }

    /// Where DPDK keeps this prefix's runtime files (as EAL picks it: root
    /// uses /var/run, others $XDG_RUNTIME_DIR or /tmp).
    pub fn runtime_dir(&self) -> PathBuf {
        use std::os::unix::fs::MetadataExt;
        // /proc/self belongs to the process's effective user.
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let base = if root {
            PathBuf::from("/var/run")
        } else {
            std::env::var_os("XDG_RUNTIME_DIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
        };
        base.join("dpdk").join(&self.0)
    }
}

impl Drop for EalPrefix {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.runtime_dir());
    }
}

pub fn eal_prefix(name: &str) -> EalPrefix {
    EalPrefix(format!("jgtest-{}-{name}", std::process::id()))
}

/// Runs `jitterguard` with `args`, killing it if it outlives `limit`.
pub fn run_with_limit(args: &[String], limit: Duration) -> Output {
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jitterguard starts");
    let pid = child.id();
    let start = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !waiter.is_finished() {
        if start.elapsed() > limit {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    waiter.join().unwrap()
}

/// Frames of a pcap file, in order.
pub fn read_frames(path: &Path) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    let mut out = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        out.push(pkt.unwrap().data.into_owned());
    }
    out
}

/// The `final ...` lines of stdout as maps of key=value, keyed by their
/// first field (`port=core`, `lcore=1`, `total`, `elapsed_s=...`).
pub fn final_counters(stdout: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out = HashMap::new();
    for line in stdout.lines().filter_map(|l| l.strip_prefix("final ")) {
        let mut words = line.split_whitespace();
        let head = words.next().unwrap_or_default().to_string();
        let kv = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.insert(head, kv);
    }
    out
}

pub fn counter(map: &HashMap<String, HashMap<String, String>>, head: &str, key: &str) -> u64 {
    map.get(head)
        .and_then(|m| m.get(key))
        .unwrap_or_else(|| panic!("no {key} in final {head}: {map:?}"))
        .parse()
        .unwrap()
}

/// Asserts two frame lists are equal, reporting the first difference
/// compactly instead of dumping every byte.
pub fn assert_same_frames(got: &[Vec<u8>], want: &[Vec<u8>], what: &str) {
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        if g != w {
            let at =
                g.iter().zip(w.iter()).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
            panic!(
                "{what}: frame {} differs at byte {at} (lengths {} vs {} expected)",
                i + 1,
                g.len(),
                w.len()
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{what}: frame counts differ");
}

/// Kills a spawned child by PID when dropped, so a failing assertion never
/// leaves a busy-polling dataplane behind.
pub struct KillOnDrop(pub u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-9", &self.0.to_string()]).status();
    }
}

/// What a pcap replay through the box produced: its stdout, the scenario's
/// input frames and the frames the box sent out of each port.
pub struct Replay {
    /// Scratch directory holding `to-core.pcap` and `to-access.pcap`;
    /// removed when the replay is dropped.
    pub dir: Scratch,
    pub stdout: String,
    pub core_in: Vec<Vec<u8>>,
    pub access_in: Vec<Vec<u8>>,
    pub to_core: Vec<Vec<u8>>,
    pub to_access: Vec<Vec<u8>>,
}

/// Replays `scenario`'s bundled core/access pcaps through the box in `mode`
/// (in capture time if asked) and asserts it exits cleanly.
pub fn replay(name: &str, mode: &str, scenario: &str, capture_time: bool) -> Replay {
    replay_with(name, mode, scenario, capture_time, "")
}

/// [`replay`] with `extra` appended to the box's config (e.g. a `[shield]`
/// table of switches).
pub fn replay_with(
    name: &str,
    mode: &str,
    scenario: &str,
    capture_time: bool,
    extra: &str,
) -> Replay {
    let scen = repo_root().join("pktgen-scenarios/scenarios");
    let core_in = scen.join(format!("{scenario}.core.pcap"));
    let access_in = scen.join(format!("{scenario}.access.pcap"));
    replay_files(name, mode, &core_in, &access_in, capture_time, extra)
}

/// [`replay_with`] on the pcaps `core_in` and `access_in`.
pub fn replay_files(
    name: &str,
    mode: &str,
    core_in: &Path,
    access_in: &Path,
    capture_time: bool,
    extra: &str,
) -> Replay {
    let dir = scratch(name);
    let (to_core, to_access) = (dir.join("to-core.pcap"), dir.join("to-access.pcap"));
    let cfg = dir.join("box.toml");
    std::fs::write(
        &cfg,
        format!(
            "mode = \"{mode}\"\n\
             [[port_pairs]]\n\
             core = \"net_pcap0,rx_pcap={},tx_pcap={}\"\n\
             access = \"net_pcap1,rx_pcap={},tx_pcap={}\"\n\
             [dataplane]\nidle_exit_ms = 1000\nreplay_in_capture_time = {capture_time}\n\
             [flows]\ncapacity = 4096\n\
             [mgmt]\nlisten = \"127.0.0.1:0\"\n\
             [eal]\nhugepages = \"off\"\n{extra}",
            core_in.display(),
            to_core.display(),
            access_in.display(),
            to_access.display()
        ),
    )
    .unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--config".into(), cfg.display().to_string()];
    args.push("--".into());
    let eal = eal_prefix(name);
    args.extend(eal.args());
    let out = run_with_limit(&args, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Replay {
        stdout,
        core_in: read_frames(core_in),
        access_in: read_frames(access_in),
        to_core: read_frames(&to_core),
        to_access: read_frames(&to_access),
        dir,
    }
}
