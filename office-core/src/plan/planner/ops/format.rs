//! A number or date format on columns: "format Revenue as currency", "show dates as
//! dd/mm/yyyy", "format Share as a percentage", "add thousands separators to Sales",
//! "show Price with 2 decimals". The cells keep their values and the rest of their style.

use super::{OpKind, Operation, Recognised, column_names, names};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_list};
use crate::plan::planner::tokens::{
    Kind, Token, longest_entry, longest_prefix, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "format",
    precedence: 1,
    recognise,
};

/// A format a request names in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberFormat {
    Currency,
    Euro,
    Pound,
    Percent,
    Thousands,
    Integer,
    Scientific,
    IsoDate,
    LongDate,
    Text,
}

impl NumberFormat {
    /// Excel's format code, and the format in words.
    fn code(self) -> (&'static str, &'static str) {
        match self {
            NumberFormat::Currency => ("$#,##0.00", "currency"),
            NumberFormat::Euro => ("\"€\"#,##0.00", "euros"),
            NumberFormat::Pound => ("\"£\"#,##0.00", "pounds"),
            NumberFormat::Percent => ("0.00%", "percentages"),
            NumberFormat::Thousands => ("#,##0", "numbers with thousands separators"),
            NumberFormat::Integer => ("0", "whole numbers"),
            NumberFormat::Scientific => ("0.00E+00", "scientific notation"),
            NumberFormat::IsoDate => ("yyyy-mm-dd", "ISO dates"),
            NumberFormat::LongDate => ("d mmmm yyyy", "long dates"),
            NumberFormat::Text => ("@", "text"),
        }
    }

    fn is_date(self) -> bool {
        matches!(
            self,
            NumberFormat::IsoDate | NumberFormat::LongDate
        )
    }
}

/// What the cells are shown as: an Excel format code, and whether it shows dates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shown {
    pub(crate) code: String,
    pub(crate) words: String,
    pub(crate) dates: bool,
}

/// Set the number format of the columns' data cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Format {
    pub(crate) columns: Vec<Column>,
    pub(crate) shown: Shown,
}

impl Operation for Format {
    fn summary(&self) -> String {
        format!("format {} as {}", names(&self.columns), self.shown.words)
    }

    fn columns_used(&self) -> Vec<String> {
        column_names(&self.columns)
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!(
            "Formatted {} as {} ({})",
            column_names(&self.columns).join(", "),
            self.shown.words,
            self.shown.code
        );
        for column in &self.columns {
            let _ = writeln!(
                code,
                "looks.append({{\"kind\": \"format\", \"column\": {}, \"format\": {}}})",
                py_str(&column.name),
                py_str(&self.shown.code)
            );
        }
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        step
    }
}

/// A format in the tokens, whole: a named one, "2 decimals", or a date pattern.
pub(crate) fn read_format(tokens: &[Token]) -> Option<Shown> {
    let tokens = strip_leading(tokens, &["a", "an", "the"]);
    let tokens = strip_trailing(tokens, &["format", "formatting", "style", "values", "numbers"]);
    if tokens.is_empty() {
        return None;
    }
    if let Some((format, n)) = longest_entry(tokens, vocab::NUMBER_FORMATS)
        && n == tokens.len()
    {
        let (code, words) = format.code();
        return Some(Shown {
            code: code.into(),
            words: words.into(),
            dates: format.is_date(),
        });
    }
    if let Some(shown) = decimals(tokens) {
        return Some(shown);
    }
    date_pattern(tokens)
}

/// "2 decimals", "two decimal places", "1 dp".
fn decimals(tokens: &[Token]) -> Option<Shown> {
    let (count, n) = match tokens.first()? {
        t if t.kind == Kind::Number => (t.text.parse::<u32>().ok()?, 1),
        _ => longest_entry(tokens, vocab::SMALL_NUMBERS)?,
    };
    let rest = &tokens[n..];
    let words = rest
        .iter()
        .map(|t| t.lower.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if count > 10 || !vocab::DECIMALS_WORDS.contains(&words.as_str()) {
        return None;
    }
    let code = if count == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(count as usize))
    };
    Some(Shown {
        words: format!("numbers with {count} decimals"),
        code,
        dates: false,
    })
}

