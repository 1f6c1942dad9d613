//! A fresh workbook package: new sheets (bold header, number formats, widths, frozen
//! header, as `new_sheet` builds them), each with an optional native chart of its data.
//! Used for workbooks that have no original to keep: a CSV's cells, an old-format
//! workbook's values, a report's tables.

use super::EditError;
use super::chart::Chart;
use super::edits::NewSheet;
use super::new_sheet;
use super::styles::{MINIMAL_STYLES, StylesXml};
use super::workbook::check_sheet_name;
use std::io::{Cursor, Write};

/// One sheet of a new book, and the chart drawn beside its data.
#[derive(Debug)]
pub(crate) struct BookSheet {
    pub(crate) sheet: NewSheet,
    pub(crate) chart: Option<Chart>,
}

const WORKSHEET: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const DRAWING: &str = "application/vnd.openxmlformats-officedocument.drawing+xml";
const CHART: &str = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The package of `sheets`, in order.
pub(crate) fn build_book(sheets: Vec<BookSheet>) -> Result<Vec<u8>, EditError> {
    let mut seen: Vec<String> = Vec::new();
    for s in &sheets {
        check_sheet_name(&s.sheet.name)?;
        let folded = s.sheet.name.to_lowercase();
        if seen.contains(&folded) {
            return Err(EditError::new(format!(
                "two sheets of the new workbook are named '{}'",
                s.sheet.name
            )));
        }
        seen.push(folded);
    }
    let mut styles = StylesXml::parse(MINIMAL_STYLES.to_string())?;
    let mut types = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
        r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
        r#"<Default Extension="xml" ContentType="application/xml"/>"#,
        r#"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
        r#"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    ));
    let mut book = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" "#,
        r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    ));
    let mut rels = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        r#"<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
    ));
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut charts = 0;
    for (i, BookSheet { sheet, chart }) in sheets.into_iter().enumerate() {
        let n = i + 1;
        let mut xml = new_sheet::build(&sheet, false, &mut styles)?.xml;
        types.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{WORKSHEET}"/>"#
        ));
        book.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            super::xml::escape(&sheet.name)
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        if let Some(chart) = chart {
            charts += 1;
            let c = charts;
            // The drawing is the worksheet's last child here (after pageMargins).
            let end = b"</worksheet>";
            if xml.ends_with(end) {
                xml.truncate(xml.len() - end.len());
                xml.extend_from_slice(br#"<drawing r:id="rId1"/></worksheet>"#);
            }
            let chart_parts = chart.parts(&sheet.name, sheet.columns.len(), c);
            types.push_str(&format!(
                r#"<Override PartName="/xl/drawings/drawing{c}.xml" ContentType="{DRAWING}"/><Override PartName="/xl/charts/chart{c}.xml" ContentType="{CHART}"/>"#
            ));
            parts.push((
                format!("xl/worksheets/_rels/sheet{n}.xml.rels"),
                format!(
                    concat!(
                        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
                        r#"<Relationship Id="rId1" Type="{}/drawing" Target="../drawings/drawing{}.xml"/>"#,
                        r#"</Relationships>"#
                    ),
                    REL, c
                )
                .into_bytes(),
            ));
            parts.push((
                format!("xl/drawings/drawing{c}.xml"),
                chart_parts.drawing.into_bytes(),
            ));
            parts.push((
                format!("xl/drawings/_rels/drawing{c}.xml.rels"),
                chart_parts.drawing_rels.into_bytes(),
            ));
            parts.push((
                format!("xl/charts/chart{c}.xml"),
                chart_parts.chart.into_bytes(),
            ));
        }
        parts.push((format!("xl/worksheets/sheet{n}.xml"), xml));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    let styles = styles
        .finish()
        .unwrap_or_else(|| MINIMAL_STYLES.to_string());
    let root = concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#,
        r#"</Relationships>"#
    );
    let mut head: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), types.into_bytes()),
        ("_rels/.rels".into(), root.as_bytes().to_vec()),
        ("xl/workbook.xml".into(), book.into_bytes()),
        ("xl/_rels/workbook.xml.rels".into(), rels.into_bytes()),
        ("xl/styles.xml".into(), styles.into_bytes()),
    ];
    head.extend(parts);
    zip_parts(head)
}

fn zip_parts(parts: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, EditError> {
    let failed =
        |e: zip::result::ZipError| EditError::new(format!("building the workbook failed: {e}"));
    let io_failed =
        |e: std::io::Error| EditError::new(format!("building the workbook failed: {e}"));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        zip.start_file(name, super::package::deflated(bytes.len()))
            .map_err(failed)?;
        zip.write_all(&bytes).map_err(io_failed)?;
    }
    Ok(zip.finish().map_err(failed)?.into_inner())
}
