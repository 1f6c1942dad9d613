//! `report.xlsx`: the tables the report quotes, one sheet each (named after the section
//! they sit in), their numbers as numbers in the format the report shows them, and the
//! report's charts as native Excel charts over their own data.
//!
//! A chart's data comes from `charts.json`, which the program writes beside the PNG
//! files (`{"chart_1.png": {"kind", "title", "x_title", "y_title", "categories",
//! "series": [{"name", "values"}]}}`); a figure without an entry there stays a picture
//! in the other documents only. The file is read with limits (size, charts, points), and
//! what it holds is data to draw, never markup: every text is escaped by the writers.

use super::model::{Block, Document, plain};
use crate::book::chart::{Chart, ChartKind, Series};
use crate::book::edits::{CellValue, NewSheet};
use crate::book::new_book::{BookSheet, build_book};
use crate::book::workbook::unique_sheet_name;
use std::collections::HashMap;
use std::path::Path;

/// The program's chart data file.
pub(crate) const CHART_DATA_FILE: &str = "charts.json";

const MAX_CHART_DATA_BYTES: u64 = 8 << 20;
const MAX_CHARTS: usize = 50;
const MAX_POINTS: usize = 5_000;
const MAX_SERIES: usize = 12;

#[derive(Debug, serde::Deserialize)]
struct ChartData {
    kind: ChartKind,
    #[serde(default)]
    title: String,
    #[serde(default)]
    x_title: String,
    #[serde(default)]
    y_title: String,
    categories: Vec<serde_json::Value>,
    series: Vec<SeriesData>,
}

#[derive(Debug, serde::Deserialize)]
struct SeriesData {
    #[serde(default)]
    name: String,
    values: Vec<Option<f64>>,
}

/// The workbook; an error when the report has neither a table nor a chart with data.
pub(crate) fn render(doc: &Document, dir: &Path) -> Result<Vec<u8>, String> {
    let mut names = SheetNames::default();
    let mut sheets = Vec::new();
    let mut section = String::new();
    collect_tables(&doc.blocks, &mut section, &mut names, &mut sheets);
    let data = read_chart_data(dir);
    for (n, src) in doc.figures().iter().enumerate() {
        if let Some(chart) = data.get(src.as_str()) {
            sheets.push(chart_sheet(chart, &names.take(&format!("Chart {}", n + 1))));
        }
    }
    if sheets.is_empty() {
        return Err("the report quotes no table and no chart data".into());
    }
    build_book(sheets).map_err(|e| e.message)
}

fn collect_tables(
    blocks: &[Block],
    section: &mut String,
    names: &mut SheetNames,
    sheets: &mut Vec<BookSheet>,
) {
    for block in blocks {
        match block {
            Block::Heading { text, .. } => *section = plain(text),
            Block::Table { head, rows, .. } => {
                let base = if section.trim().is_empty() {
                    "Table"
                } else {
                    section.as_str()
                };
                let name = names.take(base);
                sheets.push(table_sheet(
                    name,
                    head.iter().map(|h| plain(h)).collect(),
                    rows.iter()
                        .map(|r| r.iter().map(|c| plain(c)).collect())
                        .collect(),
                ));
            }
            Block::Quote(inner) => collect_tables(inner, section, names, sheets),
            Block::List { items, .. } => {
                for item in items {
                    collect_tables(item, section, names, sheets);
                }
            }
            _ => {}
        }
    }
}

/// A Markdown table as a sheet: each cell a number where its text reads as one
/// (`1,234.5`, `12%`, `$40`, `-3`; never `007`), shown in the column's format when every number of the
/// column is written alike, else as Excel shows a plain number (as the report wrote it).
fn table_sheet(name: String, head: Vec<String>, rows: Vec<Vec<String>>) -> BookSheet {
    let width = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut columns = head;
    columns.resize(width, String::new());
    let parsed: Vec<Vec<(CellValue, Option<Written>)>> = rows
        .iter()
        .map(|row| {
            (0..width)
                .map(|c| cell(row.get(c).map(String::as_str).unwrap_or("")))
                .collect()
        })
        .collect();
    let number_formats = (0..width)
        .map(|c| column_format(parsed.iter().filter_map(|row| row[c].1.as_ref())))
        .collect();
    BookSheet {
        sheet: NewSheet {
            name,
            columns,
            rows: parsed
                .into_iter()
                .map(|row| row.into_iter().map(|(v, _)| v).collect())
                .collect(),
            formulas: Vec::new(),
            number_formats,
            chart: None,
        },
        chart: None,
    }
}

