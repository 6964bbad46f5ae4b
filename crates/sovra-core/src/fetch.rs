//! Obtains the default dataset through the Python package index with the ordinary client
//! (`python3 -m pip download --no-deps`), verifies its checksum and converts it to the native store.
//! Idempotent: a store already holding the same source (same sha256) is left alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::read::icio2022;
use crate::store;

/// What `fetch_icio2022` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// The store already held this exact source.
    AlreadyPresent(PathBuf),
    /// Downloaded (or taken from the wheel cache) and converted.
    Converted(PathBuf),
}

/// The Python interpreter used for pip (`$SOVRA_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("SOVRA_PYTHON")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "python3".into())
}

fn run_pip_download(requirement: &str, dest: &Path) -> Result<()> {
    let py = python();
    let check = Command::new(&py).args(["-m", "pip", "--version"]).output().map_err(|e| {
        Error::External(format!(
            "cannot run '{py}' ({e}): sovra fetches its data with `{py} -m pip download`; install Python 3 with pip \
             (e.g. `apt-get install python3-pip`) or point SOVRA_PYTHON at an interpreter that has pip"
        ))
    })?;
    if !check.status.success() {
        return Err(Error::External(format!(
            "'{py} -m pip' is not available ({}): install pip for that interpreter (e.g. `apt-get install python3-pip`) \
             or point SOVRA_PYTHON at one that has it",
            String::from_utf8_lossy(&check.stderr).trim()
        )));
    }
    let status = Command::new(&py)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(dest)
        .arg(requirement)
        // pip's progress goes to stderr with ours: stdout carries only the answer (a first run piped to
        // `--format json` must still give JSON).
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| Error::External(format!("running '{py} -m pip download': {e}")))?;
    if !status.success() {
        return Err(Error::External(format!(
            "'{py} -m pip download --no-deps {requirement}' failed ({status}); check that the package index is reachable"
        )));
    }
    Ok(())
}

fn find_wheel(dir: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .map(|f| f.to_string_lossy().to_string())
                .is_some_and(|f| f.starts_with(prefix) && f.ends_with(".whl"))
        })
}

/// The wheel of `requirement` in `$SOVRA_HOME/cache/wheels`, downloaded with pip the first time.
fn cached_wheel(
    home: &Path,
    requirement: &str,
    prefix: &str,
    stage: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let cache = home.join("cache").join("wheels");
    std::fs::create_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
    if let Some(w) = find_wheel(&cache, prefix) {
        return Ok(w);
    }
    stage(&format!("downloading {requirement} with pip"));
    let tmp = cache.join(format!(".download-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let res = run_pip_download(requirement, &tmp).and_then(|()| {
        let w = find_wheel(&tmp, prefix).ok_or_else(|| {
            Error::External(format!(
                "pip reported success but left no {prefix}*.whl in {}",
                tmp.display()
            ))
        })?;
        let dest = cache.join(w.file_name().unwrap_or_default());
        std::fs::rename(&w, &dest).map_err(|e| Error::io(&dest, e))?;
        Ok(dest)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    res
}

/// The classifications package: HS and SITC names, country codes and groups, HS revision weights.
pub const CLASSIFICATIONS: &str = "atlas-common-data==1.1.1";
/// sha256 of its wheel.
pub const CLASSIFICATIONS_SHA256: &str =
    "333f4f6d71865642aa4f64165821f4aeb52f8cc570cd9418d74b79a46dd97620";

/// Where the classification files live: `$SOVRA_HOME/classifications/atlas-common-data-1.1.1`.
pub fn classifications_dir(home: &Path) -> PathBuf {
    home.join("classifications").join("atlas-common-data-1.1.1")
}

/// Fetches the classification files (HS92/HS12/HS22 product names, countries, HS revision conversion weights)
/// from the PyPI wheel `atlas-common-data==1.1.1` into [`classifications_dir`], checking the wheel's sha256.
/// Written to a temporary directory that is renamed into place.
pub fn fetch_classifications(
    home: &Path,
    force: bool,
    stage: &mut dyn FnMut(&str),
) -> Result<Fetched> {
    use sha2::Digest;
    let dir = classifications_dir(home);
    if !force && dir.join("DONE").is_file() {
        return Ok(Fetched::AlreadyPresent(dir));
    }
    let wheel = cached_wheel(home, CLASSIFICATIONS, "atlas_common_data-1.1.1-", stage)?;
    stage("checking sha256 and extracting the classification files");
    let bytes = std::fs::read(&wheel).map_err(|e| Error::io(&wheel, e))?;
    let found = format!("{:x}", sha2::Sha256::digest(&bytes));
    if found != CLASSIFICATIONS_SHA256 {
        let _ = std::fs::remove_file(&wheel);
        return Err(Error::Checksum {
            file: wheel.display().to_string(),
            expected: CLASSIFICATIONS_SHA256.into(),
            found,
        });
    }
    let file = wheel.display().to_string();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| Error::Format {
        file: file.clone(),
        detail: e.to_string(),
    })?;
    let parent = dir.parent().unwrap_or(home).to_path_buf();
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = parent.join(format!(".tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let res = (|| -> Result<()> {
        let names: Vec<String> = z.file_names().map(String::from).collect();
        for name in names {
            let keep = name.starts_with("atlas_common_data/data/classification/product/hs")
                || name == "atlas_common_data/data/classification/location/country.csv"
                || (name
                    .starts_with("atlas_common_data/data/conversion_weights/conversion_weights_H")
                    && name.ends_with(".csv"));
            if !keep {
                continue;
            }
            let mut f = z.by_name(&name).map_err(|e| Error::Format {
                file: file.clone(),
                detail: format!("{name}: {e}"),
            })?;
            let base = name.rsplit('/').next().unwrap_or(&name).to_string();
            let out = tmp.join(&base);
            let mut w = std::fs::File::create(&out).map_err(|e| Error::io(&out, e))?;
            std::io::copy(&mut f, &mut w).map_err(|e| Error::io(&out, e))?;
        }
        std::fs::write(tmp.join("DONE"), CLASSIFICATIONS).map_err(|e| Error::io(&tmp, e))?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))
    })();
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    res?;
    Ok(Fetched::Converted(dir))
}

/// Fetches `icio2022` into the store at `home` (again when the stored copy describes itself in older
/// words: the conversion is re-run from the cached wheel). `stage` is told what is happening (for a progress display).
pub fn fetch_icio2022(home: &Path, force: bool, stage: &mut dyn FnMut(&str)) -> Result<Fetched> {
    let dir = store::dataset_dir(home, "icio2022");
    if !force
        && let Ok(meta) = store::read_meta(&dir)
        && meta.source_sha256.as_deref() == Some(icio2022::NPZ_SHA256)
        && meta.source == icio2022::SOURCE
    {
        return Ok(Fetched::AlreadyPresent(dir));
    }
    let wheel = cached_wheel(
        home,
        icio2022::REQUIREMENT,
        "sanction_simulator-0.1.4-",
        stage,
    )?;
    stage("checking sha256 and converting to the native store");
    let table = match icio2022::read_wheel(&wheel) {
        Ok(t) => t,
        Err(e) => {
            // A corrupt or tampered download must not be reused.
            let _ = std::fs::remove_file(&wheel);
            return Err(e);
        }
    };
    stage("writing the store");
    // `icio2022` is the pinned release: fetching it (again, or after a different one) replaces it.
    let out = store::write(home, &table, store::WriteMode::Replace)?;
    Ok(Fetched::Converted(out))
}
