//! `report.docx`: WordprocessingML written directly (the package is a zip of XML parts,
//! as `book/` writes workbooks). Real styles (Title, Heading 1–3, Quote, Caption, Table
//! Grid), tables with a repeated header row, charts as inline pictures with a caption,
//! Word lists, and the title and dates in the core properties. Right-to-left paragraphs
//! are marked so Word orders and shapes them. The fonts travel inside (`webfont`
//! subsets, obfuscated as the format asks), so the document shows CJK, Arabic and Hebrew
//! on a machine without such fonts.

use super::model::{Align, Block, Document, Span, is_rtl};
use super::webfont::{self, WebFont};
use super::{Charts, png_size};
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

/// Text for XML content and attributes; characters XML 1.0 cannot hold are dropped.
fn esc(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn escaped(text: &str) -> String {
    let mut s = String::new();
    esc(text, &mut s);
    s
}

/// Width of the text column: A4 less 2.2 cm margins, in EMU (a chart's width).
const TEXT_WIDTH_EMU: u64 = 5_900_000;

struct Writer<'a> {
    charts: &'a Charts,
    body: String,
    /// Relationships beyond styles and numbering: (id, type, target, external).
    rels: Vec<(String, &'static str, String, bool)>,
    media: Vec<(String, &'a [u8])>,
    /// Numbered lists, each its own `w:num` restarting at its start.
    numbered: Vec<u64>,
    title_done: bool,
    pictures: u32,
}

const REL_IMAGE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";
const REL_LINK: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";

/// Paragraph context: the style a quote gives, and the list a paragraph belongs to.
#[derive(Clone, Copy, Default)]
struct Ctx {
    quote: bool,
    /// (numId, level)
    list: Option<(usize, usize)>,
}

impl<'a> Writer<'a> {
    fn paragraph(&mut self, style: Option<&str>, ctx: Ctx, text: &[Span]) {
        let plain: String = super::model::plain(text);
        let rtl = is_rtl(&plain);
        self.body.push_str("<w:p><w:pPr>");
        let style = style.or(if ctx.quote { Some("Quote") } else { None });
        if let Some(style) = style {
            let _ = write!(self.body, "<w:pStyle w:val=\"{style}\"/>");
        } else if ctx.list.is_some() {
            self.body.push_str("<w:pStyle w:val=\"ListParagraph\"/>");
        }
        if let Some((num, level)) = ctx.list {
            let _ = write!(
                self.body,
                "<w:numPr><w:ilvl w:val=\"{level}\"/><w:numId w:val=\"{num}\"/></w:numPr>"
            );
        }
        if rtl {
            self.body.push_str("<w:bidi/>");
        }
        self.body.push_str("</w:pPr>");
        for span in text {
            self.run(span);
        }
        self.body.push_str("</w:p>");
    }

    fn run(&mut self, span: &Span) {
        let link = span.link.as_ref().map(|url| {
            let id = format!("rIdL{}", self.rels.len() + 1);
            self.rels.push((id.clone(), REL_LINK, url.clone(), true));
            id
        });
        if let Some(id) = &link {
            let _ = write!(self.body, "<w:hyperlink r:id=\"{id}\">");
        }
        for (i, line) in span.text.split('\n').enumerate() {
            self.body.push_str("<w:r><w:rPr>");
            if link.is_some() {
                self.body.push_str("<w:rStyle w:val=\"Hyperlink\"/>");
            }
            if span.style.code {
                self.body.push_str(
                    "<w:rFonts w:ascii=\"Office Sans Mono\" w:hAnsi=\"Office Sans Mono\" w:cs=\"Office Sans Mono\"/>",
                );
            }
            if span.style.bold {
                self.body.push_str("<w:b/><w:bCs/>");
            }
            if span.style.italic {
                self.body.push_str("<w:i/><w:iCs/>");
            }
            if is_rtl(line) {
                self.body.push_str("<w:rtl/>");
            }
            self.body.push_str("</w:rPr>");
            if i > 0 {
                self.body.push_str("<w:br/>");
            }
            self.body.push_str("<w:t xml:space=\"preserve\">");
            esc(line, &mut self.body);
            self.body.push_str("</w:t></w:r>");
        }
        if link.is_some() {
            self.body.push_str("</w:hyperlink>");
        }
    }

    fn blocks(&mut self, blocks: &'a [Block], ctx: Ctx) {
        for block in blocks {
            match block {
                // A heading in the notes is the user's, not a section of the report.
                Block::Heading { text, .. } if ctx.quote || ctx.list.is_some() => {
                    let bold: Vec<Span> = text
                        .iter()
                        .cloned()
                        .map(|mut s| {
                            s.style.bold = true;
                            s
                        })
                        .collect();
                    self.paragraph(None, ctx, &bold);
                }
                Block::Heading { level, text } => {
                    let style = match level {
                        1 if !self.title_done => {
                            self.title_done = true;
                            "Title"
                        }
                        1 | 2 => "Heading1",
                        3 => "Heading2",
                        _ => "Heading3",
                    };
                    self.paragraph(Some(style), ctx, text);
                }
                Block::Paragraph(text) => self.paragraph(None, ctx, text),
                Block::Quote(inner) => self.blocks(inner, Ctx { quote: true, ..ctx }),
                Block::List { start, items } => {
                    let level = ctx.list.map_or(0, |(_, l)| (l + 1).min(2));
                    let num = match start {
                        None => 1,
                        Some(n) => {
                            self.numbered.push(*n);
                            self.numbered.len() + 1
                        }
                    };
                    for item in items {
                        self.blocks(
                            item,
                            Ctx {
                                list: Some((num, level)),
                                ..ctx
                            },
                        );
                    }
                }
                Block::Table { head, rows, align } => self.table(head, rows, align),
                Block::Figure { src, caption } => self.figure(src, caption),
                Block::Code(code) => {
                    for line in code.lines() {
                        let span = Span {
                            text: line.to_string(),
                            style: super::model::Style {
                                code: true,
                                ..Default::default()
                            },
                            link: None,
                        };
                        self.paragraph(Some("NoSpacing"), ctx, &[span]);
                    }
                }
                Block::Rule => self.body.push_str(
                    "<w:p><w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"AAAAAA\"/></w:pBdr></w:pPr></w:p>",
                ),
            }
        }
    }

    fn table(&mut self, head: &[Vec<Span>], rows: &[Vec<Vec<Span>>], align: &[Align]) {
        let columns = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if columns == 0 {
            return;
        }
        let width = 9000 / columns; // twentieths of a point, of a 15.9 cm column
        self.body.push_str(
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/>\
             <w:tblLook w:val=\"04A0\" w:firstRow=\"1\" w:lastRow=\"0\" w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"0\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>",
        );
        for _ in 0..columns {
            let _ = write!(self.body, "<w:gridCol w:w=\"{width}\"/>");
        }
        self.body.push_str("</w:tblGrid>");
        for (r, row) in std::iter::once(head)
            .chain(rows.iter().map(Vec::as_slice))
            .enumerate()
        {
            self.body.push_str("<w:tr>");
            if r == 0 {
                self.body
                    .push_str("<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>");
            }
            for c in 0..columns {
                let _ = write!(
                    self.body,
                    "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>"
                );
                if r == 0 {
                    self.body
                        .push_str("<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E8ECF0\"/>");
                }
                self.body.push_str("</w:tcPr>");
                let mut cell: Vec<Span> = row.get(c).cloned().unwrap_or_default();
                if r == 0 {
                    cell.iter_mut().for_each(|s| s.style.bold = true);
                }
                let plain = super::model::plain(&cell);
                self.body
                    .push_str("<w:p><w:pPr><w:pStyle w:val=\"NoSpacing\"/>");
                if is_rtl(&plain) {
                    self.body.push_str("<w:bidi/>");
                }
                match align.get(c) {
                    Some(Align::Right) => self.body.push_str("<w:jc w:val=\"end\"/>"),
                    Some(Align::Center) => self.body.push_str("<w:jc w:val=\"center\"/>"),
                    _ => {}
                }
                self.body.push_str("</w:pPr>");
                for span in &cell {
                    self.run(span);
                }
                self.body.push_str("</w:p></w:tc>");
            }
            self.body.push_str("</w:tr>");
        }
        // Word needs a paragraph between two tables, and after a table at the end.
        self.body.push_str("</w:tbl><w:p/>");
    }

    fn figure(&mut self, src: &str, caption: &str) {
        if let Some(png) = self.charts.get(src)
            && let Some((w, h)) = png_size(png)
        {
            self.pictures += 1;
            let n = self.pictures;
            let id = format!("rIdImg{n}");
            let target = format!("media/chart{n}.png");
            self.rels
                .push((id.clone(), REL_IMAGE, target.clone(), false));
            self.media.push((format!("word/{target}"), png));
            let cx = TEXT_WIDTH_EMU;
            let cy = TEXT_WIDTH_EMU * u64::from(h) / u64::from(w.max(1));
            let name = escaped(src);
            let descr = escaped(caption);
            let _ = write!(
                self.body,
                "<w:p><w:pPr><w:keepNext/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>\
                 <wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/>\
                 <wp:docPr id=\"{n}\" name=\"{name}\" descr=\"{descr}\"/>\
                 <wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>\
                 <a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
                 <pic:pic><pic:nvPicPr><pic:cNvPr id=\"{n}\" name=\"{name}\" descr=\"{descr}\"/><pic:cNvPicPr/></pic:nvPicPr>\
                 <pic:blipFill><a:blip r:embed=\"{id}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
                 <pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
                 <a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>\
                 </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
            );
        }
        let span = Span {
            text: caption.to_string(),
            style: Default::default(),
            link: None,
        };
        self.paragraph(Some("Caption"), Ctx::default(), &[span]);
    }
}

const NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
    xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
    xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
    xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
    xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"";

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

fn styles() -> String {
    let heading = |id: &str, name: &str, level: u8, size: u8, color: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/><w:basedOn w:val=\"Normal\"/>\
             <w:next w:val=\"Normal\"/><w:uiPriority w:val=\"9\"/><w:qFormat/>\
             <w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"{}\" w:after=\"80\"/><w:outlineLvl w:val=\"{level}\"/></w:pPr>\
             <w:rPr><w:b/><w:bCs/><w:color w:val=\"{color}\"/><w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr></w:style>",
            360 - u32::from(level) * 80
        )
    };
    let mut s = format!(
        "{HEAD}<w:styles {NS}><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"Office Sans\" w:hAnsi=\"Office Sans\" w:eastAsia=\"Office Sans CJK\" w:cs=\"Office Sans\"/>\
         <w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/><w:lang w:val=\"en-US\" w:eastAsia=\"ja-JP\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"120\" w:line=\"276\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>\
         <w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:spacing w:after=\"240\"/><w:contextualSpacing/></w:pPr><w:rPr><w:b/><w:bCs/><w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>"
    );
    s.push_str(&heading("Heading1", "heading 1", 0, 30, "1F3864"));
    s.push_str(&heading("Heading2", "heading 2", 1, 25, "2F5496"));
    s.push_str(&heading("Heading3", "heading 3", 2, 22, "2F5496"));
    s.push_str(
        "<w:style w:type=\"paragraph\" w:styleId=\"Quote\"><w:name w:val=\"Quote\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:pBdr><w:left w:val=\"single\" w:sz=\"18\" w:space=\"8\" w:color=\"9AA5B1\"/></w:pBdr><w:ind w:left=\"432\" w:right=\"432\"/></w:pPr>\
         <w:rPr><w:i/><w:iCs/><w:color w:val=\"404040\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:jc w:val=\"center\"/><w:spacing w:after=\"240\"/></w:pPr><w:rPr><w:i/><w:iCs/><w:color w:val=\"44546A\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:spacing w:after=\"60\"/><w:ind w:left=\"720\"/><w:contextualSpacing/></w:pPr></w:style>\
         <w:style w:type=\"paragraph\" w:styleId=\"NoSpacing\"><w:name w:val=\"No Spacing\"/><w:qFormat/><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:style>\
         <w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/><w:basedOn w:val=\"DefaultParagraphFont\"/><w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>\
         <w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:semiHidden/>\
         <w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         <w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/>\
         <w:tblPr><w:tblBorders><w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/><w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/>\
         <w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/><w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/>\
         <w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/><w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A0A8B0\"/></w:tblBorders>\
         <w:tblCellMar><w:top w:w=\"40\" w:type=\"dxa\"/><w:bottom w:w=\"40\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
         </w:styles>",
    );
    s
}

