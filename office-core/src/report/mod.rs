//! Reports: templates (built-in or Markdown), the built-in narrative written from the
//! facts an executed program computed (`analysis.json`), and the number check every
//! narrative passes, whoever wrote it.
//!
//! - `templates`: which sections a report has and what goes in each;
//! - `narrative`: plain sentences from the facts, section by section;
//! - `numbers`: drops sentences that state a number the facts do not hold;
//! - `render`: the HTML, Word and PDF documents made from the checked Markdown.
//!
//! The report job kind itself (its intake, contract and finish step) is `kind::report`.

pub(crate) mod narrative;
pub(crate) mod numbers;
pub(crate) mod render;
pub(crate) mod templates;

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Request fields of a report job, as kept in the job's `params`.
pub(crate) const PARAM_TITLE: &str = "title";
pub(crate) const PARAM_TEMPLATE: &str = "template";
pub(crate) const PARAM_NOTES: &str = "notes";
/// `["html", "docx", "pdf", "xlsx"]`: the documents to make; absent means all.
pub(crate) const PARAM_FORMATS: &str = "formats";
/// `[{"name": ..., "text": ...}]`: `.md` / `.txt` files uploaded as notes.
pub(crate) const PARAM_NOTE_FILES: &str = "note_files";

/// The request of a report submitted without one.
pub const DEFAULT_PROMPT: &str = "Summarize the files: what they hold and their key figures.";

/// Extensions a report accepts as notes rather than data.
pub(crate) const NOTE_EXTENSIONS: &[&str] = &["md", "markdown", "txt"];

/// The most notes a report takes, the `notes` field and notes files together: they are
/// written into the program as text, and the program has a size limit.
pub(crate) const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Whether an uploaded file is a notes file (for report jobs).
pub(crate) fn is_note_file(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| NOTE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Checks a report job's fields at submission, so a bad template is refused before a job
/// exists (every face gets the same 422).
pub(crate) fn check_params(params: &Map<String, Value>) -> Result<templates::Template> {
    for field in [PARAM_TITLE, PARAM_TEMPLATE, PARAM_NOTES] {
        if let Some(v) = params.get(field)
            && !v.is_string()
            && !v.is_null()
        {
            return Err(Error::invalid(format!("{field} must be text")));
        }
    }
    if let Some(title) = params.get(PARAM_TITLE).and_then(Value::as_str)
        && title.chars().count() > 300
    {
        return Err(Error::invalid("title is longer than 300 characters"));
    }
    formats_of(params)?;
    let notes: usize = notes(params).iter().map(|(_, text)| text.len()).sum();
    if notes > MAX_NOTE_BYTES {
        return Err(Error::invalid(format!(
            "the notes are longer than {} KiB together",
            MAX_NOTE_BYTES / 1024
        )));
    }
    templates::resolve(params.get(PARAM_TEMPLATE).and_then(Value::as_str))
}

fn formats_of(params: &Map<String, Value>) -> Result<Vec<render::ReportFormat>> {
    let Some(value) = params.get(PARAM_FORMATS).filter(|v| !v.is_null()) else {
        return Ok(render::ReportFormat::ALL.to_vec());
    };
    let Some(names) = value.as_array() else {
        return Err(Error::invalid(
            "formats must be a list of names (html, docx, pdf, xlsx)",
        ));
    };
    let mut formats = Vec::new();
    for name in names {
        let Some(name) = name.as_str() else {
            return Err(Error::invalid(
                "formats must be a list of names (html, docx, pdf, xlsx)",
            ));
        };
        let format: render::ReportFormat = name.parse()?;
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    Ok(formats)
}

/// The documents a report job makes beside `report.md` (checked at intake).
pub(crate) fn formats(params: &Map<String, Value>) -> Vec<render::ReportFormat> {
    formats_of(params).unwrap_or_else(|_| render::ReportFormat::ALL.to_vec())
}

/// The notes a report weaves in: the `notes` field first, then each notes file.
pub(crate) fn notes(params: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(text) = params.get(PARAM_NOTES).and_then(Value::as_str)
        && !text.trim().is_empty()
    {
        out.push(("notes".to_string(), text.to_string()));
    }
    for file in params
        .get(PARAM_NOTE_FILES)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = file["name"].as_str().unwrap_or("notes");
        let text = file["text"].as_str().unwrap_or("");
        if !text.trim().is_empty() {
            out.push((name.to_string(), text.to_string()));
        }
    }
    out
}

/// A notes file's text: UTF-8 (a BOM dropped), or refused with the reason.
pub(crate) fn note_text(name: &str, data: &[u8]) -> Result<String> {
    if data.len() > MAX_NOTE_BYTES {
        return Err(Error::UnreadableFile {
            file: name.into(),
            reason: format!(
                "a report takes up to {} KiB of notes; this file is larger",
                MAX_NOTE_BYTES / 1024
            ),
        });
    }
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    String::from_utf8(data.to_vec()).map_err(|_| Error::UnreadableFile {
        file: name.into(),
        reason: "a notes file must be UTF-8 text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn fields_are_checked_at_submission() {
        assert_eq!(check_params(&Map::new()).unwrap().name, "default");
        let t = check_params(&params(json!({"template": "data-analysis"}))).unwrap();
        assert_eq!(t.name, "data-analysis");
        assert!(check_params(&params(json!({"template": "nope"}))).is_err());
        assert!(check_params(&params(json!({"title": 5}))).is_err());
        let long = "x".repeat(MAX_NOTE_BYTES / 2 + 1);
        let p = params(json!({"notes": long, "note_files": [{"name": "a.md", "text": long}]}));
        let err = check_params(&p).unwrap_err();
        assert!(err.to_string().contains("KiB"), "{err}");
    }

    #[test]
    fn notes_come_from_the_field_then_the_files() {
        let p = params(
            json!({"notes": "field", "note_files": [{"name": "a.md", "text": "# A"}, {"name": "b.txt", "text": " "}]}),
        );
        assert_eq!(
            notes(&p),
            [
                ("notes".into(), "field".into()),
                ("a.md".into(), "# A".into())
            ]
        );
        assert!(is_note_file("Minutes.MD") && is_note_file("a.txt") && !is_note_file("a.csv"));
        assert_eq!(note_text("a.md", b"\xef\xbb\xbfhi").unwrap(), "hi");
        assert!(matches!(
            note_text("a.md", b"\xff\xfe"),
            Err(Error::UnreadableFile { .. })
        ));
    }
}
