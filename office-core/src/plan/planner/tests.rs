//! Parsing and planning tests on hand-made profiles. The programs themselves run in
//! office-core/tests/planner_exec.rs.

use super::ops::aggregate::Aggregate;
use super::ops::compute::Compute;
use super::ops::dedupe::Dedupe;
use super::ops::describe::Describe;
use super::ops::filter::{CmpOp, Filter, Literal};
use super::ops::sort::Sort;
use super::parse::parse_request;
use super::vocab::AggFunc;
use super::*;
use crate::plan::PlanRequest;
use crate::profile::{ColumnProfile, FileFormat, FileProfile, SheetProfile};
use std::any::Any;

fn column(index: usize, name: &str, dtype: ColumnType) -> ColumnProfile {
    ColumnProfile {
        index,
        name: name.to_string(),
        dtype,
        non_null: 10,
        nulls: 0,
        distinct: 10,
        distinct_estimated: false,
        min: dtype.is_numeric().then_some(1.0),
        max: dtype.is_numeric().then_some(100.0),
        mean: dtype.is_numeric().then_some(50.0),
        date_min: None,
        date_max: None,
        samples: Vec::new(),
    }
}

fn sheet(name: &str, columns: &[(&str, ColumnType)]) -> SheetProfile {
    SheetProfile {
        name: name.to_string(),
        rows: 11,
        cols: columns.len(),
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 10,
        columns: columns
            .iter()
            .enumerate()
            .map(|(i, (n, t))| column(i, n, *t))
            .collect(),
    }
}

fn workbook(sheets: Vec<SheetProfile>) -> FileProfile {
    FileProfile {
        name: "sales.xlsx".into(),
        format: FileFormat::Xlsx,
        size: 1000,
        sheets,
        csv: None,
        notes: Vec::new(),
    }
}

fn sales_sheet() -> SheetProfile {
    use ColumnType::*;
    sheet(
        "Sales",
        &[
            ("Region", Text),
            ("City", Text),
            ("Product", Text),
            ("Category", Text),
            ("Status", Text),
            ("Email", Text),
            ("Customer Name", Text),
            ("Revenue", Float),
            ("Cost", Float),
            ("Unit Price", Float),
            ("Quantity", Integer),
            ("Order Date", Date),
            ("Active", Boolean),
        ],
    )
}

fn sales() -> Vec<FileProfile> {
    vec![workbook(vec![sales_sheet()])]
}

/// The built-in operations by type, to match on (the planner holds them as
/// `Box<dyn ops::Operation>`).
#[derive(Debug, Clone)]
enum Operation {
    Sort(Sort),
    Filter(Filter),
    Dedupe(Dedupe),
    Compute(Compute),
    Aggregate(Aggregate),
    Describe(Describe),
}

