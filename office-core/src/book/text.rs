//! Inputs that are not an xlsx package. A CSV/TSV file becomes a fresh workbook of its
//! cells (text stays text: nothing is read as a missing value, leading zeros are kept;
//! a field the program reads as a number becomes one, shown as typed: `typed.rs`), the script
//! is applied to it, and the result also comes back as `output.csv` in the input's
//! dialect and encoding. An `.xls`/`.xlsb`/`.ods` workbook becomes a fresh `.xlsx` of its
//! cell values, with a note in `lost` saying what the change of format drops.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::apply::{Applied, XLSX_CONTENT_TYPE, apply_package};
use super::edits::{CellValue, Edits, NewSheet};
use super::new_book::{BookSheet, build_book};
use super::new_sheet::format_number;
use super::typed::{TypedRecords, number_text};
use super::workbook::check_sheet_name;
use crate::profile::sniff::{SniffedDialect, decode_text, sniff_dialect};
use std::io::Cursor;

/// A sheet of a fresh workbook: its name, its cells (the first row is the header) and a
/// number format per column (`None`: General).
pub(crate) type GridSheet = (String, Vec<Vec<CellValue>>, Vec<Option<String>>);

/// A CSV/TSV input edited: `output.xlsx` plus `output.csv`.
pub(crate) fn apply_text(
    input: &[u8],
    input_name: &str,
    edits: &Edits,
) -> Result<Applied, EditError> {
    let decoded = decode_text(input);
    let tsv = input_name.to_ascii_lowercase().ends_with(".tsv");
    let dialect = sniff_dialect(&decoded.text, tsv.then_some(b'\t'));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            EditError::new(format!(
                "{input_name}: record {} cannot be read ({e})",
                n + 1
            ))
        })?;
        records.push(record.iter().map(str::to_string).collect::<Vec<_>>());
    }
    let mut typed = TypedRecords::read(records, dialect.decimal);
    let name = sheet_name_of(input_name);
    let grid = std::mem::take(&mut typed.rows);
    let formats = std::mem::take(&mut typed.number_formats);
    let fresh = build_workbook(vec![(name.clone(), grid, formats)])?;
    let mut applied = apply_package(&fresh, edits, "output.xlsx", XLSX_CONTENT_TYPE)?;
    for column in &typed.mixed_looks {
        applied.fidelity.lost.push(format!(
            "the numbers of column '{column}' are typed with different looks (such as \
             decimal places), which no one number format shows as typed: output.xlsx shows \
             them in Excel's General format; output.csv gives them back as typed"
        ));
    }
    let crlf = decoded.text.contains("\r\n");
    let csv = write_csv(&applied.bytes, &name, &dialect, crlf, &typed)?;
    let encoded = encode(&csv, decoded.encoding, decoded.has_bom, input)?;
    applied.also.push(("output.csv".into(), encoded));
    Ok(applied)
}

/// An `.xls`/`.xlsb`/`.ods` input: its sheets' values as a fresh `.xlsx`, then the script.
pub(crate) fn apply_converted(
    input: &[u8],
    input_name: &str,
    edits: &Edits,
) -> Result<Applied, EditError> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(input))
        .map_err(|e| EditError::new(format!("{input_name} cannot be read ({e})")))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| {
            EditError::new(format!("{input_name}: sheet '{name}' cannot be read ({e})"))
        })?;
        let mut grid = Vec::new();
        if let (Some(start), Some(end)) = (range.start(), range.end()) {
            for row in 0..=end.0 {
                let mut cells = Vec::new();
                for col in 0..=end.1 {
                    let value = if row >= start.0 && col >= start.1 {
                        range
                            .get_value((row, col))
                            .map_or(CellValue::Empty, value_of)
                    } else {
                        CellValue::Empty
                    };
                    cells.push(value);
                }
                grid.push(cells);
            }
        }
        sheets.push((name, grid, Vec::new()));
    }
    let fresh = build_workbook(sheets)?;
    let mut applied = apply_package(&fresh, edits, "output.xlsx", XLSX_CONTENT_TYPE)?;
    let ext = input_name
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    applied.fidelity.lost.push(format!(
        "the input is an .{ext} file and comes back as .xlsx, built from its cell values: its \
         formulas come back as their last computed values, and its formatting, merged cells, \
         charts, images, comments and macros are not carried over"
    ));
    Ok(applied)
}

fn value_of(data: &calamine::Data) -> CellValue {
    use calamine::Data;
    match data {
        Data::Empty => CellValue::Empty,
        Data::Int(i) => CellValue::Number(*i as f64),
        Data::Float(f) => CellValue::Number(*f),
        Data::String(s) => CellValue::Text(s.clone()),
        Data::Bool(b) => CellValue::Bool(*b),
        Data::DateTime(d) if d.is_datetime() => CellValue::Date { date: iso(d) },
        Data::DateTime(d) => CellValue::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => CellValue::Text(s.clone()),
        Data::Error(e) => CellValue::Error {
            error: error_text(e),
        },
    }
}

/// A date cell as ISO 8601 (`2024-01-31T08:30:00`), in either date system.
fn iso(d: &calamine::ExcelDateTime) -> String {
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}")
}

fn error_text(e: &calamine::CellErrorType) -> String {
    use calamine::CellErrorType as E;
    match e {
        E::Div0 => "#DIV/0!",
        E::NA => "#N/A",
        E::Name => "#NAME?",
        E::Null => "#NULL!",
        E::Num => "#NUM!",
        E::Ref => "#REF!",
        E::Value => "#VALUE!",
        E::GettingData => "#GETTING_DATA",
    }
    .to_string()
}

