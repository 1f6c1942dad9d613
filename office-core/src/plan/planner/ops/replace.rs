//! Find and replace in one column: "replace 'N/A' with '' in Status", "replace North
//! with N in Region", "in Region, replace 'N.' with 'North'", "replace -999 in Price
//! with nothing", "replace exactly 'n/a' with 'none' in Status, match case".
//!
//! As Excel's Find & Replace does by default, text is found anywhere in a cell
//! ("North" in "North East" too) and case is ignored; "whole cell" (or "exactly") keeps
//! to cells whose whole text is the one found, "match case" minds case. Numbers are
//! replaced only where the whole number matches (replacing 0 never turns 10 into 1).
//! A cell left with no text becomes empty. Each changed cell is written as a value; the
//! header cell is never touched; the step says how many cells changed.

use super::{OpKind, Operation, Recognised, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, longest_prefix, parse_number, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "find and replace",
    precedence: 0,
    recognise,
};

/// What replaces the text found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum With {
    Text(String),
    /// An unquoted number: a cell replaced whole becomes this number.
    Number(f64),
}

/// Replace `find` by `with` in the cells of `column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replace {
    pub(crate) column: Column,
    pub(crate) find: String,
    pub(crate) with: With,
    /// Only cells whose whole text is `find`.
    pub(crate) whole_cell: bool,
    pub(crate) match_case: bool,
}

pub(crate) const PYTHON: &str = r#"

def replace_in_text(text, find, by, match_case):
    """`text` with every `find` replaced by `by`, case ignored unless `match_case`."""
    if match_case:
        return text.replace(find, by)
    key, n, low = find.lower(), len(find), text.lower()
    if len(low) != len(text):
        # Lower case of another length cannot be mapped back: exact case only.
        return text.replace(find, by)
    if key not in low:
        return text
    out, i, last = [], 0, 0
    while i <= len(text) - n:
        if text[i:i + n].lower() == key:
            out.append(text[last:i])
            out.append(by)
            i += n
            last = i
        else:
            i += 1
    out.append(text[last:])
    return "".join(out)


def replaced_cell(value, find, find_number, by, by_number, whole, match_case):
    """The cell after the replacement, or `value` itself when nothing matched: numbers
    match a number found whole; text matches anywhere (or whole with `whole`)."""
    if is_number(value):
        if find_number is not None and float(value) == find_number:
            return by_number if by_number is not None else (by if by != "" else None)
        return value
    if not isinstance(value, str):
        return value
    same = value == find if match_case else value.strip().lower() == find.strip().lower()
    if same:
        return by_number if by_number is not None else (by if by != "" else None)
    if whole or find == "":
        return value
    new = replace_in_text(value, find, by, match_case)
    if new == value:
        return value
    return new if new.strip() != "" else None


def replace_values(frame, column, find, by, by_number, whole, match_case, step):
    """`find` replaced by `by` in the cells of `column` (the sheet's own column); each
    changed cell is set in the workbook as a value."""
    if any(c["header"] == column for c in added):
        raise ValueError("The column " + repr(column) + " was added by a step before; replace in the sheet's own columns.")
    cells = frame[column]
    find_number = number_in_text(find, TABLE["decimal"]) if find.strip() else None
    new = cells.map(lambda v: replaced_cell(v, find, find_number, by, by_number, whole, match_case))
    changed = pd.Series([not same_cell(a, b) for a, b in zip(cells, new)], index=cells.index, dtype=bool)
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[changed, column] = pd.Series(list(new[changed]), index=new.index[changed], dtype=object)
    letter = PLACE["letters"][column]
    fills.append({"letter": letter, "rows": {int(r): new[r] for r in changed.index[changed]}})
    count = int(changed.sum())
    steps[step] += " (" + str(count) + (" cell" if count == 1 else " cells") + " changed)"
    return frame


def same_cell(a, b):
    if a is None or b is None:
        return a is None and b is None
    return type(a) is type(b) and a == b
"#;

impl Operation for Replace {
    fn summary(&self) -> String {
        format!("replace {} in {}", self.words(), self.column.name)
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
        let step = format!("Replaced {} in {}", self.words(), self.column.name);
        let (by, by_number) = match &self.with {
            With::Text(t) => (py_str(t), "None".to_string()),
            With::Number(n) => (py_str(&super::format_number(*n)), super::format_number(*n)),
        };
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = replace_values(df, {}, {}, {by}, {by_number}, whole={}, match_case={}, \
             step=len(steps) - 1)",
            py_str(&self.column.name),
            py_str(&self.find),
            py_bool(self.whole_cell),
            py_bool(self.match_case),
        );
        step
    }
}

impl Replace {
    /// "'N/A' with '' (whole cells, matching case)".
    fn words(&self) -> String {
        let with = match &self.with {
            With::Text(t) => format!("'{t}'"),
            With::Number(n) => super::format_number(*n),
        };
        let mut how = Vec::new();
        if self.whole_cell {
            how.push("whole cells");
        }
        if self.match_case {
            how.push("matching case");
        }
        let how = if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join(", "))
        };
        format!("'{}' with {with}{how}", self.find)
    }
}

