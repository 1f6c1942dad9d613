//! The parts of a worksheet outside the grid that name rows, after rows moved:
//! `<extLst>` (Excel 2010 extensions: x14 conditional formats and data validations, whose
//! `xm:sqref` follows its cells and whose `xm:f` formulas move with it; sparklines, whose
//! location follows its cell and whose data range follows its data) and `<rowBreaks>`
//! (manual page breaks, which move up with the rows below a filtered table). A sparkline
//! whose cell was removed goes with its row; an x14 conditional format or validation
//! whose rows were all removed is left as it was and said in `lost`, never silently.

use super::features::{events, matching_end, resized};
use super::xml::{Spanned, attr, attr_number, escape, local, rewrite_tag};
use super::{EditError, Walk};
use crate::book::Place;
use crate::book::formula::{Adjusted, Sqref, adjust_anchored, adjust_range, follow_sqref};
use quick_xml::events::Event;
use std::collections::HashMap;
use std::ops::Range;

/// What an x14 container holding an `xm:sqref` is, in words.
fn what(container: &str) -> &'static str {
    match container {
        "conditionalFormatting" => "conditional format (Excel 2010)",
        "dataValidation" => "data validation (Excel 2010)",
        "sparkline" => "sparkline",
        _ => "Excel 2010 extension range",
    }
}

/// The text between an element's start at `i` and its end.
fn inner<'a>(text: &'a str, all: &[Spanned<'_>], i: usize) -> (usize, &'a str) {
    let end = matching_end(all, i);
    let from = all[i].span.end;
    let to = all.get(end).map_or(from, |s| s.span.start);
    (end, &text[from..to])
}

/// `<extLst>`: each `xm:sqref` on the edited sheet follows its cells, each `xm:f` follows
/// its data (anchored to its range in a conditional format or validation). `None` when
/// nothing changed.
pub(super) fn ext_list(
    walk: &mut Walk<'_, '_>,
    whole: Range<usize>,
) -> Result<Option<String>, EditError> {
    let all = events(walk, &whole)?;
    let text = walk.text;
    let on_edited = walk.edits_here();
    // First pass: every container's sqref after the edit (by the container's index).
    let mut followed: HashMap<usize, (Sqref, String)> = HashMap::new();
    let mut stack: Vec<usize> = Vec::new();
    for (i, s) in all.iter().enumerate() {
        match &s.event {
            Event::Start(e) => {
                if local(e) == "sqref"
                    && on_edited
                    && let Some(&container) = stack.last()
                {
                    let (_, sqref) = inner(text, &all, i);
                    let sqref = quick_xml::escape::unescape(sqref)
                        .map(|t| t.into_owned())
                        .unwrap_or_else(|_| sqref.to_owned());
                    followed.insert(container, (follow_sqref(&sqref, walk.map)?, sqref));
                }
                stack.push(i);
            }
            Event::End(_) => {
                stack.pop();
            }
            _ => {}
        }
    }
    let name_of = |i: usize| match &all[i].event {
        Event::Start(e) | Event::Empty(e) => local(e).to_owned(),
        _ => String::new(),
    };
    let (mut out, mut changed) = (String::new(), false);
    stack.clear();
    let mut i = 0;
    while i < all.len() {
        let s = &all[i];
        let raw = &text[s.span.clone()];
        match &s.event {
            // A sparkline whose cell was removed goes with its row.
            Event::Start(e)
                if local(e) == "sparkline"
                    && matches!(followed.get(&i), Some((Sqref::Gone, _))) =>
            {
                let old = followed
                    .get(&i)
                    .map(|(_, t)| t.as_str())
                    .unwrap_or_default();
                resized(walk, "sparkline", old, "(removed with its row)");
                changed = true;
                i = matching_end(&all, i) + 1;
                continue;
            }
            Event::Start(e) if local(e) == "sqref" => {
                let container = stack.last().copied();
                let (end, old) = inner(text, &all, i);
                match container.and_then(|c| followed.get(&c)).map(|(s, _)| s) {
                    Some(Sqref::Changed { text: new, .. }) => {
                        let container = container.map(name_of).unwrap_or_default();
                        resized(walk, what(&container), old, new);
                        out.push_str(raw);
                        out.push_str(&escape(new));
                        out.push_str(&text[all[end].span.clone()]);
                        changed = true;
                        i = end + 1;
                        continue;
                    }
                    Some(Sqref::Gone) => {
                        let container = container.map(name_of).unwrap_or_default();
                        walk.lost.push(format!(
                            "{}: the {} over {old} was left as it was: every row it covered was removed",
                            walk.sheet,
                            what(&container)
                        ));
                    }
                    _ => {}
                }
                stack.push(i);
                out.push_str(raw);
            }
            Event::Start(e) if local(e) == "f" => {
                let (end, formula_xml) = inner(text, &all, i);
                // In a conditional format or validation the formula is relative to the
                // top-left of its range; elsewhere (sparkline data) it is a range that
                // follows its data.
                let anchor = stack.iter().rev().find(|&&c| {
                    matches!(
                        name_of(c).as_str(),
                        "conditionalFormatting" | "dataValidation"
                    )
                });
                let formula = quick_xml::escape::unescape(formula_xml).map(|t| t.into_owned());
                let adjusted = match (formula, anchor) {
                    _ if formula_xml.contains('<') => Adjusted::Same,
                    (Ok(f), Some(&c)) => {
                        let d_row = match followed.get(&c) {
                            Some((Sqref::Changed { d_row, .. }, _)) => *d_row,
                            _ => 0,
                        };
                        adjust_anchored(&f, walk.sheet, walk.edited, walk.map, d_row)
                    }
                    (Ok(f), None) => adjust_range(&f, walk.sheet, walk.edited, walk.map),
                    (Err(_), _) => Adjusted::Same,
                };
                let container = anchor.map(|&c| name_of(c)).unwrap_or_else(|| {
                    stack
                        .iter()
                        .rev()
                        .map(|&c| name_of(c))
                        .find(|n| n == "sparkline" || n == "sparklineGroup")
                        .unwrap_or_default()
                });
                let new = match adjusted {
                    Adjusted::Same => None,
                    Adjusted::Changed(t) => Some(t),
                    Adjusted::Broken { text: t, reason } => {
                        let at = format!("{}!{}", walk.sheet, what(&container));
                        walk.broken.push(Place::new(at, reason));
                        Some(t)
                    }
                };
                match new {
                    Some(new) => {
                        resized(walk, what(&container), formula_xml, &new);
                        out.push_str(raw);
                        out.push_str(&escape(&new));
                        out.push_str(&text[all[end].span.clone()]);
                        changed = true;
                        i = end + 1;
                        continue;
                    }
                    None => {
                        stack.push(i);
                        out.push_str(raw);
                    }
                }
            }
            Event::Start(_) => {
                stack.push(i);
                out.push_str(raw);
            }
            Event::End(_) => {
                stack.pop();
                out.push_str(raw);
            }
            _ => out.push_str(raw),
        }
        i += 1;
    }
    Ok(changed.then_some(out))
}

