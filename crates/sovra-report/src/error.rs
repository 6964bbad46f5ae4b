//! What can go wrong when a report is built, checked or written: every error names the table, the row and
//! the column it is about, and an unknown table key lists the valid ones.

use crate::{ColumnType, Kind};

/// An error from building, validating or writing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A key (table, column, parameter, figure, diagnostic) is not snake_case `[a-z][a-z0-9_]*`.
    #[error("{what} key `{key}` is not snake_case (expected [a-z][a-z0-9_]*)")]
    InvalidKey {
        /// What the key names: `table`, `column`, `parameter`, `figure` or `diagnostic`.
        what: &'static str,
        /// The offending key.
        key: String,
    },
    /// Two items of one list share a key.
    #[error("duplicate {what} key `{key}`{}", in_table(.table))]
    DuplicateKey {
        /// What the key names: `table`, `column`, `parameter` or `figure`.
        what: &'static str,
        /// The repeated key.
        key: String,
        /// The table holding the columns, for duplicate column keys.
        table: Option<String>,
    },
    /// The columns of a table differ in length.
    #[error(
        "table `{table}`: column `{column}` has {len} rows, but the first column has {expected}"
    )]
    Ragged {
        /// Table key.
        table: String,
        /// Column key.
        column: String,
        /// Its length.
        len: usize,
        /// The first column's length.
        expected: usize,
    },
    /// A column's values do not fit its kind (a code must be text, a flag a bool, a share a number, …).
    #[error(
        "table `{table}`: column `{column}` of kind `{kind}` holds {found} values; a `{kind}` column holds {expected}"
    )]
    KindMismatch {
        /// Table key.
        table: String,
        /// Column key.
        column: String,
        /// The column's kind.
        kind: Kind,
        /// The type of its values.
        found: ColumnType,
        /// What the kind accepts, in words.
        expected: &'static str,
    },
    /// A column's `join` names no other column of its table.
    #[error(
        "table `{table}`: column `{column}` joins `{target}`, which is not another column of the table"
    )]
    UnknownJoin {
        /// Table key.
        table: String,
        /// Column key.
        column: String,
        /// The key it names.
        target: String,
    },
    /// A row pushed into a [`TableBuilder`](crate::TableBuilder) has the wrong number of values.
    #[error("table `{table}`, row {row}: {got} values for {expected} columns")]
    RowArity {
        /// Table key.
        table: String,
        /// 0-based row index.
        row: usize,
        /// Number of values in the row.
        got: usize,
        /// Number of columns.
        expected: usize,
    },
    /// A value does not fit its column's type.
    #[error("table `{table}`, row {row}, column `{column}`: expected {expected}, got {got}")]
    CellType {
        /// Table key.
        table: String,
        /// 0-based row index.
        row: usize,
        /// Column key.
        column: String,
        /// The column's type.
        expected: ColumnType,
        /// The value, described (`text "x"`, `number 1.5`, …).
        got: String,
    },
    /// A table key that the report does not have.
    #[error("unknown table `{key}`; {}", valid_keys(.valid))]
    UnknownTable {
        /// The key asked for.
        key: String,
        /// The report's table keys, in order.
        valid: Vec<String>,
    },
    /// A writer of one table was given a report without tables.
    #[error("the report has no tables")]
    NoTables,
    /// JSON could not be read (or written to an `io::Write`).
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Arrow rejected a batch or a stream could not be written.
    #[cfg(feature = "arrow")]
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed.
    #[cfg(feature = "arrow")]
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

fn in_table(table: &Option<String>) -> String {
    match table {
        Some(t) => format!(" in table `{t}`"),
        None => String::new(),
    }
}

fn valid_keys(valid: &[String]) -> String {
    if valid.is_empty() {
        "the report has no tables".to_string()
    } else {
        let keys: Vec<String> = valid.iter().map(|k| format!("`{k}`")).collect();
        format!("valid keys: {}", keys.join(", "))
    }
}
