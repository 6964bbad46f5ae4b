//! What a country can make, and how hard it is to make: economic complexity by the eigenvector method
//! (Hidalgo & Hausmann 2009; Hausmann et al., *The Atlas of Economic Complexity*), reproducing both the
//! Stata `ecomplexity` command and py-ecomplexity 0.5.3 to 1e-9 (they differ in three conventions; see
//! [`Convention`]).
//!
//! For one year, with exports `X_cp` of country `c` in product `p` (countries and products with no exports
//! that year are left out and reported as `None`):
//!
//! - `RCA_cp = (X_cp / Σ_p X_cp) / (Σ_c X_cp / Σ_cp X_cp)` (Balassa); `M_cp = 1` where `RCA_cp ≥ t`
//!   (`t = 1` by default), else 0;
//! - diversity `k_c = Σ_p M_cp`, ubiquity `k_p = Σ_c M_cp`;
//! - `kp`: the eigenvector of the second-largest eigenvalue of `M̃ = U⁻¹ Mᵀ D⁻¹ M` (`D = diag(k_c)`,
//!   `U = diag(k_p)`), computed from the symmetric `U^{-1/2} Mᵀ D⁻¹ M U^{-1/2}` (same eigenvalues,
//!   `kp = U^{-1/2} v`); `kc = D⁻¹ M kp`, each country's average `kp`; the sign makes
//!   `corr(kc, diversity) > 0`;
//! - `ECI = (kc − m) / σ`, `PCI = (kp − m) / σ` with `m`, `σ` the mean and standard deviation of `kc` (so
//!   a country's ECI is the mean PCI of its products);
//! - proximity `φ_pq = Σ_c M_cp M_cq / max(k_p, k_q)`;
//! - density `d_cp = Σ_q M_cq φ_pq / Σ_q φ_pq`;
//! - complexity outlook: `Σ_p d_cp (1 − M_cp) kp_p`, standardised over countries;
//! - outlook gain `COG_cq = (1 − M_cq) Σ_p (1 − M_cp) φ_pq kp_p / Σ_r φ_pr`, divided by `σ`.
//!
//! The fitness–complexity alternative (Tacchella et al. 2012) is [`fitness`].

use rayon::prelude::*;
use serde::Serialize;
use sovra_core::faer::{self, Mat};

use crate::{Error, Result};

/// Exports of one year: countries × products, row-major.
#[derive(Debug, Clone)]
pub struct Exports {
    /// Country codes (rows).
    pub countries: Vec<String>,
    /// Product codes (columns).
    pub products: Vec<String>,
    /// `X_cp`, `countries × products`, row-major; non-negative.
    pub values: Vec<f64>,
}

/// Whose conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum Convention {
    /// Stata `ecomplexity`: `σ` is the sample standard deviation of `kc` over the long country × product
    /// table (`N = C·P` rows); density leaves out the product itself (`φ_pp = 0`); COI is standardised with
    /// the same long-table sample deviation.
    #[default]
    Stata,
    /// py-ecomplexity 0.5.3: `σ` is the population standard deviation of `kc` over countries; density keeps
    /// `φ_pp = 1`; COI is standardised with the population deviation over countries.
    PyEcomplexity,
}

/// Options.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Options {
    /// `M_cp = 1` where `RCA_cp ≥` this.
    pub rca_threshold: f64,
    /// Conventions.
    pub convention: Convention,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rca_threshold: 1.0,
            convention: Convention::default(),
        }
    }
}

/// Everything computed for one year. Vectors are indexed like [`Exports`]; `None` where undefined.
#[derive(Debug, Clone, Serialize)]
pub struct Complexity {
    /// `RCA_cp`, row-major (`None` where the country or product exports nothing).
    pub rca: Vec<Option<f64>>,
    /// `M_cp`, row-major.
    pub m: Vec<bool>,
    /// `k_c`.
    pub diversity: Vec<usize>,
    /// `k_p`.
    pub ubiquity: Vec<usize>,
    /// ECI per country.
    pub eci: Vec<Option<f64>>,
    /// PCI per product.
    pub pci: Vec<Option<f64>>,
    /// The second-largest eigenvalue of `M̃` (the gap to 1 says how well ECI separates countries).
    pub eigenvalue: f64,
    /// `φ`, products × products, row-major.
    pub proximity: Vec<f64>,
    /// `d_cp`, row-major (`None` where `Σ_p' φ_pp' = 0`).
    pub density: Vec<Option<f64>>,
    /// COI per country.
    pub coi: Vec<Option<f64>>,
    /// COG, row-major.
    pub cog: Vec<Option<f64>>,
}

