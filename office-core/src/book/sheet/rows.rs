//! `<sheetData>` rewritten: rows in their new order, `r` renumbered, formulas moved or
//! adjusted (shared formulas expanded where their rows move), cells added and set.

use super::parse::{self, Cell, FormulaKind, Row, Shared};
use super::plan::{Extra, cell_xml, date_format, is_date, template};
use super::xml::{Events, escape, local, rewrite_tag};
use super::{EditError, Walk};
use crate::book::Place;
use crate::book::changes::Change;
use crate::book::edits::CellValue;
use crate::book::formula::{Adjusted, adjust_formula, col_letters, translate};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashSet;
use std::ops::Range;

/// A row of the output: from the input (its index) or made for added cells.
#[derive(Clone, Copy)]
enum Source {
    Input(usize),
    New,
}

/// `<sheetData>` whose start tag was just read; written to `out` up to its end tag.
pub(super) fn sheet_data<'a>(
    walk: &mut Walk<'a, '_>,
    ev: &mut Events<'a>,
    span: Range<usize>,
    out: &mut Vec<u8>,
) -> Result<(), EditError> {
    let text = walk.text;
    let mut rows: Vec<(u32, Range<usize>)> = Vec::new();
    let mut gaps: Vec<Range<usize>> = Vec::new();
    let mut shared = Shared::default();
    let mut last_end = span.end;
    let mut previous = 0;
    let end_tag = loop {
        let s = ev
            .next()?
            .ok_or_else(|| EditError::new("The worksheet's XML ends inside <sheetData>.".into()))?;
        match s.event {
            Event::Start(e) | Event::Empty(e) if local(&e) == "row" => {
                let empty = text[s.span.clone()].ends_with("/>");
                gaps.push(last_end..s.span.start);
                let row = parse::row(text, ev, e, s.span, empty, previous)?;
                previous = row.r;
                shared.collect(&row);
                last_end = row.span.end;
                rows.push((row.r, row.span));
            }
            Event::Start(e) => {
                ev.skip_element(&e)?;
            }
            Event::End(_) => break s.span,
            _ => {}
        }
    };
    let expanded = expanded_groups(walk, &shared)?;
    walk.prefix = prefix_of(&text[span.clone()]);
    out.extend_from_slice(text[span].as_bytes());
    let order = output_order(walk, &rows)?;
    for (k, (new_r, source)) in order.iter().enumerate() {
        if let Some(gap) = gaps.get(k) {
            out.extend_from_slice(text[gap.clone()].as_bytes());
        }
        match *source {
            Source::Input(i) => {
                let span = rows[i].1.clone();
                let mut rev = Events::new(&text[span.clone()], span.start);
                let Some(s) = rev.next()? else { continue };
                let (Event::Start(e) | Event::Empty(e)) = s.event else {
                    continue;
                };
                let empty = text[s.span.clone()].ends_with("/>");
                let row = parse::row(text, &mut rev, e, s.span, empty, rows[i].0 - 1)?;
                write_row(walk, &row, *new_r, &shared, &expanded, out)?;
            }
            Source::New => write_new_row(walk, *new_r, out)?,
        }
    }
    out.extend_from_slice(&text.as_bytes()[last_end..end_tag.start]);
    out.extend_from_slice(text[end_tag].as_bytes());
    Ok(())
}

/// `<sheetData/>`: as it was, or with the rows the edit adds.
pub(super) fn empty_sheet_data(
    walk: &mut Walk<'_, '_>,
    tag: &BytesStart<'_>,
    out: &mut Vec<u8>,
) -> Result<(), EditError> {
    walk.prefix = prefix_of(tag.name().as_ref());
    let needed = walk.edit.map(|(_, p)| p.rows()).unwrap_or_default();
    if needed.is_empty() {
        out.extend_from_slice(format!("<{}/>", &**tag).as_bytes());
        return Ok(());
    }
    out.extend_from_slice(format!("<{}>", &**tag).as_bytes());
    for row in needed {
        write_new_row(walk, row, out)?;
    }
    out.extend_from_slice(format!("</{}>", tag.name().as_ref()).as_bytes());
    Ok(())
}

/// The namespace prefix the part writes its cells with (`x:` for `<x:sheetData>`).
fn prefix_of(tag: &str) -> String {
    let name = tag.trim_start_matches('<');
    let name = name.split([' ', '>', '/']).next().unwrap_or_default();
    match name.split_once(':') {
        Some((prefix, _)) => format!("{prefix}:"),
        None => String::new(),
    }
}

