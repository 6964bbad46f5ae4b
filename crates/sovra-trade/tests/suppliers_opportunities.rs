//! Alternative suppliers and import-substitution opportunities on a synthetic year: the supplier table against
//! sums over the rows done here, and that opportunities are exactly the dependent products without RCA, scored in
//! [0, 1] and ranked.

use sovra_trade::complexity::{self, Options};
use sovra_trade::screen::{self, Thresholds};
use sovra_trade::{opportunities, synth};

fn data() -> sovra_trade::screen::Bilateral {
    synth::year(synth::Spec {
        countries: 40,
        products: 300,
        destinations: 6.0,
        year: 2022,
        seed: 7,
    })
}

#[test]
fn supplier_table_matches_the_rows() {
    let b = data();
    let importer = [0usize];
    let dep = screen::screen(&b, &importer, &[], &Thresholds::default());
    let p = dep
        .iter()
        .max_by(|x, y| x.imports.total_cmp(&y.imports))
        .unwrap()
        .product;
    let s = screen::suppliers(&b, &importer, &[], 2022, p);
    assert!(!s.is_empty());
    assert!(s.windows(2).all(|w| w[0].world_share >= w[1].world_share));
    let share_sum: f64 = s.iter().map(|x| x.world_share).sum();
    assert!(share_sum <= 1.0 + 1e-12);
    // Every figure from the rows, summed here by destination (not as world − to_importer).
    let (mut to_imp, mut elsewhere, mut all) = (
        vec![0.0; b.countries.len()],
        vec![0.0; b.countries.len()],
        vec![0.0; b.countries.len()],
    );
    let mut world_all = 0.0;
    for &(t, e, j, q, v) in &b.rows {
        if t != 2022 || e == j {
            continue;
        }
        let e = e as usize;
        all[e] += v;
        world_all += v;
        if q as usize == p {
            if j == 0 {
                to_imp[e] += v;
            } else {
                elsewhere[e] += v;
            }
        }
    }
    let world = |e: usize| to_imp[e] + elsewhere[e];
    let world_p: f64 = (0..b.countries.len()).map(world).sum();
    let listed: Vec<usize> = (1..b.countries.len()).filter(|&e| world(e) > 0.0).collect();
    assert_eq!(
        s.len(),
        listed.len(),
        "every exporter of the product but the importer"
    );
    let close = |what: &str, e: usize, a: f64, want: f64| {
        assert!(
            (a - want).abs() <= 1e-12 * want.abs().max(1.0),
            "exporter {e} {what}: {a} vs {want}"
        )
    };
    for x in &s {
        let e = x.exporter;
        assert!(e != 0);
        close("to_importer", e, x.to_importer, to_imp[e]);
        close("elsewhere", e, x.elsewhere, elsewhere[e]);
        close("world_exports", e, x.world_exports, world(e));
        close("world_share", e, x.world_share, world(e) / world_p);
        close("rca", e, x.rca, (world(e) / all[e]) / (world_p / world_all));
    }
    // What the suppliers sell the importer is its imports of the product.
    let imports: f64 = s.iter().map(|x| x.to_importer).sum();
    let screened = dep
        .iter()
        .find(|d| d.product == p && d.year == 2022)
        .unwrap();
    assert!((imports - screened.imports).abs() <= 1e-9 * imports);
    // Partners restrict the list.
    let only = screen::suppliers(&b, &importer, &[1, 2, 3], 2022, p);
    assert!(only.iter().all(|x| [1, 2, 3].contains(&x.exporter)));
}

#[test]
fn opportunities_are_dependent_products_without_rca() {
    let b = data();
    let th = Thresholds::default();
    for country in [0usize, 5, 17] {
        let ops = opportunities::rank(&b, country, 2022, &th).unwrap();
        let x = screen::exports_of_year(&b, 2022);
        let c = complexity::compute(&x, &Options::default()).unwrap();
        let np = x.products.len();
        for o in &ops {
            assert!(o.screened.dependent);
            assert!(
                !c.m[country * np + o.product],
                "already has RCA in {}",
                o.product
            );
            assert!((0.0..=1.0).contains(&o.score));
            assert_eq!(o.pci, c.pci[o.product].unwrap());
        }
        assert!(ops.windows(2).all(|w| w[0].score >= w[1].score));
        let dep_without_rca = screen::screen(&b, &[country], &[], &th)
            .into_iter()
            .filter(|s| s.dependent && !c.m[country * np + s.product] && c.pci[s.product].is_some())
            .count();
        assert_eq!(ops.len(), dep_without_rca);
    }
}

#[test]
fn screen_each_equals_one_importer_at_a_time() {
    let b = data();
    let th = Thresholds::default();
    let all = screen::screen_each(&b, &th);
    for j in [0usize, 3, 11, 39] {
        let mut one = screen::screen(&b, &[j], &[], &th);
        let mut each = all[j].clone();
        one.sort_by_key(|s| (s.year, s.product));
        each.sort_by_key(|s| (s.year, s.product));
        assert_eq!(one.len(), each.len(), "importer {j}");
        for (a, b) in one.iter().zip(&each) {
            assert_eq!(
                (a.year, a.product, a.dependent, a.persistent),
                (b.year, b.product, b.dependent, b.persistent)
            );
            for (x, y) in [
                (a.imports, b.imports),
                (a.exports, b.exports),
                (a.hhi_imports, b.hhi_imports),
                (a.hhi_world, b.hhi_world),
                (a.ratio, b.ratio),
            ] {
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                    "importer {j} product {}: {x} vs {y}",
                    a.product
                );
            }
            assert_eq!(a.top_supplier.map(|t| t.0), b.top_supplier.map(|t| t.0));
        }
    }
}

#[test]
fn cover_gives_the_supplier_figures_of_every_product_at_once() {
    let b = data();
    let (importer, them, candidates) = ([0usize, 1], [2usize, 3, 4], [5usize, 6, 7, 8]);
    let c = screen::cover(&b, &importer, &them, &candidates, 2022);
    assert_eq!(c.imports.len(), b.products.len());
    assert_eq!(c.candidates.len(), candidates.len());
    let mut checked = 0;
    for p in 0..b.products.len() {
        // Imports from them: the importer's imports of p from each of them, as the suppliers table has them.
        let all = screen::suppliers(&b, &importer, &[], 2022, p);
        let from_them: f64 = all
            .iter()
            .filter(|s| them.contains(&s.exporter))
            .map(|s| s.to_importer)
            .sum();
        assert!((c.imports[p] - from_them).abs() <= 1e-9 * from_them.max(1.0));
        for s in screen::suppliers(&b, &importer, &candidates, 2022, p) {
            let k = candidates.iter().position(|&x| x == s.exporter).unwrap();
            let cc = &c.candidates[k];
            assert_eq!(cc.exporter, s.exporter);
            assert_eq!(cc.world_exports[p], s.world_exports);
            assert_eq!(cc.to_importer[p], s.to_importer);
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} pairs checked");
    // A candidate the suppliers table leaves out of a product (no exports of it) has none in the cover.
    for cc in &c.candidates {
        for p in 0..b.products.len() {
            if screen::suppliers(&b, &importer, &[cc.exporter], 2022, p).is_empty() {
                assert_eq!(cc.world_exports[p], 0.0);
            }
        }
    }
}
