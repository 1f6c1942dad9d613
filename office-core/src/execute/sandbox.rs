//! What the engine does to an interpreter between `fork` and `exec`, the same for the cold
//! path (one interpreter per job) and the warm path (the pool's zygotes): its own session
//! and process group, death with the engine, no core files, and no inherited file
//! descriptors. The per-job layers (namespaces, the job's root, no privilege, limits,
//! Landlock, seccomp) are applied by the harness for each job (`python/harness.py`).
//! Also killing a process group, and the probes `office doctor` prints.

use crate::config::SandboxSettings;
use std::io;

/// Which network namespace an interpreter got, as far as the engine can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkIsolation {
    /// `unshare(CLONE_NEWNET)`: a namespace with only a loopback that is down.
    Namespace,
    /// `unshare(CLONE_NEWUSER | CLONE_NEWNET)`, for engines without CAP_SYS_ADMIN.
    UserNamespace,
    /// Neither was permitted: only the seccomp rule (AF_UNIX sockets only) and Landlock's
    /// TCP rules hold.
    None,
}

/// Runs in the forked child before `exec`: only async-signal-safe calls, no allocation.
pub(crate) fn apply_in_child() -> io::Result<()> {
    // SAFETY: setsid, prctl, setrlimit, unshare, getppid and close_range/fcntl are
    // async-signal-safe syscalls that touch no memory of the parent.
    unsafe {
        // New session: no controlling terminal, and a process group whose id is the
        // child's pid, so the whole group can be killed at once.
        if libc::setsid() == -1 {
            return Err(io::Error::last_os_error());
        }
        // An interpreter never outlives the engine (a zygote would otherwise linger).
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        );
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            return Err(io::Error::last_os_error());
        }
        // No namespace here: the harness gives every job its own (user, mount, PID, IPC,
        // UTS, network, cgroup), and a user namespace made here would leave the harness
        // without an id to map.
        // Close-on-exec rather than close: std's own error-report pipe must stay open
        // until exec; every other descriptor is gone once the interpreter starts.
        if !close_range_on_exec() {
            for fd in 3..(1 << 16) {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
    }
    Ok(())
}

/// Which network isolation a job gets on this machine: tried in a short-lived
/// forked process, so this process keeps its own namespace.
pub fn probe_network_isolation() -> NetworkIsolation {
    let attempt = |flags: libc::c_int| -> bool {
        // SAFETY: the child only calls unshare and _exit; the parent waits for it.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                let code = if libc::unshare(flags) == 0 { 0 } else { 1 };
                libc::_exit(code);
            }
            if pid < 0 {
                return false;
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0) == pid
                && libc::WIFEXITED(status)
                && libc::WEXITSTATUS(status) == 0
        }
    };
    if attempt(libc::CLONE_NEWNET) {
        NetworkIsolation::Namespace
    } else if attempt(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) {
        NetworkIsolation::UserNamespace
    } else {
        NetworkIsolation::None
    }
}

