//! The Leontief system `(I − A) x = y`: factor once, solve for exactly the right-hand sides an analysis
//! needs, forward (`x = L y`) or transposed (`wᵀ = bᵀ L`), and report the relative residual of every solve.
//!
//! Two methods, picked by estimated cost (see [`LeontiefSystem::choose`]):
//! - **LU**: faer's partial-pivoting LU of `I − A`, computed once on first use and cached; then each
//!   right-hand side costs `2n²`. Pays when many right-hand sides are needed (the full `L`, a solve per node).
//! - **Iterative**: restarted GMRES on the matrix-vector product with `A` (dense via faer, or a CSR copy when
//!   `A` is sparse), all right-hand sides advancing together so one pass over `A` serves every column. Pays
//!   for a handful of right-hand sides: it never forms or factors an `n × n` matrix. If it does not converge
//!   it falls back to LU, so the answer never depends on the choice, only the time.
//!
//! `L = (I − A)⁻¹` is only formed by [`LeontiefSystem::leontief_inverse`], on request.

use std::sync::{Arc, Mutex, OnceLock};

use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::sparse::Csr;
use crate::table::{Dense, Mrio};

/// Which side of the system to solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `(I − A) X = B`, i.e. `X = L B` (demand-driven: output needed for demand `B`).
    Forward,
    /// `(I − A)ᵀ W = B`, i.e. `Wᵀ = Bᵀ L` (cost-push: multipliers, value-added origin).
    Transposed,
}

/// How to solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Pick by estimated cost.
    #[default]
    Auto,
    /// LU factorisation (cached).
    Lu,
    /// Restarted GMRES on products with `A`.
    Iterative,
}

/// What a solve did and how accurate it is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SolveReport {
    /// `"lu"` or `"gmres"`.
    pub method: &'static str,
    /// Number of right-hand sides.
    pub rhs: usize,
    /// Products with `A` (GMRES) or 0 (LU).
    pub iterations: usize,
    /// Largest `‖b − (I − A) x‖₂ / ‖b‖₂` over the right-hand sides.
    pub max_relative_residual: f64,
}

/// The coefficient matrix in the layout that makes products cheapest.
enum Coefficients {
    Dense(Dense),
    /// `Aᵀ` is built on the first transposed product.
    Sparse {
        a: Csr,
        at: OnceLock<Csr>,
    },
}

/// A kept system of a region subset, with what it was built for.
struct Restricted {
    key: (Vec<usize>, Method, u64, usize),
    system: Arc<LeontiefSystem>,
}

/// `I − A` for one table: coefficients, a cost model, and the LU factorisation once it is needed.
pub struct LeontiefSystem {
    n: usize,
    coef: Coefficients,
    labels: Option<Labels>,
    lu: OnceLock<faer::linalg::solvers::PartialPivLu<f64>>,
    preconditioner: OnceLock<Option<BlockJacobi>>,
    /// Systems of region subsets already built ([`LeontiefSystem::restricted_to_regions`]), most recent last,
    /// kept while their coefficients and LU factors together hold at most four times as many entries as `A`.
    restricted: Mutex<Vec<Restricted>>,
    /// Estimate of the spectral radius of `A` (output-weighted mean column sum), drives the cost model.
    pub rho_estimate: f64,
    /// Largest column sum of `A`: an upper bound on its spectral radius.
    pub max_column_sum: f64,
    /// Relative residual a solve must reach.
    pub tolerance: f64,
    /// Method preference.
    pub method: Method,
    /// How many solves an LU factorisation is expected to serve (at least 1): [`Method::Auto`] spreads the
    /// one-off cost of factoring over them. 1 for a one-shot command; a long-lived server sets more, so
    /// that after the first request every solve is a pair of triangular sweeps.
    pub reuse: usize,
}

/// Up to this many columns a dense product streams `A` once by rows (a matrix–vector product bound by
/// memory bandwidth) instead of going through the blocked matrix–matrix kernel, which packs `A` first.
const FEW_COLUMNS: usize = 8;

/// `A W` for a row-major `A` and a few columns `W`: each row of `A` is read once, in parallel by rows.
fn dense_times_few(a: &Dense, w: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = w.len();
    let mut by_row = vec![0.0; a.rows * k];
    by_row
        .par_chunks_mut(k.max(1))
        .enumerate()
        .for_each(|(i, out)| {
            let row = a.row(i);
            for (o, wc) in out.iter_mut().zip(w) {
                *o = dot(row, wc);
            }
        });
    (0..k)
        .map(|c| (0..a.rows).map(|i| by_row[i * k + c]).collect())
        .collect()
}

