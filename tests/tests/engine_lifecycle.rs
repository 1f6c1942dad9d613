//! The engine's life cycle with real backends (SQLite, in-process queue, real CPython):
//! cancellation and deletion of running jobs, timeouts, rejected programs, and recovery
//! of jobs left behind by a stopped process.

use office_core::{CodeGenerator, Plan, PlanError, PlanRequest};
use office_core::{Config, Engine, JobKind, JobStatus, Stage, Submission, Upload};
use office_tests::{python, test_config};
use std::sync::Arc;
use std::time::Duration;

/// A generator that always writes the same program, to drive the pipeline precisely.
struct Fixed(&'static str);

#[async_trait::async_trait]
impl CodeGenerator for Fixed {
    fn name(&self) -> String {
        "fixed".into()
    }
    async fn generate(&self, _: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        Ok(Plan {
            code: self.0.into(),
            generator: "fixed".into(),
            steps: vec!["fixed program".into()],
            output: None,
        })
    }
}

const SPIN: &str = "x = 0\nwhile True:\n    x += 1\n";

fn csv_upload() -> Vec<Upload> {
    vec![Upload {
        name: "t.csv".into(),
        data: b"name,amount\na,1\nb,2\n".to_vec().into(),
    }]
}

async fn engine_with(config: Config, code: &'static str) -> Engine {
    Engine::builder(config)
        .generator(Arc::new(Fixed(code)))
        .build()
        .await
        .unwrap()
}

/// Submits a job on the small CSV and waits up to `secs` for it to end.
async fn submit_and_wait(engine: &Engine, prompt: &str, secs: u64) -> office_core::Job {
    let job = engine
        .submit(Submission::new(JobKind::Excel, prompt, csv_upload()))
        .await
        .unwrap();
    engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(secs)),
        )
        .await
        .unwrap()
}

async fn wait_for_stage(engine: &Engine, id: office_core::JobId, stage: Stage) {
    for _ in 0..600 {
        if engine
            .get(&office_core::Caller::default(), id)
            .await
            .unwrap()
            .stage
            == stage
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job never reached {stage}");
}

#[tokio::test]
async fn cancelling_a_running_job_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(test_config(dir.path()), SPIN).await;
    let _workers = engine.start_workers(1);
    let job = engine
        .submit(Submission::new(JobKind::Excel, "spin", csv_upload()))
        .await
        .unwrap();
    wait_for_stage(&engine, job.id, Stage::Execute).await;

    engine
        .cancel(&office_core::Caller::default(), job.id)
        .await
        .unwrap();
    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    assert_eq!(job.error.unwrap().code, "cancelled");
    // Its timing up to the cancellation is kept.
    assert!(job.stages.iter().any(|s| s.stage == Stage::Plan));
}

#[tokio::test]
async fn deleting_a_running_job_cancels_it_and_removes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(test_config(dir.path()), SPIN).await;
    let _workers = engine.start_workers(1);
    let job = engine
        .submit(Submission::new(JobKind::Excel, "spin", csv_upload()))
        .await
        .unwrap();
    wait_for_stage(&engine, job.id, Stage::Execute).await;

    engine
        .delete(&office_core::Caller::default(), job.id)
        .await
        .unwrap();
    assert!(matches!(
        engine.get(&office_core::Caller::default(), job.id).await,
        Err(office_core::Error::NotFound(_))
    ));
    assert!(!dir.path().join("jobs").join(job.id.to_string()).exists());
    // The worker is free again: a new job runs.
    let engine2 = engine.clone();
    let next = engine2
        .submit(Submission::new(JobKind::Excel, "spin", csv_upload()))
        .await
        .unwrap();
    wait_for_stage(&engine2, next.id, Stage::Execute).await;
    engine2
        .cancel(&office_core::Caller::default(), next.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_program_past_its_time_limit_fails_with_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.limits.timeout = Duration::from_secs(2);
    let engine = engine_with(config, SPIN).await;
    let _workers = engine.start_workers(1);
    let job = submit_and_wait(&engine, "spin", 30).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.unwrap();
    assert_eq!(error.code, "timeout", "{error:?}");
    let execute = job
        .stages
        .iter()
        .find(|s| s.stage == Stage::Execute)
        .unwrap();
    assert!(
        execute.duration_ms >= 2000.0 && execute.duration_ms < 15000.0,
        "{execute:?}"
    );
}

