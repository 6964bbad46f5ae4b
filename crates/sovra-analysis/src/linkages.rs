//! Rasmussen linkages: which nodes pull the economy (backward) and which push it (forward).
//!
//! - backward linkage (power of dispersion) `BLⱼ = Σᵢ L_ij / mean_k(Σᵢ L_ik)`;
//! - forward linkage, Leontief form (sensitivity of dispersion) `FLᵢ = Σⱼ L_ij / mean_k(Σⱼ L_kj)`;
//! - forward linkage, Ghosh form (Miller & Blair's preferred supply-side measure)
//!   `FLᴳᵢ = Σⱼ G_ij / mean_k(Σⱼ G_kj)` with `G = x̂⁻¹ L x̂`, so `G 1 = x̂⁻¹ L x`.
//!
//! Means are over nodes with output; a node is *key* when both `BL > 1` and `FLᴳ > 1`.
//! Costs one transposed and one two-column forward solve; `L` is never formed.

use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::{NodeLabel, Result, columns, node_labels};

/// Linkages for every node.
#[derive(Debug, Clone, Serialize)]
pub struct Linkages {
    /// Node labels.
    pub nodes: Vec<NodeLabel>,
    /// Whether the node has output (inactive nodes get 0 and are left out of the means).
    pub active: Vec<bool>,
    /// Normalised column sums of `L`.
    pub backward: Vec<f64>,
    /// Normalised row sums of `L`.
    pub forward_leontief: Vec<f64>,
    /// Normalised row sums of `G`.
    pub forward_ghosh: Vec<f64>,
    /// `backward > 1 && forward_ghosh > 1`.
    pub key: Vec<bool>,
    /// Solver reports (transposed, forward).
    pub solves: [SolveReport; 2],
}

fn normalise(v: &[f64], active: &[bool]) -> Vec<f64> {
    let (s, c) = v
        .iter()
        .zip(active)
        .filter(|(_, a)| **a)
        .fold((0.0, 0usize), |(s, c), (v, _)| (s + v, c + 1));
    let mean = if c > 0 { s / c as f64 } else { 1.0 };
    v.iter()
        .zip(active)
        .map(|(v, a)| if *a && mean != 0.0 { v / mean } else { 0.0 })
        .collect()
}

/// Rasmussen backward and forward linkages for all nodes.
pub fn compute(t: &Mrio, sys: &LeontiefSystem) -> Result<Linkages> {
    let n = t.n();
    let ones = vec![1.0; n];
    let active: Vec<bool> = t.x.iter().map(|x| *x > 0.0).collect();
    let (cs, rep_t) = sys.solve(columns(n, &[&ones]).as_ref(), Side::Transposed)?;
    let (rs, rep_f) = sys.solve(columns(n, &[&ones, &t.x]).as_ref(), Side::Forward)?;
    let col_sums: Vec<f64> = cs.col(0).iter().copied().collect();
    let row_sums: Vec<f64> = rs.col(0).iter().copied().collect();
    let ghosh_rows: Vec<f64> = (0..n)
        .map(|i| {
            if t.x[i] > 0.0 {
                rs[(i, 1)] / t.x[i]
            } else {
                1.0
            }
        })
        .collect();
    let backward = normalise(&col_sums, &active);
    let forward_leontief = normalise(&row_sums, &active);
    let forward_ghosh = normalise(&ghosh_rows, &active);
    let key = (0..n)
        .map(|i| active[i] && backward[i] > 1.0 && forward_ghosh[i] > 1.0)
        .collect();
    Ok(Linkages {
        nodes: node_labels(t),
        active,
        backward,
        forward_leontief,
        forward_ghosh,
        key,
        solves: [rep_t, rep_f],
    })
}
