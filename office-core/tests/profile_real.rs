//! The profiler on real third-party files (tests/fixtures/real, see SOURCES.md there).
//! Expected facts were read independently with pandas/openpyxl/xlrd, not with this code.

use office_core::{ColumnType, FileFormat, FileProfile, ProfileError, SheetProfile, profile_file};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/real")
}

fn profile(relative: &str) -> Result<FileProfile, ProfileError> {
    let path = fixtures().join(relative);
    assert!(path.exists(), "missing fixture {}", path.display());
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    profile_file(&path, &name)
}

fn ok(relative: &str) -> FileProfile {
    profile(relative).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn err(relative: &str) -> String {
    match profile(relative) {
        Ok(p) => panic!("{relative} should not profile: {p:#?}"),
        Err(e) => {
            assert_eq!(
                e.file,
                Path::new(relative).file_name().unwrap().to_str().unwrap()
            );
            e.reason
        }
    }
}

fn sheet<'a>(profile: &'a FileProfile, name: &str) -> &'a SheetProfile {
    profile
        .sheets
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = profile.sheets.iter().map(|s| &s.name).collect();
            panic!("no sheet {name:?} in {names:?}")
        })
}

fn names(sheet: &SheetProfile) -> Vec<&str> {
    sheet.columns.iter().map(|c| c.name.as_str()).collect()
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else if path.file_name().is_some_and(|n| n != "SOURCES.md") {
            out.push(path);
        }
    }
}

#[test]
fn every_real_file_profiles_or_gives_a_reason() {
    let mut files = Vec::new();
    all_files(&fixtures(), &mut files);
    files.sort();
    assert!(files.len() >= 40, "only {} fixtures", files.len());
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        match profile_file(&path, name) {
            Ok(profile) => {
                let shape: Vec<_> = profile
                    .sheets
                    .iter()
                    .map(|s| format!("{}={}x{} h={:?}", s.name, s.rows, s.cols, s.header_row))
                    .collect();
                println!(
                    "OK  {name}: {:?} {shape:?} {:?}",
                    profile.format, profile.notes
                );
                assert_eq!(profile.name, name);
            }
            Err(e) => {
                println!("ERR {name}: {}", e.reason);
                assert_eq!(e.file, name);
                assert!(!e.reason.trim().is_empty());
            }
        }
    }
}

fn column<'a>(sheet: &'a SheetProfile, name: &str) -> &'a office_core::ColumnProfile {
    sheet
        .columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {:?}", names(sheet)))
}

const ENCRYPTED: &str =
    "the workbook is password-protected (encrypted); remove the password and upload it again";

#[test]
fn xlsx_with_numbers_text_dates_booleans() {
    // pandas: read_excel('pivots.xlsx', sheet_name='DataSheet') -> 10 rows x 10 columns.
    let profile = ok("calamine/pivots.xlsx");
    assert_eq!(profile.format, FileFormat::Xlsx);
    let data = sheet(&profile, "DataSheet");
    assert_eq!(data.header_row, Some(0));
    assert_eq!(data.data_rows, 10);
    assert_eq!(
        names(data),
        [
            "Id",
            "Name",
            "Category",
            "Value",
            "Size",
            "Date",
            "Value / Size",
            "IsBlue",
            "Null",
            "Misc"
        ]
    );
    let value = column(data, "Value");
    assert_eq!(value.dtype, ColumnType::Integer);
    assert_eq!(
        (value.min, value.max, value.mean),
        (Some(5.0), Some(20.0), Some(12.5))
    );
    let size = column(data, "Size");
    assert_eq!(size.dtype, ColumnType::Float);
    assert_eq!((size.min, size.max), (Some(0.0), Some(4.031)));
    let date = column(data, "Date");
    assert_eq!(date.dtype, ColumnType::Date);
    assert_eq!(date.date_min.as_deref(), Some("1999-01-01"));
    assert_eq!(date.date_max.as_deref(), Some("2024-12-01"));
    assert_eq!(column(data, "Category").distinct, 2);
    assert_eq!(column(data, "IsBlue").dtype, ColumnType::Boolean);
    let null = column(data, "Null");
    assert_eq!(
        (null.dtype, null.non_null, null.nulls),
        (ColumnType::Empty, 0, 10)
    );
    let misc = column(data, "Misc");
    // J5 is the error cell #DIV/0!, which pandas reads as NaN.
    assert_eq!(
        (misc.dtype, misc.non_null, misc.nulls),
        (ColumnType::Mixed, 8, 2)
    );
}

