//! Economic complexity (`complexity`): RCA, diversity, ubiquity, ECI and PCI by the eigenvector method, COI
//! and, on request, fitness (Tacchella et al. 2012), per country or per product and year, on one of:
//! - the sector exports of a dataset (`data`, the default: regions as countries, sectors as products);
//! - the exports of the workspace's trade store (`trade`: bilateral flows summed over importers);
//! - a long CSV `year,exporter,product,value` (`input`) or another trade store directory (`store`), which
//!   name files and so are refused by the server ([`ComplexityRequest::names_files`]).
//!
//! The methods and the two conventions (Stata `ecomplexity`, py-ecomplexity) are in `sovra-trade::complexity`
//! and `docs/indicators.md`.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sovra_report::{Column, Kind, Report, TableBuilder, Value};
use sovra_trade::complexity::{self, Complexity, Exports, Options};

use crate::compose::{self, code, count, figure, line, num, param, ratio};
use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::trade::open_store;
use crate::workspace::{DEFAULT_DATASET, Workspace};

const DOC: &str = "docs/indicators.md#economic-complexity-sovra-complexity-sovra-tradecomplexity";

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

fn one() -> f64 {
    1.0
}

/// Whose conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// Stata `ecomplexity`: long-table sample sd, density without the product itself.
    #[default]
    Stata,
    /// py-ecomplexity 0.5.3: population sd over countries, density with the product itself.
    PyEcomplexity,
}

/// Rows of `complexity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplexityBy {
    /// One row per country: diversity, ECI, COI, fitness.
    #[default]
    Country,
    /// One row per product: ubiquity, PCI, fitness-complexity.
    Product,
}

/// `complexity`: economic complexity of exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ComplexityRequest {
    /// Dataset whose sector exports are used (when no trade source is named).
    #[serde(default = "default_data")]
    pub data: String,
    /// Exports of the workspace's trade store instead ([`Workspace::trade_store`]).
    #[serde(default)]
    pub trade: bool,
    /// Only this year of product-level exports (default: every year).
    #[serde(default)]
    pub year: Option<i32>,
    /// `M = 1` where RCA ≥ this.
    #[serde(default = "one")]
    pub rca_threshold: f64,
    /// Conventions.
    #[serde(default)]
    pub convention: Convention,
    /// Rows per country or per product.
    #[serde(default)]
    pub by: ComplexityBy,
    /// Only the N highest ECI (or PCI) rows per year.
    #[serde(default)]
    pub top: Option<usize>,
    /// Also compute fitness and fitness-complexity.
    #[serde(default)]
    pub fitness: bool,
    /// A long CSV of exports, `year,exporter,product,value` (names a file: refused by the server).
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// Another trade store directory (names a directory: refused by the server).
    #[serde(default)]
    pub store: Option<PathBuf>,
}

impl ComplexityRequest {
    /// Whether the request names a file or directory (`input`, `store`): the server refuses such requests.
    pub fn names_files(&self) -> bool {
        self.input.is_some() || self.store.is_some()
    }
}

/// The exports of each year, and the report they go into (title and provenance set).
struct Years {
    report: Report,
    years: Vec<(String, Exports)>,
    note: Option<String>,
}

fn from_store(
    ws: &Workspace,
    q: &ComplexityRequest,
    dir: PathBuf,
    field: &str,
    progress: &dyn Progress,
) -> Result<Years> {
    let store = open_store(&dir, field)?;
    let held = store.years();
    let wanted = match q.year {
        Some(y) if held.contains(&y) => vec![y],
        Some(y) => {
            return Err(Error::usage(
                "year",
                format!(
                    "--year {y}: the trade store {} holds {held:?}",
                    dir.display()
                ),
            ));
        }
        None => held,
    };
    let flows: Arc<dyn sovra_trade::flows::Flows> = if ws.trade_in_memory {
        ws.trade_years(&store, &wanted, progress)?.0
    } else {
        ws.trade_plans(&store, &wanted, progress)?.0
    };
    progress.stage("exports by exporter × product");
    let years = wanted
        .iter()
        .map(|&y| Ok((y.to_string(), flows.exports_of_year(y)?)))
        .collect::<Result<_>>()?;
    let report = compose::report(
        "complexity",
        format!(
            "economic complexity — {} (exports summed over importers)",
            ws.trade_store_name(&dir)
        ),
        None,
    );
    Ok(Years {
        report,
        years,
        note: None,
    })
}

fn from_file(
    q: &ComplexityRequest,
    file: &std::path::Path,
    progress: &dyn Progress,
) -> Result<Years> {
    if file.is_dir() {
        return Err(Error::usage(
            "input",
            format!(
                "{} is a directory: name a trade store with store",
                file.display()
            ),
        ));
    }
    progress.stage(&format!("reading {}", file.display()));
    let text = sovra_core::read::read_text(file).map_err(|e| Error::from(e).at("input"))?;
    from_text(q, &text, &file.display().to_string(), "input")
}

