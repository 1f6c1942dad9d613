//! The contract every `Queue` keeps, as tests any backend can run.
//!
//! Each case is a `pub async fn` taking a fresh, empty queue; a backend's test file stamps
//! out one `#[tokio::test]` per case with [`queue_conformance_tests!`], given an
//! expression that makes a [`QueueFixture`]:
//!
//! ```ignore
//! office_core::queue_conformance_tests!(async { QueueFixture::new(MemoryQueue::new()) });
//! ```
//!
//! The cases use real, short leases and delays (a few hundred milliseconds) because a
//! server-side backend such as Redis keeps its own clock, which `tokio::time::pause` does
//! not reach. No case asserts how long anything took: where a case needs "later", it asks
//! `take` to wait well past the moment in question. Backend-specific tests may add cases
//! under paused time.

use super::{Lease, Queue};
use crate::job::{JobId, TenantId};
use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// A queue under test, plus whatever must live as long as it.
pub struct QueueFixture {
    /// The queue the cases run against.
    pub queue: Arc<dyn Queue>,
    _guard: Box<dyn Any + Send>,
}

impl QueueFixture {
    /// A fixture for `queue` alone.
    pub fn new(queue: impl Queue) -> Self {
        Self::with_guard(queue, ())
    }

    /// A fixture for `queue` that keeps `guard` (a server, a folder) alive as long as it.
    pub fn with_guard(queue: impl Queue, guard: impl Any + Send) -> Self {
        QueueFixture {
            queue: Arc::new(queue),
            _guard: Box::new(guard),
        }
    }
}

/// Longer than any case runs: a lease that must not expire during the case.
const LONG: Duration = Duration::from_secs(60);
/// A lease meant to expire within the case.
const SHORT: Duration = Duration::from_millis(200);
/// How long a take waits for something that should happen soon (a short lease to end).
const PATIENCE: Duration = Duration::from_secs(10);
/// How long a take waits to show that nothing arrives: clearly longer than `SHORT`, so a
/// lease that should have been kept would have expired and shown up.
const QUIET: Duration = Duration::from_millis(600);

async fn take_now(queue: &dyn Queue) -> Option<Lease> {
    queue.take(Duration::ZERO, LONG).await.unwrap()
}

/// Jobs are taken in the order they were enqueued.
pub async fn case_fifo_take(queue: &dyn Queue) {
    let ids = [JobId::new(), JobId::new(), JobId::new()];
    for id in ids {
        queue.enqueue(id).await.unwrap();
    }
    assert_eq!(queue.pending().await.unwrap(), 3);
    let mut tokens = HashSet::new();
    for (n, id) in ids.iter().enumerate() {
        let lease = take_now(queue).await.expect("a waiting job");
        assert_eq!(lease.job_id, *id, "job {n} came out of order");
        assert_eq!(lease.deliveries, 1);
        assert!(tokens.insert(lease.token.clone()), "a token was reused");
        assert_eq!(
            queue.pending().await.unwrap(),
            2 - n,
            "leased jobs are not pending"
        );
    }
    assert_eq!(take_now(queue).await, None);
}

/// Enqueueing a job that is already waiting or leased adds nothing.
pub async fn case_duplicate_enqueue_is_ignored(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    queue.enqueue(id).await.unwrap();
    assert_eq!(queue.pending().await.unwrap(), 1);
    let lease = take_now(queue).await.unwrap();
    assert_eq!(lease.job_id, id);
    // Enqueuing a leased job does not hand it to a second worker.
    queue.enqueue(id).await.unwrap();
    assert_eq!(take_now(queue).await, None);
    queue.ack(&lease).await.unwrap();
}

/// A take on an empty queue waits out its wait, then returns `None`.
pub async fn case_take_on_empty_returns_none_after_waiting(queue: &dyn Queue) {
    assert_eq!(
        queue.take(Duration::from_millis(150), LONG).await.unwrap(),
        None
    );
    assert_eq!(take_now(queue).await, None);
    assert_eq!(queue.pending().await.unwrap(), 0);
}

/// A job enqueued while a taker waits goes to that taker, long before its wait ends.
pub async fn case_enqueue_wakes_a_waiting_taker(queue: Arc<dyn Queue>) {
    let taker = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move { queue.take(Duration::from_secs(3600), LONG).await.unwrap() })
    };
    // Give the taker time to start waiting; the case also passes if it has not yet.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = tokio::time::timeout(PATIENCE, taker)
        .await
        .expect("the waiting taker was not woken by the enqueue")
        .unwrap()
        .expect("the waiting taker got nothing");
    assert_eq!(lease.job_id, id);
}

