//! Every dependency indicator on a 3-region × 2-sector table small enough to compute by hand.
//!
//! Regions: AAA (us), BBB (them), CCC (third country); sectors 1 and 2. Node order A1 A2 B1 B2 C1 C2.
//! Intermediate flows (supplier → buyer): B1→A1 10, C1→A1 20, A2→A1 10, B2→A2 5, B1→C1 30.
//! Output: A1 100, A2 50, B1 100, B2 50, C1 100, C2 50. Final demand (one category, by destination):
//! A1: 80 to AAA, 20 to BBB; A2: 40 to AAA; B1: 60 to BBB; B2: 45 to BBB; C1: 50 to CCC, 30 to BBB;
//! C2: 50 to CCC. Value added = output − inputs: A1 60, A2 45, B1 100, B2 50, C1 70, C2 50.
//!
//! The supply graph has no cycle, so `L = I + A + A² + A³` by hand:
//! column A1 of L: A1 1, A2 0.1, B1 0.1 + 0.3·0.2 = 0.16, B2 0.1·0.1 = 0.01, C1 0.2, C2 0;
//! column A2 of L: A2 1, B2 0.1.

use sovra_analysis::dependency::{self, Parties};
use sovra_analysis::{keys, tiva};
use sovra_core::{
    BalanceTolerance, Code, Dense, FdColumn, Labels, LeontiefSystem, Method, Mrio, Parts,
    Provenance,
};

const A1: usize = 0;
const A2: usize = 1;
const B1: usize = 2;
const B2: usize = 3;
const C1: usize = 4;

fn table(by_destination: bool) -> Mrio {
    let mut z = Dense::zeros(6, 6);
    for (i, j, v) in [
        (B1, A1, 10.0),
        (C1, A1, 20.0),
        (A2, A1, 10.0),
        (B2, A2, 5.0),
        (B1, C1, 30.0),
    ] {
        z.data[i * 6 + j] = v;
    }
    // Final demand by destination AAA, BBB, CCC.
    let fd = [
        [80.0, 20.0, 0.0],
        [40.0, 0.0, 0.0],
        [0.0, 60.0, 0.0],
        [0.0, 45.0, 0.0],
        [0.0, 30.0, 50.0],
        [0.0, 0.0, 50.0],
    ];
    let (y, final_demand) = if by_destination {
        (
            Dense::from_vec(6, 3, fd.iter().flatten().copied().collect()).unwrap(),
            ["AAA", "BBB", "CCC"]
                .map(|r| FdColumn {
                    region: r.into(),
                    category: "HH".into(),
                })
                .to_vec(),
        )
    } else {
        (
            Dense::from_vec(6, 1, fd.iter().map(|r| r.iter().sum()).collect()).unwrap(),
            vec![FdColumn {
                region: "WLD".into(),
                category: "final use".into(),
            }],
        )
    };
    Mrio::from_parts(
        Parts {
            labels: Labels {
                regions: ["AAA", "BBB", "CCC"].map(Code::bare).to_vec(),
                sectors: vec![
                    Code {
                        code: "1".into(),
                        name: "Metals".into(),
                    },
                    Code {
                        code: "2".into(),
                        name: "Machinery".into(),
                    },
                ],
                final_demand,
                stressors: vec![],
            },
            z,
            y,
            x: Some(vec![100.0, 50.0, 100.0, 50.0, 100.0, 50.0]),
            v: None,
            f: None,
            f_y: None,
            provenance: Provenance::default(),
        },
        BalanceTolerance::default(),
    )
    .unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-12, "{what}: got {a}, expected {b}");
}

