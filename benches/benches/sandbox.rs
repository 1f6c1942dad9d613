//! The cold path (a fresh interpreter per job) beside the warm pool (children forked from
//! pre-imported interpreters), in the same run: how long until the program's first line
//! runs, a trivial job and a small pandas job end to end, and trivial jobs per second with
//! two at a time. Both paths apply the same confinement.
//!
//! `cargo bench -p office-benches --bench sandbox` (OFFICE_PYTHON picks the interpreter).

use office_benches::percentile;
use office_core::Limits;
use office_core::{ExecRequest, Executor, PoolExecutor, PoolOptions, ProcessExecutor};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

const STARTED: &str = "import os, time\n\
    open(os.path.join(os.environ['OUTPUT_DIR'], 'started'), 'w').write(repr(time.time()))\n";
const TRIVIAL: &str = "print(1)\n";
const PANDAS: &str = "import os, pandas as pd\n\
    print(pd.read_csv(os.environ['INPUT_PATH'])['amount'].sum())\n";

struct Bench {
    root: tempfile::TempDir,
    input: PathBuf,
    next: std::sync::atomic::AtomicUsize,
}

impl Bench {
    fn new() -> Bench {
        let root = tempfile::tempdir().unwrap();
        let input = root.path().join("in.csv");
        std::fs::write(&input, "region,amount\nnorth,10\nsouth,5\n").unwrap();
        Bench {
            root,
            input,
            next: 0.into(),
        }
    }

    /// A request with folders of its own.
    fn request(&self, code: &str) -> ExecRequest {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = self.root.path().join(format!("job-{n}"));
        std::fs::create_dir_all(dir.join("work")).unwrap();
        ExecRequest {
            code: code.to_string(),
            inputs: vec![self.input.clone()],
            output_dir: dir.join("out"),
            work_dir: dir.join("work"),
            limits: Limits::default(),
        }
    }
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn measure(name: &str, executor: Arc<dyn Executor>, bench: &Bench, n: usize) {
    // Warm-up.
    executor.run(bench.request(TRIVIAL)).await.unwrap();

    let mut start_ms = Vec::new();
    for _ in 0..n {
        let req = bench.request(STARTED);
        let out = req.output_dir.clone();
        let before = now_secs();
        let outcome = executor.run(req).await.unwrap();
        assert!(outcome.succeeded(), "{outcome:?}");
        let started: f64 = std::fs::read_to_string(out.join("started"))
            .unwrap()
            .parse()
            .unwrap();
        start_ms.push((started - before) * 1000.0);
    }
    let end_to_end = |code: &'static str| {
        let executor = executor.clone();
        async move {
            let mut samples = Vec::new();
            for _ in 0..n {
                let req = bench.request(code);
                let clock = Instant::now();
                let outcome = executor.run(req).await.unwrap();
                assert!(outcome.succeeded(), "{outcome:?}");
                samples.push(clock.elapsed().as_secs_f64() * 1000.0);
            }
            samples
        }
    };
    let trivial_ms = end_to_end(TRIVIAL).await;
    let pandas_ms = end_to_end(PANDAS).await;

    // Throughput: 2 jobs at a time (the machine has 2 cores), 2n jobs.
    let jobs = 2 * n;
    let clock = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    let requests: Vec<ExecRequest> = (0..jobs).map(|_| bench.request(TRIVIAL)).collect();
    let queue = Arc::new(tokio::sync::Mutex::new(requests));
    for _ in 0..2 {
        let (executor, queue) = (executor.clone(), queue.clone());
        running.spawn(async move {
            loop {
                let Some(req) = queue.lock().await.pop() else {
                    break;
                };
                let outcome = executor.run(req).await.unwrap();
                assert!(outcome.succeeded(), "{outcome:?}");
            }
        });
    }
    while running.join_next().await.is_some() {}
    let per_second = jobs as f64 / clock.elapsed().as_secs_f64();

    for (label, mut samples) in [
        ("sandbox start (until the program runs)", start_ms),
        ("trivial job end to end", trivial_ms),
        ("pandas read_csv job end to end", pandas_ms),
    ] {
        samples.sort_by(f64::total_cmp);
        println!(
            "{name:<6} {label:<40} {:>9.1} {:>9.1}",
            percentile(&samples, 50.0),
            percentile(&samples, 95.0)
        );
    }
    println!(
        "{name:<6} {:<40} {per_second:>9.1}",
        "trivial jobs/s, 2 at a time"
    );
}

#[tokio::main]
async fn main() {
    let python = python();
    let runtime = tempfile::tempdir().unwrap();
    let n: usize = std::env::var("SANDBOX_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    println!("{:<47} {:>9} {:>9}", "", "p50 ms", "p95 ms");
    let bench = Bench::new();
    let cold = ProcessExecutor::new(&python, runtime.path().join("cold")).unwrap();
    measure("cold", Arc::new(cold), &bench, n).await;
    let warm = PoolExecutor::start(
        &python,
        runtime.path().join("warm"),
        PoolOptions {
            size: 2,
            max_jobs_per_zygote: 1_000,
        },
    )
    .await
    .unwrap();
    // Let the supervisor start the second interpreter before measuring.
    while warm.idle_zygote_pids().len() < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    measure("warm", Arc::new(warm), &bench, n).await;
}
