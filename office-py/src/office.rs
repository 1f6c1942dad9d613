//! `office.Office`: an engine with its own tokio runtime and in-process workers. Every
//! call releases the GIL while the core works.

use crate::errors::{office_error, to_py};
use crate::files::FileArg;
use crate::job::{PyJob, parse_id};
use office_core::JobFilter;
use office_core::WorkerPool;
use office_core::{Caller, Config, Engine, JobKind, JobStatus, Submission, TenantId};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What an `Office` (and each of its jobs) holds: the runtime, the engine and the workers.
pub struct Shared {
    /// `Option` only so `Drop` can shut it down with a timeout instead of waiting forever
    /// on a blocking task.
    runtime: Option<tokio::runtime::Runtime>,
    pub engine: Engine,
    /// Who this `Office` acts as: the `tenant=` it was opened with (its own jobs only),
    /// else `Caller::default()` (every job).
    pub caller: Caller,
    /// Taken by `close()`; a std mutex, held only to take the pool out.
    pool: Mutex<Option<WorkerPool>>,
    closed: AtomicBool,
}

/// The settings an `Office` or `serve` is opened with; `None` leaves the environment's
/// value (`Config::from_env`, the same variables the `office` command reads).
#[derive(Default)]
pub struct Options {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub python: Option<PathBuf>,
    pub workers: Option<usize>,
    pub job_timeout: Option<f64>,
}

impl Options {
    /// The configuration, with the interpreter for generated programs chosen as documented
    /// on `Office`: `python=`, else `OFFICE_PYTHON`, else this interpreter when it can import
    /// pandas, else the core's default (`./.venv/bin/python`, then `python3`).
    pub fn config(self, py: Python<'_>) -> PyResult<Config> {
        let mut config = Config::from_env().map_err(|e| to_py(py, e))?;
        if let Some(d) = self.data_dir {
            config.data_dir = d;
        }
        // A script may change directory later; its jobs' files must stay where they are.
        if let Ok(absolute) = std::path::absolute(&config.data_dir) {
            config.data_dir = absolute;
        }
        if let Some(url) = self.database_url {
            config.database_url = Some(url).filter(|u| !u.trim().is_empty());
        }
        if let Some(url) = self.redis_url {
            config.redis_url = Some(url).filter(|u| !u.trim().is_empty());
        }
        if let Some(n) = self.workers {
            config.workers = n;
        }
        if let Some(secs) = self.job_timeout {
            if !(secs.is_finite() && secs >= 1.0) {
                return Err(office_error(
                    py,
                    "InvalidInput",
                    format!("job_timeout must be at least 1 second; got {secs}"),
                ));
            }
            config.limits.timeout = Duration::from_secs_f64(secs);
            config.limits.cpu_seconds = secs.ceil() as u64;
        }
        let from_env = std::env::var_os("OFFICE_PYTHON").is_some_and(|v| !v.is_empty());
        match self.python {
            Some(p) => config.python = p,
            None if from_env => {}
            None => {
                if let Some(current) = current_interpreter_with_pandas(py)? {
                    config.python = current;
                }
            }
        }
        Ok(config)
    }
}

/// `sys.executable` when this interpreter can import pandas (found, not imported: importing
/// it here would cost seconds and memory the caller did not ask for).
fn current_interpreter_with_pandas(py: Python<'_>) -> PyResult<Option<PathBuf>> {
    let found = py
        .import("importlib.util")?
        .call_method1("find_spec", ("pandas",))?;
    if found.is_none() {
        return Ok(None);
    }
    let exe: Option<PathBuf> = py.import("sys")?.getattr("executable")?.extract()?;
    Ok(exe.filter(|p| !p.as_os_str().is_empty()))
}

impl Shared {
    /// Opens the engine (recovering jobs an earlier process left) and starts `workers`.
    pub fn open(py: Python<'_>, config: Config, caller: Caller) -> PyResult<Arc<Shared>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("office")
            .enable_all()
            .build()
            .map_err(|e| office_error(py, "InternalError", format!("cannot start: {e}")))?;
        let workers = config.workers;
        let opened = py.detach(|| {
            runtime.block_on(async {
                let engine = Engine::open(config).await?;
                let pool = engine.start_workers_recovered(workers).await?;
                Ok::<_, office_core::Error>((engine, pool))
            })
        });
        let (engine, pool) = opened.map_err(|e| to_py(py, e))?;
        Ok(Arc::new(Shared {
            runtime: Some(runtime),
            engine,
            caller,
            pool: Mutex::new(Some(pool)),
            closed: AtomicBool::new(false),
        }))
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }

    /// Runs a core call to completion with the GIL released, and converts its error.
    pub fn block<T: Send>(
        &self,
        py: Python<'_>,
        work: impl Future<Output = office_core::Result<T>> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.runtime().block_on(work))
            .map_err(|e| to_py(py, e))
    }

    /// An error when `close()` was called: the workers are gone, so a new job would wait
    /// forever.
    pub fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(office_error(py, "OfficeError", "this Office is closed"));
        }
        Ok(())
    }

    /// Stops the workers, letting running jobs finish for up to `grace`, with the GIL
    /// released; Ctrl-C stops the waiting (the workers are then abandoned, and their jobs
    /// resume at the next open).
    pub fn stop_workers(&self, py: Python<'_>, grace: Duration) -> PyResult<()> {
        self.closed.store(true, Ordering::Release);
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(pool) = pool else {
            return Ok(());
        };
        let mut stopping = self.runtime().spawn(pool.shutdown(grace));
        loop {
            let slice = Duration::from_millis(100);
            let done = py.detach(|| {
                self.runtime()
                    .block_on(async { tokio::time::timeout(slice, &mut stopping).await })
            });
            if done.is_ok() {
                return Ok(());
            }
            py.check_signals()?;
        }
    }

    /// Stops the workers, letting running jobs finish for up to `grace` (for `Drop`).
    fn close(&self, grace: Duration) {
        self.closed.store(true, Ordering::Release);
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(pool) = pool {
            self.runtime().block_on(pool.shutdown(grace));
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Dropped with the GIL possibly held: a short grace; jobs still running resume
        // at the next open (recovery).
        self.close(Duration::from_secs(1));
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Office files plus a request in plain language, turned into results.
///
/// Office(data_dir=None, *, database_url=None, redis_url=None, python=None, workers=None,
///        job_timeout=None, tenant=None)
///
/// Opens the job store under `data_dir` (default: the DATA_DIR environment variable, else
/// ./data) and starts `workers` in-process workers (default: OFFICE_WORKERS, else 2; 0 runs
/// none, for a process that only submits to a shared queue). Every setting left as None
/// takes the value of the environment variable the `office` server reads.
///
/// The interpreter that runs generated programs is `python`, else OFFICE_PYTHON, else this
/// interpreter (sys.executable) when it can import pandas, else ./.venv/bin/python, else
/// python3. It needs pandas, numpy, openpyxl and matplotlib (python/requirements.txt).
///
/// database_url / redis_url select PostgreSQL and Redis instead of SQLite and the
/// in-process queue. `job_timeout` is each program's wall-clock limit in seconds.
///
/// `tenant` records every job it submits for that tenant, and lets it see, list, cancel
/// and delete only that tenant's jobs (another tenant's id raises NotFound). Without it,
/// jobs are the "default" tenant's and every job is in sight.
///
/// Use it as a context manager, or call close(), to let running jobs finish before the
/// process ends; jobs left queued run at the next open of the same data_dir.
#[pyclass(name = "Office", module = "office", frozen)]
pub struct PyOffice {
    shared: Arc<Shared>,
}

#[pymethods]
impl PyOffice {
    #[new]
    #[pyo3(signature = (data_dir=None, *, database_url=None, redis_url=None, python=None, workers=None, job_timeout=None, tenant=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        redis_url: Option<String>,
        python: Option<PathBuf>,
        workers: Option<usize>,
        job_timeout: Option<f64>,
        tenant: Option<String>,
    ) -> PyResult<Self> {
        let caller = match tenant {
            None => Caller::default(),
            Some(name) => Caller {
                tenant: TenantId::new(name)
                    .map_err(|e| to_py(py, office_core::Error::invalid(e)))?,
                admin: false,
            },
        };
        let options = Options {
            data_dir,
            database_url,
            redis_url,
            python,
            workers,
            job_timeout,
        };
        let config = options.config(py)?;
        Ok(PyOffice {
            shared: Shared::open(py, config, caller)?,
        })
    }

    /// Submits an Excel job: the workbook (or CSV) transformed as `prompt` asks, as
    /// output.xlsx. `file` is a path, bytes (name them with `filename=`), a
    /// (name, bytes) tuple or a binary file object. Returns the queued Job at once.
    ///
    /// Raises InvalidInput (empty prompt), UnreadableFile (missing, empty, corrupt or
    /// unsupported file), TooLarge, TypeError (not a file).
    #[pyo3(signature = (file, prompt, *, filename=None))]
    fn excel(
        &self,
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        prompt: String,
        filename: Option<String>,
    ) -> PyResult<Py<PyJob>> {
        let file = FileArg::extract(file, filename.as_deref())?;
        self.submit(py, JobKind::Excel, vec![file], prompt, Default::default())
    }

    /// Submits an analytics job: statistics, charts and the answer to `prompt` in
    /// summary.json and *.png artifacts. `file` as for excel(). Returns the queued Job.
    #[pyo3(signature = (file, prompt, *, filename=None))]
    fn analytics(
        &self,
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        prompt: String,
        filename: Option<String>,
    ) -> PyResult<Py<PyJob>> {
        let file = FileArg::extract(file, filename.as_deref())?;
        self.submit(
            py,
            JobKind::Analytics,
            vec![file],
            prompt,
            Default::default(),
        )
    }

    /// Submits a report job over one or more files (each as for excel(); bytes must come
    /// as (name, bytes) tuples here): report.md with charts, written under `title` from
    /// `template` (a built-in name or Markdown whose headings are the sections), with
    /// `notes` woven in and `prompt` answered. Returns the queued Job.
    #[pyo3(signature = (files, *, title=None, template=None, notes=None, prompt=None))]
    fn report(
        &self,
        py: Python<'_>,
        files: &Bound<'_, PyAny>,
        title: Option<String>,
        template: Option<String>,
        notes: Option<String>,
        prompt: Option<String>,
    ) -> PyResult<Py<PyJob>> {
        let files = FileArg::extract_many(files)?;
        let mut params = serde_json::Map::new();
        office_core::ReportParams {
            title,
            template,
            notes,
            ..Default::default()
        }
        .apply(&mut params);
        self.submit(
            py,
            JobKind::Report,
            files,
            prompt.unwrap_or_default(),
            params,
        )
    }

    /// The most recent jobs first, optionally only of one `kind` ("excel", "analytics",
    /// "report") or `status` ("queued", "running", "succeeded", "failed", "cancelled").
    /// `limit` defaults to 100 (at most 1000).
    #[pyo3(signature = (kind=None, status=None, limit=None))]
    fn jobs(
        &self,
        py: Python<'_>,
        kind: Option<&str>,
        status: Option<&str>,
        limit: Option<u32>,
    ) -> PyResult<Vec<Py<PyJob>>> {
        let filter = JobFilter {
            kind: kind
                .map(|k| parse_name(py, "kind", k, JobKind::ALL))
                .transpose()?,
            status: status
                .map(|s| parse_name(py, "status", s, JobStatus::ALL))
                .transpose()?,
            limit,
            tenant: None,
        };
        let engine = &self.shared.engine;
        let jobs = self
            .shared
            .block(py, engine.list(&self.shared.caller, &filter))?;
        jobs.into_iter()
            .map(|j| PyJob::new(py, self.shared.clone(), j))
            .collect()
    }

    /// The job with this id (a str, or a Job to reload). Raises NotFound.
    fn get(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Py<PyJob>> {
        let id = parse_id(id)?;
        let job = self
            .shared
            .block(py, self.shared.engine.get(&self.shared.caller, id))?;
        PyJob::new(py, self.shared.clone(), job)
    }

    /// Removes a job (by id or Job), its events and its files; a running job is
    /// cancelled first. A job that others follow up raises Conflict naming them, unless
    /// `cascade` is true: then they go too. Raises NotFound.
    #[pyo3(signature = (id, *, cascade=false))]
    fn delete(&self, py: Python<'_>, id: &Bound<'_, PyAny>, cascade: bool) -> PyResult<()> {
        let id = parse_id(id)?;
        let (engine, caller) = (&self.shared.engine, &self.shared.caller);
        self.shared.block(py, async move {
            if cascade {
                engine.delete_cascade(caller, id).await.map(|_| ())
            } else {
                engine.delete(caller, id).await
            }
        })
    }

    /// The jobs of the thread job `id` (by id or Job) is in, oldest first: the first
    /// job, then its follow-ups. Raises NotFound.
    fn thread(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyJob>>> {
        let id = parse_id(id)?;
        let (engine, caller) = (&self.shared.engine, &self.shared.caller);
        let jobs = self.shared.block(py, async move {
            let thread = engine.thread(caller, id).await?;
            let mut jobs = Vec::with_capacity(thread.jobs.len());
            for summary in thread.jobs {
                jobs.push(engine.get(caller, summary.id).await?);
            }
            Ok::<_, office_core::Error>(jobs)
        })?;
        jobs.into_iter()
            .map(|job| PyJob::new(py, self.shared.clone(), job))
            .collect()
    }

    /// Stops the workers, letting running jobs finish for up to `timeout` seconds (jobs
    /// still running then, and queued ones, resume at the next open). Later submissions
    /// raise OfficeError; reading jobs still works. Ctrl-C stops the waiting.
    #[pyo3(signature = (timeout=30.0))]
    fn close(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let grace = if timeout.is_finite() && timeout >= 0.0 {
            Duration::from_secs_f64(timeout)
        } else {
            self.shared.engine.config().shutdown_grace
        };
        self.shared.stop_workers(py, grace)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes: running jobs get 30 s to finish, or none when the block is left by an
    /// exception such as KeyboardInterrupt (they resume at the next open).
    #[pyo3(signature = (exc_type, _exc_value, _traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        _exc_value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let grace = if exc_type.is_none() {
            self.shared.engine.config().shutdown_grace
        } else {
            Duration::ZERO
        };
        self.shared.stop_workers(py, grace)
    }

    /// Where the store and the jobs' files live.
    #[getter]
    fn data_dir(&self) -> PathBuf {
        self.shared.engine.config().data_dir.clone()
    }

    /// The interpreter that runs generated programs.
    #[getter]
    fn python(&self) -> PathBuf {
        self.shared.engine.config().python.clone()
    }

    /// The backends in use: {"store", "queue", "generator"}.
    #[getter]
    fn backends<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let b = self.shared.engine.backends();
        let d = PyDict::new(py);
        d.set_item("store", &b.store)?;
        d.set_item("queue", &b.queue)?;
        d.set_item("generator", &b.generator)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let config = self.shared.engine.config();
        let b = self.shared.engine.backends();
        format!(
            "<office.Office data_dir={:?} store={} queue={} python={:?}{}>",
            config.data_dir.display().to_string(),
            b.store,
            b.queue,
            config.python.display().to_string(),
            if self.shared.closed.load(Ordering::Acquire) {
                " closed"
            } else {
                ""
            }
        )
    }
}

impl PyOffice {
    fn submit(
        &self,
        py: Python<'_>,
        kind: JobKind,
        files: Vec<FileArg>,
        prompt: String,
        params: serde_json::Map<String, serde_json::Value>,
    ) -> PyResult<Py<PyJob>> {
        self.shared.check_open(py)?;
        let (engine, tenant) = (&self.shared.engine, self.shared.caller.tenant.clone());
        let job = self.shared.block(py, async move {
            let files = files
                .into_iter()
                .map(FileArg::into_upload)
                .collect::<office_core::Result<Vec<_>>>()?;
            let mut submission = Submission::new(kind, prompt, files);
            submission.params = params;
            engine.submit(submission.with_tenant(tenant)).await
        })?;
        PyJob::new(py, self.shared.clone(), job)
    }
}

/// One of `all` by its name, or InvalidInput listing the names.
fn parse_name<T: Copy + std::fmt::Display>(
    py: Python<'_>,
    what: &str,
    name: &str,
    all: &[T],
) -> PyResult<T> {
    all.iter()
        .find(|v| v.to_string() == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<String> = all.iter().map(|v| format!("'{v}'")).collect();
            office_error(
                py,
                "InvalidInput",
                format!("{what} must be one of {}; got '{name}'", names.join(", ")),
            )
        })
}
