//! How a sheet looks, applied to its worksheet part once its cells are in place: number
//! formats on ranges (a cell format appended per base format, so every cell keeps its
//! font, fill, border and alignment), conditional formats (a `<conditionalFormatting>`
//! with a differential fill), frozen panes, the autofilter, and native charts (a drawing
//! part with one chart part per chart, over the sheet's own ranges).
//!
//! The worksheet is spliced, never rebuilt: new elements go where the schema orders
//! them among the sheet's children; everything else stays as written.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::changes::Change;
use super::chart::{Chart, ChartKind, Layout, Series};
use super::edits::{CellRange, CellValue, ChartEdit, Compare, ConditionalFormat, Freeze, Look};
use super::formula::{col_letters, parse_cell, range_text};
use super::new_sheet::{date_serial, format_number};
use super::package::{Package, PartChanges};
use super::sheet::Styles;
use super::styles::StylesXml;
use super::workbook::Workbook;
use super::xml::{Splices, Tag, escape, relationships, rels_of, tags};

/// The children of `<worksheet>`, in the order the schema requires.
const ORDER: &[&str] = &[
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
];

const MAX_ROW: u32 = 1_048_576;
const MAX_COL: u32 = 16_384;
/// Charts one sheet edit may add, series one chart may have.
const MAX_CHARTS: usize = 16;
const MAX_SERIES: usize = 32;

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const DRAWING_TYPE: &str = "application/vnd.openxmlformats-officedocument.drawing+xml";
const CHART_TYPE: &str = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml";

/// The script's look for one sheet, within Excel's bounds.
pub(crate) fn check(sheet: &str, look: &Look) -> Result<(), EditError> {
    let bad = |what: String| {
        Err(EditError::new(format!(
            "edits.json asks sheet '{sheet}' for {what}"
        )))
    };
    let mut ranges: Vec<CellRange> = look.number_formats.iter().map(|f| f.range).collect();
    ranges.extend(look.conditional_formats.iter().map(|c| c.range));
    ranges.extend(look.autofilter);
    for r in &ranges {
        if r.first_row == 0
            || r.first_col == 0
            || r.first_row > r.last_row
            || r.first_col > r.last_col
            || r.last_row > MAX_ROW
            || r.last_col > MAX_COL
        {
            return bad(format!(
                "a range that is not one ({}:{} to {}:{})",
                r.first_row, r.first_col, r.last_row, r.last_col
            ));
        }
    }
    for f in &look.number_formats {
        if f.format.is_empty() || f.format.len() > 255 {
            return bad("a number format that is empty or longer than 255 characters".into());
        }
    }
    for c in &look.conditional_formats {
        if c.column < c.range.first_col || c.column > c.range.last_col {
            return bad("a conditional format testing a column outside its range".into());
        }
        if c.fill.len() != 6 || !c.fill.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return bad(format!("the fill colour '{}' (six hex digits)", c.fill));
        }
    }
    if let Some(Freeze { rows, cols }) = look.freeze
        && (rows >= MAX_ROW || cols >= MAX_COL || rows + cols == 0)
    {
        return bad("a freeze of no rows and no columns, or of all of them".into());
    }
    if look.charts.len() > MAX_CHARTS {
        return bad(format!("more than {MAX_CHARTS} charts"));
    }
    for c in &look.charts {
        let cols = std::iter::once(c.category_col).chain(c.value_cols.iter().copied());
        if c.value_cols.is_empty()
            || c.value_cols.len() > MAX_SERIES
            || c.first_row == 0
            || c.header_row >= c.first_row
            || c.first_row > c.last_row
            || c.last_row > MAX_ROW
            || cols.clone().any(|col| col == 0 || col > MAX_COL)
        {
            return bad(format!(
                "a chart '{}' whose ranges are not a header, rows and 1 to {MAX_SERIES} series",
                c.title
            ));
        }
    }
    Ok(())
}

