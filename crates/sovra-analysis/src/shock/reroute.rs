//! Where the severed trade goes: two-sided RAS rerouting of the disrupted flow matrix.
//!
//! After the cut, a share `δ` of each severed flow leaks through; of the rest, a share `τ` is lost to
//! rerouting friction and `1 − τ` finds other partners. With `f = τ (1 − δ)` and `F_ij` the benchmark flow
//! `A_ij w_j` on severed entries (0 elsewhere), the rerouted flow matrix must meet, per selling sector `r`:
//!
//! - buyer margins  `Σ_{i∈r} Z^ω_ij = α_rj w_j − f Σ_{i∈r} F_ij`  (each buyer still spends on sector `r`
//!   what it did, less the friction loss), and
//! - seller margins `Σ_j Z^ω_ij = d̄_i − f Σ_j F_ij`              (each seller still sells its benchmark
//!   intermediate sales, less the friction loss),
//!
//! with `Z^ω_ij = u_i Ẑ_ij ṽ_rj` biproportional to the disrupted flows `Ẑ` (severed entries scaled by `δ`).
//! The sector blocks are independent balancing problems (`C` sellers × `N` buyers each).
//!
//! **Method.** The column factors are eliminated exactly, `ṽ_j = ct_j / Σ_u u_u Ẑ_uj`, which leaves the
//! `C` seller equations `F_u(η) = R_u − rt_u = 0` in `η = log u`. Their Jacobian is the weighted graph
//! Laplacian `diag(R) − P diag(1/ct) Pᵀ` (`P_uj = u_u Ẑ_uj ṽ_j`); we use its country-aggregated form
//! (buyers grouped by region, `p_uc = Σ_{j∈c} P_uj`) in a quasi-Newton iteration. Each iteration reads the
//! block twice and solves one `C × C` system; it converges in a few iterations because the slow, cross-country
//! modes that make plain RAS (Sinkhorn) crawl are exactly what the aggregated Laplacian carries. The result
//! is the unique RAS solution, whatever the algorithm; the seller-margin residual is reported.
//!
//! **Precision.** The block is read from the `f32` mirror of `Z` (1.3 MB on ICIO: it stays in a core's L2
//! cache) until the residual is 1e-6; then one sweep also reads `Z` itself, as its rounding errors
//! `E = Z − Z32`, and records the two linear pieces `Eᵀu` and `E ṽ` it contributes; the remaining sweeps read
//! the mirror plus that correction, which is exact to second order (`2⁻²⁴` times the drift of `log u` since
//! the correction, kept under a tenth of the tolerance and reported as `correction_drift`).
//!
//! **Restricted rerouting** ([`Restriction`], the alliance test of `sovra alliances`). When only some sellers
//! may take over the severed supply of some buyers (allies ∪ us for our buyers), a severed flow `F_ij` into
//! a restricted buyer `j` is rerouted only in the proportion `e_rj` that eligible sellers hold in `j`'s
//! remaining (not severed) purchases of sector `r`, `e_rj = Σ_{i∈r, eligible} Z_ij / Σ_{i∈r} Z_ij` over
//! the entries not severed (1 when `j` has no remaining supplier: nothing to restrict). The rest is lost like
//! the friction: the entry's loss share is `f_ij = τ(1 − δ) + (1 − τ)(1 − δ)(1 − e_rj)` instead of
//! `f = τ(1 − δ)`, taken off both margins (buyer `j` and seller `i`), so the block still balances. The RAS
//! then spreads what is rerouted as before. The restriction thus caps the *amount* of a buyer's lost supply
//! that is replaced at what the eligible sellers would have delivered under proportional rerouting; it does
//! not change *which* sellers deliver it (a fixed-cell RAS would; it is not implemented). With every region
//! eligible `e = 1` and the run is the unrestricted one, bit for bit.

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::faer::Mat;
use sovra_core::faer::linalg::solvers::Solve;

