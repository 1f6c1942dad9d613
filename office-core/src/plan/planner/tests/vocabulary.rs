//! One vocabulary for every request reader: each aggregate phrase means the same
//! function to the Excel reader and to the analytics question.

use super::*;
use crate::plan::planner::analytics::read_question;
use crate::plan::planner::vocab::AGGREGATES;

#[test]
fn both_readers_know_every_aggregate_phrase() {
    let columns = sheet_columns(&sales_sheet());
    for (func, phrases) in AGGREGATES {
        for phrase in *phrases {
            let prompt = format!("{phrase} revenue by region");
            match one(&prompt) {
                Operation::Aggregate(a) => {
                    assert_eq!(a.func, *func, "{prompt}");
                    assert_eq!(a.group.name, "Region", "{prompt}");
                }
                other => panic!("'{prompt}' gave {other:?}"),
            }
            let question = read_question(&prompt, &columns, &["Order Date".into()])
                .unwrap_or_else(|e| panic!("'{prompt}': {e:?}"));
            assert_eq!(question.agg, func.pandas(), "{prompt}");
            assert_eq!(question.by.as_deref(), Some("Region"), "{prompt}");
        }
    }
    // The word the two readers disagreed on.
    match one("median unit price per category") {
        Operation::Aggregate(a) => assert_eq!(a.func, AggFunc::Median),
        other => panic!("{other:?}"),
    }
}
