//! A text column joined from other columns, as a formula (`=A2&" "&B2`): "concatenate
//! First and Last with a space in a new column named Name", "combine City and Country
//! separated by “-”", "in a new column named Summary, concatenate Week, Sales and COGS
//! into the pattern "Week: [Week Value], Sales: [Sales Value]"", "concatenate the header
//! and the value of each column from A to E in the format "Header A: Value A, ...,
//! Header E: Value E"". Cells read as Excel's `&` writes them (numbers with up to 15
//! significant digits, TRUE/FALSE, dates as serial numbers).

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::{Column, ColumnMatch, find_column};
use crate::plan::planner::parse::{ClauseError, FailCode, column_list};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, joined, longest_prefix, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "concatenate columns",
    precedence: 2,
    recognise,
};

/// One piece of the joined text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    /// The cell of this column on the row.
    Value(String),
    /// This column's header cell.
    Header(String),
}

/// A new column of text joined from `pieces`, row by row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Concat {
    pub(crate) name: String,
    pub(crate) pieces: Vec<Piece>,
}

pub(crate) const PYTHON: &str = r#"

def excel_text(value):
    """A cell as Excel's `&` writes it: empty as nothing, TRUE/FALSE, numbers with up to
    15 significant digits, dates as their serial number, text as it is."""
    if value is None or isinstance(value, dict):
        return "" if value is None else str(value.get("error", ""))
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return ""
        value = (value - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    if is_number(value):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        rounded = float("%.15g" % number)
        if 1e-9 <= abs(rounded) < 1e15:
            return np.format_float_positional(rounded, trim="-")
        return ("%.15G" % number).replace("E-0", "E-").replace("E+0", "E+")
    if isinstance(value, float) and np.isnan(value):
        return ""
    return str(value)


def excel_string(text):
    return '"' + text.replace('"', '""') + '"'


def add_text_column(frame, name, pieces, step):
    """A column right of the table joining `pieces` per row: ("text", s), ("value",
    column) for the row's cell, ("header", column) for its header cell; the formula
    joins them with & and its values are cached as Excel computes them."""
    rows = pd.concat([frame, PLACE["blank_frame"]])
    parts = []
    values = pd.Series([""] * len(rows), index=rows.index, dtype=object)
    for kind, what in pieces:
        if kind == "text":
            parts.append(excel_string(what))
            values = values + what
        elif kind == "value":
            parts.append(ref(what))
            values = values + rows[what].map(excel_text)
        elif PLACE["header_row"] is None:
            parts.append(excel_string(what))
            values = values + what
        else:
            parts.append(PLACE["letters"][what] + "$" + str(PLACE["header_row"]))
            values = values + what
    frame = frame.copy()
    frame[name] = values.loc[frame.index]
    PLACE["blank_frame"][name] = values.loc[PLACE["blank_frame"].index]
    PLACE["letters"][name] = column_letter(PLACE["last_col"] + len(added) + 1)
    errors = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    added.append({"header": name, "formula": "=" + "&".join(parts), "values": values, "errors": errors})
    return frame
"#;

impl Operation for Concat {
    fn summary(&self) -> String {
        format!("add column {} joining {}", self.name, self.words())
    }

    fn columns_used(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for piece in &self.pieces {
            if let Piece::Value(c) | Piece::Header(c) = piece
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
        out
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn new_column(&self) -> Option<Column> {
        Some(Column::added(&self.name, ColumnType::Text))
    }

    fn rename_new_column(&mut self, name: &str) -> bool {
        self.name = name.to_string();
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Added column {} joining {}", self.name, self.words());
        let pieces: Vec<String> = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => format!("(\"text\", {})", py_str(t)),
                Piece::Value(c) => format!("(\"value\", {})", py_str(c)),
                Piece::Header(c) => format!("(\"header\", {})", py_str(c)),
            })
            .collect();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_text_column(df, {}, [{}], step=len(steps) - 1)",
            py_str(&self.name),
            pieces.join(", ")
        );
        step
    }
}

