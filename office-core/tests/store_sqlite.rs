//! The SQLite store against the shared conformance suite (a database file in a temporary
//! folder, and an in-memory database), plus what only a file-backed store has to do.

use office_core::test_support::store_conformance::{StoreFixture, full_job};
use office_core::{EventBody, Job, JobEvent, JobFilter, JobKind, JobStatus, Stage};
use office_core::{SqliteStore, Store};

async fn file_store() -> StoreFixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("office.db"))
        .await
        .unwrap();
    StoreFixture::with_guard(store, dir)
}

async fn memory_store() -> StoreFixture {
    StoreFixture::new(SqliteStore::open_in_memory().await.unwrap())
}

mod file {
    office_core::store_conformance_tests!(super::file_store());
}

mod in_memory {
    office_core::store_conformance_tests!(super::memory_store());
}

#[tokio::test]
async fn open_creates_missing_folders_and_reopens_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("office.db");
    let job = full_job();
    let event = JobEvent {
        job_id: job.id,
        at: job.created_at,
        body: EventBody::Stage { stage: Stage::Plan },
    };
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.insert(&job).await.unwrap();
        store.append_event(&event).await.unwrap();
        store.close().await;
    }
    assert!(path.is_file(), "the database file was not created");
    // Opening again runs the migrations again: they must see they are applied.
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.get(job.id).await.unwrap(), Some(job.clone()));
    assert_eq!(store.events(job.id).await.unwrap(), [event]);
    assert_eq!(store.list(&JobFilter::default()).await.unwrap(), [job]);
}

#[tokio::test]
async fn open_reports_a_path_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let err = SqliteStore::open(&blocker.join("office.db"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not-a-folder"), "{err}");
}

/// The columns that queries use must agree with the JSON body after every kind of write.
#[tokio::test]
async fn filters_see_claims_and_updates() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("office.db"))
        .await
        .unwrap();
    let job = Job::new(JobKind::Analytics, "chart it");
    store.insert(&job).await.unwrap();
    let running = JobFilter {
        status: Some(JobStatus::Running),
        ..Default::default()
    };
    assert!(store.list(&running).await.unwrap().is_empty());

    let claimed = store.claim(job.id).await.unwrap().unwrap();
    assert_eq!(
        store.list(&running).await.unwrap(),
        std::slice::from_ref(&claimed)
    );

    let mut done = claimed;
    done.status = JobStatus::Succeeded;
    assert!(store.update(&done).await.unwrap());
    let succeeded = JobFilter {
        status: Some(JobStatus::Succeeded),
        ..Default::default()
    };
    assert_eq!(store.list(&succeeded).await.unwrap(), [done]);
    assert!(store.list(&running).await.unwrap().is_empty());
}
