//! The parts outside a worksheet that hold ranges into it: Excel tables (`ref` and their
//! autoFilter), chart series (`<c:f>`), pivot cache sources (`worksheetSource`), comments
//! (`ref`) and their legacy VML shapes (`x:Row`, `x:Anchor`). Each range goes through
//! `formula::adjust_range`, each adjustment is a `Change`, each that would lose its target
//! is reported as broken.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::changes::Change;
use super::edits::{CellValue, SheetEdit};
use super::formula::{Adjusted, RowMap, adjust_range};
use super::new_sheet::column_letters;
use super::package::{Package, PartChanges};
use super::structured::{ColumnRename, rename_column};
use super::workbook::Workbook;
use super::xml::{Splices, Tag, escape, relationships, rels_of, tags, text_after, unescape};

/// What adjusting the parts around one edited sheet found.
#[derive(Debug, Default)]
pub(crate) struct PartsAdjusted {
    /// Every range moved or resized.
    pub(crate) changes: Vec<Change>,
    /// Ranges that would lose their target (`chart xl/charts/chart1.xml: ...`).
    pub(crate) broken: Vec<super::Place>,
    /// What went with removed rows (a comment on a removed row).
    pub(crate) lost: Vec<String>,
    /// Table columns renamed through their header cells: the formulas that name them
    /// (`Sales[Amount]`) are renamed after, across the workbook.
    pub(crate) renamed: Vec<RenamedColumn>,
}

/// A table column renamed through its header cell.
#[derive(Debug, Clone)]
pub(crate) struct RenamedColumn {
    /// The table's sheet.
    pub(crate) sheet: String,
    /// The table's name.
    pub(crate) table: String,
    /// The column's name before.
    pub(crate) from: String,
    /// Its name after.
    pub(crate) to: String,
}

/// The current text of a part: as this write-back left it, else as the input has it.
pub(crate) fn current(
    package: &mut Package<'_>,
    out: &PartChanges,
    name: &str,
) -> Result<String, EditError> {
    match out.get(name) {
        Some(bytes) => String::from_utf8(bytes.to_vec())
            .map_err(|_| EditError::new(format!("{name} is not UTF-8"))),
        None => package.text(name),
    }
}

/// Adjusts every part that refers to the rows or columns `edit` changed on its sheet.
pub(crate) fn adjust_parts(
    package: &mut Package<'_>,
    workbook: &Workbook,
    edit: &SheetEdit,
    map: &RowMap,
    out: &mut PartChanges,
) -> Result<PartsAdjusted, EditError> {
    let mut found = PartsAdjusted::default();
    let sheet = workbook
        .sheet(&edit.sheet)
        .ok_or_else(|| EditError::new(format!("the workbook has no sheet '{}'", edit.sheet)))?;
    let name = sheet.name.clone();
    let Some(sheet_part) = sheet.part.clone() else {
        return Ok(found);
    };
    let rels_part = rels_of(&sheet_part);
    let links = match package.has(&rels_part) {
        true => relationships(&current(package, out, &rels_part)?, &sheet_part),
        false => Vec::new(),
    };
    for link in links.iter().filter(|l| !l.external) {
        match link.kind.as_str() {
            "table" => adjust_table(package, &link.target, &name, edit, map, out, &mut found)?,
            "comments" if !map.is_identity() => {
                adjust_comments(package, &link.target, &name, map, out, &mut found)?
            }
            "threadedComment" if !map.is_identity() => {
                adjust_comments(package, &link.target, &name, map, out, &mut found)?
            }
            "vmlDrawing" if !map.is_identity() => adjust_vml(package, &link.target, map, out)?,
            _ => {}
        }
    }
    if map.is_identity() {
        return Ok(found);
    }
    let names: Vec<String> = package.entries().iter().map(|e| e.name.clone()).collect();
    for part in &names {
        if part.starts_with("xl/charts/chart") && part.ends_with(".xml") {
            adjust_chart(package, part, &name, map, out, &mut found)?;
        } else if part.starts_with("xl/pivotCache/pivotCacheDefinition") && part.ends_with(".xml") {
            adjust_pivot_source(package, part, &name, map, out, &mut found)?;
        }
    }
    Ok(found)
}

