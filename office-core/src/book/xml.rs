//! The little XML the package parts around the worksheets need: their tags found with
//! byte positions, so a part is edited by splicing (everything not edited stays as
//! written: namespaces, attribute order, extensions), attributes read and set.
//!
//! These parts (workbook.xml, rels, content types, styles, tables, charts, comments) are
//! small and written by Excel or a library; the worksheets themselves are streamed by
//! `book::sheet`.

#![warn(missing_docs, unreachable_pub)]

use std::borrow::Cow;

/// One tag of a part: `<name attrs>`, `<name attrs/>` or `</name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'x> {
    /// The qualified name (`c:f`, `sheet`).
    pub(crate) name: &'x str,
    /// Byte offset of its `<`.
    pub(crate) start: usize,
    /// Byte offset just past its `>`.
    pub(crate) end: usize,
    /// `</name>`.
    pub(crate) closing: bool,
    /// `<name/>`.
    pub(crate) empty: bool,
    /// The whole tag's text, `<` to `>`.
    pub(crate) text: &'x str,
}

impl<'x> Tag<'x> {
    /// The name after any `prefix:`.
    pub(crate) fn local(&self) -> &'x str {
        self.name.rsplit(':').next().unwrap_or(self.name)
    }

    /// An attribute's value, entities decoded (`name` as written, with any prefix).
    pub(crate) fn attr(&self, name: &str) -> Option<Cow<'x, str>> {
        self.attr_span(name)
            .map(|(from, to)| unescape(&self.text[from - self.start..to - self.start]))
    }

    /// Where an attribute's raw value is in the part: `(from, to)` byte offsets.
    pub(crate) fn attr_span(&self, name: &str) -> Option<(usize, usize)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut at = 1 + self.name.len();
        while at < bytes.len() {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let key_start = at;
            while at < bytes.len()
                && !matches!(bytes[at], b'=' | b'>' | b'/')
                && !bytes[at].is_ascii_whitespace()
            {
                at += 1;
            }
            let key = &text[key_start..at];
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if bytes.get(at) != Some(&b'=') {
                if key.is_empty() {
                    at += 1;
                }
                continue;
            }
            at += 1;
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let quote = *bytes.get(at)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let value_start = at + 1;
            let value_end = value_start + text[value_start..].find(quote as char)?;
            if key == name {
                return Some((self.start + value_start, self.start + value_end));
            }
            at = value_end + 1;
        }
        None
    }
}

/// Every tag of `xml`, in order; comments, processing instructions, doctype and CDATA
/// are skipped.
pub(crate) fn tags(xml: &str) -> Tags<'_> {
    Tags { xml, at: 0 }
}

/// The iterator `tags` returns.
pub(crate) struct Tags<'x> {
    xml: &'x str,
    at: usize,
}

impl<'x> Iterator for Tags<'x> {
    type Item = Tag<'x>;

    fn next(&mut self) -> Option<Tag<'x>> {
        let xml = self.xml;
        loop {
            let start = self.at + xml.get(self.at..)?.find('<')?;
            let rest = &xml[start..];
            let skip_to = |end: &str| rest.find(end).map(|n| start + n + end.len());
            if rest.starts_with("<!--") {
                self.at = skip_to("-->")?;
                continue;
            }
            if rest.starts_with("<![CDATA[") {
                self.at = skip_to("]]>")?;
                continue;
            }
            if rest.starts_with("<?") || rest.starts_with("<!") {
                self.at = skip_to(">")?;
                continue;
            }
            // A `>` inside a quoted attribute value does not end the tag.
            let bytes = rest.as_bytes();
            let mut quote = None;
            let mut end = None;
            for (i, &b) in bytes.iter().enumerate().skip(1) {
                match (quote, b) {
                    (None, b'"' | b'\'') => quote = Some(b),
                    (Some(q), b) if b == q => quote = None,
                    (None, b'>') => {
                        end = Some(i + 1);
                        break;
                    }
                    _ => {}
                }
            }
            let end = start + end?;
            self.at = end;
            let text = &xml[start..end];
            let closing = text.starts_with("</");
            let name_from = if closing { 2 } else { 1 };
            let name_len = text[name_from..]
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(text.len() - name_from);
            return Some(Tag {
                name: &text[name_from..name_from + name_len],
                start,
                end,
                closing,
                empty: text.ends_with("/>"),
                text,
            });
        }
    }
}

