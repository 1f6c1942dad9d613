//! A pivot into a new sheet: one row per value of one column, one column per value of
//! another, each cell the aggregate of the rows with both: "pivot total Revenue by
//! Region and Product", "pivot table of average Price with Category as rows and Year as
//! columns", "cross tab of count by weather and month". Each cell is a formula over the
//! output rows (`SUMIFS(value, rows, $A2, columns, B$1)` and its kin) with its result
//! cached, so it follows the data; a pair with no rows stays empty. Where no formula
//! computes exactly what pandas did (a median, keys Excel would match differently) the
//! sheet holds values, as its step says.

use super::aggregate::{MeasureArgs, value_column};
use super::{OpKind, Operation, Recognised, found, py_bool};
use crate::plan::planner::codegen::{py_str, sheet_name};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Token, find_phrases, longest_entry, longest_prefix, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab::{self, AggFunc};
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "pivot table",
    precedence: 3,
    recognise,
};

/// The most columns a pivot sheet gets (distinct values of `across`).
const MAX_COLUMNS: usize = 200;

/// `func` of `value` (`None`: count rows) for each pair of `down` × `across` values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pivot {
    pub(crate) func: AggFunc,
    pub(crate) value: Option<Column>,
    /// Its values head the rows.
    pub(crate) down: Column,
    /// Its values head the columns.
    pub(crate) across: Column,
}

pub(crate) const PYTHON: &str = r#"

def pivot_sheet(frame, name, down, across, value, func, dates, step, most):
    """A new sheet: a row per value of `down`, a column per value of `across`, each cell
    the aggregate of `value` (None: count rows) over the rows with both."""
    keys = [frame[down], frame[across]]
    if value is None:
        grouped = frame[down].groupby(keys, dropna=False).size()
    elif func == "count":
        grouped = frame[value].map(lambda v: v is not None).groupby(keys, dropna=False).sum()
    else:
        convert = as_date if dates else as_number
        grouped = AGGREGATES[func](convert(frame[value]).groupby(keys, dropna=False))

    def ordered(values):
        seen = list(dict.fromkeys(None if pd.isna(v) else v for v in values))
        try:
            return sorted(seen, key=lambda v: (v is None, v))
        except TypeError:
            return seen

    down_keys, across_keys = ordered(frame[down]), ordered(frame[across])
    if len(across_keys) > most:
        raise ValueError("The column " + repr(across) + " holds " + str(len(across_keys))
                         + " different values, more columns than a pivot sheet gets (" + str(most)
                         + "); pivot it the other way round, with " + repr(across) + " as rows.")
    found = {}
    for (d, a), result in grouped.items():
        found[(None if pd.isna(d) else d, None if pd.isna(a) else a)] = result
    table = [[found.get((d, a)) for a in across_keys] for d in down_keys]
    new_sheets.append({
        "name": name, "step": step, "kind": "pivot", "rows_then": set(frame.index),
        "columns": [down] + ["(empty)" if a is None else str(cell_value(a)) for a in across_keys],
        "down": down, "across": across, "value": value, "func": func,
        "down_keys": down_keys, "across_keys": across_keys, "table": table,
        "cells": {down: list(frame[down]), across: list(frame[across]),
                  value: None if value is None else list(frame[value])},
    })


def pivot_rows(sheet):
    return [[cell_value(d)] + [None if r is None or pd.isna(r) else cell_value(r) for r in row]
            for d, row in zip(sheet["down_keys"], sheet["table"])]


