//! The server's own behaviour under load, end to end on a real server on loopback: job
//! lists a page at a time (limit, cursor, light items, refusals in words) and health
//! answered while large uploads are still being profiled.

use office_core::{Artifact, ArtifactKind, InputFile, Job, JobKind, JobStatus};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// A stored job as heavy as a finished one (inputs, artifacts, parameters).
fn heavy_job(kind: JobKind, i: usize) -> Job {
    let mut job = Job::new(kind, format!("job {i}"));
    job.status = JobStatus::Succeeded;
    job.params.insert("title".into(), "x".repeat(200).into());
    job.inputs = vec![InputFile {
        name: "a.csv".into(),
        original_name: "a.csv".into(),
        size: 10,
        sha256: "ab".repeat(32),
    }];
    job.artifacts = vec![Artifact {
        name: "summary.json".into(),
        kind: ArtifactKind::Summary,
        size: 10,
        content_type: "application/json".into(),
        sha256: "cd".repeat(32),
    }];
    job
}

async fn get(url: &str) -> (u16, Value) {
    let resp = reqwest::get(url).await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_come_a_page_at_a_time_with_light_items() {
    let server = TestServer::start().await;
    let store = server.engine.store().clone();
    let mut excel = Vec::new();
    for i in 0..7 {
        let job = heavy_job(JobKind::Excel, i);
        store.insert(&job).await.unwrap();
        excel.push(job.id.to_string());
        let other = heavy_job(
            if i.is_multiple_of(2) {
                JobKind::Report
            } else {
                JobKind::Analytics
            },
            i,
        );
        store.insert(&other).await.unwrap();
    }
    excel.reverse(); // newest first

    // The default page holds them all (50), with no next page.
    let (status, all) = get(&server.url("/api/excel/jobs")).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["count"], 7);
    assert!(all["next"].is_null(), "{all}");
    let item = &all["jobs"][0];
    for heavy in ["inputs", "artifacts", "params", "stages", "error"] {
        assert!(
            item.get(heavy).is_none(),
            "a list item has no {heavy}: {item}"
        );
    }
    for light in [
        "id",
        "kind",
        "status",
        "stage",
        "prompt",
        "created_at",
        "attempts",
    ] {
        assert!(
            item.get(light).is_some(),
            "a list item has its {light}: {item}"
        );
    }

    // Three at a time: every job once, newest first, and `next` is null on the last page.
    let mut seen = Vec::new();
    let mut url = server.url("/api/excel/jobs?limit=3");
    let mut pages = 0;
    let last_cursor = loop {
        let (status, page) = get(&url).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for job in page["jobs"].as_array().unwrap() {
            seen.push(job["id"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => {
                url = server.url(&format!("/api/excel/jobs?limit=3&cursor={next}"));
                if pages == 1 {
                    continue;
                }
                break next.to_string();
            }
            None => panic!("a third page was expected"),
        }
    };
    let (_, rest) = get(&url).await;
    for job in rest["jobs"].as_array().unwrap() {
        seen.push(job["id"].as_str().unwrap().to_string());
    }
    assert!(rest["next"].is_null(), "{rest}");
    assert_eq!(seen, excel);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    // Refusals in words: a cursor of another kind's list, a made-up one, bad limits.
    let (status, body) =
        get(&server.url(&format!("/api/analytics/jobs?cursor={last_cursor}"))).await;
    assert_eq!(status, 422, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("excel jobs") && detail.contains("analytics jobs"),
        "{detail}"
    );
    let (status, body) = get(&server.url(&format!(
        "/api/excel/jobs?status=failed&cursor={last_cursor}"
    )))
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = get(&server.url("/api/excel/jobs?cursor=not-a-cursor")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("not one this server gave out"),
        "{body}"
    );
    for limit in ["0", "1001", "abc", "-1"] {
        let (status, body) = get(&server.url(&format!("/api/excel/jobs?limit={limit}"))).await;
        assert_eq!(status, 422, "limit={limit}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("limit must be") && detail.contains("1000"),
            "limit={limit}: {detail}"
        );
    }
    let (status, _) = get(&server.url("/api/excel/jobs?limit=1000")).await;
    assert_eq!(status, 200, "the maximum itself is allowed");

    // Every kind's list pages the same way.
    let (status, reports) = get(&server.url("/api/report/jobs?limit=2")).await;
    assert_eq!(status, 200);
    assert_eq!(reports["count"], 2);
    assert!(
        reports["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["kind"] == "report")
    );
    let (_, analytics) = get(&server.url("/api/analytics/jobs?status=succeeded")).await;
    assert_eq!(analytics["count"], 3);
}

/// A CSV of `rows` rows, about 50 bytes each: seconds of profiling.
fn big_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("id,region,product,units,price,when\n");
    for i in 0..rows {
        out.push_str(&format!(
            "{i},{},P{},{},{}.{:02},2024-{:02}-{:02}\n",
            ["North", "South", "East", "West"][i % 4],
            i % 97,
            i % 13,
            i % 1000,
            i % 100,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    out.into_bytes()
}

/// Files stored under the data folder's jobs: what a submission writes before it
/// profiles them.
fn stored_inputs(server: &TestServer) -> usize {
    let Ok(jobs) = std::fs::read_dir(server.data.path().join("jobs")) else {
        return 0;
    };
    jobs.flatten()
        .filter(|job| {
            job.path()
                .join("inputs")
                .read_dir()
                .is_ok_and(|mut d| d.next().is_some())
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_large_uploads_are_profiled() {
    let server = TestServer::start().await;
    let csv = big_csv(400_000);
    let client = reqwest::Client::new();
    // More submissions than the profile cap (one per core): some wait for a permit.
    let uploads = 4;
    let mut submits = Vec::new();
    for _ in 0..uploads {
        let (client, url, csv) = (client.clone(), server.url("/api/excel/jobs"), csv.clone());
        submits.push(tokio::spawn(async move {
            let form = Form::new()
                .text("prompt", "sort by units descending")
                .part("file", Part::bytes(csv).file_name("big.csv"));
            client
                .post(url)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    // Wait for the state "every upload stored, no job recorded yet": the submissions are
    // profiling (or waiting to). The bound only keeps a broken server from hanging.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let listed = server
            .engine
            .store()
            .list(&Default::default())
            .await
            .unwrap();
        assert!(
            listed.is_empty(),
            "a submission finished before all were stored; make the files larger"
        );
        if stored_inputs(&server) == uploads {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the uploads never arrived"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, health) = get(&server.url("/api/health")).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok", "{health}");
    let (status, list) = get(&server.url("/api/excel/jobs")).await;
    assert_eq!(status, 200, "{list}");
    // Health and the list were answered while at least one profile had not ended.
    let recorded = server
        .engine
        .store()
        .list(&Default::default())
        .await
        .unwrap();
    assert!(
        recorded.len() < uploads,
        "every profile ended before health answered: nothing was shown"
    );
    for submit in submits {
        assert_eq!(submit.await.unwrap(), 201);
    }
}

/// A value of this process's `/metrics` (the engine's own exposition).
async fn metric(server: &TestServer, name: &str) -> f64 {
    let text = server.engine.metrics_text().await;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_stops_when_its_client_disconnects() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start().await;
    // Seconds of profiling (a million rows), sent by hand so the client can hang up
    // once the upload is in and its profile has started.
    let csv = big_csv(1_000_000);
    let boundary = "office-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nsort by units descending\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&csv);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let address = server.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/excel/jobs HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    socket.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while metric(&server, "office_profiles_running").await < 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the profile never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        metric(&server, "office_profiles_cancelled_total").await,
        0.0
    );
    drop(socket);
    // The profile stops (it does not run to its end) and no job is recorded.
    while metric(&server, "office_profiles_running").await > 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the profile never ended"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        metric(&server, "office_profiles_cancelled_total").await,
        1.0,
        "the profile ran to its end after its client had gone"
    );
    let recorded = server
        .engine
        .store()
        .list(&Default::default())
        .await
        .unwrap();
    assert!(recorded.is_empty(), "{recorded:?}");
    // The server goes on serving.
    let (status, health) = get(&server.url("/api/health")).await;
    assert_eq!(status, 200, "{health}");
    server.stop().await;
}
