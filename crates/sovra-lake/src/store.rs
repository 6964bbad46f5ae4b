//! Where a trade store is and what it holds: the Parquet schema, the year partitions on disk, the manifest
//! recording where each year came from and which directory holds it, and the store's write lock.
//!
//! ```text
//! STORE/
//!   sovra-trade.json                manifest (version 2): per year, provenance, its directory and files
//!   year=2021/v-<unique>/part-0.parquet   a year's partition: written once, never changed
//!   year=2022/part-0.parquet        a year imported by sovra before versions (manifest version 1): kept,
//!                                   and read as it is, until the year is imported again
//! ```
//!
//! The manifest is the one place that says what the store holds: a reader reads it once (it is replaced
//! by a rename, so it is always whole) and then opens exactly the files it lists, never a directory
//! listing, so that a partition being written or left by a killed import is never read. An import writes
//! new partition directories beside the old ones, then replaces the manifest — one atomic step for any
//! number of files and years — and only then removes the partitions it replaced (see [`crate::import`]).
//!
//! Only the directory named by a manifest entry is read, and an entry may name only a directory
//! `year=Y/…` inside the store: reads are confined to the store as writes are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};
use sovra_core::Error as CoreError;
use sovra_core::lock::{self, Wait, WriteLock};

use crate::{Error, Result};

/// The manifest's file name inside a store.
pub const MANIFEST: &str = "sovra-trade.json";

/// The manifest version this sovra writes (it reads 1 and 2).
pub const MANIFEST_VERSION: u32 = 2;

/// The file naming the writer while an import holds the store's lock.
pub const WRITER: &str = ".writer";

/// The years a store accepts: from the first bilateral trade records (CEPII TRADHIST starts in 1827) to
/// well past any projection. A year outside is a typo or a unit mix-up, not data.
pub const YEARS: std::ops::RangeInclusive<i32> = 1800..=2200;

/// The default store: `$SOVRA_HOME/trade`.
pub fn default_dir() -> PathBuf {
    sovra_core::store::home().join("trade")
}

/// The columns of the Parquet files (the year is the partition, not a column of the files).
pub fn file_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("exporter", DataType::Utf8, false),
        Field::new("importer", DataType::Utf8, false),
        Field::new("product", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
        Field::new("quantity", DataType::Float64, true),
        Field::new("source", DataType::Utf8, false),
        Field::new("line", DataType::UInt64, false),
    ]))
}

/// The directory of one year's partitions (`year=Y`): the year's versions are directories inside it.
pub fn year_dir(store: &Path, year: i32) -> PathBuf {
    store.join(format!("year={year}"))
}

/// Takes the store's write lock (one writer at a time; see [`sovra_core::lock`]), waiting as `wait` says;
/// [`sovra_core::Error::Locked`] names the holder when it gives up. The store directory must exist.
pub fn lock(store: &Path, wait: Wait) -> Result<WriteLock> {
    Ok(WriteLock::acquire(store, WRITER, "a trade import", wait)?)
}

/// Where one year came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct YearEntry {
    /// Rows stored (non-zero values).
    pub rows: u64,
    /// The files the rows came from.
    pub sources: Vec<String>,
    /// Format of those files (`baci` or `long`).
    pub format: String,
    /// When it was imported (seconds since 1970, UTC).
    pub imported_at: u64,
    /// The sovra version that imported it.
    pub sovra_version: String,
    /// The directory holding the year's files, relative to the store (`year=Y/v-…`); absent for a year
    /// imported before versions, whose files are directly in `year=Y/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// The year's Parquet files in [`YearEntry::dir`]; empty for a year imported before versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// A store's manifest: every year held, with its provenance.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always `sovra-trade-store`.
    pub kind: String,
    /// Layout version: 1 (files directly in `year=Y/`) or 2 (versioned year directories).
    pub version: u32,
    /// The years held.
    pub years: BTreeMap<i32, YearEntry>,
}

impl Manifest {
    /// An empty manifest.
    pub fn empty() -> Manifest {
        Manifest {
            kind: "sovra-trade-store".into(),
            version: MANIFEST_VERSION,
            years: BTreeMap::new(),
        }
    }

