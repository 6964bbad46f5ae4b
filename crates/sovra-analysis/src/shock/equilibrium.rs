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

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::{PartialPivLu, Solve};

use super::Params;
use super::anderson::Anderson;
use super::cut::{Cut, Elem, dot_axpy4};
use super::network::Network;
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
    /// `max_i (B^ω s)_i`, intermediate demand at benchmark output (the peer's `D̄`).
    pub demand_at_benchmark_max: f64,
}

/// The coefficient structure of one solve: `B^ω_ij = u_i Ẑ_ij ṽ_{r(i)j} / s_j`.
pub(crate) struct Coefficients<'n, 'c> {
    pub(crate) net: &'n Network<'n>,
    pub(crate) cut: &'c Cut,
    pub(crate) u: &'c [f64],
    pub(crate) vt: &'c [f64],
}

impl Coefficients<'_, '_> {
    /// One pass: `D_i = u_i Σ_j Ẑ_ij y_{r(i)j} c_j` for all `i` and, when `g` is given,
    /// `acc_rj = Σ_{i∈r} g_i Ẑ_ij` (`y`, `acc`: `S × N`; `c`: `N`). `low`: read the `f32` mirror of `Z`.
    pub(crate) fn pass(
        &self,
        y: &[f64],
        c: &[f64],
        g: Option<&[f64]>,
        low: bool,
    ) -> (Vec<f64>, Vec<f64>) {
        if low {
            self.pass_with(|i| self.net.row32(i), y, c, g)
        } else {
            self.pass_with(|i| self.net.row(i), y, c, g)
        }
    }

    fn pass_with<'r, T: Elem + 'r>(
        &self,
        row: impl Fn(usize) -> &'r [T] + Sync,
        y: &[f64],
        cs: &[f64],
        g: Option<&[f64]>,
    ) -> (Vec<f64>, Vec<f64>) {
        let net = self.net;
        let (nr, ns, n) = (net.nr, net.ns, net.n());
        // Each sector block writes its own slice of acc (S × N) and of d by block (S × C).
        let mut acc = vec![0.0; if g.is_some() { ns * n } else { 0 }];
        let mut d = vec![0.0; ns * nr];
        let work = |r: usize, dr: &mut [f64], accr: &mut [f64]| {
            let yr = &y[r * n..(r + 1) * n];
            let Some(g) = g else {
                for (c, dc) in dr.iter_mut().enumerate() {
                    let i = c * ns + r;
                    if self.u[i] != 0.0 {
                        *dc = self.u[i] * self.cut.dot(row(i), i, yr, cs);
                    }
                }
                return;
            };
            // Rows four at a time against y_r ∘ c, then each row's severed chunks.
            let yc: Vec<f64> = yr.iter().zip(cs).map(|(a, b)| a * b).collect();
            let mut c0 = 0;
            while c0 < nr {
                let k = (nr - c0).min(4);
                let idx: [usize; 4] = std::array::from_fn(|q| (c0 + q.min(k - 1)) * ns + r);
                let gs: [f64; 4] = std::array::from_fn(|q| if q < k { g[idx[q]] } else { 0.0 });
                let dots = dot_axpy4(idx.map(&row), &yc, gs, accr);
                for q in 0..k {
                    let i = idx[q];
                    let sev = self.cut.severed_part(row(i), i, &yc, gs[q], accr);
                    dr[c0 + q] = self.u[i] * (dots[q] - sev);
                }
                c0 += k;
            }
        };
        if g.is_some() {
            d.par_chunks_mut(nr)
                .zip(acc.par_chunks_mut(n))
                .enumerate()
                .for_each(|(r, (dr, accr))| work(r, dr, accr));
        } else {
            d.par_chunks_mut(nr)
                .enumerate()
                .for_each(|(r, dr)| work(r, dr, &mut []));
        }
        let mut dv = vec![0.0; n];
        for r in 0..ns {
            for c in 0..nr {
                dv[c * ns + r] = d[r * nr + c];
            }
        }
        (dv, acc)
    }

