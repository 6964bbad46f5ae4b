//! One function per subcommand: load the table, call the analysis, turn its typed result into a report.

use std::path::Path;

use anyhow::{Context, Result, bail};
use sovra_analysis::{footprint, linkages, multipliers, system};
use sovra_core::{LeontiefSystem, Method, Mrio, fetch, read, store};

use crate::render::{Cell, Format, Report, emit, format_num, render, write_atomic};
use crate::{BlocsCommand, Command, DataCommand, OutputArgs, SolverArgs, depend, progress};

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

/// Runs a subcommand.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Data(d) => data(d),
        Command::Shock(a) => crate::shock::shock_cmd(&a),
        Command::Complexity(a) => crate::complexity::complexity_cmd(&a),
        Command::Trade(crate::TradeCommand::Depend(a)) => crate::trade::trade_depend_cmd(&a),
        Command::Trade(crate::TradeCommand::Suppliers(a)) => crate::trade::suppliers_cmd(&a),
        Command::Trade(crate::TradeCommand::Synth(a)) => crate::trade::synth_cmd(&a),
        Command::Trade(crate::TradeCommand::Import(a)) => crate::trade::import_cmd(&a),
        Command::Opportunities(a) => crate::trade::opportunities_cmd(&a),
        Command::Info { name, out } => info(&name, &out),
        Command::Multipliers {
            name,
            top,
            region,
            out,
            solver,
        } => multipliers_cmd(&name, top, region, &out, &solver),
        Command::Linkages {
            name,
            top,
            region,
            key_only,
            out,
            solver,
        } => linkages_cmd(&name, top, region, key_only, &out, &solver),
        Command::Footprint {
            name,
            stressor,
            by,
            out,
            solver,
        } => footprint_cmd(&name, &stressor, by, &out, &solver),
        Command::Matrix { name, which, out } => matrix_cmd(&name, which, &out),
        Command::Depend {
            parties,
            sector,
            top,
            sort,
            by,
            min_output,
            each,
            out,
            solver,
        } => depend::depend_cmd(
            &parties,
            &depend::DependOptions {
                sector,
                top,
                sort,
                by,
                min_output,
                each,
            },
            &out,
            &solver,
        ),
        Command::Keys {
            parties,
            top,
            inputs,
            out,
            solver,
        } => depend::keys_cmd(&parties, top, inputs, &out, &solver),
        Command::Tiva {
            data,
            country,
            out,
            solver,
        } => depend::tiva_cmd(&data, country.as_deref(), &out, &solver),
        Command::Blocs(BlocsCommand::List { blocs, as_of, out }) => {
            depend::blocs_list(blocs.as_deref(), &as_of, &out)
        }
        Command::Blocs(BlocsCommand::Show {
            name,
            blocs,
            as_of,
            data,
            out,
        }) => depend::blocs_show(&name, blocs.as_deref(), &as_of, data.as_deref(), &out),
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

/// Opens a dataset; the default dataset is fetched on first use.
pub fn load(name: &str) -> Result<Mrio> {
    let home = store::home();
    if name == "icio2022" && !store::dataset_dir(&home, name).join("meta.json").is_file() {
        eprintln!(
            "icio2022 is not in {} yet: fetching it (once) with pip …",
            home.display()
        );
        fetch_default(false)?;
    }
    let pb = progress::spinner(&format!("loading {name}"));
    let t = store::open(&home, name);
    pb.finish_and_clear();
    Ok(t?)
}

pub(crate) fn system_of(t: &Mrio, s: &SolverArgs) -> Result<LeontiefSystem> {
    let mut sys =
        LeontiefSystem::from_table(t).with_context(|| format!("dataset {}", t.provenance.name))?;
    sys.method = match s.solver {
        SolverChoice::Auto => Method::Auto,
        SolverChoice::Lu => Method::Lu,
        SolverChoice::Iterative => Method::Iterative,
    };
    Ok(sys)
}

/// Rows to show: what the user asked, else `default` in the table format and all in csv/json.
pub(crate) fn table_top(top: Option<usize>, out: &OutputArgs, default: usize) -> Option<usize> {
    top.or((out.format == Format::Table).then_some(default))
}

