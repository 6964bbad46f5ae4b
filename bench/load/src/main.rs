//! A bounded load client for `sovra serve` on loopback: N client threads, each on its own keep-alive
//! connection, send a fixed mix of requests (depend / keys / multipliers / shock) until the request count or
//! the time limit is reached; prints throughput, p50 / p99 latency per kind, errors (non-2xx or I/O),
//! responses lost (sent but never answered) and the server's resident memory after warm-up and at the end.
//!
//! ```text
//! sovra-bench-load --addr 127.0.0.1:8750 --pid 1234 --clients 8 --requests 400 --seconds 60
//! ```
//! Only loopback addresses are accepted: this is a bench, not a tool to load other machines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One kind of request of the mix.
struct Kind {
    name: &'static str,
    path: &'static str,
    body: &'static str,
    weight: u32,
}

const MIX: &[Kind] = &[
    Kind {
        name: "depend",
        path: "/v1/depend",
        body: r#"{"us":"EU27","them":"CHN","top":25}"#,
        weight: 4,
    },
    Kind {
        name: "keys",
        path: "/v1/keys",
        body: r#"{"us":"DEU","them":"CHN","top":20}"#,
        weight: 2,
    },
    Kind {
        name: "multipliers",
        path: "/v1/multipliers",
        body: r#"{"top":20}"#,
        weight: 2,
    },
    Kind {
        name: "shock",
        path: "/v1/shock",
        body: r#"{"sanctioning":"USA","target":"CHN","top":10}"#,
        weight: 1,
    },
];

struct Args {
    addr: SocketAddr,
    pid: Option<u32>,
    clients: usize,
    requests: u64,
    seconds: f64,
    only: Option<String>,
    token: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:8750".parse().map_err(|e| format!("{e}"))?,
        pid: None,
        clients: 1,
        requests: 100,
        seconds: 60.0,
        only: None,
        token: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addr = val()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--pid" => a.pid = Some(val()?.parse().map_err(|e| format!("--pid: {e}"))?),
            "--clients" => a.clients = val()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--requests" => a.requests = val()?.parse().map_err(|e| format!("--requests: {e}"))?,
            "--seconds" => a.seconds = val()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--only" => a.only = Some(val()?),
            "--token-file" => {
                let f = val()?;
                a.token = Some(
                    std::fs::read_to_string(&f)
                        .map_err(|e| format!("--token-file {f}: {e}"))?
                        .trim()
                        .to_string(),
                );
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !a.addr.ip().is_loopback() {
        return Err(format!("{}: only loopback addresses", a.addr));
    }
    if a.clients == 0 || a.clients > 256 || a.requests == 0 || a.requests > 100_000 {
        return Err("--clients 1..=256, --requests 1..=100000".into());
    }
    if !(a.seconds > 0.0 && a.seconds <= 600.0) {
        return Err("--seconds in (0, 600]".into());
    }
    Ok(a)
}

/// Resident memory of a process, in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One request on a keep-alive connection; the status code, or an error.
fn request(
    conn: &mut Option<BufReader<TcpStream>>,
    addr: SocketAddr,
    k: &Kind,
    token: Option<&str>,
) -> std::io::Result<u16> {
    if conn.is_none() {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        s.set_nodelay(true)?;
        *conn = Some(BufReader::new(s));
    }
    let Some(reader) = conn.as_mut() else {
        return Err(std::io::Error::other("no connection"));
    };
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json\r\n{auth}Content-Length: {}\r\n\r\n{}",
        k.path,
        k.body.len(),
        k.body
    );
    reader.get_mut().write_all(req.as_bytes())?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok();
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        } else if lower.starts_with("connection:") && lower.contains("close") {
            close = true;
        }
    }
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|e| std::io::Error::other(format!("chunk size: {e}")))?;
            let mut buf = vec![0u8; size + 2];
            reader.read_exact(&mut buf)?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        let mut buf = vec![0u8; n];
        reader.read_exact(&mut buf)?;
    } else {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)?;
        close = true;
    }
    if close {
        *conn = None;
    }
    Ok(status)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mix: Vec<&Kind> = MIX
        .iter()
        .filter(|k| a.only.as_deref().is_none_or(|o| o == k.name))
        .flat_map(|k| std::iter::repeat_n(k, k.weight as usize))
        .collect();
    if mix.is_empty() {
        eprintln!("error: --only names no kind of the mix");
        std::process::exit(2);
    }
    // Warm-up: one request of each kind, then the memory baseline.
    let mut warm = None;
    for k in MIX
        .iter()
        .filter(|k| a.only.as_deref().is_none_or(|o| o == k.name))
    {
        if let Err(e) = request(&mut warm, a.addr, k, a.token.as_deref()) {
            eprintln!("warm-up {}: {e}", k.name);
        }
    }
    let rss_warm = a.pid.and_then(rss_mb);
    let next = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let lat: Arc<Mutex<Vec<(usize, f64)>>> = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..a.clients)
        .map(|_| {
            let (next, sent, answered, errors, lat, mix) = (
                next.clone(),
                sent.clone(),
                answered.clone(),
                errors.clone(),
                lat.clone(),
                mix.clone(),
            );
            let token = a.token.clone();
            let (addr, total) = (a.addr, a.requests);
            std::thread::spawn(move || {
                let mut conn = None;
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || Instant::now() >= deadline {
                        break;
                    }
                    let k = mix[(i as usize) % mix.len()];
                    let kind = MIX.iter().position(|m| m.name == k.name).unwrap_or(0);
                    sent.fetch_add(1, Ordering::Relaxed);
                    let t0 = Instant::now();
                    match request(&mut conn, addr, k, token.as_deref()) {
                        Ok(status) => {
                            answered.fetch_add(1, Ordering::Relaxed);
                            if !(200..300).contains(&status) {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            mine.push((kind, t0.elapsed().as_secs_f64()));
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            conn = None;
                        }
                    }
                }
                if let Ok(mut l) = lat.lock() {
                    l.extend(mine);
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let wall = started.elapsed().as_secs_f64();
    let rss_end = a.pid.and_then(rss_mb);
    let lat = lat.lock().map(|l| l.clone()).unwrap_or_default();
    let (sent, answered, errors) = (
        sent.load(Ordering::Relaxed),
        answered.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
    let mut per_kind = serde_json::Map::new();
    for (ki, k) in MIX.iter().enumerate() {
        let mut v: Vec<f64> = lat
            .iter()
            .filter(|(i, _)| *i == ki)
            .map(|(_, s)| *s)
            .collect();
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        per_kind.insert(
            k.name.into(),
            serde_json::json!({"n": v.len(), "p50_ms": percentile(&v, 0.5) * 1e3, "p99_ms": percentile(&v, 0.99) * 1e3}),
        );
    }
    let mut all: Vec<f64> = lat.iter().map(|(_, s)| *s).collect();
    all.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "clients": a.clients,
        "requests": sent,
        "answered": answered,
        "errors": errors,
        "lost": sent - answered.min(sent),
        "seconds": wall,
        "throughput_per_s": answered as f64 / wall,
        "p50_ms": percentile(&all, 0.5) * 1e3,
        "p99_ms": percentile(&all, 0.99) * 1e3,
        "per_kind": per_kind,
        "rss_warm_mb": rss_warm,
        "rss_end_mb": rss_end,
    });
    println!("{out}");
}