fn numbering(numbered: &[u64]) -> String {
    let mut s = format!("{HEAD}<w:numbering {NS}>");
    for (id, fmt, texts) in [
        (0, "bullet", ["•", "◦", "▪"]),
        (1, "decimal", ["%1.", "%2.", "%3."]),
    ] {
        let _ = write!(
            s,
            "<w:abstractNum w:abstractNumId=\"{id}\"><w:multiLevelType w:val=\"hybridMultilevel\"/>"
        );
        for (level, text) in texts.iter().enumerate() {
            let _ = write!(
                s,
                "<w:lvl w:ilvl=\"{level}\"><w:start w:val=\"1\"/><w:numFmt w:val=\"{fmt}\"/><w:lvlText w:val=\"{text}\"/>\
                 <w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"{}\" w:hanging=\"360\"/></w:pPr></w:lvl>",
                720 * (level + 1)
            );
        }
        s.push_str("</w:abstractNum>");
    }
    s.push_str("<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>");
    for (i, start) in numbered.iter().enumerate() {
        let _ = write!(
            s,
            "<w:num w:numId=\"{}\"><w:abstractNumId w:val=\"1\"/><w:lvlOverride w:ilvl=\"0\"><w:startOverride w:val=\"{start}\"/></w:lvlOverride></w:num>",
            i + 2
        );
    }
    s.push_str("</w:numbering>");
    s
}

