//! Formulas and ranges when a table's rows are reordered or removed: which row each input
//! row lands on (`RowMap`), references that follow their data (`adjust_formula`,
//! `adjust_range`), and shared formulas expanded per cell (`translate`).
//!
//! The rules, as a user would want them (never silently wrong):
//! - A single cell follows its row; a cell in a removed row becomes `#REF!` (`Broken`).
//! - A range follows its data when its data still forms one range: a range over all the
//!   table's rows stays whole on a sort and shrinks on a filter, a range over part of the
//!   rows shrinks on a filter (as when Excel deletes rows). A range over *part* of the
//!   rows of a sort is `Broken`: its cells are now spread over other rows, and both
//!   keeping it (other data) and stretching it (more data) would change what a `SUM` over
//!   it means. A range whose rows were all removed is `Broken`.
//! - Whole columns (`H:H`) are unchanged; whole rows (`2:5`) follow the range rule.
//! - References to other sheets, to other workbooks, and to rows above the table are
//!   unchanged; rows below the table move up by the number removed.
//! - A 3-D reference (`Sheet1:Sheet3!A1`) naming the edited sheet at one end, over rows
//!   that moved, is `Broken` (one sheet of it cannot move alone). Sheets strictly between
//!   the two ends are not known here.
//!
//! Text that does not change comes back byte for byte (`Adjusted::Same`).

#![warn(missing_docs, unreachable_pub)]

mod sqref;
mod tokens;

pub(crate) use sqref::{Sqref, follow_sqref};
pub(crate) use tokens::{col_letters, is_error_literal, parse_cell, range_text};

use super::EditError;
use super::edits::TableRange;
use std::sync::OnceLock;
use tokens::{Area, CellRef, Coord, MAX_COL, MAX_ROW, Reference, SheetPrefix};

/// Where each row of a table lands: the input's data rows kept, in output order.
#[derive(Debug)]
pub(crate) struct RowMap {
    first: u32,
    last: u32,
    /// By `old - first`: the output row, or 0 when removed.
    new_of: Vec<u32>,
    /// By `i`: how many of the rows `first..first + i` are kept.
    kept_before: Vec<u32>,
    kept: u32,
    reordered: bool,
    identity: bool,
    spread: OnceLock<Spread>,
}

/// Why a range cannot follow its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeFault {
    /// Every row it covered was removed.
    AllRemoved,
    /// It covers part of the reordered rows, which are now spread over other rows.
    Spread,
}

impl RangeFault {
    fn reason(self) -> &'static str {
        match self {
            RangeFault::AllRemoved => "covered only rows that were removed",
            RangeFault::Spread => {
                "covers only part of the reordered rows, which are now spread over other rows"
            }
        }
    }
}

/// Most rows an edit script may name (Excel's row count).
const MAX_ROWS: usize = MAX_ROW as usize;
/// Block size of `Spread`.
const BLOCK: usize = 64;

impl RowMap {
    /// The map for a table and the script's `rows` (`None`: rows stay as they are).
    pub(crate) fn new(table: &TableRange, rows: Option<&[u32]>) -> Result<RowMap, EditError> {
        let (first, last) = (table.first_row, table.last_row);
        let bad = |what: String| Err(EditError::new(what));
        if first == 0 || last > MAX_ROW || last + 1 < first {
            return bad(format!(
                "The table's rows {first}..{last} are not rows of a sheet (1..{MAX_ROW}, first at most one past last)."
            ));
        }
        if table.first_col == 0 || table.first_col > table.last_col || table.last_col > MAX_COL {
            return bad(format!(
                "The table's columns {}..{} are not columns of a sheet (1..{MAX_COL}).",
                table.first_col, table.last_col
            ));
        }
        if let Some(header) = table.header_row
            && (header == 0 || header >= first)
        {
            return bad(format!(
                "The table's header row {header} must be above its first data row {first}."
            ));
        }
        let size = (last + 1 - first) as usize;
        let mut new_of = vec![0u32; size];
        let order: Vec<u32> = match rows {
            None => (first..=last).collect(),
            Some(rows) => rows.to_vec(),
        };
        if order.len() > size.min(MAX_ROWS) {
            return bad(format!(
                "The script keeps {} rows, but the table has {size}.",
                order.len()
            ));
        }
        let mut reordered = false;
        let mut previous = 0;
        for (i, &old) in order.iter().enumerate() {
            if old < first || old > last {
                return bad(format!(
                    "Row {old} in the script's rows is not a data row of the table ({first}..{last})."
                ));
            }
            let slot = &mut new_of[(old - first) as usize];
            if *slot != 0 {
                return bad(format!("Row {old} is listed twice in the script's rows."));
            }
            *slot = first + i as u32;
            reordered |= old < previous;
            previous = old;
        }
        let mut kept_before = Vec::with_capacity(size + 1);
        let mut count = 0u32;
        kept_before.push(0);
        for &n in &new_of {
            count += u32::from(n != 0);
            kept_before.push(count);
        }
        let kept = order.len() as u32;
        Ok(RowMap {
            first,
            last,
            identity: !reordered && kept as usize == size,
            new_of,
            kept_before,
            kept,
            reordered,
            spread: OnceLock::new(),
        })
    }

