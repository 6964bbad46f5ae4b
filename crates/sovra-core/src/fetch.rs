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

/// Fetches `icio2022` into the store at `home`. `stage` is told what is happening (for a progress display).
pub fn fetch_icio2022(home: &Path, force: bool, stage: &mut dyn FnMut(&str)) -> Result<Fetched> {
    let dir = store::dataset_dir(home, "icio2022");
    if !force
        && let Ok(meta) = store::read_meta(&dir)
        && meta.source_sha256.as_deref() == Some(icio2022::NPZ_SHA256)
    {
        return Ok(Fetched::AlreadyPresent(dir));
    }
    let cache = home.join("cache").join("wheels");
    std::fs::create_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
    let prefix = "sanction_simulator-0.1.4-";
    let wheel = match find_wheel(&cache, prefix) {
        Some(w) => w,
        None => {
            stage(&format!("downloading {} with pip", icio2022::REQUIREMENT));
            let tmp = cache.join(format!(".download-{}", std::process::id()));
            std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let res = run_pip_download(icio2022::REQUIREMENT, &tmp).and_then(|()| {
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
            res?
        }
    };
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
    let out = store::write(home, &table)?;
    Ok(Fetched::Converted(out))
}
