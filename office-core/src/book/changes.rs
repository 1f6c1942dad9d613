//! What a write-back did and kept, as summary.json's `changes`, `kept` and `lost` say it.

#![warn(missing_docs, unreachable_pub)]

use serde::Serialize;
use std::fmt;

/// One change the write-back made to the workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub(crate) enum Change {
    /// A table's data rows put in a new order (`range`: the rows, e.g. `A2:H101`).
    RowsReordered {
        /// The sheet.
        sheet: String,
        /// The reordered rows, as an A1 range.
        range: String,
    },
    /// Rows removed from a table; the rows below moved up.
    RowsRemoved {
        /// The sheet.
        sheet: String,
        /// How many rows.
        count: u32,
        /// The table's data rows before the removal, as an A1 range.
        range: String,
    },
    /// A column appended to a table.
    ColumnAdded {
        /// The sheet.
        sheet: String,
        /// The column's letter (`I`).
        column: String,
        /// Its header text.
        header: String,
        /// The first data row's formula (`=F2*G2`); `None` when it holds values only.
        formula: Option<String>,
    },
    /// A single cell set.
    CellSet {
        /// The sheet.
        sheet: String,
        /// The cell (`B3`).
        cell: String,
        /// Its formula, if any.
        formula: Option<String>,
    },
    /// A sheet added to the workbook.
    SheetAdded {
        /// The new sheet's name.
        sheet: String,
        /// Data rows (the header not counted).
        rows: u32,
        /// Columns.
        columns: u32,
    },
    /// A formula outside the edited rows whose references were adjusted to follow them.
    FormulaAdjusted {
        /// The formula's sheet.
        sheet: String,
        /// The formula's cell, or a defined name.
        cell: String,
        /// The formula before.
        from: String,
        /// The formula after.
        to: String,
    },
    /// A range-bound feature resized or moved with the edited rows: a table, the
    /// autofilter, a conditional format, a data validation, merged cells, a defined name.
    RangeResized {
        /// The sheet.
        sheet: String,
        /// What it is, in words (`table Sales`, `autofilter`, `conditional format`).
        what: String,
        /// Its range before.
        from: String,
        /// Its range after.
        to: String,
    },
}

impl fmt::Display for Change {
    /// One line per change, as `office run` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::RowsReordered { sheet, range } => write!(f, "{sheet}: rows {range} reordered"),
            Change::RowsRemoved {
                sheet,
                count,
                range,
            } => write!(f, "{sheet}: {count} rows removed from {range}"),
            Change::ColumnAdded {
                sheet,
                column,
                header,
                formula,
            } => match formula {
                Some(formula) => write!(f, "{sheet}: column {column} '{header}' added ({formula})"),
                None => write!(f, "{sheet}: column {column} '{header}' added (values)"),
            },
            Change::CellSet {
                sheet,
                cell,
                formula,
            } => match formula {
                Some(formula) => write!(f, "{sheet}!{cell} set to {formula}"),
                None => write!(f, "{sheet}!{cell} set"),
            },
            Change::SheetAdded {
                sheet,
                rows,
                columns,
            } => write!(f, "sheet '{sheet}' added ({rows} rows x {columns} columns)"),
            Change::FormulaAdjusted {
                sheet,
                cell,
                from,
                to,
            } => write!(f, "{sheet}!{cell}: {from} now reads {to}"),
            Change::RangeResized {
                sheet,
                what,
                from,
                to,
            } => write!(f, "{sheet}: {what} {from} -> {to}"),
        }
    }
}

/// The write-back's account: what it changed, what it carried over untouched, and what it
/// could not keep (never silently lost).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Fidelity {
    /// Every change, in the order made.
    pub(crate) changes: Vec<Change>,
    /// What came back unchanged, in words (`sheet Dashboard`, `chart xl/charts/chart1.xml`,
    /// `macros (xl/vbaProject.bin)`).
    pub(crate) kept: Vec<String>,
    /// What could not be kept, one sentence each.
    pub(crate) lost: Vec<String>,
}
