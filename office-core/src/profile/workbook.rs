//! Workbooks through calamine: xlsx/xlsm and xlsb are streamed cell by cell (no dense
//! grid is ever built, so a stray cell at XFD1048576 costs nothing); xls and ods come as
//! calamine ranges. Every call into calamine is guarded against panics by the caller.

use super::cancel;
use super::columns::{RowCells, SheetBuilder};
use super::values::{Value, is_na_string, parse_iso_datetime};
use super::{FileFormat, ProfileError, SheetProfile};
use calamine::{Data, DataRef, ExcelDateTime, Reader, SheetType, SheetVisible};
use chrono::NaiveDate;
use std::io::{BufReader, Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Non-empty cells kept per sheet; past this the rest of the sheet is only measured.
const MAX_STORED_CELLS: usize = 2_000_000;
/// Largest total an OOXML/ODS archive may unpack to before it is refused (zip bombs).
const MAX_UNPACKED_BYTES: u64 = 4 << 30;

/// What reading a workbook produced.
pub(crate) struct WorkbookContents {
    pub sheets: Vec<SheetProfile>,
    pub notes: Vec<String>,
}

/// Why a workbook could not be read; the caller words it for the user.
pub(crate) enum WorkbookError {
    Encrypted,
    Damaged(String),
    TooLarge(String),
}

impl WorkbookError {
    pub(crate) fn into_profile_error(self, file: &str, format: FileFormat) -> ProfileError {
        let reason = match self {
            WorkbookError::Encrypted => super::ENCRYPTED_REASON.to_owned(),
            WorkbookError::Damaged(detail) => super::damaged_reason(format, &detail),
            WorkbookError::TooLarge(detail) => {
                format!("the file is too large to profile ({detail})")
            }
        };
        ProfileError {
            file: file.to_owned(),
            reason,
        }
    }
}

fn damaged(error: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Damaged(error.to_string())
}

/// Reads the sheets of a workbook whose real format is `format` (decided from its bytes).
pub(crate) fn read_workbook(
    path: &Path,
    format: FileFormat,
    bytes: Option<Vec<u8>>,
) -> Result<WorkbookContents, WorkbookError> {
    match format {
        FileFormat::Xlsx | FileFormat::Xlsm => {
            check_archive(path)?;
            let file = open(path)?;
            let mut workbook = guarded(|| calamine::Xlsx::new(file))?.map_err(xlsx_error)?;
            let is_1904 = workbook.has_1904_epoch();
            let sheets = workbook.sheets_metadata().to_vec();
            read_sheets(&sheets, is_1904, |name| {
                let mut reader = workbook.worksheet_cells_reader(name).map_err(xlsx_error)?;
                let mut cells = CellCollector::default();
                let mut seen = 0usize;
                while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
                    let (row, col) = cell.get_position();
                    cells.push(row as usize, col as usize, cell.get_value());
                    seen += 1;
                    if cancel::due(seen) {
                        break;
                    }
                }
                Ok(cells)
            })
        }
        FileFormat::Xlsb => {
            check_archive(path)?;
            let file = open(path)?;
            let mut workbook = guarded(|| calamine::Xlsb::new(file))?.map_err(xlsb_error)?;
            let is_1904 = workbook.has_1904_epoch();
            let sheets = workbook.sheets_metadata().to_vec();
            read_sheets(&sheets, is_1904, |name| {
                let mut reader = workbook.worksheet_cells_reader(name).map_err(xlsb_error)?;
                let mut cells = CellCollector::default();
                let mut seen = 0usize;
                while let Some(cell) = reader.next_cell().map_err(xlsb_error)? {
                    let (row, col) = cell.get_position();
                    cells.push(row as usize, col as usize, cell.get_value());
                    seen += 1;
                    if cancel::due(seen) {
                        break;
                    }
                }
                Ok(cells)
            })
        }
        FileFormat::Xls => {
            let bytes = match bytes {
                Some(bytes) => bytes,
                None => std::fs::read(path).map_err(damaged)?,
            };
            if let Some((rows, cols)) = super::sniff::impossible_xls_dimensions(&bytes) {
                return Err(WorkbookError::Damaged(format!(
                    "a sheet declares an impossible size of {rows} rows by {cols} columns"
                )));
            }
            let obfuscated = super::sniff::has_xls_filepass(&bytes);
            let mut workbook = guarded(|| calamine::Xls::new(Cursor::new(bytes)))?
                .map_err(xls_error)
                .map_err(|error| match error {
                    // calamine can fail on the scrambled records before it sees FILEPASS.
                    WorkbookError::Damaged(_) if obfuscated => WorkbookError::Encrypted,
                    other => other,
                })?;
            let is_1904 = workbook.has_1904_epoch();
            let sheets = workbook.sheets_metadata().to_vec();
            read_sheets(&sheets, is_1904, |name| {
                range_cells(workbook.worksheet_range(name).map_err(xls_error)?)
            })
        }
        FileFormat::Ods => {
            check_archive(path)?;
            let file = open(path)?;
            let mut workbook = guarded(|| calamine::Ods::new(file))?.map_err(ods_error)?;
            let sheets = workbook.sheets_metadata().to_vec();
            read_sheets(&sheets, false, |name| {
                range_cells(workbook.worksheet_range(name).map_err(ods_error)?)
            })
        }
        FileFormat::Csv | FileFormat::Tsv => Err(WorkbookError::Damaged("not a workbook".into())),
    }
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>, WorkbookError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(damaged)
}