#[test]
fn every_indicator_matches_the_hand_computation() {
    for method in [Method::Lu, Method::Iterative] {
        let t = table(true);
        let mut sys = LeontiefSystem::from_table(&t).unwrap();
        sys.method = method;
        let p = Parties::new(&t, vec![0], vec![1]).unwrap();
        let d = dependency::compute(&t, &sys, &p).unwrap();
        assert_eq!(d.us, ["AAA"]);
        assert_eq!(d.them, ["BBB"]);
        assert_eq!(d.third, ["CCC"]);
        assert!(d.final_demand_by_destination);
        let (a1, a2) = (&d.sectors[0], &d.sectors[1]);
        assert_eq!(
            (a1.node.sector.as_str(), a2.node.sector.as_str()),
            ("1", "2")
        );

        // Direct input dependence.
        close(
            a1.direct_input_share,
            10.0 / 40.0,
            "A1 inputs from them / inputs",
        );
        close(
            a1.direct_output_share,
            10.0 / 100.0,
            "A1 inputs from them / output",
        );
        close(a2.direct_input_share, 1.0, "A2 inputs from them / inputs");
        close(
            a2.direct_output_share,
            5.0 / 50.0,
            "A2 inputs from them / output",
        );
        // Total value-added dependence: ν_B1 L_B1,A1 + ν_B2 L_B2,A1 = 0.16 + 0.01.
        close(a1.value_added_from_them, 0.17, "A1 value added from them");
        close(a2.value_added_from_them, 0.1, "A2 value added from them");
        // Our own value added: 0.6·1 + 0.9·0.1 (A1); 0.9·1 (A2).
        close(
            a1.value_added_from_us.unwrap(),
            0.69,
            "A1 value added from us",
        );
        close(
            a2.value_added_from_us.unwrap(),
            0.9,
            "A2 value added from us",
        );
        // Through third countries: the path B1 → C1 → A1 carries 1·0.3·0.2.
        close(a1.via_third_countries, 0.06, "A1 via third countries");
        close(a2.via_third_countries, 0.0, "A2 via third countries");
        // Supplier concentration: A1's foreign inputs are 10 from BBB and 20 from CCC.
        close(a1.foreign_supplier_hhi, 5.0 / 9.0, "A1 HHI");
        assert_eq!(a1.top_foreign_supplier, "CCC");
        close(
            a1.top_foreign_supplier_share,
            2.0 / 3.0,
            "A1 top supplier share",
        );
        close(a2.foreign_supplier_hhi, 1.0, "A2 HHI");
        assert_eq!(a2.top_foreign_supplier, "BBB");
        // Sales: A1 sells 20 of 100 to BBB's final demand; A2 sells only to A1, which passes 20 % on to BBB.
        close(a1.sales_direct, 0.2, "A1 direct sales");
        close(a1.sales_total, 0.2, "A1 total sales");
        close(a2.sales_direct, 0.0, "A2 direct sales");
        close(a2.sales_total, 10.0 * 0.2 / 50.0, "A2 total sales");

        // Regional aggregate (output-weighted over A1, A2).
        let r = &d.regions[0];
        close(r.output, 150.0, "AAA output");
        close(r.direct_input_share, 15.0 / 45.0, "AAA direct");
        close(
            r.value_added_from_them,
            (100.0 * 0.17 + 50.0 * 0.1) / 150.0,
            "AAA VA from them",
        );
        close(r.via_third_countries, 100.0 * 0.06 / 150.0, "AAA via third");
        close(
            r.foreign_supplier_hhi,
            (15.0f64.powi(2) + 20.0f64.powi(2)) / 35.0f64.powi(2),
            "AAA HHI",
        );
        assert_eq!(r.top_foreign_supplier, "CCC");
        close(r.sales_direct, 20.0 / 150.0, "AAA direct sales");
        close(r.sales_total, 22.0 / 150.0, "AAA total sales");

        // Key sectors: m_A1 = 10, g_A1 = 1 → E = 10; m_A2 = 5, g_A2 = (0.1·100 + 50)/50 = 1.2 → E = 6.
        let k = keys::compute(&t, &sys, &p, 3).unwrap();
        close(k.us_output, 150.0, "us output");
        assert_eq!(k.sectors[0].node.sector, "1");
        close(k.sectors[0].exposed_output, 10.0, "E_A1");
        close(k.sectors[0].forward_multiplier, 1.0, "g_A1");
        close(k.sectors[1].exposed_output, 6.0, "E_A2");
        close(k.sectors[1].forward_multiplier, 1.2, "g_A2");
        close(k.sectors[1].exposed_share, 6.0 / 150.0, "E_A2 share");
        assert_eq!(k.sectors[0].rank, 1);
        assert_eq!(k.sectors[0].top_inputs.len(), 1);
        assert_eq!(k.sectors[0].top_inputs[0].node.region, "BBB");
        assert_eq!(k.sectors[0].top_inputs[0].node.sector, "1");
        close(k.sectors[0].top_inputs[0].share, 1.0, "A1 top input share");
    }
}

