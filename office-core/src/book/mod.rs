//! The user's workbook, edited in place: the edit script an excel program writes
//! (`edits`), applied to the input package so that every part it does not change comes
//! back byte for byte, then checked against the input.

#![warn(missing_docs, unreachable_pub)]

pub(crate) mod apply;
pub(crate) mod changes;
pub(crate) mod edits;
pub(crate) mod formula;
pub(crate) mod new_sheet;
pub(crate) mod package;
pub(crate) mod parts;
pub(crate) mod recalc;
pub(crate) mod sheet;
pub(crate) mod styles;
pub(crate) mod text;
pub(crate) mod verify;
pub(crate) mod workbook;
pub(crate) mod xml;

/// Why an edit script cannot be applied to the workbook: one sentence a person
/// understands (the script, the workbook, or their combination is at fault).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct EditError(pub(crate) String);
