//! An autofilter on the table, its buttons on the header row: "add a filter", "turn on
//! filters", "add an autofilter".

use super::freeze::whole;
use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::tokens::Token;
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "add a filter",
    precedence: 0,
    recognise,
};

/// Filter buttons on the table's header, over all its rows and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AutoFilter;

impl Operation for AutoFilter {
    fn summary(&self) -> String {
        "add a filter to the header row".into()
    }

    fn columns_used(&self) -> Vec<String> {
        Vec::new()
    }

    fn names_a_column(&self) -> bool {
        false
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = "Added a filter to the header row".to_string();
        code.push_str("looks.append({\"kind\": \"filter\"})\n");
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        step
    }
}

fn recognise(tokens: &[Token], _columns: &[Column]) -> Recognised {
    whole(tokens, vocab::AUTOFILTER).then(|| found(AutoFilter))?
}
