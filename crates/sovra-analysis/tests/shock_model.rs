//! The shock models on small synthetic tables, checked against independent dense computations of the model
//! equations: the rerouted flows meet their margins, the equilibrium satisfies its fixed-point equations,
//! extraction equals a dense Leontief solve, the no-restriction limits give no loss, losses grow with the
//! friction τ, and bad parameters or scenarios are refused.

use proptest::prelude::*;
use sovra_analysis::shock::{
    self, Cut, Instrument, Leg, LegSpec, Model, Network, Params, ScenarioSpec, equilibrium, reroute,
};
use sovra_core::blocs::Registry;
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::Solve;
use sovra_core::{BalanceTolerance, Code, Dense, FdColumn, Labels, Mrio, Parts, Provenance, synth};

fn table(regions: usize, sectors: usize, seed: u64) -> Mrio {
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

struct Bench {
    m: Vec<f64>,
    w: Vec<f64>,
    omega: Vec<f64>,
    fin: Vec<f64>,
    dbar: Vec<f64>,
}

/// The benchmark quantities, computed here from `Z` and `x` (no cap binds on these tables).
fn bench(t: &Mrio) -> Bench {
    let n = t.n();
    let m: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| t.z.get(i, j)).sum())
        .collect();
    let sales: Vec<f64> = (0..n).map(|i| t.z.row(i).iter().sum()).collect();
    let omega: Vec<f64> = (0..n).map(|j| m[j] / t.x[j]).collect();
    assert!(omega.iter().all(|&o| o < 0.98));
    Bench {
        w: omega.iter().zip(&t.x).map(|(a, b)| a * b).collect(),
        fin: (0..n).map(|i| t.x[i] - sales[i]).collect(),
        dbar: sales,
        m,
        omega,
    }
}

fn leg(seller: usize, buyer: usize) -> Leg {
    Leg {
        seller,
        buyer,
        sectors: None,
        instrument: Instrument::ExportBan,
        shares: None,
    }
}

#[test]
fn rerouted_flows_meet_their_margins() {
    let t = table(4, 3, 7);
    let (n, ns) = (t.n(), 3);
    let b = bench(&t);
    let net = Network::from_ref(&t).unwrap();
    let legs = [
        leg(0, 1),
        leg(1, 0),
        Leg {
            seller: 2,
            buyer: 3,
            sectors: Some(vec![1]),
            instrument: Instrument::ExportBan,
            shares: None,
        },
    ];
    let (tau, delta) = (0.4, 0.2);
    let cut = Cut::new(&legs, 4, ns, delta);
    let rr = reroute::reroute(&net, &cut, tau, 1e-12, 500);
    assert!(rr.report.converged, "{:?}", rr.report);
    let f = tau * (1.0 - delta);
    let severed = |i: usize, j: usize| {
        let (l, r, k) = (i / ns, i % ns, j / ns);
        legs.iter().any(|g| {
            g.seller == l && g.buyer == k && g.sectors.as_ref().is_none_or(|s| s.contains(&r))
        })
    };
    // Benchmark flows on severed entries: A_ij w_j = Z_ij w_j / m_j.
    let sev = |i: usize, j: usize| {
        if severed(i, j) {
            t.z.get(i, j) * b.w[j] / b.m[j]
        } else {
            0.0
        }
    };
    let scale = b.dbar.iter().cloned().fold(0.0, f64::max);
    for i in 0..n {
        let target = b.dbar[i] - f * (0..n).map(|j| sev(i, j)).sum::<f64>();
        let got: f64 = (0..n).map(|j| rr.flow(&net, &cut, i, j)).sum();
        assert!(
            (got - target).abs() <= 1e-10 * scale,
            "seller {i}: {got} vs {target}"
        );
    }
    for r in 0..ns {
        for j in 0..n {
            let rows: Vec<usize> = (0..4).map(|c| c * ns + r).collect();
            let alpha_w: f64 = rows.iter().map(|&i| t.z.get(i, j)).sum::<f64>() * b.w[j] / b.m[j];
            let target = alpha_w - f * rows.iter().map(|&i| sev(i, j)).sum::<f64>();
            let got: f64 = rows.iter().map(|&i| rr.flow(&net, &cut, i, j)).sum();
            assert!(
                (got - target).abs() <= 1e-10 * scale,
                "buyer {j}, sector {r}: {got} vs {target}"
            );
        }
    }
    // Severed flows keep only their leakage before scaling, and nothing becomes negative.
    for i in 0..n {
        for j in 0..n {
            assert!(rr.flow(&net, &cut, i, j) >= 0.0);
        }
    }
}

