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
mod counts;
mod page;
pub(crate) mod rfc3339;
mod tenant;
mod thread;
mod usage;
pub use code::ErrorCode;
pub use counts::{JobCount, JobCounts};
pub(crate) use page::Cursor;
pub use page::{
    DEFAULT_PAGE_SIZE, JobPage, JobSummary, MAX_PAGE_SIZE, PagePosition, PageQuery, PageRequest,
};
pub use tenant::{Caller, Quotas, TenantId};
pub use thread::{ParentContext, Thread};
pub use usage::{TenantUsage, Usage};

/// A job's id: a UUID v7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Uuid);

impl JobId {
    /// A fresh id, unique and later than every id made before it in this process.
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
    ($(#[$m:meta])* $name:ident {
        $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name stored and shown for this value (what `FromStr` parses back).
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
    JobKind {
        /// A request on a workbook or CSV that writes a changed workbook (`output.xlsx`).
        Excel => "excel",
        /// Questions answered from the data: facts, charts and a short answer.
        Analytics => "analytics",
        /// A written report on the files (`report.md`), with the facts behind it.
        Report => "report",
    }
);

named_enum!(
    /// Where a job is in its life. `Succeeded`, `Failed` and `Cancelled` are final: a job
    /// reaches exactly one of them, once.
    JobStatus {
        /// Waiting for a worker.
        Queued => "queued",
        /// A worker is running it.
        Running => "running",
        /// Final: it made what was asked.
        Succeeded => "succeeded",
        /// Final: it ended with a `JobError`.
        Failed => "failed",
        /// Final: cancelled before it ended.
        Cancelled => "cancelled",
    }
);

impl JobStatus {
    /// Whether the job has ended: succeeded, failed or cancelled.
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
        /// Not started yet.
        Queued => "queued",
        /// Reading what is in each input file.
        Profile => "profile",
        /// A generator writes the program.
        Plan => "plan",
        /// The program is checked against the policy.
        Validate => "validate",
        /// The program runs in the sandbox.
        Execute => "execute",
        /// What the program wrote becomes the job's artifacts.
        Collect => "collect",
        /// Past the last stage, whatever the outcome.
        Done => "done",
    }
);

/// One uploaded file as the job keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputFile {
    /// The safe name it is stored under (see `artifacts::safe_file_name`).
    pub name: String,
    /// The name the user gave, as uploaded.
    pub original_name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What a finished (or failing) program left behind that the user can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ArtifactKind {
    /// The changed workbook an excel job writes.
    Workbook,
    /// The generated program (`generated.py`, and each attempt's).
    Code,
    /// `summary.json`: the run's record.
    Summary,
    /// A chart the program drew (PNG, SVG, JPEG).
    Chart,
    /// A report's text (`report.md`).
    Report,
    /// Data the program wrote (JSON, CSV), such as `analysis.json`.
    Data,
    /// What the program printed, or another text log.
    Log,
    /// A copy of an input file, kept with the job.
    Input,
    /// Anything else the program wrote.
    Other,
}

/// A file a job made (or kept) that the user can fetch, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Artifact {
    /// Relative name inside the job's artifact space, e.g. `output.xlsx`, `inputs/a.csv`.
    pub name: String,
    /// What the file is, from its name and the job's kind.
    pub kind: ArtifactKind,
    /// Size in bytes.
    pub size: u64,
    /// MIME type, sent when the file is downloaded.
    pub content_type: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// Why a job failed. `code` is a stable slug for programs; `message` is for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobError {
    /// Why, as a decision faces and workers can branch on.
    pub code: ErrorCode,
    /// What happened, in words for the user.
    pub message: String,
    /// Facts for programs that read the error (the violations, the file); null when none.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl JobError {
    /// An error with no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        JobError {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    /// The same error with `details` attached.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// How long one stage took in the latest attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageTiming {
    /// The stage timed.
    pub stage: Stage,
    /// When it started.
    #[serde(
        serialize_with = "rfc3339::serialize",
        deserialize_with = "rfc3339::deserialize"
    )]
    pub started_at: DateTime<Utc>,
    /// How long it ran, in milliseconds.
    pub duration_ms: f64,
}