use super::anderson::Anderson;
use super::cut::Cut;
use super::kernels::{Elem, axpy, axpy_chunk_dots4, axpy4, chunk_dots4, rounding_errors};
use super::network::Network;
use super::pass::Sums;

/// The balanced (rerouted) network of one scenario.
#[derive(Debug, Clone)]
pub struct Rerouted {
    /// Row factors `u_i` per node.
    pub(crate) u: Vec<f64>,
    /// Column factors `ṽ_rj`, `S × N` row-major (flow space: `Z^ω_ij = u_i Ẑ_ij ṽ_{r(i)j}`).
    pub(crate) vt: Vec<f64>,
    /// Buyer-margin targets `ct_rj`, `S × N`.
    pub(crate) ct: Vec<f64>,
    /// Rerouted sales `R_i = Σ_j Z^ω_ij` (the seller margins as met).
    pub(crate) sales: Vec<f64>,
    /// Diagnostics.
    pub report: RerouteReport,
}

impl Rerouted {
    /// The equilibrium's first pass, known from the balancing: at `x = s`, `h = 1`, intermediate orders are the
    /// rerouted sales, and `Σ_{i∈r} u_i Ẑ_ij = ct_rj / ṽ_rj`.
    pub(crate) fn at_benchmark(&self, net: &Network) -> Sums {
        let acc = self
            .ct
            .iter()
            .zip(&self.vt)
            .map(|(c, v)| if *v > 0.0 { c / v } else { 0.0 })
            .collect();
        debug_assert_eq!(self.sales.len(), net.n());
        Sums {
            d: self.sales.clone(),
            acc,
        }
    }

    /// The rerouted flow `Z^ω_ij = u_i Ẑ_ij ṽ_{r(i)j}`.
    pub fn flow(&self, net: &Network, cut: &Cut, i: usize, j: usize) -> f64 {
        let n = net.n();
        let r = i % net.ns;
        let f = match cut.share(i, j / net.ns) {
            0.0 => 1.0,
            sh => cut.kept(sh),
        };
        self.u[i] * net.row(i)[j] * f * self.vt[r * n + j]
    }
}

/// How the balancing went.
#[derive(Debug, Clone, Serialize)]
pub struct RerouteReport {
    /// Largest number of iterations over the sector blocks.
    pub iterations: usize,
    /// Largest seller-margin error, relative to the largest margin of its block.
    pub residual: f64,
    /// Whether every block met the tolerance.
    pub converged: bool,
    /// Largest drift of `log u` from where a block's `f32` correction was taken (0: exact sweeps; NaN: a
    /// block balanced on the `f32` mirror alone). The residual is exact to about `6 · 2⁻²⁴` times this.
    pub correction_drift: f64,
    /// Benchmark intermediate flow severed (before leakage), in the table's currency.
    pub severed_flow: f64,
    /// Of it, lost to rerouting friction: `f Σ F_ij`.
    pub friction_loss: f64,
    /// Of it, lost because only eligible sellers could take it over: `Σ (f_ij − f) F_ij` (restricted
    /// rerouting only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restricted_loss: Option<f64>,
}

/// A [`Restriction`] that restricts something, with the share of a severed flow that is neither leaked nor
/// lost to friction, `(1 − τ)(1 − δ)`.
struct Restricted {
    buyers: Vec<usize>,
    sellers: Vec<usize>,
    unrouted: f64,
}

impl Restricted {
    /// `e_rj`: the eligible sellers' share of buyer `j`'s remaining purchases from the block's `rows`
    /// (1 when nothing remains).
    fn eligible_share(&self, net: &Network, cut: &Cut, rows: &[usize], j: usize) -> f64 {
        let k = j / net.ns;
        let (mut eligible, mut total) = (0.0, 0.0);
        for (c, &i) in rows.iter().enumerate() {
            // What remains of a partly severed block counts (a whole one not at all).
            let z = match cut.share(i, k) {
                0.0 => net.row(i)[j],
                1.0 => continue,
                sh => net.row(i)[j] * (1.0 - sh),
            };
            total += z;
            if self.sellers.contains(&c) {
                eligible += z;
            }
        }
        if total > 0.0 { eligible / total } else { 1.0 }
    }
}

