//! The in-process queue against the shared conformance suite, plus the same behaviours
//! pinned down exactly with paused time.

use office_core::JobId;
use office_core::test_support::queue_conformance::QueueFixture;
use office_core::{MemoryQueue, Queue};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, advance};

async fn setup() -> QueueFixture {
    QueueFixture::new(MemoryQueue::new())
}

office_core::queue_conformance_tests!(setup());

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test(start_paused = true)]
async fn take_gives_up_exactly_when_its_wait_ends() {
    let queue = MemoryQueue::new();
    let started = Instant::now();
    assert_eq!(
        queue.take(Duration::from_secs(5), LEASE).await.unwrap(),
        None
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_waiting_taker_gets_a_job_enqueued_later() {
    let queue = Arc::new(MemoryQueue::new());
    let taker = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let lease = queue.take(Duration::from_secs(3600), LEASE).await.unwrap();
            (lease, Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_secs(7)).await;
    let enqueued_at = Instant::now();
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let (lease, woke_at) = taker.await.unwrap();
    assert_eq!(lease.map(|lease| lease.job_id), Some(id));
    assert_eq!(woke_at, enqueued_at, "the taker slept on after the enqueue");
}

#[tokio::test(start_paused = true)]
async fn lease_expires_exactly_at_its_end_and_the_job_goes_first() {
    let queue = MemoryQueue::new();
    let (first, second) = (JobId::new(), JobId::new());
    queue.enqueue(first).await.unwrap();
    let dead = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    queue.enqueue(second).await.unwrap();

    advance(LEASE - Duration::from_millis(1)).await;
    assert_eq!(queue.pending().await.unwrap(), 1, "the lease ended early");
    advance(Duration::from_millis(1)).await;
    assert_eq!(queue.pending().await.unwrap(), 2);
    assert!(!queue.renew(&dead, LEASE).await.unwrap());

    // The redelivered job waited longest, so it is handed out before the newer one.
    let again = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    assert_eq!((again.job_id, again.deliveries), (first, 2));
    let next = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    assert_eq!((next.job_id, next.deliveries), (second, 1));
}

#[tokio::test(start_paused = true)]
async fn a_waiting_taker_wakes_when_a_lease_expires() {
    let queue = Arc::new(MemoryQueue::new());
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let started = Instant::now();
    let dead = queue
        .take(Duration::ZERO, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    let again = queue
        .take(Duration::from_secs(3600), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert_eq!(again.job_id, dead.job_id);
    assert_eq!(again.deliveries, 2);
}

/// A taker that was already waiting when another worker took the job wakes when that
/// worker's lease ends.
#[tokio::test(start_paused = true)]
async fn a_waiting_taker_gets_a_job_whose_lease_ended() {
    let queue = Arc::new(MemoryQueue::new());
    let started = Instant::now();
    let waiter = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let lease = queue.take(Duration::from_secs(3600), LEASE).await.unwrap();
            (lease, Instant::now())
        })
    };
    tokio::task::yield_now().await;
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    // No await point between the enqueue and this take on the single-threaded test
    // runtime, so this worker gets the job first and holds it for 10 s.
    let dead = queue
        .take(Duration::ZERO, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dead.job_id, dead.deliveries), (id, 1));
    let (waited, woke_at) = waiter.await.unwrap();
    let waited = waited.expect("the waiter got nothing");
    assert_eq!((waited.job_id, waited.deliveries), (id, 2));
    assert_eq!(woke_at - started, Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn retry_delay_is_kept_exactly() {
    let queue = MemoryQueue::new();
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    queue.retry(&lease, Duration::from_secs(60)).await.unwrap();
    advance(Duration::from_secs(59)).await;
    assert_eq!(queue.take(Duration::ZERO, LEASE).await.unwrap(), None);
    let started = Instant::now();
    let again = queue
        .take(Duration::from_secs(3600), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!((again.job_id, again.deliveries), (id, 2));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_job_given_back_is_dropped() {
    let queue = MemoryQueue::new();
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    queue.cancel(id).await.unwrap();
    queue.retry(&lease, Duration::ZERO).await.unwrap();
    assert_eq!(queue.pending().await.unwrap(), 0);
    assert!(queue.is_cancelled(id).await.unwrap());

    // Enqueuing it again starts it afresh.
    queue.enqueue(id).await.unwrap();
    assert!(!queue.is_cancelled(id).await.unwrap());
    let fresh = queue.take(Duration::ZERO, LEASE).await.unwrap().unwrap();
    assert_eq!(fresh.deliveries, 1);
}

#[tokio::test(start_paused = true)]
async fn huge_durations_mean_forever_and_do_not_overflow() {
    let queue = Arc::new(MemoryQueue::new());
    let taker = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move { queue.take(Duration::MAX, Duration::MAX).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let id = JobId::new();
    queue.enqueue(id).await.unwrap();
    let lease = taker.await.unwrap().unwrap();
    assert!(queue.renew(&lease, Duration::MAX).await.unwrap());
    queue.retry(&lease, Duration::MAX).await.unwrap();
    assert_eq!(queue.pending().await.unwrap(), 1);
    advance(Duration::from_secs(10 * 365 * 24 * 3600)).await;
    assert_eq!(
        queue.take(Duration::ZERO, Duration::MAX).await.unwrap(),
        None
    );
}
