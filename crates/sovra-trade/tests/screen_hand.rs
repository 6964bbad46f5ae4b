//! The GeoDep / SWD(2021) 352 criteria on a hand-built table: four countries, three products, three years,
//! every number computed by hand in the comments.

use sovra_trade::screen::{self, Bilateral, Thresholds};

const A: u32 = 0;
const B: u32 = 1;
const C: u32 = 2;
const D: u32 = 3;

fn table() -> Bilateral {
    let mut rows = Vec::new();
    for t in [2019, 2020, 2021] {
        // p0: A buys 90 from B and 10 from C; B also sells 100 to D; A sells 5 to D.
        //   HHI_M(A) = 0.9² + 0.1² = 0.82; world exporters B 190, C 10, A 5 → HHI_W = (190² + 10² + 5²)/205²;
        //   ratio 100 / 5 = 20 → dependent — except in 2020, when C sells A 90 too (HHI_M = 0.5² + 0.5² ...).
        let c_to_a = if t == 2020 { 90.0 } else { 10.0 };
        rows.extend([
            (t, B, A, 0, 90.0),
            (t, C, A, 0, c_to_a),
            (t, B, D, 0, 100.0),
            (t, A, D, 0, 5.0),
        ]);
        // p1: A buys 50 from B and 50 from C; D sells 100 to C.
        //   HHI_M = 0.5; world B 50, C 50, D 100 → HHI_W = 0.0625 + 0.0625 + 0.25 = 0.375 → not dependent.
        rows.extend([(t, B, A, 1, 50.0), (t, C, A, 1, 50.0), (t, D, C, 1, 100.0)]);
        // p2: A buys 10 from B and exports nothing → ratio 9999, HHI_M = HHI_W = 1 → dependent.
        rows.push((t, B, A, 2, 10.0));
        // A country's sales to itself never count.
        rows.push((t, A, A, 2, 1000.0));
    }
    Bilateral {
        countries: ["A", "B", "C", "D"].map(String::from).to_vec(),
        products: ["p0", "p1", "p2"].map(String::from).to_vec(),
        rows,
    }
}

fn find(s: &[screen::Screened], year: i32, p: usize) -> &screen::Screened {
    s.iter().find(|x| x.year == year && x.product == p).unwrap()
}

#[test]
fn geodep_criteria_by_hand() {
    let b = table();
    let s = screen::screen(&b, &[0], &[1], &Thresholds::default());
    let p0 = find(&s, 2019, 0);
    assert!((p0.hhi_imports - 0.82).abs() < 1e-12);
    let hw = (190f64.powi(2) + 10f64.powi(2) + 5f64.powi(2)) / 205f64.powi(2);
    assert!((p0.hhi_world - hw).abs() < 1e-12);
    assert!((p0.ratio - 20.0).abs() < 1e-12);
    assert!((p0.share_from_bloc.unwrap() - 0.9).abs() < 1e-12);
    assert_eq!(p0.top_supplier, Some((1, 0.9)));
    assert!(
        p0.dependent && p0.persistent,
        "one year of data so far: dependent is enough"
    );
    // 2020: C sells A 90 → HHI_M = 0.5² + 0.5² = 0.5, world (190² + 90² + 5²)/285² = 0.545…: still dependent?
    let p0_20 = find(&s, 2020, 0);
    assert!((p0_20.hhi_imports - 0.5).abs() < 1e-12);
    let hw20 = (190f64.powi(2) + 90f64.powi(2) + 5f64.powi(2)) / 285f64.powi(2);
    assert!((p0_20.hhi_world - hw20).abs() < 1e-12);
    assert!(p0_20.dependent, "0.5 > 0.4, {hw20} > 0.4, ratio 36 > 1");
    // p1 is never dependent: world exports are not concentrated.
    for t in [2019, 2020, 2021] {
        let p1 = find(&s, t, 1);
        assert!((p1.hhi_world - 0.375).abs() < 1e-12 && !p1.dependent && !p1.persistent);
    }
    // p2: no exports → 9999.
    let p2 = find(&s, 2021, 2);
    assert_eq!(p2.ratio, 9999.0);
    assert!(p2.dependent && p2.persistent);
    assert_eq!(p2.imports, 10.0, "A's sales to itself are not imports");
}

