//! The planner's programs on cells that must come back as they were: text that reads
//! like a missing value (`NA`, `None`, `#N/A`), zero-padded codes and long digit strings,
//! a table that starts away from A1 or has no header, sheet names formulas must quote,
//! hostile column names, a European CSV, and real files from `tests/fixtures/real` (see
//! SOURCES.md there). Each program runs in the repo's CPython; its edit script is
//! checked against orders and sums computed here (the real files read with calamine).

#[path = "support/planner.rs"]
mod support;

use calamine::{Data, Reader, open_workbook_auto};
use office_core::{ColumnProfile, ColumnType, CsvDialect, FileFormat, FileProfile, SheetProfile};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::*;

/// Every word a reader may take for a missing value; each must stay text.
const WORDS: [&str; 8] = ["None", "NA", "N/A", "null", "nan", "NULL", "#N/A", "n/a "];
const CODES: [&str; 8] = [
    "00123",
    "12345678901234567890",
    "007",
    "0",
    "1e5",
    "000",
    "99999999999999999999",
    "0012",
];
const AMOUNTS: [f64; 8] = [5.0, 3.0, 8.0, 1.0, 7.0, 2.0, 6.0, 4.0];

fn column(index: usize, name: &str, dtype: ColumnType) -> ColumnProfile {
    ColumnProfile {
        index,
        name: name.to_string(),
        dtype,
        non_null: 8,
        nulls: 0,
        distinct: 8,
        distinct_estimated: false,
        min: None,
        max: None,
        mean: None,
        date_min: None,
        date_max: None,
        samples: Vec::new(),
        day_first: false,
    }
}

fn profile(name: &str, sheet: SheetProfile) -> FileProfile {
    FileProfile {
        name: name.into(),
        format: FileFormat::Xlsx,
        size: 0,
        sheets: vec![sheet],
        csv: None,
        notes: Vec::new(),
    }
}

/// Sheet "Words": Word, Code (both written as text cells), Amount; header at A1.
fn write_words(dir: &Path) -> (PathBuf, FileProfile) {
    let path = dir.join("words.xlsx");
    let script = r#"
import json, sys, openpyxl
words, codes, amounts = (json.loads(a) for a in sys.argv[1:4])
path = sys.argv[4]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Words"
ws.append(["Word", "Code", "Amount"])
for r, (word, code, amount) in enumerate(zip(words, codes, amounts), start=2):
    for c, text in ((1, word), (2, code)):
        cell = ws.cell(row=r, column=c)
        cell.value = text
        cell.data_type = "s"  # text as typed, even '#N/A'
    ws.cell(row=r, column=3, value=amount)
wb.save(path)
"#;
    let (words, codes, amounts) = (
        serde_json::to_string(&WORDS).unwrap(),
        serde_json::to_string(&CODES).unwrap(),
        serde_json::to_string(&AMOUNTS).unwrap(),
    );
    run_helper(script, &[&words, &codes, &amounts, path.to_str().unwrap()]);
    let sheet = SheetProfile {
        name: "Words".into(),
        rows: 9,
        cols: 3,
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 8,
        columns: vec![
            column(0, "Word", ColumnType::Text),
            column(1, "Code", ColumnType::Text),
            column(2, "Amount", ColumnType::Float),
        ],
    };
    (path, profile("words.xlsx", sheet))
}

fn plan_run(prompt: &str, input: &Path, profile: &FileProfile, dir: &Path) -> Value {
    let plan = plan_excel(prompt, std::slice::from_ref(profile))
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    let out = run(&plan, input, &dir.join(prompt.replace(' ', "_")));
    read_edits(&out)
}

/// No word and no code appears in the script unless a new sheet holds it.
fn no_cell_text_listed(edits: &Value) {
    for sheet in edits["sheets"].as_array().unwrap() {
        let text = sheet.to_string();
        for word in WORDS.iter().chain(&CODES) {
            assert!(
                !text.contains(&format!("\"{word}\"")),
                "{word} listed in {text}"
            );
        }
    }
}

