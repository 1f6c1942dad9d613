//! How an excel job's time grows with the table: for each size (1k to 1M rows × 10
//! columns), as a workbook and as CSV, a sort, a filter and a group-by, timed stage by
//! stage as a worker runs them:
//! - **profile**: `profile_file` on the input;
//! - **execute**: the offline planner's program in real CPython (interpreter start and
//!   imports included; it reads the cells with calamine or the csv module and writes
//!   `edits.json`), with the program's peak RSS;
//! - **write-back**: the script applied to the input in place, verified, the output's
//!   bytes made (what the collect stage does for an excel job).
//!
//! The sandbox is not in this path (its cost per job is `sandbox.rs`'s); the stages are
//! the ones whose time depends on the rows. A line per row count should grow about 10×
//! per 10× rows.
//!
//! `cargo bench -p office-benches --bench sizes` (`OFFICE_PYTHON` or the repo's `.venv`;
//! `SIZES_ROWS=1000,10000` to choose the sizes, `SIZES_FORMATS=csv`, `SIZES_OPS=sort`).

use office_benches::{sales_csv, sales_workbook};
use office_core::test_support::writeback_bench;
use office_core::{CodeGenerator, JobKind, OfflinePlanner, PlanRequest, profile_file};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const OPS: [(&str, &str); 3] = [
    ("sort", "sort by revenue descending"),
    ("filter", "keep rows where units > 50"),
    ("group", "total revenue by region"),
];

/// Runs the program and reports the interpreter's peak RSS on stderr's last line.
const RUN: &str = r#"
import resource, runpy, sys
runpy.run_path(sys.argv[1], run_name="__main__")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"#;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// This process's peak RSS so far in MB (the write-back runs here).
fn own_peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn plan(prompt: &str, input: &Path, name: &str) -> (f64, String) {
    let clock = Instant::now();
    let profile = profile_file(input, name).expect("the input profiles");
    let profile_s = clock.elapsed().as_secs_f64();
    let params = serde_json::Map::new();
    let profiles = [profile];
    let request = PlanRequest {
        kind: JobKind::Excel,
        prompt,
        profiles: &profiles,
        params: &params,
        previous_error: None,
        previous_code: None,
        calls: None,
        parent: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let plan = runtime
        .block_on(OfflinePlanner.generate(&request))
        .expect("the planner understands the request");
    (profile_s, plan.code)
}

/// Runs the program: seconds and its peak RSS in MB.
fn execute(program: &Path, input: &Path, out: &Path) -> (f64, f64) {
    let clock = Instant::now();
    let run = Command::new(python())
        .arg("-c")
        .arg(RUN)
        .arg(program)
        .env_clear()
        .env("INPUT_PATH", input)
        .env("INPUT_PATHS", input)
        .env("OUTPUT_DIR", out)
        .env("MPLBACKEND", "Agg")
        .output()
        .expect("python runs");
    let seconds = clock.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let kb: f64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (seconds, kb / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = list("SIZES_ROWS", "1000,10000,100000,1000000")
        .iter()
        .map(|s| s.parse().expect("SIZES_ROWS holds row counts"))
        .collect();
    let formats = list("SIZES_FORMATS", "xlsx,csv");
    let ops: Vec<(&str, &str)> = {
        let chosen = list("SIZES_OPS", "sort,filter,group");
        OPS.into_iter()
            .filter(|(op, _)| chosen.iter().any(|c| c == op))
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    println!(
        "job size: 10 columns, seconds per stage, one run each (load {})",
        load_average()
    );
    println!(
        "| format | rows | job | profile | execute | write-back | total | program peak MB | bench peak MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for format in &formats {
        for &rows in &sizes {
            let name = format!("sales-{rows}.{format}");
            let input = dir.path().join(&name);
            let bytes = match format.as_str() {
                "csv" => sales_csv(rows).into_bytes(),
                _ => sales_workbook(rows),
            };
            std::fs::write(&input, &bytes).unwrap();
            drop(bytes);
            for (op, prompt) in &ops {
                let (profile_s, code) = plan(prompt, &input, &name);
                let out = dir.path().join(format!("out-{format}-{rows}-{op}"));
                std::fs::create_dir_all(&out).unwrap();
                let program = out.join("program.py");
                std::fs::write(&program, code).unwrap();
                let (execute_s, program_mb) = execute(&program, &input, &out);
                let edits = std::fs::read_to_string(out.join("edits.json")).unwrap();
                let source = std::fs::read(&input).unwrap();
                let clock = Instant::now();
                let (written, changes) =
                    writeback_bench::apply_named(&source, &name, &edits).expect("it applies");
                let write_s = clock.elapsed().as_secs_f64();
                assert!(changes > 0 && !written.is_empty(), "{op}: nothing changed");
                let total = profile_s + execute_s + write_s;
                println!(
                    "| {format} | {rows} | {op} | {profile_s:.3} | {execute_s:.3} | {write_s:.3} | {total:.3} | {program_mb:.0} | {:.0} |",
                    own_peak_mb()
                );
            }
        }
    }
    println!("(load {})", load_average());
}
