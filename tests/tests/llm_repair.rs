//! The LLM generator end to end through the engine: a scripted OpenAI-compatible server on
//! loopback writes the programs, the real validator checks them and real CPython runs
//! them. Each test asserts what the server received and how the job ended: its status,
//! its attempts, and the code, findings and errors it kept.

use office_core::GeneratorChoice;
use office_core::test_support::{FakeLlm, Reply};
use office_core::{ApiKey, LlmConfig};
use office_core::{Engine, Error, Job, JobKind, JobStatus, Submission, Upload};
use office_tests::test_config;
use serde_json::Value;
use std::time::Duration;

const KEY: &str = "sk-office-test-7f3a9c1e5b";
const CSV: &[u8] = b"region,amount\nNorth,10\nSouth,5\nNorth,2.5\n";

/// A program that does the job: totals by region into output.xlsx, and result.json.
const GOOD: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
total = df.groupby("region", as_index=False)["amount"].sum()
out = os.environ["OUTPUT_DIR"]
with pd.ExcelWriter(os.path.join(out, "output.xlsx")) as writer:
    df.to_excel(writer, sheet_name="data", index=False)
    total.to_excel(writer, sheet_name="Total by region", index=False)
with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
    json.dump({"steps": ["total amount by region"], "regions": len(total)}, f)
"#;

const FORBIDDEN: &str = "import subprocess\nsubprocess.run(['ls'])\n";

const RAISES: &str = r#"import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
print(df["Region"].sum())
"#;

struct Setup {
    engine: Engine,
    fake: FakeLlm,
    _data: tempfile::TempDir,
    _workers: office_core::WorkerPool,
}

/// Every log line of this test binary, at every level. Installed once, globally, before the
/// first engine starts: a subscriber per test (thread-local) misses lines logged on other
/// threads and races with the other tests' callsites.
fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        struct Writer(&'static Mutex<Vec<u8>>);
        impl std::io::Write for Writer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Writer(logs))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

async fn setup(script: Vec<Reply>, adjust: impl FnOnce(&mut LlmConfig)) -> Setup {
    captured_logs();
    let fake = FakeLlm::start(script).await;
    let data = tempfile::tempdir().unwrap();
    let mut config = test_config(data.path());
    let mut llm = LlmConfig::new(fake.base_url(), "fake-model");
    llm.api_key = Some(ApiKey::new(KEY));
    llm.timeout = Duration::from_secs(20);
    adjust(&mut llm);
    config.llm = Some(llm);
    let engine = Engine::open(config).await.unwrap();
    let workers = engine.start_workers(1);
    Setup {
        engine,
        fake,
        _data: data,
        _workers: workers,
    }
}

fn upload() -> Vec<Upload> {
    vec![Upload {
        name: "sales.csv".into(),
        data: CSV.to_vec().into(),
    }]
}

async fn run(s: &Setup, submission: Submission) -> Job {
    let job = s.engine.submit(submission).await.unwrap();
    s.engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(90)),
        )
        .await
        .unwrap()
}

async fn run_excel(s: &Setup) -> Job {
    run(
        s,
        Submission::new(JobKind::Excel, "total amount by region", upload()),
    )
    .await
}

async fn artifact_text(s: &Setup, job: &Job, name: &str) -> String {
    let (_, data) = s.engine.read_artifact(job, name).await.unwrap();
    String::from_utf8(data.to_vec()).unwrap()
}

async fn summary(s: &Setup, job: &Job) -> Value {
    s.engine.summary(job).await.unwrap()
}

async fn event_messages(s: &Setup, job: &Job) -> Vec<String> {
    s.engine
        .events(&office_core::Caller::default(), job.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| serde_json::to_value(&e).ok())
        .filter_map(|v| v["message"].as_str().map(String::from))
        .collect()
}

/// The job failed with `code`, stopped because the same failure came back on attempt 2.
fn failed_alike_twice(job: &Job, code: &str) -> office_core::JobError {
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, code);
    assert!(
        error
            .message
            .contains("same failure came back on attempt 2"),
        "{}",
        error.message
    );
    error
}

