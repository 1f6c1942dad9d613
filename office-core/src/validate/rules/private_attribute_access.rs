use rustpython_parser::ast::{self, Constant, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::attribute_name_offset;
use crate::validate::visitor::Checker;

/// Dunder attributes ordinary code needs (`super().__init__(...)`, `type(x).__name__`);
/// none of them leads anywhere on its own.
const ALLOWED_DUNDER_ATTRIBUTES: &[&str] = &["__init__", "__name__", "__doc__"];

/// The public API of named tuples, which starts with `_` to stay clear of field names.
const ALLOWED_PRIVATE_ATTRIBUTES: &[&str] =
    &["_asdict", "_replace", "_fields", "_field_defaults", "_make"];

/// Attributes of generators, coroutines, frames and tracebacks that lead to a frame's
/// globals and builtins without a single underscore: `(x for x in ()).gi_frame.f_builtins`.
const INTERPRETER_ATTRIBUTES: &[&str] = &[
    "gi_frame",
    "gi_code",
    "cr_frame",
    "cr_code",
    "ag_frame",
    "ag_code",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "tb_frame",
    "tb_next",
    "co_code",
    "co_consts",
    "co_names",
    "gi_yieldfrom",
    "cr_await",
    "cr_origin",
    "ag_await",
    "f_trace",
    "cell_contents",
    "func_globals",
    "mro",
];

violation! {
    /// ## What it does
    /// Rejects access to dunder attributes (`x.__class__`, `f.__globals__`, `m.__dict__`) and
    /// to private attributes (`df._data`, `pd._libs`), in expressions, in
    /// `from pandas import _libs`, in `match` class patterns (`case object(__class__=c)`) and
    /// in format templates (`"{0.__class__}".format(x)`, any string literal with such a field). Allowed: `__init__`, `__name__`,
    /// `__doc__`, and the named-tuple methods `_asdict`, `_replace`, `_fields`, `_make`.
    /// The interpreter's frame, code and cell attributes (`gi_frame`, `cr_frame`, `ag_frame`,
    /// `f_globals`, `f_builtins`, `f_back`, `tb_frame`, `tb_next`, `co_code`, `co_consts`,
    /// `cell_contents`, ...) and the class-hierarchy method `mro` count as private: they
    /// lead to the same places without an underscore.
    ///
    /// ## Why is this bad?
    /// Dunder attributes are the classic way out of a Python sandbox:
    /// `().__class__.__base__.__subclasses__()` lists every loaded class, and a function's
    /// `__globals__` holds its module's imports. Private attributes are a library's internals;
    /// they change between versions and several of them hold modules or raw handles.
    ///
    /// ## Known problems
    /// Helper classes of your own cannot use `self._cache`; use a public name.
    ///
    /// ## Example
    /// ```python
    /// kind = value.__class__.__name__
    /// blocks = df._mgr.blocks
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// kind = type(value).__name__
    /// dtypes = df.dtypes
    /// ```
    pub(crate) struct PrivateAttributeAccess {
        attribute: String,
    }
}

impl ViolationKind for PrivateAttributeAccess {
    const RULE: Rule = Rule::PrivateAttributeAccess;

    fn message(&self) -> String {
        let attribute = &self.attribute;
        if is_dunder(attribute) {
            format!("Access to the dunder attribute `{attribute}` is not allowed")
        } else if INTERPRETER_ATTRIBUTES.contains(&attribute.as_str()) {
            format!("Access to the interpreter attribute `{attribute}` is not allowed")
        } else {
            format!("Access to the private attribute `{attribute}` is not allowed")
        }
    }
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

pub(crate) fn is_forbidden(attribute: &str) -> bool {
    if INTERPRETER_ATTRIBUTES.contains(&attribute) {
        return true;
    }
    if is_dunder(attribute) {
        return !ALLOWED_DUNDER_ATTRIBUTES.contains(&attribute);
    }
    attribute.starts_with('_') && !ALLOWED_PRIVATE_ATTRIBUTES.contains(&attribute)
}

fn report(checker: &mut Checker, attribute: &str, offset: usize) {
    if is_forbidden(attribute) {
        checker.report(
            offset,
            PrivateAttributeAccess {
                attribute: attribute.to_string(),
            },
        );
    }
}

/// OFF106 on `value.attribute`.
pub(crate) fn private_attribute_access(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    report(
        checker,
        attribute.attr.as_str(),
        attribute_name_offset(attribute),
    );
}

/// OFF106 on `from module import _private`.
pub(crate) fn private_attribute_access_import(checker: &mut Checker, import: &ast::StmtImportFrom) {
    for alias in &import.names {
        report(checker, alias.name.as_str(), alias.start().to_usize());
    }
}

/// OFF106 on `case Class(__attribute__=...)`, which reads the attribute.
pub(crate) fn private_attribute_access_pattern(checker: &mut Checker, attr: &str, offset: usize) {
    report(checker, attr, offset);
}

/// OFF106 on a string literal whose format fields read attributes (`"{0.__class__}"`):
/// `str.format` follows them, and the template may be stored before it is used.
pub(crate) fn private_attribute_access_format(checker: &mut Checker, literal: &ast::ExprConstant) {
    let Constant::Str(template) = &literal.value else {
        return;
    };
    if !template.contains('{') {
        return;
    }
    for field in replacement_fields(template) {
        // The field name ends at a conversion or a format spec; attributes follow a `.`.
        let name = field.split(['!', ':']).next().unwrap_or("");
        let mut attributes = name
            .split('.')
            .skip(1)
            .map(|part| part.split('[').next().unwrap_or(""));
        if let Some(attribute) = attributes.find(|attribute| is_forbidden(attribute)) {
            report(checker, attribute, literal.start().to_usize());
            return;
        }
    }
}

/// The text inside each `{...}` of a format template, skipping `{{` escapes.
fn replacement_fields(template: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            break;
        };
        fields.push(&after[..close]);
        rest = &after[close + 1..];
    }
    fields
}
