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
            (Err(e), Some(words)) => assert!(e.message.contains(words), "{name}: {e}"),
            (Ok(applied), Some(_)) => {
                panic!("{name}: edited, with kept {:?}", applied.fidelity.kept)
            }
            // Either refused with a sentence, or written and checked against the input.
            (Err(e), None) => assert!(e.message.len() > 20, "{name}: {e}"),
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
        said.iter()
            .any(|c| c.starts_with("Dashboard: 4 formulas adjusted: B2: =SUMIF(")),
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
    assert!(err.message.contains("Notes!A3"), "{err}");
}

#[test]
fn a_sort_of_values_leaves_the_workbook_part_as_it_was() {
    // table-multiple's Sheet1 holds values only: nothing for Excel to recalculate, so
    // `workbook.xml` (where `fullCalcOnLoad` would go) is the input's bytes.
    let input = fixture("table-multiple.xlsx");
    let script = r#"{"version": 1, "sheets": [{"sheet": "Sheet1", "table": {"header_row": 1, "first_row": 2, "last_row": 5, "first_col": 1, "last_col": 3}, "rows": [3, 5, 4, 2]}]}"#;
    let edits: Edits = serde_json::from_str(script).unwrap();
    let applied = apply::apply(&input, "table-multiple.xlsx", &edits).unwrap();
    assert_eq!(
        part_text(&applied.bytes, "xl/workbook.xml"),
        part_text(&input, "xl/workbook.xml")
    );
    let changed: Vec<String> = raw_entries(&input)
        .into_iter()
        .zip(raw_entries(&applied.bytes))
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0)
        .collect();
    assert_eq!(changed, ["xl/worksheets/sheet1.xml"]);

    // The sales workbook's Data sheet has a formula per row: a sort moves them, and
    // Excel is asked to recalculate.
    let dir = tempfile::tempdir().unwrap();
    let sales = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&sales]);
    let sales = std::fs::read(&sales).unwrap();
    let script = r#"{"version": 1, "sheets": [{"sheet": "Data", "table": {"header_row": 1, "first_row": 2, "last_row": 11, "first_col": 1, "last_col": 8}, "rows": [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]}]}"#;
    let edits: Edits = serde_json::from_str(script).unwrap();
    let applied = apply::apply(&sales, "sales.xlsx", &edits).unwrap();
    assert!(part_text(&applied.bytes, "xl/workbook.xml").contains("fullCalcOnLoad=\"1\""));
}

/// A Data sheet of ten rows (2..=11) with a merge per row, manual page breaks after rows
/// 5 and 13, and an `<extLst>` holding an x14 data bar over B2:B11, another over B3, an
/// x14 list validation over C2:C11, and a sparkline per row at E<r> over A<r>:B<r>.
fn extended_workbook(dir: &Path) -> Vec<u8> {
    let path = dir.join("ext.xlsx");
    run_python(
        "import sys, openpyxl\nfrom openpyxl.worksheet.pagebreak import Break\nwb = openpyxl.Workbook()\nws = wb.active\nws.title = 'Data'\nws.append(['a', 'b', 'c', 'd'])\nfor i in range(2, 12):\n    ws.append([i, i * 10, 'x', None])\n    ws.merge_cells(f'C{i}:D{i}')\nws.row_breaks.append(Break(id=5))\nws.row_breaks.append(Break(id=13))\nwb.create_sheet('Lists').append(['x'])\nwb.save(sys.argv[1])",
        &[&path],
    );
    let sparklines: String = (2..=11)
        .map(|r| format!("<x14:sparkline><xm:f>Data!A{r}:B{r}</xm:f><xm:sqref>E{r}</xm:sqref></x14:sparkline>"))
        .collect();
    let ext = format!(
        r#"<extLst><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="dataBar" id="{{A}}"><x14:dataBar minLength="0" maxLength="100"/></x14:cfRule><xm:sqref>B2:B11</xm:sqref></x14:conditionalFormatting><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="expression" priority="2" id="{{B}}"><xm:f>$B3&gt;$B$2</xm:f></x14:cfRule><xm:sqref>B3</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext><ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>Lists!$A$1:$A$1</xm:f></x14:formula1><xm:sqref>C2:C11</xm:sqref></x14:dataValidation></x14:dataValidations></ext><ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:sparklineGroup><x14:sparklines>{sparklines}</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"#
    );
    let input = std::fs::read(&path).unwrap();
    with_part(&input, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace("</worksheet>", &format!("{ext}</worksheet>"))
    })
}

