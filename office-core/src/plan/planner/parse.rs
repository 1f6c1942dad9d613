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
use crate::profile::ColumnType;
use std::fmt;

// ---------------------------------------------------------------------------------------
// Operations

#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Sort(Sort),
    Filter(Filter),
    Dedupe(Dedupe),
    Compute(Compute),
    Aggregate(Aggregate),
    Describe(Describe),
}

/// Sort rows by one or more columns, all in one direction. Stable (`mergesort`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub columns: Vec<Column>,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
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
    pub fn python(self) -> Option<&'static str> {
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
pub enum Literal {
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
pub struct Filter {
    pub column: Column,
    pub op: CmpOp,
    pub value: Literal,
    pub keep: bool,
}

/// Remove duplicate rows, comparing the given columns (all columns when empty);
/// the first row of each group of duplicates stays.
#[derive(Debug, Clone, PartialEq)]
pub struct Dedupe {
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Column(String),
    Negate(Box<Expr>),
    Binary(Box<Expr>, char, Box<Expr>),
}

impl Expr {
    pub fn mentions_column(&self) -> bool {
        match self {
            Expr::Number(_) => false,
            Expr::Column(_) => true,
            Expr::Negate(e) => e.mentions_column(),
            Expr::Binary(a, _, b) => a.mentions_column() || b.mentions_column(),
        }
    }

    pub fn divides(&self) -> bool {
        match self {
            Expr::Number(_) | Expr::Column(_) => false,
            Expr::Negate(e) => e.divides(),
            Expr::Binary(a, op, b) => *op == '/' || a.divides() || b.divides(),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => f.write_str(&format_number(*n)),
            Expr::Column(c) => f.write_str(c),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::Binary(a, op, b) => {
                let wrap = |e: &Expr| match e {
                    Expr::Binary(..) => format!("({e})"),
                    _ => e.to_string(),
                };
                write!(f, "{} {op} {}", wrap(a), wrap(b))
            }
        }
    }
}

/// A new column computed row by row from numbers and numeric columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Compute {
    pub name: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    Sum,
    Mean,
    Count,
    Min,
    Max,
}

impl AggFunc {
    pub fn label(self) -> &'static str {
        match self {
            AggFunc::Sum => "Total",
            AggFunc::Mean => "Average",
            AggFunc::Count => "Count",
            AggFunc::Min => "Min",
            AggFunc::Max => "Max",
        }
    }

    pub fn pandas(self) -> &'static str {
        match self {
            AggFunc::Sum => "sum",
            AggFunc::Mean => "mean",
            AggFunc::Count => "count",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

/// Group rows by `group` and aggregate `value` (`None`: count rows) into a new sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFunc,
    pub value: Option<Column>,
    pub group: Column,
}

/// Summary statistics of the given columns (numeric columns when empty), in a new sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    pub columns: Vec<Column>,
}

