//! How fast the shock models read `Z`: the row kernels every pass of the rerouting and the equilibrium spends
//! its time in, for `f64` rows and for the `f32` mirror of `Z` (accumulation is always in `f64`).
//!
//! Each kernel has a portable version and, on x86-64, an AVX2 + FMA version chosen at run time (one binary
//! runs everywhere and uses the wide registers where the CPU has them). The wide versions are written with
//! explicit vector instructions: the compiler does not vectorise these loops along the row by itself, because
//! that reorders floating-point sums. They sum in a different order than the portable versions, so results
//! agree to rounding (tested below), not bit for bit.

/// How an element type is stored and read (chooses the vector load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `f64`.
    Double,
    /// `f32`, widened on load.
    Single,
    /// An `f64` read as its `f32` rounding error.
    RoundingError,
}

/// A matrix element type: `f64`, `f32` for the reduced-precision mirror of `Z`, or [`RoundingError`].
pub(crate) trait Elem: Copy + Send + Sync + 'static {
    /// The storage and reading.
    const KIND: Kind;
    /// As `f64`.
    fn f(self) -> f64;
}

impl Elem for f64 {
    const KIND: Kind = Kind::Double;
    #[inline(always)]
    fn f(self) -> f64 {
        self
    }
}

impl Elem for f32 {
    const KIND: Kind = Kind::Single;
    #[inline(always)]
    fn f(self) -> f64 {
        self as f64
    }
}

/// An entry of `Z` read as `v − f32(v)`, what the `f32` mirror leaves out: `Z = Z32 + E` exactly, so a pass
/// over the mirror plus a pass over `E` is a pass over `Z`.
#[derive(Debug, Clone, Copy)]
#[repr(transparent)]
pub(crate) struct RoundingError(f64);

impl Elem for RoundingError {
    const KIND: Kind = Kind::RoundingError;
    #[inline(always)]
    fn f(self) -> f64 {
        self.0 - (self.0 as f32) as f64
    }
}

/// A row of `Z` read through [`RoundingError`] (no copy).
pub(crate) fn rounding_errors(row: &[f64]) -> &[RoundingError] {
    // SAFETY: `RoundingError` is `repr(transparent)` over `f64`: same size, alignment and validity.
    unsafe { std::slice::from_raw_parts(row.as_ptr().cast::<RoundingError>(), row.len()) }
}

/// Whether the CPU has AVX2 and FMA (detected once by std, then a cached load).
#[inline]
pub(crate) fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Four rows at once: `d_k = Σ_j a_kj y_j` and `acc += Σ_k g_k a_k·` — the accumulator is read and written
/// once for four rows.
#[inline]
pub(crate) fn dot_axpy4<T: Elem>(
    a: [&[T]; 4],
    y: &[f64],
    g: [f64; 4],
    acc: &mut [f64],
) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::dot_axpy4(a, y, g, acc) };
    }
    portable::dot_axpy4(a, y, g, acc)
}

/// Two jobs on four rows each in one sweep: [`dot_axpy4`] on rows `a` with `(y[0], g[0], acc[0])` and on rows
/// `b` with `(y[1], g[1], acc[1])`. When `b` views the same memory as `a` (the same rows with other vectors,
/// or their rounding errors), the matrix is read from memory once for both.
#[inline]
pub(crate) fn dot_axpy4_pair<T: Elem, U: Elem>(
    a: [&[T]; 4],
    b: [&[U]; 4],
    y: [&[f64]; 2],
    g: [[f64; 4]; 2],
    acc: [&mut [f64]; 2],
) -> [[f64; 4]; 2] {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::dot_axpy4_pair(a, b, y, g, acc) };
    }
    let [acc0, acc1] = acc;
    [
        portable::dot_axpy4(a, y[0], g[0], acc0),
        portable::dot_axpy4(b, y[1], g[1], acc1),
    ]
}

/// `acc += Σ_k g_k a_k·` for four rows, reading and writing the accumulator once.
#[inline]
pub(crate) fn axpy4<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::axpy4(a, g, acc) };
    }
    portable::axpy4(a, g, acc)
}

/// `out_q[k] = Σ_{j ∈ chunk k} a_qj y_j` for four rows `q` and consecutive chunks of `width` entries (one
/// per buyer region), sharing the loads of `y`.
#[inline]
pub(crate) fn chunk_dots4<T: Elem>(a: [&[T]; 4], y: &[f64], width: usize, out: [&mut [f64]; 4]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::chunk_dots4(a, y, width, out) };
    }
    portable::chunk_dots4(a, y, width, out)
}

