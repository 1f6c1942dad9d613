//! The REST API around Excel jobs, end to end on a real server on loopback: uploads and
//! fields it refuses, unknown jobs and paths, deleting and listing jobs, hostile file
//! names, API keys, health without an interpreter, and many jobs at once.

mod excel_common;

use excel_common::*;
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

async fn post_file(server: &TestServer, name: &str, data: Vec<u8>) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form(name, data, "sort by name"))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn unreadable_uploads_answer_400_and_name_the_file() {
    let server = TestServer::start().await;
    let cases = [
        ("real/poi/xlsx-corrupted.xlsx", "xlsx-corrupted.xlsx", ""),
        ("real/calamine/too_small.xls", "too_small.xls", ""),
        (
            "real/calamine/pass_protected.xlsx",
            "pass_protected.xlsx",
            "password",
        ),
        ("real/poi/password.xls", "password.xls", "password"),
        ("real/frictionless/empty.csv", "empty.csv", "empty"),
    ];
    for (path, name, reason) in cases {
        let (status, body) = post_file(&server, name, std::fs::read(fixture(path)).unwrap()).await;
        assert_eq!(status, 400, "{name}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(name) && detail.contains(reason),
            "{name}: {detail}"
        );
    }
    let (status, body) = post_file(&server, "notes.docx", b"PK\x03\x04 not a sheet".to_vec()).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("unsupported"),
        "{body}"
    );
    // Nothing was kept of refused uploads, and the server still serves.
    let list: Value = get_json(&server.url("/api/excel/jobs")).await;
    assert_eq!(list["count"], 0);
    assert_eq!(
        reqwest::get(server.url("/api/health"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn missing_and_unknown_fields_answer_422() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let url = server.url("/api/excel/jobs");

    let only_file = Form::new().part(
        "file",
        Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("x.csv"),
    );
    let resp = client.post(&url).multipart(only_file).send().await.unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["body", "prompt"])
    );
    assert_eq!(body["detail"][0]["type"], "missing");

    let only_prompt = Form::new().text("prompt", "sort by a");
    let body: Value = client
        .post(&url)
        .multipart(only_prompt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["body", "file"])
    );

    let extra = form("x.csv", b"a,b\n1,2\n".to_vec(), "sort by a").text("sheet", "1");
    let resp = client.post(&url).multipart(extra).send().await.unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("unknown field 'sheet'"),
        "{body}"
    );

    let blank = form("x.csv", b"a,b\n1,2\n".to_vec(), "   ");
    assert_eq!(
        client
            .post(&url)
            .multipart(blank)
            .send()
            .await
            .unwrap()
            .status(),
        422
    );

    let not_multipart = client
        .post(&url)
        .json(&serde_json::json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_multipart.status(), 422);
}

#[tokio::test]
async fn oversized_upload_answers_413() {
    let server = TestServer::start_with(|c| c.max_upload_bytes = 4096).await;
    let big = format!("a,b\n{}", "1,2\n".repeat(4000)).into_bytes();
    let (status, body) = post_file(&server, "big.csv", big).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["detail"].as_str().is_some(), "{body}");
    let (status, _) = post_file(&server, "small.csv", b"name,b\nx,2\n".to_vec()).await;
    assert_eq!(status, 201, "a small upload still works");
}

#[tokio::test]
async fn an_announced_oversize_body_answers_413_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // 5 GB announced, a few bytes sent, the connection kept open: the answer must come
    // from the header alone.
    let head = format!(
        "POST /api/excel/jobs HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\n\
         Content-Length: 5000000000\r\n\r\n--XYZ\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("larger than the server's limit (50 MB)"),
        "{answer}"
    );

    // The server keeps serving.
    let (status, _) = post_file(&server, "small.csv", b"name,b\nx,2\n".to_vec()).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_prompt_that_is_not_utf8_answers_422() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    // A UTF-16 byte-order mark, then ASCII: must not be read as UTF-16.
    let form = Form::new()
        .part(
            "file",
            Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("x.csv"),
        )
        .part("prompt", Part::bytes(b"\xff\xfe sort by a".to_vec()));
    let resp = client
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["detail"][0]["loc"],
        serde_json::json!(["body", "prompt"])
    );
    assert_eq!(
        body["detail"][0]["msg"], "prompt must be UTF-8 text",
        "{body}"
    );
    assert!(
        server
            .engine
            .list(&office_core::Caller::default(), &Default::default())
            .await
            .unwrap()
            .is_empty(),
        "no job was made"
    );
}

