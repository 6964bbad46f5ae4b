//! Where an importer is dependent, product by product: the dependency screen of CEPII's GeoDep and of the
//! European Commission's SWD(2021) 352 ("Strategic dependencies and capacities"), on bilateral trade.
//!
//! For an importer `I` (a country, or a bloc whose internal trade is left out), a product `p` and a year `t`,
//! with `v(e, j, p, t)` the value exported by `e` to `j`:
//!
//! - imports `M = Σ_{e∉I} Σ_{j∈I} v(e, j)`; exports `X = Σ_{e∈I} Σ_{j∉I} v(e, j)`;
//! - **import concentration** `HHI_M = Σ_{e∉I} (m_e / M)²`, `m_e = Σ_{j∈I} v(e, j)` (criterion: > 0.4);
//! - **world export concentration** `HHI_W = Σ_e (w_e / W)²`, `w_e = Σ_{j≠e} v(e, j)` over all exporters of
//!   the world (criterion: > 0.4);
//! - **import/export ratio** `M / X`, 9999 when `X = 0` (criterion: > 1);
//! - the share of imports from a named bloc `B` (reported, not a criterion);
//! - a product is **dependent** in a year when all three criteria hold, and **persistently dependent** when it
//!   is dependent in at least 2 of the 3 consecutive years ending in that year (only years present in the
//!   data count; with fewer than 3 years, in at least 2 of them, or in the one year when there is one).
//!
//! Thresholds are [`Thresholds`]; the method is written out in `docs/indicators.md`.

use std::collections::BTreeMap;

use serde::Serialize;

/// Bilateral trade rows: indices into the country and product lists.
#[derive(Debug, Clone, Default)]
pub struct Bilateral {
    /// Country codes.
    pub countries: Vec<String>,
    /// Product codes.
    pub products: Vec<String>,
    /// `(year, exporter, importer, product, value)`.
    pub rows: Vec<(i32, u32, u32, u32, f64)>,
}

/// The screen's thresholds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Thresholds {
    /// Import concentration above this.
    pub hhi_imports: f64,
    /// World export concentration above this.
    pub hhi_world: f64,
    /// Imports / exports above this.
    pub ratio: f64,
    /// Dependent in at least this many of the last `window` years.
    pub persistence: usize,
    /// The window of consecutive years.
    pub window: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            hhi_imports: 0.4,
            hhi_world: 0.4,
            ratio: 1.0,
            persistence: 2,
            window: 3,
        }
    }
}

/// One product in one year.
#[derive(Debug, Clone, Serialize)]
pub struct Screened {
    /// Year.
    pub year: i32,
    /// Product index.
    pub product: usize,
    /// Imports of the importer from outside it.
    pub imports: f64,
    /// Exports of the importer to outside it.
    pub exports: f64,
    /// `HHI_M`.
    pub hhi_imports: f64,
    /// `HHI_W`.
    pub hhi_world: f64,
    /// `M / X` (9999 when `X = 0`).
    pub ratio: f64,
    /// Share of imports from the named bloc, when one was given.
    pub share_from_bloc: Option<f64>,
    /// Largest supplier (country index) and its share of imports.
    pub top_supplier: Option<(usize, f64)>,
    /// All three criteria hold this year.
    pub dependent: bool,
    /// Dependent in at least `persistence` of the `window` consecutive years ending here.
    pub persistent: bool,
}

/// Membership of `n` countries in a set of country indices.
pub fn mask(n: usize, set: &[usize]) -> Vec<bool> {
    let mut m = vec![false; n];
    set.iter().for_each(|&c| m[c] = true);
    m
}

/// The sums the screen of one importer needs for one (year, product): what it buys from each exporter
/// outside it (`m_e`, by country index), what it sells outside itself (`X`), and the world export
/// concentration `HHI_W`.
#[derive(Debug, Clone, Default)]
pub struct ImporterSums {
    /// `m_e = Σ_{j∈I} v(e, j)`, `e ∉ I`.
    pub from: BTreeMap<u32, f64>,
    /// `X`.
    pub exports: f64,
    /// `HHI_W`.
    pub hhi_world: f64,
}

/// `Σ (v / Σv)²` over a map's values (0 when they sum to 0).
fn hhi(m: &BTreeMap<u32, f64>) -> f64 {
    let tot: f64 = m.values().sum();
    if tot > 0.0 {
        m.values().map(|v| (v / tot).powi(2)).sum()
    } else {
        0.0
    }
}