    /// The output row of input row `old` (any row of the sheet); `None`: removed.
    pub(crate) fn new_row(&self, old: u32) -> Option<u32> {
        if old < self.first {
            Some(old)
        } else if old > self.last {
            Some(old - self.removed())
        } else {
            Some(self.new_of[(old - self.first) as usize]).filter(|&n| n != 0)
        }
    }

    /// How many rows were removed.
    pub(crate) fn removed(&self) -> u32 {
        self.new_of.len() as u32 - self.kept
    }

    /// Whether every row stays where it is.
    pub(crate) fn is_identity(&self) -> bool {
        self.identity
    }

    /// Whether the kept rows are in a new order (a sort), not just fewer (a filter).
    pub(crate) fn is_reordered(&self) -> bool {
        self.reordered
    }

    /// The table's first data row.
    pub(crate) fn first_row(&self) -> u32 {
        self.first
    }

    /// The table's last data row, in the input.
    pub(crate) fn last_row(&self) -> u32 {
        self.last
    }

    /// How many data rows are kept.
    pub(crate) fn kept(&self) -> u32 {
        self.kept
    }

    /// Rows `a..=b` of the input (a ≤ b) as one range of the output, when their data
    /// still forms one.
    pub(crate) fn map_rows(&self, a: u32, b: u32) -> Result<(u32, u32), RangeFault> {
        let (f, l, removed) = (self.first, self.last, self.removed());
        if b < f {
            return Ok((a, b));
        }
        if a > l {
            return Ok((a - removed, b - removed));
        }
        if a <= f && b >= l {
            let end = b - removed;
            return if a > end {
                Err(RangeFault::AllRemoved)
            } else {
                Ok((a, end))
            };
        }
        // The part inside the table: where its kept rows land.
        let (lo, hi) = (a.max(f), b.min(l));
        let (i, j) = ((lo - f) as usize, (hi - f) as usize);
        let k = self.kept_before[j + 1] - self.kept_before[i];
        let (p, q) = if k == 0 {
            (0, 0)
        } else if !self.reordered {
            (f + self.kept_before[i], f + self.kept_before[j + 1] - 1)
        } else {
            self.spread().min_max(&self.new_of, i, j)
        };
        if k > 0 && q - p + 1 != k {
            return Err(RangeFault::Spread);
        }
        let table_end = f + self.kept; // one past the kept rows
        match (a < f, b > l) {
            // Starts above the table, ends inside it.
            (true, false) if k == 0 => Ok((a, f - 1)),
            (true, false) if p == f => Ok((a, q)),
            // Starts inside, ends below.
            (false, true) if k == 0 => Ok((table_end, b - removed)),
            (false, true) if q + 1 == table_end => Ok((p, b - removed)),
            (false, false) if k == 0 => Err(RangeFault::AllRemoved),
            (false, false) => Ok((p, q)),
            _ => Err(RangeFault::Spread),
        }
    }

    fn spread(&self) -> &Spread {
        self.spread.get_or_init(|| Spread::new(&self.new_of))
    }
}

/// Minimum and maximum output row over blocks of input rows, as a sparse table over
/// blocks: a query scans at most two partial blocks.
#[derive(Debug)]
struct Spread {
    min: Vec<Vec<u32>>,
    max: Vec<Vec<u32>>,
}

