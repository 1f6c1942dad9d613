//! Summary statistics in a new sheet: "describe", "summary statistics of revenue and
//! cost", "show basic stats".

use super::{OpKind, Operation, Recognised, col, column_names, found, names};
use crate::plan::planner::codegen::{py_str, sheet_name};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::column_list;
use crate::plan::planner::tokens::{Kind, Token, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "describe",
    precedence: 0,
    recognise,
};

/// Summary statistics of the given columns (numeric columns when empty), in a new sheet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Describe {
    pub(crate) columns: Vec<Column>,
}

impl Operation for Describe {
    fn summary(&self) -> String {
        if self.columns.is_empty() {
            "summary statistics of the numeric columns".to_string()
        } else {
            format!("summary statistics of {}", names(&self.columns))
        }
    }

    fn columns_used(&self) -> Vec<String> {
        column_names(&self.columns)
    }

    fn names_a_column(&self) -> bool {
        !self.columns.is_empty()
    }

    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let name = sheet_name("Summary statistics", taken);
        taken.push(name.clone());
        let step = if self.columns.is_empty() {
            format!("Summary statistics of the numeric columns into sheet '{name}'")
        } else {
            format!(
                "Summary statistics of {} into sheet '{name}'",
                column_names(&self.columns).join(", ")
            )
        };
        if self.columns.is_empty() {
            code.push_str(
                "subset = pd.DataFrame({c: as_number(df[c]) for c in TABLE[\"numeric\"]}, index=df.index)\n",
            );
            code.push_str(
                "stats = subset.describe() if subset.shape[1] else df.describe(include=\"all\")\n",
            );
        } else {
            let parts: Vec<String> = self
                .columns
                .iter()
                .map(|c| {
                    let value = if c.is_numeric() {
                        format!("as_number({})", col(&c.name))
                    } else {
                        col(&c.name)
                    };
                    format!("{}: {value}", py_str(&c.name))
                })
                .collect();
            let _ = writeln!(
                code,
                "subset = pd.DataFrame({{{}}}, index=df.index)",
                parts.join(", ")
            );
            code.push_str("stats = subset.describe(include=\"all\")\n");
        }
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "describe_sheet(df, {}, stats, step=len(steps) - 1)",
            py_str(&name)
        );
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let rest = strip_leading(tokens, vocab::DESCRIBE_LEAD);
    let (_, n) = longest_prefix(rest, vocab::DESCRIBE_WORDS)?;
    let rest = strip_trailing(&rest[n..], vocab::NEW_SHEET_SUFFIXES);
    // "summary of revenue by region" is an aggregation, not a description.
    if rest.iter().any(|t| t.is_word("by") || t.is_word("per")) {
        return None;
    }
    let rest = strip_leading(rest, vocab::DESCRIBE_OF);
    if rest
        .iter()
        .all(|t| t.kind == Kind::Word && vocab::ALL_COLUMNS_WORDS.contains(&t.lower.as_str()))
    {
        return found(Describe {
            columns: Vec::new(),
        });
    }
    match column_list(rest, columns) {
        Ok(columns) => found(Describe { columns }),
        Err(e) => Some(Err(e)),
    }
}
