//! The JSON wire format: exact output, round trips (nulls, ints, leading-zero codes, NaN → null), records
//! in column order, reading documents written by others, and JSON Lines.

use sovra_report::write::{to_json, to_json_line, to_json_value, write_json, write_json_line};
use sovra_report::{
    Column, Diagnostic, Figure, Kind, Provenance, Report, Table, TableBuilder, Value, Values,
};

fn provenance() -> Provenance {
    let mut p = Provenance::new()
        .dataset("icio2022")
        .title("OECD ICIO 2025 release")
        .year(2022)
        .units("USD million")
        .source("sanction-simulator==0.1.4")
        .source_sha256("ab12")
        .description("built from s, not go");
    p.sovra_version = "0.1.0".into();
    p
}

/// A report touching every part of the format.
fn rich() -> Report {
    let mut rows = TableBuilder::new(
        "products",
        "Dependent products",
        vec![
            Column::int("rank", "#", Kind::Rank),
            Column::code("hs6", "HS code"),
            Column::text("name", "Product"),
            Column::number("share", "Share from them", Kind::Share)
                .decimals(1)
                .join("hs6"),
            Column::number("value", "Imports", Kind::Amount)
                .unit("USD thousand")
                .doc("docs/indicators.md#trade"),
            Column::flag("critical", "Critical"),
            Column::text("since", "Since").kind(Kind::Date),
        ],
    );
    rows.push_row(vec![
        1.into(),
        "032989".into(),
        "Fish, \"other\"\nfrozen".into(),
        0.9.into(),
        1234567.0.into(),
        true.into(),
        "2024-01-01".into(),
    ])
    .expect("row 0");
    rows.push_row(vec![
        Value::Null,
        "000100".into(),
        Value::Null,
        Value::Int(1),
        f64::NAN.into(),
        Value::Null,
        Value::Null,
    ])
    .expect("row 1");
    rows.push_row(vec![
        Value::Int(i64::MIN),
        "".into(),
        "Ünïcödé ✓".into(),
        1e-300.into(),
        Value::Number(-0.1),
        false.into(),
        "2025-01-06".into(),
    ])
    .expect("row 2");
    Report::new(
        "trade_depend",
        "Products DEU imports from CHN",
        provenance(),
    )
    .with_parameter("us", "Us", vec!["DEU"])
    .with_parameter("them", "Them", vec!["CHN", "HKG"])
    .with_parameter("year", "Year", 2022)
    .with_parameter("threshold", "Threshold", 0.5)
    .with_parameter("exclude", "Exclude", Value::Null)
    .with_parameter("mirror", "Use mirror flows", false)
    .with_figure(Figure::new("n_products", "Products", 3usize, Kind::Count))
    .with_figure(Figure::new("share", "Share", 0.0154, Kind::Share).decimals(2))
    .with_figure(Figure::new("value", "Value", 1.5e9, Kind::Amount).unit("USD"))
    .with_figure(Figure::new("top", "Top product", "032989", Kind::Code))
    .with_line("Share", "1.54 %")
    .with_table(rows.finish())
    .with_table(Table::new("empty", "No rows").with(Column::number("x", "X", Kind::Ratio)))
    .with_table(Table::new("bare", "No columns"))
    .with_note("Mirror flows fill gaps.")
    .with_diagnostic(
        Diagnostic::new("leontief_solve", "Leontief solve")
            .method("lu")
            .right_hand_sides(2)
            .iterations(0)
            .max_relative_residual(3.1e-16)
            .seconds(0.85),
    )
    .with_diagnostic(Diagnostic::warning(
        "missing",
        "Missing data",
        "no 2022 data for VEN",
    ))
}

#[test]
fn round_trip_keeps_everything() {
    let report = rich();
    report.validate().expect("valid");
    let json = to_json(&report);
    let back = Report::from_json(&json).expect("reads back");
    // NaN is written as null, so the only difference is that cell.
    let mut expected = report.clone();
    if let Values::Number(v) = &mut expected.tables[0].columns[4].values {
        v[1] = None;
    }
    assert_eq!(back, expected);
    // And a second trip is exact.
    assert_eq!(Report::from_json(&to_json(&back)).expect("again"), back);
    // JSON Lines reads back the same.
    assert_eq!(
        Report::from_json(&to_json_line(&report)).expect("line"),
        expected
    );
}

