//! `OFFICE_SANDBOX=degraded` against a real CPython, on both executors, on a "host" that
//! cannot make the job's namespaces: the interpreter is started through a wrapper that
//! installs a seccomp filter refusing `unshare` (EPERM) and then execs the real one, as a
//! container without CAP_SYS_ADMIN or a kernel without user namespaces would. The full
//! sandbox then refuses the job; the degraded one runs it, says so on the job's stderr, and
//! still holds no-new-privs, Landlock, seccomp and the audit hook. Every attack is judged by
//! what the host sees.

use office_core::ExitKind;
use office_core::{Limits, SandboxMode, SandboxSettings};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
#[path = "support/sandbox.rs"]
mod support;

use support::*;

/// Execs `python()` with `unshare` refused. The filter: load the syscall number; unshare
/// (272 on x86_64) returns EPERM, everything else is allowed.
const NO_NAMESPACES: &str = r#"
import ctypes, os, struct, sys
def insn(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k)
program = (insn(0x20, 0, 0, 0) + insn(0x15, 0, 1, 272)
           + insn(0x06, 0, 0, 0x00050000 | 1) + insn(0x06, 0, 0, 0x7FFF0000))
filters = ctypes.create_string_buffer(program, len(program))
fprog = ctypes.create_string_buffer(struct.pack("=HxxxxxxQ", 4, ctypes.addressof(filters)), 16)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, fprog, 0, 0) != 0:
    sys.exit("cannot install the filter: errno %d" % ctypes.get_errno())
os.execv(REAL, [REAL] + sys.argv[1:])
"#;

/// Writes the wrapper into `dir` and returns its path.
fn python_without_namespaces(dir: &Path) -> PathBuf {
    let real = std::path::absolute(python()).unwrap();
    let wrapper = dir.join("python-without-namespaces");
    let source = format!(
        "#!{} -I\nREAL = {:?}\n{NO_NAMESPACES}",
        real.display(),
        real.display().to_string()
    );
    std::fs::write(&wrapper, source).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

fn settings(mode: SandboxMode) -> SandboxSettings {
    SandboxSettings {
        mode,
        ..SandboxSettings::default()
    }
}

/// A folder for the wrapper that lives as long as the test.
fn wrapper_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // Readable by the job's uid when the server is root (the wrapper is the interpreter).
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

macro_rules! degraded_tests {
    ($name:ident, $setup:ident) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn the_full_sandbox_refuses_a_job_it_cannot_give_namespaces() {
                let wrapper = wrapper_dir();
                let python = python_without_namespaces(wrapper.path());
                let setup = Setup::$setup(python, settings(SandboxMode::Full)).await;
                let code = "import os\n\
                            open(os.path.join(os.environ['OUTPUT_DIR'], 'ran.txt'), 'w').write('ran')\n\
                            print('ran')\n";
                let outcome = setup.run(code, Limits::default()).await;
                assert_eq!(outcome.exit, ExitKind::HarnessFailure, "{outcome:#?}");
                assert!(
                    outcome.message.contains("the sandbox could not be set up")
                        && outcome.message.contains("unshare"),
                    "{outcome:#?}"
                );
                assert!(!outcome.stdout.contains("ran"), "{outcome:#?}");
                assert!(!setup.path("out/ran.txt").exists());
            }

            #[tokio::test]
            async fn degraded_mode_runs_the_job_loudly_with_the_other_layers() {
                let wrapper = wrapper_dir();
                let python = python_without_namespaces(wrapper.path());
                let setup = Setup::$setup(python, settings(SandboxMode::Degraded)).await;
                let secret = setup.path("server-secret.txt");
                let escaped = setup.path("escaped.txt");
                let code = format!(
                    "{ATTEMPT}\nimport ctypes, os, socket\n\
                     libc = ctypes.CDLL(None, use_errno=True)\n\
                     def fork():\n    \
                         if libc.fork() == -1:\n        \
                             raise OSError(ctypes.get_errno(), 'fork')\n\
                     s = dict(l.split(':', 1) for l in open('/proc/self/status'))\n\
                     print('no-new-privs', s['NoNewPrivs'].strip())\n\
                     print('network', attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)))\n\
                     print('read', attempt(lambda: open({secret:?}).read()))\n\
                     print('write', attempt(lambda: open({escaped:?}, 'w').write('escaped')))\n\
                     print('fork', attempt(fork))\n\
                     print('exec', attempt(lambda: os.execv('/bin/true', ['/bin/true'])))\n\
                     open(os.path.join(os.environ['OUTPUT_DIR'], 'ran.txt'), 'w').write('ran')\n"
                );
                let outcome = setup.run(&code, Limits::default()).await;
                assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
                assert!(
                    outcome.stderr.contains("SANDBOX DEGRADED (OFFICE_SANDBOX=degraded)")
                        && outcome.stderr.contains("without namespaces"),
                    "{outcome:#?}"
                );
                let lines: Vec<&str> = outcome.stdout.lines().collect();
                assert_eq!(lines[0], "no-new-privs 1", "{outcome:#?}");
                for (line, what) in lines[1..].iter().zip(["network", "read", "write", "fork", "exec"]) {
                    assert!(line.starts_with(what), "{outcome:#?}");
                    assert!(!line.ends_with("allowed"), "{what} got through: {outcome:#?}");
                }
                assert_eq!(lines.len(), 6, "{outcome:#?}");
                // The host: nothing written outside, the secret not printed, the job's own
                // output where it belongs.
                assert!(!escaped.exists());
                assert!(!outcome.stdout.contains("secret"), "{outcome:#?}");
                assert_eq!(std::fs::read_to_string(setup.path("out/ran.txt")).unwrap(), "ran");
            }
        }
    };
}

degraded_tests!(cold, cold_with);
degraded_tests!(warm, warm_with);
