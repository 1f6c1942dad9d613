//! Find and replace, blank rows, date parts and column letters on a real file: the
//! NOAA Seattle weather CSV (`tests/fixtures/real/vega/seattle-weather.csv`, public
//! domain; skipped when absent). Each request is planned as an excel job, its program
//! run with the real CPython, its edit script applied by the write-back, and the output
//! read back with openpyxl. Expected cells are computed here from the CSV's own text.

#[path = "support/planner.rs"]
mod support;

use office_core::profile_file;
use office_core::test_support::writeback_bench::{NamedFiles, apply_outputs};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn weather() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real/vega/seattle-weather.csv");
    path.exists().then_some(path).or_else(|| {
        eprintln!("skipped: seattle-weather.csv is not here");
        None
    })
}

/// The CSV's data rows as text fields.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Plans, runs and applies `prompt` on `input`; the output's first sheet as rows of
/// cells (from row 1), and the steps.
fn job(prompt: &str, input: &Path) -> (Vec<Vec<Value>>, Vec<String>) {
    let (written, steps) = job_bytes(prompt, input);
    let sheets = read_sheets(&written, false);
    (sheets[0].1.clone(), steps)
}

/// Every sheet of a workbook, by name, as rows of cells from row 1: formulas as their
/// text, or (`values`) their cached results.
fn read_sheets(xlsx: &[u8], values: bool) -> Vec<(String, Vec<Vec<Value>>)> {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output.xlsx");
    std::fs::write(&output, xlsx).unwrap();
    let read = Command::new(python())
        .arg("-c")
        .arg(
            "import sys, json, openpyxl\n\
             wb = openpyxl.load_workbook(sys.argv[1], data_only=sys.argv[2] == '1')\n\
             print(json.dumps([[ws.title, [[c.value for c in r] for r in ws.iter_rows()]] for ws in wb.worksheets], default=str))",
        )
        .arg(&output)
        .arg(if values { "1" } else { "0" })
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    serde_json::from_slice(&read.stdout).unwrap()
}

/// Plans, runs and applies `prompt` on `input`: the output workbook, and the steps.
fn job_bytes(prompt: &str, input: &Path) -> (Vec<u8>, Vec<String>) {
    let (mut files, steps, _) = job_outputs(prompt, input);
    (files.swap_remove(0).1, steps)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn replace_finds_text_anywhere_ignoring_case_and_never_touches_the_header() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    for prompt in [
        "replace RAIN with showers in weather",
        "reemplazar 'rain' por 'showers' en weather",
        "在 weather 中的 'rain' 替换为 'showers'",
    ] {
        let (sheet, steps) = job(prompt, &path);
        assert_eq!(sheet[0][5], "weather", "{prompt}: the header stays");
        let changed = rows
            .iter()
            .filter(|r| r[5].to_lowercase().contains("rain"))
            .count();
        assert!(
            steps[0].contains(&format!("({changed} cells changed)")),
            "{steps:?}"
        );
        for (k, row) in rows.iter().enumerate() {
            let expected = row[5].replace("rain", "showers");
            assert_eq!(text(&sheet[k + 1][5]), expected, "{prompt}: row {}", k + 2);
        }
    }
    // Whole cells only: "drizzle" holds no "rain"; "sun" whole, not in "sunny".
    let (sheet, _) = job("replace 'sun' with '' in weather, whole cell", &path);
    for (k, row) in rows.iter().enumerate() {
        let expected = if row[5] == "sun" { "" } else { row[5].as_str() };
        assert_eq!(text(&sheet[k + 1][5]), expected);
    }
    // Numbers match whole: 0 precipitation becomes empty, 10.9 stays.
    let (sheet, _) = job("replace 0 with nothing in precipitation", &path);
    for (k, row) in rows.iter().enumerate() {
        let p: f64 = row[1].parse().unwrap();
        if p == 0.0 {
            assert_eq!(sheet[k + 1][1], Value::Null, "row {}", k + 2);
        } else {
            assert_eq!(
                text(&sheet[k + 1][1]).parse::<f64>().ok(),
                Some(p),
                "row {}",
                k + 2
            );
        }
    }
}

