//! The one conversion from `office_core::Error` to the Python exceptions defined in
//! `python/office/_errors.py`. Each core error maps to exactly one class; the message is
//! the core's sentence (its `Display`), never Rust debug text.

use office_core::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyType};

use crate::convert::finding_dict;
use crate::job::PyJob;

/// The Python exception classes, imported once.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || py.import("office._errors").map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.downcast_into::<PyType>()?)
}

/// Builds an instance of `office.<name>(*args)` as a `PyErr`; if even that fails (the
/// package is broken), the failure itself is raised.
fn raise<'py>(py: Python<'py>, name: &str, args: impl pyo3::call::PyCallArgs<'py>) -> PyErr {
    match class(py, name).and_then(|cls| cls.call1(args)) {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// `office.<name>(message)`.
pub fn office_error(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    raise(py, name, (message.into(),))
}

/// Converts a core error. Called with the GIL held, after the core call returned.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::NotFound(_) => office_error(py, "NotFound", message),
        Error::InvalidInput(_) => office_error(py, "InvalidInput", message),
        Error::UnreadableFile { file, reason } => {
            raise(py, "UnreadableFile", (message, file, reason))
        }
        Error::TooLarge { limit, .. } => raise(py, "TooLarge", (message, limit)),
        Error::OverQuota(over) => raise(
            py,
            "QuotaExceeded",
            (message, over.retry_after().map(|d| d.as_secs_f64())),
        ),
        Error::NotReady(_) => office_error(py, "NotReady", message),
        Error::Conflict(_) => office_error(py, "Conflict", message),
        Error::Rejected { violations } => {
            let findings = PyList::empty(py);
            for v in &violations {
                match finding_dict(py, v).and_then(|d| findings.append(d)) {
                    Ok(()) => {}
                    Err(err) => return err,
                }
            }
            raise(py, "ValidationError", (message, findings))
        }
        Error::Storage(_) | Error::Queue(_) | Error::StorageFull(_) | Error::ArtifactStore(_) => {
            office_error(py, "BackendError", message)
        }
        Error::Io(_) | Error::Internal(_) => office_error(py, "InternalError", message),
    }
}

/// `JobFailed` (or `JobRejected` when the program broke the code policy) for a job that
/// ended failed or cancelled.
pub fn job_failed(py: Python<'_>, job: Py<PyJob>) -> PyErr {
    let snapshot = job.get().snapshot();
    let (rejected, message) = match &snapshot.error {
        Some(e) => (e.code.is_rejection(), e.message.clone()),
        None => (false, String::new()),
    };
    let message = format!("job {} {}: {message}", snapshot.id, snapshot.status);
    if rejected {
        let violations = snapshot
            .error
            .as_ref()
            .and_then(|e| e.details.get("violations"))
            .cloned()
            .unwrap_or_default();
        return match crate::convert::json_to_py(py, &violations) {
            Ok(findings) => raise(py, "JobRejected", (message, job, findings)),
            Err(e) => e,
        };
    }
    raise(py, "JobFailed", (message, job))
}

/// `JobTimeout` when `wait(timeout)` runs out; the job goes on.
pub fn job_timeout(py: Python<'_>, job: Py<PyJob>, seconds: f64) -> PyErr {
    let snapshot = job.get().snapshot();
    let message = format!(
        "job {} is still {} (stage {}) after {seconds} s; it goes on, wait again or cancel it",
        snapshot.id, snapshot.status, snapshot.stage
    );
    raise(py, "JobTimeout", (message, job))
}

/// A `TypeError` naming the argument and what it accepts.
pub fn type_error(message: impl Into<String>) -> PyErr {
    PyTypeError::new_err(message.into())
}
