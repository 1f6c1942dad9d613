//! The record of one run: every stage adds what it learned, and summary.json is written
//! from it once, at the end. A failed run has only part of it: its summary says how far
//! it got and why it stopped.

use crate::collect::external::ExternalReference;
use crate::job::{ErrorCode, Job, JobError};
use crate::kind::KindResults;
use crate::plan::{CallLog, ModelCall, Plan};
use crate::profile::FileProfile;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// What a run learned on its way.
#[derive(Default)]
pub(super) struct RunRecord {
    /// The inputs' profiles (`before`).
    pub(super) profiles: Vec<FileProfile>,
    /// The latest attempt's program.
    pub(super) plan: Option<Plan>,
    /// One entry per program written.
    pub(super) attempts: Vec<AttemptRecord>,
    /// The model calls made for this run.
    pub(super) calls: CallLog,
    /// What collect found; only a run that got through execute has it.
    pub(super) collected: Option<CollectRecord>,
    /// What the kind's finish step made of it.
    pub(super) kind: KindResults,
}

/// One program written: its number, code artifact, outcome and error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct AttemptRecord {
    pub(super) attempt: u32,
    /// `code/attempt-<n>.py` when the generator had more than one try.
    pub(super) code: Option<String>,
    pub(super) outcome: AttemptOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<JobError>,
}

/// How an attempt ended: `succeeded`, or its error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AttemptOutcome {
    Succeeded,
    Failed(ErrorCode),
}

impl Serialize for AttemptOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AttemptOutcome::Succeeded => s.serialize_str("succeeded"),
            AttemptOutcome::Failed(code) => code.serialize(s),
        }
    }
}

/// What the collect stage took, and how the program that made it ran.
#[derive(Debug, Clone, Default)]
pub(super) struct CollectRecord {
    /// Profiles of the data files the program wrote (`after`).
    pub(super) after: Vec<FileProfile>,
    pub(super) execution: Execution,
    /// `result.json` as the program wrote it, or null.
    pub(super) program_report: Value,
    /// Why each skipped output was skipped.
    pub(super) skipped: Vec<String>,
    pub(super) external_references: Vec<ExternalReference>,
}

/// The program's run, as the summary shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Execution {
    pub(super) duration_ms: f64,
    pub(super) stdout_truncated: bool,
    pub(super) stderr_truncated: bool,
}

impl RunRecord {
    /// What was asked, what was done, the shape of the data before and after, and how
    /// long each stage took. With an `error`, only what a failed run can say.
    pub(super) fn summary(&self, job: &Job, error: Option<&JobError>) -> Value {
        let done = match error {
            None => self.collected.as_ref(),
            Some(_) => None,
        };
        let plan = self.plan.as_ref();
        let mut summary = json!({
            "job_id": job.id,
            "kind": job.kind,
            "status": if error.is_some() { "failed" } else { "succeeded" },
            "prompt": job.prompt,
            "generator": plan.map(|p| &p.generator),
            "steps": plan.map(|p| &p.steps),
            "output": plan.and_then(|p| p.output.as_ref()),
            "error": error,
            "before": sheet_shapes(&self.profiles),
            "after": sheet_shapes(done.map(|c| &c.after[..]).unwrap_or_default()),
            "program_report": done.map(|c| &c.program_report),
            "execution": done.map(|c| &c.execution),
            "outputs_skipped": done.map(|c| &c.skipped[..]).unwrap_or_default(),
            "attempts": self.attempts,
            "llm": llm_summary(&self.calls.calls()),
            "stages": job.stages.iter().map(|s| json!({"stage": s.stage, "duration_ms": s.duration_ms})).collect::<Vec<_>>(),
            "inputs": job.inputs,
        });
        if let (Some(done), Value::Object(map)) = (done, &mut summary) {
            map.insert(
                "external_references".into(),
                json!(done.external_references),
            );
            self.kind.write_into(map);
        }
        summary
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobKind;

    #[test]
    fn attempts_serialise_as_before() {
        let ok = AttemptRecord {
            attempt: 2,
            code: Some("attempt-2.py".into()),
            outcome: AttemptOutcome::Succeeded,
            error: None,
        };
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"attempt": 2, "code": "attempt-2.py", "outcome": "succeeded"})
        );
        let error = JobError::new(ErrorCode::CodeRejected, "no");
        let failed = AttemptRecord {
            attempt: 1,
            code: None,
            outcome: AttemptOutcome::Failed(error.code),
            error: Some(error),
        };
        let v = serde_json::to_value(&failed).unwrap();
        assert_eq!(v["outcome"], "code_rejected");
        assert_eq!(v["error"]["code"], "code_rejected");
        assert_eq!(v["code"], Value::Null);
    }

    #[test]
    fn a_failed_summary_keeps_no_collected_or_kind_fields() {
        let job = Job::new(JobKind::Analytics, "total");
        let record = RunRecord {
            collected: Some(CollectRecord {
                skipped: vec!["x".into()],
                ..CollectRecord::default()
            }),
            kind: KindResults::Analytics(crate::kind::analytics::Results {
                profile: Vec::new(),
                results: json!({"n": 1}),
            }),
            ..RunRecord::default()
        };
        let ok = record.summary(&job, None);
        assert_eq!(ok["status"], "succeeded");
        assert_eq!(ok["results"], json!({"n": 1}));
        assert_eq!(ok["outputs_skipped"], json!(["x"]));
        assert!(ok["external_references"].is_array());
        let error = JobError::new(ErrorCode::InvalidOutput, "bad");
        let failed = record.summary(&job, Some(&error));
        assert_eq!(failed["status"], "failed");
        assert_eq!(failed["error"]["code"], "invalid_output");
        assert!(failed.get("results").is_none());
        assert!(failed.get("external_references").is_none());
        assert_eq!(failed["execution"], Value::Null);
        assert_eq!(failed["outputs_skipped"], json!([]));
    }
}
