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
        Csr::from_dense_scaled_counted(d, scale, &d.row_nonzeros())
    }

    /// [`Csr::from_dense_scaled`] with the non-zeros of each row already counted ([`Dense::row_nonzeros`]):
    /// the arrays are allocated once at their size and filled by bands of rows in parallel.
    pub fn from_dense_scaled_counted(d: &Dense, scale: &[f64], counts: &[usize]) -> Self {
        let mut indptr = Vec::with_capacity(d.rows + 1);
        indptr.push(0);
        for c in counts {
            indptr.push(indptr[indptr.len() - 1] + c);
        }
        let nnz = indptr[d.rows];
        let mut indices = vec![0u32; nnz];
        let mut values = vec![0.0; nnz];
        const BAND: usize = 32;
        let starts: Vec<usize> = (0..d.rows).step_by(BAND).collect();
        let lens = starts
            .iter()
            .map(|&i0| indptr[(i0 + BAND).min(d.rows)] - indptr[i0]);
        let parts = stretches(&mut indices, &mut values, lens);
        let cols = d.cols;
        starts
            .into_par_iter()
            .zip(parts)
            .for_each(|(i0, (oi, ov))| {
                let mut q = 0;
                for i in i0..(i0 + BAND).min(d.rows) {
                    for (j, v) in d.data[i * cols..(i + 1) * cols].iter().enumerate() {
                        if *v != 0.0 {
                            oi[q] = j as u32;
                            ov[q] = v * scale[j];
                            q += 1;
                        }
                    }
                }
            });
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
        let lens = bands.iter().map(|&(j0, j1)| indptr[j1] - indptr[j0]);
        let parts = stretches(&mut indices, &mut values, lens);
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
        match w.ncols() {
            1 => self.mul_fixed::<1>(w),
            2 => self.mul_fixed::<2>(w),
            3 => self.mul_fixed::<3>(w),
            4 => self.mul_fixed::<4>(w),
            5 => self.mul_fixed::<5>(w),
            6 => self.mul_fixed::<6>(w),
            7 => self.mul_fixed::<7>(w),
            8 => self.mul_fixed::<8>(w),
            _ => self.mul_any(w),
        }
    }

    /// `W` (cols × k) row-major, so that each stored value updates k contiguous numbers.
    fn row_major(w: MatRef<'_, f64>) -> Vec<f64> {
        let k = w.ncols();
        let mut wr = vec![0.0; w.nrows() * k];
        for c in 0..k {
            for (i, v) in w.col(c).iter().enumerate() {
                wr[i * k + c] = *v;
            }
        }
        wr
    }

    /// [`Csr::mul_block`] for `K` vectors, each row's sums kept in registers: the same products added in the
    /// same order as [`Csr::mul_any`], so the same bits.
    fn mul_fixed<const K: usize>(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        let wr = Csr::row_major(w);
        let mut out = vec![0.0; self.rows * K];
        out.par_chunks_mut(K * 64)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (r, orow) in block.chunks_mut(K).enumerate() {
                    let i = chunk * 64 + r;
                    let mut acc = [0.0f64; K];
                    for p in self.indptr[i]..self.indptr[i + 1] {
                        let a = self.values[p];
                        let j = self.indices[p] as usize;
                        for (s, x) in acc.iter_mut().zip(&wr[j * K..(j + 1) * K]) {
                            *s += a * x;
                        }
                    }
                    orow.copy_from_slice(&acc);
                }
            });
        Mat::from_fn(self.rows, K, |i, c| out[i * K + c])
    }

    /// `selfᵀ · W` for a block `W` (rows × k) without forming the transpose: one serial sweep over the rows,
    /// scattering each stored value into its column's sums. Each sum receives its terms in row order — the
    /// order of the transpose's stored values — so the result has the bits of `self.transpose().mul_block(w)`.
    /// For callers already inside a parallel loop, where building the transpose would cost more than the
    /// product.
    pub fn transpose_mul_block(&self, w: MatRef<'_, f64>) -> Mat<f64> {
        let k = w.ncols();
        let wr = Csr::row_major(w);
        let mut out = vec![0.0; self.cols * k];
        for i in 0..self.rows {
            let wrow = &wr[i * k..(i + 1) * k];
            for p in self.indptr[i]..self.indptr[i + 1] {
                let a = self.values[p];
                let j = self.indices[p] as usize;
                out[j * k..(j + 1) * k]
                    .iter_mut()
                    .zip(wrow)
                    .for_each(|(o, x)| *o += a * x);
            }
        }
        Mat::from_fn(self.cols, k, |j, c| out[j * k + c])
    }

    /// [`Csr::mul_block`] for any number of vectors.
    fn mul_any(&self, w: MatRef<'_, f64>) -> Mat<f64> {
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

/// `indices` and `values` cut into consecutive stretches of the given lengths, one per parallel task.
fn stretches<'a>(
    indices: &'a mut [u32],
    values: &'a mut [f64],
    lens: impl Iterator<Item = usize>,
) -> Vec<(&'a mut [u32], &'a mut [f64])> {
    let mut parts = Vec::new();
    let (mut ri, mut rv) = (indices, values);
    for len in lens {
        let (a, b) = std::mem::take(&mut ri).split_at_mut(len);
        let (c, d) = std::mem::take(&mut rv).split_at_mut(len);
        parts.push((a, c));
        ri = b;
        rv = d;
    }
    parts
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

    /// A 300 × 500 matrix about 10 % filled by a fixed pseudo-random pattern, with values of every size.
    fn random_dense(r: usize, c: usize, mut seed: u64) -> Dense {
        let data: Vec<f64> = (0..r * c)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if (seed >> 33) % 10 == 0 {
                    ((seed >> 40) as f64 / 1e3).powf(1.7) / 7.0
                } else {
                    0.0
                }
            })
            .collect();
        Dense::from_vec(r, c, data).unwrap()
    }

    /// The product as it was before the fixed-width kernels: a row-major copy of `W` and `+=` per stored value.
    fn reference_product(a: &Csr, w: MatRef<'_, f64>) -> Vec<f64> {
        let k = w.ncols();
        let mut out = vec![0.0; a.rows * k];
        for i in 0..a.rows {
            for p in a.indptr[i]..a.indptr[i + 1] {
                for c in 0..k {
                    out[i * k + c] += a.values[p] * w[(a.indices[p] as usize, c)];
                }
            }
        }
        out
    }

    #[test]
    fn every_product_kernel_has_the_bits_of_the_plain_loop() {
        let d = random_dense(300, 500, 99);
        let scale: Vec<f64> = (0..500).map(|j| 1.0 / (1.0 + j as f64 * 0.37)).collect();
        let a = Csr::from_dense_scaled(&d, &scale);
        let at = a.transpose();
        for k in 1..=10 {
            let w = Mat::<f64>::from_fn(500, k, |i, c| ((i * 7 + c * 13) % 17) as f64 / 3.0 - 2.5);
            let got = a.mul_block(w.as_ref());
            let want = reference_product(&a, w.as_ref());
            for i in 0..300 {
                for c in 0..k {
                    assert_eq!(
                        got[(i, c)].to_bits(),
                        want[i * k + c].to_bits(),
                        "k={k} ({i},{c})"
                    );
                }
            }
            // Aᵀ W by scattering over A's rows: the bits of the product with the formed transpose.
            let v = Mat::<f64>::from_fn(300, k, |i, c| ((i * 5 + c * 11) % 19) as f64 / 7.0 - 1.0);
            let scattered = a.transpose_mul_block(v.as_ref());
            let formed = at.mul_block(v.as_ref());
            for j in 0..500 {
                for c in 0..k {
                    assert_eq!(
                        scattered[(j, c)].to_bits(),
                        formed[(j, c)].to_bits(),
                        "k={k} ({j},{c})"
                    );
                }
            }
        }
    }

    #[test]
    fn the_counted_build_is_the_plain_one() {
        let d = random_dense(300, 500, 7);
        let scale: Vec<f64> = (0..500).map(|j| 0.5 + j as f64).collect();
        let a = Csr::from_dense_scaled(&d, &scale);
        let mut want = Csr::from_dense(&d);
        for (v, &j) in want.values.iter_mut().zip(&want.indices) {
            *v *= scale[j as usize];
        }
        assert_eq!(a.indptr, want.indptr);
        assert_eq!(a.indices, want.indices);
        assert_eq!(a.values, want.values);
        assert_eq!(
            d.density(),
            d.data.iter().filter(|v| **v != 0.0).count() as f64 / d.data.len() as f64
        );
        // Empty rows and an empty matrix.
        let z = Dense::zeros(5, 3);
        let e = Csr::from_dense_scaled(&z, &[1.0; 3]);
        assert_eq!((e.indptr, e.values.len()), (vec![0; 6], 0));
    }
}
