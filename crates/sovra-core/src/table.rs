//! The MRIO table: `Z` (intermediate flows, row sells to column), `Y` (final demand), `x` (gross output),
//! `v` (value added), optional stressors `F` and `F_Y`, with labels and provenance; and the checks every
//! table passes before an analysis sees it (finite, non-negative output, balanced, no inputs without output).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::labels::Labels;

/// A dense row-major `f64` matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row-major data, `rows × cols` long.
    pub data: Values,
}

/// Memory another owner keeps alive and lends to a matrix (a numpy array passed in from Python): read in
/// place, never written.
pub trait SharedValues: Send + Sync {
    /// The values, row-major; the same slice for as long as `self` lives.
    fn values(&self) -> &[f64];
}

/// The values of a [`Dense`] matrix: owned, or shared with another owner without a copy
/// ([`Values::shared`]). Reading is the same for both (it dereferences to `[f64]`); the first write to shared
/// values copies them (copy on write), so the lender's memory is never changed.
pub struct Values(Inner);

enum Inner {
    Owned(Vec<f64>),
    Shared(std::sync::Arc<dyn SharedValues>),
}

impl Values {
    /// Values lent by another owner, read in place.
    pub fn shared(owner: std::sync::Arc<dyn SharedValues>) -> Self {
        Values(Inner::Shared(owner))
    }

    /// Whether the values are lent by another owner (not yet copied).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Inner::Shared(_))
    }

    /// The values as an owned vector (a copy only when they are shared).
    pub fn into_vec(self) -> Vec<f64> {
        match self.0 {
            Inner::Owned(v) => v,
            Inner::Shared(s) => s.values().to_vec(),
        }
    }
}

impl From<Vec<f64>> for Values {
    fn from(v: Vec<f64>) -> Self {
        Values(Inner::Owned(v))
    }
}

impl std::ops::Deref for Values {
    type Target = [f64];
    #[inline]
    fn deref(&self) -> &[f64] {
        match &self.0 {
            Inner::Owned(v) => v,
            Inner::Shared(s) => s.values(),
        }
    }
}

impl std::ops::DerefMut for Values {
    fn deref_mut(&mut self) -> &mut [f64] {
        if let Inner::Shared(s) = &self.0 {
            self.0 = Inner::Owned(s.values().to_vec());
        }
        match &mut self.0 {
            Inner::Owned(v) => v,
            Inner::Shared(_) => unreachable!("shared values were copied just above"),
        }
    }
}

impl Clone for Values {
    /// Owned values are copied; shared ones share the same lender.
    fn clone(&self) -> Self {
        match &self.0 {
            Inner::Owned(v) => Values(Inner::Owned(v.clone())),
            Inner::Shared(s) => Values(Inner::Shared(s.clone())),
        }
    }
}

impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Dense {
    /// A zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Dense {
            rows,
            cols,
            data: vec![0.0; rows * cols].into(),
        }
    }

    /// Wraps row-major data; the length must match.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if data.len() != rows * cols {
            return Err(Error::Unsupported(format!(
                "matrix data of length {} does not fit {rows}×{cols}",
                data.len()
            )));
        }
        Ok(Dense {
            rows,
            cols,
            data: data.into(),
        })
    }

    /// A matrix over values another owner lends (a numpy array), read in place; the length must match.
    pub fn from_shared(
        rows: usize,
        cols: usize,
        owner: std::sync::Arc<dyn SharedValues>,
    ) -> Result<Self> {
        let len = owner.values().len();
        if len != rows * cols {
            return Err(Error::Unsupported(format!(
                "matrix data of length {len} does not fit {rows}×{cols}"
            )));
        }
        Ok(Dense {
            rows,
            cols,
            data: Values::shared(owner),
        })
    }

    /// Element `(i, j)`.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Row `i` as a slice.
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Sums of each row.
    pub fn row_sums(&self) -> Vec<f64> {
        if self.cols == 0 {
            return vec![0.0; self.rows];
        }
        self.data
            .par_chunks(self.cols)
            .map(|r| r.iter().sum())
            .collect()
    }

    /// Sums of each column.
    pub fn col_sums(&self) -> Vec<f64> {
        if self.cols == 0 {
            return Vec::new();
        }
        let band = (self.rows / 16).max(64) * self.cols;
        self.data
            .par_chunks(band)
            .map(|rows| {
                let mut s = vec![0.0; self.cols];
                for r in rows.chunks(self.cols) {
                    s.iter_mut().zip(r).for_each(|(acc, v)| *acc += v);
                }
                s
            })
            .reduce(
                || vec![0.0; self.cols],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    }

    /// Row sums and column sums in one pass over the matrix: each exactly as [`Dense::row_sums`] and
    /// [`Dense::col_sums`] compute it (the same bands, the same order of additions).
    pub fn row_col_sums(&self) -> (Vec<f64>, Vec<f64>) {
        if self.cols == 0 {
            return (vec![0.0; self.rows], Vec::new());
        }
        let band = (self.rows / 16).max(64) * self.cols;
        self.data
            .par_chunks(band)
            .map(|rows| {
                let mut s = vec![0.0; self.cols];
                let mut r_sums = Vec::with_capacity(rows.len() / self.cols);
                for r in rows.chunks(self.cols) {
                    r_sums.push(r.iter().sum::<f64>());
                    s.iter_mut().zip(r).for_each(|(acc, v)| *acc += v);
                }
                (r_sums, s)
            })
            .reduce(
                || (Vec::new(), vec![0.0; self.cols]),
                |(mut ra, mut a), (rb, b)| {
                    ra.extend(rb);
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    (ra, a)
                },
            )
    }

    /// Fraction of cells that are not zero.
    pub fn density(&self) -> f64 {
        self.density_of(&self.row_nonzeros())
    }

    /// The non-zero cells of each row, counted in parallel.
    pub fn row_nonzeros(&self) -> Vec<usize> {
        if self.cols == 0 {
            return vec![0; self.rows];
        }
        self.data
            .par_chunks(self.cols)
            .map(|row| row.iter().filter(|v| **v != 0.0).count())
            .collect()
    }

    /// [`Dense::density`] from [`Dense::row_nonzeros`].
    pub fn density_of(&self, row_nonzeros: &[usize]) -> f64 {
        if self.data.is_empty() {
            return 0.0;
        }
        row_nonzeros.iter().sum::<usize>() as f64 / self.data.len() as f64
    }

    /// A faer view of the matrix (zero-copy).
    pub fn as_faer(&self) -> faer::MatRef<'_, f64> {
        faer::MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }
}

/// Where a table came from, carried into every output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Provenance {
    /// Dataset name in the store (e.g. `icio2022`).
    pub name: String,
    /// Human title (e.g. `OECD ICIO 2025 release, year 2022`).
    pub title: String,
    /// Where the data were obtained.
    pub source: String,
    /// Reference year.
    pub year: Option<i32>,
    /// Monetary unit of Z, Y, x, v.
    pub units: String,
    /// sha256 of the source file, when known.
    pub source_sha256: Option<String>,
    /// Program and version that wrote the stored dataset.
    pub written_by: String,
    /// Free-form notes on how the table was built.
    pub notes: String,
}

/// A multi-regional input-output table in region-major node order.
#[derive(Debug, Clone)]
pub struct Mrio {
    /// Labels of nodes, final-demand columns and stressors.
    pub labels: Labels,
    /// Intermediate flows, n × n.
    pub z: Dense,
    /// Final demand, n × k.
    pub y: Dense,
    /// Gross output, n.
    pub x: Vec<f64>,
    /// Value added (incl. taxes less subsidies on products), n: `x − Zᵀ1`.
    pub v: Vec<f64>,
    /// Stressors by node, m × n (m = 0 when none).
    pub f: Dense,
    /// Stressors directly from final demand, m × k.
    pub f_y: Dense,
    /// Where the table came from.
    pub provenance: Provenance,
}