/// `x · y` in eight independent partial sums, so the loop vectorises instead of waiting on one addition.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f64 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// `Aᵀ W` for a row-major `A` and a few columns `W`: a fixed number of blocks of rows of `A` are read once
/// each, in parallel, into partial sums added in block order — so the result does not depend on how the
/// threads were scheduled (the same inputs give the same bits).
fn dense_transpose_times_few(a: &Dense, w: &[Vec<f64>]) -> Vec<Vec<f64>> {
    const BLOCKS: usize = 16;
    let (n, k) = (a.cols, w.len());
    let per = a.rows.div_ceil(BLOCKS).max(1);
    let partials: Vec<Vec<Vec<f64>>> = (0..a.rows.div_ceil(per))
        .into_par_iter()
        .map(|b| {
            let mut acc = vec![vec![0.0; n]; k];
            for i in b * per..((b + 1) * per).min(a.rows) {
                let row = a.row(i);
                for (acc_c, wc) in acc.iter_mut().zip(w) {
                    let wi = wc[i];
                    if wi != 0.0 {
                        acc_c.iter_mut().zip(row).for_each(|(o, x)| *o += x * wi);
                    }
                }
            }
            acc
        })
        .collect();
    let mut out = vec![vec![0.0; n]; k];
    for p in &partials {
        for (oc, pc) in out.iter_mut().zip(p) {
            oc.iter_mut().zip(pc).for_each(|(o, v)| *o += v);
        }
    }
    out
}

/// Density below which `A` is kept as CSR for products.
const SPARSE_BELOW: f64 = 0.25;

impl LeontiefSystem {
    /// Builds `A = Z x̂⁻¹` (columns of zero-output nodes are 0) and checks that it is productive. A sparse `Z`
    /// goes straight to CSR without a dense copy of `A`.
    pub fn from_table(t: &Mrio) -> Result<Self> {
        let n = t.n();
        let inv: Vec<f64> =
            t.x.iter()
                .map(|x| if *x != 0.0 { 1.0 / x } else { 0.0 })
                .collect();
        let counts = t.z.row_nonzeros();
        let coef = if t.z.density_of(&counts) < SPARSE_BELOW {
            let a = Csr::from_dense_scaled_counted(&t.z, &inv, &counts);
            Coefficients::Sparse {
                a,
                at: OnceLock::new(),
            }
        } else {
            let mut a = Dense::zeros(n, n);
            a.data
                .par_chunks_mut(n.max(1))
                .zip(t.z.data.par_chunks(n.max(1)))
                .for_each(|(row, z)| {
                    row.iter_mut()
                        .zip(z)
                        .zip(&inv)
                        .for_each(|((a, z), s)| *a = z * s)
                });
            Coefficients::Dense(a)
        };
        Self::assemble(n, coef, Some(&t.x), Some(t.labels.clone()))
    }

    /// Wraps a given coefficient matrix `A` (n × n) and checks that it is productive.
    pub fn from_coefficients(a: Dense, labels: Option<Labels>) -> Result<Self> {
        if a.rows != a.cols {
            return Err(Error::Unsupported(format!(
                "A must be square, got {}×{}",
                a.rows, a.cols
            )));
        }
        let n = a.rows;
        let coef = if a.density() < SPARSE_BELOW {
            let csr = Csr::from_dense_scaled(&a, &vec![1.0; n]);
            Coefficients::Sparse {
                a: csr,
                at: OnceLock::new(),
            }
        } else {
            Coefficients::Dense(a)
        };
        Self::assemble(n, coef, None, labels)
    }

    fn assemble(
        n: usize,
        coef: Coefficients,
        weights: Option<&[f64]>,
        labels: Option<Labels>,
    ) -> Result<Self> {
        let values: &[f64] = match &coef {
            Coefficients::Dense(a) => &a.data,
            Coefficients::Sparse { a, .. } => &a.values,
        };
        if crate::table::first_non_finite(values).is_some() {
            return Err(Error::Unsupported(
                "A has a non-finite coefficient (an output of 0 with inputs?)".into(),
            ));
        }
        let colsum = match &coef {
            Coefficients::Dense(a) => a.col_sums(),
            Coefficients::Sparse { a, .. } => a.col_sums(),
        };
        let max_column_sum = colsum.iter().copied().fold(0.0, f64::max);
        let rho_estimate = match weights {
            Some(w) => {
                let tw: f64 = w.iter().sum();
                if tw > 0.0 {
                    colsum.iter().zip(w).map(|(c, w)| c * w).sum::<f64>() / tw
                } else {
                    0.0
                }
            }
            None => {
                let active: Vec<f64> = colsum.iter().copied().filter(|c| *c != 0.0).collect();
                if active.is_empty() {
                    0.0
                } else {
                    active.iter().sum::<f64>() / active.len() as f64
                }
            }
        };
        let sys = LeontiefSystem {
            n,
            coef,
            labels,
            lu: OnceLock::new(),
            preconditioner: OnceLock::new(),
            restricted: Mutex::new(Vec::new()),
            rho_estimate: rho_estimate.clamp(0.0, 0.999),
            max_column_sum,
            tolerance: 1e-12,
            method: Method::Auto,
            reuse: 1,
        };
        sys.check_productive(&colsum)?;
        Ok(sys)
    }

