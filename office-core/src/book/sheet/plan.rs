//! What the edit adds to the sheet (columns, single cells), checked before anything is
//! written, and new cells as XML.

use super::EditError;
use super::xml::escape;
use crate::book::edits::{CellEdit, CellValue, SheetEdit, TableRange};
use crate::book::formula::{RowMap, col_letters, is_error_literal, parse_cell};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use std::collections::BTreeMap;

/// Most columns one edit adds.
const MAX_NEW_COLUMNS: usize = 1_000;
/// Most cells one edit sets.
const MAX_SET_CELLS: usize = 1_000_000;
/// Excel's longest text in a cell.
const MAX_TEXT: usize = 32_767;

/// An added column.
pub(super) struct Column<'a> {
    pub(super) header: &'a str,
    /// The formula template without `=`.
    pub(super) formula: Option<&'a str>,
    pub(super) values: &'a [CellValue],
    pub(super) number_format: Option<&'a str>,
}

/// The edit's additions, checked.
pub(super) struct Plan<'a> {
    pub(super) table: TableRange,
    pub(super) columns: Vec<Column<'a>>,
    /// By output row: (column, the edit).
    pub(super) sets: BTreeMap<u32, Vec<(u32, &'a CellEdit)>>,
    pub(super) date1904: bool,
    /// Output rows of the data: `first_row..first_row + kept`.
    pub(super) kept: u32,
}

