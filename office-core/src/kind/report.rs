//! Report jobs: the program computes facts and charts into `analysis.json`; finishing
//! writes `report.md` from those facts (by the generator's narrator when it has one,
//! else the built-in templates), number-checks it, and lists the inputs as artifacts.
//! `.md` / `.txt` uploads are the report's notes, not data.

use super::{Contract, FinishInput, Finished, Kind, KindResults};
use crate::artifacts::safe_file_name;
use crate::error::{Error, Result};
use crate::job::{Artifact, ArtifactKind, ErrorCode, JobError};
use crate::plan::NarrativeRequest;
use crate::report::numbers::{DroppedSentence, check_numbers};
use crate::report::render::ReportFormat;
use crate::report::{self, PARAM_FORMATS, PARAM_NOTE_FILES, PARAM_NOTES, PARAM_TEMPLATE};
use crate::report::{PARAM_TITLE, narrative, templates};
use crate::submission::Submission;
use serde_json::{Map, Value, json};

/// The facts file a report program writes.
pub(crate) const ANALYSIS_FILE: &str = "analysis.json";
/// The report the finish step writes.
pub(crate) const REPORT_FILE: &str = "report.md";

/// A report from data files, notes and a template.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Report;

/// A report's request fields, as every face takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportParams {
    /// The report's title.
    pub title: Option<String>,
    /// A built-in template's name, or Markdown whose headings are the sections.
    pub template: Option<String>,
    /// Notes to weave in.
    pub notes: Option<String>,
    /// The documents to make beside `report.md`; `None` makes every one.
    pub formats: Option<Vec<ReportFormat>>,
}

impl ReportParams {
    /// Puts the fields into a submission's params, where the job keeps them.
    pub fn apply(self, params: &mut Map<String, Value>) {
        for (key, value) in [
            (PARAM_TITLE, self.title),
            (PARAM_TEMPLATE, self.template),
            (PARAM_NOTES, self.notes),
        ] {
            if let Some(v) = value {
                params.insert(key.into(), v.into());
            }
        }
        if let Some(formats) = self.formats {
            let names = formats.iter().map(|f| Value::from(f.as_str())).collect();
            params.insert(PARAM_FORMATS.into(), Value::Array(names));
        }
    }

    /// Reads a `formats` field as a face receives it: names separated by commas or
    /// spaces (`"html, pdf"`); empty means every format.
    pub fn parse_formats(text: &str) -> Result<Option<Vec<ReportFormat>>> {
        let mut formats = Vec::new();
        for name in text.split([',', ' ']).filter(|n| !n.trim().is_empty()) {
            let format: ReportFormat = name.parse()?;
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        Ok((!formats.is_empty()).then_some(formats))
    }
}

/// What a report job adds to summary.json: `report`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    pub template: String,
    pub sections: Vec<String>,
    /// Who wrote the prose: `templates`, `llm:<model>`.
    pub narrator: String,
    pub dropped_sentences: Vec<DroppedSentence>,
}

impl Summary {
    pub(crate) fn write_into(&self, summary: &mut Map<String, Value>) {
        summary.insert(
            "report".into(),
            json!({
                "template": self.template,
                "sections": self.sections,
                "narrator": self.narrator,
                "dropped_sentences": self.dropped_sentences,
            }),
        );
    }
}

