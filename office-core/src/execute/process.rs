//! `ProcessExecutor`: one fresh CPython process per program, confined by a clean
//! environment, its own session and process group, rlimits and a wall-clock timeout.

use super::capture::{Captured, read_capped};
use super::outcome::{MAX_REPORT_BYTES, Report, RunFacts, build_outcome};
use super::sandbox::{ChildSetup, kill_group};
use super::{ExecOutcome, ExecRequest, Executor};
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

/// Runs each program in a new interpreter process:
///
/// `python -I -B -X utf8 <runtime_dir>/harness.py <run dir>/program.py <run dir>/result.json`
///
/// - `-I` ignores `PYTHON*` variables and the user site folder and keeps the script's
///   folder off `sys.path`; `-B` writes no bytecode; `-X utf8` makes text I/O UTF-8.
/// - The environment holds only: `INPUT_PATH` (first input), `INPUT_PATHS` (every input,
///   joined with `os.pathsep`, i.e. `:`; both are left out when there are no inputs),
///   `OUTPUT_DIR`, `HOME` (the work folder), `TMPDIR` (`<work>/tmp`), `MPLBACKEND=Agg`,
///   `MPLCONFIGDIR` (`<work>/.mpl`), `OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS`,
///   `MKL_NUM_THREADS`, `NUMEXPR_NUM_THREADS` (all 1), `LANG`/`LC_ALL` (`C.UTF-8`),
///   `PYTHONIOENCODING=utf-8` and `PATH=/usr/bin:/bin`. All paths are absolute.
/// - cwd is the work folder; stdin is `/dev/null`; stdout and stderr are captured up to
///   `limits.output_capture_bytes` each.
/// - The program and the result file live in a private folder under
///   `<runtime_dir>/runs/`, which the program is not told about and which is removed after
///   the run.
#[derive(Debug, Clone)]
pub struct ProcessExecutor {
    python: PathBuf,
    harness: PathBuf,
    runs_dir: PathBuf,
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
        let runs_dir = runtime_dir.join("runs");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&runs_dir)?;
        Ok(ProcessExecutor {
            python,
            harness,
            runs_dir,
        })
    }

    /// The interpreter programs run with.
    pub fn python(&self) -> &Path {
        &self.python
    }

    /// Where the harness script was written.
    pub fn harness_path(&self) -> &Path {
        &self.harness
    }

    fn check_interpreter(&self) -> Result<()> {
        if self.python.is_file() {
            Ok(())
        } else {
            Err(interpreter_missing(&self.python))
        }
    }
}

#[async_trait::async_trait]
impl Executor for ProcessExecutor {
    async fn run(&self, req: ExecRequest) -> Result<ExecOutcome> {
        self.check_interpreter()?;
        let folders = RunFolders::prepare(&req).await?;
        let limits = &req.limits;

        let run_dir = self.runs_dir.join(uuid::Uuid::now_v7().to_string());
        tokio::fs::DirBuilder::new()
            .mode(0o700)
            .create(&run_dir)
            .await?;
        // From here on, whatever happens (an error, the future being dropped), the process
        // group is killed and the private folder removed.
        let mut guard = RunGuard {
            pgid: 0,
            run_dir: run_dir.clone(),
            readers: Vec::new(),
        };
        let program = run_dir.join("program.py");
        let result = run_dir.join("result.json");
        tokio::fs::write(&program, req.code.as_bytes()).await?;

        let setup = ChildSetup::new(limits);
        let mut command = Command::new(&self.python);
        command
            .args(["-I", "-B", "-X", "utf8"])
            .arg(&self.harness)
            .arg(&program)
            .arg(&result)
            .env_clear()
            .envs(folders.environment())
            .current_dir(&folders.work_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: the closure only calls async-signal-safe functions (see `apply_in_child`)
        // on data copied into it before the fork.
        unsafe {
            command.pre_exec(move || setup.apply_in_child());
        }

        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => interpreter_missing(&self.python),
            _ => Error::internal(format!(
                "cannot start the python interpreter at {}: {e}",
                self.python.display()
            )),
        })?;
        // setsid() in the child made its pid the id of its process group.
        guard.pgid = child.id().map_or(0, |pid| pid as libc::pid_t);

