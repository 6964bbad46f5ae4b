//! Readers on small generated inputs: round trips through the native store, and one test per kind of bad
//! input, each checking that the error names the file, the row and the column.

#![allow(clippy::needless_range_loop)] // index loops read like the formulas they check

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sovra_core::read::{icio2022, oecd_icio_csv, pymrio};
use sovra_core::table::Parts;
use sovra_core::{Error, Mrio, store, synth};

/// Writes a table in the raw OECD ICIO CSV layout (2025 release labels).
fn oecd_csv(t: &Mrio) -> String {
    oecd_csv_in(t, &(0..t.n()).collect::<Vec<_>>())
}

/// [`oecd_csv`] with the industry rows and columns in the node order `order` (`order[k]` is the node written
/// k-th, in rows and in columns alike).
fn oecd_csv_in(t: &Mrio, order: &[usize]) -> String {
    let l = &t.labels;
    let n = t.n();
    assert_eq!(order.len(), n);
    let node = |i: usize| {
        let (r, s) = l.node(i);
        format!("{}_{}", l.regions[r].code, l.sectors[s].code)
    };
    let cats = ["HFCE", "GFCF"];
    let k = t.labels.final_demand.len();
    let mut s = String::from("V1");
    for &j in order {
        write!(s, ",{}", node(j)).unwrap();
    }
    for c in 0..k {
        let fd = &l.final_demand[c];
        write!(s, ",{}_{}", fd.region, cats[c % 2]).unwrap();
    }
    s.push_str(",OUT\n");
    for &i in order {
        s.push_str(&node(i));
        for &j in order {
            write!(s, ",{}", t.z.get(i, j)).unwrap();
        }
        for c in 0..k {
            write!(s, ",{}", t.y.get(i, c)).unwrap();
        }
        writeln!(s, ",{}", t.x[i]).unwrap();
    }
    // TLS = 10 % of value added, VA the rest; final-demand TLS 0.
    for (label, share) in [("TLS", 0.1), ("VA", 0.9)] {
        s.push_str(label);
        for &j in order {
            write!(s, ",{}", t.v[j] * share).unwrap();
        }
        for _ in 0..k {
            s.push_str(",0");
        }
        s.push_str(",\n");
    }
    s.push_str("OUT");
    for &j in order {
        write!(s, ",{}", t.x[j]).unwrap();
    }
    for _ in 0..k {
        s.push_str(",0");
    }
    s.push_str(",\n");
    s
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0))
}

fn sample() -> Mrio {
    synth::table("sample", synth::Spec::default()).unwrap()
}

#[test]
fn oecd_csv_round_trips_through_the_store() {
    let t = sample();
    let d = tmp();
    let p = write(d.path(), "2022_SML.csv", &oecd_csv(&t));
    let r = oecd_icio_csv::read(&p, "oecd", Some(2022)).unwrap();
    assert!(
        r.provenance.title.contains("2025 release"),
        "{}",
        r.provenance.title
    );
    assert!(close(&r.z.data, &t.z.data, 1e-12));
    assert!(close(&r.x, &t.x, 1e-12));
    assert!(close(&r.v, &t.v, 1e-9));
    assert_eq!(r.labels.final_demand.len(), 6);
    assert_eq!(r.labels.final_demand[1].category, "GFCF");
    assert_eq!(
        r.labels
            .stressors
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["TLS", "VA"]
    );
    let home = tmp();
    store::write(home.path(), &r, store::WriteMode::CreateNew).unwrap();
    let back = store::open(home.path(), "oecd").unwrap();
    assert_eq!(back.z, r.z);
    assert_eq!(back.y, r.y);
    assert_eq!(back.f, r.f);
    assert_eq!(back.labels, r.labels);
    assert_eq!(back.provenance.year, Some(2022));
    // Writing again replaces atomically and leaves no temporary directory behind.
    store::write(home.path(), &r, store::WriteMode::Replace).unwrap();
    let names: Vec<String> = std::fs::read_dir(home.path().join("datasets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["oecd"]);
}

#[test]
fn oecd_csv_in_sector_major_order_is_reordered() {
    // Industry rows and columns both in sector-major order (sector by sector, every region within it), as
    // some releases are laid out: the reader must give back the region-major table, cell for cell.
    let t = sample();
    let (nr, ns) = (t.labels.regions.len(), t.labels.sectors.len());
    assert!(
        nr > 1 && ns > 1,
        "the sample must have several regions and sectors"
    );
    let order: Vec<usize> = (0..ns)
        .flat_map(|s| (0..nr).map(move |r| r * ns + s))
        .collect();
    let text = oecd_csv_in(&t, &order);
    // The file really is in another order: its first two industry columns are two regions of one sector.
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(&head[1..3], ["R01_S01", "R02_S01"]);
    let d = tmp();
    let p = write(d.path(), "sector_major.csv", &text);
    let r = oecd_icio_csv::read(&p, "sm", None).unwrap();
    let codes =
        |v: &[sovra_core::labels::Code]| v.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&r.labels.regions), codes(&t.labels.regions));
    assert_eq!(codes(&r.labels.sectors), codes(&t.labels.sectors));
    assert!(close(&r.z.data, &t.z.data, 1e-12));
    assert!(close(&r.y.data, &t.y.data, 1e-12));
    assert!(close(&r.x, &t.x, 1e-12));
    assert!(close(&r.v, &t.v, 1e-9));
}

