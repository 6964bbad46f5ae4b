//! The WIOD 2013 reader on small tables written here in the release's layout (never the release itself), the
//! store's series of years, and — when `../shared/data/wiod2013` is present — the real release.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use std::collections::HashMap;

use proptest::prelude::*;
use sovra_core::lock::Wait;
use sovra_core::read::wiod2013;
use sovra_core::store::{self, SeriesInfo, SeriesYear, WriteMode};
use sovra_core::{Error, Mrio, synth};

#[path = "support/shared_data.rs"]
mod shared_data;

fn sample(seed: u64) -> Mrio {
    synth::table(
        "sample",
        synth::Spec {
            regions: 3,
            sectors: 4,
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

fn read_text(text: &str, year: Option<i32>) -> sovra_core::Result<wiod2013::WiodYear> {
    wiod2013::read_from(
        text.as_bytes(),
        "wiod2013_2000.csv",
        "wiod2013_2000.csv",
        "w",
        year,
        &HashMap::new(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn a_table_reads_back_with_output_from_row_sums_and_the_gap_to_go_reported() {
    let t = sample(1);
    let n = t.n();
    let gap: Vec<f64> = (0..n).map(|i| (i as f64) - 5.0).collect();
    let w = read_text(
        &synth::wiod2013_csv(&t, &gap, &(0..n).collect::<Vec<_>>()),
        Some(2000),
    )
    .unwrap();
    let r = &w.table;
    assert_eq!(r.n(), n);
    assert_eq!(r.labels.sectors[3].code, "c4");
    assert_eq!(r.labels.final_demand.len(), 3 * 5);
    assert_eq!(r.labels.final_demand[4].category, "INVEN");
    for i in 0..n {
        assert!(close(r.x[i], t.x[i]), "x {i}: {} vs {}", r.x[i], t.x[i]);
        assert!(close(r.v[i], t.v[i]));
        assert!(close(w.go_published[i], t.x[i] + gap[i]));
        assert!(close(w.diagnostics.go_gap[i], gap[i]));
        for j in 0..n {
            assert!(close(r.z.get(i, j), t.z.get(i, j)));
        }
    }
    let d = &w.diagnostics;
    assert!(d.inactive.is_empty());
    assert!(close(d.go_gap_max_abs.0, 6.0), "{:?}", d.go_gap_max_abs);
    assert_eq!(d.go_gap_max_abs.1, n - 1);
    assert_eq!(r.provenance.year, Some(2000));
    assert!(r.provenance.title.contains("WIOD 2013 release, year 2000"));
    assert!(
        r.provenance.notes.contains("x = Z1 + Y1") && r.provenance.notes.contains("max |gap| 6"),
        "{}",
        r.provenance.notes
    );
}

#[test]
fn rows_and_columns_in_another_order_are_put_region_major() {
    let t = sample(2);
    let n = t.n();
    let order: Vec<usize> = (0..n).rev().collect();
    let w = read_text(&synth::wiod2013_csv(&t, &vec![0.0; n], &order), None).unwrap();
    // Regions come in the header's order (reversed here), sectors too: map back through the labels.
    let r = &w.table;
    let index = |i: usize| {
        let (ri, si) = r.labels.node(i);
        let rc = &r.labels.regions[ri].code;
        let sc: usize = r.labels.sectors[si].code[1..].parse().unwrap();
        t.labels.region_index(rc).unwrap() * t.labels.sectors.len() + sc - 1
    };
    for i in 0..n {
        assert!(close(r.x[i], t.x[index(i)]));
        for j in 0..n {
            assert!(close(r.z.get(i, j), t.z.get(index(i), index(j))));
        }
    }
}

#[test]
fn a_node_with_negative_row_sum_is_made_inactive_and_reported() {
    let t = sample(3);
    let n = t.n();
    let mut text = synth::wiod2013_csv(&t, &vec![0.0; n], &(0..n).collect::<Vec<_>>());
    // Node R02/c3 (node 1·4+2 = 6, on line 7): its household demand in R01 made hugely negative.
    let node = 4 + 2;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1 + node].split(',').map(String::from).collect();
    cells[1 + n] = "-1000000".into();
    lines[1 + node] = cells.join(",");
    text = lines.join("\n") + "\n";
    let w = read_text(&text, None).unwrap();
    let label = w.table.labels.node_label(node);
    assert_eq!(w.diagnostics.inactive, vec![node], "{label}");
    assert_eq!(w.table.x[node], 0.0);
    assert!((0..n).all(|j| w.table.z.get(node, j) == 0.0 && w.table.z.get(j, node) == 0.0));
    assert!(w.diagnostics.negative_cells >= 1);
    assert!(
        w.table.provenance.notes.contains(&label),
        "{}",
        w.table.provenance.notes
    );
}

fn err_of(edit: impl Fn(String) -> String) -> String {
    let t = sample(4);
    let n = t.n();
    let text = edit(synth::wiod2013_csv(
        &t,
        &vec![0.0; n],
        &(0..n).collect::<Vec<_>>(),
    ));
    read_text(&text, None).unwrap_err().to_string()
}

#[test]
fn bad_input_names_file_row_and_column() {
    let e = err_of(|s| s.replacen("\nR01_c2,", "\nR01_c2,1,", 1));
    assert!(
        e.contains("wiod2013_2000.csv")
            && e.contains("line 3 (row R01_c2)")
            && e.contains("ragged"),
        "{e}"
    );
    let e = err_of(|s| {
        let mut lines: Vec<String> = s.lines().map(String::from).collect();
        let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
        cells[3] = "1.2.3".into();
        lines[2] = cells.join(",");
        lines.join("\n")
    });
    assert!(
        e.contains("wiod2013_2000.csv: row R01_c2, column R01_c3") && e.contains("not a number"),
        "{e}"
    );
    let e = err_of(|s| s.replacen(",GO\n", ",OUT\n", 1));
    assert!(e.contains("OUT") && e.contains("column"), "{e}");
    let e = err_of(|s| s.replacen("R01_HFCE", "R01_XFCE", 1));
    assert!(e.contains("R01_XFCE"), "{e}");
    let e = err_of(|s| {
        s.lines()
            .filter(|l| !l.starts_with("R02_c2"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    assert!(e.contains("R02_c2") && e.contains("missing"), "{e}");
    let e = err_of(|s| {
        let row = s
            .lines()
            .find(|l| l.starts_with("R01_c1"))
            .unwrap()
            .to_string();
        s + &row + "\n"
    });
    assert!(e.contains("R01_c1") && e.contains("twice"), "{e}");
    let e = err_of(|s| s.replacen("R03_c4,", "R03_c9,", 1));
    assert!(e.contains("column"), "{e}");
    let e = err_of(|s| s + "TOTAL,1\n");
    assert!(e.contains("TOTAL"), "{e}");
    assert!(
        read_text("", None)
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
}

#[test]
fn year_files_and_sector_names_come_from_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "wiod2013_2001.csv.gz",
        "wiod2013_1999.csv",
        "notes.txt",
        "wiod2013_x.csv",
    ] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    let years = wiod2013::year_files(dir.path()).unwrap();
    assert_eq!(years.iter().map(|y| y.0).collect::<Vec<_>>(), [1999, 2001]);
    std::fs::write(dir.path().join("wiod2013_2001.csv"), "").unwrap();
    let e = wiod2013::year_files(dir.path()).unwrap_err().to_string();
    assert!(e.contains("2001") && e.contains("twice"), "{e}");
    let names = dir.path().join(wiod2013::SECTORS_FILE);
    std::fs::write(
        &names,
        "code,name\nc1,\"Agriculture, Hunting\"\nc2,Mining\n",
    )
    .unwrap();
    let map = wiod2013::read_sector_names(&names).unwrap();
    assert_eq!(map["c1"], "Agriculture, Hunting");
    std::fs::write(&names, "code,name\nc1,A\nc1,B\n").unwrap();
    let e = wiod2013::read_sector_names(&names).unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("c1"), "{e}");
}

/// Three years of one layout (seeds differ), as the store receives them from the reader.
fn years_of(seeds: &[(i32, u64)]) -> Vec<SeriesYear> {
    seeds
        .iter()
        .map(|&(year, seed)| {
            let t = sample(seed);
            let n = t.n();
            let text = synth::wiod2013_csv(&t, &vec![1.0; n], &(0..n).collect::<Vec<_>>());
            let name = format!("wiod2013_{year}.csv");
            let w = wiod2013::read_from(
                text.as_bytes(),
                &name,
                &name,
                "w",
                Some(year),
                &HashMap::new(),
            )
            .unwrap();
            w.into_series_year()
        })
        .collect()
}

fn info(name: &str) -> SeriesInfo {
    SeriesInfo {
        name: name.into(),
        title: "test series".into(),
        source: "generated".into(),
        notes: String::new(),
    }
}

#[test]
fn a_series_is_stored_per_year_and_opened_by_year() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let years = years_of(&[(2001, 11), (1999, 12), (2000, 13)]);
    let expected: Vec<Mrio> = years.iter().map(|y| y.table.clone()).collect();
    let (dir, written) = store::write_series(
        h,
        &info("w"),
        WriteMode::CreateNew,
        Wait::Forever,
        years.into_iter().map(Ok),
    )
    .unwrap();
    assert_eq!(written, [1999, 2000, 2001]);
    assert!(dir.join("years/2000/go_published.npy").is_file());
    let meta = store::meta(h, "w").unwrap();
    assert_eq!(meta.years(), [1999, 2000, 2001]);
    assert_eq!(meta.year, Some(2001));
    assert_eq!(meta.format_version, 2);
    assert_eq!(meta.series[0].arrays, ["go_published.npy"]);
    for t in &expected {
        let y = t.provenance.year;
        let back = store::open_year(h, "w", y).unwrap();
        assert_eq!(back.provenance.year, y);
        assert_eq!(back.z, t.z);
        assert_eq!(back.x, t.x);
        assert_eq!(back.provenance.notes, t.provenance.notes);
    }
    let latest = store::open(h, "w").unwrap();
    assert_eq!(latest.provenance.year, Some(2001));
    let e = store::open_year(h, "w", Some(1990)).unwrap_err();
    assert!(matches!(e, Error::Request(_)), "{e:?}");
    let e = e.to_string();
    assert!(
        e.contains("no year 1990") && e.contains("1999–2001 (3)"),
        "{e}"
    );
    let listed = store::list(h).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].years(), [1999, 2000, 2001]);
}

#[test]
fn a_series_whose_labels_differ_names_the_year_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut years = years_of(&[(1999, 1), (2000, 2)]);
    let other = synth::table(
        "sample",
        synth::Spec {
            regions: 4,
            sectors: 3,
            seed: 3,
            ..Default::default()
        },
    )
    .unwrap();
    let text = synth::wiod2013_csv(
        &other,
        &vec![0.0; other.n()],
        &(0..other.n()).collect::<Vec<_>>(),
    );
    let w = wiod2013::read_from(
        text.as_bytes(),
        "wiod2013_2001.csv",
        "wiod2013_2001.csv",
        "w",
        Some(2001),
        &HashMap::new(),
    )
    .unwrap();
    years.push(w.into_series_year());
    let e = store::write_series(
        h,
        &info("w"),
        WriteMode::CreateNew,
        Wait::Forever,
        years.into_iter().map(Ok),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("wiod2013_2001.csv") && e.contains("year 2001"),
        "{e}"
    );
    assert!(store::list(h).unwrap().is_empty(), "nothing is published");
    // A year that fails to read stops the series the same way.
    let mut years: Vec<sovra_core::Result<SeriesYear>> =
        years_of(&[(1999, 1)]).into_iter().map(Ok).collect();
    years.push(read_text("row,GO\n", Some(2000)).map(|w| w.into_series_year()));
    assert!(
        store::write_series(h, &info("w"), WriteMode::CreateNew, Wait::Forever, years).is_err()
    );
    assert!(store::list(h).unwrap().is_empty());
}

#[test]
fn a_single_year_dataset_opens_as_before_and_names_its_year() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut t = sample(5);
    t.provenance.year = Some(2022);
    store::write(h, &t, WriteMode::CreateNew).unwrap();
    assert_eq!(store::meta(h, "sample").unwrap().format_version, 1);
    assert_eq!(store::open_year(h, "sample", Some(2022)).unwrap().x, t.x);
    assert_eq!(store::open_year(h, "sample", None).unwrap().x, t.x);
    let e = store::open_year(h, "sample", Some(2011))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no year 2011") && e.contains("of 2022"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any table read back: x = Z1 + Y1, v = x − Zᵀ1, and the reported gap is GO − x.
    #[test]
    fn output_value_added_and_gap_follow_their_definitions(seed in 0u64..1000, gap_scale in 0.0f64..50.0) {
        let t = sample(seed);
        let n = t.n();
        let gap: Vec<f64> = (0..n).map(|i| gap_scale * ((i % 3) as f64 - 1.0)).collect();
        let w = read_text(&synth::wiod2013_csv(&t, &gap, &(0..n).collect::<Vec<_>>()), None).unwrap();
        let r = &w.table;
        let rows = r.z.row_sums();
        let fd = r.y.row_sums();
        let cols = r.z.col_sums();
        for i in 0..n {
            prop_assert!(close(r.x[i], rows[i] + fd[i]));
            prop_assert!(close(r.v[i], r.x[i] - cols[i]));
            prop_assert!(close(w.diagnostics.go_gap[i], w.go_published[i] - r.x[i]));
        }
    }

    /// Damaged text is an error or a table, never a panic.
    #[test]
    fn damaged_text_never_panics(cut in 0usize..4000, byte in any::<u8>(), at in 0usize..4000) {
        let t = sample(7);
        let n = t.n();
        let mut bytes = synth::wiod2013_csv(&t, &vec![0.0; n], &(0..n).collect::<Vec<_>>()).into_bytes();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        bytes.truncate(cut.min(bytes.len()));
        let _ = wiod2013::read_from(&bytes[..], "f.csv", "f.csv", "w", None, &HashMap::new());
    }
}

/// The real release, one year, when `../shared/data/wiod2013` is beside the clone.
#[test]
fn the_real_wiod_2011_reads_with_the_documented_cleaning() {
    let Some(dir) = shared_data::or_notice("wiod2013", "the real WIOD 2013 reader check") else {
        return;
    };
    let w = wiod2013::read(&dir.join("wiod2013_2011.csv.gz"), "wiod2013", None).unwrap();
    let t = &w.table;
    assert_eq!((t.labels.regions.len(), t.labels.sectors.len()), (41, 35));
    assert_eq!(t.labels.final_demand.len(), 41 * 5);
    assert_eq!(t.provenance.year, Some(2011));
    assert!(t.labels.region_index("ROU").is_some() && t.labels.region_index("ROM").is_none());
    assert!(t.labels.final_demand.iter().any(|c| c.region == "ROU"));
    assert_eq!(
        t.labels.sectors[0].name,
        "Agriculture, Hunting, Forestry and Fishing"
    );
    let inactive: Vec<String> = w
        .diagnostics
        .inactive
        .iter()
        .map(|&i| t.labels.node_label(i))
        .collect();
    assert_eq!(
        inactive,
        ["LUX/c5", "LUX/c8"],
        "the nodes the conformance cleans too"
    );
    let d = &w.diagnostics;
    assert!(
        d.go_gap_mean_abs > 1.0 && d.go_gap_mean_abs < 200.0,
        "{}",
        d.go_gap_mean_abs
    );
    assert!(d.go_gap_max_abs.0 <= 200.0, "{:?}", d.go_gap_max_abs);
    eprintln!("WIOD 2011: {}", t.provenance.notes);
}

#[test]
fn a_gzipped_file_reads_with_its_year_from_the_name_and_sector_names_beside_it() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let t = sample(8);
    let n = t.n();
    let text = synth::wiod2013_csv(&t, &vec![0.0; n], &(0..n).collect::<Vec<_>>());
    let path = dir.path().join("wiod2013_1997.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::write(
        dir.path().join(wiod2013::SECTORS_FILE),
        "code,name\nc1,Farming\nc2,Mining\nc3,Food\nc4,Textiles\n",
    )
    .unwrap();
    let w = wiod2013::read(&path, "w", None).unwrap();
    assert_eq!(w.table.provenance.year, Some(1997));
    assert_eq!(w.table.labels.sectors[2].name, "Food");
    assert!(w.table.provenance.source_sha256.is_some());
    assert!(w.table.provenance.source.contains("wiod2013_1997.csv.gz"));
}

/// The real release as a series: all 17 years agree on their labels and go into one dataset; every year's
/// cleaning is reported. Skipped with a notice when `../shared/data/wiod2013` is absent.
#[test]
fn the_real_wiod_years_form_one_series() {
    let Some(dir) = shared_data::or_notice("wiod2013", "the real WIOD 2013 series check") else {
        return;
    };
    let started = std::time::Instant::now();
    let names = wiod2013::read_sector_names(&dir.join(wiod2013::SECTORS_FILE)).unwrap();
    let files = wiod2013::year_files(&dir).unwrap();
    assert_eq!(files.len(), 17);
    let home = tempfile::tempdir().unwrap();
    let mut inactive: Vec<(i32, Vec<String>)> = Vec::new();
    let years = files.iter().map(|(year, file)| {
        wiod2013::read_with(file, "wiod2013", Some(*year), &names).map(|w| {
            let l = &w.table.labels;
            inactive.push((
                *year,
                w.diagnostics
                    .inactive
                    .iter()
                    .map(|&i| l.node_label(i))
                    .collect(),
            ));
            w.into_series_year()
        })
    });
    let (_, written) = store::write_series(
        home.path(),
        &info("wiod2013"),
        WriteMode::CreateNew,
        Wait::Forever,
        years,
    )
    .unwrap();
    assert_eq!(written, (1995..=2011).collect::<Vec<_>>());
    eprintln!(
        "WIOD 1995–2011 read and stored in {:.1} s; nodes made inactive: {inactive:?}",
        started.elapsed().as_secs_f64()
    );
    let t = store::open_year(home.path(), "wiod2013", Some(2004)).unwrap();
    assert_eq!(t.provenance.year, Some(2004));
    assert!(
        t.provenance.notes.contains("LUX/c8"),
        "{}",
        t.provenance.notes
    );
}
