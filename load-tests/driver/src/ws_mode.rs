//! The WebSocket mode: opens many `/ws/realtime-sync` connections at a fixed
//! rate (optionally from several loopback source addresses), holds them, and
//! counts what opened, what failed and why, and what the server pushed.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use reqwest::Url;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::http_mode;
use crate::report::{Latency, Thresholds, WsReport};
use crate::stats::{latency_histogram, record_latency};

#[derive(Debug, Clone)]
pub struct WsConfig {
    pub base_url: String,
    pub connections: u64,
    /// New connections per second.
    pub connect_rate: f64,
    /// How long every connection is held once the last one was attempted.
    pub duration: Duration,
    /// Bind to 127.0.0.2 .. 127.0.0.(n+1), round-robin.
    pub source_ips: Option<u8>,
    pub emails: Vec<String>,
    pub password: String,
    pub connect_timeout: Duration,
    pub progress_every: Duration,
}

/// Raises RLIMIT_NOFILE's soft limit to the hard limit (10k sockets need more
/// than the usual 1024) and says what it did.
pub fn raise_nofile_limit() -> String {
    let before = rlimit::Resource::NOFILE.get();
    match (before, rlimit::increase_nofile_limit(u64::MAX)) {
        (Ok((soft, hard)), Ok(now)) => {
            format!(
                "RLIMIT_NOFILE: soft limit {soft} -> {now} (hard limit {hard}), via the rlimit crate"
            )
        }
        (_, Err(e)) | (Err(e), _) => format!("RLIMIT_NOFILE: could not raise the limit: {e}"),
    }
}

/// `ws://host/ws/realtime-sync?token=...` from the HTTP base URL.
pub fn socket_url(base: &str, token: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(base).with_context(|| format!("--base-url {base} is not a URL"))?;
    match url.scheme() {
        "http" | "ws" => {}
        other => bail!("the ws mode speaks plain ws:// only (no TLS built in), not {other}://"),
    }
    url.set_scheme("ws")
        .map_err(|()| anyhow::anyhow!("cannot turn {base} into a ws:// URL"))?;
    url.set_path("/ws/realtime-sync");
    url.query_pairs_mut().clear().append_pair("token", token);
    Ok(url)
}

/// The server's address, IPv4 first: the loopback source addresses are IPv4.
async fn resolve(url: &Url) -> anyhow::Result<SocketAddr> {
    let host = url.host_str().context("the base URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("resolving {host}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .with_context(|| format!("{host} resolves to no address"))
}

#[derive(Default)]
struct Shared {
    open: AtomicU64,
    opened: AtomicU64,
    failed: AtomicU64,
    messages: AtomicU64,
}

enum ConnResult {
    Failed(String),
    Opened {
        latency: Duration,
        dropped: Option<String>,
    },
}

pub async fn run(cfg: &WsConfig, thresholds: &Thresholds) -> anyhow::Result<WsReport> {
    if cfg.connect_rate <= 0.0 {
        bail!("--connect-rate must be above 0");
    }
    let client = http_mode::client(8, Duration::from_secs(30))?;
    // One login per account (not per socket): 10k logins would measure argon2, not WebSockets.
    let mut urls = Vec::new();
    for email in &cfg.emails {
        let token = http_mode::login(&client, &cfg.base_url, email, &cfg.password).await?;
        urls.push(socket_url(&cfg.base_url, &token)?.to_string());
    }
    let first = urls.first().context("no login e-mail given")?;
    let target = resolve(&Url::parse(first)?).await?;
    let sources: Vec<IpAddr> = match cfg.source_ips {
        Some(n) if n > 0 => {
            if !(target.is_ipv4() && target.ip().is_loopback()) {
                bail!(
                    "--source-ips needs a server on 127.0.0.0/8, not {}",
                    target.ip()
                );
            }
            (0..n.min(253))
                .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i)))
                .collect()
        }
        _ => Vec::new(),
    };
    eprintln!(
        "opening {} connections to {target} at {}/s{}",
        cfg.connections,
        cfg.connect_rate,
        if sources.is_empty() {
            String::new()
        } else {
            format!(" from {} source addresses", sources.len())
        }
    );

    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let start = Instant::now();
    let ticker = progress(shared.clone(), start, cfg.progress_every, cfg.connections);
    let mut tasks = Vec::with_capacity(usize::try_from(cfg.connections).unwrap_or(0));
    for i in 0..cfg.connections {
        sleep_until(start + Duration::from_secs_f64(i as f64 / cfg.connect_rate)).await;
        let source = (!sources.is_empty()).then(|| sources[(i as usize) % sources.len()]);
        let url = urls[(i as usize) % urls.len()].clone();
        tasks.push(tokio::spawn(connection(
            url,
            target,
            source,
            cfg.connect_timeout,
            shared.clone(),
            stop_rx.clone(),
        )));
    }
    let opening_secs = start.elapsed().as_secs_f64();
    sleep(cfg.duration).await;
    let open_at_end = shared.open.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    ticker.abort();

    let mut failed = BTreeMap::new();
    let mut dropped = BTreeMap::new();
    let mut latency = latency_histogram()?;
    let mut opened = 0;
    for task in tasks {
        match task.await.context("a connection task panicked")? {
            ConnResult::Failed(reason) => *failed.entry(reason).or_default() += 1,
            ConnResult::Opened {
                latency: l,
                dropped: d,
            } => {
                opened += 1;
                record_latency(&mut latency, l);
                if let Some(reason) = d {
                    *dropped.entry(reason).or_default() += 1;
                }
            }
        }
    }
    Ok(WsReport {
        title: format!(
            "WebSocket /ws/realtime-sync at {target}: {} connections at {}/s, held {:.0} s",
            cfg.connections,
            cfg.connect_rate,
            cfg.duration.as_secs_f64()
        ),
        attempted: cfg.connections,
        opened,
        failed,
        dropped,
        messages: shared.messages.load(Ordering::Relaxed),
        open_at_end,
        connect_latency: Latency::of(&latency),
        opening_secs,
        check: WsReport::lost_check(cfg.connections, open_at_end, thresholds),
    })
}

