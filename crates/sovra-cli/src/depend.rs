//! `sovra blocs`, `sovra depend` and `sovra keys`: resolve "us" and "them" to regions of a dataset, run the
//! dependency analyses, and turn their results into reports.

use std::path::{Path, PathBuf};

use anyhow::Result;
use sovra_analysis::dependency::{self, Dependence, Parties, RegionDependence, SectorDependence};
use sovra_analysis::{keys, tiva};
use sovra_core::blocs::{self, Date, Registry, Resolved};
use sovra_core::{Error, Mrio, store};

use crate::commands::{base_report, finish, load, solver_line, system_of, table_top};
use crate::render::{Cell, Report};
use crate::{OutputArgs, SolverArgs};

/// What the parties are and when.
#[derive(clap::Args, Debug, Clone)]
pub struct PartyArgs {
    /// "Us": a country (ISO3), a bloc, or an expression such as EU27-DEU or EAEU+CHN.
    pub us: String,
    /// "Them": a country, bloc or expression (BRICS, G7, USA+GBR, BRICS&OPEC, …).
    #[arg(long = "on", value_name = "THEM")]
    pub them: String,
    /// Dataset (see `sovra data list`).
    #[arg(long, default_value = "icio2022")]
    pub data: String,
    /// Bloc membership on this date, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Extra blocs from a TOML file ([bloc.NAME] members = ["AAA", …]); $SOVRA_HOME/blocs.toml is read too.
    #[arg(long, value_name = "FILE")]
    pub blocs: Option<PathBuf>,
}

/// How `sovra depend` ranks rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Total value-added dependence.
    Va,
    /// Part through third countries.
    ViaThird,
    /// Direct share of inputs.
    Direct,
    /// Supplier concentration (HHI).
    Hhi,
    /// Total sales dependence.
    Sales,
    /// Gross output.
    Output,
}

/// `--by` for `sovra depend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DependBy {
    /// One row per sector of each of our regions.
    Sector,
    /// One row per region of us (output-weighted).
    Region,
}

/// The bloc registry: built-in blocs, `$SOVRA_HOME/blocs.toml` when present, and `--blocs FILE`.
pub fn registry(extra: Option<&Path>) -> Result<Registry> {
    let mut reg = Registry::builtin();
    let home_file = store::home().join("blocs.toml");
    if home_file.is_file() {
        reg.add_file(&home_file)?;
    }
    if let Some(f) = extra {
        reg.add_file(f)?;
    }
    Ok(reg)
}

/// Parses `--as-of`, or today.
pub fn as_of(s: &Option<String>) -> Result<Date> {
    match s {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s).ok_or_else(|| {
            Error::Request(format!(
                "--as-of '{s}' is not a date: write YYYY-MM-DD, e.g. 2024-06-30"
            ))
            .into()
        }),
    }
}

struct Setup {
    t: Mrio,
    us: Resolved,
    them: Resolved,
    parties: Parties,
    date: Date,
}

fn setup(a: &PartyArgs) -> Result<Setup> {
    let reg = registry(a.blocs.as_deref())?;
    let date = as_of(&a.as_of)?;
    let t = load(&a.data)?;
    let us = blocs::resolve(&reg, &a.us, date, &t.labels, &a.data)?;
    let them = blocs::resolve(&reg, &a.them, date, &t.labels, &a.data)?;
    let overlap: Vec<&String> = us.used.iter().filter(|c| them.used.contains(c)).collect();
    if !overlap.is_empty() {
        return Err(Error::Request(format!(
            "'{}' and '{}' overlap in {} as of {date}: remove them from one side, e.g. '{}-{}'",
            a.us,
            a.them,
            overlap
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            a.us,
            a.them
        ))
        .into());
    }
    let parties = Parties::new(&t, us.regions.clone(), them.regions.clone())?;
    Ok(Setup {
        t,
        us,
        them,
        parties,
        date,
    })
}

fn members_line(r: &Resolved) -> String {
    let list = r.used.join(" ");
    if r.selection.expr.eq_ignore_ascii_case(&list) {
        list
    } else {
        format!(
            "{} = {} ({} region{})",
            r.selection.expr,
            list,
            r.used.len(),
            if r.used.len() == 1 { "" } else { "s" }
        )
    }
}

