//! The native store: one dataset per name under the sovra home (`$SOVRA_HOME`, else
//! `$XDG_DATA_HOME/sovra`, else `~/.local/share/sovra`), holding `meta.json` and numpy `.npy` arrays
//! (`Z Y x v`, and `F F_Y` when the table has stressors) so that Python users can open them too.
//!
//! ```text
//! HOME/
//!   datasets/NAME -> ../.datasets/versions/NAME@<unique>   what `NAME` is now: a symbolic link
//!   .datasets/versions/NAME@<unique>/meta.json, Z.npy, …   the dataset's files, never changed once linked
//!   .datasets/tmp/                                          links on their way into datasets/
//!   .datasets/writer                                        who is writing (while the write lock is held)
//! ```
//!
//! `HOME/datasets/NAME/Z.npy` still opens the dataset's arrays, through the link, as it did before versions.
//!
//! **Series.** A dataset may hold several years of one table ([`write_series`]): `meta.json` (layout
//! version 2) lists them in `series`, each with its own provenance (title, source, sha256, notes), the labels
//! are the same for every year, and each year's arrays are in `years/YYYY/` (`Z.npy`, `Y.npy`, `x.npy`,
//! `v.npy`, and any per-node arrays the reader kept, such as WIOD's `go_published.npy`):
//!
//! ```text
//! NAME@<unique>/meta.json             name, labels, year = the latest, series = [{year, title, source, …}]
//! NAME@<unique>/years/1995/Z.npy …    one folder per year
//! ```
//!
//! [`open_year`] reads one year (the latest when none is asked; a year the series lacks is an
//! [`Error::Request`] naming it and the years there are). A single-year dataset is written with layout
//! version 1, as before, and opens as before; asking it for another year than its own is the same error.
//!
//! **Writing** ([`write`]) takes the store's write lock ([`crate::lock`]; one writer at a time, a second
//! one waits), writes the table into a new version directory, syncs it to disk, makes a link to it and
//! renames the link over `datasets/NAME`: one `rename(2)`, so that a reader, or a `kill -9` at any point,
//! finds the old dataset or the new one, never neither and never a mix. Only then is the old version
//! removed. A dataset that exists is replaced only with [`WriteMode::Replace`].
//!
//! Before it writes, a writer removes what writers that died left behind: unlinked versions and links in
//! `tmp/` (it holds the lock, so their writers have ended), and the `.NAME.tmp-PID` / `.NAME.old-PID`
//! folders of older sovra versions once their PID is gone (see [`crate::lock::pid_status`]); a dataset whose
//! old folder was left aside by a kill is put back. Datasets written by older versions (a plain directory
//! `datasets/NAME`) are read as they are and swapped for a link on their next replacement, in one
//! `renameat2(RENAME_EXCHANGE)` where the file system supports it.
//!
//! **Reading** ([`open`]) accepts only dataset names (no `/`, no `..`, no absolute path), follows a link only
//! into `.datasets/versions/`, opens the dataset's directory once and every file relative to it (a
//! replacement during the read cannot mix two versions; when it removes the version being opened, the read
//! starts again on the new one), and checks that `meta.json` names the dataset as its folder does.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels, Stressor};
use crate::lock::{self, Wait, WriteLock, fault};
use crate::npy;
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// The identifier written in every `meta.json`.
pub const FORMAT: &str = "sovra-store";
/// The newest store layout this sovra reads: 1 for one table, 2 for a series of years.
pub const FORMAT_VERSION: u32 = 2;
/// The layout version a single-year dataset is written with (older sovra versions read it).
const FORMAT_VERSION_SINGLE: u32 = 1;
/// The layout version a series is written with.
const FORMAT_VERSION_SERIES: u32 = 2;

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
    /// The years of a series, oldest first (empty for a single-year dataset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<YearMeta>,
}

/// One year of a series in `meta.json`: its provenance and the extra per-node arrays stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearMeta {
    /// The year.
    pub year: i32,
    /// Human title of this year's table.
    #[serde(default)]
    pub title: String,
    /// Where this year's table came from.
    #[serde(default)]
    pub source: String,
    /// sha256 of this year's source file.
    #[serde(default)]
    pub source_sha256: Option<String>,
    /// How this year's table was built, and what the reader found (discrepancies, cleaning).
    #[serde(default)]
    pub notes: String,
    /// Extra per-node arrays in `years/YYYY/` (file names), e.g. `go_published.npy`.
    #[serde(default)]
    pub arrays: Vec<String>,
}

