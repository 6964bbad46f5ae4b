//! How much each node can produce after the shock: the CES capacity-rationing equilibrium on the rerouted
//! network (the peer model's fixed point), and the linear solve it shares with the extraction model.
//!
//! With `a^ω_ij = Z^ω_ij / w_j` the rerouted input coefficients and `h_i ∈ (0, 1]` the fulfilment of
//! seller `i` (the share of its orders it delivers):
//!
//! - **bundle retention** `θ_rj = Σ_{i∈r} a^ω_ij h_i / α_rj` — the share of `j`'s sector-`r` inputs that
//!   actually arrive;
//! - **bundle efficiency** `κ_j = (Σ_r α_rj θ_rj^ρ / Σ_r α_rj)^{1/ρ}` (inner CES, `ρ < 0`);
//! - **output pass-through** `λ_j = G(κ_j) = κ_j [ω_j + (1 − ω_j) κ_j^{−ϱ}]^{1/ϱ}` (outer CES, `ϱ < 0`);
//! - **activity** `x = λ ∘ z + h ∘ (A^ω ω̂ x)`: final deliveries scaled by `λ`, intermediate orders
//!   `D = A^ω ω̂ x` met in proportion `h`;
//! - **rationing** `σ_i = min(1, d̄_i / D_i)`: no seller delivers more than its benchmark intermediate sales;
//! - **fulfilment** `h = λ ∘ σ`.
//!
//! The fixed point in `(x, h)` is found jointly: each iteration reads `Ẑ` once (one fused pass gives both
//! `D` and the sums behind `θ`), takes one block-Jacobi step on the activity equation (domestic blocks
//! factored exactly) and one step on `h`, and Anderson mixing (depth 8) accelerates the pair. The peer
//! instead solves `x` to tolerance by a Neumann series inside every outer step; the fixed point is the same.
//!
//! The passes read the `f32` mirror of `Z` (half the bytes) until the `h` step is 1e-6; one pass then reads
//! `Z` together with its rounding errors `E = Z − Z32` and keeps `pass(E)`; later passes are `pass(Z32)` plus
//! that correction — exact to `2⁻²⁴` times the drift since, which is kept under a tenth of the tolerance and
//! reported ([`Phase`]).

use rayon::prelude::*;
use serde::Serialize;

use super::Params;
use super::anderson::Anderson;
use super::blocks::BlockLu;
use super::cut::Cut;
use super::network::Network;
use super::pass::{Coefficients, Job, Matrix, Sums};
use super::reroute::Rerouted;

/// The post-shock state.
#[derive(Debug, Clone)]
pub struct Equilibrium {
    /// Post-shock output `x^ω` per node.
    pub x: Vec<f64>,
    /// Fulfilment `h` per node.
    pub h: Vec<f64>,
    /// Bundle efficiency `κ` per node.
    pub kappa: Vec<f64>,
    /// Output pass-through `λ = G(κ)` per node.
    pub lambda: Vec<f64>,
    /// Diagnostics.
    pub report: EquilibriumReport,
}

/// How the fixed point went.
#[derive(Debug, Clone, Serialize)]
pub struct EquilibriumReport {
    /// Iterations (each one pass over the table).
    pub iterations: usize,
    /// Largest change of `h` or of `x / s` in the last iteration.
    pub step: f64,
    /// `max_i |λ_i σ_i − h_i|` at the returned state.
    pub residual_h: f64,
    /// `max_i |λ_i z_i + h_i D_i − x_i| / max_i s_i` at the returned state.
    pub residual_x: f64,
    /// Whether the tolerance was met.
    pub converged: bool,
    /// How far the returned state is from where the `f32` correction was taken (0: its pass read `Z`
    /// itself; NaN: an `f32`-only pass). Its residuals are exact to `2⁻²⁴` times this, relative.
    pub correction_drift: f64,
    /// `max_i (B^ω s)_i`, intermediate demand at benchmark output (the peer's `D̄`).
    pub demand_at_benchmark_max: f64,
}

