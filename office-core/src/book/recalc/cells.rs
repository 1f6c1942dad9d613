//! One worksheet's XML, streamed: its formula cells found with the byte spans of their
//! start tag, formula and cached value, and patched in place. Bytes outside the patched
//! `<v>` elements and `<c>` start tags are copied as they are.

use super::{Computed, FormulaError, RecalcError};
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

fn unreadable(sheet: &str, detail: impl std::fmt::Display) -> RecalcError {
    RecalcError::Unreadable(format!("sheet '{sheet}' could not be read ({detail})"))
}

/// A formula cell as stored.
struct FormulaCell {
    row: u32,
    col: u32,
    /// The `<c ...>` start tag's byte span.
    tag: (usize, usize),
    /// Where the `<f>` element ends.
    formula_end: usize,
    /// The `<v>` element's byte span and its raw (escaped) text.
    cached: Option<((usize, usize), String)>,
    /// The cell's `t` attribute (`None`: a number).
    kind: Option<String>,
    /// The namespace prefix of the cell element (`x:` or empty).
    prefix: String,
}

impl FormulaCell {
    /// Whether a cached value is stored (an empty `<v/>` is none, unless the cell says
    /// its value is text: the empty string).
    fn has_cached(&self) -> bool {
        match &self.cached {
            Some((_, text)) => !text.trim().is_empty() || self.kind.as_deref() == Some("str"),
            None => false,
        }
    }

    /// Whether the stored value already is `value`.
    fn holds(&self, value: &Computed) -> bool {
        let Some((_, raw)) = &self.cached else {
            return false;
        };
        let text = decode_text(raw);
        match (self.kind.as_deref(), value) {
            // Excel stores 15 to 17 digits: a last-place difference is the same value.
            (None | Some("n"), Computed::Number(n)) => text
                .trim()
                .parse::<f64>()
                .is_ok_and(|stored| (stored - n).abs() <= 1e-14 * stored.abs().max(n.abs())),
            (Some("str"), Computed::Text(s)) => text == *s,
            (Some("b"), Computed::Bool(b)) => matches!(text.trim(), "1" | "true") == *b,
            (Some("e"), Computed::Error(e)) => text.trim() == e.as_str(),
            _ => false,
        }
    }
}

/// The worksheet with its formula cells' cached values set from `values`; `None` when no
/// cell changed (the part is then copied through untouched).
pub(super) fn fill(
    xml: &[u8],
    sheet: &str,
    values: &BTreeMap<(u32, u32), Computed>,
    only_missing: bool,
) -> Result<Option<Vec<u8>>, RecalcError> {
    patch(xml, sheet, |cell| {
        let value = values.get(&(cell.row, cell.col))?;
        let skip = (only_missing && cell.has_cached()) || cell.holds(value);
        (!skip).then(|| value.clone())
    })
}

/// The worksheet with a 0 cached for every formula cell that has none (what the engine is
/// given: it reports each such cell on standard output); `None` when none lacks one.
pub(super) fn fill_placeholders(xml: &[u8], sheet: &str) -> Result<Option<Vec<u8>>, RecalcError> {
    patch(xml, sheet, |cell| {
        (!cell.has_cached()).then_some(Computed::Number(0.0))
    })
}

