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
    /// CPU seconds (RLIMIT_CPU, soft == hard: the kernel kills at the limit).
    pub cpu_seconds: u64,
    /// Address space in bytes (RLIMIT_AS; numpy works under it because OpenBLAS runs one
    /// thread and so reserves no per-thread buffers).
    pub memory_bytes: u64,
    /// Largest file the program may write (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    /// Bytes on disk the program may use in its output and work folders together; the
    /// engine checks twice a second and kills the program past it.
    pub disk_bytes: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Processes/threads (RLIMIT_NPROC) for a non-root sandbox user. Root is exempt; the
    /// seccomp filter refuses every new process (threads only) whatever the user.
    pub processes: u64,
    /// Bytes of stdout and of stderr kept; the rest is dropped and marked truncated.
    pub output_capture_bytes: usize,
    /// Bytes the program may write to stdout and stderr together; past it the engine kills
    /// the program at once ("output limit exceeded") rather than drain a flood until the
    /// wall-clock limit.
    pub output_limit_bytes: u64,
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
            disk_bytes: 1 << 30,
            open_files: 256,
            processes: 64,
            output_capture_bytes: 256 << 10,
            output_limit_bytes: 64 << 20,
            artifacts_total_bytes: 512 << 20,
            artifacts_max_count: 64,
        }
    }
}

/// How strictly jobs are confined (`OFFICE_SANDBOX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxMode {
    /// Every layer or no job (the default): a host that cannot give a job its namespaces,
    /// or a self-test canary that escapes, refuses every job.
    #[default]
    Full,
    /// `OFFICE_SANDBOX=degraded`, for a developer's laptop: jobs run without namespaces
    /// where the host cannot make them, and despite a failed self-test, said loudly in the
    /// log, the health check, `office doctor` and the job's stderr. No-new-privs, the
    /// rlimits, Landlock, seccomp and the audit hook still hold.
    Degraded,
}

/// What the executors need to know about the sandbox, read once with the rest of the
/// configuration so every face and every job sees the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxSettings {
    /// Every layer or no job, or degraded (`OFFICE_SANDBOX`).
    pub mode: SandboxMode,
    /// The host uid a job runs as when the server is root (`OFFICE_SANDBOX_UID`; never 0).
    /// A server that is not root maps its own uid to an unprivileged uid inside the job's
    /// user namespace instead.
    pub job_uid: u32,
    /// The host gid, likewise (`OFFICE_SANDBOX_GID`).
    pub job_gid: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            mode: SandboxMode::Full,
            // nobody / nogroup
            job_uid: 65534,
            job_gid: 65534,
        }
    }
}

impl SandboxSettings {
    /// Reads `OFFICE_SANDBOX` (`full`, the default, or `degraded`), `OFFICE_SANDBOX_UID`
    /// and `OFFICE_SANDBOX_GID` from any source of variables (tests pass a map).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut s = SandboxSettings::default();
        match var("OFFICE_SANDBOX").as_deref() {
            None | Some("full") => {}
            Some("degraded") => s.mode = SandboxMode::Degraded,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "OFFICE_SANDBOX={other:?} is not a valid value: use \"full\" (the \
                     default) or \"degraded\""
                )));
            }
        }
        let id = |name: &str, default: u32| -> Result<u32> {
            let Some(v) = var(name) else {
                return Ok(default);
            };
            match v.parse::<u32>() {
                Ok(0) => Err(Error::invalid(format!(
                    "{name}=0 would run jobs as root: choose an unprivileged id"
                ))),
                Ok(id) => Ok(id),
                Err(_) => Err(Error::invalid(format!("{name}={v:?} is not a valid value"))),
            }
        };
        s.job_uid = id("OFFICE_SANDBOX_UID", s.job_uid)?;
        s.job_gid = id("OFFICE_SANDBOX_GID", s.job_gid)?;
        Ok(s)
    }
}