#[test]
fn equilibrium_satisfies_the_model_equations() {
    let t = table(4, 3, 11);
    let (n, ns) = (t.n(), 3);
    let b = bench(&t);
    let net = Network::from_ref(&t).unwrap();
    let p = Params {
        tau: 0.6,
        delta: 0.05,
        rho: -2.0,
        rho_out: -0.5,
        ..Params::default()
    };
    let legs = [leg(0, 1), leg(1, 0), leg(2, 0)];
    let cut = Cut::new(&legs, 4, ns, p.delta);
    let rr = reroute::reroute(&net, &cut, p.tau, p.balance_tol, p.balance_max_iter);
    let eq = equilibrium::solve(&net, &cut, &rr, &p);
    assert!(eq.report.converged, "{:?}", eq.report);
    // Dense re-evaluation of every equation at the returned state.
    let a = |i: usize, j: usize| rr.flow(&net, &cut, i, j) / b.w[j];
    let alpha = |r: usize, j: usize| (0..4).map(|c| t.z.get(c * ns + r, j)).sum::<f64>() / b.m[j];
    let smax = t.x.iter().cloned().fold(0.0, f64::max);
    for j in 0..n {
        let mut num = 0.0;
        for r in 0..ns {
            let al = alpha(r, j);
            if al > 0.0 {
                let th: f64 = (0..4)
                    .map(|c| a(c * ns + r, j) * eq.h[c * ns + r])
                    .sum::<f64>()
                    / al;
                num += al * th.min(1.0).powf(p.rho);
            }
        }
        let kappa = num.powf(1.0 / p.rho);
        assert!((kappa - eq.kappa[j]).abs() < 1e-9, "κ[{j}]");
        let om = b.omega[j];
        let lambda = kappa * (om + (1.0 - om) * kappa.powf(-p.rho_out)).powf(1.0 / p.rho_out);
        let d: f64 = (0..n).map(|k| a(j, k) * b.omega[k] * eq.x[k]).sum();
        let sigma = if d > b.dbar[j] { b.dbar[j] / d } else { 1.0 };
        assert!(
            (lambda * sigma - eq.h[j]).abs() < 1e-9,
            "h[{j}]: {} vs {}",
            lambda * sigma,
            eq.h[j]
        );
        let x = lambda * b.fin[j] + eq.h[j] * d;
        assert!(
            (x - eq.x[j]).abs() < 1e-9 * smax,
            "x[{j}]: {x} vs {}",
            eq.x[j]
        );
        assert!(eq.x[j] <= t.x[j] * (1.0 + 1e-12), "no node gains output");
    }
}

