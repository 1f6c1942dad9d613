use rustpython_parser::ParseError;

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects a program the parser cannot read, at the position the parser gave up.
    ///
    /// ## Why is this bad?
    /// The other rules can only vouch for code they can see as a tree. Syntax the parser does
    /// not know (a newer or older Python dialect, a typo) could hide anything, so it is a
    /// rejection, not a pass. A program that could not be checked at all (the checker failed)
    /// is rejected under this rule too.
    ///
    /// ## Example
    /// ```python
    /// print "total", total
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// print("total", total)
    /// ```
    pub(crate) struct SyntaxError {
        detail: String,
        checked: bool,
    }
}

impl ViolationKind for SyntaxError {
    const RULE: Rule = Rule::SyntaxError;

    fn message(&self) -> String {
        if self.checked {
            format!("The parser does not accept this syntax: {}", self.detail)
        } else {
            format!("The program could not be checked: {}", self.detail)
        }
    }
}

/// OFF001
pub(crate) fn syntax_error(checker: &mut Checker, error: &ParseError) {
    let detail = error.error.to_string().replace('\'', "`");
    checker.report(
        error.offset.to_usize(),
        SyntaxError {
            detail,
            checked: true,
        },
    );
}

/// OFF001, when the check itself could not run (it must not count as a pass).
pub(crate) fn unchecked_source(checker: &mut Checker, reason: &str) {
    checker.report(
        0,
        SyntaxError {
            detail: reason.to_string(),
            checked: false,
        },
    );
}