#[test]
fn persistence_needs_two_of_three_years() {
    // Raise the import-concentration threshold to 0.6: p0 is dependent in 2019 and 2021 (0.82) but not in
    // 2020 (0.5), so it is persistent in 2021 (2 of 2019–2021) but not in 2020 (1 of 2019–2020).
    let th = Thresholds {
        hhi_imports: 0.6,
        ..Thresholds::default()
    };
    let s = screen::screen(&table(), &[0], &[], &th);
    assert!(find(&s, 2019, 0).dependent && find(&s, 2019, 0).persistent);
    assert!(!find(&s, 2020, 0).dependent && !find(&s, 2020, 0).persistent);
    assert!(find(&s, 2021, 0).dependent && find(&s, 2021, 0).persistent);
    assert!(find(&s, 2021, 0).share_from_bloc.is_none());
}

#[test]
fn a_bloc_leaves_out_its_internal_trade() {
    // Importer A + D: B sells the bloc 190 of p0 and C 10; A's 5 to D is internal, so the bloc exports
    // nothing of p0 → ratio 9999; HHI_M = 0.95² + 0.05².
    let s = screen::screen(&table(), &[0, 3], &[], &Thresholds::default());
    let p0 = find(&s, 2019, 0);
    assert_eq!(p0.imports, 200.0);
    assert_eq!(p0.exports, 0.0);
    assert_eq!(p0.ratio, 9999.0);
    assert!((p0.hhi_imports - (0.95f64.powi(2) + 0.05f64.powi(2))).abs() < 1e-12);
    // p1: D's 100 to C is an export of the bloc; the bloc imports 100 (B 50, C 50) → ratio 1, not > 1.
    let p1 = find(&s, 2019, 1);
    assert_eq!(p1.exports, 100.0);
    assert!((p1.ratio - 1.0).abs() < 1e-12 && !p1.dependent);
}

#[test]
fn hs_revision_conversion_splits_values_by_weight() {
    use sovra_trade::bilateral;
    let dir = std::env::temp_dir().join(format!("sovra-hs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // H1 → H0: 010110 maps wholly to 010100; 020220 splits 30/70 into 020200 and 020300.
    std::fs::write(
        dir.join("conversion_weights_H1_to_H0.csv"),
        "H1,H0,weight,group_id\n10110,10100,1.0,1\n20220,20200,0.3,2\n20220,20300,0.7,2\n",
    )
    .unwrap();
    let b = Bilateral {
        countries: vec!["A".into(), "B".into()],
        products: vec!["010110".into(), "020220".into(), "999999".into()],
        rows: vec![
            (2021, 0, 1, 0, 10.0),
            (2021, 0, 1, 1, 100.0),
            (2021, 1, 0, 2, 5.0),
        ],
    };
    let (c, unmatched) = bilateral::convert_hs(&b, &dir, "H1", "H0").unwrap();
    assert_eq!(unmatched, 1, "999999 has no weight and stays");
    let value = |code: &str| -> f64 {
        let p = c.products.iter().position(|x| x == code).unwrap() as u32;
        c.rows.iter().filter(|r| r.3 == p).map(|r| r.4).sum()
    };
    assert_eq!(value("010100"), 10.0);
    assert!((value("020200") - 30.0).abs() < 1e-12 && (value("020300") - 70.0).abs() < 1e-12);
    assert_eq!(value("999999"), 5.0);
    let total: f64 = c.rows.iter().map(|r| r.4).sum();
    assert!((total - 115.0).abs() < 1e-9, "conversion keeps the total");
    assert!(bilateral::convert_hs(&b, &dir, "H1", "H9").is_err());
    assert!(
        bilateral::convert_hs(&b, &dir, "H2", "H1").is_err(),
        "missing weights file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
