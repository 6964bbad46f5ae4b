//! Which sectors of a table an HS product is made in — the product bridge behind product-level shock legs
//! (`products = ["8541", "8542"]`), product-level dependency and `sovra bridge show`.
//!
//! The bridge is the public HS 6-digit → ISIC Rev.4 correspondence shipped in `data/hs_isic4/` (licence and
//! provenance beside it), carried onto the sectors of the OECD ICIO tables (ISIC Rev.4 divisions and
//! groups: `C26`, `C24A` = ISIC 241 + 2431, `C301` = ISIC 301, …) by [`icio_sector`]. A code that the
//! correspondence gives several classes is split over them in equal parts per class, after dropping the
//! classes that do not make goods — repair and installation (ISIC 33) and services (divisions 41–99:
//! trade, publishing, repair of computers and household goods, …) — when a goods-making class (divisions
//! 01–32, 35–39) remains: a traded good is made by its exporter, not repaired, sold or published. The parts
//! of classes that land in the same sector add up; the weights of a code sum to 1.
//!
//! Product codes are read as HS6 (`854231`), HS4 (`8542`: every HS6 code under it), HS2 chapters (`85`) or
//! HS sections by roman numeral (`XVI`, `section XVI`); each must name at least one code of the bridge.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::{Error, Labels, Result};

const HS6_ISIC4: &str = include_str!("../data/hs_isic4/hs6_isic4.csv");
const ISIC4_CLASSES: &str = include_str!("../data/hs_isic4/isic4_classes.csv");

/// The 21 sections of the Harmonized System: roman numeral, first and last two-digit chapter, short name.
pub const HS_SECTIONS: [(&str, u8, u8, &str); 21] = [
    ("I", 1, 5, "Live animals; animal products"),
    ("II", 6, 14, "Vegetable products"),
    ("III", 15, 15, "Animal or vegetable fats and oils"),
    ("IV", 16, 24, "Prepared foodstuffs; beverages; tobacco"),
    ("V", 25, 27, "Mineral products"),
    (
        "VI",
        28,
        38,
        "Products of the chemical or allied industries",
    ),
    ("VII", 39, 40, "Plastics and rubber"),
    ("VIII", 41, 43, "Raw hides, skins and leather"),
    ("IX", 44, 46, "Wood and articles of wood"),
    ("X", 47, 49, "Pulp of wood, paper and paperboard"),
    ("XI", 50, 63, "Textiles and textile articles"),
    ("XII", 64, 67, "Footwear, headgear"),
    ("XIII", 68, 70, "Articles of stone, ceramic products, glass"),
    ("XIV", 71, 71, "Pearls, precious stones and metals"),
    ("XV", 72, 83, "Base metals"),
    ("XVI", 84, 85, "Machinery and electrical equipment"),
    ("XVII", 86, 89, "Vehicles, aircraft, vessels"),
    (
        "XVIII",
        90,
        92,
        "Optical, medical and precision instruments; clocks; musical instruments",
    ),
    ("XIX", 93, 93, "Arms and ammunition"),
    ("XX", 94, 96, "Miscellaneous manufactured articles"),
    ("XXI", 97, 97, "Works of art, antiques"),
];

/// The HS → ISIC Rev.4 correspondence.
#[derive(Debug)]
pub struct Bridge {
    /// HS6 code → its ISIC Rev.4 classes (empty: outside the bridge), sorted by code.
    codes: BTreeMap<String, Vec<String>>,
    /// ISIC class → name.
    names: HashMap<String, String>,
}

/// Where one HS6 code lands on a table: sector index, weight, and the ISIC classes behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Landing {
    /// Sector index of the table.
    pub sector: usize,
    /// The code's weight in the sector (the weights of a code sum to 1).
    pub weight: f64,
    /// The ISIC Rev.4 classes that land there.
    pub classes: Vec<String>,
}

