//! Looking at bytes before trusting a file name: container magic, encryption, text
//! encodings and csv delimiters.

use super::values::{is_decimal_comma_number, is_decimal_point_number};

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Empty,
    /// A ZIP archive: xlsx, xlsm, xlsb, ods.
    Zip,
    /// An OLE2 compound file: xls, or an encrypted xlsx/xlsb.
    Ole2,
    /// Anything else; text files are checked further by [`looks_like_text`].
    Other,
}

const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub(crate) fn container(head: &[u8]) -> Container {
    if head.is_empty() {
        Container::Empty
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Container::Zip
    } else if head.starts_with(OLE2_MAGIC) {
        Container::Ole2
    } else {
        Container::Other
    }
}

/// Encrypted OOXML packages are OLE2 files holding `EncryptionInfo` and `EncryptedPackage`
/// streams; their names sit UTF-16LE in the compound file's directory.
pub(crate) fn is_encrypted_ooxml(ole2: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    ole2.windows(name.len())
        .any(|window| window == name.as_slice())
}

/// Whether a file with a workbook extension is really text (a renamed csv, an HTML export).
pub(crate) fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(&[0xEF, 0xBB, 0xBF])
        || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
    {
        return true;
    }
    let sample = &head[..head.len().min(4096)];
    !sample.is_empty()
        && sample
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

/// The BIFF8 `DIMENSIONS` record (type 0x0200, 14 bytes) declares a sheet's size; calamine
/// reserves memory for it before reading any cell, so an impossible size would exhaust
/// memory (an allocation failure aborts the process; it cannot be caught). An .xls sheet
/// holds at most 65,536 x 256 cells; past a generous margin over that the file is refused.
/// Records are found by their bytes; to tell a real record from the same bytes inside other
/// data, its reserved field must be zero and a plausible record must follow it.
pub(crate) fn impossible_xls_dimensions(xls: &[u8]) -> Option<(u64, u64)> {
    const MAX_CELLS: u64 = 4 * 65_536 * 256;
    // Records that follow DIMENSIONS in real files: ROW, WINDOW2, cells, EOF, drawings...
    const NEXT_RECORD_TYPES: &[u16] = &[
        0x0208, 0x023E, 0x003E, 0x0203, 0x0204, 0x0201, 0x0205, 0x027E, 0x00BD, 0x00BE, 0x00FD,
        0x0006, 0x000A, 0x00EC, 0x01B6, 0x007D, 0x0225, 0x0055, 0x00E5, 0x0221, 0x04BC, 0x0207,
        0x00D7, 0x01B8, 0x0867, 0x0868, 0x001D, 0x0099, 0x0200,
    ];
    let pattern = [0x00, 0x02, 0x0E, 0x00];
    let mut at = 0;
    while let Some(found) = xls[at..].windows(4).position(|w| w == pattern) {
        let start = at + found + 4;
        at += found + 1;
        let Some(body) = xls.get(start..start + 18) else {
            break;
        };
        let read_u16 = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
        let read_u32 =
            |i: usize| u32::from_le_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
        let (next_type, next_len) = (read_u16(14), read_u16(16));
        if read_u16(12) != 0 || next_len > 8224 || !NEXT_RECORD_TYPES.contains(&next_type) {
            continue;
        }
        let rows = u64::from(read_u32(4)).saturating_sub(u64::from(read_u32(0)));
        let (col_first, col_last) = (u64::from(read_u16(8)), u64::from(read_u16(10)));
        // calamine treats a first column past 255 (or past the last) as 0.
        let cols = if col_first > 0xFF || col_last < col_first {
            col_last
        } else {
            col_last - col_first
        };
        if rows.saturating_mul(cols) > MAX_CELLS {
            return Some((rows, cols));
        }
    }
    None
}

