//! The machine format: a report as one JSON document, or as one line of a JSON Lines stream.
//!
//! Tables are written as records (`"rows": [{"<column key>": value, …}, …]`, fields in column order), so
//! `pandas.DataFrame(doc["tables"][0]["rows"])` gives the table. Numbers are written in their shortest
//! round-trip form (`0.1`, `1.0`, `1e-7`), integers as integers, and a non-finite number as `null`.
//! [`Report::from_json`] reads either form back into the same [`Report`]. The format is documented field by
//! field in `docs/report-schema.md`.

use std::io::Write;

use crate::{Report, ReportError};

/// Unwraps a serialisation that cannot fail: every map key of a report is a string and no `Serialize` impl
/// of this crate returns an error (non-finite numbers become null).
pub(crate) fn infallible<T>(result: Result<T, serde_json::Error>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => unreachable!("a report always serialises to JSON: {e}"),
    }
}

/// The report as a pretty-printed JSON document, ending with a newline.
///
/// ```
/// use sovra_report::{Column, Kind, Provenance, Report, Table};
/// let mut provenance = Provenance::new().dataset("icio2022");
/// provenance.sovra_version = "0.1.0".into();
/// let report = Report::new("keys", "Key sectors", provenance).with_table(
///     Table::new("sectors", "Sectors")
///         .with(Column::code("sector", "Sector").values(vec!["C20", "C26"]))
///         .with(Column::number("backward", "Backward linkage", Kind::Ratio).values(vec![1.25, f64::NAN])),
/// );
/// let json = sovra_report::write::to_json(&report);
/// assert!(json.contains(r#""rows": [
///         {
///           "sector": "C20",
///           "backward": 1.25
///         },
///         {
///           "sector": "C26",
///           "backward": null
///         }
///       ]"#));
/// let back = Report::from_json(&json).expect("reads back");
/// assert_eq!(back.tables[0].columns[1].values.get(1), sovra_report::Value::Null);
/// ```
pub fn to_json(report: &Report) -> String {
    let mut json = infallible(serde_json::to_string_pretty(report));
    json.push('\n');
    json
}

/// The report as a [`serde_json::Value`]. Object keys follow `serde_json::Map`'s order (sorted unless the
/// `preserve_order` feature of serde_json is on somewhere in the build); the `columns` arrays keep the
/// column order either way.
///
/// ```
/// use sovra_report::{Provenance, Report};
/// let value = sovra_report::write::to_json_value(&Report::new("shock", "Embargo", Provenance::new()));
/// assert_eq!(value["kind"], "shock");
/// assert_eq!(value["schema_version"], 1);
/// ```
pub fn to_json_value(report: &Report) -> serde_json::Value {
    infallible(serde_json::to_value(report))
}

/// The report as one JSON Lines line: compact JSON without line breaks, ending with `\n`. Batches and
/// sweeps stream one report per line.
///
/// ```
/// use sovra_report::{Provenance, Report};
/// let mut provenance = Provenance::new();
/// provenance.sovra_version = "0.1.0".into();
/// let line = sovra_report::write::to_json_line(&Report::new("shock", "Embargo", provenance));
/// assert_eq!(
///     line,
///     concat!(
///         r#"{"kind":"shock","schema_version":1,"title":"Embargo","provenance":{"dataset":null,"#,
///         r#""title":null,"year":null,"units":null,"source":null,"source_sha256":null,"description":null,"#,
///         r#""sovra_version":"0.1.0"},"parameters":[],"summary":[],"headline":[],"tables":[],"notes":[],"#,
///         r#""diagnostics":[]}"#,
///         "\n"
///     )
/// );
/// ```
pub fn to_json_line(report: &Report) -> String {
    let mut line = infallible(serde_json::to_string(report));
    line.push('\n');
    line
}

/// Writes [`to_json`]'s document to `out`.
pub fn write_json(report: &Report, mut out: impl Write) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Writes [`to_json_line`]'s line to `out` (append one per report to stream them).
pub fn write_json_line(report: &Report, mut out: impl Write) -> Result<(), ReportError> {
    serde_json::to_writer(&mut out, report)?;
    out.write_all(b"\n")?;
    Ok(())
}