/// What the model was told on the second (and last) request: the repair feedback.
fn repair_feedback(s: &Setup) -> String {
    let got = s.fake.received();
    assert_eq!(got.len(), 2);
    got[1].json()["messages"][3]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

fn outcomes(summary: &Value) -> Vec<String> {
    summary["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn good_code_runs_and_the_server_saw_the_profile() {
    let s = setup(vec![Reply::code(GOOD)], |_| {}).await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    assert_eq!(job.generator.as_deref(), Some("llm:fake-model"));
    assert_eq!(
        artifact_text(&s, &job, "generated.py").await.trim(),
        GOOD.trim()
    );
    assert!(job.artifact("attempt-1.py").is_some());
    assert!(job.artifact("output.xlsx").is_some());

    let got = s.fake.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["model"], "fake-model");
    let text = got[0].messages_text();
    for expected in [
        "region",
        "amount",
        "sales.csv",
        "total amount by region",
        "OFF101",
    ] {
        assert!(text.contains(expected), "the prompt lacks {expected:?}");
    }

    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["succeeded"]);
    assert_eq!(summary["generator"], "llm:fake-model");
    assert_eq!(summary["llm"]["total_tokens"], 120);
    assert_eq!(summary["llm"]["calls"][0]["tries"], 1);
    assert!(summary["llm"]["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["program_report"]["regions"], 2);
}

#[tokio::test]
async fn a_forbidden_import_goes_back_with_the_findings_then_the_fix_runs() {
    let s = setup(vec![Reply::code(FORBIDDEN), Reply::code(GOOD)], |_| {}).await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);

    let got = s.fake.received();
    assert_eq!(got.len(), 2);
    let repair = got[1].json();
    let messages = repair["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2]["role"], "assistant");
    assert!(
        messages[2]["content"]
            .as_str()
            .unwrap()
            .contains("import subprocess")
    );
    let feedback = messages[3]["content"].as_str().unwrap();
    assert!(
        feedback.contains("OFF101") && feedback.contains("subprocess"),
        "{feedback}"
    );
    assert!(feedback.contains("line 1"), "{feedback}");

    assert_eq!(
        artifact_text(&s, &job, "attempt-1.py").await.trim(),
        FORBIDDEN.trim()
    );
    assert_eq!(
        artifact_text(&s, &job, "attempt-2.py").await.trim(),
        GOOD.trim()
    );
    assert_eq!(
        artifact_text(&s, &job, "generated.py").await.trim(),
        GOOD.trim()
    );
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["code_rejected", "succeeded"]);
    assert_eq!(
        summary["attempts"][0]["error"]["details"]["violations"][0]["code"],
        "OFF101"
    );
    assert_eq!(summary["llm"]["calls"].as_array().unwrap().len(), 2);
    assert_eq!(summary["llm"]["total_tokens"], 240);
    let events = event_messages(&s, &job).await;
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("attempt 1 of 3 failed (code_rejected)")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_run_time_error_goes_back_with_the_traceback_then_the_fix_runs() {
    let s = setup(vec![Reply::code(RAISES), Reply::code(GOOD)], |_| {}).await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let feedback = repair_feedback(&s);
    assert!(feedback.contains("KeyError"), "{feedback}");
    assert!(feedback.contains("Region"), "{feedback}");
    assert!(feedback.contains("line 5"), "{feedback}");
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["execution_failed", "succeeded"]);
    assert_eq!(
        summary["attempts"][0]["error"]["details"]["error"]["exc_type"],
        "KeyError"
    );
}

#[tokio::test]
async fn replies_without_code_fail_clearly_and_stop_at_the_second() {
    let s = setup(
        vec![
            Reply::text("I'm not able to help with spreadsheets."),
            Reply::text("Sorry, I still cannot."),
            Reply::code(GOOD),
        ],
        |_| {},
    )
    .await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, "no_code_in_reply");
    assert!(
        error.message.contains("no Python program"),
        "{}",
        error.message
    );
    assert!(error.message.contains("same failure"), "{}", error.message);
    let got = s.fake.received();
    assert_eq!(got.len(), 2, "the same failure twice stops the loop");
    // The second request told the model what was wrong.
    assert!(got[1].messages_text().contains("held no Python program"));
    assert!(job.artifact("generated.py").is_none());
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["no_code_in_reply", "no_code_in_reply"]);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_the_job_succeeds() {
    let s = setup(
        vec![
            Reply::status(429).header("retry-after", "1"),
            Reply::code(GOOD),
        ],
        |_| {},
    )
    .await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    assert_eq!(s.fake.received().len(), 2);
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["succeeded"]);
    let call = &summary["llm"]["calls"][0];
    assert_eq!(call["tries"], 2);
    assert!(call["latency_ms"].as_f64().unwrap() >= 950.0, "{call}");
}

