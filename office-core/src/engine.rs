//! The engine: what every face (REST, Python, the command line, an embedding service)
//! calls. It owns the backends and the pipeline, accepts submissions, answers queries,
//! and runs workers.

use crate::artifacts::{ArtifactStorage, ArtifactStream, FsArtifacts, S3Artifacts, safe_file_name};
use crate::collect::{self, storage_key};
use crate::config::{ArtifactsLocation, Config};
use crate::error::{Error, Result};
use crate::events::{EventBus, NotifyingStore, NumberedEvent};
use crate::execute::Executor;
use crate::job::{
    Artifact, ArtifactKind, Caller, Cursor, DEFAULT_PAGE_SIZE, ErrorCode, EventBody, InputFile,
    Job, JobError, JobEvent, JobFilter, JobId, JobKind, JobPage, JobStatus, MAX_PAGE_SIZE,
    PagePosition, PageQuery, PageRequest, TenantId,
};
use crate::keys::Keyring;
use crate::kind::{CODE_FILE, SUMMARY_FILE};
use crate::metrics::{Metrics, Scrape};
use crate::plan::llm::LlmGenerator;
use crate::plan::planner::OfflinePlanner;
use crate::plan::{CodeGenerator, GeneratorChoice};
use crate::profile::{self, FileFormat};
use crate::queue::{MemoryQueue, Queue, RedisQueue};
use crate::readiness::{Readiness, free_bytes};
use crate::retention::Sweeper;
use crate::runner::{PROFILES_KEY, Runner};
pub use crate::startup::RuntimeStatus;
use crate::startup::Startup;
use crate::store::{PostgresStore, SqliteStore, Store};
pub(crate) use crate::submission::{Submission, Upload};
use crate::validate::Policy;
pub use crate::worker::RecoveryReport;
use crate::worker::{WorkerPool, Workers};
use bytes::Bytes;
use chrono::Utc;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

mod quota;
mod threads;
pub use quota::QuotaExceeded;
pub(crate) use quota::TenantQuotas;
pub(crate) use threads::PARENT_KEY;

/// Which backends an engine runs on, for health reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backends {
    /// The job store: `sqlite`, `postgres`, or the name given to the builder.
    pub store: String,
    /// The work queue: `in-process`, `redis`, or the name given to the builder.
    pub queue: String,
    /// What `auto` picks: `llm:<model>` when a model is configured, else the planner.
    pub generator: String,
    /// Where job files are: `folder`, the object store (`s3://bucket/prefix`), or
    /// `custom` for a storage given to the builder.
    pub artifacts: String,
}

/// Cheap to clone: every clone shares the same backends.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    artifacts: Arc<dyn ArtifactStorage>,
    backends: Backends,
    /// What this engine's workers run with (the runner, the store and queue, recovery).
    workers: Workers,
    /// Bumped each time a job of this process reaches a final status, so waiters wake.
    finished: watch::Sender<u64>,
    /// Wakes readers of job events (`store` tells it of every write).
    events: Arc<EventBus>,
    /// The runtime probe and the default executor's warm-up, running in the background.
    startup: Startup,
    /// Caps the profiles of submitted files running at once on the blocking pool (one
    /// per core): a burst of large uploads queues here instead of taking every blocking
    /// thread and core from the requests around it.
    profiles: Arc<tokio::sync::Semaphore>,
    /// This process's counters and histograms (`metrics_text`).
    metrics: Metrics,
    /// Deletes expired jobs (`sweep_expired`, and beside the workers).
    sweeper: Sweeper,
    /// The API keys and the tenant each acts as (`authenticate`).
    keys: Arc<Keyring>,
    /// Each tenant's limits (the keys file's quotas over `Config::quotas`).
    quotas: TenantQuotas,
}

/// Builds an engine; every backend defaults to the embedded one.
pub struct EngineBuilder {
    config: Config,
    store: Option<(Arc<dyn Store>, String)>,
    queue: Option<(Arc<dyn Queue>, String)>,
    artifacts: Option<Arc<dyn ArtifactStorage>>,
    generator: Option<Arc<dyn CodeGenerator>>,
    llm: Option<Arc<dyn CodeGenerator>>,
    executor: Option<Arc<dyn Executor>>,
    policy: Policy,
}

impl EngineBuilder {
    /// Stores jobs in `store`; `name` is what health reports show.
    pub fn store(mut self, store: Arc<dyn Store>, name: impl Into<String>) -> Self {
        self.store = Some((store, name.into()));
        self
    }

    /// Hands jobs to workers through `queue`; `name` is what health reports show.
    pub fn queue(mut self, queue: Arc<dyn Queue>, name: impl Into<String>) -> Self {
        self.queue = Some((queue, name.into()));
        self
    }

