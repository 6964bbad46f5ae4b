//! The benchmark production network the shock models run on, prepared once per table and shared by every
//! scenario: who sells what to whom before the shock, in the notation of the rerouting model.
//!
//! From the table (`Z`, `x`), with `i` a selling node, `j` a buying node, `r(i)` the sector of `i`:
//!
//! - `m_j = Σ_i Z_ij`, intermediate inputs bought; `A_ij = Z_ij / m_j`, input shares (columns sum to 1);
//! - `ω_j = min(m_j / x_j, 0.98)`, the intermediate cost share (`1 − β_j`; capped as in the peer model);
//! - `z_i = max(x_i − Σ_j Z_ij, 0)`, deliveries to final use; `s = (I − A ω̂)⁻¹ z`, benchmark output
//!   (equal to `x` unless a cost share was capped or a flow clipped);
//! - `d̄_i = max(s_i − z_i, 0)`, benchmark intermediate sales — the seller's capacity for intermediate use;
//! - `w_j = ω_j s_j`, the buyer's intermediate budget; `α_rj = Σ_{u} A_(u,r)j`, the share of `j`'s inputs
//!   that come from sector `r` (any country).
//!
//! Negative flows are clipped to zero and counted in [`Audit`], like nodes without output.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::{Dense, Mrio};

use crate::{Error, Result};

/// The cap on the intermediate cost share `ω_j` (dissipativity: every buyer keeps 2 % non-intermediate
/// inputs), as in the peer model.
pub const OMEGA_CAP: f64 = 0.98;

/// What preparing the network changed in the table, for the record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// Negative entries of `Z` set to zero.
    pub negative_flow_cells_clipped: usize,
    /// Their sum.
    pub negative_flow_mass: f64,
    /// Nodes without output (treated as inactive).
    pub inactive_nodes: usize,
    /// Nodes whose final use `x_i − Σ_j Z_ij` was negative and is set to zero.
    pub negative_final_use_clipped: usize,
    /// Columns whose cost share `ω_j` was capped at [`OMEGA_CAP`].
    pub cost_share_capped: usize,
    /// `max_i |s_i − x_i| / max(x_i, 1)`.
    pub s_vs_x_max_rel: f64,
}

/// The benchmark network (region-major node order of the table: `i = region · S + sector`).
#[derive(Debug)]
pub struct Network {
    /// The table it was built from.
    pub table: Arc<Mrio>,
    /// A copy of `Z` with negative entries clipped to 0, when there are any (else `Z` is the table's).
    pub(crate) z_clipped: Option<Dense>,
    /// `Z` rounded to `f32`, rows in sector-major order: half the memory traffic for most passes of the
    /// fixed points, whose precision comes from a correction read from `z` (see `pass`).
    pub(crate) z32: Vec<f32>,
    /// Whether every entry of `Z` is 0 or inside `f32`'s normal range, so that the mirror is within `2⁻²⁴`
    /// of `Z` entry by entry — what the correction's error bound needs. When not (values beyond ~1e38 or
    /// below ~1e-38 in the table's unit), every pass reads `Z` itself.
    pub(crate) mirror_exact: bool,
    /// Number of regions `C`.
    pub nr: usize,
    /// Number of sectors `S`.
    pub ns: usize,
    /// `s`, benchmark output.
    pub s: Vec<f64>,
    /// `z`, final use.
    pub fin: Vec<f64>,
    /// `d̄`, benchmark intermediate sales.
    pub dbar: Vec<f64>,
    /// `ω`, intermediate cost shares.
    pub omega: Vec<f64>,
    /// `m`, intermediate inputs (column sums of `Z`).
    pub(crate) m: Vec<f64>,
    /// `w = ω ∘ s`.
    pub(crate) w: Vec<f64>,
    /// `α`, `S × N` row-major: share of `j`'s inputs from sector `r`.
    pub(crate) alpha: Vec<f64>,
    /// `Σ_r α_rj` (1 for active buyers, 0 otherwise).
    pub(crate) alpha_colsum: Vec<f64>,
    /// `1 / s_j` (0 for inactive nodes).
    pub(crate) inv_s: Vec<f64>,
    /// The domestic blocks of `Z`, `C` blocks of `S × S` row-major (`zdom[c][a][b] = Z_(c,a),(c,b)`): the
    /// preconditioners read them every iteration.
    pub(crate) zdom: Vec<f64>,
    /// Output per region, `Σ_{i∈c} s_i`.
    pub region_output: Vec<f64>,
    /// What preparing changed.
    pub audit: Audit,
}

impl Network {
    /// Prepares the network of a table (a copy of it: for tests and examples; [`Network::new`] shares it).
    pub fn from_ref(t: &Mrio) -> Result<Network> {
        Network::new(Arc::new(t.clone()))
    }

