//! The programs: steps, imports, hostile names, and the code policy.

use super::*;

#[test]
fn plan_has_steps_output_and_generator() {
    let plan = plan_excel(
        "remove duplicates, then sort by revenue descending",
        &sales(),
    )
    .unwrap();
    assert_eq!(plan.generator, "planner");
    assert_eq!(plan.output.as_deref(), Some("edits.json"));
    assert_eq!(
        plan.steps,
        vec![
            "Removed duplicate rows (all columns), keeping the first of each".to_string(),
            "Sorted by Revenue, descending".to_string()
        ]
    );
    assert!(
        plan.code
            .contains("# Step 2: Sorted by Revenue, descending. Columns: \"Revenue\"."),
        "{}",
        plan.code
    );
}

#[test]
fn hostile_names_stay_inside_string_literals() {
    let evil = "x\"]; import os #";
    let evil_newline = "y\nimport subprocess";
    let profile = workbook(vec![sheet(
        "S\"heet\n",
        &[
            (evil, ColumnType::Float),
            (evil_newline, ColumnType::Text),
            ("v", ColumnType::Float),
        ],
    )]);
    let plan = plan_excel(
        "sort by 'x\"]; import os #' descending, where 'y import subprocess' is 'a\" + b', \
         total v by 'y import subprocess'",
        &[profile],
    );
    let plan = plan.unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(imports(&plan.code), PROGRAM_IMPORTS, "{}", plan.code);
    assert!(
        !plan
            .code
            .lines()
            .any(|l| l.trim_start().starts_with("import subprocess"))
    );
}

#[test]
fn generated_code_parses_for_every_operation() {
    for prompt in [
        "sort by revenue",
        "where city contains 'o\\'k'",
        "where order date >= 2024-01-01",
        "where active is false",
        "dedupe by email",
        "add column Ratio = revenue / cost",
        "count orders by status",
        "describe revenue and region",
        "describe",
    ] {
        let plan = plan_excel(prompt, &sales()).unwrap();
        assert_eq!(imports(&plan.code), PROGRAM_IMPORTS, "{prompt}");
        let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
        assert!(violations.is_empty(), "{prompt}: {violations:?}");
    }
    // A CSV input (read_csv path of the program) passes the policy too.
    let mut csv = sales();
    csv[0].format = FileFormat::Csv;
    csv[0].name = "sales.csv".into();
    let plan = plan_excel("total revenue by region", &csv).unwrap();
    let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn every_kind_has_a_program_that_passes_the_policy() {
    let mut params = serde_json::Map::new();
    params.insert("template".into(), "weekly-status".into());
    let profiles = sales();
    for (kind, output) in [
        (JobKind::Excel, "edits.json"),
        (JobKind::Analytics, "results.json"),
        (JobKind::Report, "analysis.json"),
    ] {
        let request = PlanRequest {
            kind,
            prompt: "describe",
            profiles: &profiles,
            params: &params,
            previous_error: None,
            previous_code: None,
            calls: None,
            parent: None,
        };
        let plan = OfflinePlanner.generate(&request).await.unwrap();
        assert_eq!(plan.output.as_deref(), Some(output));
        let violations = crate::validate::validate(&plan.code, &crate::validate::Policy::default());
        assert!(violations.is_empty(), "{kind}: {violations:?}");
    }
    assert_eq!(OfflinePlanner.name(), "planner");
}

#[test]
fn a_computed_column_is_a_formula_built_from_the_expression() {
    let plan = plan_excel(
        "add column Ratio = (revenue - cost) / -unit price, then add column Twice = ratio * 2",
        &sales(),
    )
    .unwrap();
    // The letters are the program's to resolve (`ref`), from the sheet's coordinates.
    assert!(
        plan.code.contains(
            "df = add_column(df, \"Ratio\", [\"=\", \"(\", ref(\"Revenue\"), \"-\", ref(\"Cost\"), \")\", \
             \"/\", \"-\", ref(\"Unit Price\")], [\"Revenue\", \"Cost\", \"Unit Price\"], \
             lambda n: ((n[\"Revenue\"] - n[\"Cost\"]) / (-n[\"Unit Price\"])), step=len(steps) - 1)"
        ),
        "{}",
        plan.code
    );
    // A column added earlier is referenced like any other.
    assert!(
        plan.code
            .contains("[\"=\", ref(\"Ratio\"), \"*\", \"2\"], [\"Ratio\"]")
    );
    assert!(plan.code.ends_with("write_edits(df)\n"));
}
