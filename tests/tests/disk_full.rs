//! A full disk, for real: the data folder is a small tmpfs (the test is root and mounts
//! it). Submissions then answer 507 with a sentence and store nothing, a running job
//! whose files do not fit fails cleanly (`storage_full`), and what was stored before is
//! intact, byte for byte; once space is freed, jobs run again.

use office_core::LlmConfig;
use office_core::test_support::{FakeLlm, Reply};
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Writes a 2 MB file beside its workbook: it fits in the job's scratch folder, but
/// not a second time among the job's files.
const BIG: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
out = os.environ["OUTPUT_DIR"]
df.to_excel(os.path.join(out, "output.xlsx"), index=False)
with open(os.path.join(out, "big.csv"), "w", encoding="utf-8") as f:
    f.write("x," * (1 << 20))
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["copied"]}, f)
"#;

/// A tmpfs of `mb` megabytes mounted on a fresh folder; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mb: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mb}m,mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "cannot mount a tmpfs on {} (this test needs root, as CI has)",
            dir.path().display()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system of `path` to the last block; the file written is returned.
fn fill(path: &Path) -> PathBuf {
    let filler = path.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    for chunk in [1 << 20, 4096, 512] {
        let data = vec![7u8; chunk];
        while file.write_all(&data).is_ok() {}
    }
    let _ = file.flush();
    filler
}

fn form(generator: &str) -> Form {
    Form::new()
        .part(
            "file",
            Part::bytes(b"region,amount\nNorth,10\nSouth,5\n".to_vec()).file_name("sales.csv"),
        )
        .text("prompt", "sort by amount")
        .text("generator", generator.to_string())
}

async fn post(server: &TestServer, generator: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/excel/jobs"))
        .multipart(form(generator))
        .send()
        .await
        .unwrap()
}

async fn run(server: &TestServer, generator: &str) -> Value {
    let response = post(server, generator).await;
    assert_eq!(response.status(), 201);
    let job: Value = response.json().await.unwrap();
    let url = server.url(&format!("/api/excel/jobs/{}", job["id"].as_str().unwrap()));
    wait_for_job(&reqwest::Client::new(), &url, Duration::from_secs(90)).await
}

async fn bytes(server: &TestServer, path: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(server.url(path)).await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_full_disk_answers_507_fails_running_jobs_cleanly_and_damages_nothing() {
    let disk = Tmpfs::mount(48);
    let fake = FakeLlm::start(vec![Reply::code(BIG)]).await;
    let (base, data) = (fake.base_url(), disk.path());
    let reserve: u64 = 2 << 20;
    let server = TestServer::start_with(move |c| {
        c.data_dir = data;
        c.min_free_bytes = reserve;
        let mut llm = LlmConfig::new(base, "fake-model");
        llm.max_attempts = 1;
        c.llm = Some(llm);
    })
    .await;
    let first = run(&server, "planner").await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let id = first["id"].as_str().unwrap().to_string();
    let job_path = format!("/api/excel/jobs/{id}");
    let (_, workbook) = bytes(&server, &format!("{job_path}/download")).await;
    let (_, summary) = bytes(&server, &format!("{job_path}/summary")).await;
    assert!(!workbook.is_empty());

    // Full to the last block: a submission is refused with a sentence, nothing kept.
    let filler = fill(&disk.path());
    let response = post(&server, "planner").await;
    assert_eq!(response.status(), 507);
    let body: Value = response.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("no disk space left"), "{detail}");
    let listed: Value = reqwest::get(server.url("/api/excel/jobs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1, "{listed}");
    // Readiness says why it would not take jobs.
    let ready = reqwest::get(server.url("/api/health/ready")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert!(
        ready["detail"].as_str().unwrap().contains("artifacts"),
        "{ready}"
    );
    // What was stored before is intact.
    assert_eq!(
        bytes(&server, &format!("{job_path}/download")).await,
        (200, workbook.clone())
    );
    assert_eq!(
        bytes(&server, &format!("{job_path}/summary")).await,
        (200, summary.clone())
    );

    // Room for a submission and its run, not for its files a second time: the job
    // fails, saying so, instead of hanging or retrying.
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(reserve + (1 << 20)))
        .unwrap();
    let failed = run(&server, "llm").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["code"], "storage_full", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no disk space left"),
        "{failed}"
    );

    // Space back: jobs run again, and the first one is still as it was.
    std::fs::remove_file(&filler).unwrap();
    let again = run(&server, "planner").await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(
        bytes(&server, &format!("{job_path}/download")).await,
        (200, workbook)
    );
    assert_eq!(
        bytes(&server, &format!("{job_path}/summary")).await,
        (200, summary)
    );
    server.stop().await;
    drop(fake);
}
