use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use super::forbidden_builtin::FORBIDDEN_BUILTINS;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

/// Dunder names ordinary scripts use (`if __name__ == "__main__":`).
const ALLOWED_DUNDER_NAMES: &[&str] = &["__name__", "__file__", "__doc__"];

violation! {
    /// ## What it does
    /// Rejects names that start and end with two underscores, such as `__builtins__`,
    /// `__loader__`, `__spec__` or `__annotations__`, whether read, assigned or deleted.
    /// `__name__`, `__file__` and `__doc__` are allowed; defining dunder methods in a class
    /// (`def __init__(self)`) is not a name use and is fine. `__import__` is reported as a
    /// forbidden builtin instead.
    ///
    /// ## Why is this bad?
    /// These names are the interpreter's own plumbing: `__builtins__` is the dictionary of all
    /// builtins (so `__builtins__["ev" + "al"]` is `eval`), and `__loader__` and `__spec__`
    /// can load other code. Assigning to them changes how the rest of the program resolves
    /// names.
    ///
    /// ## Example
    /// ```python
    /// run = __builtins__["exec"]
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// if __name__ == "__main__":
    ///     main()
    /// ```
    pub(crate) struct DunderName {
        name: String,
    }
}

impl ViolationKind for DunderName {
    const RULE: Rule = Rule::DunderName;

    fn message(&self) -> String {
        format!("Use of the dunder name `{}` is not allowed", self.name)
    }
}

/// OFF107
pub(crate) fn dunder_name(checker: &mut Checker, name: &ast::ExprName) {
    let id = name.id.as_str();
    let dunder = id.len() > 4 && id.starts_with("__") && id.ends_with("__");
    if dunder && !ALLOWED_DUNDER_NAMES.contains(&id) && !FORBIDDEN_BUILTINS.contains(&id) {
        checker.report(
            name.start().to_usize(),
            DunderName {
                name: id.to_string(),
            },
        );
    }
}