/// The worksheet with the look applied but its charts.
pub(crate) struct Restyled {
    pub(crate) xml: String,
    pub(crate) changes: Vec<Change>,
    /// What was asked for and not done, one sentence each.
    pub(crate) not_done: Vec<String>,
}

/// The worksheet with the look applied but its charts, and the changes made.
pub(crate) fn restyle(
    sheet: &str,
    xml: &str,
    look: &Look,
    styles: &mut StylesXml,
    date1904: bool,
) -> Result<Restyled, EditError> {
    let mut xml = xml.to_string();
    let mut changes = Vec::new();
    let mut not_done = Vec::new();
    for format in &look.number_formats {
        xml = number_format(&xml, format.range, &format.format, styles);
        changes.push(Change::FormatSet {
            sheet: sheet.to_string(),
            range: text(format.range),
            format: format.format.clone(),
        });
    }
    for cf in &look.conditional_formats {
        let (element, rule) = conditional(&xml, cf, styles, date1904)?;
        xml = insert_child(&xml, "conditionalFormatting", &element)?;
        changes.push(Change::ConditionalFormatAdded {
            sheet: sheet.to_string(),
            range: text(cf.range),
            rule,
        });
    }
    if let Some(freeze) = look.freeze {
        let (new, cell) = frozen(&xml, freeze)?;
        xml = new;
        changes.push(Change::PanesFrozen {
            sheet: sheet.to_string(),
            cell,
        });
    }
    if let Some(range) = look.autofilter {
        // An Excel table carries its own filter buttons; a sheet filter over it is invalid.
        if children(&xml).iter().any(|(n, ..)| n == "tableParts") {
            not_done.push(format!(
                "no filter was added to sheet '{sheet}': it holds an Excel table, which has \
                 its own filter buttons"
            ));
        } else {
            xml = autofilter(&xml, range)?;
            changes.push(Change::AutoFilterSet {
                sheet: sheet.to_string(),
                range: text(range),
            });
        }
    }
    Ok(Restyled {
        xml,
        changes,
        not_done,
    })
}

fn text(r: CellRange) -> String {
    range_text(r.first_col, r.first_row, r.last_col, r.last_row)
}

/// Every existing cell of `range` given `format`, each keeping the rest of its style.
fn number_format(xml: &str, range: CellRange, format: &str, styles: &mut StylesXml) -> String {
    let mut splices = Splices::default();
    let mut in_data = false;
    for tag in tags(xml) {
        match tag.local() {
            "sheetData" => in_data = !tag.closing && !tag.empty,
            "c" if in_data && !tag.closing => {
                let Some((col, row)) = tag.attr("r").and_then(|r| parse_cell(&r)) else {
                    continue;
                };
                if row < range.first_row
                    || row > range.last_row
                    || col < range.first_col
                    || col > range.last_col
                {
                    continue;
                }
                let base: u32 = tag.attr("s").and_then(|s| s.parse().ok()).unwrap_or(0);
                let made = styles.with_number_format(base, format);
                if made == base && tag.attr("s").is_some() {
                    continue;
                }
                match tag.attr_span("s") {
                    Some((from, to)) => splices.replace(from, to, made.to_string()),
                    None => {
                        splices.insert(tag.start + 1 + tag.name.len(), format!(" s=\"{made}\""))
                    }
                }
            }
            _ => {}
        }
    }
    splices.apply(xml)
}