    /// The system of a subset of whole regions: `I − A_SS` over the nodes of `regions` (in the given order),
    /// with their labels, so the subsystem keeps the regional preconditioner. Paths through the other
    /// regions are cut: `(I − A_SS)⁻¹` counts only supply chains that stay inside `S`. A principal submatrix
    /// of a productive non-negative `A` is productive, so this fails only on a malformed request.
    ///
    /// The system is kept (with the factorisation or preconditioner its solves build) and returned again for
    /// the same regions, method and tolerance, so a second analysis on the same parties builds nothing.
    pub fn restricted_to_regions(&self, regions: &[usize]) -> Result<Arc<LeontiefSystem>> {
        let key = (
            regions.to_vec(),
            self.method,
            self.tolerance.to_bits(),
            self.reuse,
        );
        if let Ok(mut kept) = self.restricted.lock()
            && let Some(k) = kept.iter().position(|r| r.key == key)
        {
            let hit = kept.remove(k);
            let sys = hit.system.clone();
            kept.push(hit);
            return Ok(sys);
        }
        let sys = Arc::new(self.build_restricted(regions)?);
        if let Ok(mut kept) = self.restricted.lock() {
            kept.retain(|r| r.key != key);
            kept.push(Restricted {
                key,
                system: sys.clone(),
            });
            let budget = 4 * self.n * self.n;
            let entries = |kept: &Vec<Restricted>| -> usize {
                // Coefficients, plus the LU factors once built.
                kept.iter()
                    .map(|r| r.system.n * r.system.n * (1 + r.system.lu.get().is_some() as usize))
                    .sum()
            };
            while kept.len() > 1 && entries(&kept) > budget {
                kept.remove(0);
            }
        }
        Ok(sys)
    }

    fn build_restricted(&self, regions: &[usize]) -> Result<LeontiefSystem> {
        let l = self.labels.as_ref().ok_or_else(|| {
            Error::Unsupported("restricting a system needs its region labels".into())
        })?;
        let bs = l.sectors.len();
        if let Some(&bad) = regions.iter().find(|&&r| r >= l.regions.len()) {
            return Err(Error::Unsupported(format!(
                "region index {bad} out of range ({} regions)",
                l.regions.len()
            )));
        }
        let nodes: Vec<usize> = regions
            .iter()
            .flat_map(|&r| (r * bs)..((r + 1) * bs))
            .collect();
        let m = nodes.len();
        let mut pos = vec![usize::MAX; self.n];
        for (k, &i) in nodes.iter().enumerate() {
            pos[i] = k;
        }
        let mut sub = Dense::zeros(m, m);
        sub.data
            .par_chunks_mut(m.max(1))
            .zip(nodes.par_iter())
            .for_each(|(row, &i)| match &self.coef {
                Coefficients::Dense(a) => {
                    let ar = a.row(i);
                    for (k, &j) in nodes.iter().enumerate() {
                        row[k] = ar[j];
                    }
                }
                Coefficients::Sparse { a, .. } => {
                    for p in a.indptr[i]..a.indptr[i + 1] {
                        let k = pos[a.indices[p] as usize];
                        if k != usize::MAX {
                            row[k] = a.values[p];
                        }
                    }
                }
            });
        let labels = Labels {
            regions: regions.iter().map(|&r| l.regions[r].clone()).collect(),
            sectors: l.sectors.clone(),
            final_demand: Vec::new(),
            stressors: Vec::new(),
        };
        let mut sys = LeontiefSystem::from_coefficients(sub, Some(labels))?;
        sys.tolerance = self.tolerance;
        sys.method = self.method;
        sys.reuse = self.reuse;
        Ok(sys)
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Whether `A` is held as a sparse matrix.
    pub fn is_sparse(&self) -> bool {
        matches!(self.coef, Coefficients::Sparse { .. })
    }

    /// `A` as it is held when sparse (its stored values are `Z_ij · (1/x_j)`, `1/0` read as 0), else `None`.
    pub fn a_sparse(&self) -> Option<&Csr> {
        match &self.coef {
            Coefficients::Sparse { a, .. } => Some(a),
            Coefficients::Dense(_) => None,
        }
    }

    /// `A` as a dense matrix (a copy when it is held sparse).
    pub fn a_dense(&self) -> std::borrow::Cow<'_, Dense> {
        match &self.coef {
            Coefficients::Dense(a) => std::borrow::Cow::Borrowed(a),
            Coefficients::Sparse { a, .. } => std::borrow::Cow::Owned(a.to_dense()),
        }
    }

