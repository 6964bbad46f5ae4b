//! Property tests of the analyses on random productive tables: the accounting identities the field relies on.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use proptest::prelude::*;
use sovra_analysis::footprint::{self, Stressor};
use sovra_analysis::{linkages, multipliers, system};
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::Solve;
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

    /// Linkages against Rasmussen's definitions evaluated on dense inverses formed here: `L = (I − A)⁻¹` with
    /// `A = Z x̂⁻¹` and the Ghosh inverse `G = (I − B)⁻¹` with `B = x̂⁻¹ Z` (sovra never forms either).
    #[test]
    fn linkages_match_dense_inverses(r in 1usize..5, s in 1usize..5, seed in 0u64..100_000) {
        let t = table(r, s, seed);
        let n = t.n();
        prop_assert!(t.x.iter().all(|&v| v > 0.0));
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let lk = linkages::compute(&t, &sys).unwrap();
        let l = dense_inverse(n, |i, j| t.z.get(i, j) / t.x[j]);
        let g = dense_inverse(n, |i, j| t.z.get(i, j) / t.x[i]);
        let normalised = |v: Vec<f64>| -> Vec<f64> {
            let mean = v.iter().sum::<f64>() / n as f64;
            v.into_iter().map(|x| x / mean).collect()
        };
        let backward = normalised((0..n).map(|j| (0..n).map(|i| l[(i, j)]).sum()).collect());
        let forward = normalised((0..n).map(|i| (0..n).map(|j| l[(i, j)]).sum()).collect());
        let ghosh = normalised((0..n).map(|i| (0..n).map(|j| g[(i, j)]).sum()).collect());
        for (what, ours, want) in [("backward", &lk.backward, &backward), ("forward (Leontief)", &lk.forward_leontief, &forward), ("forward (Ghosh)", &lk.forward_ghosh, &ghosh)] {
            for i in 0..n {
                prop_assert!((ours[i] - want[i]).abs() <= 1e-10 * want[i].abs(), "{what}[{i}]: {} vs dense {}", ours[i], want[i]);
            }
        }
        // Key sectors, where neither linkage is within rounding of the threshold 1.
        for i in (0..n).filter(|&i| (backward[i] - 1.0).abs() > 1e-9 && (ghosh[i] - 1.0).abs() > 1e-9) {
            prop_assert_eq!(lk.key[i], backward[i] > 1.0 && ghosh[i] > 1.0, "key[{}]", i);
        }
    }
}

/// `(I − C)⁻¹` for the `n × n` matrix `C` given by its entries, by a dense LU solve against the identity.
fn dense_inverse(n: usize, c: impl Fn(usize, usize) -> f64) -> Mat<f64> {
    let m = Mat::<f64>::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - c(i, j));
    let mut inv = Mat::<f64>::identity(n, n);
    m.partial_piv_lu().solve_in_place(inv.as_mut());
    inv
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
