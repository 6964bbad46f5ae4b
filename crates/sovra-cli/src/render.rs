//! Rendering of reports for the terminal (aligned columns for people), and the choice of writer for the other
//! formats (CSV, JSON, Arrow IPC, Parquet from `sovra-report`), to stdout or atomically to a file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use sovra_report::text::is_numeric;
use sovra_report::{Column, Report, Table, Value};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// Comma-separated values of one table (column keys as the header); provenance in leading `#` lines.
    Csv,
    /// The whole report as one JSON document (docs/report-schema.md).
    Json,
    /// One self-contained HTML file: provenance, parameters, summary, tables and the report's charts (opens
    /// offline; prints to PDF). Give `--out FILE.html`.
    Html,
}

fn provenance_lines(r: &Report) -> Vec<String> {
    let p = &r.provenance;
    let mut out = Vec::new();
    if let Some(name) = &p.dataset {
        let title = p.title.clone().unwrap_or_default();
        let year = match p.year {
            Some(y) if !title.contains(&y.to_string()) => format!(", year {y}"),
            _ => String::new(),
        };
        out.push(format!(
            "dataset: {name} — {title}{year} ({})",
            p.units.clone().unwrap_or_default()
        ));
        out.push(format!("source: {}", p.source.clone().unwrap_or_default()));
    }
    out.push(format!("sovra {}", p.sovra_version));
    out
}

pub use sovra_report::text::value_text;

/// What a table for people shows in a cell without a value: `—` unless a command says otherwise (the trade
/// commands and complexity leave such cells blank, as they always did).
#[derive(Debug, Clone, Copy)]
pub struct Blanks<'a> {
    /// For every column not listed.
    pub default: &'a str,
    /// By column key.
    pub columns: &'a [(&'a str, &'a str)],
}

/// A dash for every missing value.
pub const DASH: Blanks<'static> = Blanks {
    default: "—",
    columns: &[],
};

impl Blanks<'_> {
    fn of(&self, key: &str) -> &str {
        self.columns
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(self.default, |(_, text)| text)
    }
}

/// A cell for people, as its column's kind and decimals say.
fn cell_text(c: &Column, v: &Value, blanks: Blanks) -> String {
    sovra_report::text::cell_text(c, v, blanks.of(&c.key))
}

/// One table as aligned text: the visible columns, joined columns appended to their target's cell.
fn table_text(t: &Table, blanks: Blanks, out: &mut String) {
    let shown: Vec<&Column> = t
        .columns
        .iter()
        .filter(|c| c.join.is_none() && !c.hidden)
        .collect();
    // The columns shown inside each shown column's cells, found once.
    let joined: Vec<Vec<&Column>> = shown
        .iter()
        .map(|target| {
            t.columns
                .iter()
                .filter(|c| c.join.as_deref() == Some(target.key.as_str()))
                .collect()
        })
        .collect();
    let headers: Vec<String> = shown.iter().map(|c| c.label.clone()).collect();
    let cells: Vec<Vec<String>> = (0..t.len())
        .map(|i| {
            shown
                .iter()
                .zip(&joined)
                .map(|(c, inside)| {
                    let v = c.values.get(i);
                    let mut s = cell_text(c, &v, blanks);
                    if !v.is_null() {
                        for j in inside {
                            let w = j.values.get(i);
                            if !w.is_null() {
                                s.push(' ');
                                s.push_str(&cell_text(j, &w, blanks));
                            }
                        }
                    }
                    s
                })
                .collect()
        })
        .collect();
    let mut w: Vec<usize> = headers.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (j, c) in row.iter().enumerate() {
            w[j] = w[j].max(c.chars().count().min(48));
        }
    }
    let numeric: Vec<bool> = shown
        .iter()
        .zip(&joined)
        .map(|(c, inside)| is_numeric(c) && inside.is_empty())
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
    out.push_str(&fmt_row(&headers));
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

