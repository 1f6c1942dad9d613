//! `ProcessExecutor`: one fresh CPython process per program (the cold path), and what both
//! executors share: the job's folders, its spec for the harness, the private run folder,
//! output capture and turning the end of a run into an `ExecOutcome`.

use super::capture::{Captured, OutputLimit, read_capped};
use super::cgroup::JobCgroup;
use super::outcome::{MAX_REPORT_BYTES, Report, RunFacts, build_outcome};
use super::sandbox::{apply_in_child, kill_group};
use super::{ExecOutcome, ExecRequest, Executor};
use crate::config::{Limits, SandboxMode, SandboxSettings};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The harness script, embedded so the binary carries the exact version it was built with.
const HARNESS_SOURCE: &str = include_str!("../../python/harness.py");
const HARNESS_FILE: &str = "harness.py";
/// How long stdout/stderr may stay open after the process group is gone (a process that
/// left the group could hold them forever).
const PIPE_GRACE: Duration = Duration::from_secs(2);
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);
/// Interpreter flags: `-I` ignores `PYTHON*` variables and the user site folder and keeps
/// the script's folder off `sys.path`; `-B` writes no bytecode; `-X utf8` makes text I/O
/// UTF-8.
pub(crate) const PYTHON_FLAGS: [&str; 4] = ["-I", "-B", "-X", "utf8"];

/// Runs each program in a new interpreter process:
///
/// `python -I -B -X utf8 <runtime_dir>/harness.py run <run dir>/spec.json`
///
/// - The interpreter starts in its own session, with no inherited descriptors (see
///   `sandbox`). The harness then gives the job its own user (when the server is not root),
///   mount, PID, IPC, UTS, network and cgroup namespaces, a read-only root of the runtime
///   with one size-limited tmpfs for the output, work folder and /tmp, no capabilities and
///   an unprivileged uid, and then the limits (soft == hard), Landlock, seccomp and an
///   audit hook, right before the program runs. It copies the output folder back to the
///   host once the program ended. The warm `PoolExecutor` runs the very same harness code
///   in a forked child.
/// - The environment holds only: `INPUT_PATH` (first input), `INPUT_PATHS` (every input,
///   joined with `os.pathsep`, i.e. `:`; both are left out when there are no inputs),
///   `OUTPUT_DIR`, `HOME` (the work folder), `TMPDIR` (`<work>/tmp`), `MPLBACKEND=Agg`,
///   `MPLCONFIGDIR` (`<work>/.mpl`), `OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`,
///   `MKL_NUM_THREADS`, `NUMEXPR_NUM_THREADS` (all 1), `LANG`/`LC_ALL` (`C.UTF-8`),
///   `PYTHONIOENCODING=utf-8` and `PATH=/usr/bin:/bin`. All paths are absolute.
/// - cwd is the work folder; stdin is `/dev/null`; stdout and stderr are captured up to
///   `limits.output_capture_bytes` each.
/// - The program, its spec and the result file live in a private folder under
///   `<runtime_dir>/runs/`, which the program is not told about, cannot read once confined,
///   and which is removed after the run.
#[derive(Debug, Clone)]
pub struct ProcessExecutor {
    python: PathBuf,
    harness: PathBuf,
    runs_dir: PathBuf,
    sandbox: SandboxSettings,
    phase_log: Option<PathBuf>,
}

