//! One table of a report as CSV, for spreadsheets and `pandas.read_csv(…, comment="#")`.
//!
//! Layout: comment lines starting with `# ` (title, dataset, source, sovra version, parameters, key figures,
//! notes; line breaks inside them become spaces), then the header of column **keys**, then one line per
//! row. Numbers are written in full precision (Rust's shortest round-trip form, e.g. `0.1`, `1`,
//! `0.0000001`), a null or a non-finite number as an empty field, flags as `true`/`false`, and a field that
//! holds `,`, `"`, CR or LF is quoted per RFC 4180 (`"` doubled), as is one that starts with `#` (it would
//! otherwise read as a comment). A row that would be a blank line (one column, null) is written as `""`, since
//! readers skip blank lines. Lines end with `\n`.

use std::fmt::Write as _;

use crate::{Provenance, Report, ReportError, Table, Values};

/// The table `table` (the first for `None`) with the report's comment lines. An unknown key is an error
/// listing the valid keys.
///
/// ```
/// use sovra_report::{Column, Kind, Provenance, Report, Table};
/// let mut provenance = Provenance::new().dataset("icio2022");
/// provenance.sovra_version = "0.1.0".into();
/// let report = Report::new("keys", "Key sectors", provenance)
///     .with_table(Table::new("sectors", "Sectors").with(Column::code("sector", "Sector").values(vec!["C20"])));
/// assert_eq!(
///     sovra_report::write::to_csv(&report, None).expect("has a table"),
///     "# Key sectors\n# dataset: icio2022\n# sovra 0.1.0\nsector\nC20\n"
/// );
/// assert_eq!(
///     sovra_report::write::to_csv(&report, Some("regions")).expect_err("unknown").to_string(),
///     "unknown table `regions`; valid keys: `sectors`"
/// );
/// ```
pub fn to_csv(report: &Report, table: Option<&str>) -> Result<String, ReportError> {
    let table = report.select_table(table)?;
    let mut out = comment_lines(report);
    out.push_str(&table_csv(table));
    Ok(out)
}

/// The table `table` (the first for `None`) without comment lines: the header and the rows only.
///
/// ```
/// use sovra_report::{Column, Provenance, Report, Table};
/// let report = Report::new("keys", "Key sectors", Provenance::new())
///     .with_table(Table::new("sectors", "Sectors").with(Column::code("sector", "Sector").values(vec!["C20"])));
/// assert_eq!(sovra_report::write::csv_rows_only(&report, None).expect("has a table"), "sector\nC20\n");
/// ```
pub fn csv_rows_only(report: &Report, table: Option<&str>) -> Result<String, ReportError> {
    Ok(table_csv(report.select_table(table)?))
}

/// A table as CSV: the header of column keys and the rows.
///
/// ```
/// use sovra_report::{Column, Kind, Table};
/// let table = Table::new("t", "T")
///     .with(Column::text("name", "Name").values(vec![Some("Korea, Rep.".to_string()), None]))
///     .with(Column::number("x", "X", Kind::Amount).values(vec![Some(0.1), Some(f64::NAN)]))
///     .with(Column::flag("ok", "OK").values(vec![true, false]));
/// assert_eq!(sovra_report::write::table_csv(&table), "name,x,ok\n\"Korea, Rep.\",0.1,true\n,,false\n");
/// ```
pub fn table_csv(table: &Table) -> String {
    let mut out = String::new();
    let header: Vec<String> = table.columns.iter().map(|c| field(&c.key)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in 0..table.len() {
        let start = out.len();
        for (j, column) in table.columns.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_cell(&mut out, &column.values, row);
        }
        if out.len() == start {
            // A one-column row holding null: a blank line would be skipped by readers.
            out.push_str("\"\"");
        }
        out.push('\n');
    }
    out
}

fn push_cell(out: &mut String, values: &Values, row: usize) {
    // `write!` into a String cannot fail.
    let _ = match values {
        Values::Number(v) => match v.get(row).copied().flatten() {
            Some(x) if x.is_finite() => write!(out, "{x}"),
            _ => Ok(()),
        },
        Values::Int(v) => match v.get(row).copied().flatten() {
            Some(i) => write!(out, "{i}"),
            None => Ok(()),
        },
        Values::Text(v) => match v.get(row).and_then(Option::as_deref) {
            Some(s) => {
                out.push_str(&field(s));
                Ok(())
            }
            None => Ok(()),
        },
        Values::Bool(v) => match v.get(row).copied().flatten() {
            Some(b) => write!(out, "{b}"),
            None => Ok(()),
        },
    };
}

/// A field quoted per RFC 4180 when it holds `,`, `"`, CR or LF, or starts with `#` (so that a row is never
/// read as a comment line).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) || text.starts_with('#') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The leading `# ` lines: title, dataset, source, sovra version, parameters, key figures, notes.
fn comment_lines(report: &Report) -> String {
    let mut lines = vec![report.title.clone()];
    let provenance = &report.provenance;
    if let Some(dataset) = dataset_line(provenance) {
        lines.push(format!("dataset: {dataset}"));
    }
    if let Some(source) = &provenance.source {
        lines.push(format!("source: {source}"));
    }
    lines.push(format!("sovra {}", provenance.sovra_version));
    for parameter in &report.parameters {
        lines.push(format!("parameter {}: {}", parameter.key, parameter.value));
    }
    for figure in &report.summary {
        let mut line = format!("{}: {}", figure.key, figure.value);
        if let Some(unit) = &figure.unit {
            line.push(' ');
            line.push_str(unit);
        }
        lines.push(line);
    }
    for note in &report.notes {
        lines.push(format!("note: {note}"));
    }
    let mut out = String::new();
    for line in lines {
        out.push_str("# ");
        out.push_str(&line.replace(['\r', '\n'], " "));
        out.push('\n');
    }
    out
}

