//! Text for the PDF: the fonts the runtime pins (DejaVu Sans from matplotlib for Latin,
//! Cyrillic, Greek, Hebrew and Arabic; Noto Sans CJK JP for Chinese, Japanese and Korean),
//! a font chosen per character, shaping (rustybuzz: Arabic joining, marks), the bidi
//! algorithm (unicode-bidi) for the visual order of each line, and greedy line breaking
//! at spaces and between CJK characters.

use super::model::{Span, Style};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, UnicodeBuffer};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use unicode_bidi::BidiInfo;

/// The faces a report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Face {
    Regular,
    Bold,
    Italic,
    Mono,
    Cjk,
}

const FACES: [(Face, &[&str]); 5] = [
    (Face::Regular, &["DejaVuSans.ttf"]),
    (Face::Bold, &["DejaVuSans-Bold.ttf"]),
    (Face::Italic, &["DejaVuSans-Oblique.ttf"]),
    (Face::Mono, &["DejaVuSansMono.ttf"]),
    (
        Face::Cjk,
        &["NotoSansCJKjp-Regular.otf", "NotoSansCJK-Regular.ttc"],
    ),
];

/// Font files are read once per process and kept for its life (the CJK font alone is
/// 16 MB; a handful of files, whatever the number of jobs), so shapers and krilla fonts
/// can borrow them as `'static`.
fn read_cached(path: &Path) -> Option<&'static [u8]> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, &'static [u8]>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(data) = cache.get(path) {
        return Some(data);
    }
    let data: &'static [u8] = Box::leak(std::fs::read(path).ok()?.into_boxed_slice());
    cache.insert(path.to_path_buf(), data);
    Some(data)
}

/// One loaded face, parsed for shaping and for krilla.
pub(crate) struct Loaded {
    pub face: Face,
    pub shaper: rustybuzz::Face<'static>,
    pub font: Font,
}

/// The loaded faces. `Regular` is always there; the others fall back to it.
pub(crate) struct Fonts {
    loaded: Vec<Loaded>,
}

impl Fonts {
    /// Finds the faces in `dirs` (the first folder holding a file wins).
    pub(crate) fn load(dirs: &[PathBuf]) -> Result<Fonts, String> {
        let mut loaded = Vec::new();
        for (face, names) in FACES {
            let found = dirs
                .iter()
                .flat_map(|d| names.iter().map(move |n| d.join(n)))
                .find_map(|p| read_cached(&p));
            let Some(bytes) = found else { continue };
            let Some(shaper) = rustybuzz::Face::from_slice(bytes, 0) else {
                continue;
            };
            let Some(font) = Font::new(bytes.into(), 0) else {
                continue;
            };
            loaded.push(Loaded { face, shaper, font });
        }
        if !loaded.iter().any(|l| l.face == Face::Regular) {
            return Err(format!(
                "the PDF needs the font DejaVuSans.ttf, found in none of: {}",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(Fonts { loaded })
    }

    fn index(&self, face: Face) -> Option<usize> {
        self.loaded.iter().position(|l| l.face == face)
    }

    pub(crate) fn get(&self, index: usize) -> &Loaded {
        &self.loaded[index]
    }

    /// Every loaded face, Regular first.
    pub(crate) fn faces(&self) -> impl Iterator<Item = &Loaded> {
        self.loaded.iter()
    }

    /// The face a character is drawn with: the style's face when it has the glyph,
    /// then Regular, then CJK, else the style's face (which draws its .notdef).
    fn pick(&self, style: Style, bold: bool, c: char) -> usize {
        let primary = if style.code {
            Face::Mono
        } else if style.bold || bold {
            Face::Bold
        } else if style.italic {
            Face::Italic
        } else {
            Face::Regular
        };
        let regular = self.index(Face::Regular).unwrap_or(0);
        let first = self.index(primary).unwrap_or(regular);
        for candidate in [Some(first), Some(regular), self.index(Face::Cjk)]
            .into_iter()
            .flatten()
        {
            if self.loaded[candidate].shaper.glyph_index(c).is_some() {
                return candidate;
            }
        }
        first
    }

    /// Whether some loaded face has a glyph for `c` (tests: no tofu).
    #[cfg(test)]
    pub(crate) fn covers(&self, c: char) -> bool {
        self.loaded
            .iter()
            .any(|l| l.shaper.glyph_index(c).is_some())
    }
}

/// A shaped run: one face, one direction, glyphs in visual order.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub font: usize,
    pub size: f32,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    pub width: f32,
}

fn shape(fonts: &Fonts, font: usize, text: &str, rtl: bool, size: f32) -> Run {
    let shaper = &fonts.loaded[font].shaper;
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    buffer.guess_segment_properties();
    let output = rustybuzz::shape(shaper, &[], buffer);
    let upem = shaper.units_per_em() as f32;
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut width = 0.0;
    for (info, pos) in infos.iter().zip(positions) {
        let start = info.cluster as usize;
        let end = starts
            .iter()
            .find(|&&s| s > start)
            .copied()
            .unwrap_or(text.len());
        let advance = pos.x_advance as f32 / upem;
        width += advance * size;
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(info.glyph_id),
            advance,
            pos.x_offset as f32 / upem,
            pos.y_offset as f32 / upem,
            pos.y_advance as f32 / upem,
            start..end,
            None,
        ));
    }
    Run {
        font,
        size,
        text: text.to_string(),
        glyphs,
        width,
    }
}

/// One laid-out line: runs in visual order, and its width.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
    /// The paragraph reads right to left (the line is right-aligned).
    pub rtl: bool,
}

/// Whether a line may break before and after `c` without a space (CJK scripts).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

