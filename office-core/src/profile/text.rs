//! csv/tsv files: encoding and dialect sniffed, then every record streamed through the
//! csv reader into one sheet named after the file.

use super::columns::SheetBuilder;
use super::sniff::{decode_text, sniff_dialect};
use super::values::parse_text_field;
use super::{CsvDialect, FileFormat, SheetProfile};

pub(crate) struct TextContents {
    pub sheet: SheetProfile,
    pub dialect: CsvDialect,
    pub notes: Vec<String>,
}

/// Profiles the bytes of a text file named `name`.
pub(crate) fn read_text(bytes: &[u8], name: &str, format: FileFormat) -> TextContents {
    let decoded = decode_text(bytes);
    let preferred = (format == FileFormat::Tsv).then_some(b'\t');
    let sniffed = sniff_dialect(&decoded.text, preferred);
    let decimal_comma = sniffed.decimal == b',';
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniffed.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut builder = SheetBuilder::new(sheet_name(name), true).with_decimal_comma(decimal_comma);
    let mut notes = Vec::new();
    for (row, record) in reader.records().enumerate() {
        if super::cancel::due(row) {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                notes.push(format!("reading stopped at record {}: {error}", row + 1));
                break;
            }
        };
        let cells = record
            .iter()
            .enumerate()
            .filter_map(|(col, field)| parse_text_field(field, decimal_comma).map(|v| (col, v)))
            .collect();
        builder.push_row(row, cells);
    }
    let (sheet, sheet_notes) = builder.finish();
    notes.extend(sheet_notes);
    if decimal_comma {
        notes.push("numbers use a decimal comma (read with decimal=',')".to_owned());
    }
    let dialect = CsvDialect {
        delimiter: char::from(sniffed.delimiter),
        quote: '"',
        encoding: decoded.encoding.to_owned(),
        has_bom: decoded.has_bom,
        decimal: char::from(sniffed.decimal),
    };
    TextContents {
        sheet,
        dialect,
        notes,
    }
}

/// The file stem: `sales.2024.csv` gives `sales.2024`.
fn sheet_name(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ColumnType;

    #[test]
    fn quoted_newlines_bom_and_semicolons() {
        let bytes = b"\xEF\xBB\xBFid;\"long\nname\";when\n1;\"a;b\";31/01/2024\n2;c;29/02/2024\n";
        let contents = read_text(bytes, "t.csv", FileFormat::Csv);
        assert_eq!(contents.dialect.delimiter, ';');
        assert_eq!(contents.dialect.encoding, "utf-8-sig");
        let sheet = &contents.sheet;
        assert_eq!(sheet.name, "t");
        assert_eq!(
            (sheet.header_row, sheet.data_rows, sheet.cols),
            (Some(0), 2, 3)
        );
        assert_eq!(sheet.columns[1].name, "long\nname");
        assert_eq!(sheet.columns[0].dtype, ColumnType::Integer);
        assert_eq!(sheet.columns[2].dtype, ColumnType::Date);
        assert_eq!(sheet.columns[2].date_min.as_deref(), Some("2024-01-31"));
    }

    #[test]
    fn tsv_prefers_tabs() {
        let contents = read_text(b"a\tb,c\n1\t2,5\n", "x.tsv", FileFormat::Tsv);
        assert_eq!(contents.dialect.delimiter, '\t');
        assert_eq!(contents.sheet.columns[1].name, "b,c");
    }
}