fn party_report(s: &Setup, a: &PartyArgs, title: String) -> Report {
    let mut r = base_report(&s.t, title);
    r.parameters = vec![
        ("us".into(), a.us.clone()),
        ("them".into(), a.them.clone()),
        ("as of".into(), s.date.to_string()),
    ];
    r.summary = vec![
        ("us".into(), members_line(&s.us)),
        ("them".into(), members_line(&s.them)),
    ];
    for res in [&s.us, &s.them] {
        if let Some(n) = res.absent_note(&a.data) {
            r.notes.push(n);
        }
    }
    r
}

fn key(s: &SectorDependence, by: SortBy) -> f64 {
    match by {
        SortBy::Va => s.value_added_from_them,
        SortBy::ViaThird => s.via_third_countries,
        SortBy::Direct => s.direct_input_share,
        SortBy::Hhi => s.foreign_supplier_hhi,
        SortBy::Sales => s.sales_total,
        SortBy::Output => s.output,
    }
}

fn supplier(name: &str, share: f64) -> String {
    if name.is_empty() {
        "—".into()
    } else {
        format!("{name} {:.0}%", share * 100.0)
    }
}

/// Columns of a per-region row ([`region_row`]).
const REGION_COLUMNS: [&str; 9] = [
    "region",
    "gross output",
    "VA from them",
    "via third",
    "inputs from them",
    "top foreign supplier",
    "HHI",
    "sales direct",
    "sales total",
];

/// Columns of a per-sector row ([`sector_row`]).
const SECTOR_COLUMNS: [&str; 12] = [
    "region",
    "sector",
    "sector name",
    "gross output",
    "VA from them",
    "via third",
    "inputs from them",
    "of output",
    "top foreign supplier",
    "HHI",
    "sales direct",
    "sales total",
];

/// Column headers: `first` then `rest`.
fn columns(first: &[&str], rest: &[&str]) -> Vec<String> {
    first.iter().chain(rest).map(|c| c.to_string()).collect()
}

fn sector_row(x: &SectorDependence) -> Vec<Cell> {
    vec![
        Cell::Text(x.node.region.clone()),
        Cell::Text(x.node.sector.clone()),
        Cell::Text(x.node.sector_name.clone()),
        Cell::Num(x.output, 0),
        Cell::Pct(x.value_added_from_them),
        Cell::Pct(x.via_third_countries),
        Cell::Pct(x.direct_input_share),
        Cell::Pct(x.direct_output_share),
        Cell::Text(supplier(
            &x.top_foreign_supplier,
            x.top_foreign_supplier_share,
        )),
        Cell::Num(x.foreign_supplier_hhi, 3),
        Cell::Pct(x.sales_direct),
        Cell::Pct(x.sales_total),
    ]
}

/// Summary lines for the solves of a dependency analysis ("what, equation" → "solve: what").
fn push_solves(r: &mut Report, solves: &[(String, sovra_core::SolveReport)], skip: &str) {
    for (what, rep) in solves {
        let (short, eq) = what.split_once(", ").unwrap_or((what.as_str(), ""));
        if skip.is_empty() || !short.starts_with(skip) {
            r.summary.push((
                format!("solve: {short}"),
                format!("{eq}: {}", solver_line(rep)),
            ));
        }
    }
}

fn region_row(g: &RegionDependence) -> Vec<Cell> {
    vec![
        Cell::Text(g.region.clone()),
        Cell::Num(g.output, 0),
        Cell::Pct(g.value_added_from_them),
        Cell::Pct(g.via_third_countries),
        Cell::Pct(g.direct_input_share),
        Cell::Text(supplier(
            &g.top_foreign_supplier,
            g.top_foreign_supplier_share,
        )),
        Cell::Num(g.foreign_supplier_hhi, 3),
        Cell::Pct(g.sales_direct),
        Cell::Pct(g.sales_total),
    ]
}

/// Options of `sovra depend` besides the parties.
pub struct DependOptions {
    /// Only this sector code.
    pub sector: Option<String>,
    /// Rows to show.
    pub top: Option<usize>,
    /// Ranking.
    pub sort: SortBy,
    /// Rows per sector or per region.
    pub by: DependBy,
    /// Leave out sectors with less gross output than this (table units).
    pub min_output: f64,
    /// Each region of us on its own against them.
    pub each: bool,
}

