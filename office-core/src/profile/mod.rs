//! Profile stage: what is in each uploaded file, computed before any code is written.
//! Spreadsheets are read with calamine (xlsx, xlsm, xls, xlsb, ods); csv/tsv with a
//! delimiter and encoding sniffer. Profiling never panics on a bad file: corrupt,
//! encrypted, empty and unsupported files give a `ProfileError` naming file and reason.

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

pub(crate) mod cancel;
mod columns;
pub(crate) mod formulas;
mod header;
pub(crate) mod sniff;
mod text;
pub(crate) mod values;
mod workbook;

/// A file format the profiler reads, from the name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 2007+ workbook with macros (which are never run).
    Xlsm,
    /// Excel 97-2003 workbook.
    Xls,
    /// Excel binary workbook.
    Xlsb,
    /// OpenDocument spreadsheet.
    Ods,
    /// Comma- (or otherwise) delimited text.
    Csv,
    /// Tab-separated text (`.tsv`, `.tab`).
    Tsv,
}

impl FileFormat {
    /// The format a file name's extension says, case-insensitively.
    pub fn from_name(name: &str) -> Option<FileFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "xlsx" => FileFormat::Xlsx,
            "xlsm" => FileFormat::Xlsm,
            "xls" => FileFormat::Xls,
            "xlsb" => FileFormat::Xlsb,
            "ods" => FileFormat::Ods,
            "csv" => FileFormat::Csv,
            "tsv" | "tab" => FileFormat::Tsv,
            _ => return None,
        })
    }

    /// Whether it is delimited text (CSV, TSV) rather than a workbook.
    pub fn is_text(self) -> bool {
        matches!(self, FileFormat::Csv | FileFormat::Tsv)
    }

    /// The extensions read, as listed in error messages.
    pub const SUPPORTED: &'static str = "xlsx, xlsm, xls, xlsb, ods, csv, tsv";
}

/// How a text file is laid out, as sniffed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvDialect {
    /// The field separator.
    pub delimiter: char,
    /// The quote character.
    pub quote: char,
    /// A Python codec name the generated code can pass to `pd.read_csv(encoding=...)`.
    pub encoding: String,
    /// Whether the file starts with a byte-order mark.
    pub has_bom: bool,
    /// The decimal mark of numbers (`,` in many European exports): pass it to
    /// `pd.read_csv(decimal=...)`.
    #[serde(default = "default_decimal")]
    pub decimal: char,
}

fn default_decimal() -> char {
    '.'
}

/// What is in one file: its format, its sheets and their columns, as a generator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileProfile {
    /// The stored (safe) file name.
    pub name: String,
    /// The format it was read as (what the bytes are, not only what the name says).
    pub format: FileFormat,
    /// Size in bytes.
    pub size: u64,
    /// Its sheets in workbook order; a text file has one.
    pub sheets: Vec<SheetProfile>,
    /// How a text file is laid out; `None` for workbooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvDialect>,
    /// Things worth knowing that did not stop profiling (a 1904 date system, a sheet that
    /// could not be read, rows cut for sampling).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One sheet (or a text file's table): where the data is and what its columns hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetProfile {
    /// The sheet's name (the file name for a text file).
    pub name: String,
    /// Height and width of the used range.
    pub rows: usize,
    /// Width of the used range.
    pub cols: usize,
    /// Absolute 0-based position of the used range's top-left cell (A1 is 0,0).
    pub first_row: usize,
    /// Absolute 0-based column of the used range's left edge.
    pub first_col: usize,
    /// Absolute 0-based row that holds the column names, when one was found.
    pub header_row: Option<usize>,
    /// Rows below the header (or all rows when there is no header).
    pub data_rows: usize,
    /// Its columns, left to right.
    pub columns: Vec<ColumnProfile>,
}

/// What a column's values are, from the cells sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Whole numbers only.
    Integer,
    /// Numbers, some with a fraction.
    Float,
    /// True/false values only.
    Boolean,
    /// Dates or date-times.
    Date,
    /// Text only.
    Text,
    /// Values of more than one type.
    Mixed,
    /// No values at all.
    Empty,
}

impl ColumnType {
    /// Whether it is `Integer` or `Float`.
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Float)
    }
}