/// Runs a calamine call, turning a panic into a damaged-file error.
fn guarded<T>(call: impl FnOnce() -> T) -> Result<T, WorkbookError> {
    catch_unwind(AssertUnwindSafe(call))
        .map_err(|_| WorkbookError::Damaged("the reader failed on its contents".into()))
}

fn xlsx_error(error: calamine::XlsxError) -> WorkbookError {
    match error {
        calamine::XlsxError::Password => WorkbookError::Encrypted,
        other => damaged(other),
    }
}

fn xlsb_error(error: calamine::XlsbError) -> WorkbookError {
    match error {
        calamine::XlsbError::Password => WorkbookError::Encrypted,
        other => damaged(other),
    }
}

fn xls_error(error: calamine::XlsError) -> WorkbookError {
    match error {
        calamine::XlsError::Password => WorkbookError::Encrypted,
        other => damaged(other),
    }
}

fn ods_error(error: calamine::OdsError) -> WorkbookError {
    match error {
        calamine::OdsError::Password => WorkbookError::Encrypted,
        other => damaged(other),
    }
}

/// Refuses archives that unpack to absurd sizes, and an XLSX shared-string table that
/// declares more strings than it has bytes (calamine reserves memory for the declared
/// count up front, and a failed allocation aborts the process).
fn check_archive(path: &Path) -> Result<(), WorkbookError> {
    let file = std::fs::File::open(path).map_err(damaged)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(damaged)?;
    let mut unpacked: u64 = 0;
    let mut shared_strings = None;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(damaged)?;
        unpacked = unpacked.saturating_add(entry.size());
        if entry
            .name()
            .is_ok_and(|name| part_name_is(&name, "xl/sharedStrings.xml"))
        {
            shared_strings = Some(index);
        }
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(WorkbookError::TooLarge(format!(
            "it unpacks to {} MiB; the limit is {} MiB",
            unpacked >> 20,
            MAX_UNPACKED_BYTES >> 20
        )));
    }
    if let Some(index) = shared_strings {
        let entry = archive.by_index(index).map_err(damaged)?;
        let part_size = entry.size();
        let mut head = Vec::new();
        entry.take(4096).read_to_end(&mut head).map_err(damaged)?;
        if let Some(declared) = declared_unique_count(&head)
            && declared > part_size
        {
            return Err(WorkbookError::Damaged(format!(
                "its shared-string table declares {declared} strings in {part_size} bytes"
            )));
        }
    }
    Ok(())
}

/// Compares archive part names case-insensitively; some writers use `\\` as separator.
pub(crate) fn part_name_is(name: &str, part: &str) -> bool {
    name.len() == part.len()
        && name.bytes().zip(part.bytes()).all(|(a, b)| {
            let a = if a == b'\\' { b'/' } else { a };
            a.eq_ignore_ascii_case(&b)
        })
}

