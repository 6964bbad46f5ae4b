//! Reader for the WIOD 2013 release (Timmer et al. 2015), one year per file as published in CSV form
//! (`wiod2013_YYYY.csv` or `.csv.gz`), and the list of a folder's years for a series import.
//!
//! **Layout.** Header `row,<node columns>,<final-demand columns>,GO`. Rows and node columns are `CCC_cN`
//! (41 regions including `RoW` × 35 sectors `c1`…`c35`); final demand is `CCC_HFCE`, `CCC_NPISH`, `CCC_GGFC`,
//! `CCC_GFCF`, `CCC_INVEN` for each destination region; `GO` is the published gross output. Values are USD
//! million, rounded to integers. There are no value-added rows. Rows and columns may come in any order: they
//! are put in sovra's region-major order (regions and sectors in the order of the header). Region codes are
//! ISO3 as published, except WIOD's `ROM`, which becomes `ROU` (Romania's ISO3 code, so that blocs such as
//! EU27 find it); `RoW` (rest of the world) stays `RoW`.
//! `wiod2013_sectors.csv` (`code,name`) beside the tables, when present, names the sectors.
//!
//! **Output, and what is done with the published `GO`.** The release's `GO` is not the row sum of its own
//! cells (rounding, and uses the release does not list: |GO − (Z1 + Y1)| is 39 on average in 1995–2011, up to
//! 107, and relative up to 100 % in tiny sectors), and a few row sums are negative (LUX c8 in 2004, LUX c5
//! and c8 in 2011). The reader treats every year the same way:
//!
//! 1. every cell is kept as published, negative ones included (inventory changes are negative by nature);
//! 2. gross output is the row sum `x = Z1 + Y1`, so that the table balances exactly by rows;
//! 3. a node whose row sum is negative, or zero while it buys inputs, cannot be a producer: it is made
//!    inactive (its row and column of `Z` and its row of `Y` set to 0), repeated until no such node is left —
//!    the cleaning the pymrio and dependency conformance applies to WIOD 2011, so that both sides read the
//!    same table;
//! 4. value added is `v = x − Zᵀ1` (it includes net taxes and margins; it may be negative in a tiny node);
//! 5. the published `GO` is kept beside the table (`go_published`), and [`Diagnostics`] reports the
//!    discrepancy `GO − x` per node and in summary, the nodes made inactive, the negative cells and the nodes
//!    with negative value added. A series import stores them per year.
//!
//! Errors name the file, the row label (or line) and the column label; the reader never panics on input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels};
use crate::read::{check_unique, excerpt, index_of, oecd_names, open_input, parse_cell, read_text};
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// The final-demand categories of the release, in its order.
pub const FD_CATEGORIES: &[&str] = &["HFCE", "NPISH", "GGFC", "GFCF", "INVEN"];

/// The file naming the sectors, beside the yearly tables.
pub const SECTORS_FILE: &str = "wiod2013_sectors.csv";

/// The title every year of the release carries.
pub const TITLE: &str = "WIOD 2013 release";

/// One year as read: the table, the published gross output and what the reader found.
#[derive(Debug, Clone)]
pub struct WiodYear {
    /// The table (x from row sums; see the module documentation).
    pub table: Mrio,
    /// The published `GO` column, per node in region-major order.
    pub go_published: Vec<f64>,
    /// Discrepancies and cleaning.
    pub diagnostics: Diagnostics,
}

/// What the reader found in one year and did about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics {
    /// `GO − x` per node (published minus row sum, after cleaning), region-major.
    pub go_gap: Vec<f64>,
    /// Mean of `|GO − x|` over nodes.
    pub go_gap_mean_abs: f64,
    /// Largest `|GO − x|`, and its node.
    pub go_gap_max_abs: (f64, usize),
    /// Largest `|GO − x| / max(|GO|, |x|)` over nodes where either is non-zero, and its node.
    pub go_gap_max_rel: (f64, usize),
    /// Nodes made inactive (negative row sum, or zero with inputs), in the order found.
    pub inactive: Vec<usize>,
    /// Negative cells of `Z` and `Y` as published (kept).
    pub negative_cells: usize,
    /// Nodes whose value added `x − Zᵀ1` is negative (kept).
    pub negative_value_added: Vec<usize>,
}

