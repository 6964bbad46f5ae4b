//! Bilateral product-level trade from files: CEPII BACI (`t,i,j,k,v,q`, numeric country codes mapped to ISO3
//! with BACI's country-code file) or a plain long format (`year,exporter,importer,product,value[,quantity]`),
//! `.csv` or `.csv.gz`, into an in-memory [`Bilateral`] table for the screen.
//!
//! Bad input is an error naming the file, the row and the column: non-numbers, negative or non-finite
//! values, malformed HS codes (BACI's `k` must be at most 6 digits; it is zero-padded to 6), a repeated
//! (year, exporter, importer, product). BACI codes missing from the country-code file are kept as `#code`
//! and counted in [`ReadReport::unknown_codes`]. Rows with a zero value carry no trade and
//! are skipped; the count is reported.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sovra_core::Error as CoreError;

use crate::screen::Bilateral;
use crate::{Error, Result};

/// What reading found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadReport {
    /// Format detected (`baci` or `long`).
    pub format: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows with a zero value, skipped.
    pub zero_rows_skipped: usize,
    /// Years present.
    pub years: Vec<i32>,
    /// BACI codes not in the country-code file, with their row counts: kept as `#code` (so world totals stay
    /// complete), never matched by a bloc.
    pub unknown_codes: std::collections::BTreeMap<u32, usize>,
    /// HS revision conversion applied after reading, if any (set by the caller).
    pub converted: Option<String>,
}