    /// Block-Jacobi factors of `I − ĥ B^ω`: one domestic block per region.
    pub(crate) fn precondition(&self, h: &[f64]) -> Vec<PartialPivLu<f64>> {
        let net = self.net;
        let (ns, n) = (net.ns, net.n());
        (0..net.nr)
            .into_par_iter()
            .map(|c| {
                let m = Mat::<f64>::from_fn(ns, ns, |a, b| {
                    let (i, j) = (c * ns + a, c * ns + b);
                    let v = h[i] * self.u[i] * net.zd(c, a, b) * self.vt[a * n + j] * net.inv_s[j];
                    if a == b { 1.0 - v } else { -v }
                });
                m.partial_piv_lu()
            })
            .collect()
    }
}

/// Applies the block-Jacobi factors to a residual (in place).
pub(crate) fn apply_blocks(lus: &[PartialPivLu<f64>], ns: usize, res: &mut [f64]) {
    res.par_chunks_mut(ns).zip(lus).for_each(|(rc, lu)| {
        let mut b = Mat::<f64>::from_fn(ns, 1, |a, _| rc[a]);
        lu.solve_in_place(b.as_mut());
        for (a, v) in rc.iter_mut().enumerate() {
            *v = b[(a, 0)];
        }
    });
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
) -> Vec<PartialPivLu<f64>> {
    let net = co.net;
    let (ns, n) = (net.ns, net.n());
    (0..net.nr)
        .into_par_iter()
        .map(|c| {
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
                    sigma * e * (lambda[j] / k) * pow(k, 1.0 - p.rho)
                        / (net.alpha_colsum[j] * net.w[j])
                })
                .collect();
            let m = Mat::<f64>::from_fn(ns, ns, |a, b| {
                // row j = (c, a), column i = (c, b); sector of i is b.
                let (j, i) = (c * ns + a, c * ns + b);
                let al = net.alpha[b * n + j];
                let v = if fac[a] != 0.0 && al > 0.0 && co.u[i] > 0.0 {
                    let th = rr.vt[b * n + j] * acc[b * n + j] / (al * net.w[j]);
                    if th < 1.0 {
                        fac[a]
                            * pow(th.max(1e-300), p.rho - 1.0)
                            * co.u[i]
                            * net.zd(c, b, a)
                            * rr.vt[b * n + j]
                    } else {
                        0.0
                    }
                } else {
                    0.0
                };
                if a == b { 1.0 - v } else { -v }
            });
            m.partial_piv_lu()
        })
        .collect()
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
    net: &Network<'_>,
    rr: &Rerouted,
    acc: &[f64],
    p: &Params,
) -> (Vec<f64>, Vec<f64>) {
    let (ns, n) = (net.ns, net.n());
    let rho = p.rho;
    const CHUNK: usize = 256;
    // Σ_r α_rj θ_rj^ρ, sector-major so every array is read in order.
    let mut num = vec![0.0; n];
    num.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, nc)| {
        let j0 = ci * CHUNK;
        for r in 0..ns {
            let base = r * n + j0;
            for (k, v) in nc.iter_mut().enumerate() {
                let al = net.alpha[base + k];
                if al > 0.0 {
                    let th =
                        (rr.vt[base + k] * acc[base + k] / (al * net.w[j0 + k])).clamp(1e-300, 1.0);
                    *v += al * pow(th, rho);
                }
            }
        }
    });
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

/// The `h` step below which the fixed point switches from the `f32` mirror of `Z` to `Z` itself.
const SWITCH_TO_F64: f64 = 1e-6;

