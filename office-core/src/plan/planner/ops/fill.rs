//! Fill a column's empty cells: "fill missing values in Price with 0", "fill the blanks
//! in Region with 'Unknown'", "fill missing Cost with the median", "fill down Region",
//! "fill empty cells in Date with the previous value". Each filled cell is written as a
//! value; the step says how many.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_entries, find_phrases, joined, longest_entry, longest_prefix, strip_leading,
};
use crate::plan::planner::values::read_number;
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "fill missing values",
    precedence: 0,
    recognise,
};

/// How the empty cells are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FillWith {
    /// The cell above's value (forward fill).
    Previous,
    /// The cell below's value (backward fill).
    Next,
    Mean,
    Median,
}

/// What goes into the empty cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filler {
    Way(FillWith),
    Number(f64),
    Text(String),
}

/// Fill the empty cells of `column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fill {
    pub(crate) column: Column,
    pub(crate) with: Filler,
}

pub(crate) const PYTHON: &str = r#"

def is_empty_cell(value):
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and value.strip() == "")


def fill_missing(frame, column, how, value, step):
    """The empty cells of `column` filled: with `value`, the mean or median of its
    numbers, or the value above (previous) or below (next); each filled cell is set in
    the workbook as a value."""
    cells = frame[column]
    empty = cells.map(is_empty_cell)
    if how == "value":
        filled = pd.Series([value] * len(cells), index=cells.index, dtype=object)
    elif how in ("mean", "median"):
        numbers = as_number(cells)
        centre = numbers.mean() if how == "mean" else numbers.median()
        if pd.isna(centre):
            steps[step] += " (no numbers to take the " + how + " of; nothing filled)"
            return frame
        centre = float(centre)
        filled = pd.Series([centre] * len(cells), index=cells.index, dtype=object)
    else:
        known = cells.astype(object).where(~empty, None)
        shifted = known.ffill() if how == "previous" else known.bfill()
        filled = shifted.astype(object).where(shifted.notna(), None)
    rows = empty & filled.map(lambda v: v is not None)
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = filled[rows]
    letter = PLACE["letters"][column]
    fills.append({"letter": letter, "rows": {int(r): filled[r] for r in rows.index[rows]}})
    count = int(rows.sum())
    steps[step] += " (" + str(count) + (" cell" if count == 1 else " cells") + " filled)"
    return frame
"#;

impl Operation for Fill {
    fn summary(&self) -> String {
        format!("fill the empty cells of {} with {}", self.column.name, self.words())
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
        let step = format!(
            "Filled the empty cells of {} with {}",
            self.column.name,
            self.words()
        );
        let (how, value) = match &self.with {
            Filler::Way(FillWith::Previous) => ("previous", "None".to_string()),
            Filler::Way(FillWith::Next) => ("next", "None".to_string()),
            Filler::Way(FillWith::Mean) => ("mean", "None".to_string()),
            Filler::Way(FillWith::Median) => ("median", "None".to_string()),
            Filler::Number(n) => ("value", super::format_number(*n)),
            Filler::Text(t) => ("value", py_str(t)),
        };
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = fill_missing(df, {}, {}, {value}, step=len(steps) - 1)",
            py_str(&self.column.name),
            py_str(how)
        );
        step
    }
}

impl Fill {
    fn words(&self) -> String {
        match &self.with {
            Filler::Way(FillWith::Previous) => "the value above".into(),
            Filler::Way(FillWith::Next) => "the value below".into(),
            Filler::Way(FillWith::Mean) => "the mean".into(),
            Filler::Way(FillWith::Median) => "the median".into(),
            Filler::Number(n) => super::format_number(*n),
            Filler::Text(t) => format!("'{t}'"),
        }
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    // "forward fill Region", "fill down Region": the way first.
    if let Some((way, n)) = longest_entry(tokens, vocab::FILL_WAY_FIRST) {
        let rest = strip_leading(&tokens[n..], vocab::FILL_EMPTY_WORDS);
        let column = match column_result(strip_column_words(rest), columns) {
            Ok(column) => column,
            Err(e) => return Some(Err(e)),
        };
        return found(Fill {
            column,
            with: Filler::Way(way),
        });
    }
    let (_, n) = longest_prefix(tokens, vocab::FILL_VERBS)?;
    let rest = &tokens[n..];
    // The column, then "with" and what: the last "with" that leaves words on its left.
    let with_at = find_phrases(rest, vocab::FILL_WITH)
        .into_iter()
        .rfind(|&(at, _, _)| at > 0);
    let (target, how) = match with_at {
        Some((at, _, n)) => (&rest[..at], Some(&rest[at + n..])),
        None => (rest, None),
    };
    let had_empty_words = longest_prefix(target, vocab::FILL_EMPTY_WORDS).is_some();
    let target = strip_leading(target, vocab::FILL_EMPTY_WORDS);
    let target = strip_leading(target, &["in", "of", "for"]);
    // "fill Region down": the way after the column.
    let (target, trailing_way) = match find_entries(target, vocab::FILL_WAY_AFTER).first() {
        Some(&(at, way, n)) if at > 0 && at + n == target.len() => (&target[..at], Some(way)),
        _ => (target, None),
    };
    if !had_empty_words && how.is_none() && trailing_way.is_none() {
        return None;
    }
    let column = match column_result(strip_column_words(target), columns) {
        Ok(column) => column,
        // "fill rows where Sales > 1000 with green" is a highlight.
        Err(_) if !had_empty_words => return None,
        Err(e) => return Some(Err(e)),
    };
    let with = match (how, trailing_way) {
        (_, Some(way)) => Filler::Way(way),
        (None, None) => {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "say what fills the empty cells of '{}': a value, the mean, the median, or \
                     the value above",
                    column.name
                ),
            )));
        }
        (Some(how), None) => match filler(how, &column) {
            Ok(with) => with,
            Err(e) => return Some(Err(e)),
        },
    };
    found(Fill { column, with })
}

/// What follows "with": a way ("the previous value", "the mean") or a value.
fn filler(tokens: &[Token], column: &Column) -> Result<Filler, ClauseError> {
    if let Some((way, n)) = longest_entry(tokens, vocab::FILL_WAYS)
        && n == tokens.len()
    {
        if matches!(way, FillWith::Mean | FillWith::Median) && !column.is_numeric() {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "'{}' does not hold numbers, so it has no mean or median to fill with",
                    column.name
                ),
            ));
        }
        return Ok(Filler::Way(way));
    }
    let (text, quoted) = match tokens {
        [t] if t.kind == Kind::Quoted => (t.text.clone(), true),
        _ => (joined(tokens), false),
    };
    if text.is_empty() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!("the fill of '{}' has no value", column.name),
        ));
    }
    if column.is_numeric() && !quoted {
        return match read_number(&text, column) {
            Some(n) => Ok(Filler::Number(n)),
            None => Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "'{}' holds numbers, and '{text}' is not a number; put text in quotes",
                    column.name
                ),
            )),
        };
    }
    if column.dtype == ColumnType::Date {
        return Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "'{}' holds dates; fill it with the value above or below",
                column.name
            ),
        ));
    }
    Ok(Filler::Text(text))
}
