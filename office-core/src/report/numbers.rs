//! The number check: every number a report states must come from the facts the executed
//! program wrote. A sentence that states any other number is dropped, and the check says
//! which, whoever wrote the prose (the templates or a model).
//!
//! A number is a run of digits with at most one decimal part (`12`, `12.4`, `0.05`);
//! thousands separators are not read as part of it, a sign is ignored (the prose says
//! "fell by 3%" for a change of -3). A number is supported when some number in the facts,
//! shown with the same count of decimals, reads the same, or when the facts' text holds
//! the same digits (dates, names, the request itself).

use serde_json::Value;
use std::collections::HashSet;

/// The report after the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    pub markdown: String,
    /// The sentences taken out, each with the numbers the facts do not hold.
    pub dropped: Vec<DroppedSentence>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct DroppedSentence {
    pub sentence: String,
    pub unsupported: Vec<String>,
}

/// The numbers of a text, as written (without sign), in order.
pub(crate) fn numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push(chars[start..i].iter().collect());
        } else {
            i += 1;
        }
    }
    out
}

/// What the facts support: their numbers, and the digit runs of their text.
pub(crate) struct Facts {
    numbers: Vec<f64>,
    text_numbers: HashSet<String>,
}

impl Facts {
    pub(crate) fn new(facts: &Value) -> Facts {
        let mut f = Facts {
            numbers: Vec::new(),
            text_numbers: HashSet::new(),
        };
        f.walk(facts);
        f
    }

    fn walk(&mut self, value: &Value) {
        match value {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    self.numbers.push(x.abs());
                }
            }
            Value::String(s) => self.text_numbers.extend(numbers_in(s)),
            Value::Array(items) => items.iter().for_each(|v| self.walk(v)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                self.text_numbers.extend(numbers_in(k));
                self.walk(v);
            }),
            _ => {}
        }
    }

    /// Whether a number as written (`numbers_in`) is one the facts hold.
    pub(crate) fn supports(&self, written: &str) -> bool {
        if self.text_numbers.contains(written) {
            return true;
        }
        let places = written.split_once('.').map_or(0, |(_, f)| f.len());
        let Ok(value) = written.parse::<f64>() else {
            return false;
        };
        self.numbers.iter().any(|x| {
            (x - value).abs() < 1.0 && format!("{x:.places$}") == format!("{value:.places$}")
        })
    }
}

/// Drops every sentence of `markdown` that states a number `facts` does not hold.
/// Headings, list items, table rows and image lines are checked as one sentence each.
pub(crate) fn check_numbers(markdown: &str, facts: &Value) -> Checked {
    let facts = Facts::new(facts);
    let mut dropped = Vec::new();
    let mut lines = Vec::new();
    for line in markdown.lines() {
        let whole_line = line
            .trim_start()
            .starts_with(['#', '-', '*', '|', '!', '>'])
            || line.trim().is_empty();
        let pieces = if whole_line {
            vec![line.to_string()]
        } else {
            sentences(line)
        };
        let mut kept: Vec<String> = Vec::new();
        for piece in pieces {
            let unsupported: Vec<String> = numbers_in(&piece)
                .into_iter()
                .filter(|n| !facts.supports(n))
                .collect();
            if unsupported.is_empty() {
                kept.push(piece);
            } else {
                dropped.push(DroppedSentence {
                    sentence: piece.trim().to_string(),
                    unsupported,
                });
            }
        }
        if line.trim().is_empty() || !kept.is_empty() {
            lines.push(kept.join(" "));
        }
    }
    let mut markdown = lines.join("\n");
    markdown.push('\n');
    Checked { markdown, dropped }
}

/// A paragraph line cut after `.`, `!` or `?` followed by a space (so `12.4` stays whole).
fn sentences(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | '。') && chars.peek().is_none_or(|n| n.is_whitespace()) {
            out.push(std::mem::take(&mut current).trim().to_string());
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_digit_runs_with_one_decimal_part() {
        assert_eq!(
            numbers_in("Revenue grew 12.4% from 2024-01 to 2024-06; r = -0.93, 1,200 rows."),
            ["12.4", "2024", "01", "2024", "06", "0.93", "1", "200"]
        );
        assert_eq!(numbers_in("chart_1.png"), ["1"]);
        assert!(numbers_in("no numbers here").is_empty());
    }

    #[test]
    fn numbers_shown_rounded_from_the_facts_are_supported() {
        let facts = Facts::new(
            &json!({"mean": 12.4567, "change_pct": -5.2, "rows": 1461, "first": "2012-01"}),
        );
        for ok in ["12.46", "12.5", "12", "5.2", "1461", "2012", "01"] {
            assert!(facts.supports(ok), "{ok}");
        }
        for bad in ["12.45", "13", "5.3", "1460", "2013", "99"] {
            assert!(!facts.supports(bad), "{bad}");
        }
    }

    #[test]
    fn sentences_with_unsupported_numbers_are_dropped_and_named() {
        let facts = json!({"rows": 120, "share_pct": 34.0, "region": "North"});
        let md = "# Report\n\nThe file holds 120 rows. Sales doubled to 999 units. North is the largest region at 34%.\n- 120 rows\n- 7 regions\n";
        let checked = check_numbers(md, &facts);
        assert_eq!(
            checked.markdown,
            "# Report\n\nThe file holds 120 rows. North is the largest region at 34%.\n- 120 rows\n"
        );
        assert_eq!(checked.dropped.len(), 2);
        assert_eq!(checked.dropped[0].sentence, "Sales doubled to 999 units.");
        assert_eq!(checked.dropped[0].unsupported, ["999"]);
        assert_eq!(checked.dropped[1].unsupported, ["7"]);
    }

    #[test]
    fn a_report_whose_numbers_all_come_from_the_facts_is_unchanged() {
        let facts = json!({"a": 1.5, "b": "x 2"});
        let md = "One 1.5 and 2.\n";
        let checked = check_numbers(md, &facts);
        assert_eq!(checked.markdown, md);
        assert!(checked.dropped.is_empty());
    }
}
