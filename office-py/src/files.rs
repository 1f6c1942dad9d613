//! Turns what a caller passes as a file into an `Upload`: a path (`str`/`os.PathLike`),
//! bytes with a name, a `(name, bytes)` tuple, or a binary file object. Only the
//! translation lives here; every check of the content is the core's.

use crate::errors::{office_error, type_error};
use office_core::{Error, Upload};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};
use std::path::{Path, PathBuf};

/// A file argument once understood: bytes in hand, or a path to read with the GIL released.
pub enum FileArg {
    Path(PathBuf),
    Data { name: String, data: Vec<u8> },
}

const ACCEPTED: &str = "a path (str or os.PathLike), bytes with filename=..., \
a (name, bytes) tuple, or a file object opened in binary mode";

impl FileArg {
    /// Understands `obj`. `filename` names bytes and nameless file objects.
    pub fn extract(obj: &Bound<'_, PyAny>, filename: Option<&str>) -> PyResult<FileArg> {
        let py = obj.py();
        if let Some(data) = bytes_of(obj)? {
            let name = filename.ok_or_else(|| {
                office_error(
                    py,
                    "InvalidInput",
                    "bytes need a file name for their type: pass filename='data.xlsx', \
                     or a (name, bytes) tuple",
                )
            })?;
            return Ok(FileArg::Data {
                name: name.to_owned(),
                data,
            });
        }
        if let Ok(tuple) = obj.downcast::<PyTuple>() {
            if tuple.len() != 2 {
                return Err(type_error(format!(
                    "a file tuple is (name, bytes); got a tuple of {} items",
                    tuple.len()
                )));
            }
            let name: String = tuple.get_item(0)?.extract().map_err(|_| {
                type_error("a file tuple is (name, bytes); its first item must be a str")
            })?;
            let second = tuple.get_item(1)?;
            let data = match bytes_of(&second)? {
                Some(data) => data,
                None if second.hasattr("read")? => read_object(&second)?,
                None => {
                    return Err(type_error(format!(
                        "a file tuple is (name, bytes); its second item is {}",
                        type_name(&second)
                    )));
                }
            };
            return Ok(FileArg::Data { name, data });
        }
        if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
            let path: PathBuf = obj.extract()?;
            return Ok(FileArg::Path(path));
        }
        if obj.hasattr("read")? {
            let name = match filename {
                Some(n) => n.to_owned(),
                None => object_name(obj)?.ok_or_else(|| {
                    office_error(
                        py,
                        "InvalidInput",
                        "this file object has no name to tell its type by: pass \
                         filename='data.xlsx'",
                    )
                })?,
            };
            let data = read_object(obj)?;
            return Ok(FileArg::Data { name, data });
        }
        Err(type_error(format!(
            "a file must be {ACCEPTED}; got {}",
            type_name(obj)
        )))
    }

    /// Reads a path (call with the GIL released). A path that cannot be read is an
    /// unreadable file named as the caller wrote it.
    /// One file, or a list of files (each as for `extract`; bytes as (name, bytes)
    /// tuples). One file alone is accepted: a str is a path, not a list of characters.
    pub fn extract_many(files: &Bound<'_, PyAny>) -> PyResult<Vec<FileArg>> {
        let single = files.is_instance_of::<pyo3::types::PyString>()
            || files.is_instance_of::<pyo3::types::PyBytes>()
            || files.is_instance_of::<pyo3::types::PyTuple>()
            || files.hasattr("__fspath__")?
            || files.hasattr("read")?;
        if single {
            return Ok(vec![FileArg::extract(files, None)?]);
        }
        let iter = files.try_iter().map_err(|_| {
            crate::errors::type_error(format!(
                "files must be a list of files; got {}",
                type_name(files)
            ))
        })?;
        iter.map(|f| FileArg::extract(&f?, None)).collect()
    }

    pub fn into_upload(self) -> Result<Upload, Error> {
        match self {
            FileArg::Data { name, data } => Ok(Upload {
                name,
                data: data.into(),
            }),
            FileArg::Path(path) => {
                let data = std::fs::read(&path).map_err(|e| Error::UnreadableFile {
                    file: path.display().to_string(),
                    reason: read_failure(&path, &e),
                })?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                Ok(Upload {
                    name,
                    data: data.into(),
                })
            }
        }
    }
}

fn read_failure(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "there is no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ if path.is_dir() => "it is a folder, not a file".into(),
        _ => e.to_string(),
    }
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`, `memoryview`), else `None`.
fn bytes_of(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(b) = obj.downcast::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.downcast::<PyByteArray>() {
        return Ok(Some(b.to_vec()));
    }
    if obj.is_instance(&obj.py().get_type::<pyo3::types::PyMemoryView>())? {
        let b = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(Some(b.downcast::<PyBytes>()?.as_bytes().to_vec()));
    }
    Ok(None)
}

/// Everything `obj.read()` gives; a text-mode file is a type error that says how to fix it.
fn read_object(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let content = obj.call_method0("read")?;
    match bytes_of(&content)? {
        Some(data) => Ok(data),
        None if content.is_instance_of::<PyString>() => Err(type_error(
            "the file object was opened in text mode; open it with mode 'rb'",
        )),
        None => Err(type_error(format!(
            "the file object's read() returned {}, not bytes",
            type_name(&content)
        ))),
    }
}

/// The base name of a file object's `.name`, when it is a string path.
fn object_name(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let Ok(name) = obj.getattr("name") else {
        return Ok(None);
    };
    let Ok(name) = name.extract::<PathBuf>() else {
        return Ok(None);
    };
    Ok(name.file_name().map(|n| n.to_string_lossy().into_owned()))
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".into())
}
