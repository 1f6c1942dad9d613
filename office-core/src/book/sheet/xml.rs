//! The XML underneath the worksheet rewriter: events with their exact byte spans (so
//! what is not changed is copied as it was), attributes read and rewritten.

use super::EditError;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::ops::Range;

/// A reader over a worksheet (or part of one), giving each event with its span.
pub(super) struct Events<'a> {
    reader: Reader<&'a [u8]>,
    /// Where the slice starts in the whole part (spans are in the whole part).
    base: usize,
}

/// One event and where it is.
pub(super) struct Spanned<'a> {
    pub(super) event: Event<'a>,
    pub(super) span: Range<usize>,
}

impl<'a> Events<'a> {
    /// Events of `text`, which starts at `base` in the part.
    pub(super) fn new(text: &'a str, base: usize) -> Events<'a> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        Events { reader, base }
    }

    /// The next event, `None` at the end.
    pub(super) fn next(&mut self) -> Result<Option<Spanned<'a>>, EditError> {
        let start = self.reader.buffer_position() as usize;
        let event = self.reader.read_event().map_err(|e| {
            EditError::new(format!(
                "The worksheet's XML is not well formed near byte {}: {e}.",
                self.base + start
            ))
        })?;
        let end = self.reader.buffer_position() as usize;
        if matches!(event, Event::Eof) {
            return Ok(None);
        }
        if matches!(event, Event::DocType(_)) {
            return Err(EditError::new(
                "The worksheet's XML declares a document type, which a worksheet never has.".into(),
            ));
        }
        Ok(Some(Spanned {
            event,
            span: self.base + start..self.base + end,
        }))
    }

    /// Past the end of the element whose start was just read: the end of its span.
    pub(super) fn skip_element(&mut self, start: &BytesStart<'_>) -> Result<usize, EditError> {
        let name = start.name().as_ref().to_owned();
        let mut depth = 0usize;
        while let Some(s) = self.next()? {
            match s.event {
                Event::Start(_) => depth += 1,
                Event::End(e) if depth == 0 && e.name().as_ref() == name => return Ok(s.span.end),
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        Err(EditError::new(format!(
            "The worksheet's XML ends inside a <{name}> element."
        )))
    }
}

/// The local name of an element (`x:row` → `row`).
pub(super) fn local<'e>(e: &'e BytesStart<'_>) -> &'e str {
    e.local_name().into_inner()
}

/// An attribute's value as a number, read without copying.
pub(super) fn attr_number(e: &BytesStart<'_>, key: &str) -> Option<u32> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| a.value.trim().parse().ok())
}

/// An attribute's value, unescaped.
pub(super) fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.as_ref() == key).then(|| match a.value.contains('&') {
            false => a.value.into_owned(),
            true => quick_xml::escape::unescape(&a.value)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.clone().into_owned()),
        })
    })
}

/// A start (or empty) tag written again with some attributes replaced (`Some`), removed
/// (`None`) or, when absent, appended (`Some`); the others as they were, in order.
pub(super) fn rewrite_tag(e: &BytesStart<'_>, empty: bool, set: &[(&str, Option<&str>)]) -> String {
    let mut out = String::with_capacity(e.len() + 16);
    out.push('<');
    out.push_str(e.name().as_ref());
    let mut done = vec![false; set.len()];
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref();
        match set.iter().position(|(k, _)| *k == key) {
            Some(i) => {
                done[i] = true;
                if let Some(value) = set[i].1 {
                    push_attr(&mut out, key, &escape(value));
                }
            }
            None => push_attr(&mut out, key, &a.value),
        }
    }
    for (i, (key, value)) in set.iter().enumerate() {
        if let (false, Some(value)) = (done[i], value) {
            push_attr(&mut out, key, &escape(value));
        }
    }
    out.push_str(if empty { "/>" } else { ">" });
    out
}

fn push_attr(out: &mut String, key: &str, raw_value: &str) {
    let quote = if raw_value.contains('"') { '\'' } else { '"' };
    out.push(' ');
    out.push_str(key);
    out.push('=');
    out.push(quote);
    out.push_str(raw_value);
    out.push(quote);
}

/// Text or an attribute value (written in double quotes) escaped for XML: `&`, `<`, `>`
/// and `"` only, so a formula's `'Sheet'!A1` stays readable.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
