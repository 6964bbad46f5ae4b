//! Importing bilateral trade into a store: BACI or long-format CSV streamed row by row into Parquet, one
//! partition per year, checked for repeated rows, then committed by replacing the manifest.
//!
//! Memory stays bounded whatever the input's size: rows are buffered per year in batches of
//! [`ImportOptions::batch_rows`], written as Parquet row groups of at most [`ImportOptions::row_group_rows`]
//! rows, and the duplicate check is a DataFusion aggregation under a memory limit that spills to disk.
//!
//! One import at a time: an import holds the store's write lock ([`crate::store::lock`]) from start to end;
//! a second one waits ([`import_with`]) or fails naming the holder. Holding the lock, it first
//! removes what killed imports left (staging directories, partitions no manifest lists, a temporary
//! manifest), and reads the manifest only then, so that no year imported meanwhile is lost.
//!
//! The import is all or nothing, for any number of files and years: files are written to a staging
//! directory inside the store (`.import-…`), and a bad cell (named by file, line and column), a year
//! outside [`crate::store::YEARS`], or a repeated (year, exporter, importer, product) removes it and leaves
//! the store as it was. Otherwise each year's staged files become a new directory `year=Y/v-…` beside
//! the year's current one (readers do not see it: they read what the manifest lists), and the new manifest
//! then replaces the old one by a rename — the one step that makes every imported year visible at once.
//! The partitions it replaced are removed afterwards. A kill at any point leaves the store as it was
//! before the import or as it is after, never a mix; years not in the input are kept.

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
use sovra_core::lock::{self, Wait, fault};
use sovra_trade::bilateral::{ReadReport, Rows};

use crate::query::Session;
use crate::store::{self, MANIFEST, MANIFEST_VERSION, Manifest, YearEntry};
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
    /// What earlier imports that were killed had left, removed by this one (paths in the store).
    pub cleaned: Vec<String>,
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
/// `store_dir` (created if needed). `progress` is called with the rows read so far, every 2^20 rows. When
/// another import holds the store, this one fails at once naming it: [`import_with`] can wait.
pub fn import(
    inputs: &[PathBuf],
    baci_codes: Option<&HashMap<u32, String>>,
    store_dir: &Path,
    opts: &ImportOptions,
    progress: &dyn Fn(u64),
) -> Result<ImportReport> {
    import_with(inputs, baci_codes, store_dir, opts, Wait::No, progress)
}

/// [`import`], waiting as `wait` says while another import holds the store (it fails naming the holder
/// when it gives up).
pub fn import_with(
    inputs: &[PathBuf],
    baci_codes: Option<&HashMap<u32, String>>,
    store_dir: &Path,
    opts: &ImportOptions,
    wait: Wait,
    progress: &dyn Fn(u64),
) -> Result<ImportReport> {
    if inputs.is_empty() {
        return Err(Error::Invalid("no input file to import".into()));
    }
    let mut attempt = 0;
    let (lock, new_store) = loop {
        let new_store = create_store_dir(store_dir)?;
        match store::lock(store_dir, wait) {
            Ok(lock) => break (lock, new_store),
            // Removed while this import waited (a first import into it failed): create it again.
            Err(Error::Core(e)) if e.is_not_found() && attempt < 5 => attempt += 1,
            Err(e) => {
                if new_store {
                    let _ = std::fs::remove_dir(store_dir);
                }
                return Err(e);
            }
        }
    };
    fault::point("trade: locked");
    let result = import_locked(inputs, baci_codes, store_dir, opts, progress);
    if result.is_err() && new_store {
        // A failed first import leaves no store behind (only an empty directory is removed).
        lock.remove_dir_if_empty();
    } else {
        drop(lock);
    }
    result
}

/// Creates the store directory; `true` when this call created it.
fn create_store_dir(dir: &Path) -> Result<bool> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| CoreError::io(parent, e))?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Invalid(format!(
            "--store {}: a file, not a trade store directory; name a directory (new or made by `sovra trade import`)",
            dir.display()
        ))),
        Err(e) => Err(CoreError::io(dir, e).into()),
    }
}