/// A job: the unit of work every face submits and polls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// Its id, which every call about it takes.
    pub id: JobId,
    /// What kind of job it is.
    pub kind: JobKind,
    /// Where it is in its life.
    pub status: JobStatus,
    /// The stage it is in, or reached last.
    pub stage: Stage,
    /// The request in plain language.
    pub prompt: String,
    /// Kind-specific request fields (a report's title, template, notes; the generator asked for).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The uploaded files, in upload order (the first is `INPUT_PATH`).
    pub inputs: Vec<InputFile>,
    /// What it made, once collected (plus its code and summary).
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    /// When it was submitted.
    #[serde(
        serialize_with = "rfc3339::serialize",
        deserialize_with = "rfc3339::deserialize"
    )]
    pub created_at: DateTime<Utc>,
    /// When a worker first started it.
    #[serde(
        default,
        serialize_with = "rfc3339::serialize_option",
        deserialize_with = "rfc3339::deserialize_option"
    )]
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached its final status.
    #[serde(
        default,
        serialize_with = "rfc3339::serialize_option",
        deserialize_with = "rfc3339::deserialize_option"
    )]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed; `None` unless `status` is `Failed`.
    pub error: Option<JobError>,
    /// How many times a worker has started this job.
    pub attempts: u32,
    /// Which code generator wrote the program that ran (`planner`, `llm:<model>`).
    pub generator: Option<String>,
    /// The stages of the latest attempt, with their timings.
    #[serde(default)]
    pub stages: Vec<StageTiming>,
    /// The job this one follows up (it works on that job's results); null when none.
    #[serde(default)]
    pub parent: Option<JobId>,
    /// The first job of the thread this one belongs to; null for a job that follows
    /// up no other.
    #[serde(default)]
    pub thread: Option<JobId>,
    /// Who the job belongs to (`default` when the engine has no tenants).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tenant: TenantId,
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
            parent: None,
            thread: None,
            tenant: TenantId::default(),
        }
    }

    /// The id of the thread the job is in: its `thread`, or its own id when it is first.
    pub fn thread_id(&self) -> JobId {
        self.thread.unwrap_or(self.id)
    }

    /// Bytes of the job's files kept in the artifact store: its inputs and what it made
    /// (a report lists its inputs among its artifacts too; they count once).
    pub fn stored_bytes(&self) -> u64 {
        let inputs: u64 = self.inputs.iter().map(|i| i.size).sum();
        let made: u64 = self
            .artifacts
            .iter()
            .filter(|a| a.kind != ArtifactKind::Input)
            .map(|a| a.size)
            .sum();
        inputs + made
    }

    /// The artifact named `name`, if the job has one.
    pub fn artifact(&self, name: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.name == name)
    }
}

/// Something that happened to a job, kept in order for people debugging it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobEvent {
    /// The job it is about.
    pub job_id: JobId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What a `JobEvent` says happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventBody {
    /// The job entered a stage.
    Stage {
        /// The stage entered.
        stage: Stage,
    },
    /// The job's status changed.
    Status {
        /// The new status.
        status: JobStatus,
    },
    /// A message for people reading the job's history.
    Log {
        /// How much it matters.
        level: LogLevel,
        /// What happened, in words.
        message: String,
    },
}

/// How much a `Log` event matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LogLevel {
    /// Worth knowing.
    Info,
    /// Something went wrong but the job went on.
    Warn,
    /// Something failed.
    Error,
}

/// The filter for listing jobs; newest first.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this tenant's jobs.
    pub tenant: Option<TenantId>,
    /// Only jobs of this kind.
    pub kind: Option<JobKind>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// At most this many jobs.
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
        assert!(v["parent"].is_null() && v["thread"].is_null(), "{v}");
        let back: Job = serde_json::from_value(v).unwrap();
        assert_eq!(back, job);
    }

    #[test]
    fn a_job_stored_before_threads_reads_back_without_them() {
        let job = Job::new(JobKind::Excel, "sort by name");
        let mut v = serde_json::to_value(&job).unwrap();
        let map = v.as_object_mut().unwrap();
        map.remove("parent");
        map.remove("thread");
        let back: Job = serde_json::from_value(v).unwrap();
        assert_eq!(back.parent, None);
        assert_eq!(back.thread_id(), job.id);
    }
}