    /// The manifest of `store`, or an empty one when the store is new. Every year's directory must lie in
    /// `year=Y/` of the store.
    pub fn read(store: &Path) -> Result<Manifest> {
        let path = store.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => Manifest::parse(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::empty()),
            Err(e) => Err(CoreError::io(path, e).into()),
        }
    }

    fn parse(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Error::Invalid(format!(
                "{}: not a trade-store manifest: {e}",
                path.display()
            ))
        })?;
        if m.kind != "sovra-trade-store" || !(1..=MANIFEST_VERSION).contains(&m.version) {
            return Err(Error::Invalid(format!(
                "{}: kind '{}' version {}; this sovra reads sovra-trade-store versions 1 to {MANIFEST_VERSION}",
                path.display(),
                m.kind,
                m.version
            )));
        }
        for (year, e) in &m.years {
            let bad = |what: &str| {
                Error::Invalid(format!(
                    "{}: year {year}: {what}; a year's files must lie in year={year}/ of the store",
                    path.display()
                ))
            };
            if let Some(dir) = &e.dir {
                let ok = dir
                    .split_once('/')
                    .is_some_and(|(y, v)| y == format!("year={year}") && plain_name(v));
                if !ok {
                    return Err(bad(&format!("directory '{dir}'")));
                }
                if let Some(f) = e.files.iter().find(|f| !plain_name(f)) {
                    return Err(bad(&format!("file '{f}'")));
                }
            } else if !e.files.is_empty() {
                return Err(bad("files listed without a directory"));
            }
        }
        Ok(m)
    }

    /// Writes the manifest atomically and durably: a temporary file, synced, renamed over the old one, and
    /// the store directory synced. Writers hold the store's lock ([`lock`]).
    pub fn write(&self, store: &Path) -> Result<()> {
        use std::io::Write;
        let path = store.join(MANIFEST);
        let tmp = store.join(format!(".{MANIFEST}.{}", lock::unique()));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Invalid(format!("manifest: {e}")))?;
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(CoreError::io(&tmp, e).into());
        }
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(CoreError::io(&path, e).into());
        }
        lock::sync_dir(store)?;
        Ok(())
    }
}

/// A single path component that stays where it is: no `/`, not `.` or `..`, not empty.
fn plain_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

/// An existing store: its directory and manifest.
#[derive(Debug, Clone)]
pub struct Store {
    /// The directory.
    pub dir: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
}

impl Store {
    /// Opens a store; an error when the directory holds no manifest, or a year's directory is missing.
    pub fn open(dir: &Path) -> Result<Store> {
        if !dir.join(MANIFEST).is_file() {
            return Err(Error::Invalid(format!(
                "{}: not a trade store (no {MANIFEST}); create it with `sovra trade import FILE --store {}`",
                dir.display(),
                dir.display()
            )));
        }
        let store = Store {
            dir: dir.to_path_buf(),
            manifest: Manifest::read(dir)?,
        };
        for y in store.manifest.years.keys() {
            let d = store.partition(*y).unwrap_or_else(|| year_dir(dir, *y));
            if !d.is_dir() {
                return Err(Error::Invalid(format!(
                    "{}: the manifest lists {y} but {} is missing",
                    dir.display(),
                    d.display()
                )));
            }
        }
        Ok(store)
    }

    /// The years held, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.manifest.years.keys().copied().collect()
    }

    /// The directory holding a year's files (`None` when the store does not hold the year).
    pub fn partition(&self, year: i32) -> Option<PathBuf> {
        let e = self.manifest.years.get(&year)?;
        Some(match &e.dir {
            Some(d) => self.dir.join(d),
            None => year_dir(&self.dir, year),
        })
    }

    /// A year's Parquet files, each checked: it opens, its footer reads, and together they hold the rows the
    /// manifest records. Errors name the file (or the year's directory for a row-count mismatch).
    pub fn year_files(&self, year: i32) -> Result<Vec<PathBuf>> {
        let (Some(entry), Some(dir)) = (self.manifest.years.get(&year), self.partition(year))
        else {
            return Err(Error::Invalid(format!(
                "{}: the store holds no year {year}",
                self.dir.display()
            )));
        };
        let files: Vec<PathBuf> = if entry.dir.is_some() {
            entry.files.iter().map(|f| dir.join(f)).collect()
        } else {
            // Before versions: the Parquet files directly in year=Y/ (not in directories inside it).
            let mut v = Vec::new();
            for e in std::fs::read_dir(&dir).map_err(|e| CoreError::io(&dir, e))? {
                let p = e.map_err(|e| CoreError::io(&dir, e))?.path();
                if p.is_file() && p.extension().is_some_and(|x| x == "parquet") {
                    v.push(p);
                }
            }
            v.sort();
            v
        };
        let mut rows = 0u64;
        for f in &files {
            rows += parquet_rows(f)?;
        }
        if rows != entry.rows {
            return Err(Error::Invalid(format!(
                "{}: the files of year {year} hold {rows} rows, the manifest records {}; import the year again",
                dir.display(),
                entry.rows
            )));
        }
        Ok(files)
    }
}

/// The rows of a Parquet file, from its footer; an error naming the file when it is empty, truncated or
/// not Parquet.
pub fn parquet_rows(path: &Path) -> Result<u64> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let f = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
    let len = f.metadata().map_err(|e| CoreError::io(path, e))?.len();
    if len == 0 {
        return Err(Error::Invalid(format!(
            "{}: empty file (0 bytes), not a Parquet file; import its year again",
            path.display()
        )));
    }
    let reader = SerializedFileReader::new(f).map_err(|e| {
        Error::Invalid(format!(
            "{}: not a readable Parquet file ({e}); import its year again",
            path.display()
        ))
    })?;
    let rows = reader.metadata().file_metadata().num_rows();
    u64::try_from(rows).map_err(|_| {
        Error::Invalid(format!(
            "{}: the footer records {rows} rows",
            path.display()
        ))
    })
}
