//! The tenant cases: a store answers a tenant's lookups and lists with that tenant's
//! jobs only, and the engine over it answers another tenant's job id as it answers an
//! unknown one.

use super::paging::NoExecutor;
use super::{at, queued_job};
use crate::config::Config;
use crate::engine::Engine;
use crate::error::Error;
use crate::job::{
    Caller, Job, JobFilter, JobId, JobKind, JobSummary, PagePosition, PageQuery, PageRequest,
    TenantId,
};
use crate::store::Store;
use std::sync::Arc;

fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

fn job_of(name: &str, kind: JobKind, second: i64) -> Job {
    let mut job = queued_job(kind, at(second));
    job.tenant = tenant(name);
    job
}

/// Inserts 3 excel jobs for `a`, 2 for `b`, 1 for `c`, interleaved in time; returns
/// them oldest first.
async fn three_tenants(store: &dyn Store) -> Vec<Job> {
    let jobs: Vec<Job> = ["a", "b", "a", "c", "b", "a"]
        .iter()
        .enumerate()
        .map(|(i, name)| job_of(name, JobKind::Excel, i as i64))
        .collect();
    for job in &jobs {
        store.insert(job).await.unwrap();
    }
    jobs
}

fn newest_first_of(jobs: &[Job], name: &str) -> Vec<JobId> {
    jobs.iter()
        .rev()
        .filter(|j| j.tenant.as_str() == name)
        .map(|j| j.id)
        .collect()
}

/// `get_owned` finds a tenant's own job, and answers `None` for another tenant's job
/// exactly as for an id no job has.
pub async fn case_get_owned_only_the_tenants_job(store: &dyn Store) {
    let jobs = three_tenants(store).await;
    let (a, b) = (&jobs[0], &jobs[1]);
    assert_eq!(
        store.get_owned(a.id, &tenant("a")).await.unwrap().as_ref(),
        Some(a)
    );
    assert_eq!(store.get_owned(a.id, &tenant("b")).await.unwrap(), None);
    assert_eq!(store.get_owned(b.id, &tenant("a")).await.unwrap(), None);
    assert_eq!(
        store.get_owned(JobId::new(), &tenant("a")).await.unwrap(),
        None
    );
    assert_eq!(store.get(b.id).await.unwrap().as_ref(), Some(b));
}

/// `list` and `page` with a tenant give that tenant's jobs only, newest first, through
/// every page; without one, every tenant's.
pub async fn case_list_and_page_by_tenant(store: &dyn Store) {
    let jobs = three_tenants(store).await;
    for name in ["a", "b", "c"] {
        let filter = JobFilter {
            tenant: Some(tenant(name)),
            ..Default::default()
        };
        let listed: Vec<JobId> = store
            .list(&filter)
            .await
            .unwrap()
            .iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(listed, newest_first_of(&jobs, name), "list of {name}");

        let mut query = PageQuery {
            tenant: Some(tenant(name)),
            kind: Some(JobKind::Excel),
            status: None,
            limit: 2,
            after: None,
        };
        let mut paged: Vec<JobSummary> = Vec::new();
        loop {
            let page = store.page(&query).await.unwrap();
            let Some(last) = page.last() else { break };
            query.after = Some(PagePosition {
                created_at: last.created_at,
                id: last.id,
            });
            paged.extend(page);
        }
        let paged: Vec<JobId> = paged.iter().map(|s| s.id).collect();
        assert_eq!(paged, newest_first_of(&jobs, name), "pages of {name}");
    }
    let all = store.list(&JobFilter::default()).await.unwrap();
    assert_eq!(all.len(), jobs.len());
}

