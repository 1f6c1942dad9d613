//! A worksheet for a `NewSheet`: a bold header, the values (text as inline strings, never
//! parsed; dates as serials with a date format), formulas with their cached results, each
//! column's number format, a width that fits its contents, and the header row frozen.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::changes::Change;
use super::edits::{CellValue, NewSheet};
use super::sheet::Styles;
use super::xml::escape;
use std::fmt::Write;

/// Rows a sheet may have below its header (Excel's grid).
const MAX_ROWS: usize = 1_048_575;
/// Columns a sheet may have.
const MAX_COLUMNS: usize = 16_384;
/// Date formats for cells given as dates, without a number format of their own.
pub(crate) const DATE_FORMAT: &str = "yyyy-mm-dd";
/// The same, for values with a time of day.
pub(crate) const DATE_TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
const ERRORS: &[&str] = &[
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
];

/// A new sheet's XML and the change it is.
#[derive(Debug)]
pub(crate) struct BuiltSheet {
    /// The worksheet part.
    pub(crate) xml: Vec<u8>,
    /// `Change::SheetAdded`.
    pub(crate) change: Change,
}

/// The worksheet XML for `sheet`; formats it needs are appended to `styles`.
pub(crate) fn build(
    sheet: &NewSheet,
    date1904: bool,
    styles: &mut dyn Styles,
) -> Result<BuiltSheet, EditError> {
    check_shape(sheet)?;
    let width = sheet.columns.len();
    let header_style = styles.bold(0);
    let mut column_styles: Vec<u32> = (0..width)
        .map(
            |c| match sheet.number_formats.get(c).and_then(Option::as_deref) {
                Some(format) => styles.with_number_format(0, format),
                None => 0,
            },
        )
        .collect();
    let mut widths: Vec<usize> = sheet.columns.iter().map(|h| h.chars().count()).collect();
    let mut data = String::with_capacity(64 * sheet.rows.len() * width.max(1));
    for (r, row) in sheet.rows.iter().enumerate() {
        let row_number = r + 2;
        let _ = write!(data, "<row r=\"{row_number}\">");
        for (c, value) in row.iter().enumerate() {
            let formula = sheet
                .formulas
                .get(r)
                .and_then(|f| f.get(c))
                .and_then(Option::as_deref);
            let reference = format!("{}{row_number}", column_letters(c as u32 + 1));
            let mut style = column_styles[c];
            let cell = match value {
                CellValue::Date { date } => {
                    let (serial, has_time) = date_serial(date, date1904).map_err(|why| {
                        EditError::new(format!("sheet '{}' cell {reference}: {why}", sheet.name))
                    })?;
                    if style == 0 {
                        let format = if has_time {
                            DATE_TIME_FORMAT
                        } else {
                            DATE_FORMAT
                        };
                        style = styles.with_number_format(0, format);
                        if column_styles[c] == 0
                            && sheet.number_formats.get(c).is_none_or(Option::is_none)
                        {
                            column_styles[c] = style;
                        }
                    }
                    widths[c] = widths[c].max(if has_time { 19 } else { 10 });
                    Cell::Number(format_number(serial))
                }
                other => {
                    widths[c] = widths[c].max(display_len(other));
                    Cell::of(other, &sheet.name, &reference)?
                }
            };
            write_cell(&mut data, &reference, style, &cell, formula);
        }
        data.push_str("</row>");
    }
    let mut xml = String::with_capacity(data.len() + 1024);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    xml.push_str(concat!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" "#,
        r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
    ));
    if width > 0 {
        let last = column_letters(width as u32);
        let _ = write!(
            xml,
            "<dimension ref=\"A1:{last}{}\"/>",
            sheet.rows.len() + 1
        );
    }
    xml.push_str(concat!(
        r#"<sheetViews><sheetView workbookViewId="0">"#,
        r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#,
        r#"<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>"#,
        r#"</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>"#
    ));
    if width > 0 {
        xml.push_str("<cols>");
        for (c, chars) in widths.iter().enumerate() {
            // Characters of the default font, plus room for a filter button; clipped.
            let w = (*chars as f64 * 1.1 + 3.0).clamp(8.0, 60.0);
            let _ = write!(
                xml,
                "<col min=\"{0}\" max=\"{0}\" width=\"{w:.1}\" customWidth=\"1\"/>",
                c + 1
            );
        }
        xml.push_str("</cols>");
    }
    xml.push_str("<sheetData><row r=\"1\">");
    for (c, header) in sheet.columns.iter().enumerate() {
        let reference = format!("{}1", column_letters(c as u32 + 1));
        write_cell(
            &mut xml,
            &reference,
            header_style,
            &Cell::Text(header),
            None,
        );
    }
    xml.push_str("</row>");
    xml.push_str(&data);
    xml.push_str("</sheetData>");
    xml.push_str(r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>"#);
    xml.push_str("</worksheet>");
    Ok(BuiltSheet {
        xml: xml.into_bytes(),
        change: Change::SheetAdded {
            sheet: sheet.name.clone(),
            rows: sheet.rows.len() as u32,
            columns: width as u32,
        },
    })
}

