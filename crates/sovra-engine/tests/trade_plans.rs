//! The two ways of reading a trade store give the same reports: DataFusion plans on the store's Parquet
//! files (the default, `sovra_lake::plans`) and the years loaded into memory with the sums in Rust (the
//! earlier path, `Workspace::trade_in_memory`). On a synthetic five-year store with real ISO3 and HS codes
//! (`trade synth --years`), every trade request — the screen of one country, of a bloc and of every
//! importer, monitor, suppliers, opportunities, complexity of the store — is answered both ways and the
//! reports compared value by value: text and flags exactly, numbers to 1e-9 relative (the plans sum in
//! another order).

use std::path::Path;

use serde_json::Value as Json;
use sovra_engine::{Quiet, Request, Workspace, run};

/// A workspace whose trade store holds 2018–2022 of a synthetic series with real codes.
fn store(home: &Path) {
    let dir = home.join("synth");
    let written = sovra_engine::trade::synth(
        &serde_json::from_value(serde_json::json!({
            "countries": 80, "products": 300, "destinations": 12.0, "years": "2018:2022",
            "out": dir, "baci": true, "real_codes": true, "seed": 7
        }))
        .expect("options"),
    )
    .expect("synth");
    assert!(written.title.contains("5 years"), "{}", written.title);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains("BACI_HS92_Y"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    let codes = sovra_trade::bilateral::read_baci_codes(&dir.join("country_codes_synth.csv"))
        .expect("country codes");
    sovra_lake::import::import(
        &files,
        Some(&codes),
        &home.join("trade"),
        &sovra_lake::import::ImportOptions::default(),
        &|_| {},
    )
    .expect("import");
}

fn answer(ws: &Workspace, kind: &str, json: &str) -> Json {
    let req = Request::from_body(kind, json.as_bytes()).expect("valid request");
    let r = run(ws, &req, &Quiet).unwrap_or_else(|e| panic!("{kind} {json}: {e}"));
    r.validate().expect("a valid report");
    serde_json::to_value(&r).expect("json")
}

mod support {
    pub mod same_json;
}

/// The two reports equal (numbers to 1e-9 relative); how many numbers were compared.
fn same(a: &Json, b: &Json, at: &str) -> usize {
    support::same_json::same_json(a, b, at, ["plans", "in memory"])
}

fn rows(r: &Json) -> usize {
    r["tables"][0]["rows"].as_array().map_or(0, Vec::len)
}

#[test]
fn plans_equal_rows_in_memory_on_a_synthetic_multi_year_store() {
    let home = tempfile::tempdir().expect("tempdir");
    store(home.path());
    let mut plans = Workspace::new(home.path());
    plans.fetch_default = false;
    // A small pool: the plans run under it (spilling if they must).
    plans.trade_memory_limit = 64 << 20;
    let mut memory = Workspace::new(home.path());
    memory.fetch_default = false;
    memory.trade_in_memory = true;
    let cases = [
        (
            "trade_depend",
            r#"{"importer": "DEU", "on": "CHN", "years": "2019:2022", "all": true}"#,
        ),
        ("trade_depend", r#"{"importer": "EU27", "on": "USA"}"#),
        (
            "trade_depend",
            r#"{"importer": "ALL", "each": true, "years": "2021:2022", "top": 1000}"#,
        ),
        (
            "trade_monitor",
            r#"{"importer": "FRA", "on": "CHN", "years": "2018:2022", "all": true}"#,
        ),
        (
            "trade_suppliers",
            r#"{"importer": "ISL", "all_dependent": true}"#,
        ),
        (
            "trade_suppliers",
            r#"{"importer": "NZL+ISL", "all_dependent": true, "partners": "G7+KOR"}"#,
        ),
        (
            "complexity",
            r#"{"trade": true, "by": "product", "fitness": true}"#,
        ),
    ];
    let mut numbers = 0;
    for (kind, json) in cases {
        let (a, b) = (answer(&plans, kind, json), answer(&memory, kind, json));
        assert!(rows(&a) > 0, "{kind} {json}: no rows");
        numbers += same(&a, &b, &format!("{kind} {json}"));
    }
    // Opportunities: the first few small economies (and a pair of them as a bloc) that have some.
    let mut found = 0;
    for party in [
        "ISL", "CRI", "NZL", "CHL", "PER", "MAR", "ISL+NZL", "CRI+CHL", "ARG+PER",
    ] {
        let json = format!(r#"{{"country": "{party}"}}"#);
        let (a, b) = (
            answer(&plans, "opportunities", &json),
            answer(&memory, "opportunities", &json),
        );
        numbers += same(&a, &b, &format!("opportunities {party}"));
        if rows(&a) > 0 {
            found += 1 + usize::from(party.contains('+'));
        }
    }
    assert!(found >= 3, "too few parties with opportunities: {found}");
    assert!(numbers > 5_000, "only {numbers} numbers compared");
}
