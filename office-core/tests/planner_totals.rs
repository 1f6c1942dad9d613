//! A total row below the table and computed columns said in words, end to end: a
//! workbook written with openpyxl, profiled, planned as an excel job, its program run
//! with the real CPython, its edit script applied by the write-back, and the output read
//! back with openpyxl (formulas, and the cached values a reader without Excel sees).
//! Expected formulas and values are computed here from the rows the test wrote.

#[path = "support/planner.rs"]
mod support;

use office_core::profile_file;
use office_core::test_support::writeback_bench::apply_named;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// (item, units, price); the header is in row 1, data in rows 2..=6.
const ROWS: &[(&str, f64, f64)] = &[
    ("Pens", 12.0, 1.25),
    ("Paper", 3.0, 4.5),
    ("Ink", 7.0, 19.99),
    ("Tape", 10.0, 2.0),
    ("Glue", 1.0, 3.75),
];

fn write_book(dir: &Path) -> PathBuf {
    let path = dir.join("stock.xlsx");
    let rows: Vec<Value> = ROWS
        .iter()
        .map(|(i, u, p)| serde_json::json!([i, u, p]))
        .collect();
    run_helper(
        r#"
import json, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Stock"
ws.append(["Item", "Units", "Price"])
for row in json.loads(sys.argv[1]):
    ws.append(row)
wb.save(sys.argv[2])
"#,
        &[
            &serde_json::to_string(&rows).unwrap(),
            path.to_str().unwrap(),
        ],
    );
    path
}

/// Plans, runs and applies `prompt`; the output read back by openpyxl: per cell (A1
/// references) the formula or value, and the cached value.
fn job(prompt: &str) -> (Value, Value, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_book(dir.path());
    let profile = profile_file(&input, "stock.xlsx").unwrap();
    let plan = plan_excel(prompt, &[profile])
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    let out = run(&plan, &input, dir.path());
    let edits = read_edits(&out);
    let bytes = std::fs::read(&input).unwrap();
    let (written, _) = apply_named(&bytes, "stock.xlsx", &edits.to_string())
        .unwrap_or_else(|e| panic!("'{prompt}': the write-back refused the script: {e}"));
    let output = dir.path().join("output.xlsx");
    std::fs::write(&output, written).unwrap();
    let read = Command::new(python())
        .arg("-c")
        .arg(
            r#"
import sys, json, openpyxl
def cells(book):
    ws = book["Stock"]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
print(json.dumps([cells(openpyxl.load_workbook(sys.argv[1])),
                  cells(openpyxl.load_workbook(sys.argv[1], data_only=True))], default=str))
"#,
        )
        .arg(&output)
        .output()
        .expect("python runs");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let both: Vec<Value> = serde_json::from_slice(&read.stdout).unwrap();
    (both[0].clone(), both[1].clone(), plan.steps)
}

fn close(value: &Value, expected: f64, what: &str) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {value} is no number"));
    assert!((got - expected).abs() < 1e-9, "{what}: {got} != {expected}");
}

#[test]
fn a_total_row_sums_the_named_columns_under_the_table() {
    let (formulas, values, steps) =
        job("Sum the units and price for all items in a new row called \"Total\".");
    assert_eq!(
        steps,
        ["Added a row 'Total' below the table with the sum of Units and Price"]
    );
    assert_eq!(formulas["A7"], "Total");
    assert_eq!(formulas["B7"], "=SUM(B2:B6)");
    assert_eq!(formulas["C7"], "=SUM(C2:C6)");
    close(&values["B7"], ROWS.iter().map(|r| r.1).sum(), "B7");
    close(&values["C7"], ROWS.iter().map(|r| r.2).sum(), "C7");
    assert!(formulas.get("A8").is_none(), "one row only");
}

#[test]
fn worded_arithmetic_writes_a_formula_column() {
    let (formulas, values, _) =
        job("Add 1.5 to each value in the Price column in a new column named \"Price Plus\"");
    assert_eq!(formulas["D1"], "Price Plus");
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(formulas[format!("D{r}")], format!("=C{r}+1.5"));
        close(&values[format!("D{r}")], row.2 + 1.5, "D");
    }
    let (formulas, values, _) = job(
        "Add a new column named \"Gap\" and calculate it by subtracting \"Price\" from \"Units\" in that column.",
    );
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(formulas[format!("D{r}")], format!("=B{r}-C{r}"));
        close(&values[format!("D{r}")], row.1 - row.2, "D");
    }
}

#[test]
fn a_total_row_after_a_worded_column_totals_it_too() {
    let (formulas, values, steps) =
        job("multiply units by price in a new column named Amount, then add a total row");
    assert_eq!(steps.len(), 2, "{steps:?}");
    let amount: f64 = ROWS.iter().map(|r| r.1 * r.2).sum();
    assert_eq!(formulas["D2"], "=B2*C2");
    assert_eq!(formulas["A7"], "Total");
    assert_eq!(formulas["D7"], "=SUM(D2:D6)");
    close(&values["D7"], amount, "D7");
    close(&values["B7"], ROWS.iter().map(|r| r.1).sum(), "B7");
    let (formulas, values, _) = job("add a row of averages for price");
    assert_eq!(formulas["A7"], "Average");
    assert_eq!(formulas["C7"], "=AVERAGE(C2:C6)");
    close(
        &values["C7"],
        ROWS.iter().map(|r| r.2).sum::<f64>() / ROWS.len() as f64,
        "C7",
    );
}
