//! `sovra trade depend|suppliers` and `sovra opportunities`: the product-level views of bilateral trade — where
//! an importer is dependent, who could supply instead, and which dependent products a country could make
//! itself. Reads the trade store (`sovra trade import`: Parquet by year, through DataFusion, only the years
//! asked) or a BACI / long CSV directly, into memory (`sovra-trade::bilateral`, `sovra-lake`).

use std::path::PathBuf;

use anyhow::Result;
use sovra_core::Error;
use sovra_trade::bilateral::{self, ReadReport};
use sovra_trade::screen::{self, Bilateral};

use crate::OutputArgs;
use crate::commands::finish;
use crate::render::{Cell, Format, Report};

/// Input options shared by the trade commands.
#[derive(clap::Args, Debug, Clone)]
pub struct TradeInput {
    /// Bilateral trade: a trade store directory (`sovra trade import`), or a BACI (`t,i,j,k,v,q`) or long
    /// (`year,exporter,importer,product,value`) file, .csv or .csv.gz, read directly. Default: the trade
    /// store in $SOVRA_HOME/trade.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// BACI's country-code file (`country_codes_V*.csv`), needed for BACI input.
    #[arg(long, value_name = "FILE")]
    pub country_codes: Option<PathBuf>,
    /// Bloc membership on this date, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only this year (default: the latest in the file).
    #[arg(long)]
    pub year: Option<i32>,
    /// Convert product codes between HS revisions first, FROM:TO (e.g. H1:H0 for HS96 → HS92), with the
    /// atlas-common-data weights (`sovra data fetch classifications`).
    #[arg(long, value_name = "FROM:TO")]
    pub convert: Option<String>,
}

struct Loaded {
    b: Bilateral,
    /// What the rows came from, for titles and errors.
    source: String,
    /// For a store: the files the loaded years were imported from.
    origin: Option<String>,
    /// The HS revision of the product codes whose names are shown (`hs92`, `hs12`, `hs22`), if known.
    revision: Option<&'static str>,
    /// HS92 names by 6-digit code (empty without `sovra data fetch classifications`).
    names: std::collections::HashMap<String, String>,
    rep: ReadReport,
    reg: sovra_core::blocs::Registry,
    date: sovra_core::blocs::Date,
    year: i32,
}

/// Reads the input. From a store, only the years of `range` (default: the latest year) and the two before
/// each (the persistence window) are read; a file is read whole.
fn load_input(i: &TradeInput, range: Option<(i32, i32)>) -> Result<Loaded> {
    let path = i
        .input
        .clone()
        .unwrap_or_else(sovra_lake::store::default_dir);
    let (mut b, mut rep, source, origin) = if path.is_dir() || i.input.is_none() {
        load_store(&path, i.year, range)?
    } else {
        let codes = match &i.country_codes {
            Some(f) => Some(bilateral::read_baci_codes(f)?),
            None => None,
        };
        let (b, rep) = bilateral::read(&path, codes.as_ref())?;
        (b, rep, path.display().to_string(), None)
    };
    if let Some(spec) = &i.convert {
        let (from, to) = spec.split_once(':').ok_or_else(|| {
            Error::Request(format!("--convert '{spec}': write FROM:TO, e.g. H1:H0"))
        })?;
        let dir = sovra_core::fetch::classifications_dir(&sovra_core::store::home());
        let (c, unmatched) = bilateral::convert_hs(&b, &dir, from, to)
            .map_err(|e| Error::Request(format!("--convert {spec}: {e}")))?;
        b = c;
        rep.converted = Some(format!(
            "{from} → {to}, {unmatched} rows without a weight kept as they were"
        ));
    }
    let year = match i.year {
        Some(y) if rep.years.contains(&y) => y,
        Some(y) => {
            return Err(Error::Request(format!(
                "--year {y}: no trade in {source} that year (years: {:?})",
                rep.years
            ))
            .into());
        }
        None => *rep
            .years
            .last()
            .ok_or_else(|| Error::Request("the file holds no trade".into()))?,
    };
    let revision = names_revision(
        i.convert.as_deref(),
        &format!("{} {}", path.display(), origin.as_deref().unwrap_or("")),
    );
    let names = match revision {
        Some(r) => bilateral::hs_names(
            &sovra_core::fetch::classifications_dir(&sovra_core::store::home()),
            r,
        ),
        None => Default::default(),
    };
    Ok(Loaded {
        origin,
        revision,
        b,
        source,
        names,
        rep,
        reg: crate::depend::registry(None)?,
        date: crate::depend::as_of(&i.as_of)?,
        year,
    })
}

