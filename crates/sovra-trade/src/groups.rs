//! A group of products followed year by year for an importer — what a programme's product-group target (a list
//! of HS codes or an HS section) is judged on: the group's imports from outside the importer, the part from a
//! bloc, the concentration of its suppliers, its exports. HS sections by chapter are here too (the World
//! Customs Organization's 21 sections of the Harmonized System).

use std::collections::BTreeMap;

use crate::screen::{Bilateral, mask};

pub use sovra_core::bridge::HS_SECTIONS;

/// The HS section of a product code (by its first two digits), if any.
pub fn section_of(code: &str) -> Option<&'static (&'static str, u8, u8, &'static str)> {
    let chapter: u8 = code.get(..2)?.parse().ok()?;
    HS_SECTIONS
        .iter()
        .find(|(_, lo, hi, _)| (*lo..=*hi).contains(&chapter))
}

/// A section by its numeral (any case).
pub fn section(numeral: &str) -> Option<&'static (&'static str, u8, u8, &'static str)> {
    HS_SECTIONS
        .iter()
        .find(|(s, _, _, _)| s.eq_ignore_ascii_case(numeral.trim()))
}

/// The products of `b` in a group given by HS codes (each an HS2, HS4 or HS6 code: every product whose code
/// starts with it) and/or a section. Errs with the first code no product starts with, and the nearest codes
/// of the same length that exist.
pub fn members(b: &Bilateral, codes: &[String], sec: Option<&str>) -> Result<Vec<bool>, String> {
    let mut inside = vec![false; b.products.len()];
    for raw in codes {
        let code = raw.trim();
        if code.is_empty() || !code.bytes().all(|c| c.is_ascii_digit()) || code.len() > 6 {
            return Err(format!(
                "product code '{raw}': write HS digits (2, 4 or 6, e.g. 85, 8542, 854231)"
            ));
        }
        let mut any = false;
        for (k, p) in b.products.iter().enumerate() {
            if p.starts_with(code) {
                inside[k] = true;
                any = true;
            }
        }
        if !any {
            return Err(format!(
                "no product of the trade store has a code starting with {code} (nearest: {})",
                nearest(b, code).join(", ")
            ));
        }
    }
    if let Some(numeral) = sec {
        let Some(&(name, lo, hi, _)) = section(numeral) else {
            return Err(format!(
                "section '{numeral}': one of {}",
                HS_SECTIONS
                    .iter()
                    .map(|s| s.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let mut any = false;
        for (k, p) in b.products.iter().enumerate() {
            if section_of(p).is_some_and(|s| s.1 == lo && s.2 == hi) {
                inside[k] = true;
                any = true;
            }
        }
        if !any {
            return Err(format!(
                "section {name} (chapters {lo:02}–{hi:02}): no product of the trade store is in it"
            ));
        }
    }
    Ok(inside)
}

/// The three codes of the store, cut to the length of `code`, closest to it as numbers.
fn nearest(b: &Bilateral, code: &str) -> Vec<String> {
    let want: i64 = code.parse().unwrap_or(0);
    let mut cut: Vec<&str> = b
        .products
        .iter()
        .filter_map(|p| p.get(..code.len()))
        .collect();
    cut.sort_unstable();
    cut.dedup();
    cut.sort_by_key(|c| (c.parse::<i64>().unwrap_or(0) - want).abs());
    cut.into_iter().take(3).map(str::to_string).collect()
}

/// One year of a group of products for an importer.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupYear {
    /// Year.
    pub year: i32,
    /// Imports of the group from outside the importer.
    pub imports: f64,
    /// Of which from the bloc.
    pub from_bloc: f64,
    /// Exports of the group to outside the importer.
    pub exports: f64,
    /// Concentration (HHI, 0–1) of the group's imports over supplier countries; `None` without imports.
    pub hhi_imports: Option<f64>,
}

/// The group year by year (every year of `years`, zeros where nothing was traded). `importer` and `bloc` are
/// sets of country indices; flows within the importer (a bloc) are internal and left out.
pub fn years(
    b: &Bilateral,
    importer: &[usize],
    bloc: &[usize],
    group: &[bool],
    years: &[i32],
) -> Vec<GroupYear> {
    let nc = b.countries.len();
    let (is_i, is_b) = (mask(nc, importer), mask(nc, bloc));
    #[derive(Default)]
    struct Acc {
        from: BTreeMap<u32, f64>,
        exports: f64,
    }
    let mut acc: BTreeMap<i32, Acc> = years.iter().map(|&y| (y, Acc::default())).collect();
    for &(t, e, j, p, v) in &b.rows {
        if e == j || v <= 0.0 || !group.get(p as usize).copied().unwrap_or(false) {
            continue;
        }
        let Some(a) = acc.get_mut(&t) else { continue };
        let (ie, ij) = (is_i[e as usize], is_i[j as usize]);
        if ij && !ie {
            *a.from.entry(e).or_default() += v;
        } else if ie && !ij {
            a.exports += v;
        }
    }
    acc.into_iter()
        .map(|(year, a)| {
            let imports: f64 = a.from.values().fold(0.0, |s, v| s + v);
            let from_bloc = a
                .from
                .iter()
                .filter(|(e, _)| is_b[**e as usize])
                .fold(0.0, |s, (_, v)| s + v);
            let hhi_imports =
                (imports > 0.0).then(|| a.from.values().map(|v| (v / imports).powi(2)).sum());
            GroupYear {
                year,
                imports,
                from_bloc,
                exports: a.exports,
                hhi_imports,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Countries A, B, C, D; products 854231, 854239, 010121; two years.
    fn toy() -> Bilateral {
        Bilateral {
            countries: ["A", "B", "C", "D"].map(String::from).to_vec(),
            products: ["854231", "854239", "010121"].map(String::from).to_vec(),
            rows: vec![
                // 2020: A imports 854231 from B (30) and C (10), 854239 from B (20); exports 854231 to D (5).
                (2020, 1, 0, 0, 30.0),
                (2020, 2, 0, 0, 10.0),
                (2020, 1, 0, 1, 20.0),
                (2020, 0, 3, 0, 5.0),
                // Outside the group, and between others: left out.
                (2020, 1, 0, 2, 1000.0),
                (2020, 1, 2, 0, 77.0),
                // 2021: A imports 854231 from C (40) only; exports 854239 to B (10).
                (2021, 2, 0, 0, 40.0),
                (2021, 0, 1, 1, 10.0),
            ],
        }
    }

    #[test]
    fn a_group_by_hand() {
        let b = toy();
        let g = members(&b, &["8542".into()], None).unwrap();
        assert_eq!(g, vec![true, true, false]);
        let y = years(&b, &[0], &[1], &g, &[2020, 2021, 2022]);
        // 2020: imports 60 (B 50, C 10), from the bloc {B} 50, HHI (50/60)² + (10/60)², exports 5.
        assert_eq!(y[0].imports, 60.0);
        assert_eq!(y[0].from_bloc, 50.0);
        assert_eq!(y[0].exports, 5.0);
        let h = (50.0f64 / 60.0).powi(2) + (10.0f64 / 60.0).powi(2);
        assert!((y[0].hhi_imports.unwrap() - h).abs() < 1e-15);
        // 2021: one supplier (HHI 1), nothing from the bloc, exports 10.
        assert_eq!(
            (y[1].imports, y[1].from_bloc, y[1].exports),
            (40.0, 0.0, 10.0)
        );
        assert_eq!(y[1].hhi_imports, Some(1.0));
        // 2022: nothing traded.
        assert_eq!((y[2].imports, y[2].hhi_imports), (0.0, None));
        // A bloc importer: flows between its members are internal.
        let y = years(&b, &[0, 1], &[], &g, &[2020]);
        assert_eq!(y[0].imports, 10.0);
        assert_eq!(y[0].exports, 5.0 + 77.0);
    }

    #[test]
    fn sections_and_bad_codes() {
        let b = toy();
        assert_eq!(section_of("854231").unwrap().0, "XVI");
        assert_eq!(section_of("010121").unwrap().0, "I");
        assert_eq!(
            members(&b, &[], Some("xvi")).unwrap(),
            vec![true, true, false]
        );
        assert_eq!(
            members(&b, &["01".into()], Some("XVI")).unwrap(),
            vec![true, true, true]
        );
        let e = members(&b, &["8541".into()], None).unwrap_err();
        assert!(
            e.contains("starting with 8541") && e.contains("nearest: 8542"),
            "{e}"
        );
        assert!(
            members(&b, &["85x".into()], None)
                .unwrap_err()
                .contains("HS digits")
        );
        assert!(
            members(&b, &[], Some("XXII"))
                .unwrap_err()
                .contains("one of I, II")
        );
        assert!(
            members(&b, &[], Some("II"))
                .unwrap_err()
                .contains("no product")
        );
        // Every section covers its chapters once, 01–97 without 77.
        let mut seen = vec![0; 100];
        for (_, lo, hi, _) in HS_SECTIONS {
            for c in lo..=hi {
                seen[c as usize] += 1;
            }
        }
        assert!(seen[1..=97].iter().all(|&n| n == 1));
    }
}
