//! `sovra shock`: the flags as the engine's [`ShockRequest`] (scenario and batch files read here and passed
//! as text), the report rendered. A batch or a sweep streams one report per scenario: this module only writes
//! them — CSV rows of each scenario's `countries` table, or one JSON line per report — to standard output or
//! to `OUT.partial` (renamed to `OUT` at the end), and `--resume` reads that file back to skip what finished.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sovra_core::Error;
use sovra_engine::shock::partial::{self, PartialFormat};
use sovra_engine::shock::{self as engine_shock, Instrument, Model};
use sovra_engine::{self as engine, ErrorKind, ParamArg, Request, ShockRequest, TomlText};
use sovra_report::{Column, Kind, Report, Table, TableBuilder, Value};

use crate::OutputArgs;
use crate::commands::workspace;
use crate::progress;
use crate::render::{self, Format, emit, write_atomic};

/// The instrument, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstrumentArg {
    /// SANCTIONING stops selling to TARGET.
    ExportBan,
    /// SANCTIONING stops buying from TARGET.
    ImportBan,
    /// Both directions.
    Embargo,
}

/// The model, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// RAS rerouting of severed trade + CES capacity-rationing equilibrium (sanction-simulator's model).
    Rerouting,
    /// Hypothetical extraction, nobody substitutes: export bans' cuts on the supply side (Ghosh: the buyers
    /// short of inputs produce less), import bans' on the demand side (Leontief: the sellers that lose sales
    /// produce less); each node's output the smaller of the two.
    Extraction,
    /// Hypothetical extraction with every cut on the demand side (final use fixed).
    ExtractionDemand,
    /// Hypothetical extraction with every cut on the supply side (primary inputs fixed; Ghosh).
    ExtractionSupply,
    /// Hypothetical extraction with every cut on both sides; each node's output the smaller of the two.
    ExtractionBoth,
}