#[test]
fn dates_of_1904_workbooks_are_converted() {
    // pandas/openpyxl and xlrd: 2021-01-01, 2021-01-02, then 10 days 15:10:10.
    for file in ["calamine/date_1904.xlsx", "calamine/date_1904.xls"] {
        let profile = ok(file);
        assert!(
            profile.notes.iter().any(|n| n.contains("1904")),
            "{file}: {:?}",
            profile.notes
        );
        let data = &profile.sheets[0];
        assert_eq!(
            (data.header_row, data.data_rows, data.cols),
            (None, 3, 2),
            "{file}"
        );
        // The third cell has a duration format: openpyxl reads timedelta(days=10, seconds=54610).
        let dates = &data.columns[0];
        assert_eq!(
            dates.samples,
            ["2021-01-01", "2021-01-02", "10 days 15:10:10"],
            "{file}"
        );
        let counts = &data.columns[1];
        assert_eq!((counts.min, counts.max), (Some(15.0), Some(17.0)), "{file}");
    }
}

#[test]
fn xlsb_ods_and_xls_are_read() {
    // pyxlsb shows serials 44197 and 44198: 2021-01-01 and 2021-01-02.
    let xlsb = ok("calamine/date.xlsb");
    assert_eq!(xlsb.format, FileFormat::Xlsb);
    assert_eq!(
        &xlsb.sheets[0].columns[0].samples[..2],
        ["2021-01-01", "2021-01-02"]
    );
    // odfpy: A,B,C / A,B,C / -,-,C (merged cells keep the value in the first cell only).
    let ods = ok("calamine/merged_cells.ods");
    assert_eq!(ods.format, FileFormat::Ods);
    let merged = &ods.sheets[0];
    assert_eq!((merged.header_row, merged.data_rows), (Some(0), 2));
    assert_eq!(names(merged), ["A", "B", "C"]);
    assert_eq!(
        (merged.columns[0].non_null, merged.columns[2].non_null),
        (1, 2)
    );
    // xlrd: 'Data 1' has two lines above the header, then 375 monthly prices.
    let brent = ok("oil-prices/eia_brent-month.xls");
    let data = sheet(&brent, "Data 1");
    assert_eq!(data.header_row, Some(2));
    assert_eq!(
        names(data),
        ["Date", "Europe Brent Spot Price FOB (Dollars per Barrel)"]
    );
    assert_eq!(data.data_rows, 375);
    assert_eq!(data.columns[0].date_min.as_deref(), Some("1987-05-15"));
    assert_eq!(data.columns[0].date_max.as_deref(), Some("2018-07-15"));
    assert_eq!(
        (data.columns[1].min, data.columns[1].max),
        (Some(9.82), Some(132.72))
    );
    // The chart sheet is skipped, hidden sheets are kept and noted.
    let any = ok("calamine/any_sheets.xlsb");
    assert_eq!(any.sheets.len(), 3);
    assert!(
        any.notes
            .iter()
            .any(|n| n.contains("'Chart' is a chart sheet")),
        "{:?}",
        any.notes
    );
}

#[test]
fn headerless_sheet_gets_generated_names() {
    // pandas (header=None): 19455 x 9, column 3 dates 2018-01-31 .. 2018-03-02.
    let profile = ok("poi/bug62181.xlsx");
    let data = sheet(&profile, "List 2");
    assert_eq!(
        (data.header_row, data.data_rows, data.cols),
        (None, 19455, 9)
    );
    assert_eq!(data.columns[0].name, "column_1");
    assert_eq!(data.columns[3].dtype, ColumnType::Date);
    assert_eq!(data.columns[3].date_min.as_deref(), Some("2018-01-31"));
    assert_eq!(data.columns[3].date_max.as_deref(), Some("2018-03-02"));
    assert_eq!(
        (data.columns[4].min, data.columns[4].max),
        (Some(73.0), Some(432989.0))
    );
}