/// A cell the edit adds or sets on a row.
pub(super) enum Extra<'a> {
    Header(&'a str),
    Data(&'a Column<'a>, usize),
    Set(&'a CellEdit),
}

/// A formula template for one row: `=F{r}*G{r}` in row 7 reads `F7*G7`.
pub(super) fn template(formula: &str, row: u32) -> String {
    formula
        .strip_prefix('=')
        .unwrap_or(formula)
        .replace("{r}", &row.to_string())
}

fn check_value(value: &CellValue, what: &dyn Fn() -> String) -> Result<(), EditError> {
    let bad = |why: String| Err(EditError::new(format!("{} {why}", what())));
    match value {
        CellValue::Number(n) if !n.is_finite() => bad(format!("is {n}, which a cell cannot hold.")),
        CellValue::Text(t) if t.chars().count() > MAX_TEXT => bad(format!(
            "has more than {MAX_TEXT} characters, Excel's limit."
        )),
        CellValue::Error { error } if !is_error_literal(error) => bad(format!(
            "is the error '{error}', which is not one of Excel's."
        )),
        CellValue::Date { date } => serial(date, false)
            .map(|_| ())
            .map_err(|e| EditError::new(format!("{} {}", what(), e.message))),
        _ => Ok(()),
    }
}

impl<'a> Plan<'a> {
    pub(super) fn new(
        edit: &'a SheetEdit,
        map: &RowMap,
        date1904: bool,
    ) -> Result<Plan<'a>, EditError> {
        let table = edit.table;
        let n = edit.add_columns.len();
        if n > MAX_NEW_COLUMNS || table.last_col as usize + n > 16_384 {
            return Err(EditError::new(format!(
                "The script adds {n} columns right of column {}, past the sheet's last column.",
                col_letters(table.last_col)
            )));
        }
        let mut columns = Vec::with_capacity(n);
        for (i, c) in edit.add_columns.iter().enumerate() {
            let letter = col_letters(table.last_col + 1 + i as u32);
            if c.values.len() != map.kept() as usize {
                return Err(EditError::new(format!(
                    "The new column {letter} '{}' has {} values, but the table keeps {} rows.",
                    c.header,
                    c.values.len(),
                    map.kept()
                )));
            }
            if c.header.chars().count() > MAX_TEXT {
                return Err(EditError::new(format!(
                    "The new column {letter}'s header is too long."
                )));
            }
            for (row, value) in c.values.iter().enumerate() {
                check_value(value, &|| {
                    format!("The value of {letter}{}", table.first_row + row as u32)
                })?;
            }
            columns.push(Column {
                header: &c.header,
                formula: c.formula.as_deref(),
                values: &c.values,
                number_format: c.number_format.as_deref(),
            });
        }
        if edit.set_cells.len() > MAX_SET_CELLS {
            return Err(EditError::new(format!(
                "The script sets {} cells, more than the {MAX_SET_CELLS} one edit may.",
                edit.set_cells.len()
            )));
        }
        let mut sets: BTreeMap<u32, Vec<(u32, &CellEdit)>> = BTreeMap::new();
        for set in &edit.set_cells {
            let (col, row) = parse_cell(&set.cell).ok_or_else(|| {
                EditError::new(format!(
                    "'{}' in set_cells is not a cell reference like B3.",
                    set.cell
                ))
            })?;
            check_value(&set.value, &|| format!("The value for {}", set.cell))?;
            let cells = sets.entry(row).or_default();
            if cells.iter().any(|(c, _)| *c == col) {
                return Err(EditError::new(format!(
                    "The cell {} is set twice.",
                    set.cell
                )));
            }
            cells.push((col, set));
        }
        for cells in sets.values_mut() {
            cells.sort_by_key(|(c, _)| *c);
        }
        Ok(Plan {
            table,
            columns,
            sets,
            date1904,
            kept: map.kept(),
        })
    }

    /// Nothing added or set.
    pub(super) fn is_empty(&self) -> bool {
        self.columns.is_empty() && self.sets.is_empty()
    }

    /// Output rows that must exist, ascending.
    pub(super) fn rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.sets.keys().copied().collect();
        if !self.columns.is_empty() {
            rows.extend(self.table.header_row);
            rows.extend(self.table.first_row..self.table.first_row + self.kept);
        }
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The cells added or set on output row `row`, by column, ascending.
    pub(super) fn extras(&self, row: u32) -> Vec<(u32, Extra<'_>)> {
        let t = &self.table;
        let mut extras: Vec<(u32, Extra<'_>)> = Vec::new();
        if !self.columns.is_empty() {
            let data = (t.first_row..t.first_row + self.kept).contains(&row);
            for (i, column) in self.columns.iter().enumerate() {
                let col = t.last_col + 1 + i as u32;
                if t.header_row == Some(row) {
                    extras.push((col, Extra::Header(column.header)));
                } else if data {
                    extras.push((col, Extra::Data(column, (row - t.first_row) as usize)));
                }
            }
        }
        if let Some(sets) = self.sets.get(&row) {
            for &(col, set) in sets {
                extras.retain(|(c, _)| *c != col);
                extras.push((col, Extra::Set(set)));
            }
            extras.sort_by_key(|(c, _)| *c);
        }
        extras
    }
}

/// Whether the value is a date or date-time.
pub(super) fn is_date(value: &CellValue) -> bool {
    matches!(value, CellValue::Date { .. })
}

/// The number format a date value gets when the script gives none.
pub(super) fn date_format(value: &CellValue) -> &'static str {
    match value {
        CellValue::Date { date } if date.contains('T') || date.contains(' ') => {
            "yyyy-mm-dd hh:mm:ss"
        }
        _ => "yyyy-mm-dd",
    }
}

