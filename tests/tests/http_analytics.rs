//! Analytics jobs end to end: a real server on loopback, real uploads of real files, real
//! CPython running the planner's programs; results checked against values computed here
//! from the same files.

use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const JOB_TIMEOUT: Duration = Duration::from_secs(120);
const WEATHER: &str = "real/vega/seattle-weather.csv";
const CJK_SALES: &str = "report/销售_2024.csv";

fn form(path: &str, prompt: &str) -> Form {
    let path = fixture(path);
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    Form::new()
        .part(
            "file",
            Part::bytes(std::fs::read(&path).unwrap()).file_name(name),
        )
        .text("prompt", prompt.to_string())
}

async fn submit(server: &TestServer, path: &str, prompt: &str) -> String {
    let resp = reqwest::Client::new()
        .post(server.url("/api/analytics/jobs"))
        .multipart(form(path, prompt))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let job: Value = resp.json().await.unwrap();
    assert_eq!(job["kind"], "analytics");
    job["id"].as_str().unwrap().to_string()
}

async fn finished(server: &TestServer, id: &str) -> Value {
    wait_for_job(
        &reqwest::Client::new(),
        &server.url(&format!("/api/analytics/jobs/{id}")),
        JOB_TIMEOUT,
    )
    .await
}

async fn artifact(server: &TestServer, id: &str, name: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::get(server.url(&format!("/api/analytics/jobs/{id}/artifacts/{name}")))
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

fn png_size(data: &[u8]) -> (u32, u32) {
    assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n");
    (
        u32::from_be_bytes(data[16..20].try_into().unwrap()),
        u32::from_be_bytes(data[20..24].try_into().unwrap()),
    )
}

/// Sends a request line as written, so the server sees the path byte for byte (an HTTP
/// client would resolve `..` and `%2e%2e` before sending).
async fn raw_get_status(base: &str, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn weather_series_gets_stats_trend_charts_and_the_answer() {
    let server = TestServer::start().await;
    let id = submit(&server, WEATHER, "plot monthly temp_max by weather").await;
    let job = finished(&server, &id).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let names: Vec<&str> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for expected in ["summary.json", "generated.py", "overview.png", "answer.png"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }

    let (status, data) = artifact(&server, &id, "summary.json").await;
    assert_eq!(status, 200);
    let summary: Value = serde_json::from_slice(&data).unwrap();
    // The profile and the computed results.
    assert_eq!(summary["profile"][0]["name"], "seattle-weather.csv");
    let table = &summary["results"]["table"];
    let (header, rows) = read_plain_csv(&fixture(WEATHER));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(table["rows"], rows.len());
    let wind: Vec<f64> = rows
        .iter()
        .map(|r| r[col("wind")].parse().unwrap())
        .collect();
    let max_wind = wind.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(table["numeric"]["wind"]["max"].as_f64().unwrap(), max_wind);
    let mean_wind = wind.iter().sum::<f64>() / wind.len() as f64;
    assert!((table["numeric"]["wind"]["mean"].as_f64().unwrap() - mean_wind).abs() < 1e-3);
    assert!(table["categories"]["weather"]["top"].is_array());
    assert!(table["correlations"].as_array().unwrap().iter().any(|p| {
        let pair = [p["a"].as_str().unwrap(), p["b"].as_str().unwrap()];
        pair.contains(&"temp_max") && pair.contains(&"temp_min")
    }));
    assert_eq!(table["trend"]["date_column"], "date");

    // The answer: temp_max per month and weather kind, totalled (the request names no
    // aggregate); checked for one month and one kind.
    let answer = &summary["results"]["answer"];
    assert_eq!(answer["kind"], "time");
    assert_eq!(answer["measure"], "temp_max");
    assert_eq!(answer["by"], "weather");
    let expected: f64 = rows
        .iter()
        .filter(|r| r[col("date")].starts_with("2012-01") && r[col("weather")] == "rain")
        .map(|r| r[col("temp_max")].parse::<f64>().unwrap())
        .sum();
    let got = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "rain" && r["period"] == "2012-01")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert!((got - expected).abs() < 0.01, "{got} vs {expected}");

    for chart in ["overview.png", "answer.png"] {
        let (status, data) = artifact(&server, &id, chart).await;
        assert_eq!(status, 200);
        assert_eq!(png_size(&data), (1200, 675));
    }
    // generated.py is exactly the code that ran, also served by /code.
    let (_, code) = artifact(&server, &id, "generated.py").await;
    let via_code = get_json(&server.url(&format!("/api/analytics/jobs/{id}/code"))).await;
    assert_eq!(
        via_code["code"].as_str().unwrap().as_bytes(),
        code.as_slice()
    );
    server.stop().await;
}

#[tokio::test]
async fn cjk_data_gets_answers_and_charts_with_real_glyphs() {
    let server = TestServer::start().await;
    let id = submit(&server, CJK_SALES, "average 销售额 by 地区").await;
    let job = finished(&server, &id).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let summary = get_json(&server.url(&format!("/api/analytics/jobs/{id}/summary"))).await;
    let answer = &summary["results"]["answer"];
    assert_eq!(answer["kind"], "group");
    assert_eq!(answer["aggregate"], "mean");
    let (header, rows) = read_plain_csv(&fixture(CJK_SALES));
    let region = header.iter().position(|h| h == "地区").unwrap();
    let revenue = header.iter().position(|h| h == "销售额").unwrap();
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for r in &rows {
        let e = sums.entry(r[region].as_str()).or_default();
        e.0 += r[revenue].parse::<f64>().unwrap();
        e.1 += 1.0;
    }
    let got: BTreeMap<String, f64> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), sums.len());
    for (name, (sum, n)) in sums {
        assert!(
            (got[name] - sum / n).abs() < 0.01,
            "{name}: {} vs {}",
            got[name],
            sum / n
        );
    }
    // matplotlib warns "Glyph ... missing from font(s)" for each character drawn as a box.
    let names: Vec<String> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    if names.iter().any(|n| n == "stderr.txt") {
        let (_, stderr) = artifact(&server, &id, "stderr.txt").await;
        let stderr = String::from_utf8_lossy(&stderr);
        assert!(!stderr.contains("missing from font"), "{stderr}");
    }
    assert!(names.iter().any(|n| n == "answer.png"));
    server.stop().await;
}