/// Where each input row goes (removed rows left out) and the rows the edit adds, in
/// output order.
fn output_order(
    walk: &Walk<'_, '_>,
    rows: &[(u32, Range<usize>)],
) -> Result<Vec<(u32, Source)>, EditError> {
    let here = walk.edits_here();
    let mut order: Vec<(u32, Source)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (r, _))| {
            let new = if here { walk.map.new_row(*r)? } else { *r };
            Some((new, Source::Input(i)))
        })
        .collect();
    if !here {
        return Ok(order);
    }
    order.sort_by_key(|(r, _)| *r);
    if let Some(w) = order.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(EditError::new(format!(
            "The worksheet '{}' has row {} twice.",
            walk.sheet, w[0].0
        )));
    }
    let needed = walk.edit.map(|(_, p)| p.rows()).unwrap_or_default();
    if needed.is_empty() {
        return Ok(order);
    }
    let mut merged = Vec::with_capacity(order.len() + needed.len());
    let mut needed = needed.into_iter().peekable();
    for item in order {
        while let Some(&n) = needed.peek() {
            if n > item.0 {
                break;
            }
            if n < item.0 {
                merged.push((n, Source::New));
            }
            needed.next();
        }
        merged.push(item);
    }
    merged.extend(needed.map(|n| (n, Source::New)));
    Ok(merged)
}

/// Whether input row `r` lands on another row.
fn moves(walk: &Walk<'_, '_>, r: u32) -> bool {
    walk.edits_here() && walk.map.new_row(r) != Some(r)
}

/// The shared formula groups written as one formula per cell: those with a member whose
/// row moves or whose formula changes.
fn expanded_groups(walk: &Walk<'_, '_>, shared: &Shared) -> Result<HashSet<u32>, EditError> {
    let mut expanded = HashSet::new();
    let changes =
        |text: &str| adjust_formula(text, walk.sheet, walk.edited, walk.map) != Adjusted::Same;
    for (&si, m) in &shared.masters {
        if moves(walk, m.row) || changes(&m.text) {
            expanded.insert(si);
        }
    }
    for &(si, row, col) in &shared.members {
        if expanded.contains(&si) {
            continue;
        }
        match shared.text_at(si, row, col) {
            Some(text) if moves(walk, row) || changes(&text) => {
                expanded.insert(si);
            }
            Some(_) => {}
            None if moves(walk, row) => {
                return Err(EditError::new(format!(
                    "The cell {}!{}{row} uses shared formula {si}, which the sheet never defines.",
                    walk.sheet,
                    col_letters(col)
                )));
            }
            None => {}
        }
    }
    Ok(expanded)
}

/// What a new or set cell needs from the cell left of the added columns.
#[derive(Default, Clone, Copy)]
struct Left {
    style: Option<u32>,
    is_number: bool,
}

fn write_row(
    walk: &mut Walk<'_, '_>,
    row: &Row<'_>,
    new_r: u32,
    shared: &Shared,
    expanded: &HashSet<u32>,
    out: &mut Vec<u8>,
) -> Result<(), EditError> {
    let text = walk.text;
    let extras = walk.edit.map(|(_, p)| p.extras(new_r)).unwrap_or_default();
    let last_col = walk
        .edit
        .as_ref()
        .map(|(e, _)| e.table.last_col)
        .unwrap_or(0);
    let mut changed = new_r != row.r || !extras.is_empty();
    if !changed && row.cells.iter().all(|c| c.formula.is_none()) {
        for cell in &row.cells {
            walk.extent.add(new_r, cell.col);
        }
        out.extend_from_slice(&text.as_bytes()[row.span.clone()]);
        return Ok(());
    }
    let mut body = String::new();
    let mut prev = row.tag_end;
    let mut left = Left::default();
    let mut next = 0;
    let mut max_col = 0;
    for cell in &row.cells {
        body.push_str(&text[prev..cell.span.start]);
        prev = cell.span.end;
        while next < extras.len() && extras[next].0 < cell.col {
            max_col = extras[next].0;
            write_extra(walk, &extras[next], new_r, None, left, &mut body)?;
            next += 1;
        }
        walk.extent.add(new_r, cell.col);
        if cell.col == last_col {
            left = Left {
                style: cell.style,
                is_number: cell.is_number,
            };
        }
        if next < extras.len() && extras[next].0 == cell.col {
            write_extra(walk, &extras[next], new_r, Some(cell), left, &mut body)?;
            next += 1;
            continue;
        }
        changed |= write_cell(walk, row.r, new_r, cell, shared, expanded, &mut body)?;
    }
    for extra in &extras[next..] {
        max_col = extra.0;
        write_extra(walk, extra, new_r, None, left, &mut body)?;
    }
    if !changed {
        out.extend_from_slice(text[row.span.clone()].as_bytes());
        return Ok(());
    }
    walk.rows_changed = true;
    let r = new_r.to_string();
    let spans = super::xml::attr(&row.tag, "spans").and_then(|s| {
        let (a, b) = s.split_once(':')?;
        let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (max_col > b).then(|| format!("{a}:{max_col}"))
    });
    let mut set: Vec<(&str, Option<&str>)> = vec![("r", Some(&r))];
    if let Some(spans) = &spans {
        set.push(("spans", Some(spans)));
    }
    if row.empty && !body.is_empty() {
        body.insert_str(0, &rewrite_tag(&row.tag, false, &set));
        body.push_str(&format!("</{}>", row.tag.name().as_ref()));
        out.extend_from_slice(body.as_bytes());
        return Ok(());
    }
    if new_r == row.r && spans.is_none() && super::xml::attr(&row.tag, "r").is_some() {
        out.extend_from_slice(&text.as_bytes()[row.span.start..row.tag_end]);
    } else {
        out.extend_from_slice(rewrite_tag(&row.tag, row.empty, &set).as_bytes());
    }
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(&text.as_bytes()[prev.max(row.tag_end)..row.span.end]);
    Ok(())
}