/// `icio2022 — OECD ICIO 2025 release, year 2022 (USD million)` from the parts that are present (the year
/// is left out when the title already holds it).
fn dataset_line(p: &Provenance) -> Option<String> {
    let mut line = match (&p.dataset, &p.title) {
        (Some(dataset), Some(title)) => format!("{dataset} — {title}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => String::new(),
    };
    let in_title = |year: &String| p.title.as_ref().is_some_and(|t| t.contains(year.as_str()));
    if let Some(year) = p.year.map(|y| y.to_string()).filter(|y| !in_title(y)) {
        line.push_str(if line.is_empty() { "year " } else { ", year " });
        line.push_str(&year);
    }
    if let Some(units) = &p.units {
        if line.is_empty() {
            line = format!("units {units}");
        } else {
            line.push_str(&format!(" ({units})"));
        }
    }
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, Figure, Kind, Value};

    fn provenance() -> Provenance {
        let mut p = Provenance::new()
            .dataset("icio2022")
            .title("OECD ICIO 2025 release")
            .year(2022)
            .units("USD million")
            .source("sanction-simulator==0.1.4 (PyPI)");
        p.sovra_version = "9.9.9".into();
        p
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(""), "");
        assert_eq!(field("#1 supplier"), "\"#1 supplier\"");
        assert_eq!(field("no #1"), "no #1");
    }

    #[test]
    fn nulls_numbers_ints_and_codes() {
        let table = Table::new("t", "T")
            .with(Column::code("hs6", "HS").values(vec![Some("032989".to_string()), None]))
            .with(Column::int("rank", "#", Kind::Rank).values(vec![Some(1), None]))
            .with(
                Column::number("x", "X", Kind::Amount).values(vec![Some(1.0), Some(f64::INFINITY)]),
            )
            .with(
                Column::number("s", "S", Kind::Share)
                    .values(vec![Some(1e-7), Some(-0.30000000000000004)]),
            )
            .with(Column::flag("f", "F").values(vec![None, Some(false)]));
        assert_eq!(
            table_csv(&table),
            "hs6,rank,x,s,f\n032989,1,1,0.0000001,\n,,,-0.30000000000000004,false\n"
        );
    }

    #[test]
    fn comment_lines_in_order() {
        let report = Report::new("depend", "Dependency of DEU on CHN", provenance())
            .with_parameter("us", "Us", vec!["DEU", "FRA"])
            .with_parameter("cut", "Cut", 0.5)
            .with_figure(Figure::new("va_share", "VA", 0.0154, Kind::Share))
            .with_figure(Figure::new("output", "Output", 1234.5, Kind::Amount).unit("USD million"))
            .with_note("two\nlines")
            .with_table(Table::new("t", "T").with(Column::code("c", "C").values(vec!["x"])));
        assert_eq!(
            to_csv(&report, Some("t")).expect("table t"),
            "# Dependency of DEU on CHN\n\
             # dataset: icio2022 — OECD ICIO 2025 release, year 2022 (USD million)\n\
             # source: sanction-simulator==0.1.4 (PyPI)\n\
             # sovra 9.9.9\n\
             # parameter us: DEU, FRA\n\
             # parameter cut: 0.5\n\
             # va_share: 0.0154\n\
             # output: 1234.5 USD million\n\
             # note: two lines\n\
             c\nx\n"
        );
    }

    #[test]
    fn dataset_line_from_parts() {
        assert_eq!(dataset_line(&Provenance::new()), None);
        let titled = Provenance::new().dataset("d").title("T 2022").year(2022);
        assert_eq!(dataset_line(&titled).as_deref(), Some("d — T 2022"));
        let named = Provenance::new().dataset("icio2022").year(2022);
        assert_eq!(dataset_line(&named).as_deref(), Some("icio2022, year 2022"));
        let bare = Provenance::new().year(2021).units("EUR");
        assert_eq!(dataset_line(&bare).as_deref(), Some("year 2021 (EUR)"));
        let units = Provenance::new().units("EUR");
        assert_eq!(dataset_line(&units).as_deref(), Some("units EUR"));
    }

    #[test]
    fn unknown_table_and_no_table() {
        let report = Report::new("x", "X", provenance())
            .with_table(Table::new("first", "F"))
            .with_table(Table::new("second", "S"));
        assert_eq!(
            to_csv(&report, Some("third"))
                .expect_err("unknown")
                .to_string(),
            "unknown table `third`; valid keys: `first`, `second`"
        );
        let empty = Report::new("x", "X", provenance());
        assert_eq!(
            csv_rows_only(&empty, None).expect_err("none").to_string(),
            "the report has no tables"
        );
        assert_eq!(Value::Null.to_string(), "");
    }

    #[test]
    fn one_column_null_is_not_a_blank_line() {
        let table = Table::new("t", "T").with(Column::number("x", "X", Kind::Ratio).values(vec![
            Some(1.5),
            None,
            Some(f64::NAN),
        ]));
        assert_eq!(table_csv(&table), "x\n1.5\n\"\"\n\"\"\n");
    }

    #[test]
    fn ragged_table_does_not_panic() {
        let table = Table::new("t", "T")
            .with(Column::code("a", "A").values(vec!["x", "y"]))
            .with(Column::code("b", "B").values(vec!["z"]));
        assert_eq!(table_csv(&table), "a,b\nx,z\ny,\n");
    }
}
