use rustpython_parser::ast::{Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::chain;
use crate::validate::visitor::Checker;

/// What a program may set on a library: pandas' options are attributes by design, and
/// resetting the header style of `to_excel` is a common, harmless setting.
const ASSIGNABLE: &[&[&str]] = &[
    &["pandas", "options"],
    &[
        "pandas",
        "io",
        "formats",
        "excel",
        "ExcelFormatter",
        "header_style",
    ],
];

violation! {
    /// ## What it does
    /// Rejects assigning to, deleting, or binding in a loop or `with` an attribute of an
    /// imported module, class or function: `pd.DataFrame.to_csv = spy`, `del np.load`,
    /// `plt.savefig = f`. pandas' options (`pd.options.display.max_rows = 50`) and
    /// `ExcelFormatter.header_style` are allowed; attributes of your own objects
    /// (`df.columns = [...]`, `cell.value = 1`) are not affected.
    ///
    /// ## Why is this bad?
    /// Replacing a library's method changes what every later call does, including the
    /// calls the engine's own harness and other rules rely on: a program can make
    /// `DataFrame.to_csv` send its data elsewhere, or make a checked call do something the
    /// validator never saw.
    ///
    /// ## Example
    /// ```python
    /// pd.DataFrame.to_csv = lambda self, *a, **k: None
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def save(frame, path):
    ///     frame.to_csv(path, index=False)
    /// ```
    pub(crate) struct LibraryAttributeAssignment {
        target: String,
    }
}

impl ViolationKind for LibraryAttributeAssignment {
    const RULE: Rule = Rule::LibraryAttributeAssignment;

    fn message(&self) -> String {
        format!(
            "`{}` replaces an attribute of an imported library, which is not allowed",
            self.target
        )
    }
}

/// OFF120 on an assignment, deletion, loop or `with` target.
pub(crate) fn library_attribute_assignment(checker: &mut Checker, target: &Expr) {
    match target {
        Expr::Tuple(tuple) => tuple
            .elts
            .iter()
            .for_each(|e| library_attribute_assignment(checker, e)),
        Expr::List(list) => list
            .elts
            .iter()
            .for_each(|e| library_attribute_assignment(checker, e)),
        Expr::Starred(starred) => library_attribute_assignment(checker, &starred.value),
        Expr::Attribute(attribute) => {
            let chain = chain(attribute);
            let replaced = checker
                .imports
                .resolve_chain(&chain)
                .iter()
                .any(|qualified| {
                    qualified.imported
                        && !ASSIGNABLE
                            .iter()
                            .any(|prefix| qualified.starts_with(prefix))
                });
            if replaced {
                let target = chain.spelling_through(chain.attributes.len() - 1);
                checker.report(
                    attribute.start().to_usize(),
                    LibraryAttributeAssignment { target },
                );
            }
        }
        _ => {}
    }
}
