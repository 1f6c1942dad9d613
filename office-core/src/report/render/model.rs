//! The report as blocks: the checked `report.md` parsed once (pulldown-cmark), so that
//! the HTML, the Word and the PDF documents show the same text. Raw HTML in the Markdown
//! (a model may write some) stays text: no renderer ever passes it through as markup.

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// How a run of text is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Style {
    pub bold: bool,
    pub italic: bool,
    pub code: bool,
}

/// A run of text in one style; `\n` inside is a hard line break.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    pub text: String,
    pub style: Style,
    /// An `http(s)` or `mailto` target; other schemes are dropped (never a script).
    pub link: Option<String>,
}

pub(crate) type Inlines = Vec<Span>;

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: Inlines,
    },
    Paragraph(Inlines),
    /// Quoted text: the user's notes.
    Quote(Vec<Block>),
    List {
        /// The first number of a numbered list; `None` for bullets.
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Table {
        head: Vec<Inlines>,
        rows: Vec<Vec<Inlines>>,
        align: Vec<Align>,
    },
    /// A chart: the image file the Markdown names, and its alt text as the caption.
    Figure {
        src: String,
        caption: String,
    },
    Code(String),
    Rule,
}

/// The parsed report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// The first level-1 heading's text (`Report` when there is none).
    pub title: String,
    pub blocks: Vec<Block>,
}

/// The text of some inlines, styles dropped.
pub(crate) fn plain(inlines: &[Span]) -> String {
    inlines.iter().map(|s| s.text.as_str()).collect()
}

/// Whether text reads right to left: its first strong character is Hebrew or Arabic
/// (the rule a browser applies to `dir="auto"`).
pub(crate) fn is_rtl(text: &str) -> bool {
    for c in text.chars() {
        match unicode_bidi::bidi_class(c) {
            unicode_bidi::BidiClass::R | unicode_bidi::BidiClass::AL => return true,
            unicode_bidi::BidiClass::L => return false,
            _ => {}
        }
    }
    false
}

impl Document {
    /// Parses report Markdown (CommonMark with tables and strikethrough).
    pub(crate) fn parse(markdown: &str) -> Document {
        let mut b = Builder {
            stack: vec![Level::default()],
            ..Builder::default()
        };
        let parser = Parser::new_ext(
            markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        );
        for event in parser {
            b.event(event);
        }
        b.close_paragraph();
        let blocks = b.stack.pop().map(|f| f.blocks).unwrap_or_default();
        let title = blocks
            .iter()
            .find_map(|b| match b {
                Block::Heading { level: 1, text } => Some(plain(text)),
                _ => None,
            })
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "Report".into());
        Document { title, blocks }
    }

    /// The level-2 headings: the report's sections.
    pub(crate) fn sections(&self) -> Vec<String> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level: 2, text } => Some(plain(text)),
                _ => None,
            })
            .collect()
    }

    /// Every image file the report shows, in order.
    pub(crate) fn figures(&self) -> Vec<String> {
        let mut out = Vec::new();
        fn walk(blocks: &[Block], out: &mut Vec<String>) {
            for b in blocks {
                match b {
                    Block::Figure { src, .. } if !out.contains(src) => out.push(src.clone()),
                    Block::Quote(inner) => walk(inner, out),
                    Block::List { items, .. } => items.iter().for_each(|i| walk(i, out)),
                    _ => {}
                }
            }
        }
        walk(&self.blocks, &mut out);
        out
    }

    /// The report's text, one block a line: what every document shows (the tests compare
    /// the documents with it).
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        fn walk(blocks: &[Block], out: &mut String) {
            for b in blocks {
                match b {
                    Block::Heading { text, .. } | Block::Paragraph(text) => {
                        out.push_str(&plain(text));
                        out.push('\n');
                    }
                    Block::Quote(inner) => walk(inner, out),
                    Block::List { items, .. } => items.iter().for_each(|i| walk(i, out)),
                    Block::Table { head, rows, .. } => {
                        for row in std::iter::once(head).chain(rows) {
                            let cells: Vec<String> = row.iter().map(|c| plain(c)).collect();
                            out.push_str(&cells.join(" "));
                            out.push('\n');
                        }
                    }
                    Block::Figure { caption, .. } => {
                        out.push_str(caption);
                        out.push('\n');
                    }
                    Block::Code(code) => {
                        out.push_str(code);
                        out.push('\n');
                    }
                    Block::Rule => {}
                }
            }
        }
        walk(&self.blocks, &mut out);
        out
    }
}

