//! The public SheetCopilot sample (`../shared/fixtures/bench-sample/sheetcopilot`, GPL
//! data read from there, never copied here): each task's instruction run as an excel
//! job through the offline planner and the real program, its edit script applied to a
//! fresh copy of the task's workbook, and the result compared with the sample's
//! expected workbooks by the SheetCopilot values check (same sheet count; per compared
//! sheet the A1-anchored region of the same shape, columns paired by their row-1
//! header, equal cell types, strings equal after trimming, numbers within 1e-8). Prints
//! one line per task (done, or the message) and the count; skips when the sample is
//! absent. Only tasks whose check list compares what the write-back produces (values,
//! and the charts, formats, panes and filters of the look operations) are scored; the
//! sample's ten compare values only.

#[path = "support/planner.rs"]
mod support;

use office_core::profile_file;
use office_core::test_support::writeback_bench::apply_named;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn sample() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/bench-sample/sheetcopilot");
    [
        here,
        PathBuf::from("/work/shared/fixtures/bench-sample/sheetcopilot"),
    ]
    .into_iter()
    .find(|p| p.join("tasks.jsonl").exists())
}

/// The SheetCopilot values check of `output` against `expected` on the 1-based sheet
/// indices `sheets`: `None` when they match, else the first difference.
const COMPARE: &str = r#"
import sys, json, openpyxl
out, exp, sheets = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
a = openpyxl.load_workbook(out, data_only=True)
b = openpyxl.load_workbook(exp, data_only=True)
def fail(why):
    print(json.dumps(why)); sys.exit(0)
if len(a.worksheets) != len(b.worksheets):
    fail("%d sheets, expected %d" % (len(a.worksheets), len(b.worksheets)))
def region(ws):
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max([max([i + 1 for i, v in enumerate(r) if v is not None] or [0]) for r in rows] or [0])
    return [r[:width] + [None] * (width - len(r)) for r in rows]
def kind(v):
    if isinstance(v, bool): return "bool"
    if isinstance(v, (int, float)): return "number"
    if v is None: return "empty"
    return type(v).__name__
for index in sheets:
    x, y = region(a.worksheets[index - 1]), region(b.worksheets[index - 1])
    if (len(x), len(x[0]) if x else 0) != (len(y), len(y[0]) if y else 0):
        fail("sheet %d is %dx%d, expected %dx%d" % (index, len(x), len(x[0]) if x else 0,
                                                    len(y), len(y[0]) if y else 0))
    headers = [str(v).strip() if v is not None else None for v in y[0]]
    mine = [str(v).strip() if v is not None else None for v in x[0]]
    for j, h in enumerate(headers):
        if h not in mine:
            fail("sheet %d has no column %r" % (index, h))
        k = mine.index(h)
        for i in range(len(y)):
            u, v = x[i][k], y[i][j]
            if kind(u) != kind(v):
                fail("%s%d is %r, expected %r" % (h, i + 1, u, v))
            if isinstance(v, str) and u.strip() != v.strip():
                fail("%s%d is %r, expected %r" % (h, i + 1, u, v))
            if kind(v) == "number" and abs(float(u) - float(v)) > 1e-8:
                fail("%s%d is %r, expected %r" % (h, i + 1, u, v))
print("null")
"#;

/// What a check list asks for beyond values (charts, formats, ...), in words.
fn unsupported_checks(check: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(board) = check["check_board"].as_object() else {
        return out;
    };
    for sheet in board.values() {
        for (group, items) in sheet.as_object().into_iter().flatten() {
            for (item, on) in items.as_object().into_iter().flatten() {
                if on.as_bool() == Some(true) && !(group == "cells" && item == "values") {
                    out.push(format!("{group}.{item}"));
                }
            }
        }
    }
    out
}

/// One task: `Ok(())` when done and matching, else the message.
fn run_task(root: &Path, task: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let input_rel = task["input"].as_str().unwrap();
    let name = Path::new(input_rel)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let input = dir.path().join(&name);
    std::fs::copy(root.join(input_rel), &input).unwrap();
    let profile = profile_file(&input, &name).map_err(|e| format!("profile: {e}"))?;
    let prompt = task["instruction"].as_str().unwrap();
    let plan = plan_excel(prompt, &[profile]).map_err(|e| format!("refused: {}", e.message))?;
    let out = run(&plan, &input, dir.path());
    let edits = read_edits(&out);
    let bytes = std::fs::read(&input).unwrap();
    let (written, _) =
        apply_named(&bytes, &name, &edits.to_string()).map_err(|e| format!("write-back: {e}"))?;
    let output = dir.path().join("output.xlsx");
    std::fs::write(&output, written).unwrap();
    let mut last = String::from("no reference");
    for reference in task["references"].as_array().unwrap() {
        let check: Value = reference["check"]
            .as_str()
            .and_then(|c| std::fs::read(root.join(c)).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let beyond = unsupported_checks(&check);
        if !beyond.is_empty() {
            last = format!("not scored: the check asks for {}", beyond.join(", "));
            continue;
        }
        let sheets: Vec<u32> = reference["compare"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|k| k.parse().ok())
            .collect();
        let result = Command::new(python())
            .arg("-c")
            .arg(COMPARE)
            .arg(&output)
            .arg(root.join(reference["expected"].as_str().unwrap()))
            .arg(serde_json::to_string(&sheets).unwrap())
            .output()
            .expect("python runs");
        if !result.status.success() {
            return Err(format!(
                "compare failed: {}",
                String::from_utf8_lossy(&result.stderr)
            ));
        }
        let verdict: Value = serde_json::from_slice(&result.stdout).unwrap();
        match verdict.as_str() {
            None => return Ok(()),
            Some(why) => {
                last = format!(
                    "done, but differs: {why} (steps: {})",
                    plan.steps.join("; ")
                )
            }
        }
    }
    Err(last)
}

#[test]
fn sheetcopilot_sample_tasks_through_the_planner() {
    let Some(root) = sample() else {
        eprintln!("skipped: the SheetCopilot sample is not here");
        return;
    };
    let tasks: Vec<Value> = std::fs::read_to_string(root.join("tasks.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut done = 0;
    for task in &tasks {
        let id = task["id"].as_str().unwrap();
        match run_task(&root, task) {
            Ok(()) => {
                done += 1;
                println!("{id}: done");
            }
            Err(message) => println!("{id}: {message}"),
        }
    }
    println!("SheetCopilot sample: {done} of {} tasks done", tasks.len());
    // The sort task is the one the planner has always done; it must stay done.
    assert!(done >= 1, "no task of the sample is done any more");
}
