//! Text joined from columns, TRUE/FALSE columns, powers and values said as people say
//! them, end to end: a workbook written with openpyxl, profiled, planned as an excel
//! job, its program run with the real CPython, its edit script applied by the
//! write-back, and the output read back with openpyxl (formulas, and the cached values a
//! reader without Excel sees). Expected formulas and values are computed here from the
//! rows the test wrote.

#[path = "support/planner.rs"]
mod support;

use office_core::profile_file;
use office_core::test_support::writeback_bench::apply_named;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// One row: item, units, price, added, list price as text.
type Row = (&'static str, f64, f64, &'static str, &'static str);

/// (item, units, price, added); the header is in row 1, data in rows 2..=5. Prices as
/// text ("$1,250.00") in the last column, typed as numbers by the profile.
const ROWS: &[Row] = &[
    ("Pens", 12.0, 1.25, "2023-11-30", "$1,250.00"),
    ("Paper", 3.0, 1.0 / 3.0, "2024-01-02", "$980.50"),
    ("Ink", 7.0, 19.99, "2024-06-15", "$2,000.00"),
    ("Tape", 10.0, 2.0, "2025-01-01", "$15.00"),
];

fn write_book(dir: &Path) -> PathBuf {
    let path = dir.join("stock.xlsx");
    let rows: Vec<Value> = ROWS
        .iter()
        .map(|(i, u, p, d, list)| serde_json::json!([i, u, p, d, list]))
        .collect();
    run_helper(
        r#"
import datetime, json, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Stock"
ws.append(["Item", "Units", "Price", "Added", "List"])
for item, units, price, added, listed in json.loads(sys.argv[1]):
    ws.append([item, int(units), price, datetime.date.fromisoformat(added), listed])
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
/// references) the formula or value, and the cached value; and the steps.
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
    assert!(
        (got - expected).abs() < 1e-9 * expected.abs().max(1.0),
        "{what}: {got} != {expected}"
    );
}

/// A number as Excel's `&` writes it, for the numbers of `ROWS`: whole numbers without
/// a fraction, others with up to 15 significant digits.
fn excel_text(n: f64) -> String {
    if n.fract() == 0.0 {
        return format!("{}", n as i64);
    }
    let digits = 15 - (n.abs().log10().floor() as i32 + 1);
    let text = format!("{n:.*}", digits.max(0) as usize);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[test]
fn concatenation_writes_a_text_formula_with_excels_text_of_numbers() {
    let (formulas, values, _) = job(
        "In a new column named \"Line\", concatenate each cell value in Item, Units, and Price \
         columns into the pattern \"[Item] x[Units] at [Price Value]\". Do this for all rows.",
    );
    assert_eq!(formulas["F1"], "Line");
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(
            formulas[format!("F{r}")],
            format!("=A{r}&\" x\"&B{r}&\" at \"&C{r}")
        );
        let expected = format!("{} x{} at {}", row.0, excel_text(row.1), excel_text(row.2));
        assert_eq!(values[format!("F{r}")], expected.as_str());
    }
    assert_eq!(values["F3"], "Paper x3 at 0.333333333333333");

    let (formulas, values, _) =
        job("concatenate Item and Units with \u{201c}-\u{201d} in a new column named Tag");
    assert_eq!(formulas["F2"], "=A2&\"-\"&B2");
    assert_eq!(values["F2"], "Pens-12");
}

#[test]
fn headers_and_values_of_a_range_named_by_the_next_sentence() {
    let (formulas, values, steps) = job(
        "Concatenate the header and the value of each column from A to C for all rows in the \
         following format: \"Header A: Value A, Header B: Value B, ..., Header C: Value C\". \
         Write the results in column F named \"Combined Info\".",
    );
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(formulas["F1"], "Combined Info");
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(
            formulas[format!("F{r}")],
            format!("=A$1&\": \"&A{r}&\", \"&B$1&\": \"&B{r}&\", \"&C$1&\": \"&C{r}")
        );
        let expected = format!(
            "Item: {}, Units: {}, Price: {}",
            row.0,
            excel_text(row.1),
            excel_text(row.2)
        );
        assert_eq!(values[format!("F{r}")], expected.as_str());
    }
}

#[test]
fn a_true_false_column_marks_the_rows_of_a_condition() {
    let (formulas, values, steps) = job(
        "In a new column titled \"Many\", mark the rows whose \"Units\" is no less than 7 with \
         True",
    );
    assert_eq!(
        steps,
        ["Added column Many = TRUE where Units is at least 7"]
    );
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(
            formulas[format!("F{r}")],
            format!("=IFERROR(AND(B{r}<>\"\",--B{r}>=7),FALSE)")
        );
        assert_eq!(values[format!("F{r}")], row.1 >= 7.0, "F{r}");
    }
    let (formulas, values, _) = job(
        "In a new column titled \"Many\", mark the rows whose Units is at least 7 with True and \
         count them in an underneath row",
    );
    assert_eq!(formulas["F6"], "=COUNTIF(F2:F5,TRUE)");
    let many = ROWS.iter().filter(|r| r.1 >= 7.0).count();
    assert_eq!(values["F6"], many);
    assert!(formulas.get("A6").is_none(), "no label asked for");
    // Numbers written as text are compared as numbers, in the formula as in the values.
    let (formulas, values, _) =
        job("flag rows where List is over $1k in a new column named \"Big\"");
    assert_eq!(formulas["F2"], "=IFERROR(AND(E2<>\"\",--E2>1000),FALSE)");
    for (k, row) in ROWS.iter().enumerate() {
        let listed: f64 = row
            .4
            .trim_start_matches('$')
            .replace(',', "")
            .parse()
            .unwrap();
        assert_eq!(values[format!("F{}", k + 2)], listed > 1000.0);
    }
    let (formulas, values, _) =
        job("flag rows where Item contains 'p' in a new column named \"Has P\"");
    assert_eq!(formulas["F2"], "=ISNUMBER(SEARCH(\"p\",A2))");
    for (k, row) in ROWS.iter().enumerate() {
        let has = row.0.to_lowercase().contains('p');
        assert_eq!(values[format!("F{}", k + 2)], has);
    }
}

