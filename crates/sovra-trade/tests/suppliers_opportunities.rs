//! Alternative suppliers and import-substitution opportunities on a synthetic year: the supplier table against
//! sums over the rows done here, and that opportunities are exactly the dependent products without RCA, scored in
//! [0, 1] and ranked; the absolute score against the reference computed here, unchanged whoever else is a
//! candidate; a bloc placed as one exporter (a one-country bloc is the country's own row; a bloc's RCA by hand).

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
        real_codes: false,
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
        let ops = opportunities::rank(&b, &[country], 2022, &th)
            .unwrap()
            .opportunities;
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
            assert!((0.0..=1.0).contains(&o.rank_score));
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

/// The absolute score of every candidate is its reference percentiles computed here from the year's pairs
/// without RCA, so it depends on the pair's own numbers only: two countries' candidates with the same product
/// share the PCI part, and the score does not depend on how many candidates there are.
#[test]
fn absolute_score_is_the_reference_percentiles() {
    let b = data();
    let th = Thresholds::default();
    let x = screen::exports_of_year(&b, 2022);
    let c = complexity::compute(&x, &Options::default()).unwrap();
    let np = x.products.len();
    let mut refs: Vec<(f64, f64, f64)> = Vec::new();
    for k in 0..c.m.len() {
        if let (false, Some(d), Some(p), Some(g)) = (c.m[k], c.density[k], c.pci[k % np], c.cog[k])
        {
            refs.push((d, p, g));
        }
    }
    let share = |f: &dyn Fn(&(f64, f64, f64)) -> f64, v: f64| {
        let below = refs.iter().filter(|r| f(r) < v).count() as f64;
        let equal = refs.iter().filter(|r| f(r) == v).count() as f64;
        (below + 0.5 * equal) / refs.len() as f64
    };
    let mut by_product: std::collections::HashMap<usize, Vec<f64>> = Default::default();
    for country in 0..b.countries.len() {
        let ranked = opportunities::rank(&b, &[country], 2022, &th).unwrap();
        assert_eq!(ranked.reference_pairs, refs.len());
        for o in &ranked.opportunities {
            let k = country * np + o.product;
            assert_eq!(o.density, c.density[k].unwrap());
            let f = [
                share(&|r| r.0, o.density),
                share(&|r| r.1, o.pci),
                share(&|r| r.2, o.cog),
            ];
            for (a, b) in o.percentiles.iter().zip(f) {
                assert!((a - b).abs() < 1e-15, "{a} vs {b}");
            }
            assert!((o.score - (f[0] + f[1] + f[2]) / 3.0).abs() < 1e-15);
            by_product
                .entry(o.product)
                .or_default()
                .push(o.percentiles[1]);
        }
        if let [lone] = ranked.opportunities.as_slice() {
            assert_eq!(lone.rank_score, 1.0);
        }
    }
    // The same product for different countries: the same PCI percentile.
    assert!(by_product.values().any(|v| v.len() > 1));
    for v in by_product.values() {
        assert!(v.iter().all(|x| *x == v[0]));
    }
}

/// A hand-computed case: a reference of four pairs, and the scores of two countries' candidates in it.
#[test]
fn score_by_hand() {
    let r = opportunities::Reference::from_pairs([
        (0.10, -1.0, 0.0),
        (0.20, 0.0, 0.5),
        (0.30, 0.5, 1.0),
        (0.40, 2.0, 1.5),
    ]);
    assert_eq!(r.len(), 4);
    // Country A, product p: density 0.30 (one tie: 2 below + ½ → 2.5/4), PCI 1.0 (3 below → 3/4), COG 0.25
    // (1 below → 1/4): (0.625 + 0.75 + 0.25) / 3.
    let (fa, a) = r.score(0.30, 1.0, 0.25);
    assert_eq!(fa, [0.625, 0.75, 0.25]);
    assert!((a - 1.625 / 3.0).abs() < 1e-15);
    // Country B, the same product (same PCI): density 0.05 (0/4), COG 2.0 (4/4): (0 + 0.75 + 1) / 3.
    let (fb, s) = r.score(0.05, 1.0, 2.0);
    assert_eq!(fb, [0.0, 0.75, 1.0]);
    assert!((s - 1.75 / 3.0).abs() < 1e-15);
    // Comparable: B's product scores higher than A's on these numbers, whatever else either has.
    assert!(s > a);
}

/// A bloc of one country is that country's row; a bloc's RCA is its exports to outside it against the world
/// less its internal flows (computed here from the rows), and its candidates are the bloc's screen.
#[test]
fn a_bloc_is_one_exporter() {
    let b = data();
    let th = Thresholds::default();
    let x = screen::exports_of_year(&b, 2022);
    let o = Options {
        proximity: false,
        ..Options::default()
    };
    let np = x.products.len();
    // A one-member guest equals the country's own row.
    let guest = opportunities::bloc_exports(&b, &[5], 2022);
    let (c, placed) = complexity::compute_with_guests(&x, &o, &[guest]).unwrap();
    let g = &placed[0];
    for p in 0..np {
        let k = 5 * np + p;
        assert_eq!(g.rca[p], c.rca[k]);
        assert_eq!(g.m[p], c.m[k]);
        for (a, b) in [(g.density[p], c.density[k]), (g.cog[p], c.cog[k])] {
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} {b}"),
                (a, b) => assert_eq!(a, b),
            }
        }
    }
    // The guest leaves the countries' figures as they were.
    let alone = complexity::compute(&x, &o).unwrap();
    assert_eq!(alone.pci, c.pci);
    assert_eq!(alone.m, c.m);
    // A bloc of three: RCA by hand from the rows.
    let members = [2usize, 9, 30];
    let (mut ext, mut int, mut world) = (vec![0.0; np], vec![0.0; np], vec![0.0; np]);
    for &(t, e, j, p, v) in &b.rows {
        if t != 2022 || e == j {
            continue;
        }
        world[p as usize] += v;
        match (
            members.contains(&(e as usize)),
            members.contains(&(j as usize)),
        ) {
            (true, true) => int[p as usize] += v,
            (true, false) => ext[p as usize] += v,
            _ => {}
        }
    }
    let guest = opportunities::bloc_exports(&b, &members, 2022);
    let (_, placed) = complexity::compute_with_guests(&x, &o, &[guest]).unwrap();
    let (xb, wt): (f64, f64) = (
        ext.iter().sum(),
        world.iter().sum::<f64>() - int.iter().sum::<f64>(),
    );
    for p in 0..np {
        let w = world[p] - int[p];
        if w > 0.0 {
            let rca = (ext[p] / xb) / (w / wt);
            let got = placed[0].rca[p].unwrap();
            assert!(
                (got - rca).abs() <= 1e-9 * rca.max(1.0),
                "{p}: {got} vs {rca}"
            );
            assert_eq!(placed[0].m[p], got >= 1.0);
        }
    }
    // The bloc's candidates: dependent for the bloc (internal trade left out), no RCA as one exporter.
    let ranked = opportunities::rank(&b, &members, 2022, &th).unwrap();
    let dependent: std::collections::HashSet<usize> = screen::screen(&b, &members, &[], &th)
        .into_iter()
        .filter(|s| s.year == 2022 && s.dependent)
        .map(|s| s.product)
        .collect();
    for op in &ranked.opportunities {
        assert!(dependent.contains(&op.product));
        assert!(!placed[0].m[op.product]);
        assert_eq!(op.density, placed[0].density[op.product].unwrap());
        assert!((0.0..=1.0).contains(&op.score));
    }
    assert!(opportunities::rank(&b, &[], 2022, &th).is_err());
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
