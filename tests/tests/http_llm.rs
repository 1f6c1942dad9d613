//! Excel jobs written by a model, over real HTTP: a scripted OpenAI-compatible server on
//! loopback, the REST server configured for it, real CPython running what it wrote.

use office_core::test_support::{FakeLlm, Reply};
use office_core::{ApiKey, LlmConfig};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const KEY: &str = "sk-http-test-secret-42";

const GOOD: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
total = df.groupby("region", as_index=False)["amount"].sum().sort_values("region")
out = os.environ["OUTPUT_DIR"]
with pd.ExcelWriter(os.path.join(out, "output.xlsx")) as writer:
    df.to_excel(writer, sheet_name="data", index=False)
    total.to_excel(writer, sheet_name="Total by region", index=False)
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["total amount by region"]}, f)
"#;

fn form(prompt: &str, generator: Option<&str>) -> Form {
    let csv = b"region,amount\nNorth,10\nSouth,5\nNorth,2.5\n".to_vec();
    let form = Form::new()
        .part("file", Part::bytes(csv).file_name("sales.csv"))
        .text("prompt", prompt.to_string());
    match generator {
        Some(g) => form.text("generator", g.to_string()),
        None => form,
    }
}

async fn server_with_model(fake: &FakeLlm) -> TestServer {
    let base = fake.base_url();
    TestServer::start_with(move |c| {
        let mut llm = LlmConfig::new(base, "fake-model");
        llm.api_key = Some(ApiKey::new(KEY));
        c.llm = Some(llm);
    })
    .await
}

async fn submit(server: &TestServer, form: Form) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_model_written_program_is_repaired_and_its_workbook_downloaded() {
    let fake = FakeLlm::start(vec![
        Reply::code("import socket\nsocket.socket()\n"),
        Reply::code(GOOD),
    ])
    .await;
    let server = server_with_model(&fake).await;
    let health = get_json(&server.url("/api/health")).await;
    assert_eq!(health["generator"], "llm:fake-model", "{health}");

    let resp = submit(&server, form("total amount by region", None)).await;
    assert_eq!(resp.status(), 201);
    let job: Value = resp.json().await.unwrap();
    let url = server.url(&format!("/api/excel/jobs/{}", job["id"].as_str().unwrap()));
    let client = reqwest::Client::new();
    let job = wait_for_job(&client, &url, Duration::from_secs(120)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["generator"], "llm:fake-model");

    let code = get_json(&format!("{url}/code")).await;
    assert_eq!(code["code"].as_str().unwrap().trim(), GOOD.trim());
    let first = reqwest::get(format!("{url}/artifacts/attempt-1.py"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("import socket"), "{first}");
    let summary = get_json(&format!("{url}/summary")).await;
    assert_eq!(summary["attempts"][0]["outcome"], "code_rejected");
    assert_eq!(summary["attempts"][1]["outcome"], "succeeded");
    assert_eq!(summary["llm"]["total_tokens"], 240);

    let xlsx = reqwest::get(format!("{url}/download"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let rows = read_sheet(&xlsx, "Total by region");
    let totals: Vec<f64> = column(&rows, "amount").into_iter().map(as_f64).collect();
    assert_eq!(totals, [12.5, 5.0]);

    let received = fake.received();
    assert_eq!(received.len(), 2);
    assert!(received[0].messages_text().contains("region"));
    assert!(received[1].messages_text().contains("socket"));
    // Nothing the server answered carries the key.
    for path in ["", "/events", "/artifacts", "/summary"] {
        let text = reqwest::get(format!("{url}{path}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(KEY), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_generator_field_picks_the_planner_and_is_checked() {
    let fake = FakeLlm::start(vec![]).await;
    let server = server_with_model(&fake).await;
    let resp = submit(&server, form("sort by amount descending", Some("planner"))).await;
    assert_eq!(resp.status(), 201);
    let job: Value = resp.json().await.unwrap();
    assert_eq!(job["params"]["generator"], "planner");
    let url = server.url(&format!("/api/excel/jobs/{}", job["id"].as_str().unwrap()));
    let job = wait_for_job(&reqwest::Client::new(), &url, Duration::from_secs(120)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["generator"], "planner");
    assert!(fake.received().is_empty());

    let resp = submit(&server, form("sort by amount", Some("gpt"))).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"][0]["loc"][1], "generator", "{body}");
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("auto, planner, llm"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn asking_for_the_model_where_none_is_configured_answers_422() {
    let server = TestServer::start().await;
    let resp = submit(&server, form("sort by amount", Some("llm"))).await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let detail = body["detail"].to_string();
    assert!(detail.contains("no model is configured"), "{detail}");
    assert!(detail.contains("OFFICE_LLM_MODEL"), "{detail}");
    // The server keeps serving, and auto means the planner here.
    let resp = submit(&server, form("sort by amount", Some("auto"))).await;
    assert_eq!(resp.status(), 201);
    let jobs = get_json(&server.url("/api/excel/jobs")).await;
    assert_eq!(jobs["count"], 1, "the refused job left nothing behind");
    server.stop().await;
}
