//! The server's own costs, over HTTP on loopback (issue 14):
//! - `office serve` start → the first `/api/health` answer (in process: engine, state,
//!   bind, serve; and the release binary when it is built), and how long the background
//!   warm-up takes after that;
//! - a page of 50 (`GET /api/excel/jobs`, light items) with 100,000 jobs stored in
//!   SQLite: requests per second with 32 connections on 2 client threads (what
//!   `wrk -t2 -c32` does; wrk is not installed here, so a minimal HTTP/1.1 keep-alive
//!   client in this file does it), first page and a page deep in (by cursor);
//! - GET of one job, the same way;
//! - the same page on PostgreSQL with 100,000 jobs: p50/p99 one request at a time;
//! - the query plans of the page query in both databases, on those 100,000 rows.
//!
//! `cargo bench -p office-benches --bench server`. `OFFICE_BENCH_JOBS` changes the
//! number of jobs, `OFFICE_BENCH_SECS` the seconds per load run,
//! `OFFICE_BENCH_DATABASE_URL` the PostgreSQL server (default the `test` database on
//! 127.0.0.1:5432; the PostgreSQL part is skipped, saying so, when it cannot be reached).
//! The client shares the machine's cores with the server, as wrk would.

use office_benches::percentile;
use office_core::{
    Artifact, ArtifactKind, Config, Engine, ExecOutcome, ExecRequest, Executor, InputFile, Job,
    JobKind, JobStatus, PostgresStore, SqliteStore, Stage, StageTiming, Store,
};
use sqlx::Connection;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The list benches run no job: an executor that would refuse one, so that no warm pool
/// competes with the server for the cores.
struct NoExecutor;

#[async_trait::async_trait]
impl Executor for NoExecutor {
    async fn run(&self, _req: ExecRequest) -> office_core::Result<ExecOutcome> {
        Err(office_core::Error::internal("the bench runs no job"))
    }
}

/// A finished excel job shaped like a real one (an input, four artifacts, five timed
/// stages): about the size a stored job has.
fn realistic_job(i: usize) -> Job {
    let mut job = Job::new(JobKind::Excel, format!("sort by revenue descending ({i})"));
    job.status = if i.is_multiple_of(10) {
        JobStatus::Failed
    } else {
        JobStatus::Succeeded
    };
    job.stage = Stage::Done;
    job.inputs = vec![InputFile {
        name: "sales.xlsx".into(),
        original_name: "Sales Q1 (final).xlsx".into(),
        size: 48_213,
        sha256: "ab".repeat(32),
    }];
    job.artifacts = ["output.xlsx", "summary.json", "generated.py", "stdout.txt"]
        .iter()
        .zip([
            ArtifactKind::Workbook,
            ArtifactKind::Summary,
            ArtifactKind::Code,
            ArtifactKind::Log,
        ])
        .map(|(name, kind)| Artifact {
            name: (*name).into(),
            kind,
            size: 12_345,
            content_type: "application/octet-stream".into(),
            sha256: "cd".repeat(32),
        })
        .collect();
    job.started_at = Some(job.created_at);
    job.finished_at = Some(job.created_at);
    job.attempts = 1;
    job.generator = Some("planner".into());
    job.stages = [
        Stage::Profile,
        Stage::Plan,
        Stage::Validate,
        Stage::Execute,
        Stage::Collect,
    ]
    .iter()
    .map(|stage| StageTiming {
        stage: *stage,
        started_at: job.created_at,
        duration_ms: 12.5,
    })
    .collect();
    job
}

async fn fill(store: Arc<dyn Store>, jobs: usize, writers: usize) -> Duration {
    let clock = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..jobs).step_by(writers) {
                store.insert(&realistic_job(i)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    clock.elapsed()
}

/// Serves `engine` on a loopback port in this runtime; the address.
async fn serve(engine: Engine) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = office_http::AppState::new(engine);
    tokio::spawn(office_http::serve(listener, state, std::future::pending()));
    addr
}

/// One HTTP/1.1 keep-alive connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::with_capacity(1 << 20),
        }
    }

    /// GETs `path`: the status and the body.
    async fn get(&mut self, path: &str) -> (u16, Vec<u8>) {
        self.try_get(path).await.unwrap()
    }

    /// GETs `path`, giving back the connection's error instead of panicking: a server
    /// that is still binding can accept and then reset the first connection.
    async fn try_get(&mut self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let closed = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
        self.stream.write_all(request.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 64 * 1024];
        let header_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(closed());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .expect("a content-length (the bench reads no chunked bodies)");
        while self.buf.len() < header_end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(closed());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, self.buf[header_end..header_end + length].to_vec()))
    }
}

struct Load {
    requests: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    bytes: usize,
}

