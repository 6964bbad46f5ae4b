//! The fast linear baselines: hypothetical extraction of the severed flows, on the demand side (Leontief)
//! or on the supply side (Ghosh), with nobody substituting.
//!
//! With `Ẑ` the table's `Z` with every severed entry scaled by the leakage `δ`, `s` the benchmark output and
//! `ξ = x' / s` the post-shock output relative to it:
//!
//! - **demand side** ([`solve`]): technical coefficients `B_ij = Z_ij / s_j`, final use `z` held fixed:
//!   `x' = (I − B̂)⁻¹ z`. A seller whose sales are cut produces less, and so buys less upstream. This is the
//!   first-round measure for an **import ban** (the target's sales stop) — Miller & Blair (2009) §12.2,
//!   applied to flows rather than whole sectors.
//! - **supply side** ([`solve_supply`]): allocation coefficients `C_ij = Z_ij / s_i`, primary inputs
//!   `v_j = s_j − Σ_i Z_ij` held fixed: `x'ᵀ = vᵀ (I − Ĉ)⁻¹` (the Ghosh model). A buyer whose inputs are
//!   cut produces less, and so delivers less downstream. This is the first-round measure for an **export
//!   ban** (the target's supplies stop) — the supply-side extraction of Dietzenbacher, van der Linden &
//!   Steenge (1993), applied to flows. Final use falls with output (`ẑ_i = z_i ξ_i`: fixed allocation).
//!
//! Both are one linear solve: a block-Jacobi preconditioned fixed point (one domestic block per region)
//! with Anderson mixing, reading the table once per iteration. In `ξ` the demand side is
//! `ξ_i s_i = z_i + Σ_j Ẑ_ij ξ_j` (row sums of `Ẑ`) and the supply side `ξ_j s_j = v_j + Σ_i ξ_i Ẑ_ij`
//! (column sums): the same matrix read the other way.

use serde::Serialize;

use super::anderson::Anderson;
use super::blocks::BlockLu;
use super::cut::Cut;
use super::network::Network;
use super::pass::{Coefficients, Job, Matrix, Sums};

/// Which side of the economy an extraction holds fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Final use fixed, output follows demand (Leontief).
    Demand,
    /// Primary inputs fixed, output follows supply (Ghosh).
    Supply,
}

impl Side {
    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Side::Demand => "demand",
            Side::Supply => "supply",
        }
    }
}

/// How the solve went.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractionReport {
    /// The side solved.
    pub side: Side,
    /// Iterations (each one pass over the table).
    pub iterations: usize,
    /// `max_i |b_i + (M x')_i − x'_i| / max_i s_i`, with `b = z, M = B̂` (demand) or `b = v, M = Ĉᵀ` (supply).
    pub residual: f64,
    /// Whether the tolerance was met.
    pub converged: bool,
}

/// Post-shock output `x'` of the demand-side extraction model.
pub fn solve(net: &Network, cut: &Cut, tol: f64, max_iter: usize) -> (Vec<f64>, ExtractionReport) {
    let n = net.n();
    let u = vec![1.0; n];
    let vt = vec![1.0; net.ns * n];
    let co = Coefficients {
        net,
        cut,
        u: &u,
        vt: &vt,
    };
    let ones = vec![1.0; n];
    let lus = co.precondition(&ones);
    iterate(net, Side::Demand, &lus, tol, max_iter, |xi, sums| {
        let job = Job {
            y: &vt,
            c: xi,
            g: None,
        };
        co.pass(&job, Matrix::Double, sums);
        let d = &sums.d;
        (0..n).map(|i| net.fin[i] + d[i]).collect()
    })
}

/// Primary inputs of the supply-side model, `v_j = s_j − Σ_i Z_ij` (negative where the table's value added
/// is: the benchmark `ξ = 1` must solve the model exactly).
pub fn primary_inputs(net: &Network) -> Vec<f64> {
    net.s.iter().zip(&net.m).map(|(s, m)| s - m).collect()
}

/// Post-shock output `x'` of the supply-side (Ghosh) extraction model.
pub fn solve_supply(
    net: &Network,
    cut: &Cut,
    tol: f64,
    max_iter: usize,
) -> (Vec<f64>, ExtractionReport) {
    let (n, ns) = (net.n(), net.ns);
    let u = vec![1.0; n];
    let vt = vec![1.0; ns * n];
    let co = Coefficients {
        net,
        cut,
        u: &u,
        vt: &vt,
    };
    let v = primary_inputs(net);
    // Domestic blocks of I − Ĉᵀ in output units: (Ĉᵀ)_ab = Z_ba / s_b.
    let lus = BlockLu::factor(net.nr, ns, |c, m| {
        for a in 0..ns {
            for b in 0..ns {
                let zba = net.zdom[(c * ns + b) * ns + a];
                m[a * ns + b] = -zba * net.inv_s[c * ns + b];
            }
            m[a * ns + a] += 1.0;
        }
    });
    iterate(net, Side::Supply, &lus, tol, max_iter, |xi, sums| {
        let job = Job {
            y: &vt,
            c: &u,
            g: Some(xi),
        };
        co.pass(&job, Matrix::Double, sums);
        let mut col = v.clone();
        for r in 0..ns {
            col.iter_mut()
                .zip(&sums.acc[r * n..(r + 1) * n])
                .for_each(|(a, b)| *a += b);
        }
        col
    })
}

/// The preconditioned fixed point `ξ ← ξ + ŝ⁻¹ M⁻¹ (b + K ξ − ŝ ξ)`, where `image(ξ)` returns `b + K ξ` in
/// output units and `M` is the block-Jacobi factor of the side's system.
fn iterate(
    net: &Network,
    side: Side,
    lus: &BlockLu,
    tol: f64,
    max_iter: usize,
    mut image: impl FnMut(&[f64], &mut Sums) -> Vec<f64>,
) -> (Vec<f64>, ExtractionReport) {
    let n = net.n();
    let smax = net.s.iter().cloned().fold(0.0, f64::max).max(1.0);
    let mut xi: Vec<f64> = net
        .s
        .iter()
        .map(|&v| if v > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let mut mix = Anderson::new(8);
    let mut iterations = 0;
    let mut residual;
    let mut sums = Sums::default();
    loop {
        let img = image(&xi, &mut sums);
        let mut res: Vec<f64> = (0..n)
            .map(|i| {
                if net.s[i] > 0.0 {
                    img[i] - xi[i] * net.s[i]
                } else {
                    0.0
                }
            })
            .collect();
        residual = res.iter().fold(0.0f64, |m, v| m.max(v.abs())) / smax;
        iterations += 1;
        if residual <= tol || iterations >= max_iter {
            break;
        }
        lus.apply(&mut res);
        let g: Vec<f64> = (0..n).map(|i| xi[i] + res[i] * net.inv_s[i]).collect();
        xi = mix.step(&xi, &g);
    }
    let x = xi.iter().zip(&net.s).map(|(a, b)| a * b).collect();
    (
        x,
        ExtractionReport {
            side,
            iterations,
            residual,
            converged: residual <= tol,
        },
    )
}
