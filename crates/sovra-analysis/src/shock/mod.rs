//! What happens to output, country by country and sector by sector, if some countries stop trading with
//! others: embargoes, export bans and import bans on an MRIO table.
//!
//! Two models:
//!
//! - [`Model::Extraction`] ([`extraction`]): the severed flows are removed (a share `δ` leaks through) and
//!   nobody substitutes; one linear solve per side. The fast linear baseline: the cuts of export bans on the
//!   supply side (Ghosh: primary inputs fixed, the buyers short of inputs produce less), those of import bans
//!   on the demand side (Leontief: final use fixed, the sellers that lose sales produce less), each node's
//!   output the smaller of the two. [`Model::ExtractionDemand`] and [`Model::ExtractionSupply`] put every
//!   cut on one side, [`Model::ExtractionBoth`] every cut on both.
//! - [`Model::Rerouting`] (default): the model of Bhattathiripad & Veetil, "Political Power in International
//!   Trade" (sanction-simulator 0.1.4): severed flows are rerouted to other partners by two-sided RAS, less a
//!   friction `τ` ([`reroute`]), and output follows from a CES capacity-rationing equilibrium on the rerouted
//!   network ([`equilibrium`]); [`stability`] reports the model's admissibility statistics.
//!
//! [`run`] takes a prepared [`Network`] (shared by every scenario of a batch) and a resolved scenario.

pub mod anderson;
mod blocks;
pub mod cut;
pub mod equilibrium;
pub mod extraction;
mod kernels;
pub mod network;
mod pass;
pub mod products;
pub mod reroute;
pub mod scenario;
pub mod stability;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use sovra_core::Error;

pub use cut::{Cut, Leg};
pub use extraction::Side;
pub use network::Network;
pub use reroute::Restriction;
pub use scenario::{Instrument, LegSpec, Model, Resolved, ScenarioSpec};

use crate::Result;

/// Model parameters. Defaults are the peer model's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Rerouting friction `τ ∈ [0, 1]`: the share of severed (non-leaking) trade that is lost, not rerouted.
    pub tau: f64,
    /// Leakage `δ ∈ [0, 1]`: the share of a severed flow that still gets through.
    pub delta: f64,
    /// Inner CES curvature `ρ < 0` across sector bundles (elasticity `1 / (1 − ρ)`).
    pub rho: f64,
    /// Outer CES curvature `ϱ < 0`, intermediate composite vs the rest.
    pub rho_out: f64,
    /// Seller-margin tolerance of the rerouting (relative to the block's largest margin).
    pub balance_tol: f64,
    /// Iteration cap of the rerouting, per sector block.
    pub balance_max_iter: usize,
    /// Tolerance on the fixed-point step (`h` and `x / s`).
    pub fp_tol: f64,
    /// Iteration cap of the fixed point.
    pub fp_max_iter: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            tau: 0.30,
            delta: 0.10,
            rho: -1.0,
            rho_out: -1.0,
            balance_tol: 1e-10,
            balance_max_iter: 500,
            fp_tol: 1e-10,
            fp_max_iter: 2000,
        }
    }
}

/// The most negative CES curvature accepted: elasticity `1 / (1 − ρ) ≈ 0.0099`. Short-run elasticities of
/// substitution between intermediate inputs are estimated around 0.001–0.2 for single inputs, higher for
/// bundles; below this the model is practically Leontief and `h^ρ` leaves `f64`'s range.
pub const RHO_MIN: f64 = -100.0;

impl Params {
    /// Checks the ranges: `τ, δ ∈ [0, 1]`, `ρ, ϱ ∈ [RHO_MIN, 0)`, tolerances in (0, 1), positive caps. NaN
    /// fails every range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| -> Result<()> { Err(Error::Request(m).into()) };
        for (name, v) in [("tau", self.tau), ("delta", self.delta)] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} = {v} is outside [0, 1]"));
            }
        }
        for (name, v) in [("rho", self.rho), ("rho_out", self.rho_out)] {
            if !(RHO_MIN..0.0).contains(&v) {
                return bad(format!(
                    "{name} = {v}: the CES curvature must be in [{RHO_MIN}, 0) — negative for complements \
                     (elasticity 1/(1-{name}) < 1), and not below {RHO_MIN} (elasticity ≈ 0.01, practically \
                     Leontief; beyond it the powers of the model under- and overflow)"
                ));
            }
        }
        for (name, v) in [("balance_tol", self.balance_tol), ("fp_tol", self.fp_tol)] {
            if !(v > 0.0 && v < 1.0) {
                return bad(format!("{name} = {v} must be in (0, 1)"));
            }
        }
        if self.balance_max_iter == 0 || self.fp_max_iter == 0 {
            return bad("iteration caps must be positive".into());
        }
        Ok(())
    }
}

