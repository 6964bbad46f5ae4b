//! Reader for the raw OECD Inter-Country Input-Output CSV layout (e.g. `2022_SML.csv`).
//!
//! Rows: `CCC_SECTOR` nodes, then value-added rows; columns: `CCC_SECTOR` nodes, final demand
//! `CCC_CATEGORY`, and total output. The release is detected from the labels, never guessed:
//!
//! | release | value-added rows | output | final-demand categories | sector codes |
//! |---|---|---|---|---|
//! | 2025 | `TLS`, `VA` | `OUT` | HFCE NPISH GGFC GFCF INVNT DPABR | `A01`, `C10T12`, `C24A` … (50) |
//! | 2023 | `TLS`, `VA` | `OUT` | same | `A01_02`, `C10T12` … (45) |
//! | 2021 | `TLS`, `VA` | `OUT` | same | `01T02`, `10T12` … (45) |
//! | 2018 | `TAXSUB`, `VALU` | `OUTPUT` (`TOTAL` column) | HFCE NPISH GGFC GFCF INVNT P33 | `01T03` … (36) |
//!
//! Final demand is kept by destination country and category. `v = TLS + VA` (value added at basic prices
//! plus net taxes on products, so that `x = Zᵀ1 + v`); `VA` and `TLS` are also kept as stressor rows so that
//! footprints of value added at basic prices can be computed.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels, Stressor};
use crate::read::{check_unique, excerpt, index_of, oecd_names, open_input, parse_cell};
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// Final-demand category codes across releases.
const FD_CATEGORIES: &[&str] = &[
    "HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR", "P33", "NONRES", "DISC",
];

/// What the labels say about the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// e.g. "2025".
    pub name: &'static str,
    tax_row: &'static str,
    va_row: &'static str,
    out_row: &'static str,
    out_cols: &'static [&'static str],
}

const RELEASES_NEW: Release = Release {
    name: "2021+",
    tax_row: "TLS",
    va_row: "VA",
    out_row: "OUT",
    out_cols: &["OUT"],
};
const RELEASE_2018: Release = Release {
    name: "2018",
    tax_row: "TAXSUB",
    va_row: "VALU",
    out_row: "OUTPUT",
    out_cols: &["TOTAL", "OUTPUT"],
};