/// Every formula in the workbook's worksheets that names a renamed table column, renamed
/// with it (`Sales[Amount]` → `Sales[Revenue]`); each is a `FormulaAdjusted` change.
pub(crate) fn rename_column_references(
    package: &mut Package<'_>,
    workbook: &Workbook,
    renamed: &[RenamedColumn],
    out: &mut PartChanges,
) -> Result<Vec<Change>, EditError> {
    let mut changes = Vec::new();
    if renamed.is_empty() {
        return Ok(changes);
    }
    for sheet in workbook.sheets() {
        let Some(part) = &sheet.part else {
            continue;
        };
        let xml = current(package, out, part)?;
        let all: Vec<Tag<'_>> = tags(&xml).collect();
        let mut splices = Splices::default();
        for (i, tag) in all.iter().enumerate() {
            if tag.closing || tag.empty || tag.local() != "f" {
                continue;
            }
            let Some(close) = all[i + 1..].first().filter(|t| t.closing) else {
                continue;
            };
            let text = unescape(&xml[tag.end..close.start]).into_owned();
            let Some(formula) = renamed_formula(&text, renamed, &sheet.name) else {
                continue;
            };
            splices.replace(tag.end, close.start, escape(&formula).into_owned());
            let cell = enclosing_cell(&all[..i]).unwrap_or_default();
            changes.push(Change::FormulaAdjusted {
                sheet: sheet.name.clone(),
                cell,
                from: format!("={text}"),
                to: format!("={formula}"),
            });
        }
        if !splices.is_empty() {
            out.put(package, part, splices.apply(&xml).into_bytes());
        }
    }
    Ok(changes)
}

/// `formula` with each rename applied; `None` when none applied.
pub(crate) fn renamed_formula(
    formula: &str,
    renamed: &[RenamedColumn],
    on_sheet: &str,
) -> Option<String> {
    let mut current: Option<String> = None;
    for rename in renamed {
        let rule = ColumnRename {
            table: &rename.table,
            from: &rename.from,
            to: &rename.to,
            own_sheet: rename.sheet == on_sheet,
        };
        if let Some(next) = rename_column(current.as_deref().unwrap_or(formula), &rule) {
            current = Some(next);
        }
    }
    current
}

