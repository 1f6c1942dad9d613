//! Excel jobs: the program never writes the workbook. It computes, and writes an edit
//! script (`edits.json`, `book::edits`); finish applies the script to the user's file in
//! place (`book::apply`: untouched parts byte for byte, the result checked against the
//! input) and stores `output.xlsx` (`output.xlsm` for a macro-enabled input; plus
//! `output.csv` for a CSV/TSV input), with the account of what changed, what was kept
//! and what was lost in summary.json.
//!
//! A program that ignored the contract and saved a workbook itself as `output.xlsx` is
//! accepted only when that file passes `verify::check` against the input in its
//! `Expect::Rebuilt` mode: every input sheet is there by name, and every part a workbook
//! library does not regenerate from the cells (charts, drawings, images, tables, pivot
//! tables and caches, comments, macros, embeddings, ...) is the input's bytes under the
//! same name. For an input that is not a package (CSV, `.xls`, `.ods`) there are no parts
//! to compare: the file must be a readable workbook with every sheet the input has
//! (`verify::check_from_cells`). Otherwise the job fails (`edit_failed`) naming what was lost. When a program
//! writes both, `edits.json` wins and its output replaces the program's workbook.

use super::{Contract, FinishInput, Finished, Kind, KindResults};
use crate::book::EditError;
use crate::book::apply::{self, Applied};
use crate::book::changes::{Change, Fidelity};
use crate::book::edits::{EDITS_FILE, Edits};
use crate::book::verify::{self, Expect};
use crate::job::{ArtifactKind, ErrorCode, JobError};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// The workbook a program that ignores the contract may still write into `OUTPUT_DIR`
/// (checked against the input before it is accepted). The offline planner wrote it
/// until its programs wrote `edits.json`.
pub(crate) const OUTPUT_FILE: &str = "output.xlsx";

/// The machine-readable account of a run the program may write next to its script:
/// `{"steps": [...]}`.
pub(crate) const RESULT_FILE: &str = super::PROGRAM_REPORT_FILE;

/// Largest `edits.json` read (a script for a million rows is a few MB).
const MAX_EDITS_BYTES: usize = 64 << 20;

/// Transform a workbook.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Excel;

/// What an excel job adds to summary.json.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Results {
    /// The write-back's account.
    pub(crate) fidelity: Fidelity,
    /// The workbook stored (`output.xlsx`).
    pub(crate) output: String,
}

impl Results {
    /// `changes` (each with its one-line `text`, as `office run` prints it), `kept`, `lost`.
    pub(crate) fn write_into(&self, summary: &mut Map<String, Value>) {
        let changes: Vec<Value> = self.fidelity.changes.iter().map(change_json).collect();
        summary.insert("changes".into(), Value::Array(changes));
        summary.insert("kept".into(), json!(self.fidelity.kept));
        summary.insert("lost".into(), json!(self.fidelity.lost));
        summary.insert("workbook".into(), json!(self.output));
    }
}

fn change_json(change: &Change) -> Value {
    let mut value = serde_json::to_value(change).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("text".into(), Value::String(change.to_string()));
    }
    value
}

