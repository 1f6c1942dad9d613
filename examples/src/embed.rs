//! Embedding office-core in a Rust service: open an engine on the embedded defaults,
//! submit one job, wait for it and read its outputs.
//!
//! Run with `cargo run -p office-examples --bin embed` after `make setup`.

use office_core::{Config, Engine, JobKind, Submission, Upload};
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join("office-embed-example");
    let mut config = Config::with_data_dir(&data_dir);
    if let Ok(python) = std::env::var("OFFICE_PYTHON") {
        config.python = python.into();
    }
    let engine = Engine::open(config).await?;
    // One worker runs (after recovering what an earlier run left) until the job below is
    // done, then stops within the configured grace.
    engine.run_workers(1, run_one_job(&engine)).await??;
    Ok(())
}

async fn run_one_job(engine: &Engine) -> anyhow::Result<()> {
    let csv =
        "region,product,revenue\nNorth,Tea,120\nSouth,Tea,80\nNorth,Coffee,200\nEast,Coffee,50\n";
    let upload = Upload {
        name: "sales.csv".into(),
        data: csv.as_bytes().to_vec().into(),
    };
    let job = engine
        .submit(Submission::new(
            JobKind::Excel,
            "total revenue by region",
            vec![upload],
        ))
        .await?;
    println!("submitted job {}", job.id);

    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(120)),
        )
        .await?;
    println!(
        "job {} {} (generator: {})",
        job.id,
        job.status,
        job.generator.as_deref().unwrap_or("-")
    );
    if let Some(error) = &job.error {
        println!("error: {}", error.message);
    }
    for artifact in &job.artifacts {
        println!(
            "  {} ({} bytes, {})",
            artifact.name, artifact.size, artifact.content_type
        );
    }
    if let Ok(summary) = engine.summary(&job).await {
        println!("steps: {}", summary["steps"]);
    }
    Ok(())
}