    /// Keeps job files in `artifacts` (default: folders under `Config::jobs_dir`).
    pub fn artifacts(mut self, artifacts: Arc<dyn ArtifactStorage>) -> Self {
        self.artifacts = Some(artifacts);
        self
    }

    /// The generator for `planner` and, without a model, `auto` (default: the offline planner).
    pub fn generator(mut self, generator: Arc<dyn CodeGenerator>) -> Self {
        self.generator = Some(generator);
        self
    }

    /// The model-backed generator; by default one is made from `Config::llm` when set.
    pub fn llm(mut self, generator: Arc<dyn CodeGenerator>) -> Self {
        self.llm = Some(generator);
        self
    }

    /// Runs programs with `executor`, instead of the default warm pool behind the self-test.
    pub fn executor(mut self, executor: Arc<dyn Executor>) -> Self {
        self.executor = Some(executor);
        self
    }

    /// The code policy every program must pass (default: `Policy::default()`).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Opens the backends not given (from `Config`), builds the pipeline and the engine.
    pub async fn build(self) -> Result<Engine> {
        let config = self.config;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            Error::invalid(format!(
                "cannot create DATA_DIR {}: {e}",
                config.data_dir.display()
            ))
        })?;
        let (store, store_name) = match self.store {
            Some(s) => s,
            None => default_store(&config).await?,
        };
        let events = match &config.redis_url {
            Some(url) => EventBus::redis(url, &config.redis_prefix).await?,
            None => EventBus::local(),
        };
        let store = NotifyingStore::wrap(store, events.clone());
        // With the in-process queue, a running job found at start was this process's own
        // (it died); with a shared queue it may be a live worker's elsewhere.
        let recover_running = self.queue.is_none() && config.redis_url.is_none();
        let (queue, queue_name) = match self.queue {
            Some(q) => q,
            None => default_queue(&config).await?,
        };
        let (artifacts, artifacts_name) = match self.artifacts {
            Some(a) => (a, "custom".to_string()),
            None => default_artifacts(&config)?,
        };
        let generator = self.generator.unwrap_or_else(|| Arc::new(OfflinePlanner));
        let llm = match (self.llm, &config.llm) {
            (Some(llm), _) => Some(llm),
            (None, Some(llm_config)) => Some(Arc::new(LlmGenerator::new(
                llm_config.clone(),
                self.policy.clone(),
            )?) as Arc<dyn CodeGenerator>),
            (None, None) => None,
        };
        // The probe and the warm-up take seconds: they run in the background, and a job's
        // run waits for the warm-up (see `startup`).
        let (startup, starting) = Startup::begin(&config, self.executor.is_none());
        let executor = match (self.executor, starting) {
            (Some(e), _) | (None, Some(e)) => e,
            (None, None) => unreachable!("Startup::begin warms an executor when none is given"),
        };
        let backends = Backends {
            store: store_name,
            queue: queue_name,
            generator: llm.as_ref().unwrap_or(&generator).name(),
            artifacts: artifacts_name,
        };
        let metrics = Metrics::default();
        let runner = Arc::new(Runner {
            store: store.clone(),
            artifacts: artifacts.clone(),
            generator,
            llm,
            executor,
            policy: self.policy,
            limits: config.limits.clone(),
            scratch_dir: config.data_dir.join("scratch"),
            documents: crate::report::render::Renderer::new(&config.report, &config.python),
            metrics: metrics.clone(),
        });
        let sweeper = Sweeper {
            store: store.clone(),
            artifacts: artifacts.clone(),
            metrics: metrics.clone(),
        };
        let keys = Arc::new(Keyring::new(
            &config.api_keys,
            config.api_keys_file.as_deref(),
        )?);
        let quotas = TenantQuotas {
            keys: keys.clone(),
            defaults: config.quotas,
        };
        let (finished, _) = watch::channel(0);
        let workers = Workers {
            store: store.clone(),
            queue: queue.clone(),
            runner,
            lease: config.lease,
            max_attempts: config.max_attempts,
            grace: config.shutdown_grace,
            recover_running,
            finished: finished.clone(),
            quotas: quotas.clone(),
            retention: config
                .retention
                .map(|keep| (sweeper.clone(), keep, config.retention_sweep)),
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                config,
                store,
                queue,
                artifacts,
                backends,
                workers,
                finished,
                events,
                startup,
                profiles: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, usize::from),
                )),
                metrics,
                sweeper,
                keys,
                quotas,
            }),
        })
    }
}

