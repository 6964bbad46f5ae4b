//! Where "us" depends on "them": the parties resolved on a date (blocs, expressions, overlap checks),
//! `depend` (one us, or each region of us with `each`), technological keys, TiVA, and the bloc registry
//! itself (`blocs list`, `blocs show`).

use serde::{Deserialize, Serialize};
use sovra_analysis::dependency::{self, Dependence, Parties, RegionDependence, SectorDependence};
use sovra_analysis::{keys, tiva};
use sovra_core::blocs::{self, Date, Resolved};
use sovra_core::{LeontiefSystem, Mrio};
use sovra_report::{Column, Kind, Report, TableBuilder, Value};

use crate::compose::{
    self, DOC, amount, code, figure, flag, format_num, line, num, opt_text, param, rank, ratio,
    share, solver_line, text,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::workspace::{Blocs, DEFAULT_DATASET, Loaded, Solver, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

/// Parses an as-of date, or today.
pub fn as_of(s: &Option<String>) -> Result<Date> {
    match s {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s).ok_or_else(|| {
            Error::usage(
                "as_of",
                format!("--as-of '{s}' is not a date: write YYYY-MM-DD, e.g. 2024-06-30"),
            )
        }),
    }
}

/// How `depend` ranks rows.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortBy {
    /// Total value-added dependence.
    #[default]
    Va,
    /// Part through third countries.
    ViaThird,
    /// Direct share of inputs.
    Direct,
    /// Supplier concentration.
    Hhi,
    /// Total sales dependence.
    Sales,
    /// Gross output.
    Output,
}

impl SortBy {
    fn name(self) -> &'static str {
        match self {
            SortBy::Va => "va",
            SortBy::ViaThird => "via-third",
            SortBy::Direct => "direct",
            SortBy::Hhi => "hhi",
            SortBy::Sales => "sales",
            SortBy::Output => "output",
        }
    }
}

/// Rows of `depend`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependBy {
    /// One row per sector of each of our regions.
    #[default]
    Sector,
    /// One row per region of us.
    Region,
    /// One row per region of the table: where the value added in our output comes from (us, them, every
    /// third country).
    Origin,
}

/// `depend`: where us depends on them, sector by sector.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependRequest {
    /// Us: a country, bloc or expression.
    pub us: String,
    /// Them: a country, bloc or expression.
    pub them: String,
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Only this sector.
    #[serde(default)]
    pub sector: Option<String>,
    /// Only the N highest rows.
    #[serde(default)]
    pub top: Option<usize>,
    /// Ranking.
    #[serde(default)]
    pub sort: SortBy,
    /// Rows per sector or per region.
    #[serde(default)]
    pub by: DependBy,
    /// Leave out sectors with less gross output than this.
    #[serde(default)]
    pub min_output: f64,
    /// Each region of us on its own.
    #[serde(default)]
    pub each: bool,
    /// Only their value added in these products (HS6, HS4 or HS2 codes, or HS sections): each of their
    /// sectors' value added counts in the share the products make up of its output (its exports by product
    /// in the trade store for the table's year, else the bridge's default weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// `keys`: technological keys.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    /// Us: a country, bloc or expression (`EU27`, `EU27-DEU`, `BRICS&OPEC`).
    pub us: String,
    /// Them: a country, bloc or expression.
    pub them: String,
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Only the N most exposed sectors.
    #[serde(default)]
    pub top: Option<usize>,
    /// Inputs from them listed per sector.
    #[serde(default = "three")]
    pub inputs: usize,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

fn three() -> usize {
    3
}

/// `tiva`: OECD TiVA indicators per country.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TivaRequest {
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Only these countries.
    #[serde(default)]
    pub country: Option<String>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// `blocs list`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocsListRequest {
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
}

/// `blocs show`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocsShowRequest {
    /// Bloc name or expression.
    pub name: String,
    /// Bloc membership date, YYYY-MM-DD (default today).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Check the members against this dataset's regions.
    #[serde(default)]
    pub data: Option<String>,
}

/// Us and them resolved on a table.
pub struct Setup {
    /// The dataset.
    pub loaded: std::sync::Arc<Loaded>,
    /// Us.
    pub us: Resolved,
    /// Them.
    pub them: Resolved,
    /// As region indices.
    pub parties: Parties,
    /// Membership date.
    pub date: Date,
    /// How names and the date were read (aliases, the default date).
    pub notes: Vec<String>,
}

impl Setup {
    /// The table.
    pub fn table(&self) -> &Mrio {
        &self.loaded.table
    }
}

/// Names people write for blocs, read as the bloc they mean.
const ALIASES: &[(&str, &str)] = &[
    ("EEU", "EAEU"),
    ("EAEC", "EAEU"),
    ("EURASIAN", "EAEU"),
    ("EU-27", "EU27"),
    ("EU_27", "EU27"),
    ("G-7", "G7"),
    ("G-20", "G20"),
    ("UNIONSTATE", "UNION_STATE"),
    ("UNION-STATE", "UNION_STATE"),
];

/// What a single name that is not a bloc or code may mean: a known alias of a bloc, or a region of the
/// dataset written by its name ("Russia" → RUS: the name, or the start of exactly one region's name).
fn alias(expr: &str, labels: &sovra_core::Labels) -> Option<String> {
    let name = expr.trim();
    if name.is_empty() || name.contains(['+', '-', '&', '(', ')']) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    if let Some((_, bloc)) = ALIASES.iter().find(|(a, _)| *a == upper) {
        return Some(bloc.to_string());
    }
    let lower = name.to_lowercase();
    if let Some(r) = labels
        .regions
        .iter()
        .find(|r| r.name.to_lowercase() == lower)
    {
        return Some(r.code.clone());
    }
    if lower.chars().count() >= 4 {
        let starts: Vec<&sovra_core::Code> = labels
            .regions
            .iter()
            .filter(|r| r.name.to_lowercase().starts_with(&lower))
            .collect();
        if let [one] = starts.as_slice() {
            return Some(one.code.clone());
        }
    }
    None
}

