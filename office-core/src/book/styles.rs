//! styles.xml: cell formats appended (a number format, a bold font) for the cells the
//! write-back adds; existing indices never change, so every cell of the input keeps its
//! look. The part is rewritten only when something was appended.

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use super::sheet::Styles;
use super::xml::{Splices, Tag, escape, tags, unescape};
use std::collections::HashMap;

/// The first id Excel gives a custom number format.
const FIRST_CUSTOM_FORMAT: u32 = 164;

/// Excel's built-in number formats by code (the ids every reader knows).
const BUILT_IN: &[(u32, &str)] = &[
    (0, "General"),
    (1, "0"),
    (2, "0.00"),
    (3, "#,##0"),
    (4, "#,##0.00"),
    (9, "0%"),
    (10, "0.00%"),
    (11, "0.00E+00"),
    (12, "# ?/?"),
    (13, "# ??/??"),
    (14, "mm-dd-yy"),
    (15, "d-mmm-yy"),
    (16, "d-mmm"),
    (17, "mmm-yy"),
    (18, "h:mm AM/PM"),
    (19, "h:mm:ss AM/PM"),
    (20, "h:mm"),
    (21, "h:mm:ss"),
    (22, "m/d/yy h:mm"),
    (37, "#,##0 ;(#,##0)"),
    (38, "#,##0 ;[Red](#,##0)"),
    (39, "#,##0.00;(#,##0.00)"),
    (40, "#,##0.00;[Red](#,##0.00)"),
    (45, "mm:ss"),
    (46, "[h]:mm:ss"),
    (47, "mmss.0"),
    (48, "##0.0E+0"),
    (49, "@"),
];

/// A minimal styles part: one font, fill pair, border and the default cell format, for
/// workbooks the write-back builds itself.
pub(crate) const MINIMAL_STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>"#,
    r#"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#,
    r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>"#,
    r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    r#"</styleSheet>"#
);

/// styles.xml, read, with what the write-back appended.
#[derive(Debug)]
pub(crate) struct StylesXml {
    xml: String,
    /// Custom number formats: id → code.
    formats: Vec<(u32, String)>,
    fonts: Vec<String>,
    xfs: Vec<String>,
    new_formats: Vec<(u32, String)>,
    new_fonts: Vec<String>,
    new_xfs: Vec<String>,
    /// Differential formats (conditional formats' looks) in the part, and appended.
    dxfs: usize,
    new_dxfs: Vec<String>,
    made: HashMap<(u32, Wanted), u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Wanted {
    Format(String),
    Bold,
}

impl StylesXml {
    /// Reads a styles part.
    pub(crate) fn parse(xml: String) -> Result<StylesXml, EditError> {
        let all: Vec<Tag<'_>> = tags(&xml).collect();
        let mut formats = Vec::new();
        for tag in all.iter().filter(|t| !t.closing && t.local() == "numFmt") {
            if let (Some(id), Some(code)) = (tag.attr("numFmtId"), tag.attr("formatCode")) {
                formats.push((id.parse().unwrap_or(0), code.into_owned()));
            }
        }
        let fonts = elements(&xml, &all, "fonts", "font");
        let xfs = elements(&xml, &all, "cellXfs", "xf");
        if xfs.is_empty() {
            return Err(EditError::new(
                "the workbook's styles part has no cell formats".into(),
            ));
        }
        let dxfs = elements(&xml, &all, "dxfs", "dxf").len();
        Ok(StylesXml {
            xml,
            formats,
            fonts,
            xfs,
            new_formats: Vec::new(),
            new_fonts: Vec::new(),
            new_xfs: Vec::new(),
            dxfs,
            new_dxfs: Vec::new(),
            made: HashMap::new(),
        })
    }

    /// The number format code of a cell format (`General` when it has none).
    #[cfg(test)]
    pub(crate) fn format_code(&self, xf: u32) -> String {
        let id = self
            .xf(xf)
            .and_then(|x| attr_of(x, "numFmtId"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.formats
            .iter()
            .chain(&self.new_formats)
            .find(|(i, _)| *i == id)
            .map(|(_, c)| c.clone())
            .or_else(|| {
                BUILT_IN
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, c)| c.to_string())
            })
            .unwrap_or_else(|| "General".into())
    }