#[tokio::test]
async fn a_model_that_does_not_answer_in_time_fails_the_job_with_the_reason() {
    let s = setup(
        vec![Reply::code(GOOD).delayed(Duration::from_secs(8))],
        |c| c.timeout = Duration::from_secs(1),
    )
    .await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, "llm_timeout");
    assert_eq!(job.generator.as_deref(), Some("llm:fake-model"));
    assert!(
        error.message.contains("within 1 seconds"),
        "{}",
        error.message
    );
    assert_eq!(s.fake.received().len(), 1);
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["llm_timeout"]);
}

#[tokio::test]
async fn the_same_run_time_error_twice_stops_early() {
    let s = setup(
        vec![Reply::code(RAISES), Reply::code(RAISES), Reply::code(GOOD)],
        |_| {},
    )
    .await;
    let job = run_excel(&s).await;
    let error = failed_alike_twice(&job, "execution_failed");
    assert_eq!(error.details["attempts"], 2);
    assert_eq!(s.fake.received().len(), 2);
    assert!(job.artifact("attempt-2.py").is_some());
    assert!(job.artifact("attempt-3.py").is_none());
}

#[tokio::test]
async fn attempts_are_bounded_and_each_one_is_kept() {
    let raises_other = "raise ValueError('no totals for you')\n";
    let s = setup(
        vec![
            Reply::code(FORBIDDEN),
            Reply::code(RAISES),
            Reply::code(raises_other),
            Reply::code(GOOD),
        ],
        |c| c.max_attempts = 3,
    )
    .await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, "execution_failed");
    assert!(
        error.message.contains("3 programs were written"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("no totals for you"),
        "{}",
        error.message
    );
    assert_eq!(s.fake.received().len(), 3);
    for (n, code) in [(1, FORBIDDEN), (2, RAISES), (3, raises_other)] {
        let name = format!("attempt-{n}.py");
        assert_eq!(artifact_text(&s, &job, &name).await.trim(), code.trim());
    }
    let summary = summary(&s, &job).await;
    assert_eq!(summary["status"], "failed");
    assert_eq!(
        outcomes(&summary),
        ["code_rejected", "execution_failed", "execution_failed"]
    );
}

