//! The documents read back with the tools a person would use: poppler (pdftotext,
//! pdffonts, pdfinfo, pdftoppm) for the PDF, python-docx for the Word file, Python's
//! HTML parser for the page. What they made is kept under
//! `target/test-output/report-documents/unit/`. The chart is a real matplotlib PNG.

use super::model::Document;
use super::text::{Fonts, lines};
use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn kept(case: &str) -> PathBuf {
    let dir = repo()
        .join("target/test-output/report-documents/unit")
        .join(case);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn renderer() -> Renderer {
    Renderer::new(&ReportSettings::default(), &python())
}

/// A chart as the report programs draw it.
fn chart(dir: &Path) {
    let script = "import sys, matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n\
                  fig, ax = plt.subplots(figsize=(12, 6.75))\nax.bar(['a', 'b', 'c'], [3, 1, 2])\n\
                  fig.savefig(sys.argv[1], dpi=100)\n";
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(dir.join("chart_1.png"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a Python script on `file` with the test-only packages (python-docx) on the path;
/// returns what it printed.
fn run_python(script: &str, file: &Path) -> String {
    let out = Command::new(python())
        .env("PYTHONPATH", repo().join("target/test-python"))
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (poppler-utils, see .ci/run): {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every line of the report's own text shows up, in order, in `text`.
fn assert_in_order(doc: &Document, text: &str, what: &str) {
    let hay = squeeze(text);
    let mut at = 0;
    for line in doc.text().lines() {
        let needle = squeeze(line);
        match hay[at..].find(&needle) {
            Some(i) => at += i + needle.len(),
            None => panic!("{what}: {line:?} missing or out of order in:\n{text}"),
        }
    }
}

fn render_one(md: &str, dir: &Path, format: ReportFormat, paper: Paper) -> Vec<u8> {
    let mut r = renderer();
    r.paper = paper;
    let (_, made) = r.render(md, dir, &[format], "the request").remove(0);
    made.unwrap()
}

/// Writes the PDF, renders its first page, returns (text, fonts, info).
fn read_pdf(pdf: &[u8], case: &str) -> (String, String, String) {
    let dir = kept(case);
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let p = path.to_str().unwrap();
    let first = dir.join("page-1");
    tool(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            p,
            first.to_str().unwrap(),
        ],
    );
    assert!(dir.join("page-1.png").exists());
    // Layout mode keeps a table's rows on their lines; page footers (`2 / 3`) are left
    // out, so that a paragraph running over a page break reads whole.
    // pdftotext marks right-to-left lines with bidi controls (U+202A..U+202E); they are
    // no part of the text.
    let text: String = tool("pdftotext", &["-layout", "-enc", "UTF-8", p, "-"])
        .chars()
        .filter(|c| !matches!(*c as u32, 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069))
        .collect();
    let footer = |l: &str| {
        let parts: Vec<&str> = l.trim().split('/').map(str::trim).collect();
        parts.len() == 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    let footers = text.lines().filter(|l| footer(l)).count();
    let body: Vec<&str> = text.lines().filter(|l| !footer(l)).collect();
    (
        format!("{}\nfooters: {footers}", body.join("\n")),
        tool("pdffonts", &[p]),
        tool("pdfinfo", &[p]),
    )
}

fn long_report() -> String {
    let mut md = String::from("# Quarterly review\n\n");
    for s in 1..=5 {
        md.push_str(&format!(
            "## Section {s}\n\nThis section says something about part {s} of the data, \
             long enough to wrap over more than one line of the page at this size of text.\n\n"
        ));
    }
    md.push_str("> A note from the team.\n> On two lines.\n\n- first point\n- second point\n\n");
    md.push_str("| Region | Sales | Share |\n|---|---:|---:|\n");
    for r in 1..=60 {
        md.push_str(&format!("| Region {r} | {} | {}.5 |\n", r * 100, r % 10));
    }
    md.push_str("\n![Chart for sales.csv](chart_1.png)\n\n## Conclusion\n\nDone.\n");
    md
}

#[test]
fn the_pdf_has_the_text_page_numbers_contents_and_embedded_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let md = long_report();
    let pdf = render_one(&md, tmp.path(), ReportFormat::Pdf, Paper::A4);
    let (text, fonts, info) = read_pdf(&pdf, "long");
    let doc = Document::parse(&md);
    // Contents first (6 sections), then the report.
    let contents = text.find("Contents").expect("a table of contents");
    assert!(contents < text.find("This section says").unwrap());
    assert!(text.find("Quarterly review").unwrap() < contents);
    assert_in_order(&doc, &text, "report.pdf");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "{info}");
    assert!(info.contains("A4"), "{info}");
    assert!(info.contains("Quarterly review"), "{info}");
    assert!(text.ends_with(&format!("footers: {pages}")), "{text}");
    // The table's header row is repeated on the page the table continues on.
    assert!(text.matches("Region").count() > 61, "{text}");
    for line in fonts.lines().skip(2) {
        assert!(line.contains(" yes "), "not embedded: {fonts}");
    }
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    // Each of the 6 contents lines links to its section: a link annotation whose
    // destination is a page and a position (`[page /XYZ x y zoom]`).
    let raw = String::from_utf8_lossy(&pdf);
    let links: Vec<&str> = raw.split("/Subtype/Link").skip(1).collect();
    assert_eq!(links.len(), 6, "link annotations");
    for link in links {
        let dest = link
            .split("/Dest ")
            .nth(1)
            .and_then(|d| d.split(" 0 R").next())
            .expect("a destination");
        let object = raw
            .split(&format!("\n{dest} 0 obj\n"))
            .nth(1)
            .expect("the destination object");
        assert!(
            object.starts_with('[') && object[..60.min(object.len())].contains("/XYZ"),
            "{object:.60}"
        );
    }
    // An image was drawn (pdfimages would list it; its size is the chart's).
    assert!(pdf.len() > 20_000);

    let letter = render_one(&md, tmp.path(), ReportFormat::Pdf, Paper::Letter);
    let (_, _, info) = read_pdf(&letter, "long-letter");
    assert!(info.contains("612 x 792"), "{info}");
}

#[test]
fn every_script_is_drawn_with_real_glyphs_and_arabic_is_shaped() {
    let fonts = Fonts::load(&renderer().font_dirs).unwrap();
    for text in [
        "Sales review",
        "Продажи за год",
        "Πωλήσεις",
        "דוח מכירות",
        "تقرير المبيعات",
        "上半年销售报告",
        "売上レポート",
        "매출 보고서",
    ] {
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            assert!(fonts.covers(c), "no glyph for {c:?}");
        }
        let span = model::Span {
            text: text.into(),
            style: Default::default(),
            link: None,
        };
        let laid = lines(&fonts, &[span], 10.0, 400.0, false);
        assert_eq!(laid.len(), 1);
        for run in &laid[0].runs {
            assert!(
                run.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0),
                "tofu in {text:?}"
            );
        }
    }
    // Joined Arabic letters are other glyphs than the same letters alone.
    let glyphs = |text: &str| -> Vec<u32> {
        let span = model::Span {
            text: text.into(),
            style: Default::default(),
            link: None,
        };
        lines(&fonts, &[span], 10.0, 400.0, false)[0]
            .runs
            .iter()
            .flat_map(|r| r.glyphs.iter().map(|g| g.glyph_id.to_u32()))
            .collect()
    };
    let joined = glyphs("سلم");
    let alone: Vec<u32> = ["س", "ل", "م"].iter().flat_map(|c| glyphs(c)).collect();
    assert_eq!(joined.len(), 3);
    assert_ne!(joined, alone);
    let mut reversed = alone.clone();
    reversed.reverse();
    assert_ne!(joined, reversed);
}

#[test]
fn a_chinese_report_and_an_arabic_title_extract_in_logical_order() {
    let tmp = tempfile::tempdir().unwrap();
    let chinese = "# 上半年销售报告\n\n## 摘要\n\n上半年销售额增长，华北地区最好。\n\n\
                   > 目标在一月设定。\n\n| 地区 | 销售额 |\n|---|---:|\n| 华北 | 120 |\n";
    let pdf = render_one(chinese, tmp.path(), ReportFormat::Pdf, Paper::A4);
    let (text, fonts, _) = read_pdf(&pdf, "chinese");
    assert_in_order(&Document::parse(chinese), &text, "chinese report.pdf");
    assert!(text.contains("上半年销售额增长，华北地区最好。"), "{text}");
    assert!(fonts.contains("NotoSansCJK"), "{fonts}");

    let arabic = "# تقرير المبيعات السنوي\n\n## Summary\n\nThe report covers one file \
                  with the sales of every region.\n\n> הערה נבדקה בינואר\n\n\
                  | Region | Sales |\n|---|---:|\n| الشمال | 120 |\n";
    let pdf = render_one(arabic, tmp.path(), ReportFormat::Pdf, Paper::A4);
    let (text, fonts, _) = read_pdf(&pdf, "arabic");
    // (Punctuation at the end of a right-to-left line is where poppler's extraction
    // guesses differ from the bidi algorithm; the letters and words read in order.)
    for expected in ["تقرير المبيعات السنوي", "הערה נבדקה בינואר", "الشمال"]
    {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_in_order(&Document::parse(arabic), &text, "arabic report.pdf");
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
}

#[test]
fn the_word_document_opens_with_python_docx() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let md = long_report();
    let docx = render_one(&md, tmp.path(), ReportFormat::Docx, Paper::A4);
    let path = kept("long").join("report.docx");
    std::fs::write(&path, docx).unwrap();
    let site = repo().join("target/test-python");
    assert!(
        site.join("docx").exists(),
        "python-docx is needed in {} (.ci/run)",
        site.display()
    );
    let script = r#"
import json, sys, docx
from docx.oxml.ns import qn
d = docx.Document(sys.argv[1])
t = d.tables[0]
print(json.dumps({
  "title": d.core_properties.title,
  "styles": [p.style.name for p in d.paragraphs],
  "texts": [p.text for p in d.paragraphs],
  "rows": len(t.rows), "header": [c.text for c in t.rows[0].cells],
  "repeat": t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None,
  "bold": all(r.bold for r in t.rows[0].cells[0].paragraphs[0].runs),
  "pictures": len(d.inline_shapes),
  "picture_width": d.inline_shapes[0].width,
}))
"#;
    let got: serde_json::Value = serde_json::from_str(&run_python(script, &path)).unwrap();
    assert_eq!(got["title"], "Quarterly review");
    let styles: Vec<&str> = got["styles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(styles[0], "Title");
    assert_eq!(styles.iter().filter(|s| **s == "Heading 1").count(), 6);
    assert_eq!(styles.iter().filter(|s| **s == "Quote").count(), 1);
    assert_eq!(styles.iter().filter(|s| **s == "List Paragraph").count(), 2);
    assert_eq!(styles.iter().filter(|s| **s == "Caption").count(), 1);
    assert_eq!(got["rows"], 61);
    assert_eq!(
        got["header"],
        serde_json::json!(["Region", "Sales", "Share"])
    );
    assert_eq!(got["repeat"], true);
    assert_eq!(got["bold"], true);
    assert_eq!(got["pictures"], 1);
    assert!(got["picture_width"].as_u64().unwrap() > 5_000_000);
    let texts: Vec<&str> = got["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"A note from the team. On two lines."),
        "{texts:?}"
    );
}

#[test]
fn the_html_page_holds_its_charts_and_tables() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let md = long_report();
    let html = render_one(&md, tmp.path(), ReportFormat::Html, Paper::A4);
    std::fs::write(kept("long").join("report.html"), &html).unwrap();
    let html = String::from_utf8(html).unwrap();
    let png = std::fs::read(tmp.path().join("chart_1.png")).unwrap();
    assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 1);
    assert!(html.contains("width=\"1200\" height=\"675\""));
    assert!(html.len() > png.len() * 4 / 3);
    assert_eq!(html.matches("<table>").count(), 1);
    assert_eq!(html.matches("<tr>").count(), 61);
    assert!(html.contains("<th dir=\"auto\">Region</th><th class=\"r\" dir=\"auto\">Sales</th>"));
    assert!(html.contains("<blockquote"));
    assert!(html.contains("@media print") && html.contains("size:A4"));
    assert!(html.contains("name=\"viewport\""));
    // No path leaves the page: no external reference of any kind (the embedded
    // pictures and fonts, as base64, left out of the search).
    let outside: String = html
        .split("base64,")
        .map(|part| {
            part.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || "+/=".contains(c))
        })
        .collect();
    assert!(!outside.contains("src=\"chart_1.png\"") && !outside.contains("http"));
    assert!(!outside.contains("url(http") && !outside.contains("@import"));
}