    fn label(&self, i: usize) -> String {
        self.labels
            .as_ref()
            .map(|l| l.node_label(i))
            .unwrap_or_else(|| format!("node {i}"))
    }

    fn labels_of(&self, nodes: &[usize]) -> String {
        let mut s: Vec<String> = nodes.iter().take(8).map(|&i| self.label(i)).collect();
        if nodes.len() > 8 {
            s.push(format!("… and {} more", nodes.len() - 8));
        }
        s.join(", ")
    }

    /// ρ(A) < 1 holds if every column sum is below 1; otherwise it holds iff `q = (I − A)⁻¹ 1` exists and is
    /// positive (then ρ(A) ≤ maxᵢ (qᵢ − 1)/qᵢ < 1, the Collatz–Wielandt bound). Negative coefficients are
    /// allowed but then only the second test applies.
    fn check_productive(&self, colsum: &[f64]) -> Result<()> {
        let has_negative = match &self.coef {
            Coefficients::Dense(a) => a.data.iter().any(|v| *v < 0.0),
            Coefficients::Sparse { a, .. } => a.values.iter().any(|v| *v < 0.0),
        };
        if !has_negative && self.max_column_sum < 1.0 {
            return Ok(());
        }
        // A non-negative A is productive exactly when its Neumann series converges: q = 1 + A q from q = 1
        // rises monotonically to (I − A)⁻¹·1 > 0. A few sparse products settle it for any table whose
        // spectral radius is not close to 1; else (or with negative coefficients) the LU decides.
        if !has_negative && self.neumann_converges() {
            return Ok(());
        }
        let heavy: Vec<usize> = (0..self.n).filter(|&j| colsum[j] >= 1.0).collect();
        let ones = Mat::<f64>::from_fn(self.n, 1, |_, _| 1.0);
        let q = self
            .lu_solve(ones.as_ref(), Side::Forward)
            .map_err(|_| Error::NonProductive {
                detail: "I − A is singular".into(),
                nodes: self.labels_of(&heavy),
            })?;
        let bad: Vec<usize> = (0..self.n)
            .filter(|&i| !(q[(i, 0)].is_finite() && q[(i, 0)] > 0.0))
            .collect();
        if !bad.is_empty() {
            let mut nodes = heavy.clone();
            nodes.extend(bad.iter().filter(|i| !heavy.contains(i)));
            return Err(Error::NonProductive {
                detail: format!(
                    "(I − A)⁻¹·1 is not positive at {} node(s); columns summing to ≥ 1 (inputs ≥ output): {}",
                    bad.len(),
                    heavy.len()
                ),
                nodes: self.labels_of(&nodes),
            });
        }
        Ok(())
    }

    /// Whether the partial Neumann sums `q ← 1 + A q` from `q = 1` prove that a non-negative `A` is productive
    /// within 400 products: as soon as `A q < q` entry by entry (`q ≥ 1 > 0`), the Collatz–Wielandt bound
    /// `ρ(A) ≤ maxᵢ (A q)ᵢ / qᵢ < 1` holds — usually after a few products; or when the sums settle.
    fn neumann_converges(&self) -> bool {
        let n = self.n;
        let mut q = vec![1.0; n];
        let mut next = vec![0.0; n];
        for _ in 0..400 {
            match &self.coef {
                Coefficients::Dense(a) => {
                    next.par_iter_mut().enumerate().for_each(|(i, v)| {
                        *v = 1.0 + a.row(i).iter().zip(&q).map(|(x, y)| x * y).sum::<f64>();
                    });
                }
                Coefficients::Sparse { a, .. } => {
                    next.par_iter_mut().enumerate().for_each(|(i, v)| {
                        let mut acc = 1.0;
                        for p in a.indptr[i]..a.indptr[i + 1] {
                            acc += a.values[p] * q[a.indices[p] as usize];
                        }
                        *v = acc;
                    });
                }
            }
            if next.iter().any(|v| !v.is_finite()) {
                return false;
            }
            // next − 1 = A q: the bound max (A q)ᵢ / qᵢ, with a margin for round-off.
            if next
                .iter()
                .zip(&q)
                .all(|(nx, qi)| (nx - 1.0) < (1.0 - 1e-9) * qi)
            {
                return true;
            }
            let scale = next.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let change = next
                .iter()
                .zip(&q)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            std::mem::swap(&mut q, &mut next);
            if change <= 1e-12 * scale {
                return true;
            }
        }
        false
    }

