//! Scale-out as an operator runs it: `office serve --no-worker` and `office worker` as
//! separate OS processes sharing the real PostgreSQL (127.0.0.1:5432, database `test`)
//! and Redis (127.0.0.1:6379), driven over HTTP. Each test runs twice: the processes
//! sharing one DATA_DIR, and (`_on_s3`) each with its own DATA_DIR and the job files on
//! an S3-compatible store (the moto server `.ci/run` starts, `OFFICE_TEST_S3_ENDPOINT`),
//! sharing no folder at all.
//!
//! Each test has its own PostgreSQL schema, Redis key prefix, data folder and bucket
//! (random, removed after), so tests run in parallel and repeated runs never meet. The
//! servers must be up (`.ci/run` starts them); a test fails rather than skips when they
//! are not.

use office_core::S3Settings;
use office_core::test_support::s3;
use redis::AsyncCommands;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::Duration;
use tokio::time::{Instant, sleep};

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "redis://127.0.0.1:6379";
const SMALL_CSV: &str = "region,amount\nNorth,10\nSouth,5\nNorth,7\nEast,3\n";

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// What the processes of one test share: a schema, a queue prefix, a data folder, a port.
struct Cluster {
    dir: tempfile::TempDir,
    schema: String,
    prefix: String,
    port: u16,
    http: reqwest::Client,
    /// The bucket job files go to; `None`: one DATA_DIR shared by every process.
    bucket: Option<S3Settings>,
}

impl Cluster {
    /// Processes whose job files are on a fresh bucket, each with its own DATA_DIR.
    async fn on_s3() -> Cluster {
        let mut cluster = Cluster::new().await;
        cluster.bucket = Some(s3::fresh_bucket().await);
        cluster
    }

