//! The look edits on a workbook built with openpyxl, applied in place and read back with
//! openpyxl; the splicing rules on small parts.

use super::*;
use crate::book::apply;
use crate::book::edits::Edits;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn run_python(code: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A sheet `Data`: Region, Sales (bold, "0"), Day, four rows.
const BUILD: &str = r#"
import sys, datetime, openpyxl
from openpyxl.styles import Font
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append(["Region", "Sales", "Day"])
for r, s, d in [("North", 1200, 1), ("South", 800, 2), ("East", 1500, 3), ("West", 300, 4)]:
    ws.append([r, s, datetime.datetime(2024, 1, d)])
for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
    row[0].font = Font(bold=True)
    row[0].number_format = "0"
wb.save(sys.argv[1])
"#;

const READ: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Data"]
out = {
    "formats": [ws.cell(r, 2).number_format for r in range(2, 6)],
    "bold": [bool(ws.cell(r, 2).font.b) for r in range(2, 6)],
    "dates": ws["C2"].number_format,
    "freeze": ws.freeze_panes,
    "filter": ws.auto_filter.ref,
    "rules": [],
    "charts": [],
}
for cf in ws.conditional_formatting:
    for rule in cf.rules:
        fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill else None
        out["rules"].append({"range": str(cf.sqref), "type": rule.type,
                             "operator": rule.operator, "formula": list(rule.formula), "fill": fill})
for ch in ws._charts:
    title = "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or []))
    out["charts"].append({"type": type(ch).__name__, "title": title,
                          "series": [[s.cat.strRef.f if s.cat and s.cat.strRef else None,
                                      s.val.numRef.f] for s in ch.series]})
print(json.dumps(out))
"#;

fn look_script() -> Edits {
    serde_json::from_str(
        r##"{"version": 1, "steps": ["looks"],
            "sheets": [{"sheet": "Data",
                "table": {"header_row": 1, "first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3},
                "look": {
                  "number_formats": [
                    {"range": {"first_row": 2, "last_row": 5, "first_col": 2, "last_col": 2}, "format": "$#,##0.00"},
                    {"range": {"first_row": 2, "last_row": 5, "first_col": 3, "last_col": 3}, "format": "dd/mm/yyyy"}],
                  "conditional_formats": [
                    {"range": {"first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3},
                     "column": 2, "compare": "greater_than", "value": 1000},
                    {"range": {"first_row": 2, "last_row": 5, "first_col": 1, "last_col": 1},
                     "column": 1, "compare": "contains", "value": "th", "fill": "FFEB9C"}],
                  "freeze": {"rows": 1},
                  "autofilter": {"first_row": 1, "last_row": 5, "first_col": 1, "last_col": 3},
                  "charts": [{"kind": "bar", "title": "Sales by Region", "header_row": 1,
                    "first_row": 2, "last_row": 5, "category_col": 1, "value_cols": [2],
                    "categories": ["North", "South", "East", "West"],
                    "series": [{"name": "Sales", "values": [1200, 800, 1500, 300]}]}]
                }}]}"##,
    )
    .unwrap()
}

#[test]
fn formats_highlights_freeze_filter_and_a_chart_read_back_with_openpyxl() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xlsx");
    run_python(BUILD, &[&input]);
    let bytes = std::fs::read(&input).unwrap();
    let applied = apply::apply(&bytes, "in.xlsx", &look_script()).unwrap();
    let output = dir.path().join("out.xlsx");
    std::fs::write(&output, &applied.bytes).unwrap();
    let read: serde_json::Value =
        serde_json::from_str(run_python(READ, &[&output]).trim()).unwrap();
    assert_eq!(read["formats"], serde_json::json!(vec!["$#,##0.00"; 4]));
    assert_eq!(
        read["bold"],
        serde_json::json!(vec![true; 4]),
        "the font stays"
    );
    assert_eq!(read["dates"], "dd/mm/yyyy");
    assert_eq!(read["freeze"], "A2");
    assert_eq!(read["filter"], "A1:C5");
    let rules = read["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    let rows = rules.iter().find(|r| r["range"] == "A2:C5").unwrap();
    assert_eq!(rows["type"], "expression");
    assert_eq!(rows["formula"][0], "AND(ISNUMBER($B2),$B2>1000)");
    assert_eq!(rows["fill"], "FFFFC7CE");
    let cells = rules.iter().find(|r| r["range"] == "A2:A5").unwrap();
    assert_eq!(cells["type"], "containsText");
    assert_eq!(cells["fill"], "FFFFEB9C");
    let charts = read["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 1);
    assert_eq!(charts[0]["type"], "BarChart");
    assert_eq!(charts[0]["title"], "Sales by Region");
    assert_eq!(
        charts[0]["series"][0],
        serde_json::json!(["'Data'!$A$2:$A$5", "'Data'!$B$2:$B$5"])
    );
    let words: Vec<String> = applied
        .fidelity
        .changes
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "Data: B2:B5 formatted as $#,##0.00",
        "Data: A2:C5 highlighted where AND(ISNUMBER($B2),$B2>1000)",
        "Data: panes frozen above and left of A2",
        "Data: filter on A1:C5",
        "Data: bar chart 'Sales by Region' added (A2:A5, B2:B5)",
    ] {
        assert!(
            words.iter().any(|w| w == expected),
            "{expected} in {words:?}"
        );
    }
}

#[test]
fn a_new_sheet_draws_its_own_pie_chart() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xlsx");
    run_python(BUILD, &[&input]);
    let bytes = std::fs::read(&input).unwrap();
    let edits: Edits = serde_json::from_str(
        r##"{"version": 1, "new_sheets": [{"name": "Share", "columns": ["Region", "Sales"],
            "rows": [["North", 1200], ["South", 800]],
            "chart": {"kind": "pie", "title": "Share of Sales"}}]}"##,
    )
    .unwrap();
    let applied = apply::apply(&bytes, "in.xlsx", &edits).unwrap();
    let output = dir.path().join("out.xlsx");
    std::fs::write(&output, &applied.bytes).unwrap();
    let read = run_python(
        r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Share"]
ch = ws._charts[0]
print(type(ch).__name__, ch.series[0].val.numRef.f, ch.series[0].cat.strRef.f)
"#,
        &[&output],
    );
    assert_eq!(read.trim(), "PieChart 'Share'!$B$2:$B$3 'Share'!$A$2:$A$3");
}

