//! Small synthetic MRIO tables from a fixed seed, for tests, property tests, fuzzing seeds and examples.
//! A table is built from coefficients so that it balances exactly and is productive: `A` with column sums
//! in `[0.2, 0.8)`, domestic blocks denser than import blocks, positive final demand by destination and
//! category, and `x = L Y 1`.

use crate::Result;
use crate::labels::{Code, FdColumn, Labels, Stressor};
use crate::solve::{LeontiefSystem, Side};
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// A splitmix64 generator: tiny, deterministic, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Shape of a synthetic table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Regions.
    pub regions: usize,
    /// Sectors per region.
    pub sectors: usize,
    /// Final-demand categories per region.
    pub categories: usize,
    /// Stressor rows.
    pub stressors: usize,
    /// Probability that an import coefficient is non-zero.
    pub import_density: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            regions: 3,
            sectors: 2,
            categories: 2,
            stressors: 1,
            import_density: 0.7,
            seed: 1,
        }
    }
}

/// Builds a balanced, productive table named `name`.
pub fn table(name: &str, spec: Spec) -> Result<Mrio> {
    let Spec {
        regions: nr,
        sectors: ns,
        categories: nc,
        stressors: m,
        import_density,
        seed,
    } = spec;
    let n = nr * ns;
    let mut rng = Rng::new(seed);
    let mut a = Dense::zeros(n, n);
    for j in 0..n {
        let target = 0.2 + 0.6 * rng.uniform();
        let mut col = vec![0.0; n];
        for (i, c) in col.iter_mut().enumerate() {
            let domestic = i / ns == j / ns;
            if domestic || rng.uniform() < import_density {
                *c = rng.uniform() * if domestic { 1.0 } else { 0.3 };
            }
        }
        let s: f64 = col.iter().sum();
        for (i, c) in col.iter().enumerate() {
            a.data[i * n + j] = if s > 0.0 { c / s * target } else { 0.0 };
        }
    }
    let k = nr * nc;
    let mut y = Dense::zeros(n, k);
    for i in 0..n {
        for c in 0..k {
            let domestic = i / ns == c / nc;
            y.data[i * k + c] = (if domestic { 50.0 } else { 5.0 }) * (0.1 + rng.uniform());
        }
    }
    let sys = LeontiefSystem::from_coefficients(a.clone(), None)?;
    let ytot = y.row_sums();
    let (x, _) = sys.solve(
        faer::Mat::from_fn(n, 1, |i, _| ytot[i]).as_ref(),
        Side::Forward,
    )?;
    let x: Vec<f64> = (0..n).map(|i| x[(i, 0)]).collect();
    let mut z = a;
    for row in z.data.chunks_mut(n) {
        row.iter_mut().zip(&x).for_each(|(v, xj)| *v *= xj);
    }
    let mut f = Dense::zeros(m, n);
    let mut f_y = Dense::zeros(m, k);
    for r in 0..m {
        for (j, xj) in x.iter().enumerate() {
            f.data[r * n + j] = xj * rng.uniform();
        }
        for c in 0..k {
            f_y.data[r * k + c] = 10.0 * rng.uniform();
        }
    }
    let labels = Labels {
        regions: (0..nr)
            .map(|r| Code {
                code: format!("R{:02}", r + 1),
                name: format!("Region {}", r + 1),
            })
            .collect(),
        sectors: (0..ns)
            .map(|s| Code {
                code: format!("S{:02}", s + 1),
                name: format!("Sector {}", s + 1),
            })
            .collect(),
        final_demand: (0..k)
            .map(|c| FdColumn {
                region: format!("R{:02}", c / nc + 1),
                category: format!("FD{}", c % nc + 1),
            })
            .collect(),
        stressors: (0..m)
            .map(|r| Stressor {
                name: format!("stressor{}", r + 1),
                unit: "t".into(),
            })
            .collect(),
    };
    let provenance = Provenance {
        name: name.into(),
        title: format!("synthetic {nr}×{ns} table (seed {seed})"),
        source: "sovra_core::synth".into(),
        year: None,
        units: "USD million".into(),
        ..Default::default()
    };
    Mrio::from_parts(
        Parts {
            labels,
            z,
            y,
            x: None,
            v: None,
            f: Some(f),
            f_y: Some(f_y),
            provenance,
        },
        BalanceTolerance::default(),
    )
}

/// A table written in the WIOD 2013 layout (for the reader's tests and examples; never the release itself):
/// header `row,REGION_cN…,REGION_{HFCE,NPISH,GGFC,GFCF,INVEN}…,GO`, sectors renamed `c1…`. The table's
/// first final-demand column of each region goes to HFCE, its second (if any) to GFCF, the other categories
/// are 0; `GO = x + go_gap[i]`. `order` is the node order of rows and columns alike.
pub fn wiod2013_csv(t: &Mrio, go_gap: &[f64], order: &[usize]) -> String {
    use std::fmt::Write as _;
    let l = &t.labels;
    let node = |i: usize| {
        let (r, s) = l.node(i);
        format!("{}_c{}", l.regions[r].code, s + 1)
    };
    let per_region = l.final_demand.len() / l.regions.len().max(1);
    let mut s = String::from("row");
    for &j in order {
        let _ = write!(s, ",{}", node(j));
    }
    for r in &l.regions {
        for c in crate::read::wiod2013::FD_CATEGORIES {
            let _ = write!(s, ",{}_{c}", r.code);
        }
    }
    s.push_str(",GO\n");
    for &i in order {
        s.push_str(&node(i));
        for &j in order {
            let _ = write!(s, ",{}", t.z.get(i, j));
        }
        for r in 0..l.regions.len() {
            for c in 0..5 {
                let v = match c {
                    0 if per_region > 0 => t.y.get(i, r * per_region),
                    3 if per_region > 1 => t.y.get(i, r * per_region + 1),
                    _ => 0.0,
                };
                let _ = write!(s, ",{v}");
            }
        }
        let _ = writeln!(s, ",{}", t.x[i] + go_gap[i]);
    }
    s
}
