//! `sovra complexity`: economic complexity of product-level exports (a long CSV) or of sector exports from an
//! MRIO table, rendered per country or per product.

use std::path::PathBuf;

use anyhow::{Context, Result};
use sovra_core::Error;
use sovra_trade::complexity::{self, Complexity, Convention, Exports, Options};

use crate::OutputArgs;
use crate::legacy::{Cell, Report};
use crate::legacy::{base_report, finish, load};

/// Whose conventions, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConventionArg {
    /// Stata `ecomplexity`: long-table sample sd, density without the product itself.
    Stata,
    /// py-ecomplexity 0.5.3: population sd over countries, density with the product itself.
    PyEcomplexity,
}

/// Rows per country or per product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// One row per country: diversity, ECI, COI, fitness.
    Country,
    /// One row per product: ubiquity, PCI, fitness-complexity.
    Product,
}

/// Everything `sovra complexity` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct ComplexityArgs {
    /// Product-level exports: a long CSV with a header `year,exporter,product,value` (other columns
    /// ignored), or a trade store directory (`sovra trade import`; exports = bilateral flows summed over
    /// importers). Without it, sector exports of --data are used (intermediate + final sales to other
    /// regions).
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Dataset whose sector exports are used when there is no --input.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Only this year of --input (default: every year).
    #[arg(long)]
    pub year: Option<String>,
    /// M = 1 where RCA ≥ this.
    #[arg(long, default_value_t = 1.0)]
    pub rca_threshold: f64,
    /// Conventions: stata (default) or py-ecomplexity.
    #[arg(long, value_enum, default_value_t = ConventionArg::Stata)]
    pub convention: ConventionArg,
    /// Rows per country or per product.
    #[arg(long, value_enum, default_value_t = ByArg::Country)]
    pub by: ByArg,
    /// Show the N highest ECI (or PCI) rows (default 20 in the table format, all in csv/json).
    #[arg(long)]
    pub top: Option<usize>,
    /// Also compute fitness and fitness-complexity (Tacchella et al. 2012).
    #[arg(long)]
    pub fitness: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra complexity`.
pub fn complexity_cmd(a: &ComplexityArgs) -> Result<()> {
    if !(a.rca_threshold.is_finite() && a.rca_threshold > 0.0) {
        return Err(Error::Request(format!(
            "--rca-threshold {} must be positive",
            a.rca_threshold
        ))
        .into());
    }
    let opts = Options {
        rca_threshold: a.rca_threshold,
        convention: match a.convention {
            ConventionArg::Stata => Convention::Stata,
            ConventionArg::PyEcomplexity => Convention::PyEcomplexity,
        },
        // Not printed; density and COG do not need it.
        proximity: false,
    };
    let (mut r, years, note) = match &a.input {
        Some(dir) if dir.is_dir() => {
            let store = sovra_lake::store::Store::open(dir)?;
            let held = store.years();
            let wanted: Vec<i32> = match &a.year {
                Some(y) => {
                    let y: i32 = y.parse().ok().filter(|y| held.contains(y)).ok_or_else(|| {
                        Error::Request(format!(
                            "--year {y}: the trade store {} holds {held:?}",
                            dir.display()
                        ))
                    })?;
                    vec![y]
                }
                None => held,
            };
            let (b, _) = crate::trade::read_years(&store, &wanted)?;
            let years = wanted
                .iter()
                .map(|&y| (y.to_string(), sovra_trade::screen::exports_of_year(&b, y)))
                .collect();
            let r = Report {
                title: format!(
                    "economic complexity — trade store {} (exports summed over importers)",
                    dir.display()
                ),
                ..Default::default()
            };
            (r, years, None)
        }
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            let mut years = complexity::read_long_csv(&text, &f.display().to_string())?;
            if let Some(y) = &a.year {
                let have: Vec<String> = years.iter().map(|(y, _)| y.clone()).collect();
                years.retain(|(yy, _)| yy == y);
                if years.is_empty() {
                    return Err(Error::Request(format!(
                        "--year {y}: {} has no data for it (years: {})",
                        f.display(),
                        have.join(" ")
                    ))
                    .into());
                }
            }
            let r = Report {
                title: format!("economic complexity — {}", f.display()),
                ..Default::default()
            };
            (r, years, None)
        }
        None => {
            let t = load(&a.data)?;
            let (x, by_dest) = complexity::mrio_exports(&t);
            let year = t
                .provenance
                .year
                .map(|y| y.to_string())
                .unwrap_or_else(|| "-".into());
            let note = (!by_dest).then(|| {
                format!(
                    "{} keeps final demand as one column for all destinations: exports here are intermediate \
                     sales to other regions only",
                    a.data
                )
            });
            let r = base_report(
                &t,
                format!("economic complexity of sector exports — {}", a.data),
            );
            (r, vec![(year, x)], note)
        }
    };
    r.parameters = vec![
        ("rca threshold".into(), a.rca_threshold.to_string()),
        ("convention".into(), format!("{:?}", opts.convention)),
        ("by".into(), format!("{:?}", a.by).to_lowercase()),
    ];
    r.notes.extend(note);
    r.notes.push(
        "ECI/PCI by the eigenvector method (2nd eigenvector of U⁻¹MᵀD⁻¹M), fitness by Tacchella et al. 2012; \
         formulas in docs/indicators.md"
            .into(),
    );
    match a.by {
        ByArg::Country => {
            r.columns = ["year", "country", "diversity", "ECI", "COI", "fitness"]
                .map(String::from)
                .to_vec()
        }
        ByArg::Product => {
            r.columns = ["year", "product", "ubiquity", "PCI", "fitness complexity"]
                .map(String::from)
                .to_vec()
        }
    }
    let top = a
        .top
        .or((a.out.format == crate::render::Format::Table).then_some(20));
    for (year, x) in &years {
        let c = complexity::compute(x, &opts).with_context(|| format!("year {year}"))?;
        let (f, q) = if a.fitness {
            let (f, q, _) =
                complexity::fitness(&c.m, x.countries.len(), x.products.len(), 1e-12, 10_000);
            (f, q)
        } else {
            (vec![None; x.countries.len()], vec![None; x.products.len()])
        };
        r.summary.push((
            year.to_string(),
            format!(
                "{} countries × {} products, second eigenvalue {:.4}",
                x.countries.len(),
                x.products.len(),
                c.eigenvalue
            ),
        ));
        rows(&mut r, year, x, &c, &f, &q, a.by, top);
    }
    finish(&r, &a.out)
}

#[allow(clippy::too_many_arguments)]
fn rows(
    r: &mut Report,
    year: &str,
    x: &Exports,
    c: &Complexity,
    f: &[Option<f64>],
    q: &[Option<f64>],
    by: ByArg,
    top: Option<usize>,
) {
    let opt = |v: Option<f64>| v.map_or(Cell::Text(String::new()), |v| Cell::Num(v, 4));
    match by {
        ByArg::Country => {
            let mut idx: Vec<usize> = (0..x.countries.len()).collect();
            idx.sort_by(|&a, &b| {
                c.eci[b]
                    .unwrap_or(f64::MIN)
                    .total_cmp(&c.eci[a].unwrap_or(f64::MIN))
            });
            for i in idx.into_iter().take(top.unwrap_or(usize::MAX)) {
                r.rows.push(vec![
                    Cell::Text(year.to_string()),
                    Cell::Text(x.countries[i].clone()),
                    Cell::Num(c.diversity[i] as f64, 0),
                    opt(c.eci[i]),
                    opt(c.coi[i]),
                    opt(f[i]),
                ]);
            }
        }
        ByArg::Product => {
            let mut idx: Vec<usize> = (0..x.products.len()).collect();
            idx.sort_by(|&a, &b| {
                c.pci[b]
                    .unwrap_or(f64::MIN)
                    .total_cmp(&c.pci[a].unwrap_or(f64::MIN))
            });
            for i in idx.into_iter().take(top.unwrap_or(usize::MAX)) {
                r.rows.push(vec![
                    Cell::Text(year.to_string()),
                    Cell::Text(x.products[i].clone()),
                    Cell::Num(c.ubiquity[i] as f64, 0),
                    opt(c.pci[i]),
                    opt(q[i]),
                ]);
            }
        }
    }
}
