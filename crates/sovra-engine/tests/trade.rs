//! The trade requests (`trade_depend`, `trade_suppliers`, `opportunities`) and `complexity` end to end on a
//! synthetic three-year trade store in the workspace (built with `sovra_trade::synth` and `sovra_lake`'s
//! import): requests from JSON, unknown fields rejected naming them, product codes as text with their leading
//! zeros, no 9999 sentinel for machines, year windows, requests that name files flagged for the server, and
//! the two jobs that write files (`trade::synth`, `trade::import`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sovra_engine::{ErrorKind, Quiet, Request, Workspace, run};
use sovra_report::{Kind, Report, Table, Value};

/// A workspace whose trade store holds three synthetic years (2020–2022), and a generated MRIO table `demo`.
fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let mut files = Vec::new();
    for (year, seed) in [(2020, 3), (2021, 2), (2022, 1)] {
        let flows = sovra_trade::synth::year(sovra_trade::synth::Spec {
            countries: 30,
            products: 90,
            destinations: 6.0,
            year,
            seed,
            real_codes: false,
        });
        let f = h.join(format!("synth{year}.csv"));
        std::fs::write(&f, sovra_trade::synth::to_long_csv(&flows)).expect("write");
        files.push(f);
    }
    sovra_lake::import::import(
        &files,
        None,
        &h.join("trade"),
        &sovra_lake::import::ImportOptions::default(),
        &|_| {},
    )
    .expect("import");
    let t = sovra_core::synth::table(
        "demo",
        sovra_core::synth::Spec {
            regions: 5,
            sectors: 4,
            categories: 2,
            stressors: 1,
            ..Default::default()
        },
    )
    .expect("synthetic table");
    sovra_core::store::write(h, &t, sovra_core::store::WriteMode::CreateNew).expect("store");
    let mut ws = Workspace::new(h);
    ws.fetch_default = false;
    (home, ws)
}

fn body(kind: &str, json: &str) -> Request {
    Request::from_body(kind, json.as_bytes()).expect("valid request")
}

fn answer(ws: &Workspace, kind: &str, json: &str) -> Report {
    let r = run(ws, &body(kind, json), &Quiet).expect(kind);
    r.validate().expect("a valid report");
    assert_eq!(r.kind, kind);
    r
}

fn column<'a>(t: &'a Table, key: &str) -> &'a sovra_report::Column {
    t.column(key)
        .unwrap_or_else(|| panic!("no column {key} in {}", t.key))
}

fn figure<'a>(r: &'a Report, key: &str) -> &'a Value {
    &r.summary
        .iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
        .value
}

