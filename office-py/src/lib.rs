//! office-py: the Python face of office (`import office`). It only translates between
//! Python and office-core: values, files and errors. The Python package in
//! `python/office` re-exports these names with the exception classes and typing helpers.
//!
//! # Layout
//! - `office`: `Office`, an engine with its own tokio runtime and in-process workers.
//! - `job`: `Job` and `Artifact`; waiting in short slices so Ctrl-C arrives promptly.
//! - `files`: a path, bytes, a `(name, bytes)` tuple or a file object, as an `Upload`.
//! - `functions`: `validate`, `profile`, `serve`.
//! - `errors`: the one mapping of core errors to `office._errors` exceptions.
//! - `convert`: JSON values and plain records as Python dicts.
//!
//! Every core call runs with the GIL released (`Python::detach`).

mod convert;
mod errors;
mod files;
mod functions;
mod job;
mod office;

use pyo3::prelude::*;

#[pymodule]
fn _office(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<office::PyOffice>()?;
    m.add_class::<job::PyJob>()?;
    m.add_class::<job::PyArtifact>()?;
    m.add_function(wrap_pyfunction!(functions::validate, m)?)?;
    m.add_function(wrap_pyfunction!(functions::profile, m)?)?;
    m.add_function(wrap_pyfunction!(functions::serve, m)?)?;
    Ok(())
}