struct Block {
    u: Vec<f64>,
    vt: Vec<f64>,
    ct: Vec<f64>,
    sales: Vec<f64>,
    iterations: usize,
    residual: f64,
    converged: bool,
    /// Drift from the correction point at the last sweep (0: exact; NaN: `f32` only).
    drift: f64,
    severed: f64,
    restricted_loss: f64,
}

/// Who may take over the severed supply of some buyers: only sellers in `sellers` (region indices) replace
/// what buyers in `buyers` lost (see the module documentation for the model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restriction {
    /// Buyer regions whose severed supply is restricted (us, in the alliance test).
    pub buyers: Vec<usize>,
    /// Seller regions eligible to take it over (allies ∪ us).
    pub sellers: Vec<usize>,
}

impl Restriction {
    /// Whether every seller region of a table with `nr` regions is eligible (then nothing is restricted).
    pub fn is_void(&self, nr: usize) -> bool {
        (0..nr).all(|c| self.sellers.contains(&c)) || self.buyers.is_empty()
    }
}

/// Balances every sector block of the disrupted network.
pub fn reroute(net: &Network, cut: &Cut, tau: f64, tol: f64, max_iter: usize) -> Rerouted {
    reroute_with(net, cut, tau, tol, max_iter, None)
}

/// [`reroute`], with the takeover of some buyers' severed supply restricted to some sellers.
pub fn reroute_with(
    net: &Network,
    cut: &Cut,
    tau: f64,
    tol: f64,
    max_iter: usize,
    restriction: Option<&Restriction>,
) -> Rerouted {
    reroute_from(net, cut, tau, tol, max_iter, restriction, None)
}

/// [`reroute_with`], the balancing started from the row factors `u` of another solution (per node; a warm
/// start: the solution is the same, to the tolerance, only sooner when `u` is close).
pub(crate) fn reroute_from(
    net: &Network,
    cut: &Cut,
    tau: f64,
    tol: f64,
    max_iter: usize,
    restriction: Option<&Restriction>,
    start: Option<&[f64]>,
) -> Rerouted {
    let (nr, ns, n) = (net.nr, net.ns, net.n());
    let f = tau * (1.0 - cut.delta);
    let restricted = restriction.filter(|x| !x.is_void(nr)).map(|x| Restricted {
        buyers: x.buyers.clone(),
        sellers: x.sellers.clone(),
        unrouted: (1.0 - tau) * (1.0 - cut.delta),
    });
    let blocks: Vec<Block> = (0..ns)
        .into_par_iter()
        .map(|r| {
            let from: Option<Vec<f64>> = start.map(|u| (0..nr).map(|c| u[c * ns + r]).collect());
            balance_block(
                net,
                cut,
                r,
                f,
                restricted.as_ref(),
                tol,
                max_iter,
                from.as_deref(),
            )
        })
        .collect();
    let mut u = vec![1.0; n];
    let mut sales = vec![0.0; n];
    let mut vt = vec![0.0; ns * n];
    let mut ct = vec![0.0; ns * n];
    let mut report = RerouteReport {
        iterations: 0,
        residual: 0.0,
        converged: true,
        correction_drift: 0.0,
        severed_flow: 0.0,
        friction_loss: 0.0,
        restricted_loss: None,
    };
    let mut restricted_loss = 0.0;
    for (r, b) in blocks.into_iter().enumerate() {
        for c in 0..nr {
            u[c * ns + r] = b.u[c];
            sales[c * ns + r] = b.sales[c];
        }
        vt[r * n..(r + 1) * n].copy_from_slice(&b.vt);
        ct[r * n..(r + 1) * n].copy_from_slice(&b.ct);
        report.iterations = report.iterations.max(b.iterations);
        report.residual = report.residual.max(b.residual);
        report.converged &= b.converged;
        // NaN (a block that never left the f32 mirror) wins.
        report.correction_drift = if b.drift.is_nan() {
            f64::NAN
        } else {
            report.correction_drift.max(b.drift)
        };
        report.severed_flow += b.severed;
        restricted_loss += b.restricted_loss;
    }
    report.converged &= report.residual <= tol;
    report.friction_loss = f * report.severed_flow;
    if restricted.is_some() {
        report.restricted_loss = Some(restricted_loss);
    }
    Rerouted {
        u,
        vt,
        ct,
        sales,
        report,
    }
}

