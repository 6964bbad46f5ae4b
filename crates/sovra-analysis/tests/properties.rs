//! Property tests of the analyses on random productive tables: the accounting identities the field relies on.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use proptest::prelude::*;
use sovra_analysis::footprint::{self, Stressor};
use sovra_analysis::{linkages, multipliers, system};
use sovra_core::{LeontiefSystem, Method, synth};

fn table(regions: usize, sectors: usize, seed: u64) -> sovra_core::Mrio {
    synth::table(
        "p",
        synth::Spec {
            regions,
            sectors,
            categories: 3,
            stressors: 2,
            import_density: 0.6,
            seed,
        },
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    /// Σᵢ νᵢ L_ij = 1 for every node: all value is value added somewhere.
    #[test]
    fn value_added_multipliers_are_one(r in 1usize..6, s in 1usize..5, seed in 0u64..100_000, lu in proptest::bool::ANY) {
        let t = table(r, s, seed);
        let mut sys = LeontiefSystem::from_table(&t).unwrap();
        sys.method = if lu { Method::Lu } else { Method::Iterative };
        let m = multipliers::compute(&t, &sys).unwrap();
        for j in 0..t.n() {
            prop_assert!((m.value_added_multiplier[j] - 1.0).abs() < 1e-10, "node {j}: {}", m.value_added_multiplier[j]);
            prop_assert!(m.output_multiplier[j] >= 1.0 - 1e-12);
        }
    }

    /// cba = pba + imp − exp for every region and stressor (with F_Y on both sides), and world cba = world pba.
    #[test]
    fn footprint_balance(r in 1usize..6, s in 1usize..5, seed in 0u64..100_000) {
        let t = table(r, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let acc = footprint::accounts(&t, &sys, &[Stressor::ValueAdded, Stressor::Row(0), Stressor::Row(1)]).unwrap();
        // The per-region accounts from forward solves only agree with the per-node ones summed.
        let reg = footprint::accounts_by_region(&t, &sys, &[Stressor::ValueAdded, Stressor::Row(0), Stressor::Row(1)]).unwrap();
        for k in 0..3 {
            let scale: f64 = acc.d_pba_reg[k].iter().map(|v| v.abs()).sum::<f64>().max(1e-300);
            for (a, b) in [(&acc.d_cba_reg, &reg.d_cba_reg), (&acc.d_imp_reg, &reg.d_imp_reg), (&acc.d_exp_reg, &reg.d_exp_reg), (&acc.d_pba_reg, &reg.d_pba_reg)] {
                for r in 0..t.labels.regions.len() {
                    prop_assert!((a[k][r] - b[k][r]).abs() <= 1e-10 * scale, "{} vs {}", a[k][r], b[k][r]);
                }
            }
        }
        for k in 0..3 {
            let scale: f64 = acc.d_pba_reg[k].iter().map(|v| v.abs()).sum();
            for reg in 0..r {
                let lhs = acc.d_cba_reg[k][reg];
                let rhs = acc.d_pba_reg[k][reg] + acc.d_imp_reg[k][reg] - acc.d_exp_reg[k][reg];
                prop_assert!((lhs - rhs).abs() <= 1e-10 * scale, "stressor {k} region {reg}: {lhs} vs {rhs}");
            }
            let (c, p): (f64, f64) = (acc.d_cba_reg[k].iter().sum(), acc.d_pba_reg[k].iter().sum());
            prop_assert!((c - p).abs() <= 1e-10 * scale);
        }
        // Value-added footprint of a region = its final demand (every dollar ends up as value added).
        let yr = footprint::demand_by_region(&t).unwrap();
        for reg in 0..r {
            let fd: f64 = yr[reg].iter().sum();
            prop_assert!((acc.d_cba_reg[0][reg] - fd).abs() <= 1e-9 * fd);
        }
        // With one region nothing is imported or exported.
        if r == 1 {
            let scale: f64 = acc.d_pba_reg[0][0].abs();
            prop_assert!(acc.d_imp_reg[0][0].abs() < 1e-9 * scale && acc.d_exp_reg[0][0].abs() < 1e-9 * scale);
        }
    }

    /// Linkages average 1, and the Ghosh forward linkage equals x̂⁻¹ L x normalised.
    #[test]
    fn linkages_are_normalised(r in 1usize..5, s in 1usize..5, seed in 0u64..100_000) {
        let t = table(r, s, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let lk = linkages::compute(&t, &sys).unwrap();
        let n = t.n() as f64;
        for v in [&lk.backward, &lk.forward_leontief, &lk.forward_ghosh] {
            prop_assert!((v.iter().sum::<f64>() / n - 1.0).abs() < 1e-12);
        }
        let (g, _) = system::ghosh_inverse(&t, &sys).unwrap();
        let rows: Vec<f64> = (0..t.n()).map(|i| g.row(i).iter().sum()).collect();
        let mean = rows.iter().sum::<f64>() / n;
        for i in 0..t.n() {
            prop_assert!((rows[i] / mean - lk.forward_ghosh[i]).abs() < 1e-10);
        }
    }
}

#[test]
fn output_check_reproduces_x() {
    let t = table(4, 3, 9);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let (err, rep) = system::output_check(&t, &sys).unwrap();
    assert!(
        err < 1e-10 && rep.max_relative_residual < 1e-12,
        "{err} {rep:?}"
    );
    // B = x̂⁻¹ Z rows and A = Z x̂⁻¹ columns relate through x.
    let a = system::technical_coefficients(&t);
    let b = system::allocation_coefficients(&t);
    for i in 0..t.n() {
        for j in 0..t.n() {
            assert!(
                (a.get(i, j) * t.x[j] - b.get(i, j) * t.x[i]).abs()
                    < 1e-9 * t.z.get(i, j).abs().max(1e-9)
            );
        }
    }
}

#[test]
fn footprint_needs_final_demand_by_destination() {
    let mut t = table(2, 2, 1);
    for c in &mut t.labels.final_demand {
        c.region = "WLD".into();
    }
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let e = footprint::accounts(&t, &sys, &[Stressor::ValueAdded])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not split by destination region"), "{e}");
    let e = Stressor::parse(&t, "nitrogen").unwrap_err().to_string();
    assert!(
        e.contains("choose one of: value added, stressor1, stressor2"),
        "{e}"
    );
}
