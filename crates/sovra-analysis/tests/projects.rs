//! Import-substitution projects: a case small enough to compute by hand, properties on random tables
//! (checked against a dense inverse computed here from the textbook definition), and the selection against
//! brute force over every subset.
//!
//! The hand case: regions HHH (us, host), TTT (them), RRR (third); sectors 0 and 1; node order H0 H1 T0 T1
//! R0 R1. Flows: T0→H1 20, T1→H0 10. Final demand (not split by destination): H0 50, H1 100, T0 80,
//! T1 10, R0 10, R1 10. Output: H0 50, H1 100, T0 100, T1 20, R0 10, R1 10. Value added: H0 40, H1 80, the
//! rest equal to output, so ν = 0.8 for H0 and H1, 1 elsewhere. `A` has T0→H1 0.2 and T1→H0 0.2 and
//! `A² = 0`, so `L = I + A`.
//! - `D = Σ_{i∈T} Σ_{j∈U} ν_i L_ij y_j = 1·0.2·100 (T0 in H1) + 1·0.2·50 (T1 in H0) = 30`.
//! - A project in H, sector 0, replacing TTT's sales of product 0 to HHH (`S = 20`), capacity 15: `f = 0.75`,
//!   `A'(T0,H1) = 0.05`, `A'(H0,H1) = 0.15`; now `L'(T1,H1) = 0.2·0.15 = 0.03`, so
//!   `D' = 0.05·100 + 0.2·50 + 0.03·100 = 18` and `ΔD = 12`; `x'(H0) = 50 + 0.15·100 = 65`, so
//!   `ΔV = 0.8·15 = 12`.
//! - With capacity 30 it substitutes all 20 (`f = 1`): `D' = 0 + 10 + 0.2·0.2·100 = 14`, `ΔD = 16`,
//!   `x'(H0) = 70`, `ΔV = 16`, and the capacity exceeds what can be substituted.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use proptest::prelude::*;
use sovra_analysis::projects::select::{self, Backend, Candidate, Limits, SelectError};
use sovra_analysis::projects::{self, Project, Sides};
use sovra_core::{
    BalanceTolerance, Code, Dense, FdColumn, Labels, LeontiefSystem, Mrio, Parts, Provenance, synth,
};

const H0: usize = 0;
const H1: usize = 1;
const T0: usize = 2;
const T1: usize = 3;

