//! Execute stage: runs one Python program in a separate, confined CPython process and
//! reports what happened as data.
//!
//! - `process`: `ProcessExecutor`, a fresh interpreter per program (the cold path; the
//!   harness script `python/harness.py` wraps it), and `python_version` for health checks;
//! - `pool`: `PoolExecutor`, children forked from pre-imported interpreters (the warm
//!   path), confined by the same harness code;
//! - `sandbox`: what is applied to an interpreter before exec (session, death with the
//!   engine, descriptors) and the probes `office doctor` prints; the per-job layers
//!   (namespaces, the job's root, no privilege, limits, Landlock, seccomp) live in the
//!   harness;
//! - `selftest`: canaries run through a real executor; the engine refuses jobs when one
//!   escapes;
//! - `capture`: capped stdout/stderr, made safe to show;
//! - `outcome`: the harness's result and the exit status turned into an `ExecOutcome`.

mod capture;
mod cgroup;
mod outcome;
mod pool;
mod process;
mod sandbox;
pub(crate) mod selftest;
/// The host's SysV segment the self-test and the containment tests offer to jobs
/// (reached by tests through `test_support`).
pub mod sysv;

pub use cgroup::{CgroupSupport, cgroup_support};
pub use pool::{PoolExecutor, PoolOptions};
pub use process::{ProcessExecutor, python_version};
pub use sandbox::{
    JobNamespaces, NetworkIsolation, landlock_abi, probe_job_namespaces, probe_network_isolation,
    seccomp_available,
};

use crate::config::{Limits, SandboxMode};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a run needs. The paths are local folders prepared by the runner.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The Python program to run.
    pub code: String,
    /// Input files, first one is `INPUT_PATH`; all are in `INPUT_PATHS`.
    pub inputs: Vec<PathBuf>,
    /// Where the program writes what it makes (`OUTPUT_DIR`).
    pub output_dir: PathBuf,
    /// The program's own working folder (its cwd, HOME and TMPDIR).
    pub work_dir: PathBuf,
    /// What it may use: time, memory, disk, processes, output.
    pub limits: Limits,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    /// The program ran to its end.
    Success,
    /// The program raised an exception (see `error`).
    Error,
    /// Killed after the wall-clock timeout.
    Timeout,
    /// Ended by a signal or a resource limit (memory, CPU, file size).
    Killed,
    /// The interpreter or harness failed before the program ran.
    HarnessFailure,
}

/// The exception a program raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonError {
    /// e.g. `KeyError`, `MemoryError`.
    pub exc_type: String,
    /// The exception's message.
    pub message: String,
    /// The traceback, trimmed to the frames of the generated program where possible.
    pub traceback: String,
    /// Line in the generated program where it was raised, when known.
    pub line: Option<u32>,
}

/// What happened when a program ran, as data: how it ended, what it printed, why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecOutcome {
    /// How it ended.
    pub exit: ExitKind,
    /// The process's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Wall-clock time, in milliseconds.
    pub duration_ms: f64,
    /// What it printed, capped and made safe to show.
    pub stdout: String,
    /// What it wrote to stderr, capped and made safe to show.
    pub stderr: String,
    /// Whether `stdout` was cut at the capture cap.
    pub stdout_truncated: bool,
    /// Whether `stderr` was cut at the capture cap.
    pub stderr_truncated: bool,
    /// The exception it raised, when it raised one.
    pub error: Option<PythonError>,
    /// A short sentence for people: why it failed, or that it succeeded.
    pub message: String,
}

impl ExecOutcome {
    /// Whether it ran to its end (`ExitKind::Success`).
    pub fn succeeded(&self) -> bool {
        self.exit == ExitKind::Success
    }
}

/// The engine's executor for `config`: the warm pool when `config.effective_pool_size()` is
/// above 0 and it starts, the cold path otherwise (the reason is logged); either way
/// behind the self-test, which starts now and must pass before the first job runs.
pub(crate) async fn default_executor(
    config: &crate::config::Config,
) -> crate::error::Result<Arc<selftest::SelfCheckedExecutor>> {
    if config.sandbox.mode == SandboxMode::Degraded {
        tracing::error!(
            "OFFICE_SANDBOX=degraded: jobs run even if the host cannot give them their \
             namespaces or a sandbox canary escapes; never use this on a server"
        );
    }
    let runtime_dir = config.data_dir.join("runtime");
    let size = config.effective_pool_size();
    let executor: Arc<dyn Executor> = if size == 0 {
        tracing::info!("executor: a fresh interpreter per job (OFFICE_POOL_SIZE=0)");
        Arc::new(
            ProcessExecutor::new(config.python.clone(), &runtime_dir)?.with_sandbox(config.sandbox),
        )
    } else {
        let options = PoolOptions {
            size,
            max_jobs_per_zygote: config.pool_max_jobs,
        };
        let base =
            ProcessExecutor::new(config.python.clone(), &runtime_dir)?.with_sandbox(config.sandbox);
        match PoolExecutor::start_from(base.clone(), options).await {
            Ok(pool) => {
                tracing::info!(size, "executor: warm pool");
                Arc::new(pool)
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "the warm pool did not start; running a fresh interpreter per job"
                );
                Arc::new(base)
            }
        }
    };
    let checked = Arc::new(selftest::SelfCheckedExecutor::new(
        executor,
        config.data_dir.join("scratch"),
        config.sandbox.mode,
    ));
    let early = checked.clone();
    tokio::spawn(async move {
        let _ = early.verdict().await;
    });
    Ok(checked)
}

/// Runs programs. `ProcessExecutor` starts a fresh interpreter per run.
#[async_trait::async_trait]
pub trait Executor: Send + Sync + 'static {
    /// `Err` only when the run could not be attempted (no interpreter, no folder); a
    /// program that fails, times out or is killed is an `Ok` outcome that says so.
    async fn run(&self, req: ExecRequest) -> crate::error::Result<ExecOutcome>;
}
