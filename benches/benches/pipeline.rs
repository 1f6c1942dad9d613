//! End-to-end latency of a trivial request on a small workbook through the in-process
//! pipeline (SQLite store, in-process queue, offline planner, a fresh CPython per job):
//! p50/p95 over 50 jobs, with the time spent in each stage.
//!
//! `make bench` (or `cargo bench -p office-benches --bench pipeline`).

use office_benches::percentile;
use office_core::{Config, Engine, JobKind, JobStatus, Stage, Submission, Upload};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const JOBS: usize = 50;

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

/// A 200-row workbook made with openpyxl, so the bench needs no fixture.
fn small_workbook(dir: &std::path::Path, python: &std::path::Path) -> Vec<u8> {
    let path = dir.join("small.xlsx");
    let script = format!(
        "import openpyxl\nwb = openpyxl.Workbook()\nws = wb.active\nws.title = 'Sales'\n\
         ws.append(['Region', 'Product', 'Units', 'Price'])\n\
         for i in range(200):\n    ws.append([['North','South','East','West'][i % 4], 'P%d' % (i % 7), i % 13 + 1, 1.5 * (i % 11)])\n\
         wb.save({:?})\n",
        path.display().to_string()
    );
    let status = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .status()
        .expect("python runs");
    assert!(status.success(), "could not make the bench workbook");
    std::fs::read(path).unwrap()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let python = python();
    let workbook = small_workbook(dir.path(), &python);
    let mut config = Config::with_data_dir(dir.path().join("data"));
    config.python = python;
    let engine = Engine::open(config).await?;
    let workers = engine.start_workers(1);
    let submit = |prompt: &str| {
        Submission::new(
            JobKind::Excel,
            prompt,
            vec![Upload {
                name: "small.xlsx".into(),
                data: workbook.clone().into(),
            }],
        )
    };

    // Check the result once before timing anything.
    let first = engine.submit(submit("sort by units descending")).await?;
    let first = engine
        .wait(
            &office_core::Caller::default(),
            first.id,
            Some(Duration::from_secs(120)),
        )
        .await?;
    assert_eq!(
        first.status,
        JobStatus::Succeeded,
        "warm-up job failed: {:?}",
        first.error
    );

    let mut totals = Vec::with_capacity(JOBS);
    let mut stages: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for _ in 0..JOBS {
        let clock = Instant::now();
        let job = engine.submit(submit("sort by units descending")).await?;
        let job = engine
            .wait(
                &office_core::Caller::default(),
                job.id,
                Some(Duration::from_secs(120)),
            )
            .await?;
        totals.push(clock.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(job.status, JobStatus::Succeeded);
        for s in &job.stages {
            stages
                .entry(s.stage.as_str())
                .or_default()
                .push(s.duration_ms);
        }
    }
    workers.shutdown(Duration::from_secs(5)).await;

    totals.sort_by(f64::total_cmp);
    println!("pipeline: {JOBS} jobs, trivial request (sort) on a 200-row workbook, 1 worker");
    println!("{:<10} {:>10} {:>10}", "", "p50 ms", "p95 ms");
    println!(
        "{:<10} {:>10.1} {:>10.1}",
        "end-to-end",
        percentile(&totals, 50.0),
        percentile(&totals, 95.0)
    );
    for stage in Stage::ALL {
        if let Some(samples) = stages.get_mut(stage.as_str()) {
            samples.sort_by(f64::total_cmp);
            println!(
                "{:<10} {:>10.1} {:>10.1}",
                stage.as_str(),
                percentile(samples, 50.0),
                percentile(samples, 95.0)
            );
        }
    }
    Ok(())
}