/// `sovra depend US --on THEM`.
pub fn depend_cmd(
    a: &PartyArgs,
    o: &DependOptions,
    out: &OutputArgs,
    sv: &SolverArgs,
) -> Result<()> {
    let s = setup(a)?;
    let t = &s.t;
    let sector = match &o.sector {
        None => None,
        Some(code) => Some(sector_code(t, code, &a.data)?),
    };
    let sys = system_of(t, sv)?;
    if o.each {
        return depend_each(&s, a, o, sector.as_deref(), out, &sys);
    }
    let d: Dependence = dependency::compute(t, &sys, &s.parties)?;
    let mut r = party_report(
        &s,
        a,
        format!("Dependence of {} on {} — {}", a.us, a.them, a.data),
    );
    r.parameters
        .push(("sort".into(), format!("{:?}", o.sort).to_lowercase()));
    if let Some(sc) = &sector {
        r.parameters.push(("sector".into(), sc.clone()));
    }
    if o.min_output > 0.0 {
        r.parameters
            .push(("min output".into(), o.min_output.to_string()));
    }
    r.summary.push((
        "third countries".into(),
        format!(
            "{} region{} (neither us nor them)",
            d.third.len(),
            if d.third.len() == 1 { "" } else { "s" }
        ),
    ));
    let g = &d.total;
    r.summary.push((
        "value added from them".into(),
        format!(
            "{:.2}% of the value of our output, of which {:.2} points through third countries",
            g.value_added_from_them * 100.0,
            g.via_third_countries * 100.0
        ),
    ));
    r.summary.push((
        "direct inputs from them".into(),
        format!(
            "{:.2}% of our intermediate inputs",
            g.direct_input_share * 100.0
        ),
    ));
    r.summary.push((
        "largest foreign supplier".into(),
        format!(
            "{} (HHI of foreign inputs {:.3})",
            supplier(&g.top_foreign_supplier, g.top_foreign_supplier_share),
            g.foreign_supplier_hhi
        ),
    ));
    r.summary.push((
        "sales to them".into(),
        format!(
            "{:.2}% of our output directly, {:.2}% in total",
            g.sales_direct * 100.0,
            g.sales_total * 100.0
        ),
    ));
    push_solves(&mut r, &d.solves, "");
    let top = table_top(o.top, out, 25);
    match o.by {
        DependBy::Region => {
            r.columns = columns(&REGION_COLUMNS, &[]);
            let mut regs: Vec<&RegionDependence> = d.regions.iter().collect();
            regs.sort_by(|x, y| y.value_added_from_them.total_cmp(&x.value_added_from_them));
            regs.truncate(top.unwrap_or(usize::MAX));
            r.rows = regs.into_iter().map(region_row).collect();
        }
        DependBy::Sector => {
            r.columns = columns(&["rank"], &SECTOR_COLUMNS);
            let mut rows: Vec<&SectorDependence> = d
                .sectors
                .iter()
                .filter(|x| sector.as_ref().is_none_or(|c| &x.node.sector == c))
                .filter(|x| x.output >= o.min_output)
                .collect();
            rows.sort_by(|x, y| key(y, o.sort).total_cmp(&key(x, o.sort)));
            rows.truncate(top.unwrap_or(usize::MAX));
            for (k, x) in rows.iter().enumerate() {
                let mut row = vec![Cell::Num((k + 1) as f64, 0)];
                row.extend(sector_row(x));
                r.rows.push(row);
            }
        }
    }
    r.notes.push(
        "VA from them = Σ_{i∈them} ν_i L_ij, the share of the value of the sector's output that is their value \
         added, through all rounds; via third = the part of it that passed through a country that is neither \
         us nor them (exact: difference with the chain restricted to us ∪ them); inputs from them = direct \
         share of intermediate inputs (and of gross output); HHI over origin countries of foreign inputs; \
         sales = share of output bought by them, directly and after further processing (Ghosh first \
         absorption). Formulas: docs/indicators.md"
            .into(),
    );
    if !d.final_demand_by_destination {
        r.notes.push(format!(
            "{} does not split final demand by destination: sales to them count intermediate sales only",
            a.data
        ));
    }
    if d.zero_output_nodes > 0 {
        r.notes.push(format!(
            "{} of our nodes have no output and are left out",
            d.zero_output_nodes
        ));
    }
    finish(&r, out)
}

