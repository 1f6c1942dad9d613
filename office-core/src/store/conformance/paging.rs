//! The paging cases (`Store::page`, and `Engine::page` over the store under test).

use super::{at, queued_job};
use crate::config::Config;
use crate::engine::Engine;
use crate::error::Error;
use crate::execute::{ExecOutcome, ExecRequest, Executor};
use crate::job::{
    Job, JobId, JobKind, JobStatus, JobSummary, PagePosition, PageQuery, PageRequest, Stage,
};
use crate::store::Store;
use std::collections::HashSet;
use std::sync::Arc;

fn query(kind: Option<JobKind>, status: Option<JobStatus>, limit: u32) -> PageQuery {
    PageQuery {
        tenant: None,
        kind,
        status,
        limit,
        after: None,
    }
}

/// Every page of `query`, `query.limit` at a time, following the last item.
async fn all_pages(store: &dyn Store, mut query: PageQuery) -> Vec<Vec<JobSummary>> {
    let mut pages = Vec::new();
    loop {
        let page = store.page(&query).await.unwrap();
        assert!(page.len() <= query.limit as usize, "a page over its limit");
        let Some(last) = page.last() else {
            return pages;
        };
        query.after = Some(PagePosition {
            created_at: last.created_at,
            id: last.id,
        });
        pages.push(page);
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

fn ids(items: &[JobSummary]) -> Vec<JobId> {
    items.iter().map(|s| s.id).collect()
}

/// Within a microsecond: PostgreSQL keeps timestamps to the microsecond (the exact
/// nanoseconds are in the job's body, which a page does not read).
fn same_time(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> bool {
    (a - b).abs() <= chrono::Duration::microseconds(1)
}

/// `page` is newest first by `(created_at, id)`, honours kind, status and limit, reads
/// the list fields of the job as stored, and its pages neither repeat nor skip a job,
/// ties on `created_at` included.
pub async fn case_page_newest_first_in_pages(store: &dyn Store) {
    // Out of order, with three excel jobs created at the same instant (the id decides).
    let mut jobs = vec![
        queued_job(JobKind::Excel, at(20)),
        queued_job(JobKind::Analytics, at(0)),
        queued_job(JobKind::Excel, at(30)),
        queued_job(JobKind::Report, at(10)),
        queued_job(JobKind::Excel, at(5)),
        queued_job(JobKind::Excel, at(25)),
        queued_job(JobKind::Excel, at(25)),
        queued_job(JobKind::Excel, at(25)),
    ];
    jobs[0].status = JobStatus::Failed;
    jobs[0].stage = Stage::Execute;
    jobs[0].started_at = Some(at(21));
    jobs[0].finished_at = Some(at(22));
    jobs[0].attempts = 2;
    jobs[0].generator = Some("planner".into());
    for job in &jobs {
        store.insert(job).await.unwrap();
    }
    let mut excel: Vec<&Job> = jobs.iter().filter(|j| j.kind == JobKind::Excel).collect();
    excel.sort_by_key(|j| std::cmp::Reverse((j.created_at, j.id)));
    let expected: Vec<JobId> = excel.iter().map(|j| j.id).collect();

    for limit in [1, 2, 4, 6, 50] {
        let pages = all_pages(store, query(Some(JobKind::Excel), None, limit)).await;
        let flat: Vec<JobSummary> = pages.concat();
        assert_eq!(ids(&flat), expected, "excel jobs {limit} at a time");
        assert_eq!(pages.len(), expected.len().div_ceil(limit as usize));
    }

    let first = store
        .page(&query(Some(JobKind::Excel), Some(JobStatus::Failed), 10))
        .await
        .unwrap();
    assert_eq!(ids(&first), [jobs[0].id]);
    let item = &first[0];
    let job = &jobs[0];
    assert_eq!(
        (
            item.kind,
            item.status,
            item.stage,
            &item.prompt,
            item.attempts
        ),
        (job.kind, job.status, job.stage, &job.prompt, job.attempts)
    );
    assert_eq!(item.generator.as_deref(), Some("planner"));
    assert!(same_time(item.created_at, job.created_at), "{item:?}");
    assert!(same_time(item.started_at.unwrap(), job.started_at.unwrap()));
    assert!(same_time(
        item.finished_at.unwrap(),
        job.finished_at.unwrap()
    ));

    let all = all_pages(store, query(None, None, 3)).await.concat();
    assert_eq!(all.len(), jobs.len());
    let queued = all_pages(store, query(None, Some(JobStatus::Queued), 3))
        .await
        .concat();
    assert_eq!(queued.len(), jobs.len() - 1);
    assert!(queued.iter().all(|s| s.status == JobStatus::Queued));
    let reports = store
        .page(&query(Some(JobKind::Report), Some(JobStatus::Failed), 5))
        .await
        .unwrap();
    assert!(reports.is_empty());
}

/// Paging goes on right while other jobs are inserted: every job stored before the
/// first page comes exactly once, in order; the newer ones (ahead of the cursor) do not
/// slip in between.
pub async fn case_page_stable_while_inserting(store: Arc<dyn Store>) {
    let mut before = Vec::new();
    for i in 0..40 {
        let job = queued_job(JobKind::Excel, at(i));
        store.insert(&job).await.unwrap();
        before.push(job);
    }
    before.sort_by_key(|j| std::cmp::Reverse((j.created_at, j.id)));
    // The first page is read before any insert, the rest while they happen.
    let first = store
        .page(&query(Some(JobKind::Excel), None, 3))
        .await
        .unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..40u32 {
                // Newer than every job above (`at` is in 2025), and of both kinds.
                let kind = if i.is_multiple_of(2) {
                    JobKind::Excel
                } else {
                    JobKind::Report
                };
                store
                    .insert(&Job::new(kind, "inserted meanwhile"))
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let last = first.last().expect("a first page");
    let mut rest = query(Some(JobKind::Excel), None, 3);
    rest.after = Some(PagePosition {
        created_at: last.created_at,
        id: last.id,
    });
    let mut pages = vec![first.clone()];
    pages.extend(all_pages(store.as_ref(), rest).await);
    writer.await.unwrap();
    let seen = ids(&pages.concat());
    let unique: HashSet<JobId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a job came twice");
    assert_eq!(
        seen,
        before.iter().map(|j| j.id).collect::<Vec<_>>(),
        "every earlier job once, newest first"
    );
    let now = store
        .page(&query(Some(JobKind::Excel), None, 1000))
        .await
        .unwrap();
    assert_eq!(now.len(), 60, "the 40 earlier and 20 new excel jobs");
}

/// An executor that never runs anything: the paging case needs an engine, not jobs run.
pub(super) struct NoExecutor;

#[async_trait::async_trait]
impl Executor for NoExecutor {
    async fn run(&self, _req: ExecRequest) -> crate::error::Result<ExecOutcome> {
        Err(Error::internal("no executor in the paging case"))
    }
}

/// `Engine::page` over the store: `next` leads through every page and is `None` on the
/// last; a cursor from another kind's (or another status's) list, a made-up cursor and
/// a limit out of range are refused as invalid input.
pub async fn case_engine_page_cursor_belongs_to_its_list(store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(Config::with_data_dir(dir.path()))
        .store(store.clone(), "under test")
        .executor(Arc::new(NoExecutor))
        .build()
        .await
        .unwrap();
    for i in 0..5 {
        store
            .insert(&queued_job(JobKind::Excel, at(i)))
            .await
            .unwrap();
        store
            .insert(&queued_job(JobKind::Report, at(i)))
            .await
            .unwrap();
    }
    let excel = |limit, cursor: Option<String>| PageRequest {
        tenant: None,
        kind: Some(JobKind::Excel),
        status: None,
        limit,
        cursor,
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = engine
            .page(
                &crate::job::Caller::default(),
                &excel(Some(2), cursor.clone()),
            )
            .await
            .unwrap();
        pages += 1;
        seen.extend(ids(&page.jobs));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (5, 3), "2 + 2 + 1, no empty last page");
    let default = engine
        .page(&crate::job::Caller::default(), &excel(None, None))
        .await
        .unwrap();
    assert_eq!((default.jobs.len(), default.next), (5, None));

    let first = engine
        .page(&crate::job::Caller::default(), &excel(Some(2), None))
        .await
        .unwrap();
    let next = first.next.expect("a second page");
    let refused = |result: crate::error::Result<crate::job::JobPage>| match result {
        Err(Error::InvalidInput(why)) => why,
        other => panic!("expected invalid input, got {other:?}"),
    };
    let other_kind = PageRequest {
        kind: Some(JobKind::Report),
        ..excel(Some(2), Some(next.clone()))
    };
    let why = refused(
        engine
            .page(&crate::job::Caller::default(), &other_kind)
            .await,
    );
    assert!(
        why.contains("excel jobs") && why.contains("report jobs"),
        "{why}"
    );
    let other_status = PageRequest {
        status: Some(JobStatus::Failed),
        ..excel(Some(2), Some(next.clone()))
    };
    refused(
        engine
            .page(&crate::job::Caller::default(), &other_status)
            .await,
    );
    let why = refused(
        engine
            .page(
                &crate::job::Caller::default(),
                &excel(Some(2), Some("0badc0ffee".into())),
            )
            .await,
    );
    assert!(why.contains("not one this server gave out"), "{why}");
    for limit in [0, crate::job::MAX_PAGE_SIZE + 1] {
        let why = refused(
            engine
                .page(&crate::job::Caller::default(), &excel(Some(limit), None))
                .await,
        );
        assert!(why.contains("limit must be between 1 and"), "{why}");
    }
}
