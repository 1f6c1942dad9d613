//! Remove blank rows: "remove empty rows", "delete blank rows", "drop the rows that are
//! empty". A row is blank when no cell of the table holds a value (a cell of spaces only
//! counts as empty); the rows below move up, as when Excel deletes rows.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::tokens::{Token, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "remove blank rows",
    precedence: 0,
    recognise,
};

/// Remove the rows of the table that hold no value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlankRows;

pub(crate) const PYTHON: &str = r#"

def is_blank_cell(value):
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and value.strip() == "")


def remove_blank_rows(frame, step):
    """The table without its blank rows: rows with no cell at all (which the script
    otherwise keeps at the end of the table) and rows whose cells are all empty or
    spaces. The script leaves them out, so the workbook deletes them."""
    blank = pd.Series(True, index=frame.index)
    own = [name for name in frame.columns if not any(c["header"] == name for c in added)]
    for name in own:
        blank &= frame[name].map(is_blank_cell).astype(bool)
    removed = int(blank.sum()) + len(PLACE["blank"])
    frame = frame.loc[~blank]
    PLACE["blank"] = []
    PLACE["blank_set"] = set()
    PLACE["blank_frame"] = PLACE["blank_frame"].iloc[0:0]
    steps[step] += " (" + str(removed) + (" row" if removed == 1 else " rows") + " removed)"
    return frame
"#;

impl Operation for BlankRows {
    fn summary(&self) -> String {
        "remove blank rows".into()
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

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = "Removed the blank rows".to_string();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(code, "df = remove_blank_rows(df, step=len(steps) - 1)");
        step
    }
}

fn recognise(tokens: &[Token], _columns: &[Column]) -> Recognised {
    let (_, n) = longest_prefix(tokens, vocab::REMOVE_LEAD)?;
    let rest = strip_leading(&tokens[n..], vocab::BLANK_ROWS_LEAD);
    let rest = strip_trailing(rest, vocab::BLANK_ROWS_TRAIL);
    let (_, k) = longest_prefix(rest, vocab::BLANK_ROWS)?;
    (k == rest.len()).then(|| found(BlankRows)).flatten()
}