/// PostgreSQL when `DATABASE_URL` is set, else SQLite under `DATA_DIR`.
async fn default_store(config: &Config) -> Result<(Arc<dyn Store>, String)> {
    Ok(match &config.database_url {
        Some(url) => (
            Arc::new(PostgresStore::connect(url, config.db_pool_size).await?),
            "postgres".into(),
        ),
        None => (
            Arc::new(SqliteStore::open(&config.sqlite_path()).await?),
            "sqlite".into(),
        ),
    })
}

/// The object store when `OFFICE_ARTIFACTS_URL` is set, else folders under `DATA_DIR`.
fn default_artifacts(config: &Config) -> Result<(Arc<dyn ArtifactStorage>, String)> {
    Ok(match &config.artifacts {
        ArtifactsLocation::Folder => (
            Arc::new(FsArtifacts::new(config.jobs_dir())),
            "folder".into(),
        ),
        ArtifactsLocation::S3(settings) => {
            (Arc::new(S3Artifacts::connect(settings)?), settings.url())
        }
    })
}

/// Redis when `REDIS_URL` is set, else the in-process queue.
async fn default_queue(config: &Config) -> Result<(Arc<dyn Queue>, String)> {
    Ok(match &config.redis_url {
        Some(url) => (
            Arc::new(RedisQueue::connect(url, &config.redis_prefix).await?),
            "redis".into(),
        ),
        None => (Arc::new(MemoryQueue::new()), "in-process".into()),
    })
}

impl Engine {
    /// A builder on `config`, every backend still the default.
    pub fn builder(config: Config) -> EngineBuilder {
        EngineBuilder {
            config,
            store: None,
            queue: None,
            artifacts: None,
            generator: None,
            llm: None,
            executor: None,
            policy: Policy::default(),
        }
    }

