//! How the fields of a CSV/TSV file become cells of the workbook it is edited as. A field
//! that the job's program reads as a number (`1.50`, `$1,200`, `18%`, `1.234,5` with a
//! decimal comma) becomes a number, so that the formulas a job writes (SUM, SUMIFS,
//! RANK) compute what the program computed; its column gets the number format that shows
//! every field as typed, or General with a note where the column's fields are typed
//! with different looks. Codes (`007`, 20-digit account numbers), exponents (`1e3`) and
//! everything else stay text as typed.

use super::edits::CellValue;
use super::new_sheet::format_number;
use crate::profile::values::formatted_number;
use std::collections::HashMap;

/// The look of a number typed as text, as far as a number format can give it back.
#[derive(Debug, Clone, PartialEq)]
struct NumberLook {
    decimals: usize,
    grouped: bool,
    percent: bool,
    currency: Option<Currency>,
}

#[derive(Debug, Clone, PartialEq)]
struct Currency {
    sign: String,
    before: bool,
    spaced: bool,
}

impl Currency {
    /// `number` with the sign where it stands (in `quote`s, for a format code).
    fn around(&self, number: &str, quote: &str) -> String {
        let space = if self.spaced { " " } else { "" };
        match self.before {
            true => format!("{quote}{}{space}{quote}{number}", self.sign),
            false => format!("{number}{quote}{space}{}{quote}", self.sign),
        }
    }
}

/// A field as a cell and, for a number General does not show as typed, its look and the
/// text it was typed as.
fn field_cell(field: String, decimal: u8) -> (CellValue, Option<(NumberLook, String)>) {
    if field.is_empty() {
        return (CellValue::Empty, None);
    }
    if let Some(n) = plain_number(&field, decimal) {
        if number_text(n, decimal) == field {
            return (CellValue::Number(n), None);
        }
        let look = NumberLook {
            decimals: fraction_digits(&field, decimal),
            grouped: false,
            percent: false,
            currency: None,
        };
        return (CellValue::Number(n), Some((look, field)));
    }
    if field.trim() == field
        && let Some(n) = formatted_number(&field, decimal == b',')
        && n.is_finite()
        && significant_digits(&field) <= 15
    {
        let look = look_of(&field, decimal);
        return (CellValue::Number(n), Some((look, field)));
    }
    (CellValue::Text(field), None)
}

/// `12`, `-3.5`, `1.50`, `0.0`: digits with at most one decimal separator, no leading
/// zero before another digit, at most 15 significant digits (what a double keeps).
fn plain_number(field: &str, decimal: u8) -> Option<f64> {
    let unsigned = field.strip_prefix('-').unwrap_or(field);
    let (whole, fraction) = match unsigned.split_once(decimal as char) {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    if whole.len() > 1 && whole.starts_with('0') {
        return None; // a zero-padded code
    }
    if whole.len() + fraction.map_or(0, str::len) > 15 {
        return None;
    }
    let n: f64 = match fraction {
        Some(f) => format!("{whole}.{f}").parse().ok()?,
        None => whole.parse().ok()?,
    };
    let negative_zero = field.starts_with('-') && n == 0.0;
    (!negative_zero).then(|| if field.starts_with('-') { -n } else { n })
}

fn fraction_digits(text: &str, decimal: u8) -> usize {
    text.rsplit_once(decimal as char)
        .map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count())
}

fn significant_digits(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

/// The look of a field `formatted_number` reads: its currency sign and where it stands,
/// thousands groups, decimals and percent.
fn look_of(field: &str, decimal: u8) -> NumberLook {
    let thousands = if decimal == b',' { '.' } else { ',' };
    let body = field.trim_start_matches('-').trim_start();
    let start = body.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
    let end = body
        .rfind(|c: char| c.is_ascii_digit())
        .map_or(body.len(), |i| i + 1);
    let (before, number, after) = (&body[..start], &body[start..end], &body[end..]);
    let after_sign = after.trim_start().trim_end_matches('%').trim_end();
    let currency = if !before.trim().is_empty() {
        Some(Currency {
            sign: before.trim().to_string(),
            before: true,
            spaced: before.ends_with(' '),
        })
    } else if !after_sign.is_empty() {
        Some(Currency {
            sign: after_sign.to_string(),
            before: false,
            spaced: after.starts_with(' '),
        })
    } else {
        None
    };
    NumberLook {
        decimals: fraction_digits(number, decimal),
        grouped: number.contains(thousands),
        percent: field.ends_with('%'),
        currency,
    }
}

impl NumberLook {
    /// The Excel number format code (always in the file format's `.` and `,`).
    fn code(&self) -> String {
        let mut code = String::from(if self.grouped { "#,##0" } else { "0" });
        if self.decimals > 0 {
            code.push('.');
            code.push_str(&"0".repeat(self.decimals));
        }
        if self.percent {
            code.push('%');
        }
        match &self.currency {
            Some(c) => c.around(&code, "\""),
            None => code,
        }
    }

    /// What Excel shows of `n` in this look, with the file's decimal separator.
    fn show(&self, n: f64, decimal: u8) -> String {
        let shown = if self.percent { n * 100.0 } else { n };
        let fixed = format!("{:.*}", self.decimals, shown.abs());
        let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
        let (thousands, point) = if decimal == b',' {
            ('.', ',')
        } else {
            (',', '.')
        };
        let mut text = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if self.grouped && i > 0 && (whole.len() - i) % 3 == 0 {
                text.push(thousands);
            }
            text.push(digit);
        }
        if !fraction.is_empty() {
            text.push(point);
            text.push_str(fraction);
        }
        if self.percent {
            text.push('%');
        }
        if let Some(c) = &self.currency {
            text = c.around(&text, "");
        }
        let zero = fixed.bytes().all(|b| b == b'0' || b == b'.');
        if n < 0.0 && !zero {
            text.insert(0, '-');
        }
        text
    }
}

