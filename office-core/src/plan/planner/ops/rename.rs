//! Rename a column: "rename Cost to Unit Cost", "change the name of Qty to
//! "Quantity"", "rename the column Region as Area". The header cell gets the new name;
//! later steps know the column by it.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{Kind, Token, joined, longest_prefix};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "rename a column",
    precedence: 0,
    recognise,
};

/// The column `column`, named `name` from now on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rename {
    pub(crate) column: Column,
    pub(crate) name: String,
}

pub(crate) const PYTHON: &str = r#"

def rename_column(frame, old, new):
    """The column `old` named `new`: its header cell is set (the table needs a header
    row), and later steps know it by the new name."""
    if PLACE["header_row"] is None:
        raise ValueError("The table has no header row, so the column " + repr(old) + " cannot be renamed.")
    letter = PLACE["letters"].pop(old)
    PLACE["letters"][new] = letter
    PLACE["blank_frame"] = PLACE["blank_frame"].rename(columns={old: new})
    for column in added:
        if column["header"] == old:
            column["header"] = new  # a column a step before added: its own header
            break
    else:
        header_cells.append({"cell": letter + str(PLACE["header_row"]), "value": new})
    return frame.rename(columns={old: new})
"#;

impl Operation for Rename {
    fn summary(&self) -> String {
        format!("rename column {} to {}", self.column.name, self.name)
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn renamed(&self) -> Option<(String, String)> {
        Some((self.column.name.clone(), self.name.clone()))
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Renamed column {} to {}", self.column.name, self.name);
        let _ = writeln!(
            code,
            "df = rename_column(df, {}, {})",
            py_str(&self.column.name),
            py_str(&self.name)
        );
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (_, n) = longest_prefix(tokens, vocab::RENAME_VERBS)?;
    let rest = &tokens[n..];
    // The last join word with words on both sides: "rename Cost to Unit Cost".
    let at = (1..rest.len().saturating_sub(1))
        .rev()
        .find(|&i| vocab::RENAME_TO.iter().any(|w| rest[i].is_word(w)))?;
    let new = &rest[at + 1..];
    let name = match new {
        [t] if t.kind == Kind::Quoted => t.text.trim().to_string(),
        words if words.iter().all(|t| matches!(t.kind, Kind::Word | Kind::Number)) => {
            joined(words)
        }
        _ => return None,
    };
    let column = match column_result(strip_column_words(&rest[..at]), columns) {
        Ok(column) => column,
        Err(e) => return Some(Err(e)),
    };
    if name.is_empty() {
        return None;
    }
    if let Some(existing) = columns.iter().find(|c| {
        c.name != column.name && c.name.trim().eq_ignore_ascii_case(name.trim())
    }) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose another name",
                existing.name
            ),
        )));
    }
    found(Rename { column, name })
}
