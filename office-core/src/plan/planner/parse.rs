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
use super::tokens::{Kind, Token, joined, strip_leading, strip_trailing, tokenize};
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
    match find_column(&text, columns) {
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
                        columns.extend(op.new_column());
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
    let names_a_column = operations.iter().any(|op| op.names_a_column());
    Ok(ParsedRequest {
        operations,
        names_a_column,
    })
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