/// The OECD ICIO sector of an ISIC Rev.4 class (4 digits), by the ICIO 2025 release's sector definitions.
pub fn icio_sector(class: &str) -> Option<&'static str> {
    let div: u32 = class.get(..2)?.parse().ok()?;
    let group: u32 = class.get(..3).and_then(|g| g.parse().ok()).unwrap_or(0);
    Some(match div {
        1 => "A01",
        2 => "A02",
        3 => "A03",
        5 => "B05",
        6 => "B06",
        7 => "B07",
        8 => "B08",
        9 => "B09",
        10..=12 => "C10T12",
        13..=15 => "C13T15",
        16 => "C16",
        17 | 18 => "C17_18",
        19 => "C19",
        20 => "C20",
        21 => "C21",
        22 => "C22",
        23 => "C23",
        // Basic iron and steel (241) and its casting (2431); other basic metals (242) and their casting.
        24 if group == 241 || class.starts_with("2431") => "C24A",
        24 => "C24B",
        25 => "C25",
        26 => "C26",
        27 => "C27",
        28 => "C28",
        29 => "C29",
        30 if group == 301 => "C301",
        30 => "C302T309",
        31..=33 => "C31T33",
        35 => "D",
        36..=39 => "E",
        41..=43 => "F",
        45..=47 => "G",
        49 => "H49",
        50 => "H50",
        51 => "H51",
        52 => "H52",
        53 => "H53",
        55 | 56 => "I",
        58..=60 => "J58T60",
        61 => "J61",
        62 | 63 => "J62_63",
        64..=66 => "K",
        68 => "L",
        69..=75 => "M",
        77..=82 => "N",
        84 => "O",
        85 => "P",
        86..=88 => "Q",
        90..=93 => "R",
        94..=96 => "S",
        97 | 98 => "T",
        _ => return None,
    })
}

/// Whether the class makes goods: agriculture, mining, manufacturing but repair and installation (ISIC
/// divisions 01–32), energy, water and waste (35–39).
fn makes_goods(class: &str) -> bool {
    class
        .get(..2)
        .and_then(|d| d.parse::<u32>().ok())
        .is_some_and(|d| d <= 32 || (35..=39).contains(&d))
}

