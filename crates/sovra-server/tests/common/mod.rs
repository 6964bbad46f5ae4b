//! The test harness: a generated table in a temporary store, the server started in-process on
//! 127.0.0.1:0 (its own runtime on a thread, stopped when the handle drops), and a small blocking HTTP/1.1
//! client over `TcpStream` that also sends malformed requests and hangs up mid-request. Every read has a
//! time limit, so no test can hang.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sovra_core::{store, synth};
use sovra_engine::{Error, Progress, Request, Workspace};
use sovra_report::{Provenance, Report};
use sovra_server::{AppState, Engine, Limits};

/// A store with the generated table `demo` (4 regions R01–R04 × 3 sectors, one stressor).
pub fn store() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    write_demo(home.path(), "demo");
    write_demo_series(home.path());
    write_trade(home.path());
    home
}

/// A series `demo_series` of three years (2020–2022) of generated tables with the labels of `demo`, for the
/// kinds that compare years (`monitor`, `decompose`).
pub fn write_demo_series(home: &Path) {
    let years = [(2020, 11), (2021, 12), (2022, 13)].map(|(year, seed)| {
        let mut t = synth::table(
            "demo_series",
            synth::Spec {
                regions: 4,
                sectors: 3,
                categories: 2,
                seed,
                ..Default::default()
            },
        )?;
        t.provenance.year = Some(year);
        Ok(store::SeriesYear {
            table: t,
            arrays: Vec::new(),
        })
    });
    store::write_series(
        home,
        &store::SeriesInfo {
            name: "demo_series".into(),
            title: "generated series".into(),
            ..Default::default()
        },
        store::WriteMode::CreateNew,
        sovra_core::lock::Wait::default(),
        years,
    )
    .expect("series");
}

/// The workspace's trade store (`HOME/trade`) with two synthetic years, for the trade kinds.
pub fn write_trade(home: &Path) {
    let mut files = Vec::new();
    for (year, seed) in [(2021, 2), (2022, 1)] {
        let flows = sovra_trade::synth::year(sovra_trade::synth::Spec {
            countries: 20,
            products: 60,
            destinations: 6.0,
            year,
            seed,
            real_codes: false,
        });
        let f = home.join(format!("synth{year}.csv"));
        std::fs::write(&f, sovra_trade::synth::to_long_csv(&flows)).expect("write");
        files.push(f);
    }
    sovra_lake::import::import(
        &files,
        None,
        &home.join("trade"),
        &sovra_lake::import::ImportOptions::default(),
        &|_| {},
    )
    .expect("import");
}

pub fn write_demo(home: &Path, name: &str) {
    let t = synth::table(
        name,
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 1,
            ..Default::default()
        },
    )
    .expect("synthetic table");
    store::write(home, &t, store::WriteMode::CreateNew).expect("store");
}

/// Small limits for tests.
pub fn limits() -> Limits {
    Limits {
        max_body: 4096,
        timeout: Duration::from_secs(20),
        max_concurrent: 2,
        queue: 4,
        max_top: 1000,
        max_parts: 50,
    }
}

/// A server running on a thread of its own.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(state: AppState) -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                sovra_server::serve_on(listener, Arc::new(state), async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
            runtime.shutdown_timeout(Duration::from_secs(5));
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server started");
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, body: &str) -> Answer {
        self.request("POST", path, &[], body.as_bytes())
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }

    /// Sends bytes as they are and reads the answer to the end.
    pub fn raw(&self, bytes: &[u8]) -> Answer {
        let mut stream = self.connect();
        stream.write_all(bytes).expect("send");
        read_answer(&mut stream)
    }

    /// A connection with read and write time limits.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream
            .set_write_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a JSON error of this status and kind; returns the body.
    pub fn error(&self, status: u16, kind: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{:?}",
            self.headers
        );
        let body = self.json();
        assert_eq!(body["kind"], kind, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    }
}

/// Reads one answer (the connection is `close`, so to the end), decoding a chunked body.
pub fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    parse_answer(&bytes)
}

pub fn parse_answer(bytes: &[u8]) -> Answer {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let raw = &bytes[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(raw) } else { raw.to_vec() };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..end])
                .split(';')
                .next()
                .unwrap_or("")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || raw.len() < end + 2 + size {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[(end + 4 + size).min(raw.len())..];
    }
}

/// Waits (at most `limit`) until `done` holds.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// The engine, with test behaviours behind `multipliers` requests whose `region` is a keyword:
/// `SLOW` runs until cancelled (at most 10 s), `PANIC` panics, `STREAM<n>` streams n parts (20 ms apart,
/// stopping when cancelled). It counts what it started and what was cancelled.
#[derive(Default)]
pub struct TestEngine {
    pub started: AtomicUsize,
    pub cancelled: AtomicUsize,
    pub parts_sent: AtomicUsize,
}

impl TestEngine {
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    pub fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }

    fn keyword(req: &Request) -> Option<&str> {
        match req {
            Request::Multipliers(q) => q.region.as_deref(),
            _ => None,
        }
    }

    fn part(i: usize) -> Report {
        Report::new("test_part", format!("part {i}"), Provenance::new())
            .with_parameter("part", "part", i as i64)
    }
}

impl Engine for TestEngine {
    fn run(
        &self,
        ws: &Workspace,
        req: &Request,
        progress: &dyn Progress,
    ) -> sovra_engine::Result<Report> {
        match Self::keyword(req) {
            Some("SLOW") => {
                self.started.fetch_add(1, Ordering::SeqCst);
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(10) {
                    if progress.cancelled() {
                        self.cancelled.fetch_add(1, Ordering::SeqCst);
                        return Err(Error::cancelled());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(Self::part(0))
            }
            Some("PANIC") => panic!("a test panic inside an analysis"),
            _ => sovra_engine::run(ws, req, progress),
        }
    }

    fn streams(&self, req: &Request) -> bool {
        Self::keyword(req).is_some_and(|k| k.starts_with("STREAM"))
    }

    fn run_stream(
        &self,
        _ws: &Workspace,
        req: &Request,
        sink: &mut dyn FnMut(Report) -> sovra_engine::Result<()>,
        progress: &dyn Progress,
    ) -> sovra_engine::Result<Report> {
        let n: usize = Self::keyword(req)
            .and_then(|k| k.strip_prefix("STREAM"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(3);
        self.started.fetch_add(1, Ordering::SeqCst);
        for i in 0..n {
            if progress.cancelled() {
                self.cancelled.fetch_add(1, Ordering::SeqCst);
                return Err(Error::cancelled());
            }
            if let Err(e) = sink(Self::part(i)) {
                self.cancelled.fetch_add(1, Ordering::SeqCst);
                return Err(e);
            }
            self.parts_sent.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Report::new(
            "test_summary",
            format!("{n} parts"),
            Provenance::new(),
        ))
    }
}

/// A server on a fresh store with the test engine.
pub fn with_test_engine(limits: Limits) -> (tempfile::TempDir, Arc<TestEngine>, Server) {
    let home = store();
    let engine = Arc::new(TestEngine::default());
    let state = AppState::new(home.path(), limits).with_engine(engine.clone());
    let server = Server::start(state);
    (home, engine, server)
}
