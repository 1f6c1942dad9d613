//! The values a request compares a column with, read in the column's terms: the one
//! value reader of every condition (filters, highlights, condition columns).
//!
//! - Numbers as people write them: "1,000", "$2,000", "2,000 €", "1k", "2.5 million",
//!   "-3", "10%" (a tenth where the column holds fractions, 10 where it holds
//!   percents), and "1,5" with a decimal comma where the file writes its numbers so
//!   ("1.234,5" there is 1234.5).
//! - Dates: ISO days ("2024-01-31"), and periods ("2012", "2012-03", "March 2012"): "in
//!   2012" keeps the year, "after 2012" starts in 2013, "before 2012" ends in 2011.
//! - Text: the spelling the data uses when the profile saw it ("north" finds `North`);
//!   comparisons ignore case and surrounding spaces anyway.
//! - True/false words on true/false columns.
//!
//! A value that does not fit the column's type fails the clause and says why.

use super::columns::Column;
use super::ops::filter::CmpOp;
use super::parse::{ClauseError, FailCode};
use super::tokens::{Kind, Token, joined, parse_date, strip_leading, strip_trailing};
use super::vocab;
use crate::plan::planner::ops::format_number;
use crate::profile::ColumnType;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The value a condition compares with, already in the column's terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Number(f64),
    /// Compared case-insensitively, with surrounding spaces stripped.
    Text(String),
    /// ISO `YYYY-MM-DD`; compared with the column's dates at day precision.
    Date(String),
    /// The days of a year or a month ("in 2012"), for equality only.
    Period(Period),
    Bool(bool),
}

/// The days from `start` (included) to `end` (excluded), as said ("2012", "March 2012").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) label: String,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(&format_number(*n)),
            Literal::Text(t) => write!(f, "'{t}'"),
            Literal::Date(d) => f.write_str(d),
            Literal::Period(p) => f.write_str(&p.label),
            Literal::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
        }
    }
}

/// What a period or a day read from a request is.
#[derive(Debug, Clone, PartialEq)]
enum DateValue {
    Day(String),
    Period(Period),
}

/// The value of a condition `column op <tokens>`, with the comparison it ends up as
/// ("after 2012" is "on or after 2013-01-01").
pub(crate) fn parse_value(
    tokens: &[Token],
    column: &Column,
    op: CmpOp,
) -> Result<(CmpOp, Literal), ClauseError> {
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
    let (text, quoted) = value_text(tokens);
    if !quoted && !is_one_value(tokens) {
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
    let ordering = matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le);
    match column.dtype {
        _ if contains => {
            if column.dtype == ColumnType::Date {
                return invalid(format!(
                    "'{}' holds dates; 'contains' works on text columns",
                    column.name
                ));
            }
            Ok((op, Literal::Text(text)))
        }
        ColumnType::Empty => invalid(format!("the column '{}' has no values", column.name)),
        ColumnType::Date => match read_date(&text) {
            Some(DateValue::Day(d)) => Ok((op, Literal::Date(d))),
            Some(DateValue::Period(p)) => Ok(period_comparison(op, p)),
            None => invalid(format!(
                "'{}' holds dates; write the date as YYYY-MM-DD (for example 2024-01-31), a \
                 year (2024) or a month (2024-01, January 2024), not '{text}'",
                column.name
            )),
        },
        ColumnType::Boolean => {
            if ordering {
                return invalid(format!("'{}' holds true/false values", column.name));
            }
            let lower = text.to_lowercase();
            if vocab::TRUE_WORDS.contains(&lower.as_str()) {
                Ok((op, Literal::Bool(true)))
            } else if vocab::FALSE_WORDS.contains(&lower.as_str()) {
                Ok((op, Literal::Bool(false)))
            } else {
                invalid(format!(
                    "'{}' holds true/false values; compare it with true or false",
                    column.name
                ))
            }
        }
        ColumnType::Integer | ColumnType::Float => match read_number(&text, column) {
            Some(n) => Ok((op, Literal::Number(n))),
            None => invalid(not_a_number(&text, column)),
        },
        ColumnType::Mixed if column.has_numbers && read_number(&text, column).is_some() => Ok((
            op,
            Literal::Number(read_number(&text, column).unwrap_or_default()),
        )),
        ColumnType::Text | ColumnType::Mixed => {
            if ordering {
                return invalid(format!(
                    "'{}' holds text; 'greater than' and 'less than' need a column of numbers \
                     or dates",
                    column.name
                ));
            }
            Ok((op, Literal::Text(as_in_data(&text, column))))
        }
    }
}

