//! The references in an Excel formula (A1 notation, as stored in the file), found with
//! their byte spans so that a rewrite replaces only them and copies the rest as it was.
//!
//! Everything that is not a reference is skipped whole: string literals (`"a""b"`), array
//! constants (`{1,2;3,4}`), error literals (`#REF!`), function names (`LOG10(`,
//! `_xlfn.XLOOKUP(`), structured references (`Table1[[#This Row],[Qty]]`), defined names
//! and booleans. One pass, linear in the formula's length.

use std::ops::Range;

/// The last column Excel has (XFD).
pub(crate) const MAX_COL: u32 = 16_384;
/// The last row Excel has.
pub(crate) const MAX_ROW: u32 = 1_048_576;

/// A row or column coordinate and whether it is absolute (`$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Coord {
    /// 1-based.
    pub(crate) value: u32,
    /// Written with `$`.
    pub(crate) absolute: bool,
}

/// One cell of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellRef {
    /// The column.
    pub(crate) col: Coord,
    /// The row.
    pub(crate) row: Coord,
}

/// What a reference covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    /// `A1`.
    Cell(CellRef),
    /// `A1:B2` (the endpoints as written, not normalised).
    Cells(CellRef, CellRef),
    /// `H:H`, `$A:$C`.
    Columns(Coord, Coord),
    /// `2:5`, `$2:$2`.
    Rows(Coord, Coord),
}

/// The sheet a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SheetPrefix {
    /// None written: the formula's own sheet.
    Host,
    /// `Data!`, `'My Sheet'!` (the name unquoted).
    Sheet(String),
    /// `Sheet1:Sheet3!`: a 3-D reference over the sheets between the two.
    ThreeD(String, String),
    /// `[1]Sheet1!`, `'C:\x\[b.xlsx]S'!`: another workbook.
    External,
}

/// A reference found in a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The whole reference, sheet prefix included.
    pub(crate) span: Range<usize>,
    /// Where the area (after the `!`) starts.
    pub(crate) area_start: usize,
    /// The sheet it names.
    pub(crate) sheet: SheetPrefix,
    /// What it covers.
    pub(crate) area: Area,
}

/// Excel's error literals, longest first where one is a prefix of another.
const ERRORS: &[&str] = &[
    "#GETTING_DATA",
    "#DIV/0!",
    "#VALUE!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#REF!",
    "#N/A",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#PYTHON!",
];

/// Whether `text` is one of Excel's error values (`#DIV/0!`).
pub(crate) fn is_error_literal(text: &str) -> bool {
    ERRORS.iter().any(|e| e.eq_ignore_ascii_case(text))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'\\' | b'?') || b >= 0x80
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_word(b[i]) {
        i += 1;
    }
    i
}

/// After a quoted run starting at `i` (`quote` doubled inside is one quote): the index
/// past the closing quote, and the text unquoted.
fn quoted(b: &[u8], i: usize, quote: u8) -> (usize, Vec<u8>) {
    let mut j = i + 1;
    let mut text = Vec::new();
    while j < b.len() {
        if b[j] == quote {
            if j + 1 < b.len() && b[j + 1] == quote {
                text.push(quote);
                j += 2;
                continue;
            }
            return (j + 1, text);
        }
        text.push(b[j]);
        j += 1;
    }
    (b.len(), text)
}