#[test]
fn text_that_reads_like_a_missing_value_is_never_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (input, profile) = write_words(dir.path());

    // A sort moves whole rows: the rows list says it all, no cell is set.
    let edits = plan_run("sort by amount descending", &input, &profile, dir.path());
    let mut order: Vec<usize> = (0..8).collect();
    order.sort_by(|&a, &b| AMOUNTS[b].total_cmp(&AMOUNTS[a]));
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected));
    assert!(sheet_edit(&edits)["set_cells"].is_null());
    no_cell_text_listed(&edits);

    // Every word is distinct text: nothing is a duplicate of anything.
    let edits = plan_run("remove duplicates by word", &input, &profile, dir.path());
    assert!(edits["sheets"].as_array().unwrap().is_empty(), "{edits}");
    assert!(edits["steps"][0].as_str().unwrap().ends_with(": 0 removed"));

    // Sorting by the words orders them as text, case ignored; none is 'empty, last'.
    let edits = plan_run("sort by word", &input, &profile, dir.path());
    let mut order: Vec<usize> = (0..8).collect();
    order.sort_by_key(|&i| WORDS[i].trim().to_lowercase());
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected));
    no_cell_text_listed(&edits);

    // Grouped, each word is its own key, as text.
    let edits = plan_run("total amount by code", &input, &profile, dir.path());
    let sheet = new_sheet(&edits, "Amount by Code");
    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
    for (code, amount) in CODES.iter().zip(AMOUNTS) {
        *totals.entry(code).or_default() += amount;
    }
    let expected: Vec<(&str, f64)> = totals.iter().map(|(k, v)| (*k, *v)).collect();
    assert_key_values(sheet, &expected);
    // Excel would read "00123" as the criterion 123: values, and the step says why.
    assert!(sheet["formulas"].is_null());
    assert!(
        edits["steps"][0]
            .as_str()
            .unwrap()
            .contains("values, not formulas")
    );

    let edits = plan_run("count rows by word", &input, &profile, dir.path());
    let sheet = new_sheet(&edits, "Count by Word");
    let keys: Vec<&Value> = sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r[0])
        .collect();
    assert_eq!(keys.len(), WORDS.len());
    for key in keys {
        assert!(WORDS.contains(&key.as_str().expect("a word stays text")));
    }
}

#[test]
fn a_one_column_sheet_of_such_words_sorts_and_keeps_every_word() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("only.xlsx");
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws["A1"] = "Value"
for r, word in enumerate(json.loads(sys.argv[1]), start=2):
    ws.cell(row=r, column=1).value = word
    ws.cell(row=r, column=1).data_type = "s"
wb.save(sys.argv[2])
"#;
    run_helper(
        script,
        &[
            &serde_json::to_string(&WORDS).unwrap(),
            path.to_str().unwrap(),
        ],
    );
    let sheet = SheetProfile {
        name: "Sheet".into(),
        rows: 9,
        cols: 1,
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 8,
        columns: vec![column(0, "Value", ColumnType::Text)],
    };
    let edits = plan_run(
        "sort by value descending",
        &path,
        &profile("only.xlsx", sheet),
        dir.path(),
    );
    let mut order: Vec<usize> = (0..8).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(WORDS[i].trim().to_lowercase()));
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected), "all eight rows kept");
}

#[test]
fn a_table_away_from_a1_gets_its_own_rows_and_letters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offset.xlsx");
    // Header at D5: four empty rows and three empty columns before it.
    let script = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Offset"
ws["D5"], ws["E5"] = "Name", "Amount"
for r, (name, amount) in enumerate([("b", 2), ("c", 3), ("a", 1)], start=6):
    ws.cell(row=r, column=4, value=name)
    ws.cell(row=r, column=5, value=amount)
wb.save(sys.argv[1])
"#;
    run_helper(script, &[path.to_str().unwrap()]);
    let profile = office_core::profile_file(&path, "offset.xlsx").unwrap();
    assert_eq!(
        profile.sheets[0].header_row,
        Some(4),
        "the profile's own coordinates"
    );
    let edits = plan_run(
        "sort by amount, then add column Double = amount * 2",
        &path,
        &profile,
        dir.path(),
    );
    let edit = sheet_edit(&edits);
    assert_eq!(
        edit["table"],
        json!({"header_row": 5, "first_row": 6, "last_row": 8, "first_col": 4, "last_col": 5})
    );
    assert_eq!(kept_rows(&edits), Some(vec![8, 6, 7]));
    assert_eq!(edit["add_columns"][0]["formula"], "=E{r}*2");
    assert_eq!(edit["add_columns"][0]["values"], json!([2, 4, 6]));
}

fn real(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real")
        .join(path)
}

