//! Containment, layer by layer, against a real CPython, for both executors: the cold path
//! (`ProcessExecutor`, a fresh interpreter per job) and the warm path (`PoolExecutor`,
//! children forked from pre-imported interpreters). The executor never validates, so every
//! program here reaches the sandbox as written.

use office_core::Limits;
use office_core::SandboxMode;
use office_core::{ExecOutcome, ExecRequest, Executor, ExitKind, PoolExecutor, PoolOptions};
use office_core::{SandboxStatus, SelfCheckedExecutor, run_self_test};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
#[path = "support/sandbox.rs"]
mod support;

use support::*;

macro_rules! containment_tests {
    ($name:ident, $setup:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn the_self_test_passes() {
                let setup = $setup.await;
                let test = run_self_test(setup.executor.as_ref(), &setup.path("scratch"))
                    .await
                    .unwrap();
                assert_eq!(test.canaries.len(), 19, "{test:#?}");
                assert!(test.passed(), "{}", test.escapes());
            }

            #[tokio::test]
            async fn only_unix_sockets_can_be_made() {
                let setup = $setup.await;
                let code = format!(
                    "{ATTEMPT}\nimport socket\n\
                     print(attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)))\n\
                     print(attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)))\n\
                     print(attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)))\n\
                     print(attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)))\n\
                     print(attempt(lambda: socket.socketpair()))\n"
                );
                let eperm = format!("PermissionError {}", libc::EPERM);
                let lines = setup.stdout(&code).await;
                let lines: Vec<&str> = lines.lines().collect();
                assert_eq!(lines, [eperm.as_str(), &eperm, &eperm, "allowed", "allowed"]);
            }

            #[tokio::test]
            async fn the_network_namespace_is_empty() {
                let setup = $setup.await;
                // The namespace the program sees, not the server's (which has more than lo).
                let code = "print(sorted(l.split(':')[0].strip() for l in \
                            open('/proc/self/net/dev').readlines()[2:]))";
                assert_eq!(setup.stdout(code).await, "['lo']");
                let code = format!(
                    "{ATTEMPT}\nimport socket\n\
                     print(attempt(lambda: socket.create_connection(('127.0.0.1', 6379), 2)))\n"
                );
                let out = setup.stdout(&code).await;
                assert_ne!(out, "allowed");
            }

            #[tokio::test]
            async fn an_abstract_socket_of_the_server_cannot_be_reached() {
                use std::os::linux::net::SocketAddrExt;
                let setup = $setup.await;
                let name = format!("office-test-{}", uuid::Uuid::now_v7());
                let address = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap();
                let _listener = std::os::unix::net::UnixListener::bind_addr(&address).unwrap();
                let code = format!(
                    "{ATTEMPT}\nimport socket\ns = socket.socket(socket.AF_UNIX)\n\
                     print(attempt(lambda: s.connect('\\0{name}')))\n"
                );
                let out = setup.stdout(&code).await;
                assert_ne!(out, "allowed");
            }

            #[tokio::test]
            async fn other_programs_cannot_be_run() {
                let setup = $setup.await;
                for (code, what) in [
                    ("import os\nos.system('id')\n", "running a shell command"),
                    (
                        "import subprocess\nsubprocess.run(['/bin/true'])\n",
                        "running another program",
                    ),
                    ("import pty\npty.spawn('/bin/sh')\n", "not allowed"),
                    ("import os\nos.execv('/bin/true', ['true'])\n", "running another program"),
                ] {
                    let outcome = setup.run(code, Limits::default()).await;
                    assert_eq!(outcome.exit, ExitKind::Error, "{code}: {outcome:#?}");
                    let error = outcome.error.unwrap();
                    assert_eq!(error.exc_type, "PermissionError", "{code}");
                    assert!(error.message.contains(what), "{code}: {}", error.message);
                    assert!(error.message.contains("not allowed in the sandbox"));
                }
                // Under the audit hook, seccomp refuses execve itself.
                let code = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n\
                            argv = (ctypes.c_char_p * 2)(b'/bin/true', None)\n\
                            print(libc.execv(b'/bin/true', argv), ctypes.get_errno())\n";
                assert_eq!(setup.stdout(code).await, format!("-1 {}", libc::EPERM));
            }

            #[tokio::test]
            async fn files_outside_the_allowed_paths_cannot_be_read() {
                let setup = $setup.await;
                let secret = setup.path("server-secret.txt");
                let code = format!(
                    "{ATTEMPT}\n\
                     print(attempt(lambda: open('/etc/hostname').read()))\n\
                     print(attempt(lambda: open({secret:?}).read()))\n\
                     print(attempt(lambda: open('/proc/1/environ').read()) if __import__('os').getpid() != 1 else 'self')\n\
                     print(attempt(lambda: open('/proc/{server}/environ').read()))\n\
                     print(attempt(lambda: open(__import__('os').environ['INPUT_PATH']).read()))\n",
                    server = std::process::id(),
                );
                // Denied (Landlock), or not there at all (the job's root has none of them;
                // /proc is the job's own, where the server has no pid).
                let eacces = format!("PermissionError {}", libc::EACCES);
                let enoent = format!("FileNotFoundError {}", libc::ENOENT);
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                assert_eq!(lines.len(), 5, "{out}");
                for line in [lines[0], lines[1], lines[3]] {
                    assert!(line == eacces || line == enoent, "{out}");
                }
                // pid 1 is the job itself: the host's init is not in its namespace.
                assert_eq!(lines[2], "self");
                assert_eq!(lines[4], "allowed");
            }

            #[tokio::test]
            async fn nothing_can_be_written_outside_the_job_folders() {
                let setup = $setup.await;
                let escape = setup.path("escape.txt");
                let input = setup.path("in/sales.csv");
                let code = format!(
                    "{ATTEMPT}\nimport os\n\
                     print(attempt(lambda: open({escape:?}, 'w')))\n\
                     print(attempt(lambda: open('/tmp/office-escape-test', 'w')))\n\
                     print(attempt(lambda: open({input:?}, 'a')))\n\
                     print(attempt(lambda: os.symlink('/etc/passwd', os.path.join(os.environ['OUTPUT_DIR'], 'link'))))\n\
                     print(attempt(lambda: os.mkfifo(os.path.join(os.environ['OUTPUT_DIR'], 'fifo'))))\n\
                     print(attempt(lambda: open(os.path.join(os.environ['OUTPUT_DIR'], 'ok.txt'), 'w').write('x')))\n\
                     print(attempt(lambda: open(os.path.join(os.environ['TMPDIR'], 'ok.txt'), 'w').write('x')))\n"
                );
                let eacces = format!("PermissionError {}", libc::EACCES);
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                // Appending to an input: refused by its owner's mode (a root server's job
                // runs as another uid) or by the read-only mount (EROFS) before Landlock.
                let erofs = format!("OSError {}", libc::EROFS);
                assert!(lines.len() == 7 && (lines[2] == eacces || lines[2] == erofs), "{out}");
                assert_eq!(
                    [&lines[..2], &lines[3..]].concat(),
                    [eacces.as_str(), &eacces, &eacces, &eacces, "allowed", "allowed"]
                );
                assert!(!escape.exists());
                assert!(!Path::new("/tmp/office-escape-test").exists());
                assert_eq!(std::fs::read_to_string(&input).unwrap().lines().count(), 3);
            }

            #[tokio::test]
            async fn the_server_cannot_be_signalled() {
                let setup = $setup.await;
                // SIGCONT: harmless should the layer fail.
                // The job has a PID namespace of its own: its parent is outside it (pid 0)
                // and no other process can be addressed at all.
                let code = format!(
                    "{ATTEMPT}\nimport os, signal\n\
                     print(attempt(lambda: os.kill({server}, signal.SIGCONT)))\n\
                     print(os.getppid(), os.getpid())\n\
                     print([p for p in range(2, 5000) if attempt(lambda: os.kill(p, 0)) == 'allowed'])\n\
                     print(attempt(lambda: os.kill(os.getpid(), 0)))\n",
                    server = std::process::id(),
                );
                let eperm = format!("PermissionError {}", libc::EPERM);
                let esrch = format!("ProcessLookupError {}", libc::ESRCH);
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                assert!(lines[0] == esrch || lines[0] == eperm, "{out}");
                assert_eq!(lines[1..], ["0 1", "[]", "allowed"], "{out}");
            }

            #[tokio::test]
            async fn the_environment_session_and_descriptors_are_clean() {
                let setup = $setup.await;
                // Cargo sets this in the test process; the program must not see it.
                assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
                let leaked = {
                    let file = std::fs::File::open(setup.path("in/sales.csv")).unwrap();
                    // SAFETY: F_DUPFD duplicates a descriptor we own; closed below.
                    unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_DUPFD, 900) }
                };
                let code = format!(
                    "{ATTEMPT}\nimport os, sys\n\
                     print('CARGO_MANIFEST_DIR' in os.environ, len(os.environ))\n\
                     print(attempt(lambda: os.fstat({leaked})))\n\
                     print(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))\n\
                     print(os.getsid(0) == os.getpid(), attempt(lambda: open('/dev/tty')))\n\
                     print(os.getcwd() in sys.path, '' in sys.path)\n"
                );
                let out = setup.stdout(&code).await;
                // SAFETY: closes the duplicate made above.
                unsafe { libc::close(leaked) };
                let lines: Vec<&str> = out.lines().collect();
                assert_eq!(lines[0], "False 15", "{out}");
                assert_eq!(lines[1], format!("OSError {}", libc::EBADF));
                // stdin, stdout, stderr, the harness's result file, and listdir's own.
                let fds: Vec<i32> = serde_json::from_str(lines[2]).unwrap();
                assert!(fds.len() <= 5, "{fds:?}");
                assert!(lines[3].starts_with("True ") && lines[3] != "True allowed", "{out}");
                assert_eq!(lines[4], "False False");
            }

            #[tokio::test]
            async fn the_job_folder_is_not_importable_and_jobs_share_nothing() {
                let setup = $setup.await;
                std::fs::write(setup.path("work/evil.py"), "print('imported')\n").unwrap();
                let outcome = setup.run("import evil\n", Limits::default()).await;
                assert_eq!(outcome.error.unwrap().exc_type, "ModuleNotFoundError");
                // One job changes what it can of the interpreter; the next sees none of it.
                let first = "import json, os, pandas, matplotlib\n\
                             json.dumps = None\npandas.options.display.max_rows = 3\n\
                             matplotlib.rcParams['lines.linewidth'] = 9\n\
                             os.environ['LEAK'] = '1'\n\
                             import sys\nsys.modules['planted'] = object()\n";
                setup.stdout(first).await;
                let second = "import json, os, sys, pandas, matplotlib\n\
                              print(json.dumps(1), pandas.options.display.max_rows, \
                              matplotlib.rcParams['lines.linewidth'], 'LEAK' in os.environ, \
                              'planted' in sys.modules)\n\
                              print(matplotlib.get_configdir() == os.environ['MPLCONFIGDIR'])\n";
                let out = setup.stdout(second).await;
                assert_eq!(out, "1 60 1.5 False False\nTrue");
            }

            #[tokio::test]
            async fn cpu_time_is_limited() {
                let setup = $setup.await;
                let limits = Limits {
                    cpu_seconds: 1,
                    timeout: Duration::from_secs(60),
                    ..Limits::default()
                };
                let outcome = setup.run("while True:\n    pass\n", limits).await;
                assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
                assert_eq!(outcome.signal, Some(libc::SIGKILL));
                assert!(outcome.message.contains("CPU time limit of 1 s"), "{}", outcome.message);
            }

            #[tokio::test]
            async fn a_memory_bomb_dies_with_a_clear_message() {
                let setup = $setup.await;
                let limits = Limits {
                    memory_bytes: 768 << 20,
                    ..Limits::default()
                };
                for code in [
                    "data = bytearray(4 * 1024 ** 3)\n",
                    "import numpy\ndata = numpy.ones(1 << 30)\n",
                    "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 24))\n",
                ] {
                    let outcome = setup.run(code, limits.clone()).await;
                    assert_eq!(outcome.exit, ExitKind::Killed, "{code}: {outcome:#?}");
                    assert!(
                        outcome.message.contains("memory limit of 768 MB"),
                        "{}",
                        outcome.message
                    );
                }
            }

            #[tokio::test]
            async fn file_size_and_open_files_are_limited() {
                let setup = $setup.await;
                let limits = Limits {
                    file_size_bytes: 1 << 20,
                    open_files: 64,
                    ..Limits::default()
                };
                let code = "import os\n\
                            open(os.path.join(os.environ['OUTPUT_DIR'], 'big'), 'wb').write(b'x' * (2 << 20))\n";
                let outcome = setup.run(code, limits.clone()).await;
                assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
                assert!(outcome.message.contains("file size limit"), "{}", outcome.message);
                let code = "import os\nfiles = [open(os.devnull) for _ in range(100)]\n";
                let outcome = setup.run(code, limits).await;
                assert_eq!(outcome.error.unwrap().message, "[Errno 24] Too many open files: '/dev/null'");
            }

            #[tokio::test]
            async fn the_job_folders_have_a_disk_quota() {
                let setup = $setup.await;
                let limits = Limits {
                    disk_bytes: 8 << 20,
                    file_size_bytes: 1 << 20,
                    timeout: Duration::from_secs(60),
                    ..Limits::default()
                };
                // Many files, each under the file size limit, in both folders.
                let code = "import os, time\n\
                            for i in range(400):\n\
                            \x20   folder = os.environ['OUTPUT_DIR' if i % 2 else 'TMPDIR']\n\
                            \x20   with open(os.path.join(folder, f'f{i}'), 'wb') as f:\n\
                            \x20       f.write(os.urandom(1 << 19))\n\
                            \x20   time.sleep(0.01)\n";
                let outcome = setup.run(code, limits).await;
                assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
                assert!(
                    outcome.message.contains("disk quota of 8 MB"),
                    "{}",
                    outcome.message
                );
                assert!(outcome.duration_ms < 30_000.0);
            }

            #[tokio::test]
            async fn output_is_capped_and_a_timeout_kills_the_program() {
                let setup = $setup.await;
                let limits = Limits {
                    output_capture_bytes: 1000,
                    timeout: Duration::from_secs(2),
                    ..Limits::default()
                };
                let code = "import sys, time\nsys.stdout.write('x' * 100000)\nsys.stdout.flush()\n\
                            time.sleep(30)\n";
                let outcome = setup.run(code, limits).await;
                assert_eq!(outcome.exit, ExitKind::Timeout, "{outcome:#?}");
                assert_eq!(outcome.stdout.len(), 1000);
                assert!(outcome.stdout_truncated);
                assert!(outcome.duration_ms < 20_000.0);
            }
        }
    };
}

