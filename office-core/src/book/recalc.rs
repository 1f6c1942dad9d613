//! Recalculation: every formula of a workbook evaluated by an embedded formula engine
//! (IronCalc), the results written back as the formulas' cached values, and the formula
//! errors found listed by cell.
//!
//! A workbook saved by a tool that writes formulas without results (openpyxl, many
//! generators) reads as empty cells to anything that does not calculate; after
//! [`fill_cached`] it reads as Excel would show it. The write-back patches only the `<v>`
//! (and the cell's `t`) of formula cells whose result changed: every other byte of a
//! worksheet stays as it was, and every other part of the package is copied through
//! raw (its compressed bytes untouched).

#![warn(missing_docs, unreachable_pub)]

mod cells;
mod engine;
mod package;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

/// Largest workbook (as uploaded, compressed) the engine is given.
pub(crate) const MAX_XLSX_BYTES: usize = 256 << 20;
/// Largest total its parts may unpack to (zip bombs; the engine holds them in memory).
pub(crate) const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Most zip entries a workbook may have.
pub(crate) const MAX_ENTRIES: usize = 20_000;
/// Most formula cells evaluated in one workbook.
pub(crate) const MAX_FORMULAS: usize = 2_000_000;
/// Longest an evaluation may take before it is given up.
pub(crate) const EVALUATION_DEADLINE: Duration = Duration::from_secs(60);

/// Why a workbook could not be recalculated, said so a person understands it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecalcError {
    /// The bytes are not a workbook the engine can read (damaged, encrypted, not OOXML).
    #[error("the workbook's formulas could not be calculated: {0}")]
    Unreadable(String),
    /// Past one of the size limits above.
    #[error("the workbook is too large to recalculate ({0})")]
    TooLarge(String),
    /// The evaluation did not finish in time.
    #[error(
        "the workbook's formulas took longer than {} seconds to calculate; \
         it may reference whole columns in many formulas",
        EVALUATION_DEADLINE.as_secs()
    )]
    TimedOut,
}

/// A formula error value, as Excel writes it in a cell (`t="e"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FormulaError {
    /// `#NULL!`: an intersection of ranges that do not intersect.
    Null,
    /// `#DIV/0!`
    DivZero,
    /// `#VALUE!`: an argument of the wrong type.
    Value,
    /// `#REF!`: a reference to a cell that does not exist.
    Ref,
    /// `#NAME?`: an unknown name or function.
    Name,
    /// `#NUM!`: a number out of range.
    Num,
    /// `#N/A`: a value not available (a lookup that found nothing).
    NotAvailable,
    /// `#SPILL!`: a dynamic array that cannot spill.
    Spill,
    /// `#CALC!`: a calculation the engine cannot carry out (an empty array).
    Calc,
}

impl FormulaError {
    /// The error as Excel shows and stores it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FormulaError::Null => "#NULL!",
            FormulaError::DivZero => "#DIV/0!",
            FormulaError::Value => "#VALUE!",
            FormulaError::Ref => "#REF!",
            FormulaError::Name => "#NAME?",
            FormulaError::Num => "#NUM!",
            FormulaError::NotAvailable => "#N/A",
            FormulaError::Spill => "#SPILL!",
            FormulaError::Calc => "#CALC!",
        }
    }
}

/// One formula's computed result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Computed {
    /// A number (dates are numbers: serial days).
    Number(f64),
    /// Text.
    Text(String),
    /// TRUE or FALSE.
    Bool(bool),
    /// A formula error.
    Error(FormulaError),
}

/// The formula results of one worksheet.
#[derive(Debug, Clone, Default)]
struct SheetValues {
    name: String,
    /// By (row, column), both 1-based as in `A1` (A1 is (1, 1)).
    cells: BTreeMap<(u32, u32), Computed>,
}

/// Every formula cell's computed value, by (sheet, row, col); and the cells the engine
/// could not evaluate (a function it does not implement, a circular reference), which
/// keep whatever cached value they have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evaluated {
    sheets: Vec<SheetValues>,
    unevaluated: Vec<(String, String)>,
}

impl Evaluated {
    /// The computed value of the formula at `row`, `col` (1-based) of `sheet`.
    #[cfg(test)]
    pub(crate) fn get(&self, sheet: &str, row: u32, col: u32) -> Option<&Computed> {
        self.sheet(sheet)?.get(&(row, col))
    }

    /// How many formula cells have a computed value.
    pub(crate) fn len(&self) -> usize {
        self.sheets.iter().map(|sheet| sheet.cells.len()).sum()
    }