/// A row only the edit's new cells are on.
fn write_new_row(walk: &mut Walk<'_, '_>, new_r: u32, out: &mut Vec<u8>) -> Result<(), EditError> {
    let extras = walk.edit.map(|(_, p)| p.extras(new_r)).unwrap_or_default();
    let mut body = String::new();
    for extra in &extras {
        write_extra(walk, extra, new_r, None, Left::default(), &mut body)?;
    }
    if !body.is_empty() {
        walk.rows_changed = true;
        let p = &walk.prefix;
        out.extend_from_slice(format!("<{p}row r=\"{new_r}\">{body}</{p}row>").as_bytes());
    }
    Ok(())
}

/// An added or set cell; `existing` is the cell it replaces.
fn write_extra(
    walk: &mut Walk<'_, '_>,
    (col, extra): &(u32, Extra<'_>),
    row: u32,
    existing: Option<&Cell<'_>>,
    left: Left,
    out: &mut String,
) -> Result<(), EditError> {
    let Some((_, plan)) = walk.edit else {
        return Ok(());
    };
    let date1904 = plan.date1904;
    let holds = existing.is_some_and(|c| c.has_value || c.formula.is_some());
    let (style, value, formula) = match extra {
        Extra::Header(_) | Extra::Data(..) if holds => {
            return Err(EditError::new(format!(
                "The new column {} would overwrite {}!{}{row}, which holds data; new columns go into empty columns right of the table.",
                col_letters(*col),
                walk.sheet,
                col_letters(*col)
            )));
        }
        Extra::Header(header) => (left.style, CellValue::Text((*header).to_owned()), None),
        Extra::Data(column, i) => {
            let value = column.values[*i].clone();
            let base = left.style.unwrap_or(0);
            let styles = walk.styles.as_mut();
            let style = match (column.number_format, styles) {
                (Some(format), Some(styles)) => Some(styles.with_number_format(base, format)),
                (None, Some(styles)) if is_date(&value) => {
                    Some(styles.with_number_format(base, date_format(&value)))
                }
                (None, _) if left.is_number => left.style,
                (None, Some(styles)) if left.style.is_some_and(|s| s != 0) => {
                    Some(styles.with_number_format(base, "General"))
                }
                _ => None,
            };
            (style, value, column.formula.map(|f| template(f, row)))
        }
        Extra::Set(set) => {
            let kept = existing.and_then(|c| c.style);
            let style = match walk.styles.as_mut() {
                Some(styles) if kept.is_none() && is_date(&set.value) => {
                    Some(styles.with_number_format(0, date_format(&set.value)))
                }
                _ => kept,
            };
            (style, set.value.clone(), set.formula.clone())
        }
    };
    if let Some(xml) = cell_xml(
        &walk.prefix,
        *col,
        row,
        style,
        &value,
        formula.as_deref(),
        date1904,
    )? {
        walk.extent.add(row, *col);
        out.push_str(&xml);
    }
    Ok(())
}

/// An input cell on its (maybe new) row; whether anything in it changed.
fn write_cell(
    walk: &mut Walk<'_, '_>,
    old_r: u32,
    new_r: u32,
    cell: &Cell<'_>,
    shared: &Shared,
    expanded: &HashSet<u32>,
    out: &mut String,
) -> Result<bool, EditError> {
    let text = walk.text;
    let moved = old_r != new_r;
    let reference = || format!("{}{new_r}", col_letters(cell.col));
    let formula = match &cell.formula {
        Some(f) => {
            walk.formulas_changed |= moved;
            f
        }
        None if !moved || !cell.has_r => {
            out.push_str(&text[cell.span.clone()]);
            return Ok(false);
        }
        None => {
            out.push_str(&rewrite_tag(
                &cell.tag,
                cell.empty,
                &[("r", Some(&reference()))],
            ));
            out.push_str(&text[cell.tag_end..cell.span.end]);
            return Ok(true);
        }
    };
    let here = walk.edits_here();
    // The formula this cell reads where it was, and whether it is written out in full.
    let (source, expand) = match formula.kind {
        FormulaKind::Shared { si, master } if expanded.contains(&si) => {
            let source = if master {
                formula.text.clone()
            } else {
                shared.text_at(si, old_r, cell.col)
            };
            (source, true)
        }
        FormulaKind::Shared { .. } => (None, false),
        _ => (formula.text.clone(), false),
    };
    let mut array_ref = None;
    if let (FormulaKind::Array { .. } | FormulaKind::DataTable, true) = (&formula.kind, here) {
        let reference = match &formula.kind {
            FormulaKind::Array { reference } => reference.clone(),
            _ => super::xml::attr(&formula.tag, "ref").unwrap_or_default(),
        };
        array_ref = super::features::array_ref(walk, &reference, old_r, new_r)?;
    }
    let new_text = match source.as_deref() {
        Some(src) => match adjust_formula(src, walk.sheet, walk.edited, walk.map) {
            Adjusted::Same => expand.then(|| src.to_owned()),
            Adjusted::Changed(t) => {
                walk.formulas_changed = true;
                Some(t)
            }
            Adjusted::Broken { text: t, reason } => {
                walk.formulas_changed = true;
                walk.broken.push(Place::new(
                    format!("{}!{}", walk.sheet, reference()),
                    reason,
                ));
                Some(t)
            }
        },
        None if moved && !matches!(formula.kind, FormulaKind::Shared { .. }) => {
            return Err(EditError::new(format!(
                "The formula in {}!{}{old_r} holds markup this writer cannot move.",
                walk.sheet,
                col_letters(cell.col)
            )));
        }
        None => None,
    };
    if !moved && new_text.is_none() && array_ref.is_none() {
        out.push_str(&text[cell.span.clone()]);
        return Ok(false);
    }
    let reference = reference();
    if let (Some(new), Some(src)) = (&new_text, &source)
        && new != src
        && *new != translate(src, i64::from(new_r) - i64::from(old_r), 0)
    {
        walk.changes.push(Change::FormulaAdjusted {
            sheet: walk.sheet.to_owned(),
            cell: reference.clone(),
            from: format!("={src}"),
            to: format!("={new}"),
        });
    }
    if moved && cell.has_r {
        out.push_str(&rewrite_tag(
            &cell.tag,
            cell.empty,
            &[("r", Some(&reference))],
        ));
    } else {
        out.push_str(&text[cell.span.start..cell.tag_end]);
    }
    out.push_str(&text[cell.tag_end..formula.span.start]);
    write_formula(
        out,
        text,
        formula,
        new_text.as_deref(),
        expand,
        array_ref.as_deref(),
    );
    out.push_str(&text[formula.span.end..cell.span.end]);
    Ok(true)
}

/// A cell's `<f>`: `new` text (or as it was), written out of its shared group when
/// `expand`, an array's `ref` moved to `array_ref`.
fn write_formula(
    out: &mut String,
    text: &str,
    formula: &super::parse::Formula<'_>,
    new: Option<&str>,
    expand: bool,
    array_ref: Option<&str>,
) {
    match (new, expand) {
        // A shared formula's member written out: its own text, other attributes kept.
        (Some(new), true) => {
            let unshared = [("t", None), ("ref", None), ("si", None)];
            out.push_str(&rewrite_tag(&formula.tag, false, &unshared));
            out.push_str(&escape(new));
            out.push_str(&format!("</{}>", formula.tag.name().as_ref()));
        }
        (Some(new), false) => {
            let set: Vec<(&str, Option<&str>)> =
                array_ref.iter().map(|r| ("ref", Some(*r))).collect();
            out.push_str(&rewrite_tag(&formula.tag, false, &set));
            out.push_str(&escape(new));
            out.push_str(&format!("</{}>", formula.tag.name().as_ref()));
        }
        // The text as it was; an array's `ref` moved with its row.
        (None, _) => match array_ref {
            Some(r) => {
                out.push_str(&rewrite_tag(
                    &formula.tag,
                    formula.empty,
                    &[("ref", Some(r))],
                ));
                out.push_str(&text[formula.tag_end..formula.span.end]);
            }
            None => out.push_str(&text[formula.span.clone()]),
        },
    }
}
