//! Client side of the management API, for `jitterguard stats` and
//! `jitterguard flows`: plain HTTP/1.0 over `std::net`.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde::de::DeserializeOwned;

use crate::model::{FlowRow, StatsSnapshot};

/// Connect, read and write timeout of one request.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest response accepted (a 10 000-flow dump is about 6 MB).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// `GET path` on `addr` (e.g. `127.0.0.1:9477`); returns the body of a 200
/// response, an error naming the status otherwise.
pub fn get(addr: &str, path: &str) -> anyhow::Result<Vec<u8>> {
    let sock = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve management address {addr}"))?
        .next()
        .ok_or_else(|| anyhow!("management address {addr} resolves to nothing"))?;
    let mut stream = TcpStream::connect_timeout(&sock, CLIENT_TIMEOUT).with_context(|| {
        format!("cannot connect to jitterguard management API at {sock} (is it running?)")
    })?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut raw)
        .with_context(|| format!("reading response to GET {path}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP response to GET {path}"))?;
    let head = String::from_utf8_lossy(raw.get(..split).unwrap_or(&[])).into_owned();
    let body = raw.get(split + 4..).unwrap_or(&[]).to_vec();
    let status = head.lines().next().unwrap_or("");
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code != "200" {
        bail!("GET {path}: {status}: {}", String::from_utf8_lossy(&body).trim());
    }
    Ok(body)
}

fn get_json<T: DeserializeOwned>(addr: &str, path: &str) -> anyhow::Result<T> {
    let body = get(addr, path)?;
    serde_json::from_slice(&body).with_context(|| format!("decoding JSON from GET {path}"))
}

/// Fetches `/stats.json`.
pub fn fetch_stats(addr: &str) -> anyhow::Result<StatsSnapshot> {
    get_json(addr, "/stats.json")
}

/// Fetches `/flows.json?top=N`.
pub fn fetch_flows(addr: &str, top: usize) -> anyhow::Result<Vec<FlowRow>> {
    get_json(addr, &format!("/flows.json?top={top}"))
}

/// Fetches `/metrics` as text.
pub fn fetch_metrics(addr: &str) -> anyhow::Result<String> {
    let body = get(addr, "/metrics")?;
    String::from_utf8(body).context("metrics are not UTF-8")
}
