//! The job model: what a user asked for, where it is in the pipeline, and what it made.
//!
//! These types are the contract between the core and every face (REST, Python) and
//! every backend (SQLite, PostgreSQL, Redis): they serialize to stable JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

mod code;
pub use code::ErrorCode;

/// A job's id: a UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Uuid);

impl JobId {
    pub fn new() -> Self {
        JobId(Uuid::now_v7())
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(JobId)
    }
}

/// Generates a `&'static str` name for each variant and parses it back; the names are
/// what the store persists and the REST face shows.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} '{}': expected one of {}",
                        stringify!($name).to_lowercase(),
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

named_enum!(
    /// What a job makes: a transformed workbook, an analysis with charts, or a report.
    JobKind { Excel => "excel", Analytics => "analytics", Report => "report" }
);

named_enum!(
    /// Where a job is in its life. `Succeeded`, `Failed` and `Cancelled` are final: a job
    /// reaches exactly one of them, once.
    JobStatus {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl JobStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

named_enum!(
    /// The pipeline's stages, in order. `Queued` and `Done` bracket them.
    Stage {
        Queued => "queued",
        Profile => "profile",
        Plan => "plan",
        Validate => "validate",
        Execute => "execute",
        Collect => "collect",
        Done => "done",
    }
);

/// One uploaded file as the job keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The safe name it is stored under (see `artifacts::safe_file_name`).
    pub name: String,
    /// The name the user gave, as uploaded.
    pub original_name: String,
    pub size: u64,
    pub sha256: String,
}

/// What a finished (or failing) program left behind that the user can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    Workbook,
    Code,
    Summary,
    Chart,
    Report,
    Data,
    Log,
    Input,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Relative name inside the job's artifact space, e.g. `output.xlsx`, `inputs/a.csv`.
    pub name: String,
    pub kind: ArtifactKind,
    pub size: u64,
    pub content_type: String,
    pub sha256: String,
}

/// Why a job failed. `code` is a stable slug for programs; `message` is for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl JobError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        JobError {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// How long one stage took in the latest attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: Stage,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
}

/// A job: the unit of work every face submits and polls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub stage: Stage,
    pub prompt: String,
    /// Kind-specific request fields (a report's title, template, notes; the generator asked for).
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub inputs: Vec<InputFile>,
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<JobError>,
    /// How many times a worker has started this job.
    pub attempts: u32,
    /// Which code generator wrote the program that ran (`planner`, `llm:<model>`).
    pub generator: Option<String>,
    #[serde(default)]
    pub stages: Vec<StageTiming>,
}

impl Job {
    /// A new queued job; the caller fills `inputs` once the files are stored.
    pub fn new(kind: JobKind, prompt: impl Into<String>) -> Self {
        Job {
            id: JobId::new(),
            kind,
            status: JobStatus::Queued,
            stage: Stage::Queued,
            prompt: prompt.into(),
            params: serde_json::Map::new(),
            inputs: Vec::new(),
            artifacts: Vec::new(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            error: None,
            attempts: 0,
            generator: None,
            stages: Vec::new(),
        }
    }

    pub fn artifact(&self, name: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.name == name)
    }
}

/// Something that happened to a job, kept in order for people debugging it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub job_id: JobId,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Stage { stage: Stage },
    Status { status: JobStatus },
    Log { level: LogLevel, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// The filter for listing jobs; newest first.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub status: Option<JobStatus>,
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_and_rejects_unknown() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), *s);
        }
        let err = "done".parse::<JobStatus>().unwrap_err();
        assert!(err.contains("queued, running"), "{err}");
    }

    #[test]
    fn only_three_statuses_are_final() {
        let finals: Vec<_> = JobStatus::ALL.iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [
                &JobStatus::Succeeded,
                &JobStatus::Failed,
                &JobStatus::Cancelled
            ]
        );
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = JobId::new();
        let b = JobId::new();
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
    }

    #[test]
    fn job_json_has_stable_field_names() {
        let job = Job::new(JobKind::Excel, "sort by name");
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(v["kind"], "excel");
        assert_eq!(v["status"], "queued");
        assert_eq!(v["stage"], "queued");
        let back: Job = serde_json::from_value(v).unwrap();
        assert_eq!(back, job);
    }
}
