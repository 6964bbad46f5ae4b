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
    /// Also return the proximity matrix (products², e.g. 200 MB at 5,000 products); density and COG do
    /// not need it.
    pub proximity: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rca_threshold: 1.0,
            convention: Convention::default(),
            proximity: true,
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
    /// `φ`, products × products, row-major (empty unless [`Options::proximity`]).
    pub proximity: Vec<f64>,
    /// `d_cp`, row-major (`None` where `Σ_p' φ_pp' = 0`).
    pub density: Vec<Option<f64>>,
    /// COI per country.
    pub coi: Vec<Option<f64>>,
    /// COG, row-major.
    pub cog: Vec<Option<f64>>,
}

/// An exporter placed in the product space of a year **without changing it**: a bloc as one exporter.
///
/// Its RCA is `RCA_gp = (X_gp / Σ_q X_gq) / (W'_p / Σ_q W'_q)` with `X_g` its exports to outside itself and
/// `W'_p = Σ_c X_cp − I_p` the world's exports less its internal flows `I_p` (the world as it would be were
/// its members one country); `M_gp = 1` where `RCA_gp ≥ t`. Density and COG follow the formulas of the
/// module doc with its row of `M`, on the proximity and PCI of the countries' own year, which the guest does
/// not move: every country's figures are those of [`compute`].
#[derive(Debug, Clone)]
pub struct Guest {
    /// `X_gp`, its exports of each product to outside itself (indexed like [`Exports::products`]).
    pub exports: Vec<f64>,
    /// `I_p`, flows of each product among its members (part of the countries' exports).
    pub internal: Vec<f64>,
}

/// A guest's figures, indexed by product; `None` where undefined (as in [`Complexity`]).
#[derive(Debug, Clone, Serialize)]
pub struct Placed {
    /// `RCA_gp`.
    pub rca: Vec<Option<f64>>,
    /// `M_gp`.
    pub m: Vec<bool>,
    /// `d_gp`.
    pub density: Vec<Option<f64>>,
    /// `COG_gp` (undefined for a guest without any `M = 1`, as for a country).
    pub cog: Vec<Option<f64>>,
}

/// Computes every measure for one year.
pub fn compute(x: &Exports, o: &Options) -> Result<Complexity> {
    compute_with_guests(x, o, &[]).map(|(c, _)| c)
}

