//! A follow-up written by a model, over real HTTP: a scripted OpenAI-compatible server on
//! loopback, real CPython running both programs. The model asked for the follow-up is
//! shown the earlier job's request, steps and program, and the follow-up's input is the
//! earlier job's workbook.

use office_core::LlmConfig;
use office_core::test_support::{FakeLlm, Reply};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const FIRST: &str = r#"import json
import os
import pandas as pd

# thread-marker-parent-5521
df = pd.read_csv(os.environ["INPUT_PATH"])
total = df.groupby("region", as_index=False)["amount"].sum().sort_values("region")
out = os.environ["OUTPUT_DIR"]
with pd.ExcelWriter(os.path.join(out, "output.xlsx")) as writer:
    df.to_excel(writer, sheet_name="data", index=False)
    total.to_excel(writer, sheet_name="Total by region", index=False)
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["totalled amount by region (step-marker-8812)"]}, f)
"#;

/// Reads the earlier job's workbook (both sheets), adds a sheet; a workbook that keeps
/// every sheet of its input is accepted.
const SECOND: &str = r#"import os
import pandas as pd

sheets = pd.read_excel(os.environ["INPUT_PATH"], sheet_name=None)
total = sheets["Total by region"]
share = total.assign(share=total["amount"] / total["amount"].sum())
out = os.environ["OUTPUT_DIR"]
with pd.ExcelWriter(os.path.join(out, "output.xlsx")) as writer:
    for name, frame in sheets.items():
        frame.to_excel(writer, sheet_name=name, index=False)
    share.to_excel(writer, sheet_name="Share", index=False)
"#;

#[tokio::test]
async fn the_model_sees_the_parents_request_steps_and_code() {
    let fake = FakeLlm::start(vec![Reply::code(FIRST), Reply::code(SECOND)]).await;
    let base = fake.base_url();
    let server =
        TestServer::start_with(move |c| c.llm = Some(LlmConfig::new(base, "fake-model"))).await;
    let http = reqwest::Client::new();
    let submit = |form: Form| {
        let http = http.clone();
        let url = server.url("/api/excel/jobs");
        async move {
            let resp = http.post(url).multipart(form).send().await.unwrap();
            assert_eq!(resp.status(), 201);
            resp.json::<Value>().await.unwrap()
        }
    };
    let wait = |id: String| {
        let http = http.clone();
        let url = server.url(&format!("/api/excel/jobs/{id}"));
        async move { wait_for_job(&http, &url, Duration::from_secs(120)).await }
    };

    let csv = b"region,amount\nNorth,10\nSouth,5\nNorth,2.5\n".to_vec();
    let parent = submit(
        Form::new()
            .part("file", Part::bytes(csv).file_name("sales.csv"))
            .text("prompt", "total amount by region (request-marker-3307)"),
    )
    .await;
    let parent_id = parent["id"].as_str().unwrap().to_string();
    let parent = wait(parent_id.clone()).await;
    assert_eq!(parent["status"], "succeeded", "{parent:#}");

    let child = submit(
        Form::new()
            .text("parent", parent_id.clone())
            .text("prompt", "add each region's share of the total"),
    )
    .await;
    let child = wait(child["id"].as_str().unwrap().to_string()).await;
    assert_eq!(child["status"], "succeeded", "{child:#}");
    assert_eq!(child["parent"], parent_id.as_str());

    let received = fake.received();
    assert_eq!(received.len(), 2, "one call per job");
    let first = received[0].messages_text();
    assert!(!first.contains("Earlier job in this thread"), "{first}");
    let second = received[1].messages_text();
    for expected in [
        "## Earlier job in this thread",
        "request-marker-3307",
        "step-marker-8812",
        "thread-marker-parent-5521",
        "sales.xlsx",
        "add each region's share of the total",
    ] {
        assert!(
            second.contains(expected),
            "{expected} missing from:\n{second}"
        );
    }
    // The new request comes after the earlier job's block.
    assert!(
        second.find("thread-marker-parent-5521").unwrap()
            < second.find("add each region's share").unwrap()
    );

    // The follow-up's workbook: the parent's two sheets and the new one, read back.
    let url = server.url(&format!(
        "/api/excel/jobs/{}/download",
        child["id"].as_str().unwrap()
    ));
    let out = http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(sheet_names(&out), ["data", "Total by region", "Share"]);
    let share = read_sheet(&out, "Share");
    let shares: Vec<f64> = column(&share, "share").into_iter().map(as_f64).collect();
    assert!(
        (shares.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{shares:?}"
    );
    assert!((shares[0] - 12.5 / 17.5).abs() < 1e-9, "{shares:?}");
}
