//! `office serve` as a user starts it: health answers while the runtime probe and the
//! warm pool's warm-up still run (`starting`), a job submitted meanwhile is accepted and
//! finishes, and a probe that fails ends in a health status that says why. A real
//! process on loopback, real CPython; no timing is asserted (the time to the first
//! answer is in `benches/benches/server.rs`), only the order of the states.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::{Instant, sleep};

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// One `office serve` on a free loopback port over a fresh data folder; killed on drop.
struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(python: &std::path::Path) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_office"))
            .arg("serve")
            .env("DATA_DIR", dir.path().join("data"))
            .env("OFFICE_PYTHON", python)
            .env("OFFICE_PORT", port.to_string())
            .env("OFFICE_HOST", "127.0.0.1")
            .env("OFFICE_LOG", "info,sqlx=warn")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
            .spawn()
            .expect("the office binary starts");
        Server { child, port, dir }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// The first health answer, once the port is open (the process may still be binding).
    async fn first_health(&mut self, http: &reqwest::Client) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = http.get(self.url("/api/health")).send().await {
                assert_eq!(response.status(), 200);
                return response.json().await.unwrap();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("office serve exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "no health answer:\n{}",
                self.log()
            );
            sleep(Duration::from_millis(10)).await;
        }
    }

    /// Health answers until the status leaves `starting`: every status seen, in order.
    async fn statuses_until_started(&self, http: &reqwest::Client) -> Vec<serde_json::Value> {
        // Generous: this bounds a hang, it does not measure the start-up.
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut seen = Vec::new();
        loop {
            let health: serde_json::Value = http
                .get(self.url("/api/health"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let starting = health["status"] == "starting";
            seen.push(health);
            if !starting {
                return seen;
            }
            assert!(Instant::now() < deadline, "still starting:\n{}", self.log());
            sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn submit(http: &reqwest::Client, server: &Server) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("prompt", "sort by amount descending")
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                b"region,amount\nNorth,10\nSouth,25\nEast,3\n".to_vec(),
            )
            .file_name("sales.csv"),
        );
    http.post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn health_answers_while_starting_and_a_job_sent_meanwhile_finishes() {
    let http = reqwest::Client::new();
    let mut server = Server::start(&python());
    let first = server.first_health(&http).await;
    let status = first["status"].as_str().unwrap().to_string();
    assert!(
        ["starting", "ok"].contains(&status.as_str()),
        "the first answer: {first}"
    );
    // The seed API's fields are there from the first answer on.
    for field in [
        "version",
        "store",
        "queue",
        "generator",
        "python",
        "sandbox",
    ] {
        assert!(first[field].is_string(), "{field} missing: {first}");
    }

    // Sent at once, while the pool may still warm up: accepted, not refused.
    let response = submit(&http, &server).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let job: serde_json::Value = response.json().await.unwrap();
    let job_url = server.url(&format!("/api/excel/jobs/{}", job["id"].as_str().unwrap()));

    let seen = server.statuses_until_started(&http).await;
    let last = seen.last().unwrap();
    assert_eq!(
        last["status"],
        "ok",
        "start-up ended badly: {last}\n{}",
        server.log()
    );
    let python = last["python"].as_str().unwrap();
    assert!(
        python.starts_with("Python 3.") && python.contains("pandas"),
        "{last}"
    );
    // `starting` only ever goes to `ok`: no other state in between.
    assert!(
        seen[..seen.len() - 1]
            .iter()
            .all(|h| h["status"] == "starting"),
        "{seen:?}"
    );

    let deadline = Instant::now() + Duration::from_secs(300);
    let finished = loop {
        let job: serde_json::Value = http
            .get(&job_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ["succeeded", "failed", "cancelled"].contains(&job["status"].as_str().unwrap()) {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "job still {}: {job}",
            job["status"]
        );
        sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        finished["status"],
        "succeeded",
        "{finished}\n{}",
        server.log()
    );
}

#[tokio::test]
async fn a_failing_probe_ends_in_a_health_status_that_says_why() {
    let http = reqwest::Client::new();
    let mut server = Server::start(std::path::Path::new("/nonexistent/python3"));
    let first = server.first_health(&http).await;
    assert!(
        ["starting", "degraded"].contains(&first["status"].as_str().unwrap()),
        "{first}"
    );
    // A job sent now is accepted; it fails once the start-up knows it cannot run it.
    let response = submit(&http, &server).await;
    assert_eq!(response.status(), 201);
    let seen = server.statuses_until_started(&http).await;
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "degraded", "{last}");
    let python = last["python"].as_str().unwrap();
    assert!(
        python.starts_with("unavailable") && python.contains("/nonexistent/python3"),
        "the reason names the interpreter: {last}"
    );
}