fn hand() -> Mrio {
    let mut z = Dense::zeros(6, 6);
    z.data[T0 * 6 + H1] = 20.0;
    z.data[T1 * 6 + H0] = 10.0;
    let y = Dense::from_vec(6, 1, vec![50.0, 100.0, 80.0, 10.0, 10.0, 10.0]).unwrap();
    Mrio::from_parts(
        Parts {
            labels: Labels {
                regions: ["HHH", "TTT", "RRR"].map(Code::bare).to_vec(),
                sectors: vec![Code::bare("0"), Code::bare("1")],
                final_demand: vec![FdColumn {
                    region: String::new(),
                    category: "final".into(),
                }],
                stressors: vec![],
            },
            z,
            y,
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

fn project(
    id: &str,
    host: usize,
    sector: usize,
    capacity: f64,
    serves: Vec<usize>,
    replaces: Vec<usize>,
) -> Project {
    Project {
        id: id.into(),
        name: id.into(),
        host,
        sector,
        capacity,
        cost: 1.0,
        payers: vec![],
        serves,
        replaces,
        requires: vec![],
        excludes: vec![],
    }
}

fn sides(us: Vec<usize>, them: Vec<usize>) -> Sides {
    Sides { us, them }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn hand_computed_effects() {
    let t = hand();
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let ps = vec![
        project("part", 0, 0, 15.0, vec![0], vec![1]),
        project("all", 0, 0, 30.0, vec![0], vec![1]),
    ];
    let s = sides(vec![0], vec![1]);
    let ev = projects::evaluate(&t, &sys, &ps, &s, &|_| {}).unwrap();
    assert!(close(ev.dependence, 30.0, 1e-12), "D = {}", ev.dependence);
    assert!(close(ev.value_added, 120.0, 1e-12));
    let (a, b) = (&ev.effects[0], &ev.effects[1]);
    assert!(close(a.substitutable, 20.0, 1e-12) && close(a.substituted, 15.0, 1e-12));
    assert!(!a.capacity_exceeds);
    assert!(
        close(a.dependence_cut, 12.0, 1e-12),
        "ΔD = {}",
        a.dependence_cut
    );
    assert!(
        close(a.value_added_gained, 12.0, 1e-12),
        "ΔV = {}",
        a.value_added_gained
    );
    assert!(close(b.substituted, 20.0, 1e-12) && b.capacity_exceeds);
    assert!(
        close(b.dependence_cut, 16.0, 1e-12),
        "ΔD = {}",
        b.dependence_cut
    );
    assert!(
        close(b.value_added_gained, 16.0, 1e-12),
        "ΔV = {}",
        b.value_added_gained
    );
    // The changed table: column sums kept, the flow moved to the host.
    let ch = projects::change(&t, &[&ps[0]]).unwrap();
    assert!(close(ch.a.get(T0, H1), 0.05, 1e-15) && close(ch.a.get(H0, H1), 0.15, 1e-15));
    // Built together, the second adds nothing the first left: 15 + 20 > 20, so each takes its share.
    let j = projects::joint(&t, &sys, &[&ps[0], &ps[1]], &s).unwrap();
    assert_eq!(j.overlaps, 1);
    assert!(close(j.substituted.iter().sum::<f64>(), 20.0, 1e-12));
    assert!(
        close(j.dependence_cut, 16.0, 1e-12),
        "joint ΔD = {}",
        j.dependence_cut
    );
    // The economy after the project, balanced at x'.
    let after = projects::changed_table(&t, &[&ps[0]]).unwrap();
    assert!(close(after.x[H0], 65.0, 1e-12) && close(after.x[T0], 85.0, 1e-12));
}

/// Replacing a third country that uses none of their inputs by a host that buys from them raises the
/// dependence: the cut can be negative (docs/projects.md says when it cannot).
#[test]
fn dependence_cut_can_be_negative() {
    let mut t = hand();
    // R0 now sells 20 to H1 (and has no inputs); the host's sector 0 buys from TTT (T1→H0).
    let mut z = t.z.clone();
    z.data[4 * 6 + H1] = 20.0;
    z.data[T0 * 6 + H1] = 0.0;
    t = Mrio::from_parts(
        Parts {
            labels: t.labels.clone(),
            z,
            y: t.y.clone(),
            x: None,
            v: None,
            f: None,
            f_y: None,
            provenance: Provenance::default(),
        },
        BalanceTolerance::default(),
    )
    .unwrap();
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let p = project("r", 0, 0, 20.0, vec![0], vec![2]);
    let ev = projects::evaluate(&t, &sys, &[p], &sides(vec![0], vec![1]), &|_| {}).unwrap();
    // H0 embodies 0.2 of TTT's value added per unit; R0 none: ΔD = −0.2 · 20 = −4.
    assert!(
        close(ev.effects[0].dependence_cut, -4.0, 1e-12),
        "{}",
        ev.effects[0].dependence_cut
    );
}

fn table(regions: usize, sectors: usize, seed: u64) -> Mrio {
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

/// `(I − A)⁻¹` by Gauss–Jordan elimination with partial pivoting, from the definition.
fn inverse(a: &Dense) -> Vec<Vec<f64>> {
    let n = a.rows;
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut r: Vec<f64> = (0..n)
                .map(|j| (i == j) as u8 as f64 - a.get(i, j))
                .collect();
            r.extend((0..n).map(|j| (i == j) as u8 as f64));
            r
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| m[x][c].abs().total_cmp(&m[y][c].abs()))
            .unwrap();
        m.swap(c, p);
        let d = m[c][c];
        for v in m[c].iter_mut() {
            *v /= d;
        }
        for r in 0..n {
            if r != c {
                let f = m[r][c];
                if f != 0.0 {
                    for k in 0..2 * n {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
        }
    }
    m.into_iter().map(|r| r[n..].to_vec()).collect()
}

/// D and Σ_U ν x from the definition, on `A` (coefficients) and `Y` of a table.
fn measure(t: &Mrio, a: &Dense, y: &Dense, us: &[usize], them: &[usize]) -> (f64, f64) {
    let n = t.n();
    let ns = t.labels.sectors.len();
    let l = inverse(a);
    let nu = t.va_shares();
    let yv = y.row_sums();
    let in_set = |set: &[usize], i: usize| set.contains(&(i / ns));
    let mut d = 0.0;
    for i in 0..n {
        if !in_set(them, i) {
            continue;
        }
        for j in 0..n {
            if in_set(us, j) {
                d += nu[i] * l[i][j] * yv[j];
            }
        }
    }
    let mut v = 0.0;
    for j in 0..n {
        if in_set(us, j) {
            let xj: f64 = (0..n).map(|k| l[j][k] * yv[k]).sum();
            v += nu[j] * xj;
        }
    }
    (d, v)
}

fn coefficients(t: &Mrio) -> Dense {
    let n = t.n();
    let mut a = t.z.clone();
    for i in 0..n {
        for j in 0..n {
            a.data[i * n + j] = if t.x[j] != 0.0 {
                t.z.get(i, j) / t.x[j]
            } else {
                0.0
            };
        }
    }
    a
}

fn random_project(nr: usize, ns: usize, k: usize, pick: &[u64]) -> Project {
    let host = (pick[0] as usize) % nr;
    let sector = (pick[1] as usize) % ns;
    // Serves the host and maybe one more; replaces every other region or one of them.
    let mut serves = vec![host];
    let other = (host + 1 + (pick[2] as usize) % (nr - 1)) % nr;
    if pick[3] % 2 == 0 && nr > 2 {
        serves.push(other);
    }
    let rest: Vec<usize> = (0..nr).filter(|r| !serves.contains(r)).collect();
    let replaces = if pick[4] % 2 == 0 || rest.len() == 1 {
        rest
    } else {
        vec![rest[(pick[5] as usize) % rest.len()]]
    };
    let capacity = (pick[6] % 400) as f64 * 0.5;
    project(&format!("p{k}"), host, sector, capacity, serves, replaces)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Every project's effects equal the definition computed with a dense inverse of the changed table
    /// (relative 1e-9); column sums of `A'` equal those of `A`; built alone, the joint effect is the single
    /// one; capacity 0 changes nothing.
    #[test]
    fn effects_match_the_definition(
        nr in 3usize..6, ns in 1usize..4, seed in 0u64..100_000,
        picks in proptest::collection::vec(proptest::collection::vec(0u64..1000, 7), 1..5),
    ) {
        let t = table(nr, ns, seed);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let ps: Vec<Project> = picks.iter().enumerate().map(|(k, p)| random_project(nr, ns, k, p)).collect();
        let s = sides(vec![0], vec![nr - 1]);
        let ev = projects::evaluate(&t, &sys, &ps, &s, &|_| {}).unwrap();
        let a = coefficients(&t);
        let (d0, v0) = measure(&t, &a, &t.y, &s.us, &s.them);
        prop_assert!(close(ev.dependence, d0, 1e-9));
        for (p, e) in ps.iter().zip(&ev.effects) {
            let ch = projects::change(&t, &[p]).unwrap();
            let (before, after) = (a.col_sums(), ch.a.col_sums());
            for j in 0..t.n() {
                prop_assert!(close(before[j], after[j], 1e-12), "column sum {j}");
            }
            let (d1, v1) = measure(&t, &ch.a, &ch.y, &s.us, &s.them);
            prop_assert!(close(e.dependence_cut, d0 - d1, 1e-9), "ΔD {} vs {}", e.dependence_cut, d0 - d1);
            prop_assert!(close(e.value_added_gained, v1 - v0, 1e-9), "ΔV {} vs {}", e.value_added_gained, v1 - v0);
            let j = projects::joint(&t, &sys, &[p], &s).unwrap();
            prop_assert!(close(j.dependence_cut, e.dependence_cut, 1e-9));
            prop_assert!(close(j.value_added_gained, e.value_added_gained, 1e-9));
            if p.capacity == 0.0 {
                prop_assert_eq!(e.dependence_cut, 0.0);
                prop_assert_eq!(e.value_added_gained, 0.0);
                prop_assert_eq!(e.substituted, 0.0);
            }
        }
    }

    /// The cut is never negative when the host is ours and not theirs, the project replaces their supply
    /// only, no final demand moves, and the host's product embodies no more of their value added per unit than
    /// any product it replaces (docs/projects.md: the condition under which `ΔD ≥ 0` is a theorem).
    #[test]
    fn dependence_cut_is_not_negative_when_the_host_is_cleaner(
        nr in 3usize..6, ns in 1usize..4, seed in 0u64..100_000, pick in proptest::collection::vec(0u64..1000, 7),
    ) {
        let mut t = table(nr, ns, seed);
        // Final demand as one undivided column: nothing moves in Y.
        let y = Dense::from_vec(t.n(), 1, t.y.row_sums()).unwrap();
        t = Mrio::from_parts(Parts {
            labels: Labels { final_demand: vec![FdColumn { region: String::new(), category: "final".into() }], ..t.labels.clone() },
            z: t.z.clone(), y, x: None, v: None, f: None, f_y: None, provenance: Provenance::default(),
        }, BalanceTolerance::default()).unwrap();
        let mut p = random_project(nr, ns, 0, &pick);
        p.host = 0;
        p.serves = vec![0];
        p.replaces = vec![nr - 1];
        let s = sides(vec![0], vec![nr - 1]);
        let sys = LeontiefSystem::from_table(&t).unwrap();
        let l = inverse(&coefficients(&t));
        let nu = t.va_shares();
        let content = |j: usize| -> f64 { ((nr - 1) * ns..nr * ns).map(|i| nu[i] * l[i][j]).sum() };
        let host = p.sector;
        let origin = (nr - 1) * ns + p.sector;
        prop_assume!(content(host) <= content(origin));
        let ev = projects::evaluate(&t, &sys, &[p], &s, &|_| {}).unwrap();
        prop_assert!(ev.effects[0].dependence_cut >= -1e-9 * (1.0 + ev.dependence), "{}", ev.effects[0].dependence_cut);
    }

    /// The MILP finds the best subset: equal to brute force over every subset of up to 12 candidates with
    /// budgets, payer budgets, requirements, exclusions and pools.
    #[test]
    fn selection_is_optimal(
        k in 1usize..12,
        vals in proptest::collection::vec((0u64..1000, 1u64..500, 0u64..100), 12),
        budget in 0u64..2500, share in 0u64..100, rel in proptest::collection::vec((0usize..12, 0usize..12, 0u8..3), 0..6),
        pool_fracs in proptest::collection::vec(0u64..100, 12),
    ) {
        let mut c: Vec<Candidate> = (0..k).map(|i| Candidate {
            id: format!("c{i}"),
            value: vals[i].0 as f64 * 1.5 - 200.0,
            cost: vals[i].1 as f64,
            payers: vec![("A".into(), share as f64 / 100.0), ("B".into(), 1.0 - share as f64 / 100.0)],
            requires: vec![],
            excludes: vec![],
        }).collect();
        for (a, b, kind) in rel {
            let (a, b) = (a % k, b % k);
            if a == b { continue; }
            match kind {
                0 if !c[b].requires.contains(&a) => c[a].requires.push(b),
                1 => { c[a].excludes.push(b); }
                _ => {}
            }
        }
        // No cycles of requirements: keep only requirements on a lower index.
        for (i, ci) in c.iter_mut().enumerate() {
            ci.requires.retain(|&r| r < i);
        }
        let pools = vec![(0..k).map(|i| (i, pool_fracs[i] as f64 / 100.0 + 0.3)).collect::<Vec<_>>()];
        let limits = Limits {
            budget: Some(budget as f64),
            budget_by: vec![("A".into(), budget as f64 * 0.4)],
            must: vec![],
            never: vec![],
            pools: pools.clone(),
            time_limit: None,
            backend: Backend::Microlp,
        };
        // Every backend of this build (HiGHS too with the `highs` feature) finds the same optimum.
        let sels: Vec<_> = Backend::all_available().into_iter()
            .map(|b| select::select(&c, &Limits { backend: b, ..limits.clone() }).unwrap())
            .collect();
        // Brute force.
        let mut best = 0.0f64;
        for mask in 0u32..(1 << k) {
            let on = |i: usize| mask & (1 << i) != 0;
            let cost: f64 = (0..k).filter(|&i| on(i)).map(|i| c[i].cost).sum();
            let a_cost: f64 = (0..k).filter(|&i| on(i)).map(|i| c[i].cost * c[i].payers[0].1).sum();
            let pooled: f64 = pools[0].iter().filter(|(i, _)| on(*i)).map(|(_, f)| f).sum();
            let ok = cost <= budget as f64 + 1e-9 && a_cost <= budget as f64 * 0.4 + 1e-9 && pooled <= 1.0 + 1e-9
                && (0..k).all(|i| !on(i) || (c[i].requires.iter().all(|&r| on(r)) && c[i].excludes.iter().all(|&e| !on(e))));
            if ok {
                best = best.max((0..k).filter(|&i| on(i)).map(|i| c[i].value).sum());
            }
        }
        for sel in &sels {
            prop_assert!(sel.proven_optimal, "{}", sel.status);
            prop_assert!(close(sel.objective, best, 1e-9), "{}: milp {} vs brute force {}", sel.status, sel.objective, best);
            prop_assert!(sel.bound >= sel.objective - 1e-6);
        }
    }
}

#[test]
fn an_infeasible_selection_names_the_conflict() {
    for backend in Backend::all_available() {
        infeasible_names_the_conflict(backend);
    }
}

fn infeasible_names_the_conflict(backend: Backend) {
    let c: Vec<Candidate> = (0..4)
        .map(|i| Candidate {
            id: format!("c{i}"),
            value: 10.0,
            cost: 100.0,
            payers: vec![],
            requires: if i == 3 { vec![2] } else { vec![] },
            excludes: vec![],
        })
        .collect();
    let limits = Limits {
        budget: Some(250.0),
        must: vec![0, 3],
        never: vec![1],
        backend,
        ..Limits::default()
    };
    let err = select::select(&c, &limits).unwrap_err();
    let SelectError::Infeasible(what) = &err else {
        panic!("{backend:?}: {err}")
    };
    // c0 and c3 (which needs c2) cost 300 > 250: the budget, both musts and the requirement conflict; the
    // exclusion of c1 does not.
    assert!(
        what.iter().any(|w| w.contains("total budget")),
        "{backend:?}: {what:?}"
    );
    assert!(
        what.iter().any(|w| w.contains("'c3' requires 'c2'")),
        "{backend:?}: {what:?}"
    );
    assert!(
        !what.iter().any(|w| w.contains("'c1'")),
        "{backend:?}: {what:?}"
    );
}

/// HiGHS asked for in a build without it: a clear error, not a panic or a silent fallback.
#[test]
fn highs_is_available_exactly_with_the_feature() {
    assert_eq!(Backend::Highs.available(), cfg!(feature = "highs"));
    let c = vec![Candidate {
        id: "c0".into(),
        value: 1.0,
        cost: 1.0,
        payers: vec![],
        requires: vec![],
        excludes: vec![],
    }];
    let r = select::select(
        &c,
        &Limits {
            backend: Backend::Highs,
            ..Limits::default()
        },
    );
    if cfg!(feature = "highs") {
        let sel = r.unwrap();
        assert_eq!(sel.chosen, vec![0]);
        assert!(
            sel.status.starts_with("HiGHS: proven optimal"),
            "{}",
            sel.status
        );
    } else {
        let err = r.unwrap_err();
        assert_eq!(err, SelectError::Unavailable(Backend::Highs));
        assert!(err.to_string().contains("feature `highs`"), "{err}");
    }
}