fn oecd_err(edit: impl Fn(String) -> String) -> String {
    let d = tmp();
    let p = write(d.path(), "bad.csv", &edit(oecd_csv(&sample())));
    oecd_icio_csv::read(&p, "bad", None)
        .unwrap_err()
        .to_string()
}

#[test]
fn oecd_ragged_row_names_file_line_and_row() {
    let e = oecd_err(|s| s.replacen("\nR01_S02,", "\nR01_S02,1,", 1));
    assert!(
        e.contains("bad.csv") && e.contains("ragged") && e.contains("R01_S02"),
        "{e}"
    );
}

#[test]
fn oecd_non_number_names_row_and_column() {
    let e = oecd_err(|s| {
        let mut lines: Vec<String> = s.lines().map(String::from).collect();
        let mut f: Vec<String> = lines[2].split(',').map(String::from).collect();
        f[3] = "12,5x".replace(',', "");
        lines[2] = f.join(",");
        lines.join("\n")
    });
    assert!(
        e.contains("bad.csv")
            && e.contains("row R01_S02")
            && e.contains("column R02_S01")
            && e.contains("'125x'"),
        "{e}"
    );
}

#[test]
fn oecd_nan_and_inf_are_rejected_with_location() {
    for bad in ["NaN", "inf"] {
        let e = oecd_err(|s| {
            let mut lines: Vec<String> = s.lines().map(String::from).collect();
            let mut f: Vec<String> = lines[1].split(',').map(String::from).collect();
            f[2] = bad.into();
            lines[1] = f.join(",");
            lines.join("\n")
        });
        assert!(
            e.contains("row R01_S01")
                && e.contains("column R01_S02")
                && e.contains("not a finite number"),
            "{e}"
        );
    }
}

#[test]
fn oecd_negative_output_is_rejected() {
    let e = oecd_err(|s| {
        let mut lines: Vec<String> = s.lines().map(String::from).collect();
        let f: Vec<String> = lines[1].split(',').map(String::from).collect();
        // Make R01_S01 sell nothing and report negative output, consistently in the row.
        let n = f.len();
        let mut g: Vec<String> = vec![f[0].clone()];
        g.extend(std::iter::repeat_n("0".to_string(), n - 3));
        g.push("-5".into());
        g.push("-5".into());
        lines[1] = g.join(",");
        lines.join("\n")
    });
    assert!(
        e.contains("negative gross output") || e.contains("does not balance"),
        "{e}"
    );
    assert!(e.contains("R01/S01"), "{e}");
}

#[test]
fn oecd_duplicate_and_unknown_labels() {
    let e = oecd_err(|s| s.replacen("\nR01_S02,", "\nR01_S01,", 1));
    assert!(e.contains("duplicate row label 'R01_S01'"), "{e}");
    let e = oecd_err(|s| s.replacen("\nR01_S02,", "\nXYZ,", 1));
    assert!(e.contains("row 'XYZ'"), "{e}");
    let e = oecd_err(|s| s.replacen(",R02_S01,", ",R02_S01X,", 1));
    assert!(e.contains("full grid") || e.contains("R02_S01X"), "{e}");
}

#[test]
fn oecd_unbalanced_table_names_node() {
    let e = oecd_err(|s| {
        let mut lines: Vec<String> = s.lines().map(String::from).collect();
        let mut f: Vec<String> = lines[3].split(',').map(String::from).collect();
        let last = f.len() - 1;
        let v: f64 = f[last].parse().unwrap();
        f[last] = format!("{}", v * 1.01);
        lines[3] = f.join(",");
        lines.join("\n")
    });
    assert!(
        e.contains("does not balance") && e.contains("R02/S01"),
        "{e}"
    );
}

