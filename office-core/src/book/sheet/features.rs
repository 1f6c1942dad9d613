//! The sheet's range-bound features after the edit: `<cols>` (widths for added columns),
//! `<autoFilter>`, `<mergeCells>`, `<conditionalFormatting>`, `<dataValidations>`,
//! `<hyperlinks>`, and array formulas' ranges. Each change is recorded; what does not
//! change is copied as it was.

use super::xml::{Events, Spanned, attr, escape, local, rewrite_tag};
use super::{EditError, Walk};
use crate::book::Place;
use crate::book::changes::Change;
use crate::book::formula::{
    Adjusted, RangeFault, Sqref, adjust_anchored, adjust_range, follow_sqref, parse_cell,
    range_text,
};
use quick_xml::events::Event;
use std::ops::Range;

/// A depth-1 element of the worksheet (`whole`: its span), written to `out`.
pub(super) fn element(
    walk: &mut Walk<'_, '_>,
    name: &str,
    whole: Range<usize>,
    out: &mut Vec<u8>,
) -> Result<(), EditError> {
    let raw = &walk.text[whole.clone()];
    let here = walk.edits_here();
    let identity = walk.map.is_identity();
    let new = match name {
        "cols" if here => cols(walk, whole.clone())?,
        "autoFilter" if here => auto_filter(walk, whole.clone())?,
        "mergeCells" if here && !identity => merge_cells(walk, whole.clone())?,
        "conditionalFormatting" | "dataValidations" | "protectedRanges" | "ignoredErrors"
            if !identity =>
        {
            ranged(walk, name, whole.clone())?
        }
        "hyperlinks" if !identity => hyperlinks(walk, whole.clone())?,
        "extLst" if !identity => super::ext::ext_list(walk, whole.clone())?,
        "rowBreaks" if here && !identity => super::ext::row_breaks(walk, whole.clone())?,
        _ => None,
    };
    out.extend_from_slice(new.as_deref().unwrap_or(raw).as_bytes());
    Ok(())
}

/// Every event of an element, with spans.
pub(super) fn events<'a>(
    walk: &Walk<'a, '_>,
    whole: &Range<usize>,
) -> Result<Vec<Spanned<'a>>, EditError> {
    let mut ev = Events::new(&walk.text[whole.clone()], whole.start);
    let mut all = Vec::new();
    while let Some(s) = ev.next()? {
        all.push(s);
    }
    Ok(all)
}

/// `A1:H101` or `B3` as (first col, first row, last col, last row).
fn parse_range(text: &str) -> Option<(u32, u32, u32, u32)> {
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let ((c1, r1), (c2, r2)) = (parse_cell(a.trim())?, parse_cell(b.trim())?);
    Some((c1.min(c2), r1.min(r2), c1.max(c2), r1.max(r2)))
}

pub(super) fn resized(walk: &mut Walk<'_, '_>, what: &str, from: &str, to: &str) {
    walk.changes.push(Change::RangeResized {
        sheet: walk.sheet.to_owned(),
        what: what.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    });
}

/// The new `ref` of an array formula (or data table) in row `old_r` landing on `new_r`;
/// an error when it spans several rows the edit reorders or cuts.
pub(super) fn array_ref(
    walk: &Walk<'_, '_>,
    reference: &str,
    old_r: u32,
    new_r: u32,
) -> Result<Option<String>, EditError> {
    let Some((c1, r1, c2, r2)) = parse_range(reference) else {
        return Ok(None);
    };
    let map = walk.map;
    let new = if r1 == r2 {
        if old_r != r1 {
            return Ok(None);
        }
        range_text(c1, new_r, c2, new_r)
    } else {
        let inside = r2 >= map.first_row() && r1 <= map.last_row();
        let rows = map.map_rows(r1, r2);
        match rows {
            Ok((a, b)) if !(inside && map.is_reordered()) && b - a == r2 - r1 => {
                range_text(c1, a, c2, b)
            }
            _ => {
                return Err(EditError::new(format!(
                    "The array formula over {}!{reference} spans several rows that the edit reorders or removes; an array cannot be split (as in Excel). Write its results as values, or leave those rows in place.",
                    walk.sheet
                )));
            }
        }
    };
    Ok((new != reference).then_some(new))
}

