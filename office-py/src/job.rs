//! `office.Job` and `office.Artifact`: a job as the store has it, plus the handle to ask
//! the engine about it again. No logic beyond translation and waiting in short slices.

use crate::convert::{job_error_dict, json_to_py, to_py};
use crate::errors::{job_failed, job_timeout, office_error};
use crate::office::Shared;
use office_core::{Artifact, Job, JobId, JobStatus};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long `wait` leaves Python before checking for Ctrl-C (and other signals) again.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// A job: `id`, `kind`, `status` (read from the store each time until it is final),
/// `wait()`, its artifacts, code, summary and error.
#[pyclass(name = "Job", module = "office", frozen)]
pub struct PyJob {
    shared: Arc<Shared>,
    /// The job as last read; a std mutex held only to copy or replace it.
    job: Mutex<Job>,
}

/// One file a job produced (or kept): its name, kind, size in bytes, content type and
/// SHA-256. Read it with Job.read_artifact(name).
#[pyclass(name = "Artifact", module = "office", frozen, get_all)]
pub struct PyArtifact {
    /// The name to read it by, e.g. "output.xlsx", "inputs/sales.csv".
    name: String,
    /// "workbook", "code", "summary", "chart", "report", "data", "log", "input" or "other".
    kind: String,
    /// Size in bytes.
    size: u64,
    /// Its MIME type, e.g. "image/png".
    content_type: String,
    /// SHA-256 of its bytes, in hex.
    sha256: String,
}

#[pymethods]
impl PyArtifact {
    fn __repr__(&self) -> String {
        format!(
            "<office.Artifact {:?} kind={} size={} content_type={}>",
            self.name, self.kind, self.size, self.content_type
        )
    }
}

impl PyArtifact {
    fn from_core(a: &Artifact) -> Self {
        let kind = serde_json::to_value(a.kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        PyArtifact {
            name: a.name.clone(),
            kind,
            size: a.size,
            content_type: a.content_type.clone(),
            sha256: a.sha256.clone(),
        }
    }
}

/// A job id from a str or a Job; a str that is no id is a job that does not exist, as
/// over REST.
pub fn parse_id(id: &Bound<'_, PyAny>) -> PyResult<JobId> {
    let py = id.py();
    if let Ok(job) = id.downcast::<PyJob>() {
        return Ok(job.get().snapshot().id);
    }
    let text: String = id.extract().map_err(|_| {
        crate::errors::type_error(format!(
            "a job id is a str or a Job; got {}",
            crate::files::type_name(id)
        ))
    })?;
    text.trim()
        .parse::<JobId>()
        .map_err(|_| office_error(py, "NotFound", format!("job {text} not found")))
}

impl PyJob {
    pub fn new(py: Python<'_>, shared: Arc<Shared>, job: Job) -> PyResult<Py<PyJob>> {
        Py::new(
            py,
            PyJob {
                shared,
                job: Mutex::new(job),
            },
        )
    }

    pub fn snapshot(&self) -> Job {
        self.job.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn replace(&self, job: Job) {
        *self.job.lock().unwrap_or_else(|p| p.into_inner()) = job;
    }

    /// The job as the store has it now.
    fn reload(&self, py: Python<'_>) -> PyResult<Job> {
        let id = self.snapshot().id;
        let job = self
            .shared
            .block(py, self.shared.engine.get(&self.shared.caller, id))?;
        self.replace(job.clone());
        Ok(job)
    }

    /// The snapshot once final (it no longer changes), else a fresh read.
    fn current(&self, py: Python<'_>) -> PyResult<Job> {
        let job = self.snapshot();
        if job.status.is_final() {
            Ok(job)
        } else {
            self.reload(py)
        }
    }
}

#[pymethods]
impl PyJob {
    /// The job's id (a UUID string).
    #[getter]
    fn id(&self) -> String {
        self.snapshot().id.to_string()
    }

    /// "excel", "analytics" or "report".
    #[getter]
    fn kind(&self) -> &'static str {
        self.snapshot().kind.as_str()
    }

    /// "queued", "running", "succeeded", "failed" or "cancelled", read from the store.
    #[getter]
    fn status(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.current(py)?.status.as_str())
    }