impl ProcessExecutor {
    /// Writes the harness into `runtime_dir` (created when missing). The interpreter is
    /// looked up on `PATH` when given as a bare name; it is checked again on every run, and
    /// `python_version` tells whether it has what programs need.
    pub fn new(python: impl Into<PathBuf>, runtime_dir: impl Into<PathBuf>) -> Result<Self> {
        let python = resolve_interpreter(python.into());
        let runtime_dir = std::path::absolute(runtime_dir.into())?;
        std::fs::create_dir_all(&runtime_dir).map_err(|e| {
            Error::internal(format!(
                "cannot create the runtime folder {}: {e}",
                runtime_dir.display()
            ))
        })?;
        let harness = runtime_dir.join(HARNESS_FILE);
        write_read_only(&harness, HARNESS_SOURCE.as_bytes()).map_err(|e| {
            Error::internal(format!(
                "cannot write the harness to {}: {e}",
                harness.display()
            ))
        })?;
        // Job cgroups a crashed server left behind (only those: see `sweep_leftovers`).
        super::cgroup::sweep_leftovers();
        let runs_dir = runtime_dir.join("runs");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&runs_dir)?;
        Ok(ProcessExecutor {
            python,
            harness,
            runs_dir,
            sandbox: SandboxSettings::default(),
            phase_log: None,
        })
    }

    /// The sandbox mode and job identity its jobs get (`Config::sandbox`; the default is
    /// the full sandbox as uid/gid 65534 on a root host).
    pub fn with_sandbox(mut self, sandbox: SandboxSettings) -> Self {
        self.sandbox = sandbox;
        self
    }

    /// Appends one JSON line per run to `path`: when each phase of the run's start began
    /// (wall-clock seconds; the engine's, the harness's and the job process's, up to the
    /// moment the program is confined). For benches: it costs a few stamps and one write
    /// after the run.
    pub fn with_phase_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.phase_log = Some(path.into());
        self
    }

    /// The sandbox settings its jobs get.
    pub fn sandbox(&self) -> SandboxSettings {
        self.sandbox
    }

    /// The interpreter programs run with.
    pub fn python(&self) -> &Path {
        &self.python
    }

    /// Where the harness script was written.
    pub fn harness_path(&self) -> &Path {
        &self.harness
    }

    pub(crate) fn check_interpreter(&self) -> Result<()> {
        if self.python.is_file() {
            Ok(())
        } else {
            Err(interpreter_missing(&self.python))
        }
    }

    /// A command for the interpreter with the engine-side confinement applied before exec.
    pub(crate) fn interpreter_command(&self) -> Command {
        let mut command = Command::new(&self.python);
        command
            .args(PYTHON_FLAGS)
            .arg(&self.harness)
            .env_clear()
            .kill_on_drop(true);
        // SAFETY: `apply_in_child` only makes async-signal-safe system calls.
        unsafe {
            command.pre_exec(apply_in_child);
        }
        command
    }

    pub(crate) fn spawn_error(&self, e: std::io::Error) -> Error {
        match e.kind() {
            std::io::ErrorKind::NotFound => interpreter_missing(&self.python),
            _ => Error::internal(format!(
                "cannot start the python interpreter at {}: {e}",
                self.python.display()
            )),
        }
    }

    /// The folders, the private run folder, the spec (also written to `spec.json`) and the
    /// cgroup of one run on the cold path.
    pub(crate) async fn prepare(&self, req: &ExecRequest) -> Result<PreparedRun> {
        let mut run = self.prepare_run(req).await?;
        run.use_cgroup(JobCgroup::create(&run.name, &req.limits).ok());
        tokio::fs::write(&run.spec_path, serde_json::to_vec(&run.spec)?).await?;
        Ok(run)
    }

    /// The folders, the private run folder and the spec of one run, without a cgroup (see
    /// `PreparedRun::use_cgroup`) and without writing the spec: the warm path sends it.
    ///
    /// The few folders and the program are made inline: each of them handed to the
    /// blocking pool would cost two thread wake-ups on the job's way, more than the
    /// system calls themselves on a loaded machine.
    pub(crate) async fn prepare_run(&self, req: &ExecRequest) -> Result<PreparedRun> {
        let called = now_seconds();
        self.check_interpreter()?;
        let folders = RunFolders::prepare(req)?;
        let name = uuid::Uuid::now_v7().to_string();
        let run_dir = self.runs_dir.join(&name);
        std::fs::DirBuilder::new().mode(0o700).create(&run_dir)?;
        // From here on, whatever happens (an error, the future being dropped), the process
        // group is killed and the private folder removed.
        let guard = RunGuard {
            pgid: 0,
            run_dir: run_dir.clone(),
            readers: Vec::new(),
        };
        let program = run_dir.join("program.py");
        let result = run_dir.join("result.json");
        std::fs::write(&program, req.code.as_bytes())?;
        let mut spec = folders.spec(&program, &result, &req.limits, &self.sandbox);
        if let Some(log) = &self.phase_log {
            spec["trace"] = serde_json::json!({
                "path": log,
                "engine": {"run": called, "prepared": now_seconds()},
            });
        }
        Ok(PreparedRun {
            guard,
            spec,
            spec_path: run_dir.join("spec.json"),
            result,
            env: folders.environment(),
            folders: vec![folders.output_dir.clone(), folders.work_dir.clone()],
            work_dir: folders.work_dir,
            name,
            _cgroup: None,
        })
    }
}

