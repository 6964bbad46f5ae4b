//! The native store: one directory per dataset under the sovra home (`$SOVRA_HOME`, else
//! `$XDG_DATA_HOME/sovra`, else `~/.local/share/sovra`), holding `meta.json` and numpy `.npy` arrays
//! (`Z Y x v`, and `F F_Y` when the table has stressors) so that Python users can open them too.
//!
//! Writes are atomic: the dataset is written to a temporary directory beside its final place and renamed
//! into place, so a reader never sees a partial dataset and an interrupted write leaves nothing behind.

use std::fs;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels, Stressor};
use crate::npy;
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// The identifier written in every `meta.json`.
pub const FORMAT: &str = "sovra-store";
/// Version of the store layout.
pub const FORMAT_VERSION: u32 = 1;

/// Contents of `meta.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Always [`FORMAT`].
    pub format: String,
    /// Store layout version.
    pub format_version: u32,
    /// Dataset name.
    pub name: String,
    /// Human title.
    #[serde(default)]
    pub title: String,
    /// Where the data came from.
    #[serde(default)]
    pub source: String,
    /// Reference year.
    #[serde(default)]
    pub year: Option<i32>,
    /// Monetary unit.
    #[serde(default)]
    pub units: String,
    /// Regions in node order.
    pub regions: Vec<Code>,
    /// Sectors in node order.
    pub sectors: Vec<Code>,
    /// Columns of Y.
    pub final_demand: Vec<FdColumn>,
    /// Rows of F.
    #[serde(default)]
    pub stressors: Vec<Stressor>,
    /// sha256 of the source file.
    #[serde(default)]
    pub source_sha256: Option<String>,
    /// Program that wrote the store.
    #[serde(default)]
    pub written_by: String,
    /// Notes on how the table was built.
    #[serde(default)]
    pub notes: String,
}

impl Meta {
    /// The labels this metadata describes.
    pub fn labels(&self) -> Labels {
        Labels {
            regions: self.regions.clone(),
            sectors: self.sectors.clone(),
            final_demand: self.final_demand.clone(),
            stressors: self.stressors.clone(),
        }
    }
}

/// The sovra home directory.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("SOVRA_HOME").filter(|s| !s.is_empty()) {
        return PathBuf::from(h);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|s| !s.is_empty()) {
        return PathBuf::from(x).join("sovra");
    }
    let base = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    base.join(".local").join("share").join("sovra")
}

/// Directory of a dataset in a store.
pub fn dataset_dir(home: &Path, name: &str) -> PathBuf {
    home.join("datasets").join(name)
}

/// Whether a name is usable as a dataset name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.')
}

