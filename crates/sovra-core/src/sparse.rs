//! A compressed-sparse-row matrix and the one operation the solver needs from it: a product with a block of
//! dense vectors, parallel over rows, streaming the matrix once for all vectors.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::table::Dense;

/// CSR matrix of `f64`.
#[derive(Debug, Clone)]
pub struct Csr {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Row start offsets, `rows + 1` long.
    pub indptr: Vec<usize>,
    /// Column index of each stored value.
    pub indices: Vec<u32>,
    /// Stored values.
    pub values: Vec<f64>,
}

impl Csr {
    /// The non-zero cells of `d` with column `j` multiplied by `scale[j]` (e.g. `A = Z x̂⁻¹`), built in parallel.
    pub fn from_dense_scaled(d: &Dense, scale: &[f64]) -> Self {
        let rows: Vec<(Vec<u32>, Vec<f64>)> = d
            .data
            .par_chunks(d.cols.max(1))
            .map(|row| {
                let mut idx = Vec::new();
                let mut val = Vec::new();
                for (j, v) in row.iter().enumerate() {
                    if *v != 0.0 {
                        idx.push(j as u32);
                        val.push(v * scale[j]);
                    }
                }
                (idx, val)
            })
            .collect();
        let mut indptr = Vec::with_capacity(d.rows + 1);
        indptr.push(0);
        let nnz: usize = rows.iter().map(|r| r.0.len()).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for (i, v) in rows {
            indices.extend(i);
            values.extend(v);
            indptr.push(values.len());
        }
        Csr {
            rows: d.rows,
            cols: d.cols,
            indptr,
            indices,
            values,
        }
    }

