//! The trade store end to end: import (long and BACI, plain and gzip), load back through DataFusion, and
//! compare with the in-memory reader; all-or-nothing imports on bad cells and repeated rows; year
//! replacement and partition pruning; the real BACI sample from ../shared when present.

#[path = "../../sovra-core/tests/support/shared_data.rs"]
mod shared_data;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sovra_lake::import::{ImportOptions, import};
use sovra_lake::query::load;
use sovra_lake::store::Store;
use sovra_trade::bilateral;
use sovra_trade::screen::Bilateral;

/// Rows as sorted, comparable tuples of codes (indices differ between readers).
fn named(b: &Bilateral) -> Vec<(i32, String, String, String, u64)> {
    let mut v: Vec<_> = b
        .rows
        .iter()
        .map(|&(t, e, j, p, v)| {
            (
                t,
                b.countries[e as usize].clone(),
                b.countries[j as usize].clone(),
                b.products[p as usize].clone(),
                v.to_bits(),
            )
        })
        .collect();
    v.sort();
    v
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every year of the store at `dir`.
fn load_all(dir: &Path) -> (Bilateral, sovra_lake::query::LoadReport) {
    let s = Store::open(dir).unwrap();
    load(&s, &s.years(), 1 << 30).unwrap()
}

fn small_opts() -> ImportOptions {
    // Tiny batches and row groups, so that the tests cross every buffer boundary.
    ImportOptions {
        batch_rows: 7,
        row_group_rows: 16,
        memory_limit: 256 << 20,
    }
}

fn synth(year: i32, seed: u64) -> Bilateral {
    sovra_trade::synth::year(sovra_trade::synth::Spec {
        countries: 30,
        products: 60,
        destinations: 6.0,
        year,
        seed,
        real_codes: false,
    })
}

#[test]
fn long_round_trip_equals_the_in_memory_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = sovra_trade::synth::to_long_csv(&synth(2021, 1));
    text.push_str(
        sovra_trade::synth::to_long_csv(&synth(2022, 2))
            .split_once('\n')
            .unwrap()
            .1,
    );
    let f = write(tmp.path(), "flows.csv", &text);
    let store = tmp.path().join("store");
    let rep = import(
        std::slice::from_ref(&f),
        None,
        &store,
        &small_opts(),
        &|_| {},
    )
    .unwrap();
    let (want, wrep) = bilateral::read(&f, None).unwrap();
    assert_eq!(
        rep.years.keys().copied().collect::<Vec<_>>(),
        vec![2021, 2022]
    );
    assert_eq!(rep.years.values().sum::<u64>() as usize, want.rows.len());
    assert_eq!(rep.files[0].1.zero_rows_skipped, wrep.zero_rows_skipped);
    let s = Store::open(&store).unwrap();
    assert_eq!(s.years(), vec![2021, 2022]);
    let (got, lrep) = load(&s, &s.years(), 1 << 30).unwrap();
    assert_eq!(lrep.rows, want.rows.len());
    assert_eq!(named(&got), named(&want));
    // Partition pruning: one year only.
    let (y21, _) = load(&s, &[2021], 1 << 30).unwrap();
    assert!(y21.rows.iter().all(|r| r.0 == 2021));
    assert_eq!(
        y21.rows.len(),
        want.rows.iter().filter(|r| r.0 == 2021).count()
    );
    // No staging directory is left behind.
    let left: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.starts_with('.')), "{left:?}");
}

#[test]
fn baci_gzip_with_codes_quantities_and_unknown_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let b = synth(2020, 3);
    let (data, mut codes) = sovra_trade::synth::to_baci_csv(&b, 3);
    // Drop the last country from the code file: its rows keep `#code` and are counted.
    let keep: Vec<&str> = codes.lines().collect();
    codes = keep[..keep.len() - 1].join("\n") + "\n";
    let gz = tmp.path().join("baci.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(data.as_bytes()).unwrap();
    enc.finish().unwrap();
    let codes_file = write(tmp.path(), "codes.csv", &codes);
    let map = bilateral::read_baci_codes(&codes_file).unwrap();
    let store = tmp.path().join("store");
    let rep = import(
        std::slice::from_ref(&gz),
        Some(&map),
        &store,
        &small_opts(),
        &|_| {},
    )
    .unwrap();
    let fr = &rep.files[0].1;
    assert_eq!(fr.format, "baci");
    let missing = 4 * b.countries.len() as u32;
    assert!(fr.unknown_codes.get(&missing).copied().unwrap_or(0) > 0);
    let (want, _) = bilateral::read(&gz, Some(&map)).unwrap();
    let (got, _) = load_all(&store);
    assert_eq!(named(&got), named(&want));
    assert!(got.countries.iter().any(|c| c == &format!("#{missing}")));
}

