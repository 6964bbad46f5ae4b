//! The monitoring indicators and the structural decomposition on tables small enough to compute by hand, and
//! their identities on random tables: self-sufficiency + import penetration = (Q + M) / (Q − X + M), sectors
//! and regions adding up, the six effects adding up to the change, no change giving zero effects, and the
//! decomposition against a dense-inverse implementation of the textbook polar forms.

use proptest::prelude::*;
use sovra_analysis::decompose::{self, Decomposition};
use sovra_analysis::dependency::Parties;
use sovra_analysis::monitoring::{self, Kpis, Scope, trend};
use sovra_core::labels::{Code, FdColumn, Labels};
use sovra_core::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};
use sovra_core::{LeontiefSystem, synth};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

/// A table of `regions` × `sectors` with one final-demand column per destination region.
fn table(regions: &[&str], sectors: usize, z: Vec<f64>, y: Vec<f64>) -> Mrio {
    let n = regions.len() * sectors;
    let k = regions.len();
    Mrio::from_parts(
        Parts {
            labels: Labels {
                regions: regions.iter().map(|c| Code::bare(*c)).collect(),
                sectors: (0..sectors).map(|s| Code::bare(format!("s{s}"))).collect(),
                final_demand: regions
                    .iter()
                    .map(|r| FdColumn {
                        region: r.to_string(),
                        category: "final".into(),
                    })
                    .collect(),
                stressors: vec![],
            },
            z: Dense::from_vec(n, n, z).unwrap(),
            y: Dense::from_vec(n, k, y).unwrap(),
            x: None,
            v: None,
            f: None,
            f_y: None,
            provenance: Provenance::default(),
        },
        BalanceTolerance::default(),
    )
    .unwrap()
}

/// H (us), T (them), R (third), one sector. T sells H inputs 10 and final goods 8; R sells H inputs 10 and
/// final goods 2; H uses 20 of its own output and sells 10 to T's final demand; T sells R inputs 5.
fn hand() -> Mrio {
    #[rustfmt::skip]
    let z = vec![
        20.0, 0.0, 0.0,
        10.0, 0.0, 5.0,
        10.0, 0.0, 0.0,
    ];
    #[rustfmt::skip]
    let y = vec![
        50.0, 10.0, 0.0,
        8.0, 100.0, 0.0,
        2.0, 0.0, 40.0,
    ];
    table(&["HHH", "TTT", "RRR"], 1, z, y)
}

fn kpis(t: &Mrio, us: Vec<usize>, them: Vec<usize>, scope: Vec<usize>) -> Kpis {
    let sys = LeontiefSystem::from_table(t).unwrap();
    let p = Parties::new(t, us, them).unwrap();
    let k = monitoring::year_kpis(
        t,
        &sys,
        &p,
        &[Scope {
            name: "G".into(),
            regions: scope,
        }],
        false,
    )
    .unwrap();
    k.rows[0].kpis.clone()
}

#[test]
fn every_indicator_by_hand() {
    let t = hand();
    assert_eq!(t.x, vec![80.0, 123.0, 52.0]);
    let k = kpis(&t, vec![0], vec![1], vec![0]);
    // Q 80; M = (10 + 8) from T + (10 + 2) from R = 30; X = 10 (to T's final demand); Q − X + M = 100.
    assert_eq!(
        (k.output, k.imports, k.exports, k.apparent_consumption),
        (80.0, 30.0, 10.0, 100.0)
    );
    assert!(close(k.import_penetration.unwrap(), 0.3, 1e-15));
    assert!(close(k.self_sufficiency.unwrap(), 0.8, 1e-15));
    assert_eq!(k.imports_from_them, 18.0);
    assert!(close(k.imports_from_them_share.unwrap(), 0.6, 1e-15));
    // Inputs of H: 20 + 10 + 10 = 40, 10 from T; foreign: T 10, R 10 → HHI ½.
    assert!(close(k.direct_input_share.unwrap(), 0.25, 1e-15));
    assert!(close(k.foreign_supplier_hhi.unwrap(), 0.5, 1e-15));
    // T buys no inputs: ν_T = 1. Column H of L: l_H = 1/(1 − ¼) = 4/3, l_R = ⅛·4/3 = 1/6,
    // l_T = ⅛·4/3 + (5/52)·(1/6) = 19/104. Restricted to {H, T}: l'_T = 1/6, so via third = 5/312.
    assert!(close(k.va_from_them.unwrap(), 19.0 / 104.0, 1e-14));
    assert!(close(k.va_via_third.unwrap(), 5.0 / 312.0, 1e-13));
    // D = w f_H with f_H = (50, 8, 2), w = (19/104, 1, 5/52): 950/104 + 8 + 10/52.
    let d = 950.0 / 104.0 + 8.0 + 10.0 / 52.0;
    assert!(close(k.fva_final_demand.unwrap(), d, 1e-14));
    assert!(close(k.fva_final_demand_share.unwrap(), d / 60.0, 1e-14));
}

