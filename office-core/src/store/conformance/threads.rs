//! The thread case (`Store::thread`).

use super::{at, queued_job};
use crate::job::{Job, JobId, JobKind, JobSummary};
use crate::store::Store;

fn follow_up(parent: &Job, kind: JobKind, seconds: i64) -> Job {
    let mut job = queued_job(kind, at(seconds));
    job.parent = Some(parent.id);
    job.thread = Some(parent.thread_id());
    job
}

/// `thread` lists the first job and every job naming it as its thread, oldest first by
/// `(created_at, id)`, with `parent` and `thread` as stored; jobs of other threads and
/// jobs on their own are left out; an unknown id is an empty list.
pub async fn case_thread_lists_its_jobs_oldest_first(store: &dyn Store) {
    let root = queued_job(JobKind::Excel, at(0));
    let first = follow_up(&root, JobKind::Excel, 10);
    // A branch: two follow-ups of the same job, one created at the same instant as a
    // follow-up of the other branch (the id decides).
    let branch = follow_up(&root, JobKind::Analytics, 20);
    let deeper = follow_up(&first, JobKind::Report, 20);
    let other_root = queued_job(JobKind::Excel, at(5));
    let other = follow_up(&other_root, JobKind::Excel, 15);
    let alone = queued_job(JobKind::Excel, at(12));
    // Inserted out of order, so an answer in insertion order fails.
    for job in [&deeper, &other, &branch, &alone, &first, &root, &other_root] {
        store.insert(job).await.unwrap();
    }

    let listed = store.thread(root.id).await.unwrap();
    let mut expected = [root.clone(), first.clone(), branch.clone(), deeper.clone()];
    expected.sort_by_key(|job| (job.created_at, job.id));
    let ids: Vec<JobId> = listed.iter().map(|s| s.id).collect();
    let want: Vec<JobId> = expected.iter().map(|j| j.id).collect();
    assert_eq!(ids, want, "the thread's jobs, oldest first");
    assert_eq!(listed[0].id, root.id);
    assert_eq!(listed[0].parent, None);
    assert_eq!(listed[0].thread, None);
    let of = |id: JobId| -> &JobSummary { listed.iter().find(|s| s.id == id).unwrap() };
    assert_eq!(of(deeper.id).parent, Some(first.id));
    assert_eq!(of(deeper.id).thread, Some(root.id));
    assert_eq!(of(branch.id).parent, Some(root.id));
    assert_eq!(of(branch.id).kind, JobKind::Analytics);

    let others = store.thread(other_root.id).await.unwrap();
    let ids: Vec<JobId> = others.iter().map(|s| s.id).collect();
    assert_eq!(ids, [other_root.id, other.id]);

    let single = store.thread(alone.id).await.unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].id, alone.id);

    assert!(store.thread(JobId::new()).await.unwrap().is_empty());

    // Parent and thread are part of the job as read back, and of its list item.
    assert_eq!(store.get(deeper.id).await.unwrap().unwrap(), deeper);
    let page = store
        .page(&crate::job::PageQuery {
            tenant: None,
            kind: Some(JobKind::Report),
            status: None,
            limit: 10,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(page[0].parent, Some(first.id));
    assert_eq!(page[0].thread, Some(root.id));
}