/// Whether an .xls holds a FILEPASS record (type 0x002F) for XOR obfuscation (6 bytes,
/// type 0) or RC4 encryption (type 1). Only consulted after calamine failed, to say why.
pub(crate) fn has_xls_filepass(xls: &[u8]) -> bool {
    xls.windows(6).any(|w| {
        w[0] == 0x2F
            && w[1] == 0x00
            && ((w[2] == 6 && w[3] == 0 && w[4] == 0) || w[4] == 1)
            && w[5] == 0
    })
}

/// A text file's encoding, as a Python codec name, and the decoded text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodedText {
    pub encoding: &'static str,
    pub has_bom: bool,
    pub text: String,
}

/// Decodes a text file: a BOM decides; else valid UTF-8; else UTF-16 without BOM when
/// every other byte is NUL; else cp1252 (latin-1 when it uses bytes cp1252 leaves undefined,
/// which Python's cp1252 codec would refuse).
pub(crate) fn decode_text(bytes: &[u8]) -> DecodedText {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return DecodedText {
            encoding: "utf-8-sig",
            has_bom: true,
            text: text.into_owned(),
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return DecodedText {
            encoding: "utf-16",
            has_bom: true,
            text: text.into_owned(),
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return DecodedText {
            encoding: "utf-16",
            has_bom: true,
            text: text.into_owned(),
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return DecodedText {
            encoding: "utf-8",
            has_bom: false,
            text: text.to_owned(),
        };
    }
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let nul_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = sample.len() / 2;
    if half >= 2 && nul_at(1) * 10 >= half * 9 {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return DecodedText {
            encoding: "utf-16-le",
            has_bom: false,
            text: text.into_owned(),
        };
    }
    if half >= 2 && nul_at(0) * 10 >= half * 9 {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return DecodedText {
            encoding: "utf-16-be",
            has_bom: false,
            text: text.into_owned(),
        };
    }
    let undefined_in_cp1252 = bytes
        .iter()
        .any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    let encoding = if undefined_in_cp1252 {
        "latin-1"
    } else {
        "cp1252"
    };
    DecodedText {
        encoding,
        has_bom: false,
        text: text.into_owned(),
    }
}

/// How fields are separated and decimals written, as sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SniffedDialect {
    pub delimiter: u8,
    pub decimal: u8,
}

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Records read for sniffing.
const SNIFF_RECORDS: usize = 50;
/// Bytes of text read for sniffing.
const SNIFF_BYTES: usize = 256 * 1024;

/// Picks the delimiter whose field counts are most consistent over the first records
/// (quotes respected by the csv reader itself), preferring more fields on a tie;
/// `preferred` (tab for .tsv) wins when it splits lines at all.
pub(crate) fn sniff_dialect(text: &str, preferred: Option<u8>) -> SniffedDialect {
    let mut end = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let truncated = end < text.len();
    let mut best: Option<(u8, (bool, usize, usize))> = None;
    for delimiter in CANDIDATE_DELIMITERS {
        let counts = field_counts(sample, delimiter, truncated);
        let Some(score) = consistency(&counts) else {
            continue;
        };
        if preferred == Some(delimiter) && score.0 {
            best = Some((delimiter, score));
            break;
        }
        if best.is_none_or(|(_, best_score)| score > best_score) {
            best = Some((delimiter, score));
        }
    }
    let delimiter = match best {
        Some((delimiter, (true, _, _))) => delimiter,
        _ => preferred.unwrap_or(b','),
    };
    SniffedDialect {
        delimiter,
        decimal: sniff_decimal(sample, delimiter, truncated),
    }
}

fn records(sample: &str, delimiter: u8, truncated: bool) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample.as_bytes());
    let mut out: Vec<csv::StringRecord> = reader
        .records()
        .take(SNIFF_RECORDS + 1)
        .filter_map(Result::ok)
        .collect();
    // The last record of a cut sample may be cut too.
    if truncated || out.len() > SNIFF_RECORDS {
        out.pop();
    }
    out
}

fn field_counts(sample: &str, delimiter: u8, truncated: bool) -> Vec<usize> {
    records(sample, delimiter, truncated)
        .iter()
        .map(|r| r.len())
        .collect()
}

