//! Request text -> operations.
//!
//! The request is cut into tokens (words, numbers, quoted text, symbols), then into
//! clauses. Hard separators (`;`, a full stop, a new line, `then`) always end a clause.
//! Soft separators (`,` and `and`) may also sit inside a clause ("dedupe on name and
//! city", a column called "Profit and Loss"), so at each point the longest run of soft
//! parts that reads as one operation wins; a run that reads as nothing fails the request.
//!
//! Every clause must be one operation or courtesy filler ("please", "for me"). Words
//! that look like an instruction the planner does not know ("and translate to French")
//! fail the request instead of being dropped.

use super::columns::{Column, ColumnMatch, find_column};
use super::lang;
use super::ops::{OpKind, Operation};
use super::tokens::{Kind, Token, joined, longest_prefix, strip_leading, strip_trailing, tokenize};
use super::vocab;

// ---------------------------------------------------------------------------------------
// Results and failures

#[derive(Debug)]
pub(crate) struct ParsedRequest {
    pub(crate) operations: Vec<Box<dyn Operation>>,
    /// At least one operation names a column of the sheet.
    pub(crate) names_a_column: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailCode {
    NotUnderstood,
    ColumnNotFound,
    AmbiguousColumn,
    InvalidOperation,
}

impl FailCode {
    /// The job error code this failure ends a job with.
    pub(crate) fn error_code(self) -> crate::job::ErrorCode {
        use crate::job::ErrorCode;
        match self {
            FailCode::NotUnderstood => ErrorCode::RequestNotUnderstood,
            FailCode::ColumnNotFound => ErrorCode::ColumnNotFound,
            FailCode::AmbiguousColumn => ErrorCode::AmbiguousColumn,
            FailCode::InvalidOperation => ErrorCode::InvalidOperation,
        }
    }
}

/// Why a request could not be planned, with what was understood before that point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) code: FailCode,
    pub(crate) reason: String,
    pub(crate) understood: Vec<String>,
    /// The words that named no column, or more than one.
    pub(crate) phrase: Option<String>,
    /// The columns an ambiguous phrase could mean.
    pub(crate) candidates: Vec<String>,
}

/// A clause that could not be read. `recognized` is true when the clause clearly was
/// meant as one of the operations (its verb was found) and failed on details.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClauseError {
    pub(crate) code: FailCode,
    pub(crate) reason: String,
    pub(crate) recognized: bool,
    /// The words that named no column, or more than one.
    pub(crate) phrase: Option<String>,
    /// The columns an ambiguous phrase could mean.
    pub(crate) candidates: Vec<String>,
}

impl ClauseError {
    pub(crate) fn new(code: FailCode, reason: String) -> Self {
        ClauseError {
            code,
            reason,
            recognized: true,
            phrase: None,
            candidates: Vec::new(),
        }
    }

    fn about(mut self, phrase: String, candidates: Vec<String>) -> Self {
        self.phrase = Some(phrase);
        self.candidates = candidates;
        self
    }
}

enum Clause {
    Op(Box<dyn Operation>),
    Filler,
}

type ClauseResult = Result<Clause, ClauseError>;

// ---------------------------------------------------------------------------------------
// Column phrases, for every operation

pub(crate) fn column_result(phrase: &[Token], columns: &[Column]) -> Result<Column, ClauseError> {
    let text = joined(phrase);
    if text.is_empty() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            "I expected a column name".into(),
        ));
    }
    let found = find_column(&text, columns);
    // "sort by C", "column E": a column letter, unless a column is named so.
    // One capital letter wins over a column it only resembles; other letters ("AB",
    // "c") only where nothing else matches.
    if let [token] = phrase
        && let Some(by_letter) = letter_column(token, columns)
    {
        let named = matches!(&found, ColumnMatch::Found(c)
            if c.name.trim().eq_ignore_ascii_case(&text));
        let capital = token.text.len() == 1 && token.text.chars().all(|c| c.is_ascii_uppercase());
        if !named && (capital || found == ColumnMatch::NotFound) {
            return Ok(by_letter);
        }
    }
    match found {
        ColumnMatch::Found(column) => Ok(column),
        ColumnMatch::Ambiguous(candidates) => Err(ClauseError::new(
            FailCode::AmbiguousColumn,
            format!(
                "'{text}' could mean more than one column ({}); use the exact column name",
                candidates.join(", ")
            ),
        )
        .about(text, candidates)),
        ColumnMatch::NotFound => Err(not_found(phrase, columns)),
    }
}

