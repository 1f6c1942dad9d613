//! A workbook saved by a tool that stores formulas without results (openpyxl): the
//! profiler sees the formulas' numbers, and a real excel job (offline planner, real
//! CPython) computes a column over the formula column. Expected values are computed
//! here from the numbers the test wrote; the output is read back with openpyxl.

use office_core::{ColumnType, profile_file};
use office_core::{Config, Engine, JobKind, JobStatus, Submission, Upload};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn python() -> PathBuf {
    match std::env::var_os("OFFICE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

/// Units and prices of the rows; Revenue is `=B{r}*C{r}`, stored without a result.
const ROWS: &[(&str, i64, f64)] = &[
    ("Widget", 3, 2.5),
    ("Gadget", 10, 4.2),
    ("Gizmo", 7, 1.25),
    ("Doohickey", 1, 99.0),
];

fn run_python(script: &str, args: &[&Path]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn write_workbook(path: &Path) {
    let rows: Vec<String> = ROWS
        .iter()
        .map(|(p, u, c)| format!("({p:?}, {u}, {c})"))
        .collect();
    let script = format!(
        r#"
import sys
from openpyxl import Workbook
wb = Workbook()
ws = wb.active
ws.title = "Sales"
ws.append(["Product", "Units", "Price", "Revenue"])
for i, (p, u, c) in enumerate([{}], start=2):
    ws.append([p, u, c, f"=B{{i}}*C{{i}}"])
wb.save(sys.argv[1])
"#,
        rows.join(", ")
    );
    run_python(&script, &[path]);
}

#[test]
fn formulas_without_results_are_profiled_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.xlsx");
    write_workbook(&path);
    let original = std::fs::read(&path).unwrap();

    let profile = profile_file(&path, "sales.xlsx").unwrap();
    let sheet = &profile.sheets[0];
    let revenue = sheet
        .columns
        .iter()
        .find(|column| column.name == "Revenue")
        .expect("a Revenue column");
    let expected: Vec<f64> = ROWS.iter().map(|(_, u, c)| *u as f64 * c).collect();
    assert_eq!(revenue.dtype, ColumnType::Float, "{revenue:?}");
    assert_eq!(revenue.non_null, ROWS.len());
    let min = expected.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = expected.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(revenue.min, Some(min));
    assert_eq!(revenue.max, Some(max));
    assert!(
        profile
            .notes
            .iter()
            .any(|note| note.contains("4 formula cells")),
        "{:?}",
        profile.notes
    );
    // Profiling changes nothing on disk.
    assert_eq!(std::fs::read(&path).unwrap(), original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_computed_column_over_a_formula_column_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.xlsx");
    write_workbook(&path);
    let uploaded = std::fs::read(&path).unwrap();

    let mut config = Config::with_data_dir(dir.path().join("data"));
    config.python = python();
    config.workers = 1;
    config.limits.timeout = Duration::from_secs(60);
    let jobs_dir = config.jobs_dir();
    let engine = Engine::open(config).await.unwrap();
    let _workers = engine.start_workers(1);
    let job = engine
        .submit(Submission::new(
            JobKind::Excel,
            "add a column Margin = Revenue * 0.2",
            vec![Upload {
                name: "sales.xlsx".into(),
                data: uploaded.clone().into(),
            }],
        ))
        .await
        .unwrap();
    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded, "{:#?}", job.error);

    // The uploaded input is kept exactly as it came.
    let stored = jobs_dir
        .join(job.id.to_string())
        .join("inputs")
        .join(&job.inputs[0].name);
    assert_eq!(std::fs::read(&stored).unwrap(), uploaded);

    let (_, output) = engine.output(&job).await.unwrap();
    let out = dir.path().join("out.xlsx");
    std::fs::write(&out, &output).unwrap();
    let read = run_python(
        r#"
import sys
from openpyxl import load_workbook
ws = load_workbook(sys.argv[1], data_only=True).worksheets[0]
rows = list(ws.iter_rows(values_only=True))
header = list(rows[0])
m, u, c = header.index("Margin"), header.index("Units"), header.index("Price")
for row in rows[1:]:
    print(row[u], row[c], row[m])
"#,
        &[&out],
    );
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(lines.len(), ROWS.len(), "{read}");
    for (line, (_, units, price)) in lines.iter().zip(ROWS) {
        let fields: Vec<f64> = line.split(' ').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields[0], *units as f64, "{read}");
        let expected = *units as f64 * price * 0.2;
        assert!(
            (fields[2] - expected).abs() < 1e-9,
            "Margin {} for {units} x {price}, expected {expected}",
            fields[2]
        );
    }
}
