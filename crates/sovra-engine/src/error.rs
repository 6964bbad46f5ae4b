//! What can go wrong when the engine answers a request, as one error with a kind. The kind decides the CLI's
//! exit code, the HTTP status and (later) the Python exception class, so a user meets the same kind of error
//! in every front end; the message names the request field at fault, and for names, the valid choices and
//! the nearest one.

use serde::Serialize;

/// Result alias of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kind of an error: whose fault, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request is wrong: an unknown name, a value out of range, fields that contradict each other.
    Usage,
    /// Something named does not exist: a dataset, a trade store, a year.
    NotFound,
    /// The data read are malformed or do not balance (file, row and column named).
    BadData,
    /// The computation failed (no convergence, a non-productive table).
    Compute,
    /// An external program or service failed (pip, the file system, a cluster).
    External,
    /// The work was cancelled (the client went away, Ctrl-C).
    Cancelled,
    /// The server is at capacity; try again later.
    Busy,
}

impl ErrorKind {
    /// Exit code of the CLI: 2 for usage and not-found (like clap's own usage errors), 1 otherwise, 130
    /// for a cancelled run.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage | ErrorKind::NotFound => 2,
            ErrorKind::Cancelled => 130,
            _ => 1,
        }
    }

    /// HTTP status of the server.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Usage => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::BadData => 422,
            ErrorKind::Compute => 500,
            ErrorKind::External => 502,
            ErrorKind::Cancelled => 499,
            ErrorKind::Busy => 503,
        }
    }

    /// The name used in JSON errors and Python exception classes.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::BadData => "bad_data",
            ErrorKind::Compute => "compute",
            ErrorKind::External => "external",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Busy => "busy",
        }
    }
}

/// An error of the engine: a kind, a message, and, when a request field is at fault, the field, the valid
/// choices and the nearest valid one.
#[derive(Debug, Clone, Serialize)]
pub struct Error {
    /// Whose fault.
    pub kind: ErrorKind,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault (`us`, `them`, `as_of`, `data`, …), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The nearest valid value, when the field names something unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<String>,
    /// The valid values, when few enough to list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// An error of a kind with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            field: None,
            nearest: None,
            choices: Vec::new(),
        }
    }

    /// A usage error on a request field.
    pub fn usage(field: &str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message).at(field)
    }

    /// Names the request field at fault (kept when already set by an inner step).
    pub fn at(mut self, field: &str) -> Self {
        if self.field.is_none() {
            self.field = Some(field.to_string());
        }
        self
    }

    /// Cancelled work.
    pub fn cancelled() -> Self {
        Error::new(ErrorKind::Cancelled, "cancelled")
    }
}

impl From<sovra_core::Error> for Error {
    fn from(e: sovra_core::Error) -> Self {
        use sovra_core::Error as C;
        let kind = match &e {
            C::Unknown { .. } | C::EmptyBloc { .. } | C::BlocExpr { .. } | C::Request(_) => {
                ErrorKind::Usage
            }
            C::NoDataset { .. } => ErrorKind::NotFound,
            C::Format { .. } | C::Cell { .. } | C::Invalid { .. } | C::Checksum { .. } => {
                ErrorKind::BadData
            }
            C::NonProductive { .. } | C::Unsupported(_) => ErrorKind::Compute,
            C::Io { .. } | C::External(_) => ErrorKind::External,
            C::AlreadyExists { .. } => ErrorKind::Usage,
            C::Locked { .. } => ErrorKind::Busy,
        };
        let mut err = Error::new(kind, e.to_string());
        if let C::Unknown {
            suggestion, valid, ..
        } = &e
        {
            err.nearest = suggestion.clone();
            // Only a plain list of names is a list of choices; prose ("the 80 regions of …, or a bloc
            // (…)") is left to the caller, which knows the names.
            if !valid.contains([',', '(', ')']) {
                let choices: Vec<String> = valid.split_whitespace().map(str::to_string).collect();
                if choices.len() <= 400 {
                    err.choices = choices;
                }
            }
        }
        err
    }
}

impl From<sovra_analysis::Error> for Error {
    fn from(e: sovra_analysis::Error) -> Self {
        match e {
            sovra_analysis::Error::Core(c) => c.into(),
            other => Error::new(ErrorKind::Usage, other.to_string()),
        }
    }
}

impl From<sovra_trade::Error> for Error {
    fn from(e: sovra_trade::Error) -> Self {
        match e {
            sovra_trade::Error::Core(c) => c.into(),
            other => Error::new(ErrorKind::BadData, other.to_string()),
        }
    }
}

impl From<sovra_lake::Error> for Error {
    fn from(e: sovra_lake::Error) -> Self {
        match e {
            sovra_lake::Error::Core(c) => c.into(),
            sovra_lake::Error::Trade(t) => t.into(),
            other => Error::new(ErrorKind::BadData, other.to_string()),
        }
    }
}

impl From<sovra_report::ReportError> for Error {
    fn from(e: sovra_report::ReportError) -> Self {
        Error::new(ErrorKind::Usage, e.to_string())
    }
}
