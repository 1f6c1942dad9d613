//! Quotas over real HTTP on loopback, on SQLite and on the real PostgreSQL
//! (127.0.0.1:5432, database `test`, one schema per test, dropped after). A keys file
//! gives tenants their own quotas over the server's defaults (`Config::quotas`, as
//! `OFFICE_QUOTA_*` set them). Over a count or a rate a submission answers 429 with
//! `Retry-After` and a sentence naming the limit, over a size 413; either way nothing of
//! it is kept (no job, no files). A job over its tenant's running limit waits and runs
//! later. `GET /api/usage` shows a tenant its own usage and limits, an admin everyone's.
//! Two servers sharing one PostgreSQL hold one limit between them.

use office_core::{KeysFile, Quotas, TenantId};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

const REDIS: &str = "redis://127.0.0.1:6379";
const JOB_TIMEOUT: Duration = Duration::from_secs(180);
const SALES: &str = "Product,Units,Revenue\nA,5,100\nB,12,40\nC,8,300\nD,1,50\n";

/// Servers over one store, with a keys file of tenants `a`, `b`, `c` (their own quotas
/// as given) and the admin `ops`.
struct Setup {
    servers: Vec<TestServer>,
    http: reqwest::Client,
    keys: HashMap<&'static str, String>,
    _keys_dir: tempfile::TempDir,
    _schema: Option<PgSchema>,
    /// The data folder several servers share (job files are in a folder).
    _shared: Option<tempfile::TempDir>,
}

/// A submission's answer.
struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Value,
}

