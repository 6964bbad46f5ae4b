//! Compiles the browser files into the binary: every file of `web/dashboard/` (the dashboard, served at `/` and
//! `/dashboard/<file>`), the dashboard's default inputs made from `examples/` (`/dashboard/examples.js`, so the
//! page's examples are the project's files, not copies of them) and every file `web/vendor/MANIFEST.tsv` lists
//! (served at `/assets/<dir>/<file>`). Writes `$OUT_DIR/web_assets.rs` with two tables of `include_bytes!`;
//! nothing is read at run time.

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
    files.retain(|f| f != "examples.js");
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
    // The Projects and Monitoring views' default inputs: the project's example files, as JS strings.
    let examples = manifest.join("../../examples");
    let mut js = String::from(
        "// Made by crates/sovra-server/build.rs from examples/: the Projects and Monitoring views' default\n\
         // inputs (illustrative, not official).\n",
    );
    for (name, file) in [
        ("PROJECTS_TOML", "union-state-projects.toml"),
        ("PROGRAMME_TOML", "rus-programme.toml"),
    ] {
        let path = examples.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("an example file");
        writeln!(js, "export const {name} = {};", js_string(&text)).ok();
    }
    let generated =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("examples.js");
    std::fs::write(&generated, js).expect("write examples.js");
    writeln!(
        out,
        "    (\"examples.js\", {:?}, include_bytes!({:?})),",
        media("examples.js"),
        abs(&generated)
    )
    .ok();
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

/// A JavaScript string literal (JSON's escapes).
fn js_string(text: &str) -> String {
    let mut o = String::with_capacity(text.len() + 2);
    o.push('"');
    for c in text.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '<' => o.push_str("\\u003c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                write!(o, "\\u{:04x}", c as u32).ok();
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn abs(path: &Path) -> String {
    path.canonicalize()
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