impl Meta {
    /// The years this dataset holds: the series' years, else its one year (if recorded).
    pub fn years(&self) -> Vec<i32> {
        if self.series.is_empty() {
            self.year.into_iter().collect()
        } else {
            self.series.iter().map(|y| y.year).collect()
        }
    }

    /// Whether this dataset is a series of years.
    pub fn is_series(&self) -> bool {
        !self.series.is_empty()
    }

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

/// Datasets present in a store, with their metadata (each checked as [`open`] checks it: a link must stay
/// in the store and `meta.json` must name its folder).
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
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !valid_name(&name) || !e.path().join("meta.json").is_file() {
            continue;
        }
        if locate(home, &name)? != Entry::Absent {
            out.push(DatasetDir::open(&e.path(), &name)?.meta()?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Reads `meta.json` of a dataset directory, and checks that it names the dataset as the folder does.
pub fn read_meta(dir: &Path) -> Result<Meta> {
    DatasetDir::open(dir, &folder_name(dir))?.meta()
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

/// Metadata for a table about to be written.
pub fn meta_of(t: &Mrio) -> Meta {
    let p = &t.provenance;
    Meta {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION_SINGLE,
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
        series: Vec::new(),
    }
}

/// Whether [`write`] may replace a dataset of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The name must be new: a dataset of that name is an [`Error::AlreadyExists`].
    CreateNew,
    /// A dataset of that name is replaced, in one step.
    Replace,
}

/// The directory of what the store keeps beside `datasets/`: versions, links in flight, the lock.
fn internal_dir(home: &Path) -> PathBuf {
    home.join(".datasets")
}

fn versions_dir(home: &Path) -> PathBuf {
    internal_dir(home).join("versions")
}

fn tmp_dir(home: &Path) -> PathBuf {
    internal_dir(home).join("tmp")
}

/// The link target of a version, relative to `datasets/`.
fn link_target(version: &str) -> PathBuf {
    Path::new("..")
        .join(".datasets")
        .join("versions")
        .join(version)
}

/// A name given to a read: the same rule as for writes, so that a read never leaves `HOME/datasets`.
fn check_name(home: &Path, name: &str) -> Result<()> {
    if valid_name(name) {
        return Ok(());
    }
    Err(Error::Request(format!(
        "'{name}' is not a dataset name: names are letters, digits, '-', '_' and '.' (not first), at most 64 \
         characters, and are looked up in {} only",
        home.join("datasets").display()
    )))
}

/// What `datasets/NAME` is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Nothing.
    Absent,
    /// A link to this version (a name in `.datasets/versions/`).
    Version(String),
    /// A plain directory, as written by sovra before versions.
    Legacy,
}

/// What `datasets/NAME` is; a link must point to a version of `NAME` in `.datasets/versions/`.
fn locate(home: &Path, name: &str) -> Result<Entry> {
    let path = dataset_dir(home, name);
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Entry::Absent),
        Err(e) => return Err(Error::io(&path, e)),
    };
    if meta.is_dir() {
        return Ok(Entry::Legacy);
    }
    if !meta.file_type().is_symlink() {
        return Err(Error::Format {
            file: path.display().to_string(),
            detail: "is neither a dataset directory nor a link to one".into(),
        });
    }
    let target = fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
    let parts: Vec<Component> = target.components().collect();
    if let [
        Component::ParentDir,
        Component::Normal(internal),
        Component::Normal(versions),
        Component::Normal(version),
    ] = parts.as_slice()
        && *internal == ".datasets"
        && *versions == "versions"
        && let Some(version) = version.to_str()
        && version
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('@'))
    {
        return Ok(Entry::Version(version.to_string()));
    }
    Err(Error::Format {
        file: path.display().to_string(),
        detail: format!(
            "links to {}, which is not a version of '{name}' in {}: reads stay inside the store",
            target.display(),
            versions_dir(home).display()
        ),
    })
}

/// The dataset name a folder stands for: its name, or for a version directory the part before `@`.
fn folder_name(dir: &Path) -> String {
    let name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once('@') {
        Some((base, _)) => base.to_string(),
        None => name,
    }
}

/// A dataset directory opened once: every file is opened relative to it, so that all come from the same
/// version even if `datasets/NAME` is replaced meanwhile.
struct DatasetDir {
    /// The path the directory was opened by (for messages).
    path: PathBuf,
    /// The name its `meta.json` must hold.
    name: String,
    #[cfg(unix)]
    handle: File,
}