/// One run, ready to start.
pub(crate) struct PreparedRun {
    pub guard: RunGuard,
    pub spec: serde_json::Value,
    pub spec_path: PathBuf,
    pub result: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    pub work_dir: PathBuf,
    /// The folders the program may write to, measured against the disk quota.
    pub folders: Vec<PathBuf>,
    /// The run's id (its private folder's name).
    pub name: String,
    /// The job's cgroup, removed after the run (after `guard` killed what was left).
    pub _cgroup: Option<JobCgroup>,
}

/// Wall-clock seconds, as the harness's `time.time()`.
fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl PreparedRun {
    /// Records that `phase` begins now, when the run keeps a trace (`with_phase_log`).
    pub(crate) fn stamp(&mut self, phase: &str) {
        if let Some(engine) = self.spec.pointer_mut("/trace/engine") {
            engine[phase] = now_seconds().into();
        }
    }

    /// Where the host lets us: the kernel counts the job's memory, processes and CPU in
    /// `cgroup` (the harness moves the job there). Replaces (and so removes) the one
    /// given before.
    pub(crate) fn use_cgroup(&mut self, cgroup: Option<JobCgroup>) {
        match &cgroup {
            Some(cgroup) => self.spec["cgroups"] = serde_json::json!(cgroup.procs_files()),
            None => {
                if let Some(spec) = self.spec.as_object_mut() {
                    spec.remove("cgroups");
                }
            }
        }
        self._cgroup = cgroup;
    }
}

/// The captured streams of a running program.
pub(crate) struct Streams {
    stop: watch::Sender<bool>,
    stdout: Option<JoinHandle<Captured>>,
    stderr: Option<JoinHandle<Captured>>,
    /// Kills the group (`guard.pgid`) once both streams carried `limits.output_limit_bytes`.
    limit: OutputLimit,
}

impl Streams {
    /// Starts reading; `guard.pgid` must already be the program's group.
    pub(crate) fn start<O, E>(
        stdout: Option<O>,
        stderr: Option<E>,
        limits: &Limits,
        guard: &mut RunGuard,
    ) -> Self
    where
        O: tokio::io::AsyncRead + Unpin + Send + 'static,
        E: tokio::io::AsyncRead + Unpin + Send + 'static,
    {
        let cap = limits.output_capture_bytes;
        let limit = OutputLimit::new(limits.output_limit_bytes, guard.pgid);
        let (stop_readers, stop) = watch::channel(false);
        let stdout =
            stdout.map(|out| tokio::spawn(read_capped(out, cap, limit.clone(), stop.clone())));
        let stderr = stderr.map(|err| tokio::spawn(read_capped(err, cap, limit.clone(), stop)));
        guard
            .readers
            .extend(stdout.iter().chain(&stderr).map(JoinHandle::abort_handle));
        Streams {
            stop: stop_readers,
            stdout,
            stderr,
            limit,
        }
    }
}

/// How the process that ran the program ended.
pub(crate) struct Ended {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// The program was killed for using more disk than `limits.disk_bytes`.
    pub over_disk_quota: bool,
    pub duration: Duration,
}

/// Why the engine stopped a program before it ended.
pub(crate) enum Stopped {
    Timeout,
    DiskQuota,
}

