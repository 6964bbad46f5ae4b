//! Product-level trade: the dependency screen (`trade_depend`: one importer, or each country of an expression),
//! alternative suppliers (`trade_suppliers`) and import-substitution opportunities (`opportunities`); and the
//! two jobs that write files, so stay out of [`crate::Request`] (the server only reads): [`import`] (files
//! into a trade store) and [`synth`] (a synthetic year).
//!
//! Written once here, for every trade request and for [`crate::complexity`]:
//! - **where the trade comes from**: the workspace's trade store ([`Workspace::trade_store`],
//!   `$SOVRA_HOME/trade`) by default; another store directory (`store`) or a BACI / long CSV file read whole
//!   (`input`, with BACI's `country_codes`) only through fields that name files, which each request's
//!   `names_files()` reports so that the server can refuse them;
//! - **the year window**: the latest year held, one `year`, or `years` = `"Y1:Y2"`; from a store only the
//!   window's years and the two before it (persistence) are read, and kept in the workspace;
//! - bloc resolution on `as_of`, HS revision conversion (`convert` = `"FROM:TO"`), and the product names of
//!   the codes' revision (`sovra data fetch classifications`).
//!
//! Values are those of the input: BACI's are **thousands of US dollars**, and the value columns say so in their
//! unit. Product codes are text (`"032989"`). The import/export ratio of a product the importer does not
//! export is null, flagged by `no_exports` (the screen's internal 9999 never reaches a machine); definitions in
//! `docs/indicators.md`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sovra_core::blocs::{Date, Registry};
use sovra_lake::store::{Manifest, Store};
use sovra_report::{Column, Kind, Report, TableBuilder, Value};
use sovra_trade::bilateral::{self, ReadReport};
use sovra_trade::flows::Flows;
use sovra_trade::screen::{Bilateral, Screened, Thresholds};

use crate::compose::{
    self, amount, code, count, figure, flag, line, num, param, rank, ratio, share, text,
};
use crate::depend::as_of;
use crate::error::{Error, ErrorKind, Result};
use crate::files::write_atomic;
use crate::progress::Progress;
use crate::workspace::Workspace;

const SCREEN_DOC: &str =
    "docs/indicators.md#product-level-dependency-screen-sovra-trade-depend-sovra-tradescreen";
const SUPPLIERS_DOC: &str = "docs/indicators.md#alternative-suppliers-sovra-trade-suppliers-and-import-substitution-opportunities-sovra-opportunities";
const STORE_DOC: &str = "docs/indicators.md#trade-data-the-store-and-what-happens-to-bad-rows-sovra-trade-import-sovra-lake";

fn default_hhi() -> f64 {
    0.4
}

fn default_ratio() -> f64 {
    1.0
}

/// `trade_depend`: where an importer is dependent, product by product (GeoDep / EU SWD(2021) 352 criteria).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TradeDependRequest {
    /// The importer: a country, bloc or expression (a bloc's internal trade is left out).
    pub importer: String,
    /// Report the share of imports from this bloc, country or expression.
    #[serde(default)]
    pub on: Option<String>,
    /// Every product imported, not only the dependent ones.
    #[serde(default)]
    pub all: bool,
    /// Only this year (default: the latest held).
    #[serde(default)]
    pub year: Option<i32>,
    /// A range of years, `"Y1:Y2"`.
    #[serde(default)]
    pub years: Option<String>,
    /// Screen each country of `importer` on its own: one row per country (and year).
    #[serde(default)]
    pub each: bool,
    /// Import concentration threshold.
    #[serde(default = "default_hhi")]
    pub hhi_imports: f64,
    /// World export concentration threshold.
    #[serde(default = "default_hhi")]
    pub hhi_world: f64,
    /// Imports/exports threshold.
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    /// Only the N largest rows by imports (with `each`: the N importers with most dependent products, per
    /// year).
    #[serde(default)]
    pub top: Option<usize>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Convert product codes between HS revisions first, `"FROM:TO"` (e.g. `"H1:H0"`).
    #[serde(default)]
    pub convert: Option<String>,
    /// A BACI or long CSV file to read instead of the trade store (names a file: refused by the server).
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// BACI's country-code file, for a BACI `input` (names a file: refused by the server).
    #[serde(default)]
    pub country_codes: Option<PathBuf>,
    /// Another trade store directory (names a directory: refused by the server).
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// `trade monitor` only: a programme of targets (TOML `[[target]]` tables); its product-group targets
    /// (`products = [HS codes]` or `section = "XVI"`) are checked on the store (docs/monitoring.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub programme: Option<crate::shock::TomlText>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`), usable in every country
    /// field of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocs: Option<crate::workspace::Blocs>,
}

/// `trade_suppliers`: who could supply a product instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SuppliersRequest {
    /// The importer: a country, bloc or expression.
    pub importer: String,
    /// The product (a code as in the data, e.g. an HS6 code `"850760"`).
    #[serde(default)]
    pub product: Option<String>,
    /// Every product the importer is dependent on (default thresholds) instead of one product.
    #[serde(default)]
    pub all_dependent: bool,
    /// Only suppliers in this bloc, country or expression.
    #[serde(default)]
    pub partners: Option<String>,
    /// Suppliers listed per product.
    #[serde(default)]
    pub top: Option<usize>,
    /// The year (default: the latest held).
    #[serde(default)]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Convert product codes between HS revisions first, `"FROM:TO"`.
    #[serde(default)]
    pub convert: Option<String>,
    /// A BACI or long CSV file to read instead of the trade store (names a file: refused by the server).
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// BACI's country-code file, for a BACI `input` (names a file: refused by the server).
    #[serde(default)]
    pub country_codes: Option<PathBuf>,
    /// Another trade store directory (names a directory: refused by the server).
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`), usable in every country
    /// field of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocs: Option<crate::workspace::Blocs>,
}

/// `opportunities`: dependent products a country or bloc could make itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OpportunitiesRequest {
    /// The country (its code in the data), a bloc or an expression (`"EU27"`, `"RUS+BLR"`): a bloc is one
    /// exporter, its exports those to outside it.
    pub country: String,
    /// Only the N best.
    #[serde(default)]
    pub top: Option<usize>,
    /// Only products whose code starts with one of these (e.g. `["85", "8703"]`); scores are unchanged.
    #[serde(default)]
    pub products: Vec<String>,
    /// The year (default: the latest held).
    #[serde(default)]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Convert product codes between HS revisions first, `"FROM:TO"`.
    #[serde(default)]
    pub convert: Option<String>,
    /// A BACI or long CSV file to read instead of the trade store (names a file: refused by the server).
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// BACI's country-code file, for a BACI `input` (names a file: refused by the server).
    #[serde(default)]
    pub country_codes: Option<PathBuf>,
    /// Another trade store directory (names a directory: refused by the server).
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`), usable in every country
    /// field of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocs: Option<crate::workspace::Blocs>,
}

macro_rules! names_files {
    ($($t:ty),*) => {$(
        impl $t {
            /// Whether the request names a file or directory (`input`, `country_codes`, `store`) instead of
            /// reading the workspace's trade store: the server refuses such requests.
            pub fn names_files(&self) -> bool {
                self.input.is_some() || self.country_codes.is_some() || self.store.is_some()
            }

            fn source(&self) -> Source<'_> {
                Source {
                    input: self.input.as_deref(),
                    country_codes: self.country_codes.as_deref(),
                    store: self.store.as_deref(),
                    convert: self.convert.as_deref(),
                }
            }
        }
    )*};
}

names_files!(TradeDependRequest, SuppliersRequest, OpportunitiesRequest);

/// Where a request's trade comes from (all `None`: the workspace's trade store as it is).
#[derive(Default)]
pub(crate) struct Source<'a> {
    pub(crate) input: Option<&'a Path>,
    pub(crate) country_codes: Option<&'a Path>,
    pub(crate) store: Option<&'a Path>,
    pub(crate) convert: Option<&'a str>,
}

/// The years a request shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// The latest year held.
    Latest,
    /// One year (`year`).
    Year(i32),
    /// A range (`years` = `"Y1:Y2"`).
    Range(i32, i32),
}

/// The years shown, on the data read: from `first` to `last`; counts of dependent products are for `year`,
/// the latest of them the data holds.
#[derive(Debug, Clone, Copy)]
struct Shown {
    first: i32,
    last: i32,
    year: i32,
}

impl Shown {
    fn contains(&self, year: i32) -> bool {
        (self.first..=self.last).contains(&year)
    }

    /// `2022`, or `2020–2022`.
    fn text(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}–{}", self.first, self.last)
        }
    }
}

impl Window {
    /// From the `year` and `years` fields (one or neither).
    pub(crate) fn new(year: Option<i32>, years: Option<&str>) -> Result<Window> {
        match (year, years) {
            (Some(y), Some(spec)) => Err(Error::usage(
                "years",
                format!("--year {y} and --years {spec}: give one of them"),
            )),
            (Some(y), None) => Ok(Window::Year(y)),
            (None, None) => Ok(Window::Latest),
            (None, Some(spec)) => {
                let bad = || {
                    Error::usage(
                        "years",
                        format!("--years '{spec}': write Y1:Y2, e.g. 2019:2021"),
                    )
                };
                let (p, q) = spec.split_once(':').ok_or_else(bad)?;
                let (p, q) = (
                    p.trim().parse::<i32>().map_err(|_| bad())?,
                    q.trim().parse::<i32>().map_err(|_| bad())?,
                );
                if p > q {
                    return Err(bad());
                }
                Ok(Window::Range(p, q))
            }
        }
    }

