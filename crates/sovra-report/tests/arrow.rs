//! Arrow and Parquet (feature `arrow`): tables written as record batches, IPC streams and Parquet files read
//! back with arrow's and parquet's own readers, values, nulls and metadata compared.
#![cfg(feature = "arrow")]

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sovra_report::write::{report_record_batch, to_record_batch, write_ipc_stream, write_parquet};
use sovra_report::{Column, Figure, Kind, Provenance, Report, Table};

fn report() -> Report {
    let mut provenance = Provenance::new()
        .dataset("icio2022")
        .year(2022)
        .units("USD million");
    provenance.sovra_version = "0.1.0".into();
    let products = Table::new("products", "Dependent products")
        .with(Column::int("rank", "#", Kind::Rank).values(vec![Some(1), None, Some(3)]))
        .with(Column::code("hs6", "HS code").values(vec![Some("032989"), Some("000100"), None]))
        .with(
            Column::number("share", "Share from them", Kind::Share)
                .decimals(1)
                .doc("docs/indicators.md#trade")
                .join("hs6")
                .values(vec![Some(0.25), Some(f64::NAN), None]),
        )
        .with(
            Column::number("value", "Imports", Kind::Amount)
                .unit("USD thousand")
                .values(vec![Some(1e-300), Some(-0.1), Some(f64::INFINITY)]),
        )
        .with(Column::flag("critical", "Critical").values(vec![Some(true), None, Some(false)]));
    let other =
        Table::new("other", "Other").with(Column::number("x", "X", Kind::Ratio).values(vec![2.0]));
    Report::new("trade_depend", "Products DEU imports from CHN", provenance)
        .with_parameter("them", "Them", vec!["CHN", "HKG"])
        .with_figure(Figure::new("share", "Share", 0.0154, Kind::Share))
        .with_note("a note")
        .with_table(products)
        .with_table(other)
}

