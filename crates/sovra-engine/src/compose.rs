//! Small helpers every request uses to compose its report: provenance from a table, solve diagnostics with
//! their residuals, typed columns with the indicator's key, label, unit and definition, and rankings.

use sovra_core::{Mrio, SolveReport};
pub use sovra_report::text::format_num;
use sovra_report::{Column, Diagnostic, Figure, Kind, Line, Parameter, Provenance, Report, Value};

/// Provenance of a report on a table.
pub(crate) fn provenance(t: Option<&Mrio>) -> Provenance {
    let mut p = Provenance {
        dataset: None,
        title: None,
        year: None,
        units: None,
        source: None,
        source_sha256: None,
        description: None,
        sovra_version: sovra_core::VERSION.to_string(),
    };
    if let Some(t) = t {
        let tp = &t.provenance;
        p.dataset = Some(tp.name.clone());
        p.title = Some(tp.title.clone());
        p.year = tp.year;
        p.units = Some(tp.units.clone());
        p.source = Some(tp.source.clone());
        p.source_sha256 = tp.source_sha256.clone();
        p.description = (!tp.notes.is_empty()).then(|| tp.notes.clone());
    }
    p
}

/// A report of a kind on a table (or on no table).
pub(crate) fn report(kind: &str, title: String, t: Option<&Mrio>) -> Report {
    Report {
        kind: kind.to_string(),
        schema_version: sovra_report::SCHEMA_VERSION,
        title,
        provenance: provenance(t),
        parameters: Vec::new(),
        summary: Vec::new(),
        headline: Vec::new(),
        tables: Vec::new(),
        notes: Vec::new(),
        diagnostics: Vec::new(),
    }
}

/// Adds a parameter (machine key, label shown to people, value).
pub(crate) fn param(r: &mut Report, key: &str, label: &str, value: impl Into<Value>) {
    r.parameters.push(Parameter {
        key: key.to_string(),
        label: label.to_string(),
        value: value.into(),
    });
}

/// Adds a typed key figure.
pub(crate) fn figure(
    r: &mut Report,
    key: &str,
    label: &str,
    value: impl Into<Value>,
    kind: Kind,
    unit: Option<&str>,
    decimals: u8,
) {
    r.summary.push(Figure {
        key: key.to_string(),
        label: label.to_string(),
        value: value.into(),
        unit: unit.map(str::to_string),
        kind,
        decimals,
    });
}

/// Adds a headline line (the summary worded for people).
pub(crate) fn line(r: &mut Report, label: &str, text: impl Into<String>) {
    r.headline.push(Line {
        label: label.to_string(),
        text: text.into(),
    });
}

/// The solver's account of a solve, for people: "gmres (2 right-hand sides, 13 iterations), max relative
/// residual 8.7e-14".
pub(crate) fn solver_line(r: &SolveReport) -> String {
    format!(
        "{} ({} right-hand side{}{}), max relative residual {:.1e}",
        r.method,
        r.rhs,
        if r.rhs == 1 { "" } else { "s" },
        if r.iterations > 0 {
            format!(", {} iterations", r.iterations)
        } else {
            String::new()
        },
        r.max_relative_residual
    )
}

/// A solve as a diagnostic.
pub(crate) fn solve(r: &mut Report, key: &str, label: &str, rep: &SolveReport) {
    r.diagnostics.push(Diagnostic {
        key: key.to_string(),
        label: label.to_string(),
        method: Some(rep.method.to_string()),
        right_hand_sides: Some(rep.rhs as u64),
        iterations: Some(rep.iterations as u64),
        max_relative_residual: Some(rep.max_relative_residual),
        seconds: None,
        detail: None,
    });
}

/// Link to the definitions of an indicator family.
pub(crate) const DOC: &str = "docs/indicators.md";

/// A code column (region, sector, HS product): always text.
pub(crate) fn code(key: &str, label: &str) -> Column {
    Column::code(key, label)
}

/// A free-text column.
pub(crate) fn text(key: &str, label: &str) -> Column {
    Column::text(key, label)
}

/// A 1-based rank.
pub(crate) fn rank() -> Column {
    Column::int("rank", "rank", Kind::Rank)
}

/// An amount in the table's unit, shown with `decimals`.
pub(crate) fn amount(key: &str, label: &str, unit: &str, decimals: u8) -> Column {
    Column::number(key, label, Kind::Amount)
        .unit(unit)
        .decimals(decimals)
}

/// A share (a fraction, shown as a percentage with two decimals).
pub(crate) fn share(key: &str, label: &str) -> Column {
    Column::number(key, label, Kind::Share).decimals(2)
}

/// A dimensionless ratio (multiplier, index, HHI).
pub(crate) fn ratio(key: &str, label: &str, decimals: u8) -> Column {
    Column::number(key, label, Kind::Ratio).decimals(decimals)
}

/// A count.
pub(crate) fn count(key: &str, label: &str) -> Column {
    Column::int(key, label, Kind::Count)
}

/// A yes/no column.
pub(crate) fn flag(key: &str, label: &str) -> Column {
    Column::flag(key, label)
}

/// Indices sorted by a key, descending, filtered, cut to `top`.
pub(crate) fn ranked(keys: &[f64], keep: impl Fn(usize) -> bool, top: Option<usize>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len()).filter(|&i| keep(i)).collect();
    idx.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]));
    if let Some(n) = top {
        idx.truncate(n);
    }
    idx
}

/// A finite number, or null.
pub(crate) fn num(v: f64) -> Value {
    if v.is_finite() {
        Value::Number(v)
    } else {
        Value::Null
    }
}

/// Text, or null when empty.
pub(crate) fn opt_text(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::Text(s.to_string())
    }
}
