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

/// A number written as formatted text, as people type them into cells: thousands
/// separators ("1,234.5"; "1.234,5" with a decimal comma), a currency sign ("$1,200",
/// "-€5", "12 €") or a percent ("18%" is 0.18). Text without any of these marks stays
/// text: digits typed as text ("00123", "42") are codes, not numbers.
pub(crate) fn formatted_number(text: &str, decimal_comma: bool) -> Option<f64> {
    let mut rest = text.trim();
    let mut marked = false;
    let percent = rest.ends_with('%');
    if percent {
        rest = rest[..rest.len() - 1].trim_end();
        marked = true;
    }
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r.trim_start();
    }
    for sign in CURRENCY_SIGNS {
        if let Some(r) = rest.strip_prefix(sign) {
            rest = r.trim_start();
            marked = true;
        } else if let Some(r) = rest.strip_suffix(sign) {
            rest = r.trim_end();
            marked = true;
        }
    }
    if !negative && let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r.trim_start();
    }
    let (thousands, decimal) = if decimal_comma {
        ('.', ',')
    } else {
        (',', '.')
    };
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == thousands || c == decimal)
    {
        return None;
    }
    let (whole, fraction) = match rest.split_once(decimal) {
        Some((w, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (w, Some(f)),
        Some(_) => return None,
        None => (rest, None),
    };
    let groups: Vec<&str> = whole.split(thousands).collect();
    if groups.len() > 1 {
        let grouped = !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3);
        if !grouped {
            return None;
        }
        marked = true;
    }
    if !marked || groups.concat().is_empty() {
        return None;
    }
    let plain = match fraction {
        Some(f) => format!("{}.{f}", groups.concat()),
        None => groups.concat(),
    };
    let number: f64 = plain.parse().ok()?;
    let number = if negative { -number } else { number };
    Some(if percent { number / 100.0 } else { number })
}

/// Currency signs a formatted number may carry.
const CURRENCY_SIGNS: &[&str] = &["US$", "$", "€", "£", "¥", "₹", "₽", "CHF"];

impl DateOrder {
    /// Whether the day comes before the month ("01/02/2024" is 1 February).
    pub(crate) fn day_first(self) -> bool {
        matches!(
            self,
            DateOrder::DayFirstSlash | DateOrder::DayFirstDot | DateOrder::DayFirstDash
        )
    }
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

    #[test]
    fn formatted_numbers_in_text() {
        let cases = [
            ("1,234", false, Some(1234.0)),
            ("1,234.5", false, Some(1234.5)),
            ("$1,200", false, Some(1200.0)),
            ("-$5.25", false, Some(-5.25)),
            ("$-5", false, Some(-5.0)),
            ("12 €", false, Some(12.0)),
            ("18%", false, Some(0.18)),
            ("-2.5 %", false, Some(-0.025)),
            ("1.234,5", true, Some(1234.5)),
            ("12,5 €", true, Some(12.5)),
            ("42", false, None),
            ("00123", false, None),
            ("1,23", false, None),
            ("12,34,567", false, None),
            ("$", false, None),
            ("%", false, None),
            ("1.234,5", false, None),
            ("Week 1", false, None),
        ];
        for (text, decimal_comma, expected) in cases {
            assert_eq!(formatted_number(text, decimal_comma), expected, "{text}");
        }
    }
}