#[test]
fn extraction_is_a_leontief_solve_without_the_severed_coefficients() {
    let t = table(3, 4, 5);
    let (n, ns) = (t.n(), 4);
    let b = bench(&t);
    let net = Network::from_ref(&t).unwrap();
    let legs = [
        leg(0, 2),
        Leg {
            seller: 1,
            buyer: 0,
            sectors: Some(vec![0, 3]),
            instrument: Instrument::ExportBan,
            shares: None,
        },
    ];
    let delta = 0.25;
    let out = shock::run(
        &net,
        &legs,
        Model::ExtractionDemand,
        &Params {
            delta,
            ..Params::default()
        },
    )
    .unwrap();
    assert!(out.diagnostics.converged);
    let severed = |i: usize, j: usize| {
        let (l, r, k) = (i / ns, i % ns, j / ns);
        legs.iter().any(|g| {
            g.seller == l && g.buyer == k && g.sectors.as_ref().is_none_or(|s| s.contains(&r))
        })
    };
    let m = Mat::<f64>::from_fn(n, n, |i, j| {
        let bij = t.z.get(i, j) / t.x[j] * if severed(i, j) { delta } else { 1.0 };
        if i == j { 1.0 - bij } else { -bij }
    });
    let mut rhs = Mat::<f64>::from_fn(n, 1, |i, _| b.fin[i]);
    m.partial_piv_lu().solve_in_place(rhs.as_mut());
    for i in 0..n {
        assert!(
            (out.x[i] - rhs[(i, 0)]).abs() <= 1e-9 * t.x[i].max(1.0),
            "x[{i}]"
        );
        assert!(
            out.loss[i] >= -1e-9 * t.x[i],
            "extraction never raises output"
        );
    }
    // Losses from the dense solves: benchmark output (the same system with nothing severed) minus the
    // post-shock output, summed per region by the labels and over the world.
    let m0 = Mat::<f64>::from_fn(n, n, |i, j| {
        let aij = t.z.get(i, j) / t.x[j];
        if i == j { 1.0 - aij } else { -aij }
    });
    let mut s0 = Mat::<f64>::from_fn(n, 1, |i, _| b.fin[i]);
    m0.partial_piv_lu().solve_in_place(s0.as_mut());
    let scale: f64 = t.x.iter().sum();
    let mut region = vec![0.0; t.labels.regions.len()];
    for i in 0..n {
        region[t.labels.node(i).0] += s0[(i, 0)] - rhs[(i, 0)];
    }
    for (c, want) in region.iter().enumerate() {
        assert!(
            (out.region_loss[c] - want).abs() <= 1e-9 * scale,
            "region {c}: loss {} vs dense {want}",
            out.region_loss[c]
        );
    }
    let world: f64 = (0..n).map(|i| s0[(i, 0)] - rhs[(i, 0)]).sum();
    assert!(world > 0.0, "the cut must cost something");
    assert!(
        (out.world_loss - world).abs() <= 1e-9 * scale,
        "world loss {} vs dense {world}",
        out.world_loss
    );
}

#[test]
fn nothing_severed_nothing_lost() {
    // δ = 1: every "severed" flow leaks through in full; τ = 0: nothing lost in rerouting.
    let t = table(4, 3, 3);
    let net = Network::from_ref(&t).unwrap();
    let legs = [leg(0, 1), leg(1, 0)];
    for model in [Model::Rerouting, Model::Extraction] {
        let out = shock::run(
            &net,
            &legs,
            model,
            &Params {
                tau: 0.0,
                delta: 1.0,
                ..Params::default()
            },
        )
        .unwrap();
        assert!(out.diagnostics.converged);
        for i in 0..t.n() {
            assert!(
                out.loss[i].abs() <= 1e-8 * t.x[i],
                "{model:?}: node {i} loses {}",
                out.loss[i]
            );
        }
    }
}

#[test]
fn losses_grow_with_friction() {
    let t = table(5, 3, 21);
    let net = Network::from_ref(&t).unwrap();
    let legs = [leg(0, 1), leg(1, 0)];
    let mut last = 0.0;
    for tau in [0.1, 0.3, 0.6, 0.9] {
        let out = shock::run(
            &net,
            &legs,
            Model::Rerouting,
            &Params {
                tau,
                ..Params::default()
            },
        )
        .unwrap();
        assert!(out.diagnostics.converged);
        assert!(
            out.world_loss > last,
            "τ = {tau}: {} after {last}",
            out.world_loss
        );
        last = out.world_loss;
    }
}

