//! Helpers shared by the integration tests: CSV records and the Stata fixture's exports.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "../../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

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

/// `../shared/data/complexity`, or `None` after a notice when it is absent (a panic with
/// `SOVRA_REQUIRE_SHARED` set).
pub fn shared() -> Option<PathBuf> {
    shared_data::or_notice(
        "complexity/trade_data_sample.csv",
        "the Stata fixture check",
    )
    .map(|p| p.parent().unwrap().to_path_buf())
}

/// Exports from long rows: countries and products sorted, values of repeated cells summed, a missing or
/// non-numeric value counted as 0.
pub fn exports(
    rows: &[&BTreeMap<String, String>],
    country: &str,
    product: &str,
    value: &str,
) -> Exports {
    let mut countries: Vec<String> = rows.iter().map(|r| r[country].clone()).collect();
    let mut products: Vec<String> = rows.iter().map(|r| r[product].clone()).collect();
    countries.sort();
    countries.dedup();
    products.sort();
    products.dedup();
    let np = products.len();
    let mut values = vec![0.0; countries.len() * np];
    for r in rows {
        let c = countries.binary_search(&r[country]).unwrap();
        let p = products.binary_search(&r[product]).unwrap();
        values[c * np + p] += r[value]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
    }
    Exports {
        countries,
        products,
        values,
    }
}

/// One year of py-ecomplexity's fixture (`trade_data_sample.csv`) as exports.
pub fn fixture_year(dir: &Path, year: &str) -> Exports {
    let data = records(&dir.join("trade_data_sample.csv"));
    let rows: Vec<_> = data.iter().filter(|r| r["year"] == year).collect();
    exports(&rows, "origin", "hs92", "export_val")
}