/// How a number was written: what a format must reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    decimals: usize,
    thousands: bool,
    /// Four digits or more before the point: written with separators or not, it says
    /// which the column uses.
    big: bool,
    percent: bool,
    currency: Option<char>,
}

/// The one format that shows every number of a column as written, if there is one.
fn column_format<'a>(shapes: impl Iterator<Item = &'a Written>) -> Option<String> {
    let shapes: Vec<&Written> = shapes.collect();
    let first = shapes.first()?;
    let thousands = shapes.iter().any(|s| s.thousands);
    let alike = shapes.iter().all(|s| {
        s.decimals == first.decimals
            && s.percent == first.percent
            && s.currency == first.currency
            && (!s.big || s.thousands == thousands)
    });
    alike
        .then(|| {
            Written {
                thousands,
                ..(*first).clone()
            }
            .format()
        })
        .flatten()
}

impl Written {
    /// The number format that shows the value as written; `None` for Excel's General,
    /// which shows a plain number as the report wrote it.
    fn format(&self) -> Option<String> {
        if !self.thousands && !self.percent && self.currency.is_none() {
            return None;
        }
        let mut f = String::new();
        if let Some(symbol) = self.currency {
            f.push_str(&format!("\"{symbol}\""));
        }
        f.push_str(if self.thousands { "#,##0" } else { "0" });
        if self.decimals > 0 {
            f.push('.');
            f.push_str(&"0".repeat(self.decimals));
        }
        if self.percent {
            f.push('%');
        }
        Some(f)
    }
}

const CURRENCIES: [char; 5] = ['$', '€', '£', '¥', '₹'];

fn cell(text: &str) -> (CellValue, Option<Written>) {
    let t = text.trim();
    if t.is_empty() {
        return (CellValue::Empty, None);
    }
    match number(t) {
        Some((value, written)) => (CellValue::Number(value), Some(written)),
        None => (CellValue::Text(t.to_string()), None),
    }
}

