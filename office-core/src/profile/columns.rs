//! What both readers share: column names made unique the way pandas does, per-column
//! statistics gathered row by row, and the sheet builder (typed values are in `values`,
//! the header-row guess in `header`).
//!
//! A sheet is fed to [`SheetBuilder`] one row at a time (non-empty cells only, rows in
//! increasing order), so memory stays bounded by the number of columns, not of rows.

use super::header::{HEADER_LOOKAHEAD_ROWS, HEADER_SEARCH_ROWS, guess_header};
use super::values::{DATE_ORDERS, DateOrder, Value, formatted_number, iso_date, parse_date_as};
use super::{ColumnProfile, ColumnType, SheetProfile};
use chrono::NaiveDateTime;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;

/// Data rows whose values feed the statistics; rows past this are counted, not profiled.
pub(crate) const MAX_PROFILED_ROWS: usize = 1_000_000;
/// Distinct values counted exactly per column; past this the count is estimated.
const MAX_EXACT_DISTINCT: usize = 100_000;
/// Size of the k-minimum-values sketch behind the distinct estimate.
const DISTINCT_SKETCH_SIZE: usize = 1024;
const MAX_SAMPLES: usize = 5;
/// Sample values longer than this are cut (a profile goes into prompts).
const MAX_SAMPLE_CHARS: usize = 80;

/// Makes column names unique exactly like pandas' `dedup_names` (`a`, `a.1`, `a.2`), so
/// generated code can refer to the columns pandas will create.
pub(crate) fn dedup_names(names: Vec<String>) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut col = name;
        let mut cur_count = counts.get(&col).copied().unwrap_or(0);
        while cur_count > 0 {
            counts.insert(col.clone(), cur_count + 1);
            col = format!("{col}.{cur_count}");
            cur_count = counts.get(&col).copied().unwrap_or(0);
        }
        counts.insert(col.clone(), cur_count + 1);
        out.push(col);
    }
    out
}

/// Distinct values: exact up to a cap, then a k-minimum-values estimate.
struct DistinctCounter {
    hasher: std::collections::hash_map::RandomState,
    exact: Option<HashSet<u64>>,
    /// The smallest hashes seen, kept from the start so the estimate covers every value.
    sketch: BTreeSet<u64>,
}

impl DistinctCounter {
    fn new() -> Self {
        DistinctCounter {
            hasher: std::collections::hash_map::RandomState::new(),
            exact: Some(HashSet::new()),
            sketch: BTreeSet::new(),
        }
    }

    fn insert(&mut self, value: &str) {
        let hash = self.hasher.hash_one(value);
        if let Some(exact) = &mut self.exact {
            exact.insert(hash);
            if exact.len() > MAX_EXACT_DISTINCT {
                self.exact = None;
            }
        }
        if self.sketch.len() < DISTINCT_SKETCH_SIZE {
            self.sketch.insert(hash);
        } else if let Some(&largest) = self.sketch.last()
            && hash < largest
            && self.sketch.insert(hash)
        {
            self.sketch.pop_last();
        }
    }

    /// (count, estimated)
    fn count(&self) -> (usize, bool) {
        match &self.exact {
            Some(exact) => (exact.len(), false),
            None => {
                let kth = self.sketch.last().copied().unwrap_or(u64::MAX).max(1);
                let estimate = (DISTINCT_SKETCH_SIZE as f64 - 1.0) * (u64::MAX as f64 / kth as f64);
                (estimate.round() as usize, true)
            }
        }
    }
}

/// Statistics of one column, fed value by value.
struct ColumnAccumulator {
    non_null: usize,
    ints: usize,
    floats: usize,
    bools: usize,
    dates: usize,
    texts: usize,
    /// Texts that read as formatted numbers ("$1,200", "18%"), whole and not.
    text_ints: usize,
    text_floats: usize,
    /// The file writes numbers with a decimal comma.
    decimal_comma: bool,
    numeric_min: f64,
    numeric_max: f64,
    numeric_sum: f64,
    date_min: Option<NaiveDateTime>,
    date_max: Option<NaiveDateTime>,
    /// For text files: which date orders still read every text value, with their range.
    text_dates: Vec<(DateOrder, Option<(NaiveDateTime, NaiveDateTime)>)>,
    distinct: DistinctCounter,
    samples: Vec<String>,
}

