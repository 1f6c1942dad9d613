//! The look operations (number formats, highlights, frozen header, filter, charts) on
//! real files: each request is profiled and planned as an excel job, its program run
//! with the real CPython, its edit script applied to the file by the write-back, and
//! the output read back with openpyxl. Expected ranges and counts are computed here from
//! the file itself, independently of the planner.
//!
//! Files: `tests/fixtures/real/vega/seattle-weather.csv` (NOAA, public domain; the test
//! skips when it is absent), and `tests/fixtures/book/table-multiple.xlsx`
//! (calamine, MIT) from the repository.

#[path = "support/planner.rs"]
mod support;

use office_core::profile_file;
use office_core::test_support::writeback_bench::apply_named;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn weather() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real/vega/seattle-weather.csv");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: seattle-weather.csv is not here");
        None
    }
}

fn book_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/book")
        .join(name)
}

/// Plans `prompt` on `input`, runs the program, applies its script: the output
/// workbook's path, and the edit script.
fn job(prompt: &str, input: &Path, dir: &Path) -> (PathBuf, Value) {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let copy = dir.join(&name);
    std::fs::copy(input, &copy).unwrap();
    let profile = profile_file(&copy, &name).unwrap();
    let plan = plan_excel(prompt, &[profile])
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    let out = run(&plan, &copy, dir);
    let edits = read_edits(&out);
    let bytes = std::fs::read(&copy).unwrap();
    let (written, _) = apply_named(&bytes, &name, &edits.to_string())
        .unwrap_or_else(|e| panic!("'{prompt}': the write-back refused the script: {e}"));
    let output = dir.join("output.xlsx");
    std::fs::write(&output, written).unwrap();
    (output, edits)
}

/// What openpyxl reads of a sheet's look.
const READ: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb:
    rules = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill else None
            rules.append({"range": str(cf.sqref), "type": rule.type, "formula": list(rule.formula),
                          "fill": fill})
    charts = []
    for ch in ws._charts:
        title = "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or []))
        def axis(a):
            t = getattr(a, "title", None)
            return "".join(r.t for p in t.tx.rich.p for r in (p.r or [])) if t else None
        charts.append({"type": type(ch).__name__, "title": title,
                       "x_title": axis(ch.x_axis) if hasattr(ch, "x_axis") else None,
                       "bar_dir": getattr(ch, "barDir", None),
                       "series": [[s.cat.strRef.f if s.cat and s.cat.strRef else
                                   (s.cat.numRef.f if s.cat and s.cat.numRef else None),
                                   s.val.numRef.f] for s in ch.series]})
    formats = {}
    for col in ws.iter_cols(min_row=2, max_row=min(ws.max_row, 4)):
        formats[col[0].column_letter] = [c.number_format for c in col]
    out[ws.title] = {"rules": rules, "charts": charts, "freeze": ws.freeze_panes,
                     "filter": ws.auto_filter.ref, "formats": formats,
                     "max_row": ws.max_row, "max_col": ws.max_column,
                     "a": [ws.cell(r, 1).value for r in range(1, min(ws.max_row, 8) + 1)]}
print(json.dumps(out, default=str))
"#;

fn read_back(path: &Path) -> Value {
    let out = Command::new(python())
        .arg("-c")
        .arg(READ)
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The weather file's rows, read here: (precipitation, weather).
fn weather_rows(path: &Path) -> Vec<(f64, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap(), f[5].to_string())
        })
        .collect()
}

#[test]
fn weather_highlight_format_freeze_and_filter_in_one_request() {
    let Some(input) = weather() else { return };
    let rows = weather_rows(&input);
    let last = rows.len() as u32 + 1;
    let dir = tempfile::tempdir().unwrap();
    let (output, edits) = job(
        "highlight rows where precipitation > 10 in yellow, format wind with 2 decimals, \
         freeze the header and add a filter",
        &input,
        dir.path(),
    );
    let wet = rows.iter().filter(|(p, _)| *p > 10.0).count();
    let steps: Vec<String> = serde_json::from_value(edits["steps"].clone()).unwrap();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(
        steps[0].ends_with(&format!("({wet} rows now)")),
        "{steps:?}"
    );
    let read = read_back(&output);
    let sheet = &read["seattle-weather"];
    let rule = &sheet["rules"][0];
    assert_eq!(rule["range"], format!("A2:F{last}"));
    assert_eq!(rule["type"], "expression");
    assert_eq!(rule["formula"][0], "AND(ISNUMBER($B2),$B2>10)");
    assert_eq!(rule["fill"], "FFFFEB9C");
    assert_eq!(sheet["formats"]["E"], serde_json::json!(vec!["0.00"; 3]));
    // Untouched: precipitation keeps the look the CSV typed it with (`0.0`, `10.9`).
    assert_eq!(sheet["formats"]["B"], serde_json::json!(vec!["0.0"; 3]));
    assert_eq!(sheet["freeze"], "A2");
    assert_eq!(sheet["filter"], format!("A1:F{last}"));
}

