//! An excel job's output on a 100,000-row × 10-column workbook, in one run, two ways:
//! - **in place** (what office does now): the offline planner's program (real CPython:
//!   it reads the cells with calamine and writes `edits.json`), then the write-back
//!   applying it to the workbook (untouched parts raw-copied, the sheet rewritten,
//!   verified; recalculated when rows are removed);
//! - **rebuild** (the design before it): a pandas program that reads the workbook and
//!   writes it again with `to_excel` through openpyxl.
//!
//! For a sort, a filter and a computed column. The issue's bar: in place not slower than
//! the rebuild by more than 1.5×. Both are timed whole (interpreter start included).
//!
//! `cargo bench -p office-benches --bench writeback` (`OFFICE_PYTHON` or the repo's
//! `.venv`; `WRITEBACK_ROWS` to change the size).

use office_benches::sales_workbook;
use office_core::test_support::writeback_bench;
use office_core::{CodeGenerator, JobKind, OfflinePlanner, PlanRequest, profile_file};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const REQUESTS: [&str; 3] = [
    "sort by revenue descending",
    "keep rows where units > 50",
    "add a column margin = revenue * 0.2",
];

const REBUILD: &str = r#"
import sys
import pandas as pd
path, out, op = sys.argv[1:4]
sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
df = sheets["Data"]
if op == "0":
    df = df.sort_values("Revenue", ascending=False, kind="mergesort")
elif op == "1":
    df = df[df["Units"] > 50]
else:
    df["margin"] = df["Revenue"] * 0.2
with pd.ExcelWriter(out, engine="openpyxl") as writer:
    df.to_excel(writer, sheet_name="Data", index=False)
"#;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn seconds_of(command: &mut Command) -> f64 {
    let clock = Instant::now();
    let out = command.output().expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    clock.elapsed().as_secs_f64()
}

fn main() {
    let rows: usize = std::env::var("WRITEBACK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.xlsx");
    std::fs::write(&input, sales_workbook(rows)).unwrap();
    let profile = profile_file(&input, "big.xlsx").expect("the workbook profiles");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    println!("write-back, {rows} rows x 10 columns (seconds, one run each)");
    println!(
        "| request | in place: program | in place: write-back | in place total | rebuild | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for (op, prompt) in REQUESTS.iter().enumerate() {
        let params = serde_json::Map::new();
        let profiles = [profile.clone()];
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
        let plan = runtime
            .block_on(OfflinePlanner.generate(&request))
            .expect("the planner understands the request");
        let out = dir.path().join(format!("out{op}"));
        std::fs::create_dir_all(&out).unwrap();
        let program = dir.path().join(format!("program{op}.py"));
        std::fs::write(&program, &plan.code).unwrap();
        let program_s = seconds_of(
            Command::new(python())
                .arg(&program)
                .env_clear()
                .env("INPUT_PATH", &input)
                .env("INPUT_PATHS", &input)
                .env("OUTPUT_DIR", &out)
                .env("MPLBACKEND", "Agg"),
        );
        let edits = std::fs::read_to_string(out.join("edits.json")).unwrap();
        let source = std::fs::read(&input).unwrap();
        let clock = Instant::now();
        let (bytes, changes) = writeback_bench::apply(&source, &edits).expect("it applies");
        let apply_s = clock.elapsed().as_secs_f64();
        assert!(changes > 0 && !bytes.is_empty());
        let rebuilt = dir.path().join(format!("rebuilt{op}.xlsx"));
        let rebuild_s = seconds_of(
            Command::new(python())
                .arg("-c")
                .arg(REBUILD)
                .arg(&input)
                .arg(&rebuilt)
                .arg(op.to_string()),
        );
        let total = program_s + apply_s;
        println!(
            "| {prompt} | {program_s:.2} | {apply_s:.2} | {total:.2} | {rebuild_s:.2} | {:.2}x |",
            total / rebuild_s
        );
    }
}