/// Everything the engine and its faces are configured with: `Config::from_env` reads the
/// `OFFICE_*` variables, `Config::with_data_dir` builds one in code.
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
    /// What each program may use (time, memory, disk, output).
    pub limits: Limits,
    /// Sandbox mode and the job's identity on a root host (`OFFICE_SANDBOX*`).
    pub sandbox: SandboxSettings,
    /// Jobs run at once by this process's workers.
    pub workers: usize,
    /// Pre-imported interpreters of the warm pool (`None`: one per worker); 0 runs every
    /// program in a fresh interpreter (the cold path).
    pub pool_size: Option<usize>,
    /// Jobs one warm interpreter serves before it is replaced.
    pub pool_max_jobs: u32,
    /// Times a job is started before it is failed for good.
    pub max_attempts: u32,
    /// How long a worker holds a job before another may take it, unless it renews.
    pub lease: Duration,
    /// How long stopping workers let running jobs finish before abandoning them to the
    /// next start's recovery (`OFFICE_SHUTDOWN_GRACE_SECS`).
    pub shutdown_grace: Duration,
    /// Address the server face listens on (`OFFICE_HOST`).
    pub host: String,
    /// Port the server face listens on (`OFFICE_PORT`).
    pub port: u16,
    /// Bearer tokens accepted by the REST face; empty means no authentication.
    pub api_keys: Vec<String>,
    /// The keys file (`OFFICE_API_KEYS_FILE`): tenants, their key hashes, admin flags and
    /// quotas, reloaded when it changes. Beside `api_keys`, not instead of them.
    pub api_keys_file: Option<PathBuf>,
    /// The OpenAI-compatible model that writes programs, when one is configured.
    pub llm: Option<LlmConfig>,
    /// How report documents are made (`OFFICE_REPORT_PAPER`, `OFFICE_REPORT_FONTS`).
    pub report: ReportSettings,
    /// How long a finished job and its files are kept after it finished
    /// (`OFFICE_RETENTION_DAYS`); `None`, the default, keeps them forever.
    pub retention: Option<Duration>,
    /// How often the retention sweeper looks for expired jobs
    /// (`OFFICE_RETENTION_SWEEP_SECS`, default 600).
    pub retention_sweep: Duration,
    /// Bytes left free on the data folder's disk: a submission that would leave less is
    /// refused as "storage full" before anything is written (`OFFICE_MIN_FREE_MB`,
    /// default 16), so running jobs and the database keep room to finish.
    pub min_free_bytes: u64,
    /// Where job files are kept: folders under `data_dir`, or an object store
    /// (`OFFICE_ARTIFACTS_URL`).
    pub artifacts: ArtifactsLocation,
    /// Every tenant's limits unless the keys file sets its own (`OFFICE_QUOTA_RUNNING`,
    /// `_QUEUED`, `_SUBMISSIONS_PER_MINUTE`, `_UPLOAD_MB`, `_STORED_MB`); unset: no limit.
    pub quotas: crate::job::Quotas,
}

/// Where job files (inputs, code, outputs, summaries) are kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ArtifactsLocation {
    /// Folders under `DATA_DIR/jobs` (the default): processes that share them share a folder.
    #[default]
    Folder,
    /// An S3-compatible object store: API servers and workers on different machines share
    /// files with no shared folder.
    S3(S3Settings),
}