/// Past a bracketed run (`[..]`, nested; `'` escapes the next character, as in
/// structured references).
fn skip_brackets(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\'' => j += 1,
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// Past an array constant (`{1,"a}";2}`).
fn skip_array(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'"' => j = quoted(b, j, b'"').0,
            b'}' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// Past an error literal at `i`, or past the `#` alone (the spill operator `A1#`).
fn skip_error(b: &[u8], i: usize) -> usize {
    let rest = &b[i..];
    for e in ERRORS {
        if rest.len() >= e.len() && rest[..e.len()].eq_ignore_ascii_case(e.as_bytes()) {
            return i + e.len();
        }
    }
    i + 1
}

/// One coordinate part at `i`: a cell (`$A$1`), a column (`$H`) or a row (`$2`).
enum Part {
    Cell(CellRef),
    Col(Coord),
    Row(Coord),
}

fn parse_part(b: &[u8], i: usize) -> Option<(Part, usize)> {
    let mut j = i;
    let col_abs = j < b.len() && b[j] == b'$';
    if col_abs {
        j += 1;
    }
    let letters_start = j;
    let mut col: u32 = 0;
    while j < b.len() && b[j].is_ascii_alphabetic() {
        if j - letters_start == 3 {
            return None;
        }
        col = col * 26 + u32::from(b[j].to_ascii_uppercase() - b'A' + 1);
        j += 1;
    }
    let has_col = j > letters_start;
    let mut row_abs = false;
    let mut row: u64 = 0;
    let mut k = j;
    if k < b.len() && b[k] == b'$' {
        row_abs = true;
        k += 1;
    }
    let digits_start = k;
    while k < b.len() && b[k].is_ascii_digit() && k - digits_start < 8 {
        row = row * 10 + u64::from(b[k] - b'0');
        k += 1;
    }
    let has_row = k > digits_start;
    let (part, end) = match (has_col, has_row) {
        (true, true) => (
            Part::Cell(CellRef {
                col: Coord {
                    value: col,
                    absolute: col_abs,
                },
                row: Coord {
                    value: row as u32,
                    absolute: row_abs,
                },
            }),
            k,
        ),
        (true, false) if !row_abs => (
            Part::Col(Coord {
                value: col,
                absolute: col_abs,
            }),
            j,
        ),
        // `$2` is a row: the `$` read as the column's belongs to the row.
        (false, true) if !(col_abs && row_abs) => (
            Part::Row(Coord {
                value: row as u32,
                absolute: row_abs || col_abs,
            }),
            k,
        ),
        _ => return None,
    };
    if has_col && !(1..=MAX_COL).contains(&col) {
        return None;
    }
    if has_row && !(1..=u64::from(MAX_ROW)).contains(&row) {
        return None;
    }
    if end < b.len() && (is_word(b[end]) || matches!(b[end], b'(' | b'[' | b'!')) {
        return None;
    }
    Some((part, end))
}

/// A reference's area at `i`, and the index past it.
fn parse_area(b: &[u8], i: usize) -> Option<(Area, usize)> {
    let (first, end) = parse_part(b, i)?;
    if end < b.len()
        && b[end] == b':'
        && let Some((second, end2)) = parse_part(b, end + 1)
    {
        match (&first, second) {
            (Part::Cell(a), Part::Cell(c)) => return Some((Area::Cells(*a, c), end2)),
            (Part::Col(a), Part::Col(c)) => return Some((Area::Columns(*a, c), end2)),
            (Part::Row(a), Part::Row(c)) => return Some((Area::Rows(*a, c), end2)),
            _ => {}
        }
    }
    match first {
        Part::Cell(c) => Some((Area::Cell(c), end)),
        _ => None,
    }
}

fn sheet_prefix(name: Vec<u8>) -> SheetPrefix {
    let name = String::from_utf8_lossy(&name).into_owned();
    if name.contains('[') {
        return SheetPrefix::External;
    }
    match name.split_once(':') {
        Some((a, b)) => SheetPrefix::ThreeD(a.to_owned(), b.to_owned()),
        None => SheetPrefix::Sheet(name),
    }
}

/// Every reference in `formula` (with or without its leading `=`), in order.
pub(crate) fn references(formula: &str) -> Vec<Reference> {
    let b = formula.as_bytes();
    let n = b.len();
    let mut found = Vec::new();
    let mut i = 0;
    // After a prefix ending in `!` at `bang`: the area, pushed when it is one.
    let area_after = |found: &mut Vec<Reference>, start: usize, bang: usize, sheet| {
        match parse_area(b, bang + 1) {
            Some((area, end)) => {
                found.push(Reference {
                    span: start..end,
                    area_start: bang + 1,
                    sheet,
                    area,
                });
                end
            }
            // A sheet-scoped name (`Data!Rate`) or `Data!#REF!`.
            None => word_end(b, bang + 1),
        }
    };
    while i < n {
        match b[i] {
            b'"' => i = quoted(b, i, b'"').0,
            b'{' => i = skip_array(b, i),
            b'#' => i = skip_error(b, i),
            b'\'' => {
                let (end, name) = quoted(b, i, b'\'');
                i = if end < n && b[end] == b'!' {
                    area_after(&mut found, i, end, sheet_prefix(name))
                } else {
                    end
                };
            }
            b'[' => {
                let end = skip_brackets(b, i);
                let wend = word_end(b, end);
                i = if wend < n && b[wend] == b'!' {
                    area_after(&mut found, i, wend, SheetPrefix::External)
                } else {
                    end
                };
            }
            c if is_word(c) => {
                let wend = word_end(b, i);
                let next = b.get(wend).copied();
                if next == Some(b'(') {
                    i = wend;
                } else if next == Some(b'[') {
                    i = skip_brackets(b, wend);
                } else if next == Some(b'!') {
                    let name = b[i..wend].to_vec();
                    i = area_after(&mut found, i, wend, sheet_prefix(name));
                } else if let Some(w2end) = (next == Some(b':'))
                    .then(|| word_end(b, wend + 1))
                    .filter(|&e| e > wend + 1 && b.get(e) == Some(&b'!'))
                {
                    let name = b[i..w2end].to_vec();
                    i = area_after(&mut found, i, w2end, sheet_prefix(name));
                } else if let Some((area, end)) = parse_area(b, i) {
                    found.push(Reference {
                        span: i..end,
                        area_start: i,
                        sheet: SheetPrefix::Host,
                        area,
                    });
                    i = end;
                } else {
                    i = wend;
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// A column's letters (1 → `A`, 27 → `AA`).
pub(crate) fn col_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        out.push(b'A' + rem as u8);
        col = (col - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A plain cell reference (`B3`, `$B$3`) as (column, row), or `None`.
pub(crate) fn parse_cell(text: &str) -> Option<(u32, u32)> {
    match parse_area(text.as_bytes(), 0)? {
        (Area::Cell(c), end) if end == text.len() => Some((c.col.value, c.row.value)),
        _ => None,
    }
}

/// An A1 range over whole rows `first..=last` and columns `first_col..=last_col`.
pub(crate) fn range_text(first_col: u32, first_row: u32, last_col: u32, last_row: u32) -> String {
    let a = format!("{}{first_row}", col_letters(first_col));
    if first_col == last_col && first_row == last_row {
        a
    } else {
        format!("{a}:{}{last_row}", col_letters(last_col))
    }
}

pub(super) fn write_coord(out: &mut String, c: Coord, letters: bool) {
    if c.absolute {
        out.push('$');
    }
    if letters {
        out.push_str(&col_letters(c.value));
    } else {
        out.push_str(&c.value.to_string());
    }
}

pub(super) fn write_cell(out: &mut String, c: CellRef) {
    write_coord(out, c.col, true);
    write_coord(out, c.row, false);
}

pub(super) fn write_area(out: &mut String, area: Area) {
    match area {
        Area::Cell(c) => write_cell(out, c),
        Area::Cells(a, b) => {
            write_cell(out, a);
            out.push(':');
            write_cell(out, b);
        }
        Area::Columns(a, b) => {
            write_coord(out, a, true);
            out.push(':');
            write_coord(out, b, true);
        }
        Area::Rows(a, b) => {
            write_coord(out, a, false);
            out.push(':');
            write_coord(out, b, false);
        }
    }
}