        let (stop_readers, stop) = watch::channel(false);
        let cap = limits.output_capture_bytes;
        let stdout = child
            .stdout
            .take()
            .map(|out| tokio::spawn(read_capped(out, cap, stop.clone())));
        let stderr = child
            .stderr
            .take()
            .map(|err| tokio::spawn(read_capped(err, cap, stop)));
        guard
            .readers
            .extend(stdout.iter().chain(&stderr).map(JoinHandle::abort_handle));

        let (status, timed_out) = match tokio::time::timeout(limits.timeout, child.wait()).await {
            Ok(status) => (status?, false),
            Err(_) => {
                kill_group(guard.pgid);
                (child.wait().await?, true)
            }
        };
        let duration = started.elapsed();
        // Processes the program started may still run in its group: end them too. This also
        // closes their copies of the pipes, so the readers reach the end.
        kill_group(guard.pgid);
        guard.pgid = 0;

        let stdout = collect(stdout, &stop_readers).await;
        let stderr = collect(stderr, &stop_readers).await;
        let report = read_report(&result).await;

        Ok(build_outcome(RunFacts {
            exit_code: status.code(),
            signal: status.signal(),
            timed_out,
            duration,
            report,
            stdout: stdout.text(),
            stderr: stderr.text(),
            stdout_truncated: stdout.truncated,
            stderr_truncated: stderr.truncated,
            limits,
        }))
    }
}

/// Kills the process group and removes the private run folder when a run ends in any way,
/// including its future being dropped (a cancelled job).
struct RunGuard {
    /// 0 once the group has been killed after the run (or before the child exists).
    pgid: libc::pid_t,
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
    async fn prepare(req: &ExecRequest) -> Result<Self> {
        let work_dir = std::path::absolute(&req.work_dir)?;
        if !tokio::fs::metadata(&work_dir)
            .await
            .is_ok_and(|m| m.is_dir())
        {
            return Err(Error::internal(format!(
                "the work folder {} does not exist",
                work_dir.display()
            )));
        }
        let output_dir = std::path::absolute(&req.output_dir)?;
        for dir in [&output_dir, &work_dir.join("tmp"), &work_dir.join(".mpl")] {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
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
        set("MPLBACKEND", "Agg".into());
        set("MPLCONFIGDIR", self.work_dir.join(".mpl").into());
        for threads in [
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMEXPR_NUM_THREADS",
        ] {
            set(threads, "1".into());
        }
        set("LANG", "C.UTF-8".into());
        set("LC_ALL", "C.UTF-8".into());
        set("PYTHONIOENCODING", "utf-8".into());
        set("PATH", "/usr/bin:/bin".into());
        env
    }
}

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
mod tests {
    use super::*;

    #[test]
    fn new_writes_the_embedded_harness_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let executor = ProcessExecutor::new("python3", dir.path().join("runtime")).unwrap();
        let written = std::fs::read_to_string(executor.harness_path()).unwrap();
        assert_eq!(written, HARNESS_SOURCE);
        let mode = std::fs::metadata(executor.harness_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o444);
        // A second executor on the same folder replaces the file in place.
        ProcessExecutor::new("python3", dir.path().join("runtime")).unwrap();
    }

    #[test]
    fn a_bare_interpreter_name_is_resolved_on_path() {
        let resolved = resolve_interpreter(PathBuf::from("sh"));
        assert!(resolved.is_absolute(), "{}", resolved.display());
        let missing = resolve_interpreter(PathBuf::from("no-such-python-here"));
        assert_eq!(missing, PathBuf::from("no-such-python-here"));
    }

    #[test]
    fn inputs_are_joined_with_the_path_separator() {
        let folders = RunFolders {
            inputs: vec![PathBuf::from("/in/a.xlsx"), PathBuf::from("/in/b.csv")],
            output_dir: PathBuf::from("/out"),
            work_dir: PathBuf::from("/work"),
        };
        let env = folders.environment();
        let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(get("INPUT_PATH"), Some("/in/a.xlsx".into()));
        assert_eq!(get("INPUT_PATHS"), Some("/in/a.xlsx:/in/b.csv".into()));
        assert_eq!(get("TMPDIR"), Some("/work/tmp".into()));

        let no_inputs = RunFolders {
            inputs: Vec::new(),
            ..folders
        };
        let env = no_inputs.environment();
        assert!(
            !env.iter()
                .any(|(k, _)| k == "INPUT_PATH" || k == "INPUT_PATHS")
        );
    }
}