/// The value as written: a quoted text as it is, else the words one space apart, with a
/// decimal comma cut into tokens ("1", ",", "5") put back together.
fn value_text(tokens: &[Token]) -> (String, bool) {
    match tokens {
        [t] if t.kind == Kind::Quoted => (t.text.clone(), true),
        [whole, comma, fraction]
            if whole.kind == Kind::Number
                && comma.kind == Kind::Comma
                && fraction.kind == Kind::Number
                && fraction.text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (format!("{},{}", whole.text, fraction.text), false)
        }
        _ => (joined(tokens), false),
    }
}

/// Whether unquoted tokens read as one value: no list words, no second clause.
fn is_one_value(tokens: &[Token]) -> bool {
    if value_text(tokens).0.contains(',') && tokens.len() == 3 {
        return true;
    }
    !tokens.iter().any(|t| {
        t.is_word("and")
            || t.is_word("or")
            || t.is_word("then")
            || t.kind == Kind::Comma
            || (t.kind == Kind::Symbol && t.text != "-" && t.text != "+")
    })
}

/// Why `text` is no number for `column`, with the decimal mark the file uses.
fn not_a_number(text: &str, column: &Column) -> String {
    let comma_decimal = text.split_once(',').is_some_and(|(_, fraction)| {
        !fraction.is_empty() && fraction.len() != 3 && fraction.bytes().all(|b| b.is_ascii_digit())
    });
    if comma_decimal && !column.seen.decimal_comma {
        return format!(
            "'{}' holds numbers, and this file writes decimals with a point: write '{}', not \
             '{text}'",
            column.name,
            text.replace(',', ".")
        );
    }
    format!(
        "'{}' holds numbers, and '{text}' is not a number",
        column.name
    )
}

/// The spelling of `text` among the values the profile saw in the column, else `text`.
fn as_in_data(text: &str, column: &Column) -> String {
    let key = text.trim().to_lowercase();
    column
        .seen
        .samples
        .iter()
        .find(|s| s.trim().to_lowercase() == key)
        .map_or_else(|| text.to_string(), |s| s.trim().to_string())
}

/// A number as written in a request, for `column`: signs, currency, thousands
/// separators, the file's decimal mark, scale words ("1k", "2 million") and percents.
pub(crate) fn read_number(text: &str, column: &Column) -> Option<f64> {
    let mut rest = text.trim().to_lowercase();
    let mut sign = 1.0;
    if let Some(unsigned) = rest.strip_prefix('-') {
        sign = -1.0;
        rest = unsigned.trim_start().to_string();
    } else if let Some(unsigned) = rest.strip_prefix('+') {
        rest = unsigned.trim_start().to_string();
    }
    rest = strip_currency(&rest);
    let mut percent = false;
    for word in vocab::PERCENT_WORDS {
        if let Some(before) = rest.strip_suffix(word) {
            percent = true;
            rest = before.trim_end().to_string();
            break;
        }
    }
    let mut scale = 1.0;
    if !percent {
        // The longest scale word that ends the text ("2.5m", "3 million", "1k").
        let mut best: Option<(f64, usize)> = None;
        for (factor, words) in vocab::NUMBER_SCALES {
            for word in *words {
                if rest.ends_with(word)
                    && rest.len() > word.len()
                    && best.is_none_or(|(_, n)| word.len() > n)
                {
                    best = Some((*factor, word.len()));
                }
            }
        }
        if let Some((factor, n)) = best {
            let before = rest[..rest.len() - n].to_string();
            // "1k" and "1 k" and "1 thousand", never "bank" -> "ban" thousand.
            if before.ends_with(|c: char| c.is_ascii_digit() || c == ' ') {
                scale = factor;
                rest = before.trim_end().to_string();
            }
        }
        rest = strip_currency(&rest);
    }
    let number = plain_number(&rest, column.seen.decimal_comma)?;
    let mut value = sign * number * scale;
    // "10%" of a column of fractions (0.18) is 0.1; of a column of percents (11.25), 10.
    if percent
        && column.seen.max.is_some_and(|m| m.abs() <= 1.0)
        && column.seen.min.is_some_and(|m| m.abs() <= 1.0)
    {
        value /= 100.0;
    }
    value.is_finite().then_some(value)
}