#[test]
fn cjk_names_are_kept() {
    // The sheet XML: three metadata rows, the header on row 4 (C4:N4), one data row.
    let profile = ok("calamine/issue_530.xlsx");
    let data = sheet(&profile, "出勤分类组织汇总表");
    assert_eq!(
        (data.first_row, data.header_row, data.data_rows, data.cols),
        (0, Some(3), 1, 14)
    );
    assert_eq!(&names(data)[2..6], ["领域", "平台", "小微", "节点组织"]);
    // H5 is the shared string "9": text in the workbook, as pandas reads it too.
    let total = column(data, "总人数");
    assert_eq!(
        (total.dtype, total.samples.as_slice()),
        (ColumnType::Text, ["9".to_owned()].as_slice())
    );
    let japanese = ok("sheetjs/defined_names_unicode.xlsx");
    assert!(japanese.sheets.iter().any(|s| s.name == "日本語のみ"));
}

#[test]
fn csv_dialects_and_encodings_are_sniffed() {
    // pandas: read_csv('seattle-weather.csv') -> 1461 x 6.
    let weather = ok("vega/seattle-weather.csv");
    let dialect = weather.csv.as_ref().unwrap();
    assert_eq!(
        (
            dialect.delimiter,
            dialect.encoding.as_str(),
            dialect.has_bom
        ),
        (',', "utf-8", false)
    );
    let data = &weather.sheets[0];
    assert_eq!(data.name, "seattle-weather");
    assert_eq!(
        names(data),
        [
            "date",
            "precipitation",
            "temp_max",
            "temp_min",
            "wind",
            "weather"
        ]
    );
    assert_eq!(data.data_rows, 1461);
    let date = column(data, "date");
    assert_eq!(date.dtype, ColumnType::Date);
    assert_eq!(
        (date.date_min.as_deref(), date.date_max.as_deref()),
        (Some("2012-01-01"), Some("2015-12-31"))
    );
    let temp = column(data, "temp_max");
    assert_eq!(
        (temp.dtype, temp.min, temp.max),
        (ColumnType::Float, Some(-1.6), Some(35.6))
    );
    assert!((temp.mean.unwrap() - 16.439083).abs() < 1e-5);
    assert_eq!(
        (
            column(data, "weather").dtype,
            column(data, "weather").distinct
        ),
        (ColumnType::Text, 5)
    );

    // pandas: read_csv(sep=';', encoding='latin-1', decimal=',') -> 638 x 8.
    let accents = ok("frictionless/table-with-accents.csv");
    let dialect = accents.csv.as_ref().unwrap();
    assert_eq!((dialect.delimiter, dialect.decimal), (';', ','));
    assert!(
        ["cp1252", "latin-1"].contains(&dialect.encoding.as_str()),
        "{}",
        dialect.encoding
    );
    let data = &accents.sheets[0];
    assert_eq!(data.data_rows, 638);
    assert_eq!(data.columns[3].name, "Année");
    let rate = column(data, "Occupancy rate");
    assert_eq!(
        (rate.dtype, rate.min, rate.max),
        (ColumnType::Float, Some(0.374379722), Some(0.896461837))
    );

    // Latin-1, ';', quoted newlines inside header cells: 7904 rows x 26 columns.
    let istat = ok("frictionless/issue-811_istat_comuni.csv");
    let data = &istat.sheets[0];
    assert_eq!(istat.csv.as_ref().unwrap().delimiter, ';');
    assert_eq!(
        (data.header_row, data.data_rows, data.cols),
        (Some(0), 7904, 26)
    );
    assert_eq!(data.columns[0].name, "Codice Regione");
    assert_eq!(
        data.columns[1].name,
        "Codice dell'Unità territoriale sovracomunale \n(valida a fini statistici)"
    );

    let bom = ok("frictionless/bom.csv");
    let dialect = bom.csv.as_ref().unwrap();
    assert_eq!(
        (dialect.encoding.as_str(), dialect.has_bom),
        ("utf-8-sig", true)
    );
    assert_eq!(names(&bom.sheets[0]), ["id", "name"]);
    assert!(
        bom.sheets[0].columns[1]
            .samples
            .contains(&"中国人".to_owned())
    );

    let dupes = ok("frictionless/duplicate-headers.csv");
    assert_eq!(
        names(&dupes.sheets[0]),
        ["id", "name", "id.1", "age", "id.2"]
    );
    assert_eq!(dupes.sheets[0].data_rows, 2);

    let zeros = ok("frictionless/leading-zeros.csv");
    let codes = &zeros.sheets[0].columns[0];
    assert_eq!(
        (codes.name.as_str(), codes.dtype),
        ("value", ColumnType::Text)
    );
    assert_eq!(codes.samples, ["01", "002", "00003"]);

    // pandas: 3 rows x 9074 columns, names 'id', '100022', ...; booleans below.
    let wide = ok("frictionless/wide.csv");
    let data = &wide.sheets[0];
    assert_eq!(
        (data.header_row, data.data_rows, data.cols),
        (Some(0), 3, 9074)
    );
    assert_eq!(data.columns[1].name, "100022");
    assert_eq!(data.columns[1].dtype, ColumnType::Boolean);
}