impl Setup {
    async fn start(
        backend: Backend,
        servers: usize,
        workers: usize,
        defaults: Quotas,
        own: &[(&'static str, Quotas)],
    ) -> Setup {
        Self::start_on(backend, None, servers, workers, defaults, own).await
    }

    /// `start`, with the Redis queue under `redis_prefix` when given.
    async fn start_on(
        backend: Backend,
        redis_prefix: Option<String>,
        servers: usize,
        workers: usize,
        defaults: Quotas,
        own: &[(&'static str, Quotas)],
    ) -> Setup {
        let keys_dir = tempfile::tempdir().unwrap();
        let keys_path = keys_dir.path().join("keys.json");
        let mut file = KeysFile::default();
        let mut keys = HashMap::new();
        for (name, admin) in [("a", false), ("b", false), ("c", false), ("ops", true)] {
            let key = file.add_key(&TenantId::new(name).unwrap(), admin).unwrap();
            keys.insert(name, key);
        }
        for (name, quotas) in own {
            let tenant = file
                .tenants
                .iter_mut()
                .find(|t| t.name.as_str() == *name)
                .unwrap();
            tenant.quotas = *quotas;
        }
        file.write(&keys_path).unwrap();
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgSchema::create("office_quotas").await),
        };
        let mut started = Vec::new();
        // Several servers share a store only on PostgreSQL (each SQLite one is its own),
        // and job files through one folder.
        assert!(servers == 1 || backend == Backend::Postgres);
        let shared = (servers > 1).then(|| tempfile::tempdir().unwrap());
        for _ in 0..servers {
            let url = schema.as_ref().map(PgSchema::url);
            let path: PathBuf = keys_path.clone();
            let prefix = redis_prefix.clone();
            let data = shared.as_ref().map(|d| d.path().to_path_buf());
            started.push(
                TestServer::start_with(move |c| {
                    if let Some(data) = data {
                        c.data_dir = data;
                    }
                    if let Some(prefix) = prefix {
                        c.redis_url = Some(REDIS.into());
                        c.redis_prefix = prefix;
                    }
                    c.database_url = url;
                    c.workers = workers;
                    c.api_keys_file = Some(path);
                    c.quotas = defaults;
                })
                .await,
            );
        }
        let store = started[0].engine.backends().store.clone();
        assert_eq!(
            store,
            match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
        );
        Setup {
            servers: started,
            http: reqwest::Client::new(),
            keys,
            _keys_dir: keys_dir,
            _schema: schema,
            _shared: shared,
        }
    }

    fn request(
        &self,
        server: usize,
        tenant: &str,
        method: Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.servers[server].url(path))
            .bearer_auth(&self.keys[tenant])
    }

    async fn json(&self, tenant: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .request(0, tenant, Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Submits an excel job with `table(rows)` as `tenant` to server `server`.
    async fn submit_to(&self, server: usize, tenant: &str, rows: usize) -> Answer {
        let file = Part::bytes(table(rows).into_bytes()).file_name("sales.csv");
        let form = Form::new()
            .text("prompt", "sort by Revenue descending")
            .part("file", file);
        let resp = self
            .request(server, tenant, Method::POST, "/api/excel/jobs")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        Answer {
            status,
            retry_after,
            body: resp.json().await.unwrap(),
        }
    }

    async fn submit(&self, tenant: &str) -> Answer {
        self.submit_to(0, tenant, 0).await
    }

    /// The jobs the admin sees for `tenant`.
    async fn jobs_of(&self, tenant: &str) -> Vec<Value> {
        let (status, list) = self
            .json("ops", &format!("/api/excel/jobs?tenant={tenant}&limit=100"))
            .await;
        assert_eq!(status, 200, "{list}");
        list["jobs"].as_array().unwrap().clone()
    }

    /// Job folders in the servers' data folders (one, when they share it).
    fn job_folders(&self) -> usize {
        let mut folders: Vec<PathBuf> = self
            .servers
            .iter()
            .map(|s| s.engine.config().jobs_dir())
            .collect();
        folders.dedup();
        folders
            .iter()
            .map(|jobs| std::fs::read_dir(jobs).map_or(0, |dir| dir.count()))
            .sum()
    }

    async fn usage(&self, tenant: &str) -> Value {
        let (status, body) = self.json(tenant, "/api/usage").await;
        assert_eq!(status, 200, "{body}");
        let tenants = body["tenants"].as_array().unwrap();
        assert_eq!(tenants.len(), 1, "{body}");
        tenants[0].clone()
    }

    async fn finished(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + JOB_TIMEOUT;
        loop {
            let (status, job) = self.json("ops", &format!("/api/excel/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if ["succeeded", "failed", "cancelled"].contains(&job["status"].as_str().unwrap()) {
                return job;
            }
            assert!(tokio::time::Instant::now() < deadline, "{job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The sales table with `rows` more rows.
fn table(rows: usize) -> String {
    SALES.to_string() + &"E,1,1\n".repeat(rows)
}

fn quotas(f: impl FnOnce(&mut Quotas)) -> Quotas {
    let mut q = Quotas::default();
    f(&mut q);
    q
}

/// Tenant `a` may have 2 jobs queued: the third answers 429 with `Retry-After` and the
/// sentence, and leaves no job and no files; `b`, with no limit, is not held back.
async fn queued_limit_answers_429_and_keeps_nothing(backend: Backend) {
    let s = Setup::start(
        backend,
        1,
        0,
        Quotas::default(),
        &[("a", quotas(|q| q.queued = Some(2)))],
    )
    .await;
    for _ in 0..2 {
        let ok = s.submit("a").await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
    let folders = s.job_folders();
    let over = s.submit("a").await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
    assert_eq!(
        over.body["detail"],
        "tenant 'a' has 2 jobs queued, its limit; try again when one has started"
    );
    assert!(
        over.retry_after.is_some_and(|s| s >= 1),
        "Retry-After is set"
    );
    assert_eq!(
        s.jobs_of("a").await.len(),
        2,
        "no job row for the refused one"
    );
    assert_eq!(s.job_folders(), folders, "no files for the refused one");
    for _ in 0..3 {
        assert_eq!(s.submit("b").await.status, 201);
    }
    let usage = s.usage("a").await;
    assert_eq!(
        (usage["queued"].as_u64(), usage["jobs"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(usage["limits"]["queued"], 2);
}

/// The server's default of 3 submissions a minute holds for `a`; `b`'s own quota of 10
/// is over it. The fourth answers 429 with how long until the window frees a place.
async fn submissions_per_minute_default_and_override(backend: Backend) {
    let s = Setup::start(
        backend,
        1,
        0,
        quotas(|q| q.submissions_per_minute = Some(3)),
        &[("b", quotas(|q| q.submissions_per_minute = Some(10)))],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(s.submit("a").await.status, 201);
    }
    let over = s.submit("a").await;
    assert_eq!(over.status, 429, "{}", over.body);
    let detail = over.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "tenant 'a' submitted 3 jobs in the last minute, its limit of 3 per minute"
        ),
        "{detail}"
    );
    let wait = over.retry_after.expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(s.jobs_of("a").await.len(), 3);
    for _ in 0..4 {
        assert_eq!(s.submit("b").await.status, 201);
    }
    let usage = s.usage("a").await;
    assert_eq!(usage["submissions_last_minute"], 3, "{usage}");
    assert_eq!(usage["limits"]["submissions_per_minute"], 3, "{usage}");
}

/// `a` may upload one 20-row table with a job, `c` keep a little more than two: over
/// either is 413 with a sentence and nothing kept; deleting a job makes room again.
async fn sizes_answer_413_and_deleting_frees_room(backend: Backend) {
    let size = table(20).len() as u64;
    let s = Setup::start(
        backend,
        1,
        0,
        Quotas::default(),
        &[
            ("a", quotas(|q| q.upload_bytes = Some(size))),
            ("c", quotas(|q| q.stored_bytes = Some(2 * size + 10))),
        ],
    )
    .await;
    assert_eq!(s.submit_to(0, "a", 20).await.status, 201);
    let big = s.submit_to(0, "a", 21).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);
    assert!(big.retry_after.is_none());
    let detail = big.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "more than tenant 'a' may upload with one job ({size} bytes)"
        )),
        "{detail}"
    );

    let first = s.submit_to(0, "c", 20).await;
    assert_eq!(first.status, 201);
    assert_eq!(s.submit_to(0, "c", 20).await.status, 201);
    let folders = s.job_folders();
    let full = s.submit_to(0, "c", 20).await;
    assert_eq!(full.status, 413, "{}", full.body);
    let detail = full.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!(
            "tenant 'c' keeps {} bytes of job files; with this job's {size} more",
            2 * size
        )),
        "{detail}"
    );
    assert_eq!(s.job_folders(), folders);
    assert_eq!(s.jobs_of("c").await.len(), 2);
    assert_eq!(s.usage("c").await["stored_bytes"], 2 * size);

    let id = first.body["id"].as_str().unwrap();
    let deleted = s
        .request(0, "c", Method::DELETE, &format!("/api/excel/jobs/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(s.usage("c").await["stored_bytes"], size);
    assert_eq!(s.submit_to(0, "c", 20).await.status, 201);
}

/// A tenant sees its own usage (whatever tenant it asks for); the admin sees every
/// tenant with jobs, or the one asked for; a bad name is 422.
async fn usage_is_scoped_to_the_caller(backend: Backend) {
    let s = Setup::start(
        backend,
        1,
        0,
        quotas(|q| q.queued = Some(50)),
        &[("b", quotas(|q| q.queued = Some(5)))],
    )
    .await;
    for tenant in ["a", "a", "b"] {
        assert_eq!(s.submit(tenant).await.status, 201);
    }
    let a = s.usage("a").await;
    assert_eq!(a["tenant"], "a");
    assert_eq!(a["jobs"], 2);
    assert_eq!(a["stored_bytes"], 2 * SALES.len());
    assert_eq!(a["limits"]["queued"], 50);
    assert_eq!(a["limits"]["running"], Value::Null);
    let (_, asked) = s.json("a", "/api/usage?tenant=b").await;
    assert_eq!(asked["tenants"][0]["tenant"], "a", "{asked}");
    let c = s.usage("c").await;
    assert_eq!(
        (c["tenant"].as_str(), c["jobs"].as_u64()),
        (Some("c"), Some(0))
    );

    let (status, all) = s.json("ops", "/api/usage").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = all["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "{all}");
    let (_, b) = s.json("ops", "/api/usage?tenant=b").await;
    assert_eq!(b["tenants"][0]["limits"]["queued"], 5, "{b}");
    assert_eq!(b["tenants"].as_array().unwrap().len(), 1);
    let (status, bad) = s.json("ops", "/api/usage?tenant=a%20b").await;
    assert_eq!(status, 422, "{bad}");
    let unauthenticated = s
        .http
        .get(s.servers[0].url("/api/usage"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

/// `a` may run one job at a time: with three workers its three jobs run one after the
/// other (none refused), while `b`'s job runs beside them.
async fn running_limit_makes_jobs_wait(backend: Backend) {
    let s = Setup::start(
        backend,
        1,
        3,
        Quotas::default(),
        &[("a", quotas(|q| q.running = Some(1)))],
    )
    .await;
    one_at_a_time(&s).await;
}

/// `servers` servers with `workers` workers each on PostgreSQL and a Redis queue of its
/// own (its key prefix returned, for `drop_queue`).
async fn on_redis(
    servers: usize,
    workers: usize,
    own: &[(&'static str, Quotas)],
) -> (Setup, String) {
    let prefix = format!("office-quotas-{}", office_core::JobId::new().0.simple());
    let s = Setup::start_on(
        Backend::Postgres,
        Some(prefix.clone()),
        servers,
        workers,
        Quotas::default(),
        own,
    )
    .await;
    assert_eq!(s.servers[0].engine.backends().queue, "redis");
    (s, prefix)
}

async fn drop_queue(prefix: &str) {
    office_core::RedisQueue::connect(REDIS, prefix)
        .await
        .unwrap()
        .destroy()
        .await
        .unwrap();
}

/// The same across two servers sharing PostgreSQL and the Redis queue, two workers each:
/// the claim counts `a`'s running jobs in the shared store, under its lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn running_limit_holds_across_servers_on_redis() {
    let (s, prefix) = on_redis(2, 2, &[("a", quotas(|q| q.running = Some(1)))]).await;
    one_at_a_time(&s).await;
    drop_queue(&prefix).await;
}

/// Three jobs of `a` (running limit 1) and one of `b`: all succeed, `a`'s never overlap.
async fn one_at_a_time(s: &Setup) {
    let mut ids = Vec::new();
    for _ in 0..3 {
        let ok = s.submit("a").await;
        assert_eq!(ok.status, 201, "{}", ok.body);
        ids.push(ok.body["id"].as_str().unwrap().to_string());
    }
    let b = s.submit("b").await;
    assert_eq!(b.status, 201);
    let mut most_running = 0;
    let deadline = tokio::time::Instant::now() + JOB_TIMEOUT;
    loop {
        let usage = s.usage("a").await;
        most_running = most_running.max(usage["running"].as_u64().unwrap());
        if usage["queued"] == 0 && usage["running"] == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{usage}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(most_running, 1);
    let time = |job: &Value, field: &str| {
        chrono::DateTime::parse_from_rfc3339(job[field].as_str().unwrap()).unwrap()
    };
    let mut spans = Vec::new();
    for id in &ids {
        let job = s.finished(id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "waiting is not an attempt: {job}");
        spans.push((time(&job, "started_at"), time(&job, "finished_at")));
    }
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "a's jobs overlapped: {spans:?}");
    }
    let b = s.finished(b.body["id"].as_str().unwrap()).await;
    assert_eq!(b["status"], "succeeded");
}

/// Two servers on one PostgreSQL: twelve submissions at once, half to each, for a
/// tenant that may have 3 queued: exactly 3 are accepted, the rest answer 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_hold_one_limit() {
    let s = Setup::start(Backend::Postgres, 2, 0, quotas(|q| q.queued = Some(3)), &[]).await;
    // In flight at once, alternating between the servers.
    let answers: Vec<StatusCode> =
        futures::future::join_all((0..12).map(|i| s.submit_to(i % 2, "a", 0)))
            .await
            .into_iter()
            .map(|a| a.status)
            .collect();
    let accepted = answers.iter().filter(|s| **s == 201).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!((accepted, refused), (3, 9), "{answers:?}");
    assert_eq!(s.jobs_of("a").await.len(), 3);
    assert_eq!(
        s.job_folders(),
        3,
        "the refused left no files on either server"
    );
}

/// Fair share: one worker, a burst of 12 jobs from `a`, then one job from `b`. `b`'s job
/// is the next one started after it was submitted (at most the one `a` job running
/// then, or just being taken, starts in between), not the twelfth.
async fn a_burst_does_not_hold_back_another_tenants_job(backend: Backend) {
    let s = Setup::start(backend, 1, 1, Quotas::default(), &[]).await;
    burst_then_single(&s).await;
}

/// The same on PostgreSQL and the Redis queue, whose take script keeps the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_does_not_hold_back_another_tenants_job_on_redis() {
    let (s, prefix) = on_redis(1, 1, &[]).await;
    burst_then_single(&s).await;
    drop_queue(&prefix).await;
}

async fn burst_then_single(s: &Setup) {
    let mut burst = Vec::new();
    for _ in 0..12 {
        let ok = s.submit("a").await;
        assert_eq!(ok.status, 201, "{}", ok.body);
        burst.push(ok.body["id"].as_str().unwrap().to_string());
    }
    let single = s.submit("b").await;
    assert_eq!(single.status, 201);
    let b = s.finished(single.body["id"].as_str().unwrap()).await;
    assert_eq!(b["status"], "succeeded", "{b}");
    let time = |job: &Value, field: &str| {
        job[field]
            .as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
    };
    let (submitted, started) = (
        time(&b, "created_at").unwrap(),
        time(&b, "started_at").unwrap(),
    );
    let mut in_between = 0;
    for id in &burst {
        let (_, job) = s.json("ops", &format!("/api/excel/jobs/{id}")).await;
        if let Some(at) = time(&job, "started_at")
            && at > submitted
            && at < started
        {
            in_between += 1;
        }
    }
    let (_, a) = s.json("ops", "/api/usage?tenant=a").await;
    assert!(
        in_between <= 1,
        "{in_between} of a's jobs started while b's waited (a now: {a})"
    );
    assert!(
        a["tenants"][0]["queued"].as_u64().unwrap() > 0,
        "the burst was still waiting when b's job ran: {a}"
    );
}

macro_rules! on_both_stores {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Backend::Postgres).await;
                }
            )+
        }
    };
}

on_both_stores!(
    queued_limit_answers_429_and_keeps_nothing,
    submissions_per_minute_default_and_override,
    sizes_answer_413_and_deleting_frees_room,
    usage_is_scoped_to_the_caller,
    running_limit_makes_jobs_wait,
    a_burst_does_not_hold_back_another_tenants_job,
);
