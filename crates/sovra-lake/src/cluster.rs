//! Cluster mode (feature `cluster`): the same DataFusion plans ([`crate::plans`]) sent to an Apache Ballista
//! scheduler, which runs them on its executors — the Ballista release of the DataFusion version sovra uses.
//!
//! - [`connect`]: a [`Session`] on a scheduler at `df://HOST:PORT`, checked reachable first (a bounded TCP
//!   connect), every query under a timeout: an unreachable scheduler, a lost executor that is not replaced
//!   in time, or files the executors cannot read give an error saying what to do, never a hang and never a
//!   partial result (a query's batches are returned only when the whole job succeeded).
//! - [`scheduler`] and [`executor`]: a scheduler and an executor in this process (what `sovra cluster
//!   scheduler` and `sovra cluster executor` run), with heartbeats short enough that a dead executor is
//!   noticed within seconds.
//!
//! Executors open the store's Parquet files by the paths the client plans with, so every executor must see
//! the store at the same path (a shared filesystem); `docs/cluster.md` says how to run one.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use datafusion::prelude::SessionContext;

use crate::query::Session;
use crate::{Error, Result};

/// The address of a `df://HOST:PORT` URL (port 50050 when omitted).
pub fn address(url: &str) -> Result<(String, u16)> {
    let bad = || {
        Error::Invalid(format!(
            "--cluster '{url}': write df://HOST:PORT, the address of a Ballista scheduler (e.g. df://127.0.0.1:50050)"
        ))
    };
    let rest = url.strip_prefix("df://").ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
        None => (rest, 50050),
    };
    if host.is_empty() || host.contains('/') {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// A session whose plans run on the Ballista scheduler at `url` (`df://HOST:PORT`); each query may take at
/// most `timeout`.
pub fn connect(url: &str, timeout: Duration) -> Result<Session> {
    let (host, port) = address(url)?;
    let unreachable = |why: String| {
        Error::Invalid(format!(
            "cannot reach a Ballista scheduler at {url} ({why}): start one with `sovra cluster scheduler --bind \
             {host}:{port}` and at least one `sovra cluster executor --scheduler {host}:{port}` (docs/cluster.md), \
             or check --cluster"
        ))
    };
    let addrs: Vec<SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last = "no address".to_string();
    let reached =
        addrs.iter().any(
            |a| match TcpStream::connect_timeout(a, Duration::from_secs(5)) {
                Ok(_) => true,
                Err(e) => {
                    last = e.to_string();
                    false
                }
            },
        );
    if !reached {
        return Err(unreachable(last));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Engine(format!("runtime: {e}")))?;
    let ctx = rt
        .block_on(async {
            tokio::time::timeout(
                Duration::from_secs(30),
                SessionContext::remote(&format!("df://{host}:{port}")),
            )
            .await
        })
        .map_err(|_| unreachable("no answer in 30 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    Ok(Session::from_parts(
        rt,
        ctx,
        Some(timeout),
        Some(url.to_string()),
    ))
}

/// Runs a Ballista scheduler on `bind` until the process ends.
pub fn scheduler(bind: SocketAddr) -> Result<()> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let rt = runtime()?;
    rt.block_on(async move {
        let config = SchedulerConfig {
            bind_host: bind.ip().to_string(),
            bind_port: bind.port(),
            external_host: bind.ip().to_string(),
            // A dead executor is noticed within seconds (its heartbeats stop), and its tasks run elsewhere.
            executor_timeout_seconds: 10,
            expire_dead_executor_interval_seconds: 2,
            ..SchedulerConfig::default()
        };
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .map_err(|e| Error::Engine(format!("scheduler: {e}")))?;
        ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
            .await
            .map_err(|e| Error::Engine(format!("scheduler on {bind}: {e}")))
    })
}

/// What an executor is given.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Where it listens for shuffle reads (Arrow Flight); its gRPC port is `port + 1` unless given.
    pub bind: SocketAddr,
    /// Its gRPC port.
    pub grpc_port: Option<u16>,
    /// The scheduler's host and port.
    pub scheduler: (String, u16),
    /// Tasks at once (default: the cores).
    pub slots: Option<usize>,
    /// Memory its tasks may hold before they spill, in bytes (shared by its slots).
    pub memory_limit: Option<u64>,
    /// Where it keeps shuffle files (default: a temporary directory).
    pub work_dir: Option<String>,
}

/// Runs a Ballista executor until the process ends.
pub fn executor(o: &ExecutorOptions) -> Result<()> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let mut config = ExecutorProcessConfig {
        bind_host: o.bind.ip().to_string(),
        external_host: Some(o.bind.ip().to_string()),
        port: o.bind.port(),
        grpc_port: o.grpc_port.unwrap_or(o.bind.port().wrapping_add(1)),
        scheduler_host: o.scheduler.0.clone(),
        scheduler_port: o.scheduler.1,
        scheduler_connect_timeout_seconds: 30,
        work_dir: o.work_dir.clone(),
        memory_pool_size: o.memory_limit,
        executor_heartbeat_interval_seconds: 2,
        print_thread_info: false,
        ..ExecutorProcessConfig::default()
    };
    if let Some(s) = o.slots {
        config.vcores = s.max(1);
    }
    let rt = runtime()?;
    rt.block_on(start_executor_process(Arc::new(config)))
        .map_err(|e| Error::Engine(format!("executor on {}: {e}", o.bind)))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 << 20)
        .build()
        .map_err(|e| Error::Engine(format!("runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            address("df://127.0.0.1:50070").unwrap(),
            ("127.0.0.1".into(), 50070)
        );
        assert_eq!(address("df://h").unwrap(), ("h".into(), 50050));
        for bad in ["127.0.0.1:5", "df://", "df://h:x", "http://h:1"] {
            let e = address(bad).unwrap_err().to_string();
            assert!(e.contains("df://HOST:PORT"), "{bad}: {e}");
        }
    }

    #[test]
    fn an_unreachable_scheduler_is_an_error_not_a_hang() {
        // A port nobody listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = std::time::Instant::now();
        let e = connect(&format!("df://127.0.0.1:{port}"), Duration::from_secs(5))
            .err()
            .expect("no scheduler");
        assert!(
            e.to_string().contains("cannot reach a Ballista scheduler"),
            "{e}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