/// The residual below which the balancing stops reading the `f32` mirror of the block alone.
const SWITCH_TO_F64: f64 = 1e-6;

/// The `f32` rounding unit: `|E_ij| ≤ 2⁻²⁴ |Z_ij|`.
const F32_UNIT: f64 = 1.0 / 16_777_216.0;

/// How far (largest change of `η = log u`) the factors may move from where the correction was taken before
/// it is retaken. The corrected seller sums are off by at most about `6 · 2⁻²⁴` times the drift, relative
/// (`R` depends on `η` through the Laplacian, whose rows sum to at most `2R`, and on `Z` through three
/// factors); the limit keeps that under a tenth of the tolerance.
fn correction_drift_limit(tol: f64) -> f64 {
    (0.1 * tol / (6.0 * F32_UNIT)).min(1e-4)
}

/// How a sweep reads the block, as in the equilibrium: the `f32` mirror alone; the mirror plus the rounding
/// errors `E = Z − Z32` read from `Z` (exact, and it yields the correction); or the mirror plus the last
/// correction (exact to second order, see [`correction_drift_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Single,
    Exact,
    Corrected,
}

/// The two linear pieces of a sweep on `E`, taken at `u₀`: `Eᵀu₀` and the seller sums `Σ_{j∈k} E_uj ṽ₀_j`.
struct Correction {
    colacc: Vec<f64>,
    praw: Vec<f64>,
    eta: Vec<f64>,
}

/// The state one evaluation of a block writes: column sums `Ẑᵀu`, column factors `ṽ`, seller sums by buyer
/// region before the row factor (`praw_uk = Σ_{j∈k} Ẑ_uj ṽ_j`, `C × C`), the split `p = u ∘ praw` and
/// the totals `R`.
struct Sweep {
    colacc: Vec<f64>,
    vt: Vec<f64>,
    praw: Vec<f64>,
    p: Vec<f64>,
    rsum: Vec<f64>,
}

/// Four of the block's rows from `c0` (the last repeated past the end), their factors `u` (0 past the end)
/// and how many are real.
fn quad(rows: &[usize], u: &[f64], c0: usize) -> ([usize; 4], [f64; 4], usize) {
    let k = (rows.len() - c0).min(4);
    let idx = std::array::from_fn(|q| rows[c0 + q.min(k - 1)]);
    let gs = std::array::from_fn(|q| if q < k { u[c0 + q] } else { 0.0 });
    (idx, gs, k)
}

/// `colacc −= (1 − δ) g Z_ij` on row `i`'s severed columns (a whole-row kernel counted them in full).
fn severed_columns<T: Elem>(cut: &Cut, i: usize, g: f64, row: &[T], colacc: &mut [f64]) {
    for &(b, sh) in &cut.buyers[i] {
        let rg = cut.range(b);
        axpy(-cut.stopped(sh) * g, &row[rg.clone()], &mut colacc[rg]);
    }
}

