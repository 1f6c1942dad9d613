//! Keep the top (or bottom) N rows by a number column, overall or per group: "top 3
//! products by revenue", "the 5 lowest cost rows", "top 2 by sales per region",
//! "bottom 3 revenue for each category". Rows come out ranked (per group: the groups in
//! the order they first appear, each ranked); rows without a number are left out.

use super::{OpKind, Operation, Recognised, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, is_number_literal, longest_entry, longest_prefix, strip_leading,
};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "top or bottom rows",
    precedence: 0,
    recognise,
};

/// The `n` rows with the largest (or smallest) `column`, per `group` when set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Top {
    pub(crate) n: usize,
    pub(crate) largest: bool,
    pub(crate) column: Column,
    pub(crate) group: Option<Column>,
}

pub(crate) const PYTHON: &str = r#"

def top_rows(frame, column, n, largest, group, step):
    """The `n` rows with the largest (or smallest) number in `column`, overall or per
    `group` (groups compared ignoring case and surrounding spaces, in the order they
    first appear); rows without a number are left out. Ties keep the sheet's order."""
    ranked = as_number(frame[column]).dropna().sort_values(ascending=not largest, kind="stable")
    if group is None:
        keep = list(ranked.index[:n])
    else:
        keys = frame[group].map(lambda v: "" if is_empty_value(v) else text_key(v))
        kept = ranked.groupby(keys.loc[ranked.index].to_numpy(), sort=False).head(n)
        first = {}
        for key in keys:
            first.setdefault(key, len(first))
        rank = {row: i for i, row in enumerate(kept.index)}
        keep = sorted(kept.index, key=lambda row: (first[keys[row]], rank[row]))
    rows_before = len(frame)
    frame = frame.loc[keep]
    steps[step] += ": " + str(len(frame)) + " of " + str(rows_before) + " rows left"
    return frame


def is_empty_value(value):
    return value is None or (isinstance(value, float) and np.isnan(value))
"#;

impl Operation for Top {
    fn summary(&self) -> String {
        format!("keep {}", self.words())
    }

    fn columns_used(&self) -> Vec<String> {
        let mut out = vec![self.column.name.clone()];
        out.extend(self.group.iter().map(|g| g.name.clone()));
        out
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Kept {}", self.words());
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = top_rows(df, {}, {}, largest={}, group={}, step=len(steps) - 1)",
            py_str(&self.column.name),
            self.n,
            py_bool(self.largest),
            self.group
                .as_ref()
                .map_or("None".to_string(), |g| py_str(&g.name))
        );
        step
    }
}

impl Top {
    /// "the top 3 rows by Revenue per Region".
    fn words(&self) -> String {
        let group = self
            .group
            .as_ref()
            .map_or(String::new(), |g| format!(" per {}", g.name));
        format!(
            "the {} {} {} by {}{group}",
            if self.largest { "top" } else { "bottom" },
            self.n,
            if self.n == 1 { "row" } else { "rows" },
            self.column.name
        )
    }
}

/// How many: a number ("3") or a small number word ("three").
fn count(token: &Token) -> Option<usize> {
    if token.kind == Kind::Number {
        let n = is_number_literal(token)?;
        return (n >= 1.0 && n.fract() == 0.0 && n <= 1e6).then_some(n as usize);
    }
    vocab::lookup(vocab::SMALL_NUMBERS, token.lower.as_str())
        .filter(|&n| n >= 1)
        .map(|n| n as usize)
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let tokens = strip_leading(tokens, vocab::TOP_LEAD);
    // "top 3 ...", or "3 highest ...".
    let (largest, n, rest) = match longest_entry(tokens, vocab::TOP_WORDS) {
        Some((largest, k)) => {
            let n = count(tokens.get(k)?)?;
            (largest, n, &tokens[k + 1..])
        }
        None => {
            let n = count(tokens.first()?)?;
            let (largest, k) = longest_entry(&tokens[1..], vocab::TOP_WORDS)?;
            (largest, n, &tokens[1 + k..])
        }
    };
    // The group: "... per Region".
    let (value_part, group) = match find_phrases(rest, vocab::TOP_GROUP).last() {
        Some(&(at, _, k)) if at > 0 => (&rest[..at], Some(&rest[at + k..])),
        _ => (rest, None),
    };
    // The value column: after "by" ("top 3 products by revenue"), else the words; "top
    // 3 revenue by region" ranks revenue per region.
    let (value, group) = match find_phrases(value_part, vocab::TOP_BY).first() {
        Some(&(at, _, k)) => {
            let after = &value_part[at + k..];
            let numeric = |words: &[Token]| {
                column_result(strip_column_words(words), columns).is_ok_and(|c| c.is_numeric())
            };
            if group.is_none() && at > 0 && !numeric(after) && numeric(&value_part[..at]) {
                (&value_part[..at], Some(after))
            } else {
                (after, group)
            }
        }
        None => (value_part, group),
    };
    let value = strip_leading(value, &["the"]);
    let value = match longest_prefix(value, vocab::DEDUPE_ROWS) {
        Some((_, k)) if k == value.len() => &value[..0],
        _ => value,
    };
    let value = crate::plan::planner::tokens::strip_trailing(value, vocab::DEDUPE_ROWS);
    let column = match column_result(strip_column_words(value), columns) {
        Ok(column) => column,
        Err(e) => return Some(Err(e)),
    };
    if !column.is_numeric() {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "the top rows are ranked by a number column, and '{}' does not hold numbers",
                column.name
            ),
        )));
    }
    let group = match group {
        Some(words) => match column_result(strip_column_words(words), columns) {
            Ok(g) => Some(g),
            Err(e) => return Some(Err(e)),
        },
        None => None,
    };
    found(Top {
        n,
        largest,
        column,
        group,
    })
}