/// Screens every product the importer imports. `importer` and `bloc` are sets of country indices (the bloc
/// may be empty: no share reported).
pub fn screen(b: &Bilateral, importer: &[usize], bloc: &[usize], th: &Thresholds) -> Vec<Screened> {
    let nc = b.countries.len();
    let is_i = mask(nc, importer);
    #[derive(Default)]
    struct Acc {
        from: BTreeMap<u32, f64>,
        exports: f64,
        world: BTreeMap<u32, f64>,
    }
    let mut acc: BTreeMap<(i32, u32), Acc> = BTreeMap::new();
    for &(t, e, j, p, v) in &b.rows {
        if e == j || v <= 0.0 {
            continue;
        }
        let a = acc.entry((t, p)).or_default();
        *a.world.entry(e).or_default() += v;
        let (ie, ij) = (is_i[e as usize], is_i[j as usize]);
        if ij && !ie {
            *a.from.entry(e).or_default() += v;
        } else if ie && !ij {
            a.exports += v;
        }
    }
    let sums = acc
        .into_iter()
        .map(|(k, a)| {
            let hhi_world = hhi(&a.world);
            (
                k,
                ImporterSums {
                    from: a.from,
                    exports: a.exports,
                    hhi_world,
                },
            )
        })
        .collect();
    screen_sums(sums, nc, bloc, &years_of(b), th)
}

/// The screen from its sums per (year, product) (see [`screen`]): `nc` countries, the named `bloc` (may be
/// empty), the `years` the data holds (for persistence).
pub fn screen_sums(
    sums: BTreeMap<(i32, u32), ImporterSums>,
    nc: usize,
    bloc: &[usize],
    years: &[i32],
    th: &Thresholds,
) -> Vec<Screened> {
    let is_b = mask(nc, bloc);
    let mut out: Vec<Screened> = sums
        .into_iter()
        .filter(|(_, a)| !a.from.is_empty())
        .map(|((t, p), a)| {
            let imports: f64 = a.from.values().sum();
            let ratio = if a.exports > 0.0 {
                imports / a.exports
            } else {
                9999.0
            };
            let (hm, hw) = (hhi(&a.from), a.hhi_world);
            let top = a
                .from
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map(|(e, v)| (*e as usize, v / imports));
            let share = (!bloc.is_empty()).then(|| {
                a.from
                    .iter()
                    .filter(|(e, _)| is_b[**e as usize])
                    // A fold from +0: `sum` of no values is −0, printed as "-0".
                    .fold(0.0, |s, (_, v)| s + v)
                    / imports
            });
            Screened {
                year: t,
                product: p as usize,
                imports,
                exports: a.exports,
                hhi_imports: hm,
                hhi_world: hw,
                ratio,
                share_from_bloc: share,
                top_supplier: top,
                dependent: hm > th.hhi_imports && hw > th.hhi_world && ratio > th.ratio,
                persistent: false,
            }
        })
        .collect();
    mark_persistence(&mut out, years, th);
    out
}

/// One possible supplier of a product to an importer.
#[derive(Debug, Clone, Serialize)]
pub struct Supplier {
    /// Exporter (country index).
    pub exporter: usize,
    /// Its exports of the product to everyone else, `w_e = Σ_{j≠e} v(e, j)`.
    pub world_exports: f64,
    /// Its share of world exports of the product.
    pub world_share: f64,
    /// Its revealed comparative advantage in the product (Balassa, on world exports).
    pub rca: f64,
    /// What it already sells the importer.
    pub to_importer: f64,
    /// What it sells elsewhere: room to redirect.
    pub elsewhere: f64,
}

/// The sums [`suppliers`] ranks by, for one product in one year, per country index: exports of every
/// product (`Σ_{j≠e} v(e, j)`, for RCA) and the world's total, exports of the product and sales of it to the
/// importer.
#[derive(Debug, Clone, Default)]
pub struct SupplySums {
    /// Exports of all products, per country.
    pub total: Vec<f64>,
    /// The world's exports of all products.
    pub world_all: f64,
    /// Exports of the product, per country.
    pub product: Vec<f64>,
    /// Sales of the product to the importer, per country.
    pub to_importer: Vec<f64>,
}

/// Alternative suppliers of product `p` to the importer in year `t`: every exporter outside the importer,
/// ranked by world export share; `partners` (if non-empty) restricts them to a bloc.
pub fn suppliers(
    b: &Bilateral,
    importer: &[usize],
    partners: &[usize],
    year: i32,
    p: usize,
) -> Vec<Supplier> {
    let nc = b.countries.len();
    let is_i = mask(nc, importer);
    let mut s = SupplySums {
        total: vec![0.0; nc],
        world_all: 0.0,
        product: vec![0.0; nc],
        to_importer: vec![0.0; nc],
    };
    for &(t, e, j, q, v) in &b.rows {
        if t != year || e == j {
            continue;
        }
        s.total[e as usize] += v;
        s.world_all += v;
        if q as usize == p {
            s.product[e as usize] += v;
            if is_i[j as usize] {
                s.to_importer[e as usize] += v;
            }
        }
    }
    suppliers_sums(&s, importer, partners)
}

