//! The runner's last step for the kinds whose program writes facts rather than a
//! finished output: analytics jobs get the program's results merged into their
//! `summary.json`; report jobs get `report.md` written from `analysis.json` (by the
//! generator's narrator when it has one, else the built-in templates), number-checked,
//! and their inputs listed as artifacts.

use super::numbers::check_numbers;
use super::{PARAM_NOTES, PARAM_TITLE, narrative, templates};
use crate::collect::storage_key;
use crate::job::{Artifact, ArtifactKind, Job, JobError, JobKind, LogLevel};
use crate::plan::NarrativeRequest;
use crate::plan::planner::analytics::RESULTS_FILE;
use crate::plan::planner::report::ANALYSIS_FILE;
use crate::profile::FileProfile;
use crate::runner::Runner;
use serde_json::{Value, json};

const SUMMARY: &str = "summary.json";
const REPORT: &str = "report.md";

impl Runner {
    /// Runs after collect, for analytics and report jobs; other kinds are left as they are.
    pub(crate) async fn finish_kind(
        &self,
        job: &mut Job,
        profiles: &[FileProfile],
    ) -> Result<(), JobError> {
        match job.kind {
            JobKind::Analytics => self.finish_analytics(job, profiles).await,
            JobKind::Report => self.finish_report(job).await,
            JobKind::Excel => Ok(()),
        }
    }

    async fn finish_analytics(
        &self,
        job: &mut Job,
        profiles: &[FileProfile],
    ) -> Result<(), JobError> {
        let results = self.read_json(job, RESULTS_FILE).await?;
        self.extend_summary(job, |summary| {
            summary.insert("profile".into(), json!(profiles));
            summary.insert("results".into(), results);
        })
        .await
    }

    async fn finish_report(&self, job: &mut Job) -> Result<(), JobError> {
        let analysis = self.read_json(job, ANALYSIS_FILE).await?;
        let template = templates::resolve(
            job.params
                .get(super::PARAM_TEMPLATE)
                .and_then(Value::as_str),
        )
        .map_err(|e| JobError::new("invalid_template", e.to_string()))?;
        let headings: Vec<String> = template
            .sections
            .iter()
            .map(|s| s.heading.clone())
            .collect();
        let param = |name: &str| {
            job.params
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (title, notes) = (param(PARAM_TITLE), param(PARAM_NOTES));
        let request = NarrativeRequest {
            prompt: &job.prompt,
            title: &title,
            notes: &notes,
            sections: &headings,
            analysis: &analysis,
        };
        // The prose is written by the generator that wrote the program.
        let generator = self.choose_generator(job)?;
        let (markdown, narrator) = match generator.narrate(&request).await {
            Some(Ok(n)) => (n.markdown, n.generator),
            Some(Err(e)) => {
                let note = format!(
                    "the narrator could not write the report ({}); the built-in templates wrote it",
                    e.message
                );
                self.log_warn(job, note).await;
                (narrative::write(&template, &analysis), "templates".into())
            }
            None => (narrative::write(&template, &analysis), "templates".into()),
        };
        let checked = check_numbers(&markdown, &analysis);
        for dropped in &checked.dropped {
            let note = format!(
                "a sentence of the report was dropped: it states {} that analysis.json does not hold: {}",
                dropped.unsupported.join(", "),
                dropped.sentence
            );
            self.log_warn(job, note).await;
        }
        self.put_artifact(job, ArtifactKind::Report, REPORT, checked.markdown.into())
            .await?;
        // The uploaded files are part of what a report hands back (`inputs/*`).
        for input in job.inputs.clone() {
            let name = format!("inputs/{}", input.name);
            job.artifacts.retain(|a| a.name != name);
            job.artifacts.push(Artifact {
                content_type: crate::collect::content_type(&input.name),
                name,
                kind: ArtifactKind::Input,
                size: input.size,
                sha256: input.sha256,
            });
        }
        let report = json!({
            "template": template.name,
            "sections": headings,
            "narrator": narrator,
            "dropped_sentences": checked.dropped,
        });
        self.extend_summary(job, |summary| {
            summary.insert("report".into(), report);
        })
        .await
    }

    async fn read_json(&self, job: &Job, name: &str) -> Result<Value, JobError> {
        let artifact = job.artifact(name).ok_or_else(|| {
            JobError::new(
                "no_output",
                format!("the program finished but did not write {name}"),
            )
        })?;
        let data = self
            .artifacts
            .get(job.id, &storage_key(artifact.kind, name))
            .await
            .map_err(|e| JobError::new("internal", e.to_string()))?;
        serde_json::from_slice(&data).map_err(|e| {
            JobError::new(
                "invalid_output",
                format!("the program wrote {name}, but it is not valid JSON: {e}"),
            )
        })
    }

    /// Adds fields to the job's summary.json (written by collect) and stores it again.
    async fn extend_summary(
        &self,
        job: &mut Job,
        extend: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<(), JobError> {
        let mut summary = match self.read_json(job, SUMMARY).await? {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        extend(&mut summary);
        let data = serde_json::to_vec_pretty(&Value::Object(summary))
            .map_err(|e| JobError::new("internal", e.to_string()))?;
        self.put_artifact(job, ArtifactKind::Summary, SUMMARY, data.into())
            .await
    }

    async fn log_warn(&self, job: &Job, message: String) {
        self.store
            .record(
                job.id,
                crate::job::EventBody::Log {
                    level: LogLevel::Warn,
                    message,
                },
            )
            .await;
    }
}
