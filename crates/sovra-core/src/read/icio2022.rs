//! The default dataset `icio2022`: OECD Inter-Country Input-Output tables, 2025 release, year 2022,
//! 80 countries × 50 sectors, as shipped in the PyPI wheel `sanction-simulator==0.1.4`
//! (`sanction_simulator/data/bench_cache.npz`, with the country and sector name mappings beside it).
//!
//! The npz holds `A` (input shares, columns sum to 1 for active buyers), `omb` (intermediate cost share of
//! output, capped at 0.98), `s` (model-consistent output), `z` (final use), in sector-major node order
//! (`node = sector × 80 + country`); the rest-of-world aggregate is dropped. The balanced table is
//! `Z = A · diag(omb ∘ s)`, `x = s`, final use `Y = z` (one column: final demand of all destinations
//! together, not split by destination), value added `v = s ∘ (1 − omb)`. Nodes are reordered region-major.

use std::io::{Cursor, Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::labels::{Code, FdColumn, Labels, WORLD};
use crate::npy;
use crate::read::oecd_names;
use crate::table::{BalanceTolerance, Dense, Mrio, Parts, Provenance};

/// The PyPI requirement that ships the data.
pub const REQUIREMENT: &str = "sanction-simulator==0.1.4";
/// Path of the array archive inside the wheel.
pub const NPZ_MEMBER: &str = "sanction_simulator/data/bench_cache.npz";
/// Title of the dataset.
pub const TITLE: &str = "OECD ICIO 2025 release, year 2022, as rebuilt by sanction-simulator";

/// Where it comes from, in the words every report's provenance carries.
pub const SOURCE: &str = "sanction-simulator's rebuild of the OECD Inter-Country Input-Output tables (2025 release): \
     PyPI sanction-simulator==0.1.4, sanction_simulator/data/bench_cache.npz";

/// sha256 of `bench_cache.npz` in that release.
pub const NPZ_SHA256: &str = "572753a929a2916dde290c8a3925599ac7f0f2e398b499a550e9cd5dc92f61c7";
const COUNTRY_MAP: &str = "sanction_simulator/data/OECD_ICIO_2025_country_code_mapping.csv";
const SECTOR_MAP: &str = "sanction_simulator/data/OECD_ICIO_2025_sector_code_mapping.csv";

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn zip_err(file: &str, e: impl std::fmt::Display) -> Error {
    Error::Format {
        file: file.into(),
        detail: format!("not a readable zip archive: {e}"),
    }
}

fn member_bytes<R: Read + Seek>(
    z: &mut zip::ZipArchive<R>,
    file: &str,
    name: &str,
) -> Result<Vec<u8>> {
    let mut m = z.by_name(name).map_err(|_| Error::Format {
        file: file.into(),
        detail: format!("member '{name}' is missing"),
    })?;
    let mut out = Vec::with_capacity((m.size() as usize).min(1 << 28));
    m.read_to_end(&mut out).map_err(|e| Error::Format {
        file: format!("{file}:{name}"),
        detail: format!("truncated or corrupt member: {e}"),
    })?;
    Ok(out)
}

fn read_map(bytes: &[u8], file: &str) -> Result<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| Error::Format {
            file: file.into(),
            detail: format!("line {}: {e}", i + 2),
        })?;
        if rec.len() < 2 {
            return Err(Error::Format {
                file: file.into(),
                detail: format!("line {}: expected code,name", i + 2),
            });
        }
        out.push((rec[0].trim().to_string(), rec[1].trim().to_string()));
    }
    Ok(out)
}

/// Reads the table from a `sanction-simulator` wheel file, checking the sha256 of the npz.
pub fn read_wheel(path: &Path) -> Result<Mrio> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut wheel =
        zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| zip_err(&file, e))?;
    let npz = member_bytes(&mut wheel, &file, NPZ_MEMBER)?;
    let found = sha256_hex(&npz);
    if found != NPZ_SHA256 {
        return Err(Error::Checksum {
            file: format!("{file}:{NPZ_MEMBER}"),
            expected: NPZ_SHA256.into(),
            found,
        });
    }
    let countries = read_map(&member_bytes(&mut wheel, &file, COUNTRY_MAP)?, COUNTRY_MAP)?;
    let sectors = read_map(&member_bytes(&mut wheel, &file, SECTOR_MAP)?, SECTOR_MAP)?;
    read_npz(
        &npz,
        &format!("{file}:{NPZ_MEMBER}"),
        &countries,
        &sectors,
        Some(found),
    )
}

