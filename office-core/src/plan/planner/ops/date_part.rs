//! A column with a part of a date column: "add a column with the year of Date", "add
//! the month of Date as a new column", "extract the weekday from Date", "quarter of
//! Date in a new column named Qtr". Year, quarter, month and day are numbers, the
//! weekday its English name (Monday to Sunday). Where the date column holds real dates
//! the new cells are formulas (`=IF(A2="","",YEAR(A2))`, weekdays by `WEEKDAY(A2,2)`),
//! their values cached; dates written as text get values only, as the step says.

use super::{OpKind, Operation, Recognised, found};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_entries, find_phrases, joined, longest_entry, longest_prefix, strip_leading,
    strip_trailing,
};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "date parts (year, quarter, month, weekday)",
    precedence: 0,
    recognise,
};

/// A part of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatePart {
    Year,
    Quarter,
    Month,
    Day,
    Weekday,
}

impl DatePart {
    /// The new column's header, and how the step names the part.
    fn label(self) -> &'static str {
        match self {
            DatePart::Year => "Year",
            DatePart::Quarter => "Quarter",
            DatePart::Month => "Month",
            DatePart::Day => "Day",
            DatePart::Weekday => "Weekday",
        }
    }

    fn python(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Quarter => "quarter",
            DatePart::Month => "month",
            DatePart::Day => "day",
            DatePart::Weekday => "weekday",
        }
    }
}

/// A new column `name` holding `part` of each date of `column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatePartColumn {
    pub(crate) column: Column,
    pub(crate) part: DatePart,
    pub(crate) name: String,
}

pub(crate) const PYTHON: &str = r#"

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Each part as Excel computes it from a date cell (`{c}`).
DATE_PART_FORMULAS = {
    "year": "YEAR({c})", "month": "MONTH({c})", "day": "DAY({c})",
    "quarter": "ROUNDUP(MONTH({c})/3,0)",
    "weekday": "CHOOSE(WEEKDAY({c},2)," + ",".join('"' + d + '"' for d in WEEKDAY_NAMES) + ")",
}


def date_part_of(date, part):
    if pd.isna(date):
        return None
    if part == "year":
        return int(date.year)
    if part == "month":
        return int(date.month)
    if part == "day":
        return int(date.day)
    if part == "quarter":
        return int((date.month - 1) // 3 + 1)
    return WEEKDAY_NAMES[date.weekday()]


def add_date_part(frame, name, column, part, step):
    """A column right of the table with `part` of each date in `column`: a formula where
    every cell of the column is a real date (or empty), values where dates are text.
    Cells that hold no date stay empty."""
    rows = pd.concat([frame, PLACE["blank_frame"]])
    cells = rows[column]
    dates = as_date(cells)
    values = pd.Series([date_part_of(d, part) for d in dates], index=rows.index, dtype=object)
    real = all(v is None or isinstance(v, pd.Timestamp) for v in cells)
    own = not any(c["header"] == column for c in added)
    formula = None
    if real and own:
        cell = ref(column)
        formula = '=IF(' + cell + '="","",' + DATE_PART_FORMULAS[part].replace("{c}", cell) + ")"
    else:
        steps[step] += " (values: " + column + " holds dates as text)"
    missing = int(sum(1 for c, v in zip(cells.loc[frame.index], values.loc[frame.index])
                      if v is None and not (c is None or (isinstance(c, str) and c.strip() == ""))))
    if missing:
        steps[step] += " (empty in " + str(missing) + (" row" if missing == 1 else " rows") + " without a date)"
    return append_column(frame, name, values, formula, number_format="General")
"#;

impl Operation for DatePartColumn {
    fn summary(&self) -> String {
        format!(
            "add column {} with the {} of {}",
            self.name,
            self.part.python(),
            self.column.name
        )
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn new_column(&self) -> Option<Column> {
        Some(Column::added(&self.name, if self.part == DatePart::Weekday {
                ColumnType::Text
            } else {
                ColumnType::Integer
            }))
    }

    fn rename_new_column(&mut self, name: &str) -> bool {
        self.name = name.to_string();
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!(
            "Added column {} with the {} of {}",
            self.name,
            self.part.python(),
            self.column.name
        );
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_date_part(df, {}, {}, {}, step=len(steps) - 1)",
            py_str(&self.name),
            py_str(&self.column.name),
            py_str(self.part.python())
        );
        step
    }
}

/// A new column's name after "named": one quoted text, or the words to the end.
fn name_after(tokens: &[Token]) -> Option<String> {
    match tokens {
        [t] if t.kind == Kind::Quoted && !t.text.trim().is_empty() => Some(t.text.trim().into()),
        [] => None,
        words if words.iter().all(|t| matches!(t.kind, Kind::Word | Kind::Number)) => {
            Some(joined(words))
        }
        _ => None,
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    // The new column's name at the end: "... named Qtr".
    let (tokens, name) = match find_phrases(tokens, vocab::COMPUTE_NAMED).last() {
        Some(&(at, _, n)) if at > 0 => match name_after(&tokens[at + n..]) {
            Some(name) => (&tokens[..at], Some(name)),
            None => (tokens, None),
        },
        _ => (tokens, None),
    };
    let tokens = strip_trailing(tokens, vocab::DATE_PART_TRAIL);
    let (_, n) = longest_prefix(tokens, vocab::DATE_PART_VERBS)?;
    let rest = strip_leading(&tokens[n..], vocab::DATE_PART_LEAD);
    // "the year of Date", or "Date's year" / "the Date year" (then only when the words
    // before the part name a date column: "add up Revenue by month" is a total).
    let (part, column_words, part_first) = match longest_entry(rest, vocab::DATE_PARTS) {
        Some((part, k)) => {
            let after = strip_leading(&rest[k..], vocab::DATE_PART_OF);
            // Sure only with "of" between: "add a column Year = ..." is a formula.
            (part, after, after.len() < rest.len() - k)
        }
        None => {
            let &(at, part, k) = find_entries(rest, vocab::DATE_PARTS).last()?;
            if at == 0 || at + k != rest.len() {
                return None;
            }
            (part, strip_trailing(&rest[..at], &["'s", "s"]), false)
        }
    };
    if column_words.is_empty() {
        return None;
    }
    let column = match column_result(strip_column_words(column_words), columns) {
        Ok(column) => column,
        Err(e) if part_first => return Some(Err(e)),
        Err(_) => return None,
    };
    if column.dtype != ColumnType::Date {
        if !part_first {
            return None;
        }
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "'{}' does not hold dates, so it has no {} to take",
                column.name,
                part.python()
            ),
        )));
    }
    let taken = |n: &str| columns.iter().any(|c| c.name.trim().eq_ignore_ascii_case(n.trim()));
    let name = match name {
        Some(name) if taken(&name) => {
            return Some(Err(ClauseError::new(
                FailCode::InvalidOperation,
                format!("a column named '{name}' already exists; choose another name"),
            )));
        }
        Some(name) => name,
        None => {
            let plain = part.label().to_string();
            let long = format!("{} {}", column.name, part.label());
            match [plain, long].into_iter().find(|n| !taken(n)) {
                Some(name) => name,
                None => {
                    return Some(Err(ClauseError::new(
                        FailCode::InvalidOperation,
                        format!(
                            "a column named '{} {}' already exists; name the new column",
                            column.name,
                            part.label()
                        ),
                    )));
                }
            }
        }
    };
    found(DatePartColumn { column, part, name })
}