/// A report as text for people, with `blanks` in cells without a value.
pub fn terminal_with(r: &Report, blanks: Blanks) -> String {
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
            .map(|p| format!("{}={}", p.label, value_text(&p.value)))
            .collect();
        out.push_str(&format!("  parameters: {}\n", p.join(", ")));
    }
    if !r.headline.is_empty() {
        out.push('\n');
        let w = r
            .headline
            .iter()
            .map(|l| l.label.chars().count())
            .max()
            .unwrap_or(0);
        for l in &r.headline {
            out.push_str(&format!("  {:<w$}  {}\n", l.label, l.text));
        }
    }
    for (k, t) in r.tables.iter().enumerate() {
        // A table whose every column is hidden is for machines only.
        if t.columns.iter().all(|c| c.hidden) && !t.columns.is_empty() {
            continue;
        }
        if k > 0 {
            if t.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{}\n", t.title));
        }
        if t.columns.is_empty() {
            continue;
        }
        out.push('\n');
        table_text(t, blanks, &mut out);
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    out
}

/// Renders a report in a format.
pub fn render(r: &Report, f: Format) -> Result<String> {
    render_with(r, f, DASH)
}

/// Renders a report in a format, with `blanks` in the terminal table's cells without a value.
pub fn render_with(r: &Report, f: Format, blanks: Blanks) -> Result<String> {
    Ok(match f {
        Format::Table => terminal_with(r, blanks),
        Format::Csv => sovra_report::write::to_csv(r, None)?,
        Format::Json => sovra_report::write::to_json(r) + "\n",
        Format::Html => sovra_report::write::to_html(r),
    })
}

/// Writes text to stdout or, atomically (temporary file + rename), to `out`.
/// Whether a path is a device or pipe (`/dev/null`, `/dev/stdout`), written as it is.
pub fn is_device(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Refuses an `--out` whose extension names another format than `--format` (`--format json --out x.csv`):
/// such a file would mislead whoever opens it. Unknown extensions and devices are accepted.
pub fn check_extension(format: Format, out: Option<&Path>) -> Result<()> {
    let Some(p) = out else { return Ok(()) };
    let Some(ext) = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return Ok(());
    };
    let data = [
        "csv", "tsv", "json", "jsonl", "ndjson", "npy", "parquet", "arrow", "html", "htm",
    ];
    let fits: &[&str] = match format {
        Format::Table => &["txt"],
        Format::Csv => &["csv", "txt"],
        Format::Json => &["json", "jsonl", "ndjson"],
        Format::Html => &["html", "htm"],
    };
    if data.contains(&ext.as_str()) && !fits.contains(&ext.as_str()) {
        anyhow::bail!(sovra_core::Error::Request(format!(
            "--out {}: a .{ext} file, but --format {} writes {}; give a matching name or --format",
            p.display(),
            match format {
                Format::Table => "table",
                Format::Csv => "csv",
                Format::Json => "json",
                Format::Html => "html",
            },
            match format {
                Format::Table => "a text table",
                Format::Csv => "CSV",
                Format::Json => "JSON",
                Format::Html => "an HTML report",
            }
        )));
    }
    Ok(())
}

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
    Ok(sovra_engine::write_atomic(p, bytes)?)
}

/// Checks `--table` (which only CSV, holding one table, uses) and `--out`'s extension against the format.
pub fn check_table(table: Option<&str>, format: Format, out: Option<&Path>) -> Result<()> {
    if table.is_some() && format != Format::Csv {
        return Err(sovra_engine::Error::usage(
            "table",
            "--table picks the table CSV writes: add --format csv",
        )
        .into());
    }
    check_extension(format, out)
}

/// Writes a report: CSV holds the table `--table` names (the first by default), the other formats all of it.
pub fn emit_report(
    r: &Report,
    format: Format,
    table: Option<&str>,
    out: Option<&Path>,
) -> Result<()> {
    let text = match format {
        Format::Csv => sovra_report::write::to_csv(r, table)?,
        f => render_with(r, f, DASH)?,
    };
    emit(&text, out)
}
