//! Conformance of product-level shock legs on icio2022 with an independent numpy re-implementation
//! (`conformance/shock_products/dump.py`): the synthetic trade year it writes (real ICIO countries × HS6
//! codes of the bridge) is imported into a trade store, the scenario of `conformance/shock_products/
//! scenario.toml` runs, and every block it severs in part must be numpy's, with the same share (1e-9) and
//! basis (pair, exporter, default). Also on icio2022: a leg whose products are every code of `C24A` (whose
//! codes land nowhere else) gives exactly the sector leg's outcome, in both models.
//!
//! The dump comes from `conformance/shock_products/run.sh` (run by `scripts/test`) in
//! `$SOVRA_CONFORMANCE_DIR`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sovra_core::bridge::Bridge;
use sovra_engine::trade::TradeImportOptions;
use sovra_engine::{Quiet, Request, ShockRequest, TomlText, Workspace, run};
use sovra_report::{Report, Value};

const TOL: f64 = 1e-9;

fn conformance_dir() -> PathBuf {
    std::env::var_os("SOVRA_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance"))
}

fn dump() -> Option<PathBuf> {
    let p = conformance_dir().join("shock_products");
    if !p.join("DONE").is_file() {
        assert!(
            std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
            "SOVRA_REQUIRE_CONFORMANCE is set but no shock_products dump is in {}",
            p.display()
        );
        eprintln!(
            "NOTICE: no shock_products dump in {}: run scripts/test (or conformance/shock_products/run.sh) first",
            p.display()
        );
        return None;
    }
    Some(p)
}

/// The user's store holds icio2022 (else a notice, or a failure under `SOVRA_REQUIRE_ICIO`).
fn icio() -> bool {
    sovra_core::store::open_or_notice("icio2022", "the product-leg conformance").is_some()
}

fn table<'r>(r: &'r Report, key: &str) -> &'r sovra_report::Table {
    r.tables
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no table {key}"))
}

fn text(v: Value) -> String {
    match v {
        Value::Text(s) => s,
        v => panic!("not text: {v:?}"),
    }
}

#[test]
fn product_shares_match_numpy() {
    let Some(dir) = dump() else { return };
    if !icio() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut ws = Workspace::from_env();
    ws.trade_dir = Some(tmp.path().join("trade"));
    sovra_engine::trade::import(
        &ws,
        &TradeImportOptions {
            files: vec![dir.join("trade.csv")],
            country_codes: None,
            store: None,
            memory_limit: 1.0,
            wait: false,
        },
        &Quiet,
    )
    .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/shock_products/scenario.toml");
    let mut q = ShockRequest::new("x", "y");
    q.sanctioning = None;
    q.target = None;
    q.scenario = Some(TomlText::new(
        std::fs::read_to_string(&path).unwrap(),
        path.display().to_string(),
    ));
    let r = run(&ws, &Request::Shock(Box::new(q)), &Quiet).unwrap();
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("weighted by the trade of each pair in 2022")),
        "{:?}",
        r.notes
    );
    let got_t = table(&r, "blocks");
    let mut got = BTreeMap::new();
    for k in 0..got_t.len() {
        let row = got_t.row(k);
        let key = (
            text(row[0].clone()),
            text(row[1].clone()),
            text(row[2].clone()),
        );
        got.insert(key, (row[3].as_f64().unwrap(), text(row[4].clone())));
    }
    let mut rd = csv::Reader::from_path(dir.join("expected_blocks.csv")).unwrap();
    let mut want = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.unwrap();
        want.insert(
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string()),
            (rec[3].parse::<f64>().unwrap(), rec[4].to_string()),
        );
    }
    assert!(want.len() >= 15, "the dump has {} blocks", want.len());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the blocks severed"
    );
    let mut worst = 0.0f64;
    for (k, (s, basis)) in &want {
        let (g, gb) = &got[k];
        assert_eq!(gb, basis, "{k:?}");
        let err = (g - s).abs() / s.abs().max(1e-300);
        worst = worst.max(err);
        assert!(err <= TOL, "{k:?}: {g} vs numpy {s}");
    }
    let bases: Vec<&str> = want.values().map(|v| v.1.as_str()).collect();
    for b in ["pair", "exporter", "default"] {
        assert!(bases.contains(&b), "no {b} block in the check");
    }
    eprintln!(
        "product legs: {} blocks match numpy, worst relative difference {worst:.1e}",
        want.len()
    );
}

fn outcome(r: &Report) -> (Vec<f64>, f64) {
    let t = table(r, "nodes");
    let col = t.column("post_shock_output").unwrap();
    let x: Vec<f64> = (0..t.len())
        .map(|k| col.values.get(k).as_f64().unwrap())
        .collect();
    let world = r
        .summary
        .iter()
        .find(|f| f.key == "world_output_loss")
        .and_then(|f| f.value.as_f64())
        .unwrap();
    (x, world)
}

#[test]
fn products_covering_a_sector_equal_the_sector_leg_exactly() {
    if !icio() {
        return;
    }
    let ws = Workspace::from_env();
    // Every code landing in C24A lands nowhere else: the leg severs C24A whole, and nothing more.
    let b = Bridge::shipped();
    let t = sovra_core::store::open_or_notice("icio2022", "").unwrap();
    let c24a = t.labels.sector_index("C24A", "icio2022").unwrap();
    let codes: Vec<String> = b
        .codes()
        .filter(|c| {
            b.landing(c, &t.labels, "icio2022")
                .is_ok_and(|l| l.iter().any(|x| x.sector == c24a))
        })
        .map(str::to_string)
        .collect();
    assert!(codes.len() > 100);
    for model in ["rerouting", "extraction"] {
        let by_products: ShockRequest = serde_json::from_value(serde_json::json!({
            "sanctioning": "G7", "target": "RUS", "instrument": "embargo", "model": model,
            "products": codes,
        }))
        .unwrap();
        let by_sector: ShockRequest = serde_json::from_value(serde_json::json!({
            "sanctioning": "G7", "target": "RUS", "instrument": "embargo", "model": model,
            "sectors": ["C24A"],
        }))
        .unwrap();
        let a = run(&ws, &Request::Shock(Box::new(by_products)), &Quiet).unwrap();
        let s = run(&ws, &Request::Shock(Box::new(by_sector)), &Quiet).unwrap();
        let blocks = table(&a, "blocks");
        let shares = blocks.column("severed_share").unwrap();
        for k in 0..blocks.len() {
            assert_eq!(shares.values.get(k).as_f64(), Some(1.0));
        }
        let (xa, wa) = outcome(&a);
        let (xs, ws_) = outcome(&s);
        assert_eq!(wa, ws_, "{model}: world loss");
        assert!(xa == xs, "{model}: post-shock output differs");
    }
}
