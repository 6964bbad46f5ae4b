//! Conformance with pymrio 0.7.0: every number pymrio computes for its test MRIO and for the WIOD 2011 table
//! (when ../shared/data is present) — x, A, L, output multipliers, and per stressor S, M, D_cba, D_pba, D_imp,
//! D_exp and their per-region forms — must match sovra's to a relative tolerance of 1e-9, with an absolute
//! floor of 1e-12 × the largest magnitude of the array compared (for cells that are zero up to rounding).
//!
//! Besides that tolerance, the largest relative difference of each case must stay within ~100× what was
//! measured when the bound was set (figures next to the calls), so a drift far below 1e-9 still fails.
//!
//! The dumps come from `conformance/pymrio/run.sh` (run by `scripts/test`) in `$SOVRA_CONFORMANCE_DIR`.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

#[path = "../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

use std::path::{Path, PathBuf};

use sovra_analysis::footprint::{self, Stressor};
use sovra_analysis::{multipliers, system};
use sovra_core::{LeontiefSystem, Mrio, npy, read};

const RTOL: f64 = 1e-9;
const FLOOR: f64 = 1e-12;

fn dump_dir() -> Option<PathBuf> {
    let d = std::env::var_os("SOVRA_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/conformance"));
    let p = d.join("pymrio");
    if p.join("DONE").is_file() {
        return Some(p);
    }
    assert!(
        std::env::var_os("SOVRA_REQUIRE_CONFORMANCE").is_none(),
        "SOVRA_REQUIRE_CONFORMANCE is set but no pymrio dump is in {}",
        p.display()
    );
    eprintln!(
        "NOTICE: no pymrio dump in {}: run scripts/test (or conformance/pymrio/run.sh) first",
        p.display()
    );
    None
}

fn load(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let a = npy::read_f64(
        &mut std::fs::File::open(path).unwrap(),
        &path.display().to_string(),
    )
    .unwrap();
    (a.shape, a.data)
}

/// Compares arrays; returns the largest relative difference seen (for the report).
fn compare(what: &str, ours: &[f64], theirs: &[f64]) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let floor = FLOOR * scale;
    let mut worst = 0.0f64;
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let d = (a - b).abs();
        assert!(
            d <= RTOL * a.abs().max(b.abs()) + floor,
            "{what}[{i}]: sovra {a} vs pymrio {b} (scale {scale:e})"
        );
        if b.abs() > floor {
            worst = worst.max(d / b.abs());
        }
    }
    worst
}

