//! One `<row>` of `<sheetData>` read into its cells and formulas (spans into the part, so
//! what does not change is copied as it was), and the sheet's shared formulas.

use super::EditError;
use super::xml::{Events, attr, local};
use crate::book::formula::parse_cell;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::ops::Range;

/// The last row a sheet has.
const MAX_ROW: u32 = 1_048_576;
/// The last column a sheet has.
const MAX_COL: u32 = 16_384;

/// What kind of formula a cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FormulaKind {
    Normal,
    /// `t="shared"`: the master has `ref` and the text; the others only `si`.
    Shared {
        si: u32,
        master: bool,
    },
    /// `t="array"` over `ref`.
    Array {
        reference: String,
    },
    /// `t="dataTable"` (a what-if table): kept as it is unless its rows move.
    DataTable,
}

/// A cell's `<f>`.
pub(super) struct Formula<'a> {
    pub(super) tag: BytesStart<'a>,
    pub(super) empty: bool,
    /// The whole `<f>` element.
    pub(super) span: Range<usize>,
    /// End of its start tag.
    pub(super) tag_end: usize,
    /// The formula, unescaped; `None` when it holds markup this writer does not read.
    pub(super) text: Option<String>,
    pub(super) kind: FormulaKind,
}

/// A `<c>`.
pub(super) struct Cell<'a> {
    pub(super) col: u32,
    pub(super) tag: BytesStart<'a>,
    pub(super) empty: bool,
    pub(super) has_r: bool,
    pub(super) span: Range<usize>,
    /// End of the start tag.
    pub(super) tag_end: usize,
    pub(super) style: Option<u32>,
    pub(super) formula: Option<Formula<'a>>,
    /// A `<v>` or `<is>` is present.
    pub(super) has_value: bool,
    /// It holds a number (no `t`, or `t="n"`, with a value).
    pub(super) is_number: bool,
}

/// A `<row>`.
pub(super) struct Row<'a> {
    pub(super) r: u32,
    pub(super) tag: BytesStart<'a>,
    pub(super) empty: bool,
    pub(super) span: Range<usize>,
    /// End of the start tag.
    pub(super) tag_end: usize,
    /// Start of the end tag (`span.end` for an empty row).
    pub(super) end_start: usize,
    pub(super) cells: Vec<Cell<'a>>,
}

fn number(e: &BytesStart<'_>, key: &str) -> Option<u32> {
    super::xml::attr_number(e, key)
}

