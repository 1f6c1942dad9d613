//! A row of totals below the table: "sum the Sales and COGS in a new row called Total",
//! "add a total row", "average of price and cost in a row below", "add a row of averages
//! for revenue". Each cell is a formula over the column's data rows (`=SUM(B2:B11)`),
//! its result cached; the label goes in the first text column left out.

use super::{OpKind, Operation, Recognised, found, names};
use crate::plan::planner::codegen::{py_list, py_str};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_list};
use crate::plan::planner::tokens::{
    Kind, Token, find_entries, find_phrases, joined, longest_entry, longest_prefix, strip_leading,
};
use crate::plan::planner::vocab::{self, AggFunc};
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "add a total row",
    precedence: 2,
    recognise,
};

/// A row below the table with `func` of each of `columns`, labelled `label` in
/// `label_column` (when the table has a column to hold it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TotalRow {
    pub(crate) func: AggFunc,
    pub(crate) columns: Vec<Column>,
    pub(crate) label: String,
    pub(crate) label_column: Option<String>,
    /// Whether the request named the columns (else: every number column).
    pub(crate) named: bool,
    /// "count them" after a true/false column: the TRUE cells (`COUNTIF(..., TRUE)`).
    pub(crate) trues: bool,
}

impl TotalRow {
    /// Excel's function for the row's cells over a column of this type.
    fn excel(&self, column: &Column) -> &'static str {
        match self.func {
            AggFunc::Sum => "SUM",
            AggFunc::Mean => "AVERAGE",
            AggFunc::Median => "MEDIAN",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
            AggFunc::Count if self.trues && column.dtype == ColumnType::Boolean => "COUNTIF",
            AggFunc::Count if column.is_numeric() => "COUNT",
            AggFunc::Count => "COUNTA",
        }
    }
}

impl Operation for TotalRow {
    fn summary(&self) -> String {
        format!(
            "add a row '{}' with the {} of {}",
            self.label,
            self.func.pandas(),
            names(&self.columns)
        )
    }

    fn columns_used(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    fn names_a_column(&self) -> bool {
        self.named
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!(
            "Added a row '{}' below the table with the {} of {}",
            self.label,
            self.func.pandas(),
            names(&self.columns)
        );
        let funcs: Vec<String> = self
            .columns
            .iter()
            .map(|c| self.excel(c).to_string())
            .collect();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "totals.append({{\"label\": {}, \"label_column\": {}, \"columns\": {}, \
             \"functions\": {}, \"step\": len(steps) - 1}})",
            py_str(&self.label),
            self.label_column
                .as_deref()
                .map_or("None".to_string(), py_str),
            py_list(&self.columns_used()),
            py_list(&funcs),
        );
        step
    }
}

/// The label a row of `func` gets unless the request names it.
fn default_label(func: AggFunc) -> &'static str {
    match func {
        AggFunc::Sum => "Total",
        other => other.label(),
    }
}

/// The row's label: a quoted text, or the words after 'called' / 'named'; `None` when
/// something else follows.
fn label_of(tokens: &[Token]) -> Option<Option<String>> {
    if tokens.is_empty() {
        return Some(None);
    }
    let named = strip_leading(tokens, vocab::COMPUTE_NAMED);
    match named {
        [one] if one.kind == Kind::Quoted => Some(Some(one.text.trim().to_string())),
        words
            if named.len() < tokens.len()
                && !words.is_empty()
                && words.iter().all(|t| matches!(t.kind, Kind::Word | Kind::Number)) =>
        {
            Some(Some(joined(words)))
        }
        _ => None,
    }
}

