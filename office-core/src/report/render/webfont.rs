//! Fonts carried inside `report.html` and `report.docx`, so that they show real glyphs on a
//! machine that has no CJK, Arabic or Hebrew font (the PDF embeds its own through krilla).
//!
//! Each face the report uses is cut down to the characters the report holds and rebuilt
//! as a small, plain TrueType font: outlines read with ttf-parser (a CFF font's cubic
//! curves are approximated by quadratic ones within half a font unit), a fresh `cmap`,
//! `glyf`, `loca`, `hmtx` and `maxp`, and the source's `head`, `hhea`, `OS/2` and `post`
//! kept with their sizes fixed up, so lines keep the metrics of the PDF's fonts. The
//! copyright and license names of the source are kept.
//!
//! The subsets have no layout tables. Arabic is still joined: when a report holds
//! Arabic, the face's presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) go in too, which
//! is what shaping engines (HarfBuzz in the browsers and LibreOffice) fall back to for a
//! font without `GSUB`.

use super::text::{Face, Fonts};
use rustybuzz::ttf_parser::{self, GlyphId, OutlineBuilder, Tag};
use std::collections::{BTreeMap, BTreeSet};

/// One face, subset and rebuilt.
#[derive(Debug, Clone)]
pub(crate) struct WebFont {
    /// The family the documents name (`Office Sans`, `Office Sans Mono`, `Office Sans CJK`).
    pub family: &'static str,
    pub bold: bool,
    pub italic: bool,
    /// A complete TrueType file.
    pub data: Vec<u8>,
}

impl Face {
    fn family(self) -> &'static str {
        match self {
            Face::Regular | Face::Bold | Face::Italic => SANS,
            Face::Mono => MONO,
            Face::Cjk => CJK,
        }
    }

    fn style_name(self) -> &'static str {
        match self {
            Face::Bold => "Bold",
            Face::Italic => "Italic",
            _ => "Regular",
        }
    }
}

/// The family names the HTML and Word documents use for the embedded faces.
pub(crate) const SANS: &str = "Office Sans";
pub(crate) const MONO: &str = "Office Sans Mono";
pub(crate) const CJK: &str = "Office Sans CJK";

/// Characters every subset holds beyond the report's own: printable ASCII (numbers a
/// reader's browser formats, list markers) and the list bullets.
fn always() -> impl Iterator<Item = char> {
    (' '..='~').chain(['\u{a0}', '•', '◦', '▪', '–', '—', '…', '·'])
}

/// Subsets of every loaded face for the characters of `text`. A face that would hold
/// nothing is left out; the CJK face holds only what the Latin face cannot draw.
pub(crate) fn subsets(fonts: &Fonts, text: &str) -> Vec<WebFont> {
    let mut chars: BTreeSet<char> = text
        .chars()
        .filter(|c| !c.is_control())
        .chain(always())
        .collect();
    if chars.iter().any(|&c| ('\u{600}'..='\u{6ff}').contains(&c)) {
        chars.extend(('\u{fb50}'..='\u{fdff}').chain('\u{fe70}'..='\u{feff}'));
    }
    let regular = fonts.faces().find(|l| l.face == Face::Regular);
    let mut out = Vec::new();
    for loaded in fonts.faces() {
        let face: &ttf_parser::Face<'_> = &loaded.shaper;
        let wanted: Vec<char> = chars
            .iter()
            .copied()
            .filter(|&c| match loaded.face {
                Face::Cjk => regular.is_none_or(|r| r.shaper.glyph_index(c).is_none()),
                _ => true,
            })
            .filter(|&c| face.glyph_index(c).is_some_and(|g| g.0 != 0))
            .collect();
        let needed = match loaded.face {
            Face::Cjk => !wanted.is_empty(),
            _ => true,
        };
        if !needed {
            continue;
        }
        if let Some(data) = build(face, &wanted, loaded.face) {
            out.push(WebFont {
                family: loaded.face.family(),
                bold: loaded.face == Face::Bold,
                italic: loaded.face == Face::Italic,
                data,
            });
        }
    }
    out
}

