//! The README's printed examples are what sovra prints: every `sovra …` command shown in a ```text block of
//! README.md is run on icio2022 and its output compared line by line, at full precision. Only what varies
//! between runs of one binary is masked: residuals in scientific notation (`9.8e-11`) and wall times
//! (`(0.31 s)`). A `...` line in the README stands for output left out. The block right after the first
//! command (`cargo run --release -- depend …`) has no `$` line: it is that command's output.
//!
//! Blocks whose command cannot run here (placeholders `<…>`, pipes, `&`, `curl`) are left out, with the rest
//! of their block. `SOVRA_BLESS=1` rewrites the README's blocks with the current output. Needs icio2022 in
//! the store; with `SOVRA_REQUIRE_ICIO` set (the test script sets it) its absence is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// One command shown in the README, with the lines printed after it, and where they are.
struct Shown {
    args: Vec<String>,
    /// Line indices (0-based) of the output lines in the README.
    first: usize,
    end: usize,
}

/// Splits a shell-like command line (no quoting beyond "…" pairs, which the README uses for names with
/// spaces).
fn split_args(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in cmd.chars() {
        match ch {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn runnable(cmd: &str) -> bool {
    cmd.starts_with("sovra ")
        && !cmd.contains('<')
        && !cmd.contains('|')
        && !cmd.contains('&')
        && !cmd.contains('>')
}

/// The commands of the README's text blocks and where their outputs are.
fn shown(lines: &[&str]) -> Vec<Shown> {
    let mut out = Vec::new();
    let mut first_command: Option<String> = None;
    // Only the README's first `cargo run` is the main job whose output follows without a `$` line (a later
    // `cargo run --release -- serve` is not followed by its output).
    let mut first_seen = false;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if !first_seen && l.starts_with("cargo run --release -- ") {
            first_seen = true;
            let cmd = l["cargo run --release -- ".len()..]
                .split('#')
                .next()
                .unwrap_or("")
                .trim();
            first_command = Some(format!("sovra {cmd}"));
        }
        if l.trim_end() != "```text" {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = (start..lines.len())
            .find(|&k| lines[k].starts_with("```"))
            .expect("unterminated block");
        let mut k = start;
        if !lines[start].starts_with("$ ")
            && let Some(cmd) = first_command.take()
        {
            let next = (start..end)
                .find(|&j| lines[j].starts_with("$ "))
                .unwrap_or(end);
            out.push(Shown {
                args: split_args(&cmd)[1..].to_vec(),
                first: start,
                end: next,
            });
            k = next;
        }
        while k < end {
            let cmd = lines[k].trim_start_matches("$ ").trim();
            let next = (k + 1..end)
                .find(|&j| lines[j].starts_with("$ "))
                .unwrap_or(end);
            if !runnable(cmd) {
                break; // what follows in this block depends on it
            }
            out.push(Shown {
                args: split_args(cmd)[1..].to_vec(),
                first: k + 1,
                end: next,
            });
            k = next;
        }
        i = end + 1;
    }
    out
}

/// Masks what varies between runs of one binary: numbers in scientific notation and wall times
/// (`(0.31 s)`).
fn mask(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (k, w) in words.iter().enumerate() {
        let core = w.trim_end_matches([',', ')', ';', ':']);
        let tail = &w[core.len()..];
        let (lead, num) = match core.strip_prefix('(') {
            Some(n) => ("(", n),
            None => ("", core),
        };
        let is_num = num.parse::<f64>().is_ok();
        if is_num && lead == "(" && words.get(k + 1).is_some_and(|n| n.starts_with("s)")) {
            out.push("(<s>".to_string());
        } else if is_num && num.contains('e') {
            out.push(format!("{lead}<e>{tail}"));
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}

/// Compares the README's lines with the output; `...` skips output up to the README's next line.
fn compare(readme: &[&str], output: &[&str]) -> Result<(), String> {
    let mut o = 0;
    let mut k = 0;
    while k < readme.len() {
        let want = readme[k];
        if want.trim() == "..." {
            k += 1;
            match readme.get(k) {
                None => return Ok(()),
                Some(next) => {
                    let m = mask(next);
                    while o < output.len() && mask(output[o]) != m {
                        o += 1;
                    }
                    if o == output.len() {
                        return Err(format!("after '...', never printed: {next}"));
                    }
                }
            }
            continue;
        }
        match output.get(o) {
            Some(got) if mask(got) == mask(want) => {}
            Some(got) => {
                return Err(format!(
                    "line {}:\n  README: {want}\n  prints: {got}",
                    k + 1
                ));
            }
            None => return Err(format!("README shows more than is printed: {want}")),
        }
        o += 1;
        k += 1;
    }
    // Trailing blank lines of the output are not shown.
    if output[o..].iter().any(|l| !l.trim().is_empty()) {
        return Err(format!(
            "sovra prints more than the README shows (add '...' to leave it out): {}",
            output[o]
        ));
    }
    Ok(())
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    if sovra_core::store::open_or_notice("icio2022", "the README's examples").is_none() {
        return;
    }
    let path = readme_path();
    let text = std::fs::read_to_string(&path).expect("README.md");
    let lines: Vec<&str> = text.lines().collect();
    let cases = shown(&lines);
    assert!(
        cases.len() >= 4,
        "expected the README's depend, keys, shock and linkages examples, found {}",
        cases.len()
    );
    let bless = std::env::var_os("SOVRA_BLESS").is_some();
    let mut replaced: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut failures = Vec::new();
    for c in &cases {
        // The examples on the WIOD 2013 series need it in the store (scripts/test imports it from ../shared
        // when present); without it they are skipped with a notice, unless SOVRA_REQUIRE_SHARED is set (CI).
        if c.args.iter().any(|a| a == "wiod2013")
            && !sovra_core::store::dataset_dir(&sovra_core::store::home(), "wiod2013")
                .join("meta.json")
                .is_file()
        {
            assert!(
                std::env::var_os("SOVRA_REQUIRE_SHARED").is_none(),
                "SOVRA_REQUIRE_SHARED is set but wiod2013 is not in the store (scripts/test imports it from \
                 ../shared/data/wiod2013)"
            );
            eprintln!(
                "NOTICE: wiod2013 is not in the store; the README example `sovra {}` is skipped (scripts/test \
                 imports it when ../shared/data/wiod2013 is present)",
                c.args.join(" ")
            );
            continue;
        }
        // From the repository's root, as a reader runs them (examples/… paths).
        let o = Command::new(env!("CARGO_BIN_EXE_sovra"))
            .args(&c.args)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .env("SOVRA_HOME", sovra_core::store::home())
            .output()
            .expect("run sovra");
        assert!(
            o.status.success(),
            "sovra {:?} failed: {}",
            c.args,
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8(o.stdout).expect("utf-8");
        let out_lines: Vec<&str> = out.lines().collect();
        let mut end = c.end;
        while end > c.first && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        let shown_lines = &lines[c.first..end];
        if let Err(e) = compare(shown_lines, &out_lines) {
            if bless {
                // Keep the README's cut: up to the last line it showed before its '...' (found again in
                // the output, else as many lines as before), then '...'.
                let cut = shown_lines.iter().position(|l| l.trim() == "...").map(|n| {
                    n.checked_sub(1)
                        .and_then(|last| {
                            let m = mask(shown_lines[last]);
                            out_lines.iter().position(|o| mask(o) == m).map(|k| k + 1)
                        })
                        .unwrap_or(n)
                });
                let mut new: Vec<String> = match cut {
                    Some(n) => out_lines[..n.min(out_lines.len())]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    None => out_lines.iter().map(|s| s.to_string()).collect(),
                };
                while new.last().is_some_and(|l| l.trim().is_empty()) {
                    new.pop();
                }
                if cut.is_some() {
                    new.push("  ...".into());
                }
                replaced.push((c.first, end, new));
            } else {
                failures.push(format!("sovra {}: {e}", c.args.join(" ")));
            }
        }
    }
    if bless && !replaced.is_empty() {
        let mut all: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        for (first, end, new) in replaced.into_iter().rev() {
            all.splice(first..end, new);
        }
        let mut s = all.join("\n");
        s.push('\n');
        std::fs::write(&path, s).expect("write README.md");
        eprintln!("README.md blocks rewritten with the current output");
        return;
    }
    assert!(
        failures.is_empty(),
        "the README shows other output than sovra prints (SOVRA_BLESS=1 rewrites it):\n{}",
        failures.join("\n")
    );
}

#[test]
fn masking_and_comparison_catch_what_they_should() {
    assert_eq!(
        mask("residual 9.8e-11; x 2.8e-12 (0.31 s)"),
        "residual <e>; x <e> (<s> s)"
    );
    assert_eq!(mask("loss 696,506 USD million"), "loss 696,506 USD million");
    assert!(compare(&["a 1.5e-3", "b"], &["a 2.0e-3", "b"]).is_ok());
    assert!(compare(&["a 1,000"], &["a 1,001"]).is_err());
    assert!(compare(&["a", "...", "d"], &["a", "b", "c", "d"]).is_ok());
    assert!(compare(&["a", "..."], &["a", "b"]).is_ok());
    assert!(compare(&["a"], &["a", "b"]).is_err());
    assert!(compare(&["a", "b"], &["a"]).is_err());
    assert_eq!(
        split_args(r#"footprint x --stressor "value added""#).len(),
        4
    );
}