/// `<cols>`: each added column as wide as the table's last column.
fn cols(walk: &mut Walk<'_, '_>, whole: Range<usize>) -> Result<Option<String>, EditError> {
    let Some((edit, _)) = &walk.edit else {
        return Ok(None);
    };
    let (last, added) = (edit.table.last_col, edit.add_columns.len() as u32);
    if added == 0 {
        return Ok(None);
    }
    let all = events(walk, &whole)?;
    let mut existing = Vec::new(); // (min, max, span end, event index)
    for (i, s) in all.iter().enumerate() {
        if let Event::Empty(e) | Event::Start(e) = &s.event
            && local(e) == "col"
        {
            let n = |k| attr(e, k).and_then(|v| v.trim().parse::<u32>().ok());
            if let (Some(min), Some(max)) = (n("min"), n("max")) {
                existing.push((min, max, s.span.clone(), i));
            }
        }
    }
    let Some(&(_, _, _, left)) = existing.iter().find(|c| c.0 <= last && last <= c.1) else {
        return Ok(None);
    };
    let (Event::Empty(left) | Event::Start(left)) = &all[left].event else {
        return Ok(None);
    };
    let free: Vec<u32> = (last + 1..=last + added)
        .filter(|&c| !existing.iter().any(|e| e.0 <= c && c <= e.1))
        .collect();
    let mut groups: Vec<(u32, u32)> = Vec::new();
    for c in free {
        match groups.last_mut() {
            Some(g) if g.1 + 1 == c => g.1 = c,
            _ => groups.push((c, c)),
        }
    }
    if groups.is_empty() {
        return Ok(None);
    }
    let text = walk.text;
    let mut out = String::new();
    let mut at = whole.start;
    for (a, b) in groups {
        let insert = existing
            .iter()
            .filter(|e| e.0 < a)
            .map(|e| e.2.end)
            .max()
            .unwrap_or_else(|| existing.first().map_or(at, |e| e.2.start));
        let insert = insert.max(at);
        out.push_str(&text[at..insert]);
        let (min, max) = (a.to_string(), b.to_string());
        out.push_str(&rewrite_tag(
            left,
            true,
            &[
                ("min", Some(&min)),
                ("max", Some(&max)),
                ("hidden", None),
                ("outlineLevel", None),
                ("collapsed", None),
            ],
        ));
        at = insert;
    }
    out.push_str(&text[at..whole.end]);
    Ok(Some(out))
}

/// `<autoFilter>`: its range follows the rows (and takes in added columns when it ended
/// at the table's last one); a `<sortState>` is dropped when the rows were reordered.
fn auto_filter(walk: &mut Walk<'_, '_>, whole: Range<usize>) -> Result<Option<String>, EditError> {
    let added = walk
        .edit
        .as_ref()
        .map_or(0, |(e, _)| e.add_columns.len() as u32);
    let last_col = walk.edit.as_ref().map_or(0, |(e, _)| e.table.last_col);
    let all = events(walk, &whole)?;
    let text = walk.text;
    let mut out = String::new();
    let mut changed = false;
    let mut skip_until: Option<usize> = None;
    for (i, s) in all.iter().enumerate() {
        if let Some(depth) = skip_until {
            if let Event::End(_) = s.event
                && depth == i
            {
                skip_until = None;
            }
            continue;
        }
        let raw = &text[s.span.clone()];
        let (Event::Start(e) | Event::Empty(e)) = &s.event else {
            out.push_str(raw);
            continue;
        };
        let empty = matches!(s.event, Event::Empty(_));
        let name = local(e);
        let Some(reference) = attr(e, "ref") else {
            out.push_str(raw);
            continue;
        };
        if name == "sortState" && walk.map.is_reordered() {
            resized(
                walk,
                "sort state",
                &reference,
                "(removed: the rows are in a new order)",
            );
            changed = true;
            if !empty {
                skip_until = Some(matching_end(&all, i));
            }
            continue;
        }
        let extend = if name == "autoFilter" { added } else { 0 };
        let Some((c1, r1, c2, r2)) = parse_range(&reference) else {
            out.push_str(raw);
            continue;
        };
        let c2 = if c2 == last_col { c2 + extend } else { c2 };
        let new = match walk.map.map_rows(r1, r2) {
            Ok((a, b)) => range_text(c1, a, c2, b),
            Err(RangeFault::AllRemoved) if name == "autoFilter" => {
                resized(walk, "autofilter", &reference, "(removed: no rows left)");
                return Ok(Some(String::new()));
            }
            Err(_) => {
                return Err(EditError::new(format!(
                    "The autofilter's {name} over {}!{reference} covers only part of the rows the edit reorders.",
                    walk.sheet
                )));
            }
        };
        if new == reference {
            out.push_str(raw);
            continue;
        }
        if name == "autoFilter" {
            resized(walk, "autofilter", &reference, &new);
        }
        changed = true;
        out.push_str(&rewrite_tag(e, empty, &[("ref", Some(&new))]));
    }
    Ok(changed.then_some(out))
}

