//! Tenants over real HTTP on loopback, on SQLite and on the real PostgreSQL
//! (127.0.0.1:5432, database `test`, one schema per test, dropped after): a keys file
//! with tenants `a`, `b`, `c` and the admin `ops`. Every `{id}` route the server has
//! (read from its route table, so a new route cannot be missed) answers tenant `b`'s
//! request for tenant `a`'s job exactly as it answers an id no job has; lists and pages
//! hold a tenant's own jobs only; the admin sees all and filters by tenant; the keys
//! file is reloaded without a restart, and a revoked key gets 401.

use office_core::{JobId, KeysFile, TenantId};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

const JOB_TIMEOUT: Duration = Duration::from_secs(120);
const SALES: &str = "Product,Units,Revenue\nA,5,100\nB,12,40\nC,8,300\nD,1,50\n";

/// A server with a keys file of tenants `a`, `b`, `c` and the admin `ops`.
struct Setup {
    server: TestServer,
    http: reqwest::Client,
    keys_path: PathBuf,
    keys_file: KeysFile,
    /// Each tenant's key, by tenant name.
    keys: HashMap<&'static str, String>,
    _keys_dir: tempfile::TempDir,
    _schema: Option<PgSchema>,
}

/// One answer: status and body, the body with the job id asked for replaced by `<id>`.
#[derive(Debug, PartialEq)]
struct Answer {
    status: StatusCode,
    body: String,
}

