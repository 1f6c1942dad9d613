//! The rewriter on worksheets built here (every feature it names), checked on the XML and,
//! in `real`, through openpyxl in the real Python and on real workbooks.

use super::*;
use crate::book::edits::{CellEdit, CellValue, NewColumn, TableRange};

mod kit;
mod real;

use kit::{Formats, Read, cell, python_reads};

/// Units per data row 2..=11 (distinct, so a sort has one answer).
pub(super) const UNITS: [u32; 10] = [5, 12, 7, 30, 1, 18, 9, 25, 3, 14];
/// Names per data row: text that reads like a missing value or a number stays text.
pub(super) const NAMES: [&str; 10] = [
    "Apple", "NA", "#N/A", "00123", "Kiwi", "None", "Lime", "Mango", "Nut", "Pear",
];

fn price(r: u32) -> f64 {
    f64::from(r) + 0.5
}

/// A "Data" sheet: header row 1, data rows 2..=11 (A name, B id, E `B+1`, F units,
/// G price, H shared `F*G`), a total in row 13, a formula on row 14, and every range-bound
/// feature the rewriter names.
pub(super) fn data_sheet() -> String {
    let mut rows = String::from(
        r#"<row r="1" spans="1:8" s="1" customFormat="1"><c r="A1" s="1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" s="1" t="inlineStr"><is><t>Id</t></is></c><c r="F1" s="1" t="inlineStr"><is><t>Units</t></is></c><c r="G1" s="1" t="inlineStr"><is><t>Price</t></is></c><c r="H1" s="1" t="inlineStr"><is><t>Revenue</t></is></c></row>"#,
    );
    let mut total = 0.0;
    for r in 2..=11u32 {
        let i = (r - 2) as usize;
        let attrs = match r {
            5 => r#" ht="30" customHeight="1""#,
            7 => r#" hidden="1""#,
            _ => "",
        };
        let h = f64::from(UNITS[i]) * price(r);
        total += h;
        let h_formula = if r == 2 {
            r#"<f t="shared" ref="H2:H11" si="0">F2*G2</f>"#.to_owned()
        } else {
            r#"<f t="shared" si="0"/>"#.to_owned()
        };
        let c = match r {
            3 => r#"<c r="C3" t="inlineStr"><is><t>merged</t></is></c>"#,
            6 => r#"<c r="C6" t="e"><v>#N/A</v></c>"#,
            _ => "",
        };
        rows.push_str(&format!(
            r#"<row r="{r}" spans="1:8"{attrs}><c r="A{r}" t="inlineStr"><is><t>{name}</t></is></c><c r="B{r}" s="2"><v>{id}</v></c>{c}<c r="E{r}"><f>B{r}+1</f><v>{e}</v></c><c r="F{r}"><v>{units}</v></c><c r="G{r}"><v>{price}</v></c><c r="H{r}" s="3">{h_formula}<v>{h}</v></c></row>"#,
            name = NAMES[i],
            id = 100 + i,
            e = 101 + i,
            units = UNITS[i],
            price = price(r),
        ));
    }
    rows.push_str(&format!(
        r#"<row r="13"><c r="A13" s="1" t="inlineStr"><is><t>Total</t></is></c><c r="H13" s="3"><f>SUM(H2:H11)</f><v>{total}</v></c></row><row r="14"><c r="G14"><f>SUM(F:F)</f><v>124</v></c><c r="H14"><f>H2*2</f><v>{}</v></c></row>"#,
        2.0 * 5.0 * price(2)
    ));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><sheetPr filterMode="0"/><dimension ref="A1:H14"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="B5" sqref="B5"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="1" max="1" width="20" customWidth="1"/><col min="8" max="8" width="14.5" style="3" customWidth="1"/></cols>
<sheetData>{rows}</sheetData>
<protectedRanges><protectedRange name="ids" sqref="B2:B11"/></protectedRanges><autoFilter ref="A1:H11"><sortState ref="A2:H11"><sortCondition descending="1" ref="F2:F11"/></sortState></autoFilter><mergeCells count="2"><mergeCell ref="A13:E13"/><mergeCell ref="C3:D3"/></mergeCells><conditionalFormatting sqref="F2:F11"><cfRule type="expression" dxfId="0" priority="1"><formula>$F2&gt;$F$13</formula></cfRule></conditionalFormatting><dataValidations count="1"><dataValidation type="whole" allowBlank="1" sqref="F2:F11"><formula1>0</formula1><formula2>1000</formula2></dataValidation></dataValidations><hyperlinks><hyperlink ref="A4" location="'Data'!F4" display="see"/></hyperlinks><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><ignoredErrors><ignoredError sqref="A2:A11" numberStoredAsText="1"/></ignoredErrors><extLst><ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="dataBar" id="{{A}}"><x14:dataBar minLength="0" maxLength="100"/></x14:cfRule><xm:sqref>G2:G11</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst></worksheet>"#
    )
}