impl Concat {
    /// `"Week: " & Week & ", Sales: " & Sales`.
    fn words(&self) -> String {
        let parts: Vec<String> = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => format!("\"{t}\""),
                Piece::Value(c) => c.clone(),
                Piece::Header(c) => format!("the header of {c}"),
            })
            .collect();
        parts.join(" & ")
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    // "In a new column named X, concatenate ...": the name first.
    let (named, body) = match find_phrases(tokens, vocab::INTO_NEW_COLUMN).first() {
        Some(&(at, _, n)) => {
            let after = strip_leading(&tokens[at + n..], vocab::COMPUTE_NAMED);
            let (name, used) = new_name(after)?;
            let mut body = tokens[..at].to_vec();
            body.extend(after[used..].iter().cloned());
            (Some(name), body)
        }
        None => (None, tokens.to_vec()),
    };
    let skip = body.iter().take_while(|t| t.kind == Kind::Comma).count();
    let body = &body[skip..];
    let (_, n) = longest_prefix(body, vocab::CONCAT_VERBS)?;
    let mut rest = &body[n..];
    rest = strip_trailing(rest, vocab::CONCAT_ALL_ROWS);
    // The name at the end: "... named Full Name".
    let mut name = named;
    if name.is_none()
        && let Some(at) = rest
            .iter()
            .position(|t| vocab::COMPUTE_NAMED.iter().any(|w| t.is_word(w)))
        && let Some((n, used)) = new_name(&rest[at + 1..])
        && at + 1 + used == rest.len()
    {
        name = Some(n);
        rest = strip_trailing(&rest[..at], vocab::CONCAT_INTO);
    }
    // How the values are joined: a pattern in quotes, or a separator.
    let (list, how) = match split_pattern(rest) {
        Some((list, pattern)) => (list, How::Pattern(pattern)),
        None => match split_separator(rest) {
            Some((list, sep)) => (list, How::Separator(sep)),
            None => (rest, How::Separator(String::new())),
        },
    };
    let list = strip_trailing(list, vocab::CONCAT_ALL_ROWS);
    let with_headers = longest_prefix(list, vocab::CONCAT_HEADER_AND_VALUE).map(|(_, n)| n);
    let list = strip_leading(&list[with_headers.unwrap_or(0)..], vocab::EACH_VALUE_OF);
    let chosen = match listed_columns(list, columns) {
        Ok(chosen) => chosen,
        Err(e) => return Some(Err(e)),
    };
    let pieces = match how {
        How::Pattern(pattern) => match pattern_pieces(&pattern, &chosen, columns) {
            Ok(pieces) => pieces,
            Err(e) => return Some(Err(e)),
        },
        How::Separator(sep) => {
            if chosen.len() < 2 && with_headers.is_none() {
                return Some(Err(ClauseError::new(
                    FailCode::NotUnderstood,
                    "concatenating needs two columns or more, like 'concatenate First and Last \
                     with a space'"
                        .into(),
                )));
            }
            let mut pieces = Vec::new();
            for (i, c) in chosen.iter().enumerate() {
                if i > 0 && !sep.is_empty() {
                    pieces.push(Piece::Text(sep.clone()));
                }
                if with_headers.is_some() {
                    pieces.push(Piece::Header(c.name.clone()));
                    pieces.push(Piece::Text(": ".into()));
                }
                pieces.push(Piece::Value(c.name.clone()));
            }
            pieces
        }
    };
    let name = name.unwrap_or_else(|| {
        let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
        names.join(" & ")
    });
    if let Some(existing) = columns
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose a new name for the joined column",
                existing.name
            ),
        )));
    }
    found(Concat { name, pieces })
}

enum How {
    Pattern(String),
    Separator(String),
}

/// A new column's name: one quoted text, or words up to a comma.
fn new_name(tokens: &[Token]) -> Option<(String, usize)> {
    let first = tokens.first()?;
    if first.kind == Kind::Quoted {
        return Some((first.text.trim().to_string(), 1));
    }
    let n = tokens
        .iter()
        .position(|t| t.kind != Kind::Word)
        .unwrap_or(tokens.len());
    (n > 0).then(|| (joined(&tokens[..n]), n))
}

/// "... into the pattern "X"": the columns before, the pattern.
fn split_pattern(tokens: &[Token]) -> Option<(&[Token], String)> {
    let (last, before) = tokens.split_last()?;
    if last.kind != Kind::Quoted {
        return None;
    }
    let before = strip_trailing(before, &[":"]);
    for start in (0..before.len()).rev() {
        if let Some((_, n)) = longest_prefix(&before[start..], vocab::CONCAT_PATTERN)
            && start + n == before.len()
        {
            return Some((&before[..start], last.text.clone()));
        }
    }
    None
}

/// "... with a space", "separated by “-”": the columns before, the separator.
fn split_separator(tokens: &[Token]) -> Option<(&[Token], String)> {
    for start in 1..tokens.len() {
        let Some((_, n)) = longest_prefix(&tokens[start..], vocab::CONCAT_WITH) else {
            continue;
        };
        let after = strip_leading(&tokens[start + n..], &["a", "an", "the", "single"]);
        let after = strip_trailing(after, &["between them", "in between", "as separator", "as the separator", "as a separator", "between"]);
        let sep = match after {
            [t] if t.kind == Kind::Quoted => t.text.clone(),
            [] => continue,
            words => match vocab::lookup(vocab::SEPARATOR_WORDS, &joined(words).to_lowercase()) {
                Some(sep) => sep.to_string(),
                None => continue,
            },
        };
        return Some((&tokens[..start], sep));
    }
    None
}