/// The text between an opening tag and the next tag (a `<c:f>`'s formula).
pub(crate) fn text_after<'x>(xml: &'x str, open: &Tag<'_>) -> &'x str {
    let rest = &xml[open.end..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

/// XML's named entities and character references decoded (the collect's decoder; borrowed
/// when there is nothing to decode).
pub(crate) fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(crate::collect::external::unescape(text))
}

/// Text made safe for an attribute value or element content.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Edits to one part's text as byte ranges replaced, applied all at once.
#[derive(Debug, Default)]
pub(crate) struct Splices {
    edits: Vec<(usize, usize, String)>,
}

impl Splices {
    /// Replaces `from..to` with `with`.
    pub(crate) fn replace(&mut self, from: usize, to: usize, with: impl Into<String>) {
        self.edits.push((from, to, with.into()));
    }

    /// Inserts `with` at `at`.
    pub(crate) fn insert(&mut self, at: usize, with: impl Into<String>) {
        self.replace(at, at, with);
    }

    /// Whether nothing was edited.
    pub(crate) fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// The text with every edit applied (edits must not overlap).
    pub(crate) fn apply(mut self, text: &str) -> String {
        self.edits.sort_by_key(|e| (e.0, e.1));
        let mut out = String::with_capacity(text.len() + 256);
        let mut at = 0;
        for (from, to, with) in self.edits {
            out.push_str(&text[at..from.max(at)]);
            out.push_str(&with);
            at = to.max(at);
        }
        out.push_str(&text[at..]);
        out
    }
}

/// A relationship of a part: `Id`, `Type` (its last segment), and the target resolved
/// to a part name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relationship {
    /// `rId3`.
    pub(crate) id: String,
    /// The last segment of the type URI (`worksheet`, `calcChain`, `table`).
    pub(crate) kind: String,
    /// The target as a part name (`xl/worksheets/sheet1.xml`); external targets as written.
    pub(crate) target: String,
    /// `TargetMode="External"`.
    pub(crate) external: bool,
}

/// The rels part of a part: `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
pub(crate) fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// The relationships of a rels part, targets resolved against `source` (the part the
/// rels belong to).
pub(crate) fn relationships(rels_xml: &str, source: &str) -> Vec<Relationship> {
    let base = source.rsplit_once('/').map_or("", |(dir, _)| dir);
    tags(rels_xml)
        .filter(|t| !t.closing && t.local() == "Relationship")
        .filter_map(|t| {
            let target = t.attr("Target")?.into_owned();
            let external = t
                .attr("TargetMode")
                .is_some_and(|m| m.eq_ignore_ascii_case("External"));
            let kind = t.attr("Type")?.rsplit('/').next().unwrap_or("").to_string();
            Some(Relationship {
                id: t.attr("Id")?.into_owned(),
                kind,
                target: if external {
                    target
                } else {
                    resolve(base, &target)
                },
                external,
            })
        })
        .collect()
}

/// A relative target resolved against a folder (`xl` + `worksheets/sheet1.xml`, `xl/charts` +
/// `../drawings/drawing1.xml`); an absolute one (`/xl/...`) taken as is.
pub(crate) fn resolve(base: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_attributes_and_splices() {
        let xml = r#"<?xml version="1.0"?><!-- a > b --><wb x:a="1"><sheet name="A &amp; B" r:id='rId1'/><c:f>Data!$A$1</c:f></wb>"#;
        let all: Vec<Tag<'_>> = tags(xml).collect();
        let names: Vec<&str> = all.iter().map(|t| t.name).collect();
        assert_eq!(names, ["wb", "sheet", "c:f", "c:f", "wb"]);
        assert_eq!(all[1].attr("name").as_deref(), Some("A & B"));
        assert_eq!(all[1].attr("r:id").as_deref(), Some("rId1"));
        assert_eq!(all[1].attr("id"), None);
        assert!(all[1].empty && all[3].closing);
        assert_eq!(text_after(xml, &all[2]), "Data!$A$1");
        let (from, to) = all[1].attr_span("name").unwrap();
        let mut splices = Splices::default();
        splices.replace(from, to, "C");
        splices.insert(all[4].start, "<new/>");
        let edited = splices.apply(xml);
        assert!(
            edited.contains(r#"<sheet name="C" r:id='rId1'/>"#),
            "{edited}"
        );
        assert!(edited.ends_with("<new/></wb>"), "{edited}");
    }

    #[test]
    fn targets_resolve_like_opc() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/worksheets", "../tables/table1.xml"),
            "xl/tables/table1.xml"
        );
        assert_eq!(resolve("xl", "/xl/styles.xml"), "xl/styles.xml");
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
