//! Columns in any script, the target sheet, and requests the planner refuses (with
//! what it understood and what it supports).

use super::*;

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
    assert!(
        plan.code
            .contains("\"地区\", \"Выручка\", \"sum\", \"Total Выручка\""),
        "{}",
        plan.code
    );
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