    /// Sums of each row.
    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.rows)
            .map(|i| self.values[self.indptr[i]..self.indptr[i + 1]].iter().sum())
            .collect()
    }

    /// Keeps the non-zero cells of a dense matrix.
    pub fn from_dense(d: &Dense) -> Self {
        let mut indptr = Vec::with_capacity(d.rows + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for i in 0..d.rows {
            for (j, v) in d.row(i).iter().enumerate() {
                if *v != 0.0 {
                    indices.push(j as u32);
                    values.push(*v);
                }
            }
            indptr.push(values.len());
        }
        Csr {
            rows: d.rows,
            cols: d.cols,
            indptr,
            indices,
            values,
        }
    }

    /// The transpose, as CSR (each column's entries in row order). Bands of columns are filled in parallel
    /// when every row's column indices are sorted (as every constructor here leaves them); the result is the
    /// same either way.
    pub fn transpose(&self) -> Csr {
        let sorted = (0..self.rows).all(|i| {
            self.indices[self.indptr[i]..self.indptr[i + 1]]
                .windows(2)
                .all(|w| w[0] < w[1])
        });
        if !sorted {
            return self.transpose_serial();
        }
        let indptr = self.column_starts();
        let nnz = self.values.len();
        let mut indices = vec![0u32; nnz];
        let mut values = vec![0.0; nnz];
        const BAND: usize = 64;
        let bands: Vec<(usize, usize)> = (0..self.cols)
            .step_by(BAND)
            .map(|j0| (j0, (j0 + BAND).min(self.cols)))
            .collect();
        // Each band's columns own one contiguous stretch of the output.
        let mut parts: Vec<(&mut [u32], &mut [f64])> = Vec::with_capacity(bands.len());
        let (mut ri, mut rv) = (&mut indices[..], &mut values[..]);
        for &(j0, j1) in &bands {
            let len = indptr[j1] - indptr[j0];
            let (a, b) = std::mem::take(&mut ri).split_at_mut(len);
            let (c, d) = std::mem::take(&mut rv).split_at_mut(len);
            parts.push((a, c));
            ri = b;
            rv = d;
        }
        bands
            .par_iter()
            .zip(parts)
            .for_each(|(&(j0, j1), (oi, ov))| {
                let base = indptr[j0];
                let mut next: Vec<usize> = indptr[j0..j1].iter().map(|p| p - base).collect();
                for i in 0..self.rows {
                    let (s, e) = (self.indptr[i], self.indptr[i + 1]);
                    let row = &self.indices[s..e];
                    let lo = row.partition_point(|&j| (j as usize) < j0);
                    let hi = row.partition_point(|&j| (j as usize) < j1);
                    for p in s + lo..s + hi {
                        let j = self.indices[p] as usize - j0;
                        let q = next[j];
                        oi[q] = i as u32;
                        ov[q] = self.values[p];
                        next[j] += 1;
                    }
                }
            });
        Csr {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            values,
        }
    }

    /// Where each column starts in the transpose's arrays (its `indptr`): prefix sums of the column counts.
    fn column_starts(&self) -> Vec<usize> {
        let mut starts = vec![0usize; self.cols + 1];
        for &j in &self.indices {
            starts[j as usize + 1] += 1;
        }
        for j in 0..self.cols {
            starts[j + 1] += starts[j];
        }
        starts
    }

    /// [`Csr::transpose`] in one serial pass, for rows whose column indices are not sorted.
    fn transpose_serial(&self) -> Csr {
        let indptr = self.column_starts();
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.values.len()];
        let mut values = vec![0.0; self.values.len()];
        for i in 0..self.rows {
            for p in self.indptr[i]..self.indptr[i + 1] {
                let j = self.indices[p] as usize;
                let q = next[j];
                indices[q] = i as u32;
                values[q] = self.values[p];
                next[j] += 1;
            }
        }
        Csr {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            values,
        }
    }

    /// Sums of each column.
    pub fn col_sums(&self) -> Vec<f64> {
        let mut s = vec![0.0; self.cols];
        for (j, v) in self.indices.iter().zip(&self.values) {
            s[*j as usize] += v;
        }
        s
    }

    /// A dense copy.
    pub fn to_dense(&self) -> Dense {
        let mut d = Dense::zeros(self.rows, self.cols);
        for i in 0..self.rows {
            for p in self.indptr[i]..self.indptr[i + 1] {
                d.data[i * self.cols + self.indices[p] as usize] = self.values[p];
            }
        }
        d
    }

    /// `self · W` for a block `W` (cols × k).
    pub fn mul_block(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        let k = w.ncols();
        // Row-major copy of W so that each stored value updates k contiguous numbers.
        let mut wr = vec![0.0; self.cols * k];
        for c in 0..k {
            for (i, v) in w.col(c).iter().enumerate() {
                wr[i * k + c] = *v;
            }
        }
        let mut out = vec![0.0; self.rows * k];
        out.par_chunks_mut(k.max(1) * 64)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (r, orow) in block.chunks_mut(k.max(1)).enumerate() {
                    let i = chunk * 64 + r;
                    for p in self.indptr[i]..self.indptr[i + 1] {
                        let a = self.values[p];
                        let j = self.indices[p] as usize;
                        let wrow = &wr[j * k..(j + 1) * k];
                        orow.iter_mut().zip(wrow).for_each(|(o, x)| *o += a * x);
                    }
                }
            });
        Mat::from_fn(self.rows, k, |i, c| out[i * k + c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_and_transpose_match_dense() {
        let d = Dense::from_vec(
            3,
            4,
            vec![1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0, 5.0, 0.0, 0.0],
        )
        .unwrap();
        let c = Csr::from_dense(&d);
        assert_eq!(c.to_dense(), d);
        assert_eq!(c.col_sums(), d.col_sums());
        assert_eq!(c.transpose().transpose().to_dense(), d);
        let w = Mat::<f64>::from_fn(4, 2, |i, j| (i + 2 * j) as f64);
        let p = c.mul_block(w.as_ref());
        let expect = d.as_faer() * w.as_ref();
        for i in 0..3 {
            for j in 0..2 {
                assert_eq!(p[(i, j)], expect[(i, j)]);
            }
        }
    }

    #[test]
    fn the_parallel_transpose_is_the_serial_one() {
        // 300 × 500, about 10 % filled by a fixed pseudo-random pattern: several bands of columns.
        let (r, c) = (300, 500);
        let mut seed = 12345u64;
        let data: Vec<f64> = (0..r * c)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if (seed >> 33) % 10 == 0 {
                    (seed >> 40) as f64 / 1e3
                } else {
                    0.0
                }
            })
            .collect();
        let d = Dense::from_vec(r, c, data).unwrap();
        let a = Csr::from_dense(&d);
        let (t, s) = (a.transpose(), a.transpose_serial());
        assert_eq!(t.indptr, s.indptr);
        assert_eq!(t.indices, s.indices);
        assert_eq!(t.values, s.values);
        assert_eq!((t.rows, t.cols), (c, r));
        // Unsorted rows take the serial path and give the same matrix.
        let mut u = a.clone();
        let (s0, e0) = (u.indptr[0], u.indptr[1]);
        u.indices[s0..e0].reverse();
        u.values[s0..e0].reverse();
        assert_eq!(u.transpose().to_dense(), s.to_dense());
    }
}
