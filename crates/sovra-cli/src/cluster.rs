//! `sovra cluster scheduler|executor` (feature `cluster`): an Apache Ballista scheduler or executor in this
//! process, for `--cluster df://HOST:PORT` on the trade commands. They run until stopped.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Subcommand;

/// `sovra cluster …`.
#[derive(Subcommand, Debug, Clone)]
pub enum ClusterCommand {
    /// Run a scheduler: it takes the plans of `--cluster df://HOST:PORT` and hands their tasks to executors.
    Scheduler {
        /// Where it listens (the address the trade commands and executors are given).
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        bind: SocketAddr,
    },
    /// Run an executor: it registers with the scheduler and runs tasks, reading the trade store's Parquet
    /// files at the paths the plans name (the store must be at the same path here as for sovra).
    Executor {
        /// The scheduler, HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
        scheduler: String,
        /// Where it serves shuffle data (Arrow Flight); its gRPC service listens on --grpc-port.
        #[arg(long, default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
        bind: SocketAddr,
        /// Its gRPC port (default: the --bind port + 1).
        #[arg(long, value_name = "PORT")]
        grpc_port: Option<u16>,
        /// Tasks at once (default: the cores).
        #[arg(long)]
        slots: Option<usize>,
        /// Memory its tasks may hold before they spill to disk, in GB (shared by its slots).
        #[arg(long, value_name = "GB", value_parser = crate::trade::positive_gb)]
        memory_limit: Option<f64>,
        /// Where it keeps shuffle files (default: a temporary directory).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<String>,
    },
}

/// Runs the scheduler or executor until the process ends.
pub fn cluster_cmd(c: ClusterCommand) -> Result<()> {
    match c {
        ClusterCommand::Scheduler { bind } => {
            eprintln!("Ballista scheduler listening on {bind}");
            sovra_lake::cluster::scheduler(bind).context("scheduler")?;
        }
        ClusterCommand::Executor {
            scheduler,
            bind,
            grpc_port,
            slots,
            memory_limit,
            work_dir,
        } => {
            let (host, port) = scheduler
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                .with_context(|| format!("--scheduler '{scheduler}': write HOST:PORT"))?;
            eprintln!("Ballista executor on {bind}, scheduler {host}:{port}");
            sovra_lake::cluster::executor(&sovra_lake::cluster::ExecutorOptions {
                bind,
                grpc_port,
                scheduler: (host, port),
                slots,
                memory_limit: memory_limit.map(|g| (g * 1e9) as u64),
                work_dir,
            })
            .context("executor")?;
        }
    }
    Ok(())
}