/// The values, nulls and column metadata every writer must keep.
fn check_products(batch: &RecordBatch) {
    assert_eq!((batch.num_rows(), batch.num_columns()), (3, 5));
    let schema = batch.schema();
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        [
            &DataType::Int64,
            &DataType::Utf8,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Boolean
        ]
    );
    assert!(schema.fields().iter().all(|f| f.is_nullable()));
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["rank", "hs6", "share", "value", "critical"]);

    let rank = batch.column(0).as_primitive::<Int64Type>();
    assert_eq!(rank.iter().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
    let hs6 = batch.column(1).as_string::<i32>();
    assert_eq!(
        hs6.iter().collect::<Vec<_>>(),
        [Some("032989"), Some("000100"), None]
    );
    let share = batch.column(2).as_primitive::<Float64Type>();
    assert_eq!(
        share.iter().collect::<Vec<_>>(),
        [Some(0.25), None, None],
        "NaN is null"
    );
    let value = batch.column(3).as_primitive::<Float64Type>();
    assert_eq!(
        value.iter().collect::<Vec<_>>(),
        [Some(1e-300), Some(-0.1), None],
        "∞ is null"
    );
    assert_eq!(value.null_count(), 1);
    let critical = batch.column(4).as_boolean();
    assert_eq!(
        critical.iter().collect::<Vec<_>>(),
        [Some(true), None, Some(false)]
    );

    let meta = |name: &str| -> HashMap<String, String> {
        schema
            .field_with_name(name)
            .expect("field")
            .metadata()
            .clone()
    };
    let share_meta = meta("share");
    let expected: HashMap<String, String> = [
        ("label", "Share from them"),
        ("kind", "share"),
        ("decimals", "1"),
        ("doc", "docs/indicators.md#trade"),
        ("join", "hs6"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(share_meta, expected);
    assert_eq!(meta("value")["unit"], "USD thousand");
    assert!(!meta("value").contains_key("doc"));
    assert_eq!(meta("hs6")["kind"], "code");
    assert_eq!(meta("rank")["decimals"], "0");
}

fn check_report_metadata(metadata: &HashMap<String, String>) {
    assert_eq!(metadata["kind"], "trade_depend");
    assert_eq!(metadata["title"], "Products DEU imports from CHN");
    assert_eq!(metadata["schema_version"], "1");
    assert_eq!(metadata["table_key"], "products");
    assert_eq!(metadata["table_title"], "Dependent products");
    let provenance: Provenance =
        serde_json::from_str(&metadata["provenance"]).expect("provenance JSON");
    assert_eq!(provenance, report().provenance);
    assert_eq!(
        metadata["parameters"],
        r#"[{"key":"them","label":"Them","value":["CHN","HKG"]}]"#
    );
    assert_eq!(
        metadata["summary"],
        r#"[{"key":"share","label":"Share","value":0.0154,"unit":null,"kind":"share","decimals":2}]"#
    );
    assert_eq!(metadata["notes"], r#"["a note"]"#);
    assert_eq!(metadata["headline"], "[]");
    assert_eq!(metadata["diagnostics"], "[]");
}

#[test]
fn record_batch_of_a_table() {
    let report = report();
    let batch = to_record_batch(&report.tables[0]).expect("batch");
    check_products(&batch);
    let metadata = batch.schema().metadata().clone();
    assert_eq!(metadata.len(), 2);
    assert_eq!(metadata["table_key"], "products");
    check_report_metadata(
        report_record_batch(&report, None)
            .expect("batch")
            .schema()
            .metadata(),
    );
}

#[test]
fn ipc_stream_reads_back() {
    let report = report();
    let mut bytes = Vec::new();
    write_ipc_stream(&report, Some("products"), &mut bytes).expect("written");
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .expect("a stream");
    check_report_metadata(reader.schema().metadata());
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("batches");
    assert_eq!(batches.len(), 1);
    check_products(&batches[0]);
}

#[test]
fn parquet_reads_back() {
    let report = report();
    let file = tempfile::tempfile().expect("a temporary file");
    write_parquet(&report, None, file.try_clone().expect("clone")).expect("written");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a parquet file");
    check_report_metadata(builder.schema().metadata());
    let batches: Vec<RecordBatch> = builder
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches");
    assert_eq!(batches.len(), 1);
    check_products(&batches[0]);
}

#[test]
fn second_table_by_key() {
    let report = report();
    let mut bytes = Vec::new();
    write_ipc_stream(&report, Some("other"), &mut bytes).expect("written");
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .expect("a stream");
    assert_eq!(reader.schema().metadata()["table_key"], "other");
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("batches");
    let x = batches[0].column(0).as_primitive::<Float64Type>();
    assert_eq!(x.values().to_vec(), [2.0]);
}

#[test]
fn errors_name_the_problem() {
    let report = report();
    let err = write_parquet(&report, Some("nope"), Vec::new()).expect_err("unknown table");
    assert_eq!(
        err.to_string(),
        "unknown table `nope`; valid keys: `products`, `other`"
    );
    let ragged = Table::new("r", "R")
        .with(Column::code("a", "A").values(vec!["x", "y"]))
        .with(Column::code("b", "B").values(vec!["z"]));
    assert_eq!(
        to_record_batch(&ragged).expect_err("ragged").to_string(),
        "table `r`: column `b` has 1 rows, but the first column has 2"
    );
    let empty = Report::new("x", "X", Provenance::new());
    assert_eq!(
        write_ipc_stream(&empty, None, Vec::new())
            .expect_err("no table")
            .to_string(),
        "the report has no tables"
    );
}

#[test]
fn empty_tables() {
    let no_rows = Table::new("e", "E").with(Column::number("x", "X", Kind::Ratio));
    let batch = to_record_batch(&no_rows).expect("batch");
    assert_eq!((batch.num_rows(), batch.num_columns()), (0, 1));
    let no_columns = Table::new("n", "N");
    let batch = to_record_batch(&no_columns).expect("batch");
    assert_eq!((batch.num_rows(), batch.num_columns()), (0, 0));
    let report = Report::new("x", "X", Provenance::new()).with_table(no_rows);
    let mut bytes = Vec::new();
    write_parquet(&report, None, &mut bytes).expect("written");
    assert_eq!(&bytes[..4], b"PAR1");
}
