//! Group rows and aggregate a column into a new sheet: "total revenue by region",
//! "average price per category", "count orders by status", "group by region and sum
//! revenue", "median cost by city".

use super::{OpKind, Operation, Recognised, py_bool};
use crate::plan::planner::codegen::{py_str, sheet_name};
use crate::plan::planner::columns::{Column, normalize};
use crate::plan::planner::parse::{ClauseError, FailCode, column_result, strip_column_words};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, joined, longest_entry, longest_prefix, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab::{self, AggFunc};
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "group and aggregate",
    precedence: 4,
    recognise,
};

/// Group rows by `group` and aggregate `value` (`None`: count rows) into a new sheet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aggregate {
    pub(crate) func: AggFunc,
    pub(crate) value: Option<Column>,
    pub(crate) group: Column,
}

impl Operation for Aggregate {
    fn summary(&self) -> String {
        match &self.value {
            Some(v) => format!(
                "{} of {} by {}",
                self.func.pandas(),
                v.name,
                self.group.name
            ),
            None => format!("count rows by {}", self.group.name),
        }
    }

    fn columns_used(&self) -> Vec<String> {
        let mut out = vec![self.group.name.clone()];
        if let Some(v) = &self.value {
            out.push(v.name.clone());
        }
        out
    }

    fn names_a_column(&self) -> bool {
        true
    }

    /// A new sheet, one row per group: the key as a value, the aggregate as a formula
    /// over the output rows (`SUMIFS`, `AVERAGEIFS`, `COUNTIFS`, `MINIFS`, `MAXIFS`)
    /// with its result cached; the median (no such function) as values.
    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let group = &self.group.name;
        let (value_header, wanted_sheet, words) = match &self.value {
            Some(v) if self.func == AggFunc::Sum => (
                format!("Total {}", v.name),
                format!("{} by {group}", v.name),
                format!("Summed {}", v.name),
            ),
            Some(v) => (
                format!("{} {}", self.func.label(), v.name),
                format!("{} {} by {group}", self.func.label(), v.name),
                format!("{} of {}", self.func.label(), v.name),
            ),
            None => (
                "Count".to_string(),
                format!("Count by {group}"),
                "Counted rows".to_string(),
            ),
        };
        let value_header = if &value_header == group {
            format!("{value_header} (2)")
        } else {
            value_header
        };
        let name = sheet_name(&wanted_sheet, taken);
        taken.push(name.clone());
        let step = format!("{words} by {group} into sheet '{name}'");
        let sort = if self.group.dtype == ColumnType::Mixed {
            "False"
        } else {
            "True"
        };
        let MeasureArgs { value, func, dates } = MeasureArgs::of(self.func, self.value.as_ref());
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "group_sheet(df, {}, {}, {value}, {}, {}, sort={sort}, dates={}, step=len(steps) - 1)",
            py_str(&name),
            py_str(group),
            py_str(func),
            py_str(&value_header),
            py_bool(dates),
        );
        step
    }
}

/// How a group or pivot sheet's program names its measure.
pub(crate) struct MeasureArgs {
    /// The aggregated column as a Python literal (`None`: rows are counted).
    pub(crate) value: String,
    /// The pandas aggregate (`count` for rows).
    pub(crate) func: &'static str,
    /// The column holds dates (min and max of dates).
    pub(crate) dates: bool,
}

