//! office-py: the Python face of office (`import office`). It only translates between
//! Python and office-core types; the full API (jobs, profiles, the server) is built on
//! this module by the Python package in `python/office`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Checks a program against the default code policy and returns its violations as dicts
/// with the stable keys `code`, `line`, `col` and `message` (empty when accepted).
#[pyfunction]
fn validate<'py>(py: Python<'py>, code: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let source = code.to_owned();
    let violations = py.detach(move || {
        office_core::validate::validate(&source, &office_core::validate::Policy::default())
    });
    violations
        .into_iter()
        .map(|v| {
            let d = PyDict::new(py);
            d.set_item("code", v.code)?;
            d.set_item("line", v.line)?;
            d.set_item("col", v.col)?;
            d.set_item("message", v.message)?;
            Ok(d)
        })
        .collect()
}

#[pymodule]
fn _office(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    Ok(())
}