/// The import proper, with the store's lock held.
fn import_locked(
    inputs: &[PathBuf],
    baci_codes: Option<&HashMap<u32, String>>,
    store_dir: &Path,
    opts: &ImportOptions,
    progress: &dyn Fn(u64),
) -> Result<ImportReport> {
    let manifest = Manifest::read(store_dir)?;
    let cleaned = clean(store_dir, &manifest)?;
    fault::point("trade: cleaned");
    let staging = store_dir.join(format!(".import-{}", lock::unique()));
    let (mut report, formats, sources) =
        match write_and_check(inputs, baci_codes, &staging, opts, progress) {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
        };
    fault::point("trade: staged");
    if report.years.is_empty() {
        let _ = std::fs::remove_dir_all(&staging);
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Invalid(format!(
            "{}: no row with a positive value after the header (zero values are skipped): nothing to import; \
             the store is unchanged",
            names.join(", ")
        )));
    }
    let imported_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut next = manifest.clone();
    next.version = MANIFEST_VERSION;
    let mut placed = Placed::default();
    let mut replaced: Vec<(i32, YearEntry)> = Vec::new();
    let committed = (|| -> Result<()> {
        for (&year, &rows) in &report.years {
            let (dir, files) = placed.place(store_dir, &staging, year)?;
            let entry = YearEntry {
                rows,
                sources: sources.get(&year).cloned().unwrap_or_default(),
                format: formats.get(&year).cloned().unwrap_or_default(),
                imported_at,
                sovra_version: env!("CARGO_PKG_VERSION").into(),
                dir: Some(dir),
                files,
            };
            if let Some(old) = next.years.insert(year, entry) {
                replaced.push((year, old));
            }
        }
        // The commit: every imported year becomes visible in this one rename.
        next.write(store_dir)
    })();
    if let Err(e) = committed {
        placed.undo();
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    fault::point("trade: committed");
    for (year, old) in &replaced {
        remove_partition(store_dir, *year, old)?;
        report.replaced.push(*year);
    }
    fault::point("trade: old removed");
    std::fs::remove_dir_all(&staging).map_err(|e| CoreError::io(&staging, e))?;
    report.store_years = next.years.keys().copied().collect();
    report.cleaned = cleaned;
    Ok(report)
}

/// The new year directories an import has put in place, so that a failure before the commit can take them
/// out again.
#[derive(Default)]
struct Placed {
    versions: Vec<PathBuf>,
    year_dirs: Vec<PathBuf>,
}

impl Placed {
    /// Moves the staged files of `year` to a new `year=Y/v-…` and returns that directory (relative to the
    /// store) and its files.
    fn place(
        &mut self,
        store_dir: &Path,
        staging: &Path,
        year: i32,
    ) -> Result<(String, Vec<String>)> {
        let year_dir = store::year_dir(store_dir, year);
        if !year_dir.exists() {
            std::fs::create_dir(&year_dir).map_err(|e| CoreError::io(&year_dir, e))?;
            self.year_dirs.push(year_dir.clone());
        }
        let staged = store::year_dir(staging, year);
        let mut files = Vec::new();
        for e in std::fs::read_dir(&staged).map_err(|e| CoreError::io(&staged, e))? {
            let e = e.map_err(|e| CoreError::io(&staged, e))?;
            files.push(e.file_name().to_string_lossy().into_owned());
        }
        files.sort();
        lock::sync_dir(&staged)?;
        let version = format!("v-{}", lock::unique());
        let dest = year_dir.join(&version);
        std::fs::rename(&staged, &dest).map_err(|e| CoreError::io(&dest, e))?;
        self.versions.push(dest);
        lock::sync_dir(&year_dir)?;
        fault::point("trade: placed a year");
        Ok((format!("year={year}/{version}"), files))
    }