/// The column in the sheet column a letter names ("C", "AB"; one lower-case letter
/// too), when the table has it.
fn letter_column(token: &Token, columns: &[Column]) -> Option<Column> {
    let text = token.text.as_str();
    let upper = text.chars().all(|c| c.is_ascii_uppercase()) && (1..=3).contains(&text.len());
    let lower = text.len() == 1 && text.chars().all(|c| c.is_ascii_lowercase());
    if token.kind != Kind::Word || !(upper || lower) {
        return None;
    }
    let mut index = 0usize;
    for c in text.to_ascii_uppercase().bytes() {
        index = index * 26 + usize::from(c - b'A' + 1);
    }
    columns
        .iter()
        .find(|c| c.seen.index == Some(index - 1) && !c.is_defined_only())
        .cloned()
}

/// A phrase that names no column: when its last or first words do name one
/// ("highlight cells where wind"), the rest is what was not understood, not a column.
fn not_found(phrase: &[Token], columns: &[Column]) -> ClauseError {
    let text = joined(phrase);
    // Long phrases are whole clauses tried as one column while the request is cut into
    // clauses: no column to point at there, and looking would cost time.
    let tries = if phrase.len() <= 6 { phrase.len() } else { 0 };
    for k in 1..tries {
        for (column, other) in [
            (&phrase[k..], &phrase[..k]),
            (&phrase[..phrase.len() - k], &phrase[phrase.len() - k..]),
        ] {
            if let ColumnMatch::Found(c) = find_column(&joined(column), columns) {
                return ClauseError::new(
                    FailCode::NotUnderstood,
                    format!(
                        "I found the column '{}' in '{text}', but not what '{}' asks for",
                        c.name,
                        joined(other)
                    ),
                );
            }
        }
    }
    ClauseError::new(
        FailCode::ColumnNotFound,
        format!("I could not find a column matching '{text}'"),
    )
    .about(text, Vec::new())
}

/// "name and city", "name, city", "the name column" -> columns.
pub(crate) fn column_list(
    tokens: &[Token],
    columns: &[Column],
) -> Result<Vec<Column>, ClauseError> {
    // A whole phrase that is one column name wins ("Profit and Loss").
    let whole = strip_column_words(tokens);
    if let Ok(column) = column_result(whole, columns) {
        return Ok(vec![column]);
    }
    let mut found = Vec::new();
    for piece in tokens.split(|t| t.kind == Kind::Comma || t.is_word("and") || t.is_word("&")) {
        let piece = strip_column_words(piece);
        if piece.is_empty() {
            continue;
        }
        let column = column_result(piece, columns)?;
        if !found.contains(&column) {
            found.push(column);
        }
    }
    if found.is_empty() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            "I expected column names".into(),
        ));
    }
    Ok(found)
}

/// "the Revenue column" -> "Revenue". Never strips everything: in "total value by
/// category" the word "value" is the column.
pub(crate) fn strip_column_words(tokens: &[Token]) -> &[Token] {
    let tokens = strip_leading(tokens, vocab::COLUMN_LEAD);
    let stripped = strip_trailing(tokens, vocab::COLUMN_TRAIL);
    if stripped.is_empty() {
        tokens
    } else {
        stripped
    }
}

// ---------------------------------------------------------------------------------------
// The request

