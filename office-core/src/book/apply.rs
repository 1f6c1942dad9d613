//! The edit script applied to the user's workbook, in one place: the package read, each
//! edited sheet rewritten (`sheet`), the formulas, names, tables, charts, pivot sources and
//! comments that point into it adjusted, new sheets added, formats appended, the package
//! written with every untouched entry copied raw, recalculated, and checked against the
//! input (`verify`) before anything is returned.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::changes::{Change, Fidelity, grouped};
use super::edits::{EDITS_VERSION, Edits, SheetEdit};
use super::formula::RowMap;
use super::package::{Package, PartChanges};
use super::parts::{adjust_parts, current, rename_column_references};
use super::sheet::{SheetXml, adjust_sheet, rewrite_sheet};
use super::styles::StylesXml;
use super::verify::{self, Expect};
use super::workbook::{Workbook, eq_names};
use super::{new_sheet, text};

/// The content type of an `.xlsx` workbook.
pub(crate) const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The content type of an `.xlsm` (macro-enabled) workbook.
pub(crate) const XLSM_CONTENT_TYPE: &str = "application/vnd.ms-excel.sheet.macroEnabled.12";

/// The edited workbook and the account of what was done.
#[derive(Debug)]
pub(crate) struct Applied {
    /// The output workbook.
    pub(crate) bytes: Vec<u8>,
    /// `output.xlsx`, or `output.xlsm` for a macro-enabled input.
    pub(crate) file_name: String,
    /// The workbook's content type.
    // The artifact's type is taken from its name when it is stored; the tests check
    // that the two agree.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) content_type: &'static str,
    /// Changes made, parts kept, what could not be kept.
    pub(crate) fidelity: Fidelity,
    /// Other files the edit produced (`output.csv` for a text input).
    pub(crate) also: Vec<(String, Vec<u8>)>,
}

/// The kind of input, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Xlsx,
    Xlsm,
    Text,
    Converted,
}

fn input_kind(name: &str) -> Result<InputKind, EditError> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" => Ok(InputKind::Xlsx),
        "xlsm" => Ok(InputKind::Xlsm),
        "csv" | "tsv" | "txt" => Ok(InputKind::Text),
        "xls" | "xlsb" | "ods" => Ok(InputKind::Converted),
        _ => Err(EditError::new(format!(
            "{name} is not a workbook or table file this writer edits"
        ))),
    }
}

/// Whether a file of this name is one `apply` edits (xlsx, xlsm, csv, tsv, txt, xls, xlsb, ods).
pub(crate) fn is_supported(name: &str) -> bool {
    input_kind(name).is_ok()
}

/// Whether a file of this name is an xlsx/xlsm package (edited part by part).
pub(crate) fn is_package(name: &str) -> bool {
    matches!(input_kind(name), Ok(InputKind::Xlsx | InputKind::Xlsm))
}

/// Applies `edits` to `input` (a file named `input_name`) and checks the result.
pub(crate) fn apply(input: &[u8], input_name: &str, edits: &Edits) -> Result<Applied, EditError> {
    check_script(edits)?;
    let mut applied = match input_kind(input_name)? {
        InputKind::Xlsx => apply_package(input, edits, "output.xlsx", XLSX_CONTENT_TYPE),
        InputKind::Xlsm => apply_package(input, edits, "output.xlsm", XLSM_CONTENT_TYPE),
        InputKind::Text => text::apply_text(input, input_name, edits),
        InputKind::Converted => text::apply_converted(input, input_name, edits),
    }?;
    applied.fidelity.changes = grouped(std::mem::take(&mut applied.fidelity.changes));
    Ok(applied)
}

/// The script's own consistency, before the workbook is touched.
fn check_script(edits: &Edits) -> Result<(), EditError> {
    if edits.version != EDITS_VERSION {
        return Err(EditError::new(format!(
            "edits.json has version {}, but this engine applies version {EDITS_VERSION}",
            edits.version
        )));
    }
    for (i, edit) in edits.sheets.iter().enumerate() {
        super::look::check(&edit.sheet, &edit.look)?;
        if edits.sheets[..i]
            .iter()
            .any(|e| eq_names(&e.sheet, &edit.sheet))
        {
            return Err(EditError::new(format!(
                "edits.json edits sheet '{}' twice; give each sheet one entry",
                edit.sheet
            )));
        }
    }
    Ok(())
}

