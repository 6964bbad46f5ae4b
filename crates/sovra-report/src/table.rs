//! How a report holds its rows: a [`Table`] is a list of typed [`Column`]s of equal length (columnar, so a
//! column converts to Arrow in one step), each with a key, a label, a unit, a [`Kind`], display decimals and
//! a link into the docs. [`TableBuilder`] fills one row at a time and checks each value against its column.
//!
//! On the wire (JSON) a table is written as records — `{"key", "title", "columns": […], "rows": [{…}, …]}` —
//! and read back from the same shape; see `docs/report-schema.md`.

use std::collections::{BTreeMap, HashSet};

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::{ColumnType, Kind, ReportError, Value};

/// Whether `key` is snake_case: `[a-z][a-z0-9_]*`.
pub fn is_snake_case(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn check_key(what: &'static str, key: &str) -> Result<(), ReportError> {
    if is_snake_case(key) {
        Ok(())
    } else {
        Err(ReportError::InvalidKey {
            what,
            key: key.to_string(),
        })
    }
}

/// The values of one column, one per row; `None` is null.
///
/// A non-finite `f64` (NaN, ±∞) in a [`Values::Number`] column is kept in memory but written as null by
/// every writer (JSON `null`, an empty CSV field, an Arrow null).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Floating-point numbers.
    Number(Vec<Option<f64>>),
    /// Integers.
    Int(Vec<Option<i64>>),
    /// Text (codes keep their leading zeros).
    Text(Vec<Option<String>>),
    /// Flags.
    Bool(Vec<Option<bool>>),
}