#[test]
fn trade_inside_a_bloc_is_internal() {
    let t = hand();
    // Us = H + R: R's sales to H are internal; imports are T's sales to H and R (10 + 8 + 5 + 0).
    let k = kpis(&t, vec![0, 2], vec![1], vec![0, 2]);
    assert_eq!(
        (k.output, k.imports, k.exports, k.imports_from_them),
        (132.0, 23.0, 10.0, 23.0)
    );
    assert!(close(k.import_penetration.unwrap(), 23.0 / 145.0, 1e-15));
    // A member of the bloc on its own still imports from the other member.
    let h = kpis(&t, vec![0, 2], vec![1], vec![0]);
    assert_eq!((h.imports, h.imports_from_them), (30.0, 18.0));
}

#[test]
fn negative_absorption_is_undefined_with_its_reason() {
    // H's own final demand is −5 (a fall of inventories): Q 15, X 20, M 0 → Q − X + M = −5.
    let t = table(
        &["HHH", "TTT"],
        1,
        vec![0.0; 4],
        vec![-5.0, 20.0, 0.0, 10.0],
    );
    let k = kpis(&t, vec![0], vec![1], vec![0]);
    assert_eq!(k.apparent_consumption, -5.0);
    assert_eq!(k.import_penetration, None);
    assert_eq!(k.self_sufficiency, None);
    assert!(
        k.reason("import_penetration", true)
            .unwrap()
            .contains("Q − X + M ≤ 0")
    );
    assert_eq!(k.imports_from_them_share, None);
    assert_eq!(
        k.reason("imports_from_them_share", true),
        Some("no imports (M = 0)")
    );
    assert_eq!(k.reason("output", true), None);
}

#[test]
fn trends_by_hand() {
    let s = [
        (2000, Some(0.5)),
        (2001, None),
        (2002, Some(0.4)),
        (2003, Some(0.3)),
        (2004, Some(0.32)),
    ];
    let tr = trend(&s, 3).unwrap();
    assert_eq!(tr.first, (2000, 0.5));
    assert_eq!(tr.last, (2004, 0.32));
    assert!(close(tr.change, -0.18, 1e-12));
    assert!(close(
        tr.cagr.unwrap(),
        (0.32f64 / 0.5).powf(0.25) - 1.0,
        1e-12
    ));
    // Last three points (2002, .4), (2003, .3), (2004, .32): slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = −0.08/2.
    assert!(close(tr.slope.unwrap(), -0.04, 1e-12));
    assert_eq!(trend(&[(2000, Some(1.0))], 5).unwrap().slope, None);
    assert!(trend(&[(2000, None)], 5).is_none());
}

/// Two years of the hand table: `f` scaled, `ν` changed through T's inputs, or both.
fn decompose_pair(t0: &Mrio, t1: &Mrio, us: usize, them: usize) -> Decomposition {
    let (s0, s1) = (
        LeontiefSystem::from_table(t0).unwrap(),
        LeontiefSystem::from_table(t1).unwrap(),
    );
    let p = Parties::new(t0, vec![us], vec![them]).unwrap();
    decompose::decompose(t0, &s0, t1, &s1, &p).unwrap()
}

fn scaled_final_demand(t: &Mrio, factor: f64) -> Mrio {
    let regions: Vec<&str> = t.labels.regions.iter().map(|c| c.code.as_str()).collect();
    let y: Vec<f64> = t.y.data.iter().map(|v| v * factor).collect();
    // Keep A: scale Z with output, which scales with final demand.
    let z: Vec<f64> = t.z.data.iter().map(|v| v * factor).collect();
    table(&regions, t.labels.sectors.len(), z, y)
}