#[test]
fn codes_keep_leading_zeros_and_ints_stay_ints() {
    let report = rich();
    let doc = to_json_value(&report);
    let rows = &doc["tables"][0]["rows"];
    assert_eq!(rows[0]["hs6"], serde_json::json!("032989"));
    assert_eq!(rows[1]["hs6"], serde_json::json!("000100"));
    assert_eq!(rows[2]["rank"], serde_json::json!(i64::MIN));
    assert!(rows[0]["rank"].is_i64());
    // An int pushed into a number column is a number (1.0), not an int.
    assert!(rows[1]["share"].is_f64());
    assert_eq!(rows[1]["share"], serde_json::json!(1.0));
    let back = Report::from_json(&to_json(&report)).expect("reads back");
    let hs6 = &back.tables[0].columns[1].values;
    assert_eq!(hs6.get(0), Value::Text("032989".into()));
    assert_eq!(hs6.get(1), Value::Text("000100".into()));
    assert_eq!(back.summary[3].value, Value::Text("032989".into()));
    assert_eq!(back.summary[0].value, Value::Int(3));
}

#[test]
fn non_finite_numbers_are_null() {
    let report = Report::new("x", "X", provenance())
        .with_figure(Figure::new("a", "A", f64::INFINITY, Kind::Ratio))
        .with_table(
            Table::new("t", "T").with(Column::number("v", "V", Kind::Ratio).values(vec![
                f64::NAN,
                f64::NEG_INFINITY,
                2.5,
            ])),
        )
        .with_diagnostic(Diagnostic::new("d", "D").max_relative_residual(f64::NAN));
    let doc = to_json_value(&report);
    assert_eq!(doc["summary"][0]["value"], serde_json::Value::Null);
    assert_eq!(
        doc["tables"][0]["rows"],
        serde_json::json!([{"v": null}, {"v": null}, {"v": 2.5}])
    );
    assert_eq!(
        doc["diagnostics"][0]["max_relative_residual"],
        serde_json::Value::Null
    );
    let back = Report::from_json(&to_json(&report)).expect("reads back");
    assert_eq!(
        back.tables[0].columns[0].values,
        Values::Number(vec![None, None, Some(2.5)])
    );
    assert_eq!(back.summary[0].value, Value::Null);
}

#[test]
fn exact_document() {
    let mut p = Provenance::new().dataset("icio2022").year(2022);
    p.sovra_version = "0.1.0".into();
    let report = Report::new("keys", "Key sectors", p)
        .with_parameter("top", "Top", 2)
        .with_figure(Figure::new("mean", "Mean", 1.0, Kind::Ratio))
        .with_line("Mean", "1.000")
        .with_table(
            Table::new("sectors", "Sectors")
                .with(Column::code("sector", "Sector").values(vec![Some("C20".to_string()), None]))
                .with(
                    Column::number("backward", "Backward", Kind::Ratio)
                        .doc("docs/indicators.md#keys")
                        .values(vec![1.25, 0.1]),
                ),
        )
        .with_note("n");
    let expected = r#"{
  "kind": "keys",
  "schema_version": 1,
  "title": "Key sectors",
  "provenance": {
    "dataset": "icio2022",
    "title": null,
    "year": 2022,
    "units": null,
    "source": null,
    "source_sha256": null,
    "description": null,
    "sovra_version": "0.1.0"
  },
  "parameters": [
    {
      "key": "top",
      "label": "Top",
      "value": 2
    }
  ],
  "summary": [
    {
      "key": "mean",
      "label": "Mean",
      "value": 1.0,
      "unit": null,
      "kind": "ratio",
      "decimals": 3
    }
  ],
  "headline": [
    {
      "label": "Mean",
      "text": "1.000"
    }
  ],
  "tables": [
    {
      "key": "sectors",
      "title": "Sectors",
      "columns": [
        {
          "key": "sector",
          "label": "Sector",
          "unit": null,
          "kind": "code",
          "type": "text",
          "decimals": 0,
          "doc": null,
          "join": null
        },
        {
          "key": "backward",
          "label": "Backward",
          "unit": null,
          "kind": "ratio",
          "type": "number",
          "decimals": 3,
          "doc": "docs/indicators.md#keys",
          "join": null
        }
      ],
      "rows": [
        {
          "sector": "C20",
          "backward": 1.25
        },
        {
          "sector": null,
          "backward": 0.1
        }
      ]
    }
  ],
  "notes": [
    "n"
  ],
  "diagnostics": []
}
"#;
    assert_eq!(to_json(&report), expected);
    let mut written = Vec::new();
    write_json(&report, &mut written).expect("written");
    assert_eq!(String::from_utf8(written).expect("utf-8"), expected);
}