/// The worksheet with each formula cell for which `value_of` gives a value set to it.
fn patch(
    xml: &[u8],
    sheet: &str,
    value_of: impl Fn(&FormulaCell) -> Option<Computed>,
) -> Result<Option<Vec<u8>>, RecalcError> {
    let mut out: Vec<u8> = Vec::new();
    let mut copied = 0;
    let mut changed = false;
    scan(xml, sheet, |text, cell| {
        let Some(value) = value_of(cell) else {
            return;
        };
        let value = &value;
        let (kind, cached) = stored_form(value);
        if !changed {
            out.reserve(xml.len() + 1024);
            changed = true;
        }
        let (tag_start, tag_end) = cell.tag;
        out.extend_from_slice(&xml[copied..tag_start]);
        if cell.kind.as_deref() == kind || (kind.is_none() && cell.kind.as_deref() == Some("n")) {
            out.extend_from_slice(&xml[tag_start..tag_end]);
        } else {
            out.extend_from_slice(retyped_tag(&text[tag_start..tag_end], kind).as_bytes());
        }
        let element = format!("<{0}v>{cached}</{0}v>", cell.prefix);
        match &cell.cached {
            Some(((start, end), _)) => {
                out.extend_from_slice(&xml[tag_end..*start]);
                out.extend_from_slice(element.as_bytes());
                copied = *end;
            }
            None => {
                out.extend_from_slice(&xml[tag_end..cell.formula_end]);
                out.extend_from_slice(element.as_bytes());
                copied = cell.formula_end;
            }
        }
    })?;
    if !changed {
        return Ok(None);
    }
    out.extend_from_slice(&xml[copied..]);
    Ok(Some(out))
}

/// How many formula cells of the worksheet store no cached value.
pub(super) fn count_missing(xml: &[u8], sheet: &str) -> Result<usize, RecalcError> {
    let mut missing = 0;
    scan(xml, sheet, |_, cell| {
        if !cell.has_cached() {
            missing += 1;
        }
    })?;
    Ok(missing)
}

/// The `t` attribute and the `<v>` text a value is stored with.
fn stored_form(value: &Computed) -> (Option<&'static str>, String) {
    match value {
        Computed::Number(n) if n.is_finite() => (None, format_number(*n)),
        Computed::Number(_) => (Some("e"), FormulaError::Num.as_str().to_owned()),
        Computed::Text(text) => (Some("str"), escape_text(text)),
        Computed::Bool(b) => (Some("b"), if *b { "1" } else { "0" }.to_owned()),
        Computed::Error(error) => (Some("e"), error.as_str().to_owned()),
    }
}

/// A number as Excel stores it: the shortest text that reads back as the same double.
pub(super) fn format_number(n: f64) -> String {
    if n == 0.0 {
        return "0".to_owned();
    }
    let plain = format!("{n}");
    if plain.len() <= 20 {
        plain
    } else {
        format!("{n:e}").replace('e', "E")
    }
}