/// A worker that dies mid-lease never acks: the job goes to the next taker once the lease
/// ends, with a new token and one more delivery, and the dead worker's lease is void.
pub async fn case_expired_lease_is_redelivered(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let dead = queue.take(Duration::ZERO, SHORT).await.unwrap().unwrap();
    let next = queue
        .take(PATIENCE, LONG)
        .await
        .unwrap()
        .expect("the job came back");
    assert_eq!(next.job_id, id);
    assert_eq!(next.deliveries, 2);
    assert_ne!(next.token, dead.token);
    assert!(
        !queue.renew(&dead, LONG).await.unwrap(),
        "an expired lease was renewed"
    );
    assert!(queue.renew(&next, LONG).await.unwrap());
}

/// A renewed lease is not handed to another taker.
pub async fn case_renew_keeps_the_lease(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = queue.take(Duration::ZERO, SHORT).await.unwrap().unwrap();
    assert!(queue.renew(&lease, LONG).await.unwrap());
    // Without the renewal the job would come back during this wait.
    assert_eq!(
        queue.take(QUIET, LONG).await.unwrap(),
        None,
        "a renewed lease expired"
    );
    assert!(queue.renew(&lease, LONG).await.unwrap());
    queue.ack(&lease).await.unwrap();
}

/// After a redelivery, the first worker's late ack, renew and retry change nothing.
pub async fn case_stale_token_is_ignored(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let stale = queue.take(Duration::ZERO, SHORT).await.unwrap().unwrap();
    let current = queue
        .take(PATIENCE, LONG)
        .await
        .unwrap()
        .expect("the job came back");

    queue.ack(&stale).await.unwrap();
    queue.retry(&stale, Duration::ZERO).await.unwrap();
    assert!(!queue.renew(&stale, LONG).await.unwrap());
    assert_eq!(
        queue.pending().await.unwrap(),
        0,
        "a stale retry re-queued the job"
    );
    assert!(
        queue.renew(&current, LONG).await.unwrap(),
        "a stale ack ended the current lease"
    );

    let forged = Lease {
        token: format!("{}-forged", current.token),
        ..current.clone()
    };
    queue.ack(&forged).await.unwrap();
    assert!(
        queue.renew(&current, LONG).await.unwrap(),
        "an unknown token ended the lease"
    );
}

/// An acked job is never handed out again.
pub async fn case_ack_removes_the_job(queue: &dyn Queue) {
    let (done, other) = (JobId::new(), JobId::new());
    queue.enqueue(done).await.unwrap();
    queue.enqueue(other).await.unwrap();
    let lease = queue.take(Duration::ZERO, SHORT).await.unwrap().unwrap();
    assert_eq!(lease.job_id, done);
    queue.ack(&lease).await.unwrap();
    assert!(
        !queue.renew(&lease, LONG).await.unwrap(),
        "an acked lease was renewed"
    );
    let next = take_now(queue).await.unwrap();
    assert_eq!(next.job_id, other);
    // Had the ack not removed the job, its short lease would end and it would come back.
    assert_eq!(
        queue.take(QUIET, LONG).await.unwrap(),
        None,
        "an acked job came back"
    );
}

/// A retried job comes back after its delay, not before.
pub async fn case_retry_with_delay(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let first = take_now(queue).await.unwrap();
    queue.retry(&first, Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        queue.pending().await.unwrap(),
        1,
        "a job waiting out its delay is pending"
    );
    assert!(
        !queue.renew(&first, LONG).await.unwrap(),
        "retry kept the lease"
    );
    assert_eq!(
        take_now(queue).await,
        None,
        "the job was visible before its delay"
    );
    let second = queue
        .take(PATIENCE, LONG)
        .await
        .unwrap()
        .expect("the job came back");
    assert_eq!(second.job_id, id);
    assert_eq!(second.deliveries, 2);

    // Without a delay it is ready at once.
    queue.retry(&second, Duration::ZERO).await.unwrap();
    let third = take_now(queue).await.expect("retried without delay");
    assert_eq!((third.job_id, third.deliveries), (id, 3));
}

/// A cancelled waiting job is dropped and reads as cancelled.
pub async fn case_cancel_waiting_job(queue: &dyn Queue) {
    let (cancelled, kept) = (JobId::new(), JobId::new());
    queue.enqueue(cancelled).await.unwrap();
    queue.enqueue(kept).await.unwrap();
    queue.cancel(cancelled).await.unwrap();
    assert!(queue.is_cancelled(cancelled).await.unwrap());
    assert!(!queue.is_cancelled(kept).await.unwrap());
    assert_eq!(queue.pending().await.unwrap(), 1);
    assert_eq!(take_now(queue).await.map(|lease| lease.job_id), Some(kept));
    assert_eq!(
        take_now(queue).await,
        None,
        "a cancelled job was handed out"
    );
}

/// A running job is not taken away from its worker, but the worker can see the request.
pub async fn case_cancel_leased_job_flags_it(queue: &dyn Queue) {
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = take_now(queue).await.unwrap();
    assert!(!queue.is_cancelled(id).await.unwrap());
    queue.cancel(id).await.unwrap();
    assert!(queue.is_cancelled(id).await.unwrap());
    assert!(
        queue.renew(&lease, LONG).await.unwrap(),
        "cancel took the lease away"
    );
    queue.ack(&lease).await.unwrap();
    assert_eq!(take_now(queue).await, None);
}