#[test]
fn a_bad_cell_names_file_line_and_column_and_imports_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "good.csv",
        "year,exporter,importer,product,value\n2022,AAA,BBB,010101,5\n",
    );
    let store = tmp.path().join("store");
    import(
        std::slice::from_ref(&good),
        None,
        &store,
        &small_opts(),
        &|_| {},
    )
    .unwrap();
    let manifest = std::fs::read(store.join("sovra-trade.json")).unwrap();
    for (body, column, line) in [
        (
            "2023,AAA,BBB,010101,5\n2023,AAA,CCC,010101,-1\n",
            "value",
            3,
        ),
        (
            "2023,AAA,BBB,010101,5\n2023,AAA,CCC,010101,abc\n",
            "value",
            3,
        ),
        ("20x3,AAA,BBB,010101,5\n", "year", 2),
        ("2023,,BBB,010101,5\n", "exporter", 2),
        ("2023,AAA,BBB,,5\n", "product", 2),
        ("2023,AAA,BBB,010101,5,-3\n", "quantity", 2),
    ] {
        let head = if body.split('\n').next().unwrap().split(',').count() == 6 {
            "year,exporter,importer,product,value,quantity\n"
        } else {
            "year,exporter,importer,product,value\n"
        };
        let bad = write(tmp.path(), "bad.csv", &format!("{head}{body}"));
        let e = import(&[bad], None, &store, &small_opts(), &|_| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.csv"), "{e}");
        assert!(e.contains(column), "{column}: {e}");
        assert!(e.contains(&line.to_string()), "{line}: {e}");
        // The store is as it was: only 2022, same manifest, no staging left.
        assert_eq!(Store::open(&store).unwrap().years(), vec![2022]);
        assert_eq!(
            std::fs::read(store.join("sovra-trade.json")).unwrap(),
            manifest
        );
        assert!(!store.join("year=2023").exists());
        assert_eq!(std::fs::read_dir(&store).unwrap().count(), 2, "{e}");
    }
}

#[test]
fn repeated_rows_across_files_are_an_error_naming_both_places() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.csv",
        "year,exporter,importer,product,value\n2022,AAA,BBB,010101,5\n2022,AAA,BBB,010102,1\n",
    );
    let b = write(
        tmp.path(),
        "b.csv",
        "year,exporter,importer,product,value\n2022,CCC,BBB,010101,2\n2022,AAA,BBB,010102,7\n",
    );
    let store = tmp.path().join("store");
    let e = import(&[a, b], None, &store, &small_opts(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("AAA→BBB 010102"), "{e}");
    assert!(
        e.contains("a.csv, line 3") && e.contains("b.csv, line 3"),
        "{e}"
    );
    assert!(e.contains("nothing was imported"), "{e}");
    assert!(Store::open(&store).is_err());
}

/// Many keys repeated: the report names the one that occurs first in file order — the files as given (here
/// not their alphabetical order), then by line — with its places in that order.
#[test]
fn the_duplicate_named_is_the_first_in_file_order() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "year,exporter,importer,product,value\n";
    // Given first: its line 2 repeated at its last line.
    let mut z = String::from(head);
    z.push_str("2022,ZZZ,BBB,999999,1\n");
    for k in 0..30 {
        z.push_str(&format!("2022,ZZZ,CCC,{:06},1\n", 100_000 + k));
    }
    z.push_str("2022,ZZZ,BBB,999999,2\n");
    // Given second, alphabetically first: twenty keys, each twice in a row.
    let mut a = String::from(head);
    for k in 0..20 {
        for v in [1, 2] {
            a.push_str(&format!("2022,AAA,BBB,{:06},{v}\n", 10_000 + k));
        }
    }
    let z = write(tmp.path(), "z.csv", &z);
    let a = write(tmp.path(), "a.csv", &a);
    let store = tmp.path().join("store");
    let e = import(&[z, a], None, &store, &small_opts(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("2022 ZZZ→BBB 999999 appears 2 times"), "{e}");
    assert!(
        e.contains("z.csv, line 2; ") && e.contains("z.csv, line 33)"),
        "{e}"
    );
    assert!(
        e.contains("21 (year, exporter, importer, product) repeated in all"),
        "{e}"
    );
}