#[async_trait::async_trait]
impl Kind for Report {
    fn examples(&self) -> &'static [&'static str] {
        &[
            "Summarise revenue by region for the board",
            "Which products sell best, and where?",
        ]
    }

    /// Notes files move into the params, the fields are checked, and a report asked
    /// without a request summarizes.
    fn intake(&self, submission: &mut Submission) -> Result<()> {
        take_note_files(submission)?;
        report::check_params(&submission.params)?;
        if submission.prompt.trim().is_empty() {
            submission.prompt = report::DEFAULT_PROMPT.into();
        }
        Ok(())
    }

    fn contract(&self) -> Contract {
        Contract {
            output: ANALYSIS_FILE,
            prompt: "Compute the facts a report on the request needs. Save each chart as a PNG \
                     file in OUTPUT_DIR (matplotlib, plt.savefig(..., dpi=100), then plt.close()). \
                     Write os.path.join(OUTPUT_DIR, \"analysis.json\"): {\"facts\": {name: number, \
                     text or table as a list of records}, \"charts\": [{\"file\": name, \"title\": \
                     text}]}. Numbers are JSON numbers, rounded as they should be quoted. For each \
                     chart also write its data into os.path.join(OUTPUT_DIR, \"charts.json\"): \
                     {png name: {\"kind\": \"bar\"|\"column\"|\"line\"|\"scatter\", \"title\", \
                     \"x_title\", \"y_title\", \"categories\": [...], \"series\": [{\"name\", \
                     \"values\": [...]}]}}, so the report's workbook draws it natively. Do not \
                     write the report's prose: it is written from analysis.json afterwards.",
        }
    }

    async fn finish(&self, input: FinishInput<'_>) -> std::result::Result<Finished, JobError> {
        let analysis = super::output_json(&input, ANALYSIS_FILE)?;
        let job = input.job;
        let template = templates::resolve(job.params.get(PARAM_TEMPLATE).and_then(Value::as_str))
            .map_err(|e| JobError::new(ErrorCode::InvalidTemplate, e.to_string()))?;
        let headings: Vec<String> = template
            .sections
            .iter()
            .map(|s| s.heading.clone())
            .collect();
        let param = |name: &str| {
            job.params
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (title, notes) = (param(PARAM_TITLE), param(PARAM_NOTES));
        let request = NarrativeRequest {
            prompt: &job.prompt,
            title: &title,
            notes: &notes,
            sections: &headings,
            analysis: &analysis,
        };
        let mut finished = Finished::default();
        // The prose is written by the generator that wrote the program.
        let (markdown, narrator) = match input.generator.narrate(&request).await {
            Some(Ok(n)) => (n.markdown, n.generator),
            Some(Err(e)) => {
                finished.warnings.push(format!(
                    "the narrator could not write the report ({}); the built-in templates wrote it",
                    e.message
                ));
                (narrative::write(&template, &analysis), "templates".into())
            }
            None => (narrative::write(&template, &analysis), "templates".into()),
        };
        let checked = check_numbers(&markdown, &analysis);
        for dropped in &checked.dropped {
            finished.warnings.push(format!(
                "a sentence of the report was dropped: it states {} that analysis.json does not hold: {}",
                dropped.unsupported.join(", "),
                dropped.sentence
            ));
        }
        let formats = report::formats(&job.params);
        let documents = input.documents.clone();
        let (markdown, dir) = (checked.markdown.clone(), input.output_dir.to_path_buf());
        let subject = job.prompt.clone();
        // Laying out pages is CPU work: off the async threads.
        let made = tokio::task::spawn_blocking(move || {
            documents.render(&markdown, &dir, &formats, &subject)
        })
        .await
        .unwrap_or_default();
        finished.files.push((
            ArtifactKind::Report,
            REPORT_FILE.into(),
            checked.markdown.into(),
        ));
        for (format, result) in made {
            match result {
                Ok(bytes) => finished.files.push((
                    ArtifactKind::Report,
                    format.file_name().into(),
                    bytes.into(),
                )),
                Err(reason) => finished
                    .warnings
                    .push(format!("{} was not made: {reason}", format.file_name())),
            }
        }
        // The uploaded files are part of what a report hands back (`inputs/*`).
        for input in &job.inputs {
            finished.listed.push(Artifact {
                content_type: crate::collect::content_type(&input.name),
                name: format!("inputs/{}", input.name),
                kind: ArtifactKind::Input,
                size: input.size,
                sha256: input.sha256.clone(),
            });
        }
        finished.results = KindResults::Report(Summary {
            template: template.name,
            sections: headings,
            narrator,
            dropped_sentences: checked.dropped,
        });
        Ok(finished)
    }
}

/// A report's `.md` / `.txt` uploads are notes, not data: their text moves into the
/// job's params (where the planner and the narrative read notes), the data files stay.
fn take_note_files(submission: &mut Submission) -> Result<()> {
    let mut notes = Vec::new();
    let mut data = Vec::new();
    for file in std::mem::take(&mut submission.files) {
        if report::is_note_file(&file.name) {
            let text = report::note_text(&file.name, &file.data)?;
            notes.push(json!({"name": safe_file_name(&file.name), "text": text}));
        } else {
            data.push(file);
        }
    }
    if !notes.is_empty() && data.is_empty() {
        return Err(Error::invalid(
            "a report needs at least one data file (xlsx, xlsm, xls, xlsb, ods, csv, tsv) besides its notes",
        ));
    }
    submission.files = data;
    if !notes.is_empty() {
        submission
            .params
            .insert(PARAM_NOTE_FILES.into(), Value::Array(notes));
    }
    Ok(())
}
