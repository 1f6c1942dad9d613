//! Scanning produced workbooks for what would fetch from outside once a person opens them:
//! WEBSERVICE (and FILTERXML over a URL), IMAGE, HYPERLINK to anything but a place in the
//! workbook, RTD, DDE (`=cmd|'...'!A0`), links to other workbooks (`externalLinks/` parts,
//! `[1]Sheet!A1` references), data connections, and relationships whose target is outside
//! the package (external hyperlinks, linked pictures). Formulas are read wherever a
//! workbook keeps them: cells, defined names, conditional formats, data validations
//! (theirs and the x14 extensions'), charts.
//! The sandbox cannot reach the network, but the file it writes travels on: these are
//! reported in summary.json and the job's log, not silently delivered.
//!
//! The scan is bounded, because the workbook is the program's: a package with overlapping
//! entries (the "better zip bomb"), more entries than a workbook has, a part that inflates
//! past its cap or far past its compressed size, or more inflated bytes or time in all than
//! the collect `Budget` allows is refused with a reason, in time linear in what was read.
//! Every scanner below makes one pass over its input.

use serde::Serialize;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// Entries a workbook package may have (Excel's own files have a few hundred at most).
const MAX_ENTRIES: usize = 10_000;
/// Largest part inflated, declared or actual.
const MAX_PART_BYTES: u64 = 64 << 20;
/// Largest inflated-to-compressed ratio of a part over `RATIO_MIN_BYTES` inflated. Sheet XML
/// written by openpyxl or Excel compresses 5-50 times; deflate's ceiling is about 1032.
const MAX_RATIO: u64 = 250;
const RATIO_MIN_BYTES: u64 = 1 << 20;
/// Declared inflated size of every entry of one package together.
const MAX_DECLARED_TOTAL: u64 = 1 << 30;
/// Findings kept per workbook.
const MAX_FINDINGS: usize = 50;
/// Bytes read per step; the budget's clock is checked between steps.
const CHUNK: usize = 64 << 10;

/// What one collect may spend scanning workbooks, shared by all of them.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Instant,
    time: Duration,
    inflate_left: u64,
    inflate_total: u64,
}

impl Budget {
    /// Inflated bytes read in all, and time, before the collect gives up.
    pub const DEFAULT_INFLATED_BYTES: u64 = 256 << 20;
    /// Time a collect's scans may take in all.
    pub const DEFAULT_TIME: Duration = Duration::from_secs(10);

    /// A budget of `inflated_bytes` and `time`, whose clock starts now.
    pub fn new(inflated_bytes: u64, time: Duration) -> Self {
        Budget {
            deadline: Instant::now() + time,
            time,
            inflate_left: inflated_bytes,
            inflate_total: inflated_bytes,
        }
    }

    fn check_time(&self) -> Result<(), String> {
        if Instant::now() > self.deadline {
            Err(format!(
                "scanning the workbooks took longer than the {} s budget",
                self.time.as_secs()
            ))
        } else {
            Ok(())
        }
    }

    fn spend(&mut self, bytes: u64) -> Result<(), String> {
        if bytes > self.inflate_left {
            return Err(format!(
                "the workbooks inflate to more than the {} MB scan budget",
                self.inflate_total >> 20
            ));
        }
        self.inflate_left -= bytes;
        self.check_time()
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(Self::DEFAULT_INFLATED_BYTES, Self::DEFAULT_TIME)
    }
}

/// One thing in a workbook that reaches outside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalReference {
    /// The workbook, relative to the output folder.
    pub file: String,
    /// The part of the package it is in (e.g. `xl/worksheets/sheet1.xml`).
    pub part: String,
    /// `webservice`, `filterxml_url`, `image_url`, `hyperlink`, `rtd`, `dde`,
    /// `external_workbook`, `external_link`, `data_connection`, `external_hyperlink`,
    /// `external_target`.
    pub kind: String,
    /// The formula or part name, clipped.
    pub detail: String,
}

/// Whether a produced file is a workbook package this scan reads.
pub(crate) fn is_scanned(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xlsx") || lower.ends_with(".xlsm")
}

/// Which parts are read, and how.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartKind {
    /// XML whose formula-bearing elements are read.
    Formulas,
    /// A relationships part: targets outside the package are findings.
    Relationships,
}

fn part_kind(part: &str) -> Option<PartKind> {
    if part.ends_with(".rels") {
        Some(PartKind::Relationships)
    } else if part.starts_with("xl/") && part.ends_with(".xml") {
        Some(PartKind::Formulas)
    } else {
        None
    }
}

