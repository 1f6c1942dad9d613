//! What a model reads on a repair: the previous program's setback, in words. The
//! runner decides when to ask again; this is only the text.

#![warn(missing_docs, unreachable_pub)]

use crate::plan::Setback;

/// Findings shown at most.
const MAX_FINDINGS: usize = 20;
/// Characters of a traceback (or error output) shown at most.
const MAX_TRACEBACK: usize = 3000;

/// The setback as the model should read it.
pub(crate) fn text(setback: &Setback) -> String {
    match setback {
        Setback::NoCode => {
            "Your reply held no Python program. Reply with the whole program in one \
                            ```python fenced block."
                .to_string()
        }
        Setback::Rejected(violations) => {
            let mut text = String::from("The code checker rejected it:\n");
            for v in violations.iter().take(MAX_FINDINGS) {
                text.push_str(&format!(
                    "- line {}, column {}, {}: {}\n",
                    v.line, v.col, v.code, v.message
                ));
            }
            if violations.len() > MAX_FINDINGS {
                text.push_str(&format!("- and {} more\n", violations.len() - MAX_FINDINGS));
            }
            text
        }
        Setback::Raised {
            python,
            message,
            stderr_tail,
        } => {
            let (text, tail_of) = match python {
                Some(p) => (
                    format!(
                        "It raised {}{}: {}",
                        p.exc_type,
                        p.line.map(|l| format!(" at line {l}")).unwrap_or_default(),
                        p.message
                    ),
                    p.traceback.as_str(),
                ),
                None => (format!("It failed: {message}"), stderr_tail.as_str()),
            };
            let tail_of = tail(tail_of, MAX_TRACEBACK).replace("```", "`\u{200b}``");
            if tail_of.trim().is_empty() {
                return text;
            }
            format!(
                "{text}\n\nThe end of its traceback:\n```\n{}\n```",
                tail_of.trim_end()
            )
        }
        Setback::NoOutput { expected } => format!(
            "It ran without an error but did not write {expected} into OUTPUT_DIR. \
             Write it there, as the contract says."
        ),
        Setback::Unaccepted { message, places } => {
            let mut text = format!("It ran, but what it wrote was not accepted: {message}\n");
            if !places.is_empty() {
                text.push_str("Where:\n");
            }
            for place in places.iter().take(MAX_FINDINGS) {
                text.push_str(&format!("- {}: {}\n", place.at, place.problem));
            }
            if places.len() > MAX_FINDINGS {
                text.push_str(&format!("- and {} more\n", places.len() - MAX_FINDINGS));
            }
            text.push_str("Change the program so that its output has none of these.");
            text
        }
    }
}

/// The last `max` bytes of `text`, cut at a character boundary.
pub(crate) fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::PythonError;
    use crate::validate::Violation;

    #[test]
    fn findings_are_listed_by_place_and_rule() {
        let v = Violation {
            code: "OFF101".into(),
            line: 3,
            col: 1,
            message: "Import of `subprocess`".into(),
        };
        let text = text(&Setback::Rejected(vec![v; 22]));
        assert!(text.contains("- line 3, column 1, OFF101: Import of `subprocess`"));
        assert!(text.ends_with("- and 2 more\n"), "{text}");
    }

    #[test]
    fn a_traceback_is_fenced_safely() {
        let text = text(&Setback::Raised {
            python: Some(PythonError {
                exc_type: "KeyError".into(),
                message: "'Region'".into(),
                traceback: "Traceback\n```x".into(),
                line: Some(7),
            }),
            message: String::new(),
            stderr_tail: String::new(),
        });
        assert!(
            text.starts_with("It raised KeyError at line 7: 'Region'"),
            "{text}"
        );
        assert!(!text.contains("```x"), "{text}");
    }
}
