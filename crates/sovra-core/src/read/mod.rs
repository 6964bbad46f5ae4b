//! Readers: one module per source format, each returning a validated [`crate::Mrio`] in region-major order.
//!
//! - [`icio2022`]: the OECD ICIO 2025 release (year 2022) as shipped in the `sanction-simulator` wheel
//!   (`bench_cache.npz`), fetched with pip.
//! - [`oecd_icio_csv`]: the raw OECD ICIO CSV layout (`CCC_SECTOR` rows and columns, `TLS`/`VA`/`OUT`).
//! - [`pymrio`]: a directory written by pymrio's `save_all` (text format).
//! - the native store lives in [`crate::store`].

pub mod icio2022;
pub mod oecd_icio_csv;
pub mod oecd_names;
pub mod pymrio;

use std::io::Read;

use crate::error::{Error, Result};

/// Parses a number in a CSV/TSV cell; empty cells are zero. Names the cell on failure.
pub(crate) fn parse_cell(text: &str, file: &str, row: &str, column: &str) -> Result<f64> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0.0);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(Error::Cell {
            file: file.into(),
            row: row.into(),
            column: column.into(),
            detail: format!("value {v} is not a finite number"),
        }),
        Err(_) => Err(Error::Cell {
            file: file.into(),
            row: row.into(),
            column: column.into(),
            detail: format!("'{}' is not a number", truncate(t, 40)),
        }),
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

/// Opens a file for reading, transparently decompressing `.gz`.
pub(crate) fn open_text(path: &std::path::Path) -> Result<Box<dyn Read>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let r = std::io::BufReader::with_capacity(1 << 20, f);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
    } else {
        Ok(Box::new(r))
    }
}

/// Reports duplicate labels in a list, naming the first duplicate.
pub(crate) fn check_unique(labels: &[String], file: &str, what: &str) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(labels.len());
    for (i, l) in labels.iter().enumerate() {
        if !seen.insert(l.as_str()) {
            return Err(Error::Format {
                file: file.into(),
                detail: format!("duplicate {what} label '{l}' (position {})", i + 1),
            });
        }
    }
    Ok(())
}