fn names(columns: &[Column]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

impl Operation {
    /// What the operation does, in plain words (for steps and for error messages).
    pub fn summary(&self) -> String {
        match self {
            Operation::Sort(s) => format!(
                "sort by {}, {}",
                names(&s.columns),
                if s.descending {
                    "descending"
                } else {
                    "ascending"
                }
            ),
            Operation::Filter(f) => format!(
                "{} rows where {} {} {}",
                if f.keep { "keep" } else { "remove" },
                f.column.name,
                f.op.words(),
                f.value
            ),
            Operation::Dedupe(d) if d.columns.is_empty() => {
                "remove duplicate rows (all columns)".to_string()
            }
            Operation::Dedupe(d) => format!("remove duplicate rows by {}", names(&d.columns)),
            Operation::Compute(c) => format!("add column {} = {}", c.name, c.expr),
            Operation::Aggregate(a) => match &a.value {
                Some(v) => format!("{} of {} by {}", a.func.pandas(), v.name, a.group.name),
                None => format!("count rows by {}", a.group.name),
            },
            Operation::Describe(d) if d.columns.is_empty() => {
                "summary statistics of the numeric columns".to_string()
            }
            Operation::Describe(d) => format!("summary statistics of {}", names(&d.columns)),
        }
    }

    /// The names of the existing columns the operation reads, in order.
    pub fn columns_used(&self) -> Vec<String> {
        fn expr_columns(expr: &Expr, out: &mut Vec<String>) {
            match expr {
                Expr::Number(_) => {}
                Expr::Column(c) => {
                    if !out.contains(c) {
                        out.push(c.clone());
                    }
                }
                Expr::Negate(e) => expr_columns(e, out),
                Expr::Binary(a, _, b) => {
                    expr_columns(a, out);
                    expr_columns(b, out);
                }
            }
        }
        let names = |columns: &[Column]| columns.iter().map(|c| c.name.clone()).collect();
        match self {
            Operation::Sort(s) => names(&s.columns),
            Operation::Filter(f) => vec![f.column.name.clone()],
            Operation::Dedupe(d) => names(&d.columns),
            Operation::Compute(c) => {
                let mut out = Vec::new();
                expr_columns(&c.expr, &mut out);
                out
            }
            Operation::Aggregate(a) => {
                let mut out = vec![a.group.name.clone()];
                if let Some(v) = &a.value {
                    out.push(v.name.clone());
                }
                out
            }
            Operation::Describe(d) => names(&d.columns),
        }
    }

    fn names_a_column(&self) -> bool {
        match self {
            Operation::Sort(_) | Operation::Filter(_) | Operation::Aggregate(_) => true,
            Operation::Dedupe(d) => !d.columns.is_empty(),
            Operation::Describe(d) => !d.columns.is_empty(),
            Operation::Compute(c) => c.expr.mentions_column(),
        }
    }
}

/// A number as a person (and Python) writes it: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

// ---------------------------------------------------------------------------------------
// Results and failures

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRequest {
    pub operations: Vec<Operation>,
    /// At least one operation names a column of the sheet.
    pub names_a_column: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailCode {
    NotUnderstood,
    ColumnNotFound,
    AmbiguousColumn,
    InvalidOperation,
}

impl FailCode {
    /// The job error code this failure ends a job with.
    pub fn error_code(self) -> crate::job::ErrorCode {
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
pub struct Failure {
    pub code: FailCode,
    pub reason: String,
    pub understood: Vec<String>,
}

/// A clause that could not be read. `recognized` is true when the clause clearly was
/// meant as one of the operations (its verb was found) and failed on details.
#[derive(Debug, Clone, PartialEq)]
struct ClauseError {
    code: FailCode,
    reason: String,
    recognized: bool,
}

impl ClauseError {
    fn new(code: FailCode, reason: String) -> Self {
        ClauseError {
            code,
            reason,
            recognized: true,
        }
    }
}

enum Clause {
    Op(Operation),
    Filler,
}

type ClauseResult = Result<Clause, ClauseError>;

/// A parser for one kind of clause: `None` when the clause is not of its kind.
type ClauseParser = fn(&[Token], &[Column]) -> Option<Result<Operation, ClauseError>>;

// ---------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    Quoted,
    Symbol,
    Comma,
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    /// As written (for quoted text: without the quotes).
    text: String,
    /// Case-folded, for keyword comparisons.
    lower: String,
}

impl Token {
    fn new(kind: Kind, text: String) -> Token {
        let lower = text.to_lowercase();
        Token { kind, text, lower }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.kind, Kind::Word | Kind::Symbol) && self.lower == word
    }
}

const QUOTES: &[(char, char)] = &[
    ('"', '"'),
    ('\'', '\''),
    ('`', '`'),
    ('\u{201c}', '\u{201d}'),
    ('\u{2018}', '\u{2019}'),
    ('\u{00ab}', '\u{00bb}'),
    ('\u{300c}', '\u{300d}'),
];

fn is_word_char(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '_' | '$' | '€' | '£' | '¥' | '%' | '#' | '&' | '@')
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\n' || ch == '\r' {
            tokens.push(Token::new(Kind::Stop, "\n".into()));
            i += 1;
            continue;
        }
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(&(_, close)) = QUOTES.iter().find(|(open, _)| *open == ch) {
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == close) {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                tokens.push(Token::new(Kind::Quoted, inner));
                i += len + 2;
            } else {
                i += 1; // a lone quote or apostrophe carries no meaning
            }
            continue;
        }
        let next = chars.get(i + 1).copied();
        let two: String = [ch, next.unwrap_or(' ')].iter().collect();
        if matches!(two.as_str(), ">=" | "<=" | "!=" | "<>" | "==" | "=>" | "=<") {
            let symbol = match two.as_str() {
                "<>" => "!=",
                "=>" => ">=",
                "=<" => "<=",
                "==" => "=",
                s => s,
            };
            tokens.push(Token::new(Kind::Symbol, symbol.into()));
            i += 2;
            continue;
        }
        match ch {
            '≥' | '≤' | '≠' => {
                let s = match ch {
                    '≥' => ">=",
                    '≤' => "<=",
                    _ => "!=",
                };
                tokens.push(Token::new(Kind::Symbol, s.into()));
                i += 1;
                continue;
            }
            '=' | '>' | '<' | '+' | '-' | '*' | '/' | '(' | ')' | ':' | '×' | '÷' => {
                let s = match ch {
                    '×' => '*',
                    '÷' => '/',
                    c => c,
                };
                tokens.push(Token::new(Kind::Symbol, s.to_string()));
                i += 1;
                continue;
            }
            ',' | '，' | '、' => {
                tokens.push(Token::new(Kind::Comma, ",".into()));
                i += 1;
                continue;
            }
            ';' | '；' | '?' | '？' | '!' | '！' | '。' => {
                tokens.push(Token::new(Kind::Stop, ch.to_string()));
                i += 1;
                continue;
            }
            '.' if !next.is_some_and(|c| c.is_ascii_digit()) => {
                tokens.push(Token::new(Kind::Stop, ".".into()));
                i += 1;
                continue;
            }
            _ => {}
        }
        // A word: word characters, plus '-', '.', apostrophes, ':', '/', ',' between
        // letters or digits ("e-mail", "name.1", "customer's", "10:30", "2024/01/31",
        // "1,000").
        let start = i;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if is_word_char(c) || (c == '.' && j == start) {
                j += 1;
                continue;
            }
            let prev = if j > start {
                chars.get(j - 1).copied()
            } else {
                None
            };
            let after = chars.get(j + 1).copied();
            let alnum = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric());
            let digit = |x: Option<char>| x.is_some_and(|x| x.is_ascii_digit());
            let internal = match c {
                '-' | '.' | '\'' | '\u{2019}' => alnum(prev) && alnum(after),
                ':' | '/' => digit(prev) && digit(after),
                ',' => {
                    digit(prev)
                        && (1..=3).all(|k| digit(chars.get(j + k).copied()))
                        && !digit(chars.get(j + 4).copied())
                }
                _ => false,
            };
            if !internal {
                break;
            }
            j += 1;
        }
        if j == start {
            // A character that is neither word nor punctuation we know: keep it as a
            // symbol so that it cannot silently vanish.
            tokens.push(Token::new(Kind::Symbol, ch.to_string()));
            i += 1;
            continue;
        }
        let word: String = chars[start..j].iter().collect();
        let kind = if parse_number(&word).is_some() {
            Kind::Number
        } else {
            Kind::Word
        };
        tokens.push(Token::new(kind, word));
        i = j;
    }
    tokens
}