impl Diagnostics {
    /// One paragraph for the provenance notes, naming nodes with `labels`.
    pub fn summary(&self, labels: &Labels) -> String {
        let inactive = if self.inactive.is_empty() {
            "none".to_string()
        } else {
            labels.node_list(&self.inactive, 8)
        };
        let negative_va = if self.negative_value_added.is_empty() {
            "none".to_string()
        } else {
            labels.node_list(&self.negative_value_added, 8)
        };
        format!(
            "x = Z1 + Y1 (row sums); v = x − Zᵀ1. Published GO − x: mean |gap| {:.2}, max |gap| {} at {}, max \
             relative {:.3} at {} (per node in go_published.npy). Nodes made inactive (row sum < 0, or 0 with \
             inputs): {inactive}. Negative cells kept: {}. Nodes with negative value added: {negative_va}.",
            self.go_gap_mean_abs,
            self.go_gap_max_abs.0,
            labels.node_label(self.go_gap_max_abs.1),
            self.go_gap_max_rel.0,
            labels.node_label(self.go_gap_max_rel.1),
            self.negative_cells,
        )
    }
}

/// The year in a file name `wiod2013_YYYY.csv[.gz]`, if it is one.
pub fn year_of_file(file_name: &str) -> Option<i32> {
    let stem = file_name
        .strip_suffix(".csv.gz")
        .or_else(|| file_name.strip_suffix(".csv"))?;
    let year = stem.strip_prefix("wiod2013_")?;
    (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))
        .then(|| year.parse().ok())
        .flatten()
}

/// The yearly tables of a folder (`wiod2013_YYYY.csv[.gz]`), sorted by year; a year present twice (`.csv` and
/// `.csv.gz`) or no table at all is an error naming the folder.
pub fn year_files(dir: &Path) -> Result<Vec<(i32, PathBuf)>> {
    crate::read::year_files(
        dir,
        year_of_file,
        "no WIOD 2013 table in this folder (expected files named wiod2013_YYYY.csv or \
         wiod2013_YYYY.csv.gz)",
    )
}

/// Reads `wiod2013_sectors.csv` (`code,name`): sector names by code. Errors name the file and line.
pub fn read_sector_names(path: &Path) -> Result<HashMap<String, String>> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut names = HashMap::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::Format {
            file: file.clone(),
            detail: format!("line {line}: {e}"),
        })?;
        if rec.len() != 2 {
            return Err(Error::Format {
                file: file.clone(),
                detail: format!("line {line}: {} fields, expected 2 (code,name)", rec.len()),
            });
        }
        let code = rec[0].trim().to_string();
        if names
            .insert(code.clone(), rec[1].trim().to_string())
            .is_some()
        {
            return Err(Error::Format {
                file: file.clone(),
                detail: format!(
                    "line {line}: sector '{}' is named twice",
                    excerpt(&code, 30)
                ),
            });
        }
    }
    Ok(names)
}

/// Reads one year's file (optionally `.gz`) as dataset `name`; the year is `year`, else the one in the file
/// name. Sector names come from `wiod2013_sectors.csv` beside the file when present.
pub fn read(path: &Path, name: &str, year: Option<i32>) -> Result<WiodYear> {
    let sectors_file = path
        .parent()
        .map(|d| d.join(SECTORS_FILE))
        .filter(|p| p.is_file());
    let sector_names = match sectors_file {
        Some(p) => read_sector_names(&p)?,
        None => HashMap::new(),
    };
    read_with(path, name, year, &sector_names)
}

