//! The SheetCopilot kind of steps: text joined from columns, TRUE/FALSE columns,
//! powers, where a new column goes and a later sentence naming it; values in conditions
//! read in the column's terms.

use super::*;
use crate::plan::planner::ops::compute::Compute;
use crate::plan::planner::ops::concat::{Concat, Piece};
use crate::plan::planner::ops::flag::Flag;
use crate::plan::planner::ops::highlight::Highlight;
use crate::plan::planner::values::Period;

fn all(prompt: &str) -> Vec<Box<dyn Any>> {
    let columns = sheet_columns(&sales_sheet());
    match parse_request(prompt, &columns, ops::REGISTRY) {
        Ok(parsed) => parsed
            .operations
            .into_iter()
            .map(|op| {
                let op: Box<dyn Any> = op;
                op
            })
            .collect(),
        Err(failure) => panic!("'{prompt}' failed: {failure:?}"),
    }
}

fn only<T: 'static + Clone>(prompt: &str) -> T {
    let ops = all(prompt);
    assert_eq!(ops.len(), 1, "'{prompt}' gave {} operations", ops.len());
    ops[0]
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("'{prompt}' is not the operation expected"))
        .clone()
}

fn refused(prompt: &str) -> String {
    let columns = sheet_columns(&sales_sheet());
    match parse_request(prompt, &columns, ops::REGISTRY) {
        Ok(parsed) => panic!("'{prompt}' should fail, gave {:?}", parsed.operations),
        Err(failure) => failure.reason,
    }
}

fn text(s: &str) -> Piece {
    Piece::Text(s.into())
}

fn value(s: &str) -> Piece {
    Piece::Value(s.into())
}

#[test]
fn concatenation_with_a_separator_a_pattern_or_headers() {
    let c: Concat = only("concatenate City and Region with a space in a new column named Place");
    assert_eq!(c.name, "Place");
    assert_eq!(c.pieces, [value("City"), text(" "), value("Region")]);
    let c: Concat = only("combine city and region separated by \u{201c}-\u{201d}");
    assert_eq!(c.pieces, [value("City"), text("-"), value("Region")]);
    assert_eq!(c.name, "City & Region");
    let c: Concat = only(
        "In a new column named \"Line\", concatenate each cell value in Region, Revenue, and Cost \
         columns into the pattern \"Region: [Region Value], Revenue: [Revenue Value], Cost: \
         [Cost]\". Do this for all rows.",
    );
    assert_eq!(c.name, "Line");
    assert_eq!(
        c.pieces,
        [
            text("Region: "),
            value("Region"),
            text(", Revenue: "),
            value("Revenue"),
            text(", Cost: "),
            value("Cost"),
        ]
    );
    // Letters and "..." over a range of columns, named by the next sentence.
    let ops = all(
        "Concatenate the header and the value of each column from A to C for all rows in the \
         following format: \"Header A: Value A, Header B: Value B, ..., Header C: Value C\". \
         Write the results in column N named \"Combined Info\".",
    );
    assert_eq!(ops.len(), 1);
    let c = ops[0].downcast_ref::<Concat>().unwrap();
    assert_eq!(c.name, "Combined Info");
    let header = |s: &str| Piece::Header(s.into());
    assert_eq!(
        c.pieces,
        [
            header("Region"),
            text(": "),
            value("Region"),
            text(", "),
            header("City"),
            text(": "),
            value("City"),
            text(", "),
            header("Product"),
            text(": "),
            value("Product"),
        ]
    );
}

#[test]
fn a_later_sentence_names_the_column_where_it_goes() {
    let why = refused(
        "concatenate City and Region with a space. Write the results in column F named Place.",
    );
    assert!(why.contains("in column N"), "{why}");
    let why = refused("sort by revenue. name it Total");
    assert!(why.contains("no step before it adds one"), "{why}");
    let why = refused("concatenate City and Region with a space named Region");
    assert!(why.contains("already exists"), "{why}");
}

