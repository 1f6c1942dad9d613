//! Parsing and planning tests on hand-made profiles. The programs themselves run in
//! office-core/tests/planner_exec.rs.

use super::ops::aggregate::Aggregate;
use super::ops::compute::Compute;
use super::ops::dedupe::Dedupe;
use super::ops::describe::Describe;
use super::ops::filter::{CmpOp, Filter, Literal};
use super::ops::sort::Sort;
use super::parse::parse_request;
use super::vocab::AggFunc;
use super::*;
use crate::plan::PlanRequest;
use crate::profile::{ColumnProfile, FileFormat, FileProfile, SheetProfile};
use std::any::Any;

fn column(index: usize, name: &str, dtype: ColumnType) -> ColumnProfile {
    ColumnProfile {
        index,
        name: name.to_string(),
        dtype,
        non_null: 10,
        nulls: 0,
        distinct: 10,
        distinct_estimated: false,
        min: dtype.is_numeric().then_some(1.0),
        max: dtype.is_numeric().then_some(100.0),
        mean: dtype.is_numeric().then_some(50.0),
        date_min: None,
        date_max: None,
        samples: Vec::new(),
        day_first: false,
    }
}

fn sheet(name: &str, columns: &[(&str, ColumnType)]) -> SheetProfile {
    SheetProfile {
        name: name.to_string(),
        rows: 11,
        cols: columns.len(),
        first_row: 0,
        first_col: 0,
        header_row: Some(0),
        data_rows: 10,
        columns: columns
            .iter()
            .enumerate()
            .map(|(i, (n, t))| column(i, n, *t))
            .collect(),
    }
}

fn workbook(sheets: Vec<SheetProfile>) -> FileProfile {
    FileProfile {
        name: "sales.xlsx".into(),
        format: FileFormat::Xlsx,
        size: 1000,
        sheets,
        csv: None,
        notes: Vec::new(),
    }
}

fn sales_sheet() -> SheetProfile {
    use ColumnType::*;
    sheet(
        "Sales",
        &[
            ("Region", Text),
            ("City", Text),
            ("Product", Text),
            ("Category", Text),
            ("Status", Text),
            ("Email", Text),
            ("Customer Name", Text),
            ("Revenue", Float),
            ("Cost", Float),
            ("Unit Price", Float),
            ("Quantity", Integer),
            ("Order Date", Date),
            ("Active", Boolean),
        ],
    )
}

fn sales() -> Vec<FileProfile> {
    vec![workbook(vec![sales_sheet()])]
}

/// The built-in operations by type, to match on (the planner holds them as
/// `Box<dyn ops::Operation>`).
#[derive(Debug, Clone)]
enum Operation {
    Sort(Sort),
    Filter(Filter),
    Dedupe(Dedupe),
    Compute(Compute),
    Aggregate(Aggregate),
    Describe(Describe),
}

fn typed(op: Box<dyn ops::Operation>) -> Operation {
    let op: Box<dyn Any> = op;
    let op = match op.downcast::<Sort>() {
        Ok(o) => return Operation::Sort(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Filter>() {
        Ok(o) => return Operation::Filter(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Dedupe>() {
        Ok(o) => return Operation::Dedupe(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Compute>() {
        Ok(o) => return Operation::Compute(*o),
        Err(op) => op,
    };
    let op = match op.downcast::<Aggregate>() {
        Ok(o) => return Operation::Aggregate(*o),
        Err(op) => op,
    };
    match op.downcast::<Describe>() {
        Ok(o) => Operation::Describe(*o),
        Err(_) => panic!("not a built-in operation"),
    }
}

fn ops(prompt: &str) -> Vec<Operation> {
    let columns = sheet_columns(&sales_sheet());
    match parse_request(prompt, &columns, ops::REGISTRY) {
        Ok(parsed) => parsed.operations.into_iter().map(typed).collect(),
        Err(failure) => panic!("'{prompt}' failed: {failure:?}"),
    }
}

fn one(prompt: &str) -> Operation {
    let mut all = ops(prompt);
    assert_eq!(all.len(), 1, "'{prompt}' gave {all:?}");
    all.remove(0)
}

fn error(prompt: &str) -> PlanError {
    match plan_excel(prompt, &sales()) {
        Ok(plan) => panic!("'{prompt}' should fail, planned {:?}", plan.steps),
        Err(e) => e,
    }
}

fn sort_of(op: Operation) -> (Vec<String>, bool) {
    match op {
        Operation::Sort(s) => (
            s.columns.into_iter().map(|c| c.name).collect(),
            s.descending,
        ),
        other => panic!("expected a sort, got {other:?}"),
    }
}

fn filter_of(op: Operation) -> (String, CmpOp, Literal, bool) {
    match op {
        Operation::Filter(f) => (f.column.name, f.op, f.value, f.keep),
        other => panic!("expected a filter, got {other:?}"),
    }
}

/// What every Excel program imports: the loader reads workbooks with calamine and text
/// files with `csv`; the script is JSON.
const PROGRAM_IMPORTS: [&str; 7] = [
    "csv",
    "datetime",
    "json",
    "os",
    "numpy",
    "pandas",
    "python_calamine",
];

/// Imports in the program, and whether it parses at all.
fn imports(code: &str) -> Vec<String> {
    use rustpython_parser::{Parse, ast};
    let suite = ast::Suite::parse(code, "<plan>").expect("generated code parses");
    let mut names = Vec::new();
    for stmt in suite {
        match stmt {
            ast::Stmt::Import(i) => names.extend(i.names.iter().map(|a| a.name.to_string())),
            ast::Stmt::ImportFrom(i) => names.push(format!("from {:?}", i.module)),
            _ => {}
        }
    }
    names
}

mod looks;
mod new_operation;
mod phrasings;
mod programs;
mod refusals;
mod requests;
mod sheet_ops;
mod vocabulary;
mod worded;