#[test]
fn no_change_gives_zero_effects_and_a_pure_level_change_is_all_level() {
    let t = hand();
    let same = decompose_pair(&t, &t, 0, 1);
    assert_eq!(same.total(), 0.0);
    assert!(
        same.effects.iter().all(|e| e.abs() < 1e-12),
        "{:?}",
        same.effects
    );
    // Everything doubled: A, ν and the mix are unchanged; D doubles, all of it the level effect.
    let t2 = scaled_final_demand(&t, 2.0);
    let d = decompose_pair(&t, &t2, 0, 1);
    assert!(close(d.d1, 2.0 * d.d0, 1e-13));
    assert!(close(d.effects[3], d.d0, 1e-13), "{:?}", d.effects);
    for k in [0, 1, 2, 4, 5] {
        assert!(d.effects[k].abs() < 1e-12, "effect {k}: {:?}", d.effects);
    }
    // D₀ by hand (the same as fva_final_demand).
    assert!(close(d.d0, 950.0 / 104.0 + 8.0 + 10.0 / 52.0, 1e-14));
}

/// The hand table with T buying `own` of its own output as input (and selling that much less to its own
/// final demand, so that its output stays 123).
fn hand_own_input(own: f64) -> Mrio {
    #[rustfmt::skip]
    let z = vec![
        20.0, 0.0, 0.0,
        10.0, own, 5.0,
        10.0, 0.0, 0.0,
    ];
    #[rustfmt::skip]
    let y = vec![
        50.0, 10.0, 0.0,
        8.0, 100.0 - own, 0.0,
        2.0, 0.0, 40.0,
    ];
    table(&["HHH", "TTT", "RRR"], 1, z, y)
}

#[test]
fn their_value_added_coefficient_against_their_technology() {
    // T buys 10, then 20, of its own output: ν_T falls from 113/123 to 103/123 while L_TT rises from
    // 123/113 to 123/103, so the value of T per unit of its output, ν_T L_TT = 1, and D do not change:
    // the value-added effect and the technology effect cancel exactly. Sourcing (T is its only supplier),
    // the level, mix and sourcing of final demand do not change.
    let d = decompose_pair(&hand_own_input(10.0), &hand_own_input(20.0), 0, 1);
    assert!(close(d.d1, d.d0, 1e-13), "{} vs {}", d.d1, d.d0);
    assert!(close(d.d0, 950.0 / 104.0 + 8.0 + 10.0 / 52.0, 1e-13));
    assert!(d.effects[0] < -1.0 && d.effects[1] > 1.0, "{:?}", d.effects);
    assert!(close(d.effects[0], -d.effects[1], 1e-12), "{:?}", d.effects);
    for k in 2..6 {
        assert!(d.effects[k].abs() < 1e-12, "effect {k}: {:?}", d.effects);
    }
    // By hand: Δν_T = −10/123 on every unit of T's output counted once, averaged over L₀ and L₁:
    // ½ (−10/123) (l₁ + l₀) · f with l_t the T row of L_t: (L f)_T is 2703/156 in the hand table scaled by
    // 123/113 in year 0 and 123/103 in year 1.
    let lf = 2703.0 / 156.0;
    let want = 0.5 * (-10.0 / 123.0) * (lf * 123.0 / 103.0 + lf * 123.0 / 113.0);
    assert!(
        close(d.effects[0], want, 1e-12),
        "{} vs {want}",
        d.effects[0]
    );
}

// ---- against the textbook on random tables ----

/// A dense inverse of `I − A` by Gauss–Jordan (independent of the solver under test).
fn leontief(t: &Mrio) -> Vec<Vec<f64>> {
    let n = t.n();
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut row: Vec<f64> = (0..n)
                .map(|j| {
                    let a = if t.x[j] != 0.0 {
                        t.z.get(i, j) / t.x[j]
                    } else {
                        0.0
                    };
                    if i == j { 1.0 - a } else { -a }
                })
                .collect();
            row.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            .unwrap();
        m.swap(c, p);
        let d = m[c][c];
        m[c].iter_mut().for_each(|v| *v /= d);
        for r in 0..n {
            if r != c {
                let f = m[r][c];
                if f != 0.0 {
                    let pc = m[c].clone();
                    m[r].iter_mut().zip(&pc).for_each(|(v, q)| *v -= f * q);
                }
            }
        }
    }
    m.into_iter().map(|r| r[n..].to_vec()).collect()
}