#[test]
fn rows_follow_column_order_not_alphabetical() {
    let report = Report::new("x", "X", provenance()).with_table(
        Table::new("t", "T")
            .with(Column::code("zeta", "Z").values(vec!["z"]))
            .with(Column::code("alpha", "A").values(vec!["a"]))
            .with(Column::code("mid", "M").values(vec!["m"])),
    );
    let line = to_json_line(&report);
    assert!(
        line.contains(r#""rows":[{"zeta":"z","alpha":"a","mid":"m"}]"#),
        "{line}"
    );
}

#[test]
fn json_lines_are_one_line_each() {
    let mut stream = Vec::new();
    let report = rich();
    for year in [2020, 2021, 2022] {
        let mut r = report.clone();
        r.provenance.year = Some(year);
        write_json_line(&r, &mut stream).expect("written");
    }
    let text = String::from_utf8(stream).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(text.ends_with("}\n"));
    for (line, year) in lines.iter().zip([2020, 2021, 2022]) {
        let back = Report::from_json(line).expect("each line is a report");
        assert_eq!(back.provenance.year, Some(year));
        // The product name holds a newline; it is escaped, not written raw.
        assert_eq!(
            back.tables[0].columns[2].values.get(0),
            Value::Text("Fish, \"other\"\nfrozen".into())
        );
    }
    assert_eq!(to_json_line(&report).matches('\n').count(), 1);
}

#[test]
fn values_read_untagged() {
    let value: Value =
        serde_json::from_str(r#"[null, true, 1, -2, 1.5, 1e3, "x", [1], 18446744073709551615]"#)
            .expect("a list");
    assert_eq!(
        value,
        Value::List(vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(1),
            Value::Int(-2),
            Value::Number(1.5),
            Value::Number(1000.0),
            Value::Text("x".into()),
            Value::List(vec![Value::Int(1)]),
            Value::Number(18446744073709551615.0),
        ])
    );
    assert_eq!(
        serde_json::to_string(&Value::Number(1.0)).expect("json"),
        "1.0"
    );
    assert_eq!(
        serde_json::to_string(&Value::Number(f64::NAN)).expect("json"),
        "null"
    );
    assert_eq!(Value::from(Some(3usize)), Value::Int(3));
    assert_eq!(Value::from(None::<f64>), Value::Null);
    assert_eq!(Value::from(String::from("s")), Value::Text("s".into()));
}

#[test]
fn reads_documents_without_type_and_with_missing_fields() {
    // A hand-written document: no `type` (taken from the kind), a row missing a field (null), optional
    // lists left out.
    let json = r#"{
        "kind": "keys", "schema_version": 1, "title": "T",
        "provenance": {"sovra_version": "0.1.0"},
        "tables": [{"key": "t", "title": "T",
            "columns": [{"key": "hs6", "label": "HS", "kind": "code"},
                        {"key": "n", "label": "N", "kind": "count"},
                        {"key": "s", "label": "S", "kind": "share", "unit": null, "decimals": 1}],
            "rows": [{"hs6": "010121", "n": 3, "s": 0.5}, {"n": 4}]}]
    }"#;
    let report = Report::from_json(json).expect("reads");
    let table = &report.tables[0];
    assert_eq!(
        table.columns[0].values,
        Values::Text(vec![Some("010121".into()), None])
    );
    assert_eq!(table.columns[1].values, Values::Int(vec![Some(3), Some(4)]));
    assert_eq!(
        table.columns[2].values,
        Values::Number(vec![Some(0.5), None])
    );
    assert_eq!(
        (table.columns[0].decimals, table.columns[2].decimals),
        (0, 1)
    );
    assert_eq!(report.provenance.dataset, None);
    assert!(report.notes.is_empty() && report.diagnostics.is_empty());
}

#[test]
fn reading_rejects_values_that_do_not_fit() {
    let doc = |rows: &str| {
        format!(
            r#"{{"kind": "k", "schema_version": 1, "title": "T", "provenance": {{"sovra_version": "0"}},
               "tables": [{{"key": "t", "title": "T",
                 "columns": [{{"key": "hs6", "label": "HS", "kind": "code", "type": "text"}}],
                 "rows": {rows}}}]}}"#
        )
    };
    let err = Report::from_json(&doc(r#"[{"hs6": "01"}, {"hs6": 32989}]"#)).expect_err("int code");
    assert!(
        err.to_string()
            .starts_with("JSON: table `t`, row 1, column `hs6`: expected text, got int 32989"),
        "{err}"
    );
    let err = Report::from_json(&doc(r#"[{"hs6": "01", "extra": 1}]"#)).expect_err("extra field");
    assert!(
        err.to_string()
            .starts_with("JSON: table `t`, row 0: field `extra` is not a column (columns: hs6)"),
        "{err}"
    );
}
