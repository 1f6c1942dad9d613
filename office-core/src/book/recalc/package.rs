//! The zip package as recalculation needs it: the worksheets by name, one part read
//! (bounded), and the package written again with some parts replaced and every other
//! entry raw-copied (its compressed bytes, name and times as they were).

use super::{MAX_ENTRIES, MAX_UNPACKED_BYTES, MAX_XLSX_BYTES, RecalcError};
use quick_xml::events::Event;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

fn unreadable(detail: impl std::fmt::Display) -> RecalcError {
    RecalcError::Unreadable(detail.to_string())
}

/// Refuses a workbook past the size limits before anything is unpacked.
pub(super) fn check_limits(xlsx: &[u8]) -> Result<(), RecalcError> {
    if xlsx.len() > MAX_XLSX_BYTES {
        return Err(RecalcError::TooLarge(format!(
            "{} MiB; the limit is {} MiB",
            xlsx.len() >> 20,
            MAX_XLSX_BYTES >> 20
        )));
    }
    let mut archive = ZipArchive::new(Cursor::new(xlsx))
        .map_err(|e| unreadable(format!("it is not a valid xlsx package ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(RecalcError::TooLarge(format!(
            "{} parts; the limit is {MAX_ENTRIES}",
            archive.len()
        )));
    }
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        if entry.encrypted() {
            return Err(unreadable("it is password-protected"));
        }
        unpacked = unpacked.saturating_add(entry.size());
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(RecalcError::TooLarge(format!(
            "it unpacks to {} MiB; the limit is {} MiB",
            unpacked >> 20,
            MAX_UNPACKED_BYTES >> 20
        )));
    }
    Ok(())
}

