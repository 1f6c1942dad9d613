//! A cgroup per job, where the host lets the server make one: memory (page cache, tmpfs,
//! memfd, shmem and kernel memory included), process count and a CPU share the kernel
//! enforces for the job's processes together. cgroup v2 (a unified hierarchy with the
//! controllers enabled) or v1 (one hierarchy per controller, as on these machines). Where
//! neither can be made the job falls back to its rlimits, and `office doctor` says so.
//!
//! The harness moves its own process into the cgroup before it forks the job's, so every
//! process of the job is in it from its first instruction.
//!
//! Each job's folder is named after the server process that made it (its pid and start
//! time, then the run's id), so a server starting up can tell the folders a crashed one
//! left behind (`sweep_leftovers`) from those of servers still running on the host.

use crate::config::Limits;
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";
/// The folder, under each hierarchy, that holds the jobs' cgroups.
const PARENT: &str = "office";
/// What the harness process itself and its copy-out need on top of the program's memory.
const KEEPER_BYTES: u64 = 64 << 20;
/// The harness process and the job process, besides the program's threads.
const KEEPER_PROCESSES: u64 = 4;

/// Which cgroups this host gives jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupSupport {
    /// A unified hierarchy at this path with memory, pids and cpu.
    V2(PathBuf),
    /// One hierarchy per controller: memory, pids and cpu.
    V1,
    /// None: why (the limits fall back to rlimits).
    None(String),
}

/// Tries to make (and removes) a probe cgroup the way a job's is made.
pub fn cgroup_support() -> CgroupSupport {
    let limits = Limits::default();
    match JobCgroup::create(&format!("probe-{}", uuid::Uuid::now_v7().simple()), &limits) {
        Ok(cgroup) => {
            let support = cgroup.kind.clone();
            drop(cgroup);
            support
        }
        Err(why) => CgroupSupport::None(why),
    }
}

/// One job's cgroup(s); removed when dropped (once its processes are gone).
#[derive(Debug)]
pub(crate) struct JobCgroup {
    kind: CgroupSupport,
    dirs: Vec<PathBuf>,
    /// The memory (bytes) and process limits written.
    bounds: (u64, u64),
}

/// What the kernel is told for `limits`: memory (the program's, its tmpfs and the
/// keeper's) and processes (the program's and the keeper's).
fn bounds(limits: &Limits) -> (u64, u64) {
    let memory = limits
        .memory_bytes
        .saturating_add(limits.disk_bytes)
        .saturating_add(KEEPER_BYTES);
    (memory, limits.processes.saturating_add(KEEPER_PROCESSES))
}

impl JobCgroup {
    /// `Err` says why none could be made (not permitted, no controllers). The folder is
    /// `name` after this process's owner tag.
    pub(crate) fn create(name: &str, limits: &Limits) -> Result<JobCgroup, String> {
        let name = &format!("{}-{name}", owner_tag());
        let (memory, pids) = bounds(limits);
        if let Some(unified) = unified_root() {
            let parent = unified.join(PARENT);
            let _ = std::fs::write(unified.join("cgroup.subtree_control"), "+memory +pids +cpu");
            let _ = std::fs::create_dir(&parent);
            let _ = std::fs::write(parent.join("cgroup.subtree_control"), "+memory +pids +cpu");
            let dir = parent.join(name);
            let made = std::fs::create_dir(&dir)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    let cgroup = JobCgroup {
                        kind: CgroupSupport::V2(unified.clone()),
                        dirs: vec![dir.clone()],
                        bounds: (memory, pids),
                    };
                    for (file, value) in [
                        ("memory.max", memory.to_string()),
                        ("memory.swap.max", "0".to_string()),
                        ("pids.max", pids.to_string()),
                        ("cpu.max", "100000 100000".to_string()),
                    ] {
                        write(&dir, file, &value).or_else(|e| {
                            if file == "memory.swap.max" {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })?;
                    }
                    Ok(cgroup)
                });
            if let Ok(cgroup) = made {
                return Ok(cgroup);
            }
        }
        let mut cgroup = JobCgroup {
            kind: CgroupSupport::V1,
            dirs: Vec::new(),
            bounds: (memory, pids),
        };
        for (controller, settings) in [
            (
                "memory",
                vec![
                    ("memory.limit_in_bytes", memory.to_string()),
                    ("memory.memsw.limit_in_bytes", memory.to_string()),
                ],
            ),
            ("pids", vec![("pids.max", pids.to_string())]),
            (
                "cpu",
                vec![
                    ("cpu.cfs_period_us", "100000".to_string()),
                    ("cpu.cfs_quota_us", "100000".to_string()),
                ],
            ),
        ] {
            let hierarchy = Path::new(ROOT).join(controller);
            if !hierarchy.join("cgroup.procs").is_file() {
                return Err(format!(
                    "no cgroup v2 with memory, pids and cpu, and no v1 {controller} hierarchy \
                     at {}",
                    hierarchy.display()
                ));
            }
            let parent = hierarchy.join(PARENT);
            let _ = std::fs::create_dir(&parent);
            let dir = parent.join(name);
            std::fs::create_dir(&dir).map_err(|e| {
                format!(
                    "cannot make a cgroup under {} ({e}): run the server as root or delegate \
                     that folder to its user",
                    parent.display()
                )
            })?;
            cgroup.dirs.push(dir.clone());
            for (file, value) in settings {
                // Swap accounting is optional in v1.
                if file == "memory.memsw.limit_in_bytes" && !dir.join(file).exists() {
                    continue;
                }
                write(&dir, file, &value)?;
            }
        }
        Ok(cgroup)
    }

    /// The files the harness writes its pid to.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// Sets the memory and process limits to `limits`' (a cgroup made before its job was
    /// known was made with another job's). Nothing is written when they are the same.
    pub(crate) fn fit(&mut self, limits: &Limits) -> Result<(), String> {
        let (memory, pids) = bounds(limits);
        if (memory, pids) == self.bounds {
            return Ok(());
        }
        // v1 wants memory+swap >= memory at every step: raise the pair from the top,
        // lower it from the bottom.
        let mut memory_files = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"];
        if memory > self.bounds.0 {
            memory_files.reverse();
        }
        for dir in &self.dirs {
            for file in memory_files.iter().chain(&["memory.max", "pids.max"]) {
                if !dir.join(file).exists() {
                    continue;
                }
                let value = if file.starts_with("pids") {
                    pids
                } else {
                    memory
                };
                write(dir, file, &value.to_string())?;
            }
        }
        self.bounds = (memory, pids);
        Ok(())
    }
}