/// The engine over the store: a caller sees, lists, follows, cancels and deletes only
/// its own tenant's jobs; another tenant's id is `NotFound` with the very sentence an
/// unknown id gets. An admin sees every tenant's, and may list one tenant's.
pub async fn case_engine_scopes_to_the_caller(store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(Config::with_data_dir(dir.path()))
        .store(store.clone(), "under test")
        .executor(Arc::new(NoExecutor))
        .build()
        .await
        .unwrap();
    let jobs = three_tenants(&*store).await;
    let caller = |name: &str| Caller {
        tenant: tenant(name),
        admin: false,
    };
    let (a, b) = (caller("a"), caller("b"));
    let foreign = jobs[0].id; // a's
    let unknown = JobId::new();
    let said = |result: crate::error::Result<()>, id: JobId| match result {
        Err(Error::NotFound(why)) => why.replace(&id.to_string(), "<id>"),
        other => panic!("expected not found for {id}, got {other:?}"),
    };
    macro_rules! both {
        ($call:expr) => {{
            let f = $call(foreign).await.map(|_| ());
            let u = $call(unknown).await.map(|_| ());
            let (f, u) = (said(f, foreign), said(u, unknown));
            assert_eq!(f, u, "a foreign id must read as an unknown one");
        }};
    }
    both!(|id| engine.get(&b, id));
    both!(|id| engine.get_kind(&b, id, JobKind::Excel));
    both!(|id| engine.events(&b, id));
    both!(|id| engine.events_after(&b, id, 0));
    both!(|id| {
        let (engine, b) = (&engine, &b);
        async move { engine.follow_events(b, id, 0).await.map(|_| ()) }
    });
    both!(|id| engine.cancel(&b, id));
    both!(|id| engine.wait(&b, id, Some(std::time::Duration::ZERO)));
    both!(|id| engine.thread(&b, id));
    both!(|id| engine.delete(&b, id));
    both!(|id| engine.delete_cascade(&b, id));
    assert_eq!(engine.get(&a, foreign).await.unwrap().id, foreign);
    assert!(
        engine.get(&a, foreign).await.unwrap().status == crate::job::JobStatus::Queued,
        "b's cancel must not have touched a's job"
    );

    let page_ids = |page: crate::job::JobPage| page.jobs.iter().map(|s| s.id).collect::<Vec<_>>();
    let request = |tenant_filter: Option<&str>, cursor: Option<String>| PageRequest {
        tenant: tenant_filter.map(tenant),
        kind: Some(JobKind::Excel),
        status: None,
        limit: Some(2),
        cursor,
    };
    // A caller's pages hold its own jobs only, whatever tenant it asks for.
    for (who, name) in [(&a, "a"), (&b, "b")] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = engine.page(who, &request(Some("c"), cursor)).await.unwrap();
            cursor = page.next.clone();
            seen.extend(page_ids(page));
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, newest_first_of(&jobs, name), "pages of {name}");
        let listed: Vec<JobId> = engine
            .list(who, &JobFilter::default())
            .await
            .unwrap()
            .iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(listed, newest_first_of(&jobs, name), "list of {name}");
    }
    let admin = Caller {
        tenant: tenant("ops"),
        admin: true,
    };
    assert_eq!(
        engine
            .page(&admin, &PageRequest::default())
            .await
            .unwrap()
            .jobs
            .len(),
        6
    );
    let first = engine
        .page(&admin, &request(Some("a"), None))
        .await
        .unwrap();
    let next = first.next.clone().expect("a has 3 jobs: a second page");
    let second = engine
        .page(&admin, &request(Some("a"), Some(next.clone())))
        .await
        .unwrap();
    let mut seen = page_ids(first);
    seen.extend(page_ids(second));
    assert_eq!(seen, newest_first_of(&jobs, "a"));
    assert!(matches!(
        engine.page(&admin, &request(Some("b"), Some(next))).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(engine.get(&admin, jobs[1].id).await.unwrap().id, jobs[1].id);

    // Deleting its own job works; the others' stay.
    engine.delete(&b, jobs[1].id).await.unwrap();
    assert!(store.get(jobs[1].id).await.unwrap().is_none());
    assert_eq!(store.list(&JobFilter::default()).await.unwrap().len(), 5);
}