/// `text` as a number and how it is written; `None` unless the whole text is one number.
fn number(text: &str) -> Option<(f64, Written)> {
    let mut s = text;
    let negative = match s.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => {
            s = rest;
            true
        }
        None => false,
    };
    let currency = s.chars().next().filter(|c| CURRENCIES.contains(c));
    if let Some(c) = currency {
        s = &s[c.len_utf8()..];
    }
    let percent = s.ends_with('%');
    if percent {
        s = &s[..s.len() - 1];
    }
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if whole.is_empty() || !whole.chars().next()?.is_ascii_digit() {
        return None;
    }
    let thousands = whole.contains(',');
    if thousands {
        // Groups of three after the first: `1,234,567`, never `12,34`.
        let mut groups = whole.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return None;
        }
    }
    let digits: String = whole.chars().filter(|c| *c != ',').collect();
    // `007` is a code, not seven: a number never reads back with a leading zero.
    if !digits.chars().all(|c| c.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    if let Some(f) = fraction
        && (f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let literal = match fraction {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let mut value: f64 = literal.parse().ok()?;
    if percent {
        value /= 100.0;
    }
    if negative {
        value = -value;
    }
    value.is_finite().then_some((
        value,
        Written {
            decimals: fraction.map_or(0, str::len),
            thousands,
            big: whole.chars().filter(char::is_ascii_digit).count() > 3,
            percent,
            currency,
        },
    ))
}

fn chart_sheet(data: &ChartData, name: &str) -> BookSheet {
    let points = data.categories.len().min(MAX_POINTS);
    let categories: Vec<String> = data.categories[..points]
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect();
    let series: Vec<Series> = data
        .series
        .iter()
        .take(MAX_SERIES)
        .enumerate()
        .map(|(i, s)| {
            let mut values: Vec<Option<f64>> = s.values.iter().take(points).copied().collect();
            values.resize(points, None);
            Series {
                name: match s.name.trim() {
                    "" => format!("Series {}", i + 1),
                    name => name.to_string(),
                },
                values,
            }
        })
        .collect();
    let scatter = data.kind == ChartKind::Scatter;
    let mut columns = vec![match data.x_title.trim() {
        "" => "Category".to_string(),
        t => t.to_string(),
    }];
    columns.extend(series.iter().map(|s| s.name.clone()));
    // Header texts must differ for the chart's series names to stay apart.
    let rows = (0..points)
        .map(|r| {
            let mut row = Vec::with_capacity(series.len() + 1);
            row.push(match (&data.categories[r], scatter) {
                (serde_json::Value::Number(n), true) => {
                    n.as_f64().map_or(CellValue::Empty, CellValue::Number)
                }
                _ if categories[r].is_empty() => CellValue::Empty,
                _ => CellValue::Text(categories[r].clone()),
            });
            for s in &series {
                row.push(
                    s.values[r]
                        .filter(|v| v.is_finite())
                        .map_or(CellValue::Empty, CellValue::Number),
                );
            }
            row
        })
        .collect();
    BookSheet {
        sheet: NewSheet {
            name: name.to_string(),
            columns,
            rows,
            formulas: Vec::new(),
            number_formats: Vec::new(),
            chart: None,
        },
        chart: Some(Chart {
            kind: data.kind,
            title: data.title.clone(),
            x_title: data.x_title.clone(),
            y_title: data.y_title.clone(),
            categories,
            series,
        }),
    }
}

/// `charts.json` from the output folder: a regular file (never a symlink) of bounded
/// size; an unreadable or malformed file means no native charts, nothing worse.
fn read_chart_data(dir: &Path) -> HashMap<String, ChartData> {
    let path = dir.join(CHART_DATA_FILE);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return HashMap::new();
    };
    if !meta.is_file() || meta.len() > MAX_CHART_DATA_BYTES {
        return HashMap::new();
    }
    let Ok(bytes) = std::fs::read(&path) else {
        return HashMap::new();
    };
    let Ok(all) = serde_json::from_slice::<HashMap<String, serde_json::Value>>(&bytes) else {
        return HashMap::new();
    };
    all.into_iter()
        .take(MAX_CHARTS)
        .filter_map(|(name, v)| Some((name, serde_json::from_value::<ChartData>(v).ok()?)))
        .filter(|(_, c)| !c.categories.is_empty() && !c.series.is_empty())
        .collect()
}

/// Sheet names: Excel's rules (31 characters, none of `[]:*?/\`, no leading or trailing
/// apostrophe), unique in the book case-insensitively.
#[derive(Default)]
struct SheetNames {
    taken: Vec<String>,
}

impl SheetNames {
    fn take(&mut self, base: &str) -> String {
        let name = unique_sheet_name(base, &self.taken, "Table");
        self.taken.push(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_the_report_writes_them() {
        let (v, w) = number("1,234.50").unwrap();
        assert_eq!(v, 1234.5);
        assert_eq!(w.format().as_deref(), Some("#,##0.00"));
        let (v, w) = number("12.5%").unwrap();
        assert!((v - 0.125).abs() < 1e-12);
        assert_eq!(w.format().as_deref(), Some("0.0%"));
        let (v, w) = number("-$40").unwrap();
        assert_eq!(v, -40.0);
        assert_eq!(w.format().as_deref(), Some("\"$\"0"));
        assert_eq!(number("3.25").unwrap().1.format(), None);
        for text in [
            "007",
            "12,34",
            "1.2.3",
            "abc",
            "12 kg",
            "2024-01-31",
            ".5",
            "n/a",
            "1,2345",
        ] {
            assert!(number(text).is_none(), "{text}");
        }
    }

    #[test]
    fn a_column_gets_a_format_only_when_its_numbers_are_written_alike() {
        let format = |texts: &[&str]| {
            let shapes: Vec<Written> = texts.iter().map(|t| number(t).unwrap().1).collect();
            column_format(shapes.iter())
        };
        assert_eq!(format(&["1,200.50", "800.00"]).as_deref(), Some("#,##0.00"));
        assert_eq!(format(&["1200.50", "1,000.25"]), None);
        assert_eq!(format(&["12.5", "3.25"]), None);
        assert_eq!(format(&["5%", "12.5%"]), None);
        assert_eq!(format(&["$5", "$12"]).as_deref(), Some("\"$\"0"));
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        let mut names = SheetNames::default();
        assert_eq!(names.take("sales.csv / Q1: [draft]"), "sales.csv Q1 draft");
        assert_eq!(names.take("Sales.csv Q1 draft"), "Sales.csv Q1 draft (2)");
        let long = names.take(&"x".repeat(40));
        assert_eq!(long.chars().count(), 31);
        assert_eq!(
            names.take(&"x".repeat(40)),
            format!("{} (2)", "x".repeat(27))
        );
        assert_eq!(names.take("History"), "Table");
        assert_eq!(names.take("'quoted'"), "quoted");
    }
}
