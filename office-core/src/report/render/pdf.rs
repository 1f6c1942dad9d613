//! `report.pdf`: the blocks laid out on A4 or Letter pages (krilla writes the PDF, with
//! the fonts embedded as subsets), page numbers in the footer, the charts, the tables
//! (header row repeated on each page), a table of contents when there are more than
//! three sections, and the sections as the PDF's outline.

use super::model::{Align, Block, Document, Span, Style, plain};
use super::text::{Fonts, Line, lines, single_line};
use super::{Charts, Paper, png_size};
use krilla::Document as Pdf;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::destination::{Destination, XyzDestination};
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use std::collections::HashMap;

const BODY: f32 = 10.5;
const LEADING: f32 = 1.45;
const MARGIN: f32 = 56.0;
const TEXT: (u8, u8, u8) = (0x1d, 0x1d, 0x1f);
const MUTED: (u8, u8, u8) = (0x44, 0x4b, 0x55);
const RULE: (u8, u8, u8) = (0xa0, 0xa8, 0xb0);
const HEADER_FILL: (u8, u8, u8) = (0xe8, 0xec, 0xf0);

enum Op {
    Text {
        x: f32,
        baseline: f32,
        line: Line,
        color: (u8, u8, u8),
    },
    Rect {
        rect: Rect,
        color: (u8, u8, u8),
    },
    Image {
        src: String,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// A table-of-contents entry's page number, known once everything is laid out; the
    /// entry (from `top` to below `baseline`) links to its section.
    TocPage {
        section: usize,
        right: f32,
        baseline: f32,
        top: f32,
    },
}

struct Layout<'a> {
    fonts: &'a Fonts,
    charts: &'a Charts,
    width: f32,
    height: f32,
    y: f32,
    pages: Vec<Vec<Op>>,
    /// Each level-2 heading: text, page, top.
    sections: Vec<(String, usize, f32)>,
}