impl DatasetDir {
    fn open(path: &Path, name: &str) -> Result<DatasetDir> {
        #[cfg(unix)]
        let handle = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(DatasetDir {
            path: path.to_path_buf(),
            name: name.to_string(),
            #[cfg(unix)]
            handle,
        })
    }

    /// Opens `file` inside the directory.
    fn file(&self, file: &str) -> Result<(File, PathBuf)> {
        let p = self.path.join(file);
        #[cfg(unix)]
        let f = {
            use std::os::fd::{AsRawFd, FromRawFd};
            let c = std::ffi::CString::new(file)
                .map_err(|e| Error::io(&p, std::io::Error::other(e)))?;
            // SAFETY: openat on a directory descriptor we own, with a NUL-terminated relative name; the
            // returned descriptor is owned by the File from here on.
            let fd = unsafe {
                libc::openat(
                    self.handle.as_raw_fd(),
                    c.as_ptr(),
                    libc::O_RDONLY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return Err(Error::io(&p, std::io::Error::last_os_error()));
            }
            // SAFETY: fd is a fresh descriptor that nothing else owns.
            unsafe { File::from_raw_fd(fd) }
        };
        #[cfg(not(unix))]
        let f = File::open(&p).map_err(|e| Error::io(&p, e))?;
        Ok((f, p))
    }

    /// `meta.json`, parsed, checked, and naming the dataset as its folder does.
    fn meta(&self) -> Result<Meta> {
        let (mut f, p) = self.file("meta.json")?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| Error::io(&p, e))?;
        let meta = parse_meta(&bytes, &p.display().to_string())?;
        if meta.name != self.name {
            return Err(Error::Format {
                file: p.display().to_string(),
                detail: format!(
                    "names the dataset '{}', but its folder is '{}': a dataset is known by its folder; \
                     write the folder's name into meta.json, or import the data again",
                    meta.name, self.name
                ),
            });
        }
        Ok(meta)
    }

    /// Whether `path` now names a different directory than the one open (a replacement happened).
    fn replaced(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match (fs::metadata(&self.path), self.handle.metadata()) {
                (Ok(a), Ok(b)) => a.dev() != b.dev() || a.ino() != b.ino(),
                _ => true,
            }
        }
        #[cfg(not(unix))]
        false
    }

    /// The table of `year` (the latest of a series when `None`): metadata first, then every array file is
    /// opened before any is read.
    fn table(&self, year: Option<i32>) -> Result<Mrio> {
        let meta = self.meta()?;
        let (prefix, provenance) = year_of(&meta, year)?;
        let labels = meta.labels();
        let n = labels.n_nodes();
        let k = labels.final_demand.len();
        let m = labels.stressors.len();
        let mut wanted: Vec<(&str, Vec<usize>)> = vec![
            ("Z.npy", vec![n, n]),
            ("Y.npy", vec![n, k]),
            ("x.npy", vec![n]),
            ("v.npy", vec![n]),
        ];
        if m > 0 {
            wanted.push(("F.npy", vec![m, n]));
            wanted.push(("F_Y.npy", vec![m, k]));
        }
        let files = wanted
            .iter()
            .map(|(file, _)| self.file(&format!("{prefix}{file}")))
            .collect::<Result<Vec<_>>>()?;
        let mut arrays = files
            .into_iter()
            .zip(&wanted)
            .map(|((f, p), (_, shape))| read_array(f, &p, shape));
        let mut next = || arrays.next().unwrap_or_else(|| Ok(Dense::zeros(0, 0)));
        let (z, y, x, v) = (
            next()?,
            next()?,
            next()?.data.into_vec(),
            next()?.data.into_vec(),
        );
        let (f, f_y) = if m > 0 {
            (Some(next()?), Some(next()?))
        } else {
            (None, None)
        };
        // The store was balanced when written; a looser tolerance absorbs rounding in float sums of large
        // tables.
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
}

