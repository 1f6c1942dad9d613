//! Add a column computed row by row: "add column Margin = Revenue - Cost", "create a
//! Total column as price times quantity", "add Ratio equal to revenue / cost".

use super::{OpKind, Operation, Recognised, format_number, found};
use crate::plan::planner::codegen::{py_list, py_str};
use crate::plan::planner::columns::{Column, ColumnMatch, find_column};
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, is_number_literal, joined, longest_prefix, parse_number, strip_leading,
    strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::{self, Write as _};

pub(crate) const KIND: OpKind = OpKind {
    name: "add computed column",
    precedence: 3,
    recognise,
};

/// A new column computed row by row from numbers and numeric columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compute {
    pub(crate) name: String,
    pub(crate) expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Number(f64),
    Column(String),
    Negate(Box<Expr>),
    Binary(Box<Expr>, char, Box<Expr>),
}

impl Expr {
    pub(crate) fn mentions_column(&self) -> bool {
        match self {
            Expr::Number(_) => false,
            Expr::Column(_) => true,
            Expr::Negate(e) => e.mentions_column(),
            Expr::Binary(a, _, b) => a.mentions_column() || b.mentions_column(),
        }
    }

    /// The columns the expression reads, each once, in order.
    fn columns(&self, out: &mut Vec<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Column(c) => {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
            Expr::Negate(e) => e.columns(out),
            Expr::Binary(a, _, b) => {
                a.columns(out);
                b.columns(out);
            }
        }
    }

    /// The expression in Python, over `n` (each column's cells as Excel's arithmetic
    /// reads them).
    fn python(&self) -> String {
        match self {
            Expr::Number(n) => format_number(*n),
            Expr::Column(name) => format!("n[{}]", py_str(name)),
            Expr::Negate(inner) => format!("(-{})", inner.python()),
            Expr::Binary(a, '^', b) => format!("({} ** {})", a.python(), b.python()),
            Expr::Binary(a, op, b) => format!("({} {op} {})", a.python(), b.python()),
        }
    }

    /// The expression as an Excel formula, as Python parts that join to the template:
    /// text in literals, each column as `ref(name)` (its letter and `{r}`, resolved by
    /// the program, which knows the sheet's letters and the columns it added).
    fn formula_parts(&self, top: bool, parts: &mut Vec<String>) {
        match self {
            Expr::Number(n) => parts.push(py_str(&format_number(*n))),
            Expr::Column(name) => parts.push(format!("ref({})", py_str(name))),
            Expr::Negate(inner) => {
                parts.push(py_str("-"));
                inner.formula_parts(false, parts);
            }
            Expr::Binary(a, op, b) => {
                if !top {
                    parts.push(py_str("("));
                }
                a.formula_parts(false, parts);
                parts.push(py_str(&op.to_string()));
                b.formula_parts(false, parts);
                if !top {
                    parts.push(py_str(")"));
                }
            }
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

impl Operation for Compute {
    fn summary(&self) -> String {
        format!("add column {} = {}", self.name, self.expr)
    }

    fn columns_used(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.expr.columns(&mut out);
        out
    }

    fn names_a_column(&self) -> bool {
        self.expr.mentions_column()
    }

    fn new_column(&self) -> Option<Column> {
        Some(Column {
            name: self.name.clone(),
            dtype: ColumnType::Float,
            has_numbers: true,
            seen: Default::default(),
        })
    }

    fn rename_new_column(&mut self, name: &str) -> bool {
        self.name = name.to_string();
        true
    }

    /// A formula per row (`=F{r}-G{r}`) with its values cached as Excel computes them
    /// (an empty cell counts as 0; where a row would be an error, such as a division by
    /// zero, the formula is wrapped in `IFERROR(..., "")`).
    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Added column {} = {}", self.name, self.expr);
        let mut parts = vec![py_str("=")];
        self.expr.formula_parts(true, &mut parts);
        let inputs: Vec<String> = self.columns_used();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_column(df, {}, [{}], {}, lambda n: {}, step=len(steps) - 1)",
            py_str(&self.name),
            parts.join(", "),
            py_list(&inputs),
            self.expr.python()
        );
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    if let Some(found) = recognise_worded(tokens, columns) {
        return Some(found);
    }
    let first = tokens.first()?;
    if !vocab::COMPUTE_VERBS.contains(&first.lower.as_str()) {
        return None;
    }
    let rest = strip_leading(&tokens[1..], vocab::COMPUTE_ARTICLES);
    let column_word = |t: &Token| t.is_word("column") || t.is_word("col") || t.is_word("field");
    let (mut rest, mut saw_column_word) = match rest.first() {
        Some(t) if column_word(t) => (&rest[1..], true),
        _ => (rest, false),
    };
    rest = strip_leading(rest, vocab::COMPUTE_NAMED);

    let separators = find_phrases(rest, vocab::COMPUTE_SEPARATORS);
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
    let expr_tokens = strip_trailing(&rest[at + n..], vocab::PER_ROW);
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
        .find(|c| !c.is_defined_only() && c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose a new name for the computed column",
                existing.name
            ),
        )));
    }
    found(Compute { name, expr })
}

