//! The offline planner's programs, run with the repo's CPython on real files: each
//! test writes a workbook (openpyxl) or a CSV, plans a request, runs the program the
//! way the executor does (INPUT_PATH, INPUT_PATHS, OUTPUT_DIR, clean environment) and
//! reads `output.xlsx` back with calamine. Expected values are computed here from the
//! same rows the test wrote, independently of pandas.

use calamine::{Data, DataType, Reader, open_workbook_auto};
use office_core::{
    ColumnProfile, ColumnType, CsvDialect, FileFormat, FileProfile, Plan, SheetProfile,
};
use planner::plan_excel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/planner.rs"]
mod planner;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

struct Sale {
    region: &'static str,
    product: &'static str,
    revenue: f64,
    cost: f64,
    quantity: i64,
    date: &'static str,
    email: &'static str,
}

const fn sale(
    region: &'static str,
    product: &'static str,
    revenue: f64,
    cost: f64,
    quantity: i64,
    date: &'static str,
    email: &'static str,
) -> Sale {
    Sale {
        region,
        product,
        revenue,
        cost,
        quantity,
        date,
        email,
    }
}

/// Row 5 repeats row 2 exactly; " north" differs from "North" in case and spacing.
const SALES: &[Sale] = &[
    sale("North", "Widget", 1200.0, 700.0, 3, "2024-01-05", "a@x.com"),
    sale("South", "Gadget", 800.0, 500.0, 2, "2024-02-10", "b@x.com"),
    sale(
        " north",
        "Widget",
        1500.0,
        900.0,
        5,
        "2024-03-15",
        "c@x.com",
    ),
    sale("East", "Gizmo", 300.0, 100.0, 1, "2024-01-20", "a@x.com"),
    sale("South", "Gadget", 800.0, 500.0, 2, "2024-02-10", "b@x.com"),
    sale(
        "West",
        "Widget",
        2500.0,
        1000.0,
        10,
        "2024-04-01",
        "d@x.com",
    ),
    sale(
        "East",
        "New York Gizmo",
        950.0,
        400.0,
        4,
        "2024-02-28",
        "e@x.com",
    ),
];

const HEADER: [&str; 7] = [
    "Region", "Product", "Revenue", "Cost", "Quantity", "Date", "Email",
];

/// Writes the sales workbook: sheet "Sales" with its header at B2 (an empty first row
/// and column), an empty row inside the data, and a second sheet "Info".
fn write_sales_workbook(dir: &Path) -> PathBuf {
    let path = dir.join("sales.xlsx");
    let rows: Vec<serde_json::Value> = SALES
        .iter()
        .map(|s| {
            serde_json::json!([
                s.region, s.product, s.revenue, s.cost, s.quantity, s.date, s.email
            ])
        })
        .collect();
    let script = r#"
import json, sys, datetime, openpyxl
header, rows, path = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Sales"
for j, name in enumerate(header):
    ws.cell(row=2, column=2 + j, value=name)
r = 3
for i, row in enumerate(rows):
    if i == 4:
        r += 1  # an empty row inside the data
    for j, value in enumerate(row):
        if j == 5:
            value = datetime.datetime.fromisoformat(value)
        ws.cell(row=r, column=2 + j, value=value)
    r += 1
info = wb.create_sheet("Info")
info["A1"] = "Source"
info["B1"] = "test"
info["A3"] = 42
wb.save(path)
"#;
    run_helper(
        script,
        &[
            &serde_json::to_string(&HEADER).unwrap(),
            &serde_json::to_string(&rows).unwrap(),
            path.to_str().unwrap(),
        ],
    );
    path
}