/// The `<conditionalFormatting>` element of `cf`, and its rule in words.
fn conditional(
    xml: &str,
    cf: &ConditionalFormat,
    styles: &mut StylesXml,
    date1904: bool,
) -> Result<(String, String), EditError> {
    let dxf = styles.fill_dxf(&cf.fill.to_ascii_uppercase());
    let priority = tags(xml)
        .filter(|t| !t.closing && t.local() == "cfRule")
        .filter_map(|t| t.attr("priority").and_then(|p| p.parse::<u32>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let r = cf.range;
    let letter = col_letters(cf.column);
    let cells_only = r.first_col == r.last_col;
    // The tested cell relative to the range's top left: `F2` for cells, `$F2` for rows.
    let cell = if cells_only {
        format!("{letter}{}", r.first_row)
    } else {
        format!("${letter}{}", r.first_row)
    };
    let value = literal(&cf.value, date1904)?;
    let sqref = text(r);
    let (rule, words) = match cf.compare {
        Compare::Contains | Compare::NotContains => {
            let needle = match &cf.value {
                CellValue::Text(t) => t.clone(),
                other => literal(other, date1904)?,
            };
            let quoted = format!("\"{}\"", needle.replace('"', "\"\""));
            let found = format!("ISNUMBER(SEARCH({quoted},{cell}))");
            let (operator, kind, formula) = if cf.compare == Compare::Contains {
                ("containsText", "containsText", found)
            } else {
                ("notContains", "notContainsText", format!("NOT({found})"))
            };
            let rule = if cells_only {
                format!(
                    r#"<cfRule type="{kind}" dxfId="{dxf}" priority="{priority}" operator="{operator}" text="{}"><formula>{}</formula></cfRule>"#,
                    escape(&needle),
                    escape(&formula)
                )
            } else {
                expression(dxf, priority, &formula)
            };
            (rule, formula)
        }
        compare => {
            let (operator, symbol) = match compare {
                Compare::Equal => ("equal", "="),
                Compare::NotEqual => ("notEqual", "<>"),
                Compare::GreaterThan => ("greaterThan", ">"),
                Compare::GreaterThanOrEqual => ("greaterThanOrEqual", ">="),
                Compare::LessThan => ("lessThan", "<"),
                Compare::LessThanOrEqual => ("lessThanOrEqual", "<="),
                Compare::Contains | Compare::NotContains => unreachable!("handled above"),
            };
            // An ordering holds for numbers (and dates) only: Excel ranks any text above
            // every number, and an empty cell as 0.
            let ordering = !matches!(compare, Compare::Equal | Compare::NotEqual);
            let test = format!("{cell}{symbol}{value}");
            if cells_only && !ordering {
                let rule = format!(
                    r#"<cfRule type="cellIs" dxfId="{dxf}" priority="{priority}" operator="{operator}"><formula>{}</formula></cfRule>"#,
                    escape(&value)
                );
                (rule, test)
            } else {
                let formula = if ordering {
                    format!("AND(ISNUMBER({cell}),{test})")
                } else {
                    test
                };
                (expression(dxf, priority, &formula), formula)
            }
        }
    };
    let element =
        format!(r#"<conditionalFormatting sqref="{sqref}">{rule}</conditionalFormatting>"#);
    Ok((element, words))
}

fn expression(dxf: u32, priority: u32, formula: &str) -> String {
    format!(
        r#"<cfRule type="expression" dxfId="{dxf}" priority="{priority}"><formula>{}</formula></cfRule>"#,
        escape(formula)
    )
}

/// A value as an Excel formula literal.
fn literal(value: &CellValue, date1904: bool) -> Result<String, EditError> {
    Ok(match value {
        CellValue::Number(n) => format_number(*n),
        CellValue::Text(t) => format!("\"{}\"", t.replace('"', "\"\"")),
        CellValue::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        CellValue::Date { date } => {
            let (serial, _) = date_serial(date, date1904).map_err(EditError::new)?;
            format_number(serial)
        }
        CellValue::Empty => "\"\"".into(),
        CellValue::Error { error } => error.clone(),
    })
}

/// The worksheet's children: (local name, start, end) of each, in order.
fn children(xml: &str) -> Vec<(String, usize, usize, Tag<'_>)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut open: Option<Tag<'_>> = None;
    for tag in tags(xml) {
        if tag.closing {
            depth = depth.saturating_sub(1);
            if depth == 1
                && let Some(o) = open.take()
            {
                out.push((o.local().to_string(), o.start, tag.end, o));
            }
            continue;
        }
        if depth == 1 {
            if tag.empty {
                out.push((tag.local().to_string(), tag.start, tag.end, tag));
                continue;
            }
            open = Some(tag);
        }
        if !tag.empty {
            depth += 1;
        }
    }
    out
}

fn order(name: &str) -> usize {
    ORDER.iter().position(|n| *n == name).unwrap_or(ORDER.len())
}

/// The prefix (with its colon) the worksheet's elements use.
fn prefix(xml: &str) -> String {
    tags(xml)
        .find(|t| !t.closing && t.local() == "worksheet")
        .and_then(|t| t.name.rsplit_once(':'))
        .map_or(String::new(), |(p, _)| format!("{p}:"))
}

/// Where a new child `name` goes: before the first child the schema orders after it
/// (after the last one of its own kind), else before `</worksheet>`.
fn insert_at(xml: &str, name: &str) -> Result<usize, EditError> {
    let rank = order(name);
    if let Some((_, start, _, _)) = children(xml).iter().find(|(n, ..)| order(n) > rank) {
        return Ok(*start);
    }
    tags(xml)
        .filter(|t| t.closing && t.local() == "worksheet")
        .last()
        .map(|t| t.start)
        .ok_or_else(|| EditError::new("the worksheet part has no </worksheet>".into()))
}

fn insert_child(xml: &str, name: &str, element: &str) -> Result<String, EditError> {
    let element = with_prefix(element, &prefix(xml));
    let at = insert_at(xml, name)?;
    let mut out = xml.to_string();
    out.insert_str(at, &element);
    Ok(out)
}

/// Element names written unprefixed, given the worksheet's prefix.
fn with_prefix(element: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return element.to_string();
    }
    element
        .replace("</", "\u{0}")
        .replace('<', &format!("<{prefix}"))
        .replace('\u{0}', &format!("</{prefix}"))
}

/// The first sheet view frozen at `freeze`: its pane and selections replaced.
fn frozen(xml: &str, freeze: Freeze) -> Result<(String, String), EditError> {
    let Freeze { rows, cols } = freeze;
    let cell = format!("{}{}", col_letters(cols + 1), rows + 1);
    let pane_name = match (rows > 0, cols > 0) {
        (true, true) => "bottomRight",
        (true, false) => "bottomLeft",
        _ => "topRight",
    };
    let p = prefix(xml);
    let mut pane = format!("<{p}pane");
    if cols > 0 {
        pane.push_str(&format!(" xSplit=\"{cols}\""));
    }
    if rows > 0 {
        pane.push_str(&format!(" ySplit=\"{rows}\""));
    }
    pane.push_str(&format!(
        " topLeftCell=\"{cell}\" activePane=\"{pane_name}\" state=\"frozen\"/><{p}selection pane=\"{pane_name}\" activeCell=\"{cell}\" sqref=\"{cell}\"/>"
    ));
    let all: Vec<Tag<'_>> = tags(xml).collect();
    let Some(view) = all
        .iter()
        .position(|t| !t.closing && t.local() == "sheetView")
    else {
        let views = format!(
            "<sheetViews><sheetView workbookViewId=\"0\">{}</sheetView></sheetViews>",
            pane.replace(&format!("<{p}"), "<")
        );
        return Ok((insert_child(xml, "sheetViews", &views)?, cell));
    };
    let open = all[view];
    let mut splices = Splices::default();
    if open.empty {
        let head = open.text.trim_end_matches("/>").trim_end();
        splices.replace(
            open.start,
            open.end,
            format!("{head}>{pane}</{}>", open.name),
        );
        return Ok((splices.apply(xml), cell));
    }
    splices.insert(open.end, pane);
    // The view's own pane and selections go: they describe the old split.
    let mut depth = 0usize;
    let mut skip_from: Option<usize> = None;
    for tag in &all[view + 1..] {
        if tag.local() == "sheetView" && tag.closing && depth == 0 {
            break;
        }
        let mine = matches!(tag.local(), "pane" | "selection") && depth == 0;
        if mine && tag.empty {
            splices.replace(tag.start, tag.end, "");
            continue;
        }
        if tag.closing {
            depth = depth.saturating_sub(1);
            if depth == 0
                && let Some(from) = skip_from.take()
            {
                splices.replace(from, tag.end, "");
            }
        } else if !tag.empty {
            if mine {
                skip_from = Some(tag.start);
            }
            depth += 1;
        }
    }
    Ok((splices.apply(xml), cell))
}

/// The autofilter set on `range`, replacing the sheet's own (and its criteria).
fn autofilter(xml: &str, range: CellRange) -> Result<String, EditError> {
    let element = format!("<autoFilter ref=\"{}\"/>", text(range));
    if let Some((_, start, end, _)) = children(xml).into_iter().find(|(n, ..)| n == "autoFilter") {
        let mut out = xml.to_string();
        out.replace_range(start..end, &with_prefix(&element, &prefix(xml)));
        return Ok(out);
    }
    insert_child(xml, "autoFilter", &element)
}

/// A chart the script asks for, as the chart writer draws it.
fn chart_of(edit: &ChartEdit) -> Chart {
    let rows = (edit.last_row - edit.first_row + 1) as usize;
    let mut categories = edit.categories.clone();
    categories.resize(rows, String::new());
    let series = edit
        .value_cols
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let cached = edit.series.get(i);
            let mut values = cached.map(|s| s.values.clone()).unwrap_or_default();
            values.resize(rows, None);
            Series {
                name: cached.map_or_else(|| col_letters(*col), |s| s.name.clone()),
                values,
            }
        })
        .collect();
    Chart {
        kind: edit.kind,
        title: edit.title.clone(),
        x_title: edit.x_title.clone(),
        y_title: edit.y_title.clone(),
        categories,
        series,
    }
}