    /// Applies `(I − A)` or `(I − A)ᵀ` to the columns of `w`.
    pub fn apply(&self, w: MatRef<'_, f64>, side: Side) -> Mat<f64> {
        let mut out = w.to_owned();
        match &self.coef {
            Coefficients::Dense(a) if w.ncols() <= FEW_COLUMNS => {
                let cols: Vec<Vec<f64>> = (0..w.ncols())
                    .map(|c| w.col(c).iter().copied().collect())
                    .collect();
                let aw = match side {
                    Side::Forward => dense_times_few(a, &cols),
                    Side::Transposed => dense_transpose_times_few(a, &cols),
                };
                for (c, col) in aw.iter().enumerate() {
                    for (i, v) in col.iter().enumerate() {
                        out[(i, c)] -= v;
                    }
                }
            }
            Coefficients::Dense(a) => {
                let av = a.as_faer();
                let lhs = if side == Side::Forward {
                    av
                } else {
                    av.transpose()
                };
                faer::linalg::matmul::matmul(out.as_mut(), Accum::Add, lhs, w, -1.0, Par::rayon(0));
            }
            Coefficients::Sparse { a, at } => {
                let aw = match side {
                    Side::Forward => a.mul_block(w),
                    // Inside a parallel loop (monitoring's years) a serial scatter over A's rows beats
                    // building Aᵀ; the bits are the same either way.
                    Side::Transposed
                        if at.get().is_none() && rayon::current_thread_index().is_some() =>
                    {
                        a.transpose_mul_block(w)
                    }
                    Side::Transposed => at.get_or_init(|| a.transpose()).mul_block(w),
                };
                out -= aw;
            }
        }
        out
    }

    /// Estimated seconds for LU and for GMRES with `k` right-hand sides (a coarse model calibrated with
    /// `bench/solver` on a 2-core machine: LU at ~15 GFLOP/s, products at ~12 GB/s or ~30 GFLOP/s;
    /// GMRES iterations from the spectral-radius estimate, each pass over `A` bounded by memory bandwidth or
    /// by arithmetic, whichever is slower).
    pub fn cost_estimate(&self, k: usize) -> (f64, f64) {
        let n = self.n as f64;
        let k = k as f64;
        let lu_done = self.lu.get().is_some();
        let lu = if lu_done {
            0.0
        } else {
            2.0 / 3.0 * n * n * n / 15e9 / self.reuse.max(1) as f64
        } + 2.0 * n * n * k / 20e9;
        let (nnz, bytes_per) = match &self.coef {
            Coefficients::Dense(_) => (n * n, 8.0),
            Coefficients::Sparse { a, .. } => (a.values.len() as f64, 12.0),
        };
        let rate = if self.is_sparse() { 6e9 } else { 30e9 };
        let per_iter =
            (nnz * bytes_per / 12e9).max(2.0 * nnz * k / rate) + 4.0 * n * k * 20.0 / 10e9;
        (lu, self.expected_iterations() as f64 * per_iter)
    }

    fn expected_iterations(&self) -> usize {
        let rho = self.rho_estimate.max(0.05);
        ((self.tolerance.ln() / rho.ln()) * 0.6)
            .ceil()
            .clamp(8.0, 400.0) as usize
            + 2
    }

    /// Builds what a solve of `k` right-hand sides on `side` will need and does not have yet — `Aᵀ` and the
    /// preconditioner for an iterative solve, the factorisation otherwise — so that it can be done alongside
    /// other work. The solve's answer does not change.
    pub fn prepare(&self, k: usize, side: Side) {
        if self.choose(k) == Method::Iterative {
            self.preconditioner.get_or_init(|| self.block_jacobi());
            if let (Side::Transposed, Coefficients::Sparse { a, at }) = (side, &self.coef) {
                at.get_or_init(|| a.transpose());
            }
        } else {
            self.factor();
        }
    }

    /// The method [`Method::Auto`] picks for `k` right-hand sides.
    pub fn choose(&self, k: usize) -> Method {
        match self.method {
            Method::Auto => {
                let (lu, it) = self.cost_estimate(k);
                if it < lu {
                    Method::Iterative
                } else {
                    Method::Lu
                }
            }
            m => m,
        }
    }

