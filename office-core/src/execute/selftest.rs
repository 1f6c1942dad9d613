//! The sandbox's self-test: canaries run through a real executor. Each one tries what the
//! sandbox must stop (open a network socket, read or write outside the job's folders, run
//! a program, start a process, signal the server, see the server's environment); the
//! sandbox holds when every attempt fails. The engine runs it before its first job and
//! refuses jobs when a canary escapes (`SelfCheckedExecutor`); `office doctor` prints it.

use super::sysv::HostSegment;
use super::{ExecOutcome, ExecRequest, Executor, ExitKind};
use crate::config::{Limits, SandboxMode};
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
    /// What the canary tries (e.g. `read outside the job`).
    pub name: String,
    /// Whether the sandbox stopped it.
    pub contained: bool,
    /// What the attempt gave (an error, or what it got through).
    pub detail: String,
}

/// What the self-test found: one entry per canary.
#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    /// Every canary, in the order they ran.
    pub canaries: Vec<Canary>,
}

impl SelfTest {
    /// Whether there were canaries and every one was contained.
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
import ctypes, json, os, signal, socket, time

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
import resource, socket, threading
attempt("set the hostname", lambda: socket.sethostname("office-canary"))
def clock():
    now = time.time()
    tv = (ctypes.c_long * 2)(int(now), 0)
    return refused(libc.settimeofday(tv, None), "settimeofday")
attempt("set the clock", clock)
def chmod_input():
    mode = os.stat(input_path).st_mode & 0o7777
    os.chmod(input_path, mode)
    os.chown(input_path, os.getuid(), os.getgid())
    return "chmod and chown of the input worked"
attempt("change a file outside the job", chmod_input)
def host_socket():
    s = socket.socket(socket.AF_UNIX)
    s.connect(host_socket_path)
    return "connected"
attempt("connect to a host unix socket", host_socket)
attempt("attach host shared memory", lambda: refused(libc.shmget(shm_key, 0, 0), "shmget"))
attempt("limit the server", lambda: resource.prlimit(int(server), resource.RLIMIT_CORE))
attempt("renice the server", lambda: os.getpriority(os.PRIO_PROCESS, int(server)))
attempt("memory outside the limit", lambda: os.memfd_create("balloon"))
def threads():
    stop = threading.Event()
    started = 0
    try:
        for _ in range(200):
            threading.Thread(target=stop.wait, daemon=True).start()
            started += 1
    except RuntimeError:
        pass
    stop.set()
    if started >= 100:
        return f"{started} threads against a limit of 64"
    raise PermissionError(f"stopped at {started} threads")
attempt("a thread balloon", threads)
def unlinked():
    held, written = [], 0
    try:
        for i in range(32):
            path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"u{i}")
            f = open(path, "wb")
            os.unlink(path)
            f.write(b"x" * (1 << 20))
            f.flush()
            held.append(f)
            written += 1
    except OSError as e:
        raise PermissionError(f"stopped after {written} MB: {e}")
    return f"{written} MB of unlinked files against a quota of 16 MB"
attempt("unlinked files past the disk quota", unlinked)
def scan(head, tail):
    # Copied through a pipe: write() fails with EFAULT on memory that went away while
    # scanning, where reading it directly would crash.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
    libc.write.restype = ctypes.c_ssize_t
    r, w = os.pipe()
    found = scanned = 0
    regions = []
    for line in open("/proc/self/maps").read().splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if fields[1].startswith("rw"):
            regions.append((start, end))
    size = len(head) + len(tail)
    for start, end in regions:
        carry = b""
        for at in range(start, end, 1 << 16):
            n = libc.write(w, at, min(1 << 16, end - at))
            if n <= 0:
                break
            data = carry + os.read(r, n)
            scanned += n
            i = data.find(head)
            while i >= 0:
                if data[i + len(head):i + size] == tail:
                    found += 1
                i = data.find(head, i + 1)
            carry = data[-size:]
    os.close(r)
    os.close(w)
    return found, scanned
def previous_job():
    found, _ = scan(head, tail)
    if found:
        return f"the previous job's input name is in memory {found} times"
    raise PermissionError("not in memory")
attempt("read the previous job's data", previous_job)
# Last: when it works, this process becomes another program and reports nothing more.
attempt("run a program", lambda: refused(
    libc.execv(b"/bin/true", (ctypes.c_char_p * 2)(b"/bin/true", None)), "execv"))
"#;