fn declared_unique_count(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let start = text.find("uniqueCount=")? + "uniqueCount=".len();
    let digits: String = text[start..]
        .chars()
        .skip(1)
        .take_while(char::is_ascii_digit)
        .collect();
    // A count too long for u64 is surely absurd.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Non-empty cells of one sheet, kept up to a cap, with the full extent measured.
#[derive(Default)]
struct CellCollector {
    cells: Vec<(usize, usize, Value)>,
    /// First row (in reading order) whose cells were dropped for the cap.
    dropped_from_row: Option<usize>,
    /// Extent of dropped cells: last row, first and last column.
    dropped_extent: Option<(usize, usize, usize)>,
}

impl CellCollector {
    fn push(&mut self, row: usize, col: usize, value: &DataRef<'_>) {
        let Some(value) = to_value(value) else { return };
        self.push_value(row, col, value);
    }

    fn push_value(&mut self, row: usize, col: usize, value: Value) {
        if self.cells.len() < MAX_STORED_CELLS && self.dropped_from_row.is_none() {
            self.cells.push((row, col, value));
            return;
        }
        self.dropped_from_row = Some(self.dropped_from_row.map_or(row, |r| r.min(row)));
        self.dropped_extent = Some(match self.dropped_extent {
            None => (row, col, col),
            Some((last, lo, hi)) => (last.max(row), lo.min(col), hi.max(col)),
        });
    }
}

/// The non-empty cells of a calamine range (xls, ods).
fn range_cells(range: calamine::Range<calamine::Data>) -> Result<CellCollector, WorkbookError> {
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut cells = CellCollector::default();
    for (seen, (row, col, data)) in range.used_cells().enumerate() {
        if cancel::due(seen) {
            break;
        }
        if let Some(value) = data_to_value(data) {
            cells.push_value(start_row as usize + row, start_col as usize + col, value);
        }
    }
    Ok(cells)
}

/// A streamed calamine cell as a profile value; `None` for empty and missing-marker cells.
fn to_value(data: &DataRef<'_>) -> Option<Value> {
    match data {
        DataRef::Empty => None,
        DataRef::Int(n) => Some(Value::Int(*n)),
        DataRef::Float(f) => Some(Value::number(*f)),
        DataRef::Bool(b) => Some(Value::Bool(*b)),
        DataRef::String(s) => text_value(s),
        DataRef::SharedString(s) => text_value(s),
        DataRef::DateTime(datetime) => Some(excel_datetime(datetime)),
        DataRef::DateTimeIso(iso) => Some(iso_value(iso)),
        DataRef::DurationIso(iso) => Some(Value::Text(iso.clone())),
        // pandas' readers turn error cells (#DIV/0!, #N/A) into NaN.
        DataRef::Error(_) => None,
    }
}

/// A calamine range cell (xls, ods) as a profile value.
fn data_to_value(data: &Data) -> Option<Value> {
    match data {
        Data::Empty => None,
        Data::Int(n) => Some(Value::Int(*n)),
        Data::Float(f) => Some(Value::number(*f)),
        Data::Bool(b) => Some(Value::Bool(*b)),
        Data::String(s) => text_value(s),
        Data::DateTime(datetime) => Some(excel_datetime(datetime)),
        Data::DateTimeIso(iso) => Some(iso_value(iso)),
        Data::DurationIso(iso) => Some(Value::Text(iso.clone())),
        Data::Error(_) => None,
    }
}

fn text_value(text: &str) -> Option<Value> {
    (!is_na_string(text)).then(|| Value::Text(text.to_owned()))
}

fn iso_value(iso: &str) -> Value {
    parse_iso_datetime(iso).map_or_else(|| Value::Text(iso.to_owned()), Value::Date)
}

fn excel_datetime(datetime: &ExcelDateTime) -> Value {
    if datetime.is_duration() {
        let total_seconds = (datetime.as_f64() * 86_400.0).round() as i64;
        let (days, rest) = (
            total_seconds.div_euclid(86_400),
            total_seconds.rem_euclid(86_400),
        );
        return Value::Text(format!(
            "{days} days {:02}:{:02}:{:02}",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        ));
    }
    let (year, month, day, hour, minute, second, milli) = datetime.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())
        .and_then(|date| {
            date.and_hms_milli_opt(hour.into(), minute.into(), second.into(), milli.into())
        })
        // 1900-02-29 (Excel's leap-year bug) has no real date: keep the serial number.
        .map_or_else(|| Value::number(datetime.as_f64()), Value::Date)
}

