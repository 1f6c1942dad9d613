//! Operations -> a readable, deterministic pandas program.
//!
//! The program reads the target sheet's cells with their coordinates (calamine, A1 at
//! [0][0]; text files record by record, all cells text), finds the header by matching
//! the profile's column names, keeps each data row's sheet row as the frame's index,
//! applies the operations in order, and writes the edit script `edits.json` (the rows
//! kept in output order, columns added as formulas with cached values, new sheets with
//! formulas over the output rows) and `result.json`. It never writes the workbook: the
//! trusted side applies the script to the input in place (`book`).
//!
//! Every name and value from the user or the file reaches the program only as a
//! string literal made by `py_str`, in code and in comments alike.

use super::ops::Operation;
use super::tables::excel_table_spec;
use super::{GENERATOR_NAME, RESULT_FILE};
use crate::book::edits::EDITS_FILE;
use crate::plan::Plan;
use crate::profile::{FileProfile, SheetProfile};
use std::fmt::Write as _;

/// A Python string literal for any text: a double-quoted literal with backslash, quote
/// and every control or line-breaking character escaped, so no text can end the
/// literal or the line it is on.
pub(crate) fn py_str(text: &str) -> String {
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
pub(crate) fn py_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Excel's rules for a sheet name, unique (case-insensitively) among `taken`; `Sheet`
/// when nothing of `wanted` can stay.
pub(crate) fn sheet_name(wanted: &str, taken: &[String]) -> String {
    crate::book::workbook::unique_sheet_name(wanted, taken, "Sheet")
}

/// The header cells the raw sheet holds for the profile's column names, as Python
/// literals (`None` where the cell is empty); the program finds the header row by them.
pub(crate) fn header_cells(names: &[String]) -> Vec<String> {
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

/// The Excel program's own helpers, then the table loader every kind's program shares.
const PRELUDE: &str = concat!(include_str!("excel.py"), include_str!("tables.py"));

/// The program's imports (the loader reads workbooks with calamine, text files with `csv`).
const IMPORTS: &str = "import csv\nimport datetime\nimport json\nimport os\n\n\
                       import numpy as np\nimport pandas as pd\nimport python_calamine\n\n";

/// The program, its steps in words, and the output it writes: the edit script
/// (`edits.json`), never the workbook, which the trusted side edits in place from it.
pub(crate) fn build_plan(
    file: &FileProfile,
    sheet: &SheetProfile,
    operations: &[Box<dyn Operation>],
    prompt: &str,
) -> Plan {
    let mut code = String::new();
    let mut steps: Vec<String> = Vec::new();
    let mut taken: Vec<String> = file.sheets.iter().map(|s| s.name.clone()).collect();
    let output_sheet = if file.format.is_text() {
        let name = sheet_name(&sheet.name, &[]);
        taken.push(name.clone());
        name
    } else {
        sheet.name.clone()
    };

    code.push_str(&program_head(file, sheet, prompt));
    code.push_str(IMPORTS);
    code.push_str("INPUT_PATH = os.environ[\"INPUT_PATH\"]\n");
    code.push_str("OUTPUT_DIR = os.environ[\"OUTPUT_DIR\"]\n");
    let _ = writeln!(code, "EDITS_FILE = {}", py_str(EDITS_FILE));
    let _ = writeln!(code, "RESULT_FILE = {}", py_str(RESULT_FILE));
    let _ = writeln!(code, "TARGET_SHEET = {}", py_str(&sheet.name));
    let _ = writeln!(code, "OUTPUT_SHEET = {}", py_str(&output_sheet));
    code.push_str("# Where the table is, as the profile found it.\n");
    let _ = writeln!(code, "TABLE = {}", excel_table_spec(file, sheet));
    code.push_str(PRELUDE);
    let mut helpers: Vec<&str> = Vec::new();
    for op in operations {
        let python = op.python();
        if !python.is_empty() && !helpers.contains(&python) {
            helpers.push(python);
            code.push_str(python);
        }
    }
    code.push_str(
        "\n\n# Read the table: each row indexed by its sheet row, each column with its letter.\n",
    );
    code.push_str("df, PLACE = sheet_table(INPUT_PATH, TABLE)\n");
    code.push_str(
        "steps = []\nadded = []  # columns right of the table\nnew_sheets = []\n\
         looks = []  # formats, highlights, panes, the filter, charts\n\
         totals = []  # rows of totals below the table\n\
         header_cells = []  # header cells renamed\n\
         fills = []  # empty cells filled, by input row\n",
    );

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
        "\n# Write the edit script: the rows kept in output order, the columns added, the new\n\
         # sheets. The workbook itself is edited in place from it, everything else untouched.\n\
         write_edits(df)\n",
    );

    Plan {
        code,
        generator: GENERATOR_NAME.to_string(),
        steps,
        output: Some(EDITS_FILE.to_string()),
    }
}

/// The comment lines a program opens with: who wrote it, the request, the input.
fn program_head(file: &FileProfile, sheet: &SheetProfile, prompt: &str) -> String {
    let mut code = String::new();
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
    code
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
