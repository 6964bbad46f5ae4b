//! What a scenario says: who stops trading with whom, with which instrument, on which sectors, under which
//! model parameters — as a TOML file or the equivalent command-line flags — and how it maps onto a table.
//!
//! ```toml
//! name = "G7 embargo on Russia and Belarus"
//! model = "rerouting"          # or "extraction"
//! as_of = "2025-06-30"         # bloc membership date (optional)
//!
//! [[leg]]
//! sanctioning = "G7"           # a country, bloc or bloc expression
//! target = "RUS+BLR"
//! instrument = "embargo"       # export-ban | import-ban | embargo
//! sectors = ["C26", "C27"]     # selling sectors covered (optional: all)
//!
//! [params]                     # optional; defaults are the peer model's baseline
//! tau = 0.30
//! delta = 0.10
//! rho = -1.0
//! rho_out = -1.0
//! ```
//!
//! An export ban severs the sanctioning side's sales to the target; an import ban the target's sales to the
//! sanctioning side; an embargo both.

use serde::{Deserialize, Serialize};
use sovra_core::blocs::{self, Date, Registry};
use sovra_core::{Error, Labels};

use super::Params;
use super::cut::Leg;
use crate::Result;

/// The trade instrument of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Instrument {
    /// The sanctioning side stops selling to the target.
    ExportBan,
    /// The sanctioning side stops buying from the target.
    ImportBan,
    /// Both.
    Embargo,
}

impl Instrument {
    /// All instruments with their names.
    pub const ALL: [(&'static str, Instrument); 3] = [
        ("export-ban", Instrument::ExportBan),
        ("import-ban", Instrument::ImportBan),
        ("embargo", Instrument::Embargo),
    ];

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Instrument> {
        Instrument::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, i)| *i)
            .ok_or_else(|| {
                Error::Unknown {
                    kind: "instrument",
                    name: s.to_string(),
                    suggestion: blocs::nearest(s, Instrument::ALL.iter().map(|(n, _)| *n)),
                    valid: "export-ban, import-ban, embargo".into(),
                }
                .into()
            })
    }

    /// The name.
    pub fn name(self) -> &'static str {
        Instrument::ALL
            .iter()
            .find(|(_, i)| *i == self)
            .map(|(n, _)| *n)
            .unwrap_or("embargo")
    }
}

/// The model a scenario runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Hypothetical extraction, no substitution: the cuts of export bans on the supply side (Ghosh), those of
    /// import bans on the demand side (Leontief); each node's output the smaller of the two.
    Extraction,
    /// Hypothetical extraction with every cut on the demand side (final use fixed).
    ExtractionDemand,
    /// Hypothetical extraction with every cut on the supply side (primary inputs fixed).
    ExtractionSupply,
    /// Hypothetical extraction with every cut on both sides; each node's output the smaller of the two.
    ExtractionBoth,
    /// RAS rerouting of the severed flows plus the CES capacity-rationing equilibrium (the peer model).
    #[default]
    Rerouting,
}

impl Model {
    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Model::Extraction => "extraction",
            Model::ExtractionDemand => "extraction-demand",
            Model::ExtractionSupply => "extraction-supply",
            Model::ExtractionBoth => "extraction-both",
            Model::Rerouting => "rerouting",
        }
    }
}

/// One leg of a scenario, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegSpec {
    /// The sanctioning side: a country, bloc or bloc expression.
    pub sanctioning: String,
    /// The target side.
    pub target: String,
    /// The instrument.
    pub instrument: Instrument,
    /// Selling sectors covered (codes); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sectors: Option<Vec<String>>,
}

/// A scenario, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// A name for the outputs.
    #[serde(default)]
    pub name: String,
    /// The model.
    #[serde(default)]
    pub model: Model,
    /// Bloc membership date (`YYYY-MM-DD`); today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The legs.
    #[serde(rename = "leg")]
    pub legs: Vec<LegSpec>,
    /// Model parameters.
    #[serde(default)]
    pub params: Params,
}

impl ScenarioSpec {
    /// Reads a scenario from TOML text (`file` names it in errors).
    pub fn from_toml(text: &str, file: &str) -> Result<ScenarioSpec> {
        let spec: ScenarioSpec = toml::from_str(text).map_err(|e| Error::Format {
            file: file.to_string(),
            detail: e.to_string().trim().to_string(),
        })?;
        spec.params.validate()?;
        Ok(spec)
    }