    /// Solves for the columns of `b` (n × k), by the method the cost model picks, and reports the residual.
    pub fn solve(&self, b: MatRef<'_, f64>, side: Side) -> Result<(Mat<f64>, SolveReport)> {
        if b.nrows() != self.n {
            return Err(Error::Unsupported(format!(
                "right-hand side has {} rows, system has {}",
                b.nrows(),
                self.n
            )));
        }
        if b.ncols() == 0 {
            let report = SolveReport {
                method: "none",
                rhs: 0,
                iterations: 0,
                max_relative_residual: 0.0,
            };
            return Ok((Mat::zeros(self.n, 0), report));
        }
        let lu = |this: &Self| -> Result<(Mat<f64>, &'static str, usize, f64)> {
            let x = this.lu_solve(b, side)?;
            let res = this.residual(b, x.as_ref(), side);
            Ok((x, "lu", 0, res))
        };
        // GMRES verifies its own true residual before it returns.
        let (x, method, iterations, max_relative_residual) = match self.choose(b.ncols()) {
            Method::Iterative => match self.gmres(b, side) {
                Some((x, it, res)) => (x, "gmres", it, res),
                None => lu(self)?,
            },
            _ => lu(self)?,
        };
        if max_relative_residual.is_nan() || max_relative_residual > 1e-8 {
            return Err(Error::Unsupported(format!(
                "Leontief solve is inaccurate: relative residual {max_relative_residual:e} (method {method}); the table may be near-singular"
            )));
        }
        Ok((
            x,
            SolveReport {
                method,
                rhs: b.ncols(),
                iterations,
                max_relative_residual,
            },
        ))
    }

    /// Largest relative 2-norm residual over the columns.
    pub fn residual(&self, b: MatRef<'_, f64>, x: MatRef<'_, f64>, side: Side) -> f64 {
        let r = self.apply(x, side);
        (0..b.ncols())
            .map(|j| {
                let (mut num, mut den) = (0.0, 0.0);
                for i in 0..self.n {
                    let d = b[(i, j)] - r[(i, j)];
                    num += d * d;
                    den += b[(i, j)] * b[(i, j)];
                }
                if den > 0.0 {
                    (num / den).sqrt()
                } else {
                    num.sqrt()
                }
            })
            .fold(0.0, f64::max)
    }

    fn factor(&self) -> &faer::linalg::solvers::PartialPivLu<f64> {
        self.lu.get_or_init(|| {
            let a = self.a_dense();
            let av = a.as_faer();
            let m = Mat::<f64>::from_fn(self.n, self.n, |i, j| {
                if i == j {
                    1.0 - av[(i, j)]
                } else {
                    -av[(i, j)]
                }
            });
            m.partial_piv_lu()
        })
    }