#[test]
fn reimporting_a_year_replaces_it_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let head = "year,exporter,importer,product,value\n";
    let f1 = write(
        tmp.path(),
        "one.csv",
        &format!("{head}2021,AAA,BBB,010101,1\n2022,AAA,BBB,010101,2\n"),
    );
    import(&[f1], None, &store, &small_opts(), &|_| {}).unwrap();
    let f2 = write(
        tmp.path(),
        "two.csv",
        &format!("{head}2022,AAA,BBB,010101,20\n2022,BBB,AAA,010101,3\n2023,AAA,BBB,010101,4\n"),
    );
    let rep = import(&[f2], None, &store, &small_opts(), &|_| {}).unwrap();
    assert_eq!(rep.replaced, vec![2022]);
    assert_eq!(rep.store_years, vec![2021, 2022, 2023]);
    let s = Store::open(&store).unwrap();
    assert!(s.manifest.years[&2021].sources[0].ends_with("one.csv"));
    assert!(s.manifest.years[&2022].sources[0].ends_with("two.csv"));
    let (b, _) = load(&s, &s.years(), 1 << 30).unwrap();
    let values: BTreeSet<(i32, u64)> = b.rows.iter().map(|r| (r.0, r.4 as u64)).collect();
    assert_eq!(
        values,
        BTreeSet::from([(2021, 1), (2022, 20), (2022, 3), (2023, 4)])
    );
}

#[test]
fn a_directory_without_manifest_is_not_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let e = Store::open(tmp.path()).unwrap_err().to_string();
    assert!(e.contains("not a trade store"), "{e}");
    assert!(e.contains("sovra trade import"), "{e}");
}

#[test]
fn real_baci_sample_from_shared() {
    let Some(d) = shared_data::or_notice(
        "trade/ExampleTradeData.csv.gz",
        "the real BACI import check",
    ) else {
        return;
    };
    let d = d.parent().unwrap();
    let (data, codes) = (
        d.join("ExampleTradeData.csv.gz"),
        d.join("country_codes_V202201.csv"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let map = bilateral::read_baci_codes(&codes).unwrap();
    let store = tmp.path().join("store");
    let rep = import(
        std::slice::from_ref(&data),
        Some(&map),
        &store,
        &ImportOptions::default(),
        &|_| {},
    )
    .unwrap();
    let (want, wrep) = bilateral::read(&data, Some(&map)).unwrap();
    assert_eq!(rep.files[0].1.rows, wrep.rows);
    assert!(want.rows.len() > 10_000, "{}", want.rows.len());
    let (got, _) = load_all(&store);
    assert_eq!(named(&got), named(&want));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Any set of distinct flows, zeros included, comes back from the store exactly as the in-memory reader
    /// reads it.
    #[test]
    fn store_equals_reader(cells in proptest::collection::btree_map(
        (2019i32..2023, 0u8..5, 0u8..5, 0u16..40), 0u32..1000, 1..120)) {
        let tmp = tempfile::tempdir().unwrap();
        let mut text = String::from("year,exporter,importer,product,value\n");
        for ((t, e, j, p), v) in &cells {
            text.push_str(&format!("{t},C{e},C{j},{p:06},{}\n", *v as f64 / 8.0));
        }
        let f = write(tmp.path(), "p.csv", &text);
        let store = tmp.path().join("store");
        let (want, _) = bilateral::read(&f, None).unwrap();
        let rep = import(std::slice::from_ref(&f), None, &store, &small_opts(), &|_| {}).unwrap();
        prop_assert_eq!(rep.files[0].1.rows, cells.len());
        if want.rows.is_empty() {
            prop_assert!(Store::open(&store).unwrap().years().is_empty());
        } else {
            let (got, _) = load_all(&store);
            prop_assert_eq!(named(&got), named(&want));
        }
    }
}
