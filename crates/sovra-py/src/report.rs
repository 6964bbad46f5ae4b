//! A report in Python: the engine's [`sovra_report::Report`] as it is, with its figures and provenance as
//! dicts, each table as Arrow (the PyCapsule interface: pyarrow, polars and duckdb read it without a copy,
//! none is required) or as a pandas DataFrame, its JSON, and a compact HTML view for notebooks.

use std::sync::Arc;

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use sovra_report::text::cell_text;
use sovra_report::{Column, Report, Values};

use crate::errors;

/// The answer to a request: `summary` (key → value), `provenance`, `tables`, and each table as pandas
/// (`to_pandas`) or Arrow (`to_arrow`); `to_json()` is the CLI's `--format json`.
#[pyclass(module = "sovra", name = "Report", frozen)]
pub struct PyReport {
    pub inner: Arc<Report>,
}

impl PyReport {
    pub fn new(r: Report) -> Self {
        PyReport { inner: Arc::new(r) }
    }

    fn table(&self, key: Option<&str>) -> PyResult<&sovra_report::Table> {
        self.inner.select_table(key).map_err(|e| {
            let keys: Vec<&str> = self.inner.tables.iter().map(|t| t.key.as_str()).collect();
            errors::to_py(sovra_engine::Error {
                kind: sovra_engine::ErrorKind::Usage,
                message: format!(
                    "table: {e} (this {} report has: {})",
                    self.inner.kind,
                    keys.join(", ")
                ),
                field: Some("table".into()),
                nearest: None,
                choices: keys.iter().map(|k| k.to_string()).collect(),
            })
        })
    }
}

fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    let json = py.import("json")?;
    json.call_method1("loads", (v.to_string(),))
}