/// Whether this host can give a job the namespaces the harness makes for it: the result
/// of trying, in a short-lived forked process, the same `unshare` (with a user namespace
/// when this process is not root). `Err` names what is missing and what to change.
/// `settings` gives the job's uid and gid on a root host.
pub fn probe_job_namespaces(settings: &SandboxSettings) -> Result<JobNamespaces, String> {
    // SAFETY: geteuid only reads this process's credentials.
    let root = unsafe { libc::geteuid() } == 0;
    let mut flags = libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWCGROUP;
    if !root {
        flags |= libc::CLONE_NEWUSER;
    }
    // SAFETY: the child only calls unshare and _exit; the parent waits for it.
    let errno = unsafe {
        let pid = libc::fork();
        if pid == 0 {
            let code = if libc::unshare(flags) == 0 {
                0
            } else {
                *libc::__errno_location()
            };
            libc::_exit(code.min(255));
        }
        if pid < 0 {
            return Err(format!(
                "cannot fork to try: {}",
                io::Error::last_os_error()
            ));
        }
        let mut status = 0;
        if libc::waitpid(pid, &mut status, 0) != pid || !libc::WIFEXITED(status) {
            return Err("the probe did not exit".into());
        }
        libc::WEXITSTATUS(status)
    };
    if errno != 0 {
        let why = io::Error::from_raw_os_error(errno);
        return Err(if root {
            format!(
                "unshare(mount, PID, IPC, UTS, network, cgroup) failed ({why}): give the \
                 server CAP_SYS_ADMIN (a container needs --privileged or a seccomp/AppArmor \
                 profile that allows unshare), or set OFFICE_SANDBOX=degraded to run jobs \
                 without these layers"
            )
        } else {
            format!(
                "unshare(user, mount, PID, IPC, UTS, network, cgroup) failed ({why}): enable \
                 unprivileged user namespaces (sysctl user.max_user_namespaces > 0, \
                 kernel.unprivileged_userns_clone=1, kernel.apparmor_restrict_unprivileged_userns=0) \
                 or run the server as root, or set OFFICE_SANDBOX=degraded"
            )
        });
    }
    Ok(if root {
        JobNamespaces::DedicatedUid {
            uid: settings.job_uid,
            gid: settings.job_gid,
        }
    } else {
        // SAFETY: getuid only reads this process's credentials.
        JobNamespaces::UserNamespace {
            host_uid: unsafe { libc::getuid() },
        }
    })
}

/// Who a job runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobNamespaces {
    /// The server is root: mount/PID/IPC/UTS/network/cgroup namespaces, and the job runs
    /// as this host uid and gid with no capabilities.
    DedicatedUid {
        /// The host uid the job runs as (`OFFICE_SANDBOX_UID`).
        uid: u32,
        /// The host gid the job runs as (`OFFICE_SANDBOX_GID`).
        gid: u32,
    },
    /// The server is not root: a user namespace maps `host_uid` to uid 1000 inside, with
    /// every other namespace owned by it, and no capabilities.
    UserNamespace {
        /// The server's uid, which the job's uid 1000 is outside.
        host_uid: u32,
    },
}

/// The Landlock ABI version the kernel offers (`None`: no Landlock). The harness needs 1+;
/// 4+ adds TCP rules, 6+ the scoping of abstract unix sockets and signals.
pub fn landlock_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET: libc::c_long = 444;
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with the VERSION flag the call reads no memory and only returns a number.
    let abi = unsafe {
        libc::syscall(
            LANDLOCK_CREATE_RULESET,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (abi > 0).then_some(abi as u32)
}

/// Whether this kernel accepts seccomp filters (`PR_GET_SECCOMP` answers rather than
/// failing with EINVAL).
pub fn seccomp_available() -> bool {
    // SAFETY: PR_GET_SECCOMP only reports this thread's mode.
    unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 }
}

#[cfg(target_os = "linux")]
unsafe fn close_range_on_exec() -> bool {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only changes descriptor flags (Linux 5.11+).
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        ) == 0
    }
}

#[cfg(not(target_os = "linux"))]
unsafe fn close_range_on_exec() -> bool {
    false
}

/// Sends SIGKILL to every process in the group `pgid`. Refuses ids that would mean "my own
/// group" or "every process" to `kill(2)`.
pub(crate) fn kill_group(pgid: libc::pid_t) {
    if pgid > 1 {
        // SAFETY: plain syscall; a group that no longer exists gives ESRCH, which is fine.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_gives_jobs_their_namespaces() {
        // Root in CI, or an unprivileged user where user namespaces are enabled.
        let probed = probe_job_namespaces(&SandboxSettings::default());
        assert!(probed.is_ok(), "{probed:?}");
    }

    #[test]
    fn this_machine_gives_a_network_namespace() {
        // CI runs as root on the same kind of machine; elsewhere a user namespace will do.
        assert_ne!(probe_network_isolation(), NetworkIsolation::None);
    }
}