#[test]
fn true_false_columns_from_a_condition() {
    let f: Flag = only(
        "In a new column titled \"High Quantity\", mark the rows whose \"Quantity\" is no less \
         than 5 with True",
    );
    assert_eq!(f.name, "High Quantity");
    assert_eq!(f.condition.column.name, "Quantity");
    assert_eq!(f.condition.op, CmpOp::Ge);
    assert_eq!(f.condition.value, Literal::Number(5.0));
    let f: Flag = only("flag rows where region is north in a new column named Northern");
    assert_eq!(f.condition.value, Literal::Text("north".into()));
    // "count them": the TRUE cells of the column just added, in a row below.
    let ops = all(
        "In a new column titled \"Many\", mark the rows whose Quantity is no less than 5 with \
         True and count them in an underneath row to get the total number of many",
    );
    assert_eq!(ops.len(), 2);
    let total = ops[1]
        .downcast_ref::<crate::plan::planner::ops::total_row::TotalRow>()
        .unwrap();
    assert!(total.trues);
    assert_eq!(total.columns[0].name, "Many");
    assert_eq!(total.label_column, None);
    // Without a new column, marking rows is a highlight.
    let h: Highlight = only("mark the rows whose Quantity is at least 5");
    assert!(h.rows);
}

#[test]
fn powers_in_symbols_and_words_and_placement() {
    let c: Compute = only("add column Grown = Revenue * (1 + Cost / 100) ^ Quantity");
    assert_eq!(
        c.expr.to_string(),
        "Revenue * ((1 + (Cost / 100)) ^ Quantity)"
    );
    let c: Compute = only(
        "Calculate the Future column right after column M by multiplying the Revenue with (1 + \
         Cost / Quantity) raised to the power of (Unit Price * Quantity)",
    );
    assert_eq!(c.name, "Future");
    assert_eq!(
        c.expr.to_string(),
        "Revenue * ((1 + (Cost / Quantity)) ^ (Unit Price * Quantity))"
    );
    // 2^3^2 is 2^9, as in Excel.
    let c: Compute = only("add column P = Quantity ^ 3 ^ 2");
    assert_eq!(c.expr.to_string(), "Quantity ^ (3 ^ 2)");
    let c: Compute = only("add column Sq = Quantity squared");
    assert_eq!(c.expr.to_string(), "Quantity ^ 2");
    let why = refused("add column Twice = Revenue * 2 right after column B");
    assert!(why.contains("between columns"), "{why}");
    let c: Compute = only("add column Twice = Revenue * 2 right after the Active column");
    assert_eq!(c.name, "Twice");
}

#[test]
fn values_in_conditions_in_the_columns_terms() {
    let (_, op, value, _) = filter_of(one("keep rows where revenue is more than 1k"));
    assert_eq!((op, value), (CmpOp::Gt, Literal::Number(1000.0)));
    let (_, _, value, _) = filter_of(one("keep rows where cost < $2,000"));
    assert_eq!(value, Literal::Number(2000.0));
    let (_, op, value, _) = filter_of(one("keep rows where order date is in 2012"));
    assert_eq!(op, CmpOp::Eq);
    assert_eq!(
        value,
        Literal::Period(Period {
            start: "2012-01-01".into(),
            end: "2013-01-01".into(),
            label: "2012".into()
        })
    );
    let (_, op, value, _) = filter_of(one("orders where order date during March 2012"));
    assert_eq!(op, CmpOp::Eq);
    assert!(matches!(value, Literal::Period(p) if p.start == "2012-03-01"));
    let (_, op, value, _) = filter_of(one("remove rows where order date is after 2012"));
    assert_eq!((op, value), (CmpOp::Ge, Literal::Date("2013-01-01".into())));
    // "in" compares with a period only after a date column.
    let e = error("keep rows where region in 2012");
    assert!(!e.message.contains("period"), "{}", e.message);
    // A highlight of a whole period says how to write it.
    let e = error("highlight rows where order date is in 2012");
    assert!(
        e.message.contains("on or after 2012-01-01"),
        "{}",
        e.message
    );
    // Decimal commas only where the file writes them.
    let e = error("keep rows where cost > 1,5");
    assert!(e.message.contains("write '1.5'"), "{}", e.message);
}

