//! Containment of the "no root inside" layers, for both executors, against a real CPython:
//! no privilege, the job's own namespaces (hostname, clock, files, sockets, SysV IPC, the
//! supervisor), kernel-counted resources, the warm pool forgetting the previous job, the
//! seccomp allowlist. Every attack runs unvalidated and is judged by what the host sees.

use office_core::Limits;
use office_core::test_support::sysv::HostSegment;
use office_core::{ExecRequest, ExitKind};
use std::path::{Path, PathBuf};
use std::time::Duration;
#[path = "support/sandbox.rs"]
mod support;

use support::*;

macro_rules! containment_tests {
    ($name:ident, $setup:expr) => {
        mod $name {
            use super::*;
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
                let segment = HostSegment::create(0x0ff1, 0o666, b"host secret").unwrap();
                let key = segment.key();
                let left_key = HostSegment::key_for(0x0ef1);
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
                drop(segment);
                assert!(!out.contains("allowed") && !out.contains("secret"), "{out}");
                assert!(!HostSegment::exists(left_key), "the job left a segment behind");
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
                use office_core::{CgroupSupport, cgroup_support};
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