/// "1,000", "1000.5", "$1,200", ".5" -> a number; anything else -> None.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim_start_matches(['$', '€', '£', '¥']);
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    t.replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn is_number_literal(token: &Token) -> Option<f64> {
    match token.kind {
        Kind::Number => parse_number(&token.text),
        _ => None,
    }
}

/// ISO-like dates: 2024-01-31, 2024/01/31, 2024.01.31 -> "2024-01-31".
fn parse_date(text: &str) -> Option<String> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
        .iter()
        .find_map(|format| {
            chrono::NaiveDate::parse_from_str(text.trim(), format)
                .ok()
                .map(|d| d.format("%Y-%m-%d").to_string())
        })
}

/// The tokens as the user wrote them, one space apart.
fn joined(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        if t.kind == Kind::Comma {
            out.push(',');
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Phrase helpers

/// If `tokens` starts with the words of `phrase` (space separated), how many tokens.
fn starts_with_phrase(tokens: &[Token], phrase: &str) -> Option<usize> {
    let words: Vec<&str> = phrase.split(' ').collect();
    if tokens.len() < words.len() {
        return None;
    }
    words
        .iter()
        .zip(tokens)
        .all(|(w, t)| t.is_word(w))
        .then_some(words.len())
}

/// The longest of `phrases` that `tokens` starts with: (phrase index, length).
fn longest_prefix(tokens: &[Token], phrases: &[&str]) -> Option<(usize, usize)> {
    phrases
        .iter()
        .enumerate()
        .filter_map(|(k, p)| starts_with_phrase(tokens, p).map(|n| (k, n)))
        .max_by_key(|&(_, n)| n)
}

/// Drops any of `phrases` from the front, repeatedly.
fn strip_leading<'t>(mut tokens: &'t [Token], phrases: &[&str]) -> &'t [Token] {
    while let Some((_, n)) = longest_prefix(tokens, phrases) {
        tokens = &tokens[n..];
    }
    tokens
}

/// Drops any of `phrases` from the end, repeatedly.
fn strip_trailing<'t>(mut tokens: &'t [Token], phrases: &[&str]) -> &'t [Token] {
    loop {
        let before = tokens.len();
        for phrase in phrases {
            let n = phrase.split(' ').count();
            if tokens.len() >= n
                && starts_with_phrase(&tokens[tokens.len() - n..], phrase).is_some()
            {
                tokens = &tokens[..tokens.len() - n];
            }
        }
        while tokens
            .last()
            .is_some_and(|t| t.kind == Kind::Comma || t.is_word(":"))
        {
            tokens = &tokens[..tokens.len() - 1];
        }
        if tokens.len() == before {
            return tokens;
        }
    }
}

/// Every position where one of `phrases` starts: (position, phrase index, length).
fn find_phrases(tokens: &[Token], phrases: &[&str]) -> Vec<(usize, usize, usize)> {
    (0..tokens.len())
        .filter_map(|i| longest_prefix(&tokens[i..], phrases).map(|(k, n)| (i, k, n)))
        .collect()
}

/// Courtesy words allowed at the start of any clause.
const LEADING_COURTESY: &[&str] = &[
    "please",
    "pls",
    "kindly",
    "also",
    "now",
    "first",
    "firstly",
    "next",
    "finally",
    "lastly",
    "afterwards",
    "after that",
    "and",
    "just",
    "can you",
    "could you",
    "would you",
    "will you",
    "i want to",
    "i want you to",
    "i would like to",
    "i'd like to",
    "i need to",
    "i need you to",
    "help me",
    "let's",
    "lets",
];

/// Courtesy words allowed at the end of any clause.
const TRAILING_COURTESY: &[&str] = &[
    "please",
    "for me",
    "for us",
    "thanks",
    "thank you",
    "thx",
    "if possible",
    "too",
    "as well",
];

/// A clause made only of these words is filler.
const FILLER_WORDS: &[&str] = &[
    "please",
    "thanks",
    "thank",
    "you",
    "thx",
    "for",
    "me",
    "us",
    "the",
    "data",
    "sheet",
    "table",
    "spreadsheet",
    "workbook",
    "file",
    "it",
    "and",
    "also",
    "ok",
    "okay",
    "hi",
    "hello",
];

const NEW_SHEET_SUFFIXES: &[&str] = &[
    "in a new sheet",
    "on a new sheet",
    "into a new sheet",
    "to a new sheet",
    "as a new sheet",
    "in a separate sheet",
    "on a separate sheet",
    "in another sheet",
    "on another sheet",
    "in a new tab",
    "on a new tab",
    "in new sheet",
    "in a sheet",
    "on a sheet",
];

fn column_result(phrase: &[Token], columns: &[Column]) -> Result<Column, ClauseError> {
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
        )),
        ColumnMatch::NotFound => Err(ClauseError::new(
            FailCode::ColumnNotFound,
            format!("I could not find a column matching '{text}'"),
        )),
    }
}

