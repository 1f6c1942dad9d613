//! Excel jobs: the program writes the transformed workbook. No request fields beyond the
//! prompt, nothing to finish: the workbook is the result.

use super::{Contract, FinishInput, Finished, Kind};
use crate::job::JobError;

/// The workbook an excel program writes into `OUTPUT_DIR`.
pub(crate) const OUTPUT_FILE: &str = "output.xlsx";

/// The machine-readable account of a run the program writes next to the workbook:
/// `{"steps": [...], "target_sheet": "...", "sheets": {name: {"rows": n, "columns": n}}}`.
pub(crate) const RESULT_FILE: &str = super::PROGRAM_REPORT_FILE;

/// Transform a workbook.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Excel;

#[async_trait::async_trait]
impl Kind for Excel {
    fn contract(&self) -> Contract {
        Contract {
            output: OUTPUT_FILE,
            prompt: "Write the resulting workbook to os.path.join(OUTPUT_DIR, \"output.xlsx\"): every \
                     sheet of the input (changed as the request asks, the others unchanged) plus a \
                     new sheet for each table the request produces (groupings, statistics). Also \
                     write os.path.join(OUTPUT_DIR, \"result.json\"): {\"steps\": [one short sentence \
                     per step done, with counts], \"target_sheet\": name, \"sheets\": {name: \
                     {\"rows\": n, \"columns\": n}}}.",
        }
    }

    async fn finish(&self, _input: FinishInput<'_>) -> Result<Finished, JobError> {
        Ok(Finished::default())
    }
}
