//! Which flows a scenario severs, and the row kernels that read `Ẑ` — the table's `Z` with every severed
//! entry multiplied by the leakage `δ` — without ever copying the matrix.
//!
//! A leg `(l, k, sectors)` severs the sales of the selling sectors of region `l` to every buyer in region
//! `k`. In region-major node order the buyers of `k` are one contiguous range of columns, so a severed row
//! is the full row minus `(1 − δ)` times a few contiguous chunks.

/// A severed trade relation on region indices: sellers in `seller` may not sell to buyers in `buyer`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Leg {
    /// Selling region index.
    pub seller: usize,
    /// Buying region index.
    pub buyer: usize,
    /// Selling sectors covered (`None`: all).
    pub sectors: Option<Vec<usize>>,
}

/// The severed entries of a scenario, per selling node.
#[derive(Debug, Clone)]
pub struct Cut {
    /// Leakage `δ`: the share of a severed flow that still gets through.
    pub delta: f64,
    /// For each node `i`, the buyer regions `i` may not sell to (sorted, unique).
    pub(crate) buyers: Vec<Vec<usize>>,
    ns: usize,
}

impl Cut {
    /// The cut of some legs on a table with `nr` regions of `ns` sectors.
    pub fn new(legs: &[Leg], nr: usize, ns: usize, delta: f64) -> Cut {
        let mut buyers = vec![Vec::new(); nr * ns];
        for leg in legs {
            let sectors: Vec<usize> = match &leg.sectors {
                Some(s) => s.clone(),
                None => (0..ns).collect(),
            };
            for r in sectors {
                buyers[leg.seller * ns + r].push(leg.buyer);
            }
        }
        for b in &mut buyers {
            b.sort_unstable();
            b.dedup();
        }
        Cut { delta, buyers, ns }
    }

    /// The number of severed entries of `Z`.
    pub fn severed_entries(&self) -> usize {
        self.buyers.iter().map(|b| b.len() * self.ns).sum()
    }

    /// The column range of buyer region `k`.
    #[inline]
    pub(crate) fn range(&self, k: usize) -> std::ops::Range<usize> {
        k * self.ns..(k + 1) * self.ns
    }

    /// `Σ_j Ẑ_ij y_j c_j`, with row `i` of `Z` given.
    #[inline]
    pub(crate) fn dot<T: Elem>(&self, row: &[T], i: usize, y: &[f64], c: &[f64]) -> f64 {
        let mut d = dot2(row, y, c);
        for &k in &self.buyers[i] {
            let r = self.range(k);
            d -= (1.0 - self.delta) * dot2(&row[r.clone()], &y[r.clone()], &c[r]);
        }
        d
    }

    /// The severed part of row `i`, to subtract after a whole-row kernel: returns `(1 − δ) Σ_{j sev} Z_ij y_j`
    /// and does `acc −= (1 − δ) g Z_ij` on the severed entries.
    #[inline]
    pub(crate) fn severed_part<T: Elem>(
        &self,
        row: &[T],
        i: usize,
        y: &[f64],
        g: f64,
        acc: &mut [f64],
    ) -> f64 {
        let mut d = 0.0;
        for &k in &self.buyers[i] {
            let r = self.range(k);
            d += (1.0 - self.delta) * dot(&row[r.clone()], &y[r.clone()]);
            axpy(-(1.0 - self.delta) * g, &row[r.clone()], &mut acc[r]);
        }
        d
    }
}

/// A matrix element type: `f64`, or `f32` for the reduced-precision mirror of `Z` (accumulation is always in
/// `f64`).
pub(crate) trait Elem: Copy + Send + Sync {
    /// As `f64`.
    fn f(self) -> f64;
}

impl Elem for f64 {
    #[inline(always)]
    fn f(self) -> f64 {
        self
    }
}

impl Elem for f32 {
    #[inline(always)]
    fn f(self) -> f64 {
        self as f64
    }
}

