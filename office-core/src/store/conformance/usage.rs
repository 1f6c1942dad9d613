//! The quota cases: a store counts each tenant's jobs, stored bytes and recent
//! submissions (`usage`), inserts a job only when its tenant's usage passes a check,
//! one insert per tenant at a time (`insert_within`), and leaves a job queued when its
//! tenant already runs its limit (`claim_within`), one claim per tenant at a time.

use super::{at, queued_job};
use crate::error::Error;
use crate::job::{
    Artifact, ArtifactKind, InputFile, Job, JobKind, JobStatus, TenantId, TenantUsage,
};
use crate::store::{Claim, Store};
use std::sync::Arc;

fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

fn job_of(name: &str, second: i64, input_bytes: u64) -> Job {
    let mut job = queued_job(JobKind::Excel, at(second));
    job.tenant = tenant(name);
    job.inputs.push(InputFile {
        name: "in.csv".into(),
        original_name: "in.csv".into(),
        size: input_bytes,
        sha256: "00".repeat(32),
    });
    job
}

fn artifact(name: &str, kind: ArtifactKind, size: u64) -> Artifact {
    Artifact {
        name: name.into(),
        kind,
        size,
        content_type: "application/octet-stream".into(),
        sha256: "11".repeat(32),
    }
}

/// `usage` with its oldest recent time to the millisecond: PostgreSQL keeps microseconds.
fn to_millis(mut usage: Vec<TenantUsage>) -> Vec<TenantUsage> {
    use chrono::SubsecRound;
    for u in &mut usage {
        u.oldest_recent = u.oldest_recent.map(|t| t.trunc_subsecs(3));
    }
    usage
}

/// Counts by status, bytes of inputs and outputs (an input listed as an artifact once),
/// submissions since a time and the oldest of them; per tenant, by name.
pub async fn case_usage_counts_each_tenant(store: &dyn Store) {
    let mut a1 = job_of("a", 0, 100);
    let a2 = job_of("a", 10, 20);
    let mut a3 = job_of("a", 20, 3);
    let b1 = job_of("b", 5, 7);
    for job in [&a1, &a2, &a3, &b1] {
        store.insert(job).await.unwrap();
    }
    // a1 ran and made outputs; a report lists its input among its artifacts too.
    a1.status = JobStatus::Succeeded;
    a1.artifacts = vec![
        artifact("output.xlsx", ArtifactKind::Workbook, 1_000),
        artifact("inputs/in.csv", ArtifactKind::Input, 100),
    ];
    assert!(store.update(&a1).await.unwrap());
    a3.status = JobStatus::Running;
    assert!(store.update(&a3).await.unwrap());

    let all = to_millis(store.usage(None, at(10)).await.unwrap());
    let a = TenantUsage {
        tenant: tenant("a"),
        queued: 1,
        running: 1,
        jobs: 3,
        stored_bytes: 100 + 1_000 + 20 + 3,
        submitted_recently: 2,
        oldest_recent: Some(chrono::SubsecRound::trunc_subsecs(at(10), 3)),
    };
    let b = TenantUsage {
        tenant: tenant("b"),
        queued: 1,
        running: 0,
        jobs: 1,
        stored_bytes: 7,
        submitted_recently: 0,
        oldest_recent: None,
    };
    assert_eq!(all, vec![a.clone(), b.clone()]);
    assert_eq!(
        store.usage(Some(&tenant("b")), at(10)).await.unwrap(),
        vec![b]
    );
    assert_eq!(
        store.usage(Some(&tenant("c")), at(0)).await.unwrap(),
        vec![]
    );
    // Deleting frees what the job kept.
    assert!(store.delete(a1.id).await.unwrap());
    let a = store.usage(Some(&tenant("a")), at(0)).await.unwrap();
    assert_eq!((a[0].jobs, a[0].stored_bytes), (2, 23));
    assert_eq!(
        to_millis(a)[0].oldest_recent,
        Some(chrono::SubsecRound::trunc_subsecs(at(10), 3))
    );
}

/// A check that refuses its tenant's third queued job.
fn at_most_two_queued(usage: &TenantUsage) -> crate::error::Result<()> {
    if usage.queued >= 2 {
        Err(Error::Conflict(format!("{} has 2 queued", usage.tenant)))
    } else {
        Ok(())
    }
}

