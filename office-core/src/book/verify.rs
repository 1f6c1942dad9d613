//! The output checked against the input before a job succeeds: every input part the same
//! bytes unless the edit changed it, every input sheet still there, no formula error and
//! no `#REF!` that the input did not have, and every changed sheet readable. What came
//! through unchanged is said in words (`kept`); what did not, and should have, fails the
//! check with the places named.

#![warn(missing_docs, unreachable_pub)]

use super::package::{EntryInfo, Package};
use super::workbook::{Workbook, eq_names};
use super::xml::{tags, text_after, unescape};
use super::{EditError, Place};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

/// Which differences from the input an output may have.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect<'a> {
    /// Written by the write-back: exactly these parts may differ (changed, added or
    /// removed); every other part must be the input's bytes.
    Edited(&'a BTreeSet<String>),
    /// Rebuilt by a program (a workbook library saving every sheet again): the parts a
    /// library regenerates from the cell grid may differ (`is_regenerated`); every other
    /// part (charts, drawings, images, tables, pivot tables, comments, macros, ...) must be
    /// the input's bytes, under the same name.
    Rebuilt,
}

/// What the check found.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Checked {
    /// What came back unchanged, in words.
    pub(crate) kept: Vec<String>,
    /// Parts of the input that differ in the output (or are gone), by name.
    pub(crate) changed_parts: Vec<String>,
}

