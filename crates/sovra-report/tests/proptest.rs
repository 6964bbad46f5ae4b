//! Random tables survive the JSON round trip exactly, and their CSV parses back (with the `csv` crate, as
//! pandas would) into the same header and fields.

use proptest::prelude::*;
use sovra_report::write::{to_csv, to_json, to_json_line};
use sovra_report::{Column, Kind, Provenance, Report, Table, Values};

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::NORMAL,
        prop::num::f64::SUBNORMAL,
        prop::num::f64::ZERO,
        -1e6f64..1e6,
        Just(0.1),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

fn values(rows: usize) -> impl Strategy<Value = Values> {
    prop_oneof![
        prop::collection::vec(prop::option::of(finite()), rows).prop_map(Values::Number),
        prop::collection::vec(prop::option::of(any::<i64>()), rows).prop_map(Values::Int),
        prop::collection::vec(prop::option::of(any::<String>()), rows).prop_map(Values::Text),
        prop::collection::vec(prop::option::of("[0-9]{1,6}"), rows).prop_map(Values::Text),
        prop::collection::vec(prop::option::of(any::<bool>()), rows).prop_map(Values::Bool),
    ]
}

fn column(rows: usize) -> impl Strategy<Value = Column> {
    values(rows)
        .prop_flat_map(|values| {
            // A kind that fits the values (a code is text, a flag a bool, a share a number or an int).
            let kinds: Vec<Kind> = Kind::ALL
                .into_iter()
                .filter(|k| k.accepts(values.column_type()))
                .collect();
            (
                any::<String>(),
                prop::sample::select(kinds),
                prop::option::of(any::<String>()),
                any::<u8>(),
                prop::option::of("docs/[a-z]{1,8}\\.md#[a-z]{1,8}"),
                Just(values),
            )
        })
        .prop_map(|(label, kind, unit, decimals, doc, values)| {
            let mut column = Column::new("placeholder", label, kind, values).decimals(decimals);
            column.unit = unit;
            column.doc = doc;
            column
        })
}

fn table() -> impl Strategy<Value = Table> {
    (0usize..6, 0usize..5).prop_flat_map(|(rows, width)| {
        (
            "[a-z][a-z0-9_]{0,10}",
            any::<String>(),
            prop::collection::btree_set("[a-z][a-z0-9_]{0,8}", width),
            prop::collection::vec(column(rows), width),
        )
            .prop_map(|(key, title, keys, columns)| {
                let mut table = Table::new(key, title);
                for (key, mut column) in keys.into_iter().zip(columns) {
                    column.key = key;
                    table = table.with(column);
                }
                table
            })
    })
}

fn report(title: String, tables: Vec<Table>) -> Report {
    let mut provenance = Provenance::new().dataset("synthetic");
    provenance.sovra_version = "0.1.0".into();
    let mut report = Report::new("proptest", title, provenance);
    for (i, mut table) in tables.into_iter().enumerate() {
        table.key = format!("{}_{i}", table.key);
        report = report.with_table(table);
    }
    report
}

/// The CSV text of one cell, as the writer should produce it before quoting.
fn expected_field(values: &Values, row: usize) -> String {
    match values {
        Values::Number(v) => v[row].map(|x| x.to_string()).unwrap_or_default(),
        Values::Int(v) => v[row].map(|i| i.to_string()).unwrap_or_default(),
        Values::Text(v) => v[row].clone().unwrap_or_default(),
        Values::Bool(v) => v[row].map(|b| b.to_string()).unwrap_or_default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tables_survive_json(title in any::<String>(), tables in prop::collection::vec(table(), 0..4)) {
        let report = report(title, tables);
        prop_assert!(report.validate().is_ok(), "{:?}", report.validate());
        let back = Report::from_json(&to_json(&report)).expect("reads back");
        prop_assert_eq!(&back, &report);
        let back = Report::from_json(&to_json_line(&report)).expect("reads back");
        prop_assert_eq!(&back, &report);
    }

    #[test]
    fn csv_parses_back(title in any::<String>(), table in table()) {
        let report = report(title, vec![table]);
        let text = to_csv(&report, None).expect("one table");
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("parses");
        let table = &report.tables[0];
        if table.columns.is_empty() {
            // An empty header line and no rows: nothing to read.
            prop_assert!(records.is_empty());
            return Ok(());
        }
        prop_assert_eq!(records.len(), 1 + table.len());
        let header: Vec<&str> = records[0].iter().collect();
        let keys: Vec<&str> = table.columns.iter().map(|c| c.key.as_str()).collect();
        prop_assert_eq!(header, keys);
        for row in 0..table.len() {
            let fields: Vec<&str> = records[row + 1].iter().collect();
            let expected: Vec<String> =
                table.columns.iter().map(|c| expected_field(&c.values, row)).collect();
            prop_assert_eq!(fields, expected);
        }
    }
}