/// `pc += o`, row `i`'s chunk sums by buyer region, with its severed regions scaled by `δ`.
fn seller_row(cut: &Cut, i: usize, o: &[f64], pc: &mut [f64]) {
    for (pk, ok) in pc.iter_mut().zip(o) {
        *pk += ok;
    }
    for &(b, sh) in &cut.buyers[i] {
        pc[b] -= cut.stopped(sh) * o[b];
    }
}

/// `colacc += Ẑᵀu` over the block's rows (rows with `u = 0` contribute nothing).
fn column_sums<'r, T: Elem + 'r>(
    cut: &Cut,
    rows: &[usize],
    u: &[f64],
    row: impl Fn(usize) -> &'r [T],
    colacc: &mut [f64],
) {
    for c0 in (0..rows.len()).step_by(4) {
        let (idx, gs, k) = quad(rows, u, c0);
        axpy4(idx.map(&row), gs, colacc);
        for q in 0..k {
            severed_columns(cut, idx[q], gs[q], row(idx[q]), colacc);
        }
    }
}

/// `praw += Σ_{j∈k} Ẑ_uj ṽ_j` for every row `u` and buyer region `k` of the block.
fn seller_sums<'r, T: Elem + 'r>(
    net: &Network,
    cut: &Cut,
    rows: &[usize],
    vt: &[f64],
    row: impl Fn(usize) -> &'r [T],
    praw: &mut [f64],
) {
    let nr = net.nr;
    let mut out4: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; nr]);
    for c0 in (0..nr).step_by(4) {
        let (idx, _, k) = quad(rows, vt, c0);
        let [o0, o1, o2, o3] = &mut out4;
        chunk_dots4(idx.map(&row), vt, net.ns, [o0, o1, o2, o3]);
        for q in 0..k {
            seller_row(
                cut,
                idx[q],
                &out4[q],
                &mut praw[(c0 + q) * nr..(c0 + q + 1) * nr],
            );
        }
    }
}

/// Both linear pieces of a sweep in one read of the rows: `colacc += Ẑᵀu` and `praw += Σ_{j∈k} Ẑ_uj y_j`.
/// For the correction, read through [`rounding_errors`], with `y` the previous sweep's `ṽ` (the correction
/// is a first-order term: using `ṽ` one step old changes it by `2⁻²⁴` times that step, relative).
#[allow(clippy::too_many_arguments)]
fn both_sums<'r, T: Elem + 'r>(
    net: &Network,
    cut: &Cut,
    rows: &[usize],
    u: &[f64],
    y: &[f64],
    row: impl Fn(usize) -> &'r [T],
    colacc: &mut [f64],
    praw: &mut [f64],
) {
    let nr = net.nr;
    let mut out4: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; nr]);
    for c0 in (0..nr).step_by(4) {
        let (idx, gs, k) = quad(rows, u, c0);
        let [o0, o1, o2, o3] = &mut out4;
        axpy_chunk_dots4(idx.map(&row), gs, colacc, y, net.ns, [o0, o1, o2, o3]);
        for q in 0..k {
            seller_row(
                cut,
                idx[q],
                &out4[q],
                &mut praw[(c0 + q) * nr..(c0 + q + 1) * nr],
            );
            severed_columns(cut, idx[q], gs[q], row(idx[q]), colacc);
        }
    }
}

/// One evaluation at `u`: `ṽ = ct / (Ẑᵀu)` (buyer margins exact), then the seller sums `R` and their split
/// by buyer region `p_uk = u_u Σ_{j∈k} Ẑ_uj ṽ_j`, reading the block as `phase` says (and, in the exact
/// phase, recording the correction).
#[allow(clippy::too_many_arguments)]
fn sweep(
    net: &Network,
    cut: &Cut,
    rows: &[usize],
    u: &[f64],
    ct: &[f64],
    phase: Phase,
    correction: &mut Option<Correction>,
    buf: &mut Sweep,
) {
    if net.mirror_exact {
        let z32 = |i| net.row32(i);
        sweep_on(net, cut, rows, u, ct, z32, phase, correction, buf);
    } else {
        // The mirror is not within 2⁻²⁴ of Z (values outside f32's range): read Z, no correction.
        let z = |i| net.row(i);
        sweep_on(net, cut, rows, u, ct, z, Phase::Single, &mut None, buf);
    }
}