#[test]
fn unreadable_files_give_reasons() {
    for file in [
        "calamine/pass_protected.xlsx",
        "poi/protected_passtika.xlsx",
        "poi/password.xls",
        "poi/xor-encryption-abc.xls",
        "sheetjs/password_2002_128_strong.xls",
        "calamine/pass_protected.ods",
    ] {
        assert_eq!(err(file), ENCRYPTED, "{file}");
    }
    for file in ["openpyxl/null_file.xlsx", "frictionless/empty.csv"] {
        assert_eq!(err(file), "the file is empty", "{file}");
    }
    for (file, format) in [
        ("poi/clusterfuzz-truncated.xlsx", "XLSX"),
        ("poi/xlsx-corrupted.xlsx", "XLSX"),
        ("openpyxl/null_archive.xlsx", "XLSX"),
        ("poi/poc-shared-strings.xlsx", "XLSX"),
        ("calamine/issue_594_dos.ods", "ODS"),
    ] {
        let reason = err(file);
        let expected = format!("the file is damaged or not a valid {format} workbook (");
        assert!(
            reason.starts_with(&expected) && reason.ends_with(')'),
            "{file}: {reason}"
        );
    }
    // 68 bytes of text with an .xls name.
    assert!(err("calamine/too_small.xls").contains("holds text"));
}

#[test]
fn empty_workbooks_profile_as_empty_sheets() {
    let profile = ok("calamine/empty_sheet.xlsx");
    assert_eq!(profile.sheets.len(), 1);
    assert_eq!((profile.sheets[0].rows, profile.sheets[0].cols), (0, 0));
    assert!(profile.notes.iter().any(|n| n.contains("no data")));
    let cyrillic = ok("poi/empty.xls");
    let names: Vec<_> = cyrillic.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Лист1", "Лист2", "Лист3"]);
}

#[test]
fn names_and_bytes_that_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("notes.docx");
    std::fs::write(&docx, b"PK\x03\x04whatever").unwrap();
    assert_eq!(
        profile_file(&docx, "notes.docx").unwrap_err().reason,
        "unsupported file type '.docx'; supported: xlsx, xlsm, xls, xlsb, ods, csv, tsv"
    );
    let csv_as_xlsx = dir.path().join("weather.xlsx");
    std::fs::copy(fixtures().join("vega/seattle-weather.csv"), &csv_as_xlsx).unwrap();
    let reason = profile_file(&csv_as_xlsx, "weather.xlsx")
        .unwrap_err()
        .reason;
    assert!(reason.contains("named .xlsx but holds text"), "{reason}");
    let xlsx_as_xls = dir.path().join("pivots.xls");
    std::fs::copy(fixtures().join("calamine/pivots.xlsx"), &xlsx_as_xls).unwrap();
    let profile = profile_file(&xlsx_as_xls, "pivots.xls").unwrap();
    assert_eq!(profile.format, FileFormat::Xlsx);
    assert!(
        profile
            .notes
            .iter()
            .any(|n| n.contains("named .xls but is an XLSX")),
        "{:?}",
        profile.notes
    );
    let xlsx_as_csv = dir.path().join("pivots.csv");
    std::fs::copy(fixtures().join("calamine/pivots.xlsx"), &xlsx_as_csv).unwrap();
    assert!(
        profile_file(&xlsx_as_csv, "pivots.csv")
            .unwrap_err()
            .reason
            .contains("spreadsheet workbook")
    );
}

#[test]
fn hostile_workbooks_neither_panic_nor_exhaust_memory() {
    let oom = ok("calamine/OOM_alloc.xls");
    assert_eq!(oom.sheets.len(), 10);
    assert_eq!(sheet(&oom, "Weekly Report").cols, 23);
    assert!(profile("poi/poc-xmlbomb.xlsx").is_err());
    assert!(profile("calamine/issue_594_dos.ods").is_err());
    ok("poi/xxe_in_schema.xlsx");
}