/// [`axpy4`] and [`chunk_dots4`] in one sweep of the four rows: `acc += Σ_q g_q a_q·` and
/// `out_q[k] = Σ_{j ∈ chunk k} a_qj y_j`.
#[inline]
pub(crate) fn axpy_chunk_dots4<T: Elem>(
    a: [&[T]; 4],
    g: [f64; 4],
    acc: &mut [f64],
    y: &[f64],
    width: usize,
    out: [&mut [f64]; 4],
) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::axpy_chunk_dots4(a, g, acc, y, width, out) };
    }
    portable::axpy4(a, g, acc);
    portable::chunk_dots4(a, y, width, out);
}

/// `Σ a_j b_j`.
#[inline]
pub(crate) fn dot<T: Elem>(a: &[T], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::dot2(a, b, None) };
    }
    portable::dot2(a, b, None)
}

/// `Σ a_j y_j c_j`.
#[inline]
pub(crate) fn dot2<T: Elem>(a: &[T], y: &[f64], c: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::dot2(a, y, Some(c)) };
    }
    portable::dot2(a, y, Some(c))
}

/// `acc += g a`.
#[inline]
pub(crate) fn axpy<T: Elem>(g: f64, a: &[T], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::axpy4([a; 4], [g, 0.0, 0.0, 0.0], acc) };
    }
    acc.iter_mut().zip(a).for_each(|(c, v)| *c += v.f() * g);
}

/// The common length of some slices.
#[inline(always)]
fn common_len(lens: &[usize]) -> usize {
    lens.iter().copied().min().unwrap_or(0)
}

/// [`dot_axpy4`] one entry at a time over `range`: `out_q += a_qj y_j`, `acc_j += Σ_q g_q a_qj`.
#[inline]
fn dot_axpy4_scalar<T: Elem>(
    a: &[&[T]; 4],
    y: &[f64],
    g: &[f64; 4],
    acc: &mut [f64],
    range: std::ops::Range<usize>,
    out: &mut [f64; 4],
) {
    for j in range {
        let v = [a[0][j].f(), a[1][j].f(), a[2][j].f(), a[3][j].f()];
        for q in 0..4 {
            out[q] += v[q] * y[j];
        }
        acc[j] += v[0] * g[0] + v[1] * g[1] + v[2] * g[2] + v[3] * g[3];
    }
}

/// The portable kernels (any CPU; also the reference the wide ones are tested against).
mod portable {
    use super::{Elem, common_len, dot_axpy4_scalar};

    pub(super) fn dot_axpy4<T: Elem>(
        a: [&[T]; 4],
        y: &[f64],
        g: [f64; 4],
        acc: &mut [f64],
    ) -> [f64; 4] {
        let n = common_len(&[
            y.len(),
            acc.len(),
            a[0].len(),
            a[1].len(),
            a[2].len(),
            a[3].len(),
        ]);
        let mut out = [0.0; 4];
        dot_axpy4_scalar(&a, y, &g, acc, 0..n, &mut out);
        out
    }

    pub(super) fn axpy4<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
        let n = common_len(&[acc.len(), a[0].len(), a[1].len(), a[2].len(), a[3].len()]);
        for (j, o) in acc[..n].iter_mut().enumerate() {
            *o += a[0][j].f() * g[0] + a[1][j].f() * g[1] + a[2][j].f() * g[2] + a[3][j].f() * g[3];
        }
    }

    pub(super) fn chunk_dots4<T: Elem>(
        a: [&[T]; 4],
        y: &[f64],
        width: usize,
        out: [&mut [f64]; 4],
    ) {
        for (row, o) in a.into_iter().zip(out) {
            for ((cy, ca), slot) in y.chunks(width.max(1)).zip(row.chunks(width.max(1))).zip(o) {
                *slot = ca.iter().zip(cy).map(|(v, w)| v.f() * w).sum();
            }
        }
    }

    pub(super) fn dot2<T: Elem>(a: &[T], y: &[f64], c: Option<&[f64]>) -> f64 {
        match c {
            Some(c) => a
                .iter()
                .zip(y)
                .zip(c)
                .map(|((v, y), c)| v.f() * (y * c))
                .sum(),
            None => a.iter().zip(y).map(|(v, y)| v.f() * y).sum(),
        }
    }
}