    /// Formula cells left without a computed value, with why: `("Sheet!A1", "...")`.
    pub(crate) fn unevaluated(&self) -> &[(String, String)] {
        &self.unevaluated
    }

    fn sheet(&self, name: &str) -> Option<&BTreeMap<(u32, u32), Computed>> {
        self.sheets
            .iter()
            .find(|sheet| sheet.name == name)
            .map(|sheet| &sheet.cells)
    }
}

/// Evaluates every formula of the workbook (xlsx or xlsm bytes). Never panics: a workbook
/// the engine cannot load, one past the size limits, or an evaluation past
/// [`EVALUATION_DEADLINE`] is an error.
pub(crate) fn evaluate(xlsx: &[u8]) -> Result<Evaluated, RecalcError> {
    package::check_limits(xlsx)?;
    let mut package = package::Package::open(xlsx)?;
    let mut placeholders = Vec::new();
    for (name, part) in package.worksheets()? {
        let xml = package.read(&part)?;
        if let Some(xml) = cells::fill_placeholders(&xml, &name)? {
            placeholders.push((part, xml));
        }
    }
    // Comments do not take part in calculation, and the engine cannot load those stored
    // under an absolute target (`/xl/comments/comment1.xml`, as openpyxl writes them):
    // its copy of the workbook goes without them.
    for part in package.worksheet_rels() {
        let rels = package.read(&part)?;
        if let Some(rels) = without_comments(&rels) {
            placeholders.push((part, rels));
        }
    }
    if placeholders.is_empty() {
        return engine::evaluate(xlsx.to_vec());
    }
    engine::evaluate(package.write_with(&placeholders)?)
}

/// A relationships part without its comments relationships; `None` when it has none.
fn without_comments(rels: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(rels).ok()?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut dropped = false;
    while let Some(start) = rest.find("<Relationship ") {
        let end = start + rest[start..].find("/>")? + 2;
        let element = &rest[start..end];
        out.push_str(&rest[..start]);
        if element.contains("/relationships/comments\"") {
            dropped = true;
        } else {
            out.push_str(element);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    dropped.then(|| out.into_bytes())
}

/// The workbook with the cached value of every formula cell set from `values`
/// (`only_missing`: only where no cached value is stored). Parts other than the
/// worksheets that change are copied through byte for byte.
pub(crate) fn fill_cached(
    xlsx: &[u8],
    values: &Evaluated,
    only_missing: bool,
) -> Result<Vec<u8>, RecalcError> {
    package::check_limits(xlsx)?;
    let mut package = package::Package::open(xlsx)?;
    let mut patched = Vec::new();
    for (name, part) in package.worksheets()? {
        let Some(cells) = values.sheet(&name) else {
            continue;
        };
        let xml = package.read(&part)?;
        if let Some(xml) = cells::fill(&xml, &name, cells, only_missing)? {
            patched.push((part, xml));
        }
    }
    if patched.is_empty() {
        return Ok(xlsx.to_vec());
    }
    package.write_with(&patched)
}

/// How many formula cells of the workbook store no cached value (a quick streaming scan;
/// no evaluation). Zero for a workbook Excel saved.
pub(crate) fn missing_cached(xlsx: &[u8]) -> Result<usize, RecalcError> {
    package::check_limits(xlsx)?;
    let mut package = package::Package::open(xlsx)?;
    let mut missing = 0;
    for (name, part) in package.worksheets()? {
        let xml = package.read(&part)?;
        missing += cells::count_missing(&xml, &name)?;
    }
    Ok(missing)
}

/// Every formula error in the evaluated workbook: `Sheet!A1`, `#DIV/0!`.
pub(crate) fn errors(values: &Evaluated) -> Vec<(String, String)> {
    values
        .sheets
        .iter()
        .flat_map(|sheet| {
            sheet
                .cells
                .iter()
                .filter_map(|(&(row, col), value)| match value {
                    Computed::Error(error) => {
                        Some((cell_name(&sheet.name, row, col), error.as_str().to_owned()))
                    }
                    _ => None,
                })
        })
        .collect()
}

/// `Sheet!B3`, the sheet quoted as Excel quotes it (`'My Sheet'!B3`).
pub(crate) fn cell_name(sheet: &str, row: u32, col: u32) -> String {
    let plain = !sheet.is_empty()
        && sheet
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !sheet.starts_with(|c: char| c.is_ascii_digit());
    let sheet = if plain {
        sheet.to_owned()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    };
    format!("{sheet}!{}{row}", super::new_sheet::column_letters(col))
}
