//! Output and value-added multipliers: how much gross output, and how much value added, one more unit of
//! final demand for a node's product generates in the whole (multi-regional) economy.
//!
//! - output multiplier `mₒ(j) = Σᵢ L_ij` (column sums of `L`): one transposed solve `(I − A)ᵀ m = 1`;
//! - value-added multiplier `mᵥ(j) = Σᵢ νᵢ L_ij` with `ν = v / x`: one transposed solve `(I − A)ᵀ m = ν`.
//!   When `v` is all of value added (`x = Zᵀ1 + v`) this is 1 for every node with output: every dollar of
//!   final demand ends up as somebody's value added. It is below 1 for a partial value-added row (e.g.
//!   `VA` at basic prices without `TLS`), computed by [`stressor_multipliers`];
//! - stressor multipliers `M = S L`, `S = F x̂⁻¹` (pymrio's `M`): one transposed solve per stressor row.
//!
//! The full `L` is never formed.

use serde::Serialize;
use sovra_core::{LeontiefSystem, Mrio, Side, SolveReport};

use crate::{NodeLabel, Result, columns, node_labels};

/// Multipliers for every node.
#[derive(Debug, Clone, Serialize)]
pub struct Multipliers {
    /// Node labels.
    pub nodes: Vec<NodeLabel>,
    /// Gross output of each node (for context and for weighting).
    pub output: Vec<f64>,
    /// `Σᵢ L_ij`.
    pub output_multiplier: Vec<f64>,
    /// `Σᵢ νᵢ L_ij`.
    pub value_added_multiplier: Vec<f64>,
    /// Solver report.
    pub solve: SolveReport,
}

/// Output and value-added multipliers for all nodes (two transposed right-hand sides, one solve).
pub fn compute(t: &Mrio, sys: &LeontiefSystem) -> Result<Multipliers> {
    let n = t.n();
    let ones = vec![1.0; n];
    let nu = t.va_shares();
    let (w, solve) = sys.solve(columns(n, &[&ones, &nu]).as_ref(), Side::Transposed)?;
    Ok(Multipliers {
        nodes: node_labels(t),
        output: t.x.clone(),
        output_multiplier: w.col(0).iter().copied().collect(),
        value_added_multiplier: w.col(1).iter().copied().collect(),
        solve,
    })
}

/// Intensities `S = F x̂⁻¹` for the given stressor rows (0 where output is 0).
pub fn intensities(t: &Mrio, rows: &[usize]) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|&r| {
            t.f.row(r)
                .iter()
                .zip(&t.x)
                .map(|(f, x)| if *x != 0.0 { f / x } else { 0.0 })
                .collect()
        })
        .collect()
}

/// Stressor multipliers `M = S L` for the given stressor rows: one row per stressor.
pub fn stressor_multipliers(
    t: &Mrio,
    sys: &LeontiefSystem,
    rows: &[usize],
) -> Result<(Vec<Vec<f64>>, SolveReport)> {
    let s = intensities(t, rows);
    let refs: Vec<&[f64]> = s.iter().map(|v| v.as_slice()).collect();
    let (w, rep) = sys.solve(columns(t.n(), &refs).as_ref(), Side::Transposed)?;
    Ok((
        (0..rows.len())
            .map(|c| w.col(c).iter().copied().collect())
            .collect(),
        rep,
    ))
}
