//! Formula cells without cached values. A workbook saved by a tool that writes formulas
//! but not their results (openpyxl, many generators) reads as empty cells to calamine and
//! pandas alike; such a workbook is evaluated and a filled copy profiled, and the job's
//! program reads the same filled copy, so the values it reads are the profiled ones.

#![warn(missing_docs, unreachable_pub)]

use crate::book::recalc::{self, RecalcError};
use std::path::Path;

/// A workbook whose missing cached values were filled by the formula engine.
pub(crate) struct Filled {
    /// The workbook's bytes with every missing cached value set.
    pub(crate) bytes: Vec<u8>,
    /// How many formula cells had no cached value.
    pub(crate) missing: usize,
    /// How many of those the engine could not calculate (they stay empty).
    pub(crate) unevaluated: usize,
}

impl Filled {
    /// What the profile says about it.
    pub(crate) fn note(&self) -> String {
        let mut note = format!(
            "{} formula cell{} had no stored result; they were calculated for this profile \
             and the program reads the calculated values",
            self.missing,
            if self.missing == 1 { "" } else { "s" }
        );
        if self.unevaluated > 0 {
            note.push_str(&format!(
                " ({} could not be calculated and read as empty)",
                self.unevaluated
            ));
        }
        note
    }
}

/// The xlsx/xlsm at `path` with its missing cached values filled; `Ok(None)` when every
/// formula cell has one (as in anything Excel saved) or the file is not a package the
/// scan can read (the profiler then reports what is wrong with it).
pub(crate) fn fill_missing(path: &Path) -> Result<Option<Filled>, RecalcError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
    if size > recalc::MAX_XLSX_BYTES as u64 {
        return Ok(None);
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    let missing = match recalc::missing_cached(&bytes) {
        Ok(0) | Err(_) => return Ok(None),
        Ok(missing) => missing,
    };
    let values = recalc::evaluate(&bytes)?;
    let filled = recalc::fill_cached(&bytes, &values, true)?;
    Ok(Some(Filled {
        bytes: filled,
        missing,
        unevaluated: values.unevaluated().len(),
    }))
}