pub(crate) fn finish(report: &Report, out: &OutputArgs) -> Result<()> {
    emit(&render(report, out.format), out.out.as_deref())
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
            let pb = progress::spinner(&format!("reading {}", path.display()));
            let t = match format {
                ImportFormat::OecdIcioCsv => read::oecd_icio_csv::read(&path, &name, year),
                ImportFormat::Pymrio => read::pymrio::read(&path, &name, year),
            };
            pb.set_message("writing the store");
            let t = t?;
            let mode = if replace {
                store::WriteMode::Replace
            } else {
                store::WriteMode::CreateNew
            };
            let dir = store::write(&store::home(), &t, mode)?;
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
        DataCommand::List { out } => {
            let home = store::home();
            let metas = store::list(&home)?;
            let mut r = Report {
                title: format!("Datasets in {}", home.display()),
                columns: [
                    "name",
                    "title",
                    "year",
                    "regions",
                    "sectors",
                    "final demand columns",
                    "stressors",
                ]
                .map(String::from)
                .to_vec(),
                ..Default::default()
            };
            for m in &metas {
                r.rows.push(vec![
                    Cell::Text(m.name.clone()),
                    Cell::Text(m.title.clone()),
                    Cell::Text(m.year.map(|y| y.to_string()).unwrap_or_default()),
                    Cell::Num(m.regions.len() as f64, 0),
                    Cell::Num(m.sectors.len() as f64, 0),
                    Cell::Num(m.final_demand.len() as f64, 0),
                    Cell::Num(m.stressors.len() as f64, 0),
                ]);
            }
            if metas.is_empty() {
                r.notes.push(
                    "the store is empty: `sovra data fetch` gets the default dataset icio2022"
                        .into(),
                );
            }
            finish(&r, &out)
        }
    }
}

pub(crate) fn base_report(t: &Mrio, title: String) -> Report {
    Report {
        title,
        provenance: Some(t.provenance.clone()),
        ..Default::default()
    }
}

fn info(name: &str, out: &OutputArgs) -> Result<()> {
    let t = load(name)?;
    let sys = LeontiefSystem::from_table(&t)?;
    let totals = t.totals();
    let (x_err, rep) = system::output_check(&t, &sys)?;
    let l = &t.labels;
    let mut r = base_report(&t, format!("{name}: {}", t.provenance.title));
    let units = &t.provenance.units;
    let cats = l.fd_categories();
    let by_dest = l.fd_destinations().is_some();
    r.summary = vec![
        (
            "regions".into(),
            format!(
                "{} ({})",
                l.regions.len(),
                preview(l.regions.iter().map(|c| c.code.as_str()))
            ),
        ),
        (
            "sectors".into(),
            format!(
                "{} ({})",
                l.sectors.len(),
                preview(l.sectors.iter().map(|c| c.code.as_str()))
            ),
        ),
        (
            "final demand".into(),
            format!(
                "{} column(s); categories: {}; {}",
                l.final_demand.len(),
                cats.join(", "),
                if by_dest {
                    "by destination region"
                } else {
                    "NOT split by destination region"
                }
            ),
        ),
        (
            "stressors".into(),
            if l.stressors.is_empty() {
                "none (value added is always available)".into()
            } else {
                preview(l.stressors.iter().map(|s| s.name.as_str()))
            },
        ),
        (
            "world gross output".into(),
            format!("{} {units}", format_num(totals.world_output, 0)),
        ),
        (
            "value added".into(),
            format!("{} {units}", format_num(totals.value_added, 0)),
        ),
        (
            "final demand".into(),
            format!("{} {units}", format_num(totals.final_demand, 0)),
        ),
        (
            "intermediate use".into(),
            format!("{} {units}", format_num(totals.intermediate, 0)),
        ),
        (
            "balance (max |x − Z1 − Y1| / x)".into(),
            format!("{:.2e}", totals.max_row_imbalance),
        ),
        (
            "zero-output nodes".into(),
            totals.zero_output_nodes.to_string(),
        ),
        (
            "productivity of A".into(),
            format!(
                "productive; largest column sum {:.4}, output-weighted mean {:.4}{}",
                sys.max_column_sum,
                sys.rho_estimate,
                if sys.max_column_sum < 1.0 {
                    " (< 1 proves ρ(A) < 1)"
                } else {
                    " (checked by (I − A)⁻¹1 > 0)"
                }
            ),
        ),
        (
            "x = L·Y·1 check".into(),
            format!(
                "max relative difference {x_err:.2e} (solver {}, residual {:.1e})",
                rep.method, rep.max_relative_residual
            ),
        ),
    ];
    if let Some(sha) = &t.provenance.source_sha256 {
        r.summary.push(("source sha256".into(), sha.clone()));
    }
    if !t.provenance.notes.is_empty() {
        r.notes.push(t.provenance.notes.clone());
    }
    r.columns = [
        "region",
        "name",
        "gross output",
        "value added",
        "VA / output",
    ]
    .map(String::from)
    .to_vec();
    let ns = l.sectors.len();
    for (ri, reg) in l.regions.iter().enumerate() {
        let xo: f64 = t.x[ri * ns..(ri + 1) * ns].iter().sum();
        let va: f64 = t.v[ri * ns..(ri + 1) * ns].iter().sum();
        r.rows.push(vec![
            Cell::Text(reg.code.clone()),
            Cell::Text(reg.name.clone()),
            Cell::Num(xo, 0),
            Cell::Num(va, 0),
            Cell::Pct(if xo != 0.0 { va / xo } else { 0.0 }),
        ]);
    }
    finish(&r, out)
}

