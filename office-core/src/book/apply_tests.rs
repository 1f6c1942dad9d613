//! The write-back on real workbooks (`tests/fixtures/book/`, see SOURCES.md there) and on
//! one built with openpyxl in the test, read back with openpyxl.

use crate::book::apply;
use crate::book::edits::Edits;
use crate::book::test_zip::{part_text, raw_entries};
use crate::book::verify::{self, Expect};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/book")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// Runs `code` in the real Python with `args`; its stdout.
fn run_python(code: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn new_sheet_script() -> Edits {
    serde_json::from_str(
        r##"{"version": 1, "steps": ["Added a summary"],
            "new_sheets": [{"name": "Summary", "columns": ["Label", "Value", "Day"],
                "rows": [["NA", 2.5, {"date": "2024-01-31"}], ["00123", 4, null]],
                "formulas": [[null, "=1+1.5", null], [null, null, null]]}]}"##,
    )
    .unwrap()
}

/// Entries the new-sheet edit may touch: the workbook's own parts and styles.
const BOOKKEEPING: &[&str] = &[
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/styles.xml",
    "xl/calcChain.xml",
];

#[test]
fn a_new_sheet_on_real_workbooks_leaves_every_other_entry_byte_identical() {
    for (name, expected_kept) in [
        (
            "mv-calculator-final-2-20-2013.xlsm",
            "macros (xl/vbaProject.bin)",
        ),
        ("pivots.xlsx", "pivot table xl/pivotTables/pivotTable1.xml"),
        ("table-multiple.xlsx", "table Inventory"),
        ("date_1904.xlsx", "sheet Sheet1"),
    ] {
        let input = fixture(name);
        let applied = apply::apply(&input, name, &new_sheet_script())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ext = name.rsplit_once('.').unwrap().1;
        assert_eq!(applied.file_name, format!("output.{ext}"));
        let before = raw_entries(&input);
        let after: BTreeMap<String, (u32, Vec<u8>)> = raw_entries(&applied.bytes)
            .into_iter()
            .map(|(n, c, d)| (n, (c, d)))
            .collect();
        let mut untouched = 0;
        for (entry, crc, data) in &before {
            if BOOKKEEPING.contains(&entry.as_str()) {
                continue;
            }
            let (out_crc, out_data) = after
                .get(entry)
                .unwrap_or_else(|| panic!("{name}: {entry} is gone"));
            assert_eq!(
                (out_crc, out_data),
                (crc, data),
                "{name}: {entry} is not the same compressed bytes"
            );
            untouched += 1;
        }
        assert!(untouched >= 3, "{name}: only {untouched} entries compared");
        // The input's order is kept: the first entries are the input's, in order.
        let order: Vec<String> = raw_entries(&applied.bytes)
            .into_iter()
            .map(|e| e.0)
            .collect();
        let input_order: Vec<String> = before.iter().map(|e| e.0.clone()).collect();
        assert_eq!(&order[..input_order.len()], &input_order[..], "{name}");
        assert!(
            applied.fidelity.kept.iter().any(|k| k == expected_kept),
            "{name}: kept {:?} lacks {expected_kept}",
            applied.fidelity.kept
        );
        assert_eq!(applied.fidelity.changes.len(), 1, "{name}");
        if ext == "xlsm" {
            assert_eq!(applied.content_type, apply::XLSM_CONTENT_TYPE);
            let types = part_text(&applied.bytes, "[Content_Types].xml");
            assert!(
                types.contains("macroEnabled"),
                "{name}: the workbook keeps its macro-enabled content type"
            );
        }
    }
}

#[test]
fn a_1904_workbook_gets_1904_serials_and_openpyxl_reads_the_new_sheet() {
    let dir = tempfile::tempdir().unwrap();
    for (name, base) in [("date_1904.xlsx", "1904"), ("table-multiple.xlsx", "1900")] {
        let applied = apply::apply(&fixture(name), name, &new_sheet_script()).unwrap();
        let out = dir.path().join(format!("out-{base}.xlsx"));
        std::fs::write(&out, &applied.bytes).unwrap();
        let read = run_python(
            r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Summary"]
print(repr([[c.value for c in row] for row in ws.iter_rows()]))
print(ws["C2"].number_format, ws["A1"].font.b, ws.freeze_panes, ws["A2"].data_type)
wbv = openpyxl.load_workbook(sys.argv[1], data_only=True)
print(wbv["Summary"]["B2"].value, wb.epoch.year)
"#,
            &[&out],
        );
        let lines: Vec<&str> = read.lines().collect();
        assert_eq!(
            lines[0],
            "[['Label', 'Value', 'Day'], ['NA', '=1+1.5', datetime.datetime(2024, 1, 31, 0, 0)], ['00123', 4, None]]",
            "{name}: text stays text, the date is the date in either system"
        );
        assert_eq!(lines[1], "yyyy-mm-dd True A2 s", "{name}");
        assert_eq!(
            lines[2],
            format!("2.5 {}", if base == "1904" { 1904 } else { 1899 }),
            "{name}"
        );
    }
}