/// Text escaped for a `<v>`: XML's three characters, and characters XML cannot hold as
/// OOXML's `_xHHHH_` (a literal `_xHHHH_` is itself escaped, as Excel does).
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32));
            }
            '_' if is_ooxml_escape(&text[index..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
    out
}

fn is_ooxml_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 7
        && bytes[0] == b'_'
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// A `<v>`'s raw text as the value it stands for.
fn decode_text(raw: &str) -> String {
    let unescaped =
        quick_xml::escape::unescape(raw).map_or_else(|_| raw.to_owned(), |t| t.into_owned());
    if !unescaped.contains("_x") {
        return unescaped;
    }
    let mut out = String::with_capacity(unescaped.len());
    let mut rest = unescaped.as_str();
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        let code = is_ooxml_escape(candidate)
            .then(|| u32::from_str_radix(&candidate[2..6], 16).ok())
            .flatten()
            .and_then(char::from_u32);
        match code {
            Some(c) => {
                out.push(c);
                rest = &candidate[7..];
            }
            None => {
                out.push_str("_x");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The start tag again with its `t` attribute set to `kind` (removed for `None`); every
/// other attribute kept in its order with its raw value.
fn retyped_tag(raw: &str, kind: Option<&str>) -> String {
    let empty = raw.ends_with("/>");
    let inner = raw
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let tag = BytesStart::from_content(
        inner,
        inner.find(char::is_whitespace).unwrap_or(inner.len()),
    );
    let mut out = format!("<{}", tag.name().as_ref());
    for attr in tag.attributes().with_checks(false).flatten() {
        if attr.key.as_ref() == "t" {
            continue;
        }
        let quote = if attr.value.contains('"') { '\'' } else { '"' };
        out.push_str(&format!(
            " {}={quote}{}{quote}",
            attr.key.as_ref(),
            attr.value
        ));
    }
    if let Some(kind) = kind {
        out.push_str(&format!(" t=\"{kind}\""));
    }
    out.push_str(if empty { "/>" } else { ">" });
    out
}

/// `B12` → (12, 2).
fn parse_cell_ref(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.chars() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        col = col * 26 + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    Some((digits.parse().ok()?, col))
}

fn attribute(tag: &BytesStart<'_>, name: &str) -> Option<String> {
    tag.attributes()
        .with_checks(false)
        .flatten()
        .find(|attr| attr.key.as_ref() == name)
        .and_then(|attr| {
            quick_xml::escape::unescape(&attr.value)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn prefix_of(tag: &BytesStart<'_>) -> String {
    match tag.name().as_ref().split_once(':') {
        Some((prefix, _)) => format!("{prefix}:"),
        None => String::new(),
    }
}

/// Calls `found` for every formula cell of the worksheet, in document order.
fn scan(
    xml: &[u8],
    sheet: &str,
    mut found: impl FnMut(&str, &FormulaCell),
) -> Result<(), RecalcError> {
    let text = std::str::from_utf8(xml).map_err(|_| unreadable(sheet, "it is not UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut row, mut col) = (0u32, 0u32);
    let mut cell: Option<FormulaCell> = None;
    let mut has_formula = false;
    let mut value_start = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| unreadable(sheet, format!("invalid XML at byte {before}: {e}")))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(tag) | Event::Empty(tag) if tag.local_name().as_ref() == "row" => {
                row = attribute(&tag, "r")
                    .and_then(|r| r.trim().parse().ok())
                    .unwrap_or(row + 1);
                col = 0;
            }
            Event::Start(tag) if tag.local_name().as_ref() == "c" => {
                (row, col) = attribute(&tag, "r")
                    .and_then(|r| parse_cell_ref(&r))
                    .unwrap_or((row, col + 1));
                has_formula = false;
                cell = Some(FormulaCell {
                    row,
                    col,
                    tag: (before, after),
                    formula_end: after,
                    cached: None,
                    kind: attribute(&tag, "t"),
                    prefix: prefix_of(&tag),
                });
            }
            Event::Empty(tag) if tag.local_name().as_ref() == "c" => {
                (row, col) = attribute(&tag, "r")
                    .and_then(|r| parse_cell_ref(&r))
                    .unwrap_or((row, col + 1));
            }
            Event::Empty(tag) if cell.is_some() && tag.local_name().as_ref() == "f" => {
                has_formula = true;
                if let Some(cell) = &mut cell {
                    cell.formula_end = after;
                }
            }
            Event::Start(tag) if cell.is_some() && tag.local_name().as_ref() == "f" => {
                has_formula = true;
            }
            Event::End(tag) if cell.is_some() && tag.local_name().as_ref() == "f" => {
                if let Some(cell) = &mut cell {
                    cell.formula_end = after;
                }
            }
            Event::Empty(tag) if cell.is_some() && tag.local_name().as_ref() == "v" => {
                if let Some(cell) = &mut cell {
                    cell.cached = Some(((before, after), String::new()));
                }
            }
            Event::Start(tag) if cell.is_some() && tag.local_name().as_ref() == "v" => {
                value_start = Some((before, after));
            }
            Event::End(tag) if tag.local_name().as_ref() == "v" => {
                if let (Some(cell), Some((start, text_start))) = (&mut cell, value_start.take()) {
                    cell.cached = Some(((start, after), text[text_start..before].to_owned()));
                }
            }
            Event::End(tag) if tag.local_name().as_ref() == "c" => {
                if let Some(cell) = cell.take()
                    && has_formula
                {
                    found(text, &cell);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}