    /// Prepares the network of a table, which it keeps: a server builds it once and reuses it for every
    /// shock on that table.
    pub fn new(table: Arc<Mrio>) -> Result<Network> {
        let t: &Mrio = &table;
        let n = t.n();
        let nr = t.labels.regions.len();
        let ns = t.labels.sectors.len();
        if nr * ns != n || n == 0 {
            return Err(Error::Unsupported(
                "the shock models need a table with the same sectors in every region".into(),
            ));
        }
        if nr < 2 {
            return Err(Error::Unsupported(
                "the shock models need at least two regions".into(),
            ));
        }
        let mut audit = Audit::default();
        let neg: Vec<(usize, f64)> =
            t.z.data
                .par_iter()
                .enumerate()
                .filter(|(_, v)| **v < 0.0)
                .map(|(k, v)| (k, *v))
                .collect();
        let z_clipped = if neg.is_empty() {
            None
        } else {
            audit.negative_flow_cells_clipped = neg.len();
            audit.negative_flow_mass = neg.iter().map(|(_, v)| v).sum();
            let mut c = t.z.clone();
            for (k, _) in &neg {
                c.data[*k] = 0.0;
            }
            Some(c)
        };
        let z = z_clipped.as_ref().unwrap_or(&t.z);
        let x = &t.x;
        let active: Vec<bool> = x.iter().map(|&v| v > 0.0).collect();
        audit.inactive_nodes = active.iter().filter(|a| !**a).count();
        let m = z.col_sums();
        let sales = z.row_sums();
        let mut omega = vec![0.0; n];
        for j in 0..n {
            if active[j] {
                let o = m[j] / x[j];
                if o > OMEGA_CAP * (1.0 + 1e-12) {
                    audit.cost_share_capped += 1;
                    omega[j] = OMEGA_CAP;
                } else {
                    omega[j] = o.min(OMEGA_CAP);
                }
            }
        }
        let mut fin = vec![0.0; n];
        for i in 0..n {
            if active[i] {
                let f = x[i] - sales[i];
                if f < 0.0 {
                    // Rounding in a balanced table gives tiny negatives; count only real ones.
                    if f < -1e-9 * x[i].max(1.0) {
                        audit.negative_final_use_clipped += 1;
                    }
                } else {
                    fin[i] = f;
                }
            }
        }
        // s = (I − A ω̂)⁻¹ z: equal to x unless ω was capped or flows clipped; then solved with the Leontief
        // solver on the adjusted coefficients.
        let s = if audit.cost_share_capped == 0 && audit.negative_flow_cells_clipped == 0 {
            x.clone()
        } else {
            let scale: Vec<f64> = (0..n)
                .map(|j| if m[j] > 0.0 { omega[j] / m[j] } else { 0.0 })
                .collect();
            let mut a = z.clone();
            a.data.par_chunks_mut(n).for_each(|row| {
                row.iter_mut().zip(&scale).for_each(|(v, f)| *v *= f);
            });
            let sys = sovra_core::LeontiefSystem::from_coefficients(a, None)?;
            let rhs = crate::columns(n, &[&fin]);
            let (sol, _) = sys.solve(rhs.as_ref(), sovra_core::Side::Forward)?;
            sol.col(0).iter().copied().collect()
        };
        audit.s_vs_x_max_rel = s
            .iter()
            .zip(x)
            .map(|(a, b)| (a - b).abs() / b.max(1.0))
            .fold(0.0, f64::max);
        let dbar: Vec<f64> = s.iter().zip(&fin).map(|(a, b)| (a - b).max(0.0)).collect();
        let w: Vec<f64> = omega.iter().zip(&s).map(|(o, v)| o * v).collect();
        let inv_s: Vec<f64> = s
            .iter()
            .map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 })
            .collect();
        let inv_m: Vec<f64> = m
            .iter()
            .map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 })
            .collect();
        // α_rj: the rows of sector r summed over regions, divided by m_j.
        let mut alpha = vec![0.0; ns * n];
        alpha.par_chunks_mut(n).enumerate().for_each(|(r, acc)| {
            for u in 0..nr {
                let row = z.row(u * ns + r);
                acc.iter_mut().zip(row).for_each(|(a, v)| *a += v);
            }
            acc.iter_mut().zip(&inv_m).for_each(|(a, f)| *a *= f);
        });
        let mut alpha_colsum = vec![0.0; n];
        for r in 0..ns {
            alpha_colsum
                .iter_mut()
                .zip(&alpha[r * n..(r + 1) * n])
                .for_each(|(a, v)| *a += v);
        }
        let region_output = (0..nr)
            .map(|c| s[c * ns..(c + 1) * ns].iter().sum())
            .collect();
        // Sector-major rows ((r, c) order): a sector block of the rerouting is contiguous, so it streams and
        // stays in cache without the set conflicts of rows a fixed large stride apart.
        let mut z32 = vec![0f32; n * n];
        let in_range = |v: f64| v == 0.0 || (1.2e-38..=3.0e38).contains(&v.abs());
        let mirror_exact = z32
            .par_chunks_mut(n)
            .enumerate()
            .map(|(k, dst)| {
                let (r, c) = (k / nr, k % nr);
                let row = z.row(c * ns + r);
                dst.iter_mut().zip(row).for_each(|(d, v)| *d = *v as f32);
                row.iter().all(|&v| in_range(v))
            })
            .reduce(|| true, |a, b| a && b);
        let mut zdom = vec![0.0; nr * ns * ns];
        for c in 0..nr {
            for a in 0..ns {
                let row = z.row(c * ns + a);
                zdom[(c * ns + a) * ns..(c * ns + a + 1) * ns]
                    .copy_from_slice(&row[c * ns..(c + 1) * ns]);
            }
        }
        Ok(Network {
            table: table.clone(),
            z_clipped,
            z32,
            mirror_exact,
            zdom,
            nr,
            ns,
            s,
            fin,
            dbar,
            omega,
            m,
            w,
            alpha,
            alpha_colsum,
            inv_s,
            region_output,
            audit,
        })
    }

    /// Row `i` of `Z`.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> &[f64] {
        self.z_clipped.as_ref().unwrap_or(&self.table.z).row(i)
    }

    /// Row `i` of the `f32` mirror of `Z` (stored sector-major).
    #[inline]
    pub(crate) fn row32(&self, i: usize) -> &[f32] {
        let n = self.n();
        let k = (i % self.ns) * self.nr + i / self.ns;
        &self.z32[k * n..(k + 1) * n]
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.nr * self.ns
    }

    /// World benchmark output `Σ s`.
    pub fn world_output(&self) -> f64 {
        self.region_output.iter().sum()
    }
}