    /// Whether anything was appended.
    pub(crate) fn changed(&self) -> bool {
        !self.new_xfs.is_empty() || !self.new_dxfs.is_empty()
    }

    /// The index of a differential format that fills a cell with `rgb` (six hex digits)
    /// and writes its text in a darker shade, as Excel's highlight presets do.
    pub(crate) fn fill_dxf(&mut self, rgb: &str) -> u32 {
        let text = match rgb {
            "FFC7CE" => "9C0006",
            "C6EFCE" => "006100",
            "FFEB9C" => "9C5700",
            _ => "000000",
        };
        let dxf = format!(
            "<dxf><font><color rgb=\"FF{text}\"/></font><fill><patternFill><bgColor rgb=\"FF{rgb}\"/></patternFill></fill></dxf>"
        );
        if let Some(i) = self.new_dxfs.iter().position(|d| *d == dxf) {
            return (self.dxfs + i) as u32;
        }
        self.new_dxfs.push(dxf);
        (self.dxfs + self.new_dxfs.len() - 1) as u32
    }

    /// The part rewritten with what was appended; `None` when nothing was.
    pub(crate) fn finish(self) -> Option<String> {
        if !self.changed() {
            return None;
        }
        let all: Vec<Tag<'_>> = tags(&self.xml).collect();
        let mut splices = Splices::default();
        let formats: Vec<String> = self
            .new_formats
            .iter()
            .map(|(id, code)| {
                format!(
                    "<numFmt numFmtId=\"{id}\" formatCode=\"{}\"/>",
                    escape(code)
                )
            })
            .collect();
        if !append(&all, &mut splices, "numFmts", &formats, self.formats.len()) {
            // No numFmts list yet: it is the first child of styleSheet.
            if let Some(root) = all.iter().find(|t| !t.closing && t.local() == "styleSheet") {
                splices.insert(
                    root.end,
                    format!(
                        "<numFmts count=\"{}\">{}</numFmts>",
                        formats.len(),
                        formats.concat()
                    ),
                );
            }
        }
        append(
            &all,
            &mut splices,
            "fonts",
            &self.new_fonts,
            self.fonts.len(),
        );
        append(&all, &mut splices, "cellXfs", &self.new_xfs, self.xfs.len());
        if !append(&all, &mut splices, "dxfs", &self.new_dxfs, self.dxfs) {
            // No dxfs list yet: it follows cellStyles (or cellXfs).
            let after = ["cellStyles", "cellXfs"].iter().find_map(|list| {
                let open = all.iter().find(|t| !t.closing && t.local() == *list)?;
                if open.empty {
                    return Some(open.end);
                }
                all.iter()
                    .find(|t| t.closing && t.local() == *list && t.start > open.start)
                    .map(|t| t.end)
            });
            if let Some(at) = after {
                splices.insert(
                    at,
                    format!(
                        "<dxfs count=\"{}\">{}</dxfs>",
                        self.new_dxfs.len(),
                        self.new_dxfs.concat()
                    ),
                );
            }
        }
        Some(splices.apply(&self.xml))
    }

    fn xf(&self, index: u32) -> Option<&str> {
        let i = index as usize;
        self.xfs
            .get(i)
            .or_else(|| self.new_xfs.get(i.checked_sub(self.xfs.len())?))
            .map(String::as_str)
    }

    fn font(&self, index: u32) -> Option<&str> {
        let i = index as usize;
        self.fonts
            .get(i)
            .or_else(|| self.new_fonts.get(i.checked_sub(self.fonts.len())?))
            .map(String::as_str)
    }

    fn format_id(&mut self, code: &str) -> u32 {
        if let Some((id, _)) = BUILT_IN.iter().find(|(_, c)| *c == code) {
            return *id;
        }
        if let Some((id, _)) = self
            .formats
            .iter()
            .chain(&self.new_formats)
            .find(|(_, c)| c == code)
        {
            return *id;
        }
        let id = self
            .formats
            .iter()
            .chain(&self.new_formats)
            .map(|(id, _)| id + 1)
            .max()
            .unwrap_or(FIRST_CUSTOM_FORMAT)
            .max(FIRST_CUSTOM_FORMAT);
        self.new_formats.push((id, code.to_string()));
        id
    }

