//! The contract every `Store` keeps, as tests any backend can run.
//!
//! Each case is a `pub async fn` taking a fresh, empty store. A backend's test file
//! stamps out one `#[tokio::test]` per case with [`store_conformance_tests!`], giving it an
//! expression that makes a [`StoreFixture`]:
//!
//! ```ignore
//! async fn setup() -> StoreFixture {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = SqliteStore::open(&dir.path().join("jobs.db")).await.unwrap();
//!     StoreFixture::with_guard(store, dir)
//! }
//! office_core::store_conformance_tests!(setup());
//! ```
//!
//! The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) and office-core's
//! `test-utils` feature.

mod paging;
mod retention;
mod tenants;
mod threads;
mod usage;
pub use paging::*;
pub use retention::*;
pub use tenants::*;
pub use threads::*;
pub use usage::*;

use super::Store;
use crate::job::ErrorCode;
use crate::job::{
    Artifact, ArtifactKind, EventBody, InputFile, Job, JobError, JobEvent, JobFilter, JobId,
    JobKind, JobStatus, LogLevel, Stage, StageTiming,
};
use chrono::{DateTime, Duration, Utc};
use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

/// A store under test, plus whatever must live as long as it (a temporary folder, a
/// schema to drop).
pub struct StoreFixture {
    /// The store the cases run against.
    pub store: Arc<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

impl StoreFixture {
    /// A fixture for `store` alone.
    pub fn new(store: impl Store) -> Self {
        Self::with_guard(store, ())
    }

