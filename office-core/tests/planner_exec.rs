//! The offline planner's programs, run with the repo's CPython on real files: each
//! test writes a workbook (openpyxl) or a CSV, plans a request, runs the program the
//! way the executor does (INPUT_PATH, INPUT_PATHS, OUTPUT_DIR, clean environment) and
//! reads the edit script it wrote (`edits.json`; it writes no workbook). Expected rows,
//! values and formula results are computed here from the same rows the test wrote,
//! independently of pandas; formulas are evaluated here with Excel's semantics over a
//! model of the output sheet.

#[path = "support/planner.rs"]
mod support;

use office_core::{ColumnProfile, ColumnType, FileFormat, FileProfile, Plan, SheetProfile};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::*;

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
        day_first: false,
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

fn plan_and_run(prompt: &str) -> (Plan, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_sales_workbook(dir.path());
    let plan = plan_excel(prompt, &[sales_profile(&input)])
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    assert_eq!(plan.output.as_deref(), Some("edits.json"));
    let out = run(&plan, &input, dir.path());
    (plan, out, dir)
}

/// The sheet row of `SALES[i]`: data from row 3, an empty row 7 after the fourth.
fn sheet_row(i: usize) -> u32 {
    if i < 4 { 3 + i as u32 } else { 4 + i as u32 }
}

/// The row with no cell in the table; it stays, at the table's end when rows move.
const BLANK_ROW: u32 = 7;

/// The output rows for the sales indices kept, in order: the empty row last.
fn rows_of(indices: &[usize]) -> Vec<u32> {
    let mut rows: Vec<u32> = indices.iter().map(|&i| sheet_row(i)).collect();
    rows.push(BLANK_ROW);
    rows
}

/// The sales sheet as cells: columns B..H, header in row 2.
fn sales_model() -> SheetModel {
    let mut model = SheetModel::new();
    for (j, name) in HEADER.iter().enumerate() {
        model.insert((letter(2 + j as u32), 2), Cell::Text(name.to_string()));
    }
    for (i, s) in SALES.iter().enumerate() {
        let cells = [
            Cell::Text(s.region.into()),
            Cell::Text(s.product.into()),
            Cell::Number(s.revenue),
            Cell::Number(s.cost),
            Cell::Number(s.quantity as f64),
            Cell::Text(s.date.into()),
            Cell::Text(s.email.into()),
        ];
        for (j, cell) in cells.into_iter().enumerate() {
            model.insert((letter(2 + j as u32), sheet_row(i)), cell);
        }
    }
    model
}

/// Sales indices sorted stably by `key`.
fn order_by<K: PartialOrd>(key: impl Fn(&Sale) -> K, descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..SALES.len()).collect();
    order.sort_by(|&a, &b| {
        let ord = key(&SALES[a]).partial_cmp(&key(&SALES[b])).unwrap();
        if descending { ord.reverse() } else { ord }
    });
    order
}

fn where_sales(pred: impl Fn(&Sale) -> bool) -> Vec<usize> {
    (0..SALES.len()).filter(|&i| pred(&SALES[i])).collect()
}

#[test]
fn sort_descending_lists_rows_and_touches_no_other_sheet() {
    let (plan, out, _dir) = plan_and_run("sort by revenue, highest first");
    assert_eq!(plan.steps, ["Sorted by Revenue, descending"]);
    let edits = read_edits(&out);
    let edit = sheet_edit(&edits);
    assert_eq!(edit["sheet"], "Sales");
    assert_eq!(
        edit["table"],
        json!({"header_row": 2, "first_row": 3, "last_row": 10, "first_col": 2, "last_col": 8})
    );
    let expected = rows_of(&order_by(|s| s.revenue, true));
    assert_eq!(kept_rows(&edits), Some(expected.clone()));
    assert_eq!(expected[0], sheet_row(5), "the West row, 2500, first");
    assert!(edit["add_columns"].is_null() && edit["set_cells"].is_null());
    assert!(edits["new_sheets"].as_array().unwrap().is_empty());

    assert_eq!(edits["steps"], json!(["Sorted by Revenue, descending"]));
    let result = result_json(&out);
    assert_eq!(result["steps"][0], "Sorted by Revenue, descending");
    assert_eq!(result["sheets"]["Sales"]["rows"], SALES.len() + 1);
    assert_eq!(result["sheets"]["Sales"]["columns"], HEADER.len());
}