/// A report in every script the fonts cover, with code and bold text.
const SCRIPTS_REPORT: &str = "# 上半年销售报告 — تقرير المبيعات\n\n## Summary: Продажи и Πωλήσεις\n\n\
    Sales grew **strongly** in *every* region; see `total_sales`.\n\n\
    > הערה נבדקה בינואר · 売上レポート · 매출 보고서\n\n\
    | 地区 | الشمال | Сумма |\n|---|---|---:|\n| 华北 | سلم | 1,234.50 |\n";

/// Reads the fonts a document carries with fontTools (matplotlib's dependency, in the
/// runtime's venv) and prints, per font, its family, weight, italic flag and, for each
/// code point asked for, the box of the glyph its cmap maps it to (`null` when unmapped
/// or without outline). `mode` is `html` (the `@font-face` data URIs) or `docx` (the
/// obfuscated parts named by `word/fontTable.xml`, the key read back from the GUID).
fn carried_fonts(mode: &str, file: &Path, chars: &[char]) -> serde_json::Value {
    let script = r#"
import sys, re, io, json, base64, zipfile
from fontTools.ttLib import TTFont
from fontTools.pens.boundsPen import BoundsPen
mode, path, wanted, sources = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
found = []
if mode == "html":
    html = open(path, encoding="utf-8").read()
    for fam, weight, style, data in re.findall(
            r"@font-face\{font-family:'([^']+)';font-weight:(\d+);font-style:(\w+);[^}]*?base64,([A-Za-z0-9+/=]+)\)", html):
        found.append((fam, int(weight) == 700, style == "italic", base64.b64decode(data)))
else:
    z = zipfile.ZipFile(path)
    table = z.read("word/fontTable.xml").decode()
    rels = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', z.read("word/_rels/fontTable.xml.rels").decode()))
    assert "embedTrueTypeFonts" in z.read("word/settings.xml").decode()
    for fam, body in re.findall(r'<w:font w:name="([^"]+)">(.*?)</w:font>', table):
        for kind, rid, guid in re.findall(r'<w:embed(\w+) r:id="([^"]+)" w:fontKey="\{([0-9A-F-]+)\}"/>', body):
            data = bytearray(z.read("word/" + rels[rid]))
            key = bytes.fromhex(guid.replace("-", ""))[::-1]
            for i in range(32):
                data[i] ^= key[i % 16]
            found.append((fam, kind == "Bold", kind == "Italic", bytes(data)))
def boxes(font):
    cmap = font.getBestCmap()
    glyphs = font.getGlyphSet()
    found = {}
    for cp in wanted:
        name = cmap.get(cp)
        box = None
        if name is not None:
            pen = BoundsPen(glyphs)
            glyphs[name].draw(pen)
            box = pen.bounds
        found[str(cp)] = box
    return found
out = []
for fam, bold, italic, data in found:
    font = TTFont(io.BytesIO(data))
    assert font["name"].getDebugName(1) == fam, (font["name"].getDebugName(1), fam)
    entry = {"family": fam, "bold": bold, "italic": italic, "bytes": len(data),
             "glyphs": font["maxp"].numGlyphs, "boxes": boxes(font)}
    if not bold and not italic and fam in sources:
        entry["source_boxes"] = boxes(TTFont(sources[fam], fontNumber=0, lazy=True))
    out.append(entry)
print(json.dumps(out))
"#;
    let wanted: Vec<u32> = chars.iter().map(|&c| c as u32).collect();
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(mode)
        .arg(file)
        .arg(serde_json::to_string(&wanted).unwrap())
        .arg(source_fonts().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The files the PDF's Regular and CJK faces come from, by the carried family.
fn source_fonts() -> serde_json::Value {
    let dirs = renderer().font_dirs;
    let find = |names: &[&str]| {
        dirs.iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    };
    serde_json::json!({
        webfont::SANS: find(&["DejaVuSans.ttf"]),
        webfont::CJK: find(&["NotoSansCJKjp-Regular.otf", "NotoSansCJK-Regular.ttc"]),
    })
}

/// Every visible character of the report is drawn by a carried font of the family the
/// document asks for, with the outline of the PDF's font (same box within two units:
/// the CJK font's cubic curves become quadratic ones).
fn assert_real_glyphs(carried: &serde_json::Value, what: &str) {
    let fonts = Fonts::load(&renderer().font_dirs).unwrap();
    let chars: Vec<char> = Document::parse(SCRIPTS_REPORT)
        .text()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let list = carried.as_array().unwrap();
    let regular = list
        .iter()
        .find(|f| f["family"] == webfont::SANS && f["bold"] == false && f["italic"] == false)
        .unwrap_or_else(|| panic!("{what}: no regular face in {carried}"));
    let cjk = list.iter().find(|f| f["family"] == webfont::CJK);
    for face in [
        text::Face::Regular,
        text::Face::Bold,
        text::Face::Italic,
        text::Face::Mono,
    ] {
        let family = if face == text::Face::Mono {
            webfont::MONO
        } else {
            webfont::SANS
        };
        let bold = face == text::Face::Bold;
        let italic = face == text::Face::Italic;
        assert!(
            list.iter()
                .any(|f| f["family"] == family && f["bold"] == bold && f["italic"] == italic),
            "{what}: no {face:?} face"
        );
    }
    for c in chars {
        let key = (c as u32).to_string();
        let carrier = if fonts
            .faces()
            .next()
            .unwrap()
            .shaper
            .glyph_index(c)
            .is_some()
        {
            regular
        } else {
            cjk.unwrap_or_else(|| panic!("{what}: {c:?} is not in the Latin face and no CJK face"))
        };
        let got = carrier["boxes"][&key]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: {c:?} (U+{:04X}) is not drawn", c as u32));
        let want = carrier["source_boxes"][&key]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: {c:?} has no outline in the source font"));
        for (g, w) in got.iter().zip(want) {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 2.0,
                "{what}: {c:?} box {got:?} against {want:?}"
            );
        }
    }
    // Arabic joins in a font without layout tables through its presentation forms.
    for form in ['\u{FEB3}', '\u{FEE0}', '\u{FEE2}', '\u{FEFB}'] {
        assert!(
            regular["boxes"][&(form as u32).to_string()].is_array(),
            "{what}: no presentation form U+{:04X}",
            form as u32
        );
    }
    // Subsets, not the whole fonts.
    for f in list {
        assert!(
            f["glyphs"].as_u64().unwrap() < 700,
            "{what}: {} glyphs",
            f["glyphs"]
        );
    }
}

fn wanted_chars() -> Vec<char> {
    let mut chars: Vec<char> = SCRIPTS_REPORT.chars().filter(|c| !c.is_control()).collect();
    chars.extend(['\u{FEB3}', '\u{FEE0}', '\u{FEE2}', '\u{FEFB}']);
    chars.sort_unstable();
    chars.dedup();
    chars
}

#[test]
fn the_html_page_carries_fonts_with_real_glyphs_for_every_script() {
    let tmp = tempfile::tempdir().unwrap();
    let html = render_one(SCRIPTS_REPORT, tmp.path(), ReportFormat::Html, Paper::A4);
    let path = kept("scripts").join("report.html");
    std::fs::write(&path, &html).unwrap();
    let carried = carried_fonts("html", &path, &wanted_chars());
    assert_real_glyphs(&carried, "report.html");
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("font:16px/1.55 'Office Sans','Office Sans CJK'"));
    // The whole page stays small: subsets, base64.
    assert!(html.len() < 600_000, "{} bytes", html.len());
}

