//! What a tenant uses now, counted by the store (so every server sharing it agrees), and
//! what `GET /api/usage` answers: those counts beside the tenant's limits.

use super::{Quotas, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One tenant's jobs and files as the store holds them now (`Store::usage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUsage {
    /// Whose.
    pub tenant: TenantId,
    /// Jobs waiting to run.
    pub queued: u64,
    /// Jobs running.
    pub running: u64,
    /// Jobs kept, whatever their status.
    pub jobs: u64,
    /// Bytes of the jobs' files (`Job::stored_bytes`, summed).
    pub stored_bytes: u64,
    /// Jobs submitted at or after the `since` asked for (the last minute).
    pub submitted_recently: u64,
    /// When the oldest of those was submitted: the window frees a place when it leaves it.
    pub oldest_recent: Option<DateTime<Utc>>,
}

impl TenantUsage {
    /// A tenant with no jobs.
    pub fn none(tenant: TenantId) -> Self {
        TenantUsage {
            tenant,
            queued: 0,
            running: 0,
            jobs: 0,
            stored_bytes: 0,
            submitted_recently: 0,
            oldest_recent: None,
        }
    }
}

/// A tenant's usage and its limits (its own quotas over the configured defaults; a limit
/// left out does not apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// The tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tenant: TenantId,
    /// Its jobs waiting to run.
    pub queued: u64,
    /// Its jobs running.
    pub running: u64,
    /// Its jobs kept, whatever their status.
    pub jobs: u64,
    /// Bytes of its jobs' files (inputs and outputs).
    pub stored_bytes: u64,
    /// Jobs it submitted in the last minute.
    pub submissions_last_minute: u64,
    /// Its limits.
    pub limits: Quotas,
}

impl Usage {
    /// The counts of `usage` beside `limits`.
    pub fn new(usage: TenantUsage, limits: Quotas) -> Self {
        Usage {
            tenant: usage.tenant,
            queued: usage.queued,
            running: usage.running,
            jobs: usage.jobs,
            stored_bytes: usage.stored_bytes,
            submissions_last_minute: usage.submitted_recently,
            limits,
        }
    }
}