#[test]
fn sort_text_ascending_ignores_case() {
    let (_, out, _dir) = plan_and_run("sort by product a to z");
    let expected = rows_of(&order_by(|s| s.product.to_lowercase(), false));
    assert_eq!(kept_rows(&read_edits(&out)), Some(expected));
}

#[test]
fn filters_on_text_numbers_and_dates() {
    let (_, out, _dir) = plan_and_run("where region is north");
    let kept = where_sales(|s| s.region.trim().eq_ignore_ascii_case("north"));
    assert_eq!(kept.len(), 2);
    assert_eq!(kept_rows(&read_edits(&out)), Some(rows_of(&kept)));

    let (_, out, _dir) = plan_and_run("keep rows where revenue >= 800 and date before 2024-03-01");
    let kept = where_sales(|s| s.revenue >= 800.0 && s.date < "2024-03-01");
    let edits = read_edits(&out);
    assert_eq!(kept_rows(&edits), Some(rows_of(&kept)));
    assert!(edits["steps"][0].as_str().unwrap().ends_with(&format!(
        ": {} of {} rows left",
        SALES.iter().filter(|s| s.revenue >= 800.0).count(),
        SALES.len()
    )));

    let (_, out, _dir) = plan_and_run("filter rows where product contains 'new york'");
    assert_eq!(kept_rows(&read_edits(&out)), Some(rows_of(&[6])));

    let (_, out, _dir) = plan_and_run("remove rows where region is not South");
    let kept = where_sales(|s| s.region == "South");
    assert_eq!(kept_rows(&read_edits(&out)), Some(rows_of(&kept)));
}

#[test]
fn removes_duplicates_whole_rows_and_by_column() {
    let (_, out, _dir) = plan_and_run("remove duplicates");
    // SALES[4] repeats SALES[1] exactly.
    let kept: Vec<usize> = (0..SALES.len()).filter(|&i| i != 4).collect();
    assert_eq!(kept_rows(&read_edits(&out)), Some(rows_of(&kept)));

    let (_, out, _dir) = plan_and_run("dedupe by email, then sort by email");
    let mut first_of_each: Vec<usize> = Vec::new();
    for (i, s) in SALES.iter().enumerate() {
        if !first_of_each.iter().any(|&k| SALES[k].email == s.email) {
            first_of_each.push(i);
        }
    }
    first_of_each.sort_by_key(|&i| SALES[i].email);
    // The first row of each email stayed: a@x.com is the North row, not the East one.
    assert_eq!(first_of_each[0], 0);
    assert_eq!(kept_rows(&read_edits(&out)), Some(rows_of(&first_of_each)));
}

