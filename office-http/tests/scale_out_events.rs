//! Live job events across processes, as an operator scales out: `office serve
//! --no-worker` and `office worker` as separate OS processes on the real PostgreSQL and
//! Redis. The worker writes each event to PostgreSQL and publishes a wake-up on Redis; the
//! API's SSE stream picks it up from the store, so a client watching through the API sees
//! every event the worker wrote, in order, each once, across a reconnect.
//!
//! The cluster helpers are those of `scale_out.rs`, trimmed to what these tests use.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
}

impl Cluster {
    async fn new() -> Cluster {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let schema = format!("office_events_{id}");
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
            prefix: format!("office-events-{id}"),
            port,
            http: reqwest::Client::new(),
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
        let child = Command::new(env!("CARGO_BIN_EXE_office"))
            .args(args)
            .env("DATA_DIR", self.dir.path().join("data"))
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

/// One SSE event as received, and when.
#[derive(Debug, Clone)]
struct Sse {
    id: u64,
    data: serde_json::Value,
    received: chrono::DateTime<chrono::Utc>,
}

/// An open `text/event-stream` response from the API, read event by event.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn open(cluster: &Cluster, id: &str, last_event_id: Option<u64>) -> SseReader {
        let mut request = cluster
            .http
            .get(cluster.url(&format!("/api/excel/jobs/{id}/events")))
            .header("accept", "text/event-stream");
        if let Some(last) = last_event_id {
            request = request.header("last-event-id", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<u64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                let Some(id) = id else { continue };
                return Some(Sse {
                    id,
                    data: serde_json::from_str(&data).unwrap(),
                    received: chrono::Utc::now(),
                });
            }
            let chunk = tokio::time::timeout(Duration::from_secs(120), self.response.chunk())
                .await
                .expect("the stream went quiet for two minutes")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

/// A job queued through the API process, run by a worker process started only after the
/// client is watching: every event the worker writes reaches the API's stream; the
/// client reconnects midway with `Last-Event-ID` and ends with exactly the events the
/// store holds, once each, in order, ending with the final status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_events_reach_the_api_stream_and_resume_without_loss() {
    let cluster = Cluster::new().await;
    let mut api = cluster.spawn("api", &["serve", "--no-worker"]);
    cluster.wait_healthy(&mut api).await;
    let id = cluster.submit(SMALL_CSV, "sort by amount").await;

    let mut first = SseReader::open(&cluster, &id, None).await;
    let queued = first.next().await.expect("the queued status");
    assert_eq!((queued.id, &queued.data["status"]), (1, &"queued".into()));

    // Only now does anything run the job, in another process.
    let worker = cluster.spawn("worker", &["worker", "--concurrency", "1"]);
    let mut seen = vec![queued];
    for _ in 0..2 {
        seen.push(
            first
                .next()
                .await
                .unwrap_or_else(|| panic!("stream ended early\n{}\n{}", api.logs(), worker.logs())),
        );
    }
    drop(first);
    let mut resumed = SseReader::open(&cluster, &id, Some(seen.last().unwrap().id)).await;
    while let Some(event) = resumed.next().await {
        seen.push(event);
    }

    let last = seen.last().unwrap();
    assert_eq!(last.data["type"], "status", "{seen:?}");
    assert_eq!(
        last.data["status"],
        "succeeded",
        "{seen:?}\n{}",
        worker.logs()
    );
    let listed: serde_json::Value = cluster
        .http
        .get(cluster.url(&format!("/api/excel/jobs/{id}/events")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = listed["events"].as_array().unwrap();
    let ids: Vec<u64> = seen.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=listed.len() as u64).collect::<Vec<_>>());
    for (streamed, stored) in seen.iter().zip(listed) {
        assert_eq!(&streamed.data, stored);
    }
    assert_eq!(cluster.job(&id).await["status"], "succeeded");
    // How long the worker's events took to reach this client (for the record; the
    // fallback look at the store is every 2 s, the Redis wake-up should be far sooner).
    let lag_ms: Vec<i64> = seen[1..]
        .iter()
        .map(|e| {
            let at: chrono::DateTime<chrono::Utc> = e.data["at"].as_str().unwrap().parse().unwrap();
            (e.received - at).num_milliseconds()
        })
        .collect();
    eprintln!("event delivery lag across processes, ms: {lag_ms:?}");
}
