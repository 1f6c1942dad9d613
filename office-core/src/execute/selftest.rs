//! The sandbox's self-test: canaries run through a real executor. Each one tries what the
//! sandbox must stop (open a network socket, read or write outside the job's folders, run
//! a program, start a process, signal the server, see the server's environment); the
//! sandbox holds when every attempt fails. The engine runs it before its first job and
//! refuses jobs when a canary escapes (`SelfCheckedExecutor`); `office doctor` prints it.

use super::{ExecRequest, Executor, ExitKind};
use crate::config::Limits;
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The name of the variable `office` sets in its own environment at start, for the
/// environment canary: its value must never reach a program.
pub const ENV_CANARY: &str = "OFFICE_SANDBOX_CANARY";

/// Names a program's environment may hold (see `ProcessExecutor`).
const ALLOWED_ENV: [&str; 15] = [
    "INPUT_PATH",
    "INPUT_PATHS",
    "OUTPUT_DIR",
    "HOME",
    "TMPDIR",
    "MPLBACKEND",
    "MPLCONFIGDIR",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "LANG",
    "LC_ALL",
    "PYTHONIOENCODING",
    "PATH",
];

/// One attempt and whether the sandbox stopped it.
#[derive(Debug, Clone, Serialize)]
pub struct Canary {
    pub name: String,
    pub contained: bool,
    /// What the attempt gave (an error, or what it got through).
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    pub canaries: Vec<Canary>,
}

impl SelfTest {
    pub fn passed(&self) -> bool {
        !self.canaries.is_empty() && self.canaries.iter().all(|c| c.contained)
    }

    /// A sentence naming every canary that escaped.
    pub fn escapes(&self) -> String {
        let escaped: Vec<String> = self
            .canaries
            .iter()
            .filter(|c| !c.contained)
            .map(|c| format!("{} ({})", c.name, c.detail))
            .collect();
        escaped.join("; ")
    }
}

/// The canary program: one line of JSON per attempt, `[name, escaped, detail]`.
const CANARY_PROGRAM: &str = r#"
import ctypes, json, os, signal, socket

def attempt(name, action):
    try:
        detail = action()
        print(json.dumps([name, True, str(detail)[:200]]))
    except BaseException as e:
        print(json.dumps([name, False, f"{type(e).__name__}: {e}"[:200]]))

def refused(result, what):
    if result == -1:
        raise PermissionError(f"{what} returned -1, errno {ctypes.get_errno()}")
    return result

