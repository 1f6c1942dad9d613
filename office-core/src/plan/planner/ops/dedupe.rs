//! Remove duplicate rows: "remove duplicates", "dedupe by email", "drop duplicate rows
//! based on name and city".

use super::{OpKind, Operation, Recognised, column_names, found, names};
use crate::plan::planner::codegen::{py_list, py_str};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::column_list;
use crate::plan::planner::tokens::{Token, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "remove duplicates",
    precedence: 1,
    recognise,
};

/// Remove duplicate rows, comparing the given columns (all columns when empty);
/// the first row of each group of duplicates stays.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dedupe {
    pub(crate) columns: Vec<Column>,
}

impl Operation for Dedupe {
    fn summary(&self) -> String {
        if self.columns.is_empty() {
            "remove duplicate rows (all columns)".to_string()
        } else {
            format!("remove duplicate rows by {}", names(&self.columns))
        }
    }

    fn columns_used(&self) -> Vec<String> {
        column_names(&self.columns)
    }

    fn names_a_column(&self) -> bool {
        !self.columns.is_empty()
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let (subset, step) = if self.columns.is_empty() {
            (
                "None".to_string(),
                "Removed duplicate rows (all columns), keeping the first of each".to_string(),
            )
        } else {
            let names = column_names(&self.columns);
            (
                py_list(&names),
                format!(
                    "Removed duplicate rows by {}, keeping the first of each",
                    names.join(", ")
                ),
            )
        };
        code.push_str("rows_before = len(df)\n");
        let _ = writeln!(
            code,
            "df = df.drop_duplicates(subset={subset}, keep=\"first\")"
        );
        let _ = writeln!(
            code,
            "steps.append({} + \": \" + str(rows_before - len(df)) + \" removed\")",
            py_str(&step)
        );
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let rest = strip_leading(tokens, vocab::DEDUPE_LEAD);
    let (_, n) = longest_prefix(rest, vocab::DUPLICATE_WORDS)?;
    let rest = strip_leading(&rest[n..], vocab::DEDUPE_ROWS);
    let rest = strip_leading(rest, vocab::DEDUPE_BY);
    let rest = strip_trailing(rest, &["only"]);
    if rest.is_empty() {
        return found(Dedupe {
            columns: Vec::new(),
        });
    }
    match column_list(rest, columns) {
        Ok(columns) => found(Dedupe { columns }),
        Err(e) => Some(Err(e)),
    }
}
