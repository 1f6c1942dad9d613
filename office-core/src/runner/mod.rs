//! Runs one job through the pipeline: profile → plan → validate → execute → collect,
//! then the kind's finish step. This file orders the stages; each concern has its own:
//!
//! - `stages`: what each stage does (profile, plan, validate, execute, collect);
//! - `attempts`: plan → validate → execute → collect and finish as a bounded repair loop
//!   for generators that learn from a failure (a model), up to
//!   `CodeGenerator::max_attempts` programs; the same failure twice ends it early;
//! - `record`: the typed record of the run every stage adds to, written as summary.json
//!   once at the end (a failed run keeps how far it got and why it stopped);
//! - `scratch`: the per-run output and working folders.
//!
//! Each stage is timed and recorded on the job as it happens, so a job that fails still
//! shows how far it got and keeps its inputs, code and logs.

#![warn(missing_docs, unreachable_pub)]

mod attempts;
mod record;
mod scratch;
mod stages;

use crate::artifacts::ArtifactStorage;
use crate::collect::{self, storage_key};
use crate::config::Limits;
use crate::execute::Executor;
use crate::job::{Artifact, ArtifactKind, ErrorCode, EventBody, Job, JobError, JobId, LogLevel};
use crate::job::{Stage, StageTiming};
use crate::kind::{self, FinishInput, SUMMARY_FILE};
use crate::plan::CodeGenerator;
use crate::store::Store;
use crate::validate::Policy;
use bytes::Bytes;
use chrono::Utc;
use record::RunRecord;
use scratch::Scratch;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Key under which the profiles computed at submission are kept.
pub(crate) const PROFILES_KEY: &str = "meta/profiles.json";

/// What the pipeline needs to run a job; built by the engine, shared by its workers.
pub(crate) struct Runner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) artifacts: Arc<dyn ArtifactStorage>,
    /// The offline (or embedder's) generator: `planner`, and `auto` without a model.
    pub(crate) generator: Arc<dyn CodeGenerator>,
    /// The model, when one is configured: `llm`, and `auto`.
    pub(crate) llm: Option<Arc<dyn CodeGenerator>>,
    pub(crate) executor: Arc<dyn Executor>,
    pub(crate) policy: Policy,
    pub(crate) limits: Limits,
    /// Local folder for per-run output and working folders.
    pub(crate) scratch_dir: PathBuf,
    /// Makes a report's HTML, Word and PDF documents.
    pub(crate) documents: crate::report::render::Renderer,
    /// Where stage durations, rejections and model calls are counted.
    pub(crate) metrics: crate::metrics::Metrics,
}

/// What a failed stage says; becomes the job's `error`.
type StageResult<T> = std::result::Result<T, JobError>;

impl Runner {
    /// Runs a claimed (running) job. Progress is written to the store as it goes; the
    /// final status is the caller's to write, so that it is written exactly once.
    pub(crate) async fn run(&self, job: &mut Job) -> StageResult<()> {
        job.stages.clear();
        job.artifacts.clear();
        job.error = None;
        let mut record = RunRecord::default();
        let result = self.run_stages(job, &mut record).await;
        // Counted whatever the outcome: a failed job's stages took time too.
        for timing in &job.stages {
            self.metrics
                .observe_stage(job.kind, timing.stage, timing.duration_ms / 1000.0);
        }
        for call in record.calls.calls() {
            self.metrics.observe_model_call(&call);
        }
        if let Err(error) = &result
            && let Err(e) = self.write_summary(job, &record, Some(error)).await
        {
            tracing::warn!(id = %job.id, error = %e.message, "could not keep the summary of a failed job");
        }
        result
    }

    async fn run_stages(&self, job: &mut Job, record: &mut RunRecord) -> StageResult<()> {
        let scratch = Scratch::create(&self.scratch_dir, job.id).map_err(internal)?;
        let clock = self.begin(job, Stage::Profile).await?;
        let profiles = self.profile(job, &scratch).await;
        record.profiles = finish(job, clock, profiles)?;

        self.write_and_run(job, &scratch, record).await?;
        self.write_summary(job, record, None).await?;
        job.stage = Stage::Done;
        Ok(())
    }

