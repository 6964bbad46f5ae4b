//! Bilateral product-level trade from files: CEPII BACI (`t,i,j,k,v,q`, numeric country codes mapped to ISO3
//! with BACI's country-code file) or a plain long format (`year,exporter,importer,product,value[,quantity]`),
//! `.csv` or `.csv.gz`, into an in-memory [`Bilateral`] table for the screen.
//!
//! Bad input is an error naming the file, the row and the column: non-numbers, negative or non-finite
//! values, malformed HS codes (BACI's `k` must be at most 6 digits; it is zero-padded to 6), a repeated
//! (year, exporter, importer, product). BACI codes missing from the country-code file are kept as `#code`
//! and counted in [`ReadReport::unknown_codes`]. Rows with a zero value carry no trade and
//! are skipped; the count is reported.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sovra_core::Error as CoreError;

use crate::intern::{Interner, Last};
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

/// A small text file read whole (country codes, concordances): a regular file with lines of sane length.
/// BACI's country-code file is Latin-1; only ASCII fields (codes, numbers) are used, so a lossy decoding
/// loses nothing that matters.
fn open_text(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    sovra_core::read::open_input(path)?
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::io(path, e))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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
    // BACI's code files name the ISO3 column `iso_3digit_alpha` (to V202301) or `country_iso3` (later).
    let iso = col("iso_3digit_alpha").or_else(|_| col("country_iso3"))?;
    let ci = col("country_code")?;
    let ii = iso;
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

/// One row of bilateral trade, as read (codes resolved, product zero-padded for BACI).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow<'a> {
    /// Year.
    pub year: i32,
    /// Exporter (ISO3, or `#code` for a BACI code not in the country-code file).
    pub exporter: Cow<'a, str>,
    /// Importer.
    pub importer: Cow<'a, str>,
    /// Product code (BACI: 6 digits).
    pub product: Cow<'a, str>,
    /// Value (BACI: thousands of current US dollars).
    pub value: f64,
    /// Quantity when the file has one (BACI `q`, metric tons); empty or `NA` is none.
    pub quantity: Option<f64>,
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
}

/// Rows of a BACI or long-format file, one at a time: memory does not grow with the file, so files larger
/// than memory stream through. The format is detected from the header; every row is checked (see the module
/// documentation) and a bad one is an error naming the file, the line and the column. Rows with a zero value
/// are counted in the report and skipped.
pub struct Rows<'c> {
    file: String,
    reader: csv::Reader<Box<dyn Read>>,
    rec: csv::ByteRecord,
    baci: bool,
    names: [&'static str; 5],
    pos: [usize; 5],
    qty: Option<usize>,
    codes: Option<&'c HashMap<u32, String>>,
    /// What was read so far.
    pub report: ReadReport,
}

/// The largest trade value or quantity accepted in one row: far above any real flow in any unit a trade
/// file uses, and low enough that sums over a hundred million rows stay finite.
pub const MAX_VALUE: f64 = 1e15;

fn open_stream(path: &Path) -> Result<Box<dyn Read>> {
    Ok(sovra_core::read::open_input(path)?)
}

impl<'c> Rows<'c> {
    /// Opens a file (`.csv` or `.csv.gz`) and reads its header. BACI needs its country-code file.
    pub fn open(path: &Path, baci_codes: Option<&'c HashMap<u32, String>>) -> Result<Self> {
        Self::from_reader(&path.display().to_string(), open_stream(path)?, baci_codes)
    }