/// `run` (the wait for the program's end), unless the wall-clock limit passes or the
/// program's folders grow past the disk quota first.
pub(crate) async fn within_limits<T>(
    run: impl std::future::Future<Output = T>,
    limits: &Limits,
    folders: &[PathBuf],
) -> std::result::Result<T, Stopped> {
    tokio::select! {
        finished = tokio::time::timeout(limits.timeout, run) => {
            finished.map_err(|_| Stopped::Timeout)
        }
        () = watch_disk(folders.to_vec(), limits.disk_bytes) => Err(Stopped::DiskQuota),
    }
}

/// How often the job's folders are measured.
const DISK_CHECK_EVERY: Duration = Duration::from_millis(500);
/// Entries measured at most; more counts as over the quota (each costs disk too).
const DISK_MAX_ENTRIES: usize = 100_000;

/// Returns once the blocks used under `folders` exceed `quota` bytes; never otherwise.
async fn watch_disk(folders: Vec<PathBuf>, quota: u64) {
    loop {
        tokio::time::sleep(DISK_CHECK_EVERY).await;
        let folders = folders.clone();
        let used = tokio::task::spawn_blocking(move || disk_used(&folders))
            .await
            .unwrap_or(0);
        if used > quota {
            return;
        }
    }
}

/// Bytes of disk blocks used under `folders` (sparse files count what they really use),
/// without following links; `u64::MAX` past `DISK_MAX_ENTRIES` entries.
fn disk_used(folders: &[PathBuf]) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut pending: Vec<PathBuf> = folders.to_vec();
    let (mut used, mut entries) = (0u64, 0usize);
    while let Some(dir) = pending.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            entries += 1;
            if entries > DISK_MAX_ENTRIES {
                return u64::MAX;
            }
            let Ok(meta) = entry.metadata() else { continue };
            used = used.saturating_add(meta.blocks().saturating_mul(512));
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    used
}

/// Kills what is left of the group, reads the streams and the result: the outcome.
pub(crate) async fn finish(
    mut run: PreparedRun,
    streams: Streams,
    ended: Ended,
    limits: &Limits,
) -> ExecOutcome {
    // Processes the program started may still run in its group: end them too. This also
    // closes their copies of the pipes, so the readers reach the end.
    kill_group(run.guard.pgid);
    run.guard.pgid = 0;
    let stdout = collect(streams.stdout, &streams.stop).await;
    let stderr = collect(streams.stderr, &streams.stop).await;
    let report = read_report(&run.result).await;
    build_outcome(RunFacts {
        exit_code: ended.exit_code,
        signal: ended.signal,
        timed_out: ended.timed_out,
        over_disk_quota: ended.over_disk_quota,
        over_output_limit: streams.limit.exceeded(),
        duration: ended.duration,
        report,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdout_truncated: stdout.truncated,
        stderr_truncated: stderr.truncated,
        limits,
    })
}

#[async_trait::async_trait]
impl Executor for ProcessExecutor {
    async fn run(&self, req: ExecRequest) -> Result<ExecOutcome> {
        let limits = &req.limits;
        let mut run = self.prepare(&req).await?;
        let mut command = self.interpreter_command();
        command
            .arg("run")
            .arg(&run.spec_path)
            .envs(run.env.iter().cloned())
            .current_dir(&run.work_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| self.spawn_error(e))?;
        // setsid() in the child made its pid the id of its process group.
        run.guard.pgid = child.id().map_or(0, |pid| pid as libc::pid_t);
        let streams = Streams::start(
            child.stdout.take(),
            child.stderr.take(),
            limits,
            &mut run.guard,
        );

        let (status, stopped) = match within_limits(child.wait(), limits, &run.folders).await {
            Ok(status) => (status?, None),
            Err(stopped) => {
                kill_group(run.guard.pgid);
                (child.wait().await?, Some(stopped))
            }
        };
        let ended = Ended {
            exit_code: status.code(),
            signal: status.signal(),
            timed_out: matches!(stopped, Some(Stopped::Timeout)),
            over_disk_quota: matches!(stopped, Some(Stopped::DiskQuota)),
            duration: started.elapsed(),
        };
        Ok(finish(run, streams, ended, limits).await)
    }
}