/// "name and city", "name, city", "the name column" -> columns.
fn column_list(tokens: &[Token], columns: &[Column]) -> Result<Vec<Column>, ClauseError> {
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
fn strip_column_words(tokens: &[Token]) -> &[Token] {
    let tokens = strip_leading(tokens, &["the", "column", "columns", "field", "fields"]);
    let stripped = strip_trailing(
        tokens,
        &["column", "columns", "field", "fields", "values", "value"],
    );
    if stripped.is_empty() {
        tokens
    } else {
        stripped
    }
}

// ---------------------------------------------------------------------------------------
// The request

/// Reads a request against one sheet's columns.
pub fn parse_request(text: &str, columns: &[Column]) -> Result<ParsedRequest, Failure> {
    let tokens = tokenize(text);
    let mut columns: Vec<Column> = columns.to_vec();
    let mut operations: Vec<Operation> = Vec::new();
    let fail = |error: ClauseError, operations: &[Operation]| Failure {
        code: error.code,
        reason: error.reason,
        understood: operations.iter().map(Operation::summary).collect(),
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
                match parse_clause(span, &columns) {
                    Ok(Clause::Op(op)) => {
                        if let Operation::Compute(c) = &op {
                            columns.push(Column {
                                name: c.name.clone(),
                                dtype: ColumnType::Float,
                                has_numbers: true,
                            });
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
    let names_a_column = operations.iter().any(Operation::names_a_column);
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

fn parse_clause(tokens: &[Token], columns: &[Column]) -> ClauseResult {
    let tokens = strip_leading(tokens, LEADING_COURTESY);
    let tokens = strip_trailing(tokens, TRAILING_COURTESY);
    if tokens.iter().all(|t| {
        t.kind == Kind::Comma || (t.kind == Kind::Word && FILLER_WORDS.contains(&t.lower.as_str()))
    }) {
        return Ok(Clause::Filler);
    }
    let parsers: [ClauseParser; 6] = [
        parse_describe,
        parse_dedupe,
        parse_sort,
        parse_compute,
        parse_aggregate,
        parse_filter,
    ];
    for parser in parsers {
        if let Some(result) = parser(tokens, columns) {
            return result.map(Clause::Op);
        }
    }
    Err(ClauseError {
        code: FailCode::NotUnderstood,
        reason: format!("I could not understand '{}'", joined(tokens)),
        recognized: false,
    })
}

// ---------------------------------------------------------------------------------------
// describe

const DESCRIBE_WORDS: &[&str] = &[
    "describe",
    "summary statistics",
    "summary stats",
    "summary statistic",
    "descriptive statistics",
    "descriptive stats",
    "statistical summary",
    "basic statistics",
    "basic stats",
    "statistics",
    "stats",
    "summarize",
    "summarise",
    "summary",
];

const DESCRIBE_LEAD: &[&str] = &[
    "show",
    "give",
    "get",
    "compute",
    "calculate",
    "generate",
    "produce",
    "add",
    "create",
    "make",
    "run",
    "provide",
    "do",
    "print",
    "write",
    "me",
    "us",
    "a",
    "the",
    "some",
];

const ALL_COLUMNS_WORDS: &[&str] = &[
    "the",
    "all",
    "numeric",
    "numerical",
    "number",
    "numbers",
    "columns",
    "column",
    "data",
    "sheet",
    "table",
    "everything",
    "it",
    "values",
    "fields",
    "each",
    "every",
    "of",
    "for",
];

fn parse_describe(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let rest = strip_leading(tokens, DESCRIBE_LEAD);
    let (_, n) = longest_prefix(rest, DESCRIBE_WORDS)?;
    let rest = strip_trailing(&rest[n..], NEW_SHEET_SUFFIXES);
    // "summary of revenue by region" is an aggregation, not a description.
    if rest.iter().any(|t| t.is_word("by") || t.is_word("per")) {
        return None;
    }
    let rest = strip_leading(rest, &["of", "for", "on", "about", "over", "across"]);
    if rest
        .iter()
        .all(|t| t.kind == Kind::Word && ALL_COLUMNS_WORDS.contains(&t.lower.as_str()))
    {
        return Some(Ok(Operation::Describe(Describe {
            columns: Vec::new(),
        })));
    }
    Some(column_list(rest, columns).map(|columns| Operation::Describe(Describe { columns })))
}

// ---------------------------------------------------------------------------------------
// remove duplicates

const DUPLICATE_WORDS: &[&str] = &[
    "duplicates",
    "duplicate",
    "duplicated",
    "dupes",
    "dups",
    "dedupe",
    "dedup",
    "deduplicate",
    "de-duplicate",
    "de-dupe",
];

const DEDUPE_LEAD: &[&str] = &[
    "remove",
    "drop",
    "delete",
    "eliminate",
    "get rid of",
    "filter out",
    "clear",
    "the",
    "any",
    "all",
    "exact",
    "rows with",
    "rows that have",
    "records with",
    "entries with",
];

fn parse_dedupe(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let rest = strip_leading(tokens, DEDUPE_LEAD);
    let (_, n) = longest_prefix(rest, DUPLICATE_WORDS)?;
    let rest = strip_leading(&rest[n..], &["rows", "row", "entries", "records", "lines"]);
    let rest = strip_leading(
        rest,
        &[
            "by",
            "on",
            "based on",
            "using",
            "in",
            "of",
            "for",
            "considering",
            "across",
            "with the same",
            "with same",
            "having the same",
            "that have the same",
            "that share the same",
            "with identical",
            "over",
            "within",
        ],
    );
    let rest = strip_trailing(rest, &["only"]);
    if rest.is_empty() {
        return Some(Ok(Operation::Dedupe(Dedupe {
            columns: Vec::new(),
        })));
    }
    Some(column_list(rest, columns).map(|columns| Operation::Dedupe(Dedupe { columns })))
}

// ---------------------------------------------------------------------------------------
// sort

/// (phrase, descending)
const DIRECTIONS: &[(&str, bool)] = &[
    ("descending", true),
    ("desc", true),
    ("in descending order", true),
    ("in decreasing order", true),
    ("decreasing", true),
    ("highest first", true),
    ("highest to lowest", true),
    ("from highest to lowest", true),
    ("high to low", true),
    ("from high to low", true),
    ("largest first", true),
    ("largest to smallest", true),
    ("from largest to smallest", true),
    ("biggest first", true),
    ("most first", true),
    ("z to a", true),
    ("from z to a", true),
    ("z-a", true),
    ("newest first", true),
    ("latest first", true),
    ("most recent first", true),
    ("reverse", true),
    ("in reverse order", true),
    ("reversed", true),
    ("ascending", false),
    ("asc", false),
    ("in ascending order", false),
    ("in increasing order", false),
    ("increasing", false),
    ("lowest first", false),
    ("lowest to highest", false),
    ("from lowest to highest", false),
    ("low to high", false),
    ("from low to high", false),
    ("smallest first", false),
    ("smallest to largest", false),
    ("from smallest to largest", false),
    ("a to z", false),
    ("from a to z", false),
    ("a-z", false),
    ("alphabetically", false),
    ("in alphabetical order", false),
    ("oldest first", false),
    ("earliest first", false),
    ("in order", false),
];

fn parse_sort(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let first = tokens.first()?;
    let needs_by = match first.lower.as_str() {
        "sort" | "sorted" | "arrange" | "reorder" | "re-order" | "organize" | "organise" => false,
        "order" | "rank" | "ranked" | "ordered" => true,
        _ => return None,
    };
    let rest = &tokens[1..];
    let by_at = rest
        .iter()
        .position(|t| t.is_word("by") || t.is_word("on") || t.is_word("using"))
        .or_else(|| {
            find_phrases(rest, &["according to", "based on"])
                .first()
                .map(|&(i, _, n)| i + n - 1)
        });
    if needs_by && by_at.is_none() {
        return None;
    }

    // The direction may come anywhere: "sort descending by revenue", "by revenue, desc".
    let phrases: Vec<&str> = DIRECTIONS.iter().map(|(p, _)| *p).collect();
    let found = find_phrases(rest, &phrases);
    let mut descending = None;
    let mut kept: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        if let Some(&(_, k, n)) = found.iter().find(|&&(at, _, _)| at == i) {
            let wants = DIRECTIONS[k].1;
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

    let phrase: &[Token] = match kept
        .iter()
        .position(|t| t.is_word("by") || t.is_word("on") || t.is_word("using"))
        .or_else(|| {
            find_phrases(&kept, &["according to", "based on"])
                .first()
                .map(|&(i, _, n)| i + n - 1)
        }) {
        Some(at) => {
            let before = &kept[..at];
            let filler = [
                "the",
                "data",
                "rows",
                "table",
                "sheet",
                "it",
                "them",
                "everything",
                "records",
                "entries",
                "list",
                "all",
                "results",
                "values",
                "according",
                "based",
            ];
            if !before
                .iter()
                .all(|t| t.kind == Kind::Word && filler.contains(&t.lower.as_str()))
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
    Some(column_list(phrase, columns).map(|columns| {
        Operation::Sort(Sort {
            columns,
            descending: descending.unwrap_or(false),
        })
    }))
}

// ---------------------------------------------------------------------------------------
// add a computed column

const COMPUTE_VERBS: &[&str] = &[
    "add",
    "create",
    "compute",
    "calculate",
    "make",
    "insert",
    "append",
    "derive",
    "new",
];

const COMPUTE_SEPARATORS: &[&str] = &[
    "=",
    ":",
    "as",
    "equal to",
    "equals",
    "equalling",
    "which is",
    "that is",
    "which equals",
    "that equals",
    "being",
    "defined as",
    "computed as",
    "calculated as",
    "with value",
    "with values",
    "with the value",
    "containing",
    "holding",
    "with",
];

fn parse_compute(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let first = tokens.first()?;
    if !COMPUTE_VERBS.contains(&first.lower.as_str()) {
        return None;
    }
    let rest = strip_leading(&tokens[1..], &["a", "an", "the", "new", "another", "extra"]);
    let column_word = |t: &Token| t.is_word("column") || t.is_word("col") || t.is_word("field");
    let (mut rest, mut saw_column_word) = match rest.first() {
        Some(t) if column_word(t) => (&rest[1..], true),
        _ => (rest, false),
    };
    rest = strip_leading(
        rest,
        &["called", "named", "titled", "labeled", "labelled", "name"],
    );

    let separators = find_phrases(rest, COMPUTE_SEPARATORS);
    let Some(&(at, _, n)) = separators.first() else {
        if saw_column_word || rest.iter().any(column_word) {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                "the new column needs a formula, like 'add column Total = Price * Quantity'".into(),
            )));
        }
        return None;
    };
    let mut name_tokens = &rest[..at];
    // "add a Total column = ...": the word 'column' after the name.
    if let Some(last) = name_tokens.last()
        && column_word(last)
    {
        name_tokens = &name_tokens[..name_tokens.len() - 1];
        saw_column_word = true;
    }
    let name_tokens = strip_trailing(name_tokens, &["called", "named"]);
    let expr_tokens = strip_trailing(
        &rest[at + n..],
        &[
            "for each row",
            "per row",
            "in each row",
            "on each row",
            "for every row",
        ],
    );
    let name = joined(name_tokens);
    if !saw_column_word
        && name_tokens
            .iter()
            .any(|t| t.kind != Kind::Word && t.kind != Kind::Quoted)
    {
        return None;
    }
    if name.trim().is_empty() {
        return Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            "the new column needs a name, like 'add column Total = Price * Quantity'".into(),
        )));
    }
    let expr = match parse_expression(expr_tokens, columns) {
        Ok(expr) => expr,
        // Without the word 'column' a failed formula may be another kind of clause
        // ("calculate total revenue by region").
        Err(_) if !saw_column_word && !rest[at].is_word("=") => return None,
        Err(e) => return Some(Err(e)),
    };
    if let Some(existing) = columns
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose a new name for the computed column",
                existing.name
            ),
        )));
    }
    Some(Ok(Operation::Compute(Compute { name, expr })))
}

