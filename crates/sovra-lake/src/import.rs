//! Importing bilateral trade into a store: BACI or long-format CSV streamed row by row into Parquet, one
//! partition per year, checked for repeated rows, then swapped in.
//!
//! Memory stays bounded whatever the input's size: rows are buffered per year in batches of
//! [`ImportOptions::batch_rows`], written as Parquet row groups of at most [`ImportOptions::row_group_rows`]
//! rows, and the duplicate check is a DataFusion aggregation under a memory limit that spills to disk.
//!
//! The import is all or nothing per call: files are written to a staging directory inside the store
//! (`.import-…`, which queries ignore); a bad cell (named by file, line and column) or a repeated
//! (year, exporter, importer, product) removes the staging directory and leaves the store as it was.
//! Otherwise each imported year replaces the store's partition of that year by renames, and the manifest is
//! rewritten atomically. Years not in the input are kept.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use sovra_core::Error as CoreError;
use sovra_trade::bilateral::{ReadReport, Rows};

use crate::query::Session;
use crate::store::{self, Manifest, YearEntry};
use crate::{Error, Result};

/// How an import buffers and checks.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Rows buffered per year before they are handed to the Parquet writer.
    pub batch_rows: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Memory the duplicate check may hold before it spills to disk (bytes).
    pub memory_limit: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_rows: 65_536,
            row_group_rows: 262_144,
            memory_limit: 2 << 30,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Per input file: format, rows read, zero rows skipped, unknown BACI codes, years.
    pub files: Vec<(String, ReadReport)>,
    /// Rows stored per year.
    pub years: BTreeMap<i32, u64>,
    /// Years that replaced a partition already in the store.
    pub replaced: Vec<i32>,
    /// Every year the store now holds.
    pub store_years: Vec<i32>,
    /// Seconds spent reading the files and writing the Parquet files.
    pub seconds_write: f64,
    /// Seconds of the duplicate check.
    pub seconds_check: f64,
}

/// The rows of one year from one file, on their way into a Parquet file.
struct YearWriter {
    writer: ArrowWriter<File>,
    exporter: StringBuilder,
    importer: StringBuilder,
    product: StringBuilder,
    value: Float64Builder,
    quantity: Float64Builder,
    line: UInt64Builder,
    buffered: usize,
    rows: u64,
}

impl YearWriter {
    fn new(path: &Path, row_group_rows: usize) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
        }
        let file = File::create(path).map_err(|e| CoreError::io(path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows))
            .build();
        Ok(YearWriter {
            writer: ArrowWriter::try_new(file, store::file_schema(), Some(props))?,
            exporter: StringBuilder::new(),
            importer: StringBuilder::new(),
            product: StringBuilder::new(),
            value: Float64Builder::new(),
            quantity: Float64Builder::new(),
            line: UInt64Builder::new(),
            buffered: 0,
            rows: 0,
        })
    }

    fn flush(&mut self, source: &str) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let mut src = StringBuilder::with_capacity(self.buffered, source.len() * self.buffered);
        for _ in 0..self.buffered {
            src.append_value(source);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.exporter.finish()),
            Arc::new(self.importer.finish()),
            Arc::new(self.product.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(src.finish()),
            Arc::new(self.line.finish()),
        ];
        let batch = RecordBatch::try_new(store::file_schema(), cols)?;
        self.writer.write(&batch)?;
        self.rows += self.buffered as u64;
        self.buffered = 0;
        Ok(())
    }
}