/// 40 jobs, 8 takers at once: every job is handed out exactly once.
pub async fn case_concurrent_takers_never_share_a_job(queue: Arc<dyn Queue>) {
    let ids: Vec<JobId> = (0..40).map(|_| JobId::new()).collect();
    for &id in &ids {
        queue.enqueue(id).await.unwrap();
    }
    let takers: Vec<_> = (0..8)
        .map(|_| {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                let mut taken = Vec::new();
                while let Some(lease) = queue.take(Duration::from_millis(100), LONG).await.unwrap()
                {
                    taken.push(lease);
                    tokio::task::yield_now().await;
                }
                taken
            })
        })
        .collect();
    let mut taken = Vec::new();
    for taker in takers {
        taken.extend(taker.await.unwrap());
    }
    let mut seen = HashSet::new();
    for lease in &taken {
        assert!(
            seen.insert(lease.job_id),
            "job {} was handed out twice",
            lease.job_id
        );
        assert_eq!(lease.deliveries, 1);
    }
    assert_eq!(
        seen,
        ids.iter().copied().collect(),
        "some jobs were never handed out"
    );
    assert_eq!(queue.pending().await.unwrap(), 0);
}

fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

/// Fair share: one tenant's burst, queued first, does not hold back another tenant's
/// single job; the burst's jobs keep their order.
pub async fn case_a_burst_does_not_hold_back_another_tenants_job(queue: &dyn Queue) {
    let burst: Vec<JobId> = (0..200).map(|_| JobId::new()).collect();
    for &id in &burst {
        queue.enqueue_for(id, &tenant("bursty")).await.unwrap();
    }
    // One of the burst is running when the other tenant's job arrives.
    let running = take_now(queue).await.expect("the burst's first job");
    assert_eq!(running.job_id, burst[0]);
    let single = JobId::new();
    queue.enqueue_for(single, &tenant("single")).await.unwrap();
    let next = take_now(queue).await.expect("a job");
    assert_eq!(
        next.job_id, single,
        "the single job waited behind the burst"
    );
    queue.ack(&next).await.unwrap();
    queue.ack(&running).await.unwrap();
    for &id in &burst[1..] {
        let lease = take_now(queue).await.expect("the rest of the burst");
        assert_eq!(lease.job_id, id, "the burst lost its order");
        queue.ack(&lease).await.unwrap();
    }
    assert_eq!(take_now(queue).await, None);
    assert_eq!(queue.pending().await.unwrap(), 0);
}

/// Tenants with jobs waiting are served in turn (the one served longest ago first, a
/// tenant never served before any other, the oldest job breaking ties).
pub async fn case_tenants_are_served_in_turn(queue: &dyn Queue) {
    let mut queued = Vec::new();
    for name in ["a", "a", "a", "b", "b", "b", "c"] {
        let id = JobId::new();
        queue.enqueue_for(id, &tenant(name)).await.unwrap();
        queued.push((name, id));
    }
    let mut served = Vec::new();
    while let Some(lease) = take_now(queue).await {
        let (name, _) = queued
            .iter()
            .find(|(_, id)| *id == lease.job_id)
            .expect("a queued job");
        served.push(*name);
        queue.ack(&lease).await.unwrap();
    }
    assert_eq!(served, ["a", "b", "c", "a", "b", "a", "b"]);
}

/// Stamps out one `#[tokio::test]` per conformance case. `$setup` is an expression
/// evaluating to a future of a [`QueueFixture`]; it is evaluated once per test.
#[macro_export]
#[doc(hidden)]
macro_rules! queue_conformance_tests {
    ($setup:expr) => {
        $crate::queue_conformance_tests!(@by_ref $setup;
            case_fifo_take,
            case_duplicate_enqueue_is_ignored,
            case_take_on_empty_returns_none_after_waiting,
            case_expired_lease_is_redelivered,
            case_renew_keeps_the_lease,
            case_stale_token_is_ignored,
            case_ack_removes_the_job,
            case_retry_with_delay,
            case_cancel_waiting_job,
            case_cancel_leased_job_flags_it,
            case_a_burst_does_not_hold_back_another_tenants_job,
            case_tenants_are_served_in_turn,
        );
        $crate::queue_conformance_tests!(@shared $setup;
            case_enqueue_wakes_a_waiting_taker,
            case_concurrent_takers_never_share_a_job,
        );
    };
    (@by_ref $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let fixture: $crate::test_support::queue_conformance::QueueFixture = $setup.await;
            $crate::test_support::queue_conformance::$case(&*fixture.queue).await;
        }
    )+};
    (@shared $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let fixture: $crate::test_support::queue_conformance::QueueFixture = $setup.await;
            $crate::test_support::queue_conformance::$case(::std::sync::Arc::clone(&fixture.queue)).await;
        }
    )+};
}