/// The external references of the workbook at `path` (`name` is how it is reported). A
/// file that is not a readable zip yields nothing: it is not a workbook Excel would open.
/// `Err` says why the package was refused (a zip bomb, or the budget spent).
pub fn scan_workbook(
    path: &Path,
    name: &str,
    budget: &mut Budget,
) -> Result<Vec<ExternalReference>, String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(Vec::new());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(Vec::new());
    };
    let parts = checked_entries(&mut archive)?;
    budget.check_time()?;

    let mut found = Vec::new();
    let mut finding = |part: &str, kind: &str, detail: &str| {
        if found.len() < MAX_FINDINGS {
            found.push(ExternalReference {
                file: name.to_string(),
                part: part.to_string(),
                kind: kind.to_string(),
                detail: clip(detail, 200),
            });
        }
    };
    for (index, part, compressed) in parts {
        if part.starts_with("xl/externalLinks/") && part.ends_with(".xml") {
            finding(&part, "external_link", &part);
            continue;
        }
        if part == "xl/connections.xml" {
            finding(&part, "data_connection", &part);
            continue;
        }
        let Some(kind) = part_kind(&part) else {
            continue;
        };
        let Ok(entry) = archive.by_index(index) else {
            continue;
        };
        let xml = inflate(entry, &part, compressed, budget)?;
        let xml = String::from_utf8_lossy(&xml);
        match kind {
            PartKind::Formulas => {
                for formula in formulas(&xml) {
                    if let Some(kind) = classify(&formula) {
                        finding(&part, kind, &formula);
                    }
                }
            }
            PartKind::Relationships => {
                for (kind, target) in external_targets(&xml) {
                    finding(&part, kind, &target);
                }
            }
        }
        budget.check_time()?;
    }
    Ok(found)
}

/// The entries of a workbook package, checked before anything is inflated: not more than a
/// workbook has, none overlapping another, none declaring more than its cap or inflating far
/// past its compressed size. Each is `(index, name, compressed size)`; entries whose name
/// cannot be read are left out. Shared with the write-back (`book::package`), which reads
/// the user's package under the same bounds.
pub(crate) fn checked_entries<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
) -> Result<Vec<(usize, String, u64)>, String> {
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "it has {} zip entries, more than the {MAX_ENTRIES} a workbook may have",
            archive.len()
        ));
    }
    // Overlapping entries make a few kilobytes inflate many times over (each entry reuses
    // the same compressed data): refused before anything is inflated.
    match archive.has_overlapping_entries() {
        Ok(false) => {}
        Ok(true) => {
            return Err("its zip entries overlap one another (a zip bomb)".to_string());
        }
        Err(e) => return Err(format!("its zip directory cannot be read ({e})")),
    }
    let mut declared_total = 0u64;
    let mut parts = Vec::new();
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(index) else {
            continue;
        };
        let (size, compressed) = (entry.size(), entry.compressed_size());
        declared_total = declared_total.saturating_add(size);
        if declared_total > MAX_DECLARED_TOTAL {
            return Err(format!(
                "its entries declare more than {} MB inflated",
                MAX_DECLARED_TOTAL >> 20
            ));
        }
        let Ok(part) = entry.name().map(|name| name.into_owned()) else {
            continue;
        };
        check_ratio(&part, size, compressed)?;
        parts.push((index, part, compressed));
    }
    Ok(parts)
}

fn check_ratio(part: &str, size: u64, compressed: u64) -> Result<(), String> {
    if size > MAX_PART_BYTES {
        return Err(format!(
            "its part {part} inflates to more than {} MB",
            MAX_PART_BYTES >> 20
        ));
    }
    if size > RATIO_MIN_BYTES && size / compressed.max(1) > MAX_RATIO {
        return Err(format!(
            "its part {part} inflates {} times its compressed size (more than {MAX_RATIO})",
            size / compressed.max(1)
        ));
    }
    Ok(())
}

/// A part's bytes, inflated in steps against the budget and the part's caps (the sizes in
/// the directory may lie, so what is actually read is counted).
pub(crate) fn inflate(
    mut entry: impl Read,
    part: &str,
    compressed: u64,
    budget: &mut Budget,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match entry.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            // A damaged part is not a workbook Excel would open: nothing more to read.
            Err(_) => break,
        };
        budget.spend(n as u64)?;
        out.extend_from_slice(&chunk[..n]);
        check_ratio(part, out.len() as u64, compressed)?;
    }
    Ok(out)
}

/// Local names (after any `prefix:`) of the elements whose text is a formula: cells (`f`),
/// conditional formats (`formula`), data validations (`formula1`, `formula2`), the x14
/// extensions of both (`xm:f`), defined names (`definedName`), chart references (`c:f`).
const FORMULA_ELEMENTS: &[&str] = &["f", "formula", "formula1", "formula2", "definedName"];