impl Bridge {
    /// The shipped bridge (parsed once).
    pub fn shipped() -> &'static Bridge {
        static B: OnceLock<Bridge> = OnceLock::new();
        B.get_or_init(|| {
            let mut codes = BTreeMap::new();
            for line in HS6_ISIC4.lines().skip(1) {
                if let Some((hs, classes)) = line.split_once(',') {
                    codes.insert(
                        hs.to_string(),
                        classes.split_whitespace().map(str::to_string).collect(),
                    );
                }
            }
            let mut names = HashMap::new();
            let mut rd = csv::Reader::from_reader(ISIC4_CLASSES.as_bytes());
            for rec in rd.records().flatten() {
                if let (Some(c), Some(n)) = (rec.get(0), rec.get(1)) {
                    names.insert(c.to_string(), n.to_string());
                }
            }
            Bridge { codes, names }
        })
    }

    /// Every HS6 code the correspondence lists (some with no class: outside the bridge).
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.codes.keys().map(String::as_str)
    }

    /// The ISIC classes of an HS6 code (`None`: not an HS6 code of the correspondence).
    pub fn classes(&self, hs6: &str) -> Option<&[String]> {
        self.codes.get(hs6).map(Vec::as_slice)
    }

    /// The name of an ISIC class.
    pub fn class_name(&self, class: &str) -> Option<&str> {
        self.names.get(class).map(String::as_str)
    }

    /// The classes a code is split over (see the module documentation) — those that make no goods dropped
    /// when a goods-making one remains.
    pub fn split_classes(&self, hs6: &str) -> Vec<&str> {
        let all: Vec<&str> = self
            .classes(hs6)
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .collect();
        let made: Vec<&str> = all.iter().copied().filter(|c| makes_goods(c)).collect();
        if made.is_empty() { all } else { made }
    }

    /// Where an HS6 code lands on the OECD ICIO sectors: `(sector code, weight, classes)` in order of first
    /// appearance, weights summing to 1; empty for a code outside the bridge.
    pub fn split(&self, hs6: &str) -> Result<Vec<(&'static str, f64, Vec<&str>)>> {
        let classes = self.split_classes(hs6);
        let part = 1.0 / classes.len().max(1) as f64;
        let mut out: Vec<(&'static str, f64, Vec<&str>)> = Vec::new();
        for c in classes {
            let code = icio_sector(c).ok_or_else(|| {
                Error::Unsupported(format!("ISIC class {c} of HS {hs6} has no ICIO sector"))
            })?;
            match out.iter_mut().find(|x| x.0 == code) {
                Some(x) => {
                    x.1 += part;
                    x.2.push(c);
                }
                None => out.push((code, part, vec![c])),
            }
        }
        Ok(out)
    }

    /// [`Bridge::split`] on a table whose sectors are the OECD ICIO ones: sector indices (in table order);
    /// an error when a sector is not one of the table's.
    pub fn landing(&self, hs6: &str, labels: &Labels, dataset: &str) -> Result<Vec<Landing>> {
        let mut out = Vec::new();
        for (code, weight, classes) in self.split(hs6)? {
            let sector = labels
                .sectors
                .iter()
                .position(|s| s.code.eq_ignore_ascii_case(code))
                .ok_or_else(|| {
                    Error::Unsupported(format!(
                        "the product bridge maps HS codes onto the OECD ICIO sectors (ISIC Rev.4); {dataset} has no \
                         sector {code} (its sectors: {}), so product-level legs need an ICIO table such as icio2022",
                        labels
                            .sectors
                            .iter()
                            .take(6)
                            .map(|s| s.code.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                            + " …"
                    ))
                })?;
            out.push(Landing {
                sector,
                weight,
                classes: classes.into_iter().map(str::to_string).collect(),
            });
        }
        out.sort_by_key(|l| l.sector);
        Ok(out)
    }

    /// The HS6 codes a list of product codes names (HS6, HS4, HS2 chapters, sections), sorted and unique.
    /// `field` names the list in errors. Each code must name at least one code with a class; an unknown code
    /// gets the nearest valid ones.
    pub fn expand(&self, items: &[String], field: &str) -> Result<Vec<String>> {
        if items.is_empty() {
            return Err(Error::Request(format!(
                "{field}: the product list is empty; name HS codes (e.g. 8541, 854231) or sections (XVI)"
            )));
        }
        let mut out: Vec<String> = Vec::new();
        for raw in items {
            let item = raw.trim();
            let (lo, hi, what) = if let Some((_, a, b)) = section(item) {
                (format!("{a:02}"), Some(format!("{b:02}")), "section")
            } else if !item.is_empty()
                && item.chars().all(|c| c.is_ascii_digit())
                && matches!(item.len(), 2 | 4 | 6)
            {
                (item.to_string(), None, "code")
            } else {
                return Err(Error::Request(format!(
                    "{field}: '{item}' is not an HS code: write 2, 4 or 6 digits (85, 8542, 854231) or a section \
                     numeral (XVI)"
                )));
            };
            let mut found = 0usize;
            let mut outside = 0usize;
            for (code, classes) in &self.codes {
                let hit = match &hi {
                    Some(hi) => code.as_str()[..2] >= *lo && code.as_str()[..2] <= **hi,
                    None => code.starts_with(&lo),
                };
                if hit {
                    if classes.is_empty() {
                        outside += 1;
                    } else {
                        found += 1;
                        out.push(code.clone());
                    }
                }
            }
            if found == 0 {
                if outside > 0 {
                    return Err(Error::Request(format!(
                        "{field}: HS {item} is outside the bridge: the HS → ISIC correspondence gives it no \
                         industry (e.g. animal products n.e.s. of chapter 05); leave it out"
                    )));
                }
                let near = self.nearest(item);
                return Err(Error::Unknown {
                    kind: if what == "section" {
                        "HS section"
                    } else {
                        "HS code"
                    },
                    name: item.to_string(),
                    suggestion: near.first().cloned(),
                    valid: if near.is_empty() {
                        "HS 1992–2017 codes of 2, 4 or 6 digits".into()
                    } else {
                        format!("the nearest codes: {}", near.join(", "))
                    },
                });
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Up to five valid codes of the same length sharing the longest prefix with `item`.
    pub fn nearest(&self, item: &str) -> Vec<String> {
        let len = item.len().clamp(2, 6);
        let mut cands: Vec<String> = self
            .codes
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(k, _)| k[..len].to_string())
            .collect();
        cands.dedup();
        // The codes sharing the longest prefix first, then those sharing a shorter one, up to five.
        let mut out: Vec<String> = Vec::new();
        for keep in (0..item.len().min(len)).rev() {
            let p = &item[..keep];
            for c in cands.iter().filter(|c| c.starts_with(p)) {
                if out.len() == 5 {
                    return out;
                }
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        cands.truncate(5);
        if out.is_empty() { cands } else { out }
    }
}

/// A section by its numeral, `XVI` or `section XVI` (any case).
fn section(item: &str) -> Option<(&'static str, u8, u8)> {
    let lower = item.to_ascii_lowercase();
    let numeral = lower
        .strip_prefix("section")
        .map(|s| s.trim_start_matches([' ', ':']))
        .unwrap_or(&lower);
    HS_SECTIONS
        .iter()
        .find(|(s, _, _, _)| s.eq_ignore_ascii_case(numeral))
        .map(|&(s, lo, hi, _)| (s, lo, hi))
}

/// Reads a product list file: one code per line or the first column of a CSV; blank lines, `#` comments and
/// a header line (a first cell that is not a code) are skipped. `file` names it in errors.
pub fn read_list(text: &str, file: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cell = line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let is_code = cell.chars().all(|c| c.is_ascii_digit()) || section(cell).is_some();
        if !is_code {
            if out.is_empty() && k == 0 {
                continue; // a header
            }
            return Err(Error::Cell {
                file: file.to_string(),
                row: (k + 1).to_string(),
                column: "1".into(),
                detail: format!(
                    "'{cell}' is not an HS code (2, 4 or 6 digits, or a section numeral)"
                ),
            });
        }
        out.push(cell.to_string());
    }
    if out.is_empty() {
        return Err(Error::Format {
            file: file.to_string(),
            detail: "no product code in the file".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{Code, Labels};

    fn icio_labels() -> Labels {
        let codes = [
            "A01", "C10T12", "C24A", "C24B", "C25", "C26", "C27", "C28", "C29", "C301", "C302T309",
            "C31T33", "D", "G",
        ];
        Labels {
            regions: vec![Code::bare("AAA")],
            sectors: codes.iter().map(|c| Code::bare(*c)).collect(),
            final_demand: Vec::new(),
            stressors: Vec::new(),
        }
    }

    #[test]
    fn bridge_tables_are_the_documented_ones() {
        let b = Bridge::shipped();
        assert_eq!(b.codes().count(), 6881);
        let pairs: usize = b.codes.values().map(Vec::len).sum();
        assert_eq!(pairs, 24_279 - 93);
        assert_eq!(b.codes.values().filter(|c| c.is_empty()).count(), 93);
        assert_eq!(b.classes("870323").unwrap(), ["2910"]);
        assert_eq!(
            b.class_name("2610"),
            Some("Manufacture of electronic components and boards")
        );
    }

    #[test]
    fn icio_sectors_follow_the_release_definitions() {
        assert_eq!(icio_sector("2610"), Some("C26"));
        assert_eq!(icio_sector("2410"), Some("C24A"));
        assert_eq!(icio_sector("2431"), Some("C24A"));
        assert_eq!(icio_sector("2420"), Some("C24B"));
        assert_eq!(icio_sector("2432"), Some("C24B"));
        assert_eq!(icio_sector("3011"), Some("C301"));
        assert_eq!(icio_sector("3030"), Some("C302T309"));
        assert_eq!(icio_sector("3314"), Some("C31T33"));
        assert_eq!(icio_sector("0141"), Some("A01"));
        assert_eq!(icio_sector("9900"), None);
    }

    #[test]
    fn a_chip_lands_in_electronics_and_electrical_equipment_not_repair() {
        let b = Bridge::shipped();
        let l = icio_labels();
        // 854231 → 2610, 2790, 3314: the repair class is dropped, the rest split in halves.
        let land = b.landing("854231", &l, "t").unwrap();
        let c26 = l.sectors.iter().position(|s| s.code == "C26").unwrap();
        let c27 = l.sectors.iter().position(|s| s.code == "C27").unwrap();
        assert_eq!(land.len(), 2);
        assert_eq!((land[0].sector, land[0].weight), (c26, 0.5));
        assert_eq!((land[1].sector, land[1].weight), (c27, 0.5));
        // A code with one class lands whole.
        let car = b.landing("870323", &l, "t").unwrap();
        assert_eq!(car.len(), 1);
        assert_eq!(car[0].weight, 1.0);
        // Weights sum to one for every code with a class.
        for code in b.codes() {
            let land = b.landing(code, &l, "t");
            if let Ok(land) = land
                && !land.is_empty()
            {
                let s: f64 = land.iter().map(|x| x.weight).sum();
                assert!((s - 1.0).abs() < 1e-12, "{code}: {s}");
            }
        }
    }

    #[test]
    fn codes_expand_from_hs4_chapters_and_sections() {
        let b = Bridge::shipped();
        let v = b.expand(&["8542".into()], "products").unwrap();
        assert!(v.contains(&"854231".to_string()) && v.iter().all(|c| c.starts_with("8542")));
        let sec = b.expand(&["section XVI".into()], "products").unwrap();
        let ch = b.expand(&["84".into(), "85".into()], "products").unwrap();
        assert_eq!(sec, ch);
        assert_eq!(b.expand(&["xvi".into()], "p").unwrap(), sec);
        // duplicates collapse
        let d = b.expand(&["854231".into(), "8542".into()], "p").unwrap();
        assert_eq!(d, v);
    }

    #[test]
    fn bad_codes_are_named_with_the_nearest_valid_ones() {
        let b = Bridge::shipped();
        let e = b
            .expand(&["854299".into()], "products")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("HS code '854299'") && e.contains("854290") && e.contains("854210"),
            "{e}"
        );
        let e = b
            .expand(&["85x1".into()], "products")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an HS code"), "{e}");
        let e = b
            .expand(&["050210".into()], "products")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the bridge"), "{e}");
        let e = b.expand(&[], "products").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn a_table_without_icio_sectors_is_refused() {
        let mut l = icio_labels();
        l.sectors.retain(|s| s.code != "C26");
        let e = Bridge::shipped()
            .landing("854231", &l, "wiod")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no sector C26"), "{e}");
    }

    #[test]
    fn list_files_take_the_first_column_and_skip_headers_and_comments() {
        let v = read_list("hs6,name\n854231,chips # memory\n\n8486\n", "f.csv").unwrap();
        assert_eq!(v, ["854231", "8486"]);
        let e = read_list("8541\nchips\n", "f.csv").unwrap_err().to_string();
        assert!(e.contains("f.csv: row 2, column 1"), "{e}");
        assert!(read_list("# nothing\n", "f.csv").is_err());
    }
}