/// A cell's value as written.
enum Cell<'v> {
    Empty,
    Number(String),
    Bool(bool),
    Text(&'v str),
    Error(&'v str),
}

impl<'v> Cell<'v> {
    fn of(value: &'v CellValue, sheet: &str, reference: &str) -> Result<Cell<'v>, EditError> {
        Ok(match value {
            CellValue::Empty => Cell::Empty,
            CellValue::Bool(b) => Cell::Bool(*b),
            CellValue::Number(n) if n.is_finite() => Cell::Number(format_number(*n)),
            CellValue::Number(_) => {
                return Err(EditError::new(format!(
                    "sheet '{sheet}' cell {reference}: a number must be finite"
                )));
            }
            CellValue::Text(t) => Cell::Text(t),
            CellValue::Error { error } if ERRORS.contains(&error.as_str()) => Cell::Error(error),
            CellValue::Error { error } => {
                return Err(EditError::new(format!(
                    "sheet '{sheet}' cell {reference}: '{error}' is not one of Excel's error values \
                     ({})",
                    ERRORS.join(", ")
                )));
            }
            CellValue::Date { .. } => unreachable!("dates are written as serials"),
        })
    }
}

/// One `<c>` element; a formula's cached value is its value.
fn write_cell(
    out: &mut String,
    reference: &str,
    style: u32,
    cell: &Cell<'_>,
    formula: Option<&str>,
) {
    if matches!(cell, Cell::Empty) && formula.is_none() {
        return;
    }
    let _ = write!(out, "<c r=\"{reference}\"");
    if style != 0 {
        let _ = write!(out, " s=\"{style}\"");
    }
    let kind = match (cell, formula) {
        (Cell::Bool(_), _) => Some("b"),
        (Cell::Error(_), _) => Some("e"),
        (Cell::Text(_), Some(_)) => Some("str"),
        (Cell::Text(_), None) => Some("inlineStr"),
        _ => None,
    };
    if let Some(kind) = kind {
        let _ = write!(out, " t=\"{kind}\"");
    }
    out.push('>');
    if let Some(formula) = formula {
        let formula = formula.strip_prefix('=').unwrap_or(formula);
        let _ = write!(out, "<f>{}</f>", escape(formula));
    }
    match cell {
        Cell::Empty => {}
        Cell::Number(n) => {
            let _ = write!(out, "<v>{n}</v>");
        }
        Cell::Bool(b) => {
            let _ = write!(out, "<v>{}</v>", u8::from(*b));
        }
        Cell::Error(e) => {
            let _ = write!(out, "<v>{}</v>", escape(e));
        }
        Cell::Text(t) if formula.is_some() => {
            let _ = write!(out, "<v>{}</v>", escape(t));
        }
        Cell::Text(t) => {
            let space = if t.trim() != *t {
                " xml:space=\"preserve\""
            } else {
                ""
            };
            let _ = write!(out, "<is><t{space}>{}</t></is>", escape(t));
        }
    }
    out.push_str("</c>");
}

fn check_shape(sheet: &NewSheet) -> Result<(), EditError> {
    let bad = |why: String| Err(EditError::new(format!("new sheet '{}': {why}", sheet.name)));
    let width = sheet.columns.len();
    if width == 0 {
        return bad("it has no columns".into());
    }
    if width > MAX_COLUMNS {
        return bad(format!(
            "{width} columns is more than Excel's {MAX_COLUMNS}"
        ));
    }
    if sheet.rows.len() > MAX_ROWS {
        return bad(format!(
            "{} rows is more than Excel's {MAX_ROWS}",
            sheet.rows.len()
        ));
    }
    if let Some((r, row)) = sheet
        .rows
        .iter()
        .enumerate()
        .find(|(_, row)| row.len() != width)
    {
        return bad(format!(
            "data row {} has {} values for {width} columns",
            r + 1,
            row.len()
        ));
    }
    if !sheet.formulas.is_empty() {
        if sheet.formulas.len() != sheet.rows.len() {
            return bad(format!(
                "formulas has {} rows, rows has {} (they must have the same shape)",
                sheet.formulas.len(),
                sheet.rows.len()
            ));
        }
        if let Some((r, row)) = sheet
            .formulas
            .iter()
            .enumerate()
            .find(|(_, row)| row.len() != width)
        {
            return bad(format!(
                "formula row {} has {} entries for {width} columns",
                r + 1,
                row.len()
            ));
        }
    }
    if sheet.number_formats.len() > width {
        return bad(format!(
            "{} number formats for {width} columns",
            sheet.number_formats.len()
        ));
    }
    Ok(())
}

/// An ISO date or date-time as an Excel serial, and whether it has a time of day.
pub(crate) fn date_serial(text: &str, date1904: bool) -> Result<(f64, bool), String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .map(|dt| (dt, true))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| (d.and_hms_opt(0, 0, 0).unwrap_or_default(), false))
        })
        .map_err(|_| {
            format!("'{text}' is not an ISO 8601 date (2024-01-31 or 2024-01-31T08:30:00)")
        })?;
    let (at, has_time) = parsed;
    let epoch = if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)
    } else {
        // Excel's 1900 system counts a 29 February 1900 that never was: from 1 March
        // 1900 on, serials are days since 30 December 1899.
        NaiveDate::from_ymd_opt(1899, 12, 30)
    }
    .and_then(|d| d.and_hms_opt(0, 0, 0))
    .unwrap_or_default();
    let seconds = (at - epoch).num_milliseconds() as f64 / 1000.0;
    let serial = seconds / 86_400.0;
    if serial < if date1904 { 0.0 } else { 61.0 } {
        return Err(format!(
            "'{text}' is before the first date this workbook can hold"
        ));
    }
    Ok((serial, has_time))
}