/// The AVX2 + FMA kernels: four `f64` lanes, rows converted from `f32` on load, tails done one entry at a
/// time. Every pointer offset below is under the common length computed first.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Elem, Kind, common_len, dot_axpy4_scalar};

    /// Four entries of a row from `p` as `f64` lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load<T: Elem>(p: *const T) -> __m256d {
        // SAFETY: the caller guarantees four readable entries at `p`; `T::KIND` tells the element size.
        unsafe {
            match T::KIND {
                Kind::Single => _mm256_cvtps_pd(_mm_loadu_ps(p.cast())),
                Kind::Double => _mm256_loadu_pd(p.cast()),
                Kind::RoundingError => {
                    let v = _mm256_loadu_pd(p.cast());
                    _mm256_sub_pd(v, _mm256_cvtps_pd(_mm256_cvtpd_ps(v)))
                }
            }
        }
    }

    /// The lane sums of four vectors: `[Σ s0, Σ s1, Σ s2, Σ s3]`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum4(s: [__m256d; 4]) -> [f64; 4] {
        // [s0a+s0b, s1a+s1b, s0c+s0d, s1c+s1d] and the same for s2, s3.
        let h01 = _mm256_hadd_pd(s[0], s[1]);
        let h23 = _mm256_hadd_pd(s[2], s[3]);
        let lo = _mm256_permute2f128_pd(h01, h23, 0x20);
        let hi = _mm256_permute2f128_pd(h01, h23, 0x31);
        let mut out = [0.0; 4];
        // SAFETY: `out` has room for four f64.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), _mm256_add_pd(lo, hi)) };
        out
    }

    /// Entries `j .. j + 4` of four rows as `f64` lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load4<T: Elem>(p: &[*const T; 4], j: usize) -> [__m256d; 4] {
        // SAFETY: the caller guarantees four readable entries at `j` in every row.
        unsafe {
            [
                load(p[0].add(j)),
                load(p[1].add(j)),
                load(p[2].add(j)),
                load(p[3].add(j)),
            ]
        }
    }

    /// `d_q += v_q w` (four dot products, four lanes each).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn dot_step(v: &[__m256d; 4], w: __m256d, d: &mut [__m256d; 4]) {
        for q in 0..4 {
            d[q] = _mm256_fmadd_pd(v[q], w, d[q]);
        }
    }

    /// `acc[j .. j + 4] += Σ_q g_q v_q`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn axpy_step(v: &[__m256d; 4], g: &[__m256d; 4], acc: *mut f64) {
        let s01 = _mm256_fmadd_pd(v[1], g[1], _mm256_mul_pd(v[0], g[0]));
        let s23 = _mm256_fmadd_pd(v[3], g[3], _mm256_mul_pd(v[2], g[2]));
        // SAFETY: the caller guarantees four writable entries at `acc`.
        unsafe {
            let c = _mm256_add_pd(_mm256_loadu_pd(acc), _mm256_add_pd(s01, s23));
            _mm256_storeu_pd(acc, c);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_axpy4<T: Elem>(
        a: [&[T]; 4],
        y: &[f64],
        g: [f64; 4],
        acc: &mut [f64],
    ) -> [f64; 4] {
        let n = common_len(&[
            y.len(),
            acc.len(),
            a[0].len(),
            a[1].len(),
            a[2].len(),
            a[3].len(),
        ]);
        let m = n - n % 4;
        let p = a.map(|r| r.as_ptr());
        let (py, pacc) = (y.as_ptr(), acc.as_mut_ptr());
        let gv = g.map(|v| _mm256_set1_pd(v));
        let mut d = [_mm256_setzero_pd(); 4];
        for j in (0..m).step_by(4) {
            // SAFETY: j + 4 <= m <= n, the length of every slice.
            unsafe {
                let v = load4(&p, j);
                dot_step(&v, _mm256_loadu_pd(py.add(j)), &mut d);
                axpy_step(&v, &gv, pacc.add(j));
            }
        }
        let mut out = hsum4(d);
        dot_axpy4_scalar(&a, y, &g, acc, m..n, &mut out);
        out
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_axpy4_pair<T: Elem, U: Elem>(
        a: [&[T]; 4],
        b: [&[U]; 4],
        y: [&[f64]; 2],
        g: [[f64; 4]; 2],
        acc: [&mut [f64]; 2],
    ) -> [[f64; 4]; 2] {
        let [acc0, acc1] = acc;
        let n = common_len(&[
            y[0].len(),
            y[1].len(),
            acc0.len(),
            acc1.len(),
            a[0].len(),
            a[1].len(),
            a[2].len(),
            a[3].len(),
            b[0].len(),
            b[1].len(),
            b[2].len(),
            b[3].len(),
        ]);
        let m = n - n % 4;
        let (pa, pb) = (a.map(|r| r.as_ptr()), b.map(|r| r.as_ptr()));
        let (py0, py1) = (y[0].as_ptr(), y[1].as_ptr());
        let (pacc0, pacc1) = (acc0.as_mut_ptr(), acc1.as_mut_ptr());
        let (ga, gb) = (
            g[0].map(|v| _mm256_set1_pd(v)),
            g[1].map(|v| _mm256_set1_pd(v)),
        );
        let mut da = [_mm256_setzero_pd(); 4];
        let mut db = [_mm256_setzero_pd(); 4];
        for j in (0..m).step_by(4) {
            // SAFETY: j + 4 <= m <= n, the length of every slice.
            unsafe {
                let v = load4(&pa, j);
                dot_step(&v, _mm256_loadu_pd(py0.add(j)), &mut da);
                axpy_step(&v, &ga, pacc0.add(j));
                let v = load4(&pb, j);
                dot_step(&v, _mm256_loadu_pd(py1.add(j)), &mut db);
                axpy_step(&v, &gb, pacc1.add(j));
            }
        }
        let mut out = [hsum4(da), hsum4(db)];
        dot_axpy4_scalar(&a, y[0], &g[0], acc0, m..n, &mut out[0]);
        dot_axpy4_scalar(&b, y[1], &g[1], acc1, m..n, &mut out[1]);
        out
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy4<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
        let n = common_len(&[acc.len(), a[0].len(), a[1].len(), a[2].len(), a[3].len()]);
        let m = n - n % 4;
        let p = a.map(|r| r.as_ptr());
        let pacc = acc.as_mut_ptr();
        let gv = g.map(|v| _mm256_set1_pd(v));
        for j in (0..m).step_by(4) {
            // SAFETY: j + 4 <= m <= n, the length of every slice.
            unsafe { axpy_step(&load4(&p, j), &gv, pacc.add(j)) };
        }
        for j in m..n {
            acc[j] +=
                a[0][j].f() * g[0] + a[1][j].f() * g[1] + a[2][j].f() * g[2] + a[3][j].f() * g[3];
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn chunk_dots4<T: Elem>(
        a: [&[T]; 4],
        y: &[f64],
        width: usize,
        out: [&mut [f64]; 4],
    ) {
        let width = width.max(1);
        let n = common_len(&[y.len(), a[0].len(), a[1].len(), a[2].len(), a[3].len()]);
        let chunks = common_len(&[
            n.div_ceil(width),
            out[0].len(),
            out[1].len(),
            out[2].len(),
            out[3].len(),
        ]);
        let p = a.map(|r| r.as_ptr());
        let py = y.as_ptr();
        let [o0, o1, o2, o3] = out;
        for k in 0..chunks {
            let base = k * width;
            let len = width.min(n - base);
            let m = len - len % 4;
            // Two accumulators per row: the FMA latency, not the loads, bounds a short chunk.
            let mut s = [_mm256_setzero_pd(); 4];
            let mut t = [_mm256_setzero_pd(); 4];
            let mut j = 0;
            while j + 8 <= m {
                // SAFETY: base + j + 8 <= base + len <= n, the length of every row and of y.
                unsafe {
                    let w0 = _mm256_loadu_pd(py.add(base + j));
                    let w1 = _mm256_loadu_pd(py.add(base + j + 4));
                    for q in 0..4 {
                        s[q] = _mm256_fmadd_pd(load(p[q].add(base + j)), w0, s[q]);
                        t[q] = _mm256_fmadd_pd(load(p[q].add(base + j + 4)), w1, t[q]);
                    }
                }
                j += 8;
            }
            if j < m {
                // SAFETY: base + j + 4 <= base + m <= n.
                unsafe {
                    let w0 = _mm256_loadu_pd(py.add(base + j));
                    for q in 0..4 {
                        s[q] = _mm256_fmadd_pd(load(p[q].add(base + j)), w0, s[q]);
                    }
                }
            }
            for q in 0..4 {
                s[q] = _mm256_add_pd(s[q], t[q]);
            }
            let mut r = hsum4(s);
            for j in base + m..base + len {
                for q in 0..4 {
                    r[q] += a[q][j].f() * y[j];
                }
            }
            o0[k] = r[0];
            o1[k] = r[1];
            o2[k] = r[2];
            o3[k] = r[3];
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy_chunk_dots4<T: Elem>(
        a: [&[T]; 4],
        g: [f64; 4],
        acc: &mut [f64],
        y: &[f64],
        width: usize,
        out: [&mut [f64]; 4],
    ) {
        let width = width.max(1);
        let n = common_len(&[
            y.len(),
            acc.len(),
            a[0].len(),
            a[1].len(),
            a[2].len(),
            a[3].len(),
        ]);
        let chunks = common_len(&[
            n.div_ceil(width),
            out[0].len(),
            out[1].len(),
            out[2].len(),
            out[3].len(),
        ]);
        let p = a.map(|r| r.as_ptr());
        let (py, pacc) = (y.as_ptr(), acc.as_mut_ptr());
        let gv = g.map(|v| _mm256_set1_pd(v));
        let [o0, o1, o2, o3] = out;
        for k in 0..chunks {
            let base = k * width;
            let len = width.min(n - base);
            let m = len - len % 4;
            let mut s = [_mm256_setzero_pd(); 4];
            for j in (base..base + m).step_by(4) {
                // SAFETY: j + 4 <= base + m <= n, the length of every slice.
                unsafe {
                    let v = load4(&p, j);
                    dot_step(&v, _mm256_loadu_pd(py.add(j)), &mut s);
                    axpy_step(&v, &gv, pacc.add(j));
                }
            }
            let mut r = hsum4(s);
            dot_axpy4_scalar(&a, y, &g, acc, base + m..base + len, &mut r);
            o0[k] = r[0];
            o1[k] = r[1];
            o2[k] = r[2];
            o3[k] = r[3];
        }
    }

    /// `Σ a_j y_j` or, with `c`, `Σ a_j y_j c_j`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot2<T: Elem>(a: &[T], y: &[f64], c: Option<&[f64]>) -> f64 {
        let n = common_len(&[a.len(), y.len(), c.map_or(usize::MAX, |c| c.len())]);
        let m = n - n % 8;
        let (pa, py) = (a.as_ptr(), y.as_ptr());
        let mut s = [_mm256_setzero_pd(); 2];
        let mut j = 0;
        while j < m {
            for (h, sh) in s.iter_mut().enumerate() {
                let k = j + 4 * h;
                // SAFETY: k + 4 <= m <= n, the length of every slice.
                unsafe {
                    let mut w = _mm256_loadu_pd(py.add(k));
                    if let Some(c) = c {
                        w = _mm256_mul_pd(w, _mm256_loadu_pd(c.as_ptr().add(k)));
                    }
                    *sh = _mm256_fmadd_pd(load(pa.add(k)), w, *sh);
                }
            }
            j += 8;
        }
        let z = _mm256_setzero_pd();
        let mut r = hsum4([_mm256_add_pd(s[0], s[1]), z, z, z])[0];
        for j in m..n {
            r += a[j].f() * y[j] * c.map_or(1.0, |c| c[j]);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-12 * scale.max(1.0)
    }

    fn rows(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
        // A small LCG: reproducible values of mixed sign and size.
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 0.5
        };
        let a = (0..4).map(|_| (0..n).map(|_| next()).collect()).collect();
        let y = (0..n).map(|_| next()).collect();
        let c = (0..n).map(|_| next()).collect();
        (a, y, c)
    }

    fn check<T: Elem>(a: [&[T]; 4], y: &[f64], c: &[f64], width: usize) {
        let n = y.len();
        let scale: f64 = n as f64 * 4.0;
        let g = [0.5, -1.25, 2.0, 0.75];
        let mut acc_w = c.to_vec();
        let mut acc_p = c.to_vec();
        let dw = dot_axpy4(a, y, g, &mut acc_w);
        let dp = portable::dot_axpy4(a, y, g, &mut acc_p);
        for q in 0..4 {
            assert!(
                close(dw[q], dp[q], scale),
                "dot_axpy4 dot {q}: {} vs {}",
                dw[q],
                dp[q]
            );
        }
        for j in 0..n {
            assert!(close(acc_w[j], acc_p[j], scale), "dot_axpy4 acc {j}");
        }
        let mut acc_w = c.to_vec();
        let mut acc_p = c.to_vec();
        axpy4(a, g, &mut acc_w);
        portable::axpy4(a, g, &mut acc_p);
        for j in 0..n {
            assert!(close(acc_w[j], acc_p[j], scale), "axpy4 {j}");
        }
        let chunks = n.div_ceil(width);
        let mut ow = vec![vec![f64::NAN; chunks]; 4];
        let mut op = vec![vec![f64::NAN; chunks]; 4];
        {
            let [w0, w1, w2, w3] = &mut ow[..] else {
                unreachable!()
            };
            chunk_dots4(a, y, width, [w0, w1, w2, w3]);
            let [p0, p1, p2, p3] = &mut op[..] else {
                unreachable!()
            };
            portable::chunk_dots4(a, y, width, [p0, p1, p2, p3]);
        }
        for q in 0..4 {
            for k in 0..chunks {
                assert!(close(ow[q][k], op[q][k], scale), "chunk_dots4 {q} {k}");
            }
        }
        assert!(
            close(dot(a[1], y), portable::dot2(a[1], y, None), scale),
            "dot"
        );
        assert!(
            close(dot2(a[2], y, c), portable::dot2(a[2], y, Some(c)), scale),
            "dot2"
        );
        let (mut p0, mut p1) = (c.to_vec(), y.to_vec());
        let (mut q0, mut q1) = (c.to_vec(), y.to_vec());
        let g2 = [-0.5, 1.0, 0.25, 3.0];
        let pw = dot_axpy4_pair(a, a, [y, c], [g, g2], [&mut p0, &mut p1]);
        let pp = [
            portable::dot_axpy4(a, y, g, &mut q0),
            portable::dot_axpy4(a, c, g2, &mut q1),
        ];
        for h in 0..2 {
            for q in 0..4 {
                assert!(close(pw[h][q], pp[h][q], scale), "pair dot {h} {q}");
            }
        }
        for j in 0..n {
            assert!(
                close(p0[j], q0[j], scale) && close(p1[j], q1[j], scale),
                "pair acc {j}"
            );
        }
        let mut acc_w = c.to_vec();
        axpy(1.5, a[3], &mut acc_w);
        for j in 0..n {
            assert!(close(acc_w[j], c[j] + 1.5 * a[3][j].f(), scale), "axpy {j}");
        }
    }

    proptest! {
        /// The dispatched kernels (wide where the CPU has AVX2 and FMA) agree with the portable ones on `f64`
        /// and `f32` rows of every length and chunk width, tails included.
        #[test]
        fn kernels_agree_with_portable(n in 0usize..70, width in 1usize..13, seed in 0u64..1000) {
            let (a, y, c) = rows(n, seed);
            check([&a[0][..], &a[1][..], &a[2][..], &a[3][..]], &y, &c, width);
            let a32: Vec<Vec<f32>> = a.iter().map(|r| r.iter().map(|&v| v as f32).collect()).collect();
            check([&a32[0][..], &a32[1][..], &a32[2][..], &a32[3][..]], &y, &c, width);
            let e = a.iter().map(|r| rounding_errors(r)).collect::<Vec<_>>();
            check([e[0], e[1], e[2], e[3]], &y, &c, width);
        }

        /// The `f32` mirror plus the rounding errors is the `f64` row, exactly, and a pass over both is a pass
        /// over the row (to rounding).
        #[test]
        fn mirror_plus_rounding_error_is_the_row(n in 1usize..70, seed in 0u64..1000) {
            let (a, y, _) = rows(n, seed);
            let a32: Vec<f32> = a[0].iter().map(|&v| v as f32).collect();
            let e = rounding_errors(&a[0]);
            for j in 0..n {
                prop_assert_eq!(a32[j] as f64 + e[j].f(), a[0][j]);
            }
            let split = dot(&a32, &y) + dot(e, &y);
            prop_assert!(close(split, dot(&a[0], &y), n as f64));
        }
    }
}