/// The index of the end event matching the start at `i`.
pub(super) fn matching_end(all: &[Spanned<'_>], i: usize) -> usize {
    let mut depth = 0;
    for (j, s) in all.iter().enumerate().skip(i) {
        match s.event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    all.len()
}

/// `<mergeCells>`: a merge on one row moves with it, one on removed rows goes; a merge
/// over several rows that are reordered cannot be kept (Excel refuses that sort too).
fn merge_cells(walk: &mut Walk<'_, '_>, whole: Range<usize>) -> Result<Option<String>, EditError> {
    let all = events(walk, &whole)?;
    let text = walk.text;
    let map = walk.map;
    let (mut body, mut count, mut changed) = (String::new(), 0usize, false);
    let mut start_tag = None;
    for s in &all {
        let raw = &text[s.span.clone()];
        match &s.event {
            Event::Start(e) if local(e) == "mergeCells" => start_tag = Some(e.clone()),
            Event::Empty(e) if local(e) == "mergeCell" => {
                let reference = attr(e, "ref").unwrap_or_default();
                let Some((c1, r1, c2, r2)) = parse_range(&reference) else {
                    body.push_str(raw);
                    count += 1;
                    continue;
                };
                let inside = r2 >= map.first_row() && r1 <= map.last_row();
                let new = if r1 == r2 {
                    map.new_row(r1).map(|n| range_text(c1, n, c2, n))
                } else if inside && map.is_reordered() {
                    return Err(EditError::new(format!(
                        "The merged cells {}!{reference} span several of the rows being reordered; Excel cannot sort them either. Unmerge them, or leave those rows in place.",
                        walk.sheet
                    )));
                } else {
                    match map.map_rows(r1, r2) {
                        Ok((a, b)) => Some(range_text(c1, a, c2, b)),
                        Err(_) => None,
                    }
                };
                // A merge of one cell is no merge (Excel refuses the file).
                let new = new.filter(|n| n.contains(':'));
                match new {
                    Some(new) if new == reference => body.push_str(raw),
                    Some(new) => {
                        resized(walk, "merged cells", &reference, &new);
                        body.push_str(&rewrite_tag(e, true, &[("ref", Some(&new))]));
                        changed = true;
                    }
                    None => {
                        resized(
                            walk,
                            "merged cells",
                            &reference,
                            "(removed with their rows)",
                        );
                        changed = true;
                        continue;
                    }
                }
                count += 1;
            }
            Event::End(e) if e.local_name().as_ref() == "mergeCells" => {}
            _ => body.push_str(raw),
        }
    }
    let Some(start) = start_tag else {
        return Ok(None);
    };
    if !changed {
        return Ok(None);
    }
    if count == 0 {
        return Ok(Some(String::new()));
    }
    let count = count.to_string();
    let has_count = attr(&start, "count").is_some();
    let set: &[(&str, Option<&str>)] = if has_count {
        &[("count", Some(&count))]
    } else {
        &[]
    };
    Ok(Some(format!(
        "{}{body}</{}>",
        rewrite_tag(&start, false, set),
        start.name().as_ref()
    )))
}

/// `<conditionalFormatting>`, `<dataValidations>`, `<protectedRanges>` or
/// `<ignoredErrors>`: each `sqref` follows its cells on
/// the edited sheet (a range whose cells all went is dropped), and each formula's
/// references follow their data on any sheet.
fn ranged(
    walk: &mut Walk<'_, '_>,
    name: &str,
    whole: Range<usize>,
) -> Result<Option<String>, EditError> {
    let all = events(walk, &whole)?;
    let text = walk.text;
    let on_edited = walk.edits_here();
    let what = match name {
        "dataValidations" => "data validation",
        "protectedRanges" => "protected range",
        "ignoredErrors" => "ignored error",
        _ => "conditional format",
    };
    let (mut out, mut changed) = (String::new(), false);
    let (mut d_row, mut kept, mut dropped) = (0i64, 0usize, 0usize);
    let mut i = 0;
    while i < all.len() {
        let s = &all[i];
        let raw = &text[s.span.clone()];
        i += 1;
        let (Event::Start(e) | Event::Empty(e)) = &s.event else {
            out.push_str(raw);
            continue;
        };
        let empty = matches!(s.event, Event::Empty(_));
        let tag = local(e);
        if let (Some(sqref), true) = (attr(e, "sqref"), on_edited) {
            match follow_sqref(&sqref, walk.map)? {
                Sqref::Same => {
                    d_row = 0;
                    out.push_str(raw);
                }
                Sqref::Changed {
                    text: new,
                    d_row: d,
                } => {
                    d_row = d;
                    resized(walk, what, &sqref, &new);
                    out.push_str(&rewrite_tag(e, empty, &[("sqref", Some(&new))]));
                    changed = true;
                }
                Sqref::Gone => {
                    resized(walk, what, &sqref, "(removed with its rows)");
                    changed = true;
                    dropped += 1;
                    if tag == "conditionalFormatting" {
                        return Ok(Some(String::new()));
                    }
                    if !empty {
                        i = matching_end(&all, i - 1) + 1;
                    }
                    continue;
                }
            }
            kept += 1;
            continue;
        }
        if matches!(tag, "formula" | "formula1" | "formula2") && !empty {
            let end = matching_end(&all, i - 1);
            let inner_start = s.span.end;
            let inner_end = all.get(end).map_or(inner_start, |s| s.span.start);
            let inner = &text[inner_start..inner_end];
            let formula = quick_xml::escape::unescape(inner).map(|t| t.into_owned());
            let adjusted = match formula {
                Ok(f) if !inner.contains('<') => {
                    adjust_anchored(&f, walk.sheet, walk.edited, walk.map, d_row)
                }
                _ => Adjusted::Same,
            };
            let new = match adjusted {
                Adjusted::Same => None,
                Adjusted::Changed(t) => Some(t),
                Adjusted::Broken { text: t, reason } => {
                    walk.broken
                        .push(Place::new(format!("{}!{what}", walk.sheet), reason));
                    Some(t)
                }
            };
            if let Some(new) = new {
                out.push_str(raw);
                out.push_str(&escape(&new));
                changed = true;
                i = end;
                continue;
            }
        }
        out.push_str(raw);
    }
    if !changed {
        return Ok(None);
    }
    if name != "conditionalFormatting" && dropped > 0 {
        if kept == 0 {
            return Ok(Some(String::new()));
        }
        return Ok(Some(recount(&out, kept)));
    }
    Ok(Some(out))
}

/// `<dataValidations count="n">` with its count set again.
fn recount(xml: &str, count: usize) -> String {
    let mut ev = Events::new(xml, 0);
    if let Ok(Some(s)) = ev.next()
        && let Event::Start(e) = &s.event
        && attr(e, "count").is_some()
    {
        let count = count.to_string();
        return format!(
            "{}{}",
            rewrite_tag(e, false, &[("count", Some(&count))]),
            &xml[s.span.end..]
        );
    }
    xml.to_owned()
}

/// `<hyperlinks>`: each link's cell follows its row (a link on a removed row goes), and
/// a `location` into the edited sheet follows its data.
fn hyperlinks(walk: &mut Walk<'_, '_>, whole: Range<usize>) -> Result<Option<String>, EditError> {
    let all = events(walk, &whole)?;
    let text = walk.text;
    let on_edited = walk.edits_here();
    let (mut out, mut changed, mut kept) = (String::new(), false, 0usize);
    for s in &all {
        let raw = &text[s.span.clone()];
        let Event::Empty(e) = &s.event else {
            out.push_str(raw);
            continue;
        };
        if local(e) != "hyperlink" {
            out.push_str(raw);
            continue;
        }
        let location = attr(e, "location").map(|l| {
            match adjust_range(&l, walk.sheet, walk.edited, walk.map) {
                Adjusted::Changed(t) => Some(t),
                _ => None,
            }
        });
        let location = location.flatten();
        let pieces = match (attr(e, "ref"), on_edited) {
            (Some(r), true) => match follow_sqref(&r, walk.map)? {
                Sqref::Same => vec![r],
                Sqref::Changed { text: new, .. } => {
                    resized(walk, "hyperlink", &r, &new);
                    new.split(' ').map(str::to_owned).collect()
                }
                Sqref::Gone => {
                    resized(walk, "hyperlink", &r, "(removed with its row)");
                    changed = true;
                    continue;
                }
            },
            (r, _) => vec![r.unwrap_or_default()],
        };
        kept += 1;
        let original = attr(e, "ref").unwrap_or_default();
        if pieces.len() == 1 && pieces[0] == original && location.is_none() {
            out.push_str(raw);
            continue;
        }
        changed = true;
        for piece in pieces {
            let mut set = vec![("ref", Some(piece.as_str()))];
            if let Some(l) = &location {
                set.push(("location", Some(l.as_str())));
            }
            out.push_str(&rewrite_tag(e, true, &set));
        }
    }
    if !changed {
        return Ok(None);
    }
    Ok(Some(if kept == 0 { String::new() } else { out }))
}
