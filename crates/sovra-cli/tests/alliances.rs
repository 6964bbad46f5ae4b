//! `sovra alliances` end to end: on a generated table (every format, the tables and figures, the bad
//! requests with their exit code and the field named) and on icio2022 when the store has it (RUS against the
//! G7 among BRICS: the imports summed independently from the table, the best pair by brute force, the
//! embargo test).

use std::path::Path;
use std::process::{Command, Output};

use sovra_core::{store, synth};

fn sovra(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(args)
        .env("SOVRA_HOME", home)
        .output()
        .unwrap()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = sovra(home, args);
    assert!(
        o.status.success(),
        "sovra {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails_with(home: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let o = sovra(home, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "sovra {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "sovra {args:?}: '{n}' not in: {err}");
    }
}

fn figure<'a>(json: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    json["summary"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == key))
        .map(|f| &f["value"])
        .unwrap_or(&serde_json::Value::Null)
}

fn table<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

fn home_with_table() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let t = synth::table(
        "demo",
        synth::Spec {
            regions: 6,
            sectors: 3,
            categories: 2,
            stressors: 0,
            ..Default::default()
        },
    )
    .unwrap();
    store::write(home.path(), &t, store::WriteMode::CreateNew).unwrap();
    home
}

#[test]
fn alliances_on_a_generated_table() {
    let home = home_with_table();
    let h = home.path();
    let args = [
        "alliances",
        "R01",
        "--against",
        "R02",
        "--candidates",
        "R03+R04+R05+R06",
        "--data",
        "demo",
        "--size",
        "2",
    ];
    let text = ok(h, &args);
    for needle in [
        "dataset: demo",
        "best partner set",
        "embargo test",
        "best partner sets (exact)",
        "no partner",
        "unrestricted",
        "docs/alliances.md",
    ] {
        assert!(text.contains(needle), "'{needle}' not in {text}");
    }
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&ok(h, &a)).unwrap();
    assert_eq!(json["kind"], "alliances");
    assert_eq!(table(&json, "candidates").len(), 4);
    // Sets of one or two out of four: 4 + 6, all shown under --top 10.
    let sets = table(&json, "sets");
    assert_eq!(sets.len(), 10);
    let covered = |k: usize| sets[k]["covered"].as_f64().unwrap();
    assert!((1..10).all(|k| covered(k) <= covered(k - 1)), "ranked");
    let shock = table(&json, "shock");
    let cases: Vec<&str> = shock.iter().map(|r| r["case"].as_str().unwrap()).collect();
    assert_eq!(
        cases,
        ["no partner", "alliance", "all candidates", "unrestricted"]
    );
    let loss = |k: usize| shock[k]["our_loss"].as_f64().unwrap();
    assert!(loss(1) <= loss(0) * (1.0 + 1e-12));
    assert_eq!(shock[0]["avoided"].as_f64(), Some(0.0));
    let without = figure(&json, "loss_without").as_f64().unwrap();
    let with = figure(&json, "loss_with").as_f64().unwrap();
    let avoided = figure(&json, "loss_avoided").as_f64().unwrap();
    assert_eq!(without, loss(0));
    assert_eq!(with, loss(1));
    assert!((without - with - avoided).abs() <= 1e-9 * without.abs().max(1.0));
    // CSV carries every table; --no-shock leaves the embargo out.
    let mut a = args.to_vec();
    a.extend(["--format", "csv"]);
    assert!(ok(h, &a).contains("rank,candidate,covered,coverage"));
    a.extend(["--table", "shock"]);
    assert!(ok(h, &a).contains("case,eligible,our_loss"));
    let mut a = args.to_vec();
    a.extend(["--table", "shock"]);
    fails_with(h, &a, 2, &["--format csv"]);
    let mut a = args.to_vec();
    a.push("--no-shock");
    let text = ok(h, &a);
    assert!(!text.contains("embargo test"));
}

