//! Real workbooks (`tests/fixtures/book/`, see its SOURCES.md): every worksheet
//! round-trips byte for byte under an identity edit, and a real 3,799-row sheet sorted in
//! place reads back in openpyxl with every row's values where the sort put them.

use super::super::*;
use super::kit::{Formats, replace_part, run_python, run_python_on, unzip};
use super::{data_sheet, edit, rewrite};
use crate::book::edits::{CellValue, NewColumn, TableRange};
use crate::book::formula::parse_cell;
use std::time::Instant;

const FIXTURES: &[&str] = &[
    "StructuredRefs-lots-with-lookups.xlsx",
    "mv-calculator-final-2-20-2013.xlsm",
    "formula_stress_test.xlsx",
    "xlookup.xlsx",
    "pivots.xlsx",
    "dynamic_array01.xlsx",
    "inlineStr_cdata.xlsx",
    "merged_range.xlsx",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/book/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn worksheets(book: &[u8]) -> Vec<(String, Vec<u8>)> {
    unzip(book)
        .into_iter()
        .filter(|(name, _)| name.starts_with("xl/worksheets/") && name.ends_with(".xml"))
        .collect()
}

fn table(first: u32, last: u32, last_col: u32) -> TableRange {
    TableRange {
        header_row: Some(1),
        first_row: first,
        last_row: last,
        first_col: 1,
        last_col,
    }
}

#[test]
fn every_real_worksheet_round_trips_byte_for_byte() {
    let mut sheets = 0;
    let reversed: Vec<u32> = (2..=50).rev().collect();
    let sort = RowMap::new(&table(2, 50, 5), Some(&reversed)).unwrap();
    for name in FIXTURES {
        for (path, xml) in worksheets(&fixture(name)) {
            let identity = SheetEdit {
                sheet: "S".into(),
                table: table(2, 50, 5),
                rows: None,
                add_columns: Vec::new(),
                set_cells: Vec::new(),
                look: Default::default(),
            };
            let map = RowMap::new(&identity.table, None).unwrap();
            let sheet = SheetXml {
                name: "S",
                xml: &xml,
                date1904: false,
            };
            let out = rewrite_sheet(sheet, &identity, &map, &mut Formats::default())
                .unwrap_or_else(|e| panic!("{name} {path}: {e}"));
            assert!(
                out.xml == xml,
                "{name} {path}: the identity edit changed bytes"
            );
            assert!(out.changes.is_empty(), "{name} {path}: {:?}", out.changes);
            // A sort on a sheet this one never names leaves it untouched.
            let sheet = SheetXml {
                name: "S",
                xml: &xml,
                date1904: false,
            };
            let adjusted = adjust_walk(sheet, "No Such Sheet", &sort).unwrap();
            assert!(
                adjusted.is_none(),
                "{name} {path}: changed by another sheet's sort"
            );
            // The same for the edited sheet itself, when the sort is of rows it does not
            // have: every row read and written, none moved.
            let far = SheetEdit {
                table: table(900_000, 900_002, 5),
                rows: Some(vec![900_002, 900_001, 900_000]),
                ..identity.clone()
            };
            let far_map = RowMap::new(&far.table, far.rows.as_deref()).unwrap();
            let sheet = SheetXml {
                name: "S",
                xml: &xml,
                date1904: false,
            };
            let out = rewrite_sheet(sheet, &far, &far_map, &mut Formats::default()).unwrap();
            assert!(
                out.xml == xml,
                "{name} {path}: rows that did not move changed"
            );
            sheets += 1;
        }
    }
    assert!(sheets >= 30, "only {sheets} worksheets read");
}

const READ_QUERY: &str = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], data_only=True)
formulas = openpyxl.load_workbook(sys.argv[1])
ws, wf = book["Query"], formulas["Query"]
rows = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=7)]
print(json.dumps({"rows": rows, "a": [wf.cell(r, 1).value for r in (2, 3799)],
                  "tables": list(wf.tables.keys()), "sheets": book.sheetnames}, default=str))
"#;