    /// A fixture for `store` that keeps `guard` (a server, a folder) alive as long as it.
    pub fn with_guard(store: impl Store, guard: impl Any + Send) -> Self {
        StoreFixture {
            store: Arc::new(store),
            _guard: Box::new(guard),
        }
    }
}

/// A point in time with a nanosecond part, so a store that rounds timestamps fails.
fn at(seconds_after_base: i64) -> DateTime<Utc> {
    let base = DateTime::parse_from_rfc3339("2025-03-04T05:06:07.123456789Z")
        .unwrap()
        .to_utc();
    base + Duration::seconds(seconds_after_base)
}

/// A job with every field set to something other than its default.
pub fn full_job() -> Job {
    let mut job = Job::new(
        JobKind::Report,
        "Summarise sales by région — and chart them 📈",
    );
    job.status = JobStatus::Failed;
    job.stage = Stage::Execute;
    job.tenant = crate::job::TenantId::new("team-b.eu").unwrap();
    job.params.insert("title".into(), "Q1 \"sales\"".into());
    job.params.insert(
        "notes".into(),
        serde_json::json!({"lines": [1, 2.5, null, true]}),
    );
    job.inputs = vec![InputFile {
        name: "sales.xlsx".into(),
        original_name: "../Sales (final).xlsx".into(),
        size: 123_456,
        sha256: "ab".repeat(32),
    }];
    job.artifacts = vec![
        Artifact {
            name: "outputs/report.md".into(),
            kind: ArtifactKind::Report,
            size: 42,
            content_type: "text/markdown".into(),
            sha256: "cd".repeat(32),
        },
        Artifact {
            name: "charts/by region.png".into(),
            kind: ArtifactKind::Chart,
            size: 9_000,
            content_type: "image/png".into(),
            sha256: "ef".repeat(32),
        },
    ];
    job.created_at = at(0);
    job.started_at = Some(at(1));
    job.finished_at = Some(at(7));
    job.error = Some(
        JobError::new(
            ErrorCode::ExecutionFailed,
            "the program stopped: KeyError 'Region'",
        )
        .with_details(serde_json::json!({"line": 12, "column": "Region"})),
    );
    job.attempts = 3;
    job.generator = Some("llm:some-model".into());
    job.parent = Some(JobId::new());
    job.thread = Some(JobId::new());
    // Durations that binary floating point holds exactly, so JSON text round-trips them.
    job.stages = vec![
        StageTiming {
            stage: Stage::Profile,
            started_at: at(1),
            duration_ms: 12.5,
        },
        StageTiming {
            stage: Stage::Execute,
            started_at: at(2),
            duration_ms: 4_096.25,
        },
    ];
    job
}

fn queued_job(kind: JobKind, created_at: DateTime<Utc>) -> Job {
    let mut job = Job::new(kind, format!("a {kind} job"));
    job.created_at = created_at;
    job
}

/// A job reads back as it was inserted.
pub async fn case_insert_get_round_trip(store: &dyn Store) {
    let job = full_job();
    store.insert(&job).await.unwrap();
    assert_eq!(store.get(job.id).await.unwrap(), Some(job.clone()));

    let fresh = Job::new(JobKind::Excel, "");
    store.insert(&fresh).await.unwrap();
    assert_eq!(store.get(fresh.id).await.unwrap(), Some(fresh));
    assert_eq!(store.get(job.id).await.unwrap(), Some(job));
}

/// Getting an unknown id gives `None`.
pub async fn case_get_unknown_is_none(store: &dyn Store) {
    store.insert(&Job::new(JobKind::Excel, "x")).await.unwrap();
    assert_eq!(store.get(JobId::new()).await.unwrap(), None);
}

/// Inserting an id twice fails.
pub async fn case_duplicate_insert_fails(store: &dyn Store) {
    let job = Job::new(JobKind::Excel, "first");
    store.insert(&job).await.unwrap();
    let mut again = job.clone();
    again.prompt = "second".into();
    assert!(
        store.insert(&again).await.is_err(),
        "a second insert with the same id was accepted"
    );
    assert_eq!(store.get(job.id).await.unwrap(), Some(job));
}

/// `list` is newest first and honours kind, status and limit.
pub async fn case_list_newest_first_with_filters(store: &dyn Store) {
    // Inserted out of order so that insertion order cannot pass for time order.
    let jobs = [
        queued_job(JobKind::Excel, at(20)),
        queued_job(JobKind::Analytics, at(0)),
        queued_job(JobKind::Excel, at(30)),
        queued_job(JobKind::Report, at(10)),
        queued_job(JobKind::Excel, at(5)),
    ];
    for job in &jobs {
        store.insert(job).await.unwrap();
    }
    let mut done = jobs[2].clone();
    done.status = JobStatus::Succeeded;
    assert!(store.update(&done).await.unwrap());

    let ids = |listed: Vec<Job>| listed.into_iter().map(|job| job.id).collect::<Vec<_>>();
    let all = store.list(&JobFilter::default()).await.unwrap();
    assert_eq!(all[0], done, "list must return the stored jobs, as updated");
    assert_eq!(
        ids(all),
        [jobs[2].id, jobs[0].id, jobs[3].id, jobs[4].id, jobs[1].id],
        "all jobs, newest first"
    );

    let excel = JobFilter {
        kind: Some(JobKind::Excel),
        ..Default::default()
    };
    assert_eq!(
        ids(store.list(&excel).await.unwrap()),
        [jobs[2].id, jobs[0].id, jobs[4].id]
    );

    let queued_excel = JobFilter {
        status: Some(JobStatus::Queued),
        ..excel.clone()
    };
    assert_eq!(
        ids(store.list(&queued_excel).await.unwrap()),
        [jobs[0].id, jobs[4].id]
    );

    let succeeded = JobFilter {
        status: Some(JobStatus::Succeeded),
        ..Default::default()
    };
    assert_eq!(ids(store.list(&succeeded).await.unwrap()), [jobs[2].id]);

    let newest_two = JobFilter {
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(
        ids(store.list(&newest_two).await.unwrap()),
        [jobs[2].id, jobs[0].id]
    );

    let none = JobFilter {
        limit: Some(0),
        ..Default::default()
    };
    assert!(store.list(&none).await.unwrap().is_empty());

    let no_reports_failed = JobFilter {
        kind: Some(JobKind::Report),
        status: Some(JobStatus::Failed),
        limit: None,
        tenant: None,
    };
    assert!(store.list(&no_reports_failed).await.unwrap().is_empty());
}

/// `update` writes every field.
pub async fn case_update_writes_every_field(store: &dyn Store) {
    let job = Job::new(JobKind::Report, "make a report");
    store.insert(&job).await.unwrap();
    let mut changed = full_job();
    changed.id = job.id;
    changed.status = JobStatus::Running;
    assert!(store.update(&changed).await.unwrap());
    assert_eq!(store.get(job.id).await.unwrap(), Some(changed.clone()));

    // Status moves to a final one through `update` too.
    changed.status = JobStatus::Succeeded;
    changed.error = None;
    assert!(store.update(&changed).await.unwrap());
    assert_eq!(store.get(job.id).await.unwrap(), Some(changed));
}

/// `update` of an unknown job writes nothing and says so.
pub async fn case_update_unknown_returns_false(store: &dyn Store) {
    assert!(
        !store
            .update(&Job::new(JobKind::Excel, "nobody stored me"))
            .await
            .unwrap()
    );
    assert!(
        store.list(&JobFilter::default()).await.unwrap().is_empty(),
        "update must not insert"
    );
}

/// `update` of a final job changes nothing.
pub async fn case_update_on_final_job_changes_nothing(store: &dyn Store) {
    for status in [
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ] {
        let mut job = Job::new(JobKind::Analytics, "chart it");
        job.status = status;
        job.finished_at = Some(at(3));
        store.insert(&job).await.unwrap();

        let mut late = job.clone();
        late.status = JobStatus::Running;
        late.prompt = "changed".into();
        late.attempts = 9;
        assert!(
            !store.update(&late).await.unwrap(),
            "a {status} job was updated"
        );
        late.status = JobStatus::Succeeded;
        assert!(
            !store.update(&late).await.unwrap(),
            "a {status} job was updated"
        );
        assert_eq!(store.get(job.id).await.unwrap(), Some(job));
    }
}

/// `claim` marks the job running, counts the attempt and sets `started_at`.
pub async fn case_claim_counts_the_attempt(store: &dyn Store) {
    let mut job = Job::new(JobKind::Excel, "sort it");
    job.params.insert("sheet".into(), "Data".into());
    store.insert(&job).await.unwrap();

    let before = Utc::now();
    let claimed = store
        .claim(job.id)
        .await
        .unwrap()
        .expect("a queued job can be claimed");
    assert_eq!(claimed.status, JobStatus::Running);
    assert_eq!(claimed.attempts, 1);
    let started = claimed.started_at.expect("claim sets started_at");
    assert!(
        started >= before,
        "started_at {started} is before the claim began ({before})"
    );
    assert_eq!(claimed.params, job.params, "claim keeps the other fields");
    assert_eq!(store.get(job.id).await.unwrap(), Some(claimed.clone()));

    // A running job is claimed again when its worker died: another attempt.
    let again = store
        .claim(job.id)
        .await
        .unwrap()
        .expect("a running job can be reclaimed");
    assert_eq!(again.attempts, 2);
    assert_eq!(again.status, JobStatus::Running);
    assert!(again.started_at.unwrap() >= started);
    assert_eq!(store.get(job.id).await.unwrap(), Some(again));
}

/// `claim` of a final or unknown job gives `None`.
pub async fn case_claim_final_or_unknown_is_none(store: &dyn Store) {
    assert_eq!(store.claim(JobId::new()).await.unwrap(), None);
    for status in [
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ] {
        let mut job = Job::new(JobKind::Report, "done already");
        job.status = status;
        job.attempts = 1;
        store.insert(&job).await.unwrap();
        assert_eq!(
            store.claim(job.id).await.unwrap(),
            None,
            "a {status} job was claimed"
        );
        assert_eq!(store.get(job.id).await.unwrap(), Some(job));
    }
}

fn event(job_id: JobId, seconds: i64, body: EventBody) -> JobEvent {
    JobEvent {
        job_id,
        at: at(seconds),
        body,
    }
}

/// `delete` removes the job and its events.
pub async fn case_delete_removes_job_and_events(store: &dyn Store) {
    let job = Job::new(JobKind::Excel, "delete me");
    let kept = Job::new(JobKind::Excel, "keep me");
    store.insert(&job).await.unwrap();
    store.insert(&kept).await.unwrap();
    store
        .append_event(&event(job.id, 1, EventBody::Stage { stage: Stage::Plan }))
        .await
        .unwrap();
    let kept_event = event(
        kept.id,
        2,
        EventBody::Status {
            status: JobStatus::Running,
        },
    );
    store.append_event(&kept_event).await.unwrap();

    assert!(store.delete(job.id).await.unwrap());
    assert_eq!(store.get(job.id).await.unwrap(), None);
    assert!(
        store.events(job.id).await.unwrap().is_empty(),
        "events outlived their job"
    );
    assert!(
        !store.delete(job.id).await.unwrap(),
        "a second delete reported success"
    );
    assert!(!store.delete(JobId::new()).await.unwrap());

    assert_eq!(store.get(kept.id).await.unwrap(), Some(kept.clone()));
    assert_eq!(store.events(kept.id).await.unwrap(), [kept_event]);
}

/// Events read back in the order they were appended.
pub async fn case_events_keep_their_order(store: &dyn Store) {
    let job = Job::new(JobKind::Analytics, "log me");
    let other = Job::new(JobKind::Analytics, "interleaved");
    store.insert(&job).await.unwrap();
    store.insert(&other).await.unwrap();
    assert!(store.events(job.id).await.unwrap().is_empty());

    // Timestamps deliberately out of order: appending order is what counts.
    let appended = vec![
        event(
            job.id,
            5,
            EventBody::Status {
                status: JobStatus::Running,
            },
        ),
        event(
            job.id,
            1,
            EventBody::Stage {
                stage: Stage::Profile,
            },
        ),
        event(
            job.id,
            3,
            EventBody::Log {
                level: LogLevel::Warn,
                message: "column « Région » is empty".into(),
            },
        ),
        event(job.id, 3, EventBody::Stage { stage: Stage::Done }),
        event(
            job.id,
            9,
            EventBody::Status {
                status: JobStatus::Succeeded,
            },
        ),
    ];
    for (i, e) in appended.iter().enumerate() {
        store.append_event(e).await.unwrap();
        let noise = event(other.id, i as i64, EventBody::Stage { stage: Stage::Plan });
        store.append_event(&noise).await.unwrap();
    }
    assert_eq!(store.events(job.id).await.unwrap(), appended);
    assert_eq!(store.events(other.id).await.unwrap().len(), appended.len());
}

/// An event for an unknown job is `NotFound`.
pub async fn case_event_for_unknown_job_fails(store: &dyn Store) {
    let orphan = event(JobId::new(), 0, EventBody::Stage { stage: Stage::Plan });
    let err = store.append_event(&orphan).await.unwrap_err();
    assert!(matches!(err, crate::Error::NotFound(_)), "{err:?}");
    assert!(store.events(orphan.job_id).await.unwrap().is_empty());
}

/// 16 tasks race to finish one job, each with its own final status and error message:
/// exactly one write lands, and the stored job is that writer's.
pub async fn case_concurrent_finishers(store: Arc<dyn Store>) {
    let job = Job::new(JobKind::Excel, "finish me once");
    store.insert(&job).await.unwrap();
    let claimed = store.claim(job.id).await.unwrap().unwrap();

    let finals = [
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];
    let mut tasks = Vec::new();
    for n in 0..16 {
        let store = Arc::clone(&store);
        let mut finished = claimed.clone();
        finished.status = finals[n % finals.len()];
        finished.finished_at = Some(Utc::now());
        finished.error = Some(JobError::new(
            ErrorCode::Internal,
            format!("written by finisher {n}"),
        ));
        tasks.push(tokio::spawn(async move {
            let wrote = store.update(&finished).await.unwrap();
            (wrote, finished)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (wrote, finished) = task.await.unwrap();
        if wrote {
            winners.push(finished);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{} finishers reported that their write landed",
        winners.len()
    );
    assert_eq!(store.get(job.id).await.unwrap().as_ref(), Some(&winners[0]));
    assert_eq!(
        store.claim(job.id).await.unwrap(),
        None,
        "a finished job was claimed"
    );
}

/// `finish` writes the final status and its event together, once: a second finisher
/// writes neither.
pub async fn case_finish_writes_status_and_event_once(store: &dyn Store) {
    let job = Job::new(JobKind::Excel, "finish me");
    store.insert(&job).await.unwrap();
    let mut finished = store.claim(job.id).await.unwrap().unwrap();
    finished.status = JobStatus::Succeeded;
    finished.finished_at = Some(at(5));
    let event = |status| JobEvent {
        job_id: job.id,
        at: at(5),
        body: EventBody::Status { status },
    };
    assert!(
        store
            .finish(&finished, &event(JobStatus::Succeeded))
            .await
            .unwrap()
    );
    let mut late = finished.clone();
    late.status = JobStatus::Failed;
    assert!(
        !store
            .finish(&late, &event(JobStatus::Failed))
            .await
            .unwrap()
    );
    assert_eq!(store.get(job.id).await.unwrap(), Some(finished));
    assert_eq!(
        store.events(job.id).await.unwrap(),
        vec![event(JobStatus::Succeeded)]
    );
}

/// Claims of different jobs at the same time all succeed, each counting one attempt.
pub async fn case_concurrent_claims_of_different_jobs(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for n in 0..16 {
        let job = Job::new(JobKind::Analytics, format!("job {n}"));
        store.insert(&job).await.unwrap();
        ids.push(job.id);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.claim(id).await.unwrap() })
        })
        .collect();
    let mut claimed_ids = HashSet::new();
    for task in tasks {
        let claimed = task
            .await
            .unwrap()
            .expect("every queued job can be claimed");
        assert_eq!((claimed.status, claimed.attempts), (JobStatus::Running, 1));
        claimed_ids.insert(claimed.id);
    }
    assert_eq!(claimed_ids, ids.iter().copied().collect());
    for id in ids {
        let stored = store.get(id).await.unwrap().unwrap();
        assert_eq!((stored.status, stored.attempts), (JobStatus::Running, 1));
    }
}

/// Many claims of one job at once: each counts, none is lost.
pub async fn case_concurrent_claims_of_one_job(store: Arc<dyn Store>) {
    let job = Job::new(JobKind::Report, "claimed by many");
    store.insert(&job).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.claim(job.id).await.unwrap().unwrap().attempts })
        })
        .collect();
    let mut attempts = Vec::new();
    for task in tasks {
        attempts.push(task.await.unwrap());
    }
    attempts.sort();
    assert_eq!(
        attempts,
        (1..=8).collect::<Vec<u32>>(),
        "each claim saw a distinct attempt"
    );
    assert_eq!(store.get(job.id).await.unwrap().unwrap().attempts, 8);
}

