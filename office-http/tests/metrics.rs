//! `/metrics`, the JSON logs and the health split as an operator sees them: real `office`
//! processes on loopback, real CPython, a scripted model server with a known key, and
//! `/metrics` read by a real Prometheus text parser (the Prometheus Python client's). The values
//! that live in the shared backends (jobs by status, queue depth) are checked across
//! processes on the real PostgreSQL and Redis.

use office_core::test_support::{FakeLlm, Reply};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::{Instant, sleep};

const KEY: &str = "sk-metrics-test-key-7f3a91";
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "redis://127.0.0.1:6379";
const CSV: &str = "region,amount\nNorth,10\nSouth,5\nNorth,2.5\n";

const GOOD: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
out = os.environ["OUTPUT_DIR"]
df.sort_values("amount").to_excel(os.path.join(out, "output.xlsx"), index=False)
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["sorted by amount"]}, f)
"#;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `office` process; killed on drop.
struct Process {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Process {
    fn spawn(dir: &Path, name: &str, args: &[&str], env: &[(&str, String)]) -> Process {
        let log = dir.join(format!("{name}.log"));
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_office"));
        command
            .args(args)
            .env("DATA_DIR", dir.join("data"))
            .env("OFFICE_PYTHON", python())
            .env("OFFICE_PORT", port.to_string())
            .env("OFFICE_HOST", "127.0.0.1")
            .env("OFFICE_LOG", "info,sqlx=warn")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("OFFICE_LOG_FORMAT")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("the office binary starts");
        Process { child, log, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until readiness answers 200 (the sandbox self-test done, backends up).
    async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(r) = http.get(self.url("/api/health/ready")).send().await {
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                if status == 200 {
                    assert_eq!(body["status"], "ready", "{body}");
                    return;
                }
                // Not ready yet: the answer says why, and which backends are fine.
                assert_eq!(status, 503, "{body}");
                assert_eq!(body["status"], "not ready", "{body}");
                assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("office exited ({status}):\n{}", self.logs());
            }
            assert!(Instant::now() < deadline, "never ready:\n{}", self.logs());
            sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn submit(http: &reqwest::Client, server: &Process, generator: &str) -> String {
    let form = reqwest::multipart::Form::new()
        .text("prompt", "sort by amount")
        .text("generator", generator.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec()).file_name("sales.csv"),
        );
    let response = http
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let job: serde_json::Value = response.json().await.unwrap();
    job["id"].as_str().unwrap().to_string()
}

async fn wait_final(http: &reqwest::Client, server: &Process, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let job: serde_json::Value = http
            .get(server.url(&format!("/api/excel/jobs/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ["succeeded", "failed", "cancelled"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        assert!(Instant::now() < deadline, "job still running: {job}");
        sleep(Duration::from_millis(100)).await;
    }
}

/// The parser of the Prometheus Python client (`prometheus_client.parser`, installed by
/// `.ci/run` into `target/test-python`), run on `text`: every sample with its family's
/// type. (The Rust `prometheus-parse` crate drops samples whose label values hold a
/// `}`, as route templates do, so it cannot check this exposition.)
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

#[derive(Debug, serde::Deserialize)]
struct Sample {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    labels: std::collections::HashMap<String, String>,
    value: f64,
}

struct Scrape {
    samples: Vec<Sample>,
}

/// `/metrics`, parsed by the Prometheus client's text parser.
async fn scrape(http: &reqwest::Client, server: &Process) -> Scrape {
    let response = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-python");
    assert!(
        site.join("prometheus_client").is_dir(),
        "prometheus-client is not in {} (.ci/run installs python/requirements-test.txt there)",
        site.display()
    );
    let mut child = Command::new(python())
        .args(["-c", PARSE])
        .env("PYTHONPATH", &site)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<Sample> = serde_json::from_slice(&out.stdout).unwrap();
    // Every line of the exposition that is not a comment became a sample.
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    assert_eq!(samples.len(), lines, "{text}");
    Scrape { samples }
}

fn find<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

/// The value of the one sample of a counter or gauge with these labels.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(scrape, name, labels);
    let all: Vec<String> = find(scrape, name, &[])
        .iter()
        .map(|s| format!("{:?}", s.labels))
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {all:#?}");
    assert!(
        ["counter", "gauge"].contains(&found[0].kind.as_str()),
        "{:?}",
        found[0]
    );
    found[0].value
}

/// How many observations a histogram with these labels has: its `_count`, which its
/// `+Inf` bucket equals, the buckets cumulative.
fn observations(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let count = find(scrape, &format!("{name}_count"), labels);
    assert_eq!(count.len(), 1, "{name}_count {labels:?}");
    assert_eq!(count[0].kind, "histogram");
    let buckets = find(scrape, &format!("{name}_bucket"), labels);
    let counts: Vec<f64> = buckets.iter().map(|b| b.value).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    let inf = buckets
        .iter()
        .find(|b| b.labels["le"] == "+Inf")
        .expect("a +Inf bucket");
    assert_eq!(inf.value, count[0].value);
    count[0].value
}

/// One success and one validator rejection through a model with a known key, then
/// `/metrics`, the JSON log lines and the health split.
#[tokio::test]
async fn metrics_and_json_logs_after_a_success_and_a_rejection() {
    let fake = FakeLlm::start(vec![
        Reply::code(GOOD),
        Reply::code("import socket\nsocket.socket()\n"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("OFFICE_LLM_BASE_URL", fake.base_url()),
        ("OFFICE_LLM_MODEL", "fake-model".to_string()),
        ("OFFICE_LLM_API_KEY", KEY.to_string()),
        ("OFFICE_LLM_MAX_ATTEMPTS", "1".to_string()),
        ("OFFICE_LOG_FORMAT", "json".to_string()),
        // Everything the engine and its HTTP client say, so a leaked key would show.
        (
            "OFFICE_LOG",
            "debug,office_core=trace,reqwest=trace,sqlx=warn".to_string(),
        ),
    ];
    let mut server = Process::spawn(dir.path(), "serve", &["serve"], &env);
    let http = reqwest::Client::new();
    let live = http.get(server.url("/api/health/live")).send().await;
    // Liveness answers as soon as the port is open, whatever the self-test is doing.
    if let Ok(live) = live {
        assert_eq!(live.status(), 200);
    }
    server.wait_ready(&http).await;
    let live: serde_json::Value = http
        .get(server.url("/api/health/live"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["status"], "alive");
    let ready: serde_json::Value = http
        .get(server.url("/api/health/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["store", "queue", "artifacts", "sandbox"], "{ready}");
    // The old health answer is unchanged.
    let health: serde_json::Value = http
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");

    let good = submit(&http, &server, "llm").await;
    let good_job = wait_final(&http, &server, &good).await;
    assert_eq!(good_job["status"], "succeeded", "{good_job}");
    let bad = submit(&http, &server, "llm").await;
    let bad_job = wait_final(&http, &server, &bad).await;
    assert_eq!(bad_job["error"]["code"], "code_rejected", "{bad_job}");
    let mut rules: Vec<String> = bad_job["error"]["details"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules.dedup();
    assert!(!rules.is_empty(), "{bad_job}");
    let unknown = http.get(server.url("/no/such/path")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    let m = scrape(&http, &server).await;
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "excel"), ("status", "succeeded")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "excel"), ("status", "failed")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "report"), ("status", "queued")]
        ),
        0.0
    );
    // Without keys every job is the default tenant's.
    assert_eq!(
        value(
            &m,
            "office_tenant_jobs",
            &[
                ("tenant", "default"),
                ("kind", "excel"),
                ("status", "failed")
            ]
        ),
        1.0
    );
    assert_eq!(find(&m, "office_tenant_jobs", &[]).len(), 15);
    assert_eq!(value(&m, "office_queue_depth", &[]), 0.0);
    assert_eq!(value(&m, "office_queue_oldest_age_seconds", &[]), 0.0);
    assert_eq!(value(&m, "office_backend_up", &[("backend", "store")]), 1.0);
    let sandbox = find(&m, "office_sandbox_state", &[]);
    assert_eq!(sandbox.len(), 5);
    let current: Vec<&str> = sandbox
        .iter()
        .filter(|s| s.value == 1.0)
        .map(|s| s.labels["state"].as_str())
        .collect();
    assert_eq!(current, ["holds"]);

    // Both jobs were planned; only the accepted program ran.
    let plan = [("kind", "excel"), ("stage", "plan")];
    assert_eq!(
        observations(&m, "office_stage_duration_seconds", &plan),
        2.0
    );
    let validate = [("kind", "excel"), ("stage", "validate")];
    assert_eq!(
        observations(&m, "office_stage_duration_seconds", &validate),
        2.0
    );
    let execute = [("kind", "excel"), ("stage", "execute")];
    assert_eq!(
        observations(&m, "office_stage_duration_seconds", &execute),
        1.0
    );
    // The one rejected program counts once under each rule it broke, and only those.
    for rule in &rules {
        assert_eq!(
            value(&m, "office_validator_rejections_total", &[("rule", rule)]),
            1.0
        );
    }
    let series = find(&m, "office_validator_rejections_total", &[]).len();
    assert_eq!(
        series,
        rules.len(),
        "only the rules that fired have a series"
    );

    let model = [("purpose", "generate"), ("model", "fake-model")];
    assert_eq!(value(&m, "office_model_calls_total", &model), 2.0);
    let prompt = value(
        &m,
        "office_model_tokens_total",
        &[("purpose", "generate"), ("type", "prompt")],
    );
    let completion = value(
        &m,
        "office_model_tokens_total",
        &[("purpose", "generate"), ("type", "completion")],
    );
    assert!(prompt > 0.0 && completion > 0.0, "{prompt} {completion}");
    assert_eq!(
        observations(&m, "office_model_latency_seconds", &model),
        2.0
    );

    // Requests by route template and status, never by raw path.
    let created = [
        ("method", "POST"),
        ("route", "/api/excel/jobs"),
        ("status", "201"),
    ];
    assert_eq!(value(&m, "office_http_requests_total", &created), 2.0);
    let polled = [
        ("method", "GET"),
        ("route", "/api/excel/jobs/{id}"),
        ("status", "200"),
    ];
    assert!(value(&m, "office_http_requests_total", &polled) >= 2.0);
    let missed = [("route", "unmatched"), ("status", "404")];
    assert_eq!(value(&m, "office_http_requests_total", &missed), 1.0);
    for sample in find(&m, "office_http_requests_total", &[]) {
        let route = &sample.labels["route"];
        assert!(
            !route.contains(&good) && !route.contains(&bad),
            "a raw path in {route}"
        );
    }
    assert!(
        observations(
            &m,
            "office_http_request_duration_seconds",
            &[("method", "POST"), ("route", "/api/excel/jobs")]
        ) == 2.0
    );

    // The logs: JSON, one object a line; every line of a job carries its id and
    // tenant; the model's key nowhere.
    drop(server_stop(server));
    let logs = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(!logs.contains(KEY), "the model key is in the log");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for id in [&good, &bad] {
        let of_job: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|l| l["span"]["job_id"].as_str() == Some(id.as_str()))
            .collect();
        let messages: Vec<&str> = of_job
            .iter()
            .filter_map(|l| l["fields"]["message"].as_str())
            .collect();
        assert!(messages.contains(&"job started"), "{messages:?}");
        assert!(messages.contains(&"job finished"), "{messages:?}");
        // And its tenant (no keys: the `default` one).
        for line in &of_job {
            if matches!(
                line["fields"]["message"].as_str(),
                Some("job started" | "job finished")
            ) {
                assert_eq!(line["span"]["tenant"], "default", "{line}");
            }
        }
    }
    // Every line that names a job's start or end is inside that job's span.
    for line in &lines {
        if matches!(
            line["fields"]["message"].as_str(),
            Some("job started" | "job finished")
        ) {
            assert!(line["span"]["job_id"].is_string(), "{line}");
        }
    }
}

fn server_stop(mut server: Process) -> Process {
    let _ = server.child.kill();
    let _ = server.child.wait();
    server
}

/// Two API processes and a worker on one PostgreSQL and one Redis: jobs queued through
/// one API show in the other's `/metrics` (store counts, queue depth, oldest queued age),
/// and their end too once the worker has run them.
#[tokio::test]
async fn jobs_and_queue_depth_agree_across_processes_on_postgres_and_redis() {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let schema = format!("office_metrics_{id}");
    let mut pg = sqlx::postgres::PgConnection::connect(POSTGRES)
        .await
        .expect("PostgreSQL is reachable on 127.0.0.1:5432");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut pg)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "DATABASE_URL",
            format!("{POSTGRES}?options[search_path]={schema}"),
        ),
        ("REDIS_URL", REDIS.to_string()),
        ("OFFICE_REDIS_PREFIX", format!("office-metrics-{id}")),
    ];
    let http = reqwest::Client::new();
    let mut a = Process::spawn(dir.path(), "api-a", &["serve", "--no-worker"], &env);
    let mut b = Process::spawn(dir.path(), "api-b", &["serve", "--no-worker"], &env);
    a.wait_ready(&http).await;
    b.wait_ready(&http).await;

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(submit(&http, &a, "planner").await);
    }
    sleep(Duration::from_millis(300)).await;
    let m = scrape(&http, &b).await;
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "excel"), ("status", "queued")]
        ),
        3.0
    );
    assert_eq!(value(&m, "office_queue_depth", &[]), 3.0);
    assert!(value(&m, "office_queue_oldest_age_seconds", &[]) >= 0.3);
    // B served none of the submissions: its HTTP counters are its own.
    assert!(
        find(
            &m,
            "office_http_requests_total",
            &[("route", "/api/excel/jobs")]
        )
        .is_empty()
    );

    let _worker = Process::spawn(dir.path(), "worker", &["worker"], &env);
    for id in &ids {
        let job = wait_final(&http, &a, id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    let m = scrape(&http, &b).await;
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "excel"), ("status", "succeeded")]
        ),
        3.0
    );
    assert_eq!(
        value(
            &m,
            "office_jobs",
            &[("kind", "excel"), ("status", "queued")]
        ),
        0.0
    );
    assert_eq!(value(&m, "office_queue_depth", &[]), 0.0);
    assert_eq!(value(&m, "office_queue_oldest_age_seconds", &[]), 0.0);
    drop((a, b));
    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut pg)
        .await;
}