/// The sheet a text file becomes: its name without the extension, as a valid sheet name.
fn sheet_name_of(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let clean: String = stem
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    if check_sheet_name(&clean).is_ok() {
        clean
    } else {
        "Sheet1".into()
    }
}

/// A fresh package: one worksheet per `(name, grid, number format per column)`; the
/// grid's first row is its header.
pub(crate) fn build_workbook(sheets: Vec<GridSheet>) -> Result<Vec<u8>, EditError> {
    let sheets = sheets
        .into_iter()
        .map(|(name, mut grid, number_formats)| {
            let width = grid.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for row in &mut grid {
                row.resize(width, CellValue::Empty);
            }
            let columns = match grid.is_empty() {
                true => vec![String::new(); width],
                false => grid
                    .remove(0)
                    .into_iter()
                    .map(|v| header_text(&v))
                    .collect(),
            };
            BookSheet {
                sheet: NewSheet {
                    name,
                    columns,
                    rows: grid,
                    formulas: Vec::new(),
                    number_formats,
                    chart: None,
                },
                chart: None,
            }
        })
        .collect();
    build_book(sheets)
}

fn header_text(value: &CellValue) -> String {
    match value {
        CellValue::Empty => String::new(),
        CellValue::Bool(b) => b.to_string().to_uppercase(),
        CellValue::Number(n) => format_number(*n),
        CellValue::Text(t) => t.clone(),
        CellValue::Date { date } => date.clone(),
        CellValue::Error { error } => error.clone(),
    }
}

/// The output workbook's sheet `name` as CSV text in the input's dialect; a number comes
/// back as the input typed it where its column (found by header) typed that number so.
fn write_csv(
    xlsx: &[u8],
    name: &str,
    dialect: &SniffedDialect,
    crlf: bool,
    typed: &TypedRecords,
) -> Result<String, EditError> {
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(xlsx))
        .map_err(|e| EditError::new(format!("the output cannot be read back ({e})")))?;
    let range = book.worksheet_range(name).map_err(|e| {
        EditError::new(format!(
            "the output's sheet '{name}' cannot be read back ({e})"
        ))
    })?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(dialect.delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    let width = range.end().map_or(0, |e| e.1 as usize + 1);
    let height = range.end().map_or(0, |e| e.0 as usize + 1);
    let header: Vec<String> = (0..width)
        .map(|col| match range.get_value((0, col as u32)) {
            Some(Data::String(s)) => s.clone(),
            _ => String::new(),
        })
        .collect();
    let typed_texts = typed.typed_by_column(&header);
    let decimal = dialect.decimal;
    for row in 0..height {
        let mut fields = Vec::with_capacity(width);
        for (col, typed_text) in typed_texts.iter().enumerate() {
            let text = match range.get_value((row as u32, col as u32)) {
                None | Some(Data::Empty) => String::new(),
                Some(Data::Float(f)) => match typed_text.and_then(|t| t.get(&f.to_bits())) {
                    Some(text) if row > 0 => text.clone(),
                    _ => number_text(*f, decimal),
                },
                Some(Data::Int(i)) => i.to_string(),
                Some(Data::DateTime(d)) if d.is_datetime() => {
                    iso(d).replace("T00:00:00", "").replace('T', " ")
                }
                Some(Data::DateTime(d)) => number_text(d.as_f64(), decimal),
                Some(other) => other.to_string(),
            };
            fields.push(text);
        }
        // calamine's range starts at the first used cell; the sheet is written from A1.
        writer
            .write_record(&fields)
            .map_err(|e| EditError::new(format!("writing output.csv failed: {e}")))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| EditError::new(format!("writing output.csv failed: {e}")))?;
    String::from_utf8(bytes).map_err(|_| EditError::new("output.csv is not text".into()))
}

/// CSV text in the input's encoding (and its byte-order mark, when it had one).
fn encode(text: &str, encoding: &str, bom: bool, input: &[u8]) -> Result<Vec<u8>, EditError> {
    let utf16 = |big: bool| {
        let mut out = Vec::with_capacity(text.len() * 2 + 2);
        if bom {
            out.extend_from_slice(if big { &[0xFE, 0xFF] } else { &[0xFF, 0xFE] });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    };
    Ok(match encoding {
        "utf-8" => text.as_bytes().to_vec(),
        "utf-8-sig" => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        "utf-16" => utf16(input.starts_with(&[0xFE, 0xFF])),
        "utf-16-le" => utf16(false),
        "utf-16-be" => utf16(true),
        _ => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
            if unmappable {
                return Err(EditError::new(format!(
                    "the result holds characters the input's encoding ({encoding}) cannot write"
                )));
            }
            bytes.into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_comes_back_as_typed_in_its_encoding() {
        let input = "id;name;amount\r\n007;NA;1,5\r\n2;Zoë;3\r\n".as_bytes();
        let latin: Vec<u8> = encoding_rs::WINDOWS_1252
            .encode(std::str::from_utf8(input).unwrap())
            .0
            .into_owned();
        let edits: Edits = serde_json::from_str(r#"{"version": 1}"#).unwrap();
        let applied = apply_text(&latin, "sales.csv", &edits).unwrap();
        let (name, csv) = &applied.also[0];
        assert_eq!(name, "output.csv");
        assert_eq!(csv, &latin, "{:?}", String::from_utf8_lossy(csv));
        assert_eq!(applied.file_name, "output.xlsx");
    }
}
