//! Job metadata storage. SQLite by default, PostgreSQL when `DATABASE_URL` is set, an
//! in-memory reference implementation for tests and embedding. All of them pass the
//! conformance suite in `store::conformance`.
//!
//! The contract that keeps a job to one final status lives here: `update` and `claim`
//! never touch a job that is already final, whoever else raced to finish it.

use crate::error::Result;
use crate::job::{
    EventBody, Job, JobCounts, JobEvent, JobFilter, JobId, JobSummary, PageQuery, TenantId,
    TenantUsage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Each tenant's limit of jobs running at once (`None`: no limit), for `claim_within`.
pub type RunningLimit<'a> = &'a (dyn Fn(&TenantId) -> Option<u32> + Sync);

/// What a checked insert checks its job's tenant against: its usage as the store holds it
/// at the moment of the insert (`insert_within`). An error refuses the insert.
pub type InsertCheck<'a> = &'a (dyn Fn(&TenantUsage) -> Result<()> + Sync);

/// What `claim_within` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The job is running now, this attempt counted.
    Claimed(Box<Job>),
    /// The job is final or gone: nothing to run.
    Gone,
    /// The job's tenant already runs its limit of jobs: the job stays queued.
    Waits {
        /// Whose job.
        tenant: TenantId,
        /// Its other jobs running now.
        running: u64,
        /// Its limit.
        limit: u32,
    },
}

/// Where jobs and their events are kept; the one place a job's final status is decided.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Adds a new job. Inserting an id that exists is an error.
    async fn insert(&self, job: &Job) -> Result<()>;

    /// Adds a new job when `check` passes on its tenant's usage (`usage` with `since`) as
    /// it is at that moment, one insert per tenant at a time: two servers inserting for
    /// one tenant at once cannot both slip under a limit. `check`'s error is returned and
    /// nothing is inserted.
    async fn insert_within(
        &self,
        job: &Job,
        since: DateTime<Utc>,
        check: InsertCheck<'_>,
    ) -> Result<()>;

    /// What tenants use now: for `tenant`, or for every tenant that has jobs (by name),
    /// with the jobs submitted at or after `since` counted apart. A tenant with no jobs
    /// has no entry.
    async fn usage(
        &self,
        tenant: Option<&TenantId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<TenantUsage>>;

    /// The job `id`, or `None` when there is none.
    async fn get(&self, id: JobId) -> Result<Option<Job>>;

    /// The job `id` when it is `tenant`'s; `None` both when there is no such job and when
    /// it is another tenant's. One lookup on id and tenant together, so the two answers
    /// cannot be told apart, not even by the time they take.
    async fn get_owned(&self, id: JobId, tenant: &TenantId) -> Result<Option<Job>>;

    /// Jobs matching the filter (its tenant too, when it names one), newest first.
    async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>>;

    /// One page of a job list: at most `query.limit` summaries of the jobs matching its
    /// tenant, kind and status, newest first by `(created_at, id)`, all strictly after
    /// `query.after` in that order when it is set. Reads no more than the page needs
    /// (the database stores use an index on `(kind, [status,] created_at, id)`).
    async fn page(&self, query: &PageQuery) -> Result<Vec<JobSummary>>;

    /// The jobs of thread `thread`: the job of that id and every job whose `thread` is
    /// it, oldest first by `(created_at, id)`, as summaries. Empty when there is none.
    async fn thread(&self, thread: JobId) -> Result<Vec<JobSummary>>;

    /// Writes every field of `job` unless the stored job is already final. Returns whether
    /// it wrote. This is how a job reaches its final status exactly once: of two writers
    /// racing to finish a job, only the first one's write lands.
    async fn update(&self, job: &Job) -> Result<bool>;

    /// Marks a queued (or running, when its previous worker died) job as running, counts
    /// the attempt and sets `started_at`. `None` when the job is final or gone.
    async fn claim(&self, id: JobId) -> Result<Option<Job>> {
        Ok(match self.claim_within(id, &|_| None).await? {
            Claim::Claimed(job) => Some(*job),
            Claim::Gone | Claim::Waits { .. } => None,
        })
    }

    /// `claim`, unless the job's tenant already runs `running(tenant)` other jobs: then
    /// the job is left queued (`Claim::Waits`). Claims for one tenant are counted one at
    /// a time, so workers claiming at once cannot both pass the limit.
    async fn claim_within(&self, id: JobId, running: RunningLimit<'_>) -> Result<Claim>;

    /// Removes the job and its events. Returns whether it existed.
    async fn delete(&self, id: JobId) -> Result<bool>;

    /// How many jobs there are by kind and status, and when the oldest queued one was
    /// submitted: what `/metrics` shows, read from the store at scrape time so that it
    /// holds for every process sharing it. Answered from the indexes on `(status, ...)`.
    async fn counts(&self) -> Result<JobCounts>;

    /// Up to `limit` final jobs (succeeded, failed, cancelled) that finished before
    /// `before`, oldest first: what the retention sweeper deletes. Never a job that is
    /// queued or running, however old.
    async fn expired(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<JobId>>;

    /// Records an event after the job's earlier ones. `Error::NotFound` when the job does
    /// not exist, so that no event outlives its job.
    async fn append_event(&self, event: &JobEvent) -> Result<()>;

    /// The job's events in the order they were appended.
    async fn events(&self, id: JobId) -> Result<Vec<JobEvent>>;

    /// `update`, and when it wrote, the event that says so, as one write: a process that
    /// dies in between leaves either both or neither (a final status with no status event
    /// would leave a reader of the events waiting for an end that never comes). The
    /// default runs the two one after the other, for stores that cannot lose a process
    /// between them (in memory); the database stores use one transaction.
    async fn finish(&self, job: &Job, event: &JobEvent) -> Result<bool> {
        let wrote = self.update(job).await?;
        if wrote {
            self.append_event(event).await?;
        }
        Ok(wrote)
    }

    /// Appends an event stamped now. A failure is logged, not returned: events are for
    /// people reading a job's history, and no job should fail because one was lost.
    async fn record(&self, job_id: JobId, body: EventBody) {
        let event = JobEvent {
            job_id,
            at: chrono::Utc::now(),
            body,
        };
        if let Err(e) = self.append_event(&event).await {
            tracing::warn!(%job_id, error = %e, "could not record a job event");
        }
    }
}

mod memory;
mod page;
mod postgres;
mod sqlite;
mod sqlite_readers;

pub use memory::MemoryStore;
pub(crate) use postgres::DEFAULT_POOL_SIZE;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[cfg(any(test, feature = "test-utils"))]
pub mod conformance;
