//! Real Linux TCP through the box: client and server namespaces joined by
//! veths to jitterguard (`net_af_packet` vdevs); a 20 MB transfer must
//! arrive with the same sha256 it left with.

mod common;

use common::netns::{can_build_beds, Bed};
use common::*;

/// Receives one connection, hashes everything until EOF, prints the hex.
const RECEIVER: &str = r#"
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"#;

/// Connects (retrying while the box comes up), sends N pseudo-random bytes,
/// prints how many and their sha256.
const SENDER: &str = r#"
import hashlib, os, random, socket, sys, time
n = int(sys.argv[2]); rnd = random.Random(7); h = hashlib.sha256()
deadline = time.time() + 30
while True:
    try:
        s = socket.create_connection((sys.argv[1], 5001), timeout=5); break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.2)
s.settimeout(60); left = n
while left:
    b = rnd.randbytes(min(left, 1 << 16)); s.sendall(b); h.update(b); left -= len(b)
s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
print(n, h.hexdigest(), flush=True)
"#;

#[test]
fn twenty_megabytes_of_real_tcp_cross_the_box_intact() {
    if !can_build_beds() {
        eprintln!("SKIPPED: needs root and iproute2 to build network namespaces");
        return;
    }
    let mut bed = Bed::new("tcp", 10);
    let core = format!("net_af_packet0,iface={}", bed.box_core_if);
    let access = format!("net_af_packet1,iface={}", bed.box_access_if);
    let mut args = vec![
        bin(),
        "run",
        "--core-port",
        &core,
        "--access-port",
        &access,
        "--listen",
        "127.0.0.1:0",
        "--",
    ];
    let eal = eal_prefix("afp");
    let eal_args = eal.args();
    args.extend(eal_args.iter().map(String::as_str));
    let box_ns = bed.box_ns.clone();
    let jg = bed.spawn(&box_ns, &args);

    let server_ns = bed.server_ns.clone();
    let server_ip = bed.server_ip.clone();
    let rx = bed.spawn(&server_ns, &["python3", "-c", RECEIVER, &server_ip]);
    let sent = bed.exec(&bed.client_ns, &["python3", "-c", SENDER, &server_ip, "20000000"]);
    let received = bed.stop(rx);
    let box_out = bed.stop(jg);
    let box_stdout = String::from_utf8_lossy(&box_out.stdout).to_string();
    assert!(
        sent.status.success(),
        "sender failed: {}\nbox: {box_stdout}\n{}",
        String::from_utf8_lossy(&sent.stderr),
        String::from_utf8_lossy(&box_out.stderr)
    );
    let sent = String::from_utf8_lossy(&sent.stdout).trim().to_string();
    let received = String::from_utf8_lossy(&received.stdout).trim().to_string();
    assert!(sent.starts_with("20000000 "), "{sent}");
    assert_eq!(received, sent, "sha256 differs between the two ends");
    assert!(box_out.status.success(), "box exit {:?}", box_out.status);
    let c = final_counters(&box_stdout);
    // 20 MB in MTU-sized frames is at least ~13800 data frames through the box.
    assert!(counter(&c, "lcore=1", "rx_from_core") > 13_000, "{box_stdout}");
    assert!(counter(&c, "lcore=1", "rx_from_access") > 1_000, "{box_stdout}");
}
