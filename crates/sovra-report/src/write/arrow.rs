//! One table of a report as Apache Arrow (a [`RecordBatch`], an IPC stream) or Parquet, for pandas,
//! polars, DuckDB and DataFusion (feature `arrow`).
//!
//! Column types: number → `Float64`, int → `Int64`, text → `Utf8`, bool → `Boolean`; every field is
//! nullable and a non-finite number is written as null. Each field carries metadata `label`, `kind`,
//! `decimals` and, when present, `unit`, `doc` and `join`. The schema carries `table_key` and `table_title`,
//! and for a whole report also `kind`, `title`, `schema_version` and, as JSON text, `provenance`,
//! `parameters`, `summary`, `headline`, `notes` and `diagnostics` — so a Parquet file holds its report
//! except the other tables. One stream or file holds one schema, hence one table.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;

use crate::{Column, Report, ReportError, Table, Values};

/// The table as a record batch with field metadata and the schema metadata `table_key` and `table_title`.
///
/// ```
/// use sovra_report::{Column, Kind, Table};
/// let table = Table::new("sectors", "Sectors")
///     .with(Column::code("sector", "Sector").values(vec!["C20"]))
///     .with(Column::number("share", "Share", Kind::Share).values(vec![0.25]));
/// let batch = sovra_report::write::to_record_batch(&table).expect("equal columns");
/// assert_eq!(batch.num_rows(), 1);
/// let field = batch.schema_ref().field(1).clone();
/// assert_eq!(field.metadata()["kind"], "share");
/// assert_eq!(batch.schema_ref().metadata()["table_key"], "sectors");
/// ```
pub fn to_record_batch(table: &Table) -> Result<RecordBatch, ReportError> {
    batch(table, HashMap::new())
}

/// The table `table` (the first for `None`) as a record batch whose schema metadata also holds the report
/// (kind, title, schema_version, provenance, parameters, summary, headline, notes, diagnostics).
pub fn report_record_batch(
    report: &Report,
    table: Option<&str>,
) -> Result<RecordBatch, ReportError> {
    let table = report.select_table(table)?;
    batch(table, report_metadata(report))
}

/// Writes the table `table` (the first for `None`) as an Arrow IPC stream (`pyarrow.ipc.open_stream`).
///
/// ```
/// use sovra_report::{Column, Provenance, Report, Table};
/// let report = Report::new("keys", "Key sectors", Provenance::new())
///     .with_table(Table::new("sectors", "Sectors").with(Column::code("sector", "Sector").values(vec!["C20"])));
/// let mut bytes = Vec::new();
/// sovra_report::write::write_ipc_stream(&report, None, &mut bytes).expect("written");
/// assert!(!bytes.is_empty());
/// ```
pub fn write_ipc_stream(
    report: &Report,
    table: Option<&str>,
    out: impl Write,
) -> Result<(), ReportError> {
    let batch = report_record_batch(report, table)?;
    let mut writer = StreamWriter::try_new(out, batch.schema_ref())?;
    writer.write(&batch)?;
    writer.finish()?;
    Ok(())
}

/// Writes the table `table` (the first for `None`) as a Snappy-compressed Parquet file
/// (`pandas.read_parquet`); the Arrow schema with its metadata is stored in the file.
///
/// ```
/// use sovra_report::{Column, Provenance, Report, Table};
/// let report = Report::new("keys", "Key sectors", Provenance::new())
///     .with_table(Table::new("sectors", "Sectors").with(Column::code("sector", "Sector").values(vec!["C20"])));
/// let mut bytes = Vec::new();
/// sovra_report::write::write_parquet(&report, None, &mut bytes).expect("written");
/// assert_eq!(&bytes[..4], b"PAR1");
/// ```
pub fn write_parquet(
    report: &Report,
    table: Option<&str>,
    out: impl Write + Send,
) -> Result<(), ReportError> {
    let batch = report_record_batch(report, table)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(out, batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

fn batch(table: &Table, mut metadata: HashMap<String, String>) -> Result<RecordBatch, ReportError> {
    table.check_lengths()?;
    metadata.insert("table_key".into(), table.key.clone());
    metadata.insert("table_title".into(), table.title.clone());
    let fields: Vec<Field> = table.columns.iter().map(field).collect();
    let arrays: Vec<ArrayRef> = table.columns.iter().map(|c| array(&c.values)).collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    if arrays.is_empty() {
        // A batch without columns still needs its row count.
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(0));
        return Ok(RecordBatch::try_new_with_options(schema, arrays, &options)?);
    }
    Ok(RecordBatch::try_new(schema, arrays)?)
}

fn field(column: &Column) -> Field {
    let data_type = match column.values {
        Values::Number(_) => DataType::Float64,
        Values::Int(_) => DataType::Int64,
        Values::Text(_) => DataType::Utf8,
        Values::Bool(_) => DataType::Boolean,
    };
    let mut metadata = HashMap::from([
        ("label".to_string(), column.label.clone()),
        ("kind".to_string(), column.kind.as_str().to_string()),
        ("decimals".to_string(), column.decimals.to_string()),
    ]);
    for (key, value) in [
        ("unit", &column.unit),
        ("doc", &column.doc),
        ("join", &column.join),
    ] {
        if let Some(value) = value {
            metadata.insert(key.to_string(), value.clone());
        }
    }
    Field::new(&column.key, data_type, true).with_metadata(metadata)
}

fn array(values: &Values) -> ArrayRef {
    match values {
        Values::Number(v) => Arc::new(
            v.iter()
                .map(|x| x.filter(|x| x.is_finite()))
                .collect::<Float64Array>(),
        ),
        Values::Int(v) => Arc::new(v.iter().copied().collect::<Int64Array>()),
        Values::Text(v) => Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>()),
        Values::Bool(v) => Arc::new(v.iter().copied().collect::<BooleanArray>()),
    }
}

fn json_text(value: &impl Serialize) -> String {
    super::json::infallible(serde_json::to_string(value))
}

fn report_metadata(report: &Report) -> HashMap<String, String> {
    HashMap::from([
        ("kind".to_string(), report.kind.clone()),
        ("title".to_string(), report.title.clone()),
        (
            "schema_version".to_string(),
            report.schema_version.to_string(),
        ),
        ("provenance".to_string(), json_text(&report.provenance)),
        ("parameters".to_string(), json_text(&report.parameters)),
        ("summary".to_string(), json_text(&report.summary)),
        ("headline".to_string(), json_text(&report.headline)),
        ("notes".to_string(), json_text(&report.notes)),
        ("diagnostics".to_string(), json_text(&report.diagnostics)),
    ])
}
