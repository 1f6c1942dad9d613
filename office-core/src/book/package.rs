//! The zip package of a workbook: its parts read under the bounds the collect uses for
//! untrusted zips (`collect::external`), and the output written so that every entry the
//! edit did not change is copied raw (the same compressed bytes, in the same order).

#![warn(missing_docs, unreachable_pub)]

use super::EditError;
use crate::collect::external::{Budget, checked_entries, inflate};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::time::Duration;

/// Inflated bytes one write-back may read from a package, in all.
const READ_BUDGET_BYTES: u64 = 512 << 20;
/// Time one write-back may spend inflating a package.
const READ_BUDGET_TIME: Duration = Duration::from_secs(30);

/// One entry of the package, as its central directory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryInfo {
    /// The part's name (`xl/worksheets/sheet1.xml`).
    pub(crate) name: String,
    /// Its position in the zip.
    pub(crate) index: usize,
    /// Compressed size, as declared.
    pub(crate) compressed: u64,
    /// Inflated size, as declared.
    pub(crate) size: u64,
    /// CRC-32 of the inflated bytes, as declared (checked when read).
    pub(crate) crc32: u32,
}

/// A workbook package opened for reading.
pub(crate) struct Package<'a> {
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    entries: Vec<EntryInfo>,
    budget: Budget,
}

impl std::fmt::Debug for Package<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("entries", &self.entries)
            .finish()
    }
}

impl<'a> Package<'a> {
    /// Opens `bytes` as a zip package: refused with a sentence when it is not a zip, or
    /// when its entries break the collect's bounds (too many, overlapping, too large).
    pub(crate) fn read(bytes: &'a [u8], file_name: &str) -> Result<Package<'a>, EditError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            EditError::new(format!(
                "{file_name} cannot be opened as an Excel package (not a readable zip: {e}); \
                 an encrypted (password-protected) or damaged workbook cannot be edited: save \
                 it without a password and try again"
            ))
        })?;
        let checked = checked_entries(&mut archive)
            .map_err(|why| EditError::new(format!("{file_name} was refused: {why}")))?;
        let mut entries = Vec::with_capacity(checked.len());
        for (index, name, compressed) in checked {
            let entry = archive.by_index_raw(index).map_err(|e| {
                EditError::new(format!("{file_name}: its part {name} is damaged ({e})"))
            })?;
            entries.push(EntryInfo {
                size: entry.size(),
                crc32: entry.crc32(),
                // Some writers store `xl\\workbook.xml`: parts are named with `/` here (a
                // raw-copied entry keeps its stored name).
                name: name.replace('\\', "/"),
                index,
                compressed,
            });
        }
        Ok(Package {
            archive,
            entries,
            budget: Budget::new(READ_BUDGET_BYTES, READ_BUDGET_TIME),
        })
    }

    /// Every entry, in the package's order.
    pub(crate) fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The entry named `name` (zip names are case-sensitive; OOXML's are compared
    /// case-insensitively, so a differing case is found too).
    pub(crate) fn entry(&self, name: &str) -> Option<&EntryInfo> {
        let name = name.trim_start_matches('/');
        self.entries.iter().find(|e| e.name == name).or_else(|| {
            self.entries
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case(name))
        })
    }

    /// Whether the package has a part of that name.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// A part's inflated bytes, read against the package's budget; a part that does not
    /// inflate cleanly (a bad CRC, truncated data) is an error, never half a part.
    pub(crate) fn part(&mut self, name: &str) -> Result<Vec<u8>, EditError> {
        let info = self
            .entry(name)
            .cloned()
            .ok_or_else(|| EditError::new(format!("the workbook has no part {name}")))?;
        let entry = self.archive.by_index(info.index).map_err(|e| {
            EditError::new(format!("the workbook's part {name} cannot be read ({e})"))
        })?;
        let mut strict = Strict {
            inner: entry,
            failed: None,
        };
        let bytes = inflate(&mut strict, &info.name, info.compressed, &mut self.budget)
            .map_err(|why| EditError::new(format!("the workbook was refused: {why}")))?;
        if let Some(e) = strict.failed {
            return Err(EditError::new(format!(
                "the workbook's part {name} is damaged ({e})"
            )));
        }
        Ok(bytes)
    }

    /// A part as text (OOXML parts are UTF-8).
    pub(crate) fn text(&mut self, name: &str) -> Result<String, EditError> {
        String::from_utf8(self.part(name)?)
            .map_err(|_| EditError::new(format!("the workbook's part {name} is not UTF-8 XML")))
    }

    /// The package written again: entries in `parts.replaced` re-deflated in place, those
    /// in `parts.removed` left out, every other entry copied raw, then `parts.added`.
    pub(crate) fn write(&mut self, parts: &PartChanges) -> Result<Vec<u8>, EditError> {
        let failed =
            |e: zip::result::ZipError| EditError::new(format!("writing the workbook failed: {e}"));
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for info in &self.entries {
            if parts.removed.contains(&info.name) {
                continue;
            }
            match parts.replaced.get(&info.name) {
                Some(bytes) => {
                    out.start_file(info.name.as_str(), deflated(bytes.len()))
                        .map_err(failed)?;
                    out.write_all(bytes)
                        .map_err(|e| EditError::new(format!("writing the workbook failed: {e}")))?;
                }
                None => {
                    let raw = self.archive.by_index_raw(info.index).map_err(failed)?;
                    out.raw_copy_file(raw).map_err(failed)?;
                }
            }
        }
        for (name, bytes) in &parts.added {
            out.start_file(name.as_str(), deflated(bytes.len()))
                .map_err(failed)?;
            out.write_all(bytes)
                .map_err(|e| EditError::new(format!("writing the workbook failed: {e}")))?;
        }
        Ok(out.finish().map_err(failed)?.into_inner())
    }
}

