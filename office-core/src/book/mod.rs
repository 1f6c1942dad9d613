//! The user's workbook, edited in place: the edit script an excel program writes
//! (`edits`), applied to the input package so that every part it does not change comes
//! back byte for byte, then checked against the input.

#![warn(missing_docs, unreachable_pub)]
// The applier (in progress) is the user of these types.
#![allow(dead_code)]

pub(crate) mod changes;
pub(crate) mod edits;
pub(crate) mod recalc;
