//! The module-level functions: `validate`, `profile` and `serve`.

use crate::convert::{finding_dict, to_py};
use crate::errors::{office_error, to_py as error_to_py};
use crate::office::{Options, Shared};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::time::Duration;

/// Checks a program against the default code policy and returns its findings: dicts with
/// the stable keys code (rule id, e.g. "OFF101"), line, col (1-based) and message. An
/// empty list means the program would be accepted.
#[pyfunction]
pub fn validate<'py>(py: Python<'py>, code: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let source = code.to_owned();
    let violations =
        py.detach(move || office_core::validate(&source, &office_core::Policy::default()));
    violations.iter().map(|v| finding_dict(py, v)).collect()
}

/// Profiles a workbook or CSV file the way a job sees it: its format, sheets, and per
/// column the inferred type, missing values and statistics, as a dict. Raises
/// UnreadableFile (with .file and .reason) when the file cannot be read.
#[pyfunction]
pub fn profile<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let profiled = py.detach(|| {
        if !path.is_file() {
            let reason = if path.exists() {
                "it is a folder, not a file"
            } else {
                "there is no such file"
            };
            return Err(office_core::Error::UnreadableFile {
                file: path.display().to_string(),
                reason: reason.into(),
            });
        }
        office_core::profile_file(&path, &name).map_err(office_core::Error::from)
    });
    match profiled {
        Ok(p) => to_py(py, &p),
        Err(e) => Err(error_to_py(py, e)),
    }
}

/// Runs the reference REST server (the same as `office serve`) in this process, with
/// in-process workers, until Ctrl-C; then finishes requests in flight, lets running jobs
/// finish for up to 30 s, and returns. Settings left as None come from the environment,
/// as for Office(); port 0 picks a free port. The address is printed to stderr.
#[pyfunction]
#[pyo3(signature = (host=None, port=None, *, data_dir=None, python=None, workers=None))]
pub fn serve(
    py: Python<'_>,
    host: Option<String>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
    python: Option<PathBuf>,
    workers: Option<usize>,
) -> PyResult<()> {
    let mut config = Options {
        data_dir,
        python,
        workers,
        ..Options::default()
    }
    .config(py)?;
    if let Some(h) = host {
        config.host = h;
    }
    if let Some(p) = port {
        config.port = p;
    }
    let addr = format!("{}:{}", config.host, config.port);
    let shared = Shared::open(py, config, office_core::Caller::default())?;
    let runtime = shared.runtime();
    let listener = py
        .detach(|| runtime.block_on(tokio::net::TcpListener::bind(&addr)))
        .map_err(|e| office_error(py, "OfficeError", format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().map_err(PyErr::from)?;
    eprintln!("office listening on http://{local} (Ctrl-C stops it)");

    let state = office_http::AppState::new(shared.engine.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = runtime.spawn(office_http::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    // Wait in slices so Ctrl-C reaches Python: signals are only seen between slices.
    let mut stop = Some(stop);
    let outcome = loop {
        let finished = py.detach(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(100), &mut server).await
            })
        });
        if let Ok(result) = finished {
            break result;
        }
        if let Err(interrupt) = py.check_signals() {
            if !interrupt.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
                return Err(interrupt);
            }
            eprintln!("office: stopping");
            if let Some(stop) = stop.take() {
                let _ = stop.send(());
            }
            break py.detach(|| runtime.block_on(&mut server));
        }
    };
    shared.stop_workers(py, shared.engine.config().shutdown_grace)?;
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(office_error(
            py,
            "OfficeError",
            format!("the server failed: {e}"),
        )),
        Err(e) => Err(office_error(
            py,
            "InternalError",
            format!("the server task failed: {e}"),
        )),
    }
}
