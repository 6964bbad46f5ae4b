//! `sovra`: economic-security analytics on multi-regional input-output tables, from the command line.
//! This binary only parses arguments, loads data and renders results; every number comes from
//! `sovra-core` and `sovra-analysis`.

mod alliances;
#[cfg(feature = "cluster")]
mod cluster;
mod commands;
mod complexity;
mod depend;
mod monitor;
mod progress;
mod projects;
mod render;
mod serve;
mod shock;
mod trade;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use render::Format;

/// sovra — where an economy depends on foreign supply, directly and through chains of third countries.
///
/// Works on multi-regional input-output (MRIO) tables in the notation of Miller & Blair and pymrio
/// (Z Y x v A L B G F S M). The default dataset, icio2022 (sanction-simulator's rebuild of the OECD ICIO
/// 2025 release, year 2022, 80 countries × 50 sectors), is fetched on first use through pip. Data live in
/// $SOVRA_HOME (default ~/.local/share/sovra).
///
/// Exit codes: 0 done; 1 the data (a file, a dataset) or the computation failed; 2 bad input on the command
/// line (a flag, a name, a date); 3 computed and written but not trustworthy (a shock that did not converge, failed its stability check or collapsed;
/// `--allow-unstable` accepts it).
#[derive(Parser, Debug)]
#[command(
    name = "sovra",
    version,
    about,
    long_about,
    propagate_version = true,
    max_term_width = 110
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Longest line a text input (CSV, TOML) may have, in bytes (default 1 MiB): a longer one stops the
    /// read with an error naming the line. Raise it only for a file you know has such lines.
    #[arg(long, global = true, value_name = "BYTES")]
    max_line: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fetch, import and list datasets in the native store.
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Data(DataCommand),
    /// Summarise a dataset: labels, totals, balance and productivity checks, output by region.
    ///
    /// Example: sovra info icio2022
    #[command(verbatim_doc_comment)]
    Info {
        /// Dataset name (see `sovra data list`).
        name: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Output and value-added multipliers per node (column sums of L and of ν̂L), ranked.
    ///
    /// The output multiplier of a node is the gross output, all over the world, needed for one unit of final
    /// demand for its product; the value-added multiplier is the value added it generates (1 when v covers
    /// all value added). Computed with one transposed solve; L is never formed.
    ///
    /// Example: sovra multipliers icio2022 --top 10 --region DEU
    #[command(verbatim_doc_comment)]
    Multipliers {
        /// Dataset name.
        name: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// Show the N nodes with the largest output multiplier (all nodes when omitted in csv/json).
        #[arg(long)]
        top: Option<usize>,
        /// Only nodes of this region (ISO3 code).
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Rasmussen backward and forward linkages (Leontief and Ghosh) and key sectors.
    ///
    /// Backward linkage = normalised column sum of L; forward = normalised row sum of L and of G.
    /// A key sector has both backward and (Ghosh) forward linkage above 1.
    ///
    /// Example: sovra linkages icio2022 --region USA --top 15
    #[command(verbatim_doc_comment)]
    Linkages {
        /// Dataset name.
        name: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// Show the N nodes with the largest backward linkage.
        #[arg(long)]
        top: Option<usize>,
        /// Only nodes of this region (ISO3 code).
        #[arg(long)]
        region: Option<String>,
        /// Only key sectors (backward and forward linkage both above 1).
        #[arg(long)]
        key_only: bool,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Satellite accounts of a stressor, as pymrio computes them: consumption-based (D_cba), production-based
    /// (D_pba), imported (D_imp) and exported (D_exp), per region.
    ///
    /// `--stressor "value added"` works on every table; other stressors are the rows of F the table carries
    /// (see `sovra info`). Needs final demand by destination region.
    ///
    /// Example: sovra footprint wiod2011 --stressor "value added"
    #[command(verbatim_doc_comment)]
    Footprint {
        /// Dataset name.
        name: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// Stressor row (a name from `sovra info NAME`, or "value added").
        #[arg(long)]
        stressor: String,
        /// Per region (default) or per node (region × sector, pymrio's D_cba etc.).
        #[arg(long, value_enum, default_value_t = commands::By::Region)]
        by: commands::By,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Where "us" depends on "them", sector by sector: their value added in our output (through all rounds of
    /// the supply chain, and the part through third countries), direct input shares, supplier concentration,
    /// and sales to them.
    ///
    /// US and THEM are countries (ISO3), blocs (`sovra blocs list`) or expressions: EU27-DEU, EAEU+CHN,
    /// BRICS&OPEC, or a country's name (Russia). Membership is taken on --as-of (default: the end of the
    /// dataset's year). Members the dataset does not carry as separate regions are listed in a note.
    /// Formulas: docs/indicators.md.
    ///
    /// Examples: sovra depend DEU --on CHN --top 10
    ///           sovra depend EU27 --on BRICS --by region --as-of 2023-12-31
    ///           sovra depend JPN --on CHN --sector C26 --format csv --out jpn_c26.csv
    ///           sovra depend EU27 --on CHN --min-output 1000 --sort via-third
    #[command(verbatim_doc_comment)]
    Depend {
        #[command(flatten)]
        parties: depend::PartyArgs,
        /// Only this sector (a code from `sovra info`, e.g. C26).
        #[arg(long)]
        sector: Option<String>,
        /// Show the N highest rows (default 25 in the table format, all in csv/json).
        #[arg(long)]
        top: Option<usize>,
        /// Rank rows by this indicator.
        #[arg(long, value_enum, default_value_t = depend::SortBy::Va)]
        sort: depend::SortBy,
        /// One row per sector of each of our regions, per region of us, or per region of origin of the value
        /// added in our output (`--by origin`: us, them and every third country).
        #[arg(long, value_enum, default_value_t = depend::DependBy::Sector)]
        by: depend::DependBy,
        /// Leave out sectors with less gross output than this, in the table's units (e.g. 1000 = USD 1 bn
        /// for icio2022), so that tiny sectors with extreme shares do not crowd the ranking.
        #[arg(long, default_value_t = 0.0, value_name = "AMOUNT", value_parser = finite)]
        min_output: f64,
        /// Treat each region of US on its own (e.g. every country of the world against BRICS:
        /// `sovra depend ALL-BRICS --on BRICS --each --by region`), with key-sector exposure; the solves that
        /// depend only on THEM are shared.
        #[arg(long)]
        each: bool,
        /// Count only their value added in these products (HS6, HS4 or HS2 codes or sections,
        /// comma-separated, e.g. 8541,8542): the share of the products in each of their sectors' output,
        /// from the trade store's exports for the table's year (docs/indicators.md, "Products").
        #[arg(long, value_delimiter = ',', value_name = "HS")]
        products: Option<Vec<String>>,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Technological keys: our sectors ranked by the output of ours exposed if their inputs from them stop.
    ///
    /// Exposure = inputs bought from them × the sector's Ghosh forward multiplier over our economy (a
    /// supply-side hypothetical extraction), with the largest inputs from them behind each sector.
    ///
    /// Example: sovra keys EU27 --on CHN --top 15
    #[command(verbatim_doc_comment)]
    Keys {
        #[command(flatten)]
        parties: depend::PartyArgs,
        /// Show the N most exposed sectors (default 20 in the table format, all in csv/json).
        #[arg(long)]
        top: Option<usize>,
        /// List this many inputs from them per sector.
        #[arg(long, default_value_t = 3)]
        inputs: usize,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// Trade in value added: the OECD TiVA indicators per country (EXGR, EXGR_DVA, EXGR_FVA, EXGR_FVASH,
    /// EXGR_DVAFX, backward/forward/total GVC participation, FFD_DVA, DFD_FVA).
    ///
    /// Needs final demand split by destination country (WIOD, raw OECD ICIO CSV, pymrio systems); icio2022
    /// does not carry it, and sovra says so instead of printing numbers without final-product trade.
    ///
    /// Example: sovra tiva --data wiod2011 --country DEU+FRA+ITA
    #[command(verbatim_doc_comment)]
    Tiva {
        /// Dataset.
        #[arg(long, default_value = "icio2022")]
        data: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// Only these countries (a country, bloc or expression).
        #[arg(long)]
        country: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        solver: SolverArgs,
    },
    /// What an embargo, export ban or import ban does to output, country by country and sector by sector.
    ///
    /// The default model (rerouting) is sanction-simulator's: severed trade leaks a share δ, the rest is
    /// rerouted to other partners by two-sided RAS less a friction τ, and output follows from a CES
    /// capacity-rationing equilibrium (inner curvature ρ, outer ϱ). `--model extraction` is the linear
    /// baseline: severed flows removed, final demand fixed, one solve. Defaults: τ 0.30, δ 0.10, ρ −1, ϱ −1.
    ///
    /// SANCTIONING and TARGET are countries, blocs or expressions (as in `sovra depend`). An export ban
    /// severs SANCTIONING's sales to TARGET; an import ban TARGET's sales to SANCTIONING; an embargo both.
    /// A scenario file holds one or more legs ([[leg]] sanctioning, target, instrument, sectors) and
    /// [params]; --write-scenario saves the flags as one. Batches ([[scenario]] tables) and sweeps run in
    /// parallel and stream one report per scenario (csv/json) in scenario order; with --out the stream goes to
    /// OUT.partial first, so an interrupted run keeps what finished (--resume continues it).
    ///
    /// Examples: sovra shock USA --on CHN
    ///           sovra shock G7 --on RUS+BLR --instrument export-ban --sectors C26,C27 --tau 0.5
    ///           sovra shock --scenario chips.toml --format csv --out chips.csv
    ///           sovra shock USA --on CHN --sweep tau=0.1:0.8:0.1,delta=0.05,0.1 \
    ///               --format json --out sweep.jsonl
    #[command(verbatim_doc_comment)]
    Shock(Box<shock::ShockArgs>),
    /// Chains of cooperation: for what US buys from THEM, sector by sector, which candidate partners
    /// could supply it instead, and what an embargo of THEM on US costs when only the alliance may
    /// replace them.
    ///
    /// For each candidate p and sector s: our imports from them M_s, p's exports E_ps to every region
    /// but itself, the coverage min(1, E_ps / M_s) and what we already buy from p; totals weighted by
    /// our imports. Partner sets of at most --size members are ranked by the imports their pooled
    /// exports cover, Σ_s min(M_s, Σ_p E_ps): every set while there are at most two million, else the
    /// greedy chain (within 1 − 1/e of the best: the cover is submodular). Candidates that are US or
    /// THEM are left out, with a note.
    ///
    /// Then the embargo of THEM on US runs under the rerouting model four times, with the replacement
    /// of our lost supply open to us alone, to us and the best set, to us and every candidate, and to
    /// everyone: our output loss in each, and the loss the alliance avoids.
    ///
    /// Capacity figures, not forecasts: present exports bound what a partner could redirect at once.
    /// icio2022 does not split final demand by destination: there the figures are intermediate flows.
    /// Where the trade store ($SOVRA_HOME/trade) holds trade, the same coverage by HS6 product
    /// (tables hs6_*; --trade requires it, --no-trade leaves it out, --trade-year picks the year).
    /// CSV holds one table (--table picks it). Formulas: docs/alliances.md.
    ///
    /// Examples: sovra alliances RUS --against G7 --candidates BRICS --size 2
    ///           sovra alliances RUS+BLR --against EU27+G7 --candidates BRICS+EAEU --top 15
    ///           sovra alliances IND --against CHN --candidates G7 --no-shock --format csv --out ind.csv
    ///           sovra alliances EAEU --against G7 --candidates "BRICS-EAEU" --as-of 2025-06-30
    #[command(verbatim_doc_comment)]
    Alliances(Box<alliances::AlliancesArgs>),
    /// Economic complexity: RCA, diversity, ubiquity, ECI and PCI (eigenvector method), COI, fitness.
    ///
    /// Input: product-level exports as a long CSV (`year,exporter,product,value`, e.g. HS6 or HS4 from
    /// BACI or Comtrade) with --input, or, by default, the sector exports of an MRIO table (regions as
    /// countries, sectors as products). `--convention stata` (default) reproduces Stata's `ecomplexity`,
    /// `--convention py-ecomplexity` the Python package; they differ in the standard deviation used and in
    /// whether density counts the product itself.
    ///
    /// Examples: sovra complexity --top 15
    ///           sovra complexity --input exports.csv --year 2021 --by product --format csv
    ///           sovra complexity --input ~/.local/share/sovra/trade --year 2022
    #[command(verbatim_doc_comment)]
    Complexity(Box<complexity::ComplexityArgs>),
    /// Product-level trade: the dependency screen (GeoDep / EU SWD(2021) 352 criteria).
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Trade(TradeCommand),
    /// Import-substitution opportunities: products a country or bloc depends on (the trade screen) that are
    /// close to what it already makes (density), complex (PCI) and strategic (COG), with the reasons per
    /// product. The score places each pair among all the year's country × product pairs without RCA, so it
    /// compares across countries and lists; the rank score is the rank among the candidates only.
    ///
    /// Examples: sovra opportunities ZAF --input flows.csv --top 15
    ///           sovra opportunities EU27 --as-of 2024-01-01 --product 85,90
    ///           sovra opportunities RUS+BLR --top 10 --write-projects union.toml
    #[command(verbatim_doc_comment)]
    Opportunities(Box<trade::OpportunitiesArgs>),
    /// Import-substitution projects: what each does through the supply chain (dependence cut, value added
    /// gained, shock loss avoided) and the portfolio that cuts dependence most under budgets (a MILP),
    /// re-evaluated jointly. See docs/projects.md.
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Projects(projects::ProjectsCommand),
    /// Is import substitution on track? For every year of a series (--years 1995:2011), the indicators of
    /// US against THEM: import penetration M/(Q−X+M) and self-sufficiency Q/(Q−X+M) per product, the share
    /// of imports from them, direct inputs from them, their value added in our output (total, via third
    /// countries), foreign-supplier HHI, their value added in our final demand; for all of us, each region
    /// (--by region) and each product (--by sector); with the change, CAGR and recent slope of each.
    ///
    /// A programme file (--programme, TOML [[target]] tables) sets targets: each gets its latest value, the
    /// straight path from its baseline, the trend projected to its year, a status (achieved, on track,
    /// behind, worsening) and the gap, the most off track first; --fail-on behind exits 1 for scheduled
    /// runs. Current prices. Definitions and the status rule: docs/monitoring.md.
    ///
    /// Examples: sovra monitor RUS --on EU27 --data wiod2013 --years 1995:2011
    ///           sovra monitor RUS --on EU27 --data wiod2013 --by sector --kpis import_penetration
    ///           sovra monitor RUS --on EU27 --data wiod2013 --programme examples/rus-programme.toml \
    ///               --fail-on behind
    ///           sovra monitor EU27 --on CHN --data wiod2013 --each --format csv --out eu.csv
    #[command(verbatim_doc_comment)]
    Monitor(Box<monitor::MonitorArgs>),
    /// Why did dependence change? Splits the change of their value added in our final demand,
    /// D = Σ_{i∈THEM} ν_i [L f_US]_i, between two years into six effects that add up exactly: their
    /// value-added coefficients, technology, import sourcing of intermediate inputs, and the level, product
    /// mix and sourcing of our final demand (the average of the two polar decompositions, Dietzenbacher &
    /// Los 1998). --by sector splits each effect by product; --chain goes year by year. Current prices.
    /// Formulas: docs/monitoring.md.
    ///
    /// Examples: sovra decompose RUS --on CHN --data wiod2013 --from 1995 --to 2011
    ///           sovra decompose DEU --on CHN --data wiod2013 --from 2000 --to 2008 --by sector
    ///           sovra decompose USA --on CHN --data wiod2013 --from 1995 --to 2011 --chain
    #[command(verbatim_doc_comment)]
    Decompose(Box<monitor::DecomposeArgs>),
    /// Country groups: built-in blocs with sources and membership history, and custom ones from TOML.
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Blocs(BlocsCommand),
    /// The product bridge: which ICIO sectors an HS product is made in, with what weight (what product-level
    /// shock legs, `sovra shock … --products 8542`, sever).
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Bridge(BridgeCommand),
    /// Serve every analysis over HTTP: `POST /v1/<kind>` with the request as JSON, answered with the report
    /// as JSON, CSV or Arrow; an OpenAPI document at /v1/openapi.json and a browsable page at /api.
    ///
    /// Safe by default: listens on 127.0.0.1 only, read-only (datasets by name, never paths), never fetches
    /// data, limits bodies, time, `top` and queued work (503 with Retry-After when full), stops work whose
    /// client went away, and can require a bearer token read from a file. See docs/http.md.
    ///
    /// Examples: sovra serve
    ///           curl -s localhost:8750/v1/depend -d '{"us":"EU27","them":"CHN","top":5}'
    ///           sovra serve --bind 0.0.0.0:8750 --token-file ~/.config/sovra/token --max-concurrent 1
    #[command(verbatim_doc_comment)]
    Serve(Box<serve::ServeArgs>),
    /// Run an Apache Ballista scheduler or executor, for `--cluster df://HOST:PORT` on the trade commands
    /// (built with `--features cluster`). Every executor must see the trade store at the same path as the
    /// machine that runs sovra. See docs/cluster.md.
    ///
    /// Examples: sovra cluster scheduler --bind 127.0.0.1:50050
    ///           sovra cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50051
    ///           sovra trade depend ALL --each --cluster df://127.0.0.1:50050
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    #[command(verbatim_doc_comment)]
    Cluster(cluster::ClusterCommand),
    /// Export a vector or matrix of the system (x, v, A, B, L, G, output from demand) as .npy or CSV.
    ///
    /// L and G are full inverses (n² numbers; an LU of I − A): only formed here, on request.
    ///
    /// Example: sovra matrix icio2022 A --out A.npy
    #[command(verbatim_doc_comment)]
    Matrix {
        /// Dataset name.
        name: String,
        /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
        #[arg(long)]
        year: Option<i32>,
        /// Which: x, v, A, B, L, G, or x-from-y (gross output recomputed as L·Y·1).
        #[arg(value_enum)]
        which: commands::Which,
        /// Output file: .npy (numpy) or .csv (labelled).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum DataCommand {
    /// Fetch a dataset from a package registry with pip and convert it to the native store.
    ///
    /// icio2022: sanction-simulator's rebuild of the OECD ICIO 2025 release, year 2022 (80 countries × 50
    /// sectors, rest of world dropped, rebalanced from its model output, cost shares capped at 0.98), from
    /// the PyPI wheel sanction-simulator==0.1.4 (`python3 -m pip download --no-deps`; set SOVRA_PYTHON for
    /// another interpreter). The sha256 of the data is checked. Running it again does nothing unless --force.
    ///
    /// Examples: sovra data fetch
    ///           sovra data fetch classifications
    #[command(verbatim_doc_comment)]
    Fetch {
        /// What to fetch: icio2022 (the default dataset) or classifications (HS product names, countries and
        /// HS revision weights from PyPI atlas-common-data==1.1.1; the trade commands then name products).
        #[arg(default_value = "icio2022", value_parser = ["icio2022", "classifications"])]
        name: String,
        /// Download and convert again even if present.
        #[arg(long)]
        force: bool,
    },
    /// Import a table from a file or directory into the native store.
    ///
    /// Formats: oecd-icio-csv (raw OECD ICIO CSV such as 2022_SML.csv, release detected from its labels;
    /// .csv or .csv.gz), pymrio (a directory written by pymrio's save_all).
    ///
    /// Example: sovra data import --format oecd-icio-csv 2022_SML.csv --name icio2022-full --year 2022
    #[command(verbatim_doc_comment)]
    Import {
        /// Input format.
        #[arg(long, value_enum)]
        format: commands::ImportFormat,
        /// File or directory to read.
        path: PathBuf,
        /// Name of the dataset in the store.
        #[arg(long)]
        name: String,
        /// Reference year, recorded in the provenance.
        #[arg(long)]
        year: Option<i32>,
        /// Replace a dataset of the same name (in one step); without it, an existing name is an error.
        #[arg(long)]
        replace: bool,
    },
    /// List datasets in the store.
    ///
    /// Example: sovra data list --format json
    #[command(verbatim_doc_comment)]
    List {
        #[command(flatten)]
        out: OutputArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TradeCommand {
    /// Import bilateral trade into the trade store: BACI (with its country-code file) or long CSV, .csv or
    /// .csv.gz, streamed (any size) into Parquet partitioned by year. Every row is checked (a bad cell is an
    /// error naming file, line and column, and nothing is imported); repeated (year, exporter, importer,
    /// product) are an error; zero values are skipped and counted. The other trade commands read the store
    /// by default.
    ///
    /// Examples: sovra trade import BACI_HS92_Y2022_V202401.csv --country-codes country_codes_V202401.csv
    ///           sovra trade import BACI_HS92_Y2021_V202401.csv.gz BACI_HS92_Y2022_V202401.csv.gz \
    ///               --country-codes country_codes_V202401.csv --wait
    #[command(verbatim_doc_comment)]
    Import(Box<trade::ImportArgs>),
    /// Where an importer is dependent, product by product: import concentration (HHI > 0.4), world export
    /// concentration (HHI > 0.4), imports/exports (> 1), share from a bloc, persistence over 3 years.
    ///
    /// Input: the trade store (`sovra trade import`; only the years needed are read), or a file read
    /// directly: CEPII BACI (`t,i,j,k,v,q` with its country-code file) or a long CSV
    /// (`year,exporter,importer,product,value`), .csv or .csv.gz. A bloc as importer leaves out its internal
    /// trade.
    ///
    /// Examples: sovra trade depend EU27 --on CHN --years 2020:2022
    ///           sovra trade depend EU27 --on CHN --input BACI_HS92_Y2021_V202301.csv \
    ///               --country-codes country_codes_V202301.csv
    #[command(verbatim_doc_comment)]
    Depend(Box<trade::TradeDependArgs>),
    /// Import substitution product by product, year by year: for IMPORTER against THEM (--on), every HS6
    /// product's imports, share from them, import HHI and the GeoDep flags in each year of --years; how many
    /// products were dependent each year; the products that entered and left the dependent list between the
    /// first and the last year, and for each that left, how — diversified suppliers (import HHI down), more
    /// domestic exports or less imports (imports/exports down), world exports less concentrated — and
    /// whether imports from them fell. See docs/monitoring.md.
    ///
    /// Examples: sovra trade monitor RUS --on EU27 --years 2015:2022
    ///           sovra trade monitor EU27 --on CHN --years 2019:2022 --format csv --out eu.csv
    #[command(verbatim_doc_comment)]
    Monitor(Box<trade::TradeDependArgs>),
    /// Who could supply a product instead: exporters ranked by world export share, with RCA, what they
    /// already sell the importer and what they sell elsewhere (room to redirect).
    ///
    /// Example: sovra trade suppliers DEU --product 850760 --partners EU27+G7
    #[command(verbatim_doc_comment)]
    Suppliers(Box<trade::SuppliersArgs>),
    /// Write a synthetic BACI-like year (fixed seed, lognormal values, capability structure) as a long CSV,
    /// for tests and benchmarks.
    ///
    /// Examples: sovra trade synth --countries 200 --products 5000 --out synth2022.csv
    ///           sovra trade synth --baci --year 2021 --out BACI_synth_Y2021.csv
    #[command(verbatim_doc_comment)]
    Synth(Box<trade::SynthArgs>),
}

#[derive(Subcommand, Debug)]
enum BridgeCommand {
    /// Where HS codes land: each HS6 code, the ICIO sectors it is split over, the weights and the ISIC Rev.4
    /// classes behind them. HS4 codes, chapters (85) and sections (XVI) expand to their HS6 codes.
    ///
    /// Examples: sovra bridge show 8542
    ///           sovra bridge show 854231 848620
    ///           sovra bridge show XVI --format csv --out section16.csv
    #[command(verbatim_doc_comment)]
    Show {
        /// HS codes (HS6, HS4, HS2) or sections, separated by spaces or commas.
        #[arg(required = true, value_delimiter = ',')]
        codes: Vec<String>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

#[derive(Subcommand, Debug)]
enum BlocsCommand {
    /// List the blocs and their members on a date.
    ///
    /// Examples: sovra blocs list
    ///           sovra blocs list --as-of 2010-01-01 --format csv
    #[command(verbatim_doc_comment)]
    List {
        /// Extra blocs from a TOML file.
        #[arg(long, value_name = "FILE")]
        blocs: Option<PathBuf>,
        /// Membership on this date, YYYY-MM-DD (default today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// One bloc (source, notes, history) or an expression's members; with --data, which members the dataset
    /// carries as separate regions.
    ///
    /// Examples: sovra blocs show BRICS --as-of 2024-06-30
    ///           sovra blocs show "EU27+G7-DEU" --data icio2022
    #[command(verbatim_doc_comment)]
    Show {
        /// Bloc name or expression.
        name: String,
        /// Extra blocs from a TOML file.
        #[arg(long, value_name = "FILE")]
        blocs: Option<PathBuf>,
        /// Membership on this date, YYYY-MM-DD (default today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Check the members against this dataset's regions.
        #[arg(long)]
        data: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

/// Output options shared by every analysis.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Solver options.
#[derive(Args, Debug, Clone)]
struct SolverArgs {
    /// Linear solver: auto (by estimated cost), lu, or iterative (GMRES).
    #[arg(long, value_enum, default_value_t = commands::SolverChoice::Auto)]
    solver: commands::SolverChoice,
}

/// Parses a number flag: NaN and infinities are refused here, before any work (clap names the flag).
pub(crate) fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{s}' is not a finite number"))
    }
}

/// A result that was computed and written but is flagged as not trustworthy: exit code 3.
#[derive(Debug)]
pub struct Untrusted(pub String);

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Untrusted {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.max_line.filter(|n| *n > 0) {
        sovra_core::read::set_max_line(n);
    }
    match commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The error and its causes, each cause left out when the text before already says it (errors that name a
/// file print their I/O cause in their own message: `F: No such file or directory`, once).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for c in e.chain() {
        let part = c.to_string();
        if out.contains(part.as_str()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&part);
    }
    out
}

/// The exit code of an error, from the engine's error kind: 2 for bad input named on the command line
/// (unknown country, bloc or sector, empty bloc, overlapping parties; like clap's own usage errors), 1 for
/// failures of data or computation, 3 for a result computed but not trustworthy (see `--allow-unstable`).
fn exit_code(e: &anyhow::Error) -> u8 {
    for c in e.chain() {
        if c.downcast_ref::<Untrusted>().is_some() {
            return 3;
        }
        if let Some(err) = c.downcast_ref::<sovra_engine::Error>() {
            return err.kind.exit_code();
        }
        if let Some(err) = c.downcast_ref::<sovra_core::Error>() {
            return if err.is_usage() { 2 } else { 1 };
        }
        if let Some(sovra_analysis::Error::Core(inner)) = c.downcast_ref::<sovra_analysis::Error>()
        {
            return if inner.is_usage() { 2 } else { 1 };
        }
    }
    1
}