/// The parts a table is assembled from (see [`Mrio::from_parts`]).
#[derive(Debug, Clone)]
pub struct Parts {
    /// Labels.
    pub labels: Labels,
    /// Intermediate flows, n × n.
    pub z: Dense,
    /// Final demand, n × k.
    pub y: Dense,
    /// Gross output as published (checked against `Z1 + Y1`), or `None` to compute it.
    pub x: Option<Vec<f64>>,
    /// Value added as published (checked against `x − Zᵀ1`), or `None`.
    pub v: Option<Vec<f64>>,
    /// Stressors, m × n (zeros when `None`).
    pub f: Option<Dense>,
    /// Final-demand stressors, m × k (zeros when `None`).
    pub f_y: Option<Dense>,
    /// Provenance.
    pub provenance: Provenance,
}

/// Tolerances for the balance check.
#[derive(Debug, Clone, Copy)]
pub struct BalanceTolerance {
    /// Relative tolerance on each node's output.
    pub relative: f64,
    /// Absolute floor as a fraction of the largest output (rounding in published tables).
    pub floor_of_max: f64,
}

impl Default for BalanceTolerance {
    fn default() -> Self {
        BalanceTolerance {
            relative: 1e-6,
            floor_of_max: 1e-9,
        }
    }
}

/// Summary figures of a table, for `sovra info`.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Σ x.
    pub world_output: f64,
    /// Σ v.
    pub value_added: f64,
    /// Σ Y.
    pub final_demand: f64,
    /// Σ Z.
    pub intermediate: f64,
    /// Largest |x − Z1 − Y1| relative to output.
    pub max_row_imbalance: f64,
    /// Nodes with zero output.
    pub zero_output_nodes: usize,
}

