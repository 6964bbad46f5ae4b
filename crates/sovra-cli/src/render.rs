//! Rendering of results: a [`Report`] (provenance, parameters, summary lines, a table) printed as an aligned
//! terminal table, CSV (provenance as leading `#` comment lines) or JSON, to stdout or atomically to a file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};
use sovra_core::Provenance;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// Comma-separated values; provenance in leading `#` lines.
    Csv,
    /// One JSON document with provenance, parameters, summary and rows.
    Json,
}

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

/// A number with thousands separators and `d` decimals.
pub fn format_num(v: f64, d: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{:.*}", d, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a.to_string(), format!(".{b}")))
        .unwrap_or((s.clone(), String::new()));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!(
        "{}{grouped}{frac}",
        if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
            "-"
        } else {
            ""
        }
    )
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

/// Writes text to stdout or, atomically (temporary file + rename), to `out`.
pub fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        None => {
            let mut o = std::io::stdout().lock();
            match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to stdout"),
            }
        }
        Some(p) => write_atomic(p, text.as_bytes()),
    }
}

/// Writes a file atomically when it is (or will be) a regular file; devices such as /dev/null are written directly.
pub fn write_atomic(p: &Path, bytes: &[u8]) -> Result<()> {
    if p.exists() && !p.is_file() {
        return std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()));
    }
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = p
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, p));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("writing {}", p.display()))
}
