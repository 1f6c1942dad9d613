//! The cases of what `/metrics` and the retention sweeper read: `Store::counts` and
//! `Store::expired`.

use super::{at, queued_job};
use crate::job::{JobKind, JobStatus, TenantId};
use crate::store::Store;

/// Counts group by kind, status and tenant; the oldest queued job is the oldest *queued*
/// one (an older running or final job does not count).
pub async fn case_counts_by_kind_and_status(store: &dyn Store) {
    let empty = store.counts().await.unwrap();
    assert!(empty.counts.iter().all(|c| c.jobs == 0), "{empty:?}");
    assert_eq!(empty.oldest_queued, None);
    let plan = [
        (JobKind::Excel, JobStatus::Running, 0),
        (JobKind::Excel, JobStatus::Queued, 10),
        (JobKind::Excel, JobStatus::Queued, 20),
        (JobKind::Report, JobStatus::Queued, 30),
        (JobKind::Excel, JobStatus::Succeeded, 40),
        (JobKind::Analytics, JobStatus::Failed, 50),
    ];
    for (kind, status, seconds) in plan {
        let mut job = queued_job(kind, at(seconds));
        job.status = status;
        store.insert(&job).await.unwrap();
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(JobKind::Excel, JobStatus::Queued), 2);
    assert_eq!(counts.get(JobKind::Excel, JobStatus::Running), 1);
    assert_eq!(counts.get(JobKind::Excel, JobStatus::Succeeded), 1);
    assert_eq!(counts.get(JobKind::Report, JobStatus::Queued), 1);
    assert_eq!(counts.get(JobKind::Analytics, JobStatus::Failed), 1);
    assert_eq!(counts.get(JobKind::Analytics, JobStatus::Queued), 0);
    let total: u64 = counts.counts.iter().map(|c| c.jobs).sum();
    assert_eq!(total, 6);
    let default = TenantId::default();
    assert_eq!(counts.tenants().into_iter().collect::<Vec<_>>(), [&default]);
    assert_eq!(
        counts.get_for(&default, JobKind::Excel, JobStatus::Queued),
        2
    );
    // To the microsecond, which is what PostgreSQL keeps of a time (rounded).
    let oldest = counts.oldest_queued.expect("queued jobs exist");
    let off = (oldest - at(10)).num_nanoseconds().unwrap().abs();
    assert!(off <= 1_000, "{oldest} is not {}", at(10));
}

/// Each tenant's jobs are counted apart, and the totals are every tenant's together.
pub async fn case_counts_by_tenant(store: &dyn Store) {
    let (a, b): (TenantId, TenantId) = ("acme".parse().unwrap(), "globex".parse().unwrap());
    let plan = [
        (&a, JobStatus::Queued),
        (&a, JobStatus::Queued),
        (&a, JobStatus::Succeeded),
        (&b, JobStatus::Queued),
    ];
    for (n, (tenant, status)) in plan.into_iter().enumerate() {
        let mut job = queued_job(JobKind::Excel, at(n as i64));
        job.status = status;
        job.tenant = tenant.clone();
        store.insert(&job).await.unwrap();
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.tenants().into_iter().collect::<Vec<_>>(), [&a, &b]);
    assert_eq!(counts.get_for(&a, JobKind::Excel, JobStatus::Queued), 2);
    assert_eq!(counts.get_for(&a, JobKind::Excel, JobStatus::Succeeded), 1);
    assert_eq!(counts.get_for(&b, JobKind::Excel, JobStatus::Queued), 1);
    assert_eq!(counts.get_for(&b, JobKind::Excel, JobStatus::Succeeded), 0);
    assert_eq!(counts.get(JobKind::Excel, JobStatus::Queued), 3);
}

/// Only final jobs that finished before the cutoff, oldest first, at most `limit`; a
/// queued or running job is never expired, however old.
pub async fn case_expired_only_final_jobs_finished_before(store: &dyn Store) {
    let mut ids = Vec::new();
    for (status, finished) in [
        (JobStatus::Succeeded, Some(30)),
        (JobStatus::Failed, Some(10)),
        (JobStatus::Cancelled, Some(20)),
        (JobStatus::Succeeded, Some(500)),
        (JobStatus::Running, None),
        (JobStatus::Queued, None),
    ] {
        let mut job = queued_job(JobKind::Excel, at(0));
        job.status = status;
        job.finished_at = finished.map(at);
        store.insert(&job).await.unwrap();
        ids.push(job.id);
    }
    // A running job whose row says it finished long ago (a retried job keeps the time
    // of its earlier end) is still not expired.
    let mut odd = queued_job(JobKind::Excel, at(0));
    odd.status = JobStatus::Running;
    odd.finished_at = Some(at(1));
    store.insert(&odd).await.unwrap();

    let expired = store.expired(at(100), 10).await.unwrap();
    assert_eq!(expired, [ids[1], ids[2], ids[0]], "oldest end first");
    let first = store.expired(at(100), 2).await.unwrap();
    assert_eq!(first, [ids[1], ids[2]]);
    assert!(store.expired(at(5), 10).await.unwrap().is_empty());
    // Everything final, once the cutoff passes the last end; never the running ones.
    let all = store.expired(at(1000), 10).await.unwrap();
    assert_eq!(all, [ids[1], ids[2], ids[0], ids[3]]);
    assert!(store.delete(ids[1]).await.unwrap());
    assert_eq!(store.expired(at(100), 10).await.unwrap(), [ids[2], ids[0]]);
}