/// Where the arrays of `year` are (a prefix inside the dataset directory) and its provenance; a year the
/// dataset does not hold is an [`Error::Request`] naming it and the years there are.
fn year_of(meta: &Meta, year: Option<i32>) -> Result<(String, Provenance)> {
    let mut provenance = Provenance {
        name: meta.name.clone(),
        title: meta.title.clone(),
        source: meta.source.clone(),
        year: meta.year,
        units: meta.units.clone(),
        source_sha256: meta.source_sha256.clone(),
        written_by: meta.written_by.clone(),
        notes: meta.notes.clone(),
    };
    if !meta.is_series() {
        return match year {
            Some(y) if meta.year != Some(y) => Err(Error::Request(format!(
                "dataset '{}' has no year {y}: it holds one table, {}",
                meta.name,
                meta.year
                    .map(|y| format!("of {y}"))
                    .unwrap_or_else(|| "with no year recorded".into())
            ))),
            _ => Ok((String::new(), provenance)),
        };
    }
    let entry = match year {
        None => meta.series.iter().max_by_key(|y| y.year),
        Some(y) => meta.series.iter().find(|e| e.year == y),
    };
    let Some(entry) = entry else {
        return Err(Error::Request(format!(
            "dataset '{}' has no year {}; its years: {}",
            meta.name,
            year.unwrap_or_default(),
            year_list(&meta.years())
        )));
    };
    provenance.title = entry.title.clone();
    provenance.source = entry.source.clone();
    provenance.year = Some(entry.year);
    provenance.source_sha256 = entry.source_sha256.clone();
    provenance.notes = entry.notes.clone();
    Ok((format!("years/{}/", entry.year), provenance))
}

/// Years as ranges: `1995–2011 (17)`, or `1995, 1997–1999 (4)`.
pub fn year_list(years: &[i32]) -> String {
    let mut sorted = years.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}–{}", sorted[i], sorted[j])
        } else {
            sorted[i].to_string()
        });
        i = j + 1;
    }
    format!("{} ({})", parts.join(", "), sorted.len())
}

fn read_array(f: File, p: &Path, shape: &[usize]) -> Result<Dense> {
    let size = f.metadata().map_err(|e| Error::io(p, e))?.len();
    #[cfg(unix)]
    if size >= MAP_AT_LEAST
        && let Some(d) = mapped::array(&f, p, shape, size)?
    {
        return Ok(d);
    }
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

/// Arrays at least this large (Z, Y of a real table) are mapped rather than read.
const MAP_AT_LEAST: u64 = 1 << 20;

/// Store arrays read in place: a little-endian float64 C-order `.npy` file is mapped (read-only, private,
/// pre-faulted) and lent to the table without a copy ([`crate::Values::shared`]) — no zeroed buffer, no copy
/// from the page cache, and tables loaded by several processes share their pages. The store never changes a
/// file in place (a dataset is replaced by renaming a new directory over the old, and an unlinked file stays
/// readable while mapped), so the mapping holds what was read. Any other file is read as before.
#[cfg(unix)]
mod mapped {
    use std::fs::File;
    use std::io::{Seek, SeekFrom};
    use std::os::fd::AsRawFd;
    use std::path::Path;
    use std::sync::Arc;

    use crate::error::{Error, Result};
    use crate::npy;
    use crate::table::{Dense, SharedValues};

    struct Mapping {
        ptr: *mut libc::c_void,
        bytes: usize,
        offset: usize,
        len: usize,
    }

    // SAFETY: a private read-only mapping owned by this value (unmapped on drop) and never written; reading
    // it from several threads is reading immutable memory.
    unsafe impl Send for Mapping {}
    unsafe impl Sync for Mapping {}

    impl SharedValues for Mapping {
        fn values(&self) -> &[f64] {
            // SAFETY: `offset` is a multiple of 8 within the mapping (checked in `array`), the mapping is page
            // aligned, and `offset + 8 len <= bytes`; the memory lives as long as `self`.
            unsafe {
                std::slice::from_raw_parts(
                    (self.ptr as *const u8).add(self.offset) as *const f64,
                    self.len,
                )
            }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: unmapping the region this value mapped, once.
            unsafe {
                libc::munmap(self.ptr, self.bytes);
            }
        }
    }

    /// The array mapped, or `None` when the file is not a plain little-endian float64 C-order array of the
    /// expected shape (the caller reads it, and reports what is wrong with it).
    pub(super) fn array(f: &File, p: &Path, shape: &[usize], size: u64) -> Result<Option<Dense>> {
        if !cfg!(target_endian = "little") {
            return Ok(None);
        }
        let mut r = f;
        let source = p.display().to_string();
        let header = npy::read_header(&mut r, &source);
        let offset = r.stream_position().map_err(|e| Error::io(p, e));
        // Back to the start for the reader, whatever happens here.
        r.seek(SeekFrom::Start(0)).map_err(|e| Error::io(p, e))?;
        let (Ok(h), Ok(offset)) = (header, offset) else {
            return Ok(None);
        };
        let (rows, cols) = match shape {
            [r] => (*r, 1),
            [r, c] => (*r, *c),
            _ => return Ok(None),
        };
        let fits = h.shape == shape || (h.shape.len() == 1 && shape.len() == 2 && shape[1] == 1);
        let len = rows * cols;
        let bytes = usize::try_from(size).unwrap_or(usize::MAX);
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        if h.descr != "<f8"
            || h.fortran_order
            || !fits
            || offset % 8 != 0
            || offset.checked_add(len.saturating_mul(8)) != Some(bytes)
            || len == 0
        {
            return Ok(None);
        }
        // SAFETY: a read-only private mapping of a whole regular file we hold open; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ,
                libc::MAP_PRIVATE | populate(),
                f.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Ok(None);
        }
        let m = Mapping {
            ptr,
            bytes,
            offset,
            len,
        };
        Dense::from_shared(rows, cols, Arc::new(m)).map(Some)
    }

    #[cfg(target_os = "linux")]
    fn populate() -> libc::c_int {
        libc::MAP_POPULATE
    }

    #[cfg(not(target_os = "linux"))]
    fn populate() -> libc::c_int {
        0
    }
}