/// The joined columns: a list ("Week, Sales and COGS"), or a range of letters ("each
/// column from A to E", "columns A to E").
pub(crate) fn listed_columns(tokens: &[Token], columns: &[Column]) -> Result<Vec<Column>, ClauseError> {
    let tokens = strip_leading(tokens, vocab::CONCAT_RANGE_LEAD);
    let letters: Vec<&Token> = tokens.iter().filter(|t| !t.is_word("to") && !t.is_word("through") && !t.is_word("-")).collect();
    if let [from, to] = letters[..]
        && tokens.len() == 3
        && let (Some(a), Some(b)) = (letter_number(&from.text), letter_number(&to.text))
    {
        let sheet: Vec<&Column> = columns.iter().filter(|c| c.seen.index.is_some()).collect();
        let chosen: Vec<Column> = sheet
            .iter()
            .filter(|c| c.seen.index.is_some_and(|i| (a..=b).contains(&i)))
            .map(|c| (*c).clone())
            .collect();
        if a > b || chosen.len() != b - a + 1 {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "the table has no columns {} to {}",
                    from.text.to_uppercase(),
                    to.text.to_uppercase()
                ),
            ));
        }
        return Ok(chosen);
    }
    column_list(tokens, columns)
}

/// Column letters as a 0-based index: A is 0, AA is 26.
fn letter_number(text: &str) -> Option<usize> {
    if text.is_empty() || text.len() > 3 || !text.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut n = 0usize;
    for c in text.to_ascii_uppercase().bytes() {
        n = n * 26 + usize::from(c - b'A' + 1);
    }
    Some(n - 1)
}

/// The letter of a 0-based column index.
pub(crate) fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    index += 1;
    while index > 0 {
        let rest = (index - 1) % 26;
        out.push(b'A' + rest as u8);
        index = (index - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The pieces of a pattern: `[Week Value]` (a column's value, in brackets), `Header A`
/// and `Value A` (the header and the value of the column in letter A), and `...`
/// repeating the part for one column over every chosen column.
fn pattern_pieces(
    pattern: &str,
    chosen: &[Column],
    columns: &[Column],
) -> Result<Vec<Piece>, ClauseError> {
    let dots = pattern.find("...").map(|i| (i, 3)).or_else(|| pattern.find('…').map(|i| (i, '…'.len_utf8())));
    let pieces = match dots {
        None => placeholders(pattern, columns)?,
        Some((at, len)) => {
            let left = placeholders(&pattern[..at], columns)?;
            let right = placeholders(&pattern[at + len..], columns)?;
            repeat(&left, &right, chosen).ok_or_else(|| {
                ClauseError::new(
                    FailCode::NotUnderstood,
                    format!(
                        "I could not see which part of the pattern '{pattern}' repeats for each \
                         column"
                    ),
                )
            })?
        }
    };
    if !pieces.iter().any(|p| matches!(p, Piece::Value(_))) {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "the pattern '{pattern}' names no column's value; write it like \"Week: [Week]\""
            ),
        ));
    }
    Ok(pieces)
}