/// Everything `sovra shock` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct ShockArgs {
    /// The sanctioning side: a country (ISO3), a bloc or an expression (G7, EU27+GBR, …).
    pub sanctioning: Option<String>,
    /// The target: the country, bloc or expression whose trade with the sanctioning side is cut (both
    /// directions for an embargo, the sanctioning side's sales to it for an export ban).
    #[arg(long = "on", value_name = "TARGET")]
    pub target: Option<String>,
    /// What is cut: embargo (trade both ways), export-ban (the sanctioning side's sales to the target) or
    /// import-ban (its purchases from the target).
    #[arg(long, value_enum, default_value_t = InstrumentArg::Embargo)]
    pub instrument: InstrumentArg,
    /// Only these selling sectors, comma-separated codes (e.g. C26,C27); all when omitted.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub sectors: Option<Vec<String>>,
    /// Only these products instead of sectors: HS6, HS4 or HS2 codes or HS sections, comma-separated (e.g.
    /// 8541,8542,848620). Each seller sector → buyer block is severed in the share the products make up of
    /// it, weighted by the trade store's trade for the table's year (docs/shock.md, "Product legs"); see
    /// where a code lands with `sovra bridge show CODE`.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "HS",
        conflicts_with = "sectors"
    )]
    pub products: Option<Vec<String>>,
    /// Products listed in a file: one code per line, or the first column of a CSV.
    #[arg(long, value_name = "FILE", conflicts_with = "sectors")]
    pub products_file: Option<PathBuf>,
    /// Read the scenario from a TOML file (legs, model, parameters); flags below override its parameters.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sanctioning", "target", "batch"])]
    pub scenario: Option<PathBuf>,
    /// Run every `[[scenario]]` of a TOML file, in parallel, streaming one result per scenario.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sanctioning", "target"])]
    pub batch: Option<PathBuf>,
    /// Sweep parameters over a grid, e.g. tau=0.1:0.8:0.1,delta=0.05,0.1 (ranges are start:stop:step,
    /// inclusive; lists are comma-separated). Runs the cartesian product, streaming results.
    #[arg(long, value_name = "GRID")]
    pub sweep: Option<String>,
    /// rerouting (severed flows partly find other routes, output adjusts to a CES capacity-rationing
    /// equilibrium; the default) or a linear extraction without substitution: extraction (export bans on the
    /// supply side, import bans on the demand side), extraction-demand, extraction-supply, extraction-both.
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Rerouting friction τ in [0, 1] (default 0.30). With --draws, a distribution: uniform:LO:HI,
    /// triangular:LO:MODE:HI or normal:MEAN:SD (truncated to the domain).
    #[arg(long, allow_hyphen_values = true, value_name = "VALUE|DIST", value_parser = value_or_distribution)]
    pub tau: Option<String>,
    /// Leakage δ in [0, 1]: share of a severed flow that still gets through (default 0.10); or a
    /// distribution, as --tau.
    #[arg(long, allow_hyphen_values = true, value_name = "VALUE|DIST", value_parser = value_or_distribution)]
    pub delta: Option<String>,
    /// Inner CES curvature ρ in [−100, 0) (default −1: elasticity 1/(1 − ρ) = 0.5 across sector bundles);
    /// or a distribution, as --tau.
    #[arg(long, allow_hyphen_values = true, value_name = "VALUE|DIST", value_parser = value_or_distribution)]
    pub rho: Option<String>,
    /// Outer CES curvature ϱ in [−100, 0), intermediate composite against the rest (default −1); or a
    /// distribution, as --tau.
    #[arg(long, allow_hyphen_values = true, value_name = "VALUE|DIST", value_parser = value_or_distribution)]
    pub rho_out: Option<String>,
    /// Monte Carlo: run the scenario N times, the parameters given as distributions drawn afresh each
    /// time (e.g. --draws 200 --tau uniform:0.1:0.6), and report per country the median and the 5th and
    /// 95th percentiles of the loss and of γ, and the world loss distribution.
    #[arg(long, value_name = "N")]
    pub draws: Option<usize>,
    /// The seed of --draws (the same seed gives the same draws, whatever the number of threads).
    #[arg(long, default_value_t = engine_shock::DEFAULT_SEED)]
    pub seed: u64,
    /// Dataset.
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Year of a dataset that holds several (a series such as WIOD 1995–2011); the latest when omitted.
    #[arg(long)]
    pub year: Option<i32>,
    /// Bloc membership on this date, YYYY-MM-DD (default: the scenario file's as_of, else 31 December of
    /// the dataset's year).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
    /// Countries shown in the summary (default 15; csv/json hold every country).
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// Show the sectors of this country (default: the most hit one).
    #[arg(long, value_name = "ISO3")]
    pub detail: Option<String>,
    /// Save the scenario (as given by flags) to a TOML file and go on.
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<PathBuf>,
    /// Batch/sweep: skip scenarios already in OUT.partial from an interrupted run of the same scenarios and
    /// format (checked by a fingerprint in the file; anything else is refused, never merged).
    #[arg(long)]
    pub resume: bool,
    /// Exit 0 even when a result is computed but not trustworthy (not converged, stability check failed,
    /// fulfilment collapsed). Without it such a run still writes its output, flagged, and exits with 3.
    #[arg(long)]
    pub allow_unstable: bool,
    /// Batch/sweep: refuse to run more scenarios than this (an absurd grid fails before any work).
    #[arg(long, default_value_t = engine_shock::MAX_SCENARIOS, value_name = "N")]
    pub max_scenarios: usize,
    /// Batch/sweep with --format csv: which table of each scenario's report to write, keyed by scenario
    /// (countries — every country's losses —, sides — the sanctioning side, the target and third
    /// countries —, sectors, nodes, legs, blocks); JSON lines carry every table.
    #[arg(long, value_name = "TABLE", default_value = "countries")]
    pub table: String,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Reads a scenario or batch file as the request's TOML text.
fn toml_file(path: &Path) -> Result<TomlText> {
    let text = sovra_core::read::read_text(path)?;
    Ok(TomlText::new(text, path.display().to_string()))
}