fn run_helper(script: &str, args: &[&str]) {
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

fn column(index: usize, name: &str, dtype: ColumnType) -> ColumnProfile {
    ColumnProfile {
        index,
        name: name.to_string(),
        dtype,
        non_null: SALES.len(),
        nulls: 0,
        distinct: SALES.len(),
        distinct_estimated: false,
        min: None,
        max: None,
        mean: None,
        date_min: None,
        date_max: None,
        samples: Vec::new(),
    }
}

/// The profile the profiler gives the sales workbook (written by hand so these tests
/// depend on the planner only).
fn sales_profile(path: &Path) -> FileProfile {
    use ColumnType::*;
    let types = [Text, Text, Float, Float, Integer, Date, Text];
    let sales = SheetProfile {
        name: "Sales".into(),
        rows: SALES.len() + 2,
        cols: HEADER.len(),
        first_row: 1,
        first_col: 1,
        header_row: Some(1),
        data_rows: SALES.len() + 1,
        columns: HEADER
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (n, t))| column(i + 1, n, t))
            .collect(),
    };
    let info = SheetProfile {
        name: "Info".into(),
        rows: 3,
        cols: 2,
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 2,
        columns: vec![column(0, "Source", Mixed), column(1, "test", Text)],
    };
    FileProfile {
        name: "sales.xlsx".into(),
        format: FileFormat::Xlsx,
        size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        sheets: vec![sales, info],
        csv: None,
        notes: Vec::new(),
    }
}