/// Profiles every worksheet; a sheet that cannot be read becomes a note, unless no sheet
/// can be read at all.
fn read_sheets(
    sheets: &[calamine::Sheet],
    is_1904: bool,
    mut read_cells: impl FnMut(&str) -> Result<CellCollector, WorkbookError>,
) -> Result<WorkbookContents, WorkbookError> {
    let mut contents = WorkbookContents {
        sheets: Vec::new(),
        notes: Vec::new(),
    };
    let mut failures = Vec::new();
    if is_1904 {
        contents.notes.push(
            "the workbook uses the 1904 date system; dates shown here are already converted"
                .to_owned(),
        );
    }
    for sheet in sheets {
        let kind = match sheet.typ {
            SheetType::WorkSheet => None,
            SheetType::ChartSheet => Some("a chart sheet"),
            SheetType::DialogSheet => Some("a dialog sheet"),
            SheetType::MacroSheet => Some("a macro sheet"),
            SheetType::Vba => Some("a VBA module"),
        };
        if let Some(kind) = kind {
            contents
                .notes
                .push(format!("sheet '{}' is {kind}; skipped", sheet.name));
            continue;
        }
        if sheet.visible != SheetVisible::Visible {
            contents
                .notes
                .push(format!("sheet '{}' is hidden", sheet.name));
        }
        let read = guarded(|| read_cells(&sheet.name)).and_then(|cells| cells);
        match read {
            Ok(cells) => {
                let (profile, notes) = build_sheet(&sheet.name, cells);
                contents.sheets.push(profile);
                contents.notes.extend(notes);
            }
            Err(WorkbookError::Damaged(detail)) | Err(WorkbookError::TooLarge(detail)) => {
                contents.notes.push(format!(
                    "sheet '{}' could not be read: {detail}",
                    sheet.name
                ));
                failures.push(format!("sheet '{}': {detail}", sheet.name));
            }
            Err(WorkbookError::Encrypted) => {
                contents
                    .notes
                    .push(format!("sheet '{}' is encrypted; skipped", sheet.name));
            }
        }
    }
    if contents.sheets.is_empty()
        && let Some(failure) = failures.into_iter().next()
    {
        // Worksheets exist but none could be read: the file is damaged, not empty.
        return Err(WorkbookError::Damaged(failure));
    }
    if contents.sheets.iter().all(|sheet| sheet.rows == 0) {
        contents.notes.push("the workbook holds no data".to_owned());
    }
    Ok(contents)
}

fn build_sheet(name: &str, collected: CellCollector) -> (SheetProfile, Vec<String>) {
    let CellCollector {
        mut cells,
        dropped_from_row,
        dropped_extent,
    } = collected;
    cells.sort_by_key(|(row, col, _)| (*row, *col));
    let mut builder = SheetBuilder::new(name, false);
    let mut current: Option<(usize, RowCells)> = None;
    for (seen, (row, col, value)) in cells.into_iter().enumerate() {
        if cancel::due(seen) {
            break;
        }
        if dropped_from_row.is_some_and(|dropped| row >= dropped) {
            builder.extend_unprofiled(row, col, col);
            continue;
        }
        match &mut current {
            Some((current_row, cells)) if *current_row == row => cells.push((col, value)),
            _ => {
                if let Some((done_row, done_cells)) = current.take() {
                    builder.push_row(done_row, done_cells);
                }
                current = Some((row, vec![(col, value)]));
            }
        }
    }
    if let Some((row, cells)) = current {
        builder.push_row(row, cells);
    }
    if let (Some(from_row), Some((last_row, first_col, last_col))) =
        (dropped_from_row, dropped_extent)
    {
        builder.extend_unprofiled(from_row, first_col, last_col);
        builder.extend_unprofiled(last_row, first_col, last_col);
    }
    builder.finish()
}