    /// The years to read from a store holding `held`: the window and the years before it that persistence
    /// looks at.
    fn store_years(self, held: &[i32], dir: &Path) -> Result<Vec<i32>> {
        let latest = *held.last().ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("the trade store {} holds no year", dir.display()),
            )
        })?;
        let (lo, hi) = match self {
            Window::Latest => (latest, latest),
            Window::Year(y) if held.contains(&y) => (y, y),
            Window::Year(y) => {
                return Err(Error::usage(
                    "year",
                    format!(
                        "--year {y}: the trade store {} holds {held:?}",
                        dir.display()
                    ),
                ));
            }
            Window::Range(p, q) => (p, q),
        };
        let back = Thresholds::default().window as i32 - 1;
        let wanted: Vec<i32> = held
            .iter()
            .copied()
            .filter(|y| (lo - back..=hi).contains(y))
            .collect();
        if wanted.is_empty() {
            return Err(Error::usage(
                "years",
                format!(
                    "--years {lo}:{hi}: the trade store {} holds {held:?}",
                    dir.display()
                ),
            ));
        }
        Ok(wanted)
    }

    /// The years shown, given the years the data read holds.
    fn shown(self, have: &[i32], source: &str) -> Result<Shown> {
        match self {
            Window::Latest => {
                let y = *have.last().ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("{source} holds no trade"))
                })?;
                Ok(Shown {
                    first: y,
                    last: y,
                    year: y,
                })
            }
            Window::Year(y) if have.contains(&y) => Ok(Shown {
                first: y,
                last: y,
                year: y,
            }),
            Window::Year(y) => Err(Error::usage(
                "year",
                format!("--year {y}: no trade in {source} that year (years: {have:?})"),
            )),
            Window::Range(p, q) => {
                let year = have
                    .iter()
                    .copied()
                    .filter(|y| (p..=q).contains(y))
                    .max()
                    .ok_or_else(|| {
                        Error::usage(
                            "years",
                            format!(
                                "--years {p}:{q}: no trade in {source} in that range (years: {have:?})"
                            ),
                        )
                    })?;
                Ok(Shown {
                    first: p,
                    last: q,
                    year,
                })
            }
        }
    }
}

/// Trade read for a request, with what people and machines need to know about where it came from.
pub(crate) struct Trade {
    /// The flows: rows in memory, or a store's years answered by DataFusion plans.
    pub(crate) flows: Arc<dyn Flows>,
    /// The rows in memory, when the request needs them (read from a file, converted, or asked for).
    pub(crate) rows: Option<Arc<Bilateral>>,
    /// What the rows came from (`trade store DIR`, or the file), for titles and errors.
    pub(crate) source: String,
    /// What reading found (format, rows, years, unknown codes, conversion).
    pub(crate) read: ReadReport,
    /// For a store: the files the years read were imported from.
    origin: Option<String>,
    /// The HS revision whose names fit the product codes, if atlas-common-data names it.
    revision: Option<&'static str>,
    /// Product names by code (empty without `sovra data fetch classifications`).
    names: HashMap<String, String>,
    /// Whether every year read is BACI (values in thousands of US dollars).
    baci: bool,
}

/// Opens a trade store; a missing directory is not-found, with what to do about it.
pub(crate) fn open_store(dir: &Path, field: &str) -> Result<Store> {
    if !dir.exists() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no trade store at {}: import one with `sovra trade import FILE…`, or read a file with --input FILE",
                dir.display()
            ),
        )
        .at(field));
    }
    Store::open(dir).map_err(|e| Error::from(e).at(field))
}

/// Reads a request's trade: a file whole, or from a store the years `window` needs — as DataFusion plans
/// over the store ([`sovra_lake::plans::StoreFlows`]) unless the rows are needed in memory (`rows`, an HS
/// conversion, or the workspace says so).
pub(crate) fn load(
    ws: &Workspace,
    src: &Source<'_>,
    window: Window,
    rows: bool,
    progress: &dyn Progress,
) -> Result<Trade> {
    let (plans, mut read, source, origin, baci) = match (src.input, src.store) {
        (Some(_), Some(_)) => {
            return Err(Error::usage(
                "store",
                "give input (a file) or store (a trade store directory), not both",
            ));
        }
        (Some(file), None) => {
            if file.is_dir() {
                return Err(Error::usage(
                    "input",
                    format!(
                        "{} is a directory: name a trade store with store",
                        file.display()
                    ),
                ));
            }
            let codes = match src.country_codes {
                Some(f) => Some(
                    bilateral::read_baci_codes(f)
                        .map_err(|e| Error::from(e).at("country_codes"))?,
                ),
                None => None,
            };
            progress.stage(&format!("reading {}", file.display()));
            let (flows, read) =
                bilateral::read(file, codes.as_ref()).map_err(|e| Error::from(e).at("input"))?;
            let baci = read.format == "baci";
            (
                Err(Arc::new(flows)),
                read,
                file.display().to_string(),
                None,
                baci,
            )
        }
        (None, named) => {
            if src.country_codes.is_some() {
                return Err(Error::usage(
                    "country_codes",
                    "country codes go with a BACI file read directly (input); a trade store holds ISO3 codes already",
                ));
            }
            let dir = named.map_or_else(|| ws.trade_store(), Path::to_path_buf);
            let store = open_store(&dir, "store")?;
            let wanted = window.store_years(&store.years(), &dir)?;
            let in_memory = rows || src.convert.is_some() || ws.trade_in_memory;
            let (flows, read) = if in_memory {
                let (flows, loaded) = ws.trade_years(&store, &wanted, progress)?;
                let read = ReadReport {
                    format: "Parquet trade store".into(),
                    rows: loaded.rows,
                    years: loaded.years,
                    ..Default::default()
                };
                (Err(flows), read)
            } else {
                let (flows, rows) = ws.trade_plans(&store, &wanted, progress)?;
                let read = ReadReport {
                    format: "Parquet trade store".into(),
                    rows: rows as usize,
                    years: flows.years(),
                    ..Default::default()
                };
                (Ok(flows), read)
            };
            let baci = read.years.iter().all(|y| {
                store
                    .manifest
                    .years
                    .get(y)
                    .is_some_and(|e| e.format == "baci")
            });
            let origin = origin_note(&store.manifest, &read.years);
            (flows, read, ws.trade_store_name(&dir), origin, baci)
        }
    };
    let mut flows: Option<Arc<Bilateral>> = None;
    let plans: Option<Arc<dyn Flows>> = match plans {
        Ok(p) => Some(p),
        Err(rows) => {
            flows = Some(rows);
            None
        }
    };
    if let (Some(spec), Some(rows)) = (src.convert, flows.as_mut()) {
        let (from, to) = spec.split_once(':').ok_or_else(|| {
            Error::usage(
                "convert",
                format!("--convert '{spec}': write FROM:TO, e.g. H1:H0"),
            )
        })?;
        progress.stage("converting HS revisions");
        let (converted, unmatched) =
            bilateral::convert_hs(rows, &ws.classifications(), from, to)
                .map_err(|e| Error::usage("convert", format!("--convert {spec}: {e}")))?;
        *rows = Arc::new(converted);
        read.converted = Some(format!(
            "{from} → {to}, {unmatched} rows without a weight kept as they were"
        ));
    }
    let revision = names_revision(
        src.convert,
        &format!("{source} {}", origin.as_deref().unwrap_or("")),
    );
    let names = match revision {
        Some(rev) => bilateral::hs_names(&ws.classifications(), rev),
        None => HashMap::new(),
    };
    let all: Arc<dyn Flows> = match (&plans, &flows) {
        (Some(p), _) => p.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => unreachable!("either plans or rows"),
    };
    Ok(Trade {
        flows: all,
        rows: flows,
        source,
        read,
        origin,
        revision,
        names,
        baci,
    })
}

/// The HS revision whose names fit the product codes: the target of `convert`, else the revision in BACI's
/// file names (`BACI_HS12_Y2021_…`; for a store, the files it was imported from), else HS92 (BACI's longest
/// series). `None` for the revisions atlas-common-data has no names for (HS96, HS02, HS07, HS17).
pub(crate) fn names_revision(convert: Option<&str>, sources: &str) -> Option<&'static str> {
    let by_h = |h: &str| match h.trim().to_ascii_uppercase().as_str() {
        "H0" => Some("hs92"),
        "H4" => Some("hs12"),
        "H6" => Some("hs22"),
        _ => None,
    };
    if let Some((_, to)) = convert.and_then(|c| c.split_once(':')) {
        return by_h(to);
    }
    let upper = sources.to_ascii_uppercase();
    for (tag, rev) in [
        ("HS92", Some("hs92")),
        ("HS12", Some("hs12")),
        ("HS22", Some("hs22")),
        ("HS96", None),
        ("HS02", None),
        ("HS07", None),
        ("HS17", None),
    ] {
        if upper.contains(&format!("BACI_{tag}")) {
            return rev;
        }
    }
    Some("hs92")
}