#[tokio::test]
async fn requests_it_cannot_map_and_unreadable_files_fail_with_reasons() {
    let server = TestServer::start().await;
    let id = submit(&server, WEATHER, "total precipitation by warehouse").await;
    let job = finished(&server, &id).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "column_not_found");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("warehouse") && message.contains("precipitation"),
        "{message}"
    );

    // A file that cannot be read is refused with its name and the reason; no job is made.
    let resp = reqwest::Client::new()
        .post(server.url("/api/analytics/jobs"))
        .multipart(form("real/poi/xlsx-corrupted.xlsx", "describe"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("xlsx-corrupted.xlsx"),
        "{body}"
    );
    let list = get_json(&server.url("/api/analytics/jobs")).await;
    assert_eq!(list["count"], 1);
    server.stop().await;
}

#[tokio::test]
async fn artifact_names_outside_the_job_answer_404_and_touch_nothing() {
    let server = TestServer::start().await;
    let id = submit(&server, WEATHER, "distribution of wind").await;
    let job = finished(&server, &id).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    // A file next to the job folders that a traversal would reach.
    let secret = server.data.path().join("jobs").join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    let base = format!("/api/analytics/jobs/{id}/artifacts/");
    for name in [
        "../secret.txt",
        "..%2fsecret.txt",
        "%2e%2e%2fsecret.txt",
        "%2e%2e/%2e%2e/secret.txt",
        "inputs/..%2f..%2fsecret.txt",
        "%2fetc%2fpasswd",
        "/etc/passwd",
        "results.json/..%2f..%2fsecret.txt",
        "nope.png",
        "code/generated.py",
    ] {
        let status = raw_get_status(&server.base, &format!("{base}{name}")).await;
        assert_eq!(status, 404, "{name}");
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
    // The names the job produced are served.
    assert_eq!(
        raw_get_status(&server.base, &format!("{base}answer.png")).await,
        200
    );
    assert_eq!(
        raw_get_status(&server.base, &format!("{base}results.json")).await,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn delete_while_running_cancels_and_removes_only_that_job() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let other = submit(&server, CJK_SALES, "distribution of 数量").await;
    let id = submit(&server, WEATHER, "plot weekly precipitation by weather").await;
    let url = server.url(&format!("/api/analytics/jobs/{id}"));
    // Wait until it runs (it takes a second or two), then delete it.
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
    let resp = client.delete(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);
    assert!(!server.data.path().join("jobs").join(&id).exists());
    // The other job is untouched.
    let job = finished(&server, &other).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let list = get_json(&server.url("/api/analytics/jobs")).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["jobs"][0]["id"], other.as_str());
    server.stop().await;
}
