use std::collections::HashMap;

use rustpython_parser::ast::{self, Expr, Ranged};

use super::ViolationKind;
use super::format_string_traversal::traversing_field;
use crate::validate::bindings::Bindings;
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
    /// `.format`, a subscript, `str(...)`) is rejected, and so is one stored in a name or
    /// an attribute first: a name passes only when every value it is ever assigned passes
    /// (a literal template, a formatter object, a function); a parameter, a loop variable
    /// or an attribute (`cfg.fmt`) is a template the rule cannot see. Formatter objects
    /// (`FuncFormatter(f)`, `PercentFormatter()`) pass.
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

/// What a value handed to a formatter makes of it.
#[derive(Clone, PartialEq)]
pub(crate) enum TemplateValue {
    /// Not a template, or a literal one with plain fields.
    Fine,
    /// A literal template with this traversing field.
    Traversing(String),
    /// A template built at run time, or one the rule cannot see.
    Unseen,
}

/// The value handed over, as far as it can be judged without the names' bindings. A name
/// is returned to be judged once every binding is known. Besides literal templates, what
/// passes is what cannot be a template: a formatter made by a library call
/// (`FuncFormatter(f)`, `mdates.DateFormatter("%b")`), a function, a number or `None`.
fn judge<'s>(checker: &Checker, template: &'s Expr) -> Result<TemplateValue, &'s str> {
    Ok(match template {
        Expr::Name(name) => return Err(name.id.as_str()),
        _ if built_at_run_time(template) => TemplateValue::Unseen,
        Expr::Constant(_) => match string_literal(template).map(traversing_field) {
            Some(Some(field)) => TemplateValue::Traversing(field),
            _ => TemplateValue::Fine,
        },
        Expr::Lambda(_) => TemplateValue::Fine,
        Expr::NamedExpr(named) => return judge(checker, &named.value),
        Expr::IfExp(choice) => {
            match (judge(checker, &choice.body), judge(checker, &choice.orelse)) {
                (Ok(TemplateValue::Traversing(field)), _)
                | (_, Ok(TemplateValue::Traversing(field))) => TemplateValue::Traversing(field),
                (Ok(TemplateValue::Fine), Ok(TemplateValue::Fine)) => TemplateValue::Fine,
                _ => TemplateValue::Unseen,
            }
        }
        // A matplotlib formatter class (`FuncFormatter`, `DateFormatter`, ...) makes a
        // formatter, not a string. Any other call (the program's own function, a library
        // function that returns its argument) could return any string.
        Expr::Call(call) => {
            let library = match call.func.as_ref() {
                Expr::Name(name) => checker.imports.resolve_name(&name.id),
                Expr::Attribute(attribute) => checker
                    .imports
                    .resolve_chain(&crate::validate::resolve::chain(attribute)),
                _ => Vec::new(),
            };
            let formatter = |q: &crate::validate::resolve::QualifiedName| {
                q.imported
                    && q.starts_with(&["matplotlib"])
                    && q.segments.last().is_some_and(|s| s.ends_with("Formatter"))
            };
            if library.iter().any(formatter) {
                TemplateValue::Fine
            } else {
                TemplateValue::Unseen
            }
        }
        // An attribute, a subscript, a comprehension...: a template the rule cannot see.
        _ => TemplateValue::Unseen,
    })
}

fn report(checker: &mut Checker, offset: usize, construct: &str, value: &TemplateValue) {
    let field = match value {
        TemplateValue::Fine => return,
        TemplateValue::Traversing(field) => Some(field.clone()),
        TemplateValue::Unseen => None,
    };
    let construct = construct.to_string();
    checker.report(offset, FormatterTemplate { construct, field });
}

/// A template handed over in a name, judged once the walk has seen every binding.
pub(crate) struct PendingFormatterTemplate<'s> {
    name: &'s str,
    construct: String,
    offset: usize,
}

fn check<'s>(
    checker: &mut Checker,
    call: &ast::ExprCall,
    construct: &str,
    template: &'s Expr,
) -> Option<PendingFormatterTemplate<'s>> {
    let offset = call.start().to_usize();
    match judge(checker, template) {
        Ok(value) => {
            report(checker, offset, construct, &value);
            None
        }
        Err(name) => Some(PendingFormatterTemplate {
            name,
            construct: construct.to_string(),
            offset,
        }),
    }
}

/// OFF124 on a call to a formatter or a function that takes a template. A template in a
/// name is returned, to be judged by `formatter_template_pending`.
pub(crate) fn formatter_template<'s>(
    checker: &mut Checker,
    call: &'s ast::ExprCall,
) -> Option<PendingFormatterTemplate<'s>> {
    let name = match call.func.as_ref() {
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        Expr::Name(name) => name.id.as_str(),
        _ => return None,
    };
    if TEMPLATE_FIRST.contains(&name) {
        let template = call.args.first().or_else(|| keyword(call, "fmt"))?;
        return check(checker, call, name, template);
    }
    let (_, argument) = TEMPLATE_KEYWORDS.iter().find(|(f, _)| *f == name)?;
    check(checker, call, name, keyword(call, argument)?)
}

/// How deep names assigned names are followed (`a = "{x}"; b = a`); deeper is unseen.
const MAX_NAME_DEPTH: usize = 16;

/// OFF124 on the templates handed over in names: a name is judged once, from every
/// value it is assigned (`verdicts` keeps the answers).
pub(crate) fn formatter_template_pending<'s>(
    checker: &mut Checker,
    pending: &PendingFormatterTemplate<'s>,
    bindings: &Bindings<'s>,
    verdicts: &mut HashMap<&'s str, TemplateValue>,
) {
    let value = name_verdict(checker, pending.name, bindings, verdicts, 0);
    report(checker, pending.offset, &pending.construct, &value);
}

fn name_verdict<'s>(
    checker: &Checker,
    name: &'s str,
    bindings: &Bindings<'s>,
    verdicts: &mut HashMap<&'s str, TemplateValue>,
    depth: usize,
) -> TemplateValue {
    if let Some(known) = verdicts.get(name) {
        return known.clone();
    }
    // A parameter, a loop variable, an import...: a value the rule cannot see. A name in
    // a cycle (`a = b; b = a`) is unseen too, so answering that while it is judged is safe.
    let values = bindings.only_assigned_or_defined(name);
    let Some(values) = values.filter(|_| depth < MAX_NAME_DEPTH) else {
        verdicts.insert(name, TemplateValue::Unseen);
        return TemplateValue::Unseen;
    };
    verdicts.insert(name, TemplateValue::Unseen);
    let mut verdict = TemplateValue::Fine;
    for &value in values {
        let judged = match judge(checker, value) {
            Ok(judged) => judged,
            Err(other) => name_verdict(checker, other, bindings, verdicts, depth + 1),
        };
        if judged != TemplateValue::Fine {
            verdict = judged;
            break;
        }
    }
    verdicts.insert(name, verdict.clone());
    verdict
}
