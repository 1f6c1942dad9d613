//! `report.html`: one self-contained file (charts as `data:` URIs, the style inline, no
//! script), readable on a phone and printable. Every text is escaped; `dir="auto"` lets
//! the reader's browser order Arabic and Hebrew. The fonts travel with the page as
//! `@font-face` subsets (`webfont`), so CJK, Arabic and Hebrew show on any browser.

use super::model::{Align, Block, Document, Span};
use super::webfont::WebFont;
use super::{Charts, Paper};
use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

const STYLE: &str = "\
:root{color-scheme:light}\
body{margin:0;background:#fff;color:#1d1d1f;font:16px/1.55 'Office Sans','Office Sans CJK',\
system-ui,-apple-system,'Segoe UI','DejaVu Sans','Noto Sans','Noto Sans CJK JP','Noto Sans Arabic',sans-serif}\
main{max-width:48rem;margin:0 auto;padding:1.5rem 1rem 3rem}\
h1{font-size:1.9rem;line-height:1.2;margin:0 0 1rem}\
h2{font-size:1.35rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid #ddd}\
h3{font-size:1.1rem;margin:1.4rem 0 .4rem}\
blockquote{margin:1rem 0;padding:.4rem 1rem;border-inline-start:4px solid #9aa5b1;background:#f5f7f9;color:#333}\
.table{overflow-x:auto;margin:1rem 0}\
table{border-collapse:collapse;min-width:50%;font-size:.95rem}\
th,td{border:1px solid #ccd;padding:.35rem .6rem;text-align:start;vertical-align:top}\
th{background:#eef1f4}\
td.r,th.r{text-align:end;font-variant-numeric:tabular-nums}td.c,th.c{text-align:center}\
figure{margin:1.2rem 0;text-align:center}\
figure img{max-width:100%;height:auto}\
figcaption{font-size:.9rem;color:#555;margin-top:.3rem}\
code,pre{font-family:'Office Sans Mono','Office Sans CJK','DejaVu Sans Mono',ui-monospace,monospace;font-size:.9em}\
pre{background:#f5f7f9;padding:.6rem;overflow-x:auto}\
@media print{main{max-width:none;padding:0}a{color:inherit}\
h2,h3{break-after:avoid}figure,tr,blockquote{break-inside:avoid}thead{display:table-header-group}}";

/// The whole HTML document, carrying `fonts`.
pub(crate) fn render(doc: &Document, charts: &Charts, paper: Paper, fonts: &[WebFont]) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"office\">\n<title>");
    escape(&doc.title, &mut out);
    let page = match paper {
        Paper::A4 => "A4",
        Paper::Letter => "letter",
    };
    out.push_str("</title>\n<style>");
    for font in fonts {
        let _ = write!(
            out,
            "@font-face{{font-family:'{}';font-weight:{};font-style:{};font-display:block;\
             src:url(data:font/ttf;base64,",
            font.family,
            if font.bold { 700 } else { 400 },
            if font.italic { "italic" } else { "normal" },
        );
        base64(&font.data, &mut out);
        out.push_str(") format('truetype')}\n");
    }
    let _ = write!(
        out,
        "{STYLE}@page{{size:{page};margin:18mm}}</style>\n</head>\n<body>\n<main>\n"
    );
    blocks(&doc.blocks, charts, &mut out);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn blocks(blocks: &[Block], charts: &Charts, out: &mut String) {
    for block in blocks {
        match block {
            Block::Heading { level, text } => {
                let level = (*level).clamp(1, 6);
                let _ = write!(out, "<h{level} dir=\"auto\">");
                inlines(text, out);
                let _ = writeln!(out, "</h{level}>");
            }
            Block::Paragraph(text) => {
                out.push_str("<p dir=\"auto\">");
                inlines(text, out);
                out.push_str("</p>\n");
            }
            Block::Quote(inner) => {
                out.push_str("<blockquote dir=\"auto\">\n");
                self::blocks(inner, charts, out);
                out.push_str("</blockquote>\n");
            }
            Block::List { start, items } => {
                match start {
                    Some(1) => out.push_str("<ol>\n"),
                    Some(n) => {
                        let _ = writeln!(out, "<ol start=\"{n}\">");
                    }
                    None => out.push_str("<ul>\n"),
                }
                for item in items {
                    out.push_str("<li dir=\"auto\">");
                    // A tight item's one paragraph is shown without its own margins.
                    match item.as_slice() {
                        [Block::Paragraph(text)] => inlines(text, out),
                        _ => self::blocks(item, charts, out),
                    }
                    out.push_str("</li>\n");
                }
                out.push_str(if start.is_some() {
                    "</ol>\n"
                } else {
                    "</ul>\n"
                });
            }
            Block::Table { head, rows, align } => {
                out.push_str("<div class=\"table\"><table>\n<thead><tr>");
                for (i, cell) in head.iter().enumerate() {
                    let _ = write!(out, "<th{} dir=\"auto\">", class(align.get(i)));
                    inlines(cell, out);
                    out.push_str("</th>");
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        let _ = write!(out, "<td{} dir=\"auto\">", class(align.get(i)));
                        inlines(cell, out);
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table></div>\n");
            }
            Block::Figure { src, caption } => {
                out.push_str("<figure>");
                if let Some(png) = charts.get(src) {
                    out.push_str("<img src=\"data:image/png;base64,");
                    base64(png, out);
                    out.push_str("\" alt=\"");
                    escape(caption, out);
                    if let Some((w, h)) = super::png_size(png) {
                        let _ = write!(out, "\" width=\"{w}\" height=\"{h}");
                    }
                    out.push_str("\">");
                }
                out.push_str("<figcaption dir=\"auto\">");
                escape(caption, out);
                out.push_str("</figcaption></figure>\n");
            }
            Block::Code(code) => {
                out.push_str("<pre><code>");
                escape(code, out);
                out.push_str("</code></pre>\n");
            }
            Block::Rule => out.push_str("<hr>\n"),
        }
    }
}

fn class(align: Option<&Align>) -> &'static str {
    match align {
        Some(Align::Right) => " class=\"r\"",
        Some(Align::Center) => " class=\"c\"",
        _ => "",
    }
}

fn inlines(spans: &[Span], out: &mut String) {
    for span in spans {
        let mut close = Vec::new();
        if let Some(link) = &span.link {
            out.push_str("<a href=\"");
            escape(link, out);
            out.push_str("\" rel=\"noopener noreferrer\">");
            close.push("</a>");
        }
        for (on, open, end) in [
            (span.style.bold, "<strong>", "</strong>"),
            (span.style.italic, "<em>", "</em>"),
            (span.style.code, "<code>", "</code>"),
        ] {
            if on {
                out.push_str(open);
                close.push(end);
            }
        }
        for (i, line) in span.text.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            escape(line, out);
        }
        for end in close.iter().rev() {
            out.push_str(end);
        }
    }
}

/// Standard base64 with padding, for `data:` URIs.
fn base64(data: &[u8], out: &mut String) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        for (input, expected) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            base64(input, &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn the_style_names_the_carried_families() {
        use super::super::webfont::{CJK, MONO, SANS};
        for family in [SANS, MONO, CJK] {
            assert!(STYLE.contains(&format!("'{family}'")), "{family}");
        }
    }

    #[test]
    fn markup_in_the_report_is_text() {
        let doc = Document::parse(
            "# T <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n",
        );
        let html = render(&doc, &Charts::default(), Paper::A4, &[]);
        assert!(!html.contains("<script>") && !html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"));
    }
}
