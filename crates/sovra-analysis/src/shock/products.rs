//! How much of a block of trade a product-level leg severs: the share of the named HS products in the sales
//! of a seller region's sector to a buyer region.
//!
//! With `w(p, s)` the bridge weight of HS6 code `p` in sector `s` ([`sovra_core::bridge`]) and `T(p)` the
//! trade in `p` behind the block, the severed share of the block is
//!
//! ```text
//!   σ = Σ_{p ∈ P} w(p, s) T(p) / Σ_p w(p, s) T(p)        (P: the leg's products)
//! ```
//!
//! computed as `named / (named + other)` with `other` the same sum over the codes not named, so a leg whose
//! products cover every code of the sector gives exactly 1 (the sector leg), and one whose products the
//! block does not trade exactly 0. `T` is, in order of preference: the seller's
//! exports to the buyer in the trade store for the table's year ([`Basis::Pair`]); the seller's exports to
//! everyone ([`Basis::Exporter`]) when the pair has none of the sector's products; otherwise every code
//! counts the same, `T = 1` ([`Basis::Default`], the bridge's default weights).

use std::collections::HashMap;

use serde::Serialize;
use sovra_core::Labels;
use sovra_core::bridge::Bridge;

use crate::Result;

/// The bridge carried onto a table: per sector, the HS6 codes with a weight in it.
#[derive(Debug, Clone)]
pub struct ProductMap {
    /// Per sector: `(code, weight)`, sorted by code.
    by_sector: Vec<Vec<(String, f64)>>,
    /// Per code: the sectors it lands in.
    sectors_of: HashMap<String, Vec<usize>>,
}

impl ProductMap {
    /// The shipped bridge on a table whose sectors are the OECD ICIO ones (an error otherwise).
    pub fn new(bridge: &Bridge, labels: &Labels, dataset: &str) -> Result<ProductMap> {
        let mut by_sector = vec![Vec::new(); labels.sectors.len()];
        let mut sectors_of = HashMap::new();
        for code in bridge.codes() {
            let land = bridge.landing(code, labels, dataset)?;
            if land.is_empty() {
                continue;
            }
            sectors_of.insert(code.to_string(), land.iter().map(|l| l.sector).collect());
            for l in land {
                by_sector[l.sector].push((code.to_string(), l.weight));
            }
        }
        Ok(ProductMap {
            by_sector,
            sectors_of,
        })
    }

    /// The sectors some of `codes` land in, sorted.
    pub fn sectors(&self, codes: &[String]) -> Vec<usize> {
        let mut v: Vec<usize> = codes
            .iter()
            .filter_map(|c| self.sectors_of.get(c))
            .flatten()
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// `(code, weight)` of the codes in sector `s`.
    pub fn codes_in(&self, s: usize) -> &[(String, f64)] {
        &self.by_sector[s]
    }
}

/// Trade by HS6 code behind the blocks: a seller's exports to a buyer, and to everyone.
#[derive(Debug, Clone, Default)]
pub struct TradeWeights {
    /// The year read.
    pub year: i32,
    /// `(exporter, importer)` → code → value.
    pub pairs: HashMap<(String, String), HashMap<String, f64>>,
    /// exporter → code → value (to every importer).
    pub exporters: HashMap<String, HashMap<String, f64>>,
}

/// What a block's share was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The seller's exports to the buyer.
    Pair,
    /// The seller's exports to everyone.
    Exporter,
    /// Every code the same (no trade behind the block).
    Default,
}

impl Basis {
    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Pair => "pair",
            Basis::Exporter => "exporter",
            Basis::Default => "default",
        }
    }
}

/// The bridge and the trade a scenario's product legs are resolved with.
#[derive(Debug, Clone, Copy)]
pub struct Products<'a> {
    /// The bridge on the table.
    pub map: &'a ProductMap,
    /// Trade for the table's year, when the trade store holds it.
    pub trade: Option<&'a TradeWeights>,
}

/// One severed block of a product-level leg.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockShare {
    /// Selling region index.
    pub seller: usize,
    /// Buying region index.
    pub buyer: usize,
    /// Selling sector index.
    pub sector: usize,
    /// The severed share σ.
    pub share: f64,
    /// What it was computed from.
    pub basis: Basis,
}