impl Layout<'_> {
    fn left(&self) -> f32 {
        MARGIN
    }
    fn right(&self) -> f32 {
        self.width - MARGIN
    }
    fn top(&self) -> f32 {
        MARGIN
    }
    fn bottom(&self) -> f32 {
        self.height - MARGIN - 12.0
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top();
    }

    /// Starts a new page unless `h` fits below the current position.
    fn room(&mut self, h: f32) {
        if self.y + h > self.bottom() && self.y > self.top() + 0.5 {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.pages.last_mut().expect("a page").push(op);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
        if let Some(rect) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) {
            self.push(Op::Rect { rect, color });
        }
    }

    /// Sets wrapped text between `indent` and the right margin; returns the last
    /// line's baseline.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        spans: &[Span],
        size: f32,
        indent: f32,
        bold: bool,
        color: (u8, u8, u8),
        keep: f32,
    ) -> f32 {
        let (x0, x1) = (self.left() + indent, self.right());
        let lines = lines(self.fonts, spans, size, x1 - x0, bold);
        let line_h = size * LEADING;
        self.room(line_h * lines.len().min(2) as f32 + keep);
        let mut baseline = self.y;
        for line in lines {
            self.room(line_h);
            baseline = self.y + size * 1.1;
            let x = if line.rtl { x1 - line.width } else { x0 };
            self.push(Op::Text {
                x,
                baseline,
                line,
                color,
            });
            self.y += line_h;
        }
        baseline
    }

    fn blocks(&mut self, blocks: &[Block], indent: f32, color: (u8, u8, u8), toc: &[String]) {
        for (i, block) in blocks.iter().enumerate() {
            match block {
                Block::Heading { level, text } => {
                    let (size, before) = match level {
                        1 => (20.0, 0.0),
                        2 => (15.0, 14.0),
                        3 => (12.5, 10.0),
                        _ => (11.0, 8.0),
                    };
                    if self.y > self.top() + 0.5 {
                        self.y += before;
                    }
                    // A heading keeps the start of what follows on its page.
                    self.room(size * LEADING + 3.0 * BODY * LEADING);
                    if *level == 2 && indent == 0.0 {
                        let page = self.pages.len().saturating_sub(1);
                        self.sections.push((plain(text), page, self.y));
                    }
                    self.text(text, size, indent, true, TEXT, 0.0);
                    self.y += 4.0;
                    if *level == 1 && i == 0 && toc.len() > 3 {
                        self.contents(toc);
                    }
                }
                Block::Paragraph(text) => {
                    self.text(text, BODY, indent, false, color, 0.0);
                    self.y += BODY * 0.6;
                }
                Block::Quote(inner) => {
                    let (page, y) = (self.pages.len().max(1) - 1, self.y);
                    self.blocks(inner, indent + 14.0, MUTED, &[]);
                    let end_page = self.pages.len().max(1) - 1;
                    let x = self.left() + indent + 2.0;
                    for p in page..=end_page {
                        let top = if p == page { y } else { self.top() };
                        let bottom = if p == end_page {
                            self.y - BODY * 0.6
                        } else {
                            self.bottom()
                        };
                        if let Some(rect) = Rect::from_xywh(x, top, 2.5, (bottom - top).max(0.1)) {
                            self.pages[p].push(Op::Rect { rect, color: RULE });
                        }
                    }
                    self.y += 2.0;
                }
                Block::List { start, items } => {
                    for (n, item) in items.iter().enumerate() {
                        let marker = match start {
                            Some(s) => format!("{}.", s + n as u64),
                            None => "•".into(),
                        };
                        self.room(BODY * LEADING);
                        let line = single_line(self.fonts, &marker, BODY, Style::default());
                        self.push(Op::Text {
                            x: self.left() + indent + 4.0,
                            baseline: self.y + BODY * 1.1,
                            line,
                            color,
                        });
                        let before = self.y;
                        for block in item {
                            match block {
                                Block::Paragraph(text) => {
                                    self.text(text, BODY, indent + 20.0, false, color, 0.0);
                                }
                                other => self.blocks(
                                    std::slice::from_ref(other),
                                    indent + 20.0,
                                    color,
                                    &[],
                                ),
                            }
                        }
                        if self.y == before {
                            self.y += BODY * LEADING;
                        }
                        self.y += 2.0;
                    }
                    self.y += BODY * 0.5;
                }
                Block::Table { head, rows, align } => self.table(head, rows, align, indent),
                Block::Figure { src, caption } => self.figure(src, caption, indent),
                Block::Code(code) => {
                    let style = Style {
                        code: true,
                        ..Style::default()
                    };
                    for line in code.lines() {
                        let span = Span {
                            text: line.to_string(),
                            style,
                            link: None,
                        };
                        self.room(9.0 * LEADING);
                        let (x, y) = (self.left() + indent, self.y);
                        self.rect(x, y, self.right() - x, 9.0 * LEADING, (0xf5, 0xf7, 0xf9));
                        self.text(&[span], 9.0, indent + 4.0, false, color, 0.0);
                    }
                    self.y += BODY * 0.6;
                }
                Block::Rule => {
                    self.room(12.0);
                    let x = self.left() + indent;
                    self.rect(x, self.y + 5.0, self.right() - x, 0.6, RULE);
                    self.y += 12.0;
                }
            }
        }
    }

    /// "Contents" and one line per section, page numbers filled in at the end.
    fn contents(&mut self, toc: &[String]) {
        self.y += 6.0;
        let heading = Span {
            text: "Contents".into(),
            style: Style::default(),
            link: None,
        };
        self.text(&[heading], 13.0, 0.0, true, TEXT, 0.0);
        self.y += 2.0;
        for (section, title) in toc.iter().enumerate() {
            let span = Span {
                text: title.clone(),
                style: Style::default(),
                link: None,
            };
            let (x0, x1) = (self.left() + 10.0, self.right() - 36.0);
            let lines = lines(self.fonts, &[span], BODY, x1 - x0, false);
            let mut baseline = self.y;
            let mut top = None;
            for line in lines {
                let page = self.pages.len();
                self.room(BODY * LEADING);
                if self.pages.len() != page {
                    top = None;
                }
                top.get_or_insert(self.y);
                baseline = self.y + BODY * 1.1;
                let x = if line.rtl { x1 - line.width } else { x0 };
                self.push(Op::Text {
                    x,
                    baseline,
                    line,
                    color: TEXT,
                });
                self.y += BODY * LEADING;
            }
            let right = self.right();
            self.push(Op::TocPage {
                section,
                right,
                baseline,
                top: top.unwrap_or(baseline - BODY * 1.1),
            });
        }
        self.y += 10.0;
    }

    fn table(&mut self, head: &[Vec<Span>], rows: &[Vec<Vec<Span>>], align: &[Align], indent: f32) {
        const SIZE: f32 = 9.5;
        const PAD: f32 = 4.0;
        let columns = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if columns == 0 {
            return;
        }
        let empty = Vec::new();
        let cell = |row: &[Vec<Span>], c: usize| -> Vec<Span> {
            row.get(c).cloned().unwrap_or_else(|| empty.clone())
        };
        // Columns as wide as their widest one-line cell, shrunk in proportion to fit.
        let available = self.right() - self.left() - indent;
        let mut natural = vec![24.0f32; columns];
        for (r, row) in std::iter::once(head)
            .chain(rows.iter().map(Vec::as_slice))
            .enumerate()
        {
            for (c, width) in natural.iter_mut().enumerate() {
                let w: f32 = lines(self.fonts, &cell(row, c), SIZE, f32::INFINITY, r == 0)
                    .iter()
                    .map(|l| l.width)
                    .fold(0.0, f32::max);
                *width = width.max(w + 2.0 * PAD + 1.0);
            }
        }
        let total: f32 = natural.iter().sum();
        let widths: Vec<f32> = if total <= available {
            natural
        } else {
            let floor = (available / columns as f32).min(48.0);
            let flexible: f32 = natural.iter().map(|w| (w - floor).max(0.0)).sum();
            let spare = available - floor * columns as f32;
            natural
                .iter()
                .map(|w| floor + (w - floor).max(0.0) * spare / flexible.max(1.0))
                .collect()
        };
        let x0 = self.left() + indent;
        let table_w: f32 = widths.iter().sum();
        let line_h = SIZE * LEADING;
        let laid = |this: &Self, row: &[Vec<Span>], header: bool| -> Vec<Vec<Line>> {
            (0..columns)
                .map(|c| {
                    lines(
                        this.fonts,
                        &cell(row, c),
                        SIZE,
                        widths[c] - 2.0 * PAD,
                        header,
                    )
                })
                .collect()
        };
        let header = laid(self, head, true);
        let height = |cells: &[Vec<Line>]| {
            cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * line_h + 2.0 * PAD
        };
        let header_h = height(&header);
        let draw_row = |this: &mut Self, cells: Vec<Vec<Line>>, h: f32, is_header: bool| {
            let y = this.y;
            if is_header {
                this.rect(x0, y, table_w, h, HEADER_FILL);
            }
            let mut x = x0;
            for (c, lines) in cells.into_iter().enumerate() {
                let w = widths[c];
                for (n, line) in lines.into_iter().enumerate() {
                    let inner = w - 2.0 * PAD;
                    let offset = match align.get(c) {
                        _ if line.rtl => inner - line.width,
                        Some(Align::Right) => inner - line.width,
                        Some(Align::Center) => (inner - line.width) / 2.0,
                        _ => 0.0,
                    };
                    this.push(Op::Text {
                        x: x + PAD + offset.max(0.0),
                        baseline: y + PAD + n as f32 * line_h + SIZE * 1.1,
                        line,
                        color: TEXT,
                    });
                }
                x += w;
            }
            // Borders: the row's top and bottom, and each column's sides.
            this.rect(x0, y, table_w, 0.5, RULE);
            this.rect(x0, y + h, table_w, 0.5, RULE);
            let mut x = x0;
            for w in std::iter::once(0.0).chain(widths.iter().copied()) {
                x += w;
                this.rect(x, y, 0.5, h, RULE);
            }
            this.y += h;
        };
        self.y += 2.0;
        self.room(header_h + line_h + 2.0 * PAD);
        draw_row(self, header.clone(), header_h, true);
        for row in rows {
            let cells = laid(self, row, false);
            let h = height(&cells);
            if self.y + h > self.bottom() {
                self.new_page();
                draw_row(self, header.clone(), header_h, true);
            }
            draw_row(self, cells, h, false);
        }
        self.y += BODY;
    }

    fn figure(&mut self, src: &str, caption: &str, indent: f32) {
        if let Some((w, h)) = self.charts.get(src).and_then(png_size) {
            let available = self.right() - self.left() - indent;
            // 96 px to the inch, never wider than the text nor taller than 60% of a page.
            let mut width = (w as f32 * 0.75).min(available);
            let mut height = width * h as f32 / w.max(1) as f32;
            let most = (self.bottom() - self.top()) * 0.6;
            if height > most {
                width *= most / height;
                height = most;
            }
            self.room(height + 2.0 * 9.0 * LEADING);
            let x = self.left() + indent + (available - width) / 2.0;
            let y = self.y;
            self.push(Op::Image {
                src: src.to_string(),
                x,
                y,
                w: width,
                h: height,
            });
            self.y += height + 4.0;
        }
        let span = Span {
            text: caption.to_string(),
            style: Style {
                italic: true,
                ..Style::default()
            },
            link: None,
        };
        let lines = lines(
            self.fonts,
            &[span],
            9.0,
            self.right() - self.left() - indent,
            false,
        );
        for line in lines {
            self.room(9.0 * LEADING);
            let x = self.left() + indent + (self.right() - self.left() - indent - line.width) / 2.0;
            let baseline = self.y + 9.0 * 1.1;
            self.push(Op::Text {
                x,
                baseline,
                line,
                color: MUTED,
            });
            self.y += 9.0 * LEADING;
        }
        self.y += BODY;
    }
}

