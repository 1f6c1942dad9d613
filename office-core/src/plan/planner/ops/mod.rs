//! The operations of an Excel request, one file each.
//!
//! Each file holds its operation whole: the struct the reader fills in, how a clause is
//! recognised as that operation (`recognise`), what it reports (`summary`,
//! `columns_used`), and the pandas code it emits (`emit`, plus any Python helpers in
//! `python`). `REGISTRY` is the one list the reader dispatches over.
//!
//! To add an operation: write `ops/<name>.rs` with a struct implementing `Operation`, a
//! `recognise` function and `pub(crate) const KIND: OpKind`, then add `<name>` to the
//! `operations!` list below (it declares the module and registers its `KIND`).

use super::codegen::py_str;
use super::columns::Column;
use super::parse::ClauseError;
use super::tokens::Token;
use std::any::Any;
use std::fmt;

/// One step of an Excel request, read from a clause.
pub(crate) trait Operation: fmt::Debug + Any + Send + Sync {
    /// What the operation does, in plain words (for steps and for error messages).
    fn summary(&self) -> String;

    /// The names of the existing columns the operation reads, in order.
    fn columns_used(&self) -> Vec<String>;

    /// Whether the operation names a column of the sheet; a request whose operations
    /// name none works on the first sheet.
    fn names_a_column(&self) -> bool;

    /// A column the operation adds to the sheet, which later clauses may name.
    fn new_column(&self) -> Option<Column> {
        None
    }

    /// Every column the operation adds that later clauses may name (`new_column`, for
    /// an operation that adds one).
    fn new_columns(&self) -> Vec<Column> {
        self.new_column().into_iter().collect()
    }

    /// Names the column the operation adds, from a later clause ("Write the results in
    /// column F named Summary"); false when it adds none.
    fn rename_new_column(&mut self, _name: &str) -> bool {
        false
    }

    /// The column the operation renames, and its new name.
    fn renamed(&self) -> Option<(String, String)> {
        None
    }

    /// Python functions the emitted code calls (defined once per program).
    fn python(&self) -> &'static str {
        ""
    }

    /// Writes the operation's code (it works on `df`, appends to `steps` and may add to
    /// `new_sheets`) and returns its step in words. `taken` holds the sheet names in use.
    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String;
}

/// What a recogniser returns: `None` when the clause is not of its kind, an error when
/// it is but cannot be read.
pub(crate) type Recognised = Option<Result<Box<dyn Operation>, ClauseError>>;

/// One kind of operation, as the reader knows it.
#[derive(Clone, Copy)]
pub(crate) struct OpKind {
    /// As named in error messages ("Supported operations: ...").
    pub(crate) name: &'static str,
    /// Recognisers are tried from the lowest precedence up; the first to recognise a
    /// clause reads it ("summary of revenue by region" is tried as a description
    /// before it is read as a grouping).
    pub(crate) precedence: u8,
    pub(crate) recognise: fn(&[Token], &[Column]) -> Recognised,
}

/// Declares each operation's module and lists its `KIND` in `REGISTRY`.
macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        $(pub(crate) mod $name;)*

        /// Every operation, in the order error messages list them.
        pub(crate) const REGISTRY: &[OpKind] = &[$($name::KIND),*];
    };
}

// The one list of operations, one per line.
operations! {
    sort,
    filter,
    dedupe,
    compute,
    aggregate,
    describe,
    format,
    highlight,
    freeze,
    autofilter,
    chart,
    total_row,
    concat,
    flag,
    rename,
    replace,
    fill,
    top,
    blank_rows,
    date_part,
    split,
    pivot,
    unpivot,
    transpose,
    running,
}

/// The names of `REGISTRY`, in its order.
pub(crate) const NAMES: [&str; REGISTRY.len()] = {
    let mut names = [""; REGISTRY.len()];
    let mut i = 0;
    while i < REGISTRY.len() {
        names[i] = REGISTRY[i].name;
        i += 1;
    }
    names
};

/// Wraps an operation for a recogniser's answer.
pub(crate) fn found(op: impl Operation) -> Recognised {
    Some(Ok(Box::new(op)))
}

/// `df["name"]`.
pub(crate) fn col(name: &str) -> String {
    format!("df[{}]", py_str(name))
}

/// "a", "a and b", "a, b and c".
pub(crate) fn names(columns: &[Column]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// The names of the columns, in order.
pub(crate) fn column_names(columns: &[Column]) -> Vec<String> {
    columns.iter().map(|c| c.name.clone()).collect()
}

/// A number as a person (and Python) writes it: integers without a fraction.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `True` / `False`.
pub(crate) fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
