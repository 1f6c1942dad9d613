//! Which cells a job changed, from its change log (summary.json's `changes`, as the
//! excel write-back writes it): the cells it set, the columns it added, the sheets it
//! added. Reordered or removed rows move cells without changing them: not marked.

use super::column_number;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The changed places, by sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Marks {
    new_sheets: HashSet<String>,
    /// Sheet -> columns added (1-based).
    columns: HashMap<String, HashSet<u32>>,
    /// Sheet -> cells set (row, column; 1-based).
    cells: HashMap<String, HashSet<(u32, u32)>>,
}

impl Marks {
    /// The marks of a summary.json; none when it has no change log.
    pub(crate) fn from_summary(summary: &Value) -> Marks {
        let mut marks = Marks::default();
        let Some(changes) = summary.get("changes").and_then(Value::as_array) else {
            return marks;
        };
        for change in changes {
            let text = |key: &str| change.get(key).and_then(Value::as_str);
            let Some(sheet) = text("sheet") else { continue };
            match text("change") {
                Some("sheet_added") => {
                    marks.new_sheets.insert(sheet.to_owned());
                }
                Some("column_added") => {
                    if let Some(column) = text("column").and_then(column_number) {
                        marks
                            .columns
                            .entry(sheet.to_owned())
                            .or_default()
                            .insert(column);
                    }
                }
                Some("cell_set") => {
                    if let Some(cell) = text("cell").and_then(cell_position) {
                        marks
                            .cells
                            .entry(sheet.to_owned())
                            .or_default()
                            .insert(cell);
                    }
                }
                _ => {}
            }
        }
        marks
    }

    /// Whether the job added `sheet`.
    pub(crate) fn is_new(&self, sheet: &str) -> bool {
        self.new_sheets.contains(sheet)
    }

    /// Whether the job changed the cell at `row`, `column` (1-based) of `sheet`.
    pub(crate) fn changed(&self, sheet: &str, row: u32, column: u32) -> bool {
        self.columns.get(sheet).is_some_and(|c| c.contains(&column))
            || self
                .cells
                .get(sheet)
                .is_some_and(|c| c.contains(&(row, column)))
    }
}

/// `B3` as (3, 2); `None` for anything else (`$B$3` is read too).
fn cell_position(cell: &str) -> Option<(u32, u32)> {
    let cell = cell.replace('$', "");
    let split = cell.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = cell.split_at(split);
    let row = digits.parse::<u32>().ok().filter(|r| *r > 0)?;
    Some((row, column_number(letters)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marks_follow_the_change_log() {
        let marks = Marks::from_summary(&json!({"changes": [
            {"change": "column_added", "sheet": "Data", "column": "D", "header": "x"},
            {"change": "cell_set", "sheet": "Data", "cell": "$B$3"},
            {"change": "sheet_added", "sheet": "Totals", "rows": 2, "columns": 2},
            {"change": "rows_reordered", "sheet": "Data", "range": "A2:D9"},
        ]}));
        assert!(marks.changed("Data", 7, 4));
        assert!(marks.changed("Data", 3, 2));
        assert!(!marks.changed("Data", 3, 1));
        assert!(!marks.changed("Other", 3, 2));
        assert!(marks.is_new("Totals"));
        assert!(!marks.is_new("Data"));
        assert_eq!(Marks::from_summary(&json!({})), Marks::default());
        assert_eq!(cell_position("AA10"), Some((10, 27)));
        assert_eq!(cell_position("10"), None);
    }
}
