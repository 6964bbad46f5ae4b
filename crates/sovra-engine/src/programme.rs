//! A programme of targets (`[[target]]` tables in TOML) and how each target is judged: its latest value, the
//! straight path from its baseline to its goal, the recent trend extrapolated, and a status (achieved, on
//! track, behind, worsening; docs/monitoring.md). Shared by `sovra monitor` (targets on sectors of a table
//! series) and `sovra trade monitor` (targets on groups of products in the trade store): each command checks
//! the targets of its kind and leaves the others to the other, with a note.

use std::collections::BTreeSet;

use serde::Deserialize;
use sovra_analysis::monitoring;
use sovra_report::{Column, Diagnostic, Kind, Report, TableBuilder, Value};

use crate::compose::{self, code, figure, line, num, param, ratio, text};
use crate::error::{Error, Result};
use crate::shock::TomlText;

/// A target of a programme file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetSpec {
    pub id: String,
    pub kpi: String,
    #[serde(default)]
    pub region: Option<String>,
    /// A sector of the table (`sovra monitor`).
    #[serde(default)]
    pub sector: Option<String>,
    /// HS codes (HS2, HS4 or HS6; every HS6 code that starts with one belongs to the group): a product-group
    /// target (`sovra trade monitor`).
    #[serde(default)]
    pub products: Option<Vec<String>>,
    /// An HS section (`I` … `XXI`): a product-group target (`sovra trade monitor`).
    #[serde(default)]
    pub section: Option<String>,
    pub direction: String,
    pub value: f64,
    pub year: i32,
    #[serde(default)]
    pub baseline_year: Option<i32>,
    #[serde(default)]
    pub note: Option<String>,
}

impl TargetSpec {
    /// Whether the target is on a group of products (trade) rather than a sector of a table.
    pub fn is_product_group(&self) -> bool {
        self.products.is_some() || self.section.is_some()
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProgrammeHead {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgrammeFile {
    #[serde(default)]
    programme: ProgrammeHead,
    #[serde(default)]
    target: Vec<TargetSpec>,
}

/// A target checked against the data: its scope (us or one of our regions), what it is on (a sector index of
/// the table for `sovra monitor`; none for all products or a product group), its label for the targets table
/// (a sector code, `all`, or the product group), the sign of its direction and its baseline year.
pub(crate) struct Target {
    pub spec: TargetSpec,
    pub scope: String,
    pub sector: Option<usize>,
    pub label: String,
    pub sign: f64,
    pub baseline_year: i32,
}

pub(crate) fn programme_error(origin: &str, target: Option<&str>, msg: String) -> Error {
    let at = match target {
        Some(id) => format!("{origin}, target '{id}'"),
        None => origin.to_string(),
    };
    Error::usage("programme", format!("{at}: {msg}"))
}

/// A programme as read: its head, the targets this command checks (each with the sign of its direction), and
/// the ids of the targets left to the other command.
pub(crate) type Read = (ProgrammeHead, Vec<(TargetSpec, f64)>, Vec<String>);

/// A target's indicator, year by year (`None` where undefined).
pub(crate) type Series = Vec<(i32, Option<f64>)>;

/// Reads a programme: the TOML, at least one target, unique ids, a direction and a finite value each; then
/// the targets each command checks (`product_groups`: the trade monitor's, else the table monitor's), with
/// the ids of the others.
pub(crate) fn read(p: &TomlText, product_groups: bool) -> Result<Read> {
    let file: ProgrammeFile = toml::from_str(&p.toml)
        .map_err(|e| programme_error(&p.origin, None, e.to_string().trim().to_string()))?;
    if file.target.is_empty() {
        return Err(programme_error(
            &p.origin,
            None,
            "no [[target]]: a programme lists targets (id, kpi, direction, value, year)".into(),
        ));
    }
    let mut ids = BTreeSet::new();
    let (mut mine, mut others) = (Vec::new(), Vec::new());
    for spec in file.target {
        let err = |m: String| programme_error(&p.origin, Some(&spec.id), m);
        if !ids.insert(spec.id.clone()) {
            return Err(err("the id is used twice".into()));
        }
        let sign = match spec.direction.as_str() {
            "at_most" | "at-most" => -1.0,
            "at_least" | "at-least" => 1.0,
            d => {
                return Err(err(format!("direction '{d}': write at_most or at_least")));
            }
        };
        if !spec.value.is_finite() {
            return Err(err("value must be a finite number".into()));
        }
        if spec.is_product_group() && spec.sector.is_some() {
            return Err(err(
                "a target is on a sector (sovra monitor) or on products or a section (sovra trade monitor), \
                 not both"
                    .into(),
            ));
        }
        if spec.is_product_group() == product_groups {
            mine.push((spec, sign));
        } else {
            others.push(spec.id);
        }
    }
    Ok((file.programme, mine, others))
}

/// The baseline year of a target (its own, else the first year monitored), checked against the years.
pub(crate) fn baseline_year(p: &TomlText, spec: &TargetSpec, years: &[i32]) -> Result<i32> {
    let err = |m: String| programme_error(&p.origin, Some(&spec.id), m);
    let baseline_year = spec.baseline_year.unwrap_or(years[0]);
    if !years.contains(&baseline_year) {
        return Err(err(format!(
            "baseline year {baseline_year} is not among the years monitored ({})",
            sovra_core::store::year_list(years)
        )));
    }
    if spec.year < baseline_year {
        return Err(err(format!(
            "target year {} is before the baseline year {baseline_year}",
            spec.year
        )));
    }
    Ok(baseline_year)
}

/// The status of a target (docs/monitoring.md), most off track first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Worsening,
    Behind,
    OnTrack,
    Achieved,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Worsening => "worsening",
            Status::Behind => "behind",
            Status::OnTrack => "on_track",
            Status::Achieved => "achieved",
        }
    }
}