/// A chart to draw on a worksheet, and where its data is.
pub(crate) struct Placed {
    pub(crate) chart: Chart,
    pub(crate) layout: Layout,
}

/// The script's charts of a sheet, each placed right of `right_of` (the table's last
/// column), one under the other.
pub(crate) fn placed(charts: &[ChartEdit], right_of: u32) -> Vec<Placed> {
    charts
        .iter()
        .map(|edit| Placed {
            chart: chart_of(edit),
            layout: Layout {
                header_row: edit.header_row,
                first_row: edit.first_row,
                last_row: edit.last_row,
                category_col: edit.category_col,
                value_cols: edit.value_cols.clone(),
                anchor_col: right_of + 1,
            },
        })
        .collect()
}

/// The charts drawn on the worksheet `part` (named `sheet`, its XML `xml`): a chart part
/// each, anchored in the sheet's drawing (a new drawing part when it has none), with
/// their relationships and content types. Returns the worksheet's XML (with its
/// `<drawing>`) and the changes.
pub(crate) fn attach_charts(
    package: &mut Package<'_>,
    workbook: &mut Workbook,
    out: &mut PartChanges,
    part: &str,
    sheet: &str,
    xml: &str,
    charts: Vec<Placed>,
) -> Result<(String, Vec<Change>), EditError> {
    if charts.is_empty() {
        return Ok((xml.to_string(), Vec::new()));
    }
    let sheet_rels = rels_of(part);
    let sheet_links = read_if_any(package, out, &sheet_rels)?;
    let has_drawing = children(xml).iter().any(|(n, ..)| n == "drawing");
    let existing = if has_drawing {
        let target = sheet_links
            .as_deref()
            .map(|rels| relationships(rels, part))
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.kind == "drawing" && !r.external)
            .map(|r| r.target)
            .filter(|t| package.has(t) || out.get(t).is_some())
            .ok_or_else(|| {
                EditError::new(format!(
                    "sheet '{sheet}' names a drawing its relationships do not hold"
                ))
            })?;
        Some(target)
    } else {
        None
    };
    let free = |package: &Package<'_>, out: &PartChanges, name: &str| {
        !package.has(name) && out.get(name).is_none()
    };
    let drawing = match &existing {
        Some(target) => target.clone(),
        None => {
            let mut d = 1;
            while !free(package, out, &format!("xl/drawings/drawing{d}.xml")) {
                d += 1;
            }
            format!("xl/drawings/drawing{d}.xml")
        }
    };
    let drawing_rels_part = rels_of(&drawing);
    let mut drawing_rels = read_if_any(package, out, &drawing_rels_part)?.unwrap_or_else(|| {
        String::from(concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>"#
        ))
    });
    let drawing_xml = match &existing {
        Some(target) => Some(super::parts::current(package, out, target)?),
        None => None,
    };
    // Shape ids are unique in a drawing; relationship ids in its rels.
    let first_shape = drawing_xml.as_deref().map_or(1, |x| {
        tags(x)
            .filter(|t| !t.closing && t.local() == "cNvPr")
            .filter_map(|t| t.attr("id").and_then(|v| v.parse::<usize>().ok()))
            .max()
            .unwrap_or(0)
            + 1
    });
    let mut rel_ids: Vec<String> = relationships(&drawing_rels, &drawing)
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut anchors = String::new();
    let mut new_rels = String::new();
    let mut changes = Vec::new();
    let mut c = 1;
    for (i, placed) in charts.into_iter().enumerate() {
        while !free(package, out, &format!("xl/charts/chart{c}.xml")) {
            c += 1;
        }
        let chart_part = format!("xl/charts/chart{c}.xml");
        let parts = placed.chart.parts_at(sheet, &placed.layout, c);
        out.put(package, &chart_part, parts.chart.into_bytes());
        workbook.add_override(&chart_part, CHART_TYPE)?;
        let mut r = rel_ids.len() + 1;
        while rel_ids.contains(&format!("rId{r}")) {
            r += 1;
        }
        let rid = format!("rId{r}");
        rel_ids.push(rid.clone());
        new_rels.push_str(&format!(
            r#"<Relationship Id="{rid}" Type="{REL}/chart" Target="../charts/chart{c}.xml"/>"#
        ));
        anchors.push_str(&super::chart::anchor_xml(
            placed.layout.anchor_col as usize,
            1 + 22 * i,
            &rid,
            first_shape + i,
            existing.is_some(),
        ));
        let l = &placed.layout;
        let mut ranges = vec![range_text(
            l.category_col,
            l.first_row,
            l.category_col,
            l.last_row,
        )];
        ranges.extend(
            l.value_cols
                .iter()
                .map(|&v| range_text(v, l.first_row, v, l.last_row)),
        );
        changes.push(Change::ChartAdded {
            sheet: sheet.to_string(),
            kind: placed.chart.kind.word().to_string(),
            title: placed.chart.title.clone(),
            ranges,
        });
        c += 1;
    }
    drawing_rels = insert_before_close(&drawing_rels, "Relationships", &new_rels)
        .ok_or_else(|| EditError::new(format!("{drawing_rels_part} is damaged")))?;
    out.put(package, &drawing_rels_part, drawing_rels.into_bytes());
    let Some(drawing_xml) = drawing_xml else {
        // A new drawing: its part, its content type, the sheet's relationship to it.
        let mut fresh = super::chart::drawing_xml_many(&[]);
        fresh = insert_before_close(&fresh, "wsDr", &anchors).unwrap_or(fresh);
        out.put(package, &drawing, fresh.into_bytes());
        workbook.add_override(&drawing, DRAWING_TYPE)?;
        let xml = link_drawing(out, package, part, &sheet_rels, sheet_links, &drawing, xml)?;
        return Ok((xml, changes));
    };
    let drawing_xml = insert_before_close(&drawing_xml, "wsDr", &anchors)
        .ok_or_else(|| EditError::new(format!("{drawing} is damaged")))?;
    out.put(package, &drawing, drawing_xml.into_bytes());
    Ok((xml.to_string(), changes))
}

