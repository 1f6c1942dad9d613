//! The edit script an excel program writes (`edits.json`): what to change in the user's
//! workbook, relative to the input, never the workbook itself.
//!
//! The program computes (pandas in the sandbox); the trusted side applies the script to
//! the input package in place (`book::apply`), so every part the script does not name is
//! carried over byte for byte, and checks the result against the input before the job
//! succeeds. Everything here comes from an untrusted program: the applier bounds it
//! before anything is applied.
//!
//! Rows and columns are 1-based sheet coordinates, as Excel shows them.

#![warn(missing_docs, unreachable_pub)]

use serde::{Deserialize, Serialize};

/// The file an excel program writes into `OUTPUT_DIR`.
pub(crate) const EDITS_FILE: &str = "edits.json";

/// The version of the script this engine applies.
pub(crate) const EDITS_VERSION: u32 = 1;

/// A whole edit script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Edits {
    /// Always `EDITS_VERSION`.
    pub(crate) version: u32,
    /// One short sentence per step done, with counts (as `result.json` had).
    #[serde(default)]
    pub(crate) steps: Vec<String>,
    /// Changes to sheets of the input, at most one entry per sheet.
    #[serde(default)]
    pub(crate) sheets: Vec<SheetEdit>,
    /// Sheets to add after the input's sheets, in order.
    #[serde(default)]
    pub(crate) new_sheets: Vec<NewSheet>,
}

/// The changes to one sheet of the input: its table's rows reordered or removed (one
/// list says both), columns appended, single cells set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SheetEdit {
    /// The sheet's name in the input.
    pub(crate) sheet: String,
    /// Where the table is in the input.
    pub(crate) table: TableRange,
    /// The input's data rows to keep, in output order: a sort is a permutation of
    /// `first_row..=last_row`, a filter or a dedupe leaves rows out. `None`: rows stay as
    /// they are. Rows below the table move up by the number removed, as when Excel
    /// deletes rows.
    #[serde(default)]
    pub(crate) rows: Option<Vec<u32>>,
    /// Columns appended right of `table.last_col`, in order.
    #[serde(default)]
    pub(crate) add_columns: Vec<NewColumn>,
    /// Single cells set after the rows and columns above are applied (in output
    /// coordinates).
    #[serde(default)]
    pub(crate) set_cells: Vec<CellEdit>,
    /// How the sheet looks once its cells are in place (`book::look`): number formats,
    /// conditional formats, frozen panes, the autofilter, charts. Output coordinates.
    #[serde(default, skip_serializing_if = "Look::is_empty")]
    pub(crate) look: Look,
}

/// The look of a sheet, applied after its rows and cells: every range is in output
/// coordinates (after rows moved and columns were added).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Look {
    /// Number formats set on ranges of cells, each cell keeping its font, fill, border
    /// and alignment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) number_formats: Vec<RangeFormat>,
    /// Conditional formats added (a fill where a condition holds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) conditional_formats: Vec<ConditionalFormat>,
    /// Rows and columns frozen at the top and left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) freeze: Option<Freeze>,
    /// The range an autofilter is set on (its first row is the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) autofilter: Option<CellRange>,
    /// Native charts drawn on the sheet over its own cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) charts: Vec<ChartEdit>,
}

impl Look {
    /// Whether the look changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.number_formats.is_empty()
            && self.conditional_formats.is_empty()
            && self.freeze.is_none()
            && self.autofilter.is_none()
            && self.charts.is_empty()
    }
}

/// A rectangle of cells, 1-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CellRange {
    /// The first row.
    pub(crate) first_row: u32,
    /// The last row.
    pub(crate) last_row: u32,
    /// The first column (A = 1).
    pub(crate) first_col: u32,
    /// The last column.
    pub(crate) last_col: u32,
}

