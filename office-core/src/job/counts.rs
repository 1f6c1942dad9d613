//! What the store holds, counted: jobs by kind, status and tenant and the oldest queued one,
//! read at scrape time (`Store::counts`) so every process reports the shared truth.

use super::{JobKind, JobStatus, TenantId};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// Jobs by kind, status and tenant, and when the oldest queued job was submitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobCounts {
    /// One entry per kind, status and tenant that has jobs (absent means none).
    pub counts: Vec<JobCount>,
    /// `created_at` of the oldest job still queued; `None` when none is.
    pub oldest_queued: Option<DateTime<Utc>>,
}

/// How many jobs of one kind and one tenant have one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    /// The jobs' kind.
    pub kind: JobKind,
    /// Their status.
    pub status: JobStatus,
    /// Whose they are.
    pub tenant: TenantId,
    /// How many there are.
    pub jobs: u64,
}

impl JobCounts {
    /// How many jobs of `kind` have `status`, every tenant's together (0 when none).
    pub fn get(&self, kind: JobKind, status: JobStatus) -> u64 {
        self.counts
            .iter()
            .filter(|c| c.kind == kind && c.status == status)
            .map(|c| c.jobs)
            .sum()
    }

    /// How many of `tenant`'s jobs of `kind` have `status` (0 when none).
    pub fn get_for(&self, tenant: &TenantId, kind: JobKind, status: JobStatus) -> u64 {
        self.counts
            .iter()
            .filter(|c| c.kind == kind && c.status == status && &c.tenant == tenant)
            .map(|c| c.jobs)
            .sum()
    }

    /// The tenants that have jobs, in order.
    pub fn tenants(&self) -> BTreeSet<&TenantId> {
        self.counts
            .iter()
            .filter(|c| c.jobs > 0)
            .map(|c| &c.tenant)
            .collect()
    }
}
