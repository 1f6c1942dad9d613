//! Containment, layer by layer, against a real CPython, for both executors: the cold path
//! (`ProcessExecutor`, a fresh interpreter per job) and the warm path (`PoolExecutor`,
//! children forked from pre-imported interpreters). The executor never validates, so every
//! program here reaches the sandbox as written.

use office_core::config::Limits;
use office_core::execute::selftest::{SelfCheckedExecutor, run_self_test};
use office_core::execute::{
    ExecOutcome, ExecRequest, Executor, ExitKind, PoolExecutor, PoolOptions, ProcessExecutor,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

fn python() -> PathBuf {
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

/// Folders for one test: a runtime folder, a work folder, an output folder, an input, and
/// a "server" file outside every allowed path.
struct Setup {
    root: TempDir,
    executor: Box<dyn Executor>,
}

impl Setup {
    async fn cold() -> Setup {
        let root = Self::folders();
        let executor = ProcessExecutor::new(python(), root.path().join("runtime")).unwrap();
        Setup {
            root,
            executor: Box::new(executor),
        }
    }

    async fn warm() -> Setup {
        let root = Self::folders();
        let executor = PoolExecutor::start(
            python(),
            root.path().join("runtime"),
            PoolOptions {
                size: 1,
                max_jobs_per_zygote: 100,
            },
        )
        .await
        .unwrap();
        Setup {
            root,
            executor: Box::new(executor),
        }
    }

    fn folders() -> TempDir {
        let root = tempfile::tempdir().unwrap();
        for dir in ["work", "out", "in"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        std::fs::write(
            root.path().join("in/sales.csv"),
            "region,amount\nnorth,10\nsouth,5\n",
        )
        .unwrap();
        std::fs::write(root.path().join("server-secret.txt"), "secret").unwrap();
        root
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    async fn run(&self, code: &str, limits: Limits) -> ExecOutcome {
        let req = ExecRequest {
            code: code.to_string(),
            inputs: vec![self.path("in/sales.csv")],
            output_dir: self.path("out"),
            work_dir: self.path("work"),
            limits,
        };
        self.executor.run(req).await.unwrap()
    }

    /// Runs `code` with default limits and expects it to succeed; returns its stdout.
    async fn stdout(&self, code: &str) -> String {
        let outcome = self.run(code, Limits::default()).await;
        assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
        outcome.stdout.trim().to_string()
    }
}

/// A helper the programs share: `attempt(f)` prints "allowed" or the error's class, errno.
const ATTEMPT: &str = r#"
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
const MEMORY_SCAN: &str = r#"
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

            #[tokio::test]
            async fn the_job_runs_without_privilege() {
                let setup = $setup.await;
                let code = "import os\n\
                            s = dict(l.split(':', 1) for l in open('/proc/self/status'))\n\
                            print(os.getuid() != 0, os.geteuid() != 0, os.getgid() != 0, 0 not in os.getresuid())\n\
                            print([s[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')])\n\
                            print(s['NoNewPrivs'].strip(), s['Seccomp'].strip())\n";
                let out = setup.stdout(code).await;
                let zero = "0000000000000000";
                assert_eq!(
                    out,
                    format!("True True True True\n['{zero}', '{zero}', '{zero}', '{zero}', '{zero}']\n1 2")
                );
            }

            #[tokio::test]
            async fn the_hostname_and_the_clock_cannot_be_set() {
                let setup = $setup.await;
                let host_before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
                let domain_before = std::fs::read_to_string("/proc/sys/kernel/domainname").unwrap();
                let code = format!(
                    "{ATTEMPT}\nimport ctypes, socket\n\
                     libc = ctypes.CDLL(None, use_errno=True)\n\
                     def call(r):\n    if r != 0:\n        raise OSError(ctypes.get_errno(), 'refused')\n\
                     print(attempt(lambda: socket.sethostname('pwned')))\n\
                     print(attempt(lambda: call(libc.setdomainname(b'pwned', 5))))\n\
                     tv = (ctypes.c_long * 2)(946684800, 0)\n\
                     print(attempt(lambda: call(libc.settimeofday(tv, None))))\n\
                     print(attempt(lambda: call(libc.clock_settime(0, tv))))\n\
                     buf = ctypes.create_string_buffer(4096)\n\
                     print(attempt(lambda: call(0 if libc.klogctl(3, buf, 4096) >= 0 else -1)))\n\
                     print(socket.gethostname())\n"
                );
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                let eperm = format!("PermissionError {}", libc::EPERM);
                assert_eq!(lines, [eperm.as_str(), &eperm, &eperm, &eperm, &eperm, "office-job"], "{out}");
                assert_eq!(std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(), host_before);
                assert_eq!(std::fs::read_to_string("/proc/sys/kernel/domainname").unwrap(), domain_before);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                assert!(now > 1_700_000_000, "the host clock moved: {now}");
            }

            #[tokio::test]
            async fn files_outside_the_job_keep_their_mode_owner_and_attributes() {
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                let setup = $setup.await;
                let canary = setup.path("canary.txt");
                std::fs::write(&canary, "canary").unwrap();
                std::fs::set_permissions(&canary, std::fs::Permissions::from_mode(0o600)).unwrap();
                let input = setup.path("in/sales.csv");
                let before: Vec<_> = [&canary, &input]
                    .iter()
                    .map(|p| {
                        let m = std::fs::metadata(p).unwrap();
                        (m.mode(), m.uid(), m.gid(), m.mtime(), m.len())
                    })
                    .collect();
                let code = format!(
                    "{ATTEMPT}\nimport os\n\
                     for path in ({canary:?}, {input:?}):\n\
                     \x20   print(attempt(lambda: os.chmod(path, 0o4777)))\n\
                     \x20   print(attempt(lambda: os.chown(path, 0, 0)))\n\
                     \x20   print(attempt(lambda: os.utime(path, (0, 0))))\n\
                     \x20   print(attempt(lambda: os.setxattr(path, 'trusted.office', b'x')))\n\
                     \x20   print(attempt(lambda: os.setxattr(path, 'user.office', b'x')))\n\
                     \x20   print(attempt(lambda: open(path, 'a').write('x')))\n"
                );
                let out = setup.stdout(&code).await;
                assert_eq!(out.lines().count(), 12, "{out}");
                assert!(!out.contains("allowed"), "{out}");
                let after: Vec<_> = [&canary, &input]
                    .iter()
                    .map(|p| {
                        let m = std::fs::metadata(p).unwrap();
                        (m.mode(), m.uid(), m.gid(), m.mtime(), m.len())
                    })
                    .collect();
                assert_eq!(before, after);
                for path in [&canary, &input] {
                    for name in ["trusted.office", "user.office"] {
                        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
                        let c_name = std::ffi::CString::new(name).unwrap();
                        // SAFETY: a size query (null buffer) on paths and names we own.
                        let size = unsafe {
                            libc::getxattr(c_path.as_ptr(), c_name.as_ptr(), std::ptr::null_mut(), 0)
                        };
                        assert_eq!(size, -1, "{name} was set on {}", path.display());
                    }
                }
            }

            #[tokio::test]
            async fn a_host_unix_socket_cannot_be_reached() {
                let setup = $setup.await;
                let path = setup.path("host.sock");
                let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
                listener.set_nonblocking(true).unwrap();
                let code = format!(
                    "{ATTEMPT}\nimport socket\n\
                     s = socket.socket(socket.AF_UNIX)\n\
                     print(attempt(lambda: s.connect({path:?})))\n\
                     s = socket.socket(socket.AF_UNIX)\n\
                     print(attempt(lambda: s.connect('/run/docker.sock')))\n"
                );
                let out = setup.stdout(&code).await;
                assert!(!out.contains("allowed"), "{out}");
                // Nobody knocked.
                assert_eq!(
                    listener.accept().unwrap_err().kind(),
                    std::io::ErrorKind::WouldBlock
                );
            }

            #[tokio::test]
            async fn sysv_shared_memory_of_the_host_is_out_of_reach() {
                let setup = $setup.await;
                let key: libc::key_t = 0x0ff1_0000 | (std::process::id() as libc::key_t & 0xffff);
                let left_key = key ^ 0x0100_0000;
                // SAFETY: a segment this test creates, fills and removes.
                let id = unsafe { libc::shmget(key, 4096, libc::IPC_CREAT | 0o666) };
                assert!(id >= 0);
                // SAFETY: attaches the segment made above, writes inside its 4096 bytes.
                unsafe {
                    let at = libc::shmat(id, std::ptr::null(), 0);
                    std::ptr::copy_nonoverlapping(b"host secret".as_ptr(), at.cast::<u8>(), 11);
                    libc::shmdt(at);
                }
                let code = format!(
                    "{ATTEMPT}\nimport ctypes\n\
                     libc = ctypes.CDLL(None, use_errno=True)\n\
                     libc.shmat.restype = ctypes.c_void_p\n\
                     def get(k, size, flags):\n\
                     \x20   i = libc.shmget(k, size, flags)\n\
                     \x20   if i < 0:\n\
                     \x20       raise OSError(ctypes.get_errno(), 'shmget')\n\
                     \x20   p = libc.shmat(i, None, 0)\n\
                     \x20   if p in (None, ctypes.c_void_p(-1).value):\n\
                     \x20       raise OSError(ctypes.get_errno(), 'shmat')\n\
                     \x20   print(ctypes.string_at(p, 11))\n\
                     print(attempt(lambda: get({key}, 0, 0)))\n\
                     print(attempt(lambda: get({left_key}, 64 << 20, 0o1666)))\n"
                );
                let out = setup.stdout(&code).await;
                // SAFETY: removes the segment this test made.
                unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
                assert!(!out.contains("allowed") && !out.contains("secret"), "{out}");
                // SAFETY: a lookup only; nothing is created.
                let left = unsafe { libc::shmget(left_key, 0, 0) };
                assert_eq!(left, -1, "the job left a segment behind");
            }

            #[tokio::test]
            async fn the_server_cannot_be_reprioritized_or_limited() {
                let setup = $setup.await;
                let server = std::process::id() as i32;
                let rlimit = |resource| {
                    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                    // SAFETY: fills the struct we own.
                    unsafe { libc::getrlimit(resource, &mut r) };
                    (r.rlim_cur, r.rlim_max)
                };
                // SAFETY: reads this process's nice value.
                let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
                let limits_before = (rlimit(libc::RLIMIT_AS), rlimit(libc::RLIMIT_NOFILE));
                let affinity_before = std::fs::read_to_string("/proc/self/status")
                    .unwrap()
                    .lines()
                    .find(|l| l.starts_with("Cpus_allowed_list"))
                    .map(str::to_string);
                let code = format!(
                    "{ATTEMPT}\nimport ctypes, os, resource\n\
                     libc = ctypes.CDLL(None, use_errno=True)\n\
                     def call(r):\n    if r != 0:\n        raise OSError(ctypes.get_errno(), 'refused')\n\
                     for pid in ({server},):\n\
                     \x20   print(attempt(lambda: resource.prlimit(pid, resource.RLIMIT_AS, (1 << 20, 1 << 20))))\n\
                     \x20   print(attempt(lambda: os.setpriority(os.PRIO_PROCESS, pid, 19)))\n\
                     \x20   print(attempt(lambda: os.sched_setaffinity(pid, {{0}})))\n\
                     \x20   print(attempt(lambda: call(libc.syscall(251, 1, pid, (3 << 13) | 7))))\n\
                     print(attempt(lambda: os.setpriority(os.PRIO_PGRP, 0, 19)))\n\
                     print(attempt(lambda: os.setpriority(os.PRIO_USER, os.getuid(), 19)))\n"
                );
                let out = setup.run(&code, Limits::default()).await;
                assert_eq!(out.exit, ExitKind::Success, "{out:#?}");
                // SAFETY: reads this process's nice value.
                assert_eq!(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }, nice);
                assert_eq!((rlimit(libc::RLIMIT_AS), rlimit(libc::RLIMIT_NOFILE)), limits_before);
                let affinity_after = std::fs::read_to_string("/proc/self/status")
                    .unwrap()
                    .lines()
                    .find(|l| l.starts_with("Cpus_allowed_list"))
                    .map(str::to_string);
                assert_eq!(affinity_before, affinity_after);
                // SAFETY: reads this process's I/O priority.
                let ioprio = unsafe { libc::syscall(252, 1, 0) };
                assert_ne!(ioprio, (3 << 13) | 7, "the server's I/O priority was set to idle");
                let lines: Vec<&str> = out.stdout.lines().collect();
                assert_eq!(lines.len(), 6, "{}", out.stdout);
                // The server: not there, or refused. A process group or user as a whole
                // only reaches the job's own processes (the host checks above say so).
                for line in &lines[..4] {
                    assert_ne!(*line, "allowed", "{}", out.stdout);
                }
            }

            #[tokio::test]
            async fn memory_the_address_space_limit_misses_is_refused() {
                let setup = $setup.await;
                let code = format!(
                    "{ATTEMPT}\nimport os, socket\n\
                     print(attempt(lambda: os.memfd_create('balloon')))\n\
                     print(attempt(lambda: open('/dev/shm/balloon', 'wb')))\n\
                     a, b = socket.socketpair()\n\
                     print(attempt(lambda: a.setsockopt(socket.SOL_SOCKET, 32, 768 << 20)))\n\
                     a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 768 << 20)\n\
                     print(a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) < 16 << 20)\n"
                );
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                assert_eq!(lines.len(), 4, "{out}");
                assert_eq!(lines[0], format!("PermissionError {}", libc::EPERM));
                assert_ne!(lines[1], "allowed");
                assert_eq!(lines[2], format!("PermissionError {}", libc::EPERM));
                assert_eq!(lines[3], "True");
            }

            #[tokio::test]
            async fn threads_are_limited_by_the_process_limit() {
                let setup = $setup.await;
                let limits = Limits {
                    processes: 64,
                    ..Limits::default()
                };
                let code = "import threading, time\n\
                            stop = threading.Event()\nstarted = 0\n\
                            try:\n\
                            \x20   for _ in range(601):\n\
                            \x20       threading.Thread(target=stop.wait, daemon=True).start()\n\
                            \x20       started += 1\n\
                            except RuntimeError as e:\n\
                            \x20   print('refused', e)\n\
                            print(started)\nstop.set()\n";
                let outcome = setup.run(code, limits).await;
                assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
                let started: usize = outcome.stdout.lines().last().unwrap().parse().unwrap();
                assert!(started < 64, "{}", outcome.stdout);
                assert!(outcome.stdout.starts_with("refused"), "{}", outcome.stdout);
            }

            #[tokio::test]
            async fn unlinked_files_count_against_the_disk_quota() {
                let setup = $setup.await;
                let limits = Limits {
                    disk_bytes: 8 << 20,
                    file_size_bytes: 4 << 20,
                    timeout: Duration::from_secs(60),
                    ..Limits::default()
                };
                let code = "import os\n\
                            held = []\n\
                            for i in range(64):\n\
                            \x20   path = os.path.join(os.environ['TMPDIR'], f'f{i}')\n\
                            \x20   f = open(path, 'wb')\n\
                            \x20   os.unlink(path)\n\
                            \x20   f.write(os.urandom(1 << 20))\n\
                            \x20   f.flush()\n\
                            \x20   held.append(f)\n\
                            \x20   print(i + 1, flush=True)\n";
                let outcome = setup.run(code, limits).await;
                assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
                assert!(outcome.message.contains("disk quota of 8 MB"), "{}", outcome.message);
                let written: u64 = outcome.stdout.lines().last().unwrap_or("0").parse().unwrap();
                assert!(written <= 8, "{} MB written against 8 MB", written);
            }

            #[tokio::test]
            async fn a_job_finds_nothing_of_the_job_before_it_in_memory() {
                let setup = $setup.await;
                let marker = format!("secret-{}", uuid::Uuid::now_v7().simple());
                let input = setup.path(&format!("in/{marker}.csv"));
                std::fs::write(&input, "a\n1\n").unwrap();
                let first = ExecRequest {
                    code: format!("x = {marker:?}\nprint(len(x))\n"),
                    inputs: vec![input],
                    output_dir: setup.path("out"),
                    work_dir: setup.path("work"),
                    limits: Limits::default(),
                };
                let outcome = setup.executor.run(first).await.unwrap();
                assert!(outcome.succeeded(), "{outcome:#?}");
                let (head, tail) = marker.split_at(16);
                // Afterwards the program makes the marker itself: the scan must see it.
                let code = format!(
                    "{MEMORY_SCAN}\nhead, tail = {head:?}.encode(), {tail:?}.encode()\n\
                     before, scanned = scan(head, tail)\njoined = head + tail\n\
                     after, _ = scan(head, tail)\nprint(before, after > 0, scanned > 1 << 20)\n"
                );
                let out = setup.stdout(&code).await;
                assert_eq!(out, "0 True True", "the earlier job's input name is in memory");
            }

            #[tokio::test]
            async fn the_kernel_counts_the_job_in_a_cgroup_where_the_host_offers_one() {
                use office_core::execute::{CgroupSupport, cgroup_support};
                let setup = $setup.await;
                let support = cgroup_support();
                let marker = format!("cg{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
                let code = format!(
                    "import ctypes, time\nctypes.CDLL(None).prctl(15, ctypes.c_char_p(b'{marker}'), 0, 0, 0)\n\
                     time.sleep(3)\n"
                );
                let limits = Limits {
                    memory_bytes: 768 << 20,
                    disk_bytes: 64 << 20,
                    processes: 32,
                    ..Limits::default()
                };
                let run = setup.run(&code, limits);
                tokio::pin!(run);
                let find = async {
                    loop {
                        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                            if std::fs::read_to_string(entry.path().join("comm"))
                                .is_ok_and(|c| c.trim() == marker)
                            {
                                return entry.file_name().to_string_lossy().into_owned();
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                };
                let pid = tokio::select! {
                    outcome = &mut run => panic!("ended before it was seen: {outcome:?}"),
                    pid = find => pid,
                };
                // The job's cgroups on the host, by the program's host pid.
                let holding = |hierarchy: &Path| -> Option<PathBuf> {
                    std::fs::read_dir(hierarchy.join("office")).ok()?.flatten().map(|e| e.path()).find(|d| {
                        std::fs::read_to_string(d.join("cgroup.procs"))
                            .is_ok_and(|p| p.lines().any(|l| l.trim() == pid))
                    })
                };
                let read = |dir: &Path, file: &str| {
                    std::fs::read_to_string(dir.join(file)).unwrap().trim().to_string()
                };
                let memory = ((768u64 + 64 + 64) << 20).to_string();
                match &support {
                    CgroupSupport::V1 => {
                        let m = holding(Path::new("/sys/fs/cgroup/memory")).expect("memory cgroup");
                        assert_eq!(read(&m, "memory.limit_in_bytes"), memory);
                        let p = holding(Path::new("/sys/fs/cgroup/pids")).expect("pids cgroup");
                        assert_eq!(read(&p, "pids.max"), "36");
                        let c = holding(Path::new("/sys/fs/cgroup/cpu")).expect("cpu cgroup");
                        assert_eq!(read(&c, "cpu.cfs_quota_us"), "100000");
                    }
                    CgroupSupport::V2(root) => {
                        let d = holding(root).expect("the job's cgroup");
                        assert_eq!(read(&d, "memory.max"), memory);
                        assert_eq!(read(&d, "pids.max"), "36");
                    }
                    // An unprivileged server without a delegated cgroup: rlimits only
                    // (doctor says so); the job still runs.
                    CgroupSupport::None(_) => {}
                }
                let outcome = run.await;
                assert!(outcome.succeeded(), "{outcome:#?}");
            }

            #[tokio::test]
            async fn seccomp_is_an_allowlist() {
                let setup = $setup.await;
                // Harmless arguments (null pointers, zeros): EPERM must come before any
                // argument is looked at. 500 is no system call at all.
                let calls = [
                    ("ptrace", 101), ("keyctl", 250), ("bpf", 321), ("perf_event_open", 298),
                    ("io_uring_setup", 425), ("userfaultfd", 323), ("mount", 165),
                    ("pivot_root", 155), ("unshare", 272), ("setns", 308), ("sethostname", 170),
                    ("settimeofday", 164), ("clock_settime", 227), ("syslog", 103),
                    ("sched_setscheduler", 144), ("mlock", 149), ("mlockall", 151),
                    ("vhangup", 153), ("kexec_load", 246), ("reboot", 169), ("swapon", 167),
                    ("init_module", 175), ("acct", 163), ("quotactl", 179), ("io_setup", 206),
                    ("inotify_init1", 294), ("sync", 162), ("add_key", 248), ("fanotify_init", 300),
                    ("memfd_create", 319), ("shmget", 29), ("pidfd_open", 434), ("chroot", 161),
                    ("unassigned", 500),
                ];
                let list: String = calls.iter().map(|(n, nr)| format!("({n:?}, {nr}),")).collect();
                let code = format!(
                    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n\
                     libc.syscall.restype = ctypes.c_long\n\
                     for name, nr in [{list}]:\n\
                     \x20   r = libc.syscall(ctypes.c_long(nr), 0, 0, 0, 0, 0)\n\
                     \x20   print(name, r, ctypes.get_errno())\n"
                );
                let out = setup.stdout(&code).await;
                let lines: Vec<&str> = out.lines().collect();
                assert_eq!(lines.len(), calls.len(), "{out}");
                for ((name, _), line) in calls.iter().zip(&lines) {
                    assert_eq!(*line, format!("{name} -1 {}", libc::EPERM), "{out}");
                }
            }

            #[tokio::test]
            async fn realistic_pandas_openpyxl_matplotlib_programs_run() {
                let setup = $setup.await;
                let code = r#"
import os
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from openpyxl import load_workbook
df = pd.read_csv(os.environ["INPUT_PATH"])
df["share"] = df["amount"] / df["amount"].sum()
print(np.linalg.solve(np.eye(2) * 2, np.ones(2)).tolist())
out = os.path.join(os.environ["OUTPUT_DIR"], "out.xlsx")
df.to_excel(out, index=False)
wb = load_workbook(out)
wb.active["D1"] = "=SUM(B2:B3)"
wb.save(out)
fig, ax = plt.subplots()
df.plot.bar(x="region", y="amount", ax=ax)
fig.savefig(os.path.join(os.environ["OUTPUT_DIR"], "chart.png"))
print(len(df))
"#;
                assert_eq!(setup.stdout(code).await, "[0.5, 0.5]\n2");
                assert!(std::fs::read(setup.path("out/chart.png")).unwrap().starts_with(b"\x89PNG"));
                assert!(setup.path("out/out.xlsx").is_file());
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
    let checked = SelfCheckedExecutor::new(Arc::new(Unconfined), root.path().join("scratch"));
    let error = checked.run(request(&root, "print(1)\n")).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the sandbox self-test failed, so no job will run"),
        "{error}"
    );
}