/// A target's evaluation.
pub(crate) struct Evaluated {
    status: Status,
    baseline: f64,
    latest: (i32, f64),
    path_value: f64,
    projected: Option<f64>,
    slope: Option<f64>,
    gap: f64,
    gap_to_path: f64,
}

/// The straight path from the baseline-year value to the target, in `year` (the goal itself when the target
/// year is the baseline year).
fn path_at(t: &Target, baseline: f64, year: i32) -> f64 {
    let span = (t.spec.year - t.baseline_year) as f64;
    if span > 0.0 {
        baseline + (t.spec.value - baseline) * ((year - t.baseline_year) as f64 / span)
    } else {
        t.spec.value
    }
}

pub(crate) fn evaluate(
    t: &Target,
    series: &[(i32, Option<f64>)],
    window: usize,
) -> Option<Evaluated> {
    let baseline = series
        .iter()
        .find(|(y, _)| *y == t.baseline_year)
        .and_then(|(_, v)| *v)?;
    let since: Vec<(i32, Option<f64>)> = series
        .iter()
        .filter(|(y, _)| *y >= t.baseline_year)
        .copied()
        .collect();
    let tr = monitoring::trend(&since, window)?;
    let latest = tr.last;
    let goal = t.spec.value;
    let sg = t.sign;
    let path_value = path_at(t, baseline, latest.0);
    let projected = tr
        .fit
        .zip(tr.slope)
        .map(|((level, anchor), slope)| level + slope * (t.spec.year - anchor) as f64);
    let status = if sg * (latest.1 - goal) >= 0.0 {
        Status::Achieved
    } else if match tr.slope {
        Some(s) => sg * s < 0.0,
        None => sg * (latest.1 - baseline) < 0.0,
    } {
        Status::Worsening
    } else if projected.is_some_and(|p| sg * (p - goal) >= 0.0)
        || sg * (latest.1 - path_value) >= 0.0
    {
        Status::OnTrack
    } else {
        Status::Behind
    };
    Some(Evaluated {
        status,
        baseline,
        latest,
        path_value,
        projected,
        slope: tr.slope,
        gap: if status == Status::Achieved {
            0.0
        } else {
            sg * (goal - latest.1)
        },
        gap_to_path: sg * (path_value - latest.1),
    })
}