    fn push_xf(&mut self, xf: String) -> u32 {
        self.new_xfs.push(xf);
        (self.xfs.len() + self.new_xfs.len() - 1) as u32
    }

    fn base(&self, base: u32) -> String {
        self.xf(base)
            .or_else(|| self.xf(0))
            .unwrap_or("<xf/>")
            .to_string()
    }
}

impl Styles for StylesXml {
    fn with_number_format(&mut self, base: u32, format: &str) -> u32 {
        let key = (base, Wanted::Format(format.to_string()));
        if let Some(&made) = self.made.get(&key) {
            return made;
        }
        let id = self.format_id(format);
        let xf = self.base(base);
        if attr_of(&xf, "numFmtId")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            == id
            && self.xf(base).is_some()
        {
            return base;
        }
        let xf = set_attr(
            &set_attr(&xf, "numFmtId", &id.to_string()),
            "applyNumberFormat",
            "1",
        );
        let made = self.push_xf(xf);
        self.made.insert(key, made);
        made
    }

    fn bold(&mut self, base: u32) -> u32 {
        let key = (base, Wanted::Bold);
        if let Some(&made) = self.made.get(&key) {
            return made;
        }
        let xf = self.base(base);
        let font_id: u32 = attr_of(&xf, "fontId")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let font = self.font(font_id).unwrap_or("<font/>").to_string();
        if tags(&font)
            .any(|t| !t.closing && t.local() == "b" && t.attr("val").is_none_or(|v| v != "0"))
        {
            return base;
        }
        let bold_font = match tags(&font).next() {
            Some(open) if open.empty => {
                format!("{}><b/></{}>", open.text.trim_end_matches("/>"), open.name)
            }
            Some(open) => format!("{}<b/>{}", &font[..open.end], &font[open.end..]),
            None => "<font><b/></font>".to_string(),
        };
        self.new_fonts.push(bold_font);
        let new_font = (self.fonts.len() + self.new_fonts.len() - 1).to_string();
        let xf = set_attr(&set_attr(&xf, "fontId", &new_font), "applyFont", "1");
        let made = self.push_xf(xf);
        self.made.insert(key, made);
        made
    }
}

/// New entries appended to a list element (`fonts`, `cellXfs`) and its count set; `false`
/// when the part has no such list.
fn append(
    all: &[Tag<'_>],
    splices: &mut Splices,
    list: &str,
    new: &[String],
    existing: usize,
) -> bool {
    if new.is_empty() {
        return true;
    }
    let Some(open) = all.iter().find(|t| !t.closing && t.local() == list) else {
        return false;
    };
    let prefix = open
        .name
        .rsplit_once(':')
        .map_or(String::new(), |(p, _)| format!("{p}:"));
    let count = (existing + new.len()).to_string();
    let body: String = new.concat();
    if open.empty {
        let inner = open.text.trim_end_matches("/>").trim_end();
        let inner = match open.attr_span("count") {
            Some(_) => set_attr(&format!("{inner}/>"), "count", &count)
                .trim_end_matches("/>")
                .to_string(),
            None => format!("{inner} count=\"{count}\""),
        };
        splices.replace(
            open.start,
            open.end,
            format!("{inner}>{body}</{prefix}{list}>"),
        );
        return true;
    }
    if let Some(close) = all
        .iter()
        .find(|t| t.closing && t.local() == list && t.start > open.start)
    {
        splices.insert(close.start, body);
    }
    match open.attr_span("count") {
        Some((from, to)) => splices.replace(from, to, count),
        None => splices.insert(
            open.start + 1 + open.name.len(),
            format!(" count=\"{count}\""),
        ),
    }
    true
}

/// The full text of each `item` element directly in the `list` element.
fn elements(xml: &str, all: &[Tag<'_>], list: &str, item: &str) -> Vec<String> {
    let Some(open) = all.iter().position(|t| !t.closing && t.local() == list) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for tag in &all[open + 1..] {
        if tag.local() == list && tag.closing {
            break;
        }
        if tag.local() == item && depth == 0 {
            if tag.empty {
                out.push(tag.text.to_string());
                continue;
            }
            if !tag.closing {
                start = Some(tag.start);
                depth = 1;
                continue;
            }
        }
        if depth > 0 {
            if tag.local() == item && tag.closing {
                depth -= 1;
                if depth == 0
                    && let Some(s) = start.take()
                {
                    out.push(xml[s..tag.end].to_string());
                }
            } else if tag.local() == item && !tag.empty {
                depth += 1;
            }
        }
    }
    out
}

/// An attribute of an element's first tag.
fn attr_of(element: &str, name: &str) -> Option<String> {
    tags(element)
        .next()?
        .attr(name)
        .map(|v| unescape(&v).into_owned())
}

/// The element with an attribute of its first tag set (added when missing).
fn set_attr(element: &str, name: &str, value: &str) -> String {
    let Some(open) = tags(element).next() else {
        return element.to_string();
    };
    let mut splices = Splices::default();
    match open.attr_span(name) {
        Some((from, to)) => splices.replace(from, to, value),
        None => splices.insert(
            open.start + 1 + open.name.len(),
            format!(" {name}=\"{value}\""),
        ),
    }
    splices.apply(element)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: &str = r#"<?xml version="1.0"?><styleSheet xmlns="x"><numFmts count="1"><numFmt numFmtId="164" formatCode="&quot;$&quot;#,##0.00"/></numFmts><fonts count="2"><font><sz val="11"/></font><font><b/><sz val="11"/></font></fonts><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1"><alignment horizontal="center"/></xf></cellXfs></styleSheet>"#;

    #[test]
    fn formats_and_fonts_are_appended_and_existing_indices_stay() {
        let mut styles = StylesXml::parse(STYLES.to_string()).unwrap();
        assert_eq!(styles.format_code(1), "\"$\"#,##0.00");
        assert_eq!(
            styles.with_number_format(1, "\"$\"#,##0.00"),
            1,
            "already that format"
        );
        let pct = styles.with_number_format(1, "0.0%");
        assert_eq!(pct, 2);
        assert_eq!(styles.with_number_format(1, "0.0%"), 2, "made once");
        assert_eq!(styles.format_code(pct), "0.0%");
        let two = styles.with_number_format(0, "0.00");
        assert_eq!(styles.format_code(two), "0.00");
        let bold = styles.bold(1);
        assert_eq!(bold, 4);
        let xml = styles.finish().unwrap();
        assert!(xml.contains(r#"<numFmts count="2">"#), "{xml}");
        assert!(
            xml.contains(r#"<numFmt numFmtId="165" formatCode="0.0%"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<fonts count="3">"#)
                && xml.contains("<font><b/><sz val=\"11\"/></font></fonts>"),
            "{xml}"
        );
        assert!(xml.contains(r#"<cellXfs count="5">"#), "{xml}");
        assert!(
            xml.contains(r#"<xf numFmtId="165" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1"><alignment horizontal="center"/></xf>"#),
            "the base format's fill and alignment are kept: {xml}"
        );
        assert!(
            xml.contains(r#"<xf applyFont="1" numFmtId="164" fontId="2""#)
                || xml.contains(r#"fontId="2""#),
            "{xml}"
        );
        // Everything before the appended entries is as it was.
        let original_xfs =
            &STYLES[STYLES.find("<cellXfs").unwrap() + 18..STYLES.find("</cellXfs>").unwrap()];
        assert!(xml.contains(original_xfs));
    }

    #[test]
    fn nothing_appended_leaves_the_part_alone_and_minimal_parses() {
        let mut styles = StylesXml::parse(MINIMAL_STYLES.to_string()).unwrap();
        assert!(styles.finish().is_none());
        styles = StylesXml::parse(MINIMAL_STYLES.to_string()).unwrap();
        let date = styles.with_number_format(0, "yyyy-mm-dd");
        assert_eq!(date, 1);
        let xml = styles.finish().unwrap();
        assert!(xml.contains(r#"<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts"#), "{xml}");
    }
}