libc = ctypes.CDLL(None, use_errno=True)
attempt("network socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
attempt("read outside the job", lambda: open(secret).read())
attempt("read the server's environment", lambda: open(f"/proc/{server}/environ").read())
attempt("write outside the job", lambda: open(forbidden_write, "w").write("escaped"))
def fork():
    pid = refused(libc.fork(), "fork")
    if pid == 0:
        os._exit(0)
    return pid
attempt("start a process", fork)
attempt("signal the server", lambda: os.kill(int(server), signal.SIGCONT))
def environment():
    extra = sorted(set(os.environ) - set(ALLOWED))
    leaked = [k for k, v in os.environ.items() if canary and v == canary]
    if extra or leaked:
        return f"names {extra}, canary in {leaked}"
    raise PermissionError("only the engine's variables")
attempt("server environment variable", environment)
# Last: when it works, this process becomes another program and reports nothing more.
attempt("run a program", lambda: refused(
    libc.execv(b"/bin/true", (ctypes.c_char_p * 2)(b"/bin/true", None)), "execv"))
"#;

/// Every canary the program tries, in order.
const CANARIES: [&str; 8] = [
    "network socket",
    "read outside the job",
    "read the server's environment",
    "write outside the job",
    "start a process",
    "signal the server",
    "server environment variable",
    "run a program",
];

/// Runs the canaries through `executor`, in a scratch folder under `scratch_dir` (removed
/// afterwards). `Err` when the canary program could not run at all: that is a failure too.
pub async fn run_self_test(executor: &dyn Executor, scratch_dir: &Path) -> Result<SelfTest> {
    std::fs::create_dir_all(scratch_dir)?;
    let root = tempfile::Builder::new()
        .prefix("selftest-")
        .tempdir_in(scratch_dir)?;
    let dir = root.path();
    for sub in ["work", "out", "in"] {
        std::fs::create_dir(dir.join(sub))?;
    }
    let input = dir.join("in/input.csv");
    std::fs::write(&input, "a\n1\n")?;
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "secret")?;
    let forbidden_write = dir.join("escaped.txt");
    let canary = std::env::var(ENV_CANARY).unwrap_or_default();
    let header = serde_json::json!([
        ALLOWED_ENV,
        secret,
        forbidden_write,
        std::process::id().to_string(),
        canary
    ]);
    // A JSON array of strings is a valid Python literal.
    let code =
        format!("ALLOWED, secret, forbidden_write, server, canary = {header}\n{CANARY_PROGRAM}");
    let req = ExecRequest {
        code,
        inputs: vec![input],
        output_dir: dir.join("out"),
        work_dir: dir.join("work"),
        limits: Limits {
            timeout: Duration::from_secs(60),
            cpu_seconds: 30,
            ..Limits::default()
        },
    };
    let outcome = executor.run(req).await?;
    let mut reported = Vec::new();
    for line in outcome.stdout.lines() {
        if let Ok(report) = serde_json::from_str::<(String, bool, String)>(line) {
            reported.push(report);
        }
    }
    if reported.is_empty() && outcome.exit != ExitKind::Success {
        return Err(Error::internal(format!(
            "the sandbox self-test program did not run: {}",
            outcome.message
        )));
    }
    // A canary that reported nothing counts as escaped: the program was replaced by
    // another one, or stopped before it.
    let mut canaries: Vec<Canary> = CANARIES
        .iter()
        .map(|&name| match reported.iter().find(|(n, _, _)| n == name) {
            Some((_, escaped, detail)) => Canary {
                name: name.to_string(),
                contained: !escaped,
                detail: detail.clone(),
            },
            None => Canary {
                name: name.to_string(),
                contained: false,
                detail: format!("no report ({})", outcome.message),
            },
        })
        .collect();
    if forbidden_write.exists()
        && let Some(canary) = canaries
            .iter_mut()
            .find(|c| c.name == "write outside the job")
    {
        canary.contained = false;
        canary.detail = "the file was written".into();
    }
    Ok(SelfTest { canaries })
}

/// Where the self-test of an engine's executor stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxStatus {
    /// The executor was given by the embedder: the engine did not check it.
    NotChecked,
    /// The self-test is running; jobs wait for it.
    Checking,
    /// Every canary was contained.
    Holds,
    /// A canary escaped or the self-test could not run: every job is refused, for this
    /// reason.
    Refused(String),
}

/// An executor that runs the self-test once, before its first job, and refuses every job
/// when the sandbox does not hold (fail closed).
pub struct SelfCheckedExecutor {
    inner: Arc<dyn Executor>,
    scratch_dir: std::path::PathBuf,
    verdict: OnceCell<std::result::Result<(), String>>,
}

impl SelfCheckedExecutor {
    pub fn new(inner: Arc<dyn Executor>, scratch_dir: impl Into<std::path::PathBuf>) -> Self {
        SelfCheckedExecutor {
            inner,
            scratch_dir: scratch_dir.into(),
            verdict: OnceCell::new(),
        }
    }

    /// What is known so far, without waiting.
    pub fn status(&self) -> SandboxStatus {
        match self.verdict.get() {
            None => SandboxStatus::Checking,
            Some(Ok(())) => SandboxStatus::Holds,
            Some(Err(why)) => SandboxStatus::Refused(why.clone()),
        }
    }

    /// `Ok` when the sandbox holds; otherwise why jobs are refused. Runs the self-test the
    /// first time only.
    pub async fn verdict(&self) -> std::result::Result<(), String> {
        self.verdict
            .get_or_init(|| async {
                let verdict = match run_self_test(self.inner.as_ref(), &self.scratch_dir).await {
                    Ok(test) if test.passed() => Ok(()),
                    Ok(test) => Err(format!(
                        "the sandbox self-test failed, so no job will run: {}",
                        test.escapes()
                    )),
                    Err(e) => Err(format!(
                        "the sandbox self-test could not run, so no job will run: {e}"
                    )),
                };
                match &verdict {
                    Ok(()) => tracing::info!("sandbox self-test passed"),
                    Err(why) => tracing::error!("{why}"),
                }
                verdict
            })
            .await
            .clone()
    }
}

#[async_trait::async_trait]
impl Executor for SelfCheckedExecutor {
    async fn run(&self, req: ExecRequest) -> Result<super::ExecOutcome> {
        self.verdict().await.map_err(Error::internal)?;
        self.inner.run(req).await
    }
}
