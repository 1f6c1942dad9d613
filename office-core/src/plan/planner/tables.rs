//! What the programs share: where each input's table is (a table spec, as literals the
//! program reads), the Python that loads a table from it (`tables.py`, in every kind's
//! program), and for analytics and report programs the Python that computes facts and
//! draws charts (`analysis.py`) and the program's opening lines.
//!
//! Every name from the data reaches the program only as a literal made by `py_str`.

use super::GENERATOR_NAME;
use super::codegen::{header_cells, py_list, py_str};
use crate::profile::{ColumnProfile, ColumnType, FileFormat, FileProfile, SheetProfile};
use std::fmt::Write as _;

/// Loading (`tables.py`, which the Excel program includes too), facts and charts, shared
/// by analytics and report programs.
pub(crate) const ANALYSIS_PY: &str =
    concat!(include_str!("tables.py"), include_str!("analysis.py"));

/// At most this many columns of a table are analysed (the first ones).
pub(crate) const MAX_COLUMNS: usize = 100;

/// The table the program works on in one input: the sheet with the most data rows.
pub(crate) fn main_sheet(file: &FileProfile) -> Option<&SheetProfile> {
    file.sheets
        .iter()
        .filter(|s| !s.columns.is_empty() && s.data_rows > 0)
        .max_by_key(|s| (s.data_rows, std::cmp::Reverse(s.first_row)))
        // `max_by_key` keeps the last of equals; prefer the first sheet among equals.
        .and_then(|best| {
            file.sheets
                .iter()
                .find(|s| !s.columns.is_empty() && s.data_rows == best.data_rows)
        })
}

/// How a table's number columns are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// A column with a cell that is not a number stays as it is (the Excel program
    /// writes the table back and loses no cell).
    KeepText,
    /// Cells that are not numbers become empty (for facts and charts).
    Coerce,
}

/// The text dialect a program reads a text input with: delimiter, quote, encoding and
/// decimal separator (a BOM-marked UTF-8 file as `utf-8-sig`).
fn text_dialect(file: &FileProfile) -> (char, char, String, char) {
    let dialect = file.csv.as_ref().filter(|_| file.format.is_text());
    let delimiter = dialect.map_or(
        if file.format == FileFormat::Tsv {
            '\t'
        } else {
            ','
        },
        |d| d.delimiter,
    );
    let quote = dialect.map_or('"', |d| d.quote);
    let encoding = match dialect {
        Some(d) if d.has_bom && d.encoding.replace('_', "-").eq_ignore_ascii_case("utf-8") => {
            "utf-8-sig".to_string()
        }
        Some(d) => d.encoding.clone(),
        None => "utf-8".to_string(),
    };
    let decimal = dialect.map_or('.', |d| d.decimal);
    (delimiter, quote, encoding, decimal)
}

/// The fields of a table spec that say where the table is and how to read it (what
/// `tables.py` reads), for the given columns of the sheet.
fn location_fields(
    input: usize,
    file: &FileProfile,
    sheet: &SheetProfile,
    columns: &[ColumnProfile],
    numbers: Numbers,
) -> Vec<(&'static str, String)> {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let numeric: Vec<String> = columns
        .iter()
        .filter(|c| c.dtype.is_numeric())
        .map(|c| c.name.clone())
        .collect();
    // Date columns whose texts the profile read day first ("01/02/2024").
    let dayfirst: Vec<String> = columns
        .iter()
        .filter(|c| c.dtype == ColumnType::Date && c.day_first)
        .map(|c| c.name.clone())
        .collect();
    let (delimiter, quote, encoding, decimal) = text_dialect(file);
    let first_col = sheet.columns.first().map_or(sheet.first_col, |c| c.index);
    let py_bool = |b: bool| if b { "True" } else { "False" }.to_string();
    vec![
        ("input", input.to_string()),
        ("file", py_str(&file.name)),
        ("sheet", py_str(&sheet.name)),
        ("text", py_bool(file.format.is_text())),
        ("sep", py_str(&delimiter.to_string())),
        ("quote", py_str(&quote.to_string())),
        ("encoding", py_str(&encoding)),
        ("decimal", py_str(&decimal.to_string())),
        (
            "header_row",
            sheet
                .header_row
                .map_or("None".to_string(), |r| r.to_string()),
        ),
        ("first_row", sheet.first_row.to_string()),
        ("first_col", first_col.to_string()),
        ("data_rows", sheet.data_rows.to_string()),
        // None marks a header cell the profile found empty.
        (
            "header_cells",
            format!("[{}]", header_cells(&names).join(", ")),
        ),
        ("columns", py_list(&names)),
        ("numeric", py_list(&numeric)),
        ("dayfirst", py_list(&dayfirst)),
        ("keep_text", py_bool(numbers == Numbers::KeepText)),
    ]
}

