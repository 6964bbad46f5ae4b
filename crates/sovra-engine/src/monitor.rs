//! Is import substitution on track, year after year, and why did dependence change? `monitor` (the
//! indicators of every year of a series, their trends, and a programme's targets with a status each) and
//! `decompose` (a structural decomposition of the change of their value added in our final demand).
//! Definitions and the status rule: `docs/monitoring.md`.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sovra_analysis::decompose::{self, Decomposition, EFFECT_KEYS, EFFECT_LABELS};
use sovra_analysis::dependency::Parties;
use sovra_analysis::monitoring::{self, KPI_KEYS, KpiRow, RATIO_KEYS, Scope};
use sovra_report::{Column, Diagnostic, Kind, Report, TableBuilder, Value};

use crate::compose::{self, amount, code, figure, line, num, param, ratio, share, text};
use crate::depend::{Setup, Sides, party_report, setup};
use crate::error::{Error, ErrorKind, Result};
use crate::programme::{self, ProgrammeHead, Target, programme_error};
use crate::progress::Progress;
use crate::shock::TomlText;
use crate::workspace::{Blocs, DEFAULT_DATASET, Loaded, Solver, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

fn five() -> usize {
    5
}

/// Rows of `monitor` beyond all of us × all products.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorBy {
    /// Each region of us too.
    Region,
    /// Each sector (product) too.
    Sector,
}

/// `monitor`: the indicators of every year of a series, their trends and a programme's targets.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorRequest {
    /// Us: a country, bloc or expression.
    pub us: String,
    /// Them: a country, bloc or expression.
    pub them: String,
    /// Dataset name in the store (a series, e.g. `wiod2013`).
    #[serde(default = "default_data")]
    pub data: String,
    /// Years `FROM:TO` (either end may be left out), or one year; every year of the dataset when omitted.
    #[serde(default)]
    pub years: Option<String>,
    /// Bloc membership date, YYYY-MM-DD (default: the end of the last year); the same members every year.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Rows per region of us and/or per sector, beyond all of us × all products.
    #[serde(default)]
    pub by: Vec<MonitorBy>,
    /// Only this sector (with `by` sector).
    #[serde(default)]
    pub sector: Option<String>,
    /// Only these indicators (keys of docs/monitoring.md); all when omitted.
    #[serde(default)]
    pub kpis: Option<Vec<String>>,
    /// Years of the recent trend (slope, and the projection of targets).
    #[serde(default = "five")]
    pub window: usize,
    /// Each region of us on its own (its own us: via third countries counted against it alone).
    #[serde(default)]
    pub each: bool,
    /// A programme of targets (TOML text: `[[target]]` tables; see docs/monitoring.md).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(with = "Option<String>"))]
    pub programme: Option<TomlText>,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// `decompose`: why their value added in our final demand changed between two years.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecomposeRequest {
    /// Us: a country, bloc or expression.
    pub us: String,
    /// Them: a country, bloc or expression.
    pub them: String,
    /// Dataset name in the store (a series).
    #[serde(default = "default_data")]
    pub data: String,
    /// The first year.
    pub from: i32,
    /// The second year.
    pub to: i32,
    /// Bloc membership date, YYYY-MM-DD (default: the end of the second year); the same members both years.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Effects per sector (product of our final demand) too.
    #[serde(default)]
    pub by_sector: bool,
    /// Decompose each consecutive pair of years and add up (the totals telescope).
    #[serde(default)]
    pub chain: bool,
    /// Each region of us on its own too (a table with one row per region; every solve is shared).
    #[serde(default)]
    pub each: bool,
    /// Linear solver.
    #[serde(default)]
    pub solver: Solver,
}

