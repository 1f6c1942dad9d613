//! One worksheet's XML rewritten for a `SheetEdit` (rows reordered or removed, columns
//! added, cells set), and another sheet's formulas adjusted to follow the edited rows.
//!
//! The part is streamed once (quick-xml); what the edit does not touch is copied as the
//! exact bytes it was (an identity edit gives the input back byte for byte). Named here
//! and changed: `<sheetData>`, `<dimension>`, `<cols>` (added columns), `<autoFilter>`,
//! `<mergeCells>`, `<conditionalFormatting>`, `<dataValidations>`, `<hyperlinks>`,
//! `<protectedRanges>`, `<ignoredErrors>`, `<rowBreaks>`, and the ranges in `<extLst>`
//! (x14 conditional formats and validations, sparklines).
//! Everything else (views, panes, page setup, drawings, unknown elements) passes
//! through, in order.
//!
//! A table row is a whole sheet row: cells right of the table on its rows move with it,
//! as when Excel deletes or sorts whole rows.

#![warn(missing_docs, unreachable_pub)]

mod ext;
mod features;
mod parse;
mod plan;
mod rows;
mod xml;

use super::EditError;
use super::changes::Change;
use super::edits::SheetEdit;
use super::formula::{RowMap, range_text};
use quick_xml::events::Event;
use std::collections::HashMap;
use xml::{Events, local};

/// Where new cells get their formats: the workbook's `styles.xml` (13D implements it).
pub(crate) trait Styles {
    /// The index of a cell format like `base` (a cellXfs index) with this number format.
    fn with_number_format(&mut self, base: u32, format: &str) -> u32;
    /// The index of a cell format like `base` with a bold font.
    fn bold(&mut self, base: u32) -> u32;
}

/// A worksheet part as read from the package.
pub(crate) struct SheetXml<'a> {
    /// The sheet's name in the workbook.
    pub(crate) name: &'a str,
    /// The part's bytes (`xl/worksheets/sheetN.xml`).
    pub(crate) xml: &'a [u8],
    /// The workbook counts dates from 1904 (`workbookPr date1904`).
    pub(crate) date1904: bool,
}

/// A worksheet part after the edit.
#[derive(Debug)]
pub(crate) struct Rewritten {
    /// The new part.
    pub(crate) xml: Vec<u8>,
    /// What was changed, in order.
    pub(crate) changes: Vec<Change>,
    /// References that could not follow their data: `Sheet!Cell: reason`.
    pub(crate) broken: Vec<super::Place>,
    /// A cell formula moved to another row or had its references changed: Excel's
    /// calculation chain no longer matches (then it is dropped and Excel asked to
    /// recalculate on opening). False when only values and formats moved.
    pub(crate) formulas_changed: bool,
    /// What could not follow the edit and was left as it was, one sentence each.
    pub(crate) lost: Vec<String>,
}

/// The largest worksheet part rewritten (a million rows of ten cells is about 400 MB).
const MAX_SHEET_BYTES: usize = 1 << 30;

/// The edited sheet, rewritten for its SheetEdit.
pub(crate) fn rewrite_sheet(
    sheet: SheetXml<'_>,
    edit: &SheetEdit,
    map: &RowMap,
    styles: &mut dyn Styles,
) -> Result<Rewritten, EditError> {
    let text = checked(&sheet)?;
    let plan = plan::Plan::new(edit, map, sheet.date1904)?;
    if map.is_identity() && plan.is_empty() {
        return Ok(Rewritten {
            xml: sheet.xml.to_vec(),
            changes: Vec::new(),
            broken: Vec::new(),
            formulas_changed: false,
            lost: Vec::new(),
        });
    }
    let mut walk = Walk {
        text,
        sheet: sheet.name,
        edited: sheet.name,
        map,
        edit: Some((edit, &plan)),
        styles: Some(Memo {
            styles,
            seen: HashMap::new(),
        }),
        changes: Vec::new(),
        broken: Vec::new(),
        extent: Extent::default(),
        rows_changed: false,
        formulas_changed: false,
        lost: Vec::new(),
        prefix: String::new(),
    };
    let xml = walk.run()?;
    let mut changes = walk.edit_changes(map);
    changes.append(&mut walk.changes);
    Ok(Rewritten {
        xml,
        changes,
        broken: walk.broken,
        formulas_changed: walk.formulas_changed,
        lost: walk.lost,
    })
}