def pivot_formulas(sheet, frame):
    """The formulas of a pivot sheet, or None (with the step saying why)."""
    func, value, down, across = sheet["func"], sheet["value"], sheet["down"], sheet["across"]
    if not aggregate_formulas_fit(sheet, frame, [down, across]):
        return None
    # The column keys are read from the header cells, which hold text: numbers match
    # their text as criteria, dates would not.
    if any(isinstance(a, (pd.Timestamp, bool, np.bool_)) for a in sheet["across_keys"]):
        values_note(sheet["step"], repr(across) + " holds dates or true/false values, which header cells hold as text")
        return None
    if PLACE["range_rows"] == 0:
        return None
    if PLACE["blanks_in_range"] and (None in sheet["down_keys"] or None in sheet["across_keys"]):
        values_note(sheet["step"], "an empty key would also match the blank rows inside the table")
        return None
    rows_range, across_range = data_range(down), data_range(across)
    formulas = []
    for i, d in enumerate(sheet["down_keys"]):
        line = [None]
        for j, a in enumerate(sheet["across_keys"]):
            row_criteria = '""' if d is None else "$A" + str(i + 2)
            col_criteria = '""' if a is None else column_letter(j + 2) + "$1"
            pair = rows_range + "," + row_criteria + "," + across_range + "," + col_criteria
            if value is None:
                formula = "=COUNTIFS(" + pair + ")"
            elif func == "count":
                formula = "=COUNTIFS(" + pair + "," + data_range(value) + ',"<>")'
            else:
                formula = "=" + GROUP_FORMULAS[func] + "(" + data_range(value) + "," + pair + ")"
            result = sheet["table"][i][j]
            line.append(None if result is None or pd.isna(result) else formula)
        formulas.append(line)
    return formulas
"#;

impl Operation for Pivot {
    fn summary(&self) -> String {
        format!(
            "pivot of {} by {} (rows) and {} (columns)",
            self.measure(),
            self.down.name,
            self.across.name
        )
    }

    fn columns_used(&self) -> Vec<String> {
        let mut out = vec![self.down.name.clone(), self.across.name.clone()];
        if let Some(v) = &self.value {
            out.push(v.name.clone());
        }
        out
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let wanted = format!(
            "{} by {} and {}",
            self.measure(),
            self.down.name,
            self.across.name
        );
        let name = sheet_name(&wanted, taken);
        taken.push(name.clone());
        let step = format!(
            "Pivot of {} by {} (rows) and {} (columns) into sheet '{name}'",
            self.measure(),
            self.down.name,
            self.across.name
        );
        let MeasureArgs { value, func, dates } = MeasureArgs::of(self.func, self.value.as_ref());
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "pivot_sheet(df, {}, {}, {}, {value}, {}, dates={}, step=len(steps) - 1, most={MAX_COLUMNS})",
            py_str(&name),
            py_str(&self.down.name),
            py_str(&self.across.name),
            py_str(func),
            py_bool(dates),
        );
        step
    }
}

impl Pivot {
    /// "total Revenue", "count".
    fn measure(&self) -> String {
        match &self.value {
            Some(v) => format!("{} {}", self.func.label().to_lowercase(), v.name),
            None => "count".to_string(),
        }
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let tokens = strip_trailing(tokens, vocab::NEW_SHEET_SUFFIXES);
    let rest = strip_leading(tokens, vocab::AGG_LEAD);
    let (_, n) = longest_prefix(rest, vocab::PIVOT_VERBS)?;
    let rest = strip_leading(&rest[n..], vocab::PIVOT_LEAD);
    // "... with Region as rows and Product as columns": the two keys said by role.
    let (rest, roles) = match by_roles(rest, columns) {
        Some(Ok(Roles {
            measure,
            down,
            across,
        })) => (measure, Some((down, across))),
        Some(Err(e)) => return Some(Err(e)),
        None => (rest, None),
    };
    // The aggregate: "total Revenue", "average of Price", "count"; a lone column is
    // summed, and no measure at all counts rows.
    let (said, k) = match longest_entry(rest, vocab::AGGREGATES) {
        Some((func, k)) => (Some(func), k),
        None => (None, 0),
    };
    let body = &rest[k..];
    let split = match roles {
        Some(_) => None,
        None => find_phrases(body, vocab::GROUP_SEPARATORS).first().copied(),
    };
    let (value_tokens, after) = match split {
        Some((at, _, len)) => (&body[..at], &body[at + len..]),
        None => (body, &body[body.len()..]),
    };
    let (down, across) = match roles {
        Some(keys) => keys,
        None => match two_keys(after, columns) {
            Ok(keys) => keys,
            Err(e) => return Some(Err(e)),
        },
    };
    if down.name == across.name {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a pivot needs two different columns, one for its rows and one for its \
                 columns; '{}' was named for both",
                down.name
            ),
        )));
    }
    let func = match said {
        Some(func) => func,
        None if value_tokens.is_empty() => AggFunc::Count,
        None => AggFunc::Sum,
    };
    let value = match value_column(func, value_tokens, &[&down, &across], columns) {
        Ok(value) => value,
        Err(e) => return Some(Err(e)),
    };
    found(Pivot {
        func,
        value,
        down,
        across,
    })
}