/// The request the flags describe.
fn request(a: &ShockArgs) -> Result<ShockRequest> {
    let one_leg = a.scenario.is_none() && a.batch.is_none();
    Ok(ShockRequest {
        sanctioning: a.sanctioning.clone(),
        target: a.target.clone(),
        // The instrument has a default on the command line; it belongs to a scenario given by flags only.
        instrument: one_leg.then_some(match a.instrument {
            InstrumentArg::ExportBan => Instrument::ExportBan,
            InstrumentArg::ImportBan => Instrument::ImportBan,
            InstrumentArg::Embargo => Instrument::Embargo,
        }),
        sectors: a.sectors.clone(),
        products: a.products.clone(),
        products_file: a.products_file.as_ref().map(|p| p.display().to_string()),
        scenario: a.scenario.as_deref().map(toml_file).transpose()?,
        batch: a.batch.as_deref().map(toml_file).transpose()?,
        sweep: a.sweep.clone(),
        model: a.model.map(|m| match m {
            ModelArg::Rerouting => Model::Rerouting,
            ModelArg::Extraction => Model::Extraction,
            ModelArg::ExtractionDemand => Model::ExtractionDemand,
            ModelArg::ExtractionSupply => Model::ExtractionSupply,
            ModelArg::ExtractionBoth => Model::ExtractionBoth,
        }),
        tau: a.tau.clone().map(param_arg),
        delta: a.delta.clone().map(param_arg),
        rho: a.rho.clone().map(param_arg),
        rho_out: a.rho_out.clone().map(param_arg),
        draws: a.draws,
        seed: a.seed,
        data: a.data.clone(),
        year: a.year,
        as_of: a.as_of.clone(),
        blocs: a
            .blocs
            .as_deref()
            .map(engine::Blocs::from_file)
            .transpose()?,
        // The terminal shows the top countries; csv and json every one.
        top: (a.out.format == Format::Table).then_some(a.top),
        detail: a.detail.clone(),
        skip: Vec::new(),
        max_scenarios: a.max_scenarios,
    })
}

/// A parameter flag as clap reads it: a finite number, or text shaped like a distribution (`KIND:…`, which the
/// engine parses and checks).
fn value_or_distribution(s: &str) -> Result<String, String> {
    match s.trim().parse::<f64>() {
        Ok(_) => crate::finite(s).map(|_| s.to_string()),
        Err(_) if s.contains(':') => Ok(s.to_string()),
        Err(_) => Err(format!(
            "'{s}' is not a number or a distribution (uniform:LO:HI, triangular:LO:MODE:HI, normal:MEAN:SD)"
        )),
    }
}

/// A parameter flag: a number, or a distribution's text (the engine parses and checks it).
fn param_arg(s: String) -> ParamArg {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => ParamArg::Value(v),
        _ => ParamArg::Text(s),
    }
}

/// `sovra shock`.
pub fn shock_cmd(a: &ShockArgs) -> Result<()> {
    render::check_extension(a.out.format, a.out.out.as_deref())?;
    let req = request(a)?;
    if let Some(f) = &a.write_scenario {
        write_scenario(&req, f)?;
    }
    if engine_shock::streams(&req) {
        return stream(a, req);
    }
    let ws = workspace();
    let req_draws = req.draws.is_some();
    let report = {
        let progress = progress::Spinner::new();
        engine::run(&ws, &Request::Shock(Box::new(req)), &progress)?
    };
    warn_unconverged(&report);
    let verdict = untrusted(&report, a.allow_unstable);
    let text = match a.out.format {
        Format::Table => render::terminal_with(&for_terminal(report)?, render::DASH),
        Format::Csv if req_draws => sovra_report::write::to_csv(&report, Some("countries"))?,
        Format::Csv => sovra_report::write::to_csv(&report, Some("nodes"))?,
        f => render::render(&report, f)?,
    };
    emit(&text, a.out.out.as_deref())?;
    verdict
}

/// Exit code 3 for an output that was written but is flagged as not trustworthy, unless the user accepts it.
pub(crate) fn untrusted(report: &Report, allow: bool) -> Result<()> {
    if allow || !figure_is(report, "trustworthy", &Value::Bool(false)) {
        return Ok(());
    }
    let why = report
        .notes
        .iter()
        .find_map(|n| n.strip_prefix("computed but not trustworthy: "))
        .or_else(|| {
            report
                .notes
                .iter()
                .find(|n| n.contains("not trustworthy"))
                .map(String::as_str)
        })
        .unwrap_or("see the notes");
    Err(crate::Untrusted(format!(
        "computed but not trustworthy: {why}. The output is written and flagged; --allow-unstable accepts it (exit 0)"
    ))
    .into())
}