/// Factored domestic blocks of `I − J`, `J_ji = ∂(λ_j σ_j)/∂h_i` for `i, j` in the same region (σ held fixed):
/// `J_ji = σ_j e_j (λ_j / κ_j) κ_j^{1−ρ} θ_{r(i)j}^{ρ−1} a^ω_ij / Σ_r α_rj`, `e_j` the shadow intermediate
/// share `ω_j / (ω_j + (1 − ω_j) κ_j^{−ϱ})`.
fn h_blocks(
    co: &Coefficients<'_, '_>,
    rr: &Rerouted,
    p: &Params,
    acc: &[f64],
    kappa: &[f64],
    lambda: &[f64],
    d: &[f64],
) -> BlockLu {
    let net = co.net;
    let (ns, n) = (net.ns, net.n());
    BlockLu::factor(net.nr, ns, |c, m| {
        // Row j = (c, a), column i = (c, b); m is row-major, so fill it column by column from the
        // sector-major arrays (contiguous in a for each b), then add the identity.
        let fac: Vec<f64> = (0..ns)
            .map(|a| {
                let j = c * ns + a;
                let (k, om) = (kappa[j], net.omega[j]);
                if k <= 0.0 || net.w[j] <= 0.0 || net.alpha_colsum[j] <= 0.0 {
                    return 0.0;
                }
                let sigma = if d[j] > net.dbar[j] {
                    net.dbar[j] / d[j]
                } else {
                    1.0
                };
                let e = om / (om + (1.0 - om) * pow(k, -p.rho_out));
                sigma * e * (lambda[j] / k) * pow(k, 1.0 - p.rho) / (net.alpha_colsum[j] * net.w[j])
            })
            .collect();
        for b in 0..ns {
            let i = c * ns + b;
            if co.u[i] <= 0.0 {
                continue;
            }
            let base = b * n + c * ns;
            let zrow = &net.zdom[i * ns..(i + 1) * ns];
            for a in 0..ns {
                let j = c * ns + a;
                let al = net.alpha[base + a];
                if fac[a] == 0.0 || al <= 0.0 {
                    continue;
                }
                let vt = rr.vt[base + a];
                let th = vt * acc[base + a] / (al * net.w[j]);
                if th < 1.0 {
                    m[a * ns + b] =
                        -fac[a] * pow(th.max(1e-300), p.rho - 1.0) * co.u[i] * zrow[a] * vt;
                }
            }
        }
        for a in 0..ns {
            m[a * ns + a] += 1.0;
        }
    })
}

/// `b^e`, exact and fast for the small integer exponents of the default curvatures.
#[inline]
pub(crate) fn pow(b: f64, e: f64) -> f64 {
    match e {
        1.0 => b,
        2.0 => b * b,
        -1.0 => 1.0 / b,
        -2.0 => 1.0 / (b * b),
        _ => b.powf(e),
    }
}

/// `G(κ) = κ [ω + (1 − ω) κ^{−ϱ}]^{1/ϱ}` (overflow-safe for `κ ∈ [0, 1]`, `ϱ < 0`); `G(0) = 0`.
pub fn outer_ces(kappa: f64, omega: f64, rho_out: f64) -> f64 {
    if kappa <= 0.0 {
        return 0.0;
    }
    kappa * pow(omega + (1.0 - omega) * pow(kappa, -rho_out), 1.0 / rho_out)
}

/// The CES retention aggregate and pass-through from the pass sums: returns `(κ, λ)`.
pub(crate) fn bundle(
    net: &Network,
    rr: &Rerouted,
    acc: &[f64],
    p: &Params,
) -> (Vec<f64>, Vec<f64>) {
    let n = net.n();
    const CHUNK: usize = 512;
    // Σ_r α_rj θ_rj^ρ, sector-major so every array is read in order; branch-free so it vectorises.
    fn sums(
        net: &Network,
        rr: &Rerouted,
        acc: &[f64],
        num: &mut [f64],
        f: impl Fn(f64) -> f64 + Sync,
    ) {
        let (ns, n) = (net.ns, net.n());
        num.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, nc)| {
            let j0 = ci * CHUNK;
            let w = &net.w[j0..j0 + nc.len()];
            for r in 0..ns {
                let base = r * n + j0;
                let al = &net.alpha[base..base + nc.len()];
                let vt = &rr.vt[base..base + nc.len()];
                let ac = &acc[base..base + nc.len()];
                for k in 0..nc.len() {
                    let th = (vt[k] * ac[k] / (al[k] * w[k])).clamp(1e-300, 1.0);
                    let t = al[k] * f(th);
                    nc[k] += if al[k] > 0.0 { t } else { 0.0 };
                }
            }
        });
    }
    let mut num = vec![0.0; n];
    match p.rho {
        -1.0 => sums(net, rr, acc, &mut num, |t| 1.0 / t),
        -2.0 => sums(net, rr, acc, &mut num, |t| 1.0 / (t * t)),
        rho => sums(net, rr, acc, &mut num, |t| t.powf(rho)),
    }
    let rho = p.rho;
    let kappa: Vec<f64> = (0..n)
        .map(|j| {
            let den = net.alpha_colsum[j];
            if den <= 0.0 || net.w[j] <= 0.0 {
                1.0
            } else {
                pow(num[j] / den, 1.0 / rho)
            }
        })
        .collect();
    let lambda = kappa
        .iter()
        .zip(&net.omega)
        .map(|(&k, &o)| outer_ces(k, o, p.rho_out))
        .collect();
    (kappa, lambda)
}