/// `text` without a currency symbol or word at its start or end.
fn strip_currency(text: &str) -> String {
    let mut rest = text.trim();
    // The longest first: "euros" before "eur".
    let mut words: Vec<&str> = vocab::CURRENCY_WORDS.to_vec();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    for word in words {
        if let Some(after) = rest.strip_prefix(word) {
            rest = after.trim_start();
        }
        if let Some(before) = rest.strip_suffix(word) {
            rest = before.trim_end();
        }
    }
    rest.to_string()
}

/// Digits with thousands groups and one decimal mark (`,` with `decimal_comma`, else
/// `.`); the other mark separates thousands, in groups of three.
fn plain_number(text: &str, decimal_comma: bool) -> Option<f64> {
    // "0.7" in a file of decimal commas is still 0.7: a lone point not followed by a
    // group of three is a decimal point.
    let lone_point = text.matches('.').count() == 1
        && !text.contains(',')
        && text.split_once('.').is_some_and(|(_, f)| f.len() != 3);
    let (thousands, decimal) = if decimal_comma && !lone_point {
        ('.', ',')
    } else {
        (',', '.')
    };
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_digit() || c == thousands || c == decimal)
    {
        return None;
    }
    let (whole, fraction) = match text.split_once(decimal) {
        Some((w, f)) if !f.contains(decimal) && !f.contains(thousands) => (w, Some(f)),
        Some(_) => return None,
        None => (text, None),
    };
    let groups: Vec<&str> = whole.split(thousands).collect();
    let grouped = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped || (whole.is_empty() && fraction.is_none_or(str::is_empty)) {
        return None;
    }
    let mut plain: String = groups.concat();
    if let Some(f) = fraction {
        if f.is_empty() {
            return None;
        }
        plain.push('.');
        plain.push_str(f);
    }
    plain.parse().ok()
}

/// A day or a period: "2024-01-31", "2012", "2012-03", "March 2012", "2012 March".
fn read_date(text: &str) -> Option<DateValue> {
    if let Some(day) = parse_date(text) {
        return Some(DateValue::Day(day));
    }
    let text = text.trim().to_lowercase();
    let year = |s: &str| {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
            .filter(|y| (1000..=9999).contains(y))
    };
    if let Some(y) = year(&text) {
        return year_month_period(y, None, text.clone());
    }
    // 2012-03, 2012/03
    if let Some((y, m)) = text.split_once(['-', '/'])
        && let (Some(y), Ok(m)) = (year(y), m.parse::<u32>())
        && (1..=12).contains(&m)
    {
        return year_month_period(y, Some(m), text.clone());
    }
    // March 2012, 2012 March
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    if let [a, b] = words[..] {
        let month = |w: &str| vocab::lookup(vocab::MONTHS, w);
        let (m, y) = match (month(a), year(b), month(b), year(a)) {
            (Some(m), Some(y), _, _) => (m, y),
            (_, _, Some(m), Some(y)) => (m, y),
            _ => return None,
        };
        return year_month_period(y, Some(m), text.clone());
    }
    None
}

fn year_month_period(year: i32, month: Option<u32>, label: String) -> Option<DateValue> {
    let start = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), 1)?;
    let end = match month {
        None => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        Some(12) => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        Some(m) => NaiveDate::from_ymd_opt(year, m + 1, 1)?,
    };
    debug_assert!(start.year() == year);
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    Some(DateValue::Period(Period {
        start: iso(start),
        end: iso(end),
        label,
    }))
}