/// `sovra keys US --on THEM`.
pub fn keys_cmd(
    a: &PartyArgs,
    top: Option<usize>,
    inputs: usize,
    out: &OutputArgs,
    sv: &SolverArgs,
) -> Result<()> {
    let s = setup(a)?;
    let t = &s.t;
    let sys = system_of(t, sv)?;
    let k = keys::compute(t, &sys, &s.parties, inputs)?;
    let mut r = party_report(
        &s,
        a,
        format!(
            "Technological keys: sectors of {} most exposed to inputs from {} — {}",
            a.us, a.them, a.data
        ),
    );
    r.summary.push((
        "our gross output".into(),
        format!(
            "{} {}",
            crate::render::format_num(k.us_output, 0),
            t.provenance.units
        ),
    ));
    r.summary.push(("solve".into(), solver_line(&k.solve)));
    r.columns = [
        "rank",
        "region",
        "sector",
        "sector name",
        "inputs from them",
        "forward multiplier",
        "exposed output",
        "of our output",
        "top inputs from them",
    ]
    .map(String::from)
    .to_vec();
    let top = table_top(top, out, 20);
    for x in k.sectors.iter().take(top.unwrap_or(usize::MAX)) {
        let inputs: Vec<String> = x
            .top_inputs
            .iter()
            .map(|i| {
                format!(
                    "{}/{} {:.0}%",
                    i.node.region,
                    i.node.sector,
                    i.share * 100.0
                )
            })
            .collect();
        r.rows.push(vec![
            Cell::Num(x.rank as f64, 0),
            Cell::Text(x.node.region.clone()),
            Cell::Text(x.node.sector.clone()),
            Cell::Text(x.node.sector_name.clone()),
            Cell::Num(x.inputs_from_them, 0),
            Cell::Num(x.forward_multiplier, 3),
            Cell::Num(x.exposed_output, 0),
            Cell::Pct(x.exposed_share),
            Cell::Text(inputs.join(", ")),
        ]);
    }
    r.notes.push(
        "exposed output E_j = m_j·g_j: inputs from them m_j times the Ghosh forward multiplier over our output \
         g_j = Σ_{k∈us} G_jk (supply-side hypothetical extraction of the them→j flows); gross output counted at \
         every stage, so shares do not add up across sectors. Formulas: docs/indicators.md"
            .into(),
    );
    finish(&r, out)
}

/// A sector code of the dataset (exact or case-insensitive), or an error listing the codes.
pub fn sector_code(t: &Mrio, code: &str, dataset: &str) -> Result<String> {
    let i = t.labels.sector_index(code, dataset)?;
    Ok(t.labels.sectors[i].code.clone())
}

