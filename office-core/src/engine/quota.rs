//! Quotas: what a tenant may use (its own quotas from the keys file over the configured
//! defaults) checked against what the store says it uses now, so that every server
//! sharing a database enforces the same limits. A submission is checked before any of it
//! is stored, and again, atomically, as its job is inserted (`Store::insert_within`);
//! a job over its tenant's running limit is not refused but waits in the queue
//! (`Store::claim_within`).

use super::Engine;
use crate::error::{Error, Result};
use crate::job::{Caller, Quotas, TenantId, TenantUsage, Usage};
use crate::keys::Keyring;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The rolling window of `submissions_per_minute`.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// How long a caller over its queued limit is asked to wait: about one short job's run.
const QUEUED_RETRY: Duration = Duration::from_secs(10);

/// Each tenant's limits: its own quotas, as the keys file has them now, over the
/// configured defaults. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct TenantQuotas {
    pub(crate) keys: Arc<Keyring>,
    pub(crate) defaults: Quotas,
}

impl TenantQuotas {
    /// `tenant`'s limits.
    pub(crate) fn of(&self, tenant: &TenantId) -> Quotas {
        self.keys.quotas(tenant).over(self.defaults)
    }
}

/// A limit a submission would go over. Says which, for whom, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaExceeded {
    /// Too many of the tenant's jobs are waiting to run.
    #[error(
        "tenant '{tenant}' has {queued} jobs queued, its limit; try again when one has started"
    )]
    Queued {
        /// Whose.
        tenant: TenantId,
        /// Jobs queued now.
        queued: u64,
        /// The limit.
        limit: u32,
    },
    /// The tenant submitted its limit of jobs in the last minute.
    #[error(
        "tenant '{tenant}' submitted {submitted} jobs in the last minute, its limit of {limit} \
         per minute; try again in {} s", retry_after.as_secs()
    )]
    SubmissionsPerMinute {
        /// Whose.
        tenant: TenantId,
        /// Jobs submitted in the last minute.
        submitted: u64,
        /// The limit.
        limit: u32,
        /// When the oldest of them leaves the window.
        retry_after: Duration,
    },
    /// The files of one submission are larger than the tenant may upload with one job.
    #[error(
        "the files of this job are {bytes} bytes, more than tenant '{tenant}' may upload with \
         one job ({limit} bytes)"
    )]
    UploadBytes {
        /// Whose.
        tenant: TenantId,
        /// The submission's bytes.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The tenant's stored files and this submission's would be more than it may keep.
    #[error(
        "tenant '{tenant}' keeps {stored} bytes of job files; with this job's {bytes} more it \
         would be over its limit of {limit} bytes: delete jobs it no longer needs"
    )]
    StoredBytes {
        /// Whose.
        tenant: TenantId,
        /// Bytes stored now.
        stored: u64,
        /// The submission's bytes.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
}

impl QuotaExceeded {
    /// Whether a size was over its limit (413 over HTTP) rather than a count or a rate
    /// (429, with `retry_after`).
    pub fn is_size(&self) -> bool {
        matches!(
            self,
            QuotaExceeded::UploadBytes { .. } | QuotaExceeded::StoredBytes { .. }
        )
    }

    /// When trying again may succeed; `None` for sizes (the same files never fit).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            QuotaExceeded::Queued { .. } => Some(QUEUED_RETRY),
            QuotaExceeded::SubmissionsPerMinute { retry_after, .. } => Some(*retry_after),
            QuotaExceeded::UploadBytes { .. } | QuotaExceeded::StoredBytes { .. } => None,
        }
    }
}

/// Whether a submission of `bytes` fits `limits` with `usage` as it is at `now`: the
/// first limit it would go over, sizes first (trying again does not help them).
pub(crate) fn check_submission(
    limits: &Quotas,
    usage: &TenantUsage,
    bytes: u64,
    now: DateTime<Utc>,
) -> std::result::Result<(), QuotaExceeded> {
    let tenant = || usage.tenant.clone();
    if let Some(limit) = limits.upload_bytes
        && bytes > limit
    {
        return Err(QuotaExceeded::UploadBytes {
            tenant: tenant(),
            bytes,
            limit,
        });
    }
    if let Some(limit) = limits.stored_bytes
        && usage.stored_bytes.saturating_add(bytes) > limit
    {
        return Err(QuotaExceeded::StoredBytes {
            tenant: tenant(),
            stored: usage.stored_bytes,
            bytes,
            limit,
        });
    }
    if let Some(limit) = limits.queued
        && usage.queued >= u64::from(limit)
    {
        return Err(QuotaExceeded::Queued {
            tenant: tenant(),
            queued: usage.queued,
            limit,
        });
    }
    if let Some(limit) = limits.submissions_per_minute
        && usage.submitted_recently >= u64::from(limit)
    {
        // The window frees a place when its oldest submission leaves it.
        let leaves = match usage.oldest_recent {
            Some(oldest) => (oldest + WINDOW - now).to_std().unwrap_or(Duration::ZERO),
            None => WINDOW,
        };
        // Whole seconds, rounded up, and at least one: `Retry-After: 0` invites a storm.
        let retry_after = Duration::from_secs(leaves.as_secs() + 1).min(WINDOW);
        return Err(QuotaExceeded::SubmissionsPerMinute {
            tenant: tenant(),
            submitted: usage.submitted_recently,
            limit,
            retry_after,
        });
    }
    Ok(())
}

/// Where the submissions-per-minute window starts for a check at `now`.
pub(crate) fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - WINDOW
}

impl Engine {
    /// `tenant`'s limits: its own quotas over the configured defaults.
    pub fn quotas(&self, tenant: &TenantId) -> Quotas {
        self.inner.quotas.of(tenant)
    }

