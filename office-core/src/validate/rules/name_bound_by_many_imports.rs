use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::MAX_BINDINGS_PER_NAME;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects a name bound by more than four different imports
    /// (`from pandas import a as x`, `from pandas import b as x`, ...). Importing the same
    /// thing again, or rebinding a name two or three times in different branches, is fine.
    ///
    /// ## Why is this bad?
    /// The rules resolve a name to every import that may bind it, at every use. A program
    /// that binds one name to thousands of imports and uses it thousands of times makes
    /// each check cost the product of the two: 64 KiB of such code kept the validator busy
    /// for a minute. No real program binds one name to that many things.
    ///
    /// ## Example
    /// ```python
    /// from pandas import concat as f
    /// from pandas import merge as f
    /// from pandas import cut as f
/// from pandas import qcut as f
    /// from pandas import melt as f
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// from pandas import concat, merge, cut
    /// ```
    pub(crate) struct NameBoundByManyImports {
        name: String,
        count: usize,
    }
}

impl ViolationKind for NameBoundByManyImports {
    const RULE: Rule = Rule::NameBoundByManyImports;

    fn message(&self) -> String {
        format!(
            "`{}` is bound by {} different imports, more than {MAX_BINDINGS_PER_NAME}; give each its own name",
            self.name, self.count
        )
    }
}

/// OFF118, from the import table's over-bound names.
pub(crate) fn name_bound_by_many_imports(
    checker: &mut Checker,
    offset: usize,
    name: &str,
    count: usize,
) {
    let name = name.to_string();
    checker.report(offset, NameBoundByManyImports { name, count });
}
