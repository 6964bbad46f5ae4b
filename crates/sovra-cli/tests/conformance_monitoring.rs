//! Conformance of `sovra monitor` and `sovra decompose` on the real WIOD 2013 series (1995–2011, from
//! ../shared/data/wiod2013, imported with `sovra data import --format wiod`) against an independent numpy
//! implementation with dense inverses (`conformance/monitoring/dump.py`): every indicator of four us/them pairs
//! (one a bloc: trade between its members internal), all 17 years, all of us and each region, all products and
//! each of the 35 sectors — relative 1e-9 (absolute floor 1e-12 for values near 0), undefined exactly where
//! numpy's is; and the six effects of the decomposition for four pairs of years, per sector and chained.
//!
//! The dump comes from `conformance/monitoring/run.sh` (run by `scripts/test`) in `$SOVRA_CONFORMANCE_DIR`.
//! Without ../shared the test says so and passes (CI has it and sets SOVRA_REQUIRE_SHARED).

#[path = "../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const RTOL: f64 = 1e-9;

fn conformance_dir() -> PathBuf {
    std::env::var_os("SOVRA_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance"))
}

fn dump(name: &str) -> Option<Value> {
    let p = conformance_dir().join("monitoring");
    if !p.join("DONE").is_file() {
        assert!(
            std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
            "SOVRA_REQUIRE_CONFORMANCE is set but no monitoring dump is in {}",
            p.display()
        );
        eprintln!(
            "NOTICE: no monitoring dump in {}: run scripts/test (or conformance/monitoring/run.sh) first",
            p.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(p.join(name)).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn sovra(home: &Path, args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(args)
        .env("SOVRA_HOME", home)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sovra {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
}

/// A store with the WIOD series imported, or `None` (with a notice) without ../shared.
fn wiod_home() -> Option<tempfile::TempDir> {
    let dir = shared_data::or_notice("wiod2013", "the monitoring conformance on WIOD 2013")?;
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sovra"))
        .args(["data", "import", "--format", "wiod"])
        .arg(&dir)
        .args(["--name", "wiod2013"])
        .env("SOVRA_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "import: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(home)
}

fn table<'a>(json: &'a Value, key: &str) -> &'a Vec<Value> {
    json["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == key))
        .and_then(|t| t["rows"].as_array())
        .unwrap_or_else(|| panic!("no table {key}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= RTOL * a.abs().max(b.abs()) + 1e-12
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn indicators_and_decompositions_match_numpy_on_wiod() {
    let (Some(kpis), Some(dec)) = (dump("kpis.json"), dump("decompose.json")) else {
        return;
    };
    let Some(home) = wiod_home() else { return };
    let h = home.path();
    let mut compared = 0usize;
    let mut worst = 0.0f64;
    for case in kpis["cases"].as_array().unwrap() {
        let (us, them) = (list(&case["us"]).join("+"), list(&case["them"]).join("+"));
        let r = sovra(
            h,
            &[
                "monitor",
                &us,
                "--on",
                &them,
                "--data",
                "wiod2013",
                "--years",
                "1995:2011",
                "--by",
                "region,sector",
                "--format",
                "json",
            ],
        );
        let rows = table(&r, "kpis");
        let single = case["us"].as_array().unwrap().len() == 1;
        for want in case["rows"].as_array().unwrap() {
            let scope = want["scope"].as_str().unwrap();
            if single && scope != "ALL" {
                continue; // the same rows as ALL: sovra shows them once
            }
            let scope = if scope == "ALL" { us.as_str() } else { scope };
            let (year, sector) = (&want["year"], want["sector"].as_str().unwrap());
            let got = rows
                .iter()
                .find(|g| g["year"] == *year && g["scope"] == scope && g["sector"] == sector)
                .unwrap_or_else(|| panic!("{us} on {them}: no row {year} {scope} {sector}"));
            for (key, w) in want.as_object().unwrap() {
                if matches!(key.as_str(), "year" | "scope" | "sector") {
                    continue;
                }
                let g = &got[key.as_str()];
                match (g.as_f64(), w.as_f64()) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert!(
                            close(a, b),
                            "{us} on {them} {year} {scope} {sector} {key}: sovra {a} numpy {b}"
                        );
                        if a != b {
                            worst = worst.max((a - b).abs() / a.abs().max(b.abs()));
                        }
                    }
                    _ => panic!(
                        "{us} on {them} {year} {scope} {sector} {key}: sovra {g} numpy {w} (undefined on one side)"
                    ),
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 20_000, "only {compared} values compared");
    for case in dec["cases"].as_array().unwrap() {
        let (us, them) = (list(&case["us"]).join("+"), list(&case["them"]).join("+"));
        let (from, to) = (case["from"].to_string(), case["to"].to_string());
        let mut args = vec![
            "decompose",
            &us,
            "--on",
            &them,
            "--data",
            "wiod2013",
            "--from",
            &from,
            "--to",
            &to,
            "--by",
            "sector",
            "--format",
            "json",
        ];
        if case["chain"].as_bool().unwrap() {
            args.push("--chain");
        }
        let r = sovra(h, &args);
        let fig = |k: &str| {
            r["summary"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == k)
                .and_then(|f| f["value"].as_f64())
                .unwrap()
        };
        let what = format!("{us} on {them} {from}→{to} chain {}", case["chain"]);
        assert!(close(fig("d0"), case["d0"].as_f64().unwrap()), "{what} d0");
        assert!(close(fig("d1"), case["d1"].as_f64().unwrap()), "{what} d1");
        assert!(
            fig("relative_residual") <= 1e-9,
            "{what}: effects do not add up"
        );
        let effects = table(&r, "effects");
        for (key, w) in case["effects"].as_object().unwrap() {
            let g = effects
                .iter()
                .find(|e| e["effect"] == key.as_str())
                .and_then(|e| e["value"].as_f64())
                .unwrap();
            let w = w.as_f64().unwrap();
            // An effect is a part of the change: judged relative to the change (1e-9).
            let scale = case["total"].as_f64().unwrap().abs().max(g.abs());
            assert!(
                (g - w).abs() <= RTOL * scale,
                "{what} {key}: sovra {g} numpy {w}"
            );
        }
        let by = table(&r, "by_sector");
        for (sector, effects) in case["by_sector"].as_object().unwrap() {
            let row = by
                .iter()
                .find(|s| s["sector"] == sector.as_str())
                .unwrap_or_else(|| panic!("{what}: no sector {sector}"));
            for (key, w) in effects.as_object().unwrap() {
                let (g, w) = (row[key.as_str()].as_f64().unwrap(), w.as_f64().unwrap());
                let scale = case["total"].as_f64().unwrap().abs();
                assert!(
                    (g - w).abs() <= RTOL * scale,
                    "{what} {sector} {key}: sovra {g} numpy {w}"
                );
            }
        }
    }
    eprintln!(
        "monitoring conformance: {compared} indicator values, worst relative difference {worst:.1e}"
    );
}