#[test]
fn date_parts_come_in_a_new_column() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    use chrono::Datelike;
    type Part = Box<dyn Fn(chrono::NaiveDate) -> Value>;
    let cases: [(&str, &str, Part); 5] = [
        (
            "add a column with the year of date",
            "Year",
            Box::new(|d| d.year().into()),
        ),
        ("提取 date 的年份", "Year", Box::new(|d| d.year().into())),
        (
            "ajouter une colonne avec le mois de date",
            "Month",
            Box::new(|d| d.month().into()),
        ),
        (
            "extract the quarter from date",
            "Quarter",
            Box::new(|d| (d.month0() / 3 + 1).into()),
        ),
        (
            "extrahiere den Wochentag aus date",
            "Weekday",
            Box::new(|d| format!("{:?}", d.weekday()).into()),
        ),
    ];
    for (prompt, header, part) in cases {
        let (sheet, _) = job(prompt, &path);
        assert_eq!(sheet[0][6], header, "{prompt}");
        for (k, row) in rows.iter().enumerate() {
            let mut expected = part(date(&row[0]));
            if header == "Weekday" {
                let full = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                    .iter()
                    .zip([
                        "Monday",
                        "Tuesday",
                        "Wednesday",
                        "Thursday",
                        "Friday",
                        "Saturday",
                        "Sunday",
                    ])
                    .find(|(s, _)| expected == **s)
                    .unwrap()
                    .1;
                expected = full.into();
            }
            assert_eq!(sheet[k + 1][6], expected, "{prompt}: row {}", k + 2);
        }
    }
}

#[test]
fn column_letters_name_columns() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    let mut temps: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    temps.sort_by(|a, b| b.total_cmp(a));
    for prompt in [
        "sort by column C descending",
        "ordina per colonna C decrescente",
        "ordenar por la columna C descendente",
    ] {
        let (sheet, steps) = job(prompt, &path);
        assert!(steps[0].contains("temp_max"), "{prompt}: {steps:?}");
        let got: Vec<f64> = sheet[1..]
            .iter()
            .map(|r| text(&r[2]).parse().unwrap())
            .collect();
        assert_eq!(got, temps, "{prompt}");
    }
}

#[test]
fn blank_rows_are_removed_and_the_rows_below_move_up() {
    let Some(path) = weather() else { return };
    // The weather's first 40 rows in a workbook, with blank rows (no cell, and cells
    // of spaces only) every seventh row.
    let rows: Vec<Vec<String>> = csv_rows(&path).into_iter().take(40).collect();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("weather.xlsx");
    run_helper(
        r#"
import json, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Weather"
ws.append(["date", "precipitation", "temp_max", "temp_min", "wind", "weather"])
for i, r in enumerate(json.loads(sys.argv[1])):
    if i % 7 == 3:
        ws.append([])
    if i % 7 == 5:
        ws.append(["  ", None, None, None, None, " "])
    ws.append([r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), r[5]])
wb.save(sys.argv[2])
"#,
        &[
            &serde_json::to_string(&rows).unwrap(),
            book.to_str().unwrap(),
        ],
    );
    for prompt in [
        "remove empty rows",
        "delete blank rows",
        "eliminar las filas vacías",
        "删除空行",
    ] {
        let (sheet, steps) = job(prompt, &book);
        let blanks = (0..40).filter(|i| i % 7 == 3 || i % 7 == 5).count();
        assert!(
            steps[0].contains(&format!("({blanks} rows removed)")),
            "{steps:?}"
        );
        let data: Vec<&Vec<Value>> = sheet[1..]
            .iter()
            .filter(|r| r.iter().any(|v| !v.is_null()))
            .collect();
        assert_eq!(data.len(), rows.len(), "{prompt}");
        assert_eq!(sheet.len(), rows.len() + 1, "{prompt}: no row left over");
        for (k, row) in rows.iter().enumerate() {
            assert_eq!(text(&sheet[k + 1][5]), row[5], "{prompt}: row {}", k + 2);
        }
    }
}

fn birdstrikes() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/real/vega/birdstrikes.csv");
    path.exists().then_some(path).or_else(|| {
        eprintln!("skipped: birdstrikes.csv is not here");
        None
    })
}

/// A piece as a split writes it: a plain number (not one with a leading zero) as that
/// number, empty as nothing, else the text.
fn piece(text: &str) -> Value {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if text.is_empty() {
        Value::Null
    } else if digits(whole)
        && (fraction.is_empty() || digits(fraction))
        && !text.ends_with('.')
        && !(whole.len() > 1 && whole.starts_with('0'))
    {
        if fraction.is_empty() {
            text.parse::<i64>().unwrap().into()
        } else {
            text.parse::<f64>().unwrap().into()
        }
    } else {
        text.into()
    }
}

