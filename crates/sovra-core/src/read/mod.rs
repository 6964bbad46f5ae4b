//! Readers: one module per source format, each returning a validated [`crate::Mrio`] in region-major order.
//!
//! - [`icio2022`]: the OECD ICIO 2025 release (year 2022) as shipped in the `sanction-simulator` wheel
//!   (`bench_cache.npz`), fetched with pip.
//! - [`oecd_icio_csv`]: the raw OECD ICIO CSV layout (`CCC_SECTOR` rows and columns, `TLS`/`VA`/`OUT`).
//! - [`pymrio`]: a directory written by pymrio's `save_all` (text format).
//! - [`wiod2013`]: the WIOD 2013 release, one CSV per year (`wiod2013_YYYY.csv.gz`); a folder of them is a
//!   series.
//! - the native store lives in [`crate::store`].

pub mod icio2022;
pub mod oecd_icio_csv;
pub mod oecd_names;
pub mod pymrio;
pub mod wiod2013;

pub(crate) use oecd_icio_csv::{relabel, sha_of as sha256_of};

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
            detail: format!("'{}' is not a number", excerpt(t, 40)),
        }),
    }
}

/// At most `n` characters of `s` (with `…` when cut): what an error may quote of an input.
pub fn excerpt(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

/// The longest line a text input may have by default (bytes, after decompression): 1 MiB. The widest real
/// input, an OECD ICIO CSV row, is about 100 KB; a file without a line end in its first megabyte is not a
/// table (a binary file, a device, a one-line dump).
pub const MAX_LINE: usize = 1 << 20;

static MAX_LINE_SET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets the longest line a text input may have for this process (the CLI's `--max-line`).
pub fn set_max_line(bytes: usize) {
    MAX_LINE_SET.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The longest line a text input may have: what [`set_max_line`] set, else `$SOVRA_MAX_LINE` (bytes), else
/// [`MAX_LINE`].
pub fn max_line() -> usize {
    let set = MAX_LINE_SET.load(std::sync::atomic::Ordering::Relaxed);
    if set > 0 {
        return set;
    }
    std::env::var("SOVRA_MAX_LINE")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(MAX_LINE)
}

/// Opens a text input (`.gz` decompressed on the fly) for the readers: only a regular file is accepted (a
/// device such as `/dev/zero`, a pipe or a directory is refused at once, naming the file), and reading
/// fails with a clear error, naming the line, when a line is longer than [`max_line`].
pub fn open_input(path: &std::path::Path) -> Result<Box<dyn Read>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::Format {
            file: path.display().to_string(),
            detail: if meta.is_dir() {
                "a directory, not a file".into()
            } else {
                "not a regular file (a device or a pipe): give the file itself".into()
            },
        });
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let r = std::io::BufReader::with_capacity(1 << 20, f);
    let inner: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    };
    Ok(Box::new(LineLimit {
        inner,
        limit: max_line(),
        run: 0,
        line: 1,
    }))
}

/// Reads a whole text input through [`open_input`] (a regular file, lines within [`max_line`]); invalid
/// UTF-8 is an error naming the file and the byte where it starts.
pub fn read_text(path: &std::path::Path) -> Result<String> {
    let mut bytes = Vec::new();
    open_input(path)?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| Error::Format {
        file: path.display().to_string(),
        detail: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// A reader that fails when a line grows longer than `limit` bytes.
pub struct LineLimit<R> {
    inner: R,
    limit: usize,
    /// Bytes since the last line end.
    run: usize,
    /// The line being read (1-based).
    line: u64,
}

impl<R: Read> LineLimit<R> {
    /// Wraps a reader.
    pub fn new(inner: R, limit: usize) -> Self {
        LineLimit {
            inner,
            limit,
            run: 0,
            line: 1,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for b in &buf[..n] {
            if *b == b'\n' {
                self.run = 0;
                self.line += 1;
            } else {
                self.run += 1;
                if self.run > self.limit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "line {} is longer than {} bytes: not a table of this format (raise the limit with \
                             --max-line BYTES, or SOVRA_MAX_LINE=BYTES, if the file is right)",
                            self.line, self.limit
                        ),
                    ));
                }
            }
        }
        Ok(n)
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

/// The position of `s` in `list`, appended when it is not there yet (labels in order of first appearance).
pub(crate) fn index_of(list: &mut Vec<String>, s: &str) -> usize {
    match list.iter().position(|x| x == s) {
        Some(i) => i,
        None => {
            list.push(s.to_string());
            list.len() - 1
        }
    }
}

/// A CSV reader without headers over `input` and its first record, the header; an empty file or a broken
/// first line is an error naming `file`.
pub(crate) fn csv_with_header<R: Read>(
    input: R,
    file: &str,
) -> Result<(csv::StringRecordsIntoIter<R>, csv::StringRecord)> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input)
        .into_records();
    match records.next() {
        Some(Ok(h)) => Ok((records, h)),
        Some(Err(e)) => Err(Error::Format {
            file: file.into(),
            detail: format!("line 1: {e}"),
        }),
        None => Err(Error::Format {
            file: file.into(),
            detail: "the file is empty".into(),
        }),
    }
}

/// The yearly tables of a folder: the files whose name `year_of` reads a year from, sorted by year. A year
/// present twice, or no table at all (`expected` says what was looked for), is an error naming the folder.
pub(crate) fn year_files(
    dir: &std::path::Path,
    year_of: impl Fn(&str) -> Option<i32>,
    expected: &str,
) -> Result<Vec<(i32, std::path::PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut years: Vec<(i32, std::path::PathBuf)> = Vec::new();
    for e in entries {
        let e = e.map_err(|err| Error::io(dir, err))?;
        let Some(year) = year_of(&e.file_name().to_string_lossy()) else {
            continue;
        };
        if let Some((_, other)) = years.iter().find(|(y, _)| *y == year) {
            return Err(Error::Format {
                file: dir.display().to_string(),
                detail: format!(
                    "year {year} is there twice ({} and {}): keep one",
                    other.display(),
                    e.path().display()
                ),
            });
        }
        years.push((year, e.path()));
    }
    if years.is_empty() {
        return Err(Error::Format {
            file: dir.display().to_string(),
            detail: expected.into(),
        });
    }
    years.sort_by_key(|(y, _)| *y);
    Ok(years)
}