/// The text of every formula-bearing element, XML entities decoded. One pass: each `<`
/// is looked at once, and a formula's text ends at the next `<`.
fn formulas(xml: &str) -> Vec<String> {
    let bytes = xml.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = find_byte(bytes, at, b'<') {
        let name_start = found + 1;
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/' | b'<'))
            .map_or(bytes.len(), |n| name_start + n);
        at = name_end;
        let name = &xml[name_start..name_end];
        let local = name.rsplit(':').next().unwrap_or(name);
        if name.is_empty() || !FORMULA_ELEMENTS.contains(&local) {
            continue;
        }
        let Some(open_end) = find_byte(bytes, name_end, b'>') else {
            break;
        };
        at = open_end + 1;
        if bytes[open_end - 1] == b'/' {
            continue;
        }
        let text_end = find_byte(bytes, at, b'<').unwrap_or(bytes.len());
        out.push(unescape(&xml[at..text_end]));
        at = text_end;
    }
    out
}

fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == byte)
        .map(|n| from + n)
}

/// XML's five named entities and numeric character references, in one pass.
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // An entity is short: look no further than 12 bytes for its `;`.
        let window = &rest.as_bytes()[..rest.len().min(12)];
        let decoded = window.iter().position(|&b| b == b';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(|n| n.ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Relationships whose target is outside the package (`TargetMode="External"`): hyperlinks,
/// linked pictures, OLE links, templates.
fn external_targets(xml: &str) -> Vec<(&'static str, String)> {
    let bytes = xml.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = find_byte(bytes, at, b'<') {
        let Some(end) = find_byte(bytes, found + 1, b'>') else {
            break;
        };
        at = end + 1;
        let tag = &xml[found + 1..end];
        let name = tag
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or("");
        if name.rsplit(':').next() != Some("Relationship") {
            continue;
        }
        if attribute(tag, "TargetMode").is_some_and(|mode| mode.eq_ignore_ascii_case("External")) {
            let kind = if attribute(tag, "Type").is_some_and(|t| t.ends_with("/hyperlink")) {
                "external_hyperlink"
            } else {
                "external_target"
            };
            out.push((kind, unescape(attribute(tag, "Target").unwrap_or(""))));
        }
    }
    out
}

/// The value of `name="..."` (or `'...'`) in an element's open tag.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let value = &value[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

/// What one pass over a formula found outside its string literals.
#[derive(Default)]
struct FormulaFacts {
    /// Functions called, upper-cased, without a `_xlfn.`-style prefix, with the byte
    /// offset just past their `(`.
    calls: Vec<(String, usize)>,
    /// `app|topic!item`.
    dde_link: bool,
    /// `[1]Sheet1!A1` or `'C:\path\[book.xlsx]Sheet'!A1`.
    external_workbook: bool,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Reads a formula once: every byte is looked at a bounded number of times (a `[` jumps to
/// its `]`, and the search resumes after it), so the cost is linear in its length.
fn formula_facts(formula: &str) -> FormulaFacts {
    let bytes = formula.as_bytes();
    let mut facts = FormulaFacts::default();
    let (mut in_string, mut pipe_seen, mut brackets_closed) = (false, false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            in_string = !in_string;
            i += 1;
            continue;
        }
        if in_string {
            i += 1;
            continue;
        }
        match b {
            b if is_name_byte(b) => {
                let start = i;
                while i < bytes.len() && is_name_byte(bytes[i]) {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'(') {
                    let name = &formula[start..i];
                    let name = name.rsplit('.').next().unwrap_or(name);
                    facts.calls.push((name.to_ascii_uppercase(), i + 1));
                }
                continue;
            }
            b'|' => pipe_seen = true,
            b'!' if pipe_seen => facts.dde_link = true,
            b'[' if brackets_closed => match find_byte(bytes, i + 1, b']') {
                Some(close) => {
                    let after = &bytes[close + 1..bytes.len().min(close + 65)];
                    let first = after
                        .iter()
                        .position(|b| matches!(b, b'!' | b' ' | b',' | b')' | b'('))
                        .unwrap_or(after.len());
                    if first > 0 && after.contains(&b'!') {
                        facts.external_workbook = true;
                    }
                    i = close;
                }
                // No `]` anywhere after: no later `[` has one either.
                None => brackets_closed = false,
            },
            _ => {}
        }
        i += 1;
    }
    facts
}

/// What kind of outside reach a formula has, if any.
fn classify(formula: &str) -> Option<&'static str> {
    let facts = formula_facts(formula);
    let calls = |name: &str| facts.calls.iter().any(|(called, _)| called == name);
    if calls("WEBSERVICE") {
        Some("webservice")
    } else if calls("FILTERXML") && formula.contains("://") {
        Some("filterxml_url")
    } else if calls("IMAGE") {
        Some("image_url")
    } else if calls("RTD") {
        Some("rtd")
    } else if facts.dde_link || calls("DDE") || calls("DDEAUTO") {
        Some("dde")
    } else if facts.external_workbook {
        Some("external_workbook")
    } else if facts.calls.iter().any(|(called, after)| {
        // A link to a place in this workbook starts with `#`; anything else may leave it.
        called == "HYPERLINK" && !formula[*after..].trim_start().starts_with("\"#")
    }) {
        Some("hyperlink")
    } else {
        None
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests;