fn data_edit(rows: &[u32]) -> Edits {
    let script = format!(
        r#"{{"version": 1, "sheets": [{{"sheet": "Data", "table": {{"header_row": 1, "first_row": 2, "last_row": 11, "first_col": 1, "last_col": 4}}, "rows": {rows:?}}}]}}"#
    );
    serde_json::from_str(&script).unwrap()
}

#[test]
fn a_filter_moves_extension_ranges_sparklines_and_page_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let input = extended_workbook(dir.path());
    let applied = apply::apply(&input, "ext.xlsx", &data_edit(&[2, 4, 6, 8, 10])).unwrap();
    let xml = part_text(&applied.bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<xm:sqref>B2:B6</xm:sqref>"), "{xml}");
    assert!(xml.contains("<xm:sqref>C2:C6</xm:sqref>"), "{xml}");
    assert!(xml.contains("<xm:f>Lists!$A$1:$A$1</xm:f>"), "{xml}");
    // Row 4's sparkline lands on row 3 with its data; row 3's was removed with its row.
    assert!(
        xml.contains("<xm:f>Data!A3:B3</xm:f><xm:sqref>E3</xm:sqref>"),
        "{xml}"
    );
    assert!(
        xml.contains("<xm:f>Data!A6:B6</xm:f><xm:sqref>E6</xm:sqref>"),
        "{xml}"
    );
    // The break after row 5 now follows the 2nd kept row (row 3); the one below the
    // table moves up by the 5 rows removed.
    assert!(xml.contains(r#"<brk id="3""#), "{xml}");
    assert!(xml.contains(r#"<brk id="8""#), "{xml}");
    assert!(!xml.contains(r#"<brk id="5""#) && !xml.contains(r#"<brk id="13""#));
    // The data bar over B3 lost every row: left as it was, and said so.
    assert!(
        applied
            .fidelity
            .lost
            .iter()
            .any(|l| l.contains("conditional format (Excel 2010) over B3")),
        "{:?}",
        applied.fidelity.lost
    );
    // The output opens in openpyxl.
    let out = dir.path().join("out.xlsx");
    std::fs::write(&out, &applied.bytes).unwrap();
    let read = run_python(
        "import sys, openpyxl\nws = openpyxl.load_workbook(sys.argv[1])['Data']\nprint(ws.max_row, [b.id for b in ws.row_breaks.brk])",
        &[&out],
    );
    assert_eq!(read.trim(), "6 [3, 8]");
}

#[test]
fn a_sort_of_many_merges_is_one_change_and_sparklines_follow_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = extended_workbook(dir.path());
    let rows: Vec<u32> = (2..=11).rev().collect();
    let applied = apply::apply(&input, "ext.xlsx", &data_edit(&rows)).unwrap();
    let xml = part_text(&applied.bytes, "xl/worksheets/sheet1.xml");
    // Row 2 lands on row 11: its sparkline and its data go with it; page breaks stay.
    assert!(
        xml.contains("<xm:f>Data!A11:B11</xm:f><xm:sqref>E11</xm:sqref>"),
        "{xml}"
    );
    assert!(xml.contains("<xm:sqref>B2:B11</xm:sqref>"), "{xml}");
    assert!(xml.contains(r#"<brk id="5""#) && xml.contains(r#"<brk id="13""#));
    let merges: Vec<_> = applied
        .fidelity
        .changes
        .iter()
        .filter(|c| c.to_string().contains("merge"))
        .collect();
    assert_eq!(merges.len(), 1, "{:?}", applied.fidelity.changes);
    let text = merges[0].to_string();
    assert!(text.starts_with("Data: 10 x "), "{text}");
    assert!(
        text.contains("(and 0 more)") || !text.contains("more"),
        "{text}"
    );
    let sparklines: Vec<_> = applied
        .fidelity
        .changes
        .iter()
        .filter(|c| c.to_string().contains("sparkline"))
        .collect();
    assert_eq!(sparklines.len(), 1, "{:?}", applied.fidelity.changes);
    assert!(
        sparklines[0].to_string().contains("(and 10 more)"),
        "{}",
        sparklines[0]
    );
}