    async fn new() -> Cluster {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let schema = format!("office_scale_{id}");
        let mut pg = PgConnection::connect(POSTGRES)
            .await
            .expect("PostgreSQL is reachable on 127.0.0.1:5432");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut pg)
            .await
            .unwrap();
        // A free port for the API, released for the server to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Cluster {
            dir: tempfile::tempdir().unwrap(),
            schema,
            prefix: format!("office-scale-{id}"),
            port,
            http: reqwest::Client::new(),
            bucket: None,
        }
    }

    fn database_url(&self) -> String {
        format!("{POSTGRES}?options[search_path]={}", self.schema)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Starts `office <args>` on the shared backends, its log in the data folder.
    fn spawn(&self, name: &str, args: &[&str]) -> Process {
        let log = self.dir.path().join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_office"));
        match &self.bucket {
            None => command.env("DATA_DIR", self.dir.path().join("data")),
            Some(bucket) => command
                .env("DATA_DIR", self.dir.path().join(format!("data-{name}")))
                .env("OFFICE_ARTIFACTS_URL", bucket.url())
                .env("AWS_ENDPOINT_URL", bucket.endpoint.as_deref().unwrap())
                .env("AWS_REGION", &bucket.region)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing"),
        };
        let child = command
            .args(args)
            .env("DATABASE_URL", self.database_url())
            .env("REDIS_URL", REDIS)
            .env("OFFICE_REDIS_PREFIX", &self.prefix)
            .env("OFFICE_PYTHON", python())
            .env("OFFICE_PORT", self.port.to_string())
            .env("OFFICE_HOST", "127.0.0.1")
            // Short leases, so a killed worker's jobs come back within seconds.
            .env("OFFICE_LEASE_SECS", "3")
            .env("OFFICE_LOG", "info,sqlx=warn")
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the office binary starts");
        Process {
            child,
            log,
            name: name.into(),
        }
    }

    async fn wait_healthy(&self, api: &mut Process) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = self.http.get(self.url("/api/health")).send().await
                && response.status().is_success()
            {
                let health: serde_json::Value = response.json().await.unwrap();
                assert_eq!(
                    (health["store"].as_str(), health["queue"].as_str()),
                    (Some("postgres"), Some("redis")),
                    "{health}"
                );
                let artifacts = self.bucket.as_ref().map_or("folder".into(), |b| b.url());
                assert_eq!(health["artifacts"], artifacts, "{health}");
                return;
            }
            if let Some(status) = api.child.try_wait().unwrap() {
                panic!("the API exited ({status}):\n{}", api.logs());
            }
            assert!(Instant::now() < deadline, "API not up:\n{}", api.logs());
            sleep(Duration::from_millis(100)).await;
        }
    }

    async fn submit(&self, csv: &str, prompt: &str) -> String {
        let form = reqwest::multipart::Form::new()
            .text("prompt", prompt.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("sales.csv"),
            );
        let response = self
            .http
            .post(self.url("/api/excel/jobs"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let job: serde_json::Value = response.json().await.unwrap();
        job["id"].as_str().unwrap().to_string()
    }

    async fn job(&self, id: &str) -> serde_json::Value {
        self.http
            .get(self.url(&format!("/api/excel/jobs/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn jobs(&self) -> Vec<serde_json::Value> {
        let listed: serde_json::Value = self
            .http
            .get(self.url("/api/excel/jobs?limit=1000"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["jobs"].as_array().unwrap().clone()
    }

    /// Polls until every listed job is final; panics after `timeout` with the logs.
    async fn wait_all_final(
        &self,
        expected: usize,
        timeout: Duration,
        logs: &[&Process],
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let jobs = self.jobs().await;
            let unfinished = jobs
                .iter()
                .filter(|j| !["succeeded", "failed", "cancelled"].contains(&status(j)))
                .count();
            if jobs.len() == expected && unfinished == 0 {
                return jobs;
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = logs.iter().map(|p| p.logs()).collect();
                panic!(
                    "{unfinished} of {} jobs unfinished after {timeout:?}\n{}",
                    jobs.len(),
                    logs.join("\n")
                );
            }
            sleep(Duration::from_millis(500)).await;
        }
    }

    /// With S3: no process wrote job files to its own folder, every job's output is in
    /// the bucket, and the API process serves it from there.
    async fn check_files_only_in_bucket(&self, ids: &[String]) {
        let Some(bucket) = &self.bucket else { return };
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let jobs = path.join("jobs");
                assert!(!jobs.exists(), "{} holds job files", jobs.display());
            }
        }
        let keys = s3::list_keys(bucket).await;
        for id in ids {
            let output = format!("office/jobs/{id}/outputs/output.xlsx");
            assert!(keys.contains(&output), "{output} is not in the bucket");
        }
        let response = self
            .http
            .get(self.url(&format!("/api/excel/jobs/{}/download", ids[0])))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let workbook = response.bytes().await.unwrap();
        assert_eq!(&workbook[..2], b"PK", "not a workbook");
    }

    async fn postgres(&self) -> PgConnection {
        let options = PgConnectOptions::from_str(POSTGRES)
            .unwrap()
            .options([("search_path", self.schema.as_str())]);
        PgConnection::connect_with(&options).await.unwrap()
    }

    /// How many `succeeded` status events each job has.
    async fn succeeded_events(&self) -> HashMap<String, i64> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT job_id, count(*) FROM events \
             WHERE body LIKE '%\"type\":\"status\"%' AND body LIKE '%\"status\":\"succeeded\"%' \
             GROUP BY job_id",
        )
        .fetch_all(&mut self.postgres().await)
        .await
        .unwrap();
        rows.into_iter().collect()
    }

    async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(REDIS)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Jobs the shared queue holds (waiting, delayed or leased), and jobs waiting in the
    /// tenants' lines.
    async fn queue_sizes(&self) -> (usize, usize) {
        let mut redis = self.redis().await;
        let jobs: usize = redis.hlen(format!("{}:job", self.prefix)).await.unwrap();
        let lines: Vec<String> = redis.keys(format!("{}:line:*", self.prefix)).await.unwrap();
        let mut waiting = 0;
        for line in lines {
            let len: usize = redis.llen(line).await.unwrap();
            waiting += len;
        }
        (jobs, waiting)
    }

    /// The job a process with this pid holds in the queue right now, if any (each
    /// delivery's token ends with its taker's name, `<host>-<pid>-<uuid>`).
    async fn job_held_by(&self, pid: u32) -> Option<String> {
        let mut redis = self.redis().await;
        let tokens: HashMap<String, String> = redis
            .hgetall(format!("{}:token", self.prefix))
            .await
            .unwrap();
        let marker = format!("-{pid}-");
        tokens
            .into_iter()
            .find(|(_, token)| token.contains(&marker))
            .map(|(job, _)| job)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let (schema, prefix) = (self.schema.clone(), self.prefix.clone());
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
                if let Ok(queue) = office_core::RedisQueue::connect(REDIS, &prefix).await {
                    let _ = queue.destroy().await;
                }
            });
        })
        .join();
    }
}