    fn lu_solve(&self, b: MatRef<'_, f64>, side: Side) -> Result<Mat<f64>> {
        let lu = self.factor();
        let mut x = b.to_owned();
        match side {
            Side::Forward => lu.solve_in_place(x.as_mut()),
            Side::Transposed => lu.solve_transpose_in_place(x.as_mut()),
        }
        if x.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
            return Err(Error::NonProductive {
                detail: "I − A is singular (LU produced non-finite values)".into(),
                nodes: String::new(),
            });
        }
        Ok(x)
    }

    /// The full Leontief inverse `L = (I − A)⁻¹` (n × n). Only on request: it costs `n²` memory and an LU.
    pub fn leontief_inverse(&self) -> Result<(Mat<f64>, SolveReport)> {
        let id = Mat::<f64>::identity(self.n, self.n);
        let x = self.lu_solve(id.as_ref(), Side::Forward)?;
        let max_relative_residual = self.residual(id.as_ref(), x.as_ref(), Side::Forward);
        Ok((
            x,
            SolveReport {
                method: "lu",
                rhs: self.n,
                iterations: 0,
                max_relative_residual,
            },
        ))
    }

    /// The regional block-Jacobi preconditioner `P = blockdiag_r(I − A_rr)`: the domestic blocks carry most
    /// intermediate flows, so `(I − A) P⁻¹` is close to the identity and GMRES needs far fewer products.
    /// `None` without region labels, with one region, or if a block cannot be factored.
    fn block_jacobi(&self) -> Option<BlockJacobi> {
        let l = self.labels.as_ref()?;
        let (nr, bs) = (l.regions.len(), l.sectors.len());
        if nr < 2 || nr * bs != self.n {
            return None;
        }
        let blocks: Vec<_> = (0..nr)
            .into_par_iter()
            .map(|r| {
                let o = r * bs;
                let mut m = Mat::<f64>::identity(bs, bs);
                match &self.coef {
                    Coefficients::Dense(a) => {
                        for i in 0..bs {
                            for j in 0..bs {
                                m[(i, j)] -= a.get(o + i, o + j);
                            }
                        }
                    }
                    Coefficients::Sparse { a, .. } => {
                        for i in 0..bs {
                            for p in a.indptr[o + i]..a.indptr[o + i + 1] {
                                let j = a.indices[p] as usize;
                                if (o..o + bs).contains(&j) {
                                    m[(i, j - o)] -= a.values[p];
                                }
                            }
                        }
                    }
                }
                m.partial_piv_lu()
            })
            .collect();
        let pre = BlockJacobi { bs, blocks };
        // Reject a preconditioner that produces non-finite numbers (a singular domestic block).
        let probe = pre.apply(
            Mat::<f64>::from_fn(self.n, 1, |_, _| 1.0).as_ref(),
            Side::Forward,
        );
        probe.col(0).iter().all(|v| v.is_finite()).then_some(pre)
    }

    /// Restarted GMRES, all columns in lock-step so that each step costs one block product with `A`.
    /// Returns `None` when it does not reach the tolerance within its iteration budget.
    fn gmres(&self, b: MatRef<'_, f64>, side: Side) -> Option<(Mat<f64>, usize, f64)> {
        let n = self.n;
        let k = b.ncols();
        let restart = (40usize).min((60_000_000 / (n * k).max(1)).max(8));
        let budget = 1500usize;
        let bnorm: Vec<f64> = (0..k).map(|j| norm(b.col(j).iter().copied())).collect();
        let mut x = Mat::<f64>::zeros(n, k);
        let mut total = 0usize;
        let pre = self
            .preconditioner
            .get_or_init(|| self.block_jacobi())
            .as_ref();
        loop {
            // True residual at the start of every cycle: it also verifies convergence.
            let r = if total == 0 {
                b.to_owned()
            } else {
                let ax = self.apply(x.as_ref(), side);
                let mut r = b.to_owned();
                r -= ax;
                r
            };
            let rel: Vec<f64> = (0..k)
                .map(|j| {
                    let rn = norm(r.col(j).iter().copied());
                    if bnorm[j] > 0.0 { rn / bnorm[j] } else { rn }
                })
                .collect();
            let todo: Vec<usize> = (0..k)
                .filter(|&j| rel[j] > self.tolerance && bnorm[j] > 0.0)
                .collect();
            if todo.is_empty() {
                return Some((x, total, rel.iter().copied().fold(0.0, f64::max)));
            }
            if total >= budget {
                return None;
            }
            let mut states: Vec<Arnoldi> = todo
                .iter()
                .map(|&j| {
                    Arnoldi::new(
                        r.col(j).iter().copied().collect(),
                        restart,
                        self.tolerance * 0.1 * bnorm[j],
                    )
                })
                .collect();
            for _ in 0..restart {
                let active: Vec<usize> = (0..states.len()).filter(|&s| !states[s].done).collect();
                if active.is_empty() {
                    break;
                }
                let block = Mat::<f64>::from_fn(n, active.len(), |i, c| {
                    let s = &states[active[c]];
                    s.basis[s.steps][i]
                });
                let w = match pre {
                    Some(p) => self.apply(p.apply(block.as_ref(), side).as_ref(), side),
                    None => self.apply(block.as_ref(), side),
                };
                total += 1;
                let cols: Vec<Vec<f64>> = (0..active.len())
                    .map(|c| w.col(c).iter().copied().collect())
                    .collect();
                let act: Vec<&mut Arnoldi> = states.iter_mut().filter(|s| !s.done).collect();
                act.into_par_iter()
                    .zip(cols)
                    .for_each(|(st, col)| st.step(col));
            }
            let upd = Mat::<f64>::from_fn(n, 0, |_, _| 0.0);
            let mut upd = upd;
            upd.resize_with(n, todo.len(), |_, _| 0.0);
            for (c, st) in states.iter().enumerate() {
                for (i, u) in st.update().into_iter().enumerate() {
                    upd[(i, c)] = u;
                }
            }
            let upd = match pre {
                Some(p) => p.apply(upd.as_ref(), side),
                None => upd,
            };
            for (c, &j) in todo.iter().enumerate() {
                for i in 0..n {
                    x[(i, j)] += upd[(i, c)];
                }
            }
        }
    }
}