/// "by Region and Product", "by Region across Product", "of Region by Product": the
/// row key, then the column key. Column names may hold the joining word, so every place
/// it occurs is tried.
fn two_keys(tokens: &[Token], columns: &[Column]) -> Result<(Column, Column), ClauseError> {
    let tokens = strip_leading(tokens, &["the", "each", "every"]);
    let mut first_error = None;
    for (at, _, len) in find_phrases(tokens, vocab::PIVOT_AND) {
        if at == 0 {
            continue;
        }
        let down = column_result(strip_column_words(&tokens[..at]), columns);
        let across = column_result(
            strip_column_words(strip_leading(&tokens[at + len..], &["the", "each", "every"])),
            columns,
        );
        match (down, across) {
            (Ok(down), Ok(across)) => return Ok((down, across)),
            (Err(e), _) | (_, Err(e)) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        ClauseError::new(
            FailCode::NotUnderstood,
            "a pivot needs a column for its rows and one for its columns, like 'pivot total \
             Revenue by Region and Product'"
                .into(),
        )
    }))
}

/// A pivot's keys said by role, and the words of its measure.
struct Roles<'t> {
    measure: &'t [Token],
    down: Column,
    across: Column,
}

/// "with Region as rows and Product as columns", "Region in rows, Product in columns":
/// the words before, the row key and the column key. `None` when the roles are not said.
fn by_roles<'t>(tokens: &'t [Token], columns: &[Column]) -> Option<Result<Roles<'t>, ClauseError>> {
    let rows_at = find_phrases(tokens, vocab::PIVOT_AS_ROWS);
    let cols_at = find_phrases(tokens, vocab::PIVOT_AS_COLUMNS);
    let &(r, _, rn) = rows_at.first()?;
    let &(c, _, cn) = cols_at.first()?;
    // The role follows its column: "<lead> Region as rows and Product as columns".
    let (first, second) = if r < c { ((r, rn), (c, cn)) } else { ((c, cn), (r, rn)) };
    let lead = find_phrases(&tokens[..first.0], vocab::PIVOT_ROLES_LEAD)
        .last()
        .map(|&(at, _, n)| (at, at + n));
    let (before_end, first_start) = lead.unwrap_or((0, 0));
    let first_words = &tokens[first_start..first.0];
    let second_words = strip_leading(&tokens[first.0 + first.1..second.0], &["and", ","]);
    let first_key = column_result(strip_column_words(first_words), columns);
    let second_key = column_result(strip_column_words(second_words), columns);
    // The measure before the roles, or after them ("..., with the sum of Sales").
    let before = &tokens[..before_end];
    let tail = strip_leading(&tokens[second.0 + second.1..], vocab::PIVOT_MEASURE_LEAD);
    let measure = match (before.is_empty(), tail.is_empty()) {
        (_, true) => before,
        (true, false) => tail,
        (false, false) => {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "I could not tell what to compute: '{}' before the rows and columns, \
                     '{}' after them",
                    crate::plan::planner::tokens::joined(before),
                    crate::plan::planner::tokens::joined(tail)
                ),
            )));
        }
    };
    Some(match (first_key, second_key) {
        (Ok(a), Ok(b)) => {
            let (down, across) = if r < c { (a, b) } else { (b, a) };
            Ok(Roles {
                measure,
                down,
                across,
            })
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    })
}