/// The `r` of the last `<c>` opened before a formula's tag.
fn enclosing_cell(before: &[Tag<'_>]) -> Option<String> {
    before
        .iter()
        .rev()
        .find(|t| !t.closing && t.local() == "c")
        .and_then(|t| t.attr("r"))
        .map(|r| r.into_owned())
}

/// A table's `ref` and its autoFilter's: resized with the rows, and widened over columns
/// appended right of it (each a new `tableColumn`).
fn adjust_table(
    package: &mut Package<'_>,
    part: &str,
    sheet: &str,
    edit: &SheetEdit,
    map: &RowMap,
    out: &mut PartChanges,
    found: &mut PartsAdjusted,
) -> Result<(), EditError> {
    let xml = current(package, out, part)?;
    let all: Vec<Tag<'_>> = tags(&xml).collect();
    let Some(table) = all.iter().find(|t| !t.closing && t.local() == "table") else {
        return Ok(());
    };
    let display = table
        .attr("displayName")
        .or_else(|| table.attr("name"))
        .map(|n| n.into_owned())
        .unwrap_or_default();
    let Some(reference) = table.attr("ref").map(|r| r.into_owned()) else {
        return Ok(());
    };
    let mut splices = Splices::default();
    let mut to = match adjust_range(&reference, sheet, sheet, map) {
        Adjusted::Same => reference.clone(),
        Adjusted::Changed(to) => to,
        Adjusted::Broken { text, reason } => {
            found.broken.push(super::Place::new(
                format!("table {display} ({text})"),
                reason,
            ));
            return Ok(());
        }
    };
    // Columns appended right of a table that ends where the edited table ends widen it.
    let widen = match parse_area(&to) {
        Some((c1, r1, c2, r2))
            if !edit.add_columns.is_empty()
                && c2 == edit.table.last_col
                && c1 >= edit.table.first_col =>
        {
            let c2 = c2 + edit.add_columns.len() as u32;
            to = format!("{}{r1}:{}{r2}", column_letters(c1), column_letters(c2));
            true
        }
        _ => false,
    };
    let renamed = rename_header_columns(&xml, &all, &to, &display, sheet, edit, &mut splices)?;
    if to == reference && renamed.is_empty() {
        return Ok(());
    }
    found.renamed.extend(renamed);
    if to == reference {
        out.put(package, part, splices.apply(&xml).into_bytes());
        return Ok(());
    }
    if let Some((from, end)) = table.attr_span("ref") {
        splices.replace(from, end, escape(&to).into_owned());
    }
    for filter in all
        .iter()
        .filter(|t| !t.closing && t.local() == "autoFilter")
    {
        if let (Some((from, end)), Some(old)) = (filter.attr_span("ref"), filter.attr("ref")) {
            let new = match adjust_range(&old, sheet, sheet, map) {
                Adjusted::Changed(new) => new,
                _ => old.into_owned(),
            };
            let new = if widen {
                with_last_col(&new, parse_area(&to).map_or(0, |a| a.2))
            } else {
                new
            };
            splices.replace(from, end, escape(&new).into_owned());
        }
    }
    if widen {
        add_table_columns(&all, edit, &mut splices);
    }
    found.changes.push(Change::RangeResized {
        sheet: sheet.to_string(),
        what: format!("table {display}"),
        from: reference,
        to,
    });
    out.put(package, part, splices.apply(&xml).into_bytes());
    Ok(())
}

/// The table's columns whose header cells `edit` sets to a new name, renamed in the
/// table part (`tableColumn name`, and the table's own column formulas). A header that
/// is not text, is empty or would repeat another column's name cannot name a column:
/// the edit is refused rather than left for Excel to "repair".
fn rename_header_columns(
    xml: &str,
    all: &[Tag<'_>],
    area: &str,
    table: &str,
    sheet: &str,
    edit: &SheetEdit,
    splices: &mut Splices,
) -> Result<Vec<RenamedColumn>, EditError> {
    let Some((c1, header_row, c2, _)) = parse_area(area) else {
        return Ok(Vec::new());
    };
    let has_header = all
        .iter()
        .find(|t| !t.closing && t.local() == "table")
        .and_then(|t| t.attr("headerRowCount"))
        .is_none_or(|count| count != "0");
    if !has_header || edit.set_cells.is_empty() {
        return Ok(Vec::new());
    }
    let columns: Vec<&Tag<'_>> = all
        .iter()
        .filter(|t| !t.closing && t.local() == "tableColumn")
        .collect();
    let mut names: Vec<String> = columns
        .iter()
        .map(|t| t.attr("name").map(|n| n.into_owned()).unwrap_or_default())
        .collect();
    let mut renamed = Vec::new();
    for set in &edit.set_cells {
        let Some((col, row)) = parse_cell(&set.cell) else {
            continue;
        };
        if row != header_row || col < c1 || col > c2 {
            continue;
        }
        let index = (col - c1) as usize;
        let Some(column) = columns.get(index) else {
            continue;
        };
        let from = names[index].clone();
        let to = match (&set.value, &set.formula) {
            (CellValue::Text(text), None) => text.clone(),
            (CellValue::Number(n), None) => number_text(*n),
            _ => {
                return Err(EditError::new(format!(
                    "{sheet}!{} is the header of column '{from}' of table {table}: a table's \
                     header must be text, not a formula, a date or an empty cell",
                    set.cell
                )));
            }
        };
        if to == from {
            continue;
        }
        if to.trim().is_empty() {
            return Err(EditError::new(format!(
                "{sheet}!{} is the header of column '{from}' of table {table}: a table \
                 column's name cannot be empty",
                set.cell
            )));
        }
        if names
            .iter()
            .enumerate()
            .any(|(i, name)| i != index && name.to_lowercase() == to.to_lowercase())
        {
            return Err(EditError::new(format!(
                "cannot rename column '{from}' of table {table} to '{to}': the table already \
                 has a column named so"
            )));
        }
        if let Some((start, end)) = column.attr_span("name") {
            splices.replace(start, end, escape(&to).into_owned());
        }
        names[index] = to.clone();
        renamed.push(RenamedColumn {
            sheet: sheet.to_string(),
            table: table.to_string(),
            from,
            to,
        });
    }
    // The table's own formulas: calculated columns and the totals row.
    for (i, tag) in all.iter().enumerate() {
        if tag.closing
            || tag.empty
            || !matches!(tag.local(), "calculatedColumnFormula" | "totalsRowFormula")
        {
            continue;
        }
        let Some(close) = all[i + 1..].first().filter(|t| t.closing) else {
            continue;
        };
        let text = unescape(&xml[tag.end..close.start]).into_owned();
        let mut formula = text.clone();
        for rename in &renamed {
            let rule = ColumnRename {
                table,
                from: &rename.from,
                to: &rename.to,
                own_sheet: true,
            };
            if let Some(next) = rename_column(&formula, &rule) {
                formula = next;
            }
        }
        if formula != text {
            splices.replace(tag.end, close.start, escape(&formula).into_owned());
        }
    }
    Ok(renamed)
}

/// A number as the text Excel gives a header cell holding it (`2024`, `1.5`).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// New `tableColumn` entries for the appended columns (unique ids and names).
fn add_table_columns(all: &[Tag<'_>], edit: &SheetEdit, splices: &mut Splices) {
    let Some(open) = all
        .iter()
        .find(|t| !t.closing && t.local() == "tableColumns")
    else {
        return;
    };
    let Some(close) = all
        .iter()
        .find(|t| t.closing && t.local() == "tableColumns")
    else {
        return;
    };
    let existing: Vec<&Tag<'_>> = all
        .iter()
        .filter(|t| !t.closing && t.local() == "tableColumn")
        .collect();
    let first_id = existing
        .iter()
        .filter_map(|t| t.attr("id")?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let mut names: Vec<String> = existing
        .iter()
        .filter_map(|t| t.attr("name").map(|n| n.to_lowercase()))
        .collect();
    let prefix = open
        .name
        .rsplit_once(':')
        .map_or(String::new(), |(p, _)| format!("{p}:"));
    let mut body = String::new();
    for (id, column) in (first_id..).zip(&edit.add_columns) {
        let mut name = column.header.clone();
        let mut n = 2;
        while names.contains(&name.to_lowercase()) {
            name = format!("{}{n}", column.header);
            n += 1;
        }
        names.push(name.to_lowercase());
        body.push_str(&format!(
            "<{prefix}tableColumn id=\"{id}\" name=\"{}\"/>",
            escape(&name)
        ));
    }
    splices.insert(close.start, body);
    if let Some((from, to)) = open.attr_span("count") {
        splices.replace(
            from,
            to,
            (existing.len() + edit.add_columns.len()).to_string(),
        );
    }
}

/// Each `<c:f>` of a chart: the series' names, categories and values.
fn adjust_chart(
    package: &mut Package<'_>,
    part: &str,
    sheet: &str,
    map: &RowMap,
    out: &mut PartChanges,
    found: &mut PartsAdjusted,
) -> Result<(), EditError> {
    let xml = current(package, out, part)?;
    let mut splices = Splices::default();
    for tag in tags(&xml).filter(|t| !t.closing && !t.empty && t.local() == "f") {
        let raw = text_after(&xml, &tag);
        let text = unescape(raw);
        match adjust_range(&text, "", sheet, map) {
            Adjusted::Same => {}
            Adjusted::Changed(to) => {
                splices.replace(tag.end, tag.end + raw.len(), escape(&to).into_owned());
                found.changes.push(Change::RangeResized {
                    sheet: sheet.to_string(),
                    what: format!("chart series ({part})"),
                    from: text.into_owned(),
                    to,
                });
            }
            Adjusted::Broken { text, reason } => found
                .broken
                .push(super::Place::new(format!("chart {part} ({text})"), reason)),
        }
    }
    if !splices.is_empty() {
        out.put(package, part, splices.apply(&xml).into_bytes());
    }
    Ok(())
}

/// A pivot cache over the edited sheet: its source range follows the rows, and the cache
/// is marked to refresh on opening (its stored records are the old rows').
fn adjust_pivot_source(
    package: &mut Package<'_>,
    part: &str,
    sheet: &str,
    map: &RowMap,
    out: &mut PartChanges,
    found: &mut PartsAdjusted,
) -> Result<(), EditError> {
    let xml = current(package, out, part)?;
    let Some(source) = tags(&xml).find(|t| !t.closing && t.local() == "worksheetSource") else {
        return Ok(());
    };
    let (Some(reference), Some(host)) = (source.attr("ref"), source.attr("sheet")) else {
        return Ok(());
    };
    let mut splices = Splices::default();
    match adjust_range(&reference, &host, sheet, map) {
        Adjusted::Same => return Ok(()),
        Adjusted::Changed(to) => {
            if let Some((from, end)) = source.attr_span("ref") {
                splices.replace(from, end, escape(&to).into_owned());
            }
            if let Some(root) =
                tags(&xml).find(|t| !t.closing && t.local() == "pivotCacheDefinition")
            {
                match root.attr_span("refreshOnLoad") {
                    Some((from, end)) => splices.replace(from, end, "1"),
                    None => {
                        splices.insert(root.start + 1 + root.name.len(), " refreshOnLoad=\"1\"")
                    }
                }
            }
            found.changes.push(Change::RangeResized {
                sheet: host.into_owned(),
                what: format!("pivot cache source ({part})"),
                from: reference.into_owned(),
                to,
            });
        }
        Adjusted::Broken { text, reason } => {
            found.broken.push(super::Place::new(
                format!("pivot cache {part} ({text})"),
                reason,
            ));
            return Ok(());
        }
    }
    out.put(package, part, splices.apply(&xml).into_bytes());
    Ok(())
}

/// Comments (and threaded comments) move with their rows; one on a removed row goes with
/// it, as when Excel deletes the row.
fn adjust_comments(
    package: &mut Package<'_>,
    part: &str,
    sheet: &str,
    map: &RowMap,
    out: &mut PartChanges,
    found: &mut PartsAdjusted,
) -> Result<(), EditError> {
    let xml = current(package, out, part)?;
    let all: Vec<Tag<'_>> = tags(&xml).collect();
    let mut splices = Splices::default();
    let mut moved = 0;
    for (i, tag) in all.iter().enumerate() {
        let local = tag.local();
        if tag.closing || (local != "comment" && local != "threadedComment") {
            continue;
        }
        let (Some(reference), Some((from, to))) = (tag.attr("ref"), tag.attr_span("ref")) else {
            continue;
        };
        let Some((col, row)) = parse_cell(&reference) else {
            continue;
        };
        match map.new_row(row) {
            Some(new) if new == row => {}
            Some(new) => {
                splices.replace(from, to, format!("{}{new}", column_letters(col)));
                moved += 1;
            }
            None => {
                let end = if tag.empty {
                    tag.end
                } else {
                    all[i..]
                        .iter()
                        .find(|t| t.closing && t.local() == local)
                        .map_or(tag.end, |t| t.end)
                };
                splices.replace(tag.start, end, "");
                found.lost.push(format!(
                    "the comment at {sheet}!{reference} went with its row, which was removed"
                ));
            }
        }
    }
    if splices.is_empty() {
        return Ok(());
    }
    if moved > 0 {
        found.changes.push(Change::RangeResized {
            sheet: sheet.to_string(),
            what: format!("{moved} comments ({part})"),
            from: "their rows".into(),
            to: "the rows they moved to".into(),
        });
    }
    out.put(package, part, splices.apply(&xml).into_bytes());
    Ok(())
}

/// The legacy drawing of comments: each note's `x:Row` (0-based) and the rows of its
/// `x:Anchor` move by the same amount; a note on a removed row is taken out.
fn adjust_vml(
    package: &mut Package<'_>,
    part: &str,
    map: &RowMap,
    out: &mut PartChanges,
) -> Result<(), EditError> {
    let xml = current(package, out, part)?;
    let all: Vec<Tag<'_>> = tags(&xml).collect();
    let mut splices = Splices::default();
    let mut shape_start = None;
    let mut anchor: Option<(usize, usize)> = None;
    for tag in &all {
        match (tag.local(), tag.closing) {
            ("shape", false) => {
                shape_start = Some(tag.start);
                anchor = None;
            }
            ("Anchor", false) => anchor = Some((tag.end, tag.end + text_after(&xml, tag).len())),
            ("Row", false) => {
                let raw = text_after(&xml, tag);
                let Ok(old) = raw.trim().parse::<u32>() else {
                    continue;
                };
                match map.new_row(old + 1) {
                    Some(new) if new == old + 1 => {}
                    Some(new) => {
                        let delta = i64::from(new) - i64::from(old + 1);
                        splices.replace(tag.end, tag.end + raw.len(), (new - 1).to_string());
                        if let Some((from, to)) = anchor {
                            let moved: Vec<String> = xml[from..to]
                                .split(',')
                                .enumerate()
                                .map(|(i, v)| match (i, v.trim().parse::<i64>()) {
                                    (2 | 6, Ok(n)) => (n + delta).max(0).to_string(),
                                    _ => v.trim().to_string(),
                                })
                                .collect();
                            splices.replace(from, to, moved.join(", "));
                        }
                    }
                    None => {
                        if let (Some(start), Some(end)) = (
                            shape_start,
                            all.iter()
                                .find(|t| t.closing && t.local() == "shape" && t.start > tag.start),
                        ) {
                            splices.replace(start, end.end, "");
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !splices.is_empty() {
        out.put(package, part, splices.apply(&xml).into_bytes());
    }
    Ok(())
}

/// `B7` → (2, 7).
pub(crate) fn parse_cell(reference: &str) -> Option<(u32, u32)> {
    let reference = reference.replace('$', "");
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let col = letters.chars().fold(0u32, |acc, c| {
        acc * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1)
    });
    Some((col, digits.parse().ok()?))
}

/// `A1:H101` → (1, 1, 8, 101).
fn parse_area(area: &str) -> Option<(u32, u32, u32, u32)> {
    let (a, b) = area.split_once(':')?;
    let ((c1, r1), (c2, r2)) = (parse_cell(a)?, parse_cell(b)?);
    Some((c1, r1, c2, r2))
}

fn with_last_col(area: &str, last: u32) -> String {
    match parse_area(area) {
        Some((c1, r1, _, r2)) if last > 0 => {
            format!("{}{r1}:{}{r2}", column_letters(c1), column_letters(last))
        }
        _ => area.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_areas_parse() {
        assert_eq!(parse_cell("B7"), Some((2, 7)));
        assert_eq!(parse_cell("$AA$10"), Some((27, 10)));
        assert_eq!(parse_cell("7"), None);
        assert_eq!(parse_area("A1:H101"), Some((1, 1, 8, 101)));
        assert_eq!(with_last_col("A1:H101", 9), "A1:I101");
    }
}