/// Another sheet whose formulas reference the edited one; `None` when nothing in it changed
/// (then its part is copied through untouched).
pub(crate) fn adjust_sheet(
    sheet: SheetXml<'_>,
    edited_sheet: &str,
    map: &RowMap,
) -> Result<Option<Rewritten>, EditError> {
    checked(&sheet)?;
    if map.is_identity() || !may_name(sheet.xml, edited_sheet) {
        return Ok(None);
    }
    adjust_walk(sheet, edited_sheet, map)
}

/// Whether `xml` may name the sheet: false only when a plain name (letters, digits,
/// spaces, `_`, `.`, `-`) appears nowhere in it, in any case.
fn may_name(xml: &[u8], sheet: &str) -> bool {
    let plain = sheet
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'.' | b'-'));
    if !plain || sheet.is_empty() {
        return true;
    }
    let needle = sheet.as_bytes();
    xml.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// `adjust_sheet` without its shortcuts: every formula of the sheet read and adjusted.
fn adjust_walk(
    sheet: SheetXml<'_>,
    edited_sheet: &str,
    map: &RowMap,
) -> Result<Option<Rewritten>, EditError> {
    let text = checked(&sheet)?;
    let mut walk = Walk {
        text,
        sheet: sheet.name,
        edited: edited_sheet,
        map,
        edit: None,
        styles: None,
        changes: Vec::new(),
        broken: Vec::new(),
        extent: Extent::default(),
        rows_changed: false,
        formulas_changed: false,
        lost: Vec::new(),
        prefix: String::new(),
    };
    let xml = walk.run()?;
    if xml == sheet.xml {
        return Ok(None);
    }
    Ok(Some(Rewritten {
        xml,
        changes: walk.changes,
        broken: walk.broken,
        formulas_changed: walk.formulas_changed,
        lost: walk.lost,
    }))
}

fn checked<'a>(sheet: &SheetXml<'a>) -> Result<&'a str, EditError> {
    checked_within(sheet, MAX_SHEET_BYTES)
}

fn checked_within<'a>(sheet: &SheetXml<'a>, limit: usize) -> Result<&'a str, EditError> {
    if sheet.xml.len() > limit {
        return Err(EditError::new(format!(
            "The worksheet '{}' is {} MB of XML, more than the {} MB this writer edits.",
            sheet.name,
            sheet.xml.len() >> 20,
            limit >> 20
        )));
    }
    std::str::from_utf8(sheet.xml).map_err(|e| {
        EditError::new(format!(
            "The worksheet '{}' is not UTF-8 XML (byte {}).",
            sheet.name,
            e.valid_up_to()
        ))
    })
}

/// `Styles` with each answer remembered (a column of 100,000 cells asks once).
pub(super) struct Memo<'s> {
    styles: &'s mut dyn Styles,
    seen: HashMap<(u32, String), u32>,
}

impl Memo<'_> {
    fn with_number_format(&mut self, base: u32, format: &str) -> u32 {
        if let Some(&s) = self.seen.get(&(base, format.to_owned())) {
            return s;
        }
        let s = self.styles.with_number_format(base, format);
        self.seen.insert((base, format.to_owned()), s);
        s
    }
}

/// The cells written, for `<dimension>`.
#[derive(Debug, Clone, Copy)]
struct Extent {
    rows: (u32, u32),
    cols: (u32, u32),
}

impl Default for Extent {
    fn default() -> Self {
        Extent {
            rows: (u32::MAX, 0),
            cols: (u32::MAX, 0),
        }
    }
}

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        self.rows = (self.rows.0.min(row), self.rows.1.max(row));
        self.cols = (self.cols.0.min(col), self.cols.1.max(col));
    }

    fn text(&self) -> String {
        if self.rows.1 == 0 {
            "A1".to_owned()
        } else {
            range_text(self.cols.0, self.rows.0, self.cols.1, self.rows.1)
        }
    }
}

/// One pass over a worksheet part.
struct Walk<'a, 's> {
    text: &'a str,
    /// This sheet.
    sheet: &'a str,
    /// The sheet whose rows moved (this one for `rewrite_sheet`).
    edited: &'a str,
    map: &'a RowMap,
    /// The edit, when this is the edited sheet.
    edit: Option<(&'a SheetEdit, &'a plan::Plan<'a>)>,
    styles: Option<Memo<'s>>,
    changes: Vec<Change>,
    broken: Vec<super::Place>,
    extent: Extent,
    /// A row of `<sheetData>` was written differently (then `<dimension>` is recomputed).
    rows_changed: bool,
    /// See `Rewritten::formulas_changed`.
    formulas_changed: bool,
    /// See `Rewritten::lost`.
    lost: Vec<String>,
    /// The prefix of SpreadsheetML elements in this part (usually none).
    prefix: String,
}

impl Walk<'_, '_> {
    /// Whether this sheet's own rows and columns change.
    fn edits_here(&self) -> bool {
        self.edit
            .as_ref()
            .is_some_and(|(_, plan)| !self.map.is_identity() || !plan.is_empty())
    }