/// Diagnostics of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    /// Rerouting (rerouting model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reroute: Option<reroute::RerouteReport>,
    /// Equilibrium (rerouting model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equilibrium: Option<equilibrium::EquilibriumReport>,
    /// Stability statistics (rerouting model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stability: Option<stability::Stability>,
    /// Linear solves (extraction model), one per side that ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extraction: Vec<extraction::ExtractionReport>,
    /// Whether every solve met its tolerance. A result with `false` is not an answer.
    pub converged: bool,
    /// Severed entries of `Z`.
    pub severed_entries: usize,
    /// Wall time of each phase, seconds.
    pub seconds: Vec<(&'static str, f64)>,
}

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The model run.
    pub model: Model,
    /// Post-shock output per node.
    pub x: Vec<f64>,
    /// Output loss per node, `s − x`.
    pub loss: Vec<f64>,
    /// Fulfilment `h` per node (rerouting).
    pub fulfilment: Option<Vec<f64>>,
    /// Output pass-through `λ` per node (rerouting).
    pub pass_through: Option<Vec<f64>>,
    /// Output loss per region.
    pub region_loss: Vec<f64>,
    /// Loss share `γ_c = loss_c / s_c` per region.
    pub region_gamma: Vec<f64>,
    /// Final-demand loss per region where the model defines it: `Σ_{i∈c} (1 − λ_i) z_i` (rerouting),
    /// `Σ_{i∈c} (1 − ξ_i) z_i` of the supply side (extraction; the demand side holds final use fixed, so
    /// `None` when only it runs).
    pub region_final_demand_loss: Option<Vec<f64>>,
    /// Extraction: each side's output loss per node, `s − x'_side` (the sides that ran).
    pub side_losses: Vec<(Side, Vec<f64>)>,
    /// World output loss.
    pub world_loss: f64,
    /// World benchmark output.
    pub world_output: f64,
    /// Diagnostics.
    pub diagnostics: Diagnostics,
}

/// Runs one scenario on a prepared network.
pub fn run(net: &Network, legs: &[Leg], model: Model, p: &Params) -> Result<Outcome> {
    run_with(net, legs, model, p, None)
}

/// Where a rerouting run may start: the rerouting's row factors and the equilibrium's state of a run of the
/// same scenario under nearby parameters (Monte Carlo draws). The answer is the same to the tolerances; only
/// the iterations change.
#[derive(Debug, Clone)]
pub struct Warm {
    u: Vec<f64>,
    xi: Vec<f64>,
    h: Vec<f64>,
}

/// [`run`], started from `warm` when given (rerouting model; the extraction models ignore it), also returning
/// the state the next run may start from.
pub fn run_warm(
    net: &Network,
    legs: &[Leg],
    model: Model,
    p: &Params,
    warm: Option<&Warm>,
) -> Result<(Outcome, Option<Warm>)> {
    let mut next = None;
    let o = run_inner(net, legs, model, p, None, warm, &mut next)?;
    Ok((o, next))
}

/// [`run`], with the rerouting of some buyers' severed supply restricted to some sellers (see
/// [`reroute`]'s documentation; the extraction model reroutes nothing and ignores it).
pub fn run_with(
    net: &Network,
    legs: &[Leg],
    model: Model,
    p: &Params,
    restriction: Option<&Restriction>,
) -> Result<Outcome> {
    run_inner(net, legs, model, p, restriction, None, &mut None)
}