/// An S3-compatible bucket and how to reach it: `OFFICE_ARTIFACTS_URL=s3://bucket/prefix`,
/// the endpoint, region and credentials from the standard `AWS_*` variables.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Settings {
    /// The bucket (it must exist).
    pub bucket: String,
    /// Folder in the bucket every job's files go under (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// The server, for stores other than AWS (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`);
    /// requests then name the bucket in the path, not the host.
    pub endpoint: Option<String>,
    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`; without it the instance's role is asked for credentials.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<ApiKey>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<ApiKey>,
    /// Time for one request (`OFFICE_ARTIFACTS_TIMEOUT_SECS`, default 60).
    pub timeout: Duration,
    /// Further tries of a failed request (`OFFICE_ARTIFACTS_RETRIES`, default 3), within
    /// the timeout; a store still down after them fails the step with its name.
    pub retries: usize,
}

impl S3Settings {
    /// The bucket and prefix as configured, `s3://bucket/prefix`, for messages.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl ArtifactsLocation {
    /// Reads `OFFICE_ARTIFACTS_URL` (unset: folders) and, for `s3://`, the `AWS_*`
    /// variables and `OFFICE_ARTIFACTS_TIMEOUT_SECS` / `OFFICE_ARTIFACTS_RETRIES`, from
    /// any source of variables (tests pass a map).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(url) = var("OFFICE_ARTIFACTS_URL") else {
            return Ok(ArtifactsLocation::Folder);
        };
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(Error::invalid(format!(
                "OFFICE_ARTIFACTS_URL={url:?} is not supported: use s3://bucket/prefix, or \
                 unset it to keep job files under DATA_DIR"
            )));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !bucket_ok {
            return Err(Error::invalid(format!(
                "OFFICE_ARTIFACTS_URL={url:?} does not name a bucket: use s3://bucket/prefix \
                 (3 to 63 lower-case letters, digits, '-' or '.')"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if prefix
            .split('/')
            .any(|part| part == "." || part == ".." || (part.is_empty() && !prefix.is_empty()))
        {
            return Err(Error::invalid(format!(
                "OFFICE_ARTIFACTS_URL={url:?}: the prefix must be folder names separated by '/'"
            )));
        }
        let number = |name: &str, default: u64| -> Result<u64> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| Error::invalid(format!("{name}={v:?} is not a valid value"))),
            }
        };
        let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
        if let Some(e) = &endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(Error::invalid(format!(
                "AWS_ENDPOINT_URL={e:?} must start with http:// or https://"
            )));
        }
        Ok(ArtifactsLocation::S3(S3Settings {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_string()),
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").map(ApiKey::new),
            session_token: var("AWS_SESSION_TOKEN").map(ApiKey::new),
            timeout: Duration::from_secs(number("OFFICE_ARTIFACTS_TIMEOUT_SECS", 60)?.max(1)),
            retries: number("OFFICE_ARTIFACTS_RETRIES", 3)?.min(10) as usize,
        }))
    }
}

/// The paper a report's PDF is set on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paper {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl std::str::FromStr for Paper {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "letter" | "us-letter" => Ok(Paper::Letter),
            _ => Err(format!("{s:?} is not a paper size: use A4 or Letter")),
        }
    }
}

/// How report documents (`report.html`, `.docx`, `.pdf`) are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportSettings {
    /// The PDF's and the Word document's paper (`OFFICE_REPORT_PAPER`: `A4`, the default, or `Letter`).
    pub paper: Paper,
    /// A folder searched first for the PDF's fonts (`OFFICE_REPORT_FONTS`); the runtime's
    /// pinned fonts (next to the interpreter) and the system's follow.
    pub font_dir: Option<PathBuf>,
}

/// Where and how to reach an OpenAI-compatible chat-completions endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`;
    /// `/chat/completions` is appended.
    pub base_url: String,
    /// Sent as a bearer token; local servers usually need none.
    pub api_key: Option<ApiKey>,
    /// The model's name, as the endpoint knows it.
    pub model: String,
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Time to wait for one whole reply.
    pub timeout: Duration,
    /// Programs written per job at most: the first plus repairs after a rejection or a
    /// failed run.
    pub max_attempts: u32,
    /// Further tries of one request after a 429, a 5xx or a broken connection.
    pub retries: u32,
    /// Longest pause before a retry, whatever `Retry-After` asks for.
    pub max_retry_wait: Duration,
    /// Tokens (about four characters each) the file profiles may take in a prompt.
    pub profile_token_budget: usize,
}

