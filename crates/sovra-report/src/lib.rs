//! `sovra-report`: the typed report every sovra analysis produces, and the writers that turn it into JSON,
//! JSON Lines, CSV, Arrow and Parquet.
//!
//! # Overview
//!
//! An analysis answers with a [`Report`]; every front end (the terminal, `--format csv|json`, the server,
//! Python) receives the same report and only chooses how to show it. A report holds:
//!
//! * `kind` — the machine name of the request (`depend`, `keys`, `shock`, `multipliers`, …) and
//!   `schema_version` ([`SCHEMA_VERSION`]);
//! * [`Provenance`] — the dataset, its year, units and source, and the sovra version;
//! * [`Parameter`]s — what the user chose, echoed;
//! * `summary` — typed key [`Figure`]s, each with a [`Kind`] (a share is a fraction, a code is text, …),
//!   and `headline` — the same figures worded for people as [`Line`]s;
//! * [`Table`]s — columnar: each [`Column`] carries a key, label, unit, kind, display decimals, a link into
//!   the docs and its typed [`Values`]; [`TableBuilder`] fills one row at a time and checks types;
//! * notes, and [`Diagnostic`]s — every solve with its residual, and warnings.
//!
//! [`Report::validate`] checks the keys (snake_case, unique) and that columns are of equal length and fit
//! their kinds.
//!
//! # Writers
//!
//! The [`write`](mod@write) module holds one writer per format; none renders for a terminal (that stays in the CLI).
//!
//! * [`write::to_json`] — one pretty JSON document; tables as records (`rows: [{column key: value}]`), so
//!   `pandas.DataFrame(doc["tables"][0]["rows"])` works. [`Report::from_json`] reads it back.
//! * [`write::to_json_line`] — the same document on one line: batches and sweeps stream one report per
//!   line (JSON Lines).
//! * [`write::to_csv`] — one table with the provenance, parameters, figures and notes as leading `#`
//!   lines; [`write::csv_rows_only`] without them.
//! * `write::to_record_batch`, `write::write_ipc_stream`, `write::write_parquet` (feature `arrow`) — one
//!   table as Arrow, with the column descriptions as field metadata and the report as schema metadata.
//!
//! With the feature `openapi`, every report type implements `schemars::JsonSchema` (draft 2020-12, as
//! OpenAPI 3.1 uses it), for the server's OpenAPI document.
//!
//! Numbers keep full precision in every machine format; a non-finite number (NaN, ±∞) is written as null.
//! The wire format is documented field by field in `docs/report-schema.md`, with a JSON Schema in
//! `docs/report.schema.json`.
//!
//! # Example
//!
//! ```
//! use sovra_report::{Column, Figure, Kind, Provenance, Report, TableBuilder};
//!
//! let mut provenance = Provenance::new().dataset("icio2022").year(2022).units("USD million");
//! provenance.sovra_version = "0.1.0".into(); // fixed here so that the output below is exact
//!
//! let mut rows = TableBuilder::new(
//!     "suppliers",
//!     "Largest foreign suppliers of DEU",
//!     vec![
//!         Column::int("rank", "#", Kind::Rank),
//!         Column::code("region", "Region"),
//!         Column::text("name", "Name"),
//!         Column::number("share", "Share of foreign inputs", Kind::Share).doc("docs/indicators.md#depend"),
//!     ],
//! );
//! rows.push_row(vec![1.into(), "CHN".into(), "China".into(), 0.2125.into()])?;
//! rows.push_row(vec![2.into(), "KOR".into(), "Korea, Rep.".into(), f64::NAN.into()])?;
//!
//! let report = Report::new("depend", "Dependency of DEU on CHN", provenance)
//!     .with_parameter("us", "Us", "DEU")
//!     .with_figure(Figure::new("va_share", "Value added from them", 0.0154, Kind::Share))
//!     .with_table(rows.finish());
//! report.validate()?;
//!
//! assert_eq!(
//!     sovra_report::write::to_csv(&report, None)?,
//!     "\
//! ## Dependency of DEU on CHN
//! ## dataset: icio2022, year 2022 (USD million)
//! ## sovra 0.1.0
//! ## parameter us: DEU
//! ## va_share: 0.0154
//! rank,region,name,share
//! 1,CHN,China,0.2125
//! 2,KOR,\"Korea, Rep.\",
//! "
//! );
//! # Ok::<(), sovra_report::ReportError>(())
//! ```

#![deny(missing_docs)]

mod error;
pub mod partial;
mod report;
#[cfg(feature = "openapi")]
mod schema;
mod table;
pub mod text;
mod value;
pub mod write;

pub use error::ReportError;
pub use report::{Diagnostic, Figure, Line, Parameter, Provenance, Report};
pub use table::{Column, Table, TableBuilder, Values, is_snake_case};
pub use value::{ColumnType, Kind, Value};

/// The version of the report wire format (JSON, CSV comments, Arrow metadata). Additive changes keep it;
/// a renamed or removed field bumps it.
pub const SCHEMA_VERSION: u32 = 1;

/// The version of sovra (the workspace shares one version), written into [`Provenance::sovra_version`].
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