/// Contours of one glyph as TrueType points: (x, y, on-curve).
#[derive(Default)]
struct Contours {
    points: Vec<(i32, i32, bool)>,
    ends: Vec<u16>,
    start: usize,
    last: (f32, f32),
}

/// Largest distance, in font units, between a cubic curve and the quadratic pieces that
/// stand for it.
const TOLERANCE: f32 = 0.5;

impl Contours {
    fn push(&mut self, x: f32, y: f32, on: bool) {
        self.points.push((x.round() as i32, y.round() as i32, on));
        if on {
            self.last = (x, y);
        }
    }

    fn finish(&mut self) {
        let len = self.points.len();
        if len > self.start + 1 && self.points[len - 1] == self.points[self.start] {
            self.points.pop();
        }
        if self.points.len() > self.start {
            self.ends.push((self.points.len() - 1) as u16);
        } else {
            self.points.truncate(self.start);
        }
        self.start = self.points.len();
    }
}

impl OutlineBuilder for Contours {
    fn move_to(&mut self, x: f32, y: f32) {
        self.finish();
        self.push(x, y, true);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.push(x, y, true);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.push(x1, y1, false);
        self.push(x, y, true);
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let p = [self.last, (x1, y1), (x2, y2), (x, y)];
        // The error of one quadratic for a cubic is √3/36 · |p3 − 3·p2 + 3·p1 − p0|, and
        // falls with the cube of the number of pieces.
        let dx = p[3].0 - 3.0 * p[2].0 + 3.0 * p[1].0 - p[0].0;
        let dy = p[3].1 - 3.0 * p[2].1 + 3.0 * p[1].1 - p[0].1;
        let error = (dx * dx + dy * dy).sqrt() * 0.048_112_52;
        let pieces = ((error / TOLERANCE).cbrt().ceil() as usize).clamp(1, 16);
        let at = |t: f32| {
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            (
                a * p[0].0 + b * p[1].0 + c * p[2].0 + d * p[3].0,
                a * p[0].1 + b * p[1].1 + c * p[2].1 + d * p[3].1,
            )
        };
        let slope = |t: f32| {
            let u = 1.0 - t;
            (
                3.0 * (u * u * (p[1].0 - p[0].0)
                    + 2.0 * u * t * (p[2].0 - p[1].0)
                    + t * t * (p[3].0 - p[2].0)),
                3.0 * (u * u * (p[1].1 - p[0].1)
                    + 2.0 * u * t * (p[2].1 - p[1].1)
                    + t * t * (p[3].1 - p[2].1)),
            )
        };
        for i in 0..pieces {
            let (t0, t1) = (i as f32 / pieces as f32, (i + 1) as f32 / pieces as f32);
            let third = (t1 - t0) / 3.0;
            let (q0, q3) = (at(t0), at(t1));
            let (s0, s1) = (slope(t0), slope(t1));
            let a1 = (q0.0 + s0.0 * third, q0.1 + s0.1 * third);
            let a2 = (q3.0 - s1.0 * third, q3.1 - s1.1 * third);
            let control = (
                (3.0 * (a1.0 + a2.0) - q0.0 - q3.0) / 4.0,
                (3.0 * (a1.1 + a2.1) - q0.1 - q3.1) / 4.0,
            );
            self.push(control.0, control.1, false);
            self.push(q3.0, q3.1, true);
        }
    }

    fn close(&mut self) {
        self.finish();
    }
}

/// A glyph written in `glyf`'s simple form, with its box; empty for a glyph without
/// outline (a space).
struct Glyph {
    data: Vec<u8>,
    bbox: Option<(i16, i16, i16, i16)>,
    points: usize,
    contours: usize,
}

fn clamp16(v: i32) -> i16 {
    v.clamp(i16::MIN.into(), i16::MAX.into()) as i16
}