/// A workbook with every feature of the issue, built by openpyxl.
const BUILD_SALES: &str = r##"
import sys, datetime, openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.chart import BarChart, Reference
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append(["Date", "Region", "Rep", "Product", "Code", "Units", "Price", "Revenue"])
for c in ws[1]:
    c.font = Font(bold=True, color="FFFFFF")
    c.fill = PatternFill("solid", fgColor="305496")
regions = ["North", "South", "East", "West"]
for i in range(2, 12):
    ws.append([datetime.date(2024, 1, i), regions[i % 4], "Rep%d" % i, "NA" if i == 3 else "P%d" % i, "00%d" % i, i * 3 % 7 + 1, 2.5 + i, "=F%d*G%d" % (i, i)])
    ws.cell(i, 1).number_format = "yyyy-mm-dd"
    ws.cell(i, 7).number_format = '"$"#,##0.00'
ws.column_dimensions["B"].width = 14
ws.freeze_panes = "A2"
ws.auto_filter.ref = "A1:H11"
ws.conditional_formatting.add("F2:F11", CellIsRule(operator="greaterThan", formula=["5"], fill=PatternFill("solid", fgColor="FFC7CE")))
dv = DataValidation(type="list", formula1='"North,South,East,West"')
ws.add_data_validation(dv)
dv.add("B2:B11")
ws["C2"].comment = Comment("top rep", "me")
wb.defined_names["Units"] = DefinedName("Units", attr_text="Data!$F$2:$F$11")
dash = wb.create_sheet("Dashboard")
dash.append(["Region", "Units"])
for r, name in enumerate(regions, start=2):
    dash.append([name, '=SUMIF(Data!$B$2:$B$11,A%d,Data!$F$2:$F$11)' % r])
chart = BarChart()
chart.add_data(Reference(dash, min_col=2, min_row=1, max_row=5), titles_from_data=True)
chart.set_categories(Reference(dash, min_col=1, min_row=2, max_row=5))
dash.add_chart(chart, "D2")
notes = wb.create_sheet("Notes")
notes["A1"] = "Quarterly sales, read me"
notes.merge_cells("A1:D1")
wb.save(sys.argv[1])
"##;

#[test]
fn the_sales_workbook_keeps_every_feature_and_gains_a_summary_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let input_path = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&input_path]);
    let input = std::fs::read(&input_path).unwrap();
    let edits: Edits = serde_json::from_str(
        r##"{"version": 1, "new_sheets": [{"name": "By Region", "columns": ["Region", "Units"],
            "rows": [["North", 0], ["South", 0]],
            "formulas": [[null, "=SUMIFS(Data!$F$2:$F$11,Data!$B$2:$B$11,A2)"], [null, "=SUMIFS(Data!$F$2:$F$11,Data!$B$2:$B$11,A3)"]],
            "number_formats": [null, "0"]}]}"##,
    )
    .unwrap();
    let applied = apply::apply(&input, "sales.xlsx", &edits).unwrap();
    let out_path = dir.path().join("out.xlsx");
    std::fs::write(&out_path, &applied.bytes).unwrap();
    // The cached values are computed here independently, by openpyxl reading the input.
    let read = run_python(
        r#"
import sys, openpyxl
a = openpyxl.load_workbook(sys.argv[1]); b = openpyxl.load_workbook(sys.argv[2])
print(b.sheetnames)
for name in a.sheetnames:
    wa, wb_ = a[name], b[name]
    diff = [(x.coordinate, k) for ra, rb in zip(wa.iter_rows(), wb_.iter_rows()) for x, y in zip(ra, rb)
            for k in ("value", "number_format", "font", "fill", "border", "alignment") if repr(getattr(x, k)) != repr(getattr(y, k))]
    print(name, diff[:3] or "same", wa.max_row == wb_.max_row)
d = b["Data"]
print(d.freeze_panes, d.auto_filter.ref, len(d.conditional_formatting), len(d.data_validations.dataValidation), d["C2"].comment.text, b.defined_names["Units"].attr_text)
print(len(b["Dashboard"]._charts), [r.coord for r in b["Notes"].merged_cells.ranges][0])
s = b["By Region"]
print(s["B2"].value, s["B3"].value, s["B2"].number_format)
units = {}
for row in a["Data"].iter_rows(min_row=2, values_only=True):
    units[row[1]] = units.get(row[1], 0) + row[5]
print(units["North"], units["South"])
"#,
        &[&input_path, &out_path],
    );
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(lines[0], "['Data', 'Dashboard', 'Notes', 'By Region']");
    assert_eq!(
        &lines[1..4],
        ["Data same True", "Dashboard same True", "Notes same True"]
    );
    assert_eq!(lines[4], "A2 A1:H11 1 1 top rep Data!$F$2:$F$11");
    assert_eq!(
        lines[5], "1 A1:D1",
        "the chart and the merge are still there"
    );
    assert_eq!(
        lines[6],
        "=SUMIFS(Data!$F$2:$F$11,Data!$B$2:$B$11,A2) =SUMIFS(Data!$F$2:$F$11,Data!$B$2:$B$11,A3) 0"
    );
    assert!(
        applied.fidelity.kept.iter().any(|k| k == "sheet Dashboard"),
        "{:?}",
        applied.fidelity.kept
    );
    assert!(
        applied
            .fidelity
            .kept
            .iter()
            .any(|k| k.starts_with("chart xl/charts/chart")),
        "{:?}",
        applied.fidelity.kept
    );
    let _ = lines[7];
}