/// "dd/mm/yyyy", "yyyy-mm-dd", "mm.dd.yy", "d mmm yyyy" (quoted or not).
fn date_pattern(tokens: &[Token]) -> Option<Shown> {
    let text: String = match tokens {
        [t] if t.kind == Kind::Quoted => t.text.trim().to_lowercase(),
        _ => tokens
            .iter()
            .map(|t| t.lower.as_str())
            .collect::<Vec<_>>()
            .join(if tokens.iter().all(|t| t.kind == Kind::Word) {
                " "
            } else {
                ""
            }),
    };
    let allowed = |c: char| matches!(c, 'd' | 'm' | 'y' | '/' | '-' | '.' | ' ' | ',');
    let letters = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if !text.chars().all(allowed) || !text.contains('d') || !text.contains('y') || letters < 3 {
        return None;
    }
    Some(Shown {
        words: text.clone(),
        code: text,
        dates: true,
    })
}

/// "dates", "the date columns": every date column when no column is named so.
fn date_columns(tokens: &[Token], columns: &[Column]) -> Option<Vec<Column>> {
    let words = tokens
        .iter()
        .map(|t| t.lower.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let words = words.strip_prefix("the ").unwrap_or(&words);
    let words = words.strip_prefix("all ").unwrap_or(words);
    let words = words.strip_prefix("the ").unwrap_or(words);
    if !["dates", "date columns", "date column", "date values", "dates columns"].contains(&words) {
        return None;
    }
    let dates: Vec<Column> = columns
        .iter()
        .filter(|c| c.dtype == ColumnType::Date)
        .cloned()
        .collect();
    (!dates.is_empty()).then_some(dates)
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let first = tokens.first()?;
    if !vocab::FORMAT_VERBS.contains(&first.lower.as_str()) {
        return None;
    }
    let rest = &tokens[1..];
    // "format Revenue as currency": the columns, a join word, the format.
    for at in 1..rest.len() {
        let Some((_, n)) = longest_prefix(&rest[at..], vocab::FORMAT_JOINS)
        else {
            continue;
        };
        let Some(shown) = read_format(&rest[at + n..]) else {
            continue;
        };
        return Some(with_columns(&rest[..at], columns, shown));
    }
    // "add thousands separators to Sales": the format, then the columns.
    for at in 1..rest.len() {
        if !vocab::FORMAT_ON.contains(&rest[at].lower.as_str()) {
            continue;
        }
        let Some(shown) = read_format(&rest[..at]) else {
            continue;
        };
        return Some(with_columns(&rest[at + 1..], columns, shown));
    }
    None
}

fn with_columns(
    phrase: &[Token],
    columns: &[Column],
    shown: Shown,
) -> Result<Box<dyn Operation>, ClauseError> {
    let phrase = strip_leading(phrase, &["the", "all", "cells in", "cells of", "values in"]);
    let picked = match column_list(phrase, columns) {
        Ok(picked) => picked,
        Err(e) => match date_columns(phrase, columns) {
            Some(dates) if shown.dates => dates,
            _ => return Err(e),
        },
    };
    for column in &picked {
        let fits = if shown.dates {
            column.dtype == ColumnType::Date || column.dtype == ColumnType::Mixed
        } else {
            column.is_numeric() || shown.code == "@"
        };
        if !fits {
            let holds = if column.dtype == ColumnType::Date {
                "dates"
            } else {
                "text"
            };
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!(
                    "'{}' holds {holds}, so it cannot be shown as {}",
                    column.name, shown.words
                ),
            ));
        }
    }
    Ok(Box::new(Format {
        columns: picked,
        shown,
    }))
}
