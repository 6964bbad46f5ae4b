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
//! [[leg]]                      # a product-level leg: HS codes instead of sectors
//! sanctioning = "USA"
//! target = "CHN"
//! instrument = "export-ban"
//! products = ["8541", "8542", "848620"]   # HS6, HS4, chapters, sections (XVI); or products_file = "controls.csv"
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
use super::products::{BlockShare, Products};
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
    /// Products covered instead of sectors: HS6, HS4 or HS2 codes, or HS sections (`XVI`). The share of
    /// each seller × sector → buyer block that they make up is severed ([`super::products`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    /// A file listing products (one code per line, or the first column of a CSV), read by the front end
    /// into `products`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products_file: Option<String>,
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
                let sec = match (&l.sectors, &l.products) {
                    (Some(s), _) => format!(" [{}]", s.join(",")),
                    (None, Some(p)) => format!(" [HS {}]", p.join(",")),
                    (None, None) => String::new(),
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
    /// The blocks product-level legs sever in part, with their shares (empty without product legs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockShare>,
}

/// Maps a scenario onto a table: resolves blocs, checks each leg (non-empty sides, no region on both,
/// known sectors) and expands instruments into seller → buyer relations. A scenario with product legs
/// needs [`resolve_with`].
pub fn resolve(
    spec: &ScenarioSpec,
    reg: &Registry,
    labels: &Labels,
    dataset: &str,
) -> Result<Resolved> {
    resolve_with(spec, reg, labels, dataset, None)
}

/// [`resolve`], with the bridge (and trade) that product-level legs are resolved with.
pub fn resolve_with(
    spec: &ScenarioSpec,
    reg: &Registry,
    labels: &Labels,
    dataset: &str,
    products: Option<Products<'_>>,
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
    let mut blocks: Vec<BlockShare> = Vec::new();
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
        if l.products_file.is_some() {
            return Err(Error::Request(format!(
                "leg {}: products_file names a file, which this front end does not read; list the codes in \
                 'products'",
                k + 1
            ))
            .into());
        }
        let named: Option<Vec<String>> = match &l.products {
            None => None,
            Some(_) if sectors.is_some() => {
                return Err(Error::Request(format!(
                    "leg {}: give sectors or products, not both (products already say which sectors)",
                    k + 1
                ))
                .into());
            }
            Some(codes) => {
                let field = format!("leg {}: products", k + 1);
                Some(sovra_core::bridge::Bridge::shipped().expand(codes, &field)?)
            }
        };
        let product_sectors = match (&named, &products) {
            (Some(_), None) => {
                return Err(Error::Request(format!(
                    "leg {}: product-level legs need the product bridge, which this front end does not load",
                    k + 1
                ))
                .into());
            }
            (Some(codes), Some(pr)) => Some(pr.map.sectors(codes)),
            _ => None,
        };
        let mut push = |seller: usize, buyer: usize, instrument: Instrument| {
            let leg = match (&named, &product_sectors, &products) {
                (Some(codes), Some(secs), Some(pr)) => {
                    let (mut kept, mut shares) = (Vec::new(), Vec::new());
                    for &s in secs {
                        let (share, basis) = pr.share(
                            s,
                            codes,
                            &labels.regions[seller].code,
                            &labels.regions[buyer].code,
                        );
                        if share > 0.0 {
                            kept.push(s);
                            shares.push(share);
                            let b = BlockShare {
                                seller,
                                buyer,
                                sector: s,
                                share,
                                basis,
                            };
                            if !blocks.contains(&b) {
                                blocks.push(b);
                            }
                        }
                    }
                    if kept.is_empty() {
                        return;
                    }
                    Leg {
                        seller,
                        buyer,
                        sectors: Some(kept),
                        instrument,
                        shares: Some(shares),
                    }
                }
                _ => Leg {
                    seller,
                    buyer,
                    sectors: sectors.clone(),
                    instrument,
                    shares: None,
                },
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
    if legs.is_empty() {
        return Err(Error::Request(
            "the scenario's products make up none of the trade between its sides: nothing is severed".into(),
        )
        .into());
    }
    Ok(Resolved {
        legs,
        sanctioning,
        target,
        notes,
        as_of: as_of.to_string(),
        blocks,
    })
}
