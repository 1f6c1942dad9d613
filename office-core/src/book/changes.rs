//! What a write-back did and kept, as summary.json's `changes`, `kept` and `lost` say it.
//! Items of one kind on one sheet are grouped (`grouped`), so the log stays readable
//! when a sort moves hundreds of merged ranges.

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
    /// A table's column renamed with its header cell, and every structured reference to
    /// it (`Sales[Amount]`) with it, as Excel does when a header is typed over.
    TableColumnRenamed {
        /// The table's sheet.
        sheet: String,
        /// The table's name.
        table: String,
        /// The column's name before.
        from: String,
        /// Its name after.
        to: String,
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
    /// Many range-bound features of one kind on one sheet resized or moved (a sort of a
    /// sheet with 409 merged ranges moves 409 of them): one entry, with how many and the
    /// first few.
    RangesResized {
        /// The sheet.
        sheet: String,
        /// What they are, in words (`merged cells`).
        what: String,
        /// How many.
        count: usize,
        /// The first `MAX_LISTED`, each `from -> to`.
        ranges: Vec<String>,
    },
    /// A number format set on a range, each cell keeping the rest of its style.
    FormatSet {
        /// The sheet.
        sheet: String,
        /// The cells, as an A1 range.
        range: String,
        /// The number format code (`$#,##0.00`).
        format: String,
    },
    /// A conditional format added.
    ConditionalFormatAdded {
        /// The sheet.
        sheet: String,
        /// Where it shows, as an A1 range.
        range: String,
        /// Its rule as Excel writes it (`$F2>1000`, `cell > 100`).
        rule: String,
    },
    /// Rows and columns frozen at the top left.
    PanesFrozen {
        /// The sheet.
        sheet: String,
        /// The first cell that scrolls (`A2`: the header row frozen).
        cell: String,
    },
    /// An autofilter set on a range.
    AutoFilterSet {
        /// The sheet.
        sheet: String,
        /// Its range, the header row first.
        range: String,
    },
    /// A native chart added over the sheet's cells.
    ChartAdded {
        /// The sheet it is drawn on.
        sheet: String,
        /// `bar`, `column`, `line`, `scatter` or `pie`.
        kind: String,
        /// Its title.
        title: String,
        /// Its ranges: the categories, then each series' values.
        ranges: Vec<String>,
    },
    /// Many formulas on one sheet adjusted to follow the edited rows.
    FormulasAdjusted {
        /// The formulas' sheet.
        sheet: String,
        /// How many.
        count: usize,
        /// The first `MAX_LISTED`, each `cell: from -> to`.
        formulas: Vec<String>,
    },
}

/// Items a grouped change lists at most.
pub(crate) const MAX_LISTED: usize = 10;

/// The changes with every run of one kind on one sheet (ranges of the same `what`,
/// formulas) of more than one item made into one grouped entry, where the first was.
pub(crate) fn grouped(changes: Vec<Change>) -> Vec<Change> {
    use std::collections::HashMap;
    let key = |c: &Change| match c {
        Change::RangeResized { sheet, what, .. } => Some((sheet.clone(), Some(what.clone()))),
        Change::FormulaAdjusted { sheet, .. } => Some((sheet.clone(), None)),
        _ => None,
    };
    let mut counts: HashMap<(String, Option<String>), usize> = HashMap::new();
    for change in &changes {
        if let Some(k) = key(change) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    let mut at: HashMap<(String, Option<String>), usize> = HashMap::new();
    for change in changes {
        let Some(k) = key(&change).filter(|k| counts[k] > 1) else {
            out.push(change);
            continue;
        };
        let count = counts[&k];
        let index = *at.entry(k).or_insert_with(|| {
            out.push(match &change {
                Change::RangeResized { sheet, what, .. } => Change::RangesResized {
                    sheet: sheet.clone(),
                    what: what.clone(),
                    count,
                    ranges: Vec::new(),
                },
                _ => Change::FormulasAdjusted {
                    sheet: change_sheet(&change).to_owned(),
                    count,
                    formulas: Vec::new(),
                },
            });
            out.len() - 1
        });
        match (&mut out[index], change) {
            (Change::RangesResized { ranges, .. }, Change::RangeResized { from, to, .. })
                if ranges.len() < MAX_LISTED =>
            {
                ranges.push(format!("{from} -> {to}"))
            }
            (
                Change::FormulasAdjusted { formulas, .. },
                Change::FormulaAdjusted { cell, from, to, .. },
            ) if formulas.len() < MAX_LISTED => formulas.push(format!("{cell}: {from} -> {to}")),
            _ => {}
        }
    }
    out
}

fn change_sheet(change: &Change) -> &str {
    match change {
        Change::RowsReordered { sheet, .. }
        | Change::RowsRemoved { sheet, .. }
        | Change::ColumnAdded { sheet, .. }
        | Change::CellSet { sheet, .. }
        | Change::SheetAdded { sheet, .. }
        | Change::TableColumnRenamed { sheet, .. }
        | Change::FormulaAdjusted { sheet, .. }
        | Change::RangeResized { sheet, .. }
        | Change::RangesResized { sheet, .. }
        | Change::FormatSet { sheet, .. }
        | Change::ConditionalFormatAdded { sheet, .. }
        | Change::PanesFrozen { sheet, .. }
        | Change::AutoFilterSet { sheet, .. }
        | Change::ChartAdded { sheet, .. }
        | Change::FormulasAdjusted { sheet, .. } => sheet,
    }
}

/// `a, b, c (and 7 more)`.
fn listed(items: &[String], count: usize) -> String {
    let more = count.saturating_sub(items.len());
    match more {
        0 => items.join(", "),
        _ => format!("{} (and {more} more)", items.join(", ")),
    }
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
            Change::TableColumnRenamed {
                sheet,
                table,
                from,
                to,
            } => write!(f, "{sheet}: table {table}'s column '{from}' renamed '{to}'"),
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
            Change::RangesResized {
                sheet,
                what,
                count,
                ranges,
            } => write!(f, "{sheet}: {count} x {what}: {}", listed(ranges, *count)),
            Change::FormatSet {
                sheet,
                range,
                format,
            } => write!(f, "{sheet}: {range} formatted as {format}"),
            Change::ConditionalFormatAdded { sheet, range, rule } => {
                write!(f, "{sheet}: {range} highlighted where {rule}")
            }
            Change::PanesFrozen { sheet, cell } => {
                write!(f, "{sheet}: panes frozen above and left of {cell}")
            }
            Change::AutoFilterSet { sheet, range } => write!(f, "{sheet}: filter on {range}"),
            Change::ChartAdded {
                sheet,
                kind,
                title,
                ranges,
            } => write!(
                f,
                "{sheet}: {kind} chart '{title}' added ({})",
                ranges.join(", ")
            ),
            Change::FormulasAdjusted {
                sheet,
                count,
                formulas,
            } => write!(
                f,
                "{sheet}: {count} formulas adjusted: {}",
                listed(formulas, *count)
            ),
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