fn detect(row_labels: &[String], sectors: &[String], file: &str) -> Result<Release> {
    let has = |l: &str| row_labels.iter().any(|r| r == l);
    let mut rel = if has("TLS") && has("VA") && has("OUT") {
        RELEASES_NEW
    } else if has("TAXSUB") && has("VALU") && has("OUTPUT") {
        RELEASE_2018
    } else {
        let aux: Vec<&String> = row_labels
            .iter()
            .filter(|r| !r.contains('_'))
            .take(10)
            .collect();
        return Err(Error::Format {
            file: file.into(),
            detail: format!(
                "cannot detect the OECD ICIO release: expected value-added rows TLS, VA, OUT (2021–2025 releases) \
                 or TAXSUB, VALU, OUTPUT (2018); found rows without a country prefix: {aux:?}"
            ),
        });
    };
    if rel.name == "2021+" {
        rel.name = if sectors
            .iter()
            .any(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        {
            "2021"
        } else if sectors.iter().any(|s| s == "A01_02" || s == "A01T02") {
            "2023"
        } else {
            "2025"
        };
    }
    Ok(rel)
}

fn split_node(label: &str) -> Option<(&str, &str)> {
    let (c, s) = label.split_once('_')?;
    (!c.is_empty() && !s.is_empty()).then_some((c, s))
}

/// Reads an OECD ICIO CSV file (optionally `.gz`) as dataset `name`.
pub fn read(path: &Path, name: &str, year: Option<i32>) -> Result<Mrio> {
    let source = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut t = read_from(
        open_input(path)?,
        &path.display().to_string(),
        &source,
        name,
        year,
    )?;
    t.provenance.source_sha256 = sha_of(path).ok();
    Ok(t)
}

/// Reads the OECD ICIO CSV layout from any reader; `file` names it in errors, `source` in the provenance.
pub fn read_from(
    input: impl std::io::Read,
    file: &str,
    source: &str,
    name: &str,
    year: Option<i32>,
) -> Result<Mrio> {
    let file = file.to_string();
    let (records, header) = crate::read::csv_with_header(input, &file)?;
    let cols: Vec<String> = header
        .iter()
        .skip(1)
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    check_unique(&cols, &file, "column")?;
    // Read every row as (label, values) first: the release is known only once all row labels are seen.
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for (i, rec) in records.enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::Format {
            file: file.clone(),
            detail: format!("line {line}: {e}"),
        })?;
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        let label = rec[0].trim().to_string();
        if rec.len() != cols.len() + 1 {
            return Err(Error::Format {
                file: file.clone(),
                detail: format!(
                    "line {line} (row {}): ragged row with {} fields, the header has {}",
                    excerpt(&label, 30),
                    rec.len(),
                    cols.len() + 1
                ),
            });
        }
        let vals = rec
            .iter()
            .skip(1)
            .zip(&cols)
            .map(|(t, c)| parse_cell(t, &file, &label, c))
            .collect::<Result<Vec<f64>>>()?;
        rows.push((label, vals));
    }
    let row_labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    check_unique(&row_labels, &file, "row")?;

    // Node columns: CCC_SECTOR whose suffix is not a final-demand category.
    let mut regions: Vec<String> = Vec::new();
    let mut sectors: Vec<String> = Vec::new();
    let mut node_cols: Vec<(usize, usize, usize)> = Vec::new(); // (col, region, sector)
    let mut fd_cols: Vec<(usize, usize, String)> = Vec::new(); // (col, region, category)
    let mut out_col = None;
    let mut fd_pending = Vec::new();
    for (j, c) in cols.iter().enumerate() {
        match split_node(c) {
            Some((_, s)) if FD_CATEGORIES.contains(&s) => fd_pending.push(j),
            Some((r, s)) => {
                let ri = index_of(&mut regions, r);
                let si = index_of(&mut sectors, s);
                node_cols.push((j, ri, si));
            }
            None if ["OUT", "TOTAL", "OUTPUT"].contains(&c.as_str()) => out_col = Some(j),
            None => {
                return Err(Error::Format {
                    file,
                    detail: format!(
                        "column {} ('{c}') is neither COUNTRY_SECTOR, COUNTRY_CATEGORY nor OUT",
                        j + 2
                    ),
                });
            }
        }
    }
    let release = detect(&row_labels, &sectors, &file)?;
    for j in fd_pending {
        let (r, cat) = split_node(&cols[j]).unwrap_or_default();
        let ri = regions
            .iter()
            .position(|x| x == r)
            .ok_or_else(|| Error::Format {
                file: file.clone(),
                detail: format!(
                    "final-demand column '{}' names region '{r}' which has no industry columns",
                    cols[j]
                ),
            })?;
        fd_cols.push((j, ri, cat.to_string()));
    }
    let out_col = out_col.ok_or_else(|| Error::Format {
        file: file.clone(),
        detail: format!(
            "no total-output column (expected one of {:?})",
            release.out_cols
        ),
    })?;
    let (nr, ns) = (regions.len(), sectors.len());
    let n = nr * ns;
    if node_cols.len() != n {
        return Err(Error::Format {
            file,
            detail: format!(
                "{} industry columns do not form a full grid of {nr} regions × {ns} sectors; every region must have every sector",
                node_cols.len()
            ),
        });
    }
    let mut col_node = vec![usize::MAX; cols.len()];
    for &(j, r, s) in &node_cols {
        col_node[j] = r * ns + s;
    }
    // Final demand in region-major order, categories in first-seen order.
    let cats: Vec<String> = {
        let mut c: Vec<String> = Vec::new();
        for (_, _, k) in &fd_cols {
            if !c.contains(k) {
                c.push(k.clone());
            }
        }
        c
    };
    fd_cols.sort_by_key(|(_, r, k)| (*r, cats.iter().position(|c| c == k)));
    let k = fd_cols.len();

    let mut z = Dense::zeros(n, n);
    let mut y = Dense::zeros(n, k);
    let mut x = vec![f64::NAN; n];
    let mut f = Dense::zeros(2, n);
    let mut f_y = Dense::zeros(2, k);
    let mut out_row: Option<Vec<f64>> = None;
    let mut seen = vec![false; n];
    let region_idx: HashMap<&str, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let sector_idx: HashMap<&str, usize> = sectors
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    for (label, vals) in &rows {
        let aux = [release.tax_row, release.va_row]
            .iter()
            .position(|a| a == label);
        if let Some(a) = aux {
            for &(j, _, _) in &node_cols {
                f.data[a * n + col_node[j]] = vals[j];
            }
            for (c, (j, _, _)) in fd_cols.iter().enumerate() {
                f_y.data[a * k + c] = vals[*j];
            }
            continue;
        }
        if label == release.out_row {
            let mut o = vec![0.0; n];
            for &(j, _, _) in &node_cols {
                o[col_node[j]] = vals[j];
            }
            out_row = Some(o);
            continue;
        }
        let i = split_node(label)
            .and_then(|(r, s)| Some(region_idx.get(r)? * ns + sector_idx.get(s)?))
            .ok_or_else(|| Error::Format {
                file: file.clone(),
                detail: format!(
                    "row '{}' is not an industry of the columns nor one of {}, {}, {} (release {})",
                    excerpt(label, 30),
                    release.tax_row,
                    release.va_row,
                    release.out_row,
                    release.name
                ),
            })?;
        seen[i] = true;
        for &(j, _, _) in &node_cols {
            z.data[i * n + col_node[j]] = vals[j];
        }
        for (c, (j, _, _)) in fd_cols.iter().enumerate() {
            y.data[i * k + c] = vals[*j];
        }
        x[i] = vals[out_col];
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(Error::Format {
            file,
            detail: format!(
                "industry row '{}_{}' is missing",
                regions[i / ns],
                sectors[i % ns]
            ),
        });
    }
    let v: Vec<f64> = (0..n).map(|j| f.data[j] + f.data[n + j]).collect();
    let labels = Labels {
        regions: regions
            .iter()
            .map(|r| Code {
                code: r.clone(),
                name: oecd_names::name_of(oecd_names::REGIONS, r),
            })
            .collect(),
        sectors: sectors
            .iter()
            .map(|s| Code {
                code: s.clone(),
                name: oecd_names::name_of(oecd_names::SECTORS, s),
            })
            .collect(),
        final_demand: fd_cols
            .iter()
            .map(|(_, r, c)| FdColumn {
                region: regions[*r].clone(),
                category: c.clone(),
            })
            .collect(),
        stressors: vec![
            Stressor {
                name: release.tax_row.into(),
                unit: "USD million".into(),
            },
            Stressor {
                name: release.va_row.into(),
                unit: "USD million".into(),
            },
        ],
    };
    let provenance = Provenance {
        name: name.into(),
        title: format!(
            "OECD ICIO ({} release){}",
            release.name,
            year.map(|y| format!(", year {y}")).unwrap_or_default()
        ),
        source: format!("imported from {source}"),
        year,
        units: "USD million".into(),
        source_sha256: None,
        written_by: String::new(),
        notes: format!(
            "OECD ICIO CSV, release {} detected from labels; v = {} + {}",
            release.name, release.tax_row, release.va_row
        ),
    };
    let t = Mrio::from_parts(
        Parts {
            labels,
            z,
            y,
            x: Some(x),
            v: Some(v),
            f: Some(f),
            f_y: Some(f_y),
            provenance,
        },
        BalanceTolerance::default(),
    )
    .map_err(|e| relabel(e, &file))?;
    if let Some(o) = out_row {
        let bad: Vec<usize> = (0..n)
            .filter(|&i| (o[i] - t.x[i]).abs() > 1e-6 * t.x[i].abs().max(1.0))
            .collect();
        if let Some(&i) = bad.first() {
            return Err(Error::Invalid {
                source_name: file,
                detail: format!(
                    "the table does not balance: row {} and column OUT disagree at {} node(s); first {}: row {} vs column {}",
                    release.out_row,
                    bad.len(),
                    t.labels.node_label(i),
                    o[i],
                    t.x[i]
                ),
            });
        }
    }
    Ok(t)
}

pub(crate) fn relabel(e: Error, file: &str) -> Error {
    match e {
        Error::Invalid { detail, .. } => Error::Invalid {
            source_name: file.into(),
            detail,
        },
        Error::Cell {
            row,
            column,
            detail,
            ..
        } => Error::Cell {
            file: file.into(),
            row,
            column,
            detail,
        },
        other => other,
    }
}

pub(crate) fn sha_of(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The yearly tables of a folder of OECD ICIO CSVs, named as the OECD publishes them (`2020_SML.csv`,
/// `2019.csv.gz`: the name starts with the year), sorted by year; a year present twice or no table at all is
/// an error naming the folder.
pub fn year_files(dir: &Path) -> Result<Vec<(i32, std::path::PathBuf)>> {
    let year_of = |file: &str| {
        if !(file.ends_with(".csv") || file.ends_with(".csv.gz")) {
            return None;
        }
        file.get(..4)
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
            .filter(|_| matches!(file.as_bytes().get(4), Some(b'_' | b'.')))
            .and_then(|y| y.parse::<i32>().ok())
    };
    crate::read::year_files(
        dir,
        year_of,
        "no OECD ICIO table in this folder (expected files named YYYY_*.csv or YYYY_*.csv.gz)",
    )
}