/// Whether the CPU has AVX2 (checked once by std, then a cached load). The kernels below are compiled twice:
/// for the baseline x86-64 target and with AVX2, chosen at run time, so one binary runs everywhere and uses
/// the wide registers where they exist.
#[inline]
fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2<T: Elem>(a: &[T], b: &[f64]) -> f64 {
    dot_impl(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn axpy_avx2<T: Elem>(g: f64, a: &[T], acc: &mut [f64]) {
    axpy_impl(g, a, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot2_avx2<T: Elem>(a: &[T], y: &[f64], c: &[f64]) -> f64 {
    dot2_impl(a, y, c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_axpy4_avx2<T: Elem>(a: [&[T]; 4], y: &[f64], g: [f64; 4], acc: &mut [f64]) -> [f64; 4] {
    dot_axpy4_impl(a, y, g, acc)
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
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dot_axpy4_avx2(a, y, g, acc) };
    }
    dot_axpy4_impl(a, y, g, acc)
}

#[inline(always)]
fn dot_axpy4_impl<T: Elem>(a: [&[T]; 4], y: &[f64], g: [f64; 4], acc: &mut [f64]) -> [f64; 4] {
    let n = y
        .len()
        .min(acc.len())
        .min(a.iter().map(|r| r.len()).min().unwrap_or(0));
    let (a0, a1, a2, a3) = (&a[0][..n], &a[1][..n], &a[2][..n], &a[3][..n]);
    let (y, acc) = (&y[..n], &mut acc[..n]);
    let mut d = [[0.0f64; 4]; 4];
    let m = n - n % 4;
    for j in (0..m).step_by(4) {
        for l in 0..4 {
            let (v0, v1, v2, v3) = (a0[j + l].f(), a1[j + l].f(), a2[j + l].f(), a3[j + l].f());
            let w = y[j + l];
            d[0][l] += v0 * w;
            d[1][l] += v1 * w;
            d[2][l] += v2 * w;
            d[3][l] += v3 * w;
            acc[j + l] += v0 * g[0] + v1 * g[1] + v2 * g[2] + v3 * g[3];
        }
    }
    let mut out = [0.0; 4];
    for k in 0..4 {
        out[k] = (d[k][0] + d[k][2]) + (d[k][1] + d[k][3]);
    }
    for j in m..n {
        let (v0, v1, v2, v3) = (a0[j].f(), a1[j].f(), a2[j].f(), a3[j].f());
        out[0] += v0 * y[j];
        out[1] += v1 * y[j];
        out[2] += v2 * y[j];
        out[3] += v3 * y[j];
        acc[j] += v0 * g[0] + v1 * g[1] + v2 * g[2] + v3 * g[3];
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn axpy4_avx2<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
    axpy4_impl(a, g, acc)
}

/// `acc += Σ_k g_k a_k·` for four rows, reading and writing the accumulator once.
#[inline]
pub(crate) fn axpy4<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { axpy4_avx2(a, g, acc) };
    }
    axpy4_impl(a, g, acc)
}

#[inline(always)]
fn axpy4_impl<T: Elem>(a: [&[T]; 4], g: [f64; 4], acc: &mut [f64]) {
    let n = acc.len().min(a.iter().map(|r| r.len()).min().unwrap_or(0));
    let (a0, a1, a2, a3) = (&a[0][..n], &a[1][..n], &a[2][..n], &a[3][..n]);
    for (j, o) in acc[..n].iter_mut().enumerate() {
        *o += a0[j].f() * g[0] + a1[j].f() * g[1] + a2[j].f() * g[2] + a3[j].f() * g[3];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn chunk_dots4_avx2<T: Elem>(a: [&[T]; 4], y: &[f64], width: usize, out: [&mut [f64]; 4]) {
    chunk_dots4_impl(a, y, width, out)
}

/// `out_q[k] = Σ_{j ∈ chunk k} a_qj y_j` for four rows `q` and consecutive chunks of `width` entries (one
/// per buyer region), sharing the loads of `y`.
#[inline]
pub(crate) fn chunk_dots4<T: Elem>(a: [&[T]; 4], y: &[f64], width: usize, out: [&mut [f64]; 4]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { chunk_dots4_avx2(a, y, width, out) };
    }
    chunk_dots4_impl(a, y, width, out)
}

#[inline(always)]
fn chunk_dots4_impl<T: Elem>(a: [&[T]; 4], y: &[f64], width: usize, out: [&mut [f64]; 4]) {
    let [o0, o1, o2, o3] = out;
    for (k, cy) in y.chunks(width).enumerate() {
        let base = k * width;
        let mut s = [[0.0f64; 4]; 4];
        let m = cy.len() - cy.len() % 4;
        for j in (0..m).step_by(4) {
            for l in 0..4 {
                let w = cy[j + l];
                s[0][l] += a[0][base + j + l].f() * w;
                s[1][l] += a[1][base + j + l].f() * w;
                s[2][l] += a[2][base + j + l].f() * w;
                s[3][l] += a[3][base + j + l].f() * w;
            }
        }
        let mut t = [0.0; 4];
        for q in 0..4 {
            t[q] = (s[q][0] + s[q][2]) + (s[q][1] + s[q][3]);
        }
        for j in m..cy.len() {
            let w = cy[j];
            for q in 0..4 {
                t[q] += a[q][base + j].f() * w;
            }
        }
        o0[k] = t[0];
        o1[k] = t[1];
        o2[k] = t[2];
        o3[k] = t[3];
    }
}

/// `Σ a_j b_j`.
#[inline]
pub(crate) fn dot<T: Elem>(a: &[T], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dot_avx2(a, b) };
    }
    dot_impl(a, b)
}

/// `acc += g a`.
#[inline]
pub(crate) fn axpy<T: Elem>(g: f64, a: &[T], acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { axpy_avx2(g, a, acc) };
    }
    axpy_impl(g, a, acc)
}

/// `Σ a_j y_j c_j`.
#[inline]
pub(crate) fn dot2<T: Elem>(a: &[T], y: &[f64], c: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dot2_avx2(a, y, c) };
    }
    dot2_impl(a, y, c)
}

