//! The table with rows and columns swapped, into a new sheet (Excel's Paste Special ›
//! Transpose): "transpose the table", "swap rows and columns". The headers become the
//! first column and the first column's cells the top row (as text, as headers are); the
//! sheet holds values, and the table stays as it is.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::{py_str, sheet_name};
use crate::plan::planner::columns::Column;
use crate::plan::planner::tokens::{Token, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "transpose the table",
    precedence: 1,
    recognise,
};

/// Rows and columns swapped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transpose;

pub(crate) const PYTHON: &str = r#"

def transpose_sheet(frame, name, step):
    """A new sheet with a row per column of the table: its header, then its cells."""
    if len(frame) + 1 > 16384:
        raise ValueError("The table has " + str(len(frame)) + " rows; transposed, they would be more "
                         + "columns than a sheet holds (16,384).")
    columns = list(frame.columns)
    top = [str(columns[0])] + ["" if v is None or (isinstance(v, float) and np.isnan(v))
                               else str(cell_value(v)) for v in frame[columns[0]]]
    new_sheets.append({
        "name": name, "step": step, "kind": "values", "columns": top,
        "rows": [[str(c)] + [cell_value(v) for v in frame[c]] for c in columns[1:]],
    })
"#;

impl Operation for Transpose {
    fn summary(&self) -> String {
        "transpose the table".into()
    }

    fn columns_used(&self) -> Vec<String> {
        Vec::new()
    }

    fn names_a_column(&self) -> bool {
        false
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let name = sheet_name("Transposed", taken);
        taken.push(name.clone());
        let step = format!("Transposed the table into sheet '{name}'");
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "transpose_sheet(df, {}, step=len(steps) - 1)",
            py_str(&name)
        );
        step
    }
}

fn recognise(tokens: &[Token], _columns: &[Column]) -> Recognised {
    let tokens = strip_trailing(tokens, vocab::NEW_SHEET_SUFFIXES);
    let (_, n) = longest_prefix(tokens, vocab::TRANSPOSE_VERBS)?;
    strip_leading(&tokens[n..], vocab::TRANSPOSE_WHAT)
        .is_empty()
        .then(|| found(Transpose))
        .flatten()
}