/// The doc's formulas with dense matrices: `S`, `Ā`, `F`, `m`, `σ` formed explicitly.
fn textbook(t0: &Mrio, t1: &Mrio, us: &[usize], them: &[usize]) -> [f64; 6] {
    let n = t0.n();
    let ns = t0.labels.sectors.len();
    let l = [leontief(t0), leontief(t1)];
    let a = |t: &Mrio, i: usize, j: usize| {
        if t.x[j] != 0.0 {
            t.z.get(i, j) / t.x[j]
        } else {
            0.0
        }
    };
    let abar = |t: &Mrio, i: usize, j: usize| {
        (0..n)
            .filter(|k| k % ns == i % ns)
            .map(|k| a(t, k, j))
            .sum::<f64>()
    };
    let s = |t: &Mrio, i: usize, j: usize| {
        let b = abar(t, i, j);
        if b != 0.0 { a(t, i, j) / b } else { 0.0 }
    };
    let nu = |t: &Mrio| -> Vec<f64> {
        let sh = t.va_shares();
        (0..n)
            .map(|i| if them.contains(&(i / ns)) { sh[i] } else { 0.0 })
            .collect()
    };
    let f = |t: &Mrio| decompose::our_final_demand(t, us).unwrap();
    let (nu0, nu1, f0, f1) = (nu(t0), nu(t1), f(t0), f(t1));
    let row_l = |v: &[f64], l: &Vec<Vec<f64>>| -> Vec<f64> {
        (0..n)
            .map(|j| (0..n).map(|i| v[i] * l[i][j]).sum())
            .collect()
    };
    let l_col = |l: &Vec<Vec<f64>>, v: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| (0..n).map(|j| l[i][j] * v[j]).sum())
            .collect()
    };
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let dnu: Vec<f64> = nu1.iter().zip(&nu0).map(|(a, b)| a - b).collect();
    let va = 0.5 * (dot(&row_l(&dnu, &l[1]), &f1) + dot(&row_l(&dnu, &l[0]), &f0));
    let mut e = [va, 0.0, 0.0, 0.0, 0.0, 0.0];
    // ΔA split.
    let mut dt = vec![vec![0.0; n]; n];
    let mut ds = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            dt[i][j] = 0.5 * (s(t0, i, j) + s(t1, i, j)) * (abar(t1, i, j) - abar(t0, i, j));
            ds[i][j] = 0.5 * (s(t1, i, j) - s(t0, i, j)) * (abar(t0, i, j) + abar(t1, i, j));
        }
    }
    let (r0, r1) = (row_l(&nu0, &l[1]), row_l(&nu1, &l[1]));
    let (c1, c0) = (l_col(&l[0], &f1), l_col(&l[0], &f0));
    let quad = |r: &[f64], m: &Vec<Vec<f64>>, c: &[f64]| -> f64 {
        (0..n)
            .map(|i| r[i] * (0..n).map(|j| m[i][j] * c[j]).sum::<f64>())
            .sum()
    };
    e[1] = 0.5 * (quad(&r0, &dt, &c1) + quad(&r1, &dt, &c0));
    e[2] = 0.5 * (quad(&r0, &ds, &c1) + quad(&r1, &ds, &c0));
    let factors = |f: &[f64]| {
        let ft: f64 = f.iter().sum();
        let mut p = vec![0.0; ns];
        for (k, v) in f.iter().enumerate() {
            p[k % ns] += v;
        }
        let m: Vec<f64> = (0..n).map(|k| p[k % ns] / ft).collect();
        let sg: Vec<f64> = (0..n).map(|k| f[k] / p[k % ns]).collect();
        (ft, m, sg)
    };
    let ((ff0, m0, s0), (ff1, m1, s1)) = (factors(&f0), factors(&f1));
    let (w0, w1) = (row_l(&nu0, &l[0]), row_l(&nu1, &l[1]));
    let v = |g: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..n).map(g).collect() };
    e[3] = 0.5
        * (dot(&w0, &v(&|k| (ff1 - ff0) * m1[k] * s1[k]))
            + dot(&w1, &v(&|k| (ff1 - ff0) * m0[k] * s0[k])));
    e[4] = 0.5
        * (dot(&w0, &v(&|k| ff0 * (m1[k] - m0[k]) * s1[k]))
            + dot(&w1, &v(&|k| ff1 * (m1[k] - m0[k]) * s0[k])));
    e[5] = 0.5
        * (dot(&w0, &v(&|k| ff0 * m0[k] * (s1[k] - s0[k])))
            + dot(&w1, &v(&|k| ff1 * m1[k] * (s1[k] - s0[k]))));
    e
}

