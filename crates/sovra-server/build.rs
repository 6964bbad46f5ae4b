//! Compiles the browser files into the binary: every file of `web/dashboard/` (the dashboard, served at `/` and
//! `/dashboard/<file>`) and every file `web/vendor/MANIFEST.tsv` lists (served at `/assets/<dir>/<file>`).
//! Writes `$OUT_DIR/web_assets.rs` with two tables of `include_bytes!`; nothing is read at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn media(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    }
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let dashboard = web.join("dashboard");
    let vendor = web.join("vendor");
    println!("cargo:rerun-if-changed={}", dashboard.display());
    println!(
        "cargo:rerun-if-changed={}",
        vendor.join("MANIFEST.tsv").display()
    );

    let mut out = String::new();
    out.push_str("/// `(file, media type, bytes)` of `web/dashboard/`.\npub(crate) const DASHBOARD: &[(&str, &str, &[u8])] = &[\n");
    let mut files: Vec<String> = std::fs::read_dir(&dashboard)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for file in &files {
        let path = dashboard.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({file:?}, {:?}, include_bytes!({:?})),",
            media(file),
            abs(&path)
        )
        .ok();
    }
    out.push_str("];\n\n/// `(dir, file, media type, bytes)` of `web/vendor/`, as `MANIFEST.tsv` lists them.\npub(crate) const VENDOR: &[(&str, &str, &str, &[u8])] = &[\n");
    let text =
        std::fs::read_to_string(vendor.join("MANIFEST.tsv")).expect("web/vendor/MANIFEST.tsv");
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            continue;
        }
        let (dir, file) = (cols[0], cols[5]);
        let path = vendor.join(dir).join(file);
        writeln!(
            out,
            "    ({dir:?}, {file:?}, {:?}, include_bytes!({:?})),",
            media(file),
            abs(&path)
        )
        .ok();
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web_assets.rs");
    std::fs::write(dest, out).expect("write web_assets.rs");
}

fn abs(path: &Path) -> String {
    path.canonicalize()
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
