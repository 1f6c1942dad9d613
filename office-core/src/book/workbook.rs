//! The workbook part, its relationships and `[Content_Types].xml`: the sheet list (name →
//! part), the 1904 date system, defined names adjusted to follow edited rows, new sheets
//! registered, and `calcChain.xml` dropped when formulas moved (with `fullCalcOnLoad`, so
//! Excel recalculates when the file is opened). Every edit is a splice: what is not
//! edited stays as written.

#![warn(missing_docs, unreachable_pub)]

use super::changes::Change;
use super::formula::{Adjusted, RowMap, adjust_range};
use super::package::{Package, PartChanges};
use super::xml::{self, Relationship, Splices, escape, relationships, rels_of, tags};
use super::{EditError, Place};

const WORKSHEET_TYPE: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet";
const WORKSHEET_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const CONTENT_TYPES: &str = "[Content_Types].xml";
/// What may follow `calcPr` in a workbook part, in schema order: `calcPr` goes before the
/// first of these that is present.
const AFTER_CALC_PR: &[&str] = &[
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
];

/// One sheet of the workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SheetEntry {
    /// Its name as the tab shows it.
    pub(crate) name: String,
    /// Its worksheet part (`xl/worksheets/sheet1.xml`); `None` for a chart sheet or a
    /// sheet whose relationship is missing.
    pub(crate) part: Option<String>,
    /// `sheetId`.
    pub(crate) sheet_id: u32,
}

/// The workbook's own parts, read once and edited in memory.
#[derive(Debug)]
pub(crate) struct Workbook {
    part: String,
    xml: String,
    rels_part: String,
    rels: String,
    types: String,
    links: Vec<Relationship>,
    sheets: Vec<SheetEntry>,
    /// The prefix the workbook uses for relationship ids (`r`).
    r_prefix: String,
    date1904: bool,
    edited: Edited,
    removed: Vec<String>,
}

#[derive(Debug, Default)]
struct Edited {
    xml: bool,
    rels: bool,
    types: bool,
}

impl Workbook {
    /// The workbook part found through the package's root relationships, and its sheets.
    pub(crate) fn read(package: &mut Package<'_>) -> Result<Workbook, EditError> {
        let root = package.text("_rels/.rels")?;
        let part = relationships(&root, "")
            .into_iter()
            .find(|r| r.kind == "officeDocument" && !r.external)
            .map(|r| r.target)
            .ok_or_else(|| EditError::new("the package names no workbook part".into()))?;
        if !package.has(&part) {
            return Err(EditError::new(format!(
                "the package names {part} as its workbook, but has no such part"
            )));
        }
        let xml = package.text(&part)?;
        if xml.contains("http://purl.oclc.org/ooxml/spreadsheetml/main") {
            return Err(EditError::new(
                "the workbook is saved as Strict Open XML, which this writer cannot edit in \
                 place; save it as an ordinary Excel workbook (.xlsx) and try again"
                    .into(),
            ));
        }
        let rels_part = rels_of(&part);
        let rels = package.text(&rels_part)?;
        let types = package.text(CONTENT_TYPES)?;
        let links = relationships(&rels, &part);
        let mut sheets = Vec::new();
        let mut r_prefix = String::from("r");
        let mut date1904 = false;
        for tag in tags(&xml).filter(|t| !t.closing) {
            match tag.local() {
                "workbookPr" => {
                    date1904 = tag
                        .attr("date1904")
                        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
                }
                "sheet" => {
                    let name = tag.attr("name").map(|n| n.into_owned()).unwrap_or_default();
                    let (prefix, rid) = relationship_id(&tag);
                    if let Some(prefix) = prefix {
                        r_prefix = prefix;
                    }
                    let part = rid.and_then(|rid| {
                        links
                            .iter()
                            .find(|l| l.id == rid && l.kind == "worksheet")
                            .map(|l| l.target.clone())
                    });
                    let sheet_id = tag
                        .attr("sheetId")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    sheets.push(SheetEntry {
                        name,
                        part,
                        sheet_id,
                    });
                }
                _ => {}
            }
        }
        if sheets.is_empty() {
            return Err(EditError::new("the workbook lists no sheets".into()));
        }
        Ok(Workbook {
            part,
            xml,
            rels_part,
            rels,
            types,
            links,
            sheets,
            r_prefix,
            date1904,
            edited: Edited::default(),
            removed: Vec::new(),
        })
    }

    /// The sheets, in tab order.
    pub(crate) fn sheets(&self) -> &[SheetEntry] {
        &self.sheets
    }

