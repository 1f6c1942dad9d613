//! Unit tests of `process.rs`.

use super::*;

#[test]
fn new_writes_the_embedded_harness_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let executor = ProcessExecutor::new("python3", dir.path().join("runtime")).unwrap();
    let written = std::fs::read_to_string(executor.harness_path()).unwrap();
    assert_eq!(written, HARNESS_SOURCE);
    let mode = std::fs::metadata(executor.harness_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
    // A second executor on the same folder replaces the file in place.
    ProcessExecutor::new("python3", dir.path().join("runtime")).unwrap();
}

#[test]
fn a_bare_interpreter_name_is_resolved_on_path() {
    let resolved = resolve_interpreter(PathBuf::from("sh"));
    assert!(resolved.is_absolute(), "{}", resolved.display());
    let missing = resolve_interpreter(PathBuf::from("no-such-python-here"));
    assert_eq!(missing, PathBuf::from("no-such-python-here"));
}

#[test]
fn inputs_are_joined_with_the_path_separator() {
    let folders = RunFolders {
        inputs: vec![PathBuf::from("/in/a.xlsx"), PathBuf::from("/in/b.csv")],
        output_dir: PathBuf::from("/out"),
        work_dir: PathBuf::from("/work"),
    };
    let env = folders.environment();
    let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(get("INPUT_PATH"), Some("/in/a.xlsx".into()));
    assert_eq!(get("INPUT_PATHS"), Some("/in/a.xlsx:/in/b.csv".into()));
    assert_eq!(get("TMPDIR"), Some("/work/tmp".into()));

    let no_inputs = RunFolders {
        inputs: Vec::new(),
        ..folders
    };
    let env = no_inputs.environment();
    assert!(
        !env.iter()
            .any(|(k, _)| k == "INPUT_PATH" || k == "INPUT_PATHS")
    );
}