/// The error for a name that is not in the store, listing the names that are.
fn no_dataset(home: &Path, name: &str) -> Error {
    let known: Vec<String> = list(home)
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.name)
        .collect();
    let hint = if known.is_empty() {
        "the store is empty: run `sovra data fetch` (default dataset icio2022) or `sovra data import`"
            .to_string()
    } else {
        format!("known datasets: {}", known.join(", "))
    };
    Error::NoDataset {
        name: name.to_string(),
        home: home.to_path_buf(),
        hint,
    }
}

/// Opens a dataset by name from the store at `home`. The name must be a dataset name (see
/// [`valid_name`]): `../x`, absolute paths and names with `/` are refused, like at import.
pub fn open(home: &Path, name: &str) -> Result<Mrio> {
    open_year(home, name, None)
}

/// [`open`] for one year of a dataset: `None` is the latest year of a series (or the one table of a
/// single-year dataset); a year the dataset does not hold is an [`Error::Request`] naming it.
pub fn open_year(home: &Path, name: &str, year: Option<i32>) -> Result<Mrio> {
    check_name(home, name)?;
    let path = dataset_dir(home, name);
    let mut attempt = 0;
    loop {
        if locate(home, name)? == Entry::Absent {
            return Err(no_dataset(home, name));
        }
        let dir = match DatasetDir::open(&path, name) {
            Ok(dir) => dir,
            // Gone between the look and the open (a replacement by an older sovra): look again.
            Err(e) if e.is_not_found() && attempt < 8 => {
                attempt += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        match dir.table(year) {
            Ok(t) => return Ok(t),
            // A file missing from a version that is no longer the current one: it was replaced (and
            // removed) while being opened; read the new one.
            Err(e) if e.is_not_found() && dir.replaced() && attempt < 8 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Opens a dataset directory given by path (for datasets outside a store, or a store's `datasets/NAME`);
/// its `meta.json` must name it as the folder does.
pub fn open_dir(dir: &Path) -> Result<Mrio> {
    DatasetDir::open(dir, &folder_name(dir))?.table(None)
}

/// The metadata of a dataset in the store (checked as [`open`] checks it), without reading its arrays.
pub fn meta(home: &Path, name: &str) -> Result<Meta> {
    check_name(home, name)?;
    if locate(home, name)? == Entry::Absent {
        return Err(no_dataset(home, name));
    }
    DatasetDir::open(&dataset_dir(home, name), name)?.meta()
}

/// Writes a table as dataset `t.provenance.name` into the store at `home`; with [`WriteMode::CreateNew`] a
/// dataset of that name is an [`Error::AlreadyExists`] and is left as it is. Waits while another process
/// writes to the store (see [`write_with`] to bound the wait). Returns the dataset's path,
/// `HOME/datasets/NAME`.
///
/// The dataset appears, or replaces the old one, in one atomic rename (see the module documentation).
pub fn write(home: &Path, t: &Mrio, mode: WriteMode) -> Result<PathBuf> {
    write_with(home, t, mode, Wait::Forever)
}

/// [`write`], waiting for the store's write lock as `wait` says ([`Error::Locked`] when it gives up).
pub fn write_with(home: &Path, t: &Mrio, mode: WriteMode, wait: Wait) -> Result<PathBuf> {
    write_version(home, &t.provenance.name, mode, wait, |vdir| {
        write_into(vdir, t)
    })
}

/// One year of a series on its way into the store: the table and extra per-node arrays (file stem, values)
/// kept beside it, such as WIOD's published gross output.
#[derive(Debug, Clone)]
pub struct SeriesYear {
    /// The table; its provenance (year, title, source, sha256, notes) becomes the year's entry.
    pub table: Mrio,
    /// Extra arrays of one value per node, written as `years/YYYY/<stem>.npy`.
    pub arrays: Vec<(String, Vec<f64>)>,
}

/// What a series is called as a whole (the years bring their own provenance).
#[derive(Debug, Clone, Default)]
pub struct SeriesInfo {
    /// Dataset name.
    pub name: String,
    /// Human title, e.g. `WIOD 2013 release, 1995–2011`.
    pub title: String,
    /// Where the data came from.
    pub source: String,
    /// Notes on how the tables were built (common to all years).
    pub notes: String,
}

/// Writes a series of years as dataset `info.name`, one year at a time (each is read, checked and written
/// before the next is asked for, so that a long series never sits in memory), atomically as [`write`]: the
/// dataset appears, or replaces the old one, only when every year is written. Every year must carry a year
/// (`provenance.year`), no year may come twice, and every year's labels must equal the first year's (else an
/// error naming the year and the first label that differs). Returns the dataset's path and its years.
pub fn write_series(
    home: &Path,
    info: &SeriesInfo,
    mode: WriteMode,
    wait: Wait,
    years: impl IntoIterator<Item = Result<SeriesYear>>,
) -> Result<(PathBuf, Vec<i32>)> {
    let mut written: Vec<i32> = Vec::new();
    let dir = write_version(home, &info.name, mode, wait, |vdir| {
        let mut meta: Option<Meta> = None;
        for year in years {
            let year = year?;
            let entry = write_year(vdir, &year, meta.as_ref())?;
            let m = meta.get_or_insert_with(|| {
                let mut m = meta_of(&year.table);
                m.format_version = FORMAT_VERSION_SERIES;
                m.name = info.name.clone();
                m.title = info.title.clone();
                m.source = info.source.clone();
                m.notes = info.notes.clone();
                m.source_sha256 = None;
                m
            });
            m.series.push(entry);
            written.push(year.table.provenance.year.unwrap_or_default());
        }
        let mut meta = meta
            .ok_or_else(|| Error::Request(format!("series '{}': no year to write", info.name)))?;
        meta.series.sort_by_key(|y| y.year);
        meta.year = meta.series.last().map(|y| y.year);
        write_meta(vdir, &meta)?;
        lock::sync_dir(vdir)
    })?;
    written.sort_unstable();
    Ok((dir, written))
}

/// Writes one year of a series into `vdir/years/YYYY/`, after checking it against the years before.
fn write_year(vdir: &Path, year: &SeriesYear, first: Option<&Meta>) -> Result<YearMeta> {
    let t = &year.table;
    let p = &t.provenance;
    let y = p.year.ok_or_else(|| {
        Error::Request(format!(
            "series '{}': a table without a year ({}) cannot be part of a series",
            p.name, p.source
        ))
    })?;
    if let Some(first) = first {
        if first.series.iter().any(|e| e.year == y) {
            return Err(Error::Request(format!(
                "series '{}': year {y} is there twice ({})",
                p.name, p.source
            )));
        }
        if let Some(diff) = labels_differ(&first.labels(), &t.labels) {
            return Err(Error::Request(format!(
                "series '{}': year {y} ({}) has other labels than year {}: {diff}; every year of a series must \
                 have the same regions, sectors and final-demand columns",
                p.name, p.source, first.series[0].year
            )));
        }
    }
    let n = t.n();
    let dir = vdir.join("years").join(y.to_string());
    write_into(&dir, t)?;
    let mut arrays = Vec::new();
    for (stem, data) in &year.arrays {
        let valid = !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !["Z", "Y", "x", "v", "F", "F_Y"].contains(&stem.as_str());
        if !valid || data.len() != n {
            return Err(Error::Unsupported(format!(
                "series '{}', year {y}: extra array '{stem}' must be a plain name other than Z Y x v F F_Y \
                 and hold one value per node ({n}), not {}",
                p.name,
                data.len()
            )));
        }
        let file = format!("{stem}.npy");
        write_npy(&dir.join(&file), &[n], data)?;
        arrays.push(file);
    }
    lock::sync_dir(&dir)?;
    Ok(YearMeta {
        year: y,
        title: p.title.clone(),
        source: p.source.clone(),
        source_sha256: p.source_sha256.clone(),
        notes: p.notes.clone(),
        arrays,
    })
}

/// The first difference between two sets of labels, in words; `None` when they agree.
pub fn labels_differ(a: &Labels, b: &Labels) -> Option<String> {
    fn list<T: PartialEq>(
        what: &str,
        a: &[T],
        b: &[T],
        show: impl Fn(&T) -> String,
    ) -> Option<String> {
        if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
            return Some(format!(
                "{what} {} is {} there but {} here",
                i + 1,
                show(&a[i]),
                show(&b[i])
            ));
        }
        (a.len() != b.len()).then(|| format!("{} {what}s there, {} here", a.len(), b.len()))
    }
    let code = |c: &Code| c.code.clone();
    list("region", &a.regions, &b.regions, code)
        .or_else(|| list("sector", &a.sectors, &b.sectors, code))
        .or_else(|| {
            list(
                "final-demand column",
                &a.final_demand,
                &b.final_demand,
                |c| format!("{}_{}", c.region, c.category),
            )
        })
        .or_else(|| list("stressor", &a.stressors, &b.stressors, |s| s.name.clone()))
}

/// Takes the store's lock, writes a new version of dataset `name` with `fill` (given the version directory),
/// and publishes it in one rename (see the module documentation); on any error nothing is published and the
/// version is removed.
fn write_version(
    home: &Path,
    name: &str,
    mode: WriteMode,
    wait: Wait,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let name = &name.to_string();
    if !valid_name(name) {
        return Err(Error::Unsupported(format!(
            "'{name}' is not a valid dataset name (letters, digits, '-', '_', '.'; at most 64 characters)"
        )));
    }
    let datasets = home.join("datasets");
    for dir in [&datasets, &versions_dir(home), &tmp_dir(home)] {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let _lock = WriteLock::acquire(
        &internal_dir(home),
        "writer",
        &format!("writing dataset '{name}'"),
        wait,
    )?;
    fault::point("dataset: locked");
    clean(home)?;
    fault::point("dataset: cleaned");
    let before = locate(home, name)?;
    if mode == WriteMode::CreateNew && before != Entry::Absent {
        return Err(Error::AlreadyExists {
            name: name.clone(),
            home: home.to_path_buf(),
        });
    }
    let unique = lock::unique();
    let version = format!("{name}@{unique}");
    let vdir = versions_dir(home).join(&version);
    let link = tmp_dir(home).join(format!("{name}@link-{unique}"));
    let dest = dataset_dir(home, name);
    let published = fill(&vdir)
        .and_then(|()| lock::sync_dir(&versions_dir(home)))
        .and_then(|()| {
            fault::point("dataset: written");
            make_link(&link_target(&version), &link)
        })
        .and_then(|()| {
            fault::point("dataset: linked");
            publish(home, name, &before, &link, &unique)
        });
    let old = match published {
        Ok(old) => old,
        Err(e) => {
            let _ = fs::remove_dir_all(&vdir);
            let _ = fs::remove_file(&link);
            return Err(e);
        }
    };
    fault::point("dataset: published");
    if let Some(old) = old {
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    fault::point("dataset: old removed");
    Ok(dest)
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link).map_err(|e| Error::io(link, e))
}

#[cfg(not(unix))]
fn make_link(_target: &Path, link: &Path) -> Result<()> {
    Err(Error::io(
        link,
        std::io::Error::other("the dataset store needs symbolic links"),
    ))
}

/// Puts `link` in place of `datasets/NAME` and returns what to remove afterwards (the old version).
fn publish(
    home: &Path,
    name: &str,
    before: &Entry,
    link: &Path,
    unique: &str,
) -> Result<Option<PathBuf>> {
    let datasets = home.join("datasets");
    let dest = dataset_dir(home, name);
    let old = match before {
        Entry::Absent => {
            fs::rename(link, &dest).map_err(|e| Error::io(&dest, e))?;
            None
        }
        Entry::Version(old) => {
            fs::rename(link, &dest).map_err(|e| Error::io(&dest, e))?;
            Some(versions_dir(home).join(old))
        }
        // A directory cannot be renamed over: the link and the directory swap places in one step, and
        // the old directory is then where the link was.
        Entry::Legacy if lock::exchange(link, &dest)? => Some(link.to_path_buf()),
        // Without RENAME_EXCHANGE: the old directory becomes a version first (`@legacy-`), then the link
        // takes its place. A kill between the two leaves no `datasets/NAME`; the next write's `clean`
        // links the `@legacy-` version back, so the old dataset returns.
        Entry::Legacy => {
            let parked = versions_dir(home).join(format!("{name}@legacy-{unique}"));
            fs::rename(&dest, &parked).map_err(|e| Error::io(&dest, e))?;
            fault::point("dataset: legacy set aside");
            fs::rename(link, &dest).map_err(|e| Error::io(&dest, e))?;
            Some(parked)
        }
    };
    lock::sync_dir(&datasets)?;
    Ok(old)
}

/// Removes (or, for a dataset that would otherwise be lost, puts back) what dead writers left; called with
/// the write lock held, so that no writer that could still use them is running. Returns what it changed.
pub(crate) fn clean(home: &Path) -> Result<Vec<PathBuf>> {
    let datasets = home.join("datasets");
    let mut changed = Vec::new();
    let mut linked: HashSet<String> = HashSet::new();
    let mut legacy_leftovers = Vec::new();
    for e in read_dir_or_empty(&datasets)? {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            legacy_leftovers.push((name, e.path()));
        } else if valid_name(&name)
            && let Ok(Entry::Version(v)) = locate(home, &name)
        {
            linked.insert(v);
        }
    }
    // Versions no link points to: a write killed before its rename, or an old version whose removal was
    // cut short. A dataset whose old directory was set aside (`@legacy-`) and not replaced is put back.
    for e in read_dir_or_empty(&versions_dir(home))? {
        let version = e.file_name().to_string_lossy().into_owned();
        if linked.contains(&version) {
            continue;
        }
        let path = e.path();
        if let Some((name, rest)) = version.split_once('@')
            && rest.starts_with("legacy-")
            && valid_name(name)
            && locate(home, name)? == Entry::Absent
        {
            let link = tmp_dir(home).join(format!("{name}@link-{}", lock::unique()));
            make_link(&link_target(&version), &link)?;
            let dest = dataset_dir(home, name);
            fs::rename(&link, &dest).map_err(|e| Error::io(&dest, e))?;
            changed.push(dest);
            continue;
        }
        fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        changed.push(path);
    }
    // Links never renamed into place, and directories swapped out of it.
    for e in read_dir_or_empty(&tmp_dir(home))? {
        let path = e.path();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let r = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        r.map_err(|e| Error::io(&path, e))?;
        changed.push(path);
    }
    // Older sovra: `.NAME.tmp-PID` (a write in progress) and `.NAME.old-PID` (the old dataset, set aside
    // between two renames), touched only once their process is gone.
    for (file, path) in legacy_leftovers {
        let Some((stem, pid)) = file.rsplit_once('-') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let (name, old) = if let Some(n) = stem.strip_suffix(".tmp") {
            (n, false)
        } else if let Some(n) = stem.strip_suffix(".old") {
            (n, true)
        } else {
            continue;
        };
        let Some(name) = name.strip_prefix('.') else {
            continue;
        };
        let modified = fs::symlink_metadata(&path)
            .and_then(|m| m.modified())
            .map_err(|e| Error::io(&path, e))?;
        if lock::pid_status(pid, modified) != lock::Status::Gone {
            continue;
        }
        if old && valid_name(name) && locate(home, name)? == Entry::Absent {
            let dest = dataset_dir(home, name);
            fs::rename(&path, &dest).map_err(|e| Error::io(&path, e))?;
            changed.push(dest);
        } else {
            fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            changed.push(path);
        }
    }
    if !changed.is_empty() {
        lock::sync_dir(&datasets)?;
    }
    Ok(changed)
}

fn read_dir_or_empty(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io(dir, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(dir, e)),
    }
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
        write_npy(&dir.join(file), &shape, data)?;
        fault::point(&format!("dataset: wrote {file}"));
    }
    write_meta(dir, &meta_of(t))?;
    lock::sync_dir(dir)
}

fn write_npy(p: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    let f = File::create(p).map_err(|e| Error::io(p, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    npy::write_f64(&mut w, shape, data)
        .and_then(|()| w.flush())
        .map_err(|e| Error::io(p, e))?;
    w.get_ref().sync_all().map_err(|e| Error::io(p, e))
}

fn write_meta(dir: &Path, meta: &Meta) -> Result<()> {
    let p = dir.join("meta.json");
    let text = serde_json::to_string_pretty(meta).map_err(|e| Error::Format {
        file: p.display().to_string(),
        detail: e.to_string(),
    })?;
    File::create(&p)
        .and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        })
        .map_err(|e| Error::io(&p, e))
}