pub(super) fn table() -> TableRange {
    TableRange {
        header_row: Some(1),
        first_row: 2,
        last_row: 11,
        first_col: 1,
        last_col: 8,
    }
}

pub(super) fn edit(rows: Option<Vec<u32>>) -> SheetEdit {
    SheetEdit {
        sheet: "Data".into(),
        table: table(),
        rows,
        add_columns: Vec::new(),
        set_cells: Vec::new(),
        look: Default::default(),
    }
}

pub(super) fn rewrite(
    xml: &str,
    edit: &SheetEdit,
) -> Result<(Rewritten, RowMap, Formats), EditError> {
    let map = RowMap::new(&edit.table, edit.rows.as_deref())?;
    let mut formats = Formats::default();
    let sheet = SheetXml {
        name: "Data",
        xml: xml.as_bytes(),
        date1904: false,
    };
    let out = rewrite_sheet(sheet, edit, &map, &mut formats)?;
    Ok((out, map, formats))
}

/// Rows by units, descending: the sort a test expects, computed here.
pub(super) fn by_units_descending() -> Vec<u32> {
    let mut rows: Vec<u32> = (2..=11).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(UNITS[(r - 2) as usize]));
    rows
}

#[test]
fn an_identity_edit_gives_the_same_bytes() {
    let xml = data_sheet();
    for rows in [None, Some((2..=11).collect())] {
        let (out, _, formats) = rewrite(&xml, &edit(rows)).unwrap();
        assert!(out.xml == xml.as_bytes(), "identity edit changed the sheet");
        assert!(out.changes.is_empty() && out.broken.is_empty() && formats.made.is_empty());
    }
}

