//! Configuration from the environment (the binary loads `.env` first when present).
//! Every variable is listed with its default in `.env.example`.

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Limits applied to every program the engine runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall-clock time before the whole process group is killed.
    pub timeout: Duration,
    /// CPU seconds (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Address space in bytes (RLIMIT_AS).
    pub memory_bytes: u64,
    /// Largest file the program may write (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Processes/threads (RLIMIT_NPROC) for the sandbox user.
    pub processes: u64,
    /// Bytes of stdout and of stderr kept; the rest is dropped and marked truncated.
    pub output_capture_bytes: usize,
    /// Total bytes of artifacts collected from one run.
    pub artifacts_total_bytes: u64,
    /// Artifacts collected from one run.
    pub artifacts_max_count: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(120),
            cpu_seconds: 120,
            memory_bytes: 2 << 30,
            file_size_bytes: 256 << 20,
            open_files: 256,
            processes: 64,
            output_capture_bytes: 256 << 10,
            artifacts_total_bytes: 512 << 20,
            artifacts_max_count: 64,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite database and every job's files live.
    pub data_dir: PathBuf,
    /// PostgreSQL when set; SQLite under `data_dir` otherwise.
    pub database_url: Option<String>,
    /// Redis queue when set; in-process queue otherwise.
    pub redis_url: Option<String>,
    /// PostgreSQL connections this process keeps at most.
    pub db_pool_size: u32,
    /// Prefix of the Redis queue's keys: processes with the same prefix share one queue.
    pub redis_prefix: String,
    /// The interpreter that runs generated programs.
    pub python: PathBuf,
    /// Largest accepted upload, per file.
    pub max_upload_bytes: u64,
    pub limits: Limits,
    /// Jobs run at once by this process's workers.
    pub workers: usize,
    /// Times a job is started before it is failed for good.
    pub max_attempts: u32,
    /// How long a worker holds a job before another may take it, unless it renews.
    pub lease: Duration,
    pub host: String,
    pub port: u16,
    /// Bearer tokens accepted by the REST face; empty means no authentication.
    pub api_keys: Vec<String>,
}

impl Config {
    /// Defaults suitable for tests and embedding: everything under `data_dir`.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            redis_url: None,
            db_pool_size: crate::store::DEFAULT_POOL_SIZE,
            redis_prefix: "office".into(),
            python: default_python(),
            max_upload_bytes: 50 << 20,
            limits: Limits::default(),
            workers: 2,
            max_attempts: 3,
            lease: Duration::from_secs(60),
            host: "127.0.0.1".into(),
            port: 8000,
            api_keys: Vec::new(),
        }
    }

    /// Reads the environment. Unset or empty variables take their defaults; a variable
    /// set to something unusable is an error that names it.
    pub fn from_env() -> Result<Self> {
        let mut c = Config::with_data_dir(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        c.database_url = var("DATABASE_URL");
        c.redis_url = var("REDIS_URL");
        if let Some(n) = parse::<u32>("OFFICE_DB_POOL_SIZE")? {
            c.db_pool_size = n.max(1);
        }
        if let Some(p) = var("OFFICE_REDIS_PREFIX") {
            c.redis_prefix = p;
        }
        if let Some(p) = var("OFFICE_PYTHON") {
            c.python = PathBuf::from(p);
        }
        if let Some(mb) = parse::<u64>("OFFICE_MAX_UPLOAD_MB")? {
            c.max_upload_bytes = mb << 20;
        }
        if let Some(s) = parse::<u64>("OFFICE_JOB_TIMEOUT_SECS")? {
            c.limits.timeout = Duration::from_secs(s.max(1));
            c.limits.cpu_seconds = s.max(1);
        }
        if let Some(s) = parse::<u64>("OFFICE_JOB_CPU_SECS")? {
            c.limits.cpu_seconds = s.max(1);
        }
        if let Some(mb) = parse::<u64>("OFFICE_JOB_MEMORY_MB")? {
            c.limits.memory_bytes = mb << 20;
        }
        if let Some(mb) = parse::<u64>("OFFICE_JOB_MAX_FILE_MB")? {
            c.limits.file_size_bytes = mb << 20;
        }
        if let Some(mb) = parse::<u64>("OFFICE_JOB_MAX_OUTPUT_MB")? {
            c.limits.artifacts_total_bytes = mb << 20;
        }
        if let Some(n) = parse::<usize>("OFFICE_WORKERS")? {
            c.workers = n;
        }
        if let Some(n) = parse::<u32>("OFFICE_MAX_ATTEMPTS")? {
            c.max_attempts = n.max(1);
        }
        if let Some(s) = parse::<u64>("OFFICE_LEASE_SECS")? {
            c.lease = Duration::from_secs(s.max(1));
        }
        if let Some(h) = var("OFFICE_HOST") {
            c.host = h;
        }
        if let Some(p) = parse::<u16>("OFFICE_PORT")? {
            c.port = p;
        }
        if let Some(keys) = var("OFFICE_API_KEYS") {
            c.api_keys = keys
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect();
        }
        Ok(c)
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("office.db")
    }

    pub fn jobs_dir(&self) -> PathBuf {
        self.data_dir.join("jobs")
    }
}

/// `.venv/bin/python` when the repo's set-up command made one here, else `python3`.
fn default_python() -> PathBuf {
    // Not canonicalized: the venv's python is a symlink, and resolving it would lose the venv.
    let venv = PathBuf::from(".venv/bin/python");
    match std::path::absolute(&venv) {
        Ok(p) if p.exists() => p,
        _ => PathBuf::from("python3"),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    match var(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<T>()
            .map(Some)
            .map_err(|_| Error::invalid(format!("{name}={v:?} is not a valid value"))),
    }
}
