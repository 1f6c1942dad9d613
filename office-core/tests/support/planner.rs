//! What the planner's execution suites share: the repo's CPython, a program run the way
//! the executor runs it, the edit script it writes, a model of the output sheet (the
//! input's cells with the script's rows and columns applied), and a small evaluator of
//! the formulas the programs write, with Excel's semantics, so cached values are checked
//! against values computed here rather than by pandas. The planner is called as an
//! embedder calls it: `OfflinePlanner` through the `CodeGenerator` trait.
#![allow(dead_code)]

use office_core::{
    CodeGenerator, FileProfile, JobKind, OfflinePlanner, Plan, PlanError, PlanRequest,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::task::{Context, Poll, Waker};

pub fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// Runs a Python helper script with arguments; panics with its stderr on failure.
pub fn run_helper(script: &str, args: &[&str]) {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "helper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a plan's program like the executor does and returns the output folder.
pub fn run(plan: &Plan, input: &Path, dir: &Path) -> PathBuf {
    let work = dir.join("work");
    let out = dir.join("out");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let program = work.join("program.py");
    std::fs::write(&program, &plan.code).unwrap();
    let result = Command::new(python())
        .arg(&program)
        .env_clear()
        .env("INPUT_PATH", input)
        .env("INPUT_PATHS", input)
        .env("OUTPUT_DIR", &out)
        .env("MPLBACKEND", "Agg")
        .current_dir(&work)
        .output()
        .expect("python runs");
    assert!(
        result.status.success(),
        "program failed:\n{}\n--- code ---\n{}",
        String::from_utf8_lossy(&result.stderr),
        plan.code
    );
    out
}

/// The edit script the program wrote; the program wrote no workbook.
pub fn read_edits(out: &Path) -> Value {
    let names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".xlsx")),
        "the program wrote a workbook: {names:?}"
    );
    let edits: Value = serde_json::from_slice(&std::fs::read(out.join("edits.json")).unwrap())
        .expect("edits.json is JSON");
    assert_eq!(edits["version"], 1);
    edits
}

pub fn result_json(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap()
}

/// The one sheet edit of the script.
pub fn sheet_edit(edits: &Value) -> &Value {
    let sheets = edits["sheets"].as_array().expect("sheets");
    assert_eq!(sheets.len(), 1, "{edits}");
    &sheets[0]
}

/// The kept rows in output order (`None`: unchanged).
pub fn kept_rows(edits: &Value) -> Option<Vec<u32>> {
    let rows = &sheet_edit(edits)["rows"];
    (!rows.is_null()).then(|| {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_u64().unwrap() as u32)
            .collect()
    })
}

pub fn new_sheet<'a>(edits: &'a Value, name: &str) -> &'a Value {
    edits["new_sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no new sheet {name} in {edits}"))
}

pub fn new_sheet_names(edits: &Value) -> Vec<String> {
    edits["new_sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

/// A cell of the test's model of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Cell {
    pub fn from_json(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Empty,
            Value::Number(n) => Cell::Number(n.as_f64().unwrap()),
            Value::String(s) => Cell::Text(s.clone()),
            other => panic!("not a plain cell: {other}"),
        }
    }
}

/// A sheet as (column letter, row) -> cell.
pub type SheetModel = BTreeMap<(String, u32), Cell>;

/// Column letters: 1 = A, 27 = AA.
pub fn letter(mut number: u32) -> String {
    let mut out = Vec::new();
    while number > 0 {
        let rest = (number - 1) % 26;
        out.push((b'A' + rest as u8) as char);
        number = (number - 1) / 26;
    }
    out.iter().rev().collect()
}