/// [`suppliers`] from its sums.
pub fn suppliers_sums(s: &SupplySums, importer: &[usize], partners: &[usize]) -> Vec<Supplier> {
    let nc = s.total.len();
    let is_i = mask(nc, importer);
    let w = &s.product;
    let world_p: f64 = w.iter().sum();
    let mut out: Vec<Supplier> = (0..nc)
        .filter(|&e| !is_i[e] && w[e] > 0.0 && (partners.is_empty() || partners.contains(&e)))
        .map(|e| Supplier {
            exporter: e,
            world_exports: w[e],
            world_share: w[e] / world_p,
            rca: (w[e] / s.total[e]) / (world_p / s.world_all),
            to_importer: s.to_importer[e],
            elsewhere: w[e] - s.to_importer[e],
        })
        .collect();
    out.sort_by(|a, b| b.world_share.total_cmp(&a.world_share));
    out
}

/// What an importer buys of each product from a set of exporters ("them"), and what each candidate could
/// supply instead: [`suppliers`]' figures for every product at once (the HS6 coverage of `sovra alliances`).
#[derive(Debug, Clone, Serialize)]
pub struct Cover {
    /// `M_p = Σ_{e∈them} Σ_{j∈importer, j≠e} v(e, j, p)`, per product index.
    pub imports: Vec<f64>,
    /// One per candidate, in the order given.
    pub candidates: Vec<CandidateCover>,
}

/// One candidate supplier's figures in [`Cover`], per product index.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateCover {
    /// Exporter (country index).
    pub exporter: usize,
    /// [`Supplier::world_exports`]: `w_e = Σ_{j≠e} v(e, j, p)`.
    pub world_exports: Vec<f64>,
    /// [`Supplier::to_importer`]: `Σ_{j∈importer, j≠e} v(e, j, p)`.
    pub to_importer: Vec<f64>,
}

/// [`Cover`] in year `t`, in one pass over the rows: the imports of `importer` from `them` per product and,
/// for each candidate, the world exports and sales to the importer that [`suppliers`] reports for one product
/// (the same sums). Candidates that are in the importer are the caller's to leave out.
pub fn cover(
    b: &Bilateral,
    importer: &[usize],
    them: &[usize],
    candidates: &[usize],
    year: i32,
) -> Cover {
    let (nc, np) = (b.countries.len(), b.products.len());
    let (is_i, is_t) = (mask(nc, importer), mask(nc, them));
    // The candidate's slot, for each country.
    let mut slot = vec![usize::MAX; nc];
    candidates
        .iter()
        .enumerate()
        .for_each(|(k, &c)| slot[c] = k);
    let mut imports = vec![0.0; np];
    let mut out: Vec<CandidateCover> = candidates
        .iter()
        .map(|&c| CandidateCover {
            exporter: c,
            world_exports: vec![0.0; np],
            to_importer: vec![0.0; np],
        })
        .collect();
    for &(t, e, j, p, v) in &b.rows {
        if t != year || e == j {
            continue;
        }
        let (e, j, p) = (e as usize, j as usize, p as usize);
        if is_t[e] && is_i[j] {
            imports[p] += v;
        }
        if slot[e] != usize::MAX {
            let c = &mut out[slot[e]];
            c.world_exports[p] += v;
            if is_i[j] {
                c.to_importer[p] += v;
            }
        }
    }
    Cover {
        imports,
        candidates: out,
    }
}

/// Exports by exporter × product in one year (`Σ_{j≠e} v(e, j)`), the input of complexity on bilateral data.
pub fn exports_of_year(b: &Bilateral, year: i32) -> crate::complexity::Exports {
    let (nc, np) = (b.countries.len(), b.products.len());
    let mut values = vec![0.0; nc * np];
    for &(t, e, j, p, v) in &b.rows {
        if t == year && e != j {
            values[e as usize * np + p as usize] += v;
        }
    }
    crate::complexity::Exports {
        countries: b.countries.clone(),
        products: b.products.clone(),
        values,
    }
}

