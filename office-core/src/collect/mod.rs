//! Collect stage: take what the program made from its output folder, and only from
//! there. Files are taken by name; symlinks, hard-linked files, special files, sparse
//! files and anything past the count, depth or size caps are skipped and said so.
//! Produced workbooks are scanned for formulas and parts that fetch from outside
//! (`external`), within one `external::Budget` of inflated bytes and time per collect; a
//! workbook the scan refuses (a zip bomb, the budget spent) fails the collect with
//! `Error::UnreadableFile` saying why.

pub(crate) mod external;

use crate::config::Limits;
use crate::error::{Error, Result};
use crate::job::ArtifactKind;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How deep below the output folder files are still collected.
const MAX_DEPTH: usize = 4;
/// Folder entries looked at in all (a program could make millions of empty files).
const MAX_ENTRIES: usize = 10_000;
/// A file larger than this whose disk blocks cover less than half of it is mostly holes.
const SPARSE_MIN_BYTES: u64 = 1 << 20;

/// One file taken from the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CollectedFile {
    /// Path relative to the output folder, with `/` separators.
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub files: Vec<CollectedFile>,
    /// Why each skipped file was skipped, for the job's log and summary.
    pub skipped: Vec<String>,
    /// What the collected workbooks would fetch from outside once opened.
    pub external_references: Vec<external::ExternalReference>,
    /// Folder entries looked at, against `MAX_ENTRIES`.
    entries_seen: usize,
}

/// Walks `dir` (never following links) and takes the regular files within the caps.
pub(crate) fn collect_outputs(dir: &Path, limits: &Limits) -> Result<Collected> {
    let mut out = Collected::default();
    let mut total: u64 = 0;
    walk(dir, "", 0, limits, &mut total, &mut out)?;
    out.files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut budget = external::Budget::default();
    for file in &out.files {
        if external::is_scanned(&file.name) {
            let found =
                external::scan_workbook(&file.path, &file.name, &mut budget).map_err(|reason| {
                    Error::UnreadableFile {
                        file: file.name.clone(),
                        reason: format!("{reason}; the outputs were not collected"),
                    }
                })?;
            out.external_references.extend(found);
        }
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    limits: &Limits,
    total: &mut u64,
    out: &mut Collected,
) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        out.entries_seen += 1;
        if out.entries_seen > MAX_ENTRIES {
            out.skipped.push(format!(
                "{prefix}: more than {MAX_ENTRIES} entries; the rest was not looked at"
            ));
            return Ok(());
        }
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            out.skipped.push(format!(
                "{prefix}{}: the name is not valid UTF-8",
                file_name.to_string_lossy()
            ));
            continue;
        };
        let name = format!("{prefix}{file_name}");
        if crate::artifacts::check_key(&name).is_err() || file_name.starts_with('.') {
            out.skipped.push(format!("{name}: the name is not allowed"));
            continue;
        }
        let meta = std::fs::symlink_metadata(entry.path())?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            out.skipped
                .push(format!("{name}: symbolic links are not collected"));
        } else if ft.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                out.skipped.push(format!(
                    "{name}/: folders deeper than {MAX_DEPTH} levels are not collected"
                ));
            } else {
                walk(
                    &entry.path(),
                    &format!("{name}/"),
                    depth + 1,
                    limits,
                    total,
                    out,
                )?;
            }
        } else if !ft.is_file() {
            out.skipped.push(format!("{name}: not a regular file"));
        } else if meta.nlink() > 1 {
            out.skipped
                .push(format!("{name}: hard-linked files are not collected"));
        } else if meta.len() > SPARSE_MIN_BYTES && meta.blocks() * 512 < meta.len() / 2 {
            out.skipped.push(format!(
                "{name}: sparse files (mostly holes) are not collected"
            ));
        } else if out.files.len() >= limits.artifacts_max_count {
            out.skipped.push(format!(
                "{name}: more than {} files were produced",
                limits.artifacts_max_count
            ));
        } else if *total + meta.len() > limits.artifacts_total_bytes {
            out.skipped.push(format!(
                "{name}: the outputs together are larger than the {} MB limit",
                limits.artifacts_total_bytes >> 20
            ));
        } else {
            let (size, sha256) = hash_file(&entry.path())?;
            *total += size;
            out.files.push(CollectedFile {
                name,
                path: entry.path(),
                size,
                sha256,
            });
        }
    }
    Ok(())
}