/// A number as Excel writes it: the shortest text that reads back as the same f64.
pub(crate) fn format_number(n: f64) -> String {
    if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `1` → `A`, `27` → `AA`.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        letters.push(b'A' + rem as u8);
        col = (col - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn display_len(value: &CellValue) -> usize {
    match value {
        CellValue::Empty => 0,
        CellValue::Bool(_) => 5,
        CellValue::Number(n) => format_number(*n).len().min(15),
        CellValue::Text(t) => t.chars().count(),
        CellValue::Date { date } => date.len(),
        CellValue::Error { error } => error.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::styles::{MINIMAL_STYLES, StylesXml};

    #[test]
    fn values_formulas_dates_and_text_as_typed() {
        let sheet: NewSheet = serde_json::from_str(
            r##"{"name": "By Region", "columns": ["Region", "Total", "Day"],
                "rows": [["NA", 3.5, {"date": "2024-01-31"}], ["00123", {"error": "#DIV/0!"}, null]],
                "formulas": [[null, "=SUMIFS(Data!$C$2:$C$3,Data!$A$2:$A$3,A2)", null], [null, null, null]],
                "number_formats": [null, "0.00"]}"##,
        )
        .unwrap();
        let mut styles = StylesXml::parse(MINIMAL_STYLES.into()).unwrap();
        let built = build(&sheet, false, &mut styles).unwrap();
        let xml = String::from_utf8(built.xml).unwrap();
        assert!(
            xml.contains(r#"<c r="A2" t="inlineStr"><is><t>NA</t></is></c>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<c r="A3" t="inlineStr"><is><t>00123</t></is></c>"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<c r="B2" s="2"><f>SUMIFS(Data!$C$2:$C$3,Data!$A$2:$A$3,A2)</f><v>3.5</v></c>"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<c r="B3" s="2" t="e"><v>#DIV/0!</v></c>"#),
            "{xml}"
        );
        // 2024-01-31 is serial 45322 in the 1900 system.
        assert!(xml.contains(r#"<c r="C2" s="3"><v>45322</v></c>"#), "{xml}");
        assert!(!xml.contains("r=\"C3\""), "an empty cell is not written");
        assert!(xml.contains(r#"state="frozen""#));
        assert_eq!(
            built.change,
            Change::SheetAdded {
                sheet: "By Region".into(),
                rows: 2,
                columns: 3
            }
        );
        let styles = styles.finish().unwrap();
        assert!(styles.contains("formatCode=\"yyyy-mm-dd\""), "{styles}");
    }

    #[test]
    fn serials_and_letters() {
        assert_eq!(date_serial("1900-03-01", false).unwrap(), (61.0, false));
        assert_eq!(date_serial("1904-01-02", true).unwrap(), (1.0, false));
        assert_eq!(
            date_serial("2024-01-31T12:00:00", false).unwrap(),
            (45322.5, true)
        );
        assert!(date_serial("31/01/2024", false).is_err());
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(28), "AB");
        assert_eq!(column_letters(16384), "XFD");
        assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn a_ragged_sheet_is_refused_with_its_row() {
        let sheet: NewSheet =
            serde_json::from_str(r#"{"name": "S", "columns": ["a", "b"], "rows": [[1, 2], [3]]}"#)
                .unwrap();
        let mut styles = StylesXml::parse(MINIMAL_STYLES.into()).unwrap();
        let err = build(&sheet, false, &mut styles).unwrap_err();
        assert!(
            err.message
                .contains("data row 2 has 1 values for 2 columns"),
            "{err}"
        );
    }
}
