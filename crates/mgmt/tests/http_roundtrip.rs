//! The HTTP server on 127.0.0.1:0 answers every route, the client decodes
//! what it serves, and non-loopback binds are refused unless allowed.

mod support;
use support as sample;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mgmt::client::{fetch_flows, fetch_metrics, fetch_stats, get};
use mgmt::http::{HttpConfig, HttpError, HttpServer};
use mgmt::{FlowRow, MetricsSource, StatsSnapshot};

struct Fixed {
    scrapes: AtomicUsize,
}

impl MetricsSource for Fixed {
    fn stats(&self) -> StatsSnapshot {
        let mut s = sample::sample_stats();
        // Counters grow between scrapes, like a live dataplane.
        let n = self.scrapes.fetch_add(1, Ordering::Relaxed) as u64;
        s.flows.created += n;
        s
    }
    fn flows(&self, top: usize) -> Vec<FlowRow> {
        sample::sample_flows().into_iter().take(top).collect()
    }
}

fn start() -> HttpServer {
    let config = HttpConfig { bind: "127.0.0.1:0".parse().unwrap(), allow_non_loopback: false };
    HttpServer::start(&config, Arc::new(Fixed { scrapes: AtomicUsize::new(0) })).unwrap()
}

#[test]
fn round_trip_all_routes() {
    let server = start();
    let addr = server.local_addr().to_string();

    let stats = fetch_stats(&addr).unwrap();
    let mut expected = sample::sample_stats();
    expected.flows.created = stats.flows.created;
    assert_eq!(stats, expected);
    let again = fetch_stats(&addr).unwrap();
    assert!(again.flows.created > stats.flows.created, "counters increase between scrapes");

    assert_eq!(fetch_flows(&addr, 10).unwrap(), sample::sample_flows());
    assert_eq!(fetch_flows(&addr, 1).unwrap().len(), 1);

    let metrics = fetch_metrics(&addr).unwrap();
    assert!(metrics.contains("# TYPE jitterguard_flows_created_total counter"));

    let err = get(&addr, "/nope").unwrap_err().to_string();
    assert!(err.contains("404"), "{err}");
    let err = get(&addr, "/flows/7/explain").unwrap_err().to_string();
    assert!(err.contains("404"), "{err}");
    let err = get(&addr, "/flows.json?top=abc").unwrap_err().to_string();
    assert!(err.contains("400"), "{err}");
    server.shutdown();
}

#[test]
fn metrics_response_has_prometheus_content_type_and_rejects_post() {
    let server = start();
    let raw = |req: &str| {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let resp = raw("GET /metrics HTTP/1.0\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.0 200 OK\r\n"), "{resp}");
    assert!(resp.contains("Content-Type: text/plain; version=0.0.4"));
    let resp = raw("POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.0 405"), "{resp}");
    let resp = raw("garbage\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.0 400"), "{resp}");
}

#[test]
fn non_loopback_bind_is_refused_unless_allowed() {
    let src = Arc::new(Fixed { scrapes: AtomicUsize::new(0) });
    for bind in ["0.0.0.0:0", "198.18.0.1:9477", "[::]:0"] {
        let config =
            HttpConfig { bind: bind.parse::<SocketAddr>().unwrap(), allow_non_loopback: false };
        match HttpServer::start(&config, src.clone()) {
            Err(e @ HttpError::NonLoopback(_)) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(bind.trim_start_matches('[').split(']').next().unwrap()),
                    "{msg}"
                );
                assert!(msg.contains("allow_non_loopback = true"), "{msg}");
            }
            Err(e) => panic!("{bind}: wrong error {e}"),
            Ok(_) => panic!("{bind}: non-loopback bind was accepted"),
        }
    }
    // Explicitly allowed: the wildcard address binds (port 0, so no clash).
    let config = HttpConfig { bind: "0.0.0.0:0".parse().unwrap(), allow_non_loopback: true };
    let server = HttpServer::start(&config, src).unwrap();
    assert!(server.local_addr().ip().is_unspecified());
}

#[test]
fn client_reports_unreachable_server() {
    // Bind then drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = fetch_stats(&format!("127.0.0.1:{port}")).unwrap_err().to_string();
    assert!(err.contains("is it running"), "{err}");
}