impl Spread {
    fn new(new_of: &[u32]) -> Spread {
        let blocks = new_of.len().div_ceil(BLOCK);
        let (mut min, mut max) = (
            vec![Vec::with_capacity(blocks)],
            vec![Vec::with_capacity(blocks)],
        );
        for chunk in new_of.chunks(BLOCK) {
            let (lo, hi) = scan(chunk);
            min[0].push(lo);
            max[0].push(hi);
        }
        let mut width = 1;
        while width * 2 <= blocks {
            let (pmin, pmax) = (&min[min.len() - 1], &max[max.len() - 1]);
            let n = blocks + 1 - width * 2;
            let next_min = (0..n).map(|i| pmin[i].min(pmin[i + width])).collect();
            let next_max = (0..n).map(|i| pmax[i].max(pmax[i + width])).collect();
            min.push(next_min);
            max.push(next_max);
            width *= 2;
        }
        Spread { min, max }
    }

    /// The smallest and largest output row of the kept rows among indices `i..=j`.
    fn min_max(&self, new_of: &[u32], i: usize, j: usize) -> (u32, u32) {
        let (bi, bj) = (i / BLOCK, j / BLOCK);
        if bj <= bi + 1 {
            return scan(&new_of[i..=j]);
        }
        let (a_lo, a_hi) = scan(&new_of[i..(bi + 1) * BLOCK]);
        let (b_lo, b_hi) = scan(&new_of[bj * BLOCK..=j]);
        let (from, to) = (bi + 1, bj - 1);
        let level = (usize::BITS - 1 - (to - from + 1).leading_zeros()) as usize;
        let other = to + 1 - (1 << level);
        let lo = self.min[level][from].min(self.min[level][other]);
        let hi = self.max[level][from].max(self.max[level][other]);
        (a_lo.min(b_lo).min(lo), a_hi.max(b_hi).max(hi))
    }
}

/// Smallest and largest non-zero value (`u32::MAX`, 0 when all are zero).
fn scan(values: &[u32]) -> (u32, u32) {
    values.iter().fold((u32::MAX, 0), |(lo, hi), &n| {
        if n == 0 {
            (lo, hi)
        } else {
            (lo.min(n), hi.max(n))
        }
    })
}

/// A formula or range after its references were made to follow the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Adjusted {
    /// Nothing it references moved: the text stays byte for byte.
    Same,
    /// The new text.
    Changed(String),
    /// A reference could not follow (it reads `#REF!` in `text`); `reason` names it.
    Broken {
        /// The text with `#REF!` where the reference was.
        text: String,
        /// What broke, naming the reference (`Data!H5 is in a row that was removed`).
        reason: String,
    },
}

/// How references are rewritten.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Every reference into the edited sheet follows its data.
    Follow,
    /// As a conditional format's or validation's formula: references with an absolute
    /// row follow their data, relative rows move with the range's top-left (`d_row`).
    Anchored { d_row: i64 },
    /// A shared formula's text `d_row`, `d_col` away: relative coordinates shift.
    Shift { d_row: i64, d_col: i64 },
}

/// A formula (without the leading '=') in a cell of `host_sheet` that did not move.
pub(crate) fn adjust_formula(
    formula: &str,
    host_sheet: &str,
    edited_sheet: &str,
    map: &RowMap,
) -> Adjusted {
    rewrite(formula, host_sheet, edited_sheet, map, Mode::Follow)
}

/// A range or list of ranges as tables, sqref, defined names, charts and pivot sources write
/// them: `Data!$H$2:$H$101`, `'My Sheet'!A1:B2`, `A2:H101` (then on `host_sheet`), `A1:A3 C1:C3`.
pub(crate) fn adjust_range(
    range: &str,
    host_sheet: &str,
    edited_sheet: &str,
    map: &RowMap,
) -> Adjusted {
    rewrite(range, host_sheet, edited_sheet, map, Mode::Follow)
}

/// A formula on a row of the edited sheet that moves with its row: references to its own
/// row follow the row (`F2*G2` landing in row 7 reads `F7*G7`), references to other rows
/// follow their data. (The same rule as `adjust_formula`, seen from the moved cell.)
#[cfg(test)]
pub(crate) fn move_formula(formula: &str, edited_sheet: &str, map: &RowMap) -> Adjusted {
    rewrite(formula, edited_sheet, edited_sheet, map, Mode::Follow)
}

