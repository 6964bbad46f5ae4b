//! One function per subcommand: turn the flags into the engine's request, run it, render the report. No
//! computation here; `sovra data` (fetch, import) and `sovra matrix` write files, the rest only reads.

use anyhow::{Result, bail};
use sovra_core::{fetch, read, store};
use sovra_engine::{self as engine, Request, Workspace};

use crate::render::{Blanks, DASH, Format, emit, render, render_with, write_atomic};
use crate::{
    BlocsCommand, BridgeCommand, Command, DataCommand, OutputArgs, SolverArgs, depend, progress,
};

/// `--by` for footprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// One row per region.
    Region,
    /// One row per node (region × sector).
    Node,
}

/// `sovra matrix` targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// Gross output.
    X,
    /// Value added.
    V,
    /// Technical coefficients Z x̂⁻¹.
    #[value(name = "A")]
    A,
    /// Allocation coefficients x̂⁻¹ Z.
    #[value(name = "B")]
    B,
    /// Leontief inverse (I − A)⁻¹.
    #[value(name = "L")]
    L,
    /// Ghosh inverse (I − B)⁻¹.
    #[value(name = "G")]
    G,
    /// Gross output recomputed from final demand, L·(Y 1).
    XFromY,
}

/// Import formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Raw OECD ICIO CSV.
    OecdIcioCsv,
    /// pymrio save_all directory.
    Pymrio,
    /// WIOD 2013 release: a folder of wiod2013_YYYY.csv(.gz) (a series), or one such file.
    Wiod,
}

/// Solver choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverChoice {
    /// By estimated cost.
    Auto,
    /// LU factorisation.
    Lu,
    /// GMRES.
    Iterative,
}

/// How the trade commands of this run read the trade store (`--memory-limit`, `--in-memory`), set by
/// them before they run.
static TRADE_ENGINE: std::sync::OnceLock<crate::trade::TradeEngineArgs> =
    std::sync::OnceLock::new();

/// Sets how the trade store is read for this run (once; the first call wins).
pub(crate) fn set_trade_engine(a: &crate::trade::TradeEngineArgs) {
    let _ = TRADE_ENGINE.set(a.clone());
}

/// The workspace of a CLI run: the user's store.
pub fn workspace() -> Workspace {
    let mut ws = Workspace::from_env();
    if let Some(a) = TRADE_ENGINE.get() {
        if let Some(gb) = a.memory_limit {
            ws.trade_memory_limit = (gb * 1e9) as usize;
        }
        ws.trade_in_memory = a.in_memory;
        ws.trade_cluster = a.cluster.clone();
        ws.trade_cluster_timeout = std::time::Duration::from_secs(a.cluster_timeout);
    }
    ws
}

/// Rows to show: what the user asked, else `default` in the table format and all in csv/json.
pub(crate) fn table_top(top: Option<usize>, out: &OutputArgs, default: usize) -> Option<usize> {
    top.or((out.format == Format::Table).then_some(default))
}

/// Renders a report to its destination.
pub(crate) fn finish(report: &sovra_report::Report, out: &OutputArgs) -> Result<()> {
    crate::render::check_extension(out.format, out.out.as_deref())?;
    emit(&render(report, out.format)?, out.out.as_deref())
}

fn solver(s: &SolverArgs) -> engine::Solver {
    solver_of(s.solver)
}

/// The engine's solver for the `--solver` choice.
pub(crate) fn solver_of(s: SolverChoice) -> engine::Solver {
    match s {
        SolverChoice::Auto => engine::Solver::Auto,
        SolverChoice::Lu => engine::Solver::Lu,
        SolverChoice::Iterative => engine::Solver::Iterative,
    }
}

/// Runs a request on the user's store and renders its report.
fn answer(req: Request, out: &OutputArgs) -> Result<()> {
    answer_with(req, out, DASH)
}

/// [`answer`], for the subcommands in their own modules.
pub(crate) fn answer_request(req: Request, out: &OutputArgs) -> Result<()> {
    answer_with(req, out, DASH)
}

/// Runs a request on the user's store and renders its report, with `blanks` in the terminal table's cells
/// without a value.
pub(crate) fn answer_with(req: Request, out: &OutputArgs, blanks: Blanks) -> Result<()> {
    answer_report(req, out, blanks).map(|_| ())
}

/// [`answer_with`], handing the report back (for what decides the exit code, e.g. `--fail-on`).
pub(crate) fn answer_report(
    req: Request,
    out: &OutputArgs,
    blanks: Blanks,
) -> Result<sovra_report::Report> {
    crate::render::check_extension(out.format, out.out.as_deref())?;
    let ws = workspace();
    let report = {
        let progress = progress::Spinner::new();
        engine::run(&ws, &req, &progress)?
    };
    emit(
        &render_with(&report, out.format, blanks)?,
        out.out.as_deref(),
    )?;
    Ok(report)
}