fn check_case(dir: &Path, case: &str, expected: usize, measured_bound: f64) {
    let input = dir.join(case).join("input");
    let refd = dir.join(case).join("ref");
    let t: Mrio = read::pymrio::read(&input, case, None).unwrap();
    // Node order: pymrio's labels must be sovra's region-major order.
    let labels = std::fs::read_to_string(refd.join("labels_nodes.csv")).unwrap();
    let theirs: Vec<String> = labels
        .lines()
        .skip(1)
        .map(|l| l.replace(',', "/"))
        .collect();
    let ours: Vec<String> = (0..t.n()).map(|i| t.labels.node_label(i)).collect();
    assert_eq!(ours, theirs, "{case}: node order");
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let mut report = Vec::new();
    report.push((
        "x",
        compare(&format!("{case} x"), &t.x, &load(&refd.join("x.npy")).1),
    ));
    report.push((
        "A",
        compare(
            &format!("{case} A"),
            &system::technical_coefficients(&t).data,
            &load(&refd.join("A.npy")).1,
        ),
    ));
    let (l, rep) = system::leontief_inverse(&sys).unwrap();
    assert!(rep.max_relative_residual < 1e-12);
    report.push((
        "L",
        compare(&format!("{case} L"), &l.data, &load(&refd.join("L.npy")).1),
    ));
    let m = multipliers::compute(&t, &sys).unwrap();
    let om = load(&refd.join("output_multipliers.npy")).1;
    report.push((
        "output multipliers",
        compare(
            &format!("{case} output multipliers"),
            &m.output_multiplier,
            &om,
        ),
    ));

    // Extensions: every stressor row, every account.
    let mut exts: Vec<String> = std::fs::read_dir(&refd)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix("__stressors.csv")
                .map(String::from)
        })
        .collect();
    exts.sort();
    assert!(!exts.is_empty(), "{case}: no extensions dumped");
    for ext in exts {
        let names: Vec<String> =
            std::fs::read_to_string(refd.join(format!("{ext}__stressors.csv")))
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| {
                    l.rsplit_once(',')
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_default()
                })
                .collect();
        let rows: Vec<usize> = names
            .iter()
            .map(|n| {
                t.labels
                    .stressor_index(&format!("{ext}/{n}"))
                    .unwrap_or_else(|| panic!("{case}: stressor {ext}/{n}"))
            })
            .collect();
        let stressors: Vec<Stressor> = rows.iter().map(|&r| Stressor::Row(r)).collect();
        let s = multipliers::intensities(&t, &rows);
        let (mm, _) = multipliers::stressor_multipliers(&t, &sys, &rows).unwrap();
        let acc = footprint::accounts(&t, &sys, &stressors).unwrap();
        let ours: [(&str, Vec<Vec<f64>>); 10] = [
            ("S", s),
            ("M", mm),
            ("D_cba", acc.d_cba.clone()),
            ("D_pba", acc.d_pba.clone()),
            ("D_imp", acc.d_imp.clone()),
            ("D_exp", acc.d_exp.clone()),
            ("D_cba_reg", acc.d_cba_reg.clone()),
            ("D_pba_reg", acc.d_pba_reg.clone()),
            ("D_imp_reg", acc.d_imp_reg.clone()),
            ("D_exp_reg", acc.d_exp_reg.clone()),
        ];
        for (name, rows_ours) in ours {
            let (shape, theirs) = load(&refd.join(format!("{ext}__{name}.npy")));
            assert_eq!(
                shape[0],
                rows_ours.len(),
                "{case} {ext} {name}: stressor count"
            );
            let flat: Vec<f64> = rows_ours.concat();
            let w = compare(&format!("{case} {ext} {name}"), &flat, &theirs);
            report.push((name, w));
        }
    }
    let worst = report.iter().map(|r| r.1).fold(0.0, f64::max);
    // x, A, L, output multipliers and 10 accounts per extension.
    assert_eq!(report.len(), expected, "{case}: comparisons");
    assert!(
        worst <= measured_bound,
        "{case}: largest relative difference {worst:.2e} exceeds {measured_bound:.1e} (~100× the measured difference)"
    );
    eprintln!(
        "pymrio conformance {case}: {} nodes, {} comparisons, largest relative difference {worst:.2e} (tolerance {RTOL:e}, floor {FLOOR:e} × max)",
        t.n(),
        report.len()
    );
}

#[test]
fn pymrio_test_mrio() {
    if let Some(d) = dump_dir() {
        // 4 + 10 × 2 extensions; largest relative difference measured 9.05e-14 on 2026-12-01.
        check_case(&d, "test_mrio", 24, 9e-12);
    }
}

#[test]
fn pymrio_wiod2011() {
    let Some(d) = dump_dir() else { return };
    let Some(_) = shared_data::or_notice(
        "wiod2013/wiod2013_2011.csv.gz",
        "the WIOD 2011 pymrio conformance",
    ) else {
        return;
    };
    assert!(
        d.join("wiod2011").is_dir(),
        "../shared has WIOD 2011 but the pymrio dump lacks it: rerun conformance/pymrio/run.sh"
    );
    // 4 + 10 × 1 extension; largest relative difference measured 3.67e-13 on 2026-12-01.
    check_case(&d, "wiod2011", 14, 4e-11);
}