#[test]
fn oecd_unknown_release_is_an_error_not_a_guess() {
    let e = oecd_err(|s| s.replace("\nTLS,", "\nTAX,"));
    assert!(
        e.contains("cannot detect the OECD ICIO release") || e.contains("row 'TAX'"),
        "{e}"
    );
}

#[test]
fn oecd_2018_labels_are_detected() {
    let t = sample();
    let text = oecd_csv(&t)
        .replace("\nTLS,", "\nTAXSUB,")
        .replace("\nVA,", "\nVALU,")
        .replace("\nOUT,", "\nOUTPUT,")
        .replace(",OUT\n", ",TOTAL\n");
    let d = tmp();
    let p = write(d.path(), "2015.csv", &text);
    let r = oecd_icio_csv::read(&p, "old", None).unwrap();
    assert!(
        r.provenance.title.contains("2018 release"),
        "{}",
        r.provenance.title
    );
}

#[test]
fn empty_file_is_an_error() {
    let d = tmp();
    let p = write(d.path(), "empty.csv", "");
    let e = oecd_icio_csv::read(&p, "e", None).unwrap_err().to_string();
    assert!(e.contains("empty.csv") && e.contains("empty"), "{e}");
}

/// Writes a pymrio save_all-style directory for a table.
fn pymrio_dir(t: &Mrio, dir: &Path) {
    let l = &t.labels;
    let n = t.n();
    let nodes: Vec<(String, String)> = (0..n)
        .map(|i| {
            let (r, s) = l.node(i);
            (l.regions[r].code.clone(), l.sectors[s].code.clone())
        })
        .collect();
    let mut z = String::from("region\t");
    nodes.iter().for_each(|(r, _)| write!(z, "\t{r}").unwrap());
    z.push_str("\nsector\t");
    nodes.iter().for_each(|(_, s)| write!(z, "\t{s}").unwrap());
    z.push_str("\nregion\tsector");
    z.push_str(&"\t".repeat(n));
    z.push('\n');
    let mut y = String::from("region\t");
    l.final_demand
        .iter()
        .for_each(|c| write!(y, "\t{}", c.region).unwrap());
    y.push_str("\ncategory\t");
    l.final_demand
        .iter()
        .for_each(|c| write!(y, "\t{}", c.category).unwrap());
    y.push_str("\nregion\tsector");
    y.push_str(&"\t".repeat(l.final_demand.len()));
    y.push('\n');
    for (i, (r, s)) in nodes.iter().enumerate() {
        write!(z, "{r}\t{s}").unwrap();
        write!(y, "{r}\t{s}").unwrap();
        (0..n).for_each(|j| write!(z, "\t{}", t.z.get(i, j)).unwrap());
        (0..l.final_demand.len()).for_each(|c| write!(y, "\t{}", t.y.get(i, c)).unwrap());
        z.push('\n');
        y.push('\n');
    }
    std::fs::write(dir.join("Z.txt"), z).unwrap();
    std::fs::write(dir.join("Y.txt"), y).unwrap();
    std::fs::write(
        dir.join("file_parameters.json"),
        r#"{"files": {"Z": {"name": "Z.txt", "nr_index_col": "2", "nr_header": "2"},
            "Y": {"name": "Y.txt", "nr_index_col": "2", "nr_header": "2"}}, "systemtype": "IOSystem"}"#,
    )
    .unwrap();
    let ext = dir.join("emissions");
    std::fs::create_dir_all(&ext).unwrap();
    let mut f = String::from("region\t");
    nodes.iter().for_each(|(r, _)| write!(f, "\t{r}").unwrap());
    f.push_str("\nsector\t");
    nodes.iter().for_each(|(_, s)| write!(f, "\t{s}").unwrap());
    f.push_str("\nstressor\tcompartment");
    f.push_str(&"\t".repeat(n));
    f.push_str("\nco2\tair");
    (0..n).for_each(|j| write!(f, "\t{}", t.f.get(0, j)).unwrap());
    f.push('\n');
    std::fs::write(ext.join("F.txt"), f).unwrap();
    std::fs::write(
        ext.join("unit.txt"),
        "stressor\tcompartment\tunit\nco2\tair\tkg\n",
    )
    .unwrap();
    std::fs::write(
        ext.join("file_parameters.json"),
        r#"{"files": {"F": {"name": "F.txt", "nr_index_col": "2", "nr_header": "2"},
            "unit": {"name": "unit.txt", "nr_index_col": "2", "nr_header": "1"}}, "systemtype": "Extension", "name": "Emissions"}"#,
    )
    .unwrap();
}

