//! What the tests read the output with: a small reader of their own (not the rewriter's),
//! workbooks zipped back together, and openpyxl in the real Python.

use super::super::Styles;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::{Cursor, Read as _, Write as _};
use std::path::PathBuf;
use std::process::Command;

/// `Styles` as a workbook would answer: a new index per (base, format), remembered.
#[derive(Default, Debug)]
pub(crate) struct Formats {
    pub(crate) made: Vec<(u32, String)>,
}

impl Styles for Formats {
    fn with_number_format(&mut self, base: u32, format: &str) -> u32 {
        self.made.push((base, format.to_owned()));
        // The test workbook's styles.xml has cellXfs 0..=7; new ones from 4 on.
        3 + self.made.len() as u32
    }

    fn bold(&mut self, base: u32) -> u32 {
        base
    }
}

#[derive(Default, Debug)]
struct CellRead {
    attrs: HashMap<String, String>,
    formula: Option<String>,
    value: Option<String>,
    text: Option<String>,
}

/// Cells and rows of a worksheet, by reference.
pub(crate) struct Read {
    cells: HashMap<String, CellRead>,
    rows: HashMap<u32, HashMap<String, String>>,
}

impl Read {
    pub(crate) fn new(xml: &str) -> Read {
        let mut reader = Reader::from_str(xml);
        let (mut cells, mut rows) = (HashMap::new(), HashMap::new());
        let mut current: Option<(String, CellRead)> = None;
        let mut inside = String::new();
        let mut text = String::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "row" => {
                    let attrs = attrs(&e);
                    let r = attrs["r"].parse().unwrap();
                    rows.insert(r, attrs);
                }
                Event::Start(e) if e.local_name().as_ref() == "c" => {
                    let attrs = attrs(&e);
                    current = Some((
                        attrs["r"].clone(),
                        CellRead {
                            attrs,
                            ..CellRead::default()
                        },
                    ));
                }
                Event::Empty(e) if e.local_name().as_ref() == "c" => {
                    let attrs = attrs(&e);
                    cells.insert(
                        attrs["r"].clone(),
                        CellRead {
                            attrs,
                            ..CellRead::default()
                        },
                    );
                }
                Event::Start(e) => {
                    inside = e.local_name().as_ref().to_owned();
                    text.clear();
                }
                Event::Text(t) => text.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0)),
                Event::GeneralRef(r) => {
                    let name = r.xml_content(quick_xml::XmlVersion::Implicit1_0);
                    let entity = format!("&{name};");
                    text.push_str(&quick_xml::escape::unescape(&entity).unwrap());
                }
                Event::End(e) => {
                    let name = e.local_name().as_ref().to_owned();
                    if let Some((r, c)) = current.as_mut() {
                        match name.as_str() {
                            "f" => c.formula = Some(text.clone()),
                            "v" => c.value = Some(text.clone()),
                            "t" => c.text = Some(text.clone()),
                            "c" => {
                                let r = r.clone();
                                cells.insert(r, current.take().unwrap().1);
                            }
                            _ => {}
                        }
                    }
                    let _ = &inside;
                    text.clear();
                }
                _ => {}
            }
        }
        Read { cells, rows }
    }

    pub(crate) fn formula(&self, r: &str) -> Option<String> {
        self.cells.get(r)?.formula.clone()
    }

    pub(crate) fn value(&self, r: &str) -> Option<String> {
        self.cells.get(r)?.value.clone()
    }

    pub(crate) fn text(&self, r: &str) -> Option<&str> {
        self.cells.get(r)?.text.as_deref()
    }

    pub(crate) fn attr(&self, r: &str, key: &str) -> Option<String> {
        self.cells.get(r)?.attrs.get(key).cloned()
    }

    pub(crate) fn row_attr(&self, r: u32, key: &str) -> Option<String> {
        self.rows.get(&r)?.get(key).cloned()
    }
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .flatten()
        .map(|a| (a.key.as_ref().to_owned(), a.value.into_owned()))
        .collect()
}

/// The interpreter the project runs (`OFFICE_PYTHON`, else the checkout's `.venv`).
pub(crate) fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

/// Every entry of a zip, in order.
pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// The workbook with one part replaced; every other entry copied raw.
pub(crate) fn replace_part(bytes: &[u8], path: &str, new: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).unwrap();
        if f.name().unwrap() == path {
            drop(f);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            out.start_file(path, options).unwrap();
            out.write_all(new).unwrap();
        } else {
            out.raw_copy_file(f).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// A workbook of one sheet "Data" holding `sheet` (styles 0..=7), as bytes.
pub(crate) fn one_sheet_workbook(sheet: &[u8]) -> Vec<u8> {
    let parts: [(&str, &[u8]); 5] = [
        ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#),
        ("xl/styles.xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="1"><dxf><font><b/></font></dxf></dxfs></styleSheet>"#),
    ];
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts
        .iter()
        .copied()
        .chain([("xl/worksheets/sheet1.xml", sheet)])
    {
        out.start_file(name, options).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Runs `script` with the workbook's path as its argument; its stdout as JSON.
pub(crate) fn run_python(xlsx: &[u8], script: &str) -> serde_json::Value {
    run_python_on(&[xlsx], script, &[])
}

/// Runs `script` with the workbooks' paths, then `args`, as its arguments; its stdout
/// as JSON.
pub(crate) fn run_python_on(books: &[&[u8]], script: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(python());
    command.arg("-c").arg(script);
    for (i, book) in books.iter().enumerate() {
        let path = dir.path().join(format!("book{i}.xlsx"));
        std::fs::write(&path, book).unwrap();
        command.arg(path);
    }
    let out = command
        .args(args)
        .output()
        .expect("the project's Python (OFFICE_PYTHON) runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What openpyxl reads from a "Data" sheet: cells, merges, autofilter, conditional
/// formats' and validations' ranges, row heights and hidden rows.
pub(crate) fn python_reads(sheet: &[u8]) -> serde_json::Value {
    run_python(&one_sheet_workbook(sheet), READ_DATA)
}

const READ_DATA: &str = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Data"]
print(json.dumps({
    "cells": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
    "merged": [str(r) for r in ws.merged_cells.ranges],
    "autofilter": ws.auto_filter.ref,
    "cf": [str(r.sqref) for r in ws.conditional_formatting],
    "dv": [str(d.sqref) for d in ws.data_validations.dataValidation],
    "heights": {str(k): v.height for k, v in ws.row_dimensions.items() if v.height},
    "hidden": [k for k, v in ws.row_dimensions.items() if v.hidden],
}, default=str))
"#;

/// One cell of `python_reads`'s answer.
pub(crate) fn cell(got: &serde_json::Value, r: &str) -> serde_json::Value {
    got["cells"][r].clone()
}
