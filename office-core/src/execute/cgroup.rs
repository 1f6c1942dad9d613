//! A cgroup per job, where the host lets the server make one: memory (page cache, tmpfs,
//! memfd, shmem and kernel memory included), process count and a CPU share the kernel
//! enforces for the job's processes together. cgroup v2 (a unified hierarchy with the
//! controllers enabled) or v1 (one hierarchy per controller, as on these machines). Where
//! neither can be made the job falls back to its rlimits, and `office doctor` says so.
//!
//! The harness moves its own process into the cgroup before it forks the job's, so every
//! process of the job is in it from its first instruction.

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
}

impl JobCgroup {
    /// `Err` says why none could be made (not permitted, no controllers).
    pub(crate) fn create(name: &str, limits: &Limits) -> Result<JobCgroup, String> {
        let memory = limits
            .memory_bytes
            .saturating_add(limits.disk_bytes)
            .saturating_add(KEEPER_BYTES);
        let pids = limits.processes.saturating_add(KEEPER_PROCESSES);
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
