//! Can an interrupted stream of reports (a batch or a sweep) be continued from what it wrote? The partial
//! output carries a fingerprint of the run (computed by the front end from its request: scenarios, model,
//! parameters, data and output format); this module reads a partial back, checks it against the run that
//! wants to continue, and says which scenarios are complete and how many bytes of the file to keep. Anything else — another run's file, another format, a line that
//! is not one of this run's rows, a scenario split in two — is refused with an error naming the line, never
//! merged.
//!
//! CSV: comment lines first (`# run: FINGERPRINT` among them), the column header once, then each
//! scenario's rows together. The last scenario is always run again (it may have been cut short), as is a
//! last line without its newline. JSON Lines: one report per line, each with the parameter
//! `run = FINGERPRINT`; a last line without its newline is dropped.

use std::collections::BTreeSet;

use crate::{Report, Value};

/// Why a partial output cannot be continued: the file, the line and the cause (with at most a short
/// excerpt of the line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file}, line {line}: {why}; --resume continues only a partial written by the same run. Remove the file (or give another --out) to start again"
)]
pub struct Refused {
    /// The partial file.
    pub file: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// How the partial output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialFormat {
    /// A countries table per scenario, rows after one header.
    Csv,
    /// One JSON report per line.
    JsonLines,
}

impl PartialFormat {
    /// Its name in fingerprints (`csv`, `jsonl`).
    pub fn name(self) -> &'static str {
        match self {
            PartialFormat::Csv => "csv",
            PartialFormat::JsonLines => "jsonl",
        }
    }
}

/// The report parameter (JSON Lines) and comment (`# run: …`, CSV) that carry the fingerprint.
pub const RUN_KEY: &str = "run";

/// What a partial output holds that this run can keep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Partial {
    /// Complete scenarios, in the order written.
    pub done: Vec<String>,
    /// Bytes of the file to keep (the rest is cut before appending).
    pub keep: usize,
    /// Whether the kept part already has the CSV header (comments and column names).
    pub has_header: bool,
}

/// At most this many characters of a line are quoted in an error.
const EXCERPT: usize = 80;

fn excerpt(line: &str) -> String {
    let mut s: String = line.chars().take(EXCERPT).collect();
    if line.chars().count() > EXCERPT {
        s.push('…');
    }
    s
}

fn refuse(origin: &str, line: usize, why: String) -> Refused {
    Refused {
        file: origin.to_string(),
        line,
        why,
    }
}

/// Number of fields of a CSV line (RFC 4180 quotes), or `None` if a quote is left open.
fn csv_fields(line: &str) -> Option<usize> {
    let mut n = 1;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => n += 1,
            _ => {}
        }
    }
    (!quoted).then_some(n)
}

/// The first field of a CSV line (quoted per RFC 4180 or not).
fn csv_first_field(line: &str) -> String {
    match line.strip_prefix('"') {
        Some(rest) => rest.split("\",").next().unwrap_or("").replace("\"\"", "\""),
        None => line.split(',').next().unwrap_or("").to_string(),
    }
}

/// Reads a partial output written by a run with `fingerprint` in `format`. `origin` names the file in
/// errors.
pub fn read(
    bytes: &[u8],
    format: PartialFormat,
    fingerprint: &str,
    origin: &str,
) -> Result<Partial, Refused> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        refuse(
            origin,
            1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            "not UTF-8 text".into(),
        )
    })?;
    // Only whole lines count: a last line without its newline was cut by the interruption.
    let whole = text.rfind('\n').map_or(0, |k| k + 1);
    match format {
        PartialFormat::Csv => read_csv(&text[..whole], fingerprint, origin),
        PartialFormat::JsonLines => read_jsonl(&text[..whole], fingerprint, origin),
    }
}