/// A number as General shows it, with the file's decimal separator.
pub(crate) fn number_text(n: f64, decimal: u8) -> String {
    let text = format_number(n);
    if decimal == b',' {
        text.replace('.', ",")
    } else {
        text
    }
}

/// A text file's records as cells, with what the workbook needs to show them as typed
/// and what the CSV written back needs to give them back as typed.
#[derive(Debug, Default)]
pub(crate) struct TypedRecords {
    /// The cells, record by record (the first is the header).
    pub(crate) rows: Vec<Vec<CellValue>>,
    /// A number format per column (`None`: General).
    pub(crate) number_formats: Vec<Option<String>>,
    /// Columns whose numbers are typed with looks no one format gives back.
    pub(crate) mixed_looks: Vec<String>,
    /// Per column (by header), the text each number not typed as General shows it was
    /// typed as: the first one seen for its value.
    typed: HashMap<String, HashMap<u64, String>>,
}

/// What a column's numbers typed as General shows them (`12`, `2.5`) ask of a look, kept
/// in a few bits so that a column of a million numbers costs nothing to check.
#[derive(Default)]
struct GeneralNumbers {
    /// Bit `d` is set when one has `d` decimals.
    decimals: u32,
    /// One is 1,000 or more (a grouped look would show it with a separator).
    thousands: bool,
}

impl GeneralNumbers {
    fn add(&mut self, n: f64, decimal: u8) {
        let digits = fraction_digits(&number_text(n, decimal), decimal);
        self.decimals |= 1 << digits.min(31);
        self.thousands |= n.abs() >= 1000.0;
    }

    /// Whether `look` shows each of them as General does.
    fn shown_by(&self, look: &NumberLook) -> bool {
        self.decimals == 0
            || (look.currency.is_none()
                && !look.percent
                && self.decimals == 1 << look.decimals.min(31)
                && !(look.grouped && self.thousands))
    }
}

/// What a column's numbers say about its format so far.
enum ColumnLook {
    General,
    One(NumberLook),
    Mixed,
}

impl TypedRecords {
    /// Reads `records` (fields as typed, the first record the header).
    pub(crate) fn read(records: Vec<Vec<String>>, decimal: u8) -> TypedRecords {
        let header: Vec<String> = records.first().cloned().unwrap_or_default();
        let width = records.iter().map(Vec::len).max().unwrap_or(0);
        let mut looks: Vec<ColumnLook> = (0..width).map(|_| ColumnLook::General).collect();
        let mut general: Vec<GeneralNumbers> =
            (0..width).map(|_| GeneralNumbers::default()).collect();
        let mut typed: Vec<HashMap<u64, String>> = vec![HashMap::new(); width];
        let mut rows = Vec::with_capacity(records.len());
        for (r, record) in records.into_iter().enumerate() {
            let mut row = Vec::with_capacity(record.len());
            for (c, field) in record.into_iter().enumerate() {
                let (cell, look) = match r {
                    0 if field.is_empty() => (CellValue::Empty, None),
                    0 => (CellValue::Text(field), None),
                    _ => field_cell(field, decimal),
                };
                if let CellValue::Number(n) = &cell {
                    let Some((look, text)) = look else {
                        general[c].add(*n, decimal);
                        row.push(cell);
                        continue;
                    };
                    let shown = look.show(*n, decimal) == text;
                    looks[c] = match std::mem::replace(&mut looks[c], ColumnLook::Mixed) {
                        ColumnLook::General if shown => ColumnLook::One(look),
                        ColumnLook::One(one) if shown && one == look => ColumnLook::One(one),
                        _ => ColumnLook::Mixed,
                    };
                    typed[c].entry(n.to_bits()).or_insert(text);
                }
                row.push(cell);
            }
            rows.push(row);
        }
        let mut number_formats = vec![None; width];
        let mut mixed_looks = Vec::new();
        for (c, look) in looks.into_iter().enumerate() {
            match look {
                ColumnLook::General => {}
                // One look that shows every number of the column as typed (`2.5` and
                // `1.50` share none; `12` and `1,200` share `#,##0`).
                ColumnLook::One(look) if general[c].shown_by(&look) => {
                    number_formats[c] = Some(look.code());
                }
                _ => mixed_looks.push(header.get(c).cloned().unwrap_or_default()),
            }
        }
        let typed = header
            .iter()
            .zip(typed)
            .filter(|(_, t)| !t.is_empty())
            .map(|(h, t)| (h.clone(), t))
            .collect();
        TypedRecords {
            rows,
            number_formats,
            mixed_looks,
            typed,
        }
    }

