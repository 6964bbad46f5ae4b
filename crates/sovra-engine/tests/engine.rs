//! The engine end to end on a generated table: requests from JSON (unknown fields rejected with the field
//! named), one report shape per request, the workspace's caches reused by a second request, errors with a
//! kind that decides exit code and HTTP status, and names confined to the store.

use std::sync::Arc;

use sovra_core::{store, synth};
use sovra_engine::{ErrorKind, Quiet, Request, Solver, Workspace, run};
use sovra_report::Value;

fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = synth::table(
        "demo",
        synth::Spec {
            regions: 4,
            sectors: 3,
            categories: 2,
            stressors: 1,
            ..Default::default()
        },
    )
    .expect("synthetic table");
    t.provenance.year = Some(2020);
    store::write(home.path(), &t, store::WriteMode::CreateNew).expect("store");
    let mut ws = Workspace::new(home.path());
    ws.fetch_default = false;
    (home, ws)
}

fn body(kind: &str, json: &str) -> Request {
    Request::from_body(kind, json.as_bytes()).expect("valid request")
}

#[test]
fn a_request_from_json_gives_a_typed_report() {
    let (_h, ws) = workspace();
    let req = body(
        "depend",
        r#"{"us": "R01", "them": "R02+R03", "data": "demo", "top": 2}"#,
    );
    let r = run(&ws, &req, &Quiet).expect("depend");
    assert_eq!(r.kind, "depend");
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.provenance.dataset.as_deref(), Some("demo"));
    let t = &r.tables[0];
    assert_eq!(t.key, "sectors");
    assert_eq!(t.len(), 2, "top 2");
    let keys: Vec<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
    for k in [
        "rank",
        "region",
        "sector",
        "value_added_from_them",
        "via_third_countries",
        "direct_input_share",
        "top_foreign_supplier",
        "top_foreign_supplier_share",
        "foreign_supplier_hhi",
        "value_added_from_us",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    // Ranks are integers, shares fractions.
    let rank = t.columns.iter().find(|c| c.key == "rank").expect("rank");
    assert_eq!(rank.values.get(0), Value::Int(1));
    let va = t
        .columns
        .iter()
        .find(|c| c.key == "value_added_from_them")
        .expect("va");
    let v = va.values.get(0).as_f64().expect("number");
    assert!(v > 0.0 && v < 1.0, "{v}");
    // Every solve is a diagnostic with its residual.
    assert_eq!(r.diagnostics.len(), 3);
    assert!(
        r.diagnostics
            .iter()
            .all(|d| d.max_relative_residual.is_some_and(|x| x < 1e-8))
    );
    // The summary is typed: the bloc total as a share.
    let total = r
        .summary
        .iter()
        .find(|f| f.key == "value_added_from_them")
        .expect("figure");
    assert_eq!(total.kind, sovra_report::Kind::Share);
    r.validate().expect("valid report");
}

