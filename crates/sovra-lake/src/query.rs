//! Reading a trade store with DataFusion: a session under a memory limit, the duplicate check of an
//! import (over its staging directory, partitioned by year), and loading years into the in-memory
//! [`Bilateral`] the screens run on.
//!
//! [`load`] reads exactly the files the store's manifest lists for the asked years (never a directory
//! listing: a partition being written, or left by a killed import, is not read), after checking each
//! file's footer; a Parquet error names its file. If an import replaces the store's manifest during the
//! load (and removes a partition being read), the load starts again on the new manifest.

use std::fmt;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, UInt64Type};
use arrow_schema::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions_aggregate::expr_fn::{count, min, sum};
use datafusion::logical_expr::{Expr, cast, when};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext, col, lit};
use futures::StreamExt;
use serde::Serialize;
use sovra_trade::intern::{Interner, Last};
use sovra_trade::screen::Bilateral;

use crate::store::{Manifest, Store, file_schema};
use crate::{Error, Result};

/// A tokio runtime that does not wait for its tasks when dropped (a query abandoned on a cluster may leave a
/// task waiting on a dead connection: the process must still end).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.0
            .as_ref()
            .expect("a runtime until dropped")
            .block_on(f)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A DataFusion session on a small runtime of its own (the callers are synchronous): local, or connected to
/// a Ballista cluster (feature `cluster`).
pub struct Session {
    rt: Runtime,
    ctx: SessionContext,
    /// The longest a query may take (set for a cluster).
    timeout: Option<std::time::Duration>,
    /// The cluster's URL, when the plans run on one.
    cluster: Option<String>,
}

impl Session {
    /// A session whose operators may hold `memory_limit` bytes before they spill to disk.
    pub fn new(memory_limit: usize) -> Result<Session> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .map_err(|e| Error::Engine(format!("runtime: {e}")))?;
        let env = RuntimeEnvBuilder::new()
            .with_memory_limit(memory_limit, 1.0)
            .build_arc()?;
        let mut config = SessionConfig::new().with_target_partitions(threads);
        // Plain Utf8 strings rather than views: the loader reads them as `StringArray`.
        config
            .options_mut()
            .execution
            .parquet
            .schema_force_view_types = false;
        Ok(Session {
            rt: Runtime(Some(rt)),
            ctx: SessionContext::new_with_config_rt(config, env),
            timeout: None,
            cluster: None,
        })
    }

    /// A session from its parts (a cluster's, see `cluster::connect`).
    pub fn from_parts(
        rt: tokio::runtime::Runtime,
        ctx: SessionContext,
        timeout: Option<std::time::Duration>,
        cluster: Option<String>,
    ) -> Session {
        Session {
            rt: Runtime(Some(rt)),
            ctx,
            timeout,
            cluster,
        }
    }

    /// The cluster the plans run on, if any.
    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// Runs a plan to the end and returns all its batches — or an error, never part of them. On a cluster,
    /// each attempt has the session's timeout, and a failed or timed-out attempt is run once more (a lost
    /// executor's tasks then run on the others); the second failure is the error.
    pub fn collect(
        &self,
        df: DataFrame,
    ) -> Result<Vec<arrow_array::RecordBatch>, datafusion::error::DataFusionError> {
        let Some(t) = self.timeout else {
            return self.rt.block_on(df.collect());
        };
        let attempt = |df: DataFrame| {
            self.rt
                .block_on(async { tokio::time::timeout(t, df.collect()).await })
                .unwrap_or_else(|_| {
                    Err(datafusion::error::DataFusionError::Execution(format!(
                        "no answer within {} s (the query was abandoned; nothing of it is used)",
                        t.as_secs()
                    )))
                })
        };
        match attempt(df.clone()) {
            Ok(b) => Ok(b),
            Err(first) => attempt(df).map_err(|second| {
                datafusion::error::DataFusionError::Execution(format!(
                    "{second} (and before, on a first attempt: {first})"
                ))
            }),
        }
    }

    /// The flows of a directory partitioned by year (`year=Y/…parquet`, as an import's staging directory),
    /// with `year` as a partition column. Everything below `dir` is read: for a store, use [`load`], which
    /// reads only what the manifest lists.
    pub fn flows(&self, dir: &Path) -> Result<DataFrame> {
        let path = format!("{}/", dir.display());
        let opts = ParquetReadOptions::default()
            .table_partition_cols(vec![("year".to_string(), DataType::Int32)]);
        Ok(self.rt.block_on(self.ctx.read_parquet(path, opts))?)
    }

    /// The DataFusion context.
    pub fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs a future on the session's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The repeated (year, exporter, importer, product) of `dir` that occurs first in file order — the files
    /// in the order of `files` (their `source` names; others after them), then by line — with every place it
    /// occurs, and how many keys are repeated; `None` when there is none. One aggregation (which spills to
    /// disk under the memory limit) gives each key its count and its first position (file rank × 2⁴⁰ + line).
    pub fn duplicates(&self, dir: &Path, files: &[String]) -> Result<Option<Duplicate>> {
        let keys = vec![
            col("year"),
            col("exporter"),
            col("importer"),
            col("product"),
        ];
        let rank: Expr = match files.split_first() {
            None => lit(0i64),
            Some((first, rest)) => {
                let mut case = when(col("source").eq(lit(first.as_str())), lit(0i64));
                for (k, f) in rest.iter().enumerate() {
                    case = case.when(col("source").eq(lit(f.as_str())), lit(k as i64 + 1));
                }
                case.otherwise(lit(files.len() as i64))?
            }
        };
        let position = rank * lit(1i64 << 40) + cast(col("line"), DataType::Int64);
        let repeated = self
            .flows(dir)?
            .aggregate(
                keys,
                vec![count(lit(1)).alias("n"), min(position).alias("first_at")],
            )?
            .filter(col("n").gt(lit(1i64)))?;
        let first = self.block_on(
            repeated
                .clone()
                .sort(vec![col("first_at").sort(true, false)])?
                .limit(0, Some(1))?
                .collect(),
        )?;
        let Some(b) = first.iter().find(|b| b.num_rows() > 0) else {
            return Ok(None);
        };
        let year = b.column(0).as_primitive::<Int32Type>().value(0);
        let text = |c: usize| b.column(c).as_string::<i32>().value(0).to_string();
        let (exporter, importer, product) = (text(1), text(2), text(3));
        let keys_repeated = self.block_on(repeated.count())?;
        let at = self
            .flows(dir)?
            .filter(
                col("year")
                    .eq(lit(year))
                    .and(col("exporter").eq(lit(exporter.as_str())))
                    .and(col("importer").eq(lit(importer.as_str())))
                    .and(col("product").eq(lit(product.as_str()))),
            )?
            .select(vec![col("source"), col("line")])?;
        let mut places = Vec::new();
        for b in self.block_on(at.collect())? {
            let (s, l) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_primitive::<UInt64Type>(),
            );
            places.extend((0..b.num_rows()).map(|i| (s.value(i).to_string(), l.value(i))));
        }
        // In file order, as the key was chosen.
        let rank = |s: &str| files.iter().position(|f| f == s).unwrap_or(files.len());
        places.sort_by(|a, b| (rank(&a.0), a.1, &a.0).cmp(&(rank(&b.0), b.1, &b.0)));
        Ok(Some(Duplicate {
            year,
            exporter,
            importer,
            product,
            places,
            keys_repeated,
        }))
    }
}

