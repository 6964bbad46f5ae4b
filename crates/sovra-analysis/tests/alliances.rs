//! Alliances: the coverage figures on a 3-region × 2-sector table computed by hand, the partner-set search
//! against brute force (and the greedy chain within its guarantee), and the shock engine's restricted
//! rerouting: every region eligible is the unrestricted run bit for bit, the restricted margins are met,
//! and no alliance loses more than none.
//!
//! Hand table. Regions AAA (us), BBB (them), CCC (the candidate); sectors 1 and 2; nodes A1 A2 B1 B2 C1 C2.
//! Intermediate flows: B1→A1 10, B1→A2 5, B2→A1 8, C1→A1 4, C1→B2 6, C2→B1 3, C2→C1 2, A1→C2 1.
//! Final demand by destination (AAA, BBB, CCC): A1 (60, 0, 0), A2 (30, 0, 0), B1 (5, 50, 0), B2 (2, 40, 0),
//! C1 (3, 0, 40), C2 (0, 1, 30). Output = row sums.
//!
//! Our imports from them: sector 1: 10 + 5 (Z) + 5 (Y) = 20; sector 2: 8 + 2 = 10; total 30.
//! CCC's exports (to every region but CCC): sector 1: 4 + 6 + 3 = 13; sector 2: 3 + 1 = 4 (C2→C1 is
//! domestic). Coverage 13/20 = 0.65 and 4/10 = 0.4; covered 13 + 4 = 17, coverage 17/30. Already bought
//! from CCC: sector 1: 4 + 3 = 7, sector 2: 0.
//! Without the split of final demand (one final-use column): imports 15 and 8, exports 10 and 3, covered 13
//! of 23, already bought 4.

use proptest::prelude::*;
use sovra_analysis::alliances::{self, SetMethod, Sides};
use sovra_analysis::shock::{
    self, Cut, Instrument, Leg, Model, Network, Params, Restriction, reroute,
};
use sovra_core::{BalanceTolerance, Code, Dense, FdColumn, Labels, Mrio, Parts, Provenance, synth};

fn hand(by_destination: bool) -> Mrio {
    let mut z = Dense::zeros(6, 6);
    for (i, j, v) in [
        (2, 0, 10.0),
        (2, 1, 5.0),
        (3, 0, 8.0),
        (4, 0, 4.0),
        (4, 3, 6.0),
        (5, 2, 3.0),
        (5, 4, 2.0),
        (0, 5, 1.0),
    ] {
        z.data[i * 6 + j] = v;
    }
    let fd = [
        [60.0, 0.0, 0.0],
        [30.0, 0.0, 0.0],
        [5.0, 50.0, 0.0],
        [2.0, 40.0, 0.0],
        [3.0, 0.0, 40.0],
        [0.0, 1.0, 30.0],
    ];
    let x: Vec<f64> = (0..6)
        .map(|i| z.row(i).iter().sum::<f64>() + fd[i].iter().sum::<f64>())
        .collect();
    let (y, final_demand) = if by_destination {
        (
            Dense::from_vec(6, 3, fd.iter().flatten().copied().collect()).unwrap(),
            ["AAA", "BBB", "CCC"]
                .map(|r| FdColumn {
                    region: r.into(),
                    category: "HH".into(),
                })
                .to_vec(),
        )
    } else {
        (
            Dense::from_vec(6, 1, fd.iter().map(|r| r.iter().sum()).collect()).unwrap(),
            vec![FdColumn {
                region: "WLD".into(),
                category: "final use".into(),
            }],
        )
    };
    Mrio::from_parts(
        Parts {
            labels: Labels {
                regions: ["AAA", "BBB", "CCC"].map(Code::bare).to_vec(),
                sectors: ["1", "2"].map(Code::bare).to_vec(),
                final_demand,
                stressors: vec![],
            },
            z,
            y,
            x: Some(x),
            v: None,
            f: None,
            f_y: None,
            provenance: Provenance::default(),
        },
        BalanceTolerance::default(),
    )
    .unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-12, "{what}: got {a}, expected {b}");
}