/// An xlsx/xlsm package edited in place.
pub(crate) fn apply_package(
    input: &[u8],
    edits: &Edits,
    file_name: &str,
    content_type: &'static str,
) -> Result<Applied, EditError> {
    let mut package = Package::read(input, "the workbook")?;
    let mut workbook = Workbook::read(&mut package)?;
    let styles_part = workbook.linked("styles").map(str::to_string);
    let mut styles = match &styles_part {
        Some(part) => StylesXml::parse(package.text(part)?)?,
        None => StylesXml::parse(super::styles::MINIMAL_STYLES.to_string())?,
    };
    let mut out = PartChanges::default();
    let mut fidelity = Fidelity::default();
    let mut broken = Vec::new();
    let mut formulas_moved = false;
    for edit in &edits.sheets {
        let moved = apply_sheet_edit(
            &mut package,
            &mut workbook,
            edit,
            &mut styles,
            &mut out,
            &mut fidelity,
            &mut broken,
        )?;
        formulas_moved |= moved;
    }
    if !broken.is_empty() {
        let listed: Vec<String> = broken.iter().map(ToString::to_string).collect();
        return Err(EditError {
            message: format!(
                "the edit would break references elsewhere in the workbook, so nothing was \
                 written: {}. Keep the rows these point at, or change the formulas first.",
                listed.join("; ")
            ),
            places: broken,
        });
    }
    for sheet in &edits.new_sheets {
        let part = workbook.add_sheet(&sheet.name, &package, &out)?;
        let built = new_sheet::build(sheet, workbook.date1904(), &mut styles)?;
        fidelity.changes.push(built.change);
        let xml = match &sheet.chart {
            Some(chart) => {
                let placed = super::look::new_sheet_chart(sheet, chart.kind, &chart.title);
                let xml = String::from_utf8(built.xml)
                    .map_err(|_| EditError::new("a new sheet is not UTF-8".into()))?;
                let (xml, changes) = super::look::attach_charts(
                    &mut package,
                    &mut workbook,
                    &mut out,
                    &part,
                    &sheet.name,
                    &xml,
                    vec![placed],
                )?;
                fidelity.changes.extend(changes);
                xml.into_bytes()
            }
            None => built.xml,
        };
        out.put(&package, &part, xml);
    }
    if formulas_moved {
        workbook.formulas_moved();
    }
    if let Some(xml) = styles.finish() {
        let part = styles_part.unwrap_or_else(|| "xl/styles.xml".into());
        out.put(&package, &part, xml.into_bytes());
    }
    workbook.finish(&package, &mut out);
    let written = package.write(&out)?;
    let mut touched = out.touched();
    let bytes = if changes_inputs_of_formulas(edits) && has_formulas(&written)? {
        let (bytes, note) = recalculate(written.clone());
        fidelity.lost.extend(note);
        bytes
    } else {
        written.clone()
    };
    if bytes != written {
        touched.extend(verify::differing_parts(&written, &bytes)?);
    }
    let checked = verify::check(input, &bytes, Expect::Edited(&touched))?;
    fidelity.kept = checked.kept;
    Ok(Applied {
        bytes,
        file_name: file_name.to_string(),
        content_type,
        fidelity,
        also: Vec::new(),
    })
}

/// One sheet's edit: the sheet rewritten, and when its rows moved, every other sheet's
/// formulas, the defined names and the parts around it adjusted. Returns whether a cell
/// formula moved or changed (then the calculation chain is dropped and Excel asked to
/// recalculate); a sort of a sheet of values leaves `workbook.xml` as it was.
fn apply_sheet_edit(
    package: &mut Package<'_>,
    workbook: &mut Workbook,
    edit: &SheetEdit,
    styles: &mut StylesXml,
    out: &mut PartChanges,
    fidelity: &mut Fidelity,
    broken: &mut Vec<super::Place>,
) -> Result<bool, EditError> {
    let sheet = workbook.sheet(&edit.sheet).cloned().ok_or_else(|| {
        let names: Vec<&str> = workbook.sheets().iter().map(|s| s.name.as_str()).collect();
        EditError::new(format!(
            "edits.json edits sheet '{}', but the workbook's sheets are {}",
            edit.sheet,
            names.join(", ")
        ))
    })?;
    let part = sheet.part.clone().ok_or_else(|| {
        EditError::new(format!(
            "sheet '{}' is not a worksheet (a chart sheet?), so its cells cannot be edited",
            sheet.name
        ))
    })?;
    let map = RowMap::new(&edit.table, edit.rows.as_deref())?;
    if map.is_identity()
        && edit.add_columns.is_empty()
        && edit.set_cells.is_empty()
        && edit.look.is_empty()
    {
        return Ok(false);
    }
    let date1904 = workbook.date1904();
    let xml = current(package, out, &part)?;
    let rewritten = rewrite_sheet(
        SheetXml {
            name: &sheet.name,
            xml: xml.as_bytes(),
            date1904,
        },
        edit,
        &map,
        styles,
    )?;
    fidelity.changes.extend(rewritten.changes);
    let xml = if edit.look.is_empty() {
        rewritten.xml
    } else {
        let xml = String::from_utf8(rewritten.xml)
            .map_err(|_| EditError::new(format!("sheet '{}' is not UTF-8", sheet.name)))?;
        let restyled = super::look::restyle(&sheet.name, &xml, &edit.look, styles, date1904)?;
        fidelity.changes.extend(restyled.changes);
        fidelity.lost.extend(restyled.not_done);
        let xml = restyled.xml;
        let right_of = edit.table.last_col + edit.add_columns.len() as u32;
        let charts = super::look::placed(&edit.look.charts, right_of);
        let (xml, changes) =
            super::look::attach_charts(package, workbook, out, &part, &sheet.name, &xml, charts)?;
        fidelity.changes.extend(changes);
        xml.into_bytes()
    };
    out.put(package, &part, xml);
    broken.extend(rewritten.broken);
    fidelity.lost.extend(rewritten.lost);
    let mut formulas_changed = rewritten.formulas_changed;
    if !map.is_identity() {
        let others: Vec<_> = workbook
            .sheets()
            .iter()
            .filter(|s| s.name != sheet.name)
            .cloned()
            .collect();
        for other in others {
            let Some(other_part) = other.part else {
                continue;
            };
            let xml = current(package, out, &other_part)?;
            let adjusted = adjust_sheet(
                SheetXml {
                    name: &other.name,
                    xml: xml.as_bytes(),
                    date1904,
                },
                &sheet.name,
                &map,
            )?;
            if let Some(adjusted) = adjusted {
                formulas_changed |= adjusted.formulas_changed;
                fidelity.lost.extend(adjusted.lost);
                out.put(package, &other_part, adjusted.xml);
                fidelity.changes.extend(adjusted.changes);
                broken.extend(adjusted.broken);
            }
        }
        let (changes, names_broken) = workbook.adjust_defined_names(&sheet.name, &map);
        fidelity.changes.extend(changes);
        broken.extend(names_broken);
    }
    let parts = adjust_parts(package, workbook, edit, &map, out)?;
    fidelity.changes.extend(parts.changes);
    broken.extend(parts.broken);
    fidelity.lost.extend(parts.lost);
    for renamed in &parts.renamed {
        fidelity.changes.push(Change::TableColumnRenamed {
            sheet: renamed.sheet.clone(),
            table: renamed.table.clone(),
            from: renamed.from.clone(),
            to: renamed.to.clone(),
        });
    }
    let formulas = rename_column_references(package, workbook, &parts.renamed, out)?;
    fidelity.changes.extend(formulas);
    let names = workbook.rename_column_references(&parts.renamed);
    fidelity.changes.extend(names);
    Ok(formulas_changed)
}

