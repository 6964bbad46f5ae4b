//! `sovra trade monitor` on a trade store built from a hand-made long CSV: a product that left the dependent
//! list through diversification (with less imported from them), one that entered, one dependent throughout,
//! and the counts per year; then the same on a synthetic store, checked against its own product table.

use std::path::Path;
use std::process::{Command, Output};

fn sovra(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(args)
        .env("SOVRA_HOME", home)
        .output()
        .unwrap()
}

fn ok_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let o = sovra(home, args);
    assert!(
        o.status.success(),
        "sovra {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn rows<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

#[test]
fn what_left_and_entered_the_dependent_list_and_how() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // AAA imports, BBB is them. P1: in 2020 from BBB alone, only BBB exports it (dependent); in 2021 a third
    // each from BBB, CCC, DDD (import HHI 1/3) while BBB still dominates world exports (it sells EEE 1,000):
    // it left through diversification, less imported from them. P2: dependent both years. P3: in 2020 AAA
    // exports it (imports/exports 0.2); in 2021 it stops exporting and imports it from BBB alone: entered.
    let csv = "year,exporter,importer,product,value\n\
        2020,BBB,AAA,P1,100\n2020,BBB,EEE,P1,1000\n\
        2021,BBB,AAA,P1,34\n2021,CCC,AAA,P1,33\n2021,DDD,AAA,P1,33\n2021,BBB,EEE,P1,1000\n\
        2020,CCC,AAA,P2,50\n2021,CCC,AAA,P2,60\n\
        2020,BBB,AAA,P3,10\n2020,CCC,AAA,P3,10\n2020,AAA,EEE,P3,100\n\
        2021,BBB,AAA,P3,10\n";
    let f = h.join("flows.csv");
    std::fs::write(&f, csv).unwrap();
    let o = sovra(h, &["trade", "import", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = ok_json(
        h,
        &[
            "trade",
            "monitor",
            "AAA",
            "--on",
            "BBB",
            "--years",
            "2020:2021",
            "--format",
            "json",
        ],
    );
    assert_eq!(r["kind"], "trade_monitor");
    let years = rows(&r, "years");
    assert_eq!(years.len(), 2);
    assert_eq!(
        (
            years[0]["dependent"].as_i64(),
            years[1]["dependent"].as_i64()
        ),
        (Some(2), Some(2))
    );
    let changes = rows(&r, "changes");
    assert_eq!(changes.len(), 2, "{changes:?}");
    let left = changes
        .iter()
        .find(|c| c["product"] == "P1")
        .expect("P1 left");
    assert_eq!(left["change"], "left");
    assert_eq!(left["reason"], "diversification");
    assert_eq!(left["less_from_them"], true);
    assert_eq!(left["from_them_first"], 1.0);
    assert!((left["from_them_last"].as_f64().unwrap() - 0.34).abs() < 1e-12);
    let entered = changes
        .iter()
        .find(|c| c["product"] == "P3")
        .expect("P3 entered");
    assert_eq!(entered["change"], "entered");
    assert!(entered["reason"].is_null());
    assert!(
        !changes.iter().any(|c| c["product"] == "P2"),
        "P2 is dependent throughout"
    );
    // Bad input: no --on, --year instead of --years.
    let o = sovra(h, &["trade", "monitor", "AAA", "--years", "2020:2021"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--on THEM"));
    let o = sovra(
        h,
        &["trade", "monitor", "AAA", "--on", "BBB", "--year", "2021"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_changes_agree_with_the_products_table_on_a_synthetic_store() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut files = Vec::new();
    for (year, seed) in [(2020, 1), (2021, 2), (2022, 3)] {
        let f = h.join(format!("s{year}.csv"));
        let o = sovra(
            h,
            &[
                "trade",
                "synth",
                "--year",
                &year.to_string(),
                "--seed",
                &seed.to_string(),
                "--countries",
                "20",
                "--products",
                "120",
                "--out",
                f.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        files.push(f.to_str().unwrap().to_string());
    }
    let mut args = vec!["trade", "import"];
    args.extend(files.iter().map(String::as_str));
    assert!(sovra(h, &args).status.success());
    let r = ok_json(
        h,
        &[
            "trade",
            "monitor",
            "C001",
            "--on",
            "C002+C003",
            "--years",
            "2020:2022",
            "--format",
            "json",
        ],
    );
    let products = rows(&r, "products");
    let dependent = |p: &str, y: i64| {
        products
            .iter()
            .any(|x| x["product"] == p && x["year"] == y && x["dependent"] == true)
    };
    let mut codes: Vec<&str> = products
        .iter()
        .map(|x| x["product"].as_str().unwrap())
        .collect();
    codes.dedup();
    let entered = codes
        .iter()
        .filter(|p| !dependent(p, 2020) && dependent(p, 2022))
        .count();
    let left = codes
        .iter()
        .filter(|p| dependent(p, 2020) && !dependent(p, 2022))
        .count();
    let changes = rows(&r, "changes");
    assert_eq!(
        changes.iter().filter(|c| c["change"] == "entered").count(),
        entered
    );
    assert_eq!(
        changes.iter().filter(|c| c["change"] == "left").count(),
        left
    );
    assert!(
        entered + left > 0,
        "the synthetic years should move some products"
    );
    for c in changes.iter().filter(|c| c["change"] == "left") {
        assert!(c["reason"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
    }
    let y = rows(&r, "years");
    for row in y {
        let n = products
            .iter()
            .filter(|x| x["year"] == row["year"] && x["dependent"] == true)
            .count();
        assert_eq!(row["dependent"].as_u64(), Some(n as u64));
    }
}