/// [`sweep`] with `row` as the block's base rows (the mirror, or `Z` itself).
#[allow(clippy::too_many_arguments)]
fn sweep_on<'r, T: Elem + 'r>(
    net: &Network,
    cut: &Cut,
    rows: &[usize],
    u: &[f64],
    ct: &[f64],
    row: impl Fn(usize) -> &'r [T],
    phase: Phase,
    correction: &mut Option<Correction>,
    buf: &mut Sweep,
) {
    let nr = net.nr;
    buf.colacc.iter_mut().for_each(|v| *v = 0.0);
    column_sums(cut, rows, u, &row, &mut buf.colacc);
    if let (Phase::Exact, Some(e)) = (phase, correction.as_mut()) {
        // One read of Z's rows for both pieces of the correction (the seller sums at the last ṽ).
        e.colacc.iter_mut().for_each(|v| *v = 0.0);
        e.praw.iter_mut().for_each(|v| *v = 0.0);
        let errors = |i| rounding_errors(net.row(i));
        both_sums(
            net,
            cut,
            rows,
            u,
            &buf.vt,
            errors,
            &mut e.colacc,
            &mut e.praw,
        );
    }
    let applied = match phase {
        Phase::Exact | Phase::Corrected => correction.as_ref(),
        Phase::Single => None,
    };
    if let Some(e) = applied {
        add(&mut buf.colacc, &e.colacc);
    }
    for ((v, &a), &t) in buf.vt.iter_mut().zip(buf.colacc.iter()).zip(ct) {
        *v = if a > 0.0 && t > 0.0 { t / a } else { 0.0 };
    }
    buf.praw.iter_mut().for_each(|v| *v = 0.0);
    seller_sums(net, cut, rows, &buf.vt, &row, &mut buf.praw);
    if let Some(e) = applied {
        add(&mut buf.praw, &e.praw);
    }
    // p = u ∘ praw and its row totals R (u = 0: the row sells nothing, and 0 · ∞ must not make a NaN).
    let rows_out = buf.p.chunks_mut(nr).zip(buf.praw.chunks(nr));
    for ((pc, raw), (&uc, rs)) in rows_out.zip(u.iter().zip(buf.rsum.iter_mut())) {
        let mut tot = 0.0;
        for (pk, r) in pc.iter_mut().zip(raw) {
            *pk = if uc == 0.0 { 0.0 } else { uc * r };
            tot += *pk;
        }
        *rs = tot;
    }
}

