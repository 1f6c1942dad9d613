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
use super::tables::excel_table_spec;
use super::{GENERATOR_NAME, OUTPUT_FILE, RESULT_FILE};
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

/// Excel's rules for a sheet name: at most 31 characters, none of `[]:*?/\`, not
/// empty, no leading or trailing apostrophe, unique (case-insensitively) in the book.
pub(crate) fn sheet_name(wanted: &str, taken: &[String]) -> String {
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

/// The program, its steps in words, and the output it writes.
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
    code.push_str("\n\n# Read the input.\n");
    code.push_str("sheets = read_input(INPUT_PATH, TABLE, all_sheets=True)\n");
    code.push_str(
        "if TARGET_SHEET not in sheets:\n    raise ValueError(\"The sheet \" + repr(TARGET_SHEET) + \" is not in the input file.\")\n",
    );
    code.push_str("df = table_from_raw(sheets[TARGET_SHEET], TABLE)\n");
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