fn norm(it: impl Iterator<Item = f64>) -> f64 {
    it.map(|v| v * v).sum::<f64>().sqrt()
}

/// Factored diagonal blocks of `I − A`, one per region.
struct BlockJacobi {
    bs: usize,
    blocks: Vec<faer::linalg::solvers::PartialPivLu<f64>>,
}

impl BlockJacobi {
    /// `P⁻¹ W` (forward) or `P⁻ᵀ W` (transposed).
    fn apply(&self, w: MatRef<'_, f64>, side: Side) -> Mat<f64> {
        let mut out = w.to_owned();
        let bs = self.bs;
        let parts: Vec<Mat<f64>> = self
            .blocks
            .par_iter()
            .enumerate()
            .map(|(r, lu)| {
                let mut blk = out.as_ref().subrows(r * bs, bs).to_owned();
                match side {
                    Side::Forward => lu.solve_in_place(blk.as_mut()),
                    Side::Transposed => lu.solve_transpose_in_place(blk.as_mut()),
                }
                blk
            })
            .collect();
        for (r, blk) in parts.into_iter().enumerate() {
            out.as_mut().subrows_mut(r * bs, bs).copy_from(&blk);
        }
        out
    }
}

/// One column's Arnoldi process with Givens rotations (GMRES state for one restart cycle).
struct Arnoldi {
    basis: Vec<Vec<f64>>,
    h: Vec<Vec<f64>>,
    cs: Vec<f64>,
    sn: Vec<f64>,
    g: Vec<f64>,
    steps: usize,
    target: f64,
    done: bool,
    max_steps: usize,
}

impl Arnoldi {
    fn new(mut r: Vec<f64>, max_steps: usize, target: f64) -> Self {
        let beta = norm(r.iter().copied());
        r.iter_mut().for_each(|v| *v /= beta);
        let mut g = vec![0.0; max_steps + 1];
        g[0] = beta;
        Arnoldi {
            basis: vec![r],
            h: Vec::with_capacity(max_steps),
            cs: Vec::with_capacity(max_steps),
            sn: Vec::with_capacity(max_steps),
            g,
            steps: 0,
            target,
            done: false,
            max_steps,
        }
    }

    /// Takes `w = (I − A) v_j` and extends the basis by one vector.
    fn step(&mut self, mut w: Vec<f64>) {
        let j = self.steps;
        let mut hcol = vec![0.0; j + 2];
        // Modified Gram–Schmidt, twice for stability.
        for _ in 0..2 {
            for (i, v) in self.basis.iter().enumerate() {
                let d: f64 = w.iter().zip(v).map(|(a, b)| a * b).sum();
                hcol[i] += d;
                w.iter_mut().zip(v).for_each(|(a, b)| *a -= d * b);
            }
        }
        let hn = norm(w.iter().copied());
        hcol[j + 1] = hn;
        for i in 0..j {
            let (a, b) = (hcol[i], hcol[i + 1]);
            hcol[i] = self.cs[i] * a + self.sn[i] * b;
            hcol[i + 1] = -self.sn[i] * a + self.cs[i] * b;
        }
        let (a, b) = (hcol[j], hcol[j + 1]);
        let r = a.hypot(b);
        let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (a / r, b / r) };
        hcol[j] = r;
        hcol[j + 1] = 0.0;
        self.cs.push(c);
        self.sn.push(s);
        self.g[j + 1] = -s * self.g[j];
        self.g[j] *= c;
        self.h.push(hcol);
        self.steps += 1;
        let breakdown = hn <= 1e-300 || r == 0.0;
        if !breakdown {
            w.iter_mut().for_each(|v| *v /= hn);
            self.basis.push(w);
        }
        if breakdown || self.g[j + 1].abs() <= self.target || self.steps >= self.max_steps {
            self.done = true;
        }
    }

    /// The correction `V y` where `H y = g` (upper triangular after the rotations).
    fn update(&self) -> Vec<f64> {
        let m = self.steps;
        let mut y = vec![0.0; m];
        for i in (0..m).rev() {
            let mut s = self.g[i];
            for (l, yl) in y.iter().enumerate().take(m).skip(i + 1) {
                s -= self.h[l][i] * yl;
            }
            let d = self.h[i][i];
            y[i] = if d != 0.0 { s / d } else { 0.0 };
        }
        let n = self.basis[0].len();
        let mut out = vec![0.0; n];
        for (v, yi) in self.basis.iter().zip(&y) {
            out.iter_mut().zip(v).for_each(|(o, b)| *o += yi * b);
        }
        out
    }
}