/// The exports of a long CSV's text (`source` names it in errors and the title; `field` is the request field
/// or argument it came from).
fn from_text(q: &ComplexityRequest, text: &str, source: &str, field: &str) -> Result<Years> {
    let mut years =
        complexity::read_long_csv(text, source).map_err(|e| Error::from(e).at(field))?;
    if years.is_empty() {
        return Err(Error::new(
            ErrorKind::BadData,
            format!("{source}: no rows after the header: nothing to compute"),
        )
        .at(field));
    }
    if let Some(y) = q.year {
        let have: Vec<String> = years.iter().map(|(y, _)| y.clone()).collect();
        years.retain(|(name, _)| name.trim().parse::<i32>() == Ok(y));
        if years.is_empty() {
            return Err(Error::usage(
                "year",
                format!(
                    "--year {y}: {source} has no data for it (years: {})",
                    have.join(" ")
                ),
            ));
        }
    }
    let report = compose::report(
        "complexity",
        format!("economic complexity — {source}"),
        None,
    );
    Ok(Years {
        report,
        years,
        note: None,
    })
}

fn from_table(ws: &Workspace, q: &ComplexityRequest, progress: &dyn Progress) -> Result<Years> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    if let Some(y) = q.year.filter(|y| t.provenance.year != Some(*y)) {
        return Err(Error::usage(
            "year",
            format!(
                "--year {y}: {} is a table of {}; year picks a year of product-level exports (--input, --trade)",
                q.data,
                t.provenance
                    .year
                    .map_or_else(|| "no stated year".to_string(), |y| y.to_string())
            ),
        ));
    }
    let (x, by_destination) = complexity::mrio_exports(t);
    let year = t
        .provenance
        .year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "-".into());
    let note = (!by_destination).then(|| {
        format!(
            "{} keeps final demand as one column for all destinations: exports here are intermediate \
             sales to other regions only",
            q.data
        )
    });
    let report = compose::report(
        "complexity",
        format!("economic complexity of sector exports — {}", q.data),
        Some(t),
    );
    Ok(Years {
        report,
        years: vec![(year, x)],
        note,
    })
}

/// A year's name as a value: an int when it is one.
fn year_value(name: &str) -> Value {
    name.trim().parse::<i64>().map_or(Value::Null, Value::Int)
}

/// Runs `complexity` on exports given as the text of a long CSV `year,exporter,product,value` rather than
/// read from a file or a store (Python's `sovra.complexity(df)`); `source` names them in errors ("the
/// DataFrame, row 12, column value: …") and in the title. The request's own source fields must be unset.
pub fn complexity_of_text(
    ws: &Workspace,
    q: &ComplexityRequest,
    text: &str,
    source: &str,
    progress: &dyn Progress,
) -> Result<Report> {
    if q.names_files() || q.trade {
        return Err(Error::usage(
            "input",
            "exports given directly leave input, store and trade unset",
        ));
    }
    check_threshold(q)?;
    let years = from_text(q, text, source, "exports")?;
    compute(ws, q, years, progress)
}

/// The RCA threshold is a positive number (checked before any source is read).
fn check_threshold(q: &ComplexityRequest) -> Result<()> {
    if !(q.rca_threshold.is_finite() && q.rca_threshold > 0.0) {
        return Err(Error::usage(
            "rca_threshold",
            format!("--rca-threshold {} must be positive", q.rca_threshold),
        ));
    }
    Ok(())
}

/// Runs `complexity`.
pub fn complexity(
    ws: &Workspace,
    q: &ComplexityRequest,
    progress: &dyn Progress,
) -> Result<Report> {
    check_threshold(q)?;
    let named = [q.input.is_some(), q.store.is_some(), q.trade];
    if named.iter().filter(|n| **n).count() > 1 {
        return Err(Error::usage(
            "input",
            "name one source of exports: input (a long CSV), store (a trade store directory) or trade (the workspace's trade store)",
        ));
    }
    let Years {
        report,
        years,
        note,
    } = match (&q.input, &q.store) {
        (Some(file), _) => from_file(q, file, progress)?,
        (None, Some(dir)) => from_store(ws, q, dir.clone(), "store", progress)?,
        (None, None) if q.trade => from_store(ws, q, ws.trade_store(), "trade", progress)?,
        (None, None) => from_table(ws, q, progress)?,
    };
    compute(
        ws,
        q,
        Years {
            report,
            years,
            note,
        },
        progress,
    )
}