/// This process as an owner of cgroup folders: `<pid>.<start time in clock ticks>`, so a
/// reused pid is not taken for a live owner.
fn owner_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let pid = std::process::id();
        format!("{pid}.{}", start_time(pid).unwrap_or(0))
    })
}

/// When process `pid` started (field 22 of `/proc/<pid>/stat`); `None` when there is none.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a folder's owner tag names a server that is no longer running.
fn owner_is_gone(tag: &str) -> bool {
    let Some((pid, start)) = tag.split_once('.') else {
        return false;
    };
    match (pid.parse::<u32>(), start.parse::<u64>()) {
        (Ok(pid), Ok(start)) => start_time(pid) != Some(start),
        _ => false,
    }
}

/// The hierarchies' folders that hold the jobs' cgroups (v2 and every v1 controller).
fn parents() -> Vec<PathBuf> {
    let mut parents: Vec<PathBuf> = unified_root().into_iter().collect();
    parents.extend(["memory", "pids", "cpu"].map(|c| Path::new(ROOT).join(c)));
    parents
        .into_iter()
        .map(|h| h.join(PARENT))
        .filter(|p| p.is_dir())
        .collect()
}

/// Removes the job cgroups that servers which are no longer running left behind (a crash,
/// or an exit right after a job was killed): only folders named with an owner tag whose
/// process is gone, never another running server's. What still runs in one is killed
/// first (a job of the crashed server); the kernel refuses to remove a folder that is not
/// empty, so a folder whose processes do not die in time is left for the next start.
/// Returns how many folders were removed.
pub(crate) fn sweep_leftovers() -> usize {
    let mut removed = 0;
    for parent in parents() {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((tag, _)) = name.to_str().and_then(|n| n.split_once('-')) else {
                continue;
            };
            if !entry.path().is_dir() || !owner_is_gone(tag) {
                continue;
            }
            if remove_leftover(&entry.path()) {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed job cgroups a stopped server left behind");
    }
    removed
}

/// Kills what is in `dir` and removes it, waiting up to a second for the processes to go.
fn remove_leftover(dir: &Path) -> bool {
    for _ in 0..50 {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs
            .lines()
            .filter_map(|l| l.trim().parse::<libc::pid_t>().ok())
        {
            if pid > 1 {
                // SAFETY: plain syscall on a pid read from the leftover cgroup.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tracing::warn!(folder = %dir.display(), "a leftover job cgroup could not be removed");
    false
}

fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    std::fs::write(dir.join(file), value)
        .map_err(|e| format!("cannot set {} to {value}: {e}", dir.join(file).display()))
}

/// A cgroup2 hierarchy with memory, pids and cpu available: the unified hierarchy of a
/// hybrid host, or /sys/fs/cgroup itself.
fn unified_root() -> Option<PathBuf> {
    [Path::new(ROOT).join("unified"), PathBuf::from(ROOT)]
        .into_iter()
        .find(|root| {
            std::fs::read_to_string(root.join("cgroup.controllers")).is_ok_and(|c| {
                let c: Vec<&str> = c.split_whitespace().collect();
                ["memory", "pids", "cpu"].iter().all(|n| c.contains(n))
            })
        })
}

impl Drop for JobCgroup {
    fn drop(&mut self) {
        let left: Vec<PathBuf> = std::mem::take(&mut self.dirs)
            .into_iter()
            .filter(|d| std::fs::remove_dir(d).is_err() && d.exists())
            .collect();
        if left.is_empty() {
            return;
        }
        // The last processes may still be exiting (SIGKILL is asynchronous): retry briefly,
        // off the caller's way.
        std::thread::spawn(move || {
            for _ in 0..100 {
                std::thread::sleep(std::time::Duration::from_millis(20));
                if left
                    .iter()
                    .all(|d| std::fs::remove_dir(d).is_ok() || !d.exists())
                {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process that has ended: its pid and start time, as a leftover's owner tag.
    fn gone_owner() -> String {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = start_time(pid).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(start_time(pid), None);
        format!("{pid}.{start}")
    }

    #[test]
    fn owner_tags_tell_running_servers_from_gone_ones() {
        assert!(!owner_is_gone(owner_tag()));
        assert!(owner_is_gone(&gone_owner()));
        // This process's pid with another start time: a reused pid, so not ours.
        let pid = std::process::id();
        assert!(owner_is_gone(&format!("{pid}.1")));
        for untagged in ["01a2348c", "probe", "1.x", ""] {
            assert!(!owner_is_gone(untagged), "{untagged}");
        }
    }

    /// The values the kernel holds for the cgroup: memory and pids limits, per folder.
    fn held(cgroup: &JobCgroup) -> Vec<(String, u64)> {
        let mut held = Vec::new();
        for dir in &cgroup.dirs {
            for file in [
                "memory.limit_in_bytes",
                "memory.memsw.limit_in_bytes",
                "memory.max",
                "pids.max",
            ] {
                if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
                    held.push((file.to_string(), text.trim().parse().unwrap_or(0)));
                }
            }
        }
        held
    }

    #[test]
    fn a_cgroup_made_before_its_job_is_fitted_to_the_jobs_limits() {
        let usual = Limits::default();
        let mut cgroup = match JobCgroup::create(&uuid::Uuid::now_v7().to_string(), &usual) {
            Ok(cgroup) => cgroup,
            Err(why) => {
                eprintln!("no cgroups on this host ({why}): nothing to fit");
                return;
            }
        };
        let (memory, pids) = bounds(&usual);
        assert!(held(&cgroup).iter().all(|(file, value)| {
            *value
                == if file.starts_with("pids") {
                    pids
                } else {
                    memory
                }
        }));
        // Smaller, then larger than the usual: v1 refuses a memory limit above the
        // memory+swap one, so the order of the writes matters both ways.
        for (memory_bytes, processes) in [(256 << 20, 8), (8 << 30, 200)] {
            let limits = Limits {
                memory_bytes,
                processes,
                ..Limits::default()
            };
            cgroup.fit(&limits).unwrap();
            let (memory, pids) = bounds(&limits);
            let held = held(&cgroup);
            assert!(held.iter().any(|(file, _)| file.starts_with("pids")));
            for (file, value) in held {
                let want = if file.starts_with("pids") {
                    pids
                } else {
                    memory
                };
                // The kernel rounds memory limits down to whole pages.
                assert!(
                    value <= want && want - value < 4096,
                    "{file}: {value} for {want}"
                );
            }
        }
    }

    #[test]
    fn a_crashed_servers_cgroups_are_swept_and_nobody_elses() {
        if let CgroupSupport::None(why) = cgroup_support() {
            eprintln!("no cgroups on this host ({why}): nothing to sweep");
            return;
        }
        let id = uuid::Uuid::now_v7();
        let dead = parents()
            .into_iter()
            .map(|p| p.join(format!("{}-{id}", gone_owner())))
            .collect::<Vec<_>>();
        let live = parents()
            .into_iter()
            .map(|p| p.join(format!("{}-{id}", owner_tag())))
            .collect::<Vec<_>>();
        let untagged = parents()
            .into_iter()
            .map(|p| p.join(format!("{id}")))
            .collect::<Vec<_>>();
        for dir in dead.iter().chain(&live).chain(&untagged) {
            std::fs::create_dir(dir).unwrap();
        }
        // A job of the crashed server that is still running, in the first leftover.
        let mut straggler = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        std::fs::write(dead[0].join("cgroup.procs"), straggler.id().to_string()).unwrap();

        // (What it counts may include other leftovers, or miss some another sweeper in
        // this process took first: the folders themselves are what is checked.)
        sweep_leftovers();
        let straggler_ended = (0..50).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            straggler.try_wait().unwrap().is_some()
        });
        let _ = straggler.kill();
        let _ = straggler.wait();
        let left: Vec<&PathBuf> = dead.iter().filter(|d| d.exists()).collect();
        let kept: Vec<bool> = live.iter().chain(&untagged).map(|d| d.exists()).collect();
        for dir in live.iter().chain(&untagged) {
            let _ = std::fs::remove_dir(dir);
        }
        assert!(left.is_empty(), "{left:?}");
        assert!(straggler_ended, "the leftover's process was not killed");
        assert!(
            kept.iter().all(|&k| k),
            "a live or untagged folder was swept: {kept:?}"
        );
    }
}
