//! Recalculation on workbooks written here (formulas without cached values, as tools
//! write them) and on real files whose cached values Excel stored.

use super::*;
use crate::book::test_zip::{part_text, raw_entries};
use std::io::{Cursor, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="My Summary" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>"#;

/// Units and prices of the data rows.
const ROWS: &[(f64, f64)] = &[(3.0, 2.5), (0.0, 4.0), (7.0, 1.25), (2.0, 10.0)];

/// Data: A units, B price, C `=A*B` (no cached value), D `=B/A` (a #DIV/0! on the row
/// with no units), E `=IF(A>2,"many","few")`, F `=A>2`; a cached value in C2 that is
/// wrong on purpose (`only_missing` must keep it). My Summary: `SUM`, `AVERAGEIFS`,
/// `COUNTIFS` and `ROUND` over Data and a shared formula, in prefixed (`x:`) elements.
fn data_sheet() -> String {
    let mut rows = String::from(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Units</t></is></c><c r="B1" t="inlineStr"><is><t>Price</t></is></c></row>"#,
    );
    for (index, (units, price)) in ROWS.iter().enumerate() {
        let r = index + 2;
        let revenue = if r == 2 {
            format!(r#"<c r="C{r}" s="1"><f>A{r}*B{r}</f><v>999</v></c>"#)
        } else {
            format!(r#"<c r="C{r}" s="1"><f>A{r}*B{r}</f><v></v></c>"#)
        };
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{units}</v></c><c r="B{r}"><v>{price}</v></c>{revenue}<c r="D{r}"><f>B{r}/A{r}</f></c><c r="E{r}" t="str"><f>IF(A{r}&gt;2,"many","few")</f></c><c r="F{r}"><f>A{r}&gt;2</f><v/></c></row>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#
    )
}

const SUMMARY_SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"><x:f>SUM(Data!C2:C5)</x:f></x:c><x:c r="B1"><x:f>AVERAGEIFS(Data!B2:B5,Data!A2:A5,"&gt;1")</x:f></x:c><x:c r="C1"><x:f>COUNTIFS(Data!A2:A5,"&gt;1",Data!B2:B5,"&lt;5")</x:f></x:c><x:c r="D1"><x:f>ROUND(Data!B4*2.37,2)</x:f></x:c></x:row><x:row r="2"><x:c r="A2"><x:f t="shared" ref="A2:B2" si="0">Data!A2+1</x:f></x:c><x:c r="B2"><x:f t="shared" si="0"/></x:c></x:row></x:sheetData></x:worksheet>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.00"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

fn build_xlsx(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn test_workbook() -> Vec<u8> {
    let data = data_sheet();
    build_xlsx(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", &data),
        ("xl/worksheets/sheet2.xml", SUMMARY_SHEET),
        ("xl/styles.xml", STYLES),
        ("docProps/custom.bin", "\u{1}\u{2}untouched"),
    ])
}

fn number(values: &Evaluated, sheet: &str, row: u32, col: u32) -> f64 {
    match values.get(sheet, row, col) {
        Some(Computed::Number(n)) => *n,
        other => panic!("{sheet} ({row},{col}) is {other:?}"),
    }
}

#[test]
fn evaluates_every_formula_against_values_computed_here() {
    let values = evaluate(&test_workbook()).unwrap();
    for (index, (units, price)) in ROWS.iter().enumerate() {
        let row = index as u32 + 2;
        assert_eq!(number(&values, "Data", row, 3), units * price);
        let ratio = values.get("Data", row, 4).unwrap();
        if *units == 0.0 {
            assert_eq!(ratio, &Computed::Error(FormulaError::DivZero));
        } else {
            assert_eq!(ratio, &Computed::Number(price / units));
        }
        let label = if *units > 2.0 { "many" } else { "few" };
        assert_eq!(
            values.get("Data", row, 5),
            Some(&Computed::Text(label.into()))
        );
        assert_eq!(
            values.get("Data", row, 6),
            Some(&Computed::Bool(*units > 2.0))
        );
    }
    let revenue: f64 = ROWS.iter().map(|(u, p)| u * p).sum();
    assert_eq!(number(&values, "My Summary", 1, 1), revenue);
    let (sum, n) = ROWS
        .iter()
        .filter(|(u, _)| *u > 1.0)
        .fold((0.0, 0.0), |(s, n), (_, p)| (s + p, n + 1.0));
    assert_eq!(number(&values, "My Summary", 1, 2), sum / n);
    let counted = ROWS.iter().filter(|(u, p)| *u > 1.0 && *p < 5.0).count();
    assert_eq!(number(&values, "My Summary", 1, 3), counted as f64);
    assert_eq!(
        number(&values, "My Summary", 1, 4),
        (ROWS[2].1 * 2.37 * 100.0_f64).round() / 100.0
    );
    // The shared formula's second cell reads one column to the right.
    assert_eq!(number(&values, "My Summary", 2, 1), ROWS[0].0 + 1.0);
    assert_eq!(number(&values, "My Summary", 2, 2), ROWS[0].1 + 1.0);
    assert_eq!(values.len(), ROWS.len() * 4 + 6);
}

#[test]
fn errors_are_listed_with_their_cells() {
    let values = evaluate(&test_workbook()).unwrap();
    assert_eq!(
        errors(&values),
        vec![("Data!D3".to_owned(), "#DIV/0!".to_owned())]
    );
    assert_eq!(cell_name("My Summary", 2, 28), "'My Summary'!AB2");
}

#[test]
fn fill_cached_patches_only_the_values_of_formula_cells() {
    let input = test_workbook();
    let values = evaluate(&input).unwrap();
    let filled = fill_cached(&input, &values, true).unwrap();
    let (before, after) = (raw_entries(&input), raw_entries(&filled));
    assert_eq!(
        before.iter().map(|(n, ..)| n).collect::<Vec<_>>(),
        after.iter().map(|(n, ..)| n).collect::<Vec<_>>(),
        "entries keep their names and order"
    );
    for ((name, _, old), (_, _, new)) in before.iter().zip(&after) {
        if !name.starts_with("xl/worksheets/") {
            assert_eq!(old, new, "{name} must be copied byte for byte");
        }
    }
    let data = part_text(&filled, "xl/worksheets/sheet1.xml");
    // The wrong cached value stays (only missing ones are filled); the rest are set.
    assert!(
        data.contains(r#"<c r="C2" s="1"><f>A2*B2</f><v>999</v></c>"#),
        "{data}"
    );
    assert!(
        data.contains(r#"<c r="C3" s="1"><f>A3*B3</f><v>0</v></c>"#),
        "{data}"
    );
    assert!(
        data.contains(r#"<c r="D3" t="e"><f>B3/A3</f><v>#DIV/0!</v></c>"#),
        "{data}"
    );
    assert!(
        data.contains(r#"<c r="E4" t="str"><f>IF(A4&gt;2,"many","few")</f><v>many</v></c>"#),
        "{data}"
    );
    assert!(
        data.contains(r#"<c r="F4" t="b"><f>A4&gt;2</f><v>1</v></c>"#),
        "{data}"
    );
    // Outside the formula cells' values, the sheet is as it was.
    let strip = |xml: &str| {
        let mut out = String::new();
        let mut rest = xml;
        while let Some(at) = rest.find("<v") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("</v>").map(|e| e + 4);
            let empty = rest[at..].find("/>").map(|e| e + 2);
            let cut = match (end, empty) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).unwrap(),
            };
            rest = &rest[at + cut..];
        }
        out.push_str(rest);
        out.replace(" t=\"e\"", "").replace(" t=\"b\"", "")
    };
    assert_eq!(strip(&data_sheet()), strip(&data));
    let summary = part_text(&filled, "xl/worksheets/sheet2.xml");
    let revenue: f64 = ROWS.iter().map(|(u, p)| u * p).sum();
    assert!(
        summary.contains(&format!("<x:f>SUM(Data!C2:C5)</x:f><x:v>{revenue}</x:v>")),
        "{summary}"
    );

    // Everything again, stored values replaced: C2 now holds the computed product.
    let refilled = fill_cached(&input, &values, false).unwrap();
    let data = part_text(&refilled, "xl/worksheets/sheet1.xml");
    assert!(
        data.contains(&format!("<f>A2*B2</f><v>{}</v>", ROWS[0].0 * ROWS[0].1)),
        "{data}"
    );
    // A filled workbook needs nothing more: the same bytes come back.
    assert_eq!(missing_cached(&refilled).unwrap(), 0);
    let again = fill_cached(&refilled, &values, false).unwrap();
    assert_eq!(again, refilled);
}

#[test]
fn missing_cached_values_are_counted() {
    // C3..C5, D2..D5, E2..E5, F2..F5 and the six summary formulas.
    assert_eq!(missing_cached(&test_workbook()).unwrap(), 3 + 4 * 3 + 6);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for bytes in [&b""[..], b"not a zip at all", b"PK\x03\x04broken"] {
        assert!(matches!(evaluate(bytes), Err(RecalcError::Unreadable(_))));
        assert!(fill_cached(bytes, &Evaluated::default(), true).is_err());
    }
    let broken_sheet = build_xlsx(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        (
            "xl/worksheets/sheet1.xml",
            "<worksheet><sheetData><row><c><f>1+</c></row>",
        ),
        ("xl/worksheets/sheet2.xml", SUMMARY_SHEET),
        ("xl/styles.xml", STYLES),
    ]);
    assert!(evaluate(&broken_sheet).is_err());
    let error = missing_cached(&broken_sheet).unwrap_err();
    assert!(error.to_string().contains("sheet 'Data'"), "{error}");
    let no_workbook = build_xlsx(&[("_rels/.rels", ROOT_RELS)]);
    assert!(evaluate(&no_workbook).is_err());
    assert!(missing_cached(&no_workbook).is_err());
}

fn real_fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/real")
            .join(path),
    )
    .unwrap()
}

/// Excel's cached values of every formula cell, read with calamine.
fn excel_cached(xlsx: &[u8]) -> Vec<(String, u32, u32, calamine::Data)> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(Cursor::new(xlsx.to_vec())).unwrap();
    let mut cells = Vec::new();
    for name in workbook.sheet_names() {
        let (Ok(formulas), Ok(values)) = (
            workbook.worksheet_formula(&name),
            workbook.worksheet_range(&name),
        ) else {
            continue;
        };
        for (row, col, formula) in formulas.used_cells() {
            if formula.is_empty() {
                continue;
            }
            let (row, col) = (
                formulas.start().unwrap().0 + row as u32,
                formulas.start().unwrap().1 + col as u32,
            );
            let value = values
                .get_value((row, col))
                .cloned()
                .unwrap_or(calamine::Data::Empty);
            cells.push((name.clone(), row + 1, col + 1, value));
        }
    }
    cells
}

fn same(computed: Option<&Computed>, cached: &calamine::Data) -> bool {
    use calamine::Data;
    match (computed, cached) {
        (Some(Computed::Number(a)), Data::Float(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        (Some(Computed::Number(a)), Data::Int(b)) => *a == *b as f64,
        (Some(Computed::Number(a)), Data::DateTime(b)) => (a - b.as_f64()).abs() < 1e-9,
        (Some(Computed::Text(a)), Data::String(b)) => a == b,
        (Some(Computed::Bool(a)), Data::Bool(b)) => a == b,
        (Some(Computed::Error(a)), Data::Error(b)) => a.as_str() == b.to_string(),
        _ => false,
    }
}

/// Where the engine's result differs from Excel's: an XLOOKUP returning two columns in a
/// Ctrl+Shift+Enter range (C2:D2) gives #VALUE! instead of spilling.
const KNOWN_GAPS: &[(&str, &str)] = &[("poi/xlookup.xlsx", "Sheet1!C2")];

#[test]
fn real_workbooks_match_the_values_excel_cached() {
    for (file, at_least) in [
        ("calamine/issues.xlsx", 5),
        ("calamine/pivots.xlsx", 22),
        ("sheetjs/sheet_visibility.xlsx", 23),
        ("poi/CVLKRA-KYC_Download_File_Structure_V3.1.xlsx", 103),
        ("poi/xlookup.xlsx", 4),
    ] {
        let xlsx = real_fixture(file);
        let values = evaluate(&xlsx).unwrap();
        let cached = excel_cached(&xlsx);
        assert!(
            cached.len() >= at_least,
            "{file}: {} formulas",
            cached.len()
        );
        for (sheet, row, col, value) in &cached {
            if KNOWN_GAPS.contains(&(file, cell_name(sheet, *row, *col).as_str())) {
                continue;
            }
            assert!(
                same(values.get(sheet, *row, *col), value),
                "{file} {}: engine {:?}, Excel {value:?}",
                cell_name(sheet, *row, *col),
                values.get(sheet, *row, *col)
            );
        }
        assert!(
            values.unevaluated().is_empty(),
            "{file}: {:?}",
            values.unevaluated()
        );
        if KNOWN_GAPS.iter().any(|(gap, _)| *gap == file) {
            continue;
        }
        // Recalculating an Excel workbook changes no value: no worksheet is rewritten.
        let filled = fill_cached(&xlsx, &values, false).unwrap();
        assert_eq!(raw_entries(&filled), raw_entries(&xlsx), "{file}");
    }
}