#[test]
fn decimal_commas_of_the_file_and_the_datas_spelling() {
    let mut file = workbook(vec![sales_sheet()]);
    file.format = FileFormat::Csv;
    file.csv = Some(crate::profile::CsvDialect {
        delimiter: ';',
        quote: '"',
        encoding: "utf-8".into(),
        has_bom: false,
        decimal: ',',
    });
    file.sheets[0].columns[0].samples = vec!["North".into(), "South".into()];
    let plan = plan_excel("keep rows where cost > 1,5 and region is north", &[file])
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert!(
        plan.code.contains("as_number(df[\"Cost\"]) > 1.5"),
        "{}",
        plan.code
    );
    assert!(plan.code.contains("text_key(\"North\")"), "{}", plan.code);
}

#[test]
fn renaming_a_column_in_several_languages() {
    use crate::plan::planner::ops::rename::Rename;
    for prompt in [
        "rename Cost to Unit Cost",
        "rename the column cost as \"Unit Cost\"",
        "change the name of Cost to Unit Cost",
        "renombrar Cost como Unit Cost",
        "rinomina Cost come Unit Cost",
    ] {
        let r: Rename = only(prompt);
        assert_eq!(r.column.name, "Cost", "{prompt}");
        assert_eq!(r.name, "Unit Cost", "{prompt}");
    }
    // Later steps know the column by its new name.
    let ops = all("rename Cost to Spend, then sort by spend descending");
    assert_eq!(ops.len(), 2);
    let why = refused("rename Cost to Revenue");
    assert!(why.contains("already exists"), "{why}");
}

#[test]
fn filling_empty_cells_by_value_or_way() {
    use crate::plan::planner::ops::fill::{Fill, FillWith, Filler};
    let cases = [
        (
            "fill missing values in Revenue with 0",
            "Revenue",
            Filler::Number(0.0),
        ),
        (
            "fill the blanks in region with 'Unknown'",
            "Region",
            Filler::Text("Unknown".into()),
        ),
        (
            "replace empty cells in Cost with the median",
            "Cost",
            Filler::Way(FillWith::Median),
        ),
        (
            "fill missing quantity with the average",
            "Quantity",
            Filler::Way(FillWith::Mean),
        ),
        (
            "fill down Region",
            "Region",
            Filler::Way(FillWith::Previous),
        ),
        ("fill Region up", "Region", Filler::Way(FillWith::Next)),
        (
            "fill empty cells in Order Date with the previous value",
            "Order Date",
            Filler::Way(FillWith::Previous),
        ),
        (
            "fill missing Revenue with $1k",
            "Revenue",
            Filler::Number(1000.0),
        ),
    ];
    for (prompt, column, with) in cases {
        let f: Fill = only(prompt);
        assert_eq!(f.column.name, column, "{prompt}");
        assert_eq!(f.with, with, "{prompt}");
    }
    let why = refused("fill missing region with the mean");
    assert!(why.contains("no mean or median"), "{why}");
    let why = refused("fill missing values in Revenue");
    assert!(why.contains("say what fills"), "{why}");
    // "fill" still colours rows.
    let h: Highlight = only("fill rows where revenue > 1000 in green");
    assert_eq!(h.fill, "C6EFCE");
}