/// Reads a request against one sheet's columns.
pub(crate) fn parse_request(
    text: &str,
    columns: &[Column],
    registry: &[OpKind],
) -> Result<ParsedRequest, Failure> {
    let mut kinds: Vec<&OpKind> = registry.iter().collect();
    kinds.sort_by_key(|k| k.precedence);
    let tokens = lang::translate(tokenize(text), columns);
    let mut columns: Vec<Column> = columns.to_vec();
    let mut operations: Vec<Box<dyn Operation>> = Vec::new();
    let fail = |error: ClauseError, operations: &[Box<dyn Operation>]| Failure {
        code: error.code,
        reason: error.reason,
        understood: operations.iter().map(|op| op.summary()).collect(),
        phrase: error.phrase,
        candidates: error.candidates,
    };

    for segment in hard_segments(&tokens) {
        // "Write the results in column F named X": the name of the column added before.
        if let Some((letter, name)) = naming_clause(segment) {
            if let Err(error) = name_last_column(&mut operations, &mut columns, letter, &name) {
                return Err(fail(error, &operations));
            }
            continue;
        }
        // Soft parts: the token ranges between commas and 'and's.
        let mut bounds = Vec::new();
        let mut start = 0;
        for (i, t) in segment.iter().enumerate() {
            if t.kind == Kind::Comma || t.is_word("and") {
                bounds.push((start, i));
                start = i + 1;
            }
        }
        bounds.push((start, segment.len()));

        let mut part = 0;
        while part < bounds.len() {
            let mut best_error: Option<ClauseError> = None;
            let mut advanced = false;
            for last in (part..bounds.len()).rev() {
                let span = &segment[bounds[part].0..bounds[last].1];
                match parse_clause(span, &columns, &kinds) {
                    Ok(Clause::Op(op)) => {
                        if let Some((old, new)) = op.renamed() {
                            for column in columns.iter_mut().filter(|c| c.name == old) {
                                column.name = new.clone();
                            }
                        }
                        for mut column in op.new_columns() {
                            column.seen.index = Some(next_index(&columns));
                            // The column now holds what the context defined by its name.
                            columns.retain(|c| {
                                !(c.is_defined_only()
                                    && c.name.trim().eq_ignore_ascii_case(column.name.trim()))
                            });
                            columns.push(column);
                        }
                        operations.push(op);
                        part = last + 1;
                        advanced = true;
                        break;
                    }
                    Ok(Clause::Filler) => {
                        part = last + 1;
                        advanced = true;
                        break;
                    }
                    Err(e) => {
                        // The most telling error: a recognized clause over an unknown one,
                        // then the longer span.
                        let better = match &best_error {
                            None => true,
                            Some(b) => e.recognized && !b.recognized,
                        };
                        if better {
                            best_error = Some(e);
                        }
                    }
                }
            }
            if !advanced {
                let error = best_error.expect("at least one span was tried");
                return Err(fail(error, &operations));
            }
        }
    }
    if operations.is_empty() {
        return Err(fail(
            ClauseError::new(
                FailCode::NotUnderstood,
                "I did not find anything to do in the request".into(),
            ),
            &operations,
        ));
    }
    // A quantity the context defines is used through a computed column only.
    for op in &operations {
        for used in op.columns_used() {
            if columns
                .iter()
                .any(|c| c.is_defined_only() && c.name == used)
            {
                return Err(fail(
                    ClauseError::new(
                        FailCode::InvalidOperation,
                        format!(
                            "'{used}' is a formula of the context, not a column yet; add it as \
                             a column first"
                        ),
                    ),
                    &operations,
                ));
            }
        }
    }
    let names_a_column = operations.iter().any(|op| op.names_a_column());
    Ok(ParsedRequest {
        operations,
        names_a_column,
    })
}

/// Where a column added now goes: right of the last one.
fn next_index(columns: &[Column]) -> usize {
    columns
        .iter()
        .filter_map(|c| c.seen.index)
        .max()
        .map_or(0, |i| i + 1)
}

/// "Write the results in column F named X", "name it X": the letter (if said) and the
/// name.
fn naming_clause(tokens: &[Token]) -> Option<(Option<String>, String)> {
    let tokens = strip_leading(tokens, vocab::LEADING_COURTESY);
    let tokens = strip_trailing(tokens, vocab::TRAILING_COURTESY);
    let (_, n) = longest_prefix(tokens, vocab::NAME_RESULT_LEAD)?;
    let mut rest = strip_leading(&tokens[n..], &["a", "an", "the", "new"]);
    let mut letter = None;
    if rest.first().is_some_and(|t| t.is_word("column")) {
        rest = &rest[1..];
        if let Some(t) = rest.first()
            && t.kind == Kind::Word
            && t.text.len() <= 2
            && t.text.chars().all(|c| c.is_ascii_uppercase())
        {
            letter = Some(t.text.clone());
            rest = &rest[1..];
        }
    }
    let rest = strip_leading(rest, vocab::COMPUTE_NAMED);
    let rest = strip_leading(rest, &["as"]);
    match rest {
        [t] if t.kind == Kind::Quoted && !t.text.trim().is_empty() => {
            Some((letter, t.text.trim().to_string()))
        }
        [] => None,
        words if words.iter().all(|t| t.kind == Kind::Word) => Some((letter, joined(words))),
        _ => None,
    }
}

