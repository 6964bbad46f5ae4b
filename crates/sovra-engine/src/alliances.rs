//! `alliances`: for what us buys from them, sector by sector, which candidate partners could supply it
//! instead, the partner sets that could cover the most, and — the test that matters — what an embargo of
//! them on us costs us when only the alliance (and we) may take over the severed supply, against the same
//! embargo with no partner. Figures and formulas: `sovra_analysis::alliances` and `docs/alliances.md`.
//!
//! Candidates that are us or them (BRICS as candidates of RUS) are left out with a note, not refused; a
//! candidate list with nothing left is an error naming `candidates`.
//!
//! Where the workspace's trade store holds trade, the same coverage at HS6 (tables `hs6_…`): the figures of
//! `trade_suppliers` for every product we import from them (`sovra_trade::screen::cover`), with the partner
//! sets searched the same way (`Coverage::from_flows`).

use serde::{Deserialize, Serialize};
use sovra_analysis::alliances::{self, BestSets, CandidateFlows, Coverage, SetMethod, Sides};
use sovra_analysis::shock::{self as model, Instrument, Leg, Model, Outcome, Params, Restriction};
use sovra_core::blocs::Resolved;
use sovra_report::{Diagnostic, Kind, Report, TableBuilder, Value};

use crate::compose::{amount, code, figure, flag, format_num, line, num, param, rank, share, text};
use crate::depend::{self, Setup};
use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use crate::trade::{self, Window};
use crate::workspace::{Blocs, DEFAULT_DATASET, Workspace};

fn default_data() -> String {
    DEFAULT_DATASET.to_string()
}

fn default_size() -> usize {
    3
}

fn yes() -> bool {
    true
}

/// The link to the definitions.
const DOC: &str = "docs/alliances.md";

/// `alliances`: candidate partners for what us buys from them. Field names follow the CLI
/// (`{"us": "RUS", "against": "G7", "candidates": "BRICS", "size": 2}`).
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlliancesRequest {
    /// Us: a country, bloc or expression.
    pub us: String,
    /// Them, whose supply is to be replaced (`them` is accepted too).
    #[serde(alias = "them")]
    pub against: String,
    /// The candidate partners: a country, bloc or expression (members that are us or them are left out).
    pub candidates: String,
    /// Dataset name in the store.
    #[serde(default = "default_data")]
    pub data: String,
    /// Year of a dataset that holds several (a series); the latest when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Bloc membership date, YYYY-MM-DD (default: the end of the dataset's year).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Extra blocs: TOML text in `toml` (`[bloc.NAME]` with `members = ["AAA", …]`).
    #[serde(default)]
    pub blocs: Option<Blocs>,
    /// Rows of `sets`, and the sectors (largest imports from them first) of `sectors` and `pairs` (default 10).
    #[serde(default)]
    pub top: Option<usize>,
    /// The most members of a partner set (default 3; at least 1).
    #[serde(default = "default_size")]
    pub size: usize,
    /// Run the embargo with and without the alliance (default true; false gives the coverage alone).
    #[serde(default = "yes")]
    pub shock: bool,
    /// The same coverage at HS6 from the workspace's trade store: by default when the store holds trade (a
    /// note says why when it is left out), `true` to require it (an error naming `trade` otherwise),
    /// `false` to leave it out.
    #[serde(default)]
    pub trade: Option<bool>,
    /// The year of trade for the HS6 coverage (default: the dataset's year when the store holds it, else the
    /// latest year held).
    #[serde(default)]
    pub trade_year: Option<i32>,
}

impl AlliancesRequest {
    /// A request with every optional field at its default.
    pub fn new(us: &str, against: &str, candidates: &str) -> Self {
        AlliancesRequest {
            us: us.to_string(),
            against: against.to_string(),
            candidates: candidates.to_string(),
            data: default_data(),
            year: None,
            as_of: None,
            blocs: None,
            top: None,
            size: default_size(),
            shock: true,
            trade: None,
            trade_year: None,
        }
    }
}

