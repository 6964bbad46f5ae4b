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

/// Screens every product the importer imports. `importer` and `bloc` are sets of country indices (the bloc
/// may be empty: no share reported).
pub fn screen(b: &Bilateral, importer: &[usize], bloc: &[usize], th: &Thresholds) -> Vec<Screened> {
    let nc = b.countries.len();
    let mut is_i = vec![false; nc];
    importer.iter().for_each(|&c| is_i[c] = true);
    let mut is_b = vec![false; nc];
    bloc.iter().for_each(|&c| is_b[c] = true);
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
    let hhi = |m: &BTreeMap<u32, f64>| -> f64 {
        let tot: f64 = m.values().sum();
        if tot > 0.0 {
            m.values().map(|v| (v / tot).powi(2)).sum()
        } else {
            0.0
        }
    };
    let mut out: Vec<Screened> = acc
        .into_iter()
        .filter(|(_, a)| !a.from.is_empty())
        .map(|((t, p), a)| {
            let imports: f64 = a.from.values().sum();
            let ratio = if a.exports > 0.0 {
                imports / a.exports
            } else {
                9999.0
            };
            let (hm, hw) = (hhi(&a.from), hhi(&a.world));
            let top = a
                .from
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map(|(e, v)| (*e as usize, v / imports));
            let share = (!bloc.is_empty()).then(|| {
                a.from
                    .iter()
                    .filter(|(e, _)| is_b[**e as usize])
                    .map(|(_, v)| v)
                    .sum::<f64>()
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
    // Persistence over the years present in the data.
    let mut years: Vec<i32> = b.rows.iter().map(|r| r.0).collect();
    years.sort_unstable();
    years.dedup();
    let dep: std::collections::HashSet<(i32, usize)> = out
        .iter()
        .filter(|s| s.dependent)
        .map(|s| (s.year, s.product))
        .collect();
    for s in &mut out {
        let k = years.iter().position(|y| *y == s.year).unwrap_or(0);
        let lo = (k + 1).saturating_sub(th.window);
        let window = &years[lo..=k];
        let need = th.persistence.min(window.len()).max(1);
        let hits = window
            .iter()
            .filter(|y| dep.contains(&(**y, s.product)))
            .count();
        s.persistent = hits >= need;
    }
    out
}