/// The tokens without the phrases of `table`, and whether any was there.
fn without(tokens: &[Token], table: &[&str]) -> (Vec<Token>, bool) {
    let hits = find_phrases(tokens, table);
    if hits.is_empty() {
        return (tokens.to_vec(), false);
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    for (at, _, n) in hits {
        if at < i {
            continue;
        }
        out.extend_from_slice(&tokens[i..at]);
        i = at + n;
    }
    out.extend_from_slice(&tokens[i..]);
    (out, true)
}

/// "(in) Status 'N/A' replaced with ''": the column (its longest reading), the text
/// found, the middle phrase, the replacement.
fn replaced_with(
    tokens: &[Token],
    columns: &[Column],
    whole_cell: bool,
    match_case: bool,
) -> Recognised {
    let &(mid, _, m) = find_phrases(tokens, vocab::REPLACE_MID).first()?;
    let before = strip_leading(&tokens[..mid], vocab::REPLACE_IN);
    let (with, with_quoted) = value(&tokens[mid + m..])?;
    for k in (1..before.len()).rev() {
        let Some((find, _)) = value(&before[k..]) else {
            continue;
        };
        let Ok(column) = column_result(strip_column_words(&before[..k]), columns) else {
            continue;
        };
        if find.is_empty() {
            return None;
        }
        let with = match parse_number(&with) {
            Some(n) if !with_quoted && column.is_numeric() => With::Number(n),
            _ => With::Text(with),
        };
        return found(Replace {
            column,
            find,
            with,
            whole_cell,
            match_case,
        });
    }
    None
}

/// A value as written: one quoted text, a word for nothing, or words and numbers with
/// symbols kept to their neighbours ("N/A"). `None` when it is no value.
fn value(tokens: &[Token]) -> Option<(String, bool)> {
    match tokens {
        [] => None,
        [t] if t.kind == Kind::Quoted => Some((t.text.clone(), true)),
        _ if longest_prefix(tokens, vocab::REPLACE_NOTHING)
            .is_some_and(|(_, n)| n == tokens.len()) =>
        {
            Some((String::new(), true))
        }
        _ if tokens
            .iter()
            .all(|t| matches!(t.kind, Kind::Word | Kind::Number | Kind::Symbol)) =>
        {
            let mut text = String::new();
            let mut glue = true;
            for t in tokens {
                let symbol = t.kind == Kind::Symbol;
                if !text.is_empty() && !glue && !symbol {
                    text.push(' ');
                }
                text.push_str(&t.text);
                glue = symbol;
            }
            Some((text, false))
        }
        _ => None,
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    // How: "whole cell", "match case", anywhere in the clause.
    let (tokens, whole_cell) = without(tokens, vocab::REPLACE_WHOLE_CELL);
    let (tokens, match_case) = without(&tokens, vocab::REPLACE_MATCH_CASE);
    let tokens = strip_trailing(&tokens, &[]);
    // "In Region, replace ...": the column first.
    let (lead_column, body) = match longest_prefix(tokens, vocab::REPLACE_IN) {
        Some((_, n)) => match tokens.iter().position(|t| t.kind == Kind::Comma) {
            Some(comma) if comma > n => (Some(&tokens[n..comma]), &tokens[comma + 1..]),
            _ => (None, tokens),
        },
        None => (None, tokens),
    };
    let Some((verb, n)) = longest_prefix(body, vocab::REPLACE_VERBS) else {
        return replaced_with(tokens, columns, whole_cell, match_case);
    };
    let rest = strip_leading(&body[n..], vocab::REPLACE_FIND_LEAD);
    if rest.first().is_some_and(|t| t.kind != Kind::Quoted)
        && longest_prefix(rest, vocab::FILL_EMPTY_WORDS).is_some()
    {
        return None; // "replace missing values in Price with 0" fills the empty cells.
    }
    let joins = find_phrases(rest, vocab::REPLACE_WITH);
    let scopes = find_phrases(rest, vocab::REPLACE_IN);
    let mut tries: Vec<(&[Token], &[Token], &[Token])> = Vec::new();
    for &(j, _, jn) in &joins {
        if j == 0 {
            continue;
        }
        match lead_column {
            Some(column) => tries.push((&rest[..j], &rest[j + jn..], column)),
            None => {
                // find WITH value IN column, or find IN column WITH value; the first
                // "in" after the value, as column names hold "in" more than values do.
                for &(s, _, sn) in &scopes {
                    if s > j + jn {
                        tries.push((&rest[..j], &rest[j + jn..s], &rest[s + sn..]));
                    } else if s > 0 && s + sn < j {
                        tries.push((&rest[..s], &rest[j + jn..], &rest[s + sn..j]));
                    }
                }
            }
        }
    }
    let mut first_error = None;
    for (find, with, column) in tries {
        let (Some((find, find_quoted)), Some((with, with_quoted))) = (value(find), value(with))
        else {
            continue;
        };
        let column_words = strip_trailing(strip_column_words(column), vocab::REPLACE_COLUMN_TRAIL);
        let column = match column_result(strip_column_words(column_words), columns) {
            Ok(column) => column,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        if find.is_empty() && find_quoted {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "say what to find in '{}'; to fill its empty cells, say 'fill the empty \
                     cells in {} with ...'",
                    column.name, column.name
                ),
            )));
        }
        let with = match parse_number(&with) {
            Some(n) if !with_quoted && column.is_numeric() => With::Number(n),
            _ => With::Text(with),
        };
        return found(Replace {
            column,
            find,
            with,
            whole_cell,
            match_case,
        });
    }
    // "change Revenue to currency" is a format: only "replace" itself insists.
    let insists = vocab::REPLACE_VERBS[verb] != "change";
    match first_error {
        Some(e) if insists => Some(Err(e)),
        None if insists && !joins.is_empty() => Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            "say what to replace, with what and in which column, like \"replace 'N/A' with '' \
             in Status\""
                .into(),
        ))),
        _ => None,
    }
}
