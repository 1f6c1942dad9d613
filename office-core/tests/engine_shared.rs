//! Engines on the shared backends (the real PostgreSQL and Redis on this machine), several
//! in one test standing for several processes: what start-up recovery may and may not do
//! when other processes are alive. Each test has its own schema and key prefix.

use office_core::{Config, Engine, Submission, Upload};
use office_core::{JobKind, JobStatus};
use office_core::{Queue, RedisQueue};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::path::PathBuf;
use std::time::Duration;

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "redis://127.0.0.1:6379";

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

/// A config for "processes" sharing a fresh schema, key prefix and data folder; the
/// schema and keys are removed on drop.
struct Shared {
    config: Config,
    schema: String,
    _dir: tempfile::TempDir,
}

impl Shared {
    async fn new() -> Shared {
        let id = office_core::JobId::new().to_string().replace('-', "");
        let schema = format!("office_engine_{id}");
        let mut pg = PgConnection::connect(POSTGRES)
            .await
            .expect("PostgreSQL is reachable on 127.0.0.1:5432");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut pg)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path());
        config.python = python();
        config.database_url = Some(format!("{POSTGRES}?options[search_path]={schema}"));
        config.redis_url = Some(REDIS.into());
        config.redis_prefix = format!("office-engine-{id}");
        config.lease = Duration::from_secs(2);
        Shared {
            config,
            schema,
            _dir: dir,
        }
    }

    async fn queue(&self) -> RedisQueue {
        RedisQueue::connect(REDIS, &self.config.redis_prefix)
            .await
            .unwrap()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let (schema, prefix) = (self.schema.clone(), self.config.redis_prefix.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut pg) = PgConnection::connect(POSTGRES).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                        .execute(&mut pg)
                        .await;
                }
                if let Ok(queue) = RedisQueue::connect(REDIS, &prefix).await {
                    let _ = queue.destroy().await;
                }
            });
        })
        .join();
    }
}

fn csv_job() -> Submission {
    Submission::new(
        JobKind::Excel,
        "sort by amount descending",
        vec![Upload {
            name: "sales.csv".into(),
            data: b"region,amount\nNorth,10\nSouth,5\n".to_vec().into(),
        }],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_picks_postgres_and_redis_from_the_config() {
    let shared = Shared::new().await;
    let engine = Engine::open(shared.config.clone()).await.unwrap();
    let backends = engine.backends();
    assert_eq!((&*backends.store, &*backends.queue), ("postgres", "redis"));

    let mut bad = shared.config.clone();
    bad.redis_url = Some("redis://127.0.0.1:1".into());
    let err = Engine::open(bad).await.err().unwrap().to_string();
    assert!(err.contains("cannot connect to Redis"), "{err}");
}

/// A process starting while another one's worker runs a job must leave that job alone:
/// not fail it, not hand it out a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_leaves_a_live_workers_job_alone() {
    let shared = Shared::new().await;
    let first = Engine::open(shared.config.clone()).await.unwrap();
    let job = first.submit(csv_job()).await.unwrap();
    // The first process's worker, mid-run: holds the lease and has claimed the job.
    let queue = shared.queue().await;
    let lease = queue
        .take(Duration::ZERO, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lease.job_id, job.id);
    first.store().claim(job.id).await.unwrap().unwrap();

    let second = Engine::open(shared.config.clone()).await.unwrap();
    let report = second.recover().await.unwrap();
    assert_eq!((report.resumed, report.failed), (0, 0), "{report:?}");
    let after = second
        .get(&office_core::Caller::default(), job.id)
        .await
        .unwrap();
    assert_eq!((after.status, after.attempts), (JobStatus::Running, 1));
    assert_eq!(second.queue().pending().await.unwrap(), 0);
    assert_eq!(
        second
            .queue()
            .take(Duration::from_millis(300), Duration::from_secs(60))
            .await
            .unwrap(),
        None,
        "recovery handed a held job out again"
    );
    assert!(queue.renew(&lease, Duration::from_secs(60)).await.unwrap());
}

/// A worker that died holding a job: another process's workers finish it once the lease
/// runs out, as a second attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_job_is_finished_by_another_process() {
    let shared = Shared::new().await;
    let api = Engine::open(shared.config.clone()).await.unwrap();
    let job = api.submit(csv_job()).await.unwrap();
    let dead = shared.queue().await;
    dead.take(Duration::ZERO, Duration::from_millis(500))
        .await
        .unwrap()
        .unwrap();
    api.store().claim(job.id).await.unwrap().unwrap();
    drop(dead); // never renews, never acks

    let worker = Engine::open(shared.config.clone()).await.unwrap();
    worker.recover().await.unwrap();
    let _pool = worker.start_workers(1);
    let done = api
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
}

/// A queue server that restarted empty forgot a running job; recovery at the next start
/// hands it back, and it finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_gives_a_forgotten_job_back_to_the_queue() {
    let shared = Shared::new().await;
    let api = Engine::open(shared.config.clone()).await.unwrap();
    let job = api.submit(csv_job()).await.unwrap();
    api.store().claim(job.id).await.unwrap().unwrap();
    shared.queue().await.destroy().await.unwrap();

    let worker = Engine::open(shared.config.clone()).await.unwrap();
    worker.recover().await.unwrap();
    assert_eq!(worker.queue().pending().await.unwrap(), 1);
    let _pool = worker.start_workers(1);
    let done = api
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
}

/// A job whose worker keeps dying is not started forever: once its attempts are used up,
/// the next worker to get it fails it, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_losing_its_worker_fails_saying_so() {
    let mut shared = Shared::new().await;
    shared.config.max_attempts = 1;
    let api = Engine::open(shared.config.clone()).await.unwrap();
    let job = api.submit(csv_job()).await.unwrap();
    let dead = shared.queue().await;
    dead.take(Duration::ZERO, Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    api.store().claim(job.id).await.unwrap().unwrap();

    let worker = Engine::open(shared.config.clone()).await.unwrap();
    let _pool = worker.start_workers(1);
    let done = api
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.unwrap();
    assert_eq!(error.code, "abandoned");
    assert!(
        error.message.contains("never finished"),
        "{}",
        error.message
    );
    assert_eq!(worker.queue().pending().await.unwrap(), 0);
}
