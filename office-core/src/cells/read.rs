//! Reading one page of cells: workbooks through calamine (every format it reads), CSV and
//! TSV through the csv reader. Values are shown as the file holds them (cached formula
//! results, dates as ISO text); nothing is computed.

use super::{
    Cell, DEFAULT_SHEET_ROWS, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, Marks, SheetPage, SheetRequest,
    SheetRow, column_letters,
};
use crate::error::{Error, Result};
use crate::profile::FileFormat;
use calamine::{Data, Reader};
use serde_json::Value;
use std::io::Cursor;

/// A sheet's used cells: where they start (1-based row and column) and the rows.
struct Grid {
    first_row: u32,
    first_col: u32,
    rows: Vec<Vec<Value>>,
    width: u32,
}

/// One page of `request.sheet` of the file `name` holding `bytes`.
pub(crate) fn read_page(
    name: &str,
    bytes: &[u8],
    request: &SheetRequest,
    marks: &Marks,
) -> Result<SheetPage> {
    let limit = request.limit.unwrap_or(DEFAULT_SHEET_ROWS);
    if limit == 0 || limit > MAX_SHEET_ROWS {
        return Err(Error::invalid(format!(
            "limit must be a whole number between 1 and {MAX_SHEET_ROWS}; got {limit}"
        )));
    }
    let format = FileFormat::from_name(name).ok_or_else(|| {
        Error::invalid(format!(
            "{name} is not a workbook or a table (xlsx, xlsm, xls, xlsb, ods, csv, tsv)"
        ))
    })?;
    let (sheets, sheet, grid) = if format.is_text() {
        let sheet = stem(name).to_owned();
        check_sheet(request, std::slice::from_ref(&sheet))?;
        let grid = text_grid(bytes, format)?;
        (vec![sheet.clone()], sheet, grid)
    } else {
        // calamine may panic on a damaged file: that is an unreadable file, not a crash.
        std::panic::catch_unwind(|| workbook_grid(name, bytes, request))
            .map_err(|_| unreadable(name, "the workbook is damaged"))??
    };
    let total_rows = grid.rows.len() as u32;
    let shown = grid.width.min(MAX_SHEET_COLUMNS);
    let columns = (0..shown)
        .map(|c| column_letters(grid.first_col + c))
        .collect();
    let new_sheet = marks.is_new(&sheet);
    let rows = grid
        .rows
        .into_iter()
        .enumerate()
        .skip(request.offset as usize)
        .take(limit as usize)
        .map(|(index, mut cells)| {
            let row = grid.first_row + index as u32;
            cells.resize(shown as usize, Value::Null);
            let changed = (0..shown)
                .filter(|c| new_sheet || marks.changed(&sheet, row, grid.first_col + c))
                .collect();
            SheetRow {
                row,
                cells: cells.into_iter().map(Cell).collect(),
                changed,
            }
        })
        .collect();
    Ok(SheetPage {
        artifact: name.to_owned(),
        sheets,
        sheet,
        offset: request.offset,
        total_rows,
        columns,
        hidden_columns: grid.width - shown,
        rows,
        new_sheet,
    })
}

fn unreadable(name: &str, reason: &str) -> Error {
    Error::UnreadableFile {
        file: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The asked sheet must be one of `sheets`.
fn check_sheet(request: &SheetRequest, sheets: &[String]) -> Result<()> {
    match &request.sheet {
        Some(asked) if !sheets.contains(asked) => Err(Error::not_found(format!(
            "there is no sheet named {asked:?}; the sheets are {}",
            sheets
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        _ => Ok(()),
    }
}

fn workbook_grid(
    name: &str,
    bytes: &[u8],
    request: &SheetRequest,
) -> Result<(Vec<String>, String, Grid)> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| unreadable(name, &e.to_string()))?;
    let sheets = workbook.sheet_names();
    check_sheet(request, &sheets)?;
    let sheet = match &request.sheet {
        Some(asked) => asked.clone(),
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| unreadable(name, "the workbook has no sheets"))?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| unreadable(name, &e.to_string()))?;
    let (first_row, first_col) = range.start().map_or((1, 1), |(r, c)| (r + 1, c + 1));
    let width = range.width() as u32;
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .take(MAX_SHEET_COLUMNS as usize)
                .map(value)
                .collect()
        })
        .collect();
    Ok((
        sheets,
        sheet,
        Grid {
            first_row,
            first_col,
            rows,
            width,
        },
    ))
}