fn glyph(face: &ttf_parser::Face<'_>, id: GlyphId) -> Glyph {
    let mut c = Contours::default();
    face.outline_glyph(id, &mut c);
    c.finish();
    if c.points.is_empty() || c.ends.is_empty() {
        return Glyph {
            data: Vec::new(),
            bbox: None,
            points: 0,
            contours: 0,
        };
    }
    let xs = c.points.iter().map(|p| p.0);
    let ys = c.points.iter().map(|p| p.1);
    let bbox = (
        clamp16(xs.clone().min().unwrap_or(0)),
        clamp16(ys.clone().min().unwrap_or(0)),
        clamp16(xs.max().unwrap_or(0)),
        clamp16(ys.max().unwrap_or(0)),
    );
    let mut data = Vec::with_capacity(12 + c.points.len() * 5);
    data.extend((c.ends.len() as i16).to_be_bytes());
    for v in [bbox.0, bbox.1, bbox.2, bbox.3] {
        data.extend(v.to_be_bytes());
    }
    for end in &c.ends {
        data.extend(end.to_be_bytes());
    }
    data.extend(0u16.to_be_bytes()); // no instructions
    let (mut flags, mut xb, mut yb) = (Vec::new(), Vec::new(), Vec::new());
    let (mut px, mut py) = (0i32, 0i32);
    for &(x, y, on) in &c.points {
        let (x, y) = (i32::from(clamp16(x)), i32::from(clamp16(y)));
        let mut flag = u8::from(on);
        for (d, short, same, bytes) in
            [(x - px, 0x02, 0x10, &mut xb), (y - py, 0x04, 0x20, &mut yb)]
        {
            if d == 0 {
                flag |= same;
            } else if d.abs() < 256 {
                flag |= short;
                if d > 0 {
                    flag |= same;
                }
                bytes.push(d.unsigned_abs() as u8);
            } else {
                bytes.extend((d as i16).to_be_bytes());
            }
        }
        flags.push(flag);
        (px, py) = (x, y);
    }
    data.extend(flags);
    data.extend(xb);
    data.extend(yb);
    Glyph {
        data,
        bbox: Some(bbox),
        points: c.points.len(),
        contours: c.ends.len(),
    }
}

fn put16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(slot) = buf.get_mut(at..at + 2) {
        slot.copy_from_slice(&v.to_be_bytes());
    }
}