#[test]
fn pymrio_directory_round_trips() {
    let t = sample();
    let d = tmp();
    pymrio_dir(&t, d.path());
    let r = pymrio::read(d.path(), "pm", None).unwrap();
    assert!(close(&r.z.data, &t.z.data, 1e-12));
    assert!(close(&r.y.data, &t.y.data, 1e-12));
    assert!(close(&r.x, &t.x, 1e-12));
    assert_eq!(r.labels.stressors[0].name, "emissions/co2/air");
    assert_eq!(r.labels.stressors[0].unit, "kg");
    assert!(close(r.f.row(0), t.f.row(0), 1e-12));
    let home = tmp();
    store::write(home.path(), &r, store::WriteMode::CreateNew).unwrap();
    let back = store::open(home.path(), "pm").unwrap();
    assert_eq!(back.f, r.f);
    assert_eq!(back.labels, r.labels);
}

#[test]
fn pymrio_bad_inputs_name_file_row_and_column() {
    let t = sample();
    let d = tmp();
    pymrio_dir(&t, d.path());
    let z = std::fs::read_to_string(d.path().join("Z.txt")).unwrap();
    let bad = z.replacen("R01\tS02\t", "R01\tS02\tabc", 1);
    std::fs::write(d.path().join("Z.txt"), &bad).unwrap();
    let e = pymrio::read(d.path(), "pm", None).unwrap_err().to_string();
    assert!(
        e.contains("Z.txt") && e.contains("row R01/S02") && e.contains("column R01/S01"),
        "{e}"
    );
    let ragged = z.replacen("R01\tS02\t", "R01\tS02\t1\t", 1);
    std::fs::write(d.path().join("Z.txt"), &ragged).unwrap();
    let e = pymrio::read(d.path(), "pm", None).unwrap_err().to_string();
    assert!(
        e.contains("Z.txt") && e.contains("ragged") && e.contains("R01/S02"),
        "{e}"
    );
    std::fs::write(
        d.path().join("Z.txt"),
        z.replacen("R01\tS02\t", "R01\tS01\t", 1),
    )
    .unwrap();
    let e = pymrio::read(d.path(), "pm", None).unwrap_err().to_string();
    assert!(e.contains("duplicate") && e.contains("R01/S01"), "{e}");
    std::fs::remove_file(d.path().join("file_parameters.json")).unwrap();
    let e = pymrio::read(d.path(), "pm", None).unwrap_err().to_string();
    assert!(e.contains("file_parameters.json"), "{e}");
}

fn npz_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, bytes) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, bytes).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

fn npy(shape: &[usize], data: &[f64]) -> Vec<u8> {
    let mut b = Vec::new();
    sovra_core::npy::write_f64(&mut b, shape, data).unwrap();
    b
}

fn npy_str(items: &[&str]) -> Vec<u8> {
    let k = items.iter().map(|s| s.len()).max().unwrap_or(1);
    let mut dict = format!(
        "{{'descr': '<U{k}', 'fortran_order': False, 'shape': ({},), }}",
        items.len()
    );
    let total = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - total % 64) % 64));
    dict.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((dict.len() as u16).to_le_bytes());
    b.extend(dict.as_bytes());
    for s in items {
        let mut chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
        chars.resize(k, 0);
        chars.iter().for_each(|c| b.extend(c.to_le_bytes()));
    }
    b
}

/// A tiny npz in the sanction-simulator layout (sector-major): 2 countries × 2 sectors.
fn tiny_npz(a: &[f64]) -> Vec<u8> {
    let omb = [0.5, 0.4, 0.3, 0.6];
    let s = [100.0, 80.0, 60.0, 40.0];
    // z = s − A diag(omb) s
    let z: Vec<f64> = (0..4)
        .map(|i| s[i] - (0..4).map(|j| a[i * 4 + j] * omb[j] * s[j]).sum::<f64>())
        .collect();
    npz_of(&[
        ("A.npy", npy(&[4, 4], a)),
        ("omb.npy", npy(&[4], &omb)),
        ("s.npy", npy(&[4], &s)),
        ("z.npy", npy(&[4], &z)),
        ("countries.npy", npy_str(&["AAA", "BBB"])),
        ("sectors.npy", npy_str(&["X1", "Y2"])),
    ])
}

const TINY_A: [f64; 16] = [
    0.4, 0.1, 0.2, 0.3, 0.1, 0.5, 0.1, 0.2, 0.3, 0.2, 0.4, 0.1, 0.2, 0.2, 0.3, 0.4,
];