/// A child `office` process, killed when dropped.
struct Process {
    child: Child,
    log: PathBuf,
    name: String,
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for a clean exit.
    fn terminate(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{} exited with {status}", self.name);
    }

    fn logs(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("--- {} ---\n{}", self.name, tail.join("\n"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status(job: &serde_json::Value) -> &str {
    job["status"].as_str().unwrap_or_default()
}

/// 200 jobs through one API process and two worker processes; one worker is killed with
/// SIGKILL while it holds a job. Every job succeeds exactly once, none is lost, and the
/// job the dead worker held is finished by the other worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_one_killed_every_job_finishes_once() {
    two_workers_one_killed(Cluster::new().await, 200).await;
}

/// The same with the job files on S3 and no shared folder (fewer jobs: each one's files
/// make a round trip to the store).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_one_killed_every_job_finishes_once_on_s3() {
    two_workers_one_killed(Cluster::on_s3().await, 100).await;
}

async fn two_workers_one_killed(cluster: Cluster, count: usize) {
    let mut api = cluster.spawn("api", &["serve", "--no-worker"]);
    cluster.wait_healthy(&mut api).await;
    let mut doomed = cluster.spawn("worker-1", &["worker", "--concurrency", "2"]);
    let survivor = cluster.spawn("worker-2", &["worker", "--concurrency", "2"]);

    let prompts = ["sort by amount descending", "total amount by region"];
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        ids.push(cluster.submit(SMALL_CSV, prompts[n % 2]).await);
    }

    // Mid-run: once a tenth of the jobs are done, kill worker 1 while it holds a job.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let jobs = cluster.jobs().await;
        if jobs.iter().filter(|j| status(j) == "succeeded").count() >= count / 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "jobs do not run:\n{}",
            doomed.logs()
        );
        sleep(Duration::from_millis(200)).await;
    }
    // The kill must land while the job is unfinished: a job seen held a moment before may
    // already be done (or done but not yet acknowledged), so what counts is what the dead
    // worker still held afterwards and whether that job was final. When the kill missed,
    // a new worker takes the doomed one's place and the kill is tried again.
    let mut tries = 0;
    let held = loop {
        let Some(_) = cluster.job_held_by(doomed.pid()).await else {
            assert!(
                Instant::now() < deadline,
                "worker 1 never held a job:\n{}",
                doomed.logs()
            );
            sleep(Duration::from_millis(20)).await;
            continue;
        };
        let pid = doomed.pid();
        doomed.kill_9();
        if let Some(job) = cluster.job_held_by(pid).await {
            let status_at_kill = status(&cluster.job(&job).await).to_owned();
            if !matches!(
                status_at_kill.as_str(),
                "succeeded" | "failed" | "cancelled"
            ) {
                break job;
            }
        }
        tries += 1;
        assert!(tries < 10, "ten kills in a row missed a running job");
        doomed = cluster.spawn(
            &format!("worker-1-{tries}"),
            &["worker", "--concurrency", "2"],
        );
    };

    let jobs = cluster
        .wait_all_final(count, Duration::from_secs(600), &[&api, &survivor])
        .await;
    let mut listed: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    listed.sort();
    let mut submitted: Vec<&str> = ids.iter().map(String::as_str).collect();
    submitted.sort();
    assert_eq!(listed, submitted, "jobs were lost or made up");
    for job in &jobs {
        assert_eq!(status(job), "succeeded", "{job}");
    }
    let succeeded = cluster.succeeded_events().await;
    for id in &ids {
        assert_eq!(
            succeeded.get(id).copied(),
            Some(1),
            "job {id} did not succeed exactly once"
        );
    }
    let held_job = cluster.job(&held).await;
    assert_eq!(status(&held_job), "succeeded", "{held_job}");
    assert!(
        held_job["attempts"].as_u64().unwrap() >= 2,
        "the killed worker's job was not started again: {held_job}"
    );
    assert_eq!(
        cluster.queue_sizes().await,
        (0, 0),
        "the queue kept finished jobs"
    );
    cluster.check_files_only_in_bucket(&ids).await;
}

