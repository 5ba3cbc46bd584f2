//! Tiny HTTP/1.0 management server on `std::net`, one thread.
//!
//! Routes: `GET /metrics` (Prometheus text), `GET /stats.json`
//! (`StatsSnapshot`), `GET /flows.json?top=N` (`Vec<FlowRow>`, default 20,
//! at most 10 000), `GET /flows/<id>/explain` (JSON from the source, 404
//! when it has none). Every response closes the connection.
//!
//! Connections are served one at a time on the server thread: this is a
//! scrape endpoint for Prometheus and the CLI, not a web server. Each
//! request must arrive within [`REQUEST_TIMEOUT`] and fit in
//! [`MAX_REQUEST_BYTES`], so a stuck client delays others by at most that.
//! The listener is non-blocking and polled so that shutdown needs no
//! wake-up connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::prometheus;
use crate::source::MetricsSource;

/// Default bind address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:9477";
/// Time a client has to send its request head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest accepted request head.
pub const MAX_REQUEST_BYTES: usize = 8192;
/// Default and maximum `top` of `/flows.json`.
pub const DEFAULT_TOP: usize = 20;
/// Upper bound on `top`.
pub const MAX_TOP: usize = 10_000;
const ACCEPT_POLL: Duration = Duration::from_millis(20);

/// Server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Must be true to listen on anything but a loopback address.
    pub allow_non_loopback: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { bind: SocketAddr::from(([127, 0, 0, 1], 9477)), allow_non_loopback: false }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The bind address is not loopback and the config did not allow it.
    #[error(
        "refusing to serve the management API on non-loopback address {0}: it exposes flow \
         details and counters without authentication; bind to 127.0.0.1 or ::1, or set \
         allow_non_loopback = true to expose it deliberately"
    )]
    NonLoopback(SocketAddr),
    /// The socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// OS error.
        source: io::Error,
    },
    /// Other socket setup failure.
    #[error("management server setup failed: {0}")]
    Io(#[from] io::Error),
}

/// A running server; dropping it (or [`shutdown`](Self::shutdown)) stops
/// the thread.
pub struct HttpServer {
    local_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Binds and starts serving on a new thread named `mgmt-http`.
    pub fn start(
        config: &HttpConfig,
        source: Arc<dyn MetricsSource + Send + Sync>,
    ) -> Result<HttpServer, HttpError> {
        if !config.bind.ip().is_loopback() && !config.allow_non_loopback {
            return Err(HttpError::NonLoopback(config.bind));
        }
        let listener = TcpListener::bind(config.bind)
            .map_err(|source| HttpError::Bind { addr: config.bind, source })?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("mgmt-http".into())
            .spawn(move || serve(listener, source, thread_stop))?;
        Ok(HttpServer { local_addr, stop, thread: Some(thread) })
    }

    /// The address actually bound (resolves port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, finishes the current request and joins the thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn serve(
    listener: TcpListener,
    source: Arc<dyn MetricsSource + Send + Sync>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A failed exchange only affects that client.
                let _ = handle(stream, source.as_ref());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(_) => std::thread::sleep(ACCEPT_POLL),
        }
    }
}

/// A response ready to be written.
struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn text(status: &'static str, body: &str) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
        }
    }

    fn json(body: Result<Vec<u8>, serde_json::Error>) -> Response {
        match body {
            Ok(body) => Response { status: "200 OK", content_type: "application/json", body },
            Err(e) => Response::text("500 Internal Server Error", &format!("{e}\n")),
        }
    }
}

fn handle(mut stream: TcpStream, source: &dyn MetricsSource) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let response = match read_head(&mut stream) {
        Ok(head) => route(&head, source),
        Err(HeadError::TooLarge) => {
            Response::text("431 Request Header Fields Too Large", "request too large\n")
        }
        Err(HeadError::Malformed) => Response::text("400 Bad Request", "malformed request\n"),
        Err(HeadError::Io(e)) => return Err(e),
    };
    let head = format!(
        "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

enum HeadError {
    TooLarge,
    Malformed,
    Io(io::Error),
}

/// Reads up to the blank line ending the request head, under an overall
/// deadline (a per-read timeout alone would let a trickling client hold the
/// thread forever).
fn read_head(stream: &mut TcpStream) -> Result<String, HeadError> {
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Io(io::Error::new(io::ErrorKind::TimedOut, "request timeout")));
        }
        stream.set_read_timeout(Some(left)).map_err(HeadError::Io)?;
        let n = stream.read(&mut chunk).map_err(HeadError::Io)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        if buf.len() > MAX_REQUEST_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
    String::from_utf8(buf).map_err(|_| HeadError::Malformed)
}

fn route(head: &str, source: &dyn MetricsSource) -> Response {
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Response::text("400 Bad Request", "malformed request line\n");
    };
    if method != "GET" {
        return Response::text("405 Method Not Allowed", "only GET is supported\n");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/metrics" => Response {
            status: "200 OK",
            content_type: prometheus::CONTENT_TYPE,
            body: prometheus::render(&source.stats()).into_bytes(),
        },
        "/stats.json" => Response::json(serde_json::to_vec(&source.stats())),
        "/flows.json" => match parse_top(query) {
            Ok(top) => Response::json(serde_json::to_vec(&source.flows(top))),
            Err(msg) => Response::text("400 Bad Request", &msg),
        },
        _ => match explain_id(path) {
            Some(Ok(id)) => match source.explain(id) {
                Some(v) => Response::json(serde_json::to_vec(&v)),
                None => Response::text("404 Not Found", "no explanation for this flow\n"),
            },
            Some(Err(())) => Response::text("400 Bad Request", "flow id must be an integer\n"),
            None => Response::text(
                "404 Not Found",
                "not found; try /metrics, /stats.json, /flows.json?top=N\n",
            ),
        },
    }
}

fn parse_top(query: &str) -> Result<usize, String> {
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("top=") {
            return v
                .parse::<usize>()
                .map(|n| n.min(MAX_TOP))
                .map_err(|_| format!("top must be a non-negative integer, got {v:?}\n"));
        }
    }
    Ok(DEFAULT_TOP)
}

/// `Some(Ok(id))` for `/flows/<id>/explain`, `Some(Err)` for a bad id,
/// `None` for any other path.
fn explain_id(path: &str) -> Option<Result<u64, ()>> {
    let id = path.strip_prefix("/flows/")?.strip_suffix("/explain")?;
    Some(id.parse::<u64>().map_err(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_parameter() {
        assert_eq!(parse_top(""), Ok(DEFAULT_TOP));
        assert_eq!(parse_top("top=5"), Ok(5));
        assert_eq!(parse_top("x=1&top=7"), Ok(7));
        assert_eq!(parse_top("top=99999999"), Ok(MAX_TOP));
        assert!(parse_top("top=-1").is_err());
    }

    #[test]
    fn explain_paths() {
        assert_eq!(explain_id("/flows/42/explain"), Some(Ok(42)));
        assert_eq!(explain_id("/flows/x/explain"), Some(Err(())));
        assert_eq!(explain_id("/flows/42"), None);
    }
}