fn add(a: &mut [f64], b: &[f64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// The country-aggregated Laplacian `L = diag(R) − Σ_k p_·k p_·kᵀ / q_k` (`q_k = Σ_c p_ck`) on the active
/// sellers, plus `μ 11ᵀ` for the gauge.
fn laplacian(p: &[f64], rsum: &[f64], act: &[usize], nr: usize) -> Mat<f64> {
    let na = act.len();
    let q: Vec<f64> = (0..nr)
        .map(|k| (0..nr).map(|c| p[c * nr + k]).sum())
        .collect();
    let mu = act.iter().map(|&c| rsum[c]).sum::<f64>() / (na * na) as f64;
    // W = P̃ P̃ᵀ with P̃_ak = p_{act[a], k} / √q_k.
    let pt = Mat::<f64>::from_fn(na, nr, |a, k| {
        if q[k] > 0.0 {
            p[act[a] * nr + k] / q[k].sqrt()
        } else {
            0.0
        }
    });
    let mut lap = Mat::<f64>::from_fn(na, na, |_, _| mu);
    sovra_core::faer::linalg::matmul::matmul(
        lap.as_mut(),
        sovra_core::faer::Accum::Add,
        pt.as_ref(),
        pt.as_ref().transpose(),
        -1.0,
        sovra_core::faer::Par::Seq,
    );
    for (a, &c) in act.iter().enumerate() {
        // A relative 1e-12 on the diagonal keeps the system regular when the block falls apart into
        // components that trade only among themselves (each has its own gauge; μ 11ᵀ fixes only one).
        lap[(a, a)] += rsum[c] * (1.0 + 1e-12) + f64::MIN_POSITIVE;
    }
    lap
}

#[allow(clippy::too_many_arguments)] // the block's inputs, each used once; a struct would only rename them
fn balance_block(
    net: &Network,
    cut: &Cut,
    r: usize,
    f: f64,
    restricted: Option<&Restricted>,
    tol: f64,
    max_iter: usize,
    start: Option<&[f64]>,
) -> Block {
    let (nr, ns, n) = (net.nr, net.ns, net.n());
    let rows: Vec<usize> = (0..nr).map(|c| c * ns + r).collect();
    // Targets.
    let mut ct: Vec<f64> = (0..n).map(|j| net.alpha[r * n + j] * net.w[j]).collect();
    let mut rt: Vec<f64> = rows.iter().map(|&i| net.dbar[i]).collect();
    let mut severed = 0.0;
    let mut restricted_loss = 0.0;
    // e_rj of the restricted buyers, computed on first use (NaN: not yet).
    let mut eligible = vec![f64::NAN; if restricted.is_some() { n } else { 0 }];
    for (c, &i) in rows.iter().enumerate() {
        for &(k, sh) in &cut.buyers[i] {
            let row = net.row(i);
            let restrict = restricted.filter(|x| x.buyers.contains(&k));
            for j in cut.range(k) {
                if net.m[j] > 0.0 {
                    // The severed part of the benchmark flow (all of it for a whole block).
                    let whole = row[j] * net.w[j] / net.m[j];
                    let flow = if sh == 1.0 { whole } else { whole * sh };
                    severed += flow;
                    let mut lost = f;
                    if let Some(x) = restrict {
                        if eligible[j].is_nan() {
                            eligible[j] = x.eligible_share(net, cut, &rows, j);
                        }
                        if eligible[j] < 1.0 {
                            let more = x.unrouted * (1.0 - eligible[j]);
                            lost = f + more;
                            restricted_loss += more * flow;
                        }
                    }
                    ct[j] -= lost * flow;
                    rt[c] -= lost * flow;
                }
            }
        }
    }
    ct.iter_mut().for_each(|v| *v = v.max(0.0));
    rt.iter_mut().for_each(|v| *v = v.max(0.0));
    let active: Vec<bool> = rt.iter().map(|&v| v > 0.0).collect();
    let act: Vec<usize> = (0..nr).filter(|&c| active[c]).collect();
    let na = act.len();
    // η = log u on the active sellers; the others sell nothing in this block (u = 0).
    let mut eta: Vec<f64> = match start {
        Some(u0) => act
            .iter()
            .map(|&c| if u0[c] > 0.0 { u0[c].ln() } else { 0.0 })
            .collect(),
        None => vec![0.0; na],
    };
    let mut u: Vec<f64> = vec![0.0; nr];
    let scale = rt
        .iter()
        .cloned()
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut buf = Sweep {
        colacc: vec![0.0; n],
        vt: vec![0.0; n],
        praw: vec![0.0; nr * nr],
        p: vec![0.0; nr * nr],
        rsum: vec![0.0; nr],
    };
    let mut iterations = 0;
    let mut residual;
    let mut best = f64::INFINITY;
    let mut prev_eta = eta.clone();
    // The previous evaluation's residual: after the switch the factorisation is kept while each step cuts
    // the residual at least fourfold.
    let mut prev_err = f64::INFINITY;
    let mut mix = Anderson::new(5);
    let mut lu = None;
    // Early iterations read the f32 mirror of the block (half the bytes, it stays in cache); then one exact
    // sweep gives the correction that makes the mirror's sweeps exact to second order.
    let mut phase = Phase::Single;
    let mut correction: Option<Correction> = None;
    let drift_limit = correction_drift_limit(tol);
    let mut drift = f64::NAN;
    loop {
        for (a, &c) in act.iter().enumerate() {
            u[c] = eta[a].exp();
        }
        if phase == Phase::Corrected {
            drift = correction.as_ref().map_or(f64::INFINITY, |e| {
                eta.iter()
                    .zip(&e.eta)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            });
            if drift > drift_limit {
                phase = Phase::Exact;
            }
        }
        if phase == Phase::Exact {
            let e = correction.get_or_insert_with(|| Correction {
                colacc: vec![0.0; n],
                praw: vec![0.0; nr * nr],
                eta: Vec::new(),
            });
            e.eta.clone_from(&eta);
            drift = 0.0;
        }
        sweep(net, cut, &rows, &u, &ct, phase, &mut correction, &mut buf);
        let err = act
            .iter()
            .map(|&c| (buf.rsum[c] - rt[c]).abs())
            .fold(0.0, f64::max)
            / scale;
        residual = err;
        let slow = err > 0.25 * prev_err;
        prev_err = err;
        // Sweeps on the mirror alone are never trusted for convergence (without an exact mirror they read Z).
        let trusted = phase != Phase::Single || !net.mirror_exact;
        if (err <= tol && trusted) || iterations >= max_iter || na == 0 {
            break;
        }
        iterations += 1;
        let switching = phase == Phase::Single
            && net.mirror_exact
            && (err <= SWITCH_TO_F64 || iterations >= 50);
        if phase == Phase::Exact {
            phase = Phase::Corrected;
        }
        if switching {
            // From here on exact (then corrected) sweeps: progress is measured afresh (the f32 solution is
            // off by ~1e-8); the step below, from the last f32 evaluation, is still a good one.
            phase = Phase::Exact;
            best = f64::INFINITY;
        } else if err > 2.0 * best {
            // Overshot: back half-way, plain steps from there.
            mix.reset();
            for (e, pe) in eta.iter_mut().zip(&prev_eta) {
                *e = 0.5 * (*e + pe);
            }
            continue;
        }
        if !switching {
            best = best.min(err);
        }
        // The quasi-Newton matrix is refactored every other iteration while on the f32 mirror (a chord step
        // in between); from the switch on, the last factorisation serves while it still converges fast
        // (the Jacobian hardly moves by then), and is refactored when a step falls short.
        if lu.is_none() || (iterations % 2 == 1 && (phase == Phase::Single || slow)) {
            lu = Some(laplacian(&buf.p, &buf.rsum, &act, nr).partial_piv_lu());
        }
        let mut rhs = Mat::<f64>::from_fn(na, 1, |a, _| rt[act[a]] - buf.rsum[act[a]]);
        if let Some(lu) = &lu {
            lu.solve_in_place(rhs.as_mut());
        }
        let g: Vec<f64> = (0..na)
            .map(|a| {
                let d = rhs[(a, 0)];
                eta[a]
                    + if d.is_finite() {
                        d.clamp(-20.0, 20.0)
                    } else {
                        0.0
                    }
            })
            .collect();
        prev_eta.copy_from_slice(&eta);
        eta = mix.step(&eta, &g);
    }
    let exact_rows = phase != Phase::Single || !net.mirror_exact;
    let converged = na == 0 || (residual <= tol && exact_rows);
    Block {
        u,
        vt: buf.vt,
        ct,
        sales: buf.rsum,
        iterations,
        residual,
        converged,
        drift: if na == 0 || !net.mirror_exact {
            0.0
        } else {
            drift
        },
        severed,
        restricted_loss,
    }
}