#[test]
fn the_screen_from_json_gives_typed_columns_and_codes_as_text() {
    let (_h, ws) = workspace();
    let r = answer(
        &ws,
        "trade_depend",
        r#"{"importer": "C001", "on": "C002+C003", "all": true, "years": "2021:2022"}"#,
    );
    assert_eq!(r.provenance.dataset, None);
    let t = &r.tables[0];
    assert_eq!(t.key, "products");
    assert!(t.len() > 20, "{} rows", t.len());
    let keys: Vec<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "year",
            "product",
            "product_name",
            "imports",
            "exports",
            "hhi_imports",
            "hhi_world",
            "imports_exports",
            "no_exports",
            "top_supplier",
            "top_supplier_share",
            "share_from_bloc",
            "dependent",
            "persistent"
        ]
    );
    // Product codes are text with their leading zeros (the synthetic codes start with 0).
    let product = column(t, "product");
    assert_eq!(product.kind, Kind::Code);
    for i in 0..t.len() {
        let code = product.values.get(i);
        let code = code.as_str().expect("text");
        assert!(code.len() == 6 && code.starts_with('0'), "{code}");
    }
    assert!(sovra_report::write::to_json(&r).contains("\"product\": \"0"));
    // Values in the input's unit (a long CSV: as given; BACI's would be thousand USD).
    assert!(
        column(t, "imports")
            .unit
            .as_deref()
            .is_some_and(|u| u.contains("thousand USD"))
    );
    // No 9999: the ratio is null exactly where the importer exports nothing, and flagged.
    let (ratio, none) = (column(t, "imports_exports"), column(t, "no_exports"));
    assert!(none.hidden && !ratio.hidden);
    let mut flagged = 0;
    for i in 0..t.len() {
        let no_exports = none.values.get(i) == Value::Bool(true);
        assert_eq!(ratio.values.get(i).is_null(), no_exports, "row {i}");
        assert!(ratio.values.get(i).as_f64().is_none_or(|x| x < 9999.0));
        flagged += usize::from(no_exports);
    }
    assert!(flagged > 0, "some product the importer does not export");
    // Years in the window only; the share from the bloc is a fraction.
    let years = column(t, "year");
    assert!((0..t.len()).all(|i| matches!(years.values.get(i), Value::Int(2021 | 2022))));
    let bloc = column(t, "share_from_bloc");
    assert!((0..t.len()).all(|i| {
        bloc.values
            .get(i)
            .as_f64()
            .is_some_and(|x| (0.0..=1.0).contains(&x))
    }));
    // Typed figures, and the headline as the CLI words it.
    assert_eq!(figure(&r, "first_year"), &Value::Int(2021));
    assert_eq!(
        figure(&r, "years_read"),
        &Value::List(vec![2020.into(), 2021.into(), 2022.into()])
    );
    assert_eq!(
        figure(&r, "importer_members"),
        &Value::List(vec!["C001".into()])
    );
    assert_eq!(
        figure(&r, "on_members"),
        &Value::List(vec!["C002".into(), "C003".into()])
    );
    let dependent = figure(&r, "dependent").as_f64().expect("count");
    let line = r
        .headline
        .iter()
        .find(|l| l.label == "dependent")
        .expect("line");
    assert!(
        line.text.starts_with(&format!("{dependent} (")),
        "{}",
        line.text
    );
    let params: Vec<&str> = r.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        params,
        ["years", "hhi_imports", "hhi_world", "ratio", "persistence"]
    );
}