    /// Reads from any byte source; `file` names it in errors.
    pub fn from_reader(
        file: &str,
        source: Box<dyn Read>,
        baci_codes: Option<&'c HashMap<u32, String>>,
    ) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(source);
        let head: Vec<String> = reader
            .byte_headers()
            .map_err(|e| Error::Invalid(format!("{file}: {e}")))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).to_ascii_lowercase())
            .collect();
        let find = |name: &str| head.iter().position(|h| h == name);
        let baci = ["t", "i", "j", "k", "v"].iter().all(|c| find(c).is_some());
        let names: [&str; 5] = if baci {
            ["t", "i", "j", "k", "v"]
        } else {
            ["year", "exporter", "importer", "product", "value"]
        };
        let mut pos = [0usize; 5];
        for (p, n) in pos.iter_mut().zip(names) {
            *p = find(n).ok_or_else(|| {
                Error::Invalid(format!(
                    "{file}: neither BACI (t,i,j,k,v,q) nor long (year,exporter,importer,product,value) columns: {}",
                    sovra_core::read::excerpt(&head.join(","), 120)
                ))
            })?;
        }
        if baci && baci_codes.is_none() {
            return Err(Error::Invalid(format!(
                "{file} is BACI: give its country-code file (country_codes_V*.csv) to map the numeric codes"
            )));
        }
        Ok(Rows {
            file: file.to_string(),
            reader,
            rec: csv::ByteRecord::new(),
            baci,
            names,
            pos,
            qty: find(if baci { "q" } else { "quantity" }),
            codes: baci_codes,
            report: ReadReport {
                format: if baci { "baci" } else { "long" }.into(),
                ..Default::default()
            },
        })
    }

    /// The file's name as errors give it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line of the row last read (the header is line 1).
    pub fn line(&self) -> u64 {
        self.rec.position().map_or(0, |p| p.line())
    }

    /// The next row with a non-zero value, or `None` at the end of the file. Zero-valued rows are checked
    /// like the others, then counted and skipped.
    pub fn next_flow(&mut self) -> Result<Option<Flow<'_>>> {
        loop {
            let more = self.reader.read_byte_record(&mut self.rec).map_err(|e| {
                Error::Invalid(format!("{}: line {}: {e}", self.file, self.line() + 1))
            })?;
            if !more {
                return Ok(None);
            }
            self.report.rows += 1;
            let year: i32 = self
                .text(0)?
                .parse()
                .map_err(|_| self.bad(0, "the year is not a whole number"))?;
            let value = self.number(4, false)?.unwrap_or(0.0);
            let quantity = match self.qty {
                Some(q) => self.number_at(q, if self.baci { "q" } else { "quantity" }, true)?,
                None => None,
            };
            let exporter = self.country(1)?;
            let importer = self.country(2)?;
            let s = self.text(3)?;
            let hs6 = if self.baci {
                if s.is_empty() || s.len() > 6 || !s.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(self.bad(3, &format!("'{s}' is not an HS6 code (up to 6 digits)")));
                }
                Some(format!("{s:0>6}"))
            } else if s.is_empty() {
                return Err(self.bad(3, "empty"));
            } else {
                None
            };
            if value == 0.0 {
                self.report.zero_rows_skipped += 1;
                continue;
            }
            if let Err(at) = self.report.years.binary_search(&year) {
                self.report.years.insert(at, year);
            }
            let product = match hs6 {
                Some(p) => Cow::Owned(p),
                None => Cow::Borrowed(self.text(3)?),
            };
            return Ok(Some(Flow {
                year,
                exporter,
                importer,
                product,
                value,
                quantity,
                line: self.line(),
            }));
        }
    }

    fn bad(&self, q: usize, detail: &str) -> Error {
        cell(&self.file, self.line() as usize, self.names[q], detail)
    }

    fn text(&self, q: usize) -> Result<&str> {
        let raw = self.rec.get(self.pos[q]).unwrap_or(b"");
        std::str::from_utf8(raw).map_err(|_| self.bad(q, "not valid UTF-8"))
    }

    fn number(&self, q: usize, optional: bool) -> Result<Option<f64>> {
        self.number_at(self.pos[q], self.names[q], optional)
    }

    /// A finite, non-negative number; with `optional`, empty or `NA` is `None`.
    fn number_at(&self, at: usize, column: &str, optional: bool) -> Result<Option<f64>> {
        let raw = self.rec.get(at).unwrap_or(b"");
        let line = self.line() as usize;
        let s = std::str::from_utf8(raw)
            .map_err(|_| cell(&self.file, line, column, "not valid UTF-8"))?;
        if optional && (s.is_empty() || s.eq_ignore_ascii_case("na")) {
            return Ok(None);
        }
        let v: f64 = s
            .parse()
            .map_err(|_| cell(&self.file, line, column, &format!("'{s}' is not a number")))?;
        if !v.is_finite() || v < 0.0 {
            return Err(cell(
                &self.file,
                line,
                column,
                &format!("{v}: trade values and quantities must be finite and non-negative"),
            ));
        }
        if v > MAX_VALUE {
            return Err(cell(
                &self.file,
                line,
                column,
                &format!(
                    "{v:e} is implausibly large (over {MAX_VALUE:e}; world trade is about 2.5e13 USD a year): \
                     check the column and the unit — sums of such values would overflow"
                ),
            ));
        }
        Ok(Some(v))
    }

    fn country(&mut self, q: usize) -> Result<Cow<'c, str>> {
        let s = self.text(q)?;
        if self.baci {
            let code: u32 = s
                .parse()
                .map_err(|_| self.bad(q, "not a BACI country code"))?;
            Ok(match self.codes.and_then(|m| m.get(&code)) {
                Some(iso) => Cow::Borrowed(iso.as_str()),
                None => {
                    *self.report.unknown_codes.entry(code).or_default() += 1;
                    Cow::Owned(format!("#{code}"))
                }
            })
        } else if s.is_empty() {
            Err(self.bad(q, "empty"))
        } else {
            Ok(Cow::Owned(s.to_string()))
        }
    }
}

/// Reads a BACI or long-format file (detected from its header) into memory. BACI needs its country-code
/// file. A repeated (year, exporter, importer, product) among the non-zero rows is an error.
pub fn read(
    path: &Path,
    baci_codes: Option<&HashMap<u32, String>>,
) -> Result<(Bilateral, ReadReport)> {
    read_rows(Rows::open(path, baci_codes)?)
}

/// [`read`] from rows already opened (e.g. [`Rows::from_reader`] over bytes in memory).
pub fn read_rows(mut rows: Rows<'_>) -> Result<(Bilateral, ReadReport)> {
    let mut b = Bilateral::default();
    let (mut cix, mut pix) = (Interner::default(), Interner::default());
    let mut last: [Last; 3] = Default::default();
    let mut seen: std::collections::HashSet<(i32, u32, u32, u32)> = Default::default();
    while let Some(f) = rows.next_flow()? {
        let ei = last[0].get(&f.exporter, &mut cix, &mut b.countries);
        let ji = last[1].get(&f.importer, &mut cix, &mut b.countries);
        let pi = last[2].get(&f.product, &mut pix, &mut b.products);
        let (year, value) = (f.year, f.value);
        if !seen.insert((year, ei, ji, pi)) {
            let detail = format!(
                "{year} {}→{} {} appears twice",
                f.exporter, f.importer, f.product
            );
            let line = f.line as usize;
            let col = rows.names[3];
            return Err(cell(rows.file(), line, col, &detail));
        }
        b.rows.push((year, ei, ji, pi, value));
    }
    Ok((b, rows.report))
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