#[test]
fn third_country_as_part_of_them_or_us() {
    let t = table(true);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    // Them = BBB + CCC: no third country; A1 gets 0.16 + 0.01 + 0.7·0.2 from them.
    let p = Parties::new(&t, vec![0], vec![1, 2]).unwrap();
    let d = dependency::compute(&t, &sys, &p).unwrap();
    assert!(d.third.is_empty());
    close(d.sectors[0].value_added_from_them, 0.31, "A1 from BBB+CCC");
    close(d.sectors[0].via_third_countries, 0.0, "nothing is third");
    close(
        d.sectors[0].direct_input_share,
        30.0 / 40.0,
        "A1 direct from BBB+CCC",
    );
    // Us = AAA + CCC: the B1 → C1 → A1 path now stays inside us ∪ them.
    let p = Parties::new(&t, vec![0, 2], vec![1]).unwrap();
    let d = dependency::compute(&t, &sys, &p).unwrap();
    close(d.sectors[0].via_third_countries, 0.0, "C is us");
    // C1 buys 30 of its 30 inputs from BBB.
    let c1 = d
        .sectors
        .iter()
        .find(|s| s.node.region == "CCC" && s.node.sector == "1")
        .unwrap();
    close(c1.direct_input_share, 1.0, "C1 direct");
    close(c1.value_added_from_them, 0.3, "C1 from BBB");
    // C1 sells 30 to BBB's final demand and 20 to A1, which passes 20 % to BBB: (30 + 4)/100.
    close(c1.sales_total, 0.34, "C1 total sales");
}

#[test]
fn without_final_demand_by_destination_sales_count_intermediate_use_only() {
    let t = table(false);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let p = Parties::new(&t, vec![0], vec![1]).unwrap();
    let d = dependency::compute(&t, &sys, &p).unwrap();
    assert!(!d.final_demand_by_destination);
    close(
        d.sectors[0].sales_direct,
        0.0,
        "A1 sells no intermediate input to BBB",
    );
    // The value-added indicators do not depend on final demand.
    close(d.sectors[0].value_added_from_them, 0.17, "A1 VA from them");
    // With us = CCC: C1 sells nothing intermediate to BBB either.
    let p = Parties::new(&t, vec![2], vec![1]).unwrap();
    let d = dependency::compute(&t, &sys, &p).unwrap();
    close(d.sectors[0].sales_total, 0.0, "C1");
}

