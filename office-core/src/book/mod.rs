//! The user's workbook, edited in place: the edit script an excel program writes
//! (`edits`), applied to the input package so that every part it does not change comes
//! back byte for byte, then checked against the input.

#![warn(missing_docs, unreachable_pub)]

pub(crate) mod apply;
pub(crate) mod changes;
pub(crate) mod chart;
pub(crate) mod edits;
pub(crate) mod formula;
pub(crate) mod look;
pub(crate) mod new_book;
pub(crate) mod new_sheet;
pub(crate) mod package;
pub(crate) mod parts;
pub(crate) mod recalc;
pub(crate) mod sheet;
pub(crate) mod structured;
pub(crate) mod styles;
#[cfg(test)]
pub(crate) mod test_zip;
pub(crate) mod text;
pub(crate) mod typed;
pub(crate) mod verify;
pub(crate) mod workbook;
pub(crate) mod xml;

/// Why an edit script cannot be applied to the workbook: one sentence a person
/// understands (the script, the workbook, or their combination is at fault), and the
/// places it found wrong (a new formula error, a reference the edit would break), so a
/// model asked to repair its program sees where.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct EditError {
    pub(crate) message: String,
    pub(crate) places: Vec<Place>,
}

impl EditError {
    /// An error with no particular place.
    pub(crate) fn new(message: String) -> EditError {
        EditError {
            message,
            places: Vec::new(),
        }
    }
}

/// Where the write-back or its check found something wrong: `at` is a cell
/// (`Summary!B3`) or a part of the workbook (`defined name Total`), `problem` what is
/// wrong there (`#DIV/0!`, `refers to rows the filter removes`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Place {
    pub(crate) at: String,
    pub(crate) problem: String,
}

impl Place {
    pub(crate) fn new(at: impl Into<String>, problem: impl Into<String>) -> Place {
        Place {
            at: at.into(),
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}