    /// What tenants use now and their limits: the caller's own tenant; for an admin,
    /// `tenant` when given, else every tenant that has jobs.
    pub async fn usage(&self, caller: &Caller, tenant: Option<&TenantId>) -> Result<Vec<Usage>> {
        let tenant = Self::list_tenant(caller, tenant);
        let since = window_start(Utc::now());
        let mut found = self.inner.store.usage(tenant.as_ref(), since).await?;
        if let Some(tenant) = &tenant
            && found.is_empty()
        {
            found.push(TenantUsage::none(tenant.clone()));
        }
        Ok(found
            .into_iter()
            .map(|u| {
                let limits = self.quotas(&u.tenant);
                Usage::new(u, limits)
            })
            .collect())
    }

    /// Refuses a submission of `bytes` for `tenant` that would go over one of its limits,
    /// before anything of it is stored.
    pub(super) async fn check_quotas(&self, tenant: &TenantId, bytes: u64) -> Result<()> {
        let limits = self.quotas(tenant);
        if limits == Quotas::default() {
            return Ok(());
        }
        let now = Utc::now();
        let usage = self
            .inner
            .store
            .usage(Some(tenant), window_start(now))
            .await?
            .pop()
            .unwrap_or_else(|| TenantUsage::none(tenant.clone()));
        check_submission(&limits, &usage, bytes, now).map_err(Error::OverQuota)
    }

    /// Inserts `job` (its files, `bytes` of them, already stored) when its tenant is
    /// still within its limits as the store counts them at that moment.
    pub(super) async fn insert_within_quotas(
        &self,
        job: &crate::job::Job,
        bytes: u64,
    ) -> Result<()> {
        let limits = self.quotas(&job.tenant);
        if limits == Quotas::default() {
            return self.inner.store.insert(job).await;
        }
        let now = Utc::now();
        let check = |usage: &TenantUsage| {
            check_submission(&limits, usage, bytes, now).map_err(Error::OverQuota)
        };
        self.inner
            .store
            .insert_within(job, window_start(now), &check)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> TenantUsage {
        TenantUsage::none(TenantId::new("acme").unwrap())
    }

    #[test]
    fn no_limits_let_everything_through() {
        let mut u = usage();
        u.queued = 1_000_000;
        u.stored_bytes = u64::MAX;
        u.submitted_recently = 1_000_000;
        assert_eq!(
            check_submission(&Quotas::default(), &u, u64::MAX, Utc::now()),
            Ok(())
        );
    }

    #[test]
    fn queued_is_refused_at_the_limit_not_before() {
        let limits = Quotas {
            queued: Some(20),
            ..Quotas::default()
        };
        let mut u = usage();
        u.queued = 19;
        assert_eq!(check_submission(&limits, &u, 10, Utc::now()), Ok(()));
        u.queued = 20;
        let e = check_submission(&limits, &u, 10, Utc::now()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tenant 'acme' has 20 jobs queued, its limit; try again when one has started"
        );
        assert!(!e.is_size());
        assert_eq!(e.retry_after(), Some(QUEUED_RETRY));
    }

    #[test]
    fn sizes_count_the_upload_and_what_is_kept() {
        let limits = Quotas {
            upload_bytes: Some(100),
            stored_bytes: Some(1_000),
            ..Quotas::default()
        };
        let mut u = usage();
        assert_eq!(check_submission(&limits, &u, 100, Utc::now()), Ok(()));
        let e = check_submission(&limits, &u, 101, Utc::now()).unwrap_err();
        assert!(matches!(e, QuotaExceeded::UploadBytes { bytes: 101, .. }));
        assert!(e.is_size() && e.retry_after().is_none());
        u.stored_bytes = 900;
        assert_eq!(check_submission(&limits, &u, 100, Utc::now()), Ok(()));
        let e = check_submission(&limits, &u, 101, Utc::now()).unwrap_err();
        assert!(
            matches!(e, QuotaExceeded::UploadBytes { .. }),
            "upload first"
        );
        u.stored_bytes = 901;
        let e = check_submission(&limits, &u, 100, Utc::now()).unwrap_err();
        assert!(matches!(e, QuotaExceeded::StoredBytes { stored: 901, .. }));
        // No overflow at the edge.
        u.stored_bytes = u64::MAX;
        assert!(check_submission(&limits, &u, 1, Utc::now()).is_err());
    }

    #[test]
    fn the_rate_says_when_the_window_frees_a_place() {
        let limits = Quotas {
            submissions_per_minute: Some(3),
            ..Quotas::default()
        };
        let now = Utc::now();
        let mut u = usage();
        u.submitted_recently = 2;
        u.oldest_recent = Some(now - chrono::Duration::seconds(50));
        assert_eq!(check_submission(&limits, &u, 1, now), Ok(()));
        u.submitted_recently = 3;
        let e = check_submission(&limits, &u, 1, now).unwrap_err();
        // The oldest leaves in 10 s: ask for 11 (whole seconds, rounded up).
        assert_eq!(e.retry_after(), Some(Duration::from_secs(11)));
        assert!(e.to_string().contains("its limit of 3 per minute"), "{e}");
        // An oldest submission already out of the window (a clock step) asks for 1 s.
        u.oldest_recent = Some(now - chrono::Duration::seconds(61));
        let e = check_submission(&limits, &u, 1, now).unwrap_err();
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        // Never longer than the window.
        u.oldest_recent = Some(now + chrono::Duration::seconds(30));
        let e = check_submission(&limits, &u, 1, now).unwrap_err();
        assert_eq!(e.retry_after(), Some(WINDOW));
    }
}