#[test]
fn bad_parameters_are_refused() {
    for p in [
        Params {
            tau: 1.5,
            ..Params::default()
        },
        Params {
            delta: -0.1,
            ..Params::default()
        },
        Params {
            rho: 0.0,
            ..Params::default()
        },
        Params {
            rho_out: 0.5,
            ..Params::default()
        },
        Params {
            fp_tol: 0.0,
            ..Params::default()
        },
    ] {
        let e = p.validate().unwrap_err().to_string();
        assert!(
            e.contains("outside [0, 1]") || e.contains("negative") || e.contains("(0, 1)"),
            "{e}"
        );
    }
}

fn spec(sanctioning: &str, target: &str, sectors: Option<Vec<&str>>) -> ScenarioSpec {
    ScenarioSpec {
        name: "t".into(),
        model: Model::Rerouting,
        as_of: Some("2025-06-30".into()),
        legs: vec![LegSpec {
            sanctioning: sanctioning.into(),
            target: target.into(),
            instrument: Instrument::ExportBan,
            sectors: sectors.map(|v| v.into_iter().map(String::from).collect()),
            products: None,
            products_file: None,
        }],
        params: Params {
            tau: 0.45,
            ..Params::default()
        },
    }
}

#[test]
fn scenario_files_round_trip_and_bad_scenarios_are_refused() {
    let mut s = spec("G7-DEU", "RUS+BLR", Some(vec!["C26"]));
    s.legs.push(LegSpec {
        sanctioning: "EU27".into(),
        target: "CHN".into(),
        instrument: Instrument::Embargo,
        sectors: None,
        products: None,
        products_file: None,
    });
    let text = s.to_toml();
    assert_eq!(
        ScenarioSpec::from_toml(&text, "x.toml").unwrap(),
        s,
        "{text}"
    );
    // Defaults fill a minimal file.
    let min = ScenarioSpec::from_toml(
        "[[leg]]\nsanctioning = \"USA\"\ntarget = \"CHN\"\ninstrument = \"embargo\"\n",
        "min.toml",
    )
    .unwrap();
    assert_eq!(min.params, Params::default());
    assert_eq!(min.model, Model::Rerouting);
    // Bad files name the file.
    let e = ScenarioSpec::from_toml("[[leg]]\nsanctioning = \"USA\"\n", "bad.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bad.toml"), "{e}");
    let e = ScenarioSpec::from_toml(
        "[[leg]]\nsanctioning = \"USA\"\ntarget = \"CHN\"\ninstrument = \"embargo\"\n[params]\ntau = 2.0\n",
        "tau.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("tau = 2"), "{e}");

    // Resolution on a table whose regions are ISO codes.
    let t = table(4, 3, 1);
    let l = &t.labels;
    let codes: Vec<String> = l.regions.iter().map(|r| r.code.clone()).collect();
    let reg = Registry::builtin();
    let ok = shock::scenario::resolve(
        &spec(&codes[0], &format!("{}+{}", codes[1], codes[2]), None),
        &reg,
        l,
        "synth",
    )
    .unwrap();
    assert_eq!(ok.legs.len(), 2);
    let both = shock::scenario::resolve(
        &spec(&codes[0], &format!("{}+{}", codes[0], codes[1]), None),
        &reg,
        l,
        "synth",
    )
    .unwrap_err()
    .to_string();
    assert!(both.contains("on both sides"), "{both}");
    let sector = shock::scenario::resolve(
        &spec(&codes[0], &codes[1], Some(vec!["nope"])),
        &reg,
        l,
        "synth",
    )
    .unwrap_err()
    .to_string();
    assert!(sector.contains("unknown sector 'nope'"), "{sector}");
    let empty =
        shock::scenario::resolve(&spec(&codes[0], &codes[1], Some(vec![])), &reg, l, "synth")
            .unwrap_err()
            .to_string();
    assert!(empty.contains("'sectors' is empty"), "{empty}");
    let region = shock::scenario::resolve(&spec(&codes[0], "XYZ", None), &reg, l, "synth")
        .unwrap_err()
        .to_string();
    assert!(region.contains("unknown region 'XYZ'"), "{region}");
    let mut none = spec(&codes[0], &codes[1], None);
    none.legs.clear();
    assert!(shock::scenario::resolve(&none, &reg, l, "synth").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// On any productive table and any cut: the solvers converge, no node gains output (x ≤ s: fulfilment and
    /// pass-through are at most 1 and deliveries are capped at benchmark sales), and country losses add up.
    #[test]
    fn no_node_gains_and_losses_add_up(
        seed in 0u64..1000,
        regions in 2usize..5,
        sectors in 1usize..4,
        tau in 0.0f64..1.0,
        delta in 0.0f64..1.0,
        seller in 0usize..5,
        buyer in 0usize..5,
    ) {
        let (seller, buyer) = (seller % regions, buyer % regions);
        prop_assume!(seller != buyer);
        let t = table(regions, sectors, seed);
        let net = Network::from_ref(&t).unwrap();
        let p = Params { tau, delta, ..Params::default() };
        for model in [Model::Rerouting, Model::Extraction] {
            let out = shock::run(&net, &[leg(seller, buyer)], model, &p).unwrap();
            prop_assert!(out.diagnostics.converged, "{:?}", out.diagnostics);
            for i in 0..t.n() {
                prop_assert!(out.loss[i] >= -1e-9 * t.x[i], "{model:?}: node {i} gains {}", -out.loss[i]);
            }
            if let Some(h) = &out.fulfilment {
                prop_assert!(h.iter().all(|&v| v > 0.0 && v <= 1.0));
            }
            // Region and world losses from post-shock output and the benchmark output computed here
            // (s = x on these balanced tables: no cap binds), grouped by the labels.
            let mut region = vec![0.0; regions];
            for i in 0..t.n() {
                region[t.labels.node(i).0] += t.x[i] - out.x[i];
            }
            let scale: f64 = t.x.iter().sum();
            for (c, want) in region.iter().enumerate() {
                prop_assert!((out.region_loss[c] - want).abs() <= 1e-9 * scale, "{model:?}: region {c}: {} vs {want}", out.region_loss[c]);
            }
            let world: f64 = (0..t.n()).map(|i| t.x[i] - out.x[i]).sum();
            prop_assert!((out.world_loss - world).abs() <= 1e-9 * scale, "{model:?}: world {} vs {world}", out.world_loss);
        }
    }
}

#[test]
fn tables_beyond_the_f32_range_are_solved_on_z_itself() {
    // The model is homogeneous of degree one in (Z, x): a table in a unit 1e37 times smaller gives the same
    // losses 1e37 times larger. At that scale Z leaves f32's range, so the f32 mirror cannot be used and
    // every pass must read Z (an inexact mirror would give infinities or a wrong answer).
    let t = table(5, 3, 9);
    let legs = [leg(0, 1), leg(1, 0)];
    let base = shock::run(
        &Network::from_ref(&t).unwrap(),
        &legs,
        Model::Rerouting,
        &Params::default(),
    )
    .unwrap();
    let zmax = t.z.data.iter().cloned().fold(0.0, f64::max);
    let k = 1e39 / zmax;
    let mut big = t.clone();
    big.z.data.iter_mut().for_each(|v| *v *= k);
    big.x.iter_mut().for_each(|v| *v *= k);
    let out = shock::run(
        &Network::from_ref(&big).unwrap(),
        &legs,
        Model::Rerouting,
        &Params::default(),
    )
    .unwrap();
    assert!(out.diagnostics.converged, "{:?}", out.diagnostics);
    let rel = (out.world_loss / k - base.world_loss).abs() / base.world_loss;
    assert!(
        base.world_loss > 0.0 && rel < 1e-8,
        "{} vs {} ({rel:.2e})",
        out.world_loss / k,
        base.world_loss
    );
    for (a, b) in out.region_loss.iter().zip(&base.region_loss) {
        assert!(
            (a / k - b).abs() <= 1e-8 * base.world_loss,
            "{} vs {b}",
            a / k
        );
    }
}

/// Two regions of one sector: `Z = [[10, 20], [30, 40]]`, `x = [100, 200]` (final use 70 and 130).
fn two_by_one() -> Mrio {
    let z = Dense::from_vec(2, 2, vec![10.0, 20.0, 30.0, 40.0]).unwrap();
    let y = Dense::from_vec(2, 1, vec![70.0, 130.0]).unwrap();
    Mrio::from_parts(
        Parts {
            labels: Labels {
                regions: ["AAA", "BBB"].map(Code::bare).to_vec(),
                sectors: ["1"].map(Code::bare).to_vec(),
                final_demand: vec![FdColumn {
                    region: "WLD".into(),
                    category: "final use".into(),
                }],
                stressors: vec![],
            },
            z,
            y,
            x: Some(vec![100.0, 200.0]),
            v: None,
            f: None,
            f_y: None,
            provenance: Provenance::default(),
        },
        BalanceTolerance::default(),
    )
    .unwrap()
}

fn near(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-9, "{what}: got {a}, expected {b}");
}

