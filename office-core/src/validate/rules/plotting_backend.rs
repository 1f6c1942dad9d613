use rustpython_parser::ast::{self, Expr, ExprContext, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::attribute_name_offset;
use crate::validate::settings::{Setting, SettingClass};
use crate::validate::values::{argument, has_unpacking, keyword, string_literal};
use crate::validate::visitor::{Checker, Role};

/// pandas options set by pattern: `set_option("backend", ...)` matches `plotting.backend`.
const PANDAS_OPTION_SETTERS: &[&[&str]] = &[
    &["pandas", "set_option"],
    &["pandas", "option_context"],
    &["pandas", "options", "set_option"],
];

violation! {
    /// ## What it does
    /// Rejects choosing a plotting backend by name: `matplotlib.use(...)` with anything but the
    /// literal `"Agg"`, `plt.switch_backend(...)`, `rcParams["backend"]` (subscript, `update`,
    /// `rc_context`, style dicts), `os.environ["MPLBACKEND"]`, pandas' `plotting.backend`
    /// option (`pd.set_option("plotting.backend", ...)`, also any option pattern that could
    /// match it, or a computed one; `pd.options.plotting.backend = ...`) and a `backend=`
    /// argument (`df.plot(backend=...)`). `matplotlib.use` and `switch_backend` may only be
    /// called, not passed around.
    ///
    /// ## Why is this bad?
    /// A backend name is a module name: matplotlib imports `"module://anything"` and pandas
    /// imports whatever module `plotting.backend` names, so choosing a backend is an import
    /// the import rules never see. The sandbox renders with Agg only; there is no display.
    ///
    /// ## Example
    /// ```python
    /// import matplotlib
    /// matplotlib.use("module://my_backend")
    /// pd.set_option("plotting.backend", "plotly")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import matplotlib
    /// matplotlib.use("Agg")
    /// import matplotlib.pyplot as plt
    /// ```
    pub(crate) struct PlottingBackend {
        construct: String,
    }
}

impl ViolationKind for PlottingBackend {
    const RULE: Rule = Rule::PlottingBackend;

    fn message(&self) -> String {
        format!(
            "`{}` chooses a plotting backend by name; only `matplotlib.use(\"Agg\")` is allowed",
            self.construct
        )
    }
}

fn report(checker: &mut Checker, offset: usize, construct: impl Into<String>) {
    checker.report(
        offset,
        PlottingBackend {
            construct: construct.into(),
        },
    );
}

fn is_use(checker: &Checker, expr: &Expr) -> bool {
    checker.imports.matches(expr, &["matplotlib", "use"])
}

fn is_switch_backend(checker: &Checker, expr: &Expr) -> bool {
    checker
        .imports
        .matches(expr, &["matplotlib", "pyplot", "switch_backend"])
}

/// OFF109 on calls: `matplotlib.use`, `switch_backend`, `backend=`, pandas option setters.
pub(crate) fn plotting_backend_call(checker: &mut Checker, call: &ast::ExprCall) {
    let offset = call.start().to_usize();
    let func = call.func.as_ref();
    if is_use(checker, func) {
        let name = argument(call, 0, "backend").and_then(string_literal);
        if has_unpacking(call) || !name.is_some_and(|n| n.eq_ignore_ascii_case("agg")) {
            report(checker, offset, "matplotlib.use");
        }
        return;
    }
    if is_switch_backend(checker, func) {
        report(checker, offset, "switch_backend");
        return;
    }
    if keyword(call, "backend").is_some() {
        report(checker, offset, "backend=");
        return;
    }
    if PANDAS_OPTION_SETTERS
        .iter()
        .any(|s| checker.imports.matches(func, s))
    {
        if has_unpacking(call) {
            report(checker, offset, "pd.set_option(*args)");
            return;
        }
        for pattern in call.args.iter().step_by(2) {
            match string_literal(pattern) {
                Some(pattern) if !may_match(pattern, "plotting.backend") => {}
                _ => {
                    report(checker, offset, "plotting.backend");
                    return;
                }
            }
        }
    }
}

/// OFF109 on a reference to `matplotlib.use` or `switch_backend` that is not called, and on
/// an assignment to any attribute called `backend` (`pd.options.plotting.backend = ...`).
pub(crate) fn plotting_backend_reference(checker: &mut Checker, expr: &Expr, role: Role) {
    if let Expr::Attribute(attribute) = expr
        && attribute.attr.as_str() == "backend"
        && attribute.ctx != ExprContext::Load
    {
        report(checker, attribute_name_offset(attribute), "backend");
        return;
    }
    if role != Role::Called && role != Role::AttributeBase {
        if is_use(checker, expr) {
            report(checker, expr.start().to_usize(), "matplotlib.use");
        } else if is_switch_backend(checker, expr) {
            report(checker, expr.start().to_usize(), "switch_backend");
        }
    }
}

/// OFF109 on settings that name a backend (`rcParams["backend"]`, `MPLBACKEND`).
pub(crate) fn plotting_backend_settings(checker: &mut Checker, settings: &[Setting]) {
    for setting in settings {
        if setting.class() == SettingClass::Backend {
            report(checker, setting.offset, setting.spelling());
        }
    }
}

/// Whether pandas' option lookup (a case-insensitive regex search) could pick `option`
/// for `pattern`. Patterns with regex syntax other than `.` are assumed to match.
fn may_match(pattern: &str, option: &str) -> bool {
    if pattern
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
    {
        return true;
    }
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let option: Vec<char> = option.chars().collect();
    if pattern.len() > option.len() {
        return false;
    }
    (0..=option.len() - pattern.len()).any(|start| {
        pattern
            .iter()
            .zip(&option[start..])
            .all(|(p, o)| *p == '.' || p == o)
    })
}