/// Arithmetic over numbers and numeric columns: + - * / with words (plus, minus,
/// times, multiplied by, divided by) and parentheses.
fn parse_expression(tokens: &[Token], columns: &[Column]) -> Result<Expr, ClauseError> {
    // Words that are operators, as symbols; hyphenated words that are not a column
    // split into a subtraction ("revenue-cost").
    let mut normalized: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let two = tokens.get(i + 1).map(|n| n.lower.as_str());
        let symbol = match (t.lower.as_str(), two) {
            ("multiplied", Some("by")) | ("divided", Some("by")) => {
                let s = if t.lower == "multiplied" { "*" } else { "/" };
                normalized.push(Token::new(Kind::Symbol, s.into()));
                i += 2;
                continue;
            }
            ("plus", _) => Some("+"),
            ("minus", _) | ("less", _) => Some("-"),
            ("times", _) | ("x", _) => Some("*"),
            ("over", _) => Some("/"),
            _ => None,
        };
        if t.kind == Kind::Word
            && let Some(s) = symbol
        {
            normalized.push(Token::new(Kind::Symbol, s.into()));
            i += 1;
            continue;
        }
        if t.kind == Kind::Word
            && t.text.contains('-')
            && !matches!(find_column(&t.text, columns), ColumnMatch::Found(_))
        {
            for (k, piece) in t.text.split('-').enumerate() {
                if k > 0 {
                    normalized.push(Token::new(Kind::Symbol, "-".into()));
                }
                let kind = if parse_number(piece).is_some() {
                    Kind::Number
                } else {
                    Kind::Word
                };
                normalized.push(Token::new(kind, piece.into()));
            }
            i += 1;
            continue;
        }
        normalized.push(t.clone());
        i += 1;
    }
    if normalized.is_empty() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            "the formula for the new column is empty".into(),
        ));
    }
    let mut parser = ExprParser {
        tokens: &normalized,
        at: 0,
        columns,
    };
    let expr = parser.sum()?;
    if parser.at < normalized.len() {
        return Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "I could not read the formula after '{}'",
                joined(&normalized[..parser.at])
            ),
        ));
    }
    Ok(expr)
}