/// AAA stops selling to BBB (δ = 0), worked by hand on the 2 × 1 table.
///
/// Supply side (Ghosh): allocation coefficients `C = [[0.1, 0.2], [0.15, 0.2]]`, primary inputs
/// `v = x − colsum(Z) = [60, 140]`; with `C_01 = 0`: `x'_1 = 140 / 0.8 = 175`,
/// `x'_0 = (60 + 0.15 · 175) / 0.9 = 95.8333…`: BBB loses 25 (its input of 20, through its own loop
/// `1 / (1 − 0.2)`), AAA 4.1667 (3.75 fewer inputs from BBB, through `1 / 0.9`). Final use falls with output:
/// `70 · (1 − 95.8333/100)` and `130 · 25 / 200`.
///
/// Demand side (Leontief): technical coefficients `B = [[0.1, 0.1], [0.3, 0.2]]`, final use `[70, 130]`;
/// with `B_01 = 0`: `x'_0 = 70 / 0.9 = 77.78`, `x'_1 = (130 + 0.3 · 77.78) / 0.8 = 191.67`: AAA loses 22.22 (the
/// sale of 20 and its own loop), BBB 8.33 (AAA buys less from it).
#[test]
fn extraction_sides_match_the_hand_computation() {
    let t = two_by_one();
    let net = Network::from_ref(&t).unwrap();
    let p = Params {
        delta: 0.0,
        ..Params::default()
    };
    let supply: [f64; 2] = [100.0 - 86.25 / 0.9, 25.0];
    let demand: [f64; 2] = [100.0 - 70.0 / 0.9, 200.0 - (130.0 + 0.3 * 70.0 / 0.9) / 0.8];
    let run = |model: Model, instrument: Instrument| {
        let legs = [Leg {
            seller: 0,
            buyer: 1,
            sectors: None,
            instrument,
            shares: None,
        }];
        let o = shock::run(&net, &legs, model, &p).unwrap();
        assert!(o.diagnostics.converged);
        o
    };
    // By instrument: an export ban (the seller AAA sanctions) on the supply side, an import ban (BBB stops
    // buying from the target AAA) on the demand side.
    for (model, instrument, want) in [
        (Model::Extraction, Instrument::ExportBan, supply),
        (Model::Extraction, Instrument::ImportBan, demand),
        (Model::ExtractionSupply, Instrument::ImportBan, supply),
        (Model::ExtractionDemand, Instrument::ExportBan, demand),
        (
            Model::ExtractionBoth,
            Instrument::ExportBan,
            [demand[0].max(supply[0]), demand[1].max(supply[1])],
        ),
    ] {
        let o = run(model, instrument);
        for (c, w) in want.iter().enumerate() {
            near(o.loss[c], *w, &format!("{model:?} {instrument:?} loss {c}"));
        }
    }
    let o = run(Model::Extraction, Instrument::ExportBan);
    let fd = o
        .region_final_demand_loss
        .as_ref()
        .expect("supply side defines it");
    near(fd[0], 70.0 * supply[0] / 100.0, "final-demand loss AAA");
    near(fd[1], 130.0 * 25.0 / 200.0, "final-demand loss BBB");
    assert_eq!(o.side_losses.len(), 1);
    assert_eq!(o.side_losses[0].0, shock::Side::Supply);
    let o = run(Model::Extraction, Instrument::ImportBan);
    assert!(
        o.region_final_demand_loss.is_none(),
        "the demand side holds final use fixed: no final-demand loss to report"
    );
    let o = run(Model::ExtractionBoth, Instrument::ImportBan);
    assert_eq!(o.side_losses.len(), 2);
    assert_eq!(o.diagnostics.extraction.len(), 2);
}

