//! Builds the EAL command line from the configuration: lcores, memory mode,
//! one `--vdev` or `-a` per port, then the operator's own extra arguments.
//! Options the operator already gave are not generated a second time.

use crate::config::{Config, ConfigError, Hugepages};

/// Free 2 MiB/1 GiB hugepages of the default size, from /proc/meminfo.
pub fn free_hugepages() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("HugePages_Free:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn has_opt(args: &[String], names: &[&str]) -> bool {
    args.iter().any(|a| names.iter().any(|n| a == n || a.starts_with(&format!("{n}="))))
}

/// The full argv for `rte_eal_init` (argv[0] included).
pub fn build(
    cfg: &Config,
    extra: &[String],
    hugepages_free: u64,
) -> Result<Vec<String>, ConfigError> {
    let user: Vec<String> = cfg.eal.args.iter().chain(extra.iter()).cloned().collect();
    let mut args = vec!["jitterguard".to_string()];
    if !has_opt(&user, &["-l", "--lcores", "-c"]) {
        let mut cores = vec![cfg.dataplane.main_lcore];
        cores.extend(cfg.worker_lcores());
        let list: Vec<String> = cores.iter().map(u32::to_string).collect();
        args.push("-l".into());
        args.push(list.join(","));
        args.push("--main-lcore".into());
        args.push(cfg.dataplane.main_lcore.to_string());
    }
    if !has_opt(&user, &["--file-prefix", "--in-memory"]) {
        args.push(format!("--file-prefix={}", cfg.eal.file_prefix));
    }
    let user_no_huge = has_opt(&user, &["--no-huge"]);
    let no_huge = match cfg.eal.hugepages {
        Hugepages::Off => true,
        Hugepages::Auto => hugepages_free == 0,
        Hugepages::Require => {
            if hugepages_free == 0 && !user_no_huge {
                return Err(ConfigError(
                    "no hugepages: eal.hugepages = \"require\" but HugePages_Free is 0 \
                     (echo 1024 > /proc/sys/vm/nr_hugepages, or set eal.hugepages = \"auto\")"
                        .into(),
                ));
            }
            false
        }
    };
    if no_huge && !user_no_huge {
        args.push("--no-huge".into());
        if !has_opt(&user, &["-m", "--socket-mem"]) {
            args.push("-m".into());
            args.push(cfg.eal.no_huge_memory_mb.to_string());
        }
    }
    let all_vdev = cfg.port_pairs.iter().all(|p| {
        !dataplane::port::is_pci_address(&p.core) && !dataplane::port::is_pci_address(&p.access)
    });
    if all_vdev && !has_opt(&user, &["--no-pci", "-a", "--allow", "-b", "--block"]) {
        args.push("--no-pci".into());
    }
    for p in &cfg.port_pairs {
        for devargs in [&p.core, &p.access] {
            if dataplane::port::is_pci_address(devargs) {
                args.push("-a".into());
            } else {
                args.push("--vdev".into());
            }
            args.push(devargs.clone());
        }
    }
    args.extend(user);
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PortPair;

    fn cfg(core: &str, access: &str) -> Config {
        Config {
            port_pairs: vec![PortPair { core: core.into(), access: access.into() }],
            ..Default::default()
        }
    }

    #[test]
    fn vdevs_without_hugepages_get_no_huge_and_no_pci() {
        let a = build(&cfg("net_null0", "net_null1"), &[], 0).unwrap();
        assert_eq!(
            a,
            [
                "jitterguard",
                "-l",
                "0,1",
                "--main-lcore",
                "0",
                "--file-prefix=jitterguard",
                "--no-huge",
                "-m",
                "512",
                "--no-pci",
                "--vdev",
                "net_null0",
                "--vdev",
                "net_null1"
            ]
        );
    }

    #[test]
    fn pci_ports_with_hugepages_are_allowed_by_address() {
        let a = build(&cfg("0000:01:00.0", "0000:01:00.1"), &[], 1024).unwrap();
        assert!(!a.contains(&"--no-huge".to_string()) && !a.contains(&"--no-pci".to_string()));
        assert!(a.windows(2).any(|w| w == ["-a", "0000:01:00.0"]));
    }

    #[test]
    fn operator_options_are_not_duplicated() {
        let extra: Vec<String> =
            ["--no-huge", "--no-pci", "-l", "0-1", "-m", "256"].map(String::from).to_vec();
        let a = build(&cfg("net_null0", "net_null1"), &extra, 0).unwrap();
        assert_eq!(a.iter().filter(|x| *x == "--no-huge").count(), 1);
        assert_eq!(a.iter().filter(|x| *x == "-l").count(), 1);
        assert_eq!(a.iter().filter(|x| *x == "-m").count(), 1);
        assert_eq!(a.iter().filter(|x| *x == "--no-pci").count(), 1);
    }

    #[test]
    fn required_hugepages_missing_is_a_one_line_error() {
        let mut c = cfg("0000:01:00.0", "0000:01:00.1");
        c.eal.hugepages = Hugepages::Require;
        let e = build(&c, &[], 0).unwrap_err().0;
        assert!(e.starts_with("no hugepages") && !e.contains('\n'), "{e}");
    }
}
