//! The `alliances` request through the engine on a generated table: JSON in (`against`, or `them`; unknown
//! fields refused with the field named), a report with its tables and figures out, and bad requests as
//! usage errors naming their field.

use sovra_core::{store, synth};
use sovra_engine::{AlliancesRequest, ErrorKind, Quiet, Request, Workspace, run};
use sovra_report::Value;

fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = synth::table(
        "demo",
        synth::Spec {
            regions: 6,
            sectors: 3,
            categories: 1,
            stressors: 0,
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

#[test]
fn a_request_from_json_gives_the_alliances_report() {
    let (_h, ws) = workspace();
    let body =
        br#"{"us": "R01", "them": "R02", "candidates": "R02+R03+R04", "data": "demo", "size": 2}"#;
    let req = Request::from_body("alliances", body).expect("valid");
    let Request::Alliances(q) = &req else {
        panic!("not alliances: {req:?}")
    };
    assert_eq!(q.against, "R02", "`them` is read as `against`");
    assert_eq!(req.kind(), "alliances");
    assert_eq!(req.dataset(), Some("demo"));
    let r = run(&ws, &req, &Quiet).expect("alliances");
    assert_eq!(r.kind, "alliances");
    let keys: Vec<&str> = r.tables.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["candidates", "sets", "sectors", "pairs", "shock"]);
    assert_eq!(
        r.tables[0].len(),
        2,
        "R02 (them) left out of the candidates"
    );
    assert!(r.notes.iter().any(|n| n.contains("R02 left out")));
    for key in [
        "imports_from_them",
        "best_set",
        "best_set_coverage",
        "loss_without",
        "loss_with",
        "loss_avoided",
    ] {
        assert!(r.summary.iter().any(|f| f.key == key), "no figure {key}");
    }
    assert!(r.diagnostics.iter().any(|d| d.key == "partner_sets"));

    let mut q = AlliancesRequest::new("R01", "R02", "R03");
    q.data = "demo".into();
    q.shock = false;
    let r = run(&ws, &Request::Alliances(q), &Quiet).expect("no shock");
    assert!(r.tables.iter().all(|t| t.key != "shock"));
}

#[test]
fn bad_requests_name_their_field() {
    let (_h, ws) = workspace();
    let e = Request::from_body(
        "alliances",
        br#"{"us": "R01", "against": "R02", "candidates": "R03", "partners": "R04"}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("partners"));
    let e = Request::from_body("alliances", br#"{"us": "R01", "against": "R02"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("candidates"));
    let fails = |f: &dyn Fn(&mut AlliancesRequest)| {
        let mut q = AlliancesRequest::new("R01", "R02", "R03+R04");
        q.data = "demo".into();
        f(&mut q);
        run(&ws, &Request::Alliances(q), &Quiet).unwrap_err()
    };
    let e = fails(&|q| q.size = 0);
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("size"))
    );
    let e = fails(&|q| q.candidates = "R01+R02".into());
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("candidates"))
    );
    let e = fails(&|q| q.candidates = "XYZ".into());
    assert_eq!(e.field.as_deref(), Some("candidates"));
    let e = fails(&|q| q.us = "R02".into());
    assert_eq!(e.field.as_deref(), Some("them"), "us and them overlap");
}

/// The workspace with a trade store on the table's region codes: a hand-made year 2020 (the table's) and a
/// year 2021.
///
/// 2020: R02→R01 010101 100 and 020202 50 (our imports from them: 150); R05→R01 010101 30 (not them);
/// R03→R05 010101 60, R03→R01 010101 10, R03→R04 020202 5; R04→R02 020202 80.
/// R03: exports 70 and 5, covers min(100, 70) + min(50, 5) = 75 (0.5), we buy 10 from it.
/// R04: exports 0 and 80, covers 50 (1/3). Both: min(100, 70) + min(50, 85) = 120 (0.8).
fn workspace_with_trade() -> (tempfile::TempDir, Workspace) {
    let (home, ws) = workspace();
    let csv = "year,exporter,importer,product,value\n\
               2020,R02,R01,010101,100\n2020,R02,R01,020202,50\n2020,R05,R01,010101,30\n\
               2020,R03,R05,010101,60\n2020,R03,R01,010101,10\n2020,R03,R04,020202,5\n\
               2020,R04,R02,020202,80\n2021,R02,R01,010101,999\n2021,R03,R01,010101,1\n";
    let f = home.path().join("flows.csv");
    std::fs::write(&f, csv).expect("write");
    sovra_lake::import::import(
        &[f],
        None,
        &ws.trade_store(),
        &sovra_lake::import::ImportOptions::default(),
        &|_| {},
    )
    .expect("import");
    (home, ws)
}

fn figure(r: &sovra_report::Report, key: &str) -> f64 {
    r.summary
        .iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
        .value
        .as_f64()
        .unwrap_or_else(|| panic!("figure {key} not a number"))
}

