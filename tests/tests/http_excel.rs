//! Excel jobs end to end: a real server on loopback, real uploads of real files, real
//! CPython running the planner's programs, and the produced workbooks read back.

use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const JOB_TIMEOUT: Duration = Duration::from_secs(120);

fn form(file_name: &str, data: Vec<u8>, prompt: &str) -> Form {
    Form::new()
        .part("file", Part::bytes(data).file_name(file_name.to_string()))
        .text("prompt", prompt.to_string())
}

/// Uploads a file with a prompt, waits for the job and returns it with the output workbook.
async fn run_job(
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

fn succeeded(job: &Value) {
    assert_eq!(job["status"], "succeeded", "job did not succeed: {job:#}");
}

const WEATHER: &str = "real/vega/seattle-weather.csv";

fn weather() -> (Vec<String>, Vec<Vec<String>>) {
    read_plain_csv(&fixture(WEATHER))
}

fn weather_col(name: &str) -> usize {
    weather().0.iter().position(|h| h == name).unwrap()
}

#[tokio::test]
async fn health_reports_backends() {
    let server = TestServer::start().await;
    let v: Value = get_json(&server.url("/api/health")).await;
    assert_eq!(v["status"], "ok");
    assert_eq!(v["store"], "sqlite");
    assert_eq!(v["generator"], "planner");
    let python = v["python"].as_str().unwrap();
    assert!(
        python.starts_with("Python 3.") && python.contains("pandas"),
        "{v}"
    );
}

#[tokio::test]
async fn sort_descending_on_real_csv() {
    let server = TestServer::start().await;
    let (job, out) = run_job(&server, WEATHER, "sort by temp max descending").await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "seattle-weather");
    let temps: Vec<f64> = column(&rows, "temp_max").into_iter().map(as_f64).collect();
    let (_, csv) = weather();
    assert_eq!(temps.len(), csv.len());
    assert!(
        temps.windows(2).all(|w| w[0] >= w[1]),
        "not sorted descending"
    );
    let max = csv
        .iter()
        .map(|r| r[weather_col("temp_max")].parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(temps[0], max);
    // Every stage ran and was timed.
    let stages: Vec<&str> = job["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["profile", "plan", "validate", "execute", "collect"]
    );
    assert_eq!(job["stage"], "done");
    assert_eq!(job["generator"], "planner");
}

#[tokio::test]
async fn filter_equality_and_comparison() {
    let server = TestServer::start().await;
    let (_, csv) = weather();
    let w = weather_col("weather");
    let p = weather_col("precipitation");

    let (job, out) = run_job(&server, WEATHER, "keep rows where weather is sun").await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "seattle-weather");
    let kept = column(&rows, "weather");
    assert_eq!(kept.len(), csv.iter().filter(|r| r[w] == "sun").count());
    assert!(
        kept.iter()
            .all(|c| matches!(c, calamine::Data::String(s) if s == "sun"))
    );

    let (job, out) = run_job(&server, WEATHER, "filter rows where precipitation > 10").await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "seattle-weather");
    let kept: Vec<f64> = column(&rows, "precipitation")
        .into_iter()
        .map(as_f64)
        .collect();
    assert_eq!(
        kept.len(),
        csv.iter()
            .filter(|r| r[p].parse::<f64>().unwrap() > 10.0)
            .count()
    );
    assert!(kept.iter().all(|v| *v > 10.0));
}

#[tokio::test]
async fn remove_duplicates_by_column() {
    let server = TestServer::start().await;
    let (_, csv) = weather();
    let w = weather_col("weather");
    let mut distinct: Vec<&str> = csv.iter().map(|r| r[w].as_str()).collect();
    distinct.sort();
    distinct.dedup();

    let (job, out) = run_job(&server, WEATHER, "remove duplicates by weather").await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "seattle-weather");
    let mut kept: Vec<String> = column(&rows, "weather")
        .iter()
        .map(|c| c.to_string())
        .collect();
    kept.sort();
    assert_eq!(kept, distinct);
}

#[tokio::test]
async fn computed_column_from_arithmetic() {
    let server = TestServer::start().await;
    let (job, out) = run_job(
        &server,
        WEATHER,
        "add a column temp_range = temp_max - temp_min",
    )
    .await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "seattle-weather");
    let max = column(&rows, "temp_max");
    let min = column(&rows, "temp_min");
    let range = column(&rows, "temp_range");
    assert_eq!(range.len(), weather().1.len());
    for ((a, b), r) in max.iter().zip(&min).zip(&range) {
        assert!((as_f64(a) - as_f64(b) - as_f64(r)).abs() < 1e-9);
    }
}

#[tokio::test]
async fn group_and_aggregate_into_new_sheet() {
    let server = TestServer::start().await;
    let (_, csv) = weather();
    let (w, t) = (weather_col("weather"), weather_col("temp_max"));
    let mut expected: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    for r in &csv {
        let e = expected.entry(r[w].clone()).or_default();
        e.0 += r[t].parse::<f64>().unwrap();
        e.1 += 1;
    }

    let (job, out) = run_job(&server, WEATHER, "average temp_max by weather").await;
    succeeded(&job);
    let out = out.unwrap();
    let names = sheet_names(&out);
    assert!(names.contains(&"seattle-weather".to_string()), "{names:?}");
    let new_sheet = names
        .iter()
        .find(|n| *n != "seattle-weather")
        .expect("a new sheet for the grouping");
    let rows = read_sheet(&out, new_sheet);
    assert_eq!(
        rows.len() - 1,
        expected.len(),
        "one row per weather kind: {rows:?}"
    );
    for row in &rows[1..] {
        let (sum, n) = expected[&row[0].to_string()];
        assert!((as_f64(&row[1]) - sum / n as f64).abs() < 1e-9, "{row:?}");
    }
}