fn preview<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = it.collect();
    if all.len() <= 8 {
        all.join(", ")
    } else {
        format!("{}, … {}", all[..6].join(", "), all[all.len() - 1])
    }
}

fn region_filter(t: &Mrio, region: &Option<String>) -> Result<Option<String>> {
    match region {
        None => Ok(None),
        Some(r) => match t.labels.region_index(r) {
            Some(i) => Ok(Some(t.labels.regions[i].code.clone())),
            None => bail!(
                "region '{r}' is not in {}; regions: {}",
                t.provenance.name,
                t.labels
                    .regions
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        },
    }
}

/// Indices sorted by a key, descending, filtered, cut to `top`.
fn ranked(keys: &[f64], keep: impl Fn(usize) -> bool, top: Option<usize>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..keys.len()).filter(|&i| keep(i)).collect();
    idx.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]));
    if let Some(n) = top {
        idx.truncate(n);
    }
    idx
}

pub(crate) fn solver_line(r: &sovra_core::SolveReport) -> String {
    format!(
        "{} ({} right-hand side{}{}), max relative residual {:.1e}",
        r.method,
        r.rhs,
        if r.rhs == 1 { "" } else { "s" },
        if r.iterations > 0 {
            format!(", {} iterations", r.iterations)
        } else {
            String::new()
        },
        r.max_relative_residual
    )
}

fn multipliers_cmd(
    name: &str,
    top: Option<usize>,
    region: Option<String>,
    out: &OutputArgs,
    s: &SolverArgs,
) -> Result<()> {
    let t = load(name)?;
    let region = region_filter(&t, &region)?;
    let sys = system_of(&t, s)?;
    let m = multipliers::compute(&t, &sys)?;
    let top = table_top(top, out, 20);
    let idx = ranked(
        &m.output_multiplier,
        |i| t.x[i] > 0.0 && region.as_ref().is_none_or(|r| &m.nodes[i].region == r),
        top,
    );
    let mut r = base_report(&t, format!("Output and value-added multipliers — {name}"));
    r.parameters = vec![(
        "top".into(),
        top.map(|n| n.to_string()).unwrap_or_else(|| "all".into()),
    )];
    if let Some(reg) = &region {
        r.parameters.push(("region".into(), reg.clone()));
    }
    let active: Vec<usize> = (0..t.n()).filter(|&i| t.x[i] > 0.0).collect();
    let mean =
        active.iter().map(|&i| m.output_multiplier[i]).sum::<f64>() / active.len().max(1) as f64;
    r.summary = vec![
        (
            "nodes".into(),
            format!("{} ({} with output)", t.n(), active.len()),
        ),
        ("mean output multiplier".into(), format!("{mean:.4}")),
        ("solver".into(), solver_line(&m.solve)),
    ];
    r.columns = [
        "rank",
        "region",
        "sector",
        "sector name",
        "output multiplier",
        "value-added multiplier",
        "gross output",
    ]
    .map(String::from)
    .to_vec();
    for (k, &i) in idx.iter().enumerate() {
        let nl = &m.nodes[i];
        r.rows.push(vec![
            Cell::Num((k + 1) as f64, 0),
            Cell::Text(nl.region.clone()),
            Cell::Text(nl.sector.clone()),
            Cell::Text(nl.sector_name.clone()),
            Cell::Num(m.output_multiplier[i], 4),
            Cell::Num(m.value_added_multiplier[i], 4),
            Cell::Num(m.output[i], 0),
        ]);
    }
    r.notes.push(
        "output multiplier = Σᵢ L_ij: world gross output per unit of final demand for the node's product; \
         value-added multiplier = Σᵢ νᵢ L_ij (1 when v is all value added)"
            .into(),
    );
    finish(&r, out)
}

