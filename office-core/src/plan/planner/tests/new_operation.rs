//! An operation added in one file: "keep the first N rows", defined here and nowhere
//! else, registered by adding its `OpKind` to the list the planner reads with.

use super::*;
use crate::plan::planner::ops::{OpKind, Recognised, found};
use crate::plan::planner::parse::{ClauseError, FailCode};
use crate::plan::planner::tokens::{Token, is_number_literal, starts_with_phrase};
use std::fmt::Write as _;

/// Keep the first `rows` rows.
#[derive(Debug)]
struct KeepFirst {
    rows: usize,
}

impl ops::Operation for KeepFirst {
    fn summary(&self) -> String {
        format!("keep the first {} rows", self.rows)
    }

    fn columns_used(&self) -> Vec<String> {
        Vec::new()
    }

    fn names_a_column(&self) -> bool {
        false
    }

    fn python(&self) -> &'static str {
        "\n\ndef first_rows(frame, n):\n    return frame.head(n)\n"
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Kept the first {} rows", self.rows);
        let _ = writeln!(code, "df = first_rows(df, {})", self.rows);
        let _ = writeln!(code, "steps.append({})", codegen::py_str(&step));
        step
    }
}

/// "keep the first 10 rows", "keep the first 10".
fn recognise(tokens: &[Token], _columns: &[columns::Column]) -> Recognised {
    let n = starts_with_phrase(tokens, "keep the first")?;
    let rest = &tokens[n..];
    let rows = rest.first().and_then(is_number_literal);
    match (rows, &rest[1.min(rest.len())..]) {
        (Some(rows), [] | [_]) if rows >= 1.0 && rows.fract() == 0.0 => found(KeepFirst {
            rows: rows as usize,
        }),
        _ => Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            "say how many rows to keep, like 'keep the first 10 rows'".into(),
        ))),
    }
}

const KEEP_FIRST: OpKind = OpKind {
    name: "keep the first rows",
    // Before the filter, which reads "keep ..." as a condition.
    precedence: 4,
    recognise,
};

#[test]
fn an_operation_in_one_file_plans_and_passes_the_policy() {
    let registry: Vec<OpKind> = ops::REGISTRY.iter().copied().chain([KEEP_FIRST]).collect();
    let prompt = "sort by revenue descending, then keep the first 3 rows";

    // Without it in the list the planner does not know the clause.
    let refused = plan_excel(prompt, &sales()).unwrap_err();
    assert!(
        !refused
            .operations
            .iter()
            .any(|o| o == "keep the first rows")
    );

    let plan = plan_excel_with(prompt, None, &sales(), &registry).unwrap();
    assert_eq!(
        plan.steps,
        ["Sorted by Revenue, descending", "Kept the first 3 rows"]
    );
    assert!(
        plan.code.contains("def first_rows(frame, n):"),
        "{}",
        plan.code
    );
    assert!(
        plan.code.contains("df = first_rows(df, 3)\n"),
        "{}",
        plan.code
    );
    assert!(
        plan.code.contains("# Step 2: Kept the first 3 rows.\n"),
        "{}",
        plan.code
    );
    assert_eq!(imports(&plan.code), PROGRAM_IMPORTS);
    let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
    assert!(violations.is_empty(), "{violations:?}");

    // Its errors and its name reach the user like any other operation's.
    let error = plan_excel_with("keep the first few rows", None, &sales(), &registry).unwrap_err();
    assert!(
        error.message.contains("how many rows to keep"),
        "{}",
        error.message
    );
    assert!(error.operations.iter().any(|o| o == "keep the first rows"));
}