impl ColumnAccumulator {
    fn new(decimal_comma: bool) -> Self {
        ColumnAccumulator {
            non_null: 0,
            ints: 0,
            floats: 0,
            bools: 0,
            dates: 0,
            texts: 0,
            text_ints: 0,
            text_floats: 0,
            decimal_comma,
            numeric_min: f64::INFINITY,
            numeric_max: f64::NEG_INFINITY,
            numeric_sum: 0.0,
            date_min: None,
            date_max: None,
            // Workbooks hold dates as text too ("2012-01-01" typed into a cell).
            text_dates: DATE_ORDERS
                .iter()
                .map(|(order, _)| (*order, None))
                .collect(),
            distinct: DistinctCounter::new(),
            samples: Vec::new(),
        }
    }

    fn push(&mut self, value: &Value) {
        self.non_null += 1;
        match value {
            Value::Int(n) => {
                self.ints += 1;
                self.push_number(*n as f64);
            }
            Value::Float(f) => {
                self.floats += 1;
                self.push_number(*f);
            }
            Value::Bool(_) => self.bools += 1,
            Value::Date(d) => {
                self.dates += 1;
                self.date_min = Some(self.date_min.map_or(*d, |m| m.min(*d)));
                self.date_max = Some(self.date_max.map_or(*d, |m| m.max(*d)));
            }
            Value::Text(text) => {
                self.texts += 1;
                if let Some(number) = formatted_number(text, self.decimal_comma) {
                    if number.fract() == 0.0 {
                        self.text_ints += 1;
                    } else {
                        self.text_floats += 1;
                    }
                    self.push_number(number);
                }
                self.text_dates.retain_mut(|(order, range)| {
                    let format = DATE_ORDERS
                        .iter()
                        .find(|(o, _)| o == order)
                        .map(|(_, f)| *f);
                    match format.and_then(|format| parse_date_as(text, format)) {
                        Some(d) => {
                            *range = Some(range.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
                            true
                        }
                        None => false,
                    }
                });
            }
        }
        let shown = value.display();
        self.distinct.insert(&shown);
        if self.samples.len() < MAX_SAMPLES && !self.samples.contains(&shown) {
            self.samples.push(shown);
        }
    }

    fn push_number(&mut self, number: f64) {
        if number.is_finite() {
            self.numeric_min = self.numeric_min.min(number);
            self.numeric_max = self.numeric_max.max(number);
            self.numeric_sum += number;
        }
    }

    fn finish(self, index: usize, name: String, profiled_rows: usize) -> ColumnProfile {
        // Formatted numbers in text ("$1,200") count as numbers when every value is one.
        let numbers = self.ints + self.floats + self.text_ints + self.text_floats;
        // Text dates, maybe among real date cells: one range over both.
        let text_date_range = if self.texts > 0 && self.texts + self.dates == self.non_null {
            self.text_dates
                .first()
                .and_then(|(_, range)| *range)
                .map(|(lo, hi)| match (self.date_min, self.date_max) {
                    (Some(a), Some(b)) => (lo.min(a), hi.max(b)),
                    _ => (lo, hi),
                })
        } else {
            None
        };
        let dtype = if self.non_null == 0 {
            ColumnType::Empty
        } else if self.ints + self.text_ints == self.non_null {
            ColumnType::Integer
        } else if numbers == self.non_null {
            ColumnType::Float
        } else if self.bools == self.non_null {
            ColumnType::Boolean
        } else if self.dates == self.non_null || text_date_range.is_some() {
            ColumnType::Date
        } else if self.texts == self.non_null {
            ColumnType::Text
        } else {
            ColumnType::Mixed
        };
        let numeric = dtype.is_numeric() && self.numeric_min.is_finite();
        let (date_min, date_max) = match (dtype, text_date_range) {
            (ColumnType::Date, Some((lo, hi))) => (Some(lo), Some(hi)),
            (ColumnType::Date, None) => (self.date_min, self.date_max),
            _ => (None, None),
        };
        // The order every date text was read in, when the column holds date texts.
        let day_first = dtype == ColumnType::Date
            && text_date_range.is_some()
            && self
                .text_dates
                .first()
                .is_some_and(|(order, _)| order.day_first());
        let (distinct, distinct_estimated) = self.distinct.count();
        ColumnProfile {
            index,
            name,
            dtype,
            non_null: self.non_null,
            nulls: profiled_rows.saturating_sub(self.non_null),
            distinct,
            distinct_estimated,
            min: numeric.then_some(self.numeric_min),
            max: numeric.then_some(self.numeric_max),
            mean: numeric.then(|| self.numeric_sum / numbers as f64),
            date_min: date_min.as_ref().map(iso_date),
            date_max: date_max.as_ref().map(iso_date),
            samples: self
                .samples
                .into_iter()
                .map(|s| match s.char_indices().nth(MAX_SAMPLE_CHARS) {
                    Some((cut, _)) => format!("{}…", &s[..cut]),
                    None => s,
                })
                .collect(),
            day_first,
        }
    }
}

/// One row's non-empty cells: absolute column and value, columns increasing.
pub(crate) type RowCells = Vec<(usize, Value)>;

/// Builds a [`SheetProfile`] from rows fed in increasing row order.
pub(crate) struct SheetBuilder {
    name: String,
    /// Text files: numbers in text are numbers already; dates are recognised per column.
    text_mode: bool,
    /// The file writes numbers with a decimal comma (formatted numbers in text).
    decimal_comma: bool,
    first_row: Option<usize>,
    last_row: usize,
    first_col: usize,
    last_col: usize,
    /// Rows kept until the header is decided.
    pending: Vec<(usize, RowCells)>,
    header: Option<HeaderDecision>,
    columns: Vec<Option<ColumnAccumulator>>,
    profiled_limit: usize,
    /// First row not fed to the statistics (cells past a reader's cap).
    unprofiled_from: Option<usize>,
}

#[derive(Debug, Clone)]
struct HeaderDecision {
    row: Option<usize>,
    cells: RowCells,
}

impl SheetBuilder {
    pub(crate) fn new(name: impl Into<String>, text_mode: bool) -> Self {
        SheetBuilder {
            name: name.into(),
            text_mode,
            decimal_comma: false,
            first_row: None,
            last_row: 0,
            first_col: usize::MAX,
            last_col: 0,
            pending: Vec::new(),
            header: None,
            columns: Vec::new(),
            profiled_limit: MAX_PROFILED_ROWS,
            unprofiled_from: None,
        }
    }