/// Where a store's years came from (its manifest), as a note.
fn origin_note(m: &Manifest, years: &[i32]) -> Option<String> {
    let parts: Vec<String> = years
        .iter()
        .filter_map(|y| {
            let e = m.years.get(y)?;
            Some(format!(
                "{y} ← {} ({}, sovra {})",
                e.sources.join(" + "),
                e.format,
                e.sovra_version
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("imported from: {}", parts.join("; ")))
}

/// An unknown code of the data (a product, a country), with the nearest one.
fn unknown(field: &str, kind: &'static str, name: &str, all: &[String], source: &str) -> Error {
    let err = sovra_core::Error::Unknown {
        kind,
        name: name.to_string(),
        suggestion: sovra_core::blocs::nearest(name, all.iter().map(String::as_str)),
        valid: format!("the {} {kind} codes of {source}", all.len()),
    };
    let mut e = Error::from(err).at(field);
    e.choices = if all.len() <= 400 {
        all.to_vec()
    } else {
        Vec::new()
    };
    e
}

impl Trade {
    /// Country indices of a country, bloc or expression on `date`.
    pub(crate) fn members(
        &self,
        reg: &Registry,
        date: Date,
        expr: &str,
        field: &str,
    ) -> Result<Vec<usize>> {
        let codes: Vec<&str> = self.flows.countries().iter().map(String::as_str).collect();
        let sel = reg
            .eval_with_codes(expr, date, &codes)
            .map_err(|e| Error::from(e).at(field))?;
        let at: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let idx: Vec<usize> = sel
            .members
            .iter()
            .filter_map(|m| at.get(m.as_str()).copied())
            .collect();
        if idx.is_empty() {
            return Err(Error::usage(
                field,
                format!("'{expr}' has no member in {} (as of {date})", self.source),
            ));
        }
        Ok(idx)
    }

    /// Country codes of indices.
    pub(crate) fn codes(&self, idx: &[usize]) -> Vec<&str> {
        idx.iter()
            .map(|&i| self.flows.countries()[i].as_str())
            .collect()
    }

    /// The unit of trade values.
    pub(crate) fn unit(&self) -> &'static str {
        if self.baci {
            "thousand USD"
        } else {
            "as in the input (BACI: thousand USD)"
        }
    }

    /// A product's code and, when known, its name.
    pub(crate) fn product(&self, p: usize) -> [Value; 2] {
        let code = &self.flows.products()[p];
        [
            code.as_str().into(),
            self.names
                .get(code)
                .map_or(Value::Null, |n| n.as_str().into()),
        ]
    }

    /// What was read, for people: the format, rows, skipped rows, years, conversion.
    fn input_line(&self) -> String {
        let read = &self.read;
        format!(
            "{}, {} rows ({} with zero value skipped), years {:?}{}",
            if read.format.contains("store") {
                read.format.clone()
            } else {
                format!("{} format", read.format)
            },
            read.rows,
            read.zero_rows_skipped,
            read.years,
            read.converted
                .as_ref()
                .map(|c| format!("; HS converted {c}"))
                .unwrap_or_default()
        )
    }

    /// The input's headline line and figures.
    fn describe_input(&self, r: &mut Report) {
        line(r, "input", self.input_line());
        let read = &self.read;
        figure(
            r,
            "input_format",
            "input format",
            read.format.as_str(),
            Kind::Text,
            None,
            0,
        );
        figure(r, "rows_read", "rows read", read.rows, Kind::Count, None, 0);
        figure(
            r,
            "zero_rows_skipped",
            "rows with zero value, skipped",
            read.zero_rows_skipped,
            Kind::Count,
            None,
            0,
        );
        figure(
            r,
            "years_read",
            "years read",
            years_value(&read.years),
            Kind::Year,
            None,
            0,
        );
        if let Some(c) = &read.converted {
            figure(
                r,
                "hs_conversion",
                "HS conversion",
                c.as_str(),
                Kind::Text,
                None,
                0,
            );
        }
    }

    /// Notes on the input: where a store's years came from, product names, unknown BACI codes.
    pub(crate) fn notes(&self, r: &mut Report) {
        r.notes.extend(self.origin.clone());
        match self.revision {
            None => r.notes.push(
                "product names: atlas-common-data has names for HS92, HS12 and HS22 only; convert with \
                 --convert …:H0 to name HS92 codes"
                    .into(),
            ),
            Some(rev) if self.names.is_empty() => r.notes.push(format!(
                "product names: run `sovra data fetch classifications` ({} names from atlas-common-data)",
                rev.to_uppercase()
            )),
            Some(_) => {}
        }
        if !self.read.unknown_codes.is_empty() {
            r.notes.push(format!(
                "BACI codes not in the country-code file, kept as #code: {}",
                self.read
                    .unknown_codes
                    .iter()
                    .map(|(c, n)| format!("{c} ({n} rows)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// Years as a list value.
fn years_value(years: &[i32]) -> Value {
    Value::List(years.iter().map(|&y| Value::Int(y.into())).collect())
}

/// Codes as a list value.
fn codes_value(codes: &[&str]) -> Value {
    Value::List(codes.iter().map(|&c| c.into()).collect())
}

/// A product code column and its name, shown after the code in one cell.
fn product_columns(key: &str, label: &str, doc: &str) -> [Column; 2] {
    [
        code(key, label).doc(doc),
        text(&format!("{key}_name"), &format!("{label} name")).join(key),
    ]
}

/// A value of trade (imports, exports) in the input's unit.
fn value_column(t: &Trade, key: &str, label: &str, doc: &str) -> Column {
    amount(key, label, t.unit(), 1).doc(doc)
}

/// The import/export ratio for machines: null when the importer exports none of the product.
fn ratio_value(s: &Screened) -> Value {
    if s.exports > 0.0 {
        num(s.ratio)
    } else {
        Value::Null
    }
}

/// The first and last year shown, and the year of the counts.
fn window_figures(r: &mut Report, shown: Shown) {
    figure(
        r,
        "first_year",
        "first year",
        shown.first,
        Kind::Year,
        None,
        0,
    );
    figure(r, "last_year", "last year", shown.last, Kind::Year, None, 0);
}

/// A party's expression and members as figures.
fn party_figures(r: &mut Report, key: &str, label: &str, expr: &str, members: &[&str]) {
    figure(r, key, label, expr, Kind::Text, None, 0);
    figure(
        r,
        &format!("{key}_members"),
        &format!("{label}: members in the data"),
        codes_value(members),
        Kind::Code,
        None,
        0,
    );
}

fn thresholds(q: &TradeDependRequest) -> Result<Thresholds> {
    for (field, v) in [
        ("hhi_imports", q.hhi_imports),
        ("hhi_world", q.hhi_world),
        ("ratio", q.ratio),
    ] {
        let hhi = field != "ratio";
        if !(v.is_finite() && v >= 0.0 && (!hhi || v <= 1.0)) {
            return Err(Error::usage(
                field,
                if hhi {
                    format!(
                        "--{} {v}: an HHI is between 0 and 1; give a threshold in [0, 1]",
                        field.replace('_', "-")
                    )
                } else {
                    format!(
                        "--{} {v}: give a finite number ≥ 0",
                        field.replace('_', "-")
                    )
                },
            ));
        }
    }
    Ok(Thresholds {
        hhi_imports: q.hhi_imports,
        hhi_world: q.hhi_world,
        ratio: q.ratio,
        ..Default::default()
    })
}

fn threshold_params(r: &mut Report, q: &TradeDependRequest) {
    param(r, "hhi_imports", "import HHI above", q.hhi_imports);
    param(r, "hhi_world", "world export HHI above", q.hhi_world);
    param(r, "ratio", "imports/exports above", q.ratio);
}

/// Runs `trade_depend`.
pub fn depend(ws: &Workspace, q: &TradeDependRequest, progress: &dyn Progress) -> Result<Report> {
    if q.programme.is_some() {
        return Err(Error::usage(
            "programme",
            "a programme of targets goes with trade monitor (years), not trade depend",
        ));
    }
    let th = thresholds(q)?;
    let window = Window::new(q.year, q.years.as_deref())?;
    if q.each && q.on.is_some() {
        return Err(Error::usage(
            "on",
            "--on does not go with --each: the screen of each importer reports no share from a bloc; \
             leave out --each for the share of imports from ON",
        ));
    }
    if q.each && q.all {
        return Err(Error::usage(
            "all",
            "--all does not go with --each (one row per importer); leave out --each to list every product",
        ));
    }
    let date = as_of(&q.as_of)?;
    let t = load(ws, &q.source(), window, false, progress)?;
    let reg = ws.registry(q.blocs.as_ref())?;
    let importer = t.members(&reg, date, &q.importer, "importer")?;
    let shown = window.shown(&t.read.years, &t.source)?;
    if q.each {
        return depend_each(q, &t, &importer, shown, &th, progress);
    }
    let bloc = match &q.on {
        Some(e) => t.members(&reg, date, e, "on")?,
        None => Vec::new(),
    };
    progress.stage("screening");
    let screened = t.flows.screen(&importer, &bloc, &th)?;
    let mut r = compose::report(
        "trade_depend",
        format!("product dependency screen of {} — {}", q.importer, t.source),
        None,
    );
    param(&mut r, "years", "years", shown.text());
    threshold_params(&mut r, q);
    param(
        &mut r,
        "persistence",
        "persistence",
        format!("{} of {} consecutive years", th.persistence, th.window),
    );
    let members = t.codes(&importer);
    line(&mut r, "importer", members.join(" "));
    party_figures(&mut r, "importer", "importer", &q.importer, &members);
    if let Some(on) = &q.on {
        party_figures(&mut r, "on", "share of imports from", on, &t.codes(&bloc));
    }
    window_figures(&mut r, shown);
    t.describe_input(&mut r);
    let imported = screened.iter().filter(|s| shown.contains(s.year)).count();
    let dependent: Vec<&Screened> = screened
        .iter()
        .filter(|s| s.year == shown.year && s.dependent)
        .collect();
    let persistent = dependent.iter().filter(|s| s.persistent).count();
    line(&mut r, "products imported", imported.to_string());
    line(
        &mut r,
        "dependent",
        format!("{} ({persistent} persistent)", dependent.len()),
    );
    figure(
        &mut r,
        "products_imported",
        "products imported",
        imported,
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "year",
        "year of the counts",
        shown.year,
        Kind::Year,
        None,
        0,
    );
    figure(
        &mut r,
        "dependent",
        "dependent products",
        dependent.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "persistent",
        "persistently dependent products",
        persistent,
        Kind::Count,
        None,
        0,
    );
    let mut rows: Vec<&Screened> = screened
        .iter()
        .filter(|s| shown.contains(s.year) && (q.all || s.dependent))
        .collect();
    rows.sort_by(|x, y| x.year.cmp(&y.year).then(y.imports.total_cmp(&x.imports)));
    r.tables.push(screen_table(&t, rows, q.top)?);
    t.notes(&mut r);
    r.notes.push(
        "criteria of CEPII GeoDep / EU SWD(2021) 352: import HHI, world-export HHI, imports/exports; method in \
         docs/indicators.md"
            .into(),
    );
    Ok(r)
}

/// The screen's rows: one per product and year.
fn screen_table(
    t: &Trade,
    rows: Vec<&Screened>,
    top: Option<usize>,
) -> Result<sovra_report::Table> {
    let d = SCREEN_DOC;
    let mut cols = vec![Column::int("year", "year", Kind::Year)];
    cols.extend(product_columns("product", "product", d));
    cols.extend([
        value_column(t, "imports", "imports", d),
        value_column(t, "exports", "exports", d).hidden(),
        ratio("hhi_imports", "HHI imports", 3).doc(d),
        ratio("hhi_world", "HHI world", 3).doc(d),
        ratio("imports_exports", "imports/exports", 2).doc(d),
        flag("no_exports", "no exports").doc(d).hidden(),
        code("top_supplier", "top supplier"),
        share("top_supplier_share", "share").doc(d),
        share("share_from_bloc", "from bloc").doc(d),
        flag("dependent", "dependent").doc(d),
        flag("persistent", "persistent").doc(d),
    ]);
    let mut tb = TableBuilder::new("products", "dependency screen by product and year", cols);
    for s in rows.into_iter().take(top.unwrap_or(usize::MAX)) {
        let (supplier, supplier_share) = match s.top_supplier {
            Some((c, v)) => (t.flows.countries()[c].as_str().into(), num(v)),
            None => (Value::Null, Value::Null),
        };
        let mut row: Vec<Value> = vec![Value::Int(s.year.into())];
        row.extend(t.product(s.product));
        row.extend([
            num(s.imports),
            num(s.exports),
            num(s.hhi_imports),
            num(s.hhi_world),
            ratio_value(s),
            (s.exports <= 0.0).into(),
            supplier,
            supplier_share,
            s.share_from_bloc.map_or(Value::Null, num),
            s.dependent.into(),
            s.persistent.into(),
        ]);
        tb.push_row(row)?;
    }
    Ok(tb.finish())
}

/// One importer in one year of the screen of each.
struct EachRow<'a> {
    year: i32,
    importer: usize,
    imported: usize,
    dependent: usize,
    persistent: usize,
    largest: Option<&'a Screened>,
}

/// `trade_depend` with `each`: one row per country of the importer (and year).
fn depend_each(
    q: &TradeDependRequest,
    t: &Trade,
    importers: &[usize],
    shown: Shown,
    th: &Thresholds,
    progress: &dyn Progress,
) -> Result<Report> {
    progress.stage("screening each importer");
    let screened = t.flows.screen_each(th)?;
    let years: Vec<i32> = t
        .read
        .years
        .iter()
        .copied()
        .filter(|y| shown.contains(*y))
        .collect();
    let mut r = compose::report(
        "trade_depend",
        format!(
            "product dependency screen of each importer in {} — {}",
            q.importer, t.source
        ),
        None,
    );
    let single = years.len() == 1;
    param(
        &mut r,
        "years",
        if single { "year" } else { "years" },
        shown.text(),
    );
    threshold_params(&mut r, q);
    let members = t.codes(importers);
    party_figures(&mut r, "importer", "importer", &q.importer, &members);
    window_figures(&mut r, shown);
    t.describe_input(&mut r);
    line(&mut r, "importers", importers.len().to_string());
    figure(
        &mut r,
        "importers",
        "importers",
        importers.len(),
        Kind::Count,
        None,
        0,
    );
    let d = SCREEN_DOC;
    let year_column = Column::int("year", "year", Kind::Year);
    let mut cols = vec![
        if single {
            year_column.hidden()
        } else {
            year_column
        },
        code("importer", "importer"),
        count("products_imported", "products imported").doc(d),
        count("dependent", "dependent").doc(d),
        count("persistent", "persistent").doc(d),
    ];
    cols.extend(product_columns(
        "largest_product",
        "largest dependent product",
        d,
    ));
    cols.extend([
        value_column(t, "largest_imports", "its imports", d),
        code("largest_top_supplier", "its top supplier"),
        share("largest_top_supplier_share", "its top supplier's share")
            .decimals(0)
            .join("largest_top_supplier"),
    ]);
    let mut tb = TableBuilder::new("importers", "dependency screen by importer", cols);
    for &year in &years {
        let mut rows: Vec<EachRow> = importers
            .iter()
            .map(|&j| {
                let of_year: Vec<&Screened> =
                    screened[j].iter().filter(|s| s.year == year).collect();
                let dependent: Vec<&Screened> =
                    of_year.iter().copied().filter(|s| s.dependent).collect();
                EachRow {
                    year,
                    importer: j,
                    imported: of_year.len(),
                    dependent: dependent.len(),
                    persistent: dependent.iter().filter(|s| s.persistent).count(),
                    largest: dependent
                        .into_iter()
                        .max_by(|x, y| x.imports.total_cmp(&y.imports)),
                }
            })
            .collect();
        rows.sort_by(|x, y| {
            y.dependent
                .cmp(&x.dependent)
                .then(x.importer.cmp(&y.importer))
        });
        for e in rows.into_iter().take(q.top.unwrap_or(usize::MAX)) {
            let mut row: Vec<Value> = vec![
                Value::Int(e.year.into()),
                t.flows.countries()[e.importer].as_str().into(),
                e.imported.into(),
                e.dependent.into(),
                e.persistent.into(),
            ];
            match e.largest {
                Some(s) => {
                    row.extend(t.product(s.product));
                    row.push(num(s.imports));
                    match s.top_supplier {
                        Some((c, v)) => {
                            row.extend([t.flows.countries()[c].as_str().into(), num(v)]);
                        }
                        None => row.extend([Value::Null, Value::Null]),
                    }
                }
                None => row.extend([
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]),
            }
            tb.push_row(row)?;
        }
    }
    r.tables.push(tb.finish());
    t.notes(&mut r);
    Ok(r)
}

/// Runs `trade_suppliers`.
pub fn suppliers(ws: &Workspace, q: &SuppliersRequest, progress: &dyn Progress) -> Result<Report> {
    if q.product.is_none() && !q.all_dependent {
        return Err(Error::usage(
            "product",
            "give a product (a code as in the data, e.g. 850760) or all_dependent",
        ));
    }
    let window = Window::new(q.year, None)?;
    let date = as_of(&q.as_of)?;
    let t = load(ws, &q.source(), window, false, progress)?;
    let year = window.shown(&t.read.years, &t.source)?.year;
    let reg = ws.registry(q.blocs.as_ref())?;
    let importer = t.members(&reg, date, &q.importer, "importer")?;
    let partners = match &q.partners {
        Some(e) => t.members(&reg, date, e, "partners")?,
        None => Vec::new(),
    };
    let products: Vec<usize> = match &q.product {
        Some(p) if !q.all_dependent => vec![
            t.flows
                .products()
                .iter()
                .position(|x| x == p)
                .ok_or_else(|| unknown("product", "product", p, t.flows.products(), &t.source))?,
        ],
        _ => {
            progress.stage("screening");
            t.flows
                .screen(&importer, &[], &Thresholds::default())?
                .into_iter()
                .filter(|s| s.year == year && s.dependent)
                .map(|s| s.product)
                .collect()
        }
    };
    let mut r = compose::report(
        "trade_suppliers",
        format!("alternative suppliers to {} — {}", q.importer, t.source),
        None,
    );
    param(&mut r, "year", "year", Value::Int(year.into()));
    param(
        &mut r,
        "partners",
        "partners",
        q.partners.as_deref().unwrap_or("any"),
    );
    party_figures(
        &mut r,
        "importer",
        "importer",
        &q.importer,
        &t.codes(&importer),
    );
    if let Some(p) = &q.partners {
        party_figures(&mut r, "partners", "partners", p, &t.codes(&partners));
    }
    t.describe_input(&mut r);
    line(&mut r, "products", products.len().to_string());
    figure(
        &mut r,
        "products",
        "products",
        products.len(),
        Kind::Count,
        None,
        0,
    );
    let d = SUPPLIERS_DOC;
    let mut cols = product_columns("product", "product", d).to_vec();
    cols.extend([
        rank(),
        code("exporter", "exporter"),
        share("world_share", "world share").doc(d),
        ratio("rca", "RCA", 2).doc(d),
        value_column(&t, "to_importer", "to importer", d),
        value_column(&t, "elsewhere", "elsewhere", d),
        value_column(&t, "world_exports", "world exports", d).hidden(),
    ]);
    let mut tb = TableBuilder::new("suppliers", "alternative suppliers by product", cols);
    let none_dependent = products.is_empty();
    let mut without: Vec<&str> = Vec::new();
    progress.stage("suppliers");
    let all = t.flows.suppliers(&importer, &partners, year, &products)?;
    for (p, found) in products.into_iter().zip(all) {
        if found.is_empty() {
            without.push(t.flows.products()[p].as_str());
        }
        for (k, s) in found
            .into_iter()
            .take(q.top.unwrap_or(usize::MAX))
            .enumerate()
        {
            let mut row: Vec<Value> = t.product(p).to_vec();
            row.extend([
                (k + 1).into(),
                t.flows.countries()[s.exporter].as_str().into(),
                num(s.world_share),
                num(s.rca),
                num(s.to_importer),
                num(s.elsewhere),
                num(s.world_exports),
            ]);
            tb.push_row(row)?;
        }
    }
    r.tables.push(tb.finish());
    // An empty answer says why.
    if none_dependent {
        r.notes.push(format!(
            "{} has no dependent product in {year} (the screen of trade depend with its default thresholds): no \
             product to find suppliers for; name one with product",
            q.importer
        ));
    }
    if !without.is_empty() {
        let among = match &q.partners {
            Some(p) => format!("among the partners {p} ({})", t.codes(&partners).join(" ")),
            None => format!("other than {}", q.importer),
        };
        let shown: Vec<&str> = without.iter().take(10).copied().collect();
        r.notes.push(format!(
            "no exporter {among} exported {} in {year}{}: no supplier to list",
            shown.join(", "),
            if without.len() > shown.len() {
                format!(" (and {} more products)", without.len() - shown.len())
            } else {
                String::new()
            }
        ));
    }
    r.notes.push(
        "ranked by share of world exports of the product; RCA on world exports (Balassa); 'elsewhere' = exports \
         to everyone but the importer: room to redirect"
            .into(),
    );
    t.notes(&mut r);
    Ok(r)
}

/// The party of `opportunities`: a code of the data is that country; anything else is a bloc or an
/// expression resolved on `as_of` (a plain code the data lacks and no bloc names is an unknown country).
fn opportunities_party(
    ws: &Workspace,
    t: &Trade,
    q: &OpportunitiesRequest,
    date: Date,
) -> Result<Vec<usize>> {
    let name = q.country.trim();
    if let Some(c) = t.flows.countries().iter().position(|x| x == name) {
        return Ok(vec![c]);
    }
    let reg = ws.registry(q.blocs.as_ref())?;
    let plain = !name.contains(['+', '-', '&', '(', ')']);
    if plain && reg.get(name).is_none() {
        return Err(unknown(
            "country",
            "country",
            name,
            t.flows.countries(),
            &t.source,
        ));
    }
    t.members(&reg, date, name, "country")
}

/// Runs `opportunities`.
pub fn opportunities(
    ws: &Workspace,
    q: &OpportunitiesRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    let window = Window::new(q.year, None)?;
    let date = as_of(&q.as_of)?;
    let t = load(ws, &q.source(), window, false, progress)?;
    let year = window.shown(&t.read.years, &t.source)?.year;
    let party = opportunities_party(ws, &t, q, date)?;
    progress.stage("ranking");
    let ranked = sovra_trade::opportunities::rank(&*t.flows, &party, year, &Thresholds::default())?;
    // A bloc or expression, even one with a single member in the data (its members are then reported).
    let bloc = party.len() > 1 || t.flows.countries()[party[0]] != q.country.trim();
    let lead = if bloc {
        t.flows.lead_exporters(&party, year)?
    } else {
        Vec::new()
    };
    let mut r = compose::report(
        "opportunities",
        format!(
            "import-substitution opportunities of {} — {}",
            q.country, t.source
        ),
        None,
    );
    param(&mut r, "year", "year", Value::Int(year.into()));
    if !q.products.is_empty() {
        param(&mut r, "products", "products", q.products.join(","));
    }
    if bloc {
        param(&mut r, "as_of", "as of", date.to_string());
        let members = t.codes(&party);
        line(&mut r, "bloc", members.join(" "));
        party_figures(&mut r, "country", "country", &q.country, &members);
    } else {
        figure(
            &mut r,
            "country",
            "country",
            q.country.as_str(),
            Kind::Code,
            None,
            0,
        );
    }
    t.describe_input(&mut r);
    let shown: Vec<&sovra_trade::opportunities::Opportunity> = ranked
        .opportunities
        .iter()
        .filter(|o| {
            q.products.is_empty()
                || q.products
                    .iter()
                    .any(|pre| t.flows.products()[o.product].starts_with(pre.trim()))
        })
        .collect();
    line(&mut r, "candidates", shown.len().to_string());
    figure(
        &mut r,
        "candidates",
        "candidates",
        shown.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "reference_pairs",
        "reference: country × product pairs without RCA",
        ranked.reference_pairs,
        Kind::Count,
        None,
        0,
    );
    let (d, s) = (SUPPLIERS_DOC, SCREEN_DOC);
    let mut cols = vec![rank()];
    cols.extend(product_columns("product", "product", d));
    cols.extend([
        ratio("score", "score", 3).doc(d),
        ratio("rank_score", "rank score", 3).doc(d),
        ratio("density", "density", 3).doc(d),
        ratio("pci", "PCI", 2).doc(d),
        ratio("cog", "COG", 2).doc(d),
        value_column(&t, "imports", "imports", s),
        code("top_supplier", "top supplier"),
        share("top_supplier_share", "top supplier's share")
            .decimals(0)
            .join("top_supplier"),
        text("why", "why"),
        share("density_percentile", "density percentile")
            .doc(d)
            .hidden(),
        share("pci_percentile", "PCI percentile").doc(d).hidden(),
        share("cog_percentile", "COG percentile").doc(d).hidden(),
        ratio("hhi_imports", "HHI imports", 3).doc(s).hidden(),
        ratio("hhi_world", "HHI world", 3).doc(s).hidden(),
        ratio("imports_exports", "imports/exports", 2)
            .doc(s)
            .hidden(),
        flag("no_exports", "no exports").doc(s).hidden(),
    ]);
    if bloc {
        cols.push(code("lead_member", "lead member").doc(d).hidden());
    }
    let mut tb = TableBuilder::new("opportunities", "import-substitution opportunities", cols);
    for (k, o) in shown.iter().take(q.top.unwrap_or(usize::MAX)).enumerate() {
        let sc = &o.screened;
        let (supplier, supplier_share) = match sc.top_supplier {
            Some((c, v)) => (t.flows.countries()[c].as_str().into(), num(v)),
            None => (Value::Null, Value::Null),
        };
        let mut row: Vec<Value> = vec![(k + 1).into()];
        row.extend(t.product(o.product));
        row.extend([
            num(o.score),
            num(o.rank_score),
            num(o.density),
            num(o.pci),
            num(o.cog),
            num(sc.imports),
            supplier,
            supplier_share,
            // Worded for people as the CLI always printed it (the screen's 9999 when nothing is exported);
            // machines read the columns after it.
            format!(
                "dependent (import HHI {:.2}, world HHI {:.2}, imports/exports {:.1}); no RCA yet",
                sc.hhi_imports, sc.hhi_world, sc.ratio
            )
            .into(),
            num(o.percentiles[0]),
            num(o.percentiles[1]),
            num(o.percentiles[2]),
            num(sc.hhi_imports),
            num(sc.hhi_world),
            ratio_value(sc),
            (sc.exports <= 0.0).into(),
        ]);
        if bloc {
            row.push(match lead[o.product] {
                Some(c) => t.flows.countries()[c].as_str().into(),
                None => Value::Null,
            });
        }
        tb.push_row(row)?;
    }
    r.tables.push(tb.finish());
    r.notes.push(
        "candidates: dependent products without RCA; score = mean of the percentiles of density \
         (feasibility), PCI (complexity) and COG (outlook gain) among the year's country × product pairs \
         without RCA (comparable across countries and lists); rank score = the same mean of percentile ranks \
         among these candidates only; docs/indicators.md"
            .into(),
    );
    if bloc {
        r.notes.push(
            "a bloc is one exporter: its exports to outside it (internal trade left out), its RCA against \
             the world less its internal trade; density and COG in the countries' product space"
                .into(),
        );
    }
    t.notes(&mut r);
    Ok(r)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A project file (TOML, the format `sovra projects` reads: [`crate::projects`], `docs/projects.md`) started from an `opportunities` report: one
/// `[[project]]` per row, in the report's order. The host is the country (for a bloc: the member that
/// exports most of the product to outside it, a suggestion; empty when none does) and a bloc's members (on
/// the report's date) are what the project serves. Capacity and cost are written as 0 (0 is valid and changes nothing) and `sector` empty:
/// the header says the user must fill them, since the table's sector of an HS product needs a concordance
/// sovra does not ship.
pub fn projects_toml(report: &Report) -> Result<String> {
    let bad = |what: &str| {
        Error::new(
            ErrorKind::Usage,
            format!("the opportunities report has no {what}"),
        )
    };
    if report.kind != "opportunities" {
        return Err(bad("opportunities table (another kind of report)"));
    }
    let table = report
        .tables
        .iter()
        .find(|t| t.key == "opportunities")
        .ok_or_else(|| bad("opportunities table"))?;
    let col = |key: &str| table.column(key).ok_or_else(|| bad(key));
    let (product, name, score, rank_score) = (
        col("product")?,
        col("product_name")?,
        col("score")?,
        col("rank_score")?,
    );
    let (density, pci, cog, imports) = (col("density")?, col("pci")?, col("cog")?, col("imports")?);
    let lead = table.column("lead_member");
    let party = report
        .summary
        .iter()
        .find(|f| f.key == "country")
        .and_then(|f| f.value.as_str().map(str::to_string))
        .ok_or_else(|| bad("country"))?;
    // A bloc serves its members as of the report's date, written out so that the file does not depend on
    // when it is read.
    let members: Vec<String> = match report.summary.iter().find(|f| f.key == "country_members") {
        Some(f) => match &f.value {
            Value::List(m) => m
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let year = report
        .parameters
        .iter()
        .find(|p| p.key == "year")
        .map(|p| p.value.to_string())
        .unwrap_or_default();
    let slug: String = party
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = format!(
        "# Candidate projects started from `sovra opportunities {party}` ({year}; {title}).\n\
         # Scores are sovra's absolute opportunity scores (docs/indicators.md); values in the trade data's unit.\n\
         #\n\
         # TO FILL BEFORE USE (sovra cannot know them):\n\
         # - sector: the MRIO table's sector code of what the plant makes (icio2022: ISIC Rev.4 based, e.g. C26,\n\
         #   C29; see `sovra info`). Products here are HS codes, and sovra ships no HS -> ISIC concordance.\n\
         # - capacity (output per year) and cost (investment), in the table's unit (USD million): written as 0,\n\
         #   which is valid and changes nothing.\n\
         # - host: the region where the capacity is built{host_note}.\n\
         # Optional fields (payers, serves, replaces, requires, excludes): docs/projects.md and\n\
         #   examples/union-state-projects.toml. Then: sovra projects evaluate FILE (or select).\n",
        title = report.title,
        host_note = if lead.is_some() {
            " (for a bloc, a suggestion: the member that\n#   exports most of the product to outside the bloc; empty where no member exports it)"
        } else {
            ""
        },
    );
    for i in 0..table.len() {
        let code = product.values.get(i);
        let code = code.as_str().ok_or_else(|| bad("product code"))?;
        let label = match name.values.get(i).as_str() {
            Some(n) => format!("HS {code}: {n}"),
            None => format!("HS {code}"),
        };
        let host = match (&lead, members.as_slice()) {
            (None, _) => party.clone(),
            (Some(_), [only]) => only.clone(),
            (Some(l), _) => l.values.get(i).as_str().unwrap_or("").to_string(),
        };
        let f = |c: &sovra_report::Column| c.values.get(i).as_f64().unwrap_or(f64::NAN);
        out.push_str(&format!(
            "\n# score {:.3}, rank score {:.3}: density {:.3}, PCI {:.2}, COG {:.2}; imports {:.1}\n\
             [[project]]\n\
             id = {}\n\
             name = {}\n\
             host = {}\n\
             sector = \"\"\n\
             capacity = 0\n\
             cost = 0\n",
            f(score),
            f(rank_score),
            f(density),
            f(pci),
            f(cog),
            f(imports),
            toml_string(&format!("hs{code}-{slug}")),
            toml_string(&label),
            toml_string(&host),
        ));
        if !members.is_empty() {
            out.push_str(&format!("serves = {}\n", toml_string(&members.join("+"))));
        }
    }
    Ok(out)
}

fn default_memory_limit() -> f64 {
    2.0
}

/// `trade import`: bilateral trade files into a trade store. It writes, so it is not a [`crate::Request`]:
/// the CLI calls [`import`] directly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TradeImportOptions {
    /// BACI (`t,i,j,k,v,q`) or long (`year,exporter,importer,product,value[,quantity]`) files, .csv or
    /// .csv.gz.
    pub files: Vec<PathBuf>,
    /// BACI's country-code file, needed for BACI files.
    #[serde(default)]
    pub country_codes: Option<PathBuf>,
    /// The store (default: the workspace's, [`Workspace::trade_store`]). Imported years replace those years
    /// in the store; the others are kept.
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// Memory the duplicate check may use before it spills to disk, in GiB.
    #[serde(default = "default_memory_limit")]
    pub memory_limit: f64,
    /// If another import is writing to the store, wait for it to finish (else fail, naming it).
    #[serde(default)]
    pub wait: bool,
}

/// Years separated by spaces.
fn year_list<'a>(years: impl IntoIterator<Item = &'a i32>) -> String {
    years
        .into_iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Imports files into a trade store (all or nothing) and reports what was written.
pub fn import(ws: &Workspace, o: &TradeImportOptions, progress: &dyn Progress) -> Result<Report> {
    if !(o.memory_limit.is_finite() && o.memory_limit > 0.0) {
        return Err(Error::usage(
            "memory_limit",
            format!(
                "--memory-limit {}: give a positive number of GiB",
                o.memory_limit
            ),
        ));
    }
    if o.files.is_empty() {
        return Err(Error::usage("files", "no file to import"));
    }
    let codes = match &o.country_codes {
        Some(f) => {
            Some(bilateral::read_baci_codes(f).map_err(|e| Error::from(e).at("country_codes"))?)
        }
        None => None,
    };
    let dir = o.store.clone().unwrap_or_else(|| ws.trade_store());
    let opts = sovra_lake::import::ImportOptions {
        memory_limit: (o.memory_limit * (1u64 << 30) as f64) as usize,
        ..Default::default()
    };
    progress.stage("importing");
    let rows_read = |n: u64| progress.stage(&format!("importing: {n} rows"));
    let wait = if o.wait {
        sovra_core::lock::Wait::Forever
    } else {
        sovra_core::lock::Wait::No
    };
    let rep =
        sovra_lake::import::import_with(&o.files, codes.as_ref(), &dir, &opts, wait, &rows_read)
            .map_err(|e| {
                let mut e = Error::from(e);
                // An import is all or nothing: say so whatever stopped it (a store held by another
                // writer is not a failed import).
                if e.kind == ErrorKind::BadData && !e.message.contains("nothing was imported") {
                    e.message
                        .push_str("; nothing was imported (the store is unchanged)");
                }
                e
            })?;
    let mut r = compose::report(
        "trade_import",
        format!("trade imported into {}", dir.display()),
        None,
    );
    let stored: u64 = rep.years.values().sum();
    let imported: Vec<i32> = rep.years.keys().copied().collect();
    line(&mut r, "rows stored", stored.to_string());
    line(&mut r, "years imported", year_list(&imported));
    line(
        &mut r,
        "years replaced",
        if rep.replaced.is_empty() {
            "none".into()
        } else {
            year_list(&rep.replaced)
        },
    );
    line(&mut r, "store holds", year_list(&rep.store_years));
    line(
        &mut r,
        "seconds",
        format!(
            "{:.1} reading and writing, {:.1} checking for repeated rows",
            rep.seconds_write, rep.seconds_check
        ),
    );
    figure(
        &mut r,
        "rows_stored",
        "rows stored",
        Value::Int(stored as i64),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "years_imported",
        "years imported",
        years_value(&imported),
        Kind::Year,
        None,
        0,
    );
    figure(
        &mut r,
        "years_replaced",
        "years replaced",
        years_value(&rep.replaced),
        Kind::Year,
        None,
        0,
    );
    figure(
        &mut r,
        "store_years",
        "years the store holds",
        years_value(&rep.store_years),
        Kind::Year,
        None,
        0,
    );
    figure(
        &mut r,
        "seconds_write",
        "seconds reading and writing",
        num(rep.seconds_write),
        Kind::Amount,
        Some("s"),
        1,
    );
    figure(
        &mut r,
        "seconds_check",
        "seconds checking for repeated rows",
        num(rep.seconds_check),
        Kind::Amount,
        Some("s"),
        1,
    );
    let mut tb = TableBuilder::new(
        "files",
        "files imported",
        vec![
            text("file", "file"),
            code("format", "format"),
            count("rows_read", "rows read"),
            count("zero_rows_skipped", "zero value, skipped").doc(STORE_DOC),
            text("unknown_codes", "unknown BACI codes").doc(STORE_DOC),
            text("years", "years"),
        ],
    );
    for (file, fr) in &rep.files {
        let unknown: Vec<String> = fr
            .unknown_codes
            .iter()
            .map(|(c, n)| format!("{c} ({n} rows)"))
            .collect();
        tb.push_row(vec![
            file.as_str().into(),
            fr.format.as_str().into(),
            fr.rows.into(),
            fr.zero_rows_skipped.into(),
            compose::opt_text(&unknown.join(", ")),
            year_list(&fr.years).into(),
        ])?;
    }
    r.tables.push(tb.finish());
    r.notes.push(
        "Parquet partitioned by year (year=YYYY/), read with DataFusion; provenance per year in sovra-trade.json"
            .into(),
    );
    Ok(r)
}

fn synth_countries() -> usize {
    200
}

fn synth_products() -> usize {
    5000
}

fn synth_destinations() -> f64 {
    35.0
}

fn synth_year() -> i32 {
    2022
}

fn synth_seed() -> u64 {
    1
}

/// `trade synth`: a synthetic BACI-like year written to a file. It writes, so it is not a
/// [`crate::Request`]: the CLI calls [`synth`] directly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TradeSynthOptions {
    /// Countries.
    #[serde(default = "synth_countries")]
    pub countries: usize,
    /// Products.
    #[serde(default = "synth_products")]
    pub products: usize,
    /// Average destinations per exported product.
    #[serde(default = "synth_destinations")]
    pub destinations: f64,
    /// Year.
    #[serde(default = "synth_year")]
    pub year: i32,
    /// Seed.
    #[serde(default = "synth_seed")]
    pub seed: u64,
    /// The CSV to write (atomically).
    pub out: PathBuf,
    /// BACI's format (`t,i,j,k,v,q`, numeric codes) with the country-code file `country_codes_synth.csv`
    /// beside `out`, instead of the long format.
    #[serde(default)]
    pub baci: bool,
    /// Refuse sizes whose expected row count is above this (they would not fit in memory).
    #[serde(default = "synth_max_rows")]
    pub max_rows: u64,
    /// Real codes: the ISO3 codes of the OECD ICIO countries and HS6 codes of the product bridge (so that
    /// the year lines up with icio2022 and product-level shock legs), instead of `C001`, … and made-up codes.
    #[serde(default)]
    pub real_codes: bool,
    /// A series of years `"Y1:Y2"` instead of one: `out` is then a directory, one file per year
    /// (`synth_Y.csv`, or BACI's `BACI_HS92_YY_Vsynth.csv` with `baci`), the same world each year with
    /// capabilities drifting; each year is generated and written before the next, so memory holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<String>,
}

fn synth_max_rows() -> u64 {
    SYNTH_MAX_ROWS
}

/// Default cap on a synthetic year's expected rows: ~9 BACI years, ~6 GB while it is generated.
pub const SYNTH_MAX_ROWS: u64 = 100_000_000;

/// Expected rows of a synthetic year: each exporter–product pair exports with probability ≤ 0.6 (≈ 0.3 on
/// average) to about `destinations` importers (at most every other country).
pub fn synth_expected_rows(countries: usize, products: usize, destinations: f64) -> f64 {
    0.3 * countries as f64 * products as f64 * destinations.min(countries.saturating_sub(1) as f64)
}

/// Writes a synthetic year and reports what was written (the title says it for people).
pub fn synth(o: &TradeSynthOptions) -> Result<Report> {
    if o.countries < 2 || o.products < 2 || !o.destinations.is_finite() || o.destinations <= 0.0 {
        return Err(Error::new(
            ErrorKind::Usage,
            "need at least 2 countries, 2 products and destinations > 0",
        ));
    }
    if o.products > 890_000 || o.countries > 999_999 {
        return Err(Error::usage(
            if o.products > 890_000 {
                "products"
            } else {
                "countries"
            },
            format!(
                "{} countries × {} products: at most 999,999 countries and 890,000 products have distinct codes",
                o.countries, o.products
            ),
        ));
    }
    if o.real_codes {
        let np = sovra_trade::synth::real_products().len();
        if o.countries > sovra_trade::synth::REAL_COUNTRIES || o.products > np {
            return Err(Error::usage(
                if o.products > np {
                    "products"
                } else {
                    "countries"
                },
                format!(
                    "real codes offer {} countries and {np} products; asked for {} × {}",
                    sovra_trade::synth::REAL_COUNTRIES,
                    o.countries,
                    o.products
                ),
            ));
        }
    }
    let expected = synth_expected_rows(o.countries, o.products, o.destinations);
    if expected > o.max_rows as f64 {
        return Err(Error::usage(
            "max_rows",
            format!(
                "{} countries × {} products × {} destinations would be about {:.0} million rows (~{:.0} GB while \
                 generated), over the limit of {} million; make it smaller or raise --max-rows",
                o.countries,
                o.products,
                o.destinations,
                expected / 1e6,
                expected * 64.0 / 1e9,
                o.max_rows / 1_000_000
            ),
        ));
    }
    let spec = sovra_trade::synth::Spec {
        countries: o.countries,
        products: o.products,
        destinations: o.destinations,
        year: o.year,
        seed: o.seed,
        real_codes: o.real_codes,
    };
    if let Some(range) = &o.years {
        return synth_series(o, spec, range);
    }
    let flows = sovra_trade::synth::year(spec);
    let rows = flows.rows.len();
    let (title, codes_path) = if o.baci {
        let codes_path = o
            .out
            .parent()
            .unwrap_or(Path::new("."))
            .join("country_codes_synth.csv");
        write_synth(&flows, o, &o.out, Some(&codes_path))?;
        (
            format!(
                "{rows} rows written to {} (BACI format; country codes in {})",
                o.out.display(),
                codes_path.display()
            ),
            Some(codes_path),
        )
    } else {
        write_synth(&flows, o, &o.out, None)?;
        (format!("{rows} rows written to {}", o.out.display()), None)
    };
    let mut r = compose::report("trade_synth", title, None);
    figure(&mut r, "rows", "rows written", rows, Kind::Count, None, 0);
    figure(
        &mut r,
        "out",
        "file written",
        o.out.display().to_string(),
        Kind::Text,
        None,
        0,
    );
    if let Some(p) = codes_path {
        figure(
            &mut r,
            "country_codes",
            "country-code file written",
            p.display().to_string(),
            Kind::Text,
            None,
            0,
        );
    }
    Ok(r)
}

/// Writes a synthetic year to `out`: BACI's format (and the country-code file at `codes`) or the long one.
fn write_synth(
    flows: &Bilateral,
    o: &TradeSynthOptions,
    out: &Path,
    codes: Option<&Path>,
) -> Result<()> {
    match codes {
        Some(codes_path) => {
            let (data, codes) = sovra_trade::synth::to_baci_csv(flows, o.seed);
            write_atomic(out, data.as_bytes())?;
            write_atomic(codes_path, codes.as_bytes())?;
        }
        None => write_atomic(out, sovra_trade::synth::to_long_csv(flows).as_bytes())?,
    }
    Ok(())
}

/// `trade synth` with `years`: one file per year in the directory `out`.
fn synth_series(
    o: &TradeSynthOptions,
    spec: sovra_trade::synth::Spec,
    range: &str,
) -> Result<Report> {
    let bad = || {
        Error::usage(
            "years",
            format!("years '{range}': write FIRST:LAST, e.g. 1995:2024"),
        )
    };
    let (a, b) = range.split_once(':').ok_or_else(bad)?;
    let (first, last): (i32, i32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if first > last || last - first > 200 {
        return Err(bad());
    }
    if o.out.is_file() {
        return Err(Error::usage(
            "out",
            format!(
                "{} is a file: with years, out is a directory (one file per year)",
                o.out.display()
            ),
        ));
    }
    std::fs::create_dir_all(&o.out).map_err(|e| {
        Error::new(
            ErrorKind::External,
            format!("cannot create {}: {e}", o.out.display()),
        )
    })?;
    let codes_path = o.out.join("country_codes_synth.csv");
    let mut total = 0usize;
    let mut files = Vec::new();
    for y in first..=last {
        let flows =
            sovra_trade::synth::series_year(sovra_trade::synth::Spec { year: y, ..spec }, first);
        total += flows.rows.len();
        let name = if o.baci {
            format!("BACI_HS92_Y{y}_Vsynth.csv")
        } else {
            format!("synth_{y}.csv")
        };
        let out = o.out.join(name);
        write_synth(&flows, o, &out, o.baci.then_some(codes_path.as_path()))?;
        files.push(out);
    }
    let mut r = compose::report(
        "trade_synth",
        format!(
            "{total} rows written to {} ({} years, {first}–{last}, one file each{})",
            o.out.display(),
            files.len(),
            if o.baci {
                format!("; BACI format, country codes in {}", codes_path.display())
            } else {
                String::new()
            }
        ),
        None,
    );
    figure(&mut r, "rows", "rows written", total, Kind::Count, None, 0);
    figure(
        &mut r,
        "years",
        "years written",
        files.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "out",
        "directory written",
        o.out.display().to_string(),
        Kind::Text,
        None,
        0,
    );
    Ok(r)
}

/// Why a product left the dependent list between two years (the criteria that stopped holding).
fn left_reasons(first: &Screened, last: Option<&Screened>, th: &Thresholds) -> (String, String) {
    let Some(last) = last else {
        return ("not_imported".into(), "no longer imported".into());
    };
    let mut keys = Vec::new();
    let mut words = Vec::new();
    if last.hhi_imports <= th.hhi_imports {
        keys.push("diversification");
        words.push(format!(
            "diversified suppliers (import HHI {:.2} → {:.2})",
            first.hhi_imports, last.hhi_imports
        ));
    }
    if last.ratio <= th.ratio {
        let grew = |a: f64, b: f64| if a > 0.0 { b / a } else { f64::INFINITY };
        if grew(first.exports, last.exports) >= grew(first.imports, last.imports) {
            keys.push("more_exports");
            words.push(format!(
                "more domestic exports (imports/exports {} → {:.2})",
                if first.exports > 0.0 {
                    format!("{:.2}", first.ratio)
                } else {
                    "no exports".into()
                },
                last.ratio
            ));
        } else {
            keys.push("less_imports");
            words.push(format!(
                "less imports (imports/exports {:.2} → {:.2})",
                first.ratio, last.ratio
            ));
        }
    }
    if last.hhi_world <= th.hhi_world {
        keys.push("world_supply_diversified");
        words.push(format!(
            "world exports less concentrated (HHI {:.2} → {:.2})",
            first.hhi_world, last.hhi_world
        ));
    }
    (keys.join("+"), words.join("; "))
}

/// `trade_monitor`: the product-level screen year by year against them — per HS6 product and year the
/// imports, the share from them, import HHI and the GeoDep flags; the products that entered and left the
/// dependent list between the first and the last year, and for each that left, how (diversification, more
/// domestic exports, less imports, world supply less concentrated) and whether imports from them fell.
pub fn monitor(ws: &Workspace, q: &TradeDependRequest, progress: &dyn Progress) -> Result<Report> {
    let th = thresholds(q)?;
    let Some(on) = &q.on else {
        return Err(Error::usage(
            "on",
            "trade monitor follows imports from them: give --on THEM (a country, bloc or expression)",
        ));
    };
    if q.each {
        return Err(Error::usage(
            "each",
            "--each does not go with trade monitor: monitor one importer (or bloc) at a time",
        ));
    }
    if q.year.is_some() {
        return Err(Error::usage(
            "year",
            "trade monitor compares years: give --years FROM:TO instead of --year",
        ));
    }
    let window = Window::new(None, q.years.as_deref())?;
    let date = as_of(&q.as_of)?;
    // A programme's product groups are summed over the rows in memory.
    let t = load(ws, &q.source(), window, q.programme.is_some(), progress)?;
    let reg = ws.registry(q.blocs.as_ref())?;
    let importer = t.members(&reg, date, &q.importer, "importer")?;
    let bloc = t.members(&reg, date, on, "on")?;
    let shown = window.shown(&t.read.years, &t.source)?;
    progress.stage("screening every year");
    let screened = t.flows.screen(&importer, &bloc, &th)?;
    let years: Vec<i32> = t
        .read
        .years
        .iter()
        .copied()
        .filter(|y| shown.contains(*y))
        .collect();
    let (y0, y1) = (shown.first, shown.last);
    let mut by_product: BTreeMap<usize, BTreeMap<i32, &Screened>> = BTreeMap::new();
    for s in screened.iter().filter(|s| shown.contains(s.year)) {
        by_product.entry(s.product).or_default().insert(s.year, s);
    }
    let mut r = compose::report(
        "trade_monitor",
        format!(
            "product dependency of {} on {} year by year — {}",
            q.importer, on, t.source
        ),
        None,
    );
    param(&mut r, "years", "years", shown.text());
    threshold_params(&mut r, q);
    let members = t.codes(&importer);
    line(&mut r, "importer", members.join(" "));
    party_figures(&mut r, "importer", "importer", &q.importer, &members);
    party_figures(&mut r, "on", "them", on, &t.codes(&bloc));
    window_figures(&mut r, shown);
    t.describe_input(&mut r);
    // Per year: how many products, how many dependent, their imports and the share of those from them.
    let mut yt = TableBuilder::new(
        "years",
        "The dependent list year by year",
        vec![
            Column::int("year", "year", Kind::Year),
            count("imported", "products imported"),
            count("dependent", "dependent"),
            count("persistent", "persistent"),
            value_column(
                &t,
                "dependent_imports",
                "imports of dependent products",
                SCREEN_DOC,
            ),
            share("dependent_from_them", "of which from them").doc(SCREEN_DOC),
            share("imports_from_them", "all imports from them").doc(SCREEN_DOC),
        ],
    );
    for &y in &years {
        let rows: Vec<&Screened> = screened.iter().filter(|s| s.year == y).collect();
        let dep: Vec<&&Screened> = rows.iter().filter(|s| s.dependent).collect();
        let dep_m: f64 = dep.iter().map(|s| s.imports).sum();
        let dep_t: f64 = dep
            .iter()
            .map(|s| s.imports * s.share_from_bloc.unwrap_or(0.0))
            .sum();
        let all_m: f64 = rows.iter().map(|s| s.imports).sum();
        let all_t: f64 = rows
            .iter()
            .map(|s| s.imports * s.share_from_bloc.unwrap_or(0.0))
            .sum();
        let sh = |a: f64, b: f64| if b > 0.0 { num(a / b) } else { Value::Null };
        yt.push_row(vec![
            Value::Int(y.into()),
            Value::Int(rows.len() as i64),
            Value::Int(dep.len() as i64),
            Value::Int(dep.iter().filter(|s| s.persistent).count() as i64),
            num(dep_m),
            sh(dep_t, dep_m),
            sh(all_t, all_m),
        ])?;
    }
    // Entered and left between the first and the last year.
    let d = SCREEN_DOC;
    let mut cols = product_columns("product", "product", d).to_vec();
    cols.extend([
        code("change", "change"),
        value_column(&t, "imports_first", &format!("imports {y0}"), d),
        value_column(&t, "imports_last", &format!("imports {y1}"), d),
        share("from_them_first", &format!("from them {y0}")).doc(d),
        share("from_them_last", &format!("from them {y1}")).doc(d),
        flag("less_from_them", "less imported from them").doc("imports from them (value) fell"),
        code("reason", "how")
            .doc("the criteria that stopped holding (left) or started to (entered)"),
        text("detail", "detail"),
    ]);
    let mut ct = TableBuilder::new(
        "changes",
        format!("Entered and left the list, {y0} → {y1}"),
        cols,
    );
    let (mut entered, mut left) = (0usize, 0usize);
    let mut changes: Vec<(bool, f64, Vec<Value>)> = Vec::new();
    for (&p, ys) in &by_product {
        let (a, b) = (ys.get(&y0).copied(), ys.get(&y1).copied());
        let dep0 = a.is_some_and(|s| s.dependent);
        let dep1 = b.is_some_and(|s| s.dependent);
        if dep0 == dep1 || y0 == y1 {
            continue;
        }
        let from = |s: Option<&Screened>| s.and_then(|s| s.share_from_bloc);
        let m_t =
            |s: Option<&Screened>| s.map_or(0.0, |s| s.imports * s.share_from_bloc.unwrap_or(0.0));
        let (key, detail) = if dep0 {
            left += 1;
            left_reasons(a.expect("dependent in the first year"), b, &th)
        } else {
            entered += 1;
            let s = b.expect("dependent in the last year");
            (
                String::new(),
                format!(
                    "all three criteria hold now (import HHI {:.2}, world HHI {:.2}, imports/exports {})",
                    s.hhi_imports,
                    s.hhi_world,
                    if s.exports > 0.0 {
                        format!("{:.2}", s.ratio)
                    } else {
                        "no exports".into()
                    }
                ),
            )
        };
        let mut row: Vec<Value> = t.product(p).to_vec();
        row.extend([
            (if dep0 { "left" } else { "entered" }).into(),
            a.map_or(Value::Null, |s| num(s.imports)),
            b.map_or(Value::Null, |s| num(s.imports)),
            from(a).map_or(Value::Null, num),
            from(b).map_or(Value::Null, num),
            (m_t(b) < m_t(a)).into(),
            compose::opt_text(&key),
            detail.as_str().into(),
        ]);
        let size = a
            .map_or(0.0, |s| s.imports)
            .max(b.map_or(0.0, |s| s.imports));
        changes.push((dep0, size, row));
    }
    changes.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.total_cmp(&x.1)));
    for (_, _, row) in changes.into_iter().take(q.top.unwrap_or(usize::MAX)) {
        ct.push_row(row)?;
    }
    line(
        &mut r,
        "dependent list",
        format!("{y0} → {y1}: {entered} products entered, {left} left"),
    );
    figure(
        &mut r,
        "entered",
        "products that entered the list",
        entered,
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "left",
        "products that left the list",
        left,
        Kind::Count,
        None,
        0,
    );
    r.tables.push(yt.finish());
    r.tables.push(ct.finish());
    // Every product dependent in some year shown (or every product with `all`), year by year.
    let keep: Vec<usize> = by_product
        .iter()
        .filter(|(_, ys)| q.all || ys.values().any(|s| s.dependent))
        .map(|(p, _)| *p)
        .collect();
    let mut rows: Vec<&Screened> = screened
        .iter()
        .filter(|s| shown.contains(s.year) && keep.binary_search(&s.product).is_ok())
        .collect();
    let products = t.flows.products();
    rows.sort_by(|x, y| {
        products[x.product]
            .cmp(&products[y.product])
            .then(x.year.cmp(&y.year))
    });
    r.tables.push(screen_table(&t, rows, None)?);
    if let Some(p) = &q.programme {
        product_targets(
            &mut r,
            p,
            &t,
            &importer,
            &bloc,
            &screened,
            &years,
            &q.importer,
        )?;
    }
    t.notes(&mut r);
    r.notes.push(
        "criteria of CEPII GeoDep / EU SWD(2021) 352 each year (import HHI, world-export HHI, imports/exports); \
         a product that left the list is explained by the criteria that stopped holding; method in \
         docs/monitoring.md and docs/indicators.md"
            .into(),
    );
    Ok(r)
}

/// The indicators a product-group target is judged on (docs/monitoring.md).
pub const GROUP_KPI_KEYS: [&str; 5] = [
    "imports",
    "imports_from_them_share",
    "import_hhi",
    "imports_exports_ratio",
    "dependent_products",
];

/// A programme's product-group targets, judged year by year on the trade store: each target's group (HS codes
/// or a section), its indicator per year, status and path (the same rules as `sovra monitor`'s targets).
#[allow(clippy::too_many_arguments)]
fn product_targets(
    r: &mut Report,
    p: &crate::shock::TomlText,
    t: &Trade,
    importer: &[usize],
    bloc: &[usize],
    screened: &[Screened],
    years: &[i32],
    importer_expr: &str,
) -> Result<()> {
    use crate::programme::{self, Target, programme_error};
    let (head, specs, others) = programme::read(p, true)?;
    let mut targets = Vec::new();
    let mut series: HashMap<String, Vec<(i32, Option<f64>)>> = HashMap::new();
    for (spec, sign) in specs {
        let err = |m: String| programme_error(&p.origin, Some(&spec.id), m);
        if !GROUP_KPI_KEYS.contains(&spec.kpi.as_str()) {
            let mut e = err(format!(
                "no product-group indicator '{}' (kpi = one of {})",
                spec.kpi,
                GROUP_KPI_KEYS.join(", ")
            ));
            e.choices = GROUP_KPI_KEYS.iter().map(|k| k.to_string()).collect();
            return Err(e);
        }
        if let Some(reg) = spec.region.as_deref().map(str::trim)
            && !reg.is_empty()
            && !reg.eq_ignore_ascii_case(importer_expr)
        {
            return Err(err(format!(
                "region '{reg}': a product-group target is on the importer ({importer_expr})"
            )));
        }
        let codes = spec.products.clone().unwrap_or_default();
        let rows = t.rows.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::Compute,
                "product-group targets need the rows in memory",
            )
        })?;
        let group =
            sovra_trade::groups::members(rows, &codes, spec.section.as_deref()).map_err(err)?;
        let baseline_year = programme::baseline_year(p, &spec, years)?;
        let dependent: BTreeMap<i32, usize> = years
            .iter()
            .map(|&y| {
                (
                    y,
                    screened
                        .iter()
                        .filter(|s| s.year == y && s.dependent && group[s.product])
                        .count(),
                )
            })
            .collect();
        let values: Vec<(i32, Option<f64>)> =
            sovra_trade::groups::years(rows, importer, bloc, &group, years)
                .into_iter()
                .map(|g| {
                    let v = match spec.kpi.as_str() {
                        "imports" => Some(g.imports),
                        "imports_from_them_share" => {
                            (g.imports > 0.0).then(|| g.from_bloc / g.imports)
                        }
                        "import_hhi" => g.hhi_imports,
                        "imports_exports_ratio" => (g.exports > 0.0).then(|| g.imports / g.exports),
                        _ => dependent.get(&g.year).map(|&n| n as f64),
                    };
                    (g.year, v)
                })
                .collect();
        let label = match (&spec.section, codes.is_empty()) {
            (Some(sec), true) => format!("section {}", sec.trim().to_ascii_uppercase()),
            (Some(sec), false) => format!(
                "section {} + {}",
                sec.trim().to_ascii_uppercase(),
                codes.join(" ")
            ),
            (None, _) => codes.join(" "),
        };
        series.insert(spec.id.clone(), values);
        targets.push(Target {
            spec,
            scope: importer_expr.to_string(),
            sector: None,
            label,
            sign,
            baseline_year,
        });
    }
    let lookup = |tg: &Target| series.get(&tg.spec.id).cloned().unwrap_or_default();
    programme::push(r, &head, &targets, &lookup, 5)?;
    if !others.is_empty() {
        r.notes.push(format!(
            "targets on sectors of a table ({}) are checked by sovra monitor",
            others.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Window, names_revision};

    #[test]
    fn product_names_follow_the_codes_revision() {
        assert_eq!(names_revision(Some("H1:H0"), "x.csv"), Some("hs92"));
        assert_eq!(
            names_revision(Some("H5:H6"), "BACI_HS92_Y2021.csv"),
            Some("hs22")
        );
        assert_eq!(names_revision(Some("H0:H1"), "x.csv"), None);
        assert_eq!(
            names_revision(None, "/d/BACI_HS12_Y2020_V202401.csv.gz"),
            Some("hs12")
        );
        assert_eq!(
            names_revision(None, "imported from: 2021 ← BACI_HS17_Y2021.csv"),
            None
        );
        assert_eq!(names_revision(None, "flows.csv"), Some("hs92"));
    }

    #[test]
    fn year_windows() {
        assert_eq!(Window::new(None, None).unwrap(), Window::Latest);
        assert_eq!(Window::new(Some(2021), None).unwrap(), Window::Year(2021));
        assert_eq!(
            Window::new(None, Some(" 2019 : 2021")).unwrap(),
            Window::Range(2019, 2021)
        );
        for bad in ["2021", "2022:2021", "a:b", ""] {
            let e = Window::new(None, Some(bad)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("years"), "{bad}");
        }
        assert!(Window::new(Some(2021), Some("2020:2021")).is_err());
        let dir = std::path::Path::new("/s");
        let held = [2018, 2019, 2020, 2021, 2022];
        // The window and the two years before it (persistence).
        assert_eq!(
            Window::Latest.store_years(&held, dir).unwrap(),
            vec![2020, 2021, 2022]
        );
        assert_eq!(
            Window::Range(2021, 2021).store_years(&held, dir).unwrap(),
            vec![2019, 2020, 2021]
        );
        assert!(Window::Year(1999).store_years(&held, dir).is_err());
        let shown = Window::Range(2019, 2025).shown(&held, "x").unwrap();
        assert_eq!((shown.first, shown.last, shown.year), (2019, 2025, 2022));
        assert_eq!(shown.text(), "2019–2025");
        assert!(Window::Range(2030, 2031).shown(&held, "x").is_err());
    }
}