/// The new column's name: one quoted text, or the words up to a comma or 'and'. Returns
/// the name and how many tokens it took.
fn column_name(tokens: &[Token]) -> Option<(String, usize)> {
    let first = tokens.first()?;
    if first.kind == Kind::Quoted {
        return Some((first.text.trim().to_string(), 1));
    }
    let n = tokens
        .iter()
        .position(|t| t.kind == Kind::Comma || t.is_word("and"))
        .unwrap_or(tokens.len());
    let words = &tokens[..n];
    if words.is_empty() || words.iter().any(|t| t.kind != Kind::Word) {
        return None;
    }
    Some((joined(words), n))
}

/// A new column whose formula is said in words, with the column named apart from it:
/// "add 1.0 to each value in Rate in a new column named Adjusted", "add a new column
/// named Profit and calculate it by subtracting COGS from Sales", "in a new column
/// called Ratio, divide Cost by Units", "Sales minus COGS in a new column named Profit".
fn recognise_worded(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (name, formula): (String, Vec<Token>) =
        if let Some(&(at, _, n)) = find_phrases(tokens, vocab::INTO_NEW_COLUMN).first() {
            let after = strip_leading(&tokens[at + n..], vocab::COMPUTE_NAMED);
            let (name, used) = column_name(after)?;
            let mut rest = &after[used..];
            while rest
                .first()
                .is_some_and(|t| t.kind == Kind::Comma || t.is_word("and"))
            {
                rest = &rest[1..];
            }
            let mut formula = tokens[..at].to_vec();
            formula.extend_from_slice(rest);
            (name, formula)
        } else {
            // "add a new column named Profit and ...": the name first, then the formula.
            let first = tokens.first()?;
            if !vocab::COMPUTE_VERBS.contains(&first.lower.as_str()) {
                return None;
            }
            let rest = strip_leading(&tokens[1..], vocab::COMPUTE_ARTICLES);
            let column_word = |t: &Token| t.is_word("column") || t.is_word("col");
            // "calculate the Future Value column by multiplying A with B".
            if let Some(k) = rest.iter().position(column_word).filter(|&k| k > 0)
                && let Some((_, n)) = longest_prefix(&rest[k + 1..], vocab::COMPUTE_BY)
                && rest[..k].iter().all(|t| matches!(t.kind, Kind::Word | Kind::Quoted))
            {
                let name = match &rest[..k] {
                    [t] if t.kind == Kind::Quoted => t.text.trim().to_string(),
                    words => joined(words),
                };
                return worded_column(name, rest[k + 1 + n..].to_vec(), columns);
            }
            if !rest.first().is_some_and(column_word) {
                return None;
            }
            let rest = strip_leading(&rest[1..], vocab::COMPUTE_NAMED);
            let (name, used) = column_name(rest)?;
            let after = &rest[used..];
            if !after
                .first()
                .is_some_and(|t| t.kind == Kind::Comma || t.is_word("and"))
            {
                return None;
            }
            let formula = strip_leading(&after[1..], &["and"]);
            (name, formula.to_vec())
        };
    worded_column(name, formula, columns)
}

/// The new column `name` with the formula said in `formula`.
fn worded_column(name: String, formula: Vec<Token>, columns: &[Column]) -> Recognised {
    let formula = strip_trailing(&formula, vocab::IN_THAT_COLUMN);
    let formula = strip_each_row(formula);
    if formula.is_empty() || name.is_empty() {
        return None;
    }
    let expr = match worded_expression(formula, columns)? {
        Ok(expr) => expr,
        Err(e) => return Some(Err(e)),
    };
    if let Some(existing) = columns
        .iter()
        .find(|c| !c.is_defined_only() && c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose a new name for the computed column",
                existing.name
            ),
        )));
    }
    found(Compute { name, expr })
}

/// The formula without a closing "for each week", "of each investment" (every row).
fn strip_each_row(tokens: &[Token]) -> &[Token] {
    let n = tokens.len();
    if n >= 4
        && vocab::EACH_ROW_LEAD.iter().any(|w| tokens[n - 3].is_word(w))
        && ["each", "every", "all"].iter().any(|w| tokens[n - 2].is_word(w))
        && tokens[n - 1].kind == Kind::Word
    {
        return &tokens[..n - 3];
    }
    tokens
}