fn value(data: &Data) -> Value {
    match data {
        Data::Empty => Value::Null,
        Data::Int(n) => Value::from(*n),
        Data::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Data::Bool(b) => Value::Bool(*b),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
        Data::DateTime(datetime) => {
            let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
            Value::String(if (hour, minute, second) == (0, 0, 0) {
                format!("{year:04}-{month:02}-{day:02}")
            } else {
                format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
            })
        }
        Data::Error(e) => Value::String(e.to_string()),
    }
}

/// A CSV or TSV file as one sheet; the separator is the one its first line uses most.
fn text_grid(bytes: &[u8], format: FileFormat) -> Result<Grid> {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if format == FileFormat::Tsv {
        b'\t'
    } else {
        [b',', b';', b'\t', b'|']
            .into_iter()
            .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
            .unwrap_or(b',')
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut width = 0;
    for record in reader.records() {
        let record =
            record.map_err(|e| Error::invalid(format!("the table cannot be read: {e}")))?;
        width = width.max(record.len() as u32);
        rows.push(
            record
                .iter()
                .take(MAX_SHEET_COLUMNS as usize)
                .map(|field| {
                    if field.is_empty() {
                        Value::Null
                    } else {
                        Value::String(field.to_owned())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid {
        first_row: 1,
        first_col: 1,
        rows,
        width,
    })
}

/// `a.csv` gives `a`; the name a CSV's one sheet is shown under.
fn stem(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.rsplit_once('.').map_or(base, |(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLES: &[u8] =
        include_bytes!("../../../tests/fixtures/real/calamine/table-multiple.xlsx");

    fn request(sheet: Option<&str>, offset: u32, limit: Option<u32>) -> SheetRequest {
        SheetRequest {
            artifact: None,
            sheet: sheet.map(String::from),
            offset,
            limit,
        }
    }

    #[test]
    fn a_real_workbook_a_page_at_a_time() {
        let marks = Marks::from_summary(&json!({"changes": [
            {"change": "column_added", "sheet": "Sheet2", "column": "B"},
        ]}));
        let page = read_page("t.xlsx", TABLES, &request(None, 0, None), &marks).unwrap();
        assert_eq!(page.sheets, ["Sheet1", "Sheet2", "Sheet3"]);
        assert_eq!(page.sheet, "Sheet1");
        assert_eq!(page.columns, ["A", "B", "C"]);
        assert_eq!(page.total_rows, 5);
        let first: Vec<Value> = page.rows[0].cells.iter().map(|c| c.0.clone()).collect();
        assert_eq!(first, [json!("Item"), json!("Type"), json!("Quantity")]);
        assert_eq!(page.rows[1].cells[2].0, json!(50.0));
        assert!(page.rows.iter().all(|r| r.changed.is_empty()));

        let page = read_page(
            "t.xlsx",
            TABLES,
            &request(Some("Sheet2"), 2, Some(2)),
            &marks,
        );
        let page = page.unwrap();
        assert_eq!(page.offset, 2);
        assert_eq!(page.rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(page.rows[0].changed, [1]);
        assert!(!page.new_sheet);
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let none = Marks::default();
        let e = read_page("t.xlsx", TABLES, &request(Some("Nope"), 0, None), &none);
        assert!(e.unwrap_err().to_string().contains("\"Sheet1\""));
        let e = read_page("t.xlsx", TABLES, &request(None, 0, Some(0)), &none);
        assert!(matches!(e, Err(Error::InvalidInput(_))));
        let e = read_page("t.xlsx", b"not a zip", &request(None, 0, None), &none);
        assert!(matches!(e, Err(Error::UnreadableFile { .. })), "{e:?}");
        let e = read_page("t.png", TABLES, &request(None, 0, None), &none);
        assert!(matches!(e, Err(Error::InvalidInput(_))));
    }

    #[test]
    fn csv_is_one_sheet_named_after_the_file() {
        let marks = Marks::from_summary(&json!({"changes": [
            {"change": "sheet_added", "sheet": "out", "rows": 1, "columns": 2},
        ]}));
        let page = read_page("dir/out.csv", b"a;b\n1;\n", &request(None, 0, None), &marks);
        let page = page.unwrap();
        assert_eq!(page.sheets, ["out"]);
        assert_eq!(page.rows[1].cells[0].0, json!("1"));
        assert_eq!(page.rows[1].cells[1].0, Value::Null);
        assert!(page.new_sheet);
        assert_eq!(page.rows[1].changed, [0, 1]);
    }
}
