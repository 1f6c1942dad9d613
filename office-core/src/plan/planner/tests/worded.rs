//! Arithmetic said in words, with the new column named apart from its formula, and the
//! total row below the table.

use super::ops::total_row::TotalRow;
use super::*;

#[test]
fn worded_arithmetic_makes_a_computed_column() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "Add 1.0 to each value in the Revenue column in a new column named \"Revenue Plus\"",
            "Revenue Plus",
            "Revenue + 1",
        ),
        (
            "Add a new column named \"Profit\" and calculate the profit for each row by subtracting \"Cost\" from \"Revenue\" in that column.",
            "Profit",
            "Revenue - Cost",
        ),
        (
            "subtract cost from revenue in a new column called Margin",
            "Margin",
            "Revenue - Cost",
        ),
        (
            "multiplying unit price by quantity into a new column named Line Total",
            "Line Total",
            "Unit Price * Quantity",
        ),
        (
            "divide revenue by quantity in a new column named Per Unit",
            "Per Unit",
            "Revenue / Quantity",
        ),
        (
            "revenue plus cost in a new column named Both",
            "Both",
            "Revenue + Cost",
        ),
        (
            "in a new column called Net, subtract cost from revenue",
            "Net",
            "Revenue - Cost",
        ),
        (
            "add a column named Double, multiply revenue by 2",
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
fn worded_arithmetic_refuses_what_it_cannot_read() {
    // A text column is no operand; a column that exists is no new name; a missing
    // operand is said.
    let e = error("add 1 to each value in the Region column in a new column named R2");
    assert!(e.message.contains("does not hold numbers"), "{}", e.message);
    let e = error("subtract cost from revenue in a new column named Revenue");
    assert!(e.message.contains("already exists"), "{}", e.message);
    let e = error("subtract cost in a new column named Gap");
    assert!(e.message.contains("two values"), "{}", e.message);
}

fn total_of(prompt: &str) -> TotalRow {
    let columns = sheet_columns(&sales_sheet());
    let parsed = parse_request(prompt, &columns, ops::REGISTRY)
        .unwrap_or_else(|f| panic!("'{prompt}' failed: {f:?}"));
    assert_eq!(parsed.operations.len(), 1, "{prompt}");
    let op: Box<dyn Any> = parsed.operations.into_iter().next().unwrap();
    *op.downcast::<TotalRow>()
        .unwrap_or_else(|_| panic!("'{prompt}' is not a total row"))
}

#[test]
fn total_row_phrasings() {
    let cases: &[(&str, AggFunc, &[&str], &str)] = &[
        (
            "Sum the revenue and cost for all weeks in a new row called \"Total\".",
            AggFunc::Sum,
            &["Revenue", "Cost"],
            "Total",
        ),
        (
            "add a total row",
            AggFunc::Sum,
            &["Revenue", "Cost", "Unit Price", "Quantity"],
            "Total",
        ),
        (
            "add a row of averages for revenue and quantity",
            AggFunc::Mean,
            &["Revenue", "Quantity"],
            "Average",
        ),
        (
            "average of unit price in a row below called Mean Price",
            AggFunc::Mean,
            &["Unit Price"],
            "Mean Price",
        ),
        (
            "count the customer name in an underneath row",
            AggFunc::Count,
            &["Customer Name"],
            "Count",
        ),
        (
            "add a totals row for cost named \"Grand Total\"",
            AggFunc::Sum,
            &["Cost"],
            "Grand Total",
        ),
    ];
    for (prompt, func, columns, label) in cases {
        let total = total_of(prompt);
        assert_eq!(total.func, *func, "{prompt}");
        let names: Vec<&str> = total.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, *columns, "{prompt}");
        assert_eq!(total.label, *label, "{prompt}");
        assert_eq!(total.label_column.as_deref(), Some("Region"), "{prompt}");
    }
}

#[test]
fn a_total_row_needs_numbers() {
    let e = error("sum the region in a new row called Total");
    assert!(e.message.contains("does not hold numbers"), "{}", e.message);
    let e = error("sum the nothing column in a new row");
    assert!(
        e.message.contains("could not find a column"),
        "{}",
        e.message
    );
}

#[test]
fn a_total_row_writes_formulas_under_the_columns() {
    let plan = plan_excel("add a total row for revenue and cost", &sales()).unwrap();
    assert_eq!(
        plan.steps,
        ["Added a row 'Total' below the table with the sum of Revenue and Cost"]
    );
    assert!(plan.code.contains("totals.append("), "{}", plan.code);
    assert!(plan.code.contains("[\"SUM\", \"SUM\"]"), "{}", plan.code);
}