impl MeasureArgs {
    pub(crate) fn of(func: AggFunc, value: Option<&Column>) -> MeasureArgs {
        MeasureArgs {
            value: value.map_or("None".to_string(), |v| py_str(&v.name)),
            func: if value.is_some() { func.pandas() } else { "count" },
            dates: value.is_some_and(|v| v.dtype == ColumnType::Date),
        }
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let tokens = strip_trailing(tokens, vocab::NEW_SHEET_SUFFIXES);
    let rest = strip_leading(tokens, vocab::AGG_LEAD);

    // "group by region and sum revenue", "group by region, average of price"
    if let Some((_, n)) = longest_prefix(rest, vocab::GROUP_FIRST) {
        let after = &rest[n..];
        let at = (0..after.len()).find(|&i| {
            longest_entry(&after[i..], vocab::AGGREGATES).is_some()
                && (i == 0 || after[i - 1].is_word("and") || after[i - 1].kind == Kind::Comma)
        });
        let Some(at) = at else {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                "the grouping does not say what to compute (sum, average, count, min or max \
                 of which column)"
                    .into(),
            )));
        };
        let group_tokens = strip_trailing(&after[..at], &["and"]);
        let (func, n) = longest_entry(&after[at..], vocab::AGGREGATES)?;
        let value_tokens = &after[at + n..];
        return Some(build_aggregate(func, value_tokens, group_tokens, columns));
    }

    let (func, n) = longest_entry(rest, vocab::AGGREGATES)?;
    let after = &rest[n..];
    let separators = find_phrases(after, vocab::GROUP_SEPARATORS);
    if separators.is_empty() {
        return None;
    }
    // The first separator that leaves a column on its right (column names may hold "by").
    let mut first_error = None;
    for &(at, _, len) in &separators {
        let built = build_aggregate(func, &after[..at], &after[at + len..], columns);
        // "total cost" may name `Cost Total $` among other costs: the aggregate's word
        // is then part of the column's name too.
        let built = match built {
            Err(e) if e.code == FailCode::AmbiguousColumn => {
                build_aggregate(func, &rest[..n + at], &after[at + len..], columns).or(Err(e))
            }
            other => other,
        };
        match built {
            Ok(op) => return Some(Ok(op)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
}

fn build_aggregate(
    func: AggFunc,
    value_tokens: &[Token],
    group_tokens: &[Token],
    columns: &[Column],
) -> Result<Box<dyn Operation>, ClauseError> {
    let group_tokens = strip_column_words(strip_leading(group_tokens, &["each", "every", "the"]));
    let group = column_result(group_tokens, columns)?;
    let value = value_column(func, value_tokens, &[&group], columns)?;
    Ok(Box::new(Aggregate { func, value, group }))
}

/// What `func` aggregates, from its words: a column that can be aggregated so, or for a
/// count, `None` when rows are counted ("count orders by status"). `groups` are the
/// columns grouped by, which a count never counts.
pub(crate) fn value_column(
    func: AggFunc,
    value_tokens: &[Token],
    groups: &[&Column],
    columns: &[Column],
) -> Result<Option<Column>, ClauseError> {
    let value_tokens = strip_column_words(strip_leading(value_tokens, &["the", "of", "all"]));
    let value = match func {
        AggFunc::Count => {
            // Counting names a column only when it matches one closely (exact, case or
            // plural); anything else ("orders", "rows") counts rows.
            let text = joined(value_tokens);
            let strict: Vec<Column> = columns
                .iter()
                .filter(|c| {
                    normalize(&c.name) == normalize(&text)
                        || normalize(&c.name) == normalize(text.trim_end_matches('s'))
                })
                .cloned()
                .collect();
            match strict.as_slice() {
                [one] if groups.iter().all(|g| g.name != one.name) => Some(one.clone()),
                _ => {
                    // What is counted must be a plain noun ("orders", "rows"), never a
                    // phrase that swallowed another instruction.
                    let plain = value_tokens.len() <= 3
                        && value_tokens.iter().all(|t| {
                            t.kind == Kind::Word
                                && !["by", "per", "and", "for", "each", "then"]
                                    .contains(&t.lower.as_str())
                        });
                    if !plain {
                        return Err(ClauseError::new(
                            FailCode::NotUnderstood,
                            format!("I could not tell what to count in '{text}'"),
                        ));
                    }
                    None
                }
            }
        }
        _ => {
            let column = column_result(value_tokens, columns)?;
            let fits = match func {
                AggFunc::Sum | AggFunc::Mean | AggFunc::Median => column.is_numeric(),
                _ => column.is_numeric() || column.dtype == ColumnType::Date,
            };
            if !fits {
                return Err(ClauseError::new(
                    FailCode::InvalidOperation,
                    format!(
                        "I cannot take the {} of '{}': it holds {}, not numbers",
                        func.pandas(),
                        column.name,
                        type_words(column.dtype)
                    ),
                ));
            }
            Some(column)
        }
    };
    Ok(value)
}

fn type_words(dtype: ColumnType) -> &'static str {
    match dtype {
        ColumnType::Integer | ColumnType::Float => "numbers",
        ColumnType::Boolean => "true/false values",
        ColumnType::Date => "dates",
        ColumnType::Text => "text",
        ColumnType::Mixed => "mixed values",
        ColumnType::Empty => "no values",
    }
}
