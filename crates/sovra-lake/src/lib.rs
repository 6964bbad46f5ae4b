//! `sovra-lake`: where sovra keeps bilateral product-level trade, and how it reads it back.
//!
//! A trade store is a directory of Parquet files partitioned by year, the layout every query engine reads
//! (`year=2022/…/part-….parquet`, Hive-style), with a manifest saying where each year came from and which
//! of the year's directories is current:
//!
//! ```text
//! STORE/
//!   sovra-trade.json               per year: the files it was imported from, rows, its directory and files
//!   year=2021/v-<unique>/part-0.parquet
//!   year=2022/v-<unique>/part-0.parquet
//! ```
//!
//! Columns: `exporter`, `importer` (ISO3, or `#code` for a BACI code without ISO3), `product` (BACI: HS6,
//! zero-padded), `value` (BACI: thousands of US dollars), `quantity` (nullable), and `source`, `line` (the
//! file and line each row came from, so that errors found later still name them).
//!
//! - [`store`]: the layout, the manifest (read once, whole; it lists every file a reader may open), the
//!   write lock (one import at a time), and the checks of each file a load opens.
//! - [`import`]: streams BACI or long-format CSV (`.csv`, `.csv.gz`) into a store — memory is bounded by
//!   a few row groups, whatever the file's size — then checks for repeated (year, exporter, importer,
//!   product) with a DataFusion query that spills to disk, places each year in a new directory and commits
//!   them all by replacing the manifest in one rename; a `kill -9` at any point leaves the store as it was
//!   or as it is after the import, and the next import cleans what the killed one left.
//! - [`query`]: DataFusion sessions over the files a store's manifest lists for the asked years, loading
//!   them into the in-memory [`sovra_trade::screen::Bilateral`] the screens, suppliers and complexity run
//!   on (the in-memory path, kept for files read whole and for HS conversion).
//! - [`plans`]: the analyses' sums as DataFusion plans over a store ([`plans::StoreFlows`]), under a memory
//!   limit and spilling to disk; Rust keeps only what is small after aggregation.
//! - `cluster` (feature `cluster`): the same plans on an Apache Ballista cluster (`df://HOST:PORT`), and a
//!   scheduler and executors to run one.

#[cfg(feature = "cluster")]
pub mod cluster;
pub mod import;
pub mod plans;
pub mod query;
pub mod store;

/// Errors of the trade store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input or the store cannot be used as asked (with the reason).
    #[error("{0}")]
    Invalid(String),
    /// From the trade readers (a bad cell names file, line and column).
    #[error(transparent)]
    Trade(#[from] sovra_trade::Error),
    /// From the core (I/O with the path).
    #[error(transparent)]
    Core(#[from] sovra_core::Error),
    /// From DataFusion or Parquet.
    #[error("query engine: {0}")]
    Engine(String),
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::Engine(e.to_string())
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        Error::Engine(e.to_string())
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Error::Engine(e.to_string())
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