/// Reads the row whose start tag was just read (`span`), up to its end.
pub(super) fn row<'a>(
    text: &'a str,
    ev: &mut Events<'a>,
    tag: BytesStart<'a>,
    span: Range<usize>,
    empty: bool,
    previous: u32,
) -> Result<Row<'a>, EditError> {
    let r = number(&tag, "r").unwrap_or(previous + 1);
    if r == 0 || r > MAX_ROW {
        return Err(EditError::new(format!(
            "The worksheet has a row numbered {r}, outside 1..{MAX_ROW}."
        )));
    }
    let mut row = Row {
        r,
        tag,
        empty,
        tag_end: span.end,
        end_start: span.end,
        span,
        cells: Vec::new(),
    };
    if empty {
        return Ok(row);
    }
    let mut col = 0;
    while let Some(s) = ev.next()? {
        let (e, empty) = match s.event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                row.end_start = s.span.start;
                row.span.end = s.span.end;
                return Ok(row);
            }
            _ => continue,
        };
        match local(&e) {
            "c" => {
                let cell = cell(text, ev, e, s.span, empty, col, r)?;
                col = cell.col;
                row.cells.push(cell);
            }
            _ if !empty => {
                ev.skip_element(&e)?;
            }
            _ => {}
        }
    }
    Err(EditError::new(
        "The worksheet's XML ends inside a row.".into(),
    ))
}
fn cell<'a>(
    text: &'a str,
    ev: &mut Events<'a>,
    tag: BytesStart<'a>,
    span: Range<usize>,
    empty: bool,
    previous: u32,
    row: u32,
) -> Result<Cell<'a>, EditError> {
    let reference = attr(&tag, "r");
    let col = match reference.as_deref().and_then(parse_cell) {
        Some((col, _)) => col,
        None => previous + 1,
    };
    if col == 0 || col > MAX_COL {
        return Err(EditError::new(format!(
            "The worksheet has a cell in row {row} beyond its last column."
        )));
    }
    let kind = attr(&tag, "t");
    let mut cell = Cell {
        col,
        style: number(&tag, "s"),
        has_r: reference.is_some(),
        empty,
        tag_end: span.end,
        span,
        tag,
        formula: None,
        has_value: false,
        is_number: false,
    };
    if empty {
        return Ok(cell);
    }
    while let Some(s) = ev.next()? {
        let (e, empty) = match s.event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                cell.span.end = s.span.end;
                cell.is_number = cell.has_value && matches!(kind.as_deref(), None | Some("n"));
                return Ok(cell);
            }
            _ => continue,
        };
        match local(&e) {
            "f" => {
                let (end, inner) = if empty {
                    (s.span.end, None)
                } else {
                    let end = ev.skip_element(&e)?;
                    let close = text[..end].rfind("</").unwrap_or(end);
                    (end, Some(&text[s.span.end..close]))
                };
                let formula_text = match inner {
                    None => Some(String::new()),
                    Some(inner) if inner.contains('<') => None,
                    Some(inner) => Some(
                        quick_xml::escape::unescape(inner)
                            .map(|t| t.into_owned())
                            .unwrap_or_else(|_| inner.to_owned()),
                    ),
                };
                let kind = match attr(&e, "t").as_deref() {
                    Some("shared") => match number(&e, "si") {
                        Some(si) => FormulaKind::Shared {
                            si,
                            master: attr(&e, "ref").is_some()
                                && formula_text.as_deref().is_some_and(|t| !t.is_empty()),
                        },
                        None => FormulaKind::Normal,
                    },
                    Some("array") => FormulaKind::Array {
                        reference: attr(&e, "ref").unwrap_or_default(),
                    },
                    Some("dataTable") => FormulaKind::DataTable,
                    _ => FormulaKind::Normal,
                };
                cell.formula = Some(Formula {
                    tag: e,
                    empty,
                    tag_end: s.span.end,
                    span: s.span.start..end,
                    text: formula_text,
                    kind,
                });
            }
            name if !empty => {
                cell.has_value |= name == "v" || name == "is";
                ev.skip_element(&e)?;
            }
            _ => {}
        }
    }
    Err(EditError::new(
        "The worksheet's XML ends inside a cell.".into(),
    ))
}

/// A shared formula's master: where it is and what it reads there.
#[derive(Debug, Clone)]
pub(super) struct Master {
    pub(super) row: u32,
    pub(super) col: u32,
    pub(super) text: String,
}

/// The sheet's shared formulas: masters by `si`, and every other member's place.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) masters: HashMap<u32, Master>,
    pub(super) members: Vec<(u32, u32, u32)>,
}

impl Shared {
    pub(super) fn collect(&mut self, row: &Row<'_>) {
        for cell in &row.cells {
            let Some(f) = &cell.formula else { continue };
            let FormulaKind::Shared { si, master } = f.kind else {
                continue;
            };
            match (master, &f.text) {
                (true, Some(text)) => {
                    self.masters.entry(si).or_insert(Master {
                        row: row.r,
                        col: cell.col,
                        text: text.clone(),
                    });
                }
                _ => self.members.push((si, row.r, cell.col)),
            }
        }
    }

    /// The formula a member of group `si` at (`row`, `col`) reads.
    pub(super) fn text_at(&self, si: u32, row: u32, col: u32) -> Option<String> {
        let m = self.masters.get(&si)?;
        Some(crate::book::formula::translate(
            &m.text,
            i64::from(row) - i64::from(m.row),
            i64::from(col) - i64::from(m.col),
        ))
    }
}
