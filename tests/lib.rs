//! Helpers for the end-to-end tests: a real server on a loopback port over a fresh data
//! folder, real CPython from the repo's virtual environment, and the real fixture files.

use office_core::{Config, Engine};
use std::path::PathBuf;
use std::time::Duration;

/// The repo's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The interpreter the tests run programs with: `OFFICE_PYTHON`, else the repo's `.venv`.
pub fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".venv/bin/python"),
    }
}

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    assert!(path.exists(), "missing fixture {}", path.display());
    path
}

/// A config over a fresh temporary data folder with test-sized limits.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::with_data_dir(dir);
    config.python = python();
    config.workers = 2;
    config.limits.timeout = Duration::from_secs(60);
    config
}

/// A running server: its base URL, its engine and the folder it keeps data in.
pub struct TestServer {
    pub base: String,
    pub engine: Engine,
    pub data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _workers: office_core::WorkerPool,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server whose config `adjust` may change first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(data.path());
        adjust(&mut config);
        let workers = config.workers;
        let engine = Engine::open(config).await.expect("engine opens");
        // The probe and the warm-up run in the background; the tests that look at health
        // or time jobs expect them done, as they were when `open` waited for them.
        engine.started().await;
        let pool = engine
            .start_workers_recovered(workers)
            .await
            .expect("workers start");
        let state = office_http::AppState::new(engine.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            office_http::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            base,
            engine,
            data,
            stop: Some(stop),
            task: Some(task),
            _workers: pool,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops accepting requests and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// Polls a job over HTTP until it is final; panics after `timeout`.
pub async fn wait_for_job(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let job: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
        let status = job["status"].as_str().unwrap_or_default().to_string();
        if ["succeeded", "failed", "cancelled"].contains(&status.as_str()) {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job still {status} after {timeout:?}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A sheet of a produced workbook as rows of cells.
pub fn read_sheet(xlsx: &[u8], sheet: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec()))
        .expect("output is an xlsx workbook");
    let range = wb.worksheet_range(sheet).unwrap_or_else(|e| {
        panic!(
            "no sheet {sheet:?} in output ({e}); sheets: {:?}",
            wb.sheet_names()
        )
    });
    range.rows().map(|r| r.to_vec()).collect()
}

pub fn sheet_names(xlsx: &[u8]) -> Vec<String> {
    use calamine::Reader;
    let wb = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec()))
        .expect("output is an xlsx workbook");
    wb.sheet_names()
}

/// The values of the column headed `name` (first row is the header).
pub fn column<'a>(rows: &'a [Vec<calamine::Data>], name: &str) -> Vec<&'a calamine::Data> {
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"));
    rows[1..].iter().map(|r| &r[i]).collect()
}

pub fn as_f64(cell: &calamine::Data) -> f64 {
    match cell {
        calamine::Data::Int(i) => *i as f64,
        calamine::Data::Float(f) => *f,
        calamine::Data::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}")),
        other => panic!("not a number: {other:?}"),
    }
}

/// A small CSV reader for the fixtures the tests check against (no quoted fields).
pub fn read_plain_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|s| s.trim().to_string()).collect())
        .collect();
    (header, rows)
}

/// GET a URL and parse its JSON body.
pub async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The PostgreSQL the tests use (`.ci/run` starts it when it is down).
pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A PostgreSQL schema of its own, dropped (with everything in it) when this is dropped.
pub struct PgSchema(String);

impl PgSchema {
    /// A new schema named `<prefix>_<random>`.
    pub async fn create(prefix: &str) -> PgSchema {
        use sqlx::Connection;
        let name = format!("{prefix}_{}", office_core::JobId::new().0.simple());
        let mut pg = sqlx::postgres::PgConnection::connect(POSTGRES)
            .await
            .expect("PostgreSQL is reachable on 127.0.0.1:5432 (is it running?)");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut pg)
            .await
            .unwrap();
        PgSchema(name)
    }

    /// The database URL that puts this schema first on the search path.
    pub fn url(&self) -> String {
        format!("{POSTGRES}?options[search_path]={}", self.0)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        use sqlx::Connection;
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut pg) = sqlx::postgres::PgConnection::connect(POSTGRES).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                        .execute(&mut pg)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}