fn run_inner(
    net: &Network,
    legs: &[Leg],
    model: Model,
    p: &Params,
    restriction: Option<&Restriction>,
    warm: Option<&Warm>,
    next: &mut Option<Warm>,
) -> Result<Outcome> {
    p.validate()?;
    if let Some(x) = restriction
        && let Some(bad) = x.buyers.iter().chain(&x.sellers).find(|&&c| c >= net.nr)
    {
        return Err(Error::Request(format!(
            "restriction names region index {bad}, out of range ({} regions)",
            net.nr
        ))
        .into());
    }
    if legs.is_empty() {
        return Err(Error::Request("the scenario severs nothing (no leg)".into()).into());
    }
    let cut = Cut::new(legs, net.nr, net.ns, p.delta);
    let n = net.n();
    let mut seconds: Vec<(&'static str, f64)> = Vec::new();
    let mut side_losses: Vec<(Side, Vec<f64>)> = Vec::new();
    let node_final_demand_loss: Option<Vec<f64>>;
    let (x, fulfilment, pass_through, mut diagnostics) = match model {
        Model::Extraction
        | Model::ExtractionDemand
        | Model::ExtractionSupply
        | Model::ExtractionBoth => {
            let t0 = Instant::now();
            let on = |side: Side, leg: &Leg| match model {
                Model::ExtractionDemand => side == Side::Demand,
                Model::ExtractionSupply => side == Side::Supply,
                Model::ExtractionBoth => true,
                _ => leg.side() == side,
            };
            let mut x = net.s.clone();
            let mut reports = Vec::new();
            let mut fd = None;
            for side in [Side::Demand, Side::Supply] {
                let part: Vec<Leg> = legs.iter().filter(|l| on(side, l)).cloned().collect();
                if part.is_empty() {
                    continue;
                }
                let cut = Cut::new(&part, net.nr, net.ns, p.delta);
                let (xs, rep) = match side {
                    Side::Demand => extraction::solve(net, &cut, 1e-12, p.fp_max_iter),
                    Side::Supply => extraction::solve_supply(net, &cut, 1e-12, p.fp_max_iter),
                };
                if side == Side::Supply {
                    // Fixed allocation: final use falls with output.
                    fd = Some(
                        (0..n)
                            .map(|i| {
                                if net.s[i] > 0.0 {
                                    net.fin[i] * (1.0 - xs[i] / net.s[i])
                                } else {
                                    0.0
                                }
                            })
                            .collect::<Vec<f64>>(),
                    );
                }
                side_losses.push((side, net.s.iter().zip(&xs).map(|(a, b)| a - b).collect()));
                x.iter_mut().zip(&xs).for_each(|(a, b)| *a = a.min(*b));
                reports.push(rep);
            }
            seconds.push(("extraction", t0.elapsed().as_secs_f64()));
            let converged = reports.iter().all(|r| r.converged);
            node_final_demand_loss = fd;
            (
                x,
                None,
                None,
                Diagnostics {
                    reroute: None,
                    equilibrium: None,
                    stability: None,
                    extraction: reports,
                    converged,
                    severed_entries: 0,
                    seconds: Vec::new(),
                },
            )
        }
        Model::Rerouting => {
            let t0 = Instant::now();
            let rr = reroute::reroute_from(
                net,
                &cut,
                p.tau,
                p.balance_tol,
                p.balance_max_iter,
                restriction,
                warm.map(|w| w.u.as_slice()),
            );
            seconds.push(("reroute", t0.elapsed().as_secs_f64()));
            let t0 = Instant::now();
            // The stability statistics' pass runs alongside the equilibrium's first f32 pass.
            let (g, inv_w) = stability::job_vectors(net, &rr);
            let job = stability::job(&rr, &g, &inv_w);
            let start = warm.map(|w| equilibrium::Start { xi: &w.xi, h: &w.h });
            let (eq, along) = equilibrium::solve_with(net, &cut, &rr, p, Some(job), start);
            seconds.push(("equilibrium", t0.elapsed().as_secs_f64()));
            let t0 = Instant::now();
            let st = stability::check(net, &cut, &rr, &eq, along, &inv_w, &g, p);
            seconds.push(("stability", t0.elapsed().as_secs_f64()));
            let converged = rr.report.converged && eq.report.converged;
            let d = Diagnostics {
                reroute: Some(rr.report.clone()),
                equilibrium: Some(eq.report.clone()),
                stability: Some(st),
                extraction: Vec::new(),
                converged,
                severed_entries: 0,
                seconds: Vec::new(),
            };
            node_final_demand_loss =
                Some((0..n).map(|i| (1.0 - eq.lambda[i]) * net.fin[i]).collect());
            if converged {
                *next = Some(Warm {
                    u: rr.u.clone(),
                    xi: eq.x.iter().zip(&net.inv_s).map(|(x, is)| x * is).collect(),
                    h: eq.h.clone(),
                });
            }
            (eq.x, Some(eq.h), Some(eq.lambda), d)
        }
    };
    diagnostics.severed_entries = cut.severed_entries();
    diagnostics.seconds = seconds;
    let loss: Vec<f64> = net.s.iter().zip(&x).map(|(a, b)| a - b).collect();
    let ns = net.ns;
    let region_loss: Vec<f64> = (0..net.nr)
        .map(|c| loss[c * ns..(c + 1) * ns].iter().sum())
        .collect();
    let region_gamma = region_loss
        .iter()
        .zip(&net.region_output)
        .map(|(l, s)| if *s > 0.0 { l / s } else { 0.0 })
        .collect();
    let region_final_demand_loss = node_final_demand_loss.as_ref().map(|f| {
        (0..net.nr)
            .map(|c| f[c * ns..(c + 1) * ns].iter().sum())
            .collect()
    });
    let world_loss = region_loss.iter().sum();
    debug_assert_eq!(x.len(), n);
    Ok(Outcome {
        model,
        x,
        loss,
        fulfilment,
        pass_through,
        region_loss,
        region_gamma,
        region_final_demand_loss,
        side_losses,
        world_loss,
        world_output: net.world_output(),
        diagnostics,
    })
}