/// `connections` connections on a 2-thread client runtime GET `path` for `secs`
/// seconds (after a second of warm-up).
fn load(addr: SocketAddr, path: &str, connections: usize, secs: u64) -> Load {
    let path: Arc<str> = path.into();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let warm_until = Instant::now() + Duration::from_secs(1);
                    let until = warm_until + Duration::from_secs(secs);
                    let mut tasks = Vec::new();
                    for _ in 0..connections {
                        let path = path.clone();
                        tasks.push(tokio::spawn(async move {
                            let mut conn = Conn::open(addr).await;
                            let mut latencies = Vec::new();
                            let mut bytes = 0;
                            loop {
                                let clock = Instant::now();
                                if clock >= until {
                                    return (latencies, bytes);
                                }
                                let (status, body) = conn.get(&path).await;
                                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                                if clock >= warm_until {
                                    latencies.push(clock.elapsed().as_secs_f64() * 1000.0);
                                    bytes = body.len();
                                }
                            }
                        }));
                    }
                    let mut all = Vec::new();
                    let mut bytes = 0;
                    for t in tasks {
                        let (l, b) = t.await.unwrap();
                        all.extend(l);
                        bytes = b;
                    }
                    all.sort_by(f64::total_cmp);
                    Load {
                        requests: all.len() as u64,
                        per_second: all.len() as f64 / secs as f64,
                        p50_ms: percentile(&all, 50.0),
                        p99_ms: percentile(&all, 99.0),
                        bytes,
                    }
                })
            })
            .join()
            .unwrap()
    })
}

/// One connection, one request at a time: p50 and p99 in ms over `n` requests.
async fn sequential(addr: SocketAddr, path: &str, n: usize) -> (f64, f64) {
    let mut conn = Conn::open(addr).await;
    for _ in 0..50 {
        conn.get(path).await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let clock = Instant::now();
        let (status, _) = conn.get(path).await;
        samples.push(clock.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 200);
    }
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 50.0), percentile(&samples, 99.0))
}

/// Checks the page once (50 light items and a cursor), then returns the path of a page
/// about half-way down the list, found by following cursors 1000 at a time.
async fn check_and_find_deep_page(addr: SocketAddr, jobs: usize) -> (String, String) {
    let mut conn = Conn::open(addr).await;
    let (status, body) = conn.get("/api/excel/jobs").await;
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["count"], 50, "a default page of 50");
    assert!(page["next"].is_string());
    assert!(page["jobs"][0].get("artifacts").is_none(), "a light item");
    let one = format!(
        "/api/excel/jobs/{}",
        page["jobs"][0]["id"].as_str().unwrap()
    );
    let mut cursor = String::new();
    for _ in 0..(jobs / 2 / 1000).max(1) {
        let path = format!("/api/excel/jobs?limit=1000&cursor={cursor}");
        let (status, body) = conn.get(&path).await;
        assert_eq!(status, 200);
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
        cursor = page["next"].as_str().unwrap().to_string();
    }
    (format!("/api/excel/jobs?cursor={cursor}"), one)
}

const SQLITE_PAGE: &str = "SELECT id, kind, status, stage, prompt, created_at, started_at, \
    finished_at, attempts, generator FROM jobs WHERE kind = 'excel' \
    AND (created_at, id) < ('2999-01-01T00:00:00.000000000Z', '') \
    ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT 51";

const POSTGRES_PAGE: &str = "SELECT id, kind, status, stage, prompt, \
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at, \
    to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS started_at, \
    to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS finished_at, \
    attempts, generator FROM jobs WHERE kind = 'excel' \
    AND (created_at, id) < ('2999-01-01T00:00:00Z'::timestamptz, '') \
    ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT 51";

fn print_load(what: &str, l: &Load) {
    println!(
        "{what:<44} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>7} B/response  ({} requests; load {})",
        l.per_second,
        l.p50_ms,
        l.p99_ms,
        l.bytes,
        l.requests,
        load_average()
    );
}

async fn start_to_health(data: &std::path::Path) {
    let mut config = Config::with_data_dir(data);
    config.python = python();
    let clock = Instant::now();
    let engine = Engine::open(config).await.unwrap();
    let addr = serve(engine.clone()).await;
    let mut conn = Conn::open(addr).await;
    let (status, body) = conn.get("/api/health").await;
    let answered = clock.elapsed();
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
    engine.started().await;
    let warmed = clock.elapsed();
    println!(
        "in process: engine open -> first /api/health {:>8.1} ms (status {}); warm-up done after {:.0} ms (load {})",
        answered.as_secs_f64() * 1000.0,
        health["status"],
        warmed.as_secs_f64() * 1000.0,
        load_average()
    );
}