/// The data sheet as the applier leaves it: the script's rows kept in order from the
/// table's first row, added columns right of it with their cached values.
pub fn output_sheet(input: &SheetModel, edits: &Value) -> SheetModel {
    let edit = sheet_edit(edits);
    let table = &edit["table"];
    let (first, last) = (
        table["first_row"].as_u64().unwrap() as u32,
        table["last_row"].as_u64().unwrap() as u32,
    );
    let last_col = table["last_col"].as_u64().unwrap() as u32;
    let rows = kept_rows(edits).unwrap_or_else(|| (first..=last).collect());
    let mut out = SheetModel::new();
    for ((col, row), cell) in input {
        if *row < first || *row > last {
            out.insert((col.clone(), *row), cell.clone());
        }
    }
    for (k, old) in rows.iter().enumerate() {
        let new = first + k as u32;
        for ((col, row), cell) in input {
            if row == old {
                out.insert((col.clone(), new), cell.clone());
            }
        }
    }
    if let Some(columns) = edit["add_columns"].as_array() {
        for (j, column) in columns.iter().enumerate() {
            let col = letter(last_col + 1 + j as u32);
            for (k, value) in column["values"].as_array().unwrap().iter().enumerate() {
                out.insert((col.clone(), first + k as u32), Cell::from_json(value));
            }
        }
    }
    out
}

/// `Sales!$D$3:$D$10` -> (column letter, first row, last row); the sheet must be `sheet`.
fn parse_range(text: &str, sheet: &str) -> (String, u32, u32) {
    let (name, cells) = text.rsplit_once('!').unwrap_or_else(|| panic!("{text}"));
    let name = name
        .strip_prefix('\'')
        .and_then(|n| n.strip_suffix('\''))
        .map_or(name.to_string(), |n| n.replace("''", "'"));
    assert_eq!(name, sheet, "{text}");
    let (a, b) = cells.split_once(':').unwrap();
    let split = |c: &str| {
        let c = c.replace('$', "");
        let at = c.find(|ch: char| ch.is_ascii_digit()).unwrap();
        (c[..at].to_string(), c[at..].parse::<u32>().unwrap())
    };
    let ((col, first), (col2, last)) = (split(a), split(b));
    assert_eq!(col, col2);
    (col, first, last)
}

/// Excel's criteria equality for a criteria cell: text case-insensitively, numbers by value.
fn matches(cell: &Cell, criteria: &Cell) -> bool {
    match (cell, criteria) {
        (Cell::Text(a), Cell::Text(b)) => a.to_lowercase() == b.to_lowercase(),
        (Cell::Number(a), Cell::Number(b)) => a == b,
        (Cell::Empty, Cell::Text(b)) => b.is_empty(),
        (Cell::Empty, Cell::Empty) => true,
        _ => false,
    }
}

fn column_of(sheet: &SheetModel, (col, first, last): &(String, u32, u32)) -> Vec<Cell> {
    (*first..=*last)
        .map(|r| sheet.get(&(col.clone(), r)).cloned().unwrap_or(Cell::Empty))
        .collect()
}