#[test]
fn a_sort_moves_rows_with_their_styles_values_and_formulas() {
    let order = by_units_descending();
    let (out, map, _) = rewrite(&data_sheet(), &edit(Some(order.clone()))).unwrap();
    let xml = String::from_utf8(out.xml).unwrap();
    let read = Read::new(&xml);
    for (i, &old) in order.iter().enumerate() {
        let new = 2 + i as u32;
        let k = (old - 2) as usize;
        assert_eq!(
            read.text(&format!("A{new}")),
            Some(NAMES[k]),
            "row {old} -> {new}"
        );
        assert_eq!(read.value(&format!("F{new}")), Some(UNITS[k].to_string()));
        // The shared formula is expanded: each cell reads its own row.
        assert_eq!(
            read.formula(&format!("H{new}")),
            Some(format!("F{new}*G{new}"))
        );
        let h: f64 = read.value(&format!("H{new}")).unwrap().parse().unwrap();
        assert!(
            (h - f64::from(UNITS[k]) * price(old)).abs() < 1e-9,
            "cached value moved"
        );
        assert_eq!(read.formula(&format!("E{new}")), Some(format!("B{new}+1")));
        assert_eq!(
            read.attr(&format!("B{new}"), "s"),
            Some("2".into()),
            "style kept"
        );
    }
    // Row attributes travel with their rows.
    let n5 = map.new_row(5).unwrap();
    assert_eq!(read.row_attr(n5, "ht"), Some("30".into()));
    assert_eq!(
        read.row_attr(map.new_row(7).unwrap(), "hidden"),
        Some("1".into())
    );
    assert!(read.row_attr(5, "ht").is_none() || n5 == 5);
    // The error value and the merged text moved with their rows.
    assert_eq!(
        read.value(&format!("C{}", map.new_row(6).unwrap())),
        Some("#N/A".into())
    );
    let n3 = map.new_row(3).unwrap();
    assert!(
        xml.contains(&format!(r#"<mergeCell ref="C{n3}:D{n3}"/>"#)),
        "{xml}"
    );
    assert!(xml.contains(r#"<mergeCell ref="A13:E13"/>"#));
    // Outside the table: the whole-table SUM stays, the single reference follows.
    assert_eq!(read.formula("H13"), Some("SUM(H2:H11)".into()));
    assert_eq!(
        read.formula("H14"),
        Some(format!("H{}*2", map.new_row(2).unwrap()))
    );
    // The old sort state no longer holds; the autofilter, cf and dv keep their ranges.
    assert!(!xml.contains("sortState") && xml.contains(r#"<autoFilter ref="A1:H11">"#));
    assert!(xml.contains(r#"<conditionalFormatting sqref="F2:F11">"#));
    assert!(
        xml.contains("<formula>$F2&gt;$F$13</formula>"),
        "cf formula as it was"
    );
    let n4 = map.new_row(4).unwrap();
    assert!(xml.contains(&format!(
        r#"<hyperlink ref="A{n4}" location="'Data'!F{n4}""#
    )));
    // Untouched parts in order: views, extLst.
    assert!(xml.contains(r#"<selection pane="bottomLeft" activeCell="B5" sqref="B5"/>"#));
    assert!(xml.contains("<xm:sqref>G2:G11</xm:sqref></x14:conditionalFormatting>"));
    assert!(out.broken.is_empty(), "{:?}", out.broken);
    assert!(
        out.changes
            .iter()
            .any(|c| matches!(c, Change::RowsReordered { range, .. } if range == "A2:H11"))
    );
    assert!(
        out.changes
            .iter()
            .any(|c| matches!(c, Change::FormulaAdjusted { cell, .. } if cell == "H14"))
    );
}

#[test]
fn a_filter_removes_rows_and_moves_what_is_below() {
    let keep: Vec<u32> = (2..=11).filter(|r| UNITS[(r - 2) as usize] >= 10).collect();
    let removed = 10 - keep.len() as u32;
    let (out, map, _) = rewrite(&data_sheet(), &edit(Some(keep.clone()))).unwrap();
    let xml = String::from_utf8(out.xml).unwrap();
    let read = Read::new(&xml);
    let last = 1 + keep.len() as u32;
    for (i, &old) in keep.iter().enumerate() {
        let new = 2 + i as u32;
        assert_eq!(
            read.text(&format!("A{new}")),
            Some(NAMES[(old - 2) as usize])
        );
    }
    assert_eq!(
        read.text(&format!("A{}", last + 1)),
        None,
        "no row left between"
    );
    let total_row = 13 - removed;
    assert_eq!(read.text(&format!("A{total_row}")), Some("Total"));
    assert_eq!(
        read.formula(&format!("H{total_row}")),
        Some(format!("SUM(H2:H{last})"))
    );
    // H14 read H2, a removed row: #REF! and reported.
    assert_eq!(
        read.formula(&format!("H{}", 14 - removed)),
        Some("#REF!*2".into())
    );
    assert_eq!(out.broken.len(), 1, "{:?}", out.broken);
    assert!(
        out.broken[0]
            .to_string()
            .starts_with(&format!("Data!H{}: Data!H2 ", 14 - removed))
    );
    assert!(xml.contains(&format!(r#"<mergeCell ref="A{total_row}:E{total_row}"/>"#)));
    let n3 = map.new_row(3).unwrap();
    assert!(xml.contains(&format!(r#"<mergeCell ref="C{n3}:D{n3}"/>"#)));
    assert!(xml.contains(&format!(r#"<autoFilter ref="A1:H{last}">"#)));
    assert!(xml.contains(&format!(
        r#"<sortState ref="A2:H{last}"><sortCondition descending="1" ref="F2:F{last}"/>"#
    )));
    assert!(xml.contains(&format!(r#"<conditionalFormatting sqref="F2:F{last}">"#)));
    assert!(xml.contains(&format!("<formula>$F2&gt;$F${total_row}</formula>")));
    assert!(xml.contains(&format!(r#"sqref="F2:F{last}"><formula1>0</formula1>"#)));
    assert!(!xml.contains("<hyperlink "), "row 4's link went with it");
    assert!(xml.contains(&format!(
        r#"<protectedRange name="ids" sqref="B2:B{last}"/>"#
    )));
    assert!(xml.contains(&format!(
        r#"<ignoredError sqref="A2:A{last}" numberStoredAsText="1"/>"#
    )));
    assert!(xml.contains(&format!(r#"<dimension ref="A1:H{}"/>"#, 14 - removed)));
    assert!(out.changes.contains(&Change::RowsRemoved {
        sheet: "Data".into(),
        count: removed,
        range: "A2:H11".into()
    }));
}

#[test]
fn added_columns_take_their_neighbours_look() {
    let order = by_units_descending();
    let mut e = edit(Some(order.clone()));
    e.add_columns = vec![
        NewColumn {
            header: "Margin".into(),
            formula: Some("=H{r}*0.2".into()),
            values: order
                .iter()
                .map(|&r| CellValue::Number(f64::from(UNITS[(r - 2) as usize]) * price(r) * 0.2))
                .collect(),
            number_format: None,
        },
        NewColumn {
            header: "Note".into(),
            formula: None,
            values: order
                .iter()
                .map(|&r| match r {
                    2 => CellValue::Text("NA".into()),
                    3 => CellValue::Date {
                        date: "2024-01-31".into(),
                    },
                    4 => CellValue::Bool(true),
                    5 => CellValue::Error {
                        error: "#DIV/0!".into(),
                    },
                    6 => CellValue::Empty,
                    _ => CellValue::Text("00123".into()),
                })
                .collect(),
            number_format: Some("0.0".into()),
        },
    ];
    e.set_cells = vec![CellEdit {
        cell: "B13".into(),
        value: CellValue::Number(1045.0),
        formula: Some("=SUM(B2:B11)".into()),
    }];
    let (out, map, formats) = rewrite(&data_sheet(), &e).unwrap();
    let xml = String::from_utf8(out.xml).unwrap();
    let read = Read::new(&xml);
    assert_eq!(read.text("I1"), Some("Margin"));
    assert_eq!(
        read.attr("I1", "s"),
        Some("1".into()),
        "header styled like H1"
    );
    for new in 2..=11u32 {
        assert_eq!(
            read.formula(&format!("I{new}")),
            Some(format!("H{new}*0.2"))
        );
        assert_eq!(
            read.attr(&format!("I{new}"), "s"),
            Some("3".into()),
            "style of H"
        );
    }
    let at = |old: u32| map.new_row(old).unwrap();
    assert_eq!(read.text(&format!("J{}", at(2))), Some("NA"));
    assert_eq!(
        read.value(&format!("J{}", at(3))),
        Some("45322".into()),
        "2024-01-31 as a serial"
    );
    assert_eq!(read.attr(&format!("J{}", at(4)), "t"), Some("b".into()));
    assert_eq!(read.value(&format!("J{}", at(5))), Some("#DIV/0!".into()));
    assert_eq!(read.attr(&format!("J{}", at(5)), "t"), Some("e".into()));
    assert_eq!(read.text(&format!("J{}", at(8))), Some("00123"));
    assert_eq!(
        formats.made,
        vec![(3, "0.0".to_owned())],
        "one format asked, once"
    );
    assert!(
        xml.contains(r#"<col min="9" max="10" width="14.5" style="3" customWidth="1"/>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<autoFilter ref="A1:J11">"#));
    assert_eq!(read.formula("B13"), Some("SUM(B2:B11)".into()));
    assert_eq!(read.row_attr(2, "spans"), Some("1:10".into()));
    assert!(xml.contains(r#"<dimension ref="A1:J14"/>"#));
    assert!(out.changes.iter().any(|c| matches!(c, Change::ColumnAdded { column, formula: Some(f), .. } if column == "I" && f == "=H2*0.2")));
}

#[test]
fn new_columns_never_overwrite_data() {
    let mut e = edit(None);
    e.table.last_col = 5; // F..H hold data
    e.add_columns = vec![NewColumn {
        header: "X".into(),
        formula: None,
        values: vec![CellValue::Empty; 10],
        number_format: None,
    }];
    let err = rewrite(&data_sheet(), &e).unwrap_err();
    assert!(
        err.message.contains("Data!F1") && err.message.contains("holds data"),
        "{}",
        err.message
    );
    e.add_columns[0].values.pop();
    assert!(
        rewrite(&data_sheet(), &e)
            .unwrap_err()
            .message
            .contains("9 values")
    );
}

#[test]
fn what_cannot_move_is_refused_with_a_sentence() {
    let order = by_units_descending();
    let merged = data_sheet().replace(r#"<mergeCell ref="C3:D3"/>"#, r#"<mergeCell ref="C3:C5"/>"#);
    let err = rewrite(&merged, &edit(Some(order.clone()))).unwrap_err();
    assert!(
        err.message.contains("C3:C5") && err.message.contains("merged"),
        "{}",
        err.message
    );
    // The same merge survives a filter that keeps the order (it shrinks).
    let (out, _, _) = rewrite(&merged, &edit(Some(vec![2, 3, 5, 6]))).unwrap();
    assert!(
        String::from_utf8(out.xml)
            .unwrap()
            .contains(r#"<mergeCell ref="C3:C4"/>"#)
    );
    let array = data_sheet().replace("<f>B4+1</f>", r#"<f t="array" ref="E4:E6">B4:B6+1</f>"#);
    let err = rewrite(&array, &edit(Some(order))).unwrap_err();
    assert!(
        err.message.contains("array formula") && err.message.contains("E4:E6"),
        "{}",
        err.message
    );
    for (bad, says) in [
        (
            "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaa\">]><worksheet/>",
            "document type",
        ),
        (
            "<worksheet><sheetData><row r=\"2000000\"/></sheetData></worksheet>",
            "outside",
        ),
        (
            "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"></row></sheetData></worksheet>",
            "not well formed",
        ),
        ("<worksheet><sheetData><row r=\"1\">", "ends inside"),
    ] {
        let err = rewrite(bad, &edit(Some(vec![3, 2]))).unwrap_err();
        assert!(err.message.contains(says), "{bad}: {}", err.message);
    }
    let latin1 = b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>\xe9</t></is></c></row></sheetData></worksheet>";
    let map = RowMap::new(&table(), None).unwrap();
    let sheet = SheetXml {
        name: "Data",
        xml: latin1,
        date1904: false,
    };
    assert!(
        adjust_sheet(sheet, "Data", &map)
            .unwrap_err()
            .message
            .contains("UTF-8")
    );
}

#[test]
fn other_sheets_follow_the_edited_rows() {
    let dashboard = r#"<worksheet><sheetData><row r="1"><c r="A1"><f>SUM(Data!H2:H11)</f><v>1</v></c><c r="B1"><f>Data!F3</f><v>12</v></c><c r="C1"><f>SUM(Data!F2:F4)</f><v>24</v></c><c r="D1"><f>A1&amp;"Data!F3"</f></c></row><row r="2"><c r="D2"><f t="shared" ref="D2:D3" si="0">Data!$F2*2</f><v>10</v></c></row><row r="3"><c r="D3"><f t="shared" si="0"/><v>24</v></c></row></sheetData><dataValidations count="1"><dataValidation type="list" sqref="E1"><formula1>Data!$A$2:$A$11</formula1></dataValidation></dataValidations></worksheet>"#;
    let order = by_units_descending();
    let map = RowMap::new(&table(), Some(&order)).unwrap();
    let sheet = SheetXml {
        name: "Dash",
        xml: dashboard.as_bytes(),
        date1904: false,
    };
    let out = adjust_sheet(sheet, "Data", &map)
        .unwrap()
        .expect("it references Data");
    let xml = String::from_utf8(out.xml).unwrap();
    let read = Read::new(&xml);
    assert_eq!(read.formula("A1"), Some("SUM(Data!H2:H11)".into()));
    assert_eq!(
        read.formula("B1"),
        Some(format!("Data!F{}", map.new_row(3).unwrap()))
    );
    assert_eq!(
        read.formula("D1"),
        Some("A1&\"Data!F3\"".into()),
        "text is text"
    );
    assert_eq!(
        read.formula("D2"),
        Some(format!("Data!$F{}*2", map.new_row(2).unwrap()))
    );
    assert_eq!(
        read.formula("D3"),
        Some(format!("Data!$F{}*2", map.new_row(3).unwrap()))
    );
    assert_eq!(read.value("D3"), Some("24".into()), "cached value kept");
    assert_eq!(read.formula("C1"), Some("SUM(Data!#REF!)".into()));
    assert_eq!(out.broken.len(), 1);
    assert!(
        out.broken[0]
            .to_string()
            .starts_with("Dash!C1: Data!F2:F4 "),
        "{:?}",
        out.broken
    );
    assert!(xml.contains("<formula1>Data!$A$2:$A$11</formula1>"));
    // A sheet that does not reference the edited one comes back as `None`.
    let plain = dashboard.replace("Data!", "Other!");
    let sheet = SheetXml {
        name: "Dash",
        xml: plain.as_bytes(),
        date1904: false,
    };
    assert!(adjust_sheet(sheet, "Data", &map).unwrap().is_none());
}

#[test]
fn the_written_sheet_reads_back_in_openpyxl() {
    let keep: Vec<u32> = by_units_descending()
        .into_iter()
        .filter(|r| *r != 2)
        .collect();
    let (out, map, _) = rewrite(&data_sheet(), &edit(Some(keep.clone()))).unwrap();
    let got = python_reads(&out.xml);
    for (i, &old) in keep.iter().enumerate() {
        let new = 2 + i as u32;
        let k = (old - 2) as usize;
        assert_eq!(cell(&got, &format!("A{new}")), serde_json::json!(NAMES[k]));
        assert_eq!(cell(&got, &format!("F{new}")), serde_json::json!(UNITS[k]));
        assert_eq!(
            cell(&got, &format!("H{new}")),
            serde_json::json!(format!("=F{new}*G{new}"))
        );
    }
    let removed = map.removed();
    assert_eq!(
        cell(&got, &format!("H{}", 13 - removed)),
        serde_json::json!("=SUM(H2:H10)")
    );
    let n3 = map.new_row(3).unwrap();
    let merges = [format!("A{0}:E{0}", 13 - removed), format!("C{n3}:D{n3}")];
    assert_eq!(got["merged"], serde_json::json!(merges));
    assert_eq!(got["autofilter"], serde_json::json!("A1:H10"));
    assert_eq!(got["cf"], serde_json::json!(["F2:F10"]));
    assert_eq!(got["dv"], serde_json::json!(["F2:F10"]));
    assert_eq!(
        got["heights"][map.new_row(5).unwrap().to_string()],
        serde_json::json!(30.0)
    );
    assert_eq!(got["hidden"], serde_json::json!([map.new_row(7).unwrap()]));
}

#[test]
fn set_cells_make_the_rows_and_cells_they_need() {
    let empty = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/><sheetData/></worksheet>"#;
    let mut e = edit(None);
    e.set_cells = vec![
        CellEdit {
            cell: "C4".into(),
            value: CellValue::Date {
                date: "2024-01-31T12:00:00".into(),
            },
            formula: None,
        },
        CellEdit {
            cell: "a2".into(),
            value: CellValue::Text(" #N/A ".into()),
            formula: None,
        },
    ];
    let (out, _, formats) = rewrite(empty, &e).unwrap();
    let xml = String::from_utf8(out.xml).unwrap();
    let read = Read::new(&xml);
    assert_eq!(read.value("C4"), Some("45322.5".into()));
    assert_eq!(
        read.attr("C4", "s"),
        Some("4".into()),
        "a date format from Styles"
    );
    assert_eq!(formats.made, vec![(0, "yyyy-mm-dd hh:mm:ss".to_owned())]);
    assert_eq!(
        read.text("A2"),
        Some(" #N/A "),
        "text as typed, spaces kept"
    );
    assert!(xml.contains(r#"<dimension ref="A2:C4"/>"#), "{xml}");
    assert!(xml.find(r#"<row r="2">"#) < xml.find(r#"<row r="4">"#));
    // An existing cell keeps its style when set.
    let mut e = edit(None);
    e.set_cells = vec![CellEdit {
        cell: "B3".into(),
        value: CellValue::Number(7.0),
        formula: None,
    }];
    let (out, _, _) = rewrite(&data_sheet(), &e).unwrap();
    let read = Read::new(std::str::from_utf8(&out.xml).unwrap());
    assert_eq!(read.value("B3"), Some("7".into()));
    assert_eq!(read.attr("B3", "s"), Some("2".into()));
    // A part that writes its elements with a prefix gets new cells with the same one.
    let prefixed = r#"<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>"#;
    let mut p = edit(None);
    p.set_cells = vec![CellEdit {
        cell: "B1".into(),
        value: CellValue::Text("x".into()),
        formula: None,
    }];
    let (out, _, _) = rewrite(prefixed, &p).unwrap();
    assert!(
        String::from_utf8(out.xml).unwrap().contains(
            r#"<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>"#
        )
    );
    let mut twice = edit(None);
    twice.set_cells = vec![e.set_cells[0].clone(), e.set_cells[0].clone()];
    assert!(
        rewrite(&data_sheet(), &twice)
            .unwrap_err()
            .message
            .contains("twice")
    );
}

#[test]
fn dates_count_from_the_workbooks_epoch() {
    use super::plan::serial;
    for (date, want) in [
        ("1900-01-01", 1.0),
        ("1900-02-28", 59.0),
        ("1900-03-01", 61.0),
        ("2024-01-31", 45322.0),
        ("2024-01-31T06:00:00", 45322.25),
    ] {
        assert_eq!(serial(date, false).unwrap(), want, "{date}");
    }
    assert_eq!(serial("2024-01-31", true).unwrap(), 45322.0 - 1462.0);
    assert!(serial("1899-12-31", false).is_err());
    assert!(serial("1903-12-31", true).is_err());
    assert!(serial("31/01/2024", false).is_err());
}

#[test]
fn a_sheet_too_big_to_edit_is_refused() {
    let xml = data_sheet();
    let sheet = SheetXml {
        name: "Data",
        xml: xml.as_bytes(),
        date1904: false,
    };
    let err = checked_within(&sheet, 1 << 10).unwrap_err();
    assert!(err.message.contains("more than the"), "{}", err.message);
    assert!(checked_within(&sheet, 1 << 20).is_ok());
}