/// The package rewritten with one part's text replaced (every other entry raw).
fn with_part(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        if entry.name().unwrap() == name {
            let mut text = String::new();
            let mut entry = entry;
            entry.read_to_string(&mut text).unwrap();
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(edit(text).as_bytes()).unwrap();
        } else {
            drop(entry);
            out.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn verify_catches_a_tampered_output() {
    let input = fixture("pivots.xlsx");
    let applied = apply::apply(&input, "pivots.xlsx", &new_sheet_script()).unwrap();
    let touched: std::collections::BTreeSet<String> =
        verify::differing_parts(&input, &applied.bytes).unwrap();
    assert!(verify::check(&input, &applied.bytes, Expect::Edited(&touched)).is_ok());
    // A pivot table's part altered behind the edit's back.
    let tampered = with_part(&applied.bytes, "xl/pivotTables/pivotTable1.xml", |t| {
        t.replacen("<location", "<location ", 1)
    });
    let err = verify::check(&input, &tampered, Expect::Edited(&touched)).unwrap_err();
    assert!(
        err.message
            .contains("xl/pivotTables/pivotTable1.xml changed"),
        "{err}"
    );
    // A new error value in the new sheet.
    let sheet = touched
        .iter()
        .find(|p| p.starts_with("xl/worksheets/") && !input_has(&input, p))
        .unwrap()
        .clone();
    let broken = with_part(&applied.bytes, &sheet, |t| {
        t.replace(
            "<c r=\"B3\"><v>4</v></c>",
            "<c r=\"B3\" t=\"e\"><v>#DIV/0!</v></c>",
        )
    });
    let err = verify::check(&input, &broken, Expect::Edited(&touched)).unwrap_err();
    assert!(err.message.contains("Summary!B3 is #DIV/0!"), "{err}");
    // A sheet removed from the workbook.
    let gone = with_part(&applied.bytes, "xl/workbook.xml", |t| {
        let at = t.find("<sheet ").unwrap();
        let end = at + t[at..].find("/>").unwrap() + 2;
        format!("{}{}", &t[..at], &t[end..])
    });
    let err = verify::check(&input, &gone, Expect::Edited(&touched)).unwrap_err();
    assert!(err.message.contains("has lost the sheets"), "{err}");
}

fn input_has(input: &[u8], part: &str) -> bool {
    raw_entries(input).iter().any(|e| e.0 == part)
}

#[test]
fn a_workbook_a_program_rebuilt_passes_only_when_nothing_beyond_the_cells_was_lost() {
    let dir = tempfile::tempdir().unwrap();
    let resave = "import sys, openpyxl\nopenpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])\n";
    let sales = dir.path().join("sales.xlsx");
    run_python(BUILD_SALES, &[&sales]);
    std::fs::write(
        dir.path().join("table-multiple.xlsx"),
        fixture("table-multiple.xlsx"),
    )
    .unwrap();
    std::fs::write(dir.path().join("date_1904.xlsx"), fixture("date_1904.xlsx")).unwrap();
    for (name, passes, lost) in [
        ("sales.xlsx", true, ""),
        ("table-multiple.xlsx", false, "table xl/tables/table1.xml"),
        ("date_1904.xlsx", true, ""),
    ] {
        let (src, out) = (
            dir.path().join(name),
            dir.path().join(format!("resaved-{name}")),
        );
        run_python(resave, &[&src, &out]);
        let input = std::fs::read(&src).unwrap();
        let result = verify::check(&input, &std::fs::read(&out).unwrap(), Expect::Rebuilt);
        match passes {
            true => assert!(result.is_ok(), "{name}: {result:?}"),
            false => {
                let err = result.unwrap_err();
                assert!(err.message.contains(lost), "{name}: {err}");
            }
        }
    }
}

#[test]
fn bad_scripts_and_inputs_are_refused_with_a_reason() {
    let input = fixture("table-multiple.xlsx");
    let twice: Edits = serde_json::from_str(
        r#"{"version": 1, "new_sheets": [
        {"name": "sheet1", "columns": ["a"], "rows": []}]}"#,
    )
    .unwrap();
    let err = apply::apply(&input, "t.xlsx", &twice).unwrap_err();
    assert!(
        err.message.contains("already has a sheet 'Sheet1'"),
        "{err}"
    );
    let version: Edits = serde_json::from_str(r#"{"version": 9}"#).unwrap();
    assert!(
        apply::apply(&input, "t.xlsx", &version)
            .unwrap_err()
            .message
            .contains("version 9")
    );
    let missing: Edits = serde_json::from_str(r#"{"version": 1, "sheets": [{"sheet": "Nope",
        "table": {"header_row": 1, "first_row": 2, "last_row": 3, "first_col": 1, "last_col": 2}, "rows": [3, 2]}]}"#)
    .unwrap();
    let err = apply::apply(&input, "t.xlsx", &missing).unwrap_err();
    assert!(
        err.message.contains("'Nope'") && err.message.contains("Sheet1"),
        "{err}"
    );
    let err = apply::apply(b"not a zip at all", "t.xlsx", &new_sheet_script()).unwrap_err();
    assert!(
        err.message.contains("cannot be opened as an Excel package"),
        "{err}"
    );
}

