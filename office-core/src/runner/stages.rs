//! What each stage does. Each returns what the next one needs and adds to the run's
//! record; none reads back what an earlier stage stored.

use super::attempts::{Attempt, Failure};
use super::record::{CollectRecord, Execution, RunRecord};
use super::scratch::Scratch;
use super::{PROFILES_KEY, Runner, StageResult, internal, push_artifact, stored};
use crate::collect::{self, storage_key};
use crate::error::Result;
use crate::execute::{ExecOutcome, ExecRequest, ExitKind};
use crate::job::{ArtifactKind, ErrorCode, Job, JobError, JobId, LogLevel};
use crate::kind::{CODE_FILE, Kind, PROGRAM_REPORT_FILE, SUMMARY_FILE};
use crate::plan::{CallLog, CodeGenerator, GeneratorChoice, Plan, PlanRequest, Setback};
use crate::profile::{self, FileProfile};
use crate::validate;
use bytes::Bytes;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

impl Runner {
    /// The inputs' profiles: those computed at submission, else computed now.
    pub(super) async fn profile(
        &self,
        job: &mut Job,
        scratch: &Scratch,
    ) -> StageResult<Vec<FileProfile>> {
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
                .map_err(stored)?;
            let name = input.name.clone();
            let profile = tokio::task::spawn_blocking(move || profile::profile_file(&path, &name))
                .await
                .map_err(internal)?
                .map_err(|e| {
                    JobError::new(ErrorCode::UnreadableFile, e.to_string())
                        .with_details(json!({"file": e.file}))
                })?;
            profiles.push(profile);
        }
        let data = serde_json::to_vec(&profiles).map_err(internal)?;
        self.artifacts
            .put(job.id, PROFILES_KEY, data.into())
            .await
            .map_err(stored)?;
        Ok(profiles)
    }

    /// What a follow-up was told of its parent at submission (`None` for other jobs, and
    /// when it cannot be read: the job then runs as one on its own files).
    async fn parent_context(&self, job: &Job) -> Option<crate::job::ParentContext> {
        job.parent?;
        let data = self
            .artifacts
            .get(job.id, crate::engine::PARENT_KEY)
            .await
            .ok()?;
        match serde_json::from_slice(&data) {
            Ok(context) => Some(context),
            Err(e) => {
                tracing::warn!(id = %job.id, error = %e, "the parent's context cannot be read");
                None
            }
        }
    }

    /// The generator the job asked for (`generator` in its params).
    pub(super) fn choose_generator(&self, job: &Job) -> StageResult<Arc<dyn CodeGenerator>> {
        let choice = GeneratorChoice::from_params(&job.params)
            .map_err(|e| JobError::new(ErrorCode::InvalidGenerator, e))?;
        match (choice, &self.llm) {
            (GeneratorChoice::Planner, _) | (GeneratorChoice::Auto, None) => {
                Ok(self.generator.clone())
            }
            (GeneratorChoice::Llm | GeneratorChoice::Auto, Some(llm)) => Ok(llm.clone()),
            (GeneratorChoice::Llm, None) => Err(JobError::new(
                ErrorCode::GeneratorUnavailable,
                "the job asked for the LLM generator, but no model is configured on this \
                 worker (OFFICE_LLM_BASE_URL, OFFICE_LLM_MODEL)",
            )),
        }
    }

    /// The plan stage: a program from the generator, kept as `generated.py` (and as
    /// `code/attempt-<n>.py` when the generator has more than one try).
    pub(super) async fn plan(
        &self,
        job: &mut Job,
        generator: &dyn CodeGenerator,
        attempt: &Attempt<'_>,
        profiles: &[FileProfile],
        calls: &CallLog,
    ) -> std::result::Result<Plan, Failure> {
        let previous = attempt.previous;
        let feedback = previous.map(|p| crate::plan::llm::feedback::text(&p.setback));
        let parent = self.parent_context(job).await;
        let req = PlanRequest {
            kind: job.kind,
            prompt: &job.prompt,
            profiles,
            params: &job.params,
            previous_error: feedback.as_deref(),
            previous_code: previous.and_then(|p| p.code.as_deref()),
            calls: Some(calls),
            parent: parent.as_ref(),
        };
        let plan = generator.generate(&req).await.map_err(|e| {
            let error = JobError::new(e.code, e.message.clone()).with_details(json!({
                "understood": e.understood,
                "operations": e.operations,
                "columns": e.columns,
                "suggestions": e.suggestions,
            }));
            let setback = (e.code == ErrorCode::NoCodeInReply).then_some(Setback::NoCode);
            Failure { error, setback }
        })?;
        self.put_artifact(job, ArtifactKind::Code, CODE_FILE, plan.code.clone().into())
            .await?;
        if attempt.max > 1 {
            let name = attempt.file();
            self.put_artifact(job, ArtifactKind::Code, &name, plan.code.clone().into())
                .await?;
        }
        Ok(plan)
    }

    /// The validate stage: the policy on the program's AST; every finding is kept.
    pub(super) async fn validate(&self, plan: &Plan) -> std::result::Result<(), Failure> {
        let code = plan.code.clone();
        let policy = self.policy.clone();
        let violations = tokio::task::spawn_blocking(move || validate::validate(&code, &policy))
            .await
            .map_err(internal)?;
        if violations.is_empty() {
            return Ok(());
        }
        self.metrics.count_rejection(&violations);
        let first = &violations[0];
        let error = JobError::new(
            ErrorCode::CodeRejected,
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
        .with_details(json!({ "violations": violations }));
        Err(Failure {
            error,
            setback: Some(Setback::Rejected(violations)),
        })
    }

    /// The execute stage: the program in the sandbox; its output kept as logs.
    pub(super) async fn execute(
        &self,
        job: &mut Job,
        plan: &Plan,
        scratch: &Scratch,
    ) -> std::result::Result<ExecOutcome, Failure> {
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for input in &job.inputs {
            inputs.push(
                self.program_input_path(job.id, &input.name, scratch)
                    .await
                    .map_err(stored)?,
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
            .map_err(|e| JobError::new(ErrorCode::RuntimeUnavailable, e.to_string()))?;
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
            ExitKind::Timeout => ErrorCode::Timeout,
            ExitKind::Killed => ErrorCode::ResourceLimit,
            ExitKind::HarnessFailure => ErrorCode::RuntimeUnavailable,
            _ => ErrorCode::ExecutionFailed,
        };
        self.log(job.id, LogLevel::Error, outcome.message.clone())
            .await;
        let stderr_tail = crate::plan::llm::feedback::tail(&outcome.stderr, 4000);
        let error = JobError::new(code, outcome.message.clone()).with_details(json!({
            "exit": outcome.exit,
            "exit_code": outcome.exit_code,
            "signal": outcome.signal,
            "error": outcome.error,
            "stderr_tail": stderr_tail,
        }));
        // Whether the generator is shown it is the repair loop's decision (by its code).
        let setback = Some(Setback::Raised {
            python: outcome.error.clone(),
            message: outcome.message.clone(),
            stderr_tail: stderr_tail.to_string(),
        });
        Err(Failure { error, setback })
    }

    /// The collect stage: what the program left in its output folder becomes the job's
    /// artifacts; returns the bytes of the kind's output file for its finish step.
    pub(super) async fn collect(
        &self,
        job: &mut Job,
        kind: &dyn Kind,
        outcome: &ExecOutcome,
        scratch: &Scratch,
        record: &mut RunRecord,
    ) -> StageResult<Option<Bytes>> {
        let (dir, limits) = (scratch.output_dir(), self.limits.clone());
        let collected =
            tokio::task::spawn_blocking(move || collect::collect_outputs(&dir, &limits))
                .await
                .map_err(internal)?
                .map_err(|e| match e.is_user_error() {
                    // A produced file the collect refuses: the program's doing, said plainly.
                    true => JobError::new(ErrorCode::OutputRejected, e.to_string()),
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
        let alternative = kind.also_accepted();
        if let Some(expected) = record.plan.as_ref().and_then(|p| p.output.as_ref())
            && !collected
                .files
                .iter()
                .any(|f| &f.name == expected || Some(f.name.as_str()) == alternative)
        {
            return Err(JobError::new(
                ErrorCode::NoOutput,
                format!("the program finished but did not write {expected} to its output folder"),
            ));
        }
        let kind_output = kind.contract().output;
        let mut output = None;
        let mut after = Vec::new();
        let mut program_report = Value::Null;
        for file in &collected.files {
            if file.name == SUMMARY_FILE {
                // The name is the job's own summary, written at the end.
                let note = "the program's own summary.json was not kept: the job writes its summary under that name";
                self.log(job.id, LogLevel::Warn, note.into()).await;
                continue;
            }
            if Some(file.name.as_str()) == alternative && file.name != kind_output {
                // Stored only if the finish step accepts it (it reads it from the output
                // folder): a rejected workbook must not look like the job's output.
                continue;
            }
            let data = Bytes::from(tokio::fs::read(&file.path).await.map_err(internal)?);
            if file.name == PROGRAM_REPORT_FILE {
                program_report = serde_json::from_slice(&data).unwrap_or(Value::Null);
            }
            if file.name == kind_output {
                output = Some(data.clone());
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
                .put(job.id, &storage_key(kind, &file.name), data)
                .await
                .map_err(stored)?;
            push_artifact(job, file.name.clone(), kind, file.size, file.sha256.clone());
        }
        // Formulas and links in produced workbooks that fetch from outside: into the
        // log and the summary, so nobody opens them unaware.
        for found in &collected.external_references {
            let note = format!(
                "{} reaches outside when opened ({} in {}): {}",
                found.file, found.kind, found.part, found.detail
            );
            self.log(job.id, LogLevel::Warn, note).await;
        }
        record.collected = Some(CollectRecord {
            after,
            execution: Execution {
                duration_ms: outcome.duration_ms,
                stdout_truncated: outcome.stdout_truncated,
                stderr_truncated: outcome.stderr_truncated,
            },
            program_report,
            skipped: collected.skipped,
            external_references: collected.external_references,
        });
        Ok(output)
    }

    /// The input the program reads: the upload itself, or, for a workbook whose formulas
    /// have no stored results, a copy with them calculated (the values the profile saw).
    /// The uploaded artifact is never changed; the copy lives in the run's scratch folder
    /// and is made once per run.
    async fn program_input_path(
        &self,
        job: JobId,
        name: &str,
        scratch: &Scratch,
    ) -> Result<PathBuf> {
        let original = self.input_path(job, name, scratch).await?;
        if !matches!(
            profile::FileFormat::from_name(name),
            Some(profile::FileFormat::Xlsx | profile::FileFormat::Xlsm)
        ) {
            return Ok(original);
        }
        let filled_path = scratch.filled_dir().join(name);
        if filled_path.exists() {
            return Ok(filled_path);
        }
        let source = original.clone();
        let filled =
            tokio::task::spawn_blocking(move || profile::formulas::fill_missing(&source)).await;
        match filled {
            Ok(Ok(Some(filled))) => {
                tokio::fs::create_dir_all(scratch.filled_dir()).await?;
                tokio::fs::write(&filled_path, &filled.bytes).await?;
                Ok(filled_path)
            }
            // No formula lacks a result, or the engine could not calculate them: the
            // program reads the upload (the profile said so in a note).
            _ => Ok(original),
        }
    }

    /// A local path for an input: the file itself when the storage keeps local files,
    /// else a copy in the run's scratch folder (staged once per run, chunk by chunk, under
    /// a temporary name so a broken download never looks like the input).
    pub(super) async fn input_path(
        &self,
        job: JobId,
        name: &str,
        scratch: &Scratch,
    ) -> Result<PathBuf> {
        let key = format!("inputs/{name}");
        if let Some(path) = self.artifacts.local_path(job, &key) {
            return Ok(path);
        }
        let path = scratch.inputs_dir().join(name);
        if !path.exists() {
            tokio::fs::create_dir_all(scratch.inputs_dir()).await?;
            let partial = scratch.inputs_dir().join(format!(".partial-{name}"));
            let staged = stage(&*self.artifacts, job, &key, &partial).await;
            if let Err(e) = staged {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e);
            }
            tokio::fs::rename(&partial, &path).await?;
        }
        Ok(path)
    }
}

/// Copies a stored file to `dest` as it arrives.
async fn stage(
    artifacts: &dyn crate::artifacts::ArtifactStorage,
    job: JobId,
    key: &str,
    dest: &std::path::Path,
) -> Result<()> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut stream = artifacts.open(job, key).await?;
    let mut file = tokio::fs::File::create(dest).await?;
    while let Some(chunk) = stream.next().await {
        file.write_all(&chunk?).await?;
    }
    file.flush().await?;
    Ok(())
}