#[test]
fn top_and_bottom_rows_overall_and_per_group() {
    use crate::plan::planner::ops::top::Top;
    let cases: &[(&str, usize, bool, &str, Option<&str>)] = &[
        ("top 3 products by revenue", 3, true, "Revenue", None),
        ("show the 5 lowest cost rows", 5, false, "Cost", None),
        (
            "top 2 by quantity per region",
            2,
            true,
            "Quantity",
            Some("Region"),
        ),
        (
            "bottom three revenue for each category",
            3,
            false,
            "Revenue",
            Some("Category"),
        ),
        (
            "keep the top 3 revenue by region",
            3,
            true,
            "Revenue",
            Some("Region"),
        ),
    ];
    for (prompt, n, largest, column, group) in cases {
        let t: Top = only(prompt);
        assert_eq!((t.n, t.largest), (*n, *largest), "{prompt}");
        assert_eq!(t.column.name, *column, "{prompt}");
        assert_eq!(t.group.map(|g| g.name).as_deref(), *group, "{prompt}");
    }
    let why = refused("top 3 by region");
    assert!(why.contains("does not hold numbers"), "{why}");
    // Without a count, "highest revenue by region" is still the aggregate.
    assert!(matches!(
        one("highest revenue by region"),
        Operation::Aggregate(_)
    ));
}

#[test]
fn formulas_defined_in_the_context_make_columns_by_name() {
    let context = "My workbook records orders. The necessary formula is Margin = Revenue - Cost. \
                   Growth = Revenue * (1 + Cost / 100) ^ Quantity.";
    let plan = plan_excel_in(
        "Calculate the margin for each order in a new column named \"Margin\".",
        Some(context),
        &sales(),
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(plan.steps, ["Added column Margin = Revenue - Cost"]);
    let plan = plan_excel_in(
        "Compute the growth of each order in column N named \"Growth\" using the provided formula.",
        Some(context),
        &sales(),
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        plan.steps,
        ["Added column Growth = Revenue * ((1 + (Cost / 100)) ^ Quantity)"]
    );
    // The letter must be where the column goes; a definition is no column to sort by;
    // without the context the words name nothing.
    let wrong = plan_excel_in(
        "Compute the growth of each order in column F named \"Growth\" using the provided formula.",
        Some(context),
        &sales(),
    )
    .unwrap_err();
    assert!(wrong.message.contains("in column N"), "{}", wrong.message);
    let sort = plan_excel_in("sort by margin", Some(context), &sales()).unwrap_err();
    assert!(
        sort.message.contains("not a column yet"),
        "{}",
        sort.message
    );
    assert!(
        plan_excel(
            "Calculate the margin for each order in a new column named Margin",
            &sales()
        )
        .is_err()
    );
}

#[test]
fn joining_and_filling_in_other_languages() {
    use crate::plan::planner::ops::fill::{Fill, Filler};
    let c: Concat = only("concatenar City y Region con \"-\"");
    assert_eq!(c.pieces, [value("City"), text("-"), value("Region")]);
    let c: Concat = only("verkette City und Region mit \"/\"");
    assert_eq!(c.pieces, [value("City"), text("/"), value("Region")]);
    let f: Fill = only("rellenar valores faltantes de Revenue con 0");
    assert_eq!(
        (f.column.name.as_str(), f.with),
        ("Revenue", Filler::Number(0.0))
    );
    let f: Fill = only("remplir les valeurs manquantes de Cost avec 5");
    assert_eq!(
        (f.column.name.as_str(), f.with),
        ("Cost", Filler::Number(5.0))
    );
}

#[test]
fn no_highlight_by_value_over_numbers_written_as_text() {
    let mut sheet = sales_sheet();
    sheet.columns[7].samples = vec!["$1,200.00".into(), "950".into()];
    let columns = sheet_columns(&sheet);
    let failure = parse_request(
        "highlight rows where revenue > 1000",
        &columns,
        ops::REGISTRY,
    )
    .unwrap_err();
    assert!(
        failure.reason.contains("written as text"),
        "{}",
        failure.reason
    );
    // Filters read them as numbers.
    assert!(parse_request("keep rows where revenue > 1000", &columns, ops::REGISTRY).is_ok());
}