    /// Per column of a sheet with `header`, the texts its numbers were typed as.
    pub(crate) fn typed_by_column(&self, header: &[String]) -> Vec<Option<&HashMap<u64, String>>> {
        header.iter().map(|h| self.typed.get(h)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(field: &str) -> CellValue {
        field_cell(field.to_string(), b'.').0
    }

    #[test]
    fn fields_the_program_reads_as_numbers_become_numbers() {
        assert_eq!(cell("12"), CellValue::Number(12.0));
        assert_eq!(cell("-3.5"), CellValue::Number(-3.5));
        assert_eq!(cell("1.50"), CellValue::Number(1.5));
        assert_eq!(cell("0.0"), CellValue::Number(0.0));
        assert_eq!(cell("$1,200"), CellValue::Number(1200.0));
        assert_eq!(cell("18%"), CellValue::Number(0.18));
        assert_eq!(field_cell("1,5".into(), b',').0, CellValue::Number(1.5));
        assert_eq!(
            field_cell("1.234,5".into(), b',').0,
            CellValue::Number(1234.5)
        );
        for text in [
            "007",
            "1e3",
            "NA",
            "None",
            "#N/A",
            "12345678901234567890",
            " 5",
            "-0",
            "1.2.3",
            "TRUE",
        ] {
            assert_eq!(cell(text), CellValue::Text(text.into()), "{text}");
        }
        assert_eq!(cell(""), CellValue::Empty);
    }

    #[test]
    fn each_look_is_shown_back_as_typed() {
        for (text, decimal, code) in [
            ("1.50", b'.', "0.00"),
            ("-0.50", b'.', "0.00"),
            ("4.0", b'.', "0.0"),
            ("$1,200", b'.', "\"$\"#,##0"),
            ("-$1,200.5", b'.', "\"$\"#,##0.0"),
            ("12 €", b'.', "0\" €\""),
            ("18%", b'.', "0%"),
            ("12.5%", b'.', "0.0%"),
            ("1.234,50", b',', "#,##0.00"),
            ("1,0", b',', "0.0"),
        ] {
            let (value, look) = field_cell(text.to_string(), decimal);
            let (CellValue::Number(n), Some((look, _))) = (value, look) else {
                panic!("{text} is no formatted number");
            };
            assert_eq!(look.code(), code, "{text}");
            assert_eq!(look.show(n, decimal), text, "{text}");
        }
    }

    #[test]
    fn a_column_gets_the_format_only_when_it_shows_every_number_as_typed() {
        let records = |fields: &[&str]| {
            std::iter::once(vec!["rain".to_string()])
                .chain(fields.iter().map(|f| vec![f.to_string()]))
                .collect::<Vec<_>>()
        };
        let one = TypedRecords::read(records(&["0.0", "10.9", "3.0"]), b'.');
        assert_eq!(one.number_formats, [Some("0.0".to_string())]);
        assert!(one.mixed_looks.is_empty());
        let grouped = TypedRecords::read(records(&["12", "1,200"]), b'.');
        assert_eq!(grouped.number_formats, [Some("#,##0".to_string())]);
        let mixed = TypedRecords::read(records(&["1.50", "2.125", "3"]), b'.');
        assert_eq!(mixed.number_formats, [None]);
        assert_eq!(mixed.mixed_looks, ["rain"]);
        let general = TypedRecords::read(records(&["1.5", "2"]), b'.');
        assert_eq!(general.number_formats, [None]);
        assert!(general.mixed_looks.is_empty());
        let texts = general.typed_by_column(&["rain".into()]);
        assert!(
            texts[0].is_none(),
            "General numbers need no text to come back"
        );
        let texts = one.typed_by_column(&["rain".into()]);
        assert_eq!(texts[0].unwrap()[&3.0f64.to_bits()], "3.0");
    }
}