/// The `h` step below which the fixed point stops reading the `f32` mirror of `Z` alone (see [`Phase`]).
const SWITCH_TO_F64: f64 = 1e-6;

/// The `f32` rounding unit: `|E_ij| ≤ 2⁻²⁴ |Z_ij|`.
const F32_UNIT: f64 = 1.0 / 16_777_216.0;

/// How far (largest change of `ξ` or `h`) the iterate may move from where the correction was taken before it
/// is retaken: at most `1e-4`, and little enough that the corrected pass's error, `2⁻²⁴` times the drift
/// relative, stays under a tenth of the tolerance (`6e-12` at the default `1e-10`).
fn correction_drift_limit(tol: f64) -> f64 {
    (0.1 * tol / F32_UNIT).min(1e-4)
}

/// How an iteration reads `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The `f32` mirror alone (half the bytes): while the step is far above the mirror's ~1e-7 precision.
    Single,
    /// `Z` itself, paired with its rounding errors `E = Z − Z32` in the same sweep: an exact evaluation that
    /// also yields the correction `pass(E)`. Taken at the switch, and again whenever the iterate has drifted
    /// too far from where the correction was taken.
    Exact,
    /// The mirror plus the last correction: `pass(Z32)(w) + pass(E)(w₀)` differs from `pass(Z)(w)` by
    /// `pass(E)(w − w₀)`, at most `2⁻²⁴ |w − w₀|` relative (the pass is linear in the matrix and the vectors
    /// are linear in `w`) — exact to second order at half the bytes. Residuals from a corrected pass are
    /// trusted to that bound, which the drift limit keeps under a tenth of the tolerance.
    Corrected,
}

/// What the first real pass of the fixed point computed besides the iteration: the pass sums at `h = 1`
/// (`acc_rj = Σ_{i∈r} u_i Ẑ_ij`) and the sums of a job run alongside it (on the `f32` mirror, in the same
/// sweep), if it ran.
pub(crate) struct Alongside {
    /// `acc` at `h = 1`, `x = s`.
    pub(crate) acc_at_one: Vec<f64>,
    /// The extra job's sums, when the fixed point made an `f32` pass.
    pub(crate) sums: Option<Sums>,
}

/// Solves the rationing equilibrium on a rerouted network.
pub fn solve(net: &Network, cut: &Cut, rr: &Rerouted, p: &Params) -> Equilibrium {
    solve_with(net, cut, rr, p, None, None).0
}

/// A state the fixed point may start from instead of the benchmark (`x = s`, `h = 1`): `ξ = x / s` and `h`
/// of another solution, per node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start<'a> {
    pub(crate) xi: &'a [f64],
    pub(crate) h: &'a [f64],
}

