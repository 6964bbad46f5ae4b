//! The Leontief solver: LU and GMRES agree, residuals are reported, non-productive tables are rejected with
//! the offending nodes named, and property tests on random productive tables.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use proptest::prelude::*;
use sovra_core::faer::Mat;
use sovra_core::{Dense, Error, LeontiefSystem, Method, Side, synth};

fn spec(regions: usize, sectors: usize, seed: u64, density: f64) -> synth::Spec {
    synth::Spec {
        regions,
        sectors,
        categories: 2,
        stressors: 1,
        import_density: density,
        seed,
    }
}

fn rhs(n: usize, k: usize) -> Mat<f64> {
    Mat::from_fn(n, k, |i, j| ((i * 31 + j * 17) % 11) as f64 + 0.5)
}

#[test]
fn lu_and_gmres_agree_dense_and_sparse() {
    for density in [0.9, 0.02] {
        let t = synth::table("t", spec(12, 9, 7, density)).unwrap();
        let mut sys = LeontiefSystem::from_table(&t).unwrap();
        assert_eq!(sys.is_sparse(), density < 0.1, "density {density}");
        for side in [Side::Forward, Side::Transposed] {
            let b = rhs(t.n(), 5);
            sys.method = Method::Lu;
            let (x1, r1) = sys.solve(b.as_ref(), side).unwrap();
            sys.method = Method::Iterative;
            let (x2, r2) = sys.solve(b.as_ref(), side).unwrap();
            assert_eq!((r1.method, r2.method), ("lu", "gmres"));
            assert!(r2.iterations > 0);
            assert!(
                r1.max_relative_residual < 1e-13 && r2.max_relative_residual < 1e-12,
                "{r1:?} {r2:?}"
            );
            for i in 0..t.n() {
                for j in 0..5 {
                    assert!((x1[(i, j)] - x2[(i, j)]).abs() <= 1e-10 * x1[(i, j)].abs().max(1.0));
                }
            }
        }
    }
}

#[test]
fn full_inverse_on_request_matches_solves() {
    let t = synth::table("t", spec(4, 3, 3, 0.5)).unwrap();
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let (l, rep) = sys.leontief_inverse().unwrap();
    assert!(rep.max_relative_residual < 1e-13);
    let y = t.y.row_sums();
    for i in 0..t.n() {
        let xi: f64 = (0..t.n()).map(|j| l[(i, j)] * y[j]).sum();
        assert!((xi - t.x[i]).abs() < 1e-9 * t.x[i]);
    }
}

#[test]
fn non_productive_matrix_names_nodes() {
    // Columns 0 and 1 sum to 1.1 and 1.8 (inputs exceed output) and ρ(A) ≈ 1.29: the system must refuse, naming that node.
    let a = Dense::from_vec(3, 3, vec![0.4, 1.0, 0.0, 0.7, 0.5, 0.1, 0.0, 0.3, 0.2]).unwrap();
    let mut labels = synth::table("t", spec(3, 1, 1, 0.5)).unwrap().labels;
    labels.final_demand.clear();
    match LeontiefSystem::from_coefficients(a, Some(labels)) {
        Err(Error::NonProductive { nodes, .. }) => assert!(nodes.contains("R02/S01"), "{nodes}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("accepted a non-productive A"),
    }
    // A column sum above 1 is allowed when the whole matrix is still productive (ρ < 1).
    let ok = Dense::from_vec(2, 2, vec![0.5, 0.0, 0.6, 0.1]).unwrap();
    assert!(LeontiefSystem::from_coefficients(ok, None).is_ok());
    // ρ = 1 exactly: singular.
    let sing = Dense::from_vec(2, 2, vec![0.5, 0.5, 0.5, 0.5]).unwrap();
    assert!(matches!(
        LeontiefSystem::from_coefficients(sing, None),
        Err(Error::NonProductive { .. })
    ));
}

#[test]
fn cost_model_prefers_gmres_for_few_and_lu_for_many_rhs() {
    // Tiny systems: an LU is cheaper than any iteration.
    let small = synth::table("t", spec(3, 3, 5, 0.8)).unwrap();
    assert_eq!(
        LeontiefSystem::from_table(&small).unwrap().choose(1),
        Method::Lu
    );
    let t = synth::table("t", spec(40, 25, 5, 0.8)).unwrap();
    let sys = LeontiefSystem::from_table(&t).unwrap();
    assert_eq!(sys.choose(1), Method::Iterative);
    assert_eq!(sys.choose(t.n()), Method::Lu);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// x = L y and (I − A) x = y on random productive tables, by both methods.
    #[test]
    fn output_identities(regions in 1usize..6, sectors in 1usize..6, seed in 0u64..10_000, dense in proptest::bool::ANY) {
        let t = synth::table("p", spec(regions, sectors, seed, if dense { 0.8 } else { 0.1 })).unwrap();
        let n = t.n();
        let y = t.y.row_sums();
        let mut sys = LeontiefSystem::from_table(&t).unwrap();
        for m in [Method::Lu, Method::Iterative] {
            sys.method = m;
            let (x, rep) = sys.solve(Mat::from_fn(n, 1, |i, _| y[i]).as_ref(), Side::Forward).unwrap();
            prop_assert!(rep.max_relative_residual < 1e-11);
            for i in 0..n {
                prop_assert!((x[(i, 0)] - t.x[i]).abs() <= 1e-9 * t.x[i].abs().max(1e-12));
            }
            // (I − A) x = y checked directly from Z: x_i − Σ_j Z_ij = y_i.
            for i in 0..n {
                let lhs = x[(i, 0)] - (0..n).map(|j| t.z.get(i, j) / t.x[j] * x[(j, 0)]).sum::<f64>();
                prop_assert!((lhs - y[i]).abs() <= 1e-9 * t.x[i]);
            }
        }
    }
}

#[test]
fn restricted_systems_are_kept_for_the_same_regions() {
    let t = synth::table("t", spec(6, 4, 3, 0.9)).unwrap();
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let first = sys.restricted_to_regions(&[0, 2, 5]).unwrap();
    let again = sys.restricted_to_regions(&[0, 2, 5]).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "the same regions reuse the system"
    );
    let other = sys.restricted_to_regions(&[1, 2]).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &other));
    assert_eq!((first.n(), other.n()), (12, 8));
    // The kept system answers as a fresh one does: (I − A_SS) x = b against the submatrix built by hand.
    let a = sys.a_dense();
    let nodes: Vec<usize> = [0usize, 2, 5]
        .iter()
        .flat_map(|&r| r * 4..r * 4 + 4)
        .collect();
    let b = rhs(12, 1);
    let (x, rep) = again.solve(b.as_ref(), Side::Forward).unwrap();
    assert!(rep.max_relative_residual < 1e-10, "{rep:?}");
    for (k, &i) in nodes.iter().enumerate() {
        let ax: f64 = nodes
            .iter()
            .enumerate()
            .map(|(l, &j)| a.data[i * a.cols + j] * x[(l, 0)])
            .sum();
        assert!((x[(k, 0)] - ax - b[(k, 0)]).abs() < 1e-9, "row {k}");
    }
}