/// Jobs queued while no worker runs survive a restart of the API (whose recovery hands
/// them to the queue again without doubling them), then each runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_restart_with_jobs_queued() {
    api_restart(Cluster::new().await).await;
}

/// The same with the job files on S3 and no shared folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_restart_with_jobs_queued_on_s3() {
    api_restart(Cluster::on_s3().await).await;
}

async fn api_restart(cluster: Cluster) {
    const JOBS: usize = 10;
    let mut api = cluster.spawn("api", &["serve", "--no-worker"]);
    cluster.wait_healthy(&mut api).await;
    let mut ids = Vec::new();
    for _ in 0..JOBS {
        ids.push(cluster.submit(SMALL_CSV, "sort by amount descending").await);
    }
    assert_eq!(cluster.queue_sizes().await, (JOBS, JOBS));
    api.terminate();

    let mut api = cluster.spawn("api-again", &["serve", "--no-worker"]);
    cluster.wait_healthy(&mut api).await;
    assert_eq!(
        cluster.queue_sizes().await,
        (JOBS, JOBS),
        "the restarted API's recovery changed the queue"
    );
    for id in &ids {
        assert_eq!(status(&cluster.job(id).await), "queued");
    }

    let worker = cluster.spawn("worker", &["worker", "--concurrency", "2"]);
    let jobs = cluster
        .wait_all_final(JOBS, Duration::from_secs(300), &[&api, &worker])
        .await;
    let succeeded = cluster.succeeded_events().await;
    for job in &jobs {
        assert_eq!(status(job), "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "{job}");
        assert_eq!(succeeded.get(job["id"].as_str().unwrap()), Some(&1));
    }
    assert_eq!(cluster.queue_sizes().await, (0, 0));
    cluster.check_files_only_in_bucket(&ids).await;
}

/// A cancel sent to the API process stops a job running in a worker process, and the
/// worker goes on to run the next job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_a_job_running_in_another_process() {
    cancel_across_processes(Cluster::new().await).await;
}

/// The same with the job files on S3 and no shared folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_a_job_running_in_another_process_on_s3() {
    cancel_across_processes(Cluster::on_s3().await).await;
}

async fn cancel_across_processes(cluster: Cluster) {
    let mut api = cluster.spawn("api", &["serve", "--no-worker"]);
    cluster.wait_healthy(&mut api).await;
    let worker = cluster.spawn("worker", &["worker", "--concurrency", "1"]);

    // Large enough that writing the workbook takes several seconds.
    let mut big = String::from("region,amount\n");
    for n in 0..60_000u32 {
        big.push_str(&format!("R{},{}\n", n % 7, n.wrapping_mul(7919) % 100_000));
    }
    let id = cluster.submit(&big, "sort by amount descending").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while status(&cluster.job(&id).await) != "running" {
        assert!(Instant::now() < deadline, "never ran:\n{}", worker.logs());
        sleep(Duration::from_millis(20)).await;
    }
    let response = cluster
        .http
        .post(cluster.url(&format!("/api/excel/jobs/{id}/cancel")))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());

    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let job = cluster.job(&id).await;
        if status(&job) != "running" {
            break job;
        }
        assert!(Instant::now() < deadline, "cancel never reached the worker");
        sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status(&job), "cancelled", "{job}\n{}", worker.logs());
    assert_eq!(job["error"]["code"], "cancelled");

    let next = cluster.submit(SMALL_CSV, "sort by amount descending").await;
    cluster
        .wait_all_final(2, Duration::from_secs(120), &[&api, &worker])
        .await;
    assert_eq!(status(&cluster.job(&next).await), "succeeded");
    cluster.check_files_only_in_bucket(&[next]).await;
}