async fn connection(
    url: String,
    target: SocketAddr,
    source: Option<IpAddr>,
    connect_timeout: Duration,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> ConnResult {
    let began = Instant::now();
    let mut ws = match timeout(connect_timeout, open(url, target, source)).await {
        Err(_) => {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            return ConnResult::Failed("timeout".into());
        }
        Ok(Err(reason)) => {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            return ConnResult::Failed(reason);
        }
        Ok(Ok(ws)) => ws,
    };
    let latency = began.elapsed();
    shared.opened.fetch_add(1, Ordering::Relaxed);
    shared.open.fetch_add(1, Ordering::Relaxed);
    let dropped = loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break None;
                }
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    shared.messages.fetch_add(1, Ordering::Relaxed);
                }
                // Pings are answered by tungstenite itself on the next read.
                Some(Ok(Message::Close(frame))) => {
                    break Some(match frame {
                        Some(f) => format!("closed by server ({})", u16::from(f.code)),
                        None => "closed by server".to_owned(),
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Some(ws_reason(&e)),
                None => break Some("stream ended".to_owned()),
            }
        }
    };
    shared.open.fetch_sub(1, Ordering::Relaxed);
    if dropped.is_none() {
        let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
        let _ = timeout(Duration::from_secs(2), ws.flush()).await;
    }
    ConnResult::Opened { latency, dropped }
}

async fn open(
    url: String,
    target: SocketAddr,
    source: Option<IpAddr>,
) -> Result<WebSocketStream<TcpStream>, String> {
    let socket = if target.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| io_reason(&e))?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::new(ip, 0))
            .map_err(|e| io_reason(&e))?;
    }
    let stream = socket.connect(target).await.map_err(|e| io_reason(&e))?;
    let _ = stream.set_nodelay(true);
    let (ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| ws_reason(&e))?;
    Ok(ws)
}

/// A short, low-cardinality reason (never the URL: it carries the token).
fn io_reason(e: &io::Error) -> String {
    match (e.raw_os_error(), e.kind()) {
        (Some(24), _) => "too many open files (EMFILE)".into(),
        (Some(99), _) | (_, io::ErrorKind::AddrNotAvailable) => {
            "no free local port (EADDRNOTAVAIL)".into()
        }
        (_, io::ErrorKind::ConnectionRefused) => "connection refused".into(),
        (_, io::ErrorKind::ConnectionReset) => "connection reset".into(),
        (_, io::ErrorKind::TimedOut) => "timeout".into(),
        (_, kind) => format!("io: {kind}"),
    }
}

fn ws_reason(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(resp) => format!("HTTP {}", resp.status().as_u16()),
        tungstenite::Error::Io(io) => io_reason(io),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => "closed".into(),
        tungstenite::Error::Protocol(p) => format!("protocol: {p}"),
        other => format!("{other}").chars().take(80).collect(),
    }
}

fn progress(
    shared: Arc<Shared>,
    start: Instant,
    every: Duration,
    total: u64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if every.is_zero() {
            return;
        }
        loop {
            sleep(every).await;
            eprintln!(
                "[{:>5.0} s] opened {}/{total}, open {}, failed {}, messages {}",
                start.elapsed().as_secs_f64(),
                shared.opened.load(Ordering::Relaxed),
                shared.open.load(Ordering::Relaxed),
                shared.failed.load(Ordering::Relaxed),
                shared.messages.load(Ordering::Relaxed),
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_url_from_the_http_base() {
        let u = socket_url("http://localhost:5000", "a b&c").unwrap();
        assert_eq!(
            u.as_str(),
            "ws://localhost:5000/ws/realtime-sync?token=a+b%26c"
        );
        assert!(socket_url("https://example.com", "t").is_err());
    }

    #[test]
    fn io_reasons_are_short() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(io_reason(&e), "connection refused");
        assert_eq!(
            io_reason(&io::Error::from_raw_os_error(24)),
            "too many open files (EMFILE)"
        );
    }
}
