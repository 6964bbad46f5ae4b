//! One pass over the rerouted coefficients — the operation every iteration of the equilibrium (and of the
//! extraction model) spends its time in — and which copy of `Z` it reads.
//!
//! With `B^ω_ij = u_i Ẑ_ij ṽ_{r(i)j} / s_j` (`Ẑ`: `Z` with severed entries scaled by `δ`), a pass computes,
//! for given `y` (`S × N`), `c` (`N`) and optionally `g` (`N`):
//!
//! - `D_i = u_i Σ_j Ẑ_ij y_{r(i)j} c_j` for every node `i`, and
//! - `acc_rj = Σ_{i∈r} g_i Ẑ_ij` (`S × N`) when `g` is given,
//!
//! reading each row once. Both are linear in the matrix, so a pass can read
//!
//! - [`Matrix::Double`]: `Z` itself (8 bytes an entry),
//! - [`Matrix::Single`]: its `f32` mirror `Z32` (4 bytes; ~7 digits), or
//! - [`Matrix::RoundingError`]: `E = Z − Z32`, computed on the fly from `Z`;
//!
//! and `pass(Z32) + pass(E) = pass(Z)`. [`Coefficients::pass_pair`] runs two jobs in one sweep, so pairing a
//! job on `Z` with the same job on `E` (the exact result plus the correction that makes later `f32` passes
//! exact to second order), or two jobs on `Z32`, reads the matrix from memory once.

use rayon::prelude::*;

use super::blocks::BlockLu;
use super::cut::Cut;
use super::kernels::{Elem, dot_axpy4, dot_axpy4_pair, rounding_errors};
use super::network::Network;

/// Which copy of `Z` a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Matrix {
    /// `Z` (`f64`).
    Double,
    /// The `f32` mirror `Z32`.
    Single,
    /// `E = Z − Z32`, from the `f64` rows.
    RoundingError,
}

/// The vectors of one pass: `D_i = u_i Σ_j Ẑ_ij y_{r(i)j} c_j` and, with `g`, `acc_rj = Σ_{i∈r} g_i Ẑ_ij`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job<'a> {
    /// `S × N`.
    pub(crate) y: &'a [f64],
    /// `N`.
    pub(crate) c: &'a [f64],
    /// `N`, or `None` for `D` alone.
    pub(crate) g: Option<&'a [f64]>,
}

/// What a pass returns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sums {
    /// `D`, per node.
    pub(crate) d: Vec<f64>,
    /// `acc`, `S × N` (empty without `g`).
    pub(crate) acc: Vec<f64>,
}

impl Sums {
    /// Zeroed, with `nodes` entries of `D` and `acc_len` of `acc`, keeping the allocation: the passes reuse
    /// their buffers, because fresh pages cost a page fault each on first touch.
    fn reset(&mut self, nodes: usize, acc_len: usize) {
        for (v, len) in [(&mut self.d, nodes), (&mut self.acc, acc_len)] {
            v.clear();
            v.resize(len, 0.0);
        }
    }

    /// `self += other`, entry by entry.
    pub(crate) fn add(&mut self, other: &Sums) {
        self.d.iter_mut().zip(&other.d).for_each(|(a, b)| *a += b);
        self.acc
            .iter_mut()
            .zip(&other.acc)
            .for_each(|(a, b)| *a += b);
    }
}

/// The coefficient structure of one solve: `B^ω_ij = u_i Ẑ_ij ṽ_{r(i)j} / s_j`.
pub(crate) struct Coefficients<'n, 'c> {
    pub(crate) net: &'n Network,
    pub(crate) cut: &'c Cut,
    pub(crate) u: &'c [f64],
    pub(crate) vt: &'c [f64],
}

impl Coefficients<'_, '_> {
    /// The matrix a pass asked for `matrix` reads: `Z` instead of the mirror when the mirror is not exact
    /// to `2⁻²⁴` ([`Network::mirror_exact`]).
    fn effective(&self, matrix: Matrix) -> Matrix {
        match matrix {
            Matrix::Single if !self.net.mirror_exact => Matrix::Double,
            m => m,
        }
    }

