//! Typed cell values: what a cell holds (number, text, boolean, date), the text forms
//! pandas reads as missing, numbers and dates written as text, and ISO dates.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Strings pandas reads as missing by default (`pandas.io.parsers` `STR_NA_VALUES`), so a
/// profile counts nulls the way the generated code will see them.
const PANDAS_NA_STRINGS: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

pub(crate) fn is_na_string(text: &str) -> bool {
    PANDAS_NA_STRINGS.contains(&text)
}

/// One non-empty cell value, typed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDateTime),
    Text(String),
}

impl Value {
    /// A number read from a workbook: integral floats are integers, as pandas reads them.
    pub(crate) fn number(number: f64) -> Value {
        if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
            Value::Int(number as i64)
        } else {
            Value::Float(number)
        }
    }

    /// The value as text: samples, header names, distinct counting.
    pub(crate) fn display(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Date(d) => iso_date(d),
            Value::Text(s) => s.clone(),
        }
    }

    pub(crate) fn is_text(&self) -> bool {
        matches!(self, Value::Text(_))
    }
}

/// ISO 8601: the date alone at midnight, the date-time otherwise.
pub(crate) fn iso_date(date: &NaiveDateTime) -> String {
    if date.time() == NaiveTime::MIN {
        date.format("%Y-%m-%d").to_string()
    } else if date.and_utc().timestamp_subsec_millis() == 0 {
        date.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        date.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

/// How a text column's dates are written; tried in this order, so an ambiguous
/// `01/02/2024` reads day-first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateOrder {
    IsoDash,
    IsoSlash,
    DayFirstSlash,
    MonthFirstSlash,
    DayFirstDot,
    DayFirstDash,
    /// `19-Jan-18`, as spreadsheets export dates with a month name.
    DayMonthNameShortYear,
    /// `19-Jan-2018`.
    DayMonthNameYear,
}

pub(crate) const DATE_ORDERS: [(DateOrder, &str); 8] = [
    (DateOrder::IsoDash, "%Y-%m-%d"),
    (DateOrder::IsoSlash, "%Y/%m/%d"),
    (DateOrder::DayFirstSlash, "%d/%m/%Y"),
    (DateOrder::MonthFirstSlash, "%m/%d/%Y"),
    (DateOrder::DayFirstDot, "%d.%m.%Y"),
    (DateOrder::DayFirstDash, "%d-%m-%Y"),
    (DateOrder::DayMonthNameShortYear, "%d-%b-%y"),
    (DateOrder::DayMonthNameYear, "%d-%b-%Y"),
];

/// Parses `text` as a date (optionally with a time) written in `date_format`.
pub(crate) fn parse_date_as(text: &str, date_format: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    // Four-digit years only: "1-2-3" must not pass as a date.
    if text.len() < 8 || !text.bytes().next()?.is_ascii_digit() {
        return None;
    }
    let (date_part, time_part) = match text.find([' ', 'T']) {
        Some(at) => (&text[..at], Some(text[at + 1..].trim_end_matches('Z'))),
        None => (text, None),
    };
    // chrono's `%y` also takes four digits ("19-Jan-2018" is not year 20-18).
    if date_format.ends_with("%y") && date_part.rsplit('-').next().is_none_or(|y| y.len() != 2) {
        return None;
    }
    let date = NaiveDate::parse_from_str(date_part, date_format).ok()?;
    if !(1000..=9999).contains(&chrono::Datelike::year(&date)) {
        return None;
    }
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(time) => ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
            .iter()
            .find_map(|format| NaiveTime::parse_from_str(time, format).ok())?,
    };
    Some(date.and_time(time))
}

/// Whether a text looks like a date in any accepted order (header guessing in text files).
pub(crate) fn looks_like_date(text: &str) -> bool {
    DATE_ORDERS
        .iter()
        .any(|(_, format)| parse_date_as(text, format).is_some())
}

/// Parses an ISO 8601 date or date-time (ODS cells, `t="d"` XLSX cells).
pub(crate) fn parse_iso_datetime(text: &str) -> Option<NaiveDateTime> {
    parse_date_as(text, "%Y-%m-%d")
}

/// A text field of a csv/tsv file, typed the way `pandas.read_csv` would read it (numbers,
/// booleans; missing markers are `None`). Dates stay text here and are decided per column.
pub(crate) fn parse_text_field(field: &str, decimal_comma: bool) -> Option<Value> {
    if is_na_string(field) {
        return None;
    }
    let trimmed = field.trim();
    match trimmed {
        "True" | "TRUE" | "true" => return Some(Value::Bool(true)),
        "False" | "FALSE" | "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Zero-padded codes ("00123") are identifiers, not numbers.
        if digits.len() > 1 && digits.starts_with('0') {
            return Some(Value::Text(field.to_owned()));
        }
        if let Ok(n) = trimmed.parse::<i64>() {
            return Some(Value::Int(n));
        }
    }
    let looks_numeric = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_numeric && let Ok(f) = trimmed.parse::<f64>() {
        return Some(Value::Float(f));
    }
    if decimal_comma
        && is_decimal_comma_number(trimmed)
        && let Ok(f) = trimmed.replace(',', ".").parse::<f64>()
    {
        return Some(Value::Float(f));
    }
    Some(Value::Text(field.to_owned()))
}

/// `-12,5` style: digits, one comma, digits.
pub(crate) fn is_decimal_comma_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once(',') {
        Some((whole, fraction)) => {
            !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// `.` style decimals: digits, one dot, digits.
pub(crate) fn is_decimal_point_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => {
            !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn text_fields_are_typed_like_read_csv() {
        assert_eq!(parse_text_field("42", false), Some(Value::Int(42)));
        assert_eq!(
            parse_text_field("-4.5e2", false),
            Some(Value::Float(-450.0))
        );
        assert_eq!(parse_text_field("007", false), Some(text("007")));
        assert_eq!(parse_text_field("TRUE", false), Some(Value::Bool(true)));
        assert_eq!(parse_text_field("NA", false), None);
        assert_eq!(parse_text_field("", false), None);
        assert_eq!(parse_text_field("0,5", false), Some(text("0,5")));
        assert_eq!(parse_text_field("0,5", true), Some(Value::Float(0.5)));
        assert_eq!(parse_text_field("inf", false), Some(text("inf")));
    }
}
