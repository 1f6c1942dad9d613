use rustpython_parser::ast::{self, Expr, Ranged};

use super::ViolationKind;
use super::format_string_traversal::traversing_field;
use crate::validate::registry::Rule;
use crate::validate::values::{keyword, string_literal};
use crate::validate::visitor::Checker;

/// Calls whose first argument, when a string, is a `str.format` template: matplotlib
/// wraps a string handed to an axis formatter in `StrMethodFormatter`.
const TEMPLATE_FIRST: &[&str] = &[
    "StrMethodFormatter",
    "set_major_formatter",
    "set_minor_formatter",
];
/// Keyword arguments that are `str.format` templates when they contain `{`.
const TEMPLATE_KEYWORDS: &[(&str, &str)] = &[
    ("bar_label", "fmt"),
    ("clabel", "fmt"),
    ("colorbar", "format"),
];

violation! {
    /// ## What it does
    /// Checks the templates handed to matplotlib's formatters like `.format(...)`
    /// templates (OFF112): `ticker.StrMethodFormatter(...)`,
    /// `ax.yaxis.set_major_formatter("{x:,.0f}")`, `ax.bar_label(bars, fmt="{:.1f}")`,
    /// `clabel(fmt=...)`, `colorbar(format=...)`. A literal template may use plain fields
    /// and one public step; a template built at run time (an f-string, `+`, `%`, `.join`,
    /// `.format`, a subscript, `str(...)`) is rejected. Formatter objects
    /// (`FuncFormatter(f)`, `PercentFormatter()`) and names are not templates and pass.
    ///
    /// ## Why is this bad?
    /// These formatters call `template.format(x=value, pos=...)` on every tick or label,
    /// so a template is the same small program OFF112 describes
    /// (`"{x.__class__.__init__.__globals__}"`), run by the library where no `.format` call
    /// appears in the code. Built at run time, it can come from the data.
    ///
    /// ## Example
    /// ```python
    /// ax.yaxis.set_major_formatter("{x" + field + "}")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// ax.yaxis.set_major_formatter("{x:,.0f}")
    /// ```
    pub(crate) struct FormatterTemplate {
        construct: String,
        field: Option<String>,
    }
}

impl ViolationKind for FormatterTemplate {
    const RULE: Rule = Rule::FormatterTemplate;

    fn message(&self) -> String {
        match &self.field {
            Some(field) => format!(
                "The template of `{}` has the field `{{{field}}}`, which walks from its value",
                self.construct
            ),
            None => format!(
                "The template of `{}` must be a string literal, not built at run time",
                self.construct
            ),
        }
    }
}

/// A string built while the program runs.
fn built_at_run_time(expr: &Expr) -> bool {
    match expr {
        Expr::JoinedStr(_) | Expr::BinOp(_) | Expr::Subscript(_) => true,
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Attribute(method) => matches!(
                method.attr.as_str(),
                "format"
                    | "format_map"
                    | "join"
                    | "replace"
                    | "strip"
                    | "lower"
                    | "upper"
                    | "decode"
                    | "removeprefix"
                    | "removesuffix"
            ),
            Expr::Name(function) => matches!(function.id.as_str(), "str" | "format" | "repr"),
            _ => false,
        },
        _ => false,
    }
}

fn check(checker: &mut Checker, call: &ast::ExprCall, construct: &str, template: &Expr) {
    let field = match string_literal(template) {
        Some(text) => match traversing_field(text) {
            Some(field) => Some(field),
            None => return,
        },
        None if built_at_run_time(template) => None,
        None => return,
    };
    let construct = construct.to_string();
    checker.report(
        call.start().to_usize(),
        FormatterTemplate { construct, field },
    );
}

/// OFF124 on a call to a formatter or a function that takes a template.
pub(crate) fn formatter_template(checker: &mut Checker, call: &ast::ExprCall) {
    let name = match call.func.as_ref() {
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        Expr::Name(name) => name.id.as_str(),
        _ => return,
    };
    if TEMPLATE_FIRST.contains(&name) {
        if let Some(template) = call.args.first().or_else(|| keyword(call, "fmt")) {
            check(checker, call, name, template);
        }
        return;
    }
    for (function, argument) in TEMPLATE_KEYWORDS {
        if name == *function
            && let Some(template) = keyword(call, argument)
        {
            check(checker, call, name, template);
        }
    }
}