/// The cell of column `key` in row `row` of table `table`.
fn cell(r: &sovra_report::Report, table: &str, row: usize, key: &str) -> Value {
    r.tables
        .iter()
        .find(|t| t.key == table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .column(key)
        .unwrap_or_else(|| panic!("no column {key} in {table}"))
        .values
        .get(row)
}

#[test]
fn hs6_coverage_from_the_trade_store() {
    let (_h, ws) = workspace_with_trade();
    let mut q = AlliancesRequest::new("R01", "R02", "R02+R03+R04");
    q.data = "demo".into();
    q.shock = false;
    let r = run(&ws, &Request::Alliances(q.clone()), &Quiet).expect("alliances");
    r.validate().expect("a valid report");
    let keys: Vec<&str> = r.tables.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "candidates",
            "sets",
            "sectors",
            "pairs",
            "hs6_candidates",
            "hs6_sets",
            "hs6_products",
            "hs6_pairs"
        ]
    );
    assert_eq!(figure(&r, "hs6_year"), 2020.0, "the table's year");
    assert_eq!(figure(&r, "hs6_imports_from_them"), 150.0);
    assert_eq!(figure(&r, "hs6_products"), 2.0);
    assert!((figure(&r, "hs6_best_set_coverage") - 0.8).abs() < 1e-12);
    let len = |key: &str| r.tables.iter().find(|t| t.key == key).unwrap().len();
    let c = |row: usize, key: &str| cell(&r, "hs6_candidates", row, key);
    assert_eq!(len("hs6_candidates"), 2, "R02 (them) left out");
    assert_eq!(c(0, "candidate"), Value::from("R03"));
    assert_eq!(c(0, "covered"), Value::Number(75.0));
    assert_eq!(c(0, "coverage"), Value::Number(0.5));
    assert_eq!(c(0, "exports"), Value::Number(75.0));
    assert_eq!(c(0, "already_bought"), Value::Number(10.0));
    assert_eq!(c(0, "top_product"), Value::from("010101"));
    assert_eq!(c(1, "candidate"), Value::from("R04"));
    assert_eq!(c(1, "covered"), Value::Number(50.0));
    assert_eq!(cell(&r, "hs6_sets", 0, "members"), Value::from("R03+R04"));
    assert_eq!(cell(&r, "hs6_sets", 0, "covered"), Value::Number(120.0));
    let p = |row: usize, key: &str| cell(&r, "hs6_products", row, key);
    assert_eq!(p(0, "product"), Value::from("010101"));
    assert_eq!(p(0, "imports"), Value::Number(100.0));
    assert_eq!(p(0, "best_candidate"), Value::from("R03"));
    assert_eq!(p(0, "best_coverage"), Value::Number(0.7));
    assert_eq!(p(1, "all_coverage"), Value::Number(1.0));
    assert_eq!(len("hs6_pairs"), 4);
    assert_eq!(cell(&r, "hs6_pairs", 0, "product"), Value::from("010101"));
    assert_eq!(cell(&r, "hs6_pairs", 0, "candidate"), Value::from("R03"));
    assert_eq!(cell(&r, "hs6_pairs", 0, "coverage"), Value::Number(0.7));

    // Another year, and the switches.
    let mut y = q.clone();
    y.trade_year = Some(2021);
    let r = run(&ws, &Request::Alliances(y), &Quiet).expect("2021");
    assert_eq!(figure(&r, "hs6_imports_from_them"), 999.0);
    let mut y = q.clone();
    y.trade_year = Some(2019);
    let e = run(&ws, &Request::Alliances(y), &Quiet).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("trade_year"))
    );
    let mut off = q.clone();
    off.trade = Some(false);
    let r = run(&ws, &Request::Alliances(off), &Quiet).expect("no trade");
    assert!(r.tables.iter().all(|t| !t.key.starts_with("hs6_")));
    // Candidates with no country in the trade: a note by default, an error when asked for.
    let mut none = q.clone();
    none.candidates = "R06".into();
    let r = run(&ws, &Request::Alliances(none.clone()), &Quiet).expect("a note");
    assert!(r.tables.iter().all(|t| !t.key.starts_with("hs6_")));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("HS6 coverage left out"))
    );
    none.trade = Some(true);
    let e = run(&ws, &Request::Alliances(none), &Quiet).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("candidates"));
}

#[test]
fn without_a_trade_store_hs6_is_a_note_or_an_error_naming_trade() {
    let (_h, ws) = workspace();
    let mut q = AlliancesRequest::new("R01", "R02", "R03");
    q.data = "demo".into();
    q.shock = false;
    let r = run(&ws, &Request::Alliances(q.clone()), &Quiet).expect("a note");
    assert!(r.notes.iter().any(|n| n.contains("no trade store")));
    q.trade = Some(true);
    let e = run(&ws, &Request::Alliances(q), &Quiet).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::NotFound, Some("trade"))
    );
}
