//! Retention over real HTTP: finished jobs and their files go once `retention` has
//! passed since they finished (the sweeper beside the workers), the bytes they took on
//! disk are freed, and a job still running is never touched however long it runs.

use office_core::LlmConfig;
use office_core::test_support::{FakeLlm, Reply};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

const GOOD: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
out = os.environ["OUTPUT_DIR"]
df.to_excel(os.path.join(out, "output.xlsx"), index=False)
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["copied"]}, f)
"#;

/// Bytes the files under `dir` take on disk (blocks, not lengths); 0 when it is gone.
fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                disk_bytes(&e.path())
            } else {
                meta.blocks() * 512
            }
        })
        .sum()
}

async fn submit(server: &TestServer, generator: &str) -> String {
    let csv = "region,amount\nNorth,10\nSouth,5\n".repeat(2000);
    let form = Form::new()
        .part("file", Part::bytes(csv.into_bytes()).file_name("sales.csv"))
        .text("prompt", "sort by amount")
        .text("generator", generator.to_string());
    let response = reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let job: Value = response.json().await.unwrap();
    job["id"].as_str().unwrap().to_string()
}

async fn status_of(server: &TestServer, id: &str) -> (u16, Value) {
    let response = reqwest::get(server.url(&format!("/api/excel/jobs/{id}")))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn expired_jobs_and_their_files_are_deleted_but_never_a_running_one() {
    // The model answers after a while: the job that asked for it is running meanwhile.
    let fake = FakeLlm::start(vec![Reply::code(GOOD).delayed(Duration::from_secs(15))]).await;
    let base = fake.base_url();
    let server = TestServer::start_with(move |c| {
        c.retention = Some(Duration::from_secs(5));
        c.retention_sweep = Duration::from_millis(200);
        let mut llm = LlmConfig::new(base, "fake-model");
        llm.max_attempts = 1;
        c.llm = Some(llm);
    })
    .await;
    let client = reqwest::Client::new();
    let jobs_dir = server.data.path().join("jobs");
    let a = submit(&server, "planner").await;
    let b = submit(&server, "planner").await;
    // Both at once: the first to finish may expire while the other still runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (ja, jb) = (
            status_of(&server, &a).await.1,
            status_of(&server, &b).await.1,
        );
        if ja["status"] == "succeeded" && jb["status"] == "succeeded" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{ja} {jb}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (bytes_a, bytes_b) = (
        disk_bytes(&jobs_dir.join(&a)),
        disk_bytes(&jobs_dir.join(&b)),
    );
    assert!(bytes_a > 20_000 && bytes_b > 20_000, "{bytes_a} {bytes_b}");
    let slow = submit(&server, "llm").await;

    // Both finished jobs go, their rows and their folders.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let gone_a = status_of(&server, &a).await.0 == 404;
        let gone_b = status_of(&server, &b).await.0 == 404;
        if gone_a && gone_b {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not swept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!jobs_dir.join(&a).exists() && !jobs_dir.join(&b).exists());
    // What is left on disk is the running job's files only: the others' bytes are free.
    assert_eq!(disk_bytes(&jobs_dir), disk_bytes(&jobs_dir.join(&slow)));

    // The slow job was running all along (its model answer is not back yet), untouched.
    let (code, job) = status_of(&server, &slow).await;
    assert_eq!(code, 200, "{job}");
    assert_eq!(job["status"], "running", "{job}");
    let url = server.url(&format!("/api/excel/jobs/{slow}"));
    let job = wait_for_job(&client, &url, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    // It expires in its turn, once finished for the retention.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while status_of(&server, &slow).await.0 != 404 {
        assert!(tokio::time::Instant::now() < deadline, "not swept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(disk_bytes(&jobs_dir), 0);
    let metrics = server.engine.metrics_text().await;
    assert!(
        metrics.contains("\noffice_retention_deleted_jobs_total 3\n"),
        "{metrics}"
    );
    server.stop().await;
}

/// Without a retention nothing is ever swept.
#[tokio::test]
async fn without_a_retention_jobs_stay() {
    let server = TestServer::start().await;
    let id = submit(&server, "planner").await;
    let url = server.url(&format!("/api/excel/jobs/{id}"));
    let job = wait_for_job(&reqwest::Client::new(), &url, Duration::from_secs(60)).await;
    assert_eq!(job["status"], "succeeded");
    assert_eq!(server.engine.sweep_expired().await.unwrap(), 0);
    assert_eq!(status_of(&server, &id).await.0, 200);
    server.stop().await;
}
