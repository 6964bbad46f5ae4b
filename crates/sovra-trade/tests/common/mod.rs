//! Helpers shared by the integration tests: CSV records and the Stata fixture's exports.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sovra_trade::complexity::Exports;

/// The rows of a CSV file as column → value maps.
pub fn records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// `../shared/data/complexity`, or `None` after a notice when it is absent.
pub fn shared() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/complexity");
    if d.join("trade_data_sample.csv").is_file() {
        Some(d)
    } else {
        eprintln!(
            "NOTICE: {} is absent; the Stata fixture checks are skipped",
            d.display()
        );
        None
    }
}

/// One year of py-ecomplexity's fixture (`trade_data_sample.csv`) as exports, countries and products sorted.
pub fn fixture_year(dir: &Path, year: &str) -> Exports {
    let data: Vec<_> = records(&dir.join("trade_data_sample.csv"))
        .into_iter()
        .filter(|r| r["year"] == year)
        .collect();
    let mut countries: Vec<String> = data.iter().map(|r| r["origin"].clone()).collect();
    let mut products: Vec<String> = data.iter().map(|r| r["hs92"].clone()).collect();
    countries.sort();
    countries.dedup();
    products.sort();
    products.dedup();
    let np = products.len();
    let mut values = vec![0.0; countries.len() * np];
    for r in &data {
        let c = countries.binary_search(&r["origin"]).unwrap();
        let p = products.binary_search(&r["hs92"]).unwrap();
        values[c * np + p] += r["export_val"].parse::<f64>().unwrap();
    }
    Exports {
        countries,
        products,
        values,
    }
}
