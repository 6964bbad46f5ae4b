//! How the equilibrium's steps are preconditioned: one dense `S × S` block per region (the domestic part of a
//! Jacobian), factored once by LU with partial pivoting and applied many times in place, without allocating.
//!
//! The blocks are small (50 × 50 on ICIO) and there are many (one per region), so a plain row-major
//! factorisation whose inner loop is a contiguous row update beats a general dense library's per-call set-up.
//! The loops are compiled for AVX2 + FMA too and chosen at run time (the crate targets baseline x86-64).

use super::kernels::wide;

/// `C` factored blocks of `S × S`.
#[derive(Debug, Clone)]
pub(crate) struct BlockLu {
    ns: usize,
    /// Per block, column by column: `L` (unit diagonal, strictly below) and `U` (on and above), `P M = L U`.
    lu: Vec<f64>,
    /// Per block, the pivot rows: row `k` of `P M` is row `perm[k]` of `M`.
    perm: Vec<usize>,
}

impl BlockLu {
    /// Factors `nr` blocks; `fill(c, m)` writes block `c` row-major into `m` (`S × S`, zeroed). A block that
    /// is singular (or not finite) is replaced by the identity: that region's step goes unpreconditioned.
    pub(crate) fn factor(nr: usize, ns: usize, fill: impl Fn(usize, &mut [f64]) + Sync) -> BlockLu {
        use rayon::prelude::*;
        let mut lu = vec![0.0; nr * ns * ns];
        let mut perm = vec![0usize; nr * ns];
        lu.par_chunks_mut((ns * ns).max(1))
            .zip(perm.par_chunks_mut(ns.max(1)))
            .enumerate()
            .for_each(|(c, (m, p))| {
                fill(c, m);
                if !factor_in_place(m, p, ns) {
                    // The identity (the same row- or column-major).
                    m.iter_mut().for_each(|v| *v = 0.0);
                    for k in 0..ns {
                        m[k * ns + k] = 1.0;
                        p[k] = k;
                    }
                }
            });
        BlockLu { ns, lu, perm }
    }

    /// Solves every block's system in place: `res_c ← M_c⁻¹ res_c`.
    pub(crate) fn apply(&self, res: &mut [f64]) {
        use rayon::prelude::*;
        let ns = self.ns;
        res.par_chunks_mut(ns.max(1)).enumerate().for_each_init(
            || vec![0.0; ns],
            |tmp, (c, rc)| {
                let m = &self.lu[c * ns * ns..(c + 1) * ns * ns];
                let p = &self.perm[c * ns..(c + 1) * ns];
                for (t, &pk) in tmp.iter_mut().zip(p) {
                    *t = rc[pk];
                }
                solve(m, tmp, ns);
                rc.copy_from_slice(tmp);
            },
        );
    }
}

/// `L U x = b` in place, with the factors stored column by column (`m[k·n + i]` = row `i` of column `k`), so
/// both substitutions are contiguous updates that vectorise.
fn solve(m: &[f64], b: &mut [f64], n: usize) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { solve_avx2(m, b, n) };
    }
    solve_impl(m, b, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn solve_avx2(m: &[f64], b: &mut [f64], n: usize) {
    solve_impl(m, b, n)
}

#[inline(always)]
fn solve_impl(m: &[f64], b: &mut [f64], n: usize) {
    for k in 0..n {
        let bk = b[k];
        if bk != 0.0 {
            let col = &m[k * n + k + 1..(k + 1) * n];
            b[k + 1..n]
                .iter_mut()
                .zip(col)
                .for_each(|(v, l)| *v -= l * bk);
        }
    }
    for k in (0..n).rev() {
        b[k] /= m[k * n + k];
        let bk = b[k];
        if bk != 0.0 {
            let col = &m[k * n..k * n + k];
            b[..k].iter_mut().zip(col).for_each(|(v, u)| *v -= u * bk);
        }
    }
}

/// LU with partial pivoting in place: `m` comes row-major and leaves with the factors column by column (see
/// [`solve`]); `false` when a pivot is zero or a value not finite.
fn factor_in_place(m: &mut [f64], perm: &mut [usize], n: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { factor_avx2(m, perm, n) };
    }
    factor_impl(m, perm, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn factor_avx2(m: &mut [f64], perm: &mut [usize], n: usize) -> bool {
    factor_impl(m, perm, n)
}

#[inline(always)]
fn factor_impl(m: &mut [f64], perm: &mut [usize], n: usize) -> bool {
    for (k, p) in perm.iter_mut().enumerate() {
        *p = k;
    }
    for k in 0..n {
        let (mut best, mut piv) = (m[k * n + k].abs(), k);
        for i in k + 1..n {
            let v = m[i * n + k].abs();
            if v > best {
                best = v;
                piv = i;
            }
        }
        if !(best > 0.0 && best.is_finite()) {
            return false;
        }
        if piv != k {
            let (top, rest) = m.split_at_mut(piv * n);
            top[k * n..(k + 1) * n].swap_with_slice(&mut rest[..n]);
            perm.swap(k, piv);
        }
        let (top, rest) = m.split_at_mut((k + 1) * n);
        let pivot_row = &top[k * n..];
        let inv = 1.0 / pivot_row[k];
        for row in rest.chunks_mut(n) {
            let l = row[k] * inv;
            row[k] = l;
            if l != 0.0 {
                row[k + 1..]
                    .iter_mut()
                    .zip(&pivot_row[k + 1..])
                    .for_each(|(a, b)| *a -= l * b);
            }
        }
    }
    if !m.iter().all(|v| v.is_finite()) {
        return false;
    }
    // To column-major, for the substitutions.
    for i in 0..n {
        for j in i + 1..n {
            m.swap(i * n + j, j * n + i);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_blocks_with_pivoting_and_replaces_singular_ones() {
        let ns = 3;
        // Block 0 needs a row swap (zero leading entry); block 1 is singular.
        let blocks = [
            [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0],
            [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.0, 1.0, 1.0],
        ];
        let f = BlockLu::factor(2, ns, |c, m| m.copy_from_slice(&blocks[c]));
        let x = [1.0, -2.0, 0.5, 4.0, 5.0, 6.0];
        let mut b = vec![0.0; 6];
        for i in 0..ns {
            b[i] = (0..ns).map(|j| blocks[0][i * ns + j] * x[j]).sum();
        }
        b[3..].copy_from_slice(&x[3..]);
        f.apply(&mut b);
        for k in 0..6 {
            assert!((b[k] - x[k]).abs() < 1e-12, "{k}: {} vs {}", b[k], x[k]);
        }
    }

    #[test]
    fn agrees_with_a_dense_solve_on_random_blocks() {
        let ns = 50;
        let mut s = 7u64;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let m: Vec<f64> = (0..ns * ns).map(|_| next()).collect();
        let x: Vec<f64> = (0..ns).map(|_| next()).collect();
        let mut b: Vec<f64> = (0..ns)
            .map(|i| (0..ns).map(|j| m[i * ns + j] * x[j]).sum())
            .collect();
        BlockLu::factor(1, ns, |_, d| d.copy_from_slice(&m)).apply(&mut b);
        let err = b
            .iter()
            .zip(&x)
            .map(|(a, c)| (a - c).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "{err}");
    }
}
