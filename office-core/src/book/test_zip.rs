//! Zip helpers the book's tests share: a package's entries as stored, one part's text.

use std::io::{Cursor, Read};

/// Every entry's name, CRC and raw (compressed) bytes, in the package's order.
pub(crate) fn raw_entries(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut raw = archive.by_index_raw(i).unwrap();
            let mut data = Vec::new();
            raw.read_to_end(&mut data).unwrap();
            (raw.name().unwrap().into_owned(), raw.crc32(), data)
        })
        .collect()
}

/// One part, inflated, as text.
pub(crate) fn part_text(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}