fn linkages_cmd(
    name: &str,
    top: Option<usize>,
    region: Option<String>,
    key_only: bool,
    out: &OutputArgs,
    s: &SolverArgs,
) -> Result<()> {
    let t = load(name)?;
    let region = region_filter(&t, &region)?;
    let sys = system_of(&t, s)?;
    let lk = linkages::compute(&t, &sys)?;
    let top = table_top(top, out, 20);
    let idx = ranked(
        &lk.backward,
        |i| {
            lk.active[i]
                && (!key_only || lk.key[i])
                && region.as_ref().is_none_or(|r| &lk.nodes[i].region == r)
        },
        top,
    );
    let mut r = base_report(&t, format!("Rasmussen linkages — {name}"));
    r.parameters = vec![
        (
            "top".into(),
            top.map(|n| n.to_string()).unwrap_or_else(|| "all".into()),
        ),
        ("key_only".into(), key_only.to_string()),
    ];
    if let Some(reg) = &region {
        r.parameters.push(("region".into(), reg.clone()));
    }
    r.summary = vec![
        ("key sectors (BL > 1 and FL(Ghosh) > 1)".into(), {
            let here =
                |i: usize| lk.active[i] && region.as_ref().is_none_or(|r| &lk.nodes[i].region == r);
            let total = (0..t.n()).filter(|&i| here(i)).count();
            let keys = (0..t.n()).filter(|&i| here(i) && lk.key[i]).count();
            format!(
                "{keys} of {total} nodes with output{}",
                region
                    .as_ref()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default()
            )
        }),
        (
            "solver".into(),
            format!(
                "{}; {}",
                solver_line(&lk.solves[0]),
                solver_line(&lk.solves[1])
            ),
        ),
    ];
    r.columns = [
        "rank",
        "region",
        "sector",
        "sector name",
        "backward",
        "forward (Leontief)",
        "forward (Ghosh)",
        "key",
    ]
    .map(String::from)
    .to_vec();
    for (k, &i) in idx.iter().enumerate() {
        let nl = &lk.nodes[i];
        r.rows.push(vec![
            Cell::Num((k + 1) as f64, 0),
            Cell::Text(nl.region.clone()),
            Cell::Text(nl.sector.clone()),
            Cell::Text(nl.sector_name.clone()),
            Cell::Num(lk.backward[i], 4),
            Cell::Num(lk.forward_leontief[i], 4),
            Cell::Num(lk.forward_ghosh[i], 4),
            Cell::Flag(lk.key[i]),
        ]);
    }
    r.notes
        .push("linkages are normalised to mean 1 over all nodes with output (all regions)".into());
    finish(&r, out)
}