/// Loads from a trade store the years a command needs: `range` (or `--year`, or the latest year held) and
/// the persistence window before it.
fn load_store(
    dir: &std::path::Path,
    year: Option<i32>,
    range: Option<(i32, i32)>,
) -> Result<(Bilateral, ReadReport, String, Option<String>)> {
    if !dir.exists() {
        return Err(Error::Request(format!(
            "no trade store at {}: import one with `sovra trade import FILE…`, or read a file with --input FILE",
            dir.display()
        ))
        .into());
    }
    let store = sovra_lake::store::Store::open(dir)?;
    let held = store.years();
    let latest = *held.last().ok_or_else(|| {
        Error::Request(format!("the trade store {} holds no year", dir.display()))
    })?;
    if let Some(y) = year.filter(|y| !held.contains(y)) {
        return Err(Error::Request(format!(
            "--year {y}: the trade store {} holds {held:?}",
            dir.display()
        ))
        .into());
    }
    let (lo, hi) = range.or(year.map(|y| (y, y))).unwrap_or((latest, latest));
    let back = screen::Thresholds::default().window as i32 - 1;
    let wanted: Vec<i32> = held
        .iter()
        .copied()
        .filter(|y| (lo - back..=hi).contains(y))
        .collect();
    if wanted.is_empty() {
        return Err(Error::Request(format!(
            "--years {lo}:{hi}: the trade store {} holds {held:?}",
            dir.display()
        ))
        .into());
    }
    let (b, lr) = read_years(&store, &wanted)?;
    let rep = ReadReport {
        format: "Parquet trade store".into(),
        rows: lr.rows,
        years: lr.years,
        ..Default::default()
    };
    let origin = origin_note(&store.manifest, &rep.years);
    Ok((b, rep, format!("trade store {}", dir.display()), origin))
}

/// The HS revision whose names fit the product codes: the target of `--convert`, else the revision in
/// BACI's file names (`BACI_HS12_Y2021_…`; for a store, the files it was imported from), else HS92 (BACI's
/// longest series). `None` for the revisions atlas-common-data has no names for (HS96, HS02, HS07, HS17).
fn names_revision(convert: Option<&str>, sources: &str) -> Option<&'static str> {
    let by_h = |h: &str| match h.trim().to_ascii_uppercase().as_str() {
        "H0" => Some("hs92"),
        "H4" => Some("hs12"),
        "H6" => Some("hs22"),
        _ => None,
    };
    if let Some((_, to)) = convert.and_then(|c| c.split_once(':')) {
        return by_h(to);
    }
    let upper = sources.to_ascii_uppercase();
    for (tag, rev) in [
        ("HS92", Some("hs92")),
        ("HS12", Some("hs12")),
        ("HS22", Some("hs22")),
        ("HS96", None),
        ("HS02", None),
        ("HS07", None),
        ("HS17", None),
    ] {
        if upper.contains(&format!("BACI_{tag}")) {
            return rev;
        }
    }
    Some("hs92")
}