/// The quantities a request's context defines ("The necessary formula is Profit =
/// Sales minus COGS", "according to the formula Future value = Present value * (1 +
/// Rate) ^ Years"): each sentence with an `=` whose right side reads as a formula over
/// the columns gives one, named by the words right before the `=`.
pub(crate) fn definitions(context: &str, columns: &[Column]) -> Vec<Column> {
    let tokens = crate::plan::planner::tokens::tokenize(context);
    let mut out: Vec<Column> = Vec::new();
    for sentence in tokens.split(|t| t.kind == Kind::Stop) {
        let Some(eq) = sentence.iter().position(|t| t.is_word("=")) else {
            continue;
        };
        let start = sentence[..eq]
            .iter()
            .rposition(|t| {
                t.kind != Kind::Word || vocab::DEFINITION_STOP.iter().any(|w| t.is_word(w))
            })
            .map_or(0, |i| i + 1);
        let name = joined(&sentence[start..eq]);
        // A name that is a column's own (not one that shares a word with it).
        let key = crate::plan::planner::columns::normalize(&name);
        if name.is_empty()
            || columns
                .iter()
                .any(|c| crate::plan::planner::columns::normalize(&c.name) == key)
        {
            continue;
        }
        let Ok(expr) = parse_expression(&sentence[eq + 1..], columns) else {
            continue;
        };
        if expr.mentions_column() {
            out.push(Column {
                name,
                dtype: ColumnType::Float,
                has_numbers: true,
                seen: crate::plan::planner::columns::Seen {
                    definition: Some(expr),
                    ..Default::default()
                },
            });
        }
    }
    out
}

/// A formula in words: a verb and its two operands ("subtract COGS from Sales", after
/// any lead-in ending in 'by': "calculate the profit by subtracting ..."), or an
/// expression ("Sales minus COGS", "compute Price times Quantity"). `None`: not a
/// formula at all.
fn worded_expression(tokens: &[Token], columns: &[Column]) -> Option<Result<Expr, ClauseError>> {
    let verb = (0..tokens.len()).find_map(|i| {
        vocab::WORDED_ARITHMETIC
            .iter()
            .find_map(|entry| longest_prefix(&tokens[i..], entry.1).map(|(_, n)| (i, n, entry)))
            .filter(|_| i == 0 || tokens[i - 1].is_word("by"))
    });
    let Some((at, n, &(op, _, joins, swapped))) = verb else {
        let rest = strip_leading(tokens, vocab::COMPUTE_VERBS);
        let rest = strip_leading(rest, vocab::COMPUTE_ARTICLES);
        let parsed = parse_expression(rest, columns).ok()?;
        return parsed.mentions_column().then_some(Ok(parsed));
    };
    let operands = &tokens[at + n..];
    // The join word that leaves an operand on each side ("multiply A by B").
    let split = (1..operands.len().saturating_sub(1))
        .find(|&j| joins.iter().any(|w| operands[j].is_word(w)));
    let Some(j) = split else {
        return Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "I could not find the two values in '{}' (like 'subtract COGS from Sales')",
                joined(tokens)
            ),
        )));
    };
    let operand = |part: &[Token]| parse_expression(strip_leading(part, vocab::EACH_VALUE_OF), columns);
    let first = match operand(&operands[..j]) {
        Ok(e) => e,
        Err(e) => return Some(Err(e)),
    };
    let second = match operand(&operands[j + 1..]) {
        Ok(e) => e,
        Err(e) => return Some(Err(e)),
    };
    let (left, right) = if swapped { (second, first) } else { (first, second) };
    if op == '/' && right == Expr::Number(0.0) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            "the formula divides by zero".into(),
        )));
    }
    let expr = Expr::Binary(Box::new(left), op, Box::new(right));
    if !expr.mentions_column() {
        return Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            "the formula names no column".into(),
        )));
    }
    Some(Ok(expr))
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
            _ if longest_prefix(&tokens[i..], vocab::POWER_WORDS).is_some() => {
                let (_, n) = longest_prefix(&tokens[i..], vocab::POWER_WORDS).unwrap_or((0, 1));
                normalized.push(Token::new(Kind::Symbol, "^".into()));
                i += n;
                continue;
            }
            ("squared", _) | ("cubed", _) => {
                normalized.push(Token::new(Kind::Symbol, "^".into()));
                let exponent = if t.lower == "squared" { "2" } else { "3" };
                normalized.push(Token::new(Kind::Number, exponent.into()));
                i += 1;
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
        let mut left = self.power()?;
        while let Some(op @ ("*" | "/")) = self.peek_symbol() {
            let op = op.chars().next().unwrap_or('*');
            self.at += 1;
            let right = self.power()?;
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

    /// `a ^ b`, right to left as in Excel (`2^3^2` is 2^9); a minus before `a` belongs
    /// to `a`, as in Excel (`-2^2` is 4).
    fn power(&mut self) -> Result<Expr, ClauseError> {
        let base = self.factor()?;
        if self.peek_symbol() == Some("^") {
            self.at += 1;
            let exponent = self.power()?;
            return Ok(Expr::Binary(Box::new(base), '^', Box::new(exponent)));
        }
        Ok(base)
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
        // A quantity the context defines: its formula.
        if let Some(expr) = &column.seen.definition {
            return Ok(expr.clone());
        }
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