/// How a part of `len` bytes is written: deflated, at a fast zlib level once it is
/// large. A 100,000-row sheet is tens of megabytes of XML; the default level spent about
/// a second on each such part for files a few percent smaller.
pub(crate) fn deflated(len: usize) -> zip::write::SimpleFileOptions {
    const LARGE: usize = 1 << 20;
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level((len >= LARGE).then_some(2))
        .large_file(false)
}

/// What the write-back changes in the package, part by part.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct PartChanges {
    /// Parts of the input written with new contents, in their place.
    pub(crate) replaced: BTreeMap<String, Vec<u8>>,
    /// Parts of the input left out.
    pub(crate) removed: BTreeSet<String>,
    /// New parts, written after the input's, in order.
    pub(crate) added: Vec<(String, Vec<u8>)>,
}

impl PartChanges {
    /// Sets a part's new contents: replaced when the input has it, else added.
    pub(crate) fn put(&mut self, package: &Package<'_>, name: &str, bytes: Vec<u8>) {
        match package.entry(name) {
            Some(info) => {
                self.replaced.insert(info.name.clone(), bytes);
            }
            None => match self.added.iter_mut().find(|(n, _)| n == name) {
                Some(added) => added.1 = bytes,
                None => self.added.push((name.to_string(), bytes)),
            },
        }
    }

    /// The newest contents of a part this edit changed, if it did.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.replaced
            .get(name)
            .or_else(|| self.added.iter().find(|(n, _)| n == name).map(|(_, b)| b))
            .map(Vec::as_slice)
    }

    /// The names of every part changed, removed or added.
    pub(crate) fn touched(&self) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = self.replaced.keys().cloned().collect();
        all.extend(self.removed.iter().cloned());
        all.extend(self.added.iter().map(|(n, _)| n.clone()));
        all
    }
}

/// A reader that ends (rather than fails) on an error and keeps it, so the collect's
/// lenient `inflate` can serve a reader that must not accept half a part.
struct Strict<R> {
    inner: R,
    failed: Option<std::io::Error>,
}

impl<R: Read> Read for Strict<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                self.failed = Some(e);
                Ok(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::test_zip::raw_entries;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in parts {
            out.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn untouched_entries_are_copied_raw_in_order_and_changes_land_in_place() {
        let input = zip_of(&[
            ("a.xml", b"<a/>"),
            ("b.bin", &[7u8; 5000]),
            ("c.xml", b"<c>old</c>"),
        ]);
        let mut package = Package::read(&input, "in.xlsx").unwrap();
        assert_eq!(package.text("c.xml").unwrap(), "<c>old</c>");
        let mut changes = PartChanges::default();
        changes.put(&package, "c.xml", b"<c>new</c>".to_vec());
        changes.put(&package, "d.xml", b"<d/>".to_vec());
        changes.removed.insert("a.xml".into());
        let output = package.write(&changes).unwrap();
        let (before, after) = (raw_entries(&input), raw_entries(&output));
        let names: Vec<&str> = after.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["b.bin", "c.xml", "d.xml"]);
        assert_eq!(
            after[0], before[1],
            "the untouched entry's compressed bytes are the same"
        );
        let mut again = Package::read(&output, "out.xlsx").unwrap();
        assert_eq!(again.text("c.xml").unwrap(), "<c>new</c>");
        assert_eq!(again.text("d.xml").unwrap(), "<d/>");
    }

    #[test]
    fn a_large_part_is_deflated_fast_and_reads_back_the_same() {
        // Rows of a sheet: about 4 MB of XML, over the size written at the fast level.
        let sheet: String = (1..60_000)
            .map(|r| {
                format!(
                    "<row r=\"{r}\"><c r=\"A{r}\"><v>{}</v></c></row>",
                    r * 7919 % 10007
                )
            })
            .collect();
        let input = zip_of(&[("small.xml", b"<a/>"), ("sheet.xml", b"<x/>")]);
        let mut package = Package::read(&input, "in.xlsx").unwrap();
        let mut changes = PartChanges::default();
        changes.put(&package, "sheet.xml", sheet.clone().into_bytes());
        let output = package.write(&changes).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&output)).unwrap();
        let entry = archive.by_name("sheet.xml").unwrap();
        assert_eq!(entry.compression(), zip::CompressionMethod::Deflated);
        assert!(
            entry.compressed_size() * 4 < entry.size(),
            "{} of {} bytes",
            entry.compressed_size(),
            entry.size()
        );
        drop(entry);
        let mut again = Package::read(&output, "out.xlsx").unwrap();
        assert_eq!(again.text("sheet.xml").unwrap(), sheet);
    }

    #[test]
    fn not_a_zip_and_a_damaged_part_are_errors() {
        let err = Package::read(b"PK\x03\x04 not really", "x.xlsx").unwrap_err();
        assert!(
            err.message.contains("cannot be opened as an Excel package"),
            "{err}"
        );
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        out.start_file("a.xml", stored).unwrap();
        out.write_all(b"<a>some text that is stored</a>").unwrap();
        let mut input = out.finish().unwrap().into_inner();
        // Flip a byte of the stored data: the CRC no longer matches.
        let at = input.windows(4).position(|w| w == b"some").unwrap();
        input[at] = b'S';
        let mut package = Package::read(&input, "x.xlsx").unwrap();
        let err = package.part("a.xml").unwrap_err();
        assert!(err.message.contains("damaged"), "{err}");
    }
}