#[test]
fn unknown_fields_and_kinds_are_usage_errors_naming_the_field() {
    let e = Request::from_body("depend", br#"{"us": "R01", "them": "R02", "tpo": 3}"#)
        .expect_err("unknown field");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert_eq!(e.field.as_deref(), Some("tpo"));
    assert!(e.message.contains("unknown field `tpo`"), "{}", e.message);
    assert_eq!(e.kind.http_status(), 400);
    assert_eq!(e.kind.exit_code(), 2);
    let e = Request::from_body("depend", br#"{"them": "R02"}"#).expect_err("missing us");
    assert_eq!(e.field.as_deref(), Some("us"));
    let e = Request::from_body("nope", b"{}").expect_err("unknown kind");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.choices.contains(&"depend".to_string()));
    let e = Request::from_body("depend", b"[1, 2]").expect_err("not an object");
    assert_eq!(e.kind, ErrorKind::Usage);
    let e = Request::from_body("info", br#"{"kind": "depend"}"#).expect_err("kind in body");
    assert_eq!(e.field.as_deref(), Some("kind"));
    // An empty body is the request with every default.
    assert_eq!(
        Request::from_body("datasets", b"")
            .expect("empty body")
            .kind(),
        "datasets"
    );
}

#[test]
fn a_second_request_reuses_the_loaded_table_and_its_solver() {
    let (_h, ws) = workspace();
    let req = body("multipliers", r#"{"data": "demo", "solver": "lu"}"#);
    assert!(!ws.is_loaded("demo"));
    let first = run(&ws, &req, &Quiet).expect("first");
    let loaded = ws.dataset("demo", &Quiet).expect("cached");
    assert!(loaded.has_system(Solver::Lu));
    let again = ws.dataset("demo", &Quiet).expect("cached");
    assert!(Arc::ptr_eq(&loaded, &again), "the same table, not a reload");
    let sys1 = loaded.system(Solver::Lu).expect("system");
    let second = run(&ws, &req, &Quiet).expect("second");
    let sys2 = loaded.system(Solver::Lu).expect("system");
    assert!(Arc::ptr_eq(&sys1, &sys2), "the same factorised system");
    assert_eq!(first.tables, second.tables);
}

#[test]
fn names_are_confined_to_the_store_and_unknown_names_suggest_valid_ones() {
    let (_h, ws) = workspace();
    for bad in ["../demo", "/etc", "a/b", ".."] {
        let e = run(
            &ws,
            &body("info", &format!(r#"{{"data": "{bad}"}}"#)),
            &Quiet,
        )
        .expect_err(bad);
        assert_eq!(e.kind, ErrorKind::Usage, "{bad}: {e}");
        assert_eq!(e.field.as_deref(), Some("data"));
    }
    let e = run(&ws, &body("info", r#"{"data": "nothere"}"#), &Quiet).expect_err("absent");
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    let e = run(
        &ws,
        &body("depend", r#"{"us": "R0l", "them": "R02", "data": "demo"}"#),
        &Quiet,
    )
    .expect_err("unknown region");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert_eq!(e.field.as_deref(), Some("us"));
    assert!(e.message.contains("R0L"), "{e}");
    assert_eq!(e.nearest.as_deref(), Some("R01"), "{e}");
    // The choices are names a side can take, not words of the message.
    for name in ["R01", "R04", "ALL", "BRICS"] {
        assert!(
            e.choices.iter().any(|c| c == name),
            "{name}: {:?}",
            e.choices
        );
    }
    assert!(
        e.choices.iter().all(|c| !c.contains([',', '(', ')'])),
        "{:?}",
        e.choices
    );
    let e = run(
        &ws,
        &body(
            "depend",
            r#"{"us": "R01", "them": "R01+R02", "data": "demo"}"#,
        ),
        &Quiet,
    )
    .expect_err("overlap");
    assert_eq!(e.field.as_deref(), Some("them"));
    let e = run(
        &ws,
        &body(
            "depend",
            r#"{"us": "R01", "them": "R02", "data": "demo", "as_of": "yesterday"}"#,
        ),
        &Quiet,
    )
    .expect_err("bad date");
    assert_eq!(e.field.as_deref(), Some("as_of"));
    let e = run(
        &ws,
        &body("multipliers", r#"{"data": "demo", "region": "R9"}"#),
        &Quiet,
    )
    .expect_err("bad region");
    assert_eq!(e.field.as_deref(), Some("region"));
    assert!(e.choices.contains(&"R01".to_string()), "{:?}", e.choices);
}

#[test]
fn every_request_kind_runs_on_a_table_with_final_demand_by_destination() {
    let (_h, ws) = workspace();
    for (kind, json) in [
        ("info", r#"{"data": "demo"}"#),
        ("datasets", "{}"),
        ("multipliers", r#"{"data": "demo"}"#),
        ("linkages", r#"{"data": "demo", "key_only": false}"#),
        (
            "footprint",
            r#"{"data": "demo", "stressor": "value added", "by": "node"}"#,
        ),
        (
            "depend",
            r#"{"us": "R01+R04", "them": "R02", "data": "demo", "by": "region"}"#,
        ),
        (
            "depend",
            r#"{"us": "R01+R04", "them": "R02", "data": "demo", "each": true}"#,
        ),
        ("keys", r#"{"us": "R01", "them": "R02", "data": "demo"}"#),
        ("tiva", r#"{"data": "demo"}"#),
        ("blocs_list", r#"{"as_of": "2024-06-30"}"#),
        ("blocs_show", r#"{"name": "BRICS", "as_of": "2024-06-30"}"#),
    ] {
        let r = run(&ws, &body(kind, json), &Quiet).unwrap_or_else(|e| panic!("{kind}: {e}"));
        r.validate().unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(!r.tables.is_empty(), "{kind}");
        assert!(!r.tables[0].is_empty(), "{kind} has rows");
        // The JSON document reads back as the same report.
        let json = sovra_report::write::to_json(&r);
        let back = sovra_report::Report::from_json(&json).expect("round trip");
        assert_eq!(back, r, "{kind}");
    }
}

#[test]
fn the_bloc_total_equals_an_independent_output_weighted_sum() {
    // The dependence of us as a whole on them is the output-weighted mean over our sectors (not a figure the
    // report computes twice the same way: rows and total come from different sums in the analysis).
    let (_h, ws) = workspace();
    let r = run(
        &ws,
        &body("depend", r#"{"us": "R01", "them": "R02", "data": "demo"}"#),
        &Quiet,
    )
    .expect("depend");
    let t = &r.tables[0];
    let col = |k: &str| {
        t.columns
            .iter()
            .find(|c| c.key == k)
            .map(|c| {
                (0..t.len())
                    .map(|i| c.values.get(i).as_f64().unwrap_or(0.0))
                    .collect::<Vec<_>>()
            })
            .expect("column")
    };
    let (x, w) = (col("gross_output"), col("value_added_from_them"));
    let mean = x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / x.iter().sum::<f64>();
    let total = r
        .summary
        .iter()
        .find(|f| f.key == "value_added_from_them")
        .and_then(|f| f.value.as_f64())
        .expect("total");
    assert!((mean - total).abs() < 1e-12, "{mean} vs {total}");
}

#[test]
fn names_resolve_helpfully_and_overlap_suggestions_resolve() {
    let (_h, ws) = workspace();
    // A region written by its name is read as its code, with a note saying so.
    let r = run(
        &ws,
        &body(
            "depend",
            r#"{"us": "Region 1", "them": "R02", "data": "demo"}"#,
        ),
        &Quiet,
    )
    .expect("name of a region");
    assert!(
        r.notes.iter().any(|n| n == "us 'Region 1' read as R01"),
        "{:?}",
        r.notes
    );
    // The overlap error suggests an expression that itself resolves without overlap.
    let e = run(
        &ws,
        &body(
            "depend",
            r#"{"us": "R01", "them": "R02+R01", "data": "demo"}"#,
        ),
        &Quiet,
    )
    .expect_err("overlap");
    let hint = e
        .message
        .split("write them as '")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a suggestion")
        .to_string();
    let fixed = run(
        &ws,
        &body(
            "depend",
            &format!(r#"{{"us": "R01", "them": "{hint}", "data": "demo"}}"#),
        ),
        &Quiet,
    )
    .expect("the suggestion works");
    assert_eq!(
        fixed
            .summary
            .iter()
            .find(|f| f.key == "them_regions")
            .map(|f| &f.value),
        Some(&Value::List(vec![Value::Text("R02".into())]))
    );
}

#[test]
fn membership_defaults_to_the_end_of_the_dataset_year() {
    let (_h, ws) = workspace();
    let r = run(
        &ws,
        &body("keys", r#"{"us": "R01", "them": "R02", "data": "demo"}"#),
        &Quiet,
    )
    .expect("keys");
    assert_eq!(
        r.parameters
            .iter()
            .find(|p| p.key == "as_of")
            .map(|p| p.value.clone()),
        Some(Value::Text("2020-12-31".into()))
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("2020-12-31, the end of the dataset's year")),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_shock_without_a_date_takes_the_end_of_the_dataset_year() {
    let (_h, ws) = workspace();
    let r = run(
        &ws,
        &body(
            "shock",
            r#"{"sanctioning": "R01", "target": "R02", "data": "demo"}"#,
        ),
        &Quiet,
    )
    .expect("shock");
    assert_eq!(
        r.parameters
            .iter()
            .find(|p| p.key == "as_of")
            .map(|p| p.value.clone()),
        Some(Value::Text("2020-12-31".into()))
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("2020-12-31, the end of the dataset's year")),
        "{:?}",
        r.notes
    );
    let dated = run(
        &ws,
        &body(
            "shock",
            r#"{"sanctioning": "R01", "target": "R02", "data": "demo", "as_of": "2024-06-30"}"#,
        ),
        &Quiet,
    )
    .expect("shock");
    assert!(
        !dated
            .notes
            .iter()
            .any(|n| n.contains("end of the dataset's year"))
    );
}

/// A dataset of several years: each request picks one with `year` (the latest without it), each year is
/// loaded once, and a year the series lacks is a not-found error on the field `year` (exit code 2, HTTP 404).
#[test]
fn a_series_answers_each_year_and_names_a_missing_one() {
    let home = tempfile::tempdir().expect("tempdir");
    let years = [(2019, 5u64), (2020, 6)].map(|(year, seed)| {
        let mut t = synth::table(
            "s",
            synth::Spec {
                regions: 3,
                sectors: 2,
                seed,
                ..Default::default()
            },
        )
        .expect("synthetic table");
        t.provenance.year = Some(year);
        Ok(store::SeriesYear {
            table: t,
            arrays: Vec::new(),
        })
    });
    let info = store::SeriesInfo {
        name: "s".into(),
        title: "two years".into(),
        ..Default::default()
    };
    store::write_series(
        home.path(),
        &info,
        store::WriteMode::CreateNew,
        sovra_core::lock::Wait::Forever,
        years,
    )
    .expect("series");
    let mut ws = Workspace::new(home.path());
    ws.fetch_default = false;
    let latest = run(&ws, &body("info", r#"{"data": "s"}"#), &Quiet).expect("info");
    assert_eq!(latest.provenance.year, Some(2020));
    let first = run(&ws, &body("info", r#"{"data": "s", "year": 2019}"#), &Quiet).expect("info");
    assert_eq!(first.provenance.year, Some(2019));
    assert_ne!(first.summary, latest.summary);
    let depend = run(
        &ws,
        &body(
            "depend",
            r#"{"us": "R01", "them": "R02", "data": "s", "year": 2019}"#,
        ),
        &Quiet,
    )
    .expect("depend");
    assert_eq!(depend.provenance.year, Some(2019));
    let e = run(&ws, &body("info", r#"{"data": "s", "year": 1990}"#), &Quiet).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.field.as_deref(), Some("year"));
    assert!(
        e.message.contains("no year 1990") && e.message.contains("2019–2020 (2)"),
        "{}",
        e.message
    );
    assert_eq!(e.kind.exit_code(), 2);
}
