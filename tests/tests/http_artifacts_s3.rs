//! Job files on an S3-compatible object store, end to end over real HTTP: the moto server
//! `.ci/run` starts on loopback (`OFFICE_TEST_S3_ENDPOINT`), reached through a proxy the
//! tests cut to play a store that goes down. Inputs and outputs live only in the bucket
//! (nothing under DATA_DIR/jobs); a store that is down is named in every answer and
//! every job error, the server keeps serving, and no job is lost. These tests fail, not
//! skip, when the moto server is not answering.

use office_core::test_support::s3::{self, CutProxy};
use office_core::{ArtifactsLocation, S3Settings};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const CSV: &str = "region,amount\nNorth,10\nSouth,5\nNorth,7\nEast,3\n";

async fn server(bucket: &S3Settings, proxy: &CutProxy, max_attempts: u32) -> TestServer {
    let mut settings = bucket.clone();
    settings.endpoint = Some(proxy.endpoint.clone());
    TestServer::start_with(move |c| {
        c.artifacts = ArtifactsLocation::S3(settings);
        // No workers until the test starts them.
        c.workers = 0;
        c.max_attempts = max_attempts;
    })
    .await
}

async fn submit(server: &TestServer) -> (u16, Value) {
    let form = Form::new()
        .text("prompt", "sort by amount descending")
        .part(
            "file",
            Part::bytes(CSV.as_bytes().to_vec()).file_name("sales.csv"),
        );
    let response = reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status_of(server: &TestServer, path: &str) -> u16 {
    reqwest::get(server.url(path))
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until one of the job's events says `needle`; panics after `timeout`.
async fn wait_for_log(server: &TestServer, id: &str, needle: &str, timeout: Duration) -> String {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let events = get_json(&server.url(&format!("/api/excel/jobs/{id}/events"))).await;
        for event in events["events"].as_array().unwrap() {
            if let Some(message) = event["message"].as_str()
                && message.contains(needle)
            {
                return message.to_string();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no event says {needle:?}: {events}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Jobs queued before the store goes down wait (retried, the store named in their log)
/// and all succeed once it is back; submissions while it is down answer 503 naming it and
/// keep nothing; everything else the server does keeps working. Inputs, outputs and
/// downloads go through the bucket only, and deleting a job empties its part of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_wait_while_the_store_is_down_and_none_are_lost() {
    let bucket = s3::fresh_bucket().await;
    let proxy = CutProxy::start().await;
    let server = server(&bucket, &proxy, 6).await;
    let health = get_json(&server.url("/api/health")).await;
    assert_eq!(health["artifacts"], bucket.url(), "{health}");

    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, job) = submit(&server).await;
        assert_eq!(status, 201, "{job}");
        ids.push(job["id"].as_str().unwrap().to_string());
    }
    let keys = s3::list_keys(&bucket).await;
    for id in &ids {
        let input = format!("office/jobs/{id}/inputs/sales.csv");
        assert!(keys.contains(&input), "{input} not in {keys:?}");
    }
    assert!(
        !server.data.path().join("jobs").exists(),
        "job files were written to the local folder"
    );

    proxy.cut();
    let (status, body) = submit(&server).await;
    assert_eq!(status, 503, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&bucket.url()), "{detail}");
    let listed = get_json(&server.url("/api/excel/jobs")).await;
    assert_eq!(
        listed["count"], 3,
        "the refused submission was kept: {listed}"
    );
    assert_eq!(status_of(&server, "/api/health").await, 200);
    assert_eq!(
        status_of(&server, &format!("/api/excel/jobs/{}", ids[0])).await,
        200
    );

    // A worker starts while the store is down: the jobs wait, saying why.
    let workers = server.engine.start_workers(2);
    let said = wait_for_log(&server, &ids[0], "retrying", Duration::from_secs(60)).await;
    assert!(said.contains(&bucket.url()), "{said}");
    proxy.restore();

    let client = reqwest::Client::new();
    for id in &ids {
        let job = wait_for_job(
            &client,
            &server.url(&format!("/api/excel/jobs/{id}")),
            Duration::from_secs(120),
        )
        .await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert!(job["attempts"].as_u64().unwrap() >= 1, "{job}");
        let response = client
            .get(server.url(&format!("/api/excel/jobs/{id}/download")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let listed_size = job["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "workbook")
            .map(|a| a["size"].as_u64().unwrap())
            .unwrap();
        let workbook = response.bytes().await.unwrap();
        assert_eq!(workbook.len() as u64, listed_size);
        let rows = read_sheet(&workbook, &sheet_names(&workbook)[0]);
        let amounts: Vec<f64> = column(&rows, "amount").into_iter().map(as_f64).collect();
        assert_eq!(amounts, [10.0, 7.0, 5.0, 3.0], "{id}");
    }
    let (_, summary) = get_summary(&client, &server, &ids[0]).await;
    assert_eq!(summary["status"], "succeeded", "{summary}");

    // While the store is down, a download names it too; afterwards it works again.
    proxy.cut();
    let response = client
        .get(server.url(&format!("/api/excel/jobs/{}/download", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains(&bucket.url()),
        "{body}"
    );
    proxy.restore();

    let deleted = client
        .delete(server.url(&format!("/api/excel/jobs/{}", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let keys = s3::list_keys(&bucket).await;
    assert!(
        !keys.iter().any(|k| k.contains(&ids[1])),
        "a deleted job left files: {keys:?}"
    );
    assert!(keys.iter().any(|k| k.contains(&ids[0])));
    workers.stop().await;
}

async fn get_summary(client: &reqwest::Client, server: &TestServer, id: &str) -> (u16, Value) {
    let response = client
        .get(server.url(&format!("/api/excel/jobs/{id}/summary")))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A store that stays down fails the job once its attempts are spent, with its own code
/// and the store's name; the job's inputs are still in the bucket, and the server serves
/// throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_down_for_good_fails_jobs_naming_it() {
    let bucket = s3::fresh_bucket().await;
    let proxy = CutProxy::start().await;
    let server = server(&bucket, &proxy, 2).await;
    let (status, job) = submit(&server).await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_str().unwrap().to_string();

    proxy.cut();
    let workers = server.engine.start_workers(1);
    let job = wait_for_job(
        &reqwest::Client::new(),
        &server.url(&format!("/api/excel/jobs/{id}")),
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "artifact_store_unavailable", "{job}");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(message.contains(&bucket.url()), "{message}");
    assert_eq!(job["attempts"], 2, "{job}");
    assert_eq!(status_of(&server, "/api/health").await, 200);
    assert_eq!(status_of(&server, "/api/excel/jobs").await, 200);

    proxy.restore();
    let keys = s3::list_keys(&bucket).await;
    assert!(
        keys.contains(&format!("office/jobs/{id}/inputs/sales.csv")),
        "the failed job's input is gone: {keys:?}"
    );
    workers.stop().await;
}