/// Years of a trade store into memory, with a spinner on a terminal.
pub(crate) fn read_years(
    store: &sovra_lake::store::Store,
    years: &[i32],
) -> Result<(Bilateral, sovra_lake::query::LoadReport)> {
    let pb = crate::progress::spinner("reading the trade store");
    let loaded = sovra_lake::query::load(
        store,
        years,
        sovra_lake::import::ImportOptions::default().memory_limit,
    );
    pb.finish_and_clear();
    Ok(loaded?)
}

/// Where a store's loaded years came from (its manifest), as a note.
fn origin_note(m: &sovra_lake::store::Manifest, years: &[i32]) -> Option<String> {
    let parts: Vec<String> = years
        .iter()
        .filter_map(|y| {
            let e = m.years.get(y)?;
            Some(format!(
                "{y} ← {} ({}, sovra {})",
                e.sources.join(" + "),
                e.format,
                e.sovra_version
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("imported from: {}", parts.join("; ")))
}

impl Loaded {
    /// Country indices of a country, bloc or expression.
    fn members(&self, expr: &str) -> Result<Vec<usize>> {
        let names: Vec<&str> = self.b.countries.iter().map(String::as_str).collect();
        let sel = self.reg.eval_with_codes(expr, self.date, &names)?;
        let idx: Vec<usize> = sel
            .members
            .iter()
            .filter_map(|m| self.b.countries.iter().position(|c| c == m))
            .collect();
        if idx.is_empty() {
            return Err(Error::Request(format!(
                "'{expr}' has no member in {} (as of {})",
                self.source, self.date
            ))
            .into());
        }
        Ok(idx)
    }

    fn input_line(&self) -> (String, String) {
        (
            "input".into(),
            format!(
                "{}, {} rows ({} with zero value skipped), years {:?}{}",
                if self.rep.format.contains("store") {
                    self.rep.format.clone()
                } else {
                    format!("{} format", self.rep.format)
                },
                self.rep.rows,
                self.rep.zero_rows_skipped,
                self.rep.years,
                self.rep
                    .converted
                    .as_ref()
                    .map(|c| format!("; HS converted {c}"))
                    .unwrap_or_default()
            ),
        )
    }

    /// A product code with its HS92 name when known.
    fn product(&self, p: usize) -> String {
        let code = &self.b.products[p];
        match self.names.get(code) {
            Some(n) => format!("{code} {n}"),
            None => code.clone(),
        }
    }

    fn notes(&self, r: &mut Report) {
        r.notes.extend(self.origin.clone());
        match self.revision {
            None => r.notes.push(
                "product names: atlas-common-data has names for HS92, HS12 and HS22 only; convert with \
                 --convert …:H0 to name HS92 codes"
                    .into(),
            ),
            Some(rev) if self.names.is_empty() => r.notes.push(format!(
                "product names: run `sovra data fetch classifications` ({} names from atlas-common-data)",
                rev.to_uppercase()
            )),
            Some(_) => {}
        }
        if !self.rep.unknown_codes.is_empty() {
            r.notes.push(format!(
                "BACI codes not in the country-code file, kept as #code: {}",
                self.rep
                    .unknown_codes
                    .iter()
                    .map(|(c, n)| format!("{c} ({n} rows)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// `sovra trade depend`: the product-level dependency screen.
#[derive(clap::Args, Debug, Clone)]
pub struct TradeDependArgs {
    /// The importer: a country (ISO3), a bloc or an expression (a bloc's internal trade is left out).
    pub importer: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// Report the share of imports from this bloc (or country, or expression).
    #[arg(long = "on", value_name = "BLOC")]
    pub bloc: Option<String>,
    /// Every product imported, not only the dependent ones.
    #[arg(long)]
    pub all: bool,
    /// Rows for a range of years, Y1:Y2 (default: --year, or the latest year). Persistence always uses every
    /// year of the file.
    #[arg(long, value_name = "Y1:Y2")]
    pub years: Option<String>,
    /// Screen each country of IMPORTER on its own (e.g. `ALL --each`: every importer of the file), one row
    /// per country: products imported, dependent, persistent, the largest dependent product.
    #[arg(long)]
    pub each: bool,
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

impl TradeDependArgs {
    /// `--years Y1:Y2`, checked for form.
    fn year_range(&self) -> Result<Option<(i32, i32)>> {
        let Some(spec) = &self.years else {
            return Ok(None);
        };
        let bad = || Error::Request(format!("--years '{spec}': write Y1:Y2, e.g. 2019:2021"));
        let (p, q) = spec.split_once(':').ok_or_else(bad)?;
        let (p, q) = (
            p.trim().parse::<i32>().map_err(|_| bad())?,
            q.trim().parse::<i32>().map_err(|_| bad())?,
        );
        if p > q {
            return Err(bad().into());
        }
        Ok(Some((p, q)))
    }

    /// The screen's thresholds from the flags.
    fn thresholds(&self) -> screen::Thresholds {
        screen::Thresholds {
            hhi_imports: self.hhi_imports,
            hhi_world: self.hhi_world,
            ratio: self.ratio,
            ..Default::default()
        }
    }
}

/// `sovra trade depend`.
pub fn trade_depend_cmd(a: &TradeDependArgs) -> Result<()> {
    let range = a.year_range()?;
    let l = load_input(&a.input, range)?;
    let importer = l.members(&a.importer)?;
    if a.each {
        return depend_each(a, &l, &importer);
    }
    let bloc = match &a.bloc {
        Some(e) => l.members(e)?,
        None => Vec::new(),
    };
    let (b, year) = (&l.b, l.year);
    let th = a.thresholds();
    let all = screen::screen(b, &importer, &bloc, &th);
    let (y1, y2) = match range {
        None => (year, year),
        Some((p, q)) => {
            if !l.rep.years.iter().any(|y| (p..=q).contains(y)) {
                return Err(Error::Request(format!(
                    "--years {p}:{q}: no trade in {} in that range (years: {:?})",
                    l.source, l.rep.years
                ))
                .into());
            }
            (p, q)
        }
    };
    let mut rows: Vec<&screen::Screened> = all
        .iter()
        .filter(|s| (y1..=y2).contains(&s.year) && (a.all || s.dependent))
        .collect();
    rows.sort_by(|x, y| x.year.cmp(&y.year).then(y.imports.total_cmp(&x.imports)));
    let mut r = Report {
        title: format!("product dependency screen of {} — {}", a.importer, l.source),
        ..Default::default()
    };
    r.parameters = vec![
        (
            "years".into(),
            if y1 == y2 {
                y1.to_string()
            } else {
                format!("{y1}–{y2}")
            },
        ),
        ("import HHI above".into(), a.hhi_imports.to_string()),
        ("world export HHI above".into(), a.hhi_world.to_string()),
        ("imports/exports above".into(), a.ratio.to_string()),
        ("persistence".into(), "2 of 3 consecutive years".into()),
    ];
    let imp: Vec<&str> = importer.iter().map(|&i| b.countries[i].as_str()).collect();
    r.summary = vec![
        ("importer".into(), imp.join(" ")),
        l.input_line(),
        (
            "products imported".into(),
            all.iter()
                .filter(|s| (y1..=y2).contains(&s.year))
                .count()
                .to_string(),
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
        "year",
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
    let top = a.top.or((a.out.format == Format::Table).then_some(30));
    for s in rows.into_iter().take(top.unwrap_or(usize::MAX)) {
        let (sup, share) = s
            .top_supplier
            .map_or((String::new(), 0.0), |(c, v)| (b.countries[c].clone(), v));
        r.rows.push(vec![
            Cell::Text(s.year.to_string()),
            Cell::Text(l.product(s.product)),
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
    l.notes(&mut r);
    r.notes.push(
        "criteria of CEPII GeoDep / EU SWD(2021) 352: import HHI, world-export HHI, imports/exports; method in \
         docs/indicators.md"
            .into(),
    );
    finish(&r, &a.out)
}

/// `sovra trade suppliers`: who could supply a product instead.
#[derive(clap::Args, Debug, Clone)]
pub struct SuppliersArgs {
    /// The importer: a country, a bloc or an expression.
    pub importer: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// The product (code as in the file, e.g. an HS6 code).
    #[arg(long, required_unless_present = "all_dependent")]
    pub product: Option<String>,
    /// Every product the importer is dependent on (default thresholds), in one call.
    #[arg(long)]
    pub all_dependent: bool,
    /// Only suppliers in this bloc (or country, or expression), e.g. allies.
    #[arg(long, value_name = "BLOC")]
    pub partners: Option<String>,
    /// Suppliers listed per product (default 10 in the table format).
    #[arg(long)]
    pub top: Option<usize>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra trade suppliers`.
pub fn suppliers_cmd(a: &SuppliersArgs) -> Result<()> {
    let l = load_input(&a.input, None)?;
    let file = &l.source;
    let importer = l.members(&a.importer)?;
    let partners = match &a.partners {
        Some(e) => l.members(e)?,
        None => Vec::new(),
    };
    let products: Vec<usize> =
        match &a.product {
            Some(p) if !a.all_dependent => vec![
                l.b.products
                    .iter()
                    .position(|x| x == p)
                    .ok_or_else(|| Error::Unknown {
                        kind: "product",
                        name: p.clone(),
                        suggestion: sovra_core::blocs::nearest(
                            p,
                            l.b.products.iter().map(String::as_str),
                        ),
                        valid: format!("the {} product codes of {}", l.b.products.len(), file),
                    })?,
            ],
            _ => screen::screen(&l.b, &importer, &[], &screen::Thresholds::default())
                .into_iter()
                .filter(|s| s.year == l.year && s.dependent)
                .map(|s| s.product)
                .collect(),
        };
    let mut r = Report {
        title: format!("alternative suppliers to {} — {}", a.importer, file),
        ..Default::default()
    };
    r.parameters = vec![
        ("year".into(), l.year.to_string()),
        (
            "partners".into(),
            a.partners.clone().unwrap_or_else(|| "any".into()),
        ),
    ];
    r.summary = vec![
        l.input_line(),
        ("products".into(), products.len().to_string()),
    ];
    r.columns = [
        "product",
        "rank",
        "exporter",
        "world share",
        "RCA",
        "to importer",
        "elsewhere",
    ]
    .map(String::from)
    .to_vec();
    let top = a.top.or((a.out.format == Format::Table).then_some(10));
    for p in products {
        for (k, s) in screen::suppliers(&l.b, &importer, &partners, l.year, p)
            .into_iter()
            .take(top.unwrap_or(usize::MAX))
            .enumerate()
        {
            r.rows.push(vec![
                Cell::Text(l.product(p)),
                Cell::Num((k + 1) as f64, 0),
                Cell::Text(l.b.countries[s.exporter].clone()),
                Cell::Pct(s.world_share),
                Cell::Num(s.rca, 2),
                Cell::Num(s.to_importer, 1),
                Cell::Num(s.elsewhere, 1),
            ]);
        }
    }
    r.notes.push(
        "ranked by share of world exports of the product; RCA on world exports (Balassa); 'elsewhere' = exports \
         to everyone but the importer: room to redirect"
            .into(),
    );
    l.notes(&mut r);
    finish(&r, &a.out)
}

/// `sovra opportunities`: dependent products a country could make itself.
#[derive(clap::Args, Debug, Clone)]
pub struct OpportunitiesArgs {
    /// The country (ISO3 or the file's code).
    pub country: String,
    #[command(flatten)]
    pub input: TradeInput,
    /// Show the N best (default 20 in the table format).
    #[arg(long)]
    pub top: Option<usize>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `sovra opportunities`.
pub fn opportunities_cmd(a: &OpportunitiesArgs) -> Result<()> {
    let l = load_input(&a.input, None)?;
    let file = &l.source;
    let c = match l.b.countries.iter().position(|x| x == &a.country) {
        Some(c) => c,
        None => {
            return Err(Error::Unknown {
                kind: "country",
                name: a.country.clone(),
                suggestion: sovra_core::blocs::nearest(
                    &a.country,
                    l.b.countries.iter().map(String::as_str),
                ),
                valid: format!("the {} country codes of {}", l.b.countries.len(), file),
            }
            .into());
        }
    };
    let ops = sovra_trade::opportunities::rank(&l.b, c, l.year, &screen::Thresholds::default())?;
    let mut r = Report {
        title: format!(
            "import-substitution opportunities of {} — {}",
            a.country, file
        ),
        ..Default::default()
    };
    r.parameters = vec![("year".into(), l.year.to_string())];
    r.summary = vec![l.input_line(), ("candidates".into(), ops.len().to_string())];
    r.columns = [
        "rank",
        "product",
        "score",
        "density",
        "PCI",
        "COG",
        "imports",
        "top supplier",
        "why",
    ]
    .map(String::from)
    .to_vec();
    let top = a.top.or((a.out.format == Format::Table).then_some(20));
    for (k, o) in ops.iter().take(top.unwrap_or(usize::MAX)).enumerate() {
        let (sup, share) = o
            .screened
            .top_supplier
            .map_or((String::new(), 0.0), |(e, v)| (l.b.countries[e].clone(), v));
        r.rows.push(vec![
            Cell::Num((k + 1) as f64, 0),
            Cell::Text(l.product(o.product)),
            Cell::Num(o.score, 3),
            Cell::Num(o.density, 3),
            Cell::Num(o.pci, 2),
            Cell::Num(o.cog, 2),
            Cell::Num(o.screened.imports, 1),
            Cell::Text(format!("{sup} {:.0}%", 100.0 * share)),
            Cell::Text(format!(
                "dependent (import HHI {:.2}, world HHI {:.2}, imports/exports {:.1}); no RCA yet",
                o.screened.hhi_imports, o.screened.hhi_world, o.screened.ratio
            )),
        ]);
    }
    r.notes.push(
        "candidates: dependent products without RCA; score = mean of the percentile ranks of density \
         (feasibility), PCI (complexity) and COG (outlook gain) among them; docs/indicators.md"
            .into(),
    );
    l.notes(&mut r);
    finish(&r, &a.out)
}

/// `sovra trade synth`: a synthetic BACI-like year in the long format.
#[derive(clap::Args, Debug, Clone)]
pub struct SynthArgs {
    /// Countries.
    #[arg(long, default_value_t = 200)]
    pub countries: usize,
    /// Products.
    #[arg(long, default_value_t = 5000)]
    pub products: usize,
    /// Average destinations per exported product (35 ≈ a BACI year of ~11 M rows at 200 × 5,000).
    #[arg(long, default_value_t = 35.0)]
    pub destinations: f64,
    /// Year.
    #[arg(long, default_value_t = 2022)]
    pub year: i32,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output CSV (written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Write BACI's format (`t,i,j,k,v,q`, numeric codes) instead of the long one, with the country-code
    /// file beside the output (`country_codes_synth.csv`).
    #[arg(long)]
    pub baci: bool,
}

/// `sovra trade synth`.
pub fn synth_cmd(a: &SynthArgs) -> Result<()> {
    if a.countries < 2 || a.products < 2 || a.destinations.is_nan() || a.destinations <= 0.0 {
        return Err(Error::Request(
            "need at least 2 countries, 2 products and destinations > 0".into(),
        )
        .into());
    }
    let b = sovra_trade::synth::year(sovra_trade::synth::Spec {
        countries: a.countries,
        products: a.products,
        destinations: a.destinations,
        year: a.year,
        seed: a.seed,
    });
    if a.baci {
        let (data, codes) = sovra_trade::synth::to_baci_csv(&b, a.seed);
        let codes_path = a
            .out
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("country_codes_synth.csv");
        crate::render::write_atomic(&a.out, data.as_bytes())?;
        crate::render::write_atomic(&codes_path, codes.as_bytes())?;
        eprintln!(
            "{} rows written to {} (BACI format; country codes in {})",
            b.rows.len(),
            a.out.display(),
            codes_path.display()
        );
    } else {
        crate::render::write_atomic(&a.out, sovra_trade::synth::to_long_csv(&b).as_bytes())?;
        eprintln!("{} rows written to {}", b.rows.len(), a.out.display());
    }
    Ok(())
}

fn depend_each(a: &TradeDependArgs, l: &Loaded, importers: &[usize]) -> Result<()> {
    let th = a.thresholds();
    let all = screen::screen_each(&l.b, &th);
    let mut r = Report {
        title: format!(
            "product dependency screen of each importer in {} — {}",
            a.importer, l.source
        ),
        ..Default::default()
    };
    r.parameters = vec![
        ("year".into(), l.year.to_string()),
        ("import HHI above".into(), a.hhi_imports.to_string()),
        ("world export HHI above".into(), a.hhi_world.to_string()),
        ("imports/exports above".into(), a.ratio.to_string()),
    ];
    r.summary = vec![
        l.input_line(),
        ("importers".into(), importers.len().to_string()),
    ];
    r.columns = [
        "importer",
        "products imported",
        "dependent",
        "persistent",
        "largest dependent product",
        "its imports",
        "its top supplier",
    ]
    .map(String::from)
    .to_vec();
    let mut rows: Vec<(usize, usize, usize, usize, Option<&screen::Screened>)> = importers
        .iter()
        .map(|&j| {
            let v: Vec<&screen::Screened> = all[j].iter().filter(|s| s.year == l.year).collect();
            let dep: Vec<&&screen::Screened> = v.iter().filter(|s| s.dependent).collect();
            let pers = dep.iter().filter(|s| s.persistent).count();
            let big = dep
                .iter()
                .max_by(|x, y| x.imports.total_cmp(&y.imports))
                .map(|s| **s);
            (j, v.len(), dep.len(), pers, big)
        })
        .collect();
    rows.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    let top = a.top.or((a.out.format == Format::Table).then_some(30));
    for (j, n, d, p, big) in rows.into_iter().take(top.unwrap_or(usize::MAX)) {
        let (prod, imp, sup) = match big {
            Some(s) => (
                l.product(s.product),
                Cell::Num(s.imports, 1),
                s.top_supplier
                    .map(|(e, v)| format!("{} {:.0}%", l.b.countries[e], 100.0 * v))
                    .unwrap_or_default(),
            ),
            None => (String::new(), Cell::Text(String::new()), String::new()),
        };
        r.rows.push(vec![
            Cell::Text(l.b.countries[j].clone()),
            Cell::Num(n as f64, 0),
            Cell::Num(d as f64, 0),
            Cell::Num(p as f64, 0),
            Cell::Text(prod),
            imp,
            Cell::Text(sup),
        ]);
    }
    l.notes(&mut r);
    finish(&r, &a.out)
}

/// `sovra trade import`: bilateral trade files into the trade store.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// BACI (`t,i,j,k,v,q`) or long (`year,exporter,importer,product,value[,quantity]`) files, .csv or
    /// .csv.gz; any size (they are streamed).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// BACI's country-code file (`country_codes_V*.csv`), needed for BACI input.
    #[arg(long, value_name = "FILE")]
    pub country_codes: Option<PathBuf>,
    /// The store (default: $SOVRA_HOME/trade). The years in FILE replace those years in the store; the
    /// others are kept.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Memory the duplicate check may use before it spills to disk, in GiB.
    #[arg(long, default_value_t = 2.0, value_name = "GIB")]
    pub memory_limit: f64,
    /// If another import is writing to the store, wait for it to finish (default: fail, naming it).
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Years separated by spaces.
fn year_list<'a>(years: impl IntoIterator<Item = &'a i32>) -> String {
    years
        .into_iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `sovra trade import`.
pub fn import_cmd(a: &ImportArgs) -> Result<()> {
    if !(a.memory_limit.is_finite() && a.memory_limit > 0.0) {
        return Err(Error::Request(format!(
            "--memory-limit {}: give a positive number of GiB",
            a.memory_limit
        ))
        .into());
    }
    let codes = match &a.country_codes {
        Some(f) => Some(bilateral::read_baci_codes(f)?),
        None => None,
    };
    let dir = a
        .store
        .clone()
        .unwrap_or_else(sovra_lake::store::default_dir);
    let opts = sovra_lake::import::ImportOptions {
        memory_limit: (a.memory_limit * (1u64 << 30) as f64) as usize,
        ..Default::default()
    };
    let pb = crate::progress::spinner("importing");
    let progress = |n: u64| pb.set_message(format!("importing: {n} rows"));
    let wait = if a.wait {
        sovra_core::lock::Wait::Forever
    } else {
        sovra_core::lock::Wait::No
    };
    let rep =
        sovra_lake::import::import_with(&a.files, codes.as_ref(), &dir, &opts, wait, &progress);
    pb.finish_and_clear();
    let rep = rep?;
    let mut r = Report {
        title: format!("trade imported into {}", dir.display()),
        ..Default::default()
    };
    r.summary = vec![
        (
            "rows stored".into(),
            rep.years.values().sum::<u64>().to_string(),
        ),
        ("years imported".into(), year_list(rep.years.keys())),
        (
            "years replaced".into(),
            if rep.replaced.is_empty() {
                "none".into()
            } else {
                year_list(&rep.replaced)
            },
        ),
        ("store holds".into(), year_list(&rep.store_years)),
        (
            "seconds".into(),
            format!(
                "{:.1} reading and writing, {:.1} checking for repeated rows",
                rep.seconds_write, rep.seconds_check
            ),
        ),
    ];
    r.columns = [
        "file",
        "format",
        "rows read",
        "zero value, skipped",
        "unknown BACI codes",
        "years",
    ]
    .map(String::from)
    .to_vec();
    for (file, fr) in &rep.files {
        r.rows.push(vec![
            Cell::Text(file.clone()),
            Cell::Text(fr.format.clone()),
            Cell::Num(fr.rows as f64, 0),
            Cell::Num(fr.zero_rows_skipped as f64, 0),
            Cell::Text(
                fr.unknown_codes
                    .iter()
                    .map(|(c, n)| format!("{c} ({n} rows)"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::Text(
                fr.years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ]);
    }
    r.notes.push(
        "Parquet partitioned by year (year=YYYY/), read with DataFusion; provenance per year in sovra-trade.json"
            .into(),
    );
    finish(&r, &a.out)
}

#[cfg(test)]
mod tests {
    use super::names_revision;

    #[test]
    fn product_names_follow_the_codes_revision() {
        assert_eq!(names_revision(Some("H1:H0"), "x.csv"), Some("hs92"));
        assert_eq!(
            names_revision(Some("H5:H6"), "BACI_HS92_Y2021.csv"),
            Some("hs22")
        );
        assert_eq!(names_revision(Some("H0:H1"), "x.csv"), None);
        assert_eq!(
            names_revision(None, "/d/BACI_HS12_Y2020_V202401.csv.gz"),
            Some("hs12")
        );
        assert_eq!(
            names_revision(None, "imported from: 2021 ← BACI_HS17_Y2021.csv"),
            None
        );
        assert_eq!(names_revision(None, "flows.csv"), Some("hs92"));
    }
}
