//! What product-level legs need before they resolve: their product list files read, the product bridge on
//! the table, and the trade of the table's year between the countries they name, from the trade store
//! (`$SOVRA_HOME/trade`), with a note saying what the shares were weighted by.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sovra_analysis::shock::ScenarioSpec;
use sovra_analysis::shock::products::{Basis, ProductMap, Products, TradeWeights};
use sovra_core::Mrio;
use sovra_core::blocs::{self, Date, Registry};
use sovra_core::bridge::{self, Bridge};

use super::ShockRequest;
use crate::compose::{code, share as share_col, text};
use crate::error::{Error, ErrorKind, Result};
use crate::workspace::Workspace;

/// Memory the trade aggregation may hold before it spills (bytes).
const MEMORY_LIMIT: usize = 1 << 30;

/// The bridge and trade product legs resolve with, owned.
pub(crate) struct ProductContext {
    map: ProductMap,
    trade: Option<TradeWeights>,
    /// What the shares are weighted by, for the report.
    pub(crate) note: String,
}

impl ProductContext {
    pub(crate) fn products(&self) -> Products<'_> {
        Products {
            map: &self.map,
            trade: self.trade.as_ref(),
        }
    }
}

/// Reads every leg's `products_file` into its `products` (a relative path from the scenario file's
/// directory, when the scenario came from a file; else from the working directory).
pub(crate) fn read_files(specs: &mut [ScenarioSpec], q: &ShockRequest) -> Result<()> {
    let base: Option<PathBuf> = q.scenario.as_ref().or(q.batch.as_ref()).map(|t| {
        Path::new(&t.origin)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    });
    for spec in specs {
        for leg in &mut spec.legs {
            let Some(f) = leg.products_file.take() else {
                continue;
            };
            let given = PathBuf::from(&f);
            let path = match &base {
                Some(b) if given.is_relative() && !given.exists() => b.join(&given),
                _ => given,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("products_file {}: {e}", path.display()),
                )
                .at("products_file")
            })?;
            let codes = bridge::read_list(&text, &path.display().to_string())
                .map_err(|e| Error::from(e).at("products_file"))?;
            leg.products.get_or_insert_with(Vec::new).extend(codes);
        }
    }
    Ok(())
}

/// Whether some leg names products.
pub(crate) fn any(specs: &[ScenarioSpec]) -> bool {
    specs
        .iter()
        .flat_map(|s| &s.legs)
        .any(|l| l.products.is_some())
}

/// The bridge on a table (an ICIO one: a usage error naming `products` otherwise).
fn product_map(t: &Mrio, data: &str) -> Result<ProductMap> {
    ProductMap::new(Bridge::shipped(), &t.labels, data).map_err(|e| {
        let mut err = Error::from(e);
        err.kind = ErrorKind::Usage;
        err.at("products")
    })
}

/// The bridge on the table and the trade of its year between the countries of the product legs.
pub(crate) fn prepare(
    ws: &Workspace,
    specs: &[ScenarioSpec],
    registry: &Registry,
    t: &Mrio,
    data: &str,
) -> Result<ProductContext> {
    let map = product_map(t, data)?;
    // The countries of the product legs (sides that do not resolve fail later, with their own message).
    let mut countries = BTreeSet::new();
    for spec in specs {
        let date = spec
            .as_of
            .as_deref()
            .and_then(Date::parse)
            .unwrap_or_else(Date::today);
        for leg in spec.legs.iter().filter(|l| l.products.is_some()) {
            for side in [&leg.sanctioning, &leg.target] {
                if let Ok(r) = blocs::resolve(registry, side, date, &t.labels, data) {
                    countries.extend(r.regions.iter().map(|&i| t.labels.regions[i].code.clone()));
                }
            }
        }
    }
    let countries: Vec<String> = countries.into_iter().collect();
    let (trade, note) = trade_weights(ws, t, &countries, "the trade of each pair")?;
    Ok(ProductContext { map, trade, note })
}