/// One column of a sheet: its name, type and a summary of its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Absolute 0-based column index in the sheet.
    pub index: usize,
    /// The header text; `column_<n>` (1-based) when the header cell is empty or there is no header.
    pub name: String,
    /// The type of its values.
    pub dtype: ColumnType,
    /// Cells below the header that hold a value.
    pub non_null: usize,
    /// Cells below the header that are empty.
    pub nulls: usize,
    /// How many different values it holds (see `distinct_estimated`).
    pub distinct: usize,
    /// True when `distinct` was estimated (large columns) rather than counted.
    pub distinct_estimated: bool,
    /// Smallest value, for numeric columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value, for numeric columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Mean value, for numeric columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// ISO 8601 dates (or date-times) for date columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_min: Option<String>,
    /// The latest date, ISO 8601, for date columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_max: Option<String>,
    /// A few distinct values as text.
    pub samples: Vec<String>,
    /// A date column whose texts read day first ("01/02/2024" is 1 February), as the
    /// profile read every one of them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub day_first: bool,
}

/// Why a file could not be profiled, said so a person understands it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read '{file}': {reason}")]
pub struct ProfileError {
    /// The user-facing name of the file.
    pub file: String,
    /// What is wrong with it, in plain words.
    pub reason: String,
}

impl From<ProfileError> for crate::error::Error {
    fn from(e: ProfileError) -> Self {
        crate::error::Error::UnreadableFile {
            file: e.file,
            reason: e.reason,
        }
    }
}

/// Largest file the profiler reads; bigger uploads are refused before any parsing.
pub(crate) const MAX_PROFILE_BYTES: u64 = 1 << 30;

/// Why a profile ended early: its submission went away (the client disconnected).
pub(crate) const CANCELLED_REASON: &str = "the profile was stopped: the submission was cancelled";

const ENCRYPTED_REASON: &str =
    "the workbook is password-protected (encrypted); remove the password and upload it again";

/// Longest parser detail quoted in a message.
const MAX_DETAIL_CHARS: usize = 160;

fn damaged_reason(format: FileFormat, detail: &str) -> String {
    let detail = detail.trim();
    let detail = match detail.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &detail[..cut]),
        None => detail.to_owned(),
    };
    format!(
        "the file is damaged or not a valid {} workbook ({detail})",
        format_label(format)
    )
}

fn format_label(format: FileFormat) -> &'static str {
    match format {
        FileFormat::Xlsx => "XLSX",
        FileFormat::Xlsm => "XLSM",
        FileFormat::Xls => "XLS",
        FileFormat::Xlsb => "XLSB",
        FileFormat::Ods => "ODS",
        FileFormat::Csv => "CSV",
        FileFormat::Tsv => "TSV",
    }
}

/// Profiles the file at `path`. `name` is the user-facing file name: it names the file in
/// messages and its extension gives the expected format; the bytes are checked against it
/// (a workbook saved under another workbook extension is read as what it is, with a note).
///
/// A workbook whose sheets are all empty is not an error: it gives zero-row sheets and a
/// note. Never panics: a reader that fails on a malformed file becomes a `ProfileError`.
pub fn profile_file(path: &Path, name: &str) -> Result<FileProfile, ProfileError> {
    let fail = |reason: String| ProfileError {
        file: name.to_owned(),
        reason,
    };
    let Some(declared) = FileFormat::from_name(name) else {
        let extension = match name.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() => format!("'.{}'", ext.to_ascii_lowercase()),
            _ => "(no extension)".to_owned(),
        };
        return Err(fail(format!(
            "unsupported file type {extension}; supported: {}",
            FileFormat::SUPPORTED
        )));
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(format!("the file could not be opened ({e})")))?
        .len();
    if size == 0 {
        return Err(fail("the file is empty".to_owned()));
    }
    if size > MAX_PROFILE_BYTES {
        return Err(fail(format!(
            "the file is too large to profile ({} MiB; the limit is {} MiB)",
            size >> 20,
            MAX_PROFILE_BYTES >> 20
        )));
    }
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut head))
        .map_err(|e| fail(format!("the file could not be read ({e})")))?;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        profile_checked(path, name, declared, size, &head)
    }));
    // The readers stop early once cancelled: what they read is not the file's profile.
    if cancel::cancelled() {
        return Err(fail(CANCELLED_REASON.to_owned()));
    }
    outcome.unwrap_or_else(|_| {
        Err(fail(damaged_reason(
            declared,
            "the reader failed on its contents",
        )))
    })
}

