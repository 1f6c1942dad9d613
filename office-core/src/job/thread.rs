//! Threads: a job that follows up another (its `parent`) works on that job's results, and
//! every job of a chain of follow-ups names the first one as its `thread`.

use super::{JobId, JobKind, JobSummary};
use serde::{Deserialize, Serialize};

/// A thread's jobs, the first one and every follow-up of it, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thread {
    /// The id of the thread's first job.
    pub thread: JobId,
    /// Its jobs in creation order (the first job first).
    pub jobs: Vec<JobSummary>,
}

/// What a follow-up is told of the job it follows up: its request, what it did and the
/// program that did it. Kept with the follow-up when it is submitted, so it outlives the
/// parent, and handed to the generator with the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParentContext {
    /// The parent job's id.
    pub id: JobId,
    /// What kind of job the parent was.
    pub kind: Option<JobKind>,
    /// The parent's request in plain language.
    pub prompt: String,
    /// The steps the parent's program reported, in order.
    pub steps: Vec<String>,
    /// The parent's program.
    pub code: Option<String>,
    /// The parent's computed results (an analysis's `results`), null for a workbook.
    #[serde(default)]
    pub results: serde_json::Value,
    /// The follow-up's input files that came from the parent, with what each is.
    #[serde(default)]
    pub files: Vec<String>,
}
