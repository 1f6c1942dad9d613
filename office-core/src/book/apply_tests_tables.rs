//! The write-back tests on Excel tables' header cells: a header set to a new name renames
//! the table's column and every structured reference to it, as Excel does; a name a
//! column cannot take is refused.

use super::*;

/// A workbook with a table `Sales` (Region, Amount, Unit Price) on `Data`, a calculated
/// column, a formula on another sheet and a defined name that name its columns.
const BUILD_TABLE: &str = r##"
import sys, openpyxl
from openpyxl.worksheet.table import Table, TableColumn, TableFormula
from openpyxl.workbook.defined_name import DefinedName
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append(["Region", "Amount", "Unit Price", "Double"])
for i, region in enumerate(["North", "South", "East"], start=2):
    ws.append([region, i * 10, i * 1.5, f"=Sales[[#This Row],[Amount]]*2"])
table = Table(displayName="Sales", ref="A1:D4")
table.tableColumns = [TableColumn(id=1, name="Region"), TableColumn(id=2, name="Amount"),
    TableColumn(id=3, name="Unit Price"), TableColumn(id=4, name="Double",
    calculatedColumnFormula=TableFormula(attr_text="Sales[[#This Row],[Amount]]*2"))]
ws.add_table(table)
other = wb.create_sheet("Totals")
other["A1"] = "=SUM(Sales[Amount])"
other["A2"] = '="Sales[Amount]"'
other["A3"] = "=SUM(Sales[[Amount]:[Unit Price]])"
wb.defined_names["TotalAmount"] = DefinedName("TotalAmount", attr_text="SUM(Sales[Amount])")
wb.save(sys.argv[1])
"##;

fn build_table(dir: &Path) -> Vec<u8> {
    let path = dir.join("table.xlsx");
    run_python(BUILD_TABLE, &[&path]);
    std::fs::read(&path).unwrap()
}

fn set_header(cell: &str, value: &str) -> Edits {
    serde_json::from_str(&format!(
        r#"{{"version": 1, "sheets": [{{"sheet": "Data", "table": {{"header_row": 1, "first_row": 2, "last_row": 4, "first_col": 1, "last_col": 4}},
            "set_cells": [{{"cell": "{cell}", "value": {value}}}]}}]}}"#
    ))
    .unwrap()
}

#[test]
fn a_renamed_header_renames_the_table_column_and_every_reference_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = build_table(dir.path());
    let applied = apply::apply(&input, "table.xlsx", &set_header("B1", "\"Net Amount\"")).unwrap();
    let table = part_text(&applied.bytes, "xl/tables/table1.xml");
    assert!(
        table.contains(r#"<tableColumn id="2" name="Net Amount""#),
        "{table}"
    );
    assert!(
        table.contains("Sales[[#This Row],[Net Amount]]*2</calculatedColumnFormula>"),
        "the calculated column follows: {table}"
    );
    let out = dir.path().join("out.xlsx");
    std::fs::write(&out, &applied.bytes).unwrap();
    let read = run_python(
        "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nd, t = wb['Data'], wb['Totals']\n\
         print(d['B1'].value, '|', [c.name for c in d.tables['Sales'].tableColumns])\n\
         print(d['D2'].value, '|', t['A1'].value, '|', t['A2'].value, '|', t['A3'].value)\n\
         print(wb.defined_names['TotalAmount'].attr_text)",
        &[&out],
    );
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(
        lines[0],
        "Net Amount | ['Region', 'Net Amount', 'Unit Price', 'Double']"
    );
    assert_eq!(
        lines[1],
        "=Sales[[#This Row],[Net Amount]]*2 | =SUM(Sales[[Net Amount]]) | =\"Sales[Amount]\" | =SUM(Sales[[Net Amount]:[Unit Price]])",
        "formulas follow; a string that looks like a reference stays"
    );
    assert_eq!(lines[2], "SUM(Sales[[Net Amount]])");
    let said: Vec<String> = applied
        .fidelity
        .changes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        said.iter()
            .any(|c| c == "Data: table Sales's column 'Amount' renamed 'Net Amount'"),
        "{said:?}"
    );
}

#[test]
fn a_header_a_column_cannot_take_is_refused_and_other_cells_are_free() {
    let dir = tempfile::tempdir().unwrap();
    let input = build_table(dir.path());
    for (value, why) in [
        ("\"region\"", "already has a column"),
        ("\"  \"", "cannot be empty"),
        ("{\"date\": \"2024-01-31\"}", "must be text"),
    ] {
        let error = apply::apply(&input, "table.xlsx", &set_header("C1", value))
            .err()
            .unwrap_or_else(|| panic!("{value} was taken"));
        assert!(error.to_string().contains(why), "{value}: {error}");
    }
    // A number is a header Excel accepts, as its text; a cell below the header is no name.
    let applied = apply::apply(&input, "table.xlsx", &set_header("C1", "2024")).unwrap();
    let table = part_text(&applied.bytes, "xl/tables/table1.xml");
    assert!(table.contains(r#"name="2024""#), "{table}");
    let applied = apply::apply(&input, "table.xlsx", &set_header("C2", "\"x\"")).unwrap();
    assert_eq!(
        part_text(&applied.bytes, "xl/tables/table1.xml"),
        part_text(&input, "xl/tables/table1.xml"),
        "a data cell leaves the table part as it was"
    );
}