/// `σ` of sector `s` for the sorted product list `named`, with `t` the trade by code (`None`: every code 1),
/// as `named / (named + other)`: exactly 0 when none of the named products is traded, exactly 1 when only
/// they are. `None` when no code of the sector has trade.
fn share_with(
    map: &ProductMap,
    s: usize,
    named: &[String],
    t: Option<&HashMap<String, f64>>,
) -> Option<f64> {
    let (mut inside, mut other) = (0.0, 0.0);
    for (code, w) in map.codes_in(s) {
        let v = match t {
            Some(t) => t.get(code).copied().unwrap_or(0.0),
            None => 1.0,
        };
        if v <= 0.0 {
            continue;
        }
        if named.binary_search(code).is_ok() {
            inside += w * v;
        } else {
            other += w * v;
        }
    }
    (inside + other > 0.0).then(|| inside / (inside + other))
}

impl Products<'_> {
    /// The severed share of sector `s`'s sales from region code `seller` to `buyer`, and its basis.
    pub fn share(&self, s: usize, named: &[String], seller: &str, buyer: &str) -> (f64, Basis) {
        if let Some(t) = self.trade {
            let pair = t.pairs.get(&(seller.to_string(), buyer.to_string()));
            if let Some(v) = pair.and_then(|p| share_with(self.map, s, named, Some(p))) {
                return (v, Basis::Pair);
            }
            if let Some(v) = t
                .exporters
                .get(seller)
                .and_then(|p| share_with(self.map, s, named, Some(p)))
            {
                return (v, Basis::Exporter);
            }
        }
        (
            share_with(self.map, s, named, None).unwrap_or(0.0),
            Basis::Default,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_core::labels::Code;

    fn labels() -> Labels {
        Labels {
            regions: vec![Code::bare("AAA"), Code::bare("BBB")],
            sectors: ["C26", "C27", "C28", "C29"]
                .iter()
                .map(|c| Code::bare(*c))
                .collect(),
            final_demand: Vec::new(),
            stressors: Vec::new(),
        }
    }

    fn map() -> ProductMap {
        // Only the codes landing in these four sectors matter; others fail `landing` — use a filtered map.
        let l = labels();
        let b = Bridge::shipped();
        let mut by_sector = vec![Vec::new(); 4];
        let mut sectors_of = HashMap::new();
        for code in b.codes() {
            if let Ok(land) = b.landing(code, &l, "t")
                && !land.is_empty()
            {
                sectors_of.insert(code.to_string(), land.iter().map(|x| x.sector).collect());
                for x in land {
                    by_sector[x.sector].push((code.to_string(), x.weight));
                }
            }
        }
        ProductMap {
            by_sector,
            sectors_of,
        }
    }

    #[test]
    fn the_share_is_the_named_products_weighted_trade_over_the_sectors() {
        let m = map();
        let named = vec!["854231".to_string()];
        // Trade: the chip 100, a car (C29 only) 50, a transformer 850421 (C27) 300.
        let mut t = TradeWeights::default();
        let mut p = HashMap::new();
        p.insert("854231".to_string(), 100.0);
        p.insert("870323".to_string(), 50.0);
        p.insert("850421".to_string(), 300.0);
        t.pairs.insert(("AAA".into(), "BBB".into()), p);
        let pr = Products {
            map: &m,
            trade: Some(&t),
        };
        // C26 (index 0): the chip weighs 0.5 in C26; what else of C26 has trade?
        let w = |code: &str, s: usize| {
            m.codes_in(s)
                .iter()
                .find(|(c, _)| c == code)
                .map_or(0.0, |x| x.1)
        };
        let (c26, basis) = pr.share(0, &named, "AAA", "BBB");
        assert_eq!(basis, Basis::Pair);
        let tot = w("854231", 0) * 100.0 + w("850421", 0) * 300.0;
        assert!((c26 - w("854231", 0) * 100.0 / tot).abs() < 1e-15, "{c26}");
        let (c27, _) = pr.share(1, &named, "AAA", "BBB");
        let tot27 = w("854231", 1) * 100.0 + w("850421", 1) * 300.0;
        assert!((c27 - 0.5 * 100.0 / tot27).abs() < 1e-15, "{c27} {tot27}");
        // C29: the chip does not land there → nothing severed.
        assert_eq!(pr.share(3, &named, "AAA", "BBB").0, 0.0);
        // No pair, no exporter: default weights (each code 1).
        let (d, basis) = pr.share(0, &named, "BBB", "AAA");
        assert_eq!(basis, Basis::Default);
        let all: f64 = m.codes_in(0).iter().map(|x| x.1).sum();
        assert!((d - w("854231", 0) / all).abs() < 1e-15);
    }

    #[test]
    fn products_covering_a_sector_sever_all_of_it_exactly() {
        let m = map();
        let mut named: Vec<String> = m.codes_in(2).iter().map(|x| x.0.clone()).collect();
        named.sort();
        let pr = Products {
            map: &m,
            trade: None,
        };
        assert_eq!(pr.share(2, &named, "AAA", "BBB").0, 1.0);
    }
}