    fn undo(self) {
        for v in self.versions {
            let _ = std::fs::remove_dir_all(v);
        }
        for d in self.year_dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Removes a partition no manifest lists any more: its version directory, or for a year imported before
/// versions, the Parquet files directly in `year=Y/`.
fn remove_partition(store_dir: &Path, year: i32, old: &YearEntry) -> Result<()> {
    match &old.dir {
        Some(dir) => {
            let p = store_dir.join(dir);
            std::fs::remove_dir_all(&p).map_err(|e| CoreError::io(&p, e))?;
        }
        None => {
            let year_dir = store::year_dir(store_dir, year);
            for e in std::fs::read_dir(&year_dir).map_err(|e| CoreError::io(&year_dir, e))? {
                let p = e.map_err(|e| CoreError::io(&year_dir, e))?.path();
                if p.is_file() && p.extension().is_some_and(|x| x == "parquet") {
                    std::fs::remove_file(&p).map_err(|e| CoreError::io(&p, e))?;
                }
            }
        }
    }
    Ok(())
}

/// Removes what killed imports left in the store, and returns it (relative paths). Called with the lock
/// held: a staging directory, a temporary manifest or a year version the manifest does not list belongs to
/// an import that is gone (every import holds the lock while it runs). Staging directories and temporary
/// manifests named by older sovra (`.import-PID-…`, `.sovra-trade.json.PID`, written without a lock) are
/// removed only once that PID's process is gone ([`lock::pid_status`]).
fn clean(store_dir: &Path, manifest: &Manifest) -> Result<Vec<String>> {
    let mut cleaned = Vec::new();
    let remove = |p: &Path, cleaned: &mut Vec<String>| -> Result<()> {
        let r = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
        r.map_err(|e| CoreError::io(p, e))?;
        cleaned.push(p.strip_prefix(store_dir).unwrap_or(p).display().to_string());
        Ok(())
    };
    let temp_manifest = format!(".{MANIFEST}.");
    for e in std::fs::read_dir(store_dir).map_err(|e| CoreError::io(store_dir, e))? {
        let e = e.map_err(|e| CoreError::io(store_dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let leftover = name
            .strip_prefix(".import-")
            .or_else(|| name.strip_prefix(&temp_manifest));
        if let Some(rest) = leftover {
            let gone = match lock::token_status(rest) {
                // Named by this sovra: its import held the lock, which is now ours.
                Some(_) => true,
                None => {
                    let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
                    let modified = e.metadata().and_then(|m| m.modified());
                    match (pid, modified) {
                        (Some(pid), Ok(m)) => lock::pid_status(pid, m) == lock::Status::Gone,
                        _ => false,
                    }
                }
            };
            if gone {
                remove(&path, &mut cleaned)?;
            }
            continue;
        }
        let Some(year) = name
            .strip_prefix("year=")
            .and_then(|y| y.parse::<i32>().ok())
        else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        let entry = manifest.years.get(&year);
        let current = entry
            .and_then(|e| e.dir.as_deref())
            .and_then(|d| d.split_once('/'))
            .map(|(_, v)| v);
        let legacy = entry.is_some_and(|e| e.dir.is_none());
        for c in std::fs::read_dir(&path).map_err(|e| CoreError::io(&path, e))? {
            let c = c.map_err(|e| CoreError::io(&path, e))?;
            let child = c.file_name().to_string_lossy().into_owned();
            let is_dir = c.file_type().is_ok_and(|t| t.is_dir());
            let unlisted_version =
                is_dir && child.starts_with("v-") && Some(child.as_str()) != current;
            let replaced_file = !is_dir && !legacy && child.ends_with(".parquet");
            if unlisted_version || replaced_file {
                remove(&c.path(), &mut cleaned)?;
            }
        }
        if entry.is_none() && std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none()) {
            remove(&path, &mut cleaned)?;
        }
    }
    if !cleaned.is_empty() {
        lock::sync_dir(store_dir)?;
    }
    Ok(cleaned)
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
        let year_column = if rows.report.format == "baci" {
            "t"
        } else {
            "year"
        };
        let mut writers: BTreeMap<i32, YearWriter> = BTreeMap::new();
        while let Some(f) = rows.next_flow()? {
            if !store::YEARS.contains(&f.year) {
                return Err(CoreError::Cell {
                    file: source.clone(),
                    row: f.line.to_string(),
                    column: year_column.into(),
                    detail: format!(
                        "{} is not a plausible year (expected {} to {}); nothing was imported",
                        f.year,
                        store::YEARS.start(),
                        store::YEARS.end()
                    ),
                }
                .into());
            }
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
            w.writer.finish()?;
            // On disk before the commit makes it visible.
            w.writer.inner().sync_all().map_err(|e| {
                CoreError::io(
                    store::year_dir(staging, year).join(format!("part-{fi}.parquet")),
                    e,
                )
            })?;
            *report.years.entry(year).or_default() += w.rows;
            sources.entry(year).or_default().push(source.clone());
            formats.insert(year, rows.report.format.clone());
        }
        report.files.push((source, rows.report.clone()));
        fault::point("trade: wrote a file");
    }
    progress(total);
    report.seconds_write = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    if !report.years.is_empty() {
        let session = Session::new(opts.memory_limit)?;
        let files: Vec<String> = report.files.iter().map(|(s, _)| s.clone()).collect();
        let found = session.duplicates(staging, &files).map_err(|e| match e {
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