    /// The pipeline stage: "queued", "profile", "plan", "validate", "execute",
    /// "collect" or "done", read from the store.
    #[getter]
    fn stage(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.current(py)?.stage.as_str())
    }

    /// The request, as submitted (trimmed).
    #[getter]
    fn prompt(&self) -> String {
        self.snapshot().prompt
    }

    /// Kind-specific fields (a report's title, template, notes).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.snapshot().params)
    }

    /// The id of the job this one follows up, or None.
    #[getter]
    fn parent(&self) -> Option<String> {
        self.snapshot().parent.map(|id| id.to_string())
    }

    /// The id of the first job of this job's thread, or None when it follows up no job.
    #[getter]
    fn thread(&self) -> Option<String> {
        self.snapshot().thread.map(|id| id.to_string())
    }

    /// Submits a follow-up of this job: a job of the same kind that works on what this one
    /// made (an excel job's output workbook; an analysis's or report's inputs and result
    /// tables), with `files` (each as for Office.excel(); bytes as (name, bytes) tuples)
    /// added, and whose generator sees this job's request, steps and program. Returns
    /// the queued Job. Raises Conflict when this job failed or has not finished, NotFound
    /// when it was deleted.
    #[pyo3(signature = (prompt, files=None))]
    fn follow_up(
        &self,
        py: Python<'_>,
        prompt: String,
        files: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyJob>> {
        let files = match files {
            None => Vec::new(),
            Some(files) => crate::files::FileArg::extract_many(files)?,
        };
        let parent = self.snapshot();
        self.shared.check_open(py)?;
        let engine = &self.shared.engine;
        let job = self.shared.block(py, async move {
            let files = files
                .into_iter()
                .map(crate::files::FileArg::into_upload)
                .collect::<office_core::Result<Vec<_>>>()?;
            let submission =
                office_core::Submission::new(parent.kind, prompt, files).with_parent(parent.id);
            engine.submit(submission).await
        })?;
        PyJob::new(py, self.shared.clone(), job)
    }

    /// The input files: dicts with name (as stored), original_name, size, sha256.
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.snapshot().inputs)
    }

    /// The files the job produced (empty until it has run).
    #[getter]
    fn artifacts(&self, py: Python<'_>) -> PyResult<Vec<PyArtifact>> {
        Ok(self
            .current(py)?
            .artifacts
            .iter()
            .map(PyArtifact::from_core)
            .collect())
    }

    /// None, or why the job failed: {"code", "message", "details"}.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        match &self.current(py)?.error {
            Some(e) => Ok(Some(job_error_dict(py, e)?)),
            None => Ok(None),
        }
    }

    /// The program that ran (or was rejected). Raises NotReady before it is planned.
    #[getter]
    fn code(&self, py: Python<'_>) -> PyResult<String> {
        let job = self.current(py)?;
        self.shared.block(py, self.shared.engine.code(&job))
    }

    /// summary.json as a dict: the stages with their timings, results, and for a failed
    /// job how far it got and why. Raises NotReady before the job has one.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let job = self.current(py)?;
        let value = self.shared.block(py, self.shared.engine.summary(&job))?;
        json_to_py(py, &value)
    }

    /// Reads the job from the store again and returns it (self).
    fn refresh(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().reload(py)?;
        Ok(slf)
    }

    /// Waits until the job is final and returns it (self). The GIL is released while
    /// waiting, and Ctrl-C raises KeyboardInterrupt within a fraction of a second (the
    /// job goes on).
    ///
    /// Raises JobTimeout when `timeout` seconds pass first (the job goes on), and, when
    /// `check` is true, JobFailed (JobRejected when its program broke the code policy)
    /// if the job failed or was cancelled.
    #[pyo3(signature = (timeout=None, *, check=true))]
    fn wait(
        slf: Py<Self>,
        py: Python<'_>,
        timeout: Option<f64>,
        check: bool,
    ) -> PyResult<Py<Self>> {
        let deadline = match timeout {
            None => None,
            Some(t) if t.is_finite() && t >= 0.0 => {
                Some(Instant::now() + Duration::from_secs_f64(t))
            }
            Some(t) => {
                return Err(office_error(
                    py,
                    "InvalidInput",
                    format!("timeout must be a number of seconds, 0 or more; got {t}"),
                ));
            }
        };
        let this = slf.get();
        let (shared, id) = (this.shared.clone(), this.snapshot().id);
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(WAIT_SLICE),
                None => WAIT_SLICE,
            };
            let job = shared.block(py, shared.engine.wait(&shared.caller, id, Some(slice)))?;
            let status = job.status;
            this.replace(job);
            if status.is_final() {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(job_timeout(py, slf.clone_ref(py), timeout.unwrap_or(0.0)));
            }
            py.check_signals()?;
        }
        if check && this.snapshot().status != JobStatus::Succeeded {
            return Err(job_failed(py, slf));
        }
        Ok(slf)
    }

    /// The asyncio form of wait(): `await job.wait_async(timeout=None, check=True)`.
    /// The event loop is never blocked; cancelling the awaiting task leaves the job running.
    #[pyo3(signature = (timeout=None, *, check=true))]
    fn wait_async<'py>(
        slf: Py<Self>,
        py: Python<'py>,
        timeout: Option<f64>,
        check: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        py.import("office._aio")?
            .call_method1("wait_async", (slf, timeout, check))
    }

    /// Cancels the job if it has not finished (a running program is stopped within a
    /// fraction of a second) and returns it (self).
    fn cancel(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        let this = slf.get();
        let id = this.snapshot().id;
        let job = this
            .shared
            .block(py, this.shared.engine.cancel(&this.shared.caller, id))?;
        this.replace(job);
        Ok(slf)
    }

    /// The bytes of the artifact called `name` (see .artifacts). Raises NotFound.
    fn read_artifact<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyBytes>> {
        let job = self.current(py)?;
        let (_, data) = self
            .shared
            .block(py, self.shared.engine.read_artifact(&job, name))?;
        Ok(PyBytes::new(py, &data))
    }

    /// Writes the artifact called `name` to `path` (into it, under the artifact's own
    /// name, when `path` is a folder) and returns the path written. Raises NotFound, or
    /// OSError when the file cannot be written.
    fn save_artifact(&self, py: Python<'_>, name: &str, path: PathBuf) -> PyResult<PathBuf> {
        let job = self.current(py)?;
        let (artifact, data) = self
            .shared
            .block(py, self.shared.engine.read_artifact(&job, name))?;
        let target = if path.is_dir() {
            let base = artifact.name.rsplit('/').next().unwrap_or(&artifact.name);
            path.join(base)
        } else {
            path
        };
        py.detach(|| std::fs::write(&target, &data))?;
        Ok(target)
    }

    /// The job as a dict, in the same shape as the REST API's job record.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.snapshot())
    }

    fn __repr__(&self) -> String {
        let job = self.snapshot();
        let error = match &job.error {
            Some(e) => format!(" error={}", e.code),
            None => String::new(),
        };
        format!("<office.Job {} {} {}{error}>", job.id, job.kind, job.status)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.downcast::<PyJob>() {
            Ok(o) => o.get().snapshot().id == self.snapshot().id,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        let id = self.snapshot().id.0.as_u128();
        (id ^ (id >> 64)) as u64
    }
}