/// The years of a dataset a `FROM:TO` (or `YEAR`) selects; every year the range names must be there.
pub fn select_years(have: &[i32], spec: Option<&str>, field: &str) -> Result<Vec<i32>> {
    if have.is_empty() {
        return Err(Error::new(
            ErrorKind::Usage,
            "the dataset records no year: a series needs yearly tables (see `sovra data import`)",
        )
        .at(field));
    }
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(have.to_vec());
    };
    let parse = |s: &str, default: i32| -> Result<i32> {
        if s.trim().is_empty() {
            return Ok(default);
        }
        s.trim().parse::<i32>().map_err(|_| {
            Error::usage(
                field,
                format!(
                    "--{field} '{spec}': write FROM:TO (e.g. 1995:2011), FROM:, :TO or one year"
                ),
            )
        })
    };
    let (lo, hi) = match spec.split_once(':') {
        Some((a, b)) => (parse(a, have[0])?, parse(b, have[have.len() - 1])?),
        None => {
            let y = parse(spec, 0)?;
            (y, y)
        }
    };
    if lo > hi {
        return Err(Error::usage(
            field,
            format!("--{field} '{spec}': the first year is after the last"),
        ));
    }
    let missing: Vec<String> = (lo..=hi)
        .filter(|y| !have.contains(y))
        .map(|y| y.to_string())
        .collect();
    if !missing.is_empty() {
        let mut e = Error::new(
            ErrorKind::NotFound,
            format!(
                "--{field} {spec}: the dataset has no year {} (it holds {})",
                missing.join(", "),
                sovra_core::store::year_list(have)
            ),
        )
        .at(field);
        e.choices = have.iter().map(|y| y.to_string()).collect();
        return Err(e);
    }
    Ok((lo..=hi).collect())
}

/// The years a dataset holds (its latest year is loaded, and kept, on the way: the default dataset is fetched
/// on first use as everywhere).
fn years_held(ws: &Workspace, data: &str, progress: &dyn Progress) -> Result<Vec<i32>> {
    let latest = ws.dataset(data, progress)?;
    Ok(if latest.years.is_empty() {
        latest.table.provenance.year.into_iter().collect()
    } else {
        latest.years.clone()
    })
}

/// One year of a dataset, checked to have the labels of `reference`: kept in the workspace when it serves
/// many requests (a server), else read for this request only (the CLI), so that a long series is not held in
/// memory all at once.
fn year_table(
    ws: &Workspace,
    s: &Setup,
    data: &str,
    y: i32,
    progress: &dyn Progress,
) -> Result<Arc<Loaded>> {
    year_table_from(ws, s, data, y, None, progress)
}

/// A year's table opened on its own (not through the workspace's cache, which a one-shot command does not
/// keep): what [`year_table_from`] takes when it was opened ahead, alongside other work.
fn open_ahead(ws: &Workspace, data: &str, y: i32) -> Option<Result<Arc<Loaded>>> {
    (ws.reuse <= 1).then(|| {
        sovra_core::store::open_year(ws.home(), data, Some(y))
            .map(|t| Arc::new(Loaded::from_table(t)))
            .map_err(|e| Error::from(e).at("years"))
    })
}

/// [`year_table`], with the table of year `y` already opened when `ahead` has it.
fn year_table_from(
    ws: &Workspace,
    s: &Setup,
    data: &str,
    y: i32,
    ahead: Option<Result<Arc<Loaded>>>,
    progress: &dyn Progress,
) -> Result<Arc<Loaded>> {
    let loaded = if s.loaded.years.len() <= 1 || s.table().provenance.year == Some(y) {
        s.loaded.clone()
    } else if let Some(opened) = ahead {
        opened?
    } else if ws.reuse > 1 {
        ws.dataset_year(data, Some(y), progress)?
    } else {
        let t = sovra_core::store::open_year(ws.home(), data, Some(y))
            .map_err(|e| Error::from(e).at("years"))?;
        Arc::new(Loaded::from_table(t))
    };
    if let Some(diff) = sovra_core::store::labels_differ(&s.table().labels, &loaded.table.labels) {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "{data}: the labels of {y} differ from those of {}: {diff}",
                s.table().provenance.year.unwrap_or_default()
            ),
        )
        .at("years"));
    }
    Ok(loaded)
}

/// Us, them (on the last year asked) and the years asked.
fn setup_years(
    ws: &Workspace,
    sides: Sides,
    years: Option<&str>,
    field: &str,
    progress: &dyn Progress,
) -> Result<(Setup, Vec<i32>)> {
    let have = years_held(ws, sides.data, progress)?;
    let chosen = select_years(&have, years, field)?;
    let last = *chosen.last().unwrap_or(&0);
    let s = setup(
        ws,
        &Sides {
            // The latest year is the one `dataset` loaded: the same cache entry.
            year: (have.len() > 1 && Some(&last) != have.last()).then_some(last),
            ..sides
        },
        progress,
    )?;
    Ok((s, chosen))
}