/// `--write-scenario`: the one scenario of the flags (or of `--scenario`, with the flags over it) as TOML.
fn write_scenario(req: &ShockRequest, f: &Path) -> Result<()> {
    let specs = engine_shock::scenarios(req)?;
    if specs.len() != 1 || engine_shock::streams(req) {
        bail!(Error::Request(
            "--write-scenario saves one scenario; leave out --batch/--sweep".into()
        ));
    }
    write_atomic(f, specs[0].to_toml().as_bytes())?;
    eprintln!("scenario written to {}", f.display());
    Ok(())
}

fn figure_is(report: &Report, key: &str, value: &Value) -> bool {
    report
        .summary
        .iter()
        .any(|f| f.key == key && &f.value == value)
}

fn warn_unconverged(report: &Report) {
    if figure_is(report, "converged", &Value::Bool(false)) {
        let solver = report
            .headline
            .iter()
            .find(|l| l.label == "solver")
            .map_or("", |l| l.text.as_str());
        eprintln!(
            "warning: the solver did not converge ({solver}); the result is flagged in the output"
        );
    }
}

/// Sectors of the detail country the terminal shows.
const SECTORS_SHOWN: usize = 10;

/// The report as the terminal shows it: the countries (already cut to `--top`) and the ten most hit sectors
/// of the detail country, fulfilment as text with four decimals ("-" where the model has none), tolerances in
/// exponent form.
fn for_terminal(mut r: Report) -> Result<Report> {
    r.tables
        .retain(|t| t.key == "countries" || t.key == "sectors" || t.key == "world");
    for t in &mut r.tables {
        if t.key == "sectors" {
            *t = sectors_for_terminal(t)?;
        }
    }
    for p in &mut r.parameters {
        if let (true, Value::Number(x)) = (p.key.ends_with("_tol"), &p.value) {
            p.value = Value::Text(format!("{x:e}"));
        }
    }
    Ok(r)
}

fn sectors_for_terminal(t: &Table) -> Result<Table> {
    let text_h = |c: &Column| c.key == "fulfilment_h";
    let specs = t
        .columns
        .iter()
        .map(|c| {
            if text_h(c) {
                Column::text(c.key.as_str(), c.label.as_str())
            } else {
                c.clone()
            }
        })
        .collect();
    let mut tb = TableBuilder::new(t.key.as_str(), t.title.as_str(), specs);
    for i in 0..t.len().min(SECTORS_SHOWN) {
        let row = t
            .columns
            .iter()
            .map(|c| {
                let v = c.values.get(i);
                if text_h(c) {
                    Value::Text(v.as_f64().map_or("-".into(), |h| format!("{h:.4}")))
                } else {
                    v
                }
            })
            .collect();
        tb.push_row(row)?;
    }
    Ok(tb.finish())
}

/// The columns of a streamed CSV row that say which scenario it belongs to: the scenario's parameters and
/// whether it converged, before the scenario's `countries` columns.
const KEY_COLUMNS: [&str; 7] = [
    "scenario",
    "model",
    "tau",
    "delta",
    "rho",
    "rho_out",
    "converged",
];

/// A parameter's or a figure's value by key.
fn value(report: &Report, key: &str) -> Value {
    report
        .parameters
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.clone())
        .or_else(|| {
            report
                .summary
                .iter()
                .find(|f| f.key == key)
                .map(|f| f.value.clone())
        })
        .unwrap_or(Value::Null)
}

/// A scenario's table `key` (e.g. `countries`, `sides`) with its key columns in front, for CSV rows.
fn keyed_table(report: &Report, table: &str) -> Result<Table> {
    let countries = report.select_table(Some(table))?;
    let mut specs = vec![
        Column::text("scenario", "scenario"),
        Column::text("model", "model"),
    ];
    for k in ["tau", "delta", "rho", "rho_out"] {
        specs.push(Column::number(k, k, Kind::Ratio));
    }
    specs.push(Column::flag("converged", "converged"));
    specs.extend(countries.columns.iter().cloned());
    let key: Vec<Value> = KEY_COLUMNS.iter().map(|k| value(report, k)).collect();
    let mut tb = TableBuilder::new(table, countries.title.as_str(), specs);
    for i in 0..countries.len() {
        let mut row = key.clone();
        row.extend(countries.row(i));
        tb.push_row(row)?;
    }
    Ok(tb.finish())
}