impl Setup {
    async fn start(backend: Backend, workers: usize) -> Setup {
        let keys_dir = tempfile::tempdir().unwrap();
        let keys_path = keys_dir.path().join("keys.json");
        let mut keys_file = KeysFile::default();
        let mut keys = HashMap::new();
        for (name, admin) in [("a", false), ("b", false), ("c", false), ("ops", true)] {
            let key = keys_file
                .add_key(&TenantId::new(name).unwrap(), admin)
                .unwrap();
            keys.insert(name, key);
        }
        keys_file.write(&keys_path).unwrap();
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgSchema::create("office_tenants").await),
        };
        let url = schema.as_ref().map(PgSchema::url);
        let path = keys_path.clone();
        let server = TestServer::start_with(move |c| {
            c.database_url = url;
            c.workers = workers;
            c.api_keys_file = Some(path);
        })
        .await;
        let store = server.engine.backends().store.clone();
        match backend {
            Backend::Sqlite => assert_eq!(store, "sqlite"),
            Backend::Postgres => assert_eq!(store, "postgres"),
        }
        Setup {
            server,
            http: reqwest::Client::new(),
            keys_path,
            keys_file,
            keys,
            _keys_dir: keys_dir,
            _schema: schema,
        }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    fn request(&self, tenant: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.keys[tenant])
    }

    async fn json(&self, tenant: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .request(tenant, Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Submits a job of `kind` as `tenant`; returns its id.
    async fn submit(&self, tenant: &str, kind: &str) -> String {
        let file = Part::bytes(SALES.as_bytes().to_vec()).file_name("sales.csv");
        let form = match kind {
            "report" => Form::new().part("files[]", file),
            "analytics" => Form::new()
                .text("prompt", "total revenue by product")
                .part("file", file),
            _ => Form::new()
                .text("prompt", "sort by Revenue descending")
                .part("file", file),
        };
        let resp = self
            .request(tenant, Method::POST, &format!("/api/{kind}/jobs"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let job: Value = resp.json().await.unwrap();
        assert_eq!(status, 201, "{job}");
        assert_eq!(job["tenant"], tenant, "the job records its tenant: {job}");
        job["id"].as_str().unwrap().to_string()
    }

    async fn finished(&self, tenant: &str, kind: &str, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + JOB_TIMEOUT;
        loop {
            let (status, job) = self.json(tenant, &format!("/api/{kind}/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if ["succeeded", "failed", "cancelled"].contains(&job["status"].as_str().unwrap()) {
                return job;
            }
            assert!(tokio::time::Instant::now() < deadline, "{job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `request` and reads the answer whole, with `id` masked in the body.
    async fn answer(request: reqwest::RequestBuilder, id: &str) -> Answer {
        let resp = request.send().await.unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        Answer {
            status,
            body: body.replace(id, "<id>"),
        }
    }

    /// Every page of `path` (a list URL with `limit`), as `tenant`: the ids in order.
    async fn all_pages(&self, tenant: &str, path: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.to_string(),
            };
            let (status, page) = self.json(tenant, &url).await;
            assert_eq!(status, 200, "{url}: {page}");
            for job in page["jobs"].as_array().unwrap() {
                ids.push(job["id"].as_str().unwrap().to_string());
            }
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return ids,
            }
            assert!(ids.len() < 1000, "paging does not end");
        }
    }
}

const KINDS: [&str; 3] = ["excel", "analytics", "report"];

/// Tenant `b` asks every `{id}` route for tenant `a`'s job and for an id no job has:
/// the two answers are the same, status and body (the id masked), and `a`'s jobs are
/// untouched after `b`'s cancels and deletes. `a` itself reads its jobs on the same
/// routes. Follow-ups of `a`'s job by `b` are refused as a follow-up of nothing.
async fn a_foreign_id_answers_like_an_unknown_one(backend: Backend) {
    let s = Setup::start(backend, 2).await;
    let mut own: HashMap<&str, String> = HashMap::new();
    for kind in KINDS {
        let id = s.submit("a", kind).await;
        let job = s.finished("a", kind, &id).await;
        if kind == "excel" {
            assert_eq!(job["status"], "succeeded", "{job}");
        }
        own.insert(kind, id);
    }
    let unknown = JobId::new().to_string();
    let excel_job = s.finished("a", "excel", &own["excel"]).await;
    let artifact = excel_job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .find(|n| n.ends_with(".xlsx"))
        .expect("the excel job made a workbook");

    let (_, ops) = office_http::route_table(&office_http::AppState::new(s.server.engine.clone()));
    let id_routes: Vec<_> = ops.iter().filter(|op| op.path.contains("{id}")).collect();
    assert!(
        id_routes.len() >= 25,
        "{} routes with an id",
        id_routes.len()
    );
    let mut checked = 0;
    for op in &id_routes {
        let kind = KINDS
            .iter()
            .find(|k| op.path.starts_with(&format!("/api/{k}/")))
            .copied()
            .unwrap_or("excel");
        let foreign = &own[kind];
        let path = |id: &str| op.path.replace("{id}", id).replace("{name}", &artifact);
        let method = Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
        let mut variants = vec![None];
        if op.path.ends_with("/events") {
            variants.push(Some("text/event-stream"));
        }
        for accept in variants {
            let ask = |tenant: &str, id: &str| {
                let r = s.request(tenant, method.clone(), &path(id));
                match accept {
                    Some(a) => r.header("accept", a),
                    None => r,
                }
            };
            let foreign_answer = Setup::answer(ask("b", foreign), foreign).await;
            let unknown_answer = Setup::answer(ask("b", &unknown), &unknown).await;
            assert_eq!(
                foreign_answer.status,
                StatusCode::NOT_FOUND,
                "{} {} (accept {accept:?}): another tenant's job must be not found: {}",
                op.method,
                op.path,
                foreign_answer.body
            );
            assert_eq!(
                foreign_answer, unknown_answer,
                "{} {} (accept {accept:?}): another tenant's job must answer as an unknown id",
                op.method, op.path
            );
            checked += 1;
        }
    }
    assert!(checked > id_routes.len(), "the SSE variant ran too");

    // b's cancels and deletes left a's jobs as they were; a still reads every one.
    for kind in KINDS {
        let (status, job) = s
            .json("a", &format!("/api/{kind}/jobs/{}", own[kind]))
            .await;
        assert_eq!(status, 200, "{job}");
        assert_ne!(job["status"], "cancelled", "{job}");
    }
    for path in [
        format!("/api/excel/jobs/{}/download", own["excel"]),
        format!("/api/excel/jobs/{}/artifacts/{artifact}", own["excel"]),
        format!("/api/excel/jobs/{}/code", own["excel"]),
        format!("/api/excel/jobs/{}/sheet", own["excel"]),
        format!("/api/excel/jobs/{}/events", own["excel"]),
        format!("/api/threads/{}", own["excel"]),
    ] {
        let resp = s.request("a", Method::GET, &path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}: {}", resp.text().await.unwrap());
    }
    let resp = s
        .request(
            "a",
            Method::GET,
            &format!("/api/excel/jobs/{}/events", own["excel"]),
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("succeeded"));

    // A follow-up of a's job by b is a follow-up of nothing; by a it is accepted.
    for kind in KINDS {
        let follow_up = |parent: &str| {
            let form = Form::new()
                .text("prompt", "and now sort by Units")
                .text("parent", parent.to_string());
            s.request("b", Method::POST, &format!("/api/{kind}/jobs"))
                .multipart(form)
        };
        let foreign_answer = Setup::answer(follow_up(&own["excel"]), &own["excel"]).await;
        let unknown_answer = Setup::answer(follow_up(&unknown), &unknown).await;
        assert_eq!(
            foreign_answer.status,
            StatusCode::NOT_FOUND,
            "{}",
            foreign_answer.body
        );
        assert_eq!(foreign_answer, unknown_answer, "follow-up on {kind}");
    }
    let form = Form::new()
        .text("prompt", "and now sort by Units")
        .text("parent", own["excel"].clone());
    let resp = s
        .request("a", Method::POST, "/api/excel/jobs")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    s.server.stop().await;
}

/// Three tenants' jobs, paged two at a time: each tenant's pages hold its own jobs,
/// newest first, each once; asking for another tenant's changes nothing; the admin
/// pages through all of them and filters by tenant.
async fn lists_and_pages_hold_own_jobs_only(backend: Backend) {
    // No workers: the jobs stay queued, which is all a list needs.
    let s = Setup::start(backend, 0).await;
    let mut own: HashMap<&str, Vec<String>> = HashMap::new();
    for tenant in ["a", "b", "a", "c", "b", "a"] {
        let id = s.submit(tenant, "excel").await;
        own.entry(tenant).or_default().insert(0, id); // newest first
    }
    for tenant in ["a", "b", "c"] {
        let seen = s.all_pages(tenant, "/api/excel/jobs?limit=2").await;
        assert_eq!(seen, own[tenant], "pages of {tenant}");
        let other = if tenant == "a" { "b" } else { "a" };
        let asked = s
            .all_pages(tenant, &format!("/api/excel/jobs?limit=2&tenant={other}"))
            .await;
        assert_eq!(asked, own[tenant], "{tenant} asking for {other}'s list");
        let (_, empty) = s.json(tenant, "/api/report/jobs").await;
        assert_eq!(empty["count"], 0, "{empty}");
    }
    let all = s.all_pages("ops", "/api/excel/jobs?limit=4").await;
    assert_eq!(all.len(), 6);
    for tenant in ["a", "b", "c"] {
        let filtered = s
            .all_pages("ops", &format!("/api/excel/jobs?limit=2&tenant={tenant}"))
            .await;
        assert_eq!(filtered, own[tenant], "the admin's list of {tenant}");
        let id = &own[tenant][0];
        let (status, job) = s.json("ops", &format!("/api/excel/jobs/{id}")).await;
        assert_eq!(
            (status.as_u16(), job["tenant"].as_str()),
            (200, Some(tenant))
        );
    }
    let (status, body) = s.json("ops", "/api/excel/jobs?tenant=no%20such").await;
    assert_eq!(status, 422, "{body}");
    // A cursor of one tenant filter does not continue another.
    let (_, first) = s.json("ops", "/api/excel/jobs?limit=1&tenant=a").await;
    let next = first["next"].as_str().unwrap();
    let (status, body) = s
        .json(
            "ops",
            &format!("/api/excel/jobs?limit=1&tenant=b&cursor={next}"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    s.server.stop().await;
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A key added to the keys file works without a restart; a revoked one gets 401 (and
/// the other tenants' keys keep working).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_file_is_reloaded_without_a_restart() {
    let mut s = Setup::start(Backend::Sqlite, 0).await;
    let (http, url) = (s.http.clone(), s.url("/api/excel/jobs"));
    let status = |key: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let new_key = {
        let mut file = s.keys_file.clone();
        let key = file.add_key(&TenantId::new("d").unwrap(), false).unwrap();
        assert_eq!(status(key.clone()).await, 401, "not in the file yet");
        file.write(&s.keys_path).unwrap();
        s.keys_file = file;
        key
    };
    eventually("the new key works", async || {
        status(new_key.clone()).await == 200
    })
    .await;
    let id = {
        s.keys.insert("d", new_key.clone());
        s.submit("d", "excel").await
    };
    let (status_a, _) = s.json("a", &format!("/api/excel/jobs/{id}")).await;
    assert_eq!(status_a, 404, "d's job is d's alone");

    let mut file = s.keys_file.clone();
    file.revoke("d").unwrap();
    file.write(&s.keys_path).unwrap();
    eventually("the revoked key gets 401", async || {
        status(new_key.clone()).await == 401
    })
    .await;
    let resp = s
        .http
        .get(s.url("/api/excel/jobs"))
        .bearer_auth(&new_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["detail"],
        "Not authenticated"
    );
    assert_eq!(
        status(s.keys["a"].clone()).await,
        200,
        "a's key still works"
    );
    assert_eq!(status("wrong".into()).await, 401);
    s.server.stop().await;
}

/// `OFFICE_API_KEYS=ka,kb`: each key is its own tenant, and neither sees the other's job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_api_keys_are_each_their_own_tenant() {
    let server = TestServer::start_with(|c| {
        c.api_keys = vec!["ka".into(), "kb".into()];
        c.workers = 0;
    })
    .await;
    let http = reqwest::Client::new();
    let file = Part::bytes(SALES.as_bytes().to_vec()).file_name("sales.csv");
    let job: Value = http
        .post(server.url("/api/excel/jobs"))
        .bearer_auth("ka")
        .multipart(
            Form::new()
                .text("prompt", "sort by Revenue")
                .part("file", file),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    assert!(job["tenant"].as_str().unwrap().starts_with("key-"), "{job}");
    let get = |key: &'static str| {
        http.get(server.url(&format!("/api/excel/jobs/{id}")))
            .bearer_auth(key)
            .send()
    };
    assert_eq!(get("ka").await.unwrap().status(), 200);
    assert_eq!(get("kb").await.unwrap().status(), 404);
    let list: Value = http
        .get(server.url("/api/excel/jobs"))
        .bearer_auth("kb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 0, "{list}");
    server.stop().await;
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
    a_foreign_id_answers_like_an_unknown_one,
    lists_and_pages_hold_own_jobs_only,
);