/// The candidates resolved on the same date as us and them, with us and them left out (and said so).
fn candidates(
    ws: &Workspace,
    q: &AlliancesRequest,
    s: &Setup,
    notes: &mut Vec<String>,
) -> Result<(Resolved, Vec<usize>)> {
    let reg = ws.registry(q.blocs.as_ref())?;
    let t = s.table();
    let resolved =
        depend::resolve_side(&reg, &q.candidates, s.date, t, &q.data, "candidates", notes)?;
    let (kept, dropped): (Vec<usize>, Vec<usize>) = resolved
        .regions
        .iter()
        .partition(|r| !s.parties.us.contains(r) && !s.parties.them.contains(r));
    if !dropped.is_empty() {
        let names: Vec<&str> = dropped
            .iter()
            .map(|&r| t.labels.regions[r].code.as_str())
            .collect();
        notes.push(format!(
            "candidates '{}': {} left out (us or them)",
            q.candidates,
            names.join(", ")
        ));
    }
    if kept.is_empty() {
        return Err(Error::usage(
            "candidates",
            format!(
                "candidates '{}' have no region outside us ('{}') and them ('{}') as of {}",
                q.candidates, q.us, q.against, s.date
            ),
        ));
    }
    Ok((resolved, kept))
}

/// Runs `alliances`.
pub fn alliances(ws: &Workspace, q: &AlliancesRequest, progress: &dyn Progress) -> Result<Report> {
    if q.size == 0 {
        return Err(Error::usage(
            "size",
            "--size 0: a partner set needs at least 1 member",
        ));
    }
    let top = q.top.unwrap_or(10);
    let s = depend::setup(
        ws,
        &depend::Sides {
            us: &q.us,
            them: &q.against,
            data: &q.data,
            year: q.year,
            as_of: &q.as_of,
            blocs: q.blocs.as_ref(),
        },
        progress,
    )?;
    let mut notes = Vec::new();
    let (cand_resolved, kept) = candidates(ws, q, &s, &mut notes)?;
    let t = s.table();
    progress.stage("coverage");
    let sides = Sides {
        us: &s.parties.us,
        them: &s.parties.them,
        candidates: &kept,
    };
    let cov = alliances::coverage(t, &sides)?;
    let sets = alliances::best_sets(&cov, q.size, top)?;
    let mut r = depend::party_report(
        "alliances",
        &s,
        &q.us,
        &q.against,
        &q.data,
        format!(
            "Alliances of {} against {} among {} — {}",
            q.us, q.against, q.candidates, q.data
        ),
    );
    param(&mut r, "candidates", "candidates", q.candidates.as_str());
    param(&mut r, "size", "largest partner set", q.size);
    param(&mut r, "top", "rows", top);
    if let Some(n) = cand_resolved.absent_note(&q.data) {
        r.notes.push(n);
    }
    r.notes.extend(notes);
    let units = t.provenance.units.clone();
    let members: Vec<String> = cov.candidates.iter().map(|c| c.region.clone()).collect();
    line(&mut r, "candidates", members.join(" "));
    figure(
        &mut r,
        "candidate_regions",
        "candidate partners",
        Value::List(members.iter().map(|c| c.as_str().into()).collect()),
        Kind::Code,
        None,
        0,
    );
    figure(
        &mut r,
        "imports_from_them",
        "our imports from them",
        num(cov.total_imports),
        Kind::Amount,
        Some(&units),
        0,
    );
    line(
        &mut r,
        "imports from them",
        format!(
            "{} {units} ({})",
            format_num(cov.total_imports, 0),
            if cov.final_demand_by_destination {
                "intermediate and final"
            } else {
                "intermediate only: the table's final demand is not split by destination"
            }
        ),
    );
    if !cov.final_demand_by_destination {
        r.notes.push(format!(
            "{}'s final demand is not split by destination: imports, exports and purchases are intermediate \
             flows only (Z), final products are not counted",
            q.data
        ));
    }
    set_figures(&mut r, &cov, &sets, q.size, &units);
    let items = Items {
        prefix: "",
        key: "sector",
        label: "sector",
        names: t
            .labels
            .sectors
            .iter()
            .map(|s| s.name.as_str().into())
            .collect(),
        units: units.clone(),
    };
    candidates_table(&mut r, &cov, &items)?;
    sets_table(&mut r, &cov, &sets, &items)?;
    sectors_tables(&mut r, &cov, top, &items)?;
    hs6(&mut r, ws, q, &s, top, progress)?;
    if q.shock && cov.total_imports > 0.0 {
        progress.stage("shock");
        let best: Vec<usize> = sets
            .sets
            .first()
            .map(|x| x.members.clone())
            .unwrap_or_default();
        shock_test(&mut r, &s, &cov, &best, progress)?;
    } else if q.shock {
        r.notes
            .push("we import nothing from them in this table: no embargo to test".to_string());
    }
    r.notes.push(format!("Definitions and formulas: {DOC}"));
    Ok(r)
}