/// The subset font of `chars` (each drawn by `face`), or `None` when the face lacks the
/// tables it copies.
fn build(face: &ttf_parser::Face<'_>, chars: &[char], which: Face) -> Option<Vec<u8>> {
    let raw = face.raw_face();
    let table = |tag: &[u8; 4]| raw.table(Tag::from_bytes(tag));
    let (head, hhea) = (table(b"head")?, table(b"hhea")?);
    if head.len() < 54 || hhea.len() < 36 {
        return None;
    }
    // New glyph ids: 0 is .notdef, then one per source glyph, in character order.
    let mut sources = vec![GlyphId(0)];
    let mut new_id: BTreeMap<u16, u16> = BTreeMap::new();
    let mut map: Vec<(u32, u16)> = Vec::with_capacity(chars.len());
    for &c in chars {
        let Some(src) = face.glyph_index(c) else {
            continue;
        };
        let id = *new_id.entry(src.0).or_insert_with(|| {
            sources.push(src);
            (sources.len() - 1) as u16
        });
        map.push((c as u32, id));
    }
    let glyphs: Vec<Glyph> = sources.iter().map(|&g| glyph(face, g)).collect();

    let mut glyf = Vec::new();
    let mut loca = Vec::with_capacity((glyphs.len() + 1) * 4);
    let mut hmtx = Vec::with_capacity(glyphs.len() * 4);
    let (mut x_min, mut y_min, mut x_max, mut y_max) = (i16::MAX, i16::MAX, i16::MIN, i16::MIN);
    let (mut advance_max, mut min_lsb, mut min_rsb, mut max_extent) =
        (0u16, i16::MAX, i16::MAX, i16::MIN);
    let (mut max_points, mut max_contours) = (0usize, 0usize);
    for (g, &src) in glyphs.iter().zip(&sources) {
        loca.extend((glyf.len() as u32).to_be_bytes());
        glyf.extend(&g.data);
        while glyf.len() % 4 != 0 {
            glyf.push(0);
        }
        let advance = face.glyph_hor_advance(src).unwrap_or(0);
        advance_max = advance_max.max(advance);
        let lsb = match g.bbox {
            Some((x0, y0, x1, y1)) => {
                (x_min, y_min, x_max, y_max) =
                    (x_min.min(x0), y_min.min(y0), x_max.max(x1), y_max.max(y1));
                min_lsb = min_lsb.min(x0);
                min_rsb = min_rsb.min(clamp16(i32::from(advance) - i32::from(x1)));
                max_extent = max_extent.max(x1);
                x0
            }
            None => 0,
        };
        max_points = max_points.max(g.points);
        max_contours = max_contours.max(g.contours);
        hmtx.extend(advance.to_be_bytes());
        hmtx.extend(lsb.to_be_bytes());
    }
    loca.extend((glyf.len() as u32).to_be_bytes());
    if x_min > x_max {
        (x_min, y_min, x_max, y_max) = (0, 0, 0, 0);
        (min_lsb, min_rsb, max_extent) = (0, 0, 0);
    }
    let count = glyphs.len() as u16;

    let mut head = head[..54].to_vec();
    head[8..12].fill(0);
    for (i, v) in [x_min, y_min, x_max, y_max].into_iter().enumerate() {
        put16(&mut head, 36 + 2 * i, v as u16);
    }
    put16(&mut head, 50, 1); // long offsets in loca
    put16(&mut head, 52, 0);

    let mut hhea = hhea[..36].to_vec();
    put16(&mut hhea, 10, advance_max);
    put16(&mut hhea, 12, min_lsb as u16);
    put16(&mut hhea, 14, min_rsb as u16);
    put16(&mut hhea, 16, max_extent as u16);
    put16(&mut hhea, 34, count);

    let mut maxp = Vec::with_capacity(32);
    maxp.extend(0x0001_0000u32.to_be_bytes());
    for v in [
        count,
        max_points as u16,
        max_contours as u16,
        0,
        0,
        2,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ] {
        maxp.extend(v.to_be_bytes());
    }

    let mut post = match table(b"post") {
        Some(p) if p.len() >= 32 => p[..32].to_vec(),
        _ => vec![0; 32],
    };
    post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
    if which == Face::Mono {
        post[12..16].copy_from_slice(&1u32.to_be_bytes());
    }

    let first = map.first().map_or(0, |m| m.0.min(0xffff)) as u16;
    let last = map.last().map_or(0, |m| m.0.min(0xffff)) as u16;
    let os2 = table(b"OS/2").filter(|t| t.len() >= 78).map(|t| {
        let mut t = t.to_vec();
        put16(&mut t, 64, first);
        put16(&mut t, 66, last);
        t
    });

    let mut tables: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"cmap", cmap(&map)),
        (*b"glyf", glyf),
        (*b"head", head),
        (*b"hhea", hhea),
        (*b"hmtx", hmtx),
        (*b"loca", loca),
        (*b"maxp", maxp),
        (*b"name", name(face, which)),
        (*b"post", post),
    ];
    if let Some(os2) = os2 {
        tables.push((*b"OS/2", os2));
    }
    tables.sort_by_key(|t| t.0);
    Some(sfnt(tables))
}