#[test]
fn hs6_coverage_where_the_trade_store_holds_trade() {
    let home = home_with_table();
    let h = home.path();
    let args = [
        "alliances",
        "R01",
        "--against",
        "R02",
        "--candidates",
        "R03+R04",
        "--data",
        "demo",
        "--no-shock",
    ];
    // No trade store: a note, or with --trade an error naming the field.
    assert!(ok(h, &args).contains("HS6 coverage left out: no trade store"));
    let mut a = args.to_vec();
    a.push("--trade");
    fails_with(h, &a, 2, &["no trade store", "sovra trade import"]);
    let f = h.join("flows.csv");
    std::fs::write(
        &f,
        "year,exporter,importer,product,value\n2022,R02,R01,010101,100\n2022,R02,R01,020202,50\n\
         2022,R03,R05,010101,60\n2022,R03,R01,010101,10\n2022,R04,R02,020202,80\n",
    )
    .unwrap();
    ok(h, &["trade", "import", f.to_str().unwrap()]);
    let text = ok(h, &a);
    assert!(text.contains("HS6 coverage"), "{text}");
    assert!(
        text.contains("HS6: candidate partners, each alone"),
        "{text}"
    );
    let mut j = a.clone();
    j.extend(["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&ok(h, &j)).unwrap();
    assert_eq!(figure(&json, "hs6_imports_from_them").as_f64(), Some(150.0));
    assert_eq!(figure(&json, "hs6_year").as_i64(), Some(2022));
    let c = table(&json, "hs6_candidates");
    assert_eq!(c[0]["candidate"], "R03");
    assert_eq!(c[0]["covered"].as_f64(), Some(70.0));
    assert_eq!(table(&json, "hs6_sets")[0]["members"], "R03+R04");
    let mut csv = a.clone();
    csv.extend(["--format", "csv", "--table", "hs6_products"]);
    assert!(ok(h, &csv).contains("010101"));
    let mut off = args.to_vec();
    off.extend(["--no-trade", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&ok(h, &off)).unwrap();
    assert!(
        json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| !t["key"].as_str().unwrap().starts_with("hs6_"))
    );
    let mut y = args.to_vec();
    y.extend(["--trade-year", "2019"]);
    fails_with(h, &y, 2, &["--trade-year 2019"]);
}

#[test]
fn candidates_that_are_us_or_them_are_left_out_and_bad_requests_name_their_field() {
    let home = home_with_table();
    let h = home.path();
    let base = |c: &str| -> Vec<String> {
        [
            "alliances",
            "R01",
            "--against",
            "R02",
            "--candidates",
            c,
            "--data",
            "demo",
            "--no-shock",
        ]
        .map(String::from)
        .to_vec()
    };
    let args = base("R01+R02+R03");
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = ok(h, &a);
    assert!(
        text.contains("R01, R02 left out (us or them)"),
        "no note in {text}"
    );
    let args = base("R01+R02");
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(h, &a, 2, &["candidates", "have no region outside us"]);
    let args = base("R99");
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(h, &a, 2, &["R99"]);
    let mut args = base("R03");
    args.extend(["--size".into(), "0".into()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(h, &a, 2, &["size", "at least 1"]);
    fails_with(
        h,
        &[
            "alliances",
            "R01",
            "--against",
            "R01+R02",
            "--candidates",
            "R03",
            "--data",
            "demo",
        ],
        2,
        &["overlap"],
    );
}

/// RUS against the G7 among BRICS (as of the end of 2022: BRA RUS IND CHN ZAF) on icio2022.
#[test]
fn icio2022_rus_against_g7_among_brics() {
    let Some(t) = store::open_or_notice("icio2022", "the icio2022 alliances test") else {
        return;
    };
    let home = store::home();
    let json: serde_json::Value = serde_json::from_str(&ok(
        &home,
        &[
            "alliances",
            "RUS",
            "--against",
            "G7",
            "--candidates",
            "BRICS",
            "--size",
            "2",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let region = |c: &str| t.labels.regions.iter().position(|r| r.code == c).unwrap();
    let ns = t.labels.sectors.len();
    let rus = region("RUS");
    let g7: Vec<usize> = ["CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"]
        .map(region)
        .to_vec();
    // Our imports from them, summed here from Z (icio2022 has no final demand by destination).
    let imports: Vec<f64> = (0..ns)
        .map(|s| {
            g7.iter()
                .map(|&o| {
                    (0..ns)
                        .map(|j| t.z.get(o * ns + s, rus * ns + j))
                        .sum::<f64>()
                })
                .sum()
        })
        .collect();
    let total: f64 = imports.iter().sum();
    let got = figure(&json, "imports_from_them").as_f64().unwrap();
    assert!((got - total).abs() <= 1e-9 * total, "{got} vs {total}");
    // Exports of each candidate to every region but itself, and the best pair by brute force.
    let brics = ["BRA", "IND", "CHN", "ZAF"];
    let exports = |p: usize| -> Vec<f64> {
        (0..ns)
            .map(|s| {
                let row = t.z.row(p * ns + s);
                row.iter().sum::<f64>() - row[p * ns..(p + 1) * ns].iter().sum::<f64>()
            })
            .collect()
    };
    let covered = |set: &[&str]| -> f64 {
        let ex: Vec<Vec<f64>> = set.iter().map(|c| exports(region(c))).collect();
        (0..ns)
            .map(|s| imports[s].min(ex.iter().map(|e| e[s]).sum()))
            .sum()
    };
    let mut best = (0.0, vec![]);
    for a in 0..4 {
        for b in a..4 {
            let set: Vec<&str> = if a == b {
                vec![brics[a]]
            } else {
                vec![brics[a], brics[b]]
            };
            let c = covered(&set);
            if c > best.0 {
                best = (c, set);
            }
        }
    }
    let mut want: Vec<&str> = best.1.clone();
    want.sort();
    let got: Vec<&str> = figure(&json, "best_set")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want);
    let cov = figure(&json, "best_set_coverage").as_f64().unwrap();
    assert!((cov - best.0 / total).abs() < 1e-9, "{cov}");
    let cands = table(&json, "candidates");
    assert_eq!(cands.len(), 4, "RUS left out of BRICS");
    // The embargo: an alliance never loses more than none, every run trustworthy.
    let shock = table(&json, "shock");
    assert_eq!(shock.len(), 4);
    for row in shock {
        assert_eq!(row["trustworthy"], true, "{row}");
    }
    let loss = |k: usize| shock[k]["our_loss"].as_f64().unwrap();
    assert!(loss(1) <= loss(0) && loss(2) <= loss(0) && loss(3) <= loss(0));
    assert!(figure(&json, "loss_avoided").as_f64().unwrap() > 0.0);
    assert_eq!(figure(&json, "trustworthy"), true);

    // RUS+BLR against EU27+G7: the embargo fails the model's stability check in every case (as `sovra
    // shock EU27+G7 --on RUS+BLR` does): the report is written and flagged, exit 3 unless accepted.
    let args = [
        "alliances",
        "RUS+BLR",
        "--against",
        "EU27+G7",
        "--candidates",
        "BRICS+EAEU",
        "--top",
        "3",
    ];
    let o = sovra(&home, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("--allow-unstable"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("embargo test"));
    let mut a = args.to_vec();
    a.push("--allow-unstable");
    ok(&home, &a);
}