/// Solves the rationing equilibrium on a rerouted network. Also returns the pass sums at `h = 1`
/// (`acc_rj = Σ_{i∈r} u_i Ẑ_ij`, from the first iteration) for the stability statistics.
pub fn solve(net: &Network<'_>, cut: &Cut, rr: &Rerouted, p: &Params) -> (Equilibrium, Vec<f64>) {
    let n = net.n();
    let co = Coefficients {
        net,
        cut,
        u: &rr.u,
        vt: &rr.vt,
    };
    let smax = net.s.iter().cloned().fold(0.0, f64::max).max(1.0);
    let active: Vec<bool> = net.s.iter().map(|&v| v > 0.0).collect();
    let mut w: Vec<f64> = active
        .iter()
        .map(|&a| if a { 1.0 } else { 0.0 })
        .chain(std::iter::repeat_n(1.0, n))
        .collect();
    // At the start (x = s, h = 1) the pass is known from the rerouting: D = the rerouted sales R and
    // acc_rj = Σ_{i∈r} u_i Ẑ_ij = ct_rj / ṽ_rj.
    let mut pre = Preconditioner {
        x: co.precondition(&w[n..]),
        h: None,
        first: Some(rr.at_benchmark(net)),
    };
    let mut h_at_lus = w[n..].to_vec();
    let mut mix = Anderson::new(8);
    let mut iterations = 0;
    let mut best = f64::INFINITY;
    let mut since_best = 0usize;
    let mut low = true;
    let mut acc_at_one = Vec::new();
    let mut dmax0 = 0.0;
    let last = loop {
        // The h-step blocks are refactored every third iteration (a chord method in between).
        if iterations % 3 == 0 {
            pre.h = None;
        }
        let mut ev = evaluate(&co, rr, p, &w, &mut pre, &active, low);
        if low && (ev.residual_h <= SWITCH_TO_F64 || iterations >= 50) {
            // From here on, the exact table; progress is measured afresh.
            low = false;
        }
        if iterations == 0 {
            dmax0 = ev.d_max;
            acc_at_one = std::mem::take(&mut ev.acc);
        }
        iterations += 1;
        let e = ev.step;
        let done = !low && ev.residual_h <= p.fp_tol && ev.residual_x <= 1e-1 * p.fp_tol * smax;
        if done || iterations >= p.fp_max_iter {
            break ev;
        }
        if low || e < best {
            best = if low { f64::INFINITY } else { e };
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
    // The returned state is the last one evaluated, so its residuals are exact.
    let x: Vec<f64> = w[..n].iter().zip(&net.s).map(|(a, b)| a * b).collect();
    let h = w[n..].to_vec();
    let converged =
        !low && last.residual_h <= p.fp_tol && last.residual_x <= 1e-1 * p.fp_tol * smax;
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
                demand_at_benchmark_max: dmax0,
            },
        },
        acc_at_one,
    )
}

/// What one iteration hands the next: the block-Jacobi factors — domestic blocks of `I − ĥ B^ω` (activity)
/// and of `I − J` (fulfilment; refactored every third iteration, `None` when due) — and, before the first
/// iteration, its pass results when they are already known.
struct Preconditioner {
    x: Vec<PartialPivLu<f64>>,
    h: Option<Vec<PartialPivLu<f64>>>,
    first: Option<(Vec<f64>, Vec<f64>)>,
}

struct Eval {
    /// The map value `g(w) = (ξ⁺, h⁺)`.
    next: Vec<f64>,
    /// `max(|h⁺ − h|, |ξ⁺ − ξ|)`.
    step: f64,
    d_max: f64,
    /// The pass sums behind `θ`.
    acc: Vec<f64>,
    kappa: Vec<f64>,
    lambda: Vec<f64>,
    residual_h: f64,
    residual_x: f64,
}

/// One evaluation of the joint map at `w = (ξ, h)`, `ξ = x / s`.
fn evaluate(
    co: &Coefficients<'_, '_>,
    rr: &Rerouted,
    p: &Params,
    w: &[f64],
    pre: &mut Preconditioner,
    active: &[bool],
    low: bool,
) -> Eval {
    let net = co.net;
    let n = net.n();
    let (xi, h) = w.split_at(n);
    let (d, acc) = match pre.first.take() {
        Some(pass) => pass,
        None => {
            let g: Vec<f64> = h.iter().zip(co.u).map(|(a, b)| a * b).collect();
            co.pass(co.vt, xi, Some(&g), low)
        }
    };
    let (kappa, lambda) = bundle(net, rr, &acc, p);
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
            .get_or_insert_with(|| h_blocks(co, rr, p, &acc, &kappa, &lambda, &d));
        apply_blocks(hl, net.ns, &mut dh);
        for i in 0..n {
            out[n + i] = h[i] + dh[i];
            // The activity residual after the h step (to first order: deliveries and final use follow h).
            if active[i] {
                res[i] += (d[i] + net.fin[i]) * dh[i];
            }
        }
    }
    apply_blocks(&pre.x, net.ns, &mut res);
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
        acc,
        kappa,
        lambda,
        residual_h,
        residual_x,
    }
}