/// `cmap` with a format 4 subtable (the Basic Multilingual Plane) and a format 12 one
/// (every plane), both for Windows Unicode. `map` is sorted by character.
fn cmap(map: &[(u32, u16)]) -> Vec<u8> {
    // Runs where character and glyph both go up by one.
    let mut runs: Vec<(u32, u32, u16)> = Vec::new();
    for &(c, g) in map {
        match runs.last_mut() {
            Some((start, end, first))
                if c == *end + 1 && u32::from(*first) + (c - *start) == u32::from(g) =>
            {
                *end = c;
            }
            _ => runs.push((c, c, g)),
        }
    }
    let mut bmp: Vec<(u16, u16, u16)> = runs
        .iter()
        .filter(|r| r.0 <= 0xfffe)
        .map(|&(s, e, g)| (s as u16, e.min(0xfffe) as u16, g))
        .collect();
    bmp.push((0xffff, 0xffff, 0));
    let seg = bmp.len() as u16;
    let mut f4 = Vec::new();
    let entry_selector = 15 - seg.leading_zeros() as u16; // floor(log2(seg))
    let search_range = 2u16 << entry_selector;
    for v in [
        4u16,
        0,
        0,
        seg * 2,
        search_range,
        entry_selector,
        seg * 2 - search_range,
    ] {
        f4.extend(v.to_be_bytes());
    }
    for r in &bmp {
        f4.extend(r.1.to_be_bytes());
    }
    f4.extend(0u16.to_be_bytes());
    for r in &bmp {
        f4.extend(r.0.to_be_bytes());
    }
    for r in &bmp {
        // idDelta: glyph = char + delta (mod 65536); the last segment maps 0xFFFF to 0.
        let delta = if r.0 == 0xffff {
            1
        } else {
            r.2.wrapping_sub(r.0)
        };
        f4.extend(delta.to_be_bytes());
    }
    for _ in &bmp {
        f4.extend(0u16.to_be_bytes());
    }
    let len = f4.len() as u16;
    f4[2..4].copy_from_slice(&len.to_be_bytes());

    let mut f12 = Vec::new();
    f12.extend(12u16.to_be_bytes());
    f12.extend(0u16.to_be_bytes());
    f12.extend((16 + 12 * runs.len() as u32).to_be_bytes());
    f12.extend(0u32.to_be_bytes());
    f12.extend((runs.len() as u32).to_be_bytes());
    for &(s, e, g) in &runs {
        for v in [s, e, u32::from(g)] {
            f12.extend(v.to_be_bytes());
        }
    }

    let mut out = Vec::new();
    for v in [0u16, 2, 3, 1] {
        out.extend(v.to_be_bytes());
    }
    out.extend(20u32.to_be_bytes());
    for v in [3u16, 10] {
        out.extend(v.to_be_bytes());
    }
    out.extend((20 + f4.len() as u32).to_be_bytes());
    out.extend(f4);
    out.extend(f12);
    out
}

/// `name`: the new family and style, and the source's copyright, trademark and license.
fn name(face: &ttf_parser::Face<'_>, which: Face) -> Vec<u8> {
    let family = which.family();
    let style = which.style_name();
    let full = if style == "Regular" {
        family.to_string()
    } else {
        format!("{family} {style}")
    };
    let postscript: String = format!("{family}-{style}")
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect::<Vec<u8>>()
    };
    let mut records: Vec<(u16, Vec<u8>)> = vec![
        (1, utf16(family)),
        (2, utf16(style)),
        (3, utf16(&format!("office subset: {full}"))),
        (4, utf16(&full)),
        (6, utf16(&postscript)),
    ];
    for n in face.names() {
        let windows_unicode = n.platform_id == ttf_parser::PlatformId::Windows
            && n.encoding_id == 1
            && n.language_id == 0x409;
        if windows_unicode && matches!(n.name_id, 0 | 7 | 13 | 14) {
            records.push((n.name_id, n.name.to_vec()));
        }
    }
    records.sort_by_key(|r| r.0);
    records.dedup_by_key(|r| r.0);
    let count = records.len() as u16;
    let mut out = Vec::new();
    for v in [0u16, count, 6 + 12 * count] {
        out.extend(v.to_be_bytes());
    }
    let mut strings: Vec<u8> = Vec::new();
    for (id, text) in &records {
        for v in [3u16, 1, 0x409, *id, text.len() as u16, strings.len() as u16] {
            out.extend(v.to_be_bytes());
        }
        strings.extend(text);
    }
    out.extend(strings);
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The font file: the table directory, then each table on a four-byte boundary, and
/// `head`'s checksum adjustment.
fn sfnt(tables: Vec<([u8; 4], Vec<u8>)>) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::new();
    out.extend(0x0001_0000u32.to_be_bytes());
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &tables {
        out.extend(tag);
        out.extend(checksum(data).to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        out.extend(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    if let Some(at) = head_at {
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjust.to_be_bytes());
    }
    out
}