    /// Collect and the kind's finish step (the last part of an attempt, so that a finish
    /// that refuses what the program wrote, such as an excel edit script whose result has
    /// new formula errors, goes back to the repair loop).
    async fn collect_and_finish(
        &self,
        job: &mut Job,
        generator: &dyn CodeGenerator,
        outcome: &crate::execute::ExecOutcome,
        scratch: &Scratch,
        record: &mut RunRecord,
    ) -> StageResult<()> {
        let kind = kind::of(job.kind);
        let output = self.collect(job, kind, outcome, scratch, record).await?;
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            inputs.push(
                self.input_path(job.id, &input.name, scratch)
                    .await
                    .map_err(stored)?,
            );
        }
        let output_dir = scratch.output_dir();
        let finished = kind
            .finish(FinishInput {
                job,
                profiles: &record.profiles,
                output: output.as_ref(),
                generator,
                inputs: &inputs,
                output_dir: &output_dir,
                documents: &self.documents,
            })
            .await?;
        for warning in finished.warnings {
            self.log(job.id, LogLevel::Warn, warning).await;
        }
        for (kind, name, data) in finished.files {
            if let Some(profile) = profile_made(&name, &data).await
                && let Some(collected) = record.collected.as_mut()
            {
                // The finish step's workbook replaces a program-written one of that name.
                collected.after.retain(|p| p.name != profile.name);
                collected.after.push(profile);
            }
            self.put_artifact(job, kind, &name, data).await?;
        }
        for artifact in finished.listed {
            job.artifacts.retain(|a| a.name != artifact.name);
            job.artifacts.push(artifact);
        }
        record.kind = finished.results;
        Ok(())
    }

    async fn write_summary(
        &self,
        job: &mut Job,
        record: &RunRecord,
        error: Option<&JobError>,
    ) -> StageResult<()> {
        let summary = record.summary(job, error);
        let data = serde_json::to_vec_pretty(&summary).map_err(internal)?;
        self.put_artifact(job, ArtifactKind::Summary, SUMMARY_FILE, data.into())
            .await
    }

    /// Enters a stage: recorded on the job, in the store and in the job's events.
    async fn begin(&self, job: &mut Job, stage: Stage) -> StageResult<StageClock> {
        job.stage = stage;
        self.store.update(job).await.map_err(stored)?;
        self.store.record(job.id, EventBody::Stage { stage }).await;
        Ok(StageClock {
            stage,
            started_at: Utc::now(),
            clock: Instant::now(),
        })
    }

    async fn log(&self, job_id: JobId, level: LogLevel, message: String) {
        self.store
            .record(job_id, EventBody::Log { level, message })
            .await;
    }

    /// Stores bytes as an artifact of the job and lists it on the job.
    pub(crate) async fn put_artifact(
        &self,
        job: &mut Job,
        kind: ArtifactKind,
        name: &str,
        data: Bytes,
    ) -> StageResult<()> {
        let (size, sha256) = (data.len() as u64, collect::sha256_hex(&data));
        self.artifacts
            .put(job.id, &storage_key(kind, name), data)
            .await
            .map_err(stored)?;
        push_artifact(job, name.to_string(), kind, size, sha256);
        Ok(())
    }
}

/// When a stage started, to record its duration whether it succeeded or not.
struct StageClock {
    stage: Stage,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
}

/// The profile of a data file a finish step made (summary.json's `after`); `None` for
/// files that are not data or that cannot be profiled.
async fn profile_made(name: &str, data: &Bytes) -> Option<crate::profile::FileProfile> {
    crate::profile::FileFormat::from_name(name)?;
    let (name, data) = (name.to_string(), data.clone());
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join(&name);
        std::fs::write(&path, &data).ok()?;
        crate::profile::profile_file(&path, &name).ok()
    })
    .await
    .ok()
    .flatten()
}

fn finish<T, E>(job: &mut Job, clock: StageClock, result: Result<T, E>) -> Result<T, E> {
    job.stages.push(StageTiming {
        stage: clock.stage,
        started_at: clock.started_at,
        duration_ms: clock.clock.elapsed().as_secs_f64() * 1000.0,
    });
    result
}

fn push_artifact(job: &mut Job, name: String, kind: ArtifactKind, size: u64, sha256: String) {
    job.artifacts.retain(|a| a.name != name);
    let content_type = collect::content_type(&name);
    job.artifacts.push(Artifact {
        name,
        kind,
        size,
        content_type,
        sha256,
    });
}

/// A failure to read or write the job's files or record: `storage_full` when the disk
/// is full (said plainly, and not retried), the store's own code when an object store
/// failed (named in the message, retried later like other transient failures), else
/// internal.
fn stored(e: crate::error::Error) -> JobError {
    match e {
        crate::error::Error::StorageFull(message) => {
            tracing::error!("a job's files could not be kept: the disk is full");
            JobError::new(ErrorCode::StorageFull, message)
        }
        crate::error::Error::ArtifactStore(message) => {
            tracing::warn!(error = %message, "the artifact store failed during a job");
            JobError::new(ErrorCode::ArtifactStoreUnavailable, message)
        }
        e => internal(e),
    }
}

fn internal(e: impl std::fmt::Display) -> JobError {
    tracing::error!(error = %e, "internal error while running a job");
    JobError::new(
        ErrorCode::Internal,
        format!("an internal error stopped the job: {e}"),
    )
}