fn set_names(cov: &Coverage, members: &[usize]) -> String {
    members
        .iter()
        .map(|&p| cov.candidates[p].region.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

fn set_figures(r: &mut Report, cov: &Coverage, sets: &BestSets, size: usize, units: &str) {
    let Some(best) = sets.sets.first() else {
        return;
    };
    figure(
        r,
        "best_set",
        "best partner set",
        Value::List(
            best.members
                .iter()
                .map(|&p| cov.candidates[p].region.as_str().into())
                .collect(),
        ),
        Kind::Code,
        None,
        0,
    );
    figure(
        r,
        "best_set_covered",
        "imports from them its exports could cover",
        num(best.covered),
        Kind::Amount,
        Some(units),
        0,
    );
    figure(
        r,
        "best_set_coverage",
        "share of our imports from them it could cover",
        num(best.coverage),
        Kind::Share,
        None,
        2,
    );
    let how = match sets.method {
        SetMethod::Exact => format!("exact: every set of at most {size} evaluated"),
        SetMethod::Greedy => format!(
            "greedy (within 1 − 1/e of the best; the best covers at most {})",
            format_num(sets.upper_bound, 0)
        ),
    };
    line(
        r,
        "best partner set",
        format!(
            "{} covers {:.2}% of our imports from them ({how})",
            set_names(cov, &best.members),
            best.coverage * 100.0
        ),
    );
    r.diagnostics.push(Diagnostic {
        key: "partner_sets".into(),
        label: "search for the best partner sets".into(),
        method: Some(
            match sets.method {
                SetMethod::Exact => "exact",
                SetMethod::Greedy => "greedy",
            }
            .into(),
        ),
        right_hand_sides: None,
        iterations: Some(sets.evaluated),
        max_relative_residual: None,
        seconds: None,
        detail: Some(format!(
            "{} sets evaluated; upper bound on the best cover {}",
            sets.evaluated,
            format_num(sets.upper_bound, 3)
        )),
    });
}

/// What a coverage is of: the table's sectors, or the products of the trade store (HS6).
struct Items {
    /// Before every table key: `""`, or `"hs6_"`.
    prefix: &'static str,
    /// The column key of an item: `sector` or `product`.
    key: &'static str,
    /// How an item is called.
    label: &'static str,
    /// Names by item index (null where unknown).
    names: Vec<Value>,
    /// The unit of the flows.
    units: String,
}

impl Items {
    fn key(&self, table: &str) -> String {
        format!("{}{table}", self.prefix)
    }

    fn title(&self, title: &str) -> String {
        if self.prefix.is_empty() {
            title.to_string()
        } else {
            format!("HS6: {title}")
        }
    }

    fn doc(&self, anchor: &str) -> String {
        if self.prefix.is_empty() {
            format!("{DOC}#{anchor}")
        } else {
            format!("{DOC}#hs6-coverage-from-the-trade-store")
        }
    }
}

fn candidates_table(r: &mut Report, cov: &Coverage, items: &Items) -> Result<()> {
    let d = items.doc("candidates");
    let units = items.units.as_str();
    let mut tb = TableBuilder::new(
        items.key("candidates"),
        items.title("candidate partners, each alone"),
        vec![
            rank(),
            code("candidate", "candidate"),
            amount("covered", "imports covered", units, 0).doc(&d),
            share("coverage", "coverage").doc(&d),
            amount("exports", "its exports", units, 0).doc(&d),
            amount("already_bought", "we buy from it", units, 0).doc(&d),
            code(&format!("top_{}", items.key), "largest cover in").doc(&d),
        ],
    );
    let mut order: Vec<usize> = (0..cov.candidates.len()).collect();
    order.sort_by(|&a, &b| {
        cov.candidates[b]
            .covered
            .total_cmp(&cov.candidates[a].covered)
    });
    for (k, &p) in order.iter().enumerate() {
        let c = &cov.candidates[p];
        let top_sector = (0..cov.imports.len())
            .map(|s| (s, cov.imports[s].min(c.exports[s])))
            .filter(|(_, v)| *v > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(s, _)| Value::from(cov.sectors[s].as_str()))
            .unwrap_or(Value::Null);
        tb.push_row(vec![
            Value::Int(k as i64 + 1),
            c.region.as_str().into(),
            num(c.covered),
            num(c.coverage),
            num(c.exports.iter().sum()),
            num(c.already_total),
            top_sector,
        ])?;
    }
    r.tables.push(tb.finish());
    Ok(())
}

fn sets_table(r: &mut Report, cov: &Coverage, sets: &BestSets, items: &Items) -> Result<()> {
    let d = items.doc("partner-sets");
    let units = items.units.as_str();
    let mut tb = TableBuilder::new(
        items.key("sets"),
        items.title(match sets.method {
            SetMethod::Exact => "best partner sets (exact)",
            SetMethod::Greedy => "partner sets (greedy chain)",
        }),
        vec![
            rank(),
            text("members", "partners").doc(&d),
            crate::compose::count("size", "size").doc(&d),
            amount("covered", "imports covered", units, 0).doc(&d),
            share("coverage", "coverage").doc(&d),
        ],
    );
    for (k, x) in sets.sets.iter().enumerate() {
        tb.push_row(vec![
            Value::Int(k as i64 + 1),
            set_names(cov, &x.members).into(),
            Value::Int(x.members.len() as i64),
            num(x.covered),
            num(x.coverage),
        ])?;
    }
    r.tables.push(tb.finish());
    Ok(())
}

/// `sectors` (one row per sector we import from them: the best single candidate and the pooled cover of all)
/// and `pairs` (each candidate in each of those sectors); both cut to the `top` sectors by imports from them.
/// At HS6, `hs6_products` and `hs6_pairs`, by product.
fn sectors_tables(r: &mut Report, cov: &Coverage, top: usize, items: &Items) -> Result<()> {
    let d = items.doc("sectors");
    let units = items.units.as_str();
    let (key, label) = (items.key, items.label);
    let mut order: Vec<usize> = (0..cov.imports.len())
        .filter(|&s| cov.imports[s] > 0.0)
        .collect();
    order.sort_by(|&a, &b| cov.imports[b].total_cmp(&cov.imports[a]));
    let all: Vec<usize> = (0..cov.candidates.len()).collect();
    let mut tb = TableBuilder::new(
        items.key(&format!("{key}s")),
        items.title(&format!("what we import from them, {label} by {label}")),
        vec![
            rank(),
            code(key, label),
            text(&format!("{key}_name"), "name").hidden(),
            amount("imports", "imports from them", units, 0).doc(&d),
            share("import_share", "of all").doc(&d),
            code("best_candidate", "best partner").doc(&d),
            share("best_coverage", "it covers").doc(&d),
            share("all_coverage", "all candidates cover").doc(&d),
        ],
    );
    for (k, &s) in order.iter().take(top).enumerate() {
        let best = (0..cov.candidates.len())
            .max_by(|&a, &b| cov.candidates[a].exports[s].total_cmp(&cov.candidates[b].exports[s]));
        let pooled: f64 = all.iter().map(|&p| cov.candidates[p].exports[s]).sum();
        tb.push_row(vec![
            Value::Int(k as i64 + 1),
            cov.sectors[s].as_str().into(),
            items.names[s].clone(),
            num(cov.imports[s]),
            num(cov.imports[s] / cov.total_imports),
            best.map(|p| Value::from(cov.candidates[p].region.as_str()))
                .unwrap_or(Value::Null),
            best.and_then(|p| cov.share(p, s))
                .map(num)
                .unwrap_or(Value::Null),
            num((pooled / cov.imports[s]).min(1.0)),
        ])?;
    }
    r.tables.push(tb.finish());
    let d = items.doc("pairs");
    let mut tb = TableBuilder::new(
        items.key("pairs"),
        items.title(&format!(
            "each candidate in each {label} we import from them"
        )),
        vec![
            code(key, label),
            code("candidate", "candidate"),
            amount("imports", "imports from them", units, 0).doc(&d),
            amount("exports", "its exports", units, 0).doc(&d),
            share("coverage", "coverage").doc(&d),
            amount("already_bought", "we buy from it", units, 0).doc(&d),
        ],
    );
    for &s in order.iter().take(top) {
        let mut by: Vec<usize> = (0..cov.candidates.len()).collect();
        by.sort_by(|&a, &b| cov.candidates[b].exports[s].total_cmp(&cov.candidates[a].exports[s]));
        for p in by {
            let c = &cov.candidates[p];
            tb.push_row(vec![
                cov.sectors[s].as_str().into(),
                c.region.as_str().into(),
                num(cov.imports[s]),
                num(c.exports[s]),
                cov.share(p, s).map(num).unwrap_or(Value::Null),
                num(c.already[s]),
            ])?;
        }
    }
    r.tables.push(tb.finish());
    Ok(())
}

/// One restricted run of the embargo.
struct Case {
    name: String,
    eligible: String,
    outcome: Outcome,
}

/// The embargo of them on us (both directions, every sector) under the rerouting model, with the takeover of
/// our lost supply restricted to us alone, to us and the best set, to us and every candidate, and not at all.
fn shock_test(
    r: &mut Report,
    s: &Setup,
    cov: &Coverage,
    best: &[usize],
    progress: &dyn Progress,
) -> Result<()> {
    let net = s.loaded.network()?;
    let us = &s.parties.us;
    let mut legs = Vec::new();
    for &a in &s.parties.them {
        for &b in us {
            legs.push(Leg {
                seller: a,
                buyer: b,
                sectors: None,
                instrument: Instrument::ImportBan,
                shares: None,
            });
            legs.push(Leg {
                seller: b,
                buyer: a,
                sectors: None,
                instrument: Instrument::ExportBan,
                shares: None,
            });
        }
    }
    let p = Params::default();
    let region = |k: usize| cov.candidates[k].index;
    let with = |allies: &[usize]| {
        let mut sellers: Vec<usize> = us.clone();
        sellers.extend(allies.iter().map(|&k| region(k)));
        sellers.sort_unstable();
        Restriction {
            buyers: us.clone(),
            sellers,
        }
    };
    let all: Vec<usize> = (0..cov.candidates.len()).collect();
    let mut plan: Vec<(String, String, Option<Restriction>)> = vec![
        ("no partner".into(), "us".into(), Some(with(&[]))),
        (
            "alliance".into(),
            format!("us + {}", set_names(cov, best)),
            Some(with(best)),
        ),
    ];
    if best.len() < all.len() {
        plan.push((
            "all candidates".into(),
            format!("us + {}", set_names(cov, &all)),
            Some(with(&all)),
        ));
    }
    plan.push(("unrestricted".into(), "every region".into(), None));
    let mut cases = Vec::new();
    for (name, eligible, restriction) in plan {
        if progress.cancelled() {
            return Err(Error::cancelled());
        }
        progress.stage(&format!("embargo, {name}"));
        let outcome = model::run_with(&net, &legs, Model::Rerouting, &p, restriction.as_ref())?;
        cases.push(Case {
            name,
            eligible,
            outcome,
        });
    }
    let our = |o: &Outcome| -> (f64, f64) {
        let loss: f64 = us.iter().map(|&c| o.region_loss[c]).sum();
        let out: f64 = us.iter().map(|&c| net.region_output[c]).sum();
        (loss, if out > 0.0 { loss / out } else { 0.0 })
    };
    let units = s.table().provenance.units.clone();
    let (base, _) = our(&cases[0].outcome);
    let d = format!("{DOC}#the-embargo-test");
    let mut tb = TableBuilder::new(
        "shock",
        "embargo of them on us: our output loss by who may replace their supply",
        vec![
            text("case", "case"),
            text("eligible", "who may replace their supply").doc(&d),
            amount("our_loss", "our output loss", &units, 0).doc(&d),
            share("our_loss_share", "of our output").doc(&d),
            amount("avoided", "avoided vs no partner", &units, 0).doc(&d),
            amount("restricted_loss", "supply not replaced", &units, 0).doc(&d),
            flag("trustworthy", "trustworthy").doc(&d),
        ],
    );
    for c in &cases {
        let (loss, sh) = our(&c.outcome);
        let rr = c.outcome.diagnostics.reroute.as_ref();
        let why = crate::shock::distrust(&c.outcome);
        tb.push_row(vec![
            c.name.as_str().into(),
            c.eligible.as_str().into(),
            num(loss),
            num(sh),
            num(base - loss),
            rr.and_then(|x| x.restricted_loss)
                .map(num)
                .unwrap_or(Value::Null),
            why.is_empty().into(),
        ])?;
        if !why.is_empty() {
            r.notes.push(format!(
                "embargo, {}: computed but not trustworthy: {}",
                c.name,
                why.join("; ")
            ));
        }
        r.diagnostics.push(Diagnostic {
            key: format!("shock_{}", c.name.replace(' ', "_")),
            label: format!("embargo of them on us, {}: rerouting balance", c.name),
            method: Some("ras".into()),
            right_hand_sides: None,
            iterations: rr.map(|x| x.iterations as u64),
            max_relative_residual: rr.map(|x| x.residual),
            seconds: Some(c.outcome.diagnostics.seconds.iter().map(|(_, v)| v).sum()),
            detail: Some(format!(
                "converged: {}; equilibrium residual {}",
                c.outcome.diagnostics.converged,
                c.outcome
                    .diagnostics
                    .equilibrium
                    .as_ref()
                    .map_or("—".to_string(), |e| format!("{:.1e}", e.residual_h))
            )),
        });
    }
    r.tables.push(tb.finish());
    let trustworthy = cases
        .iter()
        .all(|c| crate::shock::distrust(&c.outcome).is_empty());
    figure(
        r,
        "trustworthy",
        "every embargo run trustworthy (converged, stable, no collapse)",
        trustworthy,
        Kind::Flag,
        None,
        0,
    );
    let (without, without_sh) = our(&cases[0].outcome);
    let (with_a, with_sh) = our(&cases[1].outcome);
    figure(
        r,
        "loss_without",
        "our output loss with no partner",
        num(without),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        r,
        "loss_with",
        "our output loss with the alliance",
        num(with_a),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        r,
        "loss_avoided",
        "output loss the alliance avoids",
        num(without - with_a),
        Kind::Amount,
        Some(&units),
        0,
    );
    line(
        r,
        "embargo test",
        format!(
            "our output loss {} {units} ({:.2}%) with no partner, {} ({:.2}%) with {}: {} avoided",
            format_num(without, 0),
            without_sh * 100.0,
            format_num(with_a, 0),
            with_sh * 100.0,
            set_names(cov, best),
            format_num(without - with_a, 0)
        ),
    );
    r.notes.push(
        "embargo test: rerouting model (τ 0.30, δ 0.10, ρ −1, ϱ −1); a severed flow into one of our \
         sectors is replaced only in the proportion that eligible sellers (us and the partners of the case) \
         hold in its remaining purchases of that product; the rest is lost like the friction (see docs/alliances.md)"
            .to_string(),
    );
    Ok(())
}

/// Why the HS6 coverage is left out: an error when it was asked for (`trade: true`), else a note.
fn hs6_skip(r: &mut Report, required: bool, e: Error) -> Result<()> {
    if required {
        return Err(e);
    }
    r.notes
        .push(format!("HS6 coverage left out: {}", e.message));
    Ok(())
}

/// The coverage at HS6 from the workspace's trade store (tables `hs6_candidates`, `hs6_sets`, `hs6_products`,
/// `hs6_pairs`): `trade_suppliers`' world exports and sales to us of each candidate, for every product we
/// import from them, in one pass over the year's rows.
fn hs6(
    r: &mut Report,
    ws: &Workspace,
    q: &AlliancesRequest,
    s: &Setup,
    top: usize,
    progress: &dyn Progress,
) -> Result<()> {
    let required = match q.trade {
        Some(false) => return Ok(()),
        Some(true) => true,
        None => false,
    };
    let dir = ws.trade_store();
    if !dir.exists() {
        let e = Error::new(
            ErrorKind::NotFound,
            format!(
                "no trade store at {}: import one with `sovra trade import FILE…`",
                dir.display()
            ),
        )
        .at("trade");
        return hs6_skip(r, required, e);
    }
    let held = match trade::open_store(&dir, "trade") {
        Ok(store) => store.years(),
        Err(e) => return hs6_skip(r, required, e),
    };
    if held.is_empty() {
        let e = Error::new(
            ErrorKind::NotFound,
            format!("the trade store {} holds no year", dir.display()),
        )
        .at("trade");
        return hs6_skip(r, required, e);
    }
    let dataset_year = s.table().provenance.year;
    let year = match q.trade_year {
        Some(y) if held.contains(&y) => y,
        Some(y) => {
            return Err(Error::usage(
                "trade_year",
                format!(
                    "--trade-year {y}: the trade store {} holds {held:?}",
                    dir.display()
                ),
            ));
        }
        None => match dataset_year {
            Some(y) if held.contains(&y) => y,
            _ => *held.last().expect("a year held"),
        },
    };
    if q.trade_year.is_none() && dataset_year != Some(year) {
        r.notes.push(format!(
            "HS6 coverage: trade of {year}, the latest year the store holds ({} is of {})",
            q.data,
            dataset_year.map_or("no stated year".to_string(), |y| y.to_string())
        ));
    }
    progress.stage("HS6 coverage");
    let t = trade::load(
        ws,
        &trade::Source::default(),
        Window::Year(year),
        true,
        progress,
    )?;
    let rows = t
        .rows
        .clone()
        .ok_or_else(|| Error::new(ErrorKind::Compute, "HS6 coverage needs the rows in memory"))?;
    let reg = ws.registry(q.blocs.as_ref())?;
    let sides = (|| -> Result<(Vec<usize>, Vec<usize>, Vec<usize>)> {
        let us = t.members(&reg, s.date, &q.us, "us")?;
        let them = t.members(&reg, s.date, &q.against, "against")?;
        if let Some(&c) = us.iter().find(|c| them.contains(c)) {
            return Err(Error::usage(
                "against",
                format!(
                    "{} is in us ('{}') and them ('{}') in {}",
                    rows.countries[c], q.us, q.against, t.source
                ),
            ));
        }
        let kept: Vec<usize> = t
            .members(&reg, s.date, &q.candidates, "candidates")?
            .into_iter()
            .filter(|c| !us.contains(c) && !them.contains(c))
            .collect();
        if kept.is_empty() {
            return Err(Error::usage(
                "candidates",
                format!(
                    "candidates '{}' have no country outside us and them in {}",
                    q.candidates, t.source
                ),
            ));
        }
        Ok((us, them, kept))
    })();
    let (us, them, kept) = match sides {
        Ok(x) => x,
        Err(e) => return hs6_skip(r, required, e),
    };
    let cover = sovra_trade::screen::cover(&rows, &us, &them, &kept, year);
    // Only the products we import from them: the others add nothing to any cover.
    let bought: Vec<usize> = (0..cover.imports.len())
        .filter(|&p| cover.imports[p] > 0.0)
        .collect();
    let pick = |v: &[f64]| bought.iter().map(|&p| v[p]).collect::<Vec<f64>>();
    let flows: Vec<CandidateFlows> = cover
        .candidates
        .iter()
        .map(|c| CandidateFlows {
            region: rows.countries[c.exporter].clone(),
            index: c.exporter,
            exports: pick(&c.world_exports),
            already: pick(&c.to_importer),
        })
        .collect();
    let cov = Coverage::from_flows(
        bought.iter().map(|&p| rows.products[p].clone()).collect(),
        pick(&cover.imports),
        flows,
    )?;
    let items = Items {
        prefix: "hs6_",
        key: "product",
        label: "product",
        names: bought
            .iter()
            .map(|&p| {
                let [_, name] = t.product(p);
                name
            })
            .collect(),
        units: t.unit().to_string(),
    };
    let units = items.units.clone();
    figure(
        r,
        "hs6_year",
        "HS6 coverage: year",
        year,
        Kind::Year,
        None,
        0,
    );
    figure(
        r,
        "hs6_imports_from_them",
        "HS6: our imports from them",
        num(cov.total_imports),
        Kind::Amount,
        Some(&units),
        0,
    );
    figure(
        r,
        "hs6_products",
        "HS6: products we import from them",
        bought.len(),
        Kind::Count,
        None,
        0,
    );
    let sets = alliances::best_sets(&cov, q.size, top)?;
    if let Some(best) = sets.sets.first() {
        figure(
            r,
            "hs6_best_set",
            "HS6: best partner set",
            Value::List(
                best.members
                    .iter()
                    .map(|&p| cov.candidates[p].region.as_str().into())
                    .collect(),
            ),
            Kind::Code,
            None,
            0,
        );
        figure(
            r,
            "hs6_best_set_coverage",
            "HS6: share of our imports from them it could cover",
            num(best.coverage),
            Kind::Share,
            None,
            2,
        );
        line(
            r,
            "HS6 coverage",
            format!(
                "{year}, {} products, {} {units} from them; {} covers {:.2}% ({})",
                bought.len(),
                format_num(cov.total_imports, 0),
                set_names(&cov, &best.members),
                best.coverage * 100.0,
                match sets.method {
                    SetMethod::Exact => "exact",
                    SetMethod::Greedy => "greedy",
                }
            ),
        );
    } else {
        line(
            r,
            "HS6 coverage",
            format!("{year}: we import no product from them in the trade store"),
        );
    }
    candidates_table(r, &cov, &items)?;
    sets_table(r, &cov, &sets, &items)?;
    sectors_tables(r, &cov, top, &items)?;
    r.notes.push(format!(
        "HS6 coverage: {} ({}); a candidate's exports are its world exports of the product \
         (to every country but itself), what we buy from it its sales to us, as in `sovra trade suppliers`",
        t.source,
        t.codes(&kept).join(" ")
    ));
    t.notes(r);
    Ok(())
}