/// The complexity measures of each year's exports, into the report.
fn compute(
    _ws: &Workspace,
    q: &ComplexityRequest,
    Years {
        mut report,
        years,
        note,
    }: Years,
    progress: &dyn Progress,
) -> Result<Report> {
    let opts = Options {
        rca_threshold: q.rca_threshold,
        convention: match q.convention {
            Convention::Stata => complexity::Convention::Stata,
            Convention::PyEcomplexity => complexity::Convention::PyEcomplexity,
        },
        // Not reported; density and COG do not need it.
        proximity: false,
    };
    let r = &mut report;
    param(r, "rca_threshold", "rca threshold", q.rca_threshold);
    param(
        r,
        "convention",
        "convention",
        format!("{:?}", opts.convention),
    );
    param(
        r,
        "by",
        "by",
        match q.by {
            ComplexityBy::Country => "country",
            ComplexityBy::Product => "product",
        },
    );
    r.notes.extend(note);
    r.notes.push(
        "ECI/PCI by the eigenvector method (2nd eigenvector of U⁻¹MᵀD⁻¹M), fitness by Tacchella et al. 2012; \
         formulas in docs/indicators.md"
            .into(),
    );
    let mut table = Table::new(q.by);
    let (mut year_names, mut countries, mut products, mut eigenvalues) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (year, x) in &years {
        if progress.cancelled() {
            return Err(Error::cancelled());
        }
        progress.stage(&format!("complexity of {year}"));
        let c = complexity::compute(x, &opts)
            .map_err(|e| Error::new(ErrorKind::BadData, format!("year {year}: {e}")))?;
        let (fit, fit_cx) = if q.fitness {
            let (f, cx, _) =
                complexity::fitness(&c.m, x.countries.len(), x.products.len(), 1e-12, 10_000);
            (f, cx)
        } else {
            (vec![None; x.countries.len()], vec![None; x.products.len()])
        };
        line(
            r,
            year,
            format!(
                "{} countries × {} products, second eigenvalue {:.4}",
                x.countries.len(),
                x.products.len(),
                c.eigenvalue
            ),
        );
        year_names.push(year_value(year));
        countries.push(Value::from(x.countries.len()));
        products.push(Value::from(x.products.len()));
        eigenvalues.push(num(c.eigenvalue));
        table.rows(year, x, &c, &fit, &fit_cx, q.top)?;
    }
    for (key, label, values, kind, decimals) in [
        ("years", "years", year_names, Kind::Year, 0),
        ("countries", "countries", countries, Kind::Count, 0),
        ("products", "products", products, Kind::Count, 0),
        (
            "eigenvalue",
            "second eigenvalue",
            eigenvalues,
            Kind::Ratio,
            4,
        ),
    ] {
        figure(r, key, label, Value::List(values), kind, None, decimals);
    }
    r.tables.push(table.rows.finish());
    Ok(report)
}

/// The table of `complexity`, filled year by year.
struct Table {
    by: ComplexityBy,
    rows: TableBuilder,
}

impl Table {
    fn new(by: ComplexityBy) -> Table {
        let year = Column::int("year", "year", Kind::Year);
        let rows = match by {
            ComplexityBy::Country => TableBuilder::new(
                "countries",
                "complexity by country",
                vec![
                    year,
                    code("country", "country"),
                    count("diversity", "diversity").doc(DOC),
                    ratio("eci", "ECI", 4).doc(DOC),
                    ratio("coi", "COI", 4).doc(DOC),
                    ratio("fitness", "fitness", 4).doc(DOC),
                ],
            ),
            ComplexityBy::Product => TableBuilder::new(
                "products",
                "complexity by product",
                vec![
                    year,
                    code("product", "product"),
                    count("ubiquity", "ubiquity").doc(DOC),
                    ratio("pci", "PCI", 4).doc(DOC),
                    ratio("fitness_complexity", "fitness complexity", 4).doc(DOC),
                ],
            ),
        };
        Table { by, rows }
    }

    /// One year's rows, highest ECI (or PCI) first; undefined values are null and rank last.
    fn rows(
        &mut self,
        year: &str,
        x: &Exports,
        c: &Complexity,
        fit: &[Option<f64>],
        fit_cx: &[Option<f64>],
        top: Option<usize>,
    ) -> Result<()> {
        let opt = |v: Option<f64>| v.map_or(Value::Null, num);
        let ranked = |index: &[Option<f64>]| {
            let mut idx: Vec<usize> = (0..index.len()).collect();
            idx.sort_by(|&a, &b| {
                index[b]
                    .unwrap_or(f64::MIN)
                    .total_cmp(&index[a].unwrap_or(f64::MIN))
            });
            idx.truncate(top.unwrap_or(usize::MAX));
            idx
        };
        match self.by {
            ComplexityBy::Country => {
                for i in ranked(&c.eci) {
                    self.rows.push_row(vec![
                        year_value(year),
                        x.countries[i].as_str().into(),
                        c.diversity[i].into(),
                        opt(c.eci[i]),
                        opt(c.coi[i]),
                        opt(fit[i]),
                    ])?;
                }
            }
            ComplexityBy::Product => {
                for i in ranked(&c.pci) {
                    self.rows.push_row(vec![
                        year_value(year),
                        x.products[i].as_str().into(),
                        c.ubiquity[i].into(),
                        opt(c.pci[i]),
                        opt(fit_cx[i]),
                    ])?;
                }
            }
        }
        Ok(())
    }
}
