//! Product-level shock legs through the engine on a generated table labelled with the ICIO regions and
//! sectors: the shares from the bridge's default weights when the trade store is empty, from the pair's
//! trade when it holds the table's year (checked by hand), list files, and every bad input a usage error
//! naming the field, before anything runs.

use sovra_core::bridge::Bridge;
use sovra_core::labels::Code;
use sovra_core::read::oecd_names::SECTORS;
use sovra_core::{Mrio, store, synth};
use sovra_engine::trade::TradeImportOptions;
use sovra_engine::{ErrorKind, Quiet, Request, ShockRequest, TomlText, Workspace, run};
use sovra_report::{Report, Value};

const REGIONS: [&str; 4] = ["USA", "CHN", "DEU", "RUS"];

fn icio_like() -> Mrio {
    let mut t = synth::table(
        "icio_like",
        synth::Spec {
            regions: REGIONS.len(),
            sectors: SECTORS.len(),
            categories: 1,
            stressors: 0,
            ..Default::default()
        },
    )
    .expect("synthetic table");
    let old: Vec<String> = t.labels.regions.iter().map(|r| r.code.clone()).collect();
    t.labels.regions = REGIONS.iter().map(|c| Code::bare(*c)).collect();
    t.labels.sectors = SECTORS
        .iter()
        .map(|(c, n)| Code {
            code: c.to_string(),
            name: n.to_string(),
        })
        .collect();
    for fd in &mut t.labels.final_demand {
        if let Some(k) = old.iter().position(|c| *c == fd.region) {
            fd.region = REGIONS[k].to_string();
        }
    }
    t.provenance.year = Some(2022);
    t
}

fn workspace() -> (tempfile::TempDir, Workspace) {
    let home = tempfile::tempdir().expect("tempdir");
    store::write(home.path(), &icio_like(), store::WriteMode::CreateNew).expect("store");
    let demo = synth::table("demo", synth::Spec::default()).expect("demo");
    store::write(home.path(), &demo, store::WriteMode::CreateNew).expect("store");
    let mut ws = Workspace::new(home.path());
    ws.fetch_default = false;
    (home, ws)
}

fn shock(ws: &Workspace, json: serde_json::Value) -> sovra_engine::Result<Report> {
    let q: ShockRequest = serde_json::from_value(json).expect("request");
    run(ws, &Request::Shock(Box::new(q)), &Quiet)
}

fn blocks(r: &Report) -> Vec<(String, String, String, f64, String)> {
    let t = r.tables.iter().find(|t| t.key == "blocks").expect("blocks");
    (0..t.len())
        .map(|k| {
            let row = t.row(k);
            let s = |v: &Value| match v {
                Value::Text(s) => s.clone(),
                v => panic!("{v:?}"),
            };
            (
                s(&row[0]),
                s(&row[1]),
                s(&row[2]),
                row[3].as_f64().unwrap(),
                s(&row[4]),
            )
        })
        .collect()
}

/// The share of sector `code` that `named` make up, every code of the sector counted with its bridge weight
/// times `t(code)`.
fn by_hand(t: &Mrio, sector: &str, named: &[&str], trade: impl Fn(&str) -> f64) -> f64 {
    let b = Bridge::shipped();
    let s = t.labels.sector_index(sector, "t").unwrap();
    let (mut inside, mut all) = (0.0, 0.0);
    for code in b.codes() {
        let Ok(land) = b.landing(code, &t.labels, "t") else {
            continue;
        };
        if let Some(l) = land.iter().find(|l| l.sector == s) {
            let v = l.weight * trade(code);
            all += v;
            if named.iter().any(|n| code.starts_with(n)) {
                inside += v;
            }
        }
    }
    inside / all
}