#[test]
fn the_word_document_carries_obfuscated_fonts_with_real_glyphs() {
    let tmp = tempfile::tempdir().unwrap();
    let docx = render_one(SCRIPTS_REPORT, tmp.path(), ReportFormat::Docx, Paper::A4);
    let path = kept("scripts").join("report.docx");
    std::fs::write(&path, &docx).unwrap();
    let carried = carried_fonts("docx", &path, &wanted_chars());
    assert_real_glyphs(&carried, "report.docx");
    // Obfuscated as stored: the part does not start like a font file.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut part = zip.by_name("word/fonts/font1.odttf").unwrap();
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut part, &mut head).unwrap();
    assert_ne!(head, [0, 1, 0, 0]);
}

#[test]
fn a_report_without_fonts_still_makes_its_page() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = renderer();
    r.font_dirs = vec![tmp.path().join("nowhere")];
    let made = r.render(
        SCRIPTS_REPORT,
        tmp.path(),
        &[ReportFormat::Html, ReportFormat::Pdf],
        "x",
    );
    let html = String::from_utf8(made[0].1.clone().unwrap()).unwrap();
    assert!(!html.contains("@font-face") && html.contains("上半年销售报告"));
    assert!(made[1].1.as_ref().unwrap_err().contains("DejaVuSans.ttf"));
}