    /// A sheet by name (Excel compares sheet names case-insensitively).
    pub(crate) fn sheet(&self, name: &str) -> Option<&SheetEntry> {
        self.sheets
            .iter()
            .find(|s| s.name == name)
            .or_else(|| self.sheets.iter().find(|s| eq_names(&s.name, name)))
    }

    /// Whether dates count from 1904 (`workbookPr date1904`).
    pub(crate) fn date1904(&self) -> bool {
        self.date1904
    }

    /// The part a workbook relationship of this kind points at (`styles`, `sharedStrings`).
    pub(crate) fn linked(&self, kind: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.kind == kind && !l.external)
            .map(|l| l.target.as_str())
    }

    /// Registers a new worksheet named `name` after the existing sheets: its `<sheet>`
    /// in workbook.xml (a fresh sheetId), a relationship (a fresh id) and a content-type
    /// override. Returns the part name its XML goes to.
    pub(crate) fn add_sheet(
        &mut self,
        name: &str,
        package: &Package<'_>,
        pending: &PartChanges,
    ) -> Result<String, EditError> {
        check_sheet_name(name)?;
        if let Some(existing) = self.sheets.iter().find(|s| eq_names(&s.name, name)) {
            return Err(EditError::new(format!(
                "a new sheet cannot be named '{name}': the workbook already has a sheet '{}' \
                 (sheet names are compared without case)",
                existing.name
            )));
        }
        let dir = self.part.rsplit_once('/').map_or("", |(d, _)| d);
        let taken = |part: &str| {
            package.has(part)
                || pending.get(part).is_some()
                || self.links.iter().any(|l| l.target == part)
        };
        let mut n = self.sheets.len() + 1;
        let mut part = sheet_part(dir, n);
        while taken(&part) {
            n += 1;
            part = sheet_part(dir, n);
        }
        let sheet_id = self.sheets.iter().map(|s| s.sheet_id).max().unwrap_or(0) + 1;
        let mut r = self.links.len() + 1;
        while self.links.iter().any(|l| l.id == format!("rId{r}")) {
            r += 1;
        }
        let rid = format!("rId{r}");
        let close = tags(&self.xml)
            .find(|t| t.closing && t.local() == "sheets")
            .ok_or_else(|| EditError::new("the workbook part has no <sheets> list".into()))?;
        let prefix = self.tag_prefix("sheets");
        let element = format!(
            "<{prefix}sheet name=\"{}\" sheetId=\"{sheet_id}\" {}:id=\"{rid}\"/>",
            escape(name),
            self.r_prefix
        );
        self.xml.insert_str(close.start, &element);
        let target = match part.strip_prefix(&format!("{dir}/")) {
            Some(relative) if !dir.is_empty() => relative.to_string(),
            _ => format!("/{part}"),
        };
        let close = tags(&self.rels)
            .find(|t| t.closing && t.local() == "Relationships")
            .ok_or_else(|| EditError::new("the workbook's relationships part is damaged".into()))?;
        let rel =
            format!("<Relationship Id=\"{rid}\" Type=\"{WORKSHEET_TYPE}\" Target=\"{target}\"/>");
        self.rels.insert_str(close.start, &rel);
        let close = tags(&self.types)
            .find(|t| t.closing && t.local() == "Types")
            .ok_or_else(|| EditError::new("the package's [Content_Types].xml is damaged".into()))?;
        let over =
            format!("<Override PartName=\"/{part}\" ContentType=\"{WORKSHEET_CONTENT_TYPE}\"/>");
        self.types.insert_str(close.start, &over);
        self.links.push(Relationship {
            id: rid,
            kind: "worksheet".into(),
            target: part.clone(),
            external: false,
        });
        self.sheets.push(SheetEntry {
            name: name.to_string(),
            part: Some(part.clone()),
            sheet_id,
        });
        self.edited = Edited {
            xml: true,
            rels: true,
            types: true,
        };
        Ok(part)
    }

    /// Defined names that point into the edited rows, adjusted through
    /// `formula::adjust_range`; each adjustment is a change, each name that would lose
    /// its target is returned as broken (`name Total: ...`).
    pub(crate) fn adjust_defined_names(
        &mut self,
        edited_sheet: &str,
        map: &RowMap,
    ) -> (Vec<Change>, Vec<Place>) {
        let (mut changes, mut broken) = (Vec::new(), Vec::new());
        let mut splices = Splices::default();
        let all: Vec<_> = tags(&self.xml).collect();
        for (i, tag) in all.iter().enumerate() {
            if tag.closing || tag.empty || tag.local() != "definedName" {
                continue;
            }
            let Some(close) = all[i + 1..].first().filter(|t| t.closing) else {
                continue;
            };
            let raw = &self.xml[tag.end..close.start];
            let text = xml::unescape(raw);
            let name = tag.attr("name").map(|n| n.into_owned()).unwrap_or_default();
            let host = tag
                .attr("localSheetId")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| self.sheets.get(i))
                .map_or(edited_sheet, |s| s.name.as_str());
            match adjust_range(&text, host, edited_sheet, map) {
                Adjusted::Same => {}
                Adjusted::Changed(to) => {
                    splices.replace(tag.end, close.start, escape(&to).into_owned());
                    changes.push(Change::RangeResized {
                        sheet: host.to_string(),
                        what: format!("defined name {name}"),
                        from: text.into_owned(),
                        to,
                    });
                }
                Adjusted::Broken { text, reason } => {
                    broken.push(Place::new(format!("defined name {name} ({text})"), reason));
                }
            }
        }
        if !splices.is_empty() {
            self.xml = splices.apply(&self.xml);
            self.edited.xml = true;
        }
        (changes, broken)
    }

    /// Defined names whose formulas name a renamed table column, renamed with it.
    pub(crate) fn rename_column_references(
        &mut self,
        renamed: &[super::parts::RenamedColumn],
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut splices = Splices::default();
        let all: Vec<_> = tags(&self.xml).collect();
        for (i, tag) in all.iter().enumerate() {
            if tag.closing || tag.empty || tag.local() != "definedName" {
                continue;
            }
            let Some(close) = all[i + 1..].first().filter(|t| t.closing) else {
                continue;
            };
            let text = xml::unescape(&self.xml[tag.end..close.start]).into_owned();
            // A defined name is on no sheet: only references naming their table count.
            let Some(to) = super::parts::renamed_formula(&text, renamed, "") else {
                continue;
            };
            splices.replace(tag.end, close.start, escape(&to).into_owned());
            let name = tag.attr("name").map(|n| n.into_owned()).unwrap_or_default();
            changes.push(Change::FormulaAdjusted {
                sheet: renamed.first().map(|r| r.sheet.clone()).unwrap_or_default(),
                cell: format!("defined name {name}"),
                from: text,
                to,
            });
        }
        if !splices.is_empty() {
            self.xml = splices.apply(&self.xml);
            self.edited.xml = true;
        }
        changes
    }

    /// Formulas moved: the calculation chain (Excel's cache of the order to compute
    /// cells in, keyed by cell) no longer matches, so it is dropped with its relationship
    /// and content type, and `fullCalcOnLoad` asks Excel to recalculate on opening.
    pub(crate) fn formulas_moved(&mut self) {
        if let Some(chain) = self.links.iter().position(|l| l.kind == "calcChain") {
            let chain = self.links.remove(chain);
            let mut splices = Splices::default();
            for tag in tags(&self.rels) {
                if tag.local() == "Relationship" && tag.attr("Id").as_deref() == Some(&chain.id) {
                    splices.replace(tag.start, tag.end, "");
                }
            }
            self.rels = splices.apply(&self.rels);
            let mut splices = Splices::default();
            let part_name = format!("/{}", chain.target);
            for tag in tags(&self.types) {
                if tag.local() == "Override"
                    && tag
                        .attr("PartName")
                        .is_some_and(|p| p.eq_ignore_ascii_case(&part_name))
                {
                    splices.replace(tag.start, tag.end, "");
                }
            }
            self.types = splices.apply(&self.types);
            self.removed.push(chain.target);
            self.edited.rels = true;
            self.edited.types = true;
        }
        let calc = tags(&self.xml).find(|t| !t.closing && t.local() == "calcPr");
        match calc {
            Some(tag) => match tag.attr_span("fullCalcOnLoad") {
                Some((from, to)) => {
                    if &self.xml[from..to] != "1" {
                        self.xml.replace_range(from..to, "1");
                    }
                }
                None => {
                    let at = tag.start + 1 + tag.name.len();
                    self.xml.insert_str(at, " fullCalcOnLoad=\"1\"");
                }
            },
            None => {
                let prefix = self.tag_prefix("sheets");
                let at = tags(&self.xml)
                    .find(|t| !t.closing && AFTER_CALC_PR.contains(&t.local()))
                    .or_else(|| {
                        tags(&self.xml)
                            .filter(|t| t.closing && t.local() == "workbook")
                            .last()
                    })
                    .map_or(self.xml.len(), |t| t.start);
                self.xml
                    .insert_str(at, &format!("<{prefix}calcPr fullCalcOnLoad=\"1\"/>"));
            }
        }
        self.edited.xml = true;
    }

    /// Declares a new part's content type (`[Content_Types].xml` gets an `Override`).
    pub(crate) fn add_override(&mut self, part: &str, content_type: &str) -> Result<(), EditError> {
        let close = tags(&self.types)
            .find(|t| t.closing && t.local() == "Types")
            .ok_or_else(|| EditError::new("the package's [Content_Types].xml is damaged".into()))?;
        let over = format!("<Override PartName=\"/{part}\" ContentType=\"{content_type}\"/>");
        self.types.insert_str(close.start, &over);
        self.edited.types = true;
        Ok(())
    }

    /// The workbook's parts this edit changed or removed, put into `changes`.
    pub(crate) fn finish(self, package: &Package<'_>, changes: &mut PartChanges) {
        if self.edited.xml {
            changes.put(package, &self.part, self.xml.into_bytes());
        }
        if self.edited.rels {
            changes.put(package, &self.rels_part, self.rels.into_bytes());
        }
        if self.edited.types {
            changes.put(package, CONTENT_TYPES, self.types.into_bytes());
        }
        for part in self.removed {
            if let Some(info) = package.entry(&part) {
                changes.removed.insert(info.name.clone());
            }
        }
    }

    /// The namespace prefix (with its colon) the workbook uses for an element.
    fn tag_prefix(&self, local: &str) -> String {
        tags(&self.xml)
            .find(|t| t.local() == local)
            .and_then(|t| t.name.rsplit_once(':'))
            .map_or(String::new(), |(p, _)| format!("{p}:"))
    }
}

