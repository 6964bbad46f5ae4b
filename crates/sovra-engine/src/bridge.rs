//! `bridge show`: where HS product codes land on the OECD ICIO sectors, and with what weight — the product
//! bridge product-level shock legs and product-level dependency use ([`sovra_core::bridge`]).

use serde::{Deserialize, Serialize};
use sovra_core::bridge::Bridge;
use sovra_core::read::oecd_names::SECTORS;
use sovra_report::{Column, Kind, Report, TableBuilder};

use crate::compose::{self, code, param, ratio, text};
use crate::error::Result;

/// `bridge show`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeShowRequest {
    /// HS codes: HS6, HS4 (every HS6 code under it), HS2 chapters or HS sections (`XVI`).
    pub codes: Vec<String>,
}

/// Runs `bridge show`: one row per HS6 code and sector it lands in, with the weight and the ISIC classes.
pub fn show(q: &BridgeShowRequest) -> Result<Report> {
    let b = Bridge::shipped();
    let codes = b
        .expand(&q.codes, "codes")
        .map_err(|e| crate::error::Error::from(e).at("codes"))?;
    let mut r = compose::report(
        "bridge_show",
        format!(
            "product bridge: HS {} → ICIO sectors ({} HS6 code{})",
            q.codes.join(", "),
            codes.len(),
            if codes.len() == 1 { "" } else { "s" }
        ),
        None,
    );
    param(&mut r, "codes", "codes", q.codes.join(","));
    let mut tb = TableBuilder::new(
        "landing",
        "where each HS6 code lands",
        vec![
            code("hs6", "HS6"),
            code("sector", "sector"),
            text("sector_name", "sector name"),
            ratio("weight", "weight", 4).doc("docs/shock.md#product-legs"),
            text("isic4", "ISIC Rev.4 classes"),
            text("isic4_names", "class names"),
            text("dropped", "dropped classes"),
            Column::int("classes", "classes", Kind::Count).hidden(),
        ],
    );
    for hs in &codes {
        let kept = b.split_classes(hs);
        let all = b.classes(hs).unwrap_or_default();
        let dropped: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|c| !kept.contains(c))
            .collect();
        let by = b
            .split(hs)
            .map_err(|e| crate::error::Error::from(e).at("codes"))?;
        for (s, weight, cls) in by {
            let name = SECTORS.iter().find(|(c, _)| *c == s).map_or("", |(_, n)| n);
            tb.push_row(vec![
                hs.as_str().into(),
                s.into(),
                name.into(),
                weight.into(),
                cls.join(" ").into(),
                cls.iter()
                    .map(|c| b.class_name(c).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("; ")
                    .into(),
                dropped.join(" ").into(),
                all.len().into(),
            ])?;
        }
    }
    r.tables.push(tb.finish());
    r.notes.push(
        "HS 6-digit → ISIC Rev.4 from the WITS/UNSD correspondence (R package concordance, MIT); a code with \
         several classes is split in equal parts per class, repair, installation and services (ISIC 33, 41–99) \
         dropped when a goods-making class remains; product-level shock legs weight the codes of a sector by the trade of each \
         pair (docs/shock.md, \"Product legs\")"
            .into(),
    );
    Ok(r)
}