#[test]
fn new_children_go_where_the_schema_orders_them() {
    let xml = r#"<worksheet><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData/><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><pageMargins left="1"/></worksheet>"#;
    let with = insert_child(xml, "conditionalFormatting", "<conditionalFormatting/>").unwrap();
    assert!(
        with.contains("</mergeCells><conditionalFormatting/><pageMargins"),
        "{with}"
    );
    let filtered = autofilter(
        xml,
        CellRange {
            first_row: 1,
            last_row: 3,
            first_col: 1,
            last_col: 2,
        },
    )
    .unwrap();
    assert!(
        filtered.contains(r#"<sheetData/><autoFilter ref="A1:B3"/><mergeCells"#),
        "{filtered}"
    );
    let (frozen_xml, cell) = frozen(xml, Freeze { rows: 1, cols: 1 }).unwrap();
    assert_eq!(cell, "B2");
    assert!(
        frozen_xml.contains(r#"<sheetView workbookViewId="0"><pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/>"#),
        "{frozen_xml}"
    );
    // An old pane and its selections are replaced, not doubled.
    let again = frozen(&frozen_xml, Freeze { rows: 1, cols: 0 }).unwrap().0;
    assert_eq!(again.matches("<pane").count(), 1, "{again}");
    assert_eq!(again.matches("<selection").count(), 1, "{again}");
    let bare = r#"<x:worksheet xmlns:x="s"><x:sheetData/></x:worksheet>"#;
    let (views, _) = frozen(bare, Freeze { rows: 1, cols: 0 }).unwrap();
    assert!(
        views.starts_with(r#"<x:worksheet xmlns:x="s"><x:sheetViews><x:sheetView"#),
        "{views}"
    );
}

#[test]
fn ranges_outside_excel_or_the_rule_are_refused() {
    let look = Look {
        autofilter: Some(CellRange {
            first_row: 3,
            last_row: 2,
            first_col: 1,
            last_col: 1,
        }),
        ..Look::default()
    };
    assert!(check("Data", &look).is_err());
    let look = Look {
        freeze: Some(Freeze { rows: 0, cols: 0 }),
        ..Look::default()
    };
    assert!(check("Data", &look).is_err());
    let edits = look_script();
    assert!(check("Data", &edits.sheets[0].look).is_ok());
    assert_eq!(
        relative("xl/worksheets/sheet1.xml", "xl/drawings/drawing2.xml"),
        "../drawings/drawing2.xml"
    );
}

#[test]
fn a_chart_joins_the_drawing_a_sheet_already_has() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xlsx");
    let with_chart = format!(
        "{BUILD}\nfrom openpyxl.chart import LineChart, Reference\nwb = openpyxl.load_workbook(sys.argv[1])\nws = wb['Data']\nold = LineChart()\nold.title = 'Old'\nold.add_data(Reference(ws, min_col=2, min_row=1, max_row=5), titles_from_data=True)\nws.add_chart(old, 'H2')\nwb.save(sys.argv[1])\n"
    );
    run_python(&with_chart, &[&input]);
    let bytes = std::fs::read(&input).unwrap();
    let mut edits = look_script();
    edits.sheets[0].look = Look {
        charts: edits.sheets[0].look.charts.clone(),
        ..Look::default()
    };
    let applied = apply::apply(&bytes, "in.xlsx", &edits).unwrap();
    let output = dir.path().join("out.xlsx");
    std::fs::write(&output, &applied.bytes).unwrap();
    let read = run_python(
        r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Data"]
print(sorted(type(c).__name__ for c in ws._charts))
"#,
        &[&output],
    );
    assert_eq!(read.trim(), "['BarChart', 'LineChart']");
}

#[test]
fn a_sheet_holding_an_excel_table_keeps_the_tables_own_filter() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/book/table-multiple.xlsx");
    let bytes = std::fs::read(path).unwrap();
    let edits: Edits = serde_json::from_str(
        r##"{"version": 1, "sheets": [{"sheet": "Sheet1",
            "table": {"header_row": 1, "first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3},
            "look": {"autofilter": {"first_row": 1, "last_row": 5, "first_col": 1, "last_col": 3},
                     "freeze": {"rows": 1}}}]}"##,
    )
    .unwrap();
    let applied = apply::apply(&bytes, "table-multiple.xlsx", &edits).unwrap();
    assert!(
        applied
            .fidelity
            .lost
            .iter()
            .any(|l| l.contains("holds an Excel table")),
        "{:?}",
        applied.fidelity.lost
    );
    let words: Vec<String> = applied
        .fidelity
        .changes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(words, vec!["Sheet1: panes frozen above and left of A2"]);
}
