//! `ProcessExecutor` against a real CPython: the repo's virtualenv (`make setup`), or
//! `python3` when there is none, as `Config` does.

use office_core::Limits;
use office_core::{Executor, ExitKind, ProcessExecutor, python_version};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
#[path = "support/sandbox.rs"]
mod support;

use support::*;

/// The cold path, with both inputs handed to every job.
async fn setup() -> Setup {
    Setup::cold()
        .await
        .with_inputs(&["in/sales.csv", "in/costs.csv"])
}

/// The 1-based line of the first line of `code` containing `needle`.
fn line_of(code: &str, needle: &str) -> u32 {
    code.lines()
        .position(|l| l.contains(needle))
        .expect("needle in code") as u32
        + 1
}

/// True once `pid` has ended: no such process, or a zombie waiting to be collected.
fn has_ended(pid: i32) -> bool {
    // SAFETY: signal 0 only checks whether the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// SIGKILL is delivered asynchronously: give the kernel a moment.
async fn wait_until_ended(pid: i32) -> bool {
    for _ in 0..200 {
        if has_ended(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A program line that names its process `marker` (as the host sees it in
/// `/proc/<pid>/comm`): the program's own pid is that of its PID namespace, not the host's.
fn name_process(marker: &str) -> String {
    format!("import ctypes\nctypes.CDLL(None).prctl(15, ctypes.c_char_p(b'{marker}'), 0, 0, 0)\n")
}

/// A process name of at most 15 characters, unique to one test run.
fn marker() -> String {
    format!("oj{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

/// Host pids of the processes named `marker`.
fn pids_named(marker: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim() == marker) {
            pids.push(pid);
        }
    }
    pids
}

/// Waits (up to 30 s) until a process named `marker` runs on the host; its pids.
async fn wait_for_named(marker: &str) -> Vec<i32> {
    for _ in 0..600 {
        let pids = pids_named(marker);
        if !pids.is_empty() {
            return pids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no process named {marker} appeared");
}

#[tokio::test]
async fn a_program_sees_its_inputs_and_writes_to_its_output_folder() {
    let setup = setup().await;
    let code = r#"
import os
with open(os.environ["INPUT_PATH"], encoding="utf-8") as f:
    first = f.read()
paths = os.environ["INPUT_PATHS"].split(os.pathsep)
with open(os.path.join(os.environ["OUTPUT_DIR"], "report.txt"), "w", encoding="utf-8") as out:
    out.write(first)
    out.write("\n".join(paths))
print("wrote", len(paths), "paths")
"#;
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.stdout, "wrote 2 paths\n");
    assert!(outcome.error.is_none());
    assert!(outcome.duration_ms > 0.0);

    let report = std::fs::read_to_string(setup.path("out/report.txt")).unwrap();
    let first = std::fs::read_to_string(setup.path("in/sales.csv")).unwrap();
    let paths = report
        .strip_prefix(&first)
        .expect("the first input, as it is");
    let paths: Vec<_> = paths.lines().map(PathBuf::from).collect();
    assert_eq!(
        paths,
        vec![setup.path("in/sales.csv"), setup.path("in/costs.csv")]
    );
    assert_eq!(
        setup.leftover_runs(),
        0,
        "the private run folder is removed"
    );
}

#[tokio::test]
async fn a_failing_program_reports_type_message_and_its_own_line() {
    let setup = setup().await;
    let code = r#"rows = {"north": 1}


def total(region):
    return rows[region]


print(total("south"))
"#;
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Error, "{outcome:#?}");
    let error = outcome.error.as_ref().unwrap();
    assert_eq!(error.exc_type, "KeyError");
    assert_eq!(error.message, "'south'");
    assert_eq!(error.line, Some(line_of(code, "return rows[region]")));
    let call_line = line_of(code, "print(total");
    assert!(
        error
            .traceback
            .contains(&format!("File \"generated.py\", line {call_line}"))
    );
    assert!(
        error.traceback.contains("return rows[region]"),
        "{}",
        error.traceback
    );
    assert!(!error.traceback.contains("harness"), "{}", error.traceback);
    assert!(outcome.message.contains("KeyError"), "{}", outcome.message);
    assert!(
        outcome
            .message
            .contains(&format!("line {}", error.line.unwrap()))
    );
}

#[tokio::test]
async fn a_library_error_is_traced_to_the_program_line_only() {
    let setup = setup().await;
    let code = "import os\nimport pandas as pd\n\ndf = pd.read_csv(os.environ['INPUT_PATH'])\n\
                total = df['Amount'].sum()\n";
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Error, "{outcome:#?}");
    let error = outcome.error.unwrap();
    assert_eq!(error.exc_type, "KeyError");
    assert_eq!(error.line, Some(line_of(code, "df['Amount']")));
    assert!(!error.traceback.contains("pandas/"), "{}", error.traceback);
}

#[tokio::test]
async fn a_syntax_error_names_its_line() {
    let setup = setup().await;
    let code = "x = 1\ny = (2 +\nprint(x y)\n";
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Error, "{outcome:#?}");
    let error = outcome.error.unwrap();
    assert_eq!(error.exc_type, "SyntaxError");
    assert!(
        error.line.is_some_and(|l| (2..=3).contains(&l)),
        "{error:?}"
    );
    assert!(
        outcome.message.contains("syntax error"),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn a_timeout_kills_the_program() {
    let setup = setup().await;
    let marker = marker();
    let code = format!("{}import time\ntime.sleep(30)\n", name_process(&marker));
    let limits = Limits {
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let run = setup.run(&code, limits);
    tokio::pin!(run);
    // The program's process, seen from the host while it runs.
    let pids = tokio::select! {
        outcome = &mut run => panic!("the run ended before its process was seen: {outcome:?}"),
        pids = wait_for_named(&marker) => pids,
    };
    let outcome = run.await;
    assert_eq!(outcome.exit, ExitKind::Timeout, "{outcome:#?}");
    assert_eq!(
        outcome.message,
        "the program ran longer than the 2 s limit and was stopped"
    );
    assert_eq!(outcome.signal, Some(libc::SIGKILL));
    // It did not wait for the 30 s sleep.
    assert!(outcome.duration_ms < 25_000.0, "{}", outcome.duration_ms);
    assert_eq!(pids.len(), 1, "{pids:?}");
    for pid in pids {
        assert!(
            wait_until_ended(pid).await,
            "process {pid} still runs after the timeout"
        );
    }
}

#[tokio::test]
async fn a_program_cannot_start_processes() {
    let setup = setup().await;
    // The audit hook names the refusal; underneath it, seccomp refuses fork and clone.
    let outcome = setup.run("import os\nos.fork()\n", Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Error, "{outcome:#?}");
    assert!(
        outcome
            .message
            .contains("starting a process is not allowed"),
        "{}",
        outcome.message
    );
    let code = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pid = libc.fork()
if pid == 0:
    os._exit(0)
print(pid, ctypes.get_errno())
"#;
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert_eq!(outcome.stdout.trim(), format!("-1 {}", libc::EPERM));
}

#[tokio::test]
async fn dropping_the_run_kills_the_process_group() {
    let setup = setup().await;
    let marker = marker();
    let code = format!("{}import time\ntime.sleep(60)\n", name_process(&marker));
    let pids = {
        let run = setup.executor.run(setup.request(&code, Limits::default()));
        tokio::pin!(run);
        tokio::select! {
            outcome = &mut run => panic!("the run ended before it was dropped: {outcome:?}"),
            pids = wait_for_named(&marker) => pids,
        }
        // `run` is dropped here, as when a job is cancelled.
    };
    assert_eq!(pids.len(), 1);
    for pid in pids {
        assert!(
            wait_until_ended(pid).await,
            "process {pid} still runs after the drop"
        );
    }
    assert_eq!(
        setup.leftover_runs(),
        0,
        "the private run folder is removed"
    );
}

#[tokio::test]
async fn going_over_the_memory_limit_is_reported_as_memory() {
    let setup = setup().await;
    let limits = Limits {
        memory_bytes: 512 << 20,
        ..Limits::default()
    };
    for code in [
        "data = bytearray(4 * 1024 ** 3)\n",
        "import numpy\ndata = numpy.ones(1 << 29)\n",
    ] {
        let outcome = setup.run(code, limits.clone()).await;
        assert!(
            matches!(outcome.exit, ExitKind::Killed | ExitKind::Error),
            "{code}: {outcome:#?}"
        );
        assert!(
            outcome.message.contains("memory limit of 512 MB"),
            "{}",
            outcome.message
        );
        if let Some(error) = &outcome.error {
            assert!(error.exc_type.contains("MemoryError"), "{error:?}");
            assert_eq!(error.line, Some(code.lines().count() as u32));
        }
    }
}

#[tokio::test]
async fn pandas_numpy_and_matplotlib_fit_in_the_default_limits() {
    let setup = setup().await;
    let code = r#"
import os
import numpy as np
import pandas as pd
import matplotlib
import matplotlib.pyplot as plt
df = pd.read_csv(os.environ["INPUT_PATH"])
df["double"] = df["amount"] * np.int64(2)
fig, ax = plt.subplots()
df.plot.bar(x="region", y="double", ax=ax)
fig.savefig(os.path.join(os.environ["OUTPUT_DIR"], "chart.png"))
df.to_excel(os.path.join(os.environ["OUTPUT_DIR"], "out.xlsx"), index=False)
print(matplotlib.get_backend())
"#;
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert_eq!(outcome.stdout.trim().to_lowercase(), "agg");
    let png = std::fs::read(setup.path("out/chart.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(setup.path("out/out.xlsx").is_file());
}

#[tokio::test]
async fn oversized_output_is_capped_and_marked() {
    let setup = setup().await;
    let code =
        "import sys\nsys.stdout.write('x' * (10 << 20))\nsys.stderr.write('y' * (10 << 20))\n";
    let limits = Limits::default();
    let cap = limits.output_capture_bytes;
    let outcome = setup.run(code, limits).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{:?}", outcome.message);
    assert_eq!(outcome.stdout.len(), cap);
    assert!(outcome.stdout.bytes().all(|b| b == b'x'));
    assert!(outcome.stdout_truncated);
    assert_eq!(outcome.stderr.len(), cap);
    assert!(outcome.stderr_truncated);
}

#[tokio::test]
async fn control_characters_in_output_are_neutralized() {
    let setup = setup().await;
    let code = "print('\\x1b[2Jred\\x07 \\u202egnp.exe\\tok\\r\\nnext')\n";
    let outcome = setup.run(code, Limits::default()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert_eq!(
        outcome.stdout,
        "\u{FFFD}[2Jred\u{FFFD} \u{FFFD}gnp.exe\tok\nnext\n"
    );
    assert!(!outcome.stdout_truncated);
}

#[tokio::test]
async fn writing_past_the_file_size_limit_is_reported() {
    let setup = setup().await;
    let code = r#"
import os
chunk = b"z" * (1 << 20)
with open(os.path.join(os.environ["OUTPUT_DIR"], "big.bin"), "wb") as f:
    for _ in range(50):
        f.write(chunk)
"#;
    let limits = Limits {
        file_size_bytes: 10 << 20,
        ..Limits::default()
    };
    let outcome = setup.run(code, limits).await;
    assert_ne!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert!(
        outcome.message.contains("file size limit of 10 MB"),
        "{}",
        outcome.message
    );
    let written = std::fs::metadata(setup.path("out/big.bin")).unwrap().len();
    assert!(written <= 10 << 20, "{written} bytes written");
}

#[tokio::test]
async fn going_over_the_cpu_limit_is_reported() {
    let setup = setup().await;
    let limits = Limits {
        cpu_seconds: 1,
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let outcome = setup.run("while True:\n    pass\n", limits).await;
    assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
    // Soft == hard: the kernel kills at the limit, with no grace period to catch SIGXCPU.
    assert_eq!(outcome.signal, Some(libc::SIGKILL));
    assert!(
        outcome.message.contains("CPU time limit of 1 s"),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn the_environment_holds_only_what_the_engine_sets() {
    let setup = setup().await;
    // A descriptor without close-on-exec, high enough that the child would not reuse it.
    let leaked = {
        let file = std::fs::File::open(setup.path("in/sales.csv")).unwrap();
        // SAFETY: F_DUPFD duplicates a descriptor we own; the copy is closed below.
        unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_DUPFD, 900) }
    };
    assert!(leaked >= 900);
    let code = format!(
        r#"
import json, os, sys
try:
    os.fstat({leaked})
    leaked_open = True
except OSError:
    leaked_open = False
info = {{
    "env": dict(os.environ),
    "argv": sys.argv,
    "cwd": os.getcwd(),
    "stdin": os.readlink("/proc/self/fd/0"),
    "stdin_data": sys.stdin.read(),
    "leaked_open": leaked_open,
}}
with open(os.path.join(os.environ["OUTPUT_DIR"], "info.json"), "w") as f:
    json.dump(info, f)
"#
    );
    let outcome = setup.run(&code, Limits::default()).await;
    // SAFETY: closes the duplicate made above.
    unsafe { libc::close(leaked) };
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");

    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(setup.path("out/info.json")).unwrap()).unwrap();
    let env = info["env"].as_object().unwrap();
    let keys: BTreeSet<&str> = env.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
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
    ]
    .into();
    assert_eq!(keys, expected);
    // This test process has variables the child must not see.
    assert!(std::env::vars_os().any(|(k, _)| !expected.contains(k.to_str().unwrap_or(""))));

    let work = setup.path("work");
    assert_eq!(env["HOME"], work.to_str().unwrap());
    assert_eq!(env["TMPDIR"], work.join("tmp").to_str().unwrap());
    assert_eq!(env["OUTPUT_DIR"], setup.path("out").to_str().unwrap());
    assert_eq!(env["PATH"], "/usr/bin:/bin");
    assert_eq!(env["MPLBACKEND"], "Agg");
    assert!(work.join("tmp").is_dir() && work.join(".mpl").is_dir());
    let cwd = PathBuf::from(info["cwd"].as_str().unwrap());
    assert_eq!(cwd.canonicalize().unwrap(), work.canonicalize().unwrap());
    assert_eq!(info["argv"], serde_json::json!(["generated.py"]));
    assert_eq!(info["stdin"], "/dev/null");
    assert_eq!(info["stdin_data"], "");
    assert_eq!(
        info["leaked_open"], false,
        "an inherited descriptor reached the program"
    );
}

#[tokio::test]
async fn system_exit_zero_is_success_and_non_zero_is_an_error() {
    let setup = setup().await;
    for code in ["import sys\nsys.exit(0)\n", "raise SystemExit\n"] {
        let outcome = setup.run(code, Limits::default()).await;
        assert_eq!(outcome.exit, ExitKind::Success, "{code}: {outcome:#?}");
    }
    let outcome = setup
        .run("import sys\n\nsys.exit(3)\n", Limits::default())
        .await;
    assert_eq!(outcome.exit, ExitKind::Error, "{outcome:#?}");
    let error = outcome.error.as_ref().unwrap();
    assert_eq!(error.exc_type, "SystemExit");
    assert_eq!(error.line, Some(3));
    assert_eq!(
        outcome.message,
        "the program stopped at line 3 with exit status 3"
    );
}

#[tokio::test]
async fn a_missing_interpreter_is_an_error_that_says_what_to_do() {
    let setup = setup().await;
    let missing = setup.path("no-venv/bin/python");
    let executor = ProcessExecutor::new(&missing, setup.path("runtime")).unwrap();
    let err = executor
        .run(setup.request("print(1)\n", Limits::default()))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&format!(
        "python interpreter not found at {}",
        missing.display()
    )));
    assert!(message.contains("OFFICE_PYTHON"), "{message}");

    let err = python_version(&missing).unwrap_err().to_string();
    assert!(err.contains("python interpreter not found"), "{err}");
}

#[tokio::test]
async fn python_version_names_python_and_pandas() {
    let python = python();
    let version = tokio::task::spawn_blocking(move || python_version(&python))
        .await
        .unwrap();
    let version = version.unwrap();
    assert!(version.starts_with("Python 3."), "{version}");
    assert!(version.contains("; pandas "), "{version}");
}
