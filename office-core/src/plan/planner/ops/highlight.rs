//! Highlight rows or cells where a condition holds, as a real conditional format (the
//! fill follows the data when it changes): "highlight rows where Sales > 1000",
//! "highlight cells in Price above 100", "color rows whose Region is North in green".

use super::filter::{self, CmpOp, Filter, Literal};
use super::{OpKind, Operation, Recognised, format_number, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode};
use crate::plan::planner::tokens::{Token, joined, longest_entry, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "highlight",
    precedence: 1,
    recognise,
};

/// A fill on the rows (or the tested cells) where the filter's condition holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Highlight {
    pub(crate) condition: Filter,
    /// The whole row of the table, or the tested cell alone.
    pub(crate) rows: bool,
    /// Six hex digits.
    pub(crate) fill: &'static str,
    pub(crate) color: Option<String>,
}

impl Operation for Highlight {
    fn summary(&self) -> String {
        format!("highlight {}", self.words())
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.condition.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        filter::PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Highlighted {}", self.words());
        let empty_matches = matches!(self.condition.op, CmpOp::Ne | CmpOp::NotContains);
        let _ = writeln!(
            code,
            "matched = len(rows_where(df, {}, keep=True, empty_matches={}))",
            self.condition.condition(),
            py_bool(empty_matches)
        );
        let _ = writeln!(
            code,
            "looks.append({{\"kind\": \"highlight\", \"column\": {}, \"rows\": {}, \"compare\": {}, \"value\": {}, \"fill\": {}}})",
            py_str(&self.condition.column.name),
            py_bool(self.rows),
            py_str(compare(self.condition.op)),
            value(&self.condition.value),
            py_str(self.fill)
        );
        let unit = if self.rows { "rows" } else { "cells" };
        let _ = writeln!(
            code,
            "steps.append({} + \" (\" + str(matched) + \" {unit} now)\")",
            py_str(&step)
        );
        step
    }
}

impl Highlight {
    /// "rows where Sales is greater than 1000 in green".
    fn words(&self) -> String {
        let rest = self.condition.summary();
        let condition = rest.split_once(" where ").map_or(rest.as_str(), |(_, c)| c);
        let colour = self
            .color
            .as_ref()
            .map_or(String::new(), |c| format!(" in {c}"));
        let what = if self.rows { "rows" } else { "cells" };
        format!("{what} where {condition}{colour}")
    }
}

/// The edit script's name of a comparison.
fn compare(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "equal",
        CmpOp::Ne => "not_equal",
        CmpOp::Gt => "greater_than",
        CmpOp::Ge => "greater_than_or_equal",
        CmpOp::Lt => "less_than",
        CmpOp::Le => "less_than_or_equal",
        CmpOp::Contains => "contains",
        CmpOp::NotContains => "not_contains",
    }
}

/// The compared value as the script's cell value, in Python.
fn value(literal: &Literal) -> String {
    match literal {
        Literal::Number(n) => format_number(*n),
        Literal::Text(t) => py_str(t),
        Literal::Date(d) => format!("{{\"date\": {}}}", py_str(d)),
        Literal::Period(p) => format!("{{\"date\": {}}}", py_str(&p.start)),
        Literal::Bool(b) => py_bool(*b).to_string(),
    }
}

/// A colour at the end: "in green", "with a yellow fill".
fn colour(tokens: &[Token]) -> (&[Token], Option<(&'static str, String)>) {
    let body = strip_trailing(tokens, vocab::COLOR_TRAIL);
    for start in (0..body.len()).rev() {
        if let Some((fill, n)) = longest_entry(&body[start..], vocab::COLORS)
            && start + n == body.len()
        {
            let name = joined(&body[start..]);
            let before = &body[..start];
            // "in", "with a": only the lead words right before the colour.
            let mut cut = before.len();
            for k in 1..=before.len().min(2) {
                if longest_prefix(&before[before.len() - k..], vocab::COLOR_LEAD)
                    .is_some_and(|(_, n)| n == k)
                {
                    cut = before.len() - k;
                }
            }
            if cut == before.len() && start > 0 {
                return (tokens, None);
            }
            return (&before[..cut], Some((fill, name)));
        }
    }
    (tokens, None)
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (_, n) = longest_prefix(tokens, vocab::HIGHLIGHT_VERBS)?;
    let rest = &tokens[n..];
    let (rest, colour) = colour(rest);
    let rest = strip_leading(rest, &["the", "all", "any"]);
    let (rows, rest) = match longest_prefix(rest, vocab::HIGHLIGHT_ROWS) {
        Some((_, n)) => (Some(true), &rest[n..]),
        None => match longest_prefix(rest, vocab::HIGHLIGHT_CELLS) {
            Some((_, n)) => (Some(false), &rest[n..]),
            None => (None, rest),
        },
    };
    let asks_where = rest
        .first()
        .is_some_and(|t| ["where", "whose", "if", "when", "with", "that", "which", "having"].contains(&t.lower.as_str()));
    let rest = strip_leading(rest, vocab::FILTER_LEAD);
    let rows = rows.unwrap_or(asks_where);
    let condition = match filter::condition(rest, columns) {
        Some(Ok(condition)) => condition,
        Some(Err(e)) => return Some(Err(e)),
        None => {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "the highlight needs a condition on a column, such as 'highlight rows where \
                     Sales > 1000'; I could not find one in '{}'",
                    joined(rest)
                ),
            )));
        }
    };
    // Excel compares text with a number as greater, whatever it reads: a format by value
    // over numbers written as text ("$1,200") would colour every such cell.
    if let Literal::Number(_) = condition.value
        && let Some(sample) = condition
            .column
            .seen
            .samples
            .iter()
            .find(|s| s.trim().parse::<f64>().is_err())
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "'{}' holds numbers written as text ('{sample}'), which Excel's conditional \
                 formats compare as text; a highlight by value would be wrong there",
                condition.column.name
            ),
        )));
    }
    if let Literal::Period(p) = &condition.value {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a highlight compares with one date; say 'on or after {}' and 'before {}' \
                 rather than '{}'",
                p.start, p.end, p.label
            ),
        )));
    }
    let (fill, color) = match colour {
        Some((fill, name)) => (fill, Some(name)),
        None => ("FFC7CE", None),
    };
    found(Highlight {
        condition,
        rows,
        fill,
        color,
    })
}