/// Runs a subcommand.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Data(d) => data(d),
        Command::Shock(a) => crate::shock::shock_cmd(&a),
        Command::Complexity(a) => crate::complexity::complexity_cmd(&a),
        Command::Alliances(a) => crate::alliances::alliances_cmd(&a),
        Command::Monitor(a) => crate::monitor::monitor_cmd(&a),
        Command::Decompose(a) => crate::monitor::decompose_cmd(&a),
        Command::Trade(crate::TradeCommand::Depend(a)) => crate::trade::trade_depend_cmd(&a),
        Command::Trade(crate::TradeCommand::Monitor(a)) => crate::trade::trade_monitor_cmd(&a),
        Command::Trade(crate::TradeCommand::Suppliers(a)) => crate::trade::suppliers_cmd(&a),
        Command::Trade(crate::TradeCommand::Synth(a)) => crate::trade::synth_cmd(&a),
        Command::Trade(crate::TradeCommand::Import(a)) => crate::trade::import_cmd(&a),
        Command::Opportunities(a) => crate::trade::opportunities_cmd(&a),
        Command::Serve(a) => crate::serve::serve_cmd(&a),
        #[cfg(feature = "cluster")]
        Command::Cluster(c) => crate::cluster::cluster_cmd(c),
        Command::Projects(p) => crate::projects::projects_cmd(&p),
        Command::Info { name, year, out } => answer(
            Request::Info(engine::InfoRequest { data: name, year }),
            &out,
        ),
        Command::Multipliers {
            name,
            year,
            top,
            region,
            out,
            solver: s,
        } => answer(
            Request::Multipliers(engine::MultipliersRequest {
                data: name,
                year,
                top: table_top(top, &out, 20),
                region,
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Linkages {
            name,
            year,
            top,
            region,
            key_only,
            out,
            solver: s,
        } => answer(
            Request::Linkages(engine::LinkagesRequest {
                data: name,
                year,
                top: table_top(top, &out, 20),
                region,
                key_only,
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Footprint {
            name,
            year,
            stressor,
            by,
            out,
            solver: s,
        } => answer(
            Request::Footprint(engine::FootprintRequest {
                data: name,
                year,
                stressor,
                by: match by {
                    By::Region => engine::FootprintBy::Region,
                    By::Node => engine::FootprintBy::Node,
                },
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Matrix {
            name,
            year,
            which,
            out,
        } => matrix_cmd(&name, year, which, &out),
        Command::Depend {
            parties,
            sector,
            top,
            sort,
            by,
            min_output,
            each,
            products,
            out,
            solver: s,
        } => answer(
            Request::Depend(engine::DependRequest {
                us: parties.us.clone(),
                them: parties.them.clone(),
                data: parties.data.clone(),
                year: parties.year,
                as_of: parties.as_of.clone(),
                blocs: depend::blocs(&parties)?,
                sector,
                top: table_top(top, &out, 25),
                sort: sort.into(),
                by: by.into(),
                min_output,
                each,
                products,
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Keys {
            parties,
            top,
            inputs,
            out,
            solver: s,
        } => answer(
            Request::Keys(engine::KeysRequest {
                us: parties.us.clone(),
                them: parties.them.clone(),
                data: parties.data.clone(),
                year: parties.year,
                as_of: parties.as_of.clone(),
                blocs: depend::blocs(&parties)?,
                top: table_top(top, &out, 20),
                inputs,
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Tiva {
            data,
            year,
            country,
            out,
            solver: s,
        } => answer(
            Request::Tiva(engine::TivaRequest {
                data,
                year,
                country,
                solver: solver(&s),
            }),
            &out,
        ),
        Command::Bridge(BridgeCommand::Show { codes, out }) => answer(
            Request::BridgeShow(engine::BridgeShowRequest { codes }),
            &out,
        ),
        Command::Blocs(BlocsCommand::List { blocs, as_of, out }) => answer(
            Request::BlocsList(engine::BlocsListRequest {
                as_of,
                blocs: blocs.as_deref().map(engine::Blocs::from_file).transpose()?,
            }),
            &out,
        ),
        Command::Blocs(BlocsCommand::Show {
            name,
            blocs,
            as_of,
            data,
            out,
        }) => answer(
            Request::BlocsShow(engine::BlocsShowRequest {
                name,
                as_of,
                blocs: blocs.as_deref().map(engine::Blocs::from_file).transpose()?,
                data,
            }),
            &out,
        ),
    }
}

fn fetch_default(force: bool) -> Result<store_outcome::Outcome> {
    let home = store::home();
    let pb = progress::spinner("fetching icio2022");
    let mut stage = |s: &str| pb.set_message(s.to_string());
    let r = fetch::fetch_icio2022(&home, force, &mut stage);
    pb.finish_and_clear();
    Ok(r?)
}

mod store_outcome {
    pub use sovra_core::fetch::Fetched as Outcome;
}

fn data(d: DataCommand) -> Result<()> {
    match d {
        DataCommand::Fetch { name, force } if name == "classifications" => {
            let home = store::home();
            let pb = progress::spinner("fetching classifications");
            let mut stage = |s: &str| pb.set_message(s.to_string());
            let r = fetch::fetch_classifications(&home, force, &mut stage);
            pb.finish_and_clear();
            match r? {
                store_outcome::Outcome::AlreadyPresent(p) => println!(
                    "the classifications are already in {}; use --force to fetch them again",
                    p.display()
                ),
                store_outcome::Outcome::Converted(p) => {
                    println!("classifications written to {}", p.display())
                }
            }
            Ok(())
        }
        DataCommand::Fetch { name: _, force } => {
            match fetch_default(force)? {
                store_outcome::Outcome::AlreadyPresent(p) => {
                    println!(
                        "icio2022 is already in the store ({}); use --force to fetch it again",
                        p.display()
                    )
                }
                store_outcome::Outcome::Converted(p) => {
                    println!("icio2022 written to {}", p.display())
                }
            }
            Ok(())
        }
        DataCommand::Import {
            format,
            path,
            name,
            year,
            replace,
        } => {
            if !store::valid_name(&name) {
                bail!("'{name}' is not a valid dataset name (letters, digits, '-', '_', '.')");
            }
            // Fail before reading what may be a large file (the write checks again, under the store's lock).
            let home = store::home();
            if !replace && store::dataset_dir(&home, &name).join("meta.json").exists() {
                bail!(sovra_core::Error::AlreadyExists { name, home });
            }
            let mode = if replace {
                store::WriteMode::Replace
            } else {
                store::WriteMode::CreateNew
            };
            let series = match format {
                ImportFormat::Wiod | ImportFormat::OecdIcioCsv => path.is_dir(),
                ImportFormat::Pymrio => false,
            };
            if series {
                return import_series(&home, format, &path, &name, year, mode);
            }
            let pb = progress::spinner(&format!("reading {}", path.display()));
            let t = match format {
                ImportFormat::OecdIcioCsv => read::oecd_icio_csv::read(&path, &name, year),
                ImportFormat::Pymrio => read::pymrio::read(&path, &name, year),
                ImportFormat::Wiod => read::wiod2013::read(&path, &name, year).map(|w| w.table),
            };
            pb.set_message("writing the store");
            let t = t?;
            let dir = store::write(&home, &t, mode)?;
            pb.finish_and_clear();
            println!(
                "{name}: {} regions × {} sectors, {} final-demand columns, {} stressors → {}",
                t.labels.regions.len(),
                t.labels.sectors.len(),
                t.labels.final_demand.len(),
                t.labels.stressors.len(),
                dir.display()
            );
            Ok(())
        }
        DataCommand::List { out } => finish(
            &sovra_engine::mrio::datasets(&workspace(), &sovra_engine::DatasetsRequest {})?,
            &out,
        ),
    }
}

/// `sovra data import` of a folder: every yearly table of it as one dataset (a series), read and written one
/// year at a time, published at once when all are in.
fn import_series(
    home: &std::path::Path,
    format: ImportFormat,
    dir: &std::path::Path,
    name: &str,
    year: Option<i32>,
    mode: store::WriteMode,
) -> Result<()> {
    if let Some(y) = year {
        bail!(sovra_core::Error::Request(format!(
            "--year {y}: {} is a folder, imported as a series of all its years (each file's year is in its \
             name); to import one year, give its file",
            dir.display()
        )));
    }
    let started = std::time::Instant::now();
    let (files, info, sector_names) = match format {
        ImportFormat::Wiod => {
            let sectors = dir.join(read::wiod2013::SECTORS_FILE);
            let names = if sectors.is_file() {
                read::wiod2013::read_sector_names(&sectors)?
            } else {
                Default::default()
            };
            let files = read::wiod2013::year_files(dir)?;
            let info = store::SeriesInfo {
                name: name.to_string(),
                title: format!(
                    "{}, {}",
                    read::wiod2013::TITLE,
                    store::year_list(&files.iter().map(|f| f.0).collect::<Vec<_>>())
                ),
                source: format!(
                    "imported from {} (WIOD, Timmer et al. 2015)",
                    dir.display()
                ),
                notes: "Every year read the same way: x = Z1 + Y1 (row sums), v = x − Zᵀ1, negative cells \
                        kept, nodes with a negative row sum (or zero with inputs) made inactive; the published \
                        GO is kept per year in go_published.npy and its gap to x summarised in each year's \
                        notes (docs/data.md)."
                    .into(),
            };
            (files, info, names)
        }
        _ => {
            let files = read::oecd_icio_csv::year_files(dir)?;
            let info = store::SeriesInfo {
                name: name.to_string(),
                title: format!(
                    "OECD ICIO, {}",
                    store::year_list(&files.iter().map(|f| f.0).collect::<Vec<_>>())
                ),
                source: format!("imported from {}", dir.display()),
                notes: String::new(),
            };
            (files, info, Default::default())
        }
    };
    let total = files.len();
    let pb = progress::spinner(&format!("importing {total} years from {}", dir.display()));
    let mut notes: Vec<String> = Vec::new();
    let years = files.iter().enumerate().map(|(i, (y, file))| {
        pb.set_message(format!(
            "reading {} ({}/{total})",
            file.file_name().unwrap_or_default().to_string_lossy(),
            i + 1
        ));
        match format {
            ImportFormat::Wiod => {
                read::wiod2013::read_with(file, name, Some(*y), &sector_names).map(|w| {
                    let d = &w.diagnostics;
                    let l = &w.table.labels;
                    notes.push(format!(
                        "{y}: |GO − x| mean {:.1}, max {} ({}); made inactive: {}; negative value added: {}",
                        d.go_gap_mean_abs,
                        d.go_gap_max_abs.0,
                        l.node_label(d.go_gap_max_abs.1),
                        if d.inactive.is_empty() {
                            "none".to_string()
                        } else {
                            l.node_list(&d.inactive, 6)
                        },
                        d.negative_value_added.len()
                    ));
                    w.into_series_year()
                })
            }
            _ => read::oecd_icio_csv::read(file, name, Some(*y)).map(|table| store::SeriesYear {
                table,
                arrays: Vec::new(),
            }),
        }
    });
    let (path, written) =
        store::write_series(home, &info, mode, sovra_core::lock::Wait::Forever, years)?;
    pb.finish_and_clear();
    let meta = store::meta(home, name)?;
    println!(
        "{name}: {} years ({}), {} regions × {} sectors, {} final-demand columns → {} ({:.1} s)",
        written.len(),
        store::year_list(&written),
        meta.regions.len(),
        meta.sectors.len(),
        meta.final_demand.len(),
        path.display(),
        started.elapsed().as_secs_f64()
    );
    for n in notes {
        println!("  {n}");
    }
    Ok(())
}

fn matrix_cmd(name: &str, year: Option<i32>, which: Which, out: &std::path::Path) -> Result<()> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if !matches!(ext.as_deref(), Some("npy" | "csv")) && !crate::render::is_device(out) {
        bail!(sovra_core::Error::Request(format!(
            "--out {}: the format follows the extension; give a .npy (numpy) or .csv (labelled) file name",
            out.display()
        )));
    }
    let ws = workspace();
    let m = {
        let progress = progress::Spinner::new();
        engine::mrio::matrix(
            &ws,
            &engine::MatrixRequest {
                data: name.to_string(),
                year,
                which: which.into(),
            },
            &progress,
        )?
    };
    let is_csv = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (rows, cols) = (m.rows, m.cols);
    let bytes = if is_csv {
        let mut s = format!(
            "# {which:?} of {name} — {}; sovra {}\n",
            m.title,
            sovra_core::VERSION
        );
        s.push_str("node");
        if cols == 1 {
            s.push_str(",value\n");
        } else {
            for l in &m.labels {
                s.push(',');
                s.push_str(l);
            }
            s.push('\n');
        }
        for i in 0..rows {
            s.push_str(&m.labels[i]);
            for j in 0..cols {
                s.push(',');
                s.push_str(&format!("{}", m.data[i * cols + j]));
            }
            s.push('\n');
        }
        s.into_bytes()
    } else {
        let mut b = Vec::with_capacity(m.data.len() * 8 + 128);
        let shape: Vec<usize> = if cols == 1 {
            vec![rows]
        } else {
            vec![rows, cols]
        };
        sovra_core::npy::write_f64(&mut b, &shape, &m.data)?;
        b
    };
    write_atomic(out, &bytes)?;
    let note = m.solve.map(|s| format!(" ({s})")).unwrap_or_default();
    eprintln!(
        "wrote {which:?} ({rows}×{cols}, region-major nodes) to {}{note}",
        out.display()
    );
    Ok(())
}

impl From<Which> for engine::Which {
    fn from(w: Which) -> Self {
        match w {
            Which::X => engine::Which::X,
            Which::V => engine::Which::V,
            Which::A => engine::Which::A,
            Which::B => engine::Which::B,
            Which::L => engine::Which::L,
            Which::G => engine::Which::G,
            Which::XFromY => engine::Which::XFromY,
        }
    }
}