fn open_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| CoreError::io(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .map_err(|e| CoreError::io(path, e))?;
        Ok(s)
    } else {
        // BACI's country-code file is Latin-1; only ASCII fields (codes, numbers) are used, so a lossy
        // decoding loses nothing that matters.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// BACI's country-code file: numeric code → ISO3.
pub fn read_baci_codes(path: &Path) -> Result<HashMap<u32, String>> {
    let text = open_text(path)?;
    let file = path.display().to_string();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r
        .headers()
        .map_err(|e| Error::Invalid(format!("{file}: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Invalid(format!("{file}: no column '{name}'")))
    };
    let (ci, ii) = (col("country_code")?, col("iso_3digit_alpha")?);
    let mut out = HashMap::new();
    for (k, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::Invalid(format!("{file}: {e}")))?;
        let code: u32 = rec[ci]
            .trim()
            .parse()
            .map_err(|_| cell(&file, k + 2, "country_code", "not a number"))?;
        out.insert(code, rec[ii].trim().to_string());
    }
    Ok(out)
}

/// The error for a bad cell: names the file, the row and the column.
pub(crate) fn cell(file: &str, row: usize, column: &str, detail: &str) -> Error {
    CoreError::Cell {
        file: file.to_string(),
        row: row.to_string(),
        column: column.to_string(),
        detail: detail.to_string(),
    }
    .into()
}

/// Reads a BACI or long-format file (detected from its header). BACI needs its country-code file.
pub fn read(
    path: &Path,
    baci_codes: Option<&HashMap<u32, String>>,
) -> Result<(Bilateral, ReadReport)> {
    let text = open_text(path)?;
    let file = path.display().to_string();
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let head: Vec<String> = r
        .headers()
        .map_err(|e| Error::Invalid(format!("{file}: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |name: &str| head.iter().position(|h| h == name);
    let baci = ["t", "i", "j", "k", "v"].iter().all(|c| find(c).is_some());
    let names: [&str; 5] = if baci {
        ["t", "i", "j", "k", "v"]
    } else {
        ["year", "exporter", "importer", "product", "value"]
    };
    let pos: Vec<usize> = names
        .iter()
        .map(|n| {
            find(n).ok_or_else(|| {
                Error::Invalid(format!(
                    "{file}: neither BACI (t,i,j,k,v,q) nor long (year,exporter,importer,product,value) columns: {}",
                    head.join(",")
                ))
            })
        })
        .collect::<Result<_>>()?;
    if baci && baci_codes.is_none() {
        return Err(Error::Invalid(format!(
            "{file} is BACI: give its country-code file (country_codes_V*.csv) to map the numeric codes"
        )));
    }
    let mut b = Bilateral::default();
    let mut cix: HashMap<String, u32> = HashMap::new();
    let mut pix: HashMap<String, u32> = HashMap::new();
    let mut seen: std::collections::HashSet<(i32, u32, u32, u32)> = Default::default();
    let mut rep = ReadReport {
        format: if baci { "baci" } else { "long" }.into(),
        ..Default::default()
    };
    let intern = |m: &mut HashMap<String, u32>, list: &mut Vec<String>, s: &str| -> u32 {
        if let Some(&i) = m.get(s) {
            return i;
        }
        let i = list.len() as u32;
        list.push(s.to_string());
        m.insert(s.to_string(), i);
        i
    };
    for (k, rec) in r.records().enumerate() {
        let row = k + 2;
        let rec = rec.map_err(|e| Error::Invalid(format!("{file}: row {row}: {e}")))?;
        rep.rows += 1;
        let f = |q: usize| rec.get(pos[q]).unwrap_or("");
        let year: i32 = f(0)
            .parse()
            .map_err(|_| cell(&file, row, names[0], "the year is not a whole number"))?;
        let mut country = |q: usize| -> Result<String> {
            let s = f(q);
            if baci {
                let code: u32 = s
                    .parse()
                    .map_err(|_| cell(&file, row, names[q], "not a BACI country code"))?;
                Ok(match baci_codes.and_then(|m| m.get(&code)) {
                    Some(iso) => iso.clone(),
                    None => {
                        *rep.unknown_codes.entry(code).or_default() += 1;
                        format!("#{code}")
                    }
                })
            } else if s.is_empty() {
                Err(cell(&file, row, names[q], "empty"))
            } else {
                Ok(s.to_string())
            }
        };
        let (e, j) = (country(1)?, country(2)?);
        let product = {
            let s = f(3);
            if baci {
                if s.is_empty() || s.len() > 6 || !s.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(cell(
                        &file,
                        row,
                        "k",
                        &format!("'{s}' is not an HS6 code (up to 6 digits)"),
                    ));
                }
                format!("{s:0>6}")
            } else if s.is_empty() {
                return Err(cell(&file, row, "product", "empty"));
            } else {
                s.to_string()
            }
        };
        let v: f64 = f(4)
            .parse()
            .map_err(|_| cell(&file, row, names[4], &format!("'{}' is not a number", f(4))))?;
        if !v.is_finite() || v < 0.0 {
            return Err(cell(
                &file,
                row,
                names[4],
                &format!("{v}: trade values must be finite and non-negative"),
            ));
        }
        let (ei, ji) = (
            intern(&mut cix, &mut b.countries, &e),
            intern(&mut cix, &mut b.countries, &j),
        );
        let pi = intern(&mut pix, &mut b.products, &product);
        if !seen.insert((year, ei, ji, pi)) {
            return Err(cell(
                &file,
                row,
                names[3],
                &format!("{year} {e}→{j} {product} appears twice"),
            ));
        }
        if v == 0.0 {
            rep.zero_rows_skipped += 1;
            continue;
        }
        b.rows.push((year, ei, ji, pi, v));
    }
    let mut years: Vec<i32> = b.rows.iter().map(|r| r.0).collect();
    years.sort_unstable();
    years.dedup();
    rep.years = years;
    Ok((b, rep))
}

/// HS 6-digit product names (`code → short English name`) of a revision (`hs92`, `hs12`, `hs22`) from the
/// classification files `sovra data fetch classifications` writes; empty when they are absent.
pub fn hs_names(dir: &Path, revision: &str) -> HashMap<String, String> {
    let Ok(text) = open_text(&dir.join(format!("{revision}.csv"))) else {
        return HashMap::new();
    };
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let Ok(head) = r
        .headers()
        .map(|h| h.iter().map(String::from).collect::<Vec<_>>())
    else {
        return HashMap::new();
    };
    let col = |n: &str| head.iter().position(|h| h == n);
    let (Some(code), Some(level), Some(name)) =
        (col("code"), col("product_level"), col("name_short_en"))
    else {
        return HashMap::new();
    };
    r.records()
        .filter_map(|rec| rec.ok())
        .filter(|rec| rec.get(level) == Some("6"))
        .filter_map(|rec| Some((rec.get(code)?.to_string(), rec.get(name)?.to_string())))
        .collect()
}

/// Converts the products of a table between HS revisions (`H0` = HS92, `H1` = HS96, … `H6` = HS22) with the
/// atlas-common-data conversion weights in `dir` (`conversion_weights_Ha_to_Hb.csv`: `Ha,Hb,weight`),
/// chaining adjacent revisions (`H1 → H0` directly, `H3 → H0` through `H2` and `H1`). Each value is split over
/// the target codes by the weights. Returns the converted table and the number of rows whose code had no
/// weight (kept unconverted, and reported).
pub fn convert_hs(b: &Bilateral, dir: &Path, from: &str, to: &str) -> Result<(Bilateral, usize)> {
    let rev = |s: &str| -> Result<u8> {
        s.strip_prefix(['H', 'h'])
            .and_then(|d| d.parse::<u8>().ok())
            .filter(|d| *d <= 6)
            .ok_or_else(|| Error::Invalid(format!("'{s}' is not an HS revision (H0 … H6)")))
    };
    let (a, z) = (rev(from)?, rev(to)?);
    let mut cur = b.clone();
    let mut unmatched = 0;
    let mut step = a;
    while step != z {
        let next = if z > step { step + 1 } else { step - 1 };
        let file = dir.join(format!("conversion_weights_H{step}_to_H{next}.csv"));
        let text = open_text(&file).map_err(|_| {
            Error::Invalid(format!(
                "{}: missing; run `sovra data fetch classifications`",
                file.display()
            ))
        })?;
        let mut w: HashMap<String, Vec<(String, f64)>> = HashMap::new();
        for (k, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 3 {
                continue;
            }
            let v: f64 = f[2]
                .trim()
                .parse()
                .map_err(|_| cell(&file.display().to_string(), k + 1, "weight", "not a number"))?;
            if v > 0.0 {
                w.entry(format!("{:0>6}", f[0].trim()))
                    .or_default()
                    .push((format!("{:0>6}", f[1].trim()), v));
            }
        }
        let mut out = Bilateral {
            countries: cur.countries.clone(),
            ..Default::default()
        };
        let mut pix: HashMap<String, u32> = HashMap::new();
        let mut acc: HashMap<(i32, u32, u32, u32), f64> = HashMap::new();
        for &(t, e, j, p, v) in &cur.rows {
            let code = &cur.products[p as usize];
            let targets: Vec<(String, f64)> = match w.get(code) {
                Some(ts) => ts.clone(),
                None => {
                    unmatched += 1;
                    vec![(code.clone(), 1.0)]
                }
            };
            for (tc, wt) in targets {
                let n = out.products.len() as u32;
                let q = *pix.entry(tc.clone()).or_insert_with(|| {
                    out.products.push(tc.clone());
                    n
                });
                *acc.entry((t, e, j, q)).or_default() += v * wt;
            }
        }
        let mut rows: Vec<(i32, u32, u32, u32, f64)> = acc
            .into_iter()
            .map(|((t, e, j, p), v)| (t, e, j, p, v))
            .collect();
        rows.sort_by_key(|r| (r.0, r.1, r.2, r.3));
        out.rows = rows;
        cur = out;
        step = next;
    }
    Ok((cur, unmatched))
}