/// A number format on a range (`"$#,##0.00"`, `"dd/mm/yyyy"`, `"0.0%"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeFormat {
    /// The cells.
    pub(crate) range: CellRange,
    /// An Excel number format code.
    pub(crate) format: String,
}

/// A comparison a conditional format tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Compare {
    /// `=`.
    Equal,
    /// `<>`.
    NotEqual,
    /// `>`.
    GreaterThan,
    /// `>=`.
    GreaterThanOrEqual,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
    /// The text holds the value (ignoring case).
    Contains,
    /// The text does not hold the value.
    NotContains,
}

/// A fill shown where the cell in `column` of a row compares true with `value`: on that
/// cell alone when `range` is that column, on the whole row of `range` otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionalFormat {
    /// Where the format shows.
    pub(crate) range: CellRange,
    /// The column tested (inside `range`).
    pub(crate) column: u32,
    /// The comparison.
    pub(crate) compare: Compare,
    /// What the cell is compared with: a number, a text, a date or a boolean.
    pub(crate) value: CellValue,
    /// The fill colour, six hex digits (`"FFC7CE"`).
    #[serde(default = "default_fill")]
    pub(crate) fill: String,
}

/// Excel's "light red fill".
pub(crate) fn default_fill() -> String {
    "FFC7CE".into()
}

/// Frozen rows (at the top) and columns (at the left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Freeze {
    /// Rows frozen (1: the header row).
    #[serde(default)]
    pub(crate) rows: u32,
    /// Columns frozen.
    #[serde(default)]
    pub(crate) cols: u32,
}

/// A native chart over the sheet's cells: the categories (or a scatter's x values) in
/// one column, a series per value column, over the same rows; each series named by its
/// header cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChartEdit {
    /// How it draws.
    pub(crate) kind: crate::book::chart::ChartKind,
    /// The chart's title.
    pub(crate) title: String,
    /// The header row the series names are read from.
    pub(crate) header_row: u32,
    /// The first and last data rows.
    pub(crate) first_row: u32,
    /// See `first_row`.
    pub(crate) last_row: u32,
    /// The categories' column.
    pub(crate) category_col: u32,
    /// One column per series.
    pub(crate) value_cols: Vec<u32>,
    /// The categories as shown (cached in the chart).
    #[serde(default)]
    pub(crate) categories: Vec<String>,
    /// Each series' name and values, as cached in the chart.
    #[serde(default)]
    pub(crate) series: Vec<SeriesCache>,
    /// The category axis' title.
    #[serde(default)]
    pub(crate) x_title: String,
    /// The value axis' title.
    #[serde(default)]
    pub(crate) y_title: String,
}

/// A series' name and values as the chart caches them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeriesCache {
    /// The header of its column.
    pub(crate) name: String,
    /// One value per row (`null`: no number).
    pub(crate) values: Vec<Option<f64>>,
}

/// A table's place on its sheet, 1-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableRange {
    /// The header row; `None` when the table has no header.
    pub(crate) header_row: Option<u32>,
    /// The first data row.
    pub(crate) first_row: u32,
    /// The last data row (`first_row - 1` for a table with no data rows).
    pub(crate) last_row: u32,
    /// The first column (A = 1).
    pub(crate) first_col: u32,
    /// The last column.
    pub(crate) last_col: u32,
}

/// A column appended to a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewColumn {
    /// The header cell's text (styled like the header cell left of it).
    pub(crate) header: String,
    /// A formula per data row, with `{r}` standing for the row's own sheet row in the
    /// output (`"=F{r}*G{r}"`); `None` when the column holds values only.
    #[serde(default)]
    pub(crate) formula: Option<String>,
    /// One value per output data row, in output order: the cached result where there is a
    /// formula, the cell's value where there is none.
    pub(crate) values: Vec<CellValue>,
    /// An Excel number format for the data cells (`"0.00"`); `None`: the format of the
    /// column to its left when that holds numbers, else General.
    #[serde(default)]
    pub(crate) number_format: Option<String>,
}