/// A `<sheet>`'s relationship id attribute (`r:id`, or another prefix bound to the same
/// namespace): its prefix and value.
fn relationship_id(tag: &xml::Tag<'_>) -> (Option<String>, Option<String>) {
    for prefix in ["r", "ns1", "ns2", "d2p1"] {
        if let Some(v) = tag.attr(&format!("{prefix}:id")) {
            return (Some(prefix.to_string()), Some(v.into_owned()));
        }
    }
    (None, None)
}

fn sheet_part(dir: &str, n: usize) -> String {
    if dir.is_empty() {
        format!("worksheets/sheet{n}.xml")
    } else {
        format!("{dir}/worksheets/sheet{n}.xml")
    }
}

/// Sheet names are equal in Excel when they differ only in case.
pub(crate) fn eq_names(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A name for a new sheet by Excel's rules, from `wanted`: at most 31 characters, none of
/// `[]:*?/\\` (each becomes a space), no leading or trailing apostrophe, not `History`,
/// unique (case-insensitively) among `taken` by a ` (2)`, ` (3)`… suffix; `fallback` when
/// nothing of `wanted` can stay.
pub(crate) fn unique_sheet_name(wanted: &str, taken: &[String], fallback: &str) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.trim_matches('\'').trim().to_string();
    let base = if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        fallback.to_string()
    } else {
        cleaned
    };
    let truncate = |n: usize| {
        let head: String = base.chars().take(n).collect();
        head.trim_end().trim_end_matches('\'').to_string()
    };
    let is_taken = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    let first = truncate(31);
    if !is_taken(&first) {
        return first;
    }
    (2..)
        .map(|k| {
            let suffix = format!(" ({k})");
            format!("{}{suffix}", truncate(31 - suffix.chars().count()))
        })
        .find(|name| !is_taken(name))
        .unwrap_or(first)
}

/// Excel's rules for a sheet name.
pub(crate) fn check_sheet_name(name: &str) -> Result<(), EditError> {
    let bad = |why: &str| {
        Err(EditError::new(format!(
            "a new sheet cannot be named '{name}': {why}"
        )))
    };
    if name.trim().is_empty() {
        return bad("a sheet name cannot be empty");
    }
    if name.chars().count() > 31 {
        return bad("a sheet name has at most 31 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| "[]:*?/\\".contains(*c) || c.is_control())
    {
        return bad(&format!("a sheet name cannot hold '{c}'"));
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return bad("a sheet name cannot begin or end with an apostrophe");
    }
    if name.eq_ignore_ascii_case("history") {
        return bad("Excel reserves the name History");
    }
    Ok(())
}