/// [`solve`], also returning what the stability statistics need from it; `alongside`, if given, is run
/// with the first `f32` pass in the same sweep (the statistics' own pass).
pub(crate) fn solve_with(
    net: &Network,
    cut: &Cut,
    rr: &Rerouted,
    p: &Params,
    mut alongside: Option<Job<'_>>,
    start: Option<Start<'_>>,
) -> (Equilibrium, Alongside) {
    let n = net.n();
    let co = Coefficients {
        net,
        cut,
        u: &rr.u,
        vt: &rr.vt,
    };
    let smax = net.s.iter().cloned().fold(0.0, f64::max).max(1.0);
    let active: Vec<bool> = net.s.iter().map(|&v| v > 0.0).collect();
    let mut w: Vec<f64> = match start {
        // A warm start, kept in the iteration's domain.
        Some(s) => (0..n)
            .map(|i| if active[i] { s.xi[i].max(0.0) } else { 0.0 })
            .chain(s.h.iter().map(|h| h.clamp(1e-12, 1.0)))
            .collect(),
        None => active
            .iter()
            .map(|&a| if a { 1.0 } else { 0.0 })
            .chain(std::iter::repeat_n(1.0, n))
            .collect(),
    };
    let mut pre = Preconditioner {
        x: co.precondition(&w[n..]),
        h: None,
    };
    let mut h_at_lus = w[n..].to_vec();
    let mut mix = Anderson::new(8);
    let mut iterations = 0;
    let mut best = f64::INFINITY;
    let mut since_best = 0usize;
    // Whether the last step shrank less than fourfold (then the h-step blocks are refactored on schedule
    // even after the switch).
    let mut slow = false;
    let mut prev_step = f64::INFINITY;
    let mut phase = Phase::Single;
    // The correction pass(E) and the iterate it was taken at.
    let mut correction: Option<(Sums, Vec<f64>)> = None;
    let mut extra = None;
    // This iteration's pass (the buffers are reused: fresh pages fault on first touch).
    let mut cur = Sums::default();
    let mut acc_at_one = Vec::new();
    let mut dmax0 = 0.0;
    let tol_met = |ev: &Eval| ev.residual_h <= p.fp_tol && ev.residual_x <= 1e-1 * p.fp_tol * smax;
    let drift_limit = correction_drift_limit(p.fp_tol);
    let (last, drift) = loop {
        // The h-step blocks are refactored every third iteration while on the f32 mirror (a chord method in
        // between); near the solution the last factorisation serves while the steps shrink fast.
        if iterations % 3 == 0 && (phase == Phase::Single || slow) {
            pre.h = None;
        }
        let drift = match (&correction, phase) {
            (Some((_, at)), Phase::Corrected) => w
                .iter()
                .zip(at)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max),
            _ => 0.0,
        };
        if drift > drift_limit {
            phase = Phase::Exact;
        }
        let this = phase;
        if iterations == 0 && start.is_none() {
            // At the start (x = s, h = 1) the pass is known, exactly, from the rerouting's last sweep.
            cur = rr.at_benchmark(net);
        } else {
            let (xi, h) = w.split_at(n);
            let g: Vec<f64> = h.iter().zip(co.u).map(|(a, b)| a * b).collect();
            let job = Job {
                y: co.vt,
                c: xi,
                g: Some(&g),
            };
            match this {
                Phase::Single => match alongside.take() {
                    Some(other) => {
                        let mut b = Sums::default();
                        let jobs = ((&job, Matrix::Single), (&other, Matrix::Single));
                        co.pass_pair(jobs.0, jobs.1, &mut cur, &mut b);
                        extra = Some(b);
                    }
                    None => co.pass(&job, Matrix::Single, &mut cur),
                },
                Phase::Exact => {
                    let (mut e, mut at) = correction.take().unwrap_or_default();
                    let jobs = ((&job, Matrix::Double), (&job, Matrix::RoundingError));
                    co.pass_pair(jobs.0, jobs.1, &mut cur, &mut e);
                    at.clone_from(&w);
                    correction = Some((e, at));
                }
                Phase::Corrected => {
                    co.pass(&job, Matrix::Single, &mut cur);
                    if let Some((e, _)) = &correction {
                        cur.add(e);
                    }
                }
            }
        }
        let ev = evaluate(&co, rr, p, &w, &mut pre, &active, &cur);
        // The first pass is exact (from the rerouting); f32-only passes are never trusted for convergence
        // (without an exact mirror, "f32" passes read Z itself and are).
        let trusted =
            (iterations == 0 && start.is_none()) || this != Phase::Single || !net.mirror_exact;
        if iterations == 0 {
            if start.is_none() {
                dmax0 = ev.d_max;
                acc_at_one = cur.acc.clone();
            } else {
                let at_one = rr.at_benchmark(net);
                dmax0 = at_one.d.iter().cloned().fold(0.0, f64::max);
                acc_at_one = at_one.acc;
            }
        }
        iterations += 1;
        if (trusted && tol_met(&ev)) || iterations >= p.fp_max_iter {
            break (ev, if trusted { Some(drift) } else { None });
        }
        phase = match this {
            Phase::Single
                if net.mirror_exact && (ev.residual_h <= SWITCH_TO_F64 || iterations >= 50) =>
            {
                Phase::Exact
            }
            Phase::Single => Phase::Single,
            _ => Phase::Corrected,
        };
        let e = ev.step;
        slow = e > 0.25 * prev_step;
        prev_step = e;
        // Progress is tracked on trusted evaluations only (measured afresh after the switch).
        if !trusted || e < best {
            best = if trusted { e } else { f64::INFINITY };
            since_best = 0;
        } else {
            since_best += 1;
        }
        if e > 10.0 * best {
            mix.reset();
        }
        let mut nw = if since_best > 150 {
            mix.reset();
            w.iter()
                .zip(&ev.next)
                .map(|(a, b)| 0.5 * a + 0.5 * b)
                .collect()
        } else {
            mix.step(&w, &ev.next)
        };
        for (i, v) in nw.iter_mut().enumerate() {
            if i < n {
                *v = if active[i] { v.max(0.0) } else { 0.0 };
            } else {
                *v = v.clamp(1e-12, 1.0);
            }
        }
        w = nw;
        // Refactor the preconditioner when fulfilment has moved.
        let moved = w[n..]
            .iter()
            .zip(&h_at_lus)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if moved > 0.05 {
            pre.x = co.precondition(&w[n..]);
            h_at_lus.copy_from_slice(&w[n..]);
        }
    };
    // The returned state is the last one evaluated; converged only when that evaluation was exact or
    // corrected (not f32 alone).
    let x: Vec<f64> = w[..n].iter().zip(&net.s).map(|(a, b)| a * b).collect();
    let h = w[n..].to_vec();
    let converged = drift.is_some() && tol_met(&last);
    (
        Equilibrium {
            x,
            h,
            kappa: last.kappa,
            lambda: last.lambda,
            report: EquilibriumReport {
                iterations,
                step: last.step,
                residual_h: last.residual_h,
                residual_x: last.residual_x / smax,
                converged,
                correction_drift: drift.unwrap_or(f64::NAN),
                demand_at_benchmark_max: dmax0,
            },
        },
        Alongside {
            acc_at_one,
            sums: extra,
        },
    )
}

