//! Report jobs end to end: several real files uploaded over HTTP, real CPython computing
//! `analysis.json` and the charts, `report.md` written from it. Every number of every
//! report is looked up in its `analysis.json` here, independently of the engine's check.

use office_core::OfflinePlanner;
use office_core::{CodeGenerator, Narrative, NarrativeRequest, Plan, PlanError, PlanRequest};
use office_core::{Engine, JobKind, JobStatus, Submission, Upload};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const JOB_TIMEOUT: Duration = Duration::from_secs(120);
const SALES: &str = "report/销售_2024.csv";
const TARGETS: &str = "report/区域目标.csv";
const BRENT: &str = "real/oil-prices/eia_brent-month.xls";
const WEATHER: &str = "real/vega/seattle-weather.csv";

fn file_part(path: &str) -> Part {
    let path = fixture(path);
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    Part::bytes(std::fs::read(&path).unwrap()).file_name(name)
}

async fn post(server: &TestServer, form: Form) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/report/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn submit(server: &TestServer, form: Form) -> String {
    let resp = post(server, form).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let job: Value = resp.json().await.unwrap();
    assert_eq!(job["kind"], "report");
    job["id"].as_str().unwrap().to_string()
}

async fn finished(server: &TestServer, id: &str) -> Value {
    let job = wait_for_job(
        &reqwest::Client::new(),
        &server.url(&format!("/api/report/jobs/{id}")),
        JOB_TIMEOUT,
    )
    .await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    job
}

