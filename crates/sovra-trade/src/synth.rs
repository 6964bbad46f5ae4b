//! Synthetic bilateral trade from a fixed seed, shaped like a BACI year: lognormal values, country sizes,
//! a hidden capability/complexity structure (capable countries export complex products), and most
//! exporter × product pairs absent — for tests and benchmarks, never as data.

use sovra_core::synth::Rng;

use crate::screen::Bilateral;

/// Shape of a synthetic year.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Countries (codes `C001`, …).
    pub countries: usize,
    /// Products (6-digit codes).
    pub products: usize,
    /// Average number of destinations of an exported product (≈ 35 gives a BACI-sized year of ~11 M rows
    /// for 200 countries × 5,000 products).
    pub destinations: f64,
    /// The year.
    pub year: i32,
    /// Seed.
    pub seed: u64,
    /// Real codes: the ISO3 codes of the OECD ICIO countries (at most [`REAL_COUNTRIES`]) and HS6 codes of the
    /// product bridge spread over every chapter (at most [`real_products`]`().len()`), so that the year
    /// lines up with an ICIO table and product-level shock legs; otherwise `C001`, … and made-up codes.
    pub real_codes: bool,
}

/// How many countries real codes offer: the ICIO 2025 release's 80 countries (its aggregates left out).
pub const REAL_COUNTRIES: usize = 80;

/// The ISO3 codes of the ICIO countries, in the release's order.
pub fn real_countries() -> Vec<String> {
    sovra_core::read::oecd_names::REGIONS
        .iter()
        .map(|(c, _)| c.to_string())
        .filter(|c| !matches!(c.as_str(), "ROW" | "MX1" | "MX2" | "CN1" | "CN2"))
        .collect()
}

/// The HS6 codes of the product bridge that land in some sector, sorted.
pub fn real_products() -> Vec<String> {
    let b = sovra_core::bridge::Bridge::shipped();
    b.codes()
        .filter(|c| b.classes(c).is_some_and(|v| !v.is_empty()))
        .map(str::to_string)
        .collect()
}

fn normal(r: &mut Rng) -> f64 {
    // Box–Muller.
    let (u, v) = (r.uniform().max(1e-300), r.uniform());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The hidden structure of a synthetic world: capabilities and sizes of countries, complexity and sizes of
/// products.
struct World {
    cap: Vec<f64>,
    size: Vec<f64>,
    cx: Vec<f64>,
    psize: Vec<f64>,
}

impl World {
    fn draw(r: &mut Rng, nc: usize, np: usize) -> World {
        let cap: Vec<f64> = (0..nc).map(|_| normal(r)).collect();
        let size: Vec<f64> = (0..nc).map(|_| (1.5 * normal(r)).exp()).collect();
        let cx: Vec<f64> = (0..np).map(|_| normal(r)).collect();
        let psize: Vec<f64> = (0..np).map(|_| (1.2 * normal(r)).exp()).collect();
        World {
            cap,
            size,
            cx,
            psize,
        }
    }
}

/// Generates one year.
pub fn year(s: Spec) -> Bilateral {
    let mut r = Rng::new(s.seed);
    let w = World::draw(&mut r, s.countries, s.products);
    flows(s, &w, &mut r)
}

/// Generates year `s.year` of a series that starts in `first`: the same world every year (from the seed),
/// each country's capability drifting along a trend of its own, and the year's flows drawn afresh — so that
/// screens and complexity change slowly from year to year, as in BACI.
pub fn series_year(s: Spec, first: i32) -> Bilateral {
    let mut r = Rng::new(s.seed);
    let mut w = World::draw(&mut r, s.countries, s.products);
    let k = f64::from(s.year - first);
    for c in w.cap.iter_mut() {
        *c += k * 0.03 * normal(&mut r);
    }
    let mut f = Rng::new(
        s.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(s.year as u64),
    );
    flows(s, &w, &mut f)
}

fn flows(s: Spec, w: &World, r: &mut Rng) -> Bilateral {
    let (nc, np) = (s.countries, s.products);
    let World {
        cap,
        size,
        cx,
        psize,
    } = w;
    // Importers drawn in proportion to size.
    let total: f64 = size.iter().sum();
    let cum: Vec<f64> = size
        .iter()
        .scan(0.0, |a, v| {
            *a += v / total;
            Some(*a)
        })
        .collect();
    let mut rows = Vec::new();
    for e in 0..nc {
        for p in 0..np {
            let prob = 0.6 / (1.0 + (-1.5 * (cap[e] - cx[p])).exp());
            if r.uniform() >= prob {
                continue;
            }
            let k = (s.destinations * (0.5 + r.uniform())).round().max(1.0) as usize;
            let mut seen = std::collections::HashSet::new();
            for _ in 0..k {
                let x = r.uniform();
                let j = cum.partition_point(|c| *c < x).min(nc - 1);
                if j == e || !seen.insert(j) {
                    continue;
                }
                let v = size[e].sqrt() * psize[p] * size[j].sqrt() * normal(r).exp() * 100.0;
                rows.push((
                    s.year,
                    e as u32,
                    j as u32,
                    p as u32,
                    (v * 1000.0).round() / 1000.0,
                ));
            }
        }
    }
    let (countries, products) = if s.real_codes {
        let all = real_products();
        // Every k-th code, so that the products span the chapters.
        let step = (all.len() / np.max(1)).max(1);
        (
            real_countries().into_iter().take(nc).collect(),
            all.into_iter().step_by(step).take(np).collect(),
        )
    } else {
        (
            (1..=nc).map(|c| format!("C{c:03}")).collect(),
            (0..np)
                .map(|p| format!("{:06}", 10_000 + p * 97 % 890_000))
                .collect(),
        )
    };
    Bilateral {
        countries,
        products,
        rows,
    }
}

/// Writes a year as the long CSV format (`year,exporter,importer,product,value`).
pub fn to_long_csv(b: &Bilateral) -> String {
    let mut s = String::from("year,exporter,importer,product,value\n");
    for &(t, e, j, p, v) in &b.rows {
        s.push_str(&format!(
            "{t},{},{},{},{v}\n",
            b.countries[e as usize], b.countries[j as usize], b.products[p as usize]
        ));
    }
    s
}

/// The same rows as BACI files: the data (`t,i,j,k,v,q`, numeric country codes, quantities in tons with
/// about one row in fifty `NA`, as in BACI) and the matching country-code file (`country_code, …,
/// iso_3digit_alpha`). Country `c` gets the code `4 (c + 1)`.
pub fn to_baci_csv(b: &Bilateral, seed: u64) -> (String, String) {
    let mut r = Rng::new(seed ^ 0x0bac1);
    let mut data = String::from("t,i,j,k,v,q\n");
    for &(t, e, j, p, v) in &b.rows {
        let q = if r.uniform() < 0.02 {
            "NA".to_string()
        } else {
            let unit = (1.0 + normal(&mut r)).exp();
            format!("{:.3}", v / unit)
        };
        data.push_str(&format!(
            "{t},{},{},{},{v},{q}\n",
            4 * (e + 1),
            4 * (j + 1),
            b.products[p as usize]
        ));
    }
    let mut codes = String::from(
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha\n",
    );
    for (c, iso) in b.countries.iter().enumerate() {
        codes.push_str(&format!(
            "{},Synthetic {iso},Synthetic country {iso},{},{iso}\n",
            4 * (c + 1),
            &iso[..2]
        ));
    }
    (data, codes)
}