/// Computes every measure for one year.
pub fn compute(x: &Exports, o: &Options) -> Result<Complexity> {
    let (nc, np) = (x.countries.len(), x.products.len());
    if x.values.len() != nc * np {
        return Err(Error::Invalid(format!(
            "{} values for {nc} countries × {np} products",
            x.values.len()
        )));
    }
    if let Some(k) = x.values.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::Invalid(format!(
            "export value of {} in {} is {} (must be finite and non-negative)",
            x.countries[k / np],
            x.products[k % np],
            x.values[k]
        )));
    }
    let row: Vec<f64> = x.values.chunks(np.max(1)).map(|r| r.iter().sum()).collect();
    let mut col = vec![0.0; np];
    for r in x.values.chunks(np.max(1)) {
        col.iter_mut().zip(r).for_each(|(a, v)| *a += v);
    }
    let total: f64 = row.iter().sum();
    if total <= 0.0 {
        return Err(Error::Invalid("no exports at all".into()));
    }
    let mut rca = vec![None; nc * np];
    let mut m = vec![false; nc * np];
    for c in 0..nc {
        for p in 0..np {
            if row[c] > 0.0 && col[p] > 0.0 {
                let v = (x.values[c * np + p] / row[c]) / (col[p] / total);
                rca[c * np + p] = Some(v);
                m[c * np + p] = v >= o.rca_threshold;
            }
        }
    }
    let diversity: Vec<usize> = (0..nc)
        .map(|c| m[c * np..(c + 1) * np].iter().filter(|b| **b).count())
        .collect();
    let ubiquity: Vec<usize> = (0..np)
        .map(|p| (0..nc).filter(|&c| m[c * np + p]).count())
        .collect();
    // The eigenproblem on countries and products with at least one M = 1.
    let cs: Vec<usize> = (0..nc).filter(|&c| diversity[c] > 0).collect();
    let ps: Vec<usize> = (0..np).filter(|&p| ubiquity[p] > 0).collect();
    if cs.len() < 2 || ps.len() < 2 {
        return Err(Error::Invalid(format!(
            "{} countries and {} products with a revealed comparative advantage: ECI needs at least two of each",
            cs.len(),
            ps.len()
        )));
    }
    let (kn, pn) = (cs.len(), ps.len());
    let mm = Mat::<f64>::from_fn(kn, pn, |a, b| if m[cs[a] * np + ps[b]] { 1.0 } else { 0.0 });
    let dk: Vec<f64> = cs.iter().map(|&c| diversity[c] as f64).collect();
    let uk: Vec<f64> = ps.iter().map(|&p| ubiquity[p] as f64).collect();
    // G = D^{-1/2} M U^{-1/2}; the eigenproblem is solved on the smaller of GᵀG (products) and GGᵀ
    // (countries): both have the eigenvalues of U⁻¹MᵀD⁻¹M, and kp ∝ U⁻¹Mᵀ kc maps one eigenvector onto
    // the other. Every output is invariant to the eigenvector's scale.
    let g = Mat::<f64>::from_fn(kn, pn, |a, b| mm[(a, b)] / (dk[a] * uk[b]).sqrt());
    let country_side = kn <= pn;
    let sm = if country_side {
        mul(g.as_ref(), g.transpose())
    } else {
        mul(g.transpose(), g.as_ref())
    };
    let evd = sm
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Invalid(format!("eigendecomposition failed: {e:?}")))?;
    let dim = sm.nrows();
    let eigenvalue = evd.S().column_vector()[dim - 2];
    let v = evd.U().col(dim - 2);
    let mut kp: Vec<f64> = if country_side {
        let kc0: Vec<f64> = (0..kn).map(|a| v[a] / dk[a].sqrt()).collect();
        (0..pn)
            .map(|b| (0..kn).map(|a| mm[(a, b)] * kc0[a]).sum::<f64>() / uk[b])
            .collect()
    } else {
        (0..pn).map(|b| v[b] / uk[b].sqrt()).collect()
    };
    // kc: each country's average kp (py-ecomplexity's definition).
    let mut kc: Vec<f64> = (0..kn)
        .map(|a| (0..pn).map(|b| mm[(a, b)] * kp[b]).sum::<f64>() / dk[a])
        .collect();
    // Sign: ECI rises with diversity.
    if covariance(&kc, &dk) < 0.0 {
        kc.iter_mut().for_each(|x| *x = -*x);
        kp.iter_mut().for_each(|x| *x = -*x);
    }
    let mean = kc.iter().sum::<f64>() / kn as f64;
    let ss = kc.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    let sd = match o.convention {
        Convention::Stata => (ss * pn as f64 / ((kn * pn) as f64 - 1.0)).sqrt(),
        Convention::PyEcomplexity => (ss / kn as f64).sqrt(),
    };
    let mut eci = vec![None; nc];
    for (a, &c) in cs.iter().enumerate() {
        eci[c] = Some((kc[a] - mean) / sd);
    }
    let mut pci = vec![None; np];
    let mut kp_full = vec![None; np];
    for (b, &p) in ps.iter().enumerate() {
        pci[p] = Some((kp[b] - mean) / sd);
        kp_full[p] = Some(kp[b]);
    }
    // Proximity from the co-occurrence counts MᵀM, over all products.
    // Co-occurrence counts Σ_c M_cp M_cq as popcounts of the products' country bitsets.
    let words = nc.div_ceil(64);
    let mut bits = vec![0u64; np * words];
    for c in 0..nc {
        for p in 0..np {
            if m[c * np + p] {
                bits[p * words + c / 64] |= 1 << (c % 64);
            }
        }
    }
    // Symmetric, so each row is also a column: row-major storage serves both.
    let mut proximity = vec![0.0; np * np];
    proximity
        .par_chunks_mut(np.max(1))
        .enumerate()
        .for_each(|(q, out)| {
            let bq = &bits[q * words..(q + 1) * words];
            for (p, o) in out.iter_mut().enumerate() {
                let den = ubiquity[p].max(ubiquity[q]);
                if den > 0 {
                    *o = common(&bits[p * words..(p + 1) * words], bq) as f64 / den as f64;
                }
            }
        });
    let phi_row = |q: usize| &proximity[q * np..(q + 1) * np];
    // Stata leaves the product itself out of density and COG: subtract the diagonal's share.
    let diag: Vec<f64> = if o.convention == Convention::Stata {
        (0..np).map(|p| phi_row(p)[p]).collect()
    } else {
        vec![0.0; np]
    };
    let phi_sum: Vec<f64> = (0..np)
        .into_par_iter()
        .map(|p| phi_row(p).iter().sum::<f64>() - diag[p])
        .collect();
    // COG's weights: w_p = kp_p / Σ_r φ'_pr (0 where there is no kp).
    let w: Vec<f64> = (0..np)
        .map(|p| match kp_full[p] {
            Some(k) if phi_sum[p] > 0.0 => k / phi_sum[p],
            _ => 0.0,
        })
        .collect();
    // Density's numerators (M φ)_cp and COG's sums (((1 − M) ∘ w) φ)_cq in one pass over φ.
    let (num, gain) = density_and_gain(&m, nc, np, &proximity, &w);
    let active_p: Vec<bool> = (0..np).map(|p| col[p] > 0.0).collect();
    let mut density = vec![None; nc * np];
    for c in (0..nc).filter(|&c| row[c] > 0.0) {
        for p in (0..np).filter(|&p| active_p[p]) {
            let n = num[c * np + p] - if m[c * np + p] { diag[p] } else { 0.0 };
            density[c * np + p] = Some(if phi_sum[p] > 0.0 {
                n / phi_sum[p]
            } else {
                0.0
            });
        }
    }
    drop(num);
    // COI: Σ_p d_cp (1 − M_cp) kp_p, standardised over countries.
    let raw_coi: Vec<Option<f64>> = (0..nc)
        .map(|c| {
            eci[c]?;
            Some(
                (0..np)
                    .filter(|&p| !m[c * np + p])
                    .filter_map(|p| Some(density[c * np + p]? * kp_full[p]?))
                    .sum(),
            )
        })
        .collect();
    let vals: Vec<f64> = raw_coi.iter().flatten().copied().collect();
    let cm = vals.iter().sum::<f64>() / vals.len() as f64;
    let css = vals.iter().map(|x| (x - cm).powi(2)).sum::<f64>();
    let csd = match o.convention {
        Convention::Stata => (css * pn as f64 / ((vals.len() * pn) as f64 - 1.0)).sqrt(),
        Convention::PyEcomplexity => (css / vals.len() as f64).sqrt(),
    };
    let coi = raw_coi.iter().map(|v| v.map(|x| (x - cm) / csd)).collect();
    // COG_cq = (1 − M_cq) Σ_p (1 − M_cp) φ'_pq kp_p / Σ_r φ'_pr, divided by σ: ((1 − M) ∘ w) φ'.
    let mut cog = vec![None; nc * np];
    for c in (0..nc).filter(|&c| eci[c].is_some()) {
        for q in (0..np).filter(|&q| active_p[q]) {
            cog[c * np + q] = Some(if m[c * np + q] {
                0.0
            } else {
                (gain[c * np + q] - w[q] * diag[q]) / sd
            });
        }
    }
    Ok(Complexity {
        rca,
        m,
        diversity,
        ubiquity,
        eci,
        pci,
        eigenvalue,
        proximity,
        density,
        coi,
        cog,
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn common_popcnt(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Bits set in both (the hardware population count where the CPU has one).
#[inline]
fn common(a: &[u64], b: &[u64]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has POPCNT (checked just above).
        return unsafe { common_popcnt(a, b) };
    }
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Density's numerators `(M φ)_cp` and COG's sums `(((1 − M) ∘ w) φ)_cp`, both `nc × np` row-major, for a
/// 0/1 matrix `M` and a symmetric `φ` (`np × np`, row-major).
///
/// `M` is sparse on one side: a country has RCA ≥ 1 in a minority of products, or lacks it in a minority.
/// So instead of two dense products (2 nc·np² multiply-adds), each country sums the rows of φ in its
/// smaller set `S` — the products it has, or those it lacks — plain and weighted by `w`, and the other half
/// comes from the all-products sums: with `A = Σ_{q∈S} φ_q` and `B = Σ_{q∈S} w_q φ_q`, density's numerator
/// is `A` (or `Σ_q φ_q − A`) and the gain is `Σ_q w_q φ_q − B` (or `B`). That is at most half the work of
/// one dense product, and far less on real trade (10–25 % of cells have RCA ≥ 1). The loops run over
/// blocks of `φ` that stay in cache: a band of output columns, and within it a band of rows of φ.
fn density_and_gain(
    m: &[bool],
    nc: usize,
    np: usize,
    phi: &[f64],
    w: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    const COLS: usize = 256;
    const ROWS: usize = 256;
    // Each country's smaller set, ascending, and which side it is.
    let sets: Vec<(bool, Vec<u32>)> = (0..nc)
        .map(|c| {
            let row = &m[c * np..(c + 1) * np];
            let has = row.iter().filter(|b| **b).count();
            let own = has * 2 <= np;
            let set = (0..np as u32).filter(|&q| row[q as usize] == own).collect();
            (own, set)
        })
        .collect();
    let bands: Vec<(usize, usize)> = (0..np)
        .step_by(COLS)
        .map(|p0| (p0, (p0 + COLS).min(np)))
        .collect();
    let parts: Vec<(Vec<f64>, Vec<f64>)> = bands
        .par_iter()
        .map(|&(p0, p1)| {
            let wd = p1 - p0;
            let mut a = vec![0.0; nc * wd];
            let mut b = vec![0.0; nc * wd];
            let mut cursor = vec![0usize; nc];
            for q1 in (0..np).step_by(ROWS).map(|q| (q + ROWS).min(np)) {
                for c in 0..nc {
                    let set = &sets[c].1;
                    let (ac, bc) = (&mut a[c * wd..(c + 1) * wd], &mut b[c * wd..(c + 1) * wd]);
                    let k0 = cursor[c];
                    let k1 = k0 + set[k0..].partition_point(|&q| (q as usize) < q1);
                    cursor[c] = k1;
                    let row = |q: u32| &phi[q as usize * np + p0..q as usize * np + p1];
                    let mut quads = set[k0..k1].chunks_exact(4);
                    for g in &mut quads {
                        let xs = [row(g[0]), row(g[1]), row(g[2]), row(g[3])];
                        let ws = [
                            w[g[0] as usize],
                            w[g[1] as usize],
                            w[g[2] as usize],
                            w[g[3] as usize],
                        ];
                        add_and_axpy4(ac, bc, xs, ws);
                    }
                    for &q in quads.remainder() {
                        add_and_axpy(ac, bc, row(q), w[q as usize]);
                    }
                }
            }
            // The all-products sums of this band, for the countries on the complement side.
            let mut all_a = vec![0.0; wd];
            let mut all_b = vec![0.0; wd];
            for q in 0..np {
                let col = &phi[q * np + p0..q * np + p1];
                add_and_axpy(&mut all_a, &mut all_b, col, w[q]);
            }
            for c in 0..nc {
                let own = sets[c].0;
                for j in 0..wd {
                    let (x, y) = (a[c * wd + j], b[c * wd + j]);
                    if own {
                        b[c * wd + j] = all_b[j] - y;
                    } else {
                        a[c * wd + j] = all_a[j] - x;
                    }
                }
            }
            (a, b)
        })
        .collect();
    let mut num = vec![0.0; nc * np];
    let mut gain = vec![0.0; nc * np];
    for (&(p0, p1), (a, b)) in bands.iter().zip(parts) {
        let wd = p1 - p0;
        for c in 0..nc {
            num[c * np + p0..c * np + p1].copy_from_slice(&a[c * wd..(c + 1) * wd]);
            gain[c * np + p0..c * np + p1].copy_from_slice(&b[c * wd..(c + 1) * wd]);
        }
    }
    (num, gain)
}

/// `a += x; b += s x`, in AVX2 and FMA where the CPU has them.
#[inline]
fn add_and_axpy(a: &mut [f64], b: &mut [f64], x: &[f64], s: f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { add_and_axpy_avx2(a, b, x, s) };
    }
    add_and_axpy_plain(a, b, x, s)
}

/// `a += x₀ + x₁ + x₂ + x₃; b += Σ sₖ xₖ` (four rows per pass over `a` and `b`).
#[inline]
fn add_and_axpy4(a: &mut [f64], b: &mut [f64], x: [&[f64]; 4], s: [f64; 4]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { add_and_axpy4_avx2(a, b, x, s) };
    }
    add_and_axpy4_plain(a, b, x, s)
}

fn add_and_axpy4_plain(a: &mut [f64], b: &mut [f64], x: [&[f64]; 4], s: [f64; 4]) {
    let n = a.len().min(b.len());
    let [x0, x1, x2, x3] = x.map(|r| &r[..n]);
    for i in 0..n {
        a[i] += (x0[i] + x1[i]) + (x2[i] + x3[i]);
        b[i] += (s[0] * x0[i] + s[1] * x1[i]) + (s[2] * x2[i] + s[3] * x3[i]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_and_axpy4_avx2(a: &mut [f64], b: &mut [f64], x: [&[f64]; 4], s: [f64; 4]) {
    let n = a.len().min(b.len());
    let (a, b) = (&mut a[..n], &mut b[..n]);
    let [x0, x1, x2, x3] = x.map(|r| &r[..n]);
    for i in 0..n {
        a[i] += (x0[i] + x1[i]) + (x2[i] + x3[i]);
        b[i] += s[0].mul_add(x0[i], s[1] * x1[i]) + s[2].mul_add(x2[i], s[3] * x3[i]);
    }
}

fn add_and_axpy_plain(a: &mut [f64], b: &mut [f64], x: &[f64], s: f64) {
    for ((a, b), x) in a.iter_mut().zip(b.iter_mut()).zip(x) {
        *a += x;
        *b += s * x;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_and_axpy_avx2(a: &mut [f64], b: &mut [f64], x: &[f64], s: f64) {
    for ((a, b), x) in a.iter_mut().zip(b.iter_mut()).zip(x) {
        *a += x;
        *b = s.mul_add(*x, *b);
    }
}

/// `a b` on all cores.
fn mul(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(
        out.as_mut(),
        faer::Accum::Replace,
        a,
        b,
        1.0,
        faer::Par::rayon(0),
    );
    out
}

fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum()
}

/// Fitness and product complexity by the non-linear map of Tacchella et al. (2012), "A new metrics for
/// countries' fitness and products' complexity": from `F = Q = 1`, iterate
/// `F̃_c = Σ_p M_cp Q_p`, `Q̃_p = 1 / Σ_c M_cp / F_c`, each normalised to mean 1, until the largest relative
/// change is below `tol` (or `max_iter`). Countries and products without any `M = 1` are `None`. Returns
/// `(fitness, complexity, iterations)`.
pub fn fitness(
    m: &[bool],
    nc: usize,
    np: usize,
    tol: f64,
    max_iter: usize,
) -> (Vec<Option<f64>>, Vec<Option<f64>>, usize) {
    let cs: Vec<usize> = (0..nc)
        .filter(|&c| m[c * np..(c + 1) * np].iter().any(|b| *b))
        .collect();
    let ps: Vec<usize> = (0..np)
        .filter(|&p| (0..nc).any(|c| m[c * np + p]))
        .collect();
    let mm = Mat::<f64>::from_fn(cs.len(), ps.len(), |a, b| {
        if m[cs[a] * np + ps[b]] { 1.0 } else { 0.0 }
    });
    let mut f = Mat::<f64>::from_fn(cs.len(), 1, |_, _| 1.0);
    let mut q = Mat::<f64>::from_fn(ps.len(), 1, |_, _| 1.0);
    let mut it = 0;
    let normalise = |v: &mut Mat<f64>| {
        let mean = (0..v.nrows()).map(|i| v[(i, 0)]).sum::<f64>() / v.nrows().max(1) as f64;
        for i in 0..v.nrows() {
            v[(i, 0)] /= mean;
        }
    };
    while it < max_iter {
        it += 1;
        let mut nf = &mm * &q;
        let inv_f = Mat::<f64>::from_fn(f.nrows(), 1, |i, _| 1.0 / f[(i, 0)]);
        let s = mm.transpose() * &inv_f;
        let mut nq = Mat::<f64>::from_fn(ps.len(), 1, |i, _| 1.0 / s[(i, 0)]);
        normalise(&mut nf);
        normalise(&mut nq);
        let change = (0..nf.nrows())
            .map(|i| ((nf[(i, 0)] - f[(i, 0)]) / f[(i, 0)]).abs())
            .chain((0..nq.nrows()).map(|i| ((nq[(i, 0)] - q[(i, 0)]) / q[(i, 0)]).abs()))
            .fold(0.0, f64::max);
        f = nf;
        q = nq;
        if change <= tol {
            break;
        }
    }
    let mut fit = vec![None; nc];
    for (a, &c) in cs.iter().enumerate() {
        fit[c] = Some(f[(a, 0)]);
    }
    let mut cx = vec![None; np];
    for (b, &p) in ps.iter().enumerate() {
        cx[p] = Some(q[(b, 0)]);
    }
    (fit, cx, it)
}

/// Exports by (region, sector) from an MRIO table, as the input of complexity on sector data: for node
/// `i = (c, s)`, `X_cs = Σ_{j ∉ c} Z_ij + Σ_{f: destination ∉ c} Y_if`. Returns the exports (regions ×
/// sectors) and whether final demand could be split by destination; when it cannot (icio2022 keeps one
/// final-use column for all destinations), only intermediate exports are counted.
pub fn mrio_exports(t: &sovra_core::Mrio) -> (Exports, bool) {
    let l = &t.labels;
    let (nr, ns) = (l.regions.len(), l.sectors.len());
    let dest = l.fd_destinations();
    let mut values = vec![0.0; nr * ns];
    for (i, v) in values.iter_mut().enumerate() {
        let c = i / ns;
        let row = t.z.row(i);
        let inter: f64 = row
            .iter()
            .enumerate()
            .filter(|(j, _)| j / ns != c)
            .map(|(_, z)| z.max(0.0))
            .sum();
        let fin: f64 = match &dest {
            Some(d) => {
                t.y.row(i)
                    .iter()
                    .zip(d)
                    .filter(|(_, r)| **r != c)
                    .map(|(y, _)| y.max(0.0))
                    .sum()
            }
            None => 0.0,
        };
        *v = inter + fin;
    }
    (
        Exports {
            countries: l.regions.iter().map(|r| r.code.clone()).collect(),
            products: l.sectors.iter().map(|s| s.code.clone()).collect(),
            values,
        },
        dest.is_some(),
    )
}

/// Reads product-level exports in the long format `year,exporter,product,value` (a header line first):
/// one [`Exports`] per year, sorted by year. Bad rows are errors naming the file, the row and the column;
/// a repeated (year, exporter, product) is an error; empty values are zero.
pub fn read_long_csv(text: &str, file: &str) -> Result<Vec<(String, Exports)>> {
    use std::collections::HashMap;
    let bad = |row: usize, column: &str, detail: String| {
        crate::bilateral::cell(file, row, column, &detail)
    };
    let mut lines = text.lines().enumerate();
    let Some((_, head)) = lines.next() else {
        return Err(Error::Invalid(format!("{file}: empty")));
    };
    let cols: Vec<&str> = head.split(',').map(str::trim).collect();
    let want = ["year", "exporter", "product", "value"];
    let pos: Vec<usize> = want
        .iter()
        .map(|w| {
            cols.iter()
                .position(|c| c.eq_ignore_ascii_case(w))
                .ok_or_else(|| {
                    Error::Invalid(format!("{file}: no column '{w}' in the header ({head})"))
                })
        })
        .collect::<Result<_>>()?;
    let width = cols.len();
    // Names are interned per year as borrowed slices; cells are (year, exporter, product, value, row).
    struct Year<'t> {
        name: &'t str,
        exporters: HashMap<&'t str, usize>,
        products: HashMap<&'t str, usize>,
        cells: Vec<(usize, usize, f64, usize)>,
    }
    let mut years: Vec<Year<'_>> = Vec::new();
    let mut year_ix: HashMap<&str, usize> = HashMap::new();
    let mut f: Vec<&str> = Vec::with_capacity(width);
    for (k, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let row = k + 1;
        f.clear();
        f.extend(line.split(',').map(str::trim));
        if f.len() < width {
            return Err(bad(
                row,
                "",
                format!("{} fields, the header has {width}", f.len()),
            ));
        }
        let (y, e, p, v) = (f[pos[0]], f[pos[1]], f[pos[2]], f[pos[3]]);
        for (name, s) in [("year", y), ("exporter", e), ("product", p)] {
            if s.is_empty() {
                return Err(bad(row, name, "empty".into()));
            }
        }
        let v: f64 = if v.is_empty() {
            0.0
        } else {
            v.parse()
                .map_err(|_| bad(row, "value", format!("'{v}' is not a number")))?
        };
        if !v.is_finite() || v < 0.0 {
            return Err(bad(
                row,
                "value",
                format!("{v}: export values must be finite and non-negative"),
            ));
        }
        let yi = *year_ix.entry(y).or_insert_with(|| {
            years.push(Year {
                name: y,
                exporters: HashMap::new(),
                products: HashMap::new(),
                cells: Vec::new(),
            });
            years.len() - 1
        });
        let yr = &mut years[yi];
        let n = yr.exporters.len();
        let ci = *yr.exporters.entry(e).or_insert(n);
        let n = yr.products.len();
        let pi = *yr.products.entry(p).or_insert(n);
        yr.cells.push((ci, pi, v, row));
    }
    years.sort_by(|a, b| a.name.cmp(b.name));
    years
        .into_iter()
        .map(|y| {
            let sorted = |m: &HashMap<&str, usize>| -> (Vec<String>, Vec<usize>) {
                let mut names: Vec<(&str, usize)> = m.iter().map(|(k, v)| (*k, *v)).collect();
                names.sort_unstable();
                let mut to = vec![0; names.len()];
                for (new, (_, old)) in names.iter().enumerate() {
                    to[*old] = new;
                }
                (names.into_iter().map(|(k, _)| k.to_string()).collect(), to)
            };
            let (cs, cmap) = sorted(&y.exporters);
            let (ps, pmap) = sorted(&y.products);
            let np = ps.len();
            let mut values = vec![0.0; cs.len() * np];
            let mut filled = vec![false; cs.len() * np];
            for (ci, pi, v, row) in y.cells {
                let k = cmap[ci] * np + pmap[pi];
                if filled[k] {
                    return Err(bad(
                        row,
                        "product",
                        format!("{} {} {} appears twice", y.name, cs[cmap[ci]], ps[pmap[pi]]),
                    ));
                }
                filled[k] = true;
                values[k] = v;
            }
            Ok((
                y.name.to_string(),
                Exports {
                    countries: cs,
                    products: ps,
                    values,
                },
            ))
        })
        .collect()
}