#[test]
fn a_real_workbook_sorts_and_groups_with_formulas() {
    let path = real("calamine/table-multiple.xlsx");
    let dir = tempfile::tempdir().unwrap();
    let profile = office_core::profile_file(&path, "table-multiple.xlsx").unwrap();
    // The first sheet as calamine reads it: Item, Type, Quantity from row 1.
    let mut book = open_workbook_auto(&path).unwrap();
    let range = book.worksheet_range("Sheet1").unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    let rows: Vec<(String, f64)> = range
        .rows()
        .skip(1)
        .map(|r| match (&r[1], &r[2]) {
            (Data::String(t), Data::Float(q)) => (t.clone(), *q),
            other => panic!("{other:?}"),
        })
        .collect();

    let edits = plan_run("sort by quantity descending", &path, &profile, dir.path());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| rows[b].1.total_cmp(&rows[a].1));
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected));
    assert_eq!(sheet_edit(&edits)["sheet"], "Sheet1");

    let edits = plan_run("total quantity by type", &path, &profile, dir.path());
    let sheet = new_sheet(&edits, "Quantity by Type");
    let mut model = SheetModel::new();
    for (i, (kind, quantity)) in rows.iter().enumerate() {
        model.insert(("B".into(), i as u32 + 2), Cell::Text(kind.clone()));
        model.insert(("C".into(), i as u32 + 2), Cell::Number(*quantity));
    }
    assert_eq!(
        sheet["formulas"][0][1],
        "=SUMIFS(Sheet1!$C$2:$C$5,Sheet1!$B$2:$B$5,A2)"
    );
    assert_eq!(
        check_new_sheet_formulas(sheet, &model, "Sheet1"),
        rows.len()
    );
}

#[test]
fn a_real_csv_of_zero_padded_codes_keeps_them_as_text() {
    let path = real("frictionless/leading-zeros.csv");
    let dir = tempfile::tempdir().unwrap();
    let profile = office_core::profile_file(&path, "leading-zeros.csv").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let codes: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert!(codes.iter().all(|c| c.starts_with('0')), "{codes:?}");

    let edits = plan_run("sort by value", &path, &profile, dir.path());
    let mut order: Vec<usize> = (0..codes.len()).collect();
    order.sort_by_key(|&i| codes[i]);
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected));
    assert_eq!(sheet_edit(&edits)["sheet"], "leading-zeros");

    let edits = plan_run("count rows by value", &path, &profile, dir.path());
    let sheet = &edits["new_sheets"][0];
    let mut sorted = codes.clone();
    sorted.sort();
    let expected: Vec<(&str, f64)> = sorted.iter().map(|c| (*c, 1.0)).collect();
    // The codes stay text, zeros and all.
    assert_key_values(sheet, &expected);
}

#[test]
fn a_headerless_table_is_edited_where_the_profile_found_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.xlsx");
    // Numbers only, from B3: no header row.
    let script = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Bare"
for r, (a, b) in enumerate([(1, 30), (2, 10), (3, 20)], start=3):
    ws.cell(row=r, column=2, value=a)
    ws.cell(row=r, column=3, value=b)
wb.save(sys.argv[1])
"#;
    run_helper(script, &[path.to_str().unwrap()]);
    let profile = office_core::profile_file(&path, "bare.xlsx").unwrap();
    let sheet = &profile.sheets[0];
    assert_eq!(sheet.header_row, None, "{sheet:?}");
    let second = sheet.columns[1].name.clone();
    let edits = plan_run(
        &format!("sort by {second} descending"),
        &path,
        &profile,
        dir.path(),
    );
    assert_eq!(
        sheet_edit(&edits)["table"],
        json!({"header_row": null, "first_row": 3, "last_row": 5, "first_col": 2, "last_col": 3})
    );
    // 30 (row 3), 20 (row 5), 10 (row 4).
    assert_eq!(kept_rows(&edits), Some(vec![3, 5, 4]));
}

