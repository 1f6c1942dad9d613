use super::*;
use crate::job::{ErrorCode, InputFile};
use crate::plan::planner::OfflinePlanner;
use serde_json::json;

static DOCUMENTS: std::sync::LazyLock<crate::report::render::Renderer> =
    std::sync::LazyLock::new(Default::default);

fn finish_input<'a>(job: &'a Job, output: Option<&'a Bytes>) -> FinishInput<'a> {
    FinishInput {
        job,
        profiles: &[],
        output,
        generator: &OfflinePlanner,
        inputs: &[],
        output_dir: std::path::Path::new("/nonexistent"),
        documents: &DOCUMENTS,
    }
}

/// A job kind is one file: this one, written here whole, asks for a CSV and finishes by
/// counting its rows into the summary. Nothing else needs to know it.
struct RowCount;

#[async_trait::async_trait]
impl Kind for RowCount {
    fn intake(&self, submission: &mut Submission) -> Result<()> {
        if submission.files.len() != 1 {
            return Err(crate::Error::invalid("a row count takes exactly one file"));
        }
        Ok(())
    }

    fn contract(&self) -> Contract {
        Contract {
            output: "rows.csv",
            prompt: "Write os.path.join(OUTPUT_DIR, \"rows.csv\"): the rows the request selects.",
        }
    }

    async fn finish(&self, input: FinishInput<'_>) -> std::result::Result<Finished, JobError> {
        let data = input.output.ok_or_else(|| {
            JobError::new(ErrorCode::NoOutput, "the program did not write rows.csv")
        })?;
        let rows = data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        Ok(Finished {
            warnings: vec![format!("{rows} rows")],
            files: vec![(
                ArtifactKind::Data,
                "count.txt".into(),
                rows.to_string().into(),
            )],
            ..Finished::default()
        })
    }
}

#[tokio::test]
async fn a_kind_written_in_one_file_runs_through_the_trait() {
    let kind: &dyn Kind = &RowCount;
    let mut two = Submission::new(JobKind::Excel, "rows", vec![]);
    for name in ["a.csv", "b.csv"] {
        two.files.push(crate::submission::Upload {
            name: name.into(),
            data: Bytes::from_static(b"x\n"),
        });
    }
    assert!(kind.intake(&mut two).is_err());
    assert_eq!(kind.contract().output, "rows.csv");
    let job = Job::new(JobKind::Excel, "rows");
    let csv = Bytes::from_static(b"a,b\n1,2\n3,4\n");
    let done = kind.finish(finish_input(&job, Some(&csv))).await.unwrap();
    assert_eq!(done.warnings, ["3 rows"]);
    assert_eq!(done.files[0].2, Bytes::from_static(b"3"));
    let missing = kind.finish(finish_input(&job, None)).await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NoOutput);
}

#[test]
fn each_kind_owns_its_output_file_and_says_it_to_the_model() {
    for (job_kind, output) in [
        (JobKind::Excel, "edits.json"),
        (JobKind::Analytics, "results.json"),
        (JobKind::Report, "analysis.json"),
    ] {
        let contract = of(job_kind).contract();
        assert_eq!(contract.output, output);
        assert!(contract.prompt.contains(output), "{job_kind}");
    }
    // The offline planner's programs write the files the kinds name.
    assert_eq!(
        of(JobKind::Excel).contract().output,
        crate::book::edits::EDITS_FILE
    );
    assert_eq!(
        crate::plan::planner::analytics::RESULTS_FILE,
        analytics::RESULTS_FILE
    );
}

#[tokio::test]
async fn analytics_finish_needs_valid_json() {
    let job = Job::new(JobKind::Analytics, "total");
    let kind = of(JobKind::Analytics);
    let none = kind.finish(finish_input(&job, None)).await.unwrap_err();
    assert_eq!(none.code, ErrorCode::NoOutput);
    assert!(none.message.contains("results.json"), "{}", none.message);
    let bad = Bytes::from_static(b"{not json");
    let bad = kind
        .finish(finish_input(&job, Some(&bad)))
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidOutput);
    let good = Bytes::from_static(br#"{"results": {"total": 3}}"#);
    let done = kind.finish(finish_input(&job, Some(&good))).await.unwrap();
    let mut summary = Map::new();
    done.results.write_into(&mut summary);
    assert_eq!(summary["results"]["results"]["total"], 3);
    assert_eq!(summary["profile"], json!([]));
}

#[tokio::test]
async fn report_finish_writes_the_report_and_lists_the_inputs() {
    let mut job = Job::new(JobKind::Report, "summarize");
    report::ReportParams {
        title: Some("Sales".into()),
        template: None,
        notes: None,
        ..Default::default()
    }
    .apply(&mut job.params);
    assert_eq!(job.params["title"], "Sales");
    job.inputs.push(InputFile {
        name: "sales.csv".into(),
        original_name: "sales.csv".into(),
        size: 10,
        sha256: "ab".into(),
    });
    let analysis = Bytes::from(
        serde_json::to_vec(&json!({"title": "Sales", "facts": {}, "inputs": [], "charts": []}))
            .unwrap(),
    );
    let done = of(JobKind::Report)
        .finish(finish_input(&job, Some(&analysis)))
        .await
        .unwrap();
    let names: Vec<&str> = done.files.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            report::REPORT_FILE,
            "report.html",
            "report.docx",
            "report.pdf"
        ],
        "{:?}",
        done.warnings
    );
    assert_eq!(done.listed[0].name, "inputs/sales.csv");
    assert_eq!(done.listed[0].kind, ArtifactKind::Input);
    let KindResults::Report(summary) = &done.results else {
        panic!("{:?}", done.results)
    };
    assert_eq!(summary.narrator, "templates");
    assert!(!summary.sections.is_empty());
}

#[test]
fn report_intake_takes_notes_files_and_fills_an_empty_prompt() {
    let mut s = Submission::new(JobKind::Report, "  ", vec![]);
    for (name, data) in [("notes.md", &b"Q3 was slow."[..]), ("sales.csv", b"a\n1\n")] {
        s.files.push(crate::submission::Upload {
            name: name.into(),
            data: Bytes::copy_from_slice(data),
        });
    }
    of(JobKind::Report).intake(&mut s).unwrap();
    assert_eq!(s.files.len(), 1);
    assert_eq!(s.params["note_files"][0]["text"], "Q3 was slow.");
    assert_eq!(s.prompt, crate::report::DEFAULT_PROMPT);
    let mut excel = Submission::new(JobKind::Excel, "  ", vec![]);
    of(JobKind::Excel).intake(&mut excel).unwrap();
    assert_eq!(excel.prompt, "  ");
}