async fn artifact(server: &TestServer, id: &str, name: &str) -> Vec<u8> {
    let resp = reqwest::get(server.url(&format!("/api/report/jobs/{id}/artifacts/{name}")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}");
    resp.bytes().await.unwrap().to_vec()
}

async fn report_and_analysis(server: &TestServer, id: &str) -> (String, Value) {
    let md = String::from_utf8(artifact(server, id, "report.md").await).unwrap();
    let analysis = serde_json::from_slice(&artifact(server, id, "analysis.json").await).unwrap();
    (md, analysis)
}

fn artifact_names(job: &Value) -> Vec<String> {
    job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every number written in `md` (digits, optionally one decimal part) and whether
/// `analysis` holds it: as a number that rounds to it, or as digits in its text.
fn numbers_missing_from(md: &str, analysis: &Value) -> Vec<String> {
    fn numbers(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = String::new();
        let chars: Vec<char> = text.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let decimal_point = *c == '.'
                && !current.is_empty()
                && !current.contains('.')
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if c.is_ascii_digit() || decimal_point {
                current.push(*c);
            } else if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    }
    fn collect(v: &Value, nums: &mut Vec<f64>, texts: &mut Vec<String>) {
        match v {
            Value::Number(n) => nums.push(n.as_f64().unwrap().abs()),
            Value::String(s) => texts.extend(numbers(s)),
            Value::Array(a) => a.iter().for_each(|x| collect(x, nums, texts)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                texts.extend(numbers(k));
                collect(x, nums, texts)
            }),
            _ => {}
        }
    }
    let (mut nums, mut texts) = (Vec::new(), Vec::new());
    collect(analysis, &mut nums, &mut texts);
    numbers(md)
        .into_iter()
        .filter(|n| {
            if texts.contains(n) {
                return false;
            }
            let value: f64 = n.parse().unwrap();
            let places = n.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
            let scale = 10f64.powi(places);
            !nums
                .iter()
                .any(|x| ((x * scale).round() - value * scale).abs() < 0.5)
        })
        .collect()
}

#[tokio::test]
async fn multi_file_report_with_notes_cjk_and_shared_keys() {
    let server = TestServer::start().await;
    let form = Form::new()
        .text("title", "上半年 sales review")
        .text("template", "default")
        .text("notes", "Targets were set in January.")
        .text("prompt", "How did 销售额 develop?")
        .part("files[]", file_part(SALES))
        .part("files[]", file_part(TARGETS))
        .part("files[]", file_part(BRENT))
        .part(
            "files[]",
            Part::bytes(
                "# Meeting\nThe 华北 team asked for a second review."
                    .as_bytes()
                    .to_vec(),
            )
            .file_name("meeting notes.md"),
        );
    let id = submit(&server, form).await;
    let job = finished(&server, &id).await;
    let names = artifact_names(&job);
    for expected in [
        "report.md",
        "analysis.json",
        "summary.json",
        "generated.py",
        "chart_1.png",
        "chart_2.png",
        "chart_3.png",
        "inputs/销售_2024.csv",
        "inputs/区域目标.csv",
        "inputs/eia_brent-month.xls",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    // The uploaded files come back as uploaded.
    assert_eq!(
        artifact(&server, &id, "inputs/销售_2024.csv").await,
        std::fs::read(fixture(SALES)).unwrap()
    );

    let (md, analysis) = report_and_analysis(&server, &id).await;
    assert!(md.starts_with("# 上半年 sales review\n"), "{md}");
    for part in [
        "## Summary",
        "## Notes",
        "> Targets were set in January.",
        "From meeting notes.md:",
        "> The 华北 team asked for a second review.",
        "## Data",
        "### 销售_2024.csv",
        "### 区域目标.csv",
        "### eia_brent-month.xls",
        "![Chart for 销售_2024.csv](chart_1.png)",
        "## Across the files",
        "## Conclusion",
        "How did 销售额 develop?",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
    // Facts checked against the file itself: 120 rows, 3 regions shared with the targets.
    let files = analysis["files"].as_array().unwrap();
    assert_eq!(files[0]["rows"], 120);
    assert!(
        md.contains("销售_2024.csv holds 120 rows in 5 columns"),
        "{md}"
    );
    assert!(
        md.contains("In 地区, 3 values appear in both files"),
        "{md}"
    );
    // The Brent sheet is the data sheet, not the contents page.
    assert_eq!(files[2]["sheet"], "Data 1");
    let missing = numbers_missing_from(&md, &analysis);
    assert!(
        missing.is_empty(),
        "numbers not in analysis.json: {missing:?}\n{md}"
    );
    let summary = get_json(&server.url(&format!("/api/report/jobs/{id}/summary"))).await;
    assert_eq!(summary["report"]["narrator"], "templates");
    assert_eq!(summary["report"]["dropped_sentences"], Value::Array(vec![]));
    server.stop().await;
}

#[tokio::test]
async fn built_in_and_custom_templates_shape_the_report() {
    let server = TestServer::start().await;
    let custom = "# Background\nWhy we look.\n## Findings\n## Risks\n## What we do next\n";
    let mut jobs = Vec::new();
    for template in [
        "executive-summary",
        "data-analysis",
        "weekly-status",
        custom,
    ] {
        let form = Form::new()
            .text("title", "Weather")
            .text("template", template.to_string())
            .text("prompt", "How did temp_max change?")
            .part("files", file_part(WEATHER));
        jobs.push((template, submit(&server, form).await));
    }
    let expected: [&[&str]; 4] = [
        &[
            "## Executive summary",
            "## Key figures",
            "## Recommendation",
            "## Details",
        ],
        &[
            "## Introduction",
            "## Data sources",
            "## Analysis",
            "## Conclusion",
        ],
        &[
            "## Highlights",
            "## Progress",
            "## Details",
            "## Next steps",
        ],
        &[
            "## Background",
            "## Findings",
            "## Risks",
            "## What we do next",
        ],
    ];
    for ((template, id), headings) in jobs.iter().zip(expected) {
        finished(&server, id).await;
        let (md, analysis) = report_and_analysis(&server, id).await;
        let mut at = 0;
        for heading in headings {
            let found = md[at..].find(heading).unwrap_or_else(|| {
                panic!("{template:?}: {heading} missing or out of order in\n{md}")
            });
            at += found;
        }
        assert!(md.contains("### seattle-weather.csv"), "{md}");
        assert!(md.contains("(chart_1.png)"), "{md}");
        assert!(md.contains("temp_max"), "{md}");
        let missing = numbers_missing_from(&md, &analysis);
        assert!(missing.is_empty(), "{template:?}: {missing:?}\n{md}");
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_a_job_exists() {
    let server = TestServer::start().await;
    // A job already running is not disturbed by the refused ones.
    let good = submit(&server, Form::new().part("files[]", file_part(TARGETS))).await;

    let resp = post(
        &server,
        Form::new()
            .text("template", "quarterly-board-pack")
            .part("files[]", file_part(SALES)),
    )
    .await;
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let detail = body["detail"].to_string();
    for name in [
        "default",
        "executive-summary",
        "data-analysis",
        "weekly-status",
    ] {
        assert!(detail.contains(name), "{detail}");
    }

    // One unreadable file among good ones: refused, naming the file and the reason.
    let resp = post(
        &server,
        Form::new()
            .part("files[]", file_part(SALES))
            .part("files[]", file_part("real/calamine/too_small.xls"))
            .part("files[]", file_part(TARGETS)),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("too_small.xls"), "{detail}");

    // Notes alone are not a report.
    let resp = post(
        &server,
        Form::new().part(
            "files[]",
            Part::bytes(b"just notes".to_vec()).file_name("notes.txt"),
        ),
    )
    .await;
    assert_eq!(resp.status(), 422);

    let job = finished(&server, &good).await;
    assert_eq!(
        job["prompt"],
        office_core::test_support::DEFAULT_REPORT_PROMPT
    );
    let list = get_json(&server.url("/api/report/jobs")).await;
    assert_eq!(list["count"], 1, "{list}");
    // Nothing of the refused submissions is left on disk.
    let folders = std::fs::read_dir(server.data.path().join("jobs"))
        .unwrap()
        .count();
    assert_eq!(folders, 1);
    server.stop().await;
}

#[tokio::test]
async fn same_named_uploads_are_kept_apart_and_traversal_is_refused() {
    let server = TestServer::start().await;
    let sales = std::fs::read(fixture(SALES)).unwrap();
    let targets = std::fs::read(fixture(TARGETS)).unwrap();
    let form = Form::new()
        .part(
            "files[]",
            Part::bytes(sales.clone()).file_name("../data.csv"),
        )
        .part(
            "files[]",
            Part::bytes(targets.clone()).file_name("data.csv"),
        );
    let id = submit(&server, form).await;
    let job = finished(&server, &id).await;
    let names = artifact_names(&job);
    assert!(names.contains(&"inputs/data.csv".to_string()), "{names:?}");
    assert!(
        names.contains(&"inputs/data (2).csv".to_string()),
        "{names:?}"
    );
    assert_eq!(artifact(&server, &id, "inputs/data.csv").await, sales);
    assert_eq!(
        artifact(&server, &id, "inputs/data%20(2).csv").await,
        targets
    );

    let secret = server.data.path().join("jobs").join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    let client = reqwest::Client::new();
    for name in [
        "..%2fsecret.txt",
        "%2e%2e%2fsecret.txt",
        "inputs%2f..%2f..%2fsecret.txt",
        "%2fetc%2fpasswd",
        "outputs%2freport.md",
        "missing.png",
    ] {
        let url = server.url(&format!("/api/report/jobs/{id}/artifacts/{name}"));
        let status = client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 404, "{name}");
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
    server.stop().await;
}

#[tokio::test]
async fn delete_while_running_cancels_it_and_removes_its_files() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let id = submit(
        &server,
        Form::new()
            .part("files[]", file_part(WEATHER))
            .part("files[]", file_part(BRENT))
            .part("files[]", file_part(SALES)),
    )
    .await;
    let url = server.url(&format!("/api/report/jobs/{id}"));
    let deadline = tokio::time::Instant::now() + JOB_TIMEOUT;
    loop {
        let job: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        if job["status"] == "running" {
            break;
        }
        assert_eq!(job["status"], "queued", "{job}");
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(client.delete(&url).send().await.unwrap().status(), 200);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);
    assert!(!server.data.path().join("jobs").join(&id).exists());
    let list = get_json(&server.url("/api/report/jobs")).await;
    assert_eq!(list["count"], 0);
    server.stop().await;
}

/// A narrator that makes a number up: the check must drop that sentence and say so.
struct InventiveNarrator;

#[async_trait::async_trait]
impl CodeGenerator for InventiveNarrator {
    fn name(&self) -> String {
        "inventive".into()
    }

    async fn generate(&self, req: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        OfflinePlanner.generate(req).await
    }

    async fn narrate(&self, req: &NarrativeRequest<'_>) -> Option<Result<Narrative, PlanError>> {
        let rows = req.analysis["files"][0]["rows"].as_u64().unwrap();
        Some(Ok(Narrative {
            markdown: format!(
                "# {}\n\n## {}\n\nThe file holds {rows} rows. Sales will reach 987654 next year.\n",
                req.title, req.sections[0]
            ),
            generator: "llm:test".into(),
        }))
    }
}

#[tokio::test]
async fn a_narrators_invented_numbers_are_dropped_and_reported() {
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::builder(test_config(data.path()))
        .generator(Arc::new(InventiveNarrator))
        .build()
        .await
        .unwrap();
    let _workers = engine.start_workers(1);
    let mut submission = Submission::new(
        JobKind::Report,
        "summarize",
        vec![Upload {
            name: "targets.csv".into(),
            data: std::fs::read(fixture(TARGETS)).unwrap().into(),
        }],
    );
    submission.params.insert("title".into(), "Targets".into());
    let job = engine.submit(submission).await.unwrap();
    let job = engine
        .wait(&office_core::Caller::default(), job.id, Some(JOB_TIMEOUT))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let (_, md) = engine.read_artifact(&job, "report.md").await.unwrap();
    let md = String::from_utf8(md.to_vec()).unwrap();
    assert!(md.contains("The file holds 4 rows."), "{md}");
    assert!(!md.contains("987654"), "{md}");
    let summary = engine.summary(&job).await.unwrap();
    assert_eq!(summary["report"]["narrator"], "llm:test");
    let dropped = &summary["report"]["dropped_sentences"][0];
    assert_eq!(dropped["sentence"], "Sales will reach 987654 next year.");
    assert_eq!(dropped["unsupported"][0], "987654");
    let events = engine
        .events(&office_core::Caller::default(), job.id)
        .await
        .unwrap();
    assert!(
        serde_json::to_string(&events).unwrap().contains("987654"),
        "the job's log names the dropped sentence"
    );
}