struct ExprParser<'a> {
    tokens: &'a [Token],
    at: usize,
    columns: &'a [Column],
}

impl ExprParser<'_> {
    fn peek_symbol(&self) -> Option<&str> {
        self.tokens
            .get(self.at)
            .filter(|t| t.kind == Kind::Symbol)
            .map(|t| t.text.as_str())
    }

    fn sum(&mut self) -> Result<Expr, ClauseError> {
        let mut left = self.product()?;
        while let Some(op @ ("+" | "-")) = self.peek_symbol() {
            let op = op.chars().next().unwrap_or('+');
            self.at += 1;
            let right = self.product()?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, ClauseError> {
        let mut left = self.factor()?;
        while let Some(op @ ("*" | "/")) = self.peek_symbol() {
            let op = op.chars().next().unwrap_or('*');
            self.at += 1;
            let right = self.factor()?;
            if op == '/' && right == Expr::Number(0.0) {
                return Err(ClauseError::new(
                    FailCode::InvalidOperation,
                    "the formula divides by zero".into(),
                ));
            }
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, ClauseError> {
        let Some(token) = self.tokens.get(self.at) else {
            return Err(ClauseError::new(
                FailCode::NotUnderstood,
                "the formula ends where a number or column was expected".into(),
            ));
        };
        if token.kind == Kind::Symbol {
            match token.text.as_str() {
                "-" => {
                    self.at += 1;
                    return Ok(Expr::Negate(Box::new(self.factor()?)));
                }
                "(" => {
                    self.at += 1;
                    let inner = self.sum()?;
                    if self.peek_symbol() != Some(")") {
                        return Err(ClauseError::new(
                            FailCode::NotUnderstood,
                            "a parenthesis in the formula is not closed".into(),
                        ));
                    }
                    self.at += 1;
                    return Ok(inner);
                }
                other => {
                    return Err(ClauseError::new(
                        FailCode::NotUnderstood,
                        format!("unexpected '{other}' in the formula"),
                    ));
                }
            }
        }
        if let Some(n) = is_number_literal(token) {
            self.at += 1;
            return Ok(Expr::Number(n));
        }
        // A column: the run of words up to the next operator.
        let start = self.at;
        while self
            .tokens
            .get(self.at)
            .is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Number))
        {
            self.at += 1;
        }
        let phrase = strip_column_words(&self.tokens[start..self.at]);
        let column = column_result(phrase, self.columns)?;
        if !column.is_numeric() {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "the formula uses column '{}', which does not hold numbers",
                    column.name
                ),
            ));
        }
        Ok(Expr::Column(column.name))
    }
}

// ---------------------------------------------------------------------------------------
// group and aggregate

/// (phrase, function)
const AGG_WORDS: &[(&str, AggFunc)] = &[
    ("sum", AggFunc::Sum),
    ("sum of", AggFunc::Sum),
    ("sum up", AggFunc::Sum),
    ("total", AggFunc::Sum),
    ("total of", AggFunc::Sum),
    ("totals", AggFunc::Sum),
    ("totals of", AggFunc::Sum),
    ("average", AggFunc::Mean),
    ("average of", AggFunc::Mean),
    ("avg", AggFunc::Mean),
    ("mean", AggFunc::Mean),
    ("mean of", AggFunc::Mean),
    ("count", AggFunc::Count),
    ("count of", AggFunc::Count),
    ("count the", AggFunc::Count),
    ("count the number of", AggFunc::Count),
    ("number of", AggFunc::Count),
    ("how many", AggFunc::Count),
    ("min", AggFunc::Min),
    ("minimum", AggFunc::Min),
    ("minimum of", AggFunc::Min),
    ("lowest", AggFunc::Min),
    ("smallest", AggFunc::Min),
    ("max", AggFunc::Max),
    ("maximum", AggFunc::Max),
    ("maximum of", AggFunc::Max),
    ("highest", AggFunc::Max),
    ("largest", AggFunc::Max),
    ("biggest", AggFunc::Max),
];

