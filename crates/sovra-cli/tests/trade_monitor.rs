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

/// A programme's product-group targets on a hand-made store: the group's indicators year by year (checked by
/// hand), the status, the path, the note on a sector target left to `sovra monitor`, `--fail-on`, and the
/// errors a bad target gets (exit code 2, naming the file and the target).
#[test]
fn product_group_targets_by_hand() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // AAA imports chips (854231, 854239) from BBB (them) and CCC; coffee (090111) is outside the group.
    // 2020: chips 80 from BBB + 20 from CCC; AAA exports 10 chips to DDD.
    // 2021: 60 from BBB + 40 from CCC; exports 20.
    // 2022: 30 from BBB + 70 from CCC; exports 50.
    let csv = "year,exporter,importer,product,value\n\
        2020,BBB,AAA,854231,50\n2020,BBB,AAA,854239,30\n2020,CCC,AAA,854231,20\n2020,AAA,DDD,854231,10\n\
        2021,BBB,AAA,854231,60\n2021,CCC,AAA,854239,40\n2021,AAA,DDD,854239,20\n\
        2022,BBB,AAA,854231,30\n2022,CCC,AAA,854231,70\n2022,AAA,DDD,854231,50\n\
        2020,BBB,AAA,090111,999\n2021,BBB,AAA,090111,999\n2022,BBB,AAA,090111,999\n";
    let f = h.join("flows.csv");
    std::fs::write(&f, csv).unwrap();
    let o = sovra(h, &["trade", "import", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let programme = h.join("programme.toml");
    std::fs::write(
        &programme,
        r#"[programme]
name = "chips"

[[target]]
id = "chips-from-them"
kpi = "imports_from_them_share"
products = ["8542"]
direction = "at_most"
value = 0.2
year = 2024

[[target]]
id = "chips-cover"
kpi = "imports_exports_ratio"
section = "XVI"
direction = "at_most"
value = 1.0
year = 2022
baseline_year = 2020

[[target]]
id = "electronics-sector"
kpi = "import_penetration"
sector = "C26"
direction = "at_most"
value = 0.3
year = 2030
"#,
    )
    .unwrap();
    let p = programme.to_str().unwrap();
    let args = [
        "trade",
        "monitor",
        "AAA",
        "--on",
        "BBB",
        "--years",
        "2020:2022",
        "--programme",
        p,
    ];
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let r = ok_json(h, &json_args);
    let targets = rows(&r, "targets");
    assert_eq!(
        targets.len(),
        2,
        "the sector target is left to sovra monitor"
    );
    let by_id = |id: &str| targets.iter().find(|t| t["id"] == id).unwrap();
    // Share from them: 0.8, 0.6, 0.3 — falling by 0.25 a year; the straight path from 0.8 (2020) to 0.2 (2024)
    // is 0.5 in 2022: below it, so on track (not yet achieved).
    let a = by_id("chips-from-them");
    assert_eq!(a["latest"], 0.3);
    assert_eq!(a["baseline"], 0.8);
    assert!((a["path"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(a["status"], "on_track");
    assert_eq!(a["sector"], "8542");
    // Imports / exports: 100/10, 100/20, 100/50 = 10, 5, 2 — not at 1 by 2022: behind (falling, past the year).
    let b = by_id("chips-cover");
    assert_eq!(b["latest"], 2.0);
    assert_eq!(b["sector"], "section XVI");
    assert_eq!(b["status"], "behind");
    // The most off track first.
    assert_eq!(targets[0]["id"], "chips-cover");
    let paths = rows(&r, "target_paths");
    let path_of = |id: &str, y: i64| {
        paths
            .iter()
            .find(|x| x["id"] == id && x["year"] == y)
            .unwrap()
            .clone()
    };
    assert_eq!(path_of("chips-from-them", 2021)["value"], 0.6);
    assert!((path_of("chips-from-them", 2023)["path"].as_f64().unwrap() - 0.35).abs() < 1e-12);
    assert!(path_of("chips-from-them", 2024)["value"].is_null());
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("electronics-sector") && notes.contains("sovra monitor"),
        "{notes}"
    );
    // --fail-on behind: the report is written, then exit code 1.
    let mut fail = args.to_vec();
    fail.extend(["--fail-on", "behind"]);
    let o = sovra(h, &fail);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("chips-cover"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 target off track"));
    // Bad targets: exit code 2, naming the file and the target.
    for (kpi, bad, says) in [
        ("import_hhi", "products = [\"8541\"]", "nearest: 8542"),
        ("import_hhi", "section = \"XXV\"", "one of I, II"),
        (
            "import_hhi",
            "section = \"XX\"",
            "no product of the trade store is in it",
        ),
        ("import_hhi", "products = [\"85x\"]", "HS digits"),
        (
            "import_penetration",
            "products = [\"85\"]",
            "no product-group indicator 'import_penetration'",
        ),
        (
            "import_hhi",
            "products = [\"85\"]\nsector = \"C26\"",
            "not both",
        ),
        (
            "import_hhi",
            "products = [\"85\"]\nregion = \"CCC\"",
            "is on the importer (AAA)",
        ),
    ] {
        let f = h.join("bad.toml");
        std::fs::write(
            &f,
            format!(
                "[[target]]\nid = \"t\"\nkpi = \"{kpi}\"\n{bad}\ndirection = \"at_most\"\nvalue = 0.5\nyear = 2022\n"
            ),
        )
        .unwrap();
        let mut run = args.to_vec();
        let last = run.len() - 1;
        run[last] = f.to_str().unwrap();
        let o = sovra(h, &run);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("bad.toml, target 't'") && err.contains(says),
            "{bad}: {err}"
        );
    }
    // An empty list of suppliers says why: DDD (a partner present in the data) exports no chips.
    let r = ok_json(
        h,
        &[
            "trade",
            "suppliers",
            "AAA",
            "--product",
            "854231",
            "--partners",
            "DDD",
            "--year",
            "2022",
            "--format",
            "json",
        ],
    );
    assert!(rows(&r, "suppliers").is_empty());
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("no exporter among the partners DDD (DDD) exported 854231 in 2022"),
        "{notes}"
    );
    let o = sovra(h, &["trade", "depend", "AAA", "--programme", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("goes with trade monitor"));
}
