//! Runs one job through the pipeline: profile → plan → validate → execute → collect.
//! Each stage is timed and recorded on the job as it happens, so a job that fails
//! still shows how far it got and keeps its inputs, code and logs.
//!
//! Plan → validate → execute is a bounded repair loop for generators that can learn
//! from a failure (a model): a program the validator rejects, or that raises, goes back
//! with the findings or the traceback, up to `CodeGenerator::max_attempts` programs in
//! all; the same failure twice ends it early. Every attempt's program, findings and error
//! stay on the job (`code/attempt-<n>.py`, `attempts` in summary.json, one event each).

use crate::artifacts::ArtifactStorage;
use crate::collect::{self, storage_key};
use crate::config::Limits;
use crate::error::Result;
use crate::execute::{ExecOutcome, ExecRequest, Executor, ExitKind};
use crate::job::{
    Artifact, ArtifactKind, EventBody, Job, JobError, JobId, LogLevel, Stage, StageTiming,
};
use crate::plan::{CallLog, CodeGenerator, GeneratorChoice, ModelCall, Plan, PlanRequest};
use crate::profile::{self, FileProfile};
use crate::store::Store;
use crate::validate::{self, Policy};
use bytes::Bytes;
use chrono::Utc;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Key under which the profiles computed at submission are kept.
pub const PROFILES_KEY: &str = "meta/profiles.json";

pub struct Runner {
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
}

/// What a failed stage says; becomes the job's `error`.
type StageResult<T> = std::result::Result<T, JobError>;

impl Runner {
    /// Runs a claimed (running) job. Progress is written to the store as it goes; the
    /// final status is the caller's to write, so that it is written exactly once.
    pub async fn run(&self, job: &mut Job) -> StageResult<()> {
        job.stages.clear();
        job.artifacts.clear();
        job.error = None;
        let mut progress = Progress::default();
        let result = self.run_stages(job, &mut progress).await;
        if let Err(error) = &result {
            // A failed job keeps a summary of how far it got and why it stopped.
            let calls = progress.calls.calls();
            let facts = SummaryFacts {
                plan: progress.plan.as_ref(),
                before: progress.profiles.as_deref().unwrap_or_default(),
                error: Some(error),
                attempts: &progress.attempts,
                calls: &calls,
                ..SummaryFacts::default()
            };
            let data = serde_json::to_vec_pretty(&summary_json(job, &facts)).unwrap_or_default();
            if let Err(e) = self
                .put_artifact(job, ArtifactKind::Summary, "summary.json", data.into())
                .await
            {
                tracing::warn!(id = %job.id, error = %e.message, "could not keep the summary of a failed job");
            }
        }
        result
    }

    async fn run_stages(&self, job: &mut Job, progress: &mut Progress) -> StageResult<()> {
        let scratch = Scratch::create(&self.scratch_dir, job.id).map_err(internal)?;
        let clock = self.begin(job, Stage::Profile).await?;
        let profiles = self.profile(job, &scratch).await;
        let profiles = finish(job, clock, profiles)?;
        progress.profiles = Some(profiles.clone());
        let profiles: &[FileProfile] = &profiles;

        let (plan, outcome) = self
            .write_and_run(job, profiles, &scratch, progress)
            .await?;
        let plan: &Plan = &plan;

        let clock = self.begin(job, Stage::Collect).await?;
        let mut collected = self
            .collect(job, plan, profiles, &outcome, &scratch, progress)
            .await;
        if collected.is_ok() {
            // Analytics and report jobs: results into the summary, report.md written.
            collected = self.finish_kind(job, profiles).await;
        }
        finish(job, clock, collected)?;
        job.stage = Stage::Done;
        Ok(())
    }

    /// Enters a stage: recorded on the job, in the store and in the job's events.
    async fn begin(&self, job: &mut Job, stage: Stage) -> StageResult<StageClock> {
        job.stage = stage;
        self.store.update(job).await.map_err(internal)?;
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

    async fn profile(&self, job: &mut Job, scratch: &Scratch) -> StageResult<Vec<FileProfile>> {
        if let Ok(stored) = self.artifacts.get(job.id, PROFILES_KEY).await
            && let Ok(profiles) = serde_json::from_slice::<Vec<FileProfile>>(&stored)
            && profiles.len() == job.inputs.len()
        {
            return Ok(profiles);
        }
        let mut profiles = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            let path = self
                .input_path(job.id, &input.name, scratch)
                .await
                .map_err(internal)?;
            let name = input.name.clone();
            let profile = tokio::task::spawn_blocking(move || profile::profile_file(&path, &name))
                .await
                .map_err(internal)?
                .map_err(|e| {
                    JobError::new("unreadable_file", e.to_string())
                        .with_details(json!({"file": e.file}))
                })?;
            profiles.push(profile);
        }
        let data = serde_json::to_vec(&profiles).map_err(internal)?;
        self.artifacts
            .put(job.id, PROFILES_KEY, data.into())
            .await
            .map_err(internal)?;
        Ok(profiles)
    }