#[test]
fn an_xls_input_comes_back_as_xlsx_with_a_note() {
    let applied =
        apply::apply(&fixture("date_1904.xls"), "dates.xls", &new_sheet_script()).unwrap();
    assert_eq!(applied.file_name, "output.xlsx");
    assert!(
        applied.fidelity.lost[0].contains(".xls file and comes back as .xlsx"),
        "{:?}",
        applied.fidelity.lost
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.xlsx");
    std::fs::write(&out, &applied.bytes).unwrap();
    let read = run_python(
        "import sys, openpyxl\nprint(openpyxl.load_workbook(sys.argv[1]).sheetnames)",
        &[&out],
    );
    assert_eq!(read.trim(), "['Sheet1', 'Summary']");
}

#[test]
fn formulas_are_found_in_any_part_and_only_as_elements() {
    assert!(apply::formula_tag(
        b"<c r=\"A1\"><f>SUM(B:B)</f><v>3</v></c>"
    ));
    assert!(apply::formula_tag(
        b"<x:c r=\"A1\"><x:f t=\"shared\" si=\"0\"/></x:c>"
    ));
    assert!(apply::formula_tag(
        b"<c:ser><c:f>Data!$B$2:$B$9</c:f></c:ser>"
    ));
    assert!(!apply::formula_tag(
        b"<fonts count=\"1\"><font/></fonts><fills><fill/></fills><v>f</v>"
    ));
    // Workbooks with formulas (cells or charts) are recalculated after a filter; one of
    // values only is not, since nothing in it can change.
    assert!(apply::has_formulas(&fixture("formula_stress_test.xlsx")).unwrap());
    assert!(apply::has_formulas(&fixture("pivots.xlsx")).unwrap());
    assert!(!apply::has_formulas(&fixture("date_1904.xlsx")).unwrap());
}

// The tests that move or remove rows (they need the worksheet rewrite).
#[path = "apply_tests_rows.rs"]
mod rows;

// Header cells of Excel tables: renaming one renames the table column.
#[path = "apply_tests_tables.rs"]
mod tables;