/// Score of a delimiter: it splits lines at all, then the share (per mille) of records
/// with the most common field count, then that count.
fn consistency(counts: &[usize]) -> Option<(bool, usize, usize)> {
    let mut tally: std::collections::BTreeMap<usize, usize> = Default::default();
    for &count in counts {
        *tally.entry(count).or_default() += 1;
    }
    let (records, fields) = tally
        .into_iter()
        .map(|(fields, records)| (records, fields))
        .max()?;
    Some((fields > 1, records * 1000 / counts.len(), fields))
}

/// A decimal comma needs a delimiter other than ',' and comma decimals without dot ones.
fn sniff_decimal(sample: &str, delimiter: u8, truncated: bool) -> u8 {
    if delimiter == b',' {
        return b'.';
    }
    let (mut commas, mut points) = (0, 0);
    for record in records(sample, delimiter, truncated) {
        for field in record.iter().map(str::trim) {
            commas += usize::from(is_decimal_comma_number(field));
            points += usize::from(is_decimal_point_number(field));
        }
    }
    if commas > 0 && points == 0 {
        b','
    } else {
        b'.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_with_quoted_delimiters_and_newlines() {
        let text = "a;b;c\n\"x, y\";\"line1\nline2\";3\n\"p,q\";r;4\n";
        let dialect = sniff_dialect(text, None);
        assert_eq!(dialect.delimiter, b';');
        assert_eq!(dialect.decimal, b'.');
    }

    #[test]
    fn tab_and_decimal_comma() {
        let text = "name\tprice\nx\t1,5\ny\t2,25\n";
        assert_eq!(
            sniff_dialect(text, None),
            SniffedDialect {
                delimiter: b'\t',
                decimal: b','
            }
        );
    }

    #[test]
    fn single_column_falls_back_to_the_preferred_delimiter() {
        assert_eq!(sniff_dialect("code\n001\n002\n", None).delimiter, b',');
        assert_eq!(
            sniff_dialect("code\n001\n002\n", Some(b'\t')).delimiter,
            b'\t'
        );
    }

    #[test]
    fn encodings_get_python_codec_names() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFa,b").encoding, "utf-8-sig");
        assert_eq!(decode_text(b"\xEF\xBB\xBFa,b").text, "a,b");
        assert_eq!(decode_text("é,ü".as_bytes()).encoding, "utf-8");
        let cp1252 = decode_text(b"caf\xe9,\x80");
        assert_eq!(
            (cp1252.encoding, cp1252.text.as_str()),
            ("cp1252", "café,€")
        );
        assert_eq!(decode_text(b"a\x81b").encoding, "latin-1");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a;b".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&utf16).text, "a;b");
    }

    #[test]
    fn impossible_xls_dimensions_are_caught_only_in_real_records() {
        let record = |reserved: u8| -> Vec<u8> {
            let mut bytes = vec![0x09, 0x08, 0x00, 0x00, 0x00, 0x02, 0x0E, 0x00];
            bytes.extend(0u32.to_le_bytes()); // first row
            bytes.extend(u32::MAX.to_le_bytes()); // last row + 1
            bytes.extend([0, 0, 200, 0, reserved, 0]); // columns 0..200, reserved
            bytes.extend([0x3E, 0x02, 0x12, 0x00]); // a WINDOW2 record follows
            bytes
        };
        assert_eq!(
            impossible_xls_dimensions(&record(0)),
            Some((u64::from(u32::MAX), 200))
        );
        assert_eq!(impossible_xls_dimensions(&record(7)), None);
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(container(b""), Container::Empty);
        assert_eq!(container(b"PK\x03\x04rest"), Container::Zip);
        assert_eq!(container(OLE2_MAGIC), Container::Ole2);
        assert!(looks_like_text(b"a,b\n1,2\n"));
        assert!(!looks_like_text(b"\x00\x01binary"));
    }
}