#[inline(always)]
fn dot_impl<T: Elem>(a: &[T], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 16];
    let ca = a.chunks_exact(16);
    let cb = b.chunks_exact(16);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..16 {
            acc[l] += x[l].f() * y[l];
        }
    }
    let mut s = 0.0;
    for l in 0..8 {
        s += acc[l] + acc[l + 8];
    }
    for (x, y) in ra.iter().zip(rb) {
        s += x.f() * y;
    }
    s
}

#[inline(always)]
fn axpy_impl<T: Elem>(g: f64, a: &[T], acc: &mut [f64]) {
    acc.iter_mut().zip(a).for_each(|(c, v)| *c += v.f() * g);
}

#[inline(always)]
fn dot2_impl<T: Elem>(a: &[T], y: &[f64], c: &[f64]) -> f64 {
    let n = a.len().min(y.len()).min(c.len());
    let (a, y, c) = (&a[..n], &y[..n], &c[..n]);
    let mut d = [0.0f64; 16];
    let (ca, cy, cc) = (a.chunks_exact(16), y.chunks_exact(16), c.chunks_exact(16));
    let (ra, ry, rc) = (ca.remainder(), cy.remainder(), cc.remainder());
    for ((x, yy), cv) in ca.zip(cy).zip(cc) {
        for l in 0..16 {
            d[l] += x[l].f() * (yy[l] * cv[l]);
        }
    }
    let mut s = 0.0;
    for l in 0..8 {
        s += d[l] + d[l + 8];
    }
    for ((x, yy), cv) in ra.iter().zip(ry).zip(rc) {
        s += x.f() * (yy * cv);
    }
    s
}