/// The `.docx` package.
pub(crate) fn render(
    doc: &Document,
    charts: &Charts,
    created: chrono::DateTime<chrono::Utc>,
    subject: &str,
    paper: super::Paper,
    fonts: &[WebFont],
) -> Result<Vec<u8>, String> {
    let mut w = Writer {
        charts,
        body: String::with_capacity(8192),
        rels: Vec::new(),
        media: Vec::new(),
        numbered: Vec::new(),
        title_done: false,
        pictures: 0,
    };
    w.blocks(&doc.blocks, Ctx::default());
    // The page in twentieths of a point.
    let (width, height) = match paper {
        super::Paper::A4 => (11906, 16838),
        super::Paper::Letter => (12240, 15840),
    };
    let document = format!(
        "{HEAD}<w:document {NS}><w:body>{}<w:sectPr><w:pgSz w:w=\"{width}\" w:h=\"{height}\"/>\
         <w:pgMar w:top=\"1247\" w:right=\"1247\" w:bottom=\"1247\" w:left=\"1247\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
        w.body
    );
    let mut rels = format!(
        "{HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
         <Relationship Id=\"rIdNumbering\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering\" Target=\"numbering.xml\"/>\
         <Relationship Id=\"rIdFonts\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
         <Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>"
    );
    for (id, kind, target, external) in &w.rels {
        let _ = write!(
            rels,
            "<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{}\"{}/>",
            escaped(target),
            if *external {
                " TargetMode=\"External\""
            } else {
                ""
            }
        );
    }
    rels.push_str("</Relationships>");
    let when = created.format("%Y-%m-%dT%H:%M:%SZ");
    let core = format!(
        "{HEAD}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:subject>{}</dc:subject><dc:creator>office</dc:creator><cp:keywords>report</cp:keywords>\
         <cp:lastModifiedBy>office</cp:lastModifiedBy>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created>\
         <dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:modified></cp:coreProperties>",
        escaped(&doc.title),
        escaped(subject)
    );
    let app = format!(
        "{HEAD}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
         <Application>office</Application></Properties>"
    );
    let types = format!(
        "{HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/>\
         <Default Extension=\"odttf\" ContentType=\"application/vnd.openxmlformats-officedocument.obfuscatedFont\"/>\
         <Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
         <Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
         <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
         <Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
         <Override PartName=\"/word/numbering.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>\
         <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/></Types>"
    );
    let root = format!(
        "{HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
         <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
         <Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/></Relationships>"
    );
    let failed = |e: zip::result::ZipError| format!("writing report.docx failed: {e}");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    // PNG is compressed already.
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let numbering = numbering(&w.numbered);
    let parts: [(&str, &[u8]); 7] = [
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
        ("docProps/app.xml", app.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", rels.as_bytes()),
        ("word/styles.xml", styles_bytes()),
    ];
    for (name, bytes) in parts {
        zip.start_file(name, deflated).map_err(failed)?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    zip.start_file("word/numbering.xml", deflated)
        .map_err(failed)?;
    zip.write_all(numbering.as_bytes())
        .map_err(|e| e.to_string())?;
    for (name, png) in &w.media {
        zip.start_file(name.as_str(), stored).map_err(failed)?;
        zip.write_all(png).map_err(|e| e.to_string())?;
    }
    let embedded = EmbeddedFonts::new(fonts);
    for (name, bytes) in [
        ("word/fontTable.xml", embedded.table.as_bytes()),
        ("word/_rels/fontTable.xml.rels", embedded.rels.as_bytes()),
        ("word/settings.xml", settings().as_bytes()),
    ] {
        zip.start_file(name, deflated).map_err(failed)?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    for (name, data) in &embedded.files {
        zip.start_file(name.as_str(), deflated).map_err(failed)?;
        zip.write_all(data).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(failed)?.into_inner())
}

/// `settings.xml`: the fonts inside are to be used (and kept when Word saves).
fn settings() -> String {
    format!(
        "{HEAD}<w:settings {NS}><w:embedTrueTypeFonts/><w:saveSubsetFonts/>\
         <w:defaultTabStop w:val=\"720\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" \
         w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat></w:settings>"
    )
}

/// The font table with each carried face as an embedded, obfuscated font.
struct EmbeddedFonts {
    table: String,
    rels: String,
    /// (part name, obfuscated bytes)
    files: Vec<(String, Vec<u8>)>,
}

const REL_FONT: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font";

impl EmbeddedFonts {
    fn new(fonts: &[WebFont]) -> EmbeddedFonts {
        let mut table = format!("{HEAD}<w:fonts {NS}>");
        let mut rels = format!(
            "{HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        );
        let mut files = Vec::new();
        for (family, pitch) in [
            (webfont::SANS, "variable"),
            (webfont::MONO, "fixed"),
            (webfont::CJK, "variable"),
        ] {
            let _ = write!(
                table,
                "<w:font w:name=\"{family}\"><w:charset w:val=\"00\"/><w:family w:val=\"{}\"/><w:pitch w:val=\"{pitch}\"/>",
                if pitch == "fixed" { "modern" } else { "swiss" }
            );
            for font in fonts.iter().filter(|f| f.family == family) {
                let n = files.len() + 1;
                let key = font_key(&font.data);
                let element = match (font.bold, font.italic) {
                    (true, _) => "embedBold",
                    (false, true) => "embedItalic",
                    (false, false) => "embedRegular",
                };
                let _ = write!(
                    table,
                    "<w:{element} r:id=\"rIdF{n}\" w:fontKey=\"{}\"/>",
                    key_text(&key)
                );
                let _ = write!(
                    rels,
                    "<Relationship Id=\"rIdF{n}\" Type=\"{REL_FONT}\" Target=\"fonts/font{n}.odttf\"/>"
                );
                files.push((
                    format!("word/fonts/font{n}.odttf"),
                    obfuscate(&font.data, &key),
                ));
            }
            table.push_str("</w:font>");
        }
        table.push_str("</w:fonts>");
        rels.push_str("</Relationships>");
        EmbeddedFonts { table, rels, files }
    }
}

/// A font's key, a GUID: here derived from the font's bytes, so the same report makes
/// the same file.
fn font_key(data: &[u8]) -> [u8; 16] {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(data);
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// The key as a braced GUID (hex groups of 8, 4, 4, 4 and 12 digits), its bytes in order.
fn key_text(key: &[u8; 16]) -> String {
    let hex: String = key.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Font obfuscation of Office Open XML: the first 32 bytes XORed with the key's 16
/// bytes taken from the last hex pair of the GUID to the first.
fn obfuscate(data: &[u8], key: &[u8; 16]) -> Vec<u8> {
    let mut out = data.to_vec();
    for (i, byte) in out.iter_mut().take(32).enumerate() {
        *byte ^= key[15 - (i % 16)];
    }
    out
}

/// The styles part, built once per process.
fn styles_bytes() -> &'static [u8] {
    static STYLES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STYLES.get_or_init(styles).as_bytes()
}