fn footprint_cmd(
    name: &str,
    stressor: &str,
    by: By,
    out: &OutputArgs,
    s: &SolverArgs,
) -> Result<()> {
    let t = load(name)?;
    let sys = system_of(&t, s)?;
    let st = footprint::Stressor::parse(&t, stressor)?;
    let acc = match by {
        By::Region => footprint::accounts_by_region(&t, &sys, &[st])?,
        By::Node => footprint::accounts(&t, &sys, &[st])?,
    };
    let unit = acc.units[0].clone();
    let mut r = base_report(&t, format!("Footprint of {} — {name}", acc.stressors[0]));
    r.parameters = vec![
        ("stressor".into(), acc.stressors[0].clone()),
        ("by".into(), format!("{by:?}").to_lowercase()),
    ];
    let world_pba: f64 = acc.d_pba_reg[0].iter().sum();
    let world_cba: f64 = acc.d_cba_reg[0].iter().sum();
    r.summary = vec![
        ("unit".into(), unit.clone()),
        (
            "world production-based total".into(),
            format_num(world_pba, 2),
        ),
        (
            "world consumption-based total".into(),
            format_num(world_cba, 2),
        ),
        ("solver".into(), solver_line(&acc.solve)),
    ];
    match by {
        By::Region => {
            r.columns = [
                "region",
                "name",
                "D_cba",
                "D_pba",
                "D_imp",
                "D_exp",
                "cba / pba",
            ]
            .map(String::from)
            .to_vec();
            for (ri, reg) in t.labels.regions.iter().enumerate() {
                let (c, p) = (acc.d_cba_reg[0][ri], acc.d_pba_reg[0][ri]);
                r.rows.push(vec![
                    Cell::Text(reg.code.clone()),
                    Cell::Text(reg.name.clone()),
                    Cell::Num(c, 2),
                    Cell::Num(p, 2),
                    Cell::Num(acc.d_imp_reg[0][ri], 2),
                    Cell::Num(acc.d_exp_reg[0][ri], 2),
                    Cell::Num(if p != 0.0 { c / p } else { f64::NAN }, 3),
                ]);
            }
        }
        By::Node => {
            r.columns = ["region", "sector", "D_cba", "D_pba", "D_imp", "D_exp"]
                .map(String::from)
                .to_vec();
            for i in 0..t.n() {
                let nl = t.labels.node(i);
                r.rows.push(vec![
                    Cell::Text(t.labels.regions[nl.0].code.clone()),
                    Cell::Text(t.labels.sectors[nl.1].code.clone()),
                    Cell::Num(acc.d_cba[0][i], 2),
                    Cell::Num(acc.d_pba[0][i], 2),
                    Cell::Num(acc.d_imp[0][i], 2),
                    Cell::Num(acc.d_exp[0][i], 2),
                ]);
            }
        }
    }
    r.notes.push(
        "D_cba: caused anywhere by the region's final demand (+ its direct F_Y); D_pba: emitted by the region's \
         industries (+ F_Y); D_imp / D_exp: caused abroad by the region's demand / at home by other regions' demand"
            .into(),
    );
    finish(&r, out)
}

fn matrix_cmd(name: &str, which: Which, out: &Path) -> Result<()> {
    let t = load(name)?;
    let n = t.n();
    let (data, rows, cols, note) = match which {
        Which::X => (t.x.clone(), n, 1, String::new()),
        Which::V => (t.v.clone(), n, 1, String::new()),
        Which::A => (system::technical_coefficients(&t).data, n, n, String::new()),
        Which::B => (
            system::allocation_coefficients(&t).data,
            n,
            n,
            String::new(),
        ),
        Which::L | Which::G | Which::XFromY => {
            let sys = LeontiefSystem::from_table(&t)?;
            let pb = progress::spinner("solving");
            let res = match which {
                Which::L => system::leontief_inverse(&sys).map(|(d, r)| (d.data, n, r)),
                Which::G => system::ghosh_inverse(&t, &sys).map(|(d, r)| (d.data, n, r)),
                _ => system::output_from_demand(&sys, &t.y.row_sums()).map(|(x, r)| (x, 1, r)),
            };
            pb.finish_and_clear();
            let (d, c, rep) = res?;
            (d, n, c, format!(" ({})", solver_line(&rep)))
        }
    };
    let is_csv = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let bytes = if is_csv {
        let mut s = format!(
            "# {which:?} of {name} — {}; sovra {}\n",
            t.provenance.title,
            sovra_core::VERSION
        );
        let labels: Vec<String> = (0..n).map(|i| t.labels.node_label(i)).collect();
        s.push_str("node");
        if cols == 1 {
            s.push_str(",value\n");
        } else {
            for l in &labels {
                s.push(',');
                s.push_str(l);
            }
            s.push('\n');
        }
        for i in 0..rows {
            s.push_str(&labels[i]);
            for j in 0..cols {
                s.push(',');
                s.push_str(&format!("{}", data[i * cols + j]));
            }
            s.push('\n');
        }
        s.into_bytes()
    } else {
        let mut b = Vec::with_capacity(data.len() * 8 + 128);
        let shape: Vec<usize> = if cols == 1 {
            vec![rows]
        } else {
            vec![rows, cols]
        };
        sovra_core::npy::write_f64(&mut b, &shape, &data)?;
        b
    };
    write_atomic(out, &bytes)?;
    eprintln!(
        "wrote {which:?} ({rows}×{cols}, region-major nodes) to {}{note}",
        out.display()
    );
    Ok(())
}