/// The screen for every country as importer at once (countries on their own, not blocs): the same numbers
/// as [`screen`] with `importer = [j]`, from three parallel sorts of the rows instead of one pass per
/// importer. Returns, per importer, its screened products (all years), in the order of the importer index.
pub fn screen_each(b: &Bilateral, th: &Thresholds) -> Vec<Vec<Screened>> {
    use rayon::prelude::*;
    let nc = b.countries.len();
    let rows: Vec<(i32, u32, u32, u32, f64)> = b
        .rows
        .iter()
        .copied()
        .filter(|r| r.1 != r.2 && r.4 > 0.0)
        .collect();
    // World export concentration per (year, product): sort by (t, p, e).
    let mut by_p = rows.clone();
    by_p.par_sort_unstable_by_key(|r| (r.0, r.3, r.1));
    let mut hhi_w: std::collections::HashMap<(i32, u32), f64> = Default::default();
    for g in by_p.chunk_by(|a, b| a.0 == b.0 && a.3 == b.3) {
        let tot: f64 = g.iter().map(|r| r.4).sum();
        let h: f64 = g
            .chunk_by(|a, b| a.1 == b.1)
            .map(|e| (e.iter().map(|r| r.4).sum::<f64>() / tot).powi(2))
            .sum();
        hhi_w.insert((g[0].0, g[0].3), h);
    }
    drop(by_p);
    // Exports per (year, exporter, product).
    let mut exports: std::collections::HashMap<(i32, u32, u32), f64> = Default::default();
    for r in &rows {
        *exports.entry((r.0, r.1, r.3)).or_default() += r.4;
    }
    // Imports per (year, importer, product), by exporter: sort by (j, t, p, e).
    let mut by_j = rows;
    by_j.par_sort_unstable_by_key(|r| (r.2, r.0, r.3, r.1));
    let mut sums = Vec::new();
    for g in by_j.chunk_by(|a, b| a.2 == b.2 && a.0 == b.0 && a.3 == b.3) {
        let (t, j, p) = (g[0].0, g[0].2, g[0].3);
        let imports: f64 = g.iter().map(|r| r.4).sum();
        let mut hm = 0.0;
        let mut top = (0usize, 0.0f64);
        for e in g.chunk_by(|a, b| a.1 == b.1) {
            let m: f64 = e.iter().map(|r| r.4).sum();
            hm += (m / imports).powi(2);
            if m > top.1 {
                top = (e[0].1 as usize, m);
            }
        }
        sums.push(EachSums {
            year: t,
            importer: j,
            product: p,
            imports,
            hhi_imports: hm,
            top,
            exports: exports.get(&(t, j, p)).copied().unwrap_or(0.0),
            hhi_world: hhi_w.get(&(t, p)).copied().unwrap_or(0.0),
        });
    }
    screen_each_sums(sums, nc, &years_of(b), th)
}

/// The sums of [`screen_each`] for one (year, importer, product).
#[derive(Debug, Clone)]
pub struct EachSums {
    /// Year.
    pub year: i32,
    /// Importer (country index).
    pub importer: u32,
    /// Product index.
    pub product: u32,
    /// `M`.
    pub imports: f64,
    /// `HHI_M`.
    pub hhi_imports: f64,
    /// The largest supplier and what it sells.
    pub top: (usize, f64),
    /// `X`.
    pub exports: f64,
    /// `HHI_W`.
    pub hhi_world: f64,
}

/// [`screen_each`] from its sums: `nc` countries, the `years` the data holds (for persistence).
pub fn screen_each_sums(
    sums: Vec<EachSums>,
    nc: usize,
    years: &[i32],
    th: &Thresholds,
) -> Vec<Vec<Screened>> {
    use rayon::prelude::*;
    let mut out: Vec<Vec<Screened>> = vec![Vec::new(); nc];
    for s in sums {
        let ratio = if s.exports > 0.0 {
            s.imports / s.exports
        } else {
            9999.0
        };
        let (hm, hw) = (s.hhi_imports, s.hhi_world);
        out[s.importer as usize].push(Screened {
            year: s.year,
            product: s.product as usize,
            imports: s.imports,
            exports: s.exports,
            hhi_imports: hm,
            hhi_world: hw,
            ratio,
            share_from_bloc: None,
            top_supplier: Some((s.top.0, s.top.1 / s.imports)),
            dependent: hm > th.hhi_imports && hw > th.hhi_world && ratio > th.ratio,
            persistent: false,
        });
    }
    out.par_iter_mut()
        .for_each(|v| mark_persistence(v, years, th));
    out
}

/// The years present in the data, sorted.
pub fn years_of(b: &Bilateral) -> Vec<i32> {
    let mut years: Vec<i32> = b.rows.iter().map(|r| r.0).collect();
    years.sort_unstable();
    years.dedup();
    years
}

/// Marks each screened product persistent when it is dependent in at least `th.persistence` of the
/// `th.window` consecutive years (of those present) ending in its year — fewer when fewer years exist.
fn mark_persistence(v: &mut [Screened], years: &[i32], th: &Thresholds) {
    let dep: std::collections::HashSet<(i32, usize)> = v
        .iter()
        .filter(|s| s.dependent)
        .map(|s| (s.year, s.product))
        .collect();
    for s in v.iter_mut() {
        let k = years.iter().position(|y| *y == s.year).unwrap_or(0);
        let window = &years[(k + 1).saturating_sub(th.window)..=k];
        let need = th.persistence.min(window.len()).max(1);
        s.persistent = window
            .iter()
            .filter(|y| dep.contains(&(**y, s.product)))
            .count()
            >= need;
    }
}