#[test]
fn coverage_matches_the_hand_computation() {
    let t = hand(true);
    let cov = alliances::coverage(
        &t,
        &Sides {
            us: &[0],
            them: &[1],
            candidates: &[2],
        },
    )
    .unwrap();
    assert!(cov.final_demand_by_destination);
    assert_eq!(cov.sectors, ["1", "2"]);
    close(cov.imports[0], 20.0, "M_1");
    close(cov.imports[1], 10.0, "M_2");
    close(cov.imports_intermediate[0], 15.0, "M_1 intermediate");
    close(cov.total_imports, 30.0, "Σ M");
    let c = &cov.candidates[0];
    assert_eq!((c.region.as_str(), c.index), ("CCC", 2));
    close(c.exports[0], 13.0, "E_C1");
    close(c.exports[1], 4.0, "E_C2");
    close(c.already[0], 7.0, "B_C1");
    close(c.already[1], 0.0, "B_C2");
    close(c.covered, 17.0, "covered");
    close(c.coverage, 17.0 / 30.0, "coverage");
    close(c.already_total, 7.0, "already");
    close(cov.share(0, 0).unwrap(), 0.65, "c_C1");
    close(cov.share(0, 1).unwrap(), 0.4, "c_C2");

    let t = hand(false);
    let cov = alliances::coverage(
        &t,
        &Sides {
            us: &[0],
            them: &[1],
            candidates: &[2],
        },
    )
    .unwrap();
    assert!(!cov.final_demand_by_destination);
    close(cov.imports[0], 15.0, "M_1 (Z only)");
    close(cov.imports[1], 8.0, "M_2 (Z only)");
    let c = &cov.candidates[0];
    close(c.exports[0], 10.0, "E_C1 (Z only)");
    close(c.exports[1], 3.0, "E_C2 (Z only)");
    close(c.covered, 13.0, "covered (Z only)");
    close(c.coverage, 13.0 / 23.0, "coverage (Z only)");
    close(c.already_total, 4.0, "already (Z only)");
}

#[test]
fn coverage_is_capped_and_a_sector_we_do_not_import_has_no_share() {
    // CCC as us and AAA as them: AAA sells CCC only A1→C2 1 (sector 1); sector 2 imports are 0.
    let t = hand(true);
    let cov = alliances::coverage(
        &t,
        &Sides {
            us: &[2],
            them: &[0],
            candidates: &[1],
        },
    )
    .unwrap();
    close(cov.imports[0], 1.0, "M_1");
    close(cov.imports[1], 0.0, "M_2");
    // BBB exports 10 + 5 + 5 of sector 1 to AAA and nothing to CCC: capped at 1.
    close(cov.share(0, 0).unwrap(), 1.0, "capped");
    assert_eq!(cov.share(0, 1), None);
    close(cov.candidates[0].covered, 1.0, "covered");
}

#[test]
fn coverage_from_flows_gives_the_same_figures_and_sets() {
    let t = synth_table(7, 4, 11);
    let kept = [2usize, 3, 4, 5, 6];
    let cov = alliances::coverage(
        &t,
        &Sides {
            us: &[0],
            them: &[1],
            candidates: &kept,
        },
    )
    .unwrap();
    let flows: Vec<alliances::CandidateFlows> = cov
        .candidates
        .iter()
        .map(|c| alliances::CandidateFlows {
            region: c.region.clone(),
            index: c.index,
            exports: c.exports.clone(),
            already: c.already.clone(),
        })
        .collect();
    let from =
        alliances::Coverage::from_flows(cov.sectors.clone(), cov.imports.clone(), flows).unwrap();
    assert_eq!(from.candidates, cov.candidates);
    assert_eq!(from.total_imports, cov.total_imports);
    assert!(from.imports_intermediate.is_empty());
    assert_eq!(
        alliances::best_sets(&from, 2, 5).unwrap(),
        alliances::best_sets(&cov, 2, 5).unwrap()
    );
    // One value per item, finite and non-negative.
    let one = |exports: Vec<f64>| alliances::CandidateFlows {
        region: "X".into(),
        index: 0,
        exports,
        already: vec![0.0, 0.0],
    };
    let items = vec!["a".to_string(), "b".to_string()];
    assert!(alliances::Coverage::from_flows(items.clone(), vec![1.0], vec![]).is_err());
    assert!(
        alliances::Coverage::from_flows(items.clone(), vec![1.0, 2.0], vec![one(vec![1.0])])
            .is_err()
    );
    assert!(
        alliances::Coverage::from_flows(
            items.clone(),
            vec![1.0, 2.0],
            vec![one(vec![f64::NAN, 1.0])]
        )
        .is_err()
    );
    let ok =
        alliances::Coverage::from_flows(items, vec![1.0, 2.0], vec![one(vec![3.0, 1.0])]).unwrap();
    assert_eq!(ok.candidates[0].covered, 2.0);
    assert_eq!(ok.share(0, 0), Some(1.0));
    assert_eq!(ok.share(0, 1), Some(0.5));
}

#[test]
fn bad_sides_are_refused_naming_the_side() {
    let t = hand(true);
    let err = |us: &[usize], them: &[usize], candidates: &[usize]| {
        alliances::coverage(
            &t,
            &Sides {
                us,
                them,
                candidates,
            },
        )
        .unwrap_err()
        .to_string()
    };
    assert!(err(&[0], &[1], &[]).contains("candidates"));
    assert!(err(&[0], &[1], &[0]).contains("candidates"));
    assert!(err(&[0], &[1], &[1]).contains("candidates"));
    assert!(err(&[0], &[0], &[2]).contains("them"));
    assert!(err(&[0], &[1], &[7]).contains("out of range"));
    let cov = alliances::coverage(
        &t,
        &Sides {
            us: &[0],
            them: &[1],
            candidates: &[2],
        },
    )
    .unwrap();
    assert!(
        alliances::best_sets(&cov, 0, 5)
            .unwrap_err()
            .to_string()
            .contains("size")
    );
}