/// An edit script for `table-multiple.xlsx`'s Sheet1 that sets `cells` (JSON).
fn edits_program(cells: &str) -> String {
    format!(
        r#"import json
import os

edits = {{"version": 1, "steps": ["quantity ratio added"], "sheets": [{{"sheet": "Sheet1",
    "table": {{"header_row": 1, "first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3}},
    "set_cells": {cells}}}]}}
with open(os.path.join(os.environ["OUTPUT_DIR"], "edits.json"), "w", encoding="utf-8") as f:
    json.dump(edits, f)
"#
    )
}

fn workbook_upload() -> Vec<Upload> {
    let path = office_tests::fixture("real/calamine/table-multiple.xlsx");
    vec![Upload {
        name: "table-multiple.xlsx".into(),
        data: std::fs::read(path).unwrap().into(),
    }]
}

/// A script whose result the check refuses (the recalculated workbook has a `#DIV/0!`
/// and a `#REF!` the input did not have) goes back to the model with the cells; the
/// fixed script is applied and the job succeeds.
#[tokio::test]
async fn new_formula_errors_go_back_with_their_cells_then_the_fix_is_applied() {
    let broken = edits_program(
        r##"[{"cell": "D2", "value": 0, "formula": "=C2/0"}, {"cell": "E2", "value": 0, "formula": "=#REF!+1"}]"##,
    );
    let fixed = edits_program(r#"[{"cell": "D2", "value": 25, "formula": "=C2/2"}]"#);
    let s = setup(vec![Reply::code(&broken), Reply::code(&fixed)], |_| {}).await;
    let submission = Submission::new(JobKind::Excel, "add half the quantity", workbook_upload());
    let job = run(&s, submission).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);

    let feedback = repair_feedback(&s);
    for expected in ["Sheet1!D2: #DIV/0!", "Sheet1!E2: #REF!", "not accepted"] {
        assert!(feedback.contains(expected), "{expected:?} in {feedback}");
    }
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["edit_failed", "succeeded"]);
    let places = &summary["attempts"][0]["error"]["details"]["places"];
    assert_eq!(places[0]["at"], "Sheet1!D2", "{places}");
    assert_eq!(places[0]["problem"], "#DIV/0!", "{places}");
    assert_eq!(
        artifact_text(&s, &job, "attempt-1.py").await.trim(),
        broken.trim()
    );
    let (_, book) = s.engine.read_artifact(&job, "output.xlsx").await.unwrap();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let formulas = book.worksheet_formula("Sheet1").unwrap();
    assert_eq!(formulas.get_value((1, 3)).map(String::as_str), Some("C2/2"));
    assert!(formulas.get_value((1, 4)).is_none_or(|f| f.is_empty()));
}

/// A workbook the program saved itself that loses the input's tables is refused, and is
/// not kept as an artifact of the failed job: nobody can take it for the job's output.
#[tokio::test]
async fn a_refused_self_saved_workbook_is_not_kept() {
    let rebuilds = r#"import os
import pandas as pd

path = os.environ["INPUT_PATH"]
with pd.ExcelWriter(os.path.join(os.environ["OUTPUT_DIR"], "output.xlsx")) as writer:
    for name, frame in pd.read_excel(path, sheet_name=None).items():
        frame.to_excel(writer, sheet_name=name, index=False)
"#;
    let s = setup(
        vec![
            Reply::code(rebuilds),
            Reply::code(rebuilds),
            Reply::code(rebuilds),
        ],
        |_| {},
    )
    .await;
    let submission = Submission::new(JobKind::Excel, "sort by quantity", workbook_upload());
    let job = run(&s, submission).await;
    let error = failed_alike_twice(&job, "edit_failed");
    assert!(error.message.contains("table"), "{}", error.message);
    assert!(job.artifact("output.xlsx").is_none(), "{:?}", job.artifacts);
    let summary = summary(&s, &job).await;
    assert_eq!(outcomes(&summary), ["edit_failed", "edit_failed"]);
}

#[tokio::test]
async fn planner_is_used_when_asked_even_with_a_model_configured() {
    let s = setup(vec![Reply::code(GOOD)], |_| {}).await;
    let submission = Submission::new(JobKind::Excel, "sort by amount descending", upload())
        .with_generator(GeneratorChoice::Planner);
    let job = run(&s, submission).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    assert_eq!(job.generator.as_deref(), Some("planner"));
    assert!(s.fake.received().is_empty());
    assert!(
        job.artifact("attempt-1.py").is_none(),
        "one attempt, no repair files"
    );
}

#[tokio::test]
async fn asking_for_the_model_without_one_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(test_config(data.path())).await.unwrap();
    assert_eq!(engine.backends().generator, "planner");
    let submission = Submission::new(JobKind::Excel, "sort by amount", upload())
        .with_generator(GeneratorChoice::Llm);
    let e = engine.submit(submission).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(e.to_string().contains("OFFICE_LLM_MODEL"), "{e}");
}

