//! Which Python exception an engine error becomes: one class per [`ErrorKind`] under `sovra.SovraError`, with
//! the request field (the Python argument) at fault, the nearest valid value and the choices as attributes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use sovra_engine::{Error, ErrorKind};

create_exception!(
    sovra,
    SovraError,
    PyException,
    "Every error sovra raises; `.kind` says whose fault, `.field` the argument at fault."
);
create_exception!(
    sovra,
    UsageError,
    SovraError,
    "The request is wrong: an unknown name, a value out of range, arguments that contradict each other."
);
create_exception!(
    sovra,
    NotFoundError,
    SovraError,
    "Something named does not exist: a dataset, a trade store, a year."
);
create_exception!(
    sovra,
    BadDataError,
    SovraError,
    "The data are malformed or do not balance (the array or file, row and column are named)."
);
create_exception!(
    sovra,
    ComputeError,
    SovraError,
    "The computation failed (no convergence, a table that is not productive)."
);
create_exception!(
    sovra,
    ExternalError,
    SovraError,
    "An external program or the file system failed (pip, a disk)."
);
create_exception!(sovra, CancelledError, SovraError, "The work was cancelled.");
create_exception!(
    sovra,
    BusyError,
    SovraError,
    "The store is locked by another writer; try again."
);

/// The Python exception of an engine error. The message starts with the argument at fault when the engine's
/// message does not name it already.
pub fn to_py(err: Error) -> PyErr {
    let message = match &err.field {
        Some(f) if !err.message.contains(f.as_str()) => format!("{f}: {}", err.message),
        _ => err.message.clone(),
    };
    let e = match err.kind {
        ErrorKind::Usage => UsageError::new_err(message),
        ErrorKind::NotFound => NotFoundError::new_err(message),
        ErrorKind::BadData => BadDataError::new_err(message),
        ErrorKind::Compute => ComputeError::new_err(message),
        ErrorKind::External => ExternalError::new_err(message),
        ErrorKind::Cancelled => CancelledError::new_err(message),
        ErrorKind::Busy => BusyError::new_err(message),
    };
    Python::attach(|py| {
        let v = e.value(py);
        // Attributes on a fresh exception instance cannot fail in practice; a failure would only lose them.
        let _ = v.setattr("kind", err.kind.name());
        let _ = v.setattr("field", err.field.clone());
        let _ = v.setattr("nearest", err.nearest.clone());
        let _ = v.setattr("choices", err.choices.clone());
    });
    e
}

/// A usage error on an argument of a Python call (before any request reaches the engine).
pub fn usage(field: &str, message: impl Into<String>) -> PyErr {
    to_py(Error::usage(field, message))
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SovraError", py.get_type::<SovraError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("BadDataError", py.get_type::<BadDataError>())?;
    m.add("ComputeError", py.get_type::<ComputeError>())?;
    m.add("ExternalError", py.get_type::<ExternalError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;
    m.add("BusyError", py.get_type::<BusyError>())?;
    Ok(())
}
