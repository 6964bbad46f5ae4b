//! Property tests of the dependency indicators on random productive tables: value-added origin shares sum to
//! 1, direct ≤ total where the method guarantees it, nothing travels through third countries when there are
//! none, and the iterative and LU paths agree.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use proptest::prelude::*;
use sovra_analysis::dependency::{self, Parties};
use sovra_analysis::keys;
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::Solve;
use sovra_core::{LeontiefSystem, Method, synth};

fn table(regions: usize, sectors: usize, seed: u64) -> sovra_core::Mrio {
    synth::table(
        "p",
        synth::Spec {
            regions,
            sectors,
            categories: 2,
            stressors: 0,
            import_density: 0.6,
            seed,
        },
    )
    .unwrap()
}

/// Splits regions 0..nr into us (first `nu`), them (next `nt`), third (rest).
fn parties(t: &sovra_core::Mrio, nu: usize, nt: usize) -> Parties {
    Parties::new(t, (0..nu).collect(), (nu..nu + nt).collect()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    /// Σ over all regions of the value-added origin shares of every column is 1; us + them + third = 1.
    #[test]
    fn value_added_origin_sums_to_one(nr in 2usize..6, s in 1usize..5, seed in 0u64..100_000) {
        let t = table(nr, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let cols: Vec<usize> = (0..t.n()).collect();
        let (o, _) = dependency::value_added_origin(&t, &sys, &cols).unwrap();
        for j in 0..t.n() {
            let sum: f64 = o.iter().map(|r| r[j]).sum();
            prop_assert!((sum - 1.0).abs() < 1e-10, "column {j}: {sum}");
            prop_assert!(o.iter().all(|r| r[j] >= -1e-12));
        }
        let p = parties(&t, 1, 1);
        let d = dependency::compute(&t, &sys, &p).unwrap();
        for x in &d.sectors {
            let j = t.labels.regions.iter().position(|r| r.code == x.node.region).unwrap() * s
                + t.labels.sectors.iter().position(|c| c.code == x.node.sector).unwrap();
            let third: f64 = (2..nr).map(|r| o[r][j]).sum();
            prop_assert!((x.value_added_from_us.unwrap() + x.value_added_from_them + third - 1.0).abs() < 1e-10);
            prop_assert!((x.value_added_from_them - o[1][j]).abs() < 1e-10);
        }
    }

    /// Bounds the method guarantees: direct value added from them (Σ_{i∈T} ν_i A_ij) ≤ total; via third ≤ total;
    /// direct sales ≤ total sales ≤ 1; every share in [0, 1]; HHI in [1/n, 1].
    #[test]
    fn direct_is_at_most_total(nr in 2usize..6, s in 1usize..5, seed in 0u64..100_000, nu in 1usize..3) {
        prop_assume!(nu < nr);
        let t = table(nr, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let p = parties(&t, nu, 1);
        let d = dependency::compute(&t, &sys, &p).unwrap();
        let nu_v = t.va_shares();
        for (k, x) in d.sectors.iter().enumerate() {
            let j = k; // us are the first regions and every synthetic node has output
            let direct_va: f64 = (nu * s..(nu + 1) * s).map(|i| nu_v[i] * t.z.get(i, j) / t.x[j]).sum();
            prop_assert!(direct_va <= x.value_added_from_them + 1e-12);
            prop_assert!(x.via_third_countries <= x.value_added_from_them + 1e-12);
            prop_assert!(x.sales_direct <= x.sales_total + 1e-12, "{} > {}", x.sales_direct, x.sales_total);
            prop_assert!(x.sales_total <= 1.0 + 1e-12);
            for v in [x.direct_input_share, x.direct_output_share, x.value_added_from_them, x.value_added_from_us.unwrap(), x.top_foreign_supplier_share] {
                prop_assert!((-1e-12..=1.0 + 1e-12).contains(&v), "{v}");
            }
            prop_assert!(x.direct_output_share <= x.direct_input_share + 1e-12);
            if x.foreign_supplier_hhi > 0.0 {
                prop_assert!(x.foreign_supplier_hhi >= 1.0 / (nr - 1) as f64 - 1e-12 && x.foreign_supplier_hhi <= 1.0 + 1e-12);
            }
        }
    }

    /// With two regions there is no third country: nothing travels through one.
    #[test]
    fn no_third_country_no_detour(s in 1usize..6, seed in 0u64..100_000) {
        let t = table(2, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let d = dependency::compute(&t, &sys, &parties(&t, 1, 1)).unwrap();
        prop_assert!(d.third.is_empty());
        for x in &d.sectors {
            prop_assert_eq!(x.via_third_countries, 0.0);
        }
    }

    /// LU and GMRES give the same indicators; keys agree with the Ghosh inverse formed explicitly.
    #[test]
    fn methods_agree_and_keys_match_ghosh(nr in 3usize..6, s in 1usize..4, seed in 0u64..100_000) {
        let t = table(nr, s, seed);
        let mut lu = LeontiefSystem::from_table(&t).unwrap();
        lu.method = Method::Lu;
        let mut it = LeontiefSystem::from_table(&t).unwrap();
        it.method = Method::Iterative;
        let p = parties(&t, 1, 1);
        let (a, b) = (dependency::compute(&t, &lu, &p).unwrap(), dependency::compute(&t, &it, &p).unwrap());
        for (x, y) in a.sectors.iter().zip(&b.sectors) {
            for (u, v) in [(x.value_added_from_them, y.value_added_from_them), (x.via_third_countries, y.via_third_countries), (x.sales_total, y.sales_total)] {
                prop_assert!((u - v).abs() < 1e-10, "{u} vs {v}");
            }
        }
        let k = keys::compute(&t, &lu, &p, 2).unwrap();
        let (g, _) = sovra_analysis::system::ghosh_inverse(&t, &lu).unwrap();
        for ks in &k.sectors {
            let j = t.labels.sectors.iter().position(|c| c.code == ks.node.sector).unwrap();
            let gj: f64 = (0..s).map(|c| g.get(j, c)).sum();
            let m: f64 = (s..2 * s).map(|i| t.z.get(i, j)).sum();
            prop_assert!((ks.forward_multiplier - gj).abs() < 1e-10 * gj.max(1.0));
            prop_assert!((ks.exposed_output - m * gj).abs() < 1e-9 * (m * gj).max(1.0));
        }
        prop_assert!(k.sectors.windows(2).all(|w| w[0].exposed_output >= w[1].exposed_output));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30, .. ProptestConfig::default() })]

    /// TiVA against the textbook formulas on a dense Leontief inverse formed here (`W = ν̂ L` summed by origin
    /// country, exports `e_c` and final demand `y_d` from `Z`, `Y` and the labels), and GVC participation as in
    /// Koopman et al. / OECD: backward `= FVA / EXGR`, forward `= DVAFX / EXGR`. Plus DVA + FVA = EXGR (it
    /// holds because value-added shares sum to 1, which sovra does not use).
    #[test]
    fn tiva_matches_dense_formulas(nr in 2usize..6, s in 1usize..4, seed in 0u64..100_000) {
        let t = table(nr, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let tv = sovra_analysis::tiva::compute(&t, &sys).unwrap();
        prop_assert!(tv.absent.is_none());
        let n = t.n();
        let region_of = |i: usize| i / s;
        // L = (I − A)⁻¹, A = Z x̂⁻¹; ν = (x − Zᵀ1) / x.
        let m = Mat::<f64>::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - t.z.get(i, j) / t.x[j]);
        let mut l = Mat::<f64>::identity(n, n);
        m.partial_piv_lu().solve_in_place(l.as_mut());
        let nu: Vec<f64> = (0..n).map(|j| (t.x[j] - (0..n).map(|i| t.z.get(i, j)).sum::<f64>()) / t.x[j]).collect();
        let w: Vec<Vec<f64>> = (0..nr)
            .map(|c| (0..n).map(|j| (0..n).filter(|&i| region_of(i) == c).map(|i| nu[i] * l[(i, j)]).sum()).collect())
            .collect();
        let dest: Vec<usize> = t.labels.final_demand.iter()
            .map(|f| t.labels.regions.iter().position(|r| r.code == f.region).unwrap())
            .collect();
        // Intermediate exports, gross exports (intermediate + final) and final demand by destination.
        let mut e_int = vec![vec![0.0; n]; nr];
        let mut e = vec![vec![0.0; n]; nr];
        let mut y = vec![vec![0.0; n]; nr];
        for j in 0..n {
            let c = region_of(j);
            let int: f64 = (0..n).filter(|&k| region_of(k) != c).map(|k| t.z.get(j, k)).sum();
            let fin: f64 = (0..t.y.cols).filter(|&q| dest[q] != c).map(|q| t.y.get(j, q)).sum();
            e_int[c][j] = int;
            e[c][j] = int + fin;
            for (q, &d) in dest.iter().enumerate() {
                y[d][j] += t.y.get(j, q);
            }
        }
        let va = |o: usize, v: &[f64]| -> f64 { (0..n).map(|j| w[o][j] * v[j]).sum() };
        let scale: f64 = e.iter().flatten().sum();
        let close = |what: &str, c: usize, ours: f64, want: f64| -> Result<(), TestCaseError> {
            prop_assert!((ours - want).abs() <= 1e-10 * scale, "{what}[{c}]: sovra {ours} vs dense {want}");
            Ok(())
        };
        for (c, ct) in tv.countries.iter().enumerate() {
            let exgr: f64 = e[c].iter().sum();
            let dva = va(c, &e[c]);
            let fva: f64 = (0..nr).filter(|&o| o != c).map(|o| va(o, &e[c])).sum();
            let dvafx: f64 = (0..nr).filter(|&d| d != c).map(|d| va(c, &e[d])).sum();
            let ffd: f64 = (0..nr).filter(|&d| d != c).map(|d| va(c, &y[d])).sum();
            let dfd: f64 = (0..nr).filter(|&o| o != c).map(|o| va(o, &y[c])).sum();
            close("EXGR", c, ct.EXGR.unwrap(), exgr)?;
            close("EXGR_DVA", c, ct.EXGR_DVA.unwrap(), dva)?;
            close("EXGR_FVA", c, ct.EXGR_FVA.unwrap(), fva)?;
            close("EXGR_DVAFX", c, ct.EXGR_DVAFX.unwrap(), dvafx)?;
            close("FFD_DVA", c, ct.FFD_DVA.unwrap(), ffd)?;
            close("DFD_FVA", c, ct.DFD_FVA.unwrap(), dfd)?;
            close("EXGR_INT", c, ct.EXGR_INT, e_int[c].iter().sum())?;
            close("EXGR_INT_DVA", c, ct.EXGR_INT_DVA, va(c, &e_int[c]))?;
            close("EXGR_INT_FVA", c, ct.EXGR_INT_FVA, (0..nr).filter(|&o| o != c).map(|o| va(o, &e_int[c])).sum())?;
            close("EXGR_INT_DVAFX", c, ct.EXGR_INT_DVAFX, (0..nr).filter(|&d| d != c).map(|d| va(c, &e_int[d])).sum())?;
            // Shares of gross exports.
            prop_assert!(exgr > 0.0);
            for (what, ours, want) in [
                ("EXGR_FVASH", ct.EXGR_FVASH.unwrap(), fva / exgr),
                ("GVC_backward", ct.GVC_backward.unwrap(), fva / exgr),
                ("GVC_forward", ct.GVC_forward.unwrap(), dvafx / exgr),
                ("GVC_total", ct.GVC_total.unwrap(), (fva + dvafx) / exgr),
            ] {
                prop_assert!((ours - want).abs() <= 1e-10 * (1.0 + want.abs()) * scale / exgr, "{what}[{c}]: sovra {ours} vs dense {want}");
            }
            // DVA + FVA = EXGR: value-added shares of every column sum to 1.
            prop_assert!((dva + fva - exgr).abs() <= 1e-10 * scale);
            prop_assert!((0.0..=1.0).contains(&ct.EXGR_FVASH.unwrap()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, .. ProptestConfig::default() })]

    /// The batched form (every country on its own against one bloc) gives what one call per country gives.
    #[test]
    fn each_equals_one_by_one(nr in 3usize..6, s in 1usize..4, seed in 0u64..100_000) {
        let t = table(nr, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let us: Vec<usize> = (1..nr).collect();
        let each = dependency::compute_each(&t, &sys, &us, &[0]).unwrap();
        let keys_each = keys::compute_each(&t, &sys, &us, &[0], 2).unwrap();
        for (k, &r) in us.iter().enumerate() {
            let p = Parties::new(&t, vec![r], vec![0]).unwrap();
            let one = dependency::compute(&t, &sys, &p).unwrap();
            let kone = keys::compute(&t, &sys, &p, 2).unwrap();
            prop_assert_eq!(&each[k].us, &one.us);
            prop_assert!(each[k].sectors.iter().all(|x| x.value_added_from_us.is_none()));
            for (a, b) in each[k].sectors.iter().zip(&one.sectors) {
                for (u, v) in [(a.value_added_from_them, b.value_added_from_them), (a.via_third_countries, b.via_third_countries),
                               (a.sales_total, b.sales_total),
                               (a.foreign_supplier_hhi, b.foreign_supplier_hhi), (a.direct_input_share, b.direct_input_share)] {
                    prop_assert!((u - v).abs() < 1e-10, "{u} vs {v}");
                }
            }
            for (a, b) in keys_each[k].sectors.iter().zip(&kone.sectors) {
                prop_assert_eq!(&a.node, &b.node);
                prop_assert!((a.exposed_output - b.exposed_output).abs() <= 1e-10 * b.exposed_output.max(1.0));
            }
        }
    }

    /// The kept part for them (a server keeps it between requests), reused for two different us, gives
    /// exactly what one full computation per us gives, value added of us included.
    #[test]
    fn kept_part_for_them_equals_full(nr in 3usize..6, s in 1usize..4, seed in 0u64..100_000) {
        let t = table(nr, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let on = dependency::on_them(&t, &sys, &[0]).unwrap();
        for us in [vec![1], (1..nr).collect::<Vec<_>>()] {
            let p = Parties::new(&t, us, vec![0]).unwrap();
            let full = dependency::compute(&t, &sys, &p).unwrap();
            let kept = dependency::compute_on(&t, &sys, &p, &on).unwrap();
            prop_assert_eq!(full.sectors.len(), kept.sectors.len());
            for (a, b) in full.sectors.iter().zip(&kept.sectors) {
                prop_assert_eq!(&a.node, &b.node);
                for (u, v) in [(a.value_added_from_them, b.value_added_from_them),
                               (a.via_third_countries, b.via_third_countries),
                               (a.value_added_from_us.unwrap(), b.value_added_from_us.unwrap()),
                               (a.sales_total, b.sales_total), (a.sales_direct, b.sales_direct)] {
                    prop_assert!((u - v).abs() < 1e-10, "{u} vs {v}");
                }
            }
            prop_assert_eq!(kept.solves.len(), full.solves.len() + 1);
        }
        let other = Parties::new(&t, vec![0], vec![1]).unwrap();
        prop_assert!(dependency::compute_on(&t, &sys, &other, &on).is_err());
    }
}