    /// An engine on the embedded defaults (SQLite, in-process queue, offline planner).
    pub async fn open(config: Config) -> Result<Engine> {
        Self::builder(config).build().await
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether callers must present an API key (`OFFICE_API_KEYS` or
    /// `OFFICE_API_KEYS_FILE` is set); when not, every caller is `Caller::default()`.
    pub fn requires_key(&self) -> bool {
        self.inner.keys.is_required()
    }

    /// The caller an API key acts as: its tenant, and whether it is an admin. `None`
    /// when no tenant has the key (or it was revoked: the keys file is read again when
    /// it changes).
    pub fn authenticate(&self, key: &str) -> Option<Caller> {
        self.inner.keys.authenticate(key)
    }

    /// Which backends it runs on.
    pub fn backends(&self) -> &Backends {
        &self.inner.backends
    }

    /// Whether the sandbox self-test passed (jobs are refused when it did not).
    /// `Checking` while the executor warms up and tests itself.
    pub fn sandbox_status(&self) -> crate::execute::selftest::SandboxStatus {
        self.inner.startup.sandbox()
    }

    /// What the probe of the Python runtime found (it runs in the background from
    /// `build` on).
    pub fn python_runtime(&self) -> RuntimeStatus {
        self.inner.startup.python()
    }

    /// Whether the runtime probe or the executor's warm-up is still running. Jobs are
    /// accepted meanwhile; they run once the warm-up is done.
    pub fn is_starting(&self) -> bool {
        self.inner.startup.is_starting()
    }

    /// Resolves once the runtime probe and the executor's warm-up are done, whatever
    /// they found (see `python_runtime` and `sandbox_status`).
    pub async fn started(&self) {
        self.inner.startup.started().await
    }

    /// The job store it uses.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The work queue it uses.
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.inner.queue
    }

    fn notify_finished(&self) {
        self.inner.finished.send_modify(|n| *n += 1);
    }

    /// Starts `count` workers in this process (no recovery; see `run_workers`).
    pub fn start_workers(&self, count: usize) -> WorkerPool {
        WorkerPool::start(self.inner.workers.clone(), count)
    }

    /// What every face runs: recovers what an earlier process left, runs `count`
    /// workers until `shutdown` resolves (a signal, or a whole server), then stops them
    /// within `Config::shutdown_grace`. Returns what `shutdown` returned.
    pub async fn run_workers<T>(
        &self,
        count: usize,
        shutdown: impl std::future::Future<Output = T>,
    ) -> Result<T> {
        crate::worker::run(self.inner.workers.clone(), count, shutdown).await
    }

    /// Recovers, then starts `count` workers, for a face that stops them itself
    /// (`WorkerPool::stop` keeps the configured grace).
    pub async fn start_workers_recovered(&self, count: usize) -> Result<WorkerPool> {
        crate::worker::start_recovered(self.inner.workers.clone(), count).await
    }

    /// Checks and stores the files, profiles them (so an unreadable file is refused now,
    /// with its reason), and queues the job.
    /// A follow-up (`Submission::parent`) works on what its parent made, before the files
    /// given; see `Submission::parent`.
    pub async fn submit(&self, mut submission: Submission) -> Result<Job> {
        let follow_up = match submission.parent {
            Some(parent) => Some(self.follow_up_of(&submission.tenant, parent).await?),
            None => None,
        };
        let context = match follow_up {
            Some(follow_up) => {
                let mut files = follow_up.files;
                files.append(&mut submission.files);
                submission.files = files;
                Some((follow_up.parent, follow_up.context))
            }
            None => None,
        };
        // The kind's own checks first (a report's notes files, template, empty prompt).
        crate::kind::of(submission.kind).intake(&mut submission)?;
        let prompt = submission.prompt.trim();
        if prompt.is_empty() {
            return Err(Error::invalid("prompt must not be empty"));
        }
        if prompt.len() > 20_000 {
            return Err(Error::invalid("prompt is longer than 20000 characters"));
        }
        if submission.files.is_empty() {
            return Err(Error::invalid("at least one file is required"));
        }
        let limit = self.inner.config.max_upload_bytes;
        for file in &submission.files {
            if file.data.len() as u64 > limit {
                return Err(Error::TooLarge {
                    what: format!("the file '{}'", file.name),
                    limit,
                });
            }
            if file.data.is_empty() {
                return Err(Error::UnreadableFile {
                    file: file.name.clone(),
                    reason: "the file is empty".into(),
                });
            }
            if FileFormat::from_name(&file.name).is_none() {
                let ext = file
                    .name
                    .rsplit_once('.')
                    .map(|(_, e)| format!(".{e}"))
                    .unwrap_or_else(|| "none".into());
                return Err(Error::UnreadableFile {
                    file: file.name.clone(),
                    reason: format!(
                        "unsupported file type '{ext}'; supported: {}",
                        FileFormat::SUPPORTED
                    ),
                });
            }
        }

        self.check_generator(&submission.params)?;
        let upload: u64 = submission.files.iter().map(|f| f.data.len() as u64).sum();
        // The tenant's quotas before anything is written; checked again as the job is
        // inserted, for submissions racing this one.
        self.check_quotas(&submission.tenant, upload).await?;
        self.check_free_space(upload)?;

        let mut job = Job::new(submission.kind, prompt);
        job.params = submission.params;
        job.tenant = submission.tenant;
        if let Some((parent, _)) = &context {
            job.parent = Some(parent.id);
            job.thread = Some(parent.thread_id());
        }
        // A submission dropped half-way (its client went away during a long profile)
        // leaves no files behind either.
        let abandoned = RemoveFilesOnDrop {
            artifacts: Some(self.inner.artifacts.clone()),
            job: job.id,
        };
        let stored = match self.store_inputs(&mut job, submission.files).await {
            Ok(()) => match &context {
                Some((_, told)) => self.keep_parent_context(job.id, told).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        };
        let stored = match stored {
            Ok(()) => self.insert_within_quotas(&job, upload).await,
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            // A refused or unrecorded submission leaves no files behind.
            let _ = self.inner.artifacts.delete_job(job.id).await;
            return Err(e);
        }
        abandoned.keep();
        if let Some((parent, _)) = &context
            && self.inner.store.get(parent.id).await?.is_none()
        {
            // The parent was deleted while this was submitted: no follow-up of nothing.
            self.inner.store.delete(job.id).await?;
            let _ = self.inner.artifacts.delete_job(job.id).await;
            return Err(Error::not_found(format!(
                "parent job {} not found: it was deleted while the follow-up was submitted",
                parent.id
            )));
        }
        self.inner
            .store
            .record(
                job.id,
                EventBody::Status {
                    status: JobStatus::Queued,
                },
            )
            .await;
        self.inner.queue.enqueue_for(job.id, &job.tenant).await?;
        Ok(job)
    }

    /// Refuses a submission that would leave less than `min_free_bytes` on the data
    /// folder's disk, before any of it is written (`StorageFull`, 507 over HTTP).
    fn check_free_space(&self, upload: u64) -> Result<()> {
        let config = &self.inner.config;
        match free_bytes(&config.data_dir) {
            Ok(free) if free < upload.saturating_add(config.min_free_bytes) => {
                tracing::warn!(
                    free,
                    upload,
                    reserve = config.min_free_bytes,
                    "a submission was refused: the data folder's disk is (nearly) full"
                );
                Err(Error::storage_full())
            }
            // A file system that cannot say how full it is: the writes will tell.
            _ => Ok(()),
        }
    }

    /// This process's metrics, for a face that counts its own requests.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Every metric in the Prometheus text format (`metrics::text::CONTENT_TYPE`): jobs
    /// by kind and status and the queue's depth as the shared store and queue hold them
    /// now (so every process of a deployment agrees), then this process's counters.
    /// A backend that does not answer is reported as down, not as an error.
    pub async fn metrics_text(&self) -> String {
        let counts = match self.inner.store.counts().await {
            Ok(counts) => Some(counts),
            Err(e) => {
                tracing::warn!(error = %e, "the store did not answer a metrics scrape");
                None
            }
        };
        let queue_depth = match self.inner.queue.pending().await {
            Ok(depth) => Some(depth),
            Err(e) => {
                tracing::warn!(error = %e, "the queue did not answer a metrics scrape");
                None
            }
        };
        self.inner.metrics.render(&Scrape {
            counts,
            queue_depth,
            sandbox: self.sandbox_status(),
            now: Utc::now(),
        })
    }

    /// Whether this process can take and run jobs now: the store and the queue answer,
    /// the artifact store keeps a file (and its disk has `min_free_bytes`), the runtime
    /// and the sandbox are ready.
    pub async fn readiness(&self) -> Readiness {
        use crate::execute::selftest::SandboxStatus;
        let store = self
            .inner
            .store
            .get(JobId(uuid::Uuid::nil()))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        let queue = self
            .inner
            .queue
            .pending()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        let artifacts = self.check_artifacts().await;
        let sandbox = match (self.python_runtime(), self.sandbox_status()) {
            (RuntimeStatus::Unavailable(why), _) => Err(format!("no Python runtime: {why}")),
            (RuntimeStatus::Probing, _) | (_, SandboxStatus::Checking) => {
                Err("the runtime probe and the sandbox self-test are still running".into())
            }
            (_, SandboxStatus::Refused(why)) => Err(format!("refusing jobs: {why}")),
            _ => Ok(()),
        };
        Readiness {
            checks: vec![
                Readiness::check("store", store),
                Readiness::check("queue", queue),
                Readiness::check("artifacts", artifacts),
                Readiness::check("sandbox", sandbox),
            ],
        }
    }

    /// The data folder's disk has its reserve, and the artifact store keeps, returns and
    /// deletes a small file (under a fresh id no job has, so probes at once never meet).
    async fn check_artifacts(&self) -> std::result::Result<(), String> {
        let config = &self.inner.config;
        if let Ok(free) = free_bytes(&config.data_dir)
            && free < config.min_free_bytes
        {
            return Err(format!(
                "the data folder's disk has {} MB free, less than OFFICE_MIN_FREE_MB ({} MB)",
                free >> 20,
                config.min_free_bytes >> 20
            ));
        }
        let probe = JobId::new();
        let artifacts = &self.inner.artifacts;
        let result = async {
            artifacts
                .put(probe, "probe/ready", Bytes::from_static(b"ok"))
                .await?;
            let back = artifacts.get(probe, "probe/ready").await?;
            artifacts.delete_job(probe).await?;
            if &back[..] != b"ok" {
                return Err(Error::internal("the probe file came back changed"));
            }
            Ok(())
        }
        .await;
        result.map_err(|e| e.to_string())
    }

    /// Deletes the finished jobs (and their files) older than the configured retention
    /// now, as the sweeper beside the workers does every `retention_sweep`: how many it
    /// deleted (0 when no retention is configured). Never touches a queued or running job.
    pub async fn sweep_expired(&self) -> Result<usize> {
        let Some(keep) = self.inner.config.retention else {
            return Ok(0);
        };
        self.inner
            .sweeper
            .sweep(crate::retention::cutoff(keep))
            .await
    }

    /// A job may ask for the model only where one is configured.
    fn check_generator(&self, params: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
        let choice = GeneratorChoice::from_params(params).map_err(Error::invalid)?;
        if choice == GeneratorChoice::Llm && self.inner.workers.runner.llm.is_none() {
            return Err(Error::invalid(
                "generator 'llm' was asked for, but no model is configured: set \
                 OFFICE_LLM_BASE_URL and OFFICE_LLM_MODEL (or OPENAI_BASE_URL and OPENAI_MODEL), \
                 or ask for 'auto' or 'planner'",
            ));
        }
        Ok(())
    }

    async fn keep_parent_context(
        &self,
        job: JobId,
        context: &crate::job::ParentContext,
    ) -> Result<()> {
        let data = serde_json::to_vec(context)?;
        self.inner.artifacts.put(job, PARENT_KEY, data.into()).await
    }

    async fn store_inputs(&self, job: &mut Job, files: Vec<Upload>) -> Result<()> {
        let mut profiles = Vec::with_capacity(files.len());
        for file in files {
            let name = unique_name(&safe_file_name(&file.name), job);
            let key = format!("inputs/{name}");
            let (size, sha256) = (file.data.len() as u64, collect::sha256_hex(&file.data));
            self.inner
                .artifacts
                .put(job.id, &key, file.data.clone())
                .await?;
            let profile = self.profile_upload(job.id, &key, &name, &file.data).await?;
            // Name the file as the user knows it in the error.
            let profile = profile.map_err(|e| Error::UnreadableFile {
                file: file.name.clone(),
                reason: e.reason,
            })?;
            profiles.push(profile);
            job.inputs.push(InputFile {
                name,
                original_name: file.name,
                size,
                sha256,
            });
        }
        let data = serde_json::to_vec(&profiles)?;
        self.inner
            .artifacts
            .put(job.id, PROFILES_KEY, data.into())
            .await
    }

    /// Profiles one stored upload on the blocking pool, behind the profile cap. A
    /// submission dropped while it waits for the cap (its client went away) never
    /// starts its profile; one dropped while its profile runs raises the profile's
    /// cancel flag, and the readers stop within a few thousand cells, releasing the
    /// permit (which the thread holds until then, so the cap stays true).
    async fn profile_upload(
        &self,
        job: JobId,
        key: &str,
        name: &str,
        data: &Bytes,
    ) -> Result<std::result::Result<profile::FileProfile, profile::ProfileError>> {
        let permit = self
            .inner
            .profiles
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::internal("the profile cap was closed"))?;
        let name = name.to_string();
        // Dropped with this future: a client that goes away stops its profile.
        let cancel = profile::cancel::ProfileCancel::new();
        let flag = cancel.flag();
        let metrics = self.inner.metrics.clone();
        let run = move |path: &Path| {
            let _running = metrics.profile_running();
            let profiled = profile::cancel::with_flag(flag, || profile::profile_file(path, &name));
            if matches!(&profiled, Err(e) if e.reason == profile::CANCELLED_REASON) {
                metrics.count_profile_cancelled();
            }
            profiled
        };
        Ok(match self.inner.artifacts.local_path(job, key) {
            Some(path) => {
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    run(&path)
                })
                .await?
            }
            None => {
                // Remote storage: profile a temporary local copy.
                let mut tmp = tempfile::NamedTempFile::new()?;
                std::io::Write::write_all(&mut tmp, data)?;
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    run(tmp.path())
                })
                .await?
            }
        })
    }

    /// The job `id` as `caller` may see it; `NotFound` when there is none, and just the
    /// same when it is another tenant's (for a caller that is not an admin).
    pub async fn get(&self, caller: &Caller, id: JobId) -> Result<Job> {
        self.find(caller, id)
            .await?
            .ok_or_else(|| Error::not_found(format!("job {id} not found")))
    }

    /// The job `id` when `caller` may see it: one store lookup on id and tenant together
    /// (`Store::get_owned`), so another tenant's job reads as no job at all.
    async fn find(&self, caller: &Caller, id: JobId) -> Result<Option<Job>> {
        if caller.admin {
            self.inner.store.get(id).await
        } else {
            self.inner.store.get_owned(id, &caller.tenant).await
        }
    }

    /// Like `get`, but a job of another kind is "not found" (each REST route sees its own kind).
    pub async fn get_kind(&self, caller: &Caller, id: JobId, kind: JobKind) -> Result<Job> {
        match self.find(caller, id).await? {
            Some(job) if job.kind == kind => Ok(job),
            _ => Err(Error::not_found(format!("{kind} job {id} not found"))),
        }
    }

    /// The tenant a list is narrowed to: the caller's own, or for an admin the one asked
    /// for (`None`: every tenant's).
    fn list_tenant(caller: &Caller, asked: Option<&TenantId>) -> Option<TenantId> {
        if caller.admin {
            asked.cloned()
        } else {
            Some(caller.tenant.clone())
        }
    }

    /// Jobs matching `filter` that `caller` may see, newest first; at most 1000 (100 when
    /// `limit` is not set). `filter.tenant` narrows an admin's list; every other caller
    /// sees only its own tenant's jobs.
    pub async fn list(&self, caller: &Caller, filter: &JobFilter) -> Result<Vec<Job>> {
        let mut filter = filter.clone();
        filter.limit = Some(filter.limit.unwrap_or(100).clamp(1, 1000));
        filter.tenant = Self::list_tenant(caller, filter.tenant.as_ref());
        self.inner.store.list(&filter).await
    }

    /// One page of a job list, newest first, as light items (`get` has the whole job).
    /// `limit` outside 1 to `MAX_PAGE_SIZE`, or a cursor not given out for this same
    /// list (another kind or status), is `InvalidInput` with a sentence saying so.
    /// `caller` sees only its own tenant's jobs; an admin every tenant's, or those of
    /// `request.tenant`.
    pub async fn page(&self, caller: &Caller, request: &PageRequest) -> Result<JobPage> {
        // Only an admin's own filter is in the cursor; a caller's tenant is applied anew
        // on every page.
        let filter = if caller.admin {
            request.tenant.clone()
        } else {
            None
        };
        let limit = request.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::invalid(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}; got {limit}"
            )));
        }
        let after = match request.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => {
                let cursor = Cursor::decode(text)?;
                cursor.check_list(filter.as_ref(), request.kind, request.status)?;
                Some(cursor.position)
            }
        };
        // One more than asked tells whether a next page exists without a count query.
        let mut jobs = self
            .inner
            .store
            .page(&PageQuery {
                tenant: Self::list_tenant(caller, request.tenant.as_ref()),
                kind: request.kind,
                status: request.status,
                limit: limit + 1,
                after,
            })
            .await?;
        let more = jobs.len() > limit as usize;
        jobs.truncate(limit as usize);
        let next = match jobs.last() {
            Some(last) if more => Some(
                Cursor {
                    tenant: filter,
                    kind: request.kind,
                    status: request.status,
                    position: PagePosition {
                        created_at: last.created_at,
                        id: last.id,
                    },
                }
                .encode(),
            ),
            _ => None,
        };
        Ok(JobPage { jobs, next })
    }

    /// The job's events in order; `NotFound` when there is no such job.
    pub async fn events(&self, caller: &Caller, id: JobId) -> Result<Vec<JobEvent>> {
        self.get(caller, id).await?;
        self.inner.store.events(id).await
    }

    /// The job's events after id `after` (0 for all), each with its id; `NotFound` when
    /// there is no such job.
    pub async fn events_after(
        &self,
        caller: &Caller,
        id: JobId,
        after: u64,
    ) -> Result<Vec<NumberedEvent>> {
        self.get(caller, id).await?;
        crate::events::after(&*self.inner.store, id, after).await
    }

    /// The job's events after id `after`, then each new one as it is written (by this
    /// process or, with Redis, by any other), ending after the final status or when the
    /// job is deleted. `NotFound` when there is no such job.
    pub async fn follow_events(
        &self,
        caller: &Caller,
        id: JobId,
        after: u64,
    ) -> Result<futures::stream::BoxStream<'static, Result<NumberedEvent>>> {
        self.get(caller, id).await?;
        Ok(crate::events::follow(
            self.inner.store.clone(),
            &self.inner.events,
            id,
            after,
        ))
    }

    /// Cancels a job that has not finished: a queued job ends now, a running one as soon
    /// as its worker notices (within a fraction of a second). A final job is left as is.
    pub async fn cancel(&self, caller: &Caller, id: JobId) -> Result<Job> {
        let mut job = self.get(caller, id).await?;
        if job.status.is_final() {
            return Ok(job);
        }
        self.inner.queue.cancel(id).await?;
        if job.status == JobStatus::Queued {
            job.status = JobStatus::Cancelled;
            job.error = Some(JobError::new(ErrorCode::Cancelled, "the job was cancelled"));
            job.finished_at = Some(Utc::now());
            if self.inner.store.update(&job).await? {
                self.inner
                    .store
                    .record(
                        id,
                        EventBody::Status {
                            status: JobStatus::Cancelled,
                        },
                    )
                    .await;
                self.notify_finished();
            }
        }
        self.get(caller, id).await
    }

    /// Removes one job, its events and its files, whatever follows it up.
    async fn delete_one(&self, caller: &Caller, id: JobId) -> Result<()> {
        let job = self.cancel(caller, id).await?;
        if !job.status.is_final() {
            // Give the worker a moment to stop the program before its files go.
            let _ = self.wait(caller, id, Some(Duration::from_secs(10))).await;
        }
        self.inner.store.delete(id).await?;
        self.inner.artifacts.delete_job(id).await
    }

    /// Waits until the job is final (or `timeout` passes) and returns it as it is then.
    /// `NotFound` when `caller` may not see it.
    pub async fn wait(&self, caller: &Caller, id: JobId, timeout: Option<Duration>) -> Result<Job> {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut finished = self.inner.finished.subscribe();
        loop {
            let job = self.get(caller, id).await?;
            if job.status.is_final() {
                return Ok(job);
            }
            let pause = Duration::from_millis(250);
            let until = match deadline {
                Some(d) if tokio::time::Instant::now() >= d => return Ok(job),
                Some(d) => d.min(tokio::time::Instant::now() + pause),
                None => tokio::time::Instant::now() + pause,
            };
            // Woken early by a local worker; the pause covers workers in other processes.
            let _ = tokio::time::timeout_at(until, finished.changed()).await;
        }
    }

    /// The bytes of an artifact the job produced, by its listed name.
    pub async fn read_artifact(&self, job: &Job, name: &str) -> Result<(Artifact, Bytes)> {
        let artifact = job.artifact(name).cloned().ok_or_else(|| {
            Error::not_found(format!("job {} has no artifact named {name:?}", job.id))
        })?;
        let data = self
            .inner
            .artifacts
            .get(job.id, &storage_key(artifact.kind, &artifact.name))
            .await?;
        Ok((artifact, data))
    }

    /// An artifact the job produced, by its listed name, as a stream of chunks: a large
    /// file on an object store is passed on as it arrives, never held whole. Not found
    /// (or the store down) is an error before the first chunk.
    pub async fn open_artifact(&self, job: &Job, name: &str) -> Result<(Artifact, ArtifactStream)> {
        let artifact = job.artifact(name).cloned().ok_or_else(|| {
            Error::not_found(format!("job {} has no artifact named {name:?}", job.id))
        })?;
        let stream = self
            .inner
            .artifacts
            .open(job.id, &storage_key(artifact.kind, &artifact.name))
            .await?;
        Ok((artifact, stream))
    }

    /// The program that ran (or was rejected).
    pub async fn code(&self, job: &Job) -> Result<String> {
        if job.artifact(CODE_FILE).is_none() {
            return Err(not_ready(job, "code"));
        }
        let (_, data) = self.read_artifact(job, CODE_FILE).await?;
        Ok(String::from_utf8_lossy(&data).into_owned())
    }

    /// The job's `summary.json`: its run record (stages, attempts, findings).
    pub async fn summary(&self, job: &Job) -> Result<serde_json::Value> {
        if job.artifact(SUMMARY_FILE).is_none() {
            return Err(not_ready(job, "summary"));
        }
        let (_, data) = self.read_artifact(job, SUMMARY_FILE).await?;
        Ok(serde_json::from_slice(&data)?)
    }

    /// The workbook a succeeded job produced.
    pub async fn output(&self, job: &Job) -> Result<(Artifact, Bytes)> {
        let name = output_name(job)?;
        self.read_artifact(job, &name).await
    }

    /// The workbook a succeeded job produced, as a stream (see `open_artifact`).
    pub async fn open_output(&self, job: &Job) -> Result<(Artifact, ArtifactStream)> {
        let name = output_name(job)?;
        self.open_artifact(job, &name).await
    }

    /// Makes jobs left behind by an earlier process of this engine end well (see
    /// `worker::recover`). Safe to run from every process, at any time.
    pub async fn recover(&self) -> Result<RecoveryReport> {
        crate::worker::recover::recover(&self.inner.workers).await
    }
}