#[tokio::test]
async fn a_rejected_program_fails_and_keeps_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(
        test_config(dir.path()),
        "import subprocess\nsubprocess.run(['id'])\n",
    )
    .await;
    let _workers = engine.start_workers(1);
    let job = submit_and_wait(&engine, "x", 30).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.clone().unwrap();
    assert_eq!(error.code, "code_rejected");
    let violations = error.details["violations"].as_array().unwrap();
    assert!(violations.iter().any(|v| v["line"] == 1), "{violations:?}");
    assert!(error.message.contains("subprocess"), "{}", error.message);
    assert!(
        !job.stages.iter().any(|s| s.stage == Stage::Execute),
        "never executed"
    );
    assert!(engine.code(&job).await.unwrap().contains("subprocess"));
}

#[tokio::test]
async fn a_failing_program_reports_its_exception() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(
        test_config(dir.path()),
        "x = 1\ny = {}\nprint(y['missing'])\n",
    )
    .await;
    let _workers = engine.start_workers(1);
    let job = submit_and_wait(&engine, "x", 60).await;
    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.unwrap();
    assert_eq!(error.code, "execution_failed");
    assert_eq!(error.details["error"]["exc_type"], "KeyError");
    assert_eq!(error.details["error"]["line"], 3);
}

#[tokio::test]
async fn jobs_left_by_a_stopped_process_are_resumed_or_failed() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (queued, running, exhausted) = {
        // A process that accepted jobs and died: no workers ever ran them.
        let engine = Engine::open(config.clone()).await.unwrap();
        let queued = engine
            .submit(Submission::new(
                JobKind::Excel,
                "sort by amount",
                csv_upload(),
            ))
            .await
            .unwrap();
        let running = engine
            .submit(Submission::new(
                JobKind::Excel,
                "sort by name",
                csv_upload(),
            ))
            .await
            .unwrap();
        let exhausted = engine
            .submit(Submission::new(
                JobKind::Excel,
                "sort by name",
                csv_upload(),
            ))
            .await
            .unwrap();
        // Two were taken by a worker that then died mid-run; one of them had used all its attempts.
        engine.store().claim(running.id).await.unwrap().unwrap();
        for _ in 0..config.max_attempts {
            engine.store().claim(exhausted.id).await.unwrap().unwrap();
        }
        (queued.id, running.id, exhausted.id)
    };

    let engine = Engine::open(config).await.unwrap();
    let report = engine.recover().await.unwrap();
    assert_eq!(
        (report.requeued, report.resumed, report.failed),
        (1, 1, 1),
        "{report:?}"
    );
    let _workers = engine.start_workers(2);
    for id in [queued, running] {
        let job = engine
            .wait(
                &office_core::Caller::default(),
                id,
                Some(Duration::from_secs(60)),
            )
            .await
            .unwrap();
        assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    }
    let job = engine
        .get(&office_core::Caller::default(), exhausted)
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.unwrap().code, "interrupted");
    let events = engine
        .events(&office_core::Caller::default(), running)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| format!("{e:?}").contains("started again")),
        "{events:?}"
    );
}

#[test]
fn test_python_exists() {
    assert!(
        python().exists(),
        "run `make setup` first: {} is missing",
        python().display()
    );
}

#[tokio::test]
async fn a_missing_interpreter_fails_the_job_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.python = dir.path().join("no-such-python");
    let engine = Engine::open(config).await.unwrap();
    let _workers = engine.start_workers(1);
    let job = submit_and_wait(&engine, "sort by name", 30).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.attempts, 1, "not retried");
    let error = job.error.unwrap();
    assert_eq!(error.code, "runtime_unavailable");
    assert!(error.message.contains("OFFICE_PYTHON"), "{}", error.message);
}

#[tokio::test]
async fn a_job_runs_on_storage_without_local_files() {
    use office_core::MemoryArtifacts;
    let dir = tempfile::tempdir().unwrap();
    let artifacts = Arc::new(MemoryArtifacts::new());
    let engine = Engine::builder(test_config(dir.path()))
        .artifacts(artifacts.clone())
        .build()
        .await
        .unwrap();
    let _workers = engine.start_workers(1);
    let job = submit_and_wait(&engine, "sort by amount descending", 60).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let keys = artifacts.keys(job.id);
    for key in [
        "inputs/t.csv",
        "outputs/output.xlsx",
        "outputs/summary.json",
        "code/generated.py",
    ] {
        assert!(keys.contains(&key.to_string()), "{key} not in {keys:?}");
    }
    assert!(
        !dir.path().join("jobs").exists(),
        "nothing written as job files on the local disk"
    );
    let scratch = std::fs::read_dir(dir.path().join("scratch"))
        .unwrap()
        .count();
    assert_eq!(scratch, 0, "the run's local copies are gone");
    let (_, xlsx) = engine.output(&job).await.unwrap();
    let rows = office_tests::read_sheet(&xlsx, "t");
    let amounts: Vec<f64> = office_tests::column(&rows, "amount")
        .into_iter()
        .map(office_tests::as_f64)
        .collect();
    assert_eq!(amounts, [2.0, 1.0]);
}