/// Kills the process group and removes the private run folder when a run ends in any way,
/// including its future being dropped (a cancelled job).
pub(crate) struct RunGuard {
    /// 0 once the group has been killed after the run (or before the child exists).
    pub pgid: libc::pid_t,
    run_dir: PathBuf,
    readers: Vec<tokio::task::AbortHandle>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        kill_group(self.pgid);
        for reader in &self.readers {
            reader.abort();
        }
        // A few small files: removing them inline is cheaper than handing off the work.
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// Waits for a reader, stopping it (and keeping what it read) after `PIPE_GRACE`.
async fn collect(reader: Option<JoinHandle<Captured>>, stop: &watch::Sender<bool>) -> Captured {
    let Some(mut reader) = reader else {
        return Captured::default();
    };
    let finished = match tokio::time::timeout(PIPE_GRACE, &mut reader).await {
        Ok(finished) => finished,
        Err(_) => {
            let _ = stop.send(true);
            reader.await
        }
    };
    finished.unwrap_or_default()
}

/// Reads the harness's result without trusting it: no symlinks, no FIFOs, a size cap.
async fn read_report(path: &Path) -> Report {
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .await;
    let file = match file {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Report::Missing,
        Err(e) => return Report::Unreadable(format!("it cannot be opened ({e})")),
    };
    match file.metadata().await {
        Ok(meta) if meta.is_file() => {}
        _ => return Report::Unreadable("it is not a regular file".to_string()),
    }
    let mut bytes = Vec::new();
    if let Err(e) = file
        .take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
    {
        return Report::Unreadable(format!("it cannot be read ({e})"));
    }
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Report::Unreadable(format!("it is larger than {MAX_REPORT_BYTES} bytes"));
    }
    Report::parse(&bytes)
}

/// The folders of one run, made absolute (the child's cwd is not ours).
struct RunFolders {
    inputs: Vec<PathBuf>,
    output_dir: PathBuf,
    work_dir: PathBuf,
}

impl RunFolders {
    fn prepare(req: &ExecRequest) -> Result<Self> {
        let work_dir = std::path::absolute(&req.work_dir)?;
        if !std::fs::metadata(&work_dir).is_ok_and(|m| m.is_dir()) {
            return Err(Error::internal(format!(
                "the work folder {} does not exist",
                work_dir.display()
            )));
        }
        let output_dir = std::path::absolute(&req.output_dir)?;
        for dir in [&output_dir, &work_dir.join("tmp"), &work_dir.join(".mpl")] {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::internal(format!("cannot create the folder {}: {e}", dir.display()))
            })?;
        }
        let inputs = req
            .inputs
            .iter()
            .map(std::path::absolute)
            .collect::<Result<_, _>>()?;
        Ok(RunFolders {
            inputs,
            output_dir,
            work_dir,
        })
    }

    /// What the harness needs to run and confine the program (see `python/harness.py`).
    fn spec(
        &self,
        program: &Path,
        result: &Path,
        limits: &Limits,
        sandbox: &SandboxSettings,
    ) -> serde_json::Value {
        let env: serde_json::Map<String, serde_json::Value> = self
            .environment()
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned().into(),
                )
            })
            .collect();
        serde_json::json!({
            "program": program,
            "result": result,
            "cwd": self.work_dir,
            "env": env,
            "read": self.inputs,
            "write": [self.output_dir, self.work_dir],
            "output": self.output_dir,
            "sandbox": {
                "disk": limits.disk_bytes,
                "uid": sandbox.job_uid,
                "gid": sandbox.job_gid,
                "degraded": sandbox.mode == SandboxMode::Degraded,
            },
            "limits": {
                "cpu": limits.cpu_seconds.max(1),
                "memory": limits.memory_bytes,
                "fsize": limits.file_size_bytes,
                "nofile": limits.open_files,
                "nproc": limits.processes,
            },
        })
    }

    fn environment(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = Vec::new();
        let mut set = |key: &str, value: OsString| env.push((key.into(), value));
        if let Some(first) = self.inputs.first() {
            set("INPUT_PATH", first.clone().into());
            let mut all = OsString::new();
            for (i, input) in self.inputs.iter().enumerate() {
                if i > 0 {
                    all.push(":");
                }
                all.push(input);
            }
            set("INPUT_PATHS", all);
        }
        set("OUTPUT_DIR", self.output_dir.clone().into());
        set("HOME", self.work_dir.clone().into());
        set("TMPDIR", self.work_dir.join("tmp").into());
        set("MPLCONFIGDIR", self.work_dir.join(".mpl").into());
        for (key, value) in BASE_ENVIRONMENT {
            set(key, value.into());
        }
        env
    }
}

