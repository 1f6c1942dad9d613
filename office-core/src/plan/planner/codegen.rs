//! Operations -> a readable, deterministic pandas program.
//!
//! The program reads every sheet of the first input raw (`header=None`), finds the
//! target sheet's header by matching the profile's column names (pandas keeps or drops
//! leading empty rows and columns depending on the engine, so a fixed offset is not
//! trusted), applies the operations in order, and writes `output.xlsx` (the other
//! sheets unchanged, new sheets for groupings and statistics) and `result.json`.
//!
//! Every name and value from the user or the file reaches the program only as a
//! string literal made by `py_str`, in code and in comments alike.

use super::ops::Operation;
use super::{GENERATOR_NAME, OUTPUT_FILE, RESULT_FILE};
use crate::plan::Plan;
use crate::profile::{FileFormat, FileProfile, SheetProfile};
use std::fmt::Write as _;

/// A Python string literal for any text: a double-quoted literal with backslash, quote
/// and every control or line-breaking character escaped, so no text can end the
/// literal or the line it is on.
pub fn py_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}'
                ) =>
            {
                let code = c as u32;
                if code <= 0xffff {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python list of string literals.
pub fn py_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Excel's rules for a sheet name: at most 31 characters, none of `[]:*?/\`, not
/// empty, no leading or trailing apostrophe, unique (case-insensitively) in the book.
pub fn sheet_name(wanted: &str, taken: &[String]) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.trim_matches('\'').trim().to_string();
    let base = if cleaned.is_empty() {
        "Sheet".to_string()
    } else {
        cleaned
    };
    let truncate = |s: &str, n: usize| s.chars().take(n).collect::<String>().trim_end().to_string();
    let is_taken = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    let first = truncate(&base, 31);
    if !is_taken(&first) {
        return first;
    }
    (2..)
        .map(|k| {
            let suffix = format!(" ({k})");
            format!("{}{suffix}", truncate(&base, 31 - suffix.chars().count()))
        })
        .find(|name| !is_taken(name))
        .unwrap_or(first)
}

/// Workbooks are read with calamine, the reader the profiler uses, so the program reads
/// every workbook the profiler could (openpyxl fails on strict OOXML and on some real
/// files that Excel opens).
fn engine(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Csv | FileFormat::Tsv => "",
        _ => "calamine",
    }
}

/// The header cells the raw sheet holds for the profile's column names, as Python
/// literals (`None` where the cell is empty); the program finds the header row by them.
pub fn header_cells(names: &[String]) -> Vec<String> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| header_cell(n, &names[..i]).map_or("None".to_string(), |h| py_str(&h)))
        .collect()
}

/// The header text the raw sheet holds for a profile column name: `None` for names the
/// profiler invented for empty header cells (`column_3`), the base name for the
/// `.1`, `.2` suffixes it added to repeated names.
fn header_cell(name: &str, earlier: &[String]) -> Option<String> {
    if let Some(number) = name.strip_prefix("column_")
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    if let Some((base, suffix)) = name.rsplit_once('.')
        && !suffix.is_empty()
        && suffix.chars().all(|c| c.is_ascii_digit())
        && earlier.iter().any(|e| e == base)
    {
        return Some(base.to_string());
    }
    Some(name.to_string())
}

const PRELUDE: &str = r#"

def as_number(values):
    """Numbers; cells that do not hold a number become empty."""
    return pd.to_numeric(values, errors="coerce")


def as_date(values):
    """Dates; cells that do not hold a date become empty."""
    return pd.to_datetime(values, errors="coerce")


def as_text(values):
    """Text with surrounding spaces stripped and case folded, so comparisons ignore both."""
    return values.astype("string").str.strip().str.casefold()


def text_key(value):
    return str(value).strip().casefold()


