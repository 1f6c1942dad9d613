//! The JSON bodies the handlers answer with, typed so that the OpenAPI document is
//! generated from them (`openapi`).

use office_core::{Artifact, JobId, JobKind, JobStatus, JobSummary, NumberedEvent};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `GET .../jobs`: one page of jobs, newest first, as light items.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// The jobs, newest first (the whole job is had by id).
    pub jobs: Vec<JobSummary>,
    /// How many jobs `jobs` holds.
    pub count: usize,
    /// The `cursor` of the following page; `null` on the last page.
    pub next: Option<String>,
}

/// `GET .../jobs/{id}/artifacts`: what the job made so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArtifactList {
    pub job_id: JobId,
    pub status: JobStatus,
    pub artifacts: Vec<Artifact>,
}

/// `DELETE .../jobs/{id}`: the job and its files are gone.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: JobId,
    /// Always true.
    pub deleted: bool,
    /// Every job removed: with `cascade=true` the follow-ups too, newest first, then
    /// this one; else this one alone.
    pub jobs: Vec<JobId>,
}

/// `GET .../jobs/{id}/code`: the program that ran.
#[derive(Debug, Serialize, ToSchema)]
pub struct Code {
    pub job_id: JobId,
    /// Which generator wrote it (`planner`, `llm:<model>`).
    pub generator: Option<String>,
    /// The Python source.
    pub code: String,
}

/// `GET .../jobs/{id}/events` without `Accept: text/event-stream`: the job's events so
/// far (after `Last-Event-ID` when sent), in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub job_id: JobId,
    pub events: Vec<NumberedEvent>,
}

/// `GET .../examples`: requests of one kind the planner plans, for hints.
#[derive(Debug, Serialize, ToSchema)]
pub struct Examples {
    pub kind: JobKind,
    /// Each a whole request, naming columns the way a user would.
    pub examples: Vec<&'static str>,
}

/// `GET /api/health`: whether jobs can run, and on what.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when jobs cannot run (no interpreter, the sandbox refusing).
    pub status: String,
    /// The server's version.
    pub version: String,
    /// The job store (`sqlite`, `postgres`).
    pub store: String,
    /// The work queue (`in-process`, `redis`).
    pub queue: String,
    /// Where job files are (`folder`, or the object store's `s3://bucket/prefix`).
    pub artifacts: String,
    /// What `generator=auto` picks.
    pub generator: String,
    /// The interpreter's version, or why it cannot run.
    pub python: String,
    /// What the sandbox self-test found.
    pub sandbox: String,
}

/// `GET /api/health/live`: the process answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Live {
    /// Always `alive`.
    pub status: String,
}

/// `GET /api/health/ready`: whether this process can take and run jobs now (200), or
/// what is not ready (503).
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready` or `not ready`.
    pub status: String,
    /// `ok`, or each backend that is not ready with why (`sandbox: ...; store: ...`).
    pub detail: String,
    /// Each backend's answer: store, queue, artifacts, sandbox.
    pub checks: Vec<office_core::ReadinessCheck>,
}

/// Every error: FastAPI's `{"detail": ...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: Detail,
}

/// A sentence, FastAPI's list of field errors, or a program the code policy rejected.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Detail {
    Message(String),
    Fields(Vec<FieldError>),
    Rejected(Rejection),
}

/// One request field that is missing or invalid (FastAPI's shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// `missing` or `value_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "<field>"]`.
    pub loc: Vec<String>,
    /// What is wrong, in words.
    pub msg: String,
    /// The value sent, when there was one (null for a missing field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
}

/// A program the code policy rejected, with every violation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rejection {
    pub message: String,
    /// Each with `code`, `line`, `col` and `message`.
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<Value>,
}

/// `GET /api/usage`: what tenants use now and their limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageList {
    /// The caller's own tenant; for an admin key every tenant with jobs (or the one asked
    /// for), by name.
    pub tenants: Vec<office_core::Usage>,
}