fn profile_checked(
    path: &Path,
    name: &str,
    declared: FileFormat,
    size: u64,
    head: &[u8],
) -> Result<FileProfile, ProfileError> {
    let fail = |reason: String| ProfileError {
        file: name.to_owned(),
        reason,
    };
    let read_all =
        || std::fs::read(path).map_err(|e| fail(format!("the file could not be read ({e})")));
    let container = sniff::container(head);
    if declared.is_text() {
        if matches!(container, sniff::Container::Zip | sniff::Container::Ole2) {
            return Err(fail(format!(
                "the file is named .{} but is a spreadsheet workbook, not text; \
                 save it with its real extension (such as .xlsx) and upload it again",
                format_label(declared).to_ascii_lowercase()
            )));
        }
        let bytes = read_all()?;
        let contents = text::read_text(&bytes, name, declared);
        return Ok(FileProfile {
            name: name.to_owned(),
            format: declared,
            size,
            sheets: vec![contents.sheet],
            csv: Some(contents.dialect),
            notes: contents.notes,
        });
    }
    let (actual, bytes) = match container {
        sniff::Container::Empty => return Err(fail("the file is empty".to_owned())),
        sniff::Container::Zip => (
            zip_workbook_format(path, declared)
                .map_err(|detail| fail(damaged_reason(declared, &detail)))?,
            None,
        ),
        sniff::Container::Ole2 => {
            let bytes = read_all()?;
            if sniff::is_encrypted_ooxml(&bytes) {
                return Err(fail(ENCRYPTED_REASON.to_owned()));
            }
            (FileFormat::Xls, Some(bytes))
        }
        sniff::Container::Other if sniff::looks_like_text(head) => {
            return Err(fail(format!(
                "the file is named .{} but holds text (such as CSV or HTML), not a workbook; \
                 upload it as .csv or save it as a real workbook",
                format_label(declared).to_ascii_lowercase()
            )));
        }
        sniff::Container::Other => {
            return Err(fail(damaged_reason(
                declared,
                "its content is not a known workbook format",
            )));
        }
    };
    let mut formula_notes = Vec::new();
    // Formulas stored without results are calculated, and the filled copy profiled.
    let filled = match actual {
        FileFormat::Xlsx | FileFormat::Xlsm => {
            formulas::fill_missing(path).unwrap_or_else(|error| {
                formula_notes.push(format!(
                    "formula cells without stored results read as empty: {error}"
                ));
                None
            })
        }
        _ => None,
    };
    let staged = match &filled {
        Some(filled) => {
            formula_notes.push(filled.note());
            Some(
                stage_filled(&filled.bytes)
                    .map_err(|e| fail(format!("the calculated copy could not be written ({e})")))?,
            )
        }
        None => None,
    };
    let read_path = staged.as_ref().map_or(path, |file| file.path());
    let contents = workbook::read_workbook(read_path, actual, bytes)
        .map_err(|error| error.into_profile_error(name, actual))?;
    let mut notes = Vec::new();
    if actual != declared && !(actual == FileFormat::Xlsx && declared == FileFormat::Xlsm) {
        notes.push(format!(
            "the file is named .{} but is an {} workbook; it was read as {}",
            format_label(declared).to_ascii_lowercase(),
            format_label(actual),
            format_label(actual)
        ));
    }
    notes.extend(contents.notes);
    notes.extend(formula_notes);
    Ok(FileProfile {
        name: name.to_owned(),
        format: if actual == FileFormat::Xlsx {
            declared_ooxml(declared)
        } else {
            actual
        },
        size,
        sheets: contents.sheets,
        csv: None,
        notes,
    })
}

/// The filled workbook in a temporary file, for the readers that take a path.
fn stage_filled(bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new()?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(file)
}

/// An .xlsm stays .xlsm when its bytes are an OOXML workbook.
fn declared_ooxml(declared: FileFormat) -> FileFormat {
    if declared == FileFormat::Xlsm {
        FileFormat::Xlsm
    } else {
        FileFormat::Xlsx
    }
}

/// Which workbook a ZIP archive holds, by its parts: `xl/workbook.bin` (xlsb),
/// `xl/workbook.xml` (xlsx/xlsm), `content.xml` (ods).
fn zip_workbook_format(path: &Path, declared: FileFormat) -> Result<FileFormat, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let has = |part: &str| {
        archive
            .file_names()
            .any(|name| name.is_ok_and(|name| workbook::part_name_is(&name, part)))
    };
    if has("xl/workbook.bin") {
        Ok(FileFormat::Xlsb)
    } else if has("xl/workbook.xml") || has("[Content_Types].xml") && declared != FileFormat::Ods {
        Ok(declared_ooxml(declared))
    } else if has("content.xml") {
        Ok(FileFormat::Ods)
    } else {
        Err("the archive holds no workbook".to_owned())
    }
}