/// The columns of the row: named ones (up to "for all weeks"), or every number column.
fn row_columns(tokens: &[Token], columns: &[Column]) -> Result<(Vec<Column>, bool), ClauseError> {
    let end = (0..tokens.len())
        .find(|&i| {
            vocab::ALL_ROWS_LEAD.iter().any(|w| tokens[i].is_word(w))
                && find_phrases(&tokens[i + 1..], vocab::ALL_ROWS_WORDS)
                    .first()
                    .is_some_and(|&(at, _, _)| at == 0)
        })
        .unwrap_or(tokens.len());
    let tokens = strip_leading(&tokens[..end], &["the", "all", "columns", "everything"]);
    if tokens.is_empty() {
        let numbers: Vec<Column> = columns.iter().filter(|c| c.is_numeric()).cloned().collect();
        if numbers.is_empty() {
            return Err(ClauseError::new(
                FailCode::InvalidOperation,
                "the table has no number column to total".into(),
            ));
        }
        return Ok((numbers, false));
    }
    Ok((column_list(tokens, columns)?, true))
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let (func, value_tokens, label_tokens) = if let Some(&(at, _, n)) =
        find_phrases(tokens, vocab::TOTAL_ROW_PLACES).first()
    {
        // "sum the Sales and COGS in a new row called Total"
        let before = strip_leading(&tokens[..at], vocab::TOTAL_ROW_LEAD);
        let (func, k) = longest_entry(before, vocab::AGGREGATES)?;
        (func, &before[k..], &tokens[at + n..])
    } else {
        // "add a total row for Sales called Grand Total"
        let &(at, func, n) = find_entries(tokens, vocab::TOTAL_ROW_NOUNS).first()?;
        if !strip_leading(&tokens[..at], vocab::TOTAL_ROW_LEAD).is_empty() {
            return None;
        }
        let after = &tokens[at + n..];
        let named_at = (0..after.len())
            .find(|&i| {
                after[i].kind == Kind::Quoted
                    || vocab::COMPUTE_NAMED.iter().any(|w| after[i].is_word(w))
            })
            .unwrap_or(after.len());
        let values = strip_leading(&after[..named_at], vocab::TOTAL_ROW_OF);
        (func, values, &after[named_at..])
    };
    // "... to get the total number of high periods": what the row is for, not a label.
    let label_tokens = match longest_prefix(label_tokens, vocab::TOTAL_ROW_PURPOSE) {
        Some(_) => &label_tokens[..0],
        None => label_tokens,
    };
    // "count them": the column the step before added.
    let them = longest_prefix(value_tokens, vocab::TOTAL_ROW_THEM)
        .is_some_and(|(_, n)| n == value_tokens.len());
    if them {
        let last = columns
            .iter()
            .filter(|c| c.seen.index.is_some())
            .max_by_key(|c| c.seen.index)?;
        // Labelled only when the request names the row.
        let (label, label_column) = match label_of(label_tokens) {
            Some(Some(label)) => (label, label_column_for(columns, std::slice::from_ref(last))),
            Some(None) => (default_label(func).to_string(), None),
            None => return None,
        };
        return found(TotalRow {
            func,
            columns: vec![last.clone()],
            label,
            label_column,
            named: true,
            trues: func == AggFunc::Count && last.dtype == ColumnType::Boolean,
        });
    }
    let label = match label_of(label_tokens) {
        Some(label) => label.unwrap_or_else(|| default_label(func).to_string()),
        None => return None,
    };
    let (chosen, named) = match row_columns(value_tokens, columns) {
        Ok(found) => found,
        Err(e) => return Some(Err(e)),
    };
    if func != AggFunc::Count
        && let Some(text) = chosen.iter().find(|c| !c.is_numeric())
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "the {} row needs numbers, and column '{}' does not hold numbers",
                func.pandas(),
                text.name
            ),
        )));
    }
    let label_column = label_column_for(columns, &chosen);
    found(TotalRow {
        func,
        columns: chosen,
        label,
        label_column,
        named,
        trues: false,
    })
}

/// Where the row's label goes: the first text column left out, else the first left out.
fn label_column_for(columns: &[Column], chosen: &[Column]) -> Option<String> {
    columns
        .iter()
        .filter(|c| !chosen.contains(c))
        .find(|c| c.dtype == ColumnType::Text)
        .or_else(|| columns.iter().find(|c| !chosen.contains(c)))
        .map(|c| c.name.clone())
}
