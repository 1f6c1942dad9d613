//! `Engine::run_workers`, the one sequence every face runs: recovery first, workers until
//! the shutdown future is done, then a stop within the configured grace.

use office_core::{CodeGenerator, Engine, JobKind, JobStatus, Plan, PlanError, PlanRequest};
use office_core::{Submission, Upload};
use office_tests::test_config;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Writes a program that never ends on its own.
struct Spin;

#[async_trait::async_trait]
impl CodeGenerator for Spin {
    fn name(&self) -> String {
        "spin".into()
    }
    async fn generate(&self, _: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        Ok(Plan {
            code: "x = 0\nwhile True:\n    x += 1\n".into(),
            generator: "spin".into(),
            steps: vec!["spin".into()],
            output: None,
        })
    }
}

fn csv_upload() -> Vec<Upload> {
    vec![Upload {
        name: "people.csv".into(),
        data: "name,age\nbob,3\nalice,5\n".as_bytes().to_vec().into(),
    }]
}

#[tokio::test]
async fn run_workers_recovers_before_the_signal_and_returns_its_output() {
    let data = tempfile::tempdir().unwrap();
    let config = test_config(data.path());
    // A job queued by a process that stopped before any worker took it: only recovery
    // can hand it to the new process's (in-process, empty) queue.
    let left = {
        let engine = Engine::open(config.clone()).await.unwrap();
        engine
            .submit(Submission::new(
                JobKind::Excel,
                "sort by name",
                csv_upload(),
            ))
            .await
            .unwrap()
            .id
    };
    let engine = Engine::open(config).await.unwrap();
    let job = engine
        .run_workers(
            1,
            engine.wait(
                &office_core::Caller::default(),
                left,
                Some(Duration::from_secs(120)),
            ),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
}

#[tokio::test]
async fn stopping_waits_no_longer_than_the_configured_grace() {
    let data = tempfile::tempdir().unwrap();
    let mut config = test_config(data.path());
    config.shutdown_grace = Duration::ZERO;
    config.limits.timeout = Duration::from_secs(120);
    let engine = Engine::builder(config)
        .generator(Arc::new(Spin))
        .build()
        .await
        .unwrap();
    let slow = Submission::new(JobKind::Excel, "sort by name", csv_upload());
    let started = Instant::now();
    // The signal fires once the job runs; with no grace the workers are left at once,
    // not after the default 30 s grace or the job's two minutes.
    engine
        .run_workers(1, async {
            let job = engine.submit(slow).await.unwrap();
            loop {
                let now = engine
                    .get(&office_core::Caller::default(), job.id)
                    .await
                    .unwrap();
                if now.status != JobStatus::Queued {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "stopped after {:?}",
        started.elapsed()
    );
}