/// Whether the edit changes what formulas read: rows removed (ranges shrink) or cells
/// set. A sort moves each formula with the row it reads and keeps every range whole, and
/// the script caches the results of the formulas it adds, so neither needs the engine.
fn changes_inputs_of_formulas(edits: &Edits) -> bool {
    edits.sheets.iter().any(|edit| {
        let kept = edit.rows.as_ref().map(Vec::len);
        let table_rows = (edit.table.last_row + 1).saturating_sub(edit.table.first_row) as usize;
        kept.is_some_and(|kept| kept < table_rows) || !edit.set_cells.is_empty()
    })
}

/// Whether any part of the package holds a formula element (`<f>`, with or without a
/// prefix; a chart's series reference counts too). A workbook without one has nothing to
/// recalculate: the engine would load every cell only to write the same bytes back.
pub(super) fn has_formulas(xlsx: &[u8]) -> Result<bool, EditError> {
    let mut package = Package::read(xlsx, "the output")?;
    let parts: Vec<String> = package
        .entries()
        .iter()
        .map(|e| e.name.clone())
        // Every part that can be XML (worksheets may have any name); not images,
        // embedded binaries or relationships.
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            !(lower.ends_with(".rels") || lower.ends_with(".bin") || lower.contains("/media/"))
        })
        .collect();
    for part in parts {
        let xml = package.part(&part)?;
        if formula_tag(&xml) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An `f` element's start tag in XML bytes: `<f` or `:f` followed by `>`, `/` or a space.
pub(super) fn formula_tag(xml: &[u8]) -> bool {
    xml.windows(3).any(|w| {
        (w[0] == b'<' || w[0] == b':')
            && w[1] == b'f'
            && matches!(w[2], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
    })
}

/// The written workbook recalculated: every formula evaluated by the formula engine
/// (`recalc`) and its cached value set from the result, so a reader that does not
/// calculate sees the new numbers, and a new error is cached where `verify` finds it. A
/// workbook the engine cannot evaluate keeps the cached values it had, and the note says
/// so (Excel recalculates on open: the write-back sets `fullCalcOnLoad` when formulas move).
pub(crate) fn recalculate(xlsx: Vec<u8>) -> (Vec<u8>, Option<String>) {
    let not_recalculated = |why: String| {
        Some(format!(
            "formulas were not recalculated here ({why}); their stored results are the ones \
             before the edit until Excel recalculates them on opening"
        ))
    };
    let values = match super::recalc::evaluate(&xlsx) {
        Ok(values) => values,
        Err(e) => return (xlsx, not_recalculated(e.to_string())),
    };
    match super::recalc::fill_cached(&xlsx, &values, false) {
        Ok(bytes) => (bytes, None),
        Err(e) => (xlsx, not_recalculated(e.to_string())),
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