#[test]
fn npz_is_reordered_region_major_and_balanced() {
    let t = icio2022::read_npz(&tiny_npz(&TINY_A), "tiny.npz", &[], &[], None).unwrap();
    // old sector-major index of region-major node (r, s) is s*2 + r
    assert_eq!(t.labels.node_label(1), "AAA/Y2");
    assert_eq!(t.x, vec![100.0, 60.0, 80.0, 40.0]);
    // Z[(AAA,Y2),(BBB,X1)] = A_old[2,1] * omb[1] * s[1]
    assert!((t.z.get(1, 2) - 0.2 * 0.4 * 80.0).abs() < 1e-12);
    assert!((t.v[0] - 50.0).abs() < 1e-12);
}

#[test]
fn truncated_npz_is_an_error_naming_the_member() {
    let full = tiny_npz(&TINY_A);
    for cut in [10usize, full.len() / 2, full.len() - 30] {
        let e = icio2022::read_npz(&full[..cut], "bench_cache.npz", &[], &[], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bench_cache.npz"), "{e}");
    }
    let wrong = npz_of(&[("A.npy", npy(&[4, 4], &TINY_A))]);
    let e = icio2022::read_npz(&wrong, "x.npz", &[], &[], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("member 'omb.npy' is missing"), "{e}");
}

#[test]
fn npz_with_negative_output_names_the_node() {
    let mut bytes = tiny_npz(&TINY_A);
    // Rebuild with a negative s for BBB/X1 (sector-major index 1).
    let omb = [0.5, 0.4, 0.3, 0.6];
    let s = [100.0, -80.0, 60.0, 40.0];
    bytes.clear();
    bytes.extend(npz_of(&[
        ("A.npy", npy(&[4, 4], &TINY_A)),
        ("omb.npy", npy(&[4], &omb)),
        ("s.npy", npy(&[4], &s)),
        ("z.npy", npy(&[4], &[1.0; 4])),
        ("countries.npy", npy_str(&["AAA", "BBB"])),
        ("sectors.npy", npy_str(&["X1", "Y2"])),
    ]));
    let e = icio2022::read_npz(&bytes, "n.npz", &[], &[], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("n.npz:s.npy") && e.contains("BBB/X1"), "{e}");
}

#[test]
fn wheel_checksum_mismatch_is_reported() {
    let d = tmp();
    let p = d.path().join("sanction_simulator-0.1.4-py3-none-any.whl");
    std::fs::write(&p, npz_of(&[(icio2022::NPZ_MEMBER, tiny_npz(&TINY_A))])).unwrap();
    match icio2022::read_wheel(&p) {
        Err(Error::Checksum { expected, .. }) => assert_eq!(expected, icio2022::NPZ_SHA256),
        other => panic!("expected a checksum error, got {other:?}"),
    }
}

#[test]
fn store_rejects_corrupt_arrays_and_missing_datasets() {
    let home = tmp();
    let t = sample();
    let dir = store::write(home.path(), &t, store::WriteMode::CreateNew).unwrap();
    let e = store::open(home.path(), "nope").unwrap_err().to_string();
    assert!(
        e.contains("no dataset named 'nope'") && e.contains("sample"),
        "{e}"
    );
    let z = std::fs::read(dir.join("Z.npy")).unwrap();
    std::fs::write(dir.join("Z.npy"), &z[..z.len() - 8]).unwrap();
    let e = store::open(home.path(), "sample").unwrap_err().to_string();
    assert!(e.contains("Z.npy") && e.contains("truncated"), "{e}");
    std::fs::write(dir.join("meta.json"), "{").unwrap();
    let e = store::open(home.path(), "sample").unwrap_err().to_string();
    assert!(e.contains("meta.json"), "{e}");
}

#[test]
fn zero_output_with_inputs_is_rejected() {
    let t = sample();
    let mut z = t.z.clone();
    let mut y = t.y.clone();
    // Node 0 sells nothing and has no final demand → x = 0 but it still buys inputs.
    let n = t.n();
    for j in 0..n {
        z.data[j] = 0.0;
    }
    for c in 0..y.cols {
        y.data[c] = 0.0;
    }
    let e = Mrio::from_parts(
        Parts {
            labels: t.labels.clone(),
            z,
            y,
            x: None,
            v: None,
            f: None,
            f_y: None,
            provenance: t.provenance.clone(),
        },
        Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("zero output but buy intermediate inputs") && e.contains("R01/S01"),
        "{e}"
    );
}
