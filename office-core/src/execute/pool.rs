//! `PoolExecutor`: the warm path. A few interpreters (zygotes) import pandas, numpy,
//! openpyxl and matplotlib once; for each job one of them forks a fresh child that confines
//! itself exactly as the cold path does (the same `run_job` in `python/harness.py`) and runs
//! the program. Nothing of one job reaches the next: every job is a new process forked from
//! an interpreter that never ran a program, with its own environment, folders and
//! descriptors.
//!
//! The engine talks to each zygote over a SOCK_SEQPACKET socket on the zygote's stdin: one
//! message per job (the spec, with the job's stdout and stderr pipes attached), then the
//! zygote answers `{"pid": n}` and, once the job's result is written, `{"exit_code": n}` or
//! `{"signal": n}` (the child tears its namespaces down after that, off the job's way).
//! Between jobs the engine sends the waiting child its next job's cgroup (`{"cgroups":
//! [...]}`, no descriptors): joining one costs a kernel grace period, so that too is done
//! before the job is known. The engine enforces the wall-clock limit itself by killing the
//! child's process group. A zygote that died is replaced by a supervisor task; one that
//! does not answer within `ZYGOTE_ANSWER` is killed and the job goes to another.

use super::cgroup::JobCgroup;
use super::process::{
    BASE_ENVIRONMENT, Ended, ProcessExecutor, Stopped, Streams, finish, within_limits,
};
use super::sandbox::kill_group;
use super::{ExecOutcome, ExecRequest, Executor};
use crate::config::Limits;
use crate::error::{Error, Result};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::net::unix::pipe;
use tokio::sync::{Notify, Semaphore};

/// How long a zygote may take to import its modules.
const ZYGOTE_START: Duration = Duration::from_secs(60);
/// How long a zygote may take to fork a job, or to report a child it was told was killed.
const ZYGOTE_ANSWER: Duration = Duration::from_secs(5);
/// How often the supervisor looks for zygotes that died while idle.
const SUPERVISE_EVERY: Duration = Duration::from_millis(500);
const MAX_MESSAGE_BYTES: usize = 64 << 10;

/// Size and recycling of a warm pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Zygotes kept ready; also the number of jobs run at once.
    pub size: usize,
    /// Jobs a zygote serves before it is replaced (bounds whatever state it might gather).
    pub max_jobs_per_zygote: u32,
}

/// Runs programs in children forked from pre-imported interpreters. See the module docs.
#[derive(Clone)]
pub struct PoolExecutor {
    pool: Arc<Pool>,
}

struct Pool {
    base: ProcessExecutor,
    options: PoolOptions,
    /// Where the zygotes keep matplotlib's font cache (jobs cannot write it).
    zygote_home: PathBuf,
    idle: Mutex<Vec<Zygote>>,
    /// Zygotes that exist, idle or busy.
    live: Arc<AtomicUsize>,
    /// Wakes the supervisor: a zygote ended or was retired.
    wake: Arc<Notify>,
    permits: Semaphore,
}

impl PoolExecutor {
    /// Writes the harness like `ProcessExecutor::new`, starts one zygote and waits until it
    /// is ready (an `Err` says why it is not: the caller can fall back to the cold path),
    /// then leaves a supervisor to start the others and replace any that end.
    pub async fn start(
        python: impl Into<PathBuf>,
        runtime_dir: impl Into<PathBuf>,
        options: PoolOptions,
    ) -> Result<Self> {
        Self::start_from(ProcessExecutor::new(python, runtime_dir)?, options).await
    }

    /// `start`, with the interpreter, runtime folder and sandbox settings of `base` (see
    /// `ProcessExecutor::with_sandbox`).
    pub async fn start_from(base: ProcessExecutor, options: PoolOptions) -> Result<Self> {
        if options.size == 0 {
            return Err(Error::invalid("a warm pool needs at least one interpreter"));
        }
        base.check_interpreter()?;
        let runtime_dir = base
            .harness_path()
            .parent()
            .map(PathBuf::from)
            .ok_or_else(|| Error::internal("the harness has no runtime folder"))?;
        let zygote_home = runtime_dir.join("zygote");
        std::fs::create_dir_all(zygote_home.join(".mpl"))?;
        let pool = Arc::new(Pool {
            base,
            options,
            zygote_home,
            idle: Mutex::new(Vec::new()),
            live: Arc::new(AtomicUsize::new(0)),
            wake: Arc::new(Notify::new()),
            permits: Semaphore::new(options.size),
        });
        let first = Zygote::start(&pool).await?;
        pool.give_back(first);
        tokio::spawn(supervise(Arc::downgrade(&pool)));
        Ok(PoolExecutor { pool })
    }

