//! Which row of a sheet holds the column names.

use super::columns::RowCells;
use super::values::{Value, looks_like_date};
use std::collections::HashSet;

/// The header is looked for within this many rows from the top of the used range.
pub(crate) const HEADER_SEARCH_ROWS: usize = 10;
/// Rows below a header candidate that are checked for looking like data.
pub(crate) const HEADER_LOOKAHEAD_ROWS: usize = 5;

/// Index into `rows` of the row holding column names, or `None` for a headerless sheet.
///
/// The header is the first row near the top that is wide (at least half as many cells as
/// the widest row) and either
/// - mostly text, followed by rows that look like data: a number, date or boolean under one
///   of its text cells, or only text (an all-text table); or
/// - of other kinds than the rows below it in most of its columns (numeric names such as
///   years over booleans or text).
///
/// A wide row that is neither is data: the sheet has no header.
pub(crate) fn guess_header(rows: &[(usize, RowCells)], text_mode: bool) -> Option<usize> {
    let first_row = rows.first()?.0;
    let kind = |value: &Value| -> u8 {
        match value {
            Value::Text(text) if text_mode && looks_like_date(text) => 3,
            Value::Text(_) => 0,
            Value::Int(_) | Value::Float(_) => 1,
            Value::Bool(_) => 2,
            Value::Date(_) => 3,
        }
    };
    let table_width = rows.iter().map(|(_, cells)| cells.len()).max().unwrap_or(0);
    let is_wide_text = |cells: &RowCells| {
        let texts = cells.iter().filter(|(_, v)| kind(v) == 0).count();
        cells.len() * 2 >= table_width && texts * 10 >= cells.len() * 8
    };
    for (i, (row, cells)) in rows.iter().enumerate() {
        if *row >= first_row + HEADER_SEARCH_ROWS {
            break;
        }
        if cells.len() * 2 < table_width {
            continue; // a title or note above the table
        }
        let below = &rows[i + 1..rows.len().min(i + 1 + HEADER_LOOKAHEAD_ROWS)];
        let kinds_below = |col: usize| -> HashSet<u8> {
            below
                .iter()
                .flat_map(|(_, cells)| cells.iter().filter(move |(c, _)| *c == col))
                .map(|(_, value)| kind(value))
                .collect()
        };
        let texts = cells.iter().filter(|(_, v)| kind(v) == 0).count();
        if texts * 10 >= cells.len() * 8 {
            if below.is_empty() {
                return Some(i);
            }
            let text_cols: HashSet<usize> = cells
                .iter()
                .filter(|(_, v)| kind(v) == 0)
                .map(|(c, _)| *c)
                .collect();
            let first_data = below.iter().position(|(_, cells)| {
                cells
                    .iter()
                    .any(|(col, value)| text_cols.contains(col) && kind(value) != 0)
            });
            if let Some(offset) = first_data {
                // Several text rows above the data (a "Sourcekey" line, a units line): the
                // names are in the last wide text row right above the data.
                let header = (i..=i + offset)
                    .rev()
                    .find(|&k| is_wide_text(&rows[k].1))
                    .unwrap_or(i);
                return Some(header);
            }
            let all_text_below = below
                .iter()
                .all(|(_, cells)| cells.iter().all(|(_, value)| value.is_text()));
            if all_text_below {
                return Some(i);
            }
            continue;
        }
        // Mostly numbers, dates or booleans: a header only if unlike the data below.
        let compared: Vec<bool> = cells
            .iter()
            .filter_map(|(col, value)| {
                let below = kinds_below(*col);
                (!below.is_empty()).then(|| !below.contains(&kind(value)))
            })
            .collect();
        let clashes = compared.iter().filter(|&&clash| clash).count();
        if !compared.is_empty() && clashes * 10 >= compared.len() * 8 {
            return Some(i);
        }
        return None;
    }
    None
}