/// A conditional format's or data validation's formula on `host_sheet`, whose range's
/// top-left cell moved by `d_row` rows: relative references move with it, absolute ones
/// follow their data.
pub(crate) fn adjust_anchored(
    formula: &str,
    host_sheet: &str,
    edited_sheet: &str,
    map: &RowMap,
    d_row: i64,
) -> Adjusted {
    rewrite(
        formula,
        host_sheet,
        edited_sheet,
        map,
        Mode::Anchored { d_row },
    )
}

/// A shared formula's master text as it reads `d_row`, `d_col` cells away.
pub(crate) fn translate(formula: &str, d_row: i64, d_col: i64) -> String {
    let identity = RowMap {
        first: 1,
        last: 0,
        new_of: Vec::new(),
        kept_before: vec![0],
        kept: 0,
        reordered: false,
        identity: true,
        spread: OnceLock::new(),
    };
    match rewrite(formula, "", "", &identity, Mode::Shift { d_row, d_col }) {
        Adjusted::Same => formula.to_owned(),
        Adjusted::Changed(text) | Adjusted::Broken { text, .. } => text,
    }
}

/// Sheet names compare as Excel compares them: without regard to case.
fn same_sheet(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || !(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase()
}

fn rewrite(formula: &str, host: &str, edited: &str, map: &RowMap, mode: Mode) -> Adjusted {
    let refs = tokens::references(formula);
    if refs.is_empty() {
        return Adjusted::Same;
    }
    let host_is_edited = same_sheet(host, edited);
    let mut out = String::with_capacity(formula.len() + 8);
    let mut last = 0;
    let mut changed = false;
    let mut reasons: Vec<String> = Vec::new();
    for r in &refs {
        let on_edited = match &r.sheet {
            SheetPrefix::Host => host_is_edited,
            SheetPrefix::Sheet(name) => same_sheet(name, edited),
            SheetPrefix::ThreeD(a, b) => same_sheet(a, edited) || same_sheet(b, edited),
            SheetPrefix::External => false,
        };
        let outcome = match mode {
            Mode::Shift { d_row, d_col } => shift(r.area, d_row, d_col).map_err(|()| None),
            // A relative reference to another sheet moves with the range's top-left.
            Mode::Anchored { d_row } if !on_edited => {
                if d_row == 0 || r.sheet == SheetPrefix::External {
                    continue;
                }
                shift(r.area, d_row, 0).map_err(|()| Some("moves off the sheet"))
            }
            _ if !on_edited || map.identity => continue,
            Mode::Follow => follow(r.area, map).map_err(Some),
            Mode::Anchored { d_row } => anchored(r.area, map, d_row).map_err(Some),
        };
        let outcome = match (outcome, &r.sheet) {
            (Ok(Some(_)) | Err(_), SheetPrefix::ThreeD(..))
                if !matches!(mode, Mode::Shift { .. }) =>
            {
                Err(Some(
                    "is a 3-D reference over several sheets, whose rows cannot move on one of them",
                ))
            }
            (outcome, _) => outcome,
        };
        match outcome {
            Ok(None) => continue,
            Ok(Some(area)) => {
                out.push_str(&formula[last..r.area_start]);
                tokens::write_area(&mut out, area);
            }
            Err(reason) => {
                out.push_str(&formula[last..r.area_start]);
                out.push_str("#REF!");
                if let Some(reason) = reason {
                    reasons.push(format!("{} {reason}", named(formula, r, edited)));
                }
            }
        }
        changed = true;
        last = r.span.end;
    }
    if !changed {
        return Adjusted::Same;
    }
    out.push_str(&formula[last..]);
    if reasons.is_empty() {
        Adjusted::Changed(out)
    } else {
        Adjusted::Broken {
            text: out,
            reason: reasons.join("; "),
        }
    }
}

/// A reference as a person reads it: `Data!H5`.
fn named(formula: &str, r: &Reference, edited: &str) -> String {
    let area = &formula[r.area_start..r.span.end];
    match r.sheet {
        SheetPrefix::Host => format!("{edited}!{area}"),
        _ => formula[r.span.clone()].to_owned(),
    }
}

fn with_row(c: CellRef, row: u32) -> CellRef {
    CellRef {
        row: Coord {
            value: row,
            absolute: c.row.absolute,
        },
        ..c
    }
}

fn with_rows(a: Coord, b: Coord, (lo, hi): (u32, u32)) -> (Coord, Coord) {
    let (na, nb) = if a.value <= b.value {
        (lo, hi)
    } else {
        (hi, lo)
    };
    (Coord { value: na, ..a }, Coord { value: nb, ..b })
}

/// The area once its rows followed their data; `Ok(None)` when it did not change.
fn follow(area: Area, map: &RowMap) -> Result<Option<Area>, &'static str> {
    let new = match area {
        Area::Cell(c) => {
            let row = map
                .new_row(c.row.value)
                .ok_or("is in a row that was removed")?;
            Area::Cell(with_row(c, row))
        }
        Area::Cells(a, b) => {
            let (lo, hi) = (a.row.value.min(b.row.value), a.row.value.max(b.row.value));
            let rows = map.map_rows(lo, hi).map_err(RangeFault::reason)?;
            let (ra, rb) = with_rows(a.row, b.row, rows);
            Area::Cells(with_row(a, ra.value), with_row(b, rb.value))
        }
        Area::Columns(..) => return Ok(None),
        Area::Rows(a, b) => {
            let (lo, hi) = (a.value.min(b.value), a.value.max(b.value));
            let rows = map.map_rows(lo, hi).map_err(RangeFault::reason)?;
            let (ra, rb) = with_rows(a, b, rows);
            Area::Rows(ra, rb)
        }
    };
    Ok((new != area).then_some(new))
}