fn numbers_of(cells: &[Cell]) -> Vec<f64> {
    cells
        .iter()
        .filter_map(|c| match c {
            Cell::Number(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// Excel's QUARTILE.INC / PERCENTILE.INC: linear between the closest ranks.
fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = p * (values.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    values[low] + (values[high] - values[low]) * (at - low as f64)
}

/// The value of one formula the programs write on a new sheet: `key` is the sheet's
/// own column-A cell of the formula's row (the criteria `A2`).
pub fn evaluate(formula: &str, data: &SheetModel, sheet: &str, key: &Cell) -> f64 {
    let body = formula.strip_prefix('=').unwrap();
    let (name, args) = body.split_once('(').unwrap();
    let args: Vec<&str> = args.strip_suffix(')').unwrap().split(',').collect();
    let criteria = |arg: &str| {
        if arg == "\"\"" {
            Cell::Text(String::new())
        } else {
            assert!(arg.starts_with('A'), "criteria {arg}");
            key.clone()
        }
    };
    let range = |arg: &str| column_of(data, &parse_range(arg, sheet));
    let selected = |keys: &[Cell], criteria: &Cell| -> Vec<bool> {
        keys.iter().map(|k| matches(k, criteria)).collect()
    };
    match name {
        "SUMIFS" | "AVERAGEIFS" | "_xlfn.MINIFS" | "_xlfn.MAXIFS" => {
            let values = range(args[0]);
            let keep = selected(&range(args[1]), &criteria(args[2]));
            let picked: Vec<Cell> = values
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(v, _)| v)
                .collect();
            let numbers = numbers_of(&picked);
            match name {
                "SUMIFS" => numbers.iter().sum(),
                "AVERAGEIFS" => numbers.iter().sum::<f64>() / numbers.len() as f64,
                "_xlfn.MINIFS" => numbers.iter().copied().fold(f64::MAX, f64::min),
                _ => numbers.iter().copied().fold(f64::MIN, f64::max),
            }
        }
        "COUNTIFS" => {
            let mut keep = selected(&range(args[0]), &criteria(args[1]));
            if args.len() == 4 {
                assert_eq!(args[3], "\"<>\"");
                for (k, cell) in keep.iter_mut().zip(range(args[2])) {
                    *k = *k && cell != Cell::Empty;
                }
            }
            keep.iter().filter(|k| **k).count() as f64
        }
        _ => {
            let numbers = numbers_of(&range(args[0]));
            let n = numbers.len() as f64;
            let mean = numbers.iter().sum::<f64>() / n;
            match name {
                "COUNT" => n,
                "AVERAGE" => mean,
                "STDEV" => {
                    (numbers.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                }
                "MIN" => numbers.iter().copied().fold(f64::MAX, f64::min),
                "MAX" => numbers.iter().copied().fold(f64::MIN, f64::max),
                "MEDIAN" => percentile(numbers, 0.5),
                "QUARTILE" => percentile(numbers, args[1].parse::<f64>().unwrap() / 4.0),
                other => panic!("unexpected function {other} in {formula}"),
            }
        }
    }
}

/// Checks every formula of a new sheet against `evaluate`, and returns how many there were.
pub fn check_new_sheet_formulas(sheet: &Value, data: &SheetModel, data_sheet: &str) -> usize {
    let rows = sheet["rows"].as_array().unwrap();
    let Some(formulas) = sheet["formulas"].as_array() else {
        return 0;
    };
    assert_eq!(formulas.len(), rows.len());
    let mut checked = 0;
    for (row, line) in rows.iter().zip(formulas) {
        let key = Cell::from_json(&row[0]);
        for (j, formula) in line.as_array().unwrap().iter().enumerate() {
            let Some(formula) = formula.as_str() else {
                continue;
            };
            let expected = evaluate(formula, data, data_sheet, &key);
            let cached = row[j]
                .as_f64()
                .unwrap_or_else(|| panic!("{formula}: {}", row[j]));
            assert!(
                (cached - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                "{formula}: cached {cached}, Excel gives {expected}"
            );
            checked += 1;
        }
    }
    checked
}

/// A new sheet's rows are `(key, number)` pairs equal to `expected`: keys exactly (text
/// stays text), numbers by value (the script may write 12 or 12.0).
pub fn assert_key_values<K: serde::Serialize>(sheet: &Value, expected: &[(K, f64)]) {
    let rows = sheet["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "{sheet}");
    for (row, (key, value)) in rows.iter().zip(expected) {
        assert_eq!(row[0], serde_json::to_value(key).unwrap(), "{sheet}");
        let got = row[1].as_f64().unwrap_or_else(|| panic!("{row}"));
        assert!(
            (got - value).abs() <= 1e-9 * value.abs().max(1.0),
            "{row} vs {value}"
        );
    }
}

/// What the offline planner writes for `prompt` on `profiles` as a job of `kind`.
pub fn offline_plan(
    kind: JobKind,
    prompt: &str,
    profiles: &[FileProfile],
    params: &Map<String, Value>,
) -> Result<Plan, PlanError> {
    let request = PlanRequest {
        kind,
        prompt,
        profiles,
        params,
        previous_error: None,
        previous_code: None,
        calls: None,
        parent: None,
    };
    let mut generate = OfflinePlanner.generate(&request);
    // The offline planner never waits: its future is ready at the first poll.
    match generate
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(planned) => planned,
        Poll::Pending => panic!("the offline planner waited"),
    }
}

/// What the offline planner writes for an excel job.
pub fn plan_excel(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    offline_plan(JobKind::Excel, prompt, profiles, &Map::new())
}