#[test]
fn a_split_by_space_into_named_columns_keeps_the_rest_in_the_last() {
    let Some(path) = birdstrikes() else { return };
    let rows = csv_rows(&path);
    for prompt in [
        "split Wildlife Species by space into Kind and Rest",
        "separate the Wildlife Species column at each space into columns Kind, Rest",
        "dividir Wildlife Species por espacio en Kind y Rest",
        "diviser Wildlife Species par espace en Kind et Rest",
        "trenne Wildlife Species nach Leerzeichen in Kind und Rest",
        "dividir Wildlife Species por espaço em Kind e Rest",
        "dividi Wildlife Species per spazio in Kind e Rest",
    ] {
        let (sheet, steps) = job(prompt, &path);
        assert_eq!(sheet[0][14], "Kind", "{prompt}: {steps:?}");
        assert_eq!(sheet[0][15], "Rest", "{prompt}");
        let whole = rows.iter().filter(|r| !r[8].trim().contains(' ')).count();
        assert!(
            steps[0].contains(&format!("({whole} cells hold no ' ': whole in Kind)")),
            "{prompt}: {steps:?}"
        );
        for (k, row) in rows.iter().enumerate() {
            let species = row[8].trim();
            let (kind, rest) = species
                .split_once(char::is_whitespace)
                .unwrap_or((species, ""));
            assert_eq!(sheet[k + 1][8], row[8], "{prompt}: the source stays");
            assert_eq!(sheet[k + 1][14], piece(kind), "{prompt}: row {}", k + 2);
            assert_eq!(
                sheet[k + 1][15],
                piece(rest.trim()),
                "{prompt}: row {}",
                k + 2
            );
        }
    }
}

#[test]
fn a_split_without_names_makes_as_many_columns_as_the_most_pieces() {
    let Some(path) = birdstrikes() else { return };
    let rows = csv_rows(&path);
    let most = rows.iter().map(|r| r[1].split('-').count()).max().unwrap();
    let (sheet, steps) = job("split Aircraft Make Model on '-'", &path);
    for i in 0..most {
        assert_eq!(
            sheet[0][14 + i],
            format!("Aircraft Make Model {}", i + 1),
            "{steps:?}"
        );
    }
    assert_eq!(sheet[0].len(), 14 + most, "no extra column");
    for (k, row) in rows.iter().enumerate() {
        let pieces: Vec<&str> = row[1].split('-').map(str::trim).collect();
        for i in 0..most {
            let expected = pieces.get(i).map_or(Value::Null, |p| piece(p));
            assert_eq!(
                sheet[k + 1][14 + i],
                expected,
                "row {} piece {}",
                k + 2,
                i + 1
            );
        }
    }
    // "into 2 columns": the second takes the rest.
    let (sheet, _) = job("split Aircraft Make Model by '-' into 2 columns", &path);
    assert_eq!(sheet[0].len(), 16);
    for (k, row) in rows.iter().enumerate() {
        let (first, rest) = row[1].split_once('-').unwrap_or((&row[1], ""));
        assert_eq!(sheet[k + 1][14], piece(first.trim()), "row {}", k + 2);
        assert_eq!(sheet[k + 1][15], piece(rest.trim()), "row {}", k + 2);
    }
}

#[test]
fn a_split_that_cannot_be_done_says_why() {
    let Some(path) = birdstrikes() else { return };
    let profile = profile_file(&path, "birdstrikes.csv").unwrap();
    for (prompt, says) in [
        ("split Cost Repair by '-'", "holds numbers, not text"),
        (
            "split Wildlife Species by space into Kind",
            "two new column names or more",
        ),
        (
            "split Wildlife Species by space into Kind and Origin State",
            "column named 'Origin State' already exists",
        ),
        ("split Wildlife Species by nothing", "needs a delimiter"),
    ] {
        let e = plan_excel(prompt, std::slice::from_ref(&profile))
            .err()
            .unwrap_or_else(|| panic!("'{prompt}' was planned"));
        assert!(e.message.contains(says), "{prompt}: {}", e.message);
    }
}

