use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::{Chain, QualifiedName};
use crate::validate::visitor::Checker;

/// Builtins that evaluate code, reach objects by computed name, expose namespaces, or wait
/// for a person at a terminal.
pub(crate) const FORBIDDEN_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "breakpoint",
    "input",
    // pydoc: `help("modules")` imports every module it finds, and help runs a pager.
    "help",
];

/// `getattr` in disguise: they reach attributes and methods by a string.
const FORBIDDEN_OPERATOR_FUNCTIONS: &[&str] = &["attrgetter", "methodcaller"];

violation! {
    /// ## What it does
    /// Rejects every use of the builtins `eval`, `exec`, `compile`, `__import__`, `getattr`,
    /// `setattr`, `delattr`, `globals`, `locals`, `vars`, `breakpoint`, `input` and `help`, called or
    /// not (`run = eval` is caught too), including through an import of `builtins`
    /// (`from builtins import exec as run; run(...)`). `operator.attrgetter` and
    /// `operator.methodcaller` count as `getattr`.
    ///
    /// ## Why is this bad?
    /// `eval`, `exec`, `compile` and `__import__` run or load code the validator never saw.
    /// `getattr` and friends reach attributes by a computed string, so `getattr(pd, "o" + "s")`
    /// walks past every attribute rule; `globals`, `locals` and `vars` hand out namespaces the
    /// same way. `breakpoint` and `input` wait on a terminal the sandbox does not have.
    /// `help` is pydoc: `help("modules")` imports every module on the path, running its code.
    ///
    /// ## Known problems
    /// The rule matches the name, not the scope: a variable of your own called `input` is
    /// rejected as well. Call it `input_path`.
    ///
    /// ## Example
    /// ```python
    /// value = eval(expression)
    /// column = getattr(df, name)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// value = df["price"] * df["units"]  # write the expression as code
    /// column = df[name]
    /// ```
    ///
    /// ## References
    /// - CWE-95: Eval Injection
    pub(crate) struct ForbiddenBuiltin {
        name: String,
    }
}

impl ViolationKind for ForbiddenBuiltin {
    const RULE: Rule = Rule::ForbiddenBuiltin;

    fn message(&self) -> String {
        if self.name.contains('.') {
            format!(
                "Use of `{}` is not allowed: it is `getattr` by another name",
                self.name
            )
        } else {
            format!("Use of the builtin `{}` is not allowed", self.name)
        }
    }
}

/// The forbidden function a qualified name stands for, if any.
fn forbidden(qualified: &QualifiedName) -> Option<String> {
    let is_forbidden_builtin = |name: &str| FORBIDDEN_BUILTINS.contains(&name);
    match (qualified.imported, qualified.segments.as_slice()) {
        (false, [only]) if is_forbidden_builtin(only) => Some(only.to_string()),
        (true, [module, member]) if *module == "builtins" && is_forbidden_builtin(member) => {
            Some(member.to_string())
        }
        (true, [module, member])
            if *module == "operator" && FORBIDDEN_OPERATOR_FUNCTIONS.contains(member) =>
        {
            Some(format!("operator.{member}"))
        }
        _ => None,
    }
}

/// OFF102 on a name (`eval`, or `run` after `from builtins import exec as run`).
pub(crate) fn forbidden_builtin(checker: &mut Checker, name: &ast::ExprName) {
    let candidates = checker.imports.resolve_name(name.id.as_str());
    if let Some(builtin) = candidates.iter().find_map(forbidden) {
        checker.report(name.start().to_usize(), ForbiddenBuiltin { name: builtin });
    }
}

/// OFF102 on the outermost attribute of a chain (`operator.attrgetter`).
pub(crate) fn forbidden_builtin_chain(checker: &mut Checker, chain: &Chain) {
    let candidates = checker.imports.resolve_chain(chain);
    if let Some(builtin) = candidates.iter().find_map(forbidden) {
        let offset = chain.root.map_or(0, |root| root.start().to_usize());
        checker.report(offset, ForbiddenBuiltin { name: builtin });
    }
}