#[test]
fn powers_are_excel_powers() {
    let (formulas, values, _) = job(
        "Calculate the Grown column right after column E by multiplying the Price with (1 + \
         Units / 100) raised to the power of (Units / 2)",
    );
    assert_eq!(formulas["F1"], "Grown");
    for (k, row) in ROWS.iter().enumerate() {
        let r = k + 2;
        assert_eq!(
            formulas[format!("F{r}")],
            format!("=C{r}*((1+(B{r}/100))^(B{r}/2))")
        );
        close(
            &values[format!("F{r}")],
            row.2 * (1.0 + row.1 / 100.0).powf(row.1 / 2.0),
            "F",
        );
    }
}

#[test]
fn values_said_as_people_say_them_keep_the_right_rows() {
    // Rows are kept by sheet row; read back the items left in column A.
    let items = |formulas: &Value| -> Vec<String> {
        (2..=5)
            .filter_map(|r| formulas.get(format!("A{r}")).and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    };
    let expect = |keep: &dyn Fn(&Row) -> bool| -> Vec<String> {
        ROWS.iter()
            .filter(|r| keep(r))
            .map(|r| r.0.to_string())
            .collect()
    };
    let (formulas, _, _) = job("keep rows where Added is in 2024");
    assert_eq!(items(&formulas), expect(&|r| r.3.starts_with("2024")));
    let (formulas, _, _) = job("remove rows where Added is before 2024");
    assert_eq!(items(&formulas), expect(&|r| r.3 >= "2024"));
    let (formulas, _, _) = job("keep rows where List is more than $1k");
    let listed = |r: &Row| {
        r.4.trim_start_matches('$')
            .replace(',', "")
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(items(&formulas), expect(&|r| listed(r) > 1000.0));
    let (formulas, _, _) = job("keep rows where item is PAPER");
    assert_eq!(items(&formulas), ["Paper"]);
}

#[test]
fn a_renamed_column_keeps_its_cells_and_later_steps_use_the_new_name() {
    let (formulas, values, steps) =
        job("rename Price to Unit Price, then sort by unit price descending");
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(formulas["C1"], "Unit Price");
    assert_eq!(formulas["A1"], "Item");
    let mut prices: Vec<f64> = ROWS.iter().map(|r| r.2).collect();
    prices.sort_by(|a, b| b.total_cmp(a));
    for (k, price) in prices.iter().enumerate() {
        close(&values[format!("C{}", k + 2)], *price, "C");
    }
    // A column added by a step before is renamed where it is added.
    let (formulas, _, _) = job("add column Twice = Units * 2, then rename Twice to Double");
    assert_eq!(formulas["F1"], "Double");
    assert_eq!(formulas["F2"], "=B2*2");
}

#[test]
fn empty_cells_are_filled_as_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("gaps.xlsx");
    run_helper(
        r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Gaps"
ws.append(["Region", "Sales"])
for row in [["North", 10], [None, 20], ["South", None], [None, 41], ["East", 30]]:
    ws.append(row)
wb.save(sys.argv[1])
"#,
        &[input.to_str().unwrap()],
    );
    let read = |prompt: &str| -> Value {
        let profile = profile_file(&input, "gaps.xlsx").unwrap();
        let plan = plan_excel(prompt, &[profile])
            .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
        let out = run(&plan, &input, dir.path());
        let edits = read_edits(&out);
        let bytes = std::fs::read(&input).unwrap();
        let (written, _) = apply_named(&bytes, "gaps.xlsx", &edits.to_string()).unwrap();
        let output = dir.path().join("output.xlsx");
        std::fs::write(&output, written).unwrap();
        let got = Command::new(python())
            .arg("-c")
            .arg(
                "import sys, json, openpyxl\n\
                 ws = openpyxl.load_workbook(sys.argv[1])['Gaps']\n\
                 print(json.dumps([[c.value for c in r] for r in ws.iter_rows(min_row=2)]))",
            )
            .arg(&output)
            .output()
            .unwrap();
        serde_json::from_slice(&got.stdout).unwrap()
    };
    let rows = read("fill down Region, then fill missing Sales with the mean");
    // The mean of the four numbers, computed here.
    let mean = (10.0 + 20.0 + 41.0 + 30.0) / 4.0;
    assert_eq!(
        rows,
        serde_json::json!([
            ["North", 10],
            ["North", 20],
            ["South", mean],
            ["South", 41],
            ["East", 30]
        ])
    );
    // Per group, groups in the order they first appear (the empty one too), each
    // ranked; the South row has no number and is left out.
    let rows = read("top 1 sales per region");
    assert_eq!(
        rows,
        serde_json::json!([["North", 10], [null, 41], ["East", 30]])
    );
    let rows = read("fill the blanks in Region with 'Unknown', then keep rows where Sales > 15");
    assert_eq!(
        rows,
        serde_json::json!([["Unknown", 20], ["Unknown", 41], ["East", 30]])
    );
}

#[test]
fn the_top_rows_overall_and_per_group_come_out_ranked() {
    let items = |formulas: &Value| -> Vec<String> {
        (2..=5)
            .filter_map(|r| formulas.get(format!("A{r}")).and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    };
    // Ranked here by price, largest first.
    let mut ranked: Vec<&Row> = ROWS.iter().collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2));
    let (formulas, _, _) = job("top 2 items by price");
    let expected: Vec<String> = ranked.iter().take(2).map(|r| r.0.to_string()).collect();
    assert_eq!(items(&formulas), expected);
    // Per group (the year added, as text in no column): per Item, each row is its group.
    let (formulas, _, _) = job("bottom 1 units per item");
    let expected: Vec<String> = ROWS.iter().map(|r| r.0.to_string()).collect();
    assert_eq!(items(&formulas), expected);
}

/// Renaming a header inside a real Excel table (`table-multiple.xlsx`, table
/// `Inventory`) renames the table's column too, so Excel opens the file without a repair.
#[test]
fn a_renamed_header_in_an_excel_table_renames_the_table_column() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/book/table-multiple.xlsx");
    let profile = profile_file(&input, "table-multiple.xlsx").unwrap();
    let plan = plan_excel("rename Quantity to Units in stock", &[profile])
        .unwrap_or_else(|e| panic!("not planned: {}", e.message));
    let out = run(&plan, &input, dir.path());
    let edits = read_edits(&out);
    let bytes = std::fs::read(&input).unwrap();
    let (written, _) = apply_named(&bytes, "table-multiple.xlsx", &edits.to_string())
        .unwrap_or_else(|e| panic!("the write-back refused the script: {e}"));
    let output = dir.path().join("output.xlsx");
    std::fs::write(&output, written).unwrap();
    let read = Command::new(python())
        .arg("-c")
        .arg(
            r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
table = next(iter(ws.tables.values()))
print(ws["C1"].value, "|", [c.name for c in table.tableColumns])
"#,
        )
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        "Units in stock | ['Item', 'Type', 'Units in stock']",
        "the header cell and the table column agree"
    );
}
