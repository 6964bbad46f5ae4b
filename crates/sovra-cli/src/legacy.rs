//! The report and loaders of the commands not yet moved onto the engine (trade, complexity): their
//! rows of cells rendered as a terminal table, CSV or JSON. Each moves to `sovra-engine` in turn; this
//! module goes with the last.

use anyhow::Result;
use serde_json::{Map, Value, json};
use sovra_core::blocs::{Date, Registry};
use sovra_core::{Error, Mrio, Provenance, store};

use crate::OutputArgs;
pub use crate::render::{Format, emit, write_atomic};
pub use sovra_engine::format_num;

/// One cell of a report table.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number shown with this many decimals in tables (full precision in CSV/JSON).
    Num(f64, usize),
    /// A number shown as a percentage in tables (stored as a fraction in CSV/JSON).
    Pct(f64),
    /// Yes/no.
    Flag(bool),
}

/// A rendered analysis.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Title line.
    pub title: String,
    /// Dataset provenance.
    pub provenance: Option<Provenance>,
    /// Parameters the user chose (echoed).
    pub parameters: Vec<(String, String)>,
    /// Key figures.
    pub summary: Vec<(String, String)>,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
    /// Notes printed after the table.
    pub notes: Vec<String>,
}

fn provenance_lines(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &r.provenance {
        let year = match p.year {
            Some(y) if !p.title.contains(&y.to_string()) => format!(", year {y}"),
            _ => String::new(),
        };
        out.push(format!(
            "dataset: {} — {}{year} ({})",
            p.name, p.title, p.units
        ));
        out.push(format!("source: {}", p.source));
    }
    out.push(format!("sovra {}", sovra_core::VERSION));
    out
}

fn text_of(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v, d) => format_num(*v, *d),
        Cell::Pct(v) => format!("{:.2}%", v * 100.0),
        Cell::Flag(b) => if *b { "yes" } else { "" }.into(),
    }
}

fn table(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&r.title);
    out.push('\n');
    for l in provenance_lines(r) {
        out.push_str(&format!("  {l}\n"));
    }
    if !r.parameters.is_empty() {
        let p: Vec<String> = r
            .parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push_str(&format!("  parameters: {}\n", p.join(", ")));
    }
    if !r.summary.is_empty() {
        out.push('\n');
        let w = r
            .summary
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &r.summary {
            out.push_str(&format!("  {k:<w$}  {v}\n"));
        }
    }
    if !r.columns.is_empty() {
        out.push('\n');
        let cells: Vec<Vec<String>> = r
            .rows
            .iter()
            .map(|row| row.iter().map(text_of).collect())
            .collect();
        let mut w: Vec<usize> = r.columns.iter().map(|c| c.chars().count()).collect();
        for row in &cells {
            for (j, c) in row.iter().enumerate() {
                if j < w.len() {
                    w[j] = w[j].max(c.chars().count().min(48));
                }
            }
        }
        let numeric: Vec<bool> = (0..r.columns.len())
            .map(|j| {
                r.rows
                    .first()
                    .is_some_and(|row| matches!(row.get(j), Some(Cell::Num(..) | Cell::Pct(_))))
            })
            .collect();
        let fmt_row = |row: &[String]| -> String {
            let parts: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let c: String = if c.chars().count() > 48 {
                        c.chars().take(47).collect::<String>() + "…"
                    } else {
                        c.clone()
                    };
                    let pad = w[j].saturating_sub(c.chars().count());
                    if numeric[j] {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect();
            format!("  {}\n", parts.join("  ").trim_end())
        };
        out.push_str(&fmt_row(&r.columns));
        out.push_str(&format!(
            "  {}\n",
            w.iter()
                .map(|n| "─".repeat(*n))
                .collect::<Vec<_>>()
                .join("  ")
        ));
        for row in &cells {
            out.push_str(&fmt_row(row));
        }
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn raw(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Num(v, _) | Cell::Pct(v) => format!("{v}"),
        Cell::Flag(b) => b.to_string(),
    }
}

fn csv(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n", r.title));
    for l in provenance_lines(r) {
        out.push_str(&format!("# {l}\n"));
    }
    for (k, v) in &r.parameters {
        out.push_str(&format!("# parameter {k}: {v}\n"));
    }
    for (k, v) in &r.summary {
        out.push_str(&format!("# {k}: {v}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("# note: {n}\n"));
    }
    out.push_str(
        &r.columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    for row in &r.rows {
        out.push_str(
            &row.iter()
                .map(|c| csv_field(&raw(c)))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

fn json_cell(c: &Cell) -> Value {
    match c {
        Cell::Text(s) => json!(s),
        Cell::Num(v, _) | Cell::Pct(v) => {
            if v.is_finite() {
                json!(v)
            } else {
                Value::Null
            }
        }
        Cell::Flag(b) => json!(b),
    }
}

fn json_doc(r: &Report) -> String {
    let rows: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            for (c, v) in r.columns.iter().zip(row) {
                m.insert(c.clone(), json_cell(v));
            }
            Value::Object(m)
        })
        .collect();
    let doc = json!({
        "title": r.title,
        "provenance": r.provenance.as_ref().map(|p| json!({
            "dataset": p.name, "title": p.title, "year": p.year, "units": p.units, "source": p.source,
            "source_sha256": p.source_sha256,
        })),
        "sovra_version": sovra_core::VERSION,
        "parameters": r.parameters.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
        "summary": r.summary.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
        "notes": r.notes,
        "rows": rows,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Renders a report in a format.
pub fn render(r: &Report, f: Format) -> String {
    match f {
        Format::Table => table(r),
        Format::Csv => csv(r),
        Format::Json => json_doc(r),
    }
}

/// Opens a dataset; the default dataset is fetched on first use.
pub fn load(name: &str) -> Result<Mrio> {
    let ws = sovra_engine::Workspace::from_env();
    let progress = crate::progress::Spinner::new();
    let loaded = ws.dataset(name, &progress)?;
    Ok((*loaded.table).clone())
}

pub(crate) fn base_report(t: &Mrio, title: String) -> Report {
    Report {
        title,
        provenance: Some(t.provenance.clone()),
        ..Default::default()
    }
}

pub(crate) fn finish(report: &Report, out: &OutputArgs) -> Result<()> {
    emit(&render(report, out.format), out.out.as_deref())
}

/// The bloc registry: built-in blocs, `$SOVRA_HOME/blocs.toml` when present, and `--blocs FILE`.
pub fn registry(extra: Option<&std::path::Path>) -> Result<Registry> {
    let mut reg = Registry::builtin();
    let home_file = store::home().join("blocs.toml");
    if home_file.is_file() {
        reg.add_file(&home_file)?;
    }
    if let Some(f) = extra {
        reg.add_file(f)?;
    }
    Ok(reg)
}

/// Parses `--as-of`, or today.
pub fn as_of(s: &Option<String>) -> Result<Date> {
    match s {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s).ok_or_else(|| {
            Error::Request(format!(
                "--as-of '{s}' is not a date: write YYYY-MM-DD, e.g. 2024-06-30"
            ))
            .into()
        }),
    }
}
