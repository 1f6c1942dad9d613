//! Throughput of small jobs on the embedded backends (SQLite, in-process queue) beside the
//! shared ones (PostgreSQL, Redis), with one and with two workers, in one run; then the
//! backends' own cost per job without Python (enqueue, take, claim, finish, ack).
//!
//! On the shared backends each worker is an engine of its own (its own connection pool
//! and queue connection), as a separate `office worker` process would be. Needs the
//! PostgreSQL (`test` database) and Redis on this machine; everything it makes is under a
//! random schema and key prefix, removed at the end.
//!
//! `cargo bench -p office-benches --bench scale`

use office_core::{Config, Engine, Submission, Upload};
use office_core::{Job, JobKind, JobStatus};
use office_core::{MemoryQueue, Queue, RedisQueue};
use office_core::{PostgresStore, SqliteStore, Store};
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "redis://127.0.0.1:6379";
const JOBS: usize = 40;
const CYCLES: usize = 500;
const CSV: &str = "region,amount\nNorth,10\nSouth,5\nNorth,7\nEast,3\n";

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

fn unique(name: &str) -> String {
    format!("{name}_{}", uuid_like())
}

fn uuid_like() -> String {
    office_core::JobId::new().to_string().replace('-', "")
}

/// Submits `JOBS` small jobs through `api` and waits for all; jobs per second.
async fn throughput(api: &Engine) -> anyhow::Result<f64> {
    let clock = Instant::now();
    let mut ids = Vec::with_capacity(JOBS);
    for _ in 0..JOBS {
        let upload = Upload {
            name: "sales.csv".into(),
            data: CSV.as_bytes().to_vec().into(),
        };
        let job = api
            .submit(Submission::new(
                JobKind::Excel,
                "sort by amount descending",
                vec![upload],
            ))
            .await?;
        ids.push(job.id);
    }
    for id in ids {
        let job = api
            .wait(
                &office_core::Caller::default(),
                id,
                Some(Duration::from_secs(300)),
            )
            .await?;
        anyhow::ensure!(
            job.status == JobStatus::Succeeded,
            "job {id} {}: {:?}",
            job.status,
            job.error
        );
    }
    Ok(JOBS as f64 / clock.elapsed().as_secs_f64())
}

fn config(data: &std::path::Path) -> Config {
    let mut config = Config::with_data_dir(data);
    config.python = python();
    config
}

async fn embedded(workers: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let engine = Engine::open(config(dir.path())).await?;
    let pool = engine.start_workers(workers);
    let rate = throughput(&engine).await;
    pool.shutdown(Duration::from_secs(5)).await;
    rate
}

async fn shared(workers: usize, schema: &str) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut base = config(dir.path());
    base.database_url = Some(format!("{POSTGRES}?options[search_path]={schema}"));
    base.redis_url = Some(REDIS.into());
    base.redis_prefix = unique("office-bench");
    let api = Engine::open(base.clone()).await?;
    let mut pools = Vec::new();
    for _ in 0..workers {
        let worker = Engine::open(base.clone()).await?;
        pools.push(worker.start_workers(1));
    }
    let rate = throughput(&api).await;
    for pool in pools {
        pool.shutdown(Duration::from_secs(5)).await;
    }
    RedisQueue::connect(REDIS, &base.redis_prefix)
        .await?
        .destroy()
        .await?;
    rate
}

/// One job's trip through the backends without running anything: microseconds each.
async fn backend_cycle(store: &dyn Store, queue: &dyn Queue) -> anyhow::Result<f64> {
    let clock = Instant::now();
    for _ in 0..CYCLES {
        let job = Job::new(JobKind::Excel, "x");
        store.insert(&job).await?;
        queue.enqueue(job.id).await?;
        let lease = queue
            .take(Duration::ZERO, Duration::from_secs(60))
            .await?
            .expect("the job just enqueued");
        let mut job = store.claim(lease.job_id).await?.expect("claimable");
        job.status = JobStatus::Succeeded;
        anyhow::ensure!(store.update(&job).await?);
        queue.ack(&lease).await?;
    }
    Ok(clock.elapsed().as_secs_f64() * 1e6 / CYCLES as f64)
}

async fn with_schema<T>(run: impl AsyncFnOnce(&str) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let schema = unique("office_bench");
    let mut pg = sqlx::postgres::PgConnection::connect(POSTGRES).await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut pg)
        .await?;
    let result = run(&schema).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut pg)
        .await?;
    result
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "scale: {JOBS} small excel jobs (sort a 4-row CSV) per setup; workers run one job at a time"
    );
    println!("{:<34} {:>8}", "setup", "jobs/s");
    for workers in [1, 2] {
        let rate = embedded(workers).await?;
        println!(
            "{:<34} {rate:>8.2}",
            format!("in-process + SQLite, {workers} worker(s)")
        );
    }
    for workers in [1, 2] {
        let rate = with_schema(async |schema| shared(workers, schema).await).await?;
        println!(
            "{:<34} {rate:>8.2}",
            format!("Redis + PostgreSQL, {workers} worker(s)")
        );
    }

    println!(
        "\nbackends alone: insert, enqueue, take, claim, finish, ack; {CYCLES} jobs one after another"
    );
    println!("{:<34} {:>8}", "backends", "µs/job");
    let dir = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&dir.path().join("bench.db")).await?;
    let us = backend_cycle(&sqlite, &MemoryQueue::new()).await?;
    println!("{:<34} {us:>8.0}", "SQLite + in-process");
    let us = with_schema(async |schema| {
        let options = format!("{POSTGRES}?options[search_path]={schema}");
        let postgres = PostgresStore::connect(&options, 4).await?;
        let prefix = unique("office-bench");
        let redis = Arc::new(RedisQueue::connect(REDIS, &prefix).await?);
        let us = backend_cycle(&postgres, redis.as_ref()).await;
        redis.destroy().await?;
        postgres.close().await;
        us
    })
    .await?;
    println!("{:<34} {us:>8.0}", "PostgreSQL + Redis");
    Ok(())
}
