//! Report programs: for every input, its main table's facts (what it holds, key
//! figures, a chart), and observations across inputs that share columns or key values,
//! written as `analysis.json` plus one PNG chart per input. The prose is not written
//! here: the job writes `report.md` from `analysis.json` after the program ran.

use super::analytics::{exact_mentions, find_measure};
use super::codegen::py_str;
use super::columns::normalize;
use super::tables::{ANALYSIS_PY, main_sheet, program_head, table_spec};
use super::{GENERATOR_NAME, plain_error, sheet_columns};
use crate::job::ErrorCode;
use crate::plan::{Plan, PlanError};
use crate::profile::FileProfile;
use std::fmt::Write as _;

const REPORT_PY: &str = include_str!("report.py");

/// The facts file the program writes.
pub(crate) use crate::kind::report::ANALYSIS_FILE;

/// Plans a report over every input.
pub(crate) fn plan_report(
    prompt: &str,
    profiles: &[FileProfile],
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<Plan, PlanError> {
    if profiles.is_empty() {
        return Err(plain_error(
            ErrorCode::NoData,
            "There is no input file to report on.".into(),
        ));
    }
    let title = params
        .get("title")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let words_text = normalize(prompt);
    let words: Vec<&str> = words_text.split_whitespace().collect();
    let mut specs = Vec::new();
    let mut steps = Vec::new();
    for (input, file) in profiles.iter().enumerate() {
        let Some(sheet) = main_sheet(file) else {
            return Err(plain_error(
                ErrorCode::NoData,
                format!(
                    "The file '{}' has no sheet with data to report on.",
                    file.name
                ),
            ));
        };
        let columns = sheet_columns(sheet);
        let is_number = |m: &String| columns.iter().any(|c| &c.name == m && c.dtype.is_numeric());
        let focus = exact_mentions(&words, &columns)
            .into_iter()
            .map(|(_, _, name)| name)
            .find(is_number)
            .or_else(|| find_measure(&words, &columns, None).filter(is_number));
        specs.push(table_spec(input, file, sheet, focus.as_deref()));
        steps.push(format!(
            "facts and a chart for '{}' of '{}'",
            sheet.name, file.name
        ));
    }
    steps.push("observations across files that share columns".into());
    // Everything the prose may quote goes into analysis.json: the title, the notes and
    // the section headings too, so the number check can hold the prose to that file.
    let template = crate::report::templates::resolve(
        params
            .get(crate::report::PARAM_TEMPLATE)
            .and_then(|t| t.as_str()),
    )
    .map_err(|e| plain_error(ErrorCode::InvalidTemplate, e.to_string()))?;
    let mut code = program_head("Report", prompt, profiles);
    let _ = writeln!(code, "TITLE = {}", py_str(title));
    code.push_str("NOTES = [\n");
    for (source, text) in crate::report::notes(params) {
        let _ = writeln!(
            code,
            "    dict(source={}, text={}),",
            py_str(&source),
            py_str(&text)
        );
    }
    code.push_str("]\n");
    let headings: Vec<String> = template
        .sections
        .iter()
        .map(|s| s.heading.clone())
        .collect();
    let _ = writeln!(code, "SECTIONS = {}", super::codegen::py_list(&headings));
    code.push_str(ANALYSIS_PY);
    code.push_str("\n\nTABLES = [\n");
    for spec in specs {
        let _ = writeln!(code, "    {spec},");
    }
    code.push_str("]\n");
    code.push_str(REPORT_PY);
    Ok(Plan {
        code,
        generator: GENERATOR_NAME.into(),
        steps,
        output: Some(ANALYSIS_FILE.into()),
    })
}