/// What one iteration hands the next: the block-Jacobi factors — domestic blocks of `I − ĥ B^ω` (activity)
/// and of `I − J` (fulfilment; refactored every third iteration, `None` when due).
struct Preconditioner {
    x: BlockLu,
    h: Option<BlockLu>,
}

struct Eval {
    /// The map value `g(w) = (ξ⁺, h⁺)`.
    next: Vec<f64>,
    /// `max(|h⁺ − h|, |ξ⁺ − ξ|)`.
    step: f64,
    d_max: f64,
    kappa: Vec<f64>,
    lambda: Vec<f64>,
    residual_h: f64,
    residual_x: f64,
}

/// One evaluation of the joint map at `w = (ξ, h)`, `ξ = x / s`, from its pass sums.
fn evaluate(
    co: &Coefficients<'_, '_>,
    rr: &Rerouted,
    p: &Params,
    w: &[f64],
    pre: &mut Preconditioner,
    active: &[bool],
    sums: &Sums,
) -> Eval {
    let net = co.net;
    let n = net.n();
    let (xi, h) = w.split_at(n);
    let Sums { d, acc } = sums;
    let (kappa, lambda) = bundle(net, rr, acc, p);
    let mut out = vec![0.0; 2 * n];
    let mut res = vec![0.0; n];
    let mut residual_h: f64 = 0.0;
    for i in 0..n {
        let sigma = if d[i] > net.dbar[i] {
            net.dbar[i] / d[i]
        } else {
            1.0
        };
        let hn = lambda[i] * sigma;
        residual_h = residual_h.max((hn - h[i]).abs());
        out[n + i] = hn;
        res[i] = if active[i] {
            lambda[i] * net.fin[i] + h[i] * d[i] - xi[i] * net.s[i]
        } else {
            0.0
        };
    }
    let residual_x = res.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut e: f64 = residual_h;
    {
        // Block-Jacobi Newton step on h: the domestic blocks of the Jacobian of h ↦ λ(κ(θ(h))) σ.
        let mut dh: Vec<f64> = (0..n).map(|i| out[n + i] - h[i]).collect();
        let hl = pre
            .h
            .get_or_insert_with(|| h_blocks(co, rr, p, acc, &kappa, &lambda, d));
        hl.apply(&mut dh);
        for i in 0..n {
            out[n + i] = h[i] + dh[i];
            // The activity residual after the h step (to first order: deliveries and final use follow h).
            if active[i] {
                res[i] += (d[i] + net.fin[i]) * dh[i];
            }
        }
    }
    pre.x.apply(&mut res);
    for i in 0..n {
        let dxi = res[i] * net.inv_s[i];
        out[i] = xi[i] + dxi;
        e = e.max(dxi.abs());
    }
    let dmax = d.iter().cloned().fold(0.0, f64::max);
    Eval {
        next: out,
        step: e,
        d_max: dmax,
        kappa,
        lambda,
        residual_h,
        residual_x,
    }
}