impl Values {
    /// No values of type `ty`.
    pub fn empty(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Number => Values::Number(Vec::new()),
            ColumnType::Int => Values::Int(Vec::new()),
            ColumnType::Text => Values::Text(Vec::new()),
            ColumnType::Bool => Values::Bool(Vec::new()),
        }
    }

    /// The storage type.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Values::Number(_) => ColumnType::Number,
            Values::Int(_) => ColumnType::Int,
            Values::Text(_) => ColumnType::Text,
            Values::Bool(_) => ColumnType::Bool,
        }
    }

    /// Number of values (rows).
    pub fn len(&self) -> usize {
        match self {
            Values::Number(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Text(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value in row `row` ([`Value::Null`] for a null or a row past the end). A non-finite number is
    /// returned as it is stored.
    pub fn get(&self, row: usize) -> Value {
        match self {
            Values::Number(v) => v
                .get(row)
                .copied()
                .flatten()
                .map_or(Value::Null, Value::Number),
            Values::Int(v) => v
                .get(row)
                .copied()
                .flatten()
                .map_or(Value::Null, Value::Int),
            Values::Text(v) => v
                .get(row)
                .and_then(Clone::clone)
                .map_or(Value::Null, Value::Text),
            Values::Bool(v) => v
                .get(row)
                .copied()
                .flatten()
                .map_or(Value::Null, Value::Bool),
        }
    }

    /// Whether `value` can be stored here: null always; an int in a number column; otherwise the same type.
    pub fn accepts(&self, value: &Value) -> bool {
        matches!(
            (self, value),
            (_, Value::Null)
                | (Values::Number(_), Value::Number(_) | Value::Int(_))
                | (Values::Int(_), Value::Int(_))
                | (Values::Text(_), Value::Text(_))
                | (Values::Bool(_), Value::Bool(_))
        )
    }

    /// Appends `value`, or gives it back when [`Values::accepts`] refuses it.
    pub fn push(&mut self, value: Value) -> Result<(), Value> {
        match (self, value) {
            (Values::Number(v), Value::Null) => v.push(None),
            (Values::Int(v), Value::Null) => v.push(None),
            (Values::Text(v), Value::Null) => v.push(None),
            (Values::Bool(v), Value::Null) => v.push(None),
            (Values::Number(v), Value::Number(x)) => v.push(Some(x)),
            (Values::Number(v), Value::Int(i)) => v.push(Some(i as f64)),
            (Values::Int(v), Value::Int(i)) => v.push(Some(i)),
            (Values::Text(v), Value::Text(s)) => v.push(Some(s)),
            (Values::Bool(v), Value::Bool(b)) => v.push(Some(b)),
            (_, other) => return Err(other),
        }
        Ok(())
    }

    fn clear(&mut self) {
        match self {
            Values::Number(v) => v.clear(),
            Values::Int(v) => v.clear(),
            Values::Text(v) => v.clear(),
            Values::Bool(v) => v.clear(),
        }
    }
}

impl From<Vec<f64>> for Values {
    fn from(v: Vec<f64>) -> Self {
        Values::Number(v.into_iter().map(Some).collect())
    }
}
impl From<Vec<Option<f64>>> for Values {
    fn from(v: Vec<Option<f64>>) -> Self {
        Values::Number(v)
    }
}
impl From<Vec<i64>> for Values {
    fn from(v: Vec<i64>) -> Self {
        Values::Int(v.into_iter().map(Some).collect())
    }
}
impl From<Vec<Option<i64>>> for Values {
    fn from(v: Vec<Option<i64>>) -> Self {
        Values::Int(v)
    }
}
impl From<Vec<String>> for Values {
    fn from(v: Vec<String>) -> Self {
        Values::Text(v.into_iter().map(Some).collect())
    }
}
impl From<Vec<&str>> for Values {
    fn from(v: Vec<&str>) -> Self {
        Values::Text(v.into_iter().map(|s| Some(s.to_string())).collect())
    }
}
impl From<Vec<Option<&str>>> for Values {
    fn from(v: Vec<Option<&str>>) -> Self {
        Values::Text(v.into_iter().map(|s| s.map(str::to_string)).collect())
    }
}
impl From<Vec<Option<String>>> for Values {
    fn from(v: Vec<Option<String>>) -> Self {
        Values::Text(v)
    }
}
impl From<Vec<bool>> for Values {
    fn from(v: Vec<bool>) -> Self {
        Values::Bool(v.into_iter().map(Some).collect())
    }
}
impl From<Vec<Option<bool>>> for Values {
    fn from(v: Vec<Option<bool>>) -> Self {
        Values::Bool(v)
    }
}

/// One column of a table: what it holds, how to show it, and its values.
///
/// ```
/// use sovra_report::{Column, Kind};
/// let share = Column::number("va_share", "Value added from them", Kind::Share)
///     .decimals(1)
///     .doc("docs/indicators.md#depend")
///     .values(vec![0.0154, 0.2]);
/// assert_eq!(share.values.len(), 2);
/// let hs = Column::code("hs6", "HS code").values(vec!["032989"]);
/// assert_eq!(hs.values.get(0).as_str(), Some("032989"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Machine name, snake_case, unique in its table; the CSV header and the JSON record field.
    pub key: String,
    /// Header for people.
    pub label: String,
    /// Unit (`USD million`), when the values have one.
    pub unit: Option<String>,
    /// How to read the values.
    pub kind: Kind,
    /// Decimals shown to people (of the percentage for a share); machines get full precision.
    pub decimals: u8,
    /// Link into the docs, e.g. `docs/indicators.md#depend`.
    pub doc: Option<String>,
    /// Display hint for people: show this column's text right after the column with this key, in one cell
    /// (e.g. a supplier's share after the supplier's code). Machines ignore it.
    pub join: Option<String>,
    /// Display hint for people: leave this column out of terminal and HTML tables (it stays in CSV, JSON and
    /// Arrow). Machines ignore it.
    pub hidden: bool,
    /// The values, one per row.
    pub values: Values,
}

impl Column {
    /// A column of kind `kind` storing `values` (any type; [`Table::validate`] checks it fits the kind).
    pub fn new(
        key: impl Into<String>,
        label: impl Into<String>,
        kind: Kind,
        values: Values,
    ) -> Self {
        Column {
            key: key.into(),
            label: label.into(),
            unit: None,
            kind,
            decimals: kind.default_decimals(),
            doc: None,
            join: None,
            hidden: false,
            values,
        }
    }

    /// An empty `f64` column (shares, amounts, ratios).
    pub fn number(key: impl Into<String>, label: impl Into<String>, kind: Kind) -> Self {
        Self::new(key, label, kind, Values::Number(Vec::new()))
    }

    /// An empty `i64` column (counts, ranks, years).
    pub fn int(key: impl Into<String>, label: impl Into<String>, kind: Kind) -> Self {
        Self::new(key, label, kind, Values::Int(Vec::new()))
    }

    /// An empty text column of kind [`Kind::Text`].
    pub fn text(key: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(key, label, Kind::Text, Values::Text(Vec::new()))
    }

    /// An empty text column of kind [`Kind::Code`] (ISO3, sector or HS codes; leading zeros kept).
    pub fn code(key: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(key, label, Kind::Code, Values::Text(Vec::new()))
    }

    /// An empty bool column of kind [`Kind::Flag`].
    pub fn flag(key: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(key, label, Kind::Flag, Values::Bool(Vec::new()))
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

    /// Sets the documentation link.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    /// Leaves this column out of tables for people (a display hint).
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Shows this column right after the column `key`, in one cell (a display hint).
    pub fn join(mut self, key: impl Into<String>) -> Self {
        self.join = Some(key.into());
        self
    }

    /// Sets the kind (e.g. [`Kind::Date`] on a text column); keeps the decimals.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// Replaces the values (`Vec<f64>`, `Vec<Option<i64>>`, `Vec<&str>`, …).
    pub fn values(mut self, values: impl Into<Values>) -> Self {
        self.values = values.into();
        self
    }

    /// The storage type of the values.
    pub fn column_type(&self) -> ColumnType {
        self.values.column_type()
    }
}

/// A table of a report: named columns of equal length.
///
/// ```
/// use sovra_report::{Column, Kind, Table};
/// let table = Table::new("sectors", "Dependent sectors")
///     .with(Column::code("sector", "Sector").values(vec!["C20", "C26"]))
///     .with(Column::number("share", "Share", Kind::Share).values(vec![0.1, 0.25]));
/// assert_eq!(table.len(), 2);
/// table.validate().expect("a valid table");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Machine name, snake_case, unique in its report.
    pub key: String,
    /// Title for people.
    pub title: String,
    /// The columns, in display order.
    pub columns: Vec<Column>,
}

impl Table {
    /// A table without columns.
    pub fn new(key: impl Into<String>, title: impl Into<String>) -> Self {
        Table {
            key: key.into(),
            title: title.into(),
            columns: Vec::new(),
        }
    }

    /// Appends a column.
    pub fn with(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// Number of rows: the length of the first column (0 without columns).
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column with this key.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// The values of row `row`, in column order ([`Value::Null`] past the end of a column).
    pub fn row(&self, row: usize) -> Vec<Value> {
        self.columns.iter().map(|c| c.values.get(row)).collect()
    }

    /// Checks that the table and column keys are snake_case, the column keys unique, the columns of equal
    /// length, every column's values fit its kind, and every `join` names another column.
    pub fn validate(&self) -> Result<(), ReportError> {
        check_key("table", &self.key)?;
        let mut seen = HashSet::new();
        for column in &self.columns {
            check_key("column", &column.key)?;
            if !seen.insert(column.key.as_str()) {
                return Err(ReportError::DuplicateKey {
                    what: "column",
                    key: column.key.clone(),
                    table: Some(self.key.clone()),
                });
            }
        }
        self.check_lengths()?;
        for column in &self.columns {
            let found = column.column_type();
            if !column.kind.accepts(found) {
                return Err(ReportError::KindMismatch {
                    table: self.key.clone(),
                    column: column.key.clone(),
                    kind: column.kind,
                    found,
                    expected: column.kind.accepts_words(),
                });
            }
            let joins_elsewhere =
                |target: &String| *target != column.key && seen.contains(target.as_str());
            if let Some(target) = column.join.as_ref().filter(|t| !joins_elsewhere(t)) {
                return Err(ReportError::UnknownJoin {
                    table: self.key.clone(),
                    column: column.key.clone(),
                    target: target.clone(),
                });
            }
        }
        Ok(())
    }

    /// Checks only that the columns are of equal length.
    pub(crate) fn check_lengths(&self) -> Result<(), ReportError> {
        let expected = self.len();
        match self.columns.iter().find(|c| c.values.len() != expected) {
            Some(column) => Err(ReportError::Ragged {
                table: self.key.clone(),
                column: column.key.clone(),
                len: column.values.len(),
                expected,
            }),
            None => Ok(()),
        }
    }
}

/// Fills a table row by row, checking each row's length and each value's type against its column.
///
/// ```
/// use sovra_report::{Column, Kind, TableBuilder, Value};
/// let mut rows = TableBuilder::new(
///     "suppliers",
///     "Largest suppliers",
///     vec![
///         Column::int("rank", "#", Kind::Rank),
///         Column::code("region", "Region"),
///         Column::number("share", "Share", Kind::Share),
///     ],
/// );
/// rows.push_row(vec![1.into(), "CHN".into(), 0.4.into()]).expect("fits");
/// rows.push_row(vec![2.into(), "USA".into(), Value::Null]).expect("null is always allowed");
/// let err = rows.push_row(vec![3.into(), 7.into(), 0.1.into()]).unwrap_err();
/// assert_eq!(err.to_string(), "table `suppliers`, row 2, column `region`: expected text, got int 7");
/// let table = rows.finish();
/// assert_eq!(table.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct TableBuilder {
    table: Table,
    rows: usize,
}

impl TableBuilder {
    /// A builder for a table with these columns; only their descriptions are used (values in `specs` are
    /// dropped).
    pub fn new(key: impl Into<String>, title: impl Into<String>, specs: Vec<Column>) -> Self {
        let mut table = Table::new(key, title);
        table.columns = specs;
        for column in &mut table.columns {
            column.values.clear();
        }
        TableBuilder { table, rows: 0 }
    }

    /// Appends one row, one value per column in column order. [`Value::Null`] fits every column and an
    /// int fits a number column; any other mismatch, or a wrong number of values, is an error and leaves the
    /// table unchanged.
    pub fn push_row(&mut self, row: Vec<Value>) -> Result<(), ReportError> {
        let columns = &mut self.table.columns;
        if row.len() != columns.len() {
            return Err(ReportError::RowArity {
                table: self.table.key.clone(),
                row: self.rows,
                got: row.len(),
                expected: columns.len(),
            });
        }
        if let Some((column, value)) = columns
            .iter()
            .zip(&row)
            .find(|(column, value)| !column.values.accepts(value))
        {
            return Err(ReportError::CellType {
                table: self.table.key.clone(),
                row: self.rows,
                column: column.key.clone(),
                expected: column.column_type(),
                got: value.describe(),
            });
        }
        for (column, value) in columns.iter_mut().zip(row) {
            // Accepted above, so the push cannot refuse it.
            let _ = column.values.push(value);
        }
        self.rows += 1;
        Ok(())
    }

    /// Number of rows pushed so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row has been pushed.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The table.
    pub fn finish(self) -> Table {
        self.table
    }
}

// ---- wire format ---------------------------------------------------------------------------------------

/// A column's description on the wire (everything but the values).
#[derive(Serialize, Deserialize)]
struct ColumnHead {
    key: String,
    label: String,
    #[serde(default)]
    unit: Option<String>,
    kind: Kind,
    #[serde(rename = "type", default)]
    column_type: Option<ColumnType>,
    #[serde(default)]
    decimals: Option<u8>,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    join: Option<String>,
    #[serde(default)]
    hidden: bool,
}

/// Borrowed form of [`ColumnHead`] for writing.
#[derive(Serialize)]
struct ColumnHeadRef<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a Option<String>,
    kind: Kind,
    #[serde(rename = "type")]
    column_type: ColumnType,
    decimals: u8,
    doc: &'a Option<String>,
    join: &'a Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    hidden: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

struct Rows<'a>(&'a Table);
struct Row<'a>(&'a Table, usize);
struct Cell<'a>(&'a Values, usize);

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let heads: Vec<ColumnHeadRef<'_>> = self
            .columns
            .iter()
            .map(|c| ColumnHeadRef {
                key: &c.key,
                label: &c.label,
                unit: &c.unit,
                kind: c.kind,
                column_type: c.column_type(),
                decimals: c.decimals,
                doc: &c.doc,
                join: &c.join,
                hidden: c.hidden,
            })
            .collect();
        let mut s = serializer.serialize_struct("Table", 4)?;
        s.serialize_field("key", &self.key)?;
        s.serialize_field("title", &self.title)?;
        s.serialize_field("columns", &heads)?;
        s.serialize_field("rows", &Rows(self))?;
        s.end()
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rows = self.0.len();
        let mut seq = serializer.serialize_seq(Some(rows))?;
        for row in 0..rows {
            seq.serialize_element(&Row(self.0, row))?;
        }
        seq.end()
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.columns.len()))?;
        for column in &self.0.columns {
            map.serialize_entry(&column.key, &Cell(&column.values, self.1))?;
        }
        map.end()
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = self.1;
        match self.0 {
            Values::Number(v) => match v.get(row).copied().flatten() {
                Some(x) if x.is_finite() => serializer.serialize_f64(x),
                _ => serializer.serialize_none(),
            },
            Values::Int(v) => match v.get(row).copied().flatten() {
                Some(i) => serializer.serialize_i64(i),
                None => serializer.serialize_none(),
            },
            Values::Text(v) => match v.get(row).and_then(Option::as_deref) {
                Some(s) => serializer.serialize_str(s),
                None => serializer.serialize_none(),
            },
            Values::Bool(v) => match v.get(row).copied().flatten() {
                Some(b) => serializer.serialize_bool(b),
                None => serializer.serialize_none(),
            },
        }
    }
}