#[tokio::test]
async fn unknown_jobs_answer_404() {
    let server = TestServer::start().await;
    for path in [
        "/api/excel/jobs/019ac000-0000-7000-8000-000000000000",
        "/api/excel/jobs/not-a-uuid",
        "/api/excel/jobs/019ac000-0000-7000-8000-000000000000/download",
        "/api/excel/jobs/019ac000-0000-7000-8000-000000000000/summary",
    ] {
        let resp = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains("not found"),
            "{body}"
        );
    }
    let resp = reqwest::Client::new()
        .delete(server.url("/api/excel/jobs/019ac000-0000-7000-8000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn delete_removes_the_job_and_its_files() {
    let server = TestServer::start().await;
    let (job, _) = run_job(&server, WEATHER, "sort by date").await;
    succeeded(&job);
    let id = job["id"].as_str().unwrap();
    let job_dir = server.data.path().join("jobs").join(id);
    assert!(job_dir.join("inputs/seattle-weather.csv").exists());
    let client = reqwest::Client::new();
    let resp = client
        .delete(server.url(&format!("/api/excel/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(!job_dir.exists(), "job folder removed");
    let resp = client
        .get(server.url(&format!("/api/excel/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn list_is_newest_first_and_filters_by_status() {
    let server = TestServer::start().await;
    let (a, _) = run_job(&server, WEATHER, "sort by wind").await;
    let (b, _) = run_job(&server, WEATHER, "translate to French").await;
    let list: Value = get_json(&server.url("/api/excel/jobs")).await;
    let ids: Vec<&str> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b["id"].as_str().unwrap(), a["id"].as_str().unwrap()]);
    let failed: Value = get_json(&server.url("/api/excel/jobs?status=failed")).await;
    assert_eq!(failed["count"], 1);
    let resp = reqwest::get(server.url("/api/excel/jobs?status=bogus"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}

#[tokio::test]
async fn hostile_file_names_are_made_safe() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let csv = b"name,amount\nb,2\na,1\n".to_vec();
    let resp = client
        .post(server.url("/api/excel/jobs"))
        .multipart(form("../../../etc/.evil name:*?.csv", csv, "sort by name"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let job: Value = resp.json().await.unwrap();
    assert_eq!(job["inputs"][0]["name"], "evil name___.csv");
    assert_eq!(
        job["inputs"][0]["original_name"],
        "../../../etc/.evil name:*?.csv"
    );
    let id = job["id"].as_str().unwrap();
    assert!(
        server
            .data
            .path()
            .join("jobs")
            .join(id)
            .join("inputs/evil name___.csv")
            .exists()
    );
    let job = wait_for_job(
        &client,
        &server.url(&format!("/api/excel/jobs/{id}")),
        JOB_TIMEOUT,
    )
    .await;
    succeeded(&job);
}

#[tokio::test]
async fn api_keys_guard_everything_but_health() {
    let server = TestServer::start_with(|c| c.api_keys = vec!["s3cret".into()]).await;
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(server.url("/api/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let resp = client
        .get(server.url("/api/excel/jobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"], "Not authenticated");
    let resp = client
        .get(server.url("/api/excel/jobs"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client
        .get(server.url("/api/excel/jobs"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_like_fastapi() {
    let server = TestServer::start().await;
    let resp = reqwest::get(server.url("/api/nope")).await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["detail"], "Not Found");
    let resp = reqwest::Client::new()
        .put(server.url("/api/excel/jobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["detail"],
        "Method Not Allowed"
    );
}

#[tokio::test]
async fn health_is_degraded_without_an_interpreter() {
    let server = TestServer::start_with(|c| c.python = "/nonexistent/python3".into()).await;
    let v = get_json(&server.url("/api/health")).await;
    assert_eq!(v["status"], "degraded");
    assert!(
        v["python"].as_str().unwrap().starts_with("unavailable"),
        "{v}"
    );
}

#[tokio::test]
async fn many_jobs_at_once_with_bad_ones_among_them() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let weather = std::fs::read(fixture(WEATHER)).unwrap();
    let corrupt = std::fs::read(fixture("real/poi/xlsx-corrupted.xlsx")).unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (name, data, prompt) = match i % 4 {
            0 => ("broken.xlsx", corrupt.clone(), "sort by a"),
            1 => ("w.csv", weather.clone(), "sort by nothing_like_this"),
            _ => ("w.csv", weather.clone(), "sort by wind descending"),
        };
        let (client, url) = (client.clone(), server.url("/api/excel/jobs"));
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .multipart(form(name, data, prompt))
                .send()
                .await
                .unwrap();
            (
                i,
                resp.status().as_u16(),
                resp.json::<Value>().await.unwrap(),
            )
        }));
    }
    let mut accepted = Vec::new();
    for task in tasks {
        let (i, status, body) = task.await.unwrap();
        if i % 4 == 0 {
            assert_eq!(status, 400, "{body}");
        } else {
            assert_eq!(status, 201, "{body}");
            accepted.push((i, body["id"].as_str().unwrap().to_string()));
        }
    }
    for (i, id) in accepted {
        let job = wait_for_job(
            &client,
            &server.url(&format!("/api/excel/jobs/{id}")),
            JOB_TIMEOUT,
        )
        .await;
        let expected = if i % 4 == 1 { "failed" } else { "succeeded" };
        assert_eq!(job["status"], expected, "job {i}: {job}");
        assert_eq!(job["attempts"], 1, "each job ran once: {job}");
    }
    let list = get_json(&server.url("/api/excel/jobs")).await;
    assert_eq!(list["count"], 9);
}