/// The pivot of birdstrikes computed here: (row key, column key) -> (sum, count).
fn pivot_of(
    rows: &[Vec<String>],
    down: usize,
    across: usize,
    value: usize,
) -> HashMap<(String, String), (f64, usize)> {
    let mut out: HashMap<(String, String), (f64, usize)> = HashMap::new();
    for row in rows {
        let cell = out
            .entry((row[down].clone(), row[across].clone()))
            .or_default();
        cell.0 += row[value].parse::<f64>().unwrap();
        cell.1 += 1;
    }
    out
}

#[test]
fn a_pivot_sheet_crosses_two_columns_with_formulas_that_compute_it() {
    let Some(path) = birdstrikes() else { return };
    let rows = csv_rows(&path);
    // Phase of flight (6), Time of day (9), Cost Total $ (12).
    let expected = pivot_of(&rows, 6, 9, 12);
    let mut downs: Vec<String> = expected.keys().map(|k| k.0.clone()).collect();
    let mut acrosses: Vec<String> = expected.keys().map(|k| k.1.clone()).collect();
    downs.sort();
    downs.dedup();
    acrosses.sort();
    acrosses.dedup();
    for (prompt, average) in [
        (
            "pivot total Cost Total $ by Phase of flight and Time of day",
            false,
        ),
        (
            "pivot table of average Cost Total $ with Phase of flight as rows and Time of day as columns",
            true,
        ),
        (
            "crear una tabla dinámica del promedio de Cost Total $ con Phase of flight como filas y Time of day como columnas",
            true,
        ),
    ] {
        let (written, steps) = job_bytes(prompt, &path);
        let recalculated = office_core::test_support::recalc_bench::recalculated(&written).unwrap();
        let formulas = read_sheets(&written, false);
        let values = read_sheets(&recalculated, true);
        assert_eq!(values.len(), 2, "{prompt}: {steps:?}");
        let (name, sheet) = &values[1];
        assert!(
            steps[0].contains(&format!("into sheet '{name}'")),
            "{steps:?}"
        );
        assert!(!steps[0].contains("(values"), "{prompt}: {steps:?}");
        assert_eq!(sheet[0][0], "Phase of flight", "{prompt}");
        let header: Vec<String> = sheet[0][1..].iter().map(text).collect();
        assert_eq!(header, acrosses, "{prompt}");
        assert_eq!(sheet.len(), downs.len() + 1, "{prompt}");
        for (i, down) in downs.iter().enumerate() {
            assert_eq!(text(&sheet[i + 1][0]), *down);
            for (j, across) in acrosses.iter().enumerate() {
                let got = &sheet[i + 1][j + 1];
                let formula = text(&formulas[1].1[i + 1][j + 1]);
                match expected.get(&(down.clone(), across.clone())) {
                    None => assert_eq!(*got, Value::Null, "{prompt}: {down} × {across}"),
                    Some(&(sum, n)) => {
                        let want = if average { sum / n as f64 } else { sum };
                        let got = got.as_f64().unwrap_or_else(|| panic!("{prompt}: {got}"));
                        assert!(
                            (got - want).abs() < 1e-6 * want.abs().max(1.0),
                            "{prompt}: {down} × {across}: {got} != {want}"
                        );
                        let function = if average { "=AVERAGEIFS(" } else { "=SUMIFS(" };
                        assert!(formula.starts_with(function), "{prompt}: {formula}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_cross_tab_counts_rows() {
    let Some(path) = birdstrikes() else { return };
    let rows = csv_rows(&path);
    // Wildlife Size (7) by Time of day (9).
    let expected = pivot_of(&rows, 7, 9, 12);
    for prompt in [
        "cross tab of count by Wildlife Size and Time of day",
        "pivot by Wildlife Size and Time of day",
    ] {
        let (written, steps) = job_bytes(prompt, &path);
        let recalculated = office_core::test_support::recalc_bench::recalculated(&written).unwrap();
        let values = read_sheets(&recalculated, true);
        let sheet = &values[1].1;
        let header: Vec<String> = sheet[0][1..].iter().map(text).collect();
        let mut total = 0;
        for line in &sheet[1..] {
            for (j, cell) in line[1..].iter().enumerate() {
                let key = (text(&line[0]), header[j].clone());
                let want = expected.get(&key).map(|e| e.1);
                let got = cell.as_f64().map(|n| n as usize);
                assert_eq!(got, want, "{prompt}: {key:?} {steps:?}");
                total += got.unwrap_or(0);
            }
        }
        assert_eq!(total, rows.len(), "{prompt}: every row counted once");
    }
}

#[test]
fn a_pivot_that_cannot_be_made_says_why() {
    let Some(path) = birdstrikes() else { return };
    let profile = profile_file(&path, "birdstrikes.csv").unwrap();
    for (prompt, says) in [
        (
            "pivot total Cost Repair by Origin State across Origin State",
            "two different columns",
        ),
        (
            "pivot total Wildlife Species by Origin State and Time of day",
            "not numbers",
        ),
    ] {
        let e = plan_excel(prompt, std::slice::from_ref(&profile))
            .err()
            .unwrap_or_else(|| panic!("'{prompt}' was planned"));
        assert!(e.message.contains(says), "{prompt}: {}", e.message);
    }
}

#[test]
fn unpivoted_columns_become_rows_in_a_new_sheet() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    let header = [
        "date",
        "precipitation",
        "temp_max",
        "temp_min",
        "wind",
        "weather",
    ];
    for (prompt, melted, names) in [
        (
            "unpivot temp_max and temp_min into Measure and Celsius",
            vec![2, 3],
            ["Measure", "Celsius"],
        ),
        (
            "despivotar temp_max y temp_min en Measure y Celsius",
            vec![2, 3],
            ["Measure", "Celsius"],
        ),
        (
            "melt every column except date and weather",
            vec![1, 2, 3, 4],
            ["Attribute", "Value"],
        ),
    ] {
        let (written, steps) = job_bytes(prompt, &path);
        let sheets = read_sheets(&written, false);
        assert_eq!(sheets.len(), 2, "{prompt}: {steps:?}");
        let sheet = &sheets[1].1;
        let ids: Vec<usize> = (0..6).filter(|i| !melted.contains(i)).collect();
        let mut expected_header: Vec<String> = ids.iter().map(|&i| header[i].to_string()).collect();
        expected_header.extend(names.iter().map(|n| n.to_string()));
        let got_header: Vec<String> = sheet[0].iter().map(text).collect();
        assert_eq!(got_header, expected_header, "{prompt}");
        assert_eq!(sheet.len(), 1 + rows.len() * melted.len(), "{prompt}");
        assert!(
            steps[0].contains(&format!("({} rows)", rows.len() * melted.len())),
            "{steps:?}"
        );
        for (r, row) in rows.iter().enumerate() {
            for (m, &column) in melted.iter().enumerate() {
                let line = &sheet[1 + r * melted.len() + m];
                for (k, &id) in ids.iter().enumerate() {
                    let got = text(&line[k]);
                    match row[id].parse::<f64>() {
                        Ok(n) => assert_eq!(line[k].as_f64(), Some(n), "{prompt}: row {r}"),
                        // Dates come back as date-times: "2012-01-01 00:00:00".
                        Err(_) => {
                            assert!(got.starts_with(&row[id]), "{prompt}: {got} vs {}", row[id])
                        }
                    }
                }
                assert_eq!(text(&line[ids.len()]), header[column], "{prompt}");
                let value: f64 = row[column].parse().unwrap();
                assert_eq!(
                    line[ids.len() + 1].as_f64(),
                    Some(value),
                    "{prompt}: row {r}"
                );
            }
        }
    }
    // The table itself is unchanged.
    let (sheet, _) = job("unpivot temp_max and temp_min", &path);
    assert_eq!(sheet.len(), rows.len() + 1);
    assert_eq!(sheet[0].len(), 6);
}

#[test]
fn a_transposed_table_has_a_row_per_column() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    let header = [
        "date",
        "precipitation",
        "temp_max",
        "temp_min",
        "wind",
        "weather",
    ];
    for prompt in [
        "transpose the table",
        "swap rows and columns in a new sheet",
        "transponer la tabla",
        "转置表格",
    ] {
        let (written, steps) = job_bytes(prompt, &path);
        let sheets = read_sheets(&written, false);
        assert_eq!(sheets.len(), 2, "{prompt}: {steps:?}");
        let sheet = &sheets[1].1;
        assert_eq!(sheet.len(), 6, "{prompt}: a row per column");
        for (c, line) in sheet.iter().enumerate() {
            assert_eq!(line.len(), rows.len() + 1, "{prompt}");
            assert_eq!(text(&line[0]), header[c], "{prompt}");
            for (r, row) in rows.iter().enumerate() {
                let cell = &line[r + 1];
                match row[c].parse::<f64>() {
                    Ok(n) if c > 0 => assert_eq!(cell.as_f64(), Some(n), "{prompt}: {c} {r}"),
                    _ => assert!(
                        text(cell).starts_with(&row[c]),
                        "{prompt}: {cell} vs {}",
                        row[c]
                    ),
                }
            }
        }
    }
}

/// The weather CSV as a workbook of real numbers (the CSV path keeps "1.0" as text, as
/// written, and Excel's SUM skips text).
fn weather_book(dir: &Path) -> Option<PathBuf> {
    let rows = csv_rows(&weather()?);
    let book = dir.join("weather.xlsx");
    run_helper(
        r#"
import json, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["date", "precipitation", "temp_max", "temp_min", "wind", "weather"])
for r in json.loads(sys.argv[1]):
    ws.append([r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), r[5]])
wb.save(sys.argv[2])
"#,
        &[
            &serde_json::to_string(&rows).unwrap(),
            book.to_str().unwrap(),
        ],
    );
    Some(book)
}

#[test]
fn running_totals_shares_ranks_and_changes_are_formulas_down_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = weather_book(dir.path()) else {
        return;
    };
    let rows = csv_rows(&weather().unwrap());
    let precipitation: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    let temp: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    let total: f64 = precipitation.iter().sum();
    let running: Vec<f64> = precipitation
        .iter()
        .scan(0.0, |sum, p| {
            *sum += p;
            Some(*sum)
        })
        .collect();
    let share: Vec<f64> = precipitation.iter().map(|p| p / total).collect();
    let rank: Vec<f64> = temp
        .iter()
        .map(|t| 1.0 + temp.iter().filter(|u| *u > t).count() as f64)
        .collect();
    let change: Vec<Option<f64>> = (0..temp.len())
        .map(|i| (i > 0).then(|| temp[i] - temp[i - 1]))
        .collect();
    let cases: [(&str, &str, Vec<Option<f64>>); 5] = [
        (
            "add a running total of precipitation",
            "Running total of precipitation",
            running.iter().copied().map(Some).collect(),
        ),
        (
            "añadir el total acumulado de precipitation",
            "Running total of precipitation",
            running.iter().copied().map(Some).collect(),
        ),
        (
            "precipitation as a percentage of the total",
            "% of total precipitation",
            share.iter().copied().map(Some).collect(),
        ),
        (
            "add a rank of temp_max",
            "Rank of temp_max",
            rank.iter().copied().map(Some).collect(),
        ),
        (
            "add the difference from the previous row of temp_max",
            "Change in temp_max",
            change,
        ),
    ];
    for (prompt, header, expected) in cases {
        let (written, steps) = job_bytes(prompt, &path);
        assert!(!steps[0].contains("(values"), "{prompt}: {steps:?}");
        let formulas = read_sheets(&written, false);
        let recalculated = office_core::test_support::recalc_bench::recalculated(&written).unwrap();
        let sheet = &read_sheets(&recalculated, true)[0].1;
        assert_eq!(text(&sheet[0][6]), header, "{prompt}");
        for (k, want) in expected.iter().enumerate() {
            let formula = text(&formulas[0].1[k + 1][6]);
            assert!(
                formula.starts_with("=IF("),
                "{prompt}: row {}: {formula}",
                k + 2
            );
            let got = sheet[k + 1][6].as_f64();
            match want {
                Some(w) => {
                    let g = got.unwrap_or_else(|| panic!("{prompt}: row {} empty", k + 2));
                    assert!(
                        (g - w).abs() < 1e-9 * w.abs().max(1.0),
                        "{prompt}: row {}: {g} != {w}",
                        k + 2
                    );
                }
                None => assert_eq!(text(&sheet[k + 1][6]), "", "{prompt}: row {}", k + 2),
            }
        }
    }
    // Sorted afterwards: the running total keeps the order it was asked in, as values.
    let (written, steps) = job_bytes(
        "add a running total of precipitation, then sort by temp_max descending",
        &path,
    );
    assert!(steps[0].contains("(values, not formulas"), "{steps:?}");
    let sheet = &read_sheets(&written, false)[0].1;
    for line in &sheet[1..] {
        let date = text(&line[0]);
        let k = rows.iter().position(|r| date.starts_with(&r[0])).unwrap();
        let got = line[6].as_f64().unwrap();
        assert!(
            (got - running[k]).abs() < 1e-9 * running[k].max(1.0),
            "{date}: {got} != {}",
            running[k]
        );
    }
}

/// Plans, runs and applies `prompt` on `input`: every output file by name (the workbook
/// first), the steps and the notes of what could not be kept.
fn job_outputs(prompt: &str, input: &Path) -> (NamedFiles, Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let copy = dir.path().join(&name);
    std::fs::copy(input, &copy).unwrap();
    let profile = profile_file(&copy, &name).unwrap();
    let plan = plan_excel(prompt, &[profile])
        .unwrap_or_else(|e| panic!("'{prompt}' was not planned: {}", e.message));
    let out = run(&plan, &copy, dir.path());
    let edits = read_edits(&out);
    let bytes = std::fs::read(&copy).unwrap();
    let (files, lost) = apply_outputs(&bytes, &name, &edits.to_string())
        .unwrap_or_else(|e| panic!("'{prompt}': the write-back refused the script: {e}"));
    let steps = edits["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    (files, steps, lost)
}

/// The file named `name` among `files`.
fn file<'a>(files: &'a NamedFiles, name: &str) -> &'a [u8] {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn numbers_typed_in_a_csv_are_numbers_to_the_formulas_and_come_back_as_typed() {
    let Some(path) = weather() else { return };
    let rows = csv_rows(&path);
    // `0.0`, `10.9`: the CSV types every precipitation with one decimal.
    assert!(rows.iter().any(|r| r[1].ends_with(".0")));
    let mut totals: HashMap<String, f64> = HashMap::new();
    for r in &rows {
        *totals.entry(r[5].clone()).or_default() += r[1].parse::<f64>().unwrap();
    }
    let (files, steps, lost) = job_outputs("total precipitation by weather", &path);
    let written = file(&files, "output.xlsx");
    let cached = read_sheets(written, true);
    let formulas = read_sheets(written, false);
    let recalculated = office_core::test_support::recalc_bench::recalculated(written).unwrap();
    let values = read_sheets(&recalculated, true);
    assert_eq!(values.len(), 2, "{steps:?}");
    let sheet = &values[1].1;
    assert_eq!(sheet.len(), totals.len() + 1, "{steps:?}");
    for (i, line) in sheet.iter().enumerate().skip(1) {
        let want = totals[&text(&line[0])];
        let got = line[1].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-6,
            "{}: {got} != {want}",
            text(&line[0])
        );
        assert_eq!(
            cached[1].1[i][1], line[1],
            "the cached value is what Excel computes"
        );
        assert!(
            text(&formulas[1].1[i][1]).starts_with("=SUMIFS("),
            "{:?}",
            formulas[1].1[i]
        );
    }
    assert!(lost.is_empty(), "{lost:?}");

    // A running total down the CSV's own column is a formula, not values.
    let (files, steps, _) = job_outputs("add a running total of precipitation", &path);
    assert!(!steps[0].contains("(values"), "{steps:?}");
    let recalculated =
        office_core::test_support::recalc_bench::recalculated(file(&files, "output.xlsx")).unwrap();
    let sheet = &read_sheets(&recalculated, true)[0].1;
    let mut sum = 0.0;
    for (k, r) in rows.iter().enumerate() {
        sum += r[1].parse::<f64>().unwrap();
        let got = sheet[k + 1][6].as_f64().unwrap();
        assert!((got - sum).abs() < 1e-6, "row {}: {got} != {sum}", k + 2);
    }

    // Sorted, output.csv gives back every field as the CSV typed it (`5.0`, not `5`).
    let (files, _, _) = job_outputs("sort by temp_max descending", &path);
    let csv = String::from_utf8(file(&files, "output.csv").to_vec()).unwrap();
    let input = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = input.lines().skip(1).filter(|l| !l.is_empty()).collect();
    lines.sort_by(|a, b| {
        let t = |l: &str| l.split(',').nth(2).unwrap().parse::<f64>().unwrap();
        t(b).total_cmp(&t(a))
    });
    let got: Vec<&str> = csv.lines().collect();
    assert_eq!(got[0], input.lines().next().unwrap());
    assert_eq!(got[1..], lines[..]);
    // The workbook shows them so too: the column's format has one decimal.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output.xlsx");
    std::fs::write(&out, file(&files, "output.xlsx")).unwrap();
    let shown = Command::new(python())
        .arg("-c")
        .arg(
            "import sys, openpyxl\n\
             ws = openpyxl.load_workbook(sys.argv[1]).active\n\
             print(ws['B2'].number_format, type(ws['B2'].value).__name__)",
        )
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), "0.0 float");
}