/// [`compute`], and the figures of each [`Guest`] placed in the year's product space.
pub fn compute_with_guests(
    x: &Exports,
    o: &Options,
    guests: &[Guest],
) -> Result<(Complexity, Vec<Placed>)> {
    let (nc, np) = (x.countries.len(), x.products.len());
    for (k, g) in guests.iter().enumerate() {
        if g.exports.len() != np || g.internal.len() != np {
            return Err(Error::Invalid(format!(
                "guest exporter {k}: {} exports and {} internal flows for {np} products",
                g.exports.len(),
                g.internal.len()
            )));
        }
        if let Some(v) = g
            .exports
            .iter()
            .chain(&g.internal)
            .find(|v| !v.is_finite() || **v < 0.0)
        {
            return Err(Error::Invalid(format!(
                "guest exporter {k}: a value is {v} (must be finite and non-negative)"
            )));
        }
    }
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
    if !(sd.is_finite() && sd > 1e-12 * mean.abs().max(1e-300)) {
        return Err(Error::Invalid(format!(
            "ECI is undefined: the {kn} countries with a revealed comparative advantage all have the same \
             product mix (no variation to rank; second eigenvalue {eigenvalue:.4})"
        )));
    }
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
    // Proximity φ_pq = C_pq / max(u_p, u_q), with C = MᵀM the co-occurrence counts: returned when asked.
    // Density and COG below never form it.
    let proximity = if o.proximity {
        proximity_matrix(&m, nc, np, &ubiquity)
    } else {
        Vec::new()
    };
    // φ_pp = 1 wherever u_p > 0; Stata leaves the product itself out of density and COG.
    let diag: Vec<f64> = (0..np)
        .map(|p| {
            if o.convention == Convention::Stata && ubiquity[p] > 0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let sweep = ProximitySweep::new(&m, nc, np, &ubiquity);
    let sums = sweep.column_sums();
    let phi_sum: Vec<f64> = (0..np).map(|p| sums[p] - diag[p]).collect();
    // COG's weights: w_p = kp_p / Σ_r φ'_pr (0 where there is no kp).
    let w: Vec<f64> = (0..np)
        .map(|p| match kp_full[p] {
            Some(k) if phi_sum[p] > 0.0 => k / phi_sum[p],
            _ => 0.0,
        })
        .collect();
    let guest_rcas: Vec<Vec<Option<f64>>> =
        guests.iter().map(|g| guest_rca(g, &col, total)).collect();
    let guest_m: Vec<Vec<bool>> = guest_rcas
        .iter()
        .map(|rca| {
            rca.iter()
                .map(|r| r.is_some_and(|v| v >= o.rca_threshold))
                .collect()
        })
        .collect();
    let ng = guests.len();
    // Density's numerators (M φ)_cp and COG's sums (((1 − M) ∘ w) φ)_cq: one left operand [M; (1 − M) ∘ w],
    // the guests' rows of M appended to the countries' (rows r ≥ nc of each half).
    let rows = nc + ng;
    let has = |r: usize, q: usize| {
        if r < nc {
            m[r * np + q]
        } else {
            guest_m[r - nc][q]
        }
    };
    let both = sweep.times(2 * rows, |r, q| match (r < rows, has(r % rows, q)) {
        (true, has) => f64::from(u8::from(has)),
        (false, true) => 0.0,
        (false, false) => w[q],
    });
    let num = |c: usize, p: usize| both[c * np + p];
    let gain = |c: usize, p: usize| both[(rows + c) * np + p];
    let active_p: Vec<bool> = (0..np).map(|p| col[p] > 0.0).collect();
    let mut density = vec![None; nc * np];
    for c in (0..nc).filter(|&c| row[c] > 0.0) {
        for p in (0..np).filter(|&p| active_p[p]) {
            let n = num(c, p) - if m[c * np + p] { diag[p] } else { 0.0 };
            density[c * np + p] = Some(if phi_sum[p] > 0.0 {
                n / phi_sum[p]
            } else {
                0.0
            });
        }
    }
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
                (gain(c, q) - w[q] * diag[q]) / sd
            });
        }
    }
    // The guests: the same formulas on their rows (index nc + k of `both`).
    let placed = guests
        .iter()
        .zip(guest_rcas.into_iter().zip(guest_m))
        .enumerate()
        .map(|(k, (g, (rca, gm)))| {
            let r = nc + k;
            let exports: f64 = g.exports.iter().sum();
            let any = gm.iter().any(|b| *b);
            let density = (0..np)
                .map(|p| {
                    (exports > 0.0 && active_p[p]).then(|| {
                        let n = num(r, p) - if gm[p] { diag[p] } else { 0.0 };
                        if phi_sum[p] > 0.0 {
                            n / phi_sum[p]
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            let cog = (0..np)
                .map(|q| {
                    (any && active_p[q]).then(|| {
                        if gm[q] {
                            0.0
                        } else {
                            (gain(r, q) - w[q] * diag[q]) / sd
                        }
                    })
                })
                .collect();
            Placed {
                rca,
                m: gm,
                density,
                cog,
            }
        })
        .collect();
    Ok((
        Complexity {
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
        },
        placed,
    ))
}

/// A guest's RCA against the world less its internal flows (`None` where it or the product exports nothing).
fn guest_rca(g: &Guest, col: &[f64], total: f64) -> Vec<Option<f64>> {
    let exports: f64 = g.exports.iter().sum();
    let world = total - g.internal.iter().sum::<f64>();
    col.iter()
        .zip(&g.exports)
        .zip(&g.internal)
        .map(|((c, x), i)| {
            let world_p = c - i;
            (exports > 0.0 && world_p > 0.0 && world > 0.0)
                .then(|| (x / exports) / (world_p / world))
        })
        .collect()
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

/// The proximity matrix `φ_pq = C_pq / max(u_p, u_q)` (0 where both ubiquities are 0), products × products,
/// row-major; the co-occurrence counts `C_pq = Σ_c M_cp M_cq` are popcounts of the products' country bitsets.
fn proximity_matrix(m: &[bool], nc: usize, np: usize, ubiquity: &[usize]) -> Vec<f64> {
    let words = nc.div_ceil(64);
    let mut bits = vec![0u64; np * words];
    for c in 0..nc {
        for p in 0..np {
            if m[c * np + p] {
                bits[p * words + c / 64] |= 1 << (c % 64);
            }
        }
    }
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
    proximity
}

/// Products times proximity without forming the proximity matrix.
///
/// For any left operand `L` (rows × products), `(L φ)_rp = Σ_q L_rq Σ_c M_cq M_cp / max(u_q, u_p)`. With
/// the products grouped by ubiquity, for `p` of ubiquity `θ` this is `Σ_c M_cp T_rc(θ)`, where
/// `T(θ) = Σ_{ℓ≥θ} Δ_ℓ / ℓ + (Σ_{ℓ<θ} Δ_ℓ) / θ` and `Δ_ℓ = L_ℓ M_ℓᵀ` over the products of ubiquity `ℓ`.
/// Ubiquity takes at most (countries + 1) values, so two sweeps over the levels — one up for the `ℓ < θ`
/// part, one down for the `ℓ ≥ θ` part — cost `4 · rows · countries · products` multiply-adds in small
/// dense products, instead of `rows · products²` for `L φ`. Every sum is of the same terms as `L φ`, so the
/// result agrees with it to rounding.
struct ProximitySweep {
    /// Products with a positive ubiquity, by ubiquity.
    order: Vec<usize>,
    /// `(start, end, ubiquity)` of each level in `order`.
    levels: Vec<(usize, usize, f64)>,
    /// `Mᵀ` with the rows of `order` (products in order × countries).
    mo_t: Mat<f64>,
    np: usize,
}

impl ProximitySweep {
    fn new(m: &[bool], nc: usize, np: usize, ubiquity: &[usize]) -> Self {
        let mut order: Vec<usize> = (0..np).filter(|&p| ubiquity[p] > 0).collect();
        order.sort_by_key(|&p| ubiquity[p]);
        let mut levels = Vec::new();
        let mut s = 0;
        while s < order.len() {
            let u = ubiquity[order[s]];
            let e = s + order[s..].partition_point(|&p| ubiquity[p] == u);
            levels.push((s, e, u as f64));
            s = e;
        }
        // Built as its transpose (products in order × countries), so that each country's row of `m` is
        // read in one place; used through a transposed view.
        let mo_t = Mat::<f64>::from_fn(order.len(), nc, |k, c| {
            f64::from(u8::from(m[c * np + order[k]]))
        });
        ProximitySweep {
            order,
            levels,
            mo_t,
            np,
        }
    }

    /// `Σ_q φ_qp` for every product: the sweep with a left operand of ones, per country. With
    /// `a_c(θ) = Σ_{q: u_q ≥ θ} M_cq / u_q` and `b_c(θ) = Σ_{q: u_q < θ} M_cq`,
    /// `Σ_q φ_qp = Σ_c M_cp (a_c(u_p) + b_c(u_p) / u_p)`.
    fn column_sums(&self) -> Vec<f64> {
        let mo = self.mo_t.transpose();
        let (nc, nl) = (mo.nrows(), self.levels.len());
        // Per level and country: a (levels at or above) and b (levels below).
        let mut a = vec![0.0; nl * nc];
        let mut b = vec![0.0; nl * nc];
        for c in 0..nc {
            let count = |s: usize, e: usize| (s..e).map(|k| mo[(c, k)]).sum::<f64>();
            let mut below = 0.0;
            for (l, &(s, e, _)) in self.levels.iter().enumerate() {
                b[l * nc + c] = below;
                below += count(s, e);
            }
            let mut above = 0.0;
            for (l, &(s, e, u)) in self.levels.iter().enumerate().rev() {
                above += count(s, e) / u;
                a[l * nc + c] = above;
            }
        }
        let mut sums = vec![0.0; self.np];
        for (l, &(s, e, u)) in self.levels.iter().enumerate() {
            for k in s..e {
                sums[self.order[k]] = (0..nc)
                    .filter(|&c| mo[(c, k)] != 0.0)
                    .map(|c| a[l * nc + c] + b[l * nc + c] / u)
                    .sum();
            }
        }
        sums
    }

    /// `L φ` for the left operand `left(r, q)` (`rows` × products), row-major.
    fn times(&self, rows: usize, left: impl Fn(usize, usize) -> f64 + Sync) -> Vec<f64> {
        use faer::linalg::matmul::matmul;
        use faer::{Accum, Par};
        let mo = self.mo_t.transpose();
        let (nc, n) = (mo.nrows(), self.order.len());
        // `L` with the products in order, built as its transpose (each row of `L` read in one place).
        let lo_t = Mat::<f64>::from_fn(n, rows, |k, r| left(r, self.order[k]));
        let lo = lo_t.transpose();
        // Rows are independent: blocks of rows run the two sweeps in parallel.
        // As many blocks as threads: few, large products (each call has a fixed cost).
        let block = rows.div_ceil(rayon::current_num_threads().max(1)).max(1);
        let blocks: Vec<Mat<f64>> = (0..rows)
            .step_by(block)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|r0| {
                let rb = block.min(rows - r0);
                let lb = lo.subrows(r0, rb);
                let mut out = Mat::<f64>::zeros(rb, n);
                let mut acc = Mat::<f64>::zeros(rb, nc);
                // Up: out_θ = (Σ_{ℓ<θ} Δ_ℓ) M_θ / θ.
                for &(s, e, u) in &self.levels {
                    let mt = mo.subcols(s, e - s);
                    matmul(
                        out.as_mut().subcols_mut(s, e - s),
                        Accum::Replace,
                        acc.as_ref(),
                        mt,
                        1.0 / u,
                        Par::Seq,
                    );
                    matmul(
                        acc.as_mut(),
                        Accum::Add,
                        lb.subcols(s, e - s),
                        mt.transpose(),
                        1.0,
                        Par::Seq,
                    );
                }
                // Down: out_θ += (Σ_{ℓ≥θ} Δ_ℓ / ℓ) M_θ.
                acc.fill(0.0);
                for &(s, e, u) in self.levels.iter().rev() {
                    let mt = mo.subcols(s, e - s);
                    matmul(
                        acc.as_mut(),
                        Accum::Add,
                        lb.subcols(s, e - s),
                        mt.transpose(),
                        1.0 / u,
                        Par::Seq,
                    );
                    matmul(
                        out.as_mut().subcols_mut(s, e - s),
                        Accum::Add,
                        acc.as_ref(),
                        mt,
                        1.0,
                        Par::Seq,
                    );
                }
                out
            })
            .collect();
        let np = self.np;
        let mut full = vec![0.0; rows * np];
        for (b, out) in blocks.iter().enumerate() {
            for (k, &p) in self.order.iter().enumerate() {
                for (r, v) in out.col(k).iter().enumerate() {
                    full[(b * block + r) * np + p] = *v;
                }
            }
        }
        full
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
pub fn read_long_csv<'t>(text: &'t str, file: &str) -> Result<Vec<(String, Exports)>> {
    type HashMap<K, V> = crate::intern::FxHashMap<K, V>;
    let bad = |row: usize, column: &str, detail: String| {
        crate::bilateral::cell(file, row, column, &detail)
    };
    let (head, body) = text.split_once('\n').unwrap_or((text, ""));
    let head = head.trim_end_matches('\r');
    if head.trim().is_empty() {
        return Err(Error::Invalid(format!("{file}: empty")));
    }
    let cols: Vec<&str> = head.split(',').map(str::trim).collect();
    let want = ["year", "exporter", "product", "value"];
    let pos: Vec<usize> = want
        .iter()
        .map(|w| {
            cols.iter()
                .position(|c| c.eq_ignore_ascii_case(w))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{file}: no column '{w}' in the header ({})",
                        sovra_core::read::excerpt(head, 120)
                    ))
                })
        })
        .collect::<Result<_>>()?;
    let width = cols.len();
    // Names are interned per year as borrowed slices; cells are (exporter, product, value, row).
    #[derive(Default)]
    struct Year<'t> {
        name: &'t str,
        exporters: HashMap<&'t str, usize>,
        products: HashMap<&'t str, usize>,
        cells: Vec<(usize, usize, f64, usize)>,
    }
    // One chunk of lines, starting at file row `first`: its years, interned locally.
    let parse = |chunk: &'t str, first: usize| -> Result<Vec<Year<'t>>> {
        let mut years: Vec<Year<'t>> = Vec::new();
        let mut year_ix: HashMap<&'t str, usize> = HashMap::default();
        // Files are usually sorted by year and exporter: remember the last ones.
        let mut last: Option<(&'t str, usize, &'t str, usize)> = None;
        // The previous exporter's products in file order (with their indices), this one's so far, and the
        // position in the previous sequence: a matching code needs no hash lookup.
        let mut prev: Vec<(&'t str, usize)> = Vec::new();
        let mut seq: Vec<(&'t str, usize)> = Vec::new();
        let mut at = 0;
        let mut f: Vec<&'t str> = Vec::with_capacity(width);
        for (k, line) in chunk.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let row = first + k;
            f.clear();
            let mut start = 0;
            for (i, &b) in line.as_bytes().iter().enumerate() {
                if b == b',' {
                    f.push(line[start..i].trim_ascii());
                    start = i + 1;
                }
            }
            f.push(line[start..].trim_ascii());
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
            if v > crate::bilateral::MAX_VALUE {
                return Err(bad(
                    row,
                    "value",
                    format!(
                        "{v:e} is implausibly large (over {:e}): check the column and the unit — sums of such \
                         values would overflow",
                        crate::bilateral::MAX_VALUE
                    ),
                ));
            }
            let (yi, ci) = match last {
                Some((ly, yi, le, ci)) if ly == y && le == e => (yi, ci),
                _ => {
                    let yi = *year_ix.entry(y).or_insert_with(|| {
                        years.push(Year {
                            name: y,
                            // About one cell per 20 bytes of a long file: no regrowth on the way.
                            cells: Vec::with_capacity(chunk.len() / 20 + 16),
                            ..Default::default()
                        });
                        years.len() - 1
                    });
                    let ex = &mut years[yi].exporters;
                    let n = ex.len();
                    let ci = *ex.entry(e).or_insert(n);
                    // A new exporter: its products usually come in the previous one's order.
                    if last.is_some_and(|(ly, ..)| ly == y) {
                        prev = std::mem::take(&mut seq);
                    } else {
                        prev.clear();
                        seq.clear();
                    }
                    at = 0;
                    last = Some((y, yi, e, ci));
                    (yi, ci)
                }
            };
            let yr = &mut years[yi];
            let pi = match prev.get(at) {
                Some(&(q, i)) if q == p => i,
                _ => {
                    let n = yr.products.len();
                    *yr.products.entry(p).or_insert(n)
                }
            };
            at += 1;
            seq.push((p, pi));
            yr.cells.push((ci, pi, v, row));
        }
        Ok(years)
    };
    // Chunks of whole lines, parsed in parallel; the first error in file order wins.
    let pieces = (rayon::current_num_threads() * 4).max(1);
    let mut bounds: Vec<&'t str> = Vec::with_capacity(pieces);
    let mut rest = body;
    while !rest.is_empty() {
        let target = (body.len() / pieces).max(1 << 16).min(rest.len());
        let cut = rest[target..]
            .find('\n')
            .map_or(rest.len(), |i| target + i + 1);
        let (chunk, tail) = rest.split_at(cut);
        bounds.push(chunk);
        rest = tail;
    }
    let newlines: Vec<usize> = bounds
        .par_iter()
        .map(|c| c.bytes().filter(|&b| b == b'\n').count())
        .collect();
    let firsts = newlines.iter().scan(2, |row, n| {
        let first = *row;
        *row += n;
        Some(first)
    });
    let chunks: Vec<(&'t str, usize)> = bounds.iter().copied().zip(firsts).collect();
    let parsed: Vec<Vec<Year<'t>>> = chunks
        .par_iter()
        .map(|&(c, first)| parse(c, first))
        .collect::<Result<_>>()?;
    // Every year's names over all chunks, sorted; then each chunk's local indices map straight to them.
    let mut names: std::collections::BTreeMap<&'t str, (Vec<&'t str>, Vec<&'t str>)> =
        Default::default();
    for y in parsed.iter().flatten() {
        let e = names.entry(y.name).or_default();
        e.0.extend(y.exporters.keys());
        e.1.extend(y.products.keys());
    }
    names
        .into_iter()
        .map(|(year, (mut cs, mut ps))| {
            cs.sort_unstable();
            cs.dedup();
            ps.sort_unstable();
            ps.dedup();
            let np = ps.len();
            let mut values = vec![0.0; cs.len() * np];
            let mut filled = vec![false; cs.len() * np];
            for y in parsed.iter().flatten().filter(|y| y.name == year) {
                let to = |m: &HashMap<&'t str, usize>, sorted: &[&'t str]| {
                    let mut to = vec![0; m.len()];
                    for (name, &i) in m {
                        to[i] = sorted.binary_search(name).unwrap_or_default();
                    }
                    to
                };
                let (ce, cp) = (to(&y.exporters, &cs), to(&y.products, &ps));
                for &(ci, pi, v, row) in &y.cells {
                    let k = ce[ci] * np + cp[pi];
                    if filled[k] {
                        return Err(bad(
                            row,
                            "product",
                            format!("{year} {} {} appears twice", cs[ce[ci]], ps[cp[pi]]),
                        ));
                    }
                    filled[k] = true;
                    values[k] = v;
                }
            }
            Ok((
                year.to_string(),
                Exports {
                    countries: cs.into_iter().map(String::from).collect(),
                    products: ps.into_iter().map(String::from).collect(),
                    values,
                },
            ))
        })
        .collect()
}