/// Parses and checks a programme against the parties, the table's sectors and the years.
fn parse_programme(
    p: &TomlText,
    s: &Setup,
    us_expr: &str,
    data: &str,
    years: &[i32],
) -> Result<(ProgrammeHead, Vec<Target>, Vec<String>)> {
    let (head, specs, others) = programme::read(p, false)?;
    let t = s.table();
    let mut out = Vec::new();
    for (spec, sign) in specs {
        let id = spec.id.clone();
        let err = |m: String| programme_error(&p.origin, Some(&id), m);
        if !KPI_KEYS.contains(&spec.kpi.as_str()) {
            let mut e = err(format!(
                "no indicator '{}' (kpi = one of {}; the product-group indicators go with products or a \
                 section, for sovra trade monitor)",
                spec.kpi,
                KPI_KEYS.join(", ")
            ));
            e.choices = KPI_KEYS.iter().map(|k| k.to_string()).collect();
            return Err(e);
        }
        let scope = match spec.region.as_deref().map(str::trim) {
            None | Some("") => us_expr.to_string(),
            Some(r) if r.eq_ignore_ascii_case(us_expr) => us_expr.to_string(),
            Some(r) => {
                let Some(code) =
                    s.us.used
                        .iter()
                        .find(|c| c.eq_ignore_ascii_case(r))
                        .cloned()
                else {
                    return Err(err(format!(
                        "region '{r}' is not us ({us_expr}) nor one of our regions ({})",
                        s.us.used.join(" ")
                    )));
                };
                code
            }
        };
        let sector = match spec.sector.as_deref().map(str::trim) {
            None | Some("") | Some("all") | Some("ALL") => None,
            Some(c) => Some(
                t.labels
                    .sector_index(c, data)
                    .map_err(|e| err(Error::from(e).message))?,
            ),
        };
        let baseline_year = programme::baseline_year(p, &spec, years)?;
        let label = sector.map_or_else(|| "all".to_string(), |i| t.labels.sectors[i].code.clone());
        out.push(Target {
            spec,
            scope,
            sector,
            label,
            sign,
            baseline_year,
        });
    }
    Ok((head, out, others))
}

fn kpi_column(key: &str, units: &str) -> Column {
    let label = match key {
        "output" => "output Q",
        "imports" => "imports M",
        "exports" => "exports X",
        "apparent_consumption" => "Q − X + M",
        "import_penetration" => "import penetration",
        "self_sufficiency" => "self-sufficiency",
        "imports_from_them" => "imports from them",
        "imports_from_them_share" => "share of imports from them",
        "direct_input_share" => "direct inputs from them",
        "va_from_them" => "VA from them",
        "va_via_third" => "of which via third",
        "foreign_supplier_hhi" => "foreign supplier HHI",
        "fva_final_demand" => "their VA in our final demand",
        "fva_final_demand_share" => "its share of our final demand",
        _ => key,
    };
    let doc = "docs/monitoring.md";
    match key {
        "foreign_supplier_hhi" => ratio(key, label, 3).doc(doc),
        k if RATIO_KEYS.contains(&k) => share(key, label).doc(doc),
        _ => amount(key, label, units, 0).doc(doc),
    }
}