    /// One pass of `job` over `matrix`, into `out`.
    pub(crate) fn pass(&self, job: &Job<'_>, matrix: Matrix, out: &mut Sums) {
        let net = self.net;
        match self.effective(matrix) {
            Matrix::Single => self.pass_with(|i| net.row32(i), job, out),
            Matrix::Double => self.pass_with(|i| net.row(i), job, out),
            Matrix::RoundingError => self.pass_with(|i| rounding_errors(net.row(i)), job, out),
        }
    }

    /// Two passes in one sweep: `a.0` over `a.1` and `b.0` over `b.1`. Reads the matrix once when both are on
    /// `Z32`, or one on `Z` and the other on `E`; any other combination (or a job without `g`) runs as two
    /// passes.
    pub(crate) fn pass_pair(
        &self,
        a: (&Job<'_>, Matrix),
        b: (&Job<'_>, Matrix),
        out_a: &mut Sums,
        out_b: &mut Sums,
    ) {
        let net = self.net;
        if a.0.g.is_some() && b.0.g.is_some() {
            match (self.effective(a.1), self.effective(b.1)) {
                (Matrix::Single, Matrix::Single) => {
                    let rows = |i| net.row32(i);
                    return self.pair_with(rows, a.0, rows, b.0, out_a, out_b);
                }
                (Matrix::Double, Matrix::Double) => {
                    let rows = |i| net.row(i);
                    return self.pair_with(rows, a.0, rows, b.0, out_a, out_b);
                }
                (Matrix::Double, Matrix::RoundingError) => {
                    let errors = |i| rounding_errors(net.row(i));
                    return self.pair_with(|i| net.row(i), a.0, errors, b.0, out_a, out_b);
                }
                _ => {}
            }
        }
        self.pass(a.0, a.1, out_a);
        self.pass(b.0, b.1, out_b);
    }

    fn pass_with<'r, T: Elem + 'r>(
        &self,
        row: impl Fn(usize) -> &'r [T] + Sync,
        job: &Job<'_>,
        out: &mut Sums,
    ) {
        let net = self.net;
        let (nr, ns, n) = (net.nr, net.ns, net.n());
        // Each sector block writes its own slice of acc (S × N) and of d by block (S × C).
        out.reset(n, if job.g.is_some() { ns * n } else { 0 });
        let acc = &mut out.acc;
        let mut d = vec![0.0; ns * nr];
        let work = |r: usize, dr: &mut [f64], accr: &mut [f64]| {
            let yr = &job.y[r * n..(r + 1) * n];
            let Some(g) = job.g else {
                for (c, dc) in dr.iter_mut().enumerate() {
                    let i = c * ns + r;
                    if self.u[i] != 0.0 {
                        *dc = self.u[i] * self.cut.dot(row(i), i, yr, job.c);
                    }
                }
                return;
            };
            // Rows four at a time against y_r ∘ c, then each row's severed chunks.
            let yc: Vec<f64> = yr.iter().zip(job.c).map(|(a, b)| a * b).collect();
            for c0 in (0..nr).step_by(4) {
                let (idx, k) = quad(c0, nr, ns, r);
                let gs: [f64; 4] = std::array::from_fn(|q| if q < k { g[idx[q]] } else { 0.0 });
                let dots = dot_axpy4(idx.map(&row), &yc, gs, accr);
                for q in 0..k {
                    let i = idx[q];
                    let sev = self.cut.severed_part(row(i), i, &yc, gs[q], accr);
                    dr[c0 + q] = self.u[i] * (dots[q] - sev);
                }
            }
        };
        if job.g.is_some() {
            d.par_chunks_mut(nr)
                .zip(acc.par_chunks_mut(n))
                .enumerate()
                .for_each(|(r, (dr, accr))| work(r, dr, accr));
        } else {
            d.par_chunks_mut(nr)
                .enumerate()
                .for_each(|(r, dr)| work(r, dr, &mut []));
        }
        node_order(&d, nr, ns, &mut out.d);
    }

    fn pair_with<'r, T: Elem + 'r, U: Elem + 'r>(
        &self,
        row_a: impl Fn(usize) -> &'r [T] + Sync,
        a: &Job<'_>,
        row_b: impl Fn(usize) -> &'r [U] + Sync,
        b: &Job<'_>,
        out_a: &mut Sums,
        out_b: &mut Sums,
    ) {
        let net = self.net;
        let (nr, ns, n) = (net.nr, net.ns, net.n());
        let (Some(ga), Some(gb)) = (a.g, b.g) else {
            unreachable!("pass_pair checks that both jobs have g")
        };
        out_a.reset(n, ns * n);
        out_b.reset(n, ns * n);
        let (mut d_a, mut d_b) = (vec![0.0; ns * nr], vec![0.0; ns * nr]);
        d_a.par_chunks_mut(nr)
            .zip(out_a.acc.par_chunks_mut(n))
            .zip(d_b.par_chunks_mut(nr).zip(out_b.acc.par_chunks_mut(n)))
            .enumerate()
            .for_each(|(r, ((dra, acra), (drb, acrb)))| {
                let yc = |job: &Job<'_>| -> Vec<f64> {
                    job.y[r * n..(r + 1) * n]
                        .iter()
                        .zip(job.c)
                        .map(|(y, c)| y * c)
                        .collect()
                };
                let (yca, ycb) = (yc(a), yc(b));
                for c0 in (0..nr).step_by(4) {
                    let (idx, k) = quad(c0, nr, ns, r);
                    let g = |g: &[f64]| -> [f64; 4] {
                        std::array::from_fn(|q| if q < k { g[idx[q]] } else { 0.0 })
                    };
                    let (gsa, gsb) = (g(ga), g(gb));
                    let [da, db] = dot_axpy4_pair(
                        idx.map(&row_a),
                        idx.map(&row_b),
                        [&yca, &ycb],
                        [gsa, gsb],
                        [&mut *acra, &mut *acrb],
                    );
                    for q in 0..k {
                        let i = idx[q];
                        let sa = self.cut.severed_part(row_a(i), i, &yca, gsa[q], acra);
                        let sb = self.cut.severed_part(row_b(i), i, &ycb, gsb[q], acrb);
                        dra[c0 + q] = self.u[i] * (da[q] - sa);
                        drb[c0 + q] = self.u[i] * (db[q] - sb);
                    }
                }
            });
        node_order(&d_a, nr, ns, &mut out_a.d);
        node_order(&d_b, nr, ns, &mut out_b.d);
    }

