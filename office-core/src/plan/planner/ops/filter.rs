//! Keep or remove the rows where a condition on one column holds: "where revenue >
//! 1000", "keep rows whose city contains 'york'", "remove rows where status is
//! cancelled".

use super::{OpKind, Operation, Recognised, col, format_number, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_entries, joined, longest_prefix, parse_date, parse_number, strip_leading,
    strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::{self, Write as _};

pub(crate) const KIND: OpKind = OpKind {
    name: "filter",
    precedence: 5,
    recognise,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    NotContains,
}

impl CmpOp {
    /// The Python operator for comparisons; `None` for the `contains` family.
    pub(crate) fn python(self) -> Option<&'static str> {
        Some(match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Contains | CmpOp::NotContains => return None,
        })
    }

    fn words(self) -> &'static str {
        match self {
            CmpOp::Eq => "equals",
            CmpOp::Ne => "does not equal",
            CmpOp::Gt => "is greater than",
            CmpOp::Ge => "is at least",
            CmpOp::Lt => "is less than",
            CmpOp::Le => "is at most",
            CmpOp::Contains => "contains",
            CmpOp::NotContains => "does not contain",
        }
    }

    fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le)
    }
}

/// The value a filter compares with, already in the column's terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Number(f64),
    /// Compared case-insensitively, with surrounding spaces stripped.
    Text(String),
    /// ISO `YYYY-MM-DD`; compared with the column's dates at day precision.
    Date(String),
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(&format_number(*n)),
            Literal::Text(t) => write!(f, "'{t}'"),
            Literal::Date(d) => f.write_str(d),
            Literal::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
        }
    }
}

/// Keep (or, with `keep == false`, remove) the rows where `column op value` holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub(crate) column: Column,
    pub(crate) op: CmpOp,
    pub(crate) value: Literal,
    pub(crate) keep: bool,
}

pub(crate) const PYTHON: &str = r#"

def rows_where(frame, condition, keep, empty_matches):
    """The rows where `condition` holds (keep) or does not (remove). An empty cell
    matches only 'not equal' and 'does not contain' conditions."""
    condition = condition.astype("boolean").fillna(empty_matches).astype(bool)
    return frame[condition if keep else ~condition]
"#;

impl Operation for Filter {
    fn summary(&self) -> String {
        format!(
            "{} rows where {} {} {}",
            if self.keep { "keep" } else { "remove" },
            self.column.name,
            self.op.words(),
            self.value
        )
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let empty_matches = matches!(self.op, CmpOp::Ne | CmpOp::NotContains);
        let text_note = match self.value {
            Literal::Text(_) => " (ignoring case and surrounding spaces)",
            Literal::Date(_) => " (by day)",
            _ => "",
        };
        let summary = self.summary();
        let rest = summary.split_once(' ').map_or("", |(_, rest)| rest);
        let verb = if self.keep { "Kept" } else { "Removed" };
        let step = format!("{verb} {rest}{text_note}");
        code.push_str("rows_before = len(df)\n");
        let _ = writeln!(
            code,
            "df = rows_where(df, {}, keep={}, empty_matches={})",
            self.condition(),
            py_bool(self.keep),
            py_bool(empty_matches)
        );
        let _ = writeln!(
            code,
            "steps.append({} + \": \" + str(len(df)) + \" of \" + str(rows_before) + \" rows left\")",
            py_str(&step)
        );
        step
    }
}