fn typed(op: Box<dyn ops::Operation>) -> Operation {
    let op: Box<dyn Any> = op;
    let op = match op.downcast::<Sort>() {
        Ok(o) => return Operation::Sort(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Filter>() {
        Ok(o) => return Operation::Filter(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Dedupe>() {
        Ok(o) => return Operation::Dedupe(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Compute>() {
        Ok(o) => return Operation::Compute(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Aggregate>() {
        Ok(o) => return Operation::Aggregate(*o),
        Err(op) => op,
    };
    match op.downcast::<Describe>() {
        Ok(o) => Operation::Describe(*o),
        Err(_) => panic!("not a built-in operation"),
    }
}

fn ops(prompt: &str) -> Vec<Operation> {
    let columns = sheet_columns(&sales_sheet());
    match parse_request(prompt, &columns, ops::REGISTRY) {
        Ok(parsed) => parsed.operations.into_iter().map(typed).collect(),
        Err(failure) => panic!("'{prompt}' failed: {failure:?}"),
    }
}

fn one(prompt: &str) -> Operation {
    let mut all = ops(prompt);
    assert_eq!(all.len(), 1, "'{prompt}' gave {all:?}");
    all.remove(0)
}

fn error(prompt: &str) -> PlanError {
    match plan_excel(prompt, &sales()) {
        Ok(plan) => panic!("'{prompt}' should fail, planned {:?}", plan.steps),
        Err(e) => e,
    }
}

fn sort_of(op: Operation) -> (Vec<String>, bool) {
    match op {
        Operation::Sort(s) => (
            s.columns.into_iter().map(|c| c.name).collect(),
            s.descending,
        ),
        other => panic!("expected a sort, got {other:?}"),
    }
}

fn filter_of(op: Operation) -> (String, CmpOp, Literal, bool) {
    match op {
        Operation::Filter(f) => (f.column.name, f.op, f.value, f.keep),
        other => panic!("expected a filter, got {other:?}"),
    }
}

#[test]
fn sort_phrasings() {
    let cases: &[(&str, &str, bool)] = &[
        ("sort by revenue", "Revenue", false),
        ("Sort by Revenue descending", "Revenue", true),
        ("sort by revenue, highest first", "Revenue", true),
        ("order by revenue desc", "Revenue", true),
        ("rank by revenue from highest to lowest", "Revenue", true),
        (
            "sort the data by revenue in descending order",
            "Revenue",
            true,
        ),
        ("sort descending by revenue", "Revenue", true),
        ("sort by region a to z", "Region", false),
        ("sort by region z to a", "Region", true),
        ("sort by cost, lowest first", "Cost", false),
        ("sort by revnue descending", "Revenue", true),
        ("sort by unit price largest first", "Unit Price", true),
        ("sort by UNIT_PRICE asc", "Unit Price", false),
        (
            "please sort by quantities smallest first",
            "Quantity",
            false,
        ),
        ("sort by order date, newest first", "Order Date", true),
        ("sort by 'Customer Name'", "Customer Name", false),
    ];
    for (prompt, column, descending) in cases {
        let (columns, desc) = sort_of(one(prompt));
        assert_eq!(columns, vec![column.to_string()], "{prompt}");
        assert_eq!(desc, *descending, "{prompt}");
    }
    let (columns, desc) = sort_of(one("sort by region and revenue descending"));
    assert_eq!(columns, vec!["Region".to_string(), "Revenue".to_string()]);
    assert!(desc);
}

#[test]
fn filter_phrasings() {
    use CmpOp::*;
    let text = |s: &str| Literal::Text(s.to_string());
    let cases: Vec<(&str, &str, CmpOp, Literal)> = vec![
        ("where region is North", "Region", Eq, text("North")),
        ("region = North", "Region", Eq, text("North")),
        (
            "filter rows where Region == 'North'",
            "Region",
            Eq,
            text("North"),
        ),
        (
            "keep only rows where city is 'New York'",
            "City",
            Eq,
            text("New York"),
        ),
        ("where city is New York", "City", Eq, text("New York")),
        ("revenue > 1000", "Revenue", Gt, Literal::Number(1000.0)),
        ("revenue > 1,000", "Revenue", Gt, Literal::Number(1000.0)),
        (
            "filter where revenue is greater than 1000.5",
            "Revenue",
            Gt,
            Literal::Number(1000.5),
        ),
        (
            "keep rows where quantity is at least 5",
            "Quantity",
            Ge,
            Literal::Number(5.0),
        ),
        (
            "only rows with cost less than 20",
            "Cost",
            Lt,
            Literal::Number(20.0),
        ),
        (
            "where cost is at most -3",
            "Cost",
            Le,
            Literal::Number(-3.0),
        ),
        ("where quantity >= 2", "Quantity", Ge, Literal::Number(2.0)),
        ("where quantity <= 2", "Quantity", Le, Literal::Number(2.0)),
        ("where region is not North", "Region", Ne, text("North")),
        ("where region != North", "Region", Ne, text("North")),
        (
            "where region is not equal to South",
            "Region",
            Ne,
            text("South"),
        ),
        ("where city contains york", "City", Contains, text("york")),
        (
            "rows where product includes 'pro max'",
            "Product",
            Contains,
            text("pro max"),
        ),
        (
            "where product does not contain beta",
            "Product",
            NotContains,
            text("beta"),
        ),
        (
            "where order date is after 2024-01-31",
            "Order Date",
            Gt,
            Literal::Date("2024-01-31".into()),
        ),
        (
            "order date >= 2024/02/01",
            "Order Date",
            Ge,
            Literal::Date("2024-02-01".into()),
        ),
        ("where active is true", "Active", Eq, Literal::Bool(true)),
        (
            "where 'Customer Name' = 'Ann'",
            "Customer Name",
            Eq,
            text("Ann"),
        ),
    ];
    for (prompt, column, op, value) in cases {
        let (c, o, v, keep) = filter_of(one(prompt));
        assert_eq!(
            (c.as_str(), o, &v, keep),
            (column, op, &value, true),
            "{prompt}"
        );
    }
    let (c, o, v, keep) = filter_of(one("remove rows where status is closed"));
    assert_eq!(
        (c.as_str(), o, v, keep),
        ("Status", CmpOp::Eq, text("closed"), false)
    );
}

#[test]
fn dedupe_phrasings() {
    let cases: &[(&str, &[&str])] = &[
        ("remove duplicates", &[]),
        ("Remove duplicate rows", &[]),
        ("drop duplicates", &[]),
        ("dedupe", &[]),
        ("remove duplicates by email", &["Email"]),
        ("dedupe on name and city", &["Customer Name", "City"]),
        ("deduplicate based on region, city", &["Region", "City"]),
        ("remove duplicate rows with the same email", &["Email"]),
    ];
    for (prompt, columns) in cases {
        match one(prompt) {
            Operation::Dedupe(d) => {
                let names: Vec<&str> = d.columns.iter().map(|c| c.name.as_str()).collect();
                assert_eq!(names, *columns, "{prompt}");
            }
            other => panic!("'{prompt}' gave {other:?}"),
        }
    }
}

#[test]
fn compute_phrasings() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "add a column Total = Unit Price * Quantity",
            "Total",
            "Unit Price * Quantity",
        ),
        (
            "add column margin as revenue - cost",
            "margin",
            "Revenue - Cost",
        ),
        (
            "create profit = revenue minus cost",
            "profit",
            "Revenue - Cost",
        ),
        (
            "add column Ratio = (revenue - cost) / revenue",
            "Ratio",
            "(Revenue - Cost) / Revenue",
        ),
        (
            "add a column called Line Total that is unit price times quantity",
            "Line Total",
            "Unit Price * Quantity",
        ),
        ("add a Net column = revenue-cost", "Net", "Revenue - Cost"),
        (
            "create a new column Tax = revenue * 0.2 + 1",
            "Tax",
            "(Revenue * 0.2) + 1",
        ),
        (
            "calculate Double as revenue multiplied by 2",
            "Double",
            "Revenue * 2",
        ),
    ];
    for (prompt, name, expr) in cases {
        match one(prompt) {
            Operation::Compute(c) => {
                assert_eq!(c.name, *name, "{prompt}");
                assert_eq!(c.expr.to_string(), *expr, "{prompt}");
            }
            other => panic!("'{prompt}' gave {other:?}"),
        }
    }
}

#[test]
fn aggregate_phrasings() {
    let cases: &[(&str, AggFunc, Option<&str>, &str)] = &[
        (
            "total revenue by region",
            AggFunc::Sum,
            Some("Revenue"),
            "Region",
        ),
        (
            "sum of revenue per product",
            AggFunc::Sum,
            Some("Revenue"),
            "Product",
        ),
        (
            "average unit price by category",
            AggFunc::Mean,
            Some("Unit Price"),
            "Category",
        ),
        (
            "mean cost for each region",
            AggFunc::Mean,
            Some("Cost"),
            "Region",
        ),
        ("count orders by status", AggFunc::Count, None, "Status"),
        ("number of rows per region", AggFunc::Count, None, "Region"),
        (
            "count emails by region",
            AggFunc::Count,
            Some("Email"),
            "Region",
        ),
        (
            "max revenue per customer name",
            AggFunc::Max,
            Some("Revenue"),
            "Customer Name",
        ),
        ("min cost by city", AggFunc::Min, Some("Cost"), "City"),
        (
            "latest order date by region",
            AggFunc::Max,
            Some("Order Date"),
            "Region",
        ),
        (
            "group by region and sum revenue",
            AggFunc::Sum,
            Some("Revenue"),
            "Region",
        ),
        (
            "show the total revenue by region in a new sheet",
            AggFunc::Sum,
            Some("Revenue"),
            "Region",
        ),
    ];
    for (prompt, func, value, group) in cases {
        if prompt.starts_with("latest") {
            // "latest" is not an aggregation word: the clause must fail, not guess.
            assert!(plan_excel(prompt, &sales()).is_err());
            continue;
        }
        match one(prompt) {
            Operation::Aggregate(a) => {
                assert_eq!(a.func, *func, "{prompt}");
                assert_eq!(
                    a.value.as_ref().map(|c| c.name.as_str()),
                    *value,
                    "{prompt}"
                );
                assert_eq!(a.group.name, *group, "{prompt}");
            }
            other => panic!("'{prompt}' gave {other:?}"),
        }
    }
}

#[test]
fn describe_phrasings() {
    for prompt in [
        "describe",
        "Describe the data",
        "summary statistics",
        "give me summary stats",
        "statistics of the numeric columns",
        "show descriptive statistics in a new sheet",
        "summarize",
    ] {
        match one(prompt) {
            Operation::Describe(d) => assert!(d.columns.is_empty(), "{prompt}"),
            other => panic!("'{prompt}' gave {other:?}"),
        }
    }
    match one("describe revenue and cost") {
        Operation::Describe(d) => {
            assert_eq!(
                d.columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>(),
                ["Revenue", "Cost"]
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn several_operations_in_order() {
    let all = ops("Remove duplicates, then sort by revenue descending");
    assert!(matches!(all[0], Operation::Dedupe(_)));
    assert!(matches!(all[1], Operation::Sort(_)));

    let all = ops("where region is North and revenue > 1000; sort by cost");
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(filter_of(all[0].clone()).0, "Region");
    assert_eq!(filter_of(all[1].clone()).0, "Revenue");

    // A computed column can be used by later steps.
    let all =
        ops("add column Total = unit price * quantity, then sort by total descending. Thanks!");
    assert_eq!(all.len(), 2);
    assert_eq!(sort_of(all[1].clone()), (vec!["Total".to_string()], true));

    // A clause never swallows the next one.
    let all = ops("where region is North, sort by revenue");
    assert_eq!(filter_of(all[0].clone()).2, Literal::Text("North".into()));
    assert!(matches!(all[1], Operation::Sort(_)));
    let all = ops("count orders by region, max cost for each region");
    assert_eq!(all.len(), 2, "{all:?}");

    let all = ops("please dedupe by email and then total revenue by region and describe");
    assert_eq!(all.len(), 3, "{all:?}");
}

#[test]
fn non_ascii_columns() {
    let profile = workbook(vec![sheet(
        "Продажи",
        &[
            ("地区", ColumnType::Text),
            ("销售额", ColumnType::Float),
            ("Выручка", ColumnType::Float),
        ],
    )]);
    let columns = sheet_columns(&profile.sheets[0]);
    let parsed = parse_request(
        "sort by 销售额 descending, total выручка by 地区",
        &columns,
        ops::REGISTRY,
    )
    .unwrap();
    let mut operations: Vec<Operation> = parsed.operations.into_iter().map(typed).collect();
    assert_eq!(operations.len(), 2);
    assert_eq!(
        sort_of(operations.remove(0)),
        (vec!["销售额".to_string()], true)
    );
    let plan = plan_excel("sum of ВЫРУЧКА by 地区", &[profile]).unwrap();
    assert!(plan.code.contains("df[\"Выручка\"]"), "{}", plan.code);
    assert!(
        plan.steps[0].contains("Выручка by 地区"),
        "{:?}",
        plan.steps
    );
}

#[test]
fn unknown_column_error_says_what_was_understood() {
    let e = error("sort by revenue descending, then filter where banana > 3");
    assert_eq!(e.code, "column_not_found");
    assert!(
        e.message
            .contains("I understood: sort by Revenue, descending"),
        "{}",
        e.message
    );
    assert!(e.message.contains("'banana'"), "{}", e.message);
    assert!(
        e.message.contains("Columns: Region, City,"),
        "{}",
        e.message
    );
    assert!(
        e.message
            .contains("Supported operations: sort, filter, remove duplicates"),
        "{}",
        e.message
    );
    assert_eq!(
        e.understood,
        vec!["sort by Revenue, descending".to_string()]
    );
    assert!(e.columns.contains(&"Unit Price".to_string()));

    let e = error("sort by banana");
    assert_eq!(e.code, "column_not_found");
    assert!(
        e.message
            .contains("I could not find a column matching 'banana'"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_instructions_fail_rather_than_vanish() {
    let e = error("sort by revenue and translate to French");
    assert_eq!(e.code, "request_not_understood");
    assert!(e.message.contains("translate to French"), "{}", e.message);
    assert_eq!(e.understood, vec!["sort by Revenue, ascending".to_string()]);

    for prompt in [
        "",
        "please",
        "make it pretty",
        "pivot region against product",
        "revenue by region",
    ] {
        let e = error(prompt);
        assert_eq!(e.code, "request_not_understood", "{prompt}: {}", e.message);
    }
    // A multi-word value with 'and' must be quoted, not half-read.
    let e = error("where city is Salt Lake and Provo");
    assert_eq!(e.code, "request_not_understood", "{}", e.message);
}

#[test]
fn wrong_types_are_errors_not_guesses() {
    let e = error("sum of region by category");
    assert_eq!(e.code, "invalid_operation");
    assert!(
        e.message.contains("'Region'") && e.message.contains("text"),
        "{}",
        e.message
    );
    assert_eq!(error("average email per city").code, "invalid_operation");
    assert_eq!(error("where revenue > lots").code, "invalid_operation");
    assert_eq!(error("where region > 5").code, "invalid_operation");
    assert_eq!(
        error("where order date after yesterday").code,
        "invalid_operation"
    );
    assert_eq!(error("add column X = region * 2").code, "invalid_operation");
    assert_eq!(
        error("add column Revenue = cost * 2").code,
        "invalid_operation"
    );
    assert_eq!(error("add column X = cost / 0").code, "invalid_operation");
}

#[test]
fn ambiguous_columns_are_errors() {
    let profile = workbook(vec![sheet(
        "S",
        &[
            ("Unit Price", ColumnType::Float),
            ("Price Total", ColumnType::Float),
        ],
    )]);
    let e = plan_excel("sort by price", &[profile]).unwrap_err();
    assert_eq!(e.code, "ambiguous_column");
    assert!(
        e.message.contains("Unit Price, Price Total"),
        "{}",
        e.message
    );
}

#[test]
fn target_sheet_is_the_one_with_the_columns() {
    let profile = workbook(vec![
        sheet("Notes", &[("Note", ColumnType::Text)]),
        sheet(
            "Data",
            &[("Region", ColumnType::Text), ("Revenue", ColumnType::Float)],
        ),
    ]);
    let plan = plan_excel("total revenue by region", std::slice::from_ref(&profile)).unwrap();
    assert!(
        plan.code.contains("TARGET_SHEET = \"Data\""),
        "{}",
        plan.code
    );
    let plan = plan_excel("remove duplicates", std::slice::from_ref(&profile)).unwrap();
    assert!(plan.code.contains("TARGET_SHEET = \"Notes\""));
    let e = plan_excel("sort by banana", &[profile]).unwrap_err();
    assert!(e.message.contains("in sheet 'Notes'"), "{}", e.message);
}

#[test]
fn column_words_that_are_column_names() {
    // "value" is filler in "sort by the revenue value", but the column in these.
    let profile = workbook(vec![
        sheet(
            "Pivot",
            &[
                ("Row Labels", ColumnType::Text),
                ("Sum of Size", ColumnType::Float),
            ],
        ),
        sheet(
            "DataSheet",
            &[
                ("Category", ColumnType::Text),
                ("Value", ColumnType::Integer),
                ("Value / Size", ColumnType::Float),
            ],
        ),
    ]);
    for prompt in ["total value by category", "sum of the values per category"] {
        let plan = plan_excel(prompt, std::slice::from_ref(&profile)).unwrap();
        assert!(
            plan.code.contains("TARGET_SHEET = \"DataSheet\""),
            "{prompt}"
        );
        assert!(
            plan.steps[0].contains("Value by Category"),
            "{prompt}: {:?}",
            plan.steps
        );
    }
}

#[test]
fn plan_has_steps_output_and_generator() {
    let plan = plan_excel(
        "remove duplicates, then sort by revenue descending",
        &sales(),
    )
    .unwrap();
    assert_eq!(plan.generator, "planner");
    assert_eq!(plan.output.as_deref(), Some("output.xlsx"));
    assert_eq!(
        plan.steps,
        vec![
            "Removed duplicate rows (all columns), keeping the first of each".to_string(),
            "Sorted by Revenue, descending".to_string()
        ]
    );
    assert!(
        plan.code
            .contains("# Step 2: Sorted by Revenue, descending. Columns: \"Revenue\"."),
        "{}",
        plan.code
    );
}

/// Imports in the program, and whether it parses at all.
fn imports(code: &str) -> Vec<String> {
    use rustpython_parser::{Parse, ast};
    let suite = ast::Suite::parse(code, "<plan>").expect("generated code parses");
    let mut names = Vec::new();
    for stmt in suite {
        match stmt {
            ast::Stmt::Import(i) => names.extend(i.names.iter().map(|a| a.name.to_string())),
            ast::Stmt::ImportFrom(i) => names.push(format!("from {:?}", i.module)),
            _ => {}
        }
    }
    names
}

#[test]
fn hostile_names_stay_inside_string_literals() {
    let evil = "x\"]; import os #";
    let evil_newline = "y\nimport subprocess";
    let profile = workbook(vec![sheet(
        "S\"heet\n",
        &[
            (evil, ColumnType::Float),
            (evil_newline, ColumnType::Text),
            ("v", ColumnType::Float),
        ],
    )]);
    let plan = plan_excel(
        "sort by 'x\"]; import os #' descending, where 'y import subprocess' is 'a\" + b', \
         total v by 'y import subprocess'",
        &[profile],
    );
    let plan = plan.unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        imports(&plan.code),
        ["os", "numpy", "pandas"],
        "{}",
        plan.code
    );
    assert!(
        !plan
            .code
            .lines()
            .any(|l| l.trim_start().starts_with("import subprocess"))
    );
}

#[test]
fn generated_code_parses_for_every_operation() {
    for prompt in [
        "sort by revenue",
        "where city contains 'o\\'k'",
        "where order date >= 2024-01-01",
        "where active is false",
        "dedupe by email",
        "add column Ratio = revenue / cost",
        "count orders by status",
        "describe revenue and region",
        "describe",
    ] {
        let plan = plan_excel(prompt, &sales()).unwrap();
        assert_eq!(imports(&plan.code), ["os", "numpy", "pandas"], "{prompt}");
        let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
        assert!(violations.is_empty(), "{prompt}: {violations:?}");
    }
    // A CSV input (read_csv path of the program) passes the policy too.
    let mut csv = sales();
    csv[0].format = FileFormat::Csv;
    csv[0].name = "sales.csv".into();
    let plan = plan_excel("total revenue by region", &csv).unwrap();
    let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn every_kind_has_a_program_that_passes_the_policy() {
    let mut params = serde_json::Map::new();
    params.insert("template".into(), "weekly-status".into());
    let profiles = sales();
    for (kind, output) in [
        (JobKind::Excel, "output.xlsx"),
        (JobKind::Analytics, "results.json"),
        (JobKind::Report, "analysis.json"),
    ] {
        let request = PlanRequest {
            kind,
            prompt: "describe",
            profiles: &profiles,
            params: &params,
            previous_error: None,
            previous_code: None,
            calls: None,
        };
        let plan = OfflinePlanner.generate(&request).await.unwrap();
        assert_eq!(plan.output.as_deref(), Some(output));
        let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
        assert!(violations.is_empty(), "{kind}: {violations:?}");
    }
    assert_eq!(OfflinePlanner.name(), "planner");
}
