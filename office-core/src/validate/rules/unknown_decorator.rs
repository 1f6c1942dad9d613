use rustpython_parser::ast::{Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

/// Decorators whose effect is known and harmless, by qualified name.
const ALLOWED_DECORATORS: &[&[&str]] = &[
    &["property"],
    &["staticmethod"],
    &["classmethod"],
    &["dataclasses", "dataclass"],
    &["functools", "lru_cache"],
    &["functools", "cache"],
    &["functools", "cached_property"],
    &["functools", "wraps"],
    &["functools", "total_ordering"],
    &["functools", "singledispatch"],
    &["functools", "singledispatchmethod"],
    &["typing", "overload"],
    &["typing", "final"],
    &["typing", "runtime_checkable"],
    &["enum", "unique"],
    &["numpy", "vectorize"],
];

/// `@total.setter` and friends on a property, `@handler.register` on a singledispatch.
const ALLOWED_METHODS: &[&str] = &["setter", "getter", "deleter", "register"];

violation! {
    /// ## What it does
    /// Allows a decorator only when it is one whose effect is known: `@property` (and its
    /// `.setter`/`.getter`/`.deleter`), `@staticmethod`, `@classmethod`, `@dataclass` /
    /// `@dataclasses.dataclass(...)`, `functools.lru_cache`/`cache`/`cached_property`/
    /// `wraps`/`total_ordering`/`singledispatch` (and `.register`), `typing.overload`/
    /// `final`, `enum.unique`, `np.vectorize`, or a function or class the program defines.
    /// Any other decorator, and any decorator expression beyond a name, a dotted name or a
    /// call of one (`@(lambda f: ...)`, `@handlers[0]`), is rejected.
    ///
    /// ## Why is this bad?
    /// A decorator is a call made when the function or class is defined, with the new object
    /// as its argument. Write-ups use them to call things without writing a call
    /// (`@exec` over a class whose name is a payload) and to hand functions to library
    /// machinery that registers or wraps them behind the reader's back (pandas accessors,
    /// plotting backends). Known decorators and the program's own functions are checked
    /// where they are written; the rest would be calls the rules never see.
    ///
    /// ## Example
    /// ```python
    /// @pd.api.extensions.register_dataframe_accessor("tools")
    /// class Tools: ...
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// @dataclass(frozen=True)
    /// class Row:
    ///     region: str
    ///     total: float
    /// ```
    pub(crate) struct UnknownDecorator {
        spelling: String,
    }
}

impl ViolationKind for UnknownDecorator {
    const RULE: Rule = Rule::UnknownDecorator;

    fn message(&self) -> String {
        format!(
            "The decorator `@{}` is not one of the allowed decorators or the program's own functions",
            self.spelling
        )
    }
}

fn spelling(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => {
            spelling(&attribute.value).map(|base| format!("{base}.{}", attribute.attr))
        }
        _ => None,
    }
}

/// OFF114 on each decorator of a function or class.
pub(crate) fn unknown_decorator(checker: &mut Checker, decorator: &Expr) {
    let target = match decorator {
        Expr::Call(call) => call.func.as_ref(),
        other => other,
    };
    let allowed = match target {
        Expr::Name(name)
            if checker.imports.is_defined_function(name.id.as_str())
                || checker.imports.is_defined_class(name.id.as_str()) =>
        {
            true
        }
        Expr::Attribute(attribute)
            if ALLOWED_METHODS.contains(&attribute.attr.as_str())
                && matches!(attribute.value.as_ref(), Expr::Name(_)) =>
        {
            true
        }
        Expr::Name(_) | Expr::Attribute(_) => ALLOWED_DECORATORS
            .iter()
            .any(|segments| checker.imports.matches(target, segments)),
        _ => false,
    };
    if !allowed {
        let spelling = spelling(target).unwrap_or_else(|| "(expression)".to_string());
        checker.report(decorator.start().to_usize(), UnknownDecorator { spelling });
    }
}
