//! A report as one self-contained HTML file (feature `html`): provenance, parameters, summary, every table, notes
//! and diagnostics as static HTML (readable without scripts and when printed to PDF), and the charts that fit the
//! report, drawn in the browser by ECharts from the report's own JSON embedded in the file. Everything the page
//! needs is inside it (ECharts, the world map, the ISO code table, the drawing script): it opens offline and
//! makes no request.
//!
//! Which charts fit a report is decided here, from its kind and its tables ([`charts`]), and written into the file
//! as a list of chart specifications; `web/report/report.js` draws any such list. The numbers are never copied
//! into the charts: the script reads them from the embedded report.

use serde_json::{Value as Json, json};

use crate::text::{cell_text, is_numeric, value_text};
use crate::{Kind, Report, Table};

const ECHARTS: &str = include_str!("../../../../web/vendor/echarts/echarts.min.js");
const TOPOJSON: &str =
    include_str!("../../../../web/vendor/topojson-client/topojson-client.min.js");
const WORLD: &str = include_str!("../../../../web/vendor/world-atlas/countries-110m.json");
const ISO_CODES: &str = include_str!("../../../../web/vendor/iso-countries/codes.json");
const SCRIPT: &str = include_str!("../../../../web/report/report.js");
const STYLE: &str = include_str!("../../../../web/report/report.css");

/// Rows a table shows in the file; longer tables are cut with a note (the JSON, CSV and Arrow outputs hold all).
pub const MAX_ROWS: usize = 2_000;

/// One report as a self-contained HTML document.
pub fn to_html(r: &Report) -> String {
    to_html_many(&r.title, std::slice::from_ref(r))
}