/// A comparison with a period as a comparison with one of its ends: "after 2012" is on
/// or after its end, "before 2012" before its start; equality keeps the period.
fn period_comparison(op: CmpOp, period: Period) -> (CmpOp, Literal) {
    match op {
        CmpOp::Gt => (CmpOp::Ge, Literal::Date(period.end)),
        CmpOp::Ge => (CmpOp::Ge, Literal::Date(period.start)),
        CmpOp::Lt => (CmpOp::Lt, Literal::Date(period.start)),
        CmpOp::Le => (CmpOp::Lt, Literal::Date(period.end)),
        _ => (op, Literal::Period(period)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::planner::columns::Seen;
    use crate::plan::planner::tokens::tokenize;

    fn column(dtype: ColumnType, seen: Seen) -> Column {
        Column {
            name: "X".into(),
            dtype,
            has_numbers: dtype.is_numeric(),
            seen,
        }
    }

    fn numbers(min: f64, max: f64, decimal_comma: bool) -> Column {
        column(
            ColumnType::Float,
            Seen {
                min: Some(min),
                max: Some(max),
                decimal_comma,
                ..Seen::default()
            },
        )
    }

    fn value(text: &str, column: &Column, op: CmpOp) -> Result<(CmpOp, Literal), String> {
        parse_value(&tokenize(text), column, op).map_err(|e| e.reason)
    }

    #[test]
    fn numbers_as_people_write_them() {
        let amounts = numbers(0.0, 1e7, false);
        let cases = [
            ("1000", 1000.0),
            ("1,000", 1000.0),
            ("$2,000", 2000.0),
            ("2,000 €", 2000.0),
            ("1k", 1000.0),
            ("1.5k", 1500.0),
            ("2.5 million", 2_500_000.0),
            ("3m", 3_000_000.0),
            ("- 3", -3.0),
            ("10%", 10.0),
            ("USD 12", 12.0),
        ];
        for (text, expected) in cases {
            assert_eq!(
                value(text, &amounts, CmpOp::Gt),
                Ok((CmpOp::Gt, Literal::Number(expected))),
                "{text}"
            );
        }
        for text in ["1,5", "12,34", "1,0000", "bank", "1k2"] {
            assert!(value(text, &amounts, CmpOp::Gt).is_err(), "{text}");
        }
        let why = value("1,5", &amounts, CmpOp::Gt).unwrap_err();
        assert!(why.contains("write '1.5'"), "{why}");
    }

    #[test]
    fn percents_follow_the_column_and_decimal_commas_the_file() {
        let fractions = numbers(0.05, 0.18, false);
        assert_eq!(
            value("10%", &fractions, CmpOp::Ge),
            Ok((CmpOp::Ge, Literal::Number(0.1)))
        );
        assert_eq!(
            value("10 percent", &fractions, CmpOp::Ge),
            Ok((CmpOp::Ge, Literal::Number(0.1)))
        );
        let european = numbers(0.0, 5000.0, true);
        for (text, expected) in [
            ("1,5", 1.5),
            ("1.234,5", 1234.5),
            ("1.000", 1000.0),
            ("2", 2.0),
            ("0.7", 0.7),
        ] {
            assert_eq!(
                value(text, &european, CmpOp::Lt),
                Ok((CmpOp::Lt, Literal::Number(expected))),
                "{text}"
            );
        }
    }

    #[test]
    fn years_and_months_on_date_columns() {
        let dates = column(ColumnType::Date, Seen::default());
        let period = |start: &str, end: &str, label: &str| {
            Literal::Period(Period {
                start: start.into(),
                end: end.into(),
                label: label.into(),
            })
        };
        assert_eq!(
            value("2012", &dates, CmpOp::Eq),
            Ok((CmpOp::Eq, period("2012-01-01", "2013-01-01", "2012")))
        );
        assert_eq!(
            value("March 2012", &dates, CmpOp::Eq),
            Ok((CmpOp::Eq, period("2012-03-01", "2012-04-01", "march 2012")))
        );
        assert_eq!(
            value("2012-12", &dates, CmpOp::Ne),
            Ok((CmpOp::Ne, period("2012-12-01", "2013-01-01", "2012-12")))
        );
        assert_eq!(
            value("2012", &dates, CmpOp::Gt),
            Ok((CmpOp::Ge, Literal::Date("2013-01-01".into())))
        );
        assert_eq!(
            value("2012", &dates, CmpOp::Le),
            Ok((CmpOp::Lt, Literal::Date("2013-01-01".into())))
        );
        assert_eq!(
            value("2024-01-31", &dates, CmpOp::Eq),
            Ok((CmpOp::Eq, Literal::Date("2024-01-31".into())))
        );
        assert!(value("2012-13", &dates, CmpOp::Eq).is_err());
        assert!(value("someday", &dates, CmpOp::Eq).is_err());
    }

    #[test]
    fn text_takes_the_spelling_of_the_data() {
        let regions = column(
            ColumnType::Text,
            Seen {
                samples: vec!["North".into(), "South ".into()],
                ..Seen::default()
            },
        );
        assert_eq!(
            value("north", &regions, CmpOp::Eq),
            Ok((CmpOp::Eq, Literal::Text("North".into())))
        );
        assert_eq!(
            value("SOUTH", &regions, CmpOp::Ne),
            Ok((CmpOp::Ne, Literal::Text("South".into())))
        );
        assert_eq!(
            value("west", &regions, CmpOp::Eq),
            Ok((CmpOp::Eq, Literal::Text("west".into())))
        );
    }
}