#[test]
fn formulas_quote_sheet_names_that_need_it() {
    for (name, prefix) in [
        ("Bob's Q1", "'Bob''s Q1'!"),
        ("Q1", "'Q1'!"),
        ("R2C3", "'R2C3'!"),
        ("Umsätze", "'Umsätze'!"),
        ("Sales_2024", "Sales_2024!"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("named.xlsx");
        let script = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = sys.argv[1]
ws.append(["Team", "Points"])
for row in [("red", 3), ("blue", 4), ("red", 5)]:
    ws.append(row)
wb.save(sys.argv[2])
"#;
        run_helper(script, &[name, path.to_str().unwrap()]);
        let profile = office_core::profile_file(&path, "named.xlsx").unwrap();
        let edits = plan_run("total points by team", &path, &profile, dir.path());
        let sheet = &edits["new_sheets"][0];
        let formula = sheet["formulas"][0][1].as_str().unwrap();
        assert_eq!(
            formula,
            format!("=SUMIFS({prefix}$B$2:$B$4,{prefix}$A$2:$A$4,A2)"),
            "{name}"
        );
        let mut model = SheetModel::new();
        for (r, (team, points)) in [("red", 3.0), ("blue", 4.0), ("red", 5.0)]
            .iter()
            .enumerate()
        {
            model.insert(("A".into(), r as u32 + 2), Cell::Text(team.to_string()));
            model.insert(("B".into(), r as u32 + 2), Cell::Number(*points));
        }
        assert_eq!(check_new_sheet_formulas(sheet, &model, name), 2, "{name}");
    }
}

#[test]
fn hostile_column_names_are_data_not_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.xlsx");
    let evil = "x\"]; import os #";
    let script = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append([sys.argv[1], "Name"])
for value, name in [(3, "c"), (10, "a"), (7, "b")]:
    ws.append([value, name])
wb.save(sys.argv[2])
"#;
    run_helper(script, &[evil, path.to_str().unwrap()]);
    let sheet_profile = SheetProfile {
        name: "Data".into(),
        rows: 4,
        cols: 2,
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 3,
        columns: vec![
            column(0, evil, ColumnType::Integer),
            column(1, "Name", ColumnType::Text),
        ],
    };
    let profile = FileProfile {
        name: "evil.xlsx".into(),
        format: FileFormat::Xlsx,
        size: 0,
        sheets: vec![sheet_profile],
        csv: None,
        notes: Vec::new(),
    };
    let plan = plan_excel("sort by 'x\"]; import os #' descending", &[profile]).unwrap();
    let edits = read_edits(&run(&plan, &path, dir.path()));
    // 10 (row 3), 7 (row 4), 3 (row 2).
    assert_eq!(kept_rows(&edits), Some(vec![3, 4, 2]));
    assert_eq!(
        sheet_edit(&edits)["table"],
        json!({"header_row": 1, "first_row": 2, "last_row": 4, "first_col": 1, "last_col": 2})
    );
}

#[test]
fn csv_with_semicolons_decimal_comma_bom_and_non_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("umsatz.csv");
    let rows: [(&str, f64); 5] = [
        ("Zürich", 10.5),
        ("東京", 4.0),
        ("Zürich", 1.5),
        ("Москва", 7.25),
        ("東京", 2.0),
    ];
    let mut text = String::from("\u{feff}Stadt;Umsatz €\n");
    for (city, amount) in rows {
        // A European export: decimal comma.
        text.push_str(&format!(
            "{city};{}\n",
            amount.to_string().replace('.', ",")
        ));
    }
    std::fs::write(&path, text).unwrap();
    let profile = FileProfile {
        name: "umsatz.csv".into(),
        format: FileFormat::Csv,
        size: 0,
        sheets: vec![SheetProfile {
            name: "umsatz".into(),
            rows: rows.len() + 1,
            cols: 2,
            first_row: 0,
            first_col: 0,
            header_row: Some(0),
            data_rows: rows.len(),
            columns: vec![
                column(0, "Stadt", ColumnType::Text),
                column(1, "Umsatz €", ColumnType::Float),
            ],
        }],
        csv: Some(CsvDialect {
            delimiter: ';',
            quote: '"',
            encoding: "utf-8".into(),
            has_bom: true,
            decimal: ',',
        }),
        notes: Vec::new(),
    };
    let plan = plan_excel(
        "sum of umsatz € by stadt, then sort by umsatz € descending",
        &[profile],
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    let edits = read_edits(&run(&plan, &path, dir.path()));
    assert_eq!(new_sheet_names(&edits), ["Umsatz € by Stadt"]);
    // Records numbered from the header, 1: the data are rows 2..6.
    let edit = sheet_edit(&edits);
    assert_eq!(edit["sheet"], "umsatz");
    assert_eq!(
        edit["table"],
        json!({"header_row": 1, "first_row": 2, "last_row": 6, "first_col": 1, "last_col": 2})
    );
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| rows[b].1.total_cmp(&rows[a].1));
    let expected: Vec<u32> = order.iter().map(|&i| i as u32 + 2).collect();
    assert_eq!(kept_rows(&edits), Some(expected));

    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for (city, amount) in rows {
        *sums.entry(city).or_default() += amount;
    }
    let grouped = new_sheet(&edits, "Umsatz € by Stadt");
    assert_eq!(grouped["columns"], json!(["Stadt", "Total Umsatz €"]));
    let expected: Vec<(&str, f64)> = sums.iter().map(|(k, v)| (*k, *v)).collect();
    assert_key_values(grouped, &expected);
    // The sort moved every row but kept them all: the totals stay formulas.
    let mut model = SheetModel::new();
    for (i, (city, amount)) in rows.iter().enumerate() {
        model.insert(("A".into(), i as u32 + 2), Cell::Text(city.to_string()));
        model.insert(("B".into(), i as u32 + 2), Cell::Number(*amount));
    }
    let output = output_sheet(&model, &edits);
    assert_eq!(
        check_new_sheet_formulas(grouped, &output, "umsatz"),
        sums.len()
    );
}
