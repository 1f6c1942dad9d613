//! What is done to the child between `fork` and `exec`: its own session and process group,
//! resource limits, and no inherited file descriptors. Also killing that group.

use crate::config::Limits;
use std::io;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

/// Resource limits worked out in the parent, so the child only has to apply them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildSetup {
    limits: [(Resource, libc::rlimit); 6],
    /// Where the fallback descriptor scan stops (the parent's soft RLIMIT_NOFILE, capped).
    fd_scan_end: libc::c_int,
}

impl ChildSetup {
    pub fn new(limits: &Limits) -> Self {
        // Soft and hard CPU limits differ by a second on purpose: at the soft limit the
        // kernel sends SIGXCPU, which the outcome can name; with soft == hard it would send
        // SIGKILL at once, which looks like any other kill.
        let cpu_soft = limits.cpu_seconds.max(1);
        let limits = [
            clamped(libc::RLIMIT_CPU, cpu_soft, cpu_soft.saturating_add(1)),
            clamped(libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
            clamped(
                libc::RLIMIT_FSIZE,
                limits.file_size_bytes,
                limits.file_size_bytes,
            ),
            clamped(libc::RLIMIT_NOFILE, limits.open_files, limits.open_files),
            // Counted per user, and root is exempt: this holds for a dedicated sandbox user.
            clamped(libc::RLIMIT_NPROC, limits.processes, limits.processes),
            clamped(libc::RLIMIT_CORE, 0, 0),
        ];
        let fd_scan_end = current_limit(libc::RLIMIT_NOFILE)
            .map(|l| l.rlim_cur.min(1 << 16) as libc::c_int)
            .unwrap_or(1 << 16);
        ChildSetup {
            limits,
            fd_scan_end,
        }
    }

    /// Runs in the forked child before `exec`: only async-signal-safe calls, no allocation.
    pub fn apply_in_child(&self) -> io::Result<()> {
        // SAFETY: setsid, setrlimit, syscall(close_range) and fcntl are async-signal-safe and
        // touch no memory of the parent; the rlimit values are plain data owned by `self`.
        unsafe {
            // New session: no controlling terminal, and a process group whose id is the
            // child's pid, so the whole group can be killed at once.
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            for (resource, limit) in &self.limits {
                if libc::setrlimit(*resource, limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Close-on-exec rather than close: std's own error-report pipe must stay open
            // until exec; every other descriptor is gone once the interpreter starts.
            if !close_range_on_exec() {
                for fd in 3..self.fd_scan_end {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
        Ok(())
    }
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

/// The wanted limit, lowered to what this process may grant (raising a hard limit needs
/// privileges the engine usually lacks, and would fail the spawn).
fn clamped(resource: Resource, soft: u64, hard: u64) -> (Resource, libc::rlimit) {
    let mut hard = hard as libc::rlim_t;
    let mut soft = soft as libc::rlim_t;
    if let Some(current) = current_limit(resource)
        && current.rlim_max != libc::RLIM_INFINITY
    {
        hard = hard.min(current.rlim_max);
    }
    soft = soft.min(hard);
    (
        resource,
        libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        },
    )
}

fn current_limit(resource: Resource) -> Option<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    (unsafe { libc::getrlimit(resource, &mut limit) } == 0).then_some(limit)
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
    fn cpu_hard_limit_is_one_second_above_the_soft_limit() {
        let limits = Limits {
            cpu_seconds: 7,
            ..Limits::default()
        };
        let setup = ChildSetup::new(&limits);
        let (_, cpu) = setup.limits[0];
        assert_eq!(cpu.rlim_cur, 7);
        assert_eq!(cpu.rlim_max, 8);
    }

    #[test]
    fn limits_never_exceed_what_the_parent_may_grant() {
        let limits = Limits {
            open_files: u64::MAX - 1,
            ..Limits::default()
        };
        let setup = ChildSetup::new(&limits);
        let (_, nofile) = setup.limits[3];
        let parent = current_limit(libc::RLIMIT_NOFILE).unwrap();
        if parent.rlim_max != libc::RLIM_INFINITY {
            assert!(nofile.rlim_max <= parent.rlim_max);
        }
        assert!(nofile.rlim_cur <= nofile.rlim_max);
    }
}