/// A repeated (year, exporter, importer, product) found by an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// Year.
    pub year: i32,
    /// Exporter.
    pub exporter: String,
    /// Importer.
    pub importer: String,
    /// Product.
    pub product: String,
    /// Every (file, line) holding it.
    pub places: Vec<(String, u64)>,
    /// How many keys are repeated in all.
    pub keys_repeated: usize,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at: Vec<String> = self
            .places
            .iter()
            .map(|(s, l)| format!("{s}, line {l}"))
            .collect();
        write!(
            f,
            "{} {}→{} {} appears {} times ({}); {} (year, exporter, importer, product) repeated in all — nothing \
             was imported",
            self.year,
            self.exporter,
            self.importer,
            self.product,
            self.places.len(),
            at.join("; "),
            self.keys_repeated
        )
    }
}

/// Trade by product between some countries in one year: each exporter's sales to each importer of the
/// list, and its sales to everyone, summed over the year's files — what product-level shock legs weigh the
/// named products by.
#[derive(Debug, Clone, Default)]
pub struct ProductTrade {
    /// `(exporter, importer, product, value)`, exporter and importer both in the list.
    pub pairs: Vec<(String, String, String, f64)>,
    /// `(exporter, product, value)` to every importer.
    pub exporters: Vec<(String, String, f64)>,
    /// The year's files read.
    pub files: usize,
}

/// [`ProductTrade`] of `countries` in `year` (empty when the store does not hold the year). Two DataFusion
/// aggregations over the year's files, the exporter filter pushed into the Parquet scan.
pub fn product_trade(
    store: &Store,
    year: i32,
    countries: &[String],
    memory_limit: usize,
) -> Result<ProductTrade> {
    let mut out = ProductTrade::default();
    if !store.years().contains(&year) || countries.is_empty() {
        return Ok(out);
    }
    let files: Vec<String> = store
        .year_files(year)?
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    out.files = files.len();
    let session = Session::new(memory_limit)?;
    let schema = file_schema();
    let list: Vec<Expr> = countries.iter().map(|c| lit(c.as_str())).collect();
    let base = session.block_on(
        session
            .ctx
            .read_parquet(files, ParquetReadOptions::default().schema(&schema)),
    )?;
    let sellers = base
        .clone()
        .filter(col("exporter").in_list(list.clone(), false))?;
    let pairs = sellers
        .clone()
        .filter(col("importer").in_list(list, false))?
        .aggregate(
            vec![col("exporter"), col("importer"), col("product")],
            vec![sum(col("value")).alias("value")],
        )?;
    for b in session.block_on(pairs.collect())? {
        let (e, i, p) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
        );
        let v = b.column(3).as_primitive::<Float64Type>();
        for k in 0..b.num_rows() {
            out.pairs.push((
                e.value(k).to_string(),
                i.value(k).to_string(),
                p.value(k).to_string(),
                v.value(k),
            ));
        }
    }
    let totals = sellers.aggregate(
        vec![col("exporter"), col("product")],
        vec![sum(col("value")).alias("value")],
    )?;
    for b in session.block_on(totals.collect())? {
        let (e, p) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        let v = b.column(2).as_primitive::<Float64Type>();
        for k in 0..b.num_rows() {
            out.exporters
                .push((e.value(k).to_string(), p.value(k).to_string(), v.value(k)));
        }
    }
    // A stable order whatever the plan's partitioning.
    out.pairs
        .sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    out.exporters
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(out)
}