/// Several reports (a batch or a sweep, in scenario order) as one self-contained HTML document.
pub fn to_html_many(title: &str, reports: &[Report]) -> String {
    let mut specs = Vec::new();
    let mut body = String::new();
    for (i, r) in reports.iter().enumerate() {
        let charts = charts(r);
        section(&mut body, r, i, reports.len() > 1, charts.len());
        specs.push(json!({ "report": i, "charts": charts }));
    }
    let needs_map = specs.iter().any(|s| {
        s["charts"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "map"))
    });
    let data: Vec<Json> = reports.iter().map(crate::write::to_json_value).collect();
    let mut out = String::with_capacity(ECHARTS.len() + WORLD.len() + body.len() + 4096);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; \
         style-src 'unsafe-inline'; img-src data: blob:\">\n",
    );
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"sovra {}\">\n",
        crate::VERSION
    ));
    out.push_str(&format!(
        "<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        esc(title)
    ));
    if reports.len() > 1 {
        out.push_str(&format!("<h1 class=\"batch\">{}</h1>\n", esc(title)));
    }
    out.push_str(&body);
    out.push_str(&format!(
        "<footer>Made by sovra {}. Charts: Apache ECharts; map: Natural Earth via world-atlas. \
         This file is self-contained and makes no network request.</footer>\n",
        crate::VERSION
    ));
    if !specs
        .iter()
        .all(|s| s["charts"].as_array().is_some_and(|c| c.is_empty()))
    {
        out.push_str(&data_script(
            "sovra-reports",
            &Json::Array(data).to_string(),
        ));
        out.push_str(&data_script(
            "sovra-charts",
            &Json::Array(specs).to_string(),
        ));
        if needs_map {
            out.push_str(&data_script("sovra-world", WORLD));
            out.push_str(&data_script("sovra-iso", ISO_CODES));
            out.push_str(&inline_script(TOPOJSON));
        }
        out.push_str(&inline_script(ECHARTS));
        out.push_str(&inline_script(SCRIPT));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON inside `<script type="application/json">`: `<` written as `\u003c` so that no `</script>` or `<!--`
/// in a label can end the element (JSON reads it back as the same character).
fn data_script(id: &str, json: &str) -> String {
    format!(
        "<script type=\"application/json\" id=\"{id}\">{}</script>\n",
        json.replace('<', "\\u003c")
    )
}

/// A vendored script inline; a `</script` inside it (none today) would be split so it cannot end the element.
fn inline_script(js: &str) -> String {
    format!(
        "<script>\n{}\n</script>\n",
        js.replace("</script", "<\\/script")
    )
}

fn section(out: &mut String, r: &Report, index: usize, nested: bool, charts: usize) {
    let h = if nested { "h2" } else { "h1" };
    out.push_str(&format!(
        "<article class=\"report\" id=\"report-{index}\">\n<header>\n<{h}>{}</{h}>\n",
        esc(&r.title)
    ));
    // Provenance.
    let p = &r.provenance;
    out.push_str("<dl class=\"provenance\">\n");
    let mut item = |k: &str, v: String| {
        if !v.is_empty() {
            out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), esc(&v)));
        }
    };
    item("dataset", p.dataset.clone().unwrap_or_default());
    item("title", p.title.clone().unwrap_or_default());
    item("year", p.year.map(|y| y.to_string()).unwrap_or_default());
    item("units", p.units.clone().unwrap_or_default());
    item("source", p.source.clone().unwrap_or_default());
    item("source sha256", p.source_sha256.clone().unwrap_or_default());
    item(
        "computed by",
        format!(
            "sovra {} (report kind {}, schema {})",
            p.sovra_version, r.kind, r.schema_version
        ),
    );
    out.push_str("</dl>\n</header>\n");
    if !r.parameters.is_empty() {
        out.push_str("<section class=\"parameters\"><h3>Parameters</h3>\n<table class=\"kv\">\n");
        for prm in &r.parameters {
            out.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                esc(&prm.label),
                esc(&value_text(&prm.value))
            ));
        }
        out.push_str("</table></section>\n");
    }
    if !r.headline.is_empty() {
        out.push_str("<section class=\"summary\"><h3>Summary</h3>\n<ul class=\"headline\">\n");
        for l in &r.headline {
            out.push_str(&format!(
                "<li><b>{}</b> {}</li>\n",
                esc(&l.label),
                esc(&l.text)
            ));
        }
        out.push_str("</ul>\n</section>\n");
    }
    if charts > 0 {
        out.push_str("<section class=\"charts\">\n");
        for c in 0..charts {
            out.push_str(&format!(
                "<figure class=\"chart\" id=\"chart-{index}-{c}\"><div class=\"canvas\" role=\"img\"></div>\
                 <figcaption></figcaption></figure>\n"
            ));
        }
        out.push_str("<p class=\"noscript-note\">The charts are drawn by the file's script; the tables below hold every number.</p>\n");
        out.push_str("</section>\n");
    }
    if !r.summary.is_empty() {
        out.push_str("<section class=\"figures\"><h3>Figures</h3>\n<table class=\"kv figures\">\n");
        for f in &r.summary {
            let col = crate::Column::number(&f.key, &f.label, f.kind).decimals(f.decimals);
            let v = match f.kind {
                Kind::Share | Kind::Amount | Kind::Ratio | Kind::Count => {
                    cell_text(&col, &f.value, "—")
                }
                _ => value_text(&f.value),
            };
            let unit = match (&f.unit, f.kind) {
                (Some(u), k) if k != Kind::Share => format!(" {u}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}{}</td></tr>\n",
                esc(&f.label),
                esc(&v),
                esc(&unit)
            ));
        }
        out.push_str("</table></section>\n");
    }
    for t in &r.tables {
        table_html(out, t, p.units.as_deref());
    }
    if !r.notes.is_empty() {
        out.push_str("<section class=\"notes\"><h3>Notes</h3>\n<ul>\n");
        for n in &r.notes {
            out.push_str(&format!("<li>{}</li>\n", esc(n)));
        }
        out.push_str("</ul></section>\n");
    }
    if !r.diagnostics.is_empty() {
        out.push_str("<section class=\"diagnostics\"><h3>Diagnostics</h3>\n<table>\n<thead><tr><th>check</th><th>method</th><th>right-hand sides</th><th>iterations</th><th>max relative residual</th><th>seconds</th><th>detail</th></tr></thead>\n<tbody>\n");
        for d in &r.diagnostics {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                esc(&d.label),
                esc(d.method.as_deref().unwrap_or("")),
                d.right_hand_sides.map(|v| v.to_string()).unwrap_or_default(),
                d.iterations.map(|v| v.to_string()).unwrap_or_default(),
                d.max_relative_residual.map(|v| format!("{v:.1e}")).unwrap_or_default(),
                d.seconds.map(|v| format!("{v:.3}")).unwrap_or_default(),
                esc(d.detail.as_deref().unwrap_or("")),
            ));
        }
        out.push_str("</tbody></table></section>\n");
    }
    out.push_str("</article>\n");
}