    /// Formatted numbers in text are read with a decimal comma ("1.234,5").
    pub(crate) fn with_decimal_comma(mut self, decimal_comma: bool) -> Self {
        self.decimal_comma = decimal_comma;
        self
    }

    #[cfg(test)]
    fn with_row_limit(mut self, limit: usize) -> Self {
        self.profiled_limit = limit;
        self
    }

    /// Adds one row; `cells` holds its non-empty values only. Empty rows may be skipped.
    pub(crate) fn push_row(&mut self, row: usize, cells: RowCells) {
        if cells.is_empty() {
            return;
        }
        let first_row = *self.first_row.get_or_insert(row);
        self.last_row = self.last_row.max(row);
        for (col, _) in &cells {
            self.first_col = self.first_col.min(*col);
            self.last_col = self.last_col.max(*col);
        }
        match &self.header {
            Some(header) => {
                let header_row = header.row;
                self.accumulate(header_row, row, &cells);
            }
            None => {
                self.pending.push((row, cells));
                if row >= first_row + HEADER_SEARCH_ROWS + HEADER_LOOKAHEAD_ROWS {
                    self.decide_header();
                }
            }
        }
    }

    /// Widens the used range for cells that were not read (past a cell cap); rows from
    /// `row` on are left out of the statistics.
    pub(crate) fn extend_unprofiled(&mut self, row: usize, first_col: usize, last_col: usize) {
        self.first_row = Some(self.first_row.map_or(row, |first| first.min(row)));
        self.last_row = self.last_row.max(row);
        self.first_col = self.first_col.min(first_col);
        self.last_col = self.last_col.max(last_col);
        self.unprofiled_from = Some(self.unprofiled_from.map_or(row, |from| from.min(row)));
    }

    fn decide_header(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let found = guess_header(&pending, self.text_mode);
        let header = HeaderDecision {
            row: found.map(|i| pending[i].0),
            cells: found.map(|i| pending[i].1.clone()).unwrap_or_default(),
        };
        let header_row = header.row;
        self.header = Some(header);
        for (row, cells) in &pending {
            self.accumulate(header_row, *row, cells);
        }
    }