    /// Writes the scenario as TOML (reads back to an equal scenario).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// A short description, e.g. `embargo USA × CHN`.
    pub fn describe(&self) -> String {
        self.legs
            .iter()
            .map(|l| {
                let arrow = if l.instrument == Instrument::Embargo {
                    "×"
                } else {
                    "→"
                };
                let sec = match &l.sectors {
                    Some(s) => format!(" [{}]", s.join(",")),
                    None => String::new(),
                };
                format!(
                    "{} {} {} {}{sec}",
                    l.instrument.name(),
                    l.sanctioning,
                    arrow,
                    l.target
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A scenario mapped onto a table.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    /// The severed relations (seller region → buyer region, optional sectors), unique.
    pub legs: Vec<Leg>,
    /// Region codes of the sanctioning sides (all legs).
    pub sanctioning: Vec<String>,
    /// Region codes of the target sides.
    pub target: Vec<String>,
    /// Bloc members not separate regions of the table, one line per bloc.
    pub notes: Vec<String>,
    /// Bloc membership date used.
    pub as_of: String,
}

/// Maps a scenario onto a table: resolves blocs, checks each leg (non-empty sides, no region on both,
/// known sectors) and expands instruments into seller → buyer relations.
pub fn resolve(
    spec: &ScenarioSpec,
    reg: &Registry,
    labels: &Labels,
    dataset: &str,
) -> Result<Resolved> {
    if spec.legs.is_empty() {
        return Err(Error::Request(
            "the scenario has no leg: say who stops trading with whom".into(),
        )
        .into());
    }
    let as_of = match &spec.as_of {
        Some(d) => Date::parse(d)
            .ok_or_else(|| Error::Request(format!("as_of '{d}' is not a date (YYYY-MM-DD)")))?,
        None => Date::today(),
    };
    let mut legs: Vec<Leg> = Vec::new();
    let mut notes = Vec::new();
    let (mut sanctioning, mut target) = (Vec::new(), Vec::new());
    for (k, l) in spec.legs.iter().enumerate() {
        let a = blocs::resolve(reg, &l.sanctioning, as_of, labels, dataset)?;
        let b = blocs::resolve(reg, &l.target, as_of, labels, dataset)?;
        for r in [&a, &b] {
            if let Some(n) = r.absent_note(dataset) {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        let both: Vec<&str> = a
            .regions
            .iter()
            .filter(|r| b.regions.contains(r))
            .map(|&r| labels.regions[r].code.as_str())
            .collect();
        if !both.is_empty() {
            return Err(Error::Request(format!(
                "leg {} ({} vs {}): {} on both sides; a region cannot sanction itself",
                k + 1,
                l.sanctioning,
                l.target,
                both.join(", ")
            ))
            .into());
        }
        let sectors = match &l.sectors {
            None => None,
            Some(codes) if codes.is_empty() => {
                return Err(Error::Request(format!(
                    "leg {}: 'sectors' is empty; leave it out to cover all sectors",
                    k + 1
                ))
                .into());
            }
            Some(codes) => {
                let mut v = codes
                    .iter()
                    .map(|c| labels.sector_index(c, dataset))
                    .collect::<sovra_core::Result<Vec<usize>>>()?;
                v.sort_unstable();
                v.dedup();
                Some(v)
            }
        };
        let mut push = |seller: usize, buyer: usize, instrument: Instrument| {
            let leg = Leg {
                seller,
                buyer,
                sectors: sectors.clone(),
                instrument,
            };
            if !legs.contains(&leg) {
                legs.push(leg);
            }
        };
        for &x in &a.regions {
            for &y in &b.regions {
                if matches!(l.instrument, Instrument::ExportBan | Instrument::Embargo) {
                    push(x, y, Instrument::ExportBan);
                }
                if matches!(l.instrument, Instrument::ImportBan | Instrument::Embargo) {
                    push(y, x, Instrument::ImportBan);
                }
            }
        }
        sanctioning.extend(a.used.iter().cloned());
        target.extend(b.used.iter().cloned());
    }
    for v in [&mut sanctioning, &mut target] {
        v.sort();
        v.dedup();
    }
    Ok(Resolved {
        legs,
        sanctioning,
        target,
        notes,
        as_of: as_of.to_string(),
    })
}