/// Removes a submission's files when dropped before `keep` (see `Engine::submit`).
struct RemoveFilesOnDrop {
    artifacts: Option<Arc<dyn ArtifactStorage>>,
    job: JobId,
}

impl RemoveFilesOnDrop {
    fn keep(mut self) {
        self.artifacts = None;
    }
}

impl Drop for RemoveFilesOnDrop {
    fn drop(&mut self) {
        if let Some(artifacts) = self.artifacts.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let job = self.job;
            runtime.spawn(async move {
                let _ = artifacts.delete_job(job).await;
            });
        }
    }
}

/// The name of the workbook a succeeded job produced.
fn output_name(job: &Job) -> Result<String> {
    let found = job
        .artifacts
        .iter()
        .find(|a| a.kind == ArtifactKind::Workbook)
        .map(|a| a.name.clone());
    match (job.status, found) {
        (JobStatus::Succeeded, Some(name)) => Ok(name),
        (JobStatus::Succeeded, None) => Err(Error::not_found(format!(
            "job {} produced no workbook",
            job.id
        ))),
        _ => Err(not_ready(job, "output")),
    }
}

fn not_ready(job: &Job, what: &str) -> Error {
    match (job.status, &job.error) {
        (JobStatus::Failed | JobStatus::Cancelled, Some(e)) => Error::NotReady(format!(
            "job {} has no {what}: it {} ({})",
            job.id, job.status, e.message
        )),
        _ => Error::NotReady(format!(
            "job {} has no {what} yet: it is {} (stage {})",
            job.id, job.status, job.stage
        )),
    }
}

/// `name`, or `name (2)`, `name (3)`, ... when the job already has an input called that.
fn unique_name(name: &str, job: &Job) -> String {
    if !job.inputs.iter().any(|i| i.name == name) {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (2..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|c| !job.inputs.iter().any(|i| &i.name == c))
        .unwrap()
}