/// An ISO date or date-time as an Excel serial.
pub(super) fn serial(text: &str, date1904: bool) -> Result<f64, EditError> {
    let bad = || {
        EditError::new(format!(
            "'{text}' is not a date like 2024-01-31 or 2024-01-31T08:30:00."
        ))
    };
    let when: NaiveDateTime = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => d.and_hms_opt(0, 0, 0).ok_or_else(bad)?,
        Err(_) => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
            .map_err(|_| bad())?,
    };
    let (epoch, first) = if date1904 {
        (
            NaiveDate::from_ymd_opt(1904, 1, 1),
            NaiveDate::from_ymd_opt(1904, 1, 1),
        )
    } else {
        // Excel counts 1900-02-29, which did not exist: from March 1900 on, days are
        // counted from 1899-12-30.
        (
            NaiveDate::from_ymd_opt(1899, 12, 30),
            NaiveDate::from_ymd_opt(1900, 1, 1),
        )
    };
    let (epoch, first) = (epoch.ok_or_else(bad)?, first.ok_or_else(bad)?);
    if when.date() < first || when.date().year_ce().1 > 9999 {
        return Err(EditError::new(format!(
            "'{text}' is outside the dates Excel can store ({first} to 9999-12-31)."
        )));
    }
    let mut days = (when.date() - epoch).num_days();
    if !date1904 && when.date() < NaiveDate::from_ymd_opt(1900, 3, 1).ok_or_else(bad)? {
        days -= 1;
    }
    let seconds = f64::from(when.num_seconds_from_midnight()) + f64::from(when.nanosecond()) / 1e9;
    Ok(days as f64 + seconds / 86_400.0)
}

use chrono::Datelike;

/// A number as a cell's `<v>` writes it (shortest text that reads back the same value).
pub(super) fn number_text(n: f64) -> String {
    let a = n.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{n:e}")
    } else {
        format!("{n}")
    }
}

/// Text for a cell: escaped for XML, characters XML cannot carry written as OOXML's
/// `_xHHHH_` (and a literal `_x` that would read as one escaped too).
fn cell_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let escaped_like = rest.len() >= 7
            && rest.starts_with("_x")
            && rest.as_bytes()[2..6].iter().all(u8::is_ascii_hexdigit)
            && rest.as_bytes()[6] == b'_';
        if escaped_like {
            out.push_str("_x005F_");
            out.push('x');
            rest = &rest[2..];
            out.push_str(&rest[..5]);
            rest = &rest[5..];
            continue;
        }
        if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        {
            out.push_str(&format!("_x{:04X}_", c as u32));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    escape(&out)
}

/// A new cell's XML (`None`: an empty cell with nothing to keep is not written), its
/// elements named with the part's prefix `p` (`""` or `x:`).
pub(super) fn cell_xml(
    p: &str,
    col: u32,
    row: u32,
    style: Option<u32>,
    value: &CellValue,
    formula: Option<&str>,
    date1904: bool,
) -> Result<Option<String>, EditError> {
    let reference = format!("{}{row}", col_letters(col));
    let s = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    let f = formula
        .map(|f| format!("<{p}f>{}</{p}f>", escape(f.strip_prefix('=').unwrap_or(f))))
        .unwrap_or_default();
    let v = |text: String| format!("<{p}v>{text}</{p}v>");
    let (t, v) = match value {
        CellValue::Empty if formula.is_none() && style.is_none() => return Ok(None),
        CellValue::Empty => ("", String::new()),
        CellValue::Bool(b) => (" t=\"b\"", v(u8::from(*b).to_string())),
        CellValue::Number(n) => ("", v(number_text(*n))),
        CellValue::Date { date } => ("", v(number_text(serial(date, date1904)?))),
        CellValue::Error { error } => (" t=\"e\"", v(escape(&error.to_ascii_uppercase()))),
        CellValue::Text(text) if formula.is_some() => (" t=\"str\"", v(cell_text(text))),
        CellValue::Text(text) => {
            let space = if text.trim() != text {
                " xml:space=\"preserve\""
            } else {
                ""
            };
            let text = cell_text(text);
            (
                " t=\"inlineStr\"",
                format!("<{p}is><{p}t{space}>{text}</{p}t></{p}is>"),
            )
        }
    };
    if f.is_empty() && v.is_empty() {
        return Ok(Some(format!("<{p}c r=\"{reference}\"{s}/>")));
    }
    Ok(Some(format!("<{p}c r=\"{reference}\"{s}{t}>{f}{v}</{p}c>")))
}
