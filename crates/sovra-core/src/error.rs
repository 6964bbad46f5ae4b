//! The one error type of `sovra-core`: every variant says where the problem is (file, row and column labels,
//! nodes) and what was expected.

use std::path::PathBuf;

/// Result alias for `sovra-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when reading, storing or solving an MRIO table.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O failure on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file whose structure is not what its format requires.
    #[error("{file}: {detail}")]
    Format {
        /// The file (or archive member).
        file: String,
        /// What is wrong and what was expected.
        detail: String,
    },
    /// One bad cell, located by its row and column labels.
    #[error("{file}: row {row}, column {column}: {detail}")]
    Cell {
        /// The file.
        file: String,
        /// Row label (or 1-based line number when the row has no label).
        row: String,
        /// Column label.
        column: String,
        /// What is wrong and what was expected.
        detail: String,
    },
    /// The table does not balance, or its output is negative or zero where it must not be.
    #[error("{source_name}: {detail}")]
    Invalid {
        /// The dataset or file.
        source_name: String,
        /// What is wrong, naming the offending nodes.
        detail: String,
    },
    /// `A` is not productive: `(I − A)⁻¹` does not exist or is not non-negative.
    #[error(
        "the technical-coefficient matrix A is not productive ({detail}); offending nodes: {nodes}"
    )]
    NonProductive {
        /// How it was detected.
        detail: String,
        /// The offending nodes, as region/sector labels.
        nodes: String,
    },
    /// A downloaded or stored file does not have the expected checksum.
    #[error("{file}: sha256 mismatch: expected {expected}, found {found}")]
    Checksum {
        /// The file.
        file: String,
        /// The sha256 the release is pinned to.
        expected: String,
        /// The sha256 found.
        found: String,
    },
    /// No dataset by that name in the store.
    #[error("no dataset named '{name}' in {}; {hint}", home.display())]
    NoDataset {
        /// Requested name.
        name: String,
        /// The store directory searched.
        home: PathBuf,
        /// What to do about it.
        hint: String,
    },
    /// A dataset of that name is already in the store, and the write was not asked to replace it.
    #[error("dataset '{name}' already exists in {}; use --replace to replace it", home.display())]
    AlreadyExists {
        /// The dataset name.
        name: String,
        /// The store.
        home: PathBuf,
    },
    /// Another process is writing to the store.
    #[error(
        "{}: another sovra process is writing to this store ({holder}){}; wait for it with --wait, or try \
         again when it has finished",
        path.display(),
        if waited.is_zero() { String::new() } else { format!("; gave up after waiting {:.1} s", waited.as_secs_f64()) }
    )]
    Locked {
        /// The store (the directory whose lock is held).
        path: PathBuf,
        /// Who holds it: PID, host, what it does and for how long.
        holder: String,
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// An analysis or solver request that cannot be met on this table.
    #[error("{0}")]
    Unsupported(String),
    /// An external program (python3/pip) failed or is missing.
    #[error("{0}")]
    External(String),
    /// A name (region, sector, bloc) that does not exist, with the nearest valid one and the full list.
    #[error("unknown {kind} '{name}'{}; valid: {valid}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Unknown {
        /// What kind of name.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The nearest valid name, when one is close.
        suggestion: Option<String>,
        /// The valid choices.
        valid: String,
    },
    /// A bloc expression that has no member (on the date asked, or in the dataset).
    #[error("'{expr}' has no member as of {as_of}{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    EmptyBloc {
        /// The expression.
        expr: String,
        /// The membership date.
        as_of: String,
        /// Why: the members of each bloc named, or the dataset's regions.
        detail: String,
    },
    /// A bloc expression that does not parse.
    #[error(
        "bloc expression '{expr}': {detail} (write e.g. EU27+G7-DEU, BRICS&OPEC, (EU27+GBR)&OECD)"
    )]
    BlocExpr {
        /// The expression.
        expr: String,
        /// What is wrong.
        detail: String,
    },
    /// A request that contradicts itself (e.g. "us" and "them" overlap).
    #[error("{0}")]
    Request(String),
}

impl Error {
    /// Is this the user's mistake in naming things on the command line (unknown name, empty or malformed
    /// bloc, contradictory request, a dataset that exists without `--replace`)? The CLI exits with code 2
    /// for these.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Unknown { .. }
                | Error::EmptyBloc { .. }
                | Error::BlocExpr { .. }
                | Error::Request(_)
                | Error::AlreadyExists { .. }
        )
    }

    /// Is this an I/O error saying that a file is not there?
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
