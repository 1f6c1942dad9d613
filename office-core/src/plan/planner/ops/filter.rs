//! Keep or remove the rows where a condition on one column holds: "where revenue >
//! 1000", "keep rows whose city contains 'york'", "remove rows where status is
//! cancelled".

use super::{OpKind, Operation, Recognised, col, format_number, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, column_result, strip_column_words};
use crate::plan::planner::tokens::{Token, find_entries, find_phrases, longest_prefix, strip_leading};
use crate::plan::planner::values::parse_value;
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

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

}

pub(crate) use crate::plan::planner::values::Literal;

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
        let words = match (&self.value, self.op) {
            (Literal::Period(_), CmpOp::Eq) => "is in",
            (Literal::Period(_), CmpOp::Ne) => "is not in",
            _ => self.op.words(),
        };
        format!(
            "{} rows where {} {words} {}",
            if self.keep { "keep" } else { "remove" },
            self.column.name,
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
            Literal::Date(_) | Literal::Period(_) => " (by day)",
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
            (Literal::Period(p), _) => {
                let within = format!(
                    "as_date({column}).dt.normalize().between(pd.Timestamp({}), pd.Timestamp({}), inclusive=\"left\")",
                    py_str(&p.start),
                    py_str(&p.end)
                );
                match self.op {
                    CmpOp::Ne => format!("~({within})"),
                    _ => within,
                }
            }
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
    // "in" / "during" compare with a period, only after a date column ("Date in 2012").
    let mut candidates: Vec<(usize, CmpOp, usize, bool)> = find_entries(rest, vocab::OPERATORS)
        .into_iter()
        .map(|(at, op, n)| (at, op, n, false))
        .chain(
            find_phrases(rest, vocab::DATE_IN)
                .into_iter()
                .map(|(at, _, n)| (at, CmpOp::Eq, n, true)),
        )
        .filter(|&(at, _, _, _)| at > 0)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // By position; at one position the longer phrase first ("is in" before "is").
    candidates.sort_by_key(|&(at, _, n, _)| (at, std::cmp::Reverse(n)));
    // The first operator whose left side is a column decides; the rest is the value.
    let mut first_error = None;
    for &(at, op, n, date_only) in &candidates {
        let left = strip_column_words(&rest[..at]);
        match column_result(left, columns) {
            Ok(column) if date_only && column.dtype != ColumnType::Date => {}
            Ok(column) => {
                return Some(
                    parse_value(&rest[at + n..], &column, op).map(|(op, value)| Filter {
                        column,
                        op,
                        value,
                        keep: true,
                    }),
                );
            }
            Err(e) => {
                if !date_only {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    first_error.map(Err)
}
