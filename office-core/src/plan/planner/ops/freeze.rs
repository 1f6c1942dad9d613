//! Freeze the header row (and the first column) so they stay in view: "freeze the
//! header", "freeze the top row", "freeze the first column".

use super::{OpKind, Operation, Recognised, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::tokens::{Token, starts_with_phrase};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "freeze",
    precedence: 0,
    recognise,
};

/// Freeze the rows down to the header, and or the table's first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Freeze {
    pub(crate) header: bool,
    pub(crate) first_column: bool,
}

impl Operation for Freeze {
    fn summary(&self) -> String {
        match (self.header, self.first_column) {
            (true, true) => "freeze the header row and the first column".into(),
            (false, true) => "freeze the first column".into(),
            _ => "freeze the header row".into(),
        }
    }

    fn columns_used(&self) -> Vec<String> {
        Vec::new()
    }

    fn names_a_column(&self) -> bool {
        false
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let mut step = self.summary();
        step.replace_range(..6, "Froze");
        let _ = writeln!(
            code,
            "looks.append({{\"kind\": \"freeze\", \"rows\": (PLACE[\"header_row\"] or 0) if {} else 0, \"cols\": PLACE[\"first_col\"] if {} else 0}})",
            py_bool(self.header),
            py_bool(self.first_column)
        );
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        step
    }
}

/// The whole clause is one of `phrases`.
pub(crate) fn whole(tokens: &[Token], phrases: &[&str]) -> bool {
    phrases
        .iter()
        .any(|p| starts_with_phrase(tokens, p) == Some(tokens.len()))
}

fn recognise(tokens: &[Token], _columns: &[Column]) -> Recognised {
    if whole(tokens, vocab::FREEZE_HEADER) {
        return found(Freeze {
            header: true,
            first_column: false,
        });
    }
    if whole(tokens, vocab::FREEZE_COLUMN) {
        return found(Freeze {
            header: false,
            first_column: true,
        });
    }
    None
}