/// What loading read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Years loaded.
    pub years: Vec<i32>,
    /// Rows loaded.
    pub rows: usize,
}

/// Loads `years` of a store (those it holds; [`Store::years`] for all) into memory for the screens. Only
/// those years' files are read, each checked first ([`Store::year_files`]). When an import replaced the
/// store's manifest since `store` was opened and the read fails for it, the load starts again on the new
/// manifest (up to three times).
pub fn load(store: &Store, years: &[i32], memory_limit: usize) -> Result<(Bilateral, LoadReport)> {
    let mut current = store.clone();
    let mut attempt = 0;
    loop {
        match load_once(&current, years, memory_limit) {
            Ok(r) => return Ok(r),
            Err(e) => {
                let now = Manifest::read(&store.dir);
                if attempt < 3 && now.as_ref().is_ok_and(|m| *m != current.manifest) {
                    current = Store::open(&store.dir)?;
                    attempt += 1;
                } else {
                    return Err(e);
                }
            }
        }
    }
}

fn load_once(store: &Store, years: &[i32], memory_limit: usize) -> Result<(Bilateral, LoadReport)> {
    let held = store.years();
    let years: Vec<i32> = years.iter().copied().filter(|y| held.contains(y)).collect();
    let mut b = Bilateral::default();
    let mut report = LoadReport {
        years: years.clone(),
        rows: 0,
    };
    if years.is_empty() {
        return Ok((b, report));
    }
    let mut parts = Vec::new();
    for &y in &years {
        parts.extend(store.year_files(y)?.into_iter().map(|f| (y, f)));
    }
    let session = Session::new(memory_limit)?;
    let schema = file_schema();
    let (mut cix, mut pix) = (Interner::default(), Interner::default());
    // Files are sorted by exporter and importer: runs of the same code need no lookup.
    let mut last: [Last; 3] = Default::default();
    for (year, file) in parts {
        let named = |e: Error| match e {
            Error::Engine(m) => Error::Engine(format!("{}: {m}", file.display())),
            e => e,
        };
        let path = file.display().to_string();
        session
            .block_on(async {
                let df = session
                    .ctx
                    .read_parquet(path, ParquetReadOptions::default().schema(&schema))
                    .await?
                    .select(vec![
                        col("exporter"),
                        col("importer"),
                        col("product"),
                        col("value"),
                    ])?;
                let mut stream = df.execute_stream().await?;
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    let (e, j, p) = (
                        batch.column(0).as_string::<i32>(),
                        batch.column(1).as_string::<i32>(),
                        batch.column(2).as_string::<i32>(),
                    );
                    let v = batch.column(3).as_primitive::<Float64Type>();
                    b.rows.reserve(batch.num_rows());
                    for i in 0..batch.num_rows() {
                        let ei = last[0].get(e.value(i), &mut cix, &mut b.countries);
                        let ji = last[1].get(j.value(i), &mut cix, &mut b.countries);
                        let pi = last[2].get(p.value(i), &mut pix, &mut b.products);
                        b.rows.push((year, ei, ji, pi, v.value(i)));
                    }
                }
                Ok::<(), Error>(())
            })
            .map_err(named)?;
    }
    // Codes in sorted order (as the plans number them, so that ties break alike), then a stable order of
    // the rows whatever the files' order: by year, exporter, importer, product.
    let cmap = sorted_codes(&mut b.countries);
    let pmap = sorted_codes(&mut b.products);
    for r in b.rows.iter_mut() {
        r.1 = cmap[r.1 as usize];
        r.2 = cmap[r.2 as usize];
        r.3 = pmap[r.3 as usize];
    }
    b.rows.sort_unstable_by_key(|r| (r.0, r.1, r.2, r.3));
    report.rows = b.rows.len();
    Ok((b, report))
}

/// Sorts `codes` and returns, for each old index, its new one.
fn sorted_codes(codes: &mut Vec<String>) -> Vec<u32> {
    let mut order: Vec<u32> = (0..codes.len() as u32).collect();
    order.sort_unstable_by(|a, b| codes[*a as usize].cmp(&codes[*b as usize]));
    let mut map = vec![0u32; codes.len()];
    for (new, &old) in order.iter().enumerate() {
        map[old as usize] = new as u32;
    }
    let old = std::mem::take(codes);
    let mut slots: Vec<Option<String>> = old.into_iter().map(Some).collect();
    *codes = order
        .iter()
        .map(|&o| slots[o as usize].take().unwrap_or_default())
        .collect();
    map
}