/// Every canary the program tries, in order.
const CANARIES: [&str; 19] = [
    "network socket",
    "read outside the job",
    "read the server's environment",
    "write outside the job",
    "start a process",
    "signal the server",
    "server environment variable",
    "set the hostname",
    "set the clock",
    "change a file outside the job",
    "connect to a host unix socket",
    "attach host shared memory",
    "limit the server",
    "renice the server",
    "memory outside the limit",
    "a thread balloon",
    "unlinked files past the disk quota",
    "read the previous job's data",
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
    let limits = Limits {
        timeout: Duration::from_secs(60),
        cpu_seconds: 30,
        disk_bytes: 16 << 20,
        processes: 64,
        ..Limits::default()
    };
    // A job before the canaries, whose input name the canary job must not find in its
    // memory (the warm pool's children all come from one zygote).
    let marker = format!("selftest-{}", uuid::Uuid::now_v7().simple());
    let (head, tail) = marker.split_at(16);
    let earlier_input = dir.join(format!("in/{marker}.csv"));
    std::fs::write(&earlier_input, "a\n1\n")?;
    executor
        .run(ExecRequest {
            code: "pass\n".into(),
            inputs: vec![earlier_input],
            output_dir: dir.join("out"),
            work_dir: dir.join("work"),
            limits: limits.clone(),
        })
        .await?;
    // What the canaries must not reach: a unix socket, a SysV segment, the hostname.
    let host_socket = dir.join("host.sock");
    let listener = std::os::unix::net::UnixListener::bind(&host_socket)?;
    listener.set_nonblocking(true)?;
    // A host without SysV IPC offers none: the canary then has nothing to attach.
    let shm = HostSegment::create(0x0ff5, 0o600, b"").ok();
    let shm_key = shm
        .as_ref()
        .map_or(HostSegment::key_for(0x0ff5), HostSegment::key);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let input_mode = std::fs::metadata(&input).map(|m| {
        use std::os::unix::fs::MetadataExt;
        (m.mode(), m.uid(), m.gid())
    })?;
    let header = serde_json::json!([
        ALLOWED_ENV,
        secret,
        forbidden_write,
        std::process::id().to_string(),
        canary,
        input,
        host_socket,
        head,
        tail,
    ]);
    // A JSON array of strings is a valid Python literal.
    let code = format!(
        "ALLOWED, secret, forbidden_write, server, canary, input_path, host_socket_path, head, \
         tail = {header}\nhead, tail = head.encode(), tail.encode()\nshm_key = {}\n\
         {CANARY_PROGRAM}",
        shm_key
    );
    let req = ExecRequest {
        code,
        inputs: vec![input.clone()],
        output_dir: dir.join("out"),
        work_dir: dir.join("work"),
        limits,
    };
    let outcome = executor.run(req).await?;
    // What the host says, whatever the program reported.
    let mut host_effects: Vec<(&'static str, String)> = Vec::new();
    if std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default() != hostname {
        host_effects.push(("set the hostname", "the host's hostname changed".into()));
    }
    if listener.accept().is_ok() {
        host_effects.push((
            "connect to a host unix socket",
            "the host's socket got a connection".into(),
        ));
    }
    let input_after = std::fs::metadata(&input).map(|m| {
        use std::os::unix::fs::MetadataExt;
        (m.mode(), m.uid(), m.gid())
    })?;
    if input_after != input_mode {
        host_effects.push((
            "change a file outside the job",
            "the input's mode or owner changed".into(),
        ));
    }
    drop(shm);
    verdict(&outcome, host_effects, &forbidden_write)
}

/// The canaries' verdict: what the program reported, overruled by what the host saw.
fn verdict(
    outcome: &ExecOutcome,
    host_effects: Vec<(&'static str, String)>,
    forbidden_write: &Path,
) -> Result<SelfTest> {
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
    for (name, detail) in host_effects {
        if let Some(canary) = canaries.iter_mut().find(|c| c.name == name) {
            canary.contained = false;
            canary.detail = detail;
        }
    }
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
    /// The same, but `OFFICE_SANDBOX=degraded` asked for jobs to run anyway.
    Degraded(String),
}

/// An executor that runs the self-test once, before its first job, and refuses every job
/// when the sandbox does not hold (fail closed).
pub struct SelfCheckedExecutor {
    inner: Arc<dyn Executor>,
    scratch_dir: std::path::PathBuf,
    mode: SandboxMode,
    verdict: OnceCell<std::result::Result<(), String>>,
}

impl SelfCheckedExecutor {
    /// Wraps `inner`; the self-test's programs run in folders under `scratch_dir`.
    /// `mode` is `Config::sandbox.mode`: only `Degraded` runs jobs after a failed self-test.
    pub fn new(
        inner: Arc<dyn Executor>,
        scratch_dir: impl Into<std::path::PathBuf>,
        mode: SandboxMode,
    ) -> Self {
        SelfCheckedExecutor {
            inner,
            scratch_dir: scratch_dir.into(),
            mode,
            verdict: OnceCell::new(),
        }
    }

    /// What is known so far, without waiting.
    pub fn status(&self) -> SandboxStatus {
        match self.verdict.get() {
            None => SandboxStatus::Checking,
            Some(Ok(())) => SandboxStatus::Holds,
            Some(Err(why)) if self.mode == SandboxMode::Degraded => {
                SandboxStatus::Degraded(why.clone())
            }
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
        if let Err(why) = self.verdict().await {
            if self.mode != SandboxMode::Degraded {
                return Err(Error::internal(why));
            }
            tracing::error!("OFFICE_SANDBOX=degraded: running a job although {why}");
        }
        self.inner.run(req).await
    }
}