/// [`read`] with sector names already read (a series import reads them once).
pub fn read_with(
    path: &Path,
    name: &str,
    year: Option<i32>,
    sector_names: &HashMap<String, String>,
) -> Result<WiodYear> {
    let source = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let year = year.or_else(|| year_of_file(&source));
    let mut read = read_from(
        open_input(path)?,
        &path.display().to_string(),
        &source,
        name,
        year,
        sector_names,
    )?;
    read.table.provenance.source_sha256 = super::sha256_of(path).ok();
    Ok(read)
}

/// The header, split into node, final-demand and `GO` columns.
struct Columns {
    regions: Vec<String>,
    sectors: Vec<String>,
    /// For each data column (after the row label): its node, final-demand column, or `GO`.
    role: Vec<Role>,
    /// Final-demand columns in the table's order (region-major, categories in [`FD_CATEGORIES`] order).
    fd: Vec<(usize, usize)>,
    /// Index of each data column in the header (for error messages).
    labels: Vec<String>,
}

#[derive(Clone, Copy)]
enum Role {
    Node(usize),
    Fd(usize),
    Go,
}

fn split_label(label: &str) -> Option<(&str, &str)> {
    let (r, s) = label.split_once('_')?;
    (!r.is_empty() && !s.is_empty()).then_some((r, s))
}

fn is_sector(code: &str) -> bool {
    code.strip_prefix('c')
        .is_some_and(|d| !d.is_empty() && d.len() <= 4 && d.bytes().all(|b| b.is_ascii_digit()))
}

fn columns(header: &csv::StringRecord, file: &str) -> Result<Columns> {
    let labels: Vec<String> = header
        .iter()
        .skip(1)
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    check_unique(&labels, file, "column")?;
    let mut regions: Vec<String> = Vec::new();
    let mut sectors: Vec<String> = Vec::new();
    let mut nodes: Vec<(usize, usize, usize)> = Vec::new();
    let mut fd_raw: Vec<(usize, String, usize)> = Vec::new();
    let mut go = None;
    for (j, c) in labels.iter().enumerate() {
        if c == "GO" {
            go = Some(j);
            continue;
        }
        let bad = || Error::Format {
            file: file.into(),
            detail: format!(
                "column {} ('{}') is neither REGION_cN (an industry), REGION_{{{}}} (final demand) nor GO",
                j + 2,
                excerpt(c, 30),
                FD_CATEGORIES.join(",")
            ),
        };
        let (r, s) = split_label(c).ok_or_else(bad)?;
        if let Some(k) = FD_CATEGORIES.iter().position(|k| *k == s) {
            fd_raw.push((j, r.to_string(), k));
        } else if is_sector(s) {
            nodes.push((j, index_of(&mut regions, r), index_of(&mut sectors, s)));
        } else {
            return Err(bad());
        }
    }
    let go = go.ok_or_else(|| Error::Format {
        file: file.into(),
        detail: "no GO column (gross output): not a WIOD 2013 table".into(),
    })?;
    let (nr, ns) = (regions.len(), sectors.len());
    if nodes.is_empty() || nodes.len() != nr * ns {
        return Err(Error::Format {
            file: file.into(),
            detail: format!(
                "{} industry columns do not form a full grid of {nr} regions × {ns} sectors; every region must \
                 have every sector",
                nodes.len()
            ),
        });
    }
    let mut role = vec![Role::Go; labels.len()];
    role[go] = Role::Go;
    for &(j, r, s) in &nodes {
        role[j] = Role::Node(r * ns + s);
    }
    let mut fd: Vec<(usize, usize)> = Vec::with_capacity(fd_raw.len());
    for (j, r, k) in &fd_raw {
        let ri = regions
            .iter()
            .position(|x| x == r)
            .ok_or_else(|| Error::Format {
                file: file.into(),
                detail: format!(
                    "final-demand column '{}' names region '{}', which has no industry columns",
                    labels[*j],
                    excerpt(r, 30)
                ),
            })?;
        fd.push((ri, *k));
    }
    let mut order: Vec<usize> = (0..fd.len()).collect();
    order.sort_by_key(|&c| fd[c]);
    let fd_sorted: Vec<(usize, usize)> = order.iter().map(|&c| fd[c]).collect();
    for (pos, &c) in order.iter().enumerate() {
        role[fd_raw[c].0] = Role::Fd(pos);
    }
    Ok(Columns {
        regions,
        sectors,
        role,
        fd: fd_sorted,
        labels,
    })
}