/// The trade of the table's year among `countries` (pairs, and each one's exports to everyone) from the
/// workspace's trade store, and a note on what the shares are weighted by (`what`).
fn trade_weights(
    ws: &Workspace,
    t: &Mrio,
    countries: &[String],
    what: &str,
) -> Result<(Option<TradeWeights>, String)> {
    let dir = ws.trade_store();
    let name = ws.trade_store_name(&dir);
    let default = "product shares from the bridge's default weights (every HS6 code of a sector counts the same)";
    let Some(year) = t.provenance.year else {
        return Ok((
            None,
            format!("{default}: the dataset has no year to read trade for"),
        ));
    };
    let held = sovra_lake::store::Store::open(&dir)
        .ok()
        .filter(|s| s.years().contains(&year));
    let Some(store) = held else {
        return Ok((
            None,
            format!(
                "{default}: {name} holds no trade for {year}; import BACI {year} (`sovra trade import`) to \
                 weight them by {what}"
            ),
        ));
    };
    let pt = sovra_lake::query::product_trade(&store, year, countries, MEMORY_LIMIT)?;
    let mut w = TradeWeights {
        year,
        ..TradeWeights::default()
    };
    for (e, i, p, v) in pt.pairs {
        *w.pairs.entry((e, i)).or_default().entry(p).or_insert(0.0) += v;
    }
    for (e, p, v) in pt.exporters {
        *w.exporters.entry(e).or_default().entry(p).or_insert(0.0) += v;
    }
    Ok((
        Some(w),
        format!("product shares weighted by {what} in {year} ({name})"),
    ))
}

/// The share of some products in the output of each node of `regions`, for product-level dependency.
pub struct ProductShares {
    /// The HS6 codes named.
    pub codes: Vec<String>,
    /// Per node: the products' share of its output (0 outside `regions` and where none of them lands).
    pub pi: Vec<f64>,
    /// `(node, basis)` of every node with a share.
    pub nodes: Vec<(usize, Basis)>,
    /// What the shares are weighted by.
    pub note: String,
}

impl ProductShares {
    /// The shares as a table: region, sector, share, basis.
    pub(crate) fn table(&self, t: &Mrio) -> Result<sovra_report::Table> {
        let mut tb = sovra_report::TableBuilder::new(
            "product_shares",
            "the products' share of their sectors' output",
            vec![
                code("region", "region"),
                code("sector", "sector"),
                text("sector_name", "sector name"),
                share_col("product_share", "products' share of output")
                    .doc("docs/indicators.md#products"),
                text("basis", "weighted by"),
            ],
        );
        for &(i, basis) in &self.nodes {
            let (r, s) = t.labels.node(i);
            tb.push_row(vec![
                t.labels.regions[r].code.as_str().into(),
                t.labels.sectors[s].code.as_str().into(),
                t.labels.sectors[s].name.as_str().into(),
                self.pi[i].into(),
                match basis {
                    Basis::Exporter => "exports",
                    b => b.name(),
                }
                .into(),
            ])?;
        }
        Ok(tb.finish())
    }
}

/// The share `π` of the products `items` names in each sector's output of `regions`: their share of the
/// region's exports of the sector to everyone in the trade store for the table's year, else the bridge's
/// default weights.
pub fn product_shares(
    ws: &Workspace,
    t: &Mrio,
    data: &str,
    regions: &[usize],
    items: &[String],
) -> Result<ProductShares> {
    let codes = Bridge::shipped()
        .expand(items, "products")
        .map_err(|e| Error::from(e).at("products"))?;
    let map = product_map(t, data)?;
    let countries: Vec<String> = regions
        .iter()
        .map(|&r| t.labels.regions[r].code.clone())
        .collect();
    let (trade, note) = trade_weights(ws, t, &countries, "their exports of each product")?;
    let pr = Products {
        map: &map,
        trade: trade.as_ref(),
    };
    let ns = t.labels.sectors.len();
    let mut pi = vec![0.0; t.n()];
    let mut nodes = Vec::new();
    for &r in regions {
        let code = &t.labels.regions[r].code;
        for s in map.sectors(&codes) {
            // No pair: the exports to everyone, else the default weights.
            let (v, basis) = pr.share(s, &codes, code, "");
            if v > 0.0 {
                pi[r * ns + s] = v;
                nodes.push((r * ns + s, basis));
            }
        }
    }
    nodes.sort_unstable_by_key(|x| x.0);
    Ok(ProductShares {
        codes,
        pi,
        nodes,
        note,
    })
}

/// The note on the bases of a scenario's blocks: how many were weighted by the pair's trade, by the seller's
/// exports to everyone, or by default weights.
pub(crate) fn basis_note(blocks: &[sovra_analysis::shock::products::BlockShare]) -> Option<String> {
    if blocks.is_empty() {
        return None;
    }
    let count = |b: Basis| blocks.iter().filter(|x| x.basis == b).count();
    let parts: Vec<String> = [
        (Basis::Pair, "weighted by the pair's trade"),
        (
            Basis::Exporter,
            "by the seller's exports to everyone (the pair has no trade in the sector)",
        ),
        (Basis::Default, "by the bridge's default weights (no trade)"),
    ]
    .into_iter()
    .filter(|(b, _)| count(*b) > 0)
    .map(|(b, what)| format!("{} {what}", count(b)))
    .collect();
    Some(format!(
        "{} seller × sector → buyer blocks severed in part by the product legs (table blocks): {}",
        blocks.len(),
        parts.join(", ")
    ))
}