fn synth_table(regions: usize, sectors: usize, seed: u64) -> Mrio {
    synth::table(
        "synth",
        synth::Spec {
            regions,
            sectors,
            categories: 1,
            stressors: 0,
            import_density: 0.8,
            seed,
        },
    )
    .unwrap()
}

/// Every subset of `0..n` with 1 to `k` members.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (1u32..(1 << n))
        .map(|mask| (0..n).filter(|&p| mask & (1 << p) != 0).collect::<Vec<_>>())
        .filter(|s| s.len() <= k)
        .collect()
}

#[test]
fn the_best_sets_are_those_of_brute_force_and_greedy_keeps_its_guarantee() {
    for seed in [1, 2, 3] {
        let t = synth_table(9, 4, seed);
        let candidates: Vec<usize> = (2..9).collect();
        let cov = alliances::coverage(
            &t,
            &Sides {
                us: &[0],
                them: &[1],
                candidates: &candidates,
            },
        )
        .unwrap();
        for k in 1..=4 {
            let found = alliances::best_sets(&cov, k, 5).unwrap();
            assert_eq!(found.method, SetMethod::Exact);
            assert_eq!(found.evaluated, alliances::set_count(7, k));
            let mut all: Vec<(f64, Vec<usize>)> = subsets(7, k)
                .into_iter()
                .map(|s| (cov.covered(&s), s))
                .collect();
            all.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then(a.1.len().cmp(&b.1.len()))
                    .then_with(|| a.1.cmp(&b.1))
            });
            assert_eq!(found.sets.len(), 5);
            for (got, want) in found.sets.iter().zip(&all) {
                assert_eq!(got.members, want.1, "seed {seed}, k {k}");
                assert_eq!(
                    got.covered, want.0,
                    "seed {seed}, k {k}: same sum, same order"
                );
                close(got.coverage, want.0 / cov.total_imports, "coverage");
            }
            let greedy = alliances::best_sets_within(&cov, k, 10, 0).unwrap();
            assert_eq!(greedy.method, SetMethod::Greedy);
            assert_eq!(greedy.sets.len(), k);
            let best = all[0].0;
            let g = greedy.sets[0].covered;
            assert!(g <= best + 1e-9 && g >= (1.0 - (-1.0f64).exp()) * best);
            assert!(greedy.upper_bound >= best - 1e-9, "the bound bounds");
        }
    }
}

#[test]
fn set_counts() {
    assert_eq!(alliances::set_count(4, 2), 4 + 6);
    assert_eq!(alliances::set_count(3, 5), 7);
    assert_eq!(alliances::set_count(40, 3), 40 + 780 + 9880);
    assert_eq!(alliances::set_count(200, 200), u64::MAX);
}

fn embargo(them: &[usize], us: &[usize]) -> Vec<Leg> {
    let mut legs = Vec::new();
    for &a in them {
        for &b in us {
            for (seller, buyer) in [(a, b), (b, a)] {
                legs.push(Leg {
                    seller,
                    buyer,
                    sectors: None,
                    instrument: Instrument::Embargo,
                    shares: None,
                });
            }
        }
    }
    legs
}

#[test]
fn every_region_eligible_is_the_unrestricted_run_bit_for_bit() {
    let t = synth_table(6, 4, 11);
    let net = Network::from_ref(&t).unwrap();
    let legs = embargo(&[1], &[0]);
    let p = Params::default();
    let free = shock::run(&net, &legs, Model::Rerouting, &p).unwrap();
    let all = Restriction {
        buyers: vec![0],
        sellers: (0..6).collect(),
    };
    let same = shock::run_with(&net, &legs, Model::Rerouting, &p, Some(&all)).unwrap();
    assert_eq!(free.x, same.x);
    assert_eq!(free.region_loss, same.region_loss);
    let nobody = Restriction {
        buyers: vec![],
        sellers: vec![0],
    };
    let same = shock::run_with(&net, &legs, Model::Rerouting, &p, Some(&nobody)).unwrap();
    assert_eq!(free.x, same.x);
    let bad = Restriction {
        buyers: vec![0],
        sellers: vec![9],
    };
    assert!(shock::run_with(&net, &legs, Model::Rerouting, &p, Some(&bad)).is_err());
}

