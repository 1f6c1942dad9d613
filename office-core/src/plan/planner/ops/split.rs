//! A text column cut at a delimiter into new columns, as Excel's Text to Columns does:
//! "split Name by space into First and Last", "split Address on ',' into Street, City and
//! Zip", "split Code by '-'", "separate Tags at each ';' into 3 columns". The source
//! column stays as it is; the pieces go right of the table, as values, trimmed, a piece
//! that is a plain number written as that number (one with a leading zero, like a zip
//! code, stays text). With names, the last column takes the rest of the text; without,
//! there are as many columns as the most pieces a cell has, named `<column> 1`, ....

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, is_number_literal, joined, longest_prefix, strip_leading,
    strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "split a column by a delimiter",
    precedence: 1,
    recognise,
};

/// The most columns one split adds when the request names none.
const MAX_PIECES: usize = 50;

/// Cut `column` at `separator` into new columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    pub(crate) column: Column,
    /// Never empty; `" "` cuts at every run of spaces.
    pub(crate) separator: String,
    /// The new columns' names; empty: as many as the most pieces, numbered.
    pub(crate) names: Vec<String>,
    /// "into 3 columns": at most this many (the last takes the rest).
    pub(crate) count: Option<usize>,
}

pub(crate) const PYTHON: &str = r#"

def split_piece(text):
    """A piece as Text to Columns writes it: empty as nothing, a plain number as that
    number (not one with a leading zero: "02134" stays text), else the text."""
    if text == "":
        return None
    body = text[1:] if text[:1] == "-" else text
    whole, _, fraction = body.partition(".")
    if whole.isdigit() and (fraction == "" or fraction.isdigit()) and not text.endswith("."):
        if len(whole) > 1 and whole[0] == "0":
            return text
        return int(text) if fraction == "" else float(text)
    return text


def add_split_columns(frame, column, separator, names, count, step, most):
    """Columns right of the table with the pieces of `column` cut at `separator`. With
    `names` (or `count`) the last column takes the rest of the text; without, as many
    columns as the most pieces, named "<column> 1", .... A cell that is not text goes
    whole into the first column."""
    rows = pd.concat([frame, PLACE["blank_frame"]])
    cells = rows[column]
    limit = len(names) or count or 0

    def pieces(cell):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return []
        if not isinstance(cell, str):
            return [cell]
        sep = None if separator == " " else separator
        parts = cell.split(sep, limit - 1) if limit else cell.split(sep)
        return [split_piece(p.strip()) for p in parts]

    cut = [pieces(c) for c in cells]
    width = limit or max([len(p) for p in cut] + [1])
    if width > most:
        raise ValueError("Cutting " + repr(column) + " at " + repr(separator) + " gives up to " + str(width)
                         + " pieces, more columns than one split adds (" + str(most)
                         + "); name the columns to keep, like 'into First and Rest'.")
    if not names:
        names = [column + " " + str(i + 1) for i in range(width)]
    taken = {str(c).strip().lower() for c in rows.columns}
    for name in names:
        if name.strip().lower() in taken:
            raise ValueError("A column named " + repr(name) + " already exists; choose another name.")
    uncut = int(sum(1 for c, p in zip(cells.loc[frame.index], cut) if isinstance(c, str) and len(p) == 1))
    steps[step] += " into " + ", ".join(names)
    if uncut:
        steps[step] += " (" + str(uncut) + (" cell holds" if uncut == 1 else " cells hold") + " no " + repr(separator) + ": whole in " + names[0] + ")"
    for i, name in enumerate(names):
        values = pd.Series([p[i] if i < len(p) else None for p in cut], index=rows.index, dtype=object)
        frame = append_column(frame, name, values, None, number_format="General")
    return frame
"#;

impl Operation for Split {
    fn summary(&self) -> String {
        format!("split {} at {:?}", self.column.name, self.separator)
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn new_columns(&self) -> Vec<Column> {
        self.names
            .iter()
            .map(|name| Column::added(name, ColumnType::Mixed))
            .collect()
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Split {} at {:?}", self.column.name, self.separator);
        let names: Vec<String> = self.names.iter().map(|n| py_str(n)).collect();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_split_columns(df, {}, {}, [{}], {}, step=len(steps) - 1, most={MAX_PIECES})",
            py_str(&self.column.name),
            py_str(&self.separator),
            names.join(", "),
            self.count.map_or("None".to_string(), |n| n.to_string()),
        );
        step
    }
}

/// The separator after "by"/"on"/"at": quoted text, a symbol, or a word ("comma").
fn separator(tokens: &[Token]) -> Option<String> {
    let tokens = strip_leading(tokens, vocab::SPLIT_SEPARATOR_LEAD);
    let tokens = strip_trailing(tokens, vocab::SPLIT_SEPARATOR_TRAIL);
    let sep = match tokens {
        [t] if t.kind == Kind::Quoted => t.text.clone(),
        [t] if t.kind == Kind::Comma => ",".into(),
        [t] if t.kind == Kind::Symbol => t.text.clone(),
        [] => return None,
        words => vocab::lookup(vocab::SEPARATOR_WORDS, &joined(words).to_lowercase())?.to_string(),
    };
    // "comma" is ", " when joining; when cutting, the spaces around are trimmed anyway.
    let trimmed = sep.trim();
    Some(if trimmed.is_empty() { sep } else { trimmed.to_string() })
}