    /// Process ids of the zygotes waiting for a job (for tests and diagnostics).
    pub fn idle_zygote_pids(&self) -> Vec<i32> {
        let idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.iter().map(|z| z.pid).collect()
    }

    /// The size and recycling it was started with.
    pub fn options(&self) -> PoolOptions {
        self.pool.options
    }
}

impl Pool {
    /// An idle zygote that is still alive, or a new one. The one idle the longest first:
    /// after a job, a zygote's next keeper still makes its namespaces and job process for
    /// a few milliseconds, which another zygote has long finished.
    async fn take(self: &Arc<Self>) -> Result<Zygote> {
        loop {
            let candidate = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                (!idle.is_empty()).then(|| idle.remove(0))
            };
            match candidate {
                Some(mut zygote) => {
                    if zygote.alive() {
                        return Ok(zygote);
                    }
                }
                None => break,
            }
        }
        // The supervisor is still starting one (or failed to): do not make the job wait.
        Zygote::start(self).await
    }

    fn give_back(&self, zygote: Zygote) {
        if zygote.jobs >= self.options.max_jobs_per_zygote {
            return; // dropping it kills it; the supervisor starts a fresh one
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.options.size && self.live.load(Ordering::SeqCst) <= self.options.size {
            idle.push(zygote);
        }
    }
}