/// `sovra blocs list`.
pub fn blocs_list(extra: Option<&Path>, date: &Option<String>, out: &OutputArgs) -> Result<()> {
    let reg = registry(extra)?;
    let date = as_of(date)?;
    let mut r = Report {
        title: format!("Blocs (membership as of {date})"),
        parameters: vec![("as of".into(), date.to_string())],
        columns: ["bloc", "members", "title", "member list"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    for b in reg.blocs() {
        let m = b.members_on(date);
        r.rows.push(vec![
            Cell::Text(b.name.clone()),
            Cell::Num(m.len() as f64, 0),
            Cell::Text(b.title.clone()),
            Cell::Text(m.join(" ")),
        ]);
    }
    r.notes.push(
        "combine blocs with + (union), - (difference) and & (intersection), e.g. EU27+G7-DEU, BRICS&OPEC; \
         see `sovra blocs show NAME` for sources and history"
            .into(),
    );
    finish(&r, out)
}

/// `sovra blocs show NAME|EXPR`.
pub fn blocs_show(
    expr: &str,
    extra: Option<&Path>,
    date: &Option<String>,
    data: Option<&str>,
    out: &OutputArgs,
) -> Result<()> {
    let reg = registry(extra)?;
    let date = as_of(date)?;
    let sel = reg.eval(expr, date)?;
    let mut r = Report {
        title: format!("{expr} as of {date}: {} members", sel.members.len()),
        parameters: vec![("as of".into(), date.to_string())],
        ..Default::default()
    };
    r.summary.push(("members".into(), sel.members.join(" ")));
    if let Some(b) = reg.get(expr.trim()) {
        r.summary.push(("title".into(), b.title.clone()));
        r.summary.push(("source".into(), b.source.clone()));
        r.summary
            .push(("list checked".into(), b.checked.to_string()));
        if !b.notes.is_empty() {
            r.notes.push(b.notes.clone());
        }
        r.columns = ["member", "from", "until", "member on date"]
            .map(String::from)
            .to_vec();
        for m in &b.members {
            r.rows.push(vec![
                Cell::Text(m.iso3.clone()),
                Cell::Text(m.from.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
                Cell::Text(m.until.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
                Cell::Flag(m.on(date)),
            ]);
        }
    } else {
        for (name, m) in &sel.blocs {
            r.summary.push((name.clone(), m.join(" ")));
        }
    }
    if let Some(data) = data {
        let t = load(data)?;
        r.provenance = Some(t.provenance.clone());
        let res = blocs::resolve(&reg, expr, date, &t.labels, data)?;
        r.summary
            .push((format!("regions in {data}"), res.used.join(" ")));
        if let Some(n) = res.absent_note(data) {
            r.notes.push(n);
        }
    }
    finish(&r, out)
}

/// `sovra tiva [--country C]`.
pub fn tiva_cmd(
    data: &str,
    country: Option<&str>,
    out: &OutputArgs,
    sv: &SolverArgs,
) -> Result<()> {
    let t = load(data)?;
    let only = match country {
        None => None,
        Some(c) => Some(blocs::resolve(&registry(None)?, c, Date::today(), &t.labels, data)?.used),
    };
    let sys = system_of(&t, sv)?;
    let tv = tiva::compute(&t, &sys)?;
    let mut r = base_report(
        &t,
        format!("Trade in value added (OECD TiVA indicators) — {data}"),
    );
    if let Some(c) = country {
        r.parameters.push(("country".into(), c.to_string()));
    }
    r.summary.push(("solve".into(), solver_line(&tv.solve)));
    let full = tv.absent.is_none();
    r.columns = if full {
        vec![
            "region",
            "name",
            "EXGR",
            "EXGR_DVA",
            "EXGR_FVA",
            "EXGR_FVASH",
            "EXGR_DVAFX",
            "GVC backward",
            "GVC forward",
            "GVC total",
            "FFD_DVA",
            "DFD_FVA",
            "EXGR_INT",
        ]
    } else {
        vec![
            "region",
            "name",
            "EXGR_INT",
            "EXGR_INT_DVA",
            "EXGR_INT_FVA",
            "EXGR_INT_FVASH",
            "EXGR_INT_DVAFX",
        ]
    }
    .into_iter()
    .map(String::from)
    .collect();
    let num = |v: Option<f64>| Cell::Num(v.unwrap_or(f64::NAN), 0);
    let pct = |v: Option<f64>| Cell::Pct(v.unwrap_or(f64::NAN));
    for c in &tv.countries {
        if only.as_ref().is_some_and(|o| !o.contains(&c.region)) {
            continue;
        }
        let mut row = vec![Cell::Text(c.region.clone()), Cell::Text(c.name.clone())];
        if full {
            row.extend([
                num(c.EXGR),
                num(c.EXGR_DVA),
                num(c.EXGR_FVA),
                pct(c.EXGR_FVASH),
                num(c.EXGR_DVAFX),
                pct(c.GVC_backward),
                pct(c.GVC_forward),
                pct(c.GVC_total),
                num(c.FFD_DVA),
                num(c.DFD_FVA),
                Cell::Num(c.EXGR_INT, 0),
            ]);
        } else {
            let sh = if c.EXGR_INT > 0.0 {
                c.EXGR_INT_FVA / c.EXGR_INT
            } else {
                0.0
            };
            row.extend([
                Cell::Num(c.EXGR_INT, 0),
                Cell::Num(c.EXGR_INT_DVA, 0),
                Cell::Num(c.EXGR_INT_FVA, 0),
                Cell::Pct(sh),
                Cell::Num(c.EXGR_INT_DVAFX, 0),
            ]);
        }
        r.rows.push(row);
    }
    if let Some(why) = &tv.absent {
        r.notes.push(why.clone());
    }
    r.notes.push(format!(
        "in {}; EXGR gross exports (EXGR_INT intermediate exports); _DVA/_FVA domestic/foreign value added in them (global Leontief inverse); \
         DVAFX domestic value added in other countries' exports; GVC backward = FVA/EXGR, forward = \
         DVAFX/EXGR; FFD_DVA domestic value added in foreign final demand; DFD_FVA foreign value added in \
         domestic final demand. Formulas: docs/indicators.md",
        t.provenance.units
    ));
    finish(&r, out)
}

/// `sovra depend US --on THEM --each`: every region of us on its own against them, with key-sector exposure.
fn depend_each(
    s: &Setup,
    a: &PartyArgs,
    o: &DependOptions,
    sector: Option<&str>,
    out: &OutputArgs,
    sys: &sovra_core::LeontiefSystem,
) -> Result<()> {
    let t = &s.t;
    // Independent: the dependency solves (one right-hand side each, bound by memory bandwidth) run beside
    // the key-sector solve (a right-hand side per country, bound by arithmetic).
    let (each, keys_each) = rayon::join(
        || dependency::compute_each(t, sys, &s.parties.us, &s.parties.them),
        || keys::compute_each(t, sys, &s.parties.us, &s.parties.them, 1),
    );
    let (each, keys_each) = (each?, keys_each?);
    let mut r = party_report(
        s,
        a,
        format!("Dependence of each of {} on {} — {}", a.us, a.them, a.data),
    );
    r.parameters.push(("each".into(), "yes".into()));
    if let Some(d) = each.first() {
        push_solves(&mut r, &d.solves, "chains without");
    }
    if let Some(k) = keys_each.first() {
        r.summary
            .push(("solve: key sectors".into(), solver_line(&k.solve)));
    }
    r.summary.push((
        "solve: chains without third countries".into(),
        format!("one restricted system per country ({})", each.len()),
    ));
    let top = table_top(o.top, out, 25);
    match o.by {
        DependBy::Region => {
            r.columns = columns(&REGION_COLUMNS, &["top key sector", "its exposed output"]);
            let mut rows: Vec<(usize, &RegionDependence)> = each
                .iter()
                .enumerate()
                .map(|(k, d)| (k, &d.total))
                .collect();
            rows.sort_by(|x, y| {
                y.1.value_added_from_them
                    .total_cmp(&x.1.value_added_from_them)
            });
            rows.truncate(top.unwrap_or(usize::MAX));
            for (k, g) in rows {
                let mut row = region_row(g);
                row[0] = Cell::Text(each[k].us.join("+"));
                let key = keys_each[k].sectors.first();
                row.push(Cell::Text(
                    key.map(|x| x.node.sector.clone()).unwrap_or_default(),
                ));
                row.push(Cell::Num(key.map(|x| x.exposed_output).unwrap_or(0.0), 0));
                r.rows.push(row);
            }
        }
        DependBy::Sector => {
            r.columns = columns(&SECTOR_COLUMNS, &["key rank", "exposed output"]);
            let mut rows: Vec<(&SectorDependence, Option<&keys::KeySector>)> = Vec::new();
            for (d, k) in each.iter().zip(&keys_each) {
                for x in &d.sectors {
                    if sector.is_some_and(|c| x.node.sector != c) || x.output < o.min_output {
                        continue;
                    }
                    rows.push((x, k.sectors.iter().find(|ks| ks.node == x.node)));
                }
            }
            rows.sort_by(|x, y| key(y.0, o.sort).total_cmp(&key(x.0, o.sort)));
            rows.truncate(top.unwrap_or(usize::MAX));
            for (x, ks) in rows {
                let mut row = sector_row(x);
                row.push(Cell::Num(ks.map(|k| k.rank as f64).unwrap_or(f64::NAN), 0));
                row.push(Cell::Num(
                    ks.map(|k| k.exposed_output).unwrap_or(f64::NAN),
                    0,
                ));
                r.rows.push(row);
            }
        }
    }
    r.notes.push(
        "each region is \"us\" on its own: via third = through countries other than itself and them; key rank \
         and exposed output rank the sectors within their own country (see `sovra keys`). Formulas: \
         docs/indicators.md"
            .into(),
    );
    if each.first().is_some_and(|d| !d.final_demand_by_destination) {
        r.notes.push(format!(
            "{} does not split final demand by destination: sales to them count intermediate sales only",
            a.data
        ));
    }
    finish(&r, out)
}
