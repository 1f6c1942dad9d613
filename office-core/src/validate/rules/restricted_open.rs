use rustpython_parser::ast::{self, Constant, Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::{Checker, Role};

violation! {
    /// ## What it does
    /// Allows the builtin `open` only as a plain call whose mode, when given, is a string
    /// literal (`open(path, "w")`, `open(path, mode="r", encoding="utf-8")`). It rejects
    /// `open` passed around as a value, a computed mode, the `opener=` argument, unpacked
    /// arguments (`*args`, `**kwargs`, which hide the mode), and literal paths that are
    /// absolute or climb out with `..`.
    ///
    /// ## Why is this bad?
    /// Programs write their results under `OUTPUT_DIR` and read their inputs from
    /// `INPUT_PATH`; `json.dump` of a summary needs a file object, so `open` itself stays.
    /// What a program may touch is decided by the sandbox (its own working folder, a clean
    /// environment, file-size limits), not here: pandas, openpyxl and pathlib reach files
    /// just as well, so forbidding `open` would only move the same access elsewhere. This
    /// rule keeps each `open` readable at a glance: a fixed mode, no custom opener, and no
    /// hard-coded path outside the job's folders.
    ///
    /// ## Example
    /// ```python
    /// with open("/etc/passwd") as f:
    ///     secrets = f.read()
    /// handle = open(path, mode_from_somewhere)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// with open(os.path.join(OUTPUT_DIR, "summary.json"), "w", encoding="utf-8") as f:
    ///     json.dump(summary, f, indent=2)
    /// ```
    pub(crate) struct RestrictedOpen {
        problem: OpenProblem,
    }
}

enum OpenProblem {
    Reference,
    ComputedMode,
    Opener,
    Unpacked,
    OutsidePath(String),
}

impl ViolationKind for RestrictedOpen {
    const RULE: Rule = Rule::RestrictedOpen;

    fn message(&self) -> String {
        match &self.problem {
            OpenProblem::Reference => {
                "The builtin `open` may only be called directly, not used as a value".to_string()
            }
            OpenProblem::ComputedMode => {
                "The mode of `open` must be a string literal such as `\"w\"`".to_string()
            }
            OpenProblem::Opener => "`open` with an `opener` argument is not allowed".to_string(),
            OpenProblem::Unpacked => {
                "`open` with unpacked `*args` or `**kwargs` is not allowed".to_string()
            }
            OpenProblem::OutsidePath(path) => format!(
                "`open` of `{path}` is not allowed; build paths from `INPUT_PATH` or `OUTPUT_DIR`"
            ),
        }
    }
}

/// True when `name` is the builtin `open` (not a name some import binds).
fn is_builtin_open(checker: &Checker, name: &ast::ExprName) -> bool {
    name.id.as_str() == "open"
        && checker
            .imports
            .resolve_name("open")
            .iter()
            .any(|qualified| !qualified.imported)
}

/// OFF103 on a reference to `open` that is not the function of a call.
pub(crate) fn restricted_open_reference(checker: &mut Checker, name: &ast::ExprName, role: Role) {
    if role != Role::Called && is_builtin_open(checker, name) {
        let violation = RestrictedOpen {
            problem: OpenProblem::Reference,
        };
        checker.report(name.start().to_usize(), violation);
    }
}

/// OFF103 on a call of `open`.
pub(crate) fn restricted_open_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Name(name) = call.func.as_ref() else {
        return;
    };
    if !is_builtin_open(checker, name) {
        return;
    }
    let offset = call.start().to_usize();
    let keyword = |wanted: &str| {
        call.keywords
            .iter()
            .find(|kw| kw.arg.as_ref().is_some_and(|arg| arg.as_str() == wanted))
    };
    let unpacked = call.args.iter().any(|arg| matches!(arg, Expr::Starred(_)))
        || call.keywords.iter().any(|kw| kw.arg.is_none());
    let problem = if unpacked {
        Some(OpenProblem::Unpacked)
    } else if keyword("opener").is_some() || call.args.len() > 7 {
        Some(OpenProblem::Opener)
    } else {
        let mode = call.args.get(1).or(keyword("mode").map(|kw| &kw.value));
        let path = call.args.first().or(keyword("file").map(|kw| &kw.value));
        if mode.is_some_and(|mode| string_literal(mode).is_none()) {
            Some(OpenProblem::ComputedMode)
        } else {
            path.and_then(string_literal)
                .filter(|path| leaves_job_folder(path))
                .map(|path| OpenProblem::OutsidePath(path.to_string()))
        }
    };
    if let Some(problem) = problem {
        checker.report(offset, RestrictedOpen { problem });
    }
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Constant(ast::ExprConstant {
            value: Constant::Str(text),
            ..
        }) => Some(text),
        _ => None,
    }
}

/// An absolute path, a home-relative path, or one with a `..` component.
fn leaves_job_folder(path: &str) -> bool {
    path.starts_with('/')
        || path.starts_with('\\')
        || path.starts_with('~')
        || path.get(1..3) == Some(":\\")
        || path.split(['/', '\\']).any(|component| component == "..")
}