#[test]
fn overlapping_or_empty_parties_are_refused() {
    let t = table(true);
    let e = Parties::new(&t, vec![0, 1], vec![1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("overlap in BBB"), "{e}");
    assert!(Parties::new(&t, vec![], vec![1]).is_err());
    assert!(Parties::new(&t, vec![0], vec![7]).is_err());
}

#[test]
fn value_added_origin_by_region_sums_to_one() {
    let t = table(true);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let (o, _) = dependency::value_added_origin(&t, &sys, &[A1, A2]).unwrap();
    close(o[0][0], 0.69, "A1 from AAA");
    close(o[1][0], 0.17, "A1 from BBB");
    close(o[2][0], 0.14, "A1 from CCC");
    for k in 0..2 {
        close(o.iter().map(|r| r[k]).sum::<f64>(), 1.0, "column sum");
    }
}

#[test]
fn value_added_by_origin_weights_the_sector_origins_by_output_and_adds_up_to_our_output() {
    let t = table(true);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let ns = t.labels.sectors.len();
    let us: Vec<usize> = (0..ns).collect(); // AAA
    let (cols, _) = dependency::value_added_origin(&t, &sys, &us).unwrap();
    let (va, _) = dependency::value_added_by_origin(&t, &sys, &us).unwrap();
    for c in 0..va.len() {
        let by_hand: f64 = us
            .iter()
            .enumerate()
            .map(|(k, &j)| t.x[j] * cols[c][k])
            .sum();
        close(va[c], by_hand, "origin");
    }
    let output: f64 = us.iter().map(|&j| t.x[j]).sum();
    close(va.iter().sum::<f64>(), output, "all origins");
    // The foreign part of AAA's output per the dependence indicators (output-weighted).
    let p = Parties::new(&t, vec![0], vec![1]).unwrap();
    let d = dependency::compute(&t, &sys, &p).unwrap();
    close(va[1] / output, d.total.value_added_from_them, "BBB's share");
}

#[test]
fn tiva_matches_the_hand_computation() {
    let t = table(true);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let tv = tiva::compute(&t, &sys).unwrap();
    let (a, b, c) = (&tv.countries[0], &tv.countries[1], &tv.countries[2]);
    assert!(tv.absent.is_none());
    let v = |x: Option<f64>| x.unwrap();
    // Exports: AAA 20 (A1 to BBB's final demand); BBB 10 + 30 + 5; CCC 20 + 30.
    close(v(a.EXGR), 20.0, "EXGR AAA");
    close(v(b.EXGR), 45.0, "EXGR BBB");
    close(v(c.EXGR), 50.0, "EXGR CCC");
    // Domestic value added per unit of A1's output is 0.69 (see above): 13.8 of 20.
    close(v(a.EXGR_DVA), 13.8, "EXGR_DVA AAA");
    close(v(a.EXGR_FVA), 6.2, "EXGR_FVA AAA");
    close(v(a.EXGR_FVASH), 0.31, "EXGR_FVASH AAA");
    close(v(b.EXGR_DVA), 45.0, "BBB exports only its own value added");
    close(v(c.EXGR_DVA), 35.0, "EXGR_DVA CCC: 0.7 of 50");
    close(v(c.EXGR_FVA), 15.0, "EXGR_FVA CCC: BBB's 0.3 of 50");
    // BBB's value added in others' exports: 0.17 of AAA's 20 and 0.3 of CCC's 50.
    close(v(b.EXGR_DVAFX), 0.17 * 20.0 + 0.3 * 50.0, "EXGR_DVAFX BBB");
    close(v(c.EXGR_DVAFX), 0.14 * 20.0, "EXGR_DVAFX CCC");
    close(v(a.EXGR_DVAFX), 0.0, "nobody exports AAA's value added");
    close(v(b.GVC_forward), 18.4 / 45.0, "forward participation BBB");
    close(v(c.GVC_backward), 0.3, "backward participation CCC");
    close(v(c.GVC_total), 0.3 + 2.8 / 50.0, "total participation CCC");
    // Value added in final demand: AAA's in BBB's final demand (A1's 20 × 0.69); foreign in AAA's own.
    close(v(a.FFD_DVA), 13.8, "FFD_DVA AAA");
    close(v(a.DFD_FVA), 0.31 * 80.0 + 0.1 * 40.0, "DFD_FVA AAA");
    // Intermediate exports: AAA none; BBB 10 + 30 + 5 (all its own value added); CCC 20 (0.7 its own).
    close(a.EXGR_INT, 0.0, "EXGR_INT AAA");
    close(b.EXGR_INT_DVA, 45.0, "EXGR_INT_DVA BBB");
    close(c.EXGR_INT, 20.0, "EXGR_INT CCC");
    close(c.EXGR_INT_FVA, 0.3 * 20.0, "EXGR_INT_FVA CCC");
    close(
        b.EXGR_INT_DVAFX,
        0.3 * 20.0,
        "BBB value added in CCC's intermediate exports",
    );
    // Without final demand by destination, the gross-export indicators are absent with the reason.
    let t2 = table(false);
    let tv2 = tiva::compute(&t2, &LeontiefSystem::from_table(&t2).unwrap()).unwrap();
    assert!(
        tv2.absent
            .as_deref()
            .unwrap()
            .contains("does not split final demand by destination")
    );
    assert!(
        tv2.countries
            .iter()
            .all(|c| c.EXGR.is_none() && c.FFD_DVA.is_none())
    );
    close(
        tv2.countries[2].EXGR_INT_FVA,
        0.3 * 20.0,
        "EXGR_INT_FVA CCC without destinations",
    );
}

#[test]
fn product_level_dependency_counts_their_value_added_in_the_products_only() {
    // Their products make up a quarter of B1's output and 60 % of B2's: ν_B1 = ν_B2 = 1, so by hand
    // A1: 0.25·L_B1,A1 + 0.6·L_B2,A1 = 0.25·0.16 + 0.6·0.01 = 0.046, through CCC 0.25·0.3·0.2 = 0.015;
    // A2: 0.6·L_B2,A2 = 0.06, nothing through CCC.
    let t = table(true);
    let sys = LeontiefSystem::from_table(&t).unwrap();
    let p = Parties::new(&t, vec![0], vec![1]).unwrap();
    let mut pi = vec![0.0; 6];
    pi[B1] = 0.25;
    pi[B2] = 0.6;
    let d = dependency::compute_products(&t, &sys, &p, &pi).unwrap();
    let (a1, a2) = (&d.sectors[0], &d.sectors[1]);
    close(a1.value_added_from_them, 0.046, "A1 products from them");
    close(a1.via_third_countries, 0.015, "A1 products via CCC");
    close(a2.value_added_from_them, 0.06, "A2 products from them");
    close(a2.via_third_countries, 0.0, "A2 products via CCC");
    // Direct input shares are over all their products.
    close(a1.direct_input_share, 10.0 / 40.0, "A1 inputs from them");
    // All products: the plain computation; shares outside [0, 1] or of the wrong length are refused.
    let all = dependency::compute_products(&t, &sys, &p, &[1.0; 6]).unwrap();
    let plain = dependency::compute(&t, &sys, &p).unwrap();
    close(
        all.sectors[0].value_added_from_them,
        plain.sectors[0].value_added_from_them,
        "π = 1",
    );
    assert!(dependency::compute_products(&t, &sys, &p, &[1.5; 6]).is_err());
    assert!(dependency::compute_products(&t, &sys, &p, &[1.0; 5]).is_err());
}