/// A part's text: as this edit left it, else as the package has it, else `None`.
fn read_if_any(
    package: &mut Package<'_>,
    out: &PartChanges,
    name: &str,
) -> Result<Option<String>, EditError> {
    match out.get(name) {
        Some(bytes) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
        None if package.has(name) => Ok(Some(package.text(name)?)),
        None => Ok(None),
    }
}

/// `text` inserted before the last closing tag of `root` (any prefix).
fn insert_before_close(xml: &str, root: &str, text: &str) -> Option<String> {
    let close = tags(xml)
        .filter(|t| t.closing && t.local() == root)
        .last()?;
    let mut out = xml.to_string();
    out.insert_str(close.start, text);
    Some(out)
}

/// The worksheet's relationship to its new drawing, and its `<drawing>` element.
fn link_drawing(
    out: &mut PartChanges,
    package: &Package<'_>,
    part: &str,
    sheet_rels: &str,
    links: Option<String>,
    drawing: &str,
    xml: &str,
) -> Result<String, EditError> {
    let target = relative(part, drawing);
    let (rels, rid) = match links {
        Some(rels) => {
            let ids: Vec<String> = relationships(&rels, part)
                .into_iter()
                .map(|r| r.id)
                .collect();
            let mut n = ids.len() + 1;
            while ids.contains(&format!("rId{n}")) {
                n += 1;
            }
            let rid = format!("rId{n}");
            let rel =
                format!(r#"<Relationship Id="{rid}" Type="{REL}/drawing" Target="{target}"/>"#);
            let rels = insert_before_close(&rels, "Relationships", &rel)
                .ok_or_else(|| EditError::new(format!("{sheet_rels} is damaged")))?;
            (rels, rid)
        }
        None => (
            format!(
                concat!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
                    r#"<Relationship Id="rId1" Type="{}/drawing" Target="{}"/></Relationships>"#
                ),
                REL, target
            ),
            "rId1".to_string(),
        ),
    };
    out.put(package, sheet_rels, rels.into_bytes());
    let element = format!(r#"<drawing xmlns:r="{REL}" r:id="{rid}"/>"#);
    let p = prefix(xml);
    let element = if p.is_empty() {
        element
    } else {
        element.replacen("<drawing", &format!("<{p}drawing"), 1)
    };
    let at = insert_at(xml, "drawing")?;
    let mut xml = xml.to_string();
    xml.insert_str(at, &element);
    Ok(xml)
}

/// `target`'s name relative to `part`'s folder (`../drawings/drawing1.xml`).
fn relative(part: &str, target: &str) -> String {
    let from: Vec<&str> = part.split('/').collect();
    let to: Vec<&str> = target.split('/').collect();
    let dir = &from[..from.len() - 1];
    let common = dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; dir.len() - common];
    out.extend(&to[common..]);
    out.join("/")
}