#[test]
fn only_plain_png_names_in_the_output_folder_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    std::os::unix::fs::symlink(tmp.path().join("chart_1.png"), tmp.path().join("link.png"))
        .unwrap();
    std::fs::write(tmp.path().join("fake.png"), b"not a png").unwrap();
    let md = "# T\n\n![a](chart_1.png)\n\n![b](link.png)\n\n![c](../chart_1.png)\n\n![d](fake.png)\n\n![e](/etc/passwd)\n";
    let doc = Document::parse(md);
    let charts = Charts::read(&doc, tmp.path());
    assert!(charts.get("chart_1.png").is_some());
    for bad in ["link.png", "../chart_1.png", "fake.png", "/etc/passwd"] {
        assert!(charts.get(bad).is_none(), "{bad}");
    }
}

/// A report with two tables (one in a note) and a chart whose data the program wrote.
fn workbook_report(dir: &Path) -> String {
    chart(dir);
    std::fs::write(
        dir.join("charts.json"),
        r#"{"chart_1.png": {"kind": "bar", "title": "Sales by Region", "x_title": "Region",
            "y_title": "Sales", "categories": ["North", "South", "East"],
            "series": [{"name": "Sales", "values": [1200.5, 800, null]}]},
            "chart_9.png": {"kind": "pie", "categories": ["x"], "series": []}}"#,
    )
    .unwrap();
    let mut md = String::from("# Quarterly review\n\n## Sales: by region\n\n");
    md.push_str("| Region | Sales | Share | Code |\n|---|---:|---:|---|\n");
    md.push_str("| North | 1,200.50 | 45.5% | 007 |\n| South | 800.00 | 30.0% | 12 kg |\n");
    md.push_str("| East | 1,000.25 | 24.5% | n/a |\n\n![Sales by region](chart_1.png)\n\n");
    md.push_str("## Notes\n\n> | Owner | Items |\n> |---|---|\n> | Ann | 3 |\n> | Bo | 12.25 |\n");
    md
}