fn shift_coord(c: Coord, d: i64, max: u32) -> Option<Coord> {
    if c.absolute || d == 0 {
        return Some(c);
    }
    let value = i64::from(c.value) + d;
    (1..=i64::from(max)).contains(&value).then_some(Coord {
        value: value as u32,
        absolute: false,
    })
}

fn shift_cell(c: CellRef, d_row: i64, d_col: i64) -> Option<CellRef> {
    Some(CellRef {
        col: shift_coord(c.col, d_col, MAX_COL)?,
        row: shift_coord(c.row, d_row, MAX_ROW)?,
    })
}

/// The area `d_row`, `d_col` away; `None`: off the sheet (`#REF!`).
fn shift(area: Area, d_row: i64, d_col: i64) -> Result<Option<Area>, ()> {
    let new = match area {
        Area::Cell(c) => shift_cell(c, d_row, d_col).map(Area::Cell),
        Area::Cells(a, b) => shift_cell(a, d_row, d_col)
            .zip(shift_cell(b, d_row, d_col))
            .map(|(a, b)| Area::Cells(a, b)),
        Area::Columns(a, b) => shift_coord(a, d_col, MAX_COL)
            .zip(shift_coord(b, d_col, MAX_COL))
            .map(|(a, b)| Area::Columns(a, b)),
        Area::Rows(a, b) => shift_coord(a, d_row, MAX_ROW)
            .zip(shift_coord(b, d_row, MAX_ROW))
            .map(|(a, b)| Area::Rows(a, b)),
    }
    .ok_or(())?;
    Ok((new != area).then_some(new))
}

fn anchored(area: Area, map: &RowMap, d_row: i64) -> Result<Option<Area>, &'static str> {
    let off = "moves off the sheet";
    let row = |c: Coord| -> Result<Coord, &'static str> {
        if c.absolute {
            let value = map.new_row(c.value).ok_or("is in a row that was removed")?;
            Ok(Coord { value, ..c })
        } else {
            shift_coord(c, d_row, MAX_ROW).ok_or(off)
        }
    };
    let new = match area {
        Area::Cells(a, b) if a.row.absolute && b.row.absolute => return follow(area, map),
        Area::Rows(a, b) if a.absolute && b.absolute => return follow(area, map),
        Area::Cell(c) => Area::Cell(CellRef {
            row: row(c.row)?,
            ..c
        }),
        Area::Cells(a, b) => Area::Cells(
            CellRef {
                row: row(a.row)?,
                ..a
            },
            CellRef {
                row: row(b.row)?,
                ..b
            },
        ),
        Area::Columns(..) => return Ok(None),
        Area::Rows(a, b) => Area::Rows(row(a)?, row(b)?),
    };
    Ok((new != area).then_some(new))
}

#[cfg(test)]
mod tests;