/// Keeps `options.size` zygotes alive until the pool is dropped.
async fn supervise(pool: Weak<Pool>) {
    let mut failures = 0u32;
    loop {
        let Some(pool) = pool.upgrade() else { return };
        pool.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain_mut(Zygote::alive);
        while pool.live.load(Ordering::SeqCst) < pool.options.size {
            match Zygote::start(&pool).await {
                Ok(zygote) => {
                    failures = 0;
                    pool.give_back(zygote);
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "a warm interpreter did not start");
                    break;
                }
            }
        }
        let wake = pool.wake.clone();
        drop(pool);
        // Back off while starting fails (a broken runtime should not spin).
        let pause = SUPERVISE_EVERY * 2u32.saturating_pow(failures.min(6));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// One pre-imported interpreter and the engine's end of its socket.
struct Zygote {
    process: tokio::process::Child,
    socket: AsyncFd<OwnedFd>,
    pid: i32,
    jobs: u32,
    /// The cgroup its waiting child joined (or is joining) for the next job.
    standby: Option<JobCgroup>,
    live: Arc<AtomicUsize>,
    wake: Arc<Notify>,
}

impl Drop for Zygote {
    fn drop(&mut self) {
        // kill_on_drop ends the process; the count and the supervisor follow.
        let _ = self.process.start_kill();
        self.live.fetch_sub(1, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

impl Zygote {
    async fn start(pool: &Pool) -> Result<Zygote> {
        let (ours, theirs) = seqpacket_pair()?;
        let mut command = pool.base.interpreter_command();
        let sandbox = pool.base.sandbox();
        command
            .arg("zygote")
            .arg(sandbox.job_uid.to_string())
            .arg(sandbox.job_gid.to_string())
            .envs(BASE_ENVIRONMENT)
            .env("HOME", &pool.zygote_home)
            .env("MPLCONFIGDIR", pool.zygote_home.join(".mpl"))
            .current_dir(&pool.zygote_home)
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = command.spawn().map_err(|e| pool.base.spawn_error(e))?;
        let pid = process.id().map_or(0, |p| p as i32);
        pool.live.fetch_add(1, Ordering::SeqCst);
        let mut zygote = Zygote {
            process,
            socket: watch_socket(ours)?,
            pid,
            jobs: 0,
            standby: None,
            live: pool.live.clone(),
            wake: pool.wake.clone(),
        };
        let ready = tokio::time::timeout(ZYGOTE_START, zygote.receive()).await;
        match ready {
            Ok(Ok(Some(message))) if message["ready"] == true => {
                if let Some(cgroup) = standby_cgroup(Limits::default()).await {
                    zygote.offer(cgroup).await;
                }
                Ok(zygote)
            }
            Ok(Ok(Some(message))) => Err(Error::internal(format!(
                "the warm interpreter could not start: {}",
                message["error"]
                    .as_str()
                    .unwrap_or("it sent an unexpected message")
            ))),
            Ok(Ok(None)) => Err(Error::internal(
                "the warm interpreter exited while importing its modules",
            )),
            Ok(Err(e)) => Err(Error::internal(format!(
                "cannot talk to the warm interpreter: {e}"
            ))),
            Err(_) => Err(Error::internal(format!(
                "the warm interpreter was not ready within {} s",
                ZYGOTE_START.as_secs()
            ))),
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }

    /// Sends the waiting child the next job's cgroup to join; kept for that job.
    async fn offer(&mut self, cgroup: JobCgroup) {
        let Ok(message) = serde_json::to_vec(&serde_json::json!({
            "cgroups": cgroup.procs_files(),
        })) else {
            return;
        };
        let sent = tokio::time::timeout(ZYGOTE_ANSWER, async {
            loop {
                let mut ready = self.socket.writable().await?;
                match ready.try_io(|socket| send_with_fds(socket.as_raw_fd(), &message, &[])) {
                    Ok(sent) => break sent,
                    Err(_would_block) => continue,
                }
            }
        })
        .await;
        if matches!(sent, Ok(Ok(()))) {
            self.standby = Some(cgroup);
        }
    }

    /// The cgroup for the job about to be sent, fitted to its limits: the one the waiting
    /// child joined on standby, or (when there is none) a new one it joins now.
    fn cgroup_for(&mut self, name: &str, limits: &Limits) -> Option<JobCgroup> {
        if let Some(mut cgroup) = self.standby.take()
            && cgroup.fit(limits).is_ok()
        {
            return Some(cgroup);
        }
        JobCgroup::create(name, limits).ok()
    }

    /// Hands over one job; the answer is the pid of the child running it.
    async fn begin(&mut self, spec: &[u8], stdout: &OwnedFd, stderr: &OwnedFd) -> Result<i32> {
        let fds = [stdout.as_raw_fd(), stderr.as_raw_fd()];
        loop {
            let mut ready = self.socket.writable().await?;
            match ready.try_io(|socket| send_with_fds(socket.as_raw_fd(), spec, &fds)) {
                Ok(sent) => break sent?,
                Err(_would_block) => continue,
            }
        }
        match self.receive().await? {
            Some(answer) => answer["pid"]
                .as_i64()
                .filter(|&pid| pid > 1)
                .map(|pid| pid as i32)
                .ok_or_else(|| {
                    Error::internal(format!("the warm interpreter refused the job: {answer}"))
                }),
            None => Err(Error::internal("the warm interpreter has exited")),
        }
    }

    /// The next message, or `None` once the zygote closed its end.
    async fn receive(&self) -> io::Result<Option<serde_json::Value>> {
        let mut buffer = vec![0u8; MAX_MESSAGE_BYTES];
        let n = loop {
            let mut ready = self.socket.readable().await?;
            match ready.try_io(|socket| {
                // SAFETY: recv writes at most buffer.len() bytes into the buffer we own.
                let n = unsafe {
                    libc::recv(
                        socket.as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                        0,
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            }) {
                Ok(n) => break n?,
                Err(_would_block) => continue,
            }
        };
        if n == 0 {
            return Ok(None);
        }
        serde_json::from_slice(&buffer[..n])
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

#[async_trait::async_trait]
impl Executor for PoolExecutor {
    async fn run(&self, req: ExecRequest) -> Result<ExecOutcome> {
        let limits = &req.limits;
        let mut run = self.pool.base.prepare_run(&req).await?;
        let _permit = self
            .pool
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("the warm pool is closed"))?;

        // A zygote that died or hangs since it was last used gets one replacement.
        let mut attempt = 0;
        let (mut zygote, pid, streams, started) = loop {
            attempt += 1;
            let mut zygote = self.pool.take().await?;
            run.use_cgroup(zygote.cgroup_for(&run.name, limits));
            run.stamp("sent");
            let spec = serde_json::to_vec(&run.spec)?;
            let (stdout_read, stdout_write) = pipe_pair()?;
            let (stderr_read, stderr_write) = pipe_pair()?;
            let started = Instant::now();
            let begun = tokio::time::timeout(
                ZYGOTE_ANSWER,
                zygote.begin(&spec, &stdout_write, &stderr_write),
            )
            .await;
            drop((stdout_write, stderr_write));
            match begun {
                Ok(Ok(pid)) => {
                    run.guard.pgid = pid;
                    let streams = Streams::start(
                        Some(pipe::Receiver::from_owned_fd(stdout_read)?),
                        Some(pipe::Receiver::from_owned_fd(stderr_read)?),
                        limits,
                        &mut run.guard,
                    );
                    break (zygote, pid, streams, started);
                }
                Ok(Err(e)) if attempt < 2 => {
                    tracing::warn!(error = %e, zygote = zygote.pid, "replacing a warm interpreter");
                }
                Err(_) if attempt < 2 => {
                    tracing::warn!(
                        zygote = zygote.pid,
                        "a warm interpreter hangs; replacing it"
                    );
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(Error::internal("the warm interpreters do not answer")),
            }
        };
        // The next job's cgroup is made while this one runs.
        let next = standby_cgroup(limits.clone());

        let (answer, stopped) = match within_limits(zygote.receive(), limits, &run.folders).await {
            Ok(answer) => (answer, None),
            Err(stopped) => {
                kill_group(pid);
                let answer = tokio::time::timeout(ZYGOTE_ANSWER, zygote.receive())
                    .await
                    .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()));
                (answer, Some(stopped))
            }
        };
        let duration = started.elapsed();
        let ended = match answer {
            Ok(Some(status)) => Ended {
                exit_code: status["exit_code"].as_i64().map(|c| c as i32),
                signal: status["signal"].as_i64().map(|s| s as i32),
                timed_out: matches!(stopped, Some(Stopped::Timeout)),
                over_disk_quota: matches!(stopped, Some(Stopped::DiskQuota)),
                duration,
            },
            _ => {
                // The zygote died or hangs: the child's end is unknown. Drop the zygote (the
                // supervisor replaces it) and let the run guard kill the group.
                drop(zygote);
                return Err(Error::internal(
                    "the warm interpreter stopped answering during the job",
                ));
            }
        };
        zygote.jobs += 1;
        if zygote.jobs < self.pool.options.max_jobs_per_zygote
            && let Some(cgroup) = next.await
        {
            zygote.offer(cgroup).await;
        }
        self.pool.give_back(zygote);
        Ok(finish(run, streams, ended, limits).await)
    }
}

/// A new cgroup for a zygote's next job, made on a blocking thread; `None` where the host
/// gives none (the job then falls back to its rlimits, as on the cold path).
fn standby_cgroup(limits: Limits) -> impl std::future::Future<Output = Option<JobCgroup>> {
    let made = tokio::task::spawn_blocking(move || {
        JobCgroup::create(&uuid::Uuid::now_v7().to_string(), &limits).ok()
    });
    async move { made.await.ok().flatten() }
}

fn watch_socket(socket: OwnedFd) -> Result<AsyncFd<OwnedFd>> {
    // SAFETY: the AsyncFd owns the descriptor, so it stays open while it is registered.
    unsafe { AsyncFd::register(socket) }
        .map_err(|e| Error::internal(format!("cannot watch the warm interpreter's socket: {e}")))
}

fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: socketpair fills the array we own; each descriptor is owned exactly once below.
    unsafe {
        if libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        let ours = OwnedFd::from_raw_fd(fds[0]);
        let theirs = OwnedFd::from_raw_fd(fds[1]);
        if libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((ours, theirs))
    }
}

/// A pipe: (read end, write end), both close-on-exec.
fn pipe_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 fills the array we own; each descriptor is owned exactly once below.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])))
    }
}

/// One message with descriptors attached (SCM_RIGHTS).
fn send_with_fds(socket: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let fds_len = std::mem::size_of_val(fds);
    // SAFETY: the control buffer is sized with CMSG_SPACE and aligned for cmsghdr (u64);
    // CMSG_FIRSTHDR/CMSG_DATA point inside it; sendmsg only reads the buffers.
    unsafe {
        let space = libc::CMSG_SPACE(fds_len as u32) as usize;
        let mut control = vec![0u64; space.div_ceil(8)];
        let mut iov = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(fds_len as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(cmsg), fds_len);
        if libc::sendmsg(socket, &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