/// Names the column the last operation added, in the column `letter` when said.
fn name_last_column(
    operations: &mut [Box<dyn Operation>],
    columns: &mut [Column],
    letter: Option<String>,
    name: &str,
) -> Result<(), ClauseError> {
    let no_column = || {
        ClauseError::new(
            FailCode::NotUnderstood,
            format!("'{name}' names a new column, but no step before it adds one"),
        )
    };
    let op = operations.last_mut().ok_or_else(no_column)?;
    let old = op.new_column().ok_or_else(no_column)?;
    if let Some(existing) = columns
        .iter()
        .find(|c| c.name != old.name && c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("a column named '{}' already exists", existing.name),
        ));
    }
    let at = columns
        .iter()
        .rposition(|c| c.name == old.name)
        .ok_or_else(no_column)?;
    let index = columns[at].seen.index;
    if let (Some(letter), Some(index)) = (&letter, index) {
        let goes = super::ops::concat::column_letter(index);
        if *letter != goes {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "the new column goes right of the table, in column {goes}; I cannot put it \
                     in column {letter}"
                ),
            ));
        }
    }
    if !op.rename_new_column(name) {
        return Err(no_column());
    }
    let mut column = op.new_column().ok_or_else(no_column)?;
    column.seen.index = index;
    columns[at] = column;
    Ok(())
}

/// "... in column F named X": the new column in the letter it gets (right of the table),
/// read as "in a new column named X"; another letter is an error.
fn in_column_letter(
    tokens: &[Token],
    columns: &[Column],
) -> Option<Result<Vec<Token>, ClauseError>> {
    let at = (0..tokens.len().saturating_sub(3)).find(|&i| {
        ["in", "into", "to"].iter().any(|w| tokens[i].is_word(w))
            && tokens[i + 1].is_word("column")
            && tokens[i + 2].kind == Kind::Word
            && tokens[i + 2].text.len() <= 2
            && tokens[i + 2].text.chars().all(|c| c.is_ascii_uppercase())
            && vocab::COMPUTE_NAMED
                .iter()
                .any(|w| tokens[i + 3].is_word(w))
    })?;
    let letter = &tokens[at + 2].text;
    let goes = super::ops::concat::column_letter(next_index(columns));
    if *letter != goes {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "the new column goes right of the table, in column {goes}; I cannot put it in \
                 column {letter}"
            ),
        )));
    }
    let mut rest = tokens[..at].to_vec();
    rest.extend(tokenize("in a new column"));
    rest.extend_from_slice(&tokens[at + 3..]);
    Some(Ok(rest))
}

/// "right after column E", "after the Price column": where a new column goes. Taken out
/// of the clause: (the clause without it, the column it names).
fn take_placement(
    tokens: &[Token],
    columns: &[Column],
) -> Option<(Vec<Token>, Result<Column, ClauseError>)> {
    for start in 0..tokens.len() {
        let Some((_, n)) = longest_prefix(&tokens[start..], vocab::PLACE_AFTER) else {
            continue;
        };
        let after = &tokens[start + n..];
        let after_the = strip_leading(after, &["the"]);
        let skipped = after.len() - after_the.len();
        // "column E", "column Price" or "the Price column".
        let (lead, body) = match after_the.first() {
            Some(t) if t.is_word("column") => (skipped + 1, &after_the[1..]),
            _ => (skipped, after_the),
        };
        let end = body
            .iter()
            .position(|t| {
                t.kind == Kind::Comma
                    || [
                        "by", "and", "with", "using", "as", "named", "called", "titled", "that",
                        "which", "to", "in", "=", ":",
                    ]
                    .iter()
                    .any(|w| t.is_word(w))
            })
            .unwrap_or(body.len());
        let mut phrase = &body[..end];
        let mut trail = 0;
        if phrase.last().is_some_and(|t| t.is_word("column")) {
            phrase = &phrase[..phrase.len() - 1];
            trail = 1;
        }
        if phrase.is_empty() || (lead == skipped && trail == 0) {
            continue;
        }
        let named = match phrase {
            [t] if t.kind == Kind::Word
                && t.text.len() <= 2
                && t.text.chars().all(|c| c.is_ascii_uppercase()) =>
            {
                columns
                    .iter()
                    .find(|c| {
                        c.seen
                            .index
                            .is_some_and(|i| super::ops::concat::column_letter(i) == t.text)
                    })
                    .cloned()
                    .ok_or_else(|| {
                        ClauseError::new(
                            FailCode::ColumnNotFound,
                            format!("the table has no column {}", t.text),
                        )
                    })
            }
            _ => column_result(phrase, columns),
        };
        let mut rest = tokens[..start].to_vec();
        rest.extend_from_slice(&tokens[start + n + lead + phrase.len() + trail..]);
        return Some((rest, named));
    }
    None
}

