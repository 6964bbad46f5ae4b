//! What one analysis answered, as data: the [`Report`] with its [`Provenance`] (which dataset, which sovra),
//! the [`Parameter`]s the user chose, key [`Figure`]s and their wording for people ([`Line`]s), tables,
//! notes and [`Diagnostic`]s (every solve with its residual, and warnings).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::table::check_key;
use crate::{Kind, ReportError, SCHEMA_VERSION, Table, VERSION, Value};

/// Where the numbers come from: the dataset and the sovra that computed them.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Dataset name in the store (`icio2022`).
    #[serde(default)]
    pub dataset: Option<String>,
    /// Dataset title for people (`OECD ICIO 2025 release, year 2022`).
    #[serde(default)]
    pub title: Option<String>,
    /// Reference year.
    #[serde(default)]
    pub year: Option<i32>,
    /// Monetary (or physical) unit of the table (`USD million`).
    #[serde(default)]
    pub units: Option<String>,
    /// Where the data were obtained.
    #[serde(default)]
    pub source: Option<String>,
    /// sha256 of the source file, when known.
    #[serde(default)]
    pub source_sha256: Option<String>,
    /// Free-form notes on how the dataset was built.
    #[serde(default)]
    pub description: Option<String>,
    /// The sovra version that computed the report.
    pub sovra_version: String,
}

impl Provenance {
    /// No dataset yet; `sovra_version` is this crate's version (the workspace shares one version).
    pub fn new() -> Self {
        Provenance {
            dataset: None,
            title: None,
            year: None,
            units: None,
            source: None,
            source_sha256: None,
            description: None,
            sovra_version: VERSION.to_string(),
        }
    }

    /// Sets the dataset name.
    pub fn dataset(mut self, dataset: impl Into<String>) -> Self {
        self.dataset = Some(dataset.into());
        self
    }

    /// Sets the dataset title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the reference year.
    pub fn year(mut self, year: i32) -> Self {
        self.year = Some(year);
        self
    }

    /// Sets the units.
    pub fn units(mut self, units: impl Into<String>) -> Self {
        self.units = Some(units.into());
        self
    }

