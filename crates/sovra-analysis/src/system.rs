//! The Leontief and Ghosh systems of a table: gross output from final demand (`x = L y`), technical
//! coefficients `A = Z x̂⁻¹`, allocation coefficients `B = x̂⁻¹ Z`, and on request the full inverses
//! `L = (I − A)⁻¹` and `G = (I − B)⁻¹` (via `G = x̂⁻¹ L x̂`, which holds for every node with output).

use sovra_core::{Dense, LeontiefSystem, Mrio, Side, SolveReport};

use crate::{Result, columns};

/// Gross output needed for final demand `y` (one value per node): `x = L y`.
pub fn output_from_demand(sys: &LeontiefSystem, y: &[f64]) -> Result<(Vec<f64>, SolveReport)> {
    let (x, rep) = sys.solve(columns(y.len(), &[y]).as_ref(), Side::Forward)?;
    Ok((x.col(0).iter().copied().collect(), rep))
}

/// How well `x = L·(Y 1)` reproduces the table's own `x`: largest relative difference over nodes with output.
pub fn output_check(t: &Mrio, sys: &LeontiefSystem) -> Result<(f64, SolveReport)> {
    let y = t.y.row_sums();
    let (x, rep) = output_from_demand(sys, &y)?;
    let scale = t.x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = x
        .iter()
        .zip(&t.x)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-9 * scale))
        .fold(0.0, f64::max);
    Ok((err, rep))
}

/// Technical coefficients `A = Z x̂⁻¹` (columns of zero-output nodes are 0).
pub fn technical_coefficients(t: &Mrio) -> Dense {
    let n = t.n();
    let inv: Vec<f64> =
        t.x.iter()
            .map(|x| if *x != 0.0 { 1.0 / x } else { 0.0 })
            .collect();
    let mut a = t.z.clone();
    for i in 0..n {
        a.data[i * n..(i + 1) * n]
            .iter_mut()
            .zip(&inv)
            .for_each(|(v, s)| *v *= s);
    }
    a
}

/// Allocation (output) coefficients `B = x̂⁻¹ Z` (rows of zero-output nodes are 0).
pub fn allocation_coefficients(t: &Mrio) -> Dense {
    let n = t.n();
    let mut b = t.z.clone();
    for i in 0..n {
        let s = if t.x[i] != 0.0 { 1.0 / t.x[i] } else { 0.0 };
        b.data[i * n..(i + 1) * n].iter_mut().for_each(|v| *v *= s);
    }
    b
}

/// The Leontief inverse `L` as a row-major dense matrix. Costs an LU and `n²` memory: only on request.
pub fn leontief_inverse(sys: &LeontiefSystem) -> Result<(Dense, SolveReport)> {
    let (l, rep) = sys.leontief_inverse()?;
    let n = l.nrows();
    let d = Dense::from_vec(n, n, (0..n * n).map(|p| l[(p / n, p % n)]).collect())?;
    Ok((d, rep))
}

/// The Ghosh inverse `G = (I − B)⁻¹ = x̂⁻¹ L x̂` (rows and columns of zero-output nodes are those of `I`).
pub fn ghosh_inverse(t: &Mrio, sys: &LeontiefSystem) -> Result<(Dense, SolveReport)> {
    let (mut l, rep) = leontief_inverse(sys)?;
    let n = t.n();
    for i in 0..n {
        for j in 0..n {
            let v = &mut l.data[i * n + j];
            *v = if t.x[i] != 0.0 && t.x[j] != 0.0 {
                *v * t.x[j] / t.x[i]
            } else if i == j {
                1.0
            } else {
                0.0
            };
        }
    }
    Ok((l, rep))
}