impl LlmConfig {
    /// Defaults for everything but where the model is.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(180),
            max_attempts: 3,
            retries: 3,
            max_retry_wait: Duration::from_secs(30),
            profile_token_budget: 6_000,
        }
    }

    /// Reads `OFFICE_LLM_*`, falling back to `OPENAI_*`. Configured when a model is
    /// named; an API key alone (set for some other tool) does not send data anywhere.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// `from_env` over any source of variables (tests pass a map).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let parse = |name: &str| -> Result<Option<u64>> {
            var(name)
                .map(|v| {
                    v.parse()
                        .map_err(|_| Error::invalid(format!("{name}={v:?} is not a valid value")))
                })
                .transpose()
        };
        let base_url = var("OFFICE_LLM_BASE_URL").or_else(|| var("OPENAI_BASE_URL"));
        let Some(model) = var("OFFICE_LLM_MODEL").or_else(|| var("OPENAI_MODEL")) else {
            if let Some(url) = base_url {
                return Err(Error::invalid(format!(
                    "an LLM base URL is set ({url}) but no model: set OFFICE_LLM_MODEL \
                     (or OPENAI_MODEL) to the model's name, or unset the URL to use the \
                     offline planner"
                )));
            }
            return Ok(None);
        };
        let base_url = base_url.unwrap_or_else(|| "https://api.openai.com/v1".into());
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid(format!(
                "OFFICE_LLM_BASE_URL={base_url:?} must start with http:// or https://"
            )));
        }
        let mut c = LlmConfig::new(base_url.trim_end_matches('/'), model);
        c.api_key = var("OFFICE_LLM_API_KEY")
            .or_else(|| var("OPENAI_API_KEY"))
            .map(ApiKey::new);
        if let Some(s) = parse("OFFICE_LLM_CONNECT_TIMEOUT_SECS")? {
            c.connect_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = parse("OFFICE_LLM_TIMEOUT_SECS")? {
            c.timeout = Duration::from_secs(s.max(1));
        }
        if let Some(n) = parse("OFFICE_LLM_MAX_ATTEMPTS")? {
            c.max_attempts = n.clamp(1, 10) as u32;
        }
        if let Some(n) = parse("OFFICE_LLM_RETRIES")? {
            c.retries = n.min(10) as u32;
        }
        if let Some(s) = parse("OFFICE_LLM_MAX_RETRY_WAIT_SECS")? {
            c.max_retry_wait = Duration::from_secs(s);
        }
        if let Some(n) = parse("OFFICE_LLM_PROFILE_TOKENS")? {
            c.profile_token_budget = n.max(500) as usize;
        }
        Ok(Some(c))
    }
}