/// A new sheet's chart: its first column as categories, a series per other column.
pub(crate) fn new_sheet_chart(
    sheet: &super::edits::NewSheet,
    kind: ChartKind,
    title: &str,
) -> Placed {
    let categories = sheet
        .rows
        .iter()
        .map(|row| match row.first() {
            Some(CellValue::Text(t)) => t.clone(),
            Some(CellValue::Number(n)) => format_number(*n),
            Some(CellValue::Date { date }) => date.clone(),
            Some(CellValue::Bool(b)) => b.to_string(),
            _ => String::new(),
        })
        .collect();
    let series = (1..sheet.columns.len())
        .map(|c| Series {
            name: sheet.columns[c].clone(),
            values: sheet
                .rows
                .iter()
                .map(|row| match row.get(c) {
                    Some(CellValue::Number(n)) => Some(*n),
                    _ => None,
                })
                .collect(),
        })
        .collect();
    let chart = Chart {
        kind,
        title: title.to_string(),
        x_title: sheet.columns.first().cloned().unwrap_or_default(),
        y_title: if sheet.columns.len() == 2 {
            sheet.columns[1].clone()
        } else {
            String::new()
        },
        categories,
        series,
    };
    let layout = Layout::new_sheet(&chart, sheet.columns.len());
    Placed { chart, layout }
}

#[cfg(test)]
#[path = "look_tests.rs"]
mod tests;