/// What the builder is filling.
#[derive(Debug, Default)]
enum Frame {
    #[default]
    Root,
    Quote,
    List(Option<u64>, Vec<Vec<Block>>),
    Item,
    Table {
        align: Vec<Align>,
        head: Vec<Inlines>,
        rows: Vec<Vec<Inlines>>,
        in_head: bool,
    },
}

#[derive(Debug, Default)]
struct Level {
    frame: Frame,
    blocks: Vec<Block>,
}

/// Inline text being collected, and what it becomes when it ends.
#[derive(Debug)]
enum Open {
    Paragraph,
    Heading(u8),
    Cell,
    Code,
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Level>,
    open: Option<(Open, Inlines)>,
    style: Style,
    link: Option<String>,
    /// Inside an image: its target and alt text so far.
    image: Option<(String, String)>,
    /// Figures met inside the open paragraph, placed after it.
    pending_figures: Vec<Block>,
    row: Vec<Inlines>,
}

impl Builder {
    fn top(&mut self) -> &mut Level {
        if self.stack.is_empty() {
            self.stack.push(Level::default());
        }
        self.stack.last_mut().expect("one level at least")
    }

    fn push_block(&mut self, block: Block) {
        self.top().blocks.push(block);
    }

    /// Ends the open paragraph (an implicit one in a tight list item, or a real one).
    fn close_paragraph(&mut self) {
        if let Some((open, inlines)) = self.open.take() {
            let inlines = trim_inlines(inlines);
            match open {
                Open::Paragraph if !inlines.is_empty() => {
                    self.push_block(Block::Paragraph(inlines))
                }
                Open::Heading(level) => self.push_block(Block::Heading {
                    level,
                    text: inlines,
                }),
                Open::Code => self.push_block(Block::Code(plain(&inlines))),
                Open::Cell => self.row.push(inlines),
                Open::Paragraph => {}
            }
        }
        for figure in std::mem::take(&mut self.pending_figures) {
            self.push_block(figure);
        }
    }

    fn text(&mut self, text: &str) {
        if let Some((_, alt)) = self.image.as_mut() {
            alt.push_str(text);
            return;
        }
        if self.open.is_none() {
            self.open = Some((Open::Paragraph, Vec::new()));
        }
        let (style, link) = (self.style, self.link.clone());
        let (_, inlines) = self.open.as_mut().expect("just opened");
        match inlines.last_mut() {
            Some(last) if last.style == style && last.link == link => last.text.push_str(text),
            _ => inlines.push(Span {
                text: text.to_string(),
                style,
                link,
            }),
        }
    }

    fn start_frame(&mut self, frame: Frame) {
        self.close_paragraph();
        self.stack.push(Level {
            frame,
            blocks: Vec::new(),
        });
    }

