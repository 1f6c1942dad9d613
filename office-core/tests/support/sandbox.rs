//! What the containment suites share: a real interpreter, the folders of one test run,
//! and the Python helpers their programs use.
#![allow(dead_code)]

use office_core::{
    ExecOutcome, ExecRequest, Executor, ExitKind, PoolExecutor, PoolOptions, ProcessExecutor,
};
use office_core::{Limits, SandboxSettings};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("OFFICE_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Folders for one test: a runtime folder, a work folder, an output folder, two inputs
/// (`in/sales.csv`, the one jobs get unless told otherwise, and `in/costs.csv`), and a
/// "server" file outside every allowed path.
pub struct Setup {
    pub root: TempDir,
    pub executor: Box<dyn Executor>,
    /// What `request` hands the job, relative to `root`.
    pub inputs: Vec<&'static str>,
}

impl Setup {
    pub async fn cold() -> Setup {
        Self::cold_with(python(), SandboxSettings::default()).await
    }

    pub async fn warm() -> Setup {
        Self::warm_with(python(), SandboxSettings::default()).await
    }

    /// The cold path with another interpreter (e.g. a wrapper) and sandbox settings.
    pub async fn cold_with(python: PathBuf, sandbox: SandboxSettings) -> Setup {
        let root = Self::folders();
        let executor = ProcessExecutor::new(python, root.path().join("runtime"))
            .unwrap()
            .with_sandbox(sandbox);
        Setup {
            root,
            executor: Box::new(executor),
            inputs: vec!["in/sales.csv"],
        }
    }

    /// The warm pool (one zygote) with another interpreter and sandbox settings.
    pub async fn warm_with(python: PathBuf, sandbox: SandboxSettings) -> Setup {
        let root = Self::folders();
        let base = ProcessExecutor::new(python, root.path().join("runtime"))
            .unwrap()
            .with_sandbox(sandbox);
        let options = PoolOptions {
            size: 1,
            max_jobs_per_zygote: 100,
        };
        let executor = PoolExecutor::start_from(base, options).await.unwrap();
        Setup {
            root,
            executor: Box::new(executor),
            inputs: vec!["in/sales.csv"],
        }
    }

    pub fn folders() -> TempDir {
        let root = tempfile::tempdir().unwrap();
        for dir in ["work", "out", "in"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        std::fs::write(
            root.path().join("in/sales.csv"),
            "region,amount\nnorth,10\nsouth,5\n",
        )
        .unwrap();
        std::fs::write(root.path().join("in/costs.csv"), "region,cost\nnorth,4\n").unwrap();
        std::fs::write(root.path().join("server-secret.txt"), "secret").unwrap();
        root
    }

    /// The same folders, with jobs handed these inputs (relative to the root).
    pub fn with_inputs(mut self, inputs: &[&'static str]) -> Setup {
        self.inputs = inputs.to_vec();
        self
    }

    /// A request for `code` on this setup's folders and inputs.
    pub fn request(&self, code: &str, limits: Limits) -> ExecRequest {
        ExecRequest {
            code: code.to_string(),
            inputs: self.inputs.iter().map(|input| self.path(input)).collect(),
            output_dir: self.path("out"),
            work_dir: self.path("work"),
            limits,
        }
    }

    /// Run folders left under the runtime folder.
    pub fn leftover_runs(&self) -> usize {
        std::fs::read_dir(self.path("runtime/runs"))
            .unwrap()
            .count()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    pub async fn run(&self, code: &str, limits: Limits) -> ExecOutcome {
        self.executor.run(self.request(code, limits)).await.unwrap()
    }

    /// Runs `code` with default limits and expects it to succeed; returns its stdout.
    pub async fn stdout(&self, code: &str) -> String {
        let outcome = self.run(code, Limits::default()).await;
        assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
        outcome.stdout.trim().to_string()
    }
}

/// A helper the programs share: `attempt(f)` prints "allowed" or the error's class, errno.
pub const ATTEMPT: &str = r#"
def attempt(f):
    try:
        f()
        return "allowed"
    except OSError as e:
        return f"{type(e).__name__} {e.errno}"
"#;

/// `scan(head, tail)`: how often `head` directly followed by `tail` occurs in this
/// process's writable memory, and how many bytes were looked at (read through ctypes: a
/// program needs nothing else). The two halves are never joined by the scan itself.
pub const MEMORY_SCAN: &str = r#"
import ctypes, os
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
"#;