#[test]
fn computed_columns_are_formulas_in_the_sheets_letters_with_cached_values() {
    let (plan, out, _dir) = plan_and_run(
        "add column Margin = Revenue - Cost, then add a column called Ratio that is \
         (revenue - cost) / revenue, and create Big = quantity * 2 + 1, \
         then add column Share = margin / revenue",
    );
    assert_eq!(plan.steps.len(), 4);
    let edits = read_edits(&out);
    assert_eq!(kept_rows(&edits), None, "no row moved");
    let columns = sheet_edit(&edits)["add_columns"]
        .as_array()
        .unwrap()
        .clone();
    let headers: Vec<&str> = columns
        .iter()
        .map(|c| c["header"].as_str().unwrap())
        .collect();
    assert_eq!(headers, ["Margin", "Ratio", "Big", "Share"]);
    // Revenue is D, Cost E, Quantity F; Margin, added first, is I.
    assert_eq!(columns[0]["formula"], "=D{r}-E{r}");
    // The empty row 7 reads 0/0: the formula gives an empty cell there, not #DIV/0!.
    assert_eq!(columns[1]["formula"], "=IFERROR((D{r}-E{r})/D{r},\"\")");
    assert_eq!(columns[2]["formula"], "=(F{r}*2)+1");
    assert_eq!(columns[3]["formula"], "=IFERROR(I{r}/D{r},\"\")");
    assert!(
        edits["steps"][1]
            .as_str()
            .unwrap()
            .ends_with("(empty in 1 row where Excel gives #DIV/0!)"),
        "{}",
        edits["steps"][1]
    );
    // Values per sheet row 3..=10, as Excel computes them (an empty cell is 0).
    let mut by_row: BTreeMap<u32, &Sale> = BTreeMap::new();
    for (i, s) in SALES.iter().enumerate() {
        by_row.insert(sheet_row(i), s);
    }
    for (k, row) in (3..=10u32).enumerate() {
        let value = |c: usize| columns[c]["values"][k].clone();
        match by_row.get(&row) {
            Some(s) => {
                assert_eq!(value(0).as_f64(), Some(s.revenue - s.cost));
                let ratio = value(1).as_f64().unwrap();
                assert!((ratio - (s.revenue - s.cost) / s.revenue).abs() < 1e-12);
                assert_eq!(value(2).as_f64(), Some((s.quantity * 2 + 1) as f64));
                let share = value(3).as_f64().unwrap();
                assert!((share - (s.revenue - s.cost) / s.revenue).abs() < 1e-12);
            }
            None => {
                assert_eq!(row, BLANK_ROW);
                assert_eq!(value(0).as_f64(), Some(0.0));
                assert_eq!(value(1), json!(""));
                assert_eq!(value(2).as_f64(), Some(1.0));
                assert_eq!(value(3), json!(""));
            }
        }
    }
}

#[test]
fn groups_are_formulas_over_the_output_rows_with_results_cached() {
    let (plan, out, _dir) = plan_and_run(
        "total revenue by region, average cost per product, count orders by region, \
         max quantity for each region",
    );
    assert_eq!(plan.steps.len(), 4, "{:?}", plan.steps);
    let edits = read_edits(&out);
    assert_eq!(
        new_sheet_names(&edits),
        [
            "Revenue by Region",
            "Average Cost by Product",
            "Count by Region",
            "Max Quantity by Region"
        ]
    );
    assert!(
        edits["sheets"].as_array().unwrap().is_empty(),
        "the data sheet is untouched"
    );

    // Sums per exact region text, sorted by key (as pandas sorts strings).
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for s in SALES {
        *sums.entry(s.region).or_default() += s.revenue;
    }
    let sheet = new_sheet(&edits, "Revenue by Region");
    assert_eq!(sheet["columns"], json!(["Region", "Total Revenue"]));
    let expected: Vec<(&str, f64)> = sums.iter().map(|(k, v)| (*k, *v)).collect();
    assert_key_values(sheet, &expected);
    assert_eq!(
        sheet["formulas"][0],
        json!([null, "=SUMIFS(Sales!$D$3:$D$10,Sales!$B$3:$B$10,A2)"])
    );
    // The input as the applier leaves it (nothing moved), then every formula evaluated.
    let data = sales_model();
    for name in new_sheet_names(&edits) {
        let sheet = new_sheet(&edits, &name);
        let checked = check_new_sheet_formulas(sheet, &data, "Sales");
        assert_eq!(checked, sheet["rows"].as_array().unwrap().len(), "{name}");
    }
    assert!(
        new_sheet(&edits, "Count by Region")["formulas"][0][1]
            .as_str()
            .unwrap()
            .starts_with("=COUNTIFS(Sales!$B$3:$B$10,A2)")
    );
    assert!(
        new_sheet(&edits, "Max Quantity by Region")["formulas"][0][1]
            .as_str()
            .unwrap()
            .starts_with("=_xlfn.MAXIFS(Sales!$F$3:$F$10,")
    );
}