/// One cell set by the script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CellEdit {
    /// An A1 reference on the edited sheet (`"B3"`), in output coordinates.
    pub(crate) cell: String,
    /// The value (the cached result when `formula` is set).
    pub(crate) value: CellValue,
    /// A formula (`"=SUM(B2:B9)"`), or `None` for a plain value.
    #[serde(default)]
    pub(crate) formula: Option<String>,
}

/// A sheet the script adds: a header row and data rows, each cell a value and optionally
/// a formula (a group total as `SUMIFS` over the source range, with its result cached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSheet {
    /// The sheet's name (Excel's rules: at most 31 characters, none of `[]:*?/\`,
    /// unique in the book, case-insensitively).
    pub(crate) name: String,
    /// The header row's texts (written bold).
    pub(crate) columns: Vec<String>,
    /// Data rows, each as long as `columns`.
    pub(crate) rows: Vec<Vec<CellValue>>,
    /// Formulas in the shape of `rows` (`None` where a cell is a plain value); empty when
    /// the sheet holds values only. References point at the output's rows.
    #[serde(default)]
    pub(crate) formulas: Vec<Vec<Option<String>>>,
    /// A number format per column (`None`: General; dates get a date format anyway).
    #[serde(default)]
    pub(crate) number_formats: Vec<Option<String>>,
    /// A native chart beside the data: the first column's values as categories, a
    /// series per other column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) chart: Option<SheetChart>,
}

/// A chart a new sheet draws of its own data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SheetChart {
    /// How it draws.
    pub(crate) kind: crate::book::chart::ChartKind,
    /// Its title.
    pub(crate) title: String,
}

/// A cell's value as the script gives it. Text is always text: it is never read as a
/// number, a date or a missing value (`"NA"`, `"00123"` and `"#N/A"` stay as typed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum CellValue {
    /// An empty cell (JSON `null`).
    Empty,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
    /// A date or date-time, `{"date": "2024-01-31"}` or `{"date": "2024-01-31T08:30:00"}`.
    Date {
        /// ISO 8601, without a time zone.
        date: String,
    },
    /// An error value, `{"error": "#DIV/0!"}`.
    Error {
        /// One of Excel's error values.
        error: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_round_trips_and_text_stays_text() {
        let json = r##"{"version": 1, "steps": ["Sorted by Units, descending"],
            "sheets": [{"sheet": "Data",
                "table": {"header_row": 1, "first_row": 2, "last_row": 4, "first_col": 1, "last_col": 3},
                "rows": [4, 2],
                "add_columns": [{"header": "Margin", "formula": "=C{r}*0.2",
                                 "values": [1.5, {"error": "#DIV/0!"}]}]}],
            "new_sheets": [{"name": "By Region", "columns": ["Region", "Total"],
                "rows": [["NA", 3.0], [null, {"date": "2024-01-31"}]],
                "formulas": [[null, "=SUMIFS(Data!$C$2:$C$3,Data!$A$2:$A$3,A2)"], [null, null]]}]}"##;
        let edits: Edits = serde_json::from_str(json).unwrap();
        assert_eq!(edits.sheets[0].rows.as_deref(), Some(&[4, 2][..]));
        assert_eq!(
            edits.new_sheets[0].rows[0][0],
            CellValue::Text("NA".into()),
            "text that reads like a missing value is text"
        );
        assert_eq!(edits.new_sheets[0].rows[1][0], CellValue::Empty);
        assert_eq!(
            edits.sheets[0].add_columns[0].values[1],
            CellValue::Error {
                error: "#DIV/0!".into()
            }
        );
        let again: Edits = serde_json::from_str(&serde_json::to_string(&edits).unwrap()).unwrap();
        assert_eq!(again, edits);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"version": 1, "sheets": [], "workbook": "replace it all"}"#;
        assert!(serde_json::from_str::<Edits>(json).is_err());
    }
}
