//! Analytics jobs: the program computes an answer and its charts and writes
//! `results.json`; finishing puts those results and the inputs' profiles into the summary.

use super::{Contract, FinishInput, Finished, Kind, KindResults};
use crate::job::JobError;
use crate::profile::FileProfile;
use serde_json::{Map, Value, json};

/// The answer file an analytics program writes.
pub(crate) const RESULTS_FILE: &str = "results.json";

/// Answer a question about the data, with charts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Analytics;

/// What an analytics job adds to summary.json: `profile` and `results`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Results {
    pub profile: Vec<FileProfile>,
    /// `results.json` as the program wrote it.
    pub results: Value,
}

impl Results {
    pub(crate) fn write_into(&self, summary: &mut Map<String, Value>) {
        summary.insert("profile".into(), json!(self.profile));
        summary.insert("results".into(), self.results.clone());
    }
}

#[async_trait::async_trait]
impl Kind for Analytics {
    fn examples(&self) -> &'static [&'static str] {
        &[
            "overview",
            "plot monthly revenue by region",
            "average price by region",
            "distribution of price",
            "correlations",
        ]
    }

    fn contract(&self) -> Contract {
        Contract {
            output: RESULTS_FILE,
            prompt: "Compute what the request asks. Save each chart as a PNG file in OUTPUT_DIR \
                     (matplotlib, plt.savefig(os.path.join(OUTPUT_DIR, \"<name>.png\"), dpi=100), \
                     then plt.close()). Write os.path.join(OUTPUT_DIR, \"results.json\"): {\"steps\": \
                     [one short sentence per step], \"results\": {name: number or table as a list \
                     of records}, \"charts\": [file names]}.",
        }
    }

    async fn finish(&self, input: FinishInput<'_>) -> Result<Finished, JobError> {
        let results = super::output_json(&input, RESULTS_FILE)?;
        Ok(Finished {
            results: KindResults::Analytics(Results {
                profile: input.profiles.to_vec(),
                results,
            }),
            ..Finished::default()
        })
    }
}