/// The programme's part of a report: the targets table (most off track first), the targets year by year
/// beside their paths (`target_paths`, what a chart of the programme draws), counts by status and a line;
/// `series` gives a target's indicator year by year.
pub(crate) fn push(
    r: &mut Report,
    head: &ProgrammeHead,
    targets: &[Target],
    series: &dyn Fn(&Target) -> Series,
    window: usize,
) -> Result<()> {
    // Each target's series once: judged here, drawn year by year below.
    let mut evals: Vec<(&Target, Option<Evaluated>, Series)> = targets
        .iter()
        .map(|tg| {
            let s = series(tg);
            (tg, evaluate(tg, &s, window), s)
        })
        .collect();
    evals.sort_by(|a, b| match (&a.1, &b.1) {
        (Some(x), Some(y)) => x.status.cmp(&y.status).then_with(|| {
            let rel = |t: &Target, e: &Evaluated| {
                e.gap_to_path / (t.spec.value - e.baseline).abs().max(1e-12)
            };
            rel(b.0, y).total_cmp(&rel(a.0, x))
        }),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut tt = TableBuilder::new(
        "targets",
        "Targets",
        vec![
            code("id", "target"),
            code("kpi", "indicator"),
            code("scope", "scope"),
            code("sector", "sector"),
            code("direction", "direction"),
            ratio("target", "target", 4),
            Column::int("target_year", "by", Kind::Year),
            Column::int("baseline_year", "baseline year", Kind::Year),
            ratio("baseline", "baseline", 4),
            Column::int("latest_year", "latest year", Kind::Year),
            ratio("latest", "latest", 4),
            ratio("path", "path value", 4)
                .doc("the straight line from the baseline to the target, in the latest year"),
            ratio("projected", "projected", 4)
                .doc("the trend of the last --window years extrapolated to the target year"),
            ratio("slope", "slope per year", 5),
            code("status", "status"),
            ratio("gap", "gap", 4)
                .doc("how far the latest value still has to go (0 when achieved)"),
            ratio("gap_to_path", "gap to path", 4).doc("positive when behind the path"),
            text("note", "note").hidden(),
        ],
    );
    let mut counts = [0usize; 4];
    for (tg, ev, _) in &evals {
        let base = vec![
            tg.spec.id.as_str().into(),
            tg.spec.kpi.as_str().into(),
            tg.scope.as_str().into(),
            tg.label.as_str().into(),
            (if tg.sign > 0.0 { "at_least" } else { "at_most" }).into(),
            num(tg.spec.value),
            Value::Int(tg.spec.year as i64),
            Value::Int(tg.baseline_year as i64),
        ];
        let mut row = base;
        match ev {
            Some(e) => {
                counts[e.status as usize] += 1;
                row.extend([
                    num(e.baseline),
                    Value::Int(e.latest.0 as i64),
                    num(e.latest.1),
                    num(e.path_value),
                    e.projected.map(num).unwrap_or(Value::Null),
                    e.slope.map(num).unwrap_or(Value::Null),
                    e.status.name().into(),
                    num(e.gap),
                    num(e.gap_to_path),
                ]);
            }
            None => {
                row.extend([
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    "undefined".into(),
                    Value::Null,
                    Value::Null,
                ]);
                r.diagnostics.push(Diagnostic::warning(
                    "target_undefined",
                    format!("target '{}'", tg.spec.id),
                    "the indicator is undefined in the baseline year or every year since (see the \
                     undefined diagnostics)",
                ));
            }
        }
        row.push(compose::opt_text(tg.spec.note.as_deref().unwrap_or("")));
        tt.push_row(row)?;
    }
    // Each target's indicator year by year beside the straight path from its baseline to its goal: what a
    // chart of the programme draws (for machines, charts and HTML: hidden from the terminal).
    let mut paths = TableBuilder::new(
        "target_paths",
        "Targets year by year: the indicator and the path to the target",
        vec![
            code("id", "target").hidden(),
            Column::int("year", "year", Kind::Year).hidden(),
            ratio("value", "value", 4).hidden(),
            ratio("path", "path", 4)
                .doc("the straight line from the baseline-year value to the target in the target year")
                .hidden(),
        ],
    );
    for (tg, ev, series) in &evals {
        let last = series.last().map_or(tg.spec.year, |(y, _)| *y);
        for year in tg.baseline_year.min(tg.spec.year)..=last.max(tg.spec.year) {
            let value = series
                .iter()
                .find(|(y, _)| *y == year)
                .and_then(|(_, v)| *v);
            let path = ev
                .as_ref()
                .filter(|_| year <= tg.spec.year)
                .map(|e| path_at(tg, e.baseline, year));
            paths.push_row(vec![
                tg.spec.id.as_str().into(),
                Value::Int(year as i64),
                value.map(num).unwrap_or(Value::Null),
                path.map(num).unwrap_or(Value::Null),
            ])?;
        }
    }
    if let Some(name) = &head.name {
        param(r, "programme", "programme", name.as_str());
    }
    if let Some(d) = &head.description {
        r.notes.push(d.clone());
    }
    for (st, key) in [
        (Status::Worsening, "targets_worsening"),
        (Status::Behind, "targets_behind"),
        (Status::OnTrack, "targets_on_track"),
        (Status::Achieved, "targets_achieved"),
    ] {
        figure(
            r,
            key,
            &format!("targets {}", st.name().replace('_', " ")),
            counts[st as usize],
            Kind::Count,
            None,
            0,
        );
    }
    line(
        r,
        "targets",
        format!(
            "{} target{}: {} worsening, {} behind, {} on track, {} achieved",
            evals.len(),
            if evals.len() == 1 { "" } else { "s" },
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        ),
    );
    r.tables.insert(0, tt.finish());
    r.tables.insert(1, paths.finish());
    Ok(())
}