    /// Block-Jacobi factors of `I − ĥ B^ω`: one domestic block per region.
    pub(crate) fn precondition(&self, h: &[f64]) -> BlockLu {
        let net = self.net;
        let (ns, n) = (net.ns, net.n());
        BlockLu::factor(net.nr, ns, |c, m| {
            for a in 0..ns {
                let i = c * ns + a;
                let f = h[i] * self.u[i];
                let zrow = &net.zdom[i * ns..(i + 1) * ns];
                let vrow = &self.vt[a * n + c * ns..a * n + (c + 1) * ns];
                let srow = &net.inv_s[c * ns..(c + 1) * ns];
                let mrow = &mut m[a * ns..(a + 1) * ns];
                for b in 0..ns {
                    mrow[b] = -f * zrow[b] * vrow[b] * srow[b];
                }
                mrow[a] += 1.0;
            }
        })
    }
}

/// The rows of sector `r` for regions `c0 .. c0 + 4` (the last repeated past the end, with `k` the number of
/// real ones).
#[inline]
fn quad(c0: usize, nr: usize, ns: usize, r: usize) -> ([usize; 4], usize) {
    let k = (nr - c0).min(4);
    (std::array::from_fn(|q| (c0 + q.min(k - 1)) * ns + r), k)
}

/// `D` from sector-block order (`S × C`) to node order.
fn node_order(d: &[f64], nr: usize, ns: usize, out: &mut [f64]) {
    for r in 0..ns {
        for c in 0..nr {
            out[c * ns + r] = d[r * nr + c];
        }
    }
}
