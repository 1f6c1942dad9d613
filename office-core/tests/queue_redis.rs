//! The Redis queue against the shared conformance suite, on the real server
//! (`OFFICE_TEST_REDIS_URL`, default 127.0.0.1:6379; `.ci/run` starts it when it is
//! down), with real short leases: Redis keeps its own clock. A test fails, rather than
//! skips, when the server cannot be reached.
//!
//! Each queue lives under a random key prefix, deleted when the test ends.

use office_core::JobId;
use office_core::test_support::queue_conformance::QueueFixture;
use office_core::{Queue, RedisQueue};
use std::sync::Arc;
use std::time::Duration;

fn server() -> String {
    std::env::var("OFFICE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn random_prefix() -> String {
    format!("office-test-{}", uuid::Uuid::now_v7().simple())
}

/// Deletes the queue's keys when dropped.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let prefix = self.0.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(queue) = RedisQueue::connect(&server(), &prefix).await {
                    let _ = queue.destroy().await;
                }
            });
        })
        .join();
    }
}

async fn redis_queue() -> QueueFixture {
    let prefix = random_prefix();
    let queue = RedisQueue::connect(&server(), &prefix)
        .await
        .expect("Redis is reachable (is it running on 127.0.0.1:6379?)");
    QueueFixture::with_guard(queue, Cleanup(prefix))
}

office_core::queue_conformance_tests!(redis_queue());

/// Two queue objects on one prefix behave as two worker processes: a job taken by one is
/// not handed to the other while the lease holds, a cancel made through one is seen by
/// the other, and the lease of a "dead" one (never renewed) passes to the live one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_queue() {
    let prefix = random_prefix();
    let _cleanup = Cleanup(prefix.clone());
    let a = RedisQueue::connect(&server(), &prefix).await.unwrap();
    let b = RedisQueue::connect(&server(), &prefix).await.unwrap();
    let (held, dying) = (JobId::new(), JobId::new());
    a.enqueue(held).await.unwrap();
    a.enqueue(dying).await.unwrap();
    let lease = a
        .take(Duration::ZERO, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lease.job_id, held);
    let short = b
        .take(Duration::ZERO, Duration::from_millis(200))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(short.job_id, dying);

    b.cancel(held).await.unwrap();
    assert!(a.is_cancelled(held).await.unwrap());
    assert!(a.renew(&lease, Duration::from_secs(60)).await.unwrap());

    // b "dies": its job comes to a, whose own lease on `held` is untouched.
    let reclaimed = a
        .take(Duration::from_secs(10), Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the dead taker's job came back");
    assert_eq!((reclaimed.job_id, reclaimed.deliveries), (dying, 2));
    assert!(!b.renew(&short, Duration::from_secs(60)).await.unwrap());
    a.ack(&lease).await.unwrap();
    a.ack(&reclaimed).await.unwrap();
    assert_eq!(b.pending().await.unwrap(), 0);
    assert_eq!(
        b.take(Duration::from_millis(300), Duration::from_secs(60))
            .await
            .unwrap(),
        None
    );
}

/// Taking concurrently from many queue objects (processes) still hands each job out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_processes_never_share_a_job() {
    let prefix = random_prefix();
    let _cleanup = Cleanup(prefix.clone());
    let mut queues = Vec::new();
    for _ in 0..4 {
        queues.push(Arc::new(
            RedisQueue::connect(&server(), &prefix).await.unwrap(),
        ));
    }
    let ids: Vec<JobId> = (0..60).map(|_| JobId::new()).collect();
    for &id in &ids {
        queues[0].enqueue(id).await.unwrap();
    }
    let takers: Vec<_> = queues
        .iter()
        .flat_map(|q| [Arc::clone(q), Arc::clone(q)])
        .map(|queue| {
            tokio::spawn(async move {
                let mut taken = Vec::new();
                while let Some(lease) = queue
                    .take(Duration::from_millis(200), Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    queue.ack(&lease).await.unwrap();
                    taken.push(lease.job_id);
                }
                taken
            })
        })
        .collect();
    let mut all = Vec::new();
    for taker in takers {
        all.extend(taker.await.unwrap());
    }
    all.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(all, expected, "every job exactly once");
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    let err = RedisQueue::connect("redis://127.0.0.1:1", "x")
        .await
        .err()
        .expect("nothing listens on port 1")
        .to_string();
    assert!(
        err.contains("cannot connect to Redis at redis://127.0.0.1:1"),
        "{err}"
    );
    let err = RedisQueue::connect("http://example", "x")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("REDIS_URL"), "{err}");
}
