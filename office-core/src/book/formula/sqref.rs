//! An `sqref` (a conditional format's or validation's list of ranges) whose cells follow
//! their rows: a piece over part of reordered rows is split into the runs it lands on.

use super::tokens::{self, Area};
use super::{EditError, RangeFault, RowMap, range_text};

/// A conditional format's or validation's `sqref` after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sqref {
    /// Unchanged.
    Same,
    /// The new list, and how far its top-left row moved (for its formulas).
    Changed {
        /// The new space-separated list.
        text: String,
        /// New top row minus old top row.
        d_row: i64,
    },
    /// Every cell it covered was removed.
    Gone,
}

/// Most pieces a split `sqref` may have.
const MAX_SQREF_PIECES: usize = 10_000;
/// Most rows one `sqref` may have split row by row (a hostile list of long pieces).
const MAX_SPLIT_ROWS: usize = 4_000_000;

/// An `sqref` (`A2:A101 C5`) on the edited sheet whose cells follow their data: a piece
/// over part of reordered rows is split into the runs its rows land on.
pub(crate) fn follow_sqref(sqref: &str, map: &RowMap) -> Result<Sqref, EditError> {
    if map.identity {
        return Ok(Sqref::Same);
    }
    let mut pieces: Vec<(u32, u32, u32, u32)> = Vec::new(); // col1, row1, col2, row2
    let (mut old_top, mut kept_other) = (u32::MAX, Vec::new());
    let mut split_rows = 0usize;
    for piece in sqref.split_ascii_whitespace() {
        let refs = tokens::references(piece);
        let (c1, r1, c2, r2) = match refs.as_slice() {
            [r] if r.span == (0..piece.len()) => match r.area {
                Area::Cell(c) => (c.col.value, c.row.value, c.col.value, c.row.value),
                Area::Cells(a, b) => (
                    a.col.value.min(b.col.value),
                    a.row.value.min(b.row.value),
                    a.col.value.max(b.col.value),
                    a.row.value.max(b.row.value),
                ),
                _ => {
                    kept_other.push(piece.to_owned());
                    continue;
                }
            },
            _ => {
                kept_other.push(piece.to_owned());
                continue;
            }
        };
        old_top = old_top.min(r1);
        match map.map_rows(r1, r2) {
            Ok((n1, n2)) => pieces.push((c1, n1, c2, n2)),
            Err(RangeFault::AllRemoved) => {}
            Err(RangeFault::Spread) => {
                // Above and below the table the piece stays whole; inside, row by row.
                let (lo, hi) = (r1.max(map.first), r2.min(map.last));
                if r1 < lo {
                    pieces.push((c1, r1, c2, lo - 1));
                }
                if r2 > hi {
                    pieces.push((c1, hi + 1 - map.removed(), c2, r2 - map.removed()));
                }
                split_rows += (hi - lo + 1) as usize;
                if split_rows > MAX_SPLIT_ROWS {
                    return Err(EditError::new(format!(
                        "The range {sqref} covers too many rows to split for the new row order."
                    )));
                }
                let mut rows: Vec<u32> = (lo..=hi).filter_map(|r| map.new_row(r)).collect();
                rows.sort_unstable();
                let mut start = 0;
                for i in 1..=rows.len() {
                    if i == rows.len() || rows[i] != rows[i - 1] + 1 {
                        pieces.push((c1, rows[start], c2, rows[i - 1]));
                        start = i;
                    }
                }
            }
        }
        if pieces.len() > MAX_SQREF_PIECES {
            return Err(EditError::new(format!(
                "The range {sqref} would be split into more than {MAX_SQREF_PIECES} pieces by the new row order."
            )));
        }
    }
    if pieces.is_empty() && kept_other.is_empty() {
        return Ok(Sqref::Gone);
    }
    let new_top = pieces.iter().map(|p| p.1).min().unwrap_or(old_top);
    let mut text: Vec<String> = pieces
        .iter()
        .map(|&(c1, r1, c2, r2)| range_text(c1, r1, c2, r2))
        .collect();
    text.extend(kept_other);
    let text = text.join(" ");
    if text == sqref {
        return Ok(Sqref::Same);
    }
    let d_row = if old_top == u32::MAX {
        0
    } else {
        i64::from(new_top) - i64::from(old_top)
    };
    Ok(Sqref::Changed { text, d_row })
}
