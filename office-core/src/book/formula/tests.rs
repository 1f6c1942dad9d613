use super::tokens::{Area, SheetPrefix, references};
use super::*;

fn table(first: u32, last: u32) -> TableRange {
    TableRange {
        header_row: Some(first - 1),
        first_row: first,
        last_row: last,
        first_col: 1,
        last_col: 8,
    }
}

/// Rows 2..=11; a sort that reverses them.
fn reversed() -> RowMap {
    let rows: Vec<u32> = (2..=11).rev().collect();
    RowMap::new(&table(2, 11), Some(&rows)).unwrap()
}

/// Rows 2..=101; a filter that keeps the even rows (50 of 100), in order.
fn evens() -> RowMap {
    let rows: Vec<u32> = (2..=101).filter(|r| r % 2 == 0).collect();
    RowMap::new(&table(2, 101), Some(&rows)).unwrap()
}

fn texts(formula: &str) -> Vec<&str> {
    references(formula)
        .into_iter()
        .map(|r| &formula[r.span])
        .collect()
}

#[test]
fn the_tokenizer_finds_references_and_only_references() {
    assert_eq!(texts("F2*G2"), ["F2", "G2"]);
    assert_eq!(texts("SUM($H$2:$H$101)+LOG10(A1)"), ["$H$2:$H$101", "A1"]);
    assert_eq!(texts(r#""A1 ""B2"" C3"&D4"#), ["D4"], "strings are skipped");
    assert_eq!(texts("'It''s'!A1+Data!B2"), ["'It''s'!A1", "Data!B2"]);
    assert_eq!(texts("SUM(Sheet1:Sheet3!A1)"), ["Sheet1:Sheet3!A1"]);
    assert_eq!(texts("SUM(H:H)+SUM(2:5)+$A:$C"), ["H:H", "2:5", "$A:$C"]);
    assert_eq!(
        texts("SUM(Table1[[#This Row],[Qty]])+Table1[@Qty]"),
        Vec::<&str>::new()
    );
    assert_eq!(
        texts("SUM({1,2;3,4})+IF(TRUE,#REF!,#N/A)"),
        Vec::<&str>::new()
    );
    assert_eq!(texts("_xlfn.XLOOKUP(A2,B:B,C:C)"), ["A2", "B:B", "C:C"]);
    assert_eq!(texts("[1]Sheet1!A1+Rate*Sales2024"), ["[1]Sheet1!A1"]);
    assert_eq!(texts("A1#+Data!#REF!+1.5E+10+XFE1+A1048577"), ["A1"]);
    let r = &references("'My Sheet'!$B$3:C4")[0];
    assert_eq!(r.sheet, SheetPrefix::Sheet("My Sheet".into()));
    assert!(matches!(r.area, Area::Cells(a, b) if a.row.absolute && !b.col.absolute));
    assert_eq!(references("[1]S!A1")[0].sheet, SheetPrefix::External);
    assert_eq!(
        references("'Jan:Mar'!A1")[0].sheet,
        SheetPrefix::ThreeD("Jan".into(), "Mar".into())
    );
}

#[test]
fn the_row_map_validates_the_script() {
    let t = table(2, 11);
    for bad in [&[1u32][..], &[12], &[3, 3], &[0]] {
        let err = RowMap::new(&t, Some(bad)).unwrap_err();
        assert!(err.message.ends_with('.'), "a sentence: {}", err.message);
    }
    let too_many: Vec<u32> = (2..=12).collect();
    assert!(RowMap::new(&t, Some(&too_many)).is_err());
    let mut header_below = t;
    header_below.header_row = Some(5);
    assert!(RowMap::new(&header_below, None).is_err());
    assert!(RowMap::new(&table(2, 2_000_000), None).is_err());

    let map = RowMap::new(&t, Some(&[5, 2, 3])).unwrap();
    assert_eq!(map.new_row(5), Some(2));
    assert_eq!(map.new_row(3), Some(4));
    assert_eq!(map.new_row(4), None);
    assert_eq!(map.new_row(1), Some(1));
    assert_eq!(map.new_row(12), Some(12 - 7));
    assert_eq!(map.removed(), 7);
    assert!(map.is_reordered() && !map.is_identity());
    assert!(RowMap::new(&t, None).unwrap().is_identity());
    let in_order: Vec<u32> = (2..=11).collect();
    assert!(RowMap::new(&t, Some(&in_order)).unwrap().is_identity());
}

#[test]
fn references_follow_their_rows_on_a_sort() {
    let map = reversed();
    // Row 2 landed in row 11, row 5 in row 8.
    assert_eq!(
        adjust_formula("Data!F2*Data!$G$5", "Dash", "Data", &map),
        Adjusted::Changed("Data!F11*Data!$G$8".into())
    );
    // Unqualified references on the edited sheet itself.
    assert_eq!(
        move_formula("F2*G2", "Data", &map),
        Adjusted::Changed("F11*G11".into())
    );
    // Whole table, whole column, header row, other sheets: unchanged, byte for byte.
    for same in [
        "SUM(Data!H2:H11)",
        "SUM(Data!H1:H11)",
        "SUM(data!H:H)",
        "Data!A1",
        "Other!F2",
        "F2",
        "SUM( Data!H2:H11 )",
    ] {
        assert_eq!(
            adjust_formula(same, "Dash", "Data", &map),
            Adjusted::Same,
            "{same}"
        );
    }
    // Part of the sorted rows: its cells are spread, so it is reported.
    let first_and_last_swapped =
        RowMap::new(&table(2, 11), Some(&[11, 3, 4, 5, 6, 7, 8, 9, 10, 2])).unwrap();
    match adjust_formula("SUM(Data!H2:H5)", "Dash", "Data", &first_and_last_swapped) {
        Adjusted::Broken { text, reason } => {
            assert_eq!(text, "SUM(Data!#REF!)");
            assert!(
                reason.contains("Data!H2:H5") && reason.contains("part"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // ... unless the part lands as one block (rows 2..=5 reversed land on 8..=11).
    assert_eq!(
        adjust_formula("SUM(Data!H2:H5)", "Dash", "Data", &map),
        Adjusted::Changed("SUM(Data!H8:H11)".into())
    );
    assert_eq!(
        adjust_formula("SUM(Data!H3:H2)", "Dash", "Data", &map),
        Adjusted::Changed("SUM(Data!H11:H10)".into())
    );
}

#[test]
fn ranges_shrink_and_cells_break_on_a_filter() {
    let map = evens(); // rows 2,4,..,100 kept -> 2..=51; 102 -> 52
    assert_eq!(
        adjust_formula("SUM(H2:H101)", "Data", "Data", &map),
        Adjusted::Changed("SUM(H2:H51)".into())
    );
    assert_eq!(
        adjust_formula("SUM($H$1:$H$101)/H102", "Data", "Data", &map),
        Adjusted::Changed("SUM($H$1:$H$51)/H52".into())
    );
    // Part of the rows, order kept: shrinks as when Excel deletes rows.
    assert_eq!(
        adjust_formula("SUM(H3:H10)", "Data", "Data", &map),
        Adjusted::Changed("SUM(H3:H6)".into()),
        "rows 4,6,8,10 land on 3..=6"
    );
    assert_eq!(
        adjust_formula("SUM(H50:H110)", "Data", "Data", &map),
        Adjusted::Changed("SUM(H26:H60)".into())
    );
    match adjust_formula("Data!H3+1", "Dash", "Data", &map) {
        Adjusted::Broken { text, reason } => {
            assert_eq!(text, "Data!#REF!+1");
            assert!(
                reason.starts_with("Data!H3 ") && reason.contains("removed"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        adjust_formula("SUM(Data!H3:H3)", "Dash", "Data", &map),
        Adjusted::Broken { .. }
    ));
    // Every row removed.
    let none = RowMap::new(&table(2, 11), Some(&[])).unwrap();
    assert!(matches!(
        adjust_range("Data!$H$2:$H$11", "Dash", "Data", &none),
        Adjusted::Broken { .. }
    ));
    assert_eq!(
        adjust_range("Data!$H$1:$H$11", "Dash", "Data", &none),
        Adjusted::Changed("Data!$H$1:$H$1".into())
    );
    assert_eq!(
        adjust_range("A2:H11 A20", "Data", "Data", &none),
        Adjusted::Broken {
            text: "#REF! A10".into(),
            reason: "Data!A2:H11 covered only rows that were removed".into()
        }
    );
    // Rows below move up; whole rows follow too.
    assert_eq!(
        adjust_formula("SUM(200:201)", "Data", "Data", &map),
        Adjusted::Changed("SUM(150:151)".into())
    );
}

#[test]
fn three_d_and_external_references() {
    let map = reversed();
    assert!(matches!(
        adjust_formula("SUM(Data:Other!F2)", "Dash", "Data", &map),
        Adjusted::Broken { .. }
    ));
    assert_eq!(
        adjust_formula("SUM(Data:Other!A1)", "Dash", "Data", &map),
        Adjusted::Same
    );
    assert_eq!(
        adjust_formula("[1]Data!F2", "Dash", "Data", &map),
        Adjusted::Same
    );
}

#[test]
fn translate_shifts_relative_references_only() {
    assert_eq!(translate("F2*G2", 3, 0), "F5*G5");
    assert_eq!(translate("$F$2*G$2+$H3", 3, 1), "$F$2*H$2+$H6");
    assert_eq!(translate("SUM(A:A)+SUM(1:1)", 2, 2), "SUM(C:C)+SUM(3:3)");
    assert_eq!(translate("Other!A1&\"A1\"", 1, 0), "Other!A2&\"A1\"");
    assert_eq!(translate("A1", -1, 0), "#REF!");
    assert_eq!(translate("Table1[@Qty]*2", 5, 0), "Table1[@Qty]*2");
}

#[test]
fn anchored_formulas_and_sqref() {
    let map = reversed();
    // A conditional format over the whole table: its relative rows stay.
    assert_eq!(
        adjust_anchored("$F2>$K$1", "Data", "Data", &map, 0),
        Adjusted::Same
    );
    assert_eq!(
        adjust_anchored("$F2>$K$1+$K$3", "Data", "Data", &map, 0),
        Adjusted::Changed("$F2>$K$1+$K$10".into())
    );
    assert_eq!(
        adjust_anchored("Other!$A5+Other!$A$5+F5", "Data", "Data", &map, 2),
        Adjusted::Changed("Other!$A7+Other!$A$5+F7".into()),
        "relative rows move with the range, on any sheet"
    );
    assert_eq!(follow_sqref("A2:H11", &map).unwrap(), Sqref::Same);
    assert_eq!(
        follow_sqref("A2:A3 C5", &map).unwrap(),
        Sqref::Changed {
            text: "A10:A11 C8".into(),
            d_row: 6
        }
    );
    let evens = evens();
    assert_eq!(
        follow_sqref("D2:D101 D3", &evens).unwrap(),
        Sqref::Changed {
            text: "D2:D51".into(),
            d_row: 0
        }
    );
    let sort_of_first_two =
        RowMap::new(&table(2, 11), Some(&[3, 2, 4, 5, 6, 7, 8, 9, 10, 11])).unwrap();
    assert_eq!(
        follow_sqref("B2:B4", &sort_of_first_two).unwrap(),
        Sqref::Same,
        "rows 2..=4 land on 2..=4"
    );
    assert_eq!(
        follow_sqref("B2 B5:B6", &map).unwrap(),
        Sqref::Changed {
            text: "B11 B7:B8".into(),
            d_row: 5
        }
    );
    let none = RowMap::new(&table(2, 11), Some(&[])).unwrap();
    assert_eq!(follow_sqref("B2:B11", &none).unwrap(), Sqref::Gone);
}

#[test]
fn big_maps_answer_range_queries_from_blocks() {
    // 100,000 rows sorted in reverse: a range over rows 1000..=50000 lands as one block.
    let rows: Vec<u32> = (2..=100_001).rev().collect();
    let map = RowMap::new(&table(2, 100_001), Some(&rows)).unwrap();
    assert_eq!(
        map.map_rows(1000, 50_000),
        Ok((100_003 - 50_000, 100_003 - 1000))
    );
    // Swap two rows far apart: a range over one of them is spread.
    let mut swapped: Vec<u32> = (2..=100_001).collect();
    swapped.swap(10, 90_000);
    let map = RowMap::new(&table(2, 100_001), Some(&swapped)).unwrap();
    assert_eq!(map.map_rows(5, 200), Err(RangeFault::Spread));
    assert_eq!(map.map_rows(2, 100_001), Ok((2, 100_001)));
    assert_eq!(map.map_rows(20, 80_000), Ok((20, 80_000)));
}
