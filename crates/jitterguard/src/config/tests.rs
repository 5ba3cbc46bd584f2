use super::*;

const PAIR: &str = r#"
[[port_pairs]]
core = "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"
access = "net_pcap1,rx_pcap=in2.pcap,tx_pcap=out2.pcap"
"#;

fn valid() -> Config {
    Config::from_toml(PAIR).expect("valid")
}

fn error_of(text: &str) -> String {
    match Config::from_toml(text) {
        Err(e) => e.0,
        Ok(c) => c.validate(64).expect_err("should be invalid").0,
    }
}

#[test]
fn minimal_config_gets_the_documented_defaults() {
    let c = valid();
    assert_eq!(c.mode, Mode::Passthrough);
    assert_eq!(c.dataplane.burst_size, 32);
    assert_eq!(c.dataplane.mempool_size, 16383);
    assert_eq!(c.eal.hugepages, Hugepages::Auto);
    assert_eq!(c.worker_lcores(), vec![1]);
    c.validate(2).expect("defaults fit a 2-CPU machine");
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let e = error_of(&format!("{PAIR}\n[dataplane]\nburst = 32\n"));
    assert!(e.contains("unknown field `burst`"), "{e}");
    let e = error_of(&format!("colour = \"red\"\n{PAIR}"));
    assert!(e.contains("unknown field `colour`") && e.contains("line 1"), "{e}");
}

#[test]
fn wrong_types_and_bad_enums_are_refused() {
    let e = error_of(&format!("{PAIR}\n[dataplane]\nburst_size = \"big\"\n"));
    assert!(e.contains("invalid type"), "{e}");
    let e = error_of(&format!("mode = \"turbo\"\n{PAIR}"));
    assert!(e.contains("turbo") && e.contains("passthrough"), "{e}");
}

#[test]
fn missing_port_pairs_are_named() {
    let e = error_of("mode = \"passthrough\"\n");
    assert!(e.starts_with("no port pairs"), "{e}");
    let e = error_of("[[port_pairs]]\ncore = \"net_null0\"\n");
    assert!(e.contains("missing field `access`"), "{e}");
}

#[test]
fn bad_values_get_precise_errors() {
    let e = error_of(&format!("{PAIR}\n[dataplane]\nburst_size = 0\n"));
    assert!(e.starts_with("dataplane.burst_size = 0"), "{e}");
    let e = error_of(&format!("{PAIR}\n[dataplane]\nburst_size = 65\n"));
    assert!(e.contains("between 1 and 64"), "{e}");
    let e = error_of(&format!("{PAIR}\n[dataplane]\nmempool_size = 100\n"));
    assert!(e.starts_with("dataplane.mempool_size = 100"), "{e}");
    let e = error_of(&format!("{PAIR}\n[log]\nlevel = \"[[[\"\n"));
    assert!(e.starts_with("log.level"), "{e}");
    let e = error_of("[[port_pairs]]\ncore = \"eth0\"\naccess = \"net_null1\"\n");
    assert!(e.contains("port_pairs[0].core") && e.contains("neither a PCI address"), "{e}");
    let e = error_of("[[port_pairs]]\ncore = \"net_null0\"\naccess = \"net_null0,size=64\"\n");
    assert!(e.contains("used twice"), "{e}");
    let e = error_of(&format!("{PAIR}\n[shield]\nack_pacing = true\nack_pacing_gain_pct = 80\n"));
    assert!(e.starts_with("shield.ack_pacing_gain_pct = 80"), "{e}");
}

#[test]
fn classifier_thresholds_reach_the_shield_and_bad_ones_are_refused() {
    let text = format!(
        "{PAIR}\n[shield]\nlocal_recovery = false\n\
         [shield.classifier]\nticks_to_jitter = 5\nqueue_delay_abs_us = 4000\n"
    );
    let c = Config::from_toml(&text).expect("valid");
    c.validate(64).expect("valid");
    let s = c.shield.to_shield_config();
    assert_eq!((s.ticks_to_jitter, s.queue_delay_abs_us), (5, 4000));
    assert_eq!(s.ticks_to_clear, shield::ShieldConfig::default().ticks_to_clear);
    assert!(!s.actions.local_recovery && s.actions.hide_holes, "actions from [shield]");
    // The printed config reads back as the same config.
    assert_eq!(Config::from_toml(&c.to_toml()).expect("round trip"), c);

    let bad = |t: &str| error_of(&format!("{PAIR}\n[shield.classifier]\n{t}\n"));
    assert!(bad("ticks_to_jitter = 0").starts_with("shield.classifier.ticks_to_jitter = 0"));
    assert!(bad("group_congested_pct = 150").contains("between 1 and 100"));
    assert!(bad("tick_min_us = 10").contains("at least 1000"));
    assert!(bad("rto_initial_us = 1000").contains("below rto_min_us"));
    assert!(bad("tick_min = 1").contains("unknown field `tick_min`"));
    let e = bad("[shield.classifier.actions]\nlocal_recovery = true");
    assert!(e.contains("switched in [shield] itself"), "{e}");
}

#[test]
fn too_few_lcores_is_refused() {
    let mut c = valid();
    c.dataplane.worker_lcores = vec![1, 2];
    let e = c.validate(2).unwrap_err().0;
    assert!(e.starts_with("too few lcores") && e.contains("CPU 2"), "{e}");
    c.dataplane.worker_lcores = vec![0];
    let e = c.validate(8).unwrap_err().0;
    assert!(e.contains("main lcore"), "{e}");
}

#[test]
fn command_line_overrides_replace_the_first_pair_and_mode() {
    let mut c = valid();
    c.apply(&Overrides {
        core_port: Some("net_af_packet0,iface=box0".into()),
        mode: Some(Mode::Passthrough),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.port_pairs[0].core, "net_af_packet0,iface=box0");
    assert!(c.port_pairs[0].access.starts_with("net_pcap1"));

    let mut empty = Config::default();
    let e = empty
        .apply(&Overrides { core_port: Some("net_null0".into()), ..Default::default() })
        .unwrap_err();
    assert!(e.0.contains("--access-port"), "{}", e.0);
    empty
        .apply(&Overrides {
            core_port: Some("net_null0".into()),
            access_port: Some("net_null1".into()),
            ..Default::default()
        })
        .unwrap();
    empty.validate(2).expect("CLI-only config is complete");
}

#[test]
fn resolved_config_round_trips_through_toml() {
    let c = valid();
    let again = Config::from_toml(&c.to_toml()).expect("printed config parses");
    assert_eq!(c, again);
}

#[test]
fn shipped_example_configs_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("configs/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let c = Config::load(&path).unwrap_or_else(|e| panic!("{}", e.0));
            c.validate(2).unwrap_or_else(|e| panic!("{}: {}", path.display(), e.0));
            n += 1;
        }
    }
    assert!(n >= 3, "expected the example configs, found {n}");
}
