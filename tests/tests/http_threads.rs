//! Follow-up jobs (threads) end to end, over real HTTP on loopback, on SQLite and on the
//! real PostgreSQL (127.0.0.1:5432, database `test`, one schema per test, dropped after):
//! an excel follow-up on its parent's workbook (cells read back with calamine), an
//! analytics follow-up on its parent's answer, the thread listing, the delete rules,
//! and the refusals for parents that failed, have not finished or do not exist.

use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;

const JOB_TIMEOUT: Duration = Duration::from_secs(120);
const SALES: &str = "Product,Units,Revenue\nA,5,100\nB,12,40\nC,8,300\nD,1,50\n";
const REGIONS: &str = "Region,Revenue\nNorth,10\nSouth,5\nNorth,7\nEast,3\nSouth,1\nNorth,2\n";

/// A server on `backend` with `workers` workers (0: jobs stay queued).
struct Setup {
    server: TestServer,
    http: reqwest::Client,
    _schema: Option<PgSchema>,
}

impl Setup {
    async fn start(backend: Backend, workers: usize) -> Setup {
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgSchema::create("office_threads").await),
        };
        let url = schema.as_ref().map(PgSchema::url);
        let server = TestServer::start_with(move |c| {
            c.database_url = url;
            c.workers = workers;
        })
        .await;
        let store = server.engine.backends().store.clone();
        match backend {
            Backend::Sqlite => assert_eq!(store, "sqlite"),
            Backend::Postgres => assert_eq!(store, "postgres"),
        }
        Setup {
            server,
            http: reqwest::Client::new(),
            _schema: schema,
        }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// POSTs a create form; returns the status and the body.
    async fn create(&self, kind: &str, form: Form) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("/api/{kind}/jobs")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates a job and waits for it to end; panics unless it was accepted.
    async fn run(&self, kind: &str, form: Form) -> Value {
        let (status, job) = self.create(kind, form).await;
        assert_eq!(status, 201, "{job}");
        self.finished(kind, job["id"].as_str().unwrap()).await
    }

    async fn finished(&self, kind: &str, id: &str) -> Value {
        wait_for_job(
            &self.http,
            &self.url(&format!("/api/{kind}/jobs/{id}")),
            JOB_TIMEOUT,
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        let resp = self.http.delete(self.url(path)).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn bytes(&self, path: &str) -> Vec<u8> {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        resp.bytes().await.unwrap().to_vec()
    }

    /// Whether any file of job `id` is left in the data folder.
    fn has_files(&self, id: &str) -> bool {
        self.server.engine.config().jobs_dir().join(id).exists()
    }
}

fn with_file(name: &str, data: &str, prompt: &str) -> Form {
    Form::new()
        .part(
            "file",
            Part::bytes(data.as_bytes().to_vec()).file_name(name.to_string()),
        )
        .text("prompt", prompt.to_string())
}

fn follow_up(parent: &str, prompt: &str) -> Form {
    Form::new()
        .text("parent", parent.to_string())
        .text("prompt", prompt.to_string())
}

fn succeeded(job: &Value) {
    assert_eq!(job["status"], "succeeded", "{job:#}");
}

fn id_of(job: &Value) -> String {
    job["id"].as_str().unwrap().to_string()
}

fn ids(jobs: &Value) -> Vec<String> {
    jobs.as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

/// "sort by Units descending", then "add a column Margin = Revenue * 0.2" on its result:
/// the follow-up's workbook keeps the sort and has the new column, cell by cell; the
/// thread lists both in order; the parent cannot be deleted alone, only with cascade.
async fn excel_follow_up_keeps_the_sort_and_adds_the_column(backend: Backend) {
    let s = Setup::start(backend, 2).await;
    let parent = s
        .run(
            "excel",
            with_file("sales.csv", SALES, "sort by Units descending"),
        )
        .await;
    succeeded(&parent);
    let parent_id = id_of(&parent);
    assert!(
        parent["parent"].is_null() && parent["thread"].is_null(),
        "{parent}"
    );

    let (status, child) = s
        .create(
            "excel",
            follow_up(&parent_id, "add a column Margin = Revenue * 0.2"),
        )
        .await;
    assert_eq!(status, 201, "{child}");
    assert_eq!(child["parent"], parent_id.as_str());
    assert_eq!(child["thread"], parent_id.as_str());
    // It works on the parent's workbook, under the user's file name.
    assert_eq!(child["inputs"][0]["name"], "sales.xlsx", "{child}");
    assert_eq!(child["inputs"].as_array().unwrap().len(), 1);
    let child_id = id_of(&child);
    let child = s.finished("excel", &child_id).await;
    succeeded(&child);
    // The planner says what it built on.
    let (_, summary) = s.get(&format!("/api/excel/jobs/{child_id}/summary")).await;
    let first_step = summary["steps"][0].as_str().unwrap_or_default();
    assert!(
        first_step.contains(&parent_id) && first_step.contains("sort by Units descending"),
        "{summary:#}"
    );

    let out = s
        .bytes(&format!("/api/excel/jobs/{child_id}/download"))
        .await;
    let rows = read_sheet(&out, "sales");
    let units: Vec<f64> = column(&rows, "Units").into_iter().map(as_f64).collect();
    assert_eq!(units, [12.0, 8.0, 5.0, 1.0], "the sort is kept");
    let revenue: Vec<f64> = column(&rows, "Revenue").into_iter().map(as_f64).collect();
    assert_eq!(revenue, [40.0, 300.0, 100.0, 50.0]);
    let margin: Vec<f64> = column(&rows, "Margin").into_iter().map(as_f64).collect();
    assert_eq!(margin.len(), 4);
    for (m, r) in margin.iter().zip(&revenue) {
        assert!((m - r * 0.2).abs() < 1e-9, "Margin {m} for Revenue {r}");
    }

    // A third job, following up the follow-up, and a second branch off the first job.
    let grandchild = s
        .run("excel", follow_up(&child_id, "keep rows where Units > 4"))
        .await;
    succeeded(&grandchild);
    assert_eq!(grandchild["parent"], child_id.as_str());
    assert_eq!(grandchild["thread"], parent_id.as_str());
    let branch = s
        .run(
            "analytics",
            follow_up(&parent_id, "average Revenue by Product"),
        )
        .await;
    succeeded(&branch);
    assert_eq!(branch["parent"], parent_id.as_str());

    // The thread, asked by any of its jobs, in creation order, kinds mixed.
    let order = [
        parent_id.clone(),
        child_id.clone(),
        id_of(&grandchild),
        id_of(&branch),
    ];
    for asked in &order {
        let (status, thread) = s.get(&format!("/api/threads/{asked}")).await;
        assert_eq!(status, 200, "{thread}");
        assert_eq!(thread["thread"], parent_id.as_str());
        assert_eq!(ids(&thread["jobs"]), order, "{thread:#}");
        assert_eq!(thread["jobs"][2]["parent"], child_id.as_str());
        assert_eq!(thread["jobs"][3]["kind"], "analytics");
    }
    // List items carry parent and thread too.
    let (_, list) = s.get("/api/excel/jobs").await;
    let item = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == child_id.as_str())
        .unwrap();
    assert_eq!(item["parent"], parent_id.as_str());
    assert_eq!(item["thread"], parent_id.as_str());

    // A job with follow-ups is not deleted alone: 409 naming its children.
    let (status, body) = s.delete(&format!("/api/excel/jobs/{parent_id}")).await;
    assert_eq!(status, 409, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&child_id) && detail.contains(&id_of(&branch)),
        "{detail}"
    );
    assert!(
        !detail.contains(&id_of(&grandchild)),
        "only its children: {detail}"
    );
    assert_eq!(s.get(&format!("/api/excel/jobs/{parent_id}")).await.0, 200);
    // A leaf goes alone.
    let (status, body) = s
        .delete(&format!("/api/analytics/jobs/{}", id_of(&branch)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!s.has_files(&id_of(&branch)));
    // With cascade, the subtree of the follow-up goes, newest first, and the root stays.
    let (status, body) = s
        .delete(&format!("/api/excel/jobs/{child_id}?cascade=true"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids_of_list(&body["jobs"]),
        [id_of(&grandchild), child_id.clone()]
    );
    for gone in [&child_id, &id_of(&grandchild)] {
        assert_eq!(s.get(&format!("/api/excel/jobs/{gone}")).await.0, 404);
        assert!(!s.has_files(gone), "files of {gone} left behind");
    }
    let (_, thread) = s.get(&format!("/api/threads/{parent_id}")).await;
    assert_eq!(ids(&thread["jobs"]), vec![parent_id.clone()]);
    // A deleted parent cannot be followed up: 404.
    let (status, body) = s
        .create("excel", follow_up(&child_id, "sort by Units"))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("not found"),
        "{body}"
    );
    // The root, now without follow-ups, is deleted on its own.
    let (status, _) = s.delete(&format!("/api/excel/jobs/{parent_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(s.get(&format!("/api/threads/{parent_id}")).await.0, 404);
}

fn ids_of_list(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// "total Revenue by Region", then a follow-up with no file: its first input is the
/// parent's answer as a table (one row per region), its other input the parent's file,
/// and its answer is computed from the parent's answer, not from the raw rows.
async fn analytics_follow_up_works_on_the_answer(backend: Backend) {
    let s = Setup::start(backend, 2).await;
    let parent = s
        .run(
            "analytics",
            with_file("regions.csv", REGIONS, "total Revenue by Region"),
        )
        .await;
    succeeded(&parent);
    let parent_id = id_of(&parent);
    let child = s
        .run(
            "analytics",
            follow_up(&parent_id, "average Revenue by Region"),
        )
        .await;
    succeeded(&child);
    let inputs: Vec<&str> = child["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["answer.csv", "regions.csv"], "{child:#}");
    // An analysis does not list its inputs as artifacts: read the stored copy.
    let stored = s
        .server
        .engine
        .config()
        .jobs_dir()
        .join(id_of(&child))
        .join("inputs/answer.csv");
    let table = std::fs::read_to_string(&stored).unwrap();
    assert!(table.starts_with("Region,Revenue\n"), "{table}");
    assert!(table.contains("North,19"), "{table}");

    let (_, summary) = s
        .get(&format!("/api/analytics/jobs/{}/summary", id_of(&child)))
        .await;
    let rows = summary["results"]["answer"]["rows"].as_array().unwrap();
    let value = |group: &str| {
        rows.iter()
            .find(|r| r["group"] == group)
            .unwrap_or_else(|| panic!("no {group} in {rows:?}"))["value"]
            .as_f64()
            .unwrap()
    };
    // The average over the parent's one row per region is the parent's total (the raw
    // rows' average for North would be 19 / 3).
    assert_eq!(value("North"), 19.0);
    assert_eq!(value("South"), 6.0);
    assert_eq!(value("East"), 3.0);
}

/// A parent that failed: 409 with a sentence; a malformed or unknown parent: 404; a
/// follow-up with a file of its own keeps both files, the parent's first.
async fn refusals_and_added_files(backend: Backend) {
    let s = Setup::start(backend, 2).await;
    let failed = s
        .run("excel", with_file("sales.csv", SALES, "sort by colour"))
        .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let (status, body) = s
        .create("excel", follow_up(&id_of(&failed), "sort by Units"))
        .await;
    assert_eq!(status, 409, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("failed") && detail.contains(&id_of(&failed)),
        "{detail}"
    );
    for unknown in ["not-an-id", "0190a5b2-0000-7000-8000-000000000000"] {
        let (status, body) = s.create("excel", follow_up(unknown, "sort by Units")).await;
        assert_eq!(status, 404, "{unknown}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(unknown), "{body}");
    }
    assert_eq!(s.get("/api/threads/not-an-id").await.0, 404);
    assert_eq!(
        s.get("/api/threads/0190a5b2-0000-7000-8000-000000000000")
            .await
            .0,
        404
    );
    // Without a parent, the file stays required.
    let (status, body) = s
        .create(
            "excel",
            Form::new().text("prompt", "sort by Units".to_string()),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    let parent = s
        .run("report", {
            Form::new()
                .part(
                    "files[]",
                    Part::bytes(REGIONS.as_bytes().to_vec()).file_name("regions.csv"),
                )
                .text("title", "Regions".to_string())
        })
        .await;
    succeeded(&parent);
    let form = follow_up(&id_of(&parent), "summarize the data").part(
        "files[]",
        Part::bytes(SALES.as_bytes().to_vec()).file_name("sales.csv"),
    );
    let child = s.run("report", form).await;
    succeeded(&child);
    let inputs: Vec<&str> = child["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(inputs.first(), Some(&"regions.csv"), "{inputs:?}");
    assert_eq!(inputs.last(), Some(&"sales.csv"), "{inputs:?}");
}

/// Without workers a job stays queued: following it up is 409, saying it has not finished.
async fn a_parent_that_has_not_finished_is_refused(backend: Backend) {
    let s = Setup::start(backend, 0).await;
    let (status, parent) = s
        .create("excel", with_file("sales.csv", SALES, "sort by Units"))
        .await;
    assert_eq!(status, 201);
    let (status, body) = s
        .create("excel", follow_up(&id_of(&parent), "sort by Revenue"))
        .await;
    assert_eq!(status, 409, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("has not finished") && detail.contains("queued"),
        "{detail}"
    );
}

macro_rules! on_both_stores {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Backend::Postgres).await;
                }
            )+
        }
    };
}

on_both_stores!(
    excel_follow_up_keeps_the_sort_and_adds_the_column,
    analytics_follow_up_works_on_the_answer,
    refusals_and_added_files,
    a_parent_that_has_not_finished_is_refused,
);