/// Reads the table from the bytes of `bench_cache.npz`; `countries`/`sectors` map codes to names
/// (codes missing there get a built-in name or keep their code).
pub fn read_npz(
    npz: &[u8],
    file: &str,
    countries: &[(String, String)],
    sectors: &[(String, String)],
    sha256: Option<String>,
) -> Result<Mrio> {
    let mut z = zip::ZipArchive::new(Cursor::new(npz)).map_err(|e| zip_err(file, e))?;
    let mut arr = |name: &str| -> Result<npy::NpyArray> {
        let b = member_bytes(&mut z, file, name)?;
        npy::read_f64(&mut b.as_slice(), &format!("{file}:{name}"))
    };
    let a = arr("A.npy")?;
    let omb = arr("omb.npy")?;
    let s = arr("s.npy")?;
    let fu = arr("z.npy")?;
    let cs = {
        let b = member_bytes(&mut z, file, "countries.npy")?;
        npy::read_strings(&mut b.as_slice(), &format!("{file}:countries.npy"))?
    };
    let ss = {
        let b = member_bytes(&mut z, file, "sectors.npy")?;
        npy::read_strings(&mut b.as_slice(), &format!("{file}:sectors.npy"))?
    };
    super::check_unique(&cs, file, "country")?;
    super::check_unique(&ss, file, "sector")?;
    let (nc, ns) = (cs.len(), ss.len());
    let n = nc * ns;
    if n == 0 {
        return Err(Error::Format {
            file: file.into(),
            detail: "no countries or no sectors".into(),
        });
    }
    for (name, got, want) in [
        ("A.npy", a.shape.clone(), vec![n, n]),
        ("omb.npy", omb.shape.clone(), vec![n]),
        ("s.npy", s.shape.clone(), vec![n]),
        ("z.npy", fu.shape.clone(), vec![n]),
    ] {
        if got != want {
            return Err(Error::Format {
                file: format!("{file}:{name}"),
                detail: format!(
                    "shape {got:?}, expected {want:?} for {nc} countries × {ns} sectors"
                ),
            });
        }
    }
    // old (sector-major) index of new (region-major) node r*ns + k
    let old = |i: usize| (i % ns) * nc + i / ns;
    let label = |i: usize| format!("{}/{}", cs[i / ns], ss[i % ns]);
    for (name, v) in [("omb", &omb.data), ("s", &s.data), ("z", &fu.data)] {
        if let Some(i) = (0..n).find(|&i| !v[old(i)].is_finite() || v[old(i)] < 0.0) {
            return Err(Error::Cell {
                file: format!("{file}:{name}.npy"),
                row: label(i),
                column: name.into(),
                detail: format!("value {} must be finite and non-negative", v[old(i)]),
            });
        }
    }
    let capped = omb
        .data
        .iter()
        .filter(|o| (**o - 0.98).abs() < 1e-12)
        .count();
    let scale: Vec<f64> = (0..n).map(|j| omb.data[old(j)] * s.data[old(j)]).collect();
    let mut zmat = Dense::zeros(n, n);
    for i in 0..n {
        let src = &a.data[old(i) * n..(old(i) + 1) * n];
        let dst = &mut zmat.data[i * n..(i + 1) * n];
        for (j, d) in dst.iter_mut().enumerate() {
            *d = src[old(j)] * scale[j];
        }
    }
    let x: Vec<f64> = (0..n).map(|i| s.data[old(i)]).collect();
    let v: Vec<f64> = (0..n)
        .map(|i| s.data[old(i)] * (1.0 - omb.data[old(i)]))
        .collect();
    let y = Dense::from_vec(n, 1, (0..n).map(|i| fu.data[old(i)]).collect())?;
    let find = |list: &[(String, String)], builtin: &[(&str, &str)], c: &str| {
        list.iter()
            .find(|(k, _)| k == c)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| oecd_names::name_of(builtin, c))
    };
    let labels = Labels {
        regions: cs
            .iter()
            .map(|c| Code {
                code: c.clone(),
                name: find(countries, oecd_names::REGIONS, c),
            })
            .collect(),
        sectors: ss
            .iter()
            .map(|c| Code {
                code: c.clone(),
                name: find(sectors, oecd_names::SECTORS, c),
            })
            .collect(),
        final_demand: vec![FdColumn {
            region: WORLD.into(),
            category: "final use".into(),
        }],
        stressors: Vec::new(),
    };
    let provenance = Provenance {
        name: "icio2022".into(),
        title: TITLE.into(),
        source: SOURCE.into(),
        year: Some(2022),
        units: "USD million".into(),
        source_sha256: sha256,
        written_by: String::new(),
        notes: format!(
            "80 countries x 50 sectors. Rest of world dropped; rebalanced from the model's own output s: \
             Z = A diag(omb s), x = s, final use z (all destinations together, not split by destination), \
             value added v = s (1 - omb); intermediate cost shares omb capped at 0.98 by sanction-simulator \
             ({capped} node(s) at the cap). Not the OECD's published Z: use an OECD ICIO CSV \
             (`sovra data import --format oecd-icio-csv`) for the table as published."
        ),
    };
    let tol = BalanceTolerance {
        relative: 1e-6,
        floor_of_max: 1e-9,
    };
    Mrio::from_parts(
        Parts {
            labels,
            z: zmat,
            y,
            x: Some(x),
            v: Some(v),
            f: None,
            f_y: None,
            provenance,
        },
        tol,
    )
}