#[test]
fn weather_chart_of_a_repeated_category_sums_it_on_a_new_sheet() {
    let Some(input) = weather() else { return };
    let rows = weather_rows(&input);
    let mut kinds: Vec<String> = rows.iter().map(|(_, w)| w.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let dir = tempfile::tempdir().unwrap();
    let (output, edits) = job("bar chart of precipitation by weather", &input, dir.path());
    let read = read_back(&output);
    let name = "precipitation by weather";
    let sheet = &read[name];
    assert!(sheet.is_object(), "{read}");
    let n = kinds.len() as u32;
    assert_eq!(sheet["max_row"], n + 1);
    let chart = &sheet["charts"][0];
    assert_eq!(chart["type"], "BarChart");
    assert_eq!(chart["bar_dir"], "bar");
    assert_eq!(chart["title"], name);
    assert_eq!(
        chart["series"][0],
        serde_json::json!([
            format!("'{name}'!$A$2:$A${}", n + 1),
            format!("'{name}'!$B$2:$B${}", n + 1)
        ])
    );
    // The sums are SUMIFS over the data, so the chart follows it.
    let new = &edits["new_sheets"][0];
    assert!(
        new["formulas"][0][1]
            .as_str()
            .unwrap()
            .starts_with("=SUMIFS("),
        "{new}"
    );
    let total: f64 = rows.iter().map(|(p, _)| p).sum();
    let sheet_total: f64 = new["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_f64().unwrap())
        .sum();
    assert!((total - sheet_total).abs() < 1e-6);
}

#[test]
fn weather_line_chart_over_the_sheets_own_rows() {
    let Some(input) = weather() else { return };
    let last = weather_rows(&input).len() + 1;
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = job(
        "line chart of temp_max by date titled \"Daily high\"",
        &input,
        dir.path(),
    );
    let read = read_back(&output);
    let chart = &read["seattle-weather"]["charts"][0];
    assert_eq!(chart["type"], "LineChart");
    assert_eq!(chart["title"], "Daily high");
    assert_eq!(chart["x_title"], "date", "the axes are labelled");
    assert_eq!(
        chart["series"][0],
        serde_json::json!([
            format!("'seattle-weather'!$A$2:$A${last}"),
            format!("'seattle-weather'!$C$2:$C${last}")
        ])
    );
}

#[test]
fn a_workbook_with_tables_gets_currency_a_highlight_and_a_pie_chart() {
    let dir = tempfile::tempdir().unwrap();
    let input = book_fixture("table-multiple.xlsx");
    // Sheet1: Item, Type, Quantity (Apple 50, Banana 200, Orange 60, ...).
    let (output, _) = job(
        "format Quantity as currency, highlight cells in Quantity above 55 and make a pie chart of Quantity by Type",
        &input,
        dir.path(),
    );
    let read = read_back(&output);
    let sheet = &read["Sheet1"];
    assert_eq!(
        sheet["formats"]["C"],
        serde_json::json!(vec!["$#,##0.00"; 3])
    );
    let rule = &sheet["rules"][0];
    assert_eq!(rule["range"], "C2:C5");
    assert_eq!(rule["type"], "expression");
    assert_eq!(rule["formula"][0], "AND(ISNUMBER(C2),C2>55)");
    let chart = &sheet["charts"][0];
    assert_eq!(chart["type"], "PieChart");
    assert_eq!(chart["title"], "Quantity by Type");
    assert_eq!(
        chart["series"][0],
        serde_json::json!(["'Sheet1'!$B$2:$B$5", "'Sheet1'!$C$2:$C$5"])
    );
}