/// Text set in one size, styles per byte range.
struct Styled {
    text: String,
    styles: Vec<(Range<usize>, Style)>,
}

impl Styled {
    fn style_at(&self, i: usize) -> Style {
        self.styles
            .iter()
            .find(|(r, _)| r.contains(&i))
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }
}

/// Lays out spans into lines at most `width` wide. `bold` sets every span bold
/// (headings, header cells).
pub(crate) fn lines(fonts: &Fonts, spans: &[Span], size: f32, width: f32, bold: bool) -> Vec<Line> {
    // Hard breaks end a paragraph of their own (bidi paragraphs do not cross them).
    let mut paragraphs: Vec<Styled> = vec![Styled {
        text: String::new(),
        styles: Vec::new(),
    }];
    for span in spans {
        for (i, piece) in span.text.split('\n').enumerate() {
            if i > 0 {
                paragraphs.push(Styled {
                    text: String::new(),
                    styles: Vec::new(),
                });
            }
            let p = paragraphs.last_mut().expect("one at least");
            let start = p.text.len();
            // Tabs and other controls would draw as boxes.
            p.text
                .extend(piece.chars().map(|c| if c.is_control() { ' ' } else { c }));
            p.styles.push((start..p.text.len(), span.style));
        }
    }
    let mut out = Vec::new();
    for p in &paragraphs {
        out.extend(paragraph_lines(fonts, p, size, width, bold));
    }
    out
}

fn paragraph_lines(fonts: &Fonts, p: &Styled, size: f32, width: f32, bold: bool) -> Vec<Line> {
    let text = p.text.as_str();
    if text.trim().is_empty() {
        return vec![Line {
            runs: Vec::new(),
            width: 0.0,
            rtl: false,
        }];
    }
    let bidi = BidiInfo::new(text, None);
    let Some(para) = bidi.paragraphs.first() else {
        return Vec::new();
    };
    let rtl = para.level.is_rtl();
    // Break opportunities: after a run of spaces, and around each CJK character.
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = prev
            && i > start
            && ((p.is_whitespace() && !c.is_whitespace()) || is_cjk(c) || is_cjk(p))
        {
            pieces.push(start..i);
            start = i;
        }
        prev = Some(c);
    }
    pieces.push(start..text.len());
    let measure = |r: Range<usize>| -> f32 {
        let trimmed = trim_end(text, r);
        segments(fonts, p, &bidi, trimmed, bold, size)
            .iter()
            .map(|s| s.width)
            .sum()
    };
    // A piece wider than the line (a long name in a narrow cell) breaks anywhere.
    let mut fitted = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if measure(piece.clone()) > width {
            let mut s = piece.start;
            for (i, _) in text[piece.clone()].char_indices().skip(1) {
                fitted.push(s..piece.start + i);
                s = piece.start + i;
            }
            fitted.push(s..piece.end);
        } else {
            fitted.push(piece);
        }
    }
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut current: Option<Range<usize>> = None;
    for piece in fitted {
        current = match current {
            None => Some(piece),
            Some(line) => {
                let joined = line.start..piece.end;
                if measure(joined.clone()) > width {
                    lines.push(line);
                    Some(piece)
                } else {
                    Some(joined)
                }
            }
        };
    }
    lines.extend(current);
    lines
        .into_iter()
        .map(|range| {
            let range = trim_end(text, range);
            let mut runs = Vec::new();
            if !range.is_empty() {
                let (levels, visual) = bidi.visual_runs(para, range);
                for run in visual {
                    let level = levels[run.start];
                    let mut segs = segments(fonts, p, &bidi, run, bold, size);
                    if level.is_rtl() {
                        segs.reverse();
                    }
                    runs.extend(segs);
                }
            }
            let width = runs.iter().map(|r| r.width).sum();
            Line { runs, width, rtl }
        })
        .collect()
}

fn trim_end(text: &str, range: Range<usize>) -> Range<usize> {
    let kept = text[range.clone()].trim_end().len();
    range.start..range.start + kept
}

/// A logical range cut where the face, the style or the bidi level changes, each piece
/// shaped, in logical order.
fn segments(
    fonts: &Fonts,
    p: &Styled,
    bidi: &BidiInfo<'_>,
    range: Range<usize>,
    bold: bool,
    size: f32,
) -> Vec<Run> {
    let text = &p.text;
    let mut out = Vec::new();
    let mut seg_start = range.start;
    let mut key: Option<(usize, bool)> = None;
    for (offset, c) in text[range.clone()].char_indices() {
        let i = range.start + offset;
        let style = p.style_at(i);
        let rtl = bidi.levels[i].is_rtl();
        // Spaces and marks stay with the text before them.
        let font = match key {
            Some((f, _)) if c.is_whitespace() || is_mark(c) => f,
            _ => fonts.pick(style, bold, c),
        };
        let next = (font, rtl);
        if let Some(k) = key
            && k != next
        {
            out.push(shape(fonts, k.0, &text[seg_start..i], k.1, size));
            seg_start = i;
        }
        key = Some(next);
    }
    if let Some((font, rtl)) = key
        && seg_start < range.end
    {
        out.push(shape(fonts, font, &text[seg_start..range.end], rtl, size));
    }
    out
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0591..=0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x200C | 0x200D)
}

/// One line of plain text (page numbers, table-of-contents entries), unbroken.
pub(crate) fn single_line(fonts: &Fonts, text: &str, size: f32, style: Style) -> Line {
    let span = Span {
        text: text.to_string(),
        style,
        link: None,
    };
    lines(fonts, &[span], size, f32::INFINITY, false)
        .into_iter()
        .next()
        .unwrap_or(Line {
            runs: Vec::new(),
            width: 0.0,
            rtl: false,
        })
}