fn random_table(seed: u64, regions: usize, sectors: usize) -> Mrio {
    synth::table(
        "p",
        synth::Spec {
            regions,
            sectors,
            categories: 2,
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn identities_hold_on_random_tables(seed in 0u64..10_000, regions in 3usize..6, sectors in 1usize..4) {
        let t = random_table(seed, regions, sectors);
        prop_assume!(t.labels.fd_destinations().is_some());
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let p = Parties::new(&t, vec![0, 1], vec![2]).unwrap();
        let scopes = [
            Scope { name: "US".into(), regions: vec![0, 1] },
            Scope { name: "A".into(), regions: vec![0] },
            Scope { name: "B".into(), regions: vec![1] },
        ];
        let k = monitoring::year_kpis(&t, &sys, &p, &scopes, true).unwrap();
        let per = sectors + 1;
        for block in k.rows.chunks(per) {
            let all = &block[0].kpis;
            // self-sufficiency + import penetration = (Q + M) / (Q − X + M)
            for r in block {
                let q = &r.kpis;
                if let (Some(ss), Some(ip)) = (q.self_sufficiency, q.import_penetration) {
                    prop_assert!(close(ss + ip, (q.output + q.imports) / q.apparent_consumption, 1e-12));
                }
            }
            // Sectors add up to all products.
            for key in ["output", "imports", "exports", "imports_from_them", "fva_final_demand"] {
                let s: f64 = block[1..].iter().map(|r| r.kpis.get(key).unwrap()).sum();
                prop_assert!(close(s, all.get(key).unwrap(), 1e-11), "{key}: {s} vs {:?}", all.get(key));
            }
        }
        // The bloc's output and D are its members'; its imports are theirs less their trade with each other.
        let (us, a, b) = (&k.rows[0].kpis, &k.rows[per].kpis, &k.rows[2 * per].kpis);
        prop_assert!(close(us.output, a.output + b.output, 1e-12));
        prop_assert!(close(us.fva_final_demand.unwrap(), a.fva_final_demand.unwrap() + b.fva_final_demand.unwrap(), 1e-12));
        prop_assert!(close(a.imports + b.imports - us.imports, a.exports + b.exports - us.exports, 1e-11));
    }

    #[test]
    fn decomposition_adds_up_and_matches_the_textbook(seed in 0u64..10_000, regions in 3usize..5, sectors in 1usize..4) {
        let t0 = random_table(seed, regions, sectors);
        let t1 = random_table(seed + 7919, regions, sectors);
        prop_assume!(t0.labels.fd_destinations().is_some());
        let d = decompose_pair(&t0, &t1, 0, 1);
        let sum: f64 = d.effects.iter().sum();
        prop_assert!(close(sum, d.total(), 1e-9), "{sum} vs {}", d.total());
        let by: f64 = d.by_sector.iter().map(|s| s.effects.iter().sum::<f64>()).sum();
        prop_assert!(close(by, d.total(), 1e-9));
        let want = textbook(&t0, &t1, &[0], &[1]);
        for (k, w) in want.iter().enumerate() {
            prop_assert!(close(d.effects[k], *w, 1e-9), "effect {k}: {} vs {}", d.effects[k], want[k]);
        }
        let same = decompose_pair(&t0, &t0, 0, 1);
        prop_assert!(same.effects.iter().all(|e| e.abs() <= 1e-12 * same.d0.abs().max(1.0)));
    }
}