fn table_html(out: &mut String, t: &Table, units: Option<&str>) {
    // Every column: the HTML file has the room the terminal (which leaves out `hidden` ones) has not.
    let shown: Vec<_> = t.columns.iter().collect();
    out.push_str(&format!(
        "<section class=\"table\" id=\"table-{}\"><h3>{}</h3>\n<div class=\"scroll\"><table>\n<thead><tr>",
        esc(&t.key),
        esc(&t.title)
    ));
    for c in &shown {
        let unit = match (&c.unit, c.kind) {
            (Some(u), _) => format!(" <span class=\"unit\">({})</span>", esc(u)),
            (None, Kind::Amount) => units
                .map(|u| format!(" <span class=\"unit\">({})</span>", esc(u)))
                .unwrap_or_default(),
            (None, Kind::Share) => " <span class=\"unit\">(%)</span>".into(),
            _ => String::new(),
        };
        let class = if is_numeric(c) { " class=\"num\"" } else { "" };
        out.push_str(&format!(
            "<th scope=\"col\"{class} data-key=\"{}\">{}{unit}</th>",
            esc(&c.key),
            esc(&c.label)
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let n = t.len().min(MAX_ROWS);
    for i in 0..n {
        out.push_str("<tr>");
        for c in &shown {
            let v = c.values.get(i);
            let text = cell_text(c, &v, "");
            if is_numeric(c) {
                out.push_str(&format!("<td class=\"num\">{}</td>", esc(&text)));
            } else {
                out.push_str(&format!("<td>{}</td>", esc(&text)));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    if t.len() > n {
        out.push_str(&format!(
            "<p class=\"cut\">The first {n} of {} rows; the JSON, CSV and Arrow outputs hold every row.</p>\n",
            t.len()
        ));
    }
    out.push_str("</section>\n");
}

fn has(t: &Table, key: &str) -> bool {
    t.column(key).is_some()
}

fn table<'a>(r: &'a Report, key: &str) -> Option<&'a Table> {
    r.tables.iter().find(|t| t.key == key)
}

/// The charts that fit a report, as specifications `web/report/report.js` draws (and `docs/dashboard.md`
/// describes): `bar`, `map`, `line`, `scatter`, `sankey` and `paths` (a programme's targets), each naming a
/// table of the report and its columns. The choice follows the report's kind; a report of another kind gets a
/// bar chart of its first table's first amount or share column, or a map when that table is one row per region.
pub fn charts(r: &Report) -> Vec<Json> {
    let mut c = Vec::new();
    match r.kind.as_str() {
        "depend" => {
            if let Some(t) = table(r, "sectors") {
                c.push(bar(t, &["region", "sector"], &["value_added_from_them", "via_third_countries"], 15,
                    "Sectors with the most value added from them (share of output): in all, and via third countries"));
                c.push(bar(
                    t,
                    &["region", "sector"],
                    &["direct_input_share"],
                    15,
                    "Direct input share from them",
                ));
            }
        }
        "keys" => {
            if let Some(t) = table(r, "sectors") {
                c.push(bar(
                    t,
                    &["region", "sector"],
                    &["exposed_share"],
                    15,
                    "Technological keys: share of output exposed to their inputs",
                ));
            }
            if let Some(t) = table(r, "inputs") {
                c.push(json!({"type": "sankey", "table": t.key, "source": ["input_region", "input_sector"],
                    "target": ["region", "sector"], "value": "input_value", "top": 40,
                    "title": "Their inputs into our key sectors"}));
            }
        }
        "shock" => {
            if let Some(t) = table(r, "countries") {
                c.push(map(t, "loss_share", "Output loss share γ by country"));
                c.push(bar(
                    t,
                    &["region"],
                    &["output_loss", "value_added_loss"],
                    15,
                    "Countries by loss",
                ));
            }
            if let Some(t) = table(r, "sectors") {
                c.push(bar(
                    t,
                    &["region", "sector"],
                    &["output_loss"],
                    15,
                    "Most hit sectors",
                ));
            }
        }
        "monitor" => {
            if let (Some(p), Some(t)) = (table(r, "target_paths"), table(r, "targets")) {
                c.push(json!({"type": "paths", "table": p.key, "targets": t.key, "max": 6,
                    "title": "Targets: the indicator (solid), the straight path from its baseline to the target (dashed), and the target (diamond, filled by status: green achieved, blue on track, amber behind, red worsening)"}));
            }
            if let Some(t) = table(r, "kpis") {
                for (kpi, title) in [
                    ("import_penetration", "Import penetration"),
                    ("va_from_them", "Value added from them in our output"),
                ] {
                    c.push(json!({"type": "line", "table": t.key, "x": "year", "value": kpi,
                        "series": ["scope", "sector"], "where": {"sector": "all"}, "max_series": 8, "title": title}));
                }
            }
        }
        "decompose" => {
            if let Some(t) = table(r, "effects") {
                c.push(
                    json!({"type": "bar", "table": t.key, "label": ["label"], "values": ["value"],
                    "top": 0, "keep_order": true, "title": "Effects on the change"}),
                );
            }
        }
        "projects_select" => {
            if let Some(t) = table(r, "frontier") {
                c.push(json!({"type": "line", "table": t.key, "x": "budget", "value": "objective", "series": [],
                    "step": true, "title": "Efficient frontier: best objective by budget"}));
            }
            if let Some(t) = table(r, "portfolio") {
                c.push(bar(
                    t,
                    &["id"],
                    &["dependence_cut", "cost"],
                    20,
                    "Chosen portfolio",
                ));
            }
        }
        "projects_evaluate" => {
            if let Some(t) = table(r, "projects") {
                c.push(json!({"type": "scatter", "table": t.key, "x": "cost", "y": "dependence_cut",
                    "size": "value_added_gained", "label": ["id"], "title": "Projects: dependence cut against cost"}));
            }
        }
        "opportunities" => {
            if let Some(t) = r.tables.first()
                && has(t, "pci")
            {
                let x = if has(t, "distance") {
                    "distance"
                } else {
                    "density"
                };
                let size = ["opportunity_gain", "cog"].into_iter().find(|k| has(t, k));
                c.push(
                    json!({"type": "scatter", "table": t.key, "x": x, "y": "pci", "size": size,
                    "label": ["product"], "title": "Feasibility: distance against complexity"}),
                );
            }
        }
        _ => {}
    }
    if c.is_empty()
        && let Some(t) = r.tables.iter().find(|t| !t.is_empty())
        && let Some(v) = t.columns.iter().find(|col| {
            !col.hidden && matches!(col.kind, Kind::Amount | Kind::Share) && t.len() > 1
        })
    {
        let per_region = has(t, "region") && !has(t, "sector") && t.len() >= 8;
        if per_region {
            c.push(map(t, &v.key, &v.label));
        }
        let labels: Vec<&str> = [
            "region", "sector", "product", "exporter", "id", "name", "year",
        ]
        .into_iter()
        .filter(|k| has(t, k))
        .take(2)
        .collect();
        if !labels.is_empty() {
            c.push(bar(t, &labels, &[v.key.as_str()], 15, &v.label));
        }
    }
    c
}

fn bar(t: &Table, label: &[&str], values: &[&str], top: usize, title: &str) -> Json {
    let values: Vec<&str> = values.iter().copied().filter(|k| has(t, k)).collect();
    json!({"type": "bar", "table": t.key, "label": label, "values": values, "top": top, "title": title})
}

fn map(t: &Table, value: &str, title: &str) -> Json {
    json!({"type": "map", "table": t.key, "region": "region", "value": value, "title": title})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, Figure, Parameter, Provenance, TableBuilder, Value};

    fn report() -> Report {
        let mut r = Report::new(
            "shock",
            "A <shock> & more",
            Provenance::new().dataset("toy").units("USD million"),
        );
        r.parameters.push(Parameter::new("us", "us", "USA"));
        r.summary.push(Figure::new(
            "world_output_loss",
            "world loss",
            Value::Number(1234.6),
            Kind::Amount,
        ));
        let mut t = TableBuilder::new(
            "countries",
            "Countries",
            vec![
                Column::code("region", "region"),
                Column::number("loss_share", "γ", Kind::Share).decimals(2),
            ],
        );
        t.push_row(vec!["USA".into(), Value::Number(0.5)]).unwrap();
        t.push_row(vec!["CHN</script>".into(), Value::Number(0.25)])
            .unwrap();
        r.tables.push(t.finish());
        r
    }

    #[test]
    fn a_report_is_one_file_with_its_numbers_and_no_request() {
        let html = to_html(&report());
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("A &lt;shock&gt; &amp; more"));
        assert!(html.contains("<td class=\"num\">50.00%</td>"));
        assert!(
            html.contains("1,235"),
            "an amount with its default decimals"
        );
        // Nothing outside the file: no URL a browser would fetch.
        for bad in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "@import",
            "url(http",
        ] {
            assert!(!html.contains(bad), "{bad}");
        }
        // A label cannot end the data element early.
        let data = html.split("id=\"sovra-reports\">").nth(1).unwrap();
        let data = &data[..data.find("</script>").unwrap()];
        assert!(data.contains("CHN\\u003c/script>"));
        let back: Json = serde_json::from_str(data).unwrap();
        assert_eq!(back[0]["tables"][0]["rows"][1]["region"], "CHN</script>");
    }

    #[test]
    fn a_shock_gets_its_map() {
        let c = charts(&report());
        assert_eq!(c[0]["type"], "map");
        assert_eq!(c[0]["value"], "loss_share");
    }

    #[test]
    fn a_report_without_numbers_gets_no_chart_and_no_script() {
        let r = Report::new("blocs_list", "Blocs", Provenance::new());
        assert!(charts(&r).is_empty());
        assert!(!to_html(&r).contains("<script"));
    }
}
