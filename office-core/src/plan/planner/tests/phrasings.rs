//! Each operation's phrasings, read against the sales sheet.

use super::*;

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