/// Imports `inputs` (BACI or long CSV, `.csv` or `.csv.gz`; BACI needs `baci_codes`) into the store at
/// `store_dir` (created if needed). `progress` is called with the rows read so far, every 2^20 rows.
pub fn import(
    inputs: &[PathBuf],
    baci_codes: Option<&HashMap<u32, String>>,
    store_dir: &Path,
    opts: &ImportOptions,
    progress: &dyn Fn(u64),
) -> Result<ImportReport> {
    if inputs.is_empty() {
        return Err(Error::Invalid("no input file to import".into()));
    }
    let new_store = !store_dir.exists();
    std::fs::create_dir_all(store_dir).map_err(|e| CoreError::io(store_dir, e))?;
    let mut manifest = Manifest::read(store_dir)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = store_dir.join(format!(".import-{}-{stamp}", std::process::id()));
    let result = write_and_check(inputs, baci_codes, &staging, opts, progress);
    let (mut report, formats, sources) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if new_store {
                // A failed first import leaves no store behind (remove_dir only removes it empty).
                let _ = std::fs::remove_dir(store_dir);
            }
            return Err(e);
        }
    };
    // Swap the imported years in, one rename each; the old partitions go to the staging directory, which is
    // removed at the end.
    let old = staging.join("replaced");
    let imported_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (&year, &rows) in &report.years {
        let dest = store::year_dir(store_dir, year);
        if dest.exists() {
            std::fs::create_dir_all(&old).map_err(|e| CoreError::io(&old, e))?;
            let aside = store::year_dir(&old, year);
            std::fs::rename(&dest, &aside).map_err(|e| CoreError::io(&dest, e))?;
            report.replaced.push(year);
        }
        let staged = store::year_dir(&staging, year);
        std::fs::rename(&staged, &dest).map_err(|e| CoreError::io(&staged, e))?;
        manifest.years.insert(
            year,
            YearEntry {
                rows,
                sources: sources.get(&year).cloned().unwrap_or_default(),
                format: formats.get(&year).cloned().unwrap_or_default(),
                imported_at,
                sovra_version: env!("CARGO_PKG_VERSION").into(),
            },
        );
    }
    manifest.write(store_dir)?;
    std::fs::remove_dir_all(&staging).map_err(|e| CoreError::io(&staging, e))?;
    report.store_years = manifest.years.keys().copied().collect();
    Ok(report)
}

type Written = (
    ImportReport,
    BTreeMap<i32, String>,
    BTreeMap<i32, Vec<String>>,
);

/// Streams every input into `staging/year=Y/part-F.parquet` and checks the staged rows for duplicates.
fn write_and_check(
    inputs: &[PathBuf],
    baci_codes: Option<&HashMap<u32, String>>,
    staging: &Path,
    opts: &ImportOptions,
    progress: &dyn Fn(u64),
) -> Result<Written> {
    let t0 = std::time::Instant::now();
    let mut report = ImportReport::default();
    let mut formats: BTreeMap<i32, String> = BTreeMap::new();
    let mut sources: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut total = 0u64;
    for (fi, input) in inputs.iter().enumerate() {
        let mut rows = Rows::open(input, baci_codes)?;
        let source = rows.file().to_string();
        let mut writers: BTreeMap<i32, YearWriter> = BTreeMap::new();
        while let Some(f) = rows.next_flow()? {
            let w = match writers.get_mut(&f.year) {
                Some(w) => w,
                None => {
                    let path = store::year_dir(staging, f.year).join(format!("part-{fi}.parquet"));
                    writers
                        .entry(f.year)
                        .or_insert(YearWriter::new(&path, opts.row_group_rows)?)
                }
            };
            w.exporter.append_value(&f.exporter);
            w.importer.append_value(&f.importer);
            w.product.append_value(&f.product);
            w.value.append_value(f.value);
            w.quantity.append_option(f.quantity);
            w.line.append_value(f.line);
            w.buffered += 1;
            if w.buffered >= opts.batch_rows {
                w.flush(&source)?;
            }
            total += 1;
            if total % (1 << 20) == 0 {
                progress(total);
            }
        }
        for (year, mut w) in writers {
            w.flush(&source)?;
            w.writer.close()?;
            *report.years.entry(year).or_default() += w.rows;
            sources.entry(year).or_default().push(source.clone());
            formats.insert(year, rows.report.format.clone());
        }
        report.files.push((source, rows.report.clone()));
    }
    progress(total);
    report.seconds_write = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    if !report.years.is_empty() {
        let session = Session::new(opts.memory_limit)?;
        let found = session.duplicates(staging).map_err(|e| match e {
            Error::Engine(m) if m.contains("Resources exhausted") => Error::Engine(format!(
                "the duplicate check needs more than the memory limit of {} MiB even when spilling to disk; \
                 raise --memory-limit: {m}",
                opts.memory_limit >> 20
            )),
            e => e,
        })?;
        if let Some(d) = found {
            return Err(Error::Invalid(d.to_string()));
        }
    }
    report.seconds_check = t1.elapsed().as_secs_f64();
    Ok((report, formats, sources))
}
