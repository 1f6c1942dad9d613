//! The documents a report job makes beside `report.md`: `report.html`, `report.docx` and
//! `report.pdf`, all rendered from the checked Markdown (`model::Document`), so that all
//! of them carry the same text and numbers.
//!
//! Rendering happens here, on the engine's side, after the sandboxed program has ended:
//! the input is text the number check has passed and PNG files read by name from the
//! output folder; every library involved is memory-safe Rust (pulldown-cmark, krilla,
//! rustybuzz, unicode-bidi, png), nothing runs the text, and nothing reaches the network.
//! The fonts are the ones the runtime already pins (see `text`).
//!
//! - `model`: Markdown to blocks;
//! - `html`, `docx`, `pdf`: one writer each; `text`: fonts, shaping, bidi, line breaks;
//! - `webfont`: the fonts' subsets that the HTML page and the Word file carry;
//! - `xlsx`: the tables and the charts' data (`charts.json`) as a workbook, through the
//!   same new-workbook writer as the excel jobs (`book::new_book`).

pub(crate) mod docx;
pub(crate) mod html;
pub(crate) mod model;
pub(crate) mod pdf;
pub(crate) mod text;
pub(crate) mod webfont;
pub(crate) mod xlsx;

#[cfg(test)]
mod tests;

pub(crate) use crate::config::{Paper, ReportSettings};
use model::Document;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A document a report job can make beside `report.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// `report.html`: one self-contained page.
    Html,
    /// `report.docx`: a Word document.
    Docx,
    /// `report.pdf`: pages to print.
    Pdf,
    /// `report.xlsx`: the report's tables, one sheet each, and its charts as native
    /// Excel charts.
    Xlsx,
}

impl ReportFormat {
    /// Every format, the default of a report job.
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Html,
        ReportFormat::Docx,
        ReportFormat::Pdf,
        ReportFormat::Xlsx,
    ];

    /// The artifact's name.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Html => "report.html",
            ReportFormat::Docx => "report.docx",
            ReportFormat::Pdf => "report.pdf",
            ReportFormat::Xlsx => "report.xlsx",
        }
    }

    /// The format's name in a request (`html`, `docx`, `pdf`, `xlsx`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Docx => "docx",
            ReportFormat::Pdf => "pdf",
            ReportFormat::Xlsx => "xlsx",
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" | "htm" => Ok(ReportFormat::Html),
            "docx" | "word" => Ok(ReportFormat::Docx),
            "pdf" => Ok(ReportFormat::Pdf),
            "xlsx" | "excel" => Ok(ReportFormat::Xlsx),
            other => Err(crate::Error::invalid(format!(
                "unknown report format {other:?}: choose from html, docx, pdf, xlsx"
            ))),
        }
    }
}

/// The chart images a report shows, read by name from the program's output folder.
#[derive(Debug, Default)]
pub(crate) struct Charts {
    images: HashMap<String, Vec<u8>>,
}

/// Largest chart image read back (a 1200×675 chart is about 60 KB).
const MAX_CHART_BYTES: u64 = 16 << 20;

impl Charts {
    /// Reads the images `doc` names: plain `.png` names of regular files (never a path,
    /// never a symlink) that start like a PNG.
    pub(crate) fn read(doc: &Document, dir: &Path) -> Charts {
        let mut images = HashMap::new();
        for name in doc.figures() {
            let plain = !name.is_empty()
                && !name.starts_with('.')
                && !name.contains(['/', '\\', '\0'])
                && name.to_ascii_lowercase().ends_with(".png");
            if !plain {
                continue;
            }
            let path = dir.join(&name);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_file() || meta.len() > MAX_CHART_BYTES {
                continue;
            }
            if let Ok(data) = std::fs::read(&path)
                && png_size(&data).is_some()
            {
                images.insert(name, data);
            }
        }
        Charts { images }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.images.get(name).map(Vec::as_slice)
    }

    /// The map's own key for `name` (borrowed for the PDF's image table).
    pub(crate) fn key(&self, name: &str) -> Option<&str> {
        self.images.get_key_value(name).map(|(k, _)| k.as_str())
    }
}

/// Width and height of a PNG, from its header; `None` when it is not one.
pub(crate) fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 24 || &data[..8] != b"\x89PNG\r\n\x1a\n" || &data[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(data[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(data[20..24].try_into().ok()?);
    (w > 0 && h > 0 && w <= 20_000 && h <= 20_000).then_some((w, h))
}

/// What renders a report's documents: the paper and where the fonts are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Renderer {
    pub paper: Paper,
    /// Folders searched for the PDF's fonts, in order.
    pub font_dirs: Vec<PathBuf>,
}

impl Default for Renderer {
    fn default() -> Self {
        let python = std::env::var_os("OFFICE_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".venv/bin/python"));
        Renderer::new(&ReportSettings::default(), &python)
    }
}

impl Renderer {
    /// The paper from the settings; the fonts from `settings.font_dir`, then the
    /// runtime's packages (matplotlib's DejaVu, the pinned Noto Sans CJK JP) next to
    /// `python`, then the system's font folders.
    pub(crate) fn new(settings: &ReportSettings, python: &Path) -> Renderer {
        let mut dirs: Vec<PathBuf> = settings.font_dir.iter().cloned().collect();
        // The venv's interpreter is `<venv>/bin/python`: its packages are under
        // `<venv>/lib/python3.X/site-packages`. Not canonicalized (the symlink would
        // lead out of the venv).
        if let Some(root) = python.parent().and_then(Path::parent)
            && let Ok(entries) = std::fs::read_dir(root.join("lib"))
        {
            let mut libs: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("python"))
                })
                .collect();
            libs.sort();
            for lib in libs {
                let site = lib.join("site-packages");
                dirs.push(site.join("matplotlib/mpl-data/fonts/ttf"));
                dirs.push(site.join("noto_cjk_sans_jp_regular"));
            }
        }
        for system in [
            "/usr/share/fonts/truetype/dejavu",
            "/usr/share/fonts/opentype/noto",
        ] {
            dirs.push(PathBuf::from(system));
        }
        Renderer {
            paper: settings.paper,
            font_dirs: dirs,
        }
    }

    /// Renders each format asked for; a format that cannot be made is left out with
    /// the reason (the report itself stands).
    pub(crate) fn render(
        &self,
        markdown: &str,
        output_dir: &Path,
        formats: &[ReportFormat],
        subject: &str,
    ) -> Vec<(ReportFormat, Result<Vec<u8>, String>)> {
        let doc = Document::parse(markdown);
        let charts = Charts::read(&doc, output_dir);
        let created = chrono::Utc::now();
        let fonts = text::Fonts::load(&self.font_dirs);
        // The HTML page and the Word file carry subsets of the same fonts; without them
        // (no font found) they name the fonts and the viewer's are used.
        let wants_fonts = formats
            .iter()
            .any(|f| matches!(f, ReportFormat::Html | ReportFormat::Docx));
        let carried = match &fonts {
            Ok(fonts) if wants_fonts => webfont::subsets(fonts, markdown),
            _ => Vec::new(),
        };
        formats
            .iter()
            .map(|&format| {
                let made = match format {
                    ReportFormat::Html => {
                        Ok(html::render(&doc, &charts, self.paper, &carried).into_bytes())
                    }
                    ReportFormat::Docx => {
                        docx::render(&doc, &charts, created, subject, self.paper, &carried)
                    }
                    ReportFormat::Pdf => match &fonts {
                        Ok(fonts) => pdf::render(&doc, &charts, fonts, self.paper),
                        Err(e) => Err(e.clone()),
                    },
                    ReportFormat::Xlsx => xlsx::render(&doc, output_dir),
                };
                (format, made)
            })
            .collect()
    }
}