#[async_trait::async_trait]
impl Kind for Excel {
    fn examples(&self) -> &'static [&'static str] {
        &[
            "sort by revenue descending",
            "keep rows where revenue > 1000",
            "remove duplicates by product",
            "add column margin = revenue - cost",
            "total revenue by region",
            "pivot total revenue by region and product",
            "remove rows where units is 0, then sort by date",
            "add a column with the month of date",
            "describe",
        ]
    }

    fn contract(&self) -> Contract {
        Contract {
            output: EDITS_FILE,
            prompt: "Never write a workbook. Compute with pandas, then write \
                     os.path.join(OUTPUT_DIR, \"edits.json\"), which the engine applies to the \
                     input in place (everything else stays as it was): {\"version\": 1, \"steps\": \
                     [one short sentence per step, with counts], \"sheets\": [{\"sheet\": name, \
                     \"table\": {\"header_row\": n|null, \"first_row\": n, \"last_row\": n, \
                     \"first_col\": n, \"last_col\": n}, \"rows\": [input sheet rows to keep, in \
                     output order]|null, \"add_columns\": [{\"header\": s, \"formula\": \
                     \"=F{r}*G{r}\"|null, \"values\": [cached result per output row], \
                     \"number_format\": \"0.00\"|null}], \"set_cells\": [{\"cell\": \"B3\", \
                     \"value\": v, \"formula\": s|null}], \"look\": {\"number_formats\": \
                     [{\"range\": R, \"format\": \"$#,##0.00\"}], \"conditional_formats\": \
                     [{\"range\": R, \"column\": n, \"compare\": \"greater_than\"|\"less_than\"|\
                     \"greater_than_or_equal\"|\"less_than_or_equal\"|\"equal\"|\"not_equal\"|\
                     \"contains\"|\"not_contains\", \"value\": v, \"fill\": \"FFC7CE\"}], \
                     \"freeze\": {\"rows\": n, \"cols\": n}, \"autofilter\": R, \"charts\": \
                     [{\"kind\": \"bar\"|\"column\"|\"line\"|\"pie\"|\"scatter\", \"title\": s, \
                     \"header_row\": n, \"first_row\": n, \"last_row\": n, \"category_col\": n, \
                     \"value_cols\": [n]}]} (R is {\"first_row\": n, \"last_row\": n, \
                     \"first_col\": n, \"last_col\": n}, in output coordinates)}], \
                     \"new_sheets\": [{\"name\": s, \"columns\": [s], \"rows\": [[v]], \
                     \"formulas\": [[s|null]], \"number_formats\": [s|null], \"chart\": \
                     {\"kind\": k, \"title\": s}|null}]}. Rows and columns are 1-based sheet \
                     coordinates (A=1); `{r}` is the row's own output row; formulas on new \
                     sheets point at output rows (SUMIFS over the kept range). A value v is null, \
                     a bool, a number, a string (always text, as typed), {\"date\": \
                     \"2024-01-31\"} or {\"error\": \"#N/A\"}. No other fields. The file \
                     profile gives each sheet's `table` and each column's letter. Read cells with \
                     python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(name)\
                     .to_python(skip_empty_area=False) (A1 at [0][0], empty cells are \"\"), \
                     a CSV with the csv module and the profile's dialect.",
        }
    }

    fn also_accepted(&self) -> Option<&'static str> {
        Some(OUTPUT_FILE)
    }

    async fn finish(&self, input: FinishInput<'_>) -> Result<Finished, JobError> {
        let (source_name, source_path) = workbook_input(&input)?;
        let source = tokio::fs::read(&source_path).await.map_err(|e| {
            JobError::new(
                ErrorCode::Internal,
                format!("the input {source_name} cannot be read again: {e}"),
            )
        })?;
        match input.output {
            Some(script) => apply_script(script, source, source_name).await,
            None => accept_rebuilt(&input, source, source_name).await,
        }
    }
}

/// The input the script edits: the first workbook or table file of the job.
fn workbook_input(input: &FinishInput<'_>) -> Result<(String, PathBuf), JobError> {
    input
        .job
        .inputs
        .iter()
        .zip(input.inputs)
        .find(|(file, _)| apply::is_supported(&file.name))
        .map(|(file, path)| (file.name.clone(), path.clone()))
        .ok_or_else(|| {
            JobError::new(
                ErrorCode::NoData,
                "the job has no workbook or table file to edit",
            )
        })
}

async fn apply_script(
    script: &Bytes,
    source: Vec<u8>,
    source_name: String,
) -> Result<Finished, JobError> {
    if script.len() > MAX_EDITS_BYTES {
        return Err(JobError::new(
            ErrorCode::InvalidOutput,
            format!(
                "the program wrote {EDITS_FILE} of {} MB, more than the {} MB allowed",
                script.len() >> 20,
                MAX_EDITS_BYTES >> 20
            ),
        ));
    }
    let edits: Edits = serde_json::from_slice(script).map_err(|e| {
        JobError::new(
            ErrorCode::InvalidOutput,
            format!("the program wrote {EDITS_FILE}, but it is not a valid edit script: {e}"),
        )
    })?;
    let applied = tokio::task::spawn_blocking(move || apply::apply(&source, &source_name, &edits))
        .await
        .map_err(|e| JobError::new(ErrorCode::Internal, format!("the write-back stopped: {e}")))?
        .map_err(|e| edit_failed(String::new(), e))?;
    Ok(finished(applied))
}

