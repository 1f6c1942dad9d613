//! The write-back tests that move or remove rows: formulas, the calculation chain,
//! tables, comments, ranges elsewhere and recalculation follow them.

use super::*;

#[test]
fn a_sort_moves_the_revenue_formulas_with_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&input_path]);
    let input = std::fs::read(&input_path).unwrap();
    // Units is i*3%7+1 for i in 2..=11; sorted descending, stable.
    let mut rows: Vec<u32> = (2..=11).collect();
    rows.sort_by_key(|i| std::cmp::Reverse(i * 3 % 7 + 1));
    let script = format!(
        r#"{{"version": 1, "sheets": [{{"sheet": "Data", "table": {{"header_row": 1, "first_row": 2, "last_row": 11, "first_col": 1, "last_col": 8}}, "rows": {rows:?}}}]}}"#
    );
    let edits: Edits = serde_json::from_str(&script).unwrap();
    let applied = apply::apply(&input, "sales.xlsx", &edits).unwrap();
    let out = dir.path().join("sorted.xlsx");
    std::fs::write(&out, &applied.bytes).unwrap();
    let read = run_python(
        "import sys, openpyxl\nd = openpyxl.load_workbook(sys.argv[1])['Data']\nprint([d.cell(r, 6).value for r in range(2, 12)])\nprint([d.cell(r, 8).value for r in range(2, 12)])",
        &[&out],
    );
    let lines: Vec<&str> = read.lines().collect();
    let units: Vec<u32> = rows.iter().map(|i| i * 3 % 7 + 1).collect();
    assert_eq!(lines[0], format!("{units:?}"));
    let formulas: Vec<String> = (2..=11).map(|r| format!("'=F{r}*G{r}'")).collect();
    assert_eq!(lines[1], format!("[{}]", formulas.join(", ")));
}

#[test]
fn moved_formulas_drop_the_calculation_chain_and_ask_excel_to_recalculate() {
    use crate::book::package::{Package, PartChanges};
    use crate::book::workbook::Workbook;
    let input = fixture("mv-calculator-final-2-20-2013.xlsm");
    let mut package = Package::read(&input, "mv.xlsm").unwrap();
    let mut workbook = Workbook::read(&mut package).unwrap();
    assert_eq!(workbook.sheets().len(), 8);
    assert_eq!(
        workbook.sheet("mv calculator").unwrap().part.as_deref(),
        Some("xl/worksheets/sheet4.xml")
    );
    workbook.formulas_moved();
    let mut changes = PartChanges::default();
    workbook.finish(&package, &mut changes);
    assert!(changes.removed.contains("xl/calcChain.xml"));
    let output = package.write(&changes).unwrap();
    assert!(
        !raw_entries(&output)
            .iter()
            .any(|e| e.0 == "xl/calcChain.xml")
    );
    let rels = part_text(&output, "xl/_rels/workbook.xml.rels");
    let types = part_text(&output, "[Content_Types].xml");
    assert!(
        !rels.contains("calcChain") && !types.contains("calcChain"),
        "{rels}\n{types}"
    );
    assert!(
        rels.contains("vbaProject.bin"),
        "the macros' relationship stays"
    );
    let book = part_text(&output, "xl/workbook.xml");
    assert_eq!(book.matches("fullCalcOnLoad=\"1\"").count(), 1, "{book}");
    let calc = book.find("<calcPr").unwrap();
    assert!(
        calc > book.find("</definedNames>").unwrap(),
        "calcPr is where the schema puts it"
    );
    // openpyxl (keep_vba) opens it, with the macros.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.xlsm");
    std::fs::write(&out, &output).unwrap();
    let read = run_python(
        "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1], keep_vba=True)\nprint(len(wb.sheetnames), wb.vba_archive is not None)",
        &[&out],
    );
    assert_eq!(read.trim(), "8 True");
}