#[test]
fn a_real_sheet_sorted_in_place_reads_back_in_openpyxl() {
    let book = fixture("StructuredRefs-lots-with-lookups.xlsx");
    let (path, xml) = worksheets(&book)
        .into_iter()
        .find(|(_, x)| String::from_utf8_lossy(x).contains(r#"<dimension ref="A1:G3799"/>"#))
        .expect("the Query sheet");
    // Sort the data rows by column F (a number), descending; ties keep their order.
    let before = run_python(&book, READ_QUERY);
    let rows = before["rows"].as_array().unwrap();
    let mut order: Vec<u32> = (2..=3799).collect();
    let f = |r: u32| rows[(r - 1) as usize][5].as_f64().unwrap_or(f64::MIN);
    order.sort_by(|a, b| f(*b).total_cmp(&f(*a)));
    let edit = SheetEdit {
        sheet: "Query".into(),
        table: table(2, 3799, 7),
        rows: Some(order.clone()),
        add_columns: Vec::new(),
        set_cells: Vec::new(),
        look: Default::default(),
    };
    let map = RowMap::new(&edit.table, edit.rows.as_deref()).unwrap();
    let sheet = SheetXml {
        name: "Query",
        xml: &xml,
        date1904: false,
    };
    let out = rewrite_sheet(sheet, &edit, &map, &mut Formats::default()).unwrap();
    assert!(out.broken.is_empty(), "{:?}", out.broken);
    // The other sheets reference Query by whole columns: nothing in them changes.
    for (other, other_xml) in worksheets(&book) {
        if other != path {
            let sheet = SheetXml {
                name: "Other",
                xml: &other_xml,
                date1904: false,
            };
            let adjusted = adjust_sheet(sheet, "Query", &map).unwrap();
            assert!(
                adjusted.is_none(),
                "{other} changed: {:?}",
                adjusted.map(|a| a.changes)
            );
        }
    }
    let after = run_python(&replace_part(&book, &path, &out.xml), READ_QUERY);
    let sorted = after["rows"].as_array().unwrap();
    assert_eq!(sorted.len(), rows.len());
    assert_eq!(sorted[0], rows[0], "the header stays");
    for (i, &old) in order.iter().enumerate() {
        assert_eq!(
            sorted[i + 1],
            rows[(old - 1) as usize],
            "output row {} is input row {old}",
            i + 2
        );
    }
    assert_eq!(
        after["a"], before["a"],
        "the structured-reference formulas read as they did"
    );
    assert_eq!(after["tables"], before["tables"]);
    assert_eq!(after["sheets"], before["sheets"]);
}

/// A sheet of `rows` data rows × 10 columns (text, numbers, a formula per row).
fn big_sheet(rows: u32) -> String {
    let mut xml = String::with_capacity(rows as usize * 400);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:J"#);
    xml.push_str(&format!("{}\"/><sheetData>", rows + 1));
    xml.push_str(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>"#);
    for r in 2..=rows + 1 {
        xml.push_str(&format!(
            r#"<row r="{r}" spans="1:10"><c r="A{r}" t="inlineStr"><is><t>item {r}</t></is></c><c r="B{r}"><v>{}</v></c><c r="C{r}"><v>{}</v></c><c r="D{r}"><v>3</v></c><c r="E{r}"><v>4</v></c><c r="F{r}"><v>5</v></c><c r="G{r}"><v>6</v></c><c r="H{r}"><v>7</v></c><c r="I{r}"><v>8</v></c><c r="J{r}" s="1"><f>B{r}*C{r}</f><v>{}</v></c></row>"#,
            r % 977,
            r % 13,
            (r % 977) * (r % 13)
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// Rewrite speed on 100,000 rows × 10 columns: `cargo test -p office-core --release --lib
/// book::sheet::tests::real::rewrite_speed -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn rewrite_speed_on_100k_rows() {
    let n = 100_000u32;
    let xml = big_sheet(n);
    let mut order: Vec<u32> = (2..=n + 1).collect();
    order.sort_by_key(|r| (std::cmp::Reverse(r % 977), *r));
    let filter: Vec<u32> = (2..=n + 1).filter(|r| r % 977 > 400).collect();
    let column = NewColumn {
        header: "Margin".into(),
        formula: Some("=J{r}*0.2".into()),
        values: (0..n)
            .map(|i| CellValue::Number(f64::from(i) * 0.2))
            .collect(),
        number_format: Some("0.00".into()),
    };
    for (what, rows, add) in [
        ("identity", None, false),
        ("sort", Some(order), false),
        ("filter", Some(filter.clone()), false),
        ("computed column", None, true),
    ] {
        let mut e = edit(rows);
        e.table = table(2, n + 1, 10);
        if add {
            e.add_columns = vec![NewColumn {
                values: column.values.clone(),
                ..column.clone()
            }];
        }
        let started = Instant::now();
        let (out, _, _) = rewrite(&xml, &e).unwrap();
        println!(
            "{what}: {:.0} ms for {} MB in, {} MB out",
            started.elapsed().as_secs_f64() * 1000.0,
            xml.len() >> 20,
            out.xml.len() >> 20
        );
    }
    let _ = data_sheet();
}

const READ_LIST: &str = r#"
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], data_only=True)
ws = book["List"]
print(json.dumps({
    "rows": [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=10)],
    "merged": sorted(str(r) for r in ws.merged_cells.ranges),
    "cf": sorted(str(r.sqref) for r in ws.conditional_formatting),
    "dv": sorted(str(d.sqref) for d in ws.data_validations.dataValidation),
}, default=str))
"#;

#[test]
fn a_real_sheet_sorted_and_filtered_keeps_its_merges_in_step() {
    let book = fixture("StructuredRefs-lots-with-lookups.xlsx");
    let (path, xml) = worksheets(&book)
        .into_iter()
        .find(|(_, x)| String::from_utf8_lossy(x).contains(r#"<dimension ref="B1:J415"/>"#))
        .expect("the List sheet");
    let before = run_python(&book, READ_LIST);
    let filter: Vec<u32> = (8..=400).filter(|r| r % 3 != 0).collect();
    let sort: Vec<u32> = (8..=400).rev().collect();
    for rows in [filter, sort] {
        let edit = SheetEdit {
            sheet: "List".into(),
            table: table(8, 400, 10),
            rows: Some(rows),
            add_columns: Vec::new(),
            set_cells: Vec::new(),
            look: Default::default(),
        };
        let map = RowMap::new(&edit.table, edit.rows.as_deref()).unwrap();
        let sheet = SheetXml {
            name: "List",
            xml: &xml,
            date1904: false,
        };
        let out = rewrite_sheet(sheet, &edit, &map, &mut Formats::default()).unwrap();
        let after = run_python(&replace_part(&book, &path, &out.xml), READ_LIST);
        let (rows, kept) = (
            before["rows"].as_array().unwrap(),
            after["rows"].as_array().unwrap(),
        );
        assert_eq!(kept.len(), rows.len() - map.removed() as usize);
        for r in 1..=rows.len() as u32 {
            let Some(new) = map.new_row(r) else { continue };
            assert_eq!(
                kept[(new - 1) as usize],
                rows[(r - 1) as usize],
                "row {r} -> {new}"
            );
        }
        // Each merge of the input on a kept row is in the output on the row it moved to.
        let merged: Vec<&str> = after["merged"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m.as_str())
            .collect();
        for m in before["merged"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m.as_str())
        {
            let (a, b) = m.split_once(':').unwrap();
            let ((c1, r1), (c2, r2)) = (parse_cell(a).unwrap(), parse_cell(b).unwrap());
            let moved = map
                .new_row(r1)
                .zip(map.new_row(r2))
                .filter(|(n1, n2)| n2 - n1 == r2 - r1);
            if let Some((n1, n2)) = moved {
                let want = crate::book::formula::range_text(c1, n1, c2, n2);
                assert!(merged.contains(&want.as_str()), "{m} -> {want} missing");
            }
        }
        // Formulas that read only their own row (and fixed cells above the table) read
        // as openpyxl's own translator moves them.
        let moves: std::collections::HashMap<String, u32> = (8..=400)
            .filter_map(|r| Some((r.to_string(), map.new_row(r)?)))
            .collect();
        let output = replace_part(&book, &path, &out.xml);
        let moves = serde_json::to_string(&moves).unwrap();
        let check = run_python_on(&[&book, &output], MOVED_FORMULAS, &["List", &moves]);
        assert!(check["checked"].as_u64().unwrap() > 500, "{check}");
        assert_eq!(check["mismatches"], serde_json::json!([]));
        assert!(!after["cf"].as_array().unwrap().is_empty());
        assert_eq!(
            after["dv"], before["dv"],
            "validations above the table stay"
        );
        assert!(
            out.changes
                .iter()
                .any(|c| matches!(c, Change::RangeResized { what, .. } if what == "merged cells"))
        );
    }
}

const MOVED_FORMULAS: &str = r#"
import json, re, sys, openpyxl
from openpyxl.formula.translate import Translator
before = openpyxl.load_workbook(sys.argv[1])[sys.argv[3]]
after = openpyxl.load_workbook(sys.argv[2])[sys.argv[3]]
moves = {int(k): v for k, v in json.loads(sys.argv[4]).items()}
first = min(moves)
checked, mismatches = 0, []
for r, n in moves.items():
    for col in range(1, 27):
        f = before.cell(r, col).value
        if not (isinstance(f, str) and f.startswith("=")):
            continue
        bare = re.sub(r'"[^"]*"', '""', f)
        refs = re.findall(r"(?<![A-Za-z_])\$?[A-Z]{1,3}(\$?)(\d+)(?![\d(])", bare)
        if not all(int(row) == r or (int(row) < first and dollar) for dollar, row in refs):
            continue
        want = Translator(f, origin=before.cell(r, col).coordinate).translate_formula(
            after.cell(n, col).coordinate)
        got = after.cell(n, col).value
        checked += 1
        if got != want:
            mismatches.append([r, n, col, f, want, got])
print(json.dumps({"checked": checked, "mismatches": mismatches[:5]}))
"#;

/// Every formula stored in the real workbooks, unescaped.
fn real_formulas() -> Vec<String> {
    let mut all = Vec::new();
    for name in FIXTURES {
        for (_, xml) in worksheets(&fixture(name)) {
            let text = String::from_utf8(xml).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("<f") {
                rest = &rest[i..];
                let Some(open) = rest.find('>') else { break };
                if rest[..open].ends_with('/') || !rest[2..].starts_with([' ', '>']) {
                    rest = &rest[open..];
                    continue;
                }
                let Some(close) = rest.find("</f>") else {
                    break;
                };
                let inner = &rest[open + 1..close];
                all.push(quick_xml::escape::unescape(inner).unwrap().into_owned());
                rest = &rest[close..];
            }
        }
    }
    all
}

#[test]
fn every_real_formula_reads_back_as_written() {
    use crate::book::formula::{Adjusted, adjust_formula, translate};
    let formulas = real_formulas();
    assert!(formulas.len() > 1000, "{} formulas", formulas.len());
    let reversed: Vec<u32> = (2..=50).rev().collect();
    let sort = RowMap::new(&table(2, 50, 5), Some(&reversed)).unwrap();
    for f in &formulas {
        assert_eq!(&translate(f, 0, 0), f);
        // Moved two rows and columns down and back: the same text (away from the edges).
        let there = translate(f, 2, 2);
        if !there.contains("#REF!") || f.contains("#REF!") {
            assert_eq!(&translate(&there, -2, -2), f, "{f} -> {there}");
        }
        // A sort on a sheet the formula does not name leaves it as it was.
        assert_eq!(
            adjust_formula(f, "Host", "Elsewhere", &sort),
            Adjusted::Same,
            "{f}"
        );
    }
}

#[test]
fn cut_real_worksheets_never_panic() {
    let book = fixture("formula_stress_test.xlsx");
    let reversed: Vec<u32> = (2..=20).rev().collect();
    let mut e = edit(Some(reversed));
    e.table = table(2, 20, 5);
    for (path, xml) in worksheets(&book).into_iter().take(4) {
        let text = String::from_utf8(xml).unwrap();
        for k in 1..40 {
            let mut cut = text.len() * k / 40;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let part = &text[..cut];
            // Either a clear error or a rewritten part; never a panic.
            if let Ok((out, _, _)) = rewrite(part, &e) {
                assert!(
                    !out.xml.is_empty() || part.is_empty(),
                    "{path} cut at {cut}"
                );
            }
            let garbled = text.replacen("<row ", "<row r=\"x\" ", 3);
            let _ = rewrite(&garbled, &e);
        }
    }
}