/// The check sees the tenant's usage, its error is returned, and nothing is inserted.
pub async fn case_insert_within_checks_the_tenants_usage(store: &dyn Store) {
    for second in 0..2 {
        let job = job_of("a", second, 1);
        store
            .insert_within(&job, at(0), &at_most_two_queued)
            .await
            .unwrap();
    }
    let third = job_of("a", 2, 1);
    let refused = store
        .insert_within(&third, at(0), &at_most_two_queued)
        .await;
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    assert_eq!(store.get(third.id).await.unwrap(), None);
    // Another tenant's jobs are its own.
    let other = job_of("b", 3, 1);
    store
        .insert_within(&other, at(0), &at_most_two_queued)
        .await
        .unwrap();
    let a = store.usage(Some(&tenant("a")), at(0)).await.unwrap();
    assert_eq!(a[0].queued, 2);
}

/// Twelve inserts for one tenant at once, each allowed only under two queued: two land.
pub async fn case_concurrent_inserts_within_hold_the_limit(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let job = job_of("a", i, 1);
                store
                    .insert_within(&job, at(0), &at_most_two_queued)
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut inserted = 0;
    for task in tasks {
        inserted += usize::from(task.await.unwrap());
    }
    assert_eq!(inserted, 2);
    let a = store.usage(Some(&tenant("a")), at(0)).await.unwrap();
    assert_eq!(a[0].jobs, 2);
}

/// A tenant at its running limit has its next job left queued; a job already running
/// (its worker died) is claimed again, as it does not count against itself; other
/// tenants are not held back.
pub async fn case_claim_within_waits_at_the_running_limit(store: &dyn Store) {
    let first = job_of("a", 0, 1);
    let second = job_of("a", 1, 1);
    let other = job_of("b", 2, 1);
    for job in [&first, &second, &other] {
        store.insert(job).await.unwrap();
    }
    let one_for_a = |t: &TenantId| (t.as_str() == "a").then_some(1);
    let claimed = store.claim_within(first.id, &one_for_a).await.unwrap();
    assert!(matches!(claimed, Claim::Claimed(ref j) if j.id == first.id && j.attempts == 1));
    let waits = store.claim_within(second.id, &one_for_a).await.unwrap();
    assert_eq!(
        waits,
        Claim::Waits {
            tenant: tenant("a"),
            running: 1,
            limit: 1
        }
    );
    let job = store.get(second.id).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Queued, 0));
    let again = store.claim_within(first.id, &one_for_a).await.unwrap();
    assert!(matches!(again, Claim::Claimed(ref j) if j.attempts == 2));
    let b = store.claim_within(other.id, &one_for_a).await.unwrap();
    assert!(matches!(b, Claim::Claimed(_)));
    // Once the first is final, the second runs.
    let mut done = store.get(first.id).await.unwrap().unwrap();
    done.status = JobStatus::Succeeded;
    assert!(store.update(&done).await.unwrap());
    let now = store.claim_within(second.id, &one_for_a).await.unwrap();
    assert!(matches!(now, Claim::Claimed(_)));
    assert_eq!(
        store.claim_within(done.id, &one_for_a).await.unwrap(),
        Claim::Gone
    );
}

/// Eight claims of eight queued jobs of one tenant at once, limit two: two run.
pub async fn case_concurrent_claims_within_hold_the_limit(store: Arc<dyn Store>) {
    let jobs: Vec<Job> = (0..8).map(|i| job_of("a", i, 1)).collect();
    for job in &jobs {
        store.insert(job).await.unwrap();
    }
    let tasks: Vec<_> = jobs
        .iter()
        .map(|job| {
            let (store, id) = (store.clone(), job.id);
            tokio::spawn(async move {
                matches!(
                    store.claim_within(id, &|_| Some(2)).await.unwrap(),
                    Claim::Claimed(_)
                )
            })
        })
        .collect();
    let mut claimed = 0;
    for task in tasks {
        claimed += usize::from(task.await.unwrap());
    }
    assert_eq!(claimed, 2);
    let a = store.usage(Some(&tenant("a")), at(0)).await.unwrap();
    assert_eq!((a[0].running, a[0].queued), (2, 6));
}