/// An opened package.
pub(super) struct Package<'a> {
    bytes: &'a [u8],
    archive: ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Package<'a> {
    pub(super) fn open(bytes: &'a [u8]) -> Result<Package<'a>, RecalcError> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| unreadable(format!("it is not a valid xlsx package ({e})")))?;
        Ok(Package { bytes, archive })
    }

    /// The stored entry name matching `part` (case-insensitively; `\` as `/`).
    fn entry_name(&self, part: &str) -> Option<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .find(|name| same_part(name, part))
            .map(|name| name.into_owned())
    }

    /// One part's bytes, read no further than its declared size.
    pub(super) fn read(&mut self, part: &str) -> Result<Vec<u8>, RecalcError> {
        let name = self
            .entry_name(part)
            .ok_or_else(|| unreadable(format!("the part {part} is missing")))?;
        let entry = self.archive.by_name(&name).map_err(unreadable)?;
        let declared = entry.size();
        if declared > MAX_UNPACKED_BYTES {
            return Err(RecalcError::TooLarge(format!(
                "the part {part} is too large"
            )));
        }
        let mut bytes = Vec::with_capacity(declared.min(64 << 20) as usize);
        entry
            .take(declared)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(format!("the part {part} could not be read ({e})")))?;
        Ok(bytes)
    }

    /// The worksheets' relationship parts (`xl/worksheets/_rels/sheet1.xml.rels`).
    pub(super) fn worksheet_rels(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .filter(|name| {
                let name = name.replace('\\', "/").to_ascii_lowercase();
                name.starts_with("xl/worksheets/_rels/") && name.ends_with(".rels")
            })
            .map(|name| name.into_owned())
            .collect()
    }

    /// The worksheets in workbook order: (sheet name, part path). Chart sheets and
    /// dialog sheets are left out.
    pub(super) fn worksheets(&mut self) -> Result<Vec<(String, String)>, RecalcError> {
        let workbook = self.office_document()?;
        let rels = self.read(&rels_of(&workbook)).unwrap_or_default();
        let targets = relationships(&rels, &workbook)?;
        let xml = self.read(&workbook)?;
        let text =
            std::str::from_utf8(&xml).map_err(|_| unreadable("workbook.xml is not UTF-8"))?;
        let mut reader = quick_xml::Reader::from_str(text);
        let mut sheets = Vec::new();
        loop {
            match reader.read_event().map_err(unreadable)? {
                Event::Start(tag) | Event::Empty(tag) if tag.local_name().as_ref() == "sheet" => {
                    let mut name = None;
                    let mut id = None;
                    for attr in tag.attributes().flatten() {
                        let value = quick_xml::escape::unescape(&attr.value)
                            .map_err(unreadable)?
                            .into_owned();
                        match attr.key.local_name().as_ref() {
                            "name" => name = Some(value),
                            "id" => id = Some(value),
                            _ => {}
                        }
                    }
                    let target = id.and_then(|id| targets.iter().find(|(rid, ..)| *rid == id));
                    if let (Some(name), Some((_, part, kind))) = (name, target)
                        && kind.ends_with("/worksheet")
                    {
                        sheets.push((name, part.clone()));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(sheets)
    }

    /// The workbook part, from the package relationships (`xl/workbook.xml` usually).
    fn office_document(&mut self) -> Result<String, RecalcError> {
        let rels = self.read("_rels/.rels")?;
        let targets = relationships(&rels, "")?;
        targets
            .into_iter()
            .find(|(_, _, kind)| kind.ends_with("/officeDocument"))
            .map(|(_, part, _)| part)
            .filter(|part| self.entry_name(part).is_some())
            .or_else(|| self.entry_name("xl/workbook.xml"))
            .ok_or_else(|| unreadable("it has no workbook part"))
    }

    /// The package again, `replaced` parts written anew (deflated), every other entry
    /// raw-copied in its place.
    pub(super) fn write_with(
        mut self,
        replaced: &[(String, Vec<u8>)],
    ) -> Result<Vec<u8>, RecalcError> {
        let failed = |e: zip::result::ZipError| {
            unreadable(format!("the package could not be written ({e})"))
        };
        let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(self.bytes.len())));
        for index in 0..self.archive.len() {
            let entry = self.archive.by_index_raw(index).map_err(unreadable)?;
            let name = entry.name().map_err(unreadable)?.into_owned();
            match replaced.iter().find(|(part, _)| same_part(&name, part)) {
                Some((_, xml)) => {
                    let mut options = SimpleFileOptions::default()
                        .compression_method(CompressionMethod::Deflated)
                        .large_file(xml.len() as u64 >= u32::MAX as u64);
                    if let Some(time) = entry.last_modified() {
                        options = options.last_modified_time(time);
                    }
                    drop(entry);
                    writer.start_file(name, options).map_err(failed)?;
                    writer.write_all(xml).map_err(|e| {
                        unreadable(format!("the package could not be written ({e})"))
                    })?;
                }
                None => writer.raw_copy_file(entry).map_err(failed)?,
            }
        }
        Ok(writer.finish().map_err(failed)?.into_inner())
    }
}

fn same_part(name: &str, part: &str) -> bool {
    let name = name.trim_start_matches('/');
    let part = part.trim_start_matches('/');
    name.len() == part.len()
        && name.bytes().zip(part.bytes()).all(|(a, b)| {
            let a = if a == b'\\' { b'/' } else { a };
            a.eq_ignore_ascii_case(&b)
        })
}

/// `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
fn rels_of(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// (Id, resolved part path, relationship type) of every internal relationship in `rels`,
/// whose targets are relative to the folder of `source`.
fn relationships(rels: &[u8], source: &str) -> Result<Vec<(String, String, String)>, RecalcError> {
    let text =
        std::str::from_utf8(rels).map_err(|_| unreadable("a relationships part is not UTF-8"))?;
    let base = source.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut found = Vec::new();
    loop {
        match reader.read_event().map_err(unreadable)? {
            Event::Start(tag) | Event::Empty(tag)
                if tag.local_name().as_ref() == "Relationship" =>
            {
                let (mut id, mut target, mut kind, mut external) =
                    (None, None, String::new(), false);
                for attr in tag.attributes().flatten() {
                    let value = quick_xml::escape::unescape(&attr.value)
                        .map_err(unreadable)?
                        .into_owned();
                    match attr.key.local_name().as_ref() {
                        "Id" => id = Some(value),
                        "Target" => target = Some(value),
                        "Type" => kind = value,
                        "TargetMode" => external = value.eq_ignore_ascii_case("External"),
                        _ => {}
                    }
                }
                if let (Some(id), Some(target), false) = (id, target, external) {
                    found.push((id, resolve(base, &target), kind));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}

/// A relationship target as a part path: absolute (`/xl/x.xml`) or relative to `base`.
fn resolve(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            piece => parts.push(piece),
        }
    }
    parts.join("/")
}