/// The write-back's or the check's refusal as the job's error: the sentence, and the
/// places in `details.places` (`{"at": "Summary!B3", "problem": "#DIV/0!"}`), which the
/// repair loop shows a model.
fn edit_failed(prefix: String, e: EditError) -> JobError {
    JobError::new(ErrorCode::EditFailed, format!("{prefix}{}", e.message))
        .with_details(json!({ "places": e.places }))
}

fn finished(applied: Applied) -> Finished {
    let mut files = vec![(
        ArtifactKind::Workbook,
        applied.file_name.clone(),
        Bytes::from(applied.bytes),
    )];
    for (name, bytes) in applied.also {
        files.push((ArtifactKind::Data, name, Bytes::from(bytes)));
    }
    Finished {
        results: KindResults::Excel(Results {
            fidelity: applied.fidelity,
            output: applied.file_name,
        }),
        files,
        ..Finished::default()
    }
}

/// No script: a workbook the program saved itself, accepted only if nothing beyond the
/// cells was lost.
async fn accept_rebuilt(
    input: &FinishInput<'_>,
    source: Vec<u8>,
    source_name: String,
) -> Result<Finished, JobError> {
    let path = input.output_dir.join(OUTPUT_FILE);
    let Ok(rebuilt) = tokio::fs::read(&path).await else {
        return Err(JobError::new(
            ErrorCode::NoOutput,
            format!("the program finished but did not write {EDITS_FILE} to its output folder"),
        ));
    };
    let (input_bytes, output) = (source, Bytes::from(rebuilt));
    let checked_output = output.clone();
    let checked = tokio::task::spawn_blocking(move || match apply::is_package(&source_name) {
        true => verify::check(&input_bytes, &checked_output, Expect::Rebuilt),
        false => verify::check_from_cells(&input_bytes, &source_name, &checked_output),
    })
    .await
    .map_err(|e| JobError::new(ErrorCode::Internal, format!("the check stopped: {e}")))?
    .map_err(|e| {
        let prefix =
            format!("the program saved {OUTPUT_FILE} itself instead of writing {EDITS_FILE}, and ");
        edit_failed(prefix, e)
    })?;
    Ok(Finished {
        results: KindResults::Excel(Results {
            fidelity: Fidelity {
                kept: checked.kept,
                ..Fidelity::default()
            },
            output: OUTPUT_FILE.into(),
        }),
        // The collect left it to this step: stored only now that it passed.
        files: vec![(ArtifactKind::Workbook, OUTPUT_FILE.into(), output)],
        warnings: vec![format!(
            "the program saved {OUTPUT_FILE} itself instead of writing {EDITS_FILE}; it was kept \
             because it passed the check against the input (every sheet and every part beyond \
             the cells is there)"
        )],
        ..Finished::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{InputFile, Job, JobKind};
    use crate::plan::planner::OfflinePlanner;
    use std::path::Path;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/book")
            .join(name)
    }

    fn job_on(name: &str) -> Job {
        let mut job = Job::new(JobKind::Excel, "add a summary");
        job.inputs.push(InputFile {
            name: name.into(),
            original_name: name.into(),
            size: 0,
            sha256: String::new(),
        });
        job
    }

    async fn finish(
        job: &Job,
        inputs: &[PathBuf],
        script: Option<&str>,
        dir: &Path,
    ) -> Result<Finished, JobError> {
        let bytes = script.map(|s| Bytes::from(s.to_string()));
        Excel
            .finish(FinishInput {
                job,
                profiles: &[],
                output: bytes.as_ref(),
                generator: &OfflinePlanner,
                inputs,
                output_dir: dir,
                documents: &Default::default(),
            })
            .await
    }

    #[tokio::test]
    async fn the_script_is_applied_and_the_summary_says_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let job = job_on("table-multiple.xlsx");
        let inputs = [fixture("table-multiple.xlsx")];
        let script = r#"{"version": 1, "new_sheets": [{"name": "Counts", "columns": ["n"], "rows": [[3]]}]}"#;
        let done = finish(&job, &inputs, Some(script), dir.path())
            .await
            .unwrap();
        assert_eq!(done.files[0].1, "output.xlsx");
        let mut summary = Map::new();
        done.results.write_into(&mut summary);
        assert_eq!(summary["changes"][0]["change"], "sheet_added");
        assert_eq!(
            summary["changes"][0]["text"],
            "sheet 'Counts' added (1 rows x 1 columns)"
        );
        assert!(
            summary["kept"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "table Inventory"),
            "{summary:?}"
        );

        let xlsm = job_on("mv-calculator-final-2-20-2013.xlsm");
        let done = finish(
            &xlsm,
            &[fixture("mv-calculator-final-2-20-2013.xlsm")],
            Some(script),
            dir.path(),
        )
        .await
        .unwrap();
        assert_eq!(
            done.files[0].1, "output.xlsm",
            "a macro-enabled input stays macro-enabled"
        );
    }

    #[tokio::test]
    async fn a_bad_script_is_invalid_output_with_the_parser_s_reason() {
        let dir = tempfile::tempdir().unwrap();
        let job = job_on("table-multiple.xlsx");
        let inputs = [fixture("table-multiple.xlsx")];
        let unknown = finish(
            &job,
            &inputs,
            Some(r#"{"version": 1, "workbook": {}}"#),
            dir.path(),
        )
        .await
        .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::InvalidOutput);
        assert!(
            unknown.message.contains("unknown field `workbook`"),
            "{}",
            unknown.message
        );
        let broken = finish(&job, &inputs, Some("{not json"), dir.path())
            .await
            .unwrap_err();
        assert_eq!(broken.code, ErrorCode::InvalidOutput);
        let missing = r#"{"version": 1, "sheets": [{"sheet": "Nope", "table": {"header_row": 1, "first_row": 2, "last_row": 3, "first_col": 1, "last_col": 1}}], "new_sheets": [{"name": "x", "columns": ["a"], "rows": []}]}"#;
        let err = finish(&job, &inputs, Some(missing), dir.path())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::EditFailed);
        assert!(err.message.contains("'Nope'"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_workbook_the_program_saved_itself_passes_only_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let job = job_on("table-multiple.xlsx");
        let inputs = [fixture("table-multiple.xlsx")];
        let none = finish(&job, &inputs, None, dir.path()).await.unwrap_err();
        assert_eq!(none.code, ErrorCode::NoOutput);
        // The input itself, saved again unchanged: nothing lost, accepted.
        std::fs::copy(fixture("table-multiple.xlsx"), dir.path().join(OUTPUT_FILE)).unwrap();
        let done = finish(&job, &inputs, None, dir.path()).await.unwrap();
        assert!(done.warnings[0].contains("instead of writing edits.json"));
        // Saved with a table part gone: refused, naming it.
        let input = std::fs::read(fixture("table-multiple.xlsx")).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&input[..])).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let raw = archive.by_index_raw(i).unwrap();
            if raw.name().unwrap() != "xl/tables/table1.xml" {
                out.raw_copy_file(raw).unwrap();
            }
        }
        std::fs::write(
            dir.path().join(OUTPUT_FILE),
            out.finish().unwrap().into_inner(),
        )
        .unwrap();
        let err = finish(&job, &inputs, None, dir.path()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::EditFailed);
        assert!(
            err.message.contains("table xl/tables/table1.xml"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn a_table_input_s_self_saved_workbook_must_open() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("sales.csv");
        std::fs::write(&csv, "region,amount\nNorth,10\n").unwrap();
        let job = job_on("sales.csv");
        let inputs = [csv];
        std::fs::copy(fixture("date_1904.xlsx"), dir.path().join(OUTPUT_FILE)).unwrap();
        assert!(finish(&job, &inputs, None, dir.path()).await.is_ok());
        std::fs::write(dir.path().join(OUTPUT_FILE), b"PK not a workbook").unwrap();
        let err = finish(&job, &inputs, None, dir.path()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::EditFailed);
        assert!(
            err.message.contains("not a readable workbook"),
            "{}",
            err.message
        );
    }
}