/// Every byte the job left on disk (database included) and every log line: no key.
#[tokio::test]
async fn the_api_key_is_never_stored_or_logged() {
    let mut echo = Reply::status(400);
    echo.body = format!("{{\"error\": \"unexpected header Bearer {KEY}\"}}");
    let s = setup(
        vec![Reply::code(FORBIDDEN), Reply::code(GOOD), echo],
        |_| {},
    )
    .await;
    let job = run_excel(&s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let failed = run_excel(&s).await;
    assert_eq!(failed.error.as_ref().unwrap().code, "llm_error");
    for id in [job.id, failed.id] {
        let job = s
            .engine
            .get(&office_core::Caller::default(), id)
            .await
            .unwrap();
        assert!(!serde_json::to_string(&job).unwrap().contains(KEY));
        let events = serde_json::to_string(
            &s.engine
                .events(&office_core::Caller::default(), id)
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(!events.contains(KEY));
    }
    // The key went out, in the header only.
    for request in s.fake.received() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert!(!request.body.contains(KEY));
    }
    let mut files = 0;
    let mut stack = vec![s._data.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                    "the key is in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 10, "only {files} files were searched");
    let logs = String::from_utf8(captured_logs().lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("model answered"),
        "the logs were captured: {logs}"
    );
    assert!(!logs.contains(KEY), "the key is in the logs");
}

/// A generator with one attempt (like the offline planner) fails as it did before the
/// repair loop: same message, no attempt files, no repair events.
#[tokio::test]
async fn a_one_attempt_generator_is_not_repaired() {
    struct Fixed;
    #[async_trait::async_trait]
    impl office_core::CodeGenerator for Fixed {
        fn name(&self) -> String {
            "fixed".into()
        }
        async fn generate(
            &self,
            _: &office_core::PlanRequest<'_>,
        ) -> Result<office_core::Plan, office_core::PlanError> {
            Ok(office_core::Plan {
                code: FORBIDDEN.into(),
                generator: "fixed".into(),
                steps: vec![],
                output: None,
            })
        }
    }
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::builder(test_config(data.path()))
        .generator(std::sync::Arc::new(Fixed))
        .build()
        .await
        .unwrap();
    let _workers = engine.start_workers(1);
    let job = engine
        .submit(Submission::new(JobKind::Excel, "anything", upload()))
        .await
        .unwrap();
    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, "code_rejected");
    assert!(
        !error.message.contains("programs were written"),
        "{}",
        error.message
    );
    assert!(error.details.get("attempts").is_none());
    assert!(job.artifact("attempt-1.py").is_none());
    let events = serde_json::to_string(
        &engine
            .events(&office_core::Caller::default(), job.id)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!events.contains("attempt 1"), "{events}");
    let summary = engine.summary(&job).await.unwrap();
    assert_eq!(outcomes(&summary), ["code_rejected"]);
    assert_eq!(summary["llm"], Value::Null);
}

/// Analytics jobs get their own contract (charts and results.json) and run the same way.
#[tokio::test]
async fn an_analytics_job_gets_its_contract_and_keeps_its_chart() {
    const CHART: &str = r#"import json
import os
import matplotlib.pyplot as plt
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
total = df.groupby("region")["amount"].sum()
out = os.environ["OUTPUT_DIR"]
total.plot(kind="bar")
plt.savefig(os.path.join(out, "total_by_region.png"), dpi=100)
plt.close()
with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
    json.dump({"results": {k: float(v) for k, v in total.items()}, "charts": ["total_by_region.png"]}, f)
"#;
    let s = setup(vec![Reply::code(CHART)], |_| {}).await;
    let job = run(
        &s,
        Submission::new(JobKind::Analytics, "chart total amount by region", upload()),
    )
    .await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let chart = job
        .artifact("total_by_region.png")
        .expect("the chart is kept");
    assert_eq!(chart.kind, office_core::ArtifactKind::Chart);
    let (_, png) = s
        .engine
        .read_artifact(&job, "total_by_region.png")
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let system = s.fake.received()[0].json()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        system.contains("PNG") && system.contains("results.json"),
        "{system}"
    );
    assert!(
        !system.contains("output.xlsx"),
        "the excel contract is not the analytics one"
    );
    let summary = summary(&s, &job).await;
    assert_eq!(summary["results"]["results"]["North"], 12.5);
}

/// A report with a model: the program writes analysis.json, the model writes the prose
/// from it, and a sentence quoting a number the facts do not hold is dropped and named.
#[tokio::test]
async fn a_report_narrated_by_the_model_keeps_only_numbers_from_the_facts() {
    const FACTS: &str = r#"import json
import os
import pandas as pd

df = pd.read_csv(os.environ["INPUT_PATH"])
total = df.groupby("region")["amount"].sum()
with open(os.path.join(os.environ["OUTPUT_DIR"], "analysis.json"), "w", encoding="utf-8") as f:
    json.dump({"facts": {"total": float(df["amount"].sum()), "by_region": {k: float(v) for k, v in total.items()}}, "charts": []}, f)
"#;
    const PROSE: &str =
        "# Sales\n\nTotal amount was 17.5. North sold 12.5 in all. South grew 48% last year.\n";
    let s = setup(vec![Reply::code(FACTS), Reply::text(PROSE)], |_| {}).await;
    let mut submission = Submission::new(JobKind::Report, "how did sales go", upload());
    submission.params.insert("title".into(), "Sales".into());
    let job = run(&s, submission).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let report = artifact_text(&s, &job, "report.md").await;
    assert!(
        report.contains("17.5") && report.contains("12.5"),
        "{report}"
    );
    assert!(
        !report.contains("48"),
        "the unsupported sentence stays: {report}"
    );
    let summary = summary(&s, &job).await;
    assert_eq!(summary["report"]["narrator"], "llm:fake-model");
    let dropped = summary["report"]["dropped_sentences"].as_array().unwrap();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert!(dropped[0]["sentence"].as_str().unwrap().contains("48%"));
    // The narrator saw the facts and nothing but them.
    let received = s.fake.received();
    assert_eq!(received.len(), 2);
    assert!(received[1].messages_text().contains("by_region"));
    assert!(!received[1].messages_text().contains(KEY));
}