/// A column's values as a numpy array (numbers; ints without nulls; bools without nulls) or a list.
fn column_to_py<'py>(py: Python<'py>, c: &Column) -> PyResult<Bound<'py, PyAny>> {
    Ok(match &c.values {
        Values::Number(v) => v
            .iter()
            .map(|x| x.filter(|x| x.is_finite()).unwrap_or(f64::NAN))
            .collect::<Vec<f64>>()
            .into_pyarray(py)
            .into_any(),
        Values::Int(v) if v.iter().all(Option::is_some) => v
            .iter()
            .map(|x| x.unwrap_or_default())
            .collect::<Vec<i64>>()
            .into_pyarray(py)
            .into_any(),
        Values::Int(v) => v
            .iter()
            .map(|x| x.map_or(f64::NAN, |x| x as f64))
            .collect::<Vec<f64>>()
            .into_pyarray(py)
            .into_any(),
        Values::Bool(v) if v.iter().all(Option::is_some) => v
            .iter()
            .map(|x| x.unwrap_or_default())
            .collect::<Vec<bool>>()
            .into_pyarray(py)
            .into_any(),
        Values::Bool(v) => PyList::new(py, v.iter())?.into_any(),
        Values::Text(v) => PyList::new(py, v.iter().map(|s| s.as_deref()))?.into_any(),
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How many rows of each table the notebook view shows.
const HTML_ROWS: usize = 15;

#[pymethods]
impl PyReport {
    /// The analysis that produced the report (`depend`, `shock`, …).
    #[getter]
    fn kind(&self) -> &str {
        &self.inner.kind
    }

    /// The report's title.
    #[getter]
    fn title(&self) -> &str {
        &self.inner.title
    }

    /// The headline figures, key → value (numbers in their unit; shares as fractions).
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for f in &self.inner.summary {
            d.set_item(
                &f.key,
                json_to_py(py, &serde_json::to_value(&f.value).unwrap_or_default())?,
            )?;
        }
        Ok(d)
    }

    /// The headline figures with their labels, units and kinds (a list of dicts).
    #[getter]
    fn figures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::to_value(&self.inner.summary).unwrap_or_default(),
        )
    }

    /// Where the numbers came from: dataset, title, year, units, source, sovra's version.
    #[getter]
    fn provenance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::to_value(&self.inner.provenance).unwrap_or_default(),
        )
    }

    /// The request's parameters as the engine read them, key → value.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for p in &self.inner.parameters {
            d.set_item(
                &p.key,
                json_to_py(py, &serde_json::to_value(&p.value).unwrap_or_default())?,
            )?;
        }
        Ok(d)
    }

    /// Notes for the reader (what a figure leaves out, why a list is empty).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// Solver diagnostics (method, residual, seconds) as a list of dicts.
    #[getter]
    fn diagnostics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::to_value(&self.inner.diagnostics).unwrap_or_default(),
        )
    }

    /// The tables, key → title, in the report's order (`to_pandas(table=key)` gives one).
    #[getter]
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for t in &self.inner.tables {
            d.set_item(&t.key, &t.title)?;
        }
        Ok(d)
    }

    /// The columns of a table (the first by default): key → {label, unit, kind, decimals, doc}.
    #[pyo3(signature = (table=None))]
    fn columns<'py>(&self, py: Python<'py>, table: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.table(table)?;
        let d = PyDict::new(py);
        for c in &t.columns {
            let m = PyDict::new(py);
            m.set_item("label", &c.label)?;
            m.set_item("unit", c.unit.as_deref())?;
            m.set_item("kind", c.kind.as_str())?;
            m.set_item("decimals", c.decimals)?;
            m.set_item("doc", c.doc.as_deref())?;
            d.set_item(&c.key, m)?;
        }
        Ok(d)
    }

    /// A table (the first by default) as a dict of columns: numpy arrays for numbers (NaN for missing),
    /// lists for text. `to_pandas` builds its DataFrame from it.
    #[pyo3(signature = (table=None))]
    fn to_dict<'py>(&self, py: Python<'py>, table: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.table(table)?;
        let d = PyDict::new(py);
        for c in &t.columns {
            d.set_item(&c.key, column_to_py(py, c)?)?;
        }
        Ok(d)
    }

    /// A table (the first by default) as a pandas DataFrame: one column per report column under its machine
    /// key (numbers float64 with NaN for missing, counts and years int64, text object); labels, units and
    /// kinds in `df.attrs["columns"]`, the report's provenance in `df.attrs["provenance"]`.
    ///
    /// >>> df = sovra.load().depend("EU27", "CHN").to_pandas("sectors")
    #[pyo3(signature = (table=None))]
    fn to_pandas<'py>(&self, py: Python<'py>, table: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let pd = py.import("pandas")?;
        let data = self.to_dict(py, table)?;
        let df = pd.getattr("DataFrame")?.call1((data,))?;
        let attrs = df.getattr("attrs")?;
        attrs.set_item("table", &self.table(table)?.key)?;
        attrs.set_item("title", &self.inner.title)?;
        attrs.set_item("columns", self.columns(py, table)?)?;
        attrs.set_item("provenance", self.provenance(py)?)?;
        Ok(df)
    }

    /// A table (the first by default) as an Arrow table that pyarrow (`pyarrow.table(t)`), polars
    /// (`polars.from_arrow(t)`) and duckdb read through the Arrow PyCapsule interface; field metadata hold
    /// labels, units and kinds, schema metadata the report (kind, title, provenance, summary).
    #[pyo3(signature = (table=None))]
    fn to_arrow<'py>(&self, py: Python<'py>, table: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let key = self.table(table)?.key.clone();
        let batch = sovra_report::write::report_record_batch(&self.inner, Some(&key))
            .map_err(|e| errors::usage("table", e.to_string()))?;
        let schema = batch.schema();
        let t = pyo3_arrow::PyTable::try_new(vec![batch], schema)?;
        Ok(Bound::new(py, t)?.into_any())
    }

    /// The report as JSON, exactly the CLI's `--format json`.
    fn to_json(&self) -> String {
        sovra_report::write::to_json(&self.inner)
    }

    /// A table (the first by default) as CSV, exactly the CLI's `--format csv` (with `table=` as `--table`).
    #[pyo3(signature = (table=None))]
    fn to_csv(&self, table: Option<&str>) -> PyResult<String> {
        let key = self.table(table)?.key.clone();
        sovra_report::write::csv_rows_only(&self.inner, Some(&key))
            .map_err(|e| errors::usage("table", e.to_string()))
    }

    /// The report as one self-contained HTML page with its charts (the CLI's `--format html`).
    fn to_html(&self) -> String {
        sovra_report::write::to_html(&self.inner)
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        let tables: Vec<String> = r
            .tables
            .iter()
            .map(|t| format!("{} ({} rows)", t.key, t.len()))
            .collect();
        format!(
            "<sovra.Report {}: {} — tables: {}>",
            r.kind,
            r.title,
            if tables.is_empty() {
                "none".into()
            } else {
                tables.join(", ")
            }
        )
    }

    /// The notebook view: title, headline, summary figures, the first rows of each table, notes, provenance.
    fn _repr_html_(&self) -> String {
        let r = &self.inner;
        let mut h = String::new();
        h.push_str("<div class=\"sovra-report\">");
        h.push_str(&format!("<h4>{}</h4>", esc(&r.title)));
        for l in &r.headline {
            h.push_str(&format!("<p><b>{}</b> {}</p>", esc(&l.label), esc(&l.text)));
        }
        if !r.summary.is_empty() {
            h.push_str("<table><tbody>");
            for f in &r.summary {
                let col = Column::number(&f.key, &f.label, f.kind).decimals(f.decimals);
                let mut text = cell_text(&col, &f.value, "–");
                if let Some(u) = &f.unit {
                    text.push(' ');
                    text.push_str(u);
                }
                h.push_str(&format!(
                    "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:right\">{}</td></tr>",
                    esc(&f.label),
                    esc(&text)
                ));
            }
            h.push_str("</tbody></table>");
        }
        for t in &r.tables {
            let cols: Vec<&Column> = t.columns.iter().filter(|c| !c.hidden).collect();
            let n = t.len();
            h.push_str(&format!(
                "<details{}><summary><b>{}</b> — {} rows (<code>to_pandas(\"{}\")</code>)</summary><table><thead><tr>",
                if std::ptr::eq(t, &r.tables[0]) { " open" } else { "" },
                esc(&t.title),
                n,
                esc(&t.key)
            ));
            for c in &cols {
                let unit = c
                    .unit
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                h.push_str(&format!("<th>{}{}</th>", esc(&c.label), esc(&unit)));
            }
            h.push_str("</tr></thead><tbody>");
            for i in 0..n.min(HTML_ROWS) {
                h.push_str("<tr>");
                for c in &cols {
                    let v = c.values.get(i);
                    let align = if sovra_report::text::is_numeric(c) {
                        "right"
                    } else {
                        "left"
                    };
                    h.push_str(&format!(
                        "<td style=\"text-align:{align}\">{}</td>",
                        esc(&cell_text(c, &v, ""))
                    ));
                }
                h.push_str("</tr>");
            }
            if n > HTML_ROWS {
                h.push_str(&format!(
                    "<tr><td colspan=\"{}\">… {} more rows</td></tr>",
                    cols.len(),
                    n - HTML_ROWS
                ));
            }
            h.push_str("</tbody></table></details>");
        }
        for note in &r.notes {
            h.push_str(&format!("<p><i>{}</i></p>", esc(note)));
        }
        let p = &r.provenance;
        let mut prov = Vec::new();
        if let Some(d) = &p.dataset {
            prov.push(d.clone());
        }
        if let Some(t) = &p.title {
            prov.push(t.clone());
        }
        if let Some(u) = &p.units {
            prov.push(u.clone());
        }
        prov.push(format!("sovra {}", p.sovra_version));
        h.push_str(&format!(
            "<p><small>{}</small></p></div>",
            esc(&prov.join(" · "))
        ));
        h
    }

    /// Arrow PyCapsule stream of the first table (so `pyarrow.table(report)` and `polars.from_arrow(report)`
    /// work on the report itself).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self.to_arrow(py, None)?;
        match requested_schema {
            Some(s) => t.call_method1("__arrow_c_stream__", (s,)),
            None => t.call_method0("__arrow_c_stream__"),
        }
    }
}
