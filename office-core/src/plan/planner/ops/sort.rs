//! Sort rows by one or more columns, all in one direction: "sort by revenue
//! descending", "order by date, newest first", "arrange by region and city".

use super::{OpKind, Operation, Recognised, column_names, found, names, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_list};
use crate::plan::planner::tokens::{
    Kind, Token, find_entries, find_phrases, joined, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "sort",
    precedence: 2,
    recognise,
};

/// Sort rows by one or more columns, all in one direction. Stable (`mergesort`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sort {
    pub(crate) columns: Vec<Column>,
    pub(crate) descending: bool,
}

const PYTHON: &str = r#"

def sorted_by(frame, kinds, descending):
    """Stable sort by the columns in `kinds` (name -> number, date or text); empty
    cells last. Rows keep their sheet row as index: the output order is the index."""
    convert = {"number": as_number, "date": as_date, "text": as_text}
    return frame.sort_values(
        by=list(kinds),
        ascending=not descending,
        kind="mergesort",
        na_position="last",
        key=lambda values: convert[kinds[values.name]](values),
    )
"#;

impl Operation for Sort {
    fn summary(&self) -> String {
        format!("sort by {}, {}", names(&self.columns), self.direction())
    }

    fn columns_used(&self) -> Vec<String> {
        column_names(&self.columns)
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!(
            "Sorted by {}, {}",
            column_names(&self.columns).join(", "),
            self.direction()
        );
        let kinds: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{}: {}", py_str(&c.name), py_str(sort_kind(c))))
            .collect();
        let _ = writeln!(
            code,
            "df = sorted_by(df, {{{}}}, descending={})",
            kinds.join(", "),
            py_bool(self.descending)
        );
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        step
    }
}

impl Sort {
    fn direction(&self) -> &'static str {
        if self.descending {
            "descending"
        } else {
            "ascending"
        }
    }
}

/// How a column's values compare when sorting.
fn sort_kind(column: &Column) -> &'static str {
    match column.dtype {
        ColumnType::Integer | ColumnType::Float => "number",
        ColumnType::Mixed if column.has_numbers => "number",
        ColumnType::Date => "date",
        _ => "text",
    }
}

/// Where the "by" of a sort is: "by", "on", "using", or the last word of "according
/// to" / "based on".
fn by_position(tokens: &[Token]) -> Option<usize> {
    tokens
        .iter()
        .position(|t| vocab::SORT_BY.iter().any(|w| t.is_word(w)))
        .or_else(|| {
            find_phrases(tokens, vocab::SORT_BY_PHRASES)
                .first()
                .map(|&(i, _, n)| i + n - 1)
        })
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let first = tokens.first()?;
    let needs_by = vocab::lookup(vocab::SORT_VERBS, first.lower.as_str())?;
    let rest = &tokens[1..];
    if needs_by && by_position(rest).is_none() {
        return None;
    }

    // The direction may come anywhere: "sort descending by revenue", "by revenue, desc".
    let found_directions = find_entries(rest, vocab::DIRECTIONS);
    let mut descending = None;
    let mut kept: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        if let Some(&(_, wants, n)) = found_directions.iter().find(|&&(at, _, _)| at == i) {
            if descending.is_some_and(|d| d != wants) {
                return Some(Err(ClauseError::new(
                    FailCode::NotUnderstood,
                    "the sort asks for both ascending and descending order".into(),
                )));
            }
            descending = Some(wants);
            i += n;
            continue;
        }
        kept.push(rest[i].clone());
        i += 1;
    }

    let phrase: &[Token] = match by_position(&kept) {
        Some(at) => {
            let before = &kept[..at];
            if !before
                .iter()
                .all(|t| t.kind == Kind::Word && vocab::SORT_OBJECT.contains(&t.lower.as_str()))
            {
                return Some(Err(ClauseError::new(
                    FailCode::NotUnderstood,
                    format!("I could not understand '{}' in the sort", joined(before)),
                )));
            }
            &kept[at + 1..]
        }
        None => strip_leading(&kept, &["the", "data", "rows", "table", "sheet"]),
    };
    let phrase = strip_trailing(phrase, &["column", "values", "field", "order"]);
    if phrase.is_empty() {
        return Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            "the sort does not say which column to sort by".into(),
        )));
    }
    match column_list(phrase, columns) {
        Ok(columns) => found(Sort {
            columns,
            descending: descending.unwrap_or(false),
        }),
        Err(e) => Some(Err(e)),
    }
}