/// Runs `monitor`.
pub fn monitor(ws: &Workspace, q: &MonitorRequest, progress: &dyn Progress) -> Result<Report> {
    if q.window < 2 {
        return Err(Error::usage(
            "window",
            format!("--window {}: the trend needs at least 2 years", q.window),
        ));
    }
    let kpis: Vec<String> = match &q.kpis {
        None => KPI_KEYS.iter().map(|k| k.to_string()).collect(),
        Some(list) => {
            for k in list {
                if !KPI_KEYS.contains(&k.as_str()) {
                    let mut e = Error::usage(
                        "kpis",
                        format!(
                            "no indicator '{k}': the indicators are {} (docs/monitoring.md)",
                            KPI_KEYS.join(", ")
                        ),
                    );
                    e.choices = KPI_KEYS.iter().map(|k| k.to_string()).collect();
                    return Err(e);
                }
            }
            list.clone()
        }
    };
    let (s, years) = setup_years(
        ws,
        Sides {
            us: &q.us,
            them: &q.them,
            data: &q.data,
            year: None,
            as_of: &q.as_of,
            blocs: q.blocs.as_ref(),
        },
        q.years.as_deref(),
        "years",
        progress,
    )?;
    let t = s.table();
    let only_sector = match &q.sector {
        None => None,
        Some(c) => Some(
            t.labels
                .sector_index(c, &q.data)
                .map_err(|e| Error::from(e).at("sector"))?,
        ),
    };
    let programme = match &q.programme {
        None => None,
        Some(p) => Some(parse_programme(p, &s, &q.us, &q.data, &years)?),
    };
    let targets: &[Target] = programme.as_ref().map(|p| p.1.as_slice()).unwrap_or(&[]);
    let by_region = q.by.contains(&MonitorBy::Region) || targets.iter().any(|t| t.scope != q.us);
    let by_sector = q.by.contains(&MonitorBy::Sector)
        || only_sector.is_some()
        || targets.iter().any(|t| t.sector.is_some());
    // The parties and scopes: all of us (and each region), or each region of us on its own.
    let region_scope = |r: usize| Scope {
        name: t.labels.regions[r].code.clone(),
        regions: vec![r],
    };
    let groups: Vec<(Parties, Vec<Scope>)> = if q.each {
        s.parties
            .us
            .iter()
            .map(|&r| {
                Ok((
                    Parties::new(t, vec![r], s.parties.them.clone())?,
                    vec![region_scope(r)],
                ))
            })
            .collect::<std::result::Result<_, sovra_analysis::Error>>()?
    } else {
        let mut scopes = vec![Scope {
            name: q.us.clone(),
            regions: s.parties.us.clone(),
        }];
        if by_region && s.parties.us.len() > 1 {
            scopes.extend(s.parties.us.iter().map(|&r| region_scope(r)));
        }
        vec![(s.parties.clone(), scopes)]
    };
    // Every year: one factorisation, every scope and product from the same solves.
    let mut all: Vec<(i32, Vec<KpiRow>)> = Vec::new();
    let mut residual = 0.0f64;
    let mut n_solves = 0usize;
    let mut by_destination = true;
    let started = std::time::Instant::now();
    // The years in parallel: each is independent (its own table, system and solves), read, computed and let go.
    progress.stage(&format!("{} years", years.len()));
    let per_year: Vec<Result<monitoring::YearKpis>> = years
        .par_iter()
        .map(|&y| {
            if progress.cancelled() {
                return Err(Error::cancelled());
            }
            let loaded = year_table(ws, &s, &q.data, y, progress)?;
            let sys = loaded.system(q.solver)?;
            Ok(monitoring::year_kpis_each(
                &loaded.table,
                &sys,
                &groups,
                by_sector,
            )?)
        })
        .collect();
    for (y, k) in years.iter().zip(per_year) {
        let k = k?;
        by_destination &= k.final_demand_by_destination;
        for (_, rep) in &k.solves {
            residual = residual.max(rep.max_relative_residual);
            n_solves += rep.rhs;
        }
        all.push((*y, k.rows));
    }
    let seconds = started.elapsed().as_secs_f64();
    let keep_sector = |sec: Option<usize>| match (sec, only_sector) {
        (None, _) => true,
        (Some(x), Some(o)) => x == o,
        (Some(_), None) => q.by.contains(&MonitorBy::Sector),
    };
    let mut r = party_report(
        "monitor",
        &s,
        &q.us,
        &q.them,
        &q.data,
        format!(
            "Monitoring {} against {} — {}, {}",
            q.us,
            q.them,
            q.data,
            year_span(&years)
        ),
    );
    r.provenance.year = None;
    param(&mut r, "years", "years", year_span(&years));
    param(&mut r, "window", "trend window (years)", q.window as i64);
    if q.each {
        param(&mut r, "each", "each region on its own", true);
    }
    let units = t.provenance.units.clone();
    let sector_code = |sec: Option<usize>| match sec {
        None => "all".to_string(),
        Some(x) => t.labels.sectors[x].code.clone(),
    };
    let sector_name = |sec: Option<usize>| match sec {
        None => "all products".to_string(),
        Some(x) => t.labels.sectors[x].name.clone(),
    };
    // Headline: all of us × all products, first and last year.
    let total_of = |rows: &[KpiRow]| rows.iter().find(|x| x.sector.is_none()).cloned();
    if let (Some((y0, r0)), Some((y1, r1))) = (all.first(), all.last())
        && let (Some(a), Some(b)) = (total_of(r0), total_of(r1))
    {
        for key in [
            "import_penetration",
            "self_sufficiency",
            "imports_from_them_share",
            "va_from_them",
            "fva_final_demand_share",
        ] {
            let fmt = |v: Option<f64>| match v {
                Some(v) => format!("{:.2} %", 100.0 * v),
                None => "undefined".to_string(),
            };
            line(
                &mut r,
                &kpi_column(key, &units).label,
                format!(
                    "{} in {y0} → {} in {y1}",
                    fmt(a.kpis.get(key)),
                    fmt(b.kpis.get(key)),
                ),
            );
        }
        figure(
            &mut r,
            "import_penetration",
            &format!("import penetration, {y1}"),
            b.kpis.import_penetration.map(num).unwrap_or(Value::Null),
            Kind::Share,
            None,
            2,
        );
        figure(
            &mut r,
            "fva_final_demand",
            &format!("their value added in our final demand, {y1}"),
            b.kpis.fva_final_demand.map(num).unwrap_or(Value::Null),
            Kind::Amount,
            Some(&units),
            0,
        );
    }
    figure(&mut r, "years", "years", years.len(), Kind::Count, None, 0);
    // The KPI table.
    let mut specs = vec![
        Column::int("year", "year", Kind::Year),
        code("scope", "scope"),
        code("sector", "sector"),
        text("sector_name", "sector name").hidden(),
    ];
    // The terminal shows the ratios and the main amounts; CSV and JSON carry every column.
    specs.extend(kpis.iter().map(|k| {
        let c = kpi_column(k, &units);
        if q.kpis.is_none() && matches!(k.as_str(), "apparent_consumption" | "imports_from_them") {
            c.hidden()
        } else {
            c
        }
    }));
    let mut tb = TableBuilder::new("kpis", "Indicators per year", specs);
    let mut undefined: Vec<(String, &'static str, usize, String)> = Vec::new();
    for (y, rows) in &all {
        for row in rows.iter().filter(|x| keep_sector(x.sector)) {
            let mut vals = vec![
                Value::Int(*y as i64),
                row.scope.as_str().into(),
                sector_code(row.sector).into(),
                sector_name(row.sector).into(),
            ];
            for k in &kpis {
                let v = row.kpis.get(k);
                if v.is_none()
                    && let Some(why) = row.kpis.reason(k, by_destination)
                {
                    match undefined.iter_mut().find(|u| u.0 == *k && u.1 == why) {
                        Some(u) => u.2 += 1,
                        None => undefined.push((
                            k.clone(),
                            why,
                            1,
                            format!("{} {} {y}", row.scope, sector_code(row.sector)),
                        )),
                    }
                }
                vals.push(v.map(Value::Number).unwrap_or(Value::Null));
            }
            tb.push_row(vals)?;
        }
    }
    r.tables.push(tb.finish());
    // Trends per scope × sector × indicator: shares (changes in share points) and amounts.
    let trend_table = |key: &str, title: &str, shares: bool| {
        let value = |k: &str, l: &str| {
            if shares {
                share(k, l)
            } else {
                amount(k, l, &units, 0)
            }
        };
        TableBuilder::new(
            key,
            title,
            vec![
                code("scope", "scope"),
                code("sector", "sector"),
                code("kpi", "indicator"),
                Column::int("first_year", "first year", Kind::Year),
                value("first", "first"),
                Column::int("last_year", "last year", Kind::Year),
                value("last", "last"),
                value("change", "change")
                    .doc("last − first (for shares: in share points, 0.05 = 5 points)"),
                share("cagr", "CAGR").doc("(last / first)^(1/years) − 1"),
                if shares {
                    share("slope", "slope per year").decimals(3)
                } else {
                    amount("slope", "slope per year", &units, 0)
                }
                .doc("least-squares slope over the last --window years"),
            ],
        )
    };
    let mut trend_shares = trend_table("trends", "Trends of the shares", true);
    let mut trend_amounts = trend_table("trend_amounts", "Trends of the amounts", false);
    if let Some((_, first_rows)) = all.first() {
        for (i, row) in first_rows.iter().enumerate() {
            if !keep_sector(row.sector) {
                continue;
            }
            for k in &kpis {
                let series: Vec<(i32, Option<f64>)> = all
                    .iter()
                    .map(|(y, rows)| (*y, rows[i].kpis.get(k)))
                    .collect();
                if let Some(tr) = monitoring::trend(&series, q.window) {
                    let tb = if RATIO_KEYS.contains(&k.as_str()) {
                        &mut trend_shares
                    } else {
                        &mut trend_amounts
                    };
                    tb_push_trend(tb, row, sector_code(row.sector), k, &tr)?;
                }
            }
        }
    }
    r.tables.push(trend_shares.finish());
    r.tables.push(trend_amounts.finish());
    // Targets.
    if let Some((head, targets, others)) = &programme {
        let target_series = |tg: &Target| -> Vec<(i32, Option<f64>)> {
            let idx = all.first().and_then(|(_, rows)| {
                rows.iter()
                    .position(|x| x.scope == tg.scope && x.sector == tg.sector)
            });
            idx.map(|i| {
                all.iter()
                    .map(|(y, rows)| (*y, rows[i].kpis.get(&tg.spec.kpi)))
                    .collect()
            })
            .unwrap_or_default()
        };
        programme::push(&mut r, head, targets, &target_series, q.window)?;
        if !others.is_empty() {
            r.notes.push(format!(
                "targets on products ({}) are checked by sovra trade monitor on the trade store",
                others.join(", ")
            ));
        }
    }
    r.notes.push(format!(
        "Current prices ({units}): a change over time mixes volumes, prices and exchange rates. The same members \
         of us and them every year (as of {}). Definitions: docs/monitoring.md",
        s.date
    ));
    if !by_destination {
        r.diagnostics.push(Diagnostic::warning(
            "final_demand_by_destination",
            "final demand by destination",
            "the table does not split final demand by destination: imports and exports count intermediate \
             flows only, and their value added in our final demand is undefined",
        ));
    }
    for (k, why, n, example) in undefined {
        r.diagnostics.push(Diagnostic::warning(
            "undefined",
            format!("{k} undefined in {n} row{}", if n == 1 { "" } else { "s" }),
            format!("{why} (e.g. {example})"),
        ));
    }
    r.diagnostics.push(
        Diagnostic::new("solves", "Leontief solves")
            .method(format!(
                "one factorisation per year ({} years), every right-hand side at once",
                years.len()
            ))
            .right_hand_sides(n_solves as u64)
            .max_relative_residual(residual)
            .seconds(seconds),
    );
    Ok(r)
}

fn tb_push_trend(
    tb: &mut TableBuilder,
    row: &KpiRow,
    sector: String,
    k: &str,
    tr: &monitoring::Trend,
) -> Result<()> {
    tb.push_row(vec![
        row.scope.as_str().into(),
        sector.into(),
        k.into(),
        Value::Int(tr.first.0 as i64),
        num(tr.first.1),
        Value::Int(tr.last.0 as i64),
        num(tr.last.1),
        num(tr.change),
        tr.cagr.map(num).unwrap_or(Value::Null),
        tr.slope.map(num).unwrap_or(Value::Null),
    ])?;
    Ok(())
}

fn year_span(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// Runs `decompose`.
pub fn decompose(ws: &Workspace, q: &DecomposeRequest, progress: &dyn Progress) -> Result<Report> {
    if q.from == q.to {
        return Err(Error::usage(
            "to",
            format!(
                "--from and --to are both {}: give two different years",
                q.from
            ),
        ));
    }
    if q.from > q.to {
        return Err(Error::usage(
            "to",
            format!("--to {} is before --from {}", q.to, q.from),
        ));
    }
    let spec = format!("{}:{}", q.from, q.to);
    let have = years_held(ws, &q.data, progress)?;
    // Both years must be there; a chain needs every year between.
    for (y, field) in [(q.from, "from"), (q.to, "to")] {
        if !have.contains(&y) {
            let mut e = Error::new(
                ErrorKind::NotFound,
                format!(
                    "{}: no year {y} (it holds {})",
                    q.data,
                    sovra_core::store::year_list(&have)
                ),
            )
            .at(field);
            e.choices = have.iter().map(|y| y.to_string()).collect();
            return Err(e);
        }
    }
    let years: Vec<i32> = if q.chain {
        select_years(&have, Some(&spec), "years")?
    } else {
        vec![q.from, q.to]
    };
    // The other years' tables open while the setup opens the last one.
    let (s, mut ahead) = rayon::join(
        || {
            setup(
                ws,
                &Sides {
                    us: &q.us,
                    them: &q.them,
                    data: &q.data,
                    year: (have.len() > 1 && Some(&q.to) != have.last()).then_some(q.to),
                    as_of: &q.as_of,
                    blocs: q.blocs.as_ref(),
                },
                progress,
            )
        },
        || {
            years
                .par_iter()
                .filter(|&&y| y != q.to)
                .map(|&y| (y, open_ahead(ws, &q.data, y)))
                .collect::<Vec<_>>()
        },
    );
    let s = s?;
    let ahead: Vec<Option<Result<Arc<Loaded>>>> = years
        .iter()
        .map(|y| {
            ahead
                .iter()
                .position(|(a, _)| a == y)
                .and_then(|k| ahead[k].1.take())
        })
        .collect();
    let tables: Vec<(i32, Arc<Loaded>)> = years
        .par_iter()
        .zip(ahead)
        .map(|(&y, a)| Ok((y, year_table_from(ws, &s, &q.data, y, a, progress)?)))
        .collect::<Result<_>>()?;
    let t = s.table();
    // All of us first, then each region when asked: every solve is shared, each adds its final demand.
    let mut us_sets = vec![s.parties.us.clone()];
    if q.each {
        us_sets.extend(s.parties.us.iter().map(|&r| vec![r]));
    }
    let mut steps: Vec<(i32, i32, Vec<Decomposition>)> = Vec::new();
    let started = std::time::Instant::now();
    for w in tables.windows(2) {
        let ((y0, l0), (y1, l1)) = (&w[0], &w[1]);
        progress.stage(&format!("decomposing {y0} → {y1}"));
        if progress.cancelled() {
            return Err(Error::cancelled());
        }
        let (s0, s1) = rayon::join(|| l0.system(q.solver), || l1.system(q.solver));
        let (s0, s1) = (s0?, s1?);
        let d =
            decompose::decompose_each(&l0.table, &s0, &l1.table, &s1, &s.parties.them, &us_sets)?;
        steps.push((*y0, *y1, d));
    }
    let seconds = started.elapsed().as_secs_f64();
    let chained = |k: usize| {
        steps
            .iter()
            .map(|x| x.2[k].clone())
            .reduce(|a, b| a.chain(&b))
            .ok_or_else(|| Error::new(ErrorKind::Compute, "no pair of years to decompose"))
    };
    let total = chained(0)?;
    let units = t.provenance.units.clone();
    let mut r = party_report(
        "decompose",
        &s,
        &q.us,
        &q.them,
        &q.data,
        format!(
            "Why their value added in the final demand of {} changed — {} on {}, {} → {}",
            q.us, q.them, q.data, q.from, q.to
        ),
    );
    r.provenance.year = None;
    param(&mut r, "from", "from", q.from as i64);
    param(&mut r, "to", "to", q.to as i64);
    if q.chain {
        param(&mut r, "chain", "chained year by year", true);
    }
    let change = total.total();
    let sum = total.sum();
    let resid = (sum - change).abs() / change.abs().max(total.d0.abs()).max(f64::MIN_POSITIVE);
    figure(
        &mut r,
        "d0",
        &format!("their value added in our final demand, {}", q.from),
        num(total.d0),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "d1",
        &format!("their value added in our final demand, {}", q.to),
        num(total.d1),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "change",
        "change",
        num(change),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        &mut r,
        "sum_of_effects",
        "sum of the six effects",
        num(sum),
        Kind::Amount,
        Some(&units),
        3,
    );
    figure(
        &mut r,
        "relative_residual",
        "|sum − change| / |change|",
        num(resid),
        Kind::Ratio,
        None,
        12,
    );
    let biggest = (0..6).max_by(|&a, &b| total.effects[a].abs().total_cmp(&total.effects[b].abs()));
    line(
        &mut r,
        "change",
        format!(
            "{} → {}: {} → {} {units} ({}{}), effects add up to the change within {:.1e}",
            q.from,
            q.to,
            compose::format_num(total.d0, 0),
            compose::format_num(total.d1, 0),
            if change >= 0.0 { "+" } else { "" },
            compose::format_num(change, 0),
            resid
        ),
    );
    if let Some(k) = biggest {
        line(
            &mut r,
            "largest effect",
            format!(
                "{}: {}{} {units}",
                EFFECT_LABELS[k],
                if total.effects[k] >= 0.0 { "+" } else { "" },
                compose::format_num(total.effects[k], 0)
            ),
        );
    }
    let mut tb = TableBuilder::new(
        "effects",
        "Effects",
        vec![
            code("effect", "effect"),
            text("label", "what changed"),
            amount("value", "contribution", &units, 1),
            share("share_of_change", "share of the change"),
        ],
    );
    for k in 0..6 {
        tb.push_row(vec![
            EFFECT_KEYS[k].into(),
            EFFECT_LABELS[k].into(),
            num(total.effects[k]),
            if change != 0.0 {
                num(total.effects[k] / change)
            } else {
                Value::Null
            },
        ])?;
    }
    r.tables.push(tb.finish());
    let effect_cols = || {
        EFFECT_KEYS
            .iter()
            .zip([
                "ν",
                "technology",
                "sourcing",
                "FD level",
                "FD mix",
                "FD sourcing",
            ])
            .map(|(k, l)| amount(k, l, &units, 1))
            .collect::<Vec<_>>()
    };
    if q.by_sector {
        let mut specs = vec![
            code("sector", "sector"),
            text("sector_name", "sector name"),
            amount("d0", &format!("D {}", q.from), &units, 1),
            amount("d1", &format!("D {}", q.to), &units, 1),
            amount("change", "change", &units, 1),
        ];
        specs.extend(effect_cols());
        let mut tb =
            TableBuilder::new("by_sector", "Effects by product of our final demand", specs);
        let mut order: Vec<usize> = (0..total.by_sector.len()).collect();
        order.sort_by(|&a, &b| {
            let c = |i: usize| (total.by_sector[i].d1 - total.by_sector[i].d0).abs();
            c(b).total_cmp(&c(a))
        });
        for i in order {
            let e = &total.by_sector[i];
            let mut row = vec![
                t.labels.sectors[i].code.as_str().into(),
                t.labels.sectors[i].name.as_str().into(),
                num(e.d0),
                num(e.d1),
                num(e.d1 - e.d0),
            ];
            row.extend(e.effects.iter().map(|v| num(*v)));
            tb.push_row(row)?;
        }
        r.tables.push(tb.finish());
    }
    if q.chain {
        let mut specs = vec![
            Column::int("from", "from", Kind::Year),
            Column::int("to", "to", Kind::Year),
            amount("d0", "D before", &units, 1),
            amount("d1", "D after", &units, 1),
        ];
        specs.extend(effect_cols());
        let mut tb = TableBuilder::new("chain", "Year by year", specs);
        for (y0, y1, ds) in &steps {
            let d = &ds[0];
            let mut row = vec![
                Value::Int(*y0 as i64),
                Value::Int(*y1 as i64),
                num(d.d0),
                num(d.d1),
            ];
            row.extend(d.effects.iter().map(|v| num(*v)));
            tb.push_row(row)?;
        }
        r.tables.push(tb.finish());
    }
    if q.each {
        let mut specs = vec![
            code("region", "region"),
            amount("d0", &format!("D {}", q.from), &units, 1),
            amount("d1", &format!("D {}", q.to), &units, 1),
            amount("change", "change", &units, 1),
        ];
        specs.extend(effect_cols());
        let mut tb = TableBuilder::new("each", "Each region of us on its own", specs);
        for (k, &reg) in s.parties.us.iter().enumerate() {
            let d = chained(k + 1)?;
            let mut row = vec![
                t.labels.regions[reg].code.as_str().into(),
                num(d.d0),
                num(d.d1),
                num(d.total()),
            ];
            row.extend(d.effects.iter().map(|v| num(*v)));
            tb.push_row(row)?;
        }
        r.tables.push(tb.finish());
    }
    r.notes.push(format!(
        "D = Σ_{{i∈them}} ν_i [L f]_i: their value added embodied in our final demand f (all origins). Effects: \
         the average of the two polar decompositions (Dietzenbacher & Los 1998), L₁ − L₀ = L₁(A₁ − A₀)L₀; \
         A = S∘Ā (technology, import sourcing), f = F·m∘σ (level, mix, sourcing). Current prices ({units}): \
         the change mixes volumes, prices and exchange rates. Formulas: docs/monitoring.md"
    ));
    let mut max_res = 0.0f64;
    let mut rhs = 0usize;
    for (_, rep) in &total.solves {
        max_res = max_res.max(rep.max_relative_residual);
        rhs += rep.rhs;
    }
    r.diagnostics.push(
        Diagnostic::new("solves", "Leontief solves")
            .method(format!(
                "one factorisation per year, {} solve{} (no inverse formed)",
                total.solves.len(),
                if total.solves.len() == 1 { "" } else { "s" }
            ))
            .right_hand_sides(rhs as u64)
            .max_relative_residual(max_res)
            .seconds(seconds),
    );
    r.diagnostics.push(
        Diagnostic::new("additivity", "effects add up to the change").detail(format!(
            "relative residual {resid:.2e} (sum {sum}, change {change})"
        )),
    );
    Ok(r)
}
