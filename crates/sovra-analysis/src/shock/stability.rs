//! Whether the equilibrium can be trusted: the peer model's admissibility and stability statistics, computed
//! on the rerouted network and the solution (names as in the peer's diagnostics).
//!
//! - `q_omega = max_j ω_j Σ_i a^ω_ij` — column sums of `B^ω`; below 1 the activity equation is a contraction;
//! - `abar_omega = max_i Σ_j a^ω_ij` — largest row sum of the rerouted coefficients;
//! - `min_intended_retention = min_{r,j} ct_rj / (α_rj w_j)` — the deepest cut of a buyer's sector bundle;
//! - `cushion_min_slack = min_j (κ_j(1) − ω_j^{−1/ϱ})` — the cushion condition for an interior equilibrium
//!   (`κ(1)`: bundle efficiency at full fulfilment); it must be positive;
//! - `c_omega_floor = min_j (β_j / (1 − ω_j κ_j(1)^ϱ))^{1/ϱ}` — closed-form floor on fulfilment;
//! - `lh_bound`, `lx_bound`, `r_lambda` — the Lipschitz bounds of the coupled map and the spectral radius of
//!   their 2 × 2 majorant; `r_lambda < 1` is a (very conservative) sufficient condition for uniqueness.

use serde::Serialize;

use super::Params;
use super::cut::Cut;
use super::equilibrium::{Alongside, Equilibrium, bundle, pow};
use super::network::Network;
use super::pass::{Coefficients, Job, Matrix, Sums};
use super::reroute::Rerouted;

/// The statistics.
#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    /// `max_j ω_j Σ_i a^ω_ij`.
    pub q_omega: f64,
    /// `max_i Σ_j a^ω_ij`.
    pub abar_omega: f64,
    /// `min ct / (α w)`.
    pub min_intended_retention: f64,
    /// `min_i h_i`.
    pub h_min: f64,
    /// `min_j κ_j`.
    pub kappa_min: f64,
    /// `min_j (κ_j(1) − ω_j^{−1/ϱ})`; must be positive.
    pub cushion_min_slack: f64,
    /// Floor on fulfilment implied by the cushion condition.
    pub c_omega_floor: f64,
    /// Largest shadow intermediate share at the bundle floor.
    pub ebar_omega: f64,
    /// Lipschitz bound of the map in `h`.
    pub lh_bound: f64,
    /// Lipschitz bound of the map in `x`.
    pub lx_bound: f64,
    /// Spectral radius of the 2 × 2 majorant.
    pub r_lambda: f64,
    /// Whether the cushion condition holds and `h_min` is above its floor.
    pub interior: bool,
}

/// The vectors of the statistics' pass: `g_i = u_i / d̄_i` (0 where `d̄_i = 0`) and `1 / w_j` (0 where `w_j = 0`).
pub(crate) fn job_vectors(net: &Network, rr: &Rerouted) -> (Vec<f64>, Vec<f64>) {
    let g = (0..net.n())
        .map(|i| {
            if net.dbar[i] > 0.0 {
                rr.u[i] / net.dbar[i]
            } else {
                0.0
            }
        })
        .collect();
    let inv_w = net
        .w
        .iter()
        .map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 })
        .collect();
    (g, inv_w)
}

/// The statistics' pass: row sums of `a^ω` (`D` with `y = ṽ`, `c = 1 / w`) and column sums weighted by
/// `u / d̄` (`acc` with `g`).
pub(crate) fn job<'a>(rr: &'a Rerouted, g: &'a [f64], inv_w: &'a [f64]) -> Job<'a> {
    Job {
        y: &rr.vt,
        c: inv_w,
        g: Some(g),
    }
}

