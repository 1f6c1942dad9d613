//! A column computed down a numeric column, row by row in the output's order: "add a
//! running total of Sales", "Sales as a percentage of the total", "rank the rows by
//! Sales", "the difference from the previous row in Sales". Written as formulas
//! (`=IF(F2="","",SUM(F$2:F2))`, `F2/SUM($F$2:$F$N)` as a percent, `RANK(F2,$F$2:$F$N)`,
//! `F3-F2`) with their values cached; an empty cell gives an empty result. Where a later
//! step moves rows, or blank rows sit inside the table, the column holds the values of
//! the order the step saw, as its step says.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Token, find_entries, longest_entry, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "running total, percent of total, rank, difference from previous",
    precedence: 1,
    recognise,
};

/// What is computed down the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    RunningTotal,
    PercentOfTotal,
    /// 1 for the largest.
    Rank,
    /// This row's value minus the previous row's.
    Difference,
}

impl Measure {
    fn python(self) -> &'static str {
        match self {
            Measure::RunningTotal => "running_total",
            Measure::PercentOfTotal => "percent_of_total",
            Measure::Rank => "rank",
            Measure::Difference => "difference",
        }
    }

    fn header(self, column: &str) -> String {
        match self {
            Measure::RunningTotal => format!("Running total of {column}"),
            Measure::PercentOfTotal => format!("% of total {column}"),
            Measure::Rank => format!("Rank of {column}"),
            Measure::Difference => format!("Change in {column}"),
        }
    }
}

/// A new column `name` with `measure` of `column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Running {
    pub(crate) measure: Measure,
    pub(crate) column: Column,
    pub(crate) name: String,
}

pub(crate) const PYTHON: &str = r#"

def running_values(numbers, measure):
    """The measure down `numbers` (floats, NaN where empty), as Excel computes it."""
    present = ~numbers.isna()
    if measure == "running_total":
        out = numbers.fillna(0.0).cumsum()
    elif measure == "percent_of_total":
        total = numbers.sum()
        out = numbers / total if total != 0 else numbers * np.nan
    elif measure == "rank":
        out = numbers.rank(method="min", ascending=False)
    else:
        out = numbers - numbers.fillna(0.0).shift(1)
        out.iloc[:1] = np.nan
    return [None if not p or pd.isna(v) else (int(v) if measure == "rank" else float(v))
            for p, v in zip(present, out)]


def add_running_column(frame, name, column, measure, step):
    """A column right of the table with `measure` of `column` in the output's row order:
    formulas when they compute it there, else values (the step says why)."""
    numbers = as_number(frame[column]).astype(float)
    values = pd.Series(running_values(numbers, measure), index=frame.index, dtype=object)
    blanks = PLACE["blank_frame"]
    values = pd.concat([values, pd.Series([None] * len(blanks), index=blanks.index, dtype=object)])
    if measure == "percent_of_total" and numbers.sum() == 0:
        steps[step] += " (empty: " + column + " totals 0)"
    rows_then = list(frame.index)
    cell, letter = ref(column), PLACE["letters"][column]

    def formula(final):
        if list(final.index) != rows_then or PLACE["blanks_in_range"]:
            values_note(step, "the rows moved after it, or blank rows sit in the table")
            return None
        if measure == "percent_of_total" and numbers.sum() == 0:
            return None
        if measure != "difference" and not only_numbers(list(final[column])):
            values_note(step, column + " holds numbers stored as text, which SUM and RANK skip")
            return None
        first = str(PLACE["first_row"])
        whole = data_range(column)
        if measure == "running_total":
            body = "SUM(" + letter + "$" + first + ":" + cell + ")"
        elif measure == "percent_of_total":
            body = cell + "/SUM(" + whole + ")"
        elif measure == "rank":
            body = "RANK(" + cell + "," + whole + ")"
        else:
            # The first row has no previous one: it stays empty.
            return ('=IF(OR(ROW()=' + first + ',' + cell + '=""),"",' + cell + "-INDEX("
                    + letter + ":" + letter + ",ROW()-1))")
        return '=IF(' + cell + '="","",' + body + ")"

    number_format = "0.00%" if measure == "percent_of_total" else "General"
    return append_column(frame, name, values, formula, number_format=number_format)
"#;

impl Operation for Running {
    fn summary(&self) -> String {
        format!("add column {}", self.name)
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn new_column(&self) -> Option<Column> {
        let dtype = match self.measure {
            Measure::Rank => ColumnType::Integer,
            _ => ColumnType::Float,
        };
        Some(Column::added(&self.name, dtype))
    }

    fn rename_new_column(&mut self, name: &str) -> bool {
        self.name = name.to_string();
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Added column {}", self.name);
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_running_column(df, {}, {}, {}, step=len(steps) - 1)",
            py_str(&self.name),
            py_str(&self.column.name),
            py_str(self.measure.python())
        );
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let tokens = strip_trailing(tokens, vocab::DATE_PART_TRAIL);
    let rest = strip_leading(tokens, vocab::RUNNING_LEAD);
    // "running total of Sales" or "Sales as a percentage of the total".
    let (measure, column_words) = match longest_entry(rest, vocab::RUNNING_MEASURES) {
        Some((measure, k)) => (measure, strip_leading(&rest[k..], vocab::RUNNING_OF)),
        None => {
            let &(at, measure, k) = find_entries(rest, vocab::RUNNING_MEASURES).last()?;
            if at == 0 || at + k != rest.len() {
                return None;
            }
            (measure, strip_trailing(&rest[..at], vocab::RUNNING_OF))
        }
    };
    if column_words.is_empty() {
        return None;
    }
    let column = match column_result(strip_column_words(column_words), columns) {
        Ok(column) => column,
        Err(e) => return Some(Err(e)),
    };
    if !column.is_numeric() {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("'{}' does not hold numbers", column.name),
        )));
    }
    let name = measure.header(&column.name);
    if columns.iter().any(|c| c.name.trim().eq_ignore_ascii_case(&name)) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("a column named '{name}' already exists"),
        )));
    }
    found(Running {
        measure,
        column,
        name,
    })
}
