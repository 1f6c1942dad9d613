use rustpython_parser::ast::{self, Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

/// Builtin value types a class pattern may test for.
const BUILTIN_TYPES: &[&str] = &[
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "set",
    "str",
    "tuple",
];

/// Value types from the allowed modules, by qualified name.
const LIBRARY_TYPES: &[&[&str]] = &[
    &["datetime", "date"],
    &["datetime", "datetime"],
    &["datetime", "time"],
    &["datetime", "timedelta"],
    &["decimal", "Decimal"],
    &["fractions", "Fraction"],
    &["pandas", "Timestamp"],
    &["pandas", "Timedelta"],
    &["pandas", "DataFrame"],
    &["pandas", "Series"],
    &["numpy", "ndarray"],
];

violation! {
    /// ## What it does
    /// Allows a `case Class(...)` pattern only for a plain value type: the builtins `int`,
    /// `float`, `str`, `bool`, `bytes`, `list`, `tuple`, `dict`, `set`, `frozenset`,
    /// `complex`; `datetime.date`/`datetime`/`time`/`timedelta`, `Decimal`, `Fraction`,
    /// `pd.Timestamp`, `pd.Timedelta`, `pd.DataFrame`, `pd.Series`, `np.ndarray`; or a class
    /// the program defines. `case object(...)`, `case type(...)` and any other class are
    /// rejected.
    ///
    /// ## Why is this bad?
    /// A class pattern reads attributes: `case object(f_globals=g)` is `getattr(subject,
    /// "f_globals")` for any subject, without a dot in sight, and keyword patterns can walk
    /// a module's attributes (`case object(os=o)`) where the chain rules cannot follow.
    /// With a known value type the attributes read are that type's own.
    ///
    /// ## Example
    /// ```python
    /// match pd:
    ///     case object(io=io_module):
    ///         ...
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// match value:
    ///     case int(n) | float(n):
    ///         total += n
    ///     case str(text):
    ///         labels.append(text)
    /// ```
    pub(crate) struct MatchClassPattern {
        spelling: String,
    }
}

impl ViolationKind for MatchClassPattern {
    const RULE: Rule = Rule::MatchClassPattern;

    fn message(&self) -> String {
        format!(
            "`case {}(...)` is not allowed: class patterns may only test plain value types or the program's own classes",
            self.spelling
        )
    }
}

/// OFF115 on `case Class(...)`.
pub(crate) fn match_class_pattern(checker: &mut Checker, pattern: &ast::PatternMatchClass) {
    let cls = pattern.cls.as_ref();
    let allowed = match cls {
        Expr::Name(name) if checker.imports.is_defined_class(name.id.as_str()) => true,
        _ => {
            BUILTIN_TYPES
                .iter()
                .any(|builtin| checker.imports.matches(cls, &[builtin]))
                || LIBRARY_TYPES
                    .iter()
                    .any(|segments| checker.imports.matches(cls, segments))
        }
    };
    if !allowed {
        let spelling = match cls {
            Expr::Name(name) => name.id.to_string(),
            Expr::Attribute(attribute) => format!("...{}", attribute.attr),
            _ => "(expression)".to_string(),
        };
        checker.report(cls.start().to_usize(), MatchClassPattern { spelling });
    }
}
