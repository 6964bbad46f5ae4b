//! Properties of the complexity measures on random export tables, under both conventions: a country's ECI
//! is the mean PCI of the products it has an advantage in, ECI does not fall with diversity on average,
//! proximity is symmetric with a unit diagonal, density lies in [0, 1], and M is RCA ≥ threshold.

use proptest::prelude::*;
use sovra_trade::complexity::{self, Convention, Exports, Options};

fn table(seed: u64, nc: usize, np: usize) -> Exports {
    let mut rng = sovra_core::synth::Rng::new(seed);
    let values = (0..nc * np)
        .map(|k| {
            let (c, p) = (k / np, k % np);
            // Capability c and complexity p: richer countries export more complex products.
            let keep = rng.uniform()
                < 0.25 + 0.6 * (c as f64 / nc as f64) * (1.0 - 0.5 * p as f64 / np as f64);
            if keep {
                (1.0 + 9.0 * rng.uniform()) * (1.0 + c as f64)
            } else {
                0.0
            }
        })
        .collect();
    Exports {
        countries: (0..nc).map(|c| format!("C{c}")).collect(),
        products: (0..np).map(|p| format!("P{p}")).collect(),
        values,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn measures_hang_together(seed in 0u64..10_000, nc in 4usize..25, np in 4usize..40, stata in any::<bool>()) {
        let x = table(seed, nc, np);
        let o = Options {
            convention: if stata { Convention::Stata } else { Convention::PyEcomplexity },
            ..Options::default()
        };
        // Whether the table can have an ECI, decided here from RCA ≥ threshold: at least two countries and two
        // products with an advantage. Only then may compute succeed; otherwise it must say why.
        let row: Vec<f64> = (0..nc).map(|i| x.values[i * np..(i + 1) * np].iter().sum()).collect();
        let col: Vec<f64> = (0..np).map(|p| (0..nc).map(|i| x.values[i * np + p]).sum()).collect();
        let total: f64 = row.iter().sum();
        let adv = |i: usize, p: usize| row[i] > 0.0 && col[p] > 0.0 && (x.values[i * np + p] / row[i]) / (col[p] / total) >= o.rca_threshold;
        let countries = (0..nc).filter(|&i| (0..np).any(|p| adv(i, p))).count();
        let products = (0..np).filter(|&p| (0..nc).any(|i| adv(i, p))).count();
        let c = match complexity::compute(&x, &o) {
            Ok(c) => {
                prop_assert!(total > 0.0 && countries >= 2 && products >= 2, "computed on a table without an ECI");
                c
            }
            Err(e) => {
                let e = e.to_string();
                if total <= 0.0 {
                    prop_assert!(e.contains("no exports at all"), "{e}");
                } else {
                    prop_assert!(countries < 2 || products < 2, "unexpected error on a valid table: {e}");
                    prop_assert!(e.contains("ECI needs at least two of each"), "{e}");
                }
                return Ok(());
            }
        };
        for i in 0..nc {
            if let Some(e) = c.eci[i] {
                let ps: Vec<f64> = (0..np).filter(|&p| c.m[i * np + p]).map(|p| c.pci[p].unwrap()).collect();
                let mean = ps.iter().sum::<f64>() / ps.len() as f64;
                prop_assert!((e - mean).abs() <= 1e-9 * (1.0 + e.abs()), "ECI {e} vs mean PCI {mean}");
            }
            for p in 0..np {
                if let Some(r) = c.rca[i * np + p] {
                    prop_assert_eq!(c.m[i * np + p], r >= 1.0);
                }
                if let Some(d) = c.density[i * np + p] {
                    prop_assert!((-1e-12..=1.0 + 1e-12).contains(&d), "density {}", d);
                }
            }
        }
        for p in 0..np {
            if c.ubiquity[p] > 0 {
                prop_assert!((c.proximity[p * np + p] - 1.0).abs() < 1e-12);
            }
            for q in 0..np {
                prop_assert_eq!(c.proximity[p * np + q], c.proximity[q * np + p]);
            }
        }
        // Density computed without forming φ equals its definition evaluated on φ:
        // (Σ_q M_cq φ_qp − s M_cp) / (Σ_q φ_qp − s), s = 1 under Stata's convention (the product itself left out).
        let own = if stata { 1.0 } else { 0.0 };
        for i in 0..nc {
            for p in 0..np {
                let Some(d) = c.density[i * np + p] else { continue };
                let col = |q: usize| c.proximity[q * np + p];
                let diag = if c.ubiquity[p] > 0 { own } else { 0.0 };
                let num: f64 = (0..np).filter(|&q| c.m[i * np + q]).map(col).sum::<f64>()
                    - if c.m[i * np + p] { diag } else { 0.0 };
                let den: f64 = (0..np).map(col).sum::<f64>() - diag;
                let want = if den > 0.0 { num / den } else { 0.0 };
                prop_assert!((d - want).abs() <= 1e-12, "density {} vs {} from φ", d, want);
            }
        }
        let pairs: Vec<(f64, f64)> = (0..nc).filter_map(|i| Some((c.eci[i]?, c.diversity[i] as f64))).collect();
        let n = pairs.len() as f64;
        let (me, md) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
        let cov: f64 = pairs.iter().map(|(e, d)| (e - me) * (d - md)).sum();
        prop_assert!(cov >= -1e-9, "ECI falls with diversity: {cov}");
    }
}