/// The first lines of a streamed CSV: provenance, then the header.
fn csv_head(report: &Report, run: &str, table: &str) -> Result<String> {
    let p = &report.provenance;
    let csv = sovra_report::write::table_csv(&keyed_table(report, table)?);
    let header = csv.split_inclusive('\n').next().unwrap_or_default();
    Ok(format!(
        "# {} shock batch; sovra {}\n# dataset: {} ({})\n# {}: {run} (--resume continues only this run)\n{header}",
        p.dataset.as_deref().unwrap_or_default(),
        p.sovra_version,
        p.title.as_deref().unwrap_or_default(),
        p.units.as_deref().unwrap_or_default(),
        partial::RUN_KEY,
    ))
}

/// A scenario's CSV rows, without the header.
fn csv_rows(report: &Report, table: &str) -> Result<String> {
    let csv = sovra_report::write::table_csv(&keyed_table(report, table)?);
    Ok(csv
        .split_once('\n')
        .map(|(_, rows)| rows.to_string())
        .unwrap_or_default())
}

/// The batch's progress bar on stderr (hidden when stderr is not a terminal).
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Self {
        let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(
                "{bar:30} {pos}/{len} scenarios [{elapsed} / ~{duration}] {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(pb)
    }
}

impl engine::Progress for Bar {
    fn stage(&self, what: &str) {
        self.0.set_message(what.to_string());
    }

    fn step(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }

    fn note(&self, message: &str) {
        self.0.println(message);
    }
}

/// Where a batch's results go: `OUT.partial` for csv/json with `--out`, standard output without.
fn partial_path(a: &ShockArgs) -> Option<PathBuf> {
    let out = a
        .out
        .out
        .as_ref()
        .filter(|_| !matches!(a.out.format, Format::Table | Format::Html))?;
    let mut s = out.clone().into_os_string();
    s.push(".partial");
    Some(PathBuf::from(s))
}

/// Opens a partial output for appending and locks it for this run: the lock is taken before anything is
/// read, cut or written, and held until the run ends, so a second run to the same --out fails at once.
fn lock_partial(p: &Path) -> Result<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| Error::io(p, e))?;
    match sovra_core::lock::try_lock(&f) {
        Ok(true) => Ok(f),
        Ok(false) => bail!(Error::Request(format!(
            "{} is being written by another sovra run: wait for it, or give another --out",
            p.display()
        ))),
        Err(e) => Err(Error::io(p, e).into()),
    }
}

/// Where a batch's reports go, one after the other: CSV rows or JSON lines, or nowhere (the table format
/// shows the summary only).
struct Sink {
    out: Option<Box<dyn Write>>,
    format: Format,
    /// The CSV header is still to write.
    head: bool,
    /// The reader went away (a closed pipe, e.g. `| head`).
    closed: bool,
    /// Reports received.
    parts: usize,
    /// The run's fingerprint, written into the output so that `--resume` can check it.
    run: String,
    /// The table streamed as CSV.
    table: String,
    /// Every scenario's report, for the HTML format (one file, written at the end).
    kept: Vec<Report>,
}

impl Sink {
    /// Standard output, or the partial file (locked by [`lock_partial`], already cut to what is kept).
    fn open(partial: Option<std::fs::File>, format: Format, run: String, table: String) -> Sink {
        let out: Option<Box<dyn Write>> = match (partial, format) {
            (_, Format::Table | Format::Html) => None,
            (Some(f), _) => Some(Box::new(f)),
            (None, _) => Some(Box::new(std::io::stdout())),
        };
        Sink {
            out,
            format,
            head: format == Format::Csv,
            closed: false,
            parts: 0,
            run,
            table,
            kept: Vec::new(),
        }
    }