    /// The generator the job asked for (`generator` in its params).
    pub(crate) fn choose_generator(&self, job: &Job) -> StageResult<Arc<dyn CodeGenerator>> {
        let choice = GeneratorChoice::from_params(&job.params)
            .map_err(|e| JobError::new("invalid_generator", e))?;
        match (choice, &self.llm) {
            (GeneratorChoice::Planner, _) | (GeneratorChoice::Auto, None) => {
                Ok(self.generator.clone())
            }
            (GeneratorChoice::Llm | GeneratorChoice::Auto, Some(llm)) => Ok(llm.clone()),
            (GeneratorChoice::Llm, None) => Err(JobError::new(
                "generator_unavailable",
                "the job asked for the LLM generator, but no model is configured on this \
                 worker (OFFICE_LLM_BASE_URL, OFFICE_LLM_MODEL)",
            )),
        }
    }

    /// Plan → validate → execute until a program runs, the generator's attempts are used
    /// up, or the same failure comes back.
    async fn write_and_run(
        &self,
        job: &mut Job,
        profiles: &[FileProfile],
        scratch: &Scratch,
        progress: &mut Progress,
    ) -> StageResult<(Plan, ExecOutcome)> {
        let generator = self.choose_generator(job)?;
        // Said even when no program comes back (the model cannot be reached).
        job.generator = Some(generator.name());
        let max = generator.max_attempts().max(1);
        let mut previous: Option<Previous> = None;
        for number in 1..=max {
            if number > 1 {
                scratch.reset().map_err(internal)?;
            }
            let attempt = Attempt {
                number,
                max,
                previous: previous.as_ref(),
            };
            let result = self
                .attempt(job, &*generator, &attempt, profiles, scratch, progress)
                .await;
            let code = progress.plan.as_ref().map(|p| p.code.clone());
            let code_name = (max > 1 && code.is_some()).then(|| attempt_file(number));
            let failure = match result {
                Ok(done) => {
                    if number > 1 {
                        let note = format!("attempt {number} of {max} ran");
                        self.log(job.id, LogLevel::Info, note).await;
                    }
                    progress.attempts.push(json!({
                        "attempt": number, "code": code_name, "outcome": "succeeded",
                    }));
                    return Ok(done);
                }
                Err(failure) => failure,
            };
            progress.attempts.push(json!({
                "attempt": number, "code": code_name, "outcome": failure.error.code,
                "error": failure.error,
            }));
            // A generator with one attempt (the deterministic planner) fails as it always did.
            let Some(feedback) = failure.feedback.filter(|_| max > 1) else {
                return Err(failure.error);
            };
            let signature = failure_signature(&failure.error);
            let same_again = previous.as_ref().is_some_and(|p| p.signature == signature);
            if number == max || same_again {
                let why = if same_again {
                    format!(
                        "the same failure came back on attempt {number}, so the model was not asked again"
                    )
                } else {
                    format!("{max} programs were written and none worked")
                };
                self.log(
                    job.id,
                    LogLevel::Error,
                    format!(
                        "attempt {number} of {max} failed ({}); {why}",
                        failure.error.code
                    ),
                )
                .await;
                return Err(give_up(failure.error, number, &why));
            }
            self.log(
                job.id,
                LogLevel::Warn,
                format!(
                    "attempt {number} of {max} failed ({}): {}; asking {} to fix it",
                    failure.error.code,
                    failure.error.message,
                    generator.name()
                ),
            )
            .await;
            previous = Some(Previous {
                code,
                feedback,
                signature,
            });
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// One program: written, checked and run. A failure the generator could learn from
    /// carries feedback for it.
    async fn attempt(
        &self,
        job: &mut Job,
        generator: &dyn CodeGenerator,
        attempt: &Attempt<'_>,
        profiles: &[FileProfile],
        scratch: &Scratch,
        progress: &mut Progress,
    ) -> Result<(Plan, ExecOutcome), Failure> {
        progress.plan = None;
        let clock = self.begin(job, Stage::Plan).await?;
        let plan = self
            .plan(job, generator, attempt, profiles, &progress.calls)
            .await;
        let plan = finish(job, clock, plan).map_err(|error| {
            let feedback = (error.code == "no_code_in_reply").then(|| {
                "Your reply held no Python program. Reply with the whole program in one \
                 ```python fenced block."
                    .to_string()
            });
            Failure { error, feedback }
        })?;
        job.generator = Some(plan.generator.clone());
        progress.plan = Some(plan.clone());

        let clock = self.begin(job, Stage::Validate).await?;
        let validated = self.validate(&plan).await;
        finish(job, clock, validated).map_err(|error| Failure {
            feedback: Some(findings_feedback(&error)),
            error,
        })?;

        let clock = self.begin(job, Stage::Execute).await?;
        let outcome = self.execute(job, &plan, scratch).await;
        let outcome = finish(job, clock, outcome).map_err(|error| Failure {
            // Timeouts and resource limits are not sent back: each try would cost the
            // whole limit again, and a rewrite rarely makes the data smaller.
            feedback: (error.code == "execution_failed").then(|| run_feedback(&error)),
            error,
        })?;
        if let Some(expected) = &plan.output
            && attempt.max > 1
            && !std::fs::symlink_metadata(scratch.output_dir().join(expected))
                .is_ok_and(|m| m.is_file())
        {
            return Err(Failure {
                error: JobError::new(
                    "no_output",
                    format!(
                        "the program finished but did not write {expected} to its output folder"
                    ),
                ),
                feedback: Some(format!(
                    "It ran without an error but did not write {expected} into OUTPUT_DIR. \
                     Write it there, as the contract says."
                )),
            });
        }
        Ok((plan, outcome))
    }

    async fn plan(
        &self,
        job: &mut Job,
        generator: &dyn CodeGenerator,
        attempt: &Attempt<'_>,
        profiles: &[FileProfile],
        calls: &CallLog,
    ) -> StageResult<Plan> {
        let previous = attempt.previous;
        let req = PlanRequest {
            kind: job.kind,
            prompt: &job.prompt,
            profiles,
            params: &job.params,
            previous_error: previous.map(|p| p.feedback.as_str()),
            previous_code: previous.and_then(|p| p.code.as_deref()),
            calls: Some(calls),
        };
        let plan = generator.generate(&req).await.map_err(|e| {
            JobError::new(e.code.clone(), e.message.clone()).with_details(json!({
                "understood": e.understood,
                "operations": e.operations,
                "columns": e.columns,
            }))
        })?;
        self.put_artifact(
            job,
            ArtifactKind::Code,
            "generated.py",
            plan.code.clone().into(),
        )
        .await?;
        if attempt.max > 1 {
            let name = attempt_file(attempt.number);
            self.put_artifact(job, ArtifactKind::Code, &name, plan.code.clone().into())
                .await?;
        }
        Ok(plan)
    }

    async fn validate(&self, plan: &Plan) -> StageResult<()> {
        let code = plan.code.clone();
        let policy = self.policy.clone();
        let violations = tokio::task::spawn_blocking(move || validate::validate(&code, &policy))
            .await
            .map_err(internal)?;
        if violations.is_empty() {
            return Ok(());
        }
        let first = &violations[0];
        Err(JobError::new(
            "code_rejected",
            format!(
                "the generated program was rejected by the code policy: {} (line {}, {}){}",
                first.message,
                first.line,
                first.code,
                if violations.len() > 1 {
                    format!(" and {} more", violations.len() - 1)
                } else {
                    String::new()
                }
            ),
        )
        .with_details(json!({ "violations": violations })))
    }

    async fn execute(
        &self,
        job: &mut Job,
        plan: &Plan,
        scratch: &Scratch,
    ) -> StageResult<ExecOutcome> {
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            inputs.push(
                self.input_path(job.id, &input.name, scratch)
                    .await
                    .map_err(internal)?,
            );
        }
        let req = ExecRequest {
            code: plan.code.clone(),
            inputs,
            output_dir: scratch.output_dir(),
            work_dir: scratch.work_dir(),
            limits: self.limits.clone(),
        };
        // A run that could not even start (no interpreter) is a setup problem that a
        // retry would not fix: fail the job with the reason.
        let outcome = self
            .executor
            .run(req)
            .await
            .map_err(|e| JobError::new("runtime_unavailable", e.to_string()))?;
        for (name, text) in [
            ("stdout.txt", &outcome.stdout),
            ("stderr.txt", &outcome.stderr),
        ] {
            if !text.is_empty() {
                self.put_artifact(job, ArtifactKind::Log, name, text.clone().into())
                    .await?;
            }
        }
        if outcome.succeeded() {
            return Ok(outcome);
        }
        let code = match outcome.exit {
            ExitKind::Timeout => "timeout",
            ExitKind::Killed => "resource_limit",
            ExitKind::HarnessFailure => "runtime_unavailable",
            _ => "execution_failed",
        };
        self.log(job.id, LogLevel::Error, outcome.message.clone())
            .await;
        Err(
            JobError::new(code, outcome.message.clone()).with_details(json!({
                "exit": outcome.exit,
                "exit_code": outcome.exit_code,
                "signal": outcome.signal,
                "error": outcome.error,
                "stderr_tail": tail(&outcome.stderr, 4000),
            })),
        )
    }

    async fn collect(
        &self,
        job: &mut Job,
        plan: &Plan,
        profiles: &[FileProfile],
        outcome: &ExecOutcome,
        scratch: &Scratch,
        progress: &Progress,
    ) -> StageResult<()> {
        let (dir, limits) = (scratch.output_dir(), self.limits.clone());
        let collected =
            tokio::task::spawn_blocking(move || collect::collect_outputs(&dir, &limits))
                .await
                .map_err(internal)?
                .map_err(|e| match e.is_user_error() {
                    // A produced file the collect refuses: the program's doing, said plainly.
                    true => JobError::new("output_rejected", e.to_string()),
                    false => internal(e),
                })?;
        for note in &collected.skipped {
            self.log(
                job.id,
                LogLevel::Warn,
                format!("output not collected: {note}"),
            )
            .await;
        }
        if let Some(expected) = &plan.output
            && !collected.files.iter().any(|f| &f.name == expected)
        {
            return Err(JobError::new(
                "no_output",
                format!("the program finished but did not write {expected} to its output folder"),
            ));
        }
        let mut after = Vec::new();
        let mut program_report = Value::Null;
        for file in &collected.files {
            if file.name == "summary.json" {
                // The name is the job's own summary, written below.
                let note = "the program's own summary.json was not kept: the job writes its summary under that name";
                self.log(job.id, LogLevel::Warn, note.into()).await;
                continue;
            }
            let data = tokio::fs::read(&file.path).await.map_err(internal)?;
            if file.name == "result.json" {
                program_report = serde_json::from_slice(&data).unwrap_or(Value::Null);
            }
            if crate::profile::FileFormat::from_name(&file.name).is_some() {
                let (path, name) = (file.path.clone(), file.name.clone());
                if let Ok(Ok(p)) =
                    tokio::task::spawn_blocking(move || profile::profile_file(&path, &name)).await
                {
                    after.push(p);
                }
            }
            let kind = collect::artifact_kind(&file.name);
            self.artifacts
                .put(job.id, &storage_key(kind, &file.name), data.into())
                .await
                .map_err(internal)?;
            push_artifact(job, file.name.clone(), kind, file.size, file.sha256.clone());
        }
        let calls = progress.calls.calls();
        let facts = SummaryFacts {
            plan: Some(plan),
            before: profiles,
            after: &after,
            outcome: Some(outcome),
            program_report: Some(&program_report),
            skipped: &collected.skipped,
            error: None,
            attempts: &progress.attempts,
            calls: &calls,
        };
        let mut summary = summary_json(job, &facts);
        self.report_external_references(job, &collected, &mut summary)
            .await;
        let data = serde_json::to_vec_pretty(&summary).map_err(internal)?;
        self.put_artifact(job, ArtifactKind::Summary, "summary.json", data.into())
            .await?;
        Ok(())
    }

    /// Formulas and links in produced workbooks that fetch from outside: into the log and
    /// summary.json (`external_references`), so nobody opens them unaware.
    async fn report_external_references(
        &self,
        job: &Job,
        collected: &collect::Collected,
        summary: &mut Value,
    ) {
        for found in &collected.external_references {
            let note = format!(
                "{} reaches outside when opened ({} in {}): {}",
                found.file, found.kind, found.part, found.detail
            );
            self.log(job.id, LogLevel::Warn, note).await;
        }
        summary["external_references"] = json!(collected.external_references);
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
            .map_err(internal)?;
        push_artifact(job, name.to_string(), kind, size, sha256);
        Ok(())
    }

    /// A local path for an input, copied out of the artifact storage when it is remote.
    async fn input_path(&self, job: JobId, name: &str, scratch: &Scratch) -> Result<PathBuf> {
        let key = format!("inputs/{name}");
        if let Some(path) = self.artifacts.local_path(job, &key) {
            return Ok(path);
        }
        let path = scratch.inputs_dir().join(name);
        if !path.exists() {
            tokio::fs::create_dir_all(scratch.inputs_dir()).await?;
            tokio::fs::write(&path, self.artifacts.get(job, &key).await?).await?;
        }
        Ok(path)
    }
}

/// When a stage started, to record its duration whether it succeeded or not.
struct StageClock {
    stage: Stage,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
}

fn finish<T>(job: &mut Job, clock: StageClock, result: StageResult<T>) -> StageResult<T> {
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

fn internal(e: impl std::fmt::Display) -> JobError {
    tracing::error!(error = %e, "internal error while running a job");
    JobError::new(
        "internal",
        format!("an internal error stopped the job: {e}"),
    )
}

fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

fn sheet_shapes(profiles: &[FileProfile]) -> Value {
    Value::Array(
        profiles
            .iter()
            .map(|p| {
                json!({
                    "file": p.name,
                    "format": p.format,
                    "sheets": p.sheets.iter().map(|s| json!({
                        "name": s.name,
                        "rows": s.data_rows,
                        "columns": s.columns.len(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// What a run learned on its way, kept for the summary even when a stage fails.
#[derive(Default)]
struct Progress {
    profiles: Option<Vec<FileProfile>>,
    /// The latest attempt's program.
    plan: Option<Plan>,
    /// One entry per program written: its number, code artifact, outcome and error.
    attempts: Vec<Value>,
    /// The model calls made for this run.
    calls: CallLog,
}

/// Where the repair loop is.
struct Attempt<'a> {
    number: u32,
    max: u32,
    previous: Option<&'a Previous>,
}

/// The previous attempt, as the generator sees it on a repair.
struct Previous {
    /// None when no program came back at all.
    code: Option<String>,
    /// The findings or the traceback, written for the generator.
    feedback: String,
    /// What makes two failures the same one.
    signature: String,
}

/// An attempt that failed; `feedback` when the generator could learn from it.
struct Failure {
    error: JobError,
    feedback: Option<String>,
}

impl From<JobError> for Failure {
    fn from(error: JobError) -> Self {
        Failure {
            error,
            feedback: None,
        }
    }
}

fn attempt_file(number: u32) -> String {
    format!("attempt-{number}.py")
}

/// The validator's findings as the model should read them (at most 20).
fn findings_feedback(error: &JobError) -> String {
    let mut text = String::from("The code checker rejected it:\n");
    let violations = error.details["violations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for v in violations.iter().take(20) {
        text.push_str(&format!(
            "- line {}, column {}, {}: {}\n",
            v["line"],
            v["col"],
            v["code"].as_str().unwrap_or_default(),
            v["message"].as_str().unwrap_or_default()
        ));
    }
    if violations.len() > 20 {
        text.push_str(&format!("- and {} more\n", violations.len() - 20));
    }
    if violations.is_empty() {
        text.push_str(&error.message);
    }
    text
}

/// The exception and the end of its traceback (or of the error output).
fn run_feedback(error: &JobError) -> String {
    let python = &error.details["error"];
    let (text, tail_of) = match python["exc_type"].as_str() {
        Some(exc) => (
            format!(
                "It raised {exc}{}: {}",
                python["line"]
                    .as_u64()
                    .map(|l| format!(" at line {l}"))
                    .unwrap_or_default(),
                python["message"].as_str().unwrap_or_default()
            ),
            python["traceback"].as_str().unwrap_or_default(),
        ),
        None => (
            format!("It failed: {}", error.message),
            error.details["stderr_tail"].as_str().unwrap_or_default(),
        ),
    };
    let tail_of = tail(tail_of, 3000).replace("```", "`\u{200b}``");
    if tail_of.trim().is_empty() {
        return text;
    }
    format!(
        "{text}\n\nThe end of its traceback:\n```\n{}\n```",
        tail_of.trim_end()
    )
}

/// Two failures are the same when the same rules fire with the same messages, the same
/// exception is raised with the same message (line numbers aside), or, for failures with
/// no details (no program in the reply, no output file), they have the same code.
fn failure_signature(error: &JobError) -> String {
    if let Some(violations) = error.details["violations"].as_array() {
        let mut found: Vec<String> = violations
            .iter()
            .map(|v| format!("{}:{}", v["code"], v["message"]))
            .collect();
        found.sort();
        found.dedup();
        return format!("{}|{}", error.code, found.join("|"));
    }
    let python = &error.details["error"];
    if python.is_object() {
        return format!(
            "{}|{}|{}",
            error.code, python["exc_type"], python["message"]
        );
    }
    // No program, or no output file: the kind of failure is all there is to compare.
    error.code.clone()
}

/// The last failure, said to be the last: the job ends with its code.
fn give_up(mut error: JobError, attempts: u32, why: &str) -> JobError {
    error.message = format!("{} ({why})", error.message);
    if let Value::Object(details) = &mut error.details {
        details.insert("attempts".into(), json!(attempts));
    } else {
        error.details = json!({ "attempts": attempts });
    }
    error
}

/// Everything the summary is made of; a failed run has only some of it.
#[derive(Default)]
struct SummaryFacts<'a> {
    plan: Option<&'a Plan>,
    before: &'a [FileProfile],
    after: &'a [FileProfile],
    outcome: Option<&'a ExecOutcome>,
    program_report: Option<&'a Value>,
    skipped: &'a [String],
    error: Option<&'a JobError>,
    attempts: &'a [Value],
    calls: &'a [ModelCall],
}

/// What was asked, what was done, the shape of the data before and after, and how long
/// each stage took.
fn summary_json(job: &Job, facts: &SummaryFacts<'_>) -> Value {
    json!({
        "job_id": job.id,
        "kind": job.kind,
        "status": if facts.error.is_some() { "failed" } else { "succeeded" },
        "prompt": job.prompt,
        "generator": facts.plan.map(|p| &p.generator),
        "steps": facts.plan.map(|p| &p.steps),
        "output": facts.plan.and_then(|p| p.output.as_ref()),
        "error": facts.error,
        "before": sheet_shapes(facts.before),
        "after": sheet_shapes(facts.after),
        "program_report": facts.program_report,
        "execution": facts.outcome.map(|o| json!({
            "duration_ms": o.duration_ms,
            "stdout_truncated": o.stdout_truncated,
            "stderr_truncated": o.stderr_truncated,
        })),
        "outputs_skipped": facts.skipped,
        "attempts": facts.attempts,
        "llm": llm_summary(facts.calls),
        "stages": job.stages.iter().map(|s| json!({"stage": s.stage, "duration_ms": s.duration_ms})).collect::<Vec<_>>(),
        "inputs": job.inputs,
    })
}

/// Token usage and latency of the job's model calls; null when it made none.
fn llm_summary(calls: &[ModelCall]) -> Value {
    if calls.is_empty() {
        return Value::Null;
    }
    let sum = |f: fn(&ModelCall) -> Option<u64>| -> Option<u64> {
        calls
            .iter()
            .map(f)
            .try_fold(0u64, |acc, n| n.map(|n| acc + n))
    };
    json!({
        "model": calls[0].model,
        "calls": calls,
        "prompt_tokens": sum(|c| c.prompt_tokens),
        "completion_tokens": sum(|c| c.completion_tokens),
        "total_tokens": sum(|c| c.total_tokens),
        "latency_ms": calls.iter().map(|c| c.latency_ms).sum::<f64>(),
    })
}

/// The per-run output and working folders, removed when the run ends.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn create(base: &Path, job: JobId) -> std::io::Result<Scratch> {
        let root = base.join(format!("{job}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(root.join("out"))?;
        std::fs::create_dir_all(root.join("work"))?;
        Ok(Scratch { root })
    }

    /// Empties the output and working folders, so an attempt sees nothing of the last one.
    fn reset(&self) -> std::io::Result<()> {
        for dir in [self.output_dir(), self.work_dir()] {
            std::fs::remove_dir_all(&dir)?;
            std::fs::create_dir_all(&dir)?;
        }
        Ok(())
    }

    fn output_dir(&self) -> PathBuf {
        self.root.join("out")
    }

    fn work_dir(&self) -> PathBuf {
        self.root.join("work")
    }

    /// Where inputs are copied when the artifact storage keeps no local files.
    fn inputs_dir(&self) -> PathBuf {
        self.root.join("inputs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