#[test]
fn a_table_widens_over_appended_columns_with_new_table_columns() {
    use crate::book::edits::SheetEdit;
    use crate::book::formula::RowMap;
    use crate::book::package::{Package, PartChanges};
    use crate::book::parts::adjust_parts;
    use crate::book::workbook::Workbook;
    let input = fixture("table-multiple.xlsx");
    let mut package = Package::read(&input, "t.xlsx").unwrap();
    let workbook = Workbook::read(&mut package).unwrap();
    let edit: SheetEdit = serde_json::from_str(
        r#"{"sheet": "Sheet1", "table": {"header_row": 1, "first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3},
            "add_columns": [{"header": "Quantity", "formula": "=C{r}*2", "values": [1, 2, 3, 4]}]}"#,
    )
    .unwrap();
    let map = RowMap::new(&edit.table, None).unwrap();
    let mut out = PartChanges::default();
    let found = adjust_parts(&mut package, &workbook, &edit, &map, &mut out).unwrap();
    let table = String::from_utf8(out.get("xl/tables/table1.xml").unwrap().to_vec()).unwrap();
    assert!(
        table.contains(r#"ref="A1:D5""#) && table.contains(r#"<autoFilter ref="A1:D5"/>"#),
        "{table}"
    );
    assert!(
        table.contains(r#"<tableColumns count="4">"#)
            && table.contains(r#"<tableColumn id="4" name="Quantity2"/>"#),
        "a unique name for a header the table already has: {table}"
    );
    assert_eq!(found.changes.len(), 1);
    assert_eq!(
        found.changes[0].to_string(),
        "Sheet1: table Inventory A1:C5 -> A1:D5"
    );
    assert_eq!(out.touched().len(), 1, "the other tables are untouched");
}

#[test]
fn comments_and_their_notes_move_with_their_rows_and_go_with_removed_ones() {
    use crate::book::edits::SheetEdit;
    use crate::book::formula::RowMap;
    use crate::book::package::{Package, PartChanges};
    use crate::book::parts::adjust_parts;
    use crate::book::workbook::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&path]);
    let input = std::fs::read(&path).unwrap();
    let script = |rows: &str| -> SheetEdit {
        serde_json::from_str(&format!(
            r#"{{"sheet": "Data", "table": {{"header_row": 1, "first_row": 2, "last_row": 11, "first_col": 1, "last_col": 8}}, "rows": {rows}}}"#
        ))
        .unwrap()
    };
    // Row 2 (the comment's) lands in row 5.
    let sorted = script("[3, 4, 5, 2, 6, 7, 8, 9, 10, 11]");
    let mut package = Package::read(&input, "s.xlsx").unwrap();
    let workbook = Workbook::read(&mut package).unwrap();
    let map = RowMap::new(&sorted.table, sorted.rows.as_deref()).unwrap();
    let mut out = PartChanges::default();
    adjust_parts(&mut package, &workbook, &sorted, &map, &mut out).unwrap();
    let comments = out
        .touched()
        .into_iter()
        .find(|p| p.contains("comment"))
        .expect("the comments part changed");
    let text = String::from_utf8(out.get(&comments).unwrap().to_vec()).unwrap();
    assert!(
        text.contains(r#"ref="C5""#) && !text.contains(r#"ref="C2""#),
        "{text}"
    );
    let vml = out
        .touched()
        .into_iter()
        .find(|p| p.ends_with(".vml"))
        .expect("the notes' drawing changed");
    let vml = String::from_utf8(out.get(&vml).unwrap().to_vec()).unwrap();
    assert!(
        vml.contains(":Row>4</") && !vml.contains(":Row>1</"),
        "0-based row 4 is sheet row 5: {vml}"
    );
    // Row 2 filtered out: the comment goes with it, and says so.
    let filtered = script("[3, 4, 5]");
    let mut package = Package::read(&input, "s.xlsx").unwrap();
    let map = RowMap::new(&filtered.table, filtered.rows.as_deref()).unwrap();
    let mut out = PartChanges::default();
    let found = adjust_parts(&mut package, &workbook, &filtered, &map, &mut out).unwrap();
    assert_eq!(
        found.lost,
        ["the comment at Data!C2 went with its row, which was removed"]
    );
    let text = String::from_utf8(out.get(&comments).unwrap().to_vec()).unwrap();
    assert!(!text.contains("<comment "), "{text}");
}

#[test]
fn workbooks_the_writer_cannot_model_get_a_clear_error_or_a_checked_result() {
    for (name, expected) in [
        ("pass_protected.xlsx", Some("encrypted")),
        ("strict_iso_paths.xlsx", Some("Strict Open XML")),
        ("xlsx-corrupted.xlsx", None),
        ("poc-shared-strings.xlsx", None),
    ] {
        let started = std::time::Instant::now();
        let result = apply::apply(&fixture(name), name, &new_sheet_script());
        assert!(
            started.elapsed().as_secs() < 20,
            "{name}: took {:?}",
            started.elapsed()
        );
        match (result, expected) {
            (Err(e), Some(words)) => assert!(e.0.contains(words), "{name}: {e}"),
            (Ok(applied), Some(_)) => {
                panic!("{name}: edited, with kept {:?}", applied.fidelity.kept)
            }
            // Either refused with a sentence, or written and checked against the input.
            (Err(e), None) => assert!(e.0.len() > 20, "{name}: {e}"),
            (Ok(applied), None) => {
                let touched = verify::differing_parts(&fixture(name), &applied.bytes).unwrap();
                verify::check(&fixture(name), &applied.bytes, Expect::Edited(&touched)).unwrap();
            }
        }
    }
}

#[test]
fn a_filter_shrinks_the_ranges_that_point_into_the_table_and_refuses_to_break_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&input_path]);
    let input = std::fs::read(&input_path).unwrap();
    // Keep the rows whose Units (i*3%7+1) is at least 4: rows 2, 4, 6, 8, 9, 11.
    let kept: Vec<u32> = (2..=11).filter(|i| i * 3 % 7 + 1 >= 4).collect();
    let script = |rows: &[u32]| -> Edits {
        serde_json::from_str(&format!(
            r#"{{"version": 1, "sheets": [{{"sheet": "Data", "table": {{"header_row": 1, "first_row": 2, "last_row": 11, "first_col": 1, "last_col": 8}}, "rows": {rows:?}}}]}}"#
        ))
        .unwrap()
    };
    let applied = apply::apply(&input, "sales.xlsx", &script(&kept)).unwrap();
    let out = dir.path().join("filtered.xlsx");
    std::fs::write(&out, &applied.bytes).unwrap();
    let last = 1 + kept.len();
    let read = run_python(
        r#"
import sys, openpyxl
b = openpyxl.load_workbook(sys.argv[1])
d = b["Data"]
print(d.max_row, [d.cell(r, 6).value for r in range(2, d.max_row + 1)])
print(b["Dashboard"]["B2"].value)
print(b.defined_names["Units"].attr_text, d.auto_filter.ref)
print(len(b["Dashboard"]._charts), [r.coord for r in b["Notes"].merged_cells.ranges])
"#,
        &[&out],
    );
    let lines: Vec<&str> = read.lines().collect();
    let units: Vec<u32> = kept.iter().map(|i| i * 3 % 7 + 1).collect();
    assert_eq!(lines[0], format!("{last} {units:?}"));
    assert_eq!(
        lines[1],
        format!("=SUMIF(Data!$B$2:$B${last},A2,Data!$F$2:$F${last})"),
        "a range into the table shrinks"
    );
    assert_eq!(lines[2], format!("Data!$F$2:$F${last} A1:H{last}"));
    assert_eq!(
        lines[3], "1 ['A1:D1']",
        "the other sheets' chart and merge are still there"
    );
    let said: Vec<String> = applied
        .fidelity
        .changes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        said.iter().any(|c| c.contains("4 rows removed")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|c| c.starts_with("Dashboard!B2")),
        "{said:?}"
    );

    // Recalculated: the Dashboard's SUMIF over the shrunk range caches the sum of the
    // kept rows (openpyxl stored no results at all in the input), computed here from the
    // output's own cells.
    let cached = run_python(
        r#"
import sys, openpyxl
b = openpyxl.load_workbook(sys.argv[1], data_only=True)
d, dash = b["Data"], b["Dashboard"]
key = dash["A2"].value
print(dash["B2"].value, sum(d.cell(r, 6).value for r in range(2, d.max_row + 1) if d.cell(r, 2).value == key))
"#,
        &[&out],
    );
    let (got, expected) = cached.trim().split_once(' ').unwrap();
    assert_ne!(
        got, "None",
        "the SUMIF has a cached result: {:?}",
        applied.fidelity.lost
    );
    assert_eq!(
        got.parse::<f64>().unwrap(),
        expected.parse::<f64>().unwrap()
    );

    // A single reference to a removed row is never silently wrong: the job fails naming it.
    let pointing = dir.path().join("pointing.xlsx");
    run_python(
        "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nwb['Notes']['A3'] = '=Data!F3'\nwb.save(sys.argv[2])",
        &[&input_path, &pointing],
    );
    let err =
        apply::apply(&std::fs::read(&pointing).unwrap(), "p.xlsx", &script(&kept)).unwrap_err();
    assert!(err.0.contains("Notes!A3"), "{err}");
}