/// A secret that never shows itself: `Debug` and `Display` print `***`, and it is not
/// `Serialize`, so it cannot reach job data, events or artifacts by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key read from the environment or a secret store.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the one place that sends it (the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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
            sandbox: SandboxSettings::default(),
            workers: 2,
            pool_size: None,
            pool_max_jobs: 200,
            max_attempts: 3,
            lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            host: "127.0.0.1".into(),
            port: 8000,
            api_keys: Vec::new(),
            api_keys_file: None,
            llm: None,
            report: ReportSettings::default(),
            retention: None,
            retention_sweep: Duration::from_secs(600),
            min_free_bytes: 16 << 20,
            artifacts: ArtifactsLocation::Folder,
            quotas: crate::job::Quotas::default(),
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
        if let Some(mb) = parse::<u64>("OFFICE_JOB_DISK_MB")? {
            c.limits.disk_bytes = mb << 20;
        }
        if let Some(mb) = parse::<u64>("OFFICE_JOB_MAX_OUTPUT_MB")? {
            c.limits.artifacts_total_bytes = mb << 20;
        }
        if let Some(mb) = parse::<u64>("OFFICE_JOB_PRINT_LIMIT_MB")? {
            c.limits.output_limit_bytes = mb.max(1) << 20;
        }
        c.sandbox = SandboxSettings::from_vars(|name| std::env::var(name).ok())?;
        if let Some(n) = parse::<usize>("OFFICE_WORKERS")? {
            c.workers = n;
        }
        if let Some(n) = parse::<usize>("OFFICE_POOL_SIZE")? {
            c.pool_size = Some(n);
        }
        if let Some(n) = parse::<u32>("OFFICE_POOL_MAX_JOBS")? {
            c.pool_max_jobs = n.max(1);
        }
        if let Some(n) = parse::<u32>("OFFICE_MAX_ATTEMPTS")? {
            c.max_attempts = n.max(1);
        }
        if let Some(s) = parse::<u64>("OFFICE_LEASE_SECS")? {
            c.lease = Duration::from_secs(s.max(1));
        }
        if let Some(s) = parse::<u64>("OFFICE_SHUTDOWN_GRACE_SECS")? {
            c.shutdown_grace = Duration::from_secs(s);
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
        c.api_keys_file = var("OFFICE_API_KEYS_FILE").map(PathBuf::from);
        c.llm = LlmConfig::from_env()?;
        if let Some(paper) = parse::<Paper>("OFFICE_REPORT_PAPER")? {
            c.report.paper = paper;
        }
        c.report.font_dir = var("OFFICE_REPORT_FONTS").map(PathBuf::from);
        if let Some(days) = parse::<f64>("OFFICE_RETENTION_DAYS")? {
            if !(days.is_finite() && days > 0.0) {
                return Err(Error::invalid(format!(
                    "OFFICE_RETENTION_DAYS={days} must be a positive number of days (unset it to keep jobs forever)"
                )));
            }
            c.retention = Some(Duration::from_secs_f64(days * 86_400.0));
        }
        if let Some(s) = parse::<u64>("OFFICE_RETENTION_SWEEP_SECS")? {
            c.retention_sweep = Duration::from_secs(s.max(1));
        }
        if let Some(mb) = parse::<u64>("OFFICE_MIN_FREE_MB")? {
            c.min_free_bytes = mb << 20;
        }
        c.artifacts = ArtifactsLocation::from_vars(|name| std::env::var(name).ok())?;
        c.quotas = crate::job::Quotas {
            running: parse::<u32>("OFFICE_QUOTA_RUNNING")?,
            queued: parse::<u32>("OFFICE_QUOTA_QUEUED")?,
            submissions_per_minute: parse::<u32>("OFFICE_QUOTA_SUBMISSIONS_PER_MINUTE")?,
            upload_bytes: parse::<u64>("OFFICE_QUOTA_UPLOAD_MB")?.map(|mb| mb << 20),
            stored_bytes: parse::<u64>("OFFICE_QUOTA_STORED_MB")?.map(|mb| mb << 20),
            retention_days: None,
        };
        Ok(c)
    }

    /// Warm interpreters to keep: `pool_size`, or one per worker (at least one).
    pub fn effective_pool_size(&self) -> usize {
        self.pool_size.unwrap_or(self.workers.max(1))
    }

    /// Where the SQLite database is, under `data_dir`.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("office.db")
    }

    /// Where every job's files are, under `data_dir`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_prints_itself() {
        let key = ApiKey::new("sk-very-secret");
        let mut config = LlmConfig::new("http://127.0.0.1:1/v1", "m");
        config.api_key = Some(key.clone());
        for shown in [
            format!("{key}"),
            format!("{key:?}"),
            format!("{config:?}"),
            format!("{config:#?}"),
        ] {
            assert!(!shown.contains("very-secret"), "{shown}");
        }
        assert!(format!("{config:?}").contains("***"));
        assert_eq!(key.expose(), "sk-very-secret");
    }

    fn llm_from(vars: &[(&str, &str)]) -> Result<Option<LlmConfig>> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LlmConfig::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn a_model_name_turns_the_llm_on_and_openai_names_are_fallbacks() {
        assert_eq!(llm_from(&[]).unwrap(), None);
        // A key alone (set for some other tool) sends nothing anywhere.
        assert_eq!(llm_from(&[("OPENAI_API_KEY", "sk-x")]).unwrap(), None);

        let c = llm_from(&[("OPENAI_API_KEY", "sk-x"), ("OPENAI_MODEL", "gpt-4o-mini")])
            .unwrap()
            .unwrap();
        assert_eq!(c.base_url, "https://api.openai.com/v1");
        assert_eq!(c.model, "gpt-4o-mini");
        assert_eq!(c.api_key.as_ref().unwrap().expose(), "sk-x");
        assert_eq!((c.max_attempts, c.retries), (3, 3));

        let c = llm_from(&[
            ("OFFICE_LLM_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("OFFICE_LLM_MODEL", "qwen2.5-coder:7b"),
            ("OPENAI_MODEL", "ignored"),
            ("OPENAI_BASE_URL", "https://ignored.example/v1"),
            ("OFFICE_LLM_MAX_ATTEMPTS", "5"),
            ("OFFICE_LLM_TIMEOUT_SECS", "30"),
            ("OFFICE_LLM_RETRIES", " "),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(c.model, "qwen2.5-coder:7b");
        assert_eq!(c.api_key, None);
        assert_eq!(c.max_attempts, 5);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.retries, 3, "a blank value keeps the default");
    }

    fn sandbox_from(vars: &[(&str, &str)]) -> Result<SandboxSettings> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SandboxSettings::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn the_sandbox_is_full_unless_degraded_is_asked_for_by_name() {
        assert_eq!(sandbox_from(&[]).unwrap(), SandboxSettings::default());
        assert_eq!(sandbox_from(&[]).unwrap().mode, SandboxMode::Full);
        assert_eq!((sandbox_from(&[]).unwrap().job_uid), 65534);
        let s = sandbox_from(&[
            ("OFFICE_SANDBOX", " degraded "),
            ("OFFICE_SANDBOX_UID", "1234"),
            ("OFFICE_SANDBOX_GID", "4321"),
        ])
        .unwrap();
        assert_eq!(
            (s.mode, s.job_uid, s.job_gid),
            (SandboxMode::Degraded, 1234, 4321)
        );
        assert_eq!(
            sandbox_from(&[("OFFICE_SANDBOX", "full")]).unwrap().mode,
            SandboxMode::Full
        );
        // A typo must not silently give the full sandbox nor the degraded one.
        for (name, value) in [
            ("OFFICE_SANDBOX", "degrade"),
            ("OFFICE_SANDBOX", "off"),
            ("OFFICE_SANDBOX_UID", "0"),
            ("OFFICE_SANDBOX_GID", "0"),
            ("OFFICE_SANDBOX_UID", "nobody"),
        ] {
            let e = sandbox_from(&[(name, value)]).unwrap_err();
            assert!(e.to_string().contains(name), "{name}={value}: {e}");
        }
    }

    fn artifacts_from(vars: &[(&str, &str)]) -> Result<ArtifactsLocation> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ArtifactsLocation::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn an_s3_url_moves_job_files_to_the_bucket_with_the_aws_variables() {
        assert_eq!(artifacts_from(&[]).unwrap(), ArtifactsLocation::Folder);
        // Credentials alone (set for another tool) keep the folders.
        assert_eq!(
            artifacts_from(&[("AWS_ACCESS_KEY_ID", "k")]).unwrap(),
            ArtifactsLocation::Folder
        );
        let ArtifactsLocation::S3(s) = artifacts_from(&[
            ("OFFICE_ARTIFACTS_URL", "s3://office-jobs/team/a/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
            ("OFFICE_ARTIFACTS_RETRIES", "1"),
        ])
        .unwrap() else {
            panic!("not s3")
        };
        assert_eq!(
            (s.bucket.as_str(), s.prefix.as_str()),
            ("office-jobs", "team/a")
        );
        assert_eq!(s.url(), "s3://office-jobs/team/a");
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.region, "eu-west-1");
        assert_eq!(s.access_key_id.as_deref(), Some("AKID"));
        assert_eq!((s.retries, s.timeout), (1, Duration::from_secs(60)));
        assert!(!format!("{s:?}").contains("very-secret"));
        let ArtifactsLocation::S3(s) = artifacts_from(&[
            ("OFFICE_ARTIFACTS_URL", "s3://bucket"),
            ("AWS_ENDPOINT_URL", "http://ignored:1"),
            ("AWS_ENDPOINT_URL_S3", "https://s3.example"),
        ])
        .unwrap() else {
            panic!("not s3")
        };
        assert_eq!(
            (s.url().as_str(), s.region.as_str()),
            ("s3://bucket", "us-east-1")
        );
        assert_eq!(s.endpoint.as_deref(), Some("https://s3.example"));
    }

    #[test]
    fn unusable_artifact_settings_are_errors_that_name_the_variable() {
        for (vars, named) in [
            (
                vec![("OFFICE_ARTIFACTS_URL", "/mnt/shared")],
                "OFFICE_ARTIFACTS_URL",
            ),
            (
                vec![("OFFICE_ARTIFACTS_URL", "gs://bucket")],
                "OFFICE_ARTIFACTS_URL",
            ),
            (
                vec![("OFFICE_ARTIFACTS_URL", "s3://")],
                "OFFICE_ARTIFACTS_URL",
            ),
            (
                vec![("OFFICE_ARTIFACTS_URL", "s3://Bad_Bucket/x")],
                "OFFICE_ARTIFACTS_URL",
            ),
            (
                vec![("OFFICE_ARTIFACTS_URL", "s3://bucket/a/../b")],
                "OFFICE_ARTIFACTS_URL",
            ),
            (
                vec![
                    ("OFFICE_ARTIFACTS_URL", "s3://bucket"),
                    ("AWS_ENDPOINT_URL", "127.0.0.1:9000"),
                ],
                "AWS_ENDPOINT_URL",
            ),
            (
                vec![
                    ("OFFICE_ARTIFACTS_URL", "s3://bucket"),
                    ("OFFICE_ARTIFACTS_TIMEOUT_SECS", "soon"),
                ],
                "OFFICE_ARTIFACTS_TIMEOUT_SECS",
            ),
        ] {
            let e = artifacts_from(&vars).unwrap_err();
            assert!(e.to_string().contains(named), "{vars:?}: {e}");
        }
    }

    #[test]
    fn unusable_llm_settings_are_errors_that_name_the_variable() {
        let e = llm_from(&[("OFFICE_LLM_BASE_URL", "http://127.0.0.1:8080/v1")]).unwrap_err();
        assert!(e.to_string().contains("OFFICE_LLM_MODEL"), "{e}");
        let e = llm_from(&[
            ("OFFICE_LLM_MODEL", "m"),
            ("OFFICE_LLM_BASE_URL", "127.0.0.1:8080"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("http://"), "{e}");
        let e = llm_from(&[
            ("OFFICE_LLM_MODEL", "m"),
            ("OFFICE_LLM_MAX_ATTEMPTS", "many"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("OFFICE_LLM_MAX_ATTEMPTS"), "{e}");
        let c = llm_from(&[("OFFICE_LLM_MODEL", "m"), ("OFFICE_LLM_MAX_ATTEMPTS", "0")])
            .unwrap()
            .unwrap();
        assert_eq!(c.max_attempts, 1, "at least one program is written");
    }
}