/// Stamps out one `#[tokio::test]` per conformance case. `$setup` is an expression
/// evaluating to a future of a [`StoreFixture`]; it is evaluated once per test.
#[macro_export]
#[doc(hidden)]
macro_rules! store_conformance_tests {
    ($setup:expr) => {
        $crate::store_conformance_tests!(@by_ref $setup;
            case_insert_get_round_trip,
            case_get_unknown_is_none,
            case_duplicate_insert_fails,
            case_list_newest_first_with_filters,
            case_update_writes_every_field,
            case_update_unknown_returns_false,
            case_update_on_final_job_changes_nothing,
            case_claim_counts_the_attempt,
            case_claim_final_or_unknown_is_none,
            case_delete_removes_job_and_events,
            case_events_keep_their_order,
            case_event_for_unknown_job_fails,
            case_finish_writes_status_and_event_once,
            case_page_newest_first_in_pages,
            case_thread_lists_its_jobs_oldest_first,
            case_counts_by_kind_and_status,
            case_counts_by_tenant,
            case_expired_only_final_jobs_finished_before,
            case_get_owned_only_the_tenants_job,
            case_list_and_page_by_tenant,
            case_usage_counts_each_tenant,
            case_insert_within_checks_the_tenants_usage,
            case_claim_within_waits_at_the_running_limit,
        );
        $crate::store_conformance_tests!(@shared $setup;
            case_concurrent_finishers,
            case_concurrent_claims_of_different_jobs,
            case_concurrent_claims_of_one_job,
            case_page_stable_while_inserting,
            case_engine_page_cursor_belongs_to_its_list,
            case_engine_scopes_to_the_caller,
            case_concurrent_inserts_within_hold_the_limit,
            case_concurrent_claims_within_hold_the_limit,
        );
    };
    (@by_ref $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let fixture: $crate::test_support::store_conformance::StoreFixture = $setup.await;
            $crate::test_support::store_conformance::$case(&*fixture.store).await;
        }
    )+};
    (@shared $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let fixture: $crate::test_support::store_conformance::StoreFixture = $setup.await;
            $crate::test_support::store_conformance::$case(::std::sync::Arc::clone(&fixture.store)).await;
        }
    )+};
}