#[test]
fn a_group_after_a_filter_sums_the_kept_rows_and_before_one_is_values() {
    let (_, out, _dir) = plan_and_run("where revenue >= 800, then total revenue by region");
    let edits = read_edits(&out);
    let kept = where_sales(|s| s.revenue >= 800.0);
    assert_eq!(kept_rows(&edits), Some(rows_of(&kept)));
    let sheet = new_sheet(&edits, "Revenue by Region");
    let last = 3 + kept.len() - 1;
    assert_eq!(
        sheet["formulas"][0][1],
        format!("=SUMIFS(Sales!$D$3:$D${last},Sales!$B$3:$B${last},A2)")
    );
    let output = output_sheet(&sales_model(), &edits);
    assert_eq!(
        check_new_sheet_formulas(sheet, &output, "Sales"),
        sheet["rows"].as_array().unwrap().len()
    );

    // The rows change after the grouping: its formulas would read other rows.
    let (_, out, _dir) = plan_and_run("total revenue by region, then where revenue >= 800");
    let edits = read_edits(&out);
    let sheet = new_sheet(&edits, "Revenue by Region");
    assert!(sheet["formulas"].is_null(), "{sheet}");
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for s in SALES {
        *sums.entry(s.region).or_default() += s.revenue;
    }
    let expected: Vec<(&str, f64)> = sums.iter().map(|(k, v)| (*k, *v)).collect();
    assert_key_values(sheet, &expected);
    assert!(
        edits["steps"][0]
            .as_str()
            .unwrap()
            .contains("values, not formulas")
    );
}

/// "median" is a word of the shared vocabulary; no Excel function takes a median per
/// group, so the sheet holds values and the step says so. The median is computed here.
#[test]
fn median_per_group_is_values_and_the_step_says_so() {
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
    let means: Vec<f64> = revenues
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    assert_ne!(medians, means, "the data tells a median from a mean");
    let edits = read_edits(&out);
    let sheet = new_sheet(&edits, "Median Revenue by Product");
    let expected: Vec<(&str, f64)> = revenues
        .keys()
        .copied()
        .zip(medians.iter().copied())
        .collect();
    assert_key_values(sheet, &expected);
    assert!(sheet["formulas"].is_null());
    assert!(
        edits["steps"][0]
            .as_str()
            .unwrap()
            .contains("no Excel function computes a median")
    );
}

#[test]
fn describe_writes_statistics_as_formulas_over_the_kept_rows() {
    let (_, out, _dir) = plan_and_run("remove duplicates. describe");
    let edits = read_edits(&out);
    let sheet = new_sheet(&edits, "Summary statistics");
    assert_eq!(
        sheet["columns"],
        json!(["statistic", "Revenue", "Cost", "Quantity"])
    );
    let labels: Vec<&str> = sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    );
    let unique: Vec<&Sale> = SALES
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 4)
        .map(|(_, s)| s)
        .collect();
    let revenue = |k: usize| sheet["rows"][k][1].as_f64().unwrap();
    assert_eq!(revenue(0), unique.len() as f64);
    let mean = unique.iter().map(|s| s.revenue).sum::<f64>() / unique.len() as f64;
    assert!((revenue(1) - mean).abs() < 1e-9);
    assert_eq!(
        revenue(3),
        unique.iter().map(|s| s.revenue).fold(f64::MAX, f64::min)
    );
    // Over the six kept rows, which the dedupe moved up to rows 3..8.
    assert_eq!(sheet["formulas"][0][1], "=COUNT(Sales!$D$3:$D$8)");
    assert_eq!(sheet["formulas"][4][1], "=QUARTILE(Sales!$D$3:$D$8,1)");
    let output = output_sheet(&sales_model(), &edits);
    assert_eq!(check_new_sheet_formulas(sheet, &output, "Sales"), 8 * 3);
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
    let edits = read_edits(&run(&plan, &input, dir.path()));
    let unique: Vec<usize> = (0..SALES.len()).filter(|&i| i != 4).collect();
    let mut expected = unique.clone();
    expected.sort_by(|&a, &b| SALES[b].revenue.total_cmp(&SALES[a].revenue));
    assert_eq!(kept_rows(&edits), Some(rows_of(&expected)));
}