#[test]
fn the_workbook_has_a_sheet_per_table_and_native_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let md = workbook_report(tmp.path());
    let xlsx = render_one(&md, tmp.path(), ReportFormat::Xlsx, Paper::A4);
    let path = kept("workbook").join("report.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    // openpyxl, as a person's script would open it: sheets, cells, number formats, charts.
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    out[ws.title] = {
        "rows": [[c.value for c in row] for row in ws.iter_rows()],
        "formats": [[c.number_format for c in row] for row in ws.iter_rows(min_row=2)],
        "bold": ws["A1"].font.b,
        "frozen": ws.freeze_panes,
        "charts": [{"type": type(ch).__name__, "dir": getattr(ch, "type", None),
                    "title": "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or [])) if ch.title else None,
                    "series": len(ch.series),
                    "values": ch.series[0].val.numRef.f if ch.series else None}
                   for ch in ws._charts],
    }
print(json.dumps(out))
"#;
    let got: serde_json::Value = serde_json::from_str(&run_python(script, &path)).unwrap();
    let names: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names.len(), 3, "{got:#}");
    let sales = &got["Sales by region"];
    assert_eq!(
        sales["rows"],
        serde_json::json!([
            ["Region", "Sales", "Share", "Code"],
            ["North", 1200.5, 0.455, "007"],
            ["South", 800, 0.3, "12 kg"],
            ["East", 1000.25, 0.245, "n/a"]
        ]),
        "{got:#}"
    );
    assert_eq!(sales["formats"][0][1], "#,##0.00");
    assert_eq!(sales["formats"][0][2], "0.0%");
    assert_eq!(sales["bold"], true);
    assert_eq!(sales["frozen"], "A2");
    assert!(sales["charts"].as_array().unwrap().is_empty());
    // The quoted note's table, in its section; mixed decimals stay General.
    let notes = &got["Notes"];
    assert_eq!(
        notes["rows"],
        serde_json::json!([["Owner", "Items"], ["Ann", 3], ["Bo", 12.25]])
    );
    assert_eq!(notes["formats"][1][1], "General");
    // The chart with data is native; the one of an unknown kind is left out.
    let chart = &got["Chart 1"];
    assert_eq!(
        chart["rows"],
        serde_json::json!([
            ["Region", "Sales"],
            ["North", 1200.5],
            ["South", 800],
            ["East", null]
        ])
    );
    assert_eq!(
        chart["charts"],
        serde_json::json!([{"type": "BarChart", "dir": "bar", "title": "Sales by Region",
            "series": 1, "values": "'Chart 1'!$B$2:$B$4"}])
    );
}

