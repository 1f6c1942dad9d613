//! What the store holds, counted: jobs by kind and status and the oldest queued one,
//! read at scrape time (`Store::counts`) so every process reports the shared truth.

use super::{JobKind, JobStatus};
use chrono::{DateTime, Utc};

/// Jobs by kind and status, and when the oldest queued job was submitted.
///
/// A `tenant` field goes beside `kind` and `status` in [`JobCount`] once jobs record
/// their tenant; the stores then group by it too.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobCounts {
    /// One entry per kind and status that has jobs (absent means none).
    pub counts: Vec<JobCount>,
    /// `created_at` of the oldest job still queued; `None` when none is.
    pub oldest_queued: Option<DateTime<Utc>>,
}

/// How many jobs of one kind have one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCount {
    /// The jobs' kind.
    pub kind: JobKind,
    /// Their status.
    pub status: JobStatus,
    /// How many there are.
    pub jobs: u64,
}

impl JobCounts {
    /// How many jobs of `kind` have `status` (0 when none).
    pub fn get(&self, kind: JobKind, status: JobStatus) -> u64 {
        self.counts
            .iter()
            .filter(|c| c.kind == kind && c.status == status)
            .map(|c| c.jobs)
            .sum()
    }
}