impl Mrio {
    /// Assembles a table from its parts: `x` is `Z1 + Y1` when not given, `v = x − Zᵀ1` always;
    /// when `x_given` or `v_given` are present they are checked against those identities.
    pub fn from_parts(parts: Parts, tol: BalanceTolerance) -> Result<Mrio> {
        let Parts {
            labels,
            z,
            y,
            x: x_given,
            v: v_given,
            f,
            f_y,
            provenance,
        } = parts;
        let src = provenance.name.clone();
        let n = labels.n_nodes();
        let k = labels.final_demand.len();
        let m = labels.stressors.len();
        let shape_err = |what: &str, got: String, want: String| Error::Invalid {
            source_name: src.clone(),
            detail: format!("{what} has shape {got}, expected {want} from the labels"),
        };
        if z.rows != n || z.cols != n {
            return Err(shape_err(
                "Z",
                format!("{}×{}", z.rows, z.cols),
                format!("{n}×{n}"),
            ));
        }
        if y.rows != n || y.cols != k {
            return Err(shape_err(
                "Y",
                format!("{}×{}", y.rows, y.cols),
                format!("{n}×{k}"),
            ));
        }
        let f = f.unwrap_or_else(|| Dense::zeros(m, n));
        let f_y = f_y.unwrap_or_else(|| Dense::zeros(m, k));
        if f.rows != m || f.cols != n {
            return Err(shape_err(
                "F",
                format!("{}×{}", f.rows, f.cols),
                format!("{m}×{n}"),
            ));
        }
        if f_y.rows != m || f_y.cols != k {
            return Err(shape_err(
                "F_Y",
                format!("{}×{}", f_y.rows, f_y.cols),
                format!("{m}×{k}"),
            ));
        }
        let t = Mrio {
            labels,
            z,
            y,
            x: Vec::new(),
            v: Vec::new(),
            f,
            f_y,
            provenance,
        };
        // One pass over Z for its row and column sums; a non-finite cell makes its row's sum non-finite, and
        // only then is Z searched for the cell to name (a finite Z whose sums overflow is caught below).
        let (z_sales, inputs) = t.z.row_col_sums();
        t.check_finite(z_sales.iter().any(|v| !v.is_finite()))?;
        let sales: Vec<f64> = z_sales
            .iter()
            .zip(t.y.row_sums())
            .map(|(a, b)| a + b)
            .collect();
        let x = match x_given {
            Some(x) => {
                if x.len() != n {
                    return Err(shape_err("x", x.len().to_string(), n.to_string()));
                }
                t.check_vector_finite(&x, "x")?;
                check_identity(
                    &t,
                    &x,
                    &sales,
                    tol,
                    "gross output x differs from its row sums Z1 + Y1",
                )?;
                x
            }
            None => sales,
        };
        let v: Vec<f64> = x.iter().zip(&inputs).map(|(x, c)| x - c).collect();
        if let Some(vg) = v_given {
            if vg.len() != n {
                return Err(shape_err("v", vg.len().to_string(), n.to_string()));
            }
            t.check_vector_finite(&vg, "value added")?;
            let cols: Vec<f64> = inputs.iter().zip(&vg).map(|(a, b)| a + b).collect();
            check_identity(
                &t,
                &x,
                &cols,
                tol,
                "gross output x differs from its column sums Zᵀ1 + v",
            )?;
        }
        let t = Mrio { x, v, ..t };
        t.check_output(&inputs)?;
        Ok(t)
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// Value-added shares `ν = v / x` (0 where output is 0).
    pub fn va_shares(&self) -> Vec<f64> {
        self.v
            .iter()
            .zip(&self.x)
            .map(|(v, x)| if *x != 0.0 { v / x } else { 0.0 })
            .collect()
    }

    /// Totals for a summary.
    pub fn totals(&self) -> Totals {
        let sales: Vec<f64> = self
            .z
            .row_sums()
            .iter()
            .zip(self.y.row_sums())
            .map(|(a, b)| a + b)
            .collect();
        let max_row_imbalance = self
            .x
            .iter()
            .zip(&sales)
            .map(|(x, s)| {
                if *x != 0.0 {
                    ((x - s) / x).abs()
                } else {
                    s.abs()
                }
            })
            .fold(0.0, f64::max);
        Totals {
            world_output: self.x.iter().sum(),
            value_added: self.v.iter().sum(),
            final_demand: self.y.data.iter().sum(),
            intermediate: self.z.data.iter().sum(),
            max_row_imbalance,
            zero_output_nodes: self.x.iter().filter(|x| **x == 0.0).count(),
        }
    }

    /// Every value of Z (when `z` is set), Y, F and F_Y is finite; else the first cell that is not, named.
    fn check_finite(&self, z: bool) -> Result<()> {
        let check = |d: &Dense,
                     what: &str,
                     row: &dyn Fn(usize) -> String,
                     col: &dyn Fn(usize) -> String| {
            if let Some(p) = first_non_finite(&d.data) {
                let (i, j) = (p / d.cols.max(1), p % d.cols.max(1));
                return Err(Error::Cell {
                    file: format!("{} ({what})", self.provenance.name),
                    row: row(i),
                    column: col(j),
                    detail: format!("value {} is not a finite number", d.data[p]),
                });
            }
            Ok(())
        };
        let node = |i: usize| self.labels.node_label(i);
        let fd = |j: usize| {
            self.labels
                .final_demand
                .get(j)
                .map(|c| format!("{}/{}", c.region, c.category))
                .unwrap_or_default()
        };
        let st = |i: usize| {
            self.labels
                .stressors
                .get(i)
                .map(|s| s.name.clone())
                .unwrap_or_default()
        };
        if z {
            check(&self.z, "Z", &node, &node)?;
        }
        check(&self.y, "Y", &node, &fd)?;
        check(&self.f, "F", &st, &node)?;
        check(&self.f_y, "F_Y", &st, &fd)
    }

    fn check_vector_finite(&self, v: &[f64], what: &str) -> Result<()> {
        if let Some(i) = v.iter().position(|v| !v.is_finite()) {
            return Err(Error::Cell {
                file: self.provenance.name.clone(),
                row: self.labels.node_label(i),
                column: what.to_string(),
                detail: format!("value {} is not a finite number", v[i]),
            });
        }
        Ok(())
    }

    /// Rejects negative output and nodes that buy inputs while producing nothing.
    /// Output is non-negative, not all zero, finite in total, and no node buys inputs (`inputs`, the column
    /// sums of Z) without output.
    fn check_output(&self, inputs: &[f64]) -> Result<()> {
        let neg: Vec<usize> = (0..self.n()).filter(|&i| self.x[i] < 0.0).collect();
        if !neg.is_empty() {
            return Err(Error::Invalid {
                source_name: self.provenance.name.clone(),
                detail: format!(
                    "negative gross output at {} node(s): {} (e.g. x = {})",
                    neg.len(),
                    self.labels.node_list(&neg, 8),
                    self.x[neg[0]]
                ),
            });
        }
        let total: f64 = self.x.iter().sum();
        if self.n() > 0 && total.is_finite() && total <= 0.0 {
            return Err(Error::Invalid {
                source_name: self.provenance.name.clone(),
                detail: format!(
                    "no node has any output (gross output is 0 in all {} nodes): an empty table answers no question",
                    self.n()
                ),
            });
        }
        if !total.is_finite() {
            return Err(Error::Invalid {
                source_name: self.provenance.name.clone(),
                detail:
                    "total gross output overflows (values near 1e308): rescale the table's unit"
                        .into(),
            });
        }
        let idle: Vec<usize> = (0..self.n())
            .filter(|&j| self.x[j] == 0.0 && inputs[j] != 0.0)
            .collect();
        if !idle.is_empty() {
            return Err(Error::Invalid {
                source_name: self.provenance.name.clone(),
                detail: format!(
                    "{} node(s) have zero output but buy intermediate inputs: {}",
                    idle.len(),
                    self.labels.node_list(&idle, 8)
                ),
            });
        }
        Ok(())
    }
}

/// Index of the first NaN or infinity. A vectorisable scan of exponent bits per chunk (in parallel) finds the
/// chunk; only that chunk is searched element by element.
pub(crate) fn first_non_finite(data: &[f64]) -> Option<usize> {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    const CHUNK: usize = 1 << 15;
    data.par_chunks(CHUNK)
        .enumerate()
        .find_map_first(|(c, chunk)| {
            let any = chunk
                .iter()
                .fold(0u8, |acc, v| acc | u8::from(v.to_bits() & EXP == EXP));
            if any == 0 {
                None
            } else {
                chunk
                    .iter()
                    .position(|v| !v.is_finite())
                    .map(|p| c * CHUNK + p)
            }
        })
}

fn check_identity(
    t: &Mrio,
    x: &[f64],
    sums: &[f64],
    tol: BalanceTolerance,
    what: &str,
) -> Result<()> {
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let floor = tol.floor_of_max * scale;
    let bad: Vec<usize> = (0..x.len())
        .filter(|&i| (x[i] - sums[i]).abs() > tol.relative * x[i].abs().max(sums[i].abs()) + floor)
        .collect();
    if let Some(&i) = bad.first() {
        return Err(Error::Invalid {
            source_name: t.provenance.name.clone(),
            detail: format!(
                "the table does not balance: {what} at {} node(s) (relative tolerance {:e}); first: {} has x = {} but sums = {}; nodes: {}",
                bad.len(),
                tol.relative,
                t.labels.node_label(i),
                x[i],
                sums[i],
                t.labels.node_list(&bad, 8)
            ),
        });
    }
    Ok(())
}