#[test]
fn a_report_without_tables_or_chart_data_makes_no_workbook() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let md = "# Title\n\nJust words.\n\n![A chart](chart_1.png)\n";
    let (_, made) = renderer()
        .render(md, tmp.path(), &[ReportFormat::Xlsx], "the request")
        .remove(0);
    assert_eq!(
        made.unwrap_err(),
        "the report quotes no table and no chart data"
    );
}

#[test]
fn the_word_document_has_the_configured_paper() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let md = long_report();
    let script = "import sys, docx\ns = docx.Document(sys.argv[1]).sections[0]\n\
                  print(s.page_width, s.page_height)\n";
    for (paper, expected) in [
        (Paper::A4, "7560310 10692130"),
        (Paper::Letter, "7772400 10058400"),
    ] {
        let path = kept("paper").join(format!("{paper:?}.docx"));
        std::fs::write(
            &path,
            render_one(&md, tmp.path(), ReportFormat::Docx, paper),
        )
        .unwrap();
        assert_eq!(run_python(script, &path).trim(), expected, "{paper:?}");
    }
}

/// LibreOffice (from Debian's packages, installed by `.ci/run` for the tests only) opens
/// the Word file on a machine that has no CJK font and prints it with the fonts the file
/// carries: the CJK face is embedded in the printout and the text reads back.
#[test]
fn the_word_document_prints_in_libreoffice_with_the_fonts_it_carries() {
    let tmp = tempfile::tempdir().unwrap();
    let docx = render_one(SCRIPTS_REPORT, tmp.path(), ReportFormat::Docx, Paper::A4);
    let dir = kept("scripts-libreoffice");
    let path = dir.join("report.docx");
    std::fs::write(&path, &docx).unwrap();
    let profile = format!("file://{}", tmp.path().join("lo-profile").display());
    let out = Command::new("soffice")
        .arg(format!("-env:UserInstallation={profile}"))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&dir)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("soffice is needed (libreoffice-writer-nogui, see .ci/run): {e}")
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    let (text, fonts, _) = read_pdf(&pdf, "scripts-libreoffice");
    assert!(fonts.contains("OfficeSansCJK"), "{fonts}");
    assert!(fonts.contains("OfficeSans-Regular"), "{fonts}");
    for expected in ["上半年销售报告", "华北", "売上レポート", "Продажи"] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}