/// The supply-side extraction on a random table equals a dense Ghosh solve `x'ᵀ = vᵀ (I − Ĉ)⁻¹`, `Ĉ` the
/// allocation coefficients with the severed ones times δ.
#[test]
fn supply_extraction_is_a_ghosh_solve_without_the_severed_coefficients() {
    let t = table(4, 3, 11);
    let (n, ns) = (t.n(), 3);
    let b = bench(&t);
    let net = Network::from_ref(&t).unwrap();
    let legs = [
        leg(0, 2),
        leg(3, 1),
        Leg {
            seller: 1,
            buyer: 0,
            sectors: Some(vec![0, 2]),
            instrument: Instrument::ExportBan,
            shares: None,
        },
    ];
    let delta = 0.3;
    let out = shock::run(
        &net,
        &legs,
        Model::ExtractionSupply,
        &Params {
            delta,
            ..Params::default()
        },
    )
    .unwrap();
    assert!(out.diagnostics.converged);
    let severed = |i: usize, j: usize| {
        let (l, r, k) = (i / ns, i % ns, j / ns);
        legs.iter().any(|g| {
            g.seller == l && g.buyer == k && g.sectors.as_ref().is_none_or(|s| s.contains(&r))
        })
    };
    // (I − Ĉᵀ) x' = v, with v_j = x_j − m_j.
    let m = Mat::<f64>::from_fn(n, n, |j, i| {
        let cij = t.z.get(i, j) / t.x[i] * if severed(i, j) { delta } else { 1.0 };
        if i == j { 1.0 - cij } else { -cij }
    });
    let mut rhs = Mat::<f64>::from_fn(n, 1, |j, _| t.x[j] - b.m[j]);
    m.partial_piv_lu().solve_in_place(rhs.as_mut());
    let scale: f64 = t.x.iter().sum();
    for j in 0..n {
        assert!(
            (out.x[j] - rhs[(j, 0)]).abs() <= 1e-9 * t.x[j].max(1.0),
            "x[{j}]: {} vs dense {}",
            out.x[j],
            rhs[(j, 0)]
        );
        assert!(
            out.loss[j] >= -1e-9 * t.x[j],
            "extraction never raises output"
        );
    }
    assert!(out.world_loss > 1e-6 * scale, "the cut must cost something");
    let fd = out.region_final_demand_loss.as_ref().unwrap();
    for (c, got) in fd.iter().enumerate() {
        let want: f64 = (c * ns..(c + 1) * ns)
            .map(|i| b.fin[i] * (1.0 - rhs[(i, 0)] / t.x[i]))
            .sum();
        assert!((got - want).abs() <= 1e-9 * scale, "final-demand loss {c}");
    }
}