/// `office serve` (the release binary, when built) start → the first health answer.
async fn binary_start_to_health(data: &std::path::Path) {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/office");
    if !binary.is_file() {
        println!(
            "binary: {} not built (cargo build --release -p office-http), skipped",
            binary.display()
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut samples = Vec::new();
    let mut statuses = Vec::new();
    for run in 0..5 {
        let dir = data.join(format!("bin-{run}"));
        let clock = Instant::now();
        let mut child = std::process::Command::new(&binary)
            .arg("serve")
            .env("DATA_DIR", &dir)
            .env("OFFICE_PYTHON", python())
            .env("OFFICE_PORT", port.to_string())
            .env("OFFICE_HOST", "127.0.0.1")
            .env("OFFICE_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let health = loop {
            if let Ok(stream) = TcpStream::connect(addr).await {
                stream.set_nodelay(true).unwrap();
                let mut conn = Conn {
                    stream,
                    buf: Vec::new(),
                };
                // A reset or an early close while the process binds: try again.
                if let Ok((_, body)) = conn.try_get("/api/health").await {
                    break serde_json::from_slice::<serde_json::Value>(&body).unwrap();
                }
            }
            assert!(clock.elapsed() < Duration::from_secs(60), "no answer");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        samples.push(clock.elapsed().as_secs_f64() * 1000.0);
        statuses.push(health["status"].as_str().unwrap_or("?").to_string());
        let _ = child.kill();
        let _ = child.wait();
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "binary: office serve start -> first /api/health: p50 {:.1} ms, max {:.1} ms over 5 starts (statuses {:?}; load {})",
        percentile(&samples, 50.0),
        samples[samples.len() - 1],
        statuses,
        load_average()
    );
}

async fn engine_over(store: Arc<dyn Store>, name: &str, data: &std::path::Path) -> Engine {
    Engine::builder(Config::with_data_dir(data))
        .store(store, name)
        .executor(Arc::new(NoExecutor))
        .build()
        .await
        .unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let jobs = env_number("OFFICE_BENCH_JOBS", 100_000) as usize;
    let secs = env_number("OFFICE_BENCH_SECS", 10);
    let dir = tempfile::tempdir().unwrap();
    println!("load average at start: {}", load_average());

    println!("\n== start -> /api/health ==");
    start_to_health(&dir.path().join("start")).await;
    binary_start_to_health(dir.path()).await;

    println!("\n== SQLite, {jobs} jobs ==");
    let db = dir.path().join("sqlite/jobs.db");
    let sqlite = SqliteStore::open(&db).await.unwrap();
    let took = fill(Arc::new(sqlite.clone()), jobs, 1).await;
    println!("filled in {:.1} s", took.as_secs_f64());
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {SQLITE_PAGE}"))
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for (_, _, _, detail) in plan {
        println!("plan: {detail}");
    }
    drop(conn);
    let engine = engine_over(Arc::new(sqlite), "sqlite", &dir.path().join("sq")).await;
    let addr = serve(engine).await;
    let (deep, one) = check_and_find_deep_page(addr, jobs).await;
    let (p50, p99) = sequential(addr, "/api/excel/jobs", 2000).await;
    println!("page of 50, one request at a time: p50 {p50:.2} ms, p99 {p99:.2} ms");
    print_load(
        "page of 50 (first), 32 connections",
        &load(addr, "/api/excel/jobs", 32, secs),
    );
    print_load(
        "page of 50 (half-way, by cursor), 32 conns",
        &load(addr, &deep, 32, secs),
    );
    print_load("GET one job, 32 connections", &load(addr, &one, 32, secs));

    let url = std::env::var("OFFICE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("office_bench_{}", uuid_like());
    let Ok(mut admin) = sqlx::PgConnection::connect(&url).await else {
        println!("\n== PostgreSQL: {url} cannot be reached; skipped ==");
        return;
    };
    println!("\n== PostgreSQL, {jobs} jobs ==");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let options = sqlx::postgres::PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let postgres = PostgresStore::connect_with(options.clone(), 10)
        .await
        .unwrap();
    let took = fill(Arc::new(postgres.clone()), jobs, 8).await;
    println!("filled in {:.1} s", took.as_secs_f64());
    let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("ANALYZE jobs")
        .execute(&mut conn)
        .await
        .unwrap();
    let plan: Vec<(String,)> =
        sqlx::query_as(&format!("EXPLAIN (ANALYZE, BUFFERS) {POSTGRES_PAGE}"))
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for (line,) in plan {
        println!("plan: {line}");
    }
    drop(conn);
    let engine = engine_over(Arc::new(postgres), "postgres", &dir.path().join("pg")).await;
    let addr = serve(engine).await;
    let (deep, one) = check_and_find_deep_page(addr, jobs).await;
    let (p50, p99) = sequential(addr, "/api/excel/jobs", 2000).await;
    println!(
        "page of 50, one request at a time: p50 {p50:.2} ms, p99 {p99:.2} ms (load {})",
        load_average()
    );
    let (p50, p99) = sequential(addr, &deep, 2000).await;
    println!("page of 50 half-way (cursor), one at a time: p50 {p50:.2} ms, p99 {p99:.2} ms");
    print_load(
        "page of 50 (first), 32 connections",
        &load(addr, "/api/excel/jobs", 32, secs),
    );
    print_load("GET one job, 32 connections", &load(addr, &one, 32, secs));
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