#[tokio::test]
async fn describe_writes_statistics_sheet_and_summary() {
    let server = TestServer::start().await;
    let (job, out) = run_job(&server, WEATHER, "summary statistics").await;
    succeeded(&job);
    let out = out.unwrap();
    let names = sheet_names(&out);
    let stats = names
        .iter()
        .find(|n| n.to_lowercase().contains("statistic"))
        .expect("a statistics sheet");
    let rows = read_sheet(&out, stats);
    let text: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.iter().any(|t| t == "count") && text.iter().any(|t| t == "mean"),
        "{text:?}"
    );

    // summary.json: what was asked, done, and the shape before and after.
    let id = job["id"].as_str().unwrap();
    let summary: Value = get_json(&server.url(&format!("/api/excel/jobs/{id}/summary"))).await;
    assert_eq!(summary["prompt"], "summary statistics");
    assert_eq!(summary["before"][0]["sheets"][0]["rows"], weather().1.len());
    assert!(
        summary["after"][0]["sheets"].as_array().unwrap().len() >= 2,
        "{summary:#}"
    );
    assert!(!summary["steps"].as_array().unwrap().is_empty());
    assert_eq!(
        summary["stages"].as_array().unwrap().len(),
        4,
        "profile..execute timed before collect: {summary:#}"
    );
}

#[tokio::test]
async fn xlsx_sort_keeps_other_sheets() {
    let server = TestServer::start().await;
    let (job, out) = run_job(
        &server,
        "real/calamine/table-multiple.xlsx",
        "sort by quantity descending",
    )
    .await;
    succeeded(&job);
    let out = out.unwrap();
    let sheet1 = read_sheet(&out, "Sheet1");
    let q: Vec<f64> = column(&sheet1, "Quantity")
        .into_iter()
        .map(as_f64)
        .collect();
    assert!(q.windows(2).all(|w| w[0] >= w[1]) && q.len() == 4, "{q:?}");
    let sheet3 = read_sheet(&out, "Sheet3");
    // Sheet3 holds two tables, one under the other: its cells stay as they were.
    let cells: Vec<String> = sheet3.iter().flatten().map(|c| c.to_string()).collect();
    let expected: Vec<String> = [
        "Item", "Units", "1", "1000", "2", "500", "3", "200", "4", "50", "", "", "Item", "Units",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(&cells[..14], &expected[..], "Sheet3 left as it was");
}

#[tokio::test]
async fn cjk_headers_below_title_rows() {
    let server = TestServer::start().await;
    let (job, out) = run_job(
        &server,
        "real/calamine/issue_530.xlsx",
        "sort by 总人数 descending",
    )
    .await;
    succeeded(&job);
    let rows = read_sheet(&out.unwrap(), "出勤分类组织汇总表");
    let text: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.contains(&"总人数".to_string()) && text.contains(&"集团IT平台".to_string()),
        "{text:?}"
    );
}

#[tokio::test]
async fn code_and_artifacts_are_served() {
    let server = TestServer::start().await;
    let (job, _) = run_job(&server, WEATHER, "sort by wind").await;
    succeeded(&job);
    let client = reqwest::Client::new();
    let id = job["id"].as_str().unwrap();
    let code: Value = get_json(&server.url(&format!("/api/excel/jobs/{id}/code"))).await;
    assert!(
        code["code"].as_str().unwrap().contains("sort_values"),
        "{code}"
    );
    let arts: Value = get_json(&server.url(&format!("/api/excel/jobs/{id}/artifacts"))).await;
    let names: Vec<&str> = arts["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for expected in ["output.xlsx", "generated.py", "summary.json"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for a in arts["artifacts"].as_array().unwrap() {
        assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
        let resp = client
            .get(server.url(&format!(
                "/api/excel/jobs/{id}/artifacts/{}",
                a["name"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.bytes().await.unwrap().len() as u64,
            a["size"].as_u64().unwrap()
        );
    }
    for bad in [
        "..%2F..%2Foffice.db",
        "%2Fetc%2Fpasswd",
        "nope.txt",
        "inputs/../../office.db",
    ] {
        let resp = client
            .get(server.url(&format!("/api/excel/jobs/{id}/artifacts/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn request_it_cannot_map_fails_with_what_it_understood() {
    let server = TestServer::start().await;
    let (job, out) = run_job(&server, WEATHER, "translate the sheet into French").await;
    assert!(out.is_none());
    assert_eq!(job["status"], "failed");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("temp_max") && message.contains("sort"),
        "{message}"
    );
    // A failed job says why it has no output.
    let id = job["id"].as_str().unwrap();
    let resp = reqwest::get(server.url(&format!("/api/excel/jobs/{id}/download")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("failed"),
        "{body}"
    );

    // It still has a summary saying what was asked and why it stopped.
    let summary = get_json(&server.url(&format!("/api/excel/jobs/{id}/summary"))).await;
    assert_eq!(summary["status"], "failed", "{summary:#}");
    assert_eq!(summary["error"]["code"], job["error"]["code"]);
    assert_eq!(summary["before"][0]["sheets"][0]["columns"], 6);

    let (job, _) = run_job(&server, WEATHER, "sort by revnue").await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["error"]["message"].as_str().unwrap().contains("revnue"),
        "{job}"
    );
}

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
