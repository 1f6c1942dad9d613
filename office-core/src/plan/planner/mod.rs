//! The offline planner: the embedded, deterministic `CodeGenerator`.
//!
//! It reads a request in plain language as a list of clauses, maps each clause to one
//! operation on one sheet (sort, filter, remove duplicates, add a computed column,
//! group and aggregate, describe), matches the words to the sheet's real column names,
//! and writes a readable pandas program for the operations, which writes what to change
//! in the workbook (`book::edits`) rather than the workbook.
//!
//! It is conservative on purpose: a clause it cannot map, a column it cannot find, an
//! ambiguous column or an operation that does not fit the column's type ends the
//! request with a `PlanError` that says what it understood, which operations it
//! supports and which columns exist. It never guesses.
//!
//! - `tokens`: request text -> tokens, and the phrase helpers readers use;
//! - `vocab`: every word and phrase the readers know, as tables (Excel and analytics);
//! - `parse`: tokens -> clauses -> operations, dispatching over `ops::REGISTRY`;
//! - `ops/`: one file per operation (how it is recognised, what it reports, the code it
//!   emits); adding one is a file there plus a line in its `operations!` list;
//! - `columns`: words -> column names (exact, normalized, plural, fuzzy, word match);
//! - `codegen`: operations -> the Excel program, around `excel.py` and `tables.py`; the
//!   program writes the edit script `edits.json`, never the workbook;
//! - `analytics`, `report`: programs for those kinds (facts, charts, the answer), on
//!   the shared table specs in `tables` and the Python in `tables.py` / `analysis.py`;
//! - `tables.py`: the one table loader every kind's program includes.

pub(crate) mod analytics;
mod codegen;
pub(crate) mod columns;
mod lang;
mod ops;
mod parse;
pub(crate) mod report;
mod tables;
mod tokens;
mod values;
mod vocab;

use crate::job::ErrorCode;
use crate::job::JobKind;
use crate::plan::{CodeGenerator, Plan, PlanError, PlanRequest};
use crate::profile::{ColumnType, FileProfile, SheetProfile};
use columns::Column;

/// The name recorded on jobs whose code this generator wrote.
pub(crate) const GENERATOR_NAME: &str = "planner";

/// The account of its run an excel program writes next to the script (owned by the kind).
pub(crate) use crate::kind::excel::RESULT_FILE;

/// Operations the planner supports, as named in error messages.
pub(crate) const OPERATIONS: &[&str] = &ops::NAMES;

/// The offline planner. Stateless; cheap to construct.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflinePlanner;

#[async_trait::async_trait]
impl CodeGenerator for OfflinePlanner {
    fn name(&self) -> String {
        GENERATOR_NAME.to_string()
    }

    /// A follow-up's files are already its parent's results, so the new request is
    /// planned on them as it is; its steps say what it built on.
    async fn generate(&self, req: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        let mut plan = match req.kind {
            JobKind::Excel => plan_excel_in(
                req.prompt,
                req.params.get("context").and_then(|c| c.as_str()),
                req.profiles,
            ),
            JobKind::Analytics => analytics::plan_analytics(req.prompt, req.profiles),
            JobKind::Report => report::plan_report(req.prompt, req.profiles, req.params),
        }?;
        if let Some(parent) = req.parent {
            plan.steps.insert(
                0,
                format!(
                    "worked on the result of job {} (\"{}\")",
                    parent.id,
                    parent.prompt.trim()
                ),
            );
        }
        Ok(plan)
    }
}

/// Plans an Excel request against the first input's profile.
///
/// The target sheet is the first sheet whose columns the request's clauses all map to
/// and that the request names at least one column of; a request that names no column
/// ("describe", "remove duplicates") works on the first sheet.
#[cfg(test)]
pub(crate) fn plan_excel(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    plan_excel_with(prompt, None, profiles, ops::REGISTRY)
}

/// `plan_excel` with the request's context (what the workbook holds, formulas it
/// defines: "Profit = Sales - COGS"), which is read for definitions only, never as steps.
pub(crate) fn plan_excel_in(
    prompt: &str,
    context: Option<&str>,
    profiles: &[FileProfile],
) -> Result<Plan, PlanError> {
    plan_excel_with(prompt, context, profiles, ops::REGISTRY)
}

/// `plan_excel` with the operations of `registry`.
fn plan_excel_with(
    prompt: &str,
    context: Option<&str>,
    profiles: &[FileProfile],
    registry: &[ops::OpKind],
) -> Result<Plan, PlanError> {
    let Some(file) = profiles.first() else {
        return Err(plain_error(
            ErrorCode::NoData,
            "There is no input file to work on.".into(),
        ));
    };
    let sheets: Vec<&SheetProfile> = file
        .sheets
        .iter()
        .filter(|s| !s.columns.is_empty())
        .collect();
    if sheets.is_empty() {
        return Err(plain_error(
            ErrorCode::NoData,
            format!(
                "The file '{}' has no sheet with data to work on.",
                file.name
            ),
        ));
    }

    // The first sheet is the target when the request names no column at all.
    let mut first_sheet_operations: Option<Vec<Box<dyn ops::Operation>>> = None;
    let mut best_failure: Option<(parse::Failure, &SheetProfile)> = None;
    for (position, sheet) in sheets.iter().enumerate() {
        let mut columns = file_columns(file, sheet);
        if let Some(context) = context {
            let defined = ops::compute::definitions(context, &columns);
            columns.extend(defined);
        }
        match parse::parse_request(prompt, &columns, registry) {
            Ok(parsed) if parsed.names_a_column => {
                return Ok(codegen::build_plan(file, sheet, &parsed.operations, prompt));
            }
            Ok(parsed) => {
                if position == 0 {
                    first_sheet_operations = Some(parsed.operations);
                }
            }
            Err(failure) => {
                let better = best_failure
                    .as_ref()
                    .is_none_or(|(best, _)| failure.understood.len() > best.understood.len());
                if better {
                    best_failure = Some((failure, sheet));
                }
            }
        }
    }
    if let Some(operations) = first_sheet_operations {
        return Ok(codegen::build_plan(file, sheets[0], &operations, prompt));
    }
    match best_failure {
        Some((failure, sheet)) => {
            let suggestions = suggestions(prompt, &failure, sheet, registry);
            let mut error = failure_to_error(failure, sheet, sheets.len() > 1, registry);
            error.suggestions = suggestions.into();
            Err(error)
        }
        None => Err(plain_error(
            ErrorCode::RequestNotUnderstood,
            "I could not plan this request.".into(),
        )),
    }
}