#[derive(Deserialize)]
struct TableWire {
    key: String,
    title: String,
    #[serde(default)]
    columns: Vec<ColumnHead>,
    #[serde(default)]
    rows: Vec<BTreeMap<String, Value>>,
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = TableWire::deserialize(deserializer)?;
        table_from_wire(wire).map_err(de::Error::custom)
    }
}

/// Rebuilds the columns from records. A column without `type` takes its kind's natural type; a row field
/// that is not a column, or a value that does not fit its column, is an error; a missing field is null.
fn table_from_wire(wire: TableWire) -> Result<Table, String> {
    let mut table = Table::new(wire.key, wire.title);
    for head in wire.columns {
        let ty = head.column_type.unwrap_or_else(|| head.kind.natural_type());
        let mut column = Column::new(head.key, head.label, head.kind, Values::empty(ty));
        column.unit = head.unit;
        column.decimals = head.decimals.unwrap_or(column.decimals);
        column.doc = head.doc;
        column.join = head.join;
        column.hidden = head.hidden;
        table.columns.push(column);
    }
    for (row, mut record) in wire.rows.into_iter().enumerate() {
        for column in &mut table.columns {
            let value = record.remove(&column.key).unwrap_or(Value::Null);
            if let Err(value) = column.values.push(value) {
                return Err(ReportError::CellType {
                    table: table.key.clone(),
                    row,
                    column: column.key.clone(),
                    expected: column.values.column_type(),
                    got: value.describe(),
                }
                .to_string());
            }
        }
        if let Some(field) = record.keys().next() {
            let valid: Vec<&str> = table.columns.iter().map(|c| c.key.as_str()).collect();
            return Err(format!(
                "table `{}`, row {row}: field `{field}` is not a column (columns: {})",
                table.key,
                valid.join(", ")
            ));
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new("t", "T")
            .with(Column::code("region", "Region").values(vec!["DEU", "FRA"]))
            .with(Column::number("share", "Share", Kind::Share).values(vec![0.5, 0.25]))
    }

    #[test]
    fn snake_case_rule() {
        for ok in ["a", "va_share", "x1", "a_b_9"] {
            assert!(is_snake_case(ok), "{ok}");
        }
        for bad in ["", "A", "1a", "_a", "va-share", "va share", "Share", "é"] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }

    #[test]
    fn constructors_set_type_kind_and_decimals() {
        let c = Column::number("s", "S", Kind::Share);
        assert_eq!(
            (c.column_type(), c.kind, c.decimals),
            (ColumnType::Number, Kind::Share, 2)
        );
        let c = Column::int("n", "N", Kind::Count)
            .unit("firms")
            .decimals(1)
            .doc("docs/x.md#n");
        assert_eq!(
            (c.column_type(), c.kind, c.decimals),
            (ColumnType::Int, Kind::Count, 1)
        );
        assert_eq!(c.unit.as_deref(), Some("firms"));
        assert_eq!(c.doc.as_deref(), Some("docs/x.md#n"));
        let c = Column::text("name", "Name").kind(Kind::Date);
        assert_eq!((c.column_type(), c.kind), (ColumnType::Text, Kind::Date));
        let c = Column::flag("f", "F").join("name");
        assert_eq!(
            (c.column_type(), c.join.as_deref()),
            (ColumnType::Bool, Some("name"))
        );
        assert_eq!(Column::code("c", "C").kind, Kind::Code);
        assert_eq!(Column::number("r", "R", Kind::Ratio).decimals, 3);
    }

    #[test]
    fn len_row_and_column() {
        let t = sample();
        assert_eq!(t.len(), 2);
        assert!(!t.is_empty());
        assert_eq!(
            t.row(1),
            vec![Value::Text("FRA".into()), Value::Number(0.25)]
        );
        assert_eq!(t.row(5), vec![Value::Null, Value::Null]);
        assert_eq!(t.column("share").map(|c| c.kind), Some(Kind::Share));
        assert!(t.column("nope").is_none());
        assert_eq!(Table::new("e", "E").len(), 0);
    }

    #[test]
    fn validate_accepts_a_good_table() {
        sample().validate().expect("valid");
        sample()
            .with(
                Column::text("note", "Note")
                    .values(vec!["a", "b"])
                    .join("region"),
            )
            .validate()
            .expect("join to an existing column");
    }

    fn err(t: Table) -> String {
        t.validate().expect_err("invalid").to_string()
    }

    #[test]
    fn validate_errors_name_what_is_wrong() {
        assert_eq!(
            err(sample().with(Column::number("share", "Again", Kind::Share).values(vec![1.0, 2.0]))),
            "duplicate column key `share` in table `t`"
        );
        assert_eq!(
            err(sample().with(Column::number("Share2", "S", Kind::Share).values(vec![1.0, 2.0]))),
            "column key `Share2` is not snake_case (expected [a-z][a-z0-9_]*)"
        );
        let mut bad_key = sample();
        bad_key.key = "my-table".into();
        assert_eq!(
            err(bad_key),
            "table key `my-table` is not snake_case (expected [a-z][a-z0-9_]*)"
        );
        assert_eq!(
            err(sample().with(Column::number("x", "X", Kind::Amount).values(vec![1.0]))),
            "table `t`: column `x` has 1 rows, but the first column has 2"
        );
        assert_eq!(
            err(sample().with(Column::number("hs", "HS", Kind::Code).values(vec![32989.0, 1.0]))),
            "table `t`: column `hs` of kind `code` holds number values; a `code` column holds text values"
        );
        assert_eq!(
            err(sample().with(
                Column::text("f", "F")
                    .kind(Kind::Flag)
                    .values(vec!["y", "n"])
            )),
            "table `t`: column `f` of kind `flag` holds text values; a `flag` column holds bool values"
        );
        assert_eq!(
            err(sample().with(
                Column::text("n", "N")
                    .values(vec!["a", "b"])
                    .join("supplier")
            )),
            "table `t`: column `n` joins `supplier`, which is not another column of the table"
        );
        assert_eq!(
            err(sample().with(Column::text("n", "N").values(vec!["a", "b"]).join("n"))),
            "table `t`: column `n` joins `n`, which is not another column of the table"
        );
    }

    #[test]
    fn builder_checks_arity_and_types() {
        let mut b = TableBuilder::new(
            "b",
            "B",
            vec![
                Column::number("x", "X", Kind::Amount).values(vec![9.0]),
                Column::int("n", "N", Kind::Count),
                Column::flag("f", "F"),
            ],
        );
        assert!(b.is_empty());
        b.push_row(vec![Value::Int(3), Value::Int(4), Value::Bool(true)])
            .expect("int fits a number column");
        b.push_row(vec![Value::Null, Value::Null, Value::Null])
            .expect("null fits everywhere");
        assert_eq!(
            b.push_row(vec![Value::Number(1.0), Value::Int(1)])
                .expect_err("short row")
                .to_string(),
            "table `b`, row 2: 2 values for 3 columns"
        );
        assert_eq!(
            b.push_row(vec![
                Value::Number(1.0),
                Value::Number(1.5),
                Value::Bool(false)
            ])
            .expect_err("number in an int column")
            .to_string(),
            "table `b`, row 2, column `n`: expected int, got number 1.5"
        );
        assert_eq!(
            b.push_row(vec![Value::Number(1.0), Value::Int(1), "yes".into()])
                .expect_err("text in a bool column")
                .to_string(),
            "table `b`, row 2, column `f`: expected bool, got text \"yes\""
        );
        assert_eq!(
            b.push_row(vec![Value::List(vec![]), Value::Int(1), true.into()])
                .expect_err("list")
                .to_string(),
            "table `b`, row 2, column `x`: expected number, got a list of 0 values"
        );
        assert_eq!(b.len(), 2);
        let t = b.finish();
        assert_eq!(t.columns[0].values, Values::Number(vec![Some(3.0), None]));
        assert_eq!(t.columns[1].values, Values::Int(vec![Some(4), None]));
        assert_eq!(t.columns[2].values, Values::Bool(vec![Some(true), None]));
        t.validate().expect("valid");
    }
}
