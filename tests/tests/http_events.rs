//! A job's events over real HTTP: the JSON list with ids, the live SSE stream
//! (`Accept: text/event-stream`) that ends after the final status, resuming with
//! `Last-Event-ID` (exactly the missing events), and a finished job that replays and ends.

use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const CSV: &str = "region,amount\nNorth,10\nSouth,5\nNorth,7\n";

/// One SSE event as received.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: u64,
    event: String,
    data: Value,
}

/// An open `text/event-stream` response, read event by event.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn open(url: &str, last_event_id: Option<u64>) -> SseReader {
        let mut request = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` when the server ended the stream.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse::<u64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                // A block of comments only is a keep-alive.
                let Some(id) = id else { continue };
                let data: Value = serde_json::from_str(&data).unwrap();
                return Some(Sse { id, event, data });
            }
            let chunk = tokio::time::timeout(Duration::from_secs(120), self.response.chunk())
                .await
                .expect("the stream went quiet for two minutes")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn rest(mut self) -> Vec<Sse> {
        let mut all = Vec::new();
        while let Some(e) = self.next().await {
            all.push(e);
        }
        all
    }
}

async fn submit(server: &TestServer) -> String {
    let form = Form::new()
        .part(
            "file",
            Part::bytes(CSV.as_bytes().to_vec()).file_name("sales.csv"),
        )
        .text("prompt", "sort by amount");
    let resp = reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let job: Value = resp.json().await.unwrap();
    job["id"].as_str().unwrap().to_string()
}

/// The JSON list, as a poller gets it.
async fn listed(server: &TestServer, id: &str, after: Option<u64>) -> Vec<Value> {
    let mut request =
        reqwest::Client::new().get(server.url(&format!("/api/excel/jobs/{id}/events")));
    if let Some(after) = after {
        request = request.header("last-event-id", after.to_string());
    }
    let resp = request.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = resp.json().await.unwrap();
    body["events"].as_array().unwrap().clone()
}

fn ids(events: &[Sse]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

fn is_final_status(e: &Sse) -> bool {
    e.event == "status"
        && ["succeeded", "failed", "cancelled"].contains(&e.data["status"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn a_live_stream_resumed_with_last_event_id_loses_and_repeats_nothing() {
    // No workers yet: the job waits, so the stream is open before any stage runs.
    let server = TestServer::start_with(|c| c.workers = 0).await;
    let id = submit(&server).await;
    let url = server.url(&format!("/api/excel/jobs/{id}/events"));

    let mut first = SseReader::open(&url, None).await;
    let queued = first.next().await.unwrap();
    assert_eq!((queued.id, queued.event.as_str()), (1, "status"));
    assert_eq!(queued.data["status"], "queued");

    let _workers = server.engine.start_workers(1);
    let second = first.next().await.unwrap();
    assert_eq!(second.id, 2, "{second:?}");
    // The client goes away after two events, and comes back with the last id it saw.
    drop(first);
    let rest = SseReader::open(&url, Some(2)).await.rest().await;
    assert!(!rest.is_empty());
    let last = rest.last().unwrap();
    assert!(
        is_final_status(last),
        "the stream ends with the final status: {rest:?}"
    );
    assert_eq!(last.data["status"], "succeeded", "{rest:?}");

    // Together, exactly what the store holds: ids 1..n in order, each once, same bodies.
    let mut seen = vec![queued, second];
    seen.extend(rest);
    let all = listed(&server, &id, None).await;
    assert_eq!(ids(&seen), (1..=all.len() as u64).collect::<Vec<_>>());
    for (streamed, polled) in seen.iter().zip(&all) {
        assert_eq!(&streamed.data, polled);
        assert_eq!(streamed.event, polled["type"].as_str().unwrap());
    }
    assert!(
        all.iter().any(|e| e["type"] == "stage"),
        "stage changes are events: {all:?}"
    );
    // The list resumes the same way.
    assert_eq!(listed(&server, &id, Some(2)).await, all[2..].to_vec());
}

#[tokio::test]
async fn a_finished_job_replays_and_ends() {
    let server = TestServer::start().await;
    let id = submit(&server).await;
    let client = reqwest::Client::new();
    let job = wait_for_job(
        &client,
        &server.url(&format!("/api/excel/jobs/{id}")),
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let url = server.url(&format!("/api/excel/jobs/{id}/events"));
    let all = listed(&server, &id, None).await;
    let replay = SseReader::open(&url, None).await.rest().await;
    assert_eq!(ids(&replay), (1..=all.len() as u64).collect::<Vec<_>>());
    assert!(is_final_status(replay.last().unwrap()));
    // From the middle, and from the end (nothing left: the stream ends at once).
    let tail = SseReader::open(&url, Some(3)).await.rest().await;
    assert_eq!(tail, replay[3..].to_vec());
    assert!(
        SseReader::open(&url, Some(all.len() as u64))
            .await
            .rest()
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn events_of_unknown_jobs_and_bad_last_event_ids_are_refused() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let missing = server.url("/api/excel/jobs/0190a1b2-0000-7000-8000-000000000000/events");
    let resp = client
        .get(&missing)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("not found"),
        "{body}"
    );

    let id = submit(&server).await;
    let resp = client
        .get(server.url(&format!("/api/excel/jobs/{id}/events")))
        .header("accept", "text/event-stream")
        .header("last-event-id", "three")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("Last-Event-ID"),
        "{body}"
    );
}
