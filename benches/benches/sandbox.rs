//! The cold path (a fresh interpreter per job) beside the warm pool (children forked from
//! pre-imported interpreters), in the same run: how long until the program's first line
//! runs, a trivial job and a small pandas job end to end, and trivial jobs per second with
//! two at a time. Both paths apply the same confinement.
//!
//! The start is measured back to back and with a pause between jobs
//! (`SANDBOX_BENCH_GAPS`, milliseconds, default `0,300`), with the machine's load average
//! beside it; for the warm pool, each phase of the start is printed as well (p50 from the
//! moment the executor was called, from the harness's phase log).
//!
//! `cargo bench -p office-benches --bench sandbox` (OFFICE_PYTHON picks the interpreter;
//! `SANDBOX_BENCH_N` jobs per measurement, default 20; `SANDBOX_BENCH_WARM_ONLY=1` skips
//! the cold path).

use office_benches::percentile;
use office_core::Limits;
use office_core::{ExecRequest, Executor, PoolExecutor, PoolOptions, ProcessExecutor};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn gaps() -> Vec<u64> {
    std::env::var("SANDBOX_BENCH_GAPS")
        .ok()
        .map(|v| v.split(',').filter_map(|g| g.trim().parse().ok()).collect())
        .filter(|g: &Vec<u64>| !g.is_empty())
        .unwrap_or_else(|| vec![0, 300])
}

/// Phases of the warm start, in the order they happen (names in the harness's log).
const PHASES: [(&str, &str); 7] = [
    ("prepared", "folders and spec ready"),
    ("sent", "job sent to the zygote"),
    ("keeper", "keeper has the job"),
    ("handed", "job handed to the job process"),
    ("received", "job process has the job"),
    ("unprivileged", "mounted, privilege dropped"),
    ("confined", "confined (program about to run)"),
];

/// `n` starts `gap` apart: (until the program's first line, ms; when each was called).
async fn starts(
    executor: &Arc<dyn Executor>,
    bench: &Bench,
    n: usize,
    gap: u64,
) -> (Vec<f64>, Vec<f64>) {
    let (mut start_ms, mut first_line) = (Vec::new(), Vec::new());
    for _ in 0..n {
        tokio::time::sleep(Duration::from_millis(gap)).await;
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
        first_line.push(started);
    }
    (start_ms, first_line)
}

/// p50 of each phase since the executor was called, for the runs in `log` that belong to
/// these starts (the program's first line follows the "confined" stamp).
fn phase_table(name: &str, label: &str, log: &std::path::Path, first_line: &[f64]) {
    let lines = std::fs::read_to_string(log).unwrap_or_default();
    let runs: Vec<serde_json::Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let called = |r: &serde_json::Value| r["run"].as_f64().unwrap_or(0.0);
    // A start's run is the last one called before its program's first line (and after
    // the previous start's).
    let mut matched: Vec<(&serde_json::Value, f64)> = Vec::new();
    let mut after = 0.0;
    for &t in first_line {
        if let Some(run) = runs
            .iter()
            .filter(|r| called(r) > after && called(r) < t)
            .max_by(|a, b| called(a).total_cmp(&called(b)))
        {
            matched.push((run, t));
        }
        after = t;
    }
    let runs: Vec<&serde_json::Value> = matched.iter().map(|(r, _)| *r).collect();
    let first_line: Vec<f64> = matched.iter().map(|(_, t)| *t).collect();
    let column = |phase: &str| -> Vec<f64> {
        let mut v: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let at = r[phase].as_f64()?;
                // CPU seconds (and thousands of page faults) are not stamps.
                let since = if phase.starts_with("cpu_") {
                    0.0
                } else {
                    r["run"].as_f64()?
                };
                Some((at - since) * 1000.0)
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    if std::env::var_os("SANDBOX_BENCH_ALL_PHASES").is_some() {
        let mut names: Vec<String> = runs
            .iter()
            .flat_map(|r| r.as_object().into_iter().flat_map(|o| o.keys().cloned()))
            .collect();
        names.sort();
        names.dedup();
        for phase in names {
            let samples = column(&phase);
            println!(
                "{name:<6}   {label:<9} {phase:<33} {:>9.1} {:>9.1}",
                percentile(&samples, 50.0),
                percentile(&samples, 95.0)
            );
        }
    }
    for (phase, what) in PHASES {
        let samples = column(phase);
        println!(
            "{name:<6}   {label:<9} {what:<33} {:>9.1} {:>9.1}",
            percentile(&samples, 50.0),
            percentile(&samples, 95.0)
        );
    }
    let mut program: Vec<f64> = runs
        .iter()
        .zip(&first_line)
        .filter_map(|(r, t)| Some((t - r["run"].as_f64()?) * 1000.0))
        .collect();
    program.sort_by(f64::total_cmp);
    println!(
        "{name:<6}   {label:<9} {:<33} {:>9.1} {:>9.1}",
        "program's first line",
        percentile(&program, 50.0),
        percentile(&program, 95.0)
    );
}

async fn measure(
    name: &str,
    executor: Arc<dyn Executor>,
    bench: &Bench,
    n: usize,
    log: Option<&std::path::Path>,
) {
    // Warm-up.
    executor.run(bench.request(TRIVIAL)).await.unwrap();

    for gap in gaps() {
        let label = if gap == 0 {
            "back to back".to_string()
        } else {
            format!("{gap} ms apart")
        };
        let load = load_average();
        let (mut samples, first_line) = starts(&executor, bench, n, gap).await;
        samples.sort_by(f64::total_cmp);
        println!(
            "{name:<6} {:<40} {:>9.1} {:>9.1}   load {load} -> {}",
            format!("sandbox start, {label}"),
            percentile(&samples, 50.0),
            percentile(&samples, 95.0),
            load_average()
        );
        if let Some(log) = log {
            // The keepers write their line once the result is out.
            tokio::time::sleep(Duration::from_millis(200)).await;
            phase_table(
                name,
                if gap == 0 { "b2b" } else { "spaced" },
                log,
                &first_line,
            );
        }
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
    if std::env::var_os("SANDBOX_BENCH_WARM_ONLY").is_none() {
        measure("cold", Arc::new(cold), &bench, n, None).await;
    }
    let log = runtime.path().join("phases.jsonl");
    let base = ProcessExecutor::new(&python, runtime.path().join("warm"))
        .unwrap()
        .with_phase_log(&log);
    let warm = PoolExecutor::start_from(
        base,
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
    measure("warm", Arc::new(warm), &bench, n, Some(&log)).await;
}