containment_tests!(cold, Setup::cold());
containment_tests!(warm, Setup::warm());

/// Pids of the pool's idle zygotes, once there are `count` of them.
async fn idle_zygotes(pool: &PoolExecutor, count: usize) -> Vec<i32> {
    for _ in 0..400 {
        let pids = pool.idle_zygote_pids();
        if pids.len() >= count {
            return pids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the pool did not get {count} idle interpreters");
}

async fn warm_pool(size: usize, max_jobs_per_zygote: u32) -> (TempDir, PoolExecutor) {
    let root = Setup::folders();
    let pool = PoolExecutor::start(
        python(),
        root.path().join("runtime"),
        PoolOptions {
            size,
            max_jobs_per_zygote,
        },
    )
    .await
    .unwrap();
    (root, pool)
}

fn request(root: &TempDir, code: &str) -> ExecRequest {
    ExecRequest {
        code: code.to_string(),
        inputs: vec![root.path().join("in/sales.csv")],
        output_dir: root.path().join("out"),
        work_dir: root.path().join("work"),
        limits: Limits::default(),
    }
}

#[tokio::test]
async fn a_killed_zygote_is_replaced() {
    let (root, pool) = warm_pool(1, 100).await;
    let before = idle_zygotes(&pool, 1).await;
    // SAFETY: kills the zygote this test's pool started.
    unsafe { libc::kill(before[0], libc::SIGKILL) };
    let outcome = pool.run(request(&root, "print('after')\n")).await.unwrap();
    assert_eq!(outcome.stdout.trim(), "after", "{outcome:#?}");
    let after = idle_zygotes(&pool, 1).await;
    assert_ne!(after, before);
}

#[tokio::test]
async fn a_hung_zygote_is_replaced() {
    let (root, pool) = warm_pool(1, 100).await;
    let before = idle_zygotes(&pool, 1).await;
    // SAFETY: stops the zygote this test's pool started; the pool kills it.
    unsafe { libc::kill(before[0], libc::SIGSTOP) };
    let outcome = pool.run(request(&root, "print('after')\n")).await.unwrap();
    assert_eq!(outcome.stdout.trim(), "after", "{outcome:#?}");
    assert!(!idle_zygotes(&pool, 1).await.contains(&before[0]));
}

#[tokio::test]
async fn a_zygote_is_recycled_after_its_job_budget() {
    let (root, pool) = warm_pool(1, 2).await;
    let first = idle_zygotes(&pool, 1).await;
    for _ in 0..2 {
        let outcome = pool.run(request(&root, "print(1)\n")).await.unwrap();
        assert!(outcome.succeeded(), "{outcome:#?}");
    }
    let second = idle_zygotes(&pool, 1).await;
    assert_ne!(first, second);
}

/// Runs programs with no sandbox at all: plain `python -c` with the server's environment.
/// What the self-test must catch.
struct Unconfined;

#[async_trait::async_trait]
impl Executor for Unconfined {
    async fn run(&self, req: ExecRequest) -> office_core::Result<ExecOutcome> {
        let output = tokio::process::Command::new(python())
            .arg("-c")
            .arg(&req.code)
            .env("INPUT_PATH", &req.inputs[0])
            .output()
            .await?;
        Ok(ExecOutcome {
            exit: if output.status.success() {
                ExitKind::Success
            } else {
                ExitKind::Error
            },
            exit_code: output.status.code(),
            signal: None,
            duration_ms: 0.0,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_truncated: false,
            stderr_truncated: false,
            error: None,
            message: String::new(),
        })
    }
}

#[tokio::test]
async fn an_executor_that_does_not_contain_refuses_every_job() {
    let root = Setup::folders();
    let test = run_self_test(&Unconfined, &root.path().join("scratch"))
        .await
        .unwrap();
    assert!(!test.passed());
    let escaped: Vec<&str> = test
        .canaries
        .iter()
        .filter(|c| !c.contained)
        .map(|c| c.name.as_str())
        .collect();
    for name in [
        "network socket",
        "read outside the job",
        "write outside the job",
        "run a program",
    ] {
        assert!(escaped.contains(&name), "{name} not caught: {escaped:?}");
    }
    let checked = SelfCheckedExecutor::new(
        Arc::new(Unconfined),
        root.path().join("scratch"),
        SandboxMode::Full,
    );
    let error = checked.run(request(&root, "print(1)\n")).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the sandbox self-test failed, so no job will run"),
        "{error}"
    );
    assert!(
        matches!(checked.status(), SandboxStatus::Refused(ref why) if why.contains("network socket")),
        "{:?}",
        checked.status()
    );
}

#[tokio::test]
async fn degraded_mode_runs_jobs_after_a_failed_self_test_and_says_so() {
    let root = Setup::folders();
    let checked = SelfCheckedExecutor::new(
        Arc::new(Unconfined),
        root.path().join("scratch"),
        SandboxMode::Degraded,
    );
    assert_eq!(checked.status(), SandboxStatus::Checking);
    let outcome = checked.run(request(&root, "print(6 * 7)\n")).await.unwrap();
    assert_eq!(outcome.stdout.trim(), "42", "{outcome:#?}");
    // Not "holds": the status names what escaped, for /api/health and the log.
    match checked.status() {
        SandboxStatus::Degraded(why) => {
            assert!(why.contains("the sandbox self-test failed"), "{why}");
            assert!(why.contains("read outside the job"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}