/// `<rowBreaks>` on the edited sheet: a break below the table moves up by the rows
/// removed; one inside a filtered table goes after the same number of kept rows; a sort
/// leaves breaks where they are (they mark printed pages, not data).
pub(super) fn row_breaks(
    walk: &mut Walk<'_, '_>,
    whole: Range<usize>,
) -> Result<Option<String>, EditError> {
    let map = walk.map;
    let (first, last, removed) = (map.first_row(), map.last_row(), map.removed());
    if removed == 0 {
        return Ok(None);
    }
    let all = events(walk, &whole)?;
    let text = walk.text;
    let (mut breaks, mut manual) = (0usize, 0usize);
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    let mut changed = false;
    for s in &all {
        let raw = &text[s.span.clone()];
        let (Event::Start(e) | Event::Empty(e)) = &s.event else {
            out.push_str(raw);
            continue;
        };
        if local(e) != "brk" {
            out.push_str(raw);
            continue;
        }
        let Some(id) = attr_number(e, "id") else {
            out.push_str(raw);
            continue;
        };
        // The break is between rows `id` and `id + 1`.
        let new = if id < first {
            id
        } else if id >= last {
            id - removed
        } else {
            let kept = (first..=id).filter(|&r| map.new_row(r).is_some()).count() as u32;
            first - 1 + kept
        };
        if !seen.insert(new) {
            resized(
                walk,
                "page break",
                &format!("after row {id}"),
                "(removed: it fell on another break)",
            );
            changed = true;
            continue;
        }
        breaks += 1;
        manual += usize::from(attr(e, "man").as_deref() == Some("1"));
        if new == id {
            out.push_str(raw);
            continue;
        }
        resized(
            walk,
            "page break",
            &format!("after row {id}"),
            &format!("after row {new}"),
        );
        changed = true;
        let new = new.to_string();
        let empty = matches!(s.event, Event::Empty(_));
        out.push_str(&rewrite_tag(e, empty, &[("id", Some(&new))]));
    }
    if !changed {
        return Ok(None);
    }
    // The counts on `<rowBreaks>` say how many breaks it holds.
    let (count, manual) = (breaks.to_string(), manual.to_string());
    if let Some(s) = all.first()
        && let Event::Start(e) = &s.event
    {
        let manual = attr(e, "manualBreakCount").map(|_| manual.as_str());
        let total = attr(e, "count").map(|_| count.as_str());
        let head = rewrite_tag(e, false, &[("count", total), ("manualBreakCount", manual)]);
        out.replace_range(..s.span.len(), &head);
    }
    Ok(Some(out))
}
