//! Core values as Python values: JSON documents as dicts and lists (through `json.loads`,
//! so numbers, nesting and Unicode come out exactly as Python's own parser gives them),
//! and the plain records (findings, artifacts, job errors) as dicts with stable keys.

use office_core::JobError;
use office_core::Violation;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// A JSON value as the Python object `json.loads` makes of it.
pub fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let loads = LOADS.get_or_try_init(py, || {
        py.import("json")?.getattr("loads").map(Bound::unbind)
    })?;
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    loads.bind(py).call1((text,))
}

/// Anything serializable, as a Python value.
pub fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

/// `{"code", "line", "col", "message"}`: the stable keys of a finding.
pub fn finding_dict<'py>(py: Python<'py>, v: &Violation) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", &v.code)?;
    d.set_item("line", v.line)?;
    d.set_item("col", v.col)?;
    d.set_item("message", &v.message)?;
    Ok(d)
}

/// `{"code", "message", "details"}` (`details` is `None` when the core has none).
pub fn job_error_dict<'py>(py: Python<'py>, e: &JobError) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", e.code.as_str())?;
    d.set_item("message", &e.message)?;
    d.set_item("details", json_to_py(py, &e.details)?)?;
    Ok(d)
}
