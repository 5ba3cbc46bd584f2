//! A three-namespace bed for tests: client — box — server, joined by veth
//! pairs, 198.18.0.0/15 addresses, offloads off. Everything is named after
//! the test process's PID and removed on drop (namespaces by name, the box
//! process by PID).

use std::process::{Child, Command, Stdio};

pub struct Bed {
    pub client_ns: String,
    pub box_ns: String,
    pub server_ns: String,
    pub client_ip: String,
    pub server_ip: String,
    pub box_core_if: String,
    pub box_access_if: String,
    children: Vec<Child>,
}

fn sh(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0]).args(&args[1..]).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// True when this process may create namespaces (root with iproute2).
pub fn can_build_beds() -> bool {
    let uid = Command::new("id").arg("-u").output().ok();
    let root = uid.is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    root && Command::new("ip").arg("-V").output().is_ok()
}

impl Bed {
    /// Builds the bed; `tag` keeps beds of concurrent tests apart (≤ 3 chars).
    pub fn new(tag: &str, subnet: u8) -> Bed {
        let id = format!("{}{tag}", std::process::id() % 100000);
        let bed = Bed {
            client_ns: format!("jgt{id}cli"),
            box_ns: format!("jgt{id}box"),
            server_ns: format!("jgt{id}srv"),
            client_ip: format!("198.18.{subnet}.1"),
            server_ip: format!("198.18.{subnet}.2"),
            box_core_if: format!("jt{id}b0"),
            box_access_if: format!("jt{id}b1"),
            children: Vec::new(),
        };
        let (c_if, s_if) = (format!("jt{id}c0"), format!("jt{id}s0"));
        let steps: Vec<Vec<String>> = vec![
            vec!["ip", "netns", "add", &bed.client_ns],
            vec!["ip", "netns", "add", &bed.box_ns],
            vec!["ip", "netns", "add", &bed.server_ns],
            vec![
                "ip",
                "link",
                "add",
                &c_if,
                "netns",
                &bed.client_ns,
                "type",
                "veth",
                "peer",
                "name",
                &bed.box_core_if,
                "netns",
                &bed.box_ns,
            ],
            vec![
                "ip",
                "link",
                "add",
                &bed.box_access_if,
                "netns",
                &bed.box_ns,
                "type",
                "veth",
                "peer",
                "name",
                &s_if,
                "netns",
                &bed.server_ns,
            ],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect())
        .collect();
        for s in &steps {
            let args: Vec<&str> = s.iter().map(String::as_str).collect();
            sh(&args).unwrap_or_else(|e| panic!("bed setup: {e}"));
        }
        let cidr = |ip: &str| format!("{ip}/24");
        for (ns, ifname, addr) in [
            (&bed.client_ns, &c_if, Some(cidr(&bed.client_ip))),
            (&bed.box_ns, &bed.box_core_if, None),
            (&bed.box_ns, &bed.box_access_if, None),
            (&bed.server_ns, &s_if, Some(cidr(&bed.server_ip))),
        ] {
            if let Some(a) = &addr {
                sh(&["ip", "-n", ns, "addr", "add", a, "dev", ifname]).unwrap();
            }
            sh(&["ip", "-n", ns, "link", "set", ifname, "up"]).unwrap();
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]).unwrap();
            // MTU-sized frames with real checksums: no segmentation or
            // checksum offload on any veth.
            let _ = sh(&[
                "ip", "netns", "exec", ns, "ethtool", "-K", ifname, "tso", "off", "gso", "off",
                "gro", "off", "tx", "off", "rx", "off",
            ]);
        }
        bed
    }

    /// Starts a long-running process inside `ns`; killed by PID on drop.
    pub fn spawn(&mut self, ns: &str, cmd: &[&str]) -> u32 {
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn in namespace");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// Sends SIGTERM to a spawned process and collects its output.
    pub fn stop(&mut self, pid: u32) -> std::process::Output {
        let idx = self.children.iter().position(|c| c.id() == pid).expect("our child");
        let child = self.children.remove(idx);
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        child.wait_with_output().unwrap()
    }

    /// Runs a command to completion inside `ns`.
    pub fn exec(&self, ns: &str, cmd: &[&str]) -> std::process::Output {
        Command::new("ip").args(["netns", "exec", ns]).args(cmd).output().unwrap()
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = Command::new("kill").args(["-9", &c.id().to_string()]).status();
            let _ = c.wait();
        }
        for ns in [&self.client_ns, &self.box_ns, &self.server_ns] {
            let _ = sh(&["ip", "netns", "del", ns]);
        }
    }
}