const AGG_LEAD: &[&str] = &[
    "show",
    "compute",
    "calculate",
    "get",
    "give",
    "find",
    "what",
    "is",
    "are",
    "me",
    "us",
    "list",
    "display",
    "produce",
    "create",
    "make",
    "the",
    "a",
    "an",
    "summarize",
    "summarise",
];

const GROUP_SEPARATORS: &[&str] = &[
    "by",
    "per",
    "for each",
    "for every",
    "grouped by",
    "group by",
    "broken down by",
    "split by",
    "across",
    "in each",
    "of each",
    "within each",
    "by each",
    "for each of the",
];

fn parse_aggregate(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let tokens = strip_trailing(tokens, NEW_SHEET_SUFFIXES);
    let rest = strip_leading(tokens, AGG_LEAD);

    // "group by region and sum revenue", "group by region, average of price"
    if let Some((_, n)) = longest_prefix(
        rest,
        &[
            "group by",
            "grouped by",
            "group the data by",
            "aggregate by",
            "group rows by",
        ],
    ) {
        let after = &rest[n..];
        let agg_phrases: Vec<&str> = AGG_WORDS.iter().map(|(p, _)| *p).collect();
        let at = (0..after.len()).find(|&i| {
            longest_prefix(&after[i..], &agg_phrases).is_some()
                && (i == 0 || after[i - 1].is_word("and") || after[i - 1].kind == Kind::Comma)
        });
        let Some(at) = at else {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                "the grouping does not say what to compute (sum, average, count, min or max \
                 of which column)"
                    .into(),
            )));
        };
        let group_tokens = strip_trailing(&after[..at], &["and"]);
        let (k, n) = longest_prefix(&after[at..], &agg_phrases)?;
        let value_tokens = &after[at + n..];
        return Some(build_aggregate(
            AGG_WORDS[k].1,
            value_tokens,
            group_tokens,
            columns,
        ));
    }

    let agg_phrases: Vec<&str> = AGG_WORDS.iter().map(|(p, _)| *p).collect();
    let (k, n) = longest_prefix(rest, &agg_phrases)?;
    let func = AGG_WORDS[k].1;
    let after = &rest[n..];
    let separators = find_phrases(after, GROUP_SEPARATORS);
    if separators.is_empty() {
        return None;
    }
    // The first separator that leaves a column on its right (column names may hold "by").
    let mut first_error = None;
    for &(at, _, len) in &separators {
        match build_aggregate(func, &after[..at], &after[at + len..], columns) {
            Ok(op) => return Some(Ok(op)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
}

fn build_aggregate(
    func: AggFunc,
    value_tokens: &[Token],
    group_tokens: &[Token],
    columns: &[Column],
) -> Result<Operation, ClauseError> {
    let group_tokens = strip_column_words(strip_leading(group_tokens, &["each", "every", "the"]));
    let group = column_result(group_tokens, columns)?;
    let value_tokens = strip_column_words(strip_leading(value_tokens, &["the", "of", "all"]));
    let value = match func {
        AggFunc::Count => {
            // Counting names a column only when it matches one closely (exact, case or
            // plural); anything else ("orders", "rows") counts rows.
            let text = joined(value_tokens);
            let strict: Vec<Column> = columns
                .iter()
                .filter(|c| {
                    super::columns::normalize(&c.name) == super::columns::normalize(&text)
                        || super::columns::normalize(&c.name)
                            == super::columns::normalize(text.trim_end_matches('s'))
                })
                .cloned()
                .collect();
            match strict.as_slice() {
                [one] if one.name != group.name => Some(one.clone()),
                _ => {
                    // What is counted must be a plain noun ("orders", "rows"), never a
                    // phrase that swallowed another instruction.
                    let plain = value_tokens.len() <= 3
                        && value_tokens.iter().all(|t| {
                            t.kind == Kind::Word
                                && !["by", "per", "and", "for", "each", "then"]
                                    .contains(&t.lower.as_str())
                        });
                    if !plain {
                        return Err(ClauseError::new(
                            FailCode::NotUnderstood,
                            format!("I could not tell what to count in '{text}'"),
                        ));
                    }
                    None
                }
            }
        }
        _ => {
            let column = column_result(value_tokens, columns)?;
            let fits = match func {
                AggFunc::Sum | AggFunc::Mean => column.is_numeric(),
                _ => column.is_numeric() || column.dtype == ColumnType::Date,
            };
            if !fits {
                return Err(ClauseError::new(
                    FailCode::InvalidOperation,
                    format!(
                        "I cannot take the {} of '{}': it holds {}, not numbers",
                        func.pandas(),
                        column.name,
                        type_words(column.dtype)
                    ),
                ));
            }
            Some(column)
        }
    };
    Ok(Operation::Aggregate(Aggregate { func, value, group }))
}

fn type_words(dtype: ColumnType) -> &'static str {
    match dtype {
        ColumnType::Integer | ColumnType::Float => "numbers",
        ColumnType::Boolean => "true/false values",
        ColumnType::Date => "dates",
        ColumnType::Text => "text",
        ColumnType::Mixed => "mixed values",
        ColumnType::Empty => "no values",
    }
}

// ---------------------------------------------------------------------------------------
// filter

const FILTER_LEAD: &[&str] = &[
    "filter",
    "filter rows",
    "filter the rows",
    "filter the data",
    "filter to",
    "filter for",
    "filter by",
    "filter on",
    "keep",
    "keep only",
    "only keep",
    "show",
    "show only",
    "show me",
    "select",
    "only",
    "include only",
    "limit to",
    "restrict to",
    "rows",
    "the rows",
    "all rows",
    "records",
    "entries",
    "where",
    "with",
    "whose",
    "that",
    "which",
    "having",
    "in which",
    "for which",
    "if",
    "when",
    "the data",
    "to",
    "for",
    "just",
];

const REMOVE_LEAD: &[&str] = &[
    "remove",
    "delete",
    "drop",
    "exclude",
    "filter out",
    "get rid of",
    "take out",
    "throw out",
    "discard",
];

/// (phrase, operator)
const OPERATORS: &[(&str, CmpOp)] = &[
    ("=", CmpOp::Eq),
    ("!=", CmpOp::Ne),
    (">", CmpOp::Gt),
    (">=", CmpOp::Ge),
    ("<", CmpOp::Lt),
    ("<=", CmpOp::Le),
    ("is", CmpOp::Eq),
    ("is equal to", CmpOp::Eq),
    ("equal to", CmpOp::Eq),
    ("equals", CmpOp::Eq),
    ("is exactly", CmpOp::Eq),
    ("is on", CmpOp::Eq),
    ("is not", CmpOp::Ne),
    ("isn't", CmpOp::Ne),
    ("is not equal to", CmpOp::Ne),
    ("not equal to", CmpOp::Ne),
    ("does not equal", CmpOp::Ne),
    ("doesn't equal", CmpOp::Ne),
    ("is different from", CmpOp::Ne),
    ("is greater than", CmpOp::Gt),
    ("greater than", CmpOp::Gt),
    ("is more than", CmpOp::Gt),
    ("more than", CmpOp::Gt),
    ("is larger than", CmpOp::Gt),
    ("larger than", CmpOp::Gt),
    ("is bigger than", CmpOp::Gt),
    ("bigger than", CmpOp::Gt),
    ("is higher than", CmpOp::Gt),
    ("higher than", CmpOp::Gt),
    ("is above", CmpOp::Gt),
    ("above", CmpOp::Gt),
    ("is over", CmpOp::Gt),
    ("over", CmpOp::Gt),
    ("exceeds", CmpOp::Gt),
    ("is after", CmpOp::Gt),
    ("after", CmpOp::Gt),
    ("is later than", CmpOp::Gt),
    ("is greater than or equal to", CmpOp::Ge),
    ("greater than or equal to", CmpOp::Ge),
    ("is at least", CmpOp::Ge),
    ("at least", CmpOp::Ge),
    ("is no less than", CmpOp::Ge),
    ("no less than", CmpOp::Ge),
    ("is on or after", CmpOp::Ge),
    ("on or after", CmpOp::Ge),
    ("since", CmpOp::Ge),
    ("is less than", CmpOp::Lt),
    ("less than", CmpOp::Lt),
    ("is fewer than", CmpOp::Lt),
    ("fewer than", CmpOp::Lt),
    ("is smaller than", CmpOp::Lt),
    ("smaller than", CmpOp::Lt),
    ("is lower than", CmpOp::Lt),
    ("lower than", CmpOp::Lt),
    ("is below", CmpOp::Lt),
    ("below", CmpOp::Lt),
    ("is under", CmpOp::Lt),
    ("under", CmpOp::Lt),
    ("is before", CmpOp::Lt),
    ("before", CmpOp::Lt),
    ("is earlier than", CmpOp::Lt),
    ("is less than or equal to", CmpOp::Le),
    ("less than or equal to", CmpOp::Le),
    ("is at most", CmpOp::Le),
    ("at most", CmpOp::Le),
    ("is no more than", CmpOp::Le),
    ("no more than", CmpOp::Le),
    ("is on or before", CmpOp::Le),
    ("on or before", CmpOp::Le),
    ("contains", CmpOp::Contains),
    ("contain", CmpOp::Contains),
    ("containing", CmpOp::Contains),
    ("includes", CmpOp::Contains),
    ("include", CmpOp::Contains),
    ("including", CmpOp::Contains),
    ("has", CmpOp::Contains),
    ("mentions", CmpOp::Contains),
    ("does not contain", CmpOp::NotContains),
    ("doesn't contain", CmpOp::NotContains),
    ("do not contain", CmpOp::NotContains),
    ("don't contain", CmpOp::NotContains),
    ("not containing", CmpOp::NotContains),
    ("does not include", CmpOp::NotContains),
    ("doesn't include", CmpOp::NotContains),
    ("without", CmpOp::NotContains),
];

fn parse_filter(tokens: &[Token], columns: &[Column]) -> Option<Result<Operation, ClauseError>> {
    let (keep, rest) = match longest_prefix(tokens, REMOVE_LEAD) {
        Some((_, n)) => (false, &tokens[n..]),
        None => (true, tokens),
    };
    let rest = strip_leading(rest, FILTER_LEAD);
    let phrases: Vec<&str> = OPERATORS.iter().map(|(p, _)| *p).collect();
    let found = find_phrases(rest, &phrases);
    // An operator with nothing on its left (a column named "Over" 18?) is not a condition.
    let candidates: Vec<_> = found.into_iter().filter(|&(at, _, _)| at > 0).collect();
    if candidates.is_empty() {
        return None;
    }
    // The first operator whose left side is a column decides; the rest is the value.
    let mut first_error = None;
    for &(at, k, n) in &candidates {
        let left = strip_column_words(&rest[..at]);
        match column_result(left, columns) {
            Ok(column) => {
                let op = OPERATORS[k].1;
                return Some(parse_value(&rest[at + n..], &column, op).map(|value| {
                    Operation::Filter(Filter {
                        column,
                        op,
                        value,
                        keep,
                    })
                }));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
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

    // The value as written, and as a number or a date when it reads as one.
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
            match text.to_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok(Literal::Bool(true)),
                "false" | "no" | "n" | "0" => Ok(Literal::Bool(false)),
                _ => invalid(format!(
                    "'{}' holds true/false values; compare it with true or false",
                    column.name
                )),
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