fn fill((r, g, b): (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw_line(
    surface: &mut krilla::surface::Surface<'_>,
    fonts: &Fonts,
    x: f32,
    baseline: f32,
    line: &Line,
    color: (u8, u8, u8),
) {
    surface.set_fill(Some(fill(color)));
    let mut x = x;
    for run in &line.runs {
        let font = fonts.get(run.font).font.clone();
        surface.draw_glyphs(
            Point::from_xy(x, baseline),
            &run.glyphs,
            font,
            &run.text,
            run.size,
            false,
        );
        x += run.width;
    }
}

/// The PDF file.
pub(crate) fn render(
    doc: &Document,
    charts: &Charts,
    fonts: &Fonts,
    paper: Paper,
) -> Result<Vec<u8>, String> {
    let (width, height) = match paper {
        Paper::A4 => (595.28, 841.89),
        Paper::Letter => (612.0, 792.0),
    };
    let mut layout = Layout {
        fonts,
        charts,
        width,
        height,
        y: MARGIN,
        pages: vec![Vec::new()],
        sections: Vec::new(),
    };
    let toc = doc.sections();
    layout.blocks(&doc.blocks, 0.0, TEXT, &toc);
    let Layout {
        pages, sections, ..
    } = layout;
    let mut images: HashMap<&str, Image> = HashMap::new();
    for name in doc.figures() {
        if let Some(png) = charts.get(&name)
            && let Ok(image) = Image::from_png(png.to_vec().into(), true)
            && let Some(key) = charts.key(&name)
        {
            images.insert(key, image);
        }
    }
    let mut pdf = Pdf::new();
    let total = pages.len();
    for (index, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(width, height).ok_or("bad paper size")?;
        let mut page = pdf.start_page_with(settings);
        let mut links = Vec::new();
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    line,
                    color,
                } => draw_line(&mut surface, fonts, *x, *baseline, line, *color),
                Op::Rect { rect, color } => {
                    let mut path = PathBuilder::new();
                    path.push_rect(*rect);
                    if let Some(path) = path.finish() {
                        surface.set_fill(Some(fill(*color)));
                        surface.draw_path(&path);
                    }
                }
                Op::Image { src, x, y, w, h } => {
                    if let Some(image) = charts.key(src).and_then(|k| images.get(k))
                        && let Some(size) = Size::from_wh(*w, *h)
                    {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image.clone(), size);
                        surface.pop();
                    }
                }
                Op::TocPage {
                    section,
                    right,
                    baseline,
                    top,
                } => {
                    if let Some((_, page, y)) = sections.get(*section) {
                        let area = Rect::from_ltrb(
                            MARGIN,
                            *top,
                            *right,
                            baseline + BODY * (LEADING - 1.1),
                        );
                        if let Some(area) = area {
                            let target = XyzDestination::new(*page, Point::from_xy(MARGIN, *y));
                            links.push(LinkAnnotation::new(
                                area,
                                Target::Destination(Destination::Xyz(target)),
                            ));
                        }
                        let label = (page + 1).to_string();
                        let line = single_line(fonts, &label, BODY, Style::default());
                        draw_line(
                            &mut surface,
                            fonts,
                            right - line.width,
                            *baseline,
                            &line,
                            TEXT,
                        );
                    }
                }
            }
        }
        let label = format!("{} / {total}", index + 1);
        let line = single_line(fonts, &label, 9.0, Style::default());
        draw_line(
            &mut surface,
            fonts,
            (width - line.width) / 2.0,
            height - MARGIN / 2.0,
            &line,
            MUTED,
        );
        surface.finish();
        for link in links {
            page.add_annotation(Annotation::new_link(link, Some("Go to the section".into())));
        }
        page.finish();
    }
    let mut outline = Outline::new();
    for (title, page, y) in &sections {
        outline.push_child(OutlineNode::new(
            title.clone(),
            XyzDestination::new(*page, Point::from_xy(MARGIN, *y)),
        ));
    }
    pdf.set_outline(outline);
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .creator("office".into())
            .producer("office".into()),
    );
    pdf.finish()
        .map_err(|e| format!("writing report.pdf failed: {e:?}"))
}
