//! The look operations: formats, highlights, frozen header, filter, charts, read from
//! their usual phrasings, and refused with a reason when they do not fit.

use super::*;
use crate::book::chart::ChartKind;
use crate::plan::planner::ops::autofilter::AutoFilter;
use crate::plan::planner::ops::chart::ChartOp;
use crate::plan::planner::ops::format::Format;
use crate::plan::planner::ops::freeze::Freeze;
use crate::plan::planner::ops::highlight::Highlight;

fn looks(prompt: &str) -> Vec<Box<dyn Any>> {
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
    let all = looks(prompt);
    assert_eq!(all.len(), 1, "'{prompt}' gave {} operations", all.len());
    all[0]
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("'{prompt}' is not the operation expected"))
        .clone()
}

#[test]
fn formats_in_their_usual_words() {
    for (prompt, column, code) in [
        ("format Revenue as currency", "Revenue", "$#,##0.00"),
        ("format the Cost column as dollars", "Cost", "$#,##0.00"),
        ("show Unit Price in euros", "Unit Price", "\"€\"#,##0.00"),
        ("format Revenue as a percentage", "Revenue", "0.00%"),
        ("add thousands separators to Revenue", "Revenue", "#,##0"),
        ("format Quantity with commas", "Quantity", "#,##0"),
        ("show Cost with 2 decimals", "Cost", "0.00"),
        ("display Cost with one decimal place", "Cost", "0.0"),
        ("show Order Date as dd/mm/yyyy", "Order Date", "dd/mm/yyyy"),
        ("show dates as dd/mm/yyyy", "Order Date", "dd/mm/yyyy"),
        (
            "format Order Date as \"yyyy-mm-dd\"",
            "Order Date",
            "yyyy-mm-dd",
        ),
        ("format Order Date as mm-dd-yy", "Order Date", "mm-dd-yy"),
    ] {
        let f: Format = only(prompt);
        assert_eq!(f.columns[0].name, column, "{prompt}");
        assert_eq!(f.shown.code, code, "{prompt}");
    }
}

#[test]
fn a_format_that_does_not_fit_the_column_is_refused() {
    let e = error("format Region as currency");
    assert_eq!(e.code, "invalid_operation", "{}", e.message);
    assert!(e.message.contains("'Region' holds text"), "{}", e.message);
    let e = error("show Revenue as dd/mm/yyyy");
    assert_eq!(e.code, "invalid_operation", "{}", e.message);
}

#[test]
fn highlights_of_rows_and_cells() {
    let h: Highlight = only("highlight rows where Revenue > 1000");
    assert!(h.rows);
    assert_eq!(h.condition.column.name, "Revenue");
    assert_eq!(h.condition.op, CmpOp::Gt);
    assert_eq!(h.fill, "FFC7CE");
    let h: Highlight = only("highlight cells in Unit Price above 100");
    assert!(!h.rows);
    assert_eq!(h.condition.column.name, "Unit Price");
    let h: Highlight = only("highlight Revenue below 50 in green");
    assert!(!h.rows);
    assert_eq!(h.fill, "C6EFCE");
    let h: Highlight = only("color the rows whose Region is north with a yellow fill");
    assert!(h.rows);
    assert_eq!(h.condition.value, Literal::Text("north".into()));
    assert_eq!(h.fill, "FFEB9C");
    let e = error("highlight the best rows");
    assert_eq!(e.code, "request_not_understood", "{}", e.message);
    assert!(e.message.contains("needs a condition"), "{}", e.message);
}

#[test]
fn freeze_and_filter_and_both_with_other_steps() {
    let f: Freeze = only("freeze the header row");
    assert!(f.header && !f.first_column);
    let f: Freeze = only("freeze the first column");
    assert!(f.first_column);
    let _: AutoFilter = only("add a filter");
    let _: AutoFilter = only("turn on filters");
    let all = looks("sort by Revenue descending, freeze the header and add a filter");
    assert_eq!(all.len(), 3);
    assert!(all[1].downcast_ref::<Freeze>().is_some());
    assert!(all[2].downcast_ref::<AutoFilter>().is_some());
    // A freeze and a filter name no column: the plan works on the first sheet.
    let plan = plan_excel("freeze the header and add a filter", &sales()).unwrap();
    assert_eq!(
        plan.steps,
        vec!["Froze the header row", "Added a filter to the header row"]
    );
}

