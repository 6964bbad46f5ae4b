//! Reader for a directory written by pymrio's `save_all` in its text format: `file_parameters.json` names the
//! tab-separated files and how many index columns and header rows each has; `Z.txt` and `Y.txt` carry
//! (region, sector) rows, Z has (region, sector) columns and Y (region, category) columns; every extension
//! is a subdirectory with `F.txt`, optional `F_Y.txt` and `unit.txt`. Accounts pymrio can recompute
//! (A, L, S, M, D_*) are ignored: sovra recomputes them.
//!
//! Stressor names are `extension/level1/level2…` (e.g. `emissions/emission_type1/air`), the extension being
//! its directory name.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels, Stressor};
use crate::read::{check_unique, excerpt, parse_cell};
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// One tab-separated pymrio table: row keys, column keys, values.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Row index tuples.
    pub rows: Vec<Vec<String>>,
    /// Column index tuples.
    pub cols: Vec<Vec<String>>,
    /// Row-major values.
    pub data: Vec<f64>,
}

/// `files` entries of `file_parameters.json`: key → (file name, index columns, header rows).
type FileParams = HashMap<String, (String, usize, usize)>;

fn file_params(dir: &Path) -> Result<(FileParams, Value)> {
    let p = dir.join("file_parameters.json");
    let text = super::read_text(&p)?;
    let file = p.display().to_string();
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::Format {
        file: file.clone(),
        detail: format!("invalid JSON: {e}"),
    })?;
    let files = v
        .get("files")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Format {
            file: file.clone(),
            detail: "no \"files\" object: not a pymrio save_all directory".into(),
        })?;
    let num = |e: &Value, k: &str| -> Option<usize> {
        match e.get(k)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64().map(|n| n as usize),
            _ => None,
        }
    };
    let mut out = HashMap::new();
    for (key, e) in files {
        let name = e.get("name").and_then(Value::as_str);
        match (name, num(e, "nr_index_col"), num(e, "nr_header")) {
            (Some(n), Some(c), Some(h)) if c >= 1 && h >= 1 && c <= 16 && h <= 16 => {
                if n.contains('/') || n.contains('\\') || n.contains("..") {
                    return Err(Error::Format {
                        file,
                        detail: format!("entry '{key}' names a file outside the directory: {n}"),
                    });
                }
                out.insert(key.clone(), (n.to_string(), c, h));
            }
            _ => {
                return Err(Error::Format {
                    file,
                    detail: format!("entry '{key}' needs name, nr_index_col and nr_header (1–16)"),
                });
            }
        }
    }
    Ok((out, v))
}

/// Parses pymrio's tab-separated layout with `c` index columns and `h` header rows.
pub fn parse_frame(text: &str, file: &str, c: usize, h: usize) -> Result<Frame> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let mut headers: Vec<Vec<String>> = Vec::with_capacity(h);
    for level in 0..h {
        let (_, line) = lines.next().ok_or_else(|| Error::Format {
            file: file.into(),
            detail: format!("expected {h} header row(s), the file ends after {level}"),
        })?;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() <= c {
            return Err(Error::Format {
                file: file.into(),
                detail: format!(
                    "header row {} has {} fields, expected more than {c} index columns",
                    level + 1,
                    fields.len()
                ),
            });
        }
        headers.push(fields[c..].iter().map(|s| s.trim().to_string()).collect());
    }
    let ncols = headers[0].len();
    if let Some(l) = headers.iter().position(|x| x.len() != ncols) {
        return Err(Error::Format {
            file: file.into(),
            detail: format!("header row {} has a different width", l + 1),
        });
    }
    let cols: Vec<Vec<String>> = (0..ncols)
        .map(|j| headers.iter().map(|hr| hr[j].clone()).collect())
        .collect();
    let col_labels: Vec<String> = cols.iter().map(|k| k.join("/")).collect();
    let mut rows = Vec::new();
    let mut data = Vec::new();
    for (ln, line) in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let is_names_line =
            h > 1 && rows.is_empty() && fields.iter().skip(c).all(|f| f.trim().is_empty());
        if is_names_line {
            continue;
        }
        let key: Vec<String> = fields
            .iter()
            .take(c)
            .map(|s| s.trim().to_string())
            .collect();
        let label = key.join("/");
        if fields.len() != c + ncols {
            return Err(Error::Format {
                file: file.into(),
                detail: format!(
                    "line {} (row {}): ragged row with {} fields, expected {}",
                    ln + 1,
                    excerpt(&label, 40),
                    fields.len(),
                    c + ncols
                ),
            });
        }
        for (t, cl) in fields[c..].iter().zip(&col_labels) {
            data.push(parse_cell(t, file, &label, cl)?);
        }
        rows.push(key);
    }
    Ok(Frame { rows, cols, data })
}