/// Reads one year from any reader; `file` names it in errors, `source` in the provenance.
pub fn read_from(
    input: impl std::io::Read,
    file: &str,
    source: &str,
    name: &str,
    year: Option<i32>,
    sector_names: &HashMap<String, String>,
) -> Result<WiodYear> {
    let (records, header) = crate::read::csv_with_header(input, file)?;
    let cols = columns(&header, file)?;
    let ns = cols.sectors.len();
    let n = cols.regions.len() * ns;
    let k = cols.fd.len();
    let region_idx: HashMap<&str, usize> = cols
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let sector_idx: HashMap<&str, usize> = cols
        .sectors
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut z = Dense::zeros(n, n);
    let mut y = Dense::zeros(n, k);
    let mut go = vec![0.0; n];
    let mut seen: Vec<Option<usize>> = vec![None; n];
    for (i, rec) in records.enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::Format {
            file: file.into(),
            detail: format!("line {line}: {e}"),
        })?;
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        let label = rec[0].trim().trim_matches('"');
        if rec.len() != cols.labels.len() + 1 {
            return Err(Error::Format {
                file: file.into(),
                detail: format!(
                    "line {line} (row {}): ragged row with {} fields, the header has {}",
                    excerpt(label, 30),
                    rec.len(),
                    cols.labels.len() + 1
                ),
            });
        }
        let node = split_label(label)
            .and_then(|(r, s)| Some(region_idx.get(r)? * ns + sector_idx.get(s)?))
            .ok_or_else(|| Error::Format {
                file: file.into(),
                detail: format!(
                    "line {line}: row '{}' is not an industry of the columns (REGION_cN)",
                    excerpt(label, 30)
                ),
            })?;
        if let Some(first) = seen[node] {
            return Err(Error::Format {
                file: file.into(),
                detail: format!(
                    "line {line}: row '{}' is there twice (first on line {first})",
                    excerpt(label, 30)
                ),
            });
        }
        seen[node] = Some(line);
        let z_row = &mut z.data[node * n..(node + 1) * n];
        let y_row = &mut y.data[node * k..(node + 1) * k];
        for ((text, role), column) in rec.iter().skip(1).zip(&cols.role).zip(&cols.labels) {
            let value = parse_cell(text, file, label, column)?;
            match *role {
                Role::Node(j) => z_row[j] = value,
                Role::Fd(c) => y_row[c] = value,
                Role::Go => go[node] = value,
            }
        }
    }
    if let Some(i) = seen.iter().position(Option::is_none) {
        return Err(Error::Format {
            file: file.into(),
            detail: format!(
                "industry row '{}_{}' is missing",
                cols.regions[i / ns],
                cols.sectors[i % ns]
            ),
        });
    }
    let negative_cells = z.data.iter().chain(&y.data).filter(|v| **v < 0.0).count();
    let inactive = make_inactive(&mut z, &mut y);
    let labels = labels_of(&cols, sector_names);
    let provenance = Provenance {
        name: name.into(),
        title: format!(
            "{TITLE}{}",
            year.map(|y| format!(", year {y}")).unwrap_or_default()
        ),
        source: format!("imported from {source} (WIOD, Timmer et al. 2015)"),
        year,
        units: "USD million".into(),
        source_sha256: None,
        written_by: String::new(),
        notes: String::new(),
    };
    let mut table = Mrio::from_parts(
        Parts {
            labels,
            z,
            y,
            x: None,
            v: None,
            f: None,
            f_y: None,
            provenance,
        },
        BalanceTolerance::default(),
    )
    .map_err(|e| super::relabel(e, file))?;
    let diagnostics = diagnose(&table, &go, inactive, negative_cells);
    table.provenance.notes = diagnostics.summary(&table.labels);
    Ok(WiodYear {
        table,
        go_published: go,
        diagnostics,
    })
}