#[test]
fn charts_by_a_category() {
    let c: ChartOp = only("chart Revenue by Region");
    assert_eq!(c.kind, ChartKind::Column);
    assert_eq!(c.values[0].name, "Revenue");
    assert_eq!(c.category.name, "Region");
    assert_eq!(c.title, "Revenue by Region");
    assert!(!c.new_sheet);
    let c: ChartOp = only("create a bar chart of Revenue and Cost by Region");
    assert_eq!(c.kind, ChartKind::Bar);
    assert_eq!(c.values.len(), 2);
    let c: ChartOp = only("plot Revenue by Order Date");
    assert_eq!(c.kind, ChartKind::Line);
    let c: ChartOp = only("make a pie chart of Quantity per Category on a new sheet");
    assert_eq!(c.kind, ChartKind::Pie);
    assert!(c.new_sheet);
    let c: ChartOp = only("scatter plot of Revenue vs Cost");
    assert_eq!(c.kind, ChartKind::Scatter);
    assert_eq!(c.category.name, "Cost");
    let c: ChartOp = only("plot Revenue by Region as a line chart titled 'Takings'");
    assert_eq!(c.kind, ChartKind::Line);
    assert_eq!(c.title, "Takings");
    let e = error("chart Region by Revenue");
    assert_eq!(e.code, "invalid_operation", "{}", e.message);
    let e = error("scatter plot of Revenue vs Region");
    assert_eq!(e.code, "invalid_operation", "{}", e.message);
}

#[test]
fn a_look_request_in_order_with_the_other_operations() {
    let plan = plan_excel(
        "keep rows where Revenue > 100, format Revenue as currency, highlight rows where Cost > 50 \
         then chart Revenue by Region",
        &sales(),
    )
    .unwrap();
    assert_eq!(plan.steps.len(), 4, "{:?}", plan.steps);
    assert!(plan.steps[1].starts_with("Formatted Revenue as currency"));
    assert!(plan.steps[2].starts_with("Highlighted rows where Cost"));
    assert!(plan.steps[3].starts_with("Added a column chart 'Revenue by Region'"));
    imports(&plan.code);
    let plan = plan_excel(
        "format Order Date as dd/mm/yyyy, highlight cells in Cost below 5, freeze the header, \
         add a filter and make a pie chart of Quantity by Category on a new sheet",
        &sales(),
    )
    .unwrap();
    let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn looks_in_other_languages() {
    for prompt in [
        "congelar la fila de encabezado",
        "figer la ligne d'en-tête",
        "Kopfzeile fixieren",
        "congelar a linha de cabeçalho",
        "blocca la riga di intestazione",
        "закрепить строку заголовка",
        "冻结首行",
        "凍結標題列",
        "先頭行を固定",
    ] {
        let _: Freeze = only(prompt);
    }
    for prompt in [
        "añadir un filtro",
        "ajouter un filtre",
        "Filter hinzufügen",
        "adicionar um filtro",
        "aggiungi un filtro",
        "добавить фильтр",
        "添加筛选",
        "フィルターを追加",
    ] {
        let _: AutoFilter = only(prompt);
    }
    let c: ChartOp = only("gráfico de barras de Revenue por Region");
    assert_eq!(
        (c.kind, c.category.name.as_str()),
        (ChartKind::Bar, "Region")
    );
    let c: ChartOp = only("graphique en courbes de Revenue par Order Date");
    assert_eq!(c.kind, ChartKind::Line);
    let h: Highlight = only("resaltar filas donde Revenue > 1000 en amarillo");
    assert!(h.rows);
    assert_eq!(h.fill, "FFEB9C");
    let f: Format = only("formatear Revenue como moneda");
    assert_eq!(f.shown.code, "$#,##0.00");
}
