//! Series of years end to end: `sovra data import --format wiod DIR` on yearly tables written here in the WIOD
//! 2013 layout, `--year` on the analyses, and the errors for a year the dataset lacks and for labels that
//! differ between years. Plus the real release from ../shared when present.

#[path = "../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

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

fn table(regions: usize, seed: u64) -> sovra_core::Mrio {
    synth::table(
        "w",
        synth::Spec {
            regions,
            sectors: 3,
            categories: 2,
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

/// A folder with `wiod2013_YYYY.csv` for each (year, seed), every one 4 regions × 3 sectors, and the
/// sector names.
fn folder(years: &[(i32, u64)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for &(year, seed) in years {
        let t = table(4, seed);
        let n = t.n();
        let gap: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
        let text = synth::wiod2013_csv(&t, &gap, &(0..n).collect::<Vec<_>>());
        std::fs::write(dir.path().join(format!("wiod2013_{year}.csv")), text).unwrap();
    }
    std::fs::write(
        dir.path().join("wiod2013_sectors.csv"),
        "code,name\nc1,\"Agriculture, Hunting\"\nc2,Mining\nc3,Food\n",
    )
    .unwrap();
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_folder_imports_as_a_series_and_every_analysis_takes_a_year() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = folder(&[(2009, 1), (2011, 3), (2010, 2)]);
    let dir = src.path().to_str().unwrap();
    let out = ok(
        h,
        &["data", "import", "--format", "wiod", dir, "--name", "w"],
    );
    assert!(
        out.contains("w: 3 years (2009–2011 (3)), 4 regions × 3 sectors, 20 final-demand columns"),
        "{out}"
    );
    assert!(out.contains("2010: |GO − x| mean"), "{out}");
    let meta = store::meta(h, "w").unwrap();
    assert_eq!(meta.years(), [2009, 2010, 2011]);
    assert_eq!(meta.sectors[0].name, "Agriculture, Hunting");

    let info = json(&ok(h, &["info", "w", "--year", "2010", "--format", "json"]));
    assert_eq!(info["provenance"]["year"], 2010);
    assert_eq!(info["provenance"]["dataset"], "w");
    let years = info["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "years")
        .and_then(|l| l["text"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        years.contains("2009–2011 (3); this report: 2010"),
        "{years}"
    );
    assert!(
        info["provenance"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("x = Z1 + Y1"),
        "{info}"
    );
    let latest = json(&ok(h, &["info", "w", "--format", "json"]));
    assert_eq!(latest["provenance"]["year"], 2011);
    // The years differ: their output does too.
    let x2009 = &json(&ok(h, &["info", "w", "--year", "2009", "--format", "json"]))["summary"];
    assert_ne!(x2009, &latest["summary"]);

    for args in [
        &["multipliers", "w", "--year", "2009", "--format", "csv"][..],
        &["linkages", "w", "--year", "2009", "--format", "csv"],
        &[
            "footprint",
            "w",
            "--stressor",
            "value added",
            "--year",
            "2009",
            "--format",
            "csv",
        ],
        &[
            "depend", "R01", "--on", "R02+R03", "--data", "w", "--year", "2010", "--format", "csv",
        ],
        &[
            "keys", "R01", "--on", "R02", "--data", "w", "--year", "2010", "--format", "csv",
        ],
        &["tiva", "--data", "w", "--year", "2010", "--format", "csv"],
        &[
            "shock", "R01", "--on", "R02", "--data", "w", "--year", "2010", "--format", "csv",
        ],
    ] {
        let out = ok(h, args);
        assert!(!out.is_empty(), "{args:?}");
    }
    let depend = json(&ok(
        h,
        &[
            "depend", "R01", "--on", "R02", "--data", "w", "--year", "2009", "--format", "json",
        ],
    ));
    assert_eq!(depend["provenance"]["year"], 2009);

    fails_with(
        h,
        &["info", "w", "--year", "1995"],
        2,
        &["no year 1995", "2009–2011 (3)"],
    );
    fails_with(
        h,
        &[
            "depend", "R01", "--on", "R02", "--data", "w", "--year", "2030",
        ],
        2,
        &["no year 2030"],
    );
}

#[test]
fn labels_that_differ_between_years_name_the_year_and_nothing_is_written() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = folder(&[(2000, 1), (2001, 2)]);
    let t = table(5, 3);
    let n = t.n();
    std::fs::write(
        src.path().join("wiod2013_2002.csv"),
        synth::wiod2013_csv(&t, &vec![0.0; n], &(0..n).collect::<Vec<_>>()),
    )
    .unwrap();
    let dir = src.path().to_str().unwrap();
    fails_with(
        h,
        &["data", "import", "--format", "wiod", dir, "--name", "w"],
        2,
        &["year 2002", "wiod2013_2002.csv", "other labels"],
    );
    assert!(store::list(h).unwrap().is_empty());
    fails_with(
        h,
        &[
            "data", "import", "--format", "wiod", dir, "--name", "w", "--year", "2000",
        ],
        2,
        &["--year 2000", "folder"],
    );
}

#[test]
fn one_file_imports_as_one_year_and_a_single_year_dataset_names_its_year() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = folder(&[(2005, 4)]);
    let file = src.path().join("wiod2013_2005.csv");
    ok(
        h,
        &[
            "data",
            "import",
            "--format",
            "wiod",
            file.to_str().unwrap(),
            "--name",
            "one",
        ],
    );
    let info = json(&ok(
        h,
        &["info", "one", "--year", "2005", "--format", "json"],
    ));
    assert_eq!(info["provenance"]["year"], 2005);
    assert!(
        !info["headline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["label"] == "years"),
        "a single year has no series line"
    );
    fails_with(
        h,
        &["info", "one", "--year", "2011"],
        2,
        &["no year 2011", "of 2005"],
    );
}

/// The real release: all 17 years into a store, then one year's summary. Skipped with a notice when
/// ../shared/data/wiod2013 is absent.
#[test]
fn the_real_wiod_release_imports_as_seventeen_years() {
    let Some(dir) = shared_data::or_notice("wiod2013", "the real WIOD 2013 series import") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let out = ok(
        h,
        &[
            "data",
            "import",
            "--format",
            "wiod",
            dir.to_str().unwrap(),
            "--name",
            "wiod2013",
        ],
    );
    assert!(
        out.contains(
            "wiod2013: 17 years (1995–2011 (17)), 41 regions × 35 sectors, 205 final-demand columns"
        ),
        "{out}"
    );
    let info = json(&ok(
        h,
        &["info", "wiod2013", "--year", "2011", "--format", "json"],
    ));
    assert_eq!(info["provenance"]["year"], 2011);
    let description = info["provenance"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(description.contains("LUX/c5, LUX/c8"), "{description}");
}

/// A tiny balanced table in the OECD ICIO CSV layout (2025 release labels), every value times `scale`.
fn oecd_csv(scale: f64) -> String {
    let rows: [(&str, [f64; 7]); 7] = [
        ("AAA_X1", [10.0, 5.0, 2.0, 1.0, 60.0, 22.0, 100.0]),
        ("AAA_Y2", [4.0, 8.0, 3.0, 2.0, 20.0, 23.0, 60.0]),
        ("BBB_X1", [6.0, 2.0, 12.0, 4.0, 6.0, 50.0, 80.0]),
        ("BBB_Y2", [1.0, 3.0, 2.0, 5.0, 4.0, 25.0, 40.0]),
        ("TLS", [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]),
        ("VA", [78.0, 41.0, 60.0, 27.0, 0.0, 0.0, 0.0]),
        ("OUT", [100.0, 60.0, 80.0, 40.0, 0.0, 0.0, 0.0]),
    ];
    let mut s = String::from("V1,AAA_X1,AAA_Y2,BBB_X1,BBB_Y2,AAA_HFCE,BBB_HFCE,OUT\n");
    for (label, values) in rows {
        s.push_str(label);
        for v in values {
            s.push_str(&format!(",{}", v * scale));
        }
        s.push('\n');
    }
    s
}

#[test]
fn a_folder_of_yearly_oecd_icio_csvs_imports_as_a_series() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("2019_SML.csv"), oecd_csv(1.0)).unwrap();
    std::fs::write(src.path().join("2020_SML.csv"), oecd_csv(2.0)).unwrap();
    std::fs::write(src.path().join("ReadMe.txt"), "not a table").unwrap();
    let dir = src.path().to_str().unwrap();
    let out = ok(
        h,
        &[
            "data",
            "import",
            "--format",
            "oecd-icio-csv",
            dir,
            "--name",
            "icio",
        ],
    );
    assert!(
        out.contains("icio: 2 years (2019–2020 (2)), 2 regions × 2 sectors"),
        "{out}"
    );
    let y2019 = json(&ok(
        h,
        &["info", "icio", "--year", "2019", "--format", "json"],
    ));
    let y2020 = json(&ok(h, &["info", "icio", "--format", "json"]));
    assert_eq!(y2019["provenance"]["year"], 2019);
    assert_eq!(y2020["provenance"]["year"], 2020);
    let output = |r: &serde_json::Value| {
        r["summary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == "world_gross_output")
            .and_then(|f| f["value"].as_f64())
            .unwrap()
    };
    assert_eq!(output(&y2019), 280.0);
    assert_eq!(output(&y2020), 560.0);
}

fn report_table<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

fn summary(json: &serde_json::Value, key: &str) -> f64 {
    json["summary"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == key))
        .and_then(|f| f["value"].as_f64())
        .unwrap_or_else(|| panic!("no figure {key}"))
}

#[test]
fn monitor_and_decompose_run_on_a_series_and_refuse_bad_input() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = folder(&[(2009, 1), (2010, 2), (2011, 3)]);
    ok(
        h,
        &[
            "data",
            "import",
            "--format",
            "wiod",
            src.path().to_str().unwrap(),
            "--name",
            "w",
        ],
    );
    // Every year, all of us and each region, all products and each sector.
    let m = json(&ok(
        h,
        &[
            "monitor",
            "R01+R02",
            "--on",
            "R03",
            "--data",
            "w",
            "--by",
            "region,sector",
            "--format",
            "json",
        ],
    ));
    let rows = report_table(&m, "kpis");
    assert_eq!(
        rows.len(),
        3 * 3 * 4,
        "3 years × (us, R01, R02) × (all + 3 sectors)"
    );
    for r in rows {
        if let (Some(ss), Some(ip)) = (
            r["self_sufficiency"].as_f64(),
            r["import_penetration"].as_f64(),
        ) {
            let (q, x, mm) = (
                r["output"].as_f64().unwrap(),
                r["exports"].as_f64().unwrap(),
                r["imports"].as_f64().unwrap(),
            );
            assert!(((ss + ip) - (q + mm) / (q - x + mm)).abs() < 1e-12, "{r}");
        }
    }
    assert!(!report_table(&m, "trends").is_empty());
    // A year range the series does not cover, an unknown indicator.
    fails_with(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--years",
            "2005:2010",
        ],
        2,
        &["no year 2005, 2006, 2007, 2008", "2009–2011"],
    );
    fails_with(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--kpis",
            "import_share",
        ],
        2,
        &["no indicator 'import_share'", "import_penetration"],
    );
    // Targets: one reached, one out of reach; --fail-on behind exits 1 after writing the report.
    let prog = h.join("prog.toml");
    std::fs::write(
        &prog,
        "[[target]]\nid = \"easy\"\nkpi = \"self_sufficiency\"\ndirection = \"at_least\"\nvalue = 0.01\nyear = 2012\n\n\
         [[target]]\nid = \"hard\"\nkpi = \"import_penetration\"\ndirection = \"at_most\"\nvalue = 0.0\nyear = 2012\n",
    )
    .unwrap();
    let p = prog.to_str().unwrap();
    let out = sovra(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--programme",
            p,
            "--fail-on",
            "behind",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&String::from_utf8(out.stdout).unwrap());
    let targets = report_table(&report, "targets");
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[1]["id"], "easy", "the most off track first");
    assert_eq!(targets[1]["status"], "achieved");
    assert_ne!(targets[0]["status"], "achieved");
    assert!(String::from_utf8_lossy(&out.stderr).contains("off track"));
    // Without --fail-on the same run succeeds.
    ok(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--programme",
            p,
        ],
    );
    // A programme with an unknown field, a target year before its baseline.
    std::fs::write(
        &prog,
        "[[target]]\nid = \"a\"\nkpi = \"self_sufficiency\"\ndirection = \"at_least\"\nvalue = 1\nyear = 2012\ncolour = 1\n",
    )
    .unwrap();
    fails_with(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--programme",
            p,
        ],
        2,
        &["prog.toml", "unknown field `colour`"],
    );
    std::fs::write(
        &prog,
        "[[target]]\nid = \"early\"\nkpi = \"self_sufficiency\"\ndirection = \"at_least\"\nvalue = 1\nyear = 2009\nbaseline_year = 2010\n",
    )
    .unwrap();
    fails_with(
        h,
        &[
            "monitor",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--programme",
            p,
        ],
        2,
        &["target 'early'", "before the baseline year 2010"],
    );
    // The decomposition adds up, chained year by year and per sector.
    let d = json(&ok(
        h,
        &[
            "decompose",
            "R01+R02",
            "--on",
            "R03",
            "--data",
            "w",
            "--from",
            "2009",
            "--to",
            "2011",
            "--chain",
            "--by",
            "sector",
            "--each",
            "--format",
            "json",
        ],
    ));
    assert!(summary(&d, "relative_residual") <= 1e-12);
    let change = summary(&d, "change");
    assert!((change - (summary(&d, "d1") - summary(&d, "d0"))).abs() <= 1e-9 * change.abs());
    assert_eq!(report_table(&d, "chain").len(), 2);
    assert_eq!(report_table(&d, "each").len(), 2);
    let by: f64 = report_table(&d, "by_sector")
        .iter()
        .map(|r| r["change"].as_f64().unwrap())
        .sum();
    assert!((by - change).abs() <= 1e-9 * change.abs().max(1.0));
    fails_with(
        h,
        &[
            "decompose",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--from",
            "2011",
            "--to",
            "2009",
        ],
        2,
        &["before --from"],
    );
    fails_with(
        h,
        &[
            "decompose",
            "R01",
            "--on",
            "R03",
            "--data",
            "w",
            "--from",
            "2008",
            "--to",
            "2011",
        ],
        2,
        &["no year 2008"],
    );
}
