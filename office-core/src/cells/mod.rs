//! A page of a job's workbook as a person reads it: the cells of one sheet, a few rows
//! at a time, in sheet coordinates (row numbers, column letters), with the cells the
//! job's write-back changed marked from its change log (summary.json's `changes`).
//! Faces show it as a table; none of them reads a workbook itself.

mod marks;
mod read;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::job::{ArtifactKind, Job};
use serde::Serialize;

pub(crate) use marks::Marks;
pub(crate) use read::read_page;

/// Rows on a page when the caller does not say.
pub const DEFAULT_SHEET_ROWS: u32 = 50;

/// The most rows a page holds; a larger `limit` is refused, not cut.
pub const MAX_SHEET_ROWS: u32 = 500;

/// The most columns a page shows; wider sheets say how many more there are.
pub const MAX_SHEET_COLUMNS: u32 = 100;

/// Which cells to read: the artifact (the job's workbook when `None`), the sheet (the
/// first when `None`), and which rows.
#[derive(Debug, Clone, Default)]
pub struct SheetRequest {
    /// The artifact's name, as the job lists it (`output.xlsx`, `inputs/a.csv`).
    pub artifact: Option<String>,
    /// The sheet's name; the first sheet when `None`.
    pub sheet: Option<String>,
    /// Rows to skip from the sheet's first used row.
    pub offset: u32,
    /// At most this many rows (`DEFAULT_SHEET_ROWS` when `None`, at most `MAX_SHEET_ROWS`).
    pub limit: Option<u32>,
}

/// One page of one sheet's cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetPage {
    /// The artifact read.
    pub artifact: String,
    /// Every sheet of the workbook, in order (one for a CSV).
    pub sheets: Vec<String>,
    /// The sheet read.
    pub sheet: String,
    /// The rows skipped (as asked).
    pub offset: u32,
    /// How many used rows the sheet has in all.
    pub total_rows: u32,
    /// The letters of the columns shown, in order (`A`, `B`, ...).
    pub columns: Vec<String>,
    /// How many used columns are not shown (past `MAX_SHEET_COLUMNS`).
    pub hidden_columns: u32,
    /// The rows of this page.
    pub rows: Vec<SheetRow>,
    /// Whether the job added this sheet (every cell of it is new).
    pub new_sheet: bool,
}

/// One row of a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetRow {
    /// The row's number in the sheet (1-based, as Excel shows it).
    pub row: u32,
    /// Its cells under `columns`: null (empty), a boolean, a number or text (dates as
    /// ISO 8601 text, errors such as `#N/A` as text).
    pub cells: Vec<Cell>,
    /// The positions in `cells` of the cells the job changed (set, or in a column it added).
    pub changed: Vec<u32>,
}

/// A cell's value, as JSON: null, a boolean, a number or text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Cell(pub serde_json::Value);

impl Engine {
    /// One page of a sheet of the job's workbook (or of the artifact `request` names),
    /// with the cells the job changed marked. A job that has not made its workbook yet
    /// is not ready (409); a name the job does not list is not found.
    pub async fn sheet(&self, job: &Job, request: &SheetRequest) -> Result<SheetPage> {
        let name = match &request.artifact {
            Some(name) => name.clone(),
            None => job
                .artifacts
                .iter()
                .find(|a| a.kind == ArtifactKind::Workbook)
                .map(|a| a.name.clone())
                .ok_or_else(|| {
                    if job.status.is_final() {
                        Error::not_found(format!("job {} made no workbook", job.id))
                    } else {
                        Error::NotReady(format!(
                            "job {} has no workbook yet: it is {} (stage {})",
                            job.id, job.status, job.stage
                        ))
                    }
                })?,
        };
        let (_, bytes) = self.read_artifact(job, &name).await?;
        // Only the job's own outputs carry marks; the change log is optional.
        let marks = match self.summary(job).await {
            Ok(summary) if !name.starts_with("inputs/") => Marks::from_summary(&summary),
            _ => Marks::default(),
        };
        let request = request.clone();
        tokio::task::spawn_blocking(move || read_page(&name, &bytes, &request, &marks))
            .await
            .map_err(|e| Error::Internal(format!("reading a sheet stopped: {e}")))?
    }
}

/// `A` for 1, `AA` for 27.
pub(crate) fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rest = (column - 1) % 26;
        letters.push(b'A' + rest as u8);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// 1 for `A`, 27 for `AA`; `None` for anything else.
pub(crate) fn column_number(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters.bytes().try_fold(0u32, |n, b| {
        b.is_ascii_alphabetic()
            .then(|| n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_round_trip() {
        for (n, s) in [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")] {
            assert_eq!(column_letters(n), s);
            assert_eq!(column_number(s), Some(n));
        }
        assert_eq!(column_number("A1"), None);
        assert_eq!(column_number(""), None);
    }
}