fn read_csv(text: &str, fingerprint: &str, origin: &str) -> Result<Partial, Refused> {
    let mut out = Partial::default();
    let mut run: Option<String> = None;
    let mut header: Option<usize> = None;
    let mut seen = BTreeSet::new();
    // The scenario being read: name, offset of its first row, rows.
    let mut current: Option<(String, usize, usize)> = None;
    let mut offset = 0;
    for (k, raw) in text.split_inclusive('\n').enumerate() {
        let (start, n) = (offset, k + 1);
        offset += raw.len();
        let line = raw.trim_end_matches('\n').trim_end_matches('\r');
        if header.is_none() {
            if let Some(c) = line.strip_prefix('#') {
                if let Some(fp) = c.trim().strip_prefix("run:") {
                    run = fp.split_whitespace().next().map(str::to_string);
                }
                continue;
            }
            match &run {
                None => {
                    return Err(refuse(
                        origin,
                        n,
                        "no '# run:' fingerprint before the first row: not written by a resumable run".into(),
                    ));
                }
                Some(fp) if fp != fingerprint => {
                    return Err(refuse(
                        origin,
                        n,
                        format!(
                            "written by another run (fingerprint {}; this run's is {fingerprint}: other scenarios, \
                             parameters, data or format)",
                            excerpt(fp)
                        ),
                    ));
                }
                Some(_) => {}
            }
            if !line.starts_with("scenario,") {
                return Err(refuse(
                    origin,
                    n,
                    format!(
                        "expected the column header 'scenario,…', found '{}'",
                        excerpt(line)
                    ),
                ));
            }
            header = csv_fields(line);
            out.keep = offset;
            out.has_header = true;
            continue;
        }
        let Some(want) = header else { break };
        if line.starts_with("scenario,") || line.starts_with('#') {
            return Err(refuse(
                origin,
                n,
                format!("a second header in the rows: '{}'", excerpt(line)),
            ));
        }
        if csv_fields(line) != Some(want) {
            return Err(refuse(
                origin,
                n,
                format!(
                    "not a row of this run's CSV ({want} fields expected): '{}'",
                    excerpt(line)
                ),
            ));
        }
        let name = csv_first_field(line);
        match &mut current {
            Some((cur, _, rows)) if *cur == name => *rows += 1,
            _ => {
                if let Some((prev, _, _)) = current.take() {
                    // Scenarios may have different numbers of rows (with --top, the parties are added
                    // wherever they rank): a scenario is complete once the next one has started.
                    out.done.push(prev);
                }
                if !seen.insert(name.clone()) {
                    return Err(refuse(
                        origin,
                        n,
                        format!(
                            "scenario '{}' appears a second time, apart from its rows",
                            excerpt(&name)
                        ),
                    ));
                }
                current = Some((name, start, 1));
            }
        }
    }
    // The last scenario runs again: the interruption may have cut its rows short.
    if let Some((_, start, _)) = current {
        out.keep = start;
    }
    if header.is_none() {
        // Only comments (or nothing): start afresh.
        return Ok(Partial::default());
    }
    Ok(out)
}

