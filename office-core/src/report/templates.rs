//! Report templates: a built-in name or Markdown text whose headings are the sections.
//! Each section says what goes in it; headings of a custom template are mapped to that
//! by their words, and whatever a template leaves out that a report must have (the
//! files, the conclusion) is added at the end.

use crate::error::{Error, Result};
use serde::Serialize;

/// What a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Content {
    /// What the report covers and what was asked.
    Summary,
    /// The user's notes.
    Notes,
    /// One sub-section per input: what it holds, key figures, its chart.
    Files,
    /// A line of key figures per input.
    KeyFigures,
    /// Observations across inputs that share columns or key values.
    CrossFile,
    /// The answer to the request.
    Conclusion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Section {
    pub heading: String,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Template {
    /// The built-in name, or `custom`.
    pub name: String,
    pub sections: Vec<Section>,
}

/// The built-in templates' names, in the order error messages list them.
pub(crate) const BUILT_IN: &[&str] = &[
    "default",
    "executive-summary",
    "data-analysis",
    "weekly-status",
];

fn built_in(name: &str) -> Option<Vec<(&'static str, Content)>> {
    use Content::*;
    Some(match name {
        "default" => vec![
            ("Summary", Summary),
            ("Notes", Notes),
            ("Data", Files),
            ("Across the files", CrossFile),
            ("Conclusion", Conclusion),
        ],
        "executive-summary" => vec![
            ("Executive summary", Summary),
            ("Key figures", KeyFigures),
            ("Recommendation", Conclusion),
            ("Notes", Notes),
            ("Details", Files),
            ("Across the files", CrossFile),
        ],
        "data-analysis" => vec![
            ("Introduction", Summary),
            ("Data sources", KeyFigures),
            ("Analysis", Files),
            ("Relationships between files", CrossFile),
            ("Notes", Notes),
            ("Conclusion", Conclusion),
        ],
        "weekly-status" => vec![
            ("Highlights", Summary),
            ("Progress", KeyFigures),
            ("Details", Files),
            ("Risks and issues", Notes),
            ("Across the files", CrossFile),
            ("Next steps", Conclusion),
        ],
        _ => return None,
    })
}

/// The template a report job asked for: `None` or blank is `default`; a built-in name;
/// or Markdown with at least one heading. Anything else is refused with the valid names.
pub(crate) fn resolve(template: Option<&str>) -> Result<Template> {
    let text = template.map(str::trim).unwrap_or("");
    let name = if text.is_empty() { "default" } else { text };
    if let Some(sections) = built_in(&name.to_ascii_lowercase()) {
        return Ok(Template {
            name: name.to_ascii_lowercase(),
            sections: sections
                .into_iter()
                .map(|(heading, content)| Section {
                    heading: heading.into(),
                    content,
                })
                .collect(),
        });
    }
    let headings = markdown_headings(text);
    if headings.is_empty() {
        let shown: String = name.chars().take(60).collect();
        return Err(Error::invalid(format!(
            "unknown template '{shown}'; use one of {} or Markdown text whose headings \
             (lines starting with '#') are the sections",
            BUILT_IN.join(", ")
        )));
    }
    Ok(Template {
        name: "custom".into(),
        sections: map_headings(headings),
    })
}

/// The headings of Markdown text, in order (`# A`, `## B`; not inside code fences).
pub(crate) fn markdown_headings(text: &str) -> Vec<String> {
    let mut headings = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) {
            let rest = &line[hashes..];
            if rest.starts_with(' ') || rest.starts_with('\t') {
                let heading = rest.trim().trim_end_matches('#').trim();
                if !heading.is_empty() {
                    headings.push(heading.chars().take(200).collect());
                }
            }
        }
    }
    headings
}

/// What each custom heading holds, by its words; a heading no word places holds the
/// files until they have a place, then the summary. A report always ends up with the
/// files and a conclusion.
fn map_headings(headings: Vec<String>) -> Vec<Section> {
    const RULES: &[(&[&str], Content)] = &[
        (
            &["note", "comment", "context", "risk", "issue", "remark"],
            Content::Notes,
        ),
        (
            &[
                "across", "cross", "relation", "compar", "overlap", "link", "shared",
            ],
            Content::CrossFile,
        ),
        (
            &[
                "conclu",
                "recommend",
                "next",
                "answer",
                "outlook",
                "takeaway",
                "decision",
            ],
            Content::Conclusion,
        ),
        (
            &[
                "key figure",
                "metric",
                "kpi",
                "number",
                "progress",
                "source",
                "input",
            ],
            Content::KeyFigures,
        ),
        (
            &[
                "summary",
                "overview",
                "introduction",
                "highlight",
                "background",
                "purpose",
                "tl;dr",
            ],
            Content::Summary,
        ),
        (
            &[
                "data", "detail", "file", "analysis", "finding", "result", "sheet", "table",
            ],
            Content::Files,
        ),
    ];
    let mut sections: Vec<Section> = Vec::new();
    for heading in headings {
        let lower = heading.to_lowercase();
        let content = RULES
            .iter()
            .find(|(words, _)| words.iter().any(|w| lower.contains(w)))
            .map(|(_, c)| *c)
            .unwrap_or_else(|| {
                if sections.iter().any(|s| s.content == Content::Files) {
                    Content::Summary
                } else {
                    Content::Files
                }
            });
        sections.push(Section { heading, content });
    }
    for (content, heading) in [
        (Content::Files, "Data"),
        (Content::Conclusion, "Conclusion"),
    ] {
        if !sections.iter().any(|s| s.content == content) {
            sections.push(Section {
                heading: heading.into(),
                content,
            });
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_names_resolve_and_blank_is_default() {
        for name in BUILT_IN {
            let t = resolve(Some(name)).unwrap();
            assert_eq!(&t.name, name);
            assert!(t.sections.iter().any(|s| s.content == Content::Files));
            assert!(t.sections.iter().any(|s| s.content == Content::Conclusion));
        }
        assert_eq!(resolve(None).unwrap().name, "default");
        assert_eq!(resolve(Some("  ")).unwrap().name, "default");
        assert_eq!(
            resolve(Some("Weekly-Status")).unwrap().name,
            "weekly-status"
        );
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let err = resolve(Some("quarterly")).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        let message = err.to_string();
        for name in BUILT_IN {
            assert!(message.contains(name), "{message}");
        }
    }

    #[test]
    fn markdown_headings_are_the_sections() {
        let t = resolve(Some(
            "# Background\nwhy we look\n## Findings per sheet\n```\n# not a heading\n```\n## Risks\n### What we do next",
        ))
        .unwrap();
        let got: Vec<(&str, Content)> = t
            .sections
            .iter()
            .map(|s| (s.heading.as_str(), s.content))
            .collect();
        assert_eq!(
            got,
            [
                ("Background", Content::Summary),
                ("Findings per sheet", Content::Files),
                ("Risks", Content::Notes),
                ("What we do next", Content::Conclusion),
            ]
        );
    }

    #[test]
    fn a_custom_template_without_files_or_conclusion_gets_them() {
        let t = resolve(Some("# Overview")).unwrap();
        let contents: Vec<Content> = t.sections.iter().map(|s| s.content).collect();
        assert_eq!(
            contents,
            [Content::Summary, Content::Files, Content::Conclusion]
        );
    }
}