/// `dict(\n<indent>    name=value,\n...<indent>)`.
fn spec_literal(fields: &[(&str, String)], indent: &str) -> String {
    let mut out = String::from("dict(\n");
    for (name, value) in fields {
        let _ = writeln!(out, "{indent}    {name}={value},");
    }
    out.push_str(indent);
    out.push(')');
    out
}

/// The spec of the table an Excel program works on: every column of the sheet, number
/// columns read without losing a cell.
pub(crate) fn excel_table_spec(file: &FileProfile, sheet: &SheetProfile) -> String {
    spec_literal(
        &location_fields(0, file, sheet, &sheet.columns, Numbers::KeepText),
        "",
    )
}

/// The Python literal of one table's spec (a `dict(...)`) for analytics and report
/// programs: where the table is, its columns by kind and the column the facts centre on.
pub(crate) fn table_spec(
    input: usize,
    file: &FileProfile,
    sheet: &SheetProfile,
    focus: Option<&str>,
) -> String {
    // The first columns of a very wide sheet (thousands of columns) stand for it: the
    // program stays small and its facts readable. The facts say how many there are.
    let analysed = &sheet.columns[..sheet.columns.len().min(MAX_COLUMNS)];
    let names: Vec<String> = analysed.iter().map(|c| c.name.clone()).collect();
    let of_type = |pred: &dyn Fn(ColumnType) -> bool| -> Vec<String> {
        analysed
            .iter()
            .filter(|c| pred(c.dtype))
            .map(|c| c.name.clone())
            .collect()
    };
    let dates = of_type(&|t| t == ColumnType::Date);
    let texts = of_type(&|t| {
        matches!(
            t,
            ColumnType::Text | ColumnType::Mixed | ColumnType::Boolean
        )
    });
    let focus = focus
        .map(str::to_string)
        .or_else(|| default_focus(sheet))
        .filter(|f| names.contains(f))
        .map_or("None".to_string(), |f| py_str(&f));
    let mut fields = location_fields(input, file, sheet, analysed, Numbers::Coerce);
    fields.extend([
        ("total_columns", sheet.columns.len().to_string()),
        ("dates", py_list(&dates)),
        ("texts", py_list(&texts)),
        ("focus", focus),
    ]);
    spec_literal(&fields, "    ")
}

/// The number column facts centre on when the request names none: the first one that is
/// not an identifier (a column whose every value differs and that counts up).
pub(crate) fn default_focus(sheet: &SheetProfile) -> Option<String> {
    let numeric: Vec<_> = sheet
        .columns
        .iter()
        .filter(|c| c.dtype.is_numeric())
        .collect();
    numeric
        .iter()
        .find(|c| !looks_like_identifier(c))
        .or(numeric.first())
        .map(|c| c.name.clone())
}

fn looks_like_identifier(column: &crate::profile::ColumnProfile) -> bool {
    let name = column.name.to_lowercase();
    let id_name = name == "id"
        || name.ends_with(" id")
        || name.ends_with("_id")
        || name == "no"
        || name == "index"
        || name == "#";
    id_name
        || (column.dtype == ColumnType::Integer
            && column.distinct == column.non_null
            && column.non_null > 20)
}

/// The program's opening lines: who wrote it, the request, imports, environment.
pub(crate) fn program_head(kind: &str, prompt: &str, profiles: &[FileProfile]) -> String {
    let mut code = String::new();
    let prompt_line: String = prompt.chars().take(400).collect();
    let _ = writeln!(
        code,
        "# Written by the office offline planner ({GENERATOR_NAME}): deterministic, no model."
    );
    let _ = writeln!(code, "# {kind} job. Request: {}", py_str(&prompt_line));
    for file in profiles {
        let _ = writeln!(code, "# Input: {}", py_str(&file.name));
    }
    code.push_str(
        "import json\nimport math\nimport os\nimport warnings\n\n\
         import matplotlib\nimport matplotlib.dates as mdates\nimport matplotlib.pyplot as plt\nimport matplotlib.ticker as mticker\n\
         import numpy as np\nimport pandas as pd\nfrom matplotlib import font_manager\n\n\
         INPUT_PATHS = os.environ[\"INPUT_PATHS\"].split(os.pathsep)\n\
         OUTPUT_DIR = os.environ[\"OUTPUT_DIR\"]\n",
    );
    let _ = writeln!(code, "PROMPT = {}", py_str(prompt));
    code
}