    fn accumulate(&mut self, header_row: Option<usize>, row: usize, cells: &RowCells) {
        let data_start = match header_row {
            Some(header) => header + 1,
            None => self.first_row.unwrap_or(row),
        };
        if row < data_start || row - data_start >= self.profiled_limit {
            return;
        }
        let decimal_comma = self.decimal_comma;
        for (col, value) in cells {
            if self.columns.len() <= *col {
                self.columns.resize_with(col + 1, || None);
            }
            self.columns[*col]
                .get_or_insert_with(|| ColumnAccumulator::new(decimal_comma))
                .push(value);
        }
    }

    /// The sheet profile and notes worth passing on.
    pub(crate) fn finish(mut self) -> (SheetProfile, Vec<String>) {
        if self.header.is_none() {
            self.decide_header();
        }
        let Some(first_row) = self.first_row else {
            let empty = SheetProfile {
                name: self.name,
                rows: 0,
                cols: 0,
                first_row: 0,
                first_col: 0,
                header_row: None,
                data_rows: 0,
                columns: Vec::new(),
            };
            return (empty, Vec::new());
        };
        let header = self.header.take().unwrap_or(HeaderDecision {
            row: None,
            cells: Vec::new(),
        });
        let data_rows = match header.row {
            Some(header_row) => self.last_row - header_row,
            None => self.last_row - first_row + 1,
        };
        let data_start = header.row.map_or(first_row, |row| row + 1);
        let readable_rows = self
            .unprofiled_from
            .map_or(usize::MAX, |from| from.saturating_sub(data_start));
        let profiled_rows = data_rows.min(self.profiled_limit).min(readable_rows);
        let mut notes = Vec::new();
        if profiled_rows < data_rows {
            notes.push(format!(
                "sheet '{}': {data_rows} data rows; statistics come from the first {profiled_rows}",
                self.name
            ));
        }
        let header_names: HashMap<usize, &Value> = header
            .cells
            .iter()
            .map(|(col, value)| (*col, value))
            .collect();
        let names: Vec<String> = (self.first_col..=self.last_col)
            .enumerate()
            .map(|(position, col)| {
                let text = header_names
                    .get(&col)
                    .map(|v| v.display().trim().to_owned());
                match text {
                    Some(text) if !text.is_empty() => text,
                    _ => format!("column_{}", position + 1),
                }
            })
            .collect();
        let names = dedup_names(names);
        let mut accumulators = std::mem::take(&mut self.columns);
        let columns = (self.first_col..=self.last_col)
            .zip(names)
            .map(|(col, name)| {
                accumulators
                    .get_mut(col)
                    .and_then(Option::take)
                    .unwrap_or_else(|| ColumnAccumulator::new(self.decimal_comma))
                    .finish(col, name, profiled_rows)
            })
            .collect();
        let profile = SheetProfile {
            name: self.name,
            rows: self.last_row - first_row + 1,
            cols: self.last_col - self.first_col + 1,
            first_row,
            first_col: self.first_col,
            header_row: header.row,
            data_rows,
            columns,
        };
        (profile, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn dedup_matches_pandas() {
        // Expected values from pandas 2.2: pd.read_csv(io.StringIO("a,a,a.1,b,a\n1,2,3,4,5")).columns
        let names = ["a", "a", "a.1", "b", "a"].map(String::from).to_vec();
        assert_eq!(dedup_names(names), ["a", "a.1", "a.1.1", "b", "a.2"]);
    }

    #[test]
    fn header_then_typed_rows_is_found_and_title_skipped() {
        let rows = vec![
            (0, vec![(0, text("Quarterly report"))]),
            (
                2,
                vec![(0, text("Name")), (1, text("Amount")), (2, text("When"))],
            ),
            (
                3,
                vec![(0, text("a")), (1, Value::Int(3)), (2, text("2024-01-31"))],
            ),
            (
                4,
                vec![
                    (0, text("b")),
                    (1, Value::Float(4.5)),
                    (2, text("2024-02-29")),
                ],
            ),
        ];
        let mut builder = SheetBuilder::new("S", true);
        for (row, cells) in rows {
            builder.push_row(row, cells);
        }
        let (sheet, _) = builder.finish();
        assert_eq!(sheet.header_row, Some(2));
        assert_eq!(
            (sheet.first_row, sheet.rows, sheet.cols, sheet.data_rows),
            (0, 5, 3, 2)
        );
        let names: Vec<_> = sheet.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Amount", "When"]);
        assert_eq!(sheet.columns[1].dtype, ColumnType::Float);
        assert_eq!(sheet.columns[1].mean, Some(3.75));
        assert_eq!(sheet.columns[2].dtype, ColumnType::Date);
        assert_eq!(sheet.columns[2].date_max.as_deref(), Some("2024-02-29"));
    }

    #[test]
    fn formatted_numbers_in_text_make_a_number_column() {
        let mut builder = SheetBuilder::new("S", false);
        builder.push_row(
            0,
            vec![(0, text("Price")), (1, text("Share")), (2, text("Code"))],
        );
        let rows = [
            ("$1,200", "18%", "00123"),
            ("950", "5.5%", "42"),
            ("$2,000.50", "100%", "7"),
        ];
        for (row, (price, share, code)) in rows.iter().enumerate() {
            let price = if *price == "950" {
                Value::Int(950)
            } else {
                text(price)
            };
            builder.push_row(row + 1, vec![(0, price), (1, text(share)), (2, text(code))]);
        }
        let (sheet, _) = builder.finish();
        assert_eq!(sheet.columns[0].dtype, ColumnType::Float);
        assert_eq!(sheet.columns[0].max, Some(2000.5));
        assert_eq!(sheet.columns[1].dtype, ColumnType::Float);
        assert_eq!(sheet.columns[1].min, Some(0.055));
        assert_eq!(sheet.columns[2].dtype, ColumnType::Text);
    }

    #[test]
    fn date_texts_are_day_first_only_when_every_one_reads_so() {
        let profile = |dates: &[&str]| {
            let mut builder = SheetBuilder::new("S", true);
            builder.push_row(0, vec![(0, text("When"))]);
            for (row, date) in dates.iter().enumerate() {
                builder.push_row(row + 1, vec![(0, text(date))]);
            }
            builder.finish().0.columns.remove(0)
        };
        let column = profile(&["01/02/2024", "13/02/2024"]);
        assert_eq!(column.dtype, ColumnType::Date);
        assert!(column.day_first);
        // Month first: the early days read either way, the 13th only month first.
        let column = profile(&[
            "01/02/2024",
            "01/03/2024",
            "01/04/2024",
            "01/05/2024",
            "01/06/2024",
            "01/13/2024",
        ]);
        assert_eq!(column.dtype, ColumnType::Date);
        assert!(!column.day_first);
        assert_eq!(column.date_max.as_deref(), Some("2024-01-13"));
        assert!(!profile(&["2024-01-31", "2024-02-29"]).day_first);
    }

    #[test]
    fn numeric_first_row_means_no_header() {
        let mut builder = SheetBuilder::new("S", false);
        builder.push_row(0, vec![(0, Value::Int(1)), (1, Value::Int(2))]);
        builder.push_row(1, vec![(0, Value::Int(3)), (1, text("x"))]);
        let (sheet, _) = builder.finish();
        assert_eq!(sheet.header_row, None);
        assert_eq!(sheet.data_rows, 2);
        assert_eq!(sheet.columns[0].name, "column_1");
        assert_eq!(sheet.columns[1].dtype, ColumnType::Mixed);
    }

    #[test]
    fn row_limit_cuts_statistics_and_says_so() {
        let mut builder = SheetBuilder::new("S", false).with_row_limit(3);
        builder.push_row(0, vec![(0, text("n"))]);
        for row in 1..=10 {
            builder.push_row(row, vec![(0, Value::Int(row as i64))]);
        }
        let (sheet, notes) = builder.finish();
        assert_eq!(sheet.data_rows, 10);
        assert_eq!(sheet.columns[0].non_null, 3);
        assert_eq!(sheet.columns[0].max, Some(3.0));
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn distinct_estimate_is_close_past_the_exact_cap() {
        let mut counter = DistinctCounter::new();
        let total = MAX_EXACT_DISTINCT * 2;
        for n in 0..total {
            counter.insert(&n.to_string());
        }
        let (count, estimated) = counter.count();
        assert!(estimated);
        let error = (count as f64 - total as f64).abs() / total as f64;
        assert!(error < 0.15, "estimate {count} for {total}");
    }
}