/// Checks `output` against `input`; `Err` names what went wrong, in one sentence per kind
/// of problem.
pub(crate) fn check(input: &[u8], output: &[u8], expect: Expect<'_>) -> Result<Checked, EditError> {
    let mut before = Package::read(input, "the input")?;
    let mut after = Package::read(output, "the output")
        .map_err(|e| EditError::new(format!("the output is not a readable workbook: {e}")))?;
    let book_before = Workbook::read(&mut before)?;
    let book_after = Workbook::read(&mut after)
        .map_err(|e| EditError::new(format!("the output's workbook part is damaged: {e}")))?;
    let mut problems = Vec::new();

    let missing: Vec<&str> = book_before
        .sheets()
        .iter()
        .filter(|s| book_after.sheet(&s.name).is_none())
        .map(|s| s.name.as_str())
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "the output has lost the sheets {}",
            quoted(&missing)
        ));
    }

    let out_entries: BTreeMap<&str, &EntryInfo> = after
        .entries()
        .iter()
        .map(|e| (e.name.as_str(), e))
        .collect();
    let mut changed_parts = Vec::new();
    let mut unexpected = Vec::new();
    let mut lost = Vec::new();
    for entry in before.entries() {
        let same = out_entries
            .get(entry.name.as_str())
            .is_some_and(|o| o.crc32 == entry.crc32 && o.size == entry.size);
        if same {
            continue;
        }
        changed_parts.push(entry.name.clone());
        let allowed = match expect {
            Expect::Edited(touched) => touched.contains(&entry.name),
            Expect::Rebuilt => is_regenerated(&entry.name),
        };
        if !allowed {
            match (out_entries.contains_key(entry.name.as_str()), expect) {
                (_, Expect::Rebuilt) => lost.push(describe(&entry.name)),
                (true, Expect::Edited(_)) => unexpected.push(format!("{} changed", entry.name)),
                (false, Expect::Edited(_)) => unexpected.push(format!("{} is missing", entry.name)),
            }
        }
    }
    if let Expect::Edited(touched) = expect {
        for name in out_entries.keys() {
            if before.entry(name).is_none() && !touched.contains(*name) {
                unexpected.push(format!("{name} appeared"));
            }
        }
    }
    if !unexpected.is_empty() {
        problems.push(format!(
            "parts the edit did not change differ from the input: {}",
            unexpected.join(", ")
        ));
    }
    if !lost.is_empty() {
        problems.push(format!(
            "the output has lost what the input had: {} (write edits.json so the workbook is \
             edited in place, rather than saving a new workbook)",
            lost.join(", ")
        ));
    }

    // Formula errors and #REF! the input did not have, on every sheet that changed.
    let mut new_errors = Vec::new();
    for sheet in book_after.sheets() {
        let Some(part) = &sheet.part else { continue };
        let input_part = book_before.sheet(&sheet.name).and_then(|s| s.part.clone());
        if input_part.as_deref() == Some(part.as_str()) && !changed_parts.contains(part) {
            continue;
        }
        let out_xml = after.text(part)?;
        let found = errors_of(&out_xml);
        let had = match input_part {
            Some(p) if before.has(&p) => errors_of(&before.text(&p)?),
            _ => SheetErrors::default(),
        };
        for (value, cells) in &found.by_value {
            let allowed = had.by_value.get(value).map_or(0, Vec::len);
            if cells.len() > allowed {
                let fresh: Vec<&String> = cells
                    .iter()
                    .filter(|c| !had.by_value.get(value).is_some_and(|h| h.contains(c)))
                    .collect();
                for cell in fresh.iter().take(cells.len() - allowed).take(20) {
                    new_errors.push(Place::new(format!("{}!{cell}", sheet.name), value));
                }
            }
        }
        if found.ref_formulas.len() > had.ref_formulas.len() {
            for cell in found
                .ref_formulas
                .iter()
                .filter(|c| !had.ref_formulas.contains(c))
                .take(20)
            {
                new_errors.push(Place::new(
                    format!("{}!{cell}", sheet.name),
                    "a formula that refers to #REF!",
                ));
            }
        }
        readable(output, &sheet.name).map_err(|e| {
            EditError::new(format!(
                "the output's sheet '{}' cannot be read back ({e})",
                sheet.name
            ))
        })?;
    }
    if !new_errors.is_empty() {
        let listed: Vec<String> = new_errors
            .iter()
            .map(|p| match p.problem.starts_with('#') {
                true => format!("{} is {}", p.at, p.problem),
                false => format!("{} has {}", p.at, p.problem),
            })
            .collect();
        problems.push(format!(
            "the output has formula errors the input did not have: {}",
            listed.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(EditError {
            message: format!(
                "the output failed its check against the input: {}.",
                problems.join("; ")
            ),
            places: new_errors,
        });
    }

    let mut kept = Vec::new();
    for sheet in book_before.sheets() {
        let unchanged = sheet
            .part
            .as_ref()
            .is_some_and(|p| !changed_parts.contains(p));
        if unchanged
            && book_after
                .sheet(&sheet.name)
                .is_some_and(|s| eq_names(&s.name, &sheet.name))
        {
            kept.push(format!("sheet {}", sheet.name));
        }
    }
    let names: Vec<String> = before.entries().iter().map(|e| e.name.clone()).collect();
    for name in names.iter().filter(|n| !changed_parts.contains(n)) {
        if let Some(words) = kept_in_words(&mut before, name) {
            kept.push(words);
        }
    }
    Ok(Checked {
        kept,
        changed_parts,
    })
}

/// A workbook a program built from an input that is not an xlsx package (CSV, `.xls`,
/// `.ods`): there are no parts to compare, so the output must be a readable workbook that
/// has every sheet the input has (a text file has one, named by the program).
pub(crate) fn check_from_cells(
    input: &[u8],
    input_name: &str,
    output: &[u8],
) -> Result<Checked, EditError> {
    use calamine::Reader;
    let mut after = Package::read(output, "the output")
        .map_err(|e| EditError::new(format!("the output is not a readable workbook: {e}")))?;
    let book = Workbook::read(&mut after)?;
    let lower = input_name.to_ascii_lowercase();
    if [".xls", ".xlsb", ".ods"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        let names = calamine::open_workbook_auto_from_rs(Cursor::new(input))
            .map(|b| b.sheet_names())
            .unwrap_or_default();
        let missing: Vec<&str> = names
            .iter()
            .filter(|n| book.sheet(n).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(EditError::new(format!(
                "the output has lost the sheets {}",
                quoted(&missing)
            )));
        }
    }
    for sheet in book.sheets() {
        readable(output, &sheet.name).map_err(|e| {
            EditError::new(format!(
                "the output's sheet '{}' cannot be read back ({e})",
                sheet.name
            ))
        })?;
    }
    Ok(Checked::default())
}

/// The parts of two packages whose bytes differ (or that only one has).
pub(crate) fn differing_parts(a: &[u8], b: &[u8]) -> Result<BTreeSet<String>, EditError> {
    let (a, b) = (
        Package::read(a, "the workbook")?,
        Package::read(b, "the workbook")?,
    );
    let key = |e: &EntryInfo| (e.name.clone(), e.crc32, e.size);
    let left: BTreeSet<_> = a.entries().iter().map(key).collect();
    let right: BTreeSet<_> = b.entries().iter().map(key).collect();
    Ok(left
        .symmetric_difference(&right)
        .map(|(n, _, _)| n.clone())
        .collect())
}

/// Parts a workbook library writes again from the cells when it saves.
pub(crate) fn is_regenerated(part: &str) -> bool {
    part == "[Content_Types].xml"
        || part.ends_with(".rels")
        || part.starts_with("docProps/")
        || part.starts_with("xl/worksheets/sheet")
        || part.starts_with("xl/theme/")
        || matches!(
            part,
            "xl/workbook.xml" | "xl/styles.xml" | "xl/sharedStrings.xml" | "xl/calcChain.xml"
        )
}

/// A part of the input in words, when it is something a user would miss.
fn describe(part: &str) -> String {
    let kind = if part.starts_with("xl/charts/chart") {
        "chart"
    } else if part.starts_with("xl/pivotTables/") {
        "pivot table"
    } else if part.starts_with("xl/pivotCache/") {
        "pivot cache"
    } else if part.starts_with("xl/tables/") {
        "table"
    } else if part.starts_with("xl/drawings/vmlDrawing")
        || part.starts_with("xl/comments")
        || part.starts_with("xl/threadedComments/")
    {
        "comments"
    } else if part.starts_with("xl/drawings/") {
        "drawing"
    } else if part.starts_with("xl/media/") {
        "image"
    } else if part == "xl/vbaProject.bin" {
        return "macros (xl/vbaProject.bin)".into();
    } else {
        "part"
    };
    format!("{kind} {part}")
}

fn kept_in_words(package: &mut Package<'_>, part: &str) -> Option<String> {
    if part.starts_with("xl/tables/") && part.ends_with(".xml") {
        let xml = package.text(part).ok()?;
        let name = tags(&xml).find(|t| t.local() == "table").and_then(|t| {
            t.attr("displayName")
                .or_else(|| t.attr("name"))
                .map(|n| n.into_owned())
        });
        return Some(match name {
            Some(name) => format!("table {name}"),
            None => describe(part),
        });
    }
    let shown = part.starts_with("xl/charts/chart")
        || part.starts_with("xl/pivotTables/pivotTable")
        || part.starts_with("xl/media/")
        || part.starts_with("xl/comments")
        || part.starts_with("xl/threadedComments/")
        || part == "xl/vbaProject.bin"
        || (part.starts_with("xl/drawings/drawing") && part.ends_with(".xml"));
    (shown && !part.ends_with(".rels")).then(|| describe(part))
}

#[derive(Debug, Default)]
struct SheetErrors {
    /// Cached error value → cells holding it.
    by_value: BTreeMap<String, Vec<String>>,
    /// Cells whose formula text refers to `#REF!`.
    ref_formulas: Vec<String>,
}

/// The cached error values (`t="e"`) and `#REF!` formulas of a worksheet.
fn errors_of(xml: &str) -> SheetErrors {
    let mut found = SheetErrors::default();
    // Most sheets hold neither: one fast substring search each spares the cell-by-cell pass.
    if !xml.contains("t=\"e\"") && !xml.contains("t='e'") && !xml.contains("#REF!") {
        return found;
    }
    let mut cell: Option<(String, bool)> = None;
    for tag in tags(xml) {
        match (tag.local(), tag.closing) {
            ("c", false) => {
                let reference = tag.attr("r").map(|r| r.into_owned()).unwrap_or_default();
                cell = (!tag.empty).then(|| (reference, tag.attr("t").as_deref() == Some("e")));
            }
            ("c", true) => cell = None,
            ("v", false) if !tag.empty => {
                if let Some((reference, true)) = &cell {
                    let value = unescape(text_after(xml, &tag)).trim().to_string();
                    found
                        .by_value
                        .entry(value)
                        .or_default()
                        .push(reference.clone());
                }
            }
            ("f", false) if !tag.empty => {
                if let Some((reference, _)) = &cell
                    && text_after(xml, &tag).contains("#REF!")
                {
                    found.ref_formulas.push(reference.clone());
                }
            }
            _ => {}
        }
    }
    found
}

/// The sheet read back by a reader that knows nothing of this writer (calamine): every
/// cell parsed as `worksheet_range` parses it, streamed, so a million-cell sheet is not
/// held in memory a second time only to be dropped.
fn readable(output: &[u8], sheet: &str) -> Result<(), String> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(output)).map_err(|e| e.to_string())?;
    let mut cells = match book.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        // As `worksheet_range` does: a chart sheet has no cells to read.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    while cells.next_cell().map_err(|e| e.to_string())?.is_some() {}
    Ok(())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
