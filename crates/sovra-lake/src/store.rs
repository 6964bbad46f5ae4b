//! Where a trade store is and what it holds: the Parquet schema, the year partitions on disk, and the
//! manifest recording where each year came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};
use sovra_core::Error as CoreError;

use crate::{Error, Result};

/// The manifest's file name inside a store.
pub const MANIFEST: &str = "sovra-trade.json";

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

/// The directory of one year's partition.
pub fn year_dir(store: &Path, year: i32) -> PathBuf {
    store.join(format!("year={year}"))
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
}

/// A store's manifest: every year held, with its provenance.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always `sovra-trade-store`.
    pub kind: String,
    /// Layout version (1).
    pub version: u32,
    /// The years held.
    pub years: BTreeMap<i32, YearEntry>,
}

impl Manifest {
    /// The manifest of `store`, or an empty one when the store is new.
    pub fn read(store: &Path) -> Result<Manifest> {
        let path = store.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::Invalid(format!(
                        "{}: not a trade-store manifest: {e}",
                        path.display()
                    ))
                })?;
                if m.kind != "sovra-trade-store" || m.version != 1 {
                    return Err(Error::Invalid(format!(
                        "{}: kind '{}' version {}; this sovra reads sovra-trade-store version 1",
                        path.display(),
                        m.kind,
                        m.version
                    )));
                }
                Ok(m)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                kind: "sovra-trade-store".into(),
                version: 1,
                years: BTreeMap::new(),
            }),
            Err(e) => Err(CoreError::io(path, e).into()),
        }
    }

    /// Writes the manifest atomically (a temporary file renamed over the old one).
    pub fn write(&self, store: &Path) -> Result<()> {
        let path = store.join(MANIFEST);
        let tmp = store.join(format!(".{MANIFEST}.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Invalid(format!("manifest: {e}")))?;
        std::fs::write(&tmp, text).map_err(|e| CoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| CoreError::io(&path, e))?;
        Ok(())
    }
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
    /// Opens a store; an error when the directory holds no manifest or no year.
    pub fn open(dir: &Path) -> Result<Store> {
        if !dir.join(MANIFEST).is_file() {
            return Err(Error::Invalid(format!(
                "{}: not a trade store (no {MANIFEST}); create it with `sovra trade import FILE --store {}`",
                dir.display(),
                dir.display()
            )));
        }
        let manifest = Manifest::read(dir)?;
        for y in manifest.years.keys() {
            if !year_dir(dir, *y).is_dir() {
                return Err(Error::Invalid(format!(
                    "{}: the manifest lists {y} but {} is missing",
                    dir.display(),
                    year_dir(dir, *y).display()
                )));
            }
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The years held, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.manifest.years.keys().copied().collect()
    }
}