    fn run(&mut self) -> Result<Vec<u8>, EditError> {
        let text = self.text;
        let mut out: Vec<u8> = Vec::with_capacity(text.len() + text.len() / 8);
        let mut ev = Events::new(text, 0);
        let mut depth = 0usize;
        // The `<dimension>` tag and where it goes in `out`, written last.
        let mut dimension: Option<(usize, std::ops::Range<usize>)> = None;
        while let Some(s) = ev.next()? {
            let raw = &text[s.span.clone()];
            match &s.event {
                Event::Start(e) | Event::Empty(e) if depth == 1 => {
                    let empty = matches!(s.event, Event::Empty(_));
                    let name = local(e);
                    let end = match (name, empty) {
                        (_, true) => s.span.end,
                        ("sheetData", false) => {
                            rows::sheet_data(self, &mut ev, s.span.clone(), &mut out)?;
                            continue;
                        }
                        (_, false) => ev.skip_element(e)?,
                    };
                    let whole = s.span.start..end;
                    match name {
                        "dimension" => {
                            dimension = Some((out.len(), whole));
                            continue;
                        }
                        "sheetData" => rows::empty_sheet_data(self, e, &mut out)?,
                        _ => features::element(self, name, whole, &mut out)?,
                    }
                }
                Event::Start(_) => {
                    depth += 1;
                    out.extend_from_slice(raw.as_bytes());
                }
                Event::End(_) => {
                    depth = depth.saturating_sub(1);
                    out.extend_from_slice(raw.as_bytes());
                }
                _ => out.extend_from_slice(raw.as_bytes()),
            }
        }
        if let Some((at, span)) = dimension {
            let tag = self.dimension(&text[span.clone()], span.start)?;
            out.splice(at..at, tag.into_bytes());
        }
        Ok(out)
    }

    /// The `<dimension>` tag: as it was, or the extent of the cells written.
    fn dimension(&mut self, raw: &str, base: usize) -> Result<String, EditError> {
        if !self.edits_here() || !self.rows_changed {
            return Ok(raw.to_owned());
        }
        let mut ev = Events::new(raw, base);
        let Some(s) = ev.next()? else {
            return Ok(raw.to_owned());
        };
        let (Event::Empty(e) | Event::Start(e)) = &s.event else {
            return Ok(raw.to_owned());
        };
        let old = xml::attr(e, "ref").unwrap_or_default();
        let new = self.extent.text();
        if old == new {
            return Ok(raw.to_owned());
        }
        self.changes.push(Change::RangeResized {
            sheet: self.sheet.to_owned(),
            what: "used range".into(),
            from: old,
            to: new.clone(),
        });
        let empty = matches!(s.event, Event::Empty(_));
        let mut tag = xml::rewrite_tag(e, empty, &[("ref", Some(&new))]);
        tag.push_str(&raw[s.span.end - base..]);
        Ok(tag)
    }

    /// The changes the edit itself made: rows reordered or removed, columns added, cells set.
    fn edit_changes(&self, map: &RowMap) -> Vec<Change> {
        let Some((edit, _)) = &self.edit else {
            return Vec::new();
        };
        let t = &edit.table;
        let sheet = self.sheet.to_owned();
        let range = range_text(
            t.first_col,
            t.first_row,
            t.last_col,
            t.last_row.max(t.first_row),
        );
        let mut changes = Vec::new();
        if map.is_reordered() {
            changes.push(Change::RowsReordered {
                sheet: sheet.clone(),
                range: range.clone(),
            });
        }
        if map.removed() > 0 {
            changes.push(Change::RowsRemoved {
                sheet: sheet.clone(),
                count: map.removed(),
                range,
            });
        }
        for (i, column) in edit.add_columns.iter().enumerate() {
            changes.push(Change::ColumnAdded {
                sheet: sheet.clone(),
                column: super::formula::col_letters(t.last_col + 1 + i as u32),
                header: column.header.clone(),
                formula: column.formula.as_ref().map(|f| {
                    let f = plan::template(f, t.first_row);
                    format!("={f}")
                }),
            });
        }
        for set in &edit.set_cells {
            changes.push(Change::CellSet {
                sheet: sheet.clone(),
                cell: set.cell.to_ascii_uppercase(),
                formula: set.formula.clone(),
            });
        }
        changes
    }
}

#[cfg(test)]
mod tests;
