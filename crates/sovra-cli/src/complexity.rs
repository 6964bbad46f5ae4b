//! `sovra complexity`: economic complexity of product-level exports (a long CSV) or of sector exports from an
//! MRIO table, rendered per country or per product.

use std::path::PathBuf;

use anyhow::{Context, Result};
use sovra_core::Error;
use sovra_trade::complexity::{self, Complexity, Convention, Exports, Options};

use crate::OutputArgs;
use crate::commands::{base_report, finish, load};
use crate::render::{Cell, Report};

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
    /// Product-level exports, long CSV with a header `year,exporter,product,value` (other columns ignored).
    /// Without it, sector exports of --data are used (intermediate + final sales to other regions).
    #[arg(long, value_name = "FILE")]
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
    };
    let (mut r, years, note) = match &a.input {
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

/// `sovra trade depend`: the product-level dependency screen.
#[derive(clap::Args, Debug, Clone)]
pub struct TradeDependArgs {
    /// The importer: a country (ISO3), a bloc or an expression (a bloc's internal trade is left out).
    pub importer: String,
    /// Bilateral trade: BACI (`t,i,j,k,v,q`) or long (`year,exporter,importer,product,value`), .csv or .csv.gz.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// BACI's country-code file (`country_codes_V*.csv`), needed for BACI input.
    #[arg(long, value_name = "FILE")]
    pub country_codes: Option<PathBuf>,
    /// Report the share of imports from this bloc (or country, or expression).
    #[arg(long = "on", value_name = "BLOC")]
    pub bloc: Option<String>,
    /// Bloc membership on this date, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only this year (default: the latest in the file).
    #[arg(long)]
    pub year: Option<i32>,
    /// Every product imported, not only the dependent ones.
    #[arg(long)]
    pub all: bool,
    /// Thresholds: import HHI, world-export HHI, imports/exports.
    #[arg(long, default_value_t = 0.4)]
    pub hhi_imports: f64,
    /// World export concentration threshold.
    #[arg(long, default_value_t = 0.4)]
    pub hhi_world: f64,
    /// Imports/exports threshold.
    #[arg(long, default_value_t = 1.0)]
    pub ratio: f64,
    /// Show the N largest rows by imports (default 30 in the table format).
    #[arg(long)]
    pub top: Option<usize>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra trade depend`.
pub fn trade_depend_cmd(a: &TradeDependArgs) -> Result<()> {
    use sovra_trade::{bilateral, screen};
    let codes = match &a.country_codes {
        Some(f) => Some(bilateral::read_baci_codes(f)?),
        None => None,
    };
    let (b, rep) = bilateral::read(&a.input, codes.as_ref())?;
    let reg = crate::depend::registry(None)?;
    let date = crate::depend::as_of(&a.as_of)?;
    let names: Vec<&str> = b.countries.iter().map(String::as_str).collect();
    let members = |expr: &str| -> Result<Vec<usize>> {
        let sel = reg.eval_with_codes(expr, date, &names)?;
        let idx: Vec<usize> = sel
            .members
            .iter()
            .filter_map(|m| b.countries.iter().position(|c| c == m))
            .collect();
        if idx.is_empty() {
            return Err(Error::Request(format!(
                "'{expr}' has no member in {} (as of {date})",
                a.input.display()
            ))
            .into());
        }
        Ok(idx)
    };
    let importer = members(&a.importer)?;
    let bloc = match &a.bloc {
        Some(e) => members(e)?,
        None => Vec::new(),
    };
    let th = screen::Thresholds {
        hhi_imports: a.hhi_imports,
        hhi_world: a.hhi_world,
        ratio: a.ratio,
        ..Default::default()
    };
    let all = screen::screen(&b, &importer, &bloc, &th);
    let year = match a.year {
        Some(y) if rep.years.contains(&y) => y,
        Some(y) => {
            return Err(Error::Request(format!(
                "--year {y}: no trade in {} that year (years: {:?})",
                a.input.display(),
                rep.years
            ))
            .into());
        }
        None => *rep
            .years
            .last()
            .ok_or_else(|| Error::Request("the file holds no trade".into()))?,
    };
    let mut rows: Vec<&screen::Screened> = all
        .iter()
        .filter(|s| s.year == year && (a.all || s.dependent))
        .collect();
    rows.sort_by(|x, y| y.imports.total_cmp(&x.imports));
    let mut r = Report {
        title: format!(
            "product dependency screen of {} — {}",
            a.importer,
            a.input.display()
        ),
        ..Default::default()
    };
    r.parameters = vec![
        ("year".into(), year.to_string()),
        ("import HHI above".into(), a.hhi_imports.to_string()),
        ("world export HHI above".into(), a.hhi_world.to_string()),
        ("imports/exports above".into(), a.ratio.to_string()),
        ("persistence".into(), "2 of 3 consecutive years".into()),
    ];
    let imp: Vec<&str> = importer.iter().map(|&i| b.countries[i].as_str()).collect();
    r.summary = vec![
        ("importer".into(), imp.join(" ")),
        (
            "input".into(),
            format!(
                "{} format, {} rows ({} with zero value skipped), years {:?}",
                rep.format, rep.rows, rep.zero_rows_skipped, rep.years
            ),
        ),
        (
            "products imported".into(),
            all.iter().filter(|s| s.year == year).count().to_string(),
        ),
        (
            "dependent".into(),
            format!(
                "{} ({} persistent)",
                all.iter().filter(|s| s.year == year && s.dependent).count(),
                all.iter()
                    .filter(|s| s.year == year && s.dependent && s.persistent)
                    .count()
            ),
        ),
    ];
    r.columns = [
        "product",
        "imports",
        "HHI imports",
        "HHI world",
        "imports/exports",
        "top supplier",
        "share",
        "from bloc",
        "dependent",
        "persistent",
    ]
    .map(String::from)
    .to_vec();
    let top = a
        .top
        .or((a.out.format == crate::render::Format::Table).then_some(30));
    for s in rows.into_iter().take(top.unwrap_or(usize::MAX)) {
        let (sup, share) = s
            .top_supplier
            .map_or((String::new(), 0.0), |(c, v)| (b.countries[c].clone(), v));
        r.rows.push(vec![
            Cell::Text(b.products[s.product].clone()),
            Cell::Num(s.imports, 1),
            Cell::Num(s.hhi_imports, 3),
            Cell::Num(s.hhi_world, 3),
            Cell::Num(s.ratio, 2),
            Cell::Text(sup),
            Cell::Pct(share),
            s.share_from_bloc
                .map_or(Cell::Text(String::new()), Cell::Pct),
            Cell::Flag(s.dependent),
            Cell::Flag(s.persistent),
        ]);
    }
    if !rep.unknown_codes.is_empty() {
        r.notes.push(format!(
            "BACI codes not in the country-code file, kept as #code: {}",
            rep.unknown_codes
                .iter()
                .map(|(c, n)| format!("{c} ({n} rows)"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    r.notes.push(
        "criteria of CEPII GeoDep / EU SWD(2021) 352: import HHI, world-export HHI, imports/exports; method in \
         docs/indicators.md"
            .into(),
    );
    finish(&r, &a.out)
}
