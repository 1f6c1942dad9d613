//! What the Excel end-to-end tests share: uploading a file with a prompt and waiting for
//! the job (`run_job`), and the weather fixture's path.

use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

pub const JOB_TIMEOUT: Duration = Duration::from_secs(120);

pub fn form(file_name: &str, data: Vec<u8>, prompt: &str) -> Form {
    Form::new()
        .part("file", Part::bytes(data).file_name(file_name.to_string()))
        .text("prompt", prompt.to_string())
}

/// Uploads a file with a prompt, waits for the job and returns it with the output workbook.
pub async fn run_job(
    server: &TestServer,
    fixture_path: &str,
    prompt: &str,
) -> (Value, Option<Vec<u8>>) {
    let client = reqwest::Client::new();
    let path = fixture(fixture_path);
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let resp = client
        .post(server.url("/api/excel/jobs"))
        .multipart(form(&name, std::fs::read(&path).unwrap(), prompt))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let job: Value = resp.json().await.unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["status"], "queued");
    let job = wait_for_job(
        &client,
        &server.url(&format!("/api/excel/jobs/{id}")),
        JOB_TIMEOUT,
    )
    .await;
    if job["status"] != "succeeded" {
        return (job, None);
    }
    let resp = client
        .get(server.url(&format!("/api/excel/jobs/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("_result.xlsx"), "{disposition}");
    (job, Some(resp.bytes().await.unwrap().to_vec()))
}

pub fn succeeded(job: &Value) {
    assert_eq!(job["status"], "succeeded", "job did not succeed: {job:#}");
}

pub const WEATHER: &str = "real/vega/seattle-weather.csv";