#[test]
fn unknown_fields_are_refused_naming_them() {
    for (kind, json) in [
        ("trade_depend", r#"{"importer": "C001", "bloc": "C002"}"#),
        (
            "trade_suppliers",
            r#"{"importer": "C001", "products": "010101"}"#,
        ),
        (
            "opportunities",
            // The project file is the CLI's (it writes a file): not a field of the request.
            r#"{"country": "C001", "write_projects": "p.toml"}"#,
        ),
        ("complexity", r#"{"trade": true, "treshold": 1}"#),
    ] {
        let e = Request::from_body(kind, json.as_bytes()).expect_err(kind);
        assert_eq!(e.kind, ErrorKind::Usage, "{kind}");
        let field = e.field.clone().expect("field named");
        assert!(json.contains(&format!("\"{field}\"")), "{kind}: {field}");
        assert!(e.message.contains(&field), "{}", e.message);
    }
}

#[test]
fn requests_that_name_files_say_so() {
    let plain = [
        ("trade_depend", r#"{"importer": "C001"}"#),
        (
            "trade_suppliers",
            r#"{"importer": "C001", "all_dependent": true}"#,
        ),
        ("opportunities", r#"{"country": "C001"}"#),
        ("complexity", r#"{"trade": true}"#),
        ("complexity", r#"{}"#),
    ];
    for (kind, json) in plain {
        assert!(!body(kind, json).names_files(), "{kind} {json}");
    }
    for (kind, json) in [
        (
            "trade_depend",
            r#"{"importer": "C001", "input": "/x/flows.csv"}"#,
        ),
        (
            "trade_depend",
            r#"{"importer": "C001", "store": "/x/trade"}"#,
        ),
        (
            "trade_suppliers",
            r#"{"importer": "C001", "all_dependent": true, "country_codes": "/x/c.csv"}"#,
        ),
        ("opportunities", r#"{"country": "C001", "store": "/x"}"#),
        ("complexity", r#"{"input": "/x/exports.csv"}"#),
        ("complexity", r#"{"store": "/x/trade"}"#),
    ] {
        assert!(body(kind, json).names_files(), "{kind} {json}");
    }
    assert!(!body("depend", r#"{"us": "R01", "them": "R02"}"#).names_files());
}

#[test]
fn each_importer_honours_years_and_refuses_on() {
    let (_h, ws) = workspace();
    let one = answer(&ws, "trade_depend", r#"{"importer": "ALL", "each": true}"#);
    let t = &one.tables[0];
    assert_eq!(t.key, "importers");
    assert_eq!(t.len(), 30, "every importer of the year");
    assert!(column(t, "year").hidden, "one year: in the parameters");
    assert_eq!(one.parameters[0].label, "year");
    let range = answer(
        &ws,
        "trade_depend",
        r#"{"importer": "ALL", "each": true, "years": "2021:2022", "top": 5}"#,
    );
    let t = &range.tables[0];
    assert!(!column(t, "year").hidden);
    assert_eq!(t.len(), 10, "top 5 per year");
    let years: Vec<Value> = (0..t.len())
        .map(|i| column(t, "year").values.get(i))
        .collect();
    assert_eq!(years[0], Value::Int(2021));
    assert_eq!(years[9], Value::Int(2022));
    // The 2021 rows are the screen of 2021: the same counts as a one-year request for 2021.
    let y2021 = answer(
        &ws,
        "trade_depend",
        r#"{"importer": "ALL", "each": true, "year": 2021, "top": 5}"#,
    );
    for key in ["importer", "dependent", "persistent", "largest_product"] {
        for i in 0..5 {
            assert_eq!(
                column(t, key).values.get(i),
                column(&y2021.tables[0], key).values.get(i),
                "{key} row {i}"
            );
        }
    }
    for (json, field) in [
        (r#"{"importer": "ALL", "each": true, "on": "C001"}"#, "on"),
        (r#"{"importer": "ALL", "each": true, "all": true}"#, "all"),
    ] {
        let e = run(&ws, &body("trade_depend", json), &Quiet).expect_err(json);
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Usage, Some(field))
        );
    }
}

#[test]
fn year_windows_and_names_are_checked() {
    let (_h, ws) = workspace();
    for (json, field, needle) in [
        (
            r#"{"importer": "C001", "year": 1999}"#,
            "year",
            "[2020, 2021, 2022]",
        ),
        (
            r#"{"importer": "C001", "years": "2022:2020"}"#,
            "years",
            "Y1:Y2",
        ),
        (
            r#"{"importer": "C001", "years": "1990:1991"}"#,
            "years",
            "holds",
        ),
        (
            r#"{"importer": "C001", "year": 2021, "years": "2020:2021"}"#,
            "years",
            "one",
        ),
        (r#"{"importer": "XXX"}"#, "importer", "XXX"),
        (
            r#"{"importer": "C001", "hhi_world": -1}"#,
            "hhi_world",
            "between 0 and 1",
        ),
        (
            r#"{"importer": "C001", "input": "/nonexistent/x.csv", "store": "/y"}"#,
            "store",
            "not both",
        ),
    ] {
        let e = run(&ws, &body("trade_depend", json), &Quiet).expect_err(json);
        assert_eq!(e.field.as_deref(), Some(field), "{json}: {e}");
        assert!(e.message.contains(needle), "{json}: {e}");
        assert_eq!(e.kind.exit_code(), 2, "{json}");
    }
    let e = run(
        &ws,
        &body(
            "trade_suppliers",
            r#"{"importer": "C001", "product": "01011"}"#,
        ),
        &Quiet,
    )
    .expect_err("unknown product");
    assert_eq!(e.field.as_deref(), Some("product"));
    assert!(e.message.contains("unknown product '01011'"), "{e}");
    assert!(e.nearest.is_some() && e.choices.len() == 90, "{e:?}");
    let e = run(
        &ws,
        &body("opportunities", r#"{"country": "C999"}"#),
        &Quiet,
    )
    .expect_err("country");
    assert_eq!(e.field.as_deref(), Some("country"));
    // No trade store at all: not found.
    let empty = tempfile::tempdir().expect("tempdir");
    let e = run(
        &Workspace::new(empty.path()),
        &body("trade_depend", r#"{"importer": "C001"}"#),
        &Quiet,
    )
    .expect_err("no store");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("no trade store"), "{e}");
}

#[test]
fn suppliers_and_opportunities() {
    let (_h, ws) = workspace();
    let screen = answer(&ws, "trade_depend", r#"{"importer": "C001"}"#);
    let dependent = figure(&screen, "dependent").as_f64().expect("count") as usize;
    let r = answer(
        &ws,
        "trade_suppliers",
        r#"{"importer": "C001", "all_dependent": true, "top": 3}"#,
    );
    assert_eq!(figure(&r, "products"), &Value::Int(dependent as i64));
    let t = &r.tables[0];
    let keys: Vec<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "product",
            "product_name",
            "rank",
            "exporter",
            "world_share",
            "rca",
            "to_importer",
            "elsewhere",
            "world_exports"
        ]
    );
    for i in 0..t.len() {
        assert_ne!(column(t, "exporter").values.get(i), Value::from("C001"));
        let rank = column(t, "rank").values.get(i).as_f64().expect("rank");
        assert!((1.0..=3.0).contains(&rank));
    }
    // One product, by its code as text.
    let code = column(t, "product").values.get(0);
    let one = answer(
        &ws,
        "trade_suppliers",
        &format!(
            r#"{{"importer": "C001", "product": "{}"}}"#,
            code.as_str().expect("code")
        ),
    );
    assert_eq!(
        one.tables[0]
            .column("product")
            .expect("product")
            .values
            .get(0),
        code
    );
    let ops = answer(&ws, "opportunities", r#"{"country": "C005"}"#);
    let t = &ops.tables[0];
    assert_eq!(figure(&ops, "candidates"), &Value::Int(t.len() as i64));
    let score = column(t, "score");
    let scores: Vec<f64> = (0..t.len())
        .filter_map(|i| score.values.get(i).as_f64())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let (ratio, none) = (column(t, "imports_exports"), column(t, "no_exports"));
    for i in 0..t.len() {
        assert_eq!(
            ratio.values.get(i).is_null(),
            none.values.get(i) == Value::Bool(true)
        );
    }
    assert_eq!(
        column(t, "top_supplier_share").join.as_deref(),
        Some("top_supplier")
    );
}

#[test]
fn complexity_of_the_trade_store_a_named_store_and_a_table() {
    let (home, ws) = workspace();
    let r = answer(
        &ws,
        "complexity",
        r#"{"trade": true, "year": 2021, "by": "product"}"#,
    );
    let t = &r.tables[0];
    assert_eq!(t.key, "products");
    assert!(t.len() > 80, "the products traded in 2021");
    assert_eq!(figure(&r, "products"), &Value::List(vec![t.len().into()]));
    let product = column(t, "product");
    assert!((0..t.len()).all(|i| {
        product
            .values
            .get(i)
            .as_str()
            .is_some_and(|c| c.starts_with('0'))
    }));
    assert_eq!(figure(&r, "years"), &Value::List(vec![2021.into()]));
    // Fitness only when asked: null otherwise.
    assert!(column(t, "fitness_complexity").values.get(0).is_null());
    // The same store named as a directory gives the same numbers.
    let store = home.path().join("trade");
    let named = run(
        &ws,
        &Request::Complexity(sovra_engine::ComplexityRequest {
            store: Some(store),
            ..serde_json::from_str(r#"{"year": 2021, "by": "product"}"#).expect("request")
        }),
        &Quiet,
    )
    .expect("named store");
    assert_eq!(named.tables[0], *t);
    let all = answer(
        &ws,
        "complexity",
        r#"{"trade": true, "convention": "py-ecomplexity", "fitness": true, "top": 4}"#,
    );
    assert_eq!(all.tables[0].len(), 12, "top 4 of each of three years");
    assert!(
        column(&all.tables[0], "fitness")
            .values
            .get(0)
            .as_f64()
            .is_some()
    );
    assert_eq!(all.headline.len(), 3, "one line per year");
    let table = answer(&ws, "complexity", r#"{"data": "demo"}"#);
    assert_eq!(table.provenance.dataset.as_deref(), Some("demo"));
    assert_eq!(table.tables[0].len(), 5);
    let e = run(
        &ws,
        &body("complexity", r#"{"trade": true, "year": 1999}"#),
        &Quiet,
    )
    .expect_err("year");
    assert_eq!(e.field.as_deref(), Some("year"));
    let e =
        run(&ws, &body("complexity", r#"{"rca_threshold": 0}"#), &Quiet).expect_err("threshold");
    assert_eq!(e.field.as_deref(), Some("rca_threshold"));
}

#[test]
fn a_second_request_reuses_the_trade_years_read() {
    let (_h, ws) = workspace();
    let store = sovra_lake::store::Store::open(&ws.trade_store()).expect("store");
    let (a, _) = ws.trade_years(&store, &[2021, 2022], &Quiet).expect("load");
    let (b, _) = ws.trade_years(&store, &[2021, 2022], &Quiet).expect("load");
    assert!(Arc::ptr_eq(&a, &b));
    let (c, report) = ws.trade_years(&store, &[2022], &Quiet).expect("load");
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(report.years, vec![2022]);
}

/// `trade::synth` writes a BACI year and its country codes; `trade::import` stores it; a request naming that
/// store (as only the CLI may) reads it, with values in thousand USD.
#[test]
fn synth_and_import_write_files_and_report_them() {
    let (home, ws) = workspace();
    let dir = home.path().join("baci");
    std::fs::create_dir(&dir).expect("dir");
    let out: PathBuf = dir.join("BACI_HS92_Y2023_synth.csv");
    let written = sovra_engine::trade::synth(
        &serde_json::from_value(serde_json::json!({
            "countries": 12, "products": 40, "destinations": 4.0, "year": 2023, "out": out, "baci": true
        }))
        .expect("options"),
    )
    .expect("synth");
    assert_eq!(written.kind, "trade_synth");
    assert!(written.title.contains("rows written to") && out.is_file());
    let codes = dir.join("country_codes_synth.csv");
    assert!(codes.is_file());
    let store = dir.join("store");
    let imported = sovra_engine::trade::import(
        &ws,
        &sovra_engine::TradeImportOptions {
            files: vec![out.clone()],
            country_codes: Some(codes),
            store: Some(store.clone()),
            memory_limit: 1.0,
            wait: false,
        },
        &Quiet,
    )
    .expect("import");
    imported.validate().expect("valid");
    assert_eq!(
        figure(&imported, "store_years"),
        &Value::List(vec![2023.into()])
    );
    assert_eq!(
        imported.tables[0]
            .column("format")
            .expect("format")
            .values
            .get(0),
        Value::from("baci")
    );
    let req = Request::TradeDepend(sovra_engine::TradeDependRequest {
        store: Some(store),
        ..serde_json::from_str(r#"{"importer": "ALL", "each": true}"#).expect("request")
    });
    assert!(req.names_files());
    let r = run(&ws, &req, &Quiet).expect("screen of the named store");
    assert!(r.title.contains(&dir.join("store").display().to_string()));
    assert_eq!(
        column(&r.tables[0], "largest_imports").unit.as_deref(),
        Some("thousand USD")
    );
    let e = sovra_engine::trade::import(
        &ws,
        &sovra_engine::TradeImportOptions {
            files: vec![out],
            country_codes: None,
            store: None,
            memory_limit: 0.0,
            wait: false,
        },
        &Quiet,
    )
    .expect_err("memory limit");
    assert_eq!(e.field.as_deref(), Some("memory_limit"));
    // The workspace's store is untouched by an import elsewhere.
    assert!(!Path::new(&ws.trade_store()).join("year=2023").exists());
}

/// `(product, score, rank_score)` of an opportunities report's rows.
fn scored(r: &Report) -> Vec<(String, f64, f64)> {
    let t = &r.tables[0];
    let (p, s, k) = (
        column(t, "product"),
        column(t, "score"),
        column(t, "rank_score"),
    );
    (0..t.len())
        .map(|i| {
            (
                p.values.get(i).as_str().expect("code").to_string(),
                s.values.get(i).as_f64().expect("score"),
                k.values.get(i).as_f64().expect("rank score"),
            )
        })
        .collect()
}

/// The absolute score of a (party, product) is the same whatever the list shows (`top`, `products`), for a
/// country and for a bloc; the rank score is the rank among the candidates listed before the cut.
#[test]
fn opportunity_scores_do_not_depend_on_the_list() {
    let (_h, ws) = workspace();
    let mut seen = 0;
    for party in ["C001", "C005", "C012", "C001+C002+C003", "C004+C020"] {
        let full = answer(
            &ws,
            "opportunities",
            &format!(r#"{{"country": "{party}"}}"#),
        );
        let all = scored(&full);
        assert!(
            all.iter()
                .all(|(_, s, k)| (0.0..=1.0).contains(s) && (0.0..=1.0).contains(k))
        );
        assert!(all.windows(2).all(|w| w[0].1 >= w[1].1), "{all:?}");
        let Some((first, _, _)) = all.first() else {
            continue;
        };
        seen += 1;
        let top = scored(&answer(
            &ws,
            "opportunities",
            &format!(r#"{{"country": "{party}", "top": 1}}"#),
        ));
        assert_eq!(top, all[..1]);
        // A product filter: only the last row's code.
        let (last, score, rank_score) = all.last().expect("a row").clone();
        let only = answer(
            &ws,
            "opportunities",
            &format!(r#"{{"country": "{party}", "products": ["{last}"]}}"#),
        );
        assert_eq!(scored(&only), [(last.clone(), score, rank_score)]);
        assert_eq!(figure(&only, "candidates"), &Value::Int(1));
        assert_eq!(
            figure(&only, "reference_pairs"),
            figure(&full, "reference_pairs")
        );
        assert!(!first.is_empty());
        if party.contains('+') {
            assert!(column(&full.tables[0], "lead_member").hidden);
            let members = figure(&full, "country_members");
            assert!(matches!(members, Value::List(m) if m.len() == party.split('+').count()));
        }
    }
    assert!(seen >= 3, "too few parties with candidates to test");
}

/// A project file from an opportunities report: TOML with one project per row, the host, capacity and cost
/// 0, an empty sector, unique ids; for a bloc `serves` is the bloc.
#[test]
fn project_file_from_opportunities() {
    let (_h, ws) = workspace();
    for party in ["C005", "C001+C002+C003"] {
        let r = answer(
            &ws,
            "opportunities",
            &format!(r#"{{"country": "{party}", "top": 3}}"#),
        );
        let text = sovra_engine::trade::projects_toml(&r).expect("toml");
        assert!(text.contains("TO FILL BEFORE USE"), "{text}");
        let doc: toml::Table = text.parse().expect("valid TOML");
        let rows = scored(&r);
        let projects = match doc.get("project") {
            Some(toml::Value::Array(a)) => a.clone(),
            None => Vec::new(),
            other => panic!("{other:?}"),
        };
        assert_eq!(projects.len(), rows.len());
        let mut ids = std::collections::HashSet::new();
        for (p, (code, _, _)) in projects.iter().zip(&rows) {
            let id = p["id"].as_str().expect("id");
            assert!(id.starts_with(&format!("hs{code}-")), "{id}");
            assert!(ids.insert(id.to_string()));
            assert_eq!(p["capacity"].as_integer(), Some(0));
            assert_eq!(p["cost"].as_integer(), Some(0));
            assert_eq!(p["sector"].as_str(), Some(""));
            if party.contains('+') {
                // The members, written out.
                assert_eq!(p["serves"].as_str(), Some(party));
                let host = p["host"].as_str().expect("host");
                assert!(
                    host.is_empty() || party.split('+').any(|m| m == host),
                    "{host}"
                );
            } else {
                assert_eq!(p["host"].as_str(), Some(party));
                assert!(p.get("serves").is_none());
            }
        }
    }
    // An expression with one member is that country: the same rows and scores, the member as host.
    let one = answer(
        &ws,
        "opportunities",
        r#"{"country": "C005+C005", "top": 3}"#,
    );
    let alone = answer(&ws, "opportunities", r#"{"country": "C005", "top": 3}"#);
    assert_eq!(scored(&one), scored(&alone));
    let doc: toml::Table = sovra_engine::trade::projects_toml(&one)
        .expect("toml")
        .parse()
        .expect("TOML");
    if let Some(toml::Value::Array(projects)) = doc.get("project") {
        for p in projects {
            assert_eq!(p["host"].as_str(), Some("C005"));
            assert_eq!(p["serves"].as_str(), Some("C005"));
        }
    }
    // Not an opportunities report: refused.
    let other = answer(&ws, "trade_depend", r#"{"importer": "C001"}"#);
    assert!(sovra_engine::trade::projects_toml(&other).is_err());
}

/// Parties: an unknown code names the nearest; a bloc with no member in the data says so.
#[test]
fn opportunities_parties() {
    let (_h, ws) = workspace();
    let e = run(
        &ws,
        &body("opportunities", r#"{"country": "C999"}"#),
        &Quiet,
    )
    .expect_err("unknown");
    assert!(e.message.contains("unknown country 'C999'"), "{e}");
    assert_eq!(e.field.as_deref(), Some("country"));
    let e = run(
        &ws,
        &body("opportunities", r#"{"country": "EU27"}"#),
        &Quiet,
    )
    .expect_err("no member");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert!(e.message.contains("no member"), "{e}");
    let e = run(
        &ws,
        &body(
            "opportunities",
            r#"{"country": "C001+C002", "as_of": "2024-13-01"}"#,
        ),
        &Quiet,
    )
    .expect_err("bad date");
    assert_eq!(e.field.as_deref(), Some("as_of"));
}

#[test]
fn extra_blocs_name_groups_in_every_trade_request() {
    let (_h, ws) = workspace();
    let blocs =
        r#"{"toml": "[bloc.NEAR]\nmembers = [\"C002\", \"C003\"]\n", "origin": "near.toml"}"#;
    // The bloc gives the same answers as the expression of its members.
    let by_bloc = answer(
        &ws,
        "trade_depend",
        &format!(r#"{{"importer": "C001", "on": "NEAR", "blocs": {blocs}}}"#),
    );
    let by_expr = answer(
        &ws,
        "trade_depend",
        r#"{"importer": "C001", "on": "C002+C003"}"#,
    );
    assert_eq!(by_bloc.tables[0], by_expr.tables[0]);
    let sup = |partners: &str, extra: &str| {
        answer(
            &ws,
            "trade_suppliers",
            &format!(
                r#"{{"importer": "C001", "all_dependent": true, "partners": "{partners}"{extra}}}"#
            ),
        )
    };
    assert_eq!(
        sup("NEAR", &format!(r#", "blocs": {blocs}"#)).tables[0],
        sup("C002+C003", "").tables[0]
    );
    let opp = |country: &str, extra: &str| {
        answer(
            &ws,
            "opportunities",
            &format!(r#"{{"country": "{country}", "top": 5{extra}}}"#),
        )
    };
    assert_eq!(
        opp("NEAR", &format!(r#", "blocs": {blocs}"#)).tables[0],
        opp("C002+C003", "").tables[0]
    );
    // Without the file, the name is unknown.
    let e = run(
        &ws,
        &body("trade_depend", r#"{"importer": "C001", "on": "NEAR"}"#),
        &Quiet,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
}