/// Step 3 of the module documentation: nodes with a negative row sum, or a zero one while buying inputs,
/// lose their row and column of `Z` and their row of `Y`, until none is left. Returns them in order found.
fn make_inactive(z: &mut Dense, y: &mut Dense) -> Vec<usize> {
    let n = z.rows;
    let mut inactive = Vec::new();
    loop {
        let sales: Vec<f64> = z
            .row_sums()
            .iter()
            .zip(y.row_sums())
            .map(|(a, b)| a + b)
            .collect();
        let inputs = z.col_sums();
        let bad: Vec<usize> = (0..n)
            .filter(|&i| sales[i] < 0.0 || (sales[i] <= 0.0 && inputs[i] != 0.0))
            .collect();
        if bad.is_empty() {
            return inactive;
        }
        for &i in &bad {
            z.data[i * n..(i + 1) * n].fill(0.0);
            for r in 0..n {
                z.data[r * n + i] = 0.0;
            }
            let k = y.cols;
            y.data[i * k..(i + 1) * k].fill(0.0);
        }
        inactive.extend(bad);
    }
}

fn diagnose(t: &Mrio, go: &[f64], inactive: Vec<usize>, negative_cells: usize) -> Diagnostics {
    let n = t.n();
    let go_gap: Vec<f64> = go.iter().zip(&t.x).map(|(g, x)| g - x).collect();
    let mut max_abs = (0.0, 0);
    let mut max_rel = (0.0, 0);
    for (i, gap) in go_gap.iter().enumerate() {
        if gap.abs() > max_abs.0 {
            max_abs = (gap.abs(), i);
        }
        let scale = go[i].abs().max(t.x[i].abs());
        if scale > 0.0 && gap.abs() / scale > max_rel.0 {
            max_rel = (gap.abs() / scale, i);
        }
    }
    Diagnostics {
        go_gap_mean_abs: go_gap.iter().map(|g| g.abs()).sum::<f64>() / n.max(1) as f64,
        go_gap,
        go_gap_max_abs: max_abs,
        go_gap_max_rel: max_rel,
        inactive,
        negative_cells,
        negative_value_added: (0..n).filter(|&i| t.v[i] < 0.0).collect(),
    }
}

/// A WIOD region code as sovra names it: ISO3 (`ROM` → `ROU`), `RoW` kept.
pub fn region_code(code: &str) -> String {
    match code {
        "ROM" => "ROU".to_string(),
        other => other.to_string(),
    }
}

fn labels_of(cols: &Columns, sector_names: &HashMap<String, String>) -> Labels {
    Labels {
        regions: cols
            .regions
            .iter()
            .map(|r| {
                let code = region_code(r);
                Code {
                    name: oecd_names::name_of(oecd_names::REGIONS, &code.to_ascii_uppercase()),
                    code,
                }
            })
            .collect(),
        sectors: cols
            .sectors
            .iter()
            .map(|s| Code {
                code: s.clone(),
                name: sector_names.get(s).cloned().unwrap_or_else(|| s.clone()),
            })
            .collect(),
        final_demand: cols
            .fd
            .iter()
            .map(|&(r, k)| FdColumn {
                region: region_code(&cols.regions[r]),
                category: FD_CATEGORIES[k].into(),
            })
            .collect(),
        stressors: Vec::new(),
    }
}

impl WiodYear {
    /// The year as a series year of the store: the table, with the published `GO` kept as
    /// `go_published.npy`.
    pub fn into_series_year(self) -> crate::store::SeriesYear {
        crate::store::SeriesYear {
            table: self.table,
            arrays: vec![("go_published".to_string(), self.go_published)],
        }
    }
}
