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

    /// `acc += g Ẑ_i·`, with row `i` of `Z` given.
    #[inline]
    pub(crate) fn axpy<T: Elem>(&self, row: &[T], i: usize, g: f64, acc: &mut [f64]) {
        axpy(g, row, acc);
        for &k in &self.buyers[i] {
            let r = self.range(k);
            axpy(-(1.0 - self.delta) * g, &row[r.clone()], &mut acc[r]);
        }
    }

    /// Both at once, reading the row once: returns `Σ_j Ẑ_ij y_j c_j` and does `acc += g Ẑ_i·`.
    #[inline]
    pub(crate) fn dot_axpy<T: Elem>(
        &self,
        row: &[T],
        i: usize,
        (y, c): (&[f64], &[f64]),
        g: f64,
        acc: &mut [f64],
    ) -> f64 {
        let mut d = dot2_axpy(row, y, c, g, acc);
        for &k in &self.buyers[i] {
            let r = self.range(k);
            d -= (1.0 - self.delta) * dot2(&row[r.clone()], &y[r.clone()], &c[r.clone()]);
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
fn dot2_axpy_avx2<T: Elem>(a: &[T], y: &[f64], c: &[f64], g: f64, acc: &mut [f64]) -> f64 {
    dot2_axpy_impl(a, y, c, g, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn chunk_dots_avx2<T: Elem>(a: &[T], y: &[f64], width: usize, out: &mut [f64]) {
    chunk_dots_impl(a, y, width, out)
}

/// `out_k = Σ_{j ∈ chunk k} a_j y_j` for consecutive chunks of `width` entries (one per buyer region).
#[inline]
pub(crate) fn chunk_dots<T: Elem>(a: &[T], y: &[f64], width: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { chunk_dots_avx2(a, y, width, out) };
    }
    chunk_dots_impl(a, y, width, out)
}

#[inline(always)]
fn chunk_dots_impl<T: Elem>(a: &[T], y: &[f64], width: usize, out: &mut [f64]) {
    for ((o, ca), cy) in out.iter_mut().zip(a.chunks(width)).zip(y.chunks(width)) {
        *o = dot_impl(ca, cy);
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

/// `Σ a_j y_j c_j`, and `acc += g a`, in one sweep over `a`.
#[inline]
pub(crate) fn dot2_axpy<T: Elem>(a: &[T], y: &[f64], c: &[f64], g: f64, acc: &mut [f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { dot2_axpy_avx2(a, y, c, g, acc) };
    }
    dot2_axpy_impl(a, y, c, g, acc)
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

/// `Σ a_j y_j`, and `acc += g a`, in one sweep over `a`.
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

#[inline(always)]
fn dot2_axpy_impl<T: Elem>(a: &[T], y: &[f64], c: &[f64], g: f64, acc: &mut [f64]) -> f64 {
    let n = a.len().min(y.len()).min(c.len()).min(acc.len());
    let (a, y, c, acc) = (&a[..n], &y[..n], &c[..n], &mut acc[..n]);
    let mut d = [0.0f64; 16];
    let mut ca = a.chunks_exact(16);
    let mut cy = y.chunks_exact(16);
    let mut cv = c.chunks_exact(16);
    let mut cc = acc.chunks_exact_mut(16);
    for (((x, yy), vv), o) in (&mut ca).zip(&mut cy).zip(&mut cv).zip(&mut cc) {
        for l in 0..16 {
            let v = x[l].f();
            d[l] += v * (yy[l] * vv[l]);
            o[l] += v * g;
        }
    }
    let mut s = 0.0;
    for l in 0..8 {
        s += d[l] + d[l + 8];
    }
    for (((x, yy), vv), o) in ca
        .remainder()
        .iter()
        .zip(cy.remainder())
        .zip(cv.remainder())
        .zip(cc.into_remainder())
    {
        s += x.f() * (yy * vv);
        *o += x.f() * g;
    }
    s
}