/// Datasets present in a store, with their metadata.
pub fn list(home: &Path) -> Result<Vec<Meta>> {
    let dir = home.join("datasets");
    let mut out = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    for e in entries {
        let e = e.map_err(|err| Error::io(&dir, err))?;
        let p = e.path();
        if p.join("meta.json").is_file() && !e.file_name().to_string_lossy().starts_with('.') {
            out.push(read_meta(&p)?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Reads `meta.json` of a dataset directory.
pub fn read_meta(dir: &Path) -> Result<Meta> {
    let p = dir.join("meta.json");
    let bytes = fs::read(&p).map_err(|e| Error::io(&p, e))?;
    parse_meta(&bytes, &p.display().to_string())
}

/// Parses and checks the contents of a `meta.json`; `file` names it in errors.
pub fn parse_meta(bytes: &[u8], file: &str) -> Result<Meta> {
    let meta: Meta = serde_json::from_slice(bytes).map_err(|e| Error::Format {
        file: file.into(),
        detail: format!("invalid meta.json: {e}"),
    })?;
    if meta.format != FORMAT {
        return Err(Error::Format {
            file: file.into(),
            detail: format!("format is '{}', expected '{FORMAT}'", meta.format),
        });
    }
    if meta.format_version > FORMAT_VERSION {
        return Err(Error::Format {
            file: file.into(),
            detail: format!(
                "store version {} is newer than this sovra understands ({FORMAT_VERSION})",
                meta.format_version
            ),
        });
    }
    if !valid_name(&meta.name) {
        return Err(Error::Format {
            file: file.into(),
            detail: format!("'{}' is not a valid dataset name", meta.name),
        });
    }
    if meta
        .regions
        .len()
        .checked_mul(meta.sectors.len())
        .is_none_or(|n| n > 1 << 20)
    {
        return Err(Error::Format {
            file: file.into(),
            detail: format!(
                "{} regions × {} sectors is not a plausible table",
                meta.regions.len(),
                meta.sectors.len()
            ),
        });
    }
    Ok(meta)
}

fn read_array(dir: &Path, file: &str, shape: &[usize]) -> Result<Dense> {
    let p = dir.join(file);
    let f = fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
    let size = f.metadata().map_err(|e| Error::io(&p, e))?.len();
    let a = npy::read_f64_sized(
        &mut BufReader::with_capacity(1 << 16, f),
        &p.display().to_string(),
        Some(size),
    )?;
    let got: Vec<usize> = if a.shape.len() == 1 && shape.len() == 2 && shape[1] == 1 {
        vec![a.shape[0], 1]
    } else {
        a.shape.clone()
    };
    if got != shape {
        return Err(Error::Format {
            file: p.display().to_string(),
            detail: format!(
                "array has shape {:?}, meta.json implies {:?}",
                a.shape, shape
            ),
        });
    }
    let (rows, cols) = match shape {
        [r] => (*r, 1),
        [r, c] => (*r, *c),
        _ => (0, 0),
    };
    Dense::from_vec(rows, cols, a.data)
}

/// For tests that use a real dataset when the store has it: the dataset, or `None` after printing a notice
/// naming what is skipped. With `SOVRA_REQUIRE_ICIO` set (the test script sets it), a missing dataset is a
/// panic instead, so CI cannot pass by skipping.
pub fn open_or_notice(name: &str, skipped: &str) -> Option<Mrio> {
    let home = home();
    if !dataset_dir(&home, name).join("meta.json").is_file() {
        assert!(
            std::env::var_os("SOVRA_REQUIRE_ICIO").is_none(),
            "SOVRA_REQUIRE_ICIO is set but {name} is not in {}",
            home.display()
        );
        eprintln!(
            "NOTICE: {name} is not in {}; {skipped} is skipped",
            home.display()
        );
        return None;
    }
    Some(open(&home, name).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// Opens a dataset by name from the store at `home`.
pub fn open(home: &Path, name: &str) -> Result<Mrio> {
    let dir = dataset_dir(home, name);
    if !dir.join("meta.json").is_file() {
        let known: Vec<String> = list(home)
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.name)
            .collect();
        let hint = if known.is_empty() {
            "the store is empty: run `sovra data fetch` (default dataset icio2022) or `sovra data import`".to_string()
        } else {
            format!("known datasets: {}", known.join(", "))
        };
        return Err(Error::NoDataset {
            name: name.to_string(),
            home: home.to_path_buf(),
            hint,
        });
    }
    open_dir(&dir)
}

/// Opens a dataset directory.
pub fn open_dir(dir: &Path) -> Result<Mrio> {
    let meta = read_meta(dir)?;
    let labels = meta.labels();
    let n = labels.n_nodes();
    let k = labels.final_demand.len();
    let m = labels.stressors.len();
    let z = read_array(dir, "Z.npy", &[n, n])?;
    let y = read_array(dir, "Y.npy", &[n, k])?;
    let x = read_array(dir, "x.npy", &[n])?.data;
    let v = read_array(dir, "v.npy", &[n])?.data;
    let (f, f_y) = if m > 0 {
        (
            Some(read_array(dir, "F.npy", &[m, n])?),
            Some(read_array(dir, "F_Y.npy", &[m, k])?),
        )
    } else {
        (None, None)
    };
    let provenance = Provenance {
        name: meta.name.clone(),
        title: meta.title.clone(),
        source: meta.source.clone(),
        year: meta.year,
        units: meta.units.clone(),
        source_sha256: meta.source_sha256.clone(),
        written_by: meta.written_by.clone(),
        notes: meta.notes.clone(),
    };
    // The store was balanced when written; a looser tolerance absorbs rounding in float sums of large tables.
    let tol = BalanceTolerance {
        relative: 1e-6,
        floor_of_max: 1e-9,
    };
    Mrio::from_parts(
        Parts {
            labels,
            z,
            y,
            x: Some(x),
            v: Some(v),
            f,
            f_y,
            provenance,
        },
        tol,
    )
}

/// Metadata for a table about to be written.
pub fn meta_of(t: &Mrio) -> Meta {
    let p = &t.provenance;
    Meta {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: p.name.clone(),
        title: p.title.clone(),
        source: p.source.clone(),
        year: p.year,
        units: p.units.clone(),
        regions: t.labels.regions.clone(),
        sectors: t.labels.sectors.clone(),
        final_demand: t.labels.final_demand.clone(),
        stressors: t.labels.stressors.clone(),
        source_sha256: p.source_sha256.clone(),
        written_by: format!("sovra {}", crate::VERSION),
        notes: p.notes.clone(),
    }
}

/// Writes a table as dataset `t.provenance.name` into the store at `home`, atomically, replacing any
/// dataset of the same name. Returns the dataset directory.
pub fn write(home: &Path, t: &Mrio) -> Result<PathBuf> {
    let name = &t.provenance.name;
    if !valid_name(name) {
        return Err(Error::Unsupported(format!(
            "'{name}' is not a valid dataset name (letters, digits, '-', '_', '.'; at most 64 characters)"
        )));
    }
    let parent = home.join("datasets");
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let final_dir = dataset_dir(home, name);
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    let result = write_into(&tmp, t).and_then(|()| replace_dir(&tmp, &final_dir));
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result.map(|()| final_dir)
}

fn write_into(dir: &Path, t: &Mrio) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let n = t.n();
    let k = t.labels.final_demand.len();
    let m = t.labels.stressors.len();
    let mut arrays: Vec<(&str, Vec<usize>, &[f64])> = vec![
        ("Z.npy", vec![n, n], &t.z.data),
        ("Y.npy", vec![n, k], &t.y.data),
        ("x.npy", vec![n], &t.x),
        ("v.npy", vec![n], &t.v),
    ];
    if m > 0 {
        arrays.push(("F.npy", vec![m, n], &t.f.data));
        arrays.push(("F_Y.npy", vec![m, k], &t.f_y.data));
    }
    for (file, shape, data) in arrays {
        let p = dir.join(file);
        let f = fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        npy::write_f64(&mut w, &shape, data)
            .and_then(|()| w.flush())
            .map_err(|e| Error::io(&p, e))?;
        w.get_ref().sync_all().map_err(|e| Error::io(&p, e))?;
    }
    let p = dir.join("meta.json");
    let text = serde_json::to_string_pretty(&meta_of(t)).map_err(|e| Error::Format {
        file: p.display().to_string(),
        detail: e.to_string(),
    })?;
    fs::write(&p, text + "\n").map_err(|e| Error::io(&p, e))
}

/// Moves `tmp` to `dest`, replacing an existing directory with as short a window as the OS allows.
fn replace_dir(tmp: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        let old = dest.with_file_name(format!(
            ".{}.old-{}",
            dest.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
        fs::rename(tmp, dest).map_err(|e| Error::io(dest, e))?;
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    } else {
        fs::rename(tmp, dest).map_err(|e| Error::io(dest, e))?;
    }
    Ok(())
}