/// The planner's view of a sheet's columns.
fn sheet_columns(sheet: &SheetProfile) -> Vec<Column> {
    sheet
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            dtype: c.dtype,
            has_numbers: c.dtype == ColumnType::Mixed && (c.min.is_some() || c.max.is_some()),
            seen: columns::Seen {
                samples: c.samples.clone(),
                min: c.min,
                max: c.max,
                decimal_comma: false,
                index: Some(c.index),
                definition: None,
            },
        })
        .collect()
}

/// `sheet_columns` of a sheet of `file`, with the file's decimal mark.
fn file_columns(file: &FileProfile, sheet: &SheetProfile) -> Vec<Column> {
    let decimal_comma = file.csv.as_ref().is_some_and(|d| d.decimal == ',');
    let mut columns = sheet_columns(sheet);
    for column in &mut columns {
        column.seen.decimal_comma = decimal_comma;
    }
    columns
}

fn operation_names() -> Vec<String> {
    OPERATIONS.iter().map(|s| s.to_string()).collect()
}

fn plain_error(code: ErrorCode, message: String) -> PlanError {
    PlanError {
        code,
        message,
        understood: Vec::new(),
        operations: operation_names(),
        columns: Vec::new(),
        suggestions: Box::default(),
    }
}

/// Up to three requests close to the failed one that plan on this sheet, each as the
/// user could resubmit it: the request with the unknown or ambiguous words replaced by
/// a column's name, the part that was understood, then examples over the sheet's
/// columns.
fn suggestions(
    prompt: &str,
    failure: &parse::Failure,
    sheet: &SheetProfile,
    registry: &[ops::OpKind],
) -> Vec<String> {
    let columns = sheet_columns(sheet);
    let mut tries: Vec<String> = Vec::new();
    if let Some(phrase) = &failure.phrase {
        let names = if failure.candidates.is_empty() {
            columns::closest(phrase, &columns, 3)
        } else {
            failure.candidates.clone()
        };
        let lower = prompt.to_lowercase();
        if let Some(at) = lower.find(&phrase.to_lowercase())
            && lower.len() == prompt.len()
        {
            for name in names {
                tries.push(format!(
                    "{}{}{}",
                    &prompt[..at],
                    name,
                    &prompt[at + phrase.len()..]
                ));
            }
        }
    }
    if !failure.understood.is_empty() {
        tries.push(failure.understood.join(", then "));
    }
    let number = columns.iter().find(|c| c.is_numeric());
    let text = columns.iter().find(|c| c.dtype == ColumnType::Text);
    if let Some(n) = number {
        tries.push(format!("sort by {} descending", n.name));
        if let Some(t) = text {
            tries.push(format!("total {} by {}", n.name, t.name));
        }
    }
    tries.push("describe".into());
    let mut out: Vec<String> = Vec::new();
    for attempt in tries {
        if out.len() == 3 || attempt == prompt || out.contains(&attempt) {
            continue;
        }
        if parse::parse_request(&attempt, &columns, registry).is_ok() {
            out.push(attempt);
        }
    }
    out
}

/// The user-facing error: what was understood, what went wrong, what is possible.
fn failure_to_error(
    failure: parse::Failure,
    sheet: &SheetProfile,
    several: bool,
    registry: &[ops::OpKind],
) -> PlanError {
    let operations: Vec<String> = registry.iter().map(|k| k.name.to_string()).collect();
    let columns: Vec<String> = sheet.columns.iter().map(|c| c.name.clone()).collect();
    let mut message = String::new();
    if failure.understood.is_empty() {
        message.push_str("I could not turn any part of the request into a step. ");
    } else {
        message.push_str(&format!(
            "I understood: {}. ",
            failure.understood.join("; ")
        ));
    }
    // Reasons are written as clauses; here each one starts a sentence.
    let mut reason = failure.reason.chars();
    if let Some(first) = reason.next() {
        message.extend(first.to_uppercase());
        message.push_str(reason.as_str());
    }
    if !failure.reason.ends_with('.') {
        message.push('.');
    }
    let sheet_note = if several {
        format!(" in sheet '{}'", sheet.name)
    } else {
        String::new()
    };
    message.push_str(&format!(
        " Columns{sheet_note}: {}. Supported operations: {}.",
        columns.join(", "),
        operations.join(", ")
    ));
    PlanError {
        code: failure.code.error_code(),
        message,
        understood: failure.understood,
        operations,
        columns,
        suggestions: Box::default(),
    }
}

#[cfg(test)]
mod tests;