#[test]
fn restricted_rerouting_meets_the_restricted_margins() {
    let t = synth_table(5, 3, 5);
    let (n, ns, nr) = (t.n(), 3, 5);
    let net = Network::from_ref(&t).unwrap();
    let legs = embargo(&[1, 2], &[0]);
    let (tau, delta) = (0.3, 0.1);
    let cut = Cut::new(&legs, nr, ns, delta);
    let eligible_sellers = [0usize, 3];
    let x = Restriction {
        buyers: vec![0],
        sellers: eligible_sellers.to_vec(),
    };
    let rr = reroute::reroute_with(&net, &cut, tau, 1e-12, 500, Some(&x));
    assert!(rr.report.converged, "{:?}", rr.report);
    let m: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| t.z.get(i, j)).sum())
        .collect();
    let w: Vec<f64> = (0..n).map(|j| m[j]).collect(); // w_j = ω_j x_j = m_j (no cap binds here)
    let severed = |i: usize, j: usize| legs.iter().any(|g| g.seller == i / ns && g.buyer == j / ns);
    let f = tau * (1.0 - delta);
    // The loss share of a severed entry: f, plus (1 − τ)(1 − δ)(1 − e_rj) into our buyers.
    let lost = |i: usize, j: usize| -> f64 {
        if j / ns != 0 {
            return f;
        }
        let r = i % ns;
        let (mut el, mut tot) = (0.0, 0.0);
        for c in 0..nr {
            let s = c * ns + r;
            if severed(s, j) {
                continue;
            }
            tot += t.z.get(s, j);
            if eligible_sellers.contains(&c) {
                el += t.z.get(s, j);
            }
        }
        let e = if tot > 0.0 { el / tot } else { 1.0 };
        f + (1.0 - tau) * (1.0 - delta) * (1.0 - e)
    };
    let flow = |i: usize, j: usize| t.z.get(i, j) * w[j] / m[j];
    let scale = (0..n)
        .map(|i| t.z.row(i).iter().sum::<f64>())
        .fold(0.0, f64::max);
    let mut extra = 0.0;
    for i in 0..n {
        let sales: f64 = t.z.row(i).iter().sum();
        let loss: f64 = (0..n)
            .filter(|&j| severed(i, j))
            .map(|j| lost(i, j) * flow(i, j))
            .sum();
        extra += (0..n)
            .filter(|&j| severed(i, j))
            .map(|j| (lost(i, j) - f) * flow(i, j))
            .sum::<f64>();
        let got: f64 = (0..n).map(|j| rr.flow(&net, &cut, i, j)).sum();
        assert!(
            (got - (sales - loss)).abs() <= 1e-9 * scale,
            "seller {i}: {got} vs {}",
            sales - loss
        );
    }
    for r in 0..ns {
        for j in 0..n {
            let rows: Vec<usize> = (0..nr).map(|c| c * ns + r).collect();
            let target: f64 = rows.iter().map(|&i| flow(i, j)).sum::<f64>()
                - rows
                    .iter()
                    .filter(|&&i| severed(i, j))
                    .map(|&i| lost(i, j) * flow(i, j))
                    .sum::<f64>();
            let got: f64 = rows.iter().map(|&i| rr.flow(&net, &cut, i, j)).sum();
            assert!(
                (got - target).abs() <= 1e-9 * scale,
                "buyer {j}, sector {r}: {got} vs {target}"
            );
        }
    }
    let reported = rr.report.restricted_loss.expect("restricted");
    assert!(
        (reported - extra).abs() <= 1e-9 * scale,
        "{reported} vs {extra}"
    );
    assert!(extra > 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// No alliance loses more than none (us alone), and none loses less than the unrestricted run.
    #[test]
    fn an_alliance_never_loses_more_than_none(seed in 0u64..1000, allies in 1u32..(1 << 4)) {
        let t = synth_table(6, 3, seed);
        let net = Network::from_ref(&t).unwrap();
        let us = vec![0usize];
        let legs = embargo(&[1], &us);
        let p = Params::default();
        let restricted = |partners: &[usize]| {
            let mut sellers = us.clone();
            sellers.extend_from_slice(partners);
            let x = Restriction { buyers: us.clone(), sellers };
            let o = shock::run_with(&net, &legs, Model::Rerouting, &p, Some(&x)).unwrap();
            prop_assert!(o.diagnostics.converged);
            Ok(o.region_loss[0])
        };
        let alone = restricted(&[])?;
        let partners: Vec<usize> = (0..4).filter(|b| allies & (1 << b) != 0).map(|b| b + 2).collect();
        let with = restricted(&partners)?;
        let free = shock::run(&net, &legs, Model::Rerouting, &p).unwrap().region_loss[0];
        let tol = 1e-9 * net.region_output[0];
        prop_assert!(with <= alone + tol, "alliance {partners:?}: {with} > alone {alone}");
        prop_assert!(free <= alone + tol, "unrestricted {free} > alone {alone}");
    }
}