/// Resolves one side; a name that is not a bloc or region but an alias or a region's name is read as what
/// it names, with a note saying so.
pub(crate) fn resolve_side(
    reg: &sovra_core::blocs::Registry,
    expr: &str,
    date: Date,
    t: &Mrio,
    data: &str,
    field: &str,
    notes: &mut Vec<String>,
) -> Result<Resolved> {
    match blocs::resolve(reg, expr, date, &t.labels, data) {
        Ok(r) => Ok(r),
        Err(e) => {
            if let Some(meant) = alias(expr, &t.labels)
                && let Ok(r) = blocs::resolve(reg, &meant, date, &t.labels, data)
            {
                notes.push(format!("{field} '{expr}' read as {meant}"));
                return Ok(r);
            }
            let mut err = Error::from(e).at(field);
            if err.choices.is_empty() {
                // What a side may name: the dataset's regions, ALL, and the blocs.
                err.choices = t.labels.regions.iter().map(|r| r.code.clone()).collect();
                err.choices.push("ALL".into());
                err.choices.extend(reg.blocs().map(|b| b.name.clone()));
            }
            Err(err)
        }
    }
}

/// The membership date: the one asked, else the end of the dataset's year (with a note), else today.
pub fn dataset_date(as_of_s: &Option<String>, t: &Mrio, notes: &mut Vec<String>) -> Result<Date> {
    if as_of_s.is_some() {
        return as_of(as_of_s);
    }
    match t.provenance.year.and_then(|y| Date::new(y, 12, 31)) {
        Some(d) => {
            notes.push(format!(
                "bloc membership as of {d}, the end of the dataset's year (set --as-of for another date)"
            ));
            Ok(d)
        }
        None => Ok(Date::today()),
    }
}

fn wrap(expr: &str) -> String {
    if expr.contains(['+', '-', '&']) {
        format!("({expr})")
    } else {
        expr.to_string()
    }
}

/// What [`setup`] resolves: the two sides, the dataset and its year, the membership date and extra blocs,
/// as a request names them.
pub struct Sides<'a> {
    /// Us: a country, bloc or expression.
    pub us: &'a str,
    /// Them.
    pub them: &'a str,
    /// Dataset name.
    pub data: &'a str,
    /// Year of a series (the latest when `None`).
    pub year: Option<i32>,
    /// Membership date (the end of the dataset's year when `None`).
    pub as_of: &'a Option<String>,
    /// Extra blocs.
    pub blocs: Option<&'a Blocs>,
}