/// Runs a plan's program like the executor does and returns the output folder.
fn run(plan: &Plan, input: &Path, dir: &Path) -> PathBuf {
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

fn plan_and_run(prompt: &str) -> (Plan, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_sales_workbook(dir.path());
    let plan = plan_excel(prompt, &[sales_profile(&input)])
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    let out = run(&plan, &input, dir.path());
    (plan, out, dir)
}

/// A sheet of the output as rows of cells, from A1.
fn sheet(out: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book = open_workbook_auto(out.join("output.xlsx")).expect("output.xlsx opens");
    let range = book
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows: Vec<Vec<Data>> = vec![Vec::new(); top as usize];
    for row in range.rows() {
        let mut cells = vec![Data::Empty; left as usize];
        cells.extend(row.iter().cloned());
        rows.push(cells);
    }
    rows
}

fn sheet_names(out: &Path) -> Vec<String> {
    open_workbook_auto(out.join("output.xlsx"))
        .unwrap()
        .sheet_names()
        .to_vec()
}

/// The values of one column (by header text in row 1), below the header.
fn column_values(rows: &[Vec<Data>], header: &str) -> Vec<Data> {
    let at = rows[0]
        .iter()
        .position(|c| c.get_string() == Some(header))
        .unwrap_or_else(|| panic!("no column {header} in {:?}", rows[0]));
    rows[1..]
        .iter()
        .map(|r| r.get(at).cloned().unwrap_or(Data::Empty))
        .collect()
}

fn numbers(rows: &[Vec<Data>], header: &str) -> Vec<f64> {
    column_values(rows, header)
        .iter()
        .map(|c| {
            c.as_f64()
                .unwrap_or_else(|| panic!("{header}: {c:?} is not a number"))
        })
        .collect()
}

fn texts(rows: &[Vec<Data>], header: &str) -> Vec<String> {
    column_values(rows, header)
        .iter()
        .map(|c| c.to_string())
        .collect()
}

fn result_json(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap()
}

#[test]
fn sort_descending_keeps_other_sheets() {
    let (plan, out, _dir) = plan_and_run("sort by revenue, highest first");
    assert_eq!(plan.steps, ["Sorted by Revenue, descending"]);
    let rows = sheet(&out, "Sales");
    assert_eq!(
        rows[0].iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        HEADER
    );
    let mut expected: Vec<f64> = SALES.iter().map(|s| s.revenue).collect();
    expected.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(numbers(&rows, "Revenue"), expected);
    // The rows moved whole: each revenue still has its own email.
    let emails = texts(&rows, "Email");
    assert_eq!(emails[0], "d@x.com");

    assert_eq!(sheet_names(&out), ["Sales", "Info"]);
    let info = sheet(&out, "Info");
    assert_eq!(info[0][0].get_string(), Some("Source"));
    assert_eq!(info[0][1].get_string(), Some("test"));
    assert_eq!(info[2][0].as_f64(), Some(42.0));

    let result = result_json(&out);
    assert_eq!(result["steps"][0], "Sorted by Revenue, descending");
    assert_eq!(result["sheets"]["Sales"]["rows"], SALES.len());
    assert_eq!(result["sheets"]["Sales"]["columns"], HEADER.len());
}

#[test]
fn sort_text_ascending_ignores_case() {
    let (_, out, _dir) = plan_and_run("sort by product a to z");
    let mut expected: Vec<String> = SALES.iter().map(|s| s.product.to_string()).collect();
    expected.sort_by_key(|p| p.to_lowercase());
    assert_eq!(texts(&sheet(&out, "Sales"), "Product"), expected);
}

#[test]
fn filters_on_text_numbers_and_dates() {
    let (_, out, _dir) = plan_and_run("where region is north");
    let expected: Vec<f64> = SALES
        .iter()
        .filter(|s| s.region.trim().eq_ignore_ascii_case("north"))
        .map(|s| s.revenue)
        .collect();
    assert_eq!(expected.len(), 2);
    assert_eq!(numbers(&sheet(&out, "Sales"), "Revenue"), expected);

    let (_, out, _dir) = plan_and_run("keep rows where revenue >= 800 and date before 2024-03-01");
    let expected: Vec<f64> = SALES
        .iter()
        .filter(|s| s.revenue >= 800.0 && s.date < "2024-03-01")
        .map(|s| s.revenue)
        .collect();
    assert_eq!(numbers(&sheet(&out, "Sales"), "Revenue"), expected);
    let result = result_json(&out);
    assert!(result["steps"][0].as_str().unwrap().ends_with(&format!(
        ": {} of {} rows left",
        SALES.iter().filter(|s| s.revenue >= 800.0).count(),
        SALES.len()
    )));

    let (_, out, _dir) = plan_and_run("filter rows where product contains 'new york'");
    assert_eq!(texts(&sheet(&out, "Sales"), "Product"), ["New York Gizmo"]);

    let (_, out, _dir) = plan_and_run("remove rows where region is not South");
    let expected: Vec<String> = SALES
        .iter()
        .filter(|s| s.region == "South")
        .map(|s| s.region.to_string())
        .collect();
    assert_eq!(texts(&sheet(&out, "Sales"), "Region"), expected);
}

#[test]
fn removes_duplicates_whole_rows_and_by_column() {
    let (_, out, _dir) = plan_and_run("remove duplicates");
    assert_eq!(
        numbers(&sheet(&out, "Sales"), "Revenue").len(),
        SALES.len() - 1
    );

    let (_, out, _dir) = plan_and_run("dedupe by email, then sort by email");
    let mut seen = Vec::new();
    for s in SALES {
        if !seen.contains(&s.email) {
            seen.push(s.email);
        }
    }
    seen.sort();
    assert_eq!(texts(&sheet(&out, "Sales"), "Email"), seen);
    // The first row of each email stayed: a@x.com is the North row, not the East one.
    let rows = sheet(&out, "Sales");
    assert_eq!(texts(&rows, "Region")[0], "North");
}

#[test]
fn adds_computed_columns() {
    let (plan, out, _dir) = plan_and_run(
        "add column Margin = Revenue - Cost, then add a column called Ratio that is \
         (revenue - cost) / revenue, and create Big = quantity * 2 + 1",
    );
    assert_eq!(plan.steps.len(), 3);
    let rows = sheet(&out, "Sales");
    let margins = numbers(&rows, "Margin");
    let ratios = numbers(&rows, "Ratio");
    let big = numbers(&rows, "Big");
    for (i, s) in SALES.iter().enumerate() {
        assert_eq!(margins[i], s.revenue - s.cost);
        assert!((ratios[i] - (s.revenue - s.cost) / s.revenue).abs() < 1e-12);
        assert_eq!(big[i], (s.quantity * 2 + 1) as f64);
    }
}

#[test]
fn groups_and_aggregates_into_new_sheets() {
    let (plan, out, _dir) = plan_and_run(
        "total revenue by region, average cost per product, count orders by region, \
         max quantity for each region",
    );
    assert_eq!(plan.steps.len(), 4, "{:?}", plan.steps);
    assert_eq!(
        sheet_names(&out),
        [
            "Sales",
            "Info",
            "Revenue by Region",
            "Average Cost by Product",
            "Count by Region",
            "Max Quantity by Region"
        ]
    );

    // Sums per exact region text, sorted by key (as pandas sorts strings).
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
    let mut maxima: BTreeMap<&str, f64> = BTreeMap::new();
    for s in SALES {
        *sums.entry(s.region).or_default() += s.revenue;
        *counts.entry(s.region).or_default() += 1.0;
        let m = maxima.entry(s.region).or_insert(f64::MIN);
        *m = m.max(s.quantity as f64);
    }
    let rows = sheet(&out, "Revenue by Region");
    assert_eq!(
        texts(&rows, "Region"),
        sums.keys().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(
        numbers(&rows, "Total Revenue"),
        sums.values().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        numbers(&sheet(&out, "Count by Region"), "Count"),
        counts.values().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        numbers(&sheet(&out, "Max Quantity by Region"), "Max Quantity"),
        maxima.values().copied().collect::<Vec<_>>()
    );

    let mut costs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in SALES {
        costs.entry(s.product).or_default().push(s.cost);
    }
    let means: Vec<f64> = costs
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let got = numbers(&sheet(&out, "Average Cost by Product"), "Average Cost");
    assert_eq!(got.len(), means.len());
    for (g, m) in got.iter().zip(&means) {
        assert!((g - m).abs() < 1e-9, "{got:?} vs {means:?}");
    }
}

/// "median" is a word of the shared vocabulary (analytics knew it, Excel did not); the
/// median per group is computed here: the middle value, or the mean of the two middle
/// values for an even count.
#[test]
fn median_per_group_is_the_middle_value() {
    let (plan, out, _dir) = plan_and_run("median revenue by product");
    assert_eq!(plan.steps.len(), 1, "{:?}", plan.steps);
    let mut revenues: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in SALES {
        revenues.entry(s.product).or_default().push(s.revenue);
    }
    let medians: Vec<f64> = revenues
        .values()
        .map(|v| {
            let mut v = v.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        })
        .collect();
    // The data tells a median from a mean (Widget: 1200, 1500, 2500).
    let means: Vec<f64> = revenues
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    assert_ne!(medians, means);
    let rows = sheet(&out, "Median Revenue by Product");
    assert_eq!(
        texts(&rows, "Product"),
        revenues.keys().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(numbers(&rows, "Median Revenue"), medians);
}

#[test]
fn describe_writes_summary_statistics() {
    let (_, out, _dir) = plan_and_run("remove duplicates. describe");
    let rows = sheet(&out, "Summary statistics");
    let labels = texts(&rows, "statistic");
    assert_eq!(
        labels,
        ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    );
    let revenue = numbers(&rows, "Revenue");
    let mut unique: Vec<&Sale> = Vec::new();
    for s in SALES {
        if !unique
            .iter()
            .any(|u| u.region == s.region && u.email == s.email && u.revenue == s.revenue)
        {
            unique.push(s);
        }
    }
    assert_eq!(revenue[0], unique.len() as f64);
    let mean = unique.iter().map(|s| s.revenue).sum::<f64>() / unique.len() as f64;
    assert!((revenue[1] - mean).abs() < 1e-9);
    assert_eq!(
        revenue[3],
        unique.iter().map(|s| s.revenue).fold(f64::MAX, f64::min)
    );
    // Text columns are not described.
    assert!(!rows[0].iter().any(|c| c.get_string() == Some("Region")));
}

#[test]
fn hostile_column_names_are_data_not_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.xlsx");
    let evil = "x\"]; import os #";
    let script = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append([sys.argv[1], "Name"])
for value, name in [(3, "c"), (10, "a"), (7, "b")]:
    ws.append([value, name])
wb.save(sys.argv[2])
"#;
    run_helper(script, &[evil, path.to_str().unwrap()]);
    let sheet_profile = SheetProfile {
        name: "Data".into(),
        rows: 4,
        cols: 2,
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 3,
        columns: vec![
            column(0, evil, ColumnType::Integer),
            column(1, "Name", ColumnType::Text),
        ],
    };
    let profile = FileProfile {
        name: "evil.xlsx".into(),
        format: FileFormat::Xlsx,
        size: 0,
        sheets: vec![sheet_profile],
        csv: None,
        notes: Vec::new(),
    };
    let plan = plan_excel("sort by 'x\"]; import os #' descending", &[profile]).unwrap();
    let out = run(&plan, &path, dir.path());
    let rows = sheet(&out, "Data");
    assert_eq!(rows[0][0].get_string(), Some(evil));
    assert_eq!(numbers(&rows, evil), [10.0, 7.0, 3.0]);
    assert_eq!(texts(&rows, "Name"), ["a", "b", "c"]);
}

#[test]
fn csv_with_semicolons_decimal_comma_bom_and_non_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("umsatz.csv");
    let rows = [
        ("Zürich", 10.5),
        ("東京", 4.0),
        ("Zürich", 1.5),
        ("Москва", 7.25),
        ("東京", 2.0),
    ];
    let mut text = String::from("\u{feff}Stadt;Umsatz €\n");
    for (city, amount) in rows {
        // A European export: decimal comma.
        text.push_str(&format!(
            "{city};{}\n",
            amount.to_string().replace('.', ",")
        ));
    }
    std::fs::write(&path, text).unwrap();
    let profile = FileProfile {
        name: "umsatz.csv".into(),
        format: FileFormat::Csv,
        size: 0,
        sheets: vec![SheetProfile {
            name: "umsatz".into(),
            rows: rows.len() + 1,
            cols: 2,
            first_row: 0,
            first_col: 0,
            header_row: Some(0),
            data_rows: rows.len(),
            columns: vec![
                column(0, "Stadt", ColumnType::Text),
                column(1, "Umsatz €", ColumnType::Float),
            ],
        }],
        csv: Some(CsvDialect {
            delimiter: ';',
            quote: '"',
            encoding: "utf-8".into(),
            has_bom: true,
            decimal: ',',
        }),
        notes: Vec::new(),
    };
    let plan = plan_excel(
        "sum of umsatz € by stadt, then sort by umsatz € descending",
        &[profile],
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    let out = run(&plan, &path, dir.path());
    assert_eq!(sheet_names(&out), ["umsatz", "Umsatz € by Stadt"]);
    let data = sheet(&out, "umsatz");
    let mut amounts: Vec<f64> = rows.iter().map(|r| r.1).collect();
    amounts.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(numbers(&data, "Umsatz €"), amounts);

    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for (city, amount) in rows {
        *sums.entry(city).or_default() += amount;
    }
    let grouped = sheet(&out, "Umsatz € by Stadt");
    assert_eq!(
        texts(&grouped, "Stadt"),
        sums.keys().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(
        numbers(&grouped, "Total Umsatz €"),
        sums.values().copied().collect::<Vec<_>>()
    );
}

/// The planner on the profiler's own profile of the workbook, end to end.
#[test]
fn works_on_the_profilers_profile() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_sales_workbook(dir.path());
    let profile = office_core::profile_file(&input, "sales.xlsx")
        .unwrap_or_else(|e| panic!("profiling failed: {e}"));
    let plan = plan_excel(
        "remove duplicates, then sort by revenue descending",
        &[profile],
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    let out = run(&plan, &input, dir.path());
    let mut expected: Vec<f64> = SALES.iter().map(|s| s.revenue).collect();
    expected.sort_by(|a, b| b.total_cmp(a));
    expected.dedup_by(|a, b| a == b && *a == 800.0);
    assert_eq!(numbers(&sheet(&out, "Sales"), "Revenue"), expected);
}