    /// Writes one scenario's report; an error stops the run.
    fn take(&mut self, report: &Report) -> engine::Result<()> {
        self.parts += 1;
        if self.format == Format::Html {
            self.kept.push(report.clone());
        }
        let Some(w) = self.out.as_mut() else {
            return Ok(());
        };
        let text = match self.format {
            Format::Csv if self.head => csv_head(report, &self.run, &self.table)
                .and_then(|h| Ok(h + &csv_rows(report, &self.table)?)),
            Format::Csv => csv_rows(report, &self.table),
            _ => {
                let mut r = report.clone();
                r.parameters.push(sovra_report::Parameter::new(
                    partial::RUN_KEY,
                    "run fingerprint (--resume continues only this run)",
                    self.run.as_str(),
                ));
                Ok(sovra_report::write::to_json_line(&r))
            }
        }
        .map_err(|e| engine::Error::new(ErrorKind::Compute, format!("{e:#}")))?;
        self.head = false;
        match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Err(engine::Error::new(ErrorKind::External, "output closed"))
            }
            Err(e) => Err(engine::Error::new(
                ErrorKind::External,
                format!("writing results: {e}"),
            )),
            Ok(()) => Ok(()),
        }
    }
}

/// A batch or a sweep: reports streamed in scenario order as CSV rows or JSON lines; in the table format, the
/// summary at the end.
fn stream(a: &ShockArgs, mut req: ShockRequest) -> Result<()> {
    let format = a.out.format;
    let partial = partial_path(a);
    let pformat = match format {
        Format::Csv => PartialFormat::Csv,
        _ => PartialFormat::JsonLines,
    };
    // The fingerprint covers the table streamed: a resumed CSV never mixes two tables.
    let run = if a.table == "countries" {
        partial::fingerprint(&req, pformat)
    } else {
        format!("{}-{}", partial::fingerprint(&req, pformat), a.table)
    };
    let mut kept = partial::Partial::default();
    if a.resume && partial.is_none() {
        bail!(Error::Request(
            "--resume needs --out FILE and --format csv or json (it reads FILE.partial)".into()
        ));
    }
    let existed = partial.as_ref().is_some_and(|p| p.exists());
    let locked = partial.as_deref().map(lock_partial).transpose()?;
    if let (Some(p), Some(f)) = (&partial, &locked) {
        if a.resume && existed {
            let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
            kept = partial::read(&bytes, pformat, &run, &p.display().to_string())?;
        } else if a.resume {
            eprintln!("note: no {} to resume from: starting afresh", p.display());
        }
        f.set_len(kept.keep as u64).map_err(|e| Error::io(p, e))?;
        req.skip = kept.done.clone();
    }
    let mut sink = Sink::open(locked, format, run, a.table.clone());
    sink.head = format == Format::Csv && !kept.has_header;
    let bar = Bar::new();
    if !kept.done.is_empty() {
        bar.0.println(format!(
            "resuming: {} scenarios already done",
            kept.done.len()
        ));
    }
    let started = Instant::now();
    let result = engine::run_stream(
        &workspace(),
        &Request::Shock(Box::new(req)),
        &mut |report| {
            let share = value(&report, "world_output_loss_share").as_f64();
            bar.0.set_message(format!(
                "{}: {:.3}% of world output",
                value(&report, "scenario"),
                100.0 * share.unwrap_or(f64::NAN)
            ));
            sink.take(&report)
        },
        &bar,
    );
    bar.0.finish_and_clear();
    let (parts, closed) = (sink.parts, sink.closed);
    let scenarios = std::mem::take(&mut sink.kept);
    let summary = match result {
        Err(_) if closed => return Ok(()),
        Err(e) => {
            // A run that wrote nothing leaves no partial behind.
            if let Some(p) = &partial
                && std::fs::metadata(p).is_ok_and(|m| m.len() == 0)
            {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.into());
        }
        Ok(s) => s,
    };
    // Renamed while the lock is still held (the sink owns the locked file): no other run can start
    // writing to it in between.
    if let (Some(p), Some(out)) = (&partial, &a.out.out) {
        std::fs::rename(p, out)
            .with_context(|| format!("renaming {} to {}", p.display(), out.display()))?;
    }
    drop(sink);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{parts} scenarios in {secs:.1} s ({:.2} scenarios/s)",
        parts as f64 / secs.max(1e-9)
    );
    warn_unconverged(&summary);
    if format == Format::Table {
        emit(
            &render::terminal_with(&summary, render::DASH),
            a.out.out.as_deref(),
        )?;
    } else if format == Format::Html {
        let title = summary.title.clone();
        let all: Vec<Report> = std::iter::once(summary.clone()).chain(scenarios).collect();
        emit(
            &sovra_report::write::to_html_many(&title, &all),
            a.out.out.as_deref(),
        )?;
    }
    untrusted(&summary, a.allow_unstable)
}