fn read_jsonl(text: &str, fingerprint: &str, origin: &str) -> Result<Partial, Refused> {
    let mut out = Partial::default();
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    for (k, raw) in text.split_inclusive('\n').enumerate() {
        let n = k + 1;
        offset += raw.len();
        let line = raw.trim_end_matches('\n').trim_end_matches('\r');
        let report = Report::from_json(line).map_err(|_| {
            refuse(
                origin,
                n,
                format!("not a report of this run: '{}'", excerpt(line)),
            )
        })?;
        let run = report
            .parameters
            .iter()
            .find(|p| p.key == RUN_KEY)
            .map(|p| p.value.clone());
        match run {
            Some(Value::Text(fp)) if fp == fingerprint => {}
            Some(Value::Text(fp)) => {
                return Err(refuse(
                    origin,
                    n,
                    format!(
                        "written by another run (fingerprint {}; this run's is {fingerprint}: other scenarios, \
                         parameters, data or format)",
                        excerpt(&fp)
                    ),
                ));
            }
            _ => {
                return Err(refuse(
                    origin,
                    n,
                    "a report without the run's fingerprint: not written by a resumable run".into(),
                ));
            }
        }
        let name = match report
            .parameters
            .iter()
            .find(|p| p.key == "scenario")
            .map(|p| &p.value)
        {
            Some(Value::Text(s)) => s.clone(),
            _ => {
                return Err(refuse(
                    origin,
                    n,
                    "a report without its scenario name".into(),
                ));
            }
        };
        if !seen.insert(name.clone()) {
            return Err(refuse(
                origin,
                n,
                format!("scenario '{}' appears a second time", excerpt(&name)),
            ));
        }
        out.done.push(name);
        out.keep = offset;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "00000000000000aa";

    fn csv(rows: &[(&str, usize)]) -> String {
        let mut s = format!("# x shock batch\n# run: {FP}\nscenario,region,loss\n");
        for (name, n) in rows {
            for r in 0..*n {
                s.push_str(&format!("{name},R{r},1.5\n"));
            }
        }
        s
    }

    #[test]
    fn csv_keeps_complete_scenarios_and_reruns_the_last() {
        let t = csv(&[("a", 3), ("b", 3), ("c", 2)]);
        let p = read(t.as_bytes(), PartialFormat::Csv, FP, "f").unwrap();
        assert_eq!(p.done, ["a", "b"]);
        assert_eq!(&t[..p.keep], csv(&[("a", 3), ("b", 3)]));
        // A cut last line is not a row.
        let cut = format!("{t}c,R2,1.");
        let p2 = read(cut.as_bytes(), PartialFormat::Csv, FP, "f").unwrap();
        assert_eq!(p2, p);
        // Header only: nothing done, the header kept.
        let h = csv(&[]);
        let p3 = read(h.as_bytes(), PartialFormat::Csv, FP, "f").unwrap();
        assert!(p3.done.is_empty() && p3.has_header && p3.keep == h.len());
    }

    #[test]
    fn csv_refuses_what_is_not_this_run() {
        let err = |t: &str| {
            read(t.as_bytes(), PartialFormat::Csv, FP, "out.csv.partial")
                .unwrap_err()
                .to_string()
        };
        let other = csv(&[("a", 2), ("b", 2)]).replace(FP, "00000000000000bb");
        assert!(err(&other).contains("another run"), "{}", err(&other));
        let none = csv(&[("a", 2)]).replace(&format!("# run: {FP}\n"), "");
        assert!(err(&none).contains("no '# run:'"));
        let garbage = format!("{}garbage line\n{}", csv(&[("a", 2)]), "b,R0,1\n");
        assert!(err(&garbage).contains("line 6") && err(&garbage).contains("garbage line"));
        let twice = format!("{}scenario,region,loss\n", csv(&[("a", 2)]));
        assert!(err(&twice).contains("second header"));
        let split = csv(&[("a", 2), ("b", 2), ("a", 2), ("c", 1)]);
        assert!(err(&split).contains("second time"));
        // Different row counts are fine (the parties are added to a --top cut wherever they rank).
        let uneven = csv(&[("a", 3), ("b", 2), ("c", 3)]);
        let p = read(uneven.as_bytes(), PartialFormat::Csv, FP, "f").unwrap();
        assert_eq!(p.done, ["a", "b"]);
        let json = format!("{{\"kind\":\"shock\"}}\n{}", csv(&[("a", 1)]));
        assert!(err(&json).contains("no '# run:'"));
        // Found by fuzzing (fuzz/run.sh resume): a fingerprint of thousands of characters was quoted whole.
        let long_fp = format!(
            "# x shock batch\n# run: {}\nscenario,region,loss\n",
            "f".repeat(5000)
        );
        let e = read(long_fp.as_bytes(), PartialFormat::Csv, FP, "p.csv").unwrap_err();
        assert!(e.line == 3 && e.to_string().len() < 600, "{e}");
        let long_json = report_line("a", &"f".repeat(5000));
        let e = read(
            long_json.as_bytes(),
            PartialFormat::JsonLines,
            FP,
            "p.jsonl",
        )
        .unwrap_err();
        assert!(e.line == 1 && e.to_string().len() < 600, "{e}");
        let long = format!("{}{}\n", csv(&[("a", 1)]), "x".repeat(5000));
        assert!(err(&long).len() < 400, "the excerpt is short");
    }

    fn report_line(name: &str, fp: &str) -> String {
        let mut r = Report::new("shock", "t", crate::Provenance::default());
        r.parameters
            .push(crate::Parameter::new("scenario", "scenario", name));
        r.parameters
            .push(crate::Parameter::new(RUN_KEY, RUN_KEY, fp));
        crate::write::to_json_line(&r)
    }

    #[test]
    fn json_lines_keep_complete_reports_and_refuse_others() {
        let t = format!("{}{}", report_line("a", FP), report_line("b", FP));
        let p = read(t.as_bytes(), PartialFormat::JsonLines, FP, "f").unwrap();
        assert_eq!(p.done, ["a", "b"]);
        assert_eq!(p.keep, t.len());
        let cut = format!("{t}{{\"kind\":\"sh");
        assert_eq!(
            read(cut.as_bytes(), PartialFormat::JsonLines, FP, "f").unwrap(),
            p
        );
        let err = |t: &str| {
            read(t.as_bytes(), PartialFormat::JsonLines, FP, "f")
                .unwrap_err()
                .to_string()
        };
        assert!(err(&format!("{t}{}", report_line("c", "ff"))).contains("another run"));
        assert!(err(&format!("{t}scenario,region\n")).contains("not a report"));
        assert!(err(&format!("{t}{}", report_line("a", FP))).contains("second time"));
    }
}