/// `Header A: Value A, Header B: Value B, ` + `, Header E: Value E`: the first column's
/// part, the separator before the second, then the part for each chosen column.
fn repeat(left: &[Piece], right: &[Piece], chosen: &[Column]) -> Option<Vec<Piece>> {
    let column_of = |p: &Piece| match p {
        Piece::Value(c) | Piece::Header(c) => Some(c.clone()),
        Piece::Text(_) => None,
    };
    let first = left.iter().find_map(column_of)?;
    let start = left.iter().position(|p| column_of(p).is_some())?;
    let end = left.iter().rposition(|p| column_of(p).as_ref() == Some(&first))? + 1;
    let next = left[end..].iter().position(|p| column_of(p).is_some());
    let separator: String = left[end..end + next.unwrap_or(left.len() - end)]
        .iter()
        .filter_map(|p| match p {
            Piece::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    // Without a second column on the left, the separator is the text before the last.
    let separator = if next.is_none() {
        match right.first() {
            Some(Piece::Text(t)) => t.clone(),
            _ => separator,
        }
    } else {
        separator
    };
    let last_end = right.iter().rposition(|p| column_of(p).is_some()).map_or(0, |i| i + 1);
    let unit = &left[start..end];
    let mut out: Vec<Piece> = left[..start].to_vec();
    for (i, column) in chosen.iter().enumerate() {
        if i > 0 {
            out.push(Piece::Text(separator.clone()));
        }
        for piece in unit {
            out.push(match piece {
                Piece::Value(_) => Piece::Value(column.name.clone()),
                Piece::Header(_) => Piece::Header(column.name.clone()),
                Piece::Text(t) => Piece::Text(t.clone()),
            });
        }
    }
    out.extend_from_slice(&right[last_end..]);
    Some(merge_text(out))
}

/// Adjacent texts as one.
fn merge_text(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for piece in pieces {
        match (out.last_mut(), piece) {
            (_, Piece::Text(t)) if t.is_empty() => {}
            (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
            (_, piece) => out.push(piece),
        }
    }
    out
}

/// The pattern's placeholders as pieces, the rest as text.
fn placeholders(text: &str, columns: &[Column]) -> Result<Vec<Piece>, ClauseError> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut literal = String::new();
    while !rest.is_empty() {
        // [Week Value], {Week}, <Week>
        if let Some(close) = ['[', '{', '<']
            .iter()
            .zip([']', '}', '>'])
            .find(|(open, _)| rest.starts_with(**open))
            .and_then(|(_, close)| rest.find(close))
        {
            let inner = &rest[1..close];
            let (kind, phrase) = match find_column(inner, columns) {
                ColumnMatch::Found(_) => (Piece::Value as MakePiece, inner),
                _ => placeholder_kind(inner),
            };
            let column = placeholder_column(phrase, columns).ok_or_else(|| {
                ClauseError::new(
                    FailCode::ColumnNotFound,
                    format!("the pattern's '{}' names no column", &rest[..=close]),
                )
            })?;
            out.push(Piece::Text(std::mem::take(&mut literal)));
            out.push(kind(column));
            rest = &rest[close + 1..];
            continue;
        }
        // Header A, Value A: a word, a space, a column letter that ends a word.
        if let Some((piece, used)) = lettered(rest, columns)
            && literal.chars().last().is_none_or(|c| !c.is_alphanumeric())
        {
            out.push(Piece::Text(std::mem::take(&mut literal)));
            out.push(piece);
            rest = &rest[used..];
            continue;
        }
        let ch = rest.chars().next().unwrap_or(' ');
        literal.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out.push(Piece::Text(literal));
    Ok(merge_text(out))
}

type MakePiece = fn(String) -> Piece;

/// "Week Value" -> a value of "Week"; "Header of Week" -> its header.
fn placeholder_kind(inner: &str) -> (MakePiece, &str) {
    let lower = inner.trim().to_lowercase();
    for word in vocab::PATTERN_HEADER_WORDS {
        if let Some(rest) = lower.strip_prefix(word).or_else(|| lower.strip_suffix(word)) {
            let rest = rest.trim().trim_start_matches("of ").trim();
            let offset = inner.to_lowercase().find(rest).unwrap_or(0);
            return (Piece::Header, inner[offset..offset + rest.len()].trim());
        }
    }
    for word in vocab::PATTERN_VALUE_WORDS {
        if let Some(rest) = lower.strip_suffix(word).or_else(|| lower.strip_prefix(word)) {
            let rest = rest.trim().trim_start_matches("of ").trim();
            if rest.is_empty() {
                break;
            }
            let offset = inner.to_lowercase().find(rest).unwrap_or(0);
            return (Piece::Value, inner[offset..offset + rest.len()].trim());
        }
    }
    (Piece::Value, inner.trim())
}

/// The column a placeholder names, by name or by letter.
fn placeholder_column(phrase: &str, columns: &[Column]) -> Option<String> {
    match find_column(phrase, columns) {
        ColumnMatch::Found(c) => Some(c.name),
        _ => by_letter(phrase, columns),
    }
}

fn by_letter(letter: &str, columns: &[Column]) -> Option<String> {
    let index = letter_number(letter.trim())?;
    columns
        .iter()
        .find(|c| c.seen.index == Some(index))
        .map(|c| c.name.clone())
}

/// `Header A` / `Value A` at the start of `text`: the piece and its length.
fn lettered(text: &str, columns: &[Column]) -> Option<(Piece, usize)> {
    let (word, rest) = text.split_once(' ')?;
    let lower = word.to_lowercase();
    let make: MakePiece = if vocab::PATTERN_HEADER_WORDS.contains(&lower.as_str()) {
        Piece::Header
    } else if vocab::PATTERN_VALUE_WORDS.contains(&lower.as_str()) {
        Piece::Value
    } else {
        return None;
    };
    let letters: String = rest.chars().take_while(|c| c.is_ascii_uppercase()).collect();
    if letters.is_empty()
        || rest[letters.len()..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let column = by_letter(&letters, columns)?;
    Some((make(column), word.len() + 1 + letters.len()))
}
