//! The Stata `ecomplexity` reference on py-ecomplexity's test fixture (10 EU countries × 30 HS92 products,
//! 1995 and 1996), from `../shared/data/complexity` when present: ECI, diversity and COI per country, PCI and
//! ubiquity per product, all to 1e-9. Plus the fitness–complexity map on the same data.

mod common;

use std::path::Path;

use common::{fixture_year, records, shared};
use sovra_trade::complexity::{self, Options};

#[test]
fn reproduces_stata_ecomplexity() {
    let Some(dir) = shared() else { return };
    // (year, countries, products) the reference files hold.
    for (year, nc, np) in [("1995", 10, 30), ("1996", 3, 30)] {
        assert_eq!(check_year(&dir, year), (nc, np), "{year}: rows compared");
    }
}

/// Compares one year; returns how many (countries, products) were compared.
fn check_year(dir: &Path, year: &str) -> (usize, usize) {
    let x = fixture_year(dir, year);
    let (countries, products) = (x.countries.clone(), x.products.clone());
    let out = complexity::compute(&x, &Options::default()).unwrap();
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{what}: sovra {a} vs Stata {b}"
        );
    };
    let mut worst = 0.0f64;
    let (mut nc, mut np) = (0, 0);
    for r in records(&dir.join("stata_ref_1995_country.csv"))
        .into_iter()
        .filter(|r| r["year"] == year)
    {
        nc += 1;
        let c = countries.binary_search(&r["origin"]).unwrap();
        let eci = out.eci[c].unwrap();
        let want: f64 = r["eci"].parse().unwrap();
        close(eci, want, &format!("ECI {}", r["origin"]));
        worst = worst.max((eci - want).abs());
        assert_eq!(
            out.diversity[c].to_string(),
            r["diversity"],
            "diversity {}",
            r["origin"]
        );
    }
    for r in records(&dir.join("stata_ref_product.csv"))
        .into_iter()
        .filter(|r| r["year"] == year)
    {
        np += 1;
        let p = products.binary_search(&r["hs92"]).unwrap();
        let pci = out.pci[p].unwrap();
        let want: f64 = r["pci"].parse().unwrap();
        close(pci, want, &format!("PCI {}", r["hs92"]));
        worst = worst.max((pci - want).abs());
        assert_eq!(
            out.ubiquity[p].to_string(),
            r["ubiquity"],
            "ubiquity {}",
            r["hs92"]
        );
    }
    for r in records(&dir.join("stata_ref_1995_country.csv"))
        .into_iter()
        .filter(|r| r["year"] == year)
    {
        let c = countries.binary_search(&r["origin"]).unwrap();
        let coi = out.coi[c].unwrap();
        let want: f64 = r["coi"].parse().unwrap();
        close(coi, want, &format!("COI {}", r["origin"]));
        worst = worst.max((coi - want).abs());
    }
    // Besides 1e-9 per value: ~100× the largest difference measured on 2026-12-01 (1.07e-14, 1996).
    assert!(
        worst <= 1e-12,
        "{year}: largest absolute difference {worst:.2e} exceeds 1e-12 (~100× measured)"
    );
    eprintln!("Stata ecomplexity fixture {year}: largest absolute difference {worst:.2e}");
    (nc, np)
}

#[test]
fn fitness_complexity_fixed_point() {
    let Some(dir) = shared() else { return };
    let x = fixture_year(&dir, "1995");
    let (nc, np) = (x.countries.len(), x.products.len());
    let out = complexity::compute(&x, &Options::default()).unwrap();
    let (f, q, it) = complexity::fitness(&out.m, nc, np, 1e-12, 10_000);
    assert!(it < 10_000);
    // At the fixed point: F_c ∝ Σ_p M_cp Q_p and Q_p ∝ 1 / Σ_c M_cp / F_c, both with mean 1.
    let f: Vec<f64> = f.into_iter().map(Option::unwrap).collect();
    let q: Vec<f64> = q.into_iter().map(Option::unwrap).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean(&f) - 1.0).abs() < 1e-12 && (mean(&q) - 1.0).abs() < 1e-12);
    let tf: Vec<f64> = (0..nc)
        .map(|c| (0..np).filter(|&p| out.m[c * np + p]).map(|p| q[p]).sum())
        .collect();
    let (mt, mf) = (mean(&tf), mean(&f));
    for c in 0..nc {
        assert!((tf[c] / mt - f[c] / mf).abs() < 1e-9, "F[{c}]");
    }
    assert!(f.iter().all(|v| *v > 0.0) && q.iter().all(|v| *v > 0.0));
    // Fitness ranks countries like diversity on this fixture: positive correlation (a property of the map on
    // this data, checked here rather than only claimed).
    let d: Vec<f64> = out.diversity.iter().map(|&v| v as f64).collect();
    let (md, mf) = (mean(&d), mean(&f));
    let cov: f64 = (0..nc).map(|c| (d[c] - md) * (f[c] - mf)).sum();
    let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>();
    let corr = cov / (var(&d, md) * var(&f, mf)).sqrt();
    eprintln!("fitness vs diversity, 1995: correlation {corr:.3}");
    assert!(corr > 0.5, "fitness vs diversity: correlation {corr}");
}