    /// Sets the source.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the source's sha256.
    pub fn source_sha256(mut self, sha256: impl Into<String>) -> Self {
        self.source_sha256 = Some(sha256.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl Default for Provenance {
    fn default() -> Self {
        Self::new()
    }
}

/// A parameter the user chose (or its default), echoed in the report.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Machine name, snake_case (`us`, `them`, `year`).
    pub key: String,
    /// Name for people.
    pub label: String,
    /// The value (a list for a bloc's members).
    pub value: Value,
}

impl Parameter {
    /// A parameter.
    pub fn new(key: impl Into<String>, label: impl Into<String>, value: impl Into<Value>) -> Self {
        Parameter {
            key: key.into(),
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A typed key figure (the machine form of a headline).
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Machine name, snake_case.
    pub key: String,
    /// Name for people.
    pub label: String,
    /// The value.
    pub value: Value,
    /// Unit, when the value has one.
    #[serde(default)]
    pub unit: Option<String>,
    /// How to read it.
    pub kind: Kind,
    /// Decimals shown to people (of the percentage for a share).
    pub decimals: u8,
}

impl Figure {
    /// A figure with no unit and the kind's default decimals.
    pub fn new(
        key: impl Into<String>,
        label: impl Into<String>,
        value: impl Into<Value>,
        kind: Kind,
    ) -> Self {
        Figure {
            key: key.into(),
            label: label.into(),
            value: value.into(),
            unit: None,
            kind,
            decimals: kind.default_decimals(),
        }
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the decimals shown to people.
    pub fn decimals(mut self, decimals: u8) -> Self {
        self.decimals = decimals;
        self
    }
}

/// One headline worded for people (terminal, HTML): `label  text`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// What the line is about.
    pub label: String,
    /// The worded figure (`1.54 % of output (USD 12,300 million)`).
    pub text: String,
}

impl Line {
    /// A line.
    pub fn new(label: impl Into<String>, text: impl Into<String>) -> Self {
        Line {
            label: label.into(),
            text: text.into(),
        }
    }
}

/// How a computation went: one solve (method, right-hand sides, iterations, residual, time) or a warning
/// (`detail` only).
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Machine name, snake_case (`leontief_solve`, `missing_trade`).
    pub key: String,
    /// Description for people.
    pub label: String,
    /// Solver (`lu`, `gmres`, …).
    #[serde(default)]
    pub method: Option<String>,
    /// Number of right-hand sides solved for.
    #[serde(default)]
    pub right_hand_sides: Option<u64>,
    /// Iterations of an iterative method.
    #[serde(default)]
    pub iterations: Option<u64>,
    /// Largest relative residual `‖b − (I − A)x‖ / ‖b‖` over the right-hand sides.
    #[serde(default)]
    pub max_relative_residual: Option<f64>,
    /// Wall time in seconds.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Free text: the warning, or what the numbers mean.
    #[serde(default)]
    pub detail: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with every measurement empty; fill them with the setters.
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            key: key.into(),
            label: label.into(),
            method: None,
            right_hand_sides: None,
            iterations: None,
            max_relative_residual: None,
            seconds: None,
            detail: None,
        }
    }

    /// A warning: key, label and the detail only.
    pub fn warning(
        key: impl Into<String>,
        label: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(key, label).detail(detail)
    }

    /// Sets the method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Sets the number of right-hand sides.
    pub fn right_hand_sides(mut self, n: u64) -> Self {
        self.right_hand_sides = Some(n);
        self
    }

    /// Sets the iterations.
    pub fn iterations(mut self, n: u64) -> Self {
        self.iterations = Some(n);
        self
    }

    /// Sets the largest relative residual.
    pub fn max_relative_residual(mut self, residual: f64) -> Self {
        self.max_relative_residual = Some(residual);
        self
    }

    /// Sets the wall time.
    pub fn seconds(mut self, seconds: f64) -> Self {
        self.seconds = Some(seconds);
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The typed result of one sovra analysis, identical for every front end (terminal, CSV, JSON, Arrow,
/// Python, the server).
///
/// ```
/// use sovra_report::{Column, Figure, Kind, Provenance, Report, Table};
/// let report = Report::new("depend", "Dependency of DEU on CHN", Provenance::new().dataset("icio2022"))
///     .with_parameter("us", "Us", "DEU")
///     .with_figure(Figure::new("va_share", "Value added from them", 0.0154, Kind::Share))
///     .with_line("Value added from them", "1.54 %")
///     .with_table(Table::new("sectors", "Sectors").with(Column::code("sector", "Sector").values(vec!["C20"])))
///     .with_note("Final demand is not split by destination.");
/// report.validate().expect("valid");
/// assert_eq!(report.table("sectors").map(|t| t.len()), Some(1));
/// assert!(report.table("regions").is_none());
/// ```
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Machine name of the request: `depend`, `keys`, `shock`, `multipliers`, …
    pub kind: String,
    /// The wire format's version, [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// Title for people.
    pub title: String,
    /// Where the numbers come from.
    pub provenance: Provenance,
    /// The parameters, as chosen or defaulted.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Typed key figures.
    #[serde(default)]
    pub summary: Vec<Figure>,
    /// The same figures worded for people.
    #[serde(default)]
    pub headline: Vec<Line>,
    /// Tables, in display order.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Notes for people (caveats, definitions).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Solves with their residuals, and warnings.
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// An empty report of request `kind` at the current [`SCHEMA_VERSION`].
    pub fn new(kind: impl Into<String>, title: impl Into<String>, provenance: Provenance) -> Self {
        Report {
            kind: kind.into(),
            schema_version: SCHEMA_VERSION,
            title: title.into(),
            provenance,
            parameters: Vec::new(),
            summary: Vec::new(),
            headline: Vec::new(),
            tables: Vec::new(),
            notes: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reads a report from its JSON document (or one JSON Lines line).
    pub fn from_json(json: &str) -> Result<Self, ReportError> {
        Ok(serde_json::from_str(json)?)
    }

    /// The table with this key.
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.key == key)
    }

    /// The table with this key, or the first table for `None`; an unknown key is an error listing the
    /// valid keys.
    pub fn select_table(&self, key: Option<&str>) -> Result<&Table, ReportError> {
        match key {
            None => self.tables.first().ok_or(ReportError::NoTables),
            Some(key) => self.table(key).ok_or_else(|| ReportError::UnknownTable {
                key: key.to_string(),
                valid: self.tables.iter().map(|t| t.key.clone()).collect(),
            }),
        }
    }

    /// Appends a parameter.
    pub fn with_parameter(
        mut self,
        key: impl Into<String>,
        label: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        self.parameters.push(Parameter::new(key, label, value));
        self
    }

    /// Appends a key figure.
    pub fn with_figure(mut self, figure: Figure) -> Self {
        self.summary.push(figure);
        self
    }

    /// Appends a headline line.
    pub fn with_line(mut self, label: impl Into<String>, text: impl Into<String>) -> Self {
        self.headline.push(Line::new(label, text));
        self
    }

    /// Appends a table.
    pub fn with_table(mut self, table: Table) -> Self {
        self.tables.push(table);
        self
    }

    /// Appends a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Appends a diagnostic.
    pub fn with_diagnostic(mut self, diagnostic: Diagnostic) -> Self {
        self.diagnostics.push(diagnostic);
        self
    }

    /// Checks every table ([`Table::validate`]), that table keys are unique, and that parameter, figure
    /// and diagnostic keys are snake_case, parameter and figure keys unique within their list (diagnostic
    /// keys may repeat: one per solve).
    pub fn validate(&self) -> Result<(), ReportError> {
        unique_keys("parameter", self.parameters.iter().map(|p| p.key.as_str()))?;
        unique_keys("figure", self.summary.iter().map(|f| f.key.as_str()))?;
        for diagnostic in &self.diagnostics {
            check_key("diagnostic", &diagnostic.key)?;
        }
        for table in &self.tables {
            table.validate()?;
        }
        unique_keys("table", self.tables.iter().map(|t| t.key.as_str()))
    }
}

fn unique_keys<'a>(
    what: &'static str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<(), ReportError> {
    let mut seen = HashSet::new();
    for key in keys {
        check_key(what, key)?;
        if !seen.insert(key) {
            return Err(ReportError::DuplicateKey {
                what,
                key: key.to_string(),
                table: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    fn report() -> Report {
        Report::new("keys", "Key sectors", Provenance::new())
            .with_parameter("year", "Year", 2022)
            .with_figure(Figure::new("n", "Sectors", 3usize, Kind::Count))
            .with_table(Table::new("a", "A").with(Column::code("c", "C").values(vec!["x"])))
    }

    #[test]
    fn new_sets_version_and_schema() {
        let r = report();
        assert_eq!(r.schema_version, 1);
        assert_eq!(r.provenance.sovra_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(r.parameters[0].value, Value::Int(2022));
        assert_eq!(r.summary[0].value, Value::Int(3));
        assert_eq!(r.summary[0].decimals, 0);
        r.validate().expect("valid");
    }

    #[test]
    fn figure_and_diagnostic_builders() {
        let f = Figure::new("gdp", "GDP", 1.5, Kind::Amount)
            .unit("USD million")
            .decimals(1);
        assert_eq!((f.unit.as_deref(), f.decimals), (Some("USD million"), 1));
        let d = Diagnostic::new("leontief_solve", "Leontief solve")
            .method("lu")
            .right_hand_sides(2)
            .iterations(0)
            .max_relative_residual(1e-15)
            .seconds(0.25);
        assert_eq!(d.method.as_deref(), Some("lu"));
        assert_eq!((d.right_hand_sides, d.iterations), (Some(2), Some(0)));
        assert_eq!(
            (d.max_relative_residual, d.seconds),
            (Some(1e-15), Some(0.25))
        );
        let w = Diagnostic::warning("missing_trade", "Missing trade", "no 2023 data for VEN");
        assert_eq!(w.detail.as_deref(), Some("no 2023 data for VEN"));
        assert_eq!(w.method, None);
    }

    #[test]
    fn validate_report_errors() {
        let dup = report().with_table(Table::new("a", "Again"));
        assert_eq!(
            dup.validate().expect_err("dup").to_string(),
            "duplicate table key `a`"
        );
        let dup = report().with_parameter("year", "Year", 2023);
        assert_eq!(
            dup.validate().expect_err("dup").to_string(),
            "duplicate parameter key `year`"
        );
        let bad = report().with_figure(Figure::new("Source sha", "x", "y", Kind::Text));
        assert_eq!(
            bad.validate().expect_err("bad").to_string(),
            "figure key `Source sha` is not snake_case (expected [a-z][a-z0-9_]*)"
        );
        let bad = report().with_diagnostic(Diagnostic::new("LU", "x"));
        assert_eq!(
            bad.validate().expect_err("bad").to_string(),
            "diagnostic key `LU` is not snake_case (expected [a-z][a-z0-9_]*)"
        );
        let ragged = report().with_table(
            Table::new("b", "B")
                .with(Column::code("c", "C").values(vec!["x"]))
                .with(Column::code("d", "D")),
        );
        assert_eq!(
            ragged.validate().expect_err("ragged").to_string(),
            "table `b`: column `d` has 0 rows, but the first column has 1"
        );
        let twice = report()
            .with_diagnostic(Diagnostic::new("solve", "1"))
            .with_diagnostic(Diagnostic::new("solve", "2"));
        twice.validate().expect("diagnostic keys may repeat");
    }

    #[test]
    fn select_table_errors_list_valid_keys() {
        let r = report().with_table(Table::new("b", "B"));
        assert_eq!(r.select_table(None).map(|t| t.key.as_str()).ok(), Some("a"));
        assert_eq!(
            r.select_table(Some("b")).map(|t| t.key.as_str()).ok(),
            Some("b")
        );
        assert_eq!(
            r.select_table(Some("c")).expect_err("unknown").to_string(),
            "unknown table `c`; valid keys: `a`, `b`"
        );
        let empty = Report::new("x", "X", Provenance::new());
        assert_eq!(
            empty.select_table(None).expect_err("none").to_string(),
            "the report has no tables"
        );
        assert_eq!(
            empty.select_table(Some("a")).expect_err("none").to_string(),
            "unknown table `a`; the report has no tables"
        );
    }
}