/// Splits at `;`, full stops, new lines and `then` (with an `and` or `,` before it).
fn hard_segments(tokens: &[Token]) -> Vec<&[Token]> {
    let mut segments = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let is_then = t.is_word("then")
            || (t.is_word("after") && tokens.get(i + 1).is_some_and(|n| n.is_word("that")));
        if t.kind == Kind::Stop || is_then {
            let mut end = i;
            while end > start
                && (tokens[end - 1].kind == Kind::Comma || tokens[end - 1].is_word("and"))
            {
                end -= 1;
            }
            segments.push(&tokens[start..end]);
            i += if t.is_word("after") { 2 } else { 1 };
            start = i;
            continue;
        }
        i += 1;
    }
    segments.push(&tokens[start..]);
    segments.into_iter().filter(|s| !s.is_empty()).collect()
}

fn parse_clause(tokens: &[Token], columns: &[Column], kinds: &[&OpKind]) -> ClauseResult {
    let tokens = strip_leading(tokens, vocab::LEADING_COURTESY);
    let tokens = strip_trailing(tokens, vocab::TRAILING_COURTESY);
    if tokens.iter().all(|t| {
        t.kind == Kind::Comma
            || (t.kind == Kind::Word && vocab::FILLER_WORDS.contains(&t.lower.as_str()))
    }) {
        return Ok(Clause::Filler);
    }
    if let Some(rest) = in_column_letter(tokens, columns) {
        return match rest {
            Ok(rest) => parse_clause(&rest, columns, kinds),
            Err(e) => Err(e),
        };
    }
    if longest_prefix(tokens, vocab::ALL_ROWS_CLAUSES).is_some_and(|(_, n)| n == tokens.len()) {
        return Ok(Clause::Filler);
    }
    if let Some((rest, place)) = take_placement(tokens, columns) {
        let clause = parse_clause(&rest, columns, kinds)?;
        let after = place?;
        let last = columns
            .iter()
            .filter(|c| c.seen.index.is_some())
            .max_by_key(|c| c.seen.index);
        return match &clause {
            Clause::Op(op) if !op.new_columns().is_empty() => match last {
                Some(last) if last.name == after.name => Ok(clause),
                Some(last) => Err(ClauseError::new(
                    FailCode::InvalidOperation,
                    format!(
                        "I add new columns right of the table, after '{}'; putting one right \
                         after '{}' (between columns) is not supported yet",
                        last.name, after.name
                    ),
                )),
                None => Ok(clause),
            },
            _ => Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "'after {}' places a new column, but the step adds none",
                    after.name
                ),
            )),
        };
    }
    let first = recognise_clause(tokens, columns, kinds);
    if first.is_ok() {
        return first;
    }
    // Another language's word order, read in English order ("by X descending sort").
    for variant in lang::reorderings(tokens, columns) {
        if let Ok(clause) = recognise_clause(&variant, columns, kinds) {
            return Ok(clause);
        }
    }
    first
}

fn recognise_clause(tokens: &[Token], columns: &[Column], kinds: &[&OpKind]) -> ClauseResult {
    for kind in kinds {
        if let Some(result) = (kind.recognise)(tokens, columns) {
            return result.map(Clause::Op);
        }
    }
    Err(ClauseError {
        recognized: false,
        ..ClauseError::new(
            FailCode::NotUnderstood,
            format!("I could not understand '{}'", joined(tokens)),
        )
    })
}
