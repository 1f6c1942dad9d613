//! Micro-benchmarks of the stages that run in Rust: profiling real files, planning,
//! validating the planned program, and the SQLite store's writes and reads.
//!
//! `cargo bench -p office-benches --bench stages`

use office_benches::percentile;
use office_core::{
    CodeGenerator, FileProfile, Job, JobKind, OfflinePlanner, Plan, PlanError, PlanRequest, Policy,
    SqliteStore, Store, profile_file, validate,
};
use std::path::PathBuf;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real")
        .join(rel)
}

/// What the offline planner writes for an excel job, called as an embedder calls it.
fn plan_excel(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    let params = serde_json::Map::new();
    let request = PlanRequest {
        kind: JobKind::Excel,
        prompt,
        profiles,
        params: &params,
        previous_error: None,
        previous_code: None,
        calls: None,
        parent: None,
    };
    let mut generate = OfflinePlanner.generate(&request);
    // The offline planner never waits: its future is ready at the first poll, so timing
    // it here times the planning and not a runtime.
    match generate
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(planned) => planned,
        Poll::Pending => panic!("the offline planner waited"),
    }
}

/// Runs `f` `n` times and prints p50/p95 in microseconds.
fn time(label: &str, n: usize, mut f: impl FnMut()) {
    f();
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let clock = Instant::now();
            f();
            clock.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<44} {:>10.1} {:>10.1}",
        percentile(&samples, 50.0),
        percentile(&samples, 95.0)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("{:<44} {:>10} {:>10}", "", "p50 µs", "p95 µs");
    for (file, n) in [
        ("vega/seattle-weather.csv", 50),
        ("frictionless/issue-811_istat_comuni.csv", 10),
        ("calamine/table-multiple.xlsx", 100),
        ("oil-prices/eia_brent-month.xls", 50),
        ("poi/bug62181.xlsx", 5),
    ] {
        let path = fixture(file);
        let name = file.rsplit('/').next().unwrap().to_string();
        profile_file(&path, &name).expect("fixture profiles");
        let size = std::fs::metadata(&path)?.len();
        time(&format!("profile {name} ({} KB)", size / 1024), n, || {
            profile_file(&path, &name).unwrap();
        });
    }

    let weather =
        vec![profile_file(&fixture("vega/seattle-weather.csv"), "seattle-weather.csv").unwrap()];
    let prompt = "remove duplicates by date, then keep rows where weather is rain, then average temp_max by weather";
    let plan = plan_excel(prompt, &weather).expect("plans");
    time("plan (3 operations)", 200, || {
        plan_excel(prompt, &weather).unwrap();
    });
    let policy = Policy::default();
    assert!(
        validate(&plan.code, &policy).is_empty(),
        "planned code passes the policy"
    );
    time(
        &format!(
            "validate planned program ({} lines)",
            plan.code.lines().count()
        ),
        200,
        || {
            validate(&plan.code, &policy);
        },
    );

    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&dir.path().join("bench.db")).await?;
    let mut ids = Vec::new();
    let clock = Instant::now();
    for _ in 0..500 {
        let job = Job::new(JobKind::Excel, "sort by name");
        store.insert(&job).await?;
        ids.push(job.id);
    }
    println!(
        "{:<44} {:>10.1}",
        "sqlite insert (mean of 500)",
        clock.elapsed().as_secs_f64() * 1e6 / 500.0
    );
    let clock = Instant::now();
    for id in &ids {
        let mut job = store.get(*id).await?.expect("stored");
        job.prompt.push('!');
        assert!(store.update(&job).await?);
    }
    println!(
        "{:<44} {:>10.1}",
        "sqlite get + update (mean of 500)",
        clock.elapsed().as_secs_f64() * 1e6 / 500.0
    );
    Ok(())
}
