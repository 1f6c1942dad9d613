//! Excel jobs end to end: a real server on loopback, real uploads of real files, real
//! CPython running the planner's programs, and the produced workbooks read back. The
//! API around the jobs (refusals, listing, deleting, keys) is tested in http_jobs.rs.

mod excel_common;

use excel_common::*;
use office_tests::*;
use serde_json::Value;

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
        5,
        "profile..collect, each timed (the summary is written after collect): {summary:#}"
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