/// "First and Last", "Street, City and Zip", "3 columns", "columns A1 and A2".
fn names(tokens: &[Token]) -> Result<(Vec<String>, Option<usize>), ClauseError> {
    let tokens = strip_leading(tokens, vocab::SPLIT_NAMES_LEAD);
    let count_words = |t: &[Token]| strip_leading(t, vocab::SPLIT_NAMES_LEAD).is_empty();
    if let [first, rest @ ..] = tokens
        && let Some(n) = is_number_literal(first)
            .or_else(|| vocab::lookup(vocab::SMALL_NUMBERS, &first.lower).map(f64::from))
        && count_words(rest)
    {
        if n.fract() != 0.0 || !(2.0..=MAX_PIECES as f64).contains(&n) {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!("a split makes 2 to {MAX_PIECES} columns, not {}", first.text),
            ));
        }
        return Ok((Vec::new(), Some(n as usize)));
    }
    if tokens.is_empty() {
        return Ok((Vec::new(), None));
    }
    let mut names = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let push = |current: &mut Vec<Token>, names: &mut Vec<String>| {
        if !current.is_empty() {
            names.push(joined(current));
            current.clear();
        }
    };
    for t in tokens {
        if t.kind == Kind::Comma || t.is_word("and") || t.is_word("&") {
            push(&mut current, &mut names);
        } else if t.kind == Kind::Quoted {
            push(&mut current, &mut names);
            names.push(t.text.trim().to_string());
        } else {
            current.push(t.clone());
        }
    }
    push(&mut current, &mut names);
    if names.len() < 2 {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            "a split needs two new column names or more, like 'split Name by space into First \
             and Last'"
                .into(),
        ));
    }
    Ok((names, None))
}

/// Where the longest exact column name at the start of `tokens` ends (after "the"), or 0.
fn named_column_end(tokens: &[Token], columns: &[Column]) -> usize {
    let lead = tokens.len() - strip_leading(tokens, &["the"]).len();
    (lead + 1..=tokens.len())
        .rev()
        .find(|&end| {
            let phrase = joined(&tokens[lead..end]);
            columns
                .iter()
                .any(|c| c.name.trim().eq_ignore_ascii_case(phrase.trim()))
        })
        .unwrap_or(0)
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (_, n) = longest_prefix(tokens, vocab::SPLIT_VERBS)?;
    let rest = &tokens[n..];
    // A column named in full comes first, whatever words its name holds ("Speed IAS in
    // knots"); the separator and the names are looked for after it.
    let named = named_column_end(rest, columns);
    // Where the separator and the names start: "by ..." and "into ...", in either order.
    let at = find_phrases(rest, vocab::SPLIT_AT)
        .into_iter()
        .find(|&(i, _, _)| i > 0 && i >= named);
    let into = find_phrases(rest, vocab::SPLIT_INTO)
        .into_iter()
        .find(|&(i, _, _)| i > 0 && i >= named);
    let column_end = [at.map(|a| a.0), into.map(|a| a.0)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    let column_words = strip_column_words(&rest[..column_end]);
    if column_words.is_empty() {
        return None;
    }
    let column = match column_result(column_words, columns) {
        Ok(column) => column,
        Err(e) => return Some(Err(e)),
    };
    let end_after = |start: usize| {
        [at.map(|a| a.0), into.map(|a| a.0)]
            .into_iter()
            .flatten()
            .filter(|&p| p > start)
            .min()
            .unwrap_or(rest.len())
    };
    let separator = match at {
        Some((i, _, k)) => match separator(&rest[i + k..end_after(i)]) {
            Some(sep) => sep,
            // "divide Revenue by Quantity" is arithmetic, not a split.
            None if column_result(&rest[i + k..end_after(i)], columns).is_ok() => return None,
            None => {
                return Some(Err(ClauseError::new(
                    FailCode::NotUnderstood,
                    format!(
                        "I could not read the delimiter in '{}'; put it in quotes, like \
                         \"split {} by ','\"",
                        joined(&rest[i..end_after(i)]),
                        column.name
                    ),
                )));
            }
        },
        None => " ".to_string(),
    };
    if separator.is_empty() {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            "a split needs a delimiter to cut at, like a space or ','".into(),
        )));
    }
    let (names, count) = match into {
        Some((i, _, k)) => match names(&rest[i + k..end_after(i)]) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        },
        None => (Vec::new(), None),
    };
    if matches!(column.dtype, ColumnType::Integer | ColumnType::Float | ColumnType::Boolean) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("'{}' holds numbers, not text, so there is nothing to split", column.name),
        )));
    }
    let taken = |n: &str| columns.iter().any(|c| c.name.trim().eq_ignore_ascii_case(n.trim()));
    if let Some(name) = names.iter().find(|n| taken(n)) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("a column named '{name}' already exists; choose another name"),
        )));
    }
    found(Split {
        column,
        separator,
        names,
        count,
    })
}