impl Filter {
    /// The condition as a pandas expression over `df`.
    pub(crate) fn condition(&self) -> String {
        let column = col(&self.column.name);
        let op = self.op.python().unwrap_or("==");
        let condition = match (&self.value, self.op) {
            (Literal::Text(t), CmpOp::Contains | CmpOp::NotContains) => format!(
                "as_text({column}).str.contains(text_key({}), regex=False)",
                py_str(t)
            ),
            (Literal::Text(t), _) => format!("as_text({column}) {op} text_key({})", py_str(t)),
            (Literal::Number(n), _) => format!("as_number({column}) {op} {}", format_number(*n)),
            (Literal::Date(d), _) => format!(
                "as_date({column}).dt.normalize() {op} pd.Timestamp({})",
                py_str(d)
            ),
            (Literal::Bool(b), _) => {
                let words = if *b {
                    "[\"true\", \"yes\", \"y\", \"1\", \"1.0\"]"
                } else {
                    "[\"false\", \"no\", \"n\", \"0\", \"0.0\"]"
                };
                format!("as_text({column}).isin({words})")
            }
        };
        // `!=` and "does not contain" on a boolean column.
        match (&self.value, self.op) {
            (Literal::Bool(_), CmpOp::Ne) => format!("~({condition})"),
            _ => condition,
        }
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (keep, rest) = match longest_prefix(tokens, vocab::REMOVE_LEAD) {
        Some((_, n)) => (false, &tokens[n..]),
        None => (true, tokens),
    };
    let rest = strip_leading(rest, vocab::FILTER_LEAD);
    match condition(rest, columns)? {
        Ok(filter) => found(Filter { keep, ..filter }),
        Err(e) => Some(Err(e)),
    }
}

/// A condition on one column, "revenue > 1000", "city contains york", as the rows it
/// keeps; `None` when the tokens hold no comparison.
pub(crate) fn condition(rest: &[Token], columns: &[Column]) -> Option<Result<Filter, ClauseError>> {
    // An operator with nothing on its left (a column named "Over" 18?) is not a condition.
    let candidates: Vec<_> = find_entries(rest, vocab::OPERATORS)
        .into_iter()
        .filter(|&(at, _, _)| at > 0)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // The first operator whose left side is a column decides; the rest is the value.
    let mut first_error = None;
    for &(at, op, n) in &candidates {
        let left = strip_column_words(&rest[..at]);
        match column_result(left, columns) {
            Ok(column) => {
                return Some(parse_value(&rest[at + n..], &column, op).map(|value| Filter {
                    column,
                    op,
                    value,
                    keep: true,
                }));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
}

/// The value as written, and as a number when it reads as one.
fn read_value(tokens: &[Token]) -> (String, bool, Option<f64>) {
    let (text, quoted) = match tokens {
        [t] if t.kind == Kind::Quoted => (t.text.clone(), true),
        _ => (joined(tokens), false),
    };
    let number = match tokens {
        [t] if t.kind == Kind::Number => parse_number(&t.text),
        [t] if t.kind == Kind::Quoted => parse_number(t.text.trim()),
        [minus, t] if minus.is_word("-") && t.kind == Kind::Number => {
            parse_number(&t.text).map(|n| -n)
        }
        _ => None,
    };
    (text, quoted, number)
}

fn parse_value(tokens: &[Token], column: &Column, op: CmpOp) -> Result<Literal, ClauseError> {
    let tokens = strip_trailing(tokens, &["only", "rows", "in it"]);
    let tokens = strip_leading(tokens, &["to", "than"]);
    let invalid = |reason: String| Err(ClauseError::new(FailCode::InvalidOperation, reason));
    if tokens.is_empty() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "the condition on '{}' has no value to compare with",
                column.name
            ),
        ));
    }
    let (text, quoted, number) = read_value(tokens);
    let date = parse_date(&text);
    if !quoted
        && tokens.iter().any(|t| {
            t.is_word("and")
                || t.is_word("or")
                || t.is_word("then")
                || t.kind == Kind::Comma
                || (t.kind == Kind::Symbol && t.text != "-")
        })
    {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "I could not read the value '{text}' for '{}'; put a value with several words \
                 in quotes",
                column.name
            ),
        ));
    }

    let contains = matches!(op, CmpOp::Contains | CmpOp::NotContains);
    match column.dtype {
        _ if contains => {
            if column.dtype == ColumnType::Date {
                return invalid(format!(
                    "'{}' holds dates; 'contains' works on text columns",
                    column.name
                ));
            }
            Ok(Literal::Text(text))
        }
        ColumnType::Empty => invalid(format!("the column '{}' has no values", column.name)),
        ColumnType::Date => match date {
            Some(d) => Ok(Literal::Date(d)),
            None => invalid(format!(
                "'{}' holds dates; write the date as YYYY-MM-DD (for example 2024-01-31), \
                 not '{text}'",
                column.name
            )),
        },
        ColumnType::Boolean => {
            if op.is_ordering() {
                return invalid(format!("'{}' holds true/false values", column.name));
            }
            let lower = text.to_lowercase();
            if vocab::TRUE_WORDS.contains(&lower.as_str()) {
                Ok(Literal::Bool(true))
            } else if vocab::FALSE_WORDS.contains(&lower.as_str()) {
                Ok(Literal::Bool(false))
            } else {
                invalid(format!(
                    "'{}' holds true/false values; compare it with true or false",
                    column.name
                ))
            }
        }
        ColumnType::Integer | ColumnType::Float => match number {
            Some(n) => Ok(Literal::Number(n)),
            None => invalid(format!(
                "'{}' holds numbers, and '{text}' is not a number",
                column.name
            )),
        },
        ColumnType::Mixed if number.is_some() && column.has_numbers => {
            Ok(Literal::Number(number.unwrap_or_default()))
        }
        ColumnType::Text | ColumnType::Mixed => {
            if op.is_ordering() {
                return invalid(format!(
                    "'{}' holds text; 'greater than' and 'less than' need a column of numbers \
                     or dates",
                    column.name
                ));
            }
            Ok(Literal::Text(text))
        }
    }
}