/// Variables every interpreter gets, the pool's zygotes included (OpenBLAS reads its
/// thread count when numpy is imported).
pub(crate) const BASE_ENVIRONMENT: [(&str, &str); 9] = [
    ("OPENBLAS_NUM_THREADS", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
    ("NUMEXPR_NUM_THREADS", "1"),
    ("LANG", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
    ("PYTHONIOENCODING", "utf-8"),
    ("PATH", "/usr/bin:/bin"),
    ("MPLBACKEND", "Agg"),
];

/// Checks that `python` can run programs: prints its version and pandas'. Blocks for up to
/// 20 s (call it from `spawn_blocking` in async code). `Err` when the interpreter is
/// missing, hangs, or cannot import pandas.
pub fn python_version(python: &Path) -> Result<String> {
    let python = resolve_interpreter(python.to_path_buf());
    if !python.is_file() {
        return Err(interpreter_missing(&python));
    }
    let script = "import sys\nprint(sys.version.replace('\\n', ' '))\nimport pandas\n\
                  print(pandas.__version__)\n";
    let mut child = std::process::Command::new(&python)
        .args(["-I", "-B", "-c", script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C.UTF-8")
        .env("OPENBLAS_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::internal(format!(
                "cannot start the python interpreter at {}: {e}",
                python.display()
            ))
        })?;
    let deadline = Instant::now() + VERSION_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::internal(format!(
                "the python interpreter at {} did not answer within {} s",
                python.display(),
                VERSION_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The output is a few lines: it fit in the pipes while the process ran.
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let version = lines.next().unwrap_or_default().trim().to_string();
    if version.is_empty() {
        return Err(Error::internal(format!(
            "the python interpreter at {} did not report its version ({status})",
            python.display()
        )));
    }
    match lines
        .next()
        .map(str::trim)
        .filter(|v| !v.is_empty() && status.success())
    {
        Some(pandas) => Ok(format!("Python {version}; pandas {pandas}")),
        None => Err(Error::internal(format!(
            "the python interpreter at {} (Python {version}) cannot import pandas: run `make \
             setup` or set OFFICE_PYTHON to an interpreter that has the packages of \
             python/requirements.txt",
            python.display()
        ))),
    }
}

fn interpreter_missing(python: &Path) -> Error {
    Error::internal(format!(
        "python interpreter not found at {}: run `make setup` or set OFFICE_PYTHON",
        python.display()
    ))
}

/// A bare name (`python3`) is looked up on this process's `PATH`, because the child's
/// `PATH` is the minimal one. Symlinks are kept: a virtualenv's python is one.
fn resolve_interpreter(python: PathBuf) -> PathBuf {
    if python.components().count() != 1 {
        return std::path::absolute(&python).unwrap_or(python);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(&python))
            .find(|p| p.is_file())
    });
    found
        .and_then(|p| std::path::absolute(p).ok())
        .unwrap_or(python)
}

/// Replaces `path` atomically with `bytes`, mode 0444 (several processes may share the
/// runtime folder; none sees a half-written harness).
fn write_read_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7()));
    let written = std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o444)))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