def cell_text(value):
    """A header cell as text: None when empty, whole numbers without a fraction."""
    if pd.isna(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def header_matches(raw, row, col):
    for offset, expected in enumerate(HEADER_CELLS):
        if expected is None:
            continue
        if col + offset >= raw.shape[1] or cell_text(raw.iat[row, col + offset]) != expected:
            return False
    return True


def locate_header(raw):
    """Where the header row is in the raw frame. Depending on the engine pandas keeps or
    drops leading empty rows and columns, so the profile's position is tried first, then
    the positions before it, then a few after."""
    rows = list(range(min(HEADER_ROW, raw.shape[0] - 1), -1, -1))
    rows += list(range(HEADER_ROW + 1, min(raw.shape[0], HEADER_ROW + 20)))
    cols = list(range(min(FIRST_COL, raw.shape[1] - 1), -1, -1))
    for row in rows:
        for col in cols:
            if header_matches(raw, row, col):
                return row, col
    raise ValueError(
        "Could not find the header row of sheet " + repr(TARGET_SHEET)
        + " (expected the columns " + ", ".join(c for c in HEADER_CELLS if c) + ")."
    )


def load_table(raw):
    """The target sheet as a table: the header row's names, data rows below it."""
    if HEADER_ROW is None:
        start = FIRST_ROW if raw.shape[0] >= FIRST_ROW + DATA_ROWS else 0
        col = FIRST_COL if raw.shape[1] >= FIRST_COL + len(COLUMNS) else 0
    else:
        row, col = locate_header(raw)
        start = row + 1
    table = raw.iloc[start:, col:col + len(COLUMNS)]
    table = table.reindex(columns=range(col, col + len(COLUMNS)))
    table.columns = COLUMNS
    table = table.dropna(how="all").reset_index(drop=True).infer_objects()
    for name in NUMERIC_COLUMNS:
        values = table[name]
        if DECIMAL != "." and values.dtype == object:
            # Text numbers with a decimal comma: drop thousands dots, then read the comma.
            values = values.str.replace(".", "", regex=False).str.replace(DECIMAL, ".", regex=False)
        try:
            table[name] = pd.to_numeric(values)
        except (ValueError, TypeError):
            pass
    return table


def output_path(name):
    return OUTPUT_DIR.rstrip(os.sep) + os.sep + name
"#;

/// The program, its steps in words, and the output it writes.
pub fn build_plan(
    file: &FileProfile,
    sheet: &SheetProfile,
    operations: &[Box<dyn Operation>],
    prompt: &str,
) -> Plan {
    let mut code = String::new();
    let mut steps: Vec<String> = Vec::new();
    let names: Vec<String> = sheet.columns.iter().map(|c| c.name.clone()).collect();
    let header_cells = header_cells(&names);
    let numeric: Vec<String> = sheet
        .columns
        .iter()
        .filter(|c| c.dtype.is_numeric())
        .map(|c| c.name.clone())
        .collect();
    let first_col = sheet.columns.first().map_or(sheet.first_col, |c| c.index);
    let mut taken: Vec<String> = file.sheets.iter().map(|s| s.name.clone()).collect();
    let output_sheet = if file.format.is_text() {
        let name = sheet_name(&sheet.name, &[]);
        taken.push(name.clone());
        name
    } else {
        sheet.name.clone()
    };

    let prompt_line: String = prompt.chars().take(400).collect();
    let _ = writeln!(
        code,
        "# Written by the office offline planner ({GENERATOR_NAME}): deterministic, no model."
    );
    let _ = writeln!(code, "# Request: {}", py_str(&prompt_line));
    let _ = writeln!(
        code,
        "# Input: {} ({}), sheet {}.",
        py_str(&file.name),
        serde_json::to_value(file.format)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        py_str(&sheet.name)
    );
    code.push_str("import os\n\nimport numpy as np\nimport pandas as pd\n\n");
    code.push_str("INPUT_PATH = os.environ[\"INPUT_PATH\"]\n");
    code.push_str("OUTPUT_DIR = os.environ[\"OUTPUT_DIR\"]\n");
    let _ = writeln!(code, "TARGET_SHEET = {}", py_str(&sheet.name));
    let _ = writeln!(code, "OUTPUT_SHEET = {}", py_str(&output_sheet));
    code.push_str("# The header as the profile found it; None marks an empty header cell.\n");
    let _ = writeln!(code, "HEADER_CELLS = [{}]", header_cells.join(", "));
    code.push_str("# The column names the program uses (repeated names made unique).\n");
    let _ = writeln!(code, "COLUMNS = {}", py_list(&names));
    let _ = writeln!(code, "NUMERIC_COLUMNS = {}", py_list(&numeric));
    let _ = writeln!(
        code,
        "HEADER_ROW = {}",
        sheet
            .header_row
            .map_or("None".to_string(), |r| r.to_string())
    );
    let _ = writeln!(code, "FIRST_ROW = {}", sheet.first_row);
    let _ = writeln!(code, "FIRST_COL = {first_col}");
    let _ = writeln!(code, "DATA_ROWS = {}", sheet.data_rows);
    let decimal = file
        .csv
        .as_ref()
        .filter(|_| file.format.is_text())
        .map_or('.', |d| d.decimal);
    let _ = writeln!(code, "DECIMAL = {}", py_str(&decimal.to_string()));
    code.push_str(PRELUDE);
    let mut helpers: Vec<&str> = Vec::new();
    for op in operations {
        let python = op.python();
        if !python.is_empty() && !helpers.contains(&python) {
            helpers.push(python);
            code.push_str(python);
        }
    }
    code.push_str("\n\n# Read the input.\n");
    if file.format.is_text() {
        let dialect = file.csv.clone();
        let delimiter = dialect.as_ref().map_or(
            if file.format == FileFormat::Tsv {
                '\t'
            } else {
                ','
            },
            |d| d.delimiter,
        );
        let quote = dialect.as_ref().map_or('"', |d| d.quote);
        let encoding = match &dialect {
            Some(d) if d.has_bom && d.encoding.replace('_', "-").eq_ignore_ascii_case("utf-8") => {
                "utf-8-sig".to_string()
            }
            Some(d) => d.encoding.clone(),
            None => "utf-8".to_string(),
        };
        let _ = writeln!(
            code,
            "raw = pd.read_csv(INPUT_PATH, sep={}, quotechar={}, encoding={}, header=None, \
             dtype=str,\n                  keep_default_na=False, na_values=[\"\"], \
             skip_blank_lines=False)",
            py_str(&delimiter.to_string()),
            py_str(&quote.to_string()),
            py_str(&encoding)
        );
        code.push_str("sheets = {TARGET_SHEET: raw}\n");
    } else {
        let _ = writeln!(
            code,
            "sheets = pd.read_excel(INPUT_PATH, sheet_name=None, header=None, engine={})",
            py_str(engine(file.format))
        );
    }
    code.push_str(
        "if TARGET_SHEET not in sheets:\n    raise ValueError(\"The sheet \" + repr(TARGET_SHEET) + \" is not in the input file.\")\n",
    );
    code.push_str("df = load_table(sheets[TARGET_SHEET])\n");
    code.push_str("steps = []\nnew_sheets = []  # (sheet name, frame, index label or None)\n");

    for (number, op) in operations.iter().enumerate() {
        let mut body = String::new();
        let step = op.emit(&mut body, &mut taken);
        let used: Vec<String> = op.columns_used().iter().map(|c| py_str(c)).collect();
        let _ = write!(code, "\n# Step {}: {}.", number + 1, comment_text(&step));
        if !used.is_empty() {
            let _ = write!(code, " Columns: {}.", used.join(", "));
        }
        code.push('\n');
        code.push_str(&body);
        steps.push(step);
    }

    code.push_str(
        r#"
# Write the workbook: the target sheet transformed, the other sheets unchanged, then
# the new sheets.
shapes = {}
with pd.ExcelWriter(output_path("#,
    );
    code.push_str(&py_str(OUTPUT_FILE));
    code.push_str(
        r#"), engine="openpyxl") as writer:
    for name, frame in sheets.items():
        if name == TARGET_SHEET:
            df.to_excel(writer, sheet_name=OUTPUT_SHEET, index=False)
            shapes[OUTPUT_SHEET] = {"rows": int(df.shape[0]), "columns": int(df.shape[1])}
        else:
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
            shapes[name] = {"rows": int(frame.shape[0]), "columns": int(frame.shape[1])}
    for name, frame, index_label in new_sheets:
        frame.to_excel(writer, sheet_name=name, index=index_label is not None,
                       index_label=index_label)
        shapes[name] = {"rows": int(frame.shape[0]), "columns": int(frame.shape[1])}

result = {"steps": steps, "target_sheet": OUTPUT_SHEET, "sheets": shapes}
pd.Series(result, dtype=object).to_json(output_path("#,
    );
    code.push_str(&py_str(RESULT_FILE));
    code.push_str("), force_ascii=False, indent=2)\n");

    Plan {
        code,
        generator: GENERATOR_NAME.to_string(),
        steps,
        output: Some(OUTPUT_FILE.to_string()),
    }
}

/// Text for a comment line: anything that could end the line is escaped the way a
/// string literal would escape it.
fn comment_text(text: &str) -> String {
    let quoted = py_str(text);
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_cannot_break_out() {
        assert_eq!(py_str(r#"x"]; import os #"#), r#""x\"]; import os #""#);
        assert_eq!(py_str("a\\b"), r#""a\\b""#);
        assert_eq!(py_str("line\nimport os"), r#""line\nimport os""#);
        assert_eq!(py_str("sep\u{2028}x\u{85}"), r#""sep\u2028x\u0085""#);
        assert_eq!(py_str("销售额"), "\"销售额\"");
        assert!(!comment_text("a\nb\rc").contains(['\n', '\r']));
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        let taken = vec!["Sales".to_string(), "Revenue by Region".to_string()];
        assert_eq!(
            sheet_name("Revenue by Region", &taken),
            "Revenue by Region (2)"
        );
        assert_eq!(sheet_name("a/b [c]: *d?", &taken), "a b c d");
        let long = "Average Unit Price Including Tax by Customer Segment";
        let name = sheet_name(long, &taken);
        assert!(name.chars().count() <= 31, "{name}");
        assert_eq!(sheet_name("sales", &taken), "sales (2)");
        assert_eq!(sheet_name("''", &taken), "Sheet");
    }

    #[test]
    fn header_cells_undo_profile_naming() {
        let earlier = vec!["name".to_string()];
        assert_eq!(header_cell("column_3", &[]), None);
        assert_eq!(header_cell("name.1", &earlier).as_deref(), Some("name"));
        assert_eq!(header_cell("v.1", &earlier).as_deref(), Some("v.1"));
        assert_eq!(header_cell("Revenue", &[]).as_deref(), Some("Revenue"));
    }
}