#[test]
fn without_trade_the_shares_are_the_bridges_default_weights() {
    let (_h, ws) = workspace();
    let r = shock(
        &ws,
        serde_json::json!({"sanctioning": "USA", "target": "CHN", "instrument": "export-ban",
                           "products": ["8542"], "data": "icio_like", "model": "extraction"}),
    )
    .unwrap();
    assert!(
        r.notes.iter().any(|n| n.contains("default weights")),
        "{:?}",
        r.notes
    );
    let b = blocks(&r);
    let t = icio_like();
    // 8542's codes land mostly in C26 and C27 (their repair class dropped), some parts elsewhere.
    let sectors: Vec<&str> = b.iter().map(|x| x.1.as_str()).collect();
    assert!(
        sectors.contains(&"C26") && sectors.contains(&"C27"),
        "{sectors:?}"
    );
    for (seller, sector, buyer, share, basis) in &b {
        assert_eq!((seller.as_str(), buyer.as_str()), ("USA", "CHN"));
        assert_eq!(basis, "default");
        let want = by_hand(&t, sector, &["8542"], |_| 1.0);
        assert!((share - want).abs() < 1e-14, "{sector}: {share} vs {want}");
        assert!(*share > 0.0 && *share < 0.2, "{sector}: {share}");
    }
    let legs = r.tables.iter().find(|t| t.key == "legs").unwrap();
    assert_eq!(
        legs.column("products").unwrap().values.get(0),
        Value::Text("8542".into())
    );
    // A product leg severs less than the sector leg of the same sectors.
    let whole = shock(
        &ws,
        serde_json::json!({"sanctioning": "USA", "target": "CHN", "instrument": "export-ban",
                           "sectors": ["C26", "C27"], "data": "icio_like", "model": "extraction"}),
    )
    .unwrap();
    let loss = |r: &Report| {
        r.summary
            .iter()
            .find(|f| f.key == "world_output_loss")
            .and_then(|f| f.value.as_f64())
            .unwrap()
    };
    assert!(loss(&r) > 0.0 && loss(&r) < loss(&whole));
}

#[test]
fn with_trade_the_shares_follow_the_pairs_product_mix() {
    let (h, ws) = workspace();
    // USA sells CHN a processor (854231: half C26, half C27) for 100 and a transformer (850421) for 300;
    // DEU sells CHN nothing but sells the USA processors for 50 (DEU → CHN takes DEU's exports to everyone).
    let csv = h.path().join("t.csv");
    std::fs::write(
        &csv,
        "year,exporter,importer,product,value\n\
         2022,USA,CHN,854231,100\n2022,USA,CHN,850421,300\n2022,DEU,USA,854231,50\n\
         2022,CHN,USA,870323,10\n",
    )
    .unwrap();
    sovra_engine::trade::import(
        &ws,
        &TradeImportOptions {
            files: vec![csv],
            country_codes: None,
            store: None,
            memory_limit: 1.0,
            wait: false,
        },
        &Quiet,
    )
    .unwrap();
    let r = shock(
        &ws,
        serde_json::json!({"sanctioning": "USA+DEU", "target": "CHN", "instrument": "export-ban",
                           "products": ["854231"], "data": "icio_like", "model": "extraction"}),
    )
    .unwrap();
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("weighted by the trade of each pair in 2022")),
        "{:?}",
        r.notes
    );
    let t = icio_like();
    let usa = |code: &str| match code {
        "854231" => 100.0,
        "850421" => 300.0,
        _ => 0.0,
    };
    let deu = |code: &str| if code == "854231" { 50.0 } else { 0.0 };
    for (seller, sector, _, share, basis) in blocks(&r) {
        let want = match seller.as_str() {
            "USA" => {
                assert_eq!(basis, "pair");
                by_hand(&t, &sector, &["854231"], usa)
            }
            "DEU" => {
                assert_eq!(basis, "exporter");
                by_hand(&t, &sector, &["854231"], deu)
            }
            s => panic!("seller {s}"),
        };
        assert!(
            (share - want).abs() < 1e-14,
            "{seller} {sector}: {share} vs {want}"
        );
    }
    // DEU sells only the processor: all of its C26 and C27 sales are severed.
    assert!(
        blocks(&r)
            .iter()
            .filter(|b| b.0 == "DEU")
            .all(|b| b.3 == 1.0)
    );
}

#[test]
fn product_lists_come_from_files_beside_the_scenario() {
    let (h, ws) = workspace();
    std::fs::write(
        h.path().join("controls.csv"),
        "hs,what\n8541,diodes\n8542,chips\n",
    )
    .unwrap();
    let scenario = h.path().join("chips.toml");
    let text = "[[leg]]\nsanctioning = \"USA\"\ntarget = \"CHN\"\ninstrument = \"export-ban\"\n\
                products_file = \"controls.csv\"\n";
    std::fs::write(&scenario, text).unwrap();
    let mut q = ShockRequest::new("x", "y");
    q.sanctioning = None;
    q.target = None;
    q.data = "icio_like".into();
    q.scenario = Some(TomlText::new(text, scenario.display().to_string()));
    assert!(Request::Shock(Box::new(q.clone())).names_files());
    let from_file = run(&ws, &Request::Shock(Box::new(q)), &Quiet).unwrap();
    let inline = shock(
        &ws,
        serde_json::json!({"sanctioning": "USA", "target": "CHN", "instrument": "export-ban",
                           "products": ["8541", "8542"], "data": "icio_like"}),
    )
    .unwrap();
    assert_eq!(blocks(&from_file), blocks(&inline));
}