/// Resolves us and them on a dataset: blocs on the date (the dataset's year by default), aliases and
/// country names, and no overlap — with a suggestion that itself resolves when they do.
pub fn setup(ws: &Workspace, sides: &Sides, progress: &dyn Progress) -> Result<Setup> {
    let Sides {
        us,
        them,
        data,
        year,
        as_of: as_of_s,
        blocs: extra,
    } = *sides;
    let reg = ws.registry(extra)?;
    let loaded = ws.dataset_year(data, year, progress)?;
    let t = &*loaded.table;
    let mut notes = Vec::new();
    let date = dataset_date(as_of_s, t, &mut notes)?;
    let us_r = resolve_side(&reg, us, date, t, data, "us", &mut notes)?;
    let them_r = resolve_side(&reg, them, date, t, data, "them", &mut notes)?;
    let overlap: Vec<&String> = us_r
        .used
        .iter()
        .filter(|c| them_r.used.contains(c))
        .collect();
    if !overlap.is_empty() {
        let disjoint = |cand: &str, other: &Resolved| {
            blocs::resolve(&reg, cand, date, &t.labels, data)
                .is_ok_and(|r| !r.used.iter().any(|c| other.used.contains(c)))
        };
        let on_them = format!("{}-{}", wrap(them), wrap(us));
        let on_us = format!("{}-{}", wrap(us), wrap(them));
        let hint = if disjoint(&on_them, &us_r) {
            format!(": write them as '{on_them}'")
        } else if disjoint(&on_us, &them_r) {
            format!(": write us as '{on_us}'")
        } else {
            String::new()
        };
        return Err(Error::usage(
            "them",
            format!(
                "'{us}' and '{them}' overlap in {} as of {date}{hint}",
                overlap
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ));
    }
    let parties = Parties::new(t, us_r.regions.clone(), them_r.regions.clone())?;
    Ok(Setup {
        loaded,
        us: us_r,
        them: them_r,
        parties,
        date,
        notes,
    })
}

fn members_line(r: &Resolved) -> String {
    let list = r.used.join(" ");
    if r.selection.expr.eq_ignore_ascii_case(&list) {
        list
    } else {
        format!(
            "{} = {} ({} region{})",
            r.selection.expr,
            list,
            r.used.len(),
            if r.used.len() == 1 { "" } else { "s" }
        )
    }
}

pub(crate) fn party_report(
    kind: &str,
    s: &Setup,
    us: &str,
    them: &str,
    data: &str,
    title: String,
) -> Report {
    let mut r = compose::report(kind, title, Some(s.table()));
    param(&mut r, "us", "us", us);
    param(&mut r, "them", "them", them);
    param(&mut r, "as_of", "as of", s.date.to_string());
    line(&mut r, "us", members_line(&s.us));
    line(&mut r, "them", members_line(&s.them));
    figure(
        &mut r,
        "us_regions",
        "our regions",
        Value::List(s.us.used.iter().map(|c| c.as_str().into()).collect()),
        Kind::Code,
        None,
        0,
    );
    figure(
        &mut r,
        "them_regions",
        "their regions",
        Value::List(s.them.used.iter().map(|c| c.as_str().into()).collect()),
        Kind::Code,
        None,
        0,
    );
    for res in [&s.us, &s.them] {
        if let Some(n) = res.absent_note(data) {
            r.notes.push(n);
        }
    }
    r.notes.extend(s.notes.iter().cloned());
    if s.table()
        .provenance
        .notes
        .to_lowercase()
        .contains("rest of world dropped")
    {
        r.notes.push(format!(
            "{data} has no rest-of-world region: chains through countries outside its {} regions are not counted in via third",
            s.table().labels.regions.len()
        ));
    }
    r
}

fn sort_key(s: &SectorDependence, by: SortBy) -> f64 {
    match by {
        SortBy::Va => s.value_added_from_them,
        SortBy::ViaThird => s.via_third_countries,
        SortBy::Direct => s.direct_input_share,
        SortBy::Hhi => s.foreign_supplier_hhi,
        SortBy::Sales => s.sales_total,
        SortBy::Output => s.output,
    }
}

fn supplier(name: &str, share: f64) -> String {
    if name.is_empty() {
        "—".into()
    } else {
        format!("{name} {:.0}%", share * 100.0)
    }
}

fn doc(anchor: &str) -> String {
    format!("{DOC}#{anchor}")
}

/// Columns shared by per-sector and per-region rows after the labels.
fn indicator_columns(units: &str, per_sector: bool) -> Vec<Column> {
    let d = doc("indicators-per-sector-of-us");
    let mut cols = vec![
        amount("gross_output", "gross output", units, 0),
        share("value_added_from_them", "VA from them").doc(&d),
        share("via_third_countries", "via third").doc(&d),
        share("direct_input_share", "inputs from them").doc(&d),
    ];
    if per_sector {
        cols.push(share("direct_output_share", "of output").doc(&d));
    }
    cols.extend([
        code("top_foreign_supplier", "top foreign supplier").doc(&d),
        Column::number("top_foreign_supplier_share", "share", Kind::Share)
            .decimals(0)
            .doc(&d)
            .join("top_foreign_supplier"),
        ratio("foreign_supplier_hhi", "HHI", 3).doc(&d),
        share("sales_direct", "sales direct").doc(&d),
        share("sales_total", "sales total").doc(&d),
    ]);
    if per_sector {
        cols.push(share("value_added_from_us", "VA from us").doc(&d).hidden());
    }
    cols
}

/// The top supplier's share, null when there is no foreign supplier.
fn supplier_share(supplier: &str, share: f64) -> Value {
    if supplier.is_empty() {
        Value::Null
    } else {
        num(share)
    }
}

fn sector_values(x: &SectorDependence) -> Vec<Value> {
    vec![
        num(x.output),
        num(x.value_added_from_them),
        num(x.via_third_countries),
        num(x.direct_input_share),
        num(x.direct_output_share),
        opt_text(&x.top_foreign_supplier),
        supplier_share(&x.top_foreign_supplier, x.top_foreign_supplier_share),
        num(x.foreign_supplier_hhi),
        num(x.sales_direct),
        num(x.sales_total),
        x.value_added_from_us.map(num).unwrap_or(Value::Null),
    ]
}

fn region_values(g: &RegionDependence) -> Vec<Value> {
    vec![
        num(g.output),
        num(g.value_added_from_them),
        num(g.via_third_countries),
        num(g.direct_input_share),
        opt_text(&g.top_foreign_supplier),
        supplier_share(&g.top_foreign_supplier, g.top_foreign_supplier_share),
        num(g.foreign_supplier_hhi),
        num(g.sales_direct),
        num(g.sales_total),
    ]
}

/// Solves of a dependency analysis as diagnostics and headline lines ("what, equation").
fn push_solves(r: &mut Report, solves: &[(String, sovra_core::SolveReport)], skip: &str) {
    for (what, rep) in solves {
        let (short, eq) = what.split_once(", ").unwrap_or((what.as_str(), ""));
        if skip.is_empty() || !short.starts_with(skip) {
            line(
                r,
                &format!("solve: {short}"),
                format!("{eq}: {}", solver_line(rep)),
            );
            let key: String = short
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            compose::solve(r, &key, what, rep);
        }
    }
}

fn sector_code(t: &Mrio, code: &str, dataset: &str) -> Result<String> {
    let i = t
        .labels
        .sector_index(code, dataset)
        .map_err(|e| Error::from(e).at("sector"))?;
    Ok(t.labels.sectors[i].code.clone())
}

fn check_min_output(v: f64) -> Result<()> {
    if !v.is_finite() || v < 0.0 {
        return Err(Error::usage(
            "min_output",
            format!("--min-output {v}: give a finite amount ≥ 0 in the table's units"),
        ));
    }
    Ok(())
}

const DEPEND_NOTE: &str = "VA from them = Σ_{i∈them} ν_i L_ij, the share of the value of the sector's output that is their value \
     added, through all rounds; via third = the part of it that passed through a country that is neither \
     us nor them (exact: difference with the chain restricted to us ∪ them); inputs from them = direct \
     share of intermediate inputs (and of gross output); HHI over origin countries of foreign inputs; \
     sales = share of output bought by them, directly and after further processing (Ghosh first \
     absorption). Formulas: docs/indicators.md";

/// Runs `depend`.
pub fn depend(ws: &Workspace, q: &DependRequest, progress: &dyn Progress) -> Result<Report> {
    check_min_output(q.min_output)?;
    let s = setup(
        ws,
        &Sides {
            us: &q.us,
            them: &q.them,
            data: &q.data,
            year: q.year,
            as_of: &q.as_of,
            blocs: q.blocs.as_ref(),
        },
        progress,
    )?;
    let t = s.table();
    let sector = match &q.sector {
        None => None,
        Some(c) => Some(sector_code(t, c, &q.data)?),
    };
    let sys = s.loaded.system(q.solver)?;
    progress.stage("solving");
    if q.each {
        if q.by == DependBy::Origin {
            return Err(Error::usage(
                "by",
                "--by origin does not go with --each: ask for the origins of one us at a time",
            ));
        }
        if q.products.is_some() {
            return Err(Error::usage(
                "products",
                "--products does not go with --each: ask for one us at a time",
            ));
        }
        return depend_each(&s, q, sector.as_deref(), &sys);
    }
    let shares = match &q.products {
        Some(codes) => Some(crate::shock::product_shares(
            ws,
            t,
            &q.data,
            &s.parties.them,
            codes,
        )?),
        None => None,
    };
    // A long-lived workspace keeps what depends on them only; a one-shot command solves it all at once.
    let mut reused = false;
    let d: Dependence = if let Some(ps) = &shares {
        dependency::compute_products(t, &sys, &s.parties, &ps.pi)?
    } else if ws.reuse > 1 {
        let (on, kept) = s.loaded.on_them(q.solver, &sys, &s.parties.them)?;
        reused = kept;
        dependency::compute_on(t, &sys, &s.parties, &on)?
    } else {
        dependency::compute(t, &sys, &s.parties)?
    };
    let mut r = party_report(
        "depend",
        &s,
        &q.us,
        &q.them,
        &q.data,
        match &q.products {
            Some(p) => format!(
                "Dependence of {} on {}'s HS {} — {}",
                q.us,
                q.them,
                p.join(","),
                q.data
            ),
            None => format!("Dependence of {} on {} — {}", q.us, q.them, q.data),
        },
    );
    if let Some(ps) = &shares {
        param(&mut r, "products", "products", ps.codes.join(","));
        r.notes.push(ps.note.clone());
        r.notes.push(
            "products: value added from them and via third countries count only their value added in the \
             named products (ν_i π_i, π_i the products' share of their sector's output, taken as their share \
             of its exports: docs/indicators.md, \"Products\"); inputs from them, HHI and sales are over all \
             products"
                .into(),
        );
    }
    param(&mut r, "sort", "sort", q.sort.name());
    if let Some(sc) = &sector {
        param(&mut r, "sector", "sector", sc.as_str());
    }
    if q.min_output > 0.0 {
        param(&mut r, "min_output", "min output", q.min_output);
    }
    line(
        &mut r,
        "third countries",
        format!(
            "{} region{} (neither us nor them)",
            d.third.len(),
            if d.third.len() == 1 { "" } else { "s" }
        ),
    );
    let g = &d.total;
    let units = t.provenance.units.clone();
    figure(
        &mut r,
        "third_countries",
        "third countries",
        d.third.len(),
        Kind::Count,
        None,
        0,
    );
    figure(
        &mut r,
        "gross_output",
        "our gross output",
        num(g.output),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "value_added_from_them",
        "value added from them (share of the value of our output)",
        num(g.value_added_from_them),
        Kind::Share,
        None,
        2,
    );
    figure(
        &mut r,
        "via_third_countries",
        "of which through third countries",
        num(g.via_third_countries),
        Kind::Share,
        None,
        2,
    );
    figure(
        &mut r,
        "direct_input_share",
        "direct inputs from them (share of our intermediate inputs)",
        num(g.direct_input_share),
        Kind::Share,
        None,
        2,
    );
    figure(
        &mut r,
        "top_foreign_supplier",
        "largest foreign supplier",
        opt_text(&g.top_foreign_supplier),
        Kind::Code,
        None,
        0,
    );
    figure(
        &mut r,
        "top_foreign_supplier_share",
        "its share of foreign inputs",
        num(g.top_foreign_supplier_share),
        Kind::Share,
        None,
        0,
    );
    figure(
        &mut r,
        "foreign_supplier_hhi",
        "HHI of foreign inputs",
        num(g.foreign_supplier_hhi),
        Kind::Ratio,
        None,
        3,
    );
    figure(
        &mut r,
        "sales_direct",
        "sales to them, direct (share of our output)",
        num(g.sales_direct),
        Kind::Share,
        None,
        2,
    );
    figure(
        &mut r,
        "sales_total",
        "sales to them, total (share of our output)",
        num(g.sales_total),
        Kind::Share,
        None,
        2,
    );
    line(
        &mut r,
        "value added from them",
        format!(
            "{:.2}% of the value of our output, of which {:.2} points through third countries",
            g.value_added_from_them * 100.0,
            g.via_third_countries * 100.0
        ),
    );
    line(
        &mut r,
        "direct inputs from them",
        format!(
            "{:.2}% of our intermediate inputs",
            g.direct_input_share * 100.0
        ),
    );
    line(
        &mut r,
        "largest foreign supplier",
        format!(
            "{} (HHI of foreign inputs {:.3})",
            supplier(&g.top_foreign_supplier, g.top_foreign_supplier_share),
            g.foreign_supplier_hhi
        ),
    );
    line(
        &mut r,
        "sales to them",
        format!(
            "{:.2}% of our output directly, {:.2}% in total",
            g.sales_direct * 100.0,
            g.sales_total * 100.0
        ),
    );
    push_solves(&mut r, &d.solves, "");
    if reused {
        for dg in r
            .diagnostics
            .iter_mut()
            .filter(|dg| dg.key == "value_added_origin" || dg.key == "first_absorption_by_them")
        {
            dg.detail = Some(format!(
                "depends on them only: kept from an earlier request on {} against the same them",
                q.data
            ));
        }
    }
    match q.by {
        DependBy::Origin => {
            let ns = t.labels.sectors.len();
            let nodes: Vec<usize> = dependency::region_nodes(t, &s.parties.us)
                .into_iter()
                .filter(|&j| t.x[j] > 0.0 && t.x[j] >= q.min_output)
                .filter(|&j| {
                    sector
                        .as_ref()
                        .is_none_or(|c| &t.labels.sectors[j % ns].code == c)
                })
                .collect();
            let (va, rep) = dependency::value_added_by_origin(t, &sys, &nodes)?;
            line(
                &mut r,
                "solve: origins",
                format!(
                    "(I − A) y = x_us, VA_c = Σ_(i∈c) ν_i y_i: {}",
                    solver_line(&rep)
                ),
            );
            compose::solve(&mut r, "origins", "(I − A) y = x_us", &rep);
            let output: f64 = nodes.iter().map(|&j| t.x[j]).sum();
            let foreign: f64 = va
                .iter()
                .enumerate()
                .filter(|(c, _)| !s.parties.us.contains(c))
                .map(|(_, v)| v)
                .sum();
            let od = doc("where-the-value-added-in-our-output-comes-from---by-origin");
            let mut tb = TableBuilder::new(
                "origins",
                "where the value added in our output comes from",
                vec![
                    rank(),
                    code("region", "origin"),
                    text("name", "name"),
                    code("side", "side"),
                    amount("value_added", "value added in our output", &units, 0).doc(&od),
                    share("share_of_output", "of our output").doc(&od),
                    share("share_of_foreign", "of the foreign part").doc(&od),
                ],
            );
            let mut order: Vec<usize> = (0..va.len()).collect();
            order.sort_by(|&a, &b| va[b].total_cmp(&va[a]));
            order.truncate(q.top.unwrap_or(usize::MAX));
            let frac = |a: f64, b: f64| if b > 0.0 { num(a / b) } else { Value::Null };
            for (k, c) in order.into_iter().enumerate() {
                let side = if s.parties.us.contains(&c) {
                    "us"
                } else if s.parties.them.contains(&c) {
                    "them"
                } else {
                    "third"
                };
                tb.push_row(vec![
                    (k + 1).into(),
                    t.labels.regions[c].code.as_str().into(),
                    t.labels.regions[c].name.as_str().into(),
                    side.into(),
                    num(va[c]),
                    frac(va[c], output),
                    if side == "us" {
                        Value::Null
                    } else {
                        frac(va[c], foreign)
                    },
                ])?;
            }
            figure(
                &mut r,
                "foreign_value_added",
                "foreign value added in our output (share)",
                frac(foreign, output),
                Kind::Share,
                None,
                2,
            );
            r.tables.push(tb.finish());
        }
        DependBy::Region => {
            let mut cols = vec![code("region", "region")];
            cols.extend(indicator_columns(&units, false));
            let mut tb = TableBuilder::new("regions", "dependence by region", cols);
            let mut regs: Vec<&RegionDependence> = d.regions.iter().collect();
            regs.sort_by(|x, y| y.value_added_from_them.total_cmp(&x.value_added_from_them));
            regs.truncate(q.top.unwrap_or(usize::MAX));
            for g in regs {
                let mut row = vec![Value::from(g.region.as_str())];
                row.extend(region_values(g));
                tb.push_row(row)?;
            }
            r.tables.push(tb.finish());
        }
        DependBy::Sector => {
            let mut cols = vec![
                rank(),
                code("region", "region"),
                code("sector", "sector"),
                text("sector_name", "sector name"),
            ];
            cols.extend(indicator_columns(&units, true));
            let mut tb = TableBuilder::new("sectors", "dependence by sector", cols);
            let mut rows: Vec<&SectorDependence> = d
                .sectors
                .iter()
                .filter(|x| sector.as_ref().is_none_or(|c| &x.node.sector == c))
                .filter(|x| x.output >= q.min_output)
                .collect();
            rows.sort_by(|x, y| sort_key(y, q.sort).total_cmp(&sort_key(x, q.sort)));
            rows.truncate(q.top.unwrap_or(usize::MAX));
            for (k, x) in rows.iter().enumerate() {
                let mut row: Vec<Value> = vec![
                    (k + 1).into(),
                    x.node.region.as_str().into(),
                    x.node.sector.as_str().into(),
                    x.node.sector_name.as_str().into(),
                ];
                row.extend(sector_values(x));
                tb.push_row(row)?;
            }
            r.tables.push(tb.finish());
        }
    }
    r.notes.push(DEPEND_NOTE.into());
    if !d.final_demand_by_destination {
        r.notes.push(format!(
            "{} does not split final demand by destination: sales to them count intermediate sales only",
            q.data
        ));
    }
    if d.zero_output_nodes > 0 {
        r.notes.push(format!(
            "{} of our nodes have no output and are left out",
            d.zero_output_nodes
        ));
    }
    if let Some(ps) = &shares {
        r.tables.push(ps.table(t)?);
    }
    Ok(r)
}

/// `depend --each`: every region of us on its own against them, with key-sector exposure.
fn depend_each(
    s: &Setup,
    q: &DependRequest,
    sector: Option<&str>,
    sys: &LeontiefSystem,
) -> Result<Report> {
    let t = s.table();
    // Independent: the dependency solves (one right-hand side each, bound by memory bandwidth) run beside
    // the key-sector solve (a right-hand side per country, bound by arithmetic).
    let (each, keys_each) = rayon::join(
        || dependency::compute_each(t, sys, &s.parties.us, &s.parties.them),
        || keys::compute_each(t, sys, &s.parties.us, &s.parties.them, 1),
    );
    let (each, keys_each) = (each?, keys_each?);
    let mut r = party_report(
        "depend",
        s,
        &q.us,
        &q.them,
        &q.data,
        format!("Dependence of each of {} on {} — {}", q.us, q.them, q.data),
    );
    param(&mut r, "each", "each", true);
    if let Some(d) = each.first() {
        push_solves(&mut r, &d.solves, "chains without");
    }
    if let Some(k) = keys_each.first() {
        line(&mut r, "solve: key sectors", solver_line(&k.solve));
        compose::solve(&mut r, "key_sectors", "key sectors", &k.solve);
    }
    line(
        &mut r,
        "solve: chains without third countries",
        format!("one restricted system per country ({})", each.len()),
    );
    let units = t.provenance.units.clone();
    let kd = doc("key-sectors-technological-keys-sovra-keys");
    match q.by {
        DependBy::Region | DependBy::Origin => {
            let mut cols = vec![code("region", "region")];
            cols.extend(indicator_columns(&units, false));
            cols.push(code("top_key_sector", "top key sector").doc(&kd));
            cols.push(
                amount(
                    "top_key_sector_exposed_output",
                    "its exposed output",
                    &units,
                    0,
                )
                .doc(&kd),
            );
            let mut tb = TableBuilder::new("regions", "dependence of each region", cols);
            let mut rows: Vec<(usize, &RegionDependence)> = each
                .iter()
                .enumerate()
                .map(|(k, d)| (k, &d.total))
                .collect();
            rows.sort_by(|x, y| {
                y.1.value_added_from_them
                    .total_cmp(&x.1.value_added_from_them)
            });
            rows.truncate(q.top.unwrap_or(usize::MAX));
            for (k, g) in rows {
                let mut row = vec![Value::from(each[k].us.join("+"))];
                row.extend(region_values(g));
                let key = keys_each[k].sectors.first();
                row.push(
                    key.map(|x| Value::from(x.node.sector.as_str()))
                        .unwrap_or(Value::Null),
                );
                row.push(key.map(|x| num(x.exposed_output)).unwrap_or(Value::Null));
                tb.push_row(row)?;
            }
            r.tables.push(tb.finish());
        }
        DependBy::Sector => {
            let mut cols = vec![
                code("region", "region"),
                code("sector", "sector"),
                text("sector_name", "sector name"),
            ];
            cols.extend(indicator_columns(&units, true));
            cols.push(Column::int("key_rank", "key rank", Kind::Rank).doc(&kd));
            cols.push(amount("exposed_output", "exposed output", &units, 0).doc(&kd));
            let mut tb = TableBuilder::new("sectors", "dependence of each region by sector", cols);
            let mut rows: Vec<(&SectorDependence, Option<&keys::KeySector>)> = Vec::new();
            for (d, k) in each.iter().zip(&keys_each) {
                for x in &d.sectors {
                    if sector.is_some_and(|c| x.node.sector != c) || x.output < q.min_output {
                        continue;
                    }
                    rows.push((x, k.sectors.iter().find(|ks| ks.node == x.node)));
                }
            }
            rows.sort_by(|x, y| sort_key(y.0, q.sort).total_cmp(&sort_key(x.0, q.sort)));
            rows.truncate(q.top.unwrap_or(usize::MAX));
            for (x, ks) in rows {
                let mut row: Vec<Value> = vec![
                    x.node.region.as_str().into(),
                    x.node.sector.as_str().into(),
                    x.node.sector_name.as_str().into(),
                ];
                row.extend(sector_values(x));
                row.push(ks.map(|k| Value::Int(k.rank as i64)).unwrap_or(Value::Null));
                row.push(ks.map(|k| num(k.exposed_output)).unwrap_or(Value::Null));
                tb.push_row(row)?;
            }
            r.tables.push(tb.finish());
        }
    }
    r.notes.push(
        "each region is \"us\" on its own: via third = through countries other than itself and them; key rank \
         and exposed output rank the sectors within their own country (see `sovra keys`). Formulas: \
         docs/indicators.md"
            .into(),
    );
    if each.first().is_some_and(|d| !d.final_demand_by_destination) {
        r.notes.push(format!(
            "{} does not split final demand by destination: sales to them count intermediate sales only",
            q.data
        ));
    }
    Ok(r)
}

/// Runs `keys`.
pub fn keys(ws: &Workspace, q: &KeysRequest, progress: &dyn Progress) -> Result<Report> {
    let s = setup(
        ws,
        &Sides {
            us: &q.us,
            them: &q.them,
            data: &q.data,
            year: q.year,
            as_of: &q.as_of,
            blocs: q.blocs.as_ref(),
        },
        progress,
    )?;
    let t = s.table();
    let sys = s.loaded.system(q.solver)?;
    progress.stage("solving");
    let k = keys::compute(t, &sys, &s.parties, q.inputs)?;
    let mut r = party_report(
        "keys",
        &s,
        &q.us,
        &q.them,
        &q.data,
        format!(
            "Technological keys: sectors of {} most exposed to inputs from {} — {}",
            q.us, q.them, q.data
        ),
    );
    let units = t.provenance.units.clone();
    figure(
        &mut r,
        "gross_output",
        "our gross output",
        num(k.us_output),
        Kind::Amount,
        Some(&units),
        0,
    );
    line(
        &mut r,
        "our gross output",
        format!("{} {units}", format_num(k.us_output, 0)),
    );
    line(&mut r, "solve", solver_line(&k.solve));
    compose::solve(
        &mut r,
        "forward",
        "(I − B)ᵀ-side forward solve over us",
        &k.solve,
    );
    let kd = doc("key-sectors-technological-keys-sovra-keys");
    let mut tb = TableBuilder::new(
        "sectors",
        "technological keys",
        vec![
            rank(),
            code("region", "region"),
            code("sector", "sector"),
            text("sector_name", "sector name"),
            amount("inputs_from_them", "inputs from them", &units, 0).doc(&kd),
            ratio("forward_multiplier", "forward multiplier", 3).doc(&kd),
            amount("exposed_output", "exposed output", &units, 0).doc(&kd),
            share("exposed_share", "of our output").doc(&kd),
            text("top_inputs", "top inputs from them").doc(&kd),
        ],
    );
    for x in k.sectors.iter().take(q.top.unwrap_or(usize::MAX)) {
        let inputs: Vec<String> = x
            .top_inputs
            .iter()
            .map(|i| {
                format!(
                    "{}/{} {:.0}%",
                    i.node.region,
                    i.node.sector,
                    i.share * 100.0
                )
            })
            .collect();
        tb.push_row(vec![
            x.rank.into(),
            x.node.region.as_str().into(),
            x.node.sector.as_str().into(),
            x.node.sector_name.as_str().into(),
            num(x.inputs_from_them),
            num(x.forward_multiplier),
            num(x.exposed_output),
            num(x.exposed_share),
            inputs.join(", ").into(),
        ])?;
    }
    r.tables.push(tb.finish());
    // The inputs behind each sector, one row per (sector, input): no merged cells for machines.
    let mut ti = TableBuilder::new(
        "inputs",
        "top inputs from them per sector",
        vec![
            Column::int("rank", "sector rank", Kind::Rank),
            code("region", "region"),
            code("sector", "sector"),
            code("input_region", "input region"),
            code("input_sector", "input sector"),
            amount("input_value", "input value", &units, 0),
            share("input_share", "share of inputs from them"),
        ]
        .into_iter()
        // For machines: people read the same inputs in the first table's `top_inputs` column.
        .map(Column::hidden)
        .collect(),
    );
    for x in k.sectors.iter().take(q.top.unwrap_or(usize::MAX)) {
        for i in &x.top_inputs {
            ti.push_row(vec![
                x.rank.into(),
                x.node.region.as_str().into(),
                x.node.sector.as_str().into(),
                i.node.region.as_str().into(),
                i.node.sector.as_str().into(),
                num(i.value),
                num(i.share),
            ])?;
        }
    }
    r.tables.push(ti.finish());
    r.notes.push(
        "exposed output E_j = m_j·g_j: inputs from them m_j times the Ghosh forward multiplier over our output \
         g_j = Σ_{k∈us} G_jk (supply-side hypothetical extraction of the them→j flows); gross output counted at \
         every stage, so shares do not add up across sectors. Formulas: docs/indicators.md"
            .into(),
    );
    Ok(r)
}

/// Runs `tiva`.
pub fn tiva(ws: &Workspace, q: &TivaRequest, progress: &dyn Progress) -> Result<Report> {
    let loaded = ws.dataset_year(&q.data, q.year, progress)?;
    let t = &*loaded.table;
    let mut date_notes = Vec::new();
    let only = match &q.country {
        None => None,
        Some(c) => {
            let date = dataset_date(&None, t, &mut date_notes)?;
            let reg = ws.registry(None)?;
            Some(resolve_side(&reg, c, date, t, &q.data, "country", &mut date_notes)?.used)
        }
    };
    let sys = loaded.system(q.solver)?;
    progress.stage("solving");
    let tv = tiva::compute(t, &sys)?;
    let mut r = compose::report(
        "tiva",
        format!("Trade in value added (OECD TiVA indicators) — {}", q.data),
        Some(t),
    );
    if let Some(c) = &q.country {
        param(&mut r, "country", "country", c.as_str());
    }
    line(&mut r, "solve", solver_line(&tv.solve));
    compose::solve(
        &mut r,
        "value_added_origin",
        "(I − A)ᵀ W = ν̂ by country",
        &tv.solve,
    );
    let units = t.provenance.units.clone();
    let full = tv.absent.is_none();
    figure(
        &mut r,
        "final_demand_by_destination",
        "final demand split by destination",
        full,
        Kind::Flag,
        None,
        0,
    );
    let td = doc("trade-in-value-added-sovra-tiva");
    let a = |k: &str| amount(k, k, &units, 0).doc(&td);
    let sh = |k: &str, l: &str| share(k, l).doc(&td);
    let mut cols = vec![code("region", "region"), text("name", "name")];
    if full {
        cols.extend([
            a("EXGR"),
            a("EXGR_DVA"),
            a("EXGR_FVA"),
            sh("EXGR_FVASH", "EXGR_FVASH"),
            a("EXGR_DVAFX"),
            sh("gvc_backward", "GVC backward"),
            sh("gvc_forward", "GVC forward"),
            sh("gvc_total", "GVC total"),
            a("FFD_DVA"),
            a("DFD_FVA"),
            a("EXGR_INT"),
        ]);
    } else {
        cols.extend([
            a("EXGR_INT"),
            a("EXGR_INT_DVA"),
            a("EXGR_INT_FVA"),
            sh("EXGR_INT_FVASH", "EXGR_INT_FVASH"),
            a("EXGR_INT_DVAFX"),
        ]);
    }
    // TiVA's own indicator codes are the keys machines know them by; lower-case keys for the rest.
    for c in &mut cols {
        c.key = c.key.to_ascii_lowercase();
    }
    let mut tb = TableBuilder::new("countries", "TiVA indicators by country", cols);
    let o = |v: Option<f64>| v.map(num).unwrap_or(Value::Null);
    for c in &tv.countries {
        if only.as_ref().is_some_and(|o| !o.contains(&c.region)) {
            continue;
        }
        let mut row: Vec<Value> = vec![c.region.as_str().into(), c.name.as_str().into()];
        if full {
            row.extend([
                o(c.EXGR),
                o(c.EXGR_DVA),
                o(c.EXGR_FVA),
                o(c.EXGR_FVASH),
                o(c.EXGR_DVAFX),
                o(c.GVC_backward),
                o(c.GVC_forward),
                o(c.GVC_total),
                o(c.FFD_DVA),
                o(c.DFD_FVA),
                num(c.EXGR_INT),
            ]);
        } else {
            let sh = if c.EXGR_INT > 0.0 {
                num(c.EXGR_INT_FVA / c.EXGR_INT)
            } else {
                Value::Null
            };
            row.extend([
                num(c.EXGR_INT),
                num(c.EXGR_INT_DVA),
                num(c.EXGR_INT_FVA),
                sh,
                num(c.EXGR_INT_DVAFX),
            ]);
        }
        tb.push_row(row)?;
    }
    r.tables.push(tb.finish());
    if let Some(why) = &tv.absent {
        r.notes.push(why.clone());
    }
    r.notes.extend(date_notes);
    r.notes.push(format!(
        "in {}; EXGR gross exports (EXGR_INT intermediate exports); _DVA/_FVA domestic/foreign value added in them (global Leontief inverse); \
         DVAFX domestic value added in other countries' exports; GVC backward = FVA/EXGR, forward = \
         DVAFX/EXGR; FFD_DVA domestic value added in foreign final demand; DFD_FVA foreign value added in \
         domestic final demand. Formulas: docs/indicators.md",
        t.provenance.units
    ));
    Ok(r)
}

/// Runs `blocs list`.
pub fn blocs_list(ws: &Workspace, q: &BlocsListRequest) -> Result<Report> {
    let reg = ws.registry(q.blocs.as_ref())?;
    let date = as_of(&q.as_of)?;
    let mut r = compose::report("blocs", format!("Blocs (membership as of {date})"), None);
    param(&mut r, "as_of", "as of", date.to_string());
    let mut tb = TableBuilder::new(
        "blocs",
        "blocs",
        vec![
            code("bloc", "bloc"),
            Column::int("members", "members", Kind::Count),
            text("title", "title"),
            text("member_list", "member list"),
        ],
    );
    for b in reg.blocs() {
        let m = b.members_on(date);
        tb.push_row(vec![
            b.name.as_str().into(),
            m.len().into(),
            b.title.as_str().into(),
            m.join(" ").into(),
        ])?;
    }
    r.tables.push(tb.finish());
    r.notes.push(
        "combine blocs with + (union), - (difference) and & (intersection), e.g. EU27+G7-DEU, BRICS&OPEC; \
         see `sovra blocs show NAME` for sources and history"
            .into(),
    );
    Ok(r)
}

/// Runs `blocs show`.
pub fn blocs_show(ws: &Workspace, q: &BlocsShowRequest, progress: &dyn Progress) -> Result<Report> {
    let reg = ws.registry(q.blocs.as_ref())?;
    let date = as_of(&q.as_of)?;
    let expr = q.name.as_str();
    let sel = reg
        .eval(expr, date)
        .map_err(|e| Error::from(e).at("name"))?;
    let mut r = compose::report(
        "bloc",
        format!("{expr} as of {date}: {} members", sel.members.len()),
        None,
    );
    param(&mut r, "as_of", "as of", date.to_string());
    line(&mut r, "members", sel.members.join(" "));
    figure(
        &mut r,
        "members",
        "members",
        Value::List(sel.members.iter().map(|m| m.as_str().into()).collect()),
        Kind::Code,
        None,
        0,
    );
    if let Some(b) = reg.get(expr.trim()) {
        line(&mut r, "title", b.title.clone());
        line(&mut r, "source", b.source.clone());
        line(&mut r, "list checked", b.checked.to_string());
        figure(
            &mut r,
            "title",
            "title",
            b.title.as_str(),
            Kind::Text,
            None,
            0,
        );
        figure(
            &mut r,
            "source",
            "source",
            b.source.as_str(),
            Kind::Text,
            None,
            0,
        );
        figure(
            &mut r,
            "list_checked",
            "list checked",
            b.checked.to_string(),
            Kind::Date,
            None,
            0,
        );
        if !b.notes.is_empty() {
            r.notes.push(b.notes.clone());
        }
        let mut tb = TableBuilder::new(
            "members",
            "membership history",
            vec![
                code("member", "member"),
                Column::text("from", "from").kind(Kind::Date),
                Column::text("until", "until").kind(Kind::Date),
                flag("member_on_date", "member on date"),
            ],
        );
        for m in &b.members {
            tb.push_row(vec![
                m.iso3.as_str().into(),
                m.from
                    .map(|d| Value::Text(d.to_string()))
                    .unwrap_or(Value::Null),
                m.until
                    .map(|d| Value::Text(d.to_string()))
                    .unwrap_or(Value::Null),
                m.on(date).into(),
            ])?;
        }
        r.tables.push(tb.finish());
    } else {
        for (name, m) in &sel.blocs {
            line(&mut r, name, m.join(" "));
        }
    }
    if let Some(data) = &q.data {
        let loaded = ws.dataset(data, progress)?;
        let t = &*loaded.table;
        r.provenance = compose::provenance(Some(t));
        let res = blocs::resolve(&reg, expr, date, &t.labels, data)
            .map_err(|e| Error::from(e).at("name"))?;
        line(&mut r, &format!("regions in {data}"), res.used.join(" "));
        figure(
            &mut r,
            "regions_in_dataset",
            &format!("regions in {data}"),
            Value::List(res.used.iter().map(|m| m.as_str().into()).collect()),
            Kind::Code,
            None,
            0,
        );
        if let Some(n) = res.absent_note(data) {
            r.notes.push(n);
        }
    }
    Ok(r)
}