    fn end_frame(&mut self) -> Level {
        self.close_paragraph();
        self.stack.pop().unwrap_or_default()
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                let was = self.style;
                self.style.code = true;
                self.text(&t);
                self.style = was;
            }
            // Markup in the Markdown is shown as the text it is.
            Event::Html(t) | Event::InlineHtml(t) => self.text(&t),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => {
                self.close_paragraph();
                self.push_block(Block::Rule);
            }
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.close_paragraph();
                self.open = Some((Open::Paragraph, Vec::new()));
            }
            Tag::Heading { level, .. } => {
                self.close_paragraph();
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                self.open = Some((Open::Heading(level), Vec::new()));
            }
            Tag::BlockQuote(_) => self.start_frame(Frame::Quote),
            Tag::CodeBlock(_) => {
                self.close_paragraph();
                self.open = Some((Open::Code, Vec::new()));
            }
            Tag::List(start) => self.start_frame(Frame::List(start, Vec::new())),
            Tag::Item => self.start_frame(Frame::Item),
            Tag::Table(align) => self.start_frame(Frame::Table {
                align: align
                    .iter()
                    .map(|a| match a {
                        Alignment::Right => Align::Right,
                        Alignment::Center => Align::Center,
                        _ => Align::Left,
                    })
                    .collect(),
                head: Vec::new(),
                rows: Vec::new(),
                in_head: false,
            }),
            Tag::TableHead => {
                if let Some(Level {
                    frame: Frame::Table { in_head, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    *in_head = true;
                }
                self.row.clear();
            }
            Tag::TableRow => self.row.clear(),
            Tag::TableCell => self.open = Some((Open::Cell, Vec::new())),
            Tag::Emphasis => self.style.italic = true,
            Tag::Strong => self.style.bold = true,
            Tag::Link { dest_url, .. } => {
                let url = dest_url.trim();
                let safe = ["http://", "https://", "mailto:"].iter().any(|p| {
                    url.len() > p.len()
                        && url
                            .get(..p.len())
                            .is_some_and(|h| h.eq_ignore_ascii_case(p))
                });
                self.link = safe.then(|| url.to_string());
            }
            Tag::Image { dest_url, .. } => self.image = Some((dest_url.to_string(), String::new())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::TableCell => {
                self.close_paragraph()
            }
            TagEnd::BlockQuote(_) => {
                let level = self.end_frame();
                self.push_block(Block::Quote(level.blocks));
            }
            TagEnd::Item => {
                let level = self.end_frame();
                if let Some(Level {
                    frame: Frame::List(_, items),
                    ..
                }) = self.stack.last_mut()
                {
                    items.push(level.blocks);
                }
            }
            TagEnd::List(_) => {
                if let Frame::List(start, items) = self.end_frame().frame {
                    self.push_block(Block::List { start, items });
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let row = std::mem::take(&mut self.row);
                if let Some(Level {
                    frame:
                        Frame::Table {
                            head,
                            rows,
                            in_head,
                            ..
                        },
                    ..
                }) = self.stack.last_mut()
                {
                    if *in_head {
                        *head = row;
                        *in_head = false;
                    } else {
                        rows.push(row);
                    }
                }
            }
            TagEnd::Table => {
                if let Frame::Table {
                    align, head, rows, ..
                } = self.end_frame().frame
                {
                    self.push_block(Block::Table { head, rows, align });
                }
            }
            TagEnd::Emphasis => self.style.italic = false,
            TagEnd::Strong => self.style.bold = false,
            TagEnd::Link => self.link = None,
            TagEnd::Image => {
                // Placed after the paragraph (or heading) it sits in.
                if let Some((src, alt)) = self.image.take() {
                    self.pending_figures.push(Block::Figure {
                        src,
                        caption: alt.split_whitespace().collect::<Vec<_>>().join(" "),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Inlines without leading or trailing white space.
fn trim_inlines(mut inlines: Inlines) -> Inlines {
    if let Some(first) = inlines.first_mut() {
        first.text = first.text.trim_start().to_string();
    }
    if let Some(last) = inlines.last_mut() {
        last.text = last.text.trim_end().to_string();
    }
    inlines.retain(|s| !s.text.is_empty());
    inlines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_blocks() {
        let md = "# Sales <b>Q1</b>\n\nIntro *with* **bold** and [a link](https://x.test) \
                  and [bad](javascript:alert(1)).\n\n## Files\n\n- one\n- two 2\n\n\
                  > a note\n> on two lines\n\n| Name | Value |\n|---|---:|\n| a | 1.5 |\n\n\
                  ![Chart for a.csv](chart_1.png)\n";
        let doc = Document::parse(md);
        assert_eq!(doc.title, "Sales <b>Q1</b>");
        assert_eq!(doc.sections(), ["Files"]);
        assert_eq!(doc.figures(), ["chart_1.png"]);
        let Block::Paragraph(intro) = &doc.blocks[1] else {
            panic!("{:?}", doc.blocks[1])
        };
        assert!(intro.iter().any(|s| s.style.italic && s.text == "with"));
        assert!(intro.iter().any(|s| s.style.bold && s.text == "bold"));
        assert_eq!(
            intro
                .iter()
                .filter_map(|s| s.link.as_deref())
                .collect::<Vec<_>>(),
            ["https://x.test"]
        );
        assert!(matches!(&doc.blocks[3], Block::List { start: None, items } if items.len() == 2));
        let Block::Quote(note) = &doc.blocks[4] else {
            panic!("{:?}", doc.blocks[4])
        };
        assert_eq!(note.len(), 1);
        let Block::Table { head, rows, align } = &doc.blocks[5] else {
            panic!("{:?}", doc.blocks[5])
        };
        assert_eq!((head.len(), rows.len()), (2, 1));
        assert_eq!(align, &[Align::Left, Align::Right]);
        assert_eq!(plain(&rows[0][1]), "1.5");
        assert_eq!(
            doc.blocks[6],
            Block::Figure {
                src: "chart_1.png".into(),
                caption: "Chart for a.csv".into()
            }
        );
        let text = doc.text();
        assert!(text.contains("a note on two lines\n"), "{text}");
        assert!(text.contains("Name Value\na 1.5\n"), "{text}");
    }

    #[test]
    fn direction_follows_the_first_strong_character() {
        assert!(is_rtl("2024 تقرير المبيعات"));
        assert!(is_rtl("דוח"));
        assert!(!is_rtl("Sales تقرير"));
        assert!(!is_rtl("销售报告"));
    }
}
