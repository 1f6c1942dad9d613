//! The work queue between submitters and workers. In-process by default; Redis when
//! `REDIS_URL` is set. At-least-once: a taken job stays leased to its worker, and a lease
//! that is neither renewed, acked nor failed expires and hands the job to another worker.
//! Exactly-one-final-status is the store's part of the contract (`Store::update`).

use crate::error::Result;
use crate::job::{JobId, TenantId};
use async_trait::async_trait;
use std::time::Duration;

/// A job handed to one worker for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job handed out.
    pub job_id: JobId,
    /// Identifies this delivery; acking or renewing with a stale token does nothing.
    pub token: String,
    /// How many times this job has been handed out, this delivery included.
    pub deliveries: u32,
}

/// Hands job ids to workers, at least once each, with leases that expire.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Adds a job to the end of the queue, as the `default` tenant's.
    async fn enqueue(&self, id: JobId) -> Result<()>;

    /// `enqueue`, saying whose job it is: takers serve the tenants in turn, so one
    /// tenant's burst does not hold back another's job (fair share).
    async fn enqueue_for(&self, id: JobId, tenant: &TenantId) -> Result<()>;

    /// Waits up to `wait` for a job, then holds it for `lease`.
    async fn take(&self, wait: Duration, lease: Duration) -> Result<Option<Lease>>;

    /// Extends the lease. `false` when the lease was lost (expired and taken again, or
    /// acked): the worker must stop working on the job.
    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool>;

    /// The job is done with, whatever its outcome.
    async fn ack(&self, lease: &Lease) -> Result<()>;

    /// Gives the job back, to be taken again after `delay`.
    async fn retry(&self, lease: &Lease, delay: Duration) -> Result<()>;

    /// Drops the job if it waits, and marks it so that a worker running it stops.
    async fn cancel(&self, id: JobId) -> Result<()>;

    /// Whether `cancel` was called for the job.
    async fn is_cancelled(&self, id: JobId) -> Result<bool>;

    /// Jobs waiting to be taken (not counting leased ones).
    async fn pending(&self) -> Result<usize>;
}

mod fair;
mod memory;
mod redis;

pub use memory::MemoryQueue;
pub use redis::RedisQueue;
pub(crate) use redis::shown_url;

#[cfg(any(test, feature = "test-utils"))]
pub mod conformance;