/// Computes the statistics from the equilibrium and what ran alongside it: `acc1_rj = Σ_{i∈r} u_i Ẑ_ij` (the
/// equilibrium's first pass, at `h = 1`) and the statistics' pass (made here, on the `f32` mirror, if the
/// equilibrium made no `f32` pass to carry it). `g` and `inv_w` are [`job_vectors`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    net: &Network,
    cut: &Cut,
    rr: &Rerouted,
    eq: &Equilibrium,
    along: Alongside,
    inv_w: &[f64],
    g: &[f64],
    p: &Params,
) -> Stability {
    let (ns, n) = (net.ns, net.n());
    let acc1 = &along.acc_at_one[..];
    // These are bounds: the f32 mirror's 7 digits are plenty.
    let Sums { d: rows, acc: acc2 } = along.sums.unwrap_or_else(|| {
        let co = Coefficients {
            net,
            cut,
            u: &rr.u,
            vt: &rr.vt,
        };
        let mut sums = Sums::default();
        co.pass(&job(rr, g, inv_w), Matrix::Single, &mut sums);
        sums
    });
    let abar_omega = rows.iter().cloned().fold(0.0, f64::max);
    let col = |acc: &[f64], j: usize| -> f64 {
        (0..ns)
            .map(|r| rr.vt[r * n + j] * acc[r * n + j])
            .sum::<f64>()
            * inv_w[j]
    };
    let q_omega = (0..n)
        .map(|j| net.omega[j] * col(acc1, j))
        .fold(0.0, f64::max);
    // κ at full fulfilment: the bundle aggregate on the first pass's sums.
    let (kap1, _) = bundle(net, rr, acc1, p);
    let lx_bound = (0..n)
        .map(|j| net.omega[j] * col(&acc2, j))
        .fold(0.0, f64::max);
    let min_intended_retention = (0..ns * n)
        .filter(|&k| net.alpha[k] > 0.0 && net.w[k % n] > 0.0)
        .map(|k| rr.ct[k] / (net.alpha[k] * net.w[k % n]))
        .fold(f64::INFINITY, f64::min);
    let h_min = eq.h.iter().cloned().fold(f64::INFINITY, f64::min);
    let kappa_min = eq.kappa.iter().cloned().fold(f64::INFINITY, f64::min);
    let vr = p.rho_out;
    let cushion_min_slack = (0..n)
        .map(|j| kap1[j] - pow(net.omega[j], -1.0 / vr))
        .fold(f64::INFINITY, f64::min);
    let c_omega_floor = (0..n)
        .map(|j| {
            let beta = 1.0 - net.omega[j];
            let den = 1.0 - net.omega[j] * pow(kap1[j], vr);
            if den > 0.0 {
                (beta / den.max(1e-300)).powf(1.0 / vr)
            } else {
                0.0
            }
        })
        .fold(f64::INFINITY, f64::min);
    let kap1_min = kap1.iter().cloned().fold(f64::INFINITY, f64::min);
    let th_floor = h_min * min_intended_retention;
    let kap_floor = (h_min * kap1_min).max(1e-300);
    let omega_max = net.omega.iter().cloned().fold(0.0, f64::max);
    let beta_max = net.omega.iter().map(|o| 1.0 - o).fold(0.0, f64::max);
    let ebar_omega = omega_max / (omega_max + (1.0 - omega_max) * kap_floor.powf(-vr));
    let lh_bound = ebar_omega * kap_floor.powf(-beta_max) * th_floor.powf(p.rho - 1.0) * abar_omega;
    let dbar = eq.report.demand_at_benchmark_max;
    let zi = net.fin.iter().cloned().fold(0.0, f64::max);
    let (l11, l12, l21, l22) = (
        q_omega + dbar * lx_bound,
        dbar * lh_bound + zi * lh_bound,
        lx_bound,
        lh_bound,
    );
    let (tr, det) = (l11 + l22, l11 * l22 - l12 * l21);
    let r_lambda = 0.5 * (tr + (tr * tr - 4.0 * det).max(0.0).sqrt());
    Stability {
        q_omega,
        abar_omega,
        min_intended_retention,
        h_min,
        kappa_min,
        cushion_min_slack,
        c_omega_floor,
        ebar_omega,
        lh_bound,
        lx_bound,
        r_lambda,
        interior: cushion_min_slack > 0.0 && h_min >= c_omega_floor - 1e-12,
    }
}