#[test]
fn bad_product_legs_are_usage_errors_before_anything_runs() {
    let (_h, ws) = workspace();
    let base = |extra: serde_json::Value| {
        let mut v = serde_json::json!({"sanctioning": "USA", "target": "CHN", "data": "icio_like"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases = [
        (
            serde_json::json!({"products": ["854299"]}),
            "products",
            "854290",
        ),
        (
            serde_json::json!({"products": ["85x1"]}),
            "products",
            "not an HS code",
        ),
        (
            serde_json::json!({"products": ["050210"]}),
            "products",
            "outside the bridge",
        ),
        (serde_json::json!({"products": []}), "products", "empty"),
        (
            serde_json::json!({"products": ["8542"], "sectors": ["C26"]}),
            "products",
            "not both",
        ),
        (
            serde_json::json!({"products": ["8542"], "data": "demo"}),
            "products",
            "ICIO",
        ),
        (
            serde_json::json!({"products_file": "/nonexistent/controls.csv"}),
            "products_file",
            "controls.csv",
        ),
    ];
    for (extra, field, needle) in cases {
        let e = shock(&ws, base(extra.clone())).unwrap_err();
        let kind = if field == "products_file" {
            ErrorKind::NotFound
        } else {
            ErrorKind::Usage
        };
        assert_eq!(e.kind, kind, "{extra}: {e}");
        assert_eq!(e.field.as_deref(), Some(field), "{extra}: {e}");
        assert!(e.message.contains(needle), "{extra}: {}", e.message);
    }
    // A request naming a file is refused by the server.
    let q: ShockRequest =
        serde_json::from_value(base(serde_json::json!({"products_file": "c.csv"}))).unwrap();
    assert!(Request::Shock(Box::new(q)).names_files());
}

#[test]
fn product_level_dependency_weights_their_value_added_by_the_products_share() {
    let (_h, ws) = workspace();
    let depend = |products: Option<Vec<&str>>| {
        let mut v = serde_json::json!({"us": "USA", "them": "CHN", "data": "icio_like"});
        if let Some(p) = products {
            v["products"] = serde_json::json!(p);
        }
        let q: sovra_engine::DependRequest = serde_json::from_value(v).unwrap();
        run(&ws, &Request::Depend(q), &Quiet)
    };
    let all = depend(None).unwrap();
    let chips = depend(Some(vec!["8541", "8542"])).unwrap();
    let va = |r: &Report| {
        r.summary
            .iter()
            .find(|f| f.key == "value_added_from_them")
            .and_then(|f| f.value.as_f64())
            .unwrap()
    };
    assert!(
        va(&chips) > 0.0 && va(&chips) < va(&all),
        "{} vs {}",
        va(&chips),
        va(&all)
    );
    let t = icio_like();
    let shares = chips
        .tables
        .iter()
        .find(|t| t.key == "product_shares")
        .expect("product_shares");
    assert!(shares.len() >= 2);
    for k in 0..shares.len() {
        let row = shares.row(k);
        assert_eq!(row[0], Value::Text("CHN".into()));
        let Value::Text(sector) = &row[1] else {
            panic!()
        };
        let want = by_hand(&t, sector, &["8541", "8542"], |_| 1.0);
        assert!((row[3].as_f64().unwrap() - want).abs() < 1e-14);
        assert_eq!(row[4], Value::Text("default".into()));
    }
    assert!(
        chips.notes.iter().any(|n| n.contains("default weights")),
        "{:?}",
        chips.notes
    );
    // Bad codes are usage errors on `products`; --each does not take products.
    let e = depend(Some(vec!["854299"])).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Usage, Some("products"))
    );
    let q: sovra_engine::DependRequest = serde_json::from_value(serde_json::json!(
        {"us": "USA+DEU", "them": "CHN", "data": "icio_like", "each": true, "products": ["8542"]}))
    .unwrap();
    let e = run(&ws, &Request::Depend(q), &Quiet).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("products"));
}