/// Size and sha256 of a file, opened without following a link.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The content type users' tools expect for a file name.
pub(crate) fn content_type(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let known = [
        (
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (".xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"),
        (
            ".xlsb",
            "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
        ),
        (".xls", "application/vnd.ms-excel"),
        (".ods", "application/vnd.oasis.opendocument.spreadsheet"),
        (".csv", "text/csv; charset=utf-8"),
        (".tsv", "text/tab-separated-values; charset=utf-8"),
        (".json", "application/json"),
        (".py", "text/x-python; charset=utf-8"),
        (".md", "text/markdown; charset=utf-8"),
        (".txt", "text/plain; charset=utf-8"),
        (".png", "image/png"),
        (".html", "text/html; charset=utf-8"),
        (
            ".docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (".pdf", "application/pdf"),
    ];
    for (ext, ct) in known {
        if lower.ends_with(ext) {
            return ct.to_string();
        }
    }
    mime_guess::from_path(name)
        .first_or_octet_stream()
        .essence_str()
        .to_string()
}

/// What kind of artifact a produced file is, by its name.
pub(crate) fn artifact_kind(name: &str) -> ArtifactKind {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => ArtifactKind::Workbook,
        "png" | "svg" | "jpg" | "jpeg" => ArtifactKind::Chart,
        "py" => ArtifactKind::Code,
        "md" => ArtifactKind::Report,
        "csv" | "tsv" | "json" => {
            if lower == "summary.json" {
                ArtifactKind::Summary
            } else {
                ArtifactKind::Data
            }
        }
        "txt" | "log" => ArtifactKind::Log,
        _ => ArtifactKind::Other,
    }
}

/// Where an artifact lives in the job's storage: code under `code/`, logs under `logs/`,
/// inputs under `inputs/` (their names already carry it), everything else under `outputs/`.
pub(crate) fn storage_key(kind: ArtifactKind, name: &str) -> String {
    match kind {
        ArtifactKind::Input => name.to_string(),
        ArtifactKind::Code => format!("code/{name}"),
        ArtifactKind::Log => format!("logs/{name}"),
        _ => format!("outputs/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            artifacts_max_count: 3,
            artifacts_total_bytes: 100,
            ..Limits::default()
        }
    }

    #[test]
    fn takes_regular_files_and_skips_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("output.xlsx"), b"abc").unwrap();
        std::fs::create_dir(d.join("charts")).unwrap();
        std::fs::write(d.join("charts/a.png"), b"png").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join("passwd")).unwrap();
        std::fs::write(d.join("secret"), b"s").unwrap();
        std::fs::hard_link(d.join("secret"), d.join("linked")).unwrap();
        std::fs::write(d.join(".hidden"), b"h").unwrap();

        let c = collect_outputs(d, &limits()).unwrap();
        let names: Vec<_> = c.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["charts/a.png", "output.xlsx"]);
        assert_eq!(c.files[1].sha256, sha256_hex(b"abc"));
        assert_eq!(c.files[1].size, 3);
        let skipped = c.skipped.join("\n");
        assert!(skipped.contains("passwd: symbolic links"), "{skipped}");
        assert!(skipped.contains("linked: hard-linked"), "{skipped}");
        assert!(skipped.contains("secret: hard-linked"), "{skipped}");
        assert!(skipped.contains(".hidden"), "{skipped}");
    }

    #[test]
    fn caps_count_and_total_size() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("f{i}.txt")), vec![b'x'; 10]).unwrap();
        }
        std::fs::write(dir.path().join("big.bin"), vec![b'x'; 200]).unwrap();
        let c = collect_outputs(dir.path(), &limits()).unwrap();
        assert_eq!(c.files.len(), 3);
        assert!(
            c.skipped
                .iter()
                .any(|s| s.starts_with("big.bin: the outputs together")),
            "{:?}",
            c.skipped
        );
        assert!(
            c.skipped.iter().any(|s| s.contains("more than 3 files")),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn sparse_files_fifos_and_huge_folders_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let sparse = std::fs::File::create(dir.path().join("holes.bin")).unwrap();
        sparse.set_len(50 << 20).unwrap();
        let fifo = std::ffi::CString::new(dir.path().join("pipe").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::fs::write(dir.path().join("real.csv"), b"a\n1\n").unwrap();
        let limits = Limits {
            artifacts_total_bytes: 1 << 30,
            ..Limits::default()
        };
        let c = collect_outputs(dir.path(), &limits).unwrap();
        let names: Vec<_> = c.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["real.csv"]);
        let skipped = c.skipped.join("\n");
        assert!(skipped.contains("holes.bin: sparse files"), "{skipped}");
        assert!(skipped.contains("pipe: not a regular file"), "{skipped}");

        let many = tempfile::tempdir().unwrap();
        for i in 0..(MAX_ENTRIES + 5) {
            std::fs::File::create(many.path().join(format!("{i:05}"))).unwrap();
        }
        let c = collect_outputs(many.path(), &Limits::default()).unwrap();
        assert!(
            c.skipped
                .iter()
                .any(|s| s.contains("the rest was not looked at")),
            "{:?}",
            &c.skipped[c.skipped.len() - 2..]
        );
    }

    #[test]
    fn deep_folders_are_not_walked_forever() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c/d/e");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.txt"), b"x").unwrap();
        let c = collect_outputs(dir.path(), &Limits::default()).unwrap();
        assert!(c.files.is_empty());
        assert!(
            c.skipped.iter().any(|s| s.contains("deeper than")),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn kinds_and_types_by_name() {
        assert_eq!(artifact_kind("output.xlsx"), ArtifactKind::Workbook);
        assert_eq!(artifact_kind("summary.json"), ArtifactKind::Summary);
        assert_eq!(artifact_kind("chart.PNG"), ArtifactKind::Chart);
        assert!(content_type("output.xlsx").contains("spreadsheetml"));
        assert_eq!(content_type("a.png"), "image/png");
    }
}