fn load_frame(dir: &Path, params: &FileParams, key: &str) -> Result<Option<Frame>> {
    let Some((name, c, h)) = params.get(key) else {
        return Ok(None);
    };
    let p = dir.join(name);
    let text = super::read_text(&p)?;
    parse_frame(&text, &p.display().to_string(), *c, *h).map(Some)
}

/// Reads a pymrio `save_all` directory as dataset `name`.
pub fn read(dir: &Path, name: &str, year: Option<i32>) -> Result<Mrio> {
    let (params, _) = file_params(dir)?;
    let dfile = dir.display().to_string();
    let z = load_frame(dir, &params, "Z")?.ok_or_else(|| Error::Format {
        file: dfile.clone(),
        detail: "no Z in file_parameters.json (sovra needs Z and Y; save the system before reducing it to A)".into(),
    })?;
    let y = load_frame(dir, &params, "Y")?.ok_or_else(|| Error::Format {
        file: dfile.clone(),
        detail: "no Y in file_parameters.json".into(),
    })?;
    let zfile = dir.join(&params["Z"].0).display().to_string();
    let yfile = dir.join(&params["Y"].0).display().to_string();
    let two = |k: &Vec<String>, f: &str, what: &str| -> Result<(String, String)> {
        match k.as_slice() {
            [a, b] => Ok((a.clone(), b.clone())),
            _ => Err(Error::Format {
                file: f.into(),
                detail: format!(
                    "{what} must have two index levels (region, sector/category), found {k:?}"
                ),
            }),
        }
    };
    // Regions and sectors in first-seen order of Z's rows.
    let mut regions: Vec<String> = Vec::new();
    let mut sectors: Vec<String> = Vec::new();
    for k in &z.rows {
        let (r, s) = two(k, &zfile, "Z rows")?;
        if !regions.contains(&r) {
            regions.push(r);
        }
        if !sectors.contains(&s) {
            sectors.push(s);
        }
    }
    let (nr, ns) = (regions.len(), sectors.len());
    let n = nr * ns;
    let keys: Vec<String> = z.rows.iter().map(|k| k.join("/")).collect();
    check_unique(&keys, &zfile, "row")?;
    check_unique(
        &z.cols.iter().map(|k| k.join("/")).collect::<Vec<_>>(),
        &zfile,
        "column",
    )?;
    if z.rows.len() != n || z.cols.len() != n {
        return Err(Error::Format {
            file: zfile,
            detail: format!(
                "Z is {}×{}, expected {n}×{n} for {nr} regions × {ns} sectors (every region needs every sector)",
                z.rows.len(),
                z.cols.len()
            ),
        });
    }
    let ri: HashMap<&str, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let si: HashMap<&str, usize> = sectors
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let node_of = |k: &Vec<String>, f: &str, what: &str| -> Result<usize> {
        let (r, s) = two(k, f, what)?;
        match (ri.get(r.as_str()), si.get(s.as_str())) {
            (Some(a), Some(b)) => Ok(a * ns + b),
            _ => Err(Error::Format {
                file: f.into(),
                detail: format!("{what} label {r}/{s} is not a region/sector of Z's rows"),
            }),
        }
    };
    let row_node: Vec<usize> = z
        .rows
        .iter()
        .map(|k| node_of(k, &zfile, "Z row"))
        .collect::<Result<_>>()?;
    let col_node: Vec<usize> = z
        .cols
        .iter()
        .map(|k| node_of(k, &zfile, "Z column"))
        .collect::<Result<_>>()?;
    let mut zm = Dense::zeros(n, n);
    for (a, &i) in row_node.iter().enumerate() {
        for (b, &j) in col_node.iter().enumerate() {
            zm.data[i * n + j] = z.data[a * n + b];
        }
    }
    // Y: rows must be Z's nodes; columns (region, category).
    if y.rows.len() != n {
        return Err(Error::Format {
            file: yfile,
            detail: format!("Y has {} rows, Z has {n}", y.rows.len()),
        });
    }
    let y_row: Vec<usize> = y
        .rows
        .iter()
        .map(|k| node_of(k, &yfile, "Y row"))
        .collect::<Result<_>>()?;
    let fd: Vec<FdColumn> = y
        .cols
        .iter()
        .map(|k| {
            two(k, &yfile, "Y columns").map(|(r, c)| FdColumn {
                region: r,
                category: c,
            })
        })
        .collect::<Result<_>>()?;
    check_unique(
        &fd.iter()
            .map(|c| format!("{}/{}", c.region, c.category))
            .collect::<Vec<_>>(),
        &yfile,
        "column",
    )?;
    let k = fd.len();
    let mut ym = Dense::zeros(n, k);
    for (a, &i) in y_row.iter().enumerate() {
        ym.data[i * k..(i + 1) * k].copy_from_slice(&y.data[a * k..(a + 1) * k]);
    }
    // Extensions: subdirectories with their own file_parameters.json.
    let mut stressors = Vec::new();
    let mut f_rows: Vec<Vec<f64>> = Vec::new();
    let mut fy_rows: Vec<Vec<f64>> = Vec::new();
    let mut subdirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join("file_parameters.json").is_file())
        .collect();
    subdirs.sort();
    for sd in subdirs {
        let ext = sd
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (ep, _) = file_params(&sd)?;
        let Some(f) = load_frame(&sd, &ep, "F")? else {
            continue;
        };
        let ffile = sd.join(&ep["F"].0).display().to_string();
        if f.cols.len() != n {
            return Err(Error::Format {
                file: ffile,
                detail: format!("F has {} columns, Z has {n}", f.cols.len()),
            });
        }
        let f_col: Vec<usize> = f
            .cols
            .iter()
            .map(|k| node_of(k, &ffile, "F column"))
            .collect::<Result<_>>()?;
        let fy = load_frame(&sd, &ep, "F_Y")?;
        let units: HashMap<String, String> = load_frame_text(&sd, &ep, "unit")?.unwrap_or_default();
        let fy_map: Option<(HashMap<String, usize>, Vec<usize>, Frame)> = match fy {
            Some(fy) => {
                let fyfile = sd.join(&ep["F_Y"].0).display().to_string();
                let colmap: HashMap<String, usize> = fd
                    .iter()
                    .enumerate()
                    .map(|(j, c)| (format!("{}/{}", c.region, c.category), j))
                    .collect();
                let cols: Vec<usize> = fy
                    .cols
                    .iter()
                    .map(|kk| {
                        colmap
                            .get(&kk.join("/"))
                            .copied()
                            .ok_or_else(|| Error::Format {
                                file: fyfile.clone(),
                                detail: format!("F_Y column {} is not a column of Y", kk.join("/")),
                            })
                    })
                    .collect::<Result<_>>()?;
                let rows: HashMap<String, usize> = fy
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.join("/"), i))
                    .collect();
                Some((rows, cols, fy))
            }
            None => None,
        };
        for (a, key) in f.rows.iter().enumerate() {
            let label = key.join("/");
            let mut row = vec![0.0; n];
            for (b, &j) in f_col.iter().enumerate() {
                row[j] = f.data[a * n + b];
            }
            let mut yrow = vec![0.0; k];
            if let Some((rows, cols, fy)) = &fy_map {
                if let Some(&r) = rows.get(&label) {
                    let w = fy.cols.len();
                    for (b, &j) in cols.iter().enumerate() {
                        yrow[j] = fy.data[r * w + b];
                    }
                }
            }
            stressors.push(Stressor {
                name: format!("{ext}/{label}"),
                unit: units.get(&label).cloned().unwrap_or_default(),
            });
            f_rows.push(row);
            fy_rows.push(yrow);
        }
    }
    let m = stressors.len();
    let fm = Dense::from_vec(m, n, f_rows.concat())?;
    let fym = Dense::from_vec(m, k, fy_rows.concat())?;
    let unit = load_frame_text(dir, &params, "unit")?
        .and_then(|u| u.values().next().cloned())
        .unwrap_or_default();
    let meta_name = std::fs::read_to_string(dir.join("metadata.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("name").and_then(Value::as_str).map(String::from));
    let labels = Labels {
        regions: regions.iter().map(Code::bare).collect(),
        sectors: sectors.iter().map(Code::bare).collect(),
        final_demand: fd,
        stressors,
    };
    let provenance = Provenance {
        name: name.into(),
        title: format!(
            "pymrio system{}",
            meta_name.map(|m| format!(" '{m}'")).unwrap_or_default()
        ),
        source: format!(
            "imported from the pymrio save_all directory {}",
            dir.display()
        ),
        year,
        units: unit,
        source_sha256: None,
        written_by: String::new(),
        notes: "x = Z1 + Y1 (as pymrio computes it); v = x - Z'1".into(),
    };
    Mrio::from_parts(
        Parts {
            labels,
            z: zm,
            y: ym,
            x: None,
            v: None,
            f: Some(fm),
            f_y: Some(fym),
            provenance,
        },
        BalanceTolerance::default(),
    )
}

/// Reads a unit file (index columns → last column text) into a map keyed by the joined index.
fn load_frame_text(
    dir: &Path,
    params: &FileParams,
    key: &str,
) -> Result<Option<HashMap<String, String>>> {
    let Some((name, c, _)) = params.get(key) else {
        return Ok(None);
    };
    let p = dir.join(name);
    let text = match super::read_text(&p) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = HashMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() > *c {
            out.insert(
                f[..*c]
                    .iter()
                    .map(|s| s.trim())
                    .collect::<Vec<_>>()
                    .join("/"),
                f[*c].trim().to_string(),
            );
        }
    }
    Ok(Some(out))
}
