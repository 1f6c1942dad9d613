//! A report job's documents beside `report.md`, end to end over HTTP with real CPython:
//! `report.html` parsed (tables, embedded charts), `report.docx` opened with python-docx
//! (headings, tables, pictures, quotes, properties), `report.pdf` read back with
//! poppler's pdftotext / pdffonts / pdfinfo and its first page rendered with pdftoppm
//! (kept under `target/test-output/report-documents/`). Each document's text is compared
//! with `report.md`'s, numbers included.
//!
//! Needs poppler-utils and python-docx in `target/test-python` (both installed by `.ci/run`).

use office_core::Paper;
use office_tests::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SALES: &str = "report/销售_2024.csv";
const TARGETS: &str = "report/区域目标.csv";
const BRENT: &str = "real/oil-prices/eia_brent-month.xls";
const WEATHER: &str = "real/vega/seattle-weather.csv";

fn file_part(path: &str) -> Part {
    let path = fixture(path);
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    Part::bytes(std::fs::read(&path).unwrap()).file_name(name)
}

/// Submits a report and waits for it; the job's JSON.
async fn run(server: &TestServer, form: Form) -> Value {
    let resp = reqwest::Client::new()
        .post(server.url("/api/report/jobs"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let job: Value = resp.json().await.unwrap();
    let id = job["id"].as_str().unwrap();
    let job = wait_for_job(
        &reqwest::Client::new(),
        &server.url(&format!("/api/report/jobs/{id}")),
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    job
}

async fn artifact(server: &TestServer, job: &Value, name: &str) -> Vec<u8> {
    let id = job["id"].as_str().unwrap();
    let resp = reqwest::get(server.url(&format!("/api/report/jobs/{id}/artifacts/{name}")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}");
    resp.bytes().await.unwrap().to_vec()
}

fn content_type(job: &Value, name: &str) -> Option<String> {
    job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .map(|a| a["content_type"].as_str().unwrap().to_string())
}

/// Where the tests keep what they made, for a person to look at.
fn output_dir(case: &str) -> PathBuf {
    let dir = repo_root()
        .join("target/test-output/report-documents")
        .join(case);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (poppler-utils, see .ci/run): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs Python with python-docx (installed for the tests only) on `file`; prints JSON.
fn python_json(script: &str, file: &Path) -> Value {
    let site = repo_root().join("target/test-python");
    assert!(
        site.join("docx").exists(),
        "python-docx is needed in {} (see .ci/run)",
        site.display()
    );
    let out = Command::new(python())
        .env("PYTHONPATH", &site)
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
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The workbook as openpyxl reads it: each sheet's cells and its native charts.
const XLSX_SCRIPT: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print(json.dumps([{
    "title": ws.title,
    "rows": [[c.value for c in row] for row in ws.iter_rows()],
    "charts": [type(ch).__name__ for ch in ws._charts],
} for ws in wb.worksheets]))
"#;

const DOCX_SCRIPT: &str = r#"
import json, sys, docx
d = docx.Document(sys.argv[1])
print(json.dumps({
    "title": d.core_properties.title,
    "paragraphs": [[p.style.name, p.text] for p in d.paragraphs],
    "tables": [[[c.text for c in row.cells] for row in t.rows] for t in d.tables],
    "header_repeats": [t.rows[0]._tr.trPr is not None and t.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None for t in d.tables],
    "pictures": len(d.inline_shapes),
}))
"#;

const HTML_SCRIPT: &str = r#"
import base64, hashlib, json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = []; self.images = []; self.text = []; self.tags = set(); self.cell = None; self.skip = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); self.tags.add(tag)
        if tag in ("style", "title", "script"): self.skip += 1
        if tag == "table": self.tables.append([])
        if tag == "tr": self.tables[-1].append([])
        if tag in ("td", "th"): self.cell = []
        if tag == "img":
            src = a.get("src", "")
            head, _, data = src.partition(",")
            self.images.append([head, hashlib.sha256(base64.b64decode(data)).hexdigest() if data else ""])
    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"): self.skip -= 1
        if tag in ("td", "th"): self.tables[-1][-1].append("".join(self.cell)); self.cell = None
    def handle_data(self, data):
        if self.skip: return
        self.text.append(data)
        if self.cell is not None: self.cell.append(data)
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"tables": p.tables, "images": p.images, "text": " ".join(p.text), "tags": sorted(p.tags)}))
"#;

/// The text pieces of a Markdown report: each line without its markup, table cells one
/// by one, an image's alt text.
fn md_pieces(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in md.lines() {
        let mut line = line.trim();
        if line.is_empty() || line.starts_with("|-") || line.starts_with("| -") {
            continue;
        }
        // Headings, quotes and headings inside quotes (`> # Meeting`).
        line = line.trim_start_matches(['#', '>', ' ']);
        line = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .unwrap_or(line);
        if let Some(alt) = line.strip_prefix("![") {
            out.push(alt.split("](").next().unwrap().to_string());
            continue;
        }
        let cleaned = line.replace("**", "").replace(['`', '\\'], "");
        if cleaned.starts_with('|') {
            out.extend(
                cleaned
                    .split('|')
                    .map(str::trim)
                    .filter(|c| !c.is_empty() && !c.chars().all(|c| c == '-' || c == ':'))
                    .map(String::from),
            );
        } else if !cleaned.is_empty() {
            out.push(cleaned);
        }
    }
    out
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every piece of `md` appears, in order, in `text` (white space ignored: documents
/// wrap lines where the Markdown does not).
fn assert_same_text(md: &str, text: &str, what: &str) {
    let haystack = squeeze(text);
    let mut at = 0;
    for piece in md_pieces(md) {
        let needle = squeeze(&piece);
        match haystack[at..].find(&needle) {
            Some(found) => at += found + needle.len(),
            None => panic!(
                "{what}: {piece:?} missing or out of order\n--- {what} text:\n{text}\n--- report.md:\n{md}"
            ),
        }
    }
}

fn numbers(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let point = *c == '.'
            && !current.is_empty()
            && !current.contains('.')
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_ascii_digit() || point {
            current.push(*c);
        } else if !current.is_empty() {
            out.insert(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.insert(current);
    }
    out
}

/// A document states no number `report.md` does not (besides page numbers).
fn assert_same_numbers(md: &str, text: &str, pages: usize, what: &str) {
    let allowed = numbers(md);
    let extra: Vec<String> = numbers(text)
        .into_iter()
        .filter(|n| !allowed.contains(n))
        .filter(|n| !n.parse::<usize>().is_ok_and(|p| (1..=pages).contains(&p)))
        .collect();
    assert!(
        extra.is_empty(),
        "{what} states {extra:?}, report.md does not"
    );
}

/// A page's footer line: `3 / 7`.
fn is_footer(line: &str) -> bool {
    let parts: Vec<&str> = line.trim().split('/').map(str::trim).collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

struct Pdf {
    text: String,
    footers: Vec<String>,
    fonts: String,
    pages: usize,
    info: String,
}

fn read_pdf(pdf: &[u8], dir: &Path) -> Pdf {
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let p = path.to_str().unwrap();
    let info = tool("pdfinfo", &[p]);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    // The first page as a person sees it, kept with the test output.
    let png = dir.join("page-1");
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
            png.to_str().unwrap(),
        ],
    );
    assert!(dir.join("page-1.png").metadata().unwrap().len() > 1000);
    // pdftotext marks right-to-left lines with bidi controls; they are no part of the text.
    let text: String = tool("pdftotext", &["-layout", "-enc", "UTF-8", p, "-"])
        .chars()
        .filter(|c| !matches!(*c as u32, 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069))
        .collect();
    Pdf {
        // Layout mode keeps a table's rows on their lines; the footers are left out.
        text: text
            .lines()
            .filter(|l| !is_footer(l))
            .collect::<Vec<_>>()
            .join("\n"),
        footers: text
            .lines()
            .filter(|l| is_footer(l))
            .map(|l| l.split_whitespace().collect())
            .collect(),
        fonts: tool("pdffonts", &[p]),
        pages,
        info,
    }
}

/// Every font the PDF uses is embedded; returns their names.
fn embedded_fonts(fonts: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in fonts.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() >= 5, "{fonts}");
        // name type [encoding...] emb sub uni object ID
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "a font is not embedded:\n{fonts}");
        names.push(cols[0].to_string());
    }
    names
}

/// The checks every report's documents pass; returns the PDF as read back.
async fn check_documents(server: &TestServer, job: &Value, case: &str) -> (String, Pdf) {
    let dir = output_dir(case);
    for (name, ct) in [
        ("report.html", "text/html"),
        ("report.docx", "wordprocessingml.document"),
        ("report.pdf", "application/pdf"),
        ("report.xlsx", "spreadsheetml.sheet"),
    ] {
        let got = content_type(job, name).unwrap_or_else(|| panic!("no {name} in {job:#}"));
        assert!(got.contains(ct), "{name}: {got}");
    }
    let md = String::from_utf8(artifact(server, job, "report.md").await).unwrap();
    std::fs::write(dir.join("report.md"), &md).unwrap();
    let charts: Vec<String> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .filter(|n| n.starts_with("chart_") && n.ends_with(".png"))
        .map(String::from)
        .collect();
    assert!(!charts.is_empty());
    let sections = md.lines().filter(|l| l.starts_with("## ")).count();
    let title = md
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .to_string();

    // HTML: one file, charts inside as data: URIs byte for byte, tables as tables.
    let html = artifact(server, job, "report.html").await;
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, &html).unwrap();
    let parsed = python_json(HTML_SCRIPT, &html_path);
    let images = parsed["images"].as_array().unwrap();
    assert_eq!(images.len(), charts.len(), "{parsed:#}");
    for (image, chart) in images.iter().zip(&charts) {
        assert_eq!(image[0], "data:image/png;base64");
        let sha = job["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == chart.as_str())
            .map(|a| a["sha256"].clone())
            .unwrap();
        assert_eq!(
            image[1], sha,
            "{chart}: the page holds the chart byte for byte"
        );
    }
    assert!(
        !parsed["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "script")
    );
    let html_text = parsed["text"].as_str().unwrap();
    assert_same_text(&md, html_text, "report.html");
    assert_same_numbers(&md, html_text, 0, "report.html");
    let md_tables = md.contains("\n|");
    assert_eq!(!parsed["tables"].as_array().unwrap().is_empty(), md_tables);

    // Word: real headings, tables with a header row, the charts as pictures, the notes as
    // quotes, the title in the properties.
    let docx = artifact(server, job, "report.docx").await;
    let docx_path = dir.join("report.docx");
    std::fs::write(&docx_path, &docx).unwrap();
    let word = python_json(DOCX_SCRIPT, &docx_path);
    assert_eq!(word["title"], title.replace('\\', ""));
    let styles: Vec<(String, String)> = word["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
        .collect();
    assert_eq!(styles[0].0, "Title", "{styles:?}");
    let headings = styles.iter().filter(|(s, _)| s == "Heading 1").count();
    assert_eq!(headings, sections, "{styles:?}");
    assert_eq!(word["pictures"], charts.len());
    let captions = styles.iter().filter(|(s, _)| s == "Caption").count();
    assert_eq!(captions, charts.len());
    // The notes are quotes: every quoted line of report.md is in a Quote paragraph.
    let quoted: String = styles
        .iter()
        .filter(|(s, _)| s == "Quote")
        .map(|(_, t)| t.as_str())
        .collect();
    let md_quotes: String = md
        .lines()
        .filter_map(|l| l.strip_prefix("> "))
        .map(|l| l.trim_start_matches('#').replace('\\', ""))
        .collect();
    assert!(!md_quotes.is_empty());
    assert_eq!(squeeze(&quoted), squeeze(&md_quotes), "{styles:?}");
    let tables = word["tables"].as_array().unwrap();
    assert_eq!(!tables.is_empty(), md_tables);
    assert!(
        word["header_repeats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r == true)
    );
    let mut word_text: Vec<String> = styles.iter().map(|(_, t)| t.clone()).collect();
    for table in tables {
        for row in table.as_array().unwrap() {
            for cell in row.as_array().unwrap() {
                word_text.push(cell.as_str().unwrap().to_string());
            }
        }
    }
    // Tables come after the paragraphs here, so only the numbers are compared whole.
    assert_same_numbers(&md, &word_text.join("\n"), 0, "report.docx");
    let paragraphs_text: String = styles
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let md_without_tables: String = md
        .lines()
        .filter(|l| !l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    assert_same_text(&md_without_tables, &paragraphs_text, "report.docx");

    // PDF: the text and numbers of report.md, the fonts embedded, page numbers, a table
    // of contents when there are more than three sections.
    let pdf = read_pdf(&artifact(server, job, "report.pdf").await, &dir);
    assert_same_text(&md, &pdf.text, "report.pdf");
    assert_same_numbers(&md, &pdf.text, pdf.pages, "report.pdf");
    let expected: Vec<String> = (1..=pdf.pages)
        .map(|n| format!("{n}/{}", pdf.pages))
        .collect();
    assert_eq!(pdf.footers, expected, "page numbers");
    assert_eq!(pdf.text.contains("Contents"), sections > 3, "{}", pdf.text);
    let fonts = embedded_fonts(&pdf.fonts);
    assert!(
        fonts.iter().any(|f| f.contains("DejaVuSans")),
        "{}",
        pdf.fonts
    );

    // Workbook: one sheet per table of report.md holding its cells (numbers as numbers),
    // then one sheet per chart with its data and a native chart.
    let xlsx = artifact(server, job, "report.xlsx").await;
    let xlsx_path = dir.join("report.xlsx");
    std::fs::write(&xlsx_path, &xlsx).unwrap();
    let book = python_json(XLSX_SCRIPT, &xlsx_path);
    let sheets = book.as_array().unwrap();
    let md_tables = md_table_rows(&md);
    let (table_sheets, chart_sheets) = sheets.split_at(md_tables.len());
    for (sheet, rows) in table_sheets.iter().zip(&md_tables) {
        let cells: Vec<Vec<String>> = sheet["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(cell_text).collect())
            .collect();
        assert_eq!(&cells, rows, "sheet {}", sheet["title"]);
        assert!(sheet["charts"].as_array().unwrap().is_empty());
    }
    assert_eq!(chart_sheets.len(), charts.len(), "{book:#}");
    for sheet in chart_sheets {
        assert_eq!(sheet["charts"].as_array().unwrap().len(), 1, "{sheet:#}");
        assert!(sheet["rows"].as_array().unwrap().len() > 1, "{sheet:#}");
    }
    (md, pdf)
}

/// The tables of a Markdown text, each as rows of cell texts (header first, the
/// separator row left out, Markdown escapes undone).
fn md_table_rows(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
    let mut open = false;
    for line in md.lines() {
        let line = line.trim_start_matches("> ").trim();
        if !line.starts_with('|') {
            open = false;
            continue;
        }
        if line.chars().all(|ch| "|-: ".contains(ch)) {
            continue; // the separator row
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().replace('\\', ""))
            .collect();
        if !open {
            tables.push(Vec::new());
            open = true;
        }
        tables.last_mut().unwrap().push(cells);
    }
    tables
}

/// A cell as the report writes it: numbers in the narrative's form (no trailing zeros).
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let f = n.as_f64().unwrap();
                if f.fract() == 0.0 {
                    format!("{}", f as i64)
                } else {
                    let s = format!("{f:.2}");
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                }
            }
        },
        other => other.to_string(),
    }
}

#[tokio::test]
async fn multi_file_report_with_notes_in_every_built_in_template() {
    let server = TestServer::start().await;
    for template in [
        "default",
        "executive-summary",
        "data-analysis",
        "weekly-status",
    ] {
        let form = Form::new()
            .text("title", "Sales review: first half")
            .text("template", template)
            .text(
                "notes",
                "Targets were set in January.\nThe north region was reorganised.",
            )
            .text("prompt", "How did sales develop?")
            .part("files[]", file_part(SALES))
            .part("files[]", file_part(TARGETS))
            .part("files[]", file_part(BRENT))
            .part(
                "files[]",
                Part::bytes(b"# Meeting\nThe team asked for a second review.".to_vec())
                    .file_name("meeting notes.md"),
            );
        let job = run(&server, form).await;
        let (md, pdf) = check_documents(&server, &job, template).await;
        assert!(md.contains("| "), "{template}: the key figures table\n{md}");
        assert!(pdf.info.contains("Sales review"), "{}", pdf.info);
        assert!(pdf.info.contains("A4"), "{}", pdf.info);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_chinese_report_has_its_glyphs_and_reads_in_order() {
    let server = TestServer::start_with(|c| c.report.paper = Paper::Letter).await;
    let form = Form::new()
        .text("title", "上半年销售报告")
        .text("notes", "华北地区的目标在一月设定。")
        .text("prompt", "销售额如何变化？")
        .part("files[]", file_part(SALES))
        .part("files[]", file_part(TARGETS));
    let job = run(&server, form).await;
    let (_, pdf) = check_documents(&server, &job, "chinese").await;
    assert!(pdf.info.contains("letter"), "{}", pdf.info);
    let fonts = embedded_fonts(&pdf.fonts);
    assert!(
        fonts.iter().any(|f| f.contains("NotoSansCJK")),
        "{}",
        pdf.fonts
    );
    assert!(pdf.text.contains("上半年销售报告"), "{}", pdf.text);
    assert!(
        pdf.text.contains("华北地区的目标在一月设定。"),
        "{}",
        pdf.text
    );
    server.stop().await;
}

#[tokio::test]
async fn an_arabic_title_is_shaped_and_extracted_in_logical_order() {
    let server = TestServer::start().await;
    let title = "تقرير الطقس السنوي";
    let form = Form::new()
        .text("title", title)
        .text("notes", "הערה בעברית מהצוות")
        .part("files[]", file_part(WEATHER));
    let job = run(&server, form).await;
    let (md, pdf) = check_documents(&server, &job, "arabic").await;
    assert!(md.starts_with(&format!("# {title}\n")), "{md}");
    assert!(pdf.text.contains(title), "{}", pdf.text);
    assert!(pdf.text.contains("הערה בעברית מהצוות"), "{}", pdf.text);
    server.stop().await;
}

#[tokio::test]
async fn formats_choose_the_documents() {
    let server = TestServer::start().await;
    let form = Form::new()
        .text("formats", "pdf, html")
        .part("files[]", file_part(TARGETS));
    let job = run(&server, form).await;
    let names: Vec<&str> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"report.pdf") && names.contains(&"report.html"));
    assert!(!names.contains(&"report.docx"), "{names:?}");

    let resp = reqwest::Client::new()
        .post(server.url("/api/report/jobs"))
        .multipart(
            Form::new()
                .text("formats", "pdf, pptx")
                .part("files[]", file_part(TARGETS)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("pptx") && detail.contains("docx"),
        "{detail}"
    );
    server.stop().await;
}
